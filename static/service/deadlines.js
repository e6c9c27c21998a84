// Live countdown of the deadline badges in the chat list (the server renders the same texts).
(function () {
  "use strict";
  var ru = (document.documentElement.lang || "ru").indexOf("ru") === 0;
  var pad = function (n) { return (n < 10 ? "0" : "") + n; };
  var text = function (deadline, now) {
    var remaining = (deadline - now) / 1000;
    var hm = pad(deadline.getHours()) + ":" + pad(deadline.getMinutes());
    if (deadline.toDateString() !== now.toDateString()) {
      hm = pad(deadline.getDate()) + "." + pad(deadline.getMonth() + 1) + " " + hm;
    }
    if (remaining < 0) {
      var late = Math.floor(-remaining / 60);
      if (late < 60) { return ru ? "просрочено на " + late + " мин" : "overdue by " + late + " min"; }
      return ru ? "просрочено с " + hm : "overdue since " + hm;
    }
    if (remaining < 3600) {
      var left = Math.floor(remaining / 60);
      return ru ? "осталось " + left + " мин" : left + " min left";
    }
    return ru ? "ответить до " + hm : "reply by " + hm;
  };
  var tick = function () {
    var now = new Date();
    document.querySelectorAll(".deadline[data-deadline]").forEach(function (badge) {
      var deadline = new Date(badge.dataset.deadline);
      badge.textContent = text(deadline, now);
      if (deadline < now) { badge.classList.remove("sla-ok", "sla-at_risk"); badge.classList.add("sla-breached"); }
    });
  };
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 30000);
})();
