// The manager's leaderboard: its table is fetched again every few seconds (no reload).
(function () {
  "use strict";
  var board = document.getElementById("leaderboard");
  if (!board) { return; }
  var seconds = Number(board.getAttribute("data-poll"));
  if (!seconds) { return; }
  window.setInterval(function () {
    fetch(board.getAttribute("data-url"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { board.innerHTML = html; } })
      .catch(function () { /* next time */ });
  }, seconds * 1000);
})();
