// Auto-refresh, the console's only script: a page that carries data-refresh="<seconds>" reloads itself while it is
// visible and the "Refresh" box is ticked (remembered for the browser tab). Everything else works without it.
(function () {
  'use strict';
  var page = document.querySelector('[data-refresh]');
  var box = document.getElementById('auto-refresh');
  if (!page || !box) { return; }
  var seconds = Math.max(1, parseInt(page.getAttribute('data-refresh'), 10) || 5);
  var holder = box.closest('[hidden]');
  if (holder) { holder.hidden = false; }
  box.checked = sessionStorage.getItem('webhooks-console-refresh') !== 'off';
  box.addEventListener('change', function () {
    sessionStorage.setItem('webhooks-console-refresh', box.checked ? 'on' : 'off');
  });
  var timer = null;
  function start() {
    if (timer === null) {
      timer = setInterval(function () {
        if (box.checked && document.visibilityState === 'visible') { location.reload(); }
      }, seconds * 1000);
    }
  }
  function stop() { clearInterval(timer); timer = null; }
  // A reload that fires while a clicked link or a posted form is still loading the next page would cancel that
  // navigation and keep the operator here: stop once the page starts to leave, start again if the back button brings
  // it back from the browser's cache.
  window.addEventListener('beforeunload', stop);
  window.addEventListener('pageshow', function (e) { if (e.persisted) { start(); } });
  start();
})();
