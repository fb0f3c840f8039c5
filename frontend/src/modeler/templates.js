// Element templates (engine/reform/element_templates.json, passed by the page): common one-stop steps offered
// in the "change element" popup menu of a task and in the palette. Applying one sets the user task's name,
// time budget, form and instructions, and moves it into the lane of its role when the diagram has that lane.
import { is, getBusinessObject } from "bpmn-js/lib/util/ModelUtil";
import { setInstructions, setProperty } from "./extensions";

const fmt = (text, values) => String(text || "").replace(/%\((\w+)\)s/g, (_m, key) => String(values[key]));

/** The package's form a template points at: named exactly so, or ending in "-" + its form. */
export function formFor(template, forms) {
  return [...(forms || [])].sort().find((f) => f === template.form || f.endsWith("-" + template.form)) || "";
}

function laneOf(registry, role) {
  return registry.filter((e) => is(e, "bpmn:Lane") && (getBusinessObject(e).name || "") === role)[0];
}

function moveIntoLane(shape, role, injector) {
  const registry = injector.get("elementRegistry");
  const lane = laneOf(registry, role);
  if (!lane) return;
  const refs = getBusinessObject(lane).flowNodeRef || [];
  if (refs.includes(getBusinessObject(shape))) return;
  const dy = lane.y + lane.height / 2 - (shape.y + shape.height / 2);
  // bpmn-js recomputes the lanes' flowNodeRefs from the new position
  injector.get("modeling").moveElements([shape], { x: 0, y: dy });
}

function fillIn(element, template, injector, config) {
  let shape = element;
  if (!is(shape, "bpmn:UserTask")) shape = injector.get("bpmnReplace").replaceElement(shape, { type: template.type });
  injector.get("modeling").updateProperties(shape, { name: template.name });
  setProperty(shape, "timeBudget", template.timeBudget, injector);
  setProperty(shape, "formKey", formFor(template, config.forms), injector);
  setInstructions(shape, template.instructions, injector);
  moveIntoLane(shape, template.role, injector);
  return shape;
}

/** One command for the whole template, so that one undo takes it all back: the edits run in its preExecute,
 * which diagram-js records as part of the same command. */
function ApplyTemplateHandler(injector) {
  this.preExecute = (context) => { context.shape = fillIn(context.element, context.template, injector, context.config); };
  this.execute = () => [];
  this.revert = () => [];
}
ApplyTemplateHandler.$inject = ["injector"];

export function applyTemplate(element, template, injector, config) {
  const context = { element, template, config };
  injector.get("commandStack").execute("motcua.applyTemplate", context);
  // moving into a lane changes the lanes too, and the panel follows the last changed element: show the step again
  const selection = injector.get("selection");
  selection.select(null);
  selection.select(context.shape);
  return context.shape;
}

function title(config, template) {
  return fmt((config.text || {}).templateHint || "%(name)s", { name: template.label, role: template.role,
    budget: template.timeBudget });
}

/** "Change element" on a task offers the templates (a group of its own, before bpmn-js's own entries). */
export function TemplateMenuProvider(popupMenu, config, injector, commandStack) {
  const cfg = config || {};
  commandStack.registerHandler("motcua.applyTemplate", ApplyTemplateHandler);
  this.getPopupMenuEntries = function (element) {
    return function (entries) {
      if (!is(element, "bpmn:Task")) return entries;
      const group = { id: "motcua-templates", name: (cfg.text || {}).templates || "Templates" };
      const ours = {};
      for (const template of cfg.templates || []) {
        ours["motcua-template-" + template.id] = {
          label: fmt((cfg.text || {}).template || "%(name)s", { name: template.label }),
          title: title(cfg, template),
          className: "bpmn-icon-user-task",
          group,
          action: () => applyTemplate(element, template, injector, cfg),
        };
      }
      return { ...ours, ...entries };  // first: the steps of a one-stop procedure are what a designer wants most
    };
  };
  popupMenu.registerProvider("bpmn-replace", 400, this);
}
TemplateMenuProvider.$inject = ["popupMenu", "config.motcua", "injector", "commandStack"];

/** The palette creates a user task already filled in from a template (dropped where the designer wants it:
 * the lane it lands in is its role). */
export function TemplatePaletteProvider(palette, create, elementFactory, bpmnFactory, config) {
  const cfg = config || {};
  function shapeFor(template) {
    const child = (type, attrs, parent) => Object.assign(bpmnFactory.create(type, attrs), { $parent: parent });
    const bo = bpmnFactory.create(template.type, { name: template.name });
    const ext = child("bpmn:ExtensionElements", { values: [] }, bo);
    const properties = child("spiffworkflow:Properties", { properties: [] }, ext);
    const form = formFor(template, cfg.forms);
    properties.properties = [["formKey", form], ["timeBudget", template.timeBudget]]
      .filter(([, value]) => value).map(([name, value]) => child("spiffworkflow:Property", { name, value }, properties));
    ext.values = [child("spiffworkflow:InstructionsForEndUser", { value: template.instructions }, ext), properties];
    bo.extensionElements = ext;
    return elementFactory.createShape({ type: template.type, businessObject: bo });
  }
  this.getPaletteEntries = function () {
    const entries = {};
    for (const template of cfg.templates || []) {
      const start = (event) => create.start(event, shapeFor(template));
      entries["motcua-template-" + template.id] = {
        group: "motcua-templates",
        className: "bpmn-icon-user-task motcua-template motcua-template-" + template.id,
        title: title(cfg, template),
        action: { dragstart: start, click: start },
      };
    }
    return entries;
  };
  palette.registerProvider(this);
}
TemplatePaletteProvider.$inject = ["palette", "create", "elementFactory", "bpmnFactory", "config.motcua"];
