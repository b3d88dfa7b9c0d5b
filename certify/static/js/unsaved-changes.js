// Unsaved changes: a form marked data-unsaved-warning asks before the page is left with
// changes typed but not saved (another section, a link, closing the tab). Progressive
// enhancement only: without JavaScript the form works the same, and the server keeps what
// was saved. Same-origin file, so the Content-Security-Policy (script-src 'self') allows it.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-unsaved-warning]");
  if (!forms.length) {
    return;
  }
  var dirty = false;
  forms.forEach(function (form) {
    form.addEventListener("input", function () {
      dirty = true;
    });
    form.addEventListener("change", function () {
      dirty = true;
    });
    form.addEventListener("submit", function () {
      dirty = false; // saving or previewing: the server answers with the typed values
    });
  });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) {
      return;
    }
    event.preventDefault();
    event.returnValue = ""; // older browsers need a value to show their own question
  });
})();
