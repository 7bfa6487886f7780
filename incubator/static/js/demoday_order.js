// The running order: where JavaScript is on, a line can be dragged into place; the new
// order is sent as one form (the arrows keep working without JavaScript).
(function () {
  "use strict";
  var list = document.querySelector(".running-order[data-order-form]");
  if (!list) { return; }
  var form = document.getElementById(list.getAttribute("data-order-form"));
  var hint = document.querySelector(".drag-hint");
  if (hint) { hint.hidden = false; }
  var dragged = null;

  function order() {
    return Array.prototype.map.call(list.querySelectorAll("li.slot"), function (li) {
      return li.getAttribute("data-slot");
    }).join(",");
  }

  list.querySelectorAll("li.slot").forEach(function (li) {
    li.setAttribute("draggable", "true");
    li.addEventListener("dragstart", function (event) {
      dragged = li;
      li.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", li.getAttribute("data-slot"));
    });
    li.addEventListener("dragend", function () { li.classList.remove("dragging"); });
    li.addEventListener("dragover", function (event) { event.preventDefault(); });
    li.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!dragged || dragged === li) { return; }
      var box = li.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      var before = order();
      list.insertBefore(dragged, after ? li.nextSibling : li);
      var now = order();
      if (now === before) { return; }
      form.querySelector("input[name=order]").value = now;
      form.submit();
    });
  });
})();
