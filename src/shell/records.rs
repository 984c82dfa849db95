//! What Candor remembers for the visitor's own eyes: the recently sent
//! reports (`candor.history`) and the receipts of their decisions
//! (`candor.receipts`), in localStorage.
//!
//! Both are bounded (20 entries each; history also by `history_days`) and
//! both are read defensively: a value that does not parse is removed and
//! read as empty, never half-used. A value storage refuses (full, or
//! blocked altogether) is kept in this page's memory instead, as pending
//! reports are: the receipts stay listed, and an erase still asks the
//! collector to delete them.

use crate::json::{self, obj, J};
use crate::receipt::Receipt;
use crate::report::Report;
use crate::transparency::{self, Sent};

use super::storage;

/// Sent reports, newest last.
pub const HISTORY: &str = "candor.history";
/// Receipts of decisions, newest last.
pub const RECEIPTS: &str = "candor.receipts";
/// At most this many receipts are kept in this browser.
pub const RECEIPTS_MAX: usize = 20;

/// A receipt as kept here: whether the collector has acknowledged it.
#[derive(Debug, Clone, PartialEq)]
pub struct Kept {
    /// The receipt, exactly as sent.
    pub receipt: Receipt,
    /// The collector answered 2xx.
    pub acknowledged: bool,
    /// The collector refused it for good (a 4xx): kept here as the
    /// visitor's record, never sent again.
    pub refused: bool,
}

impl Kept {
    fn to_json_value(&self) -> J {
        let mut v = obj([("receipt", self.receipt.to_json_value()), ("acknowledged", self.acknowledged.into())]);
        if self.refused {
            v.set("refused", true.into());
        }
        v
    }

    fn from_json_value(v: &J) -> Option<Kept> {
        if !v.has_only_keys(&["receipt", "acknowledged", "refused"]) {
            return None;
        }
        let refused = match v.get("refused") {
            None => false,
            Some(r) => r.as_bool().filter(|r| *r)?,
        };
        Some(Kept { receipt: Receipt::from_json_value(v.get("receipt")?)?, acknowledged: v.get("acknowledged")?.as_bool()?, refused })
    }
}

thread_local! {
    /// Values storage refused, by key: read before storage (which holds
    /// nothing, or an older value), dropped once a write of the key works.
    static MEMORY: std::cell::RefCell<Vec<(&'static str, String)>> = const { std::cell::RefCell::new(Vec::new()) };
    /// The receipts this page made (as kept), until an erase: another tab
    /// that wrote the list from an out-of-date view (a long task held back
    /// its `storage` event) may have left them out, and they are put back.
    static MINE: std::cell::RefCell<Vec<Kept>> = const { std::cell::RefCell::new(Vec::new()) };
    /// Receipts this page dropped ([`forget`]): another tab that puts its
    /// own back writes the list it read, which may still hold them.
    static GONE: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Puts back into the stored list the receipts this page made that another
/// tab's write left out (called on its `storage` event), and their state;
/// takes out again those this page dropped that such a write brought back.
pub fn merge_mine() {
    let mine = MINE.with_borrow(Clone::clone);
    let gone = GONE.with_borrow(Clone::clone);
    if mine.is_empty() && gone.is_empty() {
        return;
    }
    let read = receipts();
    let mut all = read.clone();
    all.retain(|k| !gone.contains(&k.receipt.receipt_id));
    let mut changed = all.len() != read.len();
    for k in mine {
        match all.iter_mut().find(|x| x.receipt.receipt_id == k.receipt.receipt_id) {
            Some(x) => {
                if (k.acknowledged && !x.acknowledged) || (k.refused && !x.refused) {
                    x.acknowledged |= k.acknowledged;
                    x.refused |= k.refused;
                    changed = true;
                }
            }
            None => {
                all.push(k);
                changed = true;
            }
        }
    }
    if changed {
        // One order for every tab (ties by id), so two full lists trim alike.
        all.sort_by(|a, b| (a.receipt.timestamp, &a.receipt.receipt_id).cmp(&(b.receipt.timestamp, &b.receipt.receipt_id)));
        if all.len() > RECEIPTS_MAX {
            all.drain(..all.len() - RECEIPTS_MAX);
        }
        // Written only when it says something new: two tabs never answer
        // each other's writes for ever.
        if all != read {
            write(RECEIPTS, &all, Kept::to_json_value);
        }
    }
}

/// This page's receipts and those only it knows of (see [`MINE`]).
pub fn receipts_and_mine() -> Vec<Kept> {
    let mut all = receipts();
    for k in MINE.with_borrow(Clone::clone) {
        if !all.iter().any(|x| x.receipt.receipt_id == k.receipt.receipt_id) {
            all.push(k);
        }
    }
    all
}

/// After a back/forward-cache restore or a resume: only the receipts the
/// list still holds stay this page's to put back (an erase meanwhile, which
/// this page did not hear of, dropped the others).
pub fn keep_listed_mine() {
    let listed: Vec<String> = receipts().into_iter().map(|k| k.receipt.receipt_id).collect();
    MINE.with_borrow_mut(|m| m.retain(|k| listed.contains(&k.receipt.receipt_id)));
}

/// Another tab erased everything at `mark` (Unix seconds): receipts from
/// before it that this page's out-of-date write may have put back go (those
/// another page made since are kept, and put back by that page,
/// [`merge_mine`]).
pub fn drop_listed(mark: Option<u64>) {
    MINE.with_borrow_mut(Vec::clear);
    let Some(mark) = mark else { return };
    let mut all = receipts();
    let n = all.len();
    all.retain(|k| k.receipt.timestamp >= mark);
    if all.len() != n {
        write(RECEIPTS, &all, Kept::to_json_value);
    }
}

fn mine(id: &str, f: impl FnOnce(&mut Kept)) {
    MINE.with_borrow_mut(|m| {
        if let Some(k) = m.iter_mut().find(|k| k.receipt.receipt_id == id) {
            f(k)
        }
    });
}

/// What memory holds for `key` (storage refused it).
fn held(key: &str) -> Option<String> {
    MEMORY.with_borrow(|m| m.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()))
}

fn get(key: &'static str) -> Option<String> {
    held(key).or_else(|| storage::get(key))
}

fn set(key: &'static str, value: String) {
    let stored = storage::set(key, &value);
    MEMORY.with_borrow_mut(|m| {
        m.retain(|(k, _)| *k != key);
        if !stored {
            m.push((key, value));
        }
    });
}

fn remove(key: &'static str) {
    storage::remove(key);
    MEMORY.with_borrow_mut(|m| m.retain(|(k, _)| *k != key));
}

/// Drops what is kept in memory (erase; storage is cleared by the caller).
pub fn forget_memory() {
    MEMORY.with_borrow_mut(Vec::clear);
    MINE.with_borrow_mut(Vec::clear);
}

/// Another tab erased everything: what only this page's memory held, it
/// could not see. Returns the receipt ids among it (to delete at the
/// collector now; they are also listed as owed, for a later tick if that
/// fails) and drops the rest.
pub fn erased_elsewhere() -> Vec<String> {
    let ids: Vec<String> = match held(RECEIPTS) {
        Some(_) => receipts().into_iter().map(|k| k.receipt.receipt_id).filter(|id| crate::conform::is_uuid(id)).collect(),
        None => Vec::new(),
    };
    let owed = if held(FORGET).is_some() { to_forget() } else { Vec::new() };
    forget_memory();
    let all: Vec<String> = owed.into_iter().chain(ids.iter().cloned()).collect();
    if !all.is_empty() {
        forget_later(&all);
    }
    ids
}

/// A stored array, every item read by `item`; anything else is removed and read as empty.
fn read<T>(key: &'static str, item: impl Fn(&J) -> Option<T>) -> Vec<T> {
    let Some(text) = get(key) else { return Vec::new() };
    let items = json::parse(&text).ok().and_then(|v| v.as_array()?.iter().map(&item).collect::<Option<Vec<T>>>());
    items.unwrap_or_else(|| {
        remove(key);
        Vec::new()
    })
}

fn write<T>(key: &'static str, items: &[T], item: impl Fn(&T) -> J) {
    if items.is_empty() {
        remove(key);
    } else {
        set(key, J::A(items.iter().map(item).collect()).to_text());
    }
}

/// The sent history, pruned to `days` (and written back when pruning changed it).
pub fn history(now: u64, days: u32) -> Vec<Sent> {
    let mut h: Vec<Sent> = read(HISTORY, Sent::from_json_value);
    let before = h.len();
    transparency::prune(&mut h, now, days);
    if h.len() != before {
        write(HISTORY, &h, Sent::to_json_value);
    }
    h
}

/// Remembers an acknowledged report (its body as sent), once. Not after an
/// erase (`decided` is false then): a report that lands after the visitor
/// erased everything must not bring a key back.
pub fn remember_sent(body: &str, now: u64, days: u32, decided: bool) {
    if !decided {
        return;
    }
    let Some(report) = Report::from_json(body) else { return };
    let mut h = history(now, days);
    if transparency::record_sent(&mut h, report, now, days) {
        write(HISTORY, &h, Sent::to_json_value);
    }
}

/// Receipt ids an erase asked the collector to delete, kept only while the
/// collector has not confirmed it (it was down, or the request failed).
pub const FORGET: &str = "candor.forget";

/// The receipt ids still to delete at the collector. Unlike the other
/// lists, an item that is not a receipt id is skipped, not the whole list:
/// every valid id in it is a deletion the visitor asked for.
pub fn to_forget() -> Vec<String> {
    let Some(text) = get(FORGET) else { return Vec::new() };
    let ids: Vec<String> = json::parse(&text)
        .ok()
        .and_then(|v| Some(v.as_array()?.iter().filter_map(|i| i.as_str().filter(|s| crate::conform::is_uuid(s)).map(str::to_string)).collect()))
        .unwrap_or_default();
    if ids.is_empty() {
        remove(FORGET);
    }
    ids
}

/// Adds ids to delete at the collector.
pub fn forget_later(ids: &[String]) {
    let mut all = to_forget();
    for id in ids {
        if !all.contains(id) {
            all.push(id.clone());
        }
    }
    write(FORGET, &all, |s: &String| J::from(s));
}

/// The collector confirmed (or never had) this receipt.
pub fn forgotten(id: &str) {
    let mut all = to_forget();
    let before = all.len();
    all.retain(|x| x != id);
    if all.len() != before {
        write(FORGET, &all, |s: &String| J::from(s));
    }
}

/// Every kept receipt, oldest first.
pub fn receipts() -> Vec<Kept> {
    read(RECEIPTS, Kept::from_json_value)
}

/// Keeps a new receipt (not yet acknowledged), dropping the oldest beyond the bound.
pub fn keep(receipt: &Receipt) {
    let mut all = receipts();
    all.push(Kept { receipt: receipt.clone(), acknowledged: false, refused: false });
    MINE.with_borrow_mut(|m| m.push(Kept { receipt: receipt.clone(), acknowledged: false, refused: false }));
    if all.len() > RECEIPTS_MAX {
        all.drain(..all.len() - RECEIPTS_MAX);
    }
    write(RECEIPTS, &all, Kept::to_json_value);
}

/// Marks a receipt acknowledged by the collector.
pub fn acknowledge(id: &str) {
    mark(id, |k| k.acknowledged = true);
}

/// Marks a receipt the collector refused for good: kept, not sent again.
pub fn refuse(id: &str) {
    mark(id, |k| k.refused = true);
}

/// Applies `f` to receipt `id`, in the stored list and among this page's own.
fn mark(id: &str, f: impl Fn(&mut Kept)) {
    mine(id, &f);
    let mut all = receipts();
    if let Some(k) = all.iter_mut().find(|k| k.receipt.receipt_id == id) {
        f(k);
        write(RECEIPTS, &all, Kept::to_json_value);
    }
}

/// Drops a receipt (erased before the collector stored it).
pub fn forget(id: &str) {
    MINE.with_borrow_mut(|m| m.retain(|k| k.receipt.receipt_id != id));
    GONE.with_borrow_mut(|g| {
        if !g.iter().any(|x| x == id) {
            g.push(id.to_string());
        }
    });
    let mut all = receipts();
    all.retain(|k| k.receipt.receipt_id != id);
    write(RECEIPTS, &all, Kept::to_json_value);
}
