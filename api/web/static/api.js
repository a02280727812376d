// The pages' one client of the JSON API: sign-in, tokens, fetch with refresh, words.
"use strict";
const CodeId = (() => {
  const words = JSON.parse(document.getElementById("i18n").textContent);
  const t = (key) => words[key] || key;
  const store = window.sessionStorage;
  let refreshing = null;

  function tokens() {
    return { access: store.getItem("codeid.access"), refresh: store.getItem("codeid.refresh") };
  }
  function keep(pair) {
    store.setItem("codeid.access", pair.access_token);
    store.setItem("codeid.refresh", pair.refresh_token);
    store.setItem("codeid.user", JSON.stringify(pair.user));
  }
  function forget() {
    ["codeid.access", "codeid.refresh", "codeid.user"].forEach((k) => store.removeItem(k));
  }
  function user() {
    const raw = store.getItem("codeid.user");
    return raw ? JSON.parse(raw) : null;
  }

  // A problem document (RFC 9457) in words: the type's slug picks a sentence.
  function explain(problem) {
    if (!problem) return t("error.generic");
    const slug = (problem.type || "").split(":").pop();
    const reason = problem.reason ? "problem.code-" + problem.reason : null;
    return words["problem." + slug] || (reason && words[reason]) || problem.detail || t("error.generic");
  }

  class ApiError extends Error {
    constructor(problem, status) {
      super(explain(problem));
      this.problem = problem;
      this.status = status;
    }
  }

  async function refresh() {
    const { refresh: token } = tokens();
    if (!token) return false;
    if (!refreshing) {
      refreshing = fetch("/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: token }),
      }).then(async (r) => {
        if (!r.ok) { forget(); return false; }
        keep(await r.json());
        return true;
      }).finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  // fetch with the access token; on 401 refresh once and retry. Returns parsed JSON (or the
  // Response for non-JSON bodies); throws ApiError with words for a problem document.
  async function call(method, path, body, { raw = false, retry = true } = {}) {
    const headers = {};
    const { access } = tokens();
    if (access) headers.Authorization = "Bearer " + access;
    let payload = body;
    if (body && !(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, { method, headers, body: payload });
    } catch (e) {
      throw new ApiError({ detail: t("error.network") }, 0);
    }
    if (response.status === 401 && retry && tokens().refresh && (await refresh())) {
      return call(method, path, body, { raw, retry: false });
    }
    // The database was busy (503 with Retry-After: nothing was stored): try once more shortly.
    if (response.status === 503 && retry) {
      await new Promise((resolve) => setTimeout(resolve, 700));
      return call(method, path, body, { raw, retry: false });
    }
    if (!response.ok) {
      let problem = null;
      try { problem = await response.json(); } catch (e) { /* not JSON */ }
      throw new ApiError(problem, response.status);
    }
    if (raw) return response;
    if (response.status === 204) return null;
    const type = response.headers.get("content-type") || "";
    return type.includes("json") ? response.json() : response.text();
  }

  function toast(message) {
    const box = document.getElementById("toast");
    box.textContent = message;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.textContent = ""; }, 6000);
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child.nodeType ? child : String(child));
    }
    return node;
  }

  // Pages that need a role: show the sign-in form until a user of that role is signed in,
  // then call onReady(user).
  function requireRole(onReady) {
    const app = document.getElementById("app");
    const role = app.dataset.role;
    const box = document.getElementById("login");
    const who = document.getElementById("who");
    function ready(u) {
      box.hidden = true;
      app.hidden = false;
      who.hidden = false;
      document.getElementById("who-name").textContent = t("login.as") + ": " + u.display_name;
      onReady(u);
    }
    document.getElementById("logout").addEventListener("click", async () => {
      const { refresh: token } = tokens();
      if (token) {
        await fetch("/auth/logout", { method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ refresh_token: token }) }).catch(() => {});
      }
      forget();
      location.reload();
    });
    const current = user();
    if (current && current.role === role && tokens().access) { ready(current); return; }
    forget();
    box.hidden = false;
    document.getElementById("login-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const error = document.getElementById("login-error");
      error.textContent = "";
      try {
        const pair = await call("POST", "/auth/login",
          { username: form.username.value, password: form.password.value }, { retry: false });
        if (pair.user.role !== role) { error.textContent = t("problem.forbidden"); return; }
        keep(pair);
        ready(pair.user);
      } catch (e) {
        error.textContent = e.message;
      }
    });
  }

  return { t, call, explain, toast, el, requireRole, user, ApiError };
})();
