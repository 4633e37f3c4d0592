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
      openSubform(form, subOpen);
      return;
    }
    if (el.closest("[data-subform-cancel]")) {
      cancelSubform(el.closest("[data-subform]"));
      return;
    }
    var toggle = el.closest("[data-toggle]");
    if (toggle) {
      var target = document.getElementById(toggle.getAttribute("data-toggle"));
      target.hidden = !target.hidden;
      toggle.setAttribute("aria-expanded", String(!target.hidden));
    }
  });

  /* ---------- The contact picker (composer and planning popup share its markup) ---------- */

  // Shows the chosen contact as a chip carrying the hidden contact / contact_name fields.
  function setContact(form, id, name) {
    var box = $("#contact-chosen", form);
    box.innerHTML = "";
    var chip = document.createElement("span");
    chip.className = "chip cc-contact";
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

  // Opens the little « nouveau contact » form, prefilled with a typed name (not a number).
  function openSubform(form, opener) {
    var sub = document.getElementById(opener.getAttribute("data-subform-open"));
    sub.hidden = false;
    var typed = ($("#contact-q", form) || {}).value || "";
    var nameInput = $("input", sub);
    if (typed && !nameInput.value && !/^[\d\s+.]+$/.test(typed)) nameInput.value = typed;
    nameInput.focus();
  }

  function cancelSubform(sub) {
    sub.hidden = true;
    $all("input", sub).forEach(function (i) {
      i.value = "";
    });
  }

  window.Relais = window.Relais || {};
  window.Relais.setContact = setContact;
  window.Relais.openSubform = openSubform;
  window.Relais.cancelSubform = cancelSubform;

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

/* ---------- Message aids: templates with placeholders, input-help phrases, confirmations ---------- */
(function () {
  "use strict";

  function $(sel, root) {
    return (root || document).querySelector(sel);
  }
  function $all(sel, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(sel));
  }
  function fold(text) {
    return (text || "")
      .replace(/œ/gi, "oe")
      .replace(/æ/gi, "ae")
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/\s+/g, " ")
      .trim();
  }
  function jsonScript(form, id) {
    var script = $("#" + id, form);
    if (!script) return {};
    try {
      return JSON.parse(script.textContent) || {};
    } catch (e) {
      return {};
    }
  }

  /* Placeholders: the same rules as relais/messaging/placeholders.py — anything between braces,
     case, spaces and accents ignored; a placeholder without a value stays as it is. */
  var TOKEN = /\{([^{}\n]{0,40})\}/g;
  function fill(text, values) {
    return (text || "").replace(TOKEN, function (whole, name) {
      var key = fold(name).replace(/ /g, "");
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }

  function contactName(form) {
    var input = $("#contact-chosen input[name=contact_name]", form);
    return input ? input.value : null;
  }

  function fillValues(form) {
    var values = Object.assign({}, jsonScript(form, "composer-fill"));
    var name = contactName(form);
    if (name !== null) values.contact = name;
    return values;
  }

  /* Per-form state: the template applied, the text it produced (to know whether the operator
     has changed it since), the contact it was filled with. */
  function state(form) {
    if (!form._relaisTemplate) {
      var select = $("[data-template-choose]", form);
      var fresh = select && select.hasAttribute("data-template-fresh") && select.value;
      form._relaisTemplate = {
        id: select ? select.value : "",
        filled: fresh ? { subject: $("#subject", form).value, body: $("#body", form).value } : null,
        contact: contactName(form),
        vadByTemplate: false,
        circleByTemplate: false,
      };
      if (fresh) {
        var t = jsonScript(form, "composer-templates")[select.value];
        form._relaisTemplate.vadByTemplate = !!(t && t.vad);
        form._relaisTemplate.circleByTemplate = !!(t && t.circle);
      }
    }
    return form._relaisTemplate;
  }

  function typedSomething(form) {
    var st = state(form);
    var subject = $("#subject", form).value;
    var body = $("#body", form).value;
    if (!subject.trim() && !body.trim()) return false;
    return !(st.filled && st.filled.subject === subject && st.filled.body === body);
  }

  function showSide(form, consigne) {
    var side = $("[data-composer-side]", form);
    var grid = $("[data-composer-grid]", form);
    if (!side) return;
    var postit = $("[data-postit]", side);
    $("[data-consigne]", side).textContent = consigne || "";
    if (postit) postit.hidden = !consigne;
    var show = !!consigne || !!$("[data-instructions]", side);
    side.hidden = !show;
    if (grid) grid.classList.toggle("with-side", show);
  }

  function applyTemplate(form, select) {
    var st = state(form);
    var t = jsonScript(form, "composer-templates")[select.value];
    if (t && typedSomething(form)) {
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
    var vad = $("[data-vad]", form);
    var circle = $("[data-circle]", form);
    if (!t) {
      // "No template": the text stays, the post-it goes, the boxes it ticked are unticked.
      showSide(form, "");
      if (vad && st.vadByTemplate) vad.checked = false;
      if (circle && st.circleByTemplate) circle.checked = false;
      st.vadByTemplate = st.circleByTemplate = false;
      st.filled = null;
      return;
    }
    var values = fillValues(form);
    var subject = $("#subject", form);
    var body = $("#body", form);
    subject.value = fill(t.subject, values);
    body.value = fill(t.body, values);
    st.filled = { subject: subject.value, body: body.value };
    st.contact = contactName(form);
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
    subject.dispatchEvent(new Event("input", { bubbles: true }));
  }

  /* A contact chosen (or changed) after the template: untouched template text is filled again
     with the new name; otherwise only the {contact} still in the text is replaced. */
  function contactChanged(form) {
    var st = state(form);
    var name = contactName(form);
    if (name === st.contact) return;
    st.contact = name;
    var select = $("[data-template-choose]", form);
    var t = select ? jsonScript(form, "composer-templates")[select.value] : null;
    if (!t || name === null) return;
    var values = fillValues(form);
    var subject = $("#subject", form);
    var body = $("#body", form);
    if (st.filled && st.filled.subject === subject.value && st.filled.body === body.value) {
      subject.value = fill(t.subject, values);
      body.value = fill(t.body, values);
      st.filled = { subject: subject.value, body: body.value };
    } else {
      var only = { contact: name };
      subject.value = fill(subject.value, only);
      body.value = fill(body.value, only);
    }
  }

  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.matches && el.matches("[data-template-choose]")) {
      applyTemplate(el.closest("form"), el);
    } else if (el.matches && (el.matches("[data-vad]") || el.matches("[data-circle]"))) {
      // Ticked or unticked by hand: a later template change leaves it alone.
      var form = el.closest("form");
      if (form) {
        var st = state(form);
        if (el.matches("[data-vad]")) st.vadByTemplate = false;
        else st.circleByTemplate = false;
      }
    }
  });

  // The contact chip is replaced by clicks and by htmx (inline creation): watch the form.
  function watch(root) {
    $all("form[data-composer]", root).forEach(function (form) {
      if (form._relaisWatched || !$("[data-template-choose]", form)) return;
      form._relaisWatched = true;
      state(form);
      new MutationObserver(function () {
        contactChanged(form);
      }).observe(form, { childList: true, subtree: true });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    watch(document);
  });
  document.addEventListener("htmx:afterSettle", function (ev) {
    watch(ev.detail && ev.detail.target ? ev.detail.target : document);
  });

  /* ---------- Aide à la saisie: a searchable list, inserted at the cursor ---------- */

  function phraseBox(el) {
    return el.closest && el.closest("[data-phrases]");
  }
  function visibleOptions(box) {
    return $all("[data-phrase]", box).filter(function (li) {
      return !li.hidden;
    });
  }
  function setActive(box, li) {
    $all("[data-phrase]", box).forEach(function (o) {
      o.setAttribute("aria-selected", o === li ? "true" : "false");
      o.classList.toggle("active", o === li);
    });
    var q = $("[data-phrases-q]", box);
    if (li) {
      q.setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({ block: "nearest" });
    } else {
      q.removeAttribute("aria-activedescendant");
    }
  }
  function filterPhrases(box) {
    var words = fold($("[data-phrases-q]", box).value).split(" ").filter(Boolean);
    $all("[data-phrase]", box).forEach(function (li) {
      var text = fold(li.textContent);
      li.hidden = !words.every(function (w) {
        return text.indexOf(w) !== -1;
      });
    });
    var shown = visibleOptions(box);
    $("[data-phrases-none]", box).hidden = shown.length > 0;
    setActive(box, shown[0] || null);
  }
  function openPhrases(box) {
    var pop = $(".phrases-pop", box);
    var q = $("[data-phrases-q]", box);
    pop.hidden = false;
    $("[data-phrases-open]", box).setAttribute("aria-expanded", "true");
    q.value = "";
    filterPhrases(box);
    q.focus();
  }
  function closePhrases(box, focusBody) {
    $(".phrases-pop", box).hidden = true;
    $("[data-phrases-open]", box).setAttribute("aria-expanded", "false");
    if (focusBody) {
      var body = $("#body", box.closest("form"));
      if (body) body.focus();
    }
  }
  function insertPhrase(box, li) {
    var form = box.closest("form");
    var body = $("#body", form);
    var text = li.textContent;
    var start = body.selectionStart;
    var end = body.selectionEnd;
    if (typeof start !== "number") start = end = body.value.length;
    var before = body.value.slice(0, start);
    if (before && !/\s$/.test(before)) text = " " + text;
    body.setRangeText(text, start, end, "end");
    closePhrases(box, true);
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (ev) {
    var box = phraseBox(ev.target);
    $all("[data-phrases]").forEach(function (other) {
      if (other !== box && !$(".phrases-pop", other).hidden) closePhrases(other, false);
    });
    if (!box) return;
    if (ev.target.closest("[data-phrases-open]")) {
      if ($(".phrases-pop", box).hidden) openPhrases(box);
      else closePhrases(box, true);
      return;
    }
    var li = ev.target.closest("[data-phrase]");
    if (li) insertPhrase(box, li);
  });

  document.addEventListener("input", function (ev) {
    if (ev.target.matches && ev.target.matches("[data-phrases-q]")) filterPhrases(phraseBox(ev.target));
  });

  // Capture phase: these keys act in the phrase list before the composer's own shortcuts
  // (Enter never sends, Esc closes the list, not the whole popup).
  document.addEventListener(
    "keydown",
    function (ev) {
      if (ev.altKey && !ev.ctrlKey && (ev.key === "a" || ev.key === "A" || ev.code === "KeyA")) {
        var form = ev.target.closest && ev.target.closest("form[data-composer]");
        var b = form && $("[data-phrases]", form);
        if (b) {
          ev.preventDefault();
          openPhrases(b);
        }
        return;
      }
      if (!ev.target.matches || !ev.target.matches("[data-phrases-q]")) return;
      var box = phraseBox(ev.target);
      var shown = visibleOptions(box);
      var active = $("[data-phrase].active", box);
      var index = shown.indexOf(active);
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        ev.stopPropagation();
        if (!shown.length) return;
        index = ev.key === "ArrowDown" ? Math.min(index + 1, shown.length - 1) : Math.max(index - 1, 0);
        setActive(box, shown[index]);
      } else if (ev.key === "Enter" && !ev.ctrlKey && !ev.metaKey) {
        ev.preventDefault();
        ev.stopPropagation();
        if (active && !active.hidden) insertPhrase(box, active);
      } else if (ev.key === "Escape") {
        ev.preventDefault();
        ev.stopPropagation();
        closePhrases(box, true);
      }
    },
    true
  );

  // A search answer that comes back after a name was picked (the field emptied, the cursor
  // gone elsewhere) must not open the list again.
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var target = ev.detail.target;
    if (!target || (target.id !== "contact-results" && target.id !== "cc-results")) return;
    var q = document.getElementById(target.id === "contact-results" ? "contact-q" : "cc-q");
    if (q && !q.value && document.activeElement !== q) ev.detail.shouldSwap = false;
  });

  /* ---------- Settings pages ---------- */

  // After an error, the cursor goes to the first field to correct.
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = $(".aids-form [aria-invalid=true], .aids-columns [aria-invalid=true]");
    if (invalid) invalid.focus();
  });

  // Forms that destroy something ask first.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) ev.preventDefault();
  });

  // Template form: a variable button inserts itself in the subject or body last focused.
  var lastTarget = null;
  document.addEventListener("focusin", function (ev) {
    if (ev.target.matches && ev.target.matches("[data-placeholder-target]")) lastTarget = ev.target;
  });
  document.addEventListener("click", function (ev) {
    var chip = ev.target.closest && ev.target.closest("[data-insert-placeholder]");
    if (chip) {
      var form = chip.closest("form");
      var field = lastTarget && form.contains(lastTarget) ? lastTarget : $("#f-body", form);
      var start = field.selectionStart;
      var end = field.selectionEnd;
      if (typeof start !== "number") start = end = field.value.length;
      field.setRangeText(chip.getAttribute("data-insert-placeholder"), start, end, "end");
      field.focus();
      return;
    }
    var radio = ev.target.closest && ev.target.closest("[data-for-all], [data-for-some]");
    if (radio) {
      var choice = $("[data-client-choice]", radio.closest("form"));
      if (choice) choice.hidden = radio.matches("[data-for-all]");
    }
  });
  document.addEventListener("input", function (ev) {
    var el = ev.target;
    if (el.matches && el.matches("[data-client-filter]")) {
      var words = fold(el.value).split(" ").filter(Boolean);
      $all("[data-client-name]", el.closest("[data-client-choice]")).forEach(function (li) {
        var name = fold(li.getAttribute("data-client-name"));
        li.hidden = !words.every(function (w) {
          return name.indexOf(w) !== -1;
        });
      });
    }
    if (el.matches && el.matches("[data-counter]")) {
      var max = parseInt(el.getAttribute("data-counter"), 10);
      var out = document.querySelector('[data-counter-for="' + el.id + '"]');
      if (out) {
        var n = el.value.length;
        out.textContent = n + " / " + max + " caractères" + (n > max ? " : trop long" : "");
        out.classList.toggle("over", n > max);
      }
    }
  });
})();

/* Tasks: the popup of « Suivi des tâches » and of the date bar's envelope (day tasks). */
(function () {
  "use strict";

  function panel() {
    return document.getElementById("panel");
  }

  function openPanel(url) {
    var dialog = panel();
    var body = document.getElementById("panel-body");
    if (!dialog || !body || !window.htmx) {
      window.location.href = url;
      return;
    }
    body.innerHTML = '<p class="composer-loading">Chargement…</p>';
    if (!dialog.open) dialog.showModal();
    htmx.ajax("GET", url, { target: "#panel-body", swap: "innerHTML" }).then(function () {
      var heading = body.querySelector("[data-panel-focus]");
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
    var dialog = panel();
    if (!dialog || !dialog.open) return;
    // The close button, or a click on the backdrop (outside the dialog's box).
    if (ev.target.closest("[data-panel-close]") || ev.target === dialog) {
      ev.preventDefault();
      dialog.close();
    }
  });

  document.addEventListener("close", function (ev) {
    if (ev.target && ev.target.id === "panel") {
      document.getElementById("panel-body").innerHTML = "";
    }
  }, true);
})();
