// The clerk window: call and move tickets, scan the business code (scan gun, photo, camera),
// see the business and its licences, then fill, complete or reject the case.
"use strict";
(() => {
  const { t, call, el, toast } = CodeId;
  const $ = (id) => document.getElementById(id);
  const lang = document.body.dataset.lang;
  const AT_WINDOW = ["called", "serving"];
  const state = { hall: null, desks: [], window: null, ticket: null, found: null, kase: null };

  // A record's name in the page's language (name_zh / name_en, label_zh / label_en).
  const named = (obj, base = "name") => (lang === "en" && obj[base + "_en"]) || obj[base + "_zh"] || "";
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
  // A word if the table has it, else the fallback (a slug is never shown as it is).
  const word = (key, fallback) => (CodeId.t(key) !== key ? t(key) : fallback);
  const items = () => (state.hall ? state.hall.items : []);
  const itemName = (code) => {
    const item = items().find((i) => i.code === code);
    return item ? named(item) : code || "";
  };
  const desk = () => state.desks.find((d) => d.number === state.window);
  const problem = (box, error) => { $(box).textContent = error.message; };

  async function start() {
    try {
      [state.hall, state.desks] = await Promise.all([call("GET", "/v1/hall"), call("GET", "/v1/me/windows")]);
    } catch (e) {
      problem("desk-error", e);
      return;
    }
    if (!state.desks.length) {
      $("desk-error").textContent = t("window.no-windows");
      return;
    }
    const select = $("window-select");
    select.replaceChildren(...state.desks.map((d) => el("option", { value: d.number }, d.name || d.number)));
    $("transfer-category").append(
      ...state.hall.categories.map((c) => el("option", { value: c.code }, `${c.code} · ${named(c)}`)),
    );
    wire();
    const saved = Number(sessionStorage.getItem("codeid.window"));
    await chooseWindow(state.desks.some((d) => d.number === saved) ? saved : state.desks[0].number);
  }

  function wire() {
    $("window-select").addEventListener("change", (e) => guard("desk-error", () => chooseWindow(Number(e.target.value))));
    $("call-next").addEventListener("click", () => guard("desk-error", callNext));
    $("recall").addEventListener("click", () => guard("desk-error", () => ticketAction("recall")));
    $("no-show").addEventListener("click", () => guard("desk-error", () => ticketAction("no-show")));
    $("transfer-form").addEventListener("submit", (e) => { e.preventDefault(); guard("desk-error", transfer); });
    $("gun-form").addEventListener("submit", (e) => { e.preventDefault(); guard("scan-error", lookUpTyped); });
    $("photo").addEventListener("change", () => guard("scan-error", uploadPhoto));
    $("camera-start").addEventListener("click", () => guard("scan-error", startCamera));
    $("camera-stop").addEventListener("click", stopCamera);
    $("open-case").addEventListener("click", () => guard("desk-error", openCase));
    $("case-form").addEventListener("submit", (e) => { e.preventDefault(); guard("desk-error", saveCase); });
    $("complete").addEventListener("click", () => guard("desk-error", completeCase));
    $("reject-form").addEventListener("submit", (e) => { e.preventDefault(); guard("desk-error", rejectCase); });
  }

  // Run an action, showing a refusal in words in the box next to it.
  async function guard(box, action) {
    $("desk-error").textContent = "";
    $(box).textContent = "";
    try {
      await action();
    } catch (e) {
      if (!(e instanceof CodeId.ApiError)) throw e;
      problem(box, e);
    }
  }

  async function chooseWindow(number) {
    state.window = number;
    $("window-select").value = String(number);
    sessionStorage.setItem("codeid.window", String(number));
    clearScan();
    clearCase();
    const current = desk();
    showTicket(current.current);
    showWaiting();
    if (current.case_id) renderCase(await call("GET", `/v1/cases/${current.case_id}`));
  }

  async function refreshDesk() {
    state.desks = await call("GET", "/v1/me/windows");
    showWaiting();
  }

  function showWaiting() {
    const current = desk();
    $("waiting").textContent = current ? `${t("window.waiting")}: ${current.waiting} ${t("window.people")}` : "";
  }

  // ---- the ticket at the window ----

  function showTicket(ticket) {
    state.ticket = ticket && AT_WINDOW.includes(ticket.status) ? ticket : null;
    const live = state.ticket;
    $("current-number").textContent = live ? live.number : "—";
    $("current-hint").hidden = !(live && live.uscc === "");
    const limit = state.hall.rules.recalls_before_no_show;
    const called = Boolean(live && live.status === "called");
    $("recall").disabled = !called;
    $("no-show").disabled = !(called && live.recalls >= limit);
    $("transfer").disabled = !called;
    if (!live) {
      $("current-info").textContent = t("window.no-ticket");
      $("case").hidden = state.kase === null;
      return;
    }
    const parts = [
      word(`window.status.${live.status}`, live.status),
      word(`window.priority.${live.priority}`, live.priority),
      live.item_code ? itemName(live.item_code) : live.category_code,
    ];
    if (called && live.recalls < limit) parts.push(fill(t("window.recalls-left"), { n: limit - live.recalls }));
    $("current-info").textContent = parts.join(" · ");
    $("case").hidden = false;
    chooseItem();
  }

  async function callNext() {
    const result = await call("POST", `/v1/windows/${state.window}/call`);
    await refreshDesk();
    if (!result.ticket) {
      toast(t("problem.queue-empty"));
      return;
    }
    clearScan();
    clearCase();
    showTicket(result.ticket);
    toast(fill(t("window.called"), { number: result.ticket.number, window: state.window }));
    $("gun").focus();
  }

  async function ticketAction(action) {
    const ticket = await call("POST", `/v1/windows/${state.window}/tickets/${state.ticket.id}/${action}`);
    toast(ticket.status === "no-show" ? t("window.marked-no-show") : t("window.recalled"));
    if (ticket.status === "no-show") clearScan();
    showTicket(ticket);
  }

  async function transfer() {
    const category = $("transfer-category").value;
    const to = Number($("transfer-window").value);
    if (!category && !to) return;
    await call("POST", `/v1/windows/${state.window}/tickets/${state.ticket.id}/transfer`, {
      to_category: category || null,
      to_window: to || null,
    });
    toast(t("window.transferred"));
    $("transfer-form").reset();
    clearScan();
    clearCase();
    showTicket(null);
    await refreshDesk();
  }

  // ---- scanning: scan gun, photo, camera ----

  async function lookUpTyped() {
    const text = $("gun").value.trim();
    if (!text) return;
    const answer = await call("POST", "/v1/scans/text", { text, location: `window:${state.window}` });
    $("gun").value = "";
    await showAnswer(answer, text);
  }

  async function uploadPhoto() {
    const file = $("photo").files[0];
    if (!file) return;
    $("scan-status").textContent = t("window.scanning");
    try {
      const found = await scanImage(file);
      if (found === null) $("scan-error").textContent = t("problem.no-code-found");
    } finally {
      $("scan-status").textContent = "";
      $("photo").value = "";
    }
  }

  // POST an image to the server's scanner; show the first verified code (or the first
  // refused one). Returns whether a code verified; null when no code was found at all.
  async function scanImage(blob) {
    const form = new FormData();
    form.append("image", blob, "frame.jpg");
    form.append("location", `window:${state.window}`);
    const result = await call("POST", "/v1/scans", form);
    if (!result.codes.length) return null;
    const good = result.codes.find((c) => c.verification && c.verification.valid);
    const chosen = good || result.codes[0];
    await showAnswer(chosen.verification, chosen.text);
    return Boolean(good);
  }

  // One frame every 800 ms to the server's OpenCV scanner; stop at the first verified code.
  const camera = CodeIdCamera.create({
    facingMode: "environment",
    onFrame: async (blob) => {
      const verified = await scanImage(blob);
      if (verified) return "done";
      // A refused code stays in view: do not resolve (and log) it again every frame.
      return verified === false ? "pause" : "continue";
    },
    // A refusal to act on the code (or a lost network): the clerk decides.
    onError: (e) => { $("scan-error").textContent = e ? e.message : t("window.camera-failed"); },
    onState: (on) => { $("scan-status").textContent = on ? t("window.camera-on") : ""; },
  });
  const startCamera = () => camera.start();
  const stopCamera = () => camera.stop();

  function clearScan() {
    state.found = null;
    $("entity").hidden = true;
    $("scan-error").textContent = "";
  }

  async function showAnswer(answer, text) {
    $("scan-error").textContent = "";
    if (!answer.valid) {
      $("scan-error").textContent = word(`problem.code-${answer.reason}`, answer.message || t("error.generic"));
    }
    if (answer.entity) showEntity(answer);
    else $("entity").hidden = true;
    if (!answer.valid) return;
    state.found = answer;
    const ticket = state.ticket;
    if (ticket && ticket.uscc === "") {
      showTicket(await call("POST", `/v1/tickets/${ticket.id}/identify`, { window: state.window, payload: text }));
      toast(t("window.identified"));
    } else if (ticket && ticket.uscc !== answer.entity.uscc) {
      $("scan-error").textContent = t("window.mismatch");
    }
    chooseItem();
  }

  function showEntity(answer) {
    const entity = answer.entity;
    const facts = [
      ["window.entity.name", entity.name],
      ["window.entity.uscc", entity.uscc],
      ["window.entity.status", word(`window.entity.${entity.status}`, entity.status)],
      ["window.entity.legal", entity.legal_representative],
      ["window.entity.address", entity.registered_address],
    ];
    $("entity-facts").replaceChildren(
      ...facts.flatMap(([key, value]) => [el("dt", {}, t(key)), el("dd", { class: key === "window.entity.status" ? `status-${entity.status}` : null }, value || "—")]),
    );
    const acting = answer.acting;
    $("acting").hidden = !acting;
    if (acting) {
      const scope = acting.scope.length ? acting.scope.map(itemName).join("、") : t("window.acting.all");
      $("acting").replaceChildren(
        el("p", {}, el("strong", {}, `${t("window.acting")}: `), `${acting.display_name} (${word(`window.role.${acting.role}`, acting.role)})`),
        el("p", {}, el("strong", {}, `${t("window.acting.scope")}: `), scope),
      );
    }
    $("licences").tBodies[0].replaceChildren(
      ...answer.licences.map((l) => el("tr", {},
        el("td", {}, named(l, "type_name")),
        el("td", {}, l.licence_number),
        el("td", {}, l.issuer_name),
        el("td", {}, l.valid_until || t("window.licence.long-term")),
        el("td", { class: `status-${l.status}` }, word(`window.licence.${l.status}`, l.status)),
      )),
    );
    const bookings = answer.bookings_today.map((b) => `${b.reference} ${itemName(b.item_code)} (${b.status})`);
    $("bookings").textContent = bookings.length ? `${t("window.bookings")}: ${bookings.join("; ")}` : "";
    $("entity").hidden = false;
  }

  // ---- the case ----

  function chooseItem() {
    const ticket = state.ticket;
    if (!ticket) return;
    const select = $("item");
    if (!select.options.length) {
      select.append(...items().map((i) => el("option", { value: i.code }, `${i.category} · ${named(i)}`)));
    }
    const booked = state.found && state.found.bookings_today.length ? state.found.bookings_today[0].item_code : null;
    const first = items().find((i) => i.category === ticket.category_code);
    select.value = ticket.item_code || booked || (first ? first.code : select.value);
    $("open-case").disabled = ticket.uscc === "";
  }

  async function openCase() {
    const kase = await call("POST", "/v1/cases", { ticket_id: state.ticket.id, item_code: $("item").value, window: state.window });
    renderCase(kase);
    showTicket({ ...state.ticket, status: "serving" });
  }

  function clearCase() {
    state.kase = null;
    $("case-body").hidden = true;
    $("case-start").hidden = false;
    $("case").hidden = true;
    $("reject-reason").value = "";
  }

  function sourceText(field) {
    const source = field.source || {};
    if (source.kind === "entity") return t("window.source.entity");
    if (source.kind === "licence") {
      if (!source.identifier) return t("window.source.no-licence");
      const type = state.found && state.found.licences.find((l) => l.type_code === source.licence_type);
      return `${t("window.source.licence")}: ${type ? named(type, "type_name") : source.licence_type} ${source.licence_number || ""}`;
    }
    return t("window.source.clerk");
  }

  function renderCase(kase) {
    state.kase = kase;
    const open = kase.status === "opened" || kase.status === "in-progress";
    $("case").hidden = false;
    $("case-start").hidden = true;
    $("case-body").hidden = false;
    $("case-status").textContent = `${word(`window.case-status.${kase.status}`, kase.status)} · ${itemName(kase.item_code)}`;
    $("case-fields").replaceChildren(...kase.form.map((field) => fieldRow(field, open)));
    $("materials").replaceChildren(...kase.materials.map(materialItem));
    for (const id of ["save", "complete", "reject", "reject-reason"]) $(id).disabled = !open;
  }

  function fieldRow(field, open) {
    const id = `field-${field.name}`;
    const input = el("input", {
      id, name: field.name, value: field.value ?? "", readonly: field.read_only, disabled: !open,
      "aria-describedby": `${id}-source`, required: field.required,
    });
    input.dataset.original = field.value ?? "";
    const label = el("label", { for: id }, named(field, "label"), field.required ? el("span", { class: "muted" }, ` (${t("window.required")})`) : null);
    const cell = el("td", {}, input);
    if (field.read_only && open) {
      const reason = el("input", { id: `${id}-reason`, class: "reason", hidden: true, maxlength: 300 });
      const reasonLabel = el("label", { for: `${id}-reason`, hidden: true }, t("window.correct-reason"));
      const button = el("button", { type: "button", class: "secondary small", onclick: () => {
        input.readOnly = false;
        reason.hidden = false;
        reasonLabel.hidden = false;
        button.hidden = true;
        input.focus();
      } }, t("window.correct"));
      cell.append(button, reasonLabel, reason);
    }
    return el("tr", {}, el("th", { scope: "row" }, label), cell,
      el("td", { id: `${id}-source`, class: `source source-${(field.source || {}).kind || "clerk"}` }, sourceText(field)));
  }

  function materialItem(entry) {
    const material = entry.material || {};
    const type = material.licence_type && state.found && state.found.licences.find((l) => l.type_code === material.licence_type);
    const name = named(material) || (type ? named(type, "type_name") : material.licence_type || "");
    return el("li", { class: `material material-${entry.state}` },
      el("span", {}, name), " — ",
      el("strong", {}, word(`window.material.${entry.state}`, entry.state)));
  }

  // PATCH the fields the clerk changed (with reasons for corrected licence fields).
  async function saveCase() {
    const values = {};
    const reasons = {};
    for (const input of $("case-fields").querySelectorAll("input[name]")) {
      if (input.value === input.dataset.original) continue;
      values[input.name] = input.value;
      const reason = $(`${input.id}-reason`);
      if (reason && reason.value.trim()) reasons[input.name] = reason.value.trim();
    }
    if (!Object.keys(values).length) return;
    renderCase(await call("PATCH", `/v1/cases/${state.kase.id}`, { values, reasons }));
    toast(t("window.saved"));
  }

  async function completeCase() {
    await saveCase();
    renderCase(await call("POST", `/v1/cases/${state.kase.id}/complete`));
    toast(t("window.completed"));
    showTicket(null);
    await refreshDesk();
  }

  async function rejectCase() {
    const reason = $("reject-reason").value.trim();
    if (!reason) {
      $("desk-error").textContent = t("window.reject-needs-reason");
      return;
    }
    renderCase(await call("POST", `/v1/cases/${state.kase.id}/reject`, { reason }));
    toast(t("window.rejected"));
    showTicket(null);
    await refreshDesk();
  }

  document.addEventListener("DOMContentLoaded", () => CodeId.requireRole(() => start()));
})();
