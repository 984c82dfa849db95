// How deep Candor's wasm stack goes at its worst, to check the stack size
// linked in .cargo/config.toml (256 KiB; rustc's default is 1 MiB, which was
// most of the wasm's memory). rustc links the stack first, from its size
// down to 0, and a byte never written stays 0, so the lowest non-zero byte
// above the 1 KB nothing uses marks the deepest point reached.
//
// The workload is the largest config the schema allows (32 purposes, 64
// events of 64 categories and 32 buckets, 2,000-character texts full of
// markup, RTL and combining characters), stored values nested to the JSON
// reader's limit (128), then: accept all, every event tracked, the data
// view, inspect(), export of the state and erase().
//
//   node benches/stack.js              (CANDOR_DIST=dist)
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { serve } = require('./serve');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.resolve(ROOT, process.env.CANDOR_DIST || 'dist');
const STACK = Number(/stack-size=(\d+)/.exec(fs.readFileSync(path.join(ROOT, '.cargo', 'config.toml'), 'utf8'))[1]);
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

const MIX = 'a <b>x</b></script><img src=x onerror=alert(1)> שלום مرحبا e\u0301\u0301 🙂👨‍👩‍👧 {purpose} {days} ';
const text = (n) => MIX.repeat(Math.ceil(n / MIX.length)).slice(0, n).trim() + '.';

function bigConfig() {
  const purposes = Array.from({ length: 32 }, (_, i) => ({
    id: `p${i}_${'x'.repeat(28)}`.slice(0, 32), ...(i === 0 ? { required: true } : { retention_days: 3650 }),
    label: `Purpose ${i} ${text(150)}`, explain: `Explain ${i} ${text(1900)}`, benefit: `Benefit ${i} ${text(1900)}`,
  }));
  const values = Array.from({ length: 64 }, (_, v) => `v${v} ${text(100)}`);
  const buckets = Array.from({ length: 32 }, (_, k) => k * 10 + 0.5);
  const events = {};
  for (let e = 0; e < 64; e++) {
    events[`event_${e}`] = { purpose: purposes[1 + (e % 31)].id, fields: {
      cat: { kind: 'category', values }, h: { kind: 'histogram', buckets }, s: { kind: 'sum', min: -1e9, max: 1e9 } } };
  }
  return { site: 'stack.example', revision: 'r1', collector: null, purposes, events, aggregation: { window_seconds: 3600 } };
}

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-stack-'));
  const config = JSON.stringify(bigConfig()).replace(/</g, '\\u003c');
  fs.writeFileSync(path.join(dir, 'index.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8">
<script type="application/json" id="candor-config">${config}</script>
<script src="/candor/candor.js" async></script></head><body><p>Stack probe.</p></body></html>`);
  const srv = await serve({ '/': path.join(dir, 'index.html'), '/candor/candor.js': path.join(DIST, 'candor.js'),
    '/candor/candor_bg.wasm': path.join(DIST, 'candor_bg.wasm') });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const deep = '['.repeat(127) + ']'.repeat(127);
    await page.addInitScript((deep) => {
      for (const k of ['candor.history', 'candor.receipts', 'candor.forget', 'candor.report.x']) localStorage.setItem(k, deep);
    }, deep);
    await page.goto(srv.url + '/');
    await page.evaluate(() => window.candor.ready);
    const accepted = await page.evaluate(async () => {
      window.candor.acceptAll();
      let n = 0;
      for (let e = 0; e < 64; e++) n += window.candor.track(`event_${e}`, { cat: 'v1', h: e * 7, s: e }).accepted ? 1 : 0;
      window.candor.open('data');
      JSON.stringify(window.candor.inspect());
      window.candor.erase();
      return n;
    });
    if (accepted !== 64) throw new Error(`the workload did not run: ${accepted} of 64 events accepted (is the config valid?)`);
    const cdp = await context.newCDPSession(page);
    const proto = await cdp.send('Runtime.evaluate', { expression: 'WebAssembly.Memory.prototype' });
    const list = await cdp.send('Runtime.queryObjects', { prototypeObjectId: proto.result.objectId });
    const low = await cdp.send('Runtime.callFunctionOn', { objectId: list.objects.objectId, returnByValue: true,
      functionDeclaration: `function () { const b = new Uint8Array(this[0].buffer); let i = 1024; while (i < ${STACK} && b[i] === 0) i++; return i; }` });
    const used = STACK - low.result.value;
    console.log(`stack used at most: ${(used / 1024).toFixed(1)} KiB of ${STACK / 1024} KiB (${(STACK / used).toFixed(1)}x headroom)`);
  } finally {
    await browser.close();
    await srv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
})();
