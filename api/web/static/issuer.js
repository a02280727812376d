// The issuer desk: issue licences of the types the department is trusted for (the form is
// built from the type's field schema), list the department's own licences, change them.
"use strict";
(() => {
  const { t, el, call } = CodeId;
  const $ = (id) => document.getElementById(id);
  const en = () => document.body.dataset.lang === "en";
  let types = {}; // code -> licence type (catalogue entry with its field schema)
  let cursor = null;
  let pending = null; // the dialog's action: { kind, licence }

  // A refusal in words: the desk's own sentence first, with the server's detail where it
  // names what to fix (field problems), else the common words from api.js.
  function explain(error) {
    const slug = ((error.problem && error.problem.type) || "").split(":").pop();
    const own = CodeId.t("issuer.problem." + slug);
    if (own === "issuer.problem." + slug) return error.message;
    if (slug === "licence-fields-invalid" && error.problem.detail) {
      return own + error.problem.detail.replace(/^[^:]*:\s*/, "");
    }
    return own;
  }

  const typeName = (code) => {
    const type = types[code];
    return type ? (en() ? type.name_en : type.name_zh) : code;
  };
  const statusWord = (status) => t("issuer.status." + status);

  // One input for one field of the schema (see credentials.catalogue.FieldSpec.as_json).
  function fieldInput(spec, id, value) {
    const attrs = { id, name: spec.name, required: spec.required };
    const text = value === undefined || value === null ? "" : String(value);
    if (spec.type === "enum" || spec.type === "boolean") {
      const choices = spec.type === "enum"
        ? spec.options.map((o) => [o, o])
        : [["true", t("issuer.yes")], ["false", t("issuer.no")]];
      const blank = el("option", { value: "" }, spec.required ? t("issuer.choose") : t("issuer.unset"));
      return el("select", attrs, blank,
        choices.map(([v, label]) => el("option", { value: v, selected: v === text }, label)));
    }
    if (spec.type === "string" && (spec.max_length || 0) > 300) {
      const area = el("textarea", { ...attrs, rows: 3, maxlength: spec.max_length });
      area.value = text;
      return area;
    }
    const kind = { date: "date", integer: "number", number: "number" }[spec.type] || "text";
    const input = el("input", { ...attrs, type: kind, autocomplete: "off",
      maxlength: spec.type === "string" ? spec.max_length : null,
      pattern: spec.pattern ? spec.pattern.replace(/^\^|\$$/g, "") : null,
      step: spec.type === "number" ? "any" : (spec.type === "integer" ? "1" : null) });
    input.value = text;
    return input;
  }

  function fieldBox(spec, prefix, value) {
    const id = prefix + spec.name;
    const label = el("label", { for: id }, en() ? spec.label_en : spec.label_zh,
      spec.required ? el("span", { class: "req" }, " *", el("span", { class: "visually-hidden" },
        t("issuer.required"))) : null);
    return el("div", {}, label, fieldInput(spec, id, value));
  }

  // The form's value of one field, typed as the schema says; undefined when left empty.
  function readField(spec, node) {
    const raw = node.value.trim();
    if (raw === "") return undefined;
    if (spec.type === "boolean") return raw === "true";
    if (spec.type === "integer" || spec.type === "number") return Number(raw);
    return raw;
  }

  function showType() {
    const type = types[$("issue-type").value];
    if (!type) return;
    $("issue-number-label").textContent = en() ? t("issuer.number") : type.number_label_zh;
    const number = $("issue-number");
    if (type.number_pattern) {
      // The browser refuses a number of the wrong form before sending; the title says which.
      number.pattern = type.number_pattern.replace(/^\^|\$$/g, "");
      number.title = t("issuer.number.form") + ": " + type.number_pattern;
    } else {
      number.removeAttribute("pattern");
      number.removeAttribute("title");
    }
    $("issue-fields").replaceChildren(...type.fields.map((spec) => fieldBox(spec, "f-")));
  }

  async function issue(event) {
    event.preventDefault();
    const form = event.target;
    const type = types[form.licence_type.value];
    $("issue-error").textContent = "";
    $("issue-result").textContent = "";
    const fields = {};
    for (const spec of type.fields) {
      const value = readField(spec, $("f-" + spec.name));
      if (value !== undefined) fields[spec.name] = value;
    }
    const body = {
      licence_type: type.code,
      holder_uscc: form.holder_uscc.value.trim().toUpperCase(),
      licence_number: form.licence_number.value.trim(),
      fields,
      valid_from: form.valid_from.value || null,
      valid_until: form.valid_until.value || null,
    };
    $("issue-submit").disabled = true;
    try {
      const licence = await call("POST", "/v1/licences", body);
      $("issue-result").textContent = t("issuer.issued") + licence.identifier;
      form.licence_number.value = "";
      if (listed(licence)) {
        $("list-body").prepend(row(licence));
        $("list-empty").hidden = true;
      }
    } catch (e) {
      $("issue-error").textContent = explain(e);
    } finally {
      $("issue-submit").disabled = false;
    }
  }

  function holderName(licence) {
    const name = licence.fields.name || licence.fields.operator_name || "";
    return el("span", {}, name ? el("span", {}, name, el("br")) : null,
      el("span", { class: "muted mono" }, licence.holder_uscc));
  }

  function actionsFor(licence) {
    const kinds = { valid: ["amend", "suspend", "revoke"], suspended: ["resume", "revoke"] };
    return (kinds[licence.status] || []).map((kind) => el("button", {
      type: "button", class: kind === "revoke" ? "danger small" : "secondary small",
      "data-action": kind, onclick: () => openDialog(kind, licence),
      "aria-label": t("issuer.action." + kind) + " " + licence.licence_number,
    }, t("issuer.action." + kind)));
  }

  function row(licence) {
    const until = licence.valid_until || t("issuer.open_ended");
    return el("tr", { "data-identifier": licence.identifier, "data-number": licence.licence_number },
      el("td", { "data-label": t("issuer.col.number") }, el("span", { class: "mono" }, licence.licence_number),
        el("br"), el("span", { class: "muted small" },
          t("issuer.version").replace("{v}", licence.version))),
      el("td", { "data-label": t("issuer.col.type") }, typeName(licence.type_code)),
      el("td", { "data-label": t("issuer.col.holder") }, holderName(licence)),
      el("td", { "data-label": t("issuer.col.valid") }, licence.valid_from + " – " + until),
      el("td", { "data-label": t("issuer.col.status") },
        el("span", { class: "status status-" + licence.effective_status },
          statusWord(licence.effective_status))),
      el("td", { "data-label": t("issuer.col.actions") }, el("div", { class: "row" }, actionsFor(licence))));
  }

  // Whether a licence just issued belongs in the list as filtered now. (The API commits just
  // after answering, so the list is updated from the answer rather than read again.)
  function listed(licence) {
    const filter = $("list-filter");
    const holder = filter.holder.value.trim().toUpperCase();
    return ["current", "valid"].includes(filter.status.value)
      && (!filter.licence_type.value || filter.licence_type.value === licence.type_code)
      && (!holder || holder === licence.holder_uscc);
  }

  async function loadList(fresh) {
    const filter = $("list-filter");
    const params = new URLSearchParams({ status: filter.status.value, limit: "25" });
    if (filter.licence_type.value) params.set("licence_type", filter.licence_type.value);
    const holder = filter.holder.value.trim();
    if (holder) params.set("holder", holder);
    if (!fresh && cursor) params.set("cursor", cursor);
    $("list-error").textContent = "";
    try {
      const page = await call("GET", "/v1/issuers/me/licences?" + params);
      const rows = page.items.map(row);
      if (fresh) $("list-body").replaceChildren(...rows);
      else $("list-body").append(...rows);
      cursor = page.next_cursor;
      $("list-more").hidden = !cursor;
      $("list-empty").hidden = $("list-body").children.length > 0;
    } catch (e) {
      $("list-error").textContent = explain(e);
    }
  }

  function openDialog(kind, licence) {
    pending = { kind, licence };
    $("action-title").textContent = t("issuer.dialog." + kind);
    $("action-licence").textContent = typeName(licence.type_code) + " · " + licence.licence_number;
    $("action-reason-label").textContent = t(kind === "resume" ? "issuer.reason.optional" : "issuer.reason");
    $("action-reason").value = "";
    $("action-reason").required = kind !== "resume";
    $("action-error").textContent = "";
    const type = types[licence.type_code];
    const boxes = kind === "amend" && type
      ? [...type.fields.map((spec) => fieldBox(spec, "a-", licence.fields[spec.name])),
        fieldBox({ name: "valid_until", type: "date", required: false,
          label_zh: "有效期至", label_en: "Valid until" }, "a-", licence.valid_until)]
      : [];
    $("action-fields").replaceChildren(...boxes);
    $("action-dialog").showModal();
    (kind === "amend" && boxes.length ? boxes[0].querySelector("input,select,textarea")
      : $("action-reason")).focus();
  }

  // An amendment sends only what changed; an emptied optional field is removed (null).
  function amendment(licence) {
    const type = types[licence.type_code];
    const fields = {};
    for (const spec of type.fields) {
      const value = readField(spec, $("a-" + spec.name));
      const before = licence.fields[spec.name];
      if (String(value ?? "") !== String(before ?? "")) fields[spec.name] = value ?? null;
    }
    const until = $("a-valid_until").value || null;
    const body = { fields, reason: $("action-reason").value.trim() };
    if (until && until !== licence.valid_until) body.valid_until = until;
    return Object.keys(fields).length || body.valid_until ? body : null;
  }

  async function confirmAction(event) {
    event.preventDefault();
    const { kind, licence } = pending;
    const reason = $("action-reason").value.trim();
    $("action-error").textContent = "";
    if (kind !== "resume" && !reason) {
      $("action-error").textContent = t("issuer.reason") + ": " + t("problem.validation");
      $("action-reason").focus();
      return;
    }
    let body = { reason };
    if (kind === "amend") {
      body = amendment(licence);
      if (!body) { $("action-error").textContent = t("issuer.unchanged"); return; }
    }
    $("action-confirm").disabled = true;
    try {
      const changed = await call("POST", `/v1/licences/${encodeURIComponent(licence.identifier)}/${kind}`, body);
      $("action-dialog").close();
      CodeId.toast(t("issuer.done." + kind) + (kind === "amend" ? changed.identifier : ""));
      // An amendment's new version takes the old one's place in the list.
      const old = $("list-body").querySelector(`tr[data-identifier="${CSS.escape(licence.identifier)}"]`);
      if (old) {
        const fresh = row(changed);
        old.replaceWith(fresh);
        (fresh.querySelector("button") || $("list-title")).focus(); // keep keyboard users here
      }
    } catch (e) {
      $("action-error").textContent = explain(e);
    } finally {
      $("action-confirm").disabled = false;
    }
  }

  async function start(user) {
    const [catalogue, trust] = await Promise.all([
      call("GET", "/v1/licence-types"), call("GET", "/v1/trust-list")]);
    types = Object.fromEntries(catalogue.map((type) => [type.code, type]));
    const me = trust.issuers.find((i) => i.uscc === user.issuer_uscc);
    $("dept-name").textContent = me ? me.name : user.display_name;
    $("dept-uscc").textContent = user.issuer_uscc || "";
    const trusted = me ? [...new Set(me.grants.map((g) => g.licence_type))].filter((c) => types[c]) : [];
    $("dept-types").textContent = trusted.map(typeName).join("、") || t("common.none");
    $("dept-untrusted").hidden = trusted.length > 0;
    $("issue").hidden = trusted.length === 0;
    $("issue-type").replaceChildren(...trusted.map((c) => el("option", { value: c }, typeName(c))));
    $("list-type").append(...Object.keys(types).map((c) => el("option", { value: c }, typeName(c))));
    showType();
    await loadList(true);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("issue-type").addEventListener("change", showType);
    $("issue-form").addEventListener("submit", issue);
    $("list-filter").addEventListener("submit", (e) => { e.preventDefault(); loadList(true); });
    $("list-more").addEventListener("click", () => loadList(false));
    $("action-form").addEventListener("submit", confirmAction);
    $("action-cancel").addEventListener("click", () => $("action-dialog").close());
    CodeId.requireRole((user) => start(user).catch((e) => CodeId.toast(explain(e))));
  });
})();
