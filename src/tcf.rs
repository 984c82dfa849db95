//! IAB TCF v2.2 TC strings, encoded in the core so they can be checked natively.
//!
//! Ad vendors read a visitor's choice from a *TC string*: base64url segments
//! of packed bit fields (IAB Tech Lab, "Consent string and vendor list
//! formats v2"). A string that is off by one bit silently means something
//! else, so encoding lives here, away from the browser, and is judged from
//! outside by `@iabtechlabtcf/core` (`tests/tcf/tcf.test.js`, fed by
//! `examples/tcf_vectors.rs`).
//!
//! [`TcFields`] is the raw content of a string; [`encode`] packs it.
//! [`from_consent`] decides the content from the site's `tcf` config and the
//! visitor's [`Consent`]:
//! - a TCF purpose is consented when it is mapped to Candor purposes and
//!   **all** of them are granted;
//! - a listed vendor gets vendor consent when at least one consented TCF
//!   purpose maps to an optional Candor purpose, i.e. the visitor said yes to
//!   something (a vendor still needs the purpose consent for anything it
//!   does). "Reject all" never gives a vendor consent, even when purpose 1
//!   is mapped to a required purpose;
//! - no legitimate interest, no special features, no publisher restrictions;
//! - `Created` and `LastUpdated` are both the UTC day of the decision
//!   (midnight), as the TCF recommends against fingerprinting by timestamp;
//! - the publisher TC segment is added when the config maps publisher
//!   purposes, and the disclosed-vendors segment when the policy version is 5
//!   (TCF v2.3 requires it).

use serde::{Deserialize, Serialize};

use crate::config::{Config, TcfConfig};
use crate::consent::Consent;

/// Everything a TC string carries (core, disclosed vendors, publisher TC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TcFields {
    /// Created, in deciseconds since the Unix epoch.
    pub created: u64,
    /// LastUpdated, in deciseconds since the Unix epoch.
    pub last_updated: u64,
    /// The CMP's id as registered with IAB Europe.
    pub cmp_id: u16,
    /// The CMP's version.
    pub cmp_version: u16,
    /// The CMP's screen number the decision was made on.
    pub consent_screen: u8,
    /// Two ASCII letters, e.g. `"EN"`.
    pub consent_language: String,
    /// Global vendor list version the string refers to.
    pub vendor_list_version: u16,
    /// TCF policy version (4 for v2.2, 5 for v2.3).
    pub policy_version: u8,
    /// The string is for this site only.
    pub is_service_specific: bool,
    /// The CMP used non-standard texts.
    pub use_non_standard_texts: bool,
    /// Special feature ids (1..=12) opted in.
    pub special_feature_optins: Vec<u8>,
    /// Purpose ids (1..=24) consented.
    pub purpose_consents: Vec<u8>,
    /// Purpose ids (1..=24) whose legitimate interest was disclosed.
    pub purpose_legitimate_interests: Vec<u8>,
    /// Purpose 1 was not disclosed (publisher country rule).
    pub purpose_one_treatment: bool,
    /// Publisher's country, two ASCII letters.
    pub publisher_cc: String,
    /// Vendor ids (1..=65535) consented.
    pub vendor_consents: Vec<u16>,
    /// Vendor ids (1..=65535) with legitimate interest established.
    pub vendor_legitimate_interests: Vec<u16>,
    /// Vendors disclosed in the UI (segment 1), when present.
    pub disclosed_vendors: Option<Vec<u16>>,
    /// The publisher TC segment (segment 3), when present.
    pub publisher: Option<PublisherTc>,
}

/// The publisher TC segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PublisherTc {
    /// Purpose ids (1..=24) consented for the publisher.
    pub consents: Vec<u8>,
    /// Purpose ids (1..=24) on legitimate interest for the publisher.
    pub legitimate_interests: Vec<u8>,
    /// Number of custom purposes (0..=63).
    pub num_custom: u8,
    /// Custom purpose ids (1..=num_custom) consented.
    pub custom_consents: Vec<u8>,
    /// Custom purpose ids (1..=num_custom) on legitimate interest.
    pub custom_legitimate_interests: Vec<u8>,
}

/// A field that cannot be encoded, named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcError(String);

impl std::fmt::Display for TcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TC string: {}", self.0)
    }
}

impl std::error::Error for TcError {}

#[cold]
fn bad(msg: String) -> TcError {
    TcError(msg)
}

/// Bits, most significant first, as the TCF packs them.
#[derive(Default)]
struct Bits {
    bits: Vec<bool>,
}

impl Bits {
    fn int(&mut self, value: u64, width: u32) {
        for i in (0..width).rev() {
            self.bits.push(value >> i & 1 == 1);
        }
    }

    fn flag(&mut self, on: bool) {
        self.bits.push(on);
    }

    /// A fixed-length bit field: bit `id - 1` set for every listed id.
    fn field(&mut self, ids: &[u8], width: u32) {
        for id in 1..=width {
            self.bits.push(ids.contains(&(id as u8)));
        }
    }

    fn letters(&mut self, s: &str) {
        for b in s.bytes() {
            self.int(u64::from(b.to_ascii_uppercase() - b'A'), 6);
        }
    }

    /// A vendor section: MaxVendorId, then a bit field or ranges, whichever is shorter.
    fn vendors(&mut self, ids: &[u16]) {
        // Sorted and unique through a table by id rather than a sort, whose
        // code would be compiled for `u16` alone.
        let max = ids.iter().copied().max().unwrap_or(0);
        let mut listed = vec![false; usize::from(max) + 1];
        for &id in ids {
            listed[usize::from(id)] = true;
        }
        let sorted: Vec<u16> = (1..=max).filter(|&id| listed[usize::from(id)]).collect();
        self.int(u64::from(max), 16);
        let runs = runs(&sorted);
        let range_bits: usize = 12 + runs.iter().map(|(a, b)| if a == b { 17 } else { 33 }).sum::<usize>();
        if range_bits < usize::from(max) {
            self.flag(true);
            self.int(runs.len() as u64, 12);
            for (a, b) in runs {
                self.flag(a != b);
                self.int(u64::from(a), 16);
                if a != b {
                    self.int(u64::from(b), 16);
                }
            }
        } else {
            self.flag(false);
            let mut i = 0;
            for id in 1..=max {
                let on = sorted.get(i) == Some(&id);
                if on {
                    i += 1;
                }
                self.flag(on);
            }
        }
    }

    /// Base64url without padding, after padding the bits with zeros to a
    /// multiple of 24 (whole bytes and whole characters).
    fn base64url(mut self) -> String {
        const DICT: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        while self.bits.len() % 24 != 0 {
            self.bits.push(false);
        }
        self.bits
            .chunks(6)
            .map(|c| DICT[c.iter().fold(0usize, |acc, &b| acc << 1 | usize::from(b))] as char)
            .collect()
    }
}

/// Consecutive ids folded into `(start, end)` runs; `ids` sorted and unique.
fn runs(ids: &[u16]) -> Vec<(u16, u16)> {
    let mut out: Vec<(u16, u16)> = Vec::new();
    for &id in ids {
        match out.last_mut() {
            Some((_, end)) if *end + 1 == id => *end = id,
            _ => out.push((id, id)),
        }
    }
    out
}

fn check_ids(name: &str, ids: &[u8], max: u8) -> Result<(), TcError> {
    match ids.iter().find(|&&id| id == 0 || id > max) {
        Some(id) => Err(bad(format!("{name}: id {id} is outside 1..={max}"))),
        None => Ok(()),
    }
}

fn check_letters(name: &str, s: &str) -> Result<(), TcError> {
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(())
    } else {
        Err(bad(format!("{name} must be two ASCII letters, got {}", crate::json::quote(s))))
    }
}

fn check_max(name: &str, value: u64, bits: u32) -> Result<(), TcError> {
    if value >> bits != 0 {
        return Err(bad(format!("{name} {value} does not fit in {bits} bits")));
    }
    Ok(())
}

/// Packs `f` into a TC string. Every field is range-checked first.
pub fn encode(f: &TcFields) -> Result<String, TcError> {
    check_max("created", f.created, 36)?;
    check_max("last_updated", f.last_updated, 36)?;
    check_max("cmp_id", f.cmp_id.into(), 12)?;
    check_max("cmp_version", f.cmp_version.into(), 12)?;
    check_max("consent_screen", f.consent_screen.into(), 6)?;
    check_max("vendor_list_version", f.vendor_list_version.into(), 12)?;
    check_max("policy_version", f.policy_version.into(), 6)?;
    check_letters("consent_language", &f.consent_language)?;
    check_letters("publisher_cc", &f.publisher_cc)?;
    check_ids("special_feature_optins", &f.special_feature_optins, 12)?;
    check_ids("purpose_consents", &f.purpose_consents, 24)?;
    check_ids("purpose_legitimate_interests", &f.purpose_legitimate_interests, 24)?;
    for (name, ids) in [("vendor_consents", &f.vendor_consents), ("vendor_legitimate_interests", &f.vendor_legitimate_interests)]
        .into_iter()
        .chain(f.disclosed_vendors.iter().map(|d| ("disclosed_vendors", d)))
    {
        if ids.contains(&0) {
            return Err(bad(format!("{name}: vendor id 0 does not exist")));
        }
    }
    if let Some(p) = &f.publisher {
        check_ids("publisher.consents", &p.consents, 24)?;
        check_ids("publisher.legitimate_interests", &p.legitimate_interests, 24)?;
        check_max("publisher.num_custom", p.num_custom.into(), 6)?;
        check_ids("publisher.custom_consents", &p.custom_consents, p.num_custom)?;
        check_ids("publisher.custom_legitimate_interests", &p.custom_legitimate_interests, p.num_custom)?;
    }

    let mut core = Bits::default();
    core.int(2, 6);
    core.int(f.created, 36);
    core.int(f.last_updated, 36);
    core.int(f.cmp_id.into(), 12);
    core.int(f.cmp_version.into(), 12);
    core.int(f.consent_screen.into(), 6);
    core.letters(&f.consent_language);
    core.int(f.vendor_list_version.into(), 12);
    core.int(f.policy_version.into(), 6);
    core.flag(f.is_service_specific);
    core.flag(f.use_non_standard_texts);
    core.field(&f.special_feature_optins, 12);
    core.field(&f.purpose_consents, 24);
    core.field(&f.purpose_legitimate_interests, 24);
    core.flag(f.purpose_one_treatment);
    core.letters(&f.publisher_cc);
    core.vendors(&f.vendor_consents);
    core.vendors(&f.vendor_legitimate_interests);
    core.int(0, 12); // NumPubRestrictions
    let mut out = core.base64url();

    if let Some(disclosed) = &f.disclosed_vendors {
        let mut seg = Bits::default();
        seg.int(1, 3);
        seg.vendors(disclosed);
        out.push('.');
        out.push_str(&seg.base64url());
    }
    if let Some(p) = &f.publisher {
        let mut seg = Bits::default();
        seg.int(3, 3);
        seg.field(&p.consents, 24);
        seg.field(&p.legitimate_interests, 24);
        seg.int(p.num_custom.into(), 6);
        seg.field(&p.custom_consents, p.num_custom.into());
        seg.field(&p.custom_legitimate_interests, p.num_custom.into());
        out.push('.');
        out.push_str(&seg.base64url());
    }
    Ok(out)
}

/// TCF purposes (1..=24) consented under `map`: mapped, and every mapped
/// Candor purpose granted.
fn consented(map: &crate::map::StrMap<Vec<String>>, consent: &Consent) -> Vec<u8> {
    map.iter()
        .filter(|(_, ids)| !ids.is_empty() && ids.iter().all(|id| consent.granted(id)))
        .filter_map(|(k, _)| k.parse::<u8>().ok())
        .fold(Vec::new(), |mut ids, id| {
            // Sorted and unique without a `BTreeSet` (see src/map.rs for why).
            if let Err(at) = ids.binary_search(&id) {
                ids.insert(at, id);
            }
            ids
        })
}

/// The TC string content for a decision (`None` while undecided or without
/// `tcf`); `shown` is the language the prompt is shown in, which the TC
/// string's ConsentLanguage names unless the config sets `consent_language`.
pub fn from_consent(config: &Config, consent: &Consent, shown: &str) -> Option<TcFields> {
    let tcf: &TcfConfig = config.tcf.as_ref()?;
    if !consent.decided {
        return None;
    }
    let day = consent.updated_at.unwrap_or(0) / 86_400 * 86_400;
    let purposes = consented(&tcf.purposes_map, consent);
    let chose_something = tcf.purposes_map.iter().any(|(k, ids)| {
        k.parse::<u8>().is_ok_and(|n| purposes.contains(&n))
            && ids.iter().any(|id| config.purpose(id).is_some_and(|p| !p.required))
    });
    let vendors = if chose_something { tcf.vendors.clone() } else { Vec::new() };
    // Two letters (ISO 639-1): the prompt's language, else the config's
    // default_language, else English.
    let two = |tag: &str| Some(tag.split('-').next().unwrap_or("")).filter(|p| p.len() == 2).map(str::to_ascii_uppercase);
    let language = tcf.consent_language.clone().or_else(|| two(shown)).or_else(|| two(&config.default_language)).unwrap_or_else(|| "EN".into());
    Some(TcFields {
        created: day * 10,
        last_updated: day * 10,
        cmp_id: tcf.cmp_id,
        cmp_version: tcf.cmp_version,
        consent_screen: tcf.consent_screen,
        consent_language: language.to_ascii_uppercase(),
        vendor_list_version: tcf.vendor_list_version,
        policy_version: tcf.policy_version,
        is_service_specific: true,
        use_non_standard_texts: false,
        special_feature_optins: Vec::new(),
        purpose_consents: purposes,
        purpose_legitimate_interests: Vec::new(),
        purpose_one_treatment: false,
        publisher_cc: tcf.publisher_cc.to_ascii_uppercase(),
        vendor_consents: vendors,
        vendor_legitimate_interests: Vec::new(),
        disclosed_vendors: (tcf.policy_version >= 5).then(|| tcf.vendors.clone()),
        publisher: tcf.publisher_purposes_map.as_ref().map(|m| PublisherTc {
            consents: consented(m, consent),
            ..PublisherTc::default()
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::Method;

    fn sample() -> TcFields {
        TcFields {
            created: 15_824_160_000,
            last_updated: 15_824_160_000,
            cmp_id: 7,
            cmp_version: 1,
            consent_screen: 1,
            consent_language: "EN".into(),
            vendor_list_version: 100,
            policy_version: 4,
            is_service_specific: true,
            purpose_consents: vec![1, 3],
            publisher_cc: "DE".into(),
            vendor_consents: vec![2, 3, 4],
            ..TcFields::default()
        }
    }

    /// Decodes the first `n` bits of a base64url segment as a `0`/`1` string.
    fn bits(segment: &str) -> String {
        const DICT: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        segment.chars().map(|c| format!("{:06b}", DICT.find(c).unwrap())).collect()
    }

    #[test]
    fn core_fields_sit_at_their_offsets() {
        let s = encode(&sample()).unwrap();
        assert_eq!(s.len() % 4, 0, "whole 24-bit groups: {s}");
        let b = bits(&s);
        let at = |from: usize, n: usize| u64::from_str_radix(&b[from..from + n], 2).unwrap();
        assert_eq!(at(0, 6), 2, "version");
        assert_eq!(at(6, 36), 15_824_160_000, "created");
        assert_eq!(at(78, 12), 7, "cmp id");
        assert_eq!(at(108, 6), 4, "consent language E");
        assert_eq!(at(114, 6), 13, "consent language N");
        assert_eq!(at(120, 12), 100, "vendor list version");
        assert_eq!(at(132, 6), 4, "policy version");
        assert_eq!(&b[138..140], "10", "service specific, standard texts");
        assert_eq!(&b[152..176], "101000000000000000000000", "purposes 1 and 3");
        // vendor consents: MaxVendorId 4, bit field 0111
        assert_eq!(at(213, 16), 4);
        assert_eq!(&b[229..234], "00111");
    }

    #[test]
    fn long_runs_use_ranges_and_sparse_sets_bit_fields() {
        let mut f = sample();
        f.vendor_consents = (1..=2000).collect();
        let ranged = encode(&f).unwrap();
        f.vendor_consents = vec![1, 3, 5];
        let field = encode(&f).unwrap();
        assert!(ranged.len() < 60, "{ranged}");
        assert!(field.len() < ranged.len() + 10);
        assert_eq!(runs(&[1, 2, 3, 7, 9, 10]), vec![(1, 3), (7, 7), (9, 10)]);
    }

    #[test]
    fn bad_fields_are_named() {
        let mut f = sample();
        f.purpose_consents = vec![25];
        assert!(encode(&f).unwrap_err().to_string().contains("purpose_consents"));
        let mut f = sample();
        f.publisher_cc = "D".into();
        assert!(encode(&f).unwrap_err().to_string().contains("publisher_cc"));
        let mut f = sample();
        f.vendor_consents = vec![0];
        assert!(encode(&f).unwrap_err().to_string().contains("vendor id 0"));
    }

    #[test]
    fn a_tcf_purpose_needs_all_its_candor_purposes() {
        let config = Config::from_json(
            r#"{"site":"s","revision":"r","default_language":"de",
            "purposes":[{"id":"necessary","required":true,"label":"a","explain":"b","benefit":"c"},
                        {"id":"stats","label":"a","explain":"b","benefit":"c"},
                        {"id":"ads","label":"a","explain":"b","benefit":"c"}],
            "tcf":{"cmp_id":300,"vendor_list_version":12,"publisher_cc":"de","vendors":[8,755],
                   "purposes_map":{"1":["necessary"],"3":["ads"],"7":["ads","stats"]},
                   "publisher_purposes_map":{"1":["necessary"]}}}"#,
        )
        .unwrap();
        let mut c = Consent::undecided(&config);
        assert_eq!(from_consent(&config, &c, "de-DE"), None);
        c.decide(&config, &[], &["ads", "stats"], Method::Button, 1_763_800_123).unwrap();
        let f = from_consent(&config, &c, "de-DE").unwrap();
        assert_eq!(f.purpose_consents, vec![1], "purpose 1 follows the required purpose");
        assert_eq!(f.vendor_consents, Vec::<u16>::new(), "reject all: no vendor consent");
        c.decide(&config, &["ads"], &["stats"], Method::Button, 1_763_800_123).unwrap();
        let f = from_consent(&config, &c, "de-DE").unwrap();
        assert_eq!(f.purpose_consents, vec![1, 3]);
        assert_eq!(f.vendor_consents, vec![8, 755]);
        assert_eq!(f.consent_language, "DE");
        assert_eq!(from_consent(&config, &c, "fr").unwrap().consent_language, "FR", "the language the prompt was shown in");
        assert_eq!(from_consent(&config, &c, "fil").unwrap().consent_language, "DE", "no two-letter code: default_language's");
        assert_eq!(f.publisher_cc, "DE");
        assert_eq!(f.created, 1_763_769_600 * 10, "UTC midnight");
        assert_eq!(f.publisher.as_ref().unwrap().consents, vec![1]);
        assert_eq!(encode(&f).unwrap().split('.').count(), 2);
        c.decide(&config, &["stats"], &[], Method::Button, 1_763_800_123).unwrap();
        assert_eq!(from_consent(&config, &c, "de-DE").unwrap().purpose_consents, vec![1, 3, 7]);
    }
}
