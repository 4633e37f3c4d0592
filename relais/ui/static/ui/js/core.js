/* Relais — the one set of helpers the feature files share (loaded first, as window.Relais). */
(function () {
  "use strict";

  var R = (window.Relais = window.Relais || {});

  R.$ = function (sel, root) {
    return (root || document).querySelector(sel);
  };

  R.$all = function (sel, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(sel));
  };

  // An element where a key press is typing, not a shortcut.
  R.isTyping = function (el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  };

  // Accent- and case-insensitive matching, as relais.core.text.fold does on the server.
  R.fold = function (text) {
    return (text || "")
      .replace(/œ/gi, "oe")
      .replace(/æ/gi, "ae")
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/\s+/g, " ")
      .trim();
  };

  R.toast = function (text) {
    var t = document.createElement("div");
    t.className = "toast";
    t.setAttribute("role", "status");
    t.textContent = text;
    document.body.appendChild(t);
    setTimeout(function () {
      t.remove();
    }, 3500);
  };

  // The server's markup for a chip, carried by a <template> beside the choice it belongs to.
  R.cloneTemplate = function (template) {
    return template ? document.importNode(template.content, true) : null;
  };

  // A POST of fields to a JSON endpoint, with the page's CSRF token; resolves to the answer's
  // JSON, or null when the server refused.
  R.postJSON = function (url, fields) {
    var data = new URLSearchParams();
    Object.keys(fields).forEach(function (name) {
      if (fields[name] !== null && fields[name] !== undefined) data.append(name, fields[name]);
    });
    var token = R.$("input[name=csrfmiddlewaretoken]");
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "", Accept: "application/json" },
    }).then(function (response) {
      return response.ok ? response.json() : null;
    });
  };

  /* The one loader of a popup's fragment: the dialog opens at once with a short line, the
     fragment (GET url) replaces it, then done(body) runs (the focus). Without the dialog or
     htmx, the fragment's page opens instead. */
  R.openDialog = function (dialogId, bodyId, url, loadingText, done) {
    var dialog = document.getElementById(dialogId);
    var body = document.getElementById(bodyId);
    if (!dialog || !body || !window.htmx) {
      window.location.href = url;
      return;
    }
    var loading = document.createElement("p");
    loading.className = "composer-loading";
    loading.textContent = loadingText;
    body.replaceChildren(loading);
    if (!dialog.open) dialog.showModal();
    // settle:0ms: htmx binds the new content's hx-* attributes when it settles, 20 ms after the
    // swap by default, but resolves this promise at the swap. Settling at once means the field
    // `done` focuses, and every other one, works from the first key (a search field focused in
    // between asked for nothing).
    var context = { target: "#" + bodyId, swap: "innerHTML settle:0ms" };
    window.htmx.ajax("GET", url, context).then(function () {
      if (done) done(body);
    });
  };

  R.closeDialog = function (dialogId, bodyId) {
    var dialog = document.getElementById(dialogId);
    if (!dialog || !dialog.open) return;
    dialog.close();
    document.getElementById(bodyId).replaceChildren();
  };
})();
