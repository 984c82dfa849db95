// Consent signals for other code on the page and on the server: Google
// Consent Mode v2 in dataLayer, the IAB TCF CMP API (in the page and from a
// cross-origin iframe through the __tcfapiLocator bridge), and the
// candor_consent cookie, read by the example server. The Google Tag Manager
// and server recipes under www/examples/ are loaded here as they ship.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { spawn } = require('node:child_process');
const { TCString } = require('@iabtechlabtcf/core');
const h = require('./harness');

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'";
const GCM = { analytics_storage: ['stats'], ad_storage: ['video'], ad_user_data: ['video', 'stats'] };
const TCF = { cmp_id: 300, vendor_list_version: 120, publisher_cc: 'DE', vendors: [8, 755],
  purposes_map: { 1: ['necessary'], 3: ['video'], 7: ['stats'] } };
const CFG = h.config({ google_consent_mode: GCM, cookie: {}, tcf: TCF });

// dataLayer with gtag's Arguments objects turned into arrays.
const SNAPSHOT = `function snapshot() { return (window.dataLayer || []).map(function (a) {
  return Object.prototype.toString.call(a) === '[object Arguments]' ? Array.prototype.slice.call(a) : a; }); }`;

function fnv1a(s) {
  let x = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) x = Math.imul(x ^ b, 0x01000193) >>> 0;
  return x.toString(16).padStart(8, '0');
}

const inline = (cfg) => `<script type="application/json" id="candor-config">${JSON.stringify(cfg)}</script>`;

let server, other, chrome, www;
test.before(async () => {
  other = await h.collector({ www: h.site({
    'frame.html': '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ad</title>' +
      '<script src="/frame.js"></script></head><body><p>ad</p></body></html>',
    // An ad in an iframe: finds the CMP's locator frame among its ancestors and
    // calls __tcfapi over postMessage, as the CMP API spec describes.
    'frame.js': `window.__answers = {};
window.addEventListener('message', function (e) {
  var r = e.data && e.data.__tcfapiReturn;
  if (r) (window.__answers[r.callId] = window.__answers[r.callId] || []).push(r);
});
function locate() {
  for (var w = window; ; w = w.parent) {
    try { if (w.frames.__tcfapiLocator) return w; } catch (e) {}
    if (w === window.top) return null;
  }
}
(function call() {
  var cmp = locate();
  if (!cmp) return setTimeout(call, 20);
  window.__located = true;
  cmp.postMessage({ __tcfapiCall: { command: 'ping', version: 2, callId: 'ping' } }, '*');
  cmp.postMessage({ __tcfapiCall: { command: 'getTCData', version: 2, callId: 'get' } }, '*');
  cmp.postMessage(JSON.stringify({ __tcfapiCall: { command: 'addEventListener', version: 2, callId: 'listen' } }), '*');
})();
window.addEventListener('message', function (e) {
  if (typeof e.data === 'string' && e.data.indexOf('__tcfapiReturn') >= 0) {
    var r = JSON.parse(e.data).__tcfapiReturn;
    (window.__answers[r.callId] = window.__answers[r.callId] || []).push(r);
  }
});`,
  }) });
  const example = (f) => fs.readFileSync(path.join(h.ROOT, 'www/examples', f), 'utf8');
  www = h.site({
    // candor.js without async, then an ordinary tag: the tag must already see the default.
    'gcm.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>
<meta http-equiv="Content-Security-Policy" content="${CSP}">${inline(CFG)}
<script src="/candor/candor.js"></script><script src="/tag.js"></script></head>
<body><main><h1>Test page</h1></main>
<script type="text/plain" data-candor-purpose="stats" src="/gated.js"></script></body></html>`,
    'tag.js': `${SNAPSHOT}
window.__tagSaw = snapshot();
window.__tcfEarly = {};
__tcfapi('ping', 2, function (p) { window.__tcfEarly.ping = p; });
// Another vendor's broken callback, queued first: it must not cost ours its answer.
__tcfapi('getTCData', 2, function () { throw new Error('buggy vendor callback'); });
__tcfapi('getTCData', 2, function (d, ok) { window.__tcfEarly.get = { d: d, ok: ok }; });`,
    'gated.js': `${SNAPSHOT}\nwindow.__gatedSaw = snapshot();`,
    'gcm.config.json': CFG,
    'url.html': h.html({ attrs: 'data-config="/gcm.config.json" data-gcm' }),
    'url-rev.html': h.html({ attrs: 'data-config="/gcm.config.json" data-gcm data-revision="r1"' }),
    'plain.html': h.html({}),
    'candor.config.json': h.config(),
    'examples/gtm.html': example('gtm.html'),
    'examples/gtm-snippet.js': example('gtm-snippet.js'),
  });
  server = await h.collector({ www });
  h.write(www, { 'frame-host.html': h.html({ head: inline(CFG), attrs: '',
    body: `<iframe title="ad" src="${other.url}/frame.html"></iframe>` }) });
  chrome = await h.browser();
});
test.after(async () => { await chrome?.close(); await server?.stop(); await other?.stop(); });

async function open(context, url) {
  const p = await h.page(context);
  await p.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective));
  });
  await p.goto(server.url + url);
  await h.ready(p);
  return p;
}
const layer = (p) => p.evaluate(`(${SNAPSHOT})()`);
const consentCalls = (entries, kind) => entries.filter((e) => Array.isArray(e) && e[0] === 'consent' && e[1] === kind);

test('Consent Mode: the default precedes every tag, updates follow choices and reloads', async () => {
  const context = await chrome.newContext();
  const p = await open(context, '/gcm.html');
  const denied = { analytics_storage: 'denied', ad_storage: 'denied', ad_user_data: 'denied', wait_for_update: 500 };
  assert.deepEqual(await p.evaluate(() => window.__tagSaw), [['consent', 'default', denied]],
    'the first tag after candor.js already sees the default, and nothing else');
  assert.deepEqual(consentCalls(await layer(p), 'update'), [], 'undecided: no update');

  // A tag manager loading its tags from candor.on(), as the README suggests.
  await p.evaluate(() => window.candor.on('stats', () => window.dataLayer.push({ event: 'loaded_from_on' })));
  await p.locator('[data-testid="candor-accept-all"]').click();
  await p.waitForFunction(() => window.__gatedSaw);
  const granted = { analytics_storage: 'granted', ad_storage: 'granted', ad_user_data: 'granted' };
  assert.deepEqual(consentCalls(await layer(p), 'update'), [['consent', 'update', granted]]);
  assert.deepEqual((await layer(p)).slice(1), [['consent', 'update', granted], { event: 'candor_consent' }, { event: 'loaded_from_on' }],
    'the update, then an event for Tag Manager triggers; what candor.on() loads comes after both');
  assert.deepEqual(consentCalls(await p.evaluate(() => window.__gatedSaw), 'update'), [['consent', 'update', granted]],
    'a tag gated on the choice runs after the update');

  await p.evaluate(() => window.candor.deny(['video']));
  const partly = { analytics_storage: 'granted', ad_storage: 'denied', ad_user_data: 'denied' };
  assert.deepEqual(consentCalls(await layer(p), 'update').at(-1), ['consent', 'update', partly]);

  await p.reload();
  await h.ready(p);
  assert.deepEqual(await p.evaluate(() => window.__tagSaw), [['consent', 'default', { ...partly, wait_for_update: 500 }]],
    'with a stored decision the synchronous default already carries it');
  await p.waitForFunction(() => window.dataLayer.length >= 2);
  assert.deepEqual(consentCalls(await layer(p), 'update'), [['consent', 'update', partly]], 'and boot confirms it');
  assert.deepEqual(await p.evaluate(() => window.__csp), [], 'no CSP violation');
  // The one expected error: the deliberately broken vendor callback of tag.js, logged, not thrown.
  const errors = p.logs.filter((l) => l.type === 'error' || l.type === 'pageerror');
  assert.deepEqual(errors.filter((l) => !l.text.startsWith('candor: a __tcfapi callback threw Error: buggy vendor callback')), []);
  assert.ok(errors.every((l) => l.type === 'error'), 'caught and logged, never an uncaught page error');

  // Another revision: the cached state is not trusted; all denied again.
  await p.evaluate(() => localStorage.setItem('candor.gcm', localStorage.getItem('candor.gcm').replace('"r1"', '"r0"')));
  await p.reload();
  await h.ready(p);
  assert.deepEqual((await p.evaluate(() => window.__tagSaw))[0], ['consent', 'default', denied]);
  await context.close();
});

test('Consent Mode with a config URL: data-gcm, data-revision, and nothing for sites without it', async () => {
  const context = await chrome.newContext();
  const p = await open(context, '/url.html');
  const std = { ad_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied', analytics_storage: 'denied', wait_for_update: 500 };
  assert.deepEqual((await layer(p))[0], ['consent', 'default', std], 'data-gcm: the four v2 types, denied, synchronously');
  await p.evaluate(() => window.candor.acceptAll());
  await p.goto(server.url + '/url.html');
  await h.ready(p);
  let entries = await layer(p);
  assert.equal(entries[0][2].analytics_storage, 'denied', 'revision unknown before the config arrives: denied');
  await p.waitForFunction(() => window.dataLayer.length >= 2);
  entries = await layer(p);
  assert.equal(consentCalls(entries, 'update')[0][2].analytics_storage, 'granted', 'the update follows at boot');
  await p.goto(server.url + '/url-rev.html');
  await h.ready(p);
  assert.equal((await layer(p))[0][2].analytics_storage, 'granted', 'data-revision confirms the cached state');
  // A record the SDK will refuse, which needs no config to see: dated more
  // than 7 days ahead (a clock that ran fast when it was written, now set
  // right), or one the cache's `until` does not belong to.
  for (const tamper of ['future', 'until']) {
    await p.evaluate(() => window.candor.acceptAll());
    await p.evaluate((tamper) => {
      const r = JSON.parse(localStorage.getItem('candor.consent'));
      const c = JSON.parse(localStorage.getItem('candor.gcm'));
      if (tamper === 'future') r.updated_at = Math.floor(Date.now() / 1000) + 30 * 86400;
      c.until = r.updated_at + 182 * 86400 + (tamper === 'until' ? 3600 : 0);
      localStorage.setItem('candor.consent', JSON.stringify(r));
      localStorage.setItem('candor.gcm', JSON.stringify(c));
    }, tamper);
    await p.goto(server.url + '/url-rev.html');
    await h.ready(p);
    assert.equal((await layer(p))[0][2].analytics_storage, 'denied', `${tamper}: the early default does not grant`);
  }

  const q = await open(await chrome.newContext(), '/plain.html');
  assert.equal(await q.evaluate(() => window.dataLayer), undefined, 'no Consent Mode config: dataLayer untouched');
  assert.equal(await q.evaluate(() => typeof window.__tcfapi), 'undefined', 'no tcf config: no __tcfapi');
  await context.close();
});

test('TCF: the stub queues, the SDK answers ping, getTCData and event listeners with decodable strings', async () => {
  const context = await chrome.newContext();
  const p = await open(context, '/gcm.html');
  const early = await p.evaluate(() => window.__tcfEarly);
  assert.equal(early.ping.cmpStatus, 'stub');
  assert.equal(early.ping.apiVersion, '2.2');
  assert.equal(early.get.ok, true, 'a call queued before the wasm is answered once it is, after a throwing one');
  assert.equal(early.get.d.eventStatus, 'cmpuishown');
  assert.equal(early.get.d.tcString, '', 'no decision, no string');
  assert.equal(await p.evaluate(() => document.querySelector('iframe[name="__tcfapiLocator"]').hidden), true);

  await p.evaluate(() => {
    window.__calls = [];
    window.__tcfapi('addEventListener', 2, (d, ok) => window.__calls.push({ d, ok }));
  });
  await p.locator('[data-testid="candor-accept-all"]').click();
  await p.waitForFunction(() => window.__calls.length === 2);
  const [first, second] = await p.evaluate(() => window.__calls);
  assert.equal(first.d.eventStatus, 'cmpuishown');
  assert.equal(second.d.eventStatus, 'useractioncomplete');
  assert.equal(second.d.listenerId, first.d.listenerId);
  assert.deepEqual(second.d.purpose.consents, { 1: true, 2: false, 3: true, 4: false, 5: false, 6: false, 7: true, 8: false, 9: false, 10: false, 11: false });
  assert.deepEqual(second.d.vendor.consents, { 8: true, 755: true });
  const model = TCString.decode(second.d.tcString);
  assert.equal(model.cmpId, 300);
  assert.equal(model.vendorListVersion, 120);
  assert.equal(model.policyVersion, 4);
  assert.equal(model.isServiceSpecific, true);
  assert.equal(model.publisherCountryCode, 'DE');
  const ids = (v) => { const o = []; v.forEach((on, id) => { if (on) o.push(id); }); return o; };
  assert.deepEqual(ids(model.purposeConsents), [1, 3, 7]);
  assert.deepEqual(ids(model.vendorConsents), [8, 755]);

  const removed = await p.evaluate((id) => new Promise((r) => window.__tcfapi('removeEventListener', 2, r, id)), first.d.listenerId);
  assert.equal(removed, true);
  await p.evaluate(() => new Promise((r) => {
    document.addEventListener('candor:consent', r, { once: true });
    window.candor.rejectAll();
  }));
  assert.equal(await p.evaluate(() => window.__calls.length), 2, 'a removed listener hears nothing');
  const get = await p.evaluate(() => new Promise((r) => window.__tcfapi('getTCData', 2, (d, ok) => r({ d, ok }), [8, 99])));
  assert.equal(get.ok, true);
  assert.deepEqual(get.d.vendor.consents, { 8: false, 99: false }, 'vendor ids asked for, and only those; reject all: none');
  assert.deepEqual(ids(TCString.decode(get.d.tcString).purposeConsents), [1], 'reject all leaves purpose 1 (necessary)');
  const ping = await p.evaluate(() => new Promise((r) => window.__tcfapi('ping', 2, r)));
  assert.deepEqual([ping.cmpStatus, ping.cmpLoaded, ping.gdprApplies, ping.displayStatus, ping.cmpId], ['loaded', true, true, 'hidden', 300]);
  assert.equal(TCString.decode(get.d.tcString).consentLanguage, 'EN', 'the language the prompt was shown in');
  await context.close();

  // A German visitor sees the prompt in German: the TC string says so (ConsentLanguage), not default_language.
  const german = await chrome.newContext({ locale: 'de-DE' });
  const g = await open(german, '/gcm.html');
  assert.equal(await g.locator('candor-consent .root').getAttribute('lang'), 'de');
  await g.locator('[data-testid="candor-accept-all"]').click();
  const tc = await g.evaluate(() => new Promise((r) => window.__tcfapi('getTCData', 2, (d) => r(d.tcString))));
  assert.equal(TCString.decode(tc).consentLanguage, 'DE');
  await german.close();
});

test('TCF: an ad in a cross-origin iframe reaches __tcfapi through the locator frame', async () => {
  const context = await chrome.newContext();
  const p = await open(context, '/frame-host.html');
  const ad = await (await p.$('iframe[title="ad"]')).contentFrame();
  await ad.waitForURL(other.url + '/frame.html');
  const frame = () => ad;
  assert.notEqual(new URL(other.url).origin, new URL(server.url).origin);
  await frame().waitForFunction(() => window.__answers.get && window.__answers.listen && window.__answers.ping);
  let answers = await frame().evaluate(() => window.__answers);
  assert.equal(answers.ping[0].success, true);
  assert.equal(answers.ping[0].returnValue.apiVersion, '2.2');
  assert.equal(answers.get[0].success, true);
  assert.equal(answers.get[0].returnValue.cmpId, 300);
  assert.equal(answers.listen[0].returnValue.eventStatus, 'cmpuishown');
  await p.locator('[data-testid="candor-accept-all"]').click();
  await frame().waitForFunction(() => window.__answers.listen.length >= 2);
  answers = await frame().evaluate(() => window.__answers);
  const last = answers.listen.at(-1).returnValue;
  assert.equal(last.eventStatus, 'useractioncomplete');
  assert.equal(TCString.decode(last.tcString).cmpId, 300, 'the string crossed the origin intact');
  await context.close();
});

function exampleServer(configPath) {
  const child = spawn(process.execPath, [path.join(h.ROOT, 'www/examples/server-cookie/server.js'), configPath, '127.0.0.1:0'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', (line) => {
      const m = /^listening on (\S+)$/.exec(line);
      if (!m) return reject(new Error(line));
      resolve({ url: `http://${m[1]}`, stop: () => child.kill('SIGTERM') });
    });
    child.once('exit', (code) => reject(new Error(`example server exited ${code}`)));
  });
}

test('the candor_consent cookie follows the decision, and the example server reads it', async () => {
  const context = await chrome.newContext();
  const p = await open(context, '/gcm.html');
  const cookie = async () => (await context.cookies()).find((c) => c.name === 'candor_consent');
  assert.equal(await cookie(), undefined, 'no decision, no cookie');
  await p.locator('[data-testid="candor-accept-all"]').click();
  await h.settled(async () => (await cookie())?.value, `v1.${fnv1a('r1')}.3`, 'both optional purposes (stats, video)');
  let c = await cookie();
  assert.equal(c.sameSite, 'Lax');
  assert.equal(c.secure, false, 'http: no Secure');
  assert.equal(c.path, '/');
  assert.equal(c.httpOnly, false);
  const days = (c.expires - Date.now() / 1000) / 86400;
  assert.ok(days > 181 && days <= 182, `expires with the decision (expires_days 182): ${days}`);

  await p.evaluate(() => window.candor.deny(['video']));
  await h.settled(async () => (await cookie())?.value, `v1.${fnv1a('r1')}.1`);

  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'candor-cfg-'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(CFG));
  const ex = await exampleServer(path.join(dir, 'config.json'));
  try {
    // Cookies are per host, not per port: the example on another port of
    // 127.0.0.1 gets the cookie the SDK set, like a server on the same site.
    const q = await context.newPage();
    await q.goto(ex.url + '/');
    assert.equal(await q.textContent('#decided'), 'decided');
    assert.equal(await q.textContent('[data-purpose="stats"]'), 'stats: granted');
    assert.equal(await q.textContent('[data-purpose="video"]'), 'video: denied');
    assert.equal(await q.textContent('#analytics'), 'analytics tag rendered');

    await p.evaluate(() => window.candor.erase());
    await h.settled(cookie, undefined, 'erase deletes the cookie');
    await q.reload();
    assert.equal(await q.textContent('#decided'), 'not decided');
    assert.equal(await q.locator('#analytics').count(), 0);
  } finally {
    ex.stop();
  }
  await context.close();
});

test('recipe: www/examples/gtm.html puts the default before Google Tag Manager loads', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  const gtmRequests = [];
  const wasmRequests = [];
  p.on('request', (r) => { if (new URL(r.url()).pathname === '/candor/candor_bg.wasm') wasmRequests.push(r.url()); });
  await p.route('https://www.googletagmanager.com/**', (route) => {
    gtmRequests.push(route.request().url());
    // A stand-in container: records what it found in dataLayer when it ran.
    route.fulfill({ contentType: 'text/javascript', body: `window.__gtmSaw = (${SNAPSHOT})();` });
  });
  await p.goto(server.url + '/examples/gtm.html');
  await h.ready(p);
  await p.waitForFunction(() => window.__gtmSaw);
  assert.deepEqual(gtmRequests, ['https://www.googletagmanager.com/gtm.js?id=GTM-XXXXXXX']);
  const saw = await p.evaluate(() => window.__gtmSaw);
  assert.deepEqual(saw[0], ['consent', 'default', { ad_personalization: 'denied', ad_storage: 'denied', ad_user_data: 'denied',
    analytics_storage: 'denied', wait_for_update: 500 }]);
  assert.equal(saw[1].event, 'gtm.js', 'the container starts after the default');
  // The recipe's <link rel="preload"> matches the glue's fetch: one download of the wasm, no warning about it.
  assert.equal(wasmRequests.length, 1, 'the wasm is downloaded once');
  assert.deepEqual(p.logs.filter((l) => /preload/i.test(l.text)), []);
  await p.locator('[data-testid="candor-reject-all"]').click();
  await p.waitForFunction(() => window.candor.consent().decided);
  const update = consentCalls(await layer(p), 'update');
  assert.deepEqual(update, [['consent', 'update', { ad_personalization: 'denied', ad_storage: 'denied', ad_user_data: 'denied', analytics_storage: 'denied' }]]);
  await h.settled(async () => /^v1\.[0-9a-f]{8}\.0$/.test((await context.cookies()).find((c) => c.name === 'candor_consent')?.value), true);
  await context.close();
});

test('Consent Mode: a type mapped to a required purpose is granted in a returning visitor\'s default', async () => {
  const cfg = { ...CFG, google_consent_mode: { ...GCM, functionality_storage: ['necessary'], security_storage: ['necessary', 'stats'] } };
  h.write(www, { 'gcm-required.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>${inline(cfg)}
<script src="/candor/candor.js"></script></head><body><p>x</p></body></html>` });
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(server.url + '/gcm-required.html');
  await h.ready(p);
  // A first visit: granted without asking already, and nothing for the SDK to correct.
  const first = consentCalls(await layer(p), 'default')[0][2];
  assert.deepEqual([first.functionality_storage, first.security_storage, first.analytics_storage], ['granted', 'denied', 'denied']);
  assert.deepEqual(consentCalls(await layer(p), 'update'), []);
  await p.evaluate(() => window.candor.grant(['stats']));
  await p.reload();
  await h.ready(p);
  const d = consentCalls(await layer(p), 'default')[0][2];
  assert.deepEqual([d.functionality_storage, d.security_storage, d.analytics_storage, d.ad_storage], ['granted', 'granted', 'granted', 'denied']);
  await context.close();

  // The config by URL, a first visit: the early default cannot know the mapping (all denied); the
  // undecided visitor still gets the update that grants the type mapped to the required purpose.
  h.write(www, { 'gcm-required.json': cfg, 'gcm-required-url.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>
<script src="/candor/candor.js" data-config="/gcm-required.json" data-gcm></script></head><body><p>x</p></body></html>` });
  const byUrl = await chrome.newContext();
  const u = await h.page(byUrl);
  await u.goto(server.url + '/gcm-required-url.html');
  await h.ready(u);
  await u.waitForFunction(() => window.dataLayer.length >= 3);
  const updates = consentCalls(await layer(u), 'update');
  assert.equal(updates.length, 1, JSON.stringify(await layer(u)));
  assert.deepEqual([updates[0][2].functionality_storage, updates[0][2].security_storage, updates[0][2].analytics_storage], ['granted', 'denied', 'denied']);
  assert.deepEqual((await layer(u)).at(-1), { event: 'candor_consent' });
  await byUrl.close();

  // An ads type mapped to the required purpose alone would be granted on "Reject all": the SDK
  // refuses that config, naming the type, and the loader's default never grants it, whatever a
  // cache (of an older version, say) claims.
  const widening = { ...CFG, google_consent_mode: { functionality_storage: ['necessary'], ad_user_data: ['necessary'] } };
  h.write(www, { 'gcm-widening.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>${inline(widening)}
<script src="/candor/candor.js"></script></head><body><p>x</p></body></html>` });
  const now = Math.floor(Date.now() / 1000);
  const seeded = await chrome.newContext();
  await seeded.addInitScript(([gcm, consent]) => {
    if (!sessionStorage.getItem('seeded')) {
      localStorage.setItem('candor.gcm', gcm);
      localStorage.setItem('candor.consent', consent);
      sessionStorage.setItem('seeded', '1');
    }
  }, [JSON.stringify({ v: 1, revision: 'r1', map: 'ad_user_data=necessary;functionality_storage=necessary', until: now + 86400,
    state: { ad_user_data: true, functionality_storage: true }, required: ['necessary'] }),
  JSON.stringify({ v: 1, revision: 'r1', purposes: { stats: false, video: false }, updated_at: now, method: 'button' })]);
  const q = await h.page(seeded);
  await q.goto(server.url + '/gcm-widening.html');
  await q.waitForFunction(() => window.candor && window.candor.error);
  assert.match(await q.evaluate(() => window.candor.error.message), /google_consent_mode\.ad_user_data: maps only to required purposes/);
  const early = consentCalls(await layer(q), 'default')[0][2];
  assert.deepEqual([early.functionality_storage, early.ad_user_data], ['granted', 'denied']);
  await seeded.close();
});

test('Consent Mode: a cached grant without a matching consent record, or with a config that fails, is never left granted', async () => {
  const future = Math.floor(Date.now() / 1000) + 86400;
  const cache = JSON.stringify({ v: 1, revision: 'r1', map: 'ad_storage=video;ad_user_data=video,stats;analytics_storage=stats',
    until: future, state: { analytics_storage: true, ad_storage: true, ad_user_data: true } });
  const record = JSON.stringify({ v: 1, revision: 'r1', purposes: { stats: true, video: false }, updated_at: Math.floor(Date.now() / 1000), method: 'button' });
  const bad = { ...CFG, typo_key: true };
  h.write(www, { 'gcm-bad.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>${inline(bad)}
<script src="/candor/candor.js"></script></head><body><p>x</p></body></html>`,
    'blank.html': '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head><body><p>x</p></body></html>' });
  const seed = async (url, items) => {
    const context = await chrome.newContext();
    const p = await h.page(context);
    await p.goto(server.url + '/blank.html'); // no Candor here: it would rewrite its own keys
    await p.evaluate((items) => { localStorage.clear(); for (const [k, v] of Object.entries(items)) localStorage.setItem(k, v); }, items);
    await p.goto(server.url + url);
    await h.ready(p);
    return { context, p };
  };

  // 1. The cache alone (no consent record): denied everywhere, whatever it says.
  let { context, p } = await seed('/gcm.html', { 'candor.gcm': cache });
  let defaults = consentCalls(await layer(p), 'default');
  assert.equal(defaults.length, 1);
  assert.deepEqual(Object.values(defaults[0][2]).filter((v) => v === 'granted'), [], 'nothing granted without a record');
  await context.close();

  // 2. Cache and record: only what the record grants (stats), never video's ad_storage.
  ({ context, p } = await seed('/gcm.html', { 'candor.gcm': cache, 'candor.consent': record }));
  defaults = consentCalls(await layer(p), 'default');
  assert.equal(defaults[0][2].analytics_storage, 'granted');
  assert.equal(defaults[0][2].ad_storage, 'denied');
  assert.equal(defaults[0][2].ad_user_data, 'denied', 'needs both stats and video');
  await context.close();

  // 2b. A type mapped to the required purpose only is granted without asking, but only by a mapping of
  // this revision: a cache of another revision (or another config's) grants nothing.
  const required = (revision) => JSON.stringify({ v: 1, revision, map: 'functionality_storage=necessary', until: future,
    state: { functionality_storage: true }, required: ['necessary'] });
  ({ context, p } = await seed('/url-rev.html', { 'candor.gcm': required('r0') }));
  assert.equal(consentCalls(await layer(p), 'default')[0][2].functionality_storage, 'denied', 'another revision\'s mapping');
  await context.close();
  // Of this revision, but the config no longer maps the type: the update at boot takes it back.
  ({ context, p } = await seed('/url-rev.html', { 'candor.gcm': required('r1') }));
  assert.equal(consentCalls(await layer(p), 'default')[0][2].functionality_storage, 'granted');
  await p.waitForFunction(() => window.dataLayer.some((e) => e && e[0] === 'consent' && e[1] === 'update'));
  assert.equal(consentCalls(await layer(p), 'update')[0][2].functionality_storage, 'denied', 'not left granted');
  await context.close();

  // 3. A valid-looking cache and record, but the config is invalid: Candor grants nothing, so the
  // default's grant is taken back by an all-denied update.
  ({ context, p } = await seed('/gcm-bad.html', { 'candor.gcm': cache, 'candor.consent': record }));
  assert.ok(await p.evaluate(() => window.candor.error));
  const entries = await layer(p);
  const updates = consentCalls(entries, 'update');
  assert.equal(consentCalls(entries, 'default')[0][2].analytics_storage, 'granted');
  assert.equal(updates.length, 1);
  assert.deepEqual(Object.values(updates[0][2]).filter((v) => v !== 'denied'), [], 'the update denies everything');
  assert.deepEqual(entries.at(-1), { event: 'candor_consent' }, 'followed by the event Tag Manager triggers on, as every update');
  await context.close();

  // 4. Records the SDK will not accept for the inline config (it asks again), so neither does the default:
  // a purpose the config dropped, one it added since, and a decision older than its expires_days (182 by default).
  const now = Math.floor(Date.now() / 1000);
  for (const [why, purposes, at = now, extra = {}] of [
    ['a purpose since removed', { stats: true, video: false, gone: true }],
    ['a purpose since added', { stats: true }],
    ['older than expires_days', { stats: true, video: false }, now - 183 * 86400],
    ['not a boolean', { stats: 'true', video: false }],
    ['an extra key', { stats: true, video: false }, now, { note: 1 }],
    ['a fractional time', { stats: true, video: false }, now + 0.5],
  ]) {
    const stale = JSON.stringify({ v: 1, revision: 'r1', purposes, updated_at: at, method: 'button', ...extra });
    ({ context, p } = await seed('/gcm.html', { 'candor.gcm': cache, 'candor.consent': stale }));
    defaults = consentCalls(await layer(p), 'default');
    assert.deepEqual(Object.values(defaults[0][2]).filter((v) => v === 'granted'), [], `${why}: nothing granted`);
    assert.equal((await h.consent(p)).decided, false, `${why}: the SDK asks again too`);
    await context.close();
  }

  // 5. A misspelt consent type: a config error, and the default still denies the real types.
  h.write(www, { 'gcm-typo.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>${inline({ ...CFG, google_consent_mode: { analytic_storage: ['stats'] } })}
<script src="/candor/candor.js"></script></head><body><p>x</p></body></html>` });
  ({ context, p } = await seed('/gcm-typo.html', {}));
  assert.match(await p.evaluate(() => window.candor.error.message), /google_consent_mode\.analytic_storage: unknown Consent Mode type/);
  defaults = consentCalls(await layer(p), 'default');
  assert.equal(defaults[0][2].analytics_storage, 'denied');
  assert.equal(defaults[0][2].analytic_storage, undefined, 'no default for a type Google does not know');
  await context.close();
});
