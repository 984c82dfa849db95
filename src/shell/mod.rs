//! The browser shell (public only for the in-browser tests): boots the core from the page and translates between
//! the two.
//!
//! The JS loader (`src/js/loader.js`) finds the config text and calls
//! [`boot`]. From then on `window.candor` forwards to [`Sdk`]. Prompt clicks
//! arrive as [`prompt::Intent`]s and are handled in a microtask, so no DOM
//! listener is ever running while state is borrowed.

mod activate;
mod dataview;
pub mod dom;
mod placeholder;
mod prompt;
mod queue;
mod records;
mod signals;
pub mod storage;
mod upload;
mod visitor;

use std::any::Any;
use std::cell::{Cell, OnceCell, RefCell};
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use wasm_bindgen::prelude::*;

use crate::aggregate::{Aggregate, Aggregator};
use crate::config::{Config, Reopen, Text};
use crate::conform;
use crate::consent::{Consent, Method, Reconciled, Rejection};
use crate::gate::{self, Value};
use crate::noise::Entropy;
use crate::readability;
use crate::report::{self, Report};
use crate::texts::{self, Resolved};
use prompt::{Intent, Prompt};
use upload::Outcome;

#[wasm_bindgen]
extern "C" {
    /// `crypto.getRandomValues`, in every browser and worker we run in. A
    /// binding of our own: the `getrandom` crate's, made for every target,
    /// carried error texts for platforms that are not this one.
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]);
}

/// Randomness from `crypto.getRandomValues`.
struct Crypto;

impl Entropy for Crypto {
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        get_random_values(&mut b);
        u64::from_le_bytes(b)
    }
}

/// How far ahead of this tab's clock a report's window may end and still be
/// sent as it is: half the collector's day of slack, the other half left
/// for this clock being behind the collector's.
const FUTURE_TOLERANCE: u64 = 12 * 3600;

/// Retry delays: full jitter over an exponential ceiling, capped at 10 minutes.
/// How many withdrawn reports' ids are kept for an acknowledgement still
/// on its way ([`App::withdrawn`]).
const WITHDRAWN_KEEP: usize = 50;
const RETRY_BASE_MS: f64 = 2_000.0;
const RETRY_CAP_MS: f64 = 600_000.0;
/// A tab's open aggregates are adopted by another once it has not said it is
/// running (`candor.alive.<tab>`, wall-clock seconds, written while it has
/// open aggregates stored: on its ticks, at most 15 s apart, about a minute
/// in a throttled background tab, and on `track`) for this long: it crashed,
/// or stopped running (frozen, a modal dialog left open). A tab that finds it
/// did not run for as long checks whether its data was taken, and takes none
/// until as long again has passed (the machine may have slept).
const ORPHAN_SILENT_SECONDS: u64 = 600;
/// Whether a tab whose last heartbeat was at `seen` (wall-clock seconds) has
/// been silent for [`ORPHAN_SILENT_SECONDS`].
fn silent_since(seen: u64) -> bool {
    seen.saturating_add(ORPHAN_SILENT_SECONDS) <= dom::now_seconds()
}

/// How often, at most, a heartbeat is written.
const BEAT_MS: f64 = 5_000.0;
/// The same, for a tab that never said so (a version before heartbeats):
/// once all its windows ended this long ago.
const ORPHAN_AFTER_SECONDS: u64 = 3_600;

/// Boot failure reported by the loader (config fetch, wasm load).
#[wasm_bindgen(js_name = bootError)]
pub fn boot_error(code: &str, message: &str) {
    // No config, so nothing is granted: as for a refused one.
    signals::unpublish();
    dom::report_error(code, message);
}

/// Parses the config and starts the SDK. On an invalid config it logs one
/// `console.error`, dispatches `candor:error`, and returns an error: no
/// prompt is shown and nothing is granted or sent.
///
/// `preset` (JSON of `window.candorPreset`) and `url_preset` (the `candor`
/// URL parameter) are honoured only when the config's `qa` allows this host.
#[wasm_bindgen]
pub fn boot(config_text: &str, preset: Option<String>, url_preset: Option<String>) -> Result<Sdk, JsValue> {
    let sdk = boot_first(config_text, preset, url_preset, None)?;
    sdk.finish()?;
    Ok(sdk)
}

/// [`boot`]'s first part, what the first frame needs: the config, the texts,
/// the stored decision and the banner (or the reopen control), shown. The
/// `Sdk` must not be used before [`Sdk::finish`] has run the rest; the loader
/// calls it at once, or after the banner's first paint when
/// [`Sdk::wait_for_paint`] allows, and only then hands the `Sdk` to the page.
/// `durable` is the decision's durable copy as the loader read it (the last
/// records written, oldest first, joined by U+001F), to settle the stored
/// record against; `None` when there is none to compare.
#[wasm_bindgen(js_name = bootFirst)]
pub fn boot_first(config_text: &str, preset: Option<String>, url_preset: Option<String>, durable: Option<String>) -> Result<Sdk, JsValue> {
    let config = match Config::from_json(config_text) {
        Ok(c) => c,
        Err(e) => return Err(stopped("config", &format!("invalid config: {e}"))),
    };
    // The browser judges a URL's host by the URL Standard (an IPv4 address
    // of 256 or of five parts is no host at all): a collector it cannot
    // read would leave every report waiting, unsent, for ever.
    if let Some(c) = config.collector.as_deref().filter(|c| c.starts_with("http")) {
        if web_sys::Url::new(c).is_err() {
            let why = format!("invalid config: collector: is not a URL this browser can send to (its host is not valid), got {}", crate::json::quote(c));
            return Err(stopped("config", &why));
        }
    }
    App::start(config, preset, url_preset, durable)
        .map(|app| Sdk { app })
        .map_err(|e| stopped("boot", &format!("could not show the prompt: {}", dom::error_text(&e, "the page refused it"))))
}

/// A boot that stopped: nothing granted (signals taken back), reported
/// once (`console.error`, `candor:error` with `code`), and thrown to the
/// loader as an `Error` carrying the same `code`, so it does not report it
/// again and `candor.error` names the right cause.
fn stopped(code: &str, message: &str) -> JsValue {
    signals::unpublish();
    dom::report_error(code, message);
    let e = js_sys::Error::new(message);
    let _ = js_sys::Reflect::set(&e, &"code".into(), &code.into());
    e.into()
}

/// The object behind `window.candor`.
#[wasm_bindgen]
pub struct Sdk {
    app: Rc<App>,
}

struct App {
    config: Config,
    /// Shared with the prompt and its data view.
    texts: Rc<Resolved>,
    gpc: bool,
    /// This tab's id (see `queue::tab_id`), read when first needed.
    tab: Cell<Option<&'static str>>,
    /// Between `pagehide` and `pageshow`: the page is going away (or into
    /// the back/forward cache) and has closed and sent its windows.
    gone: Cell<bool>,
    state: RefCell<State>,
    /// The prompt, apart from `state`: its DOM calls (focus moves, showModal)
    /// run page handlers synchronously, and those may call `candor` back.
    /// See [`App::with_view`].
    view: RefCell<Option<Prompt>>,
    /// A decision of this page is (or was read from) the stored record.
    stored_once: Cell<bool>,
    /// When this page's last decision could not be stored (full or blocked
    /// storage), its `updated_at`: an older stored record must not undo it.
    unstored_at: Cell<Option<u64>>,
    uploading: Cell<bool>,
    /// Sends made as the page was hidden or left, still on their way.
    hide_uploads: Cell<u32>,
    /// Reports acknowledged by the collector since boot, by any upload of
    /// this tab: what a `flush` answers is how far this moved while it ran.
    acknowledged: Cell<u32>,
    /// An accepted `track` changed the open aggregates and their write to
    /// storage is queued for the end of this task ([`App::save_soon`]).
    save_queued: Cell<bool>,
    /// A retry of [`App::reattach`] is waiting.
    reattach_queued: Cell<bool>,
    /// Reports sent at page hide in the last [`upload::TIMEOUT_MS`], with
    /// when: `visibilitychange` and `pagehide` both fire on the way out, and
    /// the second must not send them again.
    hide_sent: RefCell<Vec<(String, f64)>>,
    /// Pending reports dropped because their purpose was withdrawn (at most
    /// [`WITHDRAWN_KEEP`], newest last): one already on its way still lands
    /// in the visitor's history when the collector acknowledges it. An erase
    /// empties it, so nothing sent before an erase comes back.
    withdrawn: RefCell<Vec<String>>,
    /// The last decision this page stored: the record written, and what it
    /// granted and denied (see [`App::theirs`]).
    last_decision: RefCell<Option<LastDecision>>,
    /// QA mode is on for this host.
    qa: bool,
    /// QA clock offset in seconds (`candor.qa.advance`).
    clock_offset: Cell<u64>,
    /// Wall-clock ms of this tab's last heartbeat check ([`App::beat`]).
    last_beat_ms: Cell<f64>,
    /// Wall-clock ms when this tab last found it had not run for
    /// [`ORPHAN_SILENT_SECONDS`] (0: never): until as long again has passed,
    /// it takes over no other tab, as they may have slept with it.
    woke_ms: Cell<f64>,
    /// QA: reports are built without noise.
    exact: Cell<bool>,
    attempts: Cell<u32>,
    retry_at_ms: Cell<f64>,
    /// Until when (ms) the collector asked to be left alone (`Retry-After`):
    /// kept in storage (`candor.retry`), so the next pages of the site, and
    /// this one as it is left, do not send the backlog again meanwhile.
    server_wait_ms: Cell<f64>,
    /// Listeners, observers and timers; dropping them unregisters them.
    handles: RefCell<Vec<Box<dyn Any>>>,
    placeholders: RefCell<placeholder::Placeholders>,
    /// Placeholder buttons grant through here.
    on_allow: RefCell<Option<Rc<dyn Fn(Vec<String>, bool)>>>,
    /// While a [`Intent::Scripted`] is handled: its decision is `api`.
    scripted: Cell<bool>,
    /// The canonical text bundle of this prompt and its SHA-256 (receipts),
    /// computed when first needed.
    bundle: OnceCell<(String, String)>,
    /// The QA presets given to `boot`, applied by `finish`.
    presets: RefCell<Option<(Option<String>, Option<String>)>>,
    /// `None` until `finish` has run, then whether it succeeded.
    finished: Cell<Option<bool>>,
}

struct State {
    consent: Consent,
    agg: Aggregator,
}

impl App {
    /// What the first frame needs: the texts, the stored decision and the
    /// prompt, shown or hidden. Everything else is [`App::finish`]'s.
    fn start(mut config: Config, preset: Option<String>, url_preset: Option<String>, durable: Option<String>) -> Result<Rc<App>, JsValue> {
        let window = web_sys::window().ok_or("no window")?;
        // A collector path is on this page's origin: fetch
        // would resolve it against a <base href> of another site.
        if let (Some(c), Ok(origin)) = (config.collector.as_mut(), window.location().origin()) {
            if c.starts_with('/') && origin != "null" {
                c.insert_str(0, &origin);
            }
        }
        let host = window.location().hostname().unwrap_or_default();
        let qa = config.qa.enabled_on(&host);
        let navigator = window.navigator();
        // Read through Reflect (which catches): a getter an anti-fingerprinting
        // tool made throw leaves the chain at default_language, not the boot stopped.
        let languages: Vec<String> = js_sys::Reflect::get(&navigator, &"languages".into())
            .ok()
            .and_then(|v| v.dyn_into::<js_sys::Array>().ok())
            .map(|a| a.iter().filter_map(|l| l.as_string()).collect())
            .unwrap_or_default();
        let mut texts = texts::resolve(&config, &languages);
        // Plain-string texts are in the site's language: a fixed
        // `language` says which; with "auto" the page does (`<html lang>`),
        // else `default_language`.
        let page_lang = dom::document().document_element().and_then(|e| e.get_attribute("lang")).map(|l| l.trim().to_string());
        if let Some(l) = page_lang.filter(|l| config.language == "auto" && crate::config::is_language_tag(l)) {
            texts.site_lang = l;
        }
        let texts = Rc::new(texts);
        let gpc = js_sys::Reflect::get(&navigator, &"globalPrivacyControl".into()).map(|v| v.is_truthy()).unwrap_or(false);

        let mut stored = storage::get(storage::CONSENT);
        // The durable copy's decision, when localStorage refuses to take it back.
        let mut unstored = false;
        // A decision the browser lost from localStorage but not from its
        // durable copy (killed before it wrote to disk): the narrower of the
        // two holds (`consent::reconcile`).
        if let Some(copy) = durable {
            let written: Vec<&str> = copy.split('\u{1f}').collect();
            match crate::consent::reconcile(stored.as_deref(), &written) {
                Reconciled::Keep => {
                    if crate::consent::copy_behind(stored.as_deref(), &written) {
                        storage::keep_durably(stored.as_deref());
                    }
                }
                Reconciled::Use(text) => {
                    unstored = !storage::set(storage::CONSENT, &text);
                    stored = Some(text);
                }
                Reconciled::Neither => {
                    storage::remove(storage::CONSENT);
                    stored = None;
                }
            }
        }
        let (consent, rejection) = Consent::load(&config, stored.as_deref(), dom::now_seconds());
        let unstored_at = if unstored { consent.updated_at } else { None };
        let decided_before = consent.decided;
        // A record of another revision, or of other purposes under the same
        // one, may be a second config's on this origin (a section of the
        // site, a widget in a frame): asked again here, and left in place
        // until a decision here replaces it, as booting must not undo that
        // config's decision.
        if matches!(rejection, Some(Rejection::Corrupt | Rejection::Expired)) {
            storage::remove(storage::CONSENT);
        }
        // Another revision or an expired decision is the ordinary way to ask
        // again; an unreadable record, or one for other purposes under the
        // same revision, is worth saying.
        if matches!(rejection, Some(Rejection::Corrupt | Rejection::OtherPurposes)) {
            dom::warn(
                "the stored decision (localStorage candor.consent) could not be read, or lists other purposes than this config \
                 (change revision when purposes change): it is not used, and the visitor is asked again",
            );
        }
        let app = Rc::new(App {
            bundle: OnceCell::new(),
            presets: RefCell::new(Some((preset, url_preset))),
            finished: Cell::new(None),
            config,
            texts,
            gpc,
            tab: Cell::new(None),
            gone: Cell::new(false),
            // The open aggregates are read by `finish`, before anything can record or save them.
            state: RefCell::new(State { consent, agg: Aggregator::default() }),
            view: RefCell::new(None),
            stored_once: Cell::new(decided_before),
            // Held for the page like a decision storage refused: an older
            // stored record must not win it back.
            unstored_at: Cell::new(unstored_at),
            uploading: Cell::new(false),
            hide_uploads: Cell::new(0),
            acknowledged: Cell::new(0),
            save_queued: Cell::new(false),
            reattach_queued: Cell::new(false),
            hide_sent: RefCell::new(Vec::new()),
            withdrawn: RefCell::new(Vec::new()),
            last_decision: RefCell::new(None),
            qa,
            clock_offset: Cell::new(0),
            last_beat_ms: Cell::new(0.0),
            woke_ms: Cell::new(0.0),
            exact: Cell::new(false),
            attempts: Cell::new(0),
            retry_at_ms: Cell::new(0.0),
            server_wait_ms: Cell::new(queue::server_wait()),
            handles: RefCell::new(Vec::new()),
            placeholders: RefCell::new(placeholder::Placeholders::default()),
            on_allow: RefCell::new(None),
            scripted: Cell::new(false),
        });
        let weak = Rc::downgrade(&app);
        let on: Rc<dyn Fn(Intent)> = Rc::new(move |intent| App::later(&weak, intent));
        let weak = Rc::downgrade(&app);
        *app.on_allow.borrow_mut() = Some(Rc::new(move |ids: Vec<String>, by_visitor: bool| {
            let intent = Intent::Allow(ids);
            App::later(&weak, if by_visitor { intent } else { Intent::Scripted(Box::new(intent)) })
        }));
        let prompt = Prompt::new(&dom::document(), &app.config, &app.texts, on)?;
        *app.view.borrow_mut() = Some(prompt);
        app.show_consent();
        Ok(app)
    }

    /// The rest of the start, in its original order: the plain-language
    /// warnings, this tab's open aggregates, a QA preset, orphans, the purge,
    /// the page listeners, gated content, the consent signals and the first
    /// upload. Runs once; every path that could use what it sets up (the
    /// `Sdk`, which the loader hands out only afterwards, and prompt clicks)
    /// runs it first, and gives up if it failed.
    fn finish(self: &Rc<Self>) -> Result<(), JsValue> {
        match self.finished.get() {
            Some(true) => return Ok(()),
            Some(false) => return Err("candor did not start".into()),
            None => self.finished.set(Some(false)),
        }
        self.finish_once()?;
        self.finished.set(Some(true));
        Ok(())
    }

    fn finish_once(self: &Rc<Self>) -> Result<(), JsValue> {
        warn_unplain_texts(&self.config);
        warn_foreign_cookie_domain(&self.config);
        warn_no_retention(&self.config);
        // A window's parts fill the pending queue: while the collector
        // cannot be reached, older reports are pushed out sooner.
        for p in &self.config.purposes {
            let bytes = self.config.noised_report_bytes(&p.id);
            if bytes * 2 > queue::MAX_BYTES / 2 {
                dom::warn(&format!(
                    "a window of purpose {} may come to about {} bytes of reports (every declared cell: always with noise, and \
                     without it once every value is counted), more than half of the {} bytes of reports kept waiting for the \
                     collector: while it cannot be reached, older reports are dropped; declare fewer events or category values for it",
                    crate::json::quote(&p.id),
                    bytes,
                    queue::MAX_BYTES / 2
                ));
            }
        }
        for (event, bytes) in self.config.oversized_events() {
            dom::warn(&format!(
                "a report of event {} alone may be about {} bytes (every declared cell in it: always with noise, and without it \
                 once every value is counted in one window), over the {} a collector takes, and would then be dropped; declare \
                 fewer fields or shorter category values for it, or split it into two events",
                crate::json::quote(event),
                bytes,
                crate::config::MAX_REPORT_BYTES
            ));
        }
        let (mut agg, corrupt) = queue::load_open(self.tab());
        let before = agg.open.len();
        agg.open.retain(|a| conform::aggregate(&self.config, a));
        if corrupt || agg.open.len() < before {
            dom::warn("stored aggregates were unreadable or did not match the config and have been discarded");
        }
        // A page left normally sends its windows: what is still stored under
        // this tab's id was left by a crash, or a browser killed before it
        // wrote that it was sent. Sealed (see `seal_open`): the counts and
        // their bound stay, new events go in new windows.
        self.state.borrow_mut().agg = agg;
        self.seal_open();
        self.beat();
        let (preset, url_preset) = self.presets.borrow_mut().take().unwrap_or_default();
        self.apply_preset(preset.as_deref(), url_preset.as_deref());
        self.purge_denied();
        // Declared cookies of purposes not granted, left by an earlier grant
        // (for a path the withdrawing page could not see, or a decision of
        // another revision): gone as this page starts.
        // Only after a decision of this config: an undecided visitor may hold
        // another config's decision on this origin, whose grants stand.
        let denied: Vec<String> = {
            let st = self.state.borrow();
            let decided = st.consent.decided;
            self.config.optional_purposes().filter(|p| decided && !st.consent.granted(&p.id)).flat_map(|p| p.cookies.iter().cloned()).collect()
        };
        activate::delete_cookies(&dom::document(), &denied);
        self.watch(&web_sys::window().ok_or("no window")?)?;
        // The page may have replaced <body>, or shown and closed a modal
        // dialog of its own, since the banner was shown: the loader's
        // observer (`watchPage`) only starts once this returns.
        self.reattach();
        self.activate();
        self.publish_signals();
        let first = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            first.flush(false, false).await;
        });
        Ok(())
    }

    /// Whether `finish` may wait for the first paint: only while the banner
    /// is up and no QA preset could take it down again (it must not flash).
    fn may_wait_for_paint(&self) -> bool {
        let preset = self.presets.borrow().as_ref().is_some_and(|(o, u)| o.is_some() || u.as_deref().is_some_and(|u| !u.is_empty()));
        self.finished.get().is_none() && !preset && !self.state.borrow().consent.decided
    }

    /// This tab's id. (Leaked: one per page, and one more after each
    /// [`App::new_tab_id`] or erase.)
    fn tab(&self) -> &'static str {
        if let Some(tab) = self.tab.get() {
            return tab;
        }
        let tab: &'static str = Box::leak(queue::tab_id(|| report::uuid_v4(&mut Crypto), silent_since).into_boxed_str());
        self.tab.set(Some(tab));
        tab
    }

    /// Another tab writes this tab's open aggregates: it took
    /// the same id (a window opened from a page of the site without Candor
    /// copies the session's id, see [`queue::tab_id`]). This tab takes a new
    /// id and keeps what it counted under it; what the other wrote stays
    /// the other's.
    fn new_tab_id(&self) {
        let tab: &'static str = Box::leak(queue::new_tab_id(report::uuid_v4(&mut Crypto)).into_boxed_str());
        self.tab.set(Some(tab));
        queue::forget_saved();
        let st = self.state.borrow();
        if !st.agg.open.is_empty() || !st.agg.budget.is_empty() {
            queue::save_open(tab, &st.agg);
        }
    }

    /// The stored open aggregates of every other tab. After an erase this
    /// tab has no id until it stores something again: then all are others'.
    fn other_tabs(&self) -> Vec<String> {
        queue::other_tabs(self.tab.get().unwrap_or_default())
    }

    /// Stores (or, empty, removes) this tab's open aggregates. Nothing
    /// counted since an erase needs no id, so none is made for it.
    fn save_open(&self, agg: &Aggregator) -> bool {
        if self.tab.get().is_none() && agg.open.is_empty() && agg.budget.is_empty() {
            return true;
        }
        queue::save_open(self.tab(), agg)
    }

    /// The text bundle and its SHA-256.
    fn bundle(&self) -> &(String, String) {
        self.bundle.get_or_init(|| {
            let bundle = crate::receipt::text_bundle(&self.config, &self.texts);
            let hash = crate::receipt::sha256_hex(&bundle);
            (bundle, hash)
        })
    }

    fn now(&self) -> u64 {
        dom::now_seconds() + self.clock_offset.get()
    }

    /// Applies a QA preset when QA mode allows it; says so once either way.
    fn apply_preset(&self, object: Option<&str>, url: Option<&str>) {
        if object.is_none() && url.is_none_or(str::is_empty) {
            return;
        }
        if !self.qa {
            dom::warn("a QA preset was ignored: QA mode is off for this host (config \"qa\")");
            return;
        }
        match crate::qa::read(&self.config, object, url) {
            Err(e) => dom::report_error("qa-preset", &format!("invalid QA preset: {e}")),
            Ok(None) => {}
            Ok(Some(preset)) => {
                web_sys::console::info_1(&format!("candor: QA preset active ({})", preset.source).into());
                if preset.noise == Some(false) {
                    self.exact.set(true);
                }
                match preset.grant {
                    Some(ids) => {
                        let grant: Vec<&str> = ids.iter().map(String::as_str).collect();
                        let deny: Vec<&str> =
                            self.config.optional_purposes().map(|p| p.id.as_str()).filter(|id| !grant.contains(id)).collect();
                        self.decide_known(&grant, &deny, Method::Api);
                    }
                    None => {
                        storage::remove(storage::CONSENT);
                        self.state.borrow_mut().consent = Consent::undecided(&self.config);
                    }
                }
            }
        }
    }

    /// Registers the page listeners, the observer and the upload timer.
    fn watch(self: &Rc<Self>, window: &web_sys::Window) -> Result<(), JsValue> {
        let doc = dom::document();
        let mut handles = self.handles.borrow_mut();
        let weak = Rc::downgrade(self);
        handles.push(Box::new(EventListener::new(window, "pagehide", move |_| {
            queue::tab_live(false);
            if let Some(app) = weak.upgrade() {
                app.gone.set(true);
                app.on_leave();
            }
        })));
        // Back from the back/forward cache: storage events were missed while
        // the page slept, so the stored decision is read again.
        let weak = Rc::downgrade(self);
        handles.push(Box::new(EventListener::new(window, "pageshow", move |e| {
            let persisted = js_sys::Reflect::get(e, &"persisted".into()).is_ok_and(|v| v.is_truthy());
            if let Some(app) = weak.upgrade() {
                // No id since an erase: nothing to mark (it is made when needed).
                if app.tab.get().is_some() {
                    queue::tab_live(true);
                }
                app.gone.set(false);
                app.beat();
            }
            if persisted {
                App::later(&weak, Intent::Reload);
            }
        })));
        // Unfrozen (Page Lifecycle): the same, as timers stopped meanwhile.
        let weak = Rc::downgrade(self);
        handles.push(Box::new(EventListener::new(&doc, "resume", move |_| {
            if let Some(app) = weak.upgrade() {
                app.beat();
                App::later(&weak, Intent::Reload);
            }
        })));
        let weak = Rc::downgrade(self);
        let d = doc.clone();
        handles.push(Box::new(EventListener::new(&doc, "visibilitychange", move |_| {
            if d.visibility_state() == web_sys::VisibilityState::Hidden {
                if let Some(app) = weak.upgrade() {
                    app.on_hide();
                }
            }
        })));
        // A fullscreen element counts as modal too (`:modal`): the prompt
        // waits under it, and no change to the page's DOM says when it ends.
        let weak = Rc::downgrade(self);
        handles.push(Box::new(EventListener::new(&doc, "fullscreenchange", move |_| {
            if let Some(app) = weak.upgrade() {
                app.reattach();
            }
        })));
        let weak = Rc::downgrade(self);
        handles.push(Box::new(EventListener::new(window, "storage", move |e| {
            let key = e.dyn_ref::<web_sys::StorageEvent>().and_then(|s| s.key());
            // `None`: another tab cleared localStorage altogether.
            if key.as_deref() == Some(storage::ERASED) {
                if let Some(mark) = e.dyn_ref::<web_sys::StorageEvent>().and_then(|s| s.new_value()) {
                    App::later(&weak, Intent::Erased(mark.trim().parse().ok()));
                }
            } else if key.is_none() || key.as_deref() == Some(storage::CONSENT) {
                let value = e.dyn_ref::<web_sys::StorageEvent>().and_then(|s| s.new_value());
                App::later(&weak, Intent::Theirs(value));
            } else if key.as_deref().is_some_and(|k| k.starts_with("candor.")) {
                let written = e.dyn_ref::<web_sys::StorageEvent>().and_then(|s| s.new_value()).is_some();
                if key.as_deref() == Some(records::RECEIPTS) {
                    records::merge_mine();
                }
                if let Some(app) = weak.upgrade() {
                    if key.as_deref().zip(app.tab.get()).is_some_and(|(k, tab)| queue::is_tab_key(k, tab)) {
                        if written {
                            app.new_tab_id();
                        } else {
                            // Taken by a tab that judged this one silent (its
                            // clock, or ours, runs apart): sent by it, so
                            // forgotten here, or it would be sent twice.
                            app.forget_taken();
                        }
                    }
                }
                // Another tab tracked, sent or stored something: an open
                // "Your data" view shows it (it lists every tab's data).
                if let Some(app) = weak.upgrade() {
                    app.refresh_data();
                }
            }
        })));
        handles.push(Box::new(EventListener::new(&doc, "securitypolicyviolation", activate::on_violation)));
        if let Some(collector) = self.config.collector.clone() {
            handles.push(Box::new(EventListener::new(&doc, "securitypolicyviolation", move |e| upload::on_violation(&collector, e))));
        }
        // Any element with data-candor-open opens the preferences on click.
        let weak = Rc::downgrade(self);
        let opts = gloo_events::EventListenerOptions::enable_prevent_default();
        handles.push(Box::new(EventListener::new_with_options(&doc, "click", opts, move |e| {
            let target = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
            if let Some(opener) = target.and_then(|t| t.closest("[data-candor-open]").ok().flatten()) {
                if opener.tag_name().eq_ignore_ascii_case("a") {
                    e.prevent_default();
                }
                App::later(&weak, Intent::Customize);
            }
        })));
        // The page's DOM changes are watched by the loader (src/js/loader.js,
        // `watchPage`), which calls `Sdk::mutated` only for the few that
        // matter to Candor: a busy page's other changes never enter the wasm.
        let tick = self.config.aggregation.window_seconds.clamp(1, 15) * 1000;
        let weak = Rc::downgrade(self);
        handles.push(Box::new(gloo_timers::callback::Interval::new(tick, move || {
            if let Some(app) = weak.upgrade() {
                app.beat();
                app.expire_if_due(app.now());
                if js_sys::Date::now() >= app.retry_at_ms.get() {
                    wasm_bindgen_futures::spawn_local(async move {
                        app.flush(false, false).await;
                    });
                }
            }
        })));
        Ok(())
    }

    /// Activates gated content for the current consent (never while state is borrowed:
    /// activated inline scripts may call `candor` synchronously).
    fn activate(&self) {
        let consent = self.state.borrow().consent.clone();
        let doc = dom::document();
        activate::activate_granted(&doc, &consent);
        if let Some(on_allow) = self.on_allow.borrow().as_ref() {
            self.placeholders.borrow_mut().sync(&doc, &self.config, &self.texts, &consent, on_allow);
        }
    }

    /// Deletes open aggregates and pending reports of every purpose not granted.
    fn purge_denied(&self) {
        let mut st = self.state.borrow_mut();
        let st = &mut *st;
        let denied: Vec<&str> = self.config.purposes.iter().filter(|p| !st.consent.granted(&p.id)).map(|p| p.id.as_str()).collect();
        for id in &denied {
            st.agg.purge(id);
        }
        // The contribution bound of events nobody may record now: nothing to
        // keep (and nothing is left stored after an erase in another tab).
        let config = &self.config;
        st.agg.budget.retain(|event, _| config.events.get(event).is_some_and(|e| st.consent.granted(&e.purpose)));
        self.save_open(&st.agg);
        // Stored aggregates of tabs that stopped running (a running tab
        // purges its own on the storage event).
        for key in self.other_tabs() {
            if self.is_orphan(&key) {
                queue::purge_stored(&key, &denied);
            }
        }
        for r in queue::pending().into_iter().filter(|r| r.site == self.config.site) {
            // Stored reports that this config could not have built (forged,
            // or from an older revision) are dropped, never sent. Another
            // site's (a second config on this origin) are left to its pages.
            if !st.consent.granted(&r.purpose) || !conform::report(&self.config, &r, self.qa) {
                if queue::remove(&r.report_id) && st.consent.decided {
                    let mut w = self.withdrawn.borrow_mut();
                    w.push(r.report_id.clone());
                    let over = w.len().saturating_sub(WITHDRAWN_KEEP);
                    w.drain(..over);
                }
            }
        }
    }

    /// Says this tab is running (at most every [`BEAT_MS`], and only while
    /// it has open aggregates stored). If it finds it did not run for
    /// [`ORPHAN_SILENT_SECONDS`] (crash-like silence: frozen, a dialog left
    /// open, the machine asleep), another tab may have taken its stored open
    /// aggregates meanwhile; if so, they are that tab's now, and this one
    /// forgets its copy before using it. Cheap enough for every `track`.
    fn beat(&self) {
        self.beat_at(js_sys::Date::now());
    }

    /// [`App::beat`] at wall-clock `now` ms (`track` reads the clock once).
    /// Writes the open aggregates to storage at the end of this task: a
    /// burst of `track` calls (a loop, or a page's load handler) costs one
    /// write instead of one per call. The task cannot end, nor the page be
    /// unloaded, before the microtask runs, so what is accepted is stored
    /// as surely as with a write per call.
    fn save_soon(self: &Rc<Self>) {
        if !self.save_queued.replace(true) {
            let app = self.clone();
            wasm_bindgen_futures::spawn_local(async move { app.save_now() });
        }
    }

    /// Writes the open aggregates now if a write is queued: before anything
    /// reads storage in the same task (the "Your data" view, `inspect()`).
    fn save_now(&self) {
        if self.save_queued.replace(false) {
            // Taken meanwhile (before its storage event reached this tab):
            // what was stored is the other tab's to send now.
            self.forget_taken();
            // Refused (full or blocked storage): kept in memory, said once.
            self.save_open(&self.state.borrow().agg);
        }
    }

    /// Whether another tab took this tab's stored open aggregates (it
    /// found this one silent for long and sends them now): if so, they are
    /// forgotten here. What this tab counted since its last write is lost
    /// with them (at most one task's events, in a race with the other tab).
    fn forget_taken(&self) {
        if self.tab.get().is_some_and(queue::taken) {
            // Nothing is written back: the next accepted track stores anew.
            self.state.borrow_mut().agg.open.clear();
            queue::forget_saved();
        }
    }

    fn beat_at(&self, now: f64) {
        let last = self.last_beat_ms.get();
        if last > 0.0 && now - last >= ORPHAN_SILENT_SECONDS as f64 * 1000.0 {
            self.woke_ms.set(now);
            self.forget_taken();
            // Another tab may have taken and sent them in a way this one
            // cannot see yet (its removal not yet heard): sealed, so
            // nothing new goes under an id already sent.
            self.seal_open();
        }
        if now - last >= BEAT_MS {
            self.last_beat_ms.set(now);
            if queue::has_saved() {
                queue::heartbeat(self.tab(), Some((now / 1000.0) as u64));
            }
        }
    }

    /// Whether the open aggregates stored under `key` belong to a tab that
    /// stopped running: silent for [`ORPHAN_SILENT_SECONDS`] (wall clock), or,
    /// for a tab that never wrote a heartbeat (an older version), all its
    /// windows ended [`ORPHAN_AFTER_SECONDS`] ago.
    fn is_orphan(&self, key: &str) -> bool {
        match queue::last_alive(key) {
            Some(seen) => silent_since(seen),
            None => {
                let now = self.now();
                storage::get(key)
                    .and_then(|t| Aggregator::from_json(&t))
                    .map(|a| a.open.iter().all(|x| x.start + u64::from(x.seconds) + ORPHAN_AFTER_SECONDS <= now))
                    .unwrap_or(true)
            }
        }
    }

    /// Takes over the open aggregates of tabs that stopped running (crashed,
    /// or frozen): they are then closed and sent by this tab.
    fn adopt_orphans(&self) -> bool {
        let now = js_sys::Date::now();
        let woke = self.woke_ms.get();
        if woke > 0.0 && now - woke < ORPHAN_SILENT_SECONDS as f64 * 1000.0 {
            return false;
        }
        let mut adopted = false;
        for key in self.other_tabs() {
            if !self.is_orphan(&key) {
                continue;
            }
            if let Some(mut other) = queue::take_open(&key) {
                other.open.retain(|a| conform::aggregate(&self.config, a));
                // Each goes as a report of its own, under the id it was
                // stored with: not merged into this tab's windows, so a copy
                // that tab had already sent (its removal lost with a killed
                // browser) is the same report to the collector, counted once.
                let st = self.state.borrow();
                self.enqueue(&st.consent, other.open);
                adopted = true;
            }
        }
        // Heartbeats of tabs that died with nothing stored.
        for (key, seen) in queue::lone_heartbeats() {
            if silent_since(seen) {
                storage::remove(&key);
            }
        }
        adopted
    }


    /// Queues the open aggregates as they are, each under its own id, and
    /// starts new ones for what comes next: for aggregates that may have
    /// been sent already (brought back from storage after a crash, or held
    /// through a silence long enough for another tab to take them). A copy
    /// that was sent is then answered as known (counted once), and no new
    /// event is recorded under its id, where it would be lost with it.
    fn seal_open(&self) {
        let mut st = self.state.borrow_mut();
        if st.agg.open.is_empty() {
            return;
        }
        let sealed = std::mem::take(&mut st.agg.open);
        self.enqueue(&st.consent, sealed);
        self.save_open(&st.agg);
    }

    /// Turns closed windows (all windows when `all`) into queued reports.
    fn close_windows(&self, all: bool) {
        let now = self.now();
        let mut st = self.state.borrow_mut();
        let closed = st.agg.close(now, all);
        if closed.is_empty() {
            return;
        }
        self.enqueue(&st.consent, closed);
        self.save_open(&st.agg);
    }

    /// Queues a report (or its parts) for each aggregate of a granted purpose.
    fn enqueue(&self, consent: &Consent, closed: Vec<Aggregate>) {
        for agg in &closed {
            if consent.granted(&agg.purpose) {
                let noise = if self.exact.get() { Some(None) } else { None };
                let report = report::build(&self.config, agg, &mut Crypto, noise);
                // Split by event when the whole is over what a collector takes.
                for (report, text) in report.split(crate::config::MAX_REPORT_BYTES) {
                    let bytes = text.len();
                    if bytes > crate::config::MAX_REPORT_BYTES {
                        // One event alone: the collector would refuse it (413) on every attempt.
                        let events: Vec<String> = report.events.keys().map(|e| crate::json::quote(e)).collect();
                        let message = format!(
                            "report {} for purpose {} is {bytes} bytes, over the {} a collector takes, with event {} alone; it was dropped",
                            report.report_id,
                            crate::json::quote(&agg.purpose),
                            crate::config::MAX_REPORT_BYTES,
                            events.join(", ")
                        );
                        wasm_bindgen_futures::spawn_local(async move { dom::report_error("report-rejected", &message) });
                        continue;
                    }
                    queue::push(&report, text);
                }
            }
        }
    }

    /// Closes windows and uploads pending reports; resolves to how many were acknowledged.
    async fn flush(self: Rc<Self>, all: bool, wait: bool) -> u32 {
        self.beat();
        // The reports closed here may go out with an upload already on its
        // way (a timer's, a decision's), which this one waits for: they
        // count as sent by this flush too.
        let before = self.acknowledged.get();
        self.close_windows(all);
        if self.config.collector.is_none() {
            // Kept here only: they still go once their purpose's retention is past.
            for report in queue::pending().into_iter().filter(|r| r.site == self.config.site) {
                self.drop_if_expired(&report);
            }
            // Deletions an erase after a failed boot left owed: without a
            // collector there is no one to ask.
            self.delete_owed().await;
            return 0;
        }
        // The collector asked for a pause (here or on an earlier page):
        // only an explicit flush() sends before it ends.
        // Another tab may have stored one since (or ended it).
        let waiting = self.server_wait_ms.get().max(queue::server_wait());
        if !wait && waiting > 0.0 && js_sys::Date::now() < waiting {
            self.retry_at_ms.set(self.retry_at_ms.get().max(waiting));
            return 0;
        }
        while self.uploading.get() {
            gloo_timers::future::TimeoutFuture::new(20).await;
        }
        self.uploading.set(true);
        let app = self.clone();
        // Taking over silent tabs' data happens under the upload lock, so two
        // tabs never both take (and send) the same stored aggregates.
        // A tab with no id since an erase holds the lease under a new one.
        let owner = self.tab.get().map_or_else(|| report::uuid_v4(&mut Crypto), str::to_owned);
        upload::with_lock(wait, &owner, move || {
            if app.adopt_orphans() {
                app.close_windows(all);
            }
            app.send_pending()
        })
        .await;
        self.uploading.set(false);
        self.resend_receipts().await;
        // A receipt sent as its decision was made (not resent meanwhile) is
        // waited for too: after flush() the collector has every receipt it
        // acknowledged. Each try ends within the request timeout.
        while wait && visitor::receipts_in_flight() {
            gloo_timers::future::TimeoutFuture::new(20).await;
        }
        self.delete_owed().await;
        self.refresh_data();
        self.acknowledged.get().wrapping_sub(before)
    }

    /// Sends pending reports one by one until one fails; each acknowledged
    /// one counts in [`App::acknowledged`].
    async fn send_pending(self: Rc<Self>) {
        let Some(url) = self.config.collector.clone() else { return };
        // A withdrawal this tab missed (no storage event reached it) still
        // counts: the stored decision is compared before anything is sent.
        self.reload_if_changed();
        // Another site's reports (a second config on this origin) are its
        // pages' to send, under their own decision: neither sent nor dropped here.
        for report in queue::pending().into_iter().filter(|r| r.site == self.config.site).map(|r| self.not_from_the_future(r)) {
            // Consent is checked again at send time: a withdrawn purpose's
            // reports are deleted, not sent.
            if !self.state.borrow().consent.granted(&report.purpose) || !conform::report(&self.config, &report, self.qa) {
                queue::remove(&report.report_id);
                continue;
            }
            if self.drop_if_expired(&report) {
                continue;
            }
            if !queue::is_pending(&report.report_id) {
                continue;
            }
            let ahead = upload::ahead_s();
            let body = upload::for_collector(&report);
            let Ok(request) = upload::post(&url, &body, false) else {
                // The page's fetch threw: a failed send, retried after the usual backoff.
                self.settle(&report.report_id, &body, Outcome::Retry(None));
                break;
            };
            // Refused "from the future" by a clock it just learnt runs ahead: sent again, re-stamped.
            let first = (body, upload::outcome(request).await);
            let (body, outcome) = upload::restamped(&url, &report, ahead, first, false).await;
            // A 409 is delivered too (see `settle`), and counted as sent.
            let acknowledged = matches!(outcome, Outcome::Acknowledged | Outcome::Rejected(409, _));
            if !self.settle(&report.report_id, &body, outcome) {
                break;
            }
            if acknowledged {
                self.acknowledged.set(self.acknowledged.get() + 1);
            }
        }
    }

    /// Applies an upload outcome; `false` means stop and retry later.
    fn settle(&self, id: &str, body: &str, outcome: Outcome) -> bool {
        match outcome {
            // A report can be answered twice (sent at page hide while an
            // upload was on its way): only the first answer counts.
            // 409: the collector has a report with this id (an earlier try
            // was stored, its answer lost, and this one was re-stamped):
            // it is counted, as for a 2xx.
            Outcome::Acknowledged | Outcome::Rejected(409, _) => {
                self.attempts.set(0);
                self.retry_at_ms.set(0.0);
                // Taking reports again: the pause is over, for every tab.
                self.server_wait_ms.set(0.0);
                queue::set_server_wait(None);
                // Out of the queue already: answered before (remembered
                // then), or its purpose was withdrawn while it was on its
                // way (the collector has it: the history says so, once).
                // Not after an erase: nothing sent before it comes back.
                let queued = queue::remove(id);
                let withdrawn = {
                    let mut w = self.withdrawn.borrow_mut();
                    let at = w.iter().position(|x| x == id);
                    at.map(|i| w.remove(i)).is_some()
                };
                if queued || withdrawn {
                    let decided = self.state.borrow().consent.decided;
                    records::remember_sent(body, self.now(), self.config.history_days, decided);
                    dom::dispatch("report", &dom::json(body));
                }
                true
            }
            Outcome::Rejected(_, why) => {
                if queue::remove(id) {
                    dom::report_error("report-rejected", &format!("the collector refused report {id} ({why}); it was dropped"));
                }
                true
            }
            Outcome::Retry(after) => {
                let n = self.attempts.get().saturating_add(1);
                self.attempts.set(n);
                let ceiling = (RETRY_BASE_MS * 2f64.powi(n.min(20) as i32)).min(RETRY_CAP_MS);
                let now = js_sys::Date::now();
                // The collector's Retry-After is a floor for the next try,
                // on this page and the next ones.
                let floor = after.map_or(0.0, |s| s as f64 * 1000.0);
                self.retry_at_ms.set(now + (Crypto.uniform() * ceiling).max(floor));
                if floor > 0.0 {
                    self.server_wait_ms.set(now + floor);
                    // Stored for at most an hour: a proxy's day-long Retry-After
                    // (or a forged value) holds later pages no longer than that.
                    queue::set_server_wait(Some(now + floor.min(3_600_000.0)));
                }
                false
            }
        }
    }

    /// `report` with a window the collector takes: one recorded while this
    /// clock ran far ahead (its window ends more than [`FUTURE_TOLERANCE`]
    /// after now), since set right, goes back by about a day's worth of
    /// whole windows at a time until it starts by now (the collector
    /// refuses a window that ends more than a day ahead). A window a little
    /// ahead is left where its events were counted: a clock stepped back a
    /// few seconds, or another tab's clock a little behind, must not move
    /// them into the day before. Steps of a day keep a resend the same body.
    /// Drops and counts `report` when it waited longer than its purpose's
    /// `retention_days` (90 days for one without) after its window ended:
    /// the site says it keeps such data no longer, and a collector that
    /// stays blocked (or none at all) must not leave reports in the browser
    /// for ever.
    fn drop_if_expired(&self, report: &Report) -> bool {
        let keep_days = self.config.purpose(&report.purpose).and_then(|p| p.retention_days).unwrap_or(90);
        let ended = report.window.start.saturating_add(u64::from(report.window.seconds));
        let expired = ended.saturating_add(u64::from(keep_days) * 86_400) < self.now();
        if expired {
            queue::remove(&report.report_id);
            queue::count_dropped(1);
        }
        expired
    }

    fn not_from_the_future(&self, mut report: Report) -> Report {
        let now = self.now();
        let end = report.window.start.saturating_add(u64::from(report.window.seconds));
        if report.window.start > now && end > now.saturating_add(FUTURE_TOLERANCE) {
            let seconds = u64::from(report.window.seconds.max(1));
            let step = 86_400u64.div_ceil(seconds) * seconds;
            report.window.start = report.window.start.saturating_sub((report.window.start - now).div_ceil(step) * step);
        }
        report
    }

    /// The page is going away (pagehide): [`App::on_hide`], and this tab's
    /// heartbeat goes, as it no longer runs.
    fn on_leave(self: &Rc<Self>) {
        self.on_hide();
        if let Some(tab) = self.tab.get() {
            queue::heartbeat(tab, None);
        }
    }

    /// The page is being hidden or unloaded: close every window and send
    /// what is pending with keepalive. Past its budget, or when the page's
    /// fetch refuses, a report waits for the next page: `sendBeacon` would
    /// send the page's URL as Referer and its cookies, which a report must
    /// never carry.
    fn on_hide(self: &Rc<Self>) {
        self.beat();
        self.close_windows(true);
        let Some(url) = self.config.collector.clone() else { return };
        // Asked to pause: what is pending waits in storage for a later page.
        if js_sys::Date::now() < self.server_wait_ms.get().max(queue::server_wait()) {
            return;
        }
        // An upload on its way is sent again too: a page being unloaded
        // aborts it (it has no keepalive), and the collector answers a
        // report it already has with `200 duplicate`.
        let consent = self.state.borrow().consent.clone();
        let mut budget = upload::KEEPALIVE_BUDGET;
        let mut inflight = Vec::new();
        let now = js_sys::Date::now();
        let mut recent = self.hide_sent.borrow_mut();
        recent.retain(|(_, at)| now - at < upload::TIMEOUT_MS as f64);
        let fresh: Vec<Report> = queue::pending()
            .into_iter()
            .map(|r| self.not_from_the_future(r))
            .filter(|r| consent.granted(&r.purpose) && conform::report(&self.config, r, self.qa) && !recent.iter().any(|(id, _)| *id == r.report_id))
            .collect();
        recent.extend(fresh.iter().map(|r| (r.report_id.clone(), now)));
        drop(recent);
        for report in fresh {
            let body = upload::for_collector(&report);
            if body.len() <= budget {
                if let Ok(request) = upload::post(&url, &body, true) {
                    budget -= body.len();
                    inflight.push((report, body, request));
                }
            }
        }
        if inflight.is_empty() {
            return;
        }
        let app = self.clone();
        let ahead = upload::ahead_s();
        // `qa.idle()` waits for these too.
        self.hide_uploads.set(self.hide_uploads.get() + 1);
        wasm_bindgen_futures::spawn_local(async move {
            for (report, body, request) in inflight {
                let first = (body, upload::outcome(request).await);
                let (body, outcome) = upload::restamped(&url, &report, ahead, first, true).await;
                app.settle(&report.report_id, &body, outcome);
            }
            app.hide_uploads.set(app.hide_uploads.get() - 1);
        });
    }

    /// Handles an intent in a microtask, after the DOM listener returned
    /// (and after the rest of the start, for a click on a banner painted
    /// before it ran).
    fn later(weak: &Weak<App>, intent: Intent) {
        if let Some(app) = weak.upgrade() {
            wasm_bindgen_futures::spawn_local(async move {
                if app.finish().is_ok() {
                    app.handle(intent)
                }
            });
        }
    }

    fn handle(&self, intent: Intent) {
        let all: Vec<&str> = self.config.optional_purposes().map(|p| p.id.as_str()).collect();
        match intent {
            Intent::AcceptAll => self.decided_in_prompt(&all, &[]),
            Intent::RejectAll => self.decided_in_prompt(&[], &all),
            Intent::Save(choices) => {
                // Once decided, what the visitor changed from the choices the
                // panel showed: a panel shown before another tab's withdrawal
                // (not yet heard of here) does not grant back what it lists.
                let shown = self.state.borrow().consent.clone();
                let changed = |(id, on): &&(String, bool)| !shown.decided || shown.granted(id) != *on;
                let grant: Vec<&str> = choices.iter().filter(changed).filter(|(_, on)| *on).map(|(id, _)| id.as_str()).collect();
                let deny: Vec<&str> = choices.iter().filter(changed).filter(|(_, on)| !*on).map(|(id, _)| id.as_str()).collect();
                // Nothing changed, and the decision it showed was erased in
                // another tab meanwhile: no choice to record; asked again.
                if shown.decided && grant.is_empty() && deny.is_empty() && storage::get(storage::CONSENT).is_none() && self.stored_once.get() {
                    self.reload_consent();
                    return;
                }
                self.decided_in_prompt(&grant, &deny);
            }
            Intent::Customize => self.open_preferences(),
            Intent::Back => {
                let decided = self.state.borrow().consent.decided;
                let (gpc, reopen) = (self.gpc_applies(), self.reopen());
                self.with_view(|p| p.back(decided, gpc, reopen));
            }
            Intent::Reload => {
                // Back from the back/forward cache, or resumed: an erase may
                // have happened unheard; receipts this page made that the
                // list no longer holds are not put back.
                records::keep_listed_mine();
                self.reload_consent();
            }
            Intent::Theirs(value) => self.theirs(value),
            Intent::Erased(mark) => self.erased_in_another_tab(mark),
            Intent::Allow(ids) => {
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                if self.decide(&ids, &[], self.button()).is_err() {
                    dom::warn("a placeholder named a purpose the config does not declare");
                }
            }
            Intent::Scripted(intent) => {
                self.scripted.set(true);
                self.handle(*intent);
                self.scripted.set(false);
            }
            Intent::YourData => self.open_data(),
            Intent::Export => self.export(),
            Intent::Erase => {
                self.erase();
                self.with_view(|p| p.erased());
            }
            Intent::Close => {
                let reopen = self.reopen();
                let consent = self.state.borrow().consent.clone();
                self.with_view(|p| {
                    p.hide(reopen);
                    p.reflect(&consent);
                });
            }
        }
    }

    /// Re-reads the decision if the stored record no longer matches this page's.
    fn reload_if_changed(&self) {
        let stored = storage::get(storage::CONSENT);
        let (fresh, _) = Consent::load(&self.config, stored.as_deref(), self.now());
        let current = self.state.borrow().consent.clone();
        // Only a stored record that says something else wins; a page whose own
        // decision could not be stored (quota) keeps it.
        if stored.is_some() && fresh != current || stored.is_none() && current.decided && self.stored_once.get() {
            self.reload_consent();
        }
    }

    /// A decision older than `expires_days` lapses in an open tab as it does
    /// at the next boot: the visitor is asked again, and what its purposes
    /// gathered since is dropped (checked on every tick, `track` and
    /// `consent()`; `now` in Unix seconds, QA clock included).
    fn expire_if_due(&self, now: u64) {
        let due = {
            let st = self.state.borrow();
            st.consent.decided
                && st.consent.updated_at.is_some_and(|at| now >= at.saturating_add(u64::from(self.config.expires_days) * 86_400))
        };
        if !due {
            return;
        }
        // Another tab's newer decision, if storage holds one, is taken over.
        let stored = storage::get(storage::CONSENT);
        if Consent::load(&self.config, stored.as_deref(), now).0.decided {
            self.unstored_at.set(None);
            self.reload_consent();
            return;
        }
        // Else the decision lapses here, also one that storage refused to
        // keep (held in memory only): asked again.
        self.unstored_at.set(None);
        self.state.borrow_mut().consent = Consent::undecided(&self.config);
        self.consent_changed();
    }

    /// Another tab wrote `value` as the stored decision (`None`: removed it).
    /// Taken over ([`App::reload_consent`]), unless a decision of this page
    /// landed after it without having seen it: this page's view of storage
    /// then still shows its own record, not `value` (Chromium keeps a
    /// page's own pending write over another tab's earlier one). A long
    /// task, or a click queued before the `storage` event, makes that
    /// happen; the page's record, made over the decision it knew, would
    /// undo the other tab's withdrawal or erase. So this page's decision is
    /// made again, over `value`: only what it granted or denied changes.
    /// Only when the decision was made over another record than `value`
    /// (its `base`): a decision that had seen `value` already (this tab's
    /// view of storage follows another tab's write before the `storage`
    /// event comes) is not made again.
    fn theirs(&self, value: Option<String>) {
        let stored = storage::get(storage::CONSENT);
        let last = self.last_decision.borrow().clone();
        if let Some(last) = last.filter(|l| stored != value && stored.as_deref() == Some(l.text.as_str()) && l.base != value) {
            // Taken over in memory only; the decision made over it is the
            // one write other tabs hear of, and its receipt the one kept.
            let grant: Vec<&str> = last.grant.iter().map(String::as_str).collect();
            let deny: Vec<&str> = last.deny.iter().map(String::as_str).collect();
            // Ids were checked when first decided.
            if self.decide_over(value.clone(), &grant, &deny, last.method) == Ok(true) {
                if let Some(id) = &last.receipt {
                    self.retract_receipt(id);
                }
                if let Some(made) = self.last_decision.borrow_mut().as_mut() {
                    made.base = value;
                }
            }
            return;
        }
        self.reload_consent();
    }

    /// Another tab changed the decision: take it over. Not a stored record
    /// older than a decision of this page that storage refused; but a
    /// removed one (an erase elsewhere) always.
    fn reload_consent(&self) {
        if self.take_over(storage::get(storage::CONSENT)) {
            self.consent_changed();
        }
    }

    /// Takes `stored`, the record another tab wrote, into this page's
    /// memory; whether it changed the consent. Nothing follows it yet (the
    /// prompt, gated content, signals, `candor:consent`): the caller
    /// publishes it, or the decision it makes over it ([`App::decide`]), so
    /// a state in between is never acted on.
    fn take_over(&self, stored: Option<String>) -> bool {
        let (fresh, _) = Consent::load(&self.config, stored.as_deref(), self.now());
        if let (Some(ours), Some(_)) = (self.unstored_at.get(), &stored) {
            if fresh.updated_at.is_none_or(|theirs| theirs <= ours) {
                return false;
            }
        }
        // No record, and this page never managed to store one: nothing was
        // erased, storage is refusing (full or blocked). Keep the decision.
        if stored.is_none() && self.unstored_at.get().is_some() && !self.stored_once.get() {
            return false;
        }
        {
            let mut st = self.state.borrow_mut();
            if st.consent == fresh {
                return false;
            }
            if stored.is_none() && st.consent.decided {
                self.withdrawn.borrow_mut().clear();
                visitor::erased_elsewhere(self.receipts_url());
            }
            st.consent = fresh;
        }
        self.unstored_at.set(None);
        true
    }

    /// After the consent changed without a decision here (another tab's,
    /// a lapse): the prompt, the data, gated content and signals follow.
    fn consent_changed(&self) {
        self.show_consent();
        self.purge_denied();
        self.activate();
        self.publish_signals();
        dom::dispatch("consent", &self.consent_js());
    }

    /// The prompt as the consent stands: put away (with "Your choices")
    /// once decided, else the banner; its switches showing the consent.
    fn show_consent(&self) {
        let consent = self.state.borrow().consent.clone();
        let (gpc, reopen) = (self.gpc_applies(), self.reopen());
        self.with_view(|p| {
            if consent.decided { p.hide(reopen) } else { p.show_banner(gpc) }
            p.reflect(&consent);
        });
    }

    fn reopen(&self) -> bool {
        self.config.reopen == Reopen::Button
    }

    /// GPC is mentioned while the visitor has not decided.
    fn gpc_applies(&self) -> bool {
        self.gpc && self.config.optional_purposes().any(|p| p.gpc)
    }

    fn open_preferences(&self) {
        let consent = self.state.borrow().consent.clone();
        let gpc = self.gpc && !consent.decided;
        self.with_view(|p| p.show_preferences(&consent, gpc));
    }

    /// Runs `f` on the prompt while `state` is not borrowed, so page handlers
    /// that the DOM runs synchronously inside it (focus, showModal) can call
    /// `candor` back. A view call made from such a handler is skipped.
    /// Puts the prompt back after the page removed it (see
    /// [`Prompt::ensure_attached`]); when the page keeps removing it, tries
    /// again in half a second.
    fn reattach(self: &Rc<Self>) {
        let later = self.view.try_borrow_mut().ok().and_then(|mut v| v.as_mut().map(|p| p.ensure_attached(true))).unwrap_or(false);
        if later && !self.reattach_queued.replace(true) {
            let weak = Rc::downgrade(self);
            wasm_bindgen_futures::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(500).await;
                if let Some(app) = weak.upgrade() {
                    app.reattach_queued.set(false);
                    app.reattach();
                }
            });
        }
    }

    /// Whether the prompt's element is in the page (true while there is none).
    fn attached(&self) -> bool {
        self.view.try_borrow().map_or(true, |v| !v.as_ref().is_some_and(|p| !p.attached()))
    }

    fn with_view<R>(&self, f: impl FnOnce(&mut Prompt) -> R) -> Option<R> {
        let mut view = self.view.try_borrow_mut().ok()?;
        view.as_mut().map(|p| {
            p.ensure_attached(false);
            f(p)
        })
    }

    /// Whether the "Your data" view is showing.
    fn data_open(&self) -> bool {
        self.view.try_borrow().is_ok_and(|v| v.as_ref().is_some_and(|p| p.data_open()))
    }

    /// `grant(ids)` and `deny(ids)`: a decision only if they name an optional
    /// purpose. `grant(["necessary"])` or `grant([])` chooses nothing, so the
    /// visitor stays undecided and the prompt stays; ids are still checked.
    fn decide_listed(&self, grant: &[&str], deny: &[&str]) -> Result<(), crate::consent::Undecidable> {
        let optional = |id: &&str| self.config.purpose(id).is_some_and(|p| !p.required);
        if grant.iter().chain(deny).any(optional) {
            return self.decide(grant, deny, Method::Api);
        }
        // The same checks as a decision, on a copy that is thrown away.
        let mut probe = self.state.borrow().consent.clone();
        probe.decide(&self.config, grant, deny, Method::Api, self.now()).map(|_| ())
    }

    /// [`App::decide`] for ids taken from the config itself (or checked
    /// against it), which it cannot refuse. No `expect`: its message would
    /// ship `Debug` formatting, and a refusal changes nothing anyway.
    /// A decision made with the prompt's buttons, said to screen readers.
    fn decided_in_prompt(&self, grant: &[&str], deny: &[&str]) {
        self.decide_known(grant, deny, self.button());
        self.with_view(|p| p.saved());
    }

    /// How a decision made with one of Candor's buttons is recorded: a
    /// page script's `click()` on it is `api`.
    fn button(&self) -> Method {
        if self.scripted.get() { Method::Api } else { Method::Button }
    }

    fn decide_known(&self, grant: &[&str], deny: &[&str], method: Method) {
        let done = self.decide(grant, deny, method);
        debug_assert!(done.is_ok());
    }

    /// Applies a decision, persists it, closes the prompt and tells the page.
    fn decide(&self, grant: &[&str], deny: &[&str], method: Method) -> Result<(), crate::consent::Undecidable> {
        // Another tab's decision this tab has not heard of yet (a long task
        // holds back the `storage` event; a click queued behind it runs
        // first) is taken over before this one is made on top of it: a
        // grant of one purpose never writes back another that the visitor
        // just withdrew, or a decision they just erased, elsewhere.
        self.decide_over(storage::get(storage::CONSENT), grant, deny, method).map(|_| ())
    }

    /// Takes `stored` over in memory, then decides over it ([`App::decide_here`]);
    /// nothing to decide (a repeated grant), what was taken over still shows.
    fn decide_over(&self, stored: Option<String>, grant: &[&str], deny: &[&str], method: Method) -> Result<bool, crate::consent::Undecidable> {
        let adopted = self.take_over(stored);
        let made = self.decide_here(grant, deny, method);
        if adopted && made != Ok(true) {
            self.consent_changed();
        }
        made
    }

    /// [`App::decide`] over this page's consent as it stands; `true` when a
    /// decision was made (`false`: page code repeated a grant).
    fn decide_here(&self, grant: &[&str], deny: &[&str], method: Method) -> Result<bool, crate::consent::Undecidable> {
        // Page code repeating a grant the visitor already made (on every page
        // load, in a callback) changes nothing: no event, no receipt. A
        // visitor's own click always counts (a page script's click on the
        // prompt's buttons too: the prompt closes), and so does any call that
        // denies: this tab's view of storage can lag another tab's write (a
        // long task delays it), and a withdrawal must never be lost to that.
        if method == Method::Api && deny.is_empty() && self.unstored_at.get().is_none() && !self.scripted.get() {
            let st = self.state.borrow();
            if st.consent.decided {
                let mut probe = st.consent.clone();
                probe.decide(&self.config, grant, deny, method, self.now())?;
                let (stored, _) = Consent::load(&self.config, storage::get(storage::CONSENT).as_deref(), self.now());
                if probe.purposes == st.consent.purposes && stored.decided && stored.purposes == st.consent.purposes {
                    return Ok(false);
                }
            }
        }
        let withdrawn;
        {
            let mut st = self.state.borrow_mut();
            withdrawn = st.consent.decide(&self.config, grant, deny, method, self.now())?;
            if let Some(rec) = st.consent.to_record(&self.config) {
                let text = rec.to_json();
                let base = storage::get(storage::CONSENT);
                let stored = storage::set(storage::CONSENT, &text);
                *self.last_decision.borrow_mut() = stored.then(|| LastDecision {
                    base,
                    text,
                    receipt: None,
                    grant: grant.iter().map(|s| s.to_string()).collect(),
                    deny: deny.iter().map(|s| s.to_string()).collect(),
                    method,
                });
                self.stored_once.set(self.stored_once.get() || stored);
                // Refused: it holds for this page (said once, by `storage`).
                self.unstored_at.set(if stored { None } else { st.consent.updated_at });
            }
        }
        // The receipt of this decision, before anything below can run page
        // code (focus handlers, Consent Mode's dataLayer, `candor:consent`
        // listeners) that decides again: a receipt built after that would
        // record the later decision twice and this one never.
        let decided = self.state.borrow().consent.clone();
        let receipt = self.issue_receipt(&decided);
        if let Some(made) = self.last_decision.borrow_mut().as_mut() {
            made.receipt = receipt;
        }
        self.show_consent();
        self.purge_denied();
        let cookies: Vec<String> =
            withdrawn.iter().filter_map(|id| self.config.purpose(id)).flat_map(|p| p.cookies.iter().cloned()).collect();
        activate::delete_cookies(&dom::document(), &cookies);
        self.activate();
        self.publish_signals();
        dom::dispatch("consent", &self.consent_js());
        Ok(true)
    }

    /// The cookie and the Consent Mode cache follow the decision (`signals.rs`).
    fn publish_signals(&self) {
        signals::publish(&self.config, &self.state.borrow().consent, self.now());
    }

    fn consent_js(&self) -> JsValue {
        dom::json(&self.state.borrow().consent.to_json())
    }
}

/// A decision this page stored, to make again over another tab's that it
/// replaced unseen ([`App::theirs`]).
#[derive(Clone)]
struct LastDecision {
    /// The stored record it was made over.
    base: Option<String>,
    /// The record it wrote.
    text: String,
    /// Its receipt.
    receipt: Option<String>,
    grant: Vec<String>,
    deny: Vec<String>,
    method: Method,
}

/// Warns (never fails) about config texts that are not plain English.
/// A `cookie.domain` that does not cover this page's host: the browser
/// silently refuses the cookie, so say it once.
fn warn_foreign_cookie_domain(config: &Config) {
    let Some(domain) = config.cookie.as_ref().filter(|c| c.enabled).and_then(|c| c.domain.as_deref()) else { return };
    let host = web_sys::window().and_then(|w| w.location().hostname().ok()).unwrap_or_default().to_ascii_lowercase();
    let d = domain.trim_start_matches('.').to_ascii_lowercase();
    if host != d && !host.ends_with(&format!(".{d}")) {
        dom::warn(&format!(
            "cookie.domain {} does not cover this page's host {}: the browser will not set the candor_consent cookie",
            crate::json::quote(domain),
            crate::json::quote(&host)
        ));
    }
}

/// Optional purposes without `retention_days`: the prompt tells visitors
/// what is collected, why and what they get, but not how long it is kept.
fn warn_no_retention(config: &Config) {
    let silent: Vec<String> = config.optional_purposes().filter(|p| p.retention_days.is_none()).map(|p| crate::json::quote(&p.id)).collect();
    if !silent.is_empty() {
        dom::warn(&format!(
            "purposes {} have no retention_days, so the prompt cannot tell visitors how long their data is kept; set it for each",
            silent.join(", ")
        ));
    }
}

fn warn_unplain_texts(config: &Config) {
    // Only English is scored, and only where English can be shown: not on a
    // site that fixed another language.
    if config.language != "auto" && !config.language.get(..2).is_some_and(|l| l.eq_ignore_ascii_case("en")) {
        return;
    }
    let english = |t: &Text| -> Option<(String, &'static str)> {
        match t {
            Text::Plain(s) if config.default_language.starts_with("en") => Some((s.clone(), "")),
            Text::Localized(m) => m.get("en").map(|s| (s.clone(), ".en")),
            _ => None,
        }
    };
    for (i, p) in config.purposes.iter().enumerate() {
        for (name, text) in [("explain", &p.explain), ("benefit", &p.benefit)] {
            let Some((s, key)) = english(text) else { continue };
            let score = readability::score(&s);
            if !score.is_plain() {
                // Rounded down, so a score just under the bar never reads as the bar itself.
                dom::warn(&format!(
                    "purposes[{i}].{name}{key} is hard to read: Flesch score {}, longest sentence {} words \
                     (aim for a score of at least {} and sentences of at most {} words)",
                    score.ease.floor() as i64, score.longest_sentence, readability::MIN_EASE as i64, readability::MAX_WORDS
                ));
            }
        }
    }
}

/// Reads a JS array of purpose ids.
fn purpose_ids(method: &str, ids: &JsValue) -> Result<Vec<String>, JsError> {
    if !js_sys::Array::is_array(ids) {
        return Err(JsError::new(&format!("candor.{method}: expected an array of purpose ids")));
    }
    js_sys::Array::from(ids)
        .iter()
        .enumerate()
        .map(|(i, v)| v.as_string().ok_or_else(|| JsError::new(&format!("candor.{method}: ids[{i}] is not a string"))))
        .collect()
}

#[wasm_bindgen]
impl Sdk {
    /// Finishes the start (see [`boot`]); the loader calls it once before handing the `Sdk` out.
    pub fn finish(&self) -> Result<(), JsValue> {
        self.app.finish().map_err(|e| stopped("boot", &format!("could not start: {}", dom::error_text(&e, "the page refused it"))))
    }

    /// A batch of the page's DOM changes that may matter to Candor, found by
    /// the loader's MutationObserver (`watchPage` in src/js/loader.js) as
    /// bits of `what`: 1, gated content (an element with
    /// `data-candor-purpose`, or holding one, added or removed, or an
    /// observed attribute changed on one); 2, the prompt may have left the
    /// top layer (a `<dialog>` added, removed, opened or closed, or the
    /// prompt's element moved or removed); 4, a `data-src` or `data-srcset`
    /// changed (see [`activate::follow_sources`]).
    pub fn mutated(&self, what: u32, records: js_sys::Array) {
        let app = &self.app;
        if what & 2 != 0 || !app.attached() {
            app.reattach();
        }
        if what & 1 != 0 {
            app.activate();
        }
        if what & 4 != 0 {
            activate::follow_sources(&records);
        }
    }

    /// Whether the loader may call `finish` after the banner's first paint rather than at once.
    #[wasm_bindgen(js_name = waitForPaint)]
    pub fn wait_for_paint(&self) -> bool {
        self.app.may_wait_for_paint()
    }

    /// `{revision, decided, purposes, updated_at}`.
    pub fn consent(&self) -> JsValue {
        self.app.expire_if_due(self.app.now());
        self.app.consent_js()
    }

    /// Grants the listed purposes (others keep their state).
    pub fn grant(&self, ids: JsValue) -> Result<JsValue, JsError> {
        let ids = purpose_ids("grant", &ids)?;
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        self.app.decide_listed(&ids, &[]).map_err(|e| JsError::new(&format!("candor.grant: {e}")))?;
        Ok(self.consent())
    }

    /// Denies the listed purposes (others keep their state).
    pub fn deny(&self, ids: JsValue) -> Result<JsValue, JsError> {
        let ids = purpose_ids("deny", &ids)?;
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        self.app.decide_listed(&[], &ids).map_err(|e| JsError::new(&format!("candor.deny: {e}")))?;
        Ok(self.consent())
    }

    /// Grants every optional purpose.
    #[wasm_bindgen(js_name = acceptAll)]
    pub fn accept_all(&self) -> JsValue {
        let all: Vec<&str> = self.app.config.optional_purposes().map(|p| p.id.as_str()).collect();
        self.app.decide_known(&all, &[], Method::Api);
        self.consent()
    }

    /// Denies every optional purpose.
    #[wasm_bindgen(js_name = rejectAll)]
    pub fn reject_all(&self) -> JsValue {
        let all: Vec<&str> = self.app.config.optional_purposes().map(|p| p.id.as_str()).collect();
        self.app.decide_known(&[], &all, Method::Api);
        self.consent()
    }

    /// Denies every optional purpose and discards their pending data.
    pub fn withdraw(&self) -> JsValue {
        self.reject_all()
    }

    /// Opens the preferences view, or with `"data"` the "Your data" view.
    pub fn open(&self, view: Option<String>) -> Result<(), JsError> {
        match view.as_deref() {
            None | Some("preferences") => self.app.open_preferences(),
            Some("data") => self.app.open_data(),
            Some(other) => {
                return Err(JsError::new(&format!("candor.open: unknown view {} (expected \"preferences\" or \"data\")", crate::json::quote(other))))
            }
        }
        Ok(())
    }

    /// Deletes everything Candor stored (asking the collector to delete
    /// this browser's receipts) and asks again.
    pub fn erase(&self) -> JsValue {
        self.app.erase()
    }

    /// Records an event. `flat` is `[field, value, ...]` built by the
    /// loader. Returns 0 when accepted, else 1 + the index of the reason in
    /// the loader's `REASONS`.
    pub fn track(&self, name: &str, flat: js_sys::Array) -> u8 {
        let app = &self.app;
        // Each call into JS costs: read the length once, and test for a
        // number (a cheap type check) before asking for a string (a copy).
        let len = flat.length();
        let mut owned: Vec<(String, Result<String, f64>)> = Vec::with_capacity(len as usize / 2);
        let mut i = 0;
        while i + 1 < len {
            let key = flat.get(i).as_string().unwrap_or_default();
            let v = flat.get(i + 1);
            match v.as_f64() {
                Some(x) => owned.push((key, Err(x))),
                None => match v.as_string() {
                    Some(s) => owned.push((key, Ok(s))),
                    None => return self.refuse(name, gate::Refusal::InvalidField.code(), None),
                },
            }
            i += 2;
        }
        let fields: Vec<(&str, Value)> = owned
            .iter()
            .map(|(k, v)| (k.as_str(), match v { Ok(s) => Value::Text(s), Err(x) => Value::Number(*x) }))
            .collect();
        let ms = js_sys::Date::now();
        app.beat_at(ms);
        let now = (ms / 1000.0) as u64 + app.clock_offset.get();
        app.expire_if_due(now);
        let mut st = app.state.borrow_mut();
        let st = &mut *st;
        let result = gate::check(&app.config, &st.consent, name, &fields).and_then(|o| st.agg.record_as(&app.config, &o, now, app.exact.get()));
        match result {
            Ok(()) => {
                // A window opened by this event gets its report's id now, before it is stored.
                for a in st.agg.open.iter_mut().filter(|a| a.id.is_empty()) {
                    a.id = report::uuid_v4(&mut Crypto);
                }
                app.save_soon();
                // Tracked after pagehide (a `visibilitychange` listener runs
                // after it when a tab closes): sent now, as pagehide sent the
                // rest, not left stored without a heartbeat.
                if app.gone.get() {
                    let app = app.clone();
                    wasm_bindgen_futures::spawn_local(async move { app.on_leave() });
                }
                if app.data_open() {
                    let app = app.clone();
                    wasm_bindgen_futures::spawn_local(async move { app.refresh_data() });
                }
                0
            }
            Err(r) => {
                if app.config.debug {
                    let why = match r {
                        gate::Refusal::InvalidField => format!(" ({})", gate::why_invalid(&app.config, name, &fields)),
                        _ => String::new(),
                    };
                    web_sys::console::info_1(&format!("candor: track({}) {}{why}", crate::json::quote(&name), r.as_str()).into());
                }
                r.code()
            }
        }
    }

    /// Logs a refusal decided in the loader (when `debug` is on), with the
    /// loader's reason if it gives one, and returns its code.
    pub fn refuse(&self, name: &str, code: u8, why: Option<String>) -> u8 {
        // Fields the loader could not read: the same order as `gate::check`
        // (the event, then consent, then its fields), so one call gets one
        // reason whatever shape its fields have.
        if code == 3 {
            // As `track` does: a decision that lapsed is undecided now.
            self.app.expire_if_due(self.app.now());
        }
        let code = match (code, self.app.config.events.get(name)) {
            (3, None) => 2,
            (3, Some(e)) if self.app.state.try_borrow().is_ok_and(|st| !st.consent.granted(&e.purpose)) => 1,
            _ => code,
        };
        let why = if code == 3 { why } else { None };
        if self.app.config.debug {
            let reason = ["refused: no-consent", "refused: unknown-event", "refused: invalid-field", "capped: past max_per_window, accepted but not counted", "refused: not-ready"].get(code as usize - 1).unwrap_or(&"?");
            let why = why.map(|w| format!(" ({w})")).unwrap_or_default();
            web_sys::console::info_1(&format!("candor: track({}) {reason}{why}", crate::json::quote(&name)).into());
        }
        code
    }

    /// Closes the current window early and sends everything pending.
    pub fn flush(&self) -> js_sys::Promise {
        let app = self.app.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let sent = app.flush(true, true).await;
            Ok(dom::json(&format!("{{\"sent\":{sent}}}")))
        })
    }

    /// Whether QA mode is on (the loader then exposes `candor.qa`).
    #[wasm_bindgen(js_name = qaEnabled)]
    pub fn qa_enabled(&self) -> bool {
        self.app.qa
    }

    /// QA: moves the SDK clock forward, closes the windows that ended and
    /// runs the upload timer's work. Resolves to `{sent}`.
    #[wasm_bindgen(js_name = qaAdvance)]
    pub fn qa_advance(&self, seconds: f64) -> Result<js_sys::Promise, JsError> {
        if !self.app.qa {
            return Err(JsError::new("candor.qa is only available in QA mode"));
        }
        if !(seconds.is_finite() && seconds >= 0.0 && seconds <= 10.0 * 365.0 * 86_400.0) {
            return Err(JsError::new("candor.qa.advance(seconds): expected a number of seconds ≥ 0"));
        }
        self.app.clock_offset.set(self.app.clock_offset.get() + seconds as u64);
        self.app.retry_at_ms.set(0.0);
        let app = self.app.clone();
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let sent = app.flush(false, true).await;
            Ok(dom::json(&format!("{{\"sent\":{sent}}}")))
        }))
    }

    /// QA: the SDK's clock, Unix seconds (wall clock plus what `advance` added).
    #[wasm_bindgen(js_name = qaNow)]
    pub fn qa_now(&self) -> f64 {
        self.app.now() as f64
    }

    /// QA: the reports that would be sent next (windows ended by the SDK clock included).
    #[wasm_bindgen(js_name = qaReports)]
    pub fn qa_reports(&self) -> JsValue {
        self.app.close_windows(false);
        dom::json(&crate::json::J::A(queue::pending().iter().map(Report::to_json_value).collect()).to_text())
    }

    /// QA: whether an upload is in flight.
    #[wasm_bindgen(js_name = qaBusy)]
    pub fn qa_busy(&self) -> bool {
        self.app.uploading.get() || self.app.hide_uploads.get() > 0 || visitor::receipts_in_flight()
    }

    /// QA: switch noise off (`false`) or back to the config's (`true`).
    #[wasm_bindgen(js_name = qaNoise)]
    pub fn qa_noise(&self, on: bool) {
        self.app.exact.set(!on);
    }

    /// What is stored in this browser and what waits to be sent.
    pub fn inspect(&self) -> JsValue {
        dom::json(&self.app.inspect_value().to_text())
    }
}

