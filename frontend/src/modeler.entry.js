// The designer's modeler bundle: bpmn-js Modeler + properties panel + Motcua's own group, element templates and
// translations, exposed as window.MotcuaModeler.create({container, panel, roles, forms, text, escalation,
// translations, templates, dayHours}) for designer-modeler.js.
import Modeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import MotcuaPropertiesProvider from "./modeler/provider";
import { TemplateMenuProvider, TemplatePaletteProvider } from "./modeler/templates";
import { translateModule } from "./modeler/translate";
import spiffworkflow from "./modeler/spiffworkflow.json";

const MotcuaModule = {
  __init__: ["motcuaPropertiesProvider", "motcuaTemplateMenu", "motcuaTemplatePalette"],
  motcuaPropertiesProvider: ["type", MotcuaPropertiesProvider],
  motcuaTemplateMenu: ["type", TemplateMenuProvider],
  motcuaTemplatePalette: ["type", TemplatePaletteProvider],
};

function create(options) {
  return new Modeler({
    container: options.container,
    propertiesPanel: { parent: options.panel },
    // the translate module last: it replaces diagram-js's default (English) one
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, MotcuaModule,
      translateModule(options.translations)],
    moddleExtensions: { spiffworkflow },
    motcua: { roles: options.roles || [], forms: options.forms || [], text: options.text || {},
              escalation: options.escalation || {}, templates: options.templates || [],
              dayHours: options.dayHours || 8 },
  });
}

window.MotcuaModeler = { create };
