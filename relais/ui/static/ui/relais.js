/* Relais — small vanilla helpers on top of htmx: the composer popup and keyboard use. */
(function () {
  "use strict";

  var dialog = null;
  var body = null;
  var dirty = false;

  function $(sel, root) {
    return (root || document).querySelector(sel);
  }
  function $all(sel, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(sel));
  }

  function isTyping(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function toast(text) {
    var t = document.createElement("div");
    t.className = "toast";
    t.setAttribute("role", "status");
    t.textContent = text;
    document.body.appendChild(t);
    setTimeout(function () {
      t.remove();
    }, 3500);
  }

  /* ---------- Composer: open, focus, close ---------- */

  function focusFirst() {
    var target = $("[data-autofocus]", body);
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
    dialog = $("#composer");
    body = $("#composer-body");
    if (!dialog || !body || !window.htmx) {
      window.location.href = url;
      return;
    }
    dirty = false;
    body.innerHTML = '<p class="composer-loading">Ouverture…</p>';
    if (!dialog.open) dialog.showModal();
    htmx.ajax("GET", url, { target: "#composer-body", swap: "innerHTML" }).then(function () {
      focusFirst();
    });
  }

  function closeComposer(force) {
    if (!dialog || !dialog.open) return;
    if (!force && dirty) {
      if (!window.confirm("Abandonner ce message ? Le texte saisi sera perdu.")) return;
    }
    dirty = false;
    dialog.close();
    body.innerHTML = "";
  }

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
    // Close any open dropdown when clicking elsewhere.
    $all("details.dropdown[open]").forEach(function (d) {
      if (!d.contains(ev.target)) d.open = false;
    });
  });

  document.addEventListener("keydown", function (ev) {
    // "n" (when not typing) or Alt+N opens the composer of the page.
    var opener = $("[data-composer-shortcut]");
    var composerOpen = dialog && dialog.open;
    if (opener && !composerOpen && !ev.ctrlKey && !ev.metaKey) {
      var isN = ev.key === "n" || ev.key === "N" || ev.code === "KeyN";
      if (isN && (ev.altKey || (!isTyping(ev.target) && !ev.shiftKey))) {
        ev.preventDefault();
        openComposer(opener.getAttribute("data-composer-url"));
        return;
      }
    }
    // Ctrl+Enter sends the form being typed in (composer, reply box).
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      var form = ev.target.closest && ev.target.closest("form[data-composer], form[data-ctrl-enter]");
      if (form) {
        ev.preventDefault();
        var submit = $("button[type=submit]", form);
        if (submit && submit.disabled) return;
        form.requestSubmit();
      }
      return;
    }
    if (ev.key === "Enter" && !ev.shiftKey && ev.target.tagName === "INPUT") {
      var composer = ev.target.closest("form[data-composer]");
      if (!composer) return;
      // Enter never sends a message by accident: it acts inside the little sub-forms.
      ev.preventDefault();
      var sub = ev.target.closest("[data-subform]");
      if (sub) {
        var btn = $("[data-subform-submit]", sub);
        if (btn) btn.click();
        return;
      }
      var picker = ev.target.closest(".picker");
      if (picker) {
        var first = $(".picker-results button", picker);
        if (first) first.click();
      }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    dialog = $("#composer");
    body = $("#composer-body");
    if (dialog) {
      dialog.addEventListener("cancel", function (ev) {
        // Esc: ask first when something was typed.
        ev.preventDefault();
        closeComposer(false);
      });
    }
    var page = $("form[data-composer]");
    if (page && !dialog) focusFirst();
  });

  /* ---------- Composer: the controls ---------- */

  function composerForm(el) {
    return el.closest("form[data-composer]");
  }

  document.addEventListener("input", function (ev) {
    var form = composerForm(ev.target);
    if (form && (ev.target.name === "subject" || ev.target.name === "body")) dirty = true;
    if (ev.target.closest && ev.target.closest("#reply-form")) ev.target.dataset.typed = "1";
  });

  function setPrivate(form, on) {
    var note = $("[data-private-note]", form);
    if (note) note.hidden = !on;
    var add = $("[data-cc-open]", form);
    if (add) add.disabled = on;
    var circle = $("[data-circle]", form);
    if (circle) {
      if (on) circle.checked = false;
      circle.disabled = on;
    }
    if (on) {
      $all("[data-cc-chip]", form).forEach(function (c) {
        c.remove();
      });
      var picker = $("[data-cc-picker]", form);
      if (picker) picker.hidden = true;
    }
  }

  function applyTemplate(form, select) {
    var data = {};
    var script = $("#composer-templates", form);
    if (script) {
      try {
        data = JSON.parse(script.textContent);
      } catch (e) {
        data = {};
      }
    }
    var t = data[select.value];
    var side = $("[data-composer-side]", form);
    var grid = $("[data-composer-grid]", form);
    if (!t) {
      if (side) side.hidden = true;
      if (grid) grid.classList.remove("with-side");
      return;
    }
    $("#subject", form).value = t.subject || "";
    $("#body", form).value = t.body || "";
    var vad = $("[data-vad]", form);
    if (vad && t.vad) vad.checked = true;
    var circle = $("[data-circle]", form);
    if (circle && t.circle && !circle.disabled) circle.checked = true;
    if (side) {
      $("[data-consigne]", side).textContent = t.consigne || "";
      side.hidden = !t.consigne;
      if (grid) grid.classList.toggle("with-side", !!t.consigne);
    }
  }

  document.addEventListener("change", function (ev) {
    var el = ev.target;
    var form = composerForm(el);
    if (!form) return;
    if (el.matches("[data-task-toggle]")) {
      var dates = $("[data-task-date]", form);
      if (dates) dates.hidden = !el.checked;
      if (el.checked) {
        var due = $("#due-date", form);
        if (due) due.focus();
      }
    } else if (el.matches("[data-private-toggle]")) {
      setPrivate(form, el.checked);
    } else if (el.matches("[data-template-select]")) {
      applyTemplate(form, el);
    } else if (el.matches("[data-attach-select]")) {
      var box = $("[data-attach-dates]", form);
      if (box) box.hidden = !el.value;
    }
  });

  document.addEventListener("click", function (ev) {
    var el = ev.target;
    var form = composerForm(el);
    if (!form) return;

    var open = el.closest("[data-cc-open]");
    if (open) {
      var picker = $("[data-cc-picker]", form);
      picker.hidden = !picker.hidden;
      if (!picker.hidden) $("input", picker).focus();
      return;
    }
    var add = el.closest("[data-add-cc]");
    if (add) {
      var chips = $("#cc-chips", form);
      var id = add.getAttribute("data-id");
      var name = add.getAttribute("data-name");
      if (!$('input[name=cc][value="' + id + '"]', chips)) {
        var chip = document.createElement("span");
        chip.className = "chip cc";
        chip.setAttribute("data-cc-chip", "");
        chip.appendChild(document.createTextNode(name));
        var h1 = document.createElement("input");
        h1.type = "hidden";
        h1.name = "cc";
        h1.value = id;
        var h2 = document.createElement("input");
        h2.type = "hidden";
        h2.name = "cc_name";
        h2.value = name;
        var rm = document.createElement("button");
        rm.type = "button";
        rm.setAttribute("data-cc-remove", "");
        rm.setAttribute("aria-label", "Retirer " + name + " des copies");
        rm.textContent = "−";
        chip.appendChild(h1);
        chip.appendChild(h2);
        chip.appendChild(rm);
        chips.insertBefore(chip, $("[data-cc-open]", chips));
      }
      add.closest("li").remove();
      var q = $("[data-cc-picker] input", form);
      if (q) {
        q.value = "";
        q.focus();
      }
      return;
    }
    var remove = el.closest("[data-cc-remove]");
    if (remove) {
      remove.closest("[data-cc-chip]").remove();
      return;
    }
    var pick = el.closest("[data-pick-contact]");
    if (pick) {
      setContact(form, pick.getAttribute("data-id"), pick.getAttribute("data-name"));
      $("#contact-results", form).innerHTML = "";
      var cq = $("#contact-q", form);
      cq.value = "";
      $("#subject", form).focus();
      return;
    }
    if (el.closest("[data-contact-clear]")) {
      $("#contact-chosen", form).innerHTML = "";
      $("#contact-q", form).focus();
      return;
    }
    var subOpen = el.closest("[data-subform-open]");
    if (subOpen) {
      var sub = document.getElementById(subOpen.getAttribute("data-subform-open"));
      sub.hidden = false;
      var cqv = $("#contact-q", form).value;
      var nameInput = $("input", sub);
      if (cqv && !nameInput.value && !/^[\d\s+.]+$/.test(cqv)) nameInput.value = cqv;
      nameInput.focus();
      return;
    }
    if (el.closest("[data-subform-cancel]")) {
      var s = el.closest("[data-subform]");
      s.hidden = true;
      $all("input", s).forEach(function (i) {
        i.value = "";
      });
      return;
    }
    var toggle = el.closest("[data-toggle]");
    if (toggle) {
      var target = document.getElementById(toggle.getAttribute("data-toggle"));
      target.hidden = !target.hidden;
      toggle.setAttribute("aria-expanded", String(!target.hidden));
    }
  });

  function setContact(form, id, name) {
    var box = $("#contact-chosen", form);
    box.innerHTML = "";
    var chip = document.createElement("span");
    chip.className = "chip";
    var label = document.createElement("span");
    label.textContent = name;
    var h1 = document.createElement("input");
    h1.type = "hidden";
    h1.name = "contact";
    h1.value = id;
    var h2 = document.createElement("input");
    h2.type = "hidden";
    h2.name = "contact_name";
    h2.value = name;
    var rm = document.createElement("button");
    rm.type = "button";
    rm.setAttribute("data-contact-clear", "");
    rm.setAttribute("aria-label", "Retirer le contact " + name);
    rm.textContent = "✕";
    chip.appendChild(label);
    chip.appendChild(h1);
    chip.appendChild(h2);
    chip.appendChild(rm);
    box.appendChild(chip);
  }

  /* ---------- htmx hooks ---------- */

  document.addEventListener("relais:sent", function (ev) {
    dirty = false;
    var subject = ev.detail && ev.detail.subject;
    if (dialog && dialog.open) closeComposer(true);
    toast(subject ? "Message « " + subject + " » envoyé." : "Message envoyé.");
  });

  document.addEventListener("htmx:afterSwap", function (ev) {
    var target = ev.detail.target;
    if (target && target.id === "composer-body" && ev.detail.xhr.status === 422) {
      // Errors came back: keep the typed text (it is in the re-rendered form) and go to the first error.
      dirty = true;
      var invalid = $("[aria-invalid=true]", target);
      if (invalid) invalid.focus();
    }
  });

  document.addEventListener("htmx:afterRequest", function (ev) {
    var elt = ev.detail.elt;
    if (elt && elt.id === "reply-form" && ev.detail.successful) {
      elt.reset();
    }
  });

  // A poll must never replace the thread or the list while the user is busy in a form inside.
  document.addEventListener("htmx:beforeSwap", function (ev) {
    if (ev.detail.xhr.status === 204) ev.detail.shouldSwap = false;
  });
})();
