// bpmn-js's `translate` service in the page's language: the dictionary (English text -> Vietnamese) comes from
// the page (api/web/i18n/bpmn-js.vi.json); an unknown text stays English, {placeholders} are filled in.
export function translateModule(dictionary) {
  const words = dictionary || {};
  function translate(template, replacements) {
    const values = replacements || {};
    const text = Object.prototype.hasOwnProperty.call(words, template) ? words[template] : template;
    return text.replace(/{([^}]+)}/g, (whole, key) => (key in values ? values[key] : whole));
  }
  return { translate: ["value", translate] };
}
