// The demo shop's own script: it records events through window.candor.
// Candor decides whether they count; this script never needs to check consent.
(function () {
  var status = document.getElementById('status');
  function show(text) { if (status) status.textContent = text; }
  // candor.js loads async: window.candor may not exist yet when this runs.
  function whenCandor(start) {
    if (window.candor) window.candor.ready.then(start);
    else document.addEventListener('candor:ready', start, { once: true });
  }
  whenCandor(function () {
    var path = new URLSearchParams(location.search).get('p') === 'shop' ? '/shop' : '/';
    var loadMs = Math.round(performance.now());
    var r = window.candor.track('page_view', { path: path, load_ms: loadMs });
    show('page_view: ' + (r.accepted ? 'counted' : 'not counted (' + r.reason + ')'));
  });
  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!(t instanceof HTMLElement)) return;
    if (!window.candor) return;
    if (t.dataset.product) {
      var r = window.candor.track('product_view', { product: t.dataset.product });
      show('product_view: ' + (r.accepted ? 'counted' : 'not counted (' + r.reason + ')'));
    }
    if (t.dataset.buy) {
      var p = window.candor.track('purchase', { amount: Number(t.dataset.buy) });
      show('purchase: ' + (p.accepted ? 'counted' : 'not counted (' + p.reason + ')'));
    }
  });
})();
