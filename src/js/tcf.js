// IAB TCF v2.2 CMP API (concatenated after gcm.js by scripts/build.sh; shares
// the loader's scope: `script`, `sdk`, `earlyConfig`).
//
// Ad scripts look for `window.__tcfapi` as soon as they run, and scripts in
// iframes look for a frame named `__tcfapiLocator` in their ancestors and
// talk to it with postMessage. So, synchronously, this installs a stub that
// answers `ping` at once and queues every other call, plus the locator frame
// (when <body> exists) and the postMessage bridge. It does so when the inline
// config has `tcf`, or the tag has `data-tcf` (needed for a `data-config`
// URL: the config is not known yet). Once the SDK is up, queued calls are
// answered from `sdk.signals().tcf`, whose TC string the Rust core encoded.
// If the stub was installed but the config has no `tcf`, it is removed again.
var TCF_PURPOSES = 11;
var TCF_SPECIAL_FEATURES = 2;
var tcfState = { installed: false, status: 'stub', queue: [], listeners: [], nextId: 1, event: null, frame: null };

function tcfData() {
  var t = sdk.signals();
  if (!t.tcf) return null;
  var s = t.tcf;
  function map(n, on) {
    var out = {};
    for (var i = 1; i <= n; i++) out[i] = on.indexOf(i) >= 0;
    return out;
  }
  var vendors = {};
  s.vendors.forEach(function (id) { vendors[id] = s.vendor_consents.indexOf(id) >= 0; });
  return {
    tcString: s.tc_string,
    tcfPolicyVersion: s.policy_version,
    cmpId: s.cmp_id,
    cmpVersion: s.cmp_version,
    gdprApplies: s.gdpr_applies,
    eventStatus: tcfState.event || (t.decided ? 'tcloaded' : 'cmpuishown'),
    cmpStatus: 'loaded',
    isServiceSpecific: true,
    useNonStandardTexts: false,
    publisherCC: s.publisher_cc,
    purposeOneTreatment: false,
    purpose: { consents: map(TCF_PURPOSES, s.purpose_consents), legitimateInterests: map(TCF_PURPOSES, []) },
    vendor: { consents: vendors, legitimateInterests: {} },
    specialFeatureOptins: map(TCF_SPECIAL_FEATURES, []),
    publisher: {
      consents: map(TCF_PURPOSES, s.publisher_consents || []),
      legitimateInterests: map(TCF_PURPOSES, []),
      customPurpose: { consents: {}, legitimateInterests: {} },
      restrictions: {},
    },
  };
}

function tcfPing() {
  var s = sdk && tcfState.status === 'loaded' ? sdk.signals() : null;
  return {
    gdprApplies: s && s.tcf ? s.tcf.gdpr_applies : undefined,
    cmpLoaded: tcfState.status === 'loaded',
    cmpStatus: tcfState.status,
    displayStatus: s ? (s.decided ? 'hidden' : 'visible') : 'hidden',
    apiVersion: '2.2',
    cmpVersion: s && s.tcf ? s.tcf.cmp_version : undefined,
    cmpId: s && s.tcf ? s.tcf.cmp_id : undefined,
    gvlVersion: s && s.tcf ? s.tcf.vendor_list_version : undefined,
    tcfPolicyVersion: s && s.tcf ? s.tcf.policy_version : undefined,
  };
}

// Answers one call once the SDK is loaded.
function tcfAnswer(command, version, callback, parameter) {
  if (tcfState.status !== 'loaded') return callback(null, false);
  var data;
  switch (command) {
    case 'getTCData':
      data = tcfData();
      if (data && Array.isArray(parameter)) {
        var only = {};
        // Own keys only: a polluted Object.prototype grants no vendor.
        parameter.forEach(function (id) {
          only[id] = Object.prototype.hasOwnProperty.call(data.vendor.consents, id) && data.vendor.consents[id] === true;
        });
        data.vendor.consents = only;
      }
      return callback(data, true);
    case 'addEventListener':
      var id = tcfState.nextId++;
      tcfState.listeners.push({ id: id, callback: callback });
      data = tcfData();
      data.listenerId = id;
      return callback(data, true);
    case 'removeEventListener':
      var before = tcfState.listeners.length;
      tcfState.listeners = tcfState.listeners.filter(function (l) { return l.id !== parameter; });
      return callback(tcfState.listeners.length < before);
    default:
      return callback(null, false);
  }
}

function tcfapi(command, version, callback, parameter) {
  if (typeof callback !== 'function') return;
  if (command === 'ping') return callback(tcfPing(), true);
  if (version !== undefined && version !== null && version !== 0 && version !== 2) return callback(null, false);
  if (tcfState.status === 'stub') return tcfState.queue.push([command, version, callback, parameter]);
  tcfAnswer(command, version, callback, parameter);
}

function tcfLocator() {
  if (tcfState.frame || !tcfState.installed) return;
  if (!document.body) return document.addEventListener('DOMContentLoaded', tcfLocator);
  var frame = document.createElement('iframe');
  frame.name = '__tcfapiLocator';
  frame.title = '';
  frame.hidden = true;
  frame.setAttribute('aria-hidden', 'true');
  frame.setAttribute('tabindex', '-1');
  document.body.appendChild(frame);
  tcfState.frame = frame;
}

// Calls from iframes: {__tcfapiCall: {command, version, parameter, callId}},
// as an object or a JSON string; the answer goes back in the same form.
function tcfMessage(event) {
  var data = event.data;
  var asString = typeof data === 'string';
  if (asString) {
    if (data.indexOf('__tcfapiCall') < 0) return;
    try { data = JSON.parse(data); } catch (e) { return; }
  }
  var call = data && typeof data === 'object' ? data.__tcfapiCall : null;
  if (!call || typeof call !== 'object' || typeof call.command !== 'string' || !event.source) return;
  var source = event.source;
  tcfapi(call.command, call.version, function (returnValue, success) {
    var reply = { __tcfapiReturn: { returnValue: returnValue, success: success !== false, callId: call.callId } };
    try { source.postMessage(asString ? JSON.stringify(reply) : reply, '*'); } catch (e) { /* the frame is gone */ }
  }, call.parameter);
}

function tcfInstall() {
  if (tcfState.installed) return true;
  if (typeof window.__tcfapi === 'function') {
    console.warn('candor: another CMP already installed __tcfapi; Candor does not answer TCF calls');
    return false;
  }
  window.__tcfapi = tcfapi;
  window.addEventListener('message', tcfMessage);
  tcfState.installed = true;
  tcfLocator();
  return true;
}

function tcfUninstall() {
  if (window.__tcfapi === tcfapi) delete window.__tcfapi;
  window.removeEventListener('message', tcfMessage);
  if (tcfState.frame) tcfState.frame.remove();
  tcfState.installed = false;
  tcfState.frame = null;
}

function tcfNotify() {
  tcfState.listeners.slice().forEach(function (l) {
    var data = tcfData();
    data.listenerId = l.id;
    try { l.callback(data, true); } catch (e) { console.error('candor: a __tcfapi listener threw', e); }
  });
}

(function () {
  var early = earlyConfig();
  if ((early && early.tcf) || (script && script.hasAttribute('data-tcf'))) tcfInstall();
})();

document.addEventListener('candor:ready', function () {
  if (!sdk) return;
  var s = sdk.signals();
  if (!s.tcf) {
    if (tcfState.installed) {
      console.warn('candor: data-tcf is set but the config has no "tcf"; __tcfapi removed');
      tcfUninstall();
    }
    tcfState.queue.forEach(function (c) { try { c[2](null, false); } catch (e) { /* caller's problem */ } });
    tcfState.queue = [];
    return;
  }
  if (!tcfState.installed && tcfInstall()) {
    console.warn(script
      ? 'candor: __tcfapi installed late; add data-tcf to the candor.js tag so ad scripts find it at once'
      : 'candor: __tcfapi installed late; give load() the config itself ({config}), not a configUrl, so ad scripts find it at once');
  }
  tcfState.status = 'loaded';
  tcfState.event = s.decided ? 'tcloaded' : 'cmpuishown';
  var waiting = tcfState.queue;
  tcfState.queue = [];
  // One vendor's throwing callback must not cost the others their answer.
  waiting.forEach(function (c) {
    try { tcfAnswer(c[0], c[1], c[2], c[3]); } catch (e) { console.error('candor: a __tcfapi callback threw', e); }
  });
});

// Capturing, as Consent Mode's (gcm.js): vendors hear of the decision
// before what candor.on() callbacks load.
document.addEventListener('candor:consent', function () {
  if (!sdk || tcfState.status !== 'loaded') return;
  tcfState.event = sdk.consent().decided ? 'useractioncomplete' : 'cmpuishown';
  tcfNotify();
}, true);

// A failed boot (not a later, non-fatal error) leaves nothing to answer with.
document.addEventListener('candor:error', function (e) {
  var code = e.detail && e.detail.code;
  if (tcfState.status !== 'stub' || ['config', 'config-fetch', 'wasm-load', 'boot'].indexOf(code) < 0) return;
  tcfState.status = 'error';
  tcfState.queue.forEach(function (c) { try { c[2](null, false); } catch (e) { /* caller's problem */ } });
  tcfState.queue = [];
});
