// The judges' scoring page: every score, comment and abstention is queued in localStorage
// and sent as JSON (the CSRF token in a header); what the network did not take stays queued
// and is sent again when the browser is back online. Each pitch says "saved" or "waiting
// for network". The pitch on stage is polled and opened.
(function () {
  "use strict";
  var page = document.getElementById("judging");
  if (!page) { return; }
  var data = page.dataset;
  var KEY = "incubator-scores:" + data.key;
  var sending = false;

  function queue() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function store(items) {
    try { localStorage.setItem(KEY, JSON.stringify(items)); } catch (e) { /* full or private */ }
  }
  function what(item) {
    return item.slot + ":" + ("criterion" in item ? item.criterion : ("comment" in item ? "comment" : "abstain"));
  }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
  function show(slot, state, text) {
    var el = page.querySelector('[data-status-for="' + slot + '"]');
    if (!el) { return; }
    el.textContent = text || data[state];
    el.className = "pitch-status " + state;
  }
  function refresh(slot) {
    var waiting = queue().some(function (o) { return String(o.slot) === String(slot); });
    show(slot, waiting ? "waiting" : "saved");
  }
  function enqueue(item) {
    var items = queue().filter(function (o) { return what(o) !== what(item); });
    items.push(item);
    store(items);
    show(item.slot, navigator.onLine === false ? "waiting" : "sending");
    send();
  }
  function drop(item) {
    store(queue().filter(function (o) { return !same(o, item); }));
  }
  function send() {
    if (sending) { return; }
    var items = queue();
    if (!items.length) { return; }
    var item = items[0];
    sending = true;
    fetch(data.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": data.csrf },
      body: JSON.stringify(item)
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (answer) {
      sending = false;
      drop(item);
      if (answer.status === 200) {
        refresh(item.slot);
      } else {
        // refused for good (judging closed, a wrong value): said, not sent again
        show(item.slot, "refused", answer.body && answer.body.message);
      }
      send();
    }).catch(function () {
      // no network (or no JSON answer): kept on the device, sent when the network returns
      sending = false;
      refresh(item.slot);
    });
  }

  page.addEventListener("change", function (event) {
    var el = event.target;
    var pitch = el.closest("[data-slot]");
    if (!pitch) { return; }
    var slot = Number(pitch.getAttribute("data-slot"));
    if (el.classList.contains("score") && el.value !== "") {
      enqueue({ slot: slot, criterion: Number(el.getAttribute("data-criterion")), value: Number(el.value) });
    } else if (el.classList.contains("comment")) {
      enqueue({ slot: slot, comment: el.value });
    } else if (el.classList.contains("abstain-box")) {
      pitch.querySelector("fieldset.scores").disabled = el.checked;
      enqueue({ slot: slot, abstain: el.checked });
    }
  });

  // what was queued before a reload goes back into the fields, and is sent again
  queue().forEach(function (item) {
    var pitch = document.getElementById("pitch-" + item.slot);
    if (!pitch) { return; }
    if ("criterion" in item) {
      var select = pitch.querySelector('select[data-criterion="' + item.criterion + '"]');
      if (select) { select.value = String(item.value); }
    } else if ("comment" in item) {
      pitch.querySelector("textarea.comment").value = item.comment;
    }
    show(item.slot, "waiting");
  });
  window.addEventListener("online", send);
  window.setInterval(send, 10000);
  send();

  // the pitch on stage
  var banner = document.getElementById("now-pitching");
  function mark(current) {
    page.querySelectorAll("details.pitch").forEach(function (pitch) {
      var on = String(current) === pitch.getAttribute("data-slot");
      if (on && !pitch.classList.contains("current")) { pitch.open = true; }
      pitch.classList.toggle("current", on);
      if (on && banner) {
        banner.textContent = banner.getAttribute("data-label") + ": " + pitch.querySelector(".startup-name").textContent;
        banner.hidden = false;
      }
    });
  }
  mark(data.current);
  window.setInterval(function () {
    if (navigator.onLine === false) { return; }
    fetch(data.nowUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (body) { if (body.current) { mark(body.current); } })
      .catch(function () { /* next time */ });
  }, Number(data.poll) * 1000);
})();
