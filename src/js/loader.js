// Candor loader: the classic script a site adds with one tag.
// It runs synchronously while the page parses, so it captures its own <script>
// element, installs window.candor at once (calls made before the wasm is ready
// are queued and answered later), finds the config (data-config URL or the
// inline <script type="application/json" id="candor-config">, before or after
// this tag), loads candor_bg.wasm next to itself, and boots the Rust core.
// No eval, no inline styles: it runs under a strict CSP.
//
// The same code also backs the ES module (dist/candor.mjs): build.sh wraps it
// in a function of `options` ({config | configUrl, wasmUrl}, already checked
// by src/js/esm.js); the classic script passes null and reads its own tag.
// Either way it returns window.candor (the existing one if Candor already runs).
// Outside a browser (a server-side render that requires the package) there
// is nothing to do, and nothing may throw.
if (typeof window === 'undefined' || typeof document === 'undefined') return null;
// Named <img>, <form>, <embed>, <object> and <iframe> elements show up as
// properties of document, over its own (DOM clobbering: user content with
// <img name="currentScript" data-config="/evil.json"> would otherwise pass
// for this tag). Read through Document.prototype's getters, they cannot.
function docGet(name, from) {
  return Object.getOwnPropertyDescriptor(from || Document.prototype, name).get.call(document);
}
var script = options ? null : docGet('currentScript') || Document.prototype.querySelector.call(document, 'script[src*="candor.js"]');
// Names of document that Candor (this loader, the wasm's glue) reads. One
// hidden by an element stops the boot with an error naming it: the prompt
// would go into an <img name="body">, a listener onto a form.
var DOC_NAMES = ['activeElement', 'addEventListener', 'adoptNode', 'baseURI', 'body', 'contains', 'cookie', 'createElement',
  'createTextNode', 'currentScript', 'dispatchEvent', 'documentElement', 'fullscreenElement', 'head', 'hidden', 'implementation',
  'querySelector', 'querySelectorAll', 'readyState', 'removeEventListener', 'visibilityState'];
// Only elements count (one, several as a collection, a named frame's
// window): a page script that replaced document.createElement or the
// cookie accessor with a function of its own is not markup.
function byElement(v) {
  if (v === null || typeof v !== 'object') return false;
  try {
    return v instanceof Element || v instanceof HTMLCollection || v.window === v;
  } catch (e) {
    return true; // a cross-origin frame's window
  }
}
function hiddenDocName() {
  var name = DOC_NAMES.filter(function (n) {
    return Object.prototype.hasOwnProperty.call(document, n) && byElement(Object.getOwnPropertyDescriptor(document, n).value);
  })[0];
  if (!name) return null;
  var hider = document[name];
  var attr = hider instanceof Element && hider.getAttribute('name') !== name ? 'id' : 'name';
  var tag = hider instanceof Element ? '<' + hider.tagName.toLowerCase() + ' ' + attr + '="' + name + '">' : 'more than one element, or a frame';
  return 'the page has an element named "' + name + '" (' + tag + '), which hides document.' + name +
    ': Candor does not start, nothing is shown or granted; rename it, or have the sanitizer of user content drop name attributes';
}
// Candor's own window.candor is a read-only own property of window holding
// an object marked __candor. Read that way, not as window.candor.__candor:
// elements named "candor" in the page (<a id="candor" name="__candor">, a
// form with such a field) show up as window.candor too, and must not pass
// for a running Candor (it would never start).
var running = Object.getOwnPropertyDescriptor(window, 'candor');
if (running && !running.configurable && !running.writable && running.value && typeof running.value === 'object' &&
    Object.prototype.hasOwnProperty.call(running.value, '__candor') && running.value.__candor === true) {
  // A second tag (a template that adds its own): its config is not read.
  if (script && script.getAttribute('data-config')) {
    console.warn('candor: Candor already runs on this page; this candor.js tag is ignored, its data-config too');
  }
  return running.value;
}
var start = options || {
  configUrl: script && script.getAttribute('data-config'),
  wasmUrl: new URL('candor_bg.wasm', script ? script.src : docGet('baseURI', Node.prototype)),
};

// The nonce of Candor's own <script> (for the ES module, which cannot see
// its tag: the first nonce-carrying script of the page). With one, a gated
// script activates only with the same nonce (see src/shell/activate.rs).
var pageNonce = script ? script.nonce || '' : (function () {
  var s = document.querySelector('script[nonce]');
  return s && s.nonce || '';
})();
// A tag without a nonce on a page whose scripts carry one: Candor was added
// by another script (a loader, a tag manager) under 'strict-dynamic',
// which trusts every script Candor creates. The nonce is not borrowed from
// the page (markup injected into it could carry any nonce attribute), so
// the check is off, and the site owner is told.
if (script && !pageNonce) {
  var nonced = Document.prototype.querySelectorAll.call(document, 'script[nonce]');
  for (var n = 0; n < nonced.length; n++) {
    if (nonced[n].nonce) {
      console.warn('candor: the page\'s scripts carry a nonce but Candor\'s own <script> has none (was it added by another script?): ' +
        'gated scripts are then run without a nonce check, which under \'strict-dynamic\' is what keeps injected markup from running; ' +
        'give Candor\'s tag the page\'s nonce');
      break;
    }
  }
}

// The decision's durable copy, in IndexedDB (database "candor", store "kv",
// key "candor.consent"): the mark of the last erase ("erased:" and its Unix
// seconds), if any, then the last DURABLE_KEEP records the core wrote to
// localStorage's candor.consent, oldest first ("" for a removal; an erase
// forgets the records before it). The core adds each
// write (keepDecision, called from src/shell/storage.rs) in a transaction
// with strict durability, which is on disk when it completes. Chromium
// writes localStorage to disk up to about a minute late, so a browser
// killed in that time comes back with a record from before its last
// writes; the core recognises that at the next boot and honours a lost
// withdrawal or erase (src/consent.rs, reconcile).
var DECISION = 'candor.consent', ERASED_MARK = 'erased:', DURABLE_KEEP = 4;
var durableDb = null, durableQueue = [], durableKept = null;
var durableRead = new Promise(function (resolve) {
  var open;
  try { open = indexedDB.open('candor', 1); } catch (e) { durableQueue = null; return resolve(); }
  open.onupgradeneeded = function () { open.result.createObjectStore('kv'); };
  open.onerror = open.onblocked = function () { durableQueue = null; resolve(); };
  open.onsuccess = function () {
    var db = open.result, get, snapshot;
    db.onversionchange = function () { db.close(); durableDb = null; durableQueue = null; };
    try {
      // Read with localStorage in one task: if another tab changes the
      // decision before the boot reads it, the two are not compared.
      get = db.transaction('kv').objectStore('kv').get(DECISION);
      snapshot = localStorage.getItem(DECISION);
      get.onsuccess = function () {
        var written = get.result;
        if (Array.isArray(written) && written.length && written.every(function (t) { return typeof t === 'string'; })) {
          durableKept = written;
          resolve({ snapshot: snapshot, written: written.join('\u001f') });
        } else {
          // No copy yet (a decision stored before there was one): it starts
          // from what localStorage holds, if anything.
          if (snapshot) keepDecision(snapshot);
          resolve();
        }
      };
      get.onerror = function () { resolve(); };
    } catch (e) { resolve(); }
    durableDb = db;
    var queued = durableQueue || [];
    durableQueue = [];
    queued.forEach(keepDecision);
  };
});
function isMark(t) { return String(t).indexOf(ERASED_MARK) === 0; }
// Adds a write to the copy.
function keepDecision(text) {
  if (!durableDb) { if (durableQueue) durableQueue.push(text); return; }
  try {
    var tx = durableDb.transaction('kv', 'readwrite', { durability: 'strict' }), store = tx.objectStore('kv');
    var get = store.get(DECISION), written;
    get.onsuccess = function () {
      // The last erase's mark stays first, then the last DURABLE_KEEP records.
      var old = isMark(text) || !Array.isArray(get.result) ? [] : get.result;
      var mark = old.filter(isMark).slice(-1);
      written = old.filter(function (t) { return !isMark(t); });
      if (written[written.length - 1] !== text) written.push(text);
      written = mark.concat(written.slice(-DURABLE_KEEP));
      store.put(written, DECISION);
    };
    tx.oncomplete = function () { durableKept = written; };
  } catch (e) { /* closed or refused: localStorage alone holds it */ }
}
// The bytes of the decisions the copy holds (UTF-16 units x 2), for "Your data"; null: none.
function keptDecisionBytes() {
  var bytes = 0;
  (durableKept || []).forEach(function (t) { if (!isMark(t)) bytes += t.length * 2; });
  return bytes || null;
}
// The copy to settle localStorage's record against, or undefined: none, not
// read within DURABLE_WAIT_MS, or localStorage changed since it was read.
function durableCopy(read) {
  try { return read && localStorage.getItem(DECISION) === read.snapshot ? read.written : undefined; } catch (e) { return undefined; }
}

var sdk = null;
var failure = null;
var queue = [];
var resolveReady;
var ready = new Promise(function (resolve) { resolveReady = resolve; });
// track's answers by the wasm's code (code - 1). Code 4, past its
// max_per_window, is not a refusal: the event is valid and consented but not
// counted (the contribution bound the noise is calibrated to), and CONTRACT
// §3 closes the list of reasons, so it is an acceptance that says so.
var REASONS = ['no-consent', 'unknown-event', 'invalid-field', 'capped', 'not-ready'];
var ACCEPTED = Object.freeze({ accepted: true });
var REFUSED = REASONS.map(function (r) {
  return Object.freeze(r === 'capped' ? { accepted: true, capped: true } : { accepted: false, reason: r });
});
var NOT_READY = REFUSED[4];
var UNDECIDED = { revision: null, decided: false, purposes: {}, updated_at: null };

// Every candor:* event, the core's too (src/shell/dom.rs): one raised by a
// listener waits until the current one has reached every listener.
var emitting = false, emitQueue = [];
function emit(name, detail) {
  emitQueue.push([name, detail]);
  if (emitting) return;
  emitting = true;
  try {
    while (emitQueue.length) {
      var next = emitQueue.shift();
      EventTarget.prototype.dispatchEvent.call(document, new CustomEvent('candor:' + next[0], { detail: next[1] }));
    }
  } finally {
    emitting = false;
  }
}
function emitEvent(name, detail) { emit(name, detail); }

function undecided() { return JSON.parse(JSON.stringify(UNDECIDED)); }

// What calls answer after a failed boot: the values their types promise,
// with nothing decided and nothing stored.
function fallback(name) {
  if (name === 'erase') eraseStopped();
  if (name === 'flush') return { sent: 0 };
  if (name === 'open') return undefined;
  if (name === 'inspect') return inspectStopped();
  return undecided();
}

// inspect() after a failed boot: the wasm holds nothing, but what earlier
// pages stored is still in this browser, and the visitor may look (and
// erase()). Its keys and sizes (UTF-16 units x 2, as the wasm counts them),
// and the reports waiting to be sent; nothing is granted, nothing sent.
function inspectStopped() {
  var storage = [], pending = [];
  [function () { return localStorage; }, function () { return sessionStorage; }].forEach(function (area) {
    try {
      var s = area();
      for (var i = 0; i < s.length; i++) {
        var key = s.key(i);
        if (typeof key !== 'string' || key.indexOf('candor.') !== 0) continue;
        var value = s.getItem(key) || '';
        storage.push({ key: key, bytes: value.length * 2 });
        if (key.indexOf('candor.report.') === 0) {
          try { var r = JSON.parse(value); if (r && typeof r === 'object' && !Array.isArray(r)) pending.push(r); } catch (e) { /* unreadable: listed as a key only */ }
        }
      }
    } catch (e) { /* storage blocked: nothing to list from it */ }
  });
  storage.sort(function (a, b) { return a.key < b.key ? -1 : a.key > b.key ? 1 : 0; });
  var dropped = 0;
  try { dropped = Math.max(0, parseInt(localStorage.getItem('candor.dropped'), 10) || 0); } catch (e) { /* blocked: none counted */ }
  var durable = keptDecisionBytes();
  return { consent: undecided(), storage: storage, durable: durable && { key: 'IndexedDB candor', bytes: durable },
    pending: pending, open: [], dropped: dropped, history: [], receipts: [] };
}

// erase() after a failed boot (an invalid config, no WebAssembly): the wasm
// holds nothing, but earlier pages may have stored a decision, counts and
// receipts. They are deleted here; the receipts' ids stay listed in
// candor.forget, so the next page that boots asks the collector to delete
// its copies (this one does not know where the collector is).
function eraseStopped() {
  var owed = [];
  var ids = function (key, pick) {
    try {
      var list = JSON.parse(localStorage.getItem(key));
      if (Array.isArray(list)) list.forEach(function (item) {
        var id = pick(item);
        if (typeof id === 'string' && owed.indexOf(id) < 0) owed.push(id);
      });
    } catch (e) { /* unreadable: nothing owed from it */ }
  };
  ids('candor.forget', function (id) { return id; });
  ids('candor.receipts', function (kept) { return kept && kept.receipt && kept.receipt.receipt_id; });
  ['localStorage', 'sessionStorage'].forEach(function (name) {
    try {
      var store = window[name], keys = [];
      for (var i = 0; i < store.length; i++) if (String(store.key(i)).indexOf('candor.') === 0) keys.push(store.key(i));
      keys.forEach(function (key) { store.removeItem(key); });
    } catch (e) { /* blocked storage holds nothing of ours */ }
  });
  try { if (owed.length) localStorage.setItem('candor.forget', JSON.stringify(owed)); } catch (e) { /* nothing to keep it in */ }
  keepDecision(ERASED_MARK + Math.floor(Date.now() / 1000));
  // The consent cookie, host-only or set for a parent domain (the config that named it is not readable).
  var host = location.hostname.split('.');
  for (var j = 0; j <= host.length; j++) {
    var domain = j < host.length ? '; Domain=' + host.slice(j).join('.') : '';
    try { document.cookie = 'candor_consent=; Path=/; Max-Age=0' + domain; } catch (e) { /* cookies blocked */ }
  }
}

// Calls before boot wait in `queue`; after a failed boot they get their fallback.
function method(name) {
  return function () {
    var args = Array.prototype.slice.call(arguments);
    if (sdk) return sdk[name].apply(sdk, args);
    // A list given now (grant's ids) is copied now, not read at replay.
    args = args.map(function (a) { return Array.isArray(a) ? a.slice() : a; });
    if (failure) return fallback(name);
    return new Promise(function (resolve, reject) { queue.push([name, args, resolve, reject]); });
  };
}

// track's fields become a flat [name, value, ...] array of strings and
// numbers, so the Rust side never touches arbitrary JS objects (getters,
// proxies, cycles). Returns null when the fields cannot be valid, with the
// reason in `flatWhy` (for the debug log).
var flatWhy;
function flatten(fields) {
  if (fields === undefined || fields === null) return [];
  flatWhy = 'fields must be an object';
  if (typeof fields !== 'object' || Array.isArray(fields)) return null;
  // A Map, Set or Date has no own fields to read: it would count as an event
  // without its fields, silently. (Read by tag, so one from another frame too.)
  var tag = Object.prototype.toString.call(fields).slice(8, -1);
  if (tag === 'Map' || tag === 'Set' || tag === 'Date') {
    flatWhy = 'fields must be a plain object, not a ' + tag;
    return null;
  }
  var out = [];
  for (var key in fields) {
    if (!Object.prototype.hasOwnProperty.call(fields, key)) continue;
    flatWhy = 'more than 32 fields';
    if (out.length >= 64) return null;
    var value = fields[key];
    // A field set to undefined is a field not given (as JSON leaves it
    // out): `{path, ref: maybeUndefined}` counts the event.
    if (value === undefined) continue;
    if (typeof value === 'string') {
      // Listed category values are at most 128 characters (code points, so
      // at most 256 UTF-16 units); a longer string can only count as
      // "other", so only a marker crosses the boundary.
      if (value.length > 256) value = '\u0000';
    } else if (typeof value !== 'number') {
      flatWhy = 'field ' + JSON.stringify(String(key)) + ' must be a string or a number';
      return null;
    }
    out.push(String(key), value);
  }
  return out;
}

function track(name, fields) {
  try {
    if (!sdk) {
      // CONTRACT §3: before the SDK is ready an event is not recorded
      // (a site that retries after `candor.ready` would otherwise count it
      // twice). Call track from `candor.ready.then(...)` to record it.
      // After a failed boot nothing can ever be granted: no-consent, not a
      // not-ready a site would wait out for ever.
      return failure ? REFUSED[0] : NOT_READY;
    }
    if (typeof name !== 'string' || name.length > 64) return REFUSED[1];
    var flat = flatten(fields);
    if (flat === null) return REFUSED[sdk.refuse(name, 3, flatWhy) - 1];
    var code = sdk.track(name, flat);
    return code === 0 ? ACCEPTED : REFUSED[code - 1];
  } catch (e) {
    return REFUSED[2];
  }
}

// candor.on(purpose, callback): runs once the purpose is granted (now, if it already is).
// A watcher leaves the list before its callback runs, and consent is read again
// before each one: a callback may change consent (which runs this again from
// the candor:consent event) and every callback still runs exactly once.
var watchers = [];
function runWatchers() {
  if (!sdk) return;
  for (;;) {
    var c = sdk.consent();
    var i = 0;
    while (i < watchers.length && c.purposes[watchers[i].purpose] !== true) i++;
    if (i === watchers.length) return;
    var w = watchers.splice(i, 1)[0];
    try { w.callback(c); } catch (e) { console.error('candor: callback for "' + w.purpose + '" threw', e); }
  }
}
EventTarget.prototype.addEventListener.call(document, 'candor:consent', runWatchers);

// grant/deny take a plain copy of their ids, so a Proxy, a getter that
// throws or a non-string gets an error naming the bad entry.
function withIds(name, call) {
  return function (ids) {
    var copy = [];
    try {
      if (!Array.isArray(ids)) throw new TypeError('expected an array of purpose ids');
      // A config declares at most 32 purposes: a longer list is a mistake,
      // refused whole rather than read in part.
      if (ids.length > 1000) throw new TypeError('expected at most 1000 purpose ids, got ' + ids.length);
      for (var i = 0, n = ids.length; i < n; i++) {
        var v = ids[i];
        if (typeof v !== 'string') throw new TypeError('ids[' + i + '] is not a string');
        copy.push(v);
      }
    } catch (e) {
      throw new TypeError('candor.' + name + '(ids): ' + (e instanceof TypeError ? e.message : 'ids could not be read'));
    }
    return call(copy);
  };
}

function withView(call) {
  return function (view) {
    if (view !== undefined && view !== 'preferences' && view !== 'data') {
      throw new TypeError('candor.open(view): view must be "preferences" or "data"' +
        (typeof view === 'string' ? ', not ' + JSON.stringify(view.slice(0, 40)) + (view.length > 40 ? '…' : '')
          : view === null ? ', not null' : ', not ' + (typeof view === 'object' ? 'an ' : 'a ') + typeof view));
    }
    return view === undefined ? call() : call(view);
  };
}

var candor = {
  version: '0.1.0',
  ready: ready,
  error: null,
  consent: function () { return sdk ? sdk.consent() : undecided(); },
  grant: withIds('grant', method('grant')),
  deny: withIds('deny', method('deny')),
  acceptAll: method('acceptAll'),
  rejectAll: method('rejectAll'),
  withdraw: method('withdraw'),
  open: withView(method('open')),
  erase: method('erase'),
  inspect: method('inspect'),
  track: track,
  on: function (purpose, callback) {
    if (typeof purpose !== 'string' || typeof callback !== 'function') {
      throw new TypeError('candor.on(purpose, callback): expected a purpose id and a function');
    }
    // A purpose the config does not declare can never be granted: said, as
    // grant() would refuse it (before the boot, the config is not known yet).
    // Said after the boot for a call made before it.
    if (sdk) unknownPurpose(purpose);
    var w = { purpose: purpose, callback: callback };
    watchers.push(w);
    runWatchers();
    return function off() { watchers = watchers.filter(function (x) { return x !== w; }); };
  },
  flush: function () {
    if (sdk) return sharedFlush();
    if (failure) return Promise.resolve({ sent: 0 });
    return new Promise(function (resolve, reject) { queue.push(['flush', [], resolve, reject]); });
  },
};
// Marks Candor's own object (see the check at the top), out of its keys.
Object.defineProperty(candor, '__candor', { value: true });
try {
  Object.defineProperty(window, 'candor', { value: candor, configurable: false, writable: false, enumerable: true });
} catch (e) {
  // The page made window.candor a property that cannot be replaced: the
  // API would be out of reach, so Candor does not start (nothing shown or
  // granted), and says why instead of throwing into the page.
  console.error('candor: window.candor is taken by the page (a property that cannot be redefined): Candor does not start, nothing is shown or granted');
  try { document.dispatchEvent(new CustomEvent('candor:error', { detail: { code: 'boot', message: 'window.candor is taken by the page' } })); } catch (e2) { /* nothing more to say */ }
  return null;
}
// Checked again once the page is parsed (the boot below), for elements after this tag.
if (hiddenDocName()) {
  fail('boot', hiddenDocName());
  return candor;
}

// candor.qa, present only in QA mode (config "qa").
function qaApi(sdk) {
  return Object.freeze({
    // A bad argument rejects the promise (as its type says), never throws.
    advance: function (seconds) {
      // A number only: the binding would turn null, true, "5" or [5] into one.
      if (typeof seconds !== 'number') {
        return Promise.reject(new TypeError('candor.qa.advance(seconds): expected a number of seconds, got ' + (seconds === null ? 'null' : typeof seconds)));
      }
      if (!(seconds >= 0 && seconds <= 315360000)) {
        return Promise.reject(new RangeError('candor.qa.advance(seconds): expected 0 to ten years (315360000 seconds), got ' + seconds));
      }
      try { return sdk.qaAdvance(seconds); } catch (e) { return Promise.reject(e); }
    },
    reports: function () { return sdk.qaReports(); },
    now: function () { return sdk.qaNow(); },
    noise: function (on) {
      if (typeof on !== 'boolean') throw new TypeError('candor.qa.noise(on): expected true or false, got ' + typeof on);
      sdk.qaNoise(on);
    },
    idle: function () {
      return new Promise(function (resolve) {
        (function poll() { if (sdk.qaBusy()) setTimeout(poll, 10); else resolve(); })();
      });
    },
  });
}

// A gated inline script runs when the core puts its copy in the page
// (src/shell/activate.rs), after the page was parsed. A document.write then
// (an ad or pixel snippet written for the parser) would open a new document
// and replace the whole page, Candor's prompt and listeners too. While it
// runs, document.write and writeln collect what it writes instead, which
// goes after the script (its <script>s run, as written ones would), with a
// warning; a page that replaced document.write itself keeps its own.
var headWrites = null;
function runInline(anchor, script) {
  var written = [];
  var own = Object.prototype.hasOwnProperty.call(document, 'write') || Object.prototype.hasOwnProperty.call(document, 'writeln');
  if (own) return Element.prototype.after.call(anchor, script);
  var running = true;
  var what = 'a gated <script data-candor-purpose=' + JSON.stringify(anchor.getAttribute('data-candor-purpose')) +
    '> called document.write after the page was parsed, which would have replaced the whole page: ';
  // What it writes goes before `marker`, put in before the script runs (a
  // script that removes itself keeps its place). Written from <head>, it
  // goes at the start of <body>, as the parser would have put it, in order.
  var marker = Document.prototype.createTextNode.call(document, '');
  var head = docGet('head'), body = docGet('body');
  var fromHead = head && body && head.contains(anchor);
  // Node by node, so what a written script writes in turn comes right
  // after it, before the rest (an ad chain), as the parser would place it.
  function put(html, before, depth) {
    var range = document.createRange();
    range.setStartBefore(before);
    var fragment = range.createContextualFragment(html);
    while (fragment.firstChild) {
      // A written script that took the insertion point out of the page: the rest has nowhere to go.
      if (!before.parentNode) throw new Error('the script it wrote moved the place it writes to');
      before.before(fragment.firstChild);
      if (written.length && depth < 20) {
        var more = written.join('');
        written = [];
        put(more, before, depth + 1);
      }
    }
  }
  function place(html, before) {
    try {
      put(html, before, 0);
      console.warn('candor: ' + what + 'what it wrote was put after the script instead');
    } catch (e) {
      console.warn('candor: ' + what + 'what it wrote could not be put in (' + (e && e.message || e) + ') and was left out');
    }
  }
  function collect(end) {
    return function () {
      var html = Array.prototype.join.call(arguments, '') + end;
      if (running) return written.push(html);
      // Called later, through a wrapper the script kept of it: after the
      // script, or at the end of <body>, never over the page.
      var late = Document.prototype.createTextNode.call(document, '');
      if (script.parentNode) script.after(late); else if (docGet('body')) docGet('body').append(late); else return;
      place(html, late);
      late.remove();
    };
  }
  var write = collect(''), writeln = collect('\n');
  try {
    Object.defineProperty(document, 'write', { value: write, configurable: true, writable: true });
    Object.defineProperty(document, 'writeln', { value: writeln, configurable: true, writable: true });
    if (fromHead) {
      if (!headWrites || !headWrites.parentNode) { headWrites = marker; body.prepend(marker); }
      Element.prototype.after.call(anchor, script);
    } else {
      Element.prototype.after.call(anchor, marker);
      marker.before(script);
    }
    if (written.length) {
      var html = written.join('');
      written = [];
      place(html, fromHead ? headWrites : marker);
    }
  } finally {
    running = false;
    if (!fromHead) marker.remove();
    // A script that put its own document.write in place keeps it (async ad
    // loaders do); only Candor's collectors go.
    if (document.write === write) delete document.write;
    if (document.writeln === writeln) delete document.writeln;
  }
}

// candor.on() for a purpose the config does not declare (said once per id).
var saidUnknown = [];
function unknownPurpose(purpose) {
  if (Object.prototype.hasOwnProperty.call(sdk.consent().purposes, purpose) || saidUnknown.indexOf(purpose) >= 0) return;
  saidUnknown.push(purpose);
  var shown = purpose.length > 64 ? purpose.slice(0, 64) + '…' : purpose;
  console.warn('candor: candor.on(' + JSON.stringify(shown) + ', …): no such purpose in the config, so the callback never runs');
}

// flush() calls made while one runs share one more round after it (which
// sends what was tracked meanwhile): many calls at once against a collector
// that does not answer settle within two rounds, not one round each.
var flushing = null, flushAgain = null;
function sharedFlush() {
  function round() {
    flushing = Promise.resolve(sdk.flush());
    var mine = flushing;
    function done() { if (flushing === mine) flushing = null; }
    mine.then(done, done);
    return mine;
  }
  if (!flushing) return round();
  if (!flushAgain) {
    // What the running round acknowledged counts for those who waited for it too.
    var again = function (first) {
      flushAgain = null;
      return round().then(function (r) { return { sent: (first && first.sent || 0) + r.sent }; });
    };
    flushAgain = flushing.then(again, function () { return again(null); });
  }
  return flushAgain;
}

function settle() {
  EventTarget.prototype.removeEventListener.call(document, 'securitypolicyviolation', onRefused);
  var waiting = queue;
  queue = [];
  waiting.forEach(function (call) {
    var name = call[0], args = call[1], resolve = call[2], reject = call[3];
    if (name === 'track') return resolve(track(args[0], args[1]));
    if (!sdk) return resolve(fallback(name));
    try { resolve(name === 'flush' ? sharedFlush() : sdk[name].apply(sdk, args)); } catch (e) { reject(e); }
  });
  resolveReady();
  if (sdk) {
    watchers.forEach(function (w) { unknownPurpose(w.purpose); });
    emit('ready', sdk.consent());
    runWatchers();
  }
}

function fail(code, message, alreadyReported) {
  failure = { code: code, message: message };
  candor.error = failure;
  if (!alreadyReported) {
    console.error('candor: ' + message);
    emit('error', failure);
  }
  settle();
}

// How long the boot waits before it gives up, so a server that never
// answers cannot leave candor.ready pending forever: the config, body
// included, within 10 s; the wasm's response headers within 30 s (its body
// may then take as long as the line needs).
var CONFIG_WAIT_MS = 10000;
var WASM_WAIT_MS = 30000;
// See durableRead.
var DURABLE_WAIT_MS = 500;

// URLs the page's Content-Security-Policy refused while Candor boots: a
// config or wasm fetch it blocks fails as a bare "Failed to fetch", so the
// error names the policy instead. (The violation event is queued as a task
// of its own: `refusedNote` waits one before it looks.)
var refusedUrls = [];
function onRefused(e) {
  if (e.disposition !== 'report' && e.effectiveDirective === 'connect-src') refusedUrls.push(String(e.blockedURI));
}
document.addEventListener('securitypolicyviolation', onRefused);
function refusedNote(url) {
  return new Promise(function (resolve) { setTimeout(resolve, 0); }).then(function () {
    var u = String(url);
    for (var i = 0; i < refusedUrls.length; i++) {
      var b = refusedUrls[i];
      if (b && (u === b || u.indexOf(b.replace(/\/$/, '') + '/') === 0)) {
        return ' (the page\'s Content-Security-Policy refused it: allow ' + new URL(u).origin + ' in connect-src)';
      }
    }
    return '';
  });
}

// fetch(url, init), then read(response), both within `ms`.
function fetchWithin(url, init, ms, read) {
  var ctl = typeof AbortController === 'function' ? new AbortController() : null;
  var timer;
  var late = new Promise(function (resolve, reject) {
    timer = setTimeout(function () {
      reject(new Error('no answer within ' + ms / 1000 + ' s'));
      if (ctl) ctl.abort();
    }, ms);
  });
  if (ctl) init.signal = ctl.signal;
  // The members a page's Object.prototype could turn against these fetches
  // (the browser reads the init through the prototype chain) are given here.
  init.mode = 'cors'; init.redirect = 'follow'; init.integrity = '';
  if (!Object.prototype.hasOwnProperty.call(init, 'cache')) init.cache = 'default';
  // A string URL, and a throw caught: a page's fetch wrapper may expect the
  // one (url.indexOf) and do the other, and the boot must still settle.
  var fetched;
  try { fetched = Promise.resolve(fetch(String(url), init)); } catch (e) { fetched = Promise.reject(e); }
  return Promise.race([fetched.then(read || function (r) { return r; }), late]).then(
    function (r) { clearTimeout(timer); return r; },
    function (e) { clearTimeout(timer); throw e; });
}

function configText() {
  if (typeof start.config === 'string') return Promise.resolve(start.config);
  var url = start.configUrl;
  if (url) {
    // Both ways at once: the URL wins, and the page hears which one.
    var both = function () {
      if (!inlineConfigs().length || both.said) return;
      both.said = true;
      console.warn('candor: the config from ' + (options ? 'load({configUrl})' : 'data-config') + ' (' + url + ') is used; ' +
        'the page\'s <script type="application/json" id="candor-config"> is ignored: keep one of them');
    };
    both();
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', both);
    return fetchWithin(new URL(url, document.baseURI), { credentials: 'same-origin', cache: 'no-cache' }, CONFIG_WAIT_MS, function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.text().then(function (text) {
        // A page where the config should be (a server's catch-all for a
        // wrong path): said as such, with its URL, not as broken JSON.
        if (/^\s*</.test(text)) {
          throw new Error('the answer is ' + (r.headers.get('content-type') || 'markup') + ', not JSON (a page the server shows for a wrong path?)');
        }
        return text;
      });
    }).catch(function (e) {
      return refusedNote(new URL(url, document.baseURI)).then(function (note) {
        // The URL fetched, resolved against the page (and its <base href>).
        var full = String(new URL(url, document.baseURI));
        throw { code: 'config-fetch', message: 'could not load config from ' + full + (full === url ? '' : ' (from "' + url + '")') +
          ': ' + (e && e.message || e) + note };
      });
    });
  }
  return new Promise(function (resolve, reject) {
    function find() {
      var els = inlineConfigs();
      var loading = document.readyState === 'loading';
      if (els.length > 1) {
        return reject({ code: 'config', message: 'found ' + els.length + ' <script type="application/json" id="candor-config"> ' +
          'elements: keep exactly one' });
      }
      // While the page parses, a config with nothing after it may still be
      // arriving (and a second one may follow): read it once parsed.
      if (els.length && !(loading && !els[0].nextSibling)) return resolve(els[0].textContent);
      if (loading) return false;
      reject({ code: 'config', message: 'no config: ' + (options ? 'pass load({config}) or load({configUrl}), '
        : 'add data-config="/candor.config.json" to the script tag, ') +
        'or add a <script type="application/json" id="candor-config"> element to the page' });
    }
    if (find() === false) document.addEventListener('DOMContentLoaded', find);
  });
}

// The page's inline configs: only <script type="application/json"
// id="candor-config"> elements count. Any other element with that id (user
// content a sanitiser let through keeps its id) is not a config.
function inlineConfigs() {
  var all = document.querySelectorAll('script#candor-config');
  var out = [];
  for (var i = 0; i < all.length; i++) {
    if ((all[i].getAttribute('type') || '').trim().toLowerCase() === 'application/json') out.push(all[i]);
  }
  return out;
}

// Resolves once the page has a <body>, or has finished parsing without one
// (an XHTML document may have none: the prompt goes on the root element).
function bodyReady() {
  return new Promise(function (resolve) {
    if (document.body || document.readyState !== 'loading') return resolve();
    document.addEventListener('DOMContentLoaded', function () { resolve(); });
  });
}

var wasmUrl = new URL(start.wasmUrl, document.baseURI);
// Fetched as the glue would (CORS mode, same-origin credentials), so a
// <link rel="preload" as="fetch" crossorigin> of the same URL is used.
var wasm = wasm_bindgen({ module_or_path: fetchWithin(wasmUrl, { credentials: 'same-origin' }, WASM_WAIT_MS) }).catch(function (e) {
  if (typeof WebAssembly !== 'object' || !WebAssembly) {
    throw { code: 'boot', message: 'this browser does not run WebAssembly (or the page removed it), which Candor needs: nothing is shown or granted' };
  }
  return refusedNote(wasmUrl).then(function (note) {
    var text = String(e && e.message || e);
    // The browser's message names 'unsafe-eval'; a page needs only 'wasm-unsafe-eval'.
    if (/unsafe-eval/.test(text) && /Content Security Policy|Content-Security-Policy/i.test(text)) {
      note += ' (allow \'wasm-unsafe-eval\' in the page\'s script-src: \'unsafe-eval\' is not needed)';
    }
    throw { code: 'wasm-load', message: 'could not load ' + wasmUrl + ': ' + text + note +
      // A sandboxed iframe without allow-same-origin: every fetch is cross-origin.
      (self.origin === 'null' || location.origin === 'null' ? ' (this document\'s origin is opaque, as in a sandboxed iframe without allow-same-origin)' : '') };
  });
});
// Whether f is the browser's own function, not a page's stand-in.
function isNative(f) {
  try { return typeof f === 'function' && /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(f)); } catch (e) { return false; }
}

// Runs `run` once the frame being prepared has been painted: after the next
// animation frame, in a task of its own. A page that is not visible paints
// nothing, so it runs at once there; the timer covers a tab hidden meanwhile.
function afterPaint(run) {
  var done = false;
  function once() { if (!done) { done = true; run(); } }
  // The wait rides on the page's requestAnimationFrame and setTimeout: when
  // the page replaced them (fake timers a test installed, which may never
  // fire), the rest of the boot does not wait, or ready would never resolve.
  if (document.visibilityState !== 'visible' || !isNative(window.requestAnimationFrame) || !isNative(window.setTimeout)) return once();
  requestAnimationFrame(function () { setTimeout(once, 0); });
  setTimeout(once, 100);
}

// The page's DOM changes, watched here rather than in the wasm: a busy
// page (a feed, a ticker, a framework re-rendering) changes the DOM many
// times a second, and almost none of it matters to Candor. Each batch is
// read once here; the core is called only for a change that may (bits of
// Sdk.mutated in src/shell/mod.rs): 1, gated content added, removed or
// changed; 2, a <dialog> added, removed, opened or closed, or the prompt's
// element moved or removed (it may have left the top layer, or the page);
// 4, data-src or data-srcset changed.
function watchPage(sdk) {
  var GATED = '[data-candor-purpose]', TOP = 'dialog,candor-consent', EITHER = TOP + ',' + GATED;
  // A page that broke matches() or querySelector() gets the core's own look.
  function holds(e, s) { try { return e.matches(s) || e.querySelector(s) !== null; } catch (x) { return true; } }
  function changed(records) {
    var what = 0;
    for (var i = 0; i < records.length; i++) {
      var r = records[i], name = r.attributeName;
      if (name === 'open') what |= 2;
      else if (name) {
        if (name === 'data-src' || name === 'data-srcset') what |= 4;
        if (name === 'data-candor-purpose' || r.target.hasAttribute('data-candor-purpose')) what |= 1;
      } else {
        for (var l = 0, lists = [r.addedNodes, r.removedNodes]; l < 2; l++) {
          for (var j = 0; j < lists[l].length; j++) {
            var e = lists[l][j];
            if (e.nodeType === 1 && holds(e, EITHER)) what |= (holds(e, GATED) ? 1 : 0) | (holds(e, TOP) ? 2 : 0);
          }
        }
      }
    }
    if (what) sdk.mutated(what, records);
  }
  try {
    new MutationObserver(changed).observe(document, {
      childList: true, subtree: true, attributes: true,
      // open: the page's own modal <dialog>; data-src, data-srcset: an
      // activated iframe or image re-rendered in place with a new URL;
      // data-candor-placeholder: asked for on a waiting iframe after it was added.
      attributeFilter: ['data-candor-purpose', 'open', 'data-src', 'data-srcset', 'data-candor-placeholder'],
    });
  } catch (e) {
    // A page that removed or broke MutationObserver: Candor still works for
    // what the page held at start, and says what it cannot do.
    console.warn('candor: MutationObserver failed (' + (e && e.message || e) + '): gated elements and dialogs the page adds later are not seen');
  }
}

// IndexedDB answers within milliseconds, while the wasm downloads; one that
// hangs does not hold the prompt back for long.
var durable = Promise.race([durableRead, new Promise(function (resolve) { setTimeout(resolve, DURABLE_WAIT_MS); })]);

Promise.all([wasm, configText(), bodyReady(), durable]).then(function (parts) {
  var preset, urlPreset, first;
  try { preset = window.candorPreset === undefined ? undefined : JSON.stringify(window.candorPreset); } catch (e) { preset = '!'; }
  // Every candor parameter, joined with NUL: one given twice is an error, not the first silently.
  try { urlPreset = new URLSearchParams(location.search).getAll('candor').join('\0') || undefined; } catch (e) { urlPreset = undefined; }
  // The banner is built and shown first; the rest of the boot (listeners,
  // gated content, signals, the first upload) waits for its first paint when
  // the core allows it. window.candor keeps queueing calls until then, and
  // candor:ready follows the whole boot as before.
  // The core reports its own failures, with a code (config, boot); one
  // without (a trap) is reported here.
  function stopped(e) {
    sdk = null;
    // A banner already drawn must not stay behind dead: after a failed boot
    // nothing is shown.
    try {
      var drawn = document.querySelectorAll('candor-consent');
      for (var i = 0; i < drawn.length; i++) drawn[i].remove();
    } catch (e2) { /* the page broke the DOM API: nothing more to do */ }
    fail(e && e.code || 'boot', String(e && e.message || e), !!(e && e.code));
  }
  function finish() {
    try {
      // Handed out first: a decision the boot makes (a QA preset) emits
      // candor:consent, whose listeners may call candor.consent() or track().
      sdk = first;
      if (sdk.qaEnabled()) candor.qa = qaApi(sdk);
      first.finish();
      watchPage(sdk);
    } catch (e) {
      delete candor.qa;
      return stopped(e);
    }
    settle();
  }
  var hidden = hiddenDocName();
  if (hidden) return fail('boot', hidden);
  try {
    if (pageNonce) wasm_bindgen.setPageNonce(pageNonce);
    first = wasm_bindgen.bootFirst(parts[1], preset, urlPreset, durableCopy(parts[3]));
  } catch (e) {
    return stopped(e);
  }
  if (first.waitForPaint()) afterPaint(finish);
  else finish();
}, function (e) {
  if (e && e.code) {
    return wasm.then(function () {
      wasm_bindgen.bootError(e.code, e.message);
      fail(e.code, e.message, true);
    }, function () { fail(e.code, e.message); });
  }
  fail('boot', String(e));
});
