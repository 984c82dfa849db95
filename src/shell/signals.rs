//! Consent signals for the rest of the page: the `candor_consent` cookie,
//! Google Consent Mode and the IAB TCF CMP API.
//!
//! The decisions are the core's (`consent_cookie`, `gcm`, `tcf`); this module
//! only carries them out. [`publish`] runs after boot and after every change
//! of the decision: it writes or deletes the cookie and the `candor.gcm`
//! cache the loader reads synchronously on the next page load. The loader's
//! `gcm.js` and `tcf.js` read [`Sdk::signals`] on `candor:ready` and
//! `candor:consent` to push `gtag('consent', 'update', …)` and to answer
//! `__tcfapi` calls.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{dom, storage, Sdk};
use crate::config::Config;
use crate::consent::Consent;
use crate::{consent_cookie, gcm, tcf};

/// localStorage key of the cached Consent Mode state.
pub const GCM_CACHE: &str = "candor.gcm";

fn secure() -> bool {
    web_sys::window().and_then(|w| w.location().protocol().ok()).is_some_and(|p| p == "https:")
}

/// Deletes a host-only `candor_consent` cookie.
const DELETE_COOKIE: &str = "candor_consent=; Path=/; Max-Age=0";

/// Whether the page has a `candor_consent` cookie.
fn has_cookie(html: &web_sys::HtmlDocument) -> bool {
    html.cookie().unwrap_or_default().split(';').any(|c| c.trim_start().starts_with("candor_consent="))
}

/// Writes (or deletes) the cookie and the Consent Mode cache for `consent`.
pub fn publish(config: &Config, consent: &Consent, now: u64) {
    if let Ok(html) = dom::document().dyn_into::<web_sys::HtmlDocument>() {
        match consent_cookie::assignment(config, consent, secure(), now) {
            Some(assignment) => {
                let _ = html.set_cookie(&assignment);
            }
            // Switched off since it was written: do not leave a stale copy behind.
            None if has_cookie(&html) => {
                let _ = html.set_cookie(DELETE_COOKIE);
            }
            None => {}
        }
    }
    match gcm::cache_record(config, consent) {
        Some(record) => {
            storage::set(GCM_CACHE, &record);
        }
        None => storage::remove(GCM_CACHE),
    }
}

/// The config was refused, so nothing is granted: the cookie and the
/// Consent Mode cache of an earlier decision must not say otherwise. (The
/// decision itself stays stored; a fixed config publishes it again.)
pub fn unpublish() {
    if let Ok(html) = dom::document().dyn_into::<web_sys::HtmlDocument>() {
        if has_cookie(&html) {
            let _ = html.set_cookie(DELETE_COOKIE);
            // The refused config's cookie.domain is unknown: a cookie written
            // with a Domain is only deleted with the same one, so try each
            // parent of this host (a public suffix is refused, harmlessly).
            let host = web_sys::window().and_then(|w| w.location().hostname().ok()).unwrap_or_default();
            let mut rest = host.as_str();
            while let Some((_, parent)) = rest.split_once('.') {
                let _ = html.set_cookie(&format!("{DELETE_COOKIE}; Domain={rest}"));
                rest = parent;
            }
        }
    }
    storage::remove(GCM_CACHE);
}

/// The `signals()` view: Consent Mode state and TCF data for the loader,
/// written as JSON by hand (serde_json's `Value` building costs wasm bytes).
fn view(config: &Config, consent: &Consent, shown: &str) -> String {
    use std::fmt::Write;
    let list = |ids: &[u8]| ids.iter().map(u8::to_string).collect::<Vec<_>>().join(",");
    let mut out = format!("{{\"decided\":{},\"gcm\":", consent.decided);
    match (gcm::state(config, consent), gcm::map_key(config)) {
        (Some(state), Some(map)) => {
            let _ = write!(out, "{{\"map\":{},\"state\":{{", crate::json::quote(&map));
            for (i, (kind, on)) in state.iter().enumerate() {
                let sep = if i == 0 { "" } else { "," };
                let _ = write!(out, "{sep}{}:\"{}\"", crate::json::quote(kind), if *on { "granted" } else { "denied" });
            }
            out.push_str("}}");
        }
        _ => out.push_str("null"),
    }
    out.push_str(",\"tcf\":");
    match config.tcf.as_ref() {
        None => out.push_str("null"),
        Some(t) => {
            let fields = tcf::from_consent(config, consent, shown);
            let tc_string = match fields.as_ref().map(tcf::encode) {
                Some(Ok(s)) => s,
                Some(Err(e)) => {
                    dom::warn(&e.to_string());
                    String::new()
                }
                None => String::new(),
            };
            let f = fields.unwrap_or_default();
            let vendors = |v: &[u16]| v.iter().map(u16::to_string).collect::<Vec<_>>().join(",");
            let publisher = match f.publisher {
                Some(p) => format!("[{}]", list(&p.consents)),
                None => "null".into(),
            };
            // tc_string is base64url and publisher_cc two validated letters: no escaping needed.
            let _ = write!(
                out,
                "{{\"tc_string\":\"{tc_string}\",\"gdpr_applies\":{},\"cmp_id\":{},\"cmp_version\":{},\"policy_version\":{},\
                 \"vendor_list_version\":{},\"publisher_cc\":\"{}\",\"vendors\":[{}],\"purpose_consents\":[{}],\
                 \"vendor_consents\":[{}],\"publisher_consents\":{publisher}}}",
                t.gdpr_applies,
                t.cmp_id,
                t.cmp_version,
                t.policy_version,
                t.vendor_list_version,
                t.publisher_cc.to_ascii_uppercase(),
                vendors(&t.vendors),
                list(&f.purpose_consents),
                vendors(&f.vendor_consents),
            );
        }
    }
    out.push('}');
    out
}

#[wasm_bindgen]
impl Sdk {
    /// `{decided, gcm: {map, state} | null, tcf: {...} | null}` for the loader.
    pub fn signals(&self) -> JsValue {
        let st = self.app.state.borrow();
        dom::json(&view(&self.app.config, &st.consent, &self.app.texts.lang))
    }
}
