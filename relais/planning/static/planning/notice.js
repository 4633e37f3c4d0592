/* Relais — « Prévenir » (a delay or an absence): opens the form in the planning's popup from the
   icon beside a day, shows the fields of the chosen kind, proposes the default text of that kind
   (unless the text was typed), keeps the SMS total of the ticked rows, and reloads the week after
   a notice that cancelled appointments. Without this script the form works as a page. */
(function () {
  "use strict";

  function $(sel, root) {
    return (root || document).querySelector(sel);
  }

  function parts() {
    return { dialog: $("#planning-dialog"), body: $("#planning-dialog-body") };
  }

  function openNotice(url) {
    var p = parts();
    if (!p.dialog || !p.body || !window.htmx) {
      window.location.href = url;
      return;
    }
    p.body.innerHTML = '<p class="composer-loading">Ouverture…</p>';
    if (!p.dialog.open) p.dialog.showModal();
    htmx.ajax("GET", url, { target: "#planning-dialog-body", swap: "innerHTML" }).then(function () {
      setUp(p.body);
      var first = $("[aria-invalid=true]", p.body) || $("[data-autofocus]", p.body);
      if (first) first.focus();
    });
  }

  function noticeForm(el) {
    return el && el.closest ? el.closest("form[data-notice]") : null;
  }

  function showKind(form) {
    var chosen = $("[data-notice-kind]:checked", form);
    if (chosen) form.setAttribute("data-kind", chosen.value);
  }

  function smsTotal(form) {
    var total = 0;
    var rows = form.querySelectorAll(".notice-table tbody tr");
    for (var i = 0; i < rows.length; i++) {
      var tick = $("[data-notice-tick]", rows[i]);
      var on = tick && tick.checked;
      rows[i].classList.toggle("excluded", !on);
      if (on) total += parseInt(rows[i].getAttribute("data-sms") || "0", 10);
    }
    var out = $("[data-notice-sms-total]", form);
    if (out) out.textContent = String(total);
  }

  // Set once a notice that cancelled appointments is shown: closing the popup then reloads the
  // week (the popup's body is already emptied by the time "close" fires).
  var reloadOnClose = false;

  function setUp(root) {
    var sent = $("[data-notice-sent]", root || document);
    if (sent && sent.getAttribute("data-cancelled") !== "0") reloadOnClose = true;
    var forms = (root || document).querySelectorAll("form[data-notice]");
    for (var i = 0; i < forms.length; i++) showKind(forms[i]);
    var done = $(".notice-done", root || document);
    if (done) done.focus();
  }

  document.addEventListener("click", function (ev) {
    var el = ev.target;
    if (!el.closest) return;
    var opener = el.closest("[data-notice-open]");
    if (opener && $("#planning-dialog")) {
      ev.preventDefault();
      openNotice(opener.getAttribute("href"));
    }
  });

  document.addEventListener("change", function (ev) {
    var el = ev.target;
    var form = noticeForm(el);
    if (!form) return;
    if (el.matches("[data-notice-kind]")) {
      showKind(form);
      var text = $("[data-notice-text]", form);
      if (text && !text.dataset.typed) {
        text.value = text.getAttribute("data-default-" + el.value) || text.value;
      }
      return;
    }
    if (el.matches("[data-notice-tick]")) smsTotal(form);
  });

  document.addEventListener("input", function (ev) {
    if (ev.target.matches && ev.target.matches("[data-notice-text]")) ev.target.dataset.typed = "1";
  });

  document.addEventListener("htmx:afterSwap", function (ev) {
    var target = ev.detail.target;
    if (target && target.id === "planning-dialog-body") setUp(target);
  });

  document.addEventListener("DOMContentLoaded", function () {
    setUp(document);
    var p = parts();
    if (p.dialog) {
      p.dialog.addEventListener("close", function () {
        // Cancelled appointments: the week shows them as such.
        if (reloadOnClose) window.location.reload();
      });
    }
  });
})();
