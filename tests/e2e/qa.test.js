// QA mode: presets only where the config allows them; a deterministic clock.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

let server, chrome;
test.before(async () => {
  const www = h.site({
    'qa-on.json': h.config({ qa: true, aggregation: { window_seconds: 60, noise: { epsilon: 1 } } }),
    'qa-host.json': h.config({ qa: { hosts: ['127.0.0.1'] } }),
    'qa-other-host.json': h.config({ qa: { hosts: ['staging.example'] } }),
    'qa-off.json': h.config(),
    'on.html': h.html({ attrs: 'data-config="/qa-on.json" async' }),
    'host.html': h.html({ attrs: 'data-config="/qa-host.json" async' }),
    'other.html': h.html({ attrs: 'data-config="/qa-other-host.json" async' }),
    'off.html': h.html({ attrs: 'data-config="/qa-off.json" async' }),
    // Reports kept in the browser only (no collector).
    'qa-local.json': h.config({ qa: true, collector: null }),
    'local.html': h.html({ attrs: 'data-config="/qa-local.json" async' }),
    // A site that tracks as soon as consent is given, on candor:consent.
    'listen.js': `window.__seen = [];
document.addEventListener('candor:consent', function (e) {
  __seen.push({ detail: e.detail.decided, now: candor.consent().decided, qa: typeof candor.qa, track: candor.track('page_view', { path: '/' }) });
});`,
    'listen.html': h.html({ head: '<script src="/listen.js"></script>', attrs: 'data-config="/qa-on.json" async' }),
  });
  server = await h.collector({ www });
  chrome = await h.browser();
});
test.after(async () => { await chrome?.close(); await server?.stop(); });

async function open(url, preset) {
  const context = await chrome.newContext();
  if (preset) await context.addInitScript((p) => { window.candorPreset = p; }, preset);
  const p = await h.page(context);
  await p.goto(server.url + url);
  await h.ready(p);
  return { context, p };
}

test('a report that waited past its purpose\'s retention_days (the collector unreachable all along) is dropped and counted, not sent', async () => {
  const { context, p } = await open('/on.html?candor=grant:stats');
  const posts = [];
  await p.route('**/v1/reports', (route) => { posts.push(route.request().url()); return route.abort('failed'); });
  assert.deepEqual(await p.evaluate(() => window.candor.track('page_view', { path: '/' })), { accepted: true });
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 0 });
  const before = await p.evaluate(() => window.candor.inspect());
  assert.equal(before.pending.length, 1);
  // 29 days on (stats keeps 30): still waiting, still tried.
  await p.evaluate(() => window.candor.qa.advance(29 * 86400));
  assert.equal((await p.evaluate(() => window.candor.inspect())).pending.length, 1);
  // 31 days on: dropped, counted, and no longer tried.
  await p.evaluate(() => window.candor.qa.advance(2 * 86400));
  await p.evaluate(() => window.candor.flush());
  const after = await p.evaluate(() => window.candor.inspect());
  assert.deepEqual(after.pending, []);
  assert.equal(after.dropped, before.dropped + 1);
  const tries = posts.length;
  await p.unroute('**/v1/reports');
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 0 });
  assert.ok(tries >= 2, `tried while it could still be sent: ${tries}`);
  await context.close();
  // Without a collector, reports stay in this browser: until their purpose's retention is past.
  const local = await open('/local.html?candor=grant:stats');
  await local.p.evaluate(() => window.candor.track('page_view', { path: '/' }));
  await local.p.evaluate(() => window.candor.flush());
  const kept = await local.p.evaluate(() => window.candor.inspect());
  assert.equal(kept.pending.length, 1);
  await local.p.evaluate(() => window.candor.qa.advance(31 * 86400));
  await local.p.evaluate(() => window.candor.flush());
  const gone = await local.p.evaluate(() => window.candor.inspect());
  assert.deepEqual([gone.pending.length, gone.dropped], [0, kept.dropped + 1]);
  await local.context.close();
});

test('presets apply where qa allows the host, and say so once', async () => {
  for (const url of ['/on.html?candor=grant:video', '/host.html?candor=grant:video']) {
    const { context, p } = await open(url);
    const c = await h.consent(p);
    assert.equal(c.decided, true, url);
    assert.deepEqual(c.purposes, { necessary: true, stats: false, video: true }, url);
    assert.equal(await h.prompt(p).isVisible(), false);
    assert.equal(p.logs.filter((l) => /QA preset active/.test(l.text)).length, 1);
    await context.close();
  }
  const { context, p } = await open('/on.html', { purposes: { stats: true }, decided: true });
  assert.deepEqual((await h.consent(p)).purposes, { necessary: true, stats: true, video: false });
  await context.close();
  // The required purpose may be named, as grant() takes it: granted anyway.
  for (const [url, preset] of [['/on.html?candor=grant:necessary,video'], ['/on.html', { purposes: { necessary: true, video: true } }]]) {
    const named = await open(url, preset);
    const c = await h.consent(named.p);
    assert.equal(c.decided, true, url);
    assert.deepEqual(c.purposes, { necessary: true, stats: false, video: true }, url);
    assert.deepEqual(await h.events(named.p, 'error'), []);
    await named.context.close();
  }
});

test("a preset's decision: candor:consent listeners see the same consent(), can track, and have candor.qa", async () => {
  const { context, p } = await open('/listen.html?candor=accept-all');
  assert.deepEqual(await p.evaluate(() => window.__seen), [{ detail: true, now: true, qa: 'object', track: { accepted: true } }]);
  await context.close();
});

test('presets are ignored when qa is off or the host does not match', async () => {
  for (const url of ['/off.html?candor=accept-all', '/other.html?candor=accept-all']) {
    const { context, p } = await open(url, { purposes: { stats: true, video: true } });
    const c = await h.consent(p);
    assert.equal(c.decided, false, url);
    assert.deepEqual(c.purposes, { necessary: true, stats: false, video: false }, url);
    assert.equal(await h.prompt(p).isVisible(), true);
    assert.equal(await p.evaluate(() => window.candor.qa), undefined, 'no QA API either');
    assert.equal(p.logs.filter((l) => /QA preset was ignored/.test(l.text)).length, 1);
    await context.close();
  }
});

test('an invalid preset is an error naming the problem, and grants nothing', async () => {
  for (const [query, message] of [['?candor=grant:ads', 'invalid QA preset: ?candor="grant:ads": unknown purpose "ads"'],
    ['?candor=accept-all&candor=reject-all', 'invalid QA preset: ?candor= is given 2 times ("accept-all", "reject-all"): give it once']]) {
    const { context, p } = await open('/on.html' + query);
    const ev = await h.events(p, 'error');
    assert.deepEqual(ev.map((e) => [e.detail.code, e.detail.message]), [['qa-preset', message]]);
    assert.equal((await h.consent(p)).decided, false);
    await context.close();
  }
});

test('a decision that reaches expires_days while the page is open lapses there too: asked again, nothing more recorded', async () => {
  const { context, p } = await open('/on.html?candor=accept-all');
  assert.equal((await h.consent(p)).purposes.stats, true);
  const out = await p.evaluate(async () => {
    const before = window.candor.track('page_view', { path: '/' });
    // The tab stays open for half a year (expires_days: 182, the default): its wall clock moves on.
    const now = Date.now;
    Date.now = () => now.call(Date) + (182 * 86400 + 60) * 1000;
    // Fields the loader cannot read get the reason a readable call would: consent first.
    const badFields = window.candor.track('page_view', 5);
    const consent = window.candor.consent();
    const after = window.candor.track('page_view', { path: '/' });
    const events = window.__events.filter((e) => e.name === 'consent').map((e) => e.detail.decided);
    return { before, badFields, consent, after, events, open: window.candor.inspect().open.length };
  });
  assert.deepEqual(out.before, { accepted: true });
  assert.deepEqual(out.badFields, { accepted: false, reason: 'no-consent' });
  assert.equal(out.consent.decided, false);
  assert.deepEqual(out.consent.purposes, { necessary: true, stats: false, video: false });
  assert.deepEqual(out.after, { accepted: false, reason: 'no-consent' });
  assert.equal(out.open, 0, 'nothing gathered for the lapsed purposes');
  assert.equal(out.events.at(-1), false, 'candor:consent said so');
  await h.prompt(p).waitFor({ state: 'visible' });
  await context.close();

  // The same when localStorage refuses every write: the decision, held in memory only, lapses too.
  const blocked = await chrome.newContext();
  await blocked.addInitScript(() => {
    Storage.prototype.setItem = function () { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); };
  });
  const q = await h.page(blocked);
  await q.goto(server.url + '/on.html?candor=accept-all');
  await h.ready(q);
  assert.equal((await h.consent(q)).purposes.stats, true, 'held in memory');
  const lapsed = await q.evaluate(() => {
    const now = Date.now;
    Date.now = () => now.call(Date) + (182 * 86400 + 60) * 1000;
    return { consent: window.candor.consent(), track: window.candor.track('page_view', { path: '/' }) };
  });
  assert.equal(lapsed.consent.decided, false);
  assert.deepEqual(lapsed.track, { accepted: false, reason: 'no-consent' });
  await blocked.close();
});

test('qa.idle() and flush() wait for the receipt of a decision just made: the collector has it when they resolve', async () => {
  const { context, p } = await open('/on.html');
  // A collector that takes a moment to store a receipt (the request still reaches the real one).
  await context.route('**/v1/receipts', async (route) => { await new Promise((r) => setTimeout(r, 300)); await route.continue(); });
  for (let i = 0; i < 4; i++) {
    const id = await p.evaluate(async (i) => {
      if (i % 2) window.candor.deny(['stats']); else window.candor.grant(['stats']);
      if (i < 2) await window.candor.qa.idle(); else await window.candor.flush();
      return window.candor.inspect().receipts.at(-1).receipt_id;
    }, i);
    assert.equal((await fetch(`${server.url}/v1/receipts/${id}`)).status, 200, `receipt ${i} (${i < 2 ? 'idle' : 'flush'})`);
  }
  await context.close();
});

test('qa.idle() waits for the reports sent as the page was hidden: the collector has them when it resolves', async () => {
  const { context, p } = await open('/on.html?candor=grant:stats');
  // A collector that takes a moment to answer (the request still reaches the real one).
  await context.route('**/v1/reports', async (route) => { await new Promise((r) => setTimeout(r, 800)); await route.continue(); });
  const out = await p.evaluate(async () => {
    window.candor.qa.noise(false);
    window.candor.track('page_view', { path: '/' });
    // Hidden (another tab, another app): the open window goes out with keepalive.
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
    const id = window.candor.inspect().pending[0].report_id;
    await window.candor.qa.idle();
    return { id, pending: window.candor.inspect().pending.length };
  });
  assert.equal(out.pending, 0, 'acknowledged by the time idle() resolved');
  assert.equal(await (await fetch(`${server.url}/v1/reports`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify((await p.evaluate(() => window.candor.inspect().history.at(-1).report))) })).status, 200, 'the collector already had it');
  await context.close();
});

test('with noise switched off in QA, the default bound of 100 per window (noise calibration) no longer caps counts', async () => {
  const { context, p } = await open('/on.html?candor=grant:stats');
  const out = await p.evaluate(async () => {
    window.candor.qa.noise(false);
    const answers = [];
    for (let i = 0; i < 150; i++) answers.push(window.candor.track('page_view', { path: '/' }));
    const open = window.candor.inspect().open.find((x) => x.purpose === 'stats');
    await window.candor.qa.advance(60);
    const sent = window.candor.inspect().history.map((h) => h.report).find((r) => r.purpose === 'stats');
    return { capped: answers.filter((a) => a.capped).length, open: open.events.page_view.count, sent: sent.events.page_view.count, noise: sent.noise };
  });
  assert.deepEqual(out, { capped: 0, open: 150, sent: 150, noise: null });
  await context.close();
});

test('qa.noise takes true or false only; a qa.advance of anything but a number from 0 to ten years rejects its promise (TypeError, RangeError), never throws, and moves nothing', async () => {
  const { context, p } = await open('/on.html?candor=accept-all');
  const out = await p.evaluate(async () => {
    const qa = window.candor.qa;
    const thrown = (f) => { try { f(); return null; } catch (e) { return e.name; } };
    // The QA clock's lead over the wall clock (both whole seconds: read together, they tick together).
    const lead = () => qa.now() - Math.floor(Date.now() / 1000);
    const before = lead();
    const advance = [];
    // Not numbers (the binding would have made 0, 1, 5 and 5 of them), then numbers out of range.
    for (const v of [null, true, '5', [5], undefined, {}, -5, -0.5, NaN, Infinity, 315360001]) {
      try { advance.push(await qa.advance(v).then(() => 'resolved', (e) => `rejected ${e.name}`)); } catch (e) { advance.push(`threw ${e.name}`); }
    }
    return { noise: ['false', 0, undefined].map((v) => thrown(() => qa.noise(v))), ok: thrown(() => qa.noise(false)), advance, moved: lead() - before };
  });
  assert.deepEqual(out, { noise: ['TypeError', 'TypeError', 'TypeError'], ok: null,
    advance: [...Array(6).fill('rejected TypeError'), ...Array(5).fill('rejected RangeError')], moved: 0 });
  await context.close();
});

test('qa.advance closes windows exactly; noise can be switched off', async () => {
  const { context, p } = await open('/on.html?candor=accept-all');
  const out = await p.evaluate(async () => {
    const qa = window.candor.qa;
    qa.noise(false);
    // Start at the beginning of a fresh window, so the wall clock cannot
    // close it under the test (it has 60 s of real time from here).
    const t0 = qa.now();
    await qa.advance(60 - (t0 % 60));
    const aligned = qa.now();
    window.candor.track('page_view', { path: '/' });
    window.candor.track('page_view', { path: '/shop' });
    const start = window.candor.inspect().open[0].start;
    const toEnd = start + 60 - qa.now();
    const before = qa.reports().length;
    // One second before the window ends nothing closes; at its end it does.
    const early = toEnd > 2 ? await qa.advance(toEnd - 2) : { sent: 0 };
    const stillOpen = window.candor.inspect().open.length;
    const atEnd = await qa.advance(toEnd > 2 ? 2 : toEnd);
    await qa.idle();
    return { t0, aligned, before, early, stillOpen, atEnd, events: window.__events.filter((e) => e.name === 'report').map((e) => e.detail) };
  });
  assert.ok(out.aligned >= out.t0 && out.aligned % 60 < 5, `qa.now() moved to a window start: ${JSON.stringify(out)}`);
  assert.equal(out.before, 0);
  assert.equal(out.early.sent, 0);
  assert.equal(out.stillOpen, 1);
  assert.equal(out.atEnd.sent, 1);
  assert.equal(out.events.length, 1);
  assert.equal(out.events[0].noise, null, 'noise off: exact counts');
  assert.equal(out.events[0].events.page_view.count, 2);
  await context.close();
});
