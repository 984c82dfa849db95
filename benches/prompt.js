// Time to prompt: the same minimal page (benches/pages/) with the same three
// purposes for Candor, vanilla-cookieconsent and Klaro, in headless Chromium,
// a fresh browser context (empty cache and storage) per run, the tools
// interleaved run by run, unthrottled and with a throttled network. "Candor +
// preload" is Candor's page plus one line, <link rel="preload"
// href="/candor/candor_bg.wasm" as="fetch" crossorigin>, so the wasm download
// starts with candor.js's instead of after it (checked below: the page is
// candor.html plus that line and nothing else).
//
//   node benches/prompt.js OUT_DIR     (RUNS=20 by default; writes prompt.json,
//                                       prompt.md and time-to-prompt.svg)
//
// "Prompt visible" is detected the same way for every tool: a probe added
// with addInitScript (before any page script) checks the tool's banner
// element in every requestAnimationFrame callback; the first time the element
// has a non-zero box, is not display:none / visibility:hidden and neither it
// nor an ancestor has opacity 0, that frame draws it, and the probe records
// when the frame has been painted: a MessageChannel message posted from the
// rAF callback runs right after the frame's rendering (ms since navigation
// start). Not the rAF callback's own timestamp: that is when the frame was
// due, which after a long task can be earlier than the moment the banner was
// even added to the page (it made a tool that blocks the main thread look
// faster than one that does not). The probe then logs a console marker the
// bench waits for, so no script is injected into the page while the tools
// boot (polling with waitForFunction did that, costing every tool main-thread
// time at the worst moment). Long tasks (PerformanceObserver "longtask") give
// total blocking time = sum of (duration - 50 ms), counted from navigation
// start until the prompt is visible and the load event has fired; CLS is the
// sum of "layout-shift" entries without recent input over the same span.
// CPU throttling is off (the 2-core machine is slow enough; every tool gets
// the same CPU); the network throttle is Chromium's own
// Network.emulateNetworkConditions through a CDP session.
//
// Every Candor run must request candor_bg.wasm exactly once: with the preload,
// a second request would mean the glue's fetch did not match the preload
// (different URL or credentials mode) and Chromium downloaded the wasm twice.
// The run fails loudly then, and on any console message about a preload.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { serve } = require('./serve');
const { SHOWN } = require('./shown');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.resolve(process.argv[2] || path.join(__dirname, 'out'));
const RUNS = Number(process.env.RUNS || 20);
const PAGES = path.join(__dirname, 'pages');
const nm = (p) => path.join(ROOT, 'node_modules', p);

const CANDOR_FIND = "(() => { const h = document.querySelector('candor-consent'); return h && h.shadowRoot && h.shadowRoot.querySelector('[data-testid=candor-prompt]'); })";
const WASM = '/candor/candor_bg.wasm';
const PRELOAD = `<link rel="preload" href="${WASM}" as="fetch" crossorigin>\n`;
// `wasm`: who must start the one download of candor_bg.wasm (its resource timing initiatorType).
const TOOLS = [
  { tool: 'Candor', page: '/candor.html', wasm: 'fetch', find: CANDOR_FIND },
  { tool: 'Candor + preload', page: '/candor-preload.html', wasm: 'link', find: CANDOR_FIND },
  { tool: 'vanilla-cookieconsent', page: '/cookieconsent.html', find: "(() => document.querySelector('#cc-main .cm'))" },
  { tool: 'Klaro', page: '/klaro.html', find: "(() => document.querySelector('#klaro .cookie-notice, #klaro .cookie-modal'))" },
];

const NETWORKS = [
  { name: 'unthrottled', conditions: null },
  { name: 'throttled (1.6 Mbps down, 750 kbps up, 150 ms RTT)',
    conditions: { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 } },
];

// Candor's own rows ("Candor", "Candor + preload") are not peers.
const isCandor = (tool) => tool.startsWith('Candor');

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

// Runs in the page before any of its scripts. `find` is the tool's selector function.
function probe({ findSource, shownSource }) {
  const find = (0, eval)(findSource); // eslint-disable-line no-eval -- the bench's own probe, not shipped code
  const shown = (0, eval)(shownSource); // eslint-disable-line no-eval
  const t = { visible: null, longtasks: [], cls: 0 };
  window.__probe = t;
  try {
    t.lt = new PerformanceObserver((l) => { for (const e of l.getEntries()) t.longtasks.push([e.startTime, e.duration]); });
    t.lt.observe({ type: 'longtask', buffered: true });
    t.ls = new PerformanceObserver((l) => { for (const e of l.getEntries()) if (!e.hadRecentInput) t.cls += e.value; });
    t.ls.observe({ type: 'layout-shift', buffered: true });
  } catch (e) { t.error = String(e); }
  const frame = (ts) => {
    const el = find();
    if (el && shown(el)) {
      t.frame = ts;
      const ch = new MessageChannel();
      ch.port1.onmessage = () => { t.visible = performance.now(); console.debug('__candor_bench_visible'); };
      ch.port2.postMessage(0);
      return;
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

async function once(browser, base, tool, network) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  const wasmRequests = [];
  const preloadWarnings = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (req) => { if (new URL(req.url()).pathname === WASM) wasmRequests.push(req.resourceType()); });
  page.on('console', (m) => { if (/preload/i.test(m.text())) preloadWarnings.push(m.text()); });
  if (network.conditions) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', network.conditions);
  }
  await page.addInitScript(probe, { findSource: tool.find, shownSource: SHOWN });
  const visible = page.waitForEvent('console', { predicate: (m) => m.text() === '__candor_bench_visible', timeout: 60000 });
  await page.goto(base + tool.page, { waitUntil: 'load', timeout: 60000 });
  await visible;
  const r = await page.evaluate((wasm) => {
    const t = window.__probe;
    for (const e of t.lt.takeRecords()) t.longtasks.push([e.startTime, e.duration]);
    for (const e of t.ls.takeRecords()) if (!e.hadRecentInput) t.cls += e.value;
    const load = performance.getEntriesByType('navigation')[0];
    const end = Math.max(t.visible, load ? load.loadEventEnd : 0);
    const tbt = t.longtasks.filter(([s]) => s <= end).reduce((sum, [, d]) => sum + Math.max(0, d - 50), 0);
    // When the wasm download started and ended (ms since navigation start), and who started it ("link" or "fetch").
    const w = performance.getEntriesByType('resource').filter((e) => new URL(e.name).pathname === wasm)
      .map((e) => ({ by: e.initiatorType, start: e.startTime, end: e.responseEnd }));
    return { visible: t.visible, frame: t.frame, tbt, cls: t.cls, longtasks: t.longtasks.length, load: load && load.loadEventEnd, error: t.error, wasm: w };
  }, WASM);
  await context.close();
  if (errors.length) r.pageErrors = errors;
  if (!tool.wasm) delete r.wasm;
  else {
    r.wasmRequests = wasmRequests.length;
    if (preloadWarnings.length) r.preloadWarnings = preloadWarnings;
  }
  return r;
}

// Fails the whole bench: a Candor page that downloaded the wasm twice (or not
// at all), or a preload Chromium did not use, would make its numbers meaningless.
function checkWasm(tool, r, network) {
  if (!tool.wasm) return;
  const where = `${tool.tool} (${network.name.split(' ')[0]})`;
  if (r.wasmRequests !== 1) {
    throw new Error(`${where}: candor_bg.wasm was requested ${r.wasmRequests} times in one page load, expected exactly 1` +
      (tool.wasm === 'link' ? ': the glue\'s fetch did not use the preload (URL or crossorigin/credentials mismatch)' : ''));
  }
  if (r.preloadWarnings) throw new Error(`${where}: Chromium warned about the preload: ${r.preloadWarnings.join(' | ')}`);
  const by = r.wasm.map((e) => e.by).join(',');
  if (by !== tool.wasm) throw new Error(`${where}: candor_bg.wasm resource timing says it was fetched by "${by}", expected "${tool.wasm}"`);
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i];
};

function summary(runs) {
  const v = runs.map((r) => r.visible);
  return {
    n: runs.length, median: quantile(v, 0.5), p25: quantile(v, 0.25), p75: quantile(v, 0.75), p95: quantile(v, 0.95),
    min: Math.min(...v), max: Math.max(...v),
    tbtMedian: quantile(runs.map((r) => r.tbt), 0.5), tbtP95: quantile(runs.map((r) => r.tbt), 0.95),
    clsMax: Math.max(...runs.map((r) => r.cls)), clsMedian: quantile(runs.map((r) => r.cls), 0.5),
    ...(runs[0].wasm ? { wasmStartMedian: quantile(runs.map((r) => r.wasm[0].start), 0.5),
      wasmEndMedian: quantile(runs.map((r) => r.wasm[0].end), 0.5) } : {}),
  };
}

function svg(results) {
  // One horizontal box per tool and network: whiskers min..p95, box p25..p75, a bar at the median.
  const W = 760, left = 190, right = 30, rowH = 34, top = 40;
  const rows = [];
  for (const n of results) for (const t of n.tools) rows.push({ net: n.network, ...t });
  const max = Math.max(...rows.map((r) => r.summary.p95)) * 1.08;
  const H = top + rows.length * rowH + NETWORKS.length * 26 + 40;
  const x = (ms) => left + (ms / max) * (W - left - right);
  const colors = { Candor: '#1b6ac9', 'Candor + preload': '#6a3fb5', 'vanilla-cookieconsent': '#2e8540', Klaro: '#b4531f' };
  const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">Time to prompt (ms from navigation start; box p25–p75, bar median, whiskers min–p95)</text>`];
  let y = top;
  for (const n of results) {
    out.push(`<text x="10" y="${y + 14}" font-weight="bold">${esc(n.network)}</text>`);
    y += 26;
    for (const t of n.tools) {
      const s = t.summary, c = colors[t.tool] || '#555', mid = y + rowH / 2 - 4;
      out.push(`<text x="${left - 8}" y="${mid + 4}" text-anchor="end">${esc(t.tool)}</text>`,
        `<line x1="${x(s.min)}" x2="${x(s.p95)}" y1="${mid}" y2="${mid}" stroke="${c}"/>`,
        `<line x1="${x(s.min)}" x2="${x(s.min)}" y1="${mid - 6}" y2="${mid + 6}" stroke="${c}"/>`,
        `<line x1="${x(s.p95)}" x2="${x(s.p95)}" y1="${mid - 6}" y2="${mid + 6}" stroke="${c}"/>`,
        `<rect x="${x(s.p25)}" y="${mid - 10}" width="${Math.max(1, x(s.p75) - x(s.p25))}" height="20" fill="${c}" fill-opacity="0.25" stroke="${c}"/>`,
        `<line x1="${x(s.median)}" x2="${x(s.median)}" y1="${mid - 10}" y2="${mid + 10}" stroke="${c}" stroke-width="3"/>`,
        `<text x="${x(s.p95) + 6}" y="${mid + 4}" fill="#333">${s.median.toFixed(0)} ms</text>`);
      y += rowH;
    }
  }
  const axisY = y + 6;
  out.push(`<line x1="${left}" x2="${W - right}" y1="${axisY}" y2="${axisY}" stroke="#999"/>`);
  const step = [50, 100, 200, 250, 500, 1000, 2000].find((s) => max / s <= 8) || 5000;
  for (let ms = 0; ms <= max; ms += step) {
    out.push(`<line x1="${x(ms)}" x2="${x(ms)}" y1="${axisY}" y2="${axisY + 4}" stroke="#999"/>`,
      `<text x="${x(ms)}" y="${axisY + 16}" text-anchor="middle" fill="#555">${ms}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const files = {
    '/candor/candor.js': path.join(ROOT, 'dist/candor.js'),
    '/candor/candor_bg.wasm': path.join(ROOT, 'dist/candor_bg.wasm'),
    '/vendor/cookieconsent.umd.js': nm('vanilla-cookieconsent/dist/cookieconsent.umd.js'),
    '/vendor/cookieconsent.css': nm('vanilla-cookieconsent/dist/cookieconsent.css'),
    '/vendor/klaro.js': nm('klaro/dist/klaro.js'),
  };
  for (const f of fs.readdirSync(PAGES)) files['/' + f] = path.join(PAGES, f);
  // "Candor + preload" must be Candor's page plus the preload line, nothing else.
  const plain = fs.readFileSync(path.join(PAGES, 'candor.html'), 'utf8');
  const preloaded = fs.readFileSync(path.join(PAGES, 'candor-preload.html'), 'utf8');
  if (preloaded.split(PRELOAD).length !== 2 || preloaded.replace(PRELOAD, '') !== plain) {
    throw new Error(`benches/pages/candor-preload.html must be candor.html plus the line ${PRELOAD.trim()}`);
  }
  const server = await serve(files);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
  const results = [];
  try {
    for (const network of NETWORKS) {
      const runs = Object.fromEntries(TOOLS.map((t) => [t.tool, []]));
      // One warm-up round (not counted): the OS file cache and Chromium's own start-up.
      for (const tool of TOOLS) checkWasm(tool, await once(browser, server.url, tool, network), network);
      for (let i = 0; i < RUNS; i++) {
        for (let k = 0; k < TOOLS.length; k++) {
          const tool = TOOLS[(i + k) % TOOLS.length]; // rotate the order every round
          const r = await once(browser, server.url, tool, network);
          if (r.pageErrors) throw new Error(`${tool.tool}: page errors ${r.pageErrors.join('; ')}`);
          checkWasm(tool, r, network);
          runs[tool.tool].push(r);
        }
        process.stderr.write(`prompt.js: ${network.name.split(' ')[0]} round ${i + 1}/${RUNS}\r`);
      }
      process.stderr.write('\n');
      results.push({ network: network.name, tools: TOOLS.map((t) => ({ tool: t.tool, summary: summary(runs[t.tool]), runs: runs[t.tool] })) });
    }
    const chromiumVersion = browser.version();
    fs.writeFileSync(path.join(OUT, 'prompt.json'), JSON.stringify({ runs: RUNS, chromium: chromiumVersion, results }, null, 2));
    fs.writeFileSync(path.join(OUT, 'time-to-prompt.svg'), svg(results));
    const md = [];
    md.push(`${RUNS} runs per tool and network, fresh context each, tools interleaved; Chromium ${chromiumVersion}, headless, CPU not throttled.`);
    for (const n of results) {
      const peers = n.tools.filter((t) => !isCandor(t.tool));
      const fastest = peers.reduce((a, b) => (a.summary.median <= b.summary.median ? a : b));
      md.push('');
      md.push(`**${n.network}** (ratio = median / median of the fastest peer, ${fastest.tool})`);
      md.push('');
      md.push('| tool | median ms | p95 ms | min–max ms | ratio to fastest peer | TBT median ms | TBT p95 ms | CLS max |');
      md.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
      for (const t of n.tools) {
        const s = t.summary;
        md.push(`| ${t.tool} | ${s.median.toFixed(0)} | ${s.p95.toFixed(0)} | ${s.min.toFixed(0)}–${s.max.toFixed(0)} | ` +
          `${(s.median / fastest.summary.median).toFixed(2)}× | ${s.tbtMedian.toFixed(0)} | ${s.tbtP95.toFixed(0)} | ${s.clsMax.toFixed(4)} |`);
      }
      const wasmRows = n.tools.filter((t) => t.summary.wasmStartMedian !== undefined);
      md.push('');
      md.push('`candor_bg.wasm`, median ms from navigation start (one request per page load in every run): ' +
        wasmRows.map((t) => `${t.tool} requested at ${t.summary.wasmStartMedian.toFixed(0)}, received by ${t.summary.wasmEndMedian.toFixed(0)}`).join('; ') + '.');
    }
    fs.writeFileSync(path.join(OUT, 'prompt.md'), md.join('\n') + '\n');
    console.log(md.join('\n'));
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
