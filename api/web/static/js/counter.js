// The counter: the procedure list filters as one types (diacritics ignored); the registration form draws the
// declaration with form-js, looks the applicant up by personal id or tax code (the officer ticks what the
// citizen confirms; those fields are sent as reused) or, with the right, in the national population database,
// ticks a document when its scan is chosen, and checks sizes.
(function () {
  "use strict";

  /** Like engine/text.py fold: "Hộ kinh doanh" and "ho kinh doanh" match. */
  function fold(text) {
    return text.replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().trim();
  }

  const search = document.getElementById("counter-search");
  if (search) {
    const items = Array.from(document.querySelectorAll("[data-procedure][data-search]"));
    const empty = document.querySelector("[data-empty]");
    search.addEventListener("input", function () {
      const words = fold(search.value).split(/\s+/).filter(Boolean);
      let shown = 0;
      items.forEach(function (item) {
        const hit = words.every(function (w) { return item.dataset.search.indexOf(w) !== -1; });
        item.hidden = !hit;
        if (hit) shown += 1;
      });
      if (empty) empty.hidden = shown > 0;
    });
  }

  const form = document.querySelector("[data-counter-form]");
  if (!form) return;
  const read = function (id) { return JSON.parse(document.getElementById(id).textContent); };
  const text = read("counter-text");
  const schema = read("counter-form-schema");
  const initial = read("counter-form-data") || {};
  const maxBytes = Number(form.dataset.maxBytes);
  const container = document.getElementById("declaration");
  let viewer = null;

  if (schema && container && window.FormViewer) {
    // debounce off: a field typed just before the next click or the submit keeps its value
    FormViewer.createForm({ container: container, schema: schema, data: initial, debounce: false }).then(function (created) {
      viewer = created;
      const loading = container.querySelector("[data-loading]");
      if (loading) loading.remove();
      container.dataset.ready = "true";
    }).catch(function () { Motcua.say(text.loadFailed, "error"); });
  }

  // --- a person or a business ---------------------------------------------------------------------
  function showKind() {
    const checked = form.querySelector("[data-kind]:checked");
    const kind = checked ? checked.value : "person";
    form.querySelectorAll("[data-for-kind]").forEach(function (el) { el.hidden = el.dataset.forKind !== kind; });
  }
  form.querySelectorAll("[data-kind]").forEach(function (r) { r.addEventListener("change", showKind); });
  showKind();

  // --- look-up and reuse ---------------------------------------------------------------------------
  const panel = form.querySelector("[data-lookup]");
  const list = form.querySelector("[data-lookup-fields]");
  const reusedBox = form.querySelector("[data-reused]");
  const PATTERNS = { person: /^[0-9]{12}$/, business: /^[0-9]{10}(-[0-9]{3})?$/ };
  let offered = {};
  let asked = "";

  function input(field) { return form.querySelector('[name="applicant_' + field + '"]'); }
  function markReused(field, on) {
    const existing = reusedBox.querySelector('input[value="' + field + '"]');
    if (on && !existing) {
      const hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = "reused"; hidden.value = field;
      reusedBox.appendChild(hidden);
    } else if (!on && existing) {
      existing.remove();
    }
  }

  async function lookUp(key) {
    if (key === asked) return;
    asked = key;
    const result = await Motcua.api("GET", "applicants/" + encodeURIComponent(key));
    list.textContent = "";
    offered = {};
    if (!result.ok || !result.body.found.length) {
      panel.hidden = true;
      if (result.status === 404) Motcua.say(text.lookupNone);
      return;
    }
    Motcua.say("");
    const known = result.body.found[0];
    offered = known.fields;
    form.querySelector("[data-lookup-from]").textContent = known.dossier ? text.lookupFrom.replace("{code}", known.dossier) : "";
    Object.keys(offered).forEach(function (field) {
      const item = document.createElement("li");
      const label = document.createElement("label");
      label.className = "choice";
      const box = document.createElement("input");
      box.type = "checkbox"; box.checked = true; box.dataset.offer = field;
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + (text.labels[field] || field) + ": " + offered[field]));
      item.appendChild(label);
      list.appendChild(item);
    });
    panel.hidden = false;
  }

  form.querySelectorAll("[data-lookup-key]").forEach(function (el) {
    el.addEventListener("input", function () {
      const key = el.value.trim();
      if (PATTERNS[el.dataset.lookupKey].test(key)) lookUp(key).catch(function () { panel.hidden = true; });
    });
  });
  form.querySelector("[data-lookup-use]").addEventListener("click", function () {
    list.querySelectorAll("[data-offer]").forEach(function (box) {
      const field = box.dataset.offer;
      const target = input(field);
      if (!box.checked || !target) return;
      target.value = offered[field];
      markReused(field, true);
    });
    panel.hidden = true;
  });
  Object.keys(text.labels).forEach(function (field) {  // a reused value the officer changes is no longer reused
    const target = input(field);
    if (target) target.addEventListener("input", function () {
      if (offered[field] !== target.value) markReused(field, false);
    });
  });

  // --- the national population database (officers granted the look-up) ----------------------------
  // The answer fills the applicant's name and address; each stays marked as from the database (hidden
  // "population" inputs, with the look-up's id that proves it) until the officer changes it.
  const population = form.querySelector("[data-population]");
  const claims = form.querySelector("[data-population-claims]");
  const lookupId = form.querySelector("[data-population-lookup]");
  let fromDatabase = {};
  claims.querySelectorAll('input[name="population"]').forEach(function (el) {
    fromDatabase[el.value] = input(el.value) ? input(el.value).value : "";
  });
  function markPopulation(field, on) {
    const existing = claims.querySelector('input[name="population"][value="' + field + '"]');
    if (on && !existing) {
      const hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = "population"; hidden.value = field;
      claims.appendChild(hidden);
    } else if (!on && existing) {
      existing.remove();
    }
  }
  Object.keys(text.labels).forEach(function (field) {
    const target = input(field);
    if (target) target.addEventListener("input", function () {
      if (fromDatabase[field] !== undefined && fromDatabase[field] !== target.value) markPopulation(field, false);
    });
  });
  if (population) {
    const pt = text.population;
    const shown = population.querySelector("[data-population-found]");
    function show(label, value) {
      const dt = document.createElement("dt"); dt.textContent = label;
      const dd = document.createElement("dd"); dd.textContent = value;
      shown.appendChild(dt); shown.appendChild(dd);
    }
    population.querySelector("[data-population-ask]").addEventListener("click", async function (event) {
      const button = event.currentTarget;
      const key = input("id_number").value.trim();
      const purpose = population.querySelector("[data-population-purpose]").value.trim();
      if (!PATTERNS.person.test(key)) { Motcua.say(pt.needId, "error"); return; }
      if (!purpose) { Motcua.say(pt.needPurpose, "error"); return; }
      button.disabled = true;
      Motcua.say(pt.asking);
      try {
        const result = await Motcua.api("POST", "population/lookups", {
          personal_id: key, purpose: purpose, reference: "counter:" + form.querySelector('[name="token"]').value });
        if (!result.ok) {
          Motcua.say({ 403: pt.forbidden, 404: pt.notFound, 409: pt.unavailable }[result.status] ||
                     Motcua.problemText(result.body), "error");
          return;
        }
        const body = result.body;
        claims.querySelectorAll('input[name="population"]').forEach(function (el) { el.remove(); });
        fromDatabase = {};
        lookupId.value = body.lookup_id;
        Object.keys(body.applicant).forEach(function (field) {
          const target = input(field);
          if (!target) return;
          target.value = body.applicant[field];
          fromDatabase[field] = body.applicant[field];
          markPopulation(field, true);
          markReused(field, false);
        });
        shown.textContent = "";
        ["birth_date", "gender", "permanent_address", "current_address"].forEach(function (f) {
          if (body.fields[f]) show(pt.labels[f], f === "gender" ? (pt.genders[body.fields[f]] || body.fields[f]) : body.fields[f]);
        });
        const head = body.household && body.household.head;
        if (head && head.name) show(pt.labels.household, head.name);
        shown.hidden = false;
        Motcua.say(pt.filled);
      } catch (e) {
        Motcua.say(pt.unavailable, "error");
      } finally {
        button.disabled = false;
      }
    });
  }

  // --- papers and scans ----------------------------------------------------------------------------
  function megabytes(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }
  function checkFiles(el) {
    const out = el.parentElement.querySelector("[data-size]");
    const files = Array.from(el.files || []);
    const tooLarge = files.some(function (f) { return f.size > maxBytes; });
    const total = files.reduce(function (sum, f) { return sum + f.size; }, 0);
    out.textContent = files.length ? megabytes(total) + (tooLarge ? " — " + text.tooLarge : "") : "";
    out.classList.toggle("field-error", tooLarge);
    return !tooLarge;
  }
  form.querySelectorAll("input[data-file]").forEach(function (el) {
    el.addEventListener("change", function () {
      checkFiles(el);
      const tick = el.closest("[data-document-row]").querySelector("[data-doc-ticked]");
      if (el.files && el.files.length) tick.checked = true;
    });
  });

  form.addEventListener("submit", function (event) {
    if (schema && !viewer) {
      event.preventDefault();
      Motcua.say(text.notReady, "error");
      return;
    }
    const filesOk = Array.from(form.querySelectorAll("input[data-file]")).map(checkFiles).every(Boolean);
    let declaration = {};
    if (viewer) {
      const result = viewer.submit();
      if (Object.keys(result.errors || {}).length) {
        event.preventDefault();
        Motcua.say(text.invalid, "error");
        container.scrollIntoView({ behavior: "smooth", block: "start" });
        return;
      }
      declaration = result.data;
    }
    if (!filesOk) {
      event.preventDefault();
      Motcua.say(text.tooLarge, "error");
      return;
    }
    document.getElementById("declaration-data").value = JSON.stringify(declaration);
    Motcua.say(text.sending);
    form.querySelector("[data-register]").disabled = true;
  });
})();
