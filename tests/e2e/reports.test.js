// Only aggregates leave, and each is counted exactly once: the real
// collector, stopped and restarted mid-run, a reload between flushes, two
// tabs; and nothing is sent for a purpose after it is withdrawn.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

let pages, sink, chrome, sinkPort, sinkDb, www;
// Thirty events of 64 long category values: with all of them used, one window is over four times 64 KB.
const WIDE_EVENTS = 30;
const WIDE_VALUES = Array.from({ length: 64 }, (_, i) => `/${'long-path-segment-'.repeat(6)}${i}`);
const WIDE = Object.fromEntries(Array.from({ length: WIDE_EVENTS }, (_, e) => [`wide_${e}`,
  { purpose: 'stats', fields: { path: { kind: 'category', values: WIDE_VALUES } } }]));
// One event whose eight fields of 64 values of 128 characters make it over 64 KB alone.
const HUGE_VALUES = Array.from({ length: 64 }, (_, i) => `${'v'.repeat(125)}${String(i).padStart(3, '0')}`);
const HUGE = { huge: { purpose: 'stats', fields: Object.fromEntries(Array.from({ length: 8 }, (_, f) => [`f${f}`, { kind: 'category', values: HUGE_VALUES }])) } };
// The last is the longest value allowed: 128 characters, 256 UTF-16 units.
const HOSTILE = ['/q"uote', '/back\\slash', '/é😀', '/line\u2028sep', '</script><b>', '/tab-free {"x":1}', '😀'.repeat(128)];

async function startSink() {
  sink = await h.collector({ www: h.site(), db: sinkDb, extra: ['--cors-origin', pages.url] });
  return sink;
}

test.before(async () => {
  www = h.site({ 'index.html': h.html(), 'bounded.html': h.html({ attrs: 'data-config="/bounded.json" async' }),
    'hostile.html': h.html({ attrs: 'data-config="/hostile.json" async' }) });
  pages = await h.collector({ www });
  sinkDb = require('node:path').join(require('node:fs').mkdtempSync(require('node:os').tmpdir() + '/candor-sink-'), 'sink.db');
  await startSink();
  sinkPort = new URL(sink.url).port;
  const base = h.config({ collector: `${sink.url}/v1/reports`, aggregation: { window_seconds: 3600 } });
  // The contribution bound holds per window even across early flushes, so the
  // queue test raises it to fill 205 reports within one window.
  const bounded = { ...base, events: { ...base.events, purchase: { ...base.events.purchase, max_per_window: 1000 } } };
  // Declared values that JSON must escape or that are not ASCII: they are
  // written into stored aggregates and reports by src/json.rs, read back after
  // a reload, and must reach the collector byte for byte.
  const hostile = { ...base, events: { ...base.events, page_view: { ...base.events.page_view, fields: {
    ...base.events.page_view.fields, path: { kind: 'category', values: HOSTILE } } } } };
  h.write(www, { 'candor.config.json': base, 'bounded.json': bounded, 'hostile.json': hostile,
    'elsewhere.json': { ...base, site: 'elsewhere.example' }, 'elsewhere.html': h.html({ attrs: 'data-config="/elsewhere.json" async' }),
    'wide.json': { ...base, events: { ...base.events, ...WIDE } }, 'wide.html': h.html({ attrs: 'data-config="/wide.json" async' }),
    'huge.json': { ...base, events: { ...base.events, ...HUGE } }, 'huge.html': h.html({ attrs: 'data-config="/huge.json" async' }) });
  chrome = await h.browser();
});
test.after(async () => { await chrome?.close(); await pages?.stop(); await sink?.stop(); });

async function aggregates(event) {
  const r = await fetch(`${sink.url}/v1/aggregates?site=test.example&event=${event}`);
  return r.json();
}

function watch(p, log) {
  p.on('response', (r) => {
    if (r.url().includes('/v1/reports') && r.request().method() === 'POST') log.push(r.status());
  });
}

/**
 * A collector that answers CORS preflights, then holds every POST open
 * without a reply; `page` is the path of a page whose config sends to it.
 * `held` lists the requests held ({url, res}); `close()` drops them.
 */
async function hangingCollector(name) {
  const held = [];
  const server = require('node:http').createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'content-type');
    if (req.method === 'OPTIONS') return res.end();
    held.push({ url: req.url, res });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = h.config({ collector: `http://127.0.0.1:${server.address().port}/v1/reports`, aggregation: { window_seconds: 3600 } });
  h.write(www, { [`${name}.json`]: base, [`${name}.html`]: h.html({ attrs: `data-config="/${name}.json" async` }) });
  return { held, page: `/${name}.html`, close: () => { held.forEach((x) => x.res.destroy()); server.close(); } };
}

test('a collector that takes the request and never answers: flush() settles after the timeout, the report stays queued, and no tab is blocked', { timeout: 120_000 }, async () => {
  const hang = await hangingCollector('hang');
  const held = hang.held;
  const { context, p } = await statsGranted(hang.page);
  try {
    await p.evaluate(() => window.candor.track('page_view', { path: '/' }));
    const first = await p.evaluate(() => window.candor.flush());
    assert.deepEqual(first, { sent: 0 }, 'flush() settled although the collector never answered');
    assert.ok(held.length >= 1, 'the POST reached the server');
    const other = await context.newPage();
    await other.goto(pages.url + '/hang.html');
    await h.ready(other);
    const second = await other.evaluate(() => window.candor.flush());
    assert.deepEqual(second, { sent: 0 }, 'another tab is not locked out');
    const pending = await p.evaluate(() => window.candor.inspect().pending);
    assert.equal(pending.length, 1, 'the report is kept for a later try');
    assert.equal(pending[0].events.page_view.count, 1);
  } finally {
    await context.close();
    hang.close();
  }
});

test('a collector that never answers: a flush() tries it once for the receipts it owes, not once per receipt', { timeout: 120_000 }, async () => {
  const hang = await hangingCollector('hang-receipts');
  const held = hang.held;
  const { context, p } = await statsGranted(hang.page);
  const receipts = () => held.filter((x) => x.url.includes('/v1/receipts')).length;
  try {
    // Four decisions: four receipts, each sent at once and left unanswered.
    await p.evaluate(() => { window.candor.deny(['stats']); window.candor.grant(['video']); window.candor.grant(['stats']); });
    await p.waitForFunction(() => window.candor.inspect().receipts.length === 4);
    while (receipts() < 4) await new Promise((r) => setTimeout(r, 100));
    // Their sends give up after 10 s; then they are owed.
    await new Promise((r) => setTimeout(r, 11_000));
    const before = receipts();
    assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 0 });
    const tried = receipts() - before;
    // One per upload: this flush's, and the timer's if it ran meanwhile; not one per receipt (4, one after another).
    assert.ok(tried >= 1 && tried <= 2, `receipts tried: ${tried}`);
    assert.equal((await p.evaluate(() => window.candor.inspect().receipts)).filter((r) => !r.acknowledged).length, 4, 'none dropped');
  } finally {
    await context.close();
    hang.close();
  }
});

test('a tab stopped on an alert() while it holds the upload lock: another tab\'s flush() still settles, its report kept', { timeout: 120_000 }, async () => {
  const hang = await hangingCollector('hang-lock');
  const { context, p: a } = await statsGranted(hang.page);
  const b = await h.page(context);
  await b.goto(pages.url + hang.page);
  await h.ready(b);
  let dialog = null;
  a.on('dialog', (d) => { dialog = d; }); // left open: tab A stops running
  try {
    // A's upload holds the lock, and A stops on an alert() before its request times out.
    await a.evaluate(() => { window.candor.track('page_view', { path: '/' }); window.candor.flush(); setTimeout(() => alert('Hold on'), 300); });
    while (!dialog) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await b.evaluate(() => window.candor.track('page_view', { path: '/shop' }).accepted), true);
    assert.deepEqual(await b.evaluate(() => window.candor.flush()), { sent: 0 }, 'settled while A still holds the lock');
    assert.equal((await b.evaluate(() => window.candor.inspect().pending)).length, 2, "A's report and B's, kept for a later try (the queue is shared)");
  } finally {
    if (dialog) await dialog.dismiss().catch(() => {});
    await context.close();
    hang.close();
  }
});

/** A fresh context with one page at `path`, stats granted; `posted` collects the report bodies it sends. */
async function statsGranted(path = '/') {
  const context = await chrome.newContext();
  const p = await h.page(context);
  const posted = [];
  p.on('request', (r) => { if (r.url().includes('/v1/reports')) posted.push(r.postData()); });
  await p.goto(pages.url + path);
  await h.ready(p);
  await p.evaluate(() => window.candor.grant(['stats']));
  return { context, p, posted };
}

async function track(p, n, path = '/shop') {
  const results = await p.evaluate(({ n, path }) => {
    const out = [];
    for (let i = 0; i < n; i++) out.push(window.candor.track('page_view', { path, load_ms: 50 + i }).accepted);
    return out;
  }, { n, path });
  assert.ok(results.every(Boolean), 'every event accepted');
}

test('N tracked events arrive as exactly N across a collector restart, a reload and two tabs', async () => {
  const context = await chrome.newContext();
  const statuses = [];
  const a = await h.page(context);
  watch(a, statuses);
  await a.goto(pages.url + '/');
  await h.ready(a);
  await a.evaluate(() => window.candor.grant(['stats']));

  await track(a, 5);
  assert.deepEqual(await a.evaluate(() => window.candor.flush()), { sent: 1 });
  assert.equal((await aggregates('page_view')).count, 5);

  await sink.stop();
  await track(a, 3);
  assert.deepEqual(await a.evaluate(() => window.candor.flush()), { sent: 0 });
  assert.equal((await a.evaluate(() => window.candor.inspect())).pending.length, 1, 'kept until acknowledged');
  await a.reload();
  await h.ready(a);
  await track(a, 2, '/');

  sink = await h.collector({ www: h.site(), db: sinkDb, listen: `127.0.0.1:${sinkPort}`, extra: ['--cors-origin', pages.url] });
  assert.equal(new URL(sink.url).port, sinkPort);
  const sent = await a.evaluate(() => window.candor.flush());
  assert.ok(sent.sent >= 2, JSON.stringify(sent));

  const b = await h.page(context);
  watch(b, statuses);
  await b.goto(pages.url + '/');
  await h.ready(b);
  await track(b, 4);
  await track(a, 1);
  await Promise.all([a.evaluate(() => window.candor.flush()), b.evaluate(() => window.candor.flush())]);

  const agg = await aggregates('page_view');
  assert.equal(agg.count, 15, JSON.stringify(agg));
  assert.deepEqual(agg.fields.path, { '/shop': 13, '/': 2 });
  assert.equal((await a.evaluate(() => window.candor.inspect())).pending.length, 0);
  const received = statuses.filter((s) => s === 202).length;
  const duplicates = statuses.filter((s) => s === 200).length;
  assert.equal(received, agg.reports, `each stored report was received once (${JSON.stringify(statuses)})`);
  console.log(`# e2e totals: tracked 15, counted ${agg.count}, reports stored ${agg.reports}, 202s ${received}, duplicate 200s ${duplicates}, responses ${statuses.length}`);
  await context.close();
});

test("flush() counts the reports it closed even when an upload already on its way sends them", async () => {
  const { context, p, posted } = await statsGranted();
  await track(p, 2);
  // The second flush finds the first one's upload on its way and waits for it.
  const answers = await p.evaluate(() => Promise.all([window.candor.flush(), window.candor.flush()]));
  assert.deepEqual(answers, [{ sent: 1 }, { sent: 1 }]);
  assert.equal(posted.length, 1, 'one report, sent once');
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 0 }, 'nothing left');
  await context.close();
});

test('no report is sent for a purpose after it is withdrawn, even one already queued', async () => {
  const { context, p, posted } = await statsGranted();
  const before = (await aggregates('purchase')).count || 0;
  await p.evaluate(() => window.candor.track('purchase', { amount: 10 }));

  // Queue a report while the collector is down, then withdraw.
  await sink.stop();
  await p.evaluate(() => window.candor.flush());
  assert.equal((await p.evaluate(() => window.candor.inspect())).pending.length, 1);
  await p.evaluate(() => window.candor.track('purchase', { amount: 20 }));
  await p.evaluate(() => window.candor.withdraw());
  const view = await p.evaluate(() => window.candor.inspect());
  assert.deepEqual(view.pending, []);
  assert.deepEqual(view.open, []);
  posted.length = 0;

  sink = await h.collector({ www: h.site(), db: sinkDb, listen: `127.0.0.1:${sinkPort}`, extra: ['--cors-origin', pages.url] });
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 0 });
  assert.equal(await p.evaluate(() => window.candor.track('purchase', { amount: 5 }).reason), 'no-consent');
  assert.deepEqual(posted, []);
  assert.equal((await aggregates('purchase')).count || 0, before);
  await context.close();
});

test('a 409 (the collector holds this report id with other content: an earlier try was stored) counts as delivered, in flush() too', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(pages.url + '/');
  await h.ready(p);
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.evaluate(() => window.candor.track('purchase', { amount: 10 }));
  // The first try fails on the way; its report, with other content under the same id, reaches the collector another way.
  let body;
  await p.route('**/v1/reports', (route) => { body = route.request().postData(); return route.abort('failed'); });
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 0 });
  await p.unroute('**/v1/reports');
  const other = JSON.parse(body);
  other.events.purchase.count += 1;
  const stored = await fetch(`${sink.url}/v1/reports`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(other) });
  assert.equal(stored.status, 202);
  const answered = p.waitForResponse((r) => r.url().includes('/v1/reports') && r.request().method() === 'POST');
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 1 });
  assert.equal((await answered).status(), 409);
  assert.deepEqual((await h.events(p, 'error')).map((e) => e.detail.code), []);
  assert.deepEqual((await h.events(p, 'report')).map((e) => e.detail.report_id), [other.report_id]);
  assert.deepEqual((await p.evaluate(() => window.candor.inspect())).pending, []);
  await context.close();
});

test('in a frame whose storage the browser blocks (a third-party frame), Web Locks refuse the page: flush() still uploads', async () => {
  const port = new URL(pages.url).port;
  h.write(www, { 'local.json': h.config({ collector: '/v1/reports' }), 'local.html': h.html({ attrs: 'data-config="/local.json" async' }),
    'embed.html': h.html({ body: `<iframe id="f" title="embedded site" src="http://localhost:${port}/local.html"></iframe>` }) });
  const context = await chrome.newContext();
  const p = await h.page(context);
  const posted = [];
  watch(p, posted);
  await p.goto(pages.url + '/embed.html');
  const f = await (await p.waitForSelector('#f')).contentFrame();
  await f.waitForFunction(() => window.candor);
  await f.evaluate(() => window.candor.ready);
  // The condition itself: this browser refuses locks to a third-party frame.
  assert.match(await f.evaluate(() => navigator.locks.query().then(() => 'ok', (e) => e.name)), /SecurityError/);
  await f.evaluate(() => window.candor.acceptAll());
  assert.deepEqual(await f.evaluate(() => window.candor.track('purchase', { amount: 3 })), { accepted: true });
  assert.deepEqual(await f.evaluate(() => window.candor.flush()), { sent: 1 });
  assert.deepEqual(posted, [202]);
  assert.deepEqual((await f.evaluate(() => window.candor.inspect())).pending, []);
  await context.close();
});

test('a report the collector refuses for good is dropped with a report-rejected error that gives the collector\'s reason', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(pages.url + '/elsewhere.html');
  await h.ready(p);
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.evaluate(() => window.candor.track('purchase', { amount: 10 }));
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 0 });
  // The decision's receipt is refused too (receipt-rejected, see data.test.js).
  const errors = (await h.events(p, 'error')).map((e) => e.detail).filter((e) => e.code !== 'receipt-rejected');
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'report-rejected');
  assert.match(errors[0].message,
    /^the collector refused report [0-9a-f-]{36} \(HTTP 400: site: "elsewhere\.example" is not a site this collector accepts\); it was dropped$/);
  assert.deepEqual((await p.evaluate(() => window.candor.inspect())).pending, [], 'not kept to be resent forever');
  await context.close();
});

test('a window too large for one report (over 64 KB) goes as several, split by event: every count arrives, once', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  const posted = [];
  watch(p, posted);
  await p.goto(pages.url + '/wide.html');
  await h.ready(p);
  await p.evaluate(() => window.candor.grant(['stats']));
  const accepted = await p.evaluate(([values, events]) => {
    let n = 0;
    for (let e = 0; e < events; e++) for (const path of values) n += window.candor.track(`wide_${e}`, { path }).accepted ? 1 : 0;
    return n;
  }, [WIDE_VALUES, WIDE_EVENTS]);
  assert.equal(accepted, WIDE_EVENTS * 64);
  const { sent } = await p.evaluate(() => window.candor.flush());
  assert.ok(sent >= 4, `sent ${sent}`);
  assert.equal((await p.evaluate(() => window.candor.inspect())).dropped, 0, 'no part pushed out of the queue');
  assert.deepEqual(posted, Array(sent).fill(202), 'each part stored');
  assert.deepEqual((await h.events(p, 'error')).map((e) => e.detail), []);
  for (let e = 0; e < WIDE_EVENTS; e++) {
    const a = await aggregates(`wide_${e}`);
    assert.equal(a.count, 64, `wide_${e}`);
    assert.equal(a.reports, 1, `wide_${e} is in one report`);
    assert.deepEqual(Object.values(a.fields.path).reduce((x, y) => x + y, 0), 64);
  }
  assert.deepEqual((await p.evaluate(() => window.candor.inspect())).pending, []);
  await context.close();
});

test('one event too large for any collector on its own is dropped with a report-rejected error naming it, not sent to be refused forever; a boot warning foretold it', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  const posted = [];
  watch(p, posted);
  await p.goto(pages.url + '/huge.html');
  await h.ready(p);
  const warned = p.logs.filter((l) => l.type === 'warning' && /event "huge" alone/.test(l.text));
  assert.equal(warned.length, 1, JSON.stringify(p.logs));
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.evaluate((values) => {
    for (const v of values) window.candor.track('huge', Object.fromEntries(Array.from({ length: 8 }, (_, f) => [`f${f}`, v])));
    window.candor.track('page_view', { path: '/' });
  }, HUGE_VALUES);
  const { sent } = await p.evaluate(() => window.candor.flush());
  assert.equal(sent, 1, 'the rest of the window still goes');
  assert.deepEqual(posted, [202]);
  assert.equal((await aggregates('page_view')).count >= 1, true);
  const errors = (await h.events(p, 'error')).map((e) => e.detail);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'report-rejected');
  assert.match(errors[0].message, /^report [0-9a-f-]{36} for purpose "stats" is \d+ bytes, over the 65536 a collector takes, with event "huge" alone; it was dropped$/);
  assert.deepEqual((await p.evaluate(() => window.candor.inspect())).pending, []);
  await context.close();
});

test('a report carries only aggregates: no identifiers, no URL, no fine time', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  const bodies = [];
  p.on('requestfinished', async (r) => {
    if (r.url().includes('/v1/reports')) bodies.push({ body: r.postData(), headers: await r.allHeaders() });
  });
  await p.goto(pages.url + '/?email=visitor@example.com');
  await h.ready(p);
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.evaluate(() => window.candor.track('page_view', { path: location.pathname + location.search }));
  await p.evaluate(() => window.candor.flush());
  await p.waitForTimeout(100);
  assert.equal(bodies.length, 1);
  const report = JSON.parse(bodies[0].body);
  const Ajv2020 = require('ajv/dist/2020');
  const schema = require('../../pkg-config/report.schema.json');
  const valid = new Ajv2020({ strict: true }).compile(schema);
  assert.ok(valid(report), JSON.stringify(valid.errors));
  assert.deepEqual(Object.keys(report).sort(), ['events', 'noise', 'purpose', 'report_id', 'revision', 'sdk', 'site', 'window']);
  assert.match(report.report_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(report.window.start % 3600, 0);
  assert.deepEqual(report.events.page_view.fields.path, { other: 1 });
  assert.equal(bodies[0].body.includes('example.com'), false);
  assert.equal(bodies[0].headers.cookie, undefined, JSON.stringify(bodies[0].headers));
  assert.equal(bodies[0].headers.referer, undefined, JSON.stringify(bodies[0].headers));
  const fired = await h.events(p, 'report');
  assert.equal(fired.length, 1);
  assert.equal(fired[0].detail.report_id, report.report_id);
  await context.close();
});

test('without Web Locks, two tabs share a storage lease and still count each event once', async () => {
  const context = await chrome.newContext();
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined }));
  const [a, b] = [await h.page(context), await h.page(context)];
  for (const p of [a, b]) { await p.goto(pages.url + '/'); await h.ready(p); }
  await a.evaluate(() => window.candor.grant(['stats']));
  await b.waitForFunction(() => window.candor.consent().purposes.stats === true);
  const before = (await aggregates('purchase')).count || 0;
  await a.evaluate(() => { for (let i = 0; i < 3; i++) window.candor.track('purchase', { amount: 1 }); });
  await b.evaluate(() => { for (let i = 0; i < 4; i++) window.candor.track('purchase', { amount: 1 }); });
  await Promise.all([a.evaluate(() => window.candor.flush()), b.evaluate(() => window.candor.flush())]);
  await a.evaluate(() => window.candor.flush());
  assert.equal((await aggregates('purchase')).count - before, 7);
  assert.equal(await a.evaluate(() => localStorage.getItem('candor.lease')), null, 'the lease is released');
  await context.close();
});

test('the pending queue is bounded at 200 reports; the oldest are dropped and counted', async () => {
  const { context, p } = await statsGranted('/bounded.html');
  await sink.stop();
  const { view, accepted } = await p.evaluate(async () => {
    let accepted = 0;
    for (let i = 0; i < 205; i++) {
      accepted += window.candor.track('purchase', { amount: i }).accepted ? 1 : 0;
      await window.candor.flush();
    }
    return { view: window.candor.inspect(), accepted };
  });
  assert.equal(accepted, 205);
  assert.equal(view.pending.length, 200);
  assert.equal(view.dropped, 5);
  assert.deepEqual(view.pending.map((r) => r.events.purchase.fields.amount).slice(0, 2), [5, 6], 'the oldest went first');
  sink = await h.collector({ www: h.site(), db: sinkDb, listen: `127.0.0.1:${sinkPort}`, extra: ['--cors-origin', pages.url] });
  await p.evaluate(() => window.candor.withdraw());
  await context.close();
});

test('a duplicated tab (window.open copies sessionStorage) takes its own tab id: events still count once', async () => {
  const { context, p: a } = await statsGranted();
  const before = (await aggregates('purchase')).count || 0;
  await a.evaluate(() => { for (let i = 0; i < 5; i++) window.candor.track('purchase', { amount: 1 }); });
  const [b] = await Promise.all([context.waitForEvent('page'), a.evaluate(() => { window.open(location.href); })]);
  await h.ready(b);
  const ids = await Promise.all([a, b].map((p) => p.evaluate(() => sessionStorage.getItem('candor.tab'))));
  assert.notEqual(ids[0], ids[1], 'the copy took a new id');
  await b.evaluate(() => window.candor.track('purchase', { amount: 1 }));
  await Promise.all([a.evaluate(() => window.candor.flush()), b.evaluate(() => window.candor.flush())]);
  assert.equal((await aggregates('purchase')).count - before, 6);
  // A reload keeps its id (the mark is cleared on pagehide).
  await a.reload();
  await h.ready(a);
  assert.equal(await a.evaluate(() => sessionStorage.getItem('candor.tab')), ids[0]);
  await context.close();
});

test('stored reports and aggregates that the config could not have built are dropped, never sent', async () => {
  const { context, p, posted } = await statsGranted();
  await p.evaluate(() => {
    const base = { site: 'test.example', revision: 'r1', purpose: 'stats', window: { start: 3600 * 400000, seconds: 3600 }, noise: null, sdk: 'candor/0.1.0' };
    const forged = [
      { ...base, report_id: '0b7c6a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c', events: { page_view: { count: 1, fields: { path: { 'jane@example.com': 1 } } } } },
      { ...base, report_id: '1b7c6a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c', revision: 'r0', events: { page_view: { count: 1 } } },
      { ...base, report_id: '2b7c6a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c', events: { undeclared: { count: 1 } } },
    ];
    forged.forEach((r, i) => localStorage.setItem(`candor.report.000000000000000${i}0001.${r.report_id}`, JSON.stringify(r)));
    // A well-formed report stored under another report's id: once sent it could never leave the queue.
    const moved = { ...base, report_id: '3b7c6a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c', events: { page_view: { count: 1 } } };
    localStorage.setItem('candor.report.00000000000000030001.4b7c6a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c', JSON.stringify(moved));
    const tab = sessionStorage.getItem('candor.tab');
    localStorage.setItem(`candor.open.${tab}`, JSON.stringify({ open: [{ purpose: 'stats', start: 3600 * 400000, seconds: 3600,
      events: { page_view: { count: 1, fields: { path: { 'free text': 1 } } } } }], budget: {} }));
  });
  await p.reload();
  await h.ready(p);
  await p.evaluate(() => window.candor.track('page_view', { path: '/' }));
  await p.evaluate(() => window.candor.flush());
  assert.ok(posted.length >= 1, 'the real report was sent');
  for (const body of posted) {
    assert.equal(/jane@|free text|undeclared|"r0"|3b7c6a52/.test(body), false, body);
  }
  const left = await p.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('candor.report.')));
  assert.deepEqual(left, []);
  assert.ok(p.logs.some((l) => /did not match the config and have been discarded/.test(l.text)), 'the dropped aggregate is said');
  await context.close();
});

test('a withdrawal this tab never heard of (no storage event) still stops the next send', async () => {
  const { context, p, posted } = await statsGranted();
  await p.evaluate(() => {
    window.candor.track('page_view', { path: '/' });
    // What a missed storage event (a page asleep in the back/forward cache) leaves behind.
    const r = JSON.parse(localStorage.getItem('candor.consent'));
    r.purposes.stats = false;
    localStorage.setItem('candor.consent', JSON.stringify(r));
  });
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 0 });
  assert.deepEqual(posted, []);
  assert.equal((await h.consent(p)).purposes.stats, false);
  await context.close();
});

test('category values JSON must escape, or not ASCII, survive storage, a reload and the collector exactly', async () => {
  const { context, p } = await statsGranted('/hostile.html');
  const before = (await aggregates('page_view')).fields?.path || {};
  const trackAll = () => p.evaluate((values) => values.map((path) => window.candor.track('page_view', { path, load_ms: 10 }).accepted), HOSTILE);
  assert.ok((await trackAll()).every(Boolean));
  // What src/json.rs stored reads back with the browser's own JSON.parse, keys intact.
  const stored = await p.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => k.startsWith('candor.open.'));
    return JSON.parse(localStorage.getItem(key));
  });
  assert.deepEqual(stored.open[0].events.page_view.fields.path, Object.fromEntries(HOSTILE.map((v) => [v, 1])));
  // The reload closes the window (pagehide) and the next page sends what is pending.
  await p.reload();
  await h.ready(p);
  assert.ok((await trackAll()).every(Boolean));
  await p.evaluate(() => window.candor.flush());
  const after = (await aggregates('page_view')).fields.path;
  for (const v of HOSTILE) assert.equal(after[v] - (before[v] || 0), 2, JSON.stringify(v));
  assert.deepEqual((await p.evaluate(() => window.candor.inspect())).pending, [], 'nothing left behind');
  await context.close();
});

/**
 * A front for the real collector (the sink) on its own port: answers CORS
 * preflights, logs every report POST ({id, at}) and forwards it; `plan(n)`
 * (n = 0 for the first POST) may answer instead ({status, headers}) or
 * delay the answer ({delay} ms, the report stored at once).
 */
async function front(plan = () => null) {
  const log = [];
  const server = require('node:http').createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'content-type');
    res.setHeader('Access-Control-Allow-Methods', 'POST, DELETE');
    res.setHeader('Access-Control-Expose-Headers', 'Retry-After, Date');
    if (req.method === 'OPTIONS') return res.end();
    // A page of the site that answers anything with 200 (where a misdirected collector URL may land).
    if (req.url === '/landing') { res.writeHead(200, { 'content-type': 'text/html' }); return res.end('<p>Welcome'); }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString();
      // Receipts (and their deletions) pass straight through.
      const report = req.url === '/v1/reports';
      const step = (report && plan(log.length)) || {};
      if (report) log.push({ id: JSON.parse(body).report_id, at: Date.now() });
      if (step.status) {
        res.writeHead(step.status, { 'content-type': 'application/json', ...(step.headers || {}) });
        return res.end('{"error":"busy"}');
      }
      const answer = await fetch(sink.url + req.url, { method: req.method, body: req.method === 'POST' ? body : undefined,
        headers: { 'content-type': 'application/json' } });
      const text = await answer.text();
      if (step.delay) await new Promise((r) => setTimeout(r, step.delay));
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(text);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/v1/reports`, log,
    close: () => { server.closeAllConnections(); server.close(); } };
}

/**
 * A page whose config (`<name>.json`, `window_seconds` long windows) sends
 * its reports through a `front(plan)`, stats granted; runs `body({p, f})`,
 * then closes both.
 */
async function throughFront(name, plan, windowSeconds, body) {
  const f = await front(plan);
  h.write(www, { [`${name}.json`]: h.config({ collector: f.url, aggregation: { window_seconds: windowSeconds } }),
    [`${name}.html`]: h.html({ attrs: `data-config="/${name}.json" async` }) });
  const { context, p } = await statsGranted(`/${name}.html`);
  try {
    await body({ p, f });
  } finally {
    await context.close();
    f.close();
  }
}

// Retry-After as seconds, and as an HTTP date read against the collector's
// own Date: here a day behind the visitor's clock, so reading the date
// against the visitor's clock would find it long past and try at once.
const DAY_BEHIND = () => Date.now() - 86_400_000;
for (const [form, headers] of [
  ['seconds', () => ({ 'Retry-After': '120' })],
  ['an HTTP date', () => ({ Date: new Date(DAY_BEHIND()).toUTCString(), 'Retry-After': new Date(DAY_BEHIND() + 120_000).toUTCString() })],
]) {
  test(`a 429 with Retry-After as ${form}: the timer does not try again before the collector's time`, async () => {
    // One-second windows: the upload timer ticks every second.
    await throughFront('retry-after', (n) => (n === 0 ? { status: 429, headers: headers() } : null), 1, async ({ p, f }) => {
      await p.evaluate(() => window.candor.track('page_view', { path: '/' }));
      await p.waitForFunction(() => window.candor.inspect().pending.length === 1);
      await p.waitForTimeout(1500);
      assert.equal(f.log.length, 1, 'the first POST was answered 429: ' + JSON.stringify(f.log));
      // Without Retry-After the backoff after a first failure is at most 4 s.
      await p.waitForTimeout(6000);
      assert.equal(f.log.length, 1, 'no second POST within the 120 s asked for');
      assert.equal((await p.evaluate(() => window.candor.inspect().pending)).length, 1, 'the report is kept');
    });
  });
}

test('a 503 with Retry-After holds the next pages too: neither leaving nor loading a page sends the backlog before the pause ends; flush() still does', async () => {
  await throughFront('pause', (n) => (n === 0 ? { status: 503, headers: { 'Retry-After': '60' } } : null), 3600, async ({ p, f }) => {
    await p.evaluate(() => window.candor.track('page_view', { path: '/' }));
    assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 0 });
    assert.equal(f.log.length, 1, 'answered 503');
    const until = Number(await p.evaluate(() => localStorage.getItem('candor.retry')));
    assert.ok(until > Date.now() + 50_000 && until < Date.now() + 61_000, `the pause is stored: ${until - Date.now()} ms`);
    // Three pages of the site, one after another: each leave and each load would have sent the backlog.
    for (let i = 0; i < 3; i++) {
      await p.evaluate(() => window.candor.track('page_view', { path: '/' }));
      await p.goto(p.url());
      await h.ready(p);
    }
    await p.waitForTimeout(1000);
    assert.equal(f.log.length, 1, 'nothing sent during the pause: ' + JSON.stringify(f.log));
    assert.equal((await p.evaluate(() => window.candor.inspect().pending)).length, 4, 'all kept');
    // "Your data" says what the key is.
    await p.evaluate(() => window.candor.open('data'));
    const line = p.locator('[data-testid="candor-data-storage"] li[data-key="candor.retry"]');
    assert.match(await line.innerText(), /when the site's server asked for a pause before reports are sent again/);
    // An explicit flush() is the site's own call: it sends, and the pause ends with the first 2xx.
    assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 4 });
    assert.equal(await p.evaluate(() => localStorage.getItem('candor.retry')), null);
  });
});

test('a day-long Retry-After holds this page for the day but later pages for an hour at most; a 2xx from another tab ends the pause for all', async () => {
  await throughFront('long-pause', (n) => (n === 0 ? { status: 503, headers: { 'Retry-After': '86400' } } : null), 3600, async ({ p, f }) => {
    await p.evaluate(() => window.candor.track('page_view', { path: '/' }));
    assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 0 });
    const until = Number(await p.evaluate(() => localStorage.getItem('candor.retry')));
    assert.ok(until <= Date.now() + 3_600_000 && until > Date.now() + 3_500_000, `stored for an hour: ${until - Date.now()} ms`);
    // A second tab's explicit flush() gets a 2xx: the stored pause is gone, and this page's timer may send again.
    const q = await p.context().newPage();
    await q.goto(p.url());
    await h.ready(q);
    assert.deepEqual(await q.evaluate(() => window.candor.flush()), { sent: 1 });
    assert.equal(await q.evaluate(() => localStorage.getItem('candor.retry')), null);
    // The other tab's view of localStorage follows a moment later.
    await p.waitForFunction(() => localStorage.getItem('candor.retry') === null);
    assert.equal(f.log.length, 2);
  });
});

test('a collector URL that redirects (301: the POST becomes a GET): the report-rejected error says so and names where it went', async () => {
  await throughFront('moved', (n) => (n === 0 ? { status: 301, headers: { Location: '/v1/elsewhere' } } : null), 3600, async ({ p, f }) => {
    await p.evaluate(() => window.candor.track('page_view', { path: '/' }));
    await p.evaluate(() => window.candor.flush());
    await p.waitForFunction(() => window.__events.some((e) => e.name === 'error'));
    const [err] = (await h.events(p, 'error')).map((e) => e.detail);
    assert.equal(err.code, 'report-rejected');
    assert.match(err.message, /\(HTTP 404: path: no such API route, after a redirect to "http:\/\/127\.0\.0\.1:\d+\/v1\/elsewhere": set the config's collector to the URL it redirects to/);
    assert.equal(f.log.length, 1);
  });
});

test('a collector URL that redirects to a page answering 200: not taken as sent; the report-rejected error says so', async () => {
  await throughFront('moved200', (n) => (n === 0 ? { status: 302, headers: { Location: '/landing' } } : null), 3600, async ({ p }) => {
    await p.evaluate(() => window.candor.track('page_view', { path: '/' }));
    assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 0 }, 'nothing acknowledged');
    await p.waitForFunction(() => window.__events.some((e) => e.name === 'error'));
    const [err] = (await h.events(p, 'error')).map((e) => e.detail);
    assert.equal(err.code, 'report-rejected');
    assert.match(err.message, /HTTP 200 from "http:\/\/127\.0\.0\.1:\d+\/landing" after a redirect, which is not the collector's answer/);
    assert.deepEqual((await p.evaluate(() => window.candor.inspect().history)), [], 'not in the history as sent');
  });
});

test("withdrawn while its report was on its way: the collector's acknowledgement still lands in the visitor's history, once", async () => {
  await throughFront('withdraw-flight', () => ({ delay: 1500 }), 3600, async ({ p, f }) => {
    await p.evaluate(() => window.candor.track('page_view', { path: '/' }));
    await p.evaluate(() => { window.__flushing = window.candor.flush(); });
    while (f.log.length === 0) await new Promise((r) => setTimeout(r, 50));
    // The POST has reached the collector (stored); its answer is 1.5 s away.
    await p.evaluate(() => window.candor.withdraw());
    assert.deepEqual(await p.evaluate(() => window.__flushing), { sent: 1 });
    const history = await p.evaluate(() => window.candor.inspect().history.map((s) => s.report.report_id));
    assert.deepEqual(history, [f.log[0].id], 'what the collector has is in the history');
    assert.equal((await h.events(p, 'report')).length, 1, 'candor:report once');
    assert.deepEqual(await p.evaluate(() => window.candor.inspect().pending), []);
  });
});

test('erased, then decided again, while a report was on its way: its late acknowledgement brings nothing back', async () => {
  await throughFront('erase-flight', () => ({ delay: 1500 }), 3600, async ({ p, f }) => {
    await p.evaluate(() => window.candor.track('page_view', { path: '/' }));
    await p.evaluate(() => { window.__flushing = window.candor.flush(); });
    while (f.log.length === 0) await new Promise((r) => setTimeout(r, 50));
    await p.evaluate(() => { window.candor.erase(); window.candor.grant(['stats']); });
    await p.evaluate(() => window.__flushing);
    assert.deepEqual(await p.evaluate(() => window.candor.inspect().history), [], 'nothing from before the erase');
    assert.equal(await p.evaluate(() => localStorage.getItem('candor.history')), null);
  });
});

test('leaving while an upload is on its way: what the page closed is sent on the way out, each report once', async () => {
  const before = (await aggregates('page_view')).count || 0;
  await throughFront('slow-answer', () => ({ delay: 2500 }), 3600, async ({ p, f }) => {
    await p.evaluate(() => window.candor.track('page_view', { path: '/' }));
    // The first report's POST waits 2.5 s for its answer.
    await p.evaluate(() => { window.__flushing = window.candor.flush(); });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(f.log.length, 1);
    await p.evaluate(() => { window.candor.track('page_view', { path: '/shop' }); window.candor.track('page_view', { path: '/shop' }); });
    // Closing the tab: visibilitychange and pagehide both fire.
    await p.close();
    await new Promise((r) => setTimeout(r, 3500));
    assert.equal((await aggregates('page_view')).count - before, 3, 'all three events were stored');
    const posts = {};
    for (const { id } of f.log) posts[id] = (posts[id] || 0) + 1;
    const counts = Object.values(posts).sort();
    // The report in flight is sent again at hide (an unload aborts it);
    // the one closed at hide goes once.
    assert.deepEqual(counts, [1, 2], JSON.stringify(f.log));
  });
});

/**
 * Every page of `context` sees a wall clock `seconds` ahead (Date only;
 * timers and performance.now() are untouched); `window.__setClockAhead(s)`
 * changes that later (a clock the system corrects while the page is open).
 */
function fastClock(context, seconds) {
  return context.addInitScript((first) => {
    const RealDate = Date;
    let off = first;
    window.__setClockAhead = (s) => { off = s * 1000; };
    function FastDate(...a) {
      if (!new.target) return new RealDate(RealDate.now() + off).toString();
      return a.length ? new RealDate(...a) : new RealDate(RealDate.now() + off);
    }
    FastDate.prototype = RealDate.prototype;
    FastDate.now = () => RealDate.now() + off;
    FastDate.parse = RealDate.parse;
    FastDate.UTC = RealDate.UTC;
    window.Date = FastDate;
  }, seconds * 1000);
}

/**
 * A page `/<name>.html` of site `<name>.example` (windows of `windowSeconds`)
 * served by a collector of its own, in a context whose clock runs
 * `aheadSeconds` fast; runs `body({context, p, own})`, then stops both.
 */
async function fastVisitor(name, windowSeconds, aheadSeconds, body) {
  const site = `${name}.example`;
  h.write(www, { [`${name}.json`]: h.config({ site, aggregation: { window_seconds: windowSeconds } }),
    [`${name}.html`]: h.html({ attrs: `data-config="/${name}.json" async` }) });
  const db = require('node:path').join(require('node:fs').mkdtempSync(require('node:os').tmpdir() + `/candor-${name}-`), 'db.db');
  const own = await h.collector({ www, db, sites: [site] });
  const context = await chrome.newContext();
  try {
    await fastClock(context, aheadSeconds);
    const p = await h.page(context);
    await body({ context, p, own, counted: async () => (await (await fetch(`${own.url}/v1/aggregates?site=${site}&event=page_view`)).json()).count });
  } finally {
    await context.close();
    await own.stop();
  }
}

test("a visitor's clock two days fast: the collector's Date re-stamps the receipt and the reports, and every event counts", async () => {
  // Same origin as the collector (the pages server is one): Date is readable.
  await fastVisitor('fast', 3600, 2 * 86400, async ({ p, own, counted }) => {
    const statuses = [];
    p.on('response', (r) => { if (r.url().includes('/v1/')) statuses.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`); });
    await p.goto(own.url + '/fast.html');
    await h.ready(p);
    await p.locator('[data-testid="candor-accept-all"]').click();
    await p.waitForFunction(() => window.candor.consent().decided);
    await p.waitForFunction(() => window.candor.inspect().receipts.every((r) => r.acknowledged));
    for (let i = 0; i < 3; i++) await p.evaluate(() => window.candor.track('page_view', { path: '/' }));
    assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 1 });
    assert.equal(await counted(), 3, JSON.stringify(statuses));
    // The first receipt POST learnt the clock (400, a timestamp from the future); nothing after it was refused.
    assert.deepEqual(statuses.filter((s) => s.endsWith(' 400')), ['POST /v1/receipts 400'], JSON.stringify(statuses));
  });
});

test('a clock two days fast that the system corrects while the page is open: later reports are not shifted back', async () => {
  await fastVisitor('fixed', 60, 2 * 86400, async ({ p, own, counted }) => {
    const sent = [];
    p.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/v1/reports')) sent.push(JSON.parse(r.postData())); });
    await p.goto(own.url + '/fixed.html');
    await h.ready(p);
    await p.locator('[data-testid="candor-accept-all"]').click();
    // The receipt's POST taught the SDK that this clock runs two days ahead.
    await p.waitForFunction(() => window.candor.inspect().receipts.every((r) => r.acknowledged));
    await p.evaluate(() => window.__setClockAhead(0));
    await p.evaluate(() => window.candor.track('page_view', { path: '/' }));
    assert.deepEqual(await p.evaluate(() => window.candor.consent().decided), true, 'the decision outlives the clock correction');
    assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 1 });
    const now = Math.floor(Date.now() / 1000);
    assert.equal(sent.length, 1);
    const start = sent[0].window.start;
    assert.ok(start <= now && start > now - 120, `window ${start} is the current minute (now ${now}), not two days back`);
    assert.equal(await counted(), 1);
    // The next page keeps the decision too (dated two days ahead, by the clock that was wrong).
    await p.reload();
    await h.ready(p);
    assert.equal(await p.evaluate(() => window.candor.consent().decided), true);
    assert.equal(await p.locator('[data-testid="candor-prompt"]').isVisible(), false);
  });
});

test('a clock 2.5 days fast, day-long windows, a returning visitor whose first report goes out as the page is hidden: re-stamped and counted', async () => {
  await fastVisitor('fastday', 86400, 2.5 * 86400, async ({ p, own, counted }) => {
    await p.goto(own.url + '/fastday.html');
    await h.ready(p);
    await p.locator('[data-testid="candor-accept-all"]').click();
    await p.waitForFunction(() => window.candor.inspect().receipts.every((r) => r.acknowledged));
    // Back later: nothing is sent at boot, so the clock is not known yet.
    await p.reload();
    await h.ready(p);
    const statuses = [];
    p.on('response', (r) => { if (r.url().includes('/v1/')) statuses.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`); });
    await p.evaluate(() => { window.candor.track('page_view', { path: '/' }); window.candor.track('page_view', { path: '/' }); });
    // The page is hidden (another tab, another app): its reports go out with keepalive.
    await p.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await p.waitForFunction(() => window.candor.inspect().pending.length === 0);
    assert.equal(await counted(), 2, JSON.stringify(statuses));
  });
});

test('a second config on the same origin (another site) leaves this one\'s decision and pending reports alone', async () => {
  const blog = { ...h.config({ site: 'blog.example', revision: 'b1', collector: `${sink.url}/v1/reports` }),
    purposes: [h.config().purposes[0], { ...h.config().purposes[1], id: 'reading' }], events: { read: { purpose: 'reading' } } };
  h.write(www, { 'blog.json': blog, 'blog.html': h.html({ attrs: 'data-config="/blog.json" async' }) });
  const before = (await aggregates('page_view')).count || 0;
  const { context, p } = await statsGranted();
  await sink.stop();
  await track(p, 3);
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 0 });
  const keys = () => p.evaluate(() => Object.keys(localStorage).filter((k) => /^candor\.(consent|report\.)/.test(k)).length);
  assert.equal(await keys(), 2, 'the decision and one pending report');
  // The visitor opens the blog, whose config is another site's, and does nothing there.
  await p.goto(pages.url + '/blog.html');
  await h.ready(p);
  assert.equal((await h.consent(p)).decided, false, 'asked there');
  await p.evaluate(() => window.candor.flush());
  assert.equal(await keys(), 2, 'the blog neither sent nor dropped them');
  sink = await h.collector({ www: h.site(), db: sinkDb, listen: `127.0.0.1:${sinkPort}`, extra: ['--cors-origin', pages.url] });
  await p.goto(pages.url + '/');
  await h.ready(p);
  assert.equal((await h.consent(p)).purposes.stats, true, 'the shop\'s decision holds');
  await p.evaluate(() => window.candor.flush());
  assert.equal((await aggregates('page_view')).count, before + 3);
  await context.close();
});
