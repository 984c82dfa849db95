// Where Candor's time to prompt goes: the Candor bench page (benches/pages/candor.html),
// unthrottled, a fresh context per run, with a timeline per run and its medians.
//
//   RUNS=12 node benches/ttp-breakdown.js                   # dist/
//   DIST=/tmp/a,/tmp/b RUNS=12 node benches/ttp-breakdown.js # two builds, runs interleaved
//   ... [/candor-preload.html]                              # another page of benches/pages
//
// Per run it records, in ms since navigation start: resource timing of candor.js
// and candor_bg.wasm; when the glue called fetch() for the wasm, got its headers,
// and called and finished WebAssembly.instantiateStreaming (wrapped by an init
// script); every performance.mark the page made (the shipped code makes none: add
// temporary ones, e.g. performance.mark('boot') in loader.js or a
// #[wasm_bindgen(js_namespace = performance)] extern fn mark in Rust, build, and
// point DIST at that build); and the prompt's first frame three ways:
//   probe:visible      the rAF timestamp, as benches/prompt.js records it. It is the
//                      frame's start time, which can be earlier than the moment the
//                      prompt was put in the page when a long task delayed the frame;
//   probe:now          performance.now() in that rAF callback, after the probe's own
//                      getBoundingClientRect/getComputedStyle (style and layout);
//   probe:after-paint  a MessageChannel message posted there: that frame's paint and
//                      commit are done.
// Unlike benches/prompt.js, it learns that the prompt is visible through an exposed
// binding instead of Playwright's waitForFunction, whose script injection runs in
// the page's main thread after the load event, i.e. while Candor boots.
//
// Output: per build, every key with its median time and the median of its per-run
// difference to the previous key (keys in the order of their medians). JSON=file
// keeps the raw runs; TRACE=file writes a Chromium trace of the first run
// (TRACE_CATS adds categories); CHROME_FLAGS passes browser flags (e.g.
// --js-flags=--no-wasm-lazy-compilation).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { SHOWN } = require('./shown');
const { serve } = require('./serve');

const ROOT = path.resolve(__dirname, '..');
const DISTS = (process.env.DIST || path.join(ROOT, 'dist')).split(',').map((d) => path.resolve(d));
const RUNS = Number(process.env.RUNS || 12);
const PAGE = process.argv[2] || '/candor.html';
const PAGES = path.join(__dirname, 'pages');
const TRACE = process.env.TRACE;
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', ...(process.env.CHROME_FLAGS ? process.env.CHROME_FLAGS.split(' ') : [])];
const CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.wasm',
  'disabled-by-default-v8.wasm.detailed', 'blink.user_timing', 'loading', 'toplevel',
  ...(process.env.TRACE_CATS ? process.env.TRACE_CATS.split(',') : [])];

// Runs in the page before any of its scripts.
function probe(shownSource) {
  const t = { visible: null };
  window.__probe = t;
  const m = (n) => performance.mark(n);
  const find = () => {
    const h = document.querySelector('candor-consent');
    return h && h.shadowRoot && h.shadowRoot.querySelector('[data-testid=candor-prompt]');
  };
  // The same test as benches/prompt.js.
  const shown = (0, eval)(shownSource); // eslint-disable-line no-eval -- the bench's own probe
  const frame = (ts) => {
    const el = find();
    if (!el || !shown(el)) return requestAnimationFrame(frame);
    t.visible = ts;
    t.now = performance.now();
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { t.afterPaint = performance.now(); window.__ttpVisible(); };
    ch.port2.postMessage(0);
  };
  requestAnimationFrame(frame);
  const streaming = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = function (...a) {
    m('w:instantiate-call');
    return streaming.apply(this, a).then((x) => { m('w:instantiated'); return x; });
  };
  const f = window.fetch;
  window.fetch = function (u, ...a) {
    const wasm = String(u && u.url || u).endsWith('.wasm');
    if (wasm) m('w:fetch-call');
    const p = f.call(this, u, ...a);
    if (wasm) m('w:fetch-returned');
    return wasm ? p.then((r) => { m('w:fetch-headers'); return r; }) : p;
  };
}

async function once(browser, url, trace) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  let cdp;
  if (trace) {
    cdp = await context.newCDPSession(page);
    await cdp.send('Tracing.start', { transferMode: 'ReturnAsStream', traceConfig: { includedCategories: CATEGORIES } });
  }
  let seen;
  const visible = new Promise((resolve) => { seen = resolve; });
  await page.exposeBinding('__ttpVisible', () => seen());
  await page.addInitScript(probe, SHOWN);
  await page.goto(url + PAGE, { waitUntil: 'load', timeout: 60000 });
  await visible;
  await page.waitForTimeout(300); // let the rest of the boot finish before reading
  const r = await page.evaluate(() => {
    const o = {};
    for (const e of performance.getEntriesByType('mark')) if (!(e.name in o)) o[e.name] = e.startTime;
    for (const e of performance.getEntriesByType('resource')) {
      const n = new URL(e.name).pathname.split('/').pop();
      if (!/^candor/.test(n)) continue;
      o[`${n}:request`] = e.startTime;
      o[`${n}:response-start`] = e.responseStart;
      o[`${n}:response-end`] = e.responseEnd;
    }
    const nav = performance.getEntriesByType('navigation')[0];
    o['html:response-end'] = nav.responseEnd;
    o['page:DOMContentLoaded'] = nav.domContentLoadedEventStart;
    o['page:load'] = nav.loadEventStart;
    for (const e of performance.getEntriesByType('paint')) o[`page:${e.name}`] = e.startTime;
    o['probe:visible'] = window.__probe.visible;
    o['probe:now'] = window.__probe.now;
    o['probe:after-paint'] = window.__probe.afterPaint;
    return o;
  });
  if (cdp) {
    const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
    await cdp.send('Tracing.end');
    const { stream } = await done;
    const out = fs.openSync(TRACE, 'w');
    for (;;) {
      const c = await cdp.send('IO.read', { handle: stream });
      fs.writeSync(out, c.base64Encoded ? Buffer.from(c.data, 'base64') : c.data);
      if (c.eof) break;
    }
    fs.closeSync(out);
  }
  await context.close();
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  return r;
}

const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number' && !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

async function main() {
  const servers = [];
  for (const dist of DISTS) {
    const files = { '/candor/candor.js': path.join(dist, 'candor.js'), '/candor/candor_bg.wasm': path.join(dist, 'candor_bg.wasm') };
    for (const f of fs.readdirSync(PAGES)) files['/' + f] = path.join(PAGES, f);
    servers.push(await serve(files));
  }
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
  const rows = DISTS.map(() => []);
  try {
    // One warm-up round (not counted), then the builds interleaved, the order rotated every round.
    for (let i = -1; i < RUNS; i++) {
      for (let k = 0; k < DISTS.length; k++) {
        const d = (k + Math.max(i, 0)) % DISTS.length;
        const r = await once(browser, servers[d].url, TRACE && i === 0 && d === 0);
        if (i >= 0) rows[d].push(r);
      }
      process.stderr.write(`ttp-breakdown.js: round ${i + 1}/${RUNS}\r`);
    }
    process.stderr.write('\n');
  } finally {
    await browser.close();
    for (const s of servers) await s.close();
  }
  DISTS.forEach((dist, d) => {
    const runs = rows[d];
    const keys = [...new Set(runs.flatMap((r) => Object.keys(r)))]
      .map((k) => [k, median(runs.map((r) => r[k]))])
      .filter(([, v]) => !Number.isNaN(v))
      .sort((a, b) => a[1] - b[1]);
    console.log(`\n${dist} (${runs.length} runs, ${PAGE}): median ms since navigation start, and median step from the line above`);
    keys.forEach(([k, v], i) => {
      const step = i ? median(runs.map((r) => r[k] - r[keys[i - 1][0]])) : NaN;
      console.log(`${v.toFixed(1).padStart(8)}  ${Number.isNaN(step) ? '' : (step >= 0 ? '+' : '') + step.toFixed(1)}`.padEnd(20) + k);
    });
  });
  if (process.env.JSON) fs.writeFileSync(process.env.JSON, JSON.stringify(DISTS.map((dist, d) => ({ dist, runs: rows[d] })), null, 1));
}

main().catch((e) => { console.error(e); process.exit(1); });
