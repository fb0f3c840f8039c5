// The form editor page: form-js's editor on one form of a version's package; saving stores the whole package
// (with this form changed) as a new draft through the API, then opens that draft.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("designer-config").textContent);
  const T = config.text;
  const fmt = (text, values) => text.replace(/%\((\w+)\)s/g, (_m, key) => String(values[key]));
  const page = document.querySelector("[data-page=designer-form]");
  const say = (text, kind) => window.Motcua.say(text, kind, page.querySelector("[data-messages]"));
  let editor = null;
  let baseline = null;  // the schema as the editor serialises it on opening (it adds ids and an exporter)
  window.MotcuaUnsaved.guard(() => Boolean(editor) && JSON.stringify(editor.saveSchema()) !== baseline, T.leaveUnsaved);

  window.FormEditor.createFormEditor({ container: document.getElementById("form-editor"), schema: config.package.forms[config.name] })
    .then((created) => {
      editor = created;
      baseline = JSON.stringify(editor.saveSchema());  // only an edit is worth a new draft
      page.dataset.ready = "true";
    })
    .catch((err) => say(T.failed + " " + (err && err.message ? err.message : ""), "error"));

  function showProblems(problems) {
    const list = page.querySelector("[data-problems]");
    list.innerHTML = "";
    for (const p of problems || []) {
      const item = document.createElement("li");
      item.className = "problem " + (p.severity || "error");
      item.textContent = (document.documentElement.lang === "en" ? p.message_en : p.message_vi) || p.message || "";
      list.appendChild(item);
    }
  }

  page.querySelector("[data-action=save-form]").addEventListener("click", async (event) => {
    if (!editor) return;
    const button = event.currentTarget;  // read before any await: the event's currentTarget is cleared after dispatch
    // form-js's properties panel commits typing after a 300 ms debounce: let the last keystrokes land first
    if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
    await new Promise((resolve) => setTimeout(resolve, 350));
    const schema = editor.saveSchema();
    if (JSON.stringify(schema) === baseline) { say(T.noChanges); return; }
    button.disabled = true;
    say(T.saving);
    try {
      const forms = Object.assign({}, config.package.forms, { [config.name]: schema });
      // base_hash: the content this page opened; a draft saved meanwhile by someone else is not overwritten (409)
      const body = { code: config.code, files: config.package.files, forms, note: page.querySelector("[name=draft-note]").value.trim(),
                     base_hash: config.package.content_hash };
      const result = await window.Motcua.api("POST", `procedures/${encodeURIComponent(config.code)}/drafts`, body);
      if (!result.ok) {
        const changed = result.body && result.body.code === "draft-changed";
        say(changed ? fmt(T.draftChanged, { n: result.body.version }) : window.Motcua.problemText(result.body), "error");
        showProblems(result.body && result.body.problems);
        return;
      }
      const number = result.body.version.number;
      config.package.forms = forms;
      config.package.content_hash = result.body.version.content_hash;
      baseline = JSON.stringify(schema);
      showProblems(result.body.problems.filter((p) => p.severity === "error"));
      say(fmt(result.body.version.status === "draft" ? T.saved : T.sameContent, { n: number }));
      const link = document.createElement("a");
      link.href = `${config.base}${encodeURIComponent(config.code)}/versions/${number}`;
      link.textContent = " " + T.open;
      link.dataset.link = "draft";
      page.querySelector("[data-messages]").appendChild(link);
      page.querySelector("[data-link=modeler]").href = link.href;
      page.dataset.number = number;
    } finally {
      button.disabled = false;
    }
  });
})();
