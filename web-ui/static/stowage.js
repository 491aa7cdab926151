// Stowage admin UI: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // A copy button after every command or address shown for copying.
    if (navigator.clipboard) {
      document.querySelectorAll("code.copy").forEach(function (code) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "copy-button";
        b.textContent = "Copy";
        b.setAttribute("aria-label", "Copy " + code.textContent);
        b.addEventListener("click", function () {
          navigator.clipboard.writeText(code.textContent).then(function () {
            b.textContent = "Copied";
            setTimeout(function () { b.textContent = "Copy"; }, 1500);
          }, function () { b.textContent = "Copy failed"; });
        });
        code.after(b);
      });
    }
    // Ask before destructive actions.
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { e.preventDefault(); }
      });
    });
    // The delete button stays disabled until the repository's name is typed.
    document.querySelectorAll("input[data-must-equal]").forEach(function (input) {
      var button = input.form && input.form.querySelector("button[type=submit]");
      if (!button) { return; }
      var check = function () { button.disabled = input.value !== input.getAttribute("data-must-equal"); };
      input.addEventListener("input", check);
      check();
    });
  });
})();
