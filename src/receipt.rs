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

use crate::map::StrMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::consent::{Consent, Method};
use crate::json::{self, obj, J};
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
    pub choices: StrMap<bool>,
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
    let purposes = config
        .purposes
        .iter()
        .map(|p| {
            let mut v = obj([
                ("id", p.id.as_str().into()),
                ("required", p.required.into()),
                ("label", p.label.resolve(chain).into()),
                ("explain", p.explain.resolve(chain).into()),
                ("benefit", p.benefit.resolve(chain).into()),
            ]);
            if let Some(days) = p.retention_days {
                v.set("retention_days", days.into());
            }
            v
        })
        .collect();
    let bundle = obj([("language", texts.lang.as_str().into()), ("ui", texts.ui.to_json_value()), ("purposes", J::A(purposes))]);
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
        choices: crate::map::build(config.purposes.iter().map(|p| (p.id.clone(), consent.granted(&p.id)))),
        method: consent.method.unwrap_or(Method::Api),
        timestamp: consent.updated_at.unwrap_or(0),
        sdk: crate::SDK.to_string(),
    })
}

impl Receipt {
    /// The receipt as JSON, keys in declaration order.
    pub fn to_json_value(&self) -> J {
        obj([
            ("receipt_id", self.receipt_id.as_str().into()),
            ("site", self.site.as_str().into()),
            ("revision", self.revision.as_str().into()),
            ("language", self.language.as_str().into()),
            ("texts_sha256", self.texts_sha256.as_str().into()),
            ("choices", J::from(&self.choices)),
            ("method", self.method.as_str().into()),
            ("timestamp", self.timestamp.into()),
            ("sdk", self.sdk.as_str().into()),
        ])
    }

    /// Reads a receipt strictly: exactly its keys, each once, of their types.
    pub fn from_json_value(v: &J) -> Option<Receipt> {
        const KEYS: [&str; 9] = ["receipt_id", "site", "revision", "language", "texts_sha256", "choices", "method", "timestamp", "sdk"];
        if !v.has_only_keys(&KEYS) {
            return None;
        }
        let text = |k: &str| v.get(k)?.as_str().map(str::to_string);
        Some(Receipt {
            receipt_id: text("receipt_id")?,
            site: text("site")?,
            revision: text("revision")?,
            language: text("language")?,
            texts_sha256: text("texts_sha256")?,
            choices: crate::map::try_build(v.get("choices")?.as_object()?.iter().map(|(k, b)| Some((k.clone(), b.as_bool()?))))?,
            method: Method::parse(v.get("method")?.as_str()?)?,
            timestamp: v.get("timestamp")?.as_u64()?,
            sdk: text("sdk")?,
        })
    }
}

/// The largest text bundle a collector keeps (`POST /v1/receipts` refuses
/// a larger one with `400`).
pub const MAX_BUNDLE_BYTES: usize = 32 * 1024;

/// The body to POST: the receipt plus, when given and not over
/// [`MAX_BUNDLE_BYTES`], its text bundle (a larger one goes unsent: the
/// receipt still names the texts by `texts_sha256`).
pub fn body(receipt: &Receipt, bundle: Option<&str>) -> String {
    let mut v = receipt.to_json_value();
    if let Some(b) = bundle.filter(|b| b.len() <= MAX_BUNDLE_BYTES) {
        // `text_bundle` wrote it: it is JSON.
        v.set("texts", json::parse(b).unwrap_or(J::Null));
    }
    v.to_text()
}

/// Where receipts go, from the config's `collector` (where reports go):
/// `…/v1/reports` becomes `…/v1/receipts`, with the same query (a key a
/// proxy asks for, say); any other path keeps the collector's origin and
/// uses `/v1/receipts` on it. A fragment is never sent.
pub fn receipts_url(collector: &str) -> String {
    let collector = collector.split('#').next().unwrap_or("");
    let (path, query) = collector.split_at(collector.find('?').unwrap_or(collector.len()));
    if let Some(base) = path.strip_suffix("/v1/reports") {
        return format!("{base}/v1/receipts{query}");
    }
    if let Some(rest) = path.split_once("://") {
        let host = rest.1.split('/').next().unwrap_or("");
        return format!("{}://{host}/v1/receipts", rest.0);
    }
    "/v1/receipts".to_string()
}

/// One receipt's URL under [`receipts_url`]'s: the id goes before the query.
pub fn receipt_url(receipts: &str, id: &str) -> String {
    let (path, query) = receipts.split_at(receipts.find('?').unwrap_or(receipts.len()));
    format!("{path}/{id}{query}")
}

pub use crate::json::canonical;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texts;
    use serde_json::{json, Value};

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

    /// The serde_json-based writer canonical JSON used to be, kept to check
    /// that hashes of receipts already given do not change.
    fn serde_canonical(v: &Value) -> String {
        match v {
            Value::Object(m) => {
                let mut entries: Vec<_> = m.iter().collect();
                entries.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
                let items: Vec<String> = entries.into_iter().map(|(k, v)| format!("{}:{}", Value::String(k.clone()), serde_canonical(v))).collect();
                format!("{{{}}}", items.join(","))
            }
            Value::Array(a) => format!("[{}]", a.iter().map(serde_canonical).collect::<Vec<_>>().join(",")),
            Value::Number(n) => match n.as_f64() {
                Some(x) if !n.is_i64() && !n.is_u64() && x.fract() == 0.0 && x.abs() < 1e21 => format!("{:.0}", if x == 0.0 { 0.0 } else { x }),
                _ => n.to_string(),
            },
            other => other.to_string(),
        }
    }

    #[test]
    fn canonical_text_is_what_it_was_before() {
        let c = config();
        for langs in [["en"], ["de"]] {
            let t = texts::resolve(&c, &langs.map(String::from));
            let bundle = text_bundle(&c, &t);
            assert_eq!(bundle, serde_canonical(&serde_json::from_str(&bundle).unwrap()));
        }
        let text = r#"{"b":[1.0,-0.0,2.5,-7,18446744073709551615],"a":{"z":"é\n\u0001\"","y":null,"\ufb01":true,"\ud83d\ude00":false}}"#;
        assert_eq!(canonical(&json::parse(text).unwrap()), serde_canonical(&serde_json::from_str(text).unwrap()));
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
        let with = json::parse(&body(&r, Some(&text_bundle(&c, &t)))).unwrap();
        assert_eq!(sha256_hex(&canonical(with.get("texts").unwrap())), sha256_hex(&text_bundle(&c, &t)));
        assert_eq!(Receipt::from_json_value(&json::parse(&body(&r, None)).unwrap()), Some(r.clone()));
        assert_eq!(Receipt::from_json_value(&json::parse(&serde_json::to_string(&r).unwrap()).unwrap()), Some(r.clone()));
        assert_eq!(Receipt::from_json_value(&with), None, "a receipt holds no other key");
        // A bundle the collector would refuse is not sent (the receipt alone is).
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(MAX_BUNDLE_BYTES));
        assert_eq!(body(&r, Some(&big)), body(&r, None));
        let fits = format!("{{\"x\":\"{}\"}}", "a".repeat(MAX_BUNDLE_BYTES - 8));
        assert!(body(&r, Some(&fits)).contains("\"texts\""));
    }

    #[test]
    fn receipts_go_to_the_collectors_origin() {
        assert_eq!(receipts_url("/v1/reports"), "/v1/receipts");
        assert_eq!(receipts_url("https://c.example/v1/reports"), "https://c.example/v1/receipts");
        assert_eq!(receipts_url("https://c.example/ingest"), "https://c.example/v1/receipts");
        assert_eq!(receipts_url("/ingest"), "/v1/receipts");
        assert_eq!(receipts_url("/api/v1/reports?key=k1#x"), "/api/v1/receipts?key=k1", "a proxy's query is kept");
        assert_eq!(receipts_url("https://c.example/ingest?key=k1"), "https://c.example/v1/receipts");
        assert_eq!(receipt_url("/api/v1/receipts?key=k1", "id1"), "/api/v1/receipts/id1?key=k1");
        assert_eq!(receipt_url("/v1/receipts", "id1"), "/v1/receipts/id1");
    }
}
