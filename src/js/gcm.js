// Google Consent Mode v2 (concatenated after loader.js by scripts/build.sh,
// so it shares the loader's scope: `script`, `sdk`).
//
// Google's tags read consent from `window.dataLayer`, and the `default` must
// be there before any tag runs, so it is pushed right here, synchronously,
// while this script executes and long before the wasm arrives. What it says:
// - the consent types: the config's `google_consent_mode` keys when the
//   config is inline and already in the page, else those of the cached state,
//   else the four v2 types;
// - granted or denied: the cached state (`candor.gcm`, written by the SDK on
//   every decision) only when this script can confirm it is still valid: same
//   revision (from the inline config or the tag's `data-revision`), same
//   mapping when known, not expired. Anything else: all denied.
// With `wait_for_update`, tags wait for the SDK's `update`, pushed on boot
// when a decision is stored, and after every decision, each followed by a
// `{event: 'candor_consent'}` for Tag Manager triggers.
// Nothing is pushed for a page that does not use Consent Mode: the inline
// config has no mapping, the tag has no `data-gcm`, and nothing is cached.
var GCM_TYPES = ['ad_storage', 'ad_user_data', 'ad_personalization', 'analytics_storage'];
// Every type Google defines (config::GCM_TYPES): others are config errors.
var GCM_KNOWN = GCM_TYPES.concat(['functionality_storage', 'personalization_storage', 'security_storage']);
var GCM_WAIT_MS = 500;

// The config, if it is inline and already parsed into the page (it precedes
// this script). Invalid JSON is left to the SDK to report.
function earlyConfig() {
  // load({config}) (the ES module) hands the config over synchronously.
  var text = typeof start.config === 'string' ? start.config : null;
  if (text === null) {
    var els = start.configUrl ? [] : inlineConfigs();
    if (els.length !== 1) return null;
    text = els[0].textContent;
  }
  try {
    var c = JSON.parse(text);
    return c && typeof c === 'object' && !Array.isArray(c) ? c : null;
  } catch (e) {
    return null;
  }
}

// With the config inline, the record is held to the SDK's own rules
// (consent::Consent::load): exactly the config's optional purposes, and
// younger than expires_days (a purpose added or removed, or a shorter
// expiry, without a new revision: the SDK asks again, so nothing is granted
// here either). With the config by URL this script cannot know them; the
// SDK's update on boot corrects the default then.
// The record's shape, as consent::StoredRecord::from_json reads it: these
// five keys and no other, booleans per purpose, a whole updated_at, a known
// method. (JSON.parse keeps the last of duplicated keys where the SDK refuses
// the record; the SDK's update on boot corrects that one case.)
function recordShape(r) {
  if (!r || typeof r !== 'object' || Array.isArray(r)) return false;
  var keys = Object.keys(r).sort().join();
  if (keys !== 'method,purposes,revision,updated_at,v') return false;
  if (r.v !== 1 || typeof r.revision !== 'string' || ['button', 'api', 'gpc'].indexOf(r.method) < 0) return false;
  if (!Number.isInteger(r.updated_at) || r.updated_at < 0) return false;
  if (!r.purposes || typeof r.purposes !== 'object' || Array.isArray(r.purposes)) return false;
  return Object.keys(r.purposes).every(function (id) { return typeof r.purposes[id] === 'boolean'; });
}

function earlyRecordHolds(config, record) {
  var optional = (Array.isArray(config.purposes) ? config.purposes : []).filter(function (p) {
    return p && typeof p === 'object' && p.required !== true;
  }).map(function (p) { return p.id; });
  var stored = Object.keys(record.purposes);
  if (stored.length !== optional.length || !optional.every(function (id) { return stored.indexOf(id) >= 0; })) return false;
  var days = typeof config.expires_days === 'number' ? config.expires_days : 182; // DEFAULT_EXPIRES_DAYS
  return Date.now() / 1000 - record.updated_at < days * 86400;
}

// What needs no config: a record dated more than 7 days ahead is refused by
// the SDK (consent::FUTURE_SKEW_SECONDS), whatever the cache says; and the
// cache's `until` was written as the record's updated_at plus the config's
// expires_days (1 to 3650 whole days), so one that does not fit the record
// is not this record's copy.
function recordTimely(record, cache) {
  if (record.updated_at > Date.now() / 1000 + 7 * 86400) return false;
  var days = cache ? (cache.until - record.updated_at) / 86400 : 1;
  return Number.isInteger(days) && days >= 1 && days <= 3650;
}

function gtag() {
  window.dataLayer = window.dataLayer || [];
  // Google's tags read consent commands from Arguments objects, as gtag() pushes them.
  window.dataLayer.push(arguments);
}

// Same canonical string as the core's gcm::map_key.
function gcmMapKey(map) {
  return Object.keys(map).sort().map(function (k) {
    return k + '=' + (Array.isArray(map[k]) ? map[k].join(',') : '');
  }).join(';');
}

// o[k] if k is o's own key: a polluted Object.prototype adds nothing.
function gcmOwn(o, k) {
  return o !== null && typeof o === 'object' && Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined;
}

// Reads gcmMapKey's string back: {type: [purpose ids]} (null if malformed).
function gcmParseMap(key) {
  if (typeof key !== 'string' || key === '') return null;
  var out = {};
  var parts = key.split(';');
  for (var i = 0; i < parts.length; i++) {
    var kv = parts[i].split('=');
    if (kv.length !== 2 || !kv[0] || !kv[1]) return null;
    out[kv[0]] = kv[1].split(',');
  }
  return out;
}

var gcmDefault = null; // what the synchronous default said: {type: 'granted'|'denied'}
(function () {
  var early = earlyConfig();
  var map = early && early.google_consent_mode && typeof early.google_consent_mode === 'object' ? early.google_consent_mode : null;
  var cache = null;
  try { cache = JSON.parse(localStorage.getItem('candor.gcm') || 'null'); } catch (e) { cache = null; }
  if (!cache || cache.v !== 1 || !cache.state || typeof cache.state !== 'object') cache = null;
  var wanted = map || (script && script.hasAttribute('data-gcm')) || cache;
  if (early && !map) wanted = false; // the inline config says: no Consent Mode
  if (!wanted) return;
  var types = (map ? Object.keys(map) : cache ? Object.keys(cache.state) : GCM_TYPES).filter(function (t) {
    return GCM_KNOWN.indexOf(t) >= 0;
  });
  // A misspelt type alone (the SDK will refuse that config) still denies the real ones.
  if (types.length === 0) types = GCM_TYPES;
  var revision = early ? early.revision : script && script.getAttribute('data-revision');
  var valid = cache && typeof revision === 'string' && cache.revision === revision &&
    typeof cache.until === 'number' && cache.until * 1000 > Date.now() &&
    (!map || cache.map === gcmMapKey(map));
  // The cache is only a copy: a type is granted only if the consent record
  // itself (same revision) grants every purpose mapped to it. A missing,
  // corrupt or other-revision record means denied, as it does for the SDK.
  var record = null;
  try { record = JSON.parse(localStorage.getItem('candor.consent') || 'null'); } catch (e) { record = null; }
  if (!recordShape(record) || record.revision !== revision || !recordTimely(record, cache)) {
    valid = false;
  } else if (early && !earlyRecordHolds(early, record)) {
    valid = false;
  }
  var mapped = map || gcmParseMap(cache && cache.map);
  // Required purposes (the record lists optional ones only): the inline
  // config's, else those the SDK cached with the state.
  var required = early && Array.isArray(early.purposes) ? early.purposes.filter(function (p) {
    return p && typeof p === 'object' && p.required === true;
  }).map(function (p) { return p.id; }) : cache && Array.isArray(cache.required) ? cache.required : [];
  function grantedByRecord(t) {
    var ids = gcmOwn(mapped, t);
    if (!Array.isArray(ids) || ids.length === 0) return false;
    // An ads or analytics type mapped to required purposes only: a config
    // the SDK refuses (config.rs), never granted here either.
    if (GCM_TYPES.indexOf(t) >= 0 && ids.every(function (id) { return required.indexOf(id) >= 0; })) return false;
    return ids.every(function (id) {
      if (Object.prototype.hasOwnProperty.call(record.purposes, id)) return record.purposes[id] === true;
      // The record keeps optional purposes only: an id it lacks is granted
      // only as a required purpose.
      return required.indexOf(id) >= 0;
    });
  }
  // A type mapped to required purposes only is granted without asking
  // (an ads or analytics type mapped so is a config error, never granted).
  // Only from the inline config, or a cache of this very revision: another
  // revision's (or another config's) mapping says nothing about this one.
  var mappingKnown = !!map || (!!cache && typeof revision === 'string' && cache.revision === revision);
  function requiredOnly(t) {
    var ids = gcmOwn(mapped, t);
    return mappingKnown && Array.isArray(ids) && ids.length > 0 && GCM_TYPES.indexOf(t) < 0 &&
      ids.every(function (id) { return required.indexOf(id) >= 0; });
  }
  var state = {};
  types.forEach(function (t) {
    state[t] = requiredOnly(t) || (valid && gcmOwn(cache.state, t) === true && grantedByRecord(t)) ? 'granted' : 'denied';
  });
  gcmDefault = state;
  var args = {};
  // Own keys only, here and below: a page whose Object.prototype was
  // polluted (ad_storage = "granted") must not add a type.
  Object.keys(state).forEach(function (t) { args[t] = state[t]; });
  args.wait_for_update = GCM_WAIT_MS;
  gtag('consent', 'default', args);
})();

function gcmUpdate(onReady) {
  if (!sdk) return;
  var s = sdk.signals();
  if (!s.gcm) return;
  var state = {};
  Object.keys(s.gcm.state).forEach(function (k) { state[k] = s.gcm.state[k]; });
  if (gcmDefault) {
    // A type the default granted that this config does not map (the default
    // came from a cache) is denied in the update, or it would stay granted.
    Object.keys(gcmDefault).forEach(function (t) {
      if (t !== 'wait_for_update' && !Object.prototype.hasOwnProperty.call(state, t) && gcmDefault[t] === 'granted') state[t] = 'denied';
    });
  } else {
    // The config came by URL without data-gcm, on a first visit: the default
    // is late. Push it anyway (all denied) so the update has one to follow.
    var denied = { wait_for_update: GCM_WAIT_MS };
    Object.keys(state).forEach(function (t) { denied[t] = 'denied'; });
    gtag('consent', 'default', denied);
    gcmDefault = denied;
    console.warn(script
      ? 'candor: Consent Mode default pushed late; add data-gcm to the candor.js tag (see README, "Google Tag Manager")'
      : 'candor: Consent Mode default pushed late; give load() the config itself ({config}), not a configUrl, to push it at once');
  }
  if (onReady && !s.decided) {
    // Undecided: the default stands if it says what the SDK says (it may
    // not: a late or cached default, which could not know the config's
    // types mapped to required purposes only, or granted something).
    var same = Object.keys(state).every(function (t) { return gcmDefault[t] === state[t]; }) &&
      Object.keys(gcmDefault).every(function (t) { return t === 'wait_for_update' || gcmDefault[t] !== 'granted' || state[t] === 'granted'; });
    if (same) return;
  }
  gtag('consent', 'update', state);
  // For Tag Manager triggers ("Custom Event" candor_consent) that should
  // fire once consent is known: after the update, never before it.
  window.dataLayer.push({ event: 'candor_consent' });
}
document.addEventListener('candor:ready', function () { gcmUpdate(true); });
// Boot failed (invalid config, config or wasm not loadable): Candor grants
// nothing, so a default that granted anything is taken back.
document.addEventListener('candor:error', function (e) {
  var code = e && e.detail && e.detail.code;
  if (sdk || !gcmDefault || ['config', 'config-fetch', 'wasm-load', 'boot'].indexOf(code) < 0) return;
  var denied = {};
  var any = false;
  Object.keys(gcmDefault).forEach(function (t) {
    if (t === 'wait_for_update') return;
    any = any || gcmDefault[t] === 'granted';
    denied[t] = 'denied';
  });
  if (!any) return;
  gtag('consent', 'update', denied);
  // As after any update: Tag Manager triggers on candor_consent fire on it.
  window.dataLayer.push({ event: 'candor_consent' });
});
// A capturing listener: on the event's target (document) capturing
// listeners run before the others, so the update is pushed before the
// loader's candor.on() callbacks (and the page's own listeners) run, and a
// tag they load sees it.
document.addEventListener('candor:consent', function () { gcmUpdate(false); }, true);
