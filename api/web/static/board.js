// The display board: follows /v1/board/stream (server-sent events), shows each window's last
// numbers and the latest calls, flashes fresh ones and plays a chime once sound is enabled.
"use strict";
(() => {
  const { t, el } = CodeId;
  const $ = (id) => document.getElementById(id);
  const FRESH_MS = 12000; // how long a new call stays highlighted
  const seen = new Set(); // calls already shown: "number|window|action|at"
  let primed = false; // the first feed is history, not news: no chime for it
  let audio = null; // AudioContext, made on the user's click (browsers need a gesture)
  let source = null;
  let retry = 1000;

  const windowName = (n) => t("board.window").replace("{n}", n);
  const callKey = (c) => [c.number, c.window, c.action, c.at].join("|");

  // A two-note chime from an oscillator: no sound file to fetch.
  function chime() {
    if (!audio) return;
    const start = audio.currentTime + 0.05;
    [[880, 0], [660, 0.45]].forEach(([freq, offset]) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.4, start + offset + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.8);
      osc.connect(gain).connect(audio.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.85);
    });
  }

  function toggleSound() {
    const button = $("board-sound");
    if (audio && audio.state === "running") {
      audio.suspend();
      button.textContent = t("board.sound.on");
      button.setAttribute("aria-pressed", "false");
      return;
    }
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    audio.resume().then(chime);
    button.textContent = t("board.sound.off");
    button.setAttribute("aria-pressed", "true");
  }

  function renderLatest(recent, fresh) {
    const latest = recent[0];
    $("board-none").hidden = Boolean(latest);
    $("board-latest").hidden = !latest;
    if (!latest) return;
    $("board-latest-number").textContent = latest.number;
    $("board-latest-window").textContent = windowName(latest.window);
    $("board-latest").classList.toggle("fresh", fresh.has(callKey(latest)));
  }

  function renderRecent(recent, fresh) {
    $("board-recent-none").hidden = recent.length > 1;
    $("board-recent").replaceChildren(...recent.slice(1).map((c) => el("li",
      { class: fresh.has(callKey(c)) ? "fresh" : "" },
      el("strong", {}, c.number), " ", el("span", {}, windowName(c.window)),
      c.action === "recalled" ? el("span", { class: "tag" }, t("board.recalled")) : null)));
  }

  function renderWindows(windows, fresh) {
    const freshWindows = new Set([...fresh].map((key) => key.split("|")[1]));
    const shown = windows.filter((w) => w.open || w.last_called.length);
    $("board-windows").replaceChildren(...shown.map((w) => {
      const [now, ...before] = w.last_called;
      const classes = ["call", freshWindows.has(String(w.window)) ? "fresh" : "",
        w.open ? "" : "closed"].join(" ").trim();
      return el("li", { class: classes, "data-window": w.window },
        el("span", { class: "call-window" }, windowName(w.window)),
        el("strong", { class: now ? "" : "idle" },
          now || (w.open ? t("board.waiting") : t("board.closed"))),
        before.length ? el("span", { class: "call-before" }, before.join("  ")) : null);
    }));
  }

  function render(feed) {
    const fresh = new Set();
    for (const call of feed.recent) {
      const key = callKey(call);
      if (!seen.has(key)) {
        seen.add(key);
        if (primed) fresh.add(key);
      }
    }
    primed = true;
    renderLatest(feed.recent, fresh);
    renderRecent(feed.recent, fresh);
    renderWindows(feed.windows, fresh);
    if (fresh.size) {
      const latest = feed.recent.find((c) => fresh.has(callKey(c)));
      $("board-announce").textContent = t("board.announce")
        .replace("{number}", latest.number).replace("{n}", latest.window);
      chime();
      setTimeout(() => document.querySelectorAll(".fresh").forEach((node) => {
        node.classList.remove("fresh");
      }), FRESH_MS);
    }
  }

  function status(key, ok) {
    const box = $("board-link");
    box.textContent = t(key);
    box.classList.toggle("ok", ok);
    box.classList.toggle("warn", !ok);
  }

  // EventSource reconnects by itself when the server ends a stream; when it gives up (an
  // HTTP error, the server down), start again with a growing pause.
  function connect() {
    if (source) source.close();
    source = new EventSource("/v1/board/stream");
    source.addEventListener("open", () => { retry = 1000; status("board.live", true); });
    source.addEventListener("board", (event) => render(JSON.parse(event.data)));
    source.addEventListener("error", () => {
      status("board.reconnecting", false);
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 30000);
      }
    });
  }

  function tick() {
    const lang = document.body.dataset.lang === "en" ? "en-GB" : "zh-CN";
    $("board-clock").textContent = new Date().toLocaleTimeString(lang, { hour12: false });
  }

  async function hallName() {
    try {
      const hall = await CodeId.call("GET", "/v1/hall");
      if (hall && hall.name) $("board-hall").textContent = hall.name;
    } catch (e) { /* no hall loaded yet: keep the page title */ }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("board-sound").addEventListener("click", toggleSound);
    tick();
    setInterval(tick, 1000);
    hallName();
    connect();
  });
})();
