// The designer's modeler bundle: bpmn-js Modeler + properties panel + Motcua's own group, exposed as
// window.MotcuaModeler.create({container, panel, roles, forms, text, escalation}) for designer-modeler.js.
import Modeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import MotcuaPropertiesProvider from "./modeler/provider";
import spiffworkflow from "./modeler/spiffworkflow.json";

const MotcuaModule = {
  __init__: ["motcuaPropertiesProvider"],
  motcuaPropertiesProvider: ["type", MotcuaPropertiesProvider],
};

function create(options) {
  return new Modeler({
    container: options.container,
    propertiesPanel: { parent: options.panel },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, MotcuaModule],
    moddleExtensions: { spiffworkflow },
    motcua: { roles: options.roles || [], forms: options.forms || [], text: options.text || {},
              escalation: options.escalation || {} },
  });
}

window.MotcuaModeler = { create };
