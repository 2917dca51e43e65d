/* Passkeys on otpgate's pages: ask the server for WebAuthn options (a POST with the form's
   token), let the browser talk to the authenticator, then submit the form with the result.
   The server checks everything; this file only carries the ceremony. */
(function () {
  "use strict";

  var supported = window.PublicKeyCredential &&
    typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function" &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";

  function wire(button, ceremony) {
    var form = button.closest("form");
    var field = form && form.querySelector("[data-passkey-credential]");
    var error = form && form.querySelector("[data-passkey-error]");
    if (!field || !error) return;
    // The page's own words for what can go wrong (data-unsupported, data-cancelled,
    // data-failed on the button, in the page's language); English when a page gives none.
    var words = button.dataset;
    function fail(text) {
      error.textContent = text;
      error.hidden = false;
      button.disabled = false;
      button.focus();
    }
    if (!supported) {
      fail(words.unsupported || "This browser can't use passkeys. Choose another way, or use an up-to-date browser.");
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      error.hidden = true;
      var token = form.querySelector("[name=csrf_token]").value;
      fetch(button.getAttribute(ceremony.attribute), {
        method: "POST",
        credentials: "same-origin",
        body: new URLSearchParams({ csrf_token: token })
      }).then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.detail || words.failed || "The passkey could not be used.");
          return body;
        });
      }).then(function (options) {
        return ceremony.run(options);
      }).then(function (credential) {
        field.value = JSON.stringify(credential.toJSON());
        form.submit();
      }).catch(function (problem) {
        var cancelled = problem && (problem.name === "NotAllowedError" || problem.name === "AbortError");
        fail(cancelled ? (words.cancelled || "The passkey request was cancelled or timed out. Try again.") :
          (problem && problem.message) || words.failed || "The passkey could not be used. Try again.");
      });
    });
  }

  document.querySelectorAll("[data-passkey-get]").forEach(function (button) {
    wire(button, {
      attribute: "data-passkey-get",
      run: function (options) {
        return navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
      }
    });
  });
  document.querySelectorAll("[data-passkey-create]").forEach(function (button) {
    wire(button, {
      attribute: "data-passkey-create",
      run: function (options) {
        return navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) });
      }
    });
  });
})();
