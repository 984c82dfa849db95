// Wire cost: bytes and requests that leave the browser for N tracked events
// over a simulated 10-minute session, Candor (aggregated reports, one per
// purpose and 60-second window) against a naive design that POSTs one small
// JSON beacon per event. Sizes are Chromium's own request sizes (headers +
// body), measured on the real collector.
//
// The session: the events are spread evenly over ten 60-second windows; after
// each window the SDK clock is moved on with QA mode's `candor.qa.advance(60)`
// (which closes the window and uploads, exactly as the upload timer would),
// and `candor.flush()` sends what is left at the end. The contribution bound
// (max_per_window) is raised so that every event is counted: both designs
// carry the same information.
//
// The naive design is measured for real up to NAIVE_MAX events (default
// 1,000); above that its cost is the measured 1,000-event cost scaled
// linearly (every beacon has the same shape), and the table says so.
//
//   node benches/wire.js [events...]     (default: 1000 100000)
'use strict';
const h = require('../tests/e2e/harness');

const NAIVE_MAX = Number(process.env.NAIVE_MAX || 1000);
const WINDOWS = 10;

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
  let sent = 0;
  for (let w = 0; w < WINDOWS; w++) {
    const from = Math.floor((n * w) / WINDOWS), to = Math.floor((n * (w + 1)) / WINDOWS);
    sent += await p.evaluate(async ({ from, to, naive }) => {
      const paths = ['/', '/shop', '/cart'];
      for (let i = from; i < to; i++) {
        const fields = { path: paths[i % 3], load_ms: 80 + (i * 37) % 2000 };
        if (naive) {
          // What a typical per-event beacon sends (to the same URL; the 400 it
          // gets back does not change what was sent): the event, its fields, the
          // page URL, a timestamp and a client id.
          await fetch('/v1/reports', { method: 'POST', headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ event: 'page_view', ...fields, url: location.href, ts: Date.now(), cid: 'c0ffee-1234' }) });
        } else if (!window.candor.track('page_view', fields).accepted) {
          throw new Error('track refused at event ' + i);
        }
      }
      return naive ? to - from : (await window.candor.qa.advance(60)).sent;
    }, { from, to, naive });
  }
  if (!naive) sent += (await p.evaluate(() => window.candor.flush())).sent;
  // Every request has been answered in the page; Playwright's requestfinished
  // event for the last ones can arrive a little later: wait for each.
  while (reqs.length < sent) await p.waitForEvent('requestfinished', { timeout: 30000 });
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
  const cfg = h.config({ qa: true });
  cfg.events = { page_view: { ...cfg.events.page_view, max_per_window: 1000000000 } };
  cfg.events.page_view.fields.path.values = ['/', '/shop', '/cart'];
  const www = h.site({ 'candor.config.json': cfg, 'index.html': h.html() });
  const server = await h.collector({ www });
  const chrome = await h.browser();
  const f = (x) => Math.round(x).toLocaleString('en-US');
  console.log('| events (10-minute session) | Candor requests | Candor bytes | naive requests | naive bytes | naive / Candor bytes |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  let naiveRef = null;
  try {
    for (const n of counts.length ? counts : [1000, 100000]) {
      const c = await measure(chrome, server.url, n, false);
      let v, note = '';
      if (n <= NAIVE_MAX) {
        v = await measure(chrome, server.url, n, true);
        naiveRef = { n, ...v };
      } else {
        naiveRef = naiveRef || { n: NAIVE_MAX, ...(await measure(chrome, server.url, NAIVE_MAX, true)) };
        const k = n / naiveRef.n;
        v = { requests: naiveRef.requests * k, bytes: naiveRef.bytes * k };
        note = ` (scaled from ${f(naiveRef.n)} measured)`;
      }
      console.log(`| ${f(n)} | ${f(c.requests)} | ${f(c.bytes)} | ${f(v.requests)}${note} | ${f(v.bytes)}${note} | ${f(v.bytes / c.bytes)}× |`);
    }
  } finally {
    await chrome.close();
    await server.stop();
  }
})().catch((e) => { console.error(e); process.exit(1); });
