// Reading and writing SpiffWorkflow's <spiffworkflow:properties> and <spiffworkflow:instructionsForEndUser>
// in a BPMN element's extensionElements, through modeling commands so that undo/redo and saveXML see them.
import { getBusinessObject } from "bpmn-js/lib/util/ModelUtil";

const PROPERTIES = "spiffworkflow:Properties";
const INSTRUCTIONS = "spiffworkflow:InstructionsForEndUser";

function extension(bo, type) {
  const values = (bo.extensionElements && bo.extensionElements.values) || [];
  return values.find((value) => value.$instanceOf(type));
}

/** The value of <spiffworkflow:property name="..."> on the element, or "" when absent. */
export function getProperty(element, name) {
  const properties = extension(getBusinessObject(element), PROPERTIES);
  const property = properties && (properties.properties || []).find((p) => p.name === name);
  return property ? property.value || "" : "";
}

export function getInstructions(element) {
  const instructions = extension(getBusinessObject(element), INSTRUCTIONS);
  return instructions ? instructions.value || "" : "";
}

/** Make sure the element has extensionElements and one extension of `type`; returns it. */
function ensureExtension(element, type, injector, attributes) {
  const modeling = injector.get("modeling");
  const bpmnFactory = injector.get("bpmnFactory");
  const bo = getBusinessObject(element);
  let extensionElements = bo.extensionElements;
  if (!extensionElements) {
    extensionElements = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    extensionElements.$parent = bo;
    modeling.updateProperties(element, { extensionElements });
  }
  let found = extension(bo, type);
  if (!found) {
    found = bpmnFactory.create(type, attributes);
    found.$parent = extensionElements;
    modeling.updateModdleProperties(element, extensionElements, {
      values: [...(extensionElements.values || []), found],
    });
  }
  return found;
}

/** Set (or, with an empty value, remove) <spiffworkflow:property name="..." value="...">. */
export function setProperty(element, name, value, injector) {
  const modeling = injector.get("modeling");
  const text = value === undefined || value === null ? "" : String(value).trim();
  const bo = getBusinessObject(element);
  const existing = extension(bo, PROPERTIES);
  if (!text && !existing) return;
  const properties = existing || ensureExtension(element, PROPERTIES, injector, { properties: [] });
  const list = properties.properties || [];
  const property = list.find((p) => p.name === name);
  if (!text) {
    if (property) modeling.updateModdleProperties(element, properties, { properties: list.filter((p) => p !== property) });
    return;
  }
  if (property) {
    modeling.updateModdleProperties(element, property, { value: text });
    return;
  }
  const created = injector.get("bpmnFactory").create("spiffworkflow:Property", { name, value: text });
  created.$parent = properties;
  modeling.updateModdleProperties(element, properties, { properties: [...list, created] });
}

export function setInstructions(element, value, injector) {
  const text = value || "";
  const existing = extension(getBusinessObject(element), INSTRUCTIONS);
  if (!text && !existing) return;
  const instructions = existing || ensureExtension(element, INSTRUCTIONS, injector, { value: "" });
  injector.get("modeling").updateModdleProperties(element, instructions, { value: text });
}
