// Visitors own their data: the "Your data" view says exactly what inspect()
// says, export downloads it, erase leaves nothing behind (here and, for
// receipts, at the collector), and every decision, and only a decision,
// leaves a consent receipt whose text hash matches the texts the collector
// keeps for the revision.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness');
const Ajv2020 = require('ajv/dist/2020');

const receiptSchema = new Ajv2020({ allErrors: true, strict: true })
  .compile(JSON.parse(fs.readFileSync(path.join(h.ROOT, 'pkg-config/receipt.schema.json'), 'utf8')));

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'";
const AXE = path.join(h.ROOT, 'node_modules/axe-core/axe.min.js');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RECEIPT_KEYS = ['choices', 'language', 'method', 'receipt_id', 'revision', 'sdk', 'site', 'texts_sha256', 'timestamp'];

let server, chrome, www;
test.before(async () => {
  const base = h.config({ aggregation: { window_seconds: 3600 } });
  base.purposes[2] = { ...base.purposes[2], cookies: ['_vid*', 'track_me'] };
  www = h.site({
    'candor.config.json': base,
    'index.html': h.html(),
    'local.config.json': { ...base, collector: null },
    'keyed.config.json': { ...base, collector: '/v1/reports?key=k1' },
    'keyed.html': h.html({ attrs: 'data-config="/keyed.config.json" async' }),
    'local.html': h.html({ attrs: 'data-config="/local.config.json" async' }),
    'csp.html': h.html({ head: `<meta http-equiv="Content-Security-Policy" content="${CSP}">` }),
    // The same site after an edit broke its config: no purposes.
    'broken.config.json': { ...base, purposes: [] },
    'broken.html': h.html({ attrs: 'data-config="/broken.config.json" async' }),
    // An event of the required purpose, at most twice per window.
    'need.config.json': { ...base, events: { ...base.events, heartbeat: { purpose: 'necessary', max_per_window: 2 } } },
    'need.html': h.html({ attrs: 'data-config="/need.config.json" async' }),
    'plain.html': '<!doctype html><title>no Candor here</title><p>plain',
    // Purpose ids that read like the data view's own test ids, and placeholders for "x b" and "x-b".
    'clash.config.json': h.config({ purposes: ['storage', 'receipts', 'view', 'back', 'x', 'b', 'x-b', 'waiting-x', 'sent-x', 'purpose-x']
      .map((id, i) => ({ id, required: i === 0, label: `Purpose ${id}`, explain: `We use ${id}.`, benefit: `You get ${id}.` })), events: {} }),
    'clash.html': h.html({ attrs: 'data-config="/clash.config.json" async',
      body: `<iframe title="one" data-candor-purpose="x b" data-src="/plain.html" data-candor-placeholder></iframe>
<iframe title="two" data-candor-purpose="x-b" data-src="/plain.html" data-candor-placeholder></iframe>` }),
    // A history of one day: its empty line says "day", not "1 days".
    'day.config.json': { ...base, history_days: 1 },
    // A site the collector does not accept (its --sites list): every receipt is refused.
    'foreign.html': h.html({ attrs: 'data-config="/foreign.config.json" async' }),
    'foreign.config.json': { ...base, site: 'elsewhere.example' },
    'day.html': h.html({ attrs: 'data-config="/day.config.json" async' }),
  });
  server = await h.collector({ www });
  chrome = await h.browser();
});
test.after(async () => { await chrome?.close(); await server?.stop(); });

const byId = (p, id) => p.locator(`[data-testid="${id}"]`);
const inspect = (p) => p.evaluate(() => window.candor.inspect());

async function open(file = '/') {
  const context = await chrome.newContext({ reducedMotion: 'reduce' });
  const p = await h.page(context);
  await p.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  p.receipts = [];
  p.on('request', (r) => {
    if (r.url().includes('/v1/receipts') && r.method() === 'POST') p.receipts.push(JSON.parse(r.postData()));
  });
  await p.goto(server.url + file);
  await h.ready(p);
  return { context, p };
}

/** Waits until every receipt kept in the browser was acknowledged by the collector. */
async function acknowledged(p, n) {
  await p.waitForFunction((n) => {
    const r = window.candor.inspect().receipts;
    return r.length === n && r.every((x) => x.acknowledged);
  }, n);
}

/** RFC 8785-style canonical JSON, as the collector and the SDK write it. */
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const texts = (loc) => loc.evaluateAll((els) => els.map((e) => e.textContent));

test('the data view lists exactly what inspect() says, is keyboard operable and axe-clean', async () => {
  const { context, p } = await open();
  await p.evaluate(() => window.candor.grant(['stats']));
  await acknowledged(p, 1);
  await p.evaluate(() => { for (let i = 0; i < 3; i++) window.candor.track('page_view', { path: '/shop', load_ms: 50 }); });
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 1 });
  await p.evaluate(() => {
    window.candor.track('page_view', { path: '/', load_ms: 500 });
    window.candor.track('page_view', { path: '/shop', load_ms: 50 });
  });

  // Reached from the preferences layer, with the keyboard only.
  await p.evaluate(() => window.candor.open());
  await byId(p, 'candor-save').waitFor({ state: 'visible' });
  await byId(p, 'candor-your-data').focus();
  await p.keyboard.press('Enter');
  const view = byId(p, 'candor-data-view');
  await view.waitFor({ state: 'visible' });
  const state = await inspect(p);

  // Stored keys: one line per key, with its size, and nothing else.
  const keys = await byId(p, 'candor-data-storage').locator('li[data-key]').evaluateAll((els) => els.map((e) => [e.dataset.key, e.textContent]));
  // The decision's durable copy (IndexedDB) is listed too, apart from the storage keys.
  assert.deepEqual(state.durable, { key: 'IndexedDB candor', bytes: state.storage.find((s) => s.key === 'candor.consent').bytes });
  assert.deepEqual(keys.map((k) => k[0]).sort(), [...state.storage, state.durable].map((s) => s.key).sort());
  for (const s of [...state.storage, state.durable]) {
    const line = keys.find((k) => k[0] === s.key)[1];
    assert.ok(line.includes(`(${s.bytes}\u00a0bytes)`), `${line} names ${s.bytes} bytes`);
  }
  assert.ok(state.storage.some((s) => s.key === 'candor.receipts') && state.storage.some((s) => s.key === 'candor.history'));

  // Waiting: the open aggregate, in a plain sentence with its window.
  assert.equal(state.open.length, 1);
  assert.equal(state.pending.length, 0);
  const waiting = await texts(byId(p, 'candor-data-waiting-stats').locator('li'));
  assert.equal(waiting.length, 1, JSON.stringify(waiting));
  assert.match(waiting[0], /^Will be sent as totals for \d\d:\d\d–\u2060\d\d:\d\d: 2 page views, grouped by path, with load ms in ranges\.$/);
  // Sent: the acknowledged report, once.
  assert.equal(state.history.length, 1);
  assert.equal(state.history[0].report.events.page_view.count, 3);
  const sent = await texts(byId(p, 'candor-data-sent-stats').locator('li'));
  assert.equal(sent.length, 1);
  assert.match(sent[0], /^Sent on \d{4}-\d\d-\d\d at \d\d:\d\d as totals for \d\d:\d\d–\u2060\d\d:\d\d: 3 page views, grouped by path, with load ms in ranges\.$/);
  // A purpose with nothing says so.
  assert.deepEqual(await texts(byId(p, 'candor-data-waiting-video').locator('li')), ['Nothing is waiting to be sent.']);
  assert.deepEqual(await texts(byId(p, 'candor-data-sent-video').locator('li')), ['Nothing was sent in the last 30 days.']);
  // Opening the view changed nothing.
  assert.deepEqual(await inspect(p), state);

  // axe-core, light and dark.
  await p.addScriptTag({ path: AXE });
  for (const colorScheme of ['light', 'dark']) {
    await p.emulateMedia({ colorScheme });
    const violations = await p.evaluate(async () => {
      const r = await window.axe.run({ include: [['candor-consent']] }, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] });
      return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
    assert.deepEqual(violations, [], colorScheme);
  }

  // Tab stays inside and reaches the buttons; Esc goes back to the preferences.
  const reached = [];
  for (let i = 0; i < 5; i++) {
    await p.keyboard.press('Tab');
    reached.push(await p.evaluate(() => document.querySelector('candor-consent').shadowRoot.activeElement?.dataset.testid));
  }
  for (const id of ['candor-export', 'candor-erase', 'candor-data-back', 'candor-close']) assert.ok(reached.includes(id), `${id} in ${reached}`);
  await p.keyboard.press('Escape');
  await byId(p, 'candor-save').waitFor({ state: 'visible' });
  assert.ok(await view.isHidden());

  // And candor.open("data") opens it directly; an unknown view is an error naming it.
  await p.evaluate(() => window.candor.open('data'));
  await view.waitFor({ state: 'visible' });
  // While open, it follows the state: a tracked event, then a flush.
  await p.evaluate(() => window.candor.track('page_view', { path: '/', load_ms: 5 }));
  const waitingNow = byId(p, 'candor-data-waiting-stats').locator('li');
  await waitingNow.filter({ hasText: /: 3 page views/ }).waitFor();
  assert.equal((await inspect(p)).open[0].events.page_view.count, 3);
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 1 });
  await waitingNow.filter({ hasText: 'Nothing is waiting to be sent.' }).waitFor();
  assert.equal(await byId(p, 'candor-data-sent-stats').locator('li').count(), (await inspect(p)).history.length);
  assert.equal((await inspect(p)).history.length, 2);
  const err = await p.evaluate(() => { try { window.candor.open('dat'); return null; } catch (e) { return e.message; } });
  assert.match(err, /view must be "preferences" or "data", not "dat"/);
  await context.close();
});

test('export downloads candor-export-<site>-<date>.json holding inspect() plus receipts, under a strict CSP', async () => {
  const { context, p } = await open('/csp.html');
  await byId(p, 'candor-accept-all').click();
  await acknowledged(p, 1);
  await p.evaluate(() => window.candor.track('purchase', { amount: 42 }));
  await p.evaluate(() => window.candor.open('data'));
  const [download] = await Promise.all([p.waitForEvent('download'), byId(p, 'candor-export').click()]);
  const today = new Date().toISOString().slice(0, 10);
  assert.equal(download.suggestedFilename(), `candor-export-test.example-${today}.json`);
  const file = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  const state = await inspect(p);
  for (const k of ['consent', 'storage', 'pending', 'open', 'dropped', 'history', 'receipts']) {
    assert.deepEqual(file[k], state[k], k);
  }
  assert.equal(file.site, 'test.example');
  assert.equal(file.receipts.length, 1);
  assert.deepEqual(file.receipts[0].choices, { necessary: true, stats: true, video: true });
  assert.equal(file.open[0].events.purchase.count, 1);
  assert.equal(file.consent.decided, true);
  assert.deepEqual(await p.evaluate(() => window.__csp), [], 'no CSP violation');
  await context.close();
});

test('erase leaves zero Candor keys and zero declared cookies, and deletes the receipt at the collector', async () => {
  const { context, p } = await open();
  await byId(p, 'candor-accept-all').click();
  await acknowledged(p, 1);
  const id = (await inspect(p)).receipts[0].receipt_id;
  assert.equal((await fetch(`${server.url}/v1/receipts/${id}`)).status, 200);
  await p.evaluate(() => {
    document.cookie = '_vid_session=1; path=/';
    document.cookie = 'track_me=1; path=/';
    document.cookie = 'site_pref=kept; path=/';
    window.candor.track('page_view', { path: '/' });
  });
  assert.ok((await inspect(p)).storage.length >= 3);

  await p.evaluate(() => window.candor.open('data'));
  const deleted = p.waitForResponse((r) => r.url().endsWith(`/v1/receipts/${id}`) && r.request().method() === 'DELETE');
  await byId(p, 'candor-erase').click();
  // It asks first: nothing is erased until "Yes, erase".
  await byId(p, 'candor-erase-confirm').waitFor({ state: 'visible' });
  assert.equal(await byId(p, 'candor-erase').getAttribute('aria-expanded'), 'true');
  assert.ok((await inspect(p)).storage.length >= 3, 'nothing erased by the first click');
  assert.equal((await h.consent(p)).decided, true);
  // Which changes come together (one MutationObserver batch each): the live region gets its words in
  // another batch than the one that shows the banner, or screen readers would not read them.
  await p.evaluate(() => {
    const r = document.querySelector('candor-consent').shadowRoot;
    window.__batches = [];
    new MutationObserver((records) => window.__batches.push(records.map((m) =>
      m.target.closest?.('[data-testid="candor-status"]') || m.target.parentNode?.dataset?.testid === 'candor-status' ? 'status-text'
        : m.type === 'attributes' && m.target.tagName === 'DIALOG' && m.attributeName === 'open' ? 'dialog-open' : ''))
    ).observe(r, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await byId(p, 'candor-erase-confirm').click();
  assert.equal((await deleted).status(), 204);
  // The banner says it is done, in a live region.
  const status = byId(p, 'candor-status');
  await p.waitForFunction(() => document.querySelector('candor-consent').shadowRoot.querySelector('[data-testid="candor-status"]').textContent !== '');
  const batches = await p.evaluate(() => window.__batches.map((b) => [...new Set(b.filter(Boolean))]).filter((b) => b.length));
  const spoken = batches.findIndex((b) => b.includes('status-text') && b.length === 1);
  assert.ok(spoken > 0 && batches.slice(0, spoken).some((b) => b.includes('dialog-open')), JSON.stringify(batches));
  await status.waitFor({ state: 'visible' });
  assert.equal(await status.getAttribute('role'), 'status');
  assert.equal(await status.textContent(), 'Your data was erased. Choose again whenever you like.');

  // The ids owed to the collector (candor.forget) go once it confirmed.
  await p.waitForFunction(() => localStorage.getItem('candor.forget') === null);
  const left = await p.evaluate(() => [...Object.keys(localStorage), ...Object.keys(sessionStorage)].filter((k) => k.startsWith('candor.')));
  assert.deepEqual(left, []);
  assert.equal(await p.evaluate(() => document.cookie), 'site_pref=kept');
  assert.equal((await fetch(`${server.url}/v1/receipts/${id}`)).status, 404);
  await h.prompt(p).waitFor({ state: 'visible' });
  assert.ok(await byId(p, 'candor-accept-all').isVisible(), 'the first layer asks again');
  assert.equal((await h.consent(p)).decided, false);
  assert.deepEqual((await inspect(p)).receipts, []);
  // The API does the same (nothing left to delete now, and no receipt for erasing).
  await p.evaluate(() => window.candor.erase());
  await p.waitForFunction(() => localStorage.getItem('candor.forget') === null);
  assert.deepEqual(await p.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('candor.'))), []);
  assert.equal(p.receipts.length, 1);

  // A decision erased while its receipt is still on its way: never kept. Either the POST
  // lands first and the DELETE that follows is a 204, or the erase's DELETE comes first
  // (a 404: the collector keeps the id) and the POST is refused with 410.
  const settled = p.waitForResponse((r) =>
    (/\/v1\/receipts\/[0-9a-f-]{36}$/.test(r.url()) && r.request().method() === 'DELETE' && r.status() === 204) ||
    (r.url().endsWith('/v1/receipts') && r.request().method() === 'POST' && r.status() === 410));
  const raced = await p.evaluate(() => {
    window.candor.acceptAll();
    const id = window.candor.inspect().receipts[0].receipt_id;
    window.candor.erase();
    return id;
  });
  const last = await settled;
  assert.ok(last.url().endsWith(raced) || (last.request().postData() || '').includes(raced));
  assert.equal((await fetch(`${server.url}/v1/receipts/${raced}`)).status, 404);
  await context.close();
});

test('erase() on a page whose config is broken still deletes what earlier pages stored; the receipt is deleted at the collector by the next page that boots', async () => {
  const { context, p } = await open();
  await byId(p, 'candor-accept-all').click();
  await acknowledged(p, 1);
  const id = (await inspect(p)).receipts[0].receipt_id;
  await p.evaluate(() => { window.candor.track('page_view', { path: '/' }); document.cookie = 'candor_consent=x; path=/'; });
  await p.goto(`${server.url}/broken.html`);
  await p.waitForFunction(() => window.candor && window.candor.error);
  assert.equal(await p.evaluate(() => window.candor.error.code), 'config');
  assert.ok(await p.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('candor.')).length >= 2), 'the earlier page left data');
  // inspect() still shows it: every key and its size, as a booted page would list them.
  const seen = await p.evaluate(() => {
    const i = window.candor.inspect();
    const stored = [...Object.keys(localStorage), ...Object.keys(sessionStorage)].filter((k) => k.startsWith('candor.')).sort()
      .map((key) => ({ key, bytes: (localStorage.getItem(key) ?? sessionStorage.getItem(key)).length * 2 }));
    return { same: JSON.stringify(i.storage) === JSON.stringify(stored), n: i.storage.length, decided: i.consent.decided };
  });
  assert.deepEqual(seen, { same: true, n: seen.n, decided: false });
  assert.ok(seen.n >= 2);
  await p.evaluate(() => window.candor.erase());
  const left = await p.evaluate(() => [...Object.keys(localStorage), ...Object.keys(sessionStorage)].filter((k) => k.startsWith('candor.')));
  assert.deepEqual(left, ['candor.forget'], 'only the receipt ids owed to the collector');
  assert.deepEqual(await p.evaluate(() => JSON.parse(localStorage.getItem('candor.forget'))), [id]);
  assert.equal(await p.evaluate(() => document.cookie), '');
  assert.equal((await fetch(`${server.url}/v1/receipts/${id}`)).status, 200, 'this page cannot know the collector');
  const deleted = p.waitForResponse((r) => r.url().endsWith(`/v1/receipts/${id}`) && r.request().method() === 'DELETE');
  await p.goto(`${server.url}/`);
  assert.equal((await deleted).status(), 204);
  assert.equal((await fetch(`${server.url}/v1/receipts/${id}`)).status, 404);
  assert.equal((await h.consent(p)).decided, false, 'the decision is gone: asked again');
  await context.close();
});

test('"Your data" with a history of one day says so in the singular', async () => {
  const { context, p } = await open('/day.html');
  await byId(p, 'candor-reject-all').click();
  await p.evaluate(() => window.candor.open('data'));
  assert.deepEqual(await texts(byId(p, 'candor-data-sent-video').locator('li')), ['Nothing was sent in the last day.']);
  await context.close();
});

test('"Your data" lists each record of the visitor\'s choices sent to the site: when, what was chosen, and whether it has arrived', async () => {
  const { context, p } = await open();
  await byId(p, 'candor-accept-all').click();
  await acknowledged(p, 1);
  await p.evaluate(() => window.candor.deny(['video']));
  await acknowledged(p, 2);
  await p.evaluate(() => window.candor.open('data'));
  const lines = await texts(byId(p, 'candor-data-receipts').locator('li'));
  const when = '\\d{4}-\\d{2}-\\d{2} at \\d{1,2}:\\d{2}';
  assert.equal(lines.length, 2, JSON.stringify(lines));
  assert.match(lines[0], new RegExp(`^Your choices of ${when} \\(Count visits: on, Show videos: off\\) were sent to the site, which keeps them as a record of your consent\\.$`));
  assert.match(lines[1], new RegExp(`^Your choices of ${when} \\(Count visits: on, Show videos: on\\) were sent`));
  await context.close();
});

test('a decision made inside a candor:consent listener gets its own receipt; the one that fired it keeps its own choices', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  // Re-grants once, when it sees stats denied.
  await p.addInitScript(() => document.addEventListener('candor:consent', (e) => {
    if (e.detail.decided && !e.detail.purposes.stats && !window.__regranted) { window.__regranted = true; window.candor.grant(['stats']); }
  }));
  await p.goto(server.url + '/');
  await h.ready(p);
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.evaluate(() => window.candor.deny(['stats']));
  const events = await p.evaluate(() => window.__events.filter((e) => e.name === 'consent').map((e) => e.detail.purposes.stats));
  assert.deepEqual(events, [true, false, true]);
  const receipts = await p.evaluate(() => window.candor.inspect().receipts.map((r) => r.choices.stats));
  assert.deepEqual(receipts, [true, false, true], 'the withdrawal is on record');
  await context.close();
});

test('a collector URL with a query (a key a proxy asks for): receipts and their deletion carry it too', async () => {
  const { context, p } = await open('/keyed.html');
  const posted = p.waitForResponse((r) => r.url().includes('/v1/receipts') && r.request().method() === 'POST');
  await byId(p, 'candor-accept-all').click();
  assert.equal(new URL((await posted).url()).pathname + new URL((await posted).url()).search, '/v1/receipts?key=k1');
  await acknowledged(p, 1);
  const id = (await inspect(p)).receipts[0].receipt_id;
  const deleted = p.waitForResponse((r) => r.request().method() === 'DELETE');
  await p.evaluate(() => window.candor.erase());
  const d = await deleted;
  assert.equal(new URL(d.url()).pathname + new URL(d.url()).search, `/v1/receipts/${id}?key=k1`);
  assert.equal(d.status(), 204);
  assert.equal((await fetch(`${server.url}/v1/receipts/${id}`)).status, 404);
  await context.close();
});

test('erase while the collector cannot be reached: receipt-delete error, the id is kept in candor.forget, and deleted on a later tick', async () => {
  const { context, p } = await open();
  await byId(p, 'candor-accept-all').click();
  await acknowledged(p, 1);
  const id = (await inspect(p)).receipts[0].receipt_id;
  const cut = (route) => (route.request().method() === 'DELETE' ? route.abort('connectionreset') : route.continue());
  await context.route('**/v1/receipts/**', cut);
  await p.evaluate(() => window.candor.erase());
  await p.waitForFunction(() => localStorage.getItem('candor.forget') !== null);
  const errors = (await h.events(p, 'error')).map((e) => e.detail);
  assert.deepEqual(errors.map((e) => e.code), ['receipt-delete']);
  assert.match(errors[0].message, /could not reach the collector to delete 1 receipt/);
  assert.deepEqual(await p.evaluate(() => JSON.parse(localStorage.getItem('candor.forget'))), [id]);
  assert.ok((await inspect(p)).storage.some((s) => s.key === 'candor.forget'), 'the visitor sees what is still owed');
  assert.equal((await fetch(`${server.url}/v1/receipts/${id}`)).status, 200, 'still at the collector');

  // A tick with the collector failing again: kept, and no second error.
  await p.evaluate(() => window.candor.flush());
  assert.deepEqual(await p.evaluate(() => JSON.parse(localStorage.getItem('candor.forget'))), [id]);
  assert.equal((await h.events(p, 'error')).length, 1);

  // The collector is reachable again: the next tick deletes it, and nothing is left.
  await context.unroute('**/v1/receipts/**', cut);
  await p.evaluate(() => window.candor.flush());
  await p.waitForFunction(() => localStorage.getItem('candor.forget') === null);
  assert.equal((await fetch(`${server.url}/v1/receipts/${id}`)).status, 404);
  assert.deepEqual(await p.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('candor.'))), []);
  await context.close();
});

/** Accepts, then changes the decision twice: three receipts the collector acknowledged. */
async function threeReceipts(p) {
  await byId(p, 'candor-accept-all').click();
  await p.evaluate(() => window.candor.deny(['stats']));
  await p.evaluate(() => window.candor.grant(['stats']));
  await acknowledged(p, 3);
  return (await inspect(p)).receipts.map((r) => r.receipt_id);
}
const statusOf = async (id) => (await fetch(`${server.url}/v1/receipts/${id}`)).status;

for (const [what, init] of [
  ['blocked (reading localStorage throws, as when the browser blocks cookies)', () => {
    Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('The operation is insecure.', 'SecurityError'); } });
  }],
  ['refusing every write (quota)', () => {
    Storage.prototype.setItem = function () { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); };
  }],
]) {
  test(`storage ${what}: the receipt is kept in memory, listed, and erase() deletes it at the collector`, async () => {
    const context = await chrome.newContext();
    await context.addInitScript(init);
    const p = await h.page(context);
    await p.goto(server.url + '/');
    await h.ready(p);
    await byId(p, 'candor-accept-all').click();
    await acknowledged(p, 1);
    const id = (await inspect(p)).receipts[0].receipt_id;
    assert.equal(await statusOf(id), 200);
    await p.evaluate(() => window.candor.open('data'));
    const deleted = p.waitForResponse((r) => r.url().endsWith(`/v1/receipts/${id}`) && r.request().method() === 'DELETE');
    await byId(p, 'candor-erase').click();
    await byId(p, 'candor-erase-confirm').click();
    assert.equal((await deleted).status(), 204);
    assert.equal(await statusOf(id), 404);
    await p.waitForFunction(() => window.candor.inspect().receipts.length === 0);
    assert.equal((await h.consent(p)).decided, false);
    await context.close();
  });
}

test('erase in another tab: receipts this tab could only keep in memory (storage refused them) are deleted at the collector too', async () => {
  const { context, p: a } = await open();
  await byId(a, 'candor-accept-all').click();
  await acknowledged(a, 1);
  const b = await h.page(context);
  // In tab B the receipts list does not fit (its decision does).
  await b.addInitScript(() => {
    const set = Storage.prototype.setItem;
    Storage.prototype.setItem = function (k, v) {
      if (k === 'candor.receipts') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return set.call(this, k, v);
    };
  });
  await b.goto(server.url + '/');
  await h.ready(b);
  await b.evaluate(() => window.candor.rejectAll());
  await acknowledged(b, 2); // A's, from storage, and B's own
  const mine = await b.evaluate(() => {
    const stored = JSON.parse(localStorage.getItem('candor.receipts') || '[]').map((k) => k.receipt.receipt_id);
    return window.candor.inspect().receipts.map((r) => r.receipt_id).find((id) => !stored.includes(id));
  });
  assert.ok(mine, 'B holds a receipt storage does not');
  assert.equal(await statusOf(mine), 200);
  await a.evaluate(() => window.candor.erase());
  await b.waitForFunction(() => !window.candor.consent().decided);
  // Deleted at once (and owed for a later tick if that fails): wait for the collector's answer.
  let status = 200;
  for (let i = 0; i < 20 && status !== 404; i++) {
    await b.evaluate(() => window.candor.flush());
    await b.waitForTimeout(250);
    status = await statusOf(mine);
  }
  assert.equal(status, 404, "B's receipt is gone from the collector");
  assert.deepEqual(await b.evaluate(() => window.candor.inspect().receipts), []);
  await context.close();
});

test('erase, then the page is left at once: every receipt is still deleted (owed before any request starts)', async () => {
  const { context, p } = await open();
  const ids = await threeReceipts(p);
  // The collector answers deletions slowly; the visitor leaves right after erasing.
  await context.route('**/v1/receipts/**', async (route) => {
    if (route.request().method() === 'DELETE') await new Promise((r) => setTimeout(r, 300));
    await route.continue().catch(() => {});
  });
  await p.evaluate(() => { window.candor.erase(); location.href = '/?next'; });
  await p.waitForURL('**/?next');
  await h.ready(p);
  await context.unroute('**/v1/receipts/**');
  await p.evaluate(() => window.candor.flush());
  await p.waitForFunction(() => localStorage.getItem('candor.forget') === null);
  for (const id of ids) assert.equal(await statusOf(id), 404, id);
  await context.close();
});

test('a receipt erased while its POST is in flight, stored but with the answer lost, is deleted later', async () => {
  const { context, p } = await open();
  let release;
  const held = new Promise((r) => { release = r; });
  await context.route('**/v1/receipts', async (route) => {
    await held;
    await route.fetch().catch(() => {}); // reaches the collector, which stores it...
    await route.abort('connectionreset'); // ...and the browser never hears so
  });
  await byId(p, 'candor-accept-all').click();
  const id = (await inspect(p)).receipts[0].receipt_id;
  await p.evaluate(() => window.candor.erase());
  release();
  await p.waitForFunction((id) => (localStorage.getItem('candor.forget') || '').includes(id), id);
  assert.equal(await statusOf(id), 200, 'stored at the collector');
  await context.unroute('**/v1/receipts');
  await p.evaluate(() => window.candor.flush());
  await p.waitForFunction(() => localStorage.getItem('candor.forget') === null);
  assert.equal(await statusOf(id), 404);
  await context.close();
});

test('erase in one tab while another tab\'s receipt is on its way: refused when it lands, never kept', async () => {
  const { context, p: a } = await open();
  const b = await h.page(context);
  await b.goto(server.url + '/');
  await h.ready(b);
  let release;
  const held = new Promise((r) => { release = r; });
  await context.route('**/v1/receipts', async (route) => { await held; await route.continue(); });
  await b.evaluate(() => window.candor.acceptAll());
  const id = (await b.evaluate(() => window.candor.inspect().receipts))[0].receipt_id;
  const deleted = a.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/v1/receipts/${id}`));
  await a.evaluate(() => window.candor.erase());
  await b.waitForFunction(() => !window.candor.consent().decided);
  // The erase's DELETE comes first (a 404, and the collector keeps the id):
  // the POST that lands after it is refused with 410, nothing stored.
  assert.equal((await deleted).status(), 404);
  const landed = b.waitForResponse((r) => r.url().endsWith('/v1/receipts') && r.request().method() === 'POST');
  release();
  assert.equal((await landed).status(), 410);
  assert.equal(await statusOf(id), 404);
  await b.waitForFunction(() => window.candor.inspect().receipts.length === 0);
  await context.close();
});

test('records of choices in French: each "purpose : state" with the language\'s narrow no-break space', async () => {
  const context = await chrome.newContext({ locale: 'fr-FR' });
  const p = await h.page(context);
  await p.goto(server.url + '/');
  await h.ready(p);
  await byId(p, 'candor-accept-all').click();
  await acknowledged(p, 1);
  await p.evaluate(() => window.candor.open('data'));
  const lines = await texts(byId(p, 'candor-data-receipts').locator('li'));
  assert.equal(lines.length, 1);
  assert.ok(lines[0].includes('(Count visits\u202f: activé, Show videos\u202f: activé)'), lines[0]);
  await context.close();
});

test('the data view speaks the prompt\'s language: headings, empty lines, buttons and every sentence', async () => {
  const context = await chrome.newContext({ locale: 'de-DE' });
  const p = await h.page(context);
  await p.goto(server.url + '/');
  await h.ready(p);
  await byId(p, 'candor-accept-all').click();
  await p.evaluate(async () => {
    window.candor.track('page_view', { path: '/', load_ms: 500 });
    await window.candor.flush();
    window.candor.track('page_view', { path: '/shop', load_ms: 50 });
    window.candor.track('page_view', { path: '/', load_ms: 50 });
  });
  await p.evaluate(() => window.candor.open('data'));
  const view = p.locator('[data-testid="candor-data-view"]');
  await view.waitFor({ state: 'visible' });
  assert.equal(await byId(p, 'candor-export').textContent(), 'Meine Daten herunterladen');
  assert.equal(await byId(p, 'candor-erase').textContent(), 'Meine Daten löschen');
  const text = await view.textContent();
  for (const words of ['Wartet auf das Senden', 'Nichts wartet auf das Senden.', 'In diesem Browser gespeichert', '(an)']) {
    assert.ok(text.includes(words), words);
  }
  const waiting = await texts(byId(p, 'candor-data-waiting-stats').locator('li'));
  assert.deepEqual(waiting.length, 1, JSON.stringify(waiting));
  assert.match(waiting[0], /^Wird als Gesamtzahlen für \d\d:\d\d–\u2060\d\d:\d\d gesendet: 2 × page view, gruppiert nach path, load ms in Bereiche eingeteilt\.$/);
  const sent = await texts(byId(p, 'candor-data-sent-stats').locator('li'));
  assert.match(sent[0], /^Gesendet am \d{4}-\d\d-\d\d um \d\d:\d\d als Gesamtzahlen für \d\d:\d\d–\u2060\d\d:\d\d: 1 × page view, gruppiert nach path, load ms in Bereiche eingeteilt\.$/);
  const stored = await byId(p, 'candor-data-storage').locator('li[data-key]').evaluateAll((els) => els.map((e) => [e.dataset.key, e.textContent]));
  assert.deepEqual(stored.find(([k]) => k === 'candor.consent')[1].replace(/\d+/, 'N'), 'candor.consent: Ihre Auswahl (N\u00a0Bytes).');
  // Nothing in the view is marked as another language: it is all German now.
  assert.deepEqual(await view.evaluate((v) => [...v.querySelectorAll('[lang]')].map((e) => e.outerHTML)), []);
  await context.close();
});

test('erase with a second tab open: that tab forgets too, and nothing is written again (checked after its next tick)', { timeout: 60_000 }, async () => {
  const { context, p } = await open();
  await byId(p, 'candor-accept-all').click();
  const b = await h.page(context);
  await b.goto(server.url + '/');
  await h.ready(b);
  await b.evaluate(() => window.candor.track('page_view', { path: '/' }));
  const keysOf = (q) => q.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('candor.')).sort());
  assert.ok((await keysOf(b)).some((k) => k.startsWith('candor.open.')), 'tab B stored its event');
  await p.evaluate(() => window.candor.erase());
  await b.waitForFunction(() => !window.candor.consent().decided);
  // The receipt ids owed to the collector stay until it confirms the deletion.
  await b.waitForFunction(() => localStorage.getItem('candor.forget') === null);
  assert.deepEqual(await keysOf(b), [], 'right after the erase (and its confirmation)');
  await b.waitForTimeout(16_000);
  assert.deepEqual(await keysOf(b), [], 'and after tab B\'s timer ran (ticks are at most 15 s apart)');
  assert.deepEqual(await b.evaluate(() => window.candor.inspect().open), [], 'tab B kept nothing in memory either');
  await context.close();
});

/** Tab A decided (accept all), tab B has counted the required purpose's event up to its bound of 2. */
async function twoTabsAtTheBound() {
  const { context, p } = await open('/need.html');
  await byId(p, 'candor-accept-all').click();
  const b = await h.page(context);
  await b.goto(server.url + '/need.html');
  await h.ready(b);
  assert.deepEqual(await b.evaluate(() => [window.candor.track('heartbeat'), window.candor.track('heartbeat')]),
    [{ accepted: true }, { accepted: true }], 'the bound of 2 is reached');
  return { context, p, b };
}

test('erase with a second tab that counted events of the required purpose: it keeps nothing of them, not even their per-window bound', async () => {
  const { context, p, b } = await twoTabsAtTheBound();
  const tab = () => b.evaluate(() => ({
    local: Object.keys(localStorage).filter((k) => k.startsWith('candor.')).sort(),
    session: Object.keys(sessionStorage).filter((k) => k.startsWith('candor.')).sort(),
  }));
  assert.ok((await tab()).session.includes('candor.tab'));
  const before = await b.evaluate(() => sessionStorage.getItem('candor.tab'));
  await p.evaluate(() => window.candor.erase());
  await b.waitForFunction(() => !window.candor.consent().decided);
  await b.waitForFunction(() => localStorage.getItem('candor.forget') === null);
  assert.deepEqual(await tab(), { local: [], session: [] }, 'nothing of tab B is left, its tab id neither');
  assert.deepEqual(await b.evaluate(() => window.candor.inspect().open), []);
  // What tab B counts after the erase starts from nothing: not capped by the events before it.
  assert.deepEqual(await b.evaluate(() => window.candor.track('heartbeat')), { accepted: true });
  const windows = await b.evaluate(() => window.candor.inspect().open);
  assert.deepEqual(windows.map((w) => w.events.heartbeat?.count), [1]);
  // ...and is stored under a new tab id: nothing links it to the tab's keys before the erase.
  await b.evaluate(() => new Promise((r) => setTimeout(r, 0)));
  const after = await b.evaluate(() => sessionStorage.getItem('candor.tab'));
  assert.match(after, /^[0-9a-f-]{36}$/);
  assert.notEqual(after, before, 'a new tab id');
  assert.deepEqual((await tab()).local.filter((k) => k.startsWith('candor.open.')), [`candor.open.${after}`]);
  await context.close();
});

test('erase with storage full (the page filled it): the other tab still hears of it, and no storage error is raised', async () => {
  const { context, p, b } = await twoTabsAtTheBound();
  await b.evaluate(() => new Promise((r) => setTimeout(r, 0)));
  // The page fills what is left of the quota with its own data.
  await p.evaluate(() => {
    const chunk = 'x'.repeat(64 * 1024);
    let i = 0;
    try { for (;;) localStorage.setItem(`page.filler.${i++}`, chunk); } catch (e) { /* full */ }
    try { for (;;) localStorage.setItem(`page.small.${i++}`, 'x'.repeat(64)); } catch (e) { /* full to the last bytes */ }
  });
  await p.evaluate(() => window.candor.erase());
  await b.waitForFunction(() => !window.candor.consent().decided);
  assert.deepEqual(await b.evaluate(() => window.candor.track('heartbeat')), { accepted: true }, 'the bound forgotten: counted');
  assert.deepEqual((await b.evaluate(() => window.candor.inspect().open)).map((w) => w.events.heartbeat?.count), [1]);
  assert.deepEqual((await h.events(p, 'error')).map((e) => e.detail.code), [], 'no storage error for the mark');
  await p.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('page.')).forEach((k) => localStorage.removeItem(k)));
  await context.close();
});

test('erase while another tab sits in the back/forward cache: restored, it forgets what it counted too (it never heard the erase)', async () => {
  // Playwright turns the back/forward cache off; this test needs it.
  const bf = await require('playwright-core').chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    ignoreDefaultArgs: ['--disable-back-forward-cache'] });
  try {
    const context = await bf.newContext();
    const a = await h.page(context);
    await a.goto(server.url + '/need.html');
    await h.ready(a);
    await a.evaluate(() => window.candor.acceptAll());
    assert.deepEqual(await a.evaluate(() => [window.candor.track('heartbeat'), window.candor.track('heartbeat')]), [{ accepted: true }, { accepted: true }]);
    await a.evaluate(() => { window.__stayed = true; });
    await a.goto(server.url + '/need.html?next');
    await h.ready(a);
    const b = await h.page(context);
    await b.goto(server.url + '/need.html');
    await h.ready(b);
    await b.evaluate(() => window.candor.erase());
    // The erasing tab, off to a page without Candor and back from the cache: nothing of it is written again.
    await b.evaluate(() => { window.__stayed = true; });
    await b.goto(server.url + '/plain.html');
    await b.goBack({ waitUntil: 'commit' });
    await b.waitForFunction(() => document.readyState === 'complete');
    assert.equal(await b.evaluate(() => window.__stayed), true, 'B restored from the back/forward cache');
    await b.evaluate(() => new Promise((r) => setTimeout(r, 100)));
    assert.deepEqual(await b.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('candor.'))), [],
      'no tab id, nor its mark, after the erase');
    await b.close();
    // A page restored from the cache fires no load event.
    await a.goBack({ waitUntil: 'commit' });
    await a.waitForFunction(() => document.readyState === 'complete');
    assert.equal(await a.evaluate(() => window.__stayed), true, 'restored from the back/forward cache');
    await a.waitForFunction(() => !window.candor.consent().decided);
    assert.deepEqual(await a.evaluate(() => window.candor.inspect().open), [], 'nothing kept in memory');
    assert.deepEqual(await a.evaluate(() => window.candor.track('heartbeat')), { accepted: true }, 'not capped by the erased events');
    const windows = await a.evaluate(() => window.candor.inspect().open);
    assert.deepEqual(windows.map((w) => w.events.heartbeat?.count), [1], 'counted from nothing');
    await context.close();
  } finally {
    await bf.close();
  }
});

test('every test id is unique, whatever the purposes are called (storage, waiting-x, x-b, ...): data view and placeholders', async () => {
  const { context, p } = await open('/clash.html');
  const testids = () => p.evaluate(() => [...document.querySelectorAll('candor-consent, candor-placeholder')]
    .flatMap((host) => [...host.shadowRoot.querySelectorAll('[data-testid]')].map((e) => e.dataset.testid)));
  const twice = (ids) => ids.filter((id, i) => ids.indexOf(id) !== i);
  await p.locator('candor-placeholder').nth(1).waitFor();
  const before = await testids();
  assert.deepEqual(twice(before), [], 'no test id is used twice');
  assert.ok(before.includes('candor-placeholder-allow-x+b') && before.includes('candor-placeholder-allow-x-b'), before.join(' '));
  // The placeholder of the purpose "x-b" grants "x-b", not "x" and "b".
  await p.locator('[data-testid="candor-placeholder-allow-x-b"]').click();
  await p.waitForFunction(() => window.candor.consent().purposes['x-b'] === true);
  const c = await p.evaluate(() => window.candor.consent().purposes);
  assert.deepEqual([c.x, c.b, c['x-b']], [false, false, true]);
  await p.evaluate(() => window.candor.open('data'));
  await byId(p, 'candor-data-view').waitFor({ state: 'visible' });
  await byId(p, 'candor-data-receipts').waitFor();
  const ids = await testids();
  assert.deepEqual(twice(ids), [], 'no test id is used twice in the data view');
  for (const id of ['candor-data-view', 'candor-data-storage', 'candor-data-receipts', 'candor-data-back',
    'candor-data-purpose-storage', 'candor-data-purpose-waiting-x', 'candor-data-waiting-x', 'candor-data-sent-x',
    'candor-data-purpose-purpose-x', 'candor-data-purpose-x-b']) {
    assert.ok(ids.includes(id), id);
  }
  assert.match(await byId(p, 'candor-data-purpose-storage').innerText(), /Purpose storage/);
  await context.close();
});

test('an open data view follows what another tab tracks and sends', async () => {
  const { context, p } = await open();
  await p.evaluate(() => window.candor.acceptAll());
  await p.evaluate(() => window.candor.open('data'));
  await byId(p, 'candor-data-view').waitFor({ state: 'visible' });
  assert.equal(await byId(p, 'candor-data-storage').locator('li[data-key="candor.history"]').count(), 0, 'nothing sent yet');
  const b = await h.page(context);
  await b.goto(server.url + '/');
  await h.ready(b);
  await b.evaluate(() => window.candor.track('page_view', { path: '/shop', load_ms: 50 }));
  // What tab B counted and has not sent yet waits here too.
  await byId(p, 'candor-data-waiting-stats').locator('li', { hasText: /1 page view/i }).waitFor({ timeout: 10_000 });
  assert.deepEqual(await p.evaluate(() => window.candor.inspect().open), [], 'this tab itself counted nothing');
  assert.deepEqual(await b.evaluate(() => window.candor.flush()), { sent: 1 });
  // Drawn again from the other tab's writes, not from this tab's own actions.
  await byId(p, 'candor-data-storage').locator('li[data-key="candor.history"]').waitFor({ timeout: 10_000 });
  const shown = await byId(p, 'candor-data-storage').locator('li[data-key]').evaluateAll((els) => els.map((e) => e.dataset.key));
  const state = await inspect(p);
  assert.deepEqual(shown, [...state.storage, ...(state.durable ? [state.durable] : [])].map((s) => s.key));
  await context.close();
});

test('erase from the data view reached through "Your choices": focus goes to the banner, not to <body>', async () => {
  const { context, p } = await open();
  await p.evaluate(() => window.candor.acceptAll());
  await byId(p, 'candor-reopen').click();
  await byId(p, 'candor-your-data').click();
  await byId(p, 'candor-erase').focus();
  await p.keyboard.press('Enter');
  const active = () => p.evaluate(() => {
    const a = document.querySelector('candor-consent').shadowRoot.activeElement;
    return a && (a.dataset.testid || a.id);
  });
  assert.equal(await active(), 'candor-dq', 'the question takes focus, not its button');
  assert.notEqual(await p.evaluate(() => getComputedStyle(document.querySelector('candor-consent').shadowRoot.activeElement).outlineStyle), 'none',
    'and shows it has it');
  // A second Enter (a double press on "Erase my data") answers nothing.
  await p.keyboard.press('Enter');
  await p.waitForTimeout(300);
  assert.equal((await h.consent(p)).decided, true, 'a double Enter erased');
  await p.keyboard.press('Tab');
  assert.equal(await active(), 'candor-erase-confirm');
  assert.equal(await p.evaluate(() => {
    const r = document.querySelector('candor-consent').shadowRoot;
    return r.getElementById(r.activeElement.getAttribute('aria-describedby')).textContent;
  }), 'Erase everything Candor keeps in this browser, and ask the site\'s server to delete the records of your choices? This cannot be undone.',
  'the button is described by the question');
  await p.keyboard.press('Enter');
  await p.waitForFunction(() => !window.candor.consent().decided);
  await h.prompt(p).waitFor({ state: 'visible' });
  const focused = await p.evaluate(() => {
    const host = document.activeElement;
    const inner = host && host.shadowRoot ? host.shadowRoot.activeElement : host;
    return inner ? inner.getAttribute('data-testid') || inner.tagName : null;
  });
  assert.equal(focused, 'candor-customize');
  await context.close();
});

test('a held Enter on "Erase my data" opens the question once and answers nothing', async () => {
  const { context, p } = await open();
  await p.evaluate(() => window.candor.acceptAll());
  await p.evaluate(() => window.candor.open('data'));
  await byId(p, 'candor-data-view').waitFor();
  // Opened from the keyboard, the view shows where focus is.
  assert.notEqual(await byId(p, 'candor-data-view').evaluate((v) => getComputedStyle(v).outlineStyle), 'none');
  await byId(p, 'candor-erase').focus();
  // The first keydown, then the key's auto-repeats (Playwright sends repeat: true for a key already down).
  for (let i = 0; i < 6; i++) await p.keyboard.down('Enter');
  await p.keyboard.up('Enter');
  await p.waitForTimeout(300);
  assert.equal((await h.consent(p)).decided, true, 'a held Enter erased');
  assert.equal(await byId(p, 'candor-erase-confirm').isVisible(), true, 'the question is open (not toggled shut by the repeats)');
  await context.close();
});

test('inspect() and the data view list the tab id kept in sessionStorage too', async () => {
  const { context, p } = await open();
  const listed = (await inspect(p)).storage.map((s) => s.key);
  assert.ok(listed.includes('candor.tab'), listed.join(', '));
  await context.close();
});

test('the receipt arrives at the collector and its text hash matches the texts it serves for the revision', async () => {
  const { context, p } = await open();
  await byId(p, 'candor-customize').click();
  await byId(p, 'candor-toggle-video').check();
  await byId(p, 'candor-save').click();
  await acknowledged(p, 1);
  assert.equal(p.receipts.length, 1);
  const posted = p.receipts[0];
  assert.deepEqual(Object.keys(posted).sort(), [...RECEIPT_KEYS, 'texts'].sort());
  assert.ok(receiptSchema(posted), JSON.stringify(receiptSchema.errors));
  assert.match(posted.receipt_id, UUID);
  assert.deepEqual(posted.choices, { necessary: true, stats: false, video: true });
  assert.equal(posted.method, 'button');
  assert.equal(posted.site, 'test.example');
  assert.equal(posted.revision, 'r1');
  assert.equal(posted.language, 'en');
  assert.match(posted.sdk, /^candor\//);
  assert.ok(Math.abs(posted.timestamp - Date.now() / 1000) < 3600);

  // Stored as sent, without the texts, and nothing else.
  const stored = await (await fetch(`${server.url}/v1/receipts/${posted.receipt_id}`)).json();
  const { texts: bundle, ...receipt } = posted;
  assert.deepEqual(stored, receipt);

  // The collector keeps the bundle per revision; its hash is the receipt's.
  const rev = await (await fetch(`${server.url}/v1/revisions/r1?site=test.example`)).json();
  const served = rev.bundles.find((b) => b.texts_sha256 === posted.texts_sha256);
  assert.ok(served, JSON.stringify(rev));
  assert.equal(crypto.createHash('sha256').update(canonical(served.texts)).digest('hex'), posted.texts_sha256);
  assert.deepEqual(served.texts, bundle);
  // ... and the bundle is what the prompt showed.
  await p.evaluate(() => window.candor.open());
  assert.equal(served.texts.ui.save, (await byId(p, 'candor-save').textContent()).trim());
  assert.equal(served.texts.ui.accept_all, (await byId(p, 'candor-accept-all').textContent()).trim());
  const labels = await p.locator('candor-consent label').evaluateAll((els) => els.map((e) => e.textContent));
  assert.deepEqual(served.texts.purposes.map((x) => x.label), labels);

  // An API decision says so.
  await p.evaluate(() => window.candor.grant(['stats']));
  await acknowledged(p, 2);
  assert.equal(p.receipts[1].method, 'api');
  assert.deepEqual(p.receipts[1].choices, { necessary: true, stats: true, video: true });
  await context.close();
});

test('texts too long for the collector to keep: the receipt goes without them at once, no request is refused, a warning says so', async () => {
  const long = (i) => `Purpose ${i} explains itself at length. `.repeat(50).slice(0, 1990);
  const cfg = h.config();
  for (let i = 0; i < 10; i++) cfg.purposes.push({ id: `extra${i}`, label: `Extra ${i}`, explain: long(i), benefit: long(i) });
  h.write(www, { 'long-texts.json': cfg, 'long-texts.html': h.html({ attrs: 'data-config="/long-texts.json" async' }) });
  const { context, p } = await open('/long-texts.html');
  const statuses = [];
  p.on('response', (r) => { if (r.url().includes('/v1/receipts')) statuses.push(r.status()); });
  await byId(p, 'candor-accept-all').click();
  await acknowledged(p, 1);
  assert.deepEqual(statuses, [202], 'one POST, stored');
  assert.deepEqual(Object.keys(p.receipts[0]).sort(), RECEIPT_KEYS, 'sent without the texts');
  const warnings = p.logs.filter((l) => l.type === 'warning').map((l) => l.text);
  assert.ok(warnings.some((w) => /receipts are sent without them/.test(w)), JSON.stringify(warnings));
  assert.deepEqual(p.logs.filter((l) => l.type === 'error'), []);
  await context.close();
});

test('receipts are sent for decisions only, and never without a collector', async () => {
  const { context, p } = await open();
  // Opening, closing, the data view, tracking, flushing and reloading decide nothing.
  await byId(p, 'candor-customize').click();
  await p.keyboard.press('Escape');
  await byId(p, 'candor-close').click();
  await p.evaluate(() => window.candor.open('data'));
  await p.keyboard.press('Escape');
  await p.evaluate(() => window.candor.track('page_view', { path: '/' }));
  await p.evaluate(() => window.candor.flush());
  await p.reload();
  await h.ready(p);
  await p.evaluate(() => window.candor.flush());
  assert.equal(p.receipts.length, 0);
  assert.deepEqual((await inspect(p)).receipts, []);

  // Each decision: exactly one receipt, each with its own id.
  await byId(p, 'candor-reject-all').click();
  await acknowledged(p, 1);
  await p.evaluate(() => window.candor.acceptAll());
  await p.evaluate(() => window.candor.withdraw());
  await acknowledged(p, 3);
  await p.evaluate(() => window.candor.flush());
  await p.evaluate(() => window.candor.open());
  await p.keyboard.press('Escape');
  assert.deepEqual(p.receipts.map((r) => r.method), ['button', 'api', 'api']);
  assert.deepEqual(p.receipts.map((r) => r.choices.stats), [false, true, false]);
  assert.equal(new Set(p.receipts.map((r) => r.receipt_id)).size, 3);
  await context.close();

  // collector: null keeps the receipt in this browser only.
  const local = await open('/local.html');
  await byId(local.p, 'candor-accept-all').click();
  await local.p.waitForFunction(() => window.candor.inspect().receipts.length === 1);
  await local.p.evaluate(() => window.candor.flush());
  const kept = (await inspect(local.p)).receipts;
  assert.equal(kept[0].acknowledged, false);
  assert.equal(local.p.receipts.length, 0);
  await local.context.close();
});

test('with collector: null, "Your data" says what is kept in this browser, never that anything waits to be sent', async () => {
  const { context, p } = await open('/local.html');
  await byId(p, 'candor-accept-all').click();
  await p.waitForFunction(() => window.candor.inspect().receipts.length === 1);
  await p.evaluate(() => window.candor.track('page_view', { path: '/shop', load_ms: 50 }));
  // One report closed (kept, as nothing is sent), one window still open.
  await p.evaluate(() => window.candor.flush());
  await p.evaluate(() => window.candor.track('page_view', { path: '/', load_ms: 500 }));
  await p.evaluate(() => window.candor.open('data'));
  await byId(p, 'candor-data-view').waitFor({ state: 'visible' });
  const text = await byId(p, 'candor-data-view').innerText();
  assert.doesNotMatch(text, /waiting to be sent|will be sent|are waiting|report waiting/i);
  const waiting = byId(p, 'candor-data-waiting-stats').locator('li');
  assert.deepEqual((await waiting.allInnerTexts()).map((t) => t.replace(/ for .*: 1/, ' for …: 1')),
    ['Kept in this browser as totals for …: 1 page view, grouped by path, with load ms in ranges.',
      'Kept in this browser as totals for …: 1 page view, grouped by path, with load ms in ranges.']);
  assert.match(text, /Kept in this browser only/);
  assert.match(await byId(p, 'candor-data-receipts').innerText(), /^Your choices of .*\(Count visits: on, Show videos: on\) are kept in this browser as a record of your consent\.$/);
  assert.match(await byId(p, 'candor-data-storage').locator('li[data-key^="candor.report."]').innerText(), /totals kept in this browser/);
  assert.match(await byId(p, 'candor-data-waiting-video').innerText(), /Nothing is kept\./);
  await context.close();
});

test('with collector: null, the receipt ids an erase after a failed boot left owed are dropped by the next page: no one to ask, nothing kept', async () => {
  const { context, p } = await open('/local.html');
  await byId(p, 'candor-accept-all').click();
  await p.waitForFunction(() => window.candor.inspect().receipts.length === 1);
  await p.goto(`${server.url}/broken.html`);
  await p.waitForFunction(() => window.candor && window.candor.error);
  await p.evaluate(() => window.candor.erase());
  assert.deepEqual(await p.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('candor.'))), ['candor.forget']);
  await p.goto(`${server.url}/local.html`);
  await h.ready(p);
  await p.waitForFunction(() => localStorage.getItem('candor.forget') === null, null, { timeout: 10_000 });
  assert.deepEqual((await inspect(p)).storage.map((s) => s.key).filter((k) => k.startsWith('candor.forget')), []);
  await context.close();
});

test('going to "Your data" and back keeps the toggles the visitor set but did not save: a withdrawal is not undone', async () => {
  const { context, p } = await open();
  await p.evaluate(() => window.candor.acceptAll());
  for (const back of ['button', 'Escape']) {
    await p.evaluate(() => window.candor.open());
    await byId(p, 'candor-save').waitFor({ state: 'visible' });
    await byId(p, 'candor-toggle-stats').uncheck();
    await byId(p, 'candor-your-data').click();
    await byId(p, 'candor-data-view').waitFor({ state: 'visible' });
    if (back === 'button') await byId(p, 'candor-data-back').click();
    else await p.keyboard.press('Escape');
    await byId(p, 'candor-save').waitFor({ state: 'visible' });
    assert.equal(await byId(p, 'candor-toggle-stats').isChecked(), false, `${back}: the unsaved choice is still there`);
    assert.equal(await byId(p, 'candor-toggle-video').isChecked(), true);
    await byId(p, 'candor-save').click();
    // The erase arrives as two storage events (its mark, then the record): wait for both.
    await p.waitForFunction(() => window.candor.consent().purposes.stats === false && window.candor.consent().purposes.video === true);
    assert.deepEqual((await h.consent(p)).purposes, { necessary: true, stats: false, video: true });
    await p.evaluate(() => window.candor.acceptAll());
  }
  // Opened afresh, the preferences show the decision again, not an old unsaved choice.
  await p.evaluate(() => window.candor.open());
  await byId(p, 'candor-save').waitFor({ state: 'visible' });
  await byId(p, 'candor-toggle-stats').uncheck();
  await byId(p, 'candor-your-data').click();
  await byId(p, 'candor-close').click();
  await p.evaluate(() => window.candor.open());
  await byId(p, 'candor-save').waitFor({ state: 'visible' });
  assert.equal(await byId(p, 'candor-toggle-stats').isChecked(), true, 'closed without saving: the stored decision shows');
  await context.close();
});

test('erase and reload while the receipt is still on its way: the next page keeps asking until it lands, then deletes it', async () => {
  // A front for the collector that holds receipt POSTs 800 ms before passing them on (they land late).
  const http = require('node:http');
  const target = new URL(server.url);
  const front = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      if (req.method === 'POST' && req.url.startsWith('/v1/receipts')) await new Promise((r) => setTimeout(r, 800));
      const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise((r) => front.listen(0, '127.0.0.1', r));
  const context = await chrome.newContext();
  try {
    const p = await h.page(context);
    await p.goto(`http://127.0.0.1:${front.address().port}/`);
    await h.ready(p);
    await byId(p, 'candor-accept-all').click();
    await p.waitForFunction(() => window.candor.inspect().receipts.length === 1);
    const id = await p.evaluate(() => window.candor.inspect().receipts[0].receipt_id);
    await p.evaluate(() => { window.candor.erase(); location.reload(); }).catch(() => {});
    await p.waitForLoadState('load');
    await h.ready(p);
    assert.equal((await h.consent(p)).decided, false);
    // The POST lands meanwhile; a later tick's DELETE removes it.
    await new Promise((r) => setTimeout(r, 1500));
    await p.evaluate(() => window.candor.flush());
    await p.waitForFunction(() => localStorage.getItem('candor.forget') === null);
    assert.equal((await fetch(`${server.url}/v1/receipts/${id}`)).status, 404, 'the erased receipt is not kept');
    assert.deepEqual(await p.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('candor.forget'))), []);
  } finally {
    await context.close();
    front.closeAllConnections();
    front.close();
  }
});

test("a grant in a tab that has not yet heard of another tab's withdrawal or erase does not switch the withdrawn purpose back on", async () => {
  const { context, p } = await open();
  const q = await h.page(context);
  await q.goto(server.url + '/');
  await h.ready(q);
  for (const how of ['withdraw', 'erase']) {
    await p.evaluate(() => { window.candor.deny(['video']); window.candor.grant(['stats']); });
    await q.waitForFunction(() => window.candor.consent().purposes.stats && !window.candor.consent().purposes.video);
    // Tab P runs a long task (its `storage` events wait behind it); tab Q
    // withdraws or erases meanwhile; P's page code then grants video.
    const busy = p.evaluate(() => {
      const t = Date.now();
      while (Date.now() - t < 1500);
      window.candor.grant(['video']);
      return Date.now();
    });
    await q.waitForTimeout(300);
    const [qAt, qReceipt] = await q.evaluate((how) => {
      window.candor[how]();
      return [Date.now(), window.candor.inspect().receipts.at(-1)?.receipt_id];
    }, how);
    assert.ok(qAt < await busy, `Q's ${how} came while P was busy`);
    const want = { necessary: true, stats: false, video: true };
    await p.waitForFunction(() => window.candor.consent().purposes.stats === false);
    assert.deepEqual((await h.consent(p)).purposes, want, `after ${how}`);
    const stored = JSON.parse(await p.evaluate(() => localStorage.getItem('candor.consent')));
    assert.deepEqual(stored.purposes, { stats: false, video: true });
    await q.waitForFunction(() => window.candor.consent().purposes.video);
    assert.deepEqual((await h.consent(q)).purposes, want);
    assert.deepEqual(await q.evaluate(() => window.candor.track('page_view', { path: '/' })), { accepted: false, reason: 'no-consent' });
    // One receipt for P's one grant, the one made over Q's decision (the one
    // made over the out-of-date record is taken back); Q's withdrawal's
    // receipt is still listed (P wrote the list from its out-of-date view).
    await p.waitForFunction(() => window.candor.inspect().receipts.every((r) => r.acknowledged));
    const listed = (await inspect(p)).receipts;
    if (how === 'withdraw') assert.ok(listed.some((r) => r.receipt_id === qReceipt), "Q's receipt is listed");
    assert.deepEqual(listed.at(-1).choices, { necessary: true, stats: false, video: true });
    assert.equal(listed.filter((r) => r.choices.stats && r.choices.video).length, 0, 'no receipt says stats and video were both on');
  }
  await context.close();
});

test('a Save clicked in a preferences panel shown before another tab\'s withdrawal (not heard of yet) grants back nothing the visitor did not change', async () => {
  const { context, p } = await open();
  await byId(p, 'candor-accept-all').click();
  const q = await h.page(context);
  await q.goto(server.url + '/');
  await h.ready(q);
  await p.evaluate(() => window.candor.open());
  const box = await byId(p, 'candor-save').boundingBox();
  await p.evaluate(() => setTimeout(() => { const t = Date.now(); while (Date.now() - t < 1500); }, 0));
  await p.waitForTimeout(100);
  await q.evaluate(() => window.candor.withdraw());
  // The visitor's click waits behind P's long task, with the storage event.
  await p.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await p.waitForFunction(() => window.candor.consent().purposes.stats === false);
  await p.waitForTimeout(300);
  assert.deepEqual((await h.consent(p)).purposes, { necessary: true, stats: false, video: false });
  assert.deepEqual((await h.consent(q)).purposes, { necessary: true, stats: false, video: false });
  assert.deepEqual(JSON.parse(await q.evaluate(() => localStorage.getItem('candor.consent'))).purposes, { stats: false, video: false });
  await context.close();
});

test('a receipt the collector refuses for good stays in this browser as the visitor\'s record, marked refused, with a receipt-rejected error, and is not sent again', async () => {
  const { context, p } = await open('/foreign.html');
  await p.evaluate(() => { window.__errors = []; document.addEventListener('candor:error', (e) => window.__errors.push(e.detail)); });
  await byId(p, 'candor-accept-all').click();
  await p.waitForFunction(() => window.__errors.length > 0);
  const [error] = await p.evaluate(() => window.__errors);
  assert.equal(error.code, 'receipt-rejected');
  assert.match(error.message, /^the collector refused receipt [0-9a-f-]{36} \(HTTP 400: site: "elsewhere\.example" is not a site this collector accepts\): it is kept in this browser only, and not sent again$/);
  const kept = (await inspect(p)).receipts;
  assert.equal(kept.length, 1);
  assert.deepEqual([kept[0].acknowledged, kept[0].refused, kept[0].choices], [false, true, { necessary: true, stats: true, video: true }]);
  // Tried once with its texts and once without (a bundle over the collector's limit must not cost it).
  assert.deepEqual(p.receipts.map((r) => 'texts' in r), [true, false]);
  await p.evaluate(() => window.candor.flush());
  await p.reload();
  await h.ready(p);
  await p.evaluate(() => window.candor.flush());
  assert.equal(p.receipts.length, 2, 'never sent again');
  assert.equal((await inspect(p)).receipts[0].refused, true);
  await p.evaluate(() => window.candor.open('data'));
  assert.match(await byId(p, 'candor-data-receipts').innerText(), /^Your choices of .*\(Count visits: on, Show videos: on\) are kept in this browser as a record of your consent\.$/);
  await context.close();
});

test('a receipt says "button" only for the visitor\'s own click or key press; a page script clicking Candor\'s buttons is recorded as "api"', async () => {
  const methods = [];
  for (const how of ['script click', 'script Enter', 'mouse', 'keyboard']) {
    const { context, p } = await open();
    const accept = byId(p, 'candor-accept-all');
    if (how === 'script click') await accept.evaluate((b) => b.click());
    if (how === 'script Enter') {
      await accept.evaluate((b) => { b.focus(); b.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true })); });
    }
    if (how === 'mouse') await accept.click();
    if (how === 'keyboard') { await accept.focus(); await p.keyboard.press('Enter'); }
    await p.waitForFunction(() => window.candor.inspect().receipts.length === 1);
    const consent = await h.consent(p);
    assert.deepEqual([consent.decided, consent.purposes.stats], [true, true], how);
    methods.push((await inspect(p)).receipts[0].method);
    await context.close();
  }
  assert.deepEqual(methods, ['api', 'api', 'button', 'button']);
});

test("a decision made over another tab's record this tab already saw (its storage event still to come) is not made again when the event comes", async () => {
  const { context, p } = await open();
  await p.evaluate(() => window.candor.grant(['stats']));
  const out = await p.evaluate(async () => {
    // Another tab's withdrawal, already in this tab's view of storage; its event is still to come.
    const mine = JSON.parse(localStorage.getItem('candor.consent'));
    const theirs = JSON.stringify({ ...mine, purposes: { stats: false, video: false }, updated_at: mine.updated_at + 1 });
    localStorage.setItem('candor.consent', theirs);
    window.candor.grant(['video']);
    const receipts = window.candor.inspect().receipts.length;
    const consents = window.__events.filter((e) => e.name === 'consent').length;
    window.dispatchEvent(new StorageEvent('storage', { key: 'candor.consent', oldValue: JSON.stringify(mine), newValue: theirs }));
    await new Promise((r) => setTimeout(r, 100));
    return { receipts: [receipts, window.candor.inspect().receipts.length],
      consents: [consents, window.__events.filter((e) => e.name === 'consent').length],
      purposes: window.candor.consent().purposes, stored: JSON.parse(localStorage.getItem('candor.consent')).purposes };
  });
  assert.deepEqual(out.purposes, { necessary: true, stats: false, video: true });
  assert.deepEqual(out.stored, { stats: false, video: true });
  assert.equal(out.receipts[1], out.receipts[0], 'no second receipt for the one decision');
  assert.equal(out.consents[1], out.consents[0], 'no more candor:consent events');
  await context.close();
});


test('a page script clicking "Accept all" when everything is already granted still closes the prompt (recorded as api)', async () => {
  const { context, p } = await open();
  await p.evaluate(() => window.candor.acceptAll());
  await p.evaluate(() => window.candor.open());
  await byId(p, 'candor-accept-all').waitFor({ state: 'visible' });
  await byId(p, 'candor-accept-all').evaluate((b) => b.click());
  await byId(p, 'candor-accept-all').waitFor({ state: 'hidden' });
  assert.equal((await inspect(p)).receipts.at(-1).method, 'api');
  await context.close();
});
