/* Relais — the composer's unsaved text survives a re-login (issue 19, point 10).
 *
 * What is typed in the composer (form#composer-form: subject and body) is kept in the tab's
 * sessionStorage, keyed by the form's action (one draft per client file). When a composer opens
 * again with empty fields, the draft comes back and a « Brouillon restauré » note says so. A
 * message sent (2xx answer) drops its draft. sessionStorage dies with the tab: nothing stays on
 * a shared computer once the tab is closed.
 *
 * Listens by delegation on the document, so it works whatever script renders the composer.
 */
(function () {
  "use strict";
  var FORM_ID = "composer-form";
  var FIELDS = ["subject", "body"];
  var PREFIX = "relais-draft:";

  function store() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  function keyOf(form) {
    return PREFIX + (form.getAttribute("action") || window.location.pathname);
  }

  function composerOf(el) {
    return el && el.closest ? el.closest("form#" + FORM_ID) : null;
  }

  function save(form) {
    var s = store();
    if (!s) return;
    var draft = {};
    var filled = false;
    FIELDS.forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && typeof field.value === "string") {
        draft[name] = field.value;
        if (field.value.trim()) filled = true;
      }
    });
    if (filled) {
      s.setItem(keyOf(form), JSON.stringify(draft));
    } else {
      s.removeItem(keyOf(form));
    }
  }

  function restore(form) {
    var s = store();
    if (!s || form.getAttribute("data-draft-checked")) return;
    form.setAttribute("data-draft-checked", "1");
    var raw = s.getItem(keyOf(form));
    if (!raw) return;
    var draft;
    try { draft = JSON.parse(raw); } catch (e) { return; }
    var empty = FIELDS.every(function (name) {
      var field = form.elements.namedItem(name);
      return !field || !field.value || !field.value.trim();
    });
    if (!empty) return;
    FIELDS.forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && typeof draft[name] === "string") field.value = draft[name];
    });
    var note = document.createElement("p");
    note.className = "draft-note";
    note.setAttribute("role", "status");
    note.textContent = "Brouillon restauré : le texte que vous aviez saisi avant la déconnexion.";
    var body = form.elements.namedItem("body");
    var anchor = body && body.parentNode ? body.parentNode : form;
    anchor.insertBefore(note, anchor.firstChild);
  }

  function scan() {
    var form = document.getElementById(FORM_ID);
    if (form) restore(form);
  }

  document.addEventListener("input", function (ev) {
    var form = composerOf(ev.target);
    if (form) save(form);
  });

  // The send's success is announced by the server (HX-Trigger "relais:sent"), possibly after
  // the composer has left the page: the draft of the form that posted is dropped then.
  var posting = null;
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var form = composerOf(ev.target);
    if (form && (ev.detail.requestConfig || {}).verb === "post") posting = keyOf(form);
  });
  document.addEventListener("relais:sent", function () {
    var s = store();
    if (s && posting) s.removeItem(posting);
    posting = null;
  });

  document.addEventListener("htmx:afterRequest", function (ev) {
    var form = composerOf(ev.target);
    if (!form || !ev.detail || !ev.detail.xhr) return;
    var status = ev.detail.xhr.status;
    var s = store();
    // A session that expired answers 204 with HX-Redirect to the login page: the draft stays.
    var redirected = ev.detail.xhr.getResponseHeader && ev.detail.xhr.getResponseHeader("HX-Redirect");
    if (s && status >= 200 && status < 300 && status !== 204 && !redirected &&
        (ev.detail.requestConfig || {}).verb === "post") {
      s.removeItem(keyOf(form));
    }
  });

  // A full-page composer (no htmx): the draft goes when the form is really submitted.
  document.addEventListener("submit", function (ev) {
    var form = composerOf(ev.target);
    if (form && !form.hasAttribute("hx-post")) {
      var s = store();
      if (s) s.setItem(keyOf(form) + ":sent", "1");
    }
  });

  document.addEventListener("htmx:afterSettle", scan);
  document.addEventListener("DOMContentLoaded", function () {
    var s = store();
    var form = document.getElementById(FORM_ID);
    // Back on a page after a full-page send that succeeded (no error shown): drop the draft.
    if (s && form && s.getItem(keyOf(form) + ":sent")) {
      s.removeItem(keyOf(form) + ":sent");
      if (!form.querySelector("[aria-invalid='true']")) s.removeItem(keyOf(form));
    }
    scan();
  });
})();
