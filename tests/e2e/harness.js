// Shared e2e plumbing: the real collector binary on a free port serving a
// throwaway www/ folder and the real dist/, plus headless Chromium.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'target/release/candor-collector');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Every collector this process started. A test that fails before it stops its
// own must not keep the test file alive (and CI waiting) forever: the
// children's pipes do not hold the event loop, and whatever is still running
// when the file's tests are done is killed.
const children = new Set();
process.on('exit', () => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL'); });
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/** A temp www/ folder with the files of tests/e2e/pages plus `files` ({name: text|object}). */
function site(files = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-www-'));
  fs.cpSync(path.join(__dirname, 'pages'), dir, { recursive: true });
  write(dir, files);
  return dir;
}

function write(dir, files) {
  for (const [name, body] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body, null, 2));
  }
}

/** Starts the collector; resolves to {url, stop(), db}. */
async function collector({ www, db, listen = '127.0.0.1:0', sites = ['shop.example', 'test.example'], minReports = 1, extra = [] } = {}) {
  db = db || path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'candor-db-')), 'candor.db');
  const args = ['--listen', listen, '--db', db, '--sites', sites.join(','), '--min-reports', String(minReports),
    '--www', www, '--dist', path.join(ROOT, 'dist'), ...extra];
  const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const line = await new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`collector exited ${code}: ${stderr}`)));
  });
  const m = /^listening on (\S+)$/.exec(line);
  if (!m) throw new Error(`unexpected first line: ${line}`);
  // Running, it no longer holds the test file open (see `children`).
  const hold = (on) => { for (const h of [child, child.stdout, child.stderr]) on ? h.ref() : h.unref(); };
  hold(false);
  return {
    url: `http://${m[1]}`,
    db,
    child,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      hold(true);
      child.once('exit', resolve);
      child.kill('SIGTERM');
    }),
  };
}

async function browser(extraArgs = []) {
  return chromium.launch({ executablePath: CHROMIUM, args: [...ARGS, ...extraArgs] });
}

/** A page that records console messages, page errors and candor:* events. */
async function page(context) {
  const p = await context.newPage();
  p.logs = [];
  p.on('console', (m) => p.logs.push({ type: m.type(), text: m.text() }));
  p.on('pageerror', (e) => p.logs.push({ type: 'pageerror', text: e.message }));
  await p.addInitScript(() => {
    window.__events = [];
    for (const name of ['ready', 'consent', 'error', 'report']) {
      document.addEventListener('candor:' + name, (e) => window.__events.push({ name, detail: e.detail }));
    }
  });
  return p;
}

/** Waits until candor.ready resolved. */
async function ready(p) {
  await p.waitForFunction(() => window.candor !== undefined);
  await p.evaluate(() => window.candor.ready);
}

/**
 * Waits until `get()` deep-equals `expected` (up to 5 s), then asserts it.
 * The cookie store that `context.cookies()` reads over CDP takes a page's
 * `document.cookie` writes a moment after the page made them.
 */
async function settled(get, expected, message) {
  let seen;
  for (let i = 0; i < 100; i++) {
    seen = await get();
    if (require('node:util').isDeepStrictEqual(seen, expected)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  require('node:assert/strict').deepEqual(seen, expected, message);
}

/** The decision's durable copy as the page's IndexedDB holds it: the last records written, oldest first (null: none). */
const durableCopy = (p) => p.evaluate(() => new Promise((resolve, reject) => {
  const open = indexedDB.open('candor', 1);
  open.onupgradeneeded = () => open.result.createObjectStore('kv');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const get = open.result.transaction('kv').objectStore('kv').get('candor.consent');
    get.onsuccess = () => { open.result.close(); resolve(get.result === undefined ? null : get.result); };
    get.onerror = () => reject(get.error);
  };
}));

/**
 * The record localStorage holds, once the durable copy's last write is that
 * record too: a page left within milliseconds of a decision can lose the
 * copy's write (README, known gaps), and a test that navigates right after
 * deciding must not depend on that race.
 */
async function copied(p) {
  const text = await p.evaluate(() => localStorage.getItem('candor.consent'));
  await settled(async () => ((await durableCopy(p)) || []).at(-1) === text, true, "the decision's durable copy is written");
  return text;
}

const prompt = (p) => p.locator('[data-testid="candor-prompt"]');
const consent = (p) => p.evaluate(() => window.candor.consent());
const events = (p, name) => p.evaluate((n) => window.__events.filter((e) => e.name === n), name);

/** A three-purpose config; `patch` is merged over it. */
function config(patch = {}) {
  return {
    site: 'test.example',
    revision: 'r1',
    purposes: [
      { id: 'necessary', required: true, label: 'Keep the site working', explain: 'We store your choice.', benefit: 'The site works.' },
      { id: 'stats', label: 'Count visits', explain: 'We count page views.', benefit: 'We fix slow pages.', retention_days: 30 },
      { id: 'video', label: 'Show videos', explain: 'Videos come from another company.', benefit: 'You can watch videos.' },
    ],
    events: {
      page_view: { purpose: 'stats', fields: { path: { kind: 'category', values: ['/', '/shop'] },
        load_ms: { kind: 'histogram', buckets: [100, 300, 1000] } } },
      purchase: { purpose: 'stats', fields: { amount: { kind: 'sum', min: 0, max: 500 } } },
    },
    ...patch,
  };
}

/** An HTML page with the script tag; `head`/`body` are extra markup. */
function html({ head = '', body = '', attrs = 'data-config="/candor.config.json" async' } = {}) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>${head}
<script src="/candor/candor.js" ${attrs}></script></head><body><main><h1>Test page</h1><p>Content.</p>
<button id="page-button" type="button">Page button</button></main>${body}</body></html>`;
}

module.exports = { ROOT, CHROMIUM, ARGS, site, write, collector, browser, page, ready, settled, durableCopy, copied, prompt, consent, events, config, html };
