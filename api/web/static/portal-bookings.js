// Business portal: bookings from today on; book a free time, cancel, reschedule.
"use strict";
(() => {
  const { $, t, fmt, word, named, when, today, read, guard, row, fill } = Portal;
  const { call, el, toast } = CodeId;
  const OPEN = ["held", "confirmed"];
  let moving = null; // the booking being rescheduled

  function items() {
    const hall = Portal.state.hall;
    return hall ? hall.items : [];
  }

  async function load() {
    const uscc = Portal.state.current.uscc;
    const list = await read(`/v1/entities/${uscc}/bookings`);
    fill("booking-rows", list.map((b) => {
      const actions = [];
      if (b.status === "held") actions.push(button(t("portal.booking.confirm"), "", () => act(b, "confirm")));
      if (OPEN.includes(b.status)) {
        actions.push(button(t("portal.booking.reschedule"), "secondary", () => startMoving(b)));
        actions.push(button(t("portal.booking.cancel"), "danger", () => act(b, "cancel")));
      }
      return row([
        [t("portal.booking.time"), `${when(b.starts_at)}–${when(b.ends_at).slice(11)}`],
        [t("portal.booking.item"), named(b.item_name_zh, b.item_name_en) || b.item_code],
        [t("portal.booking.reference"), el("code", {}, b.reference)],
        [t("common.status"), word("portal.booking.status.", b.status), "status-" + b.status],
        ["", el("div", { class: "row" }, actions)],
      ]);
    }), 5);
  }

  function button(label, cls, onclick) {
    return el("button", { type: "button", class: cls || "", onclick }, label);
  }

  async function act(booking, action) {
    await guard("bookings-error", async () => {
      await call("POST", `/v1/bookings/${booking.reference}/${action}`);
      toast(action === "cancel" ? t("portal.booking.cancelled") : t("portal.booking.status.confirmed"));
      if (moving && moving.reference === booking.reference) stopMoving();
      await load();
    });
  }

  function startMoving(booking) {
    moving = booking;
    const select = $("book-item");
    select.value = booking.item_code;
    select.disabled = true;
    $("book-day").value = when(booking.starts_at, false);
    $("book-moving").textContent = fmt("portal.booking.moving", { ref: booking.reference });
    $("book-moving").hidden = false;
    $("book-stop").hidden = false;
    $("book-submit").textContent = t("portal.booking.move-here");
    clearSlots();
    $("book-day").focus();
  }

  function stopMoving() {
    moving = null;
    $("book-item").disabled = false;
    $("book-moving").hidden = true;
    $("book-stop").hidden = true;
    $("book-submit").textContent = t("portal.booking.book");
    clearSlots();
  }

  function clearSlots() {
    $("book-slots").hidden = true;
    $("book-submit").hidden = true;
    $("book-slot-list").replaceChildren();
  }

  async function findSlots() {
    const code = $("book-item").value;
    const day = $("book-day").value;
    const item = items().find((i) => i.code === code);
    if (!item || !day) { $("bookings-error").textContent = t("portal.required"); return; }
    const slots = await call("GET", `/v1/slots?category=${encodeURIComponent(item.category)}&day=${day}`);
    const now = Date.now();
    const free = slots.filter((s) => Date.parse(s.starts_at) > now && s.booked < s.capacity);
    const list = $("book-slot-list");
    list.replaceChildren(...free.map((slot, index) => {
      const id = `slot-${slot.id}`;
      return el("div", { class: "slot" },
        el("input", { type: "radio", name: "slot", id, value: slot.id, checked: index === 0 }),
        el("label", { for: id }, `${when(slot.starts_at).slice(11)}–${when(slot.ends_at).slice(11)}`,
          el("span", { class: "muted" }, " · " + fmt("portal.booking.free", { n: slot.capacity - slot.booked }))));
    }));
    if (!free.length) list.append(el("p", { class: "muted" }, t("portal.booking.no-slots")));
    $("book-slots").hidden = false;
    $("book-submit").hidden = !free.length;
  }

  async function submit(event) {
    event.preventDefault();
    const chosen = document.querySelector("#book-slot-list input[name=slot]:checked");
    if (!chosen) return;
    const slotId = Number(chosen.value);
    await guard("bookings-error", async () => {
      if (moving) {
        await call("POST", `/v1/bookings/${moving.reference}/reschedule`, { slot_id: slotId });
        toast(t("portal.booking.rescheduled"));
        stopMoving();
      } else {
        const uscc = Portal.state.current.uscc;
        const held = await call("POST", "/v1/bookings", { uscc, item_code: $("book-item").value, slot_id: slotId });
        await call("POST", `/v1/bookings/${held.reference}/confirm`);
        toast(fmt("portal.booking.booked", { ref: held.reference }));
        clearSlots();
      }
      await load();
    });
  }

  function fillItems() {
    const hall = Portal.state.hall;
    const select = $("book-item");
    const agents = $("agent-items");
    if (!hall) { $("book-form").hidden = true; return; }
    select.replaceChildren(...hall.categories.map((c) => el("optgroup", { label: named(c.name_zh, c.name_en) },
      hall.items.filter((i) => i.category === c.code)
        .map((i) => el("option", { value: i.code }, named(i.name_zh, i.name_en))))));
    // The agent form's scope is the same list of service items.
    agents.replaceChildren(...hall.items.map((i) => el("label", { class: "check" },
      el("input", { type: "checkbox", name: "scope", value: i.code }), " ", named(i.name_zh, i.name_en))));
  }

  let ready = false;
  Portal.on(() => {
    if (!ready) {
      ready = true;
      fillItems();
      const day = $("book-day");
      day.min = today();
      day.value = today(1);
      $("book-find").addEventListener("click", () => guard("bookings-error", findSlots));
      $("book-stop").addEventListener("click", stopMoving);
      $("book-item").addEventListener("change", clearSlots);
      day.addEventListener("change", clearSlots);
      $("book-form").addEventListener("submit", submit);
    }
    stopMoving();
    guard("bookings-error", load);
  });
})();
