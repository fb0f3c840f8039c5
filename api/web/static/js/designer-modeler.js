// The designer's modeler page: load a version's BPMN into bpmn-js, validate through the API (problems as
// overlays on the elements they name, and as a list), save as a draft, publish the draft.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("designer-config").textContent);
  const T = config.text;
  const fmt = (text, values) => text.replace(/%\((\w+)\)s/g, (_m, key) => String(values[key]));
  const page = document.querySelector("[data-page=designer-modeler]");
  const $ = (selector) => page.querySelector(selector);
  const state = { number: config.number, status: config.status, dirty: false, package: config.package };

  const modeler = window.MotcuaModeler.create({
    container: "#modeler-canvas", panel: "#modeler-panel", roles: config.roles, forms: config.forms, text: T,
    escalation: config.escalation, translations: config.translations, templates: config.templates,
    dayHours: config.dayHours,
  });
  const canvas = modeler.get("canvas");
  const overlays = modeler.get("overlays");
  const registry = modeler.get("elementRegistry");
  let marked = [];

  function setDirty(dirty) {
    state.dirty = dirty;
    if (dirty) page.dataset.dirty = "true"; else delete page.dataset.dirty;
  }
  window.MotcuaUnsaved.guard(() => state.dirty, T.leaveUnsaved);

  const say = (text, kind) => window.Motcua.say(text, kind, $("[data-messages]"));
  const messageOf = (p) => (config.lang === "en" ? p.message_en : p.message_vi) || p.message || p.detail || "";

  function versionUrl(number, suffix) {
    return `${config.base}${encodeURIComponent(config.code)}/versions/${number}${suffix || ""}`;
  }

  function refreshHeader() {
    const label = state.status === "current" ? T.statusCurrent : state.status === "published" ? T.statusPublished : T.statusDraft;
    const kind = state.status === "current" ? "ok" : state.status === "published" ? "neutral" : "warning";
    $("[data-status-badge]").innerHTML = "";
    const badge = document.createElement("span");
    badge.className = "badge " + kind;
    badge.dataset.status = state.status;
    badge.textContent = label;
    $("[data-status-badge]").appendChild(badge);
    $("[data-version-label]").textContent = fmt(T.version, { n: state.number });
    page.dataset.number = state.number;
    $("[data-action=publish]").disabled = state.status !== "draft";
    $("[data-link=what-if]").href = versionUrl(state.number, "/what-if");
    const diff = new URL($("[data-link=diff]").href, location.href);
    diff.searchParams.set("to", state.number);
    $("[data-link=diff]").href = diff.pathname + diff.search;
    page.querySelectorAll("[data-form]").forEach((a) => { a.href = versionUrl(state.number, "/forms/" + encodeURIComponent(a.dataset.form)); });
  }

  function clearProblems() {
    overlays.remove({ type: "motcua-problem" });
    marked.forEach((id) => { canvas.removeMarker(id, "motcua-error"); canvas.removeMarker(id, "motcua-warning"); });
    marked = [];
    $("[data-problems]").innerHTML = "";
  }

  /** Problems (from validate, a saved draft or a refused publish): overlays on their elements, and a list. */
  function showProblems(problems) {
    clearProblems();
    const list = $("[data-problems]");
    const errors = problems.filter((p) => (p.severity || "error") === "error").length;
    const warnings = problems.length - errors;
    const parts = [errors ? fmt(T.invalid, { n: errors }) : T.valid];
    if (warnings) parts.push(fmt(T.warnings, { n: warnings }));
    $("[data-problems-summary]").textContent = parts.join(" ");
    $("[data-problems-summary]").dataset.errors = errors;
    for (const problem of problems) {
      const severity = problem.severity || "error";
      const element = problem.element && registry.get(problem.element);
      const item = document.createElement("li");
      item.className = "problem " + severity;
      item.dataset.element = problem.element || "";
      item.dataset.code = problem.code || "";
      const tag = document.createElement("strong");
      tag.textContent = (severity === "error" ? T.error : T.warning) + " · " + (element ? (element.businessObject.name || element.id) : T.general);
      item.append(tag, document.createTextNode(" " + messageOf(problem)));
      if (element) {
        item.tabIndex = 0;
        item.classList.add("clickable");
        const pick = () => { modeler.get("selection").select(element); canvas.scrollToElement(element); };
        item.addEventListener("click", pick);
        item.addEventListener("keydown", (e) => { if (e.key === "Enter") pick(); });
        const badge = document.createElement("div");
        badge.className = "problem-badge " + severity;
        badge.dataset.problemFor = element.id;
        badge.textContent = "!";
        badge.title = messageOf(problem);
        overlays.add(element, "motcua-problem", { position: { top: -10, right: 10 }, html: badge });
        canvas.addMarker(element, "motcua-" + severity);
        marked.push(element.id);
      }
      list.appendChild(item);
    }
  }

  async function currentPackage() {
    // the properties panel commits typing after a debounce: let the last keystrokes land before exporting
    if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
    await new Promise((resolve) => setTimeout(resolve, 350));
    const { xml } = await modeler.saveXML({ format: true });
    const files = Object.assign({}, state.package.files, { [config.bpmn]: xml });
    return { code: config.code, files, forms: state.package.forms };
  }

  function problemsOfResponse(result) {
    const body = result.body || {};
    return body.problems || (body.errors ? Object.entries(body.errors).map(([field, messages]) => ({ code: field, message: messages.join(" ") })) : []);
  }

  async function busy(button, work) {
    button.disabled = true;
    try { await work(); } catch (err) { say(T.failed + " " + (err && err.message ? err.message : ""), "error"); } finally {
      button.disabled = button.dataset.action === "publish" ? state.status !== "draft" : false;
    }
  }

  async function validate() {
    say(T.checking);
    const result = await window.Motcua.api("POST", "procedures/validate", await currentPackage());
    if (!result.ok) { say(window.Motcua.problemText(result.body), "error"); showProblems(problemsOfResponse(result)); return; }
    showProblems(result.body.problems);
    say(result.body.valid ? T.valid : T.publishRefused, result.body.valid ? "" : "error");
  }

  async function save() {
    say(T.saving);
    // base_hash: the content this page opened; a draft saved meanwhile by someone else is not overwritten (409)
    const body = Object.assign(await currentPackage(), { note: $("[name=draft-note]").value.trim(),
                                                         base_hash: state.package.content_hash || config.content_hash });
    const result = await window.Motcua.api("POST", `procedures/${encodeURIComponent(config.code)}/drafts`, body);
    if (!result.ok) {
      const changed = result.body && result.body.code === "draft-changed";
      say(changed ? fmt(T.draftChanged, { n: result.body.version }) : window.Motcua.problemText(result.body), "error");
      showProblems(problemsOfResponse(result));
      return;
    }
    const version = result.body.version;
    state.package = { code: config.code, files: body.files, forms: body.forms, content_hash: version.content_hash };
    state.number = version.number;
    state.status = version.status === "published" && version.number === config.current ? "current" : version.status;
    setDirty(false);
    history.replaceState(null, "", versionUrl(version.number));
    refreshHeader();
    showProblems(result.body.problems);
    say(version.status === "draft" ? fmt(T.saved, { n: version.number }) : fmt(T.sameContent, { n: version.number }));
  }

  async function publish() {
    const note = $("[name=publish-note]").value.trim();
    if (!note) { say(T.noteRequired, "error"); $("[name=publish-note]").focus(); return; }
    if (state.dirty) { say(T.unsaved, "error"); return; }
    const result = await window.Motcua.api("POST", `procedures/${encodeURIComponent(config.code)}/versions/${state.number}/publish`, { note });
    if (!result.ok) {
      const problems = problemsOfResponse(result);
      if (problems.length) showProblems(problems);
      const approval = result.body && result.body.code === "approval-required";
      say(result.status === 422 ? T.publishRefused : approval ? T.approvalRequired : window.Motcua.problemText(result.body), "error");
      return;
    }
    state.status = "current";
    config.current = state.number;
    refreshHeader();
    say(fmt(T.published, { n: state.number }));
  }

  $("[data-action=validate]").addEventListener("click", (e) => busy(e.currentTarget, validate));
  $("[data-action=save]").addEventListener("click", (e) => busy(e.currentTarget, save));
  $("[data-action=publish]").addEventListener("click", (e) => busy(e.currentTarget, publish));

  modeler.importXML(state.package.files[config.bpmn]).then(() => {
    canvas.zoom("fit-viewport", "auto");
    modeler.on("commandStack.changed", () => setDirty(true));
    page.dataset.ready = "true";
  }).catch((err) => say(T.loadFailed + " " + (err && err.message ? err.message : ""), "error"));
})();
