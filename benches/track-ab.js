// Before/after comparison of `candor.track` between two builds, robust to a
// shared, noisy machine: both builds are loaded in the same browser at once
// (each page on its own origin, so each has its own localStorage), and short
// rounds alternate between them; the medians of the rounds are compared.
// Each build is also measured with Storage.prototype.setItem replaced by a
// no-op (in that page only), which isolates what Candor itself costs from
// the localStorage write its durability rule requires.
//
//   node benches/track-ab.js BEFORE_DIST AFTER_DIST   (ROUNDS=9 CALLS=20000)
//
// e.g. keep a copy of dist/ before a change (cp -r dist target/bench/before),
// rebuild, then: node benches/track-ab.js target/bench/before dist
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { chromium } = require('playwright-core');

const ROUNDS = Number(process.env.ROUNDS || 9);
const CALLS = Number(process.env.CALLS || 20000);
const CONFIG = require('./track-config');
const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ab</title>
<script type="application/json" id="candor-config">${JSON.stringify(CONFIG)}</script>
<script src="/candor/candor.js" async></script></head><body></body></html>`;

function serve(dist) {
  const files = {
    '/': [PAGE, 'text/html'],
    '/candor/candor.js': [fs.readFileSync(path.join(dist, 'candor.js')), 'text/javascript'],
    '/candor/candor_bg.wasm': [fs.readFileSync(path.join(dist, 'candor_bg.wasm')), 'application/wasm'],
  };
  const s = http.createServer((req, res) => {
    const f = files[new URL(req.url, 'http://x').pathname];
    if (!f) { res.writeHead(404); return res.end(); }
    res.writeHead(200, { 'Content-Type': f[1], 'Cache-Control': 'no-store' });
    res.end(f[0]);
  });
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r({ url: `http://127.0.0.1:${s.address().port}/`, server: s })));
}

async function open(browser, url, stub) {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (stub) await page.addInitScript(() => { Storage.prototype.setItem = function () {}; });
  await page.goto(url);
  await page.waitForFunction(() => window.candor !== undefined);
  await page.evaluate(() => window.candor.ready);
  await page.evaluate(() => window.candor.grant(['stats']));
  return page;
}

const run = (page) => page.evaluate((n) => {
  const F = [{ path: '/shop', load_ms: 250 }, { path: '/', load_ms: 1200 }, { path: '/x', load_ms: 40 }];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) if (!window.candor.track('page_view', F[i % 3]).accepted) throw new Error('refused');
  return ((performance.now() - t0) * 1000) / n;
}, CALLS);

(async () => {
  const [a, b] = process.argv.slice(2, 4).map((d) => path.resolve(d));
  if (!a || !b) throw new Error('usage: node benches/track-ab.js BEFORE_DIST AFTER_DIST');
  const servers = await Promise.all([serve(a), serve(a), serve(b), serve(b)]);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'] });
  const labels = ['before', 'before, setItem stubbed', 'after', 'after, setItem stubbed'];
  const pages = [];
  for (let i = 0; i < 4; i++) pages.push(await open(browser, servers[i].url, i % 2 === 1));
  const times = labels.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < 4; k++) {
      const i = (k + r) % 4;
      times[i].push(await run(pages[i]));
    }
  }
  await browser.close();
  for (const s of servers) s.server.close();
  const med = (xs) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
  console.log(`| build | µs per track (median of ${ROUNDS} rounds × ${CALLS.toLocaleString('en-US')} calls) | calls/s |`);
  console.log('| --- | ---: | ---: |');
  labels.forEach((l, i) => console.log(`| ${l} | ${med(times[i]).toFixed(2)} | ${Math.round(1e6 / med(times[i])).toLocaleString('en-US')} |`));
})().catch((e) => { console.error(e); process.exit(1); });
