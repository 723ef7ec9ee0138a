// The dashboard and quota pages. No inline scripts: the Content-Security-Policy forbids them.
(function () {
  "use strict";
  // The dashboard's printable report: a button that opens the browser's print dialog.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // The quota table removes a quota whose box is left empty: ask first when the user emptied
  // a box that held a saved quota (its data-initial). The message is the form's
  // data-confirm-remove, translated by the template.
  document.querySelectorAll("form[data-confirm-remove]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var emptied = Array.prototype.some.call(
        form.querySelectorAll("input[data-initial]"),
        function (input) { return input.getAttribute("data-initial") !== "" && input.value.trim() === ""; }
      );
      if (emptied && !window.confirm(form.getAttribute("data-confirm-remove"))) {
        event.preventDefault();
      }
    });
  });
})();
