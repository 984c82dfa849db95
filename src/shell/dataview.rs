//! The "Your data" view: a section of the prompt's dialog that shows, in
//! the sentences `transparency` builds, what waits to be sent, what was
//! sent, and what is stored, with an export and an erase button.
//!
//! Like the rest of the prompt it only draws and turns clicks into
//! [`Intent`]s; it is redrawn from a fresh [`View`] each time it opens.
//! Text reaches the DOM only through `set_text_content`. Export is a Blob
//! behind an object URL clicked through `<a download>`, which a strict CSP
//! allows; the URL is revoked when the next export replaces it or the view
//! is dropped.

use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, HtmlElement};

use super::dom::{append, el};
use super::prompt::Intent;
use crate::texts::Resolved;
use crate::transparency::View;

/// The rendered data section and its listeners.
pub struct DataView {
    /// The section (hidden unless the data view is open).
    pub section: Element,
    body: Element,
    focus: Element,
    /// The erase button, and the question it opens ("Erase …? [Yes, erase]").
    erase: Element,
    confirm: Element,
    object_url: Option<String>,
    /// The view's words (`ui`) in the prompt's language, and the borrowed
    /// ones among them (`foreign`), marked with their language on each render.
    texts: Rc<Resolved>,
    /// The language of the sentences when they are borrowed (a prompt in a
    /// language without built-in strings, whose site wrote no `data_open`
    /// of its own): each line is marked with it, as the words of a
    /// template filled in are not matched by [`crate::texts::Foreign::has`].
    sentences: Option<(String, bool)>,
    _listeners: Vec<EventListener>,
}

impl DataView {
    /// Builds the (hidden) section.
    pub fn new(doc: &Document, texts: &Rc<Resolved>, on: &Rc<dyn Fn(Intent)>) -> Result<DataView, JsValue> {
        let ui = &texts.ui;
        let section = el(
            doc,
            "section",
            &[("class", "data"), ("data-testid", "candor-data-view"), ("aria-label", ui.your_data()), ("hidden", ""), ("tabindex", "-1")],
            "",
        )?;
        let intro = el(doc, "p", &[("id", "candor-dd")], ui.data_intro())?;
        let body = el(doc, "div", &[("class", "data-body")], "")?;
        let actions = el(doc, "div", &[("class", "data-actions")], "")?;
        let export = el(doc, "button", &[("type", "button"), ("class", "secondary"), ("data-testid", "candor-export")], ui.data_export())?;
        let erase = el(
            doc,
            "button",
            &[("type", "button"), ("class", "secondary"), ("data-testid", "candor-erase"), ("aria-expanded", "false"), ("aria-controls", "candor-dc")],
            ui.data_erase(),
        )?;
        let back = el(doc, "button", &[("type", "button"), ("class", "secondary"), ("data-testid", "candor-data-back")], ui.back())?;
        append(&actions, &[&export, &erase, &back])?;
        // Erasing cannot be undone (the receipts at the collector go too):
        // the button asks first, and only "Yes, erase" erases.
        // A group named by its question, which also describes its button.
        // Focus lands on the question, not on the button: a second Enter
        // (a double press on "Erase my data") must not answer it.
        let confirm = el(doc, "div", &[("class", "data-confirm"), ("id", "candor-dc"), ("role", "group"), ("aria-labelledby", "candor-dq"), ("hidden", "")], "")?;
        let question = el(doc, "p", &[("id", "candor-dq"), ("tabindex", "-1")], ui.data_erase_confirm())?;
        let yes = el(
            doc,
            "button",
            &[("type", "button"), ("class", "choice"), ("data-testid", "candor-erase-confirm"), ("aria-describedby", "candor-dq")],
            ui.data_erase_yes(),
        )?;
        append(&confirm, &[&question, &yes])?;
        append(&section, &[&intro, &body, &actions, &confirm])?;
        let click = |target: &Element, intent: Intent| {
            let on = on.clone();
            EventListener::new(target, "click", move |_| on(intent.clone()))
        };
        let ask = {
            let (erase, confirm, question) = (erase.clone(), confirm.clone(), question.clone());
            EventListener::new(&erase.clone(), "click", move |_| {
                let open = confirm.has_attribute("hidden");
                super::dom::set_hidden(&confirm, !open);
                let _ = erase.set_attribute("aria-expanded", if open { "true" } else { "false" });
                if open {
                    let _ = question.unchecked_ref::<HtmlElement>().focus();
                }
            })
        };
        let listeners = vec![click(&export, Intent::Export), ask, click(&yes, Intent::Erase), click(&back, Intent::Customize)];
        let sentences = texts.foreign.as_ref().filter(|f| f.texts.iter().any(|t| t == ui.data_open())).map(|f| (f.lang.clone(), f.rtl));
        Ok(DataView {
            focus: section.clone(),
            erase,
            confirm,
            section,
            body,
            object_url: None,
            texts: texts.clone(),
            sentences,
            _listeners: listeners,
        })
    }

    /// Redraws the content from `view`.
    pub fn render(&self, doc: &Document, view: &View, history_days: u32) -> Result<(), JsValue> {
        self.body.set_text_content(None);
        // A question left open on an earlier visit to the view is closed
        // (one redrawn in place, for another tab's change, stays).
        if self.section.has_attribute("hidden") {
            super::dom::set_hidden(&self.confirm, true);
            let _ = self.erase.set_attribute("aria-expanded", "false");
        }
        for p in &view.purposes {
            let part = el(doc, "div", &[("class", "data-purpose"), ("data-testid", &format!("candor-data-purpose-{}", p.id))], "")?;
            let ui = &self.texts.ui;
            let title = el(doc, "h3", &[], &format!("{} ({})", p.label, if p.granted { ui.data_on() } else { ui.data_off() }))?;
            part.append_child(&title)?;
            let nothing_sent = match history_days {
                1 => ui.data_nothing_sent_one().to_string(),
                days => ui.data_nothing_sent().replace("{days}", &days.to_string()),
            };
            let lang = self.sentences.as_ref();
            let (waiting, nothing) = if view.local { (ui.data_kept(), ui.data_nothing_kept()) } else { (ui.data_waiting(), ui.data_nothing_waiting()) };
            list(doc, &part, waiting, &format!("candor-data-waiting-{}", p.id), &p.waiting, nothing, lang)?;
            list(doc, &part, ui.data_sent(), &format!("candor-data-sent-{}", p.id), &p.sent, &nothing_sent, lang)?;
            self.body.append_child(&part)?;
        }
        // What the site's server keeps of the visitor's decisions.
        if !view.receipts.is_empty() {
            let part = el(doc, "div", &[("class", "data-purpose")], "")?;
            let h = el(doc, "h3", &[], self.texts.ui.data_receipts())?;
            part.append_child(&h)?;
            let ul = el(doc, "ul", &[("data-testid", "candor-data-receipts")], "")?;
            for line in &view.receipts {
                let li = sentence(doc, &[], line, self.sentences.as_ref())?;
                ul.append_child(&li)?;
            }
            part.append_child(&ul)?;
            self.body.append_child(&part)?;
        }
        let part = el(doc, "div", &[("class", "data-purpose")], "")?;
        let h = el(doc, "h3", &[], self.texts.ui.data_stored())?;
        part.append_child(&h)?;
        let ul = el(doc, "ul", &[("data-testid", "candor-data-storage")], "")?;
        for (key, line) in &view.storage {
            let li = sentence(doc, &[("data-key", key)], line, self.sentences.as_ref())?;
            ul.append_child(&li)?;
        }
        if view.storage.is_empty() {
            let li = el(doc, "li", &[("class", "muted")], self.texts.ui.data_nothing_stored())?;
            ul.append_child(&li)?;
        }
        part.append_child(&ul)?;
        self.body.append_child(&part)?;
        super::dom::mark_languages(&self.body, &self.texts);
        Ok(())
    }

    /// Moves focus to the section's start (screen readers read from the top).
    pub fn focus(&self) {
        if let Some(e) = self.focus.dyn_ref::<HtmlElement>() {
            let _ = e.focus();
        }
    }

    /// Downloads `text` as `name` (JSON), replacing the previous export's URL.
    pub fn download(&mut self, doc: &Document, name: &str, text: &str) -> Result<(), JsValue> {
        let parts = js_sys::Array::of1(&JsValue::from_str(text));
        let opts = web_sys::BlobPropertyBag::new();
        opts.set_type("application/json");
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)?;
        let url = web_sys::Url::create_object_url_with_blob(&blob)?;
        if let Some(old) = self.object_url.replace(url.clone()) {
            let _ = web_sys::Url::revoke_object_url(&old);
        }
        let a: HtmlElement = el(doc, "a", &[("href", &url), ("download", name)], "")?.unchecked_into();
        a.click();
        Ok(())
    }
}

impl Drop for DataView {
    fn drop(&mut self) {
        if let Some(url) = self.object_url.take() {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
    }
}

/// `<h4>heading</h4><ul data-testid=…><li>…</li></ul>`, or one muted line when empty.
/// `lang`: the lines' own language (and direction), when not the prompt's.
fn list(
    doc: &Document,
    parent: &Element,
    heading: &str,
    testid: &str,
    lines: &[String],
    empty: &str,
    lang: Option<&(String, bool)>,
) -> Result<(), JsValue> {
    let h = el(doc, "h4", &[], heading)?;
    parent.append_child(&h)?;
    let ul = el(doc, "ul", &[("data-testid", testid)], "")?;
    for line in lines {
        let li = sentence(doc, &[], line, lang)?;
        ul.append_child(&li)?;
    }
    if lines.is_empty() {
        let li = el(doc, "li", &[("class", "muted"), ("data-empty", "")], empty)?;
        ul.append_child(&li)?;
    }
    parent.append_child(&ul)?;
    Ok(())
}

/// One sentence of the view as an `<li>`, marked with the sentences'
/// language when they are borrowed (see [`DataView::sentences`]).
fn sentence(doc: &Document, attrs: &[(&str, &str)], text: &str, lang: Option<&(String, bool)>) -> Result<Element, JsValue> {
    let li = el(doc, "li", attrs, text)?;
    if let Some((lang, rtl)) = lang {
        super::dom::set_lang(&li, lang, *rtl);
    }
    Ok(li)
}
