//! Local aggregation: accepted events become tallies per (purpose, window).
//!
//! This is the only place raw events exist, and only as increments: a count
//! per event, counts per category value, bucket counts, clamped sums. The
//! state is plain data, serialised whole after every accepted event, so a
//! closed tab loses nothing. It also enforces the contribution bound
//! (`max_per_window` per event and window), which noise calibration relies on.

use crate::map::StrMap;

use serde::{Deserialize, Serialize};

use crate::config::{Config, Field};
use crate::gate::{Cell, Observation, Refusal};
use crate::json::{self, J};
use crate::map;

/// The tallies of one event in one aggregate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventTally {
    /// Events recorded.
    pub count: u64,
    /// Per-field tallies, by field name.
    #[serde(default, skip_serializing_if = "StrMap::is_empty")]
    pub fields: StrMap<Tally>,
}

/// One field's tally.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Tally {
    /// Counts per category value (and `"other"`).
    Category(StrMap<u64>),
    /// Counts per bucket, overflow last.
    Histogram(Vec<u64>),
    /// Sum of clamped values.
    Sum(f64),
}

/// An open aggregate: one purpose, one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    /// The purpose every event in it serves.
    pub purpose: String,
    /// Window start, Unix seconds, a multiple of `seconds`.
    pub start: u64,
    /// Window length.
    pub seconds: u32,
    /// Tallies by event name.
    pub events: StrMap<EventTally>,
    /// The `report_id` its report will carry: given (by the shell) before
    /// it is first stored, so that a copy of it that comes back (a browser
    /// killed before it wrote the removal to disk, then another tab taking
    /// the copy over) is sent under the same id, and the collector counts
    /// it once. Empty until then.
    #[serde(default)]
    pub id: String,
}

impl Aggregate {
    /// Total events in it.
    pub fn total(&self) -> u64 {
        self.events.values().map(|e| e.count).sum()
    }
}

/// Everything not yet turned into reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Aggregator {
    /// Open aggregates, oldest first.
    pub open: Vec<Aggregate>,
    /// Contribution budget used: event → (window start, events accepted).
    #[serde(default)]
    pub budget: StrMap<(u64, u32)>,
}

/// The start of the window that contains `now`.
pub fn window_start(now: u64, seconds: u32) -> u64 {
    now - now % u64::from(seconds.max(1))
}

impl Aggregator {
    /// Adds an accepted observation at time `now`.
    pub fn record(&mut self, config: &Config, obs: &Observation<'_>, now: u64) -> Result<(), Refusal> {
        self.record_as(config, obs, now, false)
    }

    /// [`Aggregator::record`], with noise switched off (`exact`, QA mode)
    /// or as the config has it: without noise only the config's own
    /// `max_per_window` bounds an event, so counts are exact.
    pub fn record_as(&mut self, config: &Config, obs: &Observation<'_>, now: u64, exact: bool) -> Result<(), Refusal> {
        let seconds = config.aggregation.window_seconds;
        let start = window_start(now, seconds);
        let decl = &config.events[obs.event];
        let max = if exact { decl.max_per_window.unwrap_or(u32::MAX) } else { config.max_per_window(decl) };
        // The hot path (every accepted `track`): look keys up by `&str` and
        // allocate a `String` key only the first time it is seen.
        if !self.budget.contains_key(obs.event) {
            self.budget.insert(obs.event.to_string(), (start, 0));
        }
        let used = self.budget.get_mut(obs.event).expect("just inserted");
        if used.0 != start {
            *used = (start, 0);
        }
        if used.1 >= max {
            return Err(Refusal::OverBudget);
        }
        used.1 += 1;

        let pos = self.open.iter().position(|a| a.purpose == obs.purpose && a.start == start && a.seconds == seconds);
        let agg = match pos {
            Some(i) => &mut self.open[i],
            None => {
                self.open.push(Aggregate { purpose: obs.purpose.to_string(), start, seconds, events: StrMap::new(), id: String::new() });
                self.open.last_mut().expect("just pushed")
            }
        };
        if !agg.events.contains_key(obs.event) {
            agg.events.insert(obs.event.to_string(), EventTally::default());
        }
        let tally = agg.events.get_mut(obs.event).expect("just inserted");
        tally.count += 1;
        let decl = &config.events[obs.event];
        for (name, cell) in &obs.cells {
            let field = &decl.fields[*name];
            if !tally.fields.contains_key(*name) {
                tally.fields.insert((*name).to_string(), empty_tally(field));
            }
            let slot = tally.fields.get_mut(*name).expect("just inserted");
            match (slot, cell, field) {
                (Tally::Category(map), Cell::Category(i), Field::Category { values }) => {
                    let key = values.get(*i).map(String::as_str).unwrap_or("other");
                    match map.get_mut(key) {
                        Some(n) => *n += 1,
                        None => {
                            map.insert(key.to_string(), 1);
                        }
                    }
                }
                (Tally::Histogram(b), Cell::Bucket(i), _) => {
                    if let Some(n) = b.get_mut(*i) {
                        *n += 1;
                    }
                }
                (Tally::Sum(s), Cell::Sum(x), _) => *s += x,
                _ => {} // a stored tally of another shape (config changed): leave it
            }
        }
        self.prune_budget(start);
        Ok(())
    }

    fn prune_budget(&mut self, current: u64) {
        self.budget.retain(|_, (start, _)| *start == current);
    }

    /// Removes and returns aggregates whose window has ended by `now`, or
    /// every aggregate when `all` (flush, page hide).
    pub fn close(&mut self, now: u64, all: bool) -> Vec<Aggregate> {
        let (closed, open): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.open).into_iter().partition(|a| all || a.start + u64::from(a.seconds) <= now);
        self.open = open;
        closed.into_iter().filter(|a| a.total() > 0).collect()
    }

    /// Drops everything recorded for `purpose` (withdrawal).
    pub fn purge(&mut self, purpose: &str) {
        self.open.retain(|a| a.purpose != purpose);
    }
}

/// The stored form, as JSON (written on every accepted `track`, so by hand
/// into one buffer): `{"open":[{"purpose","start","seconds","id"?,"events":{name:
/// {"count","fields"?:{field: {value: n} | [n…] | sum}}}}],"budget":{event:
/// [start, used]}}`.
impl Aggregator {
    /// Appends the stored JSON text to `out`.
    pub fn write_json(&self, out: &mut String) {
        out.push_str("{\"open\":");
        json::write_seq(out, '[', ']', &self.open, |out, a| {
            out.push_str("{\"purpose\":");
            json::write_str(&a.purpose, out);
            out.push_str(",\"start\":");
            json::write_u64(a.start, out);
            out.push_str(",\"seconds\":");
            json::write_u64(a.seconds.into(), out);
            if !a.id.is_empty() {
                out.push_str(",\"id\":");
                json::write_str(&a.id, out);
            }
            out.push_str(",\"events\":");
            json::write_seq(out, '{', '}', &a.events, |out, (name, t)| {
                json::write_key(name, out);
                out.push_str("{\"count\":");
                json::write_u64(t.count, out);
                if !t.fields.is_empty() {
                    out.push_str(",\"fields\":");
                    json::write_seq(out, '{', '}', &t.fields, |out, (f, tally)| {
                        json::write_key(f, out);
                        match tally {
                            Tally::Category(m) => json::write_seq(out, '{', '}', m, |out, (v, c)| {
                                json::write_key(v, out);
                                json::write_u64(*c, out);
                            }),
                            Tally::Histogram(b) => json::write_seq(out, '[', ']', b, |out, c| json::write_u64(*c, out)),
                            Tally::Sum(x) => json::write_f64(*x, out),
                        }
                    });
                }
                out.push('}');
            });
            out.push('}');
        });
        out.push_str(",\"budget\":");
        json::write_seq(out, '{', '}', &self.budget, |out, (event, (start, used))| {
            json::write_key(event, out);
            json::write_seq(out, '[', ']', [*start, u64::from(*used)], |out, n| json::write_u64(n, out));
        });
        out.push('}');
    }

    /// The stored JSON text.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(512);
        self.write_json(&mut out);
        out
    }

    /// Reads the stored form; `None` when it is not exactly that shape
    /// (unknown keys are ignored; `fields` and `budget` may be left out).
    pub fn from_json(text: &str) -> Option<Aggregator> {
        let v = json::parse(text).ok()?;
        let open = v
            .get("open")?
            .as_array()?
            .iter()
            .map(|a| {
                let events = map::try_build(a.get("events")?.as_object()?.iter().map(|(name, t)| {
                        let fields = match t.get("fields") {
                            None => StrMap::new(),
                            Some(f) => map::try_build(f.as_object()?.iter().map(|(k, x)| Some((k.clone(), tally(x)?))))?,
                        };
                    Some((name.clone(), EventTally { count: t.get("count")?.as_u64()?, fields }))
                }))?;
                Some(Aggregate {
                    purpose: a.get("purpose")?.as_str()?.to_string(),
                    start: a.get("start")?.as_u64()?,
                    seconds: u32::try_from(a.get("seconds")?.as_u64()?).ok()?,
                    events,
                    // Only an id this SDK could have given (else a new one is).
                    id: a.get("id").and_then(J::as_str).filter(|id| is_uuid_v4(id)).unwrap_or_default().to_string(),
                })
            })
            .collect::<Option<_>>()?;
        let budget = match v.get("budget") {
            None => StrMap::new(),
            Some(b) => map::try_build(b.as_object()?.iter().map(|(k, x)| match x.as_array()? {
                [s, n] => Some((k.clone(), (s.as_u64()?, u32::try_from(n.as_u64()?).ok()?))),
                _ => None,
            }))?,
        };
        Some(Aggregator { open, budget })
    }
}

fn tally(v: &J) -> Option<Tally> {
    Some(match v {
        J::O(m) => Tally::Category(map::try_build(m.iter().map(|(k, n)| Some((k.clone(), n.as_u64()?))))?),
        J::A(b) => Tally::Histogram(b.iter().map(J::as_u64).collect::<Option<_>>()?),
        x => Tally::Sum(x.as_f64()?),
    })
}

fn empty_tally(field: &Field) -> Tally {
    match field {
        Field::Category { .. } => Tally::Category(StrMap::new()),
        Field::Histogram { buckets } => Tally::Histogram(vec![0; buckets.len() + 1]),
        Field::Sum { .. } | Field::Count {} => Tally::Sum(0.0),
    }
}

/// A lowercase UUID of version 4 (the collector takes no other `report_id`).
pub fn is_uuid_v4(id: &str) -> bool {
    crate::conform::is_uuid(id) && id.as_bytes()[14] == b'4' && matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b')
}

/// Adds `from` into `into` (same purpose and window).
pub fn merge(into: &mut Aggregate, from: &Aggregate) {
    for (name, t) in &from.events {
        let e = into.events.get_or_default(name);
        e.count += t.count;
        for (f, tally) in &t.fields {
            match (e.fields.get_mut(f), tally) {
                (None, _) => {
                    e.fields.insert(f.clone(), tally.clone());
                }
                (Some(Tally::Category(a)), Tally::Category(b)) => {
                    for (k, n) in b {
                        *a.get_or_default(k) += n;
                    }
                }
                (Some(Tally::Histogram(a)), Tally::Histogram(b)) => {
                    if a.len() < b.len() {
                        a.resize(b.len(), 0);
                    }
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                }
                (Some(Tally::Sum(a)), Tally::Sum(b)) => *a += b,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::{Consent, Method};
    use std::collections::BTreeMap;
    use crate::gate::{check, tests::config, Value};
    use proptest::prelude::*;

    fn all_granted(cfg: &Config) -> Consent {
        let mut c = Consent::undecided(cfg);
        c.decide(cfg, &["stats", "ads"], &[], Method::Api, 1).unwrap();
        c
    }

    fn track(agg: &mut Aggregator, cfg: &Config, c: &Consent, name: &str, fields: &[(&str, Value)], now: u64) -> Result<(), Refusal> {
        let o = check(cfg, c, name, fields)?;
        agg.record(cfg, &o, now)
    }

    #[test]
    fn an_aggregate_keeps_its_report_id_through_storage_and_only_a_v4_one() {
        let cfg = config();
        let c = all_granted(&cfg);
        let mut agg = Aggregator::default();
        track(&mut agg, &cfg, &c, "page_view", &[("path", Value::Text("/"))], 1_000).unwrap();
        assert_eq!(agg.open[0].id, "", "the core leaves it to the shell");
        agg.open[0].id = "0b6d3f1e-5c1a-4f6e-9a7b-2c3d4e5f6a7b".into();
        let back = Aggregator::from_json(&agg.to_json()).unwrap();
        assert_eq!(back, agg, "written and read back whole");
        for bad in ["0b6d3f1e-5c1a-1f6e-9a7b-2c3d4e5f6a7b", "0B6D3F1E-5C1A-4F6E-9A7B-2C3D4E5F6A7B", "0b6d3f1e-5c1a-4f6e-7a7b-2c3d4e5f6a7b", "x"] {
            let text = agg.to_json().replace("0b6d3f1e-5c1a-4f6e-9a7b-2c3d4e5f6a7b", bad);
            assert_eq!(Aggregator::from_json(&text).unwrap().open[0].id, "", "{bad}: not a v4 id, so a new one is given");
        }
    }

    #[test]
    fn tallies_by_purpose_and_window() {
        let cfg = config();
        let c = all_granted(&cfg);
        let mut a = Aggregator::default();
        track(&mut a, &cfg, &c, "page_view", &[("path", Value::Text("/")), ("load_ms", Value::Number(50.0))], 125).unwrap();
        track(&mut a, &cfg, &c, "page_view", &[("path", Value::Text("/x")), ("load_ms", Value::Number(5000.0))], 130).unwrap();
        track(&mut a, &cfg, &c, "purchase", &[("amount", Value::Number(42.5))], 170).unwrap();
        assert_eq!(a.open.len(), 2);
        let pv = &a.open[0].events["page_view"];
        assert_eq!(a.open[0].start, 120);
        assert_eq!(pv.count, 2);
        assert_eq!(pv.fields["path"], Tally::Category([("/".to_string(), 1), ("other".to_string(), 1)].into()));
        assert_eq!(pv.fields["load_ms"], Tally::Histogram(vec![1, 0, 1]));
        assert_eq!(a.close(179, false).len(), 0, "window 120..180 closes at 180, not before");
        assert_eq!(a.close(180, false).len(), 2, "one per purpose");
        assert!(a.open.is_empty());
    }

    #[test]
    fn contribution_bound_per_event_and_window() {
        let mut cfg = config();
        cfg.events.get_mut("page_view").unwrap().max_per_window = Some(3);
        let c = all_granted(&cfg);
        let mut a = Aggregator::default();
        for _ in 0..3 {
            track(&mut a, &cfg, &c, "page_view", &[], 60).unwrap();
        }
        assert_eq!(track(&mut a, &cfg, &c, "page_view", &[], 61), Err(Refusal::OverBudget));
        a.close(61, true);
        assert_eq!(track(&mut a, &cfg, &c, "page_view", &[], 62), Err(Refusal::OverBudget), "flushing early does not reset the budget");
        assert!(track(&mut a, &cfg, &c, "page_view", &[], 120).is_ok(), "a new window has a new budget");
    }

    #[test]
    fn default_bound_only_with_noise() {
        let mut cfg = config();
        let c = all_granted(&cfg);
        let count = |cfg: &Config| {
            let mut a = Aggregator::default();
            (0..250).filter(|_| track(&mut a, cfg, &c, "page_view", &[], 60).is_ok()).count()
        };
        cfg.aggregation.noise = None;
        assert_eq!(count(&cfg), 250, "without noise, counts are exact");
        cfg.aggregation.noise = Some(crate::config::Noise { epsilon: 1.0 });
        assert_eq!(count(&cfg), crate::config::DEFAULT_MAX_PER_WINDOW as usize, "noise is calibrated to the default bound");
        // Noise switched off in QA mode: exact counts, as without noise in the config.
        let exact = |cfg: &Config| {
            let mut a = Aggregator::default();
            let o = |cfg| crate::gate::check(cfg, &c, "page_view", &[]).unwrap();
            (0..250).filter(|_| a.record_as(cfg, &o(cfg), 60, true).is_ok()).count()
        };
        assert_eq!(exact(&cfg), 250, "QA noise off lifts the default bound");
        cfg.events.get_mut("page_view").unwrap().max_per_window = Some(7);
        assert_eq!(exact(&cfg), 7, "but not one the config sets");
        cfg.aggregation.noise = None;
        assert_eq!(count(&cfg), 7, "a bound the config sets always applies");
    }

    #[test]
    fn purge_drops_a_purpose() {
        let cfg = config();
        let c = all_granted(&cfg);
        let mut a = Aggregator::default();
        track(&mut a, &cfg, &c, "page_view", &[], 1).unwrap();
        track(&mut a, &cfg, &c, "purchase", &[], 1).unwrap();
        a.purge("stats");
        assert_eq!(a.open.len(), 1);
        assert_eq!(a.open[0].purpose, "ads");
    }

    fn arb_event() -> impl Strategy<Value = (u8, u8, f64, u64)> {
        (0u8..3, 0u8..4, -10.0f64..1000.0, 0u64..600)
    }

    fn apply(a: &mut Aggregator, cfg: &Config, c: &Consent, (kind, cat, x, t): (u8, u8, f64, u64)) {
        let path = ["/", "/shop", "/other", "/x"][cat as usize];
        let _ = match kind {
            0 => track(a, cfg, c, "page_view", &[("path", Value::Text(path)), ("load_ms", Value::Number(x))], t),
            1 => track(a, cfg, c, "purchase", &[("amount", Value::Number(x))], t),
            _ => track(a, cfg, c, "heartbeat", &[], t),
        };
    }

    fn totals(closed: &[Aggregate]) -> BTreeMap<(String, u64), Aggregate> {
        let mut m: BTreeMap<(String, u64), Aggregate> = BTreeMap::new();
        for a in closed {
            match m.get_mut(&(a.purpose.clone(), a.start)) {
                Some(b) => merge(b, a),
                None => {
                    m.insert((a.purpose.clone(), a.start), a.clone());
                }
            }
        }
        m
    }

    proptest! {
        /// Merging many events gives the same totals in any order, and
        /// nothing is lost across serialise → reload at any point.
        #[test]
        fn order_and_persistence_do_not_change_totals(events in prop::collection::vec(arb_event(), 1..60), cut in 0usize..60, seed in any::<u64>()) {
            let mut cfg = config();
            for e in cfg.events.values_mut() { e.max_per_window = Some(1000); }
            let c = all_granted(&cfg);
            let mut straight = Aggregator::default();
            for e in &events { apply(&mut straight, &cfg, &c, *e); }

            let mut shuffled = events.clone();
            let mut s = seed | 1;
            for i in (1..shuffled.len()).rev() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                shuffled.swap(i, (s % (i as u64 + 1)) as usize);
            }
            let mut other = Aggregator::default();
            for (i, e) in shuffled.iter().enumerate() {
                if i == cut.min(shuffled.len()) {
                    let text = other.to_json();
                    // The stored form reads back exactly; serde's derived reader (of older
                    // stored values) reads it too (its floats are not exact, so no value check).
                    prop_assert!(serde_json::from_str::<Aggregator>(&text).is_ok());
                    prop_assert_eq!(serde_json::to_string(&other).ok().and_then(|t| Aggregator::from_json(&t)), Some(other.clone()));
                    other = Aggregator::from_json(&text).unwrap();
                }
                apply(&mut other, &cfg, &c, *e);
            }
            let a = totals(&straight.close(u64::MAX / 2, true));
            let b = totals(&other.close(u64::MAX / 2, true));
            prop_assert_eq!(a.len(), b.len());
            for (k, x) in &a {
                let y = &b[k];
                prop_assert_eq!(x.total(), y.total());
                for (name, ex) in &x.events {
                    let ey = &y.events[name];
                    prop_assert_eq!(ex.count, ey.count);
                    for (f, t) in &ex.fields {
                        match (t, &ey.fields[f]) {
                            (Tally::Sum(p), Tally::Sum(q)) => prop_assert!((p - q).abs() < 1e-6),
                            (p, q) => prop_assert_eq!(p, q),
                        }
                    }
                }
            }
        }
    }
}
