// The "Motcua" group of the properties panel: a lane's role, and a step's time budget, form, return-to-owner,
// instructions and escalation rule. Everything is stored as SpiffWorkflow extensions (see extensions.js), the
// same markup the engine reads; the roles and forms offered come from the page (config `motcua`).
import { h } from "@bpmn-io/properties-panel/preact";
import {
  CheckboxEntry, SelectEntry, TextAreaEntry, TextFieldEntry,
  isCheckboxEntryEdited, isSelectEntryEdited, isTextAreaEntryEdited, isTextFieldEntryEdited,
} from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { is, getBusinessObject } from "bpmn-js/lib/util/ModelUtil";
import { getInstructions, getProperty, setInstructions, setProperty } from "./extensions";

// ISO-8601 working time as the engine accepts it: P4D, PT4H, P1DT4H, PT30M (no years, months or weeks).
const BUDGET = /^P(?!$)(\d+(?:[.,]\d+)?D)?(T(?=\d)(\d+(?:[.,]\d+)?H)?(\d+(?:[.,]\d+)?M)?)?$/;
const NUMBER = /^\d+(?:[.,]\d+)?$/;

function t(config, key) {
  return (config.text && config.text[key]) || key;
}

function propertyText(config, name, labelKey, check, descriptionKey) {
  return function PropertyText(props) {
    const { element, id } = props;
    const injector = useService("injector");
    const debounce = useService("debounceInput");
    return h(TextFieldEntry, {
      element, id, debounce,
      label: t(config, labelKey),
      description: descriptionKey ? t(config, descriptionKey) : undefined,
      // an empty escalation field falls back to procedure.toml: show what that is
      placeholder: ((config.escalation || {})[element.id] || {})[name],
      getValue: () => getProperty(element, name),
      setValue: (value) => setProperty(element, name, value, injector),
      validate: (value) => (value && !check((value || "").trim()) ? t(config, "invalid." + name) : null),
    });
  };
}

// Working days and hours <-> the ISO 8601 working time the engine reads (engine/time/working_time.parse_budget:
// P2DT4H = two working days of the calendar's day length, plus four working hours).
const BUDGET_PARTS = /^P(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+)M)?)?$/;
const num = (text) => parseFloat(String(text).replace(",", "."));
const shown = (value) => (value ? String(+value.toFixed(4)).replace(".", ",") : "");

export function budgetParts(text) {
  const match = BUDGET_PARTS.exec((text || "").trim());
  if (!match || !(match[1] || match[2] || match[3])) return null;
  return { days: match[1] ? num(match[1]) : 0, hours: (match[2] ? num(match[2]) : 0) + (match[3] ? +match[3] / 60 : 0) };
}

export function budgetText(days, hours) {
  const whole = Math.floor(hours + 1e-9);
  const minutes = Math.round((hours - whole) * 60);
  const time = (whole ? `${whole}H` : "") + (minutes ? `${minutes}M` : "");
  if (!days && !time) return "";
  return "P" + (days ? `${+days.toFixed(4)}D` : "") + (time ? "T" + time : "");
}

function budgetPart(config, part) {
  return function BudgetPart(props) {
    const { element, id } = props;
    const injector = useService("injector");
    const debounce = useService("debounceInput");
    const current = () => budgetParts(getProperty(element, "timeBudget"));
    return h(TextFieldEntry, {
      element, id, debounce,
      label: t(config, part === "days" ? "budgetDays" : "budgetHours"),
      description: part === "days" ? t(config, "budgetDaysHelp").replace("%(n)s", shown(config.dayHours || 8)) : undefined,
      getValue: () => { const parts = current(); return parts ? shown(parts[part]) : ""; },
      setValue: (value) => {
        const text = (value || "").trim();
        if (text && !NUMBER.test(text)) return;
        const parts = current() || { days: 0, hours: 0 };
        parts[part] = text ? num(text) : 0;
        setProperty(element, "timeBudget", budgetText(parts.days, parts.hours), injector);
      },
      validate: (value) => (value && !NUMBER.test((value || "").trim())
        ? t(config, part === "days" ? "invalid.budgetDays" : "invalid.budgetHours") : null),
    });
  };
}

function propertySelect(config, name, labelKey, options) {
  return function PropertySelect(props) {
    const { element, id } = props;
    const injector = useService("injector");
    return h(SelectEntry, {
      element, id,
      label: t(config, labelKey),
      getValue: () => getProperty(element, name),
      setValue: (value) => setProperty(element, name, value, injector),
      getOptions: () => {
        const current = getProperty(element, name);
        const list = options();
        // a value the list does not know (typed in the XML, or a deleted form) stays visible
        return current && !list.some((o) => o.value === current) ? [...list, { value: current, label: current }] : list;
      },
    });
  };
}

function ReturnToOwner(config) {
  return function ReturnToOwnerEntry(props) {
    const { element, id } = props;
    const injector = useService("injector");
    return h(CheckboxEntry, {
      element, id,
      label: t(config, "returnToOwner"),
      getValue: () => getProperty(element, "returnToOwner") === "true",
      setValue: (value) => setProperty(element, "returnToOwner", value ? "true" : "", injector),
    });
  };
}

function Instructions(config) {
  return function InstructionsEntry(props) {
    const { element, id } = props;
    const injector = useService("injector");
    const debounce = useService("debounceInput");
    return h(TextAreaEntry, {
      element, id, debounce, rows: 3,
      label: t(config, "instructions"),
      getValue: () => getInstructions(element),
      setValue: (value) => setInstructions(element, value, injector),
    });
  };
}

function LaneRole(config) {
  return function LaneRoleEntry(props) {
    const { element, id } = props;
    const modeling = useService("modeling");
    return h(SelectEntry, {
      element, id,
      label: t(config, "role"),
      description: t(config, "roleHelp"),
      getValue: () => getBusinessObject(element).name || "",
      setValue: (value) => modeling.updateProperties(element, { name: value }),
      getOptions: () => {
        const current = getBusinessObject(element).name || "";
        const options = [{ value: "", label: "—" }, ...config.roles.map((r) => ({ value: r.code, label: `${r.name} (${r.code})` }))];
        if (current && !config.roles.some((r) => r.code === current)) {
          options.push({ value: current, label: `${current} — ${t(config, "unknownRole")}` });
        }
        return options;
      },
    });
  };
}

function formOptions(config) {
  return () => [{ value: "", label: "—" }, ...config.forms.map((name) => ({ value: name, label: name }))];
}

function entries(element, config) {
  const entry = (id, component, isEdited) => ({ id: "motcua-" + id, element, component, isEdited });
  if (is(element, "bpmn:Lane")) return [entry("role", LaneRole(config), isSelectEntryEdited)];
  if (is(element, "bpmn:StartEvent")) {
    return [entry("formKey", propertySelect(config, "formKey", "form", formOptions(config)), isSelectEntryEdited)];
  }
  if (!is(element, "bpmn:UserTask")) return [];
  const escalateOptions = () => [
    { value: "", label: t(config, "escalateAtDue.default") },
    { value: "true", label: t(config, "escalateAtDue.true") },
    { value: "false", label: t(config, "escalateAtDue.false") },
  ];
  return [
    entry("budgetDays", budgetPart(config, "days"), isTextFieldEntryEdited),
    entry("budgetHours", budgetPart(config, "hours"), isTextFieldEntryEdited),
    entry("timeBudget", propertyText(config, "timeBudget", "timeBudget", (v) => BUDGET.test(v), "timeBudgetHelp"),
      isTextFieldEntryEdited),
    entry("formKey", propertySelect(config, "formKey", "form", formOptions(config)), isSelectEntryEdited),
    entry("returnToOwner", ReturnToOwner(config), isCheckboxEntryEdited),
    entry("instructions", Instructions(config), isTextAreaEntryEdited),
    entry("warnBeforeHours", propertyText(config, "warnBeforeHours", "warnBeforeHours", (v) => NUMBER.test(v)),
      isTextFieldEntryEdited),
    entry("warnRemaining", propertyText(config, "warnRemaining", "warnRemaining",
      (v) => NUMBER.test(v) && parseFloat(v.replace(",", ".")) <= 1, "warnRemainingHelp"), isTextFieldEntryEdited),
    entry("reescalateAfterHours", propertyText(config, "reescalateAfterHours", "reescalateAfterHours",
      (v) => NUMBER.test(v)), isTextFieldEntryEdited),
    entry("escalateAtDue", propertySelect(config, "escalateAtDue", "escalateAtDue", escalateOptions), isSelectEntryEdited),
  ];
}

export default function MotcuaPropertiesProvider(propertiesPanel, config) {
  this.getGroups = function (element) {
    return function (groups) {
      const list = entries(element, config || { roles: [], forms: [], text: {} });
      if (list.length) groups.splice(1, 0, { id: "motcua", label: t(config, "group"), entries: list, shouldOpen: true });
      return groups;
    };
  };
  propertiesPanel.registerProvider(500, this);
}

MotcuaPropertiesProvider.$inject = ["propertiesPanel", "config.motcua"];
