// Pages whose own scripts get in the way, as real sites' do: fetch
// wrappers (CSRF headers, string-only URLs, one that throws), a replaced
// global Promise (zone.js in Angular apps, Bluebird), an in-memory
// localStorage stand-in, a <base href> on another site, a snippet that
// blocks Enter for forms, a second candor.js tag. Consent still works,
// consented data still reaches the collector, and nothing fails silently.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

// Each runs in the page's <head>, before candor.js.
const PATCHES = {
  // Rails/Django style: headers rebuilt from init, whatever came in the input.
  csrf: `(function () { var f = window.fetch; window.fetch = function (input, init) { init = init || {};
    init.headers = Object.assign({}, init.headers, { 'X-CSRF-Token': 'tok' }); return f(input, init); }; })();`,
  // A wrapper that assumes a string URL.
  strings: `(function () { var f = window.fetch; window.fetch = function (url, init) {
    if (url.indexOf('/private/') >= 0) throw new Error('blocked'); return f(url, init); }; })();`,
  // A wrapper that throws synchronously on the first report upload (a tracker's bug), then behaves.
  throwOnce: `(function () { var f = window.fetch; var thrown = false; window.fetch = function (url, init) {
    var u = typeof url === 'string' ? url : url && url.url || String(url);
    if (!thrown && u.indexOf('/v1/reports') >= 0) { thrown = true; throw new TypeError('wrapper bug'); } return f(url, init); }; })();`,
  // A wrapper that forgot its `return` on the first report upload: undefined instead of a promise.
  noReturn: `(function () { var f = window.fetch; var once = false; window.fetch = function (url, init) {
    if (!once && String(url).indexOf('/v1/reports') >= 0) { once = true; f(url, init); return; } return f(url, init); }; })();`,
  // A global Promise the browser's own promises are not instances of.
  promise: 'window.Promise = class ZoneAwarePromise extends Promise {};',
  // An in-memory localStorage without key() and length.
  shim: `(function () { var m = {}; var shim = { getItem: function (k) { return k in m ? m[k] : null; },
    setItem: function (k, v) { m[k] = String(v); }, removeItem: function (k) { delete m[k]; }, clear: function () { m = {}; } };
    Object.defineProperty(window, 'localStorage', { get: function () { return shim; }, configurable: true }); })();`,
  // A storage whose reads throw while its writes work.
  readFails: `Storage.prototype.getItem = function () { throw new DOMException('blocked', 'SecurityError'); };`,
  // Pages that break what Candor is built with: shadow roots, WebAssembly.
  noShadow: "Element.prototype.attachShadow = function () { throw new Error('no shadow roots here'); };",
  noWasm: 'window.WebAssembly = undefined;',
  // Another consent tool's auto-blocker: document.createElement replaced by a function of its own.
  blocker: `(function () { var ce = document.createElement; document.createElement = function (t, o) { return ce.call(document, t, o); }; })();`,
  // The widely copied "no submit on Enter" snippet.
  enter: `document.addEventListener('keydown', function (e) { if (e.key === 'Enter') e.preventDefault(); });`,
};

let server, chrome;
test.before(async () => {
  const files = { 'candor.config.json': h.config(), 'other.config.json': h.config({ revision: 'r2' }) };
  for (const [name, js] of Object.entries(PATCHES)) files[`${name}.html`] = h.html({ head: `<script>${js}</script>` });
  files['noObserver.html'] = h.html({ head: '<script>delete window.MutationObserver;</script>',
    body: '<script type="text/plain" data-candor-purpose="stats">window.__statsRan = true;</script>' });
  files['plain.html'] = h.html();
  // candor.on() with a misspelt purpose, before the boot.
  files['earlyOn.html'] = h.html({ attrs: 'data-config="/candor.config.json"', body: `<script>candor.on('statz', function () {}); candor.on('statz', function () {});
window.__order = [];
document.addEventListener('candor:ready', function () { window.__order.push('ready1'); candor.grant(['stats']); });
document.addEventListener('candor:ready', function () { window.__order.push('ready2'); });
document.addEventListener('candor:consent', function () { window.__order.push('consent'); });</script>` });
  files['tall.html'] = h.html({ body: '<div style="height: 4000px">Long page</div>' });
  files['twice.html'] = h.html({ body: '<script src="/candor/candor.js" data-config="/other.config.json" async></script>' });
  // Markup named "candor" (user content a sanitizer lets through): window.candor is the page's element.
  files['clobber.html'] = h.html({ body: '<a id="candor"></a><a id="candor" name="__candor"></a><form id="candor"><input name="__candor"></form>' });
  // User content whose name attributes hide document's own properties. The
  // first also names a config of its own, making every purpose required.
  const GATED = '<script type="text/plain" data-candor-purpose="stats">window.__statsRan = true;</script>';
  files['evil.config.json'] = h.config({ purposes: h.config().purposes.map((x) => ({ ...x, required: true })) });
  files['clobberScript.html'] = h.html({ attrs: 'data-config="/candor.config.json" defer',
    body: `<div class="comment"><img name="currentScript" src="/candor/candor.js" data-config="/evil.config.json" alt=""></div>${GATED}` });
  // After an async tag: the element is parsed after candor.js ran, before the prompt goes in.
  files['clobberBody.html'] = h.html({ body: `<div class="comment"><img name="body" alt=""></div>${GATED}` });
  files['clobberListener.html'] = h.html({ attrs: 'data-config="/candor.config.json" defer', body: '<form name="addEventListener"></form>' });
  // A polluted Object.prototype, as a prototype-pollution hole in a library leaves it.
  files['gcm.config.json'] = h.config({ google_consent_mode: { analytics_storage: ['stats'] }, tcf: { cmp_id: 300, vendor_list_version: 1,
    publisher_cc: 'DE', vendors: [8], purposes_map: { 1: ['necessary'], 7: ['stats'] } } });
  files['polluted.html'] = h.html({ head: '<script>Object.prototype.ad_storage = "granted"; Object.prototype[99] = true;</script>',
    attrs: 'data-config="/gcm.config.json" data-gcm data-tcf async' });
  // Fetch options on Object.prototype (a prototype-pollution hole): the browser reads them from every init object.
  files['fetchPolluted.html'] = h.html({ head: `<script>Object.assign(Object.prototype, { mode: 'no-cors', redirect: 'error',
    integrity: 'sha256-AAAA', cache: 'only-if-cached', referrer: 'https://evil.example/', credentials: 'include' });
    Object.prototype[Symbol.iterator] = function* () { yield ['x-evil', '1']; };</script>` });
  // The boot fails after the banner was drawn (the page broke what the rest of the boot needs).
  files['rngfail.html'] = h.html({ head: '<script>crypto.getRandomValues = function () { throw new Error("rng broken by the page"); };</script>' });
  // Fake timers a test page installed that never fire (a paused clock).
  files['frozen.html'] = h.html({ head: '<script>window.setTimeout = function () { return 1; }; window.setInterval = function () { return 1; }; window.requestAnimationFrame = function () { return 1; };</script>' });
  // An anti-fingerprinting tool that makes navigator.languages throw.
  files['nolangs.html'] = h.html({ head: '<script>Object.defineProperty(Navigator.prototype, "languages", { get() { throw new Error("fp-protect"); } });</script>' });
  // The page took window.candor for itself, read-only.
  files['taken.html'] = h.html({ head: '<script>Object.defineProperty(window, "candor", { value: {}, writable: false, configurable: false });</script>' });
  const www = h.site(files);
  server = await h.collector({ www });
  // <base> would send the relative script and config URLs elsewhere too: this page names them absolutely.
  h.write(www, { 'base.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>
<base href="https://elsewhere.invalid/"><script src="${server.url}/candor/candor.js" data-config="${server.url}/candor.config.json" async></script>
</head><body><p>x</p></body></html>` });
  // A policy whose connect-src lets the wasm and the config load but not the collector.
  h.write(www, { 'noCollector.html': h.html({ head: `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src ${server.url}/candor/ ${server.url}/candor.config.json">` }) });
  chrome = await h.browser();
});
test.after(async () => { await chrome?.close(); await server?.stop(); });

async function open(file) {
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(`${server.url}/${file}`);
  await h.ready(p);
  return { context, p };
}

const count = async () => (await (await fetch(`${server.url}/v1/aggregates?site=test.example&event=page_view`)).json()).count;

/** Accepts, tracks one page view, flushes; returns what flush() answered and how far the collector's count moved. */
async function consentedEventArrives(p) {
  const before = await count();
  await p.evaluate(() => window.candor.acceptAll());
  await p.evaluate(() => window.candor.track('page_view', { path: '/' }));
  let flushed = await p.evaluate(() => window.candor.flush());
  if (flushed.sent === 0) flushed = await p.evaluate(() => window.candor.flush());
  return { flushed, arrived: (await count()) - before };
}

const candorErrors = (p) => p.logs.filter((l) => l.type === 'pageerror' || (l.type === 'error' && /candor/.test(l.text)));

test('a fetch wrapper that rebuilds headers from init keeps the JSON content type: reports and receipts arrive', async () => {
  const { context, p } = await open('csrf.html');
  assert.deepEqual(await consentedEventArrives(p), { flushed: { sent: 1 }, arrived: 1 });
  await p.waitForFunction(() => window.candor.inspect().receipts.every((r) => r.acknowledged));
  assert.deepEqual(candorErrors(p), []);
  await context.close();
});

test('a fetch wrapper that expects string URLs: the boot finishes and reports arrive', async () => {
  const { context, p } = await open('strings.html');
  assert.equal(await p.evaluate(() => window.candor.error), null);
  assert.equal((await consentedEventArrives(p)).arrived, 1);
  assert.deepEqual(candorErrors(p), []);
  await context.close();
});

for (const [file, what] of [['throwOnce.html', 'throws once'], ['noReturn.html', 'returns nothing once']]) {
  test(`a fetch wrapper that ${what}: no page error, flush settles, the report goes on the next try`, async () => {
    const { context, p } = await open(file);
    assert.equal((await consentedEventArrives(p)).arrived, 1);
    assert.deepEqual(p.logs.filter((l) => l.type === 'pageerror'), []);
    await context.close();
  });
}

test('a replaced global Promise (zone.js, Bluebird): flush() still waits for the upload and counts it', async () => {
  const { context, p } = await open('promise.html');
  assert.deepEqual(await consentedEventArrives(p), { flushed: { sent: 1 }, arrived: 1 });
  await context.close();
});

for (const [file, what] of [['shim.html', 'a localStorage stand-in without key() or length'], ['readFails.html', 'a localStorage whose getItem throws']]) {
  test(`${what} counts as no storage: a storage error, and reports still go from memory`, async () => {
    const { context, p } = await open(file);
    assert.equal((await consentedEventArrives(p)).arrived, 1);
    assert.equal((await h.consent(p)).decided, true);
    assert.equal((await p.evaluate(() => window.candor.inspect())).consent.decided, true, 'inspect() and consent() agree');
    const codes = await p.evaluate(() => window.__events.filter((e) => e.name === 'error').map((e) => e.detail.code));
    assert.deepEqual(codes, ['storage']);
    await context.close();
  });
}

test('a script that wraps JSON.parse and Reflect.set after Candor loaded cannot change what consent(), inspect() and candor:consent say', async () => {
  const { context, p } = await open('plain.html');
  await p.evaluate(() => {
    const parse = JSON.parse;
    // Claims every purpose granted, whatever the text said.
    JSON.parse = (t) => { const v = parse(t); if (v && v.purposes) for (const k of Object.keys(v.purposes)) v.purposes[k] = true; if (v && 'decided' in v) v.decided = true; return v; };
    const set = Reflect.set;
    Reflect.set = (o, k, v) => set(o, k, k === 'code' ? 'forged' : v);
  });
  assert.deepEqual((await h.consent(p)).purposes, { necessary: true, stats: false, video: false });
  assert.equal((await h.consent(p)).decided, false);
  assert.equal((await p.evaluate(() => window.candor.inspect())).consent.decided, false);
  await p.evaluate(() => window.candor.grant(['video']));
  const detail = await p.evaluate(() => window.__events.filter((e) => e.name === 'consent').pop().detail);
  assert.deepEqual(detail.purposes, { necessary: true, stats: false, video: true });
  await context.close();
});

test('a page policy (connect-src) that refuses the collector: one collector-blocked error naming it; the report waits and goes once the policy allows it', async () => {
  const { context, p } = await open('noCollector.html');
  const before = await count();
  await p.evaluate(() => window.candor.acceptAll());
  await p.evaluate(() => window.candor.track('page_view', { path: '/' }));
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 0 });
  await p.evaluate(() => window.candor.flush());
  const errors = await p.evaluate(() => window.__events.filter((e) => e.name === 'error').map((e) => e.detail));
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.equal(errors[0].code, 'collector-blocked');
  assert.ok(errors[0].message.includes(server.url), errors[0].message);
  assert.equal(await count(), before);
  await p.goto(`${server.url}/plain.html`);
  await h.ready(p);
  await p.evaluate(() => window.candor.flush());
  await p.waitForFunction(() => window.candor.inspect().pending.length === 0);
  assert.equal(await count(), before + 1);
  await context.close();
});

test('a page without MutationObserver: Candor still boots, gates what the page held at start, and says what it cannot see', async () => {
  // Playwright's waitForFunction needs the page's MutationObserver: polled by hand here.
  const until = async (p, f) => { for (let i = 0; i < 200 && !(await p.evaluate(f)); i++) await new Promise((r) => setTimeout(r, 50)); };
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(`${server.url}/noObserver.html`);
  await until(p, () => window.candor !== undefined);
  await p.evaluate(() => window.candor.ready);
  assert.equal(await p.evaluate(() => window.__statsRan === true), false, 'the gated script waits for consent');
  assert.deepEqual(await consentedEventArrives(p), { flushed: { sent: 1 }, arrived: 1 });
  await until(p, () => window.__statsRan === true);
  assert.equal(await p.evaluate(() => window.__statsRan), true, 'the gated script ran once "stats" was granted');
  assert.deepEqual(candorErrors(p), []);
  assert.equal(p.logs.filter((l) => l.type === 'warning' && /MutationObserver/.test(l.text)).length, 1);
  await context.close();
});

for (const [file, what] of [['noShadow.html', 'a page whose attachShadow throws'], ['noWasm.html', 'a browser without WebAssembly']]) {
  test(`${what}: the boot stops with code boot, said once (console.error and candor:error), nothing shown or granted`, async () => {
    const { context, p } = await open(file);
    const error = await p.evaluate(() => window.candor.error);
    assert.equal(error.code, 'boot', JSON.stringify(error));
    assert.deepEqual(await p.evaluate(() => window.__events.filter((e) => e.name === 'error').map((e) => e.detail.code)), ['boot']);
    assert.equal(p.logs.filter((l) => l.type === 'error' && /^candor: /.test(l.text)).length, 1, JSON.stringify(p.logs));
    assert.equal((await h.consent(p)).decided, false);
    assert.equal(await p.evaluate(() => window.candor.track('page_view', { path: '/' }).accepted), false);
    await context.close();
  });
}

test('a <base href> on another site: reports still go to this site\'s collector', async () => {
  const { context, p } = await open('base.html');
  assert.deepEqual(await consentedEventArrives(p), { flushed: { sent: 1 }, arrived: 1 });
  await context.close();
});

test('a page that blocks Enter for its forms: Enter on "Reject all" still decides', async () => {
  const { context, p } = await open('enter.html');
  await p.locator('[data-testid="candor-reject-all"]').focus();
  await p.keyboard.press('Enter');
  await p.waitForFunction(() => window.candor.consent().decided);
  assert.deepEqual((await h.consent(p)).purposes, { necessary: true, stats: false, video: false });
  await context.close();
});

test('a second candor.js tag is ignored with a warning: one instance, one config (of whichever async tag ran first)', async () => {
  const { context, p } = await open('twice.html');
  await p.waitForTimeout(200);
  const warnings = p.logs.filter((l) => l.type === 'warning' && /already runs/.test(l.text));
  assert.equal(warnings.length, 1);
  assert.equal(await p.evaluate(() => window.candor.error), null);
  assert.equal(await p.locator('candor-consent').count(), 1);
  await context.close();
});

test('elements named "candor" in the page (DOM clobbering) do not pass for a running Candor: it starts', async () => {
  const { context, p } = await open('clobber.html');
  assert.equal(await h.prompt(p).isVisible(), true);
  assert.equal((await h.consent(p)).decided, false);
  assert.deepEqual(p.logs.filter((l) => /already runs/.test(l.text)), []);
  await context.close();
});

test('elements named after document\'s own properties (DOM clobbering) stop the boot with an error naming them: no config of theirs is read, nothing is granted', async () => {
  for (const [file, name, tag] of [['clobberScript.html', 'currentScript', 'img'], ['clobberBody.html', 'body', 'img'], ['clobberListener.html', 'addEventListener', 'form']]) {
    const { context, p } = await open(file);
    const error = await p.evaluate(() => window.candor.error);
    assert.equal(error && error.code, 'boot', file);
    assert.match(error.message, new RegExp(`element named "${name}" \\(<${tag} name="${name}">\\), which hides document\\.${name}: Candor does not start, nothing is shown or granted`));
    assert.deepEqual(await p.evaluate(() => [window.candor.consent().decided, window.candor.consent().purposes, window.__statsRan]), [false, {}, undefined], file);
    assert.equal(await p.locator('candor-consent').count(), 0, file);
    assert.deepEqual(p.logs.filter((l) => l.type === 'pageerror'), [], file);
    assert.deepEqual(p.logs.filter((l) => l.type === 'error').map((l) => l.text), [`candor: ${error.message}`], file);
    await context.close();
  }
});

test('a page script that replaced document.createElement with its own function (another tool\'s blocker) is not DOM clobbering: Candor starts', async () => {
  const { context, p } = await open('blocker.html');
  assert.equal(await p.evaluate(() => window.candor.error), null);
  await h.prompt(p).waitFor({ state: 'visible' });
  await consentedEventArrives(p);
  await context.close();
});

test('a polluted Object.prototype grants nothing: no Consent Mode type, no TCF vendor', async () => {
  const { context, p } = await open('polluted.html');
  const granted = () => p.evaluate(() => JSON.stringify(window.dataLayer.map((e) => (e && e.length ? Array.from(e) : e))).includes('granted'));
  assert.equal(await granted(), false, 'undecided: nothing granted');
  await p.locator('[data-testid="candor-reject-all"]').click();
  await p.waitForFunction(() => window.dataLayer.some((e) => e && e[1] === 'update'));
  assert.equal(await granted(), false, 'rejected: nothing granted');
  const vendors = await p.evaluate(() => new Promise((r) => window.__tcfapi('getTCData', 2, (d) => r(d.vendor.consents), [8, 99])));
  assert.deepEqual(vendors, { 8: false, 99: false });
  await context.close();
});

test('fetch options a page put on Object.prototype (mode, redirect, integrity, cache, referrer, a headers iterator): the boot and every send still work, without cookies', async () => {
  const { context, p } = await open('fetchPolluted.html');
  assert.equal(await p.evaluate(() => window.candor.error), null, 'config and wasm loaded');
  const posts = [];
  p.on('request', (r) => { if (r.url().includes('/v1/')) posts.push(r); });
  assert.deepEqual(await consentedEventArrives(p), { flushed: { sent: 1 }, arrived: 1 });
  await p.waitForFunction(() => window.candor.inspect().receipts.every((r) => r.acknowledged));
  for (const r of posts) {
    const headers = await r.allHeaders();
    assert.equal(headers.cookie, undefined, r.url());
    assert.equal(headers['x-evil'], undefined, r.url());
    assert.equal(headers.referer, undefined, r.url());
  }
  await context.close();
});

test('a boot that fails after the banner was drawn leaves no banner behind', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(`${server.url}/rngfail.html`);
  await p.waitForFunction(() => window.candor && window.candor.error);
  assert.equal((await p.evaluate(() => window.candor.error)).code, 'boot');
  assert.equal(await p.locator('candor-consent').count(), 0, 'nothing shown after a failed boot');
  assert.equal((await h.consent(p)).decided, false);
  await context.close();
});

test('fake timers that never fire (a paused test clock): ready still resolves, and the API agrees with what the visitor chose', { timeout: 30_000 }, async () => {
  const { context, p } = await open('frozen.html');
  await h.prompt(p).waitFor({ state: 'visible' });
  await p.locator('[data-testid="candor-accept-all"]').click();
  await p.waitForFunction(() => window.candor.consent().decided);
  assert.deepEqual(await p.evaluate(() => window.candor.track('page_view', { path: '/' })), { accepted: true });
  await context.close();
});

test('navigator.languages that throws (anti-fingerprinting): the prompt speaks default_language, the boot goes on', { timeout: 30_000 }, async () => {
  const { context, p } = await open('nolangs.html');
  assert.equal(await p.evaluate(() => window.candor.error), null);
  assert.equal(await h.prompt(p).isVisible(), true);
  assert.equal(await p.locator('candor-consent .root').getAttribute('lang'), 'en');
  await context.close();
});

test('a read-only window.candor the page took: Candor does not start, says why, and throws nothing into the page', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(`${server.url}/taken.html`);
  await p.waitForFunction(() => window.__events.some((e) => e.name === 'error'));
  assert.deepEqual(p.logs.filter((l) => l.type === 'pageerror'), []);
  assert.ok(p.logs.some((l) => l.type === 'error' && /window\.candor is taken by the page/.test(l.text)));
  assert.equal(await p.locator('candor-consent').count(), 0);
  await context.close();
});

test('400 % zoom (320×256): scrolling the banner to its buttons does not scroll the long page behind it', async () => {
  const context = await chrome.newContext({ viewport: { width: 320, height: 256 } });
  const p = await h.page(context);
  await p.goto(`${server.url}/tall.html`);
  await h.ready(p);
  const banner = p.locator('[data-testid="candor-prompt"]');
  await banner.hover();
  for (let i = 0; i < 10; i++) await p.mouse.wheel(0, 400);
  await p.waitForTimeout(300);
  assert.ok(await p.locator('[data-testid="candor-accept-all"]').isVisible());
  assert.equal(await p.evaluate(() => window.scrollY), 0);
  await context.close();
});

test('a candor:consent listener that changes consent: every listener gets the events in order, the last one the current state, and none can change what the next reads', async () => {
  const { context, p } = await open('plain.html');
  const seen = await p.evaluate(() => {
    const saw = [];
    document.addEventListener('candor:consent', (e) => { if (e.detail.purposes.stats) window.candor.withdraw(); });
    document.addEventListener('candor:consent', (e) => { e.detail.purposes.video = true; e.detail.decided = 'maybe'; });
    document.addEventListener('candor:consent', (e) => saw.push(e.detail.purposes.stats + '/' + e.detail.purposes.video));
    window.candor.grant(['stats']);
    return { saw, now: window.candor.consent().purposes };
  });
  assert.deepEqual(seen.now, { necessary: true, stats: false, video: false });
  assert.deepEqual(seen.saw, ['true/false', 'false/false'], 'the grant first, then the withdrawal; the detail as dispatched');
  await context.close();
});

test('many flush() calls at once share one upload and one more after it: a collector answering 503 gets 2 POSTs, not one per call', async () => {
  const { context, p } = await open('plain.html');
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.evaluate(() => window.candor.flush());
  let posts = 0;
  await p.route('**/v1/reports', (route) => { posts += 1; route.fulfill({ status: 503, body: '{"error":"busy"}' }); });
  await p.evaluate(() => window.candor.track('page_view', { path: '/' }));
  const answers = await p.evaluate(() => Promise.all(Array.from({ length: 10 }, () => window.candor.flush())));
  assert.deepEqual(answers, Array(10).fill({ sent: 0 }));
  assert.equal(posts, 2);
  await context.close();
});

test('candor.on() for a purpose the config does not have, called before ready: said once the config is known', async () => {
  const { context, p } = await open('earlyOn.html');
  const said = () => p.logs.filter((l) => l.type === 'warning' && l.text.includes('candor.on("statz"')).map((l) => l.text);
  for (let i = 0; i < 40 && said().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(said(), ['candor: candor.on("statz", …): no such purpose in the config, so the callback never runs']);
  // A candor:ready listener that decides: its candor:consent follows every ready listener.
  assert.deepEqual(await p.evaluate(() => window.__order), ['ready1', 'ready2', 'consent']);
  // A megabyte id makes no megabyte message.
  const message = await p.evaluate(() => { try { window.candor.grant(['x'.repeat(1 << 20)]); } catch (e) { return e.message; } });
  assert.equal(message, `candor.grant: unknown purpose "${'x'.repeat(64)}"…`);
  await context.close();
});
