//! Strict validation of reports and receipts, with errors that name the
//! JSON path. Mirrors `pkg-config/report.schema.json` and
//! `pkg-config/receipt.schema.json`.
//!
//! Validation works on a parsed `serde_json::Value` and returns it in
//! canonical form (see `canonical`), so two equal reports compare equal as
//! text whatever their key order or spacing.

use serde_json::{Map, Value};

use crate::canonical;

/// `<path>: <what is wrong>`.
pub type Invalid = String;

fn fail<T>(path: &str, msg: impl std::fmt::Display) -> Result<T, Invalid> {
    Err(format!("{}: {msg}", if path.is_empty() { "body" } else { path }))
}

fn object<'a>(v: &'a Value, path: &str, allowed: &[&str], required: &[&str]) -> Result<&'a Map<String, Value>, Invalid> {
    let Some(m) = v.as_object() else { return fail(path, "must be an object") };
    for k in m.keys() {
        if !allowed.contains(&k.as_str()) {
            return fail(&join(path, k), "unknown field");
        }
    }
    for k in required {
        if !m.contains_key(*k) {
            return fail(&join(path, k), "is required");
        }
    }
    Ok(m)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

fn string<'a>(v: &'a Value, path: &str, min: usize, max: usize) -> Result<&'a str, Invalid> {
    match v.as_str() {
        Some(s) if (min..=max).contains(&s.chars().count()) && !s.chars().any(char::is_control) => Ok(s),
        Some(_) => fail(path, format!("must be a string of {min} to {max} characters without control characters")),
        None => fail(path, "must be a string"),
    }
}

fn finite(v: &Value, path: &str) -> Result<f64, Invalid> {
    match v.as_f64() {
        Some(x) if x.is_finite() => Ok(x),
        _ => fail(path, "must be a finite number"),
    }
}

/// Largest magnitude of a count or category/histogram cell.
pub const MAX_CELL: f64 = 1e9;
/// Largest magnitude of a sum field.
pub const MAX_SUM: f64 = 1e12;
/// How far in the future (clock skew) a report window may end, in seconds.
pub const FUTURE_SLACK: u64 = 86_400;

/// A count or a category/histogram cell: a whole number (`3.0` is 3), never
/// negative unless the report is noisy.
fn whole(v: &Value, path: &str, noisy: bool) -> Result<(), Invalid> {
    let (min, range) = if noisy { (-MAX_CELL, "-1e9 and 1e9 (noisy report)") } else { (0.0, "0 and 1e9 (report without noise)") };
    match v.as_f64() {
        Some(x) if x.fract() == 0.0 && (min..=MAX_CELL).contains(&x) => Ok(()),
        _ => fail(path, format!("must be an integer between {range}")),
    }
}

/// A sum field: a finite number within ±`MAX_SUM`.
fn sum_value(v: &Value, path: &str) -> Result<(), Invalid> {
    match v.as_f64() {
        Some(x) if (-MAX_SUM..=MAX_SUM).contains(&x) => Ok(()),
        _ => fail(path, "must be a number between -1e12 and 1e12"),
    }
}

/// A whole number in `[min, max]`; written `60.0` too, as JSON Schema's
/// `integer` takes it.
fn integer(v: &Value, path: &str, min: u64, max: u64) -> Result<u64, Invalid> {
    let whole = v.as_f64().filter(|x| x.fract() == 0.0 && (0.0..9.0e15).contains(x)).map(|x| x as u64);
    match v.as_u64().or(whole) {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => fail(path, format!("must be an integer between {min} and {max}")),
    }
}

/// A lowercase UUID version 4.
pub fn is_uuid_v4(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| if [8, 13, 18, 23].contains(&i) { *c == b'-' } else { c.is_ascii_digit() || (b'a'..=b'f').contains(c) })
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

/// A purpose id: `^[a-z][a-z0-9_-]{0,31}$`.
pub fn is_purpose_id(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty() && b.len() <= 32 && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
}

/// An event or field name: `^[A-Za-z][A-Za-z0-9_.:-]{0,63}$`.
pub fn is_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty() && b.len() <= 64 && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b':' | b'-'))
}

fn site(v: &Value, sites: &[String]) -> Result<String, Invalid> {
    let s = string(v, "site", 1, 253)?;
    if !sites.iter().any(|x| x == s) {
        return fail("site", format!("{s:?} is not a site this collector accepts"));
    }
    Ok(s.to_string())
}

fn sdk(v: &Value) -> Result<(), Invalid> {
    let s = string(v, "sdk", 1, 64)?;
    if !s.starts_with("candor/") {
        return fail("sdk", "must start with \"candor/\"");
    }
    Ok(())
}

/// The fields of a report the store indexes.
#[derive(Debug, Clone)]
pub struct ReportMeta {
    /// Idempotency key.
    pub report_id: String,
    /// Site.
    pub site: String,
    /// Purpose.
    pub purpose: String,
    /// Window start.
    pub window_start: u64,
}

/// Validates a report; returns its metadata and canonical JSON.
pub fn report(v: &Value, sites: &[String]) -> Result<(ReportMeta, String), Invalid> {
    report_at(v, sites, now())
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// [`report`] at a given time (Unix seconds), for windows from the future.
pub fn report_at(v: &Value, sites: &[String], now: u64) -> Result<(ReportMeta, String), Invalid> {
    let m = object(v, "", &["report_id", "site", "revision", "purpose", "window", "events", "noise", "sdk"],
        &["report_id", "site", "revision", "purpose", "window", "events", "noise", "sdk"])?;
    let id = string(&m["report_id"], "report_id", 36, 36)?;
    if !is_uuid_v4(id) {
        return fail("report_id", "must be a lowercase UUID v4");
    }
    let site = site(&m["site"], sites)?;
    string(&m["revision"], "revision", 1, 64)?;
    let purpose = string(&m["purpose"], "purpose", 1, 32)?;
    if !is_purpose_id(purpose) {
        return fail("purpose", "must match ^[a-z][a-z0-9_-]{0,31}$");
    }
    let w = object(&m["window"], "window", &["start", "seconds"], &["start", "seconds"])?;
    let seconds = integer(&w["seconds"], "window.seconds", 1, 86_400)?;
    let start = integer(&w["start"], "window.start", 0, u64::MAX / 2)?;
    if start % seconds != 0 {
        return fail("window.start", "must be a multiple of window.seconds");
    }
    if start.saturating_add(seconds) > now.saturating_add(FUTURE_SLACK) {
        return fail("window.start", "the window ends more than a day in the future");
    }
    let noisy = !m["noise"].is_null();
    let Some(events) = m["events"].as_object() else { return fail("events", "must be an object") };
    if events.len() > 64 {
        return fail("events", "must hold at most 64 events");
    }
    for (name, e) in events {
        let at = format!("events.{name}");
        if !is_name(name) {
            return fail(&at, "event name must match ^[A-Za-z][A-Za-z0-9_.:-]{0,63}$");
        }
        let em = object(e, &at, &["count", "fields"], &["count"])?;
        whole(&em["count"], &format!("{at}.count"), noisy)?;
        if let Some(fields) = em.get("fields") {
            let Some(fields) = fields.as_object() else { return fail(&format!("{at}.fields"), "must be an object") };
            if fields.len() > 16 {
                return fail(&format!("{at}.fields"), "must hold at most 16 fields");
            }
            for (fname, cell) in fields {
                let fat = format!("{at}.fields.{fname}");
                if !is_name(fname) {
                    return fail(&fat, "field name must match ^[A-Za-z][A-Za-z0-9_.:-]{0,63}$");
                }
                match cell {
                    Value::Object(cats) => {
                        if cats.len() > 65 {
                            return fail(&fat, "must hold at most 65 category values");
                        }
                        for (k, n) in cats {
                            if k.is_empty() || k.chars().count() > 128 || k.chars().any(char::is_control) {
                                // The key itself is not echoed: it may be long or hold control characters.
                                return fail(&fat, "category values must be 1 to 128 characters without control characters");
                            }
                            whole(n, &format!("{fat}.{k}"), noisy)?;
                        }
                    }
                    Value::Array(b) => {
                        if b.is_empty() || b.len() > 64 {
                            return fail(&fat, "must hold 1 to 64 buckets");
                        }
                        for (i, n) in b.iter().enumerate() {
                            whole(n, &format!("{fat}[{i}]"), noisy)?;
                        }
                    }
                    Value::Number(_) => sum_value(cell, &fat)?,
                    _ => return fail(&fat, "must be an object of counts, an array of bucket counts, or a number"),
                }
            }
        }
    }
    match &m["noise"] {
        Value::Null => {}
        n => {
            let nm = object(n, "noise", &["mechanism", "epsilon"], &["mechanism", "epsilon"])?;
            if nm["mechanism"] != "geometric" {
                return fail("noise.mechanism", "must be \"geometric\"");
            }
            if finite(&nm["epsilon"], "noise.epsilon")? <= 0.0 {
                return fail("noise.epsilon", "must be greater than 0");
            }
        }
    }
    sdk(&m["sdk"])?;
    let meta = ReportMeta { report_id: id.to_string(), site, purpose: purpose.to_string(), window_start: start };
    Ok((meta, canonical::to_string(v)))
}

/// The indexed fields of a receipt, and its texts bundle if it carries one.
#[derive(Debug, Clone)]
pub struct ReceiptMeta {
    /// Idempotency key.
    pub receipt_id: String,
    /// Site.
    pub site: String,
    /// Config revision.
    pub revision: String,
    /// SHA-256 of the texts shown.
    pub texts_sha256: String,
    /// The canonical texts bundle, when sent.
    pub texts: Option<String>,
}

/// Validates a consent receipt; returns its metadata and canonical JSON (without `texts`).
pub fn receipt(v: &Value, sites: &[String]) -> Result<(ReceiptMeta, String), Invalid> {
    let all = ["receipt_id", "site", "revision", "language", "texts_sha256", "choices", "method", "timestamp", "sdk", "texts"];
    let m = object(v, "", &all, &all[..9])?;
    let id = string(&m["receipt_id"], "receipt_id", 36, 36)?;
    if !is_uuid_v4(id) {
        return fail("receipt_id", "must be a lowercase UUID v4");
    }
    let site = site(&m["site"], sites)?;
    let revision = string(&m["revision"], "revision", 1, 64)?;
    string(&m["language"], "language", 2, 35)?;
    let hash = string(&m["texts_sha256"], "texts_sha256", 64, 64)?;
    if !hash.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)) {
        return fail("texts_sha256", "must be 64 lowercase hex digits");
    }
    let Some(choices) = m["choices"].as_object() else { return fail("choices", "must be an object") };
    if choices.len() > 32 {
        return fail("choices", "must hold at most 32 purposes");
    }
    for (k, c) in choices {
        if !is_purpose_id(k) {
            return fail(&format!("choices.{k}"), "purpose id must match ^[a-z][a-z0-9_-]{0,31}$");
        }
        if !c.is_boolean() {
            return fail(&format!("choices.{k}"), "must be true or false");
        }
    }
    if !matches!(m["method"].as_str(), Some("button" | "api" | "gpc")) {
        return fail("method", "must be \"button\", \"api\" or \"gpc\"");
    }
    if integer(&m["timestamp"], "timestamp", 0, u64::MAX / 2)? > now().saturating_add(FUTURE_SLACK) {
        return fail("timestamp", "is more than a day in the future");
    }
    sdk(&m["sdk"])?;
    let texts = match m.get("texts") {
        None => None,
        Some(Value::Object(_)) => {
            let text = canonical::to_string(&m["texts"]);
            if text.len() > 32 * 1024 {
                return fail("texts", "must be at most 32 KB");
            }
            use sha2::Digest;
            let digest = sha2::Sha256::digest(text.as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            if hex != hash {
                return fail("texts_sha256", "does not match the SHA-256 of texts");
            }
            Some(text)
        }
        Some(_) => return fail("texts", "must be an object"),
    };
    let mut stored = m.clone();
    stored.remove("texts");
    let meta = ReceiptMeta { receipt_id: id.to_string(), site, revision: revision.to_string(), texts_sha256: hash.to_string(), texts };
    Ok((meta, canonical::to_string(&Value::Object(stored))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok() -> Value {
        json!({"report_id": "0b7c6a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c", "site": "s", "revision": "r", "purpose": "stats",
               "window": {"start": 120, "seconds": 60},
               "events": {"page_view": {"count": 7, "fields": {"path": {"/": 2}, "ms": [1, 2], "amount": 4.5}}},
               "noise": null, "sdk": "candor/0.1.0"})
    }

    fn err(v: Value) -> String {
        report(&v, &["s".into()]).unwrap_err()
    }

    /// The published schemas and this validator know the same keys.
    #[test]
    fn schemas_list_the_same_keys() {
        let keys = |schema: &str, at: &[&str]| -> (Vec<String>, Vec<String>) {
            let mut v: Value = serde_json::from_str(schema).unwrap();
            for k in at {
                v = v["properties"][*k].clone();
            }
            let mut props: Vec<String> = v["properties"].as_object().unwrap().keys().cloned().collect();
            let mut req: Vec<String> = v["required"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()).collect();
            props.sort();
            req.sort();
            (props, req)
        };
        let sorted = |k: &[&str]| -> Vec<String> {
            let mut v: Vec<String> = k.iter().map(|s| s.to_string()).collect();
            v.sort();
            v
        };
        let report_schema = include_str!("../../pkg-config/report.schema.json");
        let all = ["report_id", "site", "revision", "purpose", "window", "events", "noise", "sdk"];
        assert_eq!(keys(report_schema, &[]), (sorted(&all), sorted(&all)));
        assert_eq!(keys(report_schema, &["window"]), (sorted(&["start", "seconds"]), sorted(&["start", "seconds"])));
        let receipt_schema = include_str!("../../pkg-config/receipt.schema.json");
        let all = ["receipt_id", "site", "revision", "language", "texts_sha256", "choices", "method", "timestamp", "sdk", "texts"];
        assert_eq!(keys(receipt_schema, &[]), (sorted(&all), sorted(&all[..9])));
    }

    /// The numeric bounds of the report schema are the validator's.
    #[test]
    fn schema_bounds_match() {
        let v: Value = serde_json::from_str(include_str!("../../pkg-config/report.schema.json")).unwrap();
        assert_eq!((v["$defs"]["whole"]["minimum"].as_f64(), v["$defs"]["whole"]["maximum"].as_f64()), (Some(-MAX_CELL), Some(MAX_CELL)));
        let sum = &v["properties"]["events"]["additionalProperties"]["properties"]["fields"]["additionalProperties"]["oneOf"][2];
        assert_eq!((sum["minimum"].as_f64(), sum["maximum"].as_f64()), (Some(-MAX_SUM), Some(MAX_SUM)));
    }

    #[test]
    fn equal_reports_have_one_canonical_text() {
        let mut v = ok();
        v["events"]["page_view"]["count"] = json!(7.0);
        let reordered: Value = serde_json::from_str(&canonical::to_string(&ok())).unwrap();
        assert_eq!(report(&v, &["s".into()]).unwrap().1, report(&reordered, &["s".into()]).unwrap().1);
    }

    #[test]
    fn accepts_the_contract_shape_canonically() {
        let (meta, canon) = report(&ok(), &["s".into()]).unwrap();
        assert_eq!(meta.window_start, 120);
        assert!(canon.starts_with("{\"events\""), "keys sorted: {canon}");
    }

    #[test]
    fn names_the_field() {
        let mut v = ok();
        v["window"]["seconds"] = json!(0);
        assert_eq!(err(v), "window.seconds: must be an integer between 1 and 86400");
        let mut v = ok();
        v["window"]["start"] = json!(130);
        assert!(err(v).starts_with("window.start:"));
        // Whole numbers written as floats are integers (JSON Schema); others are not.
        let mut v = ok();
        v["window"] = json!({"start": 120.0, "seconds": 60.0});
        assert_eq!(report(&v, &["s".into()]).unwrap().0.window_start, 120);
        let mut v = ok();
        v["window"]["seconds"] = json!(60.5);
        assert_eq!(err(v), "window.seconds: must be an integer between 1 and 86400");
        let mut v = ok();
        v["extra"] = json!(1);
        assert_eq!(err(v), "extra: unknown field");
        let mut v = ok();
        v["report_id"] = json!("0B7C6A52-1D2E-4F3A-9B8C-7D6E5F4A3B2C");
        assert!(err(v).starts_with("report_id:"));
        let mut v = ok();
        v["site"] = json!("evil.example");
        assert!(err(v).starts_with("site:"));
        let mut v = ok();
        v["events"]["page_view"]["fields"]["path"] = json!("free text");
        assert!(err(v).starts_with("events.page_view.fields.path:"));
        let mut v = ok();
        v["noise"] = json!({"mechanism": "gaussian", "epsilon": 1});
        assert!(err(v).starts_with("noise.mechanism:"));
        let mut v = ok();
        v.as_object_mut().unwrap().remove("sdk");
        assert_eq!(err(v), "sdk: is required");
    }
}
