// Every accepted event is in localStorage before `track` returns (a closed
// tab loses nothing), also after the hot path's shortcuts (the cached storage
// handle and open-aggregate key) and after `erase()` removed that key.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

let server, chrome;

test.before(async () => {
  const www = h.site({ 'candor.config.json': h.config(), 'index.html': h.html() });
  server = await h.collector({ www });
  chrome = await h.browser();
});
test.after(async () => { await chrome?.close(); await server?.stop(); });

test('each accepted track is persisted before it returns, and again after erase()', async () => {
  const context = await chrome.newContext();
  const p = await h.page(context);
  await p.goto(server.url + '/');
  await h.ready(p);
  await p.evaluate(() => window.candor.grant(['stats']));
  const seen = await p.evaluate(() => {
    // Synchronously after each call: what a tab closed right now would leave behind.
    const stored = () => {
      const keys = Object.keys(localStorage).filter((k) => k.startsWith('candor.open.'));
      if (keys.length !== 1) return { keys: keys.length };
      const agg = JSON.parse(localStorage.getItem(keys[0]));
      const pv = agg.open[0].events.page_view;
      return { keys: 1, count: pv.count, path: pv.fields.path, load_ms: pv.fields.load_ms };
    };
    const out = [];
    for (const [path, load_ms] of [['/', 50], ['/shop', 250], ['/nowhere', 5000]]) {
      if (!window.candor.track('page_view', { path, load_ms }).accepted) throw new Error('refused');
      out.push(stored());
    }
    window.candor.erase();
    out.push(stored());
    window.candor.grant(['stats']);
    window.candor.track('page_view', { path: '/shop', load_ms: 20 });
    out.push(stored());
    return out;
  });
  assert.deepEqual(seen[0], { keys: 1, count: 1, path: { '/': 1 }, load_ms: [1, 0, 0, 0] });
  assert.deepEqual(seen[1], { keys: 1, count: 2, path: { '/': 1, '/shop': 1 }, load_ms: [1, 1, 0, 0] });
  assert.deepEqual(seen[2], { keys: 1, count: 3, path: { '/': 1, '/shop': 1, other: 1 }, load_ms: [1, 1, 0, 1] });
  assert.deepEqual(seen[3], { keys: 0 }, 'erase() removed the open aggregate');
  assert.deepEqual(seen[4], { keys: 1, count: 1, path: { '/shop': 1 }, load_ms: [1, 0, 0, 0] }, 'written again, nothing resurrected');
  await context.close();
});
