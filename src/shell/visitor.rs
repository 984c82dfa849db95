//! The visitor's side of their data: receipts of each decision, the "Your
//! data" view, export and erase.
//!
//! Kept apart from `mod.rs` because these are the controller's duties
//! towards the visitor rather than towards the page: they read the same
//! state, but only to show it, hand it over, or delete it.
//!
//! Receipts are issued for decisions only (`decide`, which every button,
//! API call and preset goes through); opening, closing, tracking and
//! flushing never make one. They go to the collector's `/v1/receipts` with
//! the text bundle attached (so the collector can check the hash and keep
//! the texts per revision), without cookies or referrer, and never when the
//! config's `collector` is `null`.

use std::cell::RefCell;

use wasm_bindgen::JsValue;

use super::{activate, dom, queue, records, report, storage, upload, App, Crypto};
use crate::aggregate::Aggregator;
use crate::consent::Consent;
use crate::receipt::{self, Receipt};
use crate::json::{self, obj, J};
use crate::report::Report;
use crate::transparency::{self, Sent};
use upload::Outcome;

thread_local! {
    /// Receipts erased while their POST was still in flight: deleted once it lands.
    static ERASED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// Receipts being POSTed now (not resent meanwhile).
    static INFLIGHT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Whether a receipt is being POSTed now (`qa.idle()` and `flush()` wait for it).
pub(super) fn receipts_in_flight() -> bool {
    INFLIGHT.with(|f| !f.borrow().is_empty())
}

impl App {
    /// Builds, keeps and sends the receipt of the decision `consent` (just made).
    /// Issues the receipt of `consent`; its id, if it was made.
    pub(super) fn issue_receipt(&self, consent: &Consent) -> Option<String> {
        let r = receipt::build(&self.config, &self.texts, consent, report::uuid_v4(&mut Crypto), &self.bundle().1);
        let r = r?;
        let id = r.receipt_id.clone();
        records::keep(&r);
        if let Some(url) = self.receipts_url() {
            let bundle = &self.bundle().0;
            if bundle.len() > receipt::MAX_BUNDLE_BYTES {
                dom::warn(&format!(
                    "the prompt's texts come to {} bytes, over the {} a collector keeps with a receipt: receipts are sent without \
                     them (their texts_sha256 still names the texts); keep each revision's texts on your side, or shorten them",
                    bundle.len(),
                    receipt::MAX_BUNDLE_BYTES
                ));
            }
            let body = receipt::body(&r, Some(bundle));
            // In flight from now, not from when the spawned send first runs:
            // `qa.idle()` or `flush()` called right after the decision wait for it.
            INFLIGHT.with(|f| f.borrow_mut().push(r.receipt_id.clone()));
            wasm_bindgen_futures::spawn_local(async move {
                send(url, r.receipt_id, body).await;
            });
        }
        Some(id)
    }

    /// Takes back the receipt of a decision that is being made again (see
    /// `App::theirs`): made over a record that was already out of date, it
    /// is deleted here and at the collector (once it lands, if on its way),
    /// so one action leaves one receipt.
    pub(super) fn retract_receipt(&self, id: &str) {
        let kept = records::receipts_and_mine().into_iter().find(|k| k.receipt.receipt_id == id);
        records::forget(id);
        let (Some(url), Some(k)) = (self.receipts_url(), kept) else { return };
        if k.refused {
            return;
        }
        if !k.acknowledged {
            ERASED.with(|e| e.borrow_mut().push(id.to_string()));
        }
        if k.acknowledged || !INFLIGHT.with(|f| f.borrow().iter().any(|x| x == id)) {
            let ids = vec![id.to_string()];
            records::forget_later(&ids);
            // Not an erase: a failure is not said as one (the id stays owed).
            wasm_bindgen_futures::spawn_local(delete_all(url, ids, false));
        }
    }

    /// Sends kept receipts the collector has not acknowledged yet.
    pub(super) async fn resend_receipts(&self) {
        let Some(url) = self.receipts_url() else { return };
        let busy = |id: &str| INFLIGHT.with(|f| f.borrow().iter().any(|x| x == id));
        // Only this site's receipts with a well-formed id are sent (the list is
        // read back from storage, where anything could have been written).
        let ours = |k: &records::Kept| k.receipt.site == self.config.site && crate::conform::is_uuid(&k.receipt.receipt_id);
        for kept in records::receipts().into_iter().filter(|k| !k.acknowledged && !k.refused && !busy(&k.receipt.receipt_id) && ours(k)) {
            let body = receipt::body(&kept.receipt, self.bundle_for(&kept.receipt));
            // A collector that does not answer (or asks to wait) is not tried
            // again for each receipt: the rest wait for the next upload, and
            // a flush() waits one timeout, not one per receipt.
            if !send(url.clone(), kept.receipt.receipt_id, body).await {
                break;
            }
        }
    }

    /// The bundle, when `r` was made with exactly these texts.
    fn bundle_for(&self, r: &Receipt) -> Option<&str> {
        let (bundle, hash) = self.bundle();
        (r.texts_sha256 == *hash && r.revision == self.config.revision).then_some(bundle.as_str())
    }

    pub(super) fn receipts_url(&self) -> Option<String> {
        self.config.collector.as_deref().map(receipt::receipts_url)
    }

    /// Everything `inspect()` shows, as JSON.
    pub(super) fn inspect_value(&self) -> J {
        self.save_now();
        let storage = storage::all_entries().into_iter().map(|(key, bytes)| obj([("key", key.into()), ("bytes", bytes.into())])).collect();
        let st = self.state.borrow();
        let receipts = records::receipts()
            .into_iter()
            .map(|k| {
                let mut v = k.receipt.to_json_value();
                v.set("acknowledged", k.acknowledged.into());
                if k.refused {
                    v.set("refused", true.into());
                }
                v
            })
            .collect();
        // The open aggregates as stored (one writer for both).
        let open = json::parse(&st.agg.to_json()).ok().and_then(|v| v.get("open").cloned()).unwrap_or(J::A(Vec::new()));
        obj([
            ("consent", json::parse(&st.consent.to_json()).unwrap_or(J::Null)),
            ("storage", J::A(storage)),
            // The decision's durable copy (IndexedDB database `candor`), when it holds one.
            ("durable", storage::durable_bytes().map_or(J::Null, |b| obj([("key", transparency::DURABLE_KEY.into()), ("bytes", b.into())]))),
            ("pending", J::A(queue::pending().iter().map(Report::to_json_value).collect())),
            ("open", open),
            ("dropped", queue::dropped_count().into()),
            ("history", J::A(records::history(self.now(), self.config.history_days).iter().map(Sent::to_json_value).collect())),
            ("receipts", J::A(receipts)),
        ])
    }

    /// Opens the "Your data" view, drawn from the live state.
    pub(super) fn open_data(&self) {
        let view = self.data_view();
        if let Some(Err(e)) = self.with_view(|p| p.show_data(&view, self.config.history_days)) {
            dom::warn(&format!("could not show the data view: {}", dom::error_text(&e, "unknown error")));
        }
    }

    /// Redraws the "Your data" view if it is showing (after a track or a flush).
    pub(super) fn refresh_data(&self) {
        if !self.data_open() {
            return;
        }
        let view = self.data_view();
        self.with_view(|p| p.render_data(&view, self.config.history_days));
    }

    /// The view's content, from the live state.
    fn data_view(&self) -> transparency::View {
        self.save_now();
        let history = records::history(self.now(), self.config.history_days);
        let mut entries = storage::all_entries();
        if let Some(bytes) = storage::durable_bytes() {
            entries.push((transparency::DURABLE_KEY.to_string(), bytes));
        }
        let pending = queue::pending();
        let receipts: Vec<(crate::receipt::Receipt, Option<bool>)> =
            records::receipts().into_iter().map(|k| (k.receipt, (!k.refused).then_some(k.acknowledged))).collect();
        // The offset of each moment shown, not of now: across a
        // daylight-saving change they differ.
        let offset = |t: u64| -(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(t as f64 * 1000.0)).get_timezone_offset() as i64);
        let st = self.state.borrow();
        // What other open tabs of the site counted waits to be sent too:
        // the visitor sees it here, whichever tab they look from.
        let mut open = st.agg.open.clone();
        for key in self.other_tabs() {
            if let Some(other) = storage::get(&key).and_then(|t| Aggregator::from_json(&t)) {
                open.extend(other.open.into_iter().filter(|a| crate::conform::aggregate(&self.config, a)));
            }
        }
        let consent = &st.consent;
        let granted = |id: &str| consent.granted(id);
        transparency::view(
            &self.config,
            &self.texts.chain,
            &transparency::Words { ui: &self.texts.ui, english: self.texts.ui_language() == "en" },
            &transparency::State {
                granted: &granted,
                open: &open,
                pending: &pending,
                history: &history,
                storage: &entries,
                receipts: &receipts,
                utc_offset: &offset,
            },
        )
    }

    /// Downloads `candor-export-<site>-<date>.json`: `inspect()` plus receipts.
    pub(super) fn export(&self) {
        let now = self.now();
        let mut v = self.inspect_value();
        v.set("site", self.config.site.as_str().into());
        v.set("exported_at", now.into());
        let site: String =
            self.config.site.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
        let name = format!("candor-export-{site}-{}.json", transparency::iso_date(now));
        let text = v.to_pretty();
        if let Some(Err(e)) = self.with_view(|p| p.download(&name, &text)) {
            dom::warn(&format!("could not start the download: {}", dom::error_text(&e, "unknown error")));
        }
    }

    /// Deletes every Candor key and declared cookie, asks the collector to
    /// delete this browser's receipts, forgets the decision and asks again.
    pub(super) fn erase(&self) -> JsValue {
        let kept = records::receipts_and_mine();
        // Deletions an earlier erase could not get confirmed are still owed.
        let owed = records::to_forget();
        // Other tabs hear this write before the removals: they drop what
        // they counted too (see `erased_in_another_tab`). `clear` removes it.
        let mark = self.now().to_string();
        if !storage::try_set(storage::ERASED, &mark) {
            // Full storage: room is made first, so the others still hear it.
            storage::clear();
            storage::try_set(storage::ERASED, &mark);
        }
        // Marked no earlier than the decision it erases (a clock set back
        // since): that record must read as erased if it comes back.
        let decided_at = storage::get(storage::CONSENT).and_then(|t| crate::consent::StoredRecord::from_json(&t)).map_or(0, |r| r.updated_at);
        storage::clear();
        storage::keep_erased(self.now().max(decided_at));
        self.forget_here();
        records::forget_memory();
        let cookies: Vec<String> = self.config.optional_purposes().flat_map(|p| p.cookies.iter().cloned()).collect();
        activate::delete_cookies(&dom::document(), &cookies);
        if let Some(url) = self.receipts_url() {
            let mut ids = owed;
            for k in kept.into_iter().filter(|k| !k.refused && crate::conform::is_uuid(&k.receipt.receipt_id)) {
                let id = k.receipt.receipt_id;
                if !k.acknowledged {
                    // A POST on its way (or about to start): deleted once it lands.
                    ERASED.with(|e| e.borrow_mut().push(id.clone()));
                }
                if (k.acknowledged || !INFLIGHT.with(|f| f.borrow().contains(&id))) && !ids.contains(&id) {
                    // Acknowledged, or maybe stored with the answer lost: a
                    // DELETE of a receipt the collector never had is a 404.
                    ids.push(id);
                }
            }
            // Owed before any request starts: a page left right after the
            // erase still asks for them on the visitor's next visit.
            records::forget_later(&ids);
            wasm_bindgen_futures::spawn_local(delete_all(url, ids, true));
        }
        self.show_consent();
        // Gated content still waiting (behind a slow script) stays inert.
        self.activate();
        self.publish_signals();
        let c = self.consent_js();
        dom::dispatch("consent", &c);
        c
    }
}

impl App {
    /// Another tab erased everything: nothing from before is kept here
    /// either, not what this tab counted (its open windows and their
    /// per-window bounds, reports only its memory held), nor its tab id,
    /// nor the decision (asked again). Receipts on their way are deleted
    /// once they land.
    pub(super) fn erased_in_another_tab(&self, mark: Option<u64>) {
        erased_elsewhere(self.receipts_url());
        records::drop_listed(mark);
        self.forget_here();
        self.consent_changed();
    }

    /// What this page holds of the visitor, after an erase here or in
    /// another tab: nothing accepted before it is kept, written back, or
    /// remembered as sent when an acknowledgement lands after it; the tab
    /// id, memory-held reports and the decision go too.
    fn forget_here(&self) {
        self.save_queued.set(false);
        self.withdrawn.borrow_mut().clear();
        queue::forget_tab();
        self.tab.set(None);
        queue::forget_saved();
        queue::forget_memory();
        {
            let mut st = self.state.borrow_mut();
            st.consent = Consent::undecided(&self.config);
            st.agg = Aggregator::default();
        }
        self.unstored_at.set(None);
    }
}

/// POSTs one receipt; marks it acknowledged (or deletes it, if erased meanwhile).
/// A refused receipt that carried its texts is sent once more without them
/// (a bundle over the collector's 32 KB limit must not cost the receipt).
/// Sends one receipt; `false` when the collector is to be tried later.
async fn send(url: String, id: String, body: String) -> bool {
    INFLIGHT.with(|f| {
        let mut f = f.borrow_mut();
        if !f.contains(&id) {
            f.push(id.clone());
        }
    });
    let mut body = body;
    let mut restamped = false;
    let outcome = loop {
        let ahead = upload::ahead_s();
        let Ok(request) = upload::post(&url, &upload::receipt_for_collector(&body), false) else { break Outcome::Retry(None) };
        let outcome = upload::outcome(request).await;
        // Refused, and the answer showed this clock runs ahead (a timestamp
        // "from the future"): sent again, re-stamped.
        if matches!(outcome, Outcome::Rejected(..)) && upload::ahead_s() != ahead && !restamped {
            restamped = true;
            continue;
        }
        // Only a refused receipt is read again, to drop its texts.
        match if matches!(outcome, Outcome::Rejected(..)) { without_texts(&body) } else { None } {
            Some(bare) => body = bare,
            None => break outcome,
        }
    };
    INFLIGHT.with(|f| f.borrow_mut().retain(|x| *x != id));
    let erased = ERASED.with(|e| {
        let mut e = e.borrow_mut();
        let at = e.iter().position(|x| *x == id);
        at.map(|i| e.remove(i)).is_some()
    });
    match outcome {
        Outcome::Acknowledged | Outcome::Rejected(409, _) if erased => {
            records::forget_later(std::slice::from_ref(&id));
            delete_all(url, vec![id], true).await;
        }
        // 409: the collector has a receipt with this id (an earlier try was
        // stored and its answer lost): kept as acknowledged, so an erase
        // still asks for its deletion.
        Outcome::Acknowledged | Outcome::Rejected(409, _) => records::acknowledge(&id),
        // The visitor erased it before it landed (the collector keeps the
        // ids it was asked to delete, and refuses them): nothing to keep.
        Outcome::Rejected(410, _) => records::forget(&id),
        Outcome::Rejected(_, why) => {
            // Never accepted: kept here as the visitor's record of the
            // decision, and not resent forever.
            records::refuse(&id);
            dom::report_error(
                "receipt-rejected",
                &format!("the collector refused receipt {id} ({why}): it is kept in this browser only, and not sent again"),
            );
        }
        // Erased meanwhile, and maybe stored with the answer lost: owed a
        // DELETE (a 404 if the collector never had it).
        Outcome::Retry(_) => {
            if erased {
                records::forget_later(std::slice::from_ref(&id));
            }
            return false;
        }
    }
    true
}

/// Another tab erased everything (the stored decision is gone): receipts
/// this tab is still POSTing are deleted once they land, as after an erase
/// here.
pub(super) fn erased_elsewhere(receipts_url: Option<String>) {
    let inflight = INFLIGHT.with(|f| f.borrow().clone());
    ERASED.with(|e| e.borrow_mut().extend(inflight));
    // Receipts only this page's memory held (storage refused them): the
    // other tab could not see them, so this one deletes them, now. (Only
    // listing them in candor.forget would race with the other tab's own
    // updates of that key: writes from two tabs do not wait for each other.)
    let ids = records::erased_elsewhere();
    if let (false, Some(url)) = (ids.is_empty(), receipts_url) {
        wasm_bindgen_futures::spawn_local(delete_all(url, ids, false));
    }
}

fn without_texts(body: &str) -> Option<String> {
    let J::O(mut entries) = json::parse(body).ok()? else { return None };
    let at = entries.iter().position(|(k, _)| k == "texts")?;
    entries.remove(at);
    Some(J::O(entries).to_text())
}

/// Asks the collector to delete receipts (`url` is the receipts route), ids
/// already listed in `candor.forget`. All requests start at once (with
/// `keepalive`, so leaving the page does not cancel them). An id the
/// collector confirms (2xx) or never had (404) is done with, as is one it
/// refuses for good (another 4xx, with a warning); one that failed stays
/// owed and is asked again on later ticks and boots. `tell` (the erase
/// itself, not a later retry) reports a failure with a `candor:error`
/// (`receipt-delete`).
pub(super) async fn delete_all(url: String, ids: Vec<String>, tell: bool) {
    let started: Vec<_> = ids.into_iter().map(|id| (upload::delete(&receipt::receipt_url(&url, &id)), id)).collect();
    let mut failed = 0;
    for (request, id) in started {
        let outcome = match request {
            Ok(request) => upload::outcome(request).await,
            Err(_) => Outcome::Retry(None),
        };
        match outcome {
            Outcome::Acknowledged | Outcome::Rejected(404, _) => records::forgotten(&id),
            Outcome::Rejected(_, why) => {
                records::forgotten(&id);
                dom::warn(&format!("the collector refused to delete receipt {id} ({why})"));
            }
            Outcome::Retry(_) => failed += 1,
        }
    }
    if failed > 0 {
        if tell {
            dom::report_error(
                "receipt-delete",
                &format!("could not reach the collector to delete {failed} receipt(s) of erased choices; asking again later"),
            );
        }
    }
}

impl App {
    /// Asks again for the deletions an erase could not get confirmed.
    pub(super) async fn delete_owed(&self) {
        let owed = records::to_forget();
        if owed.is_empty() {
            return;
        }
        match self.receipts_url() {
            Some(url) => delete_all(url, owed, false).await,
            // No collector (`collector: null`): its receipts were only ever
            // kept here, so there is nothing to ask anyone to delete (an
            // erase after a failed boot could not know that).
            None => {
                for id in &owed {
                    records::forgotten(id);
                }
            }
        }
    }
}
