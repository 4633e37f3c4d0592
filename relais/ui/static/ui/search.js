// Search: « / » puts the cursor in the page's search box (the client file's, else the top
// bar's), as in most web applications, unless one is already typing somewhere.
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']"));
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    var box = document.getElementById("search-q") || document.getElementById("global-search-q");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });
})();
