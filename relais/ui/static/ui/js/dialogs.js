/* Relais — the task popup: « Suivi des tâches » and the date bar's envelope (day tasks). */
(function () {
  "use strict";

  var R = window.Relais;

  function openPanel(url) {
    R.openDialog("panel", "panel-body", url, "Chargement…", function (body) {
      var heading = R.$("[data-panel-focus]", body);
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
    });
  }

  document.addEventListener("click", function (ev) {
    var opener = ev.target.closest("[data-panel-url]");
    if (opener) {
      // Ctrl / Cmd / Shift + click keep their usual meaning: the list as a page.
      if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
      ev.preventDefault();
      openPanel(opener.getAttribute("data-panel-url"));
      return;
    }
    var dialog = document.getElementById("panel");
    if (!dialog || !dialog.open) return;
    // The close button, or a click on the backdrop (outside the dialog's box).
    if (ev.target.closest("[data-panel-close]") || ev.target === dialog) {
      ev.preventDefault();
      R.closeDialog("panel", "panel-body");
    }
  });

  document.addEventListener(
    "close",
    function (ev) {
      if (ev.target && ev.target.id === "panel") {
        document.getElementById("panel-body").replaceChildren();
      }
    },
    true
  );

  // Any dropdown menu closes when a click lands elsewhere.
  document.addEventListener("click", function (ev) {
    R.$all("details.dropdown[open]").forEach(function (d) {
      if (!d.contains(ev.target)) d.open = false;
    });
  });
})();
