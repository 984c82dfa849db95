//! JSON: one small value type with its own reader and writer.
//!
//! Why not serde_json: the SDK reads and writes a handful of flat shapes
//! (config, stored records and aggregates, reports, receipts), and serde's
//! generic visitors for each of them were the largest code in the wasm. Here
//! one parser builds a [`J`], and each type converts itself to and from it by
//! hand. Numbers are written and read with the browser's own `Number`
//! conversions in the wasm (shortest round-trip, as `JSON.stringify`), and
//! with Rust's natively, so no float-formatting tables ship.
//!
//! The reader is strict RFC 8259: no comments, no trailing commas, no leading
//! zeros, no control characters in strings (a lone surrogate escape is read
//! as U+FFFD, as JavaScript's `toWellFormed()` gives), at most
//! [`MAX_DEPTH`] levels of nesting. Errors name what was wrong and where
//! (`expected ':' at line 3 column 9`).

use crate::map::StrMap;

/// Nesting allowed before the reader gives up (serde_json's limit too).
pub const MAX_DEPTH: usize = 128;

/// A JSON value; objects keep every key in document order (duplicates too).
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A non-negative integer.
    U(u64),
    /// A negative integer.
    I(i64),
    /// Any other number.
    F(f64),
    /// A string.
    S(String),
    /// An array.
    A(Vec<J>),
    /// An object, keys in document order.
    O(Vec<(String, J)>),
}

/// Why a text is not JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError(pub String);

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses one JSON document (surrounding white space allowed).
pub fn parse(text: &str) -> Result<J, JsonError> {
    let mut p = Parser { text, s: text.as_bytes(), i: 0, depth: 0 };
    let v = p.value()?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(v)
}

struct Parser<'a> {
    /// The document, sliced at ASCII positions only (so always at char
    /// boundaries: no UTF-8 check, whose error type's `Debug` would ship).
    text: &'a str,
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> JsonError {
        let before = &self.s[..self.i.min(self.s.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        JsonError(format!("{what} at line {line} column {col}"))
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.ws();
        let hit = self.s.get(self.i) == Some(&b);
        if hit {
            self.i += 1;
        }
        hit
    }

    fn word(&mut self, w: &str, v: J) -> Result<J, JsonError> {
        if self.s[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Ok(v)
        } else {
            Err(self.err("expected value"))
        }
    }

    fn value(&mut self) -> Result<J, JsonError> {
        self.ws();
        match self.s.get(self.i) {
            None => Err(self.err("EOF while parsing a value")),
            Some(b'n') => self.word("null", J::Null),
            Some(b't') => self.word("true", J::Bool(true)),
            Some(b'f') => self.word("false", J::Bool(false)),
            Some(b'"') => self.string().map(J::S),
            Some(b'[') => self.nested(|p| {
                let mut items = Vec::new();
                if p.eat(b']') {
                    return Ok(J::A(items));
                }
                loop {
                    items.push(p.value()?);
                    if p.eat(b']') {
                        return Ok(J::A(items));
                    }
                    if !p.eat(b',') {
                        return Err(p.end_err("expected ',' or ']'"));
                    }
                }
            }),
            Some(b'{') => self.nested(|p| {
                let mut entries = Vec::new();
                if p.eat(b'}') {
                    return Ok(J::O(entries));
                }
                loop {
                    p.ws();
                    if p.s.get(p.i) != Some(&b'"') {
                        return Err(p.end_err("key must be a string"));
                    }
                    let k = p.string()?;
                    if !p.eat(b':') {
                        return Err(p.end_err("expected ':'"));
                    }
                    entries.push((k, p.value()?));
                    if p.eat(b'}') {
                        return Ok(J::O(entries));
                    }
                    if !p.eat(b',') {
                        return Err(p.end_err("expected ',' or '}'"));
                    }
                }
            }),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("expected value")),
        }
    }

    fn end_err(&self, what: &str) -> JsonError {
        if self.i >= self.s.len() {
            self.err("EOF while parsing")
        } else {
            self.err(what)
        }
    }

    fn nested(&mut self, f: impl FnOnce(&mut Self) -> Result<J, JsonError>) -> Result<J, JsonError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err("recursion limit exceeded"));
        }
        self.depth += 1;
        self.i += 1;
        let v = f(self);
        self.depth -= 1;
        v
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<J, JsonError> {
        let start = self.i;
        let neg = self.s[self.i] == b'-';
        if neg {
            self.i += 1;
        }
        let int_start = self.i;
        let n = self.digits();
        if n == 0 || (n > 1 && self.s[int_start] == b'0') {
            return Err(self.err("invalid number"));
        }
        let mut integral = true;
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            integral = false;
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.s.get(self.i) {
            self.i += 1;
            integral = false;
            if let Some(b'+' | b'-') = self.s.get(self.i) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number"));
            }
        }
        let text = &self.text[start..self.i];
        if integral {
            if neg {
                if let Some(v) = parse_int(&text[1..]).and_then(|m| 0i64.checked_sub_unsigned(m)) {
                    return Ok(if v == 0 { J::U(0) } else { J::I(v) });
                }
            } else if let Some(v) = parse_int(text) {
                return Ok(J::U(v));
            }
        }
        match parse_f64(text) {
            Some(x) if x.is_finite() => Ok(J::F(x)),
            _ => Err(self.err("number out of range")),
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0;
        for _ in 0..4 {
            let d = self.s.get(self.i).and_then(|b| (*b as char).to_digit(16)).ok_or_else(|| self.err("invalid escape"))?;
            v = v * 16 + d;
            self.i += 1;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1; // the opening quote
        let mut out = String::new();
        loop {
            let start = self.i;
            while let Some(&b) = self.s.get(self.i) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.push_str(&self.text[start..self.i]);
            match self.s.get(self.i) {
                None => return Err(self.err("EOF while parsing a string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let e = self.s.get(self.i).copied();
                    self.i += 1;
                    let c = match e {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let hi = self.hex4()?;
                            // A lone surrogate (valid JSON text, which JavaScript
                            // reads) becomes U+FFFD, as `toWellFormed()` would:
                            // a Rust string cannot hold it.
                            let mut code = hi;
                            if (0xD800..0xDC00).contains(&hi) && self.s[self.i..].starts_with(b"\\u") {
                                let at = self.i;
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                } else {
                                    // Not a pair: the next escape is read on its own.
                                    self.i = at;
                                }
                            }
                            char::from_u32(code).unwrap_or('\u{FFFD}')
                        }
                        _ => {
                            self.i -= 1;
                            return Err(self.err("invalid escape"));
                        }
                    };
                    out.push(c);
                }
                Some(_) => return Err(self.err("control character (\\u0000-\\u001F) found while parsing a string")),
            }
        }
    }
}

fn parse_int(digits: &str) -> Option<u64> {
    let mut v: u64 = 0;
    for b in digits.bytes() {
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

/// A JSON number's text as `f64` (the text is already known to be one).
#[cfg(target_arch = "wasm32")]
fn parse_f64(text: &str) -> Option<f64> {
    Some(js_sys::Number::parse_float(text))
}

#[cfg(not(target_arch = "wasm32"))]
fn parse_f64(text: &str) -> Option<f64> {
    text.parse().ok()
}

/// Writes a finite `f64` as `JSON.stringify` does (shortest text that reads
/// back as the same number; `1e21` and up, and below `1e-6`, in exponent
/// form). Not finite: `null`, as `JSON.stringify`.
pub fn write_f64(x: f64, out: &mut String) {
    if !x.is_finite() {
        out.push_str("null");
    } else if x == x.trunc() && x.abs() < 1e21 {
        // Integral: digits only, `-0` as `0`.
        if x.abs() < 9_007_199_254_740_992.0 {
            write_i64(x as i64, out);
        } else {
            out.push_str(&float_text(x));
        }
    } else {
        out.push_str(&float_text(x));
    }
}

#[cfg(target_arch = "wasm32")]
fn float_text(x: f64) -> String {
    String::from(js_sys::Number::from(x).to_string_with_radix(10).unwrap_or_else(|_| js_sys::JsString::from("null")))
}

#[cfg(not(target_arch = "wasm32"))]
fn float_text(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let s = format!("{x:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        }
    } else {
        format!("{x}")
    }
}

/// Writes an integer without Rust's formatting machinery.
pub fn write_u64(mut n: u64, out: &mut String) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(buf[i..].iter().map(|&d| char::from(d)));
}

/// Writes a signed integer.
pub fn write_i64(n: i64, out: &mut String) {
    if n < 0 {
        out.push('-');
    }
    write_u64(n.unsigned_abs(), out);
}

/// Writes `s` as a JSON string: `"`, `\` and control characters escaped, the
/// rest as is (as serde_json and `JSON.stringify` do).
pub fn write_str(s: &str, out: &mut String) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Writes `items` comma-separated between `open` and `close`, each by `each`.
pub fn write_seq<T>(out: &mut String, open: char, close: char, items: impl IntoIterator<Item = T>, mut each: impl FnMut(&mut String, T)) {
    out.push(open);
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(out, item);
    }
    out.push(close);
}

/// Writes an object key and its colon.
pub fn write_key(key: &str, out: &mut String) {
    write_str(key, out);
    out.push(':');
}

/// `s` as a JSON string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_str(s, &mut out);
    out
}

/// [`quote`] of at most the first 64 characters of `s`, then `…` when
/// there were more: what an error message shows of a value a caller
/// passed (a megabyte id makes no megabyte message).
pub fn quote_short(s: &str) -> String {
    match s.char_indices().nth(64) {
        Some((i, _)) => format!("{}…", quote(&s[..i])),
        None => quote(s),
    }
}

impl J {
    /// Compact JSON text, keys in the order held.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// Appends the compact JSON text to `out`.
    pub fn write(&self, out: &mut String) {
        self.write_with(out, None, 0);
    }

    /// JSON text indented by two spaces per level (for files people read).
    pub fn to_pretty(&self) -> String {
        let mut out = String::new();
        self.write_with(&mut out, Some(2), 0);
        out
    }

    fn write_with(&self, out: &mut String, indent: Option<usize>, level: usize) {
        let newline = |out: &mut String, level: usize| {
            if let Some(n) = indent {
                out.push('\n');
                out.extend(std::iter::repeat(' ').take(n * level));
            }
        };
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::U(n) => write_u64(*n, out),
            J::I(n) => write_i64(*n, out),
            J::F(x) => write_f64(*x, out),
            J::S(s) => write_str(s, out),
            J::A(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, level + 1);
                    v.write_with(out, indent, level + 1);
                }
                if !items.is_empty() {
                    newline(out, level);
                }
                out.push(']');
            }
            J::O(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, level + 1);
                    write_str(k, out);
                    out.push(':');
                    if indent.is_some() {
                        out.push(' ');
                    }
                    v.write_with(out, indent, level + 1);
                }
                if !entries.is_empty() {
                    newline(out, level);
                }
                out.push('}');
            }
        }
    }

    /// The value under `key` of an object (the first, if repeated).
    pub fn get(&self, key: &str) -> Option<&J> {
        match self {
            J::O(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Sets `key` of an object (replacing it, or appending it).
    pub fn set(&mut self, key: &str, value: J) {
        if let J::O(entries) = self {
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = value,
                None => entries.push((key.to_string(), value)),
            }
        }
    }

    /// Whether it is an object whose keys are all in `keys`, none twice
    /// (the strict readers of stored and sent shapes use it).
    pub fn has_only_keys(&self, keys: &[&str]) -> bool {
        let Some(entries) = self.as_object() else { return false };
        entries.iter().enumerate().all(|(i, (k, _))| keys.contains(&k.as_str()) && entries[..i].iter().all(|(p, _)| p != k))
    }

    /// The string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            J::S(s) => Some(s),
            _ => None,
        }
    }

    /// The non-negative integer, if it is one.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            J::U(n) => Some(*n),
            _ => None,
        }
    }

    /// Any integer that fits `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            J::U(n) => i64::try_from(*n).ok(),
            J::I(n) => Some(*n),
            _ => None,
        }
    }

    /// Any number, as `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            J::U(n) => Some(*n as f64),
            J::I(n) => Some(*n as f64),
            J::F(x) => Some(*x),
            _ => None,
        }
    }

    /// The boolean, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            J::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The items, if an array.
    pub fn as_array(&self) -> Option<&[J]> {
        match self {
            J::A(items) => Some(items),
            _ => None,
        }
    }

    /// The entries, if an object.
    pub fn as_object(&self) -> Option<&[(String, J)]> {
        match self {
            J::O(entries) => Some(entries),
            _ => None,
        }
    }
}

impl From<&str> for J {
    fn from(s: &str) -> J {
        J::S(s.to_string())
    }
}

impl From<String> for J {
    fn from(s: String) -> J {
        J::S(s)
    }
}

impl From<&String> for J {
    fn from(s: &String) -> J {
        J::S(s.clone())
    }
}

impl From<bool> for J {
    fn from(b: bool) -> J {
        J::Bool(b)
    }
}

impl From<u64> for J {
    fn from(n: u64) -> J {
        J::U(n)
    }
}

impl From<u32> for J {
    fn from(n: u32) -> J {
        J::U(n.into())
    }
}

impl From<usize> for J {
    fn from(n: usize) -> J {
        J::U(n as u64)
    }
}

impl From<i64> for J {
    fn from(n: i64) -> J {
        if n >= 0 {
            J::U(n as u64)
        } else {
            J::I(n)
        }
    }
}

impl From<f64> for J {
    fn from(x: f64) -> J {
        J::F(x)
    }
}

impl<T: Into<J>> From<Option<T>> for J {
    fn from(v: Option<T>) -> J {
        v.map_or(J::Null, Into::into)
    }
}

impl<T: Into<J>> From<Vec<T>> for J {
    fn from(v: Vec<T>) -> J {
        J::A(v.into_iter().map(Into::into).collect())
    }
}

impl<V: Clone + Into<J>> From<&StrMap<V>> for J {
    fn from(m: &StrMap<V>) -> J {
        J::O(m.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect())
    }
}

/// Builds an object from `(key, value)` pairs, in that order.
pub fn obj<const N: usize>(entries: [(&str, J); N]) -> J {
    // One loop for every N: the generic part is only the move into a Vec.
    obj_from(Vec::from(entries))
}

fn obj_from(entries: Vec<(&str, J)>) -> J {
    let mut out = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        out.push((k.to_string(), v));
    }
    J::O(out)
}

/// `v` as canonical JSON text: no white space, object keys sorted by UTF-16
/// code units (RFC 8785), numbers with no fractional part written as
/// integers (`7.0` → `7`), strings escaped as [`write_str`]. The collector
/// checks receipt hashes with this same function.
pub fn canonical(v: &J) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &J, out: &mut String) {
    match v {
        J::O(entries) => {
            // By UTF-16 code units; a repeated key keeps its document order.
            let order = crate::order::positions(entries.len(), &|a, b| entries[a].0.encode_utf16().cmp(entries[b].0.encode_utf16()));
            write_seq(out, '{', '}', order, |out, i| {
                let (k, v) = &entries[i];
                write_key(k, out);
                write_canonical(v, out);
            });
        }
        J::A(items) => write_seq(out, '[', ']', items, |out, v| write_canonical(v, out)),
        other => other.write(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_value_is_shortened_in_messages() {
        assert_eq!(quote_short("stats"), "\"stats\"");
        let long = "é".repeat(100);
        assert_eq!(quote_short(&long), format!("\"{}\"…", "é".repeat(64)));
        assert_eq!(quote_short(&"x".repeat(64)), quote(&"x".repeat(64)));
    }

    #[test]
    fn reads_what_serde_json_reads_and_refuses_what_it_refuses() {
        let good = [
            "null", " true ", "false", "0", "-0", "12", "-12", "1.5", "-1.5e3", "1E+2", "18446744073709551615",
            "18446744073709551616", "-9223372036854775808", "-9223372036854775809", "\"a\\u00e9\\ud83d\\ude00\\n\\/\"",
            "[]", "[1,[2,{}]]", "{}", "{ \"k\" : [ null ] }", "\"é😀\"", "0.000001", "1e-7",
        ];
        for text in good {
            let ours = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(canonical(&ours), canonical(&parse(&theirs.to_string()).unwrap()), "{text}");
        }
        let bad = [
            "", "nul", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "+1", "'a'", "\"a", "\"\\x\"", "\"\t\"",
            "{a:1}", "[1 2]", "{\"a\" 1}", "1 2", "NaN", "Infinity", "1e400", "[",
            "{\"a\":",
        ];
        for text in bad {
            assert!(parse(text).is_err(), "{text} parsed");
            assert!(serde_json::from_str::<serde_json::Value>(text).is_err(), "{text} parsed by serde_json");
        }
    }

    #[test]
    fn lone_surrogates_become_the_replacement_character() {
        for (text, want) in [
            (r#""\ud800""#, "\u{FFFD}"),
            (r#""a\ud800\u0041""#, "a\u{FFFD}A"),
            (r#""\udc00x""#, "\u{FFFD}x"),
            (r#""\ud800\ud83d\ude00""#, "\u{FFFD}😀"),
        ] {
            assert_eq!(parse(text).unwrap(), J::S(want.into()), "{text}");
        }
    }

    #[test]
    fn objects_keep_duplicate_keys_in_order() {
        let v = parse(r#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert_eq!(v.to_text(), r#"{"a":1,"b":2,"a":3}"#);
        assert_eq!(v.get("a"), Some(&J::U(1)));
    }

    #[test]
    fn errors_say_where() {
        assert_eq!(parse("{\n  \"a\" 1}").unwrap_err().0, "expected ':' at line 2 column 7");
        assert_eq!(parse("[1,").unwrap_err().0, "EOF while parsing a value at line 1 column 4");
        assert_eq!(parse("[1] x").unwrap_err().0, "trailing characters at line 1 column 5");
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).unwrap_err().0.starts_with("recursion limit exceeded"));
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn numbers_are_written_as_json_stringify_writes_them() {
        for (x, text) in [
            (0.0, "0"), (-0.0, "0"), (7.0, "7"), (-3.0, "-3"), (2.5, "2.5"), (0.1, "0.1"), (1e-6, "0.000001"), (1e-7, "1e-7"),
            (1e21, "1e+21"), (123456789012345680000.0, "123456789012345680000"), (1.5e300, "1.5e+300"), (f64::NAN, "null"),
        ] {
            let mut out = String::new();
            write_f64(x, &mut out);
            assert_eq!(out, text, "{x}");
        }
    }

    #[test]
    fn strings_round_trip_with_serde_json_escaping() {
        let s = "a\"b\\c\n\u{1}\u{1f}\u{7f}é😀</script>";
        assert_eq!(quote(s), serde_json::to_string(s).unwrap());
        assert_eq!(parse(&quote(s)).unwrap(), J::S(s.to_string()));
    }

    #[test]
    fn canonical_sorts_keys_by_utf16_and_drops_fractions() {
        let v = parse(r#"{ "b": [1.0, -0.0, 2.5], "a": {"z": "é\n", "y": null} }"#).unwrap();
        assert_eq!(canonical(&v), r#"{"a":{"y":null,"z":"é\n"},"b":[1,0,2.5]}"#);
        assert_eq!(canonical(&parse("{\"\u{fb01}\":1,\"\u{1f600}\":2}").unwrap()), "{\"\u{1f600}\":2,\"\u{fb01}\":1}");
        // A repeated key keeps its document order (as a stable sort would).
        assert_eq!(canonical(&parse(r#"{"b":1,"a":2,"b":0,"b":3}"#).unwrap()), r#"{"a":2,"b":1,"b":0,"b":3}"#);
    }

    #[test]
    fn pretty_text_reads_back() {
        let v = parse(r#"{"a":[1,{"b":null}],"c":{},"d":[]}"#).unwrap();
        assert_eq!(parse(&v.to_pretty()).unwrap(), v);
        assert_eq!(v.to_pretty(), "{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ],\n  \"c\": {},\n  \"d\": []\n}");
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        fn arb() -> impl Strategy<Value = J> {
            let leaf = prop_oneof![
                Just(J::Null),
                any::<bool>().prop_map(J::Bool),
                any::<u64>().prop_map(J::U),
                (i64::MIN..0).prop_map(J::I),
                any::<f64>().prop_filter("finite, not integral", |x| x.is_finite() && x.fract() != 0.0).prop_map(J::F),
                ".{0,12}".prop_map(J::S),
            ];
            leaf.prop_recursive(4, 32, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(J::A),
                    prop::collection::btree_map(".{0,6}", inner, 0..6).prop_map(|m| J::O(m.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #[test]
            fn written_text_reads_back_the_same(v in arb()) {
                prop_assert_eq!(parse(&v.to_text()).unwrap(), v.clone());
                // serde_json reads it too (its float reading is not exact, so no value check).
                prop_assert!(serde_json::from_str::<serde_json::Value>(&v.to_text()).is_ok());
            }

            #[test]
            fn any_text_either_parses_or_says_why(s in ".{0,40}") {
                let ours = parse(&s);
                let theirs = serde_json::from_str::<serde_json::Value>(&s);
                prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}: {:?}", s, ours);
            }
        }
    }
}
