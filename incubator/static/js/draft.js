// Keeps what is typed in <form data-draft="key"> in localStorage, so that a dropped
// connection or a closed tab loses nothing; the page reached after a successful save
// carries <span id="draft-saved" data-clear="key">, which forgets the draft.
(function () {
  "use strict";
  var PREFIX = "incubator-draft:";

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf_token" && el.name !== "client_key" && el.type !== "submit";
    });
  }

  function save(form) {
    var data = {};
    fields(form).forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) { data[el.name] = el.value; }
      } else {
        data[el.name] = el.value;
      }
    });
    try { localStorage.setItem(PREFIX + form.getAttribute("data-draft"), JSON.stringify(data)); } catch (e) { /* full or private mode */ }
  }

  function restore(form) {
    var raw = null;
    try { raw = localStorage.getItem(PREFIX + form.getAttribute("data-draft")); } catch (e) { return; }
    if (!raw) { return; }
    var data;
    try { data = JSON.parse(raw); } catch (e) { return; }
    var restored = false;
    fields(form).forEach(function (el) {
      if (!(el.name in data)) { return; }
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = data[el.name] === el.value;
      } else if (el.value !== data[el.name]) {
        el.value = data[el.name];
        restored = true;
      }
    });
    var note = form.getAttribute("data-restored");
    if (restored && note) {
      var p = document.createElement("p");
      p.className = "flash flash-info";
      p.setAttribute("role", "status");
      p.textContent = note;
      form.parentNode.insertBefore(p, form);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var saved = document.getElementById("draft-saved");
    if (saved) {
      try { localStorage.removeItem(PREFIX + saved.getAttribute("data-clear")); } catch (e) { /* ignore */ }
    }
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      // after a refused post the server shows what was sent: that wins over an old draft
      if (!form.querySelector(".field-error")) { restore(form); }
      form.addEventListener("input", function () { save(form); });
      form.addEventListener("change", function () { save(form); });
    });
  });
})();
