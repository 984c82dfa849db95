// The prompt: fair (equal accept/reject, nothing pre-ticked), keyboard
// operable, accessible (axe), safe (text only, strict CSP), GPC-aware and
// localised.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const h = require('./harness');

const AXE = path.join(h.ROOT, 'node_modules/axe-core/axe.min.js');
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'";
const HOSTILE = '<img src=x onerror="window.__pwned=1">';

let server, chrome;
test.before(async () => {
  const cfg = h.config();
  const hostile = h.config({ purposes: [cfg.purposes[0],
    { ...cfg.purposes[1], label: HOSTILE, explain: '<script>window.__pwned=2</script> We count.', benefit: '"><svg onload="window.__pwned=3">' }] });
  const intl = h.config({ purposes: [cfg.purposes[0], { ...cfg.purposes[1],
    label: { en: 'Count visits', de: 'Besuche zählen', ar: 'عدّ الزيارات' } }, cfg.purposes[2]] });
  const www = h.site({
    'candor.config.json': cfg,
    'index.html': h.html({ body: '<button type="button" data-candor-open id="open-link">Privacy choices</button>' }),
    'hostile.config.json': hostile,
    'hostile.html': h.html({ attrs: 'data-config="/hostile.config.json" async' }),
    'intl.config.json': intl,
    'intl.html': h.html({ attrs: 'data-config="/intl.config.json" async' }),
    'fr.config.json': { ...intl, language: 'fr' },
    // Arabic, which Candor has no strings for: its buttons borrow English ones.
    'parts.config.json': { ...intl, language: 'ar', purposes: [intl.purposes[0], intl.purposes[1],
      { ...cfg.purposes[2], label: { en: 'Show videos' } }] },
    'parts.html': h.html({ attrs: 'data-config="/parts.config.json" async' }),
    'one-day.config.json': h.config({ purposes: [cfg.purposes[0], { ...cfg.purposes[1], retention_days: 1 }, cfg.purposes[2]] }),
    'one-day.html': h.html({ attrs: 'data-config="/one-day.config.json" async' }),
    'fr.html': h.html({ attrs: 'data-config="/fr.config.json" async' }),
    // Plain-string purposes on a page that says it is German.
    'de-page.html': h.html().replace('<html lang="en">', '<html lang="de">'),
    // Plain-string overrides of built-in texts: in the site's language too.
    'over.config.json': h.config({ texts: { intro: 'Plain English intro.', retention: 'Kept for {days} days, in English.' } }),
    'over.html': h.html({ attrs: 'data-config="/over.config.json" async' }),
    // Plain strings (French, for this test) under a fixed French language, on a page that says it is English.
    'fixed-fr.config.json': { ...cfg, language: 'fr' },
    'fixed-fr.html': h.html({ attrs: 'data-config="/fixed-fr.config.json" async' }),
    // A page that sets its root text size to 10 px (the 62.5 % habit).
    'small-root.css': 'html { font-size: 62.5%; }',
    'small-root.html': h.html({ head: '<link rel="stylesheet" href="/small-root.css">' }),
    'long.config.json': h.config({ purposes: [cfg.purposes[0], { ...cfg.purposes[1], label: 'Datenschutzgrundverordnungskonformitätsprüfung'.repeat(4) }] }),
    'long.html': h.html({ attrs: 'data-config="/long.config.json" async' }),
    // Accept and reject worded at very different lengths (a site's own texts).
    'wordy.config.json': h.config({ texts: { accept_all: 'Yes, accept every single purpose listed on this page, thank you very much', reject_all: 'No' } }),
    'wordy.html': h.html({ attrs: 'data-config="/wordy.config.json" async' }),
    // A site's sentence naming the purposes twice.
    'twice.config.json': h.config({ texts: { asks: 'You can allow {purposes}. Again: {purposes}.' } }),
    'twice.html': h.html({ attrs: 'data-config="/twice.config.json" async' }),
    // An app that replaces <body> (or shows a splash <dialog> and closes
    // it) the moment Candor's element appears, before Candor's boot ends.
    'swap.js': `new MutationObserver(function (r, o) {
  if (!document.querySelector('candor-consent')) return; o.disconnect();
  var b = document.createElement('body'); b.innerHTML = '<main><h1>App</h1></main>'; document.body.replaceWith(b);
}).observe(document, { childList: true, subtree: true });`,
    'swap.html': h.html({ head: '<script src="/swap.js"></script>' }),
    'splash.js': `document.addEventListener('DOMContentLoaded', function () { document.getElementById('splash').showModal(); });
new MutationObserver(function (r, o) {
  if (!document.querySelector('candor-consent')) return; o.disconnect(); document.getElementById('splash').close();
}).observe(document, { childList: true, subtree: true });`,
    'splash.html': h.html({ head: '<script src="/splash.js"></script>', body: '<dialog id="splash"><p>Welcome</p></dialog>' }),
    'csp.html': h.html({ head: `<meta http-equiv="Content-Security-Policy" content="${CSP}">` }),
    // Page CSS that would bury an ordinary fixed banner: a chat bar at the
    // highest z-index, a transformed <body> (fixed boxes scroll with it),
    // and every body child forced invisible and unclickable.
    'hostile-css.css': '.bar { position: fixed; left: 0; right: 0; bottom: 0; height: 260px; background: #eee; z-index: 2147483647; } ' +
      'body { transform: translateZ(0); min-height: 4000px; } body > * { pointer-events: none !important; visibility: hidden !important; } ' +
      'main, .bar { pointer-events: auto !important; visibility: visible !important; } ' +
      // Rules that hide the element itself: the web-component anti-flicker rule, and a blunt one.
      ':not(:defined) { display: none; } candor-consent { display: none !important; opacity: 0 !important; }',
    'hostile-css.html': h.html({ head: '<link rel="stylesheet" href="/hostile-css.css">', body: '<div class="bar">Chat with us</div>' }),
    'links.html': h.html({ body: `<ul>${Array.from({ length: 40 }, (_, i) => `<li><a href="#l${i}">Link ${i}</a></li>`).join('')}</ul>` +
      // Room below the links, so the page can scroll them above the banner.
      '<footer><p>End of the page.</p></footer>' + '<br>'.repeat(40) }),
    // Eight optional purposes with long labels: the first layer's list of them must not push the buttons away.
    'many.config.json': h.config({ purposes: [...h.config().purposes, ...Array.from({ length: 8 }, (_, i) => ({ id: `p${i}`,
      label: `Purpose number ${i} with a rather long label`, explain: 'We do a thing.', benefit: 'You get a thing.', retention_days: 30 }))] }),
    'many.html': h.html({ attrs: 'data-config="/many.config.json" async' }),
    // A footer link at the very end: the page cannot scroll it any higher.
    'footer.html': h.html({ body: '<div style="height: 1500px">A long article.</div><footer><a href="#privacy" id="privacy">Privacy policy</a></footer>' }),
  });
  server = await h.collector({ www });
  chrome = await h.browser();
});
test.after(async () => { await chrome?.close(); await server?.stop(); });

async function open(url = '/', options = {}) {
  const context = await chrome.newContext({ reducedMotion: 'reduce', ...options });
  const p = await h.page(context);
  await p.goto(server.url + url);
  await h.ready(p);
  await h.prompt(p).waitFor({ state: 'visible' });
  return { context, p };
}
const byId = (p, id) => p.locator(`[data-testid="${id}"]`);
const focused = (p) => p.evaluate(() => {
  const host = document.activeElement;
  const inner = host && host.shadowRoot ? host.shadowRoot.activeElement : host;
  return inner ? inner.getAttribute('data-testid') || inner.id || inner.tagName : null;
});

test('accept and reject have the same size and style, on desktop and on phones, also when a site words them unevenly', async () => {
  for (const [url, viewport] of [['/', { width: 1280, height: 800 }], ['/', { width: 375, height: 740 }],
    ['/wordy.html', { width: 1280, height: 800 }], ['/wordy.html', { width: 390, height: 740 }], ['/wordy.html', { width: 320, height: 640 }]]) {
    const { context, p } = await open(url, { viewport });
    const a = await byId(p, 'candor-accept-all').boundingBox();
    const r = await byId(p, 'candor-reject-all').boundingBox();
    const where = `${url} ${JSON.stringify(viewport)}`;
    assert.equal(Math.round(a.width), Math.round(r.width), where);
    assert.equal(Math.round(a.height), Math.round(r.height), where);
    const style = (id) => byId(p, id).evaluate((e) => {
      const s = getComputedStyle(e);
      return [e.tagName, s.backgroundColor, s.color, s.fontSize, s.fontWeight, s.borderTopWidth].join('|');
    });
    assert.equal(await style('candor-accept-all'), await style('candor-reject-all'));
    for (const id of ['candor-accept-all', 'candor-reject-all', 'candor-customize', 'candor-close']) {
      assert.equal(await byId(p, id).isVisible(), true, `${id} on the first layer`);
    }
    await context.close();
  }
});

test('a printed page leaves the prompt out; on screen it is back', async () => {
  const { context, p } = await open();
  await p.emulateMedia({ media: 'print' });
  assert.equal(await h.prompt(p).isVisible(), false, 'not printed over the page');
  await p.emulateMedia({ media: 'screen' });
  assert.equal(await h.prompt(p).isVisible(), true);
  await context.close();
});

test('a label that is one long word wraps: on a 360 px phone every control stays on screen', async () => {
  const { context, p } = await open('/long.html', { viewport: { width: 360, height: 640 } });
  await p.locator('[data-testid="candor-customize"]').click();
  await p.locator('[data-testid="candor-save"]').waitFor();
  const outside = await p.evaluate(() => {
    const root = document.querySelector('candor-consent').shadowRoot;
    return ['candor-save', 'candor-close', 'candor-accept-all', 'candor-reject-all', 'candor-toggle-stats'].filter((t) => {
      const r = root.querySelector(`[data-testid="${t}"]`).getBoundingClientRect();
      return r.left < 0 || r.right > innerWidth;
    });
  });
  assert.deepEqual(outside, []);
  await context.close();
});

test('on a 360 px phone "Your choices" is a 44 px round control in the corner, still named and still working', async () => {
  const { context, p } = await open('/', { viewport: { width: 360, height: 640 } });
  await byId(p, 'candor-reject-all').click();
  const reopen = byId(p, 'candor-reopen');
  await reopen.waitFor({ state: 'visible' });
  const box = await reopen.boundingBox();
  assert.deepEqual([Math.round(box.width), Math.round(box.height)], [44, 44], 'covers no more than a touch target');
  assert.ok(box.x <= 12 && box.y + box.height >= 640 - 12, JSON.stringify(box));
  // Its words are its accessible name: found by role and name, as before.
  await p.getByRole('button', { name: 'Your choices' }).click();
  await byId(p, 'candor-save').waitFor({ state: 'visible' });
  await context.close();
});

test('WCAG 2.4.11: a page link that gets keyboard focus behind the banner, or later behind "Your choices", is scrolled into view above it', async () => {
  const { context, p } = await open('/links.html', { viewport: { width: 600, height: 700 } });
  const check = async (cover) => {
    const hidden = [];
    for (let i = 0; i < 40; i++) {
      await p.keyboard.press('Tab');
      const r = await p.evaluate((cover) => {
        const a = document.activeElement;
        if (!a || a.tagName !== 'A') return null;
        const c = document.querySelector('candor-consent').shadowRoot.querySelector(`[data-testid="${cover}"]`).getBoundingClientRect();
        const e = a.getBoundingClientRect();
        return { link: a.textContent, covered: e.bottom > c.top && e.top < c.bottom && e.right > c.left && e.left < c.right };
      }, cover);
      if (r && r.covered) hidden.push(r.link);
    }
    return hidden;
  };
  assert.deepEqual(await check('candor-prompt'), [], 'behind the banner');
  await byId(p, 'candor-reject-all').click();
  await p.evaluate(() => window.scrollTo(0, 0));
  await p.evaluate(() => document.activeElement && document.activeElement.blur());
  assert.deepEqual(await check('candor-reopen'), [], 'behind "Your choices"');
  await context.close();
});

test('WCAG 2.4.11 on a short screen (400 % zoom, a phone held sideways): a page link gets focus in view, the banner folding to its buttons until focus is back in it', async () => {
  for (const viewport of [{ width: 320, height: 200 }, { width: 320, height: 256 }, { width: 427, height: 267 }]) {
    const { context, p } = await open('/links.html', { viewport });
    const full = (await h.prompt(p).boundingBox()).height;
    const hidden = [];
    for (let i = 0; i < 12; i++) {
      await p.keyboard.press('Tab');
      const r = await p.evaluate(() => {
        const a = document.activeElement;
        if (!a || a.tagName !== 'A') return null;
        const c = document.querySelector('candor-consent').shadowRoot.querySelector('[data-testid="candor-prompt"]').getBoundingClientRect();
        const e = a.getBoundingClientRect();
        // The part of the link on screen and above the banner.
        return { link: a.textContent, shown: Math.min(e.bottom, c.top, innerHeight) - Math.max(e.top, 0) };
      });
      if (r && r.shown < 4) hidden.push(r);
    }
    assert.deepEqual(hidden, [], JSON.stringify(viewport));
    const folded = (await h.prompt(p).boundingBox()).height;
    assert.ok(folded <= viewport.height / 3 + 1 && folded < full, `folded to ${folded} of ${full}`);
    for (const id of ['candor-reject-all', 'candor-accept-all']) {
      const box = await byId(p, id).boundingBox();
      assert.ok(box.y >= 0 && box.y + box.height <= viewport.height, `${id} still whole on screen: ${JSON.stringify(box)}`);
    }
    // Back into the banner: whole again.
    await byId(p, 'candor-accept-all').focus();
    assert.equal((await h.prompt(p).boundingBox()).height, full);
    await context.close();
  }
});

test('WCAG 2.4.11 at the very end of the page: a focused footer link gets room below the page to come out from under the banner (and "Your choices"); the room goes with the banner', async () => {
  const { context, p } = await open('/footer.html', { viewport: { width: 375, height: 667 } });
  const covered = (cover) => p.evaluate((cover) => {
    const c = document.querySelector('candor-consent').shadowRoot.querySelector(`[data-testid="${cover}"]`).getBoundingClientRect();
    const e = document.getElementById('privacy').getBoundingClientRect();
    return e.bottom > c.top && e.top < c.bottom && e.right > c.left && e.left < c.right;
  }, cover);
  const focusLink = async () => {
    for (let i = 0; i < 10 && !(await p.evaluate(() => document.activeElement && document.activeElement.id === 'privacy')); i++) await p.keyboard.press('Tab');
  };
  await focusLink();
  assert.equal(await covered('candor-prompt'), false, 'not under the banner');
  assert.notEqual(await p.evaluate(() => document.documentElement.style.paddingBottom), '', 'room was added');
  await byId(p, 'candor-reject-all').click();
  await p.waitForFunction(() => window.candor.consent().decided);
  assert.equal(await p.evaluate(() => document.documentElement.style.paddingBottom), '', 'the room went with the banner');
  await p.evaluate(() => { window.scrollTo(0, 0); document.activeElement && document.activeElement.blur(); });
  await focusLink();
  assert.equal(await covered('candor-reopen'), false, 'not under "Your choices"');
  await context.close();
});

test('the first layer\'s list of purposes is shown whole, and both buttons stay in view on a 320 px phone, however many there are', async () => {
  const { context, p } = await open('/many.html', { viewport: { width: 320, height: 568 } });
  const inView = async () => {
    for (const id of ['candor-reject-all', 'candor-accept-all']) {
      const box = await byId(p, id).boundingBox();
      assert.ok(box && box.y >= 0 && box.y + box.height <= 568, `${id} in view: ${JSON.stringify(box)}`);
    }
  };
  await inView();
  // Not cut short (a title is no help to keyboard and touch users): the banner scrolls under its buttons.
  const asks = await p.evaluate(() => { const a = document.querySelector('candor-consent').shadowRoot.querySelector('.asks'); return [a.scrollHeight, a.clientHeight]; });
  assert.ok(asks[0] <= asks[1], `the list is clipped: ${asks}`);
  await h.prompt(p).evaluate((d) => { d.scrollTop = d.scrollHeight; });
  await inView();
  // The last label, scrolled to, is not under the buttons.
  const last = await p.evaluate(() => {
    const r = document.querySelector('candor-consent').shadowRoot;
    const bdis = r.querySelectorAll('.asks bdi');
    return [bdis[bdis.length - 1].getBoundingClientRect().bottom, r.querySelector('.actions').getBoundingClientRect().top];
  });
  assert.ok(last[0] <= last[1], `the last label is under the buttons: ${last}`);
  const text = await p.evaluate(() => document.querySelector('candor-consent').shadowRoot.querySelector('.asks').textContent);
  for (let i = 0; i < 8; i++) assert.ok(text.includes(`Purpose number ${i} with a rather long label`), text);
  await context.close();
});

test('a long button label fits its button on a phone, at 300 % and at 400 % zoom; accept and reject stay the same size', async () => {
  for (const viewport of [{ width: 320, height: 568 }, { width: 427, height: 240 }, { width: 320, height: 180 }]) {
    const { context, p } = await open('/wordy.html', { viewport });
    const sizes = await p.evaluate(() => ['candor-reject-all', 'candor-accept-all'].map((id) => {
      const b = document.querySelector('candor-consent').shadowRoot.querySelector(`[data-testid="${id}"]`);
      return { id, height: b.clientHeight, text: b.scrollHeight, width: b.clientWidth };
    }));
    for (const b of sizes) assert.ok(b.text <= b.height + 1, `${JSON.stringify(viewport)}: the text of ${b.id} overflows it: ${JSON.stringify(b)}`);
    assert.deepEqual([sizes[0].height, sizes[0].width], [sizes[1].height, sizes[1].width], `${JSON.stringify(viewport)}: ${JSON.stringify(sizes)}`);
    await context.close();
  }
});

test('400 % zoom (a 320 x 180 CSS px window): both choice buttons are in view, and the banner\'s text scrolls above them', async () => {
  const { context, p } = await open('/many.html', { viewport: { width: 320, height: 180 } });
  const inView = async (what) => {
    for (const id of ['candor-reject-all', 'candor-accept-all']) {
      const box = await byId(p, id).boundingBox();
      assert.ok(box && box.y >= 0 && box.y + box.height <= 180, `${id} in view ${what}: ${JSON.stringify(box)}`);
    }
  };
  await inView('at first');
  const scroll = await h.prompt(p).evaluate((d) => { d.scrollTop = d.scrollHeight; return [d.scrollTop, d.clientHeight]; });
  assert.ok(scroll[0] > 0, 'the text scrolls');
  await inView('scrolled to the end');
  // Everything else is still reachable: "Choose what to allow" too.
  await byId(p, 'candor-customize').click();
  await byId(p, 'candor-save').waitFor({ state: 'visible' });
  await context.close();
});

test('labels in the first layer\'s list and the GPC note are isolated (<bdi>), with their own language when it is not the prompt\'s', async () => {
  const { context, p } = await open('/parts.html');
  const bdis = await p.evaluate(() => [...document.querySelector('candor-consent').shadowRoot.querySelectorAll('.asks bdi')]
    .map((b) => [b.textContent, b.getAttribute('lang'), b.getAttribute('dir')]));
  // The sentence around them is a borrowed English one (lang="en"): the Arabic label says it is Arabic.
  assert.equal(await p.evaluate(() => document.querySelector('candor-consent').shadowRoot.querySelector('.asks').getAttribute('lang')), 'en');
  assert.deepEqual(bdis, [['عدّ الزيارات', 'ar', 'rtl'], ['Show videos', null, null]]);
  await context.close();
});

test('WCAG 3.1.2: plain-string purpose texts are in the site\'s language (the page\'s lang): marked so inside a prompt in the visitor\'s', async () => {
  const marks = async (url, locale) => {
    const { context, p } = await open(url, { locale });
    await byId(p, 'candor-customize').click();
    const out = await p.evaluate(() => {
      const root = document.querySelector('candor-consent').shadowRoot;
      const lang = (e) => e.closest('[lang]').getAttribute('lang');
      return { root: root.querySelector('.root').getAttribute('lang'), label: lang(root.querySelector('label[for="candor-t-stats"]')),
        explain: lang(root.querySelector('#candor-e-stats')), listed: lang(root.querySelector('.asks bdi')) };
    });
    await context.close();
    return out;
  };
  // German buttons around the site's English texts.
  assert.deepEqual(await marks('/', 'de-DE'), { root: 'de', label: 'en', explain: 'en', listed: 'en' });
  assert.deepEqual(await marks('/', 'en-US'), { root: 'en', label: 'en', explain: 'en', listed: 'en' });
  // A page that says it is German: its texts are German, whatever default_language says.
  assert.deepEqual(await marks('/de-page.html', 'de-DE'), { root: 'de', label: 'de', explain: 'de', listed: 'de' });
  assert.deepEqual(await marks('/de-page.html', 'fr-FR'), { root: 'fr', label: 'de', explain: 'de', listed: 'de' });
  // A fixed language is the one the site writes in, whatever the page says.
  assert.deepEqual(await marks('/fixed-fr.html', 'de-DE'), { root: 'fr', label: 'fr', explain: 'fr', listed: 'fr' });
  // The site's plain-string overrides of built-in texts are its language too.
  const overrides = async (locale) => {
    const { context, p } = await open('/over.html', { locale });
    await byId(p, 'candor-customize').click();
    const out = await p.evaluate(() => {
      const root = document.querySelector('candor-consent').shadowRoot;
      const by = (text) => [...root.querySelectorAll('*')].find((e) => [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.includes(text)));
      return [by('Plain English intro.'), by('in English.'), by('Alle ablehnen')].map((e) => e && e.closest('[lang]').getAttribute('lang'));
    });
    await context.close();
    return out;
  };
  assert.deepEqual(await overrides('de-DE'), ['en', 'en', 'de'], 'German buttons, the English overrides marked en');
});

test('WCAG 3.1.2: in an Arabic prompt, borrowed English strings and an English-only label say lang="en" dir="ltr"; Arabic ones inherit', async () => {
  const { context, p } = await open('/parts.html');
  await byId(p, 'candor-customize').click();
  const marks = await p.evaluate(() => {
    const root = document.querySelector('candor-consent').shadowRoot;
    const at = (sel) => { const e = root.querySelector(sel); return `${e.getAttribute('lang')}/${e.getAttribute('dir')}`; };
    return {
      root: at('.root'),
      heading: at('h2'),
      save: at('[data-testid="candor-save"]'),
      accept: at('[data-testid="candor-accept-all"]'),
      close: at('[data-testid="candor-close"]'),
      stats: at('label[for="candor-t-stats"]'),
      video: at('label[for="candor-t-video"]'),
    };
  });
  assert.deepEqual(marks, { root: 'ar/rtl', heading: 'en/ltr', save: 'en/ltr', accept: 'en/ltr', close: 'en/ltr', stats: 'null/null', video: 'en/ltr' });
  // The close button sits at the right-to-left prompt's start corner (left), clear of the heading, whatever their own dir.
  for (const layer of ['prefs', 'first']) {
    const box = await p.evaluate(() => {
      const root = document.querySelector('candor-consent').shadowRoot;
      const r = document.createRange(); r.selectNodeContents(root.querySelector('h2'));
      const t = r.getBoundingClientRect(), c = root.querySelector('[data-testid="candor-close"]').getBoundingClientRect();
      const d = root.querySelector('dialog').getBoundingClientRect();
      return { overlap: t.left < c.right && c.left < t.right && t.top < c.bottom && c.top < t.bottom, leftSide: c.left - d.left < d.right - c.right };
    });
    assert.deepEqual(box, { overlap: false, leftSide: true }, layer);
    if (layer === 'prefs') { await p.keyboard.press('Escape'); await byId(p, 'candor-accept-all').waitFor({ state: 'visible' }); }
  }
  await byId(p, 'candor-customize').click();
  // "Your data": its borrowed headings, and its sentences (English only).
  await byId(p, 'candor-save').click();
  await p.evaluate(() => window.candor.open('data'));
  const data = await p.evaluate(() => {
    const root = document.querySelector('candor-consent').shadowRoot;
    return [...root.querySelectorAll('[data-testid="candor-data-storage"] li, .data h3 + h4')].map((e) => e.getAttribute('lang'));
  });
  assert.ok(data.length >= 2 && data.every((l) => l === 'en'), JSON.stringify(data));
  await context.close();
});

test('nothing is pre-ticked; closing, scrolling or waiting is never consent', async () => {
  const { context, p } = await open('/');
  await p.mouse.wheel(0, 800);
  await p.waitForTimeout(300);
  await byId(p, 'candor-customize').click();
  for (const id of ['stats', 'video']) assert.equal(await byId(p, `candor-toggle-${id}`).isChecked(), false);
  assert.equal(await byId(p, 'candor-toggle-necessary').isChecked(), true);
  assert.equal(await byId(p, 'candor-toggle-necessary').isDisabled(), true);
  await p.keyboard.press('Escape');
  await byId(p, 'candor-close').click();
  await h.prompt(p).waitFor({ state: 'hidden' });
  const c = await h.consent(p);
  assert.equal(c.decided, false);
  assert.deepEqual(c.purposes, { necessary: true, stats: false, video: false });
  assert.equal(await byId(p, 'candor-reopen').isVisible(), true, 'a way back is left');
  await context.close();
});

test('double-clicking "Choose what to allow" opens the preferences and decides nothing, whatever lands under the second click', async () => {
  // At these sizes the preferences layer puts "Save my choices" (desktop) and "Accept all" (a German phone)
  // where "Choose what to allow" was.
  for (const [viewport, locale] of [[{ width: 1280, height: 720 }, 'en-US'], [{ width: 414, height: 768 }, 'de-DE'], [{ width: 390, height: 768 }, 'en-US']]) {
    const { context, p } = await open('/', { viewport, locale });
    await byId(p, 'candor-customize').dblclick();
    await p.waitForTimeout(300);
    const c = await h.consent(p);
    assert.equal(c.decided, false, `${viewport.width}x${viewport.height} ${locale}`);
    assert.deepEqual(c.purposes, { necessary: true, stats: false, video: false });
    assert.equal(await byId(p, 'candor-save').isVisible(), true, 'the preferences stay open');
    // Single clicks still work at once.
    await byId(p, 'candor-toggle-stats').click();
    await byId(p, 'candor-save').click();
    assert.deepEqual((await h.consent(p)).purposes, { necessary: true, stats: true, video: false });
    await context.close();
  }
  // A visitor whose system double-click time is long: a second click 700 ms later still counts, even
  // though the browser numbers it as the second click of a double click (detail 2).
  const { context, p } = await open('/', { viewport: { width: 1280, height: 720 } });
  await byId(p, 'candor-customize').click();
  await p.waitForTimeout(700);
  const box = await byId(p, 'candor-save').boundingBox();
  await p.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await p.mouse.down({ clickCount: 2 });
  await p.mouse.up({ clickCount: 2 });
  await p.waitForFunction(() => window.candor.consent().decided);
  await context.close();
});

test('keyboard only: reach the banner, customise, trap Tab, Esc goes back, save', async () => {
  const { context, p } = await open('/');
  await p.keyboard.press('Tab');
  assert.equal(await focused(p), 'candor-close', 'the prompt comes first in tab order');
  await p.keyboard.press('Tab');
  assert.equal(await focused(p), 'candor-reject-all');
  await p.keyboard.press('Tab');
  assert.equal(await focused(p), 'candor-accept-all');
  await p.keyboard.press('Tab');
  assert.equal(await focused(p), 'candor-customize');
  await p.keyboard.press('Enter');
  await byId(p, 'candor-save').waitFor({ state: 'visible' });
  assert.equal(await focused(p), 'candor-toggle-stats', 'focus moves into the modal');
  // Tab is trapped: cycle through every control and come back round.
  const seen = [];
  for (let i = 0; i < 8; i++) { await p.keyboard.press('Tab'); seen.push(await focused(p)); }
  assert.ok(seen.every((id) => id && id.startsWith('candor-')), `focus left the dialog: ${seen}`);
  await p.keyboard.press('Shift+Tab');
  assert.ok((await focused(p)).startsWith('candor-'));
  await p.keyboard.press('Escape');
  await byId(p, 'candor-customize').waitFor({ state: 'visible' });
  assert.equal(await focused(p), 'candor-customize', 'Esc goes back and focus returns');
  assert.equal((await h.consent(p)).decided, false);
  await p.keyboard.press('Enter');
  await byId(p, 'candor-save').waitFor({ state: 'visible' });
  await p.keyboard.press('Space');
  assert.equal(await byId(p, 'candor-toggle-stats').isChecked(), true);
  await byId(p, 'candor-save').focus();
  await p.keyboard.press('Enter');
  await p.waitForFunction(() => window.candor.consent().decided);
  assert.deepEqual((await h.consent(p)).purposes, { necessary: true, stats: true, video: false });
  await context.close();
});

test('keyboard only: after Reject on the banner, focus lands on "Your choices", not on the page body', async () => {
  const { context, p } = await open('/');
  await p.keyboard.press('Tab');
  await p.keyboard.press('Tab');
  assert.equal(await focused(p), 'candor-reject-all');
  await p.keyboard.press('Enter');
  await p.waitForFunction(() => window.candor.consent().decided);
  assert.equal(await focused(p), 'candor-reopen');
  await p.keyboard.press('Enter');
  await byId(p, 'candor-save').waitFor({ state: 'visible' });
  assert.equal(await focused(p), 'candor-toggle-stats', 'and from there the choice can be changed at once');
  await context.close();
});

test('the switches show the current consent while the preferences are closed: after a click, acceptAll(), grant(), deny(), close and erase()', async () => {
  const { context, p } = await open('/');
  const toggles = () => p.evaluate(() => {
    const root = document.querySelector('candor-consent').shadowRoot;
    return ['stats', 'video'].map((id) => root.querySelector(`[data-testid="candor-toggle-${id}"]`).checked);
  });
  await byId(p, 'candor-accept-all').click();
  await p.waitForFunction(() => window.candor.consent().decided);
  assert.deepEqual(await toggles(), [true, true], 'after the Accept all button');
  await p.evaluate(() => window.candor.deny(['video']));
  assert.deepEqual(await toggles(), [true, false], 'after deny()');
  await p.evaluate(() => window.candor.rejectAll());
  assert.deepEqual(await toggles(), [false, false], 'after rejectAll()');
  await p.evaluate(() => window.candor.grant(['stats']));
  assert.deepEqual(await toggles(), [true, false], 'after grant()');
  // Switched in the preferences, then closed without saving: back to the consent.
  await p.evaluate(() => window.candor.open());
  await byId(p, 'candor-toggle-video').click();
  assert.deepEqual(await toggles(), [true, true], 'unsaved switch while open');
  await byId(p, 'candor-close').click();
  await byId(p, 'candor-save').waitFor({ state: 'hidden' });
  assert.deepEqual(await toggles(), [true, false], 'after closing without saving');
  await p.evaluate(() => window.candor.acceptAll());
  await p.evaluate(() => window.candor.erase());
  assert.deepEqual(await toggles(), [false, false], 'after erase()');
  await context.close();
});

test('the first layer names what "Accept all" turns on; each layer is described by its own visible text; switches by all their sentences; the × says "Close" once decided', async () => {
  const { context, p } = await open('/');
  const root = (f) => p.evaluate(f);
  assert.equal(await root(() => document.querySelector('candor-consent').shadowRoot.querySelector('.asks').textContent),
    'We ask your permission for: Count visits, Show videos.');
  const described = () => root(() => {
    const r = document.querySelector('candor-consent').shadowRoot;
    const d = r.querySelector('dialog');
    return { text: d.getAttribute('aria-describedby').split(' ').map((id) => r.getElementById(id).textContent).join(' '),
      visible: d.getAttribute('aria-describedby').split(' ').every((id) => r.getElementById(id).checkVisibility()),
      close: r.querySelector('[data-testid="candor-close"]').getAttribute('aria-label') };
  });
  // The banner: its intro and what "Accept all" turns on (a visitor tabbing to the buttons hears both).
  assert.deepEqual(await described(), { text: 'We would like to use some of your data. The site keeps working whatever you choose. We ask your permission for: Count visits, Show videos.',
    visible: true, close: 'Close without choosing' });
  await byId(p, 'candor-customize').click();
  await byId(p, 'candor-save').waitFor({ state: 'visible' });
  assert.deepEqual(await described(), { text: 'Turn on only what you want. You can change this at any time.', visible: true, close: 'Close without choosing' });
  const switchText = await root(() => {
    const r = document.querySelector('candor-consent').shadowRoot;
    return r.querySelector('[data-testid="candor-toggle-stats"]').getAttribute('aria-describedby').split(' ').map((id) => r.getElementById(id).textContent);
  });
  assert.deepEqual(switchText, ['We count page views.', 'What you get: We fix slow pages.', 'Kept for 30 days.']);
  // A required switch (disabled, out of Tab order) is described by why it is always on, too.
  const requiredText = await root(() => {
    const r = document.querySelector('candor-consent').shadowRoot;
    return r.querySelector('[data-testid="candor-toggle-necessary"]').getAttribute('aria-describedby').split(' ').map((id) => r.getElementById(id).textContent).pop();
  });
  assert.equal(requiredText, 'Always on. The site needs this to work, so it cannot be turned off.');
  await byId(p, 'candor-reject-all').click();
  await p.waitForFunction(() => window.candor.consent().decided);
  await p.evaluate(() => window.candor.open());
  await byId(p, 'candor-save').waitFor({ state: 'visible' });
  assert.equal((await described()).close, 'Close', 'closing now keeps the decision');
  await byId(p, 'candor-your-data').click();
  assert.deepEqual((await described()).visible, true);
  assert.equal(await byId(p, 'candor-reopen').getAttribute('title'), 'Your choices');
  await context.close();
});

test('screen readers: a decision made in the prompt is announced as saved; Esc in "Your data" returns focus to its button', async () => {
  const { context, p } = await open('/');
  const announce = byId(p, 'candor-announce');
  assert.equal(await announce.getAttribute('role'), 'status');
  assert.equal(await announce.textContent(), '');
  for (const [button, layer] of [['candor-accept-all', null], ['candor-reject-all', 'candor-reopen'], ['candor-save', 'candor-reopen']]) {
    if (layer) {
      await byId(p, layer).click();
      await byId(p, 'candor-save').waitFor({ state: 'visible' });
      assert.equal(await announce.textContent(), '', 'emptied first, so the same words are read again');
    }
    await byId(p, button).last().click();
    await p.waitForFunction(() => document.querySelector('candor-consent').shadowRoot.querySelector('[data-testid="candor-announce"]').textContent !== '');
    assert.equal(await announce.textContent(), 'Your choices are saved.', button);
    assert.equal(await announce.isVisible(), true, 'in the accessibility tree (clipped to nothing, not hidden)');
    assert.ok(await announce.evaluate((e) => e.getBoundingClientRect().width <= 1), 'and not seen');
  }
  // A decision, then at once an erase that asks again: "saved" is not said over the new banner.
  await byId(p, 'candor-reopen').click();
  await byId(p, 'candor-accept-all').last().click();
  await p.waitForFunction(() => window.candor.consent().purposes.video === true);
  await p.evaluate(() => window.candor.erase());
  await p.waitForTimeout(400);
  assert.equal(await announce.textContent(), '');
  await byId(p, 'candor-accept-all').click();
  await p.waitForFunction(() => window.candor.consent().decided);
  // From the preferences to "Your data" and back with Esc: focus is on the button that opened it.
  await byId(p, 'candor-reopen').click();
  await byId(p, 'candor-your-data').click();
  await byId(p, 'candor-data-back').waitFor({ state: 'visible' });
  await p.keyboard.press('Escape');
  await byId(p, 'candor-save').waitFor({ state: 'visible' });
  assert.equal(await focused(p), 'candor-your-data');
  await context.close();
});

test('text size: the visitor\'s default, not the page\'s root size; "Your choices" has a ring of two colours', async () => {
  for (const url of ['/', '/small-root.html']) {
    const { context, p } = await open(url);
    const sizes = await p.evaluate(() => {
      const r = document.querySelector('candor-consent').shadowRoot;
      return [r.querySelector('.root'), r.querySelector('h2'), r.querySelector('[data-testid="candor-accept-all"]')].map((e) => getComputedStyle(e).fontSize);
    });
    assert.deepEqual(sizes, ['16px', '19.2px', '16px'], url);
    await context.close();
  }
  const { context, p } = await open('/');
  // Decided with the keyboard: focus lands on "Your choices", and shows.
  await byId(p, 'candor-accept-all').press('Enter');
  await p.waitForFunction(() => window.candor.consent().decided);
  assert.equal(await focused(p), 'candor-reopen');
  const ring = await byId(p, 'candor-reopen').evaluate((e) => { const c = getComputedStyle(e); return [c.outlineStyle, c.boxShadow]; });
  assert.equal(ring[0], 'solid');
  assert.match(ring[1], /^rgb\(255, 255, 255\) 0px 0px 0px 8px$/, 'a band of the prompt\'s background around the outline');
  await context.close();
});

test('withdrawing is as easy as giving: reopen control, data-candor-open and candor.open()', async () => {
  const { context, p } = await open('/');
  await byId(p, 'candor-accept-all').click();
  await p.waitForFunction(() => window.candor.consent().decided);
  await byId(p, 'candor-reopen').click();
  await byId(p, 'candor-save').waitFor({ state: 'visible' });
  assert.equal(await byId(p, 'candor-toggle-video').isChecked(), true, 'toggles show the current choice');
  await byId(p, 'candor-reject-all').click();
  await p.waitForFunction(() => window.candor.consent().purposes.video === false);
  await p.locator('#open-link').click();
  await byId(p, 'candor-save').waitFor({ state: 'visible' });
  await p.keyboard.press('Escape');
  await byId(p, 'candor-save').waitFor({ state: 'hidden' });
  assert.equal(await focused(p), 'open-link', 'focus returns to the element that opened it');
  await p.evaluate(() => window.candor.open());
  await byId(p, 'candor-save').waitFor({ state: 'visible' });
  await context.close();
});

test('axe-core: zero violations on both layers, light and dark', async () => {
  for (const colorScheme of ['light', 'dark']) {
    const { context, p } = await open('/', { colorScheme });
    await p.addScriptTag({ path: AXE });
    const run = () => p.evaluate(async () => {
      const r = await window.axe.run({ include: [['candor-consent']] }, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] });
      return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
    assert.deepEqual(await run(), [], `${colorScheme} first layer`);
    await byId(p, 'candor-customize').click();
    await byId(p, 'candor-save').waitFor({ state: 'visible' });
    assert.deepEqual(await run(), [], `${colorScheme} preferences`);
    await context.close();
  }
});

test('hostile config strings render as text and execute nothing', async () => {
  const { context, p } = await open('/hostile.html');
  await byId(p, 'candor-customize').click();
  await p.waitForTimeout(200);
  assert.equal(await p.evaluate(() => window.__pwned), undefined);
  const label = await p.locator('candor-consent label[for="candor-t-stats"]').textContent();
  assert.equal(label, HOSTILE);
  assert.equal(await p.locator('candor-consent img, candor-consent svg, candor-consent script').count(), 0);
  await context.close();
});

test('a strict-CSP page boots with no securitypolicyviolation, styled', async () => {
  const context = await chrome.newContext({ reducedMotion: 'reduce' });
  const p = await h.page(context);
  await p.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await p.goto(server.url + '/csp.html');
  await h.ready(p);
  await h.prompt(p).waitFor({ state: 'visible' });
  await byId(p, 'candor-customize').click();
  await byId(p, 'candor-accept-all').click();
  await p.waitForFunction(() => window.candor.consent().decided);
  assert.deepEqual(await p.evaluate(() => window.__csp), []);
  assert.equal(await byId(p, 'candor-reopen').evaluate((e) => getComputedStyle(e).position), 'fixed', 'the stylesheet applied');
  await context.close();
});

test('GPC: optional purposes stay denied and the prompt says so; an explicit choice wins', async () => {
  const context = await chrome.newContext({ reducedMotion: 'reduce' });
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
  const p = await h.page(context);
  await p.goto(server.url + '/');
  await h.ready(p);
  const note = p.locator('candor-consent .note');
  await note.waitFor({ state: 'visible' });
  assert.equal(await note.textContent(), 'Your browser asked us not to share or sell your data, so these purposes are off: Count visits, Show videos.');
  assert.deepEqual((await h.consent(p)).purposes, { necessary: true, stats: false, video: false });
  await byId(p, 'candor-accept-all').click();
  await p.waitForFunction(() => window.candor.consent().decided);
  assert.equal((await h.consent(p)).purposes.stats, true);
  await context.close();

  const { context: c2, p: p2 } = await open('/');
  assert.equal(await p2.locator('candor-consent .note').isVisible(), false, 'no GPC, no note');
  await c2.close();
});

test('language: the browser\'s, a fixed one, and right-to-left', async () => {
  let { context, p } = await open('/intl.html', { locale: 'de-DE' });
  assert.equal(await byId(p, 'candor-accept-all').textContent(), 'Alle akzeptieren');
  await byId(p, 'candor-customize').click();
  assert.equal(await p.locator('candor-consent label[for="candor-t-stats"]').textContent(), 'Besuche zählen');
  await context.close();

  ({ context, p } = await open('/fr.html', { locale: 'de-DE' }));
  assert.equal(await byId(p, 'candor-reject-all').textContent(), 'Tout refuser');
  await context.close();

  // Purposes written in en/de/ar, a browser asking for Italian: all English, labelled so, not Italian
  // buttons around English purposes.
  ({ context, p } = await open('/intl.html', { locale: 'it-IT' }));
  assert.equal(await p.locator('candor-consent .root').getAttribute('lang'), 'en');
  assert.equal(await byId(p, 'candor-accept-all').textContent(), 'Accept all');
  await context.close();

  // One day is singular, in every language.
  for (const [locale, text] of [['en-US', 'Kept for 1 day.'], ['de-DE', 'Gespeichert für 1 Tag.'], ['pl-PL', 'Przechowywane przez 1 dzień.']]) {
    ({ context, p } = await open('/one-day.html', { locale }));
    await byId(p, 'candor-customize').click();
    assert.ok((await p.locator('candor-consent .purpose p.muted').allTextContents()).includes(text), `${locale}: ${text}`);
    await context.close();
  }

  ({ context, p } = await open('/intl.html', { locale: 'ar' }));
  assert.equal(await p.locator('candor-consent .root').getAttribute('dir'), 'rtl');
  assert.equal(await p.locator('candor-consent .root').getAttribute('lang'), 'ar');
  await byId(p, 'candor-customize').click();
  assert.equal(await p.locator('candor-consent label[for="candor-t-stats"]').textContent(), 'عدّ الزيارات');
  await context.close();
});

test('the banner overlays the page: no layout shift, and the page keeps working behind it', async () => {
  const context = await chrome.newContext({ reducedMotion: 'reduce' });
  const p = await h.page(context);
  await p.addInitScript(() => {
    window.__cls = 0;
    new PerformanceObserver((list) => { for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value; })
      .observe({ type: 'layout-shift', buffered: true });
  });
  await p.goto(server.url + '/');
  await h.ready(p);
  await h.prompt(p).waitFor({ state: 'visible' });
  await p.waitForTimeout(300);
  assert.equal(await p.evaluate(() => window.__cls), 0);
  await p.evaluate(() => document.getElementById('page-button').addEventListener('click', () => { window.__clicked = true; }));
  await p.locator('#page-button').click();
  assert.equal(await p.evaluate(() => window.__clicked), true);
  assert.equal((await h.consent(p)).decided, false, 'using the page is not consent');
  await context.close();
});

test('theming: CSS custom properties set by the page reach the prompt', async () => {
  const { context, p } = await open('/');
  await p.evaluate(() => {
    const host = document.querySelector('candor-consent');
    host.style.setProperty('--candor-accent', 'rgb(0, 100, 0)');
    host.style.setProperty('--candor-radius', '2px');
  });
  const s = await byId(p, 'candor-accept-all').evaluate((e) => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderTopLeftRadius]);
  assert.deepEqual(s, ['rgb(0, 100, 0)', '1.32px']);
  assert.equal(await byId(p, 'candor-reject-all').evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(0, 100, 0)');
  await context.close();
});

test('hard-to-read config texts get one console.warn naming them; plain ones none', async () => {
  const plain = { id: 'stats', label: 'Count visits', explain: 'We count the pages you see.', benefit: 'We fix the slow ones.' };
  const www = h.site({
    'plain.json': { site: 'test.example', revision: 'r1', purposes: [plain] },
    'hard.json': { site: 'test.example', revision: 'r1', purposes: [{ ...plain,
      explain: 'Notwithstanding the aforementioned stipulations, the controller shall process personal information pursuant to legitimate organisational interests and applicable regulatory obligations.' }] },
    'plain.html': h.html({ attrs: 'data-config="/plain.json" async' }),
    'hard.html': h.html({ attrs: 'data-config="/hard.json" async' }),
    // The same hard English, as the English entry of a site that fixed Arabic: never shown, not scored.
    'arabic.json': { site: 'test.example', revision: 'r1', language: 'ar', purposes: [{ ...plain,
      explain: { ar: 'نعدّ الصفحات التي تراها.', en: 'Notwithstanding the aforementioned stipulations, the controller shall process personal information pursuant to legitimate organisational interests and applicable regulatory obligations.' } }] },
    'arabic.html': h.html({ attrs: 'data-config="/arabic.json" async' }),
  });
  const own = await h.collector({ www });
  const warnings = async (page) => {
    const context = await chrome.newContext();
    const p = await h.page(context);
    await p.goto(own.url + page);
    await h.ready(p);
    const out = { warns: p.logs.filter((l) => l.type === 'warning' && /hard to read/.test(l.text)).map((l) => l.text),
      errors: (await h.events(p, 'error')).length };
    await context.close();
    return out;
  };
  assert.deepEqual(await warnings('/plain.html'), { warns: [], errors: 0 });
  const hard = await warnings('/hard.html');
  assert.equal(hard.warns.length, 1, JSON.stringify(hard));
  assert.match(hard.warns[0], /purposes\[0\]\.explain is hard to read: Flesch score -?\d+, longest sentence 19 words/);
  assert.equal(hard.errors, 0, 'never an error');
  assert.deepEqual(await warnings('/arabic.html'), { warns: [], errors: 0 });
  await own.stop();
});

test('optional purposes without retention_days get one console.warn naming them', async () => {
  const { context, p } = await open('/');
  const warned = p.logs.filter((l) => l.type === 'warning' && /retention_days/.test(l.text)).map((l) => l.text);
  assert.deepEqual(warned, ['candor: purposes "video" have no retention_days, so the prompt cannot tell visitors how long their data is kept; set it for each']);
  await context.close();
});

test('page focus handlers may call candor while the prompt moves focus', async () => {
  const { context, p } = await open('/');
  await p.evaluate(() => {
    window.__calls = [];
    const call = () => {
      window.__calls.push([window.candor.consent().decided, window.candor.track('page_view', { path: '/' }).reason || 'ok',
        window.candor.inspect().pending.length]);
    };
    document.addEventListener('focusin', call, true);
    document.addEventListener('focus', call, true);
  });
  await p.locator('#open-link').click();                         // data-candor-open: showModal moves focus
  await byId(p, 'candor-save').waitFor({ state: 'visible' });
  await p.keyboard.press('Escape');                               // back: focus returns
  await p.evaluate(() => window.candor.open());                   // the API path
  await byId(p, 'candor-accept-all').last().click();              // deciding hides the prompt and moves focus
  await p.waitForFunction(() => window.candor.consent().decided);
  const calls = await p.evaluate(() => window.__calls);
  assert.ok(calls.length >= 3, JSON.stringify(calls));
  assert.deepEqual(p.logs.filter((l) => l.type === 'pageerror' || l.type === 'error'), [], 'nothing threw');
  assert.equal(await p.evaluate(() => window.candor.track('page_view', { path: '/' }).accepted), true, 'still working');
  await context.close();
});

test('page CSS cannot bury the prompt: a max z-index bar, a transformed body, forced visibility and pointer-events, display: none on the element', async () => {
  const { context, p } = await open('/hostile-css.html');
  // The control at the point where a visitor would click it, seen through the page.
  const hit = (id) => p.evaluate((id) => {
    const host = document.querySelector('candor-consent');
    const el = host.shadowRoot.querySelector(`[data-testid="${id}"]`);
    const r = el.getBoundingClientRect();
    const x = r.x + r.width / 2, y = r.y + r.height / 2;
    return { inView: r.width > 0 && r.top >= 0 && r.bottom <= innerHeight,
      hit: document.elementFromPoint(x, y) === host && host.shadowRoot.elementFromPoint(x, y) === el };
  }, id);
  for (const id of ['candor-reject-all', 'candor-accept-all', 'candor-customize']) {
    assert.deepEqual(await hit(id), { inView: true, hit: true }, `${id} is in view and on top`);
  }
  await byId(p, 'candor-reject-all').click();
  await p.waitForFunction(() => window.candor.consent().decided);
  assert.deepEqual(await hit('candor-reopen'), { inView: true, hit: true }, '"Your choices" is in view and on top');
  await byId(p, 'candor-reopen').click();
  await byId(p, 'candor-save').waitFor({ state: 'visible' });
  await context.close();
});

test('a single-page app that replaces <body> does not take the prompt away: it comes back, decisions and withdrawal still work', async () => {
  const { context, p } = await open('/');
  await p.evaluate(() => { document.body.innerHTML = '<main><h1>Rendered by the app</h1></main>'; });
  await byId(p, 'candor-reject-all').waitFor({ state: 'visible' });
  await byId(p, 'candor-accept-all').click();
  await p.waitForFunction(() => window.candor.consent().decided);
  // A framework swapping the whole body element.
  await p.evaluate(() => { const b = document.createElement('body'); b.innerHTML = '<main>Route 2</main>'; document.body = b; });
  await byId(p, 'candor-reopen').waitFor({ state: 'visible' });
  await p.evaluate(() => document.body.replaceChildren(document.createElement('main')));
  await p.evaluate(() => window.candor.open());
  await byId(p, 'candor-save').waitFor({ state: 'visible' });
  await byId(p, 'candor-reject-all').click();
  await p.waitForFunction(() => window.candor.consent().purposes.stats === false);
  assert.equal(await p.locator('candor-consent').count(), 1, 'one prompt, not several');
  await context.close();
});

test('a page that removes every element it did not create stays responsive; a restored copy of <body> leaves one prompt', async () => {
  const { context, p } = await open('/');
  // An app shell that keeps <body> to its own root, on every change.
  const alive = await p.evaluate(async () => {
    const app = document.createElement('div');
    app.id = 'app';
    document.body.replaceChildren(app);
    new MutationObserver(() => { for (const c of [...document.body.children]) if (c !== app) c.remove(); })
      .observe(document.body, { childList: true });
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 300));
    return performance.now() - t0 < 5000;
  });
  assert.equal(alive, true);
  assert.ok(await p.locator('candor-consent').count() <= 1);
  await context.close();

  const second = await open('/');
  const hosts = await second.p.evaluate(async () => {
    const snapshot = document.body.cloneNode(true);
    document.body.replaceWith(document.createElement('body'));
    await new Promise((r) => setTimeout(r, 50));
    document.body.replaceWith(snapshot);
    await new Promise((r) => setTimeout(r, 50));
    return document.querySelectorAll('candor-consent').length;
  });
  assert.equal(hosts, 1);
  await byId(second.p, 'candor-reject-all').click();
  await second.p.waitForFunction(() => window.candor.consent().decided);
  await second.context.close();
});

test('a page that replaces <body>, or closes its splash dialog, while the banner is being shown: the banner is back, on top, and works', async () => {
  for (const url of ['/swap.html', '/splash.html']) {
    const { context, p } = await open(url);
    assert.equal(await p.locator('candor-consent').count(), 1, url);
    assert.equal(await p.evaluate(() => document.querySelector('candor-consent').shadowRoot.querySelector('.root').matches(':popover-open')), true, url);
    await byId(p, 'candor-reject-all').click();
    await p.waitForFunction(() => window.candor.consent().decided);
    await context.close();
  }
});

test("a page's own modal dialog: the prompt waits under it (not shown as usable above it), and is on top again once it closes", async () => {
  const { context, p } = await open('/');
  const onTop = () => p.evaluate(() => document.querySelector('candor-consent').shadowRoot.querySelector('.root').matches(':popover-open'));
  assert.equal(await onTop(), true);
  await p.evaluate(() => {
    const d = document.createElement('dialog');
    d.id = 'age-gate';
    d.innerHTML = '<p>Are you 18?</p><button id="yes">Yes</button>';
    document.body.append(d);
    d.showModal();
  });
  await p.waitForFunction(() => !document.querySelector('candor-consent').shadowRoot.querySelector('.root').matches(':popover-open'));
  await p.evaluate(() => document.getElementById('age-gate').close());
  await p.waitForFunction(() => document.querySelector('candor-consent').shadowRoot.querySelector('.root').matches(':popover-open'));
  await byId(p, 'candor-accept-all').click();
  await p.waitForFunction(() => window.candor.consent().decided);
  await context.close();
});

test('a page that moves the prompt (wraps its body in a transformed container, as smooth-scroll shells do): it is back on top and usable', async () => {
  const { context, p } = await open('/', { viewport: { width: 1000, height: 700 } });
  const onTop = () => p.evaluate(() => document.querySelector('candor-consent').shadowRoot.querySelector('.root').matches(':popover-open'));
  assert.equal(await onTop(), true);
  await p.evaluate(() => {
    const wrap = document.createElement('div');
    wrap.style.transform = 'translate3d(0,0,0)';
    wrap.style.height = '3000px';
    wrap.append(...document.body.childNodes);
    document.body.append(wrap);
  });
  // Moving an element closes its popover; the prompt puts itself back.
  await p.waitForFunction(() => document.querySelector('candor-consent').shadowRoot.querySelector('.root').matches(':popover-open'));
  const inView = await byId(p, 'candor-accept-all').evaluate((b) => { const r = b.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; });
  assert.ok(inView, 'the first layer is in the viewport, not carried off by the transformed ancestor');
  // And after the decision, "Your choices" too.
  await byId(p, 'candor-accept-all').click();
  await p.waitForFunction(() => window.candor.consent().decided);
  await p.evaluate(() => document.body.append(document.querySelector('candor-consent')));
  await p.waitForFunction(() => document.querySelector('candor-consent').shadowRoot.querySelector('.root').matches(':popover-open'));
  await context.close();
});

test('fullscreen: the prompt waits under a fullscreen element and is on top again when fullscreen ends', async () => {
  const { context, p } = await open('/');
  const onTop = () => p.evaluate(() => document.querySelector('candor-consent').shadowRoot.querySelector('.root').matches(':popover-open'));
  await p.evaluate(() => {
    const b = document.createElement('button');
    b.id = 'fs';
    b.textContent = 'Full screen';
    b.onclick = () => document.getElementById('player').requestFullscreen();
    const v = document.createElement('div');
    v.id = 'player';
    v.textContent = 'video';
    document.body.prepend(b, v);
  });
  await p.locator('#fs').click();
  await p.waitForFunction(() => document.fullscreenElement !== null);
  // Something the page does meanwhile makes Candor look again: it sees the fullscreen element as modal.
  await p.evaluate(() => { const d = document.createElement('dialog'); document.body.append(d); d.remove(); });
  await p.waitForFunction(() => !document.querySelector('candor-consent').shadowRoot.querySelector('.root').matches(':popover-open'));
  await p.evaluate(() => document.exitFullscreen());
  await p.waitForFunction(() => document.fullscreenElement === null);
  await p.waitForFunction(() => document.querySelector('candor-consent').shadowRoot.querySelector('.root').matches(':popover-open'), null, { timeout: 3000 });
  assert.equal(await onTop(), true);
  await context.close();
});

test('a site text naming {purposes} more than once has each filled in', async () => {
  const { context, p } = await open('/twice.html');
  const asks = await h.prompt(p).locator('p.asks').innerText();
  assert.equal(asks, 'You can allow Count visits, Show videos. Again: Count visits, Show videos.');
  await context.close();
});

test('WCAG 2.4.11 on a page shorter than the window (a phone held sideways): a focused page button is scrolled above the banner', async () => {
  for (const viewport of [{ width: 812, height: 375 }, { width: 568, height: 320 }]) {
    const { context, p } = await open('/', { viewport });
    let seen = null;
    for (let i = 0; i < 6 && !seen; i++) {
      await p.keyboard.press('Tab');
      seen = await p.evaluate(() => {
        const a = document.activeElement;
        if (!a || a.id !== 'page-button') return null;
        const c = document.querySelector('candor-consent').shadowRoot.querySelector('[data-testid="candor-prompt"]').getBoundingClientRect();
        const e = a.getBoundingClientRect();
        return { top: e.top, bottom: e.bottom, banner: c.top };
      });
    }
    assert.ok(seen, 'the page button got focus');
    assert.ok(seen.bottom <= seen.banner && seen.top >= 0, `${JSON.stringify(viewport)}: ${JSON.stringify(seen)}`);
    await context.close();
  }
});

test('WCAG 3.1.2: the live regions and the × say in which language their text is (a borrowed English line in an Arabic prompt)', async () => {
  const { context, p } = await open('/parts.html');
  const langs = async () => p.evaluate(() => {
    const root = document.querySelector('candor-consent').shadowRoot;
    const of = (e) => [e.getAttribute('lang'), e.getAttribute('dir')];
    return { announce: of(root.querySelector('[data-testid="candor-announce"]')), close: of(root.querySelector('[data-testid="candor-close"]')),
      closeLabel: root.querySelector('[data-testid="candor-close"]').getAttribute('aria-label') };
  });
  await byId(p, 'candor-reject-all').click();
  await p.waitForFunction(() => document.querySelector('candor-consent').shadowRoot.querySelector('[data-testid="candor-announce"]').textContent !== '');
  const after = await langs();
  assert.deepEqual(after.announce, ['en', 'ltr'], 'the English "saved" line in an Arabic prompt');
  assert.equal(after.closeLabel, 'Close');
  assert.deepEqual(after.close, ['en', 'ltr'], 'the × named in English once decided');
  await context.close();
});
