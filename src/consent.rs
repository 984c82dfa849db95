//! Consent state: what the visitor decided, and whether a stored decision
//! still counts.
//!
//! One rule governs this module: a stored record is read as a grant only if
//! it validates completely against the current config (version, revision,
//! timestamps, exactly the config's optional purposes, booleans only).
//! Anything else — corrupt JSON, another revision, an expired timestamp or
//! one more than a week ahead, an unknown or missing purpose — means "ask again", with every
//! optional purpose denied. Required purposes are always granted and are not
//! stored at all.

use crate::map::StrMap;

#[cfg(test)]
use serde::Deserialize;
use serde::Serialize;

use crate::config::read::parse;
use crate::json::{obj, J};
use crate::map;
use crate::config::Config;

/// How a decision was made.
// Deserialize: receipts (src/receipt.rs) still read it through serde.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// A button in the prompt.
    Button,
    /// A call to the JS API.
    Api,
    /// Global Privacy Control.
    Gpc,
}

/// The record persisted in storage, written as one JSON value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct StoredRecord {
    /// Record format version.
    pub v: u32,
    /// Config revision the decision was made under.
    pub revision: String,
    /// Optional purposes and their state.
    pub purposes: StrMap<bool>,
    /// Unix seconds of the decision.
    pub updated_at: u64,
    /// How it was made.
    pub method: Method,
}

impl StoredRecord {
    /// Reads a stored record strictly: exactly the five keys once each, of
    /// their types; anything else is `None` ("ask again"). Hand-written to
    /// keep derived serde visitors out of the wasm. Stricter than the derived
    /// reader only for a purpose listed twice, which it took as the last one.
    pub fn from_json(text: &str) -> Option<StoredRecord> {
        let J::O(entries) = parse(text).ok()? else { return None };
        let (mut v, mut revision, mut purposes, mut updated_at, mut method) = (None, None, None, None, None);
        for (k, x) in entries {
            let fresh = match (k.as_str(), x) {
                ("v", J::U(n)) => v.replace(u32::try_from(n).ok()?).is_none(),
                ("revision", J::S(s)) => revision.replace(s).is_none(),
                ("updated_at", J::U(n)) => updated_at.replace(n).is_none(),
                ("method", J::S(m)) => method.replace(Method::parse(&m)?).is_none(),
                ("purposes", J::O(ps)) => {
                    let mut map = StrMap::new();
                    for (id, granted) in ps {
                        let J::Bool(b) = granted else { return None };
                        if map.insert(id, b).is_some() {
                            return None;
                        }
                    }
                    purposes.replace(map).is_none()
                }
                _ => return None,
            };
            if !fresh {
                return None;
            }
        }
        Some(StoredRecord { v: v?, revision: revision?, purposes: purposes?, updated_at: updated_at?, method: method? })
    }
}

impl Method {
    /// The name used in records and receipts.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Button => "button",
            Method::Api => "api",
            Method::Gpc => "gpc",
        }
    }

    /// Reads a name written by [`Method::as_str`].
    pub fn parse(s: &str) -> Option<Method> {
        [Method::Button, Method::Api, Method::Gpc].into_iter().find(|m| m.as_str() == s)
    }
}

impl Consent {
    /// The state as `window.candor` reports it: `{"revision","decided",
    /// "purposes","updated_at"}` (`updated_at` is `null` before a decision).
    pub fn to_json(&self) -> String {
        obj([
            ("revision", self.revision.as_str().into()),
            ("decided", self.decided.into()),
            ("purposes", J::from(&self.purposes)),
            ("updated_at", self.updated_at.into()),
        ])
        .to_text()
    }
}

impl StoredRecord {
    /// The record as stored: `{"v","revision","purposes","updated_at","method"}`.
    pub fn to_json(&self) -> String {
        obj([
            ("v", self.v.into()),
            ("revision", self.revision.as_str().into()),
            ("purposes", J::from(&self.purposes)),
            ("updated_at", self.updated_at.into()),
            ("method", self.method.as_str().into()),
        ])
        .to_text()
    }
}

const RECORD_VERSION: u32 = 1;
/// How far in the future a record may be dated: a decision made while the
/// visitor's clock ran fast (a phone set by hand, a wrong time zone) stays
/// a decision after the system corrects the clock. Its lifetime then runs
/// from that date, so it lasts at most this much longer; a date further
/// ahead is not a clock's error, and asks again.
const FUTURE_SKEW_SECONDS: u64 = 7 * 86_400;

/// The visitor's current decision, always complete for the config.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Consent {
    /// Config revision.
    pub revision: String,
    /// Whether the visitor has chosen.
    pub decided: bool,
    /// Every purpose in config order, required ones included (always true).
    pub purposes: StrMap<bool>,
    /// Unix seconds of the decision, `None` before it.
    pub updated_at: Option<u64>,
    /// How the decision was made, `None` before it.
    #[serde(skip)]
    pub method: Option<Method>,
}

/// Why a stored record was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Nothing stored.
    Missing,
    /// Not a valid record (JSON, shape, version or purposes).
    Corrupt,
    /// Made under another revision.
    OtherRevision,
    /// Made under this revision for other optional purposes (the config
    /// changed them without a new revision, or another config on the
    /// same origin wrote it).
    OtherPurposes,
    /// Older than `expires_days`, or dated in the future.
    Expired,
}

impl Consent {
    /// The undecided state: optional purposes denied, required granted.
    pub fn undecided(config: &Config) -> Consent {
        Consent {
            revision: config.revision.clone(),
            decided: false,
            purposes: map::build(config.purposes.iter().map(|p| (p.id.clone(), p.required))),
            updated_at: None,
            method: None,
        }
    }

    /// Reads a stored record. Anything short of a fully valid record gives
    /// the undecided state and the reason.
    pub fn load(config: &Config, stored: Option<&str>, now: u64) -> (Consent, Option<Rejection>) {
        match Self::parse(config, stored, now) {
            Ok(c) => (c, None),
            Err(r) => (Self::undecided(config), Some(r)),
        }
    }

    fn parse(config: &Config, stored: Option<&str>, now: u64) -> Result<Consent, Rejection> {
        let text = stored.ok_or(Rejection::Missing)?;
        let rec = StoredRecord::from_json(text).ok_or(Rejection::Corrupt)?;
        if rec.v != RECORD_VERSION {
            return Err(Rejection::Corrupt);
        }
        if rec.revision != config.revision {
            return Err(Rejection::OtherRevision);
        }
        // Other purposes first: such a record may be another config's on
        // this origin, judged by its own expires_days, not this one's.
        let optional: Vec<&str> = config.optional_purposes().map(|p| p.id.as_str()).collect();
        if rec.purposes.len() != optional.len() || !optional.iter().all(|id| rec.purposes.contains_key(*id)) {
            return Err(Rejection::OtherPurposes);
        }
        let max_age = u64::from(config.expires_days) * 86_400;
        if rec.updated_at > now.saturating_add(FUTURE_SKEW_SECONDS) || now.saturating_sub(rec.updated_at) >= max_age {
            return Err(Rejection::Expired);
        }
        let mut consent = Self::undecided(config);
        for (id, granted) in rec.purposes {
            consent.purposes.insert(id, granted);
        }
        consent.decided = true;
        consent.updated_at = Some(rec.updated_at);
        consent.method = Some(rec.method);
        Ok(consent)
    }

    /// The record to persist for this state (`None` while undecided).
    pub fn to_record(&self, config: &Config) -> Option<StoredRecord> {
        if !self.decided {
            return None;
        }
        Some(StoredRecord {
            v: RECORD_VERSION,
            revision: self.revision.clone(),
            purposes: map::build(config.optional_purposes().map(|p| (p.id.clone(), self.granted(&p.id)))),
            updated_at: self.updated_at.unwrap_or(0),
            method: self.method.unwrap_or(Method::Api),
        })
    }

    /// Whether `id` is granted right now. Unknown ids are never granted.
    pub fn granted(&self, id: &str) -> bool {
        self.purposes.get(id).copied().unwrap_or(false)
    }

    /// Applies a decision: `grant` and `deny` name purposes; required
    /// purposes stay granted whatever is asked; unknown ids are refused.
    /// Returns the purposes that went from granted to denied.
    pub fn decide(
        &mut self,
        config: &Config,
        grant: &[&str],
        deny: &[&str],
        method: Method,
        now: u64,
    ) -> Result<Vec<String>, Undecidable> {
        for id in grant.iter().chain(deny) {
            if config.purpose(id).is_none() {
                return Err(Undecidable::Unknown(id.to_string()));
            }
        }
        if let Some(id) = deny.iter().find(|id| config.purpose(id).is_some_and(|p| p.required)) {
            return Err(Undecidable::Required(id.to_string()));
        }
        let mut withdrawn = Vec::new();
        for p in config.optional_purposes() {
            let id = p.id.as_str();
            let now_granted = if deny.contains(&id) {
                false
            } else if grant.contains(&id) {
                true
            } else {
                continue;
            };
            if self.granted(id) && !now_granted {
                withdrawn.push(p.id.clone());
            }
            self.purposes.insert(p.id.clone(), now_granted);
        }
        self.decided = true;
        self.updated_at = Some(now);
        self.method = Some(method);
        Ok(withdrawn)
    }
}

/// What to do with the stored record once its durable copy has been read
/// (see [`reconcile`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconciled {
    /// The stored record stands (the copy, if it differs, is brought up to it).
    Keep,
    /// The copy holds the later decision: it replaces the stored record.
    Use(String),
    /// The decision is gone: the record is removed, and the visitor asked again.
    Neither,
}

/// How the durable copy marks an erase: this, then its Unix seconds.
pub const ERASED_MARK: &str = "erased:";

/// Settles the stored record (`local`, localStorage) against the durable
/// copy's history of what was written to it (`written`, oldest first: the
/// last few records, `""` for a removal, after the mark of the last erase,
/// [`ERASED_MARK`] and its time, if there was one). The copy is written
/// with strict durability; Chromium writes localStorage to disk up to a
/// minute late, so a browser
/// killed in that time comes back with a record from before its last
/// writes. That is what is recognised here, and only that:
/// - `local` is a state written before the last one (one the copy still
///   lists, or a record dated no later than the copy's last one, or one
///   from before the last erase): the writes after it were lost. The one that grants
///   less wins: a lost withdrawal or erase is honoured; a lost grant is not
///   brought back (the earlier, narrower decision holds); two that cannot be
///   compared (other revisions, other purposes, one purpose more each way)
///   mean asking again.
/// - anything else (the same as the last write, a later record nobody wrote
///   through Candor, such as one a test put there) stands as it is.
pub fn reconcile(local: Option<&str>, written: &[&str]) -> Reconciled {
    let here = local.unwrap_or("");
    let mine = StoredRecord::from_json(here);
    let records = records(written);
    // The last erase (its mark stays first in the copy, the records written
    // since follow it): a record not among those, dated by then, is one the
    // erase removed (one made in the same second after it is among them).
    let erased = written.iter().filter_map(|w| w.strip_prefix(ERASED_MARK)?.parse::<u64>().ok()).max();
    if let (Some(r), Some(at)) = (&mine, erased) {
        if r.updated_at <= at && !records.contains(&here) {
            return Reconciled::Neither;
        }
    }
    let Some((&last, before)) = records.split_last() else { return Reconciled::Keep };
    if here == last {
        return Reconciled::Keep;
    }
    let Some(mine) = mine else { return Reconciled::Keep };
    let copy = StoredRecord::from_json(last);
    // Written before the last write: still in the copy's history, or (more
    // decisions since than it keeps) one of this config's records dated no
    // later than the last one.
    let listed = before.contains(&here);
    if !listed && !copy.as_ref().is_some_and(|c| mine.updated_at <= c.updated_at) {
        return Reconciled::Keep;
    }
    let Some(copy) = copy else { return Reconciled::Neither };
    let comparable = mine.v == copy.v
        && mine.revision == copy.revision
        && mine.purposes.len() == copy.purposes.len()
        && copy.purposes.keys().all(|id| mine.purposes.contains_key(id));
    let within = |a: &StoredRecord, b: &StoredRecord| a.purposes.iter().all(|(id, g)| !*g || b.purposes.get(id) == Some(&true));
    if !comparable {
        // Listed: a write of Candor's that was lost. Only dated: another
        // config's or version's record, which the load judges.
        if listed { Reconciled::Neither } else { Reconciled::Keep }
    } else if within(&copy, &mine) {
        Reconciled::Use(last.to_string())
    } else if within(&mine, &copy) {
        Reconciled::Keep
    } else {
        Reconciled::Neither
    }
}

/// The records in the copy's history, without the erase mark.
fn records<'a>(written: &[&'a str]) -> Vec<&'a str> {
    written.iter().copied().filter(|w| !w.starts_with(ERASED_MARK)).collect()
}

/// Whether the copy must be brought up to `local` after a [`Reconciled::Keep`]:
/// its last record is another (an erase mark alone stands for nothing stored).
pub fn copy_behind(local: Option<&str>, written: &[&str]) -> bool {
    let here = local.unwrap_or("");
    records(written).last().map_or(!here.is_empty(), |last| *last != here)
}

/// Why a decision was refused (and nothing changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undecidable {
    /// A purpose id that the config does not declare.
    Unknown(String),
    /// A required purpose listed to be denied: it cannot be switched off.
    Required(String),
}

impl std::fmt::Display for Undecidable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Undecidable::Unknown(id) => write!(f, "unknown purpose {}", crate::json::quote_short(id)),
            Undecidable::Required(id) => write!(f, "purpose {} is required and cannot be denied", crate::json::quote_short(id)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: u64 = 1_763_800_000;

    fn config() -> Config {
        Config::from_json(
            r#"{"site":"s","revision":"r1","purposes":[
              {"id":"necessary","required":true,"label":"a","explain":"b","benefit":"c"},
              {"id":"stats","label":"a","explain":"b","benefit":"c"},
              {"id":"ads","label":"a","explain":"b","benefit":"c"}]}"#,
        )
        .unwrap()
    }

    fn any_optional_granted(c: &Consent) -> bool {
        c.granted("stats") || c.granted("ads")
    }

    fn rec(revision: &str, stats: bool, ads: bool, at: u64) -> String {
        format!(r#"{{"v":1,"revision":"{revision}","purposes":{{"stats":{stats},"ads":{ads}}},"updated_at":{at},"method":"button"}}"#)
    }

    #[test]
    fn a_lost_write_is_recognised_and_the_narrower_decision_wins() {
        let all = rec("r1", true, true, NOW);
        let none = rec("r1", false, false, NOW + 5);
        let stats = rec("r1", true, false, NOW + 5);
        let ads = rec("r1", false, true, NOW + 5);
        let k = |l: Option<&str>, w: &[&str]| reconcile(l, w);
        // Nothing written, or the last write is what localStorage holds.
        assert_eq!(k(Some(&all), &[]), Reconciled::Keep);
        assert_eq!(k(Some(&all), &[&none, &all]), Reconciled::Keep);
        assert_eq!(k(None, &[&all, ""]), Reconciled::Keep);
        // A withdrawal lost from localStorage, kept in the copy.
        assert_eq!(k(Some(&all), &[&all, &none]), Reconciled::Use(none.clone()));
        assert_eq!(k(Some(&all), &[&all, &stats]), Reconciled::Use(stats.clone()));
        // Two writes lost: the state from before both.
        assert_eq!(k(Some(&all), &[&all, &stats, &none]), Reconciled::Use(none.clone()));
        // A removal lost (an expiry, a QA preset without a grant): asked again.
        assert_eq!(k(Some(&all), &[&all, ""]), Reconciled::Neither);
        // A grant lost: the narrower record stands; a first one lost is asked again.
        assert_eq!(k(Some(&none), &[&none, &all]), Reconciled::Keep);
        assert_eq!(k(Some(&stats), &[&stats, &all]), Reconciled::Keep);
        assert_eq!(k(None, &["", &all]), Reconciled::Keep);
        // One purpose each way, another revision, other purposes: asked again.
        assert_eq!(k(Some(&stats), &[&stats, &ads]), Reconciled::Neither);
        let r2 = rec("r2", false, false, NOW);
        assert_eq!(k(Some(&all), &[&all, &r2]), Reconciled::Neither);
        let other = r#"{"v":1,"revision":"r1","purposes":{"stats":false},"updated_at":1,"method":"api"}"#;
        assert_eq!(k(Some(&all), &[&all, other]), Reconciled::Neither);
        // A later record Candor never wrote (a test put it there, another tool did): it stands.
        let seeded = rec("r1", true, true, NOW + 60);
        assert_eq!(k(Some(&seeded), &[&none]), Reconciled::Keep);
        assert_eq!(k(Some(&seeded), &[&stats, &none]), Reconciled::Keep);
        // An older one is a write the copy no longer lists (more decisions
        // since than it keeps): the narrower wins.
        assert_eq!(k(Some(&all), &[&stats, &ads, &stats, &none]), Reconciled::Use(none.clone()));
        // Not listed and not comparable (another revision's, another
        // version's record): left to the load, which asks again and says why.
        assert_eq!(k(Some(&rec("r0", true, true, NOW)), &[&all, &none]), Reconciled::Keep);
        // An unreadable record stands here (it is asked again at load, with a warning).
        assert_eq!(k(Some("{not json"), &["{not json", &all]), Reconciled::Keep);
        // An erase lost: a record from before it is gone; a later one stands.
        let erased = format!("{ERASED_MARK}{}", NOW + 1);
        assert_eq!(k(Some(&all), &[&erased]), Reconciled::Neither);
        assert_eq!(k(Some(&none), &[&erased]), Reconciled::Keep, "dated after the erase");
        assert_eq!(k(None, &[&erased]), Reconciled::Keep);
        assert_eq!(k(Some(&all), &["erased:soon"]), Reconciled::Keep);
        // The mark stays first while later decisions follow: a record from
        // before the erase is still gone, after a reload and a new decision.
        assert_eq!(k(Some(&all), &[&erased, ""]), Reconciled::Neither);
        assert_eq!(k(Some(&all), &[&erased, &none]), Reconciled::Neither);
        assert_eq!(k(Some(&none), &[&erased, &none]), Reconciled::Keep);
        // A decision in the same second as the erase, after it.
        let same = rec("r1", true, true, NOW + 1);
        assert_eq!(k(Some(&same), &[&erased, &same]), Reconciled::Keep);
        assert_eq!(k(Some(&same), &[&erased, &same, &none]), Reconciled::Use(none.clone()));
        assert_eq!(k(None, &[&erased, &none]), Reconciled::Keep);
    }

    #[test]
    fn the_copy_follows_what_stands() {
        let all = rec("r1", true, true, NOW);
        let erased = format!("{ERASED_MARK}{NOW}");
        assert!(!copy_behind(Some(&all), &[&erased, &all]));
        assert!(copy_behind(Some(&all), &[&erased]));
        assert!(!copy_behind(None, &[&erased]), "a mark alone is nothing stored");
        assert!(!copy_behind(None, &[]));
        assert!(copy_behind(None, &[&all]));
    }

    #[test]
    fn reconciling_never_grants_what_the_stored_record_did_not() {
        let cfg = config();
        let grants = |t: Option<&str>| {
            let (c, _) = Consent::load(&cfg, t, NOW + 10);
            (c.granted("stats"), c.granted("ads"))
        };
        for bits in 0..16u8 {
            let (a, b, c, d) = (bits & 1 != 0, bits & 2 != 0, bits & 4 != 0, bits & 8 != 0);
            let local = rec("r1", a, b, NOW);
            let copy = rec("r1", c, d, NOW + 1);
            let after = match reconcile(Some(&local), &[&local, &copy]) {
                Reconciled::Keep => grants(Some(&local)),
                Reconciled::Use(t) => grants(Some(&t)),
                Reconciled::Neither => grants(None),
            };
            assert!((!after.0 || (a && c)) && (!after.1 || (b && d)), "{local} / {copy} gave {after:?}");
        }
    }

    #[test]
    fn state_json_is_what_serde_wrote() {
        let cfg = config();
        let mut c = Consent::undecided(&cfg);
        assert_eq!(c.to_json(), serde_json::to_string(&c).unwrap());
        c.decide(&cfg, &["stats"], &[], Method::Button, 1_700_000_000).unwrap();
        assert_eq!(c.to_json(), serde_json::to_string(&c).unwrap());
    }

    #[test]
    fn starts_denied_with_required_granted() {
        let (c, why) = Consent::load(&config(), None, NOW);
        assert_eq!(why, Some(Rejection::Missing));
        assert!(!c.decided);
        assert!(c.granted("necessary"));
        assert!(!any_optional_granted(&c));
    }

    #[test]
    fn round_trip_keeps_the_decision() {
        let cfg = config();
        let mut c = Consent::undecided(&cfg);
        c.decide(&cfg, &["stats"], &[], Method::Button, NOW).unwrap();
        let text = c.to_record(&cfg).unwrap().to_json();
        assert_eq!(text, serde_json::to_string(&c.to_record(&cfg).unwrap()).unwrap(), "as serde's derived writer wrote it");
        let (back, why) = Consent::load(&cfg, Some(&text), NOW + 10);
        assert_eq!(why, None);
        assert_eq!(back, c);
        assert!(back.granted("stats") && !back.granted("ads"));
    }

    #[test]
    fn required_purposes_cannot_be_denied_and_unknown_ids_are_refused() {
        let cfg = config();
        let mut c = Consent::undecided(&cfg);
        let before = c.clone();
        assert_eq!(c.decide(&cfg, &["stats"], &["necessary"], Method::Api, NOW), Err(Undecidable::Required("necessary".into())));
        assert_eq!(c.decide(&cfg, &["ghost"], &[], Method::Api, NOW), Err(Undecidable::Unknown("ghost".into())));
        assert_eq!(c, before, "a refused decision changes nothing, not even decided");
        assert!(c.granted("necessary"));
        c.decide(&cfg, &["necessary"], &[], Method::Api, NOW).unwrap();
        assert!(c.granted("necessary"), "granting a required purpose is allowed (it always is)");
    }

    #[test]
    fn withdrawal_is_reported() {
        let cfg = config();
        let mut c = Consent::undecided(&cfg);
        c.decide(&cfg, &["stats", "ads"], &[], Method::Api, NOW).unwrap();
        assert_eq!(c.decide(&cfg, &[], &["ads"], Method::Api, NOW).unwrap(), vec!["ads".to_string()]);
    }

    fn stored(revision: &str, purposes: &str, at: u64) -> String {
        format!(r#"{{"v":1,"revision":"{revision}","purposes":{purposes},"updated_at":{at},"method":"button"}}"#)
    }

    #[test]
    fn other_revision_expired_future_and_mismatched_purposes_ask_again() {
        let cfg = config();
        let all = r#"{"stats":true,"ads":true}"#;
        assert_eq!(Consent::load(&cfg, Some(&stored("r1", all, NOW)), NOW).1, None);
        assert_eq!(Consent::load(&cfg, Some(&stored("r0", all, NOW)), NOW).1, Some(Rejection::OtherRevision));
        assert_eq!(Consent::load(&cfg, Some(&stored("r1", all, NOW - 182 * 86_400)), NOW).1, Some(Rejection::Expired));
        assert_eq!(Consent::load(&cfg, Some(&stored("r1", all, NOW + 8 * 86_400)), NOW).1, Some(Rejection::Expired));
        // Written while the clock ran two days fast, read after it was set right.
        let (c, why) = Consent::load(&cfg, Some(&stored("r1", all, NOW + 2 * 86_400)), NOW);
        assert_eq!((why, c.updated_at), (None, Some(NOW + 2 * 86_400)));
        assert!(c.granted("stats"));
        for (p, want) in [
            (r#"{"stats":true}"#, Rejection::OtherPurposes),
            (r#"{"stats":true,"ads":true,"x":true}"#, Rejection::OtherPurposes),
            (r#"{"stats":true,"ads":"yes"}"#, Rejection::Corrupt),
            (r#"{"stats":1,"ads":1}"#, Rejection::Corrupt),
        ] {
            let (c, why) = Consent::load(&cfg, Some(&stored("r1", p, NOW)), NOW);
            assert_eq!(why, Some(want), "{p}");
            // Judged by its purposes before its age: another config's record on this origin (kept
            // there) is not this config's expired one (removed).
            assert_eq!(Consent::load(&cfg, Some(&stored("r1", p, NOW - 400 * 86_400)), NOW).1, Some(want), "{p}, old");
            assert!(!any_optional_granted(&c));
        }
    }

    fn arb_json() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::{json, Value};
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            prop_oneof![Just("r1".to_string()), Just("stats".to_string()), ".{0,8}"].prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop_oneof![Just("v".to_string()), Just("revision".to_string()), Just("purposes".to_string()),
                                Just("updated_at".to_string()), Just("method".to_string()), Just("stats".to_string()),
                                Just("ads".to_string()), "[a-z]{1,6}"],
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Random bytes never produce a grant.
        #[test]
        fn garbage_text_never_grants(s in ".{0,200}") {
            let (c, _) = Consent::load(&config(), Some(&s), NOW);
            prop_assert!(!c.decided);
            prop_assert!(!any_optional_granted(&c));
        }

        /// Random JSON documents, biased toward the record's own keys, grant
        /// only when they are exactly a valid record.
        #[test]
        fn random_json_grants_only_when_fully_valid(v in arb_json()) {
            let cfg = config();
            let text = v.to_string();
            let (c, why) = Consent::load(&cfg, Some(&text), NOW);
            if why.is_some() {
                prop_assert!(!c.decided && !any_optional_granted(&c));
            } else {
                let rec: StoredRecord = serde_json::from_str(&text).unwrap();
                prop_assert_eq!(rec.revision, "r1");
            }
        }

        /// The hand-written reader accepts exactly what the serde-derived one did
        /// (the generator's objects have no repeated keys).
        #[test]
        fn reader_agrees_with_the_derived_one(v in arb_json()) {
            let text = v.to_string();
            prop_assert_eq!(StoredRecord::from_json(&text), serde_json::from_str::<StoredRecord>(&text).ok());
        }

        /// Mutating one thing of a valid record (revision, version, time,
        /// purpose set or value types) never grants.
        #[test]
        fn mutated_records_never_grant(
            rev in prop_oneof![Just("r0".to_string()), Just("R1".to_string()), Just("".to_string()), "[a-z0-9]{1,4}"],
            extra in "[a-z]{1,8}",
            age_days in 182u64..20_000,
            which in 0usize..4,
        ) {
            let cfg = config();
            let text = match which {
                0 if rev != "r1" => stored(&rev, r#"{"stats":true,"ads":true}"#, NOW),
                1 => format!(r#"{{"v":2,"revision":"r1","purposes":{{"stats":true,"ads":true}},"updated_at":{NOW},"method":"api"}}"#),
                2 => stored("r1", r#"{"stats":true,"ads":true}"#, NOW - age_days * 86_400),
                _ if extra != "stats" && extra != "ads" => stored("r1", &format!(r#"{{"stats":true,"ads":true,"{extra}":true}}"#), NOW),
                _ => stored("r1", r#"{"stats":"true","ads":true}"#, NOW),
            };
            let (c, why) = Consent::load(&cfg, Some(&text), NOW);
            prop_assert!(why.is_some(), "accepted {}", text);
            prop_assert!(!any_optional_granted(&c));
        }
    }
}
