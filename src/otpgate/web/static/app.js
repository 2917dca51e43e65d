/* Progressive enhancement for otpgate's pages. Every page works without this file. */
(function () {
  "use strict";

  // The words this file writes come from the page, in its language: data attributes the
  // templates fill in through the catalogue (English here only if an attribute is missing).
  function said(el, name, fallback) {
    var words = el && el.getAttribute("data-" + name);
    return words || fallback;
  }

  // "{n} seconds" from an element's data-second-one / data-second-other (and minute-).
  function count(el, unit, n) {
    var form = said(el, unit + (n === 1 ? "-one" : "-other"), "{n} " + unit + (n === 1 ? "" : "s"));
    return form.replace("{n}", String(n));
  }

  // A form's error summary takes focus (and scrolls into view) so it is read first; its
  // links move focus to their field.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.scrollIntoView({ block: "center" });
    summary.querySelectorAll("a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (!target) return;
        event.preventDefault();
        target.focus();
        target.scrollIntoView({ block: "center" });
      });
    });
  }

  // Show / hide a password.
  document.querySelectorAll("[data-password-toggle]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-password-toggle"));
    var label = button.querySelector("[data-toggle-label]");
    if (!input || !label) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var show = input.type === "password";
      input.type = show ? "text" : "password";
      label.textContent = show ? said(button, "hide", "Hide") : said(button, "show", "Show");
      button.setAttribute("aria-pressed", show ? "true" : "false");
      input.focus();
    });
  });

  // A rough strength hint while typing; the server makes the real check.
  document.querySelectorAll("[data-strength]").forEach(function (input) {
    var out = document.getElementById(input.getAttribute("data-strength"));
    if (!out) return;
    function rate(value) {
      var words = value.trim().split(/\s+/).filter(Boolean).length;
      var kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9\s]/].filter(function (re) {
        return re.test(value);
      }).length;
      if (value.length < 8) return ["weak", said(out, "weak", "Too short: use at least 8 characters.")];
      if (value.length >= 16 || words >= 3 || (value.length >= 12 && kinds >= 3)) {
        return ["strong", said(out, "strong", "Looks strong.")];
      }
      return ["fair", said(out, "fair", "Fair: a longer phrase would be stronger.")];
    }
    input.addEventListener("input", function () {
      if (!input.value) {
        out.hidden = true;
        return;
      }
      var result = rate(input.value);
      out.hidden = false;
      out.className = "strength strength--" + result[0];
      out.textContent = result[1];
    });
  });

  // Codes pasted with spaces or dashes: keep the digits (the server accepts either way).
  document.querySelectorAll("[data-code-input]").forEach(function (input) {
    input.addEventListener("input", function () {
      var digits = input.value.replace(/[\s\-.#]/g, "");
      if (digits !== input.value) input.value = digits;
    });
  });

  // The resend buttons (a text, or a call) wake up when the cooldown ends.
  document.querySelectorAll("[data-countdown]").forEach(function (status) {
    var form = status.closest("form");
    var buttons = form ? form.querySelectorAll("[data-resend]") : [];
    var left = parseInt(status.getAttribute("data-countdown"), 10) || 0;
    if (!buttons.length || left <= 0) return;
    var seconds = status.querySelector("[data-countdown-seconds]");
    var timer = window.setInterval(function () {
      left -= 1;
      if (left > 0) {
        if (seconds) seconds.textContent = count(status, "second", left);
        return;
      }
      window.clearInterval(timer);
      status.textContent = said(status, "countdown-done", "Didn't get a text? Ask for a new code.");
      buttons.forEach(function (button) { button.disabled = false; });
    }, 1000);
  });

  // Times: the server writes UTC ("14:32 UTC", and the exact moment in datetime=); show them
  // in the browser's own time zone, in the page's language (<html lang>). Without this file
  // the UTC text stays, still exact.
  document.querySelectorAll("time[data-local]").forEach(function (el) {
    var moment = new Date(el.getAttribute("datetime"));
    if (isNaN(moment.getTime()) || !window.Intl || !Intl.DateTimeFormat) return;
    var options = { hour: "2-digit", minute: "2-digit", timeZoneName: "short" };
    if (el.getAttribute("data-local") !== "time") {
      options.day = "numeric";
      options.month = "short";
      options.year = "numeric";
    }
    try {
      el.textContent = new Intl.DateTimeFormat(document.documentElement.lang || undefined, options)
        .format(moment);
      el.title = el.getAttribute("datetime").replace("T", " ").replace("Z", " UTC");
    } catch (e) { /* keep the UTC text */ }
  });

  // The code's lifetime counts down; once over, the page says so instead of a stale
  // "expires in 4 seconds", and no resend button is left that would contradict it.
  document.querySelectorAll("[data-expires]").forEach(function (lead) {
    var left = parseInt(lead.getAttribute("data-expires"), 10) || 0;
    var text = lead.querySelector("[data-expires-text]");
    var expired = document.querySelector("[data-expired]");
    function words(seconds) {
      if (seconds < 90) return count(lead, "second", seconds);
      return count(lead, "minute", Math.round(seconds / 60));
    }
    function over() {
      lead.hidden = true;
      if (expired) expired.hidden = false;
      document.querySelectorAll("form.resend").forEach(function (form) { form.hidden = true; });
    }
    if (left <= 0) { over(); return; }
    var timer = window.setInterval(function () {
      left -= 1;
      if (left > 0) {
        if (text) text.textContent = words(left);
        return;
      }
      window.clearInterval(timer);
      over();
    }, 1000);
  });

  // Copy a code from the development inbox.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
        button.textContent = said(button, "copied", "Copied");
        window.setTimeout(function () { button.textContent = label; }, 1500);
      });
    });
  });
})();
