// Online submission: the declaration is a form-js form; its data goes into a hidden field on submit.
// File sizes are checked here too, so that a citizen on a slow line does not upload a file the server refuses.
(function () {
  "use strict";
  const form = document.querySelector("[data-submit-form]");
  if (!form) return;
  const text = JSON.parse(document.getElementById("portal-text").textContent);
  const schema = JSON.parse(document.getElementById("portal-form-schema").textContent);
  const data = JSON.parse(document.getElementById("portal-form-data").textContent) || {};
  const maxBytes = Number(form.dataset.maxBytes);
  const container = document.getElementById("declaration");
  let viewer = null;

  if (schema) {
    FormViewer.createForm({ container: container, schema: schema, data: data }).then(function (created) {
      viewer = created;
      const loading = container.querySelector("[data-loading]");
      if (loading) loading.remove();
      container.dataset.ready = "true";
    }).catch(function () { Motcua.say(text.loadFailed, "error"); });
  } else {
    container.dataset.ready = "true";
  }

  function megabytes(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }

  function checkFile(input) {
    const item = input.closest("[data-upload]");
    const out = item.querySelector("[data-size]");
    const file = input.files && input.files[0];
    const tooLarge = Boolean(file && file.size > maxBytes);
    out.textContent = file ? megabytes(file.size) + (tooLarge ? " — " + text.tooLarge : "") : "";
    out.classList.toggle("field-error", tooLarge);
    return !tooLarge;
  }

  form.querySelectorAll("input[data-file]").forEach(function (input) {
    input.addEventListener("change", function () { checkFile(input); });
  });

  form.addEventListener("submit", function (event) {
    if (schema && !viewer) {
      event.preventDefault();
      Motcua.say(text.notReady, "error");
      return;
    }
    const filesOk = Array.from(form.querySelectorAll("input[data-file]")).map(checkFile).every(Boolean);
    let declaration = {};
    if (viewer) {
      const result = viewer.submit();
      if (Object.keys(result.errors || {}).length) {
        event.preventDefault();
        Motcua.say(text.invalid, "error");
        container.scrollIntoView({ behavior: "smooth", block: "start" });
        return;
      }
      declaration = result.data;
    }
    if (!filesOk) {
      event.preventDefault();
      Motcua.say(text.tooLarge, "error");
      return;
    }
    document.getElementById("declaration-data").value = JSON.stringify(declaration);
    Motcua.say(text.sending);
    // Against double clicks; a second submit would anyway return the same dossier (submission token).
    form.querySelector("[data-send]").disabled = true;
  });
})();
