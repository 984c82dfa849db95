//! The purpose gate: the only way into the aggregator.
//!
//! An event passes when it is declared, its purpose is granted right now,
//! and every field it carries is declared and of the declared kind. Anything
//! else is refused whole, with a reason, and nothing is stored. There is no
//! "uncategorised" path: an event without a declared purpose never passes.
//! The contribution bound (`max_per_window`) is the aggregator's to enforce,
//! because only it knows the window.

use crate::config::{Config, Field};
use crate::consent::Consent;

/// A field value as it crosses from the page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// A string (category fields).
    Text(&'a str),
    /// A number (histogram and sum fields).
    Number(f64),
}

/// Why `track` refused an event. The order matches the loader's `REASONS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The event's purpose is not granted.
    NoConsent,
    /// The event is not declared in config.
    UnknownEvent,
    /// A field is undeclared, of the wrong type, NaN or infinite.
    InvalidField,
    /// The event reached `max_per_window` in this window.
    OverBudget,
    /// The SDK did not boot.
    NotReady,
}

impl Refusal {
    /// How the debug log (`"debug": true`) words it after `track(name)`.
    /// The public API's answers are the loader's (`src/js/loader.js`).
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::NoConsent => "refused: no-consent",
            Refusal::UnknownEvent => "refused: unknown-event",
            Refusal::InvalidField => "refused: invalid-field",
            Refusal::OverBudget => "capped: past max_per_window, accepted but not counted",
            Refusal::NotReady => "refused: not-ready",
        }
    }

    /// 1-based code used across the wasm boundary (0 means accepted).
    pub fn code(self) -> u8 {
        self as u8 + 1
    }
}

/// One field's contribution, already reduced to its cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    /// Index into the category's values; `values.len()` means "other".
    Category(usize),
    /// Bucket index; `buckets.len()` is the overflow bucket.
    Bucket(usize),
    /// The clamped value.
    Sum(f64),
}

/// An event that passed the gate.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation<'c> {
    /// The event name, borrowed from config.
    pub event: &'c str,
    /// Its purpose, borrowed from config.
    pub purpose: &'c str,
    /// Contributions of the fields that were given.
    pub cells: Vec<(&'c str, Cell)>,
}

/// Checks one `track` call against config and consent.
pub fn check<'c>(config: &'c Config, consent: &Consent, name: &str, fields: &[(&str, Value<'_>)]) -> Result<Observation<'c>, Refusal> {
    let (event, decl) = config.events.get_key_value(name).ok_or(Refusal::UnknownEvent)?;
    if !consent.granted(&decl.purpose) {
        return Err(Refusal::NoConsent);
    }
    let mut cells = Vec::with_capacity(fields.len());
    for (i, (fname, value)) in fields.iter().enumerate() {
        if fields[..i].iter().any(|(other, _)| other == fname) {
            return Err(Refusal::InvalidField);
        }
        let (key, field) = decl.fields.get_key_value(*fname).ok_or(Refusal::InvalidField)?;
        let cell = match (field, *value) {
            (Field::Category { values }, Value::Text(s)) => Cell::Category(values.iter().position(|v| v == s).unwrap_or(values.len())),
            (Field::Histogram { buckets }, Value::Number(x)) if x.is_finite() => {
                Cell::Bucket(buckets.iter().position(|b| x <= *b).unwrap_or(buckets.len()))
            }
            (Field::Sum { min, max }, Value::Number(x)) if x.is_finite() => {
                // Not `f64::clamp`: its panic message alone pulls float printing into the wasm
                // (the config guarantees min <= max).
                Cell::Sum(x.max(*min).min(*max))
            }
            (Field::Count {}, Value::Number(x)) if x.is_finite() => continue,
            _ => return Err(Refusal::InvalidField),
        };
        cells.push((key.as_str(), cell));
    }
    Ok(Observation { event, purpose: &decl.purpose, cells })
}

/// For the debug log: which field made [`check`] answer
/// [`Refusal::InvalidField`], and why.
pub fn why_invalid(config: &Config, name: &str, fields: &[(&str, Value<'_>)]) -> String {
    let q = crate::json::quote;
    let Some(decl) = config.events.get(name) else { return String::new() };
    for (i, (fname, value)) in fields.iter().enumerate() {
        if fields[..i].iter().any(|(other, _)| other == fname) {
            return format!("field {} is given twice", q(fname));
        }
        let Some(field) = decl.fields.get(fname) else {
            let declared: Vec<String> = decl.fields.keys().map(|k| q(k)).collect();
            return format!("field {} is not declared for this event (declared: {})", q(fname), if declared.is_empty() { "none".into() } else { declared.join(", ") });
        };
        let wants_text = matches!(field, Field::Category { .. });
        match value {
            Value::Text(_) if !wants_text => return format!("field {} needs a finite number", q(fname)),
            Value::Number(_) if wants_text => return format!("field {} is a category and needs a string", q(fname)),
            Value::Number(x) if !x.is_finite() => return format!("field {} needs a finite number", q(fname)),
            _ => {}
        }
    }
    String::new()
}

/// A purpose's cookie-name glob (`cookies` in the config), deleted when
/// it is withdrawn: `*` matches any run of characters, `?` any one; everything else
/// matches itself (`[` and `]` too: PHP names cookies `cart[1]`).
pub fn cookie_glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut i, mut j) = (0, 0);
    // The last `*` seen, and where in `text` it is matched up to so far.
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            // Let the last `*` take one more character.
            star = Some((si, sj + 1));
            i = si + 1;
            j = sj + 1;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::consent::Method;
    use proptest::prelude::*;

    pub(crate) const CONFIG: &str = r#"{"site":"s","revision":"r","purposes":[
      {"id":"necessary","required":true,"label":"a","explain":"b","benefit":"c"},
      {"id":"stats","label":"a","explain":"b","benefit":"c"},
      {"id":"ads","label":"a","explain":"b","benefit":"c"}],
      "events":{
        "page_view":{"purpose":"stats","fields":{"path":{"kind":"category","values":["/","/shop"]},
                     "load_ms":{"kind":"histogram","buckets":[100,300]}}},
        "purchase":{"purpose":"ads","fields":{"amount":{"kind":"sum","min":0,"max":500},"n":{"kind":"count"}}},
        "heartbeat":{"purpose":"necessary"}}}"#;

    pub(crate) fn config() -> Config {
        Config::from_json(CONFIG).unwrap()
    }

    fn granted(ids: &[&str]) -> Consent {
        let cfg = config();
        let mut c = Consent::undecided(&cfg);
        c.decide(&cfg, ids, &[], Method::Api, 1).unwrap();
        c
    }

    #[test]
    fn the_debug_log_names_the_invalid_field() {
        let cfg = config();
        let why = |f: &[(&str, Value<'_>)]| why_invalid(&cfg, "page_view", f);
        assert_eq!(why(&[("colour", Value::Text("x"))]), r#"field "colour" is not declared for this event (declared: "load_ms", "path")"#);
        assert_eq!(why(&[("path", Value::Number(1.0))]), r#"field "path" is a category and needs a string"#);
        assert_eq!(why(&[("load_ms", Value::Text("1"))]), r#"field "load_ms" needs a finite number"#);
        assert_eq!(why(&[("load_ms", Value::Number(f64::NAN))]), r#"field "load_ms" needs a finite number"#);
        assert_eq!(why(&[("path", Value::Text("/")), ("path", Value::Text("/"))]), r#"field "path" is given twice"#);
        assert_eq!(why_invalid(&cfg, "heartbeat", &[("x", Value::Number(1.0))]), r#"field "x" is not declared for this event (declared: none)"#);
    }

    #[test]
    fn refusal_reasons() {
        let cfg = config();
        let none = Consent::undecided(&cfg);
        assert_eq!(check(&cfg, &none, "nope", &[]), Err(Refusal::UnknownEvent));
        assert_eq!(check(&cfg, &none, "page_view", &[]), Err(Refusal::NoConsent), "undecided means no");
        let c = granted(&["stats"]);
        assert_eq!(check(&cfg, &c, "purchase", &[]), Err(Refusal::NoConsent));
        for bad in [
            vec![("path", Value::Number(1.0))],
            vec![("load_ms", Value::Text("1"))],
            vec![("load_ms", Value::Number(f64::NAN))],
            vec![("load_ms", Value::Number(f64::INFINITY))],
            vec![("nope", Value::Text("/"))],
            vec![("path", Value::Text("/")), ("path", Value::Text("/"))],
        ] {
            assert_eq!(check(&cfg, &c, "page_view", &bad), Err(Refusal::InvalidField), "{bad:?}");
        }
    }

    #[test]
    fn cells_are_reduced_to_declared_values() {
        let cfg = config();
        let c = granted(&["stats", "ads"]);
        let o = check(&cfg, &c, "page_view", &[("path", Value::Text("/shop")), ("load_ms", Value::Number(300.0))]).unwrap();
        assert_eq!(o.cells, vec![("path", Cell::Category(1)), ("load_ms", Cell::Bucket(1))]);
        let o = check(&cfg, &c, "page_view", &[("path", Value::Text("/secret?email=a@b")), ("load_ms", Value::Number(1e9))]).unwrap();
        assert_eq!(o.cells, vec![("path", Cell::Category(2)), ("load_ms", Cell::Bucket(2))], "unlisted → other, big → overflow");
        let o = check(&cfg, &c, "purchase", &[("amount", Value::Number(9999.0)), ("n", Value::Number(3.0))]).unwrap();
        assert_eq!(o.cells, vec![("amount", Cell::Sum(500.0))]);
        assert_eq!(check(&cfg, &c, "purchase", &[("amount", Value::Number(-5.0))]).unwrap().cells, vec![("amount", Cell::Sum(0.0))]);
    }

    #[test]
    fn required_purposes_need_no_decision() {
        let cfg = config();
        assert!(check(&cfg, &Consent::undecided(&cfg), "heartbeat", &[]).is_ok());
    }

    proptest! {
        /// For every consent state, event and fields: accepted implies granted.
        #[test]
        fn accepted_implies_granted(
            stats in any::<bool>(), ads in any::<bool>(), decided in any::<bool>(),
            name in prop_oneof![Just("page_view"), Just("purchase"), Just("heartbeat"), Just("nope")],
            fields in prop::collection::vec((prop_oneof![Just("path"), Just("load_ms"), Just("amount"), Just("x")],
                prop_oneof![any::<f64>().prop_map(Some), Just(None)]), 0..4),
        ) {
            let cfg = config();
            let mut c = Consent::undecided(&cfg);
            if decided {
                let grant: Vec<&str> = [("stats", stats), ("ads", ads)].iter().filter(|x| x.1).map(|x| x.0).collect();
                c.decide(&cfg, &grant, &[], Method::Api, 1).unwrap();
            }
            let fields: Vec<(&str, Value)> = fields.iter().map(|(k, v)| (*k, v.map(Value::Number).unwrap_or(Value::Text("/")))).collect();
            if let Ok(o) = check(&cfg, &c, name, &fields) {
                prop_assert!(c.granted(o.purpose));
                prop_assert!(cfg.purpose(o.purpose).unwrap().required || (decided && c.granted(o.purpose)));
            }
        }
    }

    #[test]
    fn cookie_globs_match_star_and_question_mark() {
        use super::cookie_glob as g;
        assert!(g("_ga*", "_ga") && g("_ga*", "_ga_XYZ") && !g("_ga*", "x_ga"));
        assert!(g("ad?", "ad1") && g("ad?", "adx") && !g("ad?", "ad") && !g("ad?", "ad12"));
        assert!(g("*_id*", "x_idy") && g("a*b*c", "aXbYbZc") && !g("a*b*c", "aXbYbZ"));
        assert!(g("*", "") && g("**", "any") && g("x", "x") && !g("x", "xy"));
        assert!(g("é?", "éü") && !g("?", "éé"));
        assert!(g("cart[1]", "cart[1]") && g("cart[*]", "cart[7]") && !g("x[12]", "x1"));
    }
}
