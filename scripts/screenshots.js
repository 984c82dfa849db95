// Regenerates www/screenshots/: both prompt layers, light and dark, desktop
// and a 375-px phone, on the demo shop served by the real collector.
// Run with `make screenshots` (after `make build`).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const h = require('../tests/e2e/harness');

(async () => {
  const out = path.join(h.ROOT, 'www/screenshots');
  fs.mkdirSync(out, { recursive: true });
  const server = await h.collector({ www: path.join(h.ROOT, 'www') });
  const chrome = await h.browser();
  try {
    for (const [device, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 375, height: 740 }]]) {
      for (const colorScheme of ['light', 'dark']) {
        const context = await chrome.newContext({ viewport, colorScheme, reducedMotion: 'reduce', deviceScaleFactor: 1 });
        const p = await context.newPage();
        await p.goto(server.url + '/');
        await p.evaluate(() => window.candor.ready);
        await p.locator('[data-testid="candor-prompt"]').waitFor({ state: 'visible' });
        await p.screenshot({ path: path.join(out, `first-${device}-${colorScheme}.png`) });
        await p.locator('[data-testid="candor-customize"]').click();
        await p.locator('[data-testid="candor-save"]').waitFor({ state: 'visible' });
        await p.screenshot({ path: path.join(out, `preferences-${device}-${colorScheme}.png`) });
        await context.close();
      }
    }
    // The "Your data" view, with something sent and something waiting.
    {
      const context = await chrome.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', reducedMotion: 'reduce', deviceScaleFactor: 1 });
      const p = await context.newPage();
      await p.goto(server.url + '/');
      await p.evaluate(() => window.candor.ready);
      await p.locator('[data-testid="candor-accept-all"]').click();
      await p.waitForFunction(() => window.candor.consent().decided);
      await p.evaluate(async () => {
        for (const path of ['/', '/shop', '/shop', '/cart']) window.candor.track('page_view', { path, load_ms: 240 });
        await window.candor.flush();
        for (const product of ['kettle', 'mug']) window.candor.track('product_view', { product });
        window.candor.track('purchase', { amount: 42 });
        window.candor.open('data');
      });
      await p.locator('[data-testid="candor-data-view"]').waitFor({ state: 'visible' });
      await p.screenshot({ path: path.join(out, 'data-view-desktop-light.png') });
      await context.close();
    }
  } finally {
    await chrome.close();
    await server.stop();
  }
  console.log(`screenshots written to ${out}`);
})().catch((e) => { console.error(e); process.exit(1); });
