//! Whether data read back from storage could have come from this config.
//!
//! Pending reports and open aggregates live in localStorage, where any script
//! of the page (or a stale build) can change them. What the SDK reads back is
//! only sent if it has exactly the shape this config produces: same site and
//! revision, a declared purpose, events declared for that purpose, fields of
//! the declared kind, category cells among the declared values. Anything else
//! (a forged category holding an e-mail address, an undeclared event, a
//! report of an older revision) is dropped, never sent.

use crate::aggregate::{Aggregate, Tally};
use crate::config::{Config, Field};
use crate::report::{ReportCell, Report};

/// The category every unlisted value counts as.
const OTHER: &str = "other";

/// Whether `s` is a UUID in its 36-character lowercase text form (as the
/// SDK writes them and the collector requires).
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| if matches!(i, 8 | 13 | 18 | 23) { b == b'-' } else { matches!(b, b'0'..=b'9' | b'a'..=b'f') })
}

fn window_ok(config: &Config, start: u64, seconds: u32) -> bool {
    seconds == config.aggregation.window_seconds && seconds > 0 && start % u64::from(seconds) == 0
}

fn category_ok(values: &[String], key: &str) -> bool {
    key == OTHER || values.iter().any(|v| v == key)
}

/// Whether `report` is one this config could have built. `exact_ok`: QA
/// mode is allowed here, so a report without noise may come from a noisy
/// config (`candor.qa` switched the noise off).
pub fn report(config: &Config, report: &Report, exact_ok: bool) -> bool {
    let declared = |name: &str| config.events.get(name).filter(|e| e.purpose == report.purpose);
    let noise_ok = match (&report.noise, &config.aggregation.noise) {
        (None, None) => true,
        (None, Some(_)) => exact_ok,
        (Some(n), Some(c)) => n.epsilon == c.epsilon,
        (Some(_), None) => false,
    };
    // Exact counts must add up as recording makes them: no negative cell,
    // at most one category and one bucket per event and field, a sum within
    // its clamps times the count (tabs' aggregates merged for the same
    // window keep all of this). Noisy values can be anything.
    let exact = report.noise.is_none();
    let cells_ok = |count: i64, field: &Field, cell: &ReportCell| {
        if !exact {
            return true;
        }
        let within = |cells: &mut dyn Iterator<Item = i64>| {
            let mut total: i64 = 0;
            for n in cells {
                if n < 0 {
                    return false;
                }
                total = total.saturating_add(n);
            }
            total <= count
        };
        match (field, cell) {
            (Field::Category { .. }, ReportCell::Category(cells)) => within(&mut cells.values().copied()),
            (Field::Histogram { .. }, ReportCell::Histogram(cells)) => within(&mut cells.iter().copied()),
            (Field::Sum { min, max }, ReportCell::Sum(x)) => {
                let n = count as f64;
                let (lo, hi) = (min.min(0.0) * n, max.max(0.0) * n);
                let slack = 1e-9 * (lo.abs() + hi.abs() + 1.0);
                *x >= lo - slack && *x <= hi + slack
            }
            _ => true,
        }
    };
    report.site == config.site
        && report.revision == config.revision
        && report.sdk == crate::SDK
        && is_uuid(&report.report_id)
        && config.purpose(&report.purpose).is_some()
        && window_ok(config, report.window.start, report.window.seconds)
        && noise_ok
        && !report.events.is_empty()
        && report.events.iter().all(|(name, ev)| {
            let Some(event) = declared(name) else { return false };
            (!exact || ev.count >= 0)
                && ev.fields.iter().all(|(field, cell)| {
                    let shape = match (event.fields.get(field), cell) {
                        (Some(Field::Category { values }), ReportCell::Category(cells)) => cells.keys().all(|k| category_ok(values, k)),
                        (Some(Field::Histogram { buckets }), ReportCell::Histogram(cells)) => cells.len() == buckets.len() + 1,
                        (Some(Field::Sum { .. }), ReportCell::Sum(x)) => x.is_finite(),
                        _ => false,
                    };
                    shape && event.fields.get(field).is_some_and(|f| cells_ok(ev.count, f, cell))
                })
        })
}

/// Whether `agg` is an open aggregate this config could have built.
pub fn aggregate(config: &Config, agg: &Aggregate) -> bool {
    config.purpose(&agg.purpose).is_some()
        && window_ok(config, agg.start, agg.seconds)
        && agg.events.iter().all(|(name, ev)| {
            let Some(event) = config.events.get(name).filter(|e| e.purpose == agg.purpose) else { return false };
            ev.fields.iter().all(|(field, tally)| match (event.fields.get(field), tally) {
                (Some(Field::Category { values }), Tally::Category(cells)) => cells.keys().all(|k| category_ok(values, k)),
                (Some(Field::Histogram { buckets }), Tally::Histogram(cells)) => cells.len() == buckets.len() + 1,
                (Some(Field::Sum { .. } | Field::Count {}), Tally::Sum(x)) => x.is_finite(),
                _ => false,
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Aggregator;
    use crate::consent::{Consent, Method};
    use crate::gate::{self, Value};
    use crate::noise::Entropy;

    struct Fixed(u64);
    impl Entropy for Fixed {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            self.0
        }
    }

    fn config(noise: bool) -> Config {
        let noise = if noise { r#","noise":{"epsilon":1}"# } else { "" };
        Config::from_json(&format!(
            r#"{{"site":"s.example","revision":"r1","purposes":[
              {{"id":"stats","label":"Stats","explain":"We count.","benefit":"Faster pages."}},
              {{"id":"ads","label":"Ads","explain":"We show ads.","benefit":"Free pages."}}],
              "events":{{"pv":{{"purpose":"stats","fields":{{"path":{{"kind":"category","values":["/","/shop"]}},
                "ms":{{"kind":"histogram","buckets":[100,300]}},"amount":{{"kind":"sum","min":0,"max":50}},"n":{{"kind":"count"}}}}}},
                "ad":{{"purpose":"ads"}}}},
              "aggregation":{{"window_seconds":60{noise}}}}}"#
        ))
        .unwrap()
    }

    /// One real aggregate and the report built from it.
    fn built(cfg: &Config) -> (Aggregate, Report) {
        let mut consent = Consent::undecided(cfg);
        consent.decide(cfg, &["stats", "ads"], &[], Method::Api, 1_000).unwrap();
        let mut agg = Aggregator::default();
        let fields = [("path", Value::Text("/shop")), ("ms", Value::Number(120.0)), ("amount", Value::Number(7.5))];
        let ok = gate::check(cfg, &consent, "pv", &fields).unwrap();
        agg.record(cfg, &ok, 1_000).unwrap();
        let open = agg.open[0].clone();
        let closed = agg.close(10_000, true);
        let report = crate::report::build(cfg, &closed[0], &mut Fixed(7), None);
        (open, report)
    }

    #[test]
    fn what_the_sdk_builds_conforms() {
        for noise in [false, true] {
            let cfg = config(noise);
            let (agg, rep) = built(&cfg);
            assert!(aggregate(&cfg, &agg), "{agg:?}");
            assert!(report(&cfg, &rep, false), "{rep:?}");
        }
        // An exact report of a noisy config: only where QA mode may have made it.
        let (_, exact) = built(&config(false));
        let noisy = config(true);
        assert!(report(&noisy, &exact, true));
        assert!(!report(&noisy, &exact, false));
    }

    #[test]
    fn forged_or_stale_data_does_not() {
        let cfg = config(false);
        let (agg, rep) = built(&cfg);
        let mutations: Vec<Box<dyn Fn(&mut Report)>> = vec![
            Box::new(|r| r.site = "other.example".into()),
            Box::new(|r| r.revision = "r0".into()),
            Box::new(|r| r.report_id = "../../v1/x".into()),
            Box::new(|r| r.report_id = r.report_id.to_uppercase()),
            Box::new(|r| r.purpose = "nope".into()),
            Box::new(|r| r.purpose = "ads".into()), // pv is not an ads event
            Box::new(|r| r.window.seconds = 3600),
            Box::new(|r| r.window.start += 1),
            Box::new(|r| r.sdk = "candor/9".into()),
            Box::new(|r| {
                let cells = r.events.get_mut("pv").unwrap().fields.get_mut("path").unwrap();
                if let ReportCell::Category(m) = cells {
                    m.insert("jane@example.com".into(), 1);
                }
            }),
            Box::new(|r| {
                r.events.get_mut("pv").unwrap().fields.insert("email".into(), ReportCell::Sum(1.0));
            }),
            Box::new(|r| {
                r.events.get_mut("pv").unwrap().fields.insert("ms".into(), ReportCell::Histogram(vec![1]));
            }),
            Box::new(|r| {
                r.events.get_mut("pv").unwrap().fields.insert("amount".into(), ReportCell::Sum(f64::NAN));
            }),
            Box::new(|r| {
                let ev = r.events.remove("pv").unwrap();
                r.events.insert("undeclared".into(), ev);
            }),
            // Values recording cannot produce in an exact report.
            Box::new(|r| r.events = Default::default()),
            Box::new(|r| r.events.get_mut("pv").unwrap().count = -1),
            Box::new(|r| {
                r.events.get_mut("pv").unwrap().fields.insert("amount".into(), ReportCell::Sum(999_999_999.0));
            }),
            Box::new(|r| {
                r.events.get_mut("pv").unwrap().fields.insert("amount".into(), ReportCell::Sum(-400.0));
            }),
            Box::new(|r| {
                if let Some(ReportCell::Category(m)) = r.events.get_mut("pv").unwrap().fields.get_mut("path") {
                    m.insert("/".into(), 5);
                }
            }),
            Box::new(|r| {
                r.events.get_mut("pv").unwrap().fields.insert("ms".into(), ReportCell::Histogram(vec![0, -1, 1]));
            }),
        ];
        for (i, m) in mutations.iter().enumerate() {
            let mut r = rep.clone();
            m(&mut r);
            assert!(!report(&cfg, &r, true), "mutation {i} passed: {r:?}");
        }
        let mut a = agg.clone();
        if let Some(Tally::Category(m)) = a.events.get_mut("pv").unwrap().fields.get_mut("path") {
            m.insert("free text".into(), 1);
        }
        assert!(!aggregate(&cfg, &a));
        let mut a = agg.clone();
        a.purpose = "ads".into();
        assert!(!aggregate(&cfg, &a));
        let mut a = agg;
        a.seconds = 30;
        assert!(!aggregate(&cfg, &a));
    }
}
