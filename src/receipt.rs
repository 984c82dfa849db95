//! Consent receipts: proof of what a visitor was shown and what they chose.
//!
//! A site must be able to show that consent was given (GDPR Art. 7(1)), so
//! every decision produces a receipt modelled on ISO/IEC TS 27560. It names
//! the site, the config revision, the language, the SHA-256 of the exact
//! texts shown, the choice per purpose, how the choice was made, when, and
//! the SDK version. It holds no other identifier: `receipt_id` is a fresh
//! random UUID that only the visitor (and whoever they give it to) holds.
//!
//! The hash is taken over the *text bundle*, every string the prompt could
//! show in the chosen language, written as canonical JSON with the same
//! rules as the collector's `canonical.rs` (no whitespace, keys sorted by
//! UTF-16 code units, integral numbers without a fraction). The collector
//! recomputes the hash when the bundle is sent along, and keeps the bundle
//! per revision, so an auditor can later read exactly what was shown.
//!
//! SHA-256 is computed here with the small `sha2` crate rather than with
//! `crypto.subtle.digest`: that keeps receipt building synchronous (the
//! receipt is stored in the same turn as the decision) and natively tested,
//! and `crypto.subtle` is missing on plain-HTTP pages.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::consent::{Consent, Method};
use crate::texts::Resolved;

/// One receipt, exactly as `POST /v1/receipts` takes it (without `texts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Random UUIDv4, the collector's idempotency key.
    pub receipt_id: String,
    /// The config's `site`.
    pub site: String,
    /// The config revision the visitor answered.
    pub revision: String,
    /// Language of the texts shown.
    pub language: String,
    /// SHA-256 (lowercase hex) of the canonical text bundle.
    pub texts_sha256: String,
    /// Every purpose and whether it is granted (required ones are `true`).
    pub choices: BTreeMap<String, bool>,
    /// How the decision was made.
    pub method: Method,
    /// Unix seconds of the decision.
    pub timestamp: u64,
    /// `candor/<version>`.
    pub sdk: String,
}

/// The text bundle shown in the prompt, as canonical JSON (the hash input).
pub fn text_bundle(config: &Config, texts: &Resolved) -> String {
    let chain = &texts.chain;
    let purposes: Vec<Value> = config
        .purposes
        .iter()
        .map(|p| {
            let mut v = json!({
                "id": p.id,
                "required": p.required,
                "label": p.label.resolve(chain),
                "explain": p.explain.resolve(chain),
                "benefit": p.benefit.resolve(chain),
            });
            if let Some(days) = p.retention_days {
                v["retention_days"] = json!(days);
            }
            v
        })
        .collect();
    let bundle = json!({
        "language": texts.lang,
        "ui": serde_json::to_value(&texts.ui).expect("UI texts serialise"),
        "purposes": purposes,
    });
    canonical(&bundle)
}

/// Lowercase hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from_digit(u32::from(b >> 4), 16).expect("a nibble is a hex digit"));
        out.push(char::from_digit(u32::from(b & 15), 16).expect("a nibble is a hex digit"));
    }
    out
}

/// The receipt for the decision `consent` holds. `None` while undecided.
pub fn build(config: &Config, texts: &Resolved, consent: &Consent, receipt_id: String, texts_sha256: &str) -> Option<Receipt> {
    if !consent.decided {
        return None;
    }
    Some(Receipt {
        receipt_id,
        site: config.site.clone(),
        revision: consent.revision.clone(),
        language: texts.lang.clone(),
        texts_sha256: texts_sha256.to_string(),
        choices: config.purposes.iter().map(|p| (p.id.clone(), consent.granted(&p.id))).collect(),
        method: consent.method.unwrap_or(Method::Api),
        timestamp: consent.updated_at.unwrap_or(0),
        sdk: crate::SDK.to_string(),
    })
}

/// The body to POST: the receipt plus, when given, its text bundle.
pub fn body(receipt: &Receipt, bundle: Option<&str>) -> String {
    let mut v = serde_json::to_value(receipt).expect("receipts serialise");
    if let Some(b) = bundle {
        v["texts"] = serde_json::from_str(b).expect("the bundle is JSON");
    }
    v.to_string()
}

/// Where receipts go, from the config's `collector` (where reports go):
/// `…/v1/reports` becomes `…/v1/receipts`; any other path keeps the
/// collector's origin and uses `/v1/receipts` on it.
pub fn receipts_url(collector: &str) -> String {
    if let Some(base) = collector.strip_suffix("/v1/reports") {
        return format!("{base}/v1/receipts");
    }
    if let Some(rest) = collector.split_once("://") {
        let host = rest.1.split('/').next().unwrap_or("");
        return format!("{}://{host}/v1/receipts", rest.0);
    }
    "/v1/receipts".to_string()
}

/// `v` as canonical JSON text (the rules are written down in the collector's
/// `canonical.rs`, which uses this very function).
pub fn canonical(v: &Value) -> String {
    let mut out = String::new();
    write(v, &mut out);
    out
}

fn write(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<_> = m.iter().collect();
            entries.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write(v, out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(v, out);
            }
            out.push(']');
        }
        Value::Number(n) => match n.as_f64() {
            Some(x) if !n.is_i64() && !n.is_u64() && x.fract() == 0.0 && x.abs() < 1e21 => {
                out.push_str(&format!("{:.0}", if x == 0.0 { 0.0 } else { x }));
            }
            _ => out.push_str(&n.to_string()),
        },
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texts;

    fn config() -> Config {
        Config::from_json(
            r#"{"site":"s.example","revision":"r1","purposes":[
              {"id":"necessary","required":true,"label":"Needed","explain":"We store your choice.","benefit":"It works."},
              {"id":"stats","label":{"en":"Stats","de":"Statistik"},"explain":"We count.","benefit":"Faster.","retention_days":30}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn sha256_matches_the_standard_vectors() {
        assert_eq!(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn canonical_sorts_keys_and_drops_whitespace() {
        let v: Value = serde_json::from_str(r#"{ "b": [1.0, 2.5], "a": {"z": "é\n", "y": null} }"#).unwrap();
        assert_eq!(canonical(&v), r#"{"a":{"y":null,"z":"é\n"},"b":[1,2.5]}"#);
        assert_eq!(canonical(&json!({"\u{fb01}": 1, "\u{1f600}": 2})), "{\"\u{1f600}\":2,\"\u{fb01}\":1}");
    }

    #[test]
    fn the_bundle_holds_exactly_the_texts_shown_in_the_chosen_language() {
        let c = config();
        let de = texts::resolve(&c, &["de".into()]);
        let bundle: Value = serde_json::from_str(&text_bundle(&c, &de)).unwrap();
        assert_eq!(bundle["language"], "de");
        assert_eq!(bundle["ui"]["accept_all"], "Alle akzeptieren");
        assert_eq!(bundle["purposes"][1]["label"], "Statistik");
        assert_eq!(bundle["purposes"][1]["retention_days"], 30);
        assert_eq!(bundle["purposes"][0]["required"], true);
        // Another language, another hash; the same texts, the same hash.
        let en = texts::resolve(&c, &["en".into()]);
        assert_ne!(sha256_hex(&text_bundle(&c, &de)), sha256_hex(&text_bundle(&c, &en)));
        assert_eq!(text_bundle(&c, &en), text_bundle(&config(), &texts::resolve(&c, &["en-GB".into()])));
    }

    #[test]
    fn only_decisions_make_receipts_and_they_carry_nothing_else() {
        let c = config();
        let t = texts::resolve(&c, &["en".into()]);
        let mut consent = Consent::undecided(&c);
        assert!(build(&c, &t, &consent, "id".into(), "h").is_none());
        consent.decide(&c, &["stats"], &[], Method::Button, 1_763_800_000).unwrap();
        let r = build(&c, &t, &consent, "0b7c6a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c".into(), &"a".repeat(64)).unwrap();
        let v: Value = serde_json::from_str(&body(&r, None)).unwrap();
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["choices", "language", "method", "receipt_id", "revision", "sdk", "site", "texts_sha256", "timestamp"]);
        assert_eq!(v["choices"], json!({"necessary": true, "stats": true}));
        assert_eq!(v["method"], "button");
        assert_eq!(v["timestamp"], 1_763_800_000);
        let with: Value = serde_json::from_str(&body(&r, Some(&text_bundle(&c, &t)))).unwrap();
        assert_eq!(sha256_hex(&canonical(&with["texts"])), sha256_hex(&text_bundle(&c, &t)));
    }

    #[test]
    fn receipts_go_to_the_collectors_origin() {
        assert_eq!(receipts_url("/v1/reports"), "/v1/receipts");
        assert_eq!(receipts_url("https://c.example/v1/reports"), "https://c.example/v1/receipts");
        assert_eq!(receipts_url("https://c.example/ingest"), "https://c.example/v1/receipts");
        assert_eq!(receipts_url("/ingest"), "/v1/receipts");
    }
}
