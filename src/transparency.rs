//! The "Your data" view in plain sentences, built from the live state.
//!
//! Consent is only informed if visitors can see what is held about them, so
//! the data view says, per purpose, what is waiting to be sent ("12 page
//! views, grouped by path, will be sent as totals for 14:05–14:06"), what
//! was sent and when, and what is stored in this browser, key by key. The
//! sentences are generated here, from the same aggregates, reports and
//! storage entries that `candor.inspect()` returns, so the view cannot say
//! something the state does not. The sent history itself (the last
//! [`HISTORY_MAX`] acknowledged reports, kept for `history_days`) is also
//! kept here, as plain data the shell stores.

use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::config::{Config, Field};
use crate::json::{obj, J};
use crate::report::Report;

/// At most this many sent reports are remembered.
pub const HISTORY_MAX: usize = 20;

/// One acknowledged report, as remembered locally.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sent {
    /// Unix seconds of the acknowledgement.
    pub sent_at: u64,
    /// The report exactly as sent.
    pub report: Report,
}

impl Sent {
    /// As stored: `{"sent_at", "report"}`.
    pub fn to_json_value(&self) -> J {
        obj([("sent_at", self.sent_at.into()), ("report", self.report.to_json_value())])
    }

    /// Reads what [`Sent::to_json_value`] wrote; `None` for anything else.
    pub fn from_json_value(v: &J) -> Option<Sent> {
        if !v.has_only_keys(&["sent_at", "report"]) {
            return None;
        }
        Some(Sent { sent_at: v.get("sent_at")?.as_u64()?, report: Report::from_json_value(v.get("report")?)? })
    }
}

/// Drops entries older than `days` and keeps the newest [`HISTORY_MAX`].
pub fn prune(history: &mut Vec<Sent>, now: u64, days: u32) {
    let max_age = u64::from(days) * 86_400;
    // A week of clock skew, as for the consent record (consent.rs): entries
    // stamped while the clock ran fast outlive its correction.
    history.retain(|s| now.saturating_sub(s.sent_at) < max_age && s.sent_at <= now.saturating_add(7 * 86_400));
    if history.len() > HISTORY_MAX {
        history.drain(..history.len() - HISTORY_MAX);
    }
}

/// Remembers an acknowledged report; false when it is already remembered.
pub fn record_sent(history: &mut Vec<Sent>, report: Report, now: u64, days: u32) -> bool {
    if history.iter().any(|s| s.report.report_id == report.report_id) {
        return false;
    }
    history.push(Sent { sent_at: now, report });
    prune(history, now, days);
    true
}

/// The data view's content: one section per purpose, then storage.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// Every purpose, in config order.
    pub purposes: Vec<PurposeView>,
    /// One line per stored key: (key, sentence).
    pub storage: Vec<(String, String)>,
}

/// What concerns one purpose.
#[derive(Debug, Clone, PartialEq)]
pub struct PurposeView {
    /// Purpose id.
    pub id: String,
    /// Its label in the prompt's language.
    pub label: String,
    /// Whether it is granted now.
    pub granted: bool,
    /// What waits to be sent (open aggregates first, then queued reports).
    pub waiting: Vec<String>,
    /// What was sent, newest first.
    pub sent: Vec<String>,
}

/// What the live state holds, as the shell reads it.
pub struct State<'a> {
    /// Current consent (per purpose).
    pub granted: &'a dyn Fn(&str) -> bool,
    /// Open aggregates.
    pub open: &'a [Aggregate],
    /// Queued reports.
    pub pending: &'a [Report],
    /// Sent history.
    pub history: &'a [Sent],
    /// Stored keys and their sizes in bytes.
    pub storage: &'a [(String, usize)],
    /// Minutes to add to UTC for local time.
    pub utc_offset_minutes: i64,
}

/// Builds the view. `chain` is the language chain for config labels.
pub fn view(config: &Config, chain: &[String], st: &State<'_>) -> View {
    let off = st.utc_offset_minutes;
    let purposes = config
        .purposes
        .iter()
        .map(|p| {
            let mut waiting: Vec<String> = st
                .open
                .iter()
                .filter(|a| a.purpose == p.id)
                .map(|a| {
                    let counts: Vec<(&str, i64)> = a.events.iter().map(|(n, e)| (n.as_str(), e.count as i64)).collect();
                    format!("{}, will be sent as totals for {}.", figures(config, &counts), window(a.start, a.seconds, off))
                })
                .collect();
            waiting.extend(st.pending.iter().filter(|r| r.purpose == p.id).map(|r| {
                format!(
                    "{}, waiting to be sent as totals for {}{}.",
                    figures(config, &report_counts(r)),
                    window(r.window.start, r.window.seconds, off),
                    noise_note(r)
                )
            }));
            let sent = st
                .history
                .iter()
                .rev()
                .filter(|s| s.report.purpose == p.id)
                .map(|s| {
                    format!(
                        "Sent on {}: {}, as totals for {}{}.",
                        date_time(s.sent_at, off),
                        figures(config, &report_counts(&s.report)),
                        window(s.report.window.start, s.report.window.seconds, off),
                        noise_note(&s.report)
                    )
                })
                .collect();
            PurposeView { id: p.id.clone(), label: p.label.resolve(chain).to_string(), granted: (st.granted)(&p.id), waiting, sent }
        })
        .collect();
    let storage = st.storage.iter().map(|(k, b)| (k.clone(), format!("{k}: {} ({}).", key_meaning(k), bytes(*b)))).collect();
    View { purposes, storage }
}

fn report_counts(r: &Report) -> Vec<(&str, i64)> {
    r.events.iter().map(|(n, e)| (n.as_str(), e.count)).collect()
}

fn noise_note(r: &Report) -> &'static str {
    if r.noise.is_some() {
        " (with random noise added, so no count is exact)"
    } else {
        ""
    }
}

/// "12 page views, grouped by path, with load ms in ranges and 1 purchase, amount added up".
fn figures(config: &Config, counts: &[(&str, i64)]) -> String {
    let parts: Vec<String> = counts
        .iter()
        .map(|(name, n)| {
            let mut s = format!("{n} {}", noun(name, *n));
            if let Some(e) = config.events.get(*name) {
                let mut how = Vec::new();
                let cats: Vec<String> =
                    e.fields.iter().filter(|(_, f)| matches!(f, Field::Category { .. })).map(|(k, _)| words(k)).collect();
                if !cats.is_empty() {
                    how.push(format!("grouped by {}", list(&cats)));
                }
                for (k, f) in &e.fields {
                    match f {
                        Field::Histogram { .. } => how.push(format!("with {} in ranges", words(k))),
                        Field::Sum { .. } => how.push(format!("with {} added up", words(k))),
                        _ => {}
                    }
                }
                if !how.is_empty() {
                    s.push_str(", ");
                    s.push_str(&how.join(", "));
                }
            }
            s
        })
        .collect();
    if parts.is_empty() {
        "No events".to_string()
    } else {
        parts.join("; ")
    }
}

fn words(id: &str) -> String {
    id.replace(['_', '-'], " ")
}

/// "page_view" → "page view" / "page views".
fn noun(event: &str, n: i64) -> String {
    let w = words(event);
    if n == 1 || w.ends_with('s') {
        w
    } else if w.ends_with('y') && !w.ends_with("ay") && !w.ends_with("ey") && !w.ends_with("oy") {
        format!("{}ies", &w[..w.len() - 1])
    } else if w.ends_with("ch") || w.ends_with("sh") || w.ends_with('x') {
        format!("{w}es")
    } else {
        format!("{w}s")
    }
}

fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn key_meaning(key: &str) -> &'static str {
    let rest = key.strip_prefix("candor.").unwrap_or(key);
    match rest.split('.').next().unwrap_or("") {
        "consent" => "your choices",
        "receipts" => "receipts of your choices",
        "history" => "what was sent recently",
        "open" => "counts still being added up",
        "report" => "a report waiting to be sent",
        "dropped" => "how many reports were dropped because too many were waiting",
        "lease" => "which tab sends reports",
        "alive" => "when a tab last ran, so another can send what it left if it crashed",
        "tab" => "this tab's random id, in session storage (gone when the tab closes)",
        "gcm" => "your choices as Google Consent Mode signals, for the page's tags",
        "forget" => "receipts of your choices you erased, still to be deleted by the site's server",
        _ => "Candor data",
    }
}

fn bytes(n: usize) -> String {
    if n == 1 {
        "1 byte".into()
    } else {
        format!("{n} bytes")
    }
}

/// Local "HH:MM" of Unix seconds.
fn hm(t: u64, off: i64) -> String {
    let local = t as i64 + off * 60;
    let m = local.rem_euclid(86_400) / 60;
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// "14:05–14:06"; "14:05:10–14:05:20" for windows not in whole minutes;
/// "2026-11-23 at 00:00–2026-11-24 at 00:00" for windows of a day or more.
fn window(start: u64, seconds: u32, off: i64) -> String {
    let end = start + u64::from(seconds);
    if seconds >= 86_400 {
        format!("{}–{}", date_time(start, off), date_time(end, off))
    } else if start % 60 != 0 || seconds % 60 != 0 {
        format!("{}–{}", hms(start, off), hms(end, off))
    } else {
        format!("{}–{}", hm(start, off), hm(end, off))
    }
}

/// Local "HH:MM:SS" of Unix seconds.
fn hms(t: u64, off: i64) -> String {
    let s = (t as i64 + off * 60).rem_euclid(60);
    format!("{}:{s:02}", hm(t, off))
}

/// "2026-11-23 at 14:07" in local time.
fn date_time(t: u64, off: i64) -> String {
    let local = t as i64 + off * 60;
    let (y, m, d) = civil(local.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02} at {}", hm(t, off))
}

/// "2026-11-23" (UTC) of Unix seconds.
pub fn iso_date(t: u64) -> String {
    let (y, m, d) = civil((t / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::EventTally;
    use crate::report::{ReportEvent, Window};
    use crate::map::StrMap;

    const T: u64 = 1_763_906_700; // 2025-11-23 14:05:00 UTC

    fn config() -> Config {
        Config::from_json(
            r#"{"site":"s","revision":"r1","purposes":[
              {"id":"necessary","required":true,"label":"Needed","explain":"x","benefit":"y"},
              {"id":"stats","label":"Count visits","explain":"x","benefit":"y"}],
              "events":{"page_view":{"purpose":"stats","fields":{"page":{"kind":"category","values":["/"]}}},
                        "purchase":{"purpose":"stats","fields":{"amount":{"kind":"sum","min":0,"max":9},
                                                                 "load_ms":{"kind":"histogram","buckets":[1]}}}}}"#,
        )
        .unwrap()
    }

    fn report(id: &str, n: i64) -> Report {
        let mut events = StrMap::new();
        events.insert("page_view".to_string(), ReportEvent { count: n, fields: StrMap::new() });
        Report {
            report_id: id.into(),
            site: "s".into(),
            revision: "r1".into(),
            purpose: "stats".into(),
            window: Window { start: T, seconds: 60 },
            events,
            noise: None,
            sdk: "candor/0".into(),
        }
    }

    #[test]
    fn waiting_data_reads_as_a_plain_sentence() {
        let c = config();
        let mut events = StrMap::new();
        events.insert("page_view".to_string(), EventTally { count: 12, fields: StrMap::new() });
        let open = [Aggregate { purpose: "stats".into(), start: T, seconds: 60, events }];
        let pending = [report("a", 1)];
        let storage = [("candor.consent".to_string(), 120)];
        let st = State { granted: &|id| id != "stats", open: &open, pending: &pending, history: &[], storage: &storage, utc_offset_minutes: 0 };
        let v = view(&c, &["en".into()], &st);
        assert_eq!(v.purposes.len(), 2);
        assert!(v.purposes[0].waiting.is_empty());
        assert!(!v.purposes[1].granted);
        assert_eq!(v.purposes[1].label, "Count visits");
        assert_eq!(
            v.purposes[1].waiting,
            ["12 page views, grouped by page, will be sent as totals for 14:05–14:06.",
             "1 page view, grouped by page, waiting to be sent as totals for 14:05–14:06."]
        );
        assert_eq!(v.storage, [("candor.consent".to_string(), "candor.consent: your choices (120 bytes).".to_string())]);
        // Local time follows the offset it is given.
        let st = State { utc_offset_minutes: 60, ..st };
        assert!(view(&c, &[], &st).purposes[1].waiting[0].ends_with("15:05–15:06."));
    }

    #[test]
    fn sums_and_histograms_are_named() {
        let f = figures(&config(), &[("purchase", 2)]);
        assert_eq!(f, "2 purchases, with amount added up, with load ms in ranges");
        assert_eq!(noun("entry", 2), "entries");
        assert_eq!(noun("day", 2), "days");
    }

    #[test]
    fn history_is_bounded_by_count_and_age() {
        let mut h = Vec::new();
        for i in 0..25 {
            record_sent(&mut h, report(&format!("r{i}"), i), T + i as u64, 30);
        }
        assert_eq!(h.len(), HISTORY_MAX);
        assert_eq!(h[0].report.report_id, "r5");
        assert!(!record_sent(&mut h, report("r24", 0), T + 30, 30), "answered twice");
        assert_eq!(h.len(), HISTORY_MAX, "the same report is remembered once");
        prune(&mut h, T + 30 * 86_400 + 10, 30);
        assert_eq!(h.len(), 14, "entries older than history_days are gone");
        let st = State { granted: &|_| true, open: &[], pending: &[], history: &h, storage: &[], utc_offset_minutes: 0 };
        let v = view(&config(), &[], &st);
        assert_eq!(v.purposes[1].sent.len(), 14);
        assert_eq!(v.purposes[1].sent[0], "Sent on 2025-11-23 at 14:05: 24 page views, grouped by page, as totals for 14:05–14:06.");
    }

    #[test]
    fn windows_read_at_their_own_scale() {
        assert_eq!(window(T, 60, 0), "14:05–14:06");
        assert_eq!(window(T + 10, 10, 0), "14:05:10–14:05:20", "a 10 s window does not read 14:05–14:05");
        assert_eq!(window(T, 30, 90), "15:35:00–15:35:30");
        assert_eq!(window(T - 50_700, 86_400, 0), "2025-11-23 at 00:00–2025-11-24 at 00:00", "nor a day 00:00–00:00");
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(20_415), (2025, 11, 23));
        assert_eq!(civil(11_016), (2000, 2, 29));
    }
}
