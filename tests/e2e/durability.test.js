// Every accepted event is in localStorage by the end of the task that
// tracked it (a closed or crashed tab loses nothing: the page cannot unload
// in the middle of a task), also after the hot path's shortcuts (the cached
// storage handle and open-aggregate key) and after `erase()` removed that
// key. A burst of calls in one task shares one write.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

let server, chrome;

test.before(async () => {
  const www = h.site({ 'candor.config.json': h.config(), 'index.html': h.html(),
    'plain.html': '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>no Candor</title></head><body><p>A page without Candor.</p></body></html>',
    // Its fetch refuses keepalive requests (a wrapper some sites run).
    'nokeepalive.html': h.html({ head: `<script>(function () { var f = window.fetch; window.fetch = function (u, i) {
      if (i && i.keepalive) throw new TypeError('no keepalive here'); return f.apply(this, arguments); }; })();</script>` }),
    'daily.json': h.config({ aggregation: { window_seconds: 86400 } }), 'daily.html': h.html({ attrs: 'data-config="/daily.json" async' }),
    'qa.json': h.config({ qa: true }), 'qa.html': h.html({ attrs: 'data-config="/qa.json" async' }) });
  server = await h.collector({ www });
  chrome = await h.browser();
});
test.after(async () => { await chrome?.close(); await server?.stop(); });

test('each accepted track is persisted by the end of its task, and again after erase(); inspect() in the same task sees it', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(server.url + '/');
  await h.ready(p);
  await p.evaluate(() => window.candor.grant(['stats']));
  // What a tab closed or crashed right now would leave behind.
  const stored = () => p.evaluate(() => {
    const keys = Object.keys(localStorage).filter((k) => k.startsWith('candor.open.'));
    if (keys.length !== 1) return { keys: keys.length };
    const agg = JSON.parse(localStorage.getItem(keys[0]));
    const pv = agg.open[0].events.page_view;
    return { keys: 1, count: pv.count, path: pv.fields.path, load_ms: pv.fields.load_ms };
  });
  // Each evaluate is its own task: the write comes at its end.
  const seen = [];
  for (const [path, load_ms] of [['/', 50], ['/shop', 250], ['/nowhere', 5000]]) {
    assert.equal(await p.evaluate(([path, load_ms]) => window.candor.track('page_view', { path, load_ms }).accepted, [path, load_ms]), true);
    seen.push(await stored());
  }
  assert.deepEqual(seen[0], { keys: 1, count: 1, path: { '/': 1 }, load_ms: [1, 0, 0, 0] });
  assert.deepEqual(seen[1], { keys: 1, count: 2, path: { '/': 1, '/shop': 1 }, load_ms: [1, 1, 0, 0] });
  assert.deepEqual(seen[2], { keys: 1, count: 3, path: { '/': 1, '/shop': 1, other: 1 }, load_ms: [1, 1, 0, 1] });
  // A track followed by erase() in the same task: nothing of it is written back.
  await p.evaluate(() => { window.candor.track('page_view', { path: '/' }); window.candor.erase(); });
  assert.deepEqual(await stored(), { keys: 0 }, 'erase() removed the open aggregate');
  // inspect() in the same task as the track lists the key the write creates.
  const inspected = await p.evaluate(() => {
    window.candor.grant(['stats']);
    window.candor.track('page_view', { path: '/shop', load_ms: 20 });
    const before = Object.keys(localStorage).some((k) => k.startsWith('candor.open.'));
    const listed = window.candor.inspect().storage.some((e) => e.key.startsWith('candor.open.'));
    return { before, listed };
  });
  assert.deepEqual(inspected, { before: false, listed: true }, 'the write waits for the end of the task, unless something reads storage');
  assert.deepEqual(await stored(), { keys: 1, count: 1, path: { '/shop': 1 }, load_ms: [1, 0, 0, 0] }, 'written again, nothing resurrected');
  await context.close();
});

test('a burst of 500 tracks in one task, then the renderer crashes: all 500 are sent by the next tab', async () => {
  const context = await chrome.newContext();
  const before = (await counted()) || 0;
  const { tab, b } = await crashedTab(context, 500);
  assert.deepEqual(await keys(b, tab), { open: true, alive: true }, 'the crashed tab left its aggregates');
  await silence(b, tab, 11 * 60);
  await b.evaluate(() => window.candor.flush());
  assert.equal(await counted(), before + 500, 'all 500 events of the burst were sent, once');
  await context.close();
});

/** Tab A tracks `n` page views and crashes; returns its tab id and tab B (same browser profile). */
async function crashedTab(context, n) {
  const a = await h.page(context);
  await a.goto(server.url + '/qa.html');
  await h.ready(a);
  const tab = await a.evaluate((n) => {
    window.candor.grant(['stats']);
    for (let i = 0; i < n; i++) window.candor.track('page_view', { path: '/' });
    return sessionStorage.getItem('candor.tab');
  }, n);
  const cdp = await context.newCDPSession(a);
  // The renderer dies without pagehide: nothing runs after the last track.
  cdp.send('Page.crash').catch(() => {});
  await new Promise((r) => setTimeout(r, 800));
  await a.close().catch(() => {});
  const b = await h.page(context);
  await b.goto(server.url + '/qa.html');
  await h.ready(b);
  return { tab, b };
}

const keys = (p, tab) => p.evaluate((tab) => ({
  open: localStorage.getItem('candor.open.' + tab) !== null,
  alive: localStorage.getItem('candor.alive.' + tab) !== null,
}), tab);

/** Makes `tab`'s last heartbeat `seconds` old. */
const silence = (p, tab, seconds) => p.evaluate(([tab, seconds]) => {
  localStorage.setItem('candor.alive.' + tab, String(Math.floor(Date.now() / 1000) - seconds));
}, [tab, seconds]);

async function counted() {
  const r = await fetch(`${server.url}/v1/aggregates?site=test.example&event=page_view`);
  return (await r.json()).count;
}

test('a crashed tab: its events are taken over and sent by another tab once it has been silent 10 minutes, not before', async () => {
  const context = await chrome.newContext();
  const before = (await counted()) || 0;
  const { tab, b } = await crashedTab(context, 3);
  assert.deepEqual(await keys(b, tab), { open: true, alive: true }, 'the crashed tab left its aggregates and its last heartbeat');
  await b.evaluate(() => window.candor.flush());
  assert.deepEqual(await keys(b, tab), { open: true, alive: true }, 'a tab that spoke recently may be alive: not taken');
  assert.equal((await counted()) || 0, before);
  // Its heartbeat as it will be 11 minutes (wall clock) after the crash.
  await silence(b, tab, 11 * 60);
  await b.evaluate(() => window.candor.flush());
  assert.deepEqual(await keys(b, tab), { open: false, alive: false }, 'silent for 11 minutes: taken over');
  assert.equal(await counted(), before + 3, 'the 3 events of the crashed tab were sent, once');
  await b.evaluate(() => window.candor.qa.advance(3600));
  assert.equal(await counted(), before + 3, 'and not again');
  await context.close();
});

test('a window already sent whose stored copy comes back (a browser killed before its removal reached the disk) is sent again under the same report id: counted once', async () => {
  const context = await chrome.newContext();
  const before = (await counted()) || 0;
  const { p, tab } = await trackingTab(context, 4);
  await p.evaluate(() => new Promise((r) => setTimeout(r, 0)));
  const copy = await p.evaluate((tab) => localStorage.getItem('candor.open.' + tab), tab);
  assert.match(JSON.parse(copy).open[0].id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'stored with its report id');
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 1 });
  assert.equal(await counted(), before + 4);
  await p.close();
  // What the disk held before the send: the copy under its tab's key, that tab silent for 11 minutes.
  const b = await h.page(context);
  await b.goto(server.url + '/qa.html');
  await h.ready(b);
  await b.evaluate(([tab, copy]) => localStorage.setItem('candor.open.' + tab, copy), [tab, copy]);
  await silence(b, tab, 11 * 60);
  const answers = [];
  b.on('response', (r) => { if (new URL(r.url()).pathname === '/v1/reports') answers.push(r.status()); });
  await b.evaluate(() => window.candor.flush());
  assert.deepEqual(await keys(b, tab), { open: false, alive: false }, 'taken over');
  assert.deepEqual(answers, [200], 'the collector already had it: a duplicate');
  assert.equal(await counted(), before + 4, 'counted once');
  await context.close();
});

test('a window brought back under this tab\'s own id after it was sent (a crash, a killed browser) is sealed: new events go in a new report, and none is lost or counted twice', async () => {
  const context = await chrome.newContext();
  const before = (await counted()) || 0;
  const { p, tab } = await trackingTab(context, 3);
  await p.evaluate(() => new Promise((r) => setTimeout(r, 0)));
  const copy = await p.evaluate((tab) => localStorage.getItem('candor.open.' + tab), tab);
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 1 });
  assert.equal(await counted(), before + 3);
  // The same browser tab leaves for a page without Candor, where the stored copy comes back, and returns.
  await p.goto(server.url + '/plain.html');
  await p.evaluate(([tab, copy]) => localStorage.setItem('candor.open.' + tab, copy), [tab, copy]);
  // (The page's first upload may send the sealed copy before the test tracks anything.)
  const answers = [];
  p.on('response', (r) => { if (new URL(r.url()).pathname === '/v1/reports') answers.push(r.status()); });
  await p.goto(server.url + '/qa.html');
  await h.ready(p);
  assert.equal(await p.evaluate(() => sessionStorage.getItem('candor.tab')), tab, 'the same tab id');
  assert.deepEqual(await p.evaluate(() => [window.candor.track('page_view', { path: '/' }), window.candor.track('page_view', { path: '/' })]),
    [{ accepted: true }, { accepted: true }]);
  await p.evaluate(() => window.candor.flush());
  await p.waitForFunction(() => window.candor.inspect().pending.length === 0);
  assert.deepEqual(answers.sort(), [200, 202], 'the copy known (a duplicate), the new events stored');
  assert.equal(await counted(), before + 5, 'the 3 counted once, the 2 new ones counted');
  await context.close();
});

test("withdrawing in one tab removes that purpose's data left by a crashed tab", async () => {
  const context = await chrome.newContext();
  const { tab, b } = await crashedTab(context, 2);
  assert.equal((await keys(b, tab)).open, true);
  await silence(b, tab, 11 * 60);
  await b.evaluate(() => window.candor.withdraw());
  assert.equal((await keys(b, tab)).open, false, "the crashed tab's stats aggregates are gone");
  await context.close();
});

/** A tab on the QA page with stats granted and `n` page views tracked: its page and its tab id. */
async function trackingTab(context, n) {
  const p = await h.page(context);
  await p.goto(server.url + '/qa.html');
  await h.ready(p);
  const tab = await p.evaluate((n) => {
    window.candor.grant(['stats']);
    for (let i = 0; i < n; i++) window.candor.track('page_view', { path: '/' });
    return sessionStorage.getItem('candor.tab');
  }, n);
  return { p, tab };
}

test('a tab that stopped running for 11 minutes and was taken over forgets its copy when it wakes: its events count once', async () => {
  const context = await chrome.newContext();
  const before = (await counted()) || 0;
  const { p: a, tab } = await trackingTab(context, 2);
  // Tab A stops running (frozen, a modal dialog, a sleeping laptop): its
  // heartbeat grows old, and tab B takes over and sends its two events.
  const b = await h.page(context);
  await b.goto(server.url + '/qa.html');
  await h.ready(b);
  await silence(b, tab, 11 * 60);
  await b.evaluate(() => window.candor.flush());
  assert.deepEqual(await keys(b, tab), { open: false, alive: false }, 'taken over');
  assert.equal(await counted(), before + 2);
  // A wakes 11 minutes later (wall clock) and goes on tracking.
  await a.evaluate(() => {
    const now = Date.now;
    Date.now = () => now.call(Date) + 11 * 60 * 1000;
  });
  assert.deepEqual(await a.evaluate(() => window.candor.track('page_view', { path: '/' })), { accepted: true });
  await a.evaluate(() => window.candor.flush());
  assert.equal(await counted(), before + 3, "A sent only the event tracked after waking, not B's two again");
  await context.close();
});

test('a live tab taken over by a tab whose wall clock runs 11 minutes ahead forgets the taken copy at once: its events count once', async () => {
  const context = await chrome.newContext();
  const before = (await counted()) || 0;
  const { p: a, tab } = await trackingTab(context, 2);
  // Tab B's Date runs 11 minutes ahead (a page's fake timers, a time-mocking library): A's
  // heartbeat looks silent to it, so it takes A's two events and sends them.
  const b = await context.newPage();
  await b.addInitScript(() => {
    const RealDate = Date;
    const ahead = 11 * 60 * 1000;
    window.Date = class extends RealDate {
      constructor(...a) { if (a.length) super(...a); else super(RealDate.now() + ahead); }
      static now() { return RealDate.now() + ahead; }
    };
  });
  await b.goto(server.url + '/qa.html');
  await h.ready(b);
  await b.evaluate(() => window.candor.flush());
  assert.equal(await counted(), before + 2, 'taken over and sent');
  assert.equal(await b.evaluate((tab) => /page_view/.test(localStorage.getItem('candor.open.' + tab) || ''), tab), false,
    'no copy of them is stored again under A');
  // A's clock saw no gap: it learns from storage that its copy was taken.
  assert.deepEqual(await a.evaluate(() => window.candor.track('page_view', { path: '/' })), { accepted: true });
  await a.evaluate(() => window.candor.flush());
  assert.equal(await counted(), before + 3, "A sent only its new event, not B's two again");
  await context.close();
});

test('a live tab is not taken over by another whose QA clock runs ahead: its events count once', async () => {
  const context = await chrome.newContext();
  const before = (await counted()) || 0;
  const { p: b, tab } = await trackingTab(context, 1);
  const a = await h.page(context);
  await a.goto(server.url + '/qa.html');
  await h.ready(a);
  await a.evaluate(() => window.candor.qa.advance(700));
  assert.deepEqual(await keys(a, tab), { open: true, alive: true }, 'heartbeats are wall-clock time: the live tab is not silent');
  await b.evaluate(() => window.candor.flush());
  assert.equal(await counted(), before + 1);
  await context.close();
});

/**
 * Runs in the page: the site fills localStorage to its quota (a real
 * QuotaExceededError), down to the last character (a new key costs its name
 * too, so the last few go to growing one key made while there was room).
 * Returns the error a one-character write then gets.
 */
function fillStorage() {
  if (localStorage.getItem('site.pad') === null) localStorage.setItem('site.pad', '');
  const prefix = `site.${Math.random().toString(36).slice(2)}.`;
  let n = 0;
  for (let size = 1 << 20; size >= 1; size >>= 1) {
    const chunk = 'x'.repeat(size);
    try { for (;;) localStorage.setItem(prefix + n++, chunk); } catch (e) { /* full at this size */ }
  }
  let pad = localStorage.getItem('site.pad');
  try { for (;;) { localStorage.setItem('site.pad', pad + 'x'); pad += 'x'; } } catch (e) { /* full */ }
  try { localStorage.setItem('site.probe', 'x'); return false; } catch (e) { return e.name; }
}

test('storage full after the decision: accepted events are kept in memory and sent; one storage error says so', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(server.url + '/');
  await h.ready(p);
  // (By the API: its record, "method":"api", is no longer than the withdrawal's below.)
  await p.evaluate(() => window.candor.acceptAll());
  assert.equal(await p.evaluate(fillStorage), 'QuotaExceededError');
  const before = (await (await fetch(`${server.url}/v1/aggregates?site=test.example&event=page_view`)).json()).count || 0;
  const answers = await p.evaluate(() => ['/', '/shop', '/'].map((path) => window.candor.track('page_view', { path }).accepted));
  assert.deepEqual(answers, [true, true, true]);
  assert.equal(await p.evaluate(() => window.candor.inspect().open.length), 1, 'the open aggregate is in memory and shown');
  // flush() closes the window into a report storage refuses too: it is sent from memory.
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 1 });
  const after = await (await fetch(`${server.url}/v1/aggregates?site=test.example&event=page_view`)).json();
  assert.equal(after.count - before, 3);
  const errors = (await h.events(p, 'error')).map((e) => e.detail);
  assert.equal(errors.length, 1, 'said once, not on every track');
  assert.equal(errors[0].code, 'storage');
  assert.match(errors[0].message, /kept in memory/);
  // A withdrawal storage cannot hold (its record is longer) holds for the page:
  // the older stored grant does not win it back at the next tick.
  await p.evaluate(fillStorage); // the sends freed some room
  await p.evaluate(() => window.candor.withdraw());
  assert.match(await p.evaluate(() => localStorage.getItem('candor.consent')), /"stats":true/, 'the stored record is the old one');
  await p.evaluate(() => window.candor.flush());
  const c = await h.consent(p);
  assert.deepEqual([c.purposes.stats, c.purposes.video], [false, false]);
  assert.equal(await p.evaluate(() => window.candor.track('page_view', { path: '/' }).reason), 'no-consent');
  await context.close();
});

test('no Web Locks and storage refusing every write: reports still go out while the page is open, each once', async () => {
  const context = await chrome.newContext();
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined });
    Storage.prototype.setItem = function () { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); };
  });
  const p = await h.page(context);
  const posts = [];
  p.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/v1/reports')) posts.push(JSON.parse(r.postData()).report_id); });
  await p.goto(server.url + '/');
  await h.ready(p);
  await p.evaluate(() => window.candor.acceptAll());
  const before = (await (await fetch(`${server.url}/v1/aggregates?site=test.example&event=page_view`)).json()).count || 0;
  await p.evaluate(() => { window.candor.track('page_view', { path: '/' }); window.candor.track('page_view', { path: '/shop' }); });
  // No lease can be stored, and there is no lock to take: this tab uploads anyway.
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 1 });
  const after = (await (await fetch(`${server.url}/v1/aggregates?site=test.example&event=page_view`)).json()).count;
  assert.equal(after - before, 2);
  assert.equal(new Set(posts).size, posts.length, 'no report posted twice');
  assert.deepEqual(await p.evaluate(() => window.candor.inspect().pending), []);
  await context.close();
});

test('storage full before any decision: a decision held in memory survives a resume (no record is not an erase)', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(server.url + '/');
  await h.ready(p);
  await p.evaluate(fillStorage);
  await p.evaluate(() => window.candor.grant(['stats']));
  assert.equal(await p.evaluate(() => localStorage.getItem('candor.consent')), null, 'storage refused the record');
  await p.evaluate(() => document.dispatchEvent(new Event('resume')));
  await p.evaluate(() => window.candor.flush());
  const c = await h.consent(p);
  assert.deepEqual([c.decided, c.purposes.stats], [true, true]);
  await context.close();
});

/** The collector's page_view count once it is `n`, or after 5 s (what was sent as a page went away lands a little later). */
async function countReaches(n) {
  const deadline = Date.now() + 5000;
  while ((await counted()) !== n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return counted();
}

/** Grants stats (through the API) and tracks `n` page views at `path`. */
const trackN = (p, n, path) => p.evaluate(([n, path]) => {
  window.candor.grant(['stats']);
  for (let i = 0; i < n; i++) window.candor.track('page_view', { path });
}, [n, path]);

/**
 * Tab A on Candor's page (`first` runs there), then on a page without Candor,
 * opens tab B, which copies A's session and so its tab id (leaving cleared
 * A's live mark); `between` runs in B; then A comes back to Candor's page.
 */
async function sharedSession(context, first, between) {
  const a = await h.page(context);
  await a.goto(server.url + '/');
  await h.ready(a);
  await first(a);
  await a.goto(server.url + '/plain.html');
  const [b] = await Promise.all([context.waitForEvent('page'), a.evaluate((u) => { window.open(u + '/'); }, server.url)]);
  await h.ready(b);
  await between(b);
  await a.goto(server.url + '/');
  await h.ready(a);
  return { a, b };
}

test('a window opened from a page of the site without Candor, then the opener back on Candor: two tab ids, every event counted once', async () => {
  const context = await chrome.newContext();
  const before = (await counted()) || 0;
  const { a, b } = await sharedSession(context, (a) => trackN(a, 3, '/'), (b) => trackN(b, 2, '/shop'));
  const ids = await Promise.all([a, b].map((p) => p.evaluate(() => sessionStorage.getItem('candor.tab'))));
  assert.notEqual(ids[0], ids[1], 'the opener, back, sees the other tab running with its old id and takes a new one');
  await trackN(a, 4, '/');
  await trackN(b, 1, '/shop');
  await a.evaluate(() => window.candor.flush());
  await b.evaluate(() => window.candor.flush());
  assert.equal(await counted(), before + 10);
  await context.close();
});

test('two live tabs that ended up with one id (neither had stored anything): the first write under it makes the other take a new id', async () => {
  const context = await chrome.newContext();
  const before = (await counted()) || 0;
  const { a, b } = await sharedSession(context, (a) => a.evaluate(() => window.candor.grant(['stats'])), async () => {});
  const id = () => Promise.all([a, b].map((p) => p.evaluate(() => sessionStorage.getItem('candor.tab'))));
  assert.equal(new Set(await id()).size, 1, 'no heartbeat yet: both took the id');
  await trackN(b, 2, '/shop');
  await trackN(a, 3, '/');
  assert.equal(new Set(await id()).size, 2, 'the other tab\'s write moved this one to a new id');
  await a.evaluate(() => window.candor.flush());
  await b.evaluate(() => window.candor.flush());
  assert.equal(await counted(), before + 5);
  await context.close();
});

test('an event tracked in a visibilitychange listener while the tab closes (after pagehide) is sent then, not left for an hour', async () => {
  const context = await chrome.newContext();
  const before = (await counted()) || 0;
  const p = await h.page(context);
  await p.goto(server.url + '/');
  await h.ready(p);
  await p.evaluate(() => document.addEventListener('visibilitychange', () => window.candor.track('page_view', { path: '/shop' })));
  await trackN(p, 2, '/');
  await p.close({ runBeforeUnload: true });
  assert.equal(await countReaches(before + 3), before + 3);
  await context.close();
});

test('reports recorded while the clock ran 9 days ahead, then the clock set right: still sent, in a window that is not in the future', async () => {
  const context = await chrome.newContext();
  const before = (await counted()) || 0;
  const p = await h.page(context);
  await p.goto(server.url + '/');
  await h.ready(p);
  // Decided with the clock right (a record dated in the future would be asked again).
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.clock.install({ time: Date.now() + 9 * 86400e3 });
  await p.route('**/v1/reports', (route) => route.fulfill({ status: 500, body: '{"error":"down"}' }));
  await trackN(p, 3, '/');
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 0 });
  await p.clock.setSystemTime(Date.now());
  await p.unroute('**/v1/reports');
  // Sent by the reload's pagehide, or by the next page's flush.
  await p.reload();
  await h.ready(p);
  await p.evaluate(() => window.candor.flush());
  assert.equal(await countReaches(before + 3), before + 3);
  assert.deepEqual(await p.evaluate(() => window.candor.inspect().pending), []);
  await context.close();
});

/** Flushes one report and returns the report bodies the page posted meanwhile. */
async function flushOne(p) {
  const sent = [];
  const seen = (r) => { if (new URL(r.url()).pathname === '/v1/reports') sent.push(JSON.parse(r.postData())); };
  p.on('request', seen);
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 1 });
  p.off('request', seen);
  return sent;
}

test('a clock stepped back a few seconds after a window opened: its report keeps the window its events were counted in', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(server.url + '/');
  await h.ready(p);
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.evaluate(() => window.candor.flush());
  // 3 s into a window (the config's windows are minutes; the clock not ahead of the collector's), then set
  // back 10 s (an NTP correction).
  const opened = Math.floor(Date.now() / 60e3) * 60e3;
  await p.clock.install({ time: opened + 3000 });
  await trackN(p, 3, '/');
  assert.deepEqual(await p.evaluate(() => window.candor.inspect().open.map((o) => o.start)), [opened / 1000]);
  await p.clock.setSystemTime(opened - 7000);
  const sent = await flushOne(p);
  assert.deepEqual(sent.map((r) => r.window.start), [opened / 1000], 'not moved a day back');
  await context.close();
});

test('a day-long window flushed before noon UTC is sent as that day, not moved back or dropped', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  // 01:00 UTC yesterday: the window (that whole day) ends 23 hours after the page's clock.
  const day = (Math.floor(Date.now() / 86400e3) - 1) * 86400e3;
  await p.clock.install({ time: day + 3600e3 });
  await p.goto(server.url + '/daily.html');
  await h.ready(p);
  await p.evaluate(() => window.candor.grant(['stats']));
  await trackN(p, 2, '/');
  const sent = await flushOne(p);
  assert.deepEqual(sent.map((r) => [r.window.start, r.window.seconds]), [[day / 1000, 86400]]);
  await context.close();
});

test('when the page\'s fetch refuses keepalive, reports wait for the next page: never sendBeacon (it would carry the page URL as Referer, and cookies)', async () => {
  const context = await chrome.newContext();
  const before = (await counted()) || 0;
  const p = await h.page(context);
  await p.goto(server.url + '/nokeepalive.html?email=alice%40example.com');
  await h.ready(p);
  await trackN(p, 3, '/');
  await p.goto(server.url + '/plain.html');
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await counted()) || 0, before, 'nothing left by beacon when the page was left');
  await p.goto(server.url + '/');
  await h.ready(p);
  await p.evaluate(() => window.candor.flush());
  assert.equal(await counted(), before + 3, 'the next page sends it');
  await context.close();
});
