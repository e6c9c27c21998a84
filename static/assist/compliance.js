/*
 * Live pre-send compliance check for a reply box (DESIGN.md §14).
 *
 * Self-contained: every <textarea data-compliance-url="/api/chat/compliance/check"> is wired up, with
 *   data-compliance-chat="ID"            (or data-compliance-marketplace="ozon"),
 *   data-compliance-confirm="..."        the translated "send anyway?" question (optional),
 * inside a <form>. As the agent types (debounced 300 ms) the text is checked; offending spans are
 * underlined in a mirror layer under the textarea, the reasons are listed below it in Russian (as the API
 * answers them), the form's submit buttons are disabled while a block is present, and a warning asks once
 * before sending (then a hidden `override_warnings` input is set to "true").
 *
 * CSP-friendly: no inline scripts or style attributes in markup; layout copied through the CSSOM only.
 * Offsets from the API are Unicode code points; JavaScript strings index UTF-16 units: converted here.
 */
(function () {
  "use strict";

  var DEBOUNCE_MILLISECONDS = 300;
  var DEFAULT_CONFIRM = "В ответе есть предупреждения. Всё равно отправить?";
  var COPIED_STYLES = [
    "boxSizing", "width", "height", "paddingTop", "paddingRight", "paddingBottom", "paddingLeft",
    "borderTopWidth", "borderRightWidth", "borderBottomWidth", "borderLeftWidth", "fontFamily",
    "fontSize", "fontWeight", "fontStyle", "letterSpacing", "lineHeight", "textTransform",
    "wordSpacing", "textIndent", "tabSize"
  ];

  function csrfToken(form) {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) { return input.value; }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // utf16[i] is the UTF-16 index of code point i (utf16[length] is the string's length).
  function codePointIndex(text) {
    var utf16 = [0];
    var position = 0;
    for (var character of text) {
      position += character.length;
      utf16.push(position);
    }
    return utf16;
  }

  function segmentsOf(text, violations) {
    var utf16 = codePointIndex(text);
    var last = utf16.length - 1;
    var bounds = [0, text.length];
    var ranges = violations.map(function (violation) {
      var start = utf16[Math.min(Math.max(violation.start, 0), last)];
      var end = utf16[Math.min(Math.max(violation.end, 0), last)];
      bounds.push(start, end);
      return { start: start, end: end, violation: violation };
    });
    bounds = Array.from(new Set(bounds)).sort(function (a, b) { return a - b; });
    var segments = [];
    for (var index = 0; index + 1 < bounds.length; index++) {
      var from = bounds[index];
      var to = bounds[index + 1];
      var covering = ranges.filter(function (range) { return range.start <= from && to <= range.end; });
      segments.push({ text: text.slice(from, to), violations: covering.map(function (r) { return r.violation; }) });
    }
    return segments;
  }

  function ComplianceBox(textarea) {
    this.textarea = textarea;
    this.form = textarea.form;
    this.url = textarea.dataset.complianceUrl;
    this.timer = null;
    this.controller = null;
    this.sequence = 0;
    this.result = null;
    this.checkedText = null;
    this.confirmedText = null;
    this.build();
    this.bind();
    if (textarea.value) { this.schedule(0); }
  }

  ComplianceBox.prototype.build = function () {
    // The textarea turns transparent so the underlines show through; the mirror carries its background.
    this.background = window.getComputedStyle(this.textarea).backgroundColor;
    // Moving the textarea into the field blurs it: an agent who pressed "r" (or clicked) before the
    // box was wired up keeps the caret where it was.
    var focused = document.activeElement === this.textarea;
    var selectionStart = this.textarea.selectionStart;
    var selectionEnd = this.textarea.selectionEnd;
    var field = document.createElement("div");
    field.className = "compliance-field";
    this.textarea.parentNode.insertBefore(field, this.textarea);
    this.mirror = document.createElement("div");
    this.mirror.className = "compliance-mirror";
    this.mirror.setAttribute("aria-hidden", "true");
    field.appendChild(this.mirror);
    field.appendChild(this.textarea);
    if (focused) {
      this.textarea.focus({ preventScroll: true });
      this.textarea.setSelectionRange(selectionStart, selectionEnd);
    }
    this.textarea.classList.add("compliance-input");
    this.reasons = document.createElement("ul");
    this.reasons.className = "compliance-reasons";
    this.reasons.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", this.reasons);
    this.override = this.form.querySelector("input[name=override_warnings]");
    if (!this.override) {
      this.override = document.createElement("input");
      this.override.type = "hidden";
      this.override.name = "override_warnings";
      this.form.appendChild(this.override);
    }
    this.override.value = "";
    this.copyLayout();
  };

  ComplianceBox.prototype.copyLayout = function () {
    var computed = window.getComputedStyle(this.textarea);
    var mirrorStyle = this.mirror.style;
    COPIED_STYLES.forEach(function (name) { mirrorStyle[name] = computed[name]; });
    mirrorStyle.backgroundColor = this.background;
    mirrorStyle.top = this.textarea.offsetTop + "px";
    mirrorStyle.left = this.textarea.offsetLeft + "px";
    mirrorStyle.width = this.textarea.offsetWidth + "px";
    mirrorStyle.height = this.textarea.offsetHeight + "px";
    this.mirror.scrollTop = this.textarea.scrollTop;
  };

  ComplianceBox.prototype.bind = function () {
    var box = this;
    this.textarea.addEventListener("input", function () {
      box.override.value = "";
      box.render();
      box.schedule(DEBOUNCE_MILLISECONDS);
    });
    this.textarea.addEventListener("scroll", function () { box.mirror.scrollTop = box.textarea.scrollTop; });
    window.addEventListener("resize", function () { box.copyLayout(); });
    if (window.ResizeObserver) {
      new ResizeObserver(function () { box.copyLayout(); }).observe(this.textarea);
    }
  };

  ComplianceBox.prototype.schedule = function (delay) {
    var box = this;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () { box.check(); }, delay);
  };

  ComplianceBox.prototype.body = function (text) {
    var body = { text: text };
    if (this.textarea.dataset.complianceChat) {
      body.chat = Number(this.textarea.dataset.complianceChat);
    } else {
      body.marketplace = this.textarea.dataset.complianceMarketplace;
    }
    return body;
  };

  ComplianceBox.prototype.check = function () {
    var box = this;
    var text = this.textarea.value;
    var sequence = ++this.sequence;
    if (this.controller) { this.controller.abort(); }
    if (!text.trim()) {
      // Whether nothing may be sent (a file alone may) is the reply form's business; "the text is
      // empty" under a box the agent just cleared would only shout.
      this.controller = null;
      this.result = null;
      this.checkedText = text;
      this.render();
      return Promise.resolve(null);
    }
    this.controller = window.AbortController ? new AbortController() : null;
    return fetch(this.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(this.form) },
      body: JSON.stringify(this.body(text)),
      signal: this.controller ? this.controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) { throw new Error("compliance check failed: " + response.status); }
      return response.json();
    }).then(function (result) {
      if (sequence !== box.sequence) { return null; }
      box.result = result;
      box.checkedText = text;
      box.render();
      return result;
    }).catch(function (error) {
      // The send endpoint checks again; a failed live check never blocks the agent on its own.
      if (error.name !== "AbortError" && sequence === box.sequence) {
        box.result = null;
        box.checkedText = text;
        box.render();
      }
      return null;
    });
  };

  ComplianceBox.prototype.current = function () {
    return this.result && this.checkedText === this.textarea.value ? this.result : null;
  };

  ComplianceBox.prototype.render = function () {
    var result = this.current();
    var text = this.textarea.value;
    var violations = result ? result.violations : [];
    this.mirror.textContent = "";
    this.reasons.textContent = "";
    segmentsOf(text, violations).forEach(function (segment) {
      if (!segment.violations.length) {
        this.mirror.appendChild(document.createTextNode(segment.text));
        return;
      }
      var mark = document.createElement("mark");
      var blocking = segment.violations.some(function (v) { return v.severity === "block"; });
      mark.className = "compliance-mark " + (blocking ? "compliance-block" : "compliance-warn");
      mark.textContent = segment.text;
      mark.title = segment.violations.map(function (v) { return v.message; }).join("; ");
      this.mirror.appendChild(mark);
    }, this);
    // A trailing newline would collapse in the mirror and misalign the last line.
    this.mirror.appendChild(document.createTextNode("\u200b"));
    var utf16 = codePointIndex(text);
    violations.forEach(function (violation) {
      var item = document.createElement("li");
      item.className = "compliance-reason compliance-" + violation.severity;
      item.dataset.rule = violation.rule;
      var fragment = text.slice(utf16[violation.start], utf16[violation.end]).trim();
      var quote = document.createElement("strong");
      quote.textContent = "«" + (fragment.length > 60 ? fragment.slice(0, 57) + "…" : fragment) + "»";
      if (fragment && violation.rule !== "too_long" && violation.rule !== "empty") {
        item.appendChild(quote);
        item.appendChild(document.createTextNode(" — "));
      }
      item.appendChild(document.createTextNode(violation.message));
      this.reasons.appendChild(item);
    }, this);
    this.mirror.scrollTop = this.textarea.scrollTop;
    var blocked = Boolean(result && result.allowed === false);
    this.textarea.classList.toggle("compliance-blocked", blocked);
    // Only a button this check turned off is turned on again: the form may have its own reasons (an
    // empty box, a file of the wrong type).
    this.form.querySelectorAll("button[type=submit], input[type=submit], button:not([type])").forEach(
      function (button) {
        if (blocked) {
          button.disabled = true;
          button.dataset.complianceDisabled = "1";
        } else if (button.dataset.complianceDisabled) {
          button.disabled = false;
          delete button.dataset.complianceDisabled;
        }
      }
    );
  };

  ComplianceBox.prototype.onSubmit = function (event) {
    var box = this;
    var result = this.current();
    if (!result && this.textarea.value !== this.checkedText) {
      // Typed and sent within the debounce: check first, then send again if the text passes.
      event.preventDefault();
      event.stopImmediatePropagation();
      window.clearTimeout(this.timer);
      this.check().then(function (checked) {
        if (!checked || checked.allowed) { box.resubmit(); }
      });
      return;
    }
    if (!result) { return; }
    if (!result.allowed) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    var warned = result.violations.some(function (v) { return v.severity === "warn"; });
    if (warned && this.confirmedText !== this.textarea.value) {
      var question = this.textarea.dataset.complianceConfirm || DEFAULT_CONFIRM;
      if (!window.confirm(question)) {
        event.preventDefault();
        event.stopImmediatePropagation();
        return;
      }
      this.confirmedText = this.textarea.value;
    }
    this.override.value = warned ? "true" : "";
  };

  ComplianceBox.prototype.resubmit = function () {
    if (this.form.requestSubmit) { this.form.requestSubmit(); } else { this.form.submit(); }
  };

  function initialise(root) {
    (root || document).querySelectorAll("textarea[data-compliance-url]").forEach(function (textarea) {
      if (textarea.dataset.complianceReady) { return; }
      textarea.dataset.complianceReady = "1";
      if (!textarea.form) { return; }
      textarea.complianceBox = new ComplianceBox(textarea);
    });
  }

  // Caught on the way down, before the form's own listeners: htmx sends the form from its submit
  // listener, so a check that ran after it would ask "send anyway?" about a request already sent
  // without the agent's answer (and stop nothing).
  document.addEventListener("submit", function (event) {
    var textarea = event.target.querySelector && event.target.querySelector("textarea[data-compliance-ready]");
    if (textarea && textarea.complianceBox) { textarea.complianceBox.onSubmit(event); }
  }, true);

  window.ChatCenterCompliance = { initialise: initialise, segmentsOf: segmentsOf };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { initialise(document); });
  } else {
    initialise(document);
  }
  // Reply boxes swapped in by htmx are wired up too.
  document.addEventListener("htmx:load", function (event) { initialise(event.target); });
})();
