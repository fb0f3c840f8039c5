// Shared by every page (kept tiny): calls to /api/v1 with the session cookie and the CSRF header.
(function () {
  "use strict";
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  /** Call the API; resolves to {ok, status, body} where body is the JSON (a problem+json on errors). */
  async function api(method, path, body, extraHeaders) {
    const headers = Object.assign({ Accept: "application/json", "X-CSRF-Token": csrf() }, extraHeaders || {});
    const init = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path.startsWith("/") ? path : "/api/v1/" + path, init);
    const text = await response.text();
    let parsed = null;
    try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = { detail: text }; }
    return { ok: response.ok, status: response.status, body: parsed };
  }

  /** A readable sentence for a problem+json body. */
  function problemText(problem) {
    if (!problem) return "";
    // a failed step says it in the page's language (process-error's message_vi / message_en)
    const plain = document.documentElement.lang === "en" ? problem.message_en : problem.message_vi;
    return plain || problem.detail || problem.title || String(problem.status || "");
  }

  /** Show a message in an element marked [data-messages] (or the given one). */
  function say(text, kind, where) {
    const box = where || document.querySelector("[data-messages]");
    if (!box) { if (text) window.alert(text); return; }
    box.textContent = text || "";
    box.className = "flash" + (kind === "error" ? " flash-error" : "");
    box.hidden = !text;
  }

  window.Motcua = { api, problemText, say, csrf };
})();
