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
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 30000);
  });
})();
