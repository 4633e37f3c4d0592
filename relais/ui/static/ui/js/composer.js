/* Relais — the composer: the popup (open, focus, close asking first when something changed),
   its controls, and the template's text, which the server fills (composer_text). */
(function () {
  "use strict";

  var R = window.Relais;
  var dirty = false;

  function dialog() {
    return document.getElementById("composer");
  }

  function focusFirst(root) {
    var target = R.$("[data-autofocus]", root);
    if (target) {
      target.focus();
      var len = target.value.length;
      try {
        target.setSelectionRange(len, len);
      } catch (e) {
        /* not a text input */
      }
    }
  }

  function openComposer(url) {
    dirty = false;
    var bar = discardBar();
    if (bar) bar.hidden = true;
    R.openDialog("composer", "composer-body", url, "Ouverture…", focusFirst);
  }

  /* « Abandonner ce message ? » is asked inside the composer (#composer-discard), not with
     the browser's confirm(): its answer is a button, the focus goes to « Continuer la saisie »,
     and Esc there keeps the message. */
  function discardBar() {
    return document.getElementById("composer-discard");
  }

  function askDiscard() {
    var bar = discardBar();
    if (!bar.hidden) return;
    bar._relaisBack = document.activeElement;
    bar.hidden = false;
    bar.scrollIntoView({ block: "nearest" });
    R.$("[data-discard-keep]", bar).focus();
  }

  function keepEditing() {
    var bar = discardBar();
    bar.hidden = true;
    var back = bar._relaisBack;
    bar._relaisBack = null;
    if (!back || !back.isConnected || back === document.body) return;
    back.focus();
    // Back in a search field: the list its focus asks for stays closed (it was closed).
    if (back.matches("input[data-q]")) R.closeList(back);
  }

  function closeComposer(force) {
    var d = dialog();
    if (!d || !d.open) return;
    if (!force && dirty) {
      askDiscard();
      return;
    }
    dirty = false;
    discardBar().hidden = true;
    R.closeDialog("composer", "composer-body");
  }

  R.openComposer = openComposer;
  R.composerOpen = function () {
    var d = dialog();
    return !!d && d.open;
  };

  document.addEventListener("click", function (ev) {
    var opener = ev.target.closest("[data-composer-url]");
    if (opener) {
      ev.preventDefault();
      var details = opener.closest("details");
      if (details) details.open = false;
      openComposer(opener.getAttribute("data-composer-url"));
      return;
    }
    if (ev.target.closest("[data-composer-close]")) {
      ev.preventDefault();
      closeComposer(false);
      return;
    }
    if (ev.target.closest("[data-discard-keep]")) {
      keepEditing();
      return;
    }
    if (ev.target.closest("[data-discard-drop]")) closeComposer(true);
  });

  // Esc is taken here, on keydown, rather than left to the browser's close request: Chromium
  // may close a modal dialog without its cancel event (two Esc without a click between), which
  // would drop the message unasked. An open list took its Esc already (pickers.js stops it).
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape" || ev.defaultPrevented) return;
    var d = dialog();
    if (!d || !d.open) return;
    ev.preventDefault();
    if (!discardBar().hidden) keepEditing();
    else closeComposer(false);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var d = dialog();
    if (d) {
      d.addEventListener("cancel", function (ev) {
        // Any other close request (Esc is taken on keydown above): ask first if anything changed.
        ev.preventDefault();
        if (R.escapeSpent) return;
        closeComposer(false);
      });
    }
    var form = R.$("form[data-composer]");
    if (form && !d) focusFirst(document);
    watch(document);
  });

  /* ---------- What counts as a change: any field, chip, contact or template ---------- */

  function composerForm(el) {
    return el && el.closest ? el.closest("form[data-composer]") : null;
  }

  function isSearch(el) {
    return el.matches("[data-q], [data-phrases-q]");
  }

  document.addEventListener("input", function (ev) {
    var form = composerForm(ev.target);
    if (!form || isSearch(ev.target)) return;
    dirty = true;
    markSlots(form);
  });

  document.addEventListener("relais:changed", function (ev) {
    var form = composerForm(ev.target);
    if (!form) return;
    dirty = true;
    contactChanged(form);
  });

  /* ---------- The controls ---------- */

  function setPrivate(form, on) {
    var note = R.$("[data-private-note]", form);
    if (note) note.hidden = !on;
    var add = R.$("[data-cc-open]", form);
    if (add) add.disabled = on;
    var circle = R.$("[data-circle]", form);
    if (circle) {
      if (on) circle.checked = false;
      circle.disabled = on;
    }
    if (on) {
      R.$all("[data-cc-chip]", form).forEach(function (c) {
        c.remove();
      });
      var picker = R.$("[data-cc-picker]", form);
      if (picker) picker.hidden = true;
    }
  }

  document.addEventListener("change", function (ev) {
    var el = ev.target;
    var form = composerForm(el);
    if (!form || isSearch(el)) return;
    dirty = true;
    if (el.matches("[data-task-toggle]")) {
      var dates = R.$("[data-task-date]", form);
      if (dates) dates.hidden = !el.checked;
      if (el.checked) {
        var due = R.$("#due-date", form);
        if (due) due.focus();
      }
    } else if (el.matches("[data-private-toggle]")) {
      setPrivate(form, el.checked);
    } else if (el.matches("[data-attach-select]")) {
      var box = R.$("[data-attach-dates]", form);
      if (box) box.hidden = !el.value;
    } else if (el.matches("[data-template-choose]")) {
      applyTemplate(form, el);
    } else if (el.matches("[data-vad]")) {
      state(form).vadByTemplate = false; // ticked or unticked by hand: a template leaves it
    } else if (el.matches("[data-circle]")) {
      state(form).circleByTemplate = false;
    }
  });

  document.addEventListener("click", function (ev) {
    var toggle = ev.target.closest("form[data-composer] [data-toggle]");
    if (!toggle) return;
    var target = document.getElementById(toggle.getAttribute("data-toggle"));
    target.hidden = !target.hidden;
    toggle.setAttribute("aria-expanded", String(!target.hidden));
  });

  /* ---------- The template's text, filled by the server ---------- */

  function contactId(form) {
    var input = R.$("#contact-chosen input[name=contact]", form);
    return input ? input.value : "";
  }

  // Per form: the template applied, the text it produced (to know whether the operator has
  // changed it since), the contact it was filled with, the boxes it ticked.
  function state(form) {
    if (!form._relais) {
      var select = R.$("[data-template-choose]", form);
      var fresh = select && select.hasAttribute("data-template-fresh") && select.value;
      form._relais = {
        id: select ? select.value : "",
        filled: fresh ? text(form) : null,
        contact: contactId(form),
        vadByTemplate: !!(fresh && R.$("[data-vad]", form) && R.$("[data-vad]", form).checked),
        circleByTemplate: !!(fresh && R.$("[data-circle]", form) && R.$("[data-circle]", form).checked),
        asked: 0,
      };
    }
    return form._relais;
  }

  function text(form) {
    return { subject: R.$("#subject", form).value, body: R.$("#body", form).value };
  }

  function setText(form, answer) {
    R.$("#subject", form).value = answer.subject;
    R.$("#body", form).value = answer.body;
    markSlots(form);
  }

  function untouched(form) {
    var st = state(form);
    var now = text(form);
    return !!st.filled && st.filled.subject === now.subject && st.filled.body === now.body;
  }

  function typedSomething(form) {
    var now = text(form);
    return !!(now.subject.trim() || now.body.trim()) && !untouched(form);
  }

  // The empty slot where the contact's name will go: the field is marked, a line says why.
  function markSlots(form) {
    var slot = form.getAttribute("data-slot");
    if (!slot) return;
    var any = false;
    ["#subject", "#body"].forEach(function (sel) {
      var field = R.$(sel, form);
      var has = field.value.indexOf(slot) !== -1;
      field.classList.toggle("has-slot", has);
      any = any || has;
    });
    var note = R.$("[data-slot-note]", form);
    if (note) note.hidden = !any;
  }

  // One question at a time per form: an answer that a later question overtook is dropped.
  function ask(form, fields) {
    var st = state(form);
    var url = form.getAttribute("data-text-url");
    var asked = ++st.asked;
    if (!url) return Promise.resolve(null);
    return R.postJSON(url, fields).then(function (answer) {
      return asked === st.asked ? answer : null;
    });
  }

  function showSide(form, consigne) {
    var side = R.$("[data-composer-side]", form);
    var grid = R.$("[data-composer-grid]", form);
    if (!side) return;
    var postit = R.$("[data-postit]", side);
    R.$("[data-consigne]", side).textContent = consigne || "";
    if (postit) postit.hidden = !consigne;
    var show = !!consigne || !!R.$("[data-instructions]", side);
    side.hidden = !show;
    if (grid) grid.classList.toggle("with-side", show);
  }

  function applyTemplate(form, select) {
    var st = state(form);
    if (select.value && typedSomething(form)) {
      var ok = window.confirm(
        "Remplacer le sujet et le message déjà saisis par ceux du modèle « " +
          select.options[select.selectedIndex].text +
          " » ?"
      );
      if (!ok) {
        select.value = st.id;
        return;
      }
    }
    st.id = select.value;
    var vad = R.$("[data-vad]", form);
    var circle = R.$("[data-circle]", form);
    if (!select.value) {
      // "No template": the text stays, the post-it goes, the boxes it ticked are unticked.
      st.asked++;
      showSide(form, "");
      if (vad && st.vadByTemplate) vad.checked = false;
      if (circle && st.circleByTemplate) circle.checked = false;
      st.vadByTemplate = st.circleByTemplate = false;
      st.filled = null;
      if (R.$("#subject.has-slot, #body.has-slot", form)) {
        // Without a template nothing fills the empty slots at sending: they take the contact's
        // name now, or go.
        var now = text(form);
        ask(form, { mode: "plain", contact: contactId(form), subject: now.subject, body: now.body })
          .then(function (t) {
            if (t) setText(form, t);
          });
      }
      return;
    }
    var contact = contactId(form);
    ask(form, { mode: "template", template: select.value, contact: contact }).then(function (t) {
      if (!t) return;
      setText(form, t);
      st.filled = text(form);
      st.contact = contact;
      if (vad) {
        if (t.vad) vad.checked = true;
        else if (st.vadByTemplate) vad.checked = false;
        st.vadByTemplate = !!t.vad;
      }
      if (circle && !circle.disabled) {
        if (t.circle) circle.checked = true;
        else if (st.circleByTemplate) circle.checked = false;
        st.circleByTemplate = !!t.circle;
      }
      showSide(form, t.consigne);
    });
  }

  /* A contact chosen, changed or removed: the template's untouched text is filled again for
     it; a text changed since only sees its empty slots filled. */
  function contactChanged(form) {
    if (!R.$("[data-template-choose]", form)) return;
    var st = state(form);
    var contact = contactId(form);
    if (contact === st.contact) return;
    st.contact = contact;
    if (st.id && untouched(form)) {
      ask(form, { mode: "template", template: st.id, contact: contact }).then(function (t) {
        if (!t) return;
        setText(form, t);
        st.filled = text(form);
      });
    } else if (contact && R.$("#subject.has-slot, #body.has-slot", form)) {
      var now = text(form);
      ask(form, { mode: "text", contact: contact, subject: now.subject, body: now.body }).then(
        function (t) {
          if (t) setText(form, t);
        }
      );
    }
  }

  function watch(root) {
    R.$all("form[data-composer]", root).forEach(function (form) {
      state(form);
      markSlots(form);
    });
  }

  /* ---------- htmx answers ---------- */

  document.addEventListener("htmx:afterSettle", function (ev) {
    watch(ev.detail && ev.detail.target ? ev.detail.target : document);
  });

  document.addEventListener("relais:sent", function (ev) {
    dirty = false;
    var subject = ev.detail && ev.detail.subject;
    closeComposer(true);
    R.toast(subject ? "Message « " + subject + " » envoyé." : "Message envoyé.");
  });

  // After the settle, not the swap: htmx wires the new fields when it settles, and a search
  // field focused before that would not list anything.
  document.addEventListener("htmx:afterSettle", function (ev) {
    var target = ev.detail.target;
    var xhr = ev.detail.xhr;
    if (target && target.id === "composer-body" && xhr && xhr.status === 422) {
      // Errors came back: the typed text is in the re-rendered form; go to the first error.
      dirty = true;
      var invalid = R.$("[aria-invalid=true]", target);
      if (invalid) invalid.focus();
    }
  });
})();
