// tlsrpt login page: gets a CSRF token (GET /auth/csrf also sets it as a
// cookie), then POSTs the user name and password as JSON with the token in
// X-CSRF-Token.  The session cookie the server sets is HttpOnly: this
// script never sees it.  The password is never put in a URL.
'use strict';

var csrf = null;

function status(text, bad) {
  var s = document.getElementById('l-status');
  s.textContent = text;
  s.className = bad ? 'error' : '';
}

function getCsrf() {
  return fetch('/auth/csrf', { credentials: 'same-origin' }).then(function (r) {
    return r.json();
  }).then(function (j) { csrf = j.csrf; });
}

function submit(ev) {
  ev.preventDefault();
  var user = document.getElementById('l-user').value;
  var pw = document.getElementById('l-password');
  status('Logging in…', false);
  fetch('/auth/login', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf || '' },
    body: JSON.stringify({ user: user, password: pw.value })
  }).then(function (r) {
    return r.json().then(function (j) {
      if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status));
      window.location.replace('/');
    });
  }).catch(function (e) {
    pw.value = '';
    status('Not logged in: ' + e.message, true);
    getCsrf();
  });
}

document.addEventListener('DOMContentLoaded', function () {
  document.getElementById('login').addEventListener('submit', submit);
  getCsrf().then(function () {
    document.body.setAttribute('data-ready', 'yes');
  }).catch(function () { status('Cannot reach the server.', true); });
});
