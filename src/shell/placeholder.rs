//! Placeholders for gated iframes that opt in with `data-candor-placeholder`:
//! one plain sentence and a button that grants just the iframe's purposes.
//!
//! The iframe is hidden while its placeholder shows; both go back the moment
//! its purposes are granted, however that happens. Each placeholder is a
//! `<candor-placeholder>` with its own shadow root and adopted stylesheet, so
//! it works under a strict CSP and the page's CSS cannot break it.

use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element};

use super::activate::allowed;
use super::dom::{append, el};
use crate::config::Config;
use crate::consent::Consent;
use crate::texts::Resolved;

const CSS: &str = ":host{display:block}.ph{box-sizing:border-box;display:flex;flex-direction:column;justify-content:center;\
gap:8px;padding:16px;min-height:120px;border:1px dashed #767676;border-radius:8px;background:#f4f4f4;color:#1a1a1a;\
font:15px/1.4 system-ui,sans-serif}button{align-self:flex-start;font:inherit;min-height:44px;padding:8px 16px;\
border-radius:8px;border:2px solid #1d4ed8;background:#1d4ed8;color:#fff;cursor:pointer}\
button:focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}\
@media (prefers-color-scheme:dark){.ph{background:#26272b;color:#f3f3f3;border-color:#8a8a8a}\
button:focus-visible{outline-color:#f3f3f3}}";

/// The placeholders on the page.
#[derive(Default)]
pub struct Placeholders {
    items: Vec<(Element, Element, [EventListener; 2])>,
}

impl Placeholders {
    /// Removes placeholders whose iframe may now load (or is gone) and adds
    /// them for waiting iframes that ask for one.
    pub fn sync(&mut self, doc: &Document, config: &Config, texts: &Resolved, consent: &Consent, on_allow: &Rc<dyn Fn(Vec<String>, bool)>) {
        // Each frame's purposes are read again: the page may have changed
        // them to granted ones (sync runs only for changes that touch gated
        // elements, see `watchPage` in src/js/loader.js).
        self.items.retain(|(frame, host, _)| {
            let keep = frame.is_connected() && !allowed(frame, consent);
            if !keep {
                // Its "Allow" button had focus: focus goes to the frame that
                // takes its place, not to <body>.
                let focused = doc.active_element().is_some_and(|a| a == *host);
                host.remove();
                let _ = frame.remove_attribute("hidden");
                mark(frame, false);
                if focused {
                    let _ = frame.unchecked_ref::<web_sys::HtmlElement>().focus();
                }
            }
            keep
        });
        let Ok(nodes) = doc.query_selector_all("iframe[data-candor-purpose][data-candor-placeholder]:not([data-candor-activated])") else {
            return;
        };
        for frame in (0..nodes.length()).filter_map(|i| nodes.item(i).and_then(|n| n.dyn_into::<Element>().ok())) {
            // Whether it has one already is a property on the frame: a
            // search of the list (one call into JS per item) made every DOM
            // change of a page with many placeholders cost their square.
            if marked(&frame) || allowed(&frame, consent) {
                continue;
            }
            if let Ok(item) = build(doc, &frame, config, texts, on_allow) {
                mark(&frame, true);
                self.items.push(item);
            }
        }
    }
}

/// A property (not an attribute: the page's DOM and observers see nothing)
/// on a frame whose placeholder is shown.
const MARK: &str = "__candorPlaceholder";

fn mark(frame: &Element, on: bool) {
    let _ = if on { js_sys::Reflect::set(frame, &MARK.into(), &JsValue::TRUE) } else { js_sys::Reflect::delete_property(frame, &MARK.into()) };
}

fn marked(frame: &Element) -> bool {
    js_sys::Reflect::get(frame, &MARK.into()).is_ok_and(|v| v.is_truthy())
}

fn build(doc: &Document, frame: &Element, config: &Config, texts: &Resolved, on_allow: &Rc<dyn Fn(Vec<String>, bool)>) -> Result<(Element, Element, [EventListener; 2]), JsValue> {
    let ids: Vec<String> = frame.get_attribute("data-candor-purpose").unwrap_or_default().split_ascii_whitespace().map(String::from).collect();
    let labels: Vec<&str> = ids.iter().filter_map(|id| config.purpose(id)).map(|p| p.label.resolve(&texts.chain)).collect();
    if labels.len() != ids.len() {
        return Err("unknown purpose".into()); // never offer to grant what the config does not declare
    }
    let label = labels.join(" + ");
    let own = frame.get_attribute("data-candor-placeholder").filter(|t| !t.trim().is_empty());
    let sentence = own.unwrap_or_else(|| texts.ui.placeholder().replace("{purpose}", &label));
    let host = doc.create_element("candor-placeholder")?;
    let shadow = host.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))?;
    let sheet = web_sys::CssStyleSheet::new()?;
    sheet.replace_sync(CSS)?;
    js_sys::Reflect::set(&shadow, &"adoptedStyleSheets".into(), &js_sys::Array::of1(&sheet))?;
    let dir = if texts.rtl { "rtl" } else { "ltr" };
    let box_ = el(doc, "div", &[("class", "ph"), ("lang", &texts.lang), ("dir", dir)], "")?;
    let p = el(doc, "p", &[], &sentence)?;
    // `+`, which no purpose id holds: "a b" and "a-b" stay apart.
    let testid = format!("candor-placeholder-allow-{}", ids.join("+"));
    let button = el(doc, "button", &[("type", "button"), ("data-testid", &testid)], &texts.ui.allow().replace("{purpose}", &label))?;
    append(&box_, &[&p, &button])?;
    super::dom::mark_languages(&box_, texts);
    shadow.append_child(&box_)?;
    frame.before_with_node_1(&host)?;
    frame.set_attribute("hidden", "")?;
    let on_allow = on_allow.clone();
    let listener = EventListener::new(&button, "click", move |e| on_allow(ids.clone(), super::dom::by_visitor(e)));
    // Enter works under a page that blocks it (dom::enter_clicks).
    Ok((frame.clone(), host, [listener, super::dom::enter_clicks(&button)]))
}
