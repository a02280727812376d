// Administration: hall set-up (JSON, checked by the server as a whole), users, partner
// clients (the secret shown once), signing-key rotation, access-log search and chain check.
"use strict";
(() => {
  const { t, el, call, toast } = CodeId;
  const $ = (id) => document.getElementById(id);
  const locale = () => (document.body.dataset.lang === "en" ? "en-GB" : "zh-CN");
  const when = (iso) => (iso ? new Date(iso).toLocaleString(locale(), { hour12: false }) : "");
  const fill = (text, values) => Object.entries(values)
    .reduce((out, [k, v]) => out.replaceAll("{" + k + "}", v), text);
  let logCursor = null;
  // The API commits a change just after it answers, so a read sent at once may not see it
  // yet: lists are updated from the write's own answer rather than read again.
  let users = [];
  let clients = [];
  let keys = [];
  const upsert = (list, item, key) => {
    const at = list.findIndex((x) => x[key] === item[key]);
    if (at >= 0) list[at] = item; else list.push(item);
  };

  // A refusal in words: this page's sentence for the problem type first, else api.js's.
  function explain(error) {
    const slug = ((error.problem && error.problem.type) || "").split(":").pop();
    const own = t("admin.problem." + slug);
    return own === "admin.problem." + slug ? error.message : own;
  }

  // Ask with the page's <dialog>; resolves true when confirmed.
  function confirmed(text) {
    const dialog = $("confirm-dialog");
    $("confirm-text").textContent = text;
    dialog.returnValue = "";
    dialog.showModal();
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
    });
  }

  const cell = (key, ...content) => el("td", { "data-label": t(key) }, ...content);

  // ---- Hall set-up -----------------------------------------------------------------------
  async function loadHall() {
    $("hall-error").replaceChildren();
    $("hall-result").textContent = "";
    try {
      $("hall-json").value = JSON.stringify(await call("GET", "/v1/hall"), null, 2);
    } catch (e) {
      $("hall-json").value = "";
      $("hall-result").textContent = t("admin.hall.none");
    }
  }

  async function saveHall(event) {
    event.preventDefault();
    const box = $("hall-error");
    box.replaceChildren();
    $("hall-result").textContent = "";
    let doc;
    try {
      doc = JSON.parse($("hall-json").value);
    } catch (e) {
      box.append(el("p", {}, t("admin.hall.json") + e.message));
      return;
    }
    try {
      const saved = await call("PUT", "/v1/hall", doc);
      $("hall-result").textContent = fill(t("admin.hall.summary"), saved);
    } catch (e) {
      const slug = ((e.problem && e.problem.type) || "").split(":").pop();
      box.append(el("p", {}, explain(e)));
      if (slug === "hall-invalid" && e.problem.detail) {
        // The detail lists every problem with the path of the bad element, "; " between.
        const problems = e.problem.detail.replace(/^[^:]*:\s*/, "").split("; ");
        box.append(el("ul", { class: "problems" }, problems.map((p) => el("li", {}, p))));
      }
    }
  }

  // ---- Users -----------------------------------------------------------------------------
  function parseWindows(text) {
    const numbers = new Set();
    for (const part of text.split(/[,，\s]+/).filter(Boolean)) {
      const range = part.match(/^(\d+)(?:-(\d+))?$/);
      if (!range) return null;
      const [from, to] = [Number(range[1]), Number(range[2] || range[1])];
      if (from < 1 || to < from || to - from > 500) return null;
      for (let n = from; n <= to; n += 1) numbers.add(n);
    }
    return [...numbers];
  }

  function showRoleBoxes() {
    const role = $("user-role").value;
    $("user-issuer-box").hidden = role !== "issuer";
    $("user-windows-box").hidden = role !== "clerk";
    $("user-issuer").required = role === "issuer";
    $("user-windows").required = role === "clerk";
  }

  async function addUser(event) {
    event.preventDefault();
    const form = event.target;
    $("user-error").textContent = "";
    const role = $("user-role").value;
    const body = {
      username: $("user-username").value.trim(),
      display_name: $("user-display").value.trim(),
      role,
      password: $("user-password").value,
    };
    if (role === "issuer") body.issuer_uscc = $("user-issuer").value;
    if (role === "clerk") {
      const windows = parseWindows($("user-windows").value);
      if (!windows || !windows.length) {
        $("user-error").textContent = t("admin.users.windows.bad");
        return;
      }
      body.windows = windows;
    }
    try {
      const user = await call("POST", "/v1/users", body);
      toast(t("admin.users.added") + user.username);
      form.reset();
      showRoleBoxes();
      upsert(users, user, "id");
      renderUsers();
    } catch (e) {
      $("user-error").textContent = explain(e);
    }
  }

  async function setUserStatus(user, status) {
    try {
      upsert(users, await call("PATCH", `/v1/users/${user.id}`, { status }), "id");
      toast(t(status === "disabled" ? "admin.users.disabled" : "admin.users.enabled"));
      renderUsers();
    } catch (e) {
      toast(explain(e));
    }
  }

  async function loadUsers() {
    users = await call("GET", "/v1/users");
    renderUsers();
  }

  function renderUsers() {
    const role = $("user-filter").value;
    const me = CodeId.user();
    const shown = users.filter((u) => !role || u.role === role);
    $("user-body").replaceChildren(...shown.map((u) => {
      const next = u.status === "active" ? "disabled" : "active";
      const label = t(next === "disabled" ? "admin.users.disable" : "admin.users.enable");
      const button = me && me.id === u.id ? null : el("button", {
        type: "button", class: next === "disabled" ? "danger small" : "secondary small",
        "aria-label": label + " " + u.username, onclick: () => setUserStatus(u, next),
      }, label);
      return el("tr", { "data-username": u.username },
        cell("admin.col.username", el("span", { class: "mono" }, u.username)),
        cell("admin.col.name", u.display_name),
        cell("admin.col.role", t("admin.role." + u.role)),
        cell("admin.col.issuer", u.issuer_uscc || ""),
        cell("admin.col.status", el("span", { class: "status-" + u.status }, t("admin.status." + u.status))),
        cell("admin.col.actions", button));
    }));
  }

  async function loadIssuers() {
    const issuers = await call("GET", "/v1/issuers");
    $("user-issuer").replaceChildren(...issuers.map((i) =>
      el("option", { value: i.uscc }, i.name + " (" + i.uscc + ")")));
  }

  // ---- Partner clients -------------------------------------------------------------------
  async function addClient(event) {
    event.preventDefault();
    const form = event.target;
    $("client-error").textContent = "";
    const scopes = [...form.querySelectorAll("input[name=scope]:checked")].map((box) => box.value);
    if (!scopes.length) { $("client-error").textContent = t("admin.clients.none_scope"); return; }
    try {
      const made = await call("POST", "/v1/clients", {
        name: $("client-name").value.trim(), scopes,
        rate_limit_per_minute: Number($("client-rate").value),
      });
      $("secret-client-id").textContent = made.client_id;
      $("secret-value").textContent = made.client_secret || "";
      $("secret-box").hidden = false;
      $("secret-box").focus();
      form.reset();
      const { client_secret: _, ...shown } = made; // the secret goes in the box only
      upsert(clients, shown, "client_id");
      renderClients();
    } catch (e) {
      $("client-error").textContent = explain(e);
    }
  }

  function forgetSecret() {
    $("secret-value").textContent = "";
    $("secret-client-id").textContent = "";
    $("secret-box").hidden = true;
    $("client-name").focus();
  }

  async function copySecret() {
    try {
      await navigator.clipboard.writeText($("secret-value").textContent);
      toast(t("admin.clients.copied"));
    } catch (e) {
      window.getSelection().selectAllChildren($("secret-value")); // copy by hand
    }
  }

  async function disableClient(client) {
    if (!(await confirmed(t("admin.clients.disable") + ": " + client.name + "?"))) return;
    try {
      const path = `/v1/clients/${encodeURIComponent(client.client_id)}/disable`;
      upsert(clients, await call("POST", path), "client_id");
      toast(t("admin.clients.disabled"));
      renderClients();
    } catch (e) {
      toast(explain(e));
    }
  }

  async function loadClients() {
    clients = await call("GET", "/v1/clients");
    renderClients();
  }

  function renderClients() {
    $("client-body").replaceChildren(...clients.map((c) => el("tr", { "data-client": c.client_id },
      cell("admin.clients.name", c.name),
      cell("admin.col.client_id", el("span", { class: "mono" }, c.client_id)),
      cell("admin.col.scopes", c.scopes.map((s) => t("admin.scope." + s)).join("、")),
      cell("admin.col.rate", String(c.rate_limit_per_minute)),
      cell("admin.col.status", el("span", { class: "status-" + c.status }, t("admin.status." + c.status))),
      cell("admin.col.actions", c.status === "active" ? el("button", {
        type: "button", class: "danger small", "aria-label": t("admin.clients.disable") + " " + c.name,
        onclick: () => disableClient(c),
      }, t("admin.clients.disable")) : null))));
  }

  // ---- Signing keys ----------------------------------------------------------------------
  async function rotate(ring) {
    const name = t("admin.ring." + ring);
    if (!(await confirmed(fill(t("admin.keys.confirm"), { ring: name })))) return;
    $("keys-error").textContent = "";
    try {
      const key = await call("POST", "/v1/keys/rotate", { ring });
      toast(t("admin.keys.rotated") + key.kid);
      for (const old of keys) {
        if (old.ring === ring && old.status === "active") {
          Object.assign(old, { status: "verify-only", rotated_at: key.created_at });
        }
      }
      keys.push(key);
      renderKeys();
    } catch (e) {
      $("keys-error").textContent = explain(e);
    }
  }

  async function loadKeys() {
    keys = await call("GET", "/v1/keys");
    renderKeys();
  }

  function renderKeys() {
    $("key-rings").replaceChildren(...["platform", "auth"].map((ring) => {
      const rows = keys.filter((k) => k.ring === ring).reverse(); // newest first
      return el("section", { class: "ring", "data-ring": ring, "aria-labelledby": "ring-" + ring },
        el("h3", { id: "ring-" + ring }, t("admin.ring." + ring)),
        el("div", { class: "table-wrap" }, el("table", { class: "stack" },
          el("thead", {}, el("tr", {}, ["admin.col.kid", "admin.col.status", "admin.col.created",
            "admin.col.rotated"].map((key) => el("th", { scope: "col" }, t(key))))),
          el("tbody", {}, rows.map((k) => el("tr", { "data-kid": k.kid },
            cell("admin.col.kid", el("span", { class: "mono" }, k.kid)),
            cell("admin.col.status", el("span", { class: "status-" + k.status }, t("admin.key." + k.status))),
            cell("admin.col.created", when(k.created_at)),
            cell("admin.col.rotated", when(k.rotated_at))))))),
        el("button", { type: "button", class: "secondary", "data-rotate": ring,
          onclick: () => rotate(ring) }, t("admin.keys.rotate") + " · " + t("admin.ring." + ring)));
    }));
  }

  // ---- Access log ------------------------------------------------------------------------
  function logRow(entry) {
    const actor = entry.actor_name ? entry.actor_name + " (" + entry.actor + ")" : entry.actor;
    return el("tr", { "data-id": entry.id },
      cell("admin.col.at", when(entry.at)),
      cell("admin.col.actor", actor, el("br"), el("span", { class: "muted small" }, entry.actor_role)),
      cell("admin.col.action", el("span", { class: "mono" }, entry.action)),
      cell("admin.col.subject", el("span", { class: "mono" }, entry.subject_uscc || ""),
        entry.resource ? el("span", { class: "muted small" }, " " + entry.resource) : null),
      cell("admin.col.fields", el("span", { class: "small" }, entry.fields.join(", "))),
      cell("admin.col.outcome", el("span", { class: entry.outcome === "ok" ? "ok" : "bad" }, entry.outcome)),
      cell("admin.col.purpose", [entry.purpose, entry.on_behalf_of].filter(Boolean).join(" · ")));
  }

  async function searchLog(fresh) {
    const params = new URLSearchParams({ limit: "50" });
    for (const name of ["uscc", "actor", "action", "outcome"]) {
      const value = $("log-" + name).value.trim(); // by id: a form's "action" is its own
      if (value) params.set(name, value);
    }
    for (const name of ["since", "until"]) {
      const value = $("log-" + name).value;
      if (value) params.set(name, new Date(value).toISOString());
    }
    if (!fresh && logCursor) params.set("cursor", logCursor);
    $("log-error").textContent = "";
    try {
      const page = await call("GET", "/v1/access-log?" + params);
      const rows = page.items.map(logRow);
      if (fresh) $("log-body").replaceChildren(...rows);
      else $("log-body").append(...rows);
      logCursor = page.next_cursor;
      $("log-more").hidden = !logCursor;
      $("log-empty").hidden = $("log-body").children.length > 0;
    } catch (e) {
      $("log-error").textContent = explain(e);
    }
  }

  async function verifyChain() {
    const out = $("log-chain");
    out.className = "";
    out.textContent = t("common.loading");
    try {
      const report = await call("GET", "/v1/access-log/verify");
      out.className = report.intact ? "ok" : "bad";
      out.textContent = report.intact
        ? fill(t("admin.log.intact"), { n: report.checked })
        : fill(t("admin.log.broken"), { id: report.first_broken_id, reason: report.reason });
    } catch (e) {
      out.className = "bad";
      out.textContent = explain(e);
    }
  }

  async function start() {
    showRoleBoxes();
    const loads = [loadHall(), loadIssuers(), loadUsers(), loadClients(), loadKeys(), searchLog(true)];
    const results = await Promise.allSettled(loads);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) toast(explain(failed.reason));
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("hall-form").addEventListener("submit", saveHall);
    $("hall-reload").addEventListener("click", loadHall);
    $("user-role").addEventListener("change", showRoleBoxes);
    $("user-form").addEventListener("submit", addUser);
    $("user-filter").addEventListener("change", renderUsers);
    $("client-form").addEventListener("submit", addClient);
    $("secret-copy").addEventListener("click", copySecret);
    $("secret-done").addEventListener("click", forgetSecret);
    $("log-form").addEventListener("submit", (e) => { e.preventDefault(); searchLog(true); });
    $("log-more").addEventListener("click", () => searchLog(false));
    $("log-verify").addEventListener("click", verifyChain);
    CodeId.requireRole(() => start());
  });
})();
