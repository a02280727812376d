// Business portal, core: the entity I act for, its dynamic and static codes, licences and
// today's tickets. Bookings are in portal-bookings.js, people and data in portal-people.js;
// they register loaders with Portal.on(fn), called whenever the chosen entity changes.
"use strict";
const Portal = (() => {
  const { t, call, el } = CodeId;
  const $ = (id) => document.getElementById(id);
  const lang = document.body.dataset.lang;
  const LEAD_MS = 15000; // fetch a new dynamic code this long before the old one expires
  const OPEN_TICKETS = ["waiting", "called", "serving", "parked"];
  const state = { entities: [], current: null, zone: "Asia/Shanghai", hall: null,
    types: {}, issuers: {}, openTickets: false };
  const loaders = [];

  // "{n} free" with values; a refusal in the portal's words, else the common ones.
  const fmt = (key, values) => t(key).replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ""));
  function say(error) {
    const slug = ((error && error.problem && error.problem.type) || "").split(":").pop();
    const key = "portal.problem." + slug;
    return slug && t(key) !== key ? t(key) : (error && error.message) || t("error.generic");
  }
  function word(prefix, value) {
    const key = prefix + value;
    return t(key) === key ? value : t(key);
  }
  const named = (zh, en) => (lang === "en" ? en || zh : zh || en);
  const role = () => (state.current ? state.current.mandate.role : "");
  const grantor = () => ["legal-representative", "licence-administrator"].includes(role());

  // Times in the hall's time zone, "2026-12-01 10:30" (sv-SE writes ISO-like dates).
  function when(iso, withTime = true) {
    if (!iso) return "";
    const options = { timeZone: state.zone, year: "numeric", month: "2-digit", day: "2-digit" };
    if (withTime) Object.assign(options, { hour: "2-digit", minute: "2-digit", hour12: false });
    return new Intl.DateTimeFormat("sv-SE", options).format(new Date(iso));
  }
  const today = (plusDays = 0) => when(new Date(Date.now() + plusDays * 864e5).toISOString(), false);
  // The end of a local day ("2026-12-31") in the hall's zone, as an ISO time with offset.
  function endOfDay(day) {
    const name = new Intl.DateTimeFormat("en-US", { timeZone: state.zone, timeZoneName: "longOffset" })
      .formatToParts(new Date(day + "T12:00:00Z")).find((p) => p.type === "timeZoneName");
    const offset = name && /GMT[+-]\d\d:\d\d/.test(name.value) ? name.value.slice(3) : "+08:00";
    return `${day}T23:59:59${offset}`;
  }

  // A read for the chosen entity; if another was chosen meanwhile, its answer is dropped.
  class Stale extends Error {}
  async function read(path) {
    const uscc = state.current && state.current.uscc;
    const answer = await call("GET", path);
    if (!state.current || state.current.uscc !== uscc) throw new Stale();
    return answer;
  }

  // Run an async step, showing a refusal in words in the section's alert line.
  async function guard(errorId, step) {
    const box = $(errorId);
    if (box) box.textContent = "";
    try { return await step(); } catch (e) {
      if (e instanceof Stale) return undefined;
      if (box) box.textContent = say(e); else CodeId.toast(say(e));
      return undefined;
    }
  }

  // One table row; cells are [label, content, class]; labels show when a phone stacks cells.
  function row(cells) {
    return el("tr", {}, cells.map(([label, content, cls]) =>
      el("td", cls ? { "data-label": label, class: cls } : { "data-label": label }, content)));
  }
  function fill(tbodyId, rows, columns) {
    const body = $(tbodyId);
    body.replaceChildren(...rows);
    if (!rows.length) body.append(el("tr", {}, el("td", { colspan: columns, class: "muted" }, t("common.none"))));
  }

  // ---- the dynamic code: refreshed LEAD_MS before it expires, with a countdown ----
  const code = { started: 0, life: 0, refreshAt: 0, busy: false };
  async function refreshCode() {
    if (code.busy || !state.current) return;
    code.busy = true;
    const uscc = state.current.uscc;
    $("dynamic-countdown").textContent = t("portal.dynamic.refreshing");
    $("dynamic-error").textContent = "";
    try {
      const issued = await call("POST", "/v1/me/codes", { uscc, image: "svg" });
      if (!state.current || state.current.uscc !== uscc) return;
      const img = $("dynamic-qr");
      img.src = issued.image;
      img.hidden = false;
      // Name the code only once its picture is painted, so what is named is what is shown.
      await img.decode().catch(() => {});
      img.dataset.codeId = issued.code_id;
      $("dynamic-id").textContent = issued.code_id;
      code.life = Date.parse(issued.expires_at) - Date.parse(issued.issued_at);
      code.started = Date.now(); // our clock, so a skewed phone clock does not matter
      code.refreshAt = code.started + Math.max(code.life - LEAD_MS, code.life / 2);
    } catch (e) {
      $("dynamic-error").textContent = say(e) + " · " + t("portal.dynamic.failed");
      code.refreshAt = Date.now() + 10000;
    } finally {
      code.busy = false;
      tick();
    }
  }
  function tick() {
    if (!state.current || code.busy) return;
    const now = Date.now();
    if (code.life && now >= code.started + code.life) $("dynamic-qr").hidden = true; // never show a dead code
    if (now >= code.refreshAt) {
      if (!document.hidden) refreshCode(); // no codes for a tab nobody looks at
      return;
    }
    const left = code.refreshAt - now;
    $("dynamic-countdown").textContent = fmt("portal.dynamic.countdown", { s: Math.ceil(left / 1000) });
    $("dynamic-life").value = Math.round((100 * left) / (code.refreshAt - code.started));
  }

  // ---- the static code: PNG / SVG download, or a print sheet ----
  async function staticImage(kind) {
    const uscc = state.current.uscc;
    const response = await call("GET", `/v1/entities/${uscc}/code.${kind}?kind=static`, null, { raw: true });
    return URL.createObjectURL(await response.blob());
  }
  async function download(kind) {
    const url = await staticImage(kind);
    const link = el("a", { href: url, download: `codeid-${state.current.uscc}.${kind}`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    CodeId.toast(t("portal.static.ready"));
  }
  async function printSheet() {
    const url = await staticImage("svg");
    const img = $("print-qr");
    await new Promise((done, failed) => {
      img.addEventListener("load", done, { once: true });
      img.addEventListener("error", failed, { once: true });
      img.src = url;
    });
    img.alt = state.current.name;
    $("print-name").textContent = state.current.name;
    $("print-uscc").textContent = state.current.uscc;
    document.body.classList.add("printing");
    window.print();
  }
  window.addEventListener("afterprint", () => document.body.classList.remove("printing"));

  // ---- licences and tickets ----
  async function loadLicences() {
    const list = await read(`/v1/licences?holder=${encodeURIComponent(state.current.uscc)}`);
    fill("licence-rows", list.map((lic) => {
      const type = state.types[lic.type_code];
      const status = lic.effective_status || lic.status;
      return row([
        [t("portal.licence.type"), type ? named(type.name_zh, type.name_en) : lic.type_code],
        [t("portal.licence.number"), lic.licence_number],
        [t("portal.licence.issuer"), state.issuers[lic.issuer_uscc] || lic.issuer_uscc],
        [t("portal.licence.until"), lic.valid_until || t("portal.licence.forever")],
        [t("common.status"), word("portal.licence.status.", status), "status-" + status],
      ]);
    }), 5);
  }
  async function loadTickets() {
    const list = await read(`/v1/entities/${state.current.uscc}/tickets`);
    $("ticket-list").replaceChildren(...list.map((ticket) => {
      const lines = [];
      if (ticket.status === "waiting") {
        lines.push(`${t("portal.ticket.ahead")}: ${fmt("portal.ticket.people", { n: ticket.people_ahead })}`);
        lines.push(`${t("portal.ticket.wait")}: ${fmt("portal.ticket.minutes", { m: Math.ceil(ticket.estimated_wait_minutes) })}`);
      } else if (ticket.window_number && ["called", "serving"].includes(ticket.status)) {
        lines.push(fmt("portal.ticket.window", { w: ticket.window_number }));
      }
      return el("li", { class: "ticket", "data-number": ticket.number },
        el("strong", { class: "big" }, ticket.number),
        el("span", { class: "ticket-status status-" + ticket.status }, word("portal.ticket.status.", ticket.status)),
        lines.map((line) => el("span", {}, line)));
    }));
    if (!list.length) $("ticket-list").append(el("li", { class: "muted" }, t("portal.ticket.none")));
    state.openTickets = list.some((ticket) => OPEN_TICKETS.includes(ticket.status));
  }

  // ---- the entity I act for ----
  function choose(uscc) {
    const entity = state.entities.find((e) => e.uscc === uscc) || state.entities[0];
    state.current = entity;
    sessionStorage.setItem("codeid.portal.uscc", entity.uscc);
    $("entity-name").textContent = entity.name;
    $("entity-uscc").textContent = entity.uscc;
    $("entity-role").textContent = word("portal.role.", entity.mandate.role);
    $("entity-facts").hidden = false;
    $("portal-body").hidden = false;
    const agent = role() === "agent";
    $("static-tools").hidden = agent;
    $("static-agent").hidden = !agent;
    code.refreshAt = 0;
    code.life = 0;
    $("dynamic-qr").hidden = true;
    refreshCode();
    guard("licences-error", loadLicences);
    guard("tickets-error", loadTickets);
    loaders.forEach((load) => load(entity));
  }

  async function start() {
    const [entities, types, issuers, hall] = await Promise.all([
      call("GET", "/v1/me/entities"),
      call("GET", "/v1/licence-types").catch(() => []),
      call("GET", "/v1/issuers").catch(() => []),
      call("GET", "/v1/hall").catch(() => null),
    ]);
    types.forEach((type) => { state.types[type.code] = type; });
    issuers.forEach((issuer) => { state.issuers[issuer.uscc] = issuer.name; });
    state.hall = hall;
    if (hall && hall.timezone) state.zone = hall.timezone;
    state.entities = entities;
    if (!entities.length) { $("entity-none").hidden = false; return; }
    const select = $("entity-select");
    select.replaceChildren(...entities.map((e) => el("option", { value: e.uscc }, `${e.name} (${e.uscc})`)));
    $("entity-pick").hidden = entities.length < 2;
    const kept = sessionStorage.getItem("codeid.portal.uscc");
    select.value = entities.some((e) => e.uscc === kept) ? kept : entities[0].uscc;
    select.addEventListener("change", () => choose(select.value));
    choose(select.value);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("dynamic-refresh").addEventListener("click", refreshCode);
    $("static-png").addEventListener("click", () => guard("static-error", () => download("png")));
    $("static-svg").addEventListener("click", () => guard("static-error", () => download("svg")));
    $("static-print").addEventListener("click", () => guard("static-error", printSheet));
    $("tickets-refresh").addEventListener("click", () => guard("tickets-error", loadTickets));
    setInterval(tick, 1000);
    // Follow the queue while we hold a ticket (each read is in our access log: no idle polling).
    setInterval(() => {
      if (state.current && state.openTickets && !document.hidden) guard("tickets-error", loadTickets);
    }, 30000);
    document.addEventListener("visibilitychange", tick);
    CodeId.requireRole(() => guard("dynamic-error", start));
  });

  return { state, $, t, fmt, say, word, named, when, today, endOfDay, read, guard, row, fill, role,
    grantor, refreshCode, loadTickets, on: (load) => loaders.push(load) };
})();
