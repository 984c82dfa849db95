// Crumb, driven through its real prompt: what each choice loads, and that
// nothing tied to a purpose happens before (or without) that purpose.
'use strict';
const { test, expect, kit } = require('./fixtures');

const VENDOR = /\/qa-example\/vendor\//;
const vendorRequests = (watch) => watch.records().filter((r) => r.kind === 'request' && VENDOR.test(r.url)).map((r) => new URL(r.url).pathname);

test('the first layer is fair, and nothing leaks while the visitor reads it', async ({ candorPage, expectNoLeaks }) => {
  await candorPage.goto('./');
  await kit.expectPrompt(candorPage);
  await expect(candorPage.getByRole('heading', { name: 'Leek soup' })).toBeVisible();
  await expectNoLeaks({ purposes: [] });
});

test('accept all loads every vendor once, after the click', async ({ candorPage, expectNoLeaks, leakWatch }) => {
  await candorPage.goto('./');
  await kit.acceptAll(candorPage);
  await candorPage.waitForFunction(() => window.crumbStats !== undefined);
  await expect(candorPage.locator('iframe[title="Cooking video"]')).toHaveAttribute('src', '/qa-example/vendor/video/embed.html');
  await expect(candorPage.locator('img[alt="An ad from a partner"]')).toHaveAttribute('src', '/qa-example/vendor/ads/banner.svg');
  await candorPage.waitForFunction(() => document.cookie.includes('_vid_session') || document.querySelector('iframe').contentDocument?.cookie.includes('_vid_session'));
  await expectNoLeaks({ purposes: { stats: true, video: true, ads: true } });
  expect(vendorRequests(leakWatch).filter((p) => p.endsWith('/tag.js'))).toHaveLength(1);
});

test('reject all: the recipes still work, no vendor is ever contacted', async ({ candorPage, expectNoLeaks, leakWatch }) => {
  await candorPage.goto('./');
  await kit.rejectAll(candorPage);
  await candorPage.getByRole('button', { name: 'Save' }).first().click();
  await expect(candorPage.locator('#saved')).toHaveText('Saved: soup');
  await candorPage.reload();
  await kit.waitForReady(candorPage);
  await expect(candorPage.locator('#saved')).toHaveText('Saved: soup');
  expect(await candorPage.evaluate(() => window.candor.track('print'))).toEqual({ accepted: false, reason: 'no-consent' });
  await expectNoLeaks({ purposes: [] });
  expect(vendorRequests(leakWatch)).toEqual([]);
});

test('granting only video loads the video and nothing else', async ({ candorPage, expectNoLeaks, leakWatch }) => {
  await candorPage.goto('./');
  const c = await kit.grant(candorPage, 'video');
  expect(c.purposes).toEqual({ necessary: true, stats: false, video: true, ads: false });
  await expect(candorPage.locator('iframe[title="Cooking video"]')).toHaveAttribute('src', /embed\.html$/);
  await expectNoLeaks({ purposes: { video: true } });
  expect(vendorRequests(leakWatch).every((p) => p.includes('/vendor/video/'))).toBe(true);
});

test('"Privacy choices" reopens the preferences with the current choice', async ({ candorPage }) => {
  await candorPage.goto('./');
  await kit.grant(candorPage, 'stats');
  await candorPage.getByRole('button', { name: 'Privacy choices' }).click();
  await expect(candorPage.getByTestId(kit.TESTIDS.toggle('stats'))).toBeChecked();
  await expect(candorPage.getByTestId(kit.TESTIDS.toggle('ads'))).not.toBeChecked();
  await candorPage.getByTestId(kit.TESTIDS.toggle('stats')).uncheck();
  await candorPage.getByTestId(kit.TESTIDS.save).click();
  await candorPage.waitForFunction(() => window.candor.consent().purposes.stats === false);
  // Withdrawing deletes the vendor's declared cookie.
  expect(await candorPage.evaluate(() => document.cookie)).not.toContain('_crumb_stats');
});

test('a slip is caught: the stats tag without its gate fails the leak check', async ({ candorPage, expectNoLeaks }) => {
  // The same page, as a developer might break it: the gate attributes removed.
  await candorPage.route(/\/qa-example\/(\?.*)?$/, async (route) => {
    const response = await route.fetch();
    const body = (await response.text()).replace('type="text/plain" data-candor-purpose="stats" ', '');
    await route.fulfill({ response, body });
  });
  await candorPage.goto('./');
  await candorPage.waitForFunction(() => window.crumbStats !== undefined);
  const error = await expectNoLeaks().catch((e) => e);
  expect(error).toBeInstanceOf(Error);
  expect(error.message).toMatch(/request GET \S+\/qa-example\/vendor\/stats\/tag\.js \(script\).*purpose "stats" was not granted/);
  expect(error.message).toMatch(/cookie "_crumb_stats" written with document\.cookie by \S+\/vendor\/stats\/tag\.js.*purpose "stats" was not granted/);
});
