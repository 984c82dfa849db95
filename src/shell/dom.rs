//! Small DOM helpers: building elements with text only, dispatching
//! `candor:*` events, and logging.
//!
//! Config texts are untrusted: they only ever reach the page through
//! `set_text_content` and attribute setters, never as HTML.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CustomEvent, CustomEventInit, Document, Element};

/// The page's document. Boot only runs in a window, so it exists.
pub fn document() -> Document {
    web_sys::window().and_then(|w| w.document()).expect("candor runs in a window with a document")
}

/// Creates `<tag>` with attributes and text (text may be empty).
pub fn el(doc: &Document, tag: &str, attrs: &[(&str, &str)], text: &str) -> Result<Element, JsValue> {
    let e = doc.create_element(tag)?;
    for (k, v) in attrs {
        e.set_attribute(k, v)?;
    }
    if !text.is_empty() {
        e.set_text_content(Some(text));
    }
    Ok(e)
}

/// Appends children in order.
pub fn append(parent: &Element, children: &[&Element]) -> Result<(), JsValue> {
    for c in children {
        parent.append_child(c)?;
    }
    Ok(())
}

/// Says an element's text is in `lang` (WCAG 3.1.2, Language of Parts),
/// and its direction, so punctuation lands on the right side.
pub fn set_lang(e: &Element, lang: &str, rtl: bool) {
    let _ = e.set_attribute("lang", lang);
    let _ = e.set_attribute("dir", if rtl { "rtl" } else { "ltr" });
}

/// Marks every element under `root` whose own text (or, for a symbol such
/// as "×", its `aria-label`) is one of `foreign`'s strings with that
/// language: a prompt in a language Candor has no strings for shows
/// borrowed ones.
pub fn mark_foreign(root: &Element, foreign: &crate::texts::Foreign) {
    let Ok(all) = root.query_selector_all("*") else { return };
    for e in (0..all.length()).filter_map(|i| all.item(i)?.dyn_into::<Element>().ok()) {
        let kids = e.child_nodes();
        let own: String = (0..kids.length())
            .filter_map(|i| kids.item(i))
            .filter(|n| n.node_type() == web_sys::Node::TEXT_NODE)
            .filter_map(|n| n.text_content())
            .collect();
        let symbol = !own.trim().is_empty() && !own.chars().any(char::is_alphanumeric);
        if foreign.has(&own) || symbol && e.get_attribute("aria-label").is_some_and(|l| foreign.has(&l)) {
            set_lang(&e, &foreign.lang, foreign.rtl);
        }
    }
}

/// Marks the strings under `root` shown in another language than the
/// prompt's: built-in ones it borrows, and the site's plain-string overrides.
pub fn mark_languages(root: &Element, texts: &crate::texts::Resolved) {
    if let Some(foreign) = &texts.foreign {
        mark_foreign(root, foreign);
    }
    if let Some(site) = texts.site_texts() {
        mark_foreign(root, &site);
    }
}

/// Gives `e`, about to show (or be named by) `text`, the language of that
/// text: a borrowed built-in string's, a plain override's (the site's), or
/// the prompt's, inherited (a live region or the × says one text, then
/// another).
pub fn mark_text(e: &Element, text: &str, texts: &crate::texts::Resolved) {
    let site = texts.site_texts();
    match texts.foreign.as_ref().filter(|f| f.has(text)).or(site.as_ref().filter(|f| f.has(text))) {
        Some(f) => set_lang(e, &f.lang, f.rtl),
        None => {
            let _ = e.remove_attribute("lang");
            let _ = e.remove_attribute("dir");
        }
    }
}

/// Shows or hides an element with the `hidden` attribute.
pub fn set_hidden(e: &Element, hidden: bool) {
    let _ = if hidden { e.set_attribute("hidden", "") } else { e.remove_attribute("hidden") };
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The loader's `emitEvent` (src/js/loader.js): one queue for the events
    /// the core and the loader dispatch. Caught: the wasm tests run without it.
    #[wasm_bindgen(catch, js_name = emitEvent)]
    fn emit_event(name: &str, detail: &JsValue) -> Result<(), JsValue>;
}

/// Dispatches `candor:<name>` on `document` with `detail`, through the
/// loader's queue: one raised by a listener (a `candor:consent` listener
/// that withdraws) is dispatched once the current event has reached every
/// listener, so each listener gets the events in the order they happened,
/// the last one the current state. A `consent` detail is frozen, so no
/// listener can change what the next one reads.
pub fn dispatch(name: &str, detail: &JsValue) {
    if name == "consent" && detail.is_object() {
        if let Ok(purposes) = js_sys::Reflect::get(detail, &"purposes".into()) {
            if purposes.is_object() {
                js_sys::Object::freeze(purposes.unchecked_ref::<js_sys::Object>());
            }
        }
        js_sys::Object::freeze(detail.unchecked_ref::<js_sys::Object>());
    }
    if emit_event(name, detail).is_ok() {
        return;
    }
    let init = CustomEventInit::new();
    init.set_detail(detail);
    if let Ok(ev) = CustomEvent::new_with_event_init_dict(&format!("candor:{name}"), &init) {
        let _ = document().dispatch_event(ev.unchecked_ref());
    }
}

/// Parses a JSON string produced by serde into a JS value.
pub fn json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap_or(JsValue::NULL)
}

/// Logs one error and dispatches `candor:error` with `{code, message}`.
#[cold]
pub fn report_error(code: &str, message: &str) {
    web_sys::console::error_1(&format!("candor: {message}").into());
    let detail = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&detail, &"code".into(), &code.into());
    let _ = js_sys::Reflect::set(&detail, &"message".into(), &message.into());
    dispatch("error", &detail);
}

/// A thrown JS value as text: an `Error`'s message, a thrown string, or
/// `fallback`. (Not `{:?}`: that would ship Rust's string escaping.)
pub fn error_text(e: &JsValue, fallback: &str) -> String {
    e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).or_else(|| e.as_string()).unwrap_or_else(|| fallback.into())
}

/// Logs a warning.
pub fn warn(message: &str) {
    web_sys::console::warn_1(&format!("candor: {message}").into());
}

/// Unix seconds now.
pub fn now_seconds() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

thread_local! {
    /// While [`enter_clicks`] clicks a button: whether the key press was the visitor's.
    static ENTER: std::cell::Cell<Option<bool>> = const { std::cell::Cell::new(None) };
}

/// Whether a click on one of Candor's buttons is the visitor's own (a
/// trusted event, or the click [`enter_clicks`] makes for a trusted key
/// press), not a page script's `click()`: a decision is recorded as made
/// with a button only then, and as `api` otherwise.
pub fn by_visitor(e: &web_sys::Event) -> bool {
    e.is_trusted() || ENTER.get() == Some(true)
}

/// A keydown listener on `target` that clicks one of Candor's own buttons
/// on Enter, right there: a page script that blocks Enter for its own forms
/// (preventDefault on the document's keydown, a common snippet) must not
/// take the choice away from keyboard users. The native click is prevented
/// instead, so it is one click either way.
pub fn enter_clicks(target: &web_sys::EventTarget) -> gloo_events::EventListener {
    let opts = gloo_events::EventListenerOptions::enable_prevent_default();
    gloo_events::EventListener::new_with_options(target, "keydown", opts, move |e| {
        let Some(k) = e.dyn_ref::<web_sys::KeyboardEvent>() else { return };
        if k.key() != "Enter" || k.is_composing() {
            return;
        }
        if let Some(button) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()).filter(|b| b.tag_name() == "BUTTON") {
            k.prevent_default();
            // A held Enter clicks once: its repeats would land on whatever
            // the first click put focus on ("Erase my data", then what the
            // erase left focused).
            if !k.repeat() {
                ENTER.set(Some(k.is_trusted()));
                button.click();
                ENTER.set(None);
            }
        }
    })
}

/// Where the prompt goes: first in `<body>`; on the root element when the
/// page has no body (an XHTML document may have none) or its body is a
/// `<frameset>` (which renders frames only).
pub fn mount_point(doc: &web_sys::Document) -> Option<web_sys::Element> {
    match doc.body() {
        Some(body) if !body.tag_name().eq_ignore_ascii_case("frameset") => Some(body.into()),
        _ => doc.document_element(),
    }
}
