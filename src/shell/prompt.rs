//! The consent prompt: one `<candor-consent>` element with an open shadow
//! root holding a `<dialog>`.
//!
//! The view is built once and then only shown, hidden and re-labelled, so
//! no listener is ever dropped while it runs. It never changes consent: each
//! control turns a click into an [`Intent`] and hands it to the controller.
//! Accept and reject are the same element type with the same class, so they
//! have the same size and weight. The first layer is a non-modal banner (the
//! page keeps working behind it); the preferences layer is modal (focus moves
//! in, Tab is trapped, Esc goes back, focus returns where it was). Styles come
//! from a constructable stylesheet, which strict CSPs allow.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, HtmlDialogElement, HtmlElement, HtmlInputElement, KeyboardEvent, ShadowRoot};

use super::dataview::DataView;

/// Clicks closer than this are one double click (the second is ignored when
/// it lands on another control).
const DOUBLE_CLICK_MS: f64 = 500.0;
use super::dom::{append, el, set_hidden};
use crate::config::{Config, Purpose};
use crate::consent::Consent;
use crate::texts::Resolved;

/// What the visitor asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// Grant every optional purpose.
    AcceptAll,
    /// Deny every optional purpose.
    RejectAll,
    /// Apply the toggles: (purpose, granted).
    Save(Vec<(String, bool)>),
    /// Open the preferences layer.
    Customize,
    /// Leave the preferences layer (Esc).
    Back,
    /// Close without deciding.
    Close,
    /// The stored decision may have changed (a page restored, resumed).
    Reload,
    /// Another tab wrote the stored decision (`Some`, the `storage` event's
    /// new value) or removed it (`None`).
    Theirs(Option<String>),
    /// Another tab erased everything (its `candor.erased` mark: its Unix
    /// seconds, when readable).
    Erased(Option<u64>),
    /// A placeholder's button: grant just these purposes.
    Allow(Vec<String>),
    /// Open the "Your data" view.
    YourData,
    /// Download everything Candor holds as JSON.
    Export,
    /// Erase everything Candor stored and ask again.
    Erase,
    /// An intent a page script made with `click()` on one of Candor's
    /// buttons: a decision it makes is recorded as `api`, not `button`.
    Scripted(Box<Intent>),
}

/// `intent`, marked [`Intent::Scripted`] unless `e` is the visitor's own.
pub fn from_event(e: &web_sys::Event, intent: Intent) -> Intent {
    if super::dom::by_visitor(e) { intent } else { Intent::Scripted(Box::new(intent)) }
}

// src/shell/prompt.css, minified by build.rs.
const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/prompt.css"));

/// The rendered prompt and its listeners (dropped with it).
pub struct Prompt {
    host: Element,
    /// The popover root inside the shadow root (see [`top_layer`]).
    root: Element,
    shadow: ShadowRoot,
    dialog: HtmlDialogElement,
    heading: Element,
    first: Element,
    prefs: Element,
    customize: Element,
    /// The preferences' "Your data" button (focus comes back to it from the view).
    your_data: Element,
    save: Element,
    close: Element,
    reopen: Element,
    gpc_note: Element,
    /// Says on the banner that an erase from "Your data" is done.
    status: Element,
    /// A live region outside the dialog, seen by screen readers only: says
    /// a decision was saved (the dialog closes as it is).
    announce: Element,
    toggles: Vec<(String, HtmlInputElement)>,
    actions: Element,
    data: DataView,
    texts: Rc<Resolved>,
    return_focus: Option<HtmlElement>,
    /// The toggles as the visitor left them (not saved) on going from the
    /// preferences to "Your data": restored when they come back.
    unsaved: Option<Vec<bool>>,
    /// When the host was last put back after the page removed it, on the
    /// page's own DOM changes (see [`Prompt::ensure_attached`]).
    reattached: Vec<f64>,
    /// Room added below the page (see [`Room`]).
    room: Rc<RefCell<Room>>,
    _listeners: Vec<EventListener>,
}

/// A `<p class=…>` of `template` with `{purposes}` replaced by the
/// purposes' labels, each in its own `<bdi>` (with its language, when the
/// site wrote it in another than the prompt's): a right-to-left label in a
/// left-to-right sentence, or the reverse, keeps its place and its numbers.
/// Every `{purposes}` in the template is filled.
fn labels_in(doc: &Document, class: &str, template: &str, purposes: &[&Purpose], texts: &Resolved) -> Result<Element, JsValue> {
    let mut parts = template.split("{purposes}");
    let p = el(doc, "p", &[("class", class)], parts.next().unwrap_or_default())?;
    // The sentence is in the prompt's language, or in the one it borrows
    // built-in strings from (marked on the `<p>` later, see `mark_foreign`).
    // A plain-string override is in the site's language (`mark_languages`).
    let site = texts.site_texts();
    let sentence = texts
        .foreign
        .as_ref()
        .filter(|f| f.has(template))
        .or(site.as_ref().filter(|f| f.texts.iter().any(|t| t == template)))
        .map_or(texts.lang.as_str(), |f| f.lang.as_str());
    for after in parts {
        for (i, purpose) in purposes.iter().enumerate() {
            if i > 0 {
                p.append_child(&doc.create_text_node(", "))?;
            }
            let (text, tag) = purpose.label.resolve_tagged(&texts.chain);
            let label = el(doc, "bdi", &[], text)?;
            if let Some((tag, rtl)) = crate::texts::other_language(tag.or(Some(&texts.site_lang)), sentence) {
                super::dom::set_lang(&label, tag, rtl);
            }
            p.append_child(&label)?;
        }
        p.append_child(&doc.create_text_node(after))?;
    }
    Ok(p)
}

/// Room added at the bottom of the page (the root element's
/// `padding-bottom`, set through CSSOM, which a strict CSP allows) so a
/// focused control at the very end of the page can scroll above the banner
/// or "Your choices" (WCAG 2.4.11). Only when one would stay covered, and
/// taken back when the banner closes.
#[derive(Default)]
struct Room {
    /// The root element's own inline `padding-bottom` before, and its
    /// computed padding then, in px.
    before: Option<(JsValue, f64)>,
    added: f64,
}

impl Room {
    fn style() -> Option<JsValue> {
        let root: JsValue = super::dom::document().document_element()?.into();
        js_sys::Reflect::get(&root, &"style".into()).ok()
    }

    fn grow(&mut self, px: f64) {
        let Some(style) = Room::style() else { return };
        if self.before.is_none() {
            let inline = js_sys::Reflect::get(&style, &"paddingBottom".into()).unwrap_or(JsValue::UNDEFINED);
            let computed = web_sys::window()
                .and_then(|w| w.get_computed_style(&super::dom::document().document_element()?).ok().flatten())
                .and_then(|c| c.get_property_value("padding-bottom").ok())
                .map(|v| js_sys::Number::parse_float(&v))
                .filter(|v| v.is_finite())
                .unwrap_or(0.0);
            self.before = Some((inline, computed));
        }
        self.added += px.ceil();
        let base = self.before.as_ref().map_or(0.0, |(_, c)| *c);
        let _ = js_sys::Reflect::set(&style, &"paddingBottom".into(), &format!("{}px", (base + self.added) as i64).into());
    }

    fn reset(&mut self) {
        if let (Some((inline, _)), Some(style)) = (self.before.take(), Room::style()) {
            let _ = js_sys::Reflect::set(&style, &"paddingBottom".into(), &inline);
        }
        self.added = 0.0;
    }
}

impl Prompt {
    /// Builds the prompt (hidden) and inserts it as the first child of `<body>`.
    pub fn new(doc: &Document, config: &Config, texts: &Rc<Resolved>, on: Rc<dyn Fn(Intent)>) -> Result<Prompt, JsValue> {
        let ui = &texts.ui;
        let host = doc.create_element("candor-consent")?;
        let shadow = host.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))?;
        let sheet = web_sys::CssStyleSheet::new()?;
        sheet.replace_sync(CSS)?;
        js_sys::Reflect::set(&shadow, &"adoptedStyleSheets".into(), &js_sys::Array::of1(&sheet))?;

        let dir = if texts.rtl { "rtl" } else { "ltr" };
        let root = el(doc, "div", &[("class", "root"), ("lang", &texts.lang), ("dir", dir), ("popover", "manual")], "")?;
        let dialog = el(
            doc,
            "dialog",
            &[("class", "prompt"), ("data-testid", "candor-prompt"), ("aria-labelledby", "candor-h"), ("aria-describedby", "candor-d")],
            "",
        )?;
        let close = el(doc, "button", &[("type", "button"), ("class", "close"), ("data-testid", "candor-close"), ("aria-label", ui.close())], "×")?;
        let heading = el(doc, "h2", &[("id", "candor-h")], ui.heading())?;
        let first = el(doc, "div", &[("class", "first")], "")?;
        let intro = el(doc, "p", &[("id", "candor-d")], ui.intro())?;
        // "…, so these purposes are off: Ads, Offers." names the purposes GPC turns off.
        let off: Vec<&Purpose> = config.optional_purposes().filter(|p| p.gpc).collect();
        let gpc_note = labels_in(doc, "note", ui.gpc(), &off, texts)?;
        gpc_note.set_attribute("id", "candor-g")?;
        gpc_note.set_attribute("hidden", "")?;
        gpc_note.set_attribute("data-testid", "candor-gpc")?;
        // Never hidden, empty until it has something to say: a live region
        // shown and filled at once is often not read out.
        let status = el(doc, "p", &[("class", "done"), ("role", "status"), ("data-testid", "candor-status")], "")?;
        append(&first, &[&intro, &gpc_note, &status])?;
        // What "Accept all" turns on, named on the layer that has it.
        // At most three lines (two on phones) so the buttons stay in view;
        // the whole list is in the preferences, its title and the DOM.
        let optional: Vec<&Purpose> = config.optional_purposes().collect();
        if !optional.is_empty() {
            let asks = labels_in(doc, "asks", ui.asks(), &optional, texts)?;
            asks.set_attribute("id", "candor-a")?;
            first.insert_before(&asks, Some(&gpc_note))?;
        }

        let prefs = el(doc, "div", &[("class", "prefs"), ("hidden", "")], "")?;
        let prefs_intro = el(doc, "p", &[("id", "candor-pd")], ui.prefs_intro())?;
        let list = el(doc, "ul", &[("class", "purposes")], "")?;
        let mut toggles = Vec::new();
        for p in &config.purposes {
            let chain = &texts.chain;
            let li = el(doc, "li", &[("class", "purpose")], "")?;
            let row = el(doc, "div", &[("class", "row")], "")?;
            let input_id = format!("candor-t-{}", p.id);
            // A purpose text the site did not write in the prompt's language
            // says which one it is in (a plain string: the site's).
            let tagged = |e: &Element, tag: Option<&str>| {
                if let Some((tag, rtl)) = crate::texts::other_language(tag.or(Some(&texts.site_lang)), &texts.lang) {
                    super::dom::set_lang(e, tag, rtl);
                }
            };
            let (text, tag) = p.label.resolve_tagged(chain);
            let label = el(doc, "label", &[("for", &input_id), ("class", "label")], text)?;
            tagged(&label, tag);
            // Described by everything said about the purpose: what, what
            // the visitor gets, and how long it is kept.
            // A required one's "Always on" note too (disabled, it is out of
            // Tab order: a screen reader meets it reading the list).
            let mut described = format!("candor-e-{0} candor-b-{0}", p.id);
            if p.retention_days.is_some() {
                described.push_str(&format!(" candor-r-{}", p.id));
            }
            if p.required {
                described.push_str(&format!(" candor-q-{}", p.id));
            }
            let input: HtmlInputElement = el(
                doc,
                "input",
                &[("type", "checkbox"), ("role", "switch"), ("id", &input_id), ("data-testid", &format!("candor-toggle-{}", p.id)),
                  ("aria-describedby", &described)],
                "",
            )?
            .unchecked_into();
            append(&row, &[&label, &input])?;
            let (text, tag) = p.explain.resolve_tagged(chain);
            let explain = el(doc, "p", &[("id", &format!("candor-e-{}", p.id))], text)?;
            tagged(&explain, tag);
            let benefit = el(doc, "p", &[("id", &format!("candor-b-{}", p.id))], "")?;
            let strong = el(doc, "strong", &[], ui.benefit_prefix())?;
            benefit.append_child(&strong)?;
            benefit.append_child(&doc.create_text_node(" "))?;
            let (text, tag) = p.benefit.resolve_tagged(chain);
            let what = el(doc, "span", &[], text)?;
            tagged(&what, tag);
            benefit.append_child(&what)?;
            append(&li, &[&row, &explain, &benefit])?;
            if let Some(days) = p.retention_days {
                let template = if days == 1 { ui.retention_one() } else { ui.retention() };
                let note = el(doc, "p", &[("class", "muted"), ("id", &format!("candor-r-{}", p.id))], &template.replace("{days}", &days.to_string()))?;
                li.append_child(&note)?;
            }
            if p.required {
                input.set_checked(true);
                input.set_disabled(true);
                let note = el(
                    doc,
                    "p",
                    &[("class", "muted"), ("id", &format!("candor-q-{}", p.id))],
                    &format!("{}. {}", ui.always_on().trim_end_matches('.'), ui.required_why()),
                )?;
                li.append_child(&note)?;
            } else {
                toggles.push((p.id.clone(), input.clone()));
            }
            list.append_child(&li)?;
        }
        let your_data =
            el(doc, "button", &[("type", "button"), ("class", "secondary link"), ("data-testid", "candor-your-data")], ui.your_data())?;
        append(&prefs, &[&prefs_intro, &list, &your_data])?;
        let data = DataView::new(doc, texts, &on)?;

        let actions = el(doc, "div", &[("class", "actions")], "")?;
        let reject = el(doc, "button", &[("type", "button"), ("class", "choice"), ("data-testid", "candor-reject-all")], ui.reject_all())?;
        let accept = el(doc, "button", &[("type", "button"), ("class", "choice"), ("data-testid", "candor-accept-all")], ui.accept_all())?;
        let customize = el(doc, "button", &[("type", "button"), ("class", "secondary"), ("data-testid", "candor-customize")], ui.customize())?;
        let save = el(doc, "button", &[("type", "button"), ("class", "secondary"), ("data-testid", "candor-save"), ("hidden", "")], ui.save())?;
        append(&actions, &[&reject, &accept, &customize, &save])?;
        append(&dialog, &[&close, &heading, &first, &prefs, &data.section, &actions])?;
        // Its title: on phones it is a round icon, and the tooltip says what it is.
        let reopen = el(doc, "button", &[("type", "button"), ("class", "reopen"), ("data-testid", "candor-reopen"), ("title", ui.reopen()), ("hidden", "")], ui.reopen())?;
        let announce = el(doc, "p", &[("class", "sr"), ("role", "status"), ("data-testid", "candor-announce")], "")?;
        append(&root, &[&dialog, &reopen, &announce])?;
        super::dom::mark_languages(&root, texts);
        shadow.append_child(&root)?;

        let dialog: HtmlDialogElement = dialog.unchecked_into();
        let click = |target: &Element, intent: Intent| {
            let on = on.clone();
            EventListener::new(target, "click", move |e| on(from_event(e, intent.clone())))
        };
        // The second click of a double click does nothing when it lands on
        // another control than the first: the first swapped the layer, and
        // what is now under the pointer ("Accept all" where "Choose what to
        // allow" was) is not what the visitor aimed at. A double click is
        // `detail` 2 and up within DOUBLE_CLICK_MS of the click before;
        // slower clicks count whatever `detail` says (a visitor who
        // lengthened the system's double-click time still clicks "Save").
        // Keyboard and scripted clicks have `detail` 0.
        let capture = EventListenerOptions { phase: gloo_events::EventListenerPhase::Capture, passive: false };
        let last: Rc<std::cell::RefCell<(f64, Option<web_sys::EventTarget>)>> = Rc::default();
        let mut listeners = vec![
            EventListener::new_with_options(&root, "click", capture, move |e| {
                let detail = js_sys::Reflect::get(e, &"detail".into()).ok().and_then(|d| d.as_f64()).unwrap_or(0.0);
                let (at, target) = (e.time_stamp(), e.target());
                let (then, before) = last.replace((at, target.clone()));
                if detail >= 2.0 && at - then < DOUBLE_CLICK_MS && before != target {
                    e.prevent_default();
                    e.stop_immediate_propagation();
                }
            }),
            click(&accept, Intent::AcceptAll),
            click(&reject, Intent::RejectAll),
            click(&customize, Intent::Customize),
            click(&close, Intent::Close),
            click(&reopen, Intent::Customize),
            click(&your_data, Intent::YourData),
        ];
        {
            let on = on.clone();
            let toggles = toggles.clone();
            listeners.push(EventListener::new(&save, "click", move |e| {
                on(from_event(e, Intent::Save(toggles.iter().map(|(id, t)| (id.clone(), t.checked())).collect())))
            }));
        }
        {
            let on = on.clone();
            let shadow = shadow.clone();
            let d = dialog.clone();
            let data_section = data.section.clone();
            let opts = EventListenerOptions::enable_prevent_default();
            listeners.push(EventListener::new_with_options(&dialog, "keydown", opts, move |e| {
                let Some(k) = e.dyn_ref::<KeyboardEvent>() else { return };
                if k.key() == "Escape" {
                    k.prevent_default();
                    k.stop_propagation();
                    on(if !data_section.has_attribute("hidden") {
                        Intent::Customize
                    } else if d.class_list().contains("modal") {
                        Intent::Back
                    } else {
                        Intent::Close
                    });
                } else if k.key() == "Tab" && d.class_list().contains("modal") {
                    trap_tab(&shadow, &d, k);
                }
            }));
        }
        // Enter on the prompt's buttons works under a page that blocks it.
        listeners.push(super::dom::enter_clicks(&root));
        // WCAG 2.4.11: a page control that gets keyboard focus behind the
        // banner or "Your choices" (both fixed at the bottom, and not modal)
        // is scrolled up into view above them, where the page can scroll.
        let room = Rc::new(RefCell::new(Room::default()));
        {
            let covers: [Element; 2] = [dialog.clone().unchecked_into(), reopen.clone()];
            let ours = host.clone();
            let room = room.clone();
            let opts = EventListenerOptions { phase: gloo_events::EventListenerPhase::Capture, passive: true };
            listeners.push(EventListener::new_with_options(doc, "focusin", opts, move |e| {
                let Some(el) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return };
                if el == ours {
                    let _ = covers[0].class_list().remove_1("folded");
                    return;
                }
                if !el.matches(":focus-visible").unwrap_or(false) {
                    return;
                }
                let Some(w) = web_sys::window() else { return };
                // How far to scroll the page up so `el` clears the cover,
                // never past its own top: a control taller than the room
                // above the cover shows its top part, not only its bottom.
                let under = |c: &web_sys::DomRect| {
                    let r = el.get_bounding_client_rect();
                    let overlaps = r.bottom() > c.top() && r.top() < c.bottom() && r.right() > c.left() && r.left() < c.right();
                    if overlaps { (r.bottom() - c.top() + 8.0).min(r.top()) } else { 0.0 }
                };
                // A short screen the banner fills (400 % zoom, a phone held
                // sideways): with no room above it for the control, the
                // banner folds to its buttons while focus is in the page.
                let banner = &covers[0];
                if !banner.class_list().contains("modal") {
                    let (r, c) = (el.get_bounding_client_rect(), banner.get_bounding_client_rect());
                    if c.height() > 0.0 && r.height() + 16.0 > c.top() {
                        let _ = banner.class_list().add_1("folded");
                    }
                }
                for c in covers.iter().map(Element::get_bounding_client_rect).filter(|c| c.height() > 0.0) {
                    let by = under(&c);
                    if by > 0.0 {
                        w.scroll_by_with_x_and_y(0.0, by);
                        // The end of the page: no room to scroll it up. The
                        // page gets that much more room at its bottom; a page
                        // shorter than the window, the gap below it too (its
                        // first pixels of padding make nothing scrollable).
                        let left = under(&c);
                        if left > 0.0 {
                            if let Some(root) = super::dom::document().document_element() {
                                let (height, view) = (root.get_bounding_client_rect().height(), f64::from(root.client_height()));
                                let need = w.scroll_y().unwrap_or(0.0) + left + view - height;
                                if need > 0.0 {
                                    room.borrow_mut().grow(need);
                                }
                            }
                            w.scroll_by_with_x_and_y(0.0, left);
                        }
                        return;
                    }
                }
            }));
        }
        if let Some(parent) = super::dom::mount_point(doc) {
            parent.insert_before(&host, parent.first_child().as_ref())?;
            top_layer(&root, true);
        }
        Ok(Prompt {
            host, root, shadow, dialog, heading, first, prefs, customize, your_data, save, close, reopen, gpc_note, status, announce, toggles, actions, data,
            texts: texts.clone(), return_focus: None, unsaved: None, reattached: Vec::new(), room, _listeners: listeners,
        })
    }

    /// Shows `text` as the heading, with its own `lang`/`dir` when it is a
    /// borrowed string, the prompt's otherwise.
    fn set_heading(&self, text: &str) {
        self.heading.set_text_content(Some(text));
        match self.texts.foreign.as_ref().filter(|f| f.has(text)) {
            Some(f) => super::dom::set_lang(&self.heading, &f.lang, f.rtl),
            None => {
                let _ = self.heading.remove_attribute("lang");
                let _ = self.heading.remove_attribute("dir");
            }
        }
    }

    /// Whether the host element is in the page.
    pub fn attached(&self) -> bool {
        self.host.is_connected()
    }

    /// Puts the prompt back when the page removed it (a single-page app
    /// that replaced `<body>` or its children): without it the visitor
    /// could no longer decide, or change a decision.
    ///
    /// `auto`: called for a change the page made. A page that removes every
    /// element it did not create (on each change) would then remove it again
    /// at once, forever: after 20 times in a second it is left out, and
    /// `true` is returned (try again later); a call that is not `auto` (a
    /// decision, `open()`) always puts it back.
    pub fn ensure_attached(&mut self, auto: bool) -> bool {
        let doc = super::dom::document();
        if !self.host.is_connected() {
            let now = js_sys::Date::now();
            self.reattached.retain(|t| now - t < 1_000.0);
            if auto && self.reattached.len() >= 20 {
                return true;
            }
            let Some(parent) = super::dom::mount_point(&doc) else { return false };
            if parent.insert_before(&self.host, parent.first_child().as_ref()).is_err() {
                return false;
            }
            if auto {
                self.reattached.push(now);
            } else {
                self.reattached.clear();
            }
            // A copy of the old body put back (a page cache): its copy of
            // the host has no shadow root and shows nothing; one host only.
            if let Ok(all) = doc.query_selector_all("candor-consent") {
                for i in 0..all.length() {
                    if let Some(other) = all.item(i).and_then(|n| n.dyn_into::<Element>().ok()).filter(|e| *e != self.host) {
                        other.remove();
                    }
                }
            }
        }
        // In the top layer unless the page shows a modal dialog of its own:
        // that makes everything else inert, so the prompt waits under its
        // backdrop (dimmed, as it cannot be used) rather than look usable
        // above it. Moving the host also closes the popover: back on top.
        let page_modal = doc.query_selector(":modal").ok().flatten().is_some();
        let open = self.root.matches(":popover-open").unwrap_or(true);
        if page_modal == open {
            top_layer(&self.root, !page_modal);
        }
        false
    }

    /// The first layer, as a non-modal banner.
    pub fn show_banner(&mut self, gpc: bool) {
        self.unsaved = None;
        // Leaving a layer that had focus (the data view after an erase, opened
        // from the "Your choices" control this hides): focus goes back where
        // it came from, else to the banner, never to <body>.
        let was_modal = self.dialog.class_list().contains("modal");
        let focus_inside = super::dom::document().active_element().is_some_and(|a| a == self.host);
        self.leave_modal();
        let _ = self.dialog.class_list().remove_1("folded");
        self.set_heading(self.texts.ui.heading());
        // Described by all it says before its buttons: the intro, what
        // "Accept all" turns on, and the privacy signal's note when it applies.
        let asks = if self.first.query_selector("#candor-a").ok().flatten().is_some() { " candor-a" } else { "" };
        let _ = self.dialog.set_attribute("aria-describedby", &format!("candor-d{asks}{}", if gpc { " candor-g" } else { "" }));
        set_hidden(&self.first, false);
        set_hidden(&self.data.section, true);
        set_hidden(&self.actions, false);
        set_hidden(&self.gpc_note, !gpc);
        hush(&self.status);
        hush(&self.announce);
        set_hidden(&self.prefs, true);
        set_hidden(&self.customize, false);
        set_hidden(&self.save, true);
        set_hidden(&self.reopen, true);
        // The `open` attribute shows it without moving focus: a banner must
        // not steal focus from the page.
        let _ = self.dialog.set_attribute("open", "");
        if was_modal && focus_inside {
            self.refocus();
        }
    }

    /// Focus back where the open layer was opened from, else on the banner's
    /// "Choose" button.
    fn refocus(&mut self) {
        match self.return_focus.take() {
            Some(e) => {
                let _ = e.focus();
            }
            None => {
                let _ = self.customize.unchecked_ref::<HtmlElement>().focus();
            }
        }
    }

    /// Says on the banner (a live region) that the erase the visitor asked
    /// for in "Your data" is done.
    pub fn erased(&self) {
        super::dom::mark_text(&self.status, self.texts.ui.data_erased(), &self.texts);
        say_later(&self.status, self.texts.ui.data_erased());
    }

    /// Tells screen readers the decision the visitor made here is saved
    /// (focus moves to "Your choices" as the dialog closes; this says why).
    pub fn saved(&self) {
        super::dom::mark_text(&self.announce, self.texts.ui.saved(), &self.texts);
        say_later(&self.announce, self.texts.ui.saved());
    }

    /// The switches show `consent`, so a page or a test reading them after
    /// a decision sees it. Not while the preferences layer is showing: there
    /// they hold what the visitor switched and has not saved yet.
    pub fn reflect(&self, consent: &Consent) {
        // Once decided, closing keeps the decision: the × says "Close".
        let label = if consent.decided { self.texts.ui.close_decided() } else { self.texts.ui.close() };
        let _ = self.close.set_attribute("aria-label", label);
        super::dom::mark_text(&self.close, label, &self.texts);
        if self.dialog.open() && !self.prefs.has_attribute("hidden") {
            return;
        }
        for (id, t) in &self.toggles {
            t.set_checked(consent.granted(id));
        }
    }

    /// The preferences layer, modal, toggles reflecting `consent`.
    pub fn show_preferences(&mut self, consent: &Consent, gpc: bool) {
        let unsaved = self.unsaved.take();
        for (i, (id, t)) in self.toggles.iter().enumerate() {
            t.set_checked(unsaved.as_ref().and_then(|u| u.get(i).copied()).unwrap_or_else(|| consent.granted(id)));
        }
        if !self.dialog.class_list().contains("modal") {
            self.return_focus = self.outside_focus();
        }
        // Back from "Your data": focus returns to the button that opened it.
        let from_data = self.data_open();
        hush(&self.announce);
        self.dialog.close();
        let _ = self.dialog.class_list().add_1("modal");
        self.set_heading(self.texts.ui.prefs_heading());
        let _ = self.dialog.set_attribute("aria-describedby", "candor-pd");
        set_hidden(&self.first, true);
        set_hidden(&self.data.section, true);
        set_hidden(&self.actions, false);
        set_hidden(&self.gpc_note, !gpc);
        set_hidden(&self.prefs, false);
        set_hidden(&self.customize, true);
        set_hidden(&self.save, false);
        set_hidden(&self.reopen, true);
        let _ = self.dialog.show_modal();
        if from_data {
            let _ = self.your_data.unchecked_ref::<HtmlElement>().focus();
        } else if let Some((_, first)) = self.toggles.first() {
            let _ = first.focus();
        }
    }

    /// The "Your data" layer, modal, drawn from `view`.
    pub fn show_data(&mut self, view: &crate::transparency::View, history_days: u32) -> Result<(), JsValue> {
        self.data.render(&super::dom::document(), view, history_days)?;
        let from_preferences = self.dialog.open() && self.dialog.class_list().contains("modal") && !self.prefs.has_attribute("hidden");
        self.unsaved = from_preferences.then(|| self.toggles.iter().map(|(_, t)| t.checked()).collect());
        if !self.dialog.class_list().contains("modal") {
            self.return_focus = self.outside_focus();
        }
        self.dialog.close();
        let _ = self.dialog.class_list().add_1("modal");
        self.set_heading(self.texts.ui.your_data());
        let _ = self.dialog.set_attribute("aria-describedby", "candor-dd");
        set_hidden(&self.first, true);
        set_hidden(&self.prefs, true);
        set_hidden(&self.actions, true);
        set_hidden(&self.reopen, true);
        set_hidden(&self.data.section, false);
        self.dialog.show_modal()?;
        self.data.focus();
        // Focusing the section scrolls it into view; the heading above it must stay visible.
        self.dialog.set_scroll_top(0);
        Ok(())
    }

    /// Whether the "Your data" view is showing.
    pub fn data_open(&self) -> bool {
        self.dialog.open() && !self.data.section.has_attribute("hidden")
    }

    /// Redraws the "Your data" view in place (focus stays where it is).
    pub fn render_data(&self, view: &crate::transparency::View, history_days: u32) -> Result<(), JsValue> {
        self.data.render(&super::dom::document(), view, history_days)
    }

    /// Downloads an export (see [`DataView::download`]).
    pub fn download(&mut self, name: &str, text: &str) -> Result<(), JsValue> {
        self.data.download(&super::dom::document(), name, text)
    }

    /// Hides everything but the reopen control (when `reopen` is true).
    pub fn hide(&mut self, reopen: bool) {
        self.unsaved = None;
        let was_modal = self.dialog.class_list().contains("modal");
        // Focus on a banner button that is about to disappear would fall to
        // <body>; the "Your choices" control is where a keyboard user can
        // change the decision just made.
        let focus_inside = super::dom::document().active_element().is_some_and(|a| a == self.host);
        self.leave_modal();
        self.dialog.close();
        // The room added below the page for the banner goes with it
        // ("Your choices" asks for its own when it covers something).
        self.room.borrow_mut().reset();
        set_hidden(&self.reopen, !reopen);
        if !was_modal && focus_inside && reopen {
            let _ = self.reopen.unchecked_ref::<HtmlElement>().focus();
        }
        if was_modal {
            match self.return_focus.take() {
                Some(e) => {
                    let _ = e.focus();
                }
                None if reopen => {
                    let _ = self.reopen.unchecked_ref::<HtmlElement>().focus();
                }
                None => {}
            }
        }
    }

    /// From the preferences layer back to the banner (or closed, once decided).
    pub fn back(&mut self, decided: bool, gpc: bool, reopen: bool) {
        if decided {
            self.hide(reopen);
        } else {
            // Focus moves here whether or not it was inside the layer.
            let focus = self.return_focus.take();
            self.show_banner(gpc);
            self.return_focus = focus;
            self.refocus();
        }
    }

    fn leave_modal(&mut self) {
        if self.dialog.class_list().contains("modal") {
            self.dialog.close();
            let _ = self.dialog.class_list().remove_1("modal");
        }
    }

    /// The focused element outside our shadow root, to return focus to.
    fn outside_focus(&self) -> Option<HtmlElement> {
        let active = super::dom::document().active_element()?;
        if active == self.host {
            return None;
        }
        active.dyn_into::<HtmlElement>().ok()
    }

    /// The shadow root, for tests and the data view.
    #[allow(dead_code)]
    pub fn shadow(&self) -> &ShadowRoot {
        &self.shadow
    }
}

/// Puts `text` in the live region `region` a moment from now, emptied
/// first: a region that appears (its dialog opening) with its text already
/// in it, or that gets the same text again, is often not read out.
fn say_later(region: &Element, text: &str) {
    let turn = hush(region);
    let (region, text) = (region.clone(), text.to_string());
    wasm_bindgen_futures::spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(150).await;
        // Not when the region was emptied or given other words meanwhile
        // (a decision, then at once an erase that shows the banner again).
        if said(&region) == turn {
            region.set_text_content(Some(&text));
        }
    });
}

/// Empties a live region and cancels what [`say_later`] was about to put
/// in it; returns the region's new turn.
fn hush(region: &Element) -> f64 {
    let turn = said(region) + 1.0;
    let _ = js_sys::Reflect::set(region, &SAID.into(), &turn.into());
    region.set_text_content(None);
    turn
}

/// A live region's turn: a property, so the page's DOM sees nothing.
const SAID: &str = "__candorSaid";

fn said(region: &Element) -> f64 {
    js_sys::Reflect::get(region, &SAID.into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0)
}

/// Keeps Tab and Shift+Tab inside the modal dialog.
fn trap_tab(shadow: &ShadowRoot, dialog: &HtmlDialogElement, k: &KeyboardEvent) {
    let Ok(nodes) = dialog.query_selector_all("button:not([hidden]):not([disabled]), input:not([disabled])") else { return };
    let focusable: Vec<HtmlElement> = (0..nodes.length())
        .filter_map(|i| nodes.item(i))
        .filter_map(|n| n.dyn_into::<HtmlElement>().ok())
        .filter(|e| e.offset_parent().is_some())
        .collect();
    let (Some(first), Some(last)) = (focusable.first(), focusable.last()) else { return };
    let active = shadow.active_element();
    let at = |e: &HtmlElement| active.as_ref().map(|a| a == e.unchecked_ref::<Element>()).unwrap_or(false);
    if k.shift_key() && (at(first) || active.is_none()) {
        k.prevent_default();
        let _ = last.focus();
    } else if !k.shift_key() && (at(last) || active.is_none()) {
        k.prevent_default();
        let _ = first.focus();
    }
}

/// Puts `root` (created with `popover="manual"`) in the browser's top layer
/// for good: the banner and the "Your choices" control inside it are then
/// above every z-index of the page, and placed against the viewport even
/// when the page transforms or filters an ancestor (which makes a
/// `position: fixed` box scroll with `<body>`). The root itself has no
/// size and takes no clicks; a manual popover takes no focus and ignores
/// Esc and outside clicks. (A `<dialog>` made a popover drops its first
/// control from Tab order in Chromium, so the popover is the wrapper.)
/// Where popovers are not supported, the root's z-index applies, as the
/// prompt's did before.
fn top_layer(root: &Element, show: bool) {
    let name = if show { "showPopover" } else { "hidePopover" };
    if let Ok(f) = js_sys::Reflect::get(root, &name.into()).and_then(|f| f.dyn_into::<js_sys::Function>()) {
        let _ = f.call0(root);
    }
}
