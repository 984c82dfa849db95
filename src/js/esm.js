// ES module entry (dist/candor.mjs): `import { load } from "candor"`.
//
// Bundled apps cannot rely on a <script> tag to say where the config and the
// wasm live, so they pass them to load(). build.sh puts the exact code of
// candor.js (wasm-bindgen glue + loader) above this file as
// `candorCore(options)`; nothing runs until load() is called, so importing
// the module has no side effects. The first valid call starts Candor; every
// later valid call returns the same promise (its options are not applied
// again); invalid options always reject.

var CANDOR_LOAD_KEYS = ['config', 'configUrl', 'wasmUrl'];
var candorLoading = null;

// Checks load()'s options; throws a TypeError naming what is wrong.
function candorOptions(options) {
  if (typeof document === 'undefined') {
    throw new TypeError('candor load(): there is no document here; call load() in the browser (not during server rendering)');
  }
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError('candor load(options): options must be an object, got ' + (Array.isArray(options) ? 'an array' : typeof options));
  }
  Object.keys(options).forEach(function (key) {
    if (CANDOR_LOAD_KEYS.indexOf(key) < 0) {
      throw new TypeError('candor load(options): unknown option "' + key + '" (expected ' + CANDOR_LOAD_KEYS.join(', ') + ')');
    }
  });
  var out = { config: undefined, configUrl: undefined, wasmUrl: undefined };
  if (options.config !== undefined && options.configUrl !== undefined) {
    throw new TypeError('candor load(options): give config or configUrl, not both');
  }
  if (options.config !== undefined) {
    var config = options.config;
    if (typeof config === 'object' && config !== null && !Array.isArray(config)) {
      try { config = JSON.stringify(config); } catch (e) {
        throw new TypeError('candor load(options): options.config cannot be turned into JSON: ' + (e && e.message || e));
      }
    } else if (typeof config !== 'string') {
      throw new TypeError('candor load(options): options.config must be an object or a JSON string');
    }
    out.config = config;
  }
  if (options.configUrl !== undefined) {
    if (typeof options.configUrl !== 'string' && !(options.configUrl instanceof URL)) {
      throw new TypeError('candor load(options): options.configUrl must be a string or a URL');
    }
    out.configUrl = String(options.configUrl);
    if (out.configUrl.trim() === '') throw new TypeError('candor load(options): options.configUrl is empty');
  }
  var wasmUrl = options.wasmUrl;
  if (wasmUrl === undefined) {
    // Bundlers (Vite, webpack 5, Rollup plugins) recognise this exact
    // pattern and emit the wasm as an asset next to the bundle.
    wasmUrl = new URL('./candor_bg.wasm', import.meta.url);
  } else if (typeof wasmUrl !== 'string' && !(wasmUrl instanceof URL)) {
    throw new TypeError('candor load(options): options.wasmUrl must be a string or a URL');
  }
  try { out.wasmUrl = new URL(String(wasmUrl), document.baseURI).href; } catch (e) {
    throw new TypeError('candor load(options): options.wasmUrl is not a valid URL: ' + wasmUrl);
  }
  return out;
}

/**
 * Starts Candor (once) and resolves to window.candor when it is ready. Like
 * candor.ready it also resolves after a failed boot; then candor.error says why.
 * Invalid options reject with a TypeError and start nothing.
 */
export function load(options) {
  var checked;
  try { checked = candorOptions(options); } catch (e) { return Promise.reject(e); }
  if (!candorLoading) {
    var candor = candorCore(checked);
    candorLoading = candor.ready.then(function () { return candor; });
  }
  return candorLoading;
}
