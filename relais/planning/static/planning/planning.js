/* Relais — the planning's week view: the appointment popup (open from a slot or an
   appointment, close, contact search and inline creation) on top of htmx. */
(function () {
  "use strict";

  // The shared helpers and the one dialog loader: ui/js/core.js, loaded first by the base.
  var R = window.Relais;
  var $ = R.$;

  function dialogParts() {
    return { dialog: $("#planning-dialog"), body: $("#planning-dialog-body") };
  }

  function focusFirst(body) {
    var invalid = $("[aria-invalid=true]", body);
    var target = invalid || $("[data-autofocus]:not([disabled])", body) || $("[data-save]", body);
    if (target) target.focus();
  }

  function openAppointment(url) {
    R.openDialog("planning-dialog", "planning-dialog-body", url, "Ouverture…", focusFirst);
  }

  function closeAppointment() {
    R.closeDialog("planning-dialog", "planning-dialog-body");
  }

  function appointmentForm(el) {
    return el.closest ? el.closest("form[data-appointment]") : null;
  }

  document.addEventListener("click", function (ev) {
    var el = ev.target;
    if (!el.closest) return;
    // The week view: an appointment, the « + Rendez-vous » button, or an empty slot.
    var opener = el.closest("[data-appointment-open]");
    if (opener && opener.closest("#planning-body")) {
      ev.preventDefault();
      openAppointment(opener.getAttribute("href"));
      return;
    }
    var slot = el.closest("table.week[data-new-url] td.slot");
    if (slot) {
      var table = slot.closest("table.week");
      openAppointment(
        table.getAttribute("data-new-url") +
          "?date=" + encodeURIComponent(slot.getAttribute("data-date")) +
          "&heure=" + encodeURIComponent(slot.getAttribute("data-time"))
      );
      return;
    }
    if (el.closest("[data-dialog-close]") && el.closest("#planning-dialog")) {
      closeAppointment();
      return;
    }
    // The popup's contact picker is the composer's (ui/js/pickers.js: rows, chips, Enter).
  });

  document.addEventListener("keydown", function (ev) {
    var form = appointmentForm(ev.target);
    if (!form) return;
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      var save = $("[data-save]", form);
      if (save && !save.disabled) form.requestSubmit(save);
      return;
    }
    // Enter in the contact search and the little « nouveau contact » form acts there
    // (ui/js/pickers.js); in the cancellation reason it does not save.
    if (ev.key === "Enter" && ev.target.id === "cancel-reason") ev.preventDefault();
  });

  // Choosing a motif proposes its usual duration, unless the duration was typed.
  document.addEventListener("input", function (ev) {
    if (ev.target.matches && ev.target.matches("[data-duration]")) ev.target.dataset.typed = "1";
  });
  document.addEventListener("change", function (ev) {
    var select = ev.target;
    if (!select.matches || !select.matches("[data-type-choose]")) return;
    var form = appointmentForm(select);
    var duration = form && $("[data-duration]", form);
    var option = select.options[select.selectedIndex];
    if (duration && !duration.dataset.typed && option && option.dataset.duration) {
      duration.value = option.dataset.duration;
    }
  });

  document.addEventListener("relais:planning-saved", function () {
    closeAppointment();
    var saved = $(".planning-saved");
    if (saved) saved.focus && saved.setAttribute("tabindex", "-1");
  });

  // After the settle, when htmx has wired the new fields (the contact search among them).
  document.addEventListener("htmx:afterSettle", function (ev) {
    var target = ev.detail.target;
    var xhr = ev.detail.xhr;
    if (target && target.id === "planning-dialog-body" && xhr && xhr.status >= 400) {
      focusFirst(target);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var p = dialogParts();
    if (p.dialog) {
      p.dialog.addEventListener("close", function () {
        p.body.innerHTML = "";
      });
    }
  });
})();
