/* Relais — small form behaviours: confirmations, the reply box, the settings pages (template
   variables, client filter, character counters). */
(function () {
  "use strict";

  var R = window.Relais;

  // After an error, the cursor goes to the first field to correct.
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = R.$(".aids-form [aria-invalid=true], .aids-columns [aria-invalid=true]");
    if (invalid) invalid.focus();
  });

  // Forms that destroy something ask first.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) ev.preventDefault();
  });

  // The reply box empties once its reply is saved.
  document.addEventListener("htmx:afterRequest", function (ev) {
    var elt = ev.detail.elt;
    if (elt && elt.id === "reply-form" && ev.detail.successful) elt.reset();
  });

  document.addEventListener("input", function (ev) {
    var el = ev.target;
    if (!el.matches) return;
    if (el.matches("[data-client-filter]")) {
      var words = R.fold(el.value).split(" ").filter(Boolean);
      R.$all("[data-client-name]", el.closest("[data-client-choice]")).forEach(function (li) {
        var name = R.fold(li.getAttribute("data-client-name"));
        li.hidden = !words.every(function (w) {
          return name.indexOf(w) !== -1;
        });
      });
    }
    if (el.matches("[data-counter]")) {
      var max = parseInt(el.getAttribute("data-counter"), 10);
      var out = document.querySelector('[data-counter-for="' + el.id + '"]');
      if (out) {
        var n = el.value.length;
        out.textContent = n + " / " + max + " caractères" + (n > max ? " : trop long" : "");
        out.classList.toggle("over", n > max);
      }
    }
  });

  // Template form: a variable button inserts itself in the subject or body last focused.
  var lastTarget = null;
  document.addEventListener("focusin", function (ev) {
    if (ev.target.matches && ev.target.matches("[data-placeholder-target]")) lastTarget = ev.target;
  });
  document.addEventListener("click", function (ev) {
    if (!ev.target.closest) return;
    var chip = ev.target.closest("[data-insert-placeholder]");
    if (chip) {
      var form = chip.closest("form");
      var field = lastTarget && form.contains(lastTarget) ? lastTarget : R.$("#f-body", form);
      var start = field.selectionStart;
      var end = field.selectionEnd;
      if (typeof start !== "number") start = end = field.value.length;
      field.setRangeText(chip.getAttribute("data-insert-placeholder"), start, end, "end");
      field.focus();
      return;
    }
    var radio = ev.target.closest("[data-for-all], [data-for-some]");
    if (radio) {
      var choice = R.$("[data-client-choice]", radio.closest("form"));
      if (choice) choice.hidden = radio.matches("[data-for-all]");
    }
  });
})();
