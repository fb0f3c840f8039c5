// Citizen portal, light pages: the catalogue filters as one types (diacritics ignored); receipts print.
(function () {
  "use strict";

  /** Like engine/text.py fold: "Giấy phép" and "giay phep" match. */
  function fold(text) {
    return text.replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().trim();
  }

  const search = document.getElementById("catalogue-search");
  if (search) {
    const items = Array.from(document.querySelectorAll("[data-procedure][data-search]"));
    const empty = document.querySelector("[data-empty]");
    const filter = function () {
      const words = fold(search.value).split(/\s+/).filter(Boolean);
      let shown = 0;
      items.forEach(function (item) {
        const hit = words.every(function (w) { return item.dataset.search.indexOf(w) !== -1; });
        item.hidden = !hit;
        if (hit) shown += 1;
      });
      if (empty) empty.hidden = shown > 0;
    };
    search.addEventListener("input", filter);
  }

  const print = document.querySelector("[data-print]");
  if (print) print.addEventListener("click", function () { window.print(); });
})();
