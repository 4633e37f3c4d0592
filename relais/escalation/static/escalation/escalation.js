/* The composer's left panel also holds the on-call line (« Astreinte : … jusqu'à 08:00 »): when
   the composer hides its side panel (a template without consigne chosen, no instructions), keep
   it shown while that line is in it. */
(function () {
  "use strict";
  function keepOnCall(side) {
    if (side.hidden && side.querySelector("[data-on-call]")) {
      side.hidden = false;
      var grid = side.closest("[data-composer-grid]");
      if (grid) grid.classList.add("with-side");
    }
  }
  var observer = new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      var el = change.target;
      if (el.nodeType === 1 && el.hasAttribute("data-composer-side")) keepOnCall(el);
    });
  });
  function start() {
    observer.observe(document.body, { attributes: true, attributeFilter: ["hidden"], subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
