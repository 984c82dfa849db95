//! Reads a config document into [`Config`] without per-type serde visitors.
//!
//! Why: derived `Deserialize` impls, each wrapped again by serde_path_to_error
//! to learn the JSON path of an error, were the largest code in the wasm. Here
//! [`crate::json`] parses the text once into [`J`] (keys kept in document
//! order, duplicates kept), and plain functions fill the config
//! structs, carrying the JSON path themselves. The messages are serde's own
//! wording (`invalid type: string "60", expected u32`, `missing field "label"`,
//! `unknown field "x", expected one of ...`), in the same order serde would
//! report them: keys in document order, then missing fields in declaration
//! order; a config written for the old reader gets the same error.
//!
//! Known differences from the serde-derived reader: a JSON syntax error
//! anywhere wins over a type error earlier in the text (the text is parsed
//! whole first); a nested struct written as an array (which serde accepted
//! field by field) is refused as `invalid type: sequence`; `reopen` given a
//! non-string is refused as an invalid type instead of a syntax error.

use crate::map::StrMap;
use super::*;

pub(crate) use crate::json::J;

type R<T> = Result<T, ConfigError>;

fn err<T>(path: &str, message: String) -> R<T> {
    Err(ConfigError::new(path, message))
}

/// serde's description of a value in an error (`string "x"`, `integer 5`:
/// strings quoted, other values as written).
fn unexpected(v: &J) -> String {
    match v {
        J::Null => "null".into(),
        J::Bool(b) => format!("boolean {b}"),
        J::U(n) => format!("integer {n}"),
        J::I(n) => format!("integer {n}"),
        J::F(x) => {
            let mut n = String::new();
            crate::json::write_f64(*x, &mut n);
            format!("floating point {n}")
        }
        J::S(s) => format!("string {}", crate::json::quote(s)),
        J::A(_) => "sequence".into(),
        J::O(_) => "map".into(),
    }
}

fn invalid_type<T>(path: &str, v: &J, expected: &str) -> R<T> {
    err(path, format!("invalid type: {}, expected {expected}", unexpected(v)))
}

/// serde's `OneOf`: "`a`", "`a` or `b`", "one of `a`, `b`, `c`" (backticks
/// become quotes as in every config message).
fn one_of(names: &[&str]) -> String {
    match names {
        [a] => format!("\"{a}\""),
        [a, b] => format!("\"{a}\" or \"{b}\""),
        _ => {
            let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
            format!("one of {}", list.join(", "))
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn unknown_field(fields: &[&str], k: &str) -> String {
    let expected = if fields.is_empty() { "there are no fields".to_string() } else { format!("expected {}", one_of(fields)) };
    format!("unknown field \"{k}\", {expected}")
}

/// Walks the keys of one JSON object being read into a struct, in document
/// order as serde does: an unknown or repeated key is an error where it
/// stands, each known key's value is handed to `f` with its path.
fn each<'a>(path: &str, v: &'a J, name: &str, fields: &[&str], mut f: impl FnMut(&str, &str, &'a J) -> R<()>) -> R<()> {
    each_dyn(path, v, name, fields, &mut f)
}

/// [`each`]'s body, compiled once: each struct's reader only adds its closure.
fn each_dyn<'a>(path: &str, v: &'a J, name: &str, fields: &[&str], f: &mut dyn FnMut(&str, &str, &'a J) -> R<()>) -> R<()> {
    let J::O(entries) = v else { return invalid_type(path, v, name) };
    for (i, (k, x)) in entries.iter().enumerate() {
        let at = join(path, k);
        if !fields.contains(&k.as_str()) {
            return err(&at, unknown_field(fields, k));
        }
        if entries[..i].iter().any(|(p, _)| p == k) {
            return err(path, format!("duplicate field \"{k}\""));
        }
        f(&at, k, x)?;
    }
    Ok(())
}

fn missing<T>(path: &str, key: &str, v: Option<T>) -> R<T> {
    match v {
        Some(v) => Ok(v),
        None => err(path, format!("missing field \"{key}\"")),
    }
}

fn string(path: &str, v: &J) -> R<String> {
    match v {
        J::S(s) => Ok(s.clone()),
        _ => invalid_type(path, v, "a string"),
    }
}

fn boolean(path: &str, v: &J) -> R<bool> {
    match v {
        J::Bool(b) => Ok(*b),
        _ => invalid_type(path, v, "a boolean"),
    }
}

/// A whole number from 0 to `max`. As in JSON Schema's "integer", `60.0`
/// and `6e1` are whole numbers too.
fn unsigned(path: &str, v: &J, max: u64) -> R<u64> {
    let whole = |x: f64| x.fract() == 0.0 && x >= 0.0 && x <= max as f64;
    match v {
        J::U(n) if *n <= max => Ok(*n),
        J::F(x) if whole(*x) => Ok(*x as u64),
        J::U(_) | J::I(_) => err(path, format!("invalid value: {}, expected a whole number from 0 to {max}", unexpected(v))),
        J::F(x) if x.fract() == 0.0 => err(path, format!("invalid value: {}, expected a whole number from 0 to {max}", unexpected(v))),
        _ => invalid_type(path, v, "a whole number"),
    }
}

fn u32_(path: &str, v: &J) -> R<u32> {
    unsigned(path, v, u32::MAX as u64).map(|n| n as u32)
}

/// A `u32` whose rule is narrower (`min` to `max`): a number outside the
/// type's range is refused with the rule's range, not the type's.
fn u32_in(min: u32, max: u32) -> impl Fn(&str, &J) -> R<u32> {
    move |path, v| {
        u32_(path, v).map_err(|e| ConfigError::new(path, e.message.replace(&format!("from 0 to {}", u32::MAX), &format!("from {min} to {max}"))))
    }
}

fn u16_(path: &str, v: &J) -> R<u16> {
    unsigned(path, v, u16::MAX as u64).map(|n| n as u16)
}

fn u8_(path: &str, v: &J) -> R<u8> {
    unsigned(path, v, u8::MAX as u64).map(|n| n as u8)
}

fn f64_(path: &str, v: &J) -> R<f64> {
    match v {
        J::U(n) => Ok(*n as f64),
        J::I(n) => Ok(*n as f64),
        J::F(x) => Ok(*x),
        _ => invalid_type(path, v, "a number"),
    }
}

/// `Option<T>`: `null` is `None`.
fn nullable<T>(read: impl Fn(&str, &J) -> R<T>) -> impl Fn(&str, &J) -> R<Option<T>> {
    move |path, v| match v {
        J::Null => Ok(None),
        _ => read(path, v).map(Some),
    }
}

fn list<T>(read: impl Fn(&str, &J) -> R<T>) -> impl Fn(&str, &J) -> R<Vec<T>> {
    move |path, v| match v {
        J::A(items) => {
            // A loop, not `collect()` into a `Result`: that compiled its
            // adapters again for every item type.
            let mut out = Vec::with_capacity(items.len());
            for (i, x) in items.iter().enumerate() {
                out.push(read(&format!("{path}[{i}]"), x)?);
            }
            Ok(out)
        }
        _ => invalid_type(path, v, "an array"),
    }
}

fn map<T>(read: impl Fn(&str, &J) -> R<T>) -> impl Fn(&str, &J) -> R<StrMap<T>> {
    move |path, v| match v {
        J::O(entries) => {
            let mut out = StrMap::new();
            for (k, x) in entries {
                let value = read(&join(path, k), x)?;
                duplicate(path, &out, k)?;
                out.insert(k.clone(), value);
            }
            Ok(out)
        }
        _ => invalid_type(path, v, "an object"),
    }
}

/// A key repeated in a map (events, texts, a text's languages): JSON readers
/// disagree on which one wins, so neither does (serde's maps kept the last,
/// which let a second `"page_view"` move an event to another purpose).
fn duplicate<T>(path: &str, seen: &StrMap<T>, key: &str) -> R<()> {
    if seen.contains_key(key) {
        return err(path, format!("duplicate key \"{key}\""));
    }
    Ok(())
}

fn strings(path: &str, v: &J) -> R<Vec<String>> {
    list(string)(path, v)
}

fn text(path: &str, v: &J) -> R<Text> {
    let bad = || err(path, "must be a string or an object of language → string".into());
    match v {
        J::S(s) => Ok(Text::Plain(s.clone())),
        J::O(entries) => {
            let mut out = StrMap::new();
            for (k, x) in entries {
                let J::S(s) = x else { return bad() };
                duplicate(path, &out, k)?;
                // Language tags match without case ("EN" serves "en"): two
                // spellings of one tag would leave which text shows to chance.
                if let Some(same) = out.keys().find(|o| o.eq_ignore_ascii_case(k)) {
                    return err(path, format!("language \"{k}\" is given twice (also as \"{same}\"): tags are compared without case"));
                }
                out.insert(k.clone(), s.clone());
            }
            Ok(Text::Localized(out))
        }
        _ => bad(),
    }
}

/// Reads the whole document (already known to be an object).
pub(super) fn config(v: &J) -> R<Config> {
    const FIELDS: &[&str] = &[
        "site", "revision", "collector", "language", "default_language", "purposes", "events", "aggregation",
        "expires_days", "reopen", "debug", "history_days", "qa", "vendors", "google_consent_mode", "cookie", "tcf",
        "$schema", "texts",
    ];
        // Fields are read in document order so the first bad one is reported, as serde would.
    let mut c = Config {
        site: String::new(),
        revision: String::new(),
        collector: default_collector(),
        language: default_language(),
        default_language: default_default_language(),
        purposes: Vec::new(),
        events: StrMap::new(),
        aggregation: Aggregation::default(),
        expires_days: default_expires_days(),
        reopen: Reopen::default(),
        debug: false,
        history_days: default_history_days(),
        qa: Qa::default(),
        vendors: Vec::new(),
        google_consent_mode: None,
        cookie: None,
        tcf: None,
        schema: None,
        texts: StrMap::new(),
    };
    let (mut site, mut revision, mut purposes) = (None, None, None);
    each("", v, "an object", FIELDS, |at, k, x| {
        match k {
            "site" => site = Some(string(at, x)?),
            "revision" => revision = Some(string(at, x)?),
            "collector" => c.collector = nullable(string)(at, x)?,
            "language" => c.language = string(at, x)?,
            "default_language" => c.default_language = string(at, x)?,
            "purposes" => purposes = Some(list(purpose)(at, x)?),
            "events" => c.events = map(event)(at, x)?,
            "aggregation" => c.aggregation = aggregation(at, x)?,
            "expires_days" => c.expires_days = u32_(at, x)?,
            "reopen" => c.reopen = reopen(at, x)?,
            "debug" => c.debug = boolean(at, x)?,
            "history_days" => c.history_days = u32_(at, x)?,
            "qa" => c.qa = qa(at, x)?,
            "vendors" => c.vendors = list(vendor)(at, x)?,
            "google_consent_mode" => c.google_consent_mode = nullable(map(strings))(at, x)?,
            "cookie" => c.cookie = nullable(cookie)(at, x)?,
            "tcf" => c.tcf = nullable(tcf)(at, x)?,
            // An editor's link to the schema (`candor/schema.json`): read, not used.
            "$schema" => c.schema = Some(string(at, x)?),
            _ => c.texts = map(text)(at, x)?,
        }
        Ok(())
    })?;
    c.site = missing("", "site", site)?;
    c.revision = missing("", "revision", revision)?;
    c.purposes = missing("", "purposes", purposes)?;
    Ok(c)
}

fn purpose(path: &str, v: &J) -> R<Purpose> {
    const FIELDS: &[&str] = &["id", "required", "label", "explain", "benefit", "retention_days", "gpc", "cookies"];
    let mut p = Purpose {
        id: String::new(),
        required: false,
        label: Text::Plain(String::new()),
        explain: Text::Plain(String::new()),
        benefit: Text::Plain(String::new()),
        retention_days: None,
        gpc: default_true(),
        cookies: Vec::new(),
    };
    let (mut id, mut label, mut explain, mut benefit) = (None, None, None, None);
    each(path, v, "an object", FIELDS, |at, k, x| {
        match k {
            "id" => id = Some(string(at, x)?),
            "required" => p.required = boolean(at, x)?,
            "label" => label = Some(text(at, x)?),
            "explain" => explain = Some(text(at, x)?),
            "benefit" => benefit = Some(text(at, x)?),
            "retention_days" => p.retention_days = nullable(u32_in(1, u32::MAX))(at, x)?,
            "gpc" => p.gpc = boolean(at, x)?,
            _ => p.cookies = strings(at, x)?,
        }
        Ok(())
    })?;
    p.id = missing(path, "id", id)?;
    p.label = missing(path, "label", label)?;
    p.explain = missing(path, "explain", explain)?;
    p.benefit = missing(path, "benefit", benefit)?;
    Ok(p)
}

fn event(path: &str, v: &J) -> R<Event> {
    let mut e = Event { purpose: String::new(), fields: StrMap::new(), max_per_window: None };
    let mut purpose = None;
    each(path, v, "an object", &["purpose", "fields", "max_per_window"], |at, k, x| {
        match k {
            "purpose" => purpose = Some(string(&at, x)?),
            "fields" => e.fields = map(field)(&at, x)?,
            _ => e.max_per_window = nullable(u32_in(1, u32::MAX))(&at, x)?,
        }
        Ok(())
    })?;
    e.purpose = missing(path, "purpose", purpose)?;
    Ok(e)
}

/// An internally tagged `Field`: serde buffered the object, so every error
/// inside it names the field's own path.
fn field(path: &str, v: &J) -> R<Field> {
    let entries = match v {
        J::O(entries) => entries,
        // serde took an array's first element as the tag.
        J::A(a) if a.is_empty() => return err(path, "missing field \"kind\"".into()),
        _ => return invalid_type(path, v, "an object with \"kind\": \"category\", \"histogram\", \"sum\" or \"count\""),
    };
    let mut kinds = entries.iter().filter(|(k, _)| k == "kind");
    let Some((_, kind)) = kinds.next() else {
        return err(path, "missing field \"kind\"".into());
    };
    if kinds.next().is_some() {
        return err(path, "duplicate field \"kind\"".into());
    }
    const KINDS: &[&str] = &["category", "histogram", "sum", "count"];
    let kind = match kind {
        J::S(s) if KINDS.contains(&s.as_str()) => s.as_str(),
        J::S(s) => return err(&join(path, "kind"), format!("unknown variant \"{s}\", expected {}", one_of(KINDS))),
        other => return invalid_type(&join(path, "kind"), other, "variant identifier"),
    };
    let fields: &[&str] = match kind {
        "category" => &["values"],
        "histogram" => &["buckets"],
        "sum" => &["min", "max"],
        _ => &[],
    };
    let (mut values, mut buckets, mut min, mut max) = (None, None, None, None);
    let mut seen: Vec<&str> = Vec::new();
    // The tag is not a field of the variant; errors inside carry the field's path.
    for (k, x) in entries.iter().filter(|(k, _)| k != "kind") {
        if !fields.contains(&k.as_str()) {
            return err(path, unknown_field(fields, k));
        }
        if seen.contains(&k.as_str()) {
            return err(path, format!("duplicate field \"{k}\""));
        }
        seen.push(k);
        match k.as_str() {
            // Unlike serde's buffered enum, an error names the member and item.
            "values" => values = Some(strings(&join(path, k), x)?),
            "buckets" => buckets = Some(list(f64_)(&join(path, k), x)?),
            "min" => min = Some(f64_(&join(path, k), x)?),
            _ => max = Some(f64_(&join(path, k), x)?),
        }
    }
    Ok(match kind {
        "category" => Field::Category { values: missing(path, "values", values)? },
        "histogram" => Field::Histogram { buckets: missing(path, "buckets", buckets)? },
        "sum" => Field::Sum { min: missing(path, "min", min)?, max: missing(path, "max", max)? },
        _ => Field::Count {},
    })
}

fn aggregation(path: &str, v: &J) -> R<Aggregation> {
    let mut a = Aggregation { window_seconds: default_window(), noise: None };
    each(path, v, "an object", &["window_seconds", "noise"], |at, k, x| {
        match k {
            "window_seconds" => a.window_seconds = u32_in(1, 86_400)(at, x)?,
            _ => a.noise = nullable(noise)(at, x)?,
        }
        Ok(())
    })?;
    Ok(a)
}

fn noise(path: &str, v: &J) -> R<Noise> {
    let mut epsilon = None;
    each(path, v, "an object", &["epsilon"], |at, _, x| {
        epsilon = Some(f64_(at, x)?);
        Ok(())
    })?;
    Ok(Noise { epsilon: missing(path, "epsilon", epsilon)? })
}

fn reopen(path: &str, v: &J) -> R<Reopen> {
    match v {
        J::S(s) if s == "button" => Ok(Reopen::Button),
        J::S(s) if s == "none" => Ok(Reopen::None),
        J::S(s) => err(path, format!("unknown variant \"{s}\", expected \"button\" or \"none\"")),
        // serde_json also takes `{"button": null}`.
        J::O(e) if e.len() == 1 => match e[0].1 {
            J::Null => reopen(path, &J::S(e[0].0.clone())),
            _ if e[0].0 != "button" && e[0].0 != "none" => reopen(path, &J::S(e[0].0.clone())),
            ref x => invalid_type(path, x, "unit"),
        },
        _ => invalid_type(path, v, "\"button\" or \"none\""),
    }
}

fn qa(path: &str, v: &J) -> R<Qa> {
    let bad = || err(path, "must be true, false or {\"hosts\": [...]}".into());
    match v {
        J::Bool(b) => Ok(Qa::Switch(*b)),
        // An object: its own errors name the key (`qa.hosts[0]`, `qa.host`).
        J::O(_) => {
            let mut hosts = None;
            each(path, v, "an object", &["hosts"], |at, _, x| {
                hosts = Some(strings(at, x)?);
                Ok(())
            })?;
            Ok(Qa::Hosts(QaHosts { hosts: missing(path, "hosts", hosts)? }))
        }
        _ => bad(),
    }
}

fn vendor(path: &str, v: &J) -> R<Vendor> {
    let (mut purpose, mut urls, mut name) = (None, None, None);
    each(path, v, "an object", &["purpose", "urls", "name"], |at, k, x| {
        match k {
            "purpose" => purpose = Some(string(&at, x)?),
            "urls" => urls = Some(strings(&at, x)?),
            _ => name = nullable(string)(&at, x)?,
        }
        Ok(())
    })?;
    Ok(Vendor { purpose: missing(path, "purpose", purpose)?, urls: missing(path, "urls", urls)?, name })
}

fn cookie(path: &str, v: &J) -> R<CookieConfig> {
    let mut c = CookieConfig { enabled: default_true(), domain: None };
    each(path, v, "an object", &["enabled", "domain"], |at, k, x| {
        match k {
            "enabled" => c.enabled = boolean(&at, x)?,
            _ => c.domain = nullable(string)(&at, x)?,
        }
        Ok(())
    })?;
    Ok(c)
}

fn tcf(path: &str, v: &J) -> R<TcfConfig> {
    const FIELDS: &[&str] = &[
        "cmp_id", "cmp_version", "consent_screen", "consent_language", "vendor_list_version", "policy_version",
        "publisher_cc", "gdpr_applies", "vendors", "purposes_map", "publisher_purposes_map",
    ];
    let mut t = TcfConfig {
        cmp_id: 0,
        cmp_version: default_one(),
        consent_screen: default_one_u8(),
        consent_language: None,
        vendor_list_version: 0,
        policy_version: default_policy_version(),
        publisher_cc: String::new(),
        gdpr_applies: default_true(),
        vendors: Vec::new(),
        purposes_map: StrMap::new(),
        publisher_purposes_map: None,
    };
    let (mut cmp_id, mut vlv, mut cc, mut pm) = (None, None, None, None);
    each(path, v, "an object", FIELDS, |at, k, x| {
        match k {
            "cmp_id" => cmp_id = Some(u16_(at, x)?),
            "cmp_version" => t.cmp_version = u16_(at, x)?,
            "consent_screen" => t.consent_screen = u8_(at, x)?,
            "consent_language" => t.consent_language = nullable(string)(at, x)?,
            "vendor_list_version" => vlv = Some(u16_(at, x)?),
            "policy_version" => t.policy_version = u8_(at, x)?,
            "publisher_cc" => cc = Some(string(at, x)?),
            "gdpr_applies" => t.gdpr_applies = boolean(at, x)?,
            "vendors" => t.vendors = list(u16_)(at, x)?,
            "purposes_map" => pm = Some(map(strings)(at, x)?),
            _ => t.publisher_purposes_map = nullable(map(strings))(at, x)?,
        }
        Ok(())
    })?;
    t.cmp_id = missing(path, "cmp_id", cmp_id)?;
    t.vendor_list_version = missing(path, "vendor_list_version", vlv)?;
    t.publisher_cc = missing(path, "publisher_cc", cc)?;
    t.purposes_map = missing(path, "purposes_map", pm)?;
    Ok(t)
}

/// Parses the text (syntax only; see [`config`] for the rest).
pub(crate) fn parse(text: &str) -> Result<J, crate::json::JsonError> {
    crate::json::parse(text)
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use serde_json::{json, Value};

    /// Every value of `doc` replaced by each of a set of wrong values, each
    /// object key removed, and an unknown key added to each object.
    fn variants(doc: &Value, out: &mut Vec<Value>) {
        fn walk(root: &Value, at: &mut Vec<Step>, here: &Value, out: &mut Vec<Value>) {
            let wrong = [json!(null), json!(true), json!(5), json!(-1), json!(1.5), json!(70000), json!(5000000000u64),
                json!("x"), json!([]), json!({}), json!(["a", 1]), json!({"a": 1}), json!({"kind": "sum"})];
            for w in &wrong {
                out.push(set(root, at, Some(w.clone())));
            }
            match here {
                Value::Object(m) => {
                    let mut extra = here.clone();
                    extra.as_object_mut().unwrap().insert("zz_unknown".into(), json!(1));
                    out.push(set(root, at, Some(extra)));
                    for (k, v) in m {
                        at.push(Step::Key(k.clone()));
                        out.push(set(root, at, None));
                        walk(root, at, v, out);
                        at.pop();
                    }
                }
                Value::Array(a) => {
                    for (i, v) in a.iter().enumerate() {
                        at.push(Step::Index(i));
                        walk(root, at, v, out);
                        at.pop();
                    }
                }
                _ => {}
            }
        }
        walk(doc, &mut Vec::new(), doc, out);
    }

    #[derive(Clone)]
    enum Step {
        Key(String),
        Index(usize),
    }

    fn set(root: &Value, at: &[Step], to: Option<Value>) -> Value {
        let mut doc = root.clone();
        let mut v = &mut doc;
        for (i, s) in at.iter().enumerate() {
            let last = i + 1 == at.len();
            match s {
                Step::Key(k) if last && to.is_none() => {
                    v.as_object_mut().unwrap().remove(k);
                    return doc;
                }
                Step::Key(k) => v = v.get_mut(k).unwrap(),
                Step::Index(n) => v = v.get_mut(*n).unwrap(),
            }
        }
        if let Some(to) = to {
            *v = to;
        }
        doc
    }

    fn fixtures() -> Vec<(String, String)> {
        let mut out = Vec::new();
        for dir in ["valid", "invalid", "sdk-only"] {
            let dir = format!("{}/tests/fixtures/config/{dir}", env!("CARGO_MANIFEST_DIR"));
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                out.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap()));
            }
        }
        out
    }

    /// The serde-derived reader's known differences (see the module doc),
    /// and whole numbers written as floats (`60.0`), which serde refused and
    /// JSON Schema's "integer" allows.
    fn known_difference(old: &str) -> bool {
        old.contains(" at line ") || old.contains("invalid length") || old.contains("elements") || whole_float(old)
            // Ours name the member of a field spec (`.min`, `.buckets[2]`), and
            // the rule's range for retention_days, window_seconds and
            // max_per_window, and the key of a `qa` object.
            || (old.contains(".fields.") && !old.contains("kind") && !old.contains("field \"") && !old.contains("an object with"))
            || ((old.contains("retention_days") || old.contains("window_seconds") || old.contains("max_per_window")) && old.contains("from 0 to"))
            || old.starts_with("qa: must be true, false or")
    }

    /// serde quoted every value in its messages (`integer "5"`); ours
    /// quote strings only.
    fn unquote_scalars(m: &str) -> String {
        let mut out = m.to_string();
        for kind in ["boolean", "integer", "floating point"] {
            let pre = format!("{kind} \"");
            while let Some(at) = out.find(&pre) {
                let start = at + pre.len();
                let Some(len) = out[start..].find('"') else { break };
                let value = out[start..start + len].to_string();
                out = format!("{}{kind} {value}{}", &out[..at], &out[start + len + 1..]);
            }
        }
        out
    }

    fn whole_float(old: &str) -> bool {
        let Some(at) = old.find("floating point ") else { return false };
        let n: &str = old[at + 15..].split(',').next().unwrap_or("");
        old.contains("expected a whole number") && n.parse::<f64>().is_ok_and(|x| x.fract() == 0.0)
    }

    /// serde's messages named Rust types; ours say what the JSON must be.
    fn plain(old: Result<Config, String>) -> Result<Config, String> {
        old.map_err(|m| {
            let mut m = m;
            for (max, ty) in [(u32::MAX as u64, "u32"), (u16::MAX as u64, "u16"), (u8::MAX as u64, "u8")] {
                if m.starts_with("invalid value") || m.contains(": invalid value") {
                    m = m.replace(&format!("expected {ty}"), &format!("expected a whole number from 0 to {max}"));
                } else {
                    m = m.replace(&format!("expected {ty}"), "expected a whole number");
                }
            }
            let mut out = String::new();
            let mut rest = m.as_str();
            while let Some(at) = rest.find("struct ") {
                out.push_str(&rest[..at]);
                out.push_str("an object");
                rest = rest[at + 7..].trim_start_matches(|c: char| c.is_ascii_alphanumeric());
            }
            out.push_str(rest);
            let out = unquote_scalars(&out);
            out.replace("internally tagged enum Field", "an object with \"kind\": \"category\", \"histogram\", \"sum\" or \"count\"")
                .replace("enum Reopen", "\"button\" or \"none\"").replace("a sequence", "an array").replace("a map", "an object").replace("expected f64", "expected a number")
        })
    }

    #[test]
    fn same_result_and_message_as_the_serde_reader() {
        let mut checked = 0;
        for (name, text) in fixtures() {
            let old = plain(Config::from_json_serde(&text).map_err(|e| e.to_string()));
            let new = Config::from_json(&text).map_err(|e| e.to_string());
            if !matches!(&old, Err(m) if known_difference(m)) {
                assert_eq!(new, old, "{name}");
            }
            let Ok(doc) = serde_json::from_str::<Value>(&text) else { continue };
            let mut docs = Vec::new();
            variants(&doc, &mut docs);
            for d in docs {
                let t = d.to_string();
                let old = plain(Config::from_json_serde(&t).map_err(|e| e.to_string()));
                if matches!(&old, Err(m) if known_difference(m)) {
                    continue;
                }
                let new = Config::from_json(&t).map_err(|e| e.to_string());
                if matches!(&new, Err(m) if m.contains("invalid type: sequence, expected ")) {
                    continue; // serde read a struct from an array; refusing it is the intended difference
                }
                assert_eq!(new, old, "{name}: {t}");
                checked += 1;
            }
        }
        assert!(checked > 1000, "{checked}");
    }

    #[test]
    fn duplicate_map_keys_are_refused() {
        let base = r#"{"site":"s","revision":"1","purposes":[{"id":"necessary","required":true,"label":"L","explain":"E","benefit":"B"},
            {"id":"stats","label":{"en":"A","en":"B"},"explain":"E","benefit":"B"}]}"#;
        let e = crate::config::Config::from_json(base).unwrap_err().to_string();
        assert!(e.contains("purposes[1].label: duplicate key \"en\""), "{e}");
        let e = crate::config::Config::from_json(&base.replace(r#"{"en":"A","en":"B"}"#, r#"{"en":"A","EN":"B"}"#)).unwrap_err().to_string();
        assert!(e.contains(r#"purposes[1].label: language "EN" is given twice (also as "en"): tags are compared without case"#), "{e}");
        let events = r#"{"site":"s","revision":"1","purposes":[{"id":"necessary","required":true,"label":"L","explain":"E","benefit":"B"},
            {"id":"stats","label":"L","explain":"E","benefit":"B"}],
            "events":{"page_view":{"purpose":"stats"},"page_view":{"purpose":"necessary"}}}"#;
        let e = crate::config::Config::from_json(events).unwrap_err().to_string();
        assert!(e.contains("events: duplicate key \"page_view\""), "{e}");
    }

    #[test]
    fn duplicate_keys_are_refused_not_overwritten() {
        let e = Config::from_json(r#"{"site":"a","site":"b","revision":"r","purposes":[]}"#).unwrap_err();
        assert_eq!(e.to_string(), "config: duplicate field \"site\"");
        let old = Config::from_json_serde(r#"{"site":"a","site":"b","revision":"r","purposes":[]}"#).unwrap_err();
        assert_eq!(old.to_string(), e.to_string());
    }
}
