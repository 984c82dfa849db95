//! The site config: parsed once, validated completely, then read-only.
//!
//! A config is either valid as a whole or rejected as a whole: an invalid
//! config must never be half-applied (a typo in a purpose id must not quietly
//! grant or drop anything). Structural errors (wrong types, unknown keys) come
//! from the reader in `config/read.rs` with the JSON path attached; semantic rules (cross references,
//! ordering, ranges) are checked afterwards by [`Config::validate`]. Every error
//! names the JSON path and the rule, e.g.
//! `events.purchase.purpose: unknown purpose "ads"`.

use crate::map::StrMap;
use std::fmt;
use crate::json::quote as q;

#[cfg(test)]
use serde::Deserialize;
use serde::Serialize;

pub(crate) mod read;

/// Default consent lifetime before the visitor is asked again.
pub const DEFAULT_EXPIRES_DAYS: u32 = 182;

/// Google Consent Mode's consent types (v2), the keys `google_consent_mode` accepts.
pub const GCM_TYPES: &[&str] = &[
    "ad_storage", "ad_user_data", "ad_personalization", "analytics_storage",
    "functionality_storage", "personalization_storage", "security_storage",
];
/// Default per-event contribution bound per window, when reports are noised.
pub const DEFAULT_MAX_PER_WINDOW: u32 = 100;
/// Default aggregation window.
pub const DEFAULT_WINDOW_SECONDS: u32 = 60;

/// A validated site config.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The site's name as the collector knows it.
    pub site: String,
    /// Changing it asks every visitor again.
    pub revision: String,
    /// Where reports are POSTed. `null` disables uploads.
    #[serde(default = "default_collector")]
    pub collector: Option<String>,
    /// `"auto"` follows the browser, otherwise a language tag.
    #[serde(default = "default_language")]
    pub language: String,
    /// The language config texts fall back to.
    #[serde(default = "default_default_language")]
    pub default_language: String,
    /// What the site would like to do, one entry per purpose.
    pub purposes: Vec<Purpose>,
    /// Every event the site may record, keyed by event name.
    #[serde(default)]
    pub events: StrMap<Event>,
    /// How events are turned into reports.
    #[serde(default)]
    pub aggregation: Aggregation,
    /// Days a decision stays valid.
    #[serde(default = "default_expires_days")]
    pub expires_days: u32,
    /// Whether a persistent "Privacy choices" control is shown after a decision.
    #[serde(default)]
    pub reopen: Reopen,
    /// Log every refused `track` call with its reason.
    #[serde(default)]
    pub debug: bool,
    /// Days the local history of sent reports is kept.
    #[serde(default = "default_history_days")]
    pub history_days: u32,
    /// QA presets: `true`, `false`, or `{hosts: [...]}`.
    #[serde(default)]
    pub qa: Qa,
    /// Vendors' URL patterns per purpose (used by the QA leak checks).
    #[serde(default)]
    pub vendors: Vec<Vendor>,
    /// Google Consent Mode v2 mapping: consent type → purposes that must all be granted.
    #[serde(default)]
    pub google_consent_mode: Option<StrMap<Vec<String>>>,
    /// First-party decision cookie settings.
    #[serde(default)]
    pub cookie: Option<CookieConfig>,
    /// IAB TCF v2.2 CMP settings (see `tcf.rs`).
    #[serde(default)]
    pub tcf: Option<TcfConfig>,
    /// `"$schema"`: where an editor finds the config's JSON Schema. Not used.
    #[serde(rename = "$schema", default, skip_serializing)]
    pub schema: Option<String>,
    /// Overrides of built-in UI strings, keyed by string id.
    #[serde(default)]
    pub texts: StrMap<Text>,
}

fn default_collector() -> Option<String> {
    Some("/v1/reports".into())
}
fn default_language() -> String {
    "auto".into()
}
fn default_default_language() -> String {
    "en".into()
}
fn default_expires_days() -> u32 {
    DEFAULT_EXPIRES_DAYS
}
fn default_history_days() -> u32 {
    30
}
fn default_true() -> bool {
    true
}

/// One purpose the site asks for.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct Purpose {
    /// Stable id, `^[a-z][a-z0-9_-]{0,31}$`.
    pub id: String,
    /// Required purposes need no consent and cannot be switched off.
    #[serde(default)]
    pub required: bool,
    /// Short name.
    pub label: Text,
    /// What is collected and why.
    pub explain: Text,
    /// What the visitor gets in return.
    pub benefit: Text,
    /// How long data for this purpose is kept, in days.
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// Whether Global Privacy Control applies to this purpose.
    #[serde(default = "default_true")]
    pub gpc: bool,
    /// Cookie name globs deleted when this purpose is withdrawn.
    #[serde(default)]
    pub cookies: Vec<String>,
}

/// A text, either one string or a map from language tag to string.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(untagged)]
pub enum Text {
    /// The same text in every language.
    Plain(String),
    /// Per-language texts.
    Localized(StrMap<String>),
}

impl Text {
    /// The text for the first language in `chain` that has one, else any.
    pub fn resolve<'a>(&'a self, chain: &[String]) -> &'a str {
        self.resolve_tagged(chain).0
    }

    /// [`Text::resolve`], with the language tag of the text picked (`None`
    /// for a plain text, which stands for every language).
    pub fn resolve_tagged<'a>(&'a self, chain: &[String]) -> (&'a str, Option<&'a str>) {
        match self {
            Text::Localized(map) => {
                // Each language of the chain in turn: its own tag, else (once
                // the chain has no other tag of that language left) another
                // region of it: "pt-BR" texts for a "pt-PT" visitor, before
                // any other language.
                let primary = |t: &str| t.split('-').next().unwrap_or(t).to_ascii_lowercase();
                chain
                    .iter()
                    .enumerate()
                    .find_map(|(i, lang)| {
                        let exact = map.iter().find(|(k, _)| k.eq_ignore_ascii_case(lang));
                        let last_of_its_language = chain[i + 1..].iter().all(|l| primary(l) != primary(lang));
                        exact.or_else(|| map.iter().find(|(k, _)| last_of_its_language && primary(k) == primary(lang)))
                    })
                    .or_else(|| map.iter().next())
                    .map_or(("", None), |(k, v)| (v.as_str(), Some(k.as_str())))
            }
            Text::Plain(s) => (s, None),
        }
    }

    /// The text for the first language in `chain` that has one; `None` when
    /// it has none of them (a plain text stands for every language).
    pub fn resolve_in<'a>(&'a self, chain: &[String]) -> Option<&'a str> {
        match self {
            Text::Plain(s) => Some(s),
            // Tags compare without case: "pt-BR" in a config is "pt-br" in the chain.
            Text::Localized(map) => chain.iter().find_map(|lang| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(lang))).map(|(_, v)| v.as_str()),
        }
    }

    fn entries(&self) -> Vec<(Option<&str>, &str)> {
        match self {
            Text::Plain(s) => vec![(None, s.as_str())],
            Text::Localized(map) => map.iter().map(|(k, v)| (Some(k.as_str()), v.as_str())).collect(),
        }
    }
}

/// A declared event.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// The purpose every record of this event serves.
    pub purpose: String,
    /// Declared fields; anything else is refused.
    #[serde(default)]
    pub fields: StrMap<Field>,
    /// Contribution bound: events accepted per window, as given; see
    /// [`Config::max_per_window`] for the bound applied.
    #[serde(default)]
    pub max_per_window: Option<u32>,
}

/// How one field of an event is aggregated.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Field {
    /// One of the listed values; anything else counts as `"other"`.
    Category {
        /// Allowed values.
        values: Vec<String>,
    },
    /// Bucket upper bounds (inclusive), plus an overflow bucket.
    Histogram {
        /// Strictly increasing upper bounds.
        buckets: Vec<f64>,
    },
    /// A sum of values clamped to `[min, max]`.
    Sum {
        /// Lower clamp.
        min: f64,
        /// Upper clamp.
        max: f64,
    },
    /// The event itself is counted; the field carries no value.
    Count {},
}

/// Aggregation settings.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct Aggregation {
    /// Window length in seconds.
    #[serde(default = "default_window")]
    pub window_seconds: u32,
    /// Optional local noise.
    #[serde(default)]
    pub noise: Option<Noise>,
}

fn default_window() -> u32 {
    DEFAULT_WINDOW_SECONDS
}

impl Default for Aggregation {
    fn default() -> Self {
        Aggregation { window_seconds: DEFAULT_WINDOW_SECONDS, noise: None }
    }
}

/// Local differential-privacy noise.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct Noise {
    /// Privacy budget per report.
    pub epsilon: f64,
}

/// The reopen control after a decision.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "lowercase")]
pub enum Reopen {
    /// A small persistent "Privacy choices" button.
    #[default]
    Button,
    /// Nothing; the site provides `data-candor-open` or calls `candor.open()`.
    None,
}

/// QA mode switch.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(untagged)]
pub enum Qa {
    /// On or off everywhere.
    Switch(bool),
    /// On for the listed hosts only.
    Hosts(QaHosts),
    /// Off.
    #[default]
    #[serde(skip)]
    Off,
}

/// QA mode limited to hosts.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct QaHosts {
    /// Host names where QA presets are honoured.
    pub hosts: Vec<String>,
}

impl Qa {
    /// Whether QA presets are honoured on `host`.
    pub fn enabled_on(&self, host: &str) -> bool {
        match self {
            Qa::Switch(on) => *on,
            Qa::Hosts(h) => h.hosts.iter().any(|x| x.eq_ignore_ascii_case(host)),
            Qa::Off => false,
        }
    }
}

/// A vendor's URL patterns, tied to a purpose.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct Vendor {
    /// The purpose the vendor's requests serve.
    pub purpose: String,
    /// URL globs (`*` matches anything).
    pub urls: Vec<String>,
    /// Optional display name.
    #[serde(default)]
    pub name: Option<String>,
}

/// Settings of the `candor_consent` decision cookie.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct CookieConfig {
    /// Set the cookie at all.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Cookie domain (defaults to the current host).
    #[serde(default)]
    pub domain: Option<String>,
}

/// IAB TCF settings: the site's CMP registration, its vendor list, and how
/// TCF purposes map to Candor purposes.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct TcfConfig {
    /// CMP id registered with IAB Europe (2..=4095).
    pub cmp_id: u16,
    /// CMP version (0..=4095).
    #[serde(default = "default_one")]
    pub cmp_version: u16,
    /// Screen number recorded in the string (0..=63).
    #[serde(default = "default_one_u8")]
    pub consent_screen: u8,
    /// Two letters; defaults to `default_language`'s primary subtag.
    #[serde(default)]
    pub consent_language: Option<String>,
    /// Version of the site's copy of the Global Vendor List (1..=4095).
    pub vendor_list_version: u16,
    /// TCF policy version: 4 (TCF v2.2, default) or 5 (v2.3).
    #[serde(default = "default_policy_version")]
    pub policy_version: u8,
    /// The publisher's country, two letters.
    pub publisher_cc: String,
    /// Whether GDPR applies (`gdprApplies` in the CMP API).
    #[serde(default = "default_true")]
    pub gdpr_applies: bool,
    /// GVL vendor ids the site works with.
    #[serde(default)]
    pub vendors: Vec<u16>,
    /// TCF purpose id ("1".."11") → Candor purposes that must all be granted.
    pub purposes_map: StrMap<Vec<String>>,
    /// Same for the publisher TC segment; the segment is written only when set.
    #[serde(default)]
    pub publisher_purposes_map: Option<StrMap<Vec<String>>>,
}

fn default_one() -> u16 {
    1
}
fn default_one_u8() -> u8 {
    1
}
fn default_policy_version() -> u8 {
    4
}

/// A config error: where, and which rule was broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    path: String,
    message: String,
}

impl ConfigError {
    #[cold]
    fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { path: path.into(), message: message.into() }
    }

    /// The JSON path of the offending value (`""` for the whole document).
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "config: {}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// Purpose ids: `^[a-z][a-z0-9_-]{0,31}$`.
pub fn is_purpose_id(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
}

/// Event and field names: `^[A-Za-z][A-Za-z0-9_.:-]{0,63}$`.
pub fn is_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b':' | b'-'))
}

/// `host`, `host:port` or `[v6]`/`[v6]:port`: what fetch needs to reach a
/// collector (an empty host, an open bracket or credentials make every
/// request fail).
fn is_authority(a: &str) -> bool {
    let (host, port) = match a.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((inner, after)) if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') => {
                match after {
                    "" => (inner, None),
                    p => match p.strip_prefix(':') {
                        Some(p) => (inner, Some(p)),
                        None => return false,
                    },
                }
            }
            _ => return false,
        },
        None => match a.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (a, None),
        },
    };
    let host_ok = !host.is_empty() && !host.chars().any(|c| is_space(c) || "@\\[]<>^|%\"`{}".contains(c));
    // An empty port ("host:/") is the scheme's default, as browsers read it.
    let port_ok = port.is_none_or(|p| p.is_empty() || (p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u32>().is_ok_and(|n| n <= 65535)));
    host_ok && port_ok
}

/// A cookie `Domain`: dot-separated labels of letters, digits and hyphens
/// (a leading dot is allowed, as browsers ignore it).
fn is_cookie_domain(d: &str) -> bool {
    let d = d.strip_prefix('.').unwrap_or(d);
    !d.is_empty()
        && d.len() <= 253
        && d.split('.').all(|l| !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// The collector refuses a report body over 64 KB (`413`).
pub const MAX_REPORT_BYTES: usize = 64 * 1024;

/// Language tags: `^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$`, at most 35
/// characters (RFC 5646's bound for any tag in practical use, and what the
/// collector takes in a receipt's `language`).
pub fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let first = parts.next().unwrap_or("");
    s.len() <= 35
        && (2..=3).contains(&first.len())
        && first.bytes().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphanumeric()))
}

const MAX_TEXT: usize = 2000;

/// White space as the config's JSON Schema means it (`\s` in its
/// patterns, JavaScript's): Unicode's White_Space, less U+0085, plus the
/// byte-order mark U+FEFF. So the schema and the SDK accept the same configs.
pub fn is_space(c: char) -> bool {
    c == '\u{feff}' || (c.is_whitespace() && c != '\u{85}')
}

/// Characters that take no visible space: soft hyphen, joiners, direction
/// marks and overrides, fillers, variation selectors, blank Braille. A text
/// of only these and white space shows as blank (a button with no name).
/// The schema's text pattern lists the same.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}' | '\u{180b}'..='\u{180f}'
        | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{2800}' | '\u{3164}'
        | '\u{fe00}'..='\u{fe0f}' | '\u{ffa0}' | '\u{fff0}'..='\u{fffb}'
        // Beyond the BMP: shorthand, musical (and the null notehead) and
        // Egyptian format controls; tags and variation selectors 17-256.
        | '\u{1bca0}'..='\u{1bca3}' | '\u{1d159}' | '\u{1d173}'..='\u{1d17a}' | '\u{13430}'..='\u{1345f}' | '\u{e0000}'..='\u{e0fff}')
}

/// Combining marks of the generic blocks (diacritics, their extensions and
/// supplement, marks for symbols, half marks, musical combining marks):
/// alone, with no letter to sit on, they show as a stray accent or nothing.
/// The schema's text pattern lists the BMP ones.
pub fn is_combining(c: char) -> bool {
    matches!(c,
        '\u{300}'..='\u{36f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}' | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}'
        | '\u{1d165}'..='\u{1d169}' | '\u{1d16d}'..='\u{1d172}' | '\u{1d17b}'..='\u{1d182}' | '\u{1d185}'..='\u{1d18b}' | '\u{1d1aa}'..='\u{1d1ad}')
}

/// White space, invisible or a lone combining mark: what a text of nothing
/// else shows as blank.
fn is_blank(c: char) -> bool {
    is_space(c) || is_invisible(c) || is_combining(c)
}

/// A text as it looks, for telling whether two buttons read alike: its
/// letters mapped to the Latin ones they pass for (full-width forms, the
/// Mathematical Alphanumeric Symbols block's bold, script, sans-serif...,
/// Cyrillic, Greek and Cherokee look-alikes, small capitals, Roman
/// numerals, the accented letters of Latin-1 and Latin Extended-A as their
/// base letter, as the same accent written as a combining mark is left
/// out with the invisible characters), then white space, invisible characters and punctuation left
/// out (unless nothing else is left). Each character is kept with a second
/// reading when its shape passes for another letter: capital I, the digit
/// 1, `|` and a dotless i for a lowercase l, the digit 0 for o.
fn look_alike(s: &str) -> Vec<(char, Option<char>)> {
    const SAME: [(&str, &str); 5] = [
        ("аеорсухіјѕԁһӏӀԛԝАВЕКМНОРСТХІЈЅУ", "aeopcyxijsdhlIqwABEKMHOPCTXIJSY"),
        ("οανικρυΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "oavikpuABEZHIKMNOPTYX"),
        ("ᎪᏴᏟᎬᏀᎻᎫᏦᏞᎷᏢᏚᎢᏙᎳᏃ", "ABCEGHJKLMPSTVWZ"),
        ("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ", "abcdefghIjklmnoprstuvwyz"),
        ("ⅠⅤⅩⅬⅭⅮⅯⅰⅴⅹⅼⅽⅾⅿ", "IVXLCDMivxlcdm"),
    ];
    // U+00C0-U+00FF and U+0100-U+017F by their base letter ('.': kept as is).
    const ACCENTED: &[u8; 64] = b"AAAAAA.CEEEEIIIIDNOOOOO.OUUUUY..aaaaaa.ceeeeiiiidnooooo.ouuuuy.y";
    const EXTENDED: &[u8; 128] = b"AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiI...JjKk.LlLlLlLlLlNnNnNn...OoOoOo..RrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZz.";
    let latin = s.chars().map(|c| {
        let n = c as u32;
        let base = |table: &[u8], at: u32| Some(table[at as usize]).filter(|b| *b != b'.').map_or(c, char::from);
        let c = match c {
            '\u{c0}'..='\u{ff}' => base(ACCENTED, n - 0xc0),
            '\u{100}'..='\u{17f}' => base(EXTENDED, n - 0x100),
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(n - 0xfee0).unwrap_or(c),
            // 13 styles of A-Z a-z, then digits in 5 styles.
            '\u{1d400}'..='\u{1d6a3}' => char::from(match ((n - 0x1d400) % 52) as u8 { i @ 0..=25 => b'A' + i, i => b'a' + i - 26 }),
            '\u{1d7ce}'..='\u{1d7ff}' => char::from(b'0' + ((n - 0x1d7ce) % 10) as u8),
            _ => c,
        };
        SAME.iter().find_map(|(from, to)| from.chars().position(|f| f == c).and_then(|i| to.chars().nth(i))).unwrap_or(c)
    });
    let punctuation = |c: char| c != '|' && (c.is_ascii_punctuation() || matches!(c, '\u{a1}' | '\u{ab}' | '\u{bb}' | '\u{bf}' | '\u{2010}'..='\u{205e}' | '\u{3000}'..='\u{3003}'));
    let words: Vec<char> = latin.clone().filter(|c| !is_blank(*c) && !punctuation(*c)).collect();
    let shown = if words.is_empty() { latin.filter(|c| !is_blank(*c)).collect() } else { words };
    shown
        .into_iter()
        .map(|c| {
            let other = match c {
                'I' | '1' | '|' | '\u{131}' => Some('l'),
                '0' => Some('o'),
                _ => None,
            };
            (if c == '\u{131}' { 'i' } else { c.to_ascii_lowercase() }, other)
        })
        .collect()
}

/// Whether two texts read alike (see [`look_alike`]): character by
/// character, the same letter whatever its case, or one of them read as the
/// other ("ACCEPT ALL" and "Accept aIl" do).
fn read_alike(a: &str, b: &str) -> bool {
    let (a, b) = (look_alike(a), look_alike(b));
    a.len() == b.len() && a.iter().zip(&b).all(|(&(x, x2), &(y, y2))| x == y || x2 == Some(y) || y2 == Some(x) || (x2.is_some() && x2 == y2))
}

impl Config {
    /// Parses and validates a config document.
    pub fn from_json(text: &str) -> Result<Config, ConfigError> {
        // A byte order mark, as an editor may save: a config fetched by URL
        // loses it in the browser's decoding, an inline one does not.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // Syntax first, so a comment or a stray character before the object
        // is named with its line and column.
        let doc = read::parse(text).map_err(|e| ConfigError::new("", format!("not valid JSON: {e}")))?;
        // serde would read a struct from an array too; a config is an object.
        if !matches!(doc, read::J::O(_)) {
            return Err(ConfigError::new("", "must be a JSON object"));
        }
        let config = read::config(&doc)?;
        config.validate()?;
        Ok(config)
    }

    /// The serde-derived reader this replaced, kept to check the new one against.
    #[cfg(test)]
    pub(crate) fn from_json_serde(text: &str) -> Result<Config, ConfigError> {
        if !text.trim_start().starts_with('{') {
            return Err(ConfigError::new("", "must be a JSON object"));
        }
        let de = &mut serde_json::Deserializer::from_str(text);
        let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
            let inner = e.inner();
            if inner.is_syntax() || inner.is_eof() {
                return ConfigError::new("", format!("not valid JSON: {inner}"));
            }
            let path = e.path().to_string();
            let path = if path == "." || path == "?" { String::new() } else { path };
            ConfigError::new(path, clean_serde_message(&inner.to_string()))
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every rule serde cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_len("site", &self.site, 1, 253)?;
        if self.site.chars().any(|c| is_space(c) || c == ',') {
            // The collector's --sites is a comma-separated list.
            return Err(ConfigError::new("site", "must not contain white space or ','"));
        }
        check_len("revision", &self.revision, 1, 64)?;
        if self.revision.chars().all(is_space) {
            return Err(ConfigError::new("revision", "must hold some text, not only white space"));
        }
        // URL parsers read these as path steps: GET /v1/revisions/{revision}
        // could not be asked for from a browser.
        if self.revision == "." || self.revision == ".." {
            return Err(ConfigError::new("revision", "must not be \".\" or \"..\": in the collector's /v1/revisions/{revision} URL they would be read as path steps"));
        }
        if let Some(c) = &self.collector {
            // "//host/..." and "/\host/..." are URLs of another host to a
            // browser, not paths; so is "/<tab>/host", as URLs drop tabs and
            // line breaks.
            if c.chars().any(char::is_control) {
                return Err(ConfigError::new("collector", "must not contain control characters"));
            }
            let path = c.starts_with('/') && !c.starts_with("//") && !c.starts_with("/\\");
            let url = c.strip_prefix("https://").or_else(|| c.strip_prefix("http://"));
            if !(path || url.is_some()) {
                return Err(ConfigError::new("collector", "must be a path starting with a single \"/\" or an http(s) URL"));
            }
            if let Some(rest) = url {
                if !is_authority(rest.split(['/', '\\', '?', '#']).next().unwrap_or("")) {
                    return Err(ConfigError::new(
                        "collector",
                        format!("must name a host (and optional port) after the scheme, without user or password, got {}", q(c)),
                    ));
                }
            }
        }
        if self.language != "auto" && !is_language_tag(&self.language) {
            return Err(ConfigError::new("language", format!("must be \"auto\" or a language tag of at most 35 characters, got {}", q(&self.language))));
        }
        if !is_language_tag(&self.default_language) {
            return Err(ConfigError::new("default_language", "must be a language tag such as \"en\" (at most 35 characters)"));
        }
        if self.purposes.is_empty() {
            return Err(ConfigError::new("purposes", "must list at least one purpose"));
        }
        if self.purposes.len() > 32 {
            return Err(ConfigError::new("purposes", "must list at most 32 purposes"));
        }
        for (i, p) in self.purposes.iter().enumerate() {
            let at = format!("purposes[{i}]");
            if !is_purpose_id(&p.id) {
                return Err(ConfigError::new(format!("{at}.id"), format!("{} must match ^[a-z][a-z0-9_-]{{0,31}}$", q(&p.id))));
            }
            if self.purposes[..i].iter().any(|q| q.id == p.id) {
                return Err(ConfigError::new(format!("{at}.id"), format!("duplicate purpose id {}", q(&p.id))));
            }
            check_text(&format!("{at}.label"), &p.label, 200)?;
            check_text(&format!("{at}.explain"), &p.explain, MAX_TEXT)?;
            check_text(&format!("{at}.benefit"), &p.benefit, MAX_TEXT)?;
            if let Some(0) = p.retention_days {
                return Err(ConfigError::new(format!("{at}.retention_days"), "must be at least 1"));
            }
            for (j, c) in p.cookies.iter().enumerate() {
                check_len(&format!("{at}.cookies[{j}]"), c, 1, 128)?;
                if c.contains(|ch: char| is_space(ch) || ";=,".contains(ch)) {
                    return Err(ConfigError::new(format!("{at}.cookies[{j}]"), "must be a cookie name glob without white space, ';', '=' or ','"));
                }
            }
        }
        if self.events.len() > 64 {
            return Err(ConfigError::new("events", "must declare at most 64 events"));
        }
        for (name, ev) in &self.events {
            let at = format!("events.{name}");
            if !is_name(name) {
                return Err(ConfigError::new(at, "event name must match ^[A-Za-z][A-Za-z0-9_.:-]{0,63}$"));
            }
            if self.purpose(&ev.purpose).is_none() {
                return Err(ConfigError::new(format!("{at}.purpose"), format!("unknown purpose {}", q(&ev.purpose))));
            }
            if ev.max_per_window == Some(0) {
                return Err(ConfigError::new(format!("{at}.max_per_window"), "must be at least 1"));
            }
            if ev.fields.len() > 16 {
                return Err(ConfigError::new(format!("{at}.fields"), "must declare at most 16 fields"));
            }
            for (fname, field) in &ev.fields {
                check_field(&format!("{at}.fields.{fname}"), fname, field)?;
            }
        }
        let agg = &self.aggregation;
        if !(1..=86_400).contains(&agg.window_seconds) {
            return Err(ConfigError::new("aggregation.window_seconds", "must be between 1 and 86400"));
        }
        if let Some(n) = agg.noise {
            if !(n.epsilon.is_finite() && n.epsilon > 0.0 && n.epsilon <= 100.0) {
                return Err(ConfigError::new("aggregation.noise.epsilon", "must be a number greater than 0 and at most 100"));
            }
        }
        if !(1..=3650).contains(&self.expires_days) {
            return Err(ConfigError::new("expires_days", "must be between 1 and 3650"));
        }
        if !(1..=3650).contains(&self.history_days) {
            return Err(ConfigError::new("history_days", "must be between 1 and 3650"));
        }
        for (i, v) in self.vendors.iter().enumerate() {
            if self.purpose(&v.purpose).is_none() {
                return Err(ConfigError::new(format!("vendors[{i}].purpose"), format!("unknown purpose {}", q(&v.purpose))));
            }
        }
        if let Some(gcm) = &self.google_consent_mode {
            for (kind, ids) in gcm {
                // Google's consent types: a misspelt one would leave the
                // real type without a default, which tags read as granted.
                if !GCM_TYPES.contains(&kind.as_str()) {
                    return Err(ConfigError::new(
                        format!("google_consent_mode.{kind}"),
                        format!("unknown Consent Mode type {}, expected one of \"{}\"", q(kind), GCM_TYPES.join("\", \"")),
                    ));
                }
                for (j, id) in ids.iter().enumerate() {
                    if self.purpose(id).is_none() {
                        return Err(ConfigError::new(format!("google_consent_mode.{kind}[{j}]"), format!("unknown purpose {}", q(id))));
                    }
                }
                // The ads and analytics types stand for the visitor's consent:
                // mapped to required purposes only, "Reject all" would grant them.
                if GCM_TYPES[..4].contains(&kind.as_str()) && ids.iter().all(|id| self.purpose(id).is_some_and(|p| p.required)) && !ids.is_empty() {
                    return Err(ConfigError::new(
                        format!("google_consent_mode.{kind}"),
                        "maps only to required purposes, so it would be granted without the visitor's consent (\"Reject all\" too); map it to an optional purpose",
                    ));
                }
            }
        }
        if let Some(domain) = self.cookie.as_ref().and_then(|c| c.domain.as_deref()) {
            if !is_cookie_domain(domain) {
                return Err(ConfigError::new(
                    "cookie.domain",
                    format!("must be a host name such as \"shop.example\" (letters, digits, dots, hyphens), got {}", q(domain)),
                ));
            }
        }
        if let Some(tcf) = &self.tcf {
            self.check_tcf(tcf)?;
        }
        for (key, text) in &self.texts {
            if !crate::texts::KEYS.contains(&key.as_str()) {
                return Err(ConfigError::new(format!("texts.{key}"), format!("unknown text id; expected one of {}", crate::texts::KEYS.join(", "))));
            }
            check_text(&format!("texts.{key}"), text, MAX_TEXT)?;
            check_placeholders(&format!("texts.{key}"), key, text)?;
        }
        self.check_buttons()?;
        Ok(())
    }

    /// Events whose report could be too large for the collector even alone
    /// (reports are split by event, see [`crate::report::Report::split`]):
    /// with every declared cell in it, as a noised report always has and an
    /// exact one has when every value was counted in one window. An
    /// estimate (numbers taken as 7 characters), so the shell warns and
    /// never refuses the config on it; a report that really is too large is
    /// dropped with an error when it is built.
    pub fn oversized_events(&self) -> Vec<(&str, usize)> {
        self.events
            .iter()
            .map(|(name, e)| (name.as_str(), self.report_head_bytes(&e.purpose) + event_bytes(name, e)))
            .filter(|(_, n)| *n > MAX_REPORT_BYTES)
            .collect()
    }

    /// About how long a report of `purpose` with every cell of its events is
    /// (its parts together, when it is split).
    pub fn noised_report_bytes(&self, purpose: &str) -> usize {
        let events = self.events.iter().filter(|(_, e)| e.purpose == purpose);
        self.report_head_bytes(purpose) + events.map(|(name, e)| event_bytes(name, e)).sum::<usize>()
    }

    /// A report's bytes around its events.
    fn report_head_bytes(&self, purpose: &str) -> usize {
        300 + self.site.len() + self.revision.len() + purpose.len()
    }

    /// "Accept all" and "Reject all" must read differently for every
    /// visitor: a reject button worded as acceptance (or the reverse) makes
    /// the choice a trick. Checked on the buttons as the prompt resolves them
    /// (overrides, regional tags, built-in strings) for every language a
    /// visitor could get, compared as they look ([`read_alike`]).
    fn check_buttons(&self) -> Result<(), ConfigError> {
        let (accept, reject) = (self.texts.get("accept_all"), self.texts.get("reject_all"));
        if accept.is_none() && reject.is_none() {
            return Ok(());
        }
        let keys = |t: Option<&Text>| match t {
            Some(Text::Localized(m)) => m.keys().cloned().collect(),
            _ => Vec::new(),
        };
        // Each language once (a resolve parses built-in strings).
        let mut langs: Vec<String> = Vec::new();
        let candidates = crate::texts::BUILTIN.iter().map(|(l, _)| l.to_string()).chain(keys(accept)).chain(keys(reject));
        for l in candidates.chain([self.default_language.clone(), self.language.clone()]) {
            if !langs.contains(&l) {
                langs.push(l);
            }
        }
        for lang in langs.iter().filter(|l| *l != "auto") {
            let shown = crate::texts::resolve(self, std::slice::from_ref(lang));
            let ui = &shown.ui;
            for (key, text) in [("texts.accept_all", ui.accept_all()), ("texts.reject_all", ui.reject_all())] {
                if text.contains(['\u{202d}', '\u{202e}']) {
                    return Err(ConfigError::new(
                        key,
                        "must not hold a direction override (U+202D, U+202E): it shows the letters in another order than they are written, so one button can look like the other",
                    ));
                }
            }
            if read_alike(ui.accept_all(), ui.reject_all()) {
                return Err(ConfigError::new(
                    if reject.is_some() { "texts.reject_all" } else { "texts.accept_all" },
                    format!(
                        "a visitor reading {} would see both first-layer buttons say {}: \"Accept all\" and \"Reject all\" must say different things",
                        q(&shown.lang),
                        q(ui.reject_all())
                    ),
                ));
            }
        }
        Ok(())
    }

    fn check_tcf(&self, t: &TcfConfig) -> Result<(), ConfigError> {
        if !(2..=4095).contains(&t.cmp_id) {
            return Err(ConfigError::new("tcf.cmp_id", "must be between 2 and 4095 (the id IAB Europe assigned; 0 and 1 are not valid CMP ids)"));
        }
        if t.cmp_version > 4095 {
            return Err(ConfigError::new("tcf.cmp_version", "must be between 0 and 4095"));
        }
        if t.consent_screen > 63 {
            return Err(ConfigError::new("tcf.consent_screen", "must be between 0 and 63"));
        }
        let letters = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic());
        if let Some(l) = &t.consent_language {
            if !letters(l) {
                return Err(ConfigError::new("tcf.consent_language", format!("must be two letters such as \"EN\", got {}", q(l))));
            }
        }
        if !(1..=4095).contains(&t.vendor_list_version) {
            return Err(ConfigError::new("tcf.vendor_list_version", "must be between 1 and 4095"));
        }
        if !(4..=5).contains(&t.policy_version) {
            return Err(ConfigError::new("tcf.policy_version", "must be 4 (TCF v2.2) or 5 (TCF v2.3)"));
        }
        if !letters(&t.publisher_cc) {
            return Err(ConfigError::new("tcf.publisher_cc", format!("must be a two-letter country code such as \"DE\", got {}", q(&t.publisher_cc))));
        }
        for (i, v) in t.vendors.iter().enumerate() {
            if *v == 0 {
                return Err(ConfigError::new(format!("tcf.vendors[{i}]"), "must be a vendor id from 1 to 65535"));
            }
            if t.vendors[..i].contains(v) {
                return Err(ConfigError::new(format!("tcf.vendors[{i}]"), format!("duplicate vendor id {v}")));
            }
        }
        for (name, map) in [("purposes_map", Some(&t.purposes_map)), ("publisher_purposes_map", t.publisher_purposes_map.as_ref())] {
            let Some(map) = map else { continue };
            for (key, ids) in map {
                let at = format!("tcf.{name}.{key}");
                // TCF v2.2 and v2.3 define purposes 1 to 11; the TC string's
                // bits for 12 to 24 are reserved, and getTCData lists 1 to 11.
                let ok = key.parse::<u8>().is_ok_and(|n| (1..=11).contains(&n)) && !key.starts_with('0');
                if !ok {
                    return Err(ConfigError::new(at, "key must be a TCF purpose id from \"1\" to \"11\" (the purposes TCF v2.2 and v2.3 define)"));
                }
                if ids.is_empty() {
                    return Err(ConfigError::new(at, "must list at least one purpose"));
                }
                for (j, id) in ids.iter().enumerate() {
                    if self.purpose(id).is_none() {
                        return Err(ConfigError::new(format!("{at}[{j}]"), format!("unknown purpose {}", q(id))));
                    }
                }
            }
        }
        Ok(())
    }

    /// The purpose with this id.
    pub fn purpose(&self, id: &str) -> Option<&Purpose> {
        self.purposes.iter().find(|p| p.id == id)
    }

    /// How many of `event` are counted per window. The bound is what noise
    /// is calibrated to, so with noise on an event without its own
    /// `max_per_window` gets [`DEFAULT_MAX_PER_WINDOW`]; without noise,
    /// counts are exact (CONTRACT §6) and only a bound the config sets
    /// applies.
    pub fn max_per_window(&self, event: &Event) -> u32 {
        match (event.max_per_window, &self.aggregation.noise) {
            (Some(n), _) => n,
            (None, Some(_)) => DEFAULT_MAX_PER_WINDOW,
            (None, None) => u32::MAX,
        }
    }

    /// Purposes the visitor decides on, in config order.
    pub fn optional_purposes(&self) -> impl Iterator<Item = &Purpose> {
        self.purposes.iter().filter(|p| !p.required)
    }
}

fn check_len(path: &str, s: &str, min: usize, max: usize) -> Result<(), ConfigError> {
    let n = s.chars().count();
    if n < min || n > max {
        return Err(ConfigError::new(path, format!("must be {min} to {max} characters long, got {n}")));
    }
    if s.chars().any(char::is_control) {
        return Err(ConfigError::new(path, "must not contain control characters"));
    }
    Ok(())
}

fn check_text(path: &str, text: &Text, max: usize) -> Result<(), ConfigError> {
    if let Text::Localized(map) = text {
        if map.is_empty() {
            return Err(ConfigError::new(path, "must have at least one language"));
        }
    }
    for (lang, s) in text.entries() {
        let at = match lang {
            Some(l) if !is_language_tag(l) => {
                return Err(ConfigError::new(format!("{path}.{l}"), "key must be a language tag such as \"en\" or \"pt-BR\" (at most 35 characters)"))
            }
            Some(l) => format!("{path}.{l}"),
            None => path.to_string(),
        };
        let n = s.chars().count();
        if n > max {
            return Err(ConfigError::new(at, format!("must be 1 to {max} characters of text, got {n}")));
        }
        if s.chars().all(is_blank) {
            return Err(ConfigError::new(at, "must hold some visible text, not only white space or invisible characters"));
        }
        // Prose may break lines or use tabs (shown as spaces), including the
        // line and page breaks pasted from word processors; other control
        // characters are never text.
        if s.chars().any(|c| c.is_control() && !c.is_whitespace()) {
            return Err(ConfigError::new(at, "must not contain control characters other than white space (tabs, line breaks)"));
        }
    }
    Ok(())
}

/// About how many bytes `event` adds to a report, every cell of it in:
/// numbers taken as 7 characters.
fn event_bytes(name: &str, e: &Event) -> usize {
    let quoted = |s: &str| s.len() + 2 + s.bytes().filter(|b| *b == b'"' || *b == b'\\' || *b < 0x20).count() * 5;
    const NUMBER: usize = 7;
    let mut n = quoted(name) + 24 + NUMBER;
    for (f, field) in &e.fields {
        n += quoted(f) + 3;
        n += match field {
            Field::Category { values } => values.iter().map(|v| quoted(v) + 2 + NUMBER).sum::<usize>() + 9 + NUMBER,
            Field::Histogram { buckets } => (buckets.len() + 1) * (NUMBER + 1),
            Field::Sum { .. } => 24,
            Field::Count {} => 0,
        };
    }
    n
}

/// Overrides must keep the placeholders that say what a text is about:
/// the first layer's list without `{purposes}` would not say what "Accept
/// all" turns on, a retention line without `{days}` how long; a sentence
/// about data waiting or sent without `{events}` would hide what it is
/// about (the view exists so visitors can see it), a stored-key line
/// without `{key}` would not say which.
fn check_placeholders(path: &str, key: &str, text: &Text) -> Result<(), ConfigError> {
    let (needed, why): (&[&str], &str) = match key {
        "asks" => (&["{purposes}"], "the first layer names there what \"Accept all\" turns on"),
        "gpc" => (&["{purposes}"], "the note names there the purposes the browser's privacy signal turns off"),
        "retention" => (&["{days}"], "the preferences say there how many days the data is kept"),
        "allow" | "placeholder" => (&["{purpose}"], "the placeholder names there the purpose its button turns on"),
        "data_open" | "data_pending" | "data_kept_totals" | "data_sent_on" => (&["{events}"], DATA_VIEW_FILLS),
        "data_event" => (&["{count}", "{event}"], DATA_VIEW_FILLS),
        "data_key" => (&["{key}", "{meaning}"], DATA_VIEW_FILLS),
        "data_choice" => (&["{purpose}", "{state}"], DATA_VIEW_FILLS),
        _ => return Ok(()),
    };
    for (lang, s) in text.entries() {
        if let Some(p) = needed.iter().find(|p| !s.contains(**p)) {
            let at = lang.map_or_else(|| path.to_string(), |l| format!("{path}.{l}"));
            return Err(ConfigError::new(at, format!("must contain {p}: {why}")));
        }
    }
    Ok(())
}

const DATA_VIEW_FILLS: &str = "the \"Your data\" view fills in what the visitor's data is there";

fn check_field(at: &str, name: &str, field: &Field) -> Result<(), ConfigError> {
    if !is_name(name) {
        return Err(ConfigError::new(at, "field name must match ^[A-Za-z][A-Za-z0-9_.:-]{0,63}$"));
    }
    match field {
        Field::Category { values } => {
            if values.is_empty() || values.len() > 64 {
                return Err(ConfigError::new(format!("{at}.values"), "must list 1 to 64 values"));
            }
            for (i, v) in values.iter().enumerate() {
                check_len(&format!("{at}.values[{i}]"), v, 1, 128)?;
                if v == "other" {
                    return Err(ConfigError::new(format!("{at}.values[{i}]"), "\"other\" is reserved for unlisted values"));
                }
                if values[..i].contains(v) {
                    return Err(ConfigError::new(format!("{at}.values[{i}]"), format!("duplicate value {}", q(v))));
                }
            }
        }
        Field::Histogram { buckets } => {
            if buckets.is_empty() || buckets.len() > 32 {
                return Err(ConfigError::new(format!("{at}.buckets"), "must list 1 to 32 bucket bounds"));
            }
            if buckets.windows(2).any(|w| w[0] >= w[1]) {
                return Err(ConfigError::new(format!("{at}.buckets"), "must be strictly increasing"));
            }
        }
        Field::Sum { min, max } => {
            if !(min < max) {
                return Err(ConfigError::new(at, "min must be less than max"));
            }
            if min.abs() > 1e12 || max.abs() > 1e12 {
                return Err(ConfigError::new(at, "min and max must be within ±1e12"));
            }
        }
        Field::Count {} => {}
    }
    Ok(())
}

/// Shortens serde's messages: drops the position suffix (the path says where).
#[cfg(test)]
fn clean_serde_message(msg: &str) -> String {
    let msg = match msg.find(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    };
    if msg.starts_with("data did not match any variant of untagged enum Text") {
        return "must be a string or an object of language → string".into();
    }
    if msg.starts_with("data did not match any variant of untagged enum Qa") {
        return "must be true, false or {\"hosts\": [...]}".into();
    }
    msg.replace('`', "\"")
}

#[cfg(test)]
mod tests {
    #[test]
    fn mistakes_site_owners_make_are_named_plainly() {
        let msg = |t: &str| super::Config::from_json(t).unwrap_err().to_string();
        assert_eq!(msg("// our config\n{}"), "config: not valid JSON: expected value at line 1 column 1");
        assert_eq!(msg("[]"), "config: must be a JSON object");
        let base = r#""site":"s","revision":"1","purposes":[{"id":"a","label":"l","explain":"e","benefit":"b"}]"#;
        assert_eq!(msg(&format!("{{{base},\"reopen\":false}}")), "reopen: invalid type: boolean false, expected \"button\" or \"none\"");
        assert_eq!(msg(&format!("{{{base},\"expires_days\":\"30\"}}")), "expires_days: invalid type: string \"30\", expected a whole number");
        // A qa object's own key is named; so is max_per_window's real range.
        assert_eq!(msg(&format!("{{{base},\"qa\":{{\"hosts\":[\"x\"],\"host\":\"y\"}}}}")), "qa.host: unknown field \"host\", expected \"hosts\"");
        assert_eq!(msg(&format!("{{{base},\"qa\":{{\"hosts\":[1]}}}}")), "qa.hosts[0]: invalid type: integer 1, expected a string");
        assert_eq!(msg(&format!("{{{base},\"qa\":{{}}}}")), "qa: missing field \"hosts\"");
        assert_eq!(msg(&format!("{{{base},\"qa\":\"yes\"}}")), "qa: must be true, false or {\"hosts\": [...]}");
        let bound = |n: &str| msg(&format!("{{{base},\"events\":{{\"e\":{{\"purpose\":\"a\",\"max_per_window\":{n}}}}}}}"));
        assert_eq!(bound("-1"), "events.e.max_per_window: invalid value: integer -1, expected a whole number from 1 to 4294967295");
        assert_eq!(bound("0"), "events.e.max_per_window: must be at least 1");
        let field = r#"{"site":"s","revision":"1","purposes":[{"id":"a","label":"l","explain":"e","benefit":"b"}],
            "events":{"buy":{"purpose":"a","fields":{"pay":"category"}}}}"#;
        assert_eq!(
            msg(field),
            "events.buy.fields.pay: invalid type: string \"category\", expected an object with \"kind\": \"category\", \"histogram\", \"sum\" or \"count\""
        );
    }

    #[test]
    fn data_view_templates_keep_what_they_are_about() {
        let base = r#""site":"s","revision":"1","purposes":[{"id":"a","label":"l","explain":"e","benefit":"b"}]"#;
        let msg = |texts: &str| super::Config::from_json(&format!("{{{base},\"texts\":{texts}}}")).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(
            msg(r#"{"data_open":"Will be sent soon."}"#).unwrap_err(),
            "texts.data_open: must contain {events}: the \"Your data\" view fills in what the visitor's data is there"
        );
        assert!(msg(r#"{"data_pending":{"en":"Waiting: {events}.","sv":"Väntar."}}"#).unwrap_err().starts_with("texts.data_pending.sv: must contain {events}"));
        assert!(msg(r#"{"data_key":"{meaning} ({size})."}"#).unwrap_err().starts_with("texts.data_key: must contain {key}"));
        assert_eq!(msg(r#"{"data_open":"Skickas snart: {events}.","retention":"Kept {days} days here."}"#), Ok(()));
        // The prompt's own templates too: what they are about is their placeholder.
        assert_eq!(
            msg(r#"{"asks":"We ask for a few things."}"#).unwrap_err(),
            "texts.asks: must contain {purposes}: the first layer names there what \"Accept all\" turns on"
        );
        assert!(msg(r#"{"retention":"Kept a while."}"#).unwrap_err().starts_with("texts.retention: must contain {days}"));
        assert!(msg(r#"{"gpc":{"en":"Off: {purposes}.","de":"Aus."}}"#).unwrap_err().starts_with("texts.gpc.de: must contain {purposes}"));
        assert!(msg(r#"{"allow":"Allow"}"#).unwrap_err().starts_with("texts.allow: must contain {purpose}"));
        assert!(msg(r#"{"placeholder":"From another company."}"#).unwrap_err().starts_with("texts.placeholder: must contain {purpose}"));
        assert_eq!(msg(r#"{"retention_one":"Kept one day.","asks":"Wir fragen: {purposes}."}"#), Ok(()));
    }

    #[test]
    fn language_tags_are_at_most_35_characters() {
        let tag = |n: usize| format!("en-{}", ["abcdefgh"; 4].join("-"))[..n].to_string();
        assert!(super::is_language_tag(&tag(35)));
        assert!(!super::is_language_tag(&(tag(35) + "x")), "the collector refuses a receipt language over 35");
        let base = r#""site":"s","revision":"1","purposes":[{"id":"a","label":"l","explain":"e","benefit":"b"}]"#;
        let msg = super::Config::from_json(&format!("{{{base},\"language\":\"{}x\"}}", tag(35))).unwrap_err().to_string();
        assert!(msg.starts_with("language: must be \"auto\" or a language tag of at most 35 characters"), "{msg}");
    }

    #[test]
    fn white_space_is_what_the_schema_calls_white_space() {
        let with = |site: &str, label: &str| {
            super::Config::from_json(&format!(
                r#"{{"site":{},"revision":"1","purposes":[{{"id":"a","label":{},"explain":"e","benefit":"b"}}]}}"#,
                crate::json::quote(site),
                crate::json::quote(label)
            ))
            .map(|_| ())
            .map_err(|e| e.to_string())
        };
        assert_eq!(with("s", "\u{feff}"), Err("purposes[0].label: must hold some visible text, not only white space or invisible characters".into()));
        assert_eq!(with("s", " \t\u{3000}"), Err("purposes[0].label: must hold some visible text, not only white space or invisible characters".into()));
        assert_eq!(with("s", "\u{200b}\u{2060} \u{ad}"), Err("purposes[0].label: must hold some visible text, not only white space or invisible characters".into()));
        assert!(with("s", "\u{200b}a").is_ok(), "one visible character is enough");
        // Combining marks with no letter to sit on: a stray accent, or nothing.
        for marks in ["\u{300}", "\u{301}\u{301}\u{301}", " \u{20dd}", "\u{1d17b}", "\u{fe20}\u{1dc0}"] {
            assert_eq!(with("s", marks), Err("purposes[0].label: must hold some visible text, not only white space or invisible characters".into()), "{marks:?}");
        }
        assert!(with("s", "e\u{301}").is_ok(), "a mark on a letter");
        for blank in ["\u{e0020}", "\u{e0001}\u{e007f}", "\u{e0100}", "\u{1d173}", "\u{1d159}", "\u{13430}", "\u{1bca0}", "\u{fff9}"] {
            assert!(with("s", blank).is_err(), "{:x}", blank.chars().next().unwrap() as u32);
        }
        assert_eq!(with("s", "\u{85}"), Ok(()), "JavaScript's \\S matches U+0085, so the schema takes it");
        assert_eq!(with("a\u{feff}b", "l"), Err("site: must not contain white space or ','".into()));
        assert_eq!(with("a,b", "l"), Err("site: must not contain white space or ','".into()));
        assert_eq!(with("a\u{85}b", "l"), Err("site: must not contain control characters".into()));
    }

    /// The first layer's two buttons must say different things, whatever
    /// the site overrides.
    #[test]
    fn accept_and_reject_read_differently() {
        let with = |texts: &str| {
            super::Config::from_json(&format!(
                r#"{{"site":"s","revision":"1","purposes":[{{"id":"a","label":"l","explain":"e","benefit":"b"}}],"texts":{texts}}}"#
            ))
            .map(|_| ())
            .map_err(|e| e.to_string())
        };
        let same = |at: &str, lang: &str, text: &str| {
            Err(format!("{at}: a visitor reading \"{lang}\" would see both first-layer buttons say \"{text}\": \"Accept all\" and \"Reject all\" must say different things"))
        };
        assert_eq!(with(r#"{"reject_all":"Accept all"}"#), same("texts.reject_all", "en", "Accept all"));
        assert_eq!(with(r#"{"reject_all":{"en":" accept  ALL\u200b"}}"#), same("texts.reject_all", "en", " accept  ALL\u{200b}"));
        // A tag character (astral, invisible) does not make "Accept all" another text.
        assert_eq!(with(r#"{"reject_all":"Accept all\udb40\udc20"}"#), same("texts.reject_all", "en", "Accept all\u{e0020}"));
        assert_eq!(with(r#"{"accept_all":"Reject all\udb40\udc20"}"#).is_err(), true);
        assert_eq!(with(r#"{"accept_all":{"en-GB":"Reject all"}}"#), same("texts.accept_all", "en", "Reject all"));
        assert_eq!(with(r#"{"accept_all":{"de":"Ja"},"reject_all":{"de":"ja"}}"#), same("texts.reject_all", "de", "ja"));
        // Regional overrides serve their whole language: both reach a German visitor.
        assert_eq!(with(r#"{"accept_all":{"de-AT":"Ja"},"reject_all":{"de-CH":"Ja"}}"#), same("texts.reject_all", "de", "Ja"));
        assert_eq!(with(r#"{"accept_all":"Yes","reject_all":"No"}"#), Ok(()));
        assert_eq!(with(r#"{"reject_all":{"fr":"Reject all"}}"#), Ok(()), "French's own accept button reads differently");
        assert_eq!(with(r#"{"accept_all":{"de":"Alle annehmen"}}"#), Ok(()), "an override in one language only");
        // A language Candor has no strings for borrows English buttons, and the French override.
        let sv = super::Config::from_json(
            r#"{"site":"s","revision":"1","language":"sv","purposes":[{"id":"a","label":"l","explain":"e","benefit":"b"}],"texts":{"reject_all":{"fr":"Accept all"}}}"#,
        );
        assert_eq!(sv.map(|_| ()).map_err(|e| e.to_string()), same("texts.reject_all", "sv", "Accept all"));
        assert_eq!(with(r#"{"heading":"Hi"}"#), Ok(()));
        // Look-alike letters: Cyrillic, Greek, full-width.
        assert_eq!(with(r#"{"reject_all":"A\u0441\u0441ept all"}"#), same("texts.reject_all", "en", "A\u{441}\u{441}ept all"));
        assert_eq!(with(r#"{"reject_all":"\u0391ccept all"}"#), same("texts.reject_all", "en", "\u{391}ccept all"));
        assert_eq!(with(r#"{"reject_all":"\uff21\uff43\uff43\uff45\uff50\uff54 \uff41\uff4c\uff4c"}"#), same("texts.reject_all", "en", "Ａｃｃｅｐｔ ａｌｌ"));
        assert_eq!(with(r#"{"accept_all":{"ru":"\u041f\u0440\u0438\u043d\u044f\u0442\u044c"},"reject_all":{"ru":"\u041e\u0442\u043a\u043b\u043e\u043d\u0438\u0442\u044c"}}"#), Ok(()), "real Russian words");
        // Shapes that pass for l, mathematical and Cherokee letters, small capitals, Roman numerals, punctuation.
        for look in ["Accept aIl", "Accept a11", "Accept a||", "Accept a\u{217c}\u{217c}", "\u{13aa}ccept all", "Accept a\u{29f}\u{29f}", "Accept all.", "Accept \u{2026}all!",
            "\u{1d5a0}\u{1d5bc}\u{1d5bc}\u{1d5be}\u{1d5c9}\u{1d5cd} \u{1d5ba}\u{1d5c5}\u{1d5c5}"] {
            assert_eq!(with(&format!(r#"{{"reject_all":{}}}"#, crate::json::quote(look))), same("texts.reject_all", "en", look), "{look}");
        }
        assert_eq!(with(r#"{"accept_all":"Accept all","reject_all":"Accept none"}"#), Ok(()), "different words");
        // An accent, written as one character or as a combining mark, reads as its letter.
        assert_eq!(with(r#"{"accept_all":"Accept all","reject_all":"Acc\u00e9pt all"}"#), same("texts.reject_all", "en", "Accépt all"));
        assert_eq!(with(r#"{"accept_all":"Accept all","reject_all":"\u00c5ccept \u0101ll"}"#), same("texts.reject_all", "en", "Åccept āll"));
        // Case, and every capital I look-alike, still read alike (an all-caps override; a Cyrillic or Greek I).
        assert_eq!(with(r#"{"reject_all":{"de":"ALLE AKZEPTIEREN"}}"#), same("texts.reject_all", "de", "ALLE AKZEPTIEREN"));
        assert_eq!(with(r#"{"reject_all":"ACCEPT ALL"}"#), same("texts.reject_all", "en", "ACCEPT ALL"));
        assert_eq!(with(r#"{"reject_all":"Accept al\u0131"}"#), same("texts.reject_all", "en", "Accept al\u{131}"), "a dotless i");
        // Case and shape together: all capitals against capital I's for l.
        assert_eq!(with(r#"{"accept_all":"ACCEPT ALL COOKIES","reject_all":"Accept aII cookies"}"#), same("texts.reject_all", "en", "Accept aII cookies"));
        assert_eq!(with(r#"{"accept_all":"Accept all","reject_all":"Accept ail"}"#), Ok(()), "a lowercase i is not an l");
        for i in ["\u{406}", "\u{399}", "\u{2160}", "\u{26a}"] {
            let r = format!(r#"{{"accept_all":"I agree","reject_all":"{i} agree"}}"#);
            assert_eq!(with(&r), same("texts.reject_all", "en", &format!("{i} agree")), "{i:?}");
        }
        // Full-width and Spanish punctuation; texts of punctuation alone are compared as they are.
        for look in ["Accept all\u{ff01}", "\u{ff21}ccept all\u{ff0e}", "\u{a1}Accept all!", "\u{ab}Accept all\u{bb}"] {
            assert_eq!(with(&format!(r#"{{"reject_all":{}}}"#, crate::json::quote(look))), same("texts.reject_all", "en", look), "{look}");
        }
        assert_eq!(with(r#"{"accept_all":"+","reject_all":"-"}"#), Ok(()));
        assert_eq!(with(r#"{"accept_all":"?","reject_all":"!"}"#), Ok(()));
        assert_eq!(with(r#"{"accept_all":"I agree","reject_all":"I disagree"}"#), Ok(()));
        // A direction override shows letters in another order ("lla tpeccA" as "Accept all").
        assert_eq!(
            with(r#"{"reject_all":"\u202ella tpeccA"}"#),
            Err("texts.reject_all: must not hold a direction override (U+202D, U+202E): it shows the letters in another order than they are written, so one button can look like the other".into())
        );
    }

    #[test]
    fn revisions_are_not_path_steps() {
        for (rev, ok) in [(".", false), ("..", false), ("...", true), ("./a", true), ("2026-11-01", true)] {
            let r = super::Config::from_json(&format!(r#"{{"site":"s","revision":{},"purposes":[{{"id":"a","label":"l","explain":"e","benefit":"b"}}]}}"#, crate::json::quote(rev)));
            assert_eq!(r.is_ok(), ok, "{rev}");
        }
    }

    #[test]
    fn collector_urls_name_a_host() {
        for ok in ["example.com", "collector.example:8443", "127.0.0.1:9", "[::1]", "[::1]:8080", "localhost"] {
            assert!(super::is_authority(ok), "{ok}");
        }
        assert!(super::is_authority("host:"), "an empty port is the default one");
        for bad in ["", ":80", "host:99999", "host:8a", "[::1", "[]", "[::1]x", "user@host", "a b", "h\\x"] {
            assert!(!super::is_authority(bad), "{bad}");
        }
    }

    use super::*;

    pub(crate) const DEMO: &str = r#"{
      "site": "shop.example", "revision": "2026-11-01",
      "purposes": [
        {"id": "necessary", "required": true, "label": "Keep the site working", "explain": "x", "benefit": "y"},
        {"id": "analytics", "label": "Stats", "explain": "x", "benefit": "y", "retention_days": 30}
      ],
      "events": {
        "page_view": {"purpose": "analytics", "fields": {
          "path": {"kind": "category", "values": ["/", "/shop"]},
          "load_ms": {"kind": "histogram", "buckets": [100, 300]}}},
        "purchase": {"purpose": "analytics", "fields": {"amount": {"kind": "sum", "min": 0, "max": 500}}}
      },
      "aggregation": {"window_seconds": 60, "noise": {"epsilon": 1.0}}
    }"#;

    fn err(json: &str) -> String {
        Config::from_json(json).unwrap_err().to_string()
    }

    #[test]
    fn demo_config_parses_with_defaults() {
        let c = Config::from_json(DEMO).unwrap();
        assert_eq!(c.collector.as_deref(), Some("/v1/reports"));
        assert_eq!(c.expires_days, 182);
        assert_eq!(c.max_per_window(&c.events["purchase"]), if c.aggregation.noise.is_some() { 100 } else { u32::MAX });
        assert_eq!(c.optional_purposes().count(), 1);
    }

    #[test]
    fn unknown_purpose_is_named_with_its_path() {
        let bad = DEMO.replace(r#""purchase": {"purpose": "analytics""#, r#""purchase": {"purpose": "ads""#);
        assert_eq!(err(&bad), r#"events.purchase.purpose: unknown purpose "ads""#);
    }

    #[test]
    fn unknown_keys_are_rejected_with_path() {
        let bad = DEMO.replace(r#""retention_days": 30"#, r#""retention_dayz": 30"#);
        let e = err(&bad);
        assert!(e.starts_with("purposes[1]"), "{e}");
        assert!(e.contains("unknown field \"retention_dayz\""), "{e}");
    }

    #[test]
    fn a_schema_link_for_editors_is_read_and_ignored() {
        let linked = DEMO.replacen('{', r#"{"$schema": "./node_modules/candor/schema.json","#, 1);
        let mut read = Config::from_json(&linked).unwrap();
        assert_eq!(read.schema.take().as_deref(), Some("./node_modules/candor/schema.json"));
        assert_eq!(read, Config::from_json(DEMO).unwrap(), "nothing else changes");
        assert!(err(&DEMO.replacen('{', r#"{"$schema": 1,"#, 1)).starts_with("$schema: invalid type"));
    }

    #[test]
    fn bad_purpose_id_and_duplicates() {
        assert!(err(&DEMO.replace(r#""id": "analytics""#, r#""id": "Analytics""#)).starts_with("purposes[1].id:"));
        assert!(err(&DEMO.replace(r#""id": "analytics""#, r#""id": "necessary""#)).contains("duplicate purpose id"));
    }

    #[test]
    fn field_rules() {
        let e = err(&DEMO.replace("[100, 300]", "[300, 100]"));
        assert_eq!(e, "events.page_view.fields.load_ms.buckets: must be strictly increasing");
        let e = err(&DEMO.replace(r#""min": 0, "max": 500"#, r#""min": 5, "max": 5"#));
        assert_eq!(e, "events.purchase.fields.amount: min must be less than max");
        let e = err(&DEMO.replace(r#""kind": "sum""#, r#""kind": "text""#));
        assert!(e.starts_with("events.purchase.fields.amount"), "{e}");
    }

    #[test]
    fn a_wrong_type_inside_a_field_spec_names_the_member_and_item() {
        let cases = [
            (r#""buckets": [100, 300]"#, r#""buckets": [100, 300, "3"]"#, "events.page_view.fields.load_ms.buckets[2]: invalid type: string \"3\""),
            (r#""values": ["/", "/shop"]"#, r#""values": ["/", 1]"#, "events.page_view.fields.path.values[1]: invalid type: integer 1"),
            (r#""min": 0"#, r#""min": "0""#, "events.purchase.fields.amount.min: invalid type: string \"0\""),
            (r#""max": 500"#, r#""max": null"#, "events.purchase.fields.amount.max: invalid type: null"),
        ];
        for (from, to, want) in cases {
            let e = err(&DEMO.replace(from, to));
            assert!(e.starts_with(want), "{e}");
        }
    }

    #[test]
    fn a_number_out_of_range_is_refused_with_the_rules_own_range() {
        let e = err(&DEMO.replace(r#""retention_days": 30"#, r#""retention_days": -1"#));
        assert_eq!(e, "purposes[1].retention_days: invalid value: integer -1, expected a whole number from 1 to 4294967295");
        let e = err(&DEMO.replace(r#""window_seconds": 60"#, r#""window_seconds": 1e23"#));
        assert!(e.starts_with("aggregation.window_seconds: invalid value: floating point 1"), "{e}");
        assert!(e.ends_with("expected a whole number from 1 to 86400"), "{e}");
    }

    #[test]
    fn a_leading_byte_order_mark_is_read_past() {
        assert_eq!(Config::from_json(&format!("\u{feff}{DEMO}")).unwrap(), Config::from_json(DEMO).unwrap());
        assert!(err(&format!("{DEMO}\u{feff}")).starts_with("config: not valid JSON"), "only at the start");
    }

    #[test]
    fn not_json_and_wrong_types() {
        assert!(err("{").starts_with("config: "), "{}", err("{"));
        assert!(err("[]").starts_with("config: "));
        let e = err(&DEMO.replace(r#""window_seconds": 60"#, r#""window_seconds": "60""#));
        assert!(e.starts_with("aggregation.window_seconds:"), "{e}");
        let e = err(&DEMO.replace(r#""epsilon": 1.0"#, r#""epsilon": 0"#));
        assert!(e.starts_with("aggregation.noise.epsilon:"), "{e}");
    }

    #[test]
    fn localized_texts_resolve_along_the_chain() {
        let t = Text::Localized([("en".to_string(), "Hi".to_string()), ("de".to_string(), "Hallo".to_string())].into());
        assert_eq!(t.resolve(&["fr".into(), "de".into()]), "Hallo");
        assert_eq!(t.resolve(&["fr".into(), "en".into()]), "Hi");
        let bad = DEMO.replace(r#""label": "Stats""#, r#""label": {"english": "Stats"}"#);
        assert!(err(&bad).starts_with("purposes[1].label.english:"));
    }
}
