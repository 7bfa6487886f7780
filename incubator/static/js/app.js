// incubator: small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Ask before destructive actions: <form data-confirm="…"> or <button data-confirm="…">
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) ||
      (form.getAttribute && form.getAttribute("data-confirm"));
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Deadlines count down live: <time class="countdown" datetime="ISO" data-closed="…"
  // data-days="%d days %h hours" data-hours="%h hours %m minutes" data-minutes="%m minutes">
  function render(el) {
    var left = Math.floor((Date.parse(el.getAttribute("datetime")) - Date.now()) / 1000);
    if (left <= 0) {
      el.textContent = el.getAttribute("data-closed");
      return;
    }
    var d = Math.floor(left / 86400), h = Math.floor((left % 86400) / 3600), m = Math.floor((left % 3600) / 60);
    var pattern = d ? el.getAttribute("data-days") : h ? el.getAttribute("data-hours") : el.getAttribute("data-minutes");
    el.textContent = pattern.replace("%d", d).replace("%h", h).replace("%m", Math.max(m, d || h ? m : 1));
  }
  function tick() {
    document.querySelectorAll("time.countdown").forEach(render);
  }
  // Live character counters under text areas with a limit: <small class="counter" data-for="id">
  function count(counter) {
    var area = document.getElementById(counter.getAttribute("data-for"));
    var max = area && parseInt(area.getAttribute("maxlength"), 10);
    if (!max) return;
    var used = area.value.length;
    counter.textContent = used.toLocaleString("vi-VN") + " / " + max.toLocaleString("vi-VN");
    counter.classList.toggle("counter-full", used >= max);
  }
  document.addEventListener("input", function (event) {
    if (event.target.id) {
      document.querySelectorAll('.counter[data-for="' + event.target.id + '"]').forEach(count);
    }
  });

  // Files larger than the server accepts are refused before they are sent:
  // <input type="file" data-max-bytes="…" data-too-large="message">
  function tooLarge(input) {
    var max = parseInt(input.getAttribute("data-max-bytes"), 10);
    var file = input.files && input.files[0];
    return Boolean(max && file && file.size > max);
  }
  function showFileError(input) {
    var id = input.id + "-client-error";
    var old = document.getElementById(id);
    if (old) old.remove();
    input.removeAttribute("aria-invalid");
    if (!tooLarge(input)) return false;
    var message = document.createElement("small");
    message.className = "field-error";
    message.id = id;
    message.textContent = input.getAttribute("data-too-large");
    input.insertAdjacentElement("afterend", message);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
    return true;
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[type=file][data-max-bytes]")) {
      showFileError(event.target);
    }
  });

  // Answers save themselves while the founder types: <form data-autosave="url"> posts in
  // the background after a pause; #last-saved says when (or that it failed).
  var PAUSE = 1500;
  function autosaver(form) {
    var status = document.getElementById("last-saved");
    var timer = null, dirty = false, saving = null;
    function say(text) { if (status && text) status.textContent = text; }
    function showErrors(errors) {
      form.querySelectorAll(".autosave-error").forEach(function (el) { el.remove(); });
      Object.keys(errors || {}).forEach(function (name) {
        var input = form.elements[name];
        if (!input || !input.insertAdjacentElement) return;
        var message = document.createElement("small");
        message.className = "field-error autosave-error";
        message.textContent = [].concat(errors[name]).join(" ");
        input.insertAdjacentElement("afterend", message);
      });
    }
    function save(keepalive) {
      clearTimeout(timer);
      timer = null;
      if (!dirty) return saving || Promise.resolve();
      dirty = false;
      say(status && status.getAttribute("data-saving"));
      var sent = fetch(form.getAttribute("data-autosave"), {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "Accept": "application/json" },
        keepalive: Boolean(keepalive),
      }).then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!json) throw new Error("not saved");
        return response.json();
      }).then(function (answer) {
        say(answer.message);
        showErrors(answer.errors);
        if (!answer.saved) dirty = true;
      }).catch(function () {
        dirty = true;
        say(status && status.getAttribute("data-failed"));
      });
      saving = sent;
      return sent;
    }
    form.addEventListener("input", function () {
      dirty = true;
      clearTimeout(timer);
      timer = setTimeout(save, PAUSE);
    });
    form.addEventListener("submit", function () {
      clearTimeout(timer);  // the button saves; no background save behind it
      dirty = false;
    });
    window.addEventListener("pagehide", function () {
      if (dirty) save(true);
    });
    return save;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var save = null;
    document.querySelectorAll("form[data-autosave]").forEach(function (form) {
      save = autosaver(form);
    });
    document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
      input.form.addEventListener("submit", function (event) {
        if (showFileError(input)) {
          event.preventDefault();
          return;
        }
        if (save && !event.defaultPrevented) {
          // the upload reloads the page: save what was typed first
          event.preventDefault();
          save().then(function () { input.form.submit(); });
        }
      });
    });
  });

  // Conditional questions: <div data-when="key" data-when-value="value"> shows only while the
  // input named `key` has that value (and shows itself). Hidden inputs keep what was typed and
  // are still saved; the server ignores them when the application is submitted.
  function applyConditions(form) {
    form.querySelectorAll("[data-when]").forEach(function (box) {
      var wanted = box.getAttribute("data-when-value");
      var inputs = form.querySelectorAll('[name="' + box.getAttribute("data-when") + '"]');
      var met = false;
      inputs.forEach(function (input) {
        var chosen = (input.type === "radio" || input.type === "checkbox") ? input.checked : true;
        if (chosen && input.value === wanted) met = true;
      });
      var owner = inputs.length ? inputs[0].closest("[data-when]") : null;
      if (owner && owner.hidden) met = false;
      box.hidden = !met;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[data-when]")) return;
      applyConditions(form);
      form.addEventListener("change", function () { applyConditions(form); });
      form.addEventListener("input", function () { applyConditions(form); });
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 30000);
  });
})();

// The header menu is a <details> that phones fold. Wider screens show it open through CSS
// (::details-content); where the browser cannot, it is opened here.
(function () {
  "use strict";
  var menu = document.getElementById("site-menu");
  if (!menu || !window.matchMedia) return;
  var styled = window.CSS && CSS.supports && CSS.supports("selector(::details-content)");
  if (styled) return;
  var wide = window.matchMedia("(min-width: 577px)");
  function sync() {
    if (wide.matches) menu.open = true;
  }
  sync();
  wide.addEventListener("change", sync);
})();
