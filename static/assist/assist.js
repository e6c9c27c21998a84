// Reply box helpers: "/" opens the team's templates (search, arrows, Tab/Enter inserts the filled-in text),
// and the "Черновик" button asks for suggestions (the team's past answers, templates and AI drafts), each
// with its compliance result. No inline scripts: everything hangs off data attributes of the reply form.
(function () {
  "use strict";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function api(url, body) {
    var options = body === undefined ? { credentials: "same-origin" } : {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    };
    return fetch(url, options).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function setup(textarea) {
    if (textarea.dataset.assistReady) return;
    textarea.dataset.assistReady = "1";
    var chatId = textarea.dataset.chatId;
    var listUrl = textarea.dataset.templatesUrl;
    var renderUrl = textarea.dataset.templateRenderUrl; // contains 0 as the template id placeholder
    var form = textarea.form;
    var popup = element("div", "template-popup");
    popup.hidden = true;
    popup.setAttribute("role", "listbox");
    var notes = element("div", "assist-notes");
    notes.setAttribute("aria-live", "polite");
    textarea.parentNode.insertBefore(popup, textarea.nextSibling);
    textarea.parentNode.insertBefore(notes, popup.nextSibling);
    var items = [];
    var active = 0;
    var slashAt = -1;
    var timer = null;
    // "the template's file will be attached": shown for as long as that file travels with the reply.
    var fileNote = null;

    function clearNotes() {
      notes.textContent = "";
      if (fileNote) notes.appendChild(fileNote);
    }

    function close() { popup.hidden = true; items = []; slashAt = -1; }

    function highlight() {
      Array.prototype.forEach.call(popup.children, function (child, index) {
        child.setAttribute("aria-selected", index === active ? "true" : "false");
      });
    }

    function show(templates) {
      popup.textContent = "";
      items = templates;
      active = 0;
      if (!templates.length) {
        popup.appendChild(element("div", "template-empty", textarea.dataset.templatesEmpty || "Нет шаблонов"));
      }
      templates.forEach(function (template, index) {
        var row = element("div", "template-row");
        row.setAttribute("role", "option");
        row.appendChild(element("strong", "", template.title));
        if (template.shortcut) row.appendChild(element("span", "template-shortcut", "/" + template.shortcut));
        row.appendChild(element("div", "template-text", template.text.slice(0, 140)));
        row.addEventListener("mousedown", function (event) { event.preventDefault(); active = index; insert(); });
        popup.appendChild(row);
      });
      popup.hidden = false;
      highlight();
    }

    function query() {
      var text = textarea.value.slice(slashAt + 1, textarea.selectionStart);
      clearTimeout(timer);
      timer = setTimeout(function () {
        api(listUrl + "?chat=" + encodeURIComponent(chatId) + "&q=" + encodeURIComponent(text)).then(function (answer) {
          if (slashAt >= 0 && answer.status === 200) show(answer.data);
        });
      }, 150);
    }

    function insert() {
      var template = items[active];
      if (!template) return;
      var start = slashAt, end = textarea.selectionStart;
      close();
      api(renderUrl.replace(/\/0\/render$/, "/" + template.id + "/render"), { chat: Number(chatId) }).then(function (answer) {
        var text = answer.data.text || template.text;
        textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
        textarea.focus();
        textarea.setSelectionRange(start + text.length, start + text.length);
        notes.textContent = "";
        fileNote = null;
        var templateInput = form.querySelector("input[data-template-file]");
        if (templateInput) templateInput.value = template.file ? String(template.id) : "";
        if (template.file) {
          var note = element("p", "muted", " " + template.file.name + " — " + (textarea.dataset.templateFileNote || ""));
          // The reply box's drawn paperclip, not an emoji a browser without an emoji font shows as a box.
          var paperclip = form.querySelector(".reply-file-button svg");
          if (paperclip) note.insertBefore(paperclip.cloneNode(true), note.firstChild);
          notes.appendChild(note);
          fileNote = note;
        }
        if (answer.status === 400 && answer.data.variables) {
          answer.data.variables.forEach(function (problem) { notes.appendChild(element("p", "assist-problem", problem.message)); });
        }
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
      });
    }

    textarea.addEventListener("input", function () {
      var caret = textarea.selectionStart;
      var before = textarea.value.slice(0, caret);
      var at = before.lastIndexOf("/");
      if (at >= 0 && (at === 0 || /\s/.test(before.charAt(at - 1))) && !/\s/.test(before.slice(at + 1))) {
        slashAt = at;
        query();
      } else if (slashAt >= 0) {
        close();
      }
    });
    textarea.addEventListener("keydown", function (event) {
      if (popup.hidden) return;
      if (event.key === "ArrowDown") { active = Math.min(active + 1, items.length - 1); highlight(); event.preventDefault(); }
      else if (event.key === "ArrowUp") { active = Math.max(active - 1, 0); highlight(); event.preventDefault(); }
      else if (event.key === "Enter" || event.key === "Tab") {
        if (items.length) { insert(); event.preventDefault(); event.stopPropagation(); }
        // "/возрат" with no template found is a search, not a reply to the buyer: Enter does not send it.
        else if (event.key === "Enter") { event.preventDefault(); event.stopPropagation(); }
      }
      else if (event.key === "Escape") { close(); event.preventDefault(); }
    }, true);
    // Closed a moment after the box loses focus (a click on a row keeps it anyway); coming back before
    // then cancels it, or a "/" typed right away would open a list that the old blur then closed.
    var closeTimer = null;
    textarea.addEventListener("blur", function () { closeTimer = setTimeout(close, 150); });
    textarea.addEventListener("focus", function () { clearTimeout(closeTimer); });

    var draftButton = form.querySelector("[data-suggestions-url]");
    if (draftButton) {
      draftButton.addEventListener("click", function () {
        draftButton.disabled = true;
        clearNotes();
        notes.insertBefore(document.createTextNode(draftButton.dataset.waiting || "…"), notes.firstChild);
        api(draftButton.dataset.suggestionsUrl, {}).then(function (answer) {
          draftButton.disabled = false;
          clearNotes();
          var labels = { llm: draftButton.dataset.labelLlm, history: draftButton.dataset.labelHistory, template: draftButton.dataset.labelTemplate };
          var status = answer.data.llm_status;
          if (status && status !== "ok" && status !== "not_configured") {
            notes.appendChild(element("p", "assist-problem", draftButton.dataset["status" + status.charAt(0).toUpperCase() + status.slice(1)] || status));
          }
          var suggestions = answer.data.suggestions || [];
          if (!suggestions.length) notes.appendChild(element("p", "muted", draftButton.dataset.empty || ""));
          suggestions.forEach(function (suggestion) {
            var card = element("button", "suggestion" + (suggestion.compliance.allowed ? "" : " suggestion-blocked"));
            card.type = "button";
            card.appendChild(element("span", "suggestion-source", labels[suggestion.source] || suggestion.source));
            if (!suggestion.compliance.allowed) card.appendChild(element("span", "suggestion-warning", "⚠ " + suggestion.compliance.violations.map(function (v) { return v.message; }).join("; ")));
            card.appendChild(element("span", "suggestion-text", suggestion.text));
            card.addEventListener("click", function () {
              // The suggestion replaces the text, and a template's file goes with the template's text.
              var templateInput = form.querySelector("input[data-template-file]");
              if (templateInput) templateInput.value = "";
              if (fileNote) fileNote.remove();
              fileNote = null;
              textarea.value = suggestion.text;
              textarea.focus();
              textarea.dispatchEvent(new Event("input", { bubbles: true }));
            });
            notes.appendChild(card);
          });
        }, function () { draftButton.disabled = false; clearNotes(); });
      });
    }
  }

  function scan(root) {
    (root || document).querySelectorAll("textarea[data-templates-url]").forEach(setup);
  }
  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:afterSettle", function (event) { scan(event.target); });
})();
