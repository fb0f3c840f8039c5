// Online submission: the declaration is a form-js form; its data goes into a hidden field on submit.
// The server renders the same form as plain fields first (the page works without JavaScript); once form-js has
// drawn it, those fields are replaced. form-js speaks English and shows raw patterns: its messages are put in the
// page's language, and its date picker is Vietnamese (d/m/Y, Monday first). The fields that repeat the
// applicant's details are not asked again (the server fills them). File sizes are checked here too, so that a
// citizen on a slow line does not upload a file the server refuses.
(function () {
  "use strict";
  const form = document.querySelector("[data-submit-form]");
  if (!form) return;
  const text = JSON.parse(document.getElementById("portal-text").textContent);
  const fullSchema = JSON.parse(document.getElementById("portal-form-schema").textContent);
  const data = JSON.parse(document.getElementById("portal-form-data").textContent) || {};
  const bound = JSON.parse(document.getElementById("portal-form-bound").textContent) || [];
  const maxBytes = Number(form.dataset.maxBytes);
  const container = document.getElementById("declaration");
  let viewer = null;

  const VI = {
    weekdays: { shorthand: ["CN", "T2", "T3", "T4", "T5", "T6", "T7"],
                longhand: ["Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy"] },
    months: { shorthand: ["Th1", "Th2", "Th3", "Th4", "Th5", "Th6", "Th7", "Th8", "Th9", "Th10", "Th11", "Th12"],
              longhand: ["Tháng một", "Tháng hai", "Tháng ba", "Tháng tư", "Tháng năm", "Tháng sáu", "Tháng bảy",
                         "Tháng tám", "Tháng chín", "Tháng mười", "Tháng mười một", "Tháng mười hai"] },
    firstDayOfWeek: 1, rangeSeparator: " đến ", weekAbbreviation: "Tuần", scrollTitle: "Cuộn để tăng",
    toggleTitle: "Bấm để chuyển", time_24hr: true,
  };

  function withoutBound(components) {
    return (components || []).filter(function (c) { return !(c.key && bound.indexOf(c.key) !== -1); })
      .map(function (c) { return c.components ? Object.assign({}, c, { components: withoutBound(c.components) }) : c; });
  }

  function translate(message) {
    let m;
    if (message === "Field is required.") return text.required;
    if (/^Field must match pattern /.test(message)) return text.pattern;
    if ((m = /minimum value of (.+)\.$/.exec(message))) return text.min.replace("{n}", m[1]);
    if ((m = /maximum value of (.+)\.$/.exec(message))) return text.max.replace("{n}", m[1]);
    if ((m = /minimum length of (.+)\.$/.exec(message))) return text.minLength.replace("{n}", m[1]);
    if ((m = /maximum length of (.+)\.$/.exec(message))) return text.maxLength.replace("{n}", m[1]);
    if (/valid email/.test(message)) return text.email;
    if (/phone number/.test(message)) return text.phone;
    if (/^Value is expected to be an integer/.test(message)) return text.integer;
    if (/^Value is (not a number|expected to)/.test(message)) return text.number;
    return message;  // the procedure's own patternErrorMessage, already in Vietnamese
  }

  function localizeDates() {  // flatpickr instances appear once preact has run its effects
    let pending = 0;
    container.querySelectorAll("input[data-input]").forEach(function (input) {
      const picker = input._flatpickr;
      if (!picker) { pending += 1; return; }
      if (input.dataset.localized) return;
      input.dataset.localized = "true";
      picker.set("locale", VI);
      picker.set("dateFormat", "d/m/Y");
      if (picker.selectedDates.length) picker.setDate(picker.selectedDates[0], false);
      input.placeholder = text.dateFormat;
    });
    return pending;
  }

  function settle(frames) {
    if (localizeDates() > 0 && frames > 0) window.requestAnimationFrame(function () { settle(frames - 1); });
  }

  if (fullSchema && window.FormViewer) {
    const schema = Object.assign({}, fullSchema, { components: withoutBound(fullSchema.components) });
    const plain = Array.from(container.childNodes);  // the plain fields go: form-js's data is what is sent
    container.replaceChildren();
    FormViewer.createForm({ container: container, schema: schema, data: data, debounce: false }).then(function (created) {
      viewer = created;
      const validator = created.get("validator");
      ["validateField", "validateFieldInstance"].forEach(function (name) {
        const original = validator[name].bind(validator);
        validator[name] = function () { return original.apply(null, arguments).map(translate); };
      });
      container.dataset.ready = "true";
      settle(120);
    }).catch(function () {
      container.replaceChildren.apply(container, plain);  // back to the plain fields, which still submit
      Motcua.say(text.loadFailed, "error");
    });
  } else {
    container.dataset.ready = "true";
  }

  function megabytes(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }

  function checkFile(input) {
    const item = input.closest("[data-upload]");
    const out = item.querySelector("[data-size]");
    const file = input.files && input.files[0];
    const tooLarge = Boolean(file && file.size > maxBytes);
    out.textContent = file ? megabytes(file.size) + (tooLarge ? " — " + text.tooLarge : "") : "";
    out.classList.toggle("field-error", tooLarge);
    return !tooLarge;
  }

  form.querySelectorAll("input[data-file]").forEach(function (input) {
    input.addEventListener("change", function () { checkFile(input); });
  });

  form.addEventListener("submit", function (event) {
    if (fullSchema && window.FormViewer && !viewer) {
      event.preventDefault();
      Motcua.say(text.notReady, "error");
      return;
    }
    const filesOk = Array.from(form.querySelectorAll("input[data-file]")).map(checkFile).every(Boolean);
    if (viewer) {
      const result = viewer.submit();
      if (Object.keys(result.errors || {}).length) {
        event.preventDefault();
        Motcua.say(text.invalid, "error");
        container.scrollIntoView({ behavior: "smooth", block: "start" });
        return;
      }
      document.getElementById("declaration-data").value = JSON.stringify(result.data);
    }
    if (!filesOk) {
      event.preventDefault();
      Motcua.say(text.tooLarge, "error");
      return;
    }
    Motcua.say(text.sending);
    // Against double clicks; a second submit would anyway return the same dossier (submission token).
    form.querySelector("[data-send]").disabled = true;
  });
})();
