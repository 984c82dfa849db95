// Wire cost: bytes and requests that leave the browser for N tracked events,
// Candor (aggregated reports) against a naive design that POSTs one small
// JSON beacon per event. Sizes are Chromium's own request sizes (headers +
// body), measured on the real collector.
//   node benches/wire.js [events...]     (default: 1000)
'use strict';
const h = require('../tests/e2e/harness');

async function measure(chrome, url, n, naive) {
  const context = await chrome.newContext();
  const p = await context.newPage();
  const reqs = [];
  p.on('requestfinished', (r) => {
    if (r.url().includes('/v1/reports')) reqs.push(r);
  });
  await p.goto(url + '/');
  await p.evaluate(() => window.candor.ready);
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.evaluate(async ({ n, naive }) => {
    const paths = ['/', '/shop', '/cart'];
    for (let i = 0; i < n; i++) {
      const fields = { path: paths[i % 3], load_ms: 80 + (i * 37) % 2000 };
      if (naive) {
        // What a typical per-event beacon sends (to the same URL; the 400 it
        // gets back does not change what was sent): the event, its fields, the
        // page URL, a timestamp and a client id.
        await fetch('/v1/reports', { method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ event: 'page_view', ...fields, url: location.href, ts: Date.now(), cid: 'c0ffee-1234' }) });
      } else {
        window.candor.track('page_view', fields);
      }
    }
    if (!naive) await window.candor.flush();
  }, { n, naive });
  await p.waitForTimeout(300);
  let bytes = 0;
  for (const r of reqs) {
    const s = await r.sizes();
    bytes += s.requestHeadersSize + s.requestBodySize;
  }
  await context.close();
  return { requests: reqs.length, bytes };
}

(async () => {
  const counts = process.argv.slice(2).map(Number).filter(Boolean);
  const www = h.site({ 'candor.config.json': h.config({ events: { page_view: h.config().events.page_view } }), 'index.html': h.html() });
  const server = await h.collector({ www });
  const chrome = await h.browser();
  console.log('| events | Candor requests | Candor bytes | naive requests | naive bytes | ratio |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const n of counts.length ? counts : [1000]) {
    const c = await measure(chrome, server.url, n, false);
    const v = await measure(chrome, server.url, n, true);
    console.log(`| ${n} | ${c.requests} | ${c.bytes} | ${v.requests} | ${v.bytes} | ${(v.bytes / c.bytes).toFixed(0)}× |`);
  }
  await chrome.close();
  await server.stop();
})().catch((e) => { console.error(e); process.exit(1); });
