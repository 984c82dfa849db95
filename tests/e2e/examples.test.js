// The npm package and the recipes, as a site would use them: `make package`'s
// tarball (exactly the intended files, installable offline, its types found
// through `exports`), the Vite example built from that installed tarball, the
// plain HTML recipe and the React recipe from www/examples/, and the ES module
// without a bundler. Every page is served by the real collector, under the
// strict CSP, in Chromium.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./harness');

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'";
const WWW = path.join(h.ROOT, 'www');
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let chrome;
let pack; // npm pack's report of the tarball
let app; // a temp project with the tarball installed and www/examples/vite copied in
const servers = [];

test.before(async () => {
  run('bash', ['scripts/package.sh'], h.ROOT);
  [pack] = JSON.parse(fs.readFileSync(path.join(h.ROOT, 'target/package/pack.json'), 'utf8'));
  app = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-app-'));
  fs.cpSync(path.join(WWW, 'examples/vite'), app, { recursive: true });
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'candor-vite-example', private: true }));
  // --offline: a tarball without dependencies needs no registry.
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts',
    path.join(h.ROOT, 'target/package', pack.filename)], app);
  chrome = await h.browser();
});
test.after(async () => {
  await chrome?.close();
  for (const s of servers) await s.stop();
  if (app) fs.rmSync(app, { recursive: true, force: true });
});

async function serve(www) {
  const s = await h.collector({ www });
  servers.push(s);
  return s;
}

/** A page whose documents carry the strict CSP header; records requests and CSP reports. */
async function open(server, url) {
  const context = await chrome.newContext();
  await context.route('**/*', async (route) => {
    try {
      if (route.request().resourceType() !== 'document') return await route.continue();
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': CSP } });
    } catch (e) {
      // A document still loading when its test closes the context (the React
      // example's video iframe after a grant): nothing left to check.
      if (!/disposed|closed/i.test(String(e && e.message))) throw e;
    }
  });
  const p = await h.page(context);
  p.requests = [];
  p.on('request', (r) => p.requests.push(new URL(r.url()).pathname));
  await p.goto(server.url + url);
  return p;
}

async function assertClean(p) {
  const bad = p.logs.filter((l) => l.type === 'error' || l.type === 'pageerror' || /Content.Security.Policy|Refused to/i.test(l.text));
  assert.deepEqual(bad, [], 'no errors and no CSP violations');
  // And the strict CSP was in force: an inline style attribute is refused (this logs the one expected violation).
  const applied = await p.evaluate(() => {
    const probe = document.createElement('div');
    probe.setAttribute('style', 'color: rgb(1, 2, 3)');
    document.body.append(probe);
    const color = getComputedStyle(probe).color;
    probe.remove();
    return color === 'rgb(1, 2, 3)';
  });
  assert.equal(applied, false, 'the strict CSP is in force');
}

async function aggregate(server, event) {
  const r = await fetch(`${server.url}/v1/aggregates?site=shop.example&event=${event}`);
  assert.equal(r.status, 200);
  return r.json();
}

test('make package: the tarball holds exactly the intended files, and every export resolves', () => {
  const locales = fs.readdirSync(path.join(h.ROOT, 'pkg-config/locales')).map((f) => `locales/${f}`);
  const testingDir = path.join(h.ROOT, 'src/js/testing');
  const testing = fs.existsSync(testingDir)
    ? fs.readdirSync(testingDir, { recursive: true }).filter((f) => fs.statSync(path.join(testingDir, f)).isFile())
      .map((f) => `testing/${f.split(path.sep).join('/')}`)
    : [];
  const expected = ['candor.d.mts', 'candor.d.ts', 'candor.js', 'candor.mjs', 'candor_bg.wasm', 'package.json', 'schema.json', 'report.schema.json', 'receipt.schema.json', 'README.md', 'LICENSE-MIT', 'LICENSE-APACHE', ...locales, ...testing];
  assert.deepEqual(pack.files.map((f) => f.path).sort(), expected.sort());

  const pkg = JSON.parse(fs.readFileSync(path.join(app, 'node_modules/candor/package.json'), 'utf8'));
  const cargoVersion = /^version = "([^"]+)"/m.exec(fs.readFileSync(path.join(h.ROOT, 'Cargo.toml'), 'utf8'))[1];
  assert.equal(pkg.name, 'candor');
  assert.equal(pkg.version, cargoVersion);
  // load()'s types for the ES module only: `require('candor')` gives the classic script, which exports nothing.
  assert.deepEqual(pkg.exports['.'], { import: { types: './candor.d.mts', default: './candor.mjs' }, default: './candor.js' });
  assert.equal(pkg.types, './candor.d.ts');
  assert.ok(pkg.license && pkg.sideEffects, 'license and sideEffects are set');
  // The licence texts the SPDX expression names, and a README for the registry's page.
  assert.equal(pkg.license, 'MIT OR Apache-2.0');
  assert.match(fs.readFileSync(path.join(app, 'node_modules/candor/LICENSE-MIT'), 'utf8'), /^MIT License/);
  assert.match(fs.readFileSync(path.join(app, 'node_modules/candor/LICENSE-APACHE'), 'utf8'), /Apache License\s+Version 2\.0/);
  assert.match(fs.readFileSync(path.join(app, 'node_modules/candor/README.md'), 'utf8'), /^# candor\n/);
  // Tools that read only `main` (no exports) get the classic script that `require('candor')` gives.
  assert.equal(pkg.main, './candor.js');
  // Every export target (with * standing for any file) is a file in the package.
  const leaves = (t) => (typeof t === 'string' ? [t] : Object.values(t).flatMap(leaves));
  const targets = Object.values(pkg.exports).flatMap(leaves);
  for (const t of targets) {
    const re = new RegExp('^' + t.replace(/^\.\//, '').replace(/[.]/g, '\\.').replace('*', '.+') + '$');
    assert.ok(expected.some((f) => re.test(f)), `export target ${t} is in the package`);
  }
  if (testing.length) {
    assert.ok(pkg.exports['./testing'], 'the QA kit is exported as candor/testing');
    // Both module systems resolve it from an installed package, without Playwright installed there.
    const { execFileSync } = require('node:child_process');
    const cjs = execFileSync(process.execPath, ['-e', 'process.stdout.write(typeof require("candor/testing").acceptAll)'], { cwd: app }).toString();
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', 'import { acceptAll } from "candor/testing"; process.stdout.write(typeof acceptAll)'], { cwd: app }).toString();
    assert.deepEqual([cjs, esm], ['function', 'function']);
  }
  // The installed files are the built ones.
  for (const f of ['candor.js', 'candor.mjs', 'candor_bg.wasm']) {
    assert.ok(fs.readFileSync(path.join(app, 'node_modules/candor', f)).equals(fs.readFileSync(path.join(h.ROOT, 'dist', f))), f);
  }
});

test('the installed package\'s types are found through exports (tsc, moduleResolution bundler)', () => {
  fs.writeFileSync(path.join(app, 'check.ts'), [
    'import { load, type CandorConfig } from "candor";',
    'const config: CandorConfig = { site: "s", revision: "1", purposes: [] };',
    'load({ config }).then((c) => c.track("page_view", { path: "/" }).accepted);',
    '// @ts-expect-error: the types are strict, so they were found',
    'load({ config: 1 });',
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2020', module: 'ESNext', moduleResolution: 'bundler', lib: ['ES2020', 'DOM'], strict: true, noEmit: true, types: [] },
    files: ['check.ts'],
  }));
  run(path.join(h.ROOT, 'node_modules/.bin/tsc'), ['-p', app], app);
  // CommonJS (node16): the types say what require('candor') gives, the classic script, which exports no load().
  fs.writeFileSync(path.join(app, 'cjs.cts'), [
    'import type { Consent } from "candor";',
    'export const seen: Consent | null = null;',
    '// @ts-expect-error: no load() in the classic script',
    'import { load } from "candor";',
    'export const l = load;',
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(app, 'tsconfig.cjs.json'), JSON.stringify({
    compilerOptions: { target: 'ES2020', module: 'node16', moduleResolution: 'node16', lib: ['ES2020', 'DOM'], strict: true, noEmit: true, types: [] },
    files: ['cjs.cts'],
  }));
  run(path.join(h.ROOT, 'node_modules/.bin/tsc'), ['-p', path.join(app, 'tsconfig.cjs.json')], app);
});

test('Vite builds the ESM example from the installed package, and it boots and grants in Chromium', async () => {
  const { build } = await import('vite');
  const outDir = path.join(app, 'out');
  const result = await build({ root: app, configFile: false, logLevel: 'silent', build: { outDir, emptyOutDir: true } });
  const files = [].concat(result).flatMap((r) => r.output.map((o) => o.fileName));
  const wasm = files.filter((f) => f.endsWith('.wasm'));
  assert.equal(wasm.length, 1, `one wasm asset emitted: ${files}`);
  // Vite also rewrote load()'s default (new URL('./candor_bg.wasm', import.meta.url)) to that asset, so an
  // app that passes no wasmUrl works too: the relative name is gone, the asset is named twice.
  const chunk = [].concat(result).flatMap((r) => r.output).find((o) => o.type === 'chunk').code;
  assert.ok(!chunk.includes('./candor_bg.wasm'), 'the default wasm URL was rewritten');
  assert.equal(chunk.split(path.basename(wasm[0])).length - 1, 2, 'the asset URL is used by ?url and by the default');

  const server = await serve(outDir);
  const p = await open(server, '/');
  await h.ready(p);
  await h.prompt(p).waitFor({ state: 'visible' });
  assert.equal(await p.evaluate(() => window.candor.error), null);
  // The wasm came from the URL the app passed (Vite's hashed asset), not from next to candor.mjs.
  assert.ok(p.requests.includes('/' + wasm[0]), `requested ${wasm[0]}: ${p.requests}`);
  assert.equal(await p.locator('#status').textContent(), 'You have not chosen yet.');

  await p.locator('[data-testid="candor-accept-all"]').click();
  await p.locator('#status', { hasText: 'Counting visits is on.' }).waitFor();
  assert.equal((await h.consent(p)).purposes.analytics, true);
  // candor.on('analytics') tracked the page view; it reaches the collector.
  assert.ok((await p.evaluate(() => window.candor.flush())).sent >= 1);
  assert.equal((await aggregate(server, 'page_view')).count, 1);
  await assertClean(p);
  await p.context().close();
});

test('plain HTML recipe: nothing tagged runs or loads before consent; after accept it does, and the count arrives', async () => {
  const server = await serve(WWW);
  const p = await open(server, '/examples/plain.html');
  await h.ready(p);
  await h.prompt(p).waitFor({ state: 'visible' });
  assert.equal(await p.evaluate(() => window.candor.error), null);
  // The recipe's <link rel="preload"> matches the glue's fetch: one download of the wasm, no warning about it.
  assert.equal(p.requests.filter((r) => r === '/candor/candor_bg.wasm').length, 1, 'the wasm is downloaded once');
  assert.deepEqual(p.logs.filter((l) => /preload/i.test(l.text)), []);
  assert.ok(!p.requests.includes('/examples/plain-analytics.js'), 'analytics script not fetched before consent');
  assert.ok(!p.requests.includes('/video.html'), 'video not fetched before consent');

  const [script] = await Promise.all([
    p.waitForResponse((r) => r.url().endsWith('/examples/plain-analytics.js')),
    p.locator('[data-testid="candor-accept-all"]').click(),
  ]);
  assert.equal(script.status(), 200);
  await p.waitForFunction(() => (window.candor.inspect().open || []).some((a) => a.events && a.events.page_view));
  await p.locator('iframe[src="/video.html"]').waitFor({ state: 'attached' });
  assert.equal(p.requests.filter((r) => r === '/examples/plain-analytics.js').length, 1, 'the script ran once');
  assert.ok((await p.evaluate(() => window.candor.flush())).sent >= 1);
  const agg = await aggregate(server, 'page_view');
  assert.equal(agg.count, 1);
  assert.equal(agg.fields.path['/'], 1);

  // The "Privacy choices" button reopens the preferences.
  await p.locator('button[data-candor-open]').click();
  await p.locator('[data-testid="candor-save"]').waitFor({ state: 'visible' });
  await assertClean(p);
  await p.context().close();
});

test('React recipe: the consent store keeps one snapshot per decision and re-renders exactly once per change', async () => {
  const server = await serve(WWW);
  const p = await open(server, '/examples/react/index.html');
  await p.waitForFunction(() => window.reactExample !== undefined);
  const same = await p.evaluate(async () => {
    const candor = await window.reactExample.ready;
    const again = window.reactExample.load();
    return { instance: candor === window.candor, promise: again === window.reactExample.ready };
  });
  assert.deepEqual(same, { instance: true, promise: true }, 'load() twice gives the same instance');
  assert.equal(await p.evaluate(() => window.candor.error), null);
  assert.ok(p.requests.includes('/candor/candor_bg.wasm'), 'without wasmUrl the wasm is found next to candor.mjs');
  assert.equal(await p.locator('#decided').textContent(), 'You have not chosen yet.');
  assert.ok(await p.evaluate(() => window.reactExample.getSnapshot() === window.reactExample.getSnapshot()),
    'getSnapshot returns the same object while nothing changed');
  assert.ok(!p.requests.includes('/video.html'));

  const before = await p.evaluate(() => window.reactExample.renders());
  await p.locator('#allow-video').click();
  await p.locator('#video-slot iframe[src="/video.html"]').waitFor({ state: 'attached' });
  assert.equal(await p.evaluate(() => window.reactExample.renders()), before + 1, 'one render for one change');
  assert.equal(await p.locator('#decided').textContent(), 'You have chosen.');
  assert.equal(await p.locator('#analytics').textContent(), 'off');

  // An event that changes nothing renders nothing.
  const still = await p.evaluate(() => {
    const n = window.reactExample.renders();
    document.dispatchEvent(new CustomEvent('candor:consent', { detail: window.candor.consent() }));
    return window.reactExample.renders() - n;
  });
  assert.equal(still, 0);

  // A change the store's listeners never heard of (React subscribes after its first render, so a
  // candor:ready in between reaches no one): getSnapshot() still reads it.
  const missed = await p.evaluate(() => {
    window.addEventListener('candor:consent', (e) => e.stopImmediatePropagation(), { capture: true, once: true });
    window.candor.grant(['analytics']);
    return window.reactExample.getSnapshot().purposes.analytics;
  });
  assert.equal(missed, true);

  // Unmounted, the component no longer renders; unsubscribed, getSnapshot reads the current decision.
  const after = await p.evaluate(() => {
    window.reactExample.unmount();
    const n = window.reactExample.renders();
    window.candor.rejectAll();
    return { rendered: window.reactExample.renders() - n, video: window.reactExample.getSnapshot().purposes.personalization };
  });
  assert.deepEqual(after, { rendered: 0, video: false });
  await assertClean(p);
  await p.context().close();
});

test('ES module without a bundler: importing starts nothing, bad options are named, and a classic tag on the page is the same instance', async () => {
  const cfg = h.config();
  const www = h.site({
    'esm.js': `import * as candor from '/candor/candor.mjs'; window.esm = candor;`,
    'esm.html': '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>' +
      '<script type="module" src="/esm.js"></script></head><body><main><h1>ESM</h1></main></body></html>',
    'both.config.json': cfg,
    'both.html': h.html({ attrs: 'data-config="/both.config.json"', head: '<script type="module" src="/esm.js"></script>' }),
    'signals.config.json': { ...cfg, google_consent_mode: { analytics_storage: ['stats'] }, tcf: { cmp_id: 2, vendor_list_version: 1, publisher_cc: 'DE', purposes_map: { 1: ['necessary'], 7: ['stats'] } } },
  });
  fs.mkdirSync(path.join(www, 'elsewhere'));
  fs.copyFileSync(path.join(h.ROOT, 'dist/candor_bg.wasm'), path.join(www, 'elsewhere/renamed.wasm'));
  const server = await serve(www);
  const p = await open(server, '/esm.html');
  await p.waitForFunction(() => window.esm !== undefined);
  assert.equal(await p.evaluate(() => window.candor), undefined, 'no window.candor before load()');
  assert.ok(!p.requests.some((r) => r.endsWith('.wasm')), 'no wasm fetched before load()');
  const errors = await p.evaluate(async (config) => {
    const messages = [];
    for (const bad of [{ config, configUrl: '/c.json' }, { config, wasm: '/x.wasm' }, { config: 42 }, 'config.json']) {
      await window.esm.load(bad).then(() => messages.push('resolved'), (e) => messages.push(`${e.name}: ${e.message}`));
    }
    return { messages, started: window.candor !== undefined };
  }, cfg);
  assert.deepEqual(errors.messages, [
    'TypeError: candor load(options): give config or configUrl, not both',
    'TypeError: candor load(options): unknown option "wasm" (expected config, configUrl, wasmUrl)',
    'TypeError: candor load(options): options.config must be an object or a JSON string',
    'TypeError: candor load(options): options must be an object, got string',
  ]);
  assert.equal(errors.started, false, 'invalid options start nothing');
  const ok = await p.evaluate(async (config) => {
    const candor = await window.esm.load({ config: JSON.stringify(config), wasmUrl: new URL('/elsewhere/renamed.wasm', location.href) });
    return { same: candor === window.candor, revision: candor.consent().revision, error: candor.error };
  }, cfg);
  assert.deepEqual(ok, { same: true, revision: 'r1', error: null });
  assert.ok(p.requests.includes('/elsewhere/renamed.wasm'), 'the wasm comes from wasmUrl');
  assert.ok(!p.requests.includes('/candor/candor_bg.wasm'), 'and not from next to candor.mjs');
  await h.prompt(p).waitFor({ state: 'visible' });
  await assertClean(p);

  // A page with the classic tag and a module calling load(): one Candor, the tag's.
  const q = await h.page(p.context());
  await q.goto(server.url + '/both.html');
  await h.ready(q);
  await q.waitForFunction(() => window.esm !== undefined);
  assert.ok(await q.evaluate(async () => (await window.esm.load({ configUrl: '/elsewhere.json' })) === window.candor));
  assert.equal(await q.locator('candor-consent').count(), 1);

  // A wasm that cannot be loaded: load() still resolves, with candor.error saying why, and nothing is shown.
  const r = await h.page(p.context());
  await r.goto(server.url + '/esm.html');
  await r.waitForFunction(() => window.esm !== undefined);
  const failed = await r.evaluate(async (config) => {
    const candor = await window.esm.load({ config, wasmUrl: '/missing.wasm' });
    return { code: candor.error && candor.error.code, decided: candor.consent().decided, track: candor.track('page_view').reason };
  }, cfg);
  assert.deepEqual(failed, { code: 'wasm-load', decided: false, track: 'no-consent' });
  assert.equal(await r.locator('[data-testid="candor-prompt"]').count(), 0);

  // Consent Mode and TCF with a config by URL: late, and the warnings say what a module can do (it has no tag).
  const s = await h.page(p.context());
  await s.goto(server.url + '/esm.html');
  await s.waitForFunction(() => window.esm !== undefined);
  await s.evaluate(() => window.esm.load({ configUrl: '/signals.config.json' }));
  const warned = s.logs.filter((l) => l.type === 'warning' && /late/.test(l.text)).map((l) => l.text);
  assert.equal(warned.length, 2, JSON.stringify(warned));
  assert.ok(warned.every((w) => w.includes('give load() the config itself')), JSON.stringify(warned));
  await p.context().close();
});

test('server rendering: requiring candor.js (the classic script) in Node does nothing and throws nothing', () => {
  const file = path.join(h.ROOT, 'dist/candor.js');
  delete require.cache[file];
  assert.doesNotThrow(() => require(file));
  assert.equal(globalThis.candor, undefined);
});

test('server rendering: importing candor.mjs in Node has no side effects, and load() rejects naming why', async () => {
  const { pathToFileURL } = require('node:url');
  const m = await import(pathToFileURL(path.join(h.ROOT, 'dist/candor.mjs')).href);
  assert.deepEqual(Object.keys(m), ['load']);
  assert.equal(globalThis.candor, undefined);
  await assert.rejects(m.load({ configUrl: '/candor.config.json' }),
    { name: 'TypeError', message: /there is no document here; call load\(\) in the browser/ });
  assert.equal(globalThis.candor, undefined);
});
