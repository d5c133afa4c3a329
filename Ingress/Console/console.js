// Auto-refresh, the console's only script: a page that carries data-refresh="<seconds>" fetches itself again while it
// is visible and the "Refresh" box is ticked (remembered for the browser tab), and shows the new page in place.
// Everything else works without it.
//
// A fetch and not location.reload(): a reload is a navigation, and one in flight when the operator clicks a link or
// the browser is sent to an address can cancel the page asked for. A fetch never competes with a navigation.
(function () {
  'use strict';
  var remembered = 'webhooks-console-refresh';
  var timer = null;
  var fetching = null;
  var formsAsShown = '';

  function refreshBox() { return document.getElementById('auto-refresh'); }

  function refreshSeconds() {
    var page = document.querySelector('[data-refresh]');
    return page ? Math.max(1, parseInt(page.getAttribute('data-refresh'), 10) || 5) : 0;
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

  // A page without data-refresh (a delivery that has its outcome, a finished replay) stops the cycle.
  function scheduleNext() {
    clearTimeout(timer);
    var seconds = refreshSeconds();
    timer = seconds && refreshBox() ? setTimeout(refresh, seconds * 1000) : null;
  }

  // Nothing the operator is typing or has picked in a form (a filter not yet applied) is thrown away under them: the
  // forms as the page came are compared with the forms now.
  function formsNow() {
    return Array.prototype.map.call(document.forms, function (form) {
      return new URLSearchParams(new FormData(form)).toString();
    }).join('&');
  }

  function isEditing() {
    var focused = document.activeElement;
    if (focused && focused !== refreshBox() && /^(INPUT|SELECT|TEXTAREA)$/.test(focused.tagName)) { return true; }
    return formsNow() !== formsAsShown;
  }

  function refresh() {
    var box = refreshBox();
    if (!box || !box.checked || document.visibilityState !== 'visible' || isEditing()) { scheduleNext(); return; }
    fetching = new AbortController();
    fetch(location.href, { signal: fetching.signal, credentials: 'same-origin', cache: 'no-store' })
      .then(function (response) {
        // Signed out, gone or failing: let the browser show what the server says, as a reload would.
        if (response.redirected || !response.ok) { location.replace(response.redirected ? response.url : location.href); return null; }
        return response.text();
      })
      .then(function (html) {
        if (html === null) { return; }
        // Unticked or a field taken up while the page was fetched: that wins.
        if (!refreshBox().checked || isEditing()) { scheduleNext(); return; }
        var next = new DOMParser().parseFromString(html, 'text/html');
        document.title = next.title;
        document.body.replaceWith(next.body);
        showRefreshBox();
        scheduleNext();
      })
      .catch(function (error) { if (error.name !== 'AbortError') { scheduleNext(); } });
  }

  // Leaving the page (a link, a form, the back button): nothing more to fetch for it.
  window.addEventListener('pagehide', function () {
    clearTimeout(timer);
    timer = null;
    if (fetching) { fetching.abort(); }
  });
  window.addEventListener('pageshow', function (e) { if (e.persisted) { scheduleNext(); } });

  showRefreshBox();
  scheduleNext();
})();
