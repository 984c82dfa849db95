// The decision's durable copy. Chromium writes localStorage to disk up to
// about a minute after a page wrote it, so a browser killed in that time
// comes back with the decision from before. The copy, in IndexedDB with
// strict durability, is on disk when its write completes; at boot the one
// that grants less holds: a lost withdrawal or erase is honoured, a lost
// grant is never brought back. Most tests here put the older record back by
// hand (from a page of the site without Candor), as the disk would; the last
// one kills a real browser with SIGKILL.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { chromium } = require('playwright-core');
const h = require('./harness');

let server, chrome;
const PLAIN = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>no Candor</title></head><body><p>No Candor here.</p></body></html>';

test.before(async () => {
  const www = h.site({
    'candor.config.json': h.config(),
    'index.html': h.html({ body: '<script type="text/plain" data-candor-purpose="stats" src="/vendor.js"></script>' }),
    'vendor.js': 'window.__vendorRan = true;',
    'plain.html': PLAIN,
  });
  server = await h.collector({ www });
  chrome = await h.browser();
});
test.after(async () => { await chrome?.close(); await server?.stop(); });

const copy = h.durableCopy;
const stored = (p) => p.evaluate(() => localStorage.getItem('candor.consent'));
const last = async (p) => ((await copy(p)) || []).at(-1);
/** Puts `written` in the copy, from a page without Candor. */
const putCopy = (p, written) => p.evaluate((w) => new Promise((resolve) => {
  const open = indexedDB.open('candor', 1);
  open.onupgradeneeded = () => open.result.createObjectStore('kv');
  open.onsuccess = () => {
    const tx = open.result.transaction('kv', 'readwrite');
    tx.objectStore('kv').put(w, 'candor.consent');
    tx.oncomplete = () => { open.result.close(); resolve(); };
  };
}), written);

async function until(what, check) {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('timed out waiting: ' + what);
}

/** A tab on the gated page, booted, that records which requests it made. */
async function visit(context, p) {
  p = p || await h.page(context);
  p.requested = p.requested || [];
  if (!p.listening) { p.on('request', (r) => p.requested.push(new URL(r.url()).pathname)); p.listening = true; }
  await p.goto(server.url + '/');
  await h.ready(p);
  return p;
}

/** A tab that made a decision (`how`, run in the page) and saw it copied: the tab, and the record stored. */
async function decide(context, how) {
  const p = await visit(context);
  await p.evaluate(how);
  return { p, text: await copied(p) };
}

/** Waits until the copy's last write is an erase's mark. */
const eraseCopied = (p) => until('the erase copied', async () => /^erased:\d+$/.test(await last(p)));

/** The record localStorage holds, once the copy's last write is that record too. */
const copied = h.copied;

/** The browser lost the last write: localStorage holds `text` again (from a page without Candor). */
async function lose(p, text) {
  await p.goto(server.url + '/plain.html');
  await p.evaluate((t) => localStorage.setItem('candor.consent', t), text);
}

test('a withdrawal the browser lost from localStorage is still honoured: its durable copy holds it, and nothing gated loads', async () => {
  const context = await chrome.newContext();
  const { p, text: granted } = await decide(context, () => window.candor.acceptAll());
  await p.evaluate(() => window.candor.withdraw());
  const withdrawn = await copied(p);
  assert.notEqual(withdrawn, granted);

  await lose(p, granted);
  p.requested.length = 0;
  await visit(context, p);
  const c = await h.consent(p);
  assert.equal(c.decided, true);
  assert.deepEqual(c.purposes, { necessary: true, stats: false, video: false }, 'the withdrawal holds');
  assert.equal(await stored(p), withdrawn, 'localStorage holds the withdrawal again');
  assert.equal(await p.evaluate(() => window.__vendorRan === true), false, 'the gated script did not run');
  assert.ok(!p.requested.includes('/vendor.js'), 'nor was it fetched');
  assert.equal(await p.evaluate(() => window.candor.track('page_view', { path: '/' })).then((r) => r.reason), 'no-consent');
  await context.close();
});

test('more decisions lost than the copy lists: the record that comes back is older than its last one, and the narrower wins', async () => {
  const context = await chrome.newContext();
  const { p, text: granted } = await decide(context, () => window.candor.acceptAll());
  await p.evaluate(() => {
    const c = window.candor;
    c.withdraw(); c.grant(['stats']); c.deny(['stats']); c.grant(['video']); c.withdraw();
  });
  const withdrawn = await copied(p);
  assert.ok(!(await copy(p)).includes(granted), 'the grant is no longer listed');
  await lose(p, granted);
  await visit(context, p);
  assert.deepEqual((await h.consent(p)).purposes, { necessary: true, stats: false, video: false });
  await context.close();
});

test('an erase the browser lost from localStorage is still honoured: the visitor is asked again', async () => {
  const context = await chrome.newContext();
  const { p, text: granted } = await decide(context, () => window.candor.acceptAll());
  await p.evaluate(() => window.candor.erase());
  await eraseCopied(p);
  assert.equal((await copy(p)).length, 1, 'the copy forgets the decisions it held: only the time of the erase is left');
  assert.equal(await p.evaluate(() => window.candor.inspect().durable), null, 'an erased copy holds nothing to list');

  await lose(p, granted);
  p.requested.length = 0;
  await visit(context, p);
  assert.equal((await h.consent(p)).decided, false, 'asked again');
  await h.prompt(p).waitFor({ state: 'visible' });
  assert.equal(await stored(p), null, 'the lost record is removed');
  assert.ok(!p.requested.includes('/vendor.js'));
  await context.close();
});

test('an erase after the clock was set back still covers the decision it erased', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.clock.install({ time: Date.now() + 30e3 });
  await visit(context, p);
  await p.evaluate(() => window.candor.acceptAll());
  const granted = await copied(p);
  await p.clock.setSystemTime(Date.now());
  await p.evaluate(() => window.candor.erase());
  await eraseCopied(p);
  await lose(p, granted);
  await visit(context, p);
  assert.equal((await h.consent(p)).decided, false);
  await context.close();
});

test('an erase stays honoured after later page loads and decisions: a record from before it never comes back', async () => {
  const context = await chrome.newContext();
  const { p, text: granted } = await decide(context, () => window.candor.acceptAll());
  await p.evaluate(() => window.candor.erase());
  await eraseCopied(p);
  // A reload, then a new decision (a rejection), then the browser loses everything since the grant.
  await visit(context, p);
  await p.evaluate(() => window.candor.rejectAll());
  const rejected = await copied(p);
  assert.match((await copy(p))[0], /^erased:\d+$/, 'the mark stays first');
  await lose(p, granted);
  await visit(context, p);
  assert.equal((await h.consent(p)).decided, false, 'asked again, never the grant from before the erase');
  assert.equal(await p.evaluate(() => window.__vendorRan === true), false);
  // A decision made in the same second as an erase, after it, stands.
  await p.evaluate(() => { window.candor.erase(); window.candor.acceptAll(); });
  // (A page left before its copy's write completes may lose that write: the
  // transaction goes with the page.)
  const accepted = await copied(p);
  await visit(context, p);
  assert.deepEqual((await h.consent(p)).purposes, { necessary: true, stats: true, video: true });
  await context.close();
});

test('a grant only the copy kept (its localStorage write lost) is not brought back', async () => {
  const context = await chrome.newContext();
  const { p, text: rejected } = await decide(context, () => window.candor.rejectAll());
  const widened = JSON.stringify({ ...JSON.parse(rejected), purposes: { stats: true, video: true }, updated_at: JSON.parse(rejected).updated_at + 1 });
  // The visitor then accepted, and the browser lost that write: localStorage holds the rejection.
  await p.goto(server.url + '/plain.html');
  await putCopy(p, [rejected, widened]);
  await visit(context, p);
  assert.deepEqual((await h.consent(p)).purposes, { necessary: true, stats: false, video: false }, 'still rejected');
  await until('the copy brought up to localStorage', async () => (await last(p)) === rejected);
  assert.equal(await p.evaluate(() => window.__vendorRan === true), false);

  // A first decision lost: asked again.
  await p.goto(server.url + '/plain.html');
  await p.evaluate(() => localStorage.removeItem('candor.consent'));
  await putCopy(p, ['', widened]);
  await visit(context, p);
  assert.equal((await h.consent(p)).decided, false, 'asked');
  await context.close();
});

test('a record put in localStorage by something else than Candor (a test, another tool) stands', async () => {
  const context = await chrome.newContext();
  const { p, text: rejected } = await decide(context, () => window.candor.rejectAll());
  const accepted = JSON.stringify({ ...JSON.parse(rejected), purposes: { stats: true, video: true }, updated_at: Math.floor(Date.now() / 1000) + 1 });
  await p.evaluate((t) => localStorage.setItem('candor.consent', t), accepted);
  await visit(context, p);
  assert.deepEqual((await h.consent(p)).purposes, { necessary: true, stats: true, video: true });
  await until('copied', async () => (await last(p)) === accepted);
  await until('the vendor ran', () => p.evaluate(() => window.__vendorRan === true));
  await context.close();
});

test('a decision stored before there was a copy stands, and is copied; inspect() and "Your data" list the copy', async () => {
  const context = await chrome.newContext();
  const p = await visit(context);
  await p.evaluate(() => window.candor.grant(['stats']));
  const granted = await stored(p);
  await p.goto(server.url + '/plain.html');
  await p.evaluate(() => new Promise((resolve, reject) => {
    const del = indexedDB.deleteDatabase('candor');
    del.onsuccess = resolve; del.onerror = () => reject(del.error); del.onblocked = () => reject(new Error('blocked'));
  }));
  await visit(context, p);
  assert.deepEqual((await h.consent(p)).purposes, { necessary: true, stats: true, video: false });
  await until('copied at boot', async () => JSON.stringify(await copy(p)) === JSON.stringify([granted]));
  await until('the vendor ran', () => p.evaluate(() => window.__vendorRan === true));
  const bytes = granted.length * 2;
  await until('inspect() lists the copy', async () => (await p.evaluate(() => window.candor.inspect().durable))?.bytes === bytes);
  assert.deepEqual(await p.evaluate(() => window.candor.inspect().durable), { key: 'IndexedDB candor', bytes });
  await p.evaluate(() => window.candor.open());
  await p.locator('[data-testid="candor-your-data"]').click();
  const line = p.locator('[data-testid="candor-data-storage"] li[data-key="IndexedDB candor"]');
  assert.equal(await line.textContent(),
    `IndexedDB candor: a copy of your choices, written to disk at once, so a browser crash cannot bring back an older one (${bytes}\u00a0bytes).`);
  await context.close();
});

/** Chromium as its own process on a profile folder, driven over CDP, so that it can be killed. */
async function realChromium(profile) {
  const child = spawn(h.CHROMIUM, ['--headless=new', `--user-data-dir=${profile}`, '--remote-debugging-port=0', ...h.ARGS, 'about:blank'],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const ws = await new Promise((resolve, reject) => {
    let out = '';
    child.stderr.on('data', (d) => { out += d; const m = /DevTools listening on (ws:\S+)/.exec(out); if (m) resolve(m[1]); });
    child.once('exit', (code) => reject(new Error('chromium exited ' + code + ': ' + out)));
  });
  const browser = await chromium.connectOverCDP(ws);
  const exited = () => new Promise((r) => (child.exitCode !== null || child.signalCode ? r() : child.once('exit', r)));
  return {
    context: browser.contexts()[0],
    kill: async () => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } await exited(); },
    // Browser.close over CDP: the browser shuts down as when the visitor quits it, writing everything.
    close: async () => {
      try { await (await browser.newBrowserCDPSession()).send('Browser.close'); } catch { /* already gone */ }
      await Promise.race([exited(), new Promise((r) => setTimeout(r, 10000))]);
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      await exited();
    },
  };
}

test('a real browser killed (SIGKILL) right after a withdrawal: the withdrawal holds when it comes back', async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-profile-'));
  let b = await realChromium(profile);
  try {
    let p = await visit(b.context);
    await p.evaluate(() => window.candor.acceptAll());
    const granted = await copied(p);
    await b.close(); // a normal close writes everything
    b = await realChromium(profile);
    p = await visit(b.context);
    assert.deepEqual((await h.consent(p)).purposes, { necessary: true, stats: true, video: true }, 'the grant was kept');
    await p.evaluate(() => window.candor.withdraw());
    const withdrawn = await copied(p);
    await b.kill();
    b = await realChromium(profile);
    p = await visit(b.context);
    const c = await h.consent(p);
    assert.deepEqual(c.purposes, { necessary: true, stats: false, video: false }, 'withdrawn');
    assert.equal(c.decided, true);
    assert.equal(await p.evaluate(() => window.__vendorRan === true), false);
  } finally {
    await b.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
});
