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

  const remote = card.querySelector("[data-sign-remote]");
  if (remote) remote.addEventListener("click", async () => {
    remote.disabled = true;
    const answer = await window.Motcua.api("POST", url + "/remote-signing");
    if (answer.ok) return reload();
    remote.disabled = false;
    window.Motcua.say(window.Motcua.problemText(answer.body), "error", box);
  });

  const retry = card.querySelector("[data-result-retry]");
  if (retry) retry.addEventListener("click", async () => {
    retry.disabled = true;
    const answer = await window.Motcua.api("POST", url + "/retry");
    if (answer.ok) return reload();
    retry.disabled = false;
    window.Motcua.say(window.Motcua.problemText(answer.body), "error", box);
  });

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
