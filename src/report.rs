//! Reports: what leaves the browser, exactly as contract §6 describes.
//!
//! A report is built from one closed [`Aggregate`] and carries nothing else:
//! no identifier of the visitor, no user agent, no URL beyond the declared
//! categories, no time finer than the window. The `report_id` is a fresh
//! random UUIDv4 used by the collector as an idempotency key.

use crate::map::StrMap;

use serde::{Deserialize, Serialize};

use crate::aggregate::{Aggregate, Tally};
use crate::config::{Config, Field};
use crate::json::{self, obj, J};
use crate::map;
use crate::noise::{self, Entropy};

/// One report, as sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Random UUIDv4; the collector's idempotency key.
    pub report_id: String,
    /// The config's `site`.
    pub site: String,
    /// The config's `revision`.
    pub revision: String,
    /// The purpose every event in it serves.
    pub purpose: String,
    /// The window it covers.
    pub window: Window,
    /// Per-event counts and field cells.
    pub events: StrMap<ReportEvent>,
    /// The noise applied, `None` when exact.
    pub noise: Option<NoiseInfo>,
    /// `candor/<version>`.
    pub sdk: String,
}

/// A report's time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Unix seconds, a multiple of `seconds`.
    pub start: u64,
    /// Length in seconds.
    pub seconds: u32,
}

/// One event's figures in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportEvent {
    /// Events counted (noisy when noise is on).
    pub count: i64,
    /// Field cells by field name.
    #[serde(default)]
    pub fields: StrMap<ReportCell>,
}

/// A field's cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ReportCell {
    /// Counts per category value.
    Category(StrMap<i64>),
    /// Counts per bucket, overflow last.
    Histogram(Vec<i64>),
    /// A (clamped) total.
    Sum(f64),
}

/// What noise was applied.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoiseInfo {
    /// Always `"geometric"` (Laplace for sums).
    pub mechanism: Mechanism,
    /// ε of the whole report.
    pub epsilon: f64,
}

/// The noise mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mechanism {
    /// Two-sided geometric on counts, Laplace on sums.
    Geometric,
}

impl Report {
    /// The report as JSON (contract §6), keys in declaration order.
    pub fn to_json_value(&self) -> J {
        let events = self
            .events
            .iter()
            .map(|(name, e)| {
                let fields = e
                    .fields
                    .iter()
                    .map(|(f, cell)| {
                        let v = match cell {
                            ReportCell::Category(m) => J::from(m),
                            ReportCell::Histogram(b) => J::from(b.clone()),
                            ReportCell::Sum(x) => J::F(*x),
                        };
                        (f.clone(), v)
                    })
                    .collect();
                (name.clone(), obj([("count", e.count.into()), ("fields", J::O(fields))]))
            })
            .collect();
        obj([
            ("report_id", self.report_id.as_str().into()),
            ("site", self.site.as_str().into()),
            ("revision", self.revision.as_str().into()),
            ("purpose", self.purpose.as_str().into()),
            ("window", obj([("start", self.window.start.into()), ("seconds", self.window.seconds.into())])),
            ("events", J::O(events)),
            ("noise", self.noise.map_or(J::Null, |n| obj([("mechanism", "geometric".into()), ("epsilon", n.epsilon.into())]))),
            ("sdk", self.sdk.as_str().into()),
        ])
    }

    /// The report as JSON text.
    pub fn to_json(&self) -> String {
        self.to_json_value().to_text()
    }

    /// This report as reports of whole events whose JSON is at most `max`
    /// bytes each, with their JSON: a purpose with many events, or long
    /// category values, would otherwise make one report larger than a
    /// collector takes, and lose all of it. Each event is in exactly one
    /// part, so the collector's sums and per-event report counts are those
    /// of the whole. The first part keeps this report's id, the others get
    /// new ones. An event too large on its own is a part of its own, still
    /// over `max`.
    pub fn split(self, max: usize) -> Vec<(Report, String)> {
        let text = self.to_json();
        if text.len() <= max || self.events.len() < 2 {
            return vec![(self, text)];
        }
        let Report { report_id, site, revision, purpose, window, events, noise, sdk } = self;
        let part = |report_id: String| Report {
            report_id,
            site: site.clone(),
            revision: revision.clone(),
            purpose: purpose.clone(),
            window,
            events: StrMap::new(),
            noise,
            sdk: sdk.clone(),
        };
        let mut parts = Vec::new();
        let first = report_id.clone();
        let mut current = part(report_id);
        // Set by the first event (a part always takes one).
        let mut current_text = String::new();
        for (name, event) in events {
            current.events.insert(name.clone(), event);
            let text = current.to_json();
            if text.len() <= max || current.events.len() == 1 {
                current_text = text;
                continue;
            }
            let Some(event) = current.events.remove(&name) else { continue };
            let full = std::mem::replace(&mut current, part(part_id(&first, parts.len() + 1)));
            parts.push((full, std::mem::take(&mut current_text)));
            current.events.insert(name, event);
            current_text = current.to_json();
        }
        parts.push((current, current_text));
        parts
    }

    /// Reads a report strictly (as stored by [`Report::to_json`]): every key
    /// known, of its type; `None` otherwise.
    pub fn from_json(text: &str) -> Option<Report> {
        Self::from_json_value(&json::parse(text).ok()?)
    }

    /// Reads a parsed report; see [`Report::from_json`].
    pub fn from_json_value(v: &J) -> Option<Report> {
        const KEYS: [&str; 8] = ["report_id", "site", "revision", "purpose", "window", "events", "noise", "sdk"];
        only(v, &KEYS)?;
        let text = |k: &str| v.get(k)?.as_str().map(str::to_string);
        let w = v.get("window")?;
        only(w, &["start", "seconds"])?;
        let events = map::try_build(v.get("events")?.as_object()?.iter().map(|(name, e)| {
            only(e, &["count", "fields"])?;
            let fields = match e.get("fields") {
                None => StrMap::new(),
                Some(f) => map::try_build(f.as_object()?.iter().map(|(k, c)| Some((k.clone(), cell(c)?))))?,
            };
            Some((name.clone(), ReportEvent { count: e.get("count")?.as_i64()?, fields }))
        }))?;
        let noise = match v.get("noise") {
            None | Some(J::Null) => None,
            Some(n) => {
                only(n, &["mechanism", "epsilon"])?;
                (n.get("mechanism")?.as_str()? == "geometric").then_some(())?;
                Some(NoiseInfo { mechanism: Mechanism::Geometric, epsilon: n.get("epsilon")?.as_f64()? })
            }
        };
        Some(Report {
            report_id: text("report_id")?,
            site: text("site")?,
            revision: text("revision")?,
            purpose: text("purpose")?,
            window: Window { start: w.get("start")?.as_u64()?, seconds: u32::try_from(w.get("seconds")?.as_u64()?).ok()? },
            events,
            noise,
            sdk: text("sdk")?,
        })
    }
}

/// `Some` when `v` is an object with no key outside `keys` and none twice.
fn only(v: &J, keys: &[&str]) -> Option<()> {
    v.has_only_keys(keys).then_some(())
}

fn cell(v: &J) -> Option<ReportCell> {
    Some(match v {
        J::O(m) => ReportCell::Category(map::try_build(m.iter().map(|(k, n)| Some((k.clone(), n.as_i64()?))))?),
        J::A(b) => ReportCell::Histogram(b.iter().map(J::as_i64).collect::<Option<_>>()?),
        x => ReportCell::Sum(x.as_f64()?),
    })
}

/// The id of part `n` (1, 2, ...) of the report `first`: made from it, so
/// the same report split again (a copy of its aggregate sent once more)
/// gives its parts the same ids, and the collector counts each once. In a
/// UUIDv4's form, as the collector requires.
fn part_id(first: &str, n: usize) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{first}/{n}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(b).into_uuid().hyphenated().to_string()
}

/// A random UUIDv4 string.
pub fn uuid_v4(rng: &mut impl Entropy) -> String {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
    b[8..].copy_from_slice(&rng.next_u64().to_le_bytes());
    uuid::Builder::from_random_bytes(b).into_uuid().hyphenated().to_string()
}

/// The largest count (or category/histogram cell) the collector takes, either sign.
pub const MAX_COUNT: i64 = 1_000_000_000;
/// The largest sum the collector takes, either sign.
pub const MAX_SUM: f64 = 1e12;

/// Cells are held to the collector's limits, so a report is never refused
/// (and all its other cells lost) for one extreme value: a sum of many
/// large amounts, or noise drawn with a tiny ε.
fn count_cell(n: i64) -> i64 {
    n.clamp(-MAX_COUNT, MAX_COUNT)
}

fn sum_cell(s: f64) -> f64 {
    // max/min, not f64::clamp: its panic message would ship the float printer.
    s.max(-MAX_SUM).min(MAX_SUM)
}

/// Builds the report for a closed aggregate. `epsilon` overrides the
/// config's noise (QA mode may switch it off with `Some(None)`).
pub fn build(config: &Config, agg: &Aggregate, rng: &mut impl Entropy, noise_override: Option<Option<f64>>) -> Report {
    let epsilon = noise_override.unwrap_or(config.aggregation.noise.map(|n| n.epsilon));
    let mut events = StrMap::new();
    match epsilon {
        None => {
            for (name, t) in &agg.events {
                let fields = map::build(t.fields.iter().map(|(f, tally)| {
                    let cell = match tally {
                        Tally::Category(m) => {
                            ReportCell::Category(map::build(m.iter().filter(|(_, n)| **n > 0).map(|(k, n)| (k.clone(), count_cell(*n as i64)))))
                        }
                        Tally::Histogram(b) => ReportCell::Histogram(b.iter().map(|n| count_cell(*n as i64)).collect()),
                        Tally::Sum(s) => ReportCell::Sum(sum_cell(*s)),
                    };
                    (f.clone(), cell)
                }));
                events.insert(name.clone(), ReportEvent { count: count_cell(t.count as i64), fields });
            }
        }
        Some(eps) => {
            // Every declared event of the purpose and every cell appears, so
            // absence reveals nothing; ε is split over the components.
            let declared: Vec<_> = config.events.iter().filter(|(_, e)| e.purpose == agg.purpose).collect();
            let components: usize = declared.iter().map(|(_, e)| 1 + e.fields.values().filter(|f| !matches!(f, Field::Count {})).count()).sum();
            let eps_c = eps / components.max(1) as f64;
            for (name, decl) in declared {
                let m = f64::from(config.max_per_window(decl));
                let empty = Default::default();
                let t = agg.events.get(name).unwrap_or(&empty);
                let count = count_cell((t.count as i64).saturating_add(noise::geometric(rng, eps_c, m)));
                let mut fields = StrMap::new();
                for (f, field) in &decl.fields {
                    let cell = match (field, t.fields.get(f)) {
                        (Field::Category { values }, tally) => {
                            let counts = match tally {
                                Some(Tally::Category(c)) => c.clone(),
                                _ => StrMap::new(),
                            };
                            let cells = values.iter().map(String::as_str).chain(["other"]).map(|v| {
                                let n = counts.get(v).copied().unwrap_or(0) as i64;
                                (v.to_string(), count_cell(n.saturating_add(noise::geometric(rng, eps_c, 2.0 * m))))
                            });
                            ReportCell::Category(map::build(cells))
                        }
                        (Field::Histogram { buckets }, tally) => {
                            let counts = match tally {
                                Some(Tally::Histogram(h)) => h.clone(),
                                _ => vec![0; buckets.len() + 1],
                            };
                            let cells = (0..=buckets.len())
                                .map(|i| count_cell((counts.get(i).copied().unwrap_or(0) as i64).saturating_add(noise::geometric(rng, eps_c, 2.0 * m))));
                            ReportCell::Histogram(cells.collect())
                        }
                        (Field::Sum { min, max }, tally) => {
                            let s = match tally {
                                Some(Tally::Sum(s)) => *s,
                                _ => 0.0,
                            };
                            let sens = (m * max).max(0.0) - (m * min).min(0.0);
                            ReportCell::Sum(sum_cell(s + noise::laplace(rng, eps_c, sens)))
                        }
                        (Field::Count {}, _) => continue,
                    };
                    fields.insert(f.clone(), cell);
                }
                events.insert(name.clone(), ReportEvent { count, fields });
            }
        }
    }
    Report {
        // The id the aggregate was stored with, so a copy of it sent again is one report.
        report_id: if crate::aggregate::is_uuid_v4(&agg.id) { agg.id.clone() } else { uuid_v4(rng) },
        site: config.site.clone(),
        revision: config.revision.clone(),
        purpose: agg.purpose.clone(),
        window: Window { start: agg.start, seconds: agg.seconds },
        events,
        noise: epsilon.map(|epsilon| NoiseInfo { mechanism: Mechanism::Geometric, epsilon }),
        sdk: crate::SDK.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Aggregator;
    use crate::consent::{Consent, Method};
    use crate::gate::{check, tests::config, Value};
    use crate::noise::Seeded;

    fn aggregate() -> (Config, Aggregate) {
        let cfg = config();
        let mut c = Consent::undecided(&cfg);
        c.decide(&cfg, &["stats", "ads"], &[], Method::Api, 1).unwrap();
        let mut a = Aggregator::default();
        for (path, ms) in [("/shop", 50.0), ("/shop", 500.0), ("/", 150.0), ("/private?id=7", 50.0)] {
            let o = check(&cfg, &c, "page_view", &[("path", Value::Text(path)), ("load_ms", Value::Number(ms))]).unwrap();
            a.record(&cfg, &o, 1_763_800_021).unwrap();
        }
        (cfg, a.close(0, true).remove(0))
    }

    #[test]
    fn exact_report_matches_the_contract_shape() {
        let (cfg, agg) = aggregate();
        let r = build(&cfg, &agg, &mut Seeded(1), None);
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v, serde_json::to_value(&r).unwrap(), "the same JSON as serde's derived writer");
        assert_eq!(v["window"], serde_json::json!({"start": 1_763_800_020u64, "seconds": 60}));
        assert_eq!(v["events"]["page_view"]["count"], 4);
        assert_eq!(v["events"]["page_view"]["fields"]["path"], serde_json::json!({"/shop": 2, "/": 1, "other": 1}));
        assert_eq!(v["events"]["page_view"]["fields"]["load_ms"], serde_json::json!([2, 1, 1]));
        assert_eq!(v["noise"], serde_json::Value::Null);
        assert_eq!(v["purpose"], "stats");
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["events", "noise", "purpose", "report_id", "revision", "sdk", "site", "window"]);
        assert!(!r.to_json().contains("private"), "unlisted values never leave");
        let id = uuid::Uuid::parse_str(&r.report_id).unwrap();
        assert_eq!(id.get_version_num(), 4);
    }

    #[test]
    fn noisy_report_lists_every_declared_cell() {
        let (mut cfg, agg) = aggregate();
        cfg.aggregation.noise = Some(crate::config::Noise { epsilon: 1.0 });
        let r = build(&cfg, &agg, &mut Seeded(1), None);
        assert_eq!(r.noise, Some(NoiseInfo { mechanism: Mechanism::Geometric, epsilon: 1.0 }));
        let ReportCell::Category(path) = &r.events["page_view"].fields["path"] else { panic!() };
        assert_eq!(path.keys().collect::<Vec<_>>(), ["/", "/shop", "other"]);
        let exact = build(&cfg, &agg, &mut Seeded(1), Some(None));
        assert_eq!(exact.noise, None, "QA can switch noise off");
        assert_eq!(exact.events["page_view"].count, 4);
    }

    #[test]
    fn cells_stay_within_the_collectors_limits() {
        let big = CONFIG_BIG;
        let cfg = Config::from_json(big).unwrap();
        let mut c = Consent::undecided(&cfg);
        c.decide(&cfg, &["ads"], &[], Method::Api, 1).unwrap();
        let mut a = Aggregator::default();
        for _ in 0..3 {
            let o = check(&cfg, &c, "purchase", &[("amount", Value::Number(1e12))]).unwrap();
            a.record(&cfg, &o, 1_763_800_021).unwrap();
        }
        let agg = a.close(0, true).remove(0);
        let exact = build(&cfg, &agg, &mut Seeded(3), Some(None));
        assert_eq!(exact.events["purchase"].fields["amount"], ReportCell::Sum(MAX_SUM), "3e12 is held at 1e12");
        // A tiny ε draws noise far beyond the limits: held too, on every draw.
        for seed in 0..200 {
            let r = build(&cfg, &agg, &mut Seeded(seed), None);
            let e = &r.events["purchase"];
            assert!(e.count.abs() <= MAX_COUNT, "{}", e.count);
            let ReportCell::Sum(s) = e.fields["amount"] else { panic!() };
            assert!(s.abs() <= MAX_SUM, "{s}");
            assert!(crate::conform::report(&cfg, &r, false), "a held report still conforms");
        }
    }

    /// A noised config whose one purpose has `events` events of a 64-value category.
    fn wide(events: usize) -> String {
        let values: Vec<String> = (0..64).map(|i| format!("\"/a-fairly-long-category-value-number-{i:02}\"")).collect();
        let evs: Vec<String> = (0..events)
            .map(|e| format!("\"event_{e}\":{{\"purpose\":\"ads\",\"fields\":{{\"path\":{{\"kind\":\"category\",\"values\":[{}]}}}}}}", values.join(",")))
            .collect();
        format!(
            r#"{{"site":"s","revision":"r","purposes":[{{"id":"ads","label":"a","explain":"b","benefit":"c"}}],
               "aggregation":{{"noise":{{"epsilon":1}}}},"events":{{{}}}}}"#,
            evs.join(",")
        )
    }

    #[test]
    fn events_whose_reports_may_be_too_large_are_named() {
        let cfg = Config::from_json(&wide(10)).unwrap();
        assert!(cfg.oversized_events().is_empty());
        let agg = Aggregate { purpose: "ads".into(), start: 0, seconds: 60, events: StrMap::new(), id: String::new() };
        for seed in 0..20 {
            let r = build(&cfg, &agg, &mut Seeded(seed), None);
            let (actual, estimate) = (r.to_json().len(), cfg.noised_report_bytes("ads"));
            assert!(actual <= estimate && estimate < actual * 5 / 4, "{actual} vs {estimate}");
        }
        // Many events are split into several reports: none is named.
        assert!(Config::from_json(&wide(40)).unwrap().oversized_events().is_empty());
        // One event too large alone is named (the shell warns), never refused: the estimate is only that.
        let values: Vec<String> = (0..64).map(|i| format!("\"{}{i:03}\"", "v".repeat(125))).collect();
        let fields: Vec<String> = (0..9).map(|f| format!("\"f{f}\":{{\"kind\":\"category\",\"values\":[{}]}}", values.join(","))).collect();
        let big = Config::from_json(&format!(
            r#"{{"site":"s","revision":"r","purposes":[{{"id":"ads","label":"a","explain":"b","benefit":"c"}}],"events":{{"big":{{"purpose":"ads","fields":{{{}}}}}}}}}"#,
            fields.join(",")
        ))
        .unwrap();
        assert_eq!(big.oversized_events().iter().map(|(e, _)| *e).collect::<Vec<_>>(), ["big"]);
    }

    #[test]
    fn a_report_too_large_for_the_collector_is_split_by_event() {
        let cfg = Config::from_json(&wide(40)).unwrap();
        let agg = Aggregate { purpose: "ads".into(), start: 0, seconds: 60, events: StrMap::new(), id: String::new() };
        let mut rng = Seeded(3);
        let whole = build(&cfg, &agg, &mut rng, None);
        assert!(whole.to_json().len() > crate::config::MAX_REPORT_BYTES);
        let parts = whole.clone().split(crate::config::MAX_REPORT_BYTES);
        assert!(parts.len() >= 2, "{}", parts.len());
        assert_eq!(parts[0].0.report_id, whole.report_id, "the first part keeps the id");
        let mut ids: Vec<&str> = parts.iter().map(|(r, _)| r.report_id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), parts.len(), "each part its own id");
        // The same report split again gives its parts the same ids (a copy sent once more is counted once).
        let again: Vec<String> = whole.clone().split(crate::config::MAX_REPORT_BYTES).into_iter().map(|(r, _)| r.report_id).collect();
        assert_eq!(again, parts.iter().map(|(r, _)| r.report_id.clone()).collect::<Vec<_>>());
        for id in &again {
            let u = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!((u.get_version_num(), id.to_ascii_lowercase() == *id), (4, true), "{id}");
        }
        // An aggregate's own id is its report's.
        let with_id = Aggregate { id: "0b6d3f1e-5c1a-4f6e-9a7b-2c3d4e5f6a7b".into(), ..agg.clone() };
        assert_eq!(build(&cfg, &with_id, &mut rng, None).report_id, with_id.id);
        let mut events: Vec<String> = Vec::new();
        for (r, text) in &parts {
            assert!(text.len() <= crate::config::MAX_REPORT_BYTES, "{}", text.len());
            assert_eq!(*text, r.to_json());
            assert_eq!((r.purpose.as_str(), r.window, r.noise), (whole.purpose.as_str(), whole.window, whole.noise));
            for (name, e) in &r.events {
                assert_eq!(Some(e), whole.events.get(name), "an event whole, as it was");
                events.push(name.clone());
            }
            assert!(crate::conform::report(&cfg, r, false), "a part is a report this config could send (kept when read back)");
        }
        events.sort();
        let mut all: Vec<String> = whole.events.keys().cloned().collect();
        all.sort();
        assert_eq!(events, all, "every event in exactly one part");
        // Small enough: one report, unchanged.
        let small = build(&Config::from_json(&wide(3)).unwrap(), &agg, &mut rng, None);
        let one = small.clone().split(crate::config::MAX_REPORT_BYTES);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].0, small);
    }

    const CONFIG_BIG: &str = r#"{"site":"s","revision":"r","purposes":[
      {"id":"ads","label":"a","explain":"b","benefit":"c"}],
      "aggregation":{"noise":{"epsilon":1e-9}},
      "events":{"purchase":{"purpose":"ads","max_per_window":4000000000,"fields":{"amount":{"kind":"sum","min":-1e12,"max":1e12}}}}}"#;

    #[test]
    fn report_ids_are_fresh() {
        let (cfg, agg) = aggregate();
        let mut rng = Seeded(5);
        assert_ne!(build(&cfg, &agg, &mut rng, None).report_id, build(&cfg, &agg, &mut rng, None).report_id);
    }

    #[test]
    fn stored_reports_read_back_strictly() {
        let (mut cfg, agg) = aggregate();
        for noise in [None, Some(crate::config::Noise { epsilon: 0.7 })] {
            cfg.aggregation.noise = noise;
            let r = build(&cfg, &agg, &mut Seeded(3), None);
            assert_eq!(Report::from_json(&r.to_json()), Some(r.clone()));
            // Reports stored by the serde-derived writer still read.
            assert_eq!(Report::from_json(&serde_json::to_string(&r).unwrap()), Some(r.clone()));
            let mut v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
            v["extra"] = serde_json::json!(1);
            assert_eq!(Report::from_json(&v.to_string()), None, "unknown key");
            let mut v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
            v["window"]["seconds"] = serde_json::json!("60");
            assert_eq!(Report::from_json(&v.to_string()), None, "wrong type");
            let dup = r.to_json().replacen("{\"report_id\"", "{\"site\":\"x\",\"report_id\"", 1);
            assert_eq!(Report::from_json(&dup), None, "a key twice");
        }
    }
}
