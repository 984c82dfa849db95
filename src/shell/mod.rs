//! The browser shell: boots the core from the page and translates between
//! the two.
//!
//! The JS loader (`src/js/loader.js`) finds the config text and calls
//! [`boot`]. From then on `window.candor` forwards to [`Sdk`]. Prompt clicks
//! arrive as [`prompt::Intent`]s and are handled in a microtask, so no DOM
//! listener is ever running while state is borrowed.

mod dom;
mod prompt;
mod storage;

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;

use crate::config::{Config, Reopen, Text};
use crate::consent::{Consent, Method, Rejection};
use crate::readability;
use crate::texts::{self, Resolved};
use prompt::{Intent, Prompt};

/// Boot failure reported by the loader (config fetch, wasm load).
#[wasm_bindgen(js_name = bootError)]
pub fn boot_error(code: &str, message: &str) {
    dom::report_error(code, message);
}

/// Parses the config and starts the SDK. On an invalid config it logs one
/// `console.error`, dispatches `candor:error`, and returns an error: no
/// prompt is shown and nothing is granted or sent.
#[wasm_bindgen]
pub fn boot(config_text: &str) -> Result<Sdk, JsValue> {
    let config = match Config::from_json(config_text) {
        Ok(c) => c,
        Err(e) => {
            let message = format!("invalid config: {e}");
            dom::report_error("config", &message);
            return Err(JsError::new(&message).into());
        }
    };
    App::start(config).map(|app| Sdk { app })
}

/// The object behind `window.candor`.
#[wasm_bindgen]
pub struct Sdk {
    app: Rc<App>,
}

struct App {
    config: Config,
    texts: Resolved,
    gpc: bool,
    state: RefCell<State>,
}

struct State {
    consent: Consent,
    prompt: Option<Prompt>,
}

impl App {
    fn start(config: Config) -> Result<Rc<App>, JsValue> {
        let window = web_sys::window().ok_or("no window")?;
        let navigator = window.navigator();
        let languages: Vec<String> = navigator.languages().iter().filter_map(|l| l.as_string()).collect();
        let texts = texts::resolve(&config, &languages);
        let gpc = js_sys::Reflect::get(&navigator, &"globalPrivacyControl".into()).map(|v| v.is_truthy()).unwrap_or(false);
        warn_unplain_texts(&config);

        let stored = storage::get(storage::CONSENT);
        let (consent, rejection) = Consent::load(&config, stored.as_deref(), dom::now_seconds());
        if matches!(rejection, Some(Rejection::Corrupt | Rejection::Expired | Rejection::OtherRevision)) {
            storage::remove(storage::CONSENT);
        }
        let app = Rc::new(App { config, texts, gpc, state: RefCell::new(State { consent, prompt: None }) });
        let weak = Rc::downgrade(&app);
        let on: Rc<dyn Fn(Intent)> = Rc::new(move |intent| App::later(&weak, intent));
        let mut prompt = Prompt::new(&dom::document(), &app.config, &app.texts, on)?;
        {
            let st = app.state.borrow();
            if st.consent.decided {
                prompt.hide(app.reopen());
            } else {
                prompt.show_banner(app.gpc_applies());
            }
        }
        app.state.borrow_mut().prompt = Some(prompt);
        Ok(app)
    }

    /// Handles an intent in a microtask, after the DOM listener returned.
    fn later(weak: &Weak<App>, intent: Intent) {
        if let Some(app) = weak.upgrade() {
            wasm_bindgen_futures::spawn_local(async move { app.handle(intent) });
        }
    }

    fn handle(&self, intent: Intent) {
        let all: Vec<&str> = self.config.optional_purposes().map(|p| p.id.as_str()).collect();
        match intent {
            Intent::AcceptAll => self.decide(&all, &[], Method::Button).expect("config purposes are known"),
            Intent::RejectAll => self.decide(&[], &all, Method::Button).expect("config purposes are known"),
            Intent::Save(choices) => {
                let grant: Vec<&str> = choices.iter().filter(|(_, on)| *on).map(|(id, _)| id.as_str()).collect();
                let deny: Vec<&str> = choices.iter().filter(|(_, on)| !*on).map(|(id, _)| id.as_str()).collect();
                self.decide(&grant, &deny, Method::Button).expect("toggles name config purposes");
            }
            Intent::Customize => self.open_preferences(),
            Intent::Back => {
                let decided = self.state.borrow().consent.decided;
                let (gpc, reopen) = (self.gpc_applies(), self.reopen());
                if let Some(p) = self.state.borrow_mut().prompt.as_mut() {
                    p.back(decided, gpc, reopen);
                }
            }
            Intent::Close => {
                let reopen = self.reopen();
                if let Some(p) = self.state.borrow_mut().prompt.as_mut() {
                    p.hide(reopen);
                }
            }
        }
    }

    fn reopen(&self) -> bool {
        self.config.reopen == Reopen::Button
    }

    /// GPC is mentioned while the visitor has not decided.
    fn gpc_applies(&self) -> bool {
        self.gpc && self.config.optional_purposes().any(|p| p.gpc)
    }

    fn open_preferences(&self) {
        let mut st = self.state.borrow_mut();
        let State { consent, prompt } = &mut *st;
        if let Some(p) = prompt.as_mut() {
            p.show_preferences(consent, self.gpc && !consent.decided);
        }
    }

    /// Applies a decision, persists it, closes the prompt and tells the page.
    fn decide(&self, grant: &[&str], deny: &[&str], method: Method) -> Result<(), crate::consent::UnknownPurpose> {
        {
            let mut st = self.state.borrow_mut();
            st.consent.decide(&self.config, grant, deny, method, dom::now_seconds())?;
            if let Some(rec) = st.consent.to_record(&self.config) {
                let text = serde_json::to_string(&rec).expect("records serialise");
                if !storage::set(storage::CONSENT, &text) {
                    dom::warn("could not store the decision; it holds for this page only");
                }
            }
            let reopen = self.reopen();
            if let Some(p) = st.prompt.as_mut() {
                p.hide(reopen);
            }
        }
        dom::dispatch("consent", &self.consent_js());
        Ok(())
    }

    fn consent_js(&self) -> JsValue {
        dom::json(&serde_json::to_string(&self.state.borrow().consent).expect("consent serialises"))
    }
}

/// Warns (never fails) about config texts that are not plain English.
fn warn_unplain_texts(config: &Config) {
    let english = |t: &Text| -> Option<String> {
        match t {
            Text::Plain(s) if config.default_language.starts_with("en") => Some(s.clone()),
            Text::Localized(m) => m.get("en").cloned(),
            _ => None,
        }
    };
    for (i, p) in config.purposes.iter().enumerate() {
        for (name, text) in [("explain", &p.explain), ("benefit", &p.benefit)] {
            let Some(s) = english(text) else { continue };
            let score = readability::score(&s);
            if !score.is_plain() {
                dom::warn(&format!(
                    "purposes[{i}].{name} is hard to read (Flesch {:.0}, longest sentence {} words; aim for ≥ {} and ≤ {})",
                    score.ease, score.longest_sentence, readability::MIN_EASE, readability::MAX_WORDS
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
    /// `{revision, decided, purposes, updated_at}`.
    pub fn consent(&self) -> JsValue {
        self.app.consent_js()
    }

    /// Grants the listed purposes (others keep their state).
    pub fn grant(&self, ids: JsValue) -> Result<JsValue, JsError> {
        let ids = purpose_ids("grant", &ids)?;
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        self.app.decide(&ids, &[], Method::Api).map_err(|e| JsError::new(&format!("candor.grant: {e}")))?;
        Ok(self.consent())
    }

    /// Denies the listed purposes (others keep their state).
    pub fn deny(&self, ids: JsValue) -> Result<JsValue, JsError> {
        let ids = purpose_ids("deny", &ids)?;
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        self.app.decide(&[], &ids, Method::Api).map_err(|e| JsError::new(&format!("candor.deny: {e}")))?;
        Ok(self.consent())
    }

    /// Grants every optional purpose.
    #[wasm_bindgen(js_name = acceptAll)]
    pub fn accept_all(&self) -> JsValue {
        let all: Vec<&str> = self.app.config.optional_purposes().map(|p| p.id.as_str()).collect();
        self.app.decide(&all, &[], Method::Api).expect("config purposes are known");
        self.consent()
    }

    /// Denies every optional purpose.
    #[wasm_bindgen(js_name = rejectAll)]
    pub fn reject_all(&self) -> JsValue {
        let all: Vec<&str> = self.app.config.optional_purposes().map(|p| p.id.as_str()).collect();
        self.app.decide(&[], &all, Method::Api).expect("config purposes are known");
        self.consent()
    }

    /// Denies every optional purpose and discards their pending data.
    pub fn withdraw(&self) -> JsValue {
        self.reject_all()
    }

    /// Opens the preferences view.
    pub fn open(&self, _view: Option<String>) {
        self.app.open_preferences();
    }

    /// Deletes everything Candor stored and asks again.
    pub fn erase(&self) -> JsValue {
        storage::clear();
        {
            let mut st = self.app.state.borrow_mut();
            st.consent = Consent::undecided(&self.app.config);
            let gpc = self.app.gpc_applies();
            if let Some(p) = st.prompt.as_mut() {
                p.show_banner(gpc);
            }
        }
        let c = self.consent();
        dom::dispatch("consent", &c);
        c
    }

    /// Records an event. `flat` is `[field, value, ...]` built by the
    /// loader. Returns 0 when accepted, else 1 + the index of the reason in
    /// the loader's `REASONS`.
    pub fn track(&self, name: &str, flat: js_sys::Array) -> u8 {
        let _ = (name, flat);
        5
    }

    /// Logs a refusal decided in the loader (when `debug` is on) and returns its code.
    pub fn refuse(&self, name: &str, code: u8) -> u8 {
        if self.app.config.debug {
            web_sys::console::info_1(&format!("candor: track({name:?}) refused: code {code}").into());
        }
        code
    }

    /// Sends every report whose window has closed, and the current one.
    pub fn flush(&self) -> js_sys::Promise {
        let result = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&result, &"sent".into(), &0.into());
        js_sys::Promise::resolve(&JsValue::from(result))
    }

    /// What is stored in this browser and what waits to be sent.
    pub fn inspect(&self) -> JsValue {
        let storage: Vec<serde_json::Value> = storage::entries()
            .into_iter()
            .map(|(key, bytes)| serde_json::json!({"key": key, "bytes": bytes}))
            .collect();
        let consent = serde_json::to_value(&self.app.state.borrow().consent).expect("consent serialises");
        dom::json(&serde_json::json!({"consent": consent, "storage": storage, "pending": [], "open": []}).to_string())
    }
}
