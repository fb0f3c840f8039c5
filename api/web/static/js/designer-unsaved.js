// The designer's editors (modeler, form editor) warn before their unsaved changes are lost: the browser's own
// prompt when the page is closed or reloaded, and a confirm on the page's own links.
(function () {
  "use strict";
  let leaving = false;  // a link already confirmed: no second prompt from beforeunload

  function guard(isDirty, message) {
    window.addEventListener("beforeunload", (event) => {
      if (leaving || !isDirty()) return;
      event.preventDefault();
      event.returnValue = message;  // older browsers show nothing without it
    });
    document.addEventListener("click", (event) => {
      const link = event.target.closest && event.target.closest("a[href]");
      if (!link || event.defaultPrevented || link.target === "_blank" || link.hasAttribute("download")) return;
      if (link.getAttribute("href").startsWith("#") || !isDirty()) return;
      if (window.confirm(message)) { leaving = true; return; }
      event.preventDefault();
    });
  }

  window.MotcuaUnsaved = { guard };
})();
