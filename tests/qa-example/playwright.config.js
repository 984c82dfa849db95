// The example site's suite, run by @playwright/test against the real
// collector and Debian's Chromium (nothing is downloaded):
//   npx playwright test -c tests/qa-example/playwright.config.js
'use strict';
const os = require('node:os');
const path = require('node:path');
const { defineConfig } = require('@playwright/test');
const { ARGS } = require('./server');

module.exports = defineConfig({
  testDir: __dirname,
  testMatch: '*.spec.js',
  globalSetup: require.resolve('./global-setup'),
  outputDir: path.join(os.tmpdir(), 'candor-qa-example-results'),
  workers: 1,
  timeout: 60_000,
  reporter: process.env.CI ? 'line' : 'list',
  use: {
    headless: true,
    launchOptions: { executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS },
  },
});
