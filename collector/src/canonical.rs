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

use serde_json::Value;

/// `v` as canonical JSON text.
pub fn to_string(v: &Value) -> String {
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
