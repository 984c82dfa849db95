// Event throughput and memory, in one Chromium page:
//   * `candor.track('page_view', {path, load_ms})` (a category and a histogram
//     field) against a plain-JavaScript Map counter doing the same gate and
//     aggregation (our practical ceiling), and against that Map counter plus
//     what Candor's durability rule costs at the least (JSON.stringify of the
//     aggregate + localStorage.setItem on every call); and both one event
//     per task, each with its storage write;
//   * the wasm linear memory (WebAssembly.Memory buffer size, found through the
//     DevTools protocol's Runtime.queryObjects, so no public API is added) and
//     the JS heap, after boot and after 100,000 tracks.
//
//   node benches/track.js OUT_DIR      (N=100000 ROUNDS=3 LATENCY_N=20000 CANDOR_DIST=dist)
//
// Method: calls/s = N / wall time of a tight loop of N calls (median of
// ROUNDS alternating rounds). Single-call latency: a separate pass timing each
// call with performance.now(); the page is cross-origin isolated (COOP+COEP
// headers), which gives Chromium's 5 µs timer instead of 100 µs, and the
// timer resolution seen is reported next to the percentiles.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.resolve(process.argv[2] || path.join(__dirname, 'out'));
const N = Number(process.env.N || 100000);
const ROUNDS = Number(process.env.ROUNDS || 3);
const LATENCY_N = Number(process.env.LATENCY_N || 20000);
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

const CONFIG = {
  site: 'bench.example',
  revision: 'r1',
  purposes: [
    { id: 'necessary', required: true, label: 'Keep the site working', explain: 'We store your choice.', benefit: 'The site works.' },
    { id: 'stats', label: 'Count visits', explain: 'We count page views.', benefit: 'We fix slow pages.' },
    { id: 'video', label: 'Show videos', explain: 'We show videos.', benefit: 'You can watch videos.' },
  ],
  events: {
    page_view: { purpose: 'stats', max_per_window: 1000000000, fields: {
      path: { kind: 'category', values: ['/', '/shop', '/cart'] },
      load_ms: { kind: 'histogram', buckets: [100, 300, 1000, 3000] } } },
  },
};

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>track bench</title>
<script type="application/json" id="candor-config">${JSON.stringify(CONFIG)}</script>
<script src="/candor/candor.js" async></script></head><body><main><h1>Track bench</h1></main></body></html>`;

// CANDOR_DIST (default dist/) lets two builds be compared: before/after a change.
const DIST = path.resolve(ROOT, process.env.CANDOR_DIST || 'dist');

function server() {
  const files = {
    '/': { body: Buffer.from(PAGE), type: 'text/html; charset=utf-8' },
    '/candor/candor.js': { body: fs.readFileSync(path.join(DIST, 'candor.js')), type: 'text/javascript' },
    '/candor/candor_bg.wasm': { body: fs.readFileSync(path.join(DIST, 'candor_bg.wasm')), type: 'application/wasm' },
  };
  const s = http.createServer((req, res) => {
    const f = files[new URL(req.url, 'http://x').pathname];
    if (!f) { res.writeHead(404); return res.end(); }
    res.writeHead(200, { 'Content-Type': f.type, 'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-store' });
    res.end(f.body);
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${s.address().port}/`, close: () => new Promise((r) => { s.closeAllConnections(); s.close(r); }) })));
}

// The wasm's stack size, as .cargo/config.toml links it.
const STACK = Number(/stack-size=(\d+)/.exec(fs.readFileSync(path.join(__dirname, '..', '.cargo', 'config.toml'), 'utf8'))[1]);

async function memory(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const proto = await cdp.send('Runtime.evaluate', { expression: 'WebAssembly.Memory.prototype' });
  const list = await cdp.send('Runtime.queryObjects', { prototypeObjectId: proto.result.objectId });
  const sizes = await cdp.send('Runtime.callFunctionOn', { objectId: list.objects.objectId, returnByValue: true,
    functionDeclaration: 'function () { return this.map((m) => m.buffer.byteLength); }' });
  // The deepest the wasm's stack went: rustc links it first, from STACK
  // bytes down to 0, and a byte never written stays 0, so the lowest
  // non-zero byte above the 1 KB nothing uses marks it.
  const low = await cdp.send('Runtime.callFunctionOn', { objectId: list.objects.objectId, returnByValue: true,
    functionDeclaration: `function () { const b = new Uint8Array(this[0].buffer); let i = 1024; while (i < ${STACK} && b[i] === 0) i++; return i; }` });
  const heap = await cdp.send('Runtime.getHeapUsage');
  return { wasm: sizes.result.value, jsHeapUsed: heap.usedSize, stackUsed: STACK - low.result.value };
}

// Everything below `page.evaluate` runs in the page.
function inPage({ N, ROUNDS, LATENCY_N }) {
  const PATHS = ['/', '/shop', '/cart', '/search'];
  const FIELDS = [];
  for (let i = 0; i < 997; i++) FIELDS.push({ path: PATHS[i % 4], load_ms: 40 + (i * 37) % 4000 });

  // The ceiling: the same declared-event lookup, consent check, category and
  // histogram tallies, in a JS Map.
  const DECL = new Map([['page_view', { purpose: 'stats', fields: new Map([
    ['path', { kind: 'category', values: ['/', '/shop', '/cart'] }],
    ['load_ms', { kind: 'histogram', buckets: [100, 300, 1000, 3000] }]]) }]]);
  const GRANTED = new Set(['stats']);
  const tallies = new Map();
  function mapTrack(name, fields) {
    const d = DECL.get(name);
    if (!d) return false;
    if (!GRANTED.has(d.purpose)) return false;
    let t = tallies.get(name);
    if (!t) tallies.set(name, t = { count: 0, fields: new Map() });
    t.count++;
    for (const k in fields) {
      const f = d.fields.get(k);
      if (!f) return false;
      const v = fields[k];
      if (f.kind === 'category') {
        const key = f.values.includes(v) ? v : 'other';
        let m = t.fields.get(k);
        if (!m) t.fields.set(k, m = new Map());
        m.set(key, (m.get(key) || 0) + 1);
      } else {
        let b = t.fields.get(k);
        if (!b) t.fields.set(k, b = new Array(f.buckets.length + 1).fill(0));
        let i = 0;
        while (i < f.buckets.length && v > f.buckets[i]) i++;
        b[i]++;
      }
    }
    return true;
  }
  // The ceiling with Candor's durability rule: persist the aggregate before returning.
  function toJson() {
    const o = {};
    for (const [n, t] of tallies) {
      const f = {};
      for (const [k, v] of t.fields) f[k] = v instanceof Map ? Object.fromEntries(v) : v;
      o[n] = { count: t.count, fields: f };
    }
    return JSON.stringify(o);
  }
  function mapTrackPersist(name, fields) {
    const ok = mapTrack(name, fields);
    if (ok) localStorage.setItem('bench.map', toJson());
    return ok;
  }
  const variants = {
    candor: (n, f) => window.candor.track(n, f).accepted,
    map: mapTrack,
    mapPersist: mapTrackPersist,
  };
  function loop(fn, n) {
    let accepted = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) if (fn('page_view', FIELDS[i % 997])) accepted++;
    return { ms: performance.now() - t0, accepted };
  }
  return { variants, loop, N, ROUNDS, LATENCY_N };
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const srv = await server();
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(srv.url);
    await page.waitForFunction(() => window.candor !== undefined);
    await page.evaluate(() => window.candor.ready);
    const cdp = await context.newCDPSession(page);
    const boot = await memory(cdp);
    await page.evaluate(() => window.candor.grant(['stats']));
    await page.evaluate(`window.__bench = (${inPage.toString()})(${JSON.stringify({ N, ROUNDS, LATENCY_N })})`);
    const isolated = await page.evaluate(() => window.crossOriginIsolated);

    const rounds = { candor: [], map: [], mapPersist: [] };
    let after = null;
    for (let r = 0; r < ROUNDS; r++) {
      for (const v of Object.keys(rounds)) {
        const res = await page.evaluate(({ v, N }) => window.__bench.loop(window.__bench.variants[v], N), { v, N });
        if (res.accepted !== N) throw new Error(`${v}: only ${res.accepted} of ${N} calls accepted`);
        rounds[v].push(res.ms);
        if (v === 'candor' && r === 0) after = await memory(cdp);
        process.stderr.write(`track.js: round ${r + 1} ${v} ${(N / res.ms * 1000).toFixed(0)} calls/s\n`);
      }
    }
    const latency = await page.evaluate(({ n }) => {
      const out = {};
      const FIELDS = [{ path: '/shop', load_ms: 250 }, { path: '/', load_ms: 1200 }, { path: '/x', load_ms: 40 }];
      // Timer resolution: the smallest non-zero step of performance.now().
      let res = Infinity, last = performance.now();
      for (let i = 0; i < 100000 && res > 0.001; i++) { const t = performance.now(); if (t > last) { res = Math.min(res, t - last); last = t; } }
      out.resolutionMs = res;
      for (const [v, fn] of Object.entries(window.__bench.variants)) {
        const xs = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          fn('page_view', FIELDS[i % 3]);
          xs[i] = performance.now() - t0;
        }
        xs.sort();
        out[v] = { p50: xs[Math.floor(n * 0.5)], p99: xs[Math.floor(n * 0.99)], max: xs[n - 1] };
      }
      return out;
    }, { n: LATENCY_N });
    // One event at a time: each call and its storage write timed together.
    // Candor writes at the end of the task (a microtask queued by the first
    // accepted track of the task); a microtask queued after the call runs
    // after that write, so the time includes it.
    const single = await page.evaluate(async ({ n }) => {
      const out = {};
      const FIELDS = [{ path: '/shop', load_ms: 250 }, { path: '/', load_ms: 1200 }, { path: '/x', load_ms: 40 }];
      for (const v of ['candor', 'mapPersist']) {
        const fn = window.__bench.variants[v];
        const xs = new Float64Array(n);
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          await new Promise((done) => {
            const t = performance.now();
            fn('page_view', FIELDS[i % 3]);
            queueMicrotask(() => { xs[i] = performance.now() - t; done(); });
          });
        }
        const ms = performance.now() - t0;
        xs.sort();
        out[v] = { rate: n / ms * 1000, p50: xs[Math.floor(n * 0.5)], p99: xs[Math.floor(n * 0.99)], max: xs[n - 1] };
      }
      return out;
    }, { n: LATENCY_N });
    const stored = await page.evaluate(() => {
      let bytes = 0;
      for (let i = 0; i < localStorage.length; i++) {
        const k = localStorage.key(i);
        if (k.startsWith('candor.open.')) bytes += localStorage.getItem(k).length;
      }
      return bytes;
    });
    if (errors.length) throw new Error('page errors: ' + errors.join('; '));

    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const rate = (v) => N / med(rounds[v]) * 1000;
    const result = { N, ROUNDS, LATENCY_N, isolated, chromium: browser.version(), rounds, latency, single, boot, after, storedOpenBytes: stored,
      rates: { candor: rate('candor'), map: rate('map'), mapPersist: rate('mapPersist') } };
    fs.writeFileSync(path.join(OUT, 'track.json'), JSON.stringify(result, null, 2));

    const us = (ms) => (ms * 1000).toFixed(1);
    const f0 = (x) => Math.round(x).toLocaleString('en-US');
    const md = [];
    md.push(`${f0(N)} calls per round, median of ${ROUNDS} alternating rounds, same page; latency from ${f0(LATENCY_N)} individually timed calls ` +
      `(timer resolution seen: ${us(latency.resolutionMs)} µs, cross-origin isolated: ${isolated}).`);
    md.push('');
    md.push('| variant | calls/s | vs Map counter | p50 µs | p99 µs | max µs |');
    md.push('| --- | ---: | ---: | ---: | ---: | ---: |');
    const label = { candor: '`candor.track` (wasm, one storage write per task)', map: 'plain JS `Map` counter (ceiling)',
      mapPersist: 'JS `Map` counter + JSON.stringify + localStorage.setItem per call' };
    for (const v of ['candor', 'map', 'mapPersist']) {
      md.push(`| ${label[v]} | ${f0(result.rates[v])} | ${(result.rates[v] / result.rates.map).toFixed(3)}× | ` +
        `${us(latency[v].p50)} | ${us(latency[v].p99)} | ${us(latency[v].max)} |`);
    }
    md.push('');
    md.push(`One event per task (${f0(LATENCY_N)} calls, each followed by its own storage write before the next call, as when a ` +
      'page tracks one click at a time):');
    md.push('');
    md.push('| variant | calls/s | p50 µs | p99 µs | max µs |');
    md.push('| --- | ---: | ---: | ---: | ---: |');
    for (const v of ['candor', 'mapPersist']) {
      md.push(`| ${label[v]} | ${f0(single[v].rate)} | ${us(single[v].p50)} | ${us(single[v].p99)} | ${us(single[v].max)} |`);
    }
    md.push('');
    md.push('Memory (after a forced GC):');
    md.push('');
    md.push(`| when | wasm linear memory | of it, stack used (of ${STACK / 1024} KiB) | JS heap used |`);
    md.push('| --- | ---: | ---: | ---: |');
    const mb = (b) => `${(b / 1048576).toFixed(2)} MiB`;
    const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;
    md.push(`| after boot | ${boot.wasm.map(mb).join(' + ')} | ${kb(boot.stackUsed)} | ${mb(boot.jsHeapUsed)} |`);
    md.push(`| after ${f0(N)} tracks | ${after.wasm.map(mb).join(' + ')} | ${kb(after.stackUsed)} | ${mb(after.jsHeapUsed)} |`);
    md.push('');
    md.push(`The open aggregate persisted in localStorage after all rounds: ${stored} characters (it grows with categories and buckets, not with events).`);
    fs.writeFileSync(path.join(OUT, 'track.md'), md.join('\n') + '\n');
    console.log(md.join('\n'));
    await context.close();
  } finally {
    await browser.close();
    await srv.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
