// Passkey ceremonies (WebAuthn) for certify's security pages: adding a passkey and signing
// with one. Browsers only offer WebAuthn to scripts; everything else works without this file,
// and a code from an authenticator app is always accepted instead.
//
// A form with data-passkey="register" or "authenticate" asks the server for options
// (data-options-url), runs the browser's ceremony and posts the result as JSON (data-url).
// The server answers {"redirect": url} or {"error": message}.
(function () {
  "use strict";

  function toBytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return { type: d.type, id: toBytes(d.id), transports: d.transports };
    });
  }

  function creationOptions(o) {
    o.challenge = toBytes(o.challenge);
    o.user.id = toBytes(o.user.id);
    o.excludeCredentials = descriptors(o.excludeCredentials);
    return { publicKey: o };
  }

  function requestOptions(o) {
    o.challenge = toBytes(o.challenge);
    o.allowCredentials = descriptors(o.allowCredentials);
    return { publicKey: o };
  }

  function credentialJSON(c) {
    var r = c.response;
    var response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      if (r.userHandle) { response.userHandle = toB64url(r.userHandle); }
    }
    return {
      id: c.id,
      rawId: toB64url(c.rawId),
      type: c.type,
      response: response,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      authenticatorAttachment: c.authenticatorAttachment || undefined
    };
  }

  function post(url, token, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body || {})
    }).then(function (answer) {
      return answer.json().catch(function () { return {}; }).then(function (data) {
        // A refusal that names a page (confirm it is you first) goes there. A success is
        // followed by the caller, once: a second assign here would load the page twice, and
        // the first load would take the flashed message the second one should show.
        if (data.redirect && answer.status === 403) { window.location.assign(data.redirect); }
        if (!answer.ok) { throw new Error(data.error || "The server refused (" + answer.status + ")."); }
        return data;
      });
    });
  }

  function run(form) {
    var kind = form.getAttribute("data-passkey");
    var token = form.querySelector("input[name=csrf_token]").value;
    var error = form.querySelector("[data-passkey-error]");
    var button = form.querySelector("button[type=submit]");
    var nameField = form.querySelector("input[name=name]");
    error.textContent = "";
    button.disabled = true;
    post(form.getAttribute("data-options-url"), token)
      .then(function (options) {
        return kind === "register"
          ? navigator.credentials.create(creationOptions(options))
          : navigator.credentials.get(requestOptions(options));
      })
      .then(function (credential) {
        var body = { credential: credentialJSON(credential) };
        if (nameField) { body.name = nameField.value; }
        if (form.getAttribute("data-next")) { body.next = form.getAttribute("data-next"); }
        return post(form.getAttribute("data-url"), token, body);
      })
      .then(function (data) {
        if (data.redirect) { window.location.assign(data.redirect); }
      })
      .catch(function (failure) {
        error.textContent = (failure && failure.message) || "The passkey did not work. Try again, or use a code.";
        button.disabled = false;
      });
  }

  if (!window.PublicKeyCredential || !navigator.credentials) { return; }
  document.querySelectorAll("[data-passkey-section]").forEach(function (section) {
    section.hidden = false;
  });
  document.querySelectorAll("[data-passkey-absent]").forEach(function (note) {
    note.hidden = true;
  });
  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      run(form);
    });
  });
})();
