// Live countdown of the deadline badges in the chat list (the server renders the same texts).
(function () {
  "use strict";
  var ru = (document.documentElement.lang || "ru").indexOf("ru") === 0;
  var formats = {};
  // The date and time as the page shows every other time: in the server's zone (data-time-zone), not
  // the browser's, which may be hours apart.
  var parts = function (date, zone) {
    if (!formats[zone]) {
      formats[zone] = new Intl.DateTimeFormat("en-GB", {
        timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23"
      });
    }
    var values = {};
    formats[zone].formatToParts(date).forEach(function (part) { values[part.type] = part.value; });
    return values;
  };
  var text = function (deadline, now, zone) {
    var remaining = (deadline - now) / 1000;
    var due = parts(deadline, zone);
    var today = parts(now, zone);
    var hm = due.hour + ":" + due.minute;
    if (due.year + due.month + due.day !== today.year + today.month + today.day) {
      hm = due.day + "." + due.month + " " + hm;
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
      badge.textContent = text(deadline, now, badge.dataset.timeZone || "Europe/Moscow");
      if (deadline < now) { badge.classList.remove("sla-ok", "sla-at_risk"); badge.classList.add("sla-breached"); }
    });
  };
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 30000);
})();
