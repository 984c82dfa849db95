// Where the time of one event per task goes (a page that tracks one click at
// a time): each `candor.track` call in a task of its own, split into
//   * the call itself (the loader, the purpose gate, the tallies);
//   * the end-of-task write Candor queues (a microtask: serialise the open
//     aggregate in the wasm, hand the string to JS, localStorage.setItem);
// next to, in the same page and rounds,
//   * a plain localStorage.setItem of a value as long as Candor's, in a task
//     of its own (what the durability rule costs at the least);
//   * an empty microtask (the measuring's own cost).
// Medians of ROUNDS rounds of CALLS tasks each.
//
//   node benches/track-task.js    (ROUNDS=7 CALLS=5000 CANDOR_DIST=dist)
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { serve } = require('./serve');

const ROUNDS = Number(process.env.ROUNDS || 7);
const CALLS = Number(process.env.CALLS || 5000);
const DIST = path.resolve(__dirname, '..', process.env.CANDOR_DIST || 'dist');
const CONFIG = require('./track-config');
const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>track per task</title>
<script type="application/json" id="candor-config">${JSON.stringify(CONFIG)}</script>
<script src="/candor/candor.js" async></script></head><body></body></html>`;

// The page from a temp file, through the bench's static server.
function serveDist() {
  const page = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'candor-task-')), 'index.html');
  fs.writeFileSync(page, PAGE);
  return serve({ '/': page, '/candor/candor.js': path.join(DIST, 'candor.js'), '/candor/candor_bg.wasm': path.join(DIST, 'candor_bg.wasm') });
}

// One round in the page: µs per task for each part.
const round = (n) => (async () => {
  const F = [{ path: '/shop', load_ms: 250 }, { path: '/', load_ms: 1200 }, { path: '/x', load_ms: 40 }];
  let value = null;
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k.startsWith('candor.open.')) value = localStorage.getItem(k);
  }
  let call = 0, write = 0, plain = 0, empty = 0;
  for (let i = 0; i < n; i++) {
    await new Promise((done) => {
      const t0 = performance.now();
      if (!window.candor.track('page_view', F[i % 3]).accepted) throw new Error('refused');
      const t1 = performance.now();
      // Queued after Candor's own write: it runs once that is done.
      queueMicrotask(() => { call += t1 - t0; write += performance.now() - t1; done(); });
    });
    await new Promise((done) => {
      const t0 = performance.now();
      localStorage.setItem('bench.plain', value + (i % 10));
      const t1 = performance.now();
      queueMicrotask(() => { plain += t1 - t0; done(); });
    });
    await new Promise((done) => {
      const t0 = performance.now();
      queueMicrotask(() => { empty += performance.now() - t0; done(); });
    });
  }
  const us = (ms) => (ms * 1000) / n;
  return { call: us(call), write: us(write), plain: us(plain), empty: us(empty), valueLength: value.length };
})();

(async () => {
  const s = await serveDist();
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'] });
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${s.url}/`);
  await page.waitForFunction(() => window.candor !== undefined);
  await page.evaluate(() => window.candor.ready);
  await page.evaluate(() => window.candor.grant(['stats']));
  await page.evaluate(() => window.candor.track('page_view', { path: '/', load_ms: 1 }));
  await page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await page.evaluate(`(${round.toString()})(${CALLS})`));
  await browser.close();
  await s.close();
  const med = (k) => rounds.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(rounds.length / 2)];
  const rows = [
    ['`candor.track` call (loader, gate, tallies)', med('call')],
    ['Candor\'s end-of-task write (serialise in the wasm, string to JS, `setItem`)', med('write')],
    ['plain `localStorage.setItem` of a value as long as Candor\'s', med('plain')],
    ['an empty microtask (the measuring itself)', med('empty')],
  ];
  console.log(`One event per task, µs per task (median of ${ROUNDS} rounds × ${CALLS.toLocaleString('en-US')} tasks; stored value ${rounds[0].valueLength} characters):\n`);
  console.log('| part | µs |');
  console.log('| --- | ---: |');
  for (const [label, v] of rows) console.log(`| ${label} | ${v.toFixed(1)} |`);
})().catch((e) => { console.error(e); process.exit(1); });
