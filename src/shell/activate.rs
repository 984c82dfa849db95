//! Purpose-gated page content: `<script type="text/plain">`, `<iframe>` and
//! `<img>` tagged `data-candor-purpose` stay inert until every purpose they
//! list is granted, then run or load once (scripts in document order).
//!
//! An inert script's type is `text/plain`, so the browser neither runs nor
//! fetches it; iframes and images carry their URL in `data-src`, so nothing
//! is requested before consent. Activation copies a script into a fresh
//! element (keeping `async`/`defer` order, `nonce`, `integrity`,
//! `crossorigin`), or moves `data-src` into `src`. The loader's
//! MutationObserver (`watchPage` in src/js/loader.js) hands over elements
//! added later, for single-page apps.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element};

use crate::consent::Consent;

const DONE: &str = "data-candor-activated";
const SELECTOR: &str = "[data-candor-purpose]:not([data-candor-activated])";

thread_local! {
    /// Scripts waiting to be activated, in order, and whether a runner is
    /// working through them. One runner at a time keeps document order even
    /// when a decision and the observer ask at once.
    static QUEUE: RefCell<VecDeque<Element>> = const { RefCell::new(VecDeque::new()) };
    static RUNNING: Cell<bool> = const { Cell::new(false) };
    /// The consent of the latest call. The runner awaits (a script loading,
    /// the parser), and a purpose withdrawn meanwhile must stop what waits.
    static CONSENT: RefCell<Option<Consent>> = const { RefCell::new(None) };
    /// Elements activated in the last [`RECENT_MS`], with when: a refusal
    /// reported at the document is matched against these only.
    static RECENT: RefCell<Vec<(Element, f64)>> = const { RefCell::new(Vec::new()) };
    /// Iframes loaded from their `data-src`, in the page or not: one the
    /// page took out (a tab panel kept aside) is unloaded on a withdrawal
    /// too, so putting it back loads nothing.
    static FRAMES: RefCell<Vec<Element>> = const { RefCell::new(Vec::new()) };
    /// External scripts activated and still downloading: a purpose
    /// withdrawn before one arrives keeps it from running.
    static DOWNLOADING: RefCell<Vec<Downloading>> = const { RefCell::new(Vec::new()) };
}

/// A gated script's running copy whose file has not arrived yet.
struct Downloading {
    /// The page's inert element, which it was made from.
    original: Element,
    copy: Element,
    /// Settles the copy's load promise (what the runner may wait for).
    settle: js_sys::Function,
}

const RECENT_MS: f64 = 5_000.0;

thread_local! {
    /// The nonce of Candor's own `<script>` ("" when it has none).
    static PAGE_NONCE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Called by the loader with the nonce of Candor's own `<script>`. When it
/// has one, the page's CSP works with nonces, and a gated script activates
/// only if it carries that same nonce. Under `'strict-dynamic'` the browser
/// would trust any script Candor creates, so without this check markup
/// injected into the page (a `<script type="text/plain"
/// data-candor-purpose="necessary">`) would run.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = setPageNonce)]
pub fn set_page_nonce(nonce: String) {
    PAGE_NONCE.replace(nonce);
}

/// Remembers an element just activated (for [`on_violation`]).
fn activated(el: &Element) {
    let now = js_sys::Date::now();
    RECENT.with_borrow_mut(|r| {
        r.retain(|(_, at)| now - at < RECENT_MS);
        r.push((el.clone(), now));
    });
}

/// Activates every waiting element whose purposes are all granted. Iframes
/// and media load at once; scripts run in document order: after an external
/// script that is not `async`, the rest wait for it to load (or fail), as
/// the parser would have. Called on every change of consent: a script still
/// waiting for a purpose withdrawn since stays inert.
pub fn activate_granted(doc: &Document, consent: &Consent) {
    CONSENT.replace(Some(consent.clone()));
    stop_withdrawn_downloads(consent);
    unload_withdrawn(doc, consent);
    let Ok(nodes) = doc.query_selector_all(SELECTOR) else { return };
    // The queue is rebuilt in document order each time: what waits for a
    // purpose withdrawn since drops out, and a script granted again later
    // takes its place in order, not at the end.
    let mut scripts = VecDeque::new();
    let mut media = Vec::new();
    for el in (0..nodes.length()).filter_map(|i| nodes.item(i).and_then(|n| n.dyn_into::<Element>().ok())) {
        if !allowed(&el, consent) {
            warn_if_unknown(&el, consent);
            continue;
        }
        if el.tag_name().eq_ignore_ascii_case("script") {
            scripts.push_back(el);
        } else {
            media.push(el);
        }
    }
    QUEUE.replace(scripts);
    // After the caller's synchronous code (as the scripts below): a grant
    // taken back in the same run (a `candor:consent` listener, say) loads
    // nothing.
    if !media.is_empty() {
        let doc = doc.clone();
        wasm_bindgen_futures::spawn_local(async move {
            for el in media {
                // One the page took out meanwhile waits: put back, it is seen again.
                if !el.has_attribute(DONE) && el.is_connected() && still_allowed(&el) {
                    if let Err(e) = activate(&doc, &el) {
                        super::dom::report_error("activation", &activation_error(&el, &e));
                    }
                }
            }
        });
    }
    if RUNNING.get() || QUEUE.with_borrow(VecDeque::is_empty) {
        return;
    }
    RUNNING.set(true);
    let doc = doc.clone();
    wasm_bindgen_futures::spawn_local(async move {
        while let Some(el) = QUEUE.with_borrow_mut(VecDeque::pop_front) {
            // An inline script met while the page is still loading may be
            // only partly parsed: its text is whole once the DOM is.
            // (With a node after it, the parser has left it: it is whole.)
            if !el.has_attribute("src") && el.next_sibling().is_none() && is_loading(&doc) {
                let _ = wasm_bindgen_futures::JsFuture::from(dom_loaded(&doc)).await;
            }
            // Removed from the page meanwhile (a single-page app changed
            // route): nothing to run; if it comes back, it is seen again.
            if el.has_attribute(DONE) || !el.is_connected() || !still_allowed(&el) {
                continue;
            }
            match activate(&doc, &el) {
                Ok(Some(loaded)) => {
                    let _ = wasm_bindgen_futures::JsFuture::from(loaded).await;
                }
                Ok(None) => {}
                // One element the page's policy refuses (a Trusted Types CSP
                // refusing an inline script's text, say) is skipped with an
                // error; the rest still activate.
                Err(e) => super::dom::report_error("activation", &activation_error(&el, &e)),
            }
        }
        RUNNING.set(false);
    });
}

/// An iframe loaded from its `data-src` whose purposes are no longer all
/// granted (withdrawn here or in another tab, or erased) is unloaded: taken
/// out without `src` and put back in its place, it gets a new, empty frame,
/// so the other company's page is gone (a new `src` would add a history
/// entry, and Back would load it again; removing `src` alone leaves the
/// page loaded). The element stays the page's, and waits (its placeholder
/// back, if it asked for one), to load anew if they are granted again. A
/// script cannot be unloaded.
fn unload_withdrawn(doc: &Document, consent: &Consent) {
    let mut frames = FRAMES.take();
    if let Ok(nodes) = doc.query_selector_all("iframe[data-candor-purpose][data-candor-activated][data-src]") {
        frames.extend((0..nodes.length()).filter_map(|i| nodes.item(i).and_then(|n| n.dyn_into::<Element>().ok())));
    }
    let mut kept: Vec<Element> = Vec::new();
    for frame in frames {
        if kept.contains(&frame) || !frame.has_attribute(DONE) {
            continue;
        }
        if allowed(&frame, consent) {
            kept.push(frame);
            continue;
        }
        let _ = remake_frame(doc, &frame, |f| {
            f.remove_attribute("src")?;
            f.remove_attribute(DONE)
        });
    }
    FRAMES.set(kept);
}

/// A gated script whose purposes were withdrawn while its file downloads
/// never runs: the browser runs a fetched script only in the document it
/// was inserted into, and its copy is moved into an inert one (no load or
/// error event follows). The page's element waits again, its id given
/// back, to be activated if the purposes are granted again. A script
/// already running (one that withdraws as it runs) is left alone.
fn stop_withdrawn_downloads(consent: &Consent) {
    let stopped: Vec<Downloading> = DOWNLOADING.with_borrow_mut(|all| {
        let (stop, keep) = std::mem::take(all).into_iter().partition(|d| !allowed(&d.original, consent));
        *all = keep;
        stop
    });
    for d in stopped {
        let doc = super::dom::document();
        // It runs now (it withdraws as it runs), or it ran and this is its
        // load or error event (a listener of the page withdraws in it):
        // too late to stop, and never to run again.
        let event_target = web_sys::window()
            .and_then(|w| js_sys::Reflect::get(&w, &"event".into()).ok())
            .and_then(|e| e.dyn_into::<web_sys::Event>().ok())
            .and_then(|e| e.target());
        if doc.current_script().is_some_and(|running| *running == *d.copy) || event_target.is_some_and(|t| t == **d.copy) {
            continue;
        }
        let Ok(inert) = doc.implementation().and_then(|i| i.create_html_document()) else { continue };
        if inert.adopt_node(&d.copy).is_err() {
            continue;
        }
        if let Some(id) = d.copy.get_attribute("id") {
            let _ = d.original.set_attribute("id", &id);
        }
        let _ = d.original.remove_attribute(DONE);
        let _ = d.settle.call0(&JsValue::UNDEFINED);
    }
}

/// Takes `frame` out of the page, applies `change`, and puts it back where
/// it was: its frame is then made anew, by script (see `activate`). The
/// place is kept by an empty text node, as the page's `blur`/`focusout`
/// handlers run when a focused frame leaves and may move its neighbours;
/// if they removed the marker too, the frame goes back at the end of its
/// parent, never lost. A frame out of the page is only changed.
fn remake_frame(doc: &Document, frame: &Element, change: impl FnOnce(&Element) -> Result<(), JsValue>) -> Result<(), JsValue> {
    let Some(parent) = frame.parent_node() else { return change(frame) };
    let marker = doc.create_text_node("");
    parent.insert_before(&marker, Some(frame))?;
    frame.remove();
    let changed = change(frame);
    match marker.parent_node() {
        Some(at) => {
            at.replace_child(frame, &marker)?;
        }
        None => {
            parent.append_child(frame)?;
        }
    }
    changed
}

fn still_allowed(el: &Element) -> bool {
    CONSENT.with_borrow(|c| c.as_ref().is_some_and(|c| allowed(el, c)))
}

fn is_loading(doc: &Document) -> bool {
    js_sys::Reflect::get(doc, &"readyState".into()).ok().and_then(|s| s.as_string()).as_deref() == Some("loading")
}

/// Settles once the parser is done with the document: `readystatechange`
/// away from "loading" comes just before `DOMContentLoaded`, and also when
/// loading is stopped (`window.stop()`, the Stop button), where
/// `DOMContentLoaded` never fires.
fn dom_loaded(doc: &Document) -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, _| {
        let _ = doc.add_event_listener_with_callback("readystatechange", &resolve);
    })
}

/// The page's Content-Security-Policy refused an element Candor activated
/// (an inline script without the page's nonce, a URL outside `script-src`
/// or `frame-src`): says so with an `activation` error. For the listener on
/// `document` (violation events bubble from the element).
pub fn on_violation(e: &web_sys::Event) {
    let text = |name: &str| js_sys::Reflect::get(e, &name.into()).ok().and_then(|d| d.as_string()).unwrap_or_default();
    // A report-only policy refuses nothing: the element ran. A refused
    // inline event handler or style attribute (`script-src-attr`,
    // `style-src-attr`) is the page's markup, not the element's activation.
    if text("disposition") == "report" || text("effectiveDirective").ends_with("-attr") {
        return;
    }
    let ours = |el: &Element| el.has_attribute(DONE) && el.has_attribute("data-candor-purpose");
    let el = match e.target().and_then(|t| t.dyn_into::<Element>().ok()).filter(ours) {
        Some(el) => el,
        // A refused URL (a script's, an iframe's, an image's) is reported at
        // the document: the element is one activated in the last few seconds,
        // of a kind the directive governs, with that URL (a refused frame
        // gives only its origin). Other refusals (the vendor's own requests
        // later, other directives) are not Candor's to report.
        None => {
            let blocked = text("blockedURI");
            let directive = text("effectiveDirective");
            let (kinds, origin_only): (&[&str], bool) = match directive.split('-').next().unwrap_or("") {
                "frame" | "child" => (&["IFRAME"], true),
                "script" => (&["SCRIPT"], false),
                "img" => (&["IMG"], false),
                "media" => (&["VIDEO", "AUDIO", "SOURCE"], false),
                "object" => (&["EMBED"], false),
                _ => return,
            };
            let now = js_sys::Date::now();
            let origin = blocked.trim_end_matches('/');
            let found = RECENT.with_borrow(|recent| {
                let candidates = recent.iter().filter(|(el, at)| now - at < RECENT_MS && kinds.contains(&el.tag_name().as_str()));
                let src = |el: &Element| js_sys::Reflect::get(el, &"src".into()).ok().and_then(|s| s.as_string()).unwrap_or_default();
                // A refused data: or blob: URL is reported by its scheme alone.
                let scheme_only = matches!(blocked.as_str(), "data" | "blob");
                candidates
                    .clone()
                    .find(|(el, _)| src(el) == blocked || (scheme_only && src(el).starts_with(&format!("{blocked}:"))))
                    .or_else(|| {
                        candidates.clone().find(|(el, _)| {
                            origin_only && blocked.contains(':') && src(el).strip_prefix(origin).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                        })
                    })
                    .map(|(el, _)| el.clone())
            });
            let Some(el) = found else { return };
            el
        }
    };
    let why = JsValue::from(format!("the page's Content-Security-Policy refused it ({})", text("effectiveDirective")));
    super::dom::report_error("activation", &activation_error(&el, &why));
}

thread_local! {
    /// `data-candor-purpose` values already warned about.
    static WARNED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Says once per value when an element names a purpose the config does not
/// have (a typo, a comma list, another site's template): it stays inert for
/// ever, whatever the visitor chooses.
fn warn_if_unknown(el: &Element, consent: &Consent) {
    let list = el.get_attribute("data-candor-purpose").unwrap_or_default();
    // Runs for every inert element on every change of the page: the
    // values already warned about are skipped first.
    if WARNED.with_borrow(|w| w.contains(&list)) {
        return;
    }
    let unknown: Vec<&str> = list.split_ascii_whitespace().filter(|id| !consent.purposes.contains_key(id)).collect();
    if !(unknown.is_empty() && !list.trim_ascii().is_empty()) {
        let ids = consent.purposes.keys().map(|k| crate::json::quote(k)).collect::<Vec<_>>().join(", ");
        super::dom::warn(&format!(
            "<{} data-candor-purpose={}> names no purpose of the config ({}), so it stays inert whatever the visitor chooses; \
             list purpose ids separated by spaces, from: {ids}",
            el.tag_name().to_ascii_lowercase(),
            crate::json::quote(&list),
            if unknown.is_empty() { "it is empty".to_string() } else { format!("unknown: {}", unknown.join(" ")) },
        ));
        WARNED.with_borrow_mut(|w| w.push(list));
    }
}

/// A media element does not look at its `<source>` children again by
/// itself: after a `<source>`'s URL changed, its parent must be told to reload.
fn reload_media(el: &Element) {
    if let Some(media) = el.parent_element().filter(|p| el.tag_name() == "SOURCE" && matches!(p.tag_name().as_str(), "VIDEO" | "AUDIO")) {
        if let Ok(load) = js_sys::Reflect::get(&media, &"load".into()).and_then(|f| f.dyn_into::<js_sys::Function>()) {
            let _ = load.call0(&media);
        }
    }
}

/// An activated iframe, image or media source whose `data-src` (or
/// `data-srcset`) the page changed, as a framework re-rendering the element
/// in place does: loads the new URL, if its purposes are still granted.
/// Only on that change, so a URL the page set on `src` itself is kept.
pub fn follow_sources(records: &js_sys::Array) {
    for r in records.iter().filter_map(|r| r.dyn_into::<web_sys::MutationRecord>().ok()) {
        let Some(name) = r.attribute_name().filter(|n| n == "data-src" || n == "data-srcset") else { continue };
        let Some(el) = r.target().and_then(|t| t.dyn_into::<Element>().ok()) else { continue };
        if !el.has_attribute(DONE) || el.tag_name().eq_ignore_ascii_case("script") || !still_allowed(&el) {
            continue;
        }
        let target = &name[5..];
        // An iframe's new URL in a frame made anew, as on activation: no
        // history entry that Back would load after a withdrawal.
        let frame = el.tag_name().eq_ignore_ascii_case("iframe");
        let result = match el.get_attribute(&name) {
            Some(url) if el.get_attribute(target).as_ref() != Some(&url) => {
                let checked = if frame || el.tag_name().eq_ignore_ascii_case("embed") {
                    fetched_over_http(&super::dom::document(), &url)
                } else {
                    Ok(())
                };
                // Refused: the frame keeps what it shows, untouched.
                checked.and_then(|()| {
                    let set = |e: &Element| e.set_attribute(target, &url);
                    if frame { remake_frame(&super::dom::document(), &el, set) } else { set(&el) }.map(|()| {
                        activated(&el);
                        reload_media(&el);
                    })
                })
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            super::dom::report_error("activation", &activation_error(&el, &e));
        }
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The loader's `runInline` (src/js/loader.js): puts `script` after
    /// `anchor`, where it runs at once, with `document.write` collecting
    /// what it writes (put after it), as a write after the page was parsed
    /// would replace the whole page.
    #[wasm_bindgen(catch, js_name = runInline)]
    fn run_inline(anchor: &Element, script: &Element) -> Result<(), JsValue>;
}

/// Whether every purpose the element lists is granted (an empty list never is).
pub fn allowed(el: &Element, consent: &Consent) -> bool {
    let list = el.get_attribute("data-candor-purpose").unwrap_or_default();
    let mut ids = list.split_ascii_whitespace().peekable();
    ids.peek().is_some() && ids.all(|id| consent.granted(id))
}

/// "could not activate <script data-candor-purpose="stats">: <the browser's message>".
fn activation_error(el: &Element, e: &JsValue) -> String {
    let why = super::dom::error_text(e, "the browser refused it");
    let purposes = el.get_attribute("data-candor-purpose").unwrap_or_default();
    format!(
        "could not activate <{} data-candor-purpose={}>: {why}",
        el.tag_name().to_ascii_lowercase(),
        crate::json::quote(&purposes)
    )
}

/// Activates one element; for an in-order external script, returns a
/// promise that settles when it has loaded or failed.
fn activate(doc: &Document, el: &Element) -> Result<Option<js_sys::Promise>, JsValue> {
    el.set_attribute(DONE, "")?;
    match el.tag_name().to_ascii_lowercase().as_str() {
        "script" => {
            let fresh = doc.create_element("script")?;
            // The copy keeps data-candor-purpose (for QA) and is marked done,
            // so the observer never activates it again.
            fresh.set_attribute(DONE, "")?;
            let attrs = el.attributes();
            for i in 0..attrs.length() {
                let Some(a) = attrs.item(i) else { continue };
                let name = a.name();
                if matches!(name.as_str(), "type" | "data-type" | "nonce" | DONE) {
                    continue;
                }
                if let Err(e) = fresh.set_attribute(&name, &a.value()) {
                    // Trusted Types refuse an inline handler (onload=…) without
                    // a policy for scripts: the script still runs, without it.
                    if name.starts_with("on") {
                        super::dom::warn(&format!(
                            "a gated <script>'s {name} attribute was left out, the page refused it: {}",
                            super::dom::error_text(&e, "refused")
                        ));
                        continue;
                    }
                    return Err(e);
                }
            }
            if let Some(t) = el.get_attribute("data-type") {
                fresh.set_attribute("type", &t)?;
            }
            // The nonce attribute is hidden after parsing; the property keeps it.
            let nonce = js_sys::Reflect::get(el, &"nonce".into())?;
            if PAGE_NONCE.with_borrow(|page| !page.is_empty() && nonce.as_string().as_ref() != Some(page)) {
                return Err(JsValue::from("it does not carry the nonce of Candor's own <script> (with a nonce-based Content-Security-Policy, every gated script needs it)"));
            }
            if nonce.as_string().is_some_and(|n| !n.is_empty()) {
                js_sys::Reflect::set(&fresh, &"nonce".into(), &nonce)?;
            }
            if let Some(src) = fresh.get_attribute("src") {
                fetched_over_http(doc, &src)?;
            }
            // Inserted scripts are async by default; keep document order for
            // ones that were not marked async.
            if !el.has_attribute("async") {
                js_sys::Reflect::set(&fresh, &"async".into(), &JsValue::FALSE)?;
            }
            // Waited for only when the browser will fetch and run it (so a
            // load or error event will come): not a `nomodule` script, not
            // a data block.
            let kind = fresh.get_attribute("type").unwrap_or_default().to_ascii_lowercase();
            let runs = kind.is_empty() || kind == "module" || kind.ends_with("javascript") || kind.ends_with("ecmascript");
            let fetched = fresh.has_attribute("src") && !fresh.has_attribute("nomodule") && runs;
            let in_order = fetched && !el.has_attribute("async");
            let mut settle = None;
            let loaded = fetched.then(|| {
                js_sys::Promise::new(&mut |resolve, _| {
                    let _ = fresh.add_event_listener_with_callback("load", &resolve);
                    let _ = fresh.add_event_listener_with_callback("error", &resolve);
                    settle = Some(resolve);
                })
            });
            // Through Reflect, which catches: under a Trusted Types policy
            // the page's browser throws here, and that must not stop the
            // elements after this one.
            let text = el.text_content().unwrap_or_default();
            if !text.is_empty() {
                js_sys::Reflect::set(&fresh, &"textContent".into(), &text.into())?;
            }
            if fresh.has_attribute("src") {
                el.after_with_node_1(&fresh)?;
            } else {
                run_inline(el, &fresh)?;
            }
            // Downloading from now on (not before: a copy the page refused
            // never went in): a withdrawal until it arrives stops it.
            if let (Some(settle), Some(arrived)) = (settle, loaded.clone()) {
                DOWNLOADING.with_borrow_mut(|d| d.push(Downloading { original: el.clone(), copy: fresh.clone(), settle }));
                let copy = fresh.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = wasm_bindgen_futures::JsFuture::from(arrived).await;
                    DOWNLOADING.with_borrow_mut(|d| d.retain(|x| x.copy != copy));
                });
            }
            // One element per id: the inert original gives its id to the
            // script that runs, so `getElementById` finds the live one.
            let _ = el.remove_attribute("id");
            activated(&fresh);
            return Ok(loaded.filter(|_| in_order));
        }
        "iframe" => {
            // Back to a page the browser did not keep in its back/forward
            // cache gives a frame the parser made its last URL from session
            // history before any script runs, even without `src` and after
            // consent was withdrawn; a frame made by script is not given
            // one. So the iframe is taken out and put back in its place with
            // `src` set between: the element (its listeners, the page's
            // references to it) stays, and its frame is made anew, by script.
            let focused = doc.active_element().is_some_and(|a| a == *el);
            let src = el.get_attribute("data-src");
            if let Some(src) = &src {
                fetched_over_http(doc, src)?;
            }
            remake_frame(doc, el, |f| src.as_ref().map_or(Ok(()), |src| f.set_attribute("src", src)))?;
            if focused {
                let _ = el.unchecked_ref::<web_sys::HtmlElement>().focus();
            }
            FRAMES.with_borrow_mut(|f| f.push(el.clone()));
            activated(el);
        }
        "img" | "video" | "audio" | "source" | "embed" => {
            if let Some(srcset) = el.get_attribute("data-srcset") {
                el.set_attribute("srcset", &srcset)?;
            }
            if let Some(src) = el.get_attribute("data-src") {
                if el.tag_name().eq_ignore_ascii_case("embed") {
                    fetched_over_http(doc, &src)?;
                }
                el.set_attribute("src", &src)?;
                reload_media(el);
            }
            activated(el);
        }
        _ => {}
    }
    Ok(None)
}

/// Refuses a gated script's, iframe's or embed's URL that is not fetched
/// over http(s), relative or absolute: a `javascript:` URL copied into an
/// iframe's `src` would run in the page, and `data-*` attributes are what
/// HTML sanitizers let through, so inert markup from a visitor's comment
/// must not become a script by being granted. Images and media run no
/// script and take any URL.
fn fetched_over_http(doc: &Document, url: &str) -> Result<(), JsValue> {
    let base = doc.base_uri().ok().flatten().unwrap_or_default();
    let scheme = web_sys::Url::new_with_base(url, &base).map(|u| u.protocol()).unwrap_or_default();
    // A page opened from a file loads its neighbours as files.
    let page_scheme = web_sys::Url::new(&base).map(|u| u.protocol()).unwrap_or_default();
    if matches!(scheme.as_str(), "http:" | "https:") || (scheme == "file:" && page_scheme == "file:") {
        return Ok(());
    }
    let what = if scheme.is_empty() { "not a URL".to_owned() } else { format!("a {} URL", scheme.trim_end_matches(':')) };
    Err(JsValue::from(format!("its URL is {what}; only http and https URLs are loaded")))
}

/// Deletes cookies whose names match any glob (`*` wildcard), on this host
/// and every parent domain.
pub fn delete_cookies(doc: &Document, globs: &[String]) {
    if globs.is_empty() {
        return;
    }
    let Ok(html) = doc.clone().dyn_into::<web_sys::HtmlDocument>() else { return };
    let jar = html.cookie().unwrap_or_default();
    let location = web_sys::window().map(|w| w.location());
    let host = location.as_ref().and_then(|l| l.hostname().ok()).unwrap_or_default();
    let labels: Vec<&str> = host.split('.').collect();
    // A cookie this page sees may have been set for any path above it (a
    // vendor's script on /shop/ that gives no path sets it for /shop), and
    // only the same path expires it.
    let path = location.and_then(|l| l.pathname().ok()).unwrap_or_default();
    let paths = cookie_paths(&path);
    for pair in jar.split(';') {
        let name = pair.split('=').next().unwrap_or("").trim();
        if name.is_empty() || !globs.iter().any(|g| crate::gate::cookie_glob(g, name)) {
            continue;
        }
        for path in &paths {
            let expire = if path.is_empty() { format!("{name}=; Max-Age=0") } else { format!("{name}=; Max-Age=0; path={path}") };
            let _ = html.set_cookie(&expire);
            for i in 0..labels.len().saturating_sub(1) {
                let domain = labels[i..].join(".");
                let _ = html.set_cookie(&format!("{expire}; domain={domain}"));
                let _ = html.set_cookie(&format!("{expire}; domain=.{domain}"));
            }
        }
    }
}

/// The cookie paths that match a page at `path`: `""` (no path attribute:
/// the page's own default path, whatever characters its directory has),
/// `/`, then each directory above the page with and without its trailing
/// `/` (`/shop/a.html` gives `""`, `/`, `/shop`, `/shop/`; at most 16 levels).
fn cookie_paths(path: &str) -> Vec<&str> {
    let mut out = vec!["", "/"];
    for (i, _) in path.match_indices('/').skip(1).take(16) {
        out.push(&path[..i]);
        out.push(&path[..=i]);
    }
    out
}

