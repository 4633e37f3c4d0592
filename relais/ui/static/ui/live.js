/* Relais — the live event stream of a staff page (GET /events, server-sent events).
 *
 * Each event that changes what the page shows fires `relais:live` on <body>: the parts that
 * refresh themselves (thread list, open thread, left-menu counts, day bar) listen to it and ask
 * for their fragment exactly as their 5-second poll does (a 204 when nothing changed). Calls go
 * to calls.js as `relais:call` events. If the stream cannot be opened, the polling goes on as
 * before: nothing depends on the stream being there.
 */
(function () {
  "use strict";

  var MESSAGE_KINDS = ["message.created", "message.replied", "message.task", "message.read"];
  var CALL_KINDS = ["call.ringing", "call.answered", "call.ended"];
  var pending = null;

  function refresh() {
    // Several events in a burst: one refresh.
    if (pending) return;
    pending = window.setTimeout(function () {
      pending = null;
      document.body.dispatchEvent(new CustomEvent("relais:live", { bubbles: true }));
    }, 50);
  }

  function parse(ev) {
    try {
      return JSON.parse(ev.data);
    } catch (e) {
      return null;
    }
  }

  function start() {
    var strip = document.getElementById("call-strip");
    if (!strip || !window.EventSource) return;
    var url = strip.getAttribute("data-events-url");
    var source = new EventSource(url);
    window.Relais = window.Relais || {};
    window.Relais.liveSource = source;

    MESSAGE_KINDS.forEach(function (kind) {
      source.addEventListener(kind, function (ev) {
        var data = parse(ev);
        if (!data) return;
        document.dispatchEvent(new CustomEvent("relais:message", { detail: { kind: kind, data: data } }));
        refresh();
      });
    });
    source.addEventListener("counts", function (ev) {
      var data = parse(ev);
      if (!data || !data.counts) return;
      var missed = document.querySelector("[data-missed-calls]");
      if (missed && typeof data.counts.missed_calls === "number") {
        missed.textContent = String(data.counts.missed_calls);
        missed.classList.toggle("alert", data.counts.missed_calls > 0);
        missed.classList.toggle("zero", data.counts.missed_calls === 0);
      }
      refresh();
    });
    CALL_KINDS.forEach(function (kind) {
      source.addEventListener(kind, function (ev) {
        var data = parse(ev);
        if (!data) return;
        document.dispatchEvent(new CustomEvent("relais:call", { detail: { kind: kind, data: data } }));
        document.body.dispatchEvent(new CustomEvent("relais:live-calls", { bubbles: true }));
      });
    });
    source.addEventListener("open", function () {
      document.documentElement.setAttribute("data-live", "on");
    });
    source.addEventListener("error", function () {
      // The browser reconnects by itself (with Last-Event-ID); meanwhile the polling goes on.
      document.documentElement.setAttribute("data-live", "off");
    });
    window.addEventListener("pagehide", function () {
      source.close();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
