// Chat Center inbox: keyboard shortcuts, reply box behaviour, title unread count, scroll keeping.
// Everything here is an enhancement: the pages work without it.
(function () {
  "use strict";

  function replyText() { return document.getElementById("reply-text"); }
  function replyFile() { return document.getElementById("reply-file"); }

  function isTyping(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  // --- Reply box: counter, limit, attached file, Enter to send ------------------------------------
  function chosenFile() {
    var input = replyFile();
    return input && input.files && input.files.length ? input.files[0] : null;
  }

  // What is wrong with the chosen file, in the server's own words ("" when nothing is).
  function fileProblem() {
    var input = replyFile();
    var file = chosenFile();
    if (!file) return "";
    var named = function (template) { return (template || "").replace("{name}", function () { return file.name; }); };
    var extensions = (input.dataset.extensions || "").split(",").filter(Boolean);
    var dot = file.name.lastIndexOf(".");
    var extension = dot > 0 ? file.name.slice(dot).toLowerCase() : "";
    if (extensions.length && extensions.indexOf(extension) === -1) return named(input.dataset.wrongType);
    if (file.size > parseInt(input.dataset.maxBytes, 10)) return named(input.dataset.tooLarge);
    return "";
  }

  function updateCounter() {
    var textarea = replyText();
    if (!textarea) return true;
    var limit = parseInt(textarea.dataset.limit, 10);
    var length = textarea.value.trim().length;
    var counter = document.getElementById("reply-counter");
    var error = document.getElementById("reply-error");
    var form = textarea.form;
    var tooLong = length > limit;
    var problem = fileProblem();
    if (counter) {
      counter.textContent = length + " / " + limit;
      counter.classList.toggle("over", tooLong);
      counter.classList.toggle("near", !tooLong && length > limit * 0.9);
    }
    if (error) {
      if (tooLong) { error.textContent = error.dataset.tooLong; }
      else if (problem) { error.textContent = problem; }
      else if (error.dataset.shownTooLong) { error.textContent = ""; }
      error.dataset.shownTooLong = tooLong || problem ? "1" : "";
    }
    // A file alone is a reply too.
    var ready = !textarea.readOnly && !tooLong && !problem && (length > 0 || !!chosenFile());
    var button = form && form.querySelector("button[type=submit]");
    // The pre-send check's own block stays until the check lifts it.
    if (button) button.disabled = !ready || !!button.dataset.complianceDisabled;
    return ready;
  }

  // The server's refusal was about the text and file as sent: once either changes it no longer applies.
  function serverErrorClear() {
    var error = document.getElementById("reply-error");
    if (error && !error.dataset.shownTooLong) error.textContent = "";
  }

  document.addEventListener("input", function (event) {
    if (event.target.id !== "reply-text") return;
    serverErrorClear();
    updateCounter();
  });
  document.addEventListener("change", function (event) {
    if (event.target.id !== "reply-file") return;
    serverErrorClear();
    var name = document.getElementById("reply-file-name");
    var file = chosenFile();
    if (name) name.textContent = file ? file.name : "";
    updateCounter();
  });

  document.addEventListener("keydown", function (event) {
    if (event.target.id !== "reply-text") return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (updateCounter()) event.target.form.requestSubmit();
    }
  });

  // Refuse before anything leaves the browser; the server checks again.
  document.addEventListener("submit", function (event) {
    if (event.target.id === "reply-form" && !updateCounter()) event.preventDefault();
  }, true);
  document.addEventListener("htmx:confirm", function (event) {
    if (event.target.id === "reply-form" && !updateCounter()) event.preventDefault();
  });

  // --- Chat list: active row, title count, keyboard -----------------------------------------------
  // A chat opened with the mouse gets the caret in its reply box; one reached with j/k keeps the
  // keyboard on the list so the agent can keep skimming.
  var openedByKeyboard = false;
  // The chat a row click asked for, until its pane arrives: a list poll settling in between must
  // not move the highlight back to the chat still shown in the address bar.
  var requestedChatId = null;

  function openChatId() {
    if (requestedChatId) return requestedChatId;
    var match = window.location.pathname.match(/\/chats\/(\d+)\//);
    return match ? match[1] : null;
  }

  function markActiveRow() {
    var id = openChatId();
    document.querySelectorAll(".chat-row").forEach(function (row) {
      row.classList.toggle("active", row.dataset.chatId === id);
    });
    var inbox = document.querySelector(".inbox");
    if (inbox) inbox.classList.toggle("has-chat", !!id);
  }

  function updateTitle() {
    var region = document.getElementById("chat-list-region");
    var inbox = document.querySelector(".inbox");
    if (!region || !inbox) return;
    var unread = parseInt(region.dataset.unreadTotal || "0", 10);
    document.title = (unread > 0 ? "(" + unread + ") " : "") + inbox.dataset.baseTitle;
  }

  // Where the open chat's row was before a list refresh: once it has left the list (read under "Unread",
  // answered under "Awaiting reply"), j opens the chat that took its place and k the one above it.
  var leftRow = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "chat-list-region") return;
    var rows = Array.prototype.slice.call(document.querySelectorAll(".chat-row"));
    var index = rows.findIndex(function (row) { return row.classList.contains("active"); });
    if (index !== -1) leftRow = { chatId: rows[index].dataset.chatId, index: index };
  });

  function moveSelection(step) {
    var rows = Array.prototype.slice.call(document.querySelectorAll(".chat-row"));
    if (!rows.length) return;
    var index = rows.findIndex(function (row) { return row.classList.contains("active"); });
    var next = 0;
    if (index !== -1) next = index + step;
    else if (leftRow && leftRow.chatId === openChatId()) next = step > 0 ? leftRow.index : leftRow.index - 1;
    next = Math.min(rows.length - 1, Math.max(0, next));
    if (next === index) return;
    openedByKeyboard = true;
    rows[next].click();
    rows[next].scrollIntoView({ block: "nearest" });
  }

  // A shortcut by its key's place when the layout prints something else: with the Russian layout on
  // (the agents' usual one), j arrives as "о" and / as "." (codes KeyJ and Slash).
  var SHORTCUTS_BY_CODE = { KeyJ: "j", KeyK: "k", KeyR: "r", KeyE: "e", KeyS: "s", Slash: "/" };

  function shortcutKey(event) {
    if (/^[a-z/]$/.test(event.key)) return event.key;
    return SHORTCUTS_BY_CODE[event.code] || event.key;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) {
      // An Escape that closed something inside the field (the templates list) leaves the caret there.
      if (event.key === "Escape" && !event.defaultPrevented) event.target.blur();
      return;
    }
    var key = shortcutKey(event);
    if (key === "j") { moveSelection(1); }
    else if (key === "k") { moveSelection(-1); }
    else if (key === "/") {
      var search = document.getElementById("search");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    } else if (key === "r") {
      var textarea = replyText();
      if (textarea) { event.preventDefault(); textarea.focus(); }
    } else if (key === "e") {
      var resolve = document.getElementById("resolve-button");
      // The next chat opens in its place; keep the keyboard on the list (e, j, k keep working).
      if (resolve) { openedByKeyboard = true; resolve.click(); }
    } else if (key === "s") {
      var menu = document.getElementById("snooze-menu");
      if (menu) {
        event.preventDefault();
        menu.open = true;
        var first = menu.querySelector("button[name=preset]");
        if (first) first.focus();
      }
    } else if (event.key === "Escape") {
      closeSnoozeMenu(true);
    }
  });

  // --- Snooze menu: a <details>, so it works without JS; close it like a menu ----------------------
  function closeSnoozeMenu(returnFocus) {
    var menu = document.querySelector("#snooze-menu[open]");
    if (!menu) return;
    menu.open = false;
    if (returnFocus) menu.querySelector("summary").focus();
  }

  document.addEventListener("click", function (event) {
    var menu = document.querySelector("#snooze-menu[open]");
    if (menu && !menu.contains(event.target)) closeSnoozeMenu(false);
  });

  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest(".chat-row");
    if (!row) return;
    requestedChatId = row.dataset.chatId || null;
    document.querySelectorAll(".chat-row.active").forEach(function (other) { other.classList.remove("active"); });
    row.classList.add("active");
    document.querySelector(".inbox").classList.add("has-chat");
  });

  // The highlight follows the pane in the same task as its swap, not a settle delay later.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "chat-pane") {
      requestedChatId = null;
      markActiveRow();
    }
  });
  ["htmx:responseError", "htmx:sendError", "htmx:sendAbort", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var element = event.detail.elt;
      if (element && element.classList && element.classList.contains("chat-row")) {
        requestedChatId = null;
        markActiveRow();
      }
    });
  });

  // --- Live refreshes: the list and the open chat are replaced while the agent works in them; keep the
  // focus, and an open snooze menu with the time typed into it ------------------------------------
  var kept = null;

  function focusSelector(element) {
    if (element.id) return "#" + CSS.escape(element.id);
    if (!element.name) return null;
    var selector = element.tagName.toLowerCase() + "[name=" + CSS.escape(element.name) + "]";
    return element.tagName === "BUTTON" ? selector + "[value=" + CSS.escape(element.value) + "]" : selector;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    kept = null;
    if (!target || (target.id !== "chat-list-region" && target.id !== "chat-live")) return;
    var active = document.activeElement;
    var until = target.querySelector("#snooze-menu[open] #snooze-until");
    kept = {
      focus: active && target.contains(active) ? focusSelector(active) : null,
      // A refresh keeps the menu open; an action's answer (snoozed, or refused) says itself how it is.
      snoozeUntil: until && event.detail.elt === target ? until.value : null,
    };
  });

  document.addEventListener("htmx:afterSwap", function () {
    var state = kept;
    kept = null;
    if (!state) return;
    var menu = document.getElementById("snooze-menu");
    var until = document.getElementById("snooze-until");
    if (state.snoozeUntil !== null && menu && until) {
      menu.open = true;
      until.value = state.snoozeUntil;
    }
    var element = state.focus && document.querySelector(state.focus);
    if (element && element !== document.activeElement) element.focus({ preventScroll: true });
  });

  // --- Thread: stay at the bottom unless the agent scrolled up to read -----------------------------
  var stickToBottom = true;

  function thread() { return document.getElementById("thread"); }

  function scrollThreadToEnd() {
    var element = thread();
    if (element) element.scrollTop = element.scrollHeight;
  }

  document.addEventListener("htmx:beforeSwap", function () {
    var element = thread();
    stickToBottom = !element || element.scrollHeight - element.scrollTop - element.clientHeight < 80;
  });

  // On a touch screen the focus would raise the on-screen keyboard over the thread the agent opened the
  // chat to read; a tap in the box is all it takes there.
  var touchFirst = !!(window.matchMedia && window.matchMedia("(pointer: coarse)").matches);

  // The marketplace closed the chat while its reply box was open (a Yandex Market chat finished, the Ozon
  // window ran out): the box keeps the agent's text, read-only, and says why; the server would refuse it.
  // It opens again the same way (a buyer who writes again reopens the Ozon window).
  function replyBlockApply() {
    var live = document.getElementById("chat-live");
    var textarea = replyText();
    if (!live || !textarea) return;
    var closed = !!live.dataset.replyBlock;
    // Only this function makes the box read-only.
    if (!closed && !textarea.readOnly) return;
    textarea.readOnly = closed;
    var file = textarea.form.querySelector("input[type=file]");
    if (file) file.disabled = closed;
    var error = document.getElementById("reply-error");
    if (error) error.textContent = closed ? live.dataset.replyBlock : "";
    updateCounter();
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (target && (target.id === "chat-pane" || target.id === "chat-live")) {
      if (target.id === "chat-pane" || stickToBottom) scrollThreadToEnd();
      if (target.id === "chat-pane" && replyText() && !openedByKeyboard && !touchFirst) {
        replyText().focus({ preventScroll: true });
      }
      if (target.id === "chat-pane") openedByKeyboard = false;
    }
    markActiveRow();
    updateTitle();
    replyBlockApply();
    updateCounter();
  });

  document.addEventListener("htmx:oobAfterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "reply-form" && replyText()) {
      replyText().focus({ preventScroll: true });
      updateCounter();
    }
  });

  // Tabs, filters and search change the list, not the open chat: the address keeps naming the chat, so
  // its row stays highlighted, j / k go on from it and a reload shows it again.
  document.addEventListener("htmx:beforeHistoryUpdate", function (event) {
    var live = document.getElementById("chat-live");
    var target = event.detail.target;
    if (!live || !target || target.id !== "chat-list-region") return;
    var url = new URL(event.detail.history.path, window.location.href);
    if (!/\/$/.test(url.pathname)) return;
    event.detail.history.path = url.pathname + "chats/" + live.dataset.chatId + "/" + url.search;
  });

  window.addEventListener("popstate", function () {
    requestedChatId = null;
    setTimeout(markActiveRow, 0);
  });

  document.addEventListener("DOMContentLoaded", function () {
    scrollThreadToEnd();
    markActiveRow();
    updateTitle();
    replyBlockApply();
    updateCounter();
  });

  // No inline handlers (the Content-Security-Policy forbids them): selects that submit their form
  // on change, and images that give way to a link when they fail to load.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("select[data-submit-on-change]") && target.form) {
      // The language switch returns to the page as it is now, not as it loaded: htmx has pushed every
      // chat and filter opened since.
      var next = target.form.querySelector("input[name=next]");
      if (next) next.value = window.location.pathname + window.location.search;
      target.form.submit();
    }
  });
  document.addEventListener("error", function (event) {
    var image = event.target;
    if (image && image.tagName === "IMG" && image.hasAttribute("data-fallback-next")) {
      image.hidden = true;
      if (image.nextElementSibling) image.nextElementSibling.hidden = false;
    }
  }, true);

  // Once the agent loaded more chats, the list's poll would replace the longer list with page one:
  // it pauses until the next real change ("chats-changed") or navigation.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail.elt;
    if (!element) return;
    if (element.hasAttribute("data-extends-list")) {
      var region = document.getElementById("chat-list-region");
      if (region) region.dataset.extended = "1";
    } else if (element.id === "chat-list-region" && element.dataset.extended === "1" &&
               !event.detail.requestConfig.triggeringEvent) {
      event.preventDefault();
    }
  });
})();
