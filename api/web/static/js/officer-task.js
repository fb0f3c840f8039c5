// The task page: the step's form in form-js's viewer; completing it goes through POST /api/v1/tasks/<id>/complete,
// whose 422 errors are put back beside the fields (form-js names fields by id, the server by key) and listed.
// "Save draft" keeps the form as it stands (PUT /api/v1/tasks/<id>/draft), unchecked, to come back to.
(function () {
  "use strict";
  const page = document.querySelector("[data-page=task]");
  if (!page) return;
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const text = read("officer-text");
  const schema = read("task-form-schema");
  const initial = read("task-form-data") || {};
  const holder = document.querySelector("[data-task-form]");
  const button = document.querySelector("[data-complete]");
  const summary = document.querySelector("[data-error-summary]");
  const list = document.querySelector("[data-error-list]");
  const taskId = page.dataset.task;
  const draftButton = document.querySelector("[data-save-draft]");
  const draftNote = document.querySelector("[data-draft-saved]");
  let form = null;

  /** key -> {id, label} of every input, inside groups too (a group with a `path` nests its keys). */
  function fieldsByKey(components, out) {
    (components || []).forEach((c) => {
      if (c.key) out[c.key] = { id: c.id, label: c.label || c.key };
      if (c.components && !c.path) fieldsByKey(c.components, out);
    });
    return out;
  }
  const fields = schema ? fieldsByKey(schema.components, {}) : {};

  /** The form's own top-level keys (a group with a path, or a dynamic list, is one key). */
  function formKeys(components, out) {
    (components || []).forEach((c) => {
      if (c.key) out.add(c.key);
      else if (c.path) out.add(c.path);
      else if (c.components) formKeys(c.components, out);
    });
    return out;
  }
  const keys = schema ? formKeys(schema.components, new Set()) : new Set();

  function flatten(messages) {
    if (Array.isArray(messages)) return messages.flatMap(flatten);
    if (messages && typeof messages === "object") return Object.values(messages).flatMap(flatten);
    return [String(messages)];
  }

  /** The server's (marshmallow's) English message in the page's language, when the template knows it. */
  function translate(message) {
    if (text.messages[message]) return text.messages[message];
    for (const [pattern, template] of text.patterns) {
      const found = new RegExp(pattern).exec(message);
      if (found) return template.replace(/\{(\d)\}/g, (_, n) => found[Number(n)]);
    }
    return message;
  }

  function showErrors(errors) {
    const byId = {};
    list.textContent = "";
    Object.entries(errors || {}).forEach(([key, messages]) => {
      const texts = flatten(messages).map(translate);
      const field = fields[key];
      if (field) byId[field.id] = texts;
      const item = document.createElement("li");
      item.dataset.errorKey = key;
      item.textContent = (field ? field.label : text.general) + ": " + texts.join(" ");
      list.appendChild(item);
    });
    if (form) form._setState({ errors: byId }); // form-js draws these under each field, as its own errors
    summary.hidden = list.children.length === 0;
    if (!summary.hidden) summary.focus();
  }

  async function complete() {
    let data = {};
    if (form) data = form.submit().data; // the fields' values as form-js submits them (hidden ones left out)
    button.disabled = true;
    Motcua.say(text.saving);
    const result = await Motcua.api("POST", `tasks/${encodeURIComponent(taskId)}/complete`, { data });
    if (result.ok) {
      window.location.assign("/inbox?done=" + encodeURIComponent(result.body.dossier));
      return;
    }
    button.disabled = false;
    const errors = result.body && result.body.errors;
    if (result.status === 422 && errors) {
      Motcua.say("");
      showErrors(errors);
    } else {
      showErrors({});
      Motcua.say(text.failed + ": " + Motcua.problemText(result.body), "error");
    }
  }

  function localTime(iso) {
    const found = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso || ""); // the API speaks +07:00 already
    return found ? `${found[3]}/${found[2]}/${found[1]} ${found[4]}:${found[5]}` : "";
  }

  async function saveDraft() {
    if (!form) return;
    const state = form._getState().data || {}; // as typed, unchecked: a draft need not be complete
    const data = {};
    Object.keys(state).forEach((key) => {
      if (keys.has(key) && state[key] !== undefined) data[key] = state[key];
    });
    draftButton.disabled = true;
    const result = await Motcua.api("PUT", `tasks/${encodeURIComponent(taskId)}/draft`, { data });
    draftButton.disabled = false;
    if (result.ok) {
      const message = text.draftSaved.replace("{at}", localTime(result.body.draft_at));
      Motcua.say(message);
      if (draftNote) { draftNote.textContent = message; draftNote.hidden = false; }
      return;
    }
    Motcua.say(text.draftFailed + ": " + Motcua.problemText(result.body), "error");
  }

  async function start() {
    if (holder && schema && window.FormViewer) {
      form = await FormViewer.createForm({ container: holder, schema, data: initial });
      if (holder.dataset.readonly === "true") form.setProperty("readOnly", true);
      holder.dataset.ready = "true";
    }
    if (button) button.addEventListener("click", () => { complete(); });
    if (draftButton) draftButton.addEventListener("click", () => { saveDraft(); });
  }
  start().catch((err) => Motcua.say(text.failed + ": " + err.message, "error"));
})();
