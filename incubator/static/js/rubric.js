// The rubric editor adds and removes criteria in place. Without this script the form still
// works: it shows blank rows, and a row left empty is removed when the form is saved.
(function () {
  "use strict";

  var list = document.getElementById("criteria");
  var template = document.getElementById("criterion-template");
  var add = document.getElementById("add-criterion");
  if (!list || !template || !add) return;

  function rows() {
    return list.querySelectorAll("[data-criterion]");
  }

  // The next free index: rows are named criteria-<n>-…, and gaps are fine on the server.
  function nextIndex() {
    var highest = -1;
    list.querySelectorAll("input[name^='criteria-']").forEach(function (input) {
      var n = parseInt(input.name.split("-")[1], 10);
      if (n > highest) highest = n;
    });
    return highest + 1;
  }

  function enable(row) {
    var remove = row.querySelector("[data-remove-criterion]");
    if (remove) remove.hidden = false;
  }

  add.addEventListener("click", function () {
    var index = String(nextIndex());
    var fragment = template.content.cloneNode(true);
    fragment.querySelectorAll("[name], [id], label[for]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attribute) {
        var value = el.getAttribute(attribute);
        if (value) el.setAttribute(attribute, value.replace("__index__", index));
      });
    });
    var row = fragment.querySelector("[data-criterion]");
    enable(row);
    list.appendChild(fragment);
    var first = row.querySelector("input:not([type=hidden])");
    if (first) first.focus();
  });

  // Removing empties the row (the server drops a criterion without a name) and hides it;
  // a criterion already scored on is refused by the server with a message, as before.
  list.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-criterion]");
    if (!button) return;
    var row = button.closest("[data-criterion]");
    row.querySelectorAll("input:not([type=hidden]), textarea").forEach(function (input) {
      input.value = "";
    });
    row.hidden = true;
    var visible = Array.prototype.filter.call(rows(), function (r) { return !r.hidden; });
    if (visible.length === 0) add.click();
    else add.focus();
  });

  // The blank rows kept for browsers without this script: one is enough here.
  var blanks = Array.prototype.filter.call(rows(), function (row) {
    return Array.prototype.every.call(row.querySelectorAll("input"), function (input) {
      return !input.value;
    });
  });
  blanks.slice(1).forEach(function (row) { row.remove(); });

  rows().forEach(enable);
  add.hidden = false;
  document.querySelectorAll(".no-script-note").forEach(function (note) { note.hidden = true; });
})();
