//! Where recorded data waits: the open aggregates of this tab and the
//! pending reports, in localStorage.
//!
//! Keys are laid out so that no two writers ever read-modify-write the same
//! value: each tab owns `candor.open.<tab>` (its id lives in sessionStorage,
//! so a reload keeps it), and each pending report is its own key
//! `candor.report.<enqueued>.<report_id>`, created once and removed once
//! acknowledged. `<enqueued>` (local milliseconds plus a counter) orders the
//! queue; it stays in this browser and is never sent.
//! The queue is bounded (200 reports, 1 MiB as storage counts it; with ordinary configs the 200 bind first): when full, the oldest reports
//! are dropped and counted in `candor.dropped`. A report storage refuses
//! (full or blocked) waits in this page's memory instead, under the same
//! bounds, and is sent like the others while the page is open.

use std::cell::{Cell, RefCell};

use crate::aggregate::Aggregator;
use crate::report::Report;

use super::storage;

const OPEN: &str = "candor.open.";
/// `candor.alive.<tab>`: when that tab last said it was running (seconds).
const ALIVE: &str = "candor.alive.";
const REPORT: &str = "candor.report.";
const DROPPED: &str = "candor.dropped";
/// At most this many pending reports.
pub const MAX_REPORTS: usize = 200;
/// At most this many bytes of pending reports (UTF-16, as storage counts
/// them): room for 8 reports of the collector's largest, the parts of one
/// window of a purpose with many events and long category values.
pub const MAX_BYTES: usize = 1024 * 1024;

/// This tab's id, kept in sessionStorage across reloads. `silent(seen)`:
/// whether a heartbeat of `seen` (seconds) is old enough that its tab has
/// stopped.
pub fn tab_id(fresh: impl FnOnce() -> String, silent: fn(u64) -> bool) -> String {
    let session = web_sys::window().and_then(|w| w.session_storage().ok().flatten());
    if let Some(s) = &session {
        // sessionStorage is copied into a duplicated tab or a window.open()ed
        // one while this page is alive: the "live" mark (cleared on pagehide,
        // so a reload keeps its id) tells such a copy to take its own id, or
        // both would report the same open aggregate. A copy made from a page
        // of the site without Candor carries no mark: then a heartbeat
        // under the id says a tab runs with it (this tab's own page removed
        // its heartbeat on pagehide; after a crash, what it left is an
        // orphan, taken over as any other).
        let live = s.get_item(TAB_LIVE).ok().flatten().is_some();
        if let Ok(Some(id)) = s.get_item(TAB) {
            let running = last_alive(&format!("{OPEN}{id}")).is_some_and(|seen| !silent(seen));
            if id.len() == 36 && !live && !running {
                let _ = s.set_item(TAB_LIVE, "1");
                return id;
            }
        }
    }
    new_tab_id(fresh())
}

/// Makes `id` this tab's id (sessionStorage) and returns it.
pub fn new_tab_id(id: String) -> String {
    if let Some(s) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
        let _ = s.set_item(TAB, &id);
        let _ = s.set_item(TAB_LIVE, "1");
    }
    id
}

/// Whether `key` is `tab`'s open aggregates (only that tab writes them).
pub fn is_tab_key(key: &str, tab: &str) -> bool {
    key.strip_prefix(OPEN) == Some(tab)
}

/// `candor.retry`: until when (ms since the epoch) the collector asked,
/// with `Retry-After`, to be sent nothing.
const RETRY: &str = "candor.retry";

/// The stored end of the collector's pause, if one is still running (a
/// past or unreadable one is removed).
pub fn server_wait() -> f64 {
    let Some(text) = storage::get(RETRY) else { return 0.0 };
    let now = js_sys::Date::now();
    // Whole milliseconds, read as an integer (a float parser would add
    // kilobytes to the wasm).
    match text.parse::<u64>().map(|at| at as f64) {
        // A stored pause is never longer than an hour (a clock set back, a forged value).
        Ok(at) if at > now && at - now <= 3_600_000.0 => at,
        _ => {
            storage::remove(RETRY);
            0.0
        }
    }
}

/// Stores (or, `None`, removes) the end of the collector's pause.
pub fn set_server_wait(at: Option<f64>) {
    match at {
        Some(at) => {
            storage::set(RETRY, &(at as u64).to_string());
        }
        None => storage::remove(RETRY),
    }
}

const TAB: &str = "candor.tab";
const TAB_LIVE: &str = "candor.tab.live";

/// Marks this tab's id as in use (`true`: pageshow) or free for the next page
/// of this tab (`false`: pagehide).
pub fn tab_live(live: bool) {
    if let Some(s) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
        let _ = if live { s.set_item(TAB_LIVE, "1") } else { s.remove_item(TAB_LIVE) };
    }
}

/// Removes this tab's id (erase).
pub fn forget_tab() {
    if let Some(s) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
        let _ = s.remove_item(TAB);
        let _ = s.remove_item(TAB_LIVE);
    }
}

/// The open aggregates of `tab`; a corrupt value is dropped (and said so).
pub fn load_open(tab: &str) -> (Aggregator, bool) {
    match storage::get(&format!("{OPEN}{tab}")) {
        None => (Aggregator::default(), false),
        Some(text) => match Aggregator::from_json(&text) {
            Some(a) => {
                SAVED.set(true);
                (a, false)
            }
            None => {
                storage::remove(&format!("{OPEN}{tab}"));
                (Aggregator::default(), true)
            }
        },
    }
}

thread_local! {
    /// Whether this tab's key may hold its data: set by a stored write,
    /// cleared only by a removal (a failed write leaves the older value).
    static SAVED: Cell<bool> = const { Cell::new(false) };
}

/// Persists the open aggregates of `tab` (removes the key when empty).
pub fn save_open(tab: &str, agg: &Aggregator) -> bool {
    let saved = write_open(tab, agg);
    if agg.open.is_empty() && agg.budget.is_empty() {
        SAVED.set(false);
        heartbeat(tab, None);
    } else if saved && !SAVED.replace(true) {
        // The first data this tab stores: others hear at once that it runs.
        heartbeat(tab, Some(super::dom::now_seconds()));
    }
    saved
}

/// Whether this tab has open aggregates in storage, so others must hear it
/// is running.
pub fn has_saved() -> bool {
    SAVED.get()
}

/// After `erase()`: nothing of this tab is stored any more.
pub fn forget_saved() {
    SAVED.set(false);
}

/// Whether another tab took this tab's stored open aggregates (they were
/// stored, and the key is gone): that tab found this one silent for long
/// and now owns them.
pub fn taken(tab: &str) -> bool {
    // Checked before every write: the key as the cached JS string, and the value not read.
    SAVED.get() && !open_key(tab, |key| storage::has_js_key(key))
}

/// Heartbeat keys (`candor.alive.<tab>`) whose tab stored no open
/// aggregates, with their time: left by a tab that died after its last
/// window was sent.
pub fn lone_heartbeats() -> Vec<(String, u64)> {
    let keys = storage::keys();
    keys.iter()
        .filter_map(|k| {
            let tab = k.strip_prefix(ALIVE)?;
            if keys.iter().any(|o| o.strip_prefix(OPEN) == Some(tab)) {
                return None;
            }
            Some((k.clone(), storage::get(k)?.parse().ok()?))
        })
        .collect()
}

/// Removes `purposes` from the stored open aggregates under `key` (a tab
/// found dead; a running tab purges its own on the storage event).
pub fn purge_stored(key: &str, purposes: &[&str]) {
    let Some(mut other) = storage::get(key).and_then(|t| Aggregator::from_json(&t)) else { return };
    let before = other.open.len();
    for p in purposes {
        other.purge(p);
    }
    if other.open.len() == before {
        return;
    }
    if other.open.is_empty() {
        storage::remove(key);
        heartbeat(&key[OPEN.len()..], None);
    } else {
        storage::set(key, &other.to_json());
    }
}

fn write_open(tab: &str, agg: &Aggregator) -> bool {
    let key = format!("{OPEN}{tab}");
    if agg.open.is_empty() && agg.budget.is_empty() {
        storage::remove(&key);
        return true;
    }
    // Called on every accepted `track`: serialise into a buffer sized for a
    // typical aggregate, so it is not regrown on each call, and reuse the key
    // as a JS string, so only the value crosses into JS.
    let value = agg.to_json();
    open_key(tab, |key| storage::set_js_key(key, &value))
}

/// Calls `f` with `tab`'s open-aggregates key as a JS string, made once.
fn open_key<T>(tab: &str, f: impl FnOnce(&js_sys::JsString) -> T) -> T {
    OPEN_KEY.with(|cached| {
        let mut cached = cached.borrow_mut();
        if cached.as_ref().map(|(t, _)| t != tab).unwrap_or(true) {
            *cached = Some((tab.to_string(), js_sys::JsString::from(format!("{OPEN}{tab}").as_str())));
        }
        let (_, js_key) = cached.as_ref().expect("just set");
        f(js_key)
    })
}

/// Open-aggregate keys of other tabs.
pub fn other_tabs(tab: &str) -> Vec<String> {
    storage::keys().into_iter().filter(|k| k.starts_with(OPEN) && &k[OPEN.len()..] != tab).collect()
}

/// Takes another tab's open aggregates (removing them from storage).
pub fn take_open(key: &str) -> Option<Aggregator> {
    let text = storage::get(key)?;
    storage::remove(key);
    heartbeat(&key[OPEN.len()..], None);
    Aggregator::from_json(&text)
}

/// Says this tab is running, at `now` (`None`: it is going away or into the
/// back/forward cache, and has closed its windows).
pub fn heartbeat(tab: &str, now: Option<u64>) {
    let key = format!("{ALIVE}{tab}");
    match now {
        Some(t) => {
            storage::set(&key, &t.to_string());
        }
        None => storage::remove(&key),
    }
}

/// When the tab whose open aggregates are stored under `key` last said it
/// was running, if it ever did.
pub fn last_alive(key: &str) -> Option<u64> {
    storage::get(&format!("{ALIVE}{}", key.strip_prefix(OPEN)?))?.parse().ok()
}

/// Pending-report keys with their sizes, oldest first.
fn report_keys() -> Vec<(String, usize)> {
    let mut keys: Vec<(String, usize)> = storage::entries().into_iter().filter(|(k, _)| k.starts_with(REPORT)).collect();
    let order = crate::order::positions(keys.len(), &|a, b| keys[a].0.cmp(&keys[b].0));
    order.into_iter().map(|i| std::mem::take(&mut keys[i])).collect()
}

fn key_of(id: &str) -> Option<String> {
    report_keys().into_iter().map(|(k, _)| k).find(|k| names(k, id))
}

/// Whether the stored report key `key` is that of report `id` (`….<id>`).
fn names(key: &str, id: &str) -> bool {
    key.len() > id.len() && key.ends_with(id) && key.as_bytes()[key.len() - id.len() - 1] == b'.'
}

/// Every pending report, stored or in memory, oldest first. Corrupt
/// entries are removed, and so is one stored under another report's id
/// (written by hand): it could never be taken out of the queue once sent.
pub fn pending() -> Vec<Report> {
    let mut all: Vec<(String, Option<Report>)> = report_keys()
        .into_iter()
        .filter_map(|(k, _)| {
            let parsed = storage::get(&k).and_then(|t| Report::from_json(&t)).filter(|r| names(&k, &r.report_id));
            if parsed.is_none() {
                storage::remove(&k);
            }
            Some((k, Some(parsed?)))
        })
        .collect();
    MEMORY.with(|m| all.extend(m.borrow().iter().map(|(k, t)| (k.clone(), Report::from_json(t)))));
    let order = crate::order::positions(all.len(), &|a, b| all[a].0.cmp(&all[b].0));
    order.into_iter().filter_map(|i| all[i].1.take()).collect()
}

/// Whether the report is still pending (another tab may have sent it).
pub fn is_pending(id: &str) -> bool {
    key_of(id).is_some() || MEMORY.with(|m| m.borrow().iter().any(|(k, _)| k.ends_with(id)))
}

/// Drops the reports kept in memory (erase).
pub fn forget_memory() {
    MEMORY.with(|m| m.borrow_mut().clear());
}

thread_local! {
    static COUNTER: Cell<u32> = const { Cell::new(0) };
    /// The tab whose open-aggregate key was last used, and that key as a JS string.
    static OPEN_KEY: RefCell<Option<(String, js_sys::JsString)>> = const { RefCell::new(None) };
    /// Reports storage refused: (the key it would have had, the JSON).
    static MEMORY: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

/// Queues a report (`text`: its JSON), dropping the oldest when over the bounds.
pub fn push(report: &Report, text: String) {
    let n = COUNTER.get().wrapping_add(1);
    COUNTER.set(n);
    let key = format!("{REPORT}{:015}{:04}.{}", js_sys::Date::now() as u64, n % 10_000, report.report_id);
    if !storage::set(&key, &text) {
        let dropped = MEMORY.with(|m| {
            let mut m = m.borrow_mut();
            m.push((key, text));
            let mut bytes: usize = m.iter().map(|(_, t)| t.len() * 2).sum();
            let mut dropped = 0u64;
            while m.len() > MAX_REPORTS || bytes > MAX_BYTES {
                bytes -= m.remove(0).1.len() * 2;
                dropped += 1;
            }
            dropped
        });
        if dropped > 0 {
            count_dropped(dropped);
        }
        return;
    }
    let all = report_keys();
    let mut bytes: usize = all.iter().map(|(_, b)| b).sum();
    let mut count = all.len();
    let mut dropped = 0u64;
    for (k, b) in &all {
        if count <= MAX_REPORTS && bytes <= MAX_BYTES {
            break;
        }
        storage::remove(k);
        count -= 1;
        bytes -= b;
        dropped += 1;
    }
    if dropped > 0 {
        count_dropped(dropped);
    }
}

/// Removes a pending report.
/// Removes a pending report; `false` when it was no longer pending (already
/// acknowledged, through another request or another tab).
pub fn remove(id: &str) -> bool {
    let stored = key_of(id).map(|k| storage::remove(&k)).is_some();
    let kept = MEMORY.with(|m| {
        let mut m = m.borrow_mut();
        let before = m.len();
        m.retain(|(k, _)| !k.ends_with(id));
        m.len() != before
    });
    stored || kept
}

/// Reports dropped because the queue was full.
/// Counts `n` more reports dropped (`inspect().dropped`).
pub fn count_dropped(n: u64) {
    storage::set(DROPPED, &(dropped_count() + n).to_string());
}

pub fn dropped_count() -> u64 {
    storage::get(DROPPED).and_then(|s| s.parse().ok()).unwrap_or(0)
}
