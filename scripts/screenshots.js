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
  } finally {
    await chrome.close();
    await server.stop();
  }
  console.log(`screenshots written to ${out}`);
})().catch((e) => { console.error(e); process.exit(1); });
