//! Canonical JSON: one text per value, whatever the sender's key order,
//! spacing or number spelling.
//!
//! Idempotency compares a new report (or receipt) with the stored one as
//! text, and a receipt's `texts_sha256` is the hash of its `texts` in this
//! form, so the rules are written down here rather than left to whichever
//! `serde_json` features the build happens to enable (`preserve_order`
//! would silently change the key order). Shaped after RFC 8785 (JCS):
//! no whitespace; object keys sorted by UTF-16 code units; strings escaped
//! as `serde_json` does (`"`, `\` and control characters only); numbers
//! with no fractional part written as integers (`7.0` → `7`).

use candor::json::J;

// One implementation for both sides: the SDK hashes its receipts' text
// bundles with the same function the collector checks them with.
pub fn to_string(v: &serde_json::Value) -> String {
    candor::json::canonical(&to_j(v))
}

/// The same value as the SDK core's JSON type (numbers as serde_json holds
/// them: non-negative integer, negative integer or float).
fn to_j(v: &serde_json::Value) -> J {
    use serde_json::Value;
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => J::U(u),
            (None, Some(i)) => J::I(i),
            _ => J::F(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => J::S(s.clone()),
        Value::Array(a) => J::A(a.iter().map(to_j).collect()),
        Value::Object(m) => J::O(m.iter().map(|(k, v)| (k.clone(), to_j(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::to_string;
    use serde_json::json;

    #[test]
    fn one_text_per_value() {
        let a: serde_json::Value = serde_json::from_str(r#"{ "b": [1.0, -0.0, 2.5], "a": {"z": "é\n", "y": null} }"#).unwrap();
        assert_eq!(to_string(&a), r#"{"a":{"y":null,"z":"é\n"},"b":[1,0,2.5]}"#);
        assert_eq!(to_string(&json!({"b": 1, "a": 2})), to_string(&json!({"a": 2, "b": 1})));
    }

    #[test]
    fn keys_sort_by_utf16_code_units_as_in_rfc_8785() {
        // U+1F600 is D83D DE00 in UTF-16, so it sorts before U+FB01 (unlike in UTF-8).
        assert_eq!(to_string(&json!({"\u{fb01}": 1, "\u{1f600}": 2})), "{\"\u{1f600}\":2,\"\u{fb01}\":1}");
    }
}
