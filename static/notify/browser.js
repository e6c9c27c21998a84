// Browser notifications for an open inbox: a desktop notification and an optional beep when the unread
// count grows while the tab is hidden, and the unread count drawn on the favicon. Permission is asked only
// from a button the user presses, never on page load.
(function () {
  "use strict";
  var enabled = true;
  var sound = false;
  var settingsUrl = document.body.getAttribute("data-notification-settings-url");
  if (settingsUrl && window.fetch) {
    fetch(settingsUrl, { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (data && data.browser) { enabled = !!data.browser.enabled; sound = !!data.browser.sound; }
    }, function () {});
  }
  var lastTotal = null;
  var baseIcon = null;

  function permissionButtons() {
    document.querySelectorAll("[data-notification-permission]").forEach(function (button) {
      if (!("Notification" in window) || Notification.permission !== "default") {
        button.hidden = true;
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        Notification.requestPermission().then(function () { button.hidden = true; });
      });
    });
  }

  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    var context = new Context();
    var oscillator = context.createOscillator();
    var gain = context.createGain();
    oscillator.frequency.value = 880;
    gain.gain.value = 0.08;
    oscillator.connect(gain);
    gain.connect(context.destination);
    oscillator.start();
    oscillator.stop(context.currentTime + 0.15);
  }

  function drawFavicon(total) {
    var link = document.querySelector("link[rel~='icon']");
    if (!link) {
      link = document.createElement("link");
      link.rel = "icon";
      document.head.appendChild(link);
    }
    if (baseIcon === null) baseIcon = link.href || "";
    if (!total) {
      if (baseIcon) link.href = baseIcon;
      return;
    }
    var canvas = document.createElement("canvas");
    canvas.width = canvas.height = 32;
    var context = canvas.getContext("2d");
    context.fillStyle = "#2754c5";
    context.fillRect(0, 0, 32, 32);
    context.fillStyle = "#d92d20";
    context.beginPath();
    context.arc(22, 10, 10, 0, 2 * Math.PI);
    context.fill();
    context.fillStyle = "#fff";
    context.font = "bold 13px sans-serif";
    context.textAlign = "center";
    context.textBaseline = "middle";
    context.fillText(total > 99 ? "99" : String(total), 22, 11);
    link.href = canvas.toDataURL("image/png");
  }

  function check() {
    var holder = document.querySelector("[data-unread-total]");
    if (!holder) return;
    var total = parseInt(holder.getAttribute("data-unread-total"), 10) || 0;
    drawFavicon(total);
    if (lastTotal !== null && total > lastTotal && document.hidden && enabled) {
      if ("Notification" in window && Notification.permission === "granted") {
        new Notification(holder.getAttribute("data-notify-title") || "Chat Center", {
          body: holder.getAttribute("data-notify-body") || "",
          tag: "chat-center-unread",
        });
      }
      if (sound) beep();
    }
    lastTotal = total;
  }

  document.addEventListener("DOMContentLoaded", function () {
    permissionButtons();
    check();
    new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-unread-total"] });
  });
})();
