/* Relais — incoming calls on every staff page: the strip, « Prendre », the screen pop
 * (« levée de fiche ») and the composer drafts it must never lose.
 *
 * Events come from live.js (`relais:call`); a page that opens asks for the calls ringing now.
 * - The strip: one line per ringing call, oldest first, with the waiting time ticking; calm
 *   (no sound, no flashing). Alt+P (shown on the button) takes the oldest one.
 * - A call answered by me (the PBX says so, or I clicked « Prendre ») opens the client's file on
 *   its « levée de fiche » page; a composer left open keeps its text as a draft
 *   (sessionStorage, per client) that a « brouillon » button brings back.
 * - A call taken by someone else leaves the strip within a second, saying who took it.
 */
(function () {
  "use strict";

  var DRAFT_PREFIX = "relais:draft:";
  var strip, me, takeBase;
  var calls = {}; // id -> {data, el}

  function $(sel, root) {
    return (root || document).querySelector(sel);
  }

  function csrf() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  /* ---------- drafts ---------- */

  function composerClientId(form) {
    var match = (form.getAttribute("action") || "").match(/\/clients\/([^/]+)\/messages\//);
    return match ? match[1] : null;
  }

  function saveDraft() {
    var form = $("form[data-composer]");
    if (!form) return;
    var subject = form.elements.subject ? form.elements.subject.value : "";
    var body = form.elements.body ? form.elements.body.value : "";
    var id = composerClientId(form);
    if (!id || (!subject.trim() && !body.trim())) return;
    try {
      sessionStorage.setItem(
        DRAFT_PREFIX + id,
        JSON.stringify({ subject: subject, body: body, at: Date.now() })
      );
    } catch (e) {
      /* storage full or disabled: nothing more we can do */
    }
  }

  function readDraft(id) {
    try {
      return JSON.parse(sessionStorage.getItem(DRAFT_PREFIX + id) || "null");
    } catch (e) {
      return null;
    }
  }

  function fileClientId() {
    var opener = $("[data-composer-shortcut]");
    if (!opener) return null;
    var match = (opener.getAttribute("data-composer-url") || "").match(/\/clients\/([^/]+)\/ecrire\//);
    return match ? match[1] : null;
  }

  function showDraftMarker() {
    var id = fileClientId();
    if (!id || !readDraft(id) || $("[data-draft-restore]")) return;
    var opener = $("[data-composer-shortcut]");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn small draft-marker";
    button.setAttribute("data-draft-restore", id);
    button.title = "Reprendre le message commencé avant l'appel";
    button.textContent = "✎ brouillon";
    opener.parentNode.insertBefore(button, opener);
  }

  function restoreInto(form, id) {
    var draft = readDraft(id);
    if (!draft) return;
    if (form.elements.subject && !form.elements.subject.value.trim()) {
      form.elements.subject.value = draft.subject;
    }
    if (form.elements.body && !form.elements.body.value.trim()) {
      form.elements.body.value = draft.body;
    }
    ["subject", "body"].forEach(function (name) {
      if (form.elements[name]) {
        form.elements[name].dispatchEvent(new Event("input", { bubbles: true }));
      }
    });
    sessionStorage.removeItem(DRAFT_PREFIX + id);
    var marker = $("[data-draft-restore]");
    if (marker) marker.remove();
  }

  var restoring = null;
  document.addEventListener("click", function (ev) {
    var marker = ev.target.closest && ev.target.closest("[data-draft-restore]");
    if (!marker) return;
    ev.preventDefault();
    restoring = marker.getAttribute("data-draft-restore");
    var opener = $("[data-composer-shortcut]");
    if (opener) opener.click();
  });
  document.addEventListener("htmx:afterSwap", function (ev) {
    if (!restoring || !ev.detail.target || ev.detail.target.id !== "composer-body") return;
    var form = $("form[data-composer]", ev.detail.target);
    if (form && composerClientId(form) === restoring) restoreInto(form, restoring);
    restoring = null;
  });

  /* ---------- the screen pop ---------- */

  function openComposer(url) {
    var link = document.createElement("a");
    link.href = url;
    link.setAttribute("data-composer-url", url);
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  function screenPop(pop) {
    if (!pop || !pop.url) return;
    saveDraft();
    var here = window.location.pathname;
    var file = "/clients/" + pop.client + "/";
    var sameFile = here === file && !$("form[data-composer]");
    if (pop.page === "messages" && pop.composer && sameFile) {
      openComposer(pop.composer);
      return;
    }
    window.location.assign(pop.url);
  }

  function popOnArrival() {
    // /clients/<id>/?appel=<call>: the file raised by a call opens its composer for that call.
    var params = new URLSearchParams(window.location.search);
    var call = params.get("appel");
    var id = fileClientId();
    if (!call || !id) return;
    params.delete("appel");
    var rest = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : "") + window.location.hash);
    if (window.location.hash === "#contacts") {
      var contacts = document.getElementById("contacts") || $(".contacts");
      if (contacts) contacts.scrollIntoView();
      return;
    }
    openComposer("/clients/" + id + "/ecrire/?appel=" + encodeURIComponent(call));
  }

  /* ---------- the strip ---------- */

  function waited(startedAt) {
    var seconds = Math.max(0, Math.round((Date.now() - Date.parse(startedAt)) / 1000));
    var m = Math.floor(seconds / 60);
    var s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function forMe(data) {
    return !data.ring_users || !data.ring_users.length || data.ring_users.indexOf(me) !== -1;
  }

  function render() {
    var ids = Object.keys(calls).sort(function (a, b) {
      return Date.parse(calls[a].data.started_at) - Date.parse(calls[b].data.started_at);
    });
    ids.forEach(function (id) {
      strip.appendChild(calls[id].el);
    });
    strip.hidden = ids.length === 0;
  }

  function line(data) {
    var el = document.createElement("div");
    el.className = "call-line";
    el.setAttribute("data-call", data.call);
    var icon = document.createElement("span");
    icon.className = "call-icon";
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = "☎";
    var text = document.createElement("span");
    text.className = "call-text";
    var title = document.createElement("strong");
    title.textContent = "Appel";
    text.appendChild(title);
    var who = data.client_name || "Numéro inconnu";
    var caller = data.caller && data.caller !== data.number ? data.caller + " (" + data.number + ")" : data.number;
    text.appendChild(document.createTextNode(" — " + who + " · " + caller + " · "));
    var wait = document.createElement("span");
    wait.className = "call-wait num";
    wait.setAttribute("data-started", data.started_at);
    wait.textContent = waited(data.started_at);
    text.appendChild(wait);
    var status = document.createElement("span");
    status.className = "call-status";
    var take = document.createElement("button");
    take.type = "button";
    take.className = "btn small primary";
    take.setAttribute("data-call-take", data.call);
    take.setAttribute("aria-keyshortcuts", "Alt+P");
    take.innerHTML = "Prendre <kbd>Alt+P</kbd>";
    el.appendChild(icon);
    el.appendChild(text);
    el.appendChild(status);
    el.appendChild(take);
    return el;
  }

  function add(data) {
    if (calls[data.call] || !forMe(data)) return;
    calls[data.call] = { data: data, el: line(data) };
    render();
  }

  function leave(id, message) {
    var entry = calls[id];
    if (!entry) return;
    var take = $("[data-call-take]", entry.el);
    if (take) take.remove();
    $(".call-status", entry.el).textContent = message;
    entry.el.classList.add("leaving");
    delete calls[id];
    window.setTimeout(function () {
      entry.el.remove();
      strip.hidden = !strip.querySelector(".call-line");
    }, 900);
  }

  function take(id) {
    var entry = calls[id];
    if (!entry) return;
    var button = $("[data-call-take]", entry.el);
    if (button) button.disabled = true;
    fetch(takeBase + encodeURIComponent(id) + "/prendre/", {
      method: "POST",
      headers: { "X-CSRFToken": csrf(), Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (result) {
        if (!result.ok) {
          leave(id, result.body.detail || "Appel indisponible.");
          return;
        }
        leave(id, "Pris par vous");
        screenPop(result.body.screen_pop);
      })
      .catch(function () {
        if (button) button.disabled = false;
      });
  }

  function onCall(ev) {
    var kind = ev.detail.kind;
    var data = ev.detail.data;
    if (kind === "call.ringing") {
      if (data.state === "ringing") add(data);
    } else if (kind === "call.answered") {
      var mine = data.answered_by && data.answered_by.id === me;
      if (mine && data.screen_pop) {
        if (calls[data.call]) leave(data.call, "Pris par vous");
        screenPop(data.screen_pop);
      } else if (calls[data.call]) {
        leave(data.call, "Pris par " + (data.answered_by ? data.answered_by.name : "un collègue"));
      }
    } else if (kind === "call.ended") {
      if (calls[data.call]) leave(data.call, "Appel terminé");
    }
  }

  function start() {
    strip = document.getElementById("call-strip");
    showDraftMarker();
    popOnArrival();
    if (!strip) return;
    me = strip.getAttribute("data-me");
    var ringing = strip.getAttribute("data-ringing-url");
    takeBase = ringing.replace(/en-cours\/$/, "");
    document.addEventListener("relais:call", onCall);
    strip.addEventListener("click", function (ev) {
      var button = ev.target.closest("[data-call-take]");
      if (button) take(button.getAttribute("data-call-take"));
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.altKey && (ev.key === "p" || ev.key === "P" || ev.code === "KeyP")) {
        var first = strip.querySelector("[data-call-take]:not([disabled])");
        if (first) {
          ev.preventDefault();
          take(first.getAttribute("data-call-take"));
        }
      }
    });
    window.setInterval(function () {
      Array.prototype.forEach.call(strip.querySelectorAll("[data-started]"), function (el) {
        el.textContent = waited(el.getAttribute("data-started"));
      });
    }, 1000);
    fetch(ringing, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : { calls: [] };
      })
      .then(function (body) {
        (body.calls || []).forEach(add);
      })
      .catch(function () {});
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
