//! localStorage, under keys prefixed `candor.`.
//!
//! Storage can be missing or throw (blocked third-party storage, quota);
//! every call degrades to "nothing stored" rather than failing the SDK. Each
//! logical record is written as one value, so a write is atomic.

use wasm_bindgen::prelude::*;
use web_sys::Storage;

#[wasm_bindgen]
extern "C" {
    /// The same `Storage` object, with a `setItem` whose key is already a JS
    /// string, so a key written on every `track` is not converted from UTF-8
    /// each time.
    type JsKeyStorage;
    #[wasm_bindgen(method, catch, js_name = setItem)]
    fn set_item(this: &JsKeyStorage, key: &js_sys::JsString, value: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = getItem)]
    fn get_item(this: &JsKeyStorage, key: &js_sys::JsString) -> Result<JsValue, JsValue>;
    /// The loader's durable copy of [`CONSENT`] (IndexedDB, strict
    /// durability): `keepDecision` in src/js/loader.js adds `text` to the
    /// last few records written (`""`: removed; an erase mark starts it
    /// over). Caught: without the loader (the wasm tests) there is no copy.
    #[wasm_bindgen(catch, js_name = keepDecision)]
    fn keep_decision(text: &str) -> Result<(), JsValue>;
    /// The bytes of the decisions the copy holds (`null`: none known).
    #[wasm_bindgen(catch, js_name = keptDecisionBytes)]
    fn kept_decision_bytes() -> Result<Option<u32>, JsValue>;
}

/// Adds a write of the decision to its durable copy (`None`: removed).
pub fn keep_durably(text: Option<&str>) {
    let _ = keep_decision(text.unwrap_or(""));
}

/// Marks an erase at `now` (Unix seconds) in the durable copy, which then
/// forgets the decisions it held: a record from before it is not used again.
pub fn keep_erased(now: u64) {
    let _ = keep_decision(&format!("{}{now}", crate::consent::ERASED_MARK));
}

/// The durable copy's size in bytes (UTF-16 code units × 2, as [`entries`]
/// counts them), if it holds a decision.
pub fn durable_bytes() -> Option<usize> {
    kept_decision_bytes().ok().flatten().filter(|b| *b > 0).map(|b| b as usize)
}

/// Prefix of every key Candor writes.
pub const PREFIX: &str = "candor.";
/// The consent record.
pub const CONSENT: &str = "candor.consent";
/// Written by an erase just before it removes every key (this one too):
/// other tabs hear of it first, and forget what they hold.
pub const ERASED: &str = "candor.erased";

thread_local! {
    /// The window's localStorage, looked up once: every `track` writes to it,
    /// and each lookup is two calls into JS. `None` when storage is missing
    /// or blocked (that does not change while the page lives).
    static LOCAL: Option<Storage> = web_sys::window().and_then(|w| w.local_storage().ok().flatten()).filter(complete);
}

/// A page's stand-in for localStorage (an in-memory shim) without `key()`
/// or `length` cannot list Candor's keys, so pending reports would never be
/// found again; one whose `getItem` throws cannot read anything back. Either
/// counts as no storage (memory only, with the `storage` error), not as half
/// of one.
fn complete(s: &Storage) -> bool {
    let has = |name: &str| js_sys::Reflect::get(s, &name.into()).ok();
    ["getItem", "setItem", "removeItem", "key"].iter().all(|m| has(m).is_some_and(|f| f.is_function()))
        && has("length").is_some_and(|n| n.as_f64().is_some())
        && s.get_item(CONSENT).is_ok()
}

fn local() -> Option<Storage> {
    LOCAL.with(Clone::clone)
}

/// Reads a value.
pub fn get(key: &str) -> Option<String> {
    local()?.get_item(key).ok().flatten()
}

/// Writes a value; `false` if storage refused it (not reported: for a
/// write that has another way out).
pub fn try_set(key: &str, value: &str) -> bool {
    local().is_some_and(|s| s.set_item(key, value).is_ok())
}

/// Writes a value; `false` if storage refused it. The decision's durable
/// copy follows it, even when localStorage refused it.
pub fn set(key: &str, value: &str) -> bool {
    if key == CONSENT {
        keep_durably(Some(value));
    }
    stored(try_set(key, value))
}

/// Writes a value under a key kept as a JS string; `false` if storage refused it.
pub fn set_js_key(key: &js_sys::JsString, value: &str) -> bool {
    stored(local().map(|s| s.unchecked_ref::<JsKeyStorage>().set_item(key, value).is_ok()).unwrap_or(false))
}

/// Whether a key kept as a JS string holds a value (its value is not copied into the wasm).
pub fn has_js_key(key: &js_sys::JsString) -> bool {
    local().and_then(|s| s.unchecked_ref::<JsKeyStorage>().get_item(key).ok()).is_some_and(|v| !v.is_null())
}

thread_local! {
    static REFUSED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The first refused write of the page is reported once (`candor:error`,
/// code `storage`), after the current call returns: the page's listener
/// may call back into the SDK.
fn stored(ok: bool) -> bool {
    if !ok && !REFUSED.replace(true) {
        wasm_bindgen_futures::spawn_local(async {
            super::dom::report_error(
                "storage",
                "localStorage refused Candor's data (full or blocked): choices and counts are kept in memory, \
                 sent while this page is open, and lost when it closes",
            );
        });
    }
    ok
}

/// Removes a value (the decision's durable copy too).
pub fn remove(key: &str) {
    if key == CONSENT {
        keep_durably(None);
    }
    if let Some(s) = local() {
        let _ = s.remove_item(key);
    }
}

/// Every Candor key in localStorage, without reading the values (the
/// take-over check lists keys on every tick).
pub fn keys() -> Vec<String> {
    let Some(s) = local() else { return Vec::new() };
    (0..s.length().unwrap_or(0)).filter_map(|i| s.key(i).ok().flatten()).filter(|k| k.starts_with(PREFIX)).collect()
}

/// Every Candor key in localStorage with the size of its value in bytes
/// (UTF-16 code units × 2).
pub fn entries() -> Vec<(String, usize)> {
    local().map(|s| candor_keys(&s)).unwrap_or_default()
}

/// The same, then this tab's sessionStorage keys (its tab id): what
/// `inspect()` and the data view list as stored in this browser.
pub fn all_entries() -> Vec<(String, usize)> {
    let mut all = entries();
    if let Some(s) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
        all.extend(candor_keys(&s));
    }
    // By key: the browser lists keys in no set order, and `inspect()` and
    // the data view should read the same from one call to the next.
    all.sort_unstable();
    all
}

fn candor_keys(s: &web_sys::Storage) -> Vec<(String, usize)> {
    let n = s.length().unwrap_or(0);
    (0..n)
        .filter_map(|i| s.key(i).ok().flatten())
        .filter(|k| k.starts_with(PREFIX))
        .map(|k| {
            let size = s.get_item(&k).ok().flatten().map(|v| v.encode_utf16().count() * 2).unwrap_or(0);
            (k, size)
        })
        .collect()
}

/// Removes every Candor key (the decision's durable copy is left to the
/// caller: an erase marks it, see [`keep_erased`]).
pub fn clear() {
    for (k, _) in entries() {
        if let Some(s) = local() {
            let _ = s.remove_item(&k);
        }
    }
}
