// Lifecycle action forms: ask before what cannot be undone, and send each form once.
(function () {
  "use strict";
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("[data-action-form]");
    if (!form) return;
    const button = event.submitter || form.querySelector("button[type=submit]");
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "true";
  });
})();
