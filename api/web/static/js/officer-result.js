// The result card of the officer's dossier page: the leader's remote signature (then wait for the phone) and
// the browser-plugin flow (the signed draft uploaded). A real VGCA plugin cannot run here: the leader signs the
// downloaded draft with the CA's own tool and uploads the signed file.
(function () {
  "use strict";
  const card = document.querySelector("[data-result]");
  if (!card) return;
  const url = card.dataset.resultUrl;
  const box = card.querySelector("[data-result-message]");
  const reload = () => window.location.reload();

  async function watch() {  // while the leader confirms on the phone, or the job seals: ask again
    const answer = await window.Motcua.api("GET", url);
    if (answer.ok && answer.body.state !== card.dataset.state) return reload();
    window.setTimeout(watch, 2000);
  }
  if (["rendering", "leader_pending", "leader_signed"].includes(card.dataset.state)) window.setTimeout(watch, 2000);

  function postOnClick(selector, path) {  // a button that POSTs, then shows the new state or the problem
    const button = card.querySelector(selector);
    if (!button) return;
    button.addEventListener("click", async () => {
      button.disabled = true;
      const answer = await window.Motcua.api("POST", url + path);
      if (answer.ok) return reload();
      button.disabled = false;
      window.Motcua.say(window.Motcua.problemText(answer.body), "error", box);
    });
  }
  postOnClick("[data-sign-remote]", "/remote-signing");  // the leader confirms on the phone next
  postOnClick("[data-result-retry]", "/retry");

  const upload = card.querySelector("[data-upload-signed]");
  if (upload) upload.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch(url + "/signed", {
      method: "POST", body: new FormData(upload), credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": window.Motcua.csrf() } });
    if (response.ok) return reload();
    let problem = null;
    try { problem = await response.json(); } catch (e) { problem = { status: response.status }; }
    window.Motcua.say(window.Motcua.problemText(problem), "error", box);
  });
})();
