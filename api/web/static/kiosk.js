// The hall's self-service kiosk: check in with the business code (scan gun or camera), or
// take a walk-in ticket without one; the ticket is shown in large type, then the screen resets.
"use strict";
(() => {
  const { t, call, el } = CodeId;
  const $ = (id) => document.getElementById(id);
  const lang = document.body.dataset.lang;
  const RESET_MS = 20000;
  let resetTimer = null;

  const named = (obj) => (lang === "en" && obj.name_en) || obj.name_zh || "";
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
  const slug = (error) => ((error.problem && error.problem.type) || "").split(":").pop();

  async function start() {
    wire();
    focusGun();
    let hall;
    try {
      hall = await call("GET", "/v1/hall");
    } catch (e) {
      $("kiosk-error").textContent = e.message;
      return;
    }
    $("kiosk-item").append(...hall.categories.map((category) => el("optgroup", { label: `${category.code} · ${named(category)}` },
      ...hall.items.filter((i) => i.category === category.code).map((i) => el("option", { value: i.code }, named(i))))));
    $("walk-ins").replaceChildren(...hall.categories.map((category) => el("button", {
      type: "button", class: "walk-in", "data-category": category.code,
      onclick: () => guarded(() => takeWalkIn(category.code)),
    }, el("span", { class: "walk-in-code" }, category.code), el("span", {}, named(category)))));
  }

  function wire() {
    $("gun-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const payload = $("gun").value.trim();
      $("gun").value = "";
      if (payload) guarded(() => checkIn(payload));
    });
    $("camera-start").addEventListener("click", () => guarded(startCamera));
    $("camera-stop").addEventListener("click", stopCamera);
    $("done").addEventListener("click", reset);
  }

  async function guarded(action) {
    $("kiosk-error").textContent = "";
    try {
      await action();
    } catch (e) {
      if (!(e instanceof CodeId.ApiError)) throw e;
      $("kiosk-error").textContent = e.message;
      focusGun();
    }
  }

  function focusGun() {
    if ($("result").hidden) $("gun").focus();
  }

  async function checkIn(payload) {
    const itemCode = $("kiosk-item").value || null;
    showTicket(await call("POST", "/v1/checkins", { payload, item_code: itemCode, location: "kiosk" }), false);
  }

  async function takeWalkIn(category) {
    showTicket(await call("POST", "/v1/tickets/walk-in", { category_code: category, location: "kiosk" }), true);
  }

  function showTicket(result, withoutCode) {
    stopCamera();
    $("ticket-number").textContent = result.ticket.number;
    $("ahead").textContent = fill(t("kiosk.ahead"), { n: result.people_ahead });
    $("wait").textContent = fill(t("kiosk.wait"), { n: Math.ceil(result.estimated_wait_minutes) });
    let note = "";
    if (withoutCode) note = t("kiosk.walk-in-ticket");
    else if (result.booking) note = t("kiosk.appointment");
    if (result.acting) note = `${t("kiosk.acting")}: ${result.acting.display_name}`;
    $("result-note").textContent = note;
    $("choose").hidden = true;
    $("result").hidden = false;
    $("done").focus();
    clearTimeout(resetTimer);
    resetTimer = setTimeout(reset, RESET_MS);
  }

  function reset() {
    clearTimeout(resetTimer);
    stopCamera();
    $("result").hidden = true;
    $("choose").hidden = false;
    $("kiosk-error").textContent = "";
    $("kiosk-item").value = "";
    $("gun").value = "";
    focusGun();
  }

  // ---- camera: a frame every FRAME_MS to the server's scanner, which checks in at once ----

  const camera = CodeIdCamera.create({
    facingMode: "user",
    onFrame: async (blob) => {
      const form = new FormData();
      form.append("image", blob, "frame.jpg");
      if ($("kiosk-item").value) form.append("item_code", $("kiosk-item").value);
      try {
        showTicket(await call("POST", "/v1/checkins/scan", form), false);
        return "done";
      } catch (e) {
        if (!(e instanceof CodeId.ApiError)) throw e;
        if (slug(e) === "no-code-found") return "continue";
        $("kiosk-error").textContent = e.message;
        return "pause";
      }
    },
    onError: (e) => { $("kiosk-error").textContent = e ? e.message : t("kiosk.camera-failed"); },
    onState: (on) => { $("kiosk-status").textContent = on ? t("kiosk.camera-on") : ""; },
  });
  const startCamera = () => camera.start();
  const stopCamera = () => camera.stop();

  document.addEventListener("DOMContentLoaded", () => start());
})();
