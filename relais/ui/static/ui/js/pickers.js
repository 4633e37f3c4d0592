/* Relais — the pickers: the contact search (composer and planning popup share its markup),
   the copy-recipient search, the little « nouveau contact » form and the « Aide à la
   saisie » list. Their rows and chips are the server's markup (a <template> per row). */
(function () {
  "use strict";

  var R = window.Relais;
  var WAIT_MS = 3000; // how long Enter waits for the answer to what was typed

  /* ---------- Search lists: fresh answers only ---------- */

  function resultsOf(input) {
    return document.getElementById(input.getAttribute("hx-target").replace(/^#/, ""));
  }

  // The text a list answers (each answer carries it), or null for an empty list.
  function answeredFor(results) {
    var marker = R.$("[data-results-for]", results);
    return marker ? marker.getAttribute("data-results-for") : null;
  }

  function isOpen(results) {
    return !!results && R.$all("li", results).some(function (li) {
      return !li.hidden;
    });
  }

  // A list closed after a pick (or Esc) stays closed: an answer to a search asked before the
  // close (focus, typing) must not open it again under the cursor; a search asked after it
  // (the field used again, Enter) opens it.
  var asked = 0;
  function closeList(input) {
    var results = resultsOf(input);
    if (results) results.replaceChildren();
    input._relaisClosedAt = asked;
    delete input.dataset.enterPending;
  }

  // Enter acts on the first row of the answer to exactly what is typed: when the list on
  // screen answers an older text, wait for the right one (the search already on its way).
  function enter(input, act) {
    var results = resultsOf(input);
    var typed = input.value.slice(0, 100);
    if (answeredFor(results) === typed) {
      var first = R.$("button", results);
      if (first) act(first);
      return;
    }
    input.dataset.enterPending = typed;
    var started = Date.now();
    input._relaisEnterAct = act;
    input._relaisEnterStarted = started;
    if (window.htmx && !input.classList.contains("htmx-request")) {
      // Nothing on its way for this text (the list was closed): ask now.
      window.htmx.trigger(input, "relais:search");
    }
  }

  // A click on a row keeps the focus in the search field (as a combobox does): picking does
  // not blur and refocus it, which would ask for the whole list again.
  document.addEventListener("mousedown", function (ev) {
    if (ev.target.closest && ev.target.closest(".picker-results button")) ev.preventDefault();
  });

  function searchField(ev) {
    var input = ev.detail.requestConfig && ev.detail.requestConfig.elt;
    return input && input.matches && input.matches("input[data-q]") ? input : null;
  }

  document.addEventListener("htmx:beforeRequest", function (ev) {
    if (searchField(ev)) ev.detail.xhr._relaisAsked = ++asked;
  });

  document.addEventListener("htmx:beforeSwap", function (ev) {
    var input = searchField(ev);
    if (input && ev.detail.xhr._relaisAsked <= (input._relaisClosedAt || 0)) {
      ev.detail.shouldSwap = false;
    }
  });

  document.addEventListener("htmx:afterSettle", function (ev) {
    var input = searchField(ev);
    if (!input) return;
    var pending = input.dataset.enterPending;
    if (pending === undefined) return;
    var results = resultsOf(input);
    if (Date.now() - input._relaisEnterStarted > WAIT_MS || input.value.slice(0, 100) !== pending) {
      delete input.dataset.enterPending; // the text changed since Enter: Enter meant another one
      return;
    }
    if (answeredFor(results) !== pending) return; // an older answer: the right one follows
    delete input.dataset.enterPending;
    var first = R.$("button", results);
    if (first) input._relaisEnterAct(first);
  });

  /* ---------- The contact ---------- */

  function changed(form) {
    form.dispatchEvent(new CustomEvent("relais:changed", { bubbles: true }));
  }

  // The chosen contact's chip (the server's pickers.html#contact-chip, carried by the row).
  function pickContact(form, button) {
    var chip = R.cloneTemplate(R.$("template[data-chip]", button.closest("li")));
    var box = R.$("#contact-chosen", form);
    box.replaceChildren();
    if (chip) box.appendChild(chip);
    var q = R.$("#contact-q", form);
    if (q) {
      closeList(q);
      q.value = "";
      var next = q.getAttribute("data-next") && R.$(q.getAttribute("data-next"), form);
      if (next) next.focus();
    }
    changed(form);
  }

  function clearContact(form) {
    R.$("#contact-chosen", form).replaceChildren();
    var q = R.$("#contact-q", form);
    if (q) q.focus();
    changed(form);
  }

  // Opens the little « nouveau contact » form, prefilled with a typed name (not a number).
  function openSubform(form, opener) {
    var sub = document.getElementById(opener.getAttribute("data-subform-open"));
    sub.hidden = false;
    var q = R.$("#contact-q", form);
    var typed = q ? q.value : "";
    var nameInput = R.$("input", sub);
    if (typed && !nameInput.value && !/^[\d\s+.]+$/.test(typed)) nameInput.value = typed;
    if (q) closeList(q);
    nameInput.focus();
  }

  function cancelSubform(sub) {
    sub.hidden = true;
    R.$all("input", sub).forEach(function (i) {
      i.value = "";
    });
  }

  // A contact created inline is chosen: its search text and « Aucun contact ne correspond »
  // go away with the little form.
  document.addEventListener("htmx:afterSettle", function (ev) {
    var elt = ev.detail.requestConfig && ev.detail.requestConfig.elt;
    if (!elt || !elt.matches || !elt.matches("[data-subform-submit]")) return;
    if (!ev.detail.xhr || ev.detail.xhr.status !== 200) return;
    var chosen = document.getElementById("contact-chosen");
    var form = chosen && chosen.closest("form");
    if (!form) return;
    var q = R.$("#contact-q", form);
    if (q) {
      closeList(q);
      q.value = "";
    }
    changed(form);
  });

  /* ---------- Copy recipients (the composer) ---------- */

  function addCopy(form, button) {
    var chips = R.$("#cc-chips", form);
    var id = button.getAttribute("data-id");
    if (!R.$('input[name=cc][value="' + id + '"]', chips)) {
      var chip = R.cloneTemplate(R.$("template[data-chip]", button.closest("li")));
      if (chip) chips.insertBefore(chip, R.$("[data-cc-open]", chips));
    }
    var q = R.$("#cc-q", form);
    if (q) {
      closeList(q);
      q.value = "";
      q.focus();
    }
    changed(form);
  }

  function closeCopyPicker(form) {
    var picker = R.$("[data-cc-picker]", form);
    if (!picker || picker.hidden) return false;
    var q = R.$("input", picker);
    closeList(q);
    q.value = "";
    picker.hidden = true;
    var open = R.$("[data-cc-open]", form);
    if (open) open.focus();
    return true;
  }

  document.addEventListener("click", function (ev) {
    var el = ev.target;
    if (!el.closest) return;
    var form = el.closest("form");
    if (!form) return;
    var pick = el.closest("[data-pick-contact]");
    if (pick) {
      pickContact(form, pick);
      return;
    }
    if (el.closest("[data-contact-clear]")) {
      clearContact(form);
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
    if (el.closest("[data-cc-open]")) {
      var picker = R.$("[data-cc-picker]", form);
      if (!picker.hidden) {
        closeCopyPicker(form);
        return;
      }
      picker.hidden = false;
      R.$("input", picker).focus();
      return;
    }
    var add = el.closest("[data-add-cc]");
    if (add) {
      addCopy(form, add);
      return;
    }
    var remove = el.closest("[data-cc-remove]");
    if (remove) {
      remove.closest("[data-cc-chip]").remove();
      changed(form);
    }
  });

  /* ---------- « Aide à la saisie »: a searchable list, inserted at the cursor ---------- */

  function phraseBox(el) {
    return el && el.closest ? el.closest("[data-phrases]") : null;
  }
  function visibleOptions(box) {
    return R.$all("[data-phrase]", box).filter(function (li) {
      return !li.hidden;
    });
  }
  function setActive(box, li) {
    R.$all("[data-phrase]", box).forEach(function (o) {
      o.setAttribute("aria-selected", o === li ? "true" : "false");
      o.classList.toggle("active", o === li);
    });
    var q = R.$("[data-phrases-q]", box);
    if (li) {
      q.setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({ block: "nearest" });
    } else {
      q.removeAttribute("aria-activedescendant");
    }
  }
  // The list is filtered here, from what is typed (no request): Enter always sees it fresh.
  function filterPhrases(box) {
    var q = R.$("[data-phrases-q]", box);
    var words = R.fold(q.value).split(" ").filter(Boolean);
    R.$all("[data-phrase]", box).forEach(function (li) {
      var text = R.fold(li.textContent);
      li.hidden = !words.every(function (w) {
        return text.indexOf(w) !== -1;
      });
    });
    box.dataset.filteredFor = q.value;
    var shown = visibleOptions(box);
    R.$("[data-phrases-none]", box).hidden = shown.length > 0;
    setActive(box, shown[0] || null);
  }
  function openPhrases(box) {
    var q = R.$("[data-phrases-q]", box);
    R.$(".phrases-pop", box).hidden = false;
    R.$("[data-phrases-open]", box).setAttribute("aria-expanded", "true");
    q.value = "";
    filterPhrases(box);
    q.focus();
  }
  function phrasesOpen(box) {
    return !R.$(".phrases-pop", box).hidden;
  }
  function closePhrases(box, focusBody) {
    R.$(".phrases-pop", box).hidden = true;
    R.$("[data-phrases-open]", box).setAttribute("aria-expanded", "false");
    if (focusBody) {
      var body = R.$("#body", box.closest("form"));
      if (body) body.focus();
    }
  }
  function insertPhrase(box, li) {
    var body = R.$("#body", box.closest("form"));
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
    R.$all("[data-phrases]").forEach(function (other) {
      if (other !== box && phrasesOpen(other)) closePhrases(other, false);
    });
    if (!box) return;
    if (ev.target.closest("[data-phrases-open]")) {
      if (phrasesOpen(box)) closePhrases(box, true);
      else openPhrases(box);
      return;
    }
    var li = ev.target.closest("[data-phrase]");
    if (li) insertPhrase(box, li);
  });

  document.addEventListener("input", function (ev) {
    if (ev.target.matches && ev.target.matches("[data-phrases-q]")) filterPhrases(phraseBox(ev.target));
  });

  /* ---------- Keys: capture phase, so a list acts before the popup around it ---------- */

  // Set while an Esc was spent closing a list, so the dialog's own Esc does not close too.
  R.escapeSpent = false;
  function spendEscape(ev) {
    ev.preventDefault();
    ev.stopPropagation();
    R.escapeSpent = true;
    setTimeout(function () {
      R.escapeSpent = false;
    }, 0);
  }

  function phraseKeys(ev) {
    var box = phraseBox(ev.target);
    if (box.dataset.filteredFor !== ev.target.value) filterPhrases(box);
    var shown = visibleOptions(box);
    var active = R.$("[data-phrase].active", box);
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
      spendEscape(ev);
      closePhrases(box, true);
    }
  }

  document.addEventListener(
    "keydown",
    function (ev) {
      var el = ev.target;
      if (!el.closest) return;
      if (ev.altKey && !ev.ctrlKey && (ev.key === "a" || ev.key === "A" || ev.code === "KeyA")) {
        var composer = el.closest("form[data-composer]");
        var b = composer && R.$("[data-phrases]", composer);
        if (b) {
          ev.preventDefault();
          openPhrases(b);
        }
        return;
      }
      if (el.matches("[data-phrases-q]")) {
        phraseKeys(ev);
        return;
      }
      var form = el.closest("form");
      if (!form) return;
      var sub = el.closest("[data-subform]");
      var input = el.matches("input[data-q]") ? el : null;
      if (ev.key === "Escape") {
        // Esc closes the innermost open thing: the little form, the copy picker, a list.
        if (sub && !sub.hidden) {
          spendEscape(ev);
          cancelSubform(sub);
          var q = R.$("#contact-q", form);
          if (q) q.focus();
        } else if (el.closest("[data-cc-picker]")) {
          spendEscape(ev);
          closeCopyPicker(form);
        } else if (el.closest(".picker") && (input || el.closest(".picker-results"))) {
          var field = input || R.$("input[data-q]", el.closest(".picker"));
          if (field && isOpen(resultsOf(field))) {
            spendEscape(ev);
            closeList(field);
            field.focus();
          }
        }
        return;
      }
      if (ev.key !== "Enter" || ev.shiftKey || ev.ctrlKey || ev.metaKey || el.tagName !== "INPUT") return;
      if (sub) {
        ev.preventDefault();
        var btn = R.$("[data-subform-submit]", sub);
        if (btn) btn.click();
        return;
      }
      if (input) {
        ev.preventDefault();
        enter(input, function (first) {
          first.click();
        });
      }
    },
    true
  );

  R.pickContact = pickContact;
  R.closeList = closeList;
  R.openSubform = openSubform;
  R.cancelSubform = cancelSubform;
})();
