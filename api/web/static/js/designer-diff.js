// The diff page's diagrams: both versions drawn side by side with bpmn-js's viewer; the steps the server found
// added (green), removed (red) or changed (amber) get marker classes styled in designer.css.
(function () {
  "use strict";
  const source = document.getElementById("diff-diagrams");
  if (!source || !window.BpmnJS) return;
  const xml = JSON.parse(source.textContent);
  const status = document.querySelector("[data-diff-diagrams] [data-diagram-status]");

  async function draw(box) {
    const viewer = new window.BpmnJS({ container: box });
    await viewer.importXML(xml[box.dataset.diagram]);
    const canvas = viewer.get("canvas");
    const registry = viewer.get("elementRegistry");
    canvas.zoom("fit-viewport");
    for (const kind of ["added", "removed", "changed"]) {
      (box.dataset[kind] || "").split(" ").filter((id) => id && registry.get(id))
        .forEach((id) => canvas.addMarker(id, "diff-" + kind));
    }
    box.dataset.ready = "true";
  }

  document.querySelectorAll("[data-diff-diagrams] [data-diagram]").forEach((box) => {
    draw(box).catch(() => { box.dataset.ready = "failed"; if (status) status.hidden = false; });
  });
})();
