// "Crumb Stats", a fictional analytics vendor: sets its cookie, remembers the
// visit in localStorage and sends a hit. It must only ever run with "stats".
(function () {
  var id = Math.random().toString(36).slice(2);
  document.cookie = '_crumb_stats=' + id + '; path=/; max-age=2592000';
  localStorage.setItem('crumb_stats_last', String(Date.now()));
  new Image().src = '/qa-example/vendor/stats/hit.svg?p=' + encodeURIComponent(location.pathname);
  window.crumbStats = { id: id };
})();
