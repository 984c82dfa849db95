//! localStorage, under keys prefixed `candor.`.
//!
//! Storage can be missing or throw (blocked third-party storage, quota);
//! every call degrades to "nothing stored" rather than failing the SDK. Each
//! logical record is written as one value, so a write is atomic.

use web_sys::Storage;

/// Prefix of every key Candor writes.
pub const PREFIX: &str = "candor.";
/// The consent record.
pub const CONSENT: &str = "candor.consent";

fn local() -> Option<Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Reads a value.
pub fn get(key: &str) -> Option<String> {
    local()?.get_item(key).ok().flatten()
}

/// Writes a value; `false` if storage refused it.
pub fn set(key: &str, value: &str) -> bool {
    local().map(|s| s.set_item(key, value).is_ok()).unwrap_or(false)
}

/// Removes a value.
pub fn remove(key: &str) {
    if let Some(s) = local() {
        let _ = s.remove_item(key);
    }
}

/// Every Candor key with the size of its value in bytes (UTF-16 code units × 2).
pub fn entries() -> Vec<(String, usize)> {
    let Some(s) = local() else { return Vec::new() };
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

/// Removes every Candor key.
pub fn clear() {
    for (k, _) in entries() {
        remove(&k);
    }
}
