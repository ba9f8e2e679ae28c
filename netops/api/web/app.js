// netops web board: what every page shares. The token stays in this tab (sessionStorage); a #token=... fragment
// is taken once and removed from the address bar (fragments are never sent to the server). Times are shown in
// the region's time zone (the page's <meta name="netops-timezone">), whatever the browser's zone.
"use strict";
const netops = (() => {
  // A zone the browser refuses (Intl throws RangeError) must never blank the page: fall back to Asia/Shanghai
  // and say so in a banner, as the server does for a zone it cannot use (<meta name="netops-timezone-warning">).
  const FALLBACK_TZ = "Asia/Shanghai";
  const ASKED_TZ = (document.querySelector('meta[name="netops-timezone"]') || {}).content || FALLBACK_TZ;
  function zoneWorks(z) { try { new Intl.DateTimeFormat("en-GB", {timeZone: z}).format(0); return true; } catch (e) { return false; } }
  const TZ = zoneWorks(ASKED_TZ) ? ASKED_TZ : FALLBACK_TZ;
  const TZ_WARNING = (document.querySelector('meta[name="netops-timezone-warning"]') || {}).content ||
    (TZ !== ASKED_TZ ? `the region's time zone "${ASKED_TZ}" is not one this browser knows: times are shown in ${FALLBACK_TZ}` : "");
  function token() {
    const m = location.hash.match(/token=([^&]+)/);
    if (m) { sessionStorage.setItem("netops-token", decodeURIComponent(m[1])); history.replaceState(null, "", location.pathname + location.search); }
    return sessionStorage.getItem("netops-token");
  }
  function showLogin() {
    const login = document.getElementById("login"); if (login) login.hidden = false;
    const main = document.getElementById("board"); if (main) main.hidden = true;
  }
  // An error body is RFC 9457 problem details ({type, title, status, detail, errors?}); older bodies had
  // {error, detail}; FastAPI's validation errors a list in detail. Every shape becomes one readable line.
  function problem(body, status) {
    if (!body || typeof body !== "object") return `HTTP ${status}`;
    const title = body.title || body.error || `HTTP ${status}`;
    let detail = body.detail;
    if (Array.isArray(detail)) detail = detail.map(d => (d && (d.msg || d.detail)) || JSON.stringify(d)).join("; ");
    const extra = Array.isArray(body.errors) ? body.errors.map(e => (e && (e.detail || e.msg || e.message)) || String(e)).join("; ") : "";
    return [title, detail, extra && extra !== detail ? extra : ""].filter(Boolean).join(": ");
  }
  async function api(path, options = {}) {
    const res = await fetch(path, {...options, headers: {...(options.headers || {}), Authorization: "Bearer " + token(),
                                                          "Content-Type": "application/json"}});
    if (res.status === 401) { sessionStorage.removeItem("netops-token"); showLogin(); throw new Error("token refused"); }
    if (!res.ok) {
      let body = null; try { body = await res.json(); } catch (e) { /* not JSON */ }
      const err = new Error(`${path}: ${res.status} ${problem(body, res.status)}`); err.status = res.status; err.body = body; throw err;
    }
    return res.status === 204 ? null : res.json();
  }
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) { if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? "" : v); }
    for (const c of children) e.append(c === null || c === undefined ? "" : c);
    return e;
  }
  function span(s) {
    s = Math.max(0, Math.round(s));
    if (s < 120) return `${s} s`;
    if (s < 7200) return `${Math.round(s / 60)} min`;
    if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
    return `${Math.round(s / 86400)} d`;
  }
  function ago(ts) { return ts ? `${span(Date.now() / 1000 - ts)} ago` : "never"; }
  const fmt = new Intl.DateTimeFormat("zh-CN", {timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit",
                                                hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false});
  const fmtShort = new Intl.DateTimeFormat("zh-CN", {timeZone: TZ, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false});
  // a unix time (seconds) or an ISO string -> "2026-12-06 03:53:05" in the region's zone
  function time(ts, short) {
    if (ts === null || ts === undefined || ts === "") return "-";
    const d = typeof ts === "number" ? new Date(ts * 1000) : new Date(ts);
    if (isNaN(d)) return String(ts);
    return (short ? fmtShort : fmt).format(d).replace(/\//g, "-");
  }
  function zoneLabel() {
    const part = new Intl.DateTimeFormat("en-GB", {timeZone: TZ, timeZoneName: "shortOffset"}).formatToParts(new Date()).find(p => p.type === "timeZoneName");
    return `${TZ} (${part ? part.value : ""})`;
  }
  function start(refresh, everyMs) {
    const form = document.getElementById("login-form");
    if (form) form.addEventListener("submit", ev => { ev.preventDefault(); sessionStorage.setItem("netops-token", document.getElementById("token-input").value.trim()); run(); });
    const zone = document.getElementById("zone"); if (zone) zone.textContent = `times in ${zoneLabel()}`;
    if (TZ_WARNING && !document.getElementById("tz-warning")) {
      const banner = el("div", {id: "tz-warning", class: "tz-warning warn", role: "alert"}, `⚠ ${TZ_WARNING}`);
      const header = document.querySelector("header");
      if (header) header.after(banner); else document.body.prepend(banner);
    }
    async function run() {
      if (!token()) { showLogin(); return; }
      try {
        await refresh();
        const login = document.getElementById("login"); if (login) login.hidden = true;
        document.getElementById("board").hidden = false;
        document.getElementById("error").textContent = "";
        document.body.dataset.loaded = String(Date.now());
      } catch (e) { document.getElementById("error").textContent = String(e.message || e); }
    }
    run();
    if (everyMs) setInterval(run, everyMs);
    return run;
  }
  return {TZ, TZ_WARNING, token, api, problem, el, ago, span, time, start};
})();
