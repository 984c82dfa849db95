// The QA kit (src/js/testing) with plain playwright-core, no test runner:
// the leak watch fails on a leaky page for the right reasons and passes on a
// clean one; the prompt helpers drive the real prompt. (Presets being ignored
// when qa is off or the host does not match is covered in qa.test.js.)
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');
const kit = require('../../src/js/testing');

const CONFIG = h.config({
  qa: { hosts: ['127.0.0.1'] },
  purposes: [
    h.config().purposes[0],
    { ...h.config().purposes[1], cookies: ['_st_*'] },
    { ...h.config().purposes[2], cookies: ['_vid*'] },
  ],
  vendors: [
    { name: 'Stats Co', purpose: 'stats', urls: ['/vendor/stats/*'] },
    { name: 'Video Co', purpose: 'video', urls: ['/vendor/video/*'] },
  ],
});
// A vendor on another origin (a real server on its own port), which answers
// with a Set-Cookie header; listed in the config once its port is known.
const http = require('node:http');
const vendor = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'image/svg+xml', 'set-cookie': '_st_srv=9; Path=/; HttpOnly' });
  res.end('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>');
});
// A gated tag done right, an embed done right, first-party storage that is
// tied to no purpose.
const CLEAN = h.html({ body: `
<script type="text/plain" data-candor-purpose="stats" src="/vendor/stats/tag.js"></script>
<iframe title="video" data-candor-purpose="video" data-src="/vendor/video/embed.html"></iframe>
<script src="/site.js"></script>` });
// The same vendor tag without the gate (it fires at once, and sets its
// cookie), plus a first-party script that sets a video cookie before consent.
const LEAKY = h.html({ body: `
<script src="/vendor/stats/tag.js"></script>
<iframe title="video" data-candor-purpose="video" data-src="/vendor/video/embed.html"></iframe>
<script src="/site.js"></script>
<script src="/early-cookie.js"></script>` });

let server, chrome;
test.before(async () => {
  await new Promise((resolve) => vendor.listen(0, '127.0.0.1', resolve));
  const vendorUrl = `127.0.0.1:${vendor.address().port}`;
  CONFIG.vendors.push({ name: 'Stats Co servers', purpose: 'stats', urls: [`${vendorUrl}/*`] });
  const www = h.site({
    'candor.config.json': CONFIG,
    'clean.html': CLEAN,
    // User content that kept the id of an inline config: the SDK ignores it, and so must the kit.
    'clobbered.html': h.html({ body: '<div id="candor-config">user comment: hello</div>' }),
    'leaky.html': LEAKY,
    'site.js': "localStorage.setItem('cart', '[]');",
    'early-cookie.js': "document.cookie = '_vid_pref=hd; path=/';",
    'sneaky.html': h.html({ body: '<script src="/sneaky.js"></script>' }),
    'sneaky.js': `localStorage._st_last = '1'; new Image().src = 'http://${vendorUrl}/pixel.svg';`,
    'broken.json': { ...CONFIG, vendors: [{ purpose: 'ads', urls: ['/x/*'] }] },
    'broken.html': h.html({ attrs: 'data-config="/broken.json" async' }),
    'vendor/stats/tag.js': "document.cookie = '_st_id=42; path=/'; localStorage.setItem('stats_seen', '1'); new Image().src = '/vendor/stats/hit.gif';",
    'vendor/stats/hit.gif': 'GIF89a',
    'vendor/video/embed.html': '<!doctype html><title>v</title><p>video</p>',
  });
  server = await h.collector({ www });
  chrome = await h.browser();
});
test.after(async () => { await chrome?.close(); await server?.stop(); vendor.close(); });

async function watched(path, preset) {
  const context = await chrome.newContext();
  const p = await context.newPage();
  await kit.usePreset(p, preset);
  const watch = await kit.startLeakWatch(p);
  await p.goto(server.url + path);
  await kit.waitForReady(p);
  return { context, p, watch };
}

test('the leaky page fails: a tag that fires before consent, a cookie set before consent', async (t) => {
  const { context, p, watch } = await watched('/leaky.html');
  await p.waitForFunction(() => document.cookie.includes('_st_id'));
  await p.waitForFunction(() => performance.getEntriesByName(new URL('/vendor/stats/hit.gif', location.href).href).length > 0);
  const err = await watch.expectNoLeaks().then(() => null, (e) => e);
  assert.ok(err, 'expectNoLeaks must fail on the leaky page');
  t.diagnostic(err.message);
  const text = err.message;
  assert.match(text, /request GET http:\/\/127\.0\.0\.1:\d+\/vendor\/stats\/tag\.js \(script\).*purpose "stats" was not granted/);
  assert.match(text, /request GET http:\/\/127\.0\.0\.1:\d+\/vendor\/stats\/hit\.gif \(image\).*purpose "stats" was not granted/);
  assert.match(text, /cookie "_st_id" written with document\.cookie by http:\/\/127\.0\.0\.1:\d+\/vendor\/stats\/tag\.js.*purpose "stats" was not granted/);
  assert.match(text, /localStorage\.setItem\("stats_seen"\) by .*\/vendor\/stats\/tag\.js.*purpose "stats"/);
  assert.match(text, /cookie "_vid_pref" written with document\.cookie by .*\/early-cookie\.js.*purpose "video" was not granted \(before (Candor had a decision|the visitor decided)\); name matches cookie pattern "_vid\*"/);
  assert.equal(err.leaks.length, 5, text);
  assert.doesNotMatch(text, /embed\.html|"cart"|candor\./, 'gated content, first-party storage and Candor\'s own keys are not leaks');
  // After a refusal the decision carries over to the next document: the
  // ungated tag now fires against a denial.
  await kit.rejectAll(p);
  await p.reload();
  await kit.waitForReady(p);
  await p.waitForFunction(() => performance.getEntriesByName(new URL('/vendor/stats/hit.gif', location.href).href).length > 0);
  const after = (await watch.leaks()).slice(5);
  assert.ok(after.length >= 2, after.join('\n'));
  assert.ok(after.every((l) => /\(it was denied\)/.test(l)), after.join('\n'));
  await context.close();
});

test('the leak watch reads the config as the SDK does: an element that only has the id is not it', async () => {
  const { context, p, watch } = await watched('/clobbered.html');
  await kit.expectPrompt(p);
  await watch.expectNoLeaks();
  await context.close();
});

test('the clean page passes before consent, after reject, and after granting stats', async () => {
  const { context, p, watch } = await watched('/clean.html');
  await kit.expectPrompt(p);
  await watch.expectNoLeaks();
  await kit.rejectAll(p);
  await p.reload();
  await kit.waitForReady(p);
  await watch.expectNoLeaks({ purposes: [] });
  await kit.grant(p, 'stats');
  await p.waitForFunction(() => document.cookie.includes('_st_id'));
  // The stats tag ran after the grant: allowed. It is a leak only for a test
  // that says stats must stay off.
  await watch.expectNoLeaks({ purposes: { stats: true } });
  const strict = await watch.leaks({ purposes: [] });
  assert.ok(strict.some((l) => /\/vendor\/stats\/tag\.js.*not among the purposes this test allows/.test(l)), strict.join('\n'));
  assert.ok(watch.records().some((r) => r.kind === 'request' && r.url.endsWith('/vendor/stats/tag.js')));
  await context.close();
});

test('a grant through the preferences view loads only that purpose; a withdrawal leaves nothing behind', async () => {
  const { context, p, watch } = await watched('/clean.html');
  const c = await kit.grant(p, 'video');
  assert.deepEqual(c.purposes, { necessary: true, stats: false, video: true });
  await p.waitForFunction(() => document.querySelector('iframe[src="/vendor/video/embed.html"]') !== null);
  await watch.expectNoLeaks({ purposes: { video: true } });
  await kit.openPreferences(p);
  await p.locator(`[data-testid="${kit.TESTIDS.toggle('video')}"]`).setChecked(false);
  await p.locator(`[data-testid="${kit.TESTIDS.save}"]`).click();
  await p.waitForFunction(() => window.candor.consent().purposes.video === false);
  await watch.expectNoLeaks();
  await context.close();
});

test('presets and the QA clock through the kit; acceptAll clicks the real button', async () => {
  const { context, p } = await watched('/clean.html', { purposes: { stats: true }, decided: true, noise: false });
  assert.deepEqual((await kit.consent(p)).purposes, { necessary: true, stats: true, video: false });
  await p.evaluate(() => window.candor.track('page_view', { path: '/' }));
  assert.deepEqual(await kit.reports(p), []);
  const start = await p.evaluate(() => window.candor.inspect().open[0].start);
  const now = await p.evaluate(() => Math.floor(Date.now() / 1000));
  assert.equal((await kit.advance(p, start + 60 - now)).sent, 1);
  await kit.idle(p);
  await context.close();

  const fresh = await watched('/clean.html?candor=reject-all');
  assert.equal((await kit.consent(fresh.p)).decided, true);
  await assert.rejects(kit.acceptAll(fresh.p), /prompt is not showing/);
  await fresh.context.close();

  // A relative URL that already carries ?candor=: the kit's preset replaces
  // it (the SDK reads the first one), as it does in an absolute URL.
  assert.equal(kit.presetUrl('/clean.html?x=1&candor=reject-all#top', 'accept-all'), '/clean.html?x=1&candor=accept-all#top');
  const relative = await chrome.newContext({ baseURL: server.url });
  const rp = await relative.newPage();
  await kit.usePreset(rp, 'accept-all');
  await rp.goto('/clean.html?candor=reject-all');
  assert.deepEqual((await kit.waitForReady(rp)).purposes, { necessary: true, stats: true, video: true });
  await relative.close();

  const ui = await watched('/clean.html');
  const all = await kit.acceptAll(ui.p);
  assert.deepEqual(all.purposes, { necessary: true, stats: true, video: true });
  await ui.watch.expectNoLeaks({ purposes: { stats: true, video: true } });
  await ui.context.close();
});

test('set-cookie headers, cookies that appear in the jar and storage assignments are caught too', async () => {
  const { context, p, watch } = await watched('/sneaky.html');
  await p.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/pixel.svg')));
  await context.addCookies([{ name: '_vid_elsewhere', value: '1', url: server.url }]);
  const found = (await watch.leaks()).join('\n');
  assert.match(found, /request GET http:\/\/127\.0\.0\.1:\d+\/pixel\.svg \(image\).*purpose "stats" was not granted.*vendor "Stats Co servers" pattern "127\.0\.0\.1:\d+\/\*"/);
  assert.match(found, /cookie "_st_srv" set by a Set-Cookie header of http:\/\/127\.0\.0\.1:\d+\/pixel\.svg: purpose "stats" was not granted/);
  assert.match(found, /cookie "_vid_elsewhere" \(domain 127\.0\.0\.1\) is in the cookie jar at the end: purpose "video" was not granted/);
  assert.match(found, /localStorage key "_st_last" is stored at the end on .*sneaky\.html: purpose "stats" was not granted/);
  await assert.rejects(watch.leaks({ purposes: ['ads'] }), /unknown purpose "ads"/);
  await context.close();
});

test('waitForReady names why Candor did not start; a bad vendors entry is named too', async () => {
  const context = await chrome.newContext();
  const p = await context.newPage();
  const watch = await kit.startLeakWatch(p, { configUrl: '/broken.json' });
  await p.goto(server.url + '/broken.html');
  await assert.rejects(kit.waitForReady(p), /Candor did not start: config: invalid config: vendors\[0\]\.purpose: unknown purpose "ads"/);
  await assert.rejects(watch.leaks(), /leak watch: vendors\[0\]\.purpose: unknown purpose "ads"/);
  await context.close();
});

test('expectPrompt fails on an unfair first layer, naming the difference', async () => {
  const { context, p } = await watched('/clean.html');
  await kit.expectPrompt(p);
  // Make "reject" smaller and greyer than "accept", as a dark pattern would.
  await p.evaluate(() => {
    const reject = document.querySelector('candor-consent').shadowRoot.querySelector('[data-testid="candor-reject-all"]');
    reject.style.fontSize = '10px';
    reject.style.width = '60px';
    reject.style.justifySelf = 'start';
    reject.style.flex = 'none';
    reject.style.opacity = '0.6';
  });
  const err = await kit.expectPrompt(p).then(() => null, (e) => e);
  assert.ok(err, 'expectPrompt must fail');
  assert.match(err.message, /accept is \d+×\d+ px but reject is \d+×\d+ px/);
  assert.match(err.message, /accept and reject differ in font/);
  assert.match(err.message, /accept and reject differ in opacity: "1" vs "0\.6"/);
  await context.close();
});

test('expectPrompt with the preferences open fails at once, saying the first layer is not showing', async () => {
  const { context, p } = await watched('/clean.html');
  await kit.waitForReady(p);
  await p.evaluate(() => window.candor.open());
  await p.locator(`[data-testid="${kit.TESTIDS.save}"]`).waitFor({ state: 'visible' });
  // Not a Playwright timeout on the hidden "Choose what to allow".
  const err = await kit.expectPrompt(p).then(() => null, (e) => e);
  assert.ok(err, 'expectPrompt must fail');
  assert.match(err.message, /the first layer is not showing/);
  await context.close();
});

test('every TESTIDS entry selects exactly one element of the real prompt, placeholder and data view', async () => {
  const { context, p } = await watched('/clean.html');
  await p.evaluate(() => window.candor.acceptAll());
  const { TESTIDS: T } = kit;
  const count = (id) => p.locator(`[data-testid="${id}"]`).count();
  await p.evaluate(() => window.candor.open('data'));
  await p.locator(`[data-testid="${T.dataView}"]`).waitFor({ state: 'visible' });
  const ids = Object.entries(T).filter(([, v]) => typeof v === 'string').map(([, v]) => v)
    .concat([T.toggle('stats'), T.dataPurpose('stats'), T.dataWaiting('stats'), T.dataSent('stats')]);
  const counts = {};
  for (const id of ids) counts[id] = await count(id);
  assert.deepEqual(Object.entries(counts).filter(([, n]) => n !== 1), [], 'each selects one element');
  await context.close();
  const second = await watched('/clean.html');
  await second.p.evaluate(() => document.querySelector('iframe').setAttribute('data-candor-placeholder', ''));
  await second.p.locator(`[data-testid="${T.placeholderAllow('video')}"]`).waitFor();
  assert.equal(T.placeholderAllow('a', 'b'), 'candor-placeholder-allow-a+b');
  await second.context.close();
});

test('expectPrompt on a visitor who decided already fails saying no prompt shows', async () => {
  const { context, p } = await watched('/clean.html', 'accept-all');
  const err = await kit.expectPrompt(p).then(() => null, (e) => e);
  assert.ok(err, 'expectPrompt must fail');
  assert.match(err.message, /the prompt \(candor-prompt\) is not visible \(the visitor decided already, or a preset applied\?\)/);
  await context.close();
});
