// Purpose-gated content and track(): nothing whose purpose is not granted is
// fetched, run or recorded. Every request the page makes is recorded.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const GATED_PAGE = h.html({
  body: `
<script type="text/plain" data-candor-purpose="stats" src="/vendor/stats.js" id="stats-tag"></script>
<script type="text/plain" data-candor-purpose="stats">window.__order = (window.__order || []).concat('inline-stats');</script>
<script type="text/plain" data-candor-purpose="stats video" src="/vendor/both.js"></script>
<iframe title="video" data-candor-purpose="video" data-src="/vendor/video.html"></iframe>
<img alt="" data-candor-purpose="video" data-src="/vendor/pixel.svg">
<script src="/page.js"></script>`,
});

let server, chrome, www;
test.before(async () => {
  www = h.site({
    'candor.config.json': h.config({ purposes: [...h.config().purposes.slice(0, 2),
      { ...h.config().purposes[2], cookies: ['_vid*', 'track_me', 'ad?'] }] }),
    'index.html': GATED_PAGE,
    'shop/deep/index.html': GATED_PAGE,
    'page.js': 'window.__pageRan = true;',
    'vendor/stats.js': "window.__order = (window.__order || []).concat('stats'); window.__statsRuns = (window.__statsRuns || 0) + 1;",
    'vendor/both.js': "window.__order = (window.__order || []).concat('both');",
    'vendor/video.html': '<!doctype html><title>v</title><p>video</p>',
    'vendor/pixel.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>',
    'vendor/late.js': 'window.__late = (window.__late || 0) + 1;',
    'tt.html': h.html({
      head: `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; require-trusted-types-for 'script'; trusted-types 'none'">`,
      body: `<script type="text/plain" data-candor-purpose="stats">window.__inline = true;</script>
<iframe title="video" data-candor-purpose="stats" data-src="/vendor/video.html"></iframe>
<img alt="" data-candor-purpose="stats" data-src="/vendor/pixel.svg">
<script src="/tt-errors.js"></script>` }),
    'tt-errors.js': "window.__errors = []; document.addEventListener('candor:error', (e) => window.__errors.push(e.detail));",
    // Trusted Types with the page's own default policy, which lets its gated vendor scripts' URLs through.
    'tt-default.html': h.html({
      head: `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; require-trusted-types-for 'script'; trusted-types default">
<script src="/tt-policy.js"></script>`,
      body: `<script type="text/plain" data-candor-purpose="stats" src="/vendor/stats.js"></script>
<script type="text/plain" data-candor-purpose="stats" src="/elsewhere/stats.js"></script>
<script type="text/plain" data-candor-purpose="stats" src="/vendor/both.js" onload="window.__onload = true"></script>
<script src="/tt-errors.js"></script>` }),
    'tt-policy.js': `trustedTypes.createPolicy('default', { createScriptURL: (url) => {
  const u = new URL(url, location.href);
  if (u.origin === location.origin && u.pathname.startsWith('/vendor/')) return u.href;
  throw new TypeError('not an allowed script URL: ' + url);
} });`,
    'elsewhere/stats.js': 'window.__elsewhere = true;',
    // In-order gated scripts behind a slow one (the test delays /vendor/slow.js), then a video iframe.
    'slow.html': h.html({ body: `<script type="text/plain" data-candor-purpose="stats" src="/vendor/slow.js"></script>
<script type="text/plain" data-candor-purpose="stats" src="/vendor/late.js"></script>
<script type="text/plain" data-candor-purpose="stats">window.__inlineRuns = (window.__inlineRuns || 0) + 1;</script>
<iframe title="video" data-candor-purpose="video" data-src="/vendor/video.html"></iframe>` }),
    'vendor/slow.js': 'window.__slow = (window.__slow || 0) + 1;',
    // An async ad loader's own document.write, used later; a snippet that writes, then removes itself.
    'write-shim.html': h.html({ body: `<div id="content">Article</div>
<script type="text/plain" data-candor-purpose="stats">window.__got = []; document.write = function (h) { window.__got.push(h); };
setTimeout(function () { document.write('<p>later</p>'); }, 50);</script>` }),
    // A written script that replaces the container it was written into (ad slots do): the rest has nowhere to go.
    'write-slot.html': h.html({ body: `<div id="content">Article</div><div id="slot"><script type="text/plain" data-candor-purpose="stats">
document.writeln('<div id="ad"></div><script>document.getElementById("slot").innerHTML = "<p id=replaced>x</p>";<' + '/script>');</script></div>` }),
    'write-self.html': h.html({ body: `<div id="content">Article</div>
<script type="text/plain" data-candor-purpose="stats">document.write('<i id="kept">ad</i>'); document.currentScript.remove();</script>` }),
    // An ad or pixel snippet written for the parser: document.write.
    'write.html': h.html({ body: `<div id="content">Article</div>
<script type="text/plain" data-candor-purpose="stats">document.write('<img id="written" alt="" src="/vendor/pixel.svg">');
document.writeln('<script>window.__writtenRan = (window.__writtenRan || 0) + 1; document.write("<b id=nested>ad</b>");<' + '/script>');</script><p id="after">More</p>` }),
    // Markup a sanitizer lets through (data-* attributes are inert), from a visitor's comment, say.
    'hostile-urls.html': h.html({ body: `<iframe title="a" data-candor-purpose="necessary" data-src="javascript:parent.__pwned = (parent.__pwned || 0) + 1"></iframe>
<iframe title="b" data-candor-purpose="stats" data-src="  JaVaScRiPt:parent.__pwned = (parent.__pwned || 0) + 1"></iframe>
<embed data-candor-purpose="stats" data-src="javascript:parent.__pwned = 1">
<script type="text/plain" data-candor-purpose="stats" src="data:text/javascript,window.__pwned = 1"></script>
<iframe title="c" id="later" data-candor-purpose="stats" data-src="/vendor/video.html"></iframe>
<script src="/tt-errors.js"></script>` }),
    // One async gated script, held by the test like slow.html's.
    'slow-async.html': h.html({ body: `<script type="text/plain" data-candor-purpose="stats" src="/vendor/slow.js" async id="vendor-tag"></script>` }),
    // Scripts of two purposes waiting behind slow.js; one external script the page removes while it waits.
    'order.html': h.html({ body: `<script type="text/plain" data-candor-purpose="stats" src="/vendor/slow.js"></script>
<script type="text/plain" data-candor-purpose="stats">window.__order = (window.__order || []).concat('A');</script>
<script type="text/plain" data-candor-purpose="video">window.__order = (window.__order || []).concat('B');</script>
<script type="text/plain" data-candor-purpose="stats" src="/vendor/late.js" id="removed"></script>
<script type="text/plain" data-candor-purpose="stats">window.__order = (window.__order || []).concat('C');</script>` }),
    // A nonce CSP with 'strict-dynamic', Candor's own tag carrying the nonce:
    // the browser would trust every script Candor creates, so markup injected
    // without the nonce (here a "necessary" script, which would run at boot)
    // must be refused by Candor itself.
    'strict.html': h.html({
      attrs: 'data-config="/candor.config.json" async nonce="n0nce"',
      head: `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'nonce-n0nce' 'strict-dynamic' 'wasm-unsafe-eval'; style-src 'self'">
<script src="/tt-errors.js" nonce="n0nce"></script>`,
      body: `<script type="text/plain" data-candor-purpose="stats" nonce="n0nce">window.__withNonce = true;</script>
<script type="text/plain" data-candor-purpose="necessary">window.__injected = true;</script>
<script type="text/plain" data-candor-purpose="stats" src="/vendor/late.js"></script>` }),
    // The same policy, Candor's tag added by a nonced bootstrap script (a
    // loader, a tag manager), without a nonce of its own.
    'strict-boot.html': h.html({
      attrs: 'data-config="/candor.config.json" async nonce="n0nce"',
      head: `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'nonce-n0nce' 'strict-dynamic' 'wasm-unsafe-eval'; style-src 'self'">`,
    }).replace(/<script src="\/candor\/candor.js"[^>]*><\/script>/, `<script nonce="n0nce">var s = document.createElement('script');
s.src = '/candor/candor.js'; s.dataset.config = '/candor.config.json'; document.head.append(s);</script>`),
    // A gated <source> of a video; a refused inline onload handler (the script
    // itself runs); a refused data: URL (reported by its scheme alone).
    'media.html': h.html({ body: '<video><source data-candor-purpose="video" data-src="/vendor/clip.webm" type="video/webm"></video>' }),
    'vendor/clip.webm': 'not really a video',
    'attrs.html': h.html({
      head: `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'">
<script src="/tt-errors.js"></script>`,
      body: `<script type="text/plain" data-candor-purpose="stats" src="/vendor/late.js" onload="window.__onload = true"></script>
<script type="text/plain" data-candor-purpose="stats" src="data:text/javascript,window.__data=1"></script>
<img alt="" data-candor-purpose="stats" data-src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E">` }),
    // A gated script whose own onload withdraws its purpose (a page listener may do so as it loads).
    'onload-deny.html': h.html({ body: `<script type="text/plain" data-candor-purpose="stats" src="/vendor/count.js" onload="window.candor.deny(['stats'])"></script>` }),
    'vendor/count.js': 'window.__count = (window.__count || 0) + 1;',
    // A nonce CSP: the page's own gated inline script lacks the nonce.
    'nonce.html': h.html({
      head: `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'nonce-n0nce'; style-src 'self'">`,
      body: `<script type="text/plain" data-candor-purpose="stats" nonce="n0nce">window.__withNonce = true;</script>
<script type="text/plain" data-candor-purpose="stats">window.__withoutNonce = true;</script>
<script src="/tt-errors.js"></script>` }),
    // The same policy refusing URLs: a script, an iframe and an image from another origin (never fetched).
    'urls.html': h.html({
      head: `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; frame-src 'self'">`,
      body: `<script src="/tt-errors.js"></script>
<script type="text/plain" data-candor-purpose="stats" src="https://elsewhere.invalid/tag.js"></script>
<iframe title="v" data-candor-purpose="stats" data-src="https://elsewhere.invalid/embed"></iframe>
<img alt="" data-candor-purpose="stats" data-src="https://elsewhere.invalid/pixel.gif">
<img alt="" data-candor-purpose="stats" data-src="/vendor/pixel.svg">` }),
    'noised.json': h.config({ aggregation: { window_seconds: 3600, noise: { epsilon: 1 } } }),
    'noised.html': h.html({ attrs: 'data-config="/noised.json"' }),
    'bounded.json': h.config({ events: { ...h.config().events, purchase: { ...h.config().events.purchase, max_per_window: 3 } } }),
    'bounded.html': h.html({ attrs: 'data-config="/bounded.json"' }),
  });
  server = await h.collector({ www });
  chrome = await h.browser();
});
test.after(async () => { await chrome?.close(); await server?.stop(); });

/** Opens `url` (after `before(p)`, e.g. routes), recording every request's path in `p.requests`. */
async function open(context, url = '/', before = async () => {}) {
  const p = await h.page(context);
  p.requests = [];
  p.on('request', (r) => p.requests.push(new URL(r.url()).pathname));
  await before(p);
  await p.goto(server.url + url);
  await h.ready(p);
  return p;
}
const vendorHits = (p) => p.requests.filter((u) => u.startsWith('/vendor/'));

/** A page whose /vendor/slow.js is held until `release()`. */
async function held(context, url) {
  let release;
  const gate = new Promise((r) => { release = r; });
  const p = await open(context, url, (p) => p.route('**/vendor/slow.js', async (route) => { await gate; await route.continue(); }));
  return { p, release };
}

test('before consent and after reject: zero requests to gated URLs, across reloads', async () => {
  const context = await chrome.newContext();
  const p = await open(context);
  assert.equal(await p.evaluate(() => window.__pageRan), true, 'the site keeps working');
  assert.deepEqual(vendorHits(p), []);
  await p.locator('[data-testid="candor-reject-all"]').click();
  await p.waitForFunction(() => window.candor.consent().decided);
  for (let i = 0; i < 2; i++) {
    await p.reload();
    await h.ready(p);
    await p.waitForTimeout(200);
  }
  assert.deepEqual(vendorHits(p), [], 'no gated request at any point');
  assert.equal(await p.evaluate(() => window.__order), undefined, 'no gated script ran');
  console.log(`# leak test: 3 loads (undecided, rejected, rejected) made ${p.requests.length} requests, ${vendorHits(p).length} to the 4 gated URLs`);
  await context.close();
});

test('granting one purpose activates exactly its elements, once, in document order', async () => {
  const context = await chrome.newContext();
  const p = await open(context);
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.waitForFunction(() => (window.__order || []).length >= 2);
  await p.waitForTimeout(200);
  assert.deepEqual(await p.evaluate(() => window.__order), ['stats', 'inline-stats']);
  assert.deepEqual(vendorHits(p), ['/vendor/stats.js'], 'only the stats script; not the two-purpose one, not video');
  // The id moves to the script that ran: one element per id, and it is the live one.
  assert.deepEqual(await p.evaluate(() => [document.querySelectorAll('#stats-tag').length, document.getElementById('stats-tag').type]), [1, '']);
  // Granting again, or another purpose, never re-runs what ran.
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.evaluate(() => window.candor.grant(['video']));
  await p.waitForFunction(() => (window.__order || []).includes('both'));
  await p.waitForTimeout(200);
  assert.equal(await p.evaluate(() => window.__statsRuns), 1);
  assert.deepEqual(vendorHits(p).sort(), ['/vendor/both.js', '/vendor/pixel.svg', '/vendor/stats.js', '/vendor/video.html']);
  console.log(`# leak test: after granting stats then video, ${vendorHits(p).length} gated requests (one per gated URL), stats.js ran once`);
  await context.close();
});

test('elements added later are gated too', async () => {
  const context = await chrome.newContext();
  const p = await open(context);
  await p.evaluate(() => {
    const s = document.createElement('script');
    s.type = 'text/plain';
    s.dataset.candorPurpose = 'video';
    s.src = '/vendor/late.js';
    document.body.append(s);
  });
  await p.waitForTimeout(200);
  assert.equal(vendorHits(p).includes('/vendor/late.js'), false);
  await p.evaluate(() => window.candor.grant(['video']));
  await p.waitForFunction(() => window.__late === 1);
  // Added after the grant: activates straight away.
  await p.evaluate(() => {
    const i = document.createElement('iframe');
    i.dataset.candorPurpose = 'video';
    i.dataset.src = '/vendor/video.html?late';
    document.body.append(i);
  });
  await p.waitForFunction(() => document.querySelector('iframe[src="/vendor/video.html?late"]') !== null);
  await context.close();
});

test('an activated iframe re-rendered in place with a new data-src loads it while granted; a src the page set itself is kept', async () => {
  const context = await chrome.newContext();
  const p = await open(context);
  await p.evaluate(() => {
    const i = document.createElement('iframe');
    i.id = 'spa';
    i.dataset.candorPurpose = 'video';
    i.dataset.src = '/vendor/video.html?a';
    document.body.append(i);
  });
  await p.evaluate(() => window.candor.grant(['video']));
  const src = () => p.evaluate(() => document.getElementById('spa').getAttribute('src'));
  await p.waitForFunction(() => document.getElementById('spa').getAttribute('src') === '/vendor/video.html?a');
  // The framework renders the next route into the same element.
  await p.evaluate(() => { document.getElementById('spa').dataset.src = '/vendor/video.html?b'; });
  await p.waitForFunction(() => document.getElementById('spa').getAttribute('src') === '/vendor/video.html?b');
  // The page's own script sets src (autoplay, say); later DOM changes leave it alone.
  await p.evaluate(() => { document.getElementById('spa').src = '/vendor/video.html?c'; document.body.append(document.createElement('div')); });
  await p.waitForTimeout(100);
  assert.equal(await src(), '/vendor/video.html?c');
  // Withdrawn: the frame is unloaded (replaced by a copy without src), and a new data-src is not loaded.
  await p.evaluate(() => window.candor.deny(['video']));
  await p.evaluate(() => { document.getElementById('spa').dataset.src = '/vendor/video.html?d'; });
  await p.waitForTimeout(100);
  assert.equal(await src(), null);
  await context.close();
});

test('a gated element naming no purpose of the config stays inert, with one warning per value naming it', async () => {
  const context = await chrome.newContext();
  const p = await open(context);
  await p.evaluate(() => {
    for (const purpose of ['vidoe', 'vidoe', 'stats,video', '']) {
      const i = document.createElement('iframe');
      i.dataset.candorPurpose = purpose;
      i.dataset.src = '/vendor/video.html?typo';
      document.body.append(i);
    }
  });
  await p.evaluate(() => window.candor.acceptAll());
  await p.waitForTimeout(200);
  assert.equal(await p.evaluate(() => document.querySelectorAll('iframe[src="/vendor/video.html?typo"]').length), 0);
  const warnings = p.logs.filter((l) => l.type === 'warning' && l.text.includes('names no purpose')).map((l) => l.text);
  assert.equal(warnings.length, 3, warnings.join('\n'));
  assert.match(warnings[0], /<iframe data-candor-purpose="vidoe"> names no purpose of the config \(unknown: vidoe\).*from: "necessary", "stats", "video"/);
  assert.match(warnings[1], /"stats,video".*unknown: stats,video/);
  assert.match(warnings[2], /data-candor-purpose=""> names no purpose of the config \(it is empty\)/);
  await context.close();
});

test('withdrawal deletes the purpose\'s declared cookies and fires candor:consent', async () => {
  const context = await chrome.newContext();
  const p = await open(context);
  await p.evaluate(() => window.candor.grant(['video']));
  await p.evaluate(() => {
    document.cookie = '_vid_a=1; path=/';
    document.cookie = '_vid_b=2; path=/';
    document.cookie = 'track_me=3; path=/';
    document.cookie = 'site_cart=keep; path=/';
    document.cookie = 'ad1=x; path=/';
    document.cookie = 'ad12=keep; path=/';
  });
  await p.evaluate(() => window.candor.withdraw());
  const jar = await p.evaluate(() => document.cookie);
  assert.equal(jar, 'site_cart=keep; ad12=keep', '"ad?" matches ad1, not ad12');
  const consent = (await h.events(p, 'consent')).at(-1).detail;
  assert.equal(consent.purposes.video, false);
  await context.close();
});

test('withdrawal and erase delete declared cookies set for any path above the page, not only "/"', async () => {
  const context = await chrome.newContext();
  const p = await open(context, '/shop/deep/');
  const jar = async () => (await context.cookies()).map((c) => `${c.name}@${c.path}`).sort();
  const vendor = () => p.evaluate(() => {
    // As a vendor's tag would: no path (the page's directory, /shop/deep), and paths of its own.
    for (const c of ['_vid_none=1', '_vid_root=1; path=/', '_vid_shop=1; path=/shop', '_vid_shop2=1; path=/shop/',
      '_vid_deep=1; path=/shop/deep/', 'site_cart=keep; path=/shop']) document.cookie = c;
  });
  await p.evaluate(() => window.candor.grant(['video']));
  await vendor();
  await h.settled(async () => (await jar()).length, 6);
  await p.evaluate(() => window.candor.withdraw());
  await h.settled(jar, ['site_cart@/shop']);
  await p.evaluate(() => window.candor.grant(['video']));
  await vendor();
  await p.evaluate(() => window.candor.erase());
  await h.settled(jar, ['site_cart@/shop']);
  // Withdrawn from a page that cannot see them: they go when a page under their path starts.
  await p.evaluate(() => window.candor.grant(['video']));
  await vendor();
  await h.settled(async () => (await jar()).length, 6);
  // The grant came within a second of the erase: left before its durable
  // copy is written, it would read as erased at the next boot.
  await h.copied(p);
  await p.goto(server.url + '/');
  await h.ready(p);
  await p.evaluate(() => window.candor.deny(['video']));
  await h.settled(async () => (await jar()).length, 5, 'the root page sees only the cookie for /');
  await h.copied(p);
  await p.goto(server.url + '/shop/deep/');
  await h.ready(p);
  await h.settled(jar, ['site_cart@/shop']);
  await context.close();
});

test('candor.on runs a callback once its purpose is granted', async () => {
  const context = await chrome.newContext();
  const p = await open(context);
  await p.evaluate(() => { window.__on = 0; window.candor.on('stats', () => { window.__on += 1; }); });
  assert.equal(await p.evaluate(() => window.__on), 0);
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.evaluate(() => window.candor.grant(['video']));
  assert.equal(await p.evaluate(() => window.__on), 1);
  await p.evaluate(() => window.candor.on('stats', () => { window.__on += 10; }));
  assert.equal(await p.evaluate(() => window.__on), 11, 'already granted: runs at once');
  // A purpose the config does not have (a typo): said once, as grant() would refuse it.
  await p.evaluate(() => window.candor.on('statz', () => {}));
  assert.deepEqual(p.logs.filter((l) => l.type === 'warning' && /statz/.test(l.text)).map((l) => l.text),
    ['candor: candor.on("statz", …): no such purpose in the config, so the callback never runs']);
  await context.close();
});

test('candor.on: a callback that changes consent runs once, and so does the watcher it wakes', async () => {
  const context = await chrome.newContext();
  const p = await open(context);
  await p.evaluate(() => {
    window.__runs = { stats: 0, video: 0 };
    // Granting stats also turns on video (site code); a second watcher waits for video.
    window.candor.on('stats', () => { window.__runs.stats += 1; window.candor.grant(['video']); });
    window.candor.on('video', (c) => { window.__runs.video += 1; window.__videoSaw = c.purposes.video; });
  });
  await p.locator('[data-testid="candor-customize"]').click();
  await p.locator('[data-testid="candor-toggle-stats"]').click();
  await p.locator('[data-testid="candor-save"]').click();
  await p.waitForFunction(() => window.__runs.video > 0);
  assert.deepEqual(await p.evaluate(() => window.__runs), { stats: 1, video: 1 });
  assert.equal(await p.evaluate(() => window.__videoSaw), true, 'the video watcher is handed the consent that granted it');
  assert.deepEqual(p.logs.filter((l) => l.type === 'error' || l.type === 'pageerror'), []);
  const c = await h.consent(p);
  assert.deepEqual([c.purposes.stats, c.purposes.video], [true, true]);
  // Two decisions (Save, then the callback's grant), not one per recursive call.
  assert.equal((await h.events(p, 'consent')).length, 2);
  assert.equal(await p.evaluate(() => window.candor.inspect().receipts.length), 2);
  // Page code repeating what is already decided changes nothing: no event, no receipt.
  await p.evaluate(() => { window.candor.grant(['video']); window.candor.deny([]); window.candor.acceptAll(); });
  assert.equal((await h.events(p, 'consent')).length, 2);
  assert.equal(await p.evaluate(() => window.candor.inspect().receipts.length), 2);
  // A change still counts.
  await p.evaluate(() => window.candor.deny(['video']));
  assert.equal((await h.events(p, 'consent')).length, 3);
  await context.close();
});

test('a withdrawal made while this tab had not yet heard of another tab\'s grant is written, and wins', async () => {
  const context = await chrome.newContext();
  const a = await open(context);
  await a.evaluate(() => window.candor.rejectAll());
  const b = await open(context);
  // Tab A is busy (a long task) while tab B grants; then A's visitor withdraws.
  const busy = a.evaluate(() => { const t = Date.now(); while (Date.now() - t < 1500); window.candor.withdraw(); });
  await new Promise((r) => setTimeout(r, 400));
  await b.evaluate(() => window.candor.grant(['stats']));
  await busy;
  await b.waitForFunction(() => window.candor.consent().purposes.stats === false);
  await a.waitForTimeout(300);
  assert.equal((await h.consent(a)).purposes.stats, false);
  assert.match(await a.evaluate(() => localStorage.getItem('candor.consent')), /"stats":false/);
  await context.close();
});

test('track refuses without consent and never throws on hostile input', async () => {
  const context = await chrome.newContext();
  const p = await open(context);
  const results = await p.evaluate(() => {
    const c = window.candor;
    const cyclic = {}; cyclic.self = cyclic;
    const throwing = new Proxy({}, { ownKeys() { throw new Error('boom'); } });
    const getter = { get path() { throw new Error('boom'); } };
    // One order of reasons, whatever shape the fields have: the event, then consent, then its fields.
    const out = { before: c.track('page_view', { path: '/' }), beforeBadFields: c.track('page_view', 5), beforeArray: c.track('page_view', []) };
    c.grant(['stats']);
    const inputs = {
      undef: [undefined, undefined], nul: [null, null], num: [42, {}], obj: [{}, {}],
      unknown: ['nope', {}], unknownBadFields: ['nope', 5], unknownArray: ['nope', []], huge: ['page_view', { path: 'x'.repeat(1e6) }],
      cyclic: ['page_view', cyclic], proxy: ['page_view', throwing], getter: ['page_view', getter],
      nan: ['page_view', { load_ms: NaN }], inf: ['page_view', { load_ms: Infinity }],
      wrongType: ['page_view', { load_ms: '12' }], undeclared: ['page_view', { email: 'a@b.c' }],
      array: ['page_view', ['/']], map: ['page_view', new Map([['path', '/']])], date: ['page_view', new Date()], symbol: ['page_view', { path: Symbol('x') }], bigint: ['page_view', { load_ms: 10n }],
      ok: ['page_view', { path: '/shop', load_ms: 120 }], other: ['page_view', { path: '/private?u=1' }],
      sumOk: ['purchase', { amount: 1e9 }],
      // A field set to undefined is a field not given.
      undefField: ['page_view', { path: '/shop', load_ms: undefined, email: undefined }],
    };
    for (const [k, args] of Object.entries(inputs)) {
      try { out[k] = c.track(...args); } catch (e) { out[k] = { threw: String(e) }; }
    }
    return out;
  });
  for (const k of ['before', 'beforeBadFields', 'beforeArray']) assert.deepEqual(results[k], { accepted: false, reason: 'no-consent' }, k);
  for (const k of ['undef', 'nul', 'num', 'obj', 'unknown', 'unknownBadFields', 'unknownArray']) assert.deepEqual(results[k], { accepted: false, reason: 'unknown-event' }, k);
  for (const k of ['cyclic', 'proxy', 'getter', 'nan', 'inf', 'wrongType', 'undeclared', 'array', 'map', 'date', 'symbol', 'bigint']) {
    assert.deepEqual(results[k], { accepted: false, reason: 'invalid-field' }, k);
  }
  for (const k of ['huge', 'ok', 'other', 'sumOk', 'undefField']) assert.deepEqual(results[k], { accepted: true }, k);
  const aggregates = await p.evaluate(() => window.candor.inspect().open);
  const pv = aggregates.find((a) => a.purpose === 'stats').events.page_view;
  assert.equal(pv.count, 4);
  assert.deepEqual(pv.fields.path, { '/shop': 2, other: 2 });
  assert.equal(aggregates.find((a) => a.purpose === 'stats').events.purchase.fields.amount, 500);
  assert.equal(JSON.stringify(aggregates).includes('private'), false);
  await context.close();
});

test('debug: true logs each refusal with its reason; by default nothing is logged', async () => {
  const www2 = h.site({ 'candor.config.json': h.config({ debug: true }), 'index.html': h.html() });
  const own = await h.collector({ www: www2 });
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(own.url + '/');
  await h.ready(p);
  await p.evaluate(() => { window.candor.track('page_view', {}); window.candor.track('nope'); });
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.evaluate(() => {
    window.candor.track('page_view', { colour: 'red' });
    window.candor.track('page_view', { path: 3 });
    window.candor.track('page_view', { load_ms: [1] });
  });
  const lines = p.logs.filter((l) => /refused/.test(l.text)).map((l) => l.text);
  assert.deepEqual(lines, ['candor: track("page_view") refused: no-consent', 'candor: track("nope") refused: unknown-event',
    'candor: track("page_view") refused: invalid-field (field "colour" is not declared for this event (declared: "load_ms", "path"))',
    'candor: track("page_view") refused: invalid-field (field "path" is a category and needs a string)',
    'candor: track("page_view") refused: invalid-field (field "load_ms" must be a string or a number)']);
  await context.close();
  await own.stop();

  const quiet = await chrome.newContext();
  const q = await open(quiet);
  await q.evaluate(() => window.candor.track('page_view', {}));
  assert.deepEqual(q.logs.filter((l) => /refused/.test(l.text)), []);
  await quiet.close();
});

test('a gated inline script that calls document.write after parsing does not replace the page: what it writes goes after it, with a warning', async () => {
  const context = await chrome.newContext();
  const p = await open(context, '/write.html');
  await h.prompt(p).locator('[data-testid="candor-accept-all"]').click();
  await p.waitForFunction(() => document.getElementById('written') && document.getElementById('nested'));
  assert.deepEqual(await p.evaluate(() => [document.getElementById('content')?.textContent, document.getElementById('after')?.textContent,
    document.getElementById('written').previousElementSibling.dataset.candorPurpose, window.__writtenRan, typeof document.write,
    Object.prototype.hasOwnProperty.call(document, 'write')]), ['Article', 'More', 'stats', 1, 'function', false]);
  // What the written script wrote in turn (an ad chain) follows it, in order.
  assert.deepEqual(await p.evaluate(() => [...document.body.children].map((e) => e.id || e.tagName).filter((x) => ['written', 'nested', 'after'].includes(x))),
    ['written', 'nested', 'after']);
  assert.deepEqual(p.logs.filter((l) => l.type === 'warning' && /document.write/.test(l.text)).map((l) => l.text), ['candor: a gated <script data-candor-purpose="stats"> called ' +
    'document.write after the page was parsed, which would have replaced the whole page: what it wrote was put after the script instead']);
  // The prompt still answers: the visitor can withdraw.
  await p.locator('[data-testid="candor-reopen"]').click();
  await p.locator('[data-testid="candor-reject-all"]').click();
  assert.equal((await h.consent(p)).purposes.stats, false);
  await context.close();
  // A script's own document.write stays in place; a script that removes itself keeps what it wrote.
  const c2 = await chrome.newContext();
  const q = await open(c2, '/write-shim.html');
  await q.evaluate(() => window.candor.grant(['stats']));
  await q.waitForFunction(() => window.__got && window.__got.length === 1);
  assert.deepEqual(await q.evaluate(() => [window.__got, document.getElementById('content')?.textContent]), [['<p>later</p>'], 'Article']);
  await q.goto(server.url + '/write-self.html');
  await h.ready(q);
  await q.waitForFunction(() => document.getElementById('kept'));
  assert.equal(await q.evaluate(() => document.getElementById('content')?.textContent), 'Article');
  // The page does not hang when a written script takes away the place it writes to.
  const logs = q.logs.length;
  await q.goto(server.url + '/write-slot.html');
  await h.ready(q);
  await q.waitForFunction(() => document.getElementById('replaced'));
  assert.equal(await q.evaluate(() => document.getElementById('content')?.textContent), 'Article');
  assert.ok(q.logs.slice(logs).some((l) => /could not be put in \(the script it wrote moved the place it writes to\)/.test(l.text)), JSON.stringify(q.logs.slice(logs)));
  await c2.close();
});

test('a grant taken back in the same task activates nothing', async () => {
  const context = await chrome.newContext();
  const p = await open(context);
  await p.evaluate(() => { window.candor.grant(['stats', 'video']); window.candor.withdraw(); });
  await p.waitForTimeout(500);
  assert.deepEqual(vendorHits(p), [], 'no gated request');
  assert.equal(await p.evaluate(() => window.__order), undefined, 'no gated script ran');
  assert.equal(await p.evaluate(() => document.querySelector('iframe').getAttribute('src')), null);
  await context.close();
});

test('withdrawn while gated scripts wait behind a slow one: neither it nor the rest run, and each runs once at the next grant', async () => {
  const context = await chrome.newContext();
  const { p, release } = await held(context, '/slow.html');
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.waitForFunction(() => document.querySelectorAll('script[src="/vendor/slow.js"]').length === 2);
  // Other purposes do not wait for the stats script.
  await p.evaluate(() => window.candor.grant(['video']));
  await p.waitForFunction(() => document.querySelector('iframe').getAttribute('src') === '/vendor/video.html');
  assert.equal(await p.evaluate(() => window.__slow), undefined, 'the iframe loaded while slow.js was still held');
  await p.evaluate(() => window.candor.deny(['stats']));
  release();
  await p.waitForTimeout(500);
  assert.deepEqual(await p.evaluate(() => [window.__slow, window.__late, window.__inlineRuns]), [undefined, undefined, undefined],
    'slow.js arrived after stats was denied: it did not run, nor anything after it');
  assert.ok(!vendorHits(p).includes('/vendor/late.js'), 'late.js was never fetched');
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.waitForFunction(() => window.__late === 1 && window.__inlineRuns === 1);
  await p.waitForTimeout(200);
  assert.deepEqual(await p.evaluate(() => [window.__slow, window.__late, window.__inlineRuns]), [1, 1, 1], 'each ran once');
  await context.close();
});

test('erase() while gated scripts wait behind a slow one: they stay inert', async () => {
  const context = await chrome.newContext();
  const { p, release } = await held(context, '/slow.html');
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.waitForFunction(() => document.querySelectorAll('script[src="/vendor/slow.js"]').length === 2);
  await p.evaluate(() => window.candor.erase());
  release();
  await p.waitForTimeout(500);
  assert.deepEqual(await p.evaluate(() => [window.__slow, window.__late, window.__inlineRuns]), [undefined, undefined, undefined]);
  assert.ok(!vendorHits(p).includes('/vendor/late.js'));
  await context.close();
});

test('a gated iframe, embed or script whose URL is not http(s) (javascript:, data:) is never loaded: one activation error each, naming it', async () => {
  const context = await chrome.newContext();
  const p = await open(context, '/hostile-urls.html');
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.waitForFunction(() => document.getElementById('later').getAttribute('src') === '/vendor/video.html');
  // A framework re-rendering the loaded iframe in place with a hostile data-src: refused too, the frame kept.
  await p.evaluate(() => document.getElementById('later').setAttribute('data-src', 'javascript:parent.__pwned = 1'));
  await p.waitForFunction(() => window.__errors.length >= 5);
  await p.waitForTimeout(500);
  assert.equal(await p.evaluate(() => window.__pwned), undefined, 'nothing ran in the page');
  assert.deepEqual(await p.evaluate(() => [...document.querySelectorAll('iframe, embed')].map((e) => e.getAttribute('src'))),
    [null, null, null, '/vendor/video.html']);
  const errors = await p.evaluate(() => window.__errors.map((e) => `${e.code}: ${e.message}`));
  assert.deepEqual(errors.sort(), [
    'activation: could not activate <embed data-candor-purpose="stats">: its URL is a javascript URL; only http and https URLs are loaded',
    'activation: could not activate <iframe data-candor-purpose="necessary">: its URL is a javascript URL; only http and https URLs are loaded',
    'activation: could not activate <iframe data-candor-purpose="stats">: its URL is a javascript URL; only http and https URLs are loaded',
    'activation: could not activate <iframe data-candor-purpose="stats">: its URL is a javascript URL; only http and https URLs are loaded',
    'activation: could not activate <script data-candor-purpose="stats">: its URL is a data URL; only http and https URLs are loaded',
  ]);
  await context.close();
});

test('an async gated script whose purpose is withdrawn while it downloads never runs; its element waits, id and all, and runs once at the next grant', async () => {
  const context = await chrome.newContext();
  const { p, release } = await held(context, '/slow-async.html');
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.waitForFunction(() => document.querySelectorAll('script[src="/vendor/slow.js"]').length === 2);
  assert.equal(await p.evaluate(() => document.getElementById('vendor-tag').type), '', 'the id went to the running copy');
  await p.evaluate(() => window.candor.withdraw());
  release();
  await p.waitForTimeout(500);
  assert.equal(await p.evaluate(() => window.__slow), undefined, 'it arrived after the withdrawal and did not run');
  assert.deepEqual(await p.evaluate(() => {
    const tags = [...document.querySelectorAll('script[src="/vendor/slow.js"]')];
    return tags.map((t) => [t.type, t.id, t.hasAttribute('data-candor-activated')]);
  }), [['text/plain', 'vendor-tag', false]], 'only the inert element is left, with its id, waiting');
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.waitForFunction(() => window.__slow === 1);
  await p.waitForTimeout(200);
  assert.equal(await p.evaluate(() => window.__slow), 1, 'ran once');
  assert.equal(await p.evaluate(() => document.getElementById('vendor-tag').type), '', 'the running copy has the id again');
  assert.deepEqual((await h.events(p, 'error')).map((e) => e.detail.code), [], 'no activation error');
  await context.close();
});

test('waiting scripts keep document order across a withdrawal and a new grant; one the page removes meanwhile is skipped', async () => {
  const context = await chrome.newContext();
  const { p, release } = await held(context, '/order.html');
  await p.evaluate(() => window.candor.grant(['stats', 'video']));
  await p.waitForFunction(() => document.querySelectorAll('script[src="/vendor/slow.js"]').length === 2);
  await p.evaluate(() => window.candor.deny(['stats']));
  // B (video) waited only for slow.js, withdrawn now: it runs; the stats scripts wait.
  await p.waitForFunction(() => (window.__order || []).length === 1);
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.evaluate(() => document.getElementById('removed').remove());
  release();
  await p.waitForFunction(() => (window.__order || []).length === 3);
  await p.waitForTimeout(200);
  assert.deepEqual(await p.evaluate(() => [window.__order, window.__slow]), [['B', 'A', 'C'], 1],
    'at the new grant slow.js ran once, then A and C in document order; C did not wait for the removed script');
  assert.ok(!vendorHits(p).includes('/vendor/late.js'), 'the removed script was never fetched');
  await context.close();
});

test('a CSP refusing the URL of a gated script, iframe or image: one activation error each, naming it', async () => {
  const context = await chrome.newContext();
  const p = await open(context, '/urls.html');
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.waitForFunction(() => window.__errors.length >= 3);
  await p.waitForTimeout(300);
  const errors = await p.evaluate(() => window.__errors.map((e) => `${e.code}: ${e.message}`));
  assert.deepEqual(errors.sort(), [
    'activation: could not activate <iframe data-candor-purpose="stats">: the page\'s Content-Security-Policy refused it (frame-src)',
    'activation: could not activate <img data-candor-purpose="stats">: the page\'s Content-Security-Policy refused it (img-src)',
    'activation: could not activate <script data-candor-purpose="stats">: the page\'s Content-Security-Policy refused it (script-src-elem)',
  ]);
  await context.close();
});

test('a report-only CSP refuses nothing: the gated script runs and no activation error is raised', async () => {
  const context = await chrome.newContext();
  const p = await open(context, '/nonce.html', (p) => p.route('**/nonce.html', async (route) => {
    const response = await route.fetch();
    const body = (await response.text()).replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '');
    await route.fulfill({ response, body, headers: { ...response.headers(),
      'content-security-policy-report-only': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'nonce-n0nce'" } });
  }));
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.waitForFunction(() => window.__withNonce === true && window.__withoutNonce === true);
  await p.waitForTimeout(200);
  assert.deepEqual(await p.evaluate(() => window.__errors), []);
  await context.close();
});

/**
 * A front server for a page the collector cannot serve: `serve(res)` writes `path` (and may keep it
 * open); everything else comes from the collector. Opens the site there as a visitor who granted stats.
 */
async function streamed(context, path, serve) {
  const http = require('node:http');
  const open = new Set();
  const front = http.createServer(async (req, res) => {
    if (req.url === path) {
      open.add(res);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      serve(res);
      return;
    }
    const r = await fetch(server.url + req.url, { headers: { 'accept-encoding': 'identity' } });
    res.writeHead(r.status, { 'content-type': r.headers.get('content-type') || 'application/octet-stream' });
    res.end(Buffer.from(await r.arrayBuffer()));
  });
  await new Promise((r) => front.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${front.address().port}`;
  const p = await h.page(context);
  await p.goto(url + '/');
  await h.ready(p);
  await p.evaluate(() => window.candor.grant(['stats']));
  const close = () => { for (const res of open) res.destroy(); front.close(); };
  return { p, url: url + path, close };
}

test('a gated inline script cut in two by a slow network runs whole, once', async () => {
  const context = await chrome.newContext();
  // The parser pauses inside the gated inline script for 1.5 s.
  const { p, url, close } = await streamed(context, '/streamed.html', (res) => {
    const [head, tail] = h.html({ body: `<script type="text/plain" data-candor-purpose="stats">window.__parts = ['first'];
/*PAUSE*/window.__parts.push('second'); window.__inlineRuns = (window.__inlineRuns || 0) + 1;</script>` }).split('/*PAUSE*/');
    res.write(head);
    setTimeout(() => res.end(tail), 1500);
  });
  await p.goto(url, { waitUntil: 'load' });
  await p.waitForFunction(() => window.__inlineRuns !== undefined);
  await p.waitForTimeout(200);
  assert.deepEqual(await p.evaluate(() => [window.__parts, window.__inlineRuns]), [['first', 'second'], 1]);
  assert.deepEqual(p.logs.filter((l) => l.type === 'pageerror'), []);
  await context.close();
  close();
});

test('a page whose loading is stopped (window.stop, the Stop button) still runs its granted inline scripts', async () => {
  const context = await chrome.newContext();
  // The page never finishes. Parsed so far: a whole inline script (a node follows it), an external
  // one, and a last inline script the parser may still be inside.
  const { p, url, close } = await streamed(context, '/endless.html', (res) => {
    res.write(h.html({ body: `<script type="text/plain" data-candor-purpose="stats">window.__first = 1;</script>
<p>more to come</p><script type="text/plain" data-candor-purpose="stats" src="/vendor/stats.js"></script>
<script type="text/plain" data-candor-purpose="stats">window.__ran = (window.__ran || 0) + 1;</script>` }).replace('</body></html>', ''));
  });
  await p.goto(url, { waitUntil: 'commit' });
  await h.ready(p);
  assert.equal(await p.evaluate(() => document.readyState), 'loading');
  await p.waitForFunction(() => window.__first === 1 && window.__statsRuns === 1);
  assert.equal(await p.evaluate(() => document.readyState), 'loading', 'what the parser has left runs while the page loads');
  assert.equal(await p.evaluate(() => window.__ran), undefined, 'the last one waits: the parser may still be inside it');
  await p.evaluate(() => window.stop());
  await p.waitForFunction(() => window.__ran === 1);
  await context.close();
  close();
});

test('a gated script the page\'s CSP refuses (no nonce) is reported with candor:error; the one with the nonce runs', async () => {
  const context = await chrome.newContext();
  const p = await open(context, '/nonce.html');
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.waitForFunction(() => window.__withNonce === true && window.__errors.length === 1);
  const out = await p.evaluate(() => ({ without: window.__withoutNonce === true, errors: window.__errors }));
  assert.equal(out.without, false);
  assert.equal(out.errors[0].code, 'activation');
  assert.match(out.errors[0].message, /^could not activate <script data-candor-purpose="stats">: the page's Content-Security-Policy refused it \(script-src-elem\)$/);
  await context.close();
});

test('a gated element the page refuses (inline script under Trusted Types) is skipped with candor:error; later ones still activate', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(server.url + '/tt.html');
  await h.ready(p);
  await p.locator('[data-testid="candor-accept-all"]').click();
  await p.waitForFunction(() => document.querySelector('img[data-candor-purpose]').getAttribute('src'));
  const out = await p.evaluate(() => ({
    iframe: document.querySelector('iframe[data-candor-purpose]').getAttribute('src'),
    inline: window.__inline === true,
    errors: window.__errors,
  }));
  assert.equal(out.iframe, '/vendor/video.html');
  assert.equal(out.inline, false, 'the policy still holds: the inline script did not run');
  assert.equal(out.errors.length, 1);
  assert.equal(out.errors[0].code, 'activation');
  assert.match(out.errors[0].message, /^could not activate <script data-candor-purpose="stats">: .*TrustedScript/);
  await context.close();
});

test('under Trusted Types, gated external scripts go through the page\'s default policy: allowed URLs run once, others are refused', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(server.url + '/tt-default.html');
  await h.ready(p);
  await p.locator('[data-testid="candor-accept-all"]').click();
  await p.waitForFunction(() => window.__statsRuns === 1 && window.__errors.length === 1);
  const out = await p.evaluate(() => ({ runs: window.__statsRuns, elsewhere: window.__elsewhere === true, errors: window.__errors }));
  assert.equal(out.runs, 1);
  assert.equal(out.elsewhere, false, 'the policy refused the other URL');
  assert.equal(out.errors[0].code, 'activation');
  assert.match(out.errors[0].message, /^could not activate <script data-candor-purpose="stats">: .*not an allowed script URL/);
  // A vendor snippet's onload= is an inline script Trusted Types refuse without a policy for it: the script runs without it.
  await p.waitForFunction(() => (window.__order || []).includes('both'));
  assert.deepEqual(p.logs.filter((l) => l.type === 'warning' && /onload attribute was left out/.test(l.text)).length, 1);
  await context.close();
});

test('past max_per_window an event is accepted as capped and not counted; the default bound of 100 applies only to noised reports', async () => {
  const reasonsOn = async (path) => {
    const context = await chrome.newContext();
    const p = await h.page(context);
    await p.goto(server.url + path);
    await h.ready(p);
    await p.evaluate(() => window.candor.grant(['stats']));
    const reasons = await p.evaluate(() => Array.from({ length: 102 }, () => {
      const r = window.candor.track('purchase', { amount: 1 });
      return r.accepted ? (r.capped ? 'capped' : 'ok') : r.reason;
    }));
    // Only the counted ones are in the aggregate.
    const counted = await p.evaluate(() => window.candor.inspect().open.reduce((n, a) => n + (a.events.purchase?.count || 0), 0));
    await context.close();
    return { reasons, counted };
  };
  const noised = await reasonsOn('/noised.html');
  assert.equal(noised.reasons.filter((r) => r === 'ok').length, 100, 'noise is calibrated to 100 events per window');
  assert.deepEqual(noised.reasons.slice(100), ['capped', 'capped']);
  assert.equal(noised.counted, 100);
  const bounded = await reasonsOn('/bounded.html');
  assert.deepEqual(bounded.reasons.slice(0, 5), ['ok', 'ok', 'ok', 'capped', 'capped'], 'a bound the config sets applies without noise');
  assert.equal(bounded.counted, 3);
  const exact = await reasonsOn('/');
  assert.deepEqual([...new Set(exact.reasons)], ['ok'], 'without noise and without a bound, counts are exact (CONTRACT §6)');
  assert.equal(exact.counted, 102);
});

test('Back to a page not kept in the back/forward cache, after a withdrawal: its gated iframe is not loaded again from session history; the page\'s elements, listeners and references stay', async () => {
  h.write(www, {
    'hist-a.html': h.html({ body: '<a id="go" href="/hist-b.html">B</a><iframe title="video" data-candor-purpose="video" data-src="/vendor/video.html?hist"></iframe>' }),
    'hist-b.html': h.html({ body: '<p>B</p>' }),
  });
  const context = await chrome.newContext();
  const p = await open(context, '/hist-a.html');
  // The page holds its frame from the HTML, with a load listener, and adds one of its own (a single-page app's component).
  await p.evaluate(() => {
    window.__html = document.querySelector('iframe');
    window.__loads = [];
    window.__html.addEventListener('load', () => window.__loads.push(window.__html.contentDocument?.URL));
    const f = document.createElement('iframe');
    f.title = 'late'; f.id = 'late'; f.dataset.candorPurpose = 'video'; f.dataset.src = '/vendor/video.html?late';
    document.body.append(f);
    window.__late = f;
  });
  await p.evaluate(() => window.candor.grant(['video']));
  await p.waitForFunction(() => [...document.querySelectorAll('iframe')].every((f) => f.contentDocument && f.contentDocument.URL.includes('/vendor/')));
  assert.deepEqual(await p.evaluate(() => [document.querySelector('iframe') === window.__html, document.getElementById('late') === window.__late]),
    [true, true], 'the page\'s own elements');
  await p.waitForFunction(() => window.__loads.some((u) => u && u.includes('/vendor/video.html?hist')));
  // Withdrawn here: unloaded, still the same element (a framework can still remove it).
  await p.evaluate(() => window.candor.deny(['video']));
  await p.waitForFunction(() => window.__html.contentDocument?.URL === 'about:blank' && !window.__html.hasAttribute('src'));
  assert.equal(await p.evaluate(() => { const f = window.__html; f.parentNode.removeChild(f); document.body.prepend(f); return document.querySelector('iframe') === f; }), true);
  await p.evaluate(() => window.candor.grant(['video']));
  await p.waitForFunction(() => window.__html.contentDocument?.URL.includes('/vendor/video.html?hist'));
  await p.click('#go');
  await p.waitForURL(/hist-b/);
  await h.ready(p);
  await p.evaluate(() => window.candor.deny(['video']));
  p.requests = [];
  await p.goBack();
  await h.ready(p);
  await p.waitForTimeout(300);
  assert.deepEqual(p.requests.filter((u) => u.startsWith('/vendor/')), [], 'nothing fetched from the vendor');
  assert.equal(await p.evaluate(() => document.querySelector('iframe').contentDocument?.URL), 'about:blank');
  await context.close();
});

test('iframes put back in place stay in the page whatever its blur handlers do; one the page took out loads nothing when put back after a withdrawal; a new data-src adds no history entry', async () => {
  h.write(www, { 'remake.html': h.html({ body: `<div id="box"><iframe title="video" data-candor-purpose="video" data-src="/vendor/video.html?remake" data-candor-placeholder></iframe></div>
<div id="aside"><iframe title="kept" id="kept" data-candor-purpose="video" data-src="/vendor/video.html?kept"></iframe></div>
<script src="/remake.js"></script>` }),
  // The page shows a hint after the focused frame and removes it on blur: the place Candor kept would be gone.
  'remake.js': `document.addEventListener('focusin', (e) => { if (e.target.tagName === 'IFRAME' && !document.getElementById('hint')) {
  const p = document.createElement('p'); p.id = 'hint'; p.textContent = 'hint'; e.target.after(p); } });
document.addEventListener('focusout', (e) => { if (e.target.tagName === 'IFRAME') document.getElementById('hint')?.remove(); });` });
  const context = await chrome.newContext();
  const p = await open(context, '/remake.html');
  const frame = () => p.evaluate(() => { const f = document.querySelector('#box iframe'); return f && [f.isConnected, f.getAttribute('src'), f.contentDocument?.URL]; });
  // "Allow" with the keyboard: focus goes to the frame, which is then put back in place.
  await p.locator('[data-testid="candor-placeholder-allow-video"]').first().focus();
  await p.keyboard.press('Enter');
  await p.waitForFunction(() => document.querySelector('#box iframe')?.contentDocument?.URL.includes('/vendor/'));
  assert.deepEqual(await frame(), [true, '/vendor/video.html?remake', `${server.url}/vendor/video.html?remake`]);
  // Withdrawn while the frame has focus: unloaded, still in the page, its placeholder back.
  await p.evaluate(() => document.querySelector('#box iframe').focus());
  await p.evaluate(() => window.candor.deny(['video']));
  await p.waitForFunction(() => document.querySelector('#box iframe')?.contentDocument?.URL === 'about:blank');
  assert.deepEqual(await frame(), [true, null, 'about:blank']);
  await p.locator('candor-placeholder').first().waitFor({ state: 'visible' });
  assert.deepEqual(await h.events(p, 'error'), []);
  // A panel the page keeps aside: granted, taken out, withdrawn, put back: nothing is fetched.
  await p.evaluate(() => window.candor.grant(['video']));
  await p.waitForFunction(() => document.getElementById('kept').contentDocument?.URL.includes('/vendor/'));
  await p.evaluate(() => { window.__aside = document.getElementById('aside'); window.__aside.remove(); });
  await p.evaluate(() => window.candor.deny(['video']));
  p.requests = [];
  await p.evaluate(() => document.body.append(window.__aside));
  await p.waitForTimeout(300);
  assert.deepEqual(p.requests.filter((u) => u.startsWith('/vendor/')), []);
  assert.equal(await p.evaluate(() => document.getElementById('kept').hasAttribute('src')), false);
  // A new data-src on a loaded frame (a framework re-rendering it): loaded in a frame made anew, no history entry.
  await p.evaluate(() => window.candor.grant(['video']));
  await p.waitForFunction(() => document.querySelector('#box iframe').contentDocument?.URL.includes('?remake'));
  const before = await p.evaluate(() => history.length);
  await p.evaluate(() => { document.querySelector('#box iframe').dataset.src = '/vendor/video.html?other'; });
  await p.waitForFunction(() => document.querySelector('#box iframe').contentDocument?.URL.includes('?other'));
  assert.equal(await p.evaluate(() => history.length), before);
  await context.close();
});

test('a gated iframe can show a placeholder whose button grants just its purpose', async () => {
  h.write(www, { 'placeholder.html': h.html({ body: `
<iframe title="video" data-candor-purpose="video" data-src="/vendor/video.html?ph" data-candor-placeholder></iframe>
<iframe title="own words" data-candor-purpose="video" data-src="/vendor/video.html?own" data-candor-placeholder="Our video host sees who watches."></iframe>` }) });
  const context = await chrome.newContext();
  const p = await h.page(context);
  p.requests = [];
  p.on('request', (r) => p.requests.push(new URL(r.url()).pathname + new URL(r.url()).search));
  await p.goto(server.url + '/placeholder.html');
  await h.ready(p);
  const holders = p.locator('candor-placeholder');
  await holders.first().waitFor({ state: 'visible' });
  assert.equal(await holders.count(), 2);
  assert.match(await holders.nth(0).locator('p').textContent(), /Allow “Show videos” to show it here/);
  assert.equal(await holders.nth(1).locator('p').textContent(), 'Our video host sees who watches.');
  assert.equal(await p.locator('iframe').first().isVisible(), false);
  assert.deepEqual(p.requests.filter((u) => u.startsWith('/vendor/')), []);
  await p.locator('[data-testid="candor-placeholder-allow-video"]').first().click();
  await p.waitForFunction(() => window.candor.consent().purposes.video === true);
  await holders.first().waitFor({ state: 'detached' });
  assert.equal(await holders.count(), 0);
  assert.deepEqual((await h.consent(p)).purposes, { necessary: true, stats: false, video: true }, 'just that purpose');
  await p.waitForFunction(() => document.querySelector('iframe').getAttribute('src') === '/vendor/video.html?ph');
  assert.equal(await p.locator('iframe').first().isVisible(), true);
  assert.equal(await p.evaluate(() => document.activeElement === document.querySelector('iframe')), true,
    'focus moves from the "Allow" button to the frame that takes its place');
  // Withdrawn: the frames are unloaded (the vendor's page is gone) and wait behind their placeholders again,
  // with no history entry that Back would load the vendor's page from.
  await p.waitForFunction(() => [...document.querySelectorAll('iframe')].every((f) => f.contentDocument && f.contentDocument.URL.includes('/vendor/')));
  const history = await p.evaluate(() => history.length);
  await p.evaluate(() => window.candor.deny(['video']));
  await holders.first().waitFor({ state: 'visible' });
  assert.equal(await holders.count(), 2);
  await p.waitForFunction(() => [...document.querySelectorAll('iframe')].every((f) => !f.hasAttribute('src') && !(f.contentDocument && f.contentDocument.URL.includes('/vendor/'))));
  assert.equal(await p.locator('iframe').first().isVisible(), false);
  assert.equal(await p.evaluate(() => history.length), history);
  // Granted again: they load again.
  await p.evaluate(() => window.candor.grant(['video']));
  await p.waitForFunction(() => document.querySelector('iframe').getAttribute('src') === '/vendor/video.html?ph' && !document.querySelector('candor-placeholder'));
  await context.close();
});

test('placeholders follow the page: one asked for after the iframe was added, and one whose iframe changes to a granted purpose goes away', async () => {
  h.write(www, { 'placeholder-late.html': h.html({ body: `
<iframe id="late" title="late" data-candor-purpose="video" data-src="/vendor/video.html?late"></iframe>
<iframe id="moved" title="moved" data-candor-purpose="video" data-src="/vendor/video.html?moved" data-candor-placeholder></iframe>` }) });
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(server.url + '/placeholder-late.html');
  await h.ready(p);
  const holders = p.locator('candor-placeholder');
  await holders.first().waitFor({ state: 'visible' });
  assert.equal(await holders.count(), 1);
  // Asked for later, by an attribute on the waiting iframe.
  await p.evaluate(() => document.getElementById('late').setAttribute('data-candor-placeholder', ''));
  await p.waitForFunction(() => document.querySelectorAll('candor-placeholder').length === 2);
  // "stats" granted, then an iframe re-tagged with it: it loads, and its placeholder goes.
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.evaluate(() => document.getElementById('moved').setAttribute('data-candor-purpose', 'stats'));
  await p.waitForFunction(() => document.getElementById('moved').getAttribute('src') === '/vendor/video.html?moved');
  await p.waitForFunction(() => document.querySelectorAll('candor-placeholder').length === 1);
  assert.equal(await p.locator('#moved').isVisible(), true, 'the iframe is shown again');
  await context.close();
});

test("nonce CSP with 'strict-dynamic': a gated script without the nonce of Candor's own tag never runs, and is reported", async () => {
  const context = await chrome.newContext();
  const p = await open(context, '/strict.html');
  const nonceError = /^could not activate <script data-candor-purpose="(necessary|stats)">: it does not carry the nonce of Candor's own <script>/;
  await p.waitForFunction(() => window.__errors.length === 1);
  assert.equal(await p.evaluate(() => window.__injected === true), false, 'the injected "necessary" script did not run at boot');
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.waitForFunction(() => window.__withNonce === true && window.__errors.length === 2);
  const errors = await p.evaluate(() => window.__errors);
  assert.deepEqual(errors.map((e) => e.code), ['activation', 'activation']);
  for (const e of errors) assert.match(e.message, nonceError);
  assert.equal(await p.evaluate(() => window.__late === undefined), true);
  assert.deepEqual(vendorHits(p), [], 'the nonce-less external script was never fetched');
  await context.close();
});

test("nonce CSP with 'strict-dynamic', Candor's tag added by a nonced script without a nonce of its own: a warning says the nonce check is off", async () => {
  const context = await chrome.newContext();
  const p = await open(context, '/strict-boot.html');
  assert.deepEqual(p.logs.filter((l) => /nonce/.test(l.text)).map((l) => `${l.type}: ${l.text}`), [
    "warning: candor: the page's scripts carry a nonce but Candor's own <script> has none (was it added by another script?): gated scripts are then " +
    "run without a nonce check, which under 'strict-dynamic' is what keeps injected markup from running; give Candor's tag the page's nonce"]);
  await context.close();
  // With the nonce on Candor's tag, nothing is said.
  const c2 = await chrome.newContext();
  const q = await open(c2, '/strict.html');
  assert.deepEqual(q.logs.filter((l) => /has none/.test(l.text)), []);
  await c2.close();
});

test('a gated <source> inside <video> loads once its purpose is granted', async () => {
  const context = await chrome.newContext();
  const p = await open(context, '/media.html');
  await p.waitForTimeout(200);
  assert.deepEqual(vendorHits(p), []);
  await p.evaluate(() => window.candor.grant(['video']));
  await p.waitForFunction(() => document.querySelector('video').currentSrc.endsWith('/vendor/clip.webm'));
  await p.waitForTimeout(300);
  assert.ok(vendorHits(p).includes('/vendor/clip.webm'), JSON.stringify(p.requests));
  // Re-rendered in place with another clip: the video is told to load it.
  await p.evaluate(() => { document.querySelector('video source').dataset.src = '/vendor/clip.webm?next'; });
  await p.waitForFunction(() => document.querySelector('video').currentSrc.endsWith('/vendor/clip.webm?next'));
  await context.close();
});

test('CSP: a refused inline onload of a gated script is not an activation error; a data: URL the policy refuses is (one Candor refuses first for a script)', async () => {
  const context = await chrome.newContext();
  const p = await open(context, '/attrs.html');
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.waitForFunction(() => window.__late === 1 && window.__errors.length >= 2);
  await p.waitForTimeout(300);
  const out = await p.evaluate(() => ({ onload: window.__onload === true, data: window.__data === 1, errors: window.__errors }));
  assert.deepEqual({ onload: out.onload, data: out.data }, { onload: false, data: false });
  assert.deepEqual(out.errors.map((e) => e.message).sort(), [
    'could not activate <img data-candor-purpose="stats">: the page\'s Content-Security-Policy refused it (img-src)',
    'could not activate <script data-candor-purpose="stats">: its URL is a data URL; only http and https URLs are loaded']);
  await context.close();
});

test('a gated script whose purpose is withdrawn as it loads (its own onload) ran once, and does not run again at the next grant', async () => {
  const context = await chrome.newContext();
  const p = await open(context, '/onload-deny.html');
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.waitForFunction(() => window.__count === 1 && window.candor.consent().purposes.stats === false);
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.waitForTimeout(500);
  assert.equal(await p.evaluate(() => window.__count), 1, 'ran once');
  assert.equal(await p.evaluate(() => document.querySelectorAll('script[src="/vendor/count.js"]').length), 2, 'the inert tag and the copy that ran');
  await context.close();
});
