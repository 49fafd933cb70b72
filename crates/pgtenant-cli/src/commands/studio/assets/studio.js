// pgtenant studio: the little JavaScript there is. Pages work without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // The tenant picker applies as soon as a tenant is chosen.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) select.form.submit();
    });
  });
});
