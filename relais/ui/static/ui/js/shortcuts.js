/* Relais — keyboard use: « n » / Alt+N opens the page's composer, Ctrl+Enter sends the form
   being typed in, Enter never sends a message by accident. */
(function () {
  "use strict";

  var R = window.Relais;

  document.addEventListener("keydown", function (ev) {
    var opener = R.$("[data-composer-shortcut]");
    if (opener && !R.composerOpen() && !ev.ctrlKey && !ev.metaKey) {
      var isN = ev.key === "n" || ev.key === "N" || ev.code === "KeyN";
      if (isN && (ev.altKey || (!R.isTyping(ev.target) && !ev.shiftKey))) {
        ev.preventDefault();
        R.openComposer(opener.getAttribute("data-composer-url"));
        return;
      }
    }
    if (ev.key !== "Enter" || !ev.target.closest) return;
    if (ev.ctrlKey || ev.metaKey) {
      var form = ev.target.closest("form[data-composer], form[data-ctrl-enter]");
      if (form) {
        ev.preventDefault();
        var submit = R.$("button[type=submit]", form);
        if (submit && submit.disabled) return;
        form.requestSubmit();
      }
      return;
    }
    // In the composer, Enter in a field acts in its picker or little form (pickers.js).
    if (!ev.shiftKey && ev.target.tagName === "INPUT" && ev.target.closest("form[data-composer]")) {
      ev.preventDefault();
    }
  });
})();
