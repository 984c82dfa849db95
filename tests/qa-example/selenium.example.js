// The same site and the same stable selectors from Selenium WebDriver
// (selenium-webdriver + Debian's chromedriver), for suites that are not on
// Playwright. Selenium does not pierce shadow roots by itself: find
// <candor-consent>, take its open shadow root, and search inside it.
//   node --test tests/qa-example/selenium.example.js
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { Builder, By, until } = require('selenium-webdriver');
const chrome = require('selenium-webdriver/chrome');
const { start, ARGS } = require('./server');

let server, driver;
test.before(async () => {
  server = await start();
  const options = new chrome.Options().setChromeBinaryPath(process.env.CHROMIUM || '/usr/bin/chromium')
    .addArguments('--headless', ...ARGS);
  driver = await new Builder().forBrowser('chrome').setChromeOptions(options)
    .setChromeService(new chrome.ServiceBuilder(process.env.CHROMEDRIVER || '/usr/bin/chromedriver')).build();
});
test.after(async () => { await driver?.quit(); await server?.stop(); });

/** An element of the prompt by its data-testid (CONTRACT.md §4), through the shadow root. */
async function control(testid) {
  const host = await driver.wait(until.elementLocated(By.css('candor-consent')), 10_000);
  const root = await host.getShadowRoot();
  return root.findElement(By.css(`[data-testid="${testid}"]`));
}
const ready = () => driver.executeAsyncScript(function (done) {
  (function wait() { if (window.candor) window.candor.ready.then(function () { done(); }); else setTimeout(wait, 10); })();
});
const consent = () => driver.executeScript('return window.candor.consent()');
const vendorHits = () => driver.executeScript(
  "return performance.getEntriesByType('resource').map(function (e) { return e.name; }).filter(function (u) { return u.indexOf('/qa-example/vendor/') >= 0; })");

test('reject all through the shadow root: nothing from any vendor; then grant stats in the preferences', async () => {
  await driver.get(server.site);
  await ready();
  const accept = await control('candor-accept-all');
  const reject = await control('candor-reject-all');
  assert.equal(await reject.getTagName(), 'button');
  const [a, r] = [await accept.getRect(), await reject.getRect()];
  assert.deepEqual([Math.round(a.width), Math.round(a.height)], [Math.round(r.width), Math.round(r.height)], 'accept and reject are the same size');
  await reject.click();
  await driver.wait(async () => (await consent()).decided, 10_000);
  assert.deepEqual((await consent()).purposes, { necessary: true, stats: false, video: false, ads: false });
  assert.deepEqual(await vendorHits(), []);

  await (await control('candor-reopen')).click();
  const toggle = await control('candor-toggle-stats');
  await driver.wait(until.elementIsVisible(toggle), 10_000);
  assert.equal(await toggle.isSelected(), false);
  await toggle.click();
  await (await control('candor-save')).click();
  await driver.wait(() => driver.executeScript('return window.crumbStats !== undefined'), 10_000);
  const hits = await vendorHits();
  assert.ok(hits.length > 0 && hits.every((u) => u.includes('/vendor/stats/')), hits.join(', '));
});
