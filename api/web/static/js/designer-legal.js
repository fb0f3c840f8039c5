// The legal-facts form: "add a row" under the documents and the sources (a copy of the last row, empty, with the
// next index in its field names: the server reads rows `doc-<i>-<field>` up to its limit), and the warning before
// leaving with unsaved changes, as the modeler has.
(function () {
  "use strict";
  const form = document.querySelector("[data-form=legal-facts]");
  if (!form) return;
  let dirty = false;
  const maxRows = Number(form.dataset.maxRows || 100);

  function addRow(button) {
    const body = document.querySelector(button.dataset.addRow + " tbody");
    const rows = body.querySelectorAll("tr");
    if (rows.length >= maxRows) { button.disabled = true; return; }
    const last = rows[rows.length - 1];
    const next = rows.length;
    const row = last.cloneNode(true);
    for (const [key, value] of Object.entries(last.dataset)) row.dataset[key] = /Row$/.test(key) ? String(next) : value;
    for (const field of row.querySelectorAll("[name]")) {
      field.name = field.name.replace(/^(\w+)-\d+-/, `$1-${next}-`);
      if (field.type === "checkbox") field.checked = false;
      else if (field.tagName === "SELECT") field.selectedIndex = 0;
      else field.value = field.name.endsWith("-copies") ? "1" : "";
    }
    for (const error of row.querySelectorAll(".field-error, [data-error-for]")) error.remove();
    body.appendChild(row);
    const first = row.querySelector("input:not([type=hidden]):not([type=checkbox])");
    if (first) first.focus();
  }

  for (const button of document.querySelectorAll("[data-add-row]")) {
    button.hidden = false;  // without script, the empty rows and a save add rows
    button.addEventListener("click", () => addRow(button));
  }
  form.addEventListener("input", () => { dirty = true; });
  form.addEventListener("change", () => { dirty = true; });
  form.addEventListener("submit", () => { dirty = false; });
  window.MotcuaUnsaved.guard(() => dirty, form.dataset.leaveUnsaved);
})();
