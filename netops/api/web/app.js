// netops web board: what every page shares. The token stays in this tab (sessionStorage); a #token=... fragment
// is taken once and removed from the address bar (fragments are never sent to the server).
"use strict";
const netops = (() => {
  function token() {
    const m = location.hash.match(/token=([^&]+)/);
    if (m) { sessionStorage.setItem("netops-token", decodeURIComponent(m[1])); history.replaceState(null, "", location.pathname + location.search); }
    return sessionStorage.getItem("netops-token");
  }
  function showLogin() {
    const login = document.getElementById("login"); if (login) login.hidden = false;
    const main = document.getElementById("board"); if (main) main.hidden = true;
  }
  async function api(path, options = {}) {
    const res = await fetch(path, {...options, headers: {...(options.headers || {}), Authorization: "Bearer " + token(),
                                                          "Content-Type": "application/json"}});
    if (res.status === 401) { sessionStorage.removeItem("netops-token"); showLogin(); throw new Error("token refused"); }
    if (!res.ok) { let d = ""; try { d = (await res.json()).detail || ""; } catch (e) { /* not JSON */ } throw new Error(`${path}: HTTP ${res.status} ${d}`); }
    return res.status === 204 ? null : res.json();
  }
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) { if (v !== null && v !== undefined) e.setAttribute(k, v); }
    for (const c of children) e.append(c === null || c === undefined ? "" : c);
    return e;
  }
  function ago(ts) { if (!ts) return "never"; const s = Math.max(0, Math.round(Date.now() / 1000 - ts)); return s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`; }
  function start(refresh, everyMs) {
    const form = document.getElementById("login-form");
    if (form) form.addEventListener("submit", ev => { ev.preventDefault(); sessionStorage.setItem("netops-token", document.getElementById("token-input").value.trim()); run(); });
    async function run() {
      if (!token()) { showLogin(); return; }
      try {
        await refresh();
        const login = document.getElementById("login"); if (login) login.hidden = true;
        document.getElementById("board").hidden = false;
        document.getElementById("error").textContent = "";
      } catch (e) { document.getElementById("error").textContent = String(e.message || e); }
    }
    run();
    if (everyMs) setInterval(run, everyMs);
    return run;
  }
  return {token, api, el, ago, start};
})();
