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
use crate::receipt::Receipt;
use crate::report::Report;
use crate::texts::UiTexts;

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
    /// One line per receipt of a decision (what was sent to the site's
    /// server about the visitor's choices), newest first.
    pub receipts: Vec<String>,
    /// The site sends nothing (`collector: null`): what waits is kept here,
    /// and said so (`data_kept`, not `data_waiting`).
    pub local: bool,
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
    /// This browser's receipts, oldest first, each with whether the
    /// collector acknowledged it (`None`: it refused it, so the receipt
    /// is kept only here).
    pub receipts: &'a [(Receipt, Option<bool>)],
    /// Minutes to add to UTC for local time at a given Unix second (the
    /// offset of that moment: a time before a daylight-saving change is
    /// shown as it was then).
    pub utc_offset: &'a dyn Fn(u64) -> i64,
}

/// The words the view's sentences are made of, in the prompt's language.
pub struct Words<'a> {
    /// The UI strings (templates `data_*`).
    pub ui: &'a UiTexts,
    /// Whether they are English: event names are then made plural to
    /// match their count ("12 page views"); the other built-in languages
    /// write "12 × page view", which needs no plural.
    pub english: bool,
}

/// Builds the view. `chain` is the language chain for config labels.
pub fn view(config: &Config, chain: &[String], words: &Words<'_>, st: &State<'_>) -> View {
    let off = st.utc_offset;
    let ui = words.ui;
    // Nothing is ever sent: no sentence may say it waits to be.
    let local = config.collector.is_none();
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
                    let template = if local { ui.data_kept_totals() } else { ui.data_open() };
                    fill(template, &[("events", &figures(config, words, &counts)), ("window", &window(a.start, a.seconds, off))])
                })
                .collect();
            waiting.extend(st.pending.iter().filter(|r| r.purpose == p.id).map(|r| {
                let line = fill(
                    if local { ui.data_kept_totals() } else { ui.data_pending() },
                    &[("events", &figures(config, words, &report_counts(r))), ("window", &window(r.window.start, r.window.seconds, off))],
                );
                with_noise(line, r, ui)
            }));
            let sent = st
                .history
                .iter()
                .rev()
                .filter(|s| s.report.purpose == p.id)
                .map(|s| {
                    let r = &s.report;
                    let line = fill(
                        ui.data_sent_on(),
                        &[
                            ("date", &date(s.sent_at, off)),
                            ("time", &hm(s.sent_at, off)),
                            ("events", &figures(config, words, &report_counts(r))),
                            ("window", &window(r.window.start, r.window.seconds, off)),
                        ],
                    );
                    with_noise(line, r, ui)
                })
                .collect();
            PurposeView { id: p.id.clone(), label: p.label.resolve(chain).to_string(), granted: (st.granted)(&p.id), waiting, sent }
        })
        .collect();
    let storage = st
        .storage
        .iter()
        .map(|(k, b)| {
            let size = if *b == 1 { ui.data_bytes_one().to_string() } else { fill(ui.data_bytes(), &[("bytes", &b.to_string())]) };
            (k.clone(), fill(ui.data_key(), &[("key", k), ("meaning", key_meaning(k, ui, local)), ("size", &size)]))
        })
        .collect();
    let receipts = st
        .receipts
        .iter()
        .rev()
        .map(|(r, acknowledged)| {
            let choices: Vec<String> = config
                .optional_purposes()
                .map(|p| {
                    let state = if r.choices.get(&p.id) == Some(&true) { ui.data_on() } else { ui.data_off() };
                    fill(ui.data_choice(), &[("purpose", p.label.resolve(chain)), ("state", state)])
                })
                .collect();
            let template = match (local, *acknowledged) {
                (true, _) | (_, None) => ui.data_receipt_local(),
                (false, Some(true)) => ui.data_receipt(),
                (false, Some(false)) => ui.data_receipt_waiting(),
            };
            fill(template, &[("date", &date(r.timestamp, off)), ("time", &hm(r.timestamp, off)), ("choices", &choices.join(", "))])
        })
        .collect();
    View { purposes, storage, receipts, local }
}

/// `template` with each `{name}` replaced by its value, in one pass: a
/// value that itself contains `{…}` (an event or field id cannot, but a
/// site's label could) is not replaced again.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').and_then(|close| values.iter().find(|(k, _)| *k == &after[..close]).map(|(_, v)| (close, v))) {
            Some((close, v)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn report_counts(r: &Report) -> Vec<(&str, i64)> {
    r.events.iter().map(|(n, e)| (n.as_str(), e.count)).collect()
}

/// A report's sentence, followed by the noise note when its counts carry noise.
fn with_noise(line: String, r: &Report, ui: &UiTexts) -> String {
    if r.noise.is_some() {
        format!("{line} {}", ui.data_noise())
    } else {
        line
    }
}

/// "12 page views, grouped by path, with load ms in ranges; 1 purchase, with amount added up".
fn figures(config: &Config, words: &Words<'_>, counts: &[(&str, i64)]) -> String {
    let ui = words.ui;
    let parts: Vec<String> = counts
        .iter()
        .map(|(name, n)| {
            let event = if words.english { noun(name, *n) } else { spaced(name) };
            let mut s = fill(ui.data_event(), &[("count", &n.to_string()), ("event", &event)]);
            if let Some(e) = config.events.get(*name) {
                let cats: Vec<String> =
                    e.fields.iter().filter(|(_, f)| matches!(f, Field::Category { .. })).map(|(k, _)| spaced(k)).collect();
                if !cats.is_empty() {
                    s.push_str(", ");
                    s.push_str(&fill(ui.data_grouped(), &[("fields", &list(&cats, ui.data_and()))]));
                }
                for (k, f) in &e.fields {
                    let how = match f {
                        Field::Histogram { .. } => ui.data_ranges(),
                        Field::Sum { .. } => ui.data_added(),
                        _ => continue,
                    };
                    s.push_str(", ");
                    s.push_str(&fill(how, &[("field", &spaced(k))]));
                }
            }
            s
        })
        .collect();
    if parts.is_empty() {
        ui.data_no_events().to_string()
    } else {
        parts.join(ui.data_separator())
    }
}

/// An id in words: "page_view" → "page view".
fn spaced(id: &str) -> String {
    id.replace(['_', '-'], " ")
}

/// "page_view" → "page view" / "page views".
fn noun(event: &str, n: i64) -> String {
    let w = spaced(event);
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

/// "a", "a and b", "a, b and c" (`and` in the prompt's language).
fn list(items: &[String], and: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {and} {last}", init.join(", ")),
    }
}

/// How the view lists the decision's durable copy (IndexedDB database
/// `candor`), among the storage keys.
pub const DURABLE_KEY: &str = "IndexedDB candor";

fn key_meaning<'a>(key: &str, ui: &'a UiTexts, local: bool) -> &'a str {
    if key == DURABLE_KEY {
        return ui.data_key_durable();
    }
    let rest = key.strip_prefix("candor.").unwrap_or(key);
    if rest == "tab.live" {
        return ui.data_key_tab_live();
    }
    match rest.split('.').next().unwrap_or("") {
        "consent" => ui.data_key_consent(),
        "receipts" => ui.data_key_receipts(),
        "history" => ui.data_key_history(),
        "open" => ui.data_key_open(),
        "report" if local => ui.data_key_kept(),
        "report" => ui.data_key_report(),
        "dropped" => ui.data_key_dropped(),
        "lease" => ui.data_key_lease(),
        "alive" => ui.data_key_alive(),
        "tab" => ui.data_key_tab(),
        "gcm" => ui.data_key_gcm(),
        "forget" => ui.data_key_forget(),
        "retry" => ui.data_key_retry(),
        _ => ui.data_key_other(),
    }
}

/// Local "HH:MM" of Unix seconds.
fn hm(t: u64, off: &dyn Fn(u64) -> i64) -> String {
    let local = t as i64 + off(t) * 60;
    let m = local.rem_euclid(86_400) / 60;
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// "14:05–14:06"; "14:05:10–14:05:20" for windows not in whole minutes;
/// "2026-11-23 00:00–2026-11-24 00:00" for windows of a day or more. The
/// dash is followed by a word joiner (U+2060): a line may break after an
/// en dash, and "14:05–" at the end of a line, "14:06" on the next, reads
/// as two times.
fn window(start: u64, seconds: u32, off: &dyn Fn(u64) -> i64) -> String {
    let end = start + u64::from(seconds);
    if seconds >= 86_400 {
        format!("{} {}–\u{2060}{} {}", date(start, off), hm(start, off), date(end, off), hm(end, off))
    } else if start % 60 != 0 || seconds % 60 != 0 {
        format!("{}–\u{2060}{}", hms(start, off), hms(end, off))
    } else {
        format!("{}–\u{2060}{}", hm(start, off), hm(end, off))
    }
}

/// Local "HH:MM:SS" of Unix seconds.
fn hms(t: u64, off: &dyn Fn(u64) -> i64) -> String {
    let s = (t as i64 + off(t) * 60).rem_euclid(60);
    format!("{}:{s:02}", hm(t, off))
}

/// Local "2026-11-23" of Unix seconds.
fn date(t: u64, off: &dyn Fn(u64) -> i64) -> String {
    let (y, m, d) = civil((t as i64 + off(t) * 60).div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// "2026-11-23" (UTC) of Unix seconds.
pub fn iso_date(t: u64) -> String {
    date(t, &|_| 0)
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

    fn english() -> Words<'static> {
        Words { ui: Box::leak(Box::new(crate::texts::builtin("en").unwrap())), english: true }
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
        let open = [Aggregate { purpose: "stats".into(), start: T, seconds: 60, events, id: String::new() }];
        let pending = [report("a", 1)];
        let storage = [("candor.consent".to_string(), 120), (DURABLE_KEY.to_string(), 120)];
        let st = State { granted: &|id| id != "stats", open: &open, pending: &pending, history: &[], storage: &storage, receipts: &[], utc_offset: &|_| 0 };
        let en = english();
        let v = view(&c, &["en".into()], &en, &st);
        assert_eq!(v.purposes.len(), 2);
        assert!(v.purposes[0].waiting.is_empty());
        assert!(!v.purposes[1].granted);
        assert_eq!(v.purposes[1].label, "Count visits");
        assert_eq!(
            v.purposes[1].waiting,
            ["Will be sent as totals for 14:05–\u{2060}14:06: 12 page views, grouped by page.",
             "Waiting to be sent as totals for 14:05–\u{2060}14:06: 1 page view, grouped by page."]
        );
        assert_eq!(
            v.storage,
            [
                ("candor.consent".to_string(), "candor.consent: your choices (120\u{a0}bytes).".to_string()),
                (
                    DURABLE_KEY.to_string(),
                    "IndexedDB candor: a copy of your choices, written to disk at once, so a browser crash cannot bring back an older one (120\u{a0}bytes).".to_string()
                ),
            ]
        );
        // Local time follows the offset it is given.
        let st = State { utc_offset: &|_| 60, ..st };
        assert!(view(&c, &[], &en, &st).purposes[1].waiting[0].contains("15:05–\u{2060}15:06:"));
    }

    #[test]
    fn sentences_are_in_the_prompts_language() {
        let c = config();
        let mut events = StrMap::new();
        events.insert("page_view".to_string(), EventTally { count: 12, fields: StrMap::new() });
        let open = [Aggregate { purpose: "stats".into(), start: T, seconds: 60, events, id: String::new() }];
        let mut noisy = report("a", 3);
        noisy.noise = Some(crate::report::NoiseInfo { mechanism: crate::report::Mechanism::Geometric, epsilon: 1.0 });
        let pending = [noisy];
        let history = [Sent { sent_at: T + 61, report: report("b", 1) }];
        let storage = [("candor.consent".to_string(), 120), ("candor.lease".to_string(), 1)];
        let st = State { granted: &|_| true, open: &open, pending: &pending, history: &history, storage: &storage, receipts: &[], utc_offset: &|_| 0 };
        let de = Words { ui: &crate::texts::builtin("de").unwrap(), english: false };
        let v = view(&c, &["de".into()], &de, &st);
        assert_eq!(
            v.purposes[1].waiting,
            [
                "Wird als Gesamtzahlen für 14:05–\u{2060}14:06 gesendet: 12 × page view, gruppiert nach page.",
                "Wartet darauf, als Gesamtzahlen für 14:05–\u{2060}14:06 gesendet zu werden: 3 × page view, gruppiert nach page. \
                 Zum Schutz Ihrer Privatsphäre wurden zufällige Werte hinzugefügt, daher können diese Zahlen abweichen und sogar unter null liegen."
            ]
        );
        assert_eq!(v.purposes[1].sent, ["Gesendet am 2025-11-23 um 14:06 als Gesamtzahlen für 14:05–\u{2060}14:06: 1 × page view, gruppiert nach page."]);
        assert_eq!(
            v.storage.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>(),
            ["candor.consent: Ihre Auswahl (120\u{a0}Bytes).", "candor.lease: welcher Tab Berichte sendet (1 Byte)."]
        );
        // Every built-in language fills every placeholder of its sentences.
        for (lang, _) in crate::texts::BUILTIN {
            let w = Words { ui: &crate::texts::builtin(lang).unwrap(), english: lang == &"en" };
            let v = view(&c, &[], &w, &st);
            let lines = v.purposes[1].waiting.iter().chain(&v.purposes[1].sent).chain(v.storage.iter().map(|(_, l)| l));
            for line in lines {
                assert!(!line.contains('{'), "{lang}: {line}");
            }
        }
    }

    #[test]
    fn a_value_is_not_filled_in_again() {
        assert_eq!(fill("{a} and {b}", &[("a", "{b}"), ("b", "x")]), "{b} and x");
        assert_eq!(fill("{unknown} {a", &[("a", "1")]), "{unknown} {a");
    }

    #[test]
    fn sums_and_histograms_are_named() {
        let f = figures(&config(), &english(), &[("purchase", 2)]);
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
        let st = State { granted: &|_| true, open: &[], pending: &[], history: &h, storage: &[], receipts: &[], utc_offset: &|_| 0 };
        let v = view(&config(), &[], &english(), &st);
        assert_eq!(v.purposes[1].sent.len(), 14);
        assert_eq!(v.purposes[1].sent[0], "Sent on 2025-11-23 at 14:05 as totals for 14:05–\u{2060}14:06: 24 page views, grouped by page.");
    }

    #[test]
    fn windows_read_at_their_own_scale() {
        let w = |s: &str| s.replace('–', "–\u{2060}");
        let utc = |_: u64| 0;
        assert_eq!(window(T, 60, &utc), w("14:05–14:06"));
        assert_eq!(window(T + 10, 10, &utc), w("14:05:10–14:05:20"), "a 10 s window does not read 14:05–14:05");
        assert_eq!(window(T, 30, &|_| 90), w("15:35:00–15:35:30"));
        assert_eq!(window(T - 50_700, 86_400, &utc), w("2025-11-23 00:00–2025-11-24 00:00"), "nor a day 00:00–00:00");
    }

    /// Each moment at its own offset: a window that ends after clocks went
    /// back an hour (UTC+2 until T + 30, then UTC+1) reads as it was lived.
    #[test]
    fn each_time_at_the_offset_of_its_own_moment() {
        let berlin = |t: u64| if t < T + 30 { 120 } else { 60 };
        assert_eq!(window(T, 60, &berlin), "16:05–\u{2060}15:06");
        assert_eq!(hm(T, &berlin), "16:05");
        assert_eq!(hm(T + 3600, &berlin), "16:05");
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(20_415), (2025, 11, 23));
        assert_eq!(civil(11_016), (2000, 2, 29));
    }
}
