//! The `candor_consent` cookie: the decision in a form servers and edge code
//! can read without running any JavaScript.
//!
//! Format: `v1.<revision hash>.<bitmap>`, for example `v1.1a2b3c4d.5`.
//! - `<revision hash>`: FNV-1a (32 bit) of the config's `revision` as UTF-8,
//!   8 lowercase hex digits. A server compares it with the hash of the
//!   revision it serves; a mismatch means "not decided under these terms".
//! - `<bitmap>`: lowercase hex, no leading zeros; bit *i* (least significant
//!   first) is the *i*-th **optional** purpose in config order, set when
//!   granted. Required purposes are not in it (they are always on).
//!
//! The cookie exists only while a valid decision exists, carries
//! `Path=/; SameSite=Lax`, `Secure` on https, `Max-Age` = the time left
//! before the decision expires, and `Domain` when the config sets one. It is
//! written only when the config has `"cookie": {"enabled": true}` (or `{}`).
//! [`parse`] is the reference reader; anything it rejects means "ask again".

use crate::map::StrMap;

use crate::config::Config;
use crate::consent::Consent;

/// The cookie's name.
pub const NAME: &str = "candor_consent";

/// FNV-1a 32-bit of `revision`, as 8 hex digits.
pub fn revision_hash(revision: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in revision.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

fn enabled(config: &Config) -> Option<&crate::config::CookieConfig> {
    config.cookie.as_ref().filter(|c| c.enabled)
}

/// The cookie value for a decision, `None` while undecided.
pub fn value(config: &Config, consent: &Consent) -> Option<String> {
    if !consent.decided {
        return None;
    }
    let bits = config
        .optional_purposes()
        .enumerate()
        .filter(|(_, p)| consent.granted(&p.id))
        .fold(0u32, |acc, (i, _)| acc | 1 << i);
    Some(format!("v1.{}.{bits:x}", revision_hash(&config.revision)))
}

fn attributes(config: &Config, secure: bool) -> String {
    let mut out = String::from("; Path=/; SameSite=Lax");
    if secure {
        out.push_str("; Secure");
    }
    if let Some(domain) = enabled(config).and_then(|c| c.domain.as_deref()) {
        out.push_str("; Domain=");
        out.push_str(domain);
    }
    out
}

/// What to assign to `document.cookie`: the cookie for a decision, or its
/// deletion while undecided. `None` when the cookie is not enabled.
pub fn assignment(config: &Config, consent: &Consent, secure: bool, now: u64) -> Option<String> {
    enabled(config)?;
    let attrs = attributes(config, secure);
    Some(match value(config, consent) {
        Some(v) => {
            let expires = consent.updated_at.unwrap_or(0) + u64::from(config.expires_days) * 86_400;
            format!("{NAME}={v}{attrs}; Max-Age={}", expires.saturating_sub(now))
        }
        None => format!("{NAME}={attrs}; Max-Age=0"),
    })
}

/// Why a cookie value was not read as a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieError {
    /// Not `v1.<8 hex>.<hex>`.
    Malformed,
    /// Made under another revision.
    OtherRevision,
    /// Bits set beyond the config's optional purposes.
    UnknownPurpose,
}

/// Reads a cookie value back into optional purpose → granted.
pub fn parse(config: &Config, value: &str) -> Result<StrMap<bool>, CookieError> {
    let mut parts = value.split('.');
    let (Some("v1"), Some(hash), Some(bitmap), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(CookieError::Malformed);
    };
    let hex = |s: &str, max: usize| !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !hex(hash, 8) || hash.len() != 8 || !hex(bitmap, 8) {
        return Err(CookieError::Malformed);
    }
    if hash != revision_hash(&config.revision) {
        return Err(CookieError::OtherRevision);
    }
    let bits = u32::from_str_radix(bitmap, 16).map_err(|_| CookieError::Malformed)?;
    let n = config.optional_purposes().count();
    if n < 32 && bits >> n != 0 {
        return Err(CookieError::UnknownPurpose);
    }
    Ok(crate::map::build(config.optional_purposes().enumerate().map(|(i, p)| (p.id.clone(), bits >> i & 1 == 1))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::Method;
    use proptest::prelude::*;

    const CONFIG: &str = r#"{"site":"s","revision":"2026-11-01","expires_days":30,
        "purposes":[{"id":"necessary","required":true,"label":"a","explain":"b","benefit":"c"},
                    {"id":"stats","label":"a","explain":"b","benefit":"c"},
                    {"id":"video","label":"a","explain":"b","benefit":"c"},
                    {"id":"ads","label":"a","explain":"b","benefit":"c"}],
        "cookie":{"domain":"shop.example"}}"#;

    #[test]
    fn fnv1a_matches_the_published_vectors() {
        assert_eq!(revision_hash(""), "811c9dc5");
        assert_eq!(revision_hash("a"), "e40c292c");
        assert_eq!(revision_hash("foobar"), "bf9cf968");
    }

    #[test]
    fn value_and_attributes() {
        let config = Config::from_json(CONFIG).unwrap();
        let mut c = Consent::undecided(&config);
        assert_eq!(value(&config, &c), None);
        assert_eq!(
            assignment(&config, &c, true, 5).unwrap(),
            "candor_consent=; Path=/; SameSite=Lax; Secure; Domain=shop.example; Max-Age=0"
        );
        c.decide(&config, &["stats", "ads"], &["video"], Method::Button, 1000).unwrap();
        let v = value(&config, &c).unwrap();
        assert_eq!(v, format!("v1.{}.5", revision_hash("2026-11-01")));
        assert_eq!(
            assignment(&config, &c, false, 1000 + 86_400).unwrap(),
            format!("candor_consent={v}; Path=/; SameSite=Lax; Domain=shop.example; Max-Age={}", 29 * 86_400)
        );
        let off = Config::from_json(&CONFIG.replace(r#""cookie":{"domain":"shop.example"}"#, r#""cookie":{"enabled":false}"#)).unwrap();
        assert_eq!(assignment(&off, &c, true, 1000), None);
    }

    #[test]
    fn broken_or_foreign_values_are_refused() {
        let config = Config::from_json(CONFIG).unwrap();
        let h = revision_hash("2026-11-01");
        assert_eq!(parse(&config, "v2.00000000.1"), Err(CookieError::Malformed));
        assert_eq!(parse(&config, &format!("v1.{h}")), Err(CookieError::Malformed));
        assert_eq!(parse(&config, &format!("v1.{h}.G")), Err(CookieError::Malformed));
        assert_eq!(parse(&config, &format!("v1.{h}.1.2")), Err(CookieError::Malformed));
        assert_eq!(parse(&config, "v1.00000000.1"), Err(CookieError::OtherRevision));
        assert_eq!(parse(&config, &format!("v1.{h}.8")), Err(CookieError::UnknownPurpose));
    }

    proptest! {
        #[test]
        fn every_decision_round_trips(stats: bool, video: bool, ads: bool) {
            let config = Config::from_json(CONFIG).unwrap();
            let mut c = Consent::undecided(&config);
            let all = [("stats", stats), ("video", video), ("ads", ads)];
            let grant: Vec<&str> = all.iter().filter(|x| x.1).map(|x| x.0).collect();
            let deny: Vec<&str> = all.iter().filter(|x| !x.1).map(|x| x.0).collect();
            c.decide(&config, &grant, &deny, Method::Api, 7).unwrap();
            let back = parse(&config, &value(&config, &c).unwrap()).unwrap();
            for (id, on) in all {
                prop_assert_eq!(back[id], on);
            }
        }
    }
}
