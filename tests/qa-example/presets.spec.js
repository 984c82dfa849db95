// Crumb started in a known state (QA presets, allowed on 127.0.0.1 by its
// config), the QA clock, and Global Privacy Control.
'use strict';
const { test, expect, kit } = require('./fixtures');

test.describe('preset accept-all (URL form)', () => {
  test.use({ candorPreset: 'accept-all' });
  test('no prompt, every vendor ran, no leak', async ({ candorPage, expectNoLeaks }) => {
    await candorPage.goto('./');
    const c = await kit.waitForReady(candorPage);
    expect(c.decided).toBe(true);
    await expect(candorPage.getByTestId(kit.TESTIDS.prompt)).toBeHidden();
    await candorPage.waitForFunction(() => window.crumbStats !== undefined);
    await expectNoLeaks({ purposes: { stats: true, video: true, ads: true } });
  });
});

test.describe('preset {stats} without noise', () => {
  test.use({ candorPreset: { purposes: { stats: true }, noise: false } });
  test('exact counts: what would be sent, and what the collector stored', async ({ candorPage, expectNoLeaks, request }) => {
    await candorPage.goto('./');
    await kit.waitForReady(candorPage);
    // Begin at the start of a fresh window (the SDK clock), so the wall clock
    // cannot close it under the test.
    await kit.advance(candorPage, await candorPage.evaluate(() => 60 - (window.candor.qa.now() % 60)));
    await candorPage.getByRole('button', { name: 'Read' }).nth(0).click();
    await candorPage.getByRole('button', { name: 'Read' }).nth(0).click();
    await candorPage.getByRole('button', { name: 'Read' }).nth(1).click();
    await candorPage.getByRole('button', { name: 'Print this page' }).click();
    expect(await kit.reports(candorPage)).toEqual([]);
    // Move the clock to the end of the window: one report, exact.
    const toEnd = await candorPage.evaluate(() => window.candor.inspect().open[0].start + 60 - window.candor.qa.now());
    let resolveSent;
    const reports = new Promise((resolve) => { resolveSent = resolve; });
    await candorPage.exposeFunction('__sent', (detail) => resolveSent(detail));
    await candorPage.evaluate(() => document.addEventListener('candor:report', (e) => window.__sent(e.detail), { once: true }));
    expect((await kit.advance(candorPage, toEnd)).sent).toBe(1);
    await kit.idle(candorPage);
    const sent = await reports;
    expect(sent.noise).toBeNull();
    expect(sent.purpose).toBe('stats');
    expect(sent.events.recipe_view).toEqual({ count: 3, fields: { recipe: { soup: 2, bread: 1 } } });
    expect(sent.events.print.count).toBe(1);
    const agg = await request.get(`${process.env.CANDOR_QA_URL}/v1/aggregates?site=recipes.example&event=recipe_view`);
    expect((await agg.json()).count).toBeGreaterThanOrEqual(3);
    await expectNoLeaks({ purposes: { stats: true } });
  });
});

test.describe('Global Privacy Control', () => {
  test.beforeEach(async ({ candorPage }) => {
    await candorPage.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true });
    });
  });
  test('the prompt still asks, nothing is on, nothing leaks', async ({ candorPage, expectNoLeaks }) => {
    await candorPage.goto('./');
    await kit.expectPrompt(candorPage);
    await expect(candorPage.getByText('Your browser asked us not to share or sell your data')).toBeVisible();
    expect((await kit.consent(candorPage)).purposes).toEqual({ necessary: true, stats: false, video: false, ads: false });
    await kit.rejectAll(candorPage);
    await expectNoLeaks({ purposes: [] });
  });
});
