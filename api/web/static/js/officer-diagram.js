// The dossier's diagram: bpmn-js's viewer is loaded only when the diagram scrolls into view (the bundle is big
// and commune PCs are old); the current steps and the finished ones get marker classes styled in officer.css.
(function () {
  "use strict";
  const box = document.querySelector("[data-diagram]");
  if (!box || !box.dataset.package) return;
  const status = box.querySelector("[data-diagram-status]");
  let started = false;

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const tag = document.createElement("script");
      tag.src = src;
      tag.onload = resolve;
      tag.onerror = () => reject(new Error("cannot load " + src));
      document.head.appendChild(tag);
    });
  }

  function loadCss(href) {
    if (!href || document.querySelector(`link[href="${href}"]`)) return;
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    document.head.appendChild(link);
  }

  async function draw() {
    if (started) return;
    started = true;
    box.dataset.css.split(" ").forEach(loadCss);
    const [, pkg] = await Promise.all([window.BpmnJS ? null : loadScript(box.dataset.viewer),
                                       Motcua.api("GET", box.dataset.package)]);
    if (!pkg.ok) throw new Error(Motcua.problemText(pkg.body));
    const name = Object.keys(pkg.body.files).find((n) => n.endsWith(".bpmn"));
    box.textContent = "";
    const viewer = new window.BpmnJS({ container: box });
    await viewer.importXML(pkg.body.files[name]);
    const canvas = viewer.get("canvas");
    const registry = viewer.get("elementRegistry");
    canvas.zoom("fit-viewport");
    const mark = (ids, cls) => ids.split(" ").filter((id) => id && registry.get(id))
      .forEach((id) => canvas.addMarker(id, cls));
    mark(box.dataset.done || "", "step-done");
    mark(box.dataset.current || "", "step-current");
    box.dataset.ready = "true";
  }

  function start() {
    draw().catch((err) => {
      box.dataset.ready = "failed";
      if (status) { status.textContent = err.message; box.appendChild(status); }
    });
  }

  if ("IntersectionObserver" in window) {
    const watcher = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) { watcher.disconnect(); start(); }
    }, { rootMargin: "200px" });
    watcher.observe(box);
  } else {
    window.addEventListener("load", start);
  }
})();
