// Google Tag Manager's container snippet as an external file, so it runs
// under a CSP without 'unsafe-inline'. It reads the container id from its own
// tag (data-gtm-id) and loads gtm.js after Candor's Consent Mode default.
(function () {
  var tag = document.currentScript;
  var id = tag && tag.getAttribute('data-gtm-id');
  if (!id) return console.error('gtm-snippet.js: add data-gtm-id="GTM-…" to the script tag');
  window.dataLayer = window.dataLayer || [];
  window.dataLayer.push({ 'gtm.start': new Date().getTime(), event: 'gtm.js' });
  var s = document.createElement('script');
  s.async = true;
  s.src = 'https://www.googletagmanager.com/gtm.js?id=' + encodeURIComponent(id);
  document.head.appendChild(s);
})();
