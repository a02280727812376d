// Business portal: who acts for us (appoint, authorise, revoke), data sharing consents
// (grant, revoke) and who accessed our data.
"use strict";
(() => {
  const { $, t, fmt, word, named, when, today, endOfDay, read, guard, row, fill, role, grantor } = Portal;
  const { call, el, toast } = CodeId;
  const LIVE = ["in-force", "not-yet-valid"];
  let cursor = null;

  const uscc = () => Portal.state.current.uscc;
  const itemName = (code) => {
    const item = Portal.state.hall && Portal.state.hall.items.find((i) => i.code === code);
    return item ? named(item.name_zh, item.name_en) : code;
  };
  const typeName = (code) => {
    const type = Portal.state.types[code];
    return type ? named(type.name_zh, type.name_en) : code;
  };
  function revokeButton(label, question, onConfirm) {
    return el("button", { type: "button", class: "danger", onclick: () => {
      if (window.confirm(question)) onConfirm();
    } }, label);
  }

  // ---- mandates ----
  function mayRevoke(mandate) {
    if (!LIVE.includes(mandate.state)) return false;
    if (role() === "legal-representative") return mandate.role !== "legal-representative";
    return role() === "licence-administrator" && mandate.role === "agent";
  }
  async function loadMandates() {
    const list = await read(`/v1/entities/${uscc()}/mandates`);
    fill("mandate-rows", list.map((m) => {
      const name = m.display_name || m.username;
      const until = m.valid_until ? when(m.valid_until, false) : t("portal.licence.forever");
      return row([
        [t("portal.mandate.holder"), `${name} (${m.username})`],
        [t("portal.mandate.role"), word("portal.role.", m.role)],
        [t("portal.mandate.term"), `${when(m.valid_from, false)} – ${until}`],
        [t("portal.mandate.scope"), m.scope.length ? m.scope.map(itemName).join("、") : t("portal.mandate.all")],
        [t("common.status"), word("portal.mandate.state.", m.state), "state-" + m.state],
        ["", mayRevoke(m) ? revokeButton(t("common.revoke"), fmt("portal.mandate.confirm-revoke", { name }),
          () => revokeMandate(m)) : ""],
      ]);
    }), 6);
  }
  async function revokeMandate(mandate) {
    await guard("mandates-error", async () => {
      await call("POST", `/v1/mandates/${mandate.id}/revoke`, { reason: "", include_agents: false });
      toast(t("portal.mandate.revoked"));
      await loadMandates();
    });
  }
  async function appoint(event) {
    event.preventDefault();
    const form = event.target;
    await guard("mandates-error", async () => {
      await call("POST", `/v1/entities/${uscc()}/administrators`, { username: form.username.value.trim() });
      toast(t("portal.mandate.appointed"));
      form.reset();
      await loadMandates();
    });
  }
  async function authorise(event) {
    event.preventDefault();
    const form = event.target;
    const scope = [...form.querySelectorAll("input[name=scope]:checked")].map((box) => box.value);
    await guard("mandates-error", async () => {
      await call("POST", `/v1/entities/${uscc()}/agents`, {
        username: form.username.value.trim(), scope, valid_until: endOfDay(form.until.value),
      });
      toast(t("portal.mandate.authorised"));
      form.reset();
      form.until.value = today(30);
      await loadMandates();
    });
  }

  // ---- consents ----
  async function loadConsents() {
    const list = await read(`/v1/entities/${uscc()}/consents`);
    fill("consent-rows", list.map((c) => row([
      [t("portal.consent.partner"), c.partner_name],
      [t("portal.consent.types"), c.licence_types.map(typeName).join("、")],
      [t("portal.consent.expires"), when(c.expires_at, false)],
      [t("portal.consent.purpose"), c.purpose],
      [t("common.status"), word("portal.consent.state.", c.state), "state-" + c.state],
      ["", grantor() && c.state === "active" ? revokeButton(t("common.revoke"),
        fmt("portal.consent.confirm-revoke", { name: c.partner_name }), () => revokeConsent(c)) : ""],
    ])), 6);
  }
  async function revokeConsent(consent) {
    await guard("consents-error", async () => {
      await call("POST", `/v1/entities/${uscc()}/consents/${consent.id}/revoke`);
      toast(t("portal.consent.revoked"));
      await loadConsents();
    });
  }
  async function loadPartners() {
    const partners = await call("GET", "/v1/partners");
    const select = $("consent-partner");
    select.replaceChildren(...partners.map((p) => el("option", { value: p.client_id }, p.name)));
    if (!partners.length) select.append(el("option", { value: "" }, t("portal.consent.no-partners")));
  }
  async function grant(event) {
    event.preventDefault();
    const types = [...document.querySelectorAll("#consent-types input:checked")].map((box) => box.value);
    if (!types.length) { $("consents-error").textContent = t("portal.consent.pick-types"); return; }
    await guard("consents-error", async () => {
      await call("POST", `/v1/entities/${uscc()}/consents`, {
        client_id: $("consent-partner").value, licence_types: types,
        expires_at: endOfDay($("consent-until").value), purpose: $("consent-purpose").value.trim(),
      });
      toast(t("portal.consent.granted"));
      event.target.reset();
      $("consent-until").value = today(365);
      await loadConsents();
    });
  }

  // ---- who accessed our data ----
  function who(entry) {
    const kind = word("portal.actor.", entry.actor_kind);
    const name = entry.actor_name || (entry.actor_kind === "anonymous" ? "" : entry.actor);
    const roleWord = entry.actor_role ? word("portal.who.", entry.actor_role) : "";
    return [name || kind, roleWord && roleWord !== name ? ` (${roleWord})` : ""].join("");
  }
  // Field names only (never values); folded, as a licence read names dozens.
  function fieldList(fields) {
    if (!fields.length) return "—";
    return el("details", {}, el("summary", {}, fmt("portal.access.n-fields", { n: fields.length })),
      el("span", { class: "fields-list" }, fields.join(", ")));
  }
  async function loadAccess(more = false) {
    const query = more && cursor ? `&cursor=${cursor}` : "";
    const page = await read(`/v1/entities/${uscc()}/access-log?limit=10${query}`);
    const rows = page.items.map((e) => row([
      [t("portal.access.at"), when(e.at)],
      [t("portal.access.who"), who(e)],
      [t("portal.access.what"), word("portal.action.", e.action) + (e.purpose ? ` · ${e.purpose}` : "")],
      [t("portal.access.fields"), fieldList(e.fields)],
      [t("portal.access.outcome"), e.outcome === "ok" ? t("portal.access.ok") : `${t("portal.access.refused")} (${e.outcome})`,
        e.outcome === "ok" ? "ok" : "bad"],
    ]));
    if (more) $("access-rows").append(...rows); else fill("access-rows", rows, 5);
    cursor = page.next_cursor;
    $("access-more").hidden = !cursor;
  }

  let ready = false;
  Portal.on(() => {
    if (!ready) {
      ready = true;
      $("admin-form").addEventListener("submit", appoint);
      $("agent-form").addEventListener("submit", authorise);
      $("consent-form").addEventListener("submit", grant);
      $("access-more").addEventListener("click", () => guard("access-error", () => loadAccess(true)));
      $("consent-types").replaceChildren(...Object.values(Portal.state.types).map((type) =>
        el("label", { class: "check" }, el("input", { type: "checkbox", value: type.code }), " ",
          named(type.name_zh, type.name_en))));
    }
    $("admin-form").hidden = role() !== "legal-representative";
    $("agent-form").hidden = !grantor();
    $("consent-form").hidden = !grantor();
    $("agent-until").min = today(1);
    $("agent-until").value = today(30);
    $("consent-until").min = today(1);
    $("consent-until").value = today(365);
    cursor = null;
    guard("mandates-error", loadMandates);
    guard("consents-error", loadConsents);
    if (grantor()) guard("consents-error", loadPartners);
    guard("access-error", () => loadAccess(false));
  });
})();
