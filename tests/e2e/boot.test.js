// Foundation: the script tag boots from URL or inline config, the decision
// persists, and anything doubtful (new revision, garbage, bad config) asks
// again or grants nothing.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

// The README's snippet, verbatim.
const WHEN = require('node:fs').readFileSync(require('node:path').join(h.ROOT, 'README.md'), 'utf8').match(/function whenCandor\(run\) \{[\s\S]*?\n\}/)[0];

let server, chrome, www;

test.before(async () => {
  www = h.site({
    'candor.config.json': h.config(),
    'index.html': h.html(),
    // A policy that refuses every fetch: the config by URL, or (inline config) the wasm.
    'no-wasm-eval.html': h.html({ head: `<meta http-equiv="Content-Security-Policy" content="script-src 'self'">` }),
    // README's whenCandor, run by page code before the async candor.js (also when the boot fails).
    'when.html': h.html({ head: `<script>${WHEN}
whenCandor(function (c) { window.__when = c.error ? 'error ' + c.error.code : c.consent().revision; });</script>` }),
    'when-broken.html': h.html({ attrs: 'data-config="/nowhere.json" async', head: `<script>${WHEN}
whenCandor(function (c) { window.__when = c.error ? 'error ' + c.error.code : c.consent().revision; });</script>` }),
    'html-config.html': h.html({ attrs: 'data-config="/plain-page.html" async' }),
    'plain-page.html': '<!doctype html><title>Not found</title><p>Sorry',
    'based.html': h.html({ attrs: 'data-config="missing.json" async', head: '<base href="/sub/dir/">' }).replace('src="/candor/candor.js"', 'src="/candor/candor.js"'),
    'xhtml-nobody.xhtml': `<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><title>t</title><script src="/candor/candor.js" data-config="/candor.config.json" async="async"></script></head>
<div><p>No body element.</p></div></html>`,
    'frameset.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>
<script src="/candor/candor.js" data-config="/candor.config.json"></script></head>
<frameset cols="50%,50%"><frame src="/plain-frame.html"><frame src="/plain-frame.html"></frameset></html>`,
    'plain-frame.html': '<!doctype html><title>f</title><p>frame</p>',
    'csp-config.html': h.html({ head: `<meta http-equiv="Content-Security-Policy" content="script-src 'self' 'wasm-unsafe-eval'; connect-src 'none'">` }),
    'csp-wasm.html': h.html({ attrs: 'async', head: `<meta http-equiv="Content-Security-Policy" content="script-src 'self' 'wasm-unsafe-eval'; connect-src 'none'">`,
      body: `<script type="application/json" id="candor-config">${JSON.stringify(h.config())}</script>` }),
    'inline-after.html': h.html({ attrs: 'async', body: `<script type="application/json" id="candor-config">${JSON.stringify(h.config())}</script>` }),
    'inline-before.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>
<script type="application/json" id="candor-config">${JSON.stringify(h.config())}</script>
<script src="/candor/candor.js" defer></script></head><body><p>x</p></body></html>`,
    // User content (a comment a sanitiser kept, with its id) before the
    // site's own inline config: it must not be read as the config.
    'inline-clobber.html': h.html({ attrs: 'async', body:
      `<p id="candor-config">${JSON.stringify(h.config({ purposes: h.config().purposes.map((p) => ({ ...p, required: true })) })).replace(/</g, '&lt;')}</p>` +
      `<script type="application/json" id="candor-config">${JSON.stringify(h.config())}</script>` }),
    // Texts with markup, inline, escaped as the README says (every < as \u003c),
    // and saved with a byte order mark.
    'inline-markup.html': h.html({ attrs: 'async', body: '<script type="application/json" id="candor-config">\ufeff' +
      JSON.stringify(h.config({ purposes: h.config().purposes.map((p) => p.id === 'stats' ? { ...p, label: 'Comments like <!-- <script> and </script> are shown' } : p) }))
        .replace(/</g, '\\u003c') + '</script><p id="after">The page goes on.</p>' }),
    // Both ways at once: data-config on the tag and an inline config after it (revision "inline").
    'both-ways.html': h.html({ attrs: 'data-config="/candor.config.json" async', body:
      `<script type="application/json" id="candor-config">${JSON.stringify(h.config({ revision: 'inline' }))}</script>` }),
    'inline-twice.html': h.html({ attrs: 'async', body:
      `<script type="application/json" id="candor-config">${JSON.stringify(h.config())}</script>` +
      `<script type="application/json" id="candor-config">${JSON.stringify(h.config())}</script>` }),
    'sync-queued.html': h.html({ attrs: 'data-config="/candor.config.json"', body: '<script src="/queue-early.js"></script>' }),
    'queue-early.js': 'const ids = ["stats"]; window.__early = window.candor.grant(ids); ids[0] = "video";' +
      ' const f = {path: "/"}; window.__earlyTrack = window.candor.track("page_view", f); f.path = "/shop";',
    'bad.html': h.html({ attrs: 'data-config="/bad.config.json" async' }),
    'bad.config.json': h.config({ events: { purchase: { purpose: 'ads', fields: {} } } }),
    // Hosts a browser's URL parser refuses (an IPv4 part over 255, five parts), which look like names elsewhere.
    'bad-host.html': h.html({ attrs: 'data-config="/bad-host.json" async' }),
    'bad-host.json': h.config({ collector: 'http://256.0.0.1/v1/reports' }),
    'bad-host5.html': h.html({ attrs: 'data-config="/bad-host5.json" async' }),
    'bad-host5.json': h.config({ collector: 'https://1.2.3.4.5/v1/reports' }),
    'missing.html': h.html({ attrs: 'data-config="/nope.json" async' }),
    'signals.json': h.config({ cookie: {}, google_consent_mode: { analytics_storage: ['stats'] } }),
    'signals.html': h.html({ attrs: 'data-config="/signals.json" async' }),
    'signals-typo.json': { ...h.config({ cookie: {}, google_consent_mode: { analytics_storage: ['stats'] } }), expire_days: 5 },
    'signals-typo.html': h.html({ attrs: 'data-config="/signals-typo.json" async' }),
    'domain-cookie.json': h.config({ site: 'test.example', cookie: { domain: 'test.example' } }),
    'domain-cookie.html': h.html({ attrs: 'data-config="/domain-cookie.json" async' }),
    'foreign-cookie.json': h.config({ cookie: { domain: 'shop.example' } }),
    'foreign-cookie.html': h.html({ attrs: 'data-config="/foreign-cookie.json" async' }),
  });
  server = await h.collector({ www });
  chrome = await h.browser();
});
test.after(async () => { await chrome?.close(); await server?.stop(); });

async function fresh(path = '/') {
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(server.url + path);
  await h.ready(p);
  return { context, p };
}

test('boots from a config URL: prompt shown, nothing granted, ready event', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  const sent = {};
  p.on('response', (r) => { if (r.url().includes('/candor/')) sent[r.url().split('/').pop()] = r.headers()['content-encoding']; });
  await p.goto(server.url + '/');
  await h.ready(p);
  await assertUndecidedWithPrompt(p);
  assert.equal((await h.events(p, 'ready')).length, 1);
  // Its own keys are the documented API: the mark that tells a second copy of candor.js it runs already is not one.
  assert.equal(await p.evaluate(() => Object.keys(window.candor).includes('__candor')), false);
  // The collector sends build.sh's brotli copies to a browser that accepts them.
  assert.deepEqual(sent, { 'candor.js': 'br', 'candor_bg.wasm': 'br' });
  await context.close();
});

test('boots from an inline config placed after an async script tag', async () => {
  const { context, p } = await fresh('/inline-after.html');
  await assertUndecidedWithPrompt(p);
  await context.close();
});

test('data-config and an inline config on one page: the URL one is used, and one warning says the inline one is ignored', async () => {
  const { context, p } = await fresh('/both-ways.html');
  await assertUndecidedWithPrompt(p);
  assert.notEqual((await h.consent(p)).revision, 'inline');
  const warned = p.logs.filter((l) => l.type === 'warning' && /candor-config/.test(l.text)).map((l) => l.text);
  assert.deepEqual(warned, ['candor: the config from data-config (/candor.config.json) is used; the page\'s <script type="application/json" id="candor-config"> is ignored: keep one of them']);
  await context.close();
});

test('boots from an inline config placed before a defer script tag', async () => {
  const { context, p } = await fresh('/inline-before.html');
  await assertUndecidedWithPrompt(p);
  await context.close();
});

test('an inline config with markup in its texts, escaped as documented and saved with a byte order mark: the page and the prompt show it as text', async () => {
  const { context, p } = await fresh('/inline-markup.html');
  await assertUndecidedWithPrompt(p);
  assert.equal(await p.locator('#after').textContent(), 'The page goes on.');
  await p.locator('[data-testid="candor-customize"]').click();
  assert.ok(await p.getByText('Comments like <!-- <script> and </script> are shown', { exact: true }).count() >= 1);
  await context.close();
});

test('only a <script type="application/json" id="candor-config"> is a config: another element with that id is ignored; two scripts are refused', async () => {
  {
    const { context, p } = await fresh('/inline-clobber.html');
    await assertUndecidedWithPrompt(p);
    assert.equal((await h.consent(p)).purposes.stats, false, "the page's own config, where stats is optional");
    await context.close();
  }
  {
    const { context, p } = await fresh('/inline-twice.html');
    const ev = await h.events(p, 'error');
    assert.deepEqual(ev.map((e) => e.detail.code), ['config']);
    assert.match(ev[0].detail.message, /found 2 <script type="application\/json" id="candor-config"> elements/);
    assert.equal(await p.locator('candor-consent').count(), 0);
    assert.equal((await h.consent(p)).decided, false);
    await context.close();
  }
});

test('calls made before the wasm is ready are queued and answered; an early track is not-ready and records nothing', async () => {
  const { context, p } = await fresh('/sync-queued.html');
  const c = await h.consent(p);
  assert.equal(c.decided, true);
  assert.equal(c.purposes.stats, true);
  assert.equal(c.purposes.video, false);
  const early = await p.evaluate(async () => [await window.__early, window.__earlyTrack]);
  assert.equal(early[0].purposes.stats, true, 'the queued grant resolved with the new consent (the list as it was at the call)');
  assert.deepEqual(early[1], { accepted: false, reason: 'not-ready' }, 'CONTRACT §3');
  // The calls made before the boot ended apply first: candor:ready says what they made of the consent, so a
  // ready listener acting on its detail never acts on a state the page already changed.
  const order = await p.evaluate(() => window.__events.map((e) => [e.name, e.detail.decided, e.detail.purposes.stats]));
  assert.deepEqual(order, [['consent', true, true], ['ready', true, true]]);
  assert.deepEqual(await p.evaluate(() => window.candor.inspect().open), [], 'nothing was recorded: a retry after ready counts once');
  assert.deepEqual(await p.evaluate(() => window.candor.track('page_view', { path: '/' })), { accepted: true });
  await context.close();
});

test('a choice persists across a reload; a new revision asks again', async () => {
  const local = h.site({ 'candor.config.json': h.config(), 'index.html': h.html() });
  const own = await h.collector({ www: local });
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(own.url + '/');
  await h.ready(p);
  await p.locator('[data-testid="candor-accept-all"]').click();
  await p.waitForFunction(() => window.candor.consent().decided);
  await h.prompt(p).waitFor({ state: 'hidden' });

  await p.reload();
  await h.ready(p);
  let c = await h.consent(p);
  assert.equal(c.decided, true);
  assert.equal(c.purposes.stats, true);
  assert.equal(await h.prompt(p).isVisible(), false);

  // Last-Modified has one-second resolution: make the new file's mtime differ.
  await new Promise((r) => setTimeout(r, 1100));
  h.write(local, { 'candor.config.json': h.config({ revision: 'r2' }) });
  await p.reload();
  await h.ready(p);
  c = await h.consent(p);
  assert.equal(c.decided, false);
  assert.equal(c.revision, 'r2');
  assert.equal(c.purposes.stats, false);
  assert.equal(await h.prompt(p).isVisible(), true);
  await context.close();
  await own.stop();
});

test('garbage or doubtful stored records ask again and grant nothing', async () => {
  const now = Math.floor(Date.now() / 1000);
  const rec = (o) => JSON.stringify({ v: 1, revision: 'r1', purposes: { stats: true, video: true }, updated_at: now, method: 'button', ...o });
  const cases = [
    'garbage{', '', 'null', 'true', '[]', '{}',
    rec({ revision: 'r0' }),
    rec({ v: 2 }),
    rec({ updated_at: now - 200 * 86400 }),
    rec({ updated_at: now + 30 * 86400 }),
    rec({ purposes: { stats: 'yes', video: true } }),
    rec({ purposes: { stats: true } }),
    rec({ purposes: { stats: true, video: true, ads: true } }),
    rec({ extra: 1 }),
  ];
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(server.url + '/');
  // Booted first: a page still booting would read (and discard) the first case itself, before the reload.
  await h.ready(p);
  // The ordinary ways to ask again (another revision, too old, too far ahead) say nothing; the others warn once.
  const ordinary = [rec({ revision: 'r0' }), rec({ updated_at: now - 200 * 86400 }), rec({ updated_at: now + 30 * 86400 })];
  const warned = () => p.logs.filter((l) => l.type === 'warning' && /candor\.consent\) could not be read/.test(l.text)).length;
  for (const value of cases) {
    await p.evaluate((v) => localStorage.setItem('candor.consent', v), value);
    const before = warned();
    await p.reload();
    await h.ready(p);
    const want = ordinary.includes(value) ? 0 : 1;
    // Console messages reach the test on their own channel: wait for one that is due.
    for (let i = 0; i < 40 && warned() - before < want; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(warned() - before, want, `warning for ${value}`);
    const c = await h.consent(p);
    assert.equal(c.decided, false, `decided from ${value}`);
    assert.equal(c.purposes.stats || c.purposes.video, false, `granted from ${value}`);
    assert.equal(await h.prompt(p).isVisible(), true, `no prompt for ${value}`);
  }
  // The control: a valid record is honoured.
  await p.evaluate((v) => localStorage.setItem('candor.consent', v), rec({}));
  await p.reload();
  await h.ready(p);
  assert.equal((await h.consent(p)).purposes.video, true);
  await context.close();
});

test('an invalid config: one console.error naming the path, candor:error, no prompt, nothing granted', async () => {
  const { context, p } = await fresh('/bad.html');
  const errors = p.logs.filter((l) => l.type === 'error');
  assert.equal(errors.length, 1, JSON.stringify(p.logs));
  assert.match(errors[0].text, /events\.purchase\.purpose: unknown purpose "ads"/);
  const ev = await h.events(p, 'error');
  assert.equal(ev.length, 1);
  assert.equal(ev[0].detail.code, 'config');
  assert.equal(await p.locator('candor-consent').count(), 0);
  const c = await h.consent(p);
  assert.equal(c.decided, false);
  assert.deepEqual(Object.values(c.purposes).filter(Boolean), []);
  // Not "not-ready", which a site would wait out for ever: nothing can be granted now.
  assert.deepEqual(await p.evaluate(() => window.candor.track('page_view', { path: '/' })), { accepted: false, reason: 'no-consent' });
  assert.deepEqual(await p.evaluate(() => window.candor.flush()), { sent: 0 });
  // The other calls answer what their types promise, and change nothing.
  const undecided = { revision: null, decided: false, purposes: {}, updated_at: null };
  assert.deepEqual(await p.evaluate(() => window.candor.acceptAll()), undecided);
  assert.deepEqual(await p.evaluate(() => window.candor.grant(['stats'])), undecided);
  assert.deepEqual(await p.evaluate(() => window.candor.inspect()),
    { consent: undecided, storage: [], durable: null, pending: [], open: [], dropped: 0, history: [], receipts: [] });
  assert.deepEqual(await p.evaluate(() => Object.keys(localStorage)), []);
  assert.equal((await h.events(p, 'ready')).length, 0);
  await context.close();
});

test('a collector URL whose host the browser cannot parse is a config error, not reports waiting for ever', async () => {
  for (const [page, url] of [['/bad-host.html', 'http://256.0.0.1/v1/reports'], ['/bad-host5.html', 'https://1.2.3.4.5/v1/reports']]) {
    const { context, p } = await fresh(page);
    const errors = p.logs.filter((l) => l.type === 'error').map((l) => l.text);
    assert.deepEqual(errors, [`candor: invalid config: collector: is not a URL this browser can send to (its host is not valid), got "${url}"`]);
    assert.equal(await p.evaluate(() => window.candor.error.code), 'config');
    assert.equal(await p.locator('candor-consent').count(), 0);
    await context.close();
  }
});

test('after a decision, a refused config takes back the cookie and the Consent Mode cache (the decision stays stored)', async () => {
  const { context, p } = await fresh('/signals.html');
  await p.evaluate(() => window.candor.acceptAll());
  const signals = () => p.evaluate(() => ({
    cookie: document.cookie.split('; ').some((c) => c.startsWith('candor_consent=')),
    gcm: localStorage.getItem('candor.gcm') !== null,
    decision: localStorage.getItem('candor.consent') !== null,
  }));
  assert.deepEqual(await signals(), { cookie: true, gcm: true, decision: true });
  // The same revision redeployed with a typo.
  await p.goto(server.url + '/signals-typo.html');
  await h.ready(p);
  assert.equal((await p.evaluate(() => window.candor.error)).code, 'config');
  assert.deepEqual(await signals(), { cookie: false, gcm: false, decision: true });
  // A config that does not load at all: the same.
  await p.goto(server.url + '/signals.html');
  await h.ready(p);
  assert.deepEqual(await signals(), { cookie: true, gcm: true, decision: true });
  await p.goto(server.url + '/missing.html');
  await h.ready(p);
  assert.equal((await p.evaluate(() => window.candor.error)).code, 'config-fetch');
  assert.deepEqual(await signals(), { cookie: false, gcm: false, decision: true });
  // Fixed again: the stored decision holds and is published again.
  await p.goto(server.url + '/signals.html');
  await h.ready(p);
  assert.equal((await h.consent(p)).purposes.stats, true);
  assert.deepEqual(await signals(), { cookie: true, gcm: true, decision: true });
  await context.close();
});

test('a refused config also takes back a cookie written with a Domain', async () => {
  // shop.test.example is this machine, so the cookie can carry Domain=test.example.
  const named = await h.browser(['--host-resolver-rules=MAP shop.test.example 127.0.0.1']);
  const port = new URL(server.url).port;
  const origin = `http://shop.test.example:${port}`;
  const context = await named.newContext();
  const p = await h.page(context);
  await p.goto(`${origin}/domain-cookie.html`);
  await h.ready(p);
  await p.evaluate(() => window.candor.acceptAll());
  const cookies = async () => (await context.cookies(origin)).filter((c) => c.name === 'candor_consent').map((c) => c.domain);
  assert.deepEqual(await cookies(), ['.test.example']);
  await p.goto(`${origin}/signals-typo.html`);
  await h.ready(p);
  assert.equal((await p.evaluate(() => window.candor.error)).code, 'config');
  assert.deepEqual(await cookies(), []);
  await named.close();
});

test('a cookie.domain that does not cover the page\'s host is warned about once', async () => {
  const { context, p } = await fresh('/foreign-cookie.html');
  await p.evaluate(() => window.candor.acceptAll());
  const warned = p.logs.filter((l) => l.type === 'warning' && /cookie\.domain/.test(l.text)).map((l) => l.text);
  assert.deepEqual(warned, ['candor: cookie.domain "shop.example" does not cover this page\'s host "127.0.0.1": the browser will not set the candor_consent cookie']);
  assert.equal(await p.evaluate(() => document.cookie.includes('candor_consent=')), false);
  await context.close();
});

test('a CSP without \'wasm-unsafe-eval\' is named as such; a config URL is named as fetched, <base href> included', async () => {
  let { context, p } = await fresh('/no-wasm-eval.html');
  let err = await p.evaluate(() => window.candor.error);
  assert.equal(err.code, 'wasm-load');
  assert.ok(err.message.includes("(allow 'wasm-unsafe-eval' in the page's script-src: 'unsafe-eval' is not needed)"), err.message);
  await context.close();
  ({ context, p } = await fresh('/based.html'));
  err = await p.evaluate(() => window.candor.error);
  assert.equal(err.code, 'config-fetch');
  assert.ok(err.message.startsWith(`could not load config from ${server.url}/sub/dir/missing.json (from "missing.json"): HTTP 404`), err.message);
  await context.close();
  // A page where the config should be (a server's catch-all answers 200 with HTML).
  ({ context, p } = await fresh('/html-config.html'));
  err = await p.evaluate(() => window.candor.error);
  assert.equal(err.code, 'config-fetch');
  assert.equal(err.message, `could not load config from ${server.url}/plain-page.html (from "/plain-page.html"): ` +
    'the answer is text/html, not JSON (a page the server shows for a wrong path?)');
  await context.close();
});

test("README's whenCandor: page code run before an async candor.js gets window.candor once it is ready, or its error", async () => {
  for (const [file, want] of [['/when.html', 'r1'], ['/when-broken.html', 'error config-fetch']]) {
    const { context, p } = await fresh(file);
    await p.waitForFunction(() => window.__when !== undefined);
    assert.equal(await p.evaluate(() => window.__when), want, file);
    await context.close();
  }
});

test('an XHTML page without <body>, and a <frameset> page: the prompt shows on the root element, and ready settles', async () => {
  for (const file of ['/xhtml-nobody.xhtml', '/frameset.html']) {
    const { context, p } = await fresh(file);
    assert.equal(await p.evaluate(() => window.candor.error), null, file);
    await h.prompt(p).waitFor({ state: 'visible', timeout: 5000 });
    assert.equal(await p.evaluate(() => document.querySelector('candor-consent').parentNode === document.documentElement), true, file);
    await p.locator('[data-testid="candor-reject-all"]').click();
    assert.equal((await h.consent(p)).decided, true, file);
    await context.close();
  }
});

test('a config or wasm fetch the page\'s CSP refuses: the error names the policy and the origin to allow', async () => {
  for (const [file, code, what] of [['/csp-config.html', 'config-fetch', `config from ${server.url}/candor.config.json`], ['/csp-wasm.html', 'wasm-load', 'http']]) {
    const { context, p } = await fresh(file);
    const err = await p.evaluate(() => window.candor.error);
    assert.equal(err.code, code);
    assert.ok(err.message.startsWith(`could not load ${what}`), err.message);
    assert.ok(err.message.includes(`(the page's Content-Security-Policy refused it: allow ${server.url} in connect-src)`), err.message);
    await context.close();
  }
});

test('a config URL that does not load is reported the same way', async () => {
  const { context, p } = await fresh('/missing.html');
  const ev = await h.events(p, 'error');
  assert.equal(ev.length, 1);
  assert.equal(ev[0].detail.code, 'config-fetch');
  assert.equal(await p.locator('candor-consent').count(), 0);
  await context.close();
});

// A server that takes the request and never answers. The page's clock is
// Playwright's, so the test waits for no real timeout.
for (const [file, code, seconds] of [['candor.config.json', 'config-fetch', 10], ['candor_bg.wasm', 'wasm-load', 30]]) {
  test(`a ${file} request that is never answered settles ready after ${seconds} s with ${code}`, async () => {
    const context = await chrome.newContext();
    let asked = false;
    await context.route(`**/${file}`, () => { asked = true; });
    const p = await h.page(context);
    await p.clock.install();
    // The other request must have been answered before the fake clock jumps,
    // or its own time limit would end the boot first.
    const other = file === 'candor_bg.wasm' ? p.waitForResponse('**/candor.config.json') : p.waitForResponse('**/candor_bg.wasm');
    await p.goto(server.url + '/');
    await (await other).finished();
    await new Promise((r) => setTimeout(r, 200)); // and read by the page
    await p.evaluate(() => { window.__settled = false; window.candor.ready.then(() => { window.__settled = true; }); });
    while (!asked) await new Promise((r) => setTimeout(r, 20));
    await p.clock.runFor((seconds - 1) * 1000);
    assert.equal(await p.evaluate(() => window.__settled), false, 'still waiting a second before the limit');
    await p.clock.runFor(1000);
    await p.waitForFunction(() => window.__settled);
    const err = await p.evaluate(() => window.candor.error);
    assert.equal(err.code, code);
    assert.match(err.message, new RegExp(`no answer within ${seconds} s`));
    assert.deepEqual((await h.events(p, 'error')).map((e) => e.detail.code), [code]);
    assert.equal(await p.locator('candor-consent').count(), 0, 'no prompt');
    assert.deepEqual(await h.consent(p), { revision: null, decided: false, purposes: {}, updated_at: null });
    await context.close();
  });
}

test('a config whose body never finishes settles ready after 10 s with config-fetch', async () => {
  // Another origin that sends the headers and one byte, then nothing.
  const http = require('node:http');
  let asked = false;
  const stall = http.createServer((req, res) => {
    asked = true;
    res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
    res.write('{');
  });
  await new Promise((r) => stall.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${stall.address().port}/stall.json`;
  h.write(www, { 'stall.html': h.html({ attrs: `data-config="${url}" async` }) });
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.clock.install();
  await p.goto(server.url + '/stall.html');
  await p.evaluate(() => { window.__settled = false; window.candor.ready.then(() => { window.__settled = true; }); });
  while (!asked) await new Promise((r) => setTimeout(r, 20));
  await p.clock.runFor(10_000);
  await p.waitForFunction(() => window.__settled);
  const err = await p.evaluate(() => window.candor.error);
  assert.equal(err.code, 'config-fetch');
  assert.match(err.message, /no answer within 10 s/);
  await context.close();
  stall.closeAllConnections();
  await new Promise((r) => stall.close(r));
});

async function assertUndecidedWithPrompt(p) {
  const c = await h.consent(p);
  assert.equal(c.decided, false);
  assert.equal(c.revision, 'r1');
  assert.deepEqual(c.purposes, { necessary: true, stats: false, video: false });
  assert.equal(c.updated_at, null);
  await h.prompt(p).waitFor({ state: 'visible' });
  assert.equal(await p.locator('candor-consent').count(), 1);
}

test('grant, deny and open with hostile arguments throw a TypeError naming the problem and change nothing', async () => {
  const { context, p } = await fresh('/');
  const out = await p.evaluate(() => {
    const tryIt = (f) => { try { f(); return 'no error'; } catch (e) { return `${e.name}: ${e.message}`; } };
    const trap = new Proxy(['stats'], { get(t, k) { if (k === '0') throw new Error('boom'); return t[k]; } });
    return [
      tryIt(() => window.candor.grant(trap)),
      tryIt(() => window.candor.grant([5])),
      tryIt(() => window.candor.deny('stats')),
      tryIt(() => window.candor.open(5)),
      tryIt(() => window.candor.open('settings')),
      tryIt(() => window.candor.open('x'.repeat(50) + '"')),
      tryIt(() => window.candor.open(null)),
      tryIt(() => window.candor.deny(['necessary'])),
      tryIt(() => window.candor.deny(['stats', 'necessary'])),
      tryIt(() => window.candor.grant(['necessary'])),
      tryIt(() => window.candor.grant([])),
      tryIt(() => window.candor.deny([...Array(1000).fill('stats'), 'video'])),
    ];
  });
  assert.deepEqual(out, [
    'TypeError: candor.grant(ids): ids could not be read',
    'TypeError: candor.grant(ids): ids[0] is not a string',
    'TypeError: candor.deny(ids): expected an array of purpose ids',
    'TypeError: candor.open(view): view must be "preferences" or "data", not a number',
    'TypeError: candor.open(view): view must be "preferences" or "data", not "settings"',
    `TypeError: candor.open(view): view must be "preferences" or "data", not "${'x'.repeat(40)}"…`,
    'TypeError: candor.open(view): view must be "preferences" or "data", not null',
    'Error: candor.deny: purpose "necessary" is required and cannot be denied',
    'Error: candor.deny: purpose "necessary" is required and cannot be denied',
    'no error',
    'no error',
    'TypeError: candor.deny(ids): expected at most 1000 purpose ids, got 1001',
  ]);
  const c = await h.consent(p);
  assert.equal(c.decided, false, 'nothing changed: naming only a required purpose, or none, is not a decision');
  assert.equal(c.purposes.stats, false);
  assert.equal(await p.locator('[data-testid="candor-prompt"]').isVisible(), true, 'the prompt still asks');
  await context.close();
});
