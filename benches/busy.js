// What each consent tool costs a busy page: the same bench page as the time
// to prompt (benches/pages/), plus a page script that adds 10,000 rows and
// then changes the DOM on every animation frame (a counter's text, a row
// appended and an old one removed: what a live feed or a ticker does). With
// the prompt showing, the main thread's script time over 5 seconds (the
// DevTools protocol's Performance.getMetrics ScriptDuration, after 1 s to
// settle) is compared with the same page without any tool ("none": the
// Candor page with candor.js answered 404). Fresh context per run, tools
// interleaved, median of RUNS.
//
//   node benches/busy.js               (RUNS=5 CANDOR_DIST=dist)
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { chromium } = require('playwright-core');
const { serve } = require('./serve');

const ROOT = path.resolve(__dirname, '..');
const PAGES = path.join(__dirname, 'pages');
const DIST = path.resolve(ROOT, process.env.CANDOR_DIST || 'dist');
const RUNS = Number(process.env.RUNS || 5);
const nm = (p) => path.join(ROOT, 'node_modules', p);
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const TOOLS = [
  { tool: 'none', page: '/candor.html', block: '/candor/candor.js' },
  { tool: 'Candor', page: '/candor.html' },
  { tool: 'vanilla-cookieconsent', page: '/cookieconsent.html' },
  { tool: 'Klaro', page: '/klaro.html' },
];

// Runs in the page before its own scripts.
function churn() {
  document.addEventListener('DOMContentLoaded', () => {
    const rows = document.createElement('div');
    for (let i = 0; i < 10000; i++) {
      const r = document.createElement('div');
      r.textContent = `row ${i}`;
      rows.appendChild(r);
    }
    const counter = document.createElement('p');
    const feed = document.createElement('div');
    document.body.append(counter, feed, rows);
    let n = 0;
    const frame = () => {
      counter.textContent = String(n++);
      const item = document.createElement('div');
      item.textContent = `item ${n}`;
      feed.appendChild(item);
      if (feed.children.length > 50) feed.firstChild.remove();
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
}

async function once(browser, base, t) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    if (t.block) await page.route(`**${t.block}`, (r) => r.fulfill({ status: 404, body: '' }));
    await page.addInitScript(churn);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(base + t.page);
    await page.waitForTimeout(1000);
    const metric = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ScriptDuration').value;
    const before = await metric();
    await page.waitForTimeout(5000);
    return (await metric() - before) * 1000;
  } finally {
    await context.close();
  }
}

(async () => {
  const files = {
    '/candor/candor.js': path.join(DIST, 'candor.js'),
    '/candor/candor_bg.wasm': path.join(DIST, 'candor_bg.wasm'),
    '/vendor/cookieconsent.umd.js': nm('vanilla-cookieconsent/dist/cookieconsent.umd.js'),
    '/vendor/cookieconsent.css': nm('vanilla-cookieconsent/dist/cookieconsent.css'),
    '/vendor/klaro.js': nm('klaro/dist/klaro.js'),
  };
  for (const f of fs.readdirSync(PAGES)) files['/' + f] = path.join(PAGES, f);
  const server = await serve(files);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
  try {
    const ms = Object.fromEntries(TOOLS.map((t) => [t.tool, []]));
    for (let r = 0; r < RUNS; r++) for (const t of TOOLS) ms[t.tool].push(await once(browser, server.url, t));
    const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    const none = median(ms.none);
    console.log(`Busy page (10,000 rows, DOM changed every frame), main-thread script time over 5 s, median of ${RUNS}:`);
    console.log('');
    console.log('| tool | script ms per 5 s | above the page alone |');
    console.log('| --- | ---: | ---: |');
    for (const t of TOOLS) {
      const m = median(ms[t.tool]);
      console.log(`| ${t.tool} | ${m.toFixed(0)} | ${t.tool === 'none' ? '' : (m - none).toFixed(0)} |`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
})();
