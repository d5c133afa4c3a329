// Auto-refresh, the console's only script: a page that carries data-refresh="<seconds>" fetches itself again that many
// seconds after it was shown, while it is visible and the "refresh" box is ticked (remembered for the browser tab), and
// shows the new page in place. Everything else works without it.
//
// A fetch and not location.reload(): a reload is a navigation, and one in flight when the operator clicks a link or
// the browser is sent to an address can cancel the page asked for. A fetch never competes with a navigation.
(function () {
  'use strict';
  var remembered = 'webhooks-console-refresh';
  var timer = null;
  var fetching = null;
  var formsAsShown = '';
  var pointerDown = false;
  var leftAt = 0;
  var leaving = false;

  function refreshBox() { return document.getElementById('auto-refresh'); }

  function refreshSeconds() {
    var page = document.querySelector('[data-refresh]');
    return page ? Math.max(1, parseInt(page.getAttribute('data-refresh'), 10) || 5) : 0;
  }

  function formsNow() {
    return Array.prototype.map.call(document.forms, function (form) {
      return new URLSearchParams(new FormData(form)).toString();
    }).join('&');
  }

  function showRefreshBox() {
    formsAsShown = formsNow();
    var box = refreshBox();
    if (!box) { return; }
    var holder = box.closest('[hidden]');
    if (holder) { holder.hidden = false; }
    box.checked = sessionStorage.getItem(remembered) !== 'off';
    box.addEventListener('change', function () {
      sessionStorage.setItem(remembered, box.checked ? 'on' : 'off');
    });
  }

  // Why the page is not what the server has now, beside the box; empty when it is.
  function say(text) {
    var box = refreshBox();
    if (!box) { return; }
    var status = document.getElementById('refresh-status');
    if (!status) {
      status = document.createElement('span');
      status.id = 'refresh-status';
      status.setAttribute('role', 'status');
      box.parentNode.appendChild(status);
    }
    var shown = text ? ' · ' + text : '';
    if (status.textContent !== shown) { status.textContent = shown; }
  }

  function now() { return new Date().toISOString().slice(11, 19) + ' UTC'; }

  // A page without data-refresh (a delivery that has its outcome, a finished replay) stops the cycle.
  function scheduleNext() {
    clearTimeout(timer);
    var seconds = refreshSeconds();
    timer = seconds && refreshBox() ? setTimeout(refresh, seconds * 1000) : null;
  }

  // What the operator is in the middle of is not thrown away under them: a form being filled in (focused, or changed
  // and not sent), text being selected, a click being made.
  function busyWith() {
    var focused = document.activeElement;
    if (focused && focused !== refreshBox() && /^(INPUT|SELECT|TEXTAREA)$/.test(focused.tagName)) { return 'a field has the focus'; }
    if (formsNow() !== formsAsShown) { return 'the form has changes not yet sent'; }
    var selection = window.getSelection();
    if (selection && !selection.isCollapsed) { return 'text is selected'; }
    if (pointerDown) { return 'a click is under way'; }
    return null;
  }

  function refresh() {
    var box = refreshBox();
    if (!box || !box.checked || document.visibilityState !== 'visible') { scheduleNext(); return; }
    var busy = busyWith();
    if (busy) { say('paused: ' + busy); scheduleNext(); return; }
    fetching = new AbortController();
    var gaveUp = setTimeout(function () { fetching.abort(); }, Math.max(10, refreshSeconds() * 2) * 1000);
    fetch(location.href, { signal: fetching.signal, credentials: 'same-origin', cache: 'no-store' })
      .then(function (response) {
        if (response.redirected) {
          // Signed out: the sign-in page, as a reload would show it, unless the operator is already on the way elsewhere.
          if (Date.now() - leftAt > 10000) { location.replace(response.url); } else { say('signed out: sign in again'); }
          return null;
        }
        if (!response.ok) {
          say('not refreshed at ' + now() + ': the console answered ' + response.status + '; trying again');
          scheduleNext();
          return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (html === null) { return; }
        // Unticked, or something taken up while the page was fetched: that wins.
        var busy = busyWith();
        if (!refreshBox().checked || busy) { if (busy) { say('paused: ' + busy); } scheduleNext(); return; }
        var focusedId = document.activeElement && document.activeElement.id;
        var next = new DOMParser().parseFromString(html, 'text/html');
        document.title = next.title;
        document.body.replaceWith(next.body);
        showRefreshBox();
        var refocus = focusedId && document.getElementById(focusedId);
        if (refocus) { refocus.focus({ preventScroll: true }); }
        scheduleNext();
      })
      .catch(function () {
        if (leaving) { return; }
        say('not refreshed at ' + now() + ': the console did not answer; trying again');
        scheduleNext();
      })
      .finally(function () { clearTimeout(gaveUp); });
  }

  // These listeners are on the document, which outlives every body shown in it.
  document.addEventListener('pointerdown', function () { pointerDown = true; }, true);
  document.addEventListener('pointerup', function () { pointerDown = false; }, true);
  document.addEventListener('pointercancel', function () { pointerDown = false; }, true);
  document.addEventListener('click', function (e) { if (e.target.closest && e.target.closest('a[href]')) { leftAt = Date.now(); } }, true);
  document.addEventListener('submit', function () { leftAt = Date.now(); }, true);

  // Leaving the page (a link, a form, the back button): nothing more to fetch for it.
  window.addEventListener('pagehide', function () {
    clearTimeout(timer);
    timer = null;
    leaving = true;
    if (fetching) { fetching.abort(); }
  });
  window.addEventListener('pageshow', function (e) { if (e.persisted) { leaving = false; scheduleNext(); } });

  showRefreshBox();
  scheduleNext();
})();
