// candor/testing: a QA kit for headless browser suites against sites that
// embed Candor.
//
// Why it exists: a QA team should be able to start a page in a known consent
// state, drive the real prompt when that is what it tests, read what would be
// sent, and fail a build when anything tied to a purpose leaks before the
// visitor granted it. Everything here works on a plain Playwright `Page`
// (playwright-core is enough); `test`/`expect` build a @playwright/test
// fixture and load that package only when they are used.
//
// The leak watch records, from the first byte of every document:
//   - requests (page 'request' events, timed by the browser's own start time),
//   - cookies: `document.cookie` and `cookieStore.set` writes (an init script
//     wraps them), Set-Cookie response headers, and the jar at the end,
//   - storage writes: `localStorage`/`sessionStorage.setItem` (wrapped), and
//     the keys present at the end,
// and ties each to a purpose through the site's config: `vendors[].urls`
// globs (matched against request URLs, the scripts on the stack of a write
// and the frame's URL) and `purposes[].cookies` globs (matched against cookie
// names and storage keys). It also records when Candor's decision changed,
// so each event is judged against the consent in force when it happened.
// Candor's own `candor.*` keys and `candor_*` cookies are never leaks.
'use strict';

/** The stable selectors of the prompt (CONTRACT.md §4). */
const TESTIDS = Object.freeze({
  prompt: 'candor-prompt',
  acceptAll: 'candor-accept-all',
  rejectAll: 'candor-reject-all',
  customize: 'candor-customize',
  save: 'candor-save',
  close: 'candor-close',
  reopen: 'candor-reopen',
  toggle: (purpose) => `candor-toggle-${purpose}`,
  // The first layer's sentence saying Global Privacy Control was honoured.
  gpc: 'candor-gpc',
  // The "Your data" view (Candor's own, beyond CONTRACT §4).
  yourData: 'candor-your-data',
  dataView: 'candor-data-view',
  dataStorage: 'candor-data-storage',
  dataReceipts: 'candor-data-receipts',
  dataPurpose: (purpose) => `candor-data-purpose-${purpose}`,
  dataWaiting: (purpose) => `candor-data-waiting-${purpose}`,
  dataSent: (purpose) => `candor-data-sent-${purpose}`,
  export: 'candor-export',
  erase: 'candor-erase',
  eraseConfirm: 'candor-erase-confirm',
  status: 'candor-status',
  dataBack: 'candor-data-back',
  // The polite live region that says a decision was saved.
  announce: 'candor-announce',
  // A gated iframe's placeholder button; several purposes joined by "+".
  placeholderAllow: (...purposes) => `candor-placeholder-allow-${purposes.join('+')}`,
});
const sel = (id) => `[data-testid="${id}"]`;
const byId = (page, id) => page.locator(sel(id));

// ---------------------------------------------------------------- presets --

/** `url` with `?candor=<preset>` set (preset: accept-all, reject-all or grant:a,b). */
function presetUrl(url, preset) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    const u = new URL(url);
    u.searchParams.set('candor', preset);
    return u.href;
  }
  // Relative (to the page or to baseURL): keep it relative. A `candor`
  // parameter already there is replaced, as for an absolute URL (the SDK
  // reads the first one, so an appended one would be ignored).
  const [head, ...hash] = String(url).split('#');
  const [path, ...query] = head.split('?');
  const param = `candor=${encodeURIComponent(preset).replace(/%2C/g, ',').replace(/%3A/g, ':')}`;
  const kept = query.join('?').split('&').filter((p) => p !== '' && p.split('=')[0] !== 'candor');
  const rest = hash.length ? `#${hash.join('#')}` : '';
  return `${path}?${[...kept, param].join('&')}${rest}`;
}

function checkPreset(preset) {
  if (preset === undefined || preset === null) return;
  if (typeof preset === 'string') {
    if (!/^(accept-all|reject-all|grant:[a-z][a-z0-9_,-]*)$/.test(preset)) {
      throw new Error(`candorPreset: expected "accept-all", "reject-all", "grant:<ids>" or an object, got ${JSON.stringify(preset)}`);
    }
    return;
  }
  if (typeof preset !== 'object' || Array.isArray(preset)) {
    throw new Error(`candorPreset: expected a string or {purposes, decided?, noise?}, got ${JSON.stringify(preset)}`);
  }
}

/**
 * Makes every document of `page` start with `preset`: an object becomes
 * `window.candorPreset` (set by an init script, before Candor loads); a string
 * (`accept-all`, `reject-all`, `grant:stats,video`) is added as `?candor=` to
 * the URLs `page.goto` opens. Call it before the first `goto`. Candor honours
 * presets only where the config's `qa` allows the host.
 */
async function usePreset(page, preset) {
  checkPreset(preset);
  if (preset === undefined || preset === null) return;
  if (typeof preset === 'string') {
    const goto = page.goto.bind(page);
    page.goto = (url, options) => goto(presetUrl(url, preset), options);
    return;
  }
  await page.addInitScript((p) => { window.candorPreset = p; }, preset);
}

// ---------------------------------------------------------------- helpers --

/** Waits until `window.candor.ready` resolved; throws if Candor failed to boot. Returns `consent()`. */
async function waitForReady(page) {
  await page.waitForFunction(() => window.candor !== undefined && window.candor.__candor === true);
  const out = await page.evaluate(async () => {
    await window.candor.ready;
    return { error: window.candor.error, consent: window.candor.consent() };
  });
  if (out.error) throw new Error(`Candor did not start: ${out.error.code}: ${out.error.message}`);
  return out.consent;
}

const consent = (page) => page.evaluate(() => window.candor.consent());

async function qa(page, what, arg) {
  return page.evaluate(async ([w, a]) => {
    const q = window.candor && window.candor.qa;
    if (!q) throw new Error('candor.qa is not available: QA mode is off for this host (config "qa")');
    if (w === 'advance') return q.advance(a);
    if (w === 'idle') return q.idle();
    if (w === 'noise') return q.noise(a);
    return q.reports();
  }, [what, arg]);
}
/** The reports that would be sent next (`candor.qa.reports()`). */
const reports = (page) => qa(page, 'reports');
/** Moves the SDK clock by `seconds`, closing windows and running the upload timer; resolves to `{sent}`. */
const advance = (page, seconds) => qa(page, 'advance', seconds);
/** Waits until no upload is in flight. */
const idle = (page) => qa(page, 'idle');
/** `noise(page, false)` switches noise off for exact counts. */
const noise = (page, on) => qa(page, 'noise', on);

// Resolves once consent() satisfies `check` (evaluated in the page).
function waitForConsent(page, check, arg) {
  return page.waitForFunction(check, arg);
}

async function firstLayer(page) {
  await waitForReady(page);
  const button = byId(page, TESTIDS.rejectAll);
  if (!(await button.isVisible())) {
    throw new Error('the Candor prompt is not showing (the visitor already decided?): use openPreferences(page) and grant(), or a preset');
  }
}

/** Clicks "Accept all" in the prompt and waits for the decision. */
async function acceptAll(page) {
  await firstLayer(page);
  await byId(page, TESTIDS.acceptAll).click();
  await waitForConsent(page, () => {
    const c = window.candor.consent();
    return c.decided && Object.values(c.purposes).every(Boolean);
  });
  return consent(page);
}

/** Clicks "Reject all" in the prompt and waits for the decision. */
async function rejectAll(page) {
  await firstLayer(page);
  await byId(page, TESTIDS.rejectAll).click();
  await waitForConsent(page, () => window.candor.consent().decided);
  return consent(page);
}

/**
 * Opens the preferences view the way a visitor would: "Customize" on the
 * banner, else the "Your choices" control, else `candor.open()`.
 */
async function openPreferences(page) {
  await waitForReady(page);
  const save = byId(page, TESTIDS.save);
  if (await save.isVisible()) return;
  for (const id of [TESTIDS.customize, TESTIDS.reopen]) {
    const b = byId(page, id);
    if (await b.isVisible()) {
      await b.click();
      await save.waitFor({ state: 'visible' });
      return;
    }
  }
  await page.evaluate(() => window.candor.open());
  await save.waitFor({ state: 'visible' });
}

/**
 * Grants exactly `ids` through the preferences view (switches them on, every
 * other optional purpose off) and saves; waits for the decision.
 */
async function grant(page, ...ids) {
  ids = ids.flat();
  await openPreferences(page);
  const toggles = page.locator(`candor-consent [data-testid^="candor-toggle-"]`);
  const known = [];
  for (const t of await toggles.all()) {
    const id = (await t.getAttribute('data-testid')).slice('candor-toggle-'.length);
    known.push(id);
    if (await t.isDisabled()) continue;
    await t.setChecked(ids.includes(id));
  }
  const unknown = ids.filter((id) => !known.includes(id));
  if (unknown.length) throw new Error(`grant: unknown purpose ${unknown.map((u) => JSON.stringify(u)).join(', ')}; the prompt offers ${known.join(', ')}`);
  await byId(page, TESTIDS.save).click();
  await waitForConsent(page, (want) => {
    const c = window.candor.consent();
    return c.decided && want.every((id) => c.purposes[id] === true);
  }, ids);
  return consent(page);
}

/**
 * Checks the first layer is fair: visible; accept and reject visible, the
 * same size (to the pixel) and the same computed style; reject is a real
 * <button>; and (unless `{preferences: false}`) no optional purpose is
 * pre-checked in the preferences view (which it opens and leaves again with
 * Escape). Throws an Error listing every problem.
 */
async function expectPrompt(page, { preferences = true } = {}) {
  await waitForReady(page);
  const problems = [];
  const prompt = byId(page, TESTIDS.prompt);
  // Once Candor is ready its banner is up, if it is to show at all: a
  // visitor who already decided fails here in seconds, not at the test's timeout.
  await prompt.waitFor({ state: 'visible', timeout: 5000 }).catch(() => problems.push('the prompt (candor-prompt) is not visible (the visitor decided already, or a preset applied?)'));
  // The first layer, not the preferences or "Your data" (they hide "Choose what to allow").
  if (!problems.length && !(await byId(page, TESTIDS.customize).isVisible())) {
    problems.push('the first layer is not showing (candor-customize is hidden: the preferences or "Your data" are open)');
  }
  if (problems.length) throw new Error(`expectPrompt: ${problems.join('; ')}`);
  const accept = byId(page, TESTIDS.acceptAll);
  const reject = byId(page, TESTIDS.rejectAll);
  for (const [name, l] of [['accept (candor-accept-all)', accept], ['reject (candor-reject-all)', reject]]) {
    if (!(await l.isVisible())) problems.push(`${name} is not visible on the first layer`);
  }
  if (!problems.length) {
    const a = await accept.boundingBox();
    const r = await reject.boundingBox();
    if (Math.round(a.width) !== Math.round(r.width) || Math.round(a.height) !== Math.round(r.height)) {
      problems.push(`accept is ${Math.round(a.width)}×${Math.round(a.height)} px but reject is ${Math.round(r.width)}×${Math.round(r.height)} px`);
    }
    const look = (l) => l.evaluate((e) => {
      const s = getComputedStyle(e);
      return { tag: e.tagName.toLowerCase(), background: s.backgroundColor, color: s.color, font: `${s.fontSize} ${s.fontWeight} ${s.fontFamily}`,
        border: `${s.borderTopWidth} ${s.borderTopStyle} ${s.borderTopColor}`, opacity: s.opacity, textDecoration: s.textDecorationLine };
    });
    const la = await look(accept);
    const lr = await look(reject);
    if (lr.tag !== 'button') problems.push(`reject is a <${lr.tag}>, not a <button>`);
    for (const k of Object.keys(la)) {
      if (k !== 'tag' && la[k] !== lr[k]) problems.push(`accept and reject differ in ${k}: ${JSON.stringify(la[k])} vs ${JSON.stringify(lr[k])}`);
    }
  }
  const c = await consent(page);
  if (preferences && !c.decided && !problems.length) {
    await byId(page, TESTIDS.customize).click();
    await byId(page, TESTIDS.save).waitFor({ state: 'visible' });
    for (const t of await page.locator(`candor-consent [data-testid^="candor-toggle-"]`).all()) {
      if (await t.isDisabled()) continue;
      if (await t.isChecked()) problems.push(`${await t.getAttribute('data-testid')} is pre-checked`);
    }
    await page.keyboard.press('Escape');
    await reject.waitFor({ state: 'visible' });
  }
  if (problems.length) throw new Error(`expectPrompt: ${problems.join('; ')}`);
}

// ------------------------------------------------------------- leak watch --

// Runs in every frame of the page before its own scripts (an init script).
// It must not call into Candor (a write may come from inside Candor's own
// code), so consent changes are learned from candor:* events and the time
// Candor touched its stored decision just before them.
function recorder(binding) {
  if (window.__candorLeakWatch) return;
  window.__candorLeakWatch = true;
  const send = window[binding];
  if (typeof send !== 'function') return;
  const now = () => Date.now();
  const where = () => String(location.href);
  const scripts = () => {
    const out = [];
    const re = /((?:https?|file):\/\/[^\s()]+?):\d+:\d+/g;
    const stack = String(new Error().stack || '');
    for (let m = re.exec(stack); m; m = re.exec(stack)) if (!out.includes(m[1])) out.push(m[1]);
    return out;
  };
  const post = (rec) => { try { send(rec); } catch (e) { /* the page closed */ } };
  let readAt = null;
  let writtenAt = null;
  const touched = (key, write) => {
    if (key !== 'candor.consent') return;
    if (write) writtenAt = now(); else readAt = now();
  };
  const onConsent = (e) => {
    const d = e.detail;
    if (!d || typeof d.purposes !== 'object') return;
    const t = writtenAt !== null ? writtenAt : readAt !== null ? readAt : now();
    writtenAt = readAt = null;
    post({ kind: 'consent', t, purposes: Object.assign({}, d.purposes), decided: Boolean(d.decided), where: where() });
  };
  document.addEventListener('candor:ready', onConsent, true);
  document.addEventListener('candor:consent', onConsent, true);

  const S = Storage.prototype;
  const { setItem, getItem, removeItem } = S;
  const area = (s) => { try { return s === window.sessionStorage ? 'sessionStorage' : 'localStorage'; } catch (e) { return 'localStorage'; } };
  S.setItem = function (k, v) {
    const key = String(k);
    if (key.startsWith('candor.')) touched(key, true);
    else post({ kind: 'storage', t: now(), area: area(this), key, where: where(), scripts: scripts() });
    return setItem.call(this, k, v);
  };
  S.getItem = function (k) { touched(String(k), false); return getItem.call(this, k); };
  S.removeItem = function (k) { touched(String(k), true); return removeItem.call(this, k); };

  const deleted = (text) => {
    if (/;\s*max-age\s*=\s*(-|0+\s*(;|$))/i.test(text)) return true;
    const m = /;\s*expires\s*=\s*([^;]+)/i.exec(text);
    return Boolean(m && Date.parse(m[1]) <= now());
  };
  const cookie = (name, text, via) => {
    if (!name || name.startsWith('candor_') || (text && deleted(text))) return;
    post({ kind: 'cookie', t: now(), name, via, where: where(), scripts: scripts() });
  };
  const desc = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  if (desc && desc.set) {
    Object.defineProperty(Document.prototype, 'cookie', {
      configurable: true,
      enumerable: desc.enumerable,
      get: desc.get,
      set(v) {
        const text = String(v);
        cookie(text.split(';')[0].split('=')[0].trim(), text, 'document.cookie');
        return desc.set.call(this, v);
      },
    });
  }
  if (window.CookieStore && CookieStore.prototype.set) {
    const set = CookieStore.prototype.set;
    CookieStore.prototype.set = function (a, b) {
      const o = typeof a === 'object' && a ? a : { name: a };
      if (!(typeof o.expires === 'number' && o.expires <= now())) cookie(String(o.name || ''), '', 'cookieStore.set');
      return set.apply(this, arguments);
    };
  }
}

// '*' matches anything; the rest is literal.
function globRe(glob) {
  return new RegExp('^' + glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
}

// A vendor URL pattern: absolute ("https://ads.example/*"), scheme-less
// ("*.ads.example/*", matched against host + path), or site-relative
// ("/vendor/ads/*", matched against the path of same-origin URLs only).
function urlMatcher(pattern) {
  const re = globRe(pattern);
  if (pattern.startsWith('/')) {
    return (url, origin) => url.origin === origin && re.test(url.pathname + url.search);
  }
  if (!pattern.includes('://')) return (url) => re.test(url.host + url.pathname + url.search);
  return (url) => re.test(url.href);
}

/** The attribution rules of a config: URL globs per purpose, cookie/key globs per purpose. */
function rules(config) {
  if (!config || !Array.isArray(config.purposes)) throw new Error('leak watch: the config has no purposes[]');
  const required = new Set(config.purposes.filter((p) => p.required).map((p) => p.id));
  const ids = config.purposes.map((p) => p.id);
  const urls = [];
  for (const [i, v] of (config.vendors || []).entries()) {
    if (!ids.includes(v.purpose)) throw new Error(`leak watch: vendors[${i}].purpose: unknown purpose ${JSON.stringify(v.purpose)}`);
    for (const pattern of v.urls || []) urls.push({ purpose: v.purpose, pattern, vendor: v.name || null, test: urlMatcher(pattern) });
  }
  const names = [];
  for (const p of config.purposes) for (const pattern of p.cookies || []) names.push({ purpose: p.id, pattern, test: ((re) => (n) => re.test(n))(globRe(pattern)) });
  return { required, ids, urls, names };
}

function parse(u) { try { return new URL(u); } catch (e) { return null; } }
const originOf = (u) => { const p = parse(u); return p ? p.origin : null; };

// [{purpose, why}] for one record.
function attribute(r, rec) {
  const out = [];
  const add = (purpose, why) => { if (!out.some((o) => o.purpose === purpose)) out.push({ purpose, why }); };
  const origin = originOf(rec.where || rec.frame);
  const byUrl = (href, what) => {
    const u = parse(href);
    if (!u) return;
    for (const rule of r.urls) {
      if (rule.test(u, origin)) add(rule.purpose, `${what} ${href} matches ${rule.vendor ? `vendor "${rule.vendor}" ` : ''}pattern "${rule.pattern}"`);
    }
  };
  if (rec.kind === 'request') byUrl(rec.url, 'URL');
  if (rec.kind === 'cookie' && rec.url) byUrl(rec.url, 'response');
  for (const s of rec.scripts || []) byUrl(s, 'written by script');
  if (rec.kind !== 'request' && rec.where) byUrl(rec.where, 'in frame');
  const name = rec.kind === 'cookie' ? rec.name : rec.kind === 'storage' ? rec.key : null;
  if (name) for (const rule of r.names) if (rule.test(name)) add(rule.purpose, `name matches cookie pattern "${rule.pattern}" of purpose "${rule.purpose}"`);
  return out;
}

function describe(rec) {
  const inWhat = rec.scripts && rec.scripts.length ? ` by ${rec.scripts[0]}` : '';
  if (rec.kind === 'request') return `request ${rec.method} ${rec.url} (${rec.type}) from ${rec.frame || 'the page'}`;
  if (rec.kind === 'cookie' && rec.via === 'Set-Cookie') return `cookie "${rec.name}" set by a Set-Cookie header of ${rec.url}`;
  if (rec.kind === 'cookie' && rec.via === 'jar') return `cookie "${rec.name}" (domain ${rec.domain}) is in the cookie jar at the end`;
  if (rec.kind === 'cookie') return `cookie "${rec.name}" written with ${rec.via}${inWhat} on ${rec.where}`;
  if (rec.via === 'end') return `${rec.area} key "${rec.key}" is stored at the end on ${rec.where}`;
  return `${rec.area}.setItem("${rec.key}")${inWhat} on ${rec.where}`;
}

/**
 * Starts recording everything `page` does that could carry data for a
 * purpose. Call it before the page's first `goto`. Options: `config` (the
 * site's config object) or `configUrl`; without either, the config is read
 * from the page (its `data-config` URL or inline `#candor-config`) when the
 * check runs. Returns `{expectNoLeaks(opts), leaks(opts), records()}`.
 */
async function startLeakWatch(page, { config, configUrl } = {}) {
  const binding = `__candorLeak_${Math.random().toString(36).slice(2)}`;
  const records = [];
  const timeline = [];
  const pending = new Set();
  const track = (p) => { pending.add(p); p.finally(() => pending.delete(p)).catch(() => {}); };
  await page.exposeBinding(binding, (source, rec) => {
    if (!rec || typeof rec !== 'object') return;
    rec.frame = source.frame ? source.frame.url() : undefined;
    if (rec.kind === 'consent') timeline.push(rec); else records.push(rec);
  });
  await page.addInitScript(recorder, binding);
  const jarBefore = new Set((await page.context().cookies()).map((c) => `${c.name}@${c.domain}${c.path}`));
  const requests = new Map();
  page.on('request', (req) => {
    const frame = (() => { try { return req.frame().url(); } catch (e) { return undefined; } })();
    const rec = { kind: 'request', url: req.url(), method: req.method(), type: req.resourceType(), frame, t: Date.now(), req };
    requests.set(req, rec);
    records.push(rec);
  });
  page.on('response', (res) => track((async () => {
    const headers = await res.headersArray();
    const rec = requests.get(res.request());
    for (const h of headers) {
      if (h.name.toLowerCase() !== 'set-cookie') continue;
      for (const line of h.value.split('\n')) {
        const name = line.split(';')[0].split('=')[0].trim();
        if (!name || name.startsWith('candor_') || /;\s*max-age\s*=\s*(-|0+\s*(;|$))/i.test(line)) continue;
        records.push({ kind: 'cookie', via: 'Set-Cookie', name, url: res.url(), where: rec && rec.frame, req: res.request(), t: rec ? rec.t : Date.now() });
      }
    }
  })()));

  async function loadConfig() {
    if (config) return config;
    if (configUrl) {
      const r = await page.request.get(new URL(configUrl, page.url()).href);
      if (!r.ok()) throw new Error(`leak watch: could not load the config ${configUrl}: HTTP ${r.status()}`);
      return r.json();
    }
    const text = await page.evaluate(async () => {
      // As the SDK reads it: the tag's data-config, else the inline
      // <script type="application/json" id="candor-config"> (another element
      // with that id, user content, is not a config).
      const s = document.querySelector('script[data-config]');
      if (s) {
        const r = await fetch(new URL(s.getAttribute('data-config'), document.baseURI), { credentials: 'same-origin' });
        return r.ok ? r.text() : null;
      }
      const inline = document.querySelector('script[type="application/json"]#candor-config');
      return inline ? inline.textContent : null;
    });
    if (text === null) throw new Error('leak watch: no config found on the page; pass {config} or {configUrl} to startLeakWatch');
    return JSON.parse(text);
  }

  // The requests' own start time, as the browser measured it.
  const when = (rec) => {
    if (!rec.req) return rec.t;
    try {
      const s = rec.req.timing().startTime;
      return s > 0 ? s : rec.t;
    } catch (e) { return rec.t; }
  };

  async function leaks({ purposes } = {}) {
    // Let queued binding calls and response handlers land.
    if (!page.isClosed()) await page.evaluate(() => 0).catch(() => {});
    await Promise.all([...pending]);
    const cfg = await loadConfig();
    const r = rules(cfg);
    const allowed = purposes === undefined ? null
      : new Set(Array.isArray(purposes) ? purposes : Object.keys(purposes).filter((k) => purposes[k] === true));
    if (allowed) for (const id of allowed) if (!r.ids.includes(id)) throw new Error(`expectNoLeaks: unknown purpose ${JSON.stringify(id)} in {purposes}`);
    const steps = timeline.slice().sort((a, b) => a.t - b.t);
    const stateAt = (t) => { let s = null; for (const e of steps) { if (e.t <= t) s = e; else break; } return s; };
    const judge = (rec, t) => {
      const out = [];
      for (const { purpose, why } of attribute(r, rec)) {
        if (r.required.has(purpose)) continue;
        const s = stateAt(t);
        const granted = Boolean(s && s.purposes[purpose] === true);
        if (!granted) {
          const state = !s ? 'before Candor had a decision' : !s.decided ? 'before the visitor decided' : 'it was denied';
          out.push(`${describe(rec)}: purpose "${purpose}" was not granted (${state}); ${why}`);
        } else if (allowed && !allowed.has(purpose)) {
          out.push(`${describe(rec)}: purpose "${purpose}" is not among the purposes this test allows (${[...allowed].join(', ') || 'none'}); ${why}`);
        }
      }
      return out;
    };
    const found = [];
    const seen = new Set();
    const ordered = records.map((rec) => ({ rec, t: when(rec) })).sort((a, b) => a.t - b.t);
    for (const { rec, t } of ordered) {
      for (const line of judge(rec, t)) found.push(line);
      if (rec.kind === 'cookie') seen.add(rec.name);
      if (rec.kind === 'storage') seen.add(`${rec.area}:${rec.key}`);
    }
    // What is stored at the end but was never seen being written
    // (HTTP-only cookies from elsewhere, `localStorage.x = …` assignments).
    const end = Number.MAX_SAFE_INTEGER;
    for (const c of await page.context().cookies()) {
      if (jarBefore.has(`${c.name}@${c.domain}${c.path}`) || seen.has(c.name) || c.name.startsWith('candor_')) continue;
      found.push(...judge({ kind: 'cookie', via: 'jar', name: c.name, domain: c.domain }, end));
    }
    if (!page.isClosed()) {
      const stored = await page.evaluate(() => {
        const out = [];
        for (const area of ['localStorage', 'sessionStorage']) {
          try { for (let i = 0; i < window[area].length; i++) out.push({ area, key: window[area].key(i) }); } catch (e) { /* no storage */ }
        }
        return { where: location.href, keys: out };
      }).catch(() => ({ keys: [] }));
      for (const { area, key } of stored.keys) {
        if (key.startsWith('candor.') || seen.has(`${area}:${key}`)) continue;
        found.push(...judge({ kind: 'storage', via: 'end', area, key, where: stored.where }, end));
      }
    }
    return found;
  }

  return {
    /** Every recorded request, cookie and storage write (for debugging). */
    records: () => records.map(({ req, ...rest }) => rest),
    /** The consent changes seen, in page time. */
    timeline: () => timeline.slice(),
    /** The leaks found so far, as lines of text. */
    leaks,
    /**
     * Throws an Error listing every request, cookie or storage write tied to
     * a purpose that was not granted when it happened (or, with `purposes`,
     * that is not among the purposes the test allows).
     */
    async expectNoLeaks(opts) {
      const found = await leaks(opts);
      if (found.length) {
        const err = new Error(`expectNoLeaks: ${found.length} leak${found.length === 1 ? '' : 's'} (tied to a purpose that was not granted):\n${found.map((l) => `  - ${l}`).join('\n')}`);
        err.leaks = found;
        throw err;
      }
    },
  };
}

// ------------------------------------------------ @playwright/test fixture --

let built = null;
function fixture() {
  if (built) return built;
  let pw;
  try {
    pw = require('@playwright/test');
  } catch (e) {
    throw new Error('candor/testing: `test` and `expect` need @playwright/test installed; the plain helpers work with playwright-core alone');
  }
  const test = pw.test.extend({
    /** A preset for candorPage: an object (window.candorPreset) or "accept-all" | "reject-all" | "grant:a,b". */
    candorPreset: [undefined, { option: true }],
    /** The site's config for leak attribution; by default it is read from the page. */
    candorConfig: [undefined, { option: true }],
    leakWatch: async ({ page, candorConfig }, use) => {
      await use(await startLeakWatch(page, { config: candorConfig }));
    },
    candorPage: async ({ page, candorPreset, leakWatch }, use) => {
      await usePreset(page, candorPreset);
      page.leaks = leakWatch;
      await use(page);
    },
    expectNoLeaks: async ({ leakWatch }, use) => {
      await use((opts) => leakWatch.expectNoLeaks(opts));
    },
  });
  built = { test, expect: pw.expect };
  return built;
}

module.exports = {
  TESTIDS, presetUrl, usePreset, waitForReady, consent, reports, advance, idle, noise,
  acceptAll, rejectAll, grant, openPreferences, expectPrompt, startLeakWatch,
};
Object.defineProperty(module.exports, 'test', { enumerable: true, get: () => fixture().test });
Object.defineProperty(module.exports, 'expect', { enumerable: true, get: () => fixture().expect });
