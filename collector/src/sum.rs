//! Sums stored reports into `/v1/aggregates` answers, withholding any cell
//! backed by fewer than `min_reports` reports. A report backs a cell only
//! with a value other than zero in it: the SDK sends every histogram bucket
//! (and, with noise, every cell), and a bucket one visitor filled next to
//! zeros from others is still that one visitor's. A cell nobody put
//! anything in is shown: its 0 is about no one. A category or histogram
//! field with any cell withheld is withheld whole: every event lands in
//! exactly one of its cells, so one missing cell is the shown count minus
//! the others.
//!
//! The same holds across purposes: `?purpose=P` sums only P's reports, so
//! a cell of the answer over every purpose is withheld when any one
//! purpose's part of it is (backed by 1 to `min_reports - 1` of that
//! purpose's reports); otherwise the total minus the other purposes'
//! answers would be the withheld part.
//!
//! What one sum holds is bounded ([`MAX_KEYS`], [`MAX_FIELDS`],
//! [`MAX_PURPOSES`]): anyone may post reports for a site, and each new
//! category value would otherwise be kept (and answered) for good.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};

/// Shown totals saturate here (2^53 - 1, the largest integer a JSON reader
/// such as JavaScript holds exactly), so an answer is always a finite number
/// and never `null`, which means "withheld". Only the shown value: the
/// running totals are exact ([`Total`]), so a total that went past it and
/// came back shows what it came back to, whatever the order of the reports.
pub const MAX_TOTAL: f64 = 9_007_199_254_740_991.0;

/// Each value added is held to ±this. Reports are validated to ±1e12; only
/// rows stored before that may hold more (up to 1.8e308), and held here,
/// 10^20 of them still sum within f64's range (1.8e308).
const MAX_ADDED: f64 = 1e288;

/// An exact running total of f64 values: Shewchuk's non-overlapping
/// partials (the algorithm of Python's `math.fsum`). Each addition keeps
/// the rounding error of the float sum as a further partial, so the
/// partials always add up to exactly the sum of every value added (at most
/// about 40 of them; one while the values and the total are whole numbers
/// within ±2^53, as counts are).
/// Adding in any order, or adding to a kept total later, gives the same
/// total, and [`Total::value`] rounds it once.
#[derive(Default, Clone, Debug)]
struct Total(Vec<f64>);

impl Total {
    fn add(&mut self, x: f64) {
        let mut x = x.clamp(-MAX_ADDED, MAX_ADDED);
        let p = &mut self.0;
        let mut kept = 0;
        for j in 0..p.len() {
            let mut y = p[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                p[kept] = lo;
                kept += 1;
            }
            x = hi;
        }
        p.truncate(kept);
        if x != 0.0 {
            p.push(x);
        }
    }

    /// The exact total rounded to the nearest f64 (ties to even).
    fn value(&self) -> f64 {
        let p = &self.0;
        let Some(mut n) = p.len().checked_sub(1) else { return 0.0 };
        let mut hi = p[n];
        let mut lo = 0.0;
        // From the largest partial down, until the sum is inexact.
        while n > 0 {
            n -= 1;
            let (x, y) = (hi, p[n]);
            hi = x + y;
            lo = y - (hi - x);
            if lo != 0.0 {
                break;
            }
        }
        // Half-way cases: the partials below decide which way to round.
        if n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            if x - hi == y {
                hi = x;
            }
        }
        hi
    }
}

/// Distinct values one category field keeps (and buckets one histogram).
/// A config declares at most 64 values (`pkg-config/candor.config.schema.json`),
/// and the SDK sends only those plus `"other"`: 65, and a report holds at
/// most 65 (validated). 1024 leaves room for about fifteen config revisions
/// that each declared 64 new values. Past it the field is overflowed: its
/// cells are dropped, nothing more is stored for it, and it is withheld
/// whole (a part of it shown would give the rest by difference from the
/// count). Whether a field overflows depends only on which reports are
/// stored, not on their order: it has more than 1024 distinct values.
pub const MAX_KEYS: usize = 1024;

/// Field names one event keeps. A config declares at most 16 per event (as
/// does a report, validated); 64 is four config revisions that each
/// renamed every field, and keeps what forged posts can make one sum hold
/// (64 fields of 1024 values) to a few MB. Fields past it (in the order
/// reports are read) are not summed, so not shown; a field left out reveals
/// nothing of the others.
pub const MAX_FIELDS: usize = 64;

/// Shapes one field keeps: a category, a sum, and histograms of up to 64
/// buckets (validated) are 66; rows stored otherwise could hold any length.
/// A shape past it (in the order reports are read) is not summed.
pub const MAX_SHAPES: usize = 72;

/// Purposes one event's sum tells apart (see [`Cell`]). An event belongs to
/// one purpose in a config, which declares at most 32: 32 is an event moved
/// through every one of them. Reports of further purposes are counted
/// under [`OVERFLOW`], a part always withheld in the answer over every
/// purpose (it may hold one report of a purpose whose own answer withholds
/// it); answers for one purpose never overflow.
pub const MAX_PURPOSES: usize = 32;

/// A purpose, interned by [`Aggregate`]: its index in the order first read.
type Purpose = u32;

/// The part of reports of purposes past [`MAX_PURPOSES`].
const OVERFLOW: Purpose = Purpose::MAX;

#[derive(Default, Clone)]
struct Cell {
    total: Total,
    /// The reports that back the cell (a value other than zero in it), by
    /// purpose: `(purpose, reports)`, each at least 1. Most cells have one
    /// purpose (an event has one per config); an empty cell none.
    backing: Vec<(Purpose, u64)>,
}

impl Cell {
    /// Adds a report's value, of `purpose`; a non-number adds nothing.
    fn add(&mut self, n: &Value, purpose: Purpose) {
        let x = n.as_f64().filter(|x| x.is_finite());
        if let Some(x) = x {
            self.total.add(x);
        }
        if x.is_some_and(|x| x != 0.0) {
            match self.backing.iter_mut().find(|(p, _)| *p == purpose) {
                Some((_, reports)) => *reports += 1,
                None => {
                    // One purpose is the rule: room for exactly one at first.
                    if self.backing.is_empty() {
                        self.backing.reserve_exact(1);
                    }
                    self.backing.push((purpose, 1));
                }
            }
        }
    }

    /// The total, or `None` (withheld) when 1 to `min_reports - 1` reports
    /// of any one purpose back it (of one purpose, as the answer for that
    /// purpose alone withholds it; for all of them together, too, since
    /// each part is at least 1).
    fn shown(&self, min_reports: u64) -> Option<Value> {
        let each_shown = self.backing.iter().all(|&(p, reports)| p != OVERFLOW && reports >= min_reports);
        each_shown.then(|| round(self.total.value()))
    }
}

/// One shape of a field's sums. A category or histogram is `None` once
/// overflowed (more than [`MAX_KEYS`] values or buckets): withheld whole.
/// A histogram's shape is its number of buckets: a config revision that
/// changed the bucket bounds sends another number of them, and its cells
/// are never added to the old ones (the same number with other bounds
/// cannot be told apart; the schema's `revision` advice covers that).
#[derive(Clone)]
enum FieldSum {
    Category(Option<BTreeMap<String, Cell>>),
    Histogram(usize, Option<Vec<Cell>>),
    Sum(Cell),
}

/// The aggregate of `event` over `bodies` (report JSON texts of one site).
#[cfg(test)]
pub fn aggregate(site: &str, event: &str, bodies: &[String], min_reports: u64) -> Value {
    let mut acc = Aggregate::new(event);
    for body in bodies {
        acc.add(body);
    }
    acc.finish(site, min_reports)
}

/// The running sum of one event over reports read one at a time (the
/// store streams them: a site's reports are never all in memory at once).
#[derive(Clone)]
pub struct Aggregate {
    event: String,
    reports: u64,
    /// Backed, as any cell, only by reports with a non-zero count.
    count: Cell,
    /// Each field's sums by shape (category, histogram, sum), with how many
    /// reports gave that shape: a field whose shape changed (a new config
    /// revision; or anyone posting for the site) keeps both, and the answer
    /// shows the one most reports gave, so one odd report cannot hide the rest.
    /// At most [`MAX_FIELDS`] names.
    fields: BTreeMap<String, Vec<(FieldSum, u64)>>,
    /// The purposes read so far, each interned once: cells name them by
    /// index. At most [`MAX_PURPOSES`]; further ones are [`OVERFLOW`].
    purposes: HashMap<String, Purpose>,
}

impl Aggregate {
    /// Nothing summed yet.
    pub fn new(event: &str) -> Aggregate {
        Aggregate { event: event.to_string(), reports: 0, count: Cell::default(), fields: BTreeMap::new(), purposes: HashMap::new() }
    }

    /// The index of `purpose`, interned on first sight.
    fn purpose(&mut self, purpose: &str) -> Purpose {
        if let Some(&p) = self.purposes.get(purpose) {
            return p;
        }
        if self.purposes.len() >= MAX_PURPOSES {
            return OVERFLOW;
        }
        let p = self.purposes.len() as Purpose;
        self.purposes.insert(purpose.to_string(), p);
        p
    }

    /// Adds one stored report (its JSON text).
    pub fn add(&mut self, body: &str) {
        let Ok(report) = serde_json::from_str::<Value>(body) else { return };
        let Some(e) = report["events"].get(&self.event) else { return };
        // Every stored report names its purpose (validated); a row written
        // by other means without one counts as a purpose of its own.
        let purpose = self.purpose(report["purpose"].as_str().unwrap_or(""));
        self.reports += 1;
        self.count.add(&e["count"], purpose);
        let Some(fs) = e.get("fields").and_then(Value::as_object) else { return };
        for (name, v) in fs {
            if self.fields.len() >= MAX_FIELDS && !self.fields.contains_key(name) {
                continue;
            }
            let shapes = self.fields.entry(name.clone()).or_default();
            if let Some((f, n)) = shapes.iter_mut().find(|(f, _)| takes(f, v)) {
                match (f, v) {
                    (FieldSum::Category(m), Value::Object(o)) => add_category(m, o, purpose),
                    (FieldSum::Histogram(_, h), Value::Array(a)) => add_histogram(h, a, purpose),
                    (FieldSum::Sum(c), _) => c.add(v, purpose),
                    _ => {}
                }
                *n += 1;
            } else if shapes.len() >= MAX_SHAPES {
                continue;
            } else if let Some(f) = start(v, purpose) {
                shapes.push((f, 1));
            }
        }
    }

    /// The answer of `/v1/aggregates`, cells below `min_reports` withheld.
    pub fn finish(self, site: &str, min_reports: u64) -> Value {
        let Aggregate { event, reports, count, fields, purposes: _ } = self;
        finish(site, &event, reports, count, fields, min_reports)
    }
}

fn finish(site: &str, event: &str, reports: u64, count: Cell, fields: BTreeMap<String, Vec<(FieldSum, u64)>>, min_reports: u64) -> Value {
    // Too few reports, or too few that counted the event at all (reports
    // with noise list every declared event, most with a count of 0).
    let Some(count) = count.shown(min_reports).filter(|_| reports >= min_reports) else {
        return json!({"site": site, "event": event, "reports": reports, "count": null, "fields": {}});
    };
    let shown = |c: &Cell| c.shown(min_reports);
    let mut out = Map::new();
    // The shape most reports gave (the first of equals).
    let fields = fields.into_iter().filter_map(|(name, shapes)| {
        let most = shapes.iter().map(|(_, n)| *n).max()?;
        shapes.into_iter().find(|(_, n)| *n == most).map(|(f, _)| (name, f))
    });
    for (name, f) in fields {
        let v = match f {
            // Overflowed: withheld whole.
            FieldSum::Category(None) | FieldSum::Histogram(_, None) => continue,
            FieldSum::Category(Some(m)) => {
                let Some(cells) = m.iter().map(|(k, c)| shown(c).map(|v| (k.clone(), v))).collect::<Option<Map<String, Value>>>() else { continue };
                if cells.is_empty() { continue } else { Value::Object(cells) }
            }
            FieldSum::Histogram(_, Some(h)) => match h.iter().map(shown).collect::<Option<Vec<Value>>>() {
                Some(buckets) => Value::Array(buckets),
                None => continue,
            },
            FieldSum::Sum(c) => match shown(&c) { Some(v) => v, None => continue },
        };
        out.insert(name, v);
    }
    json!({"site": site, "event": event, "reports": reports, "count": count, "fields": out})
}

fn start(v: &Value, purpose: Purpose) -> Option<FieldSum> {
    Some(match v {
        Value::Object(o) => {
            let mut m = Some(BTreeMap::new());
            add_category(&mut m, o, purpose);
            FieldSum::Category(m)
        }
        Value::Array(a) => {
            let mut h = Some(Vec::new());
            add_histogram(&mut h, a, purpose);
            FieldSum::Histogram(a.len(), h)
        }
        Value::Number(_) => {
            let mut c = Cell::default();
            c.add(v, purpose);
            FieldSum::Sum(c)
        }
        _ => return None,
    })
}

/// Whether a field's value `v` has the shape of the sum `f`.
fn takes(f: &FieldSum, v: &Value) -> bool {
    match (f, v) {
        (FieldSum::Histogram(n, _), Value::Array(a)) => *n == a.len(),
        _ => matches!((f, v), (FieldSum::Category(_), Value::Object(_)) | (FieldSum::Sum(_), Value::Number(_))),
    }
}

/// Adds a report's category cells; a value past [`MAX_KEYS`] overflows
/// the field (its cells are dropped: it is withheld whole from then on).
fn add_category(m: &mut Option<BTreeMap<String, Cell>>, o: &Map<String, Value>, purpose: Purpose) {
    let Some(cells) = m else { return };
    for (k, n) in o {
        if let Some(c) = cells.get_mut(k) {
            c.add(n, purpose);
        } else if cells.len() < MAX_KEYS {
            cells.entry(k.clone()).or_default().add(n, purpose);
        } else {
            *m = None;
            return;
        }
    }
}

/// Adds a report's buckets; more than [`MAX_KEYS`] of them overflow the
/// field (reports are validated to at most 64; only rows stored otherwise
/// can hold more).
fn add_histogram(h: &mut Option<Vec<Cell>>, a: &[Value], purpose: Purpose) {
    let Some(cells) = h else { return };
    if a.len() > MAX_KEYS {
        *h = None;
        return;
    }
    // A shape of its own per length (`takes`): only the first report sizes it.
    if cells.is_empty() {
        cells.resize_with(a.len(), Cell::default);
    }
    for (c, n) in cells.iter_mut().zip(a) {
        c.add(n, purpose);
    }
}

/// Whole numbers print as integers; other sums keep 15 significant digits:
/// the float error of adding many amounts goes (0.1 + 0.2 is 0.3), a
/// declared range of 0.001 to 0.002 keeps its digits.
fn round(x: f64) -> Value {
    let x = x.clamp(-MAX_TOTAL, MAX_TOTAL);
    if x.fract() == 0.0 {
        return json!(x as i64);
    }
    let r: f64 = format!("{x:.14e}").parse().unwrap_or(x);
    if r.fract() == 0.0 { json!(r as i64) } else { json!(r) }
}

/// Adds the event names of one stored report to `names`.
pub fn add_event_names(names: &mut std::collections::BTreeSet<String>, body: &str) {
    if let Ok(r) = serde_json::from_str::<Value>(body) {
        if let Some(e) = r["events"].as_object() {
            names.extend(e.keys().cloned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(count: u64, path: &str) -> String {
        json!({"events": {"pv": {"count": count, "fields": {"path": {path: count}, "ms": [count, 0], "amount": 1.5}}}}).to_string()
    }

    #[test]
    fn sums_and_withholds() {
        let bodies = vec![body(2, "/"), body(3, "/"), body(1, "/rare")];
        let a = aggregate("s", "pv", &bodies, 2);
        assert_eq!(a["reports"], 3);
        assert_eq!(a["count"], 6);
        assert!(a["fields"].get("path").is_none(), "/rare has one report: the field is withheld whole (its cell is count minus the others)");
        assert_eq!(a["fields"]["ms"], json!([6, 0]));
        assert_eq!(a["fields"]["amount"], json!(4.5));
        let few = aggregate("s", "pv", &bodies, 4);
        assert_eq!(few["count"], Value::Null);
    }

    /// Zeros back nothing: two reports, each with one visitor's bucket,
    /// show neither bucket at min_reports 2; the empty buckets show 0.
    #[test]
    fn a_cell_is_backed_only_by_reports_with_something_in_it() {
        let one = |ms: [u64; 3], amount: f64| json!({"events": {"pv": {"count": 1, "fields": {"ms": ms, "amount": amount, "path": {"/": 1}}}}}).to_string();
        let a = aggregate("s", "pv", &[one([1, 0, 0], 0.0), one([0, 0, 1], 7.5)], 2);
        assert_eq!(a["count"], 2);
        assert!(a["fields"].get("ms").is_none(), "two buckets of one visitor each: withheld whole");
        assert!(a["fields"].get("amount").is_none(), "one visitor's amount: {a}");
        assert_eq!(a["fields"]["path"], json!({"/": 2}));
        let b = aggregate("s", "pv", &[one([1, 0, 0], 2.0), one([1, 0, 1], 7.5)], 2);
        assert!(b["fields"].get("ms").is_none(), "one visitor's last bucket: the whole histogram is withheld: {b}");
        let c = aggregate("s", "pv", &[one([1, 0, 1], 2.0), one([1, 0, 1], 7.5)], 2);
        assert_eq!(c["fields"]["ms"], json!([2, 0, 2]), "every filled bucket backed twice; the empty one shows 0");
        assert_eq!(b["fields"]["amount"], json!(9.5));
    }

    /// A field whose shape changed: the shape most reports gave is shown,
    /// so one report of another shape (posted by anyone) hides nothing.
    #[test]
    fn a_field_shows_the_shape_most_reports_gave() {
        let r = |amount: Value| json!({"events": {"pv": {"count": 1, "fields": {"amount": amount}}}}).to_string();
        let mut bodies = vec![r(json!({"x": 1}))];
        bodies.extend((0..10).map(|_| r(json!(10.0))));
        let a = aggregate("s", "pv", &bodies, 1);
        assert_eq!(a["fields"]["amount"], json!(100), "{a}");
        let b = aggregate("s", "pv", &[r(json!(2.5)), r(json!({"x": 1})), r(json!({"x": 1}))], 1);
        assert_eq!(b["fields"]["amount"], json!({"x": 2}), "{b}");
    }

    /// Histograms with another number of buckets (new bounds under a new
    /// revision) are another shape: never added cell by cell to the old
    /// ones. Before, 3-bucket reports' overflow counts landed in the 4-bucket
    /// layout's third bucket.
    #[test]
    fn histograms_of_another_length_are_never_mixed() {
        let r = |ms: Value| json!({"events": {"pv": {"count": 1, "fields": {"ms": ms}}}}).to_string();
        let a = aggregate("s", "pv", &[r(json!([1, 1, 5])), r(json!([1, 1, 5])), r(json!([0, 0, 1, 0]))], 1);
        assert_eq!(a["fields"]["ms"], json!([2, 2, 10]), "{a}");
        let b = aggregate("s", "pv", &[r(json!([1, 1, 5])), r(json!([0, 0, 1, 0])), r(json!([0, 2, 1, 0]))], 1);
        assert_eq!(b["fields"]["ms"], json!([0, 2, 2, 0]), "{b}");
    }

    /// The count too: one visitor's count with two reports listing the
    /// event at 0 (as reports with noise list every event) is withheld.
    #[test]
    fn a_count_is_backed_only_by_reports_that_counted_the_event() {
        let n = |count: u64| json!({"events": {"solo": {"count": count}}}).to_string();
        let a = aggregate("s", "solo", &[n(5), n(0), n(0)], 3);
        assert_eq!((a["reports"].clone(), a["count"].clone(), a["fields"].clone()), (json!(3), Value::Null, json!({})));
        let b = aggregate("s", "solo", &[n(5), n(1), n(2), n(0)], 3);
        assert_eq!(b["count"], 8);
    }

    /// A report of `pv` for `purpose`, with `fields`.
    fn of(purpose: &str, count: u64, fields: Value) -> String {
        json!({"purpose": purpose, "events": {"pv": {"count": count, "fields": fields}}}).to_string()
    }

    /// The answer over every purpose withholds a cell when one purpose's
    /// part of it is withheld: that part is what `?purpose=` for that
    /// purpose withholds, and the total minus the other purposes would give
    /// it. Before, three reports of one purpose and one of another showed
    /// an amount of 126 next to 3 for the first purpose alone: the other
    /// visitor's 123.
    #[test]
    fn a_cell_is_withheld_when_one_purpose_part_of_it_is() {
        let mut bodies: Vec<String> = (0..3).map(|_| of("analytics", 1, json!({"amount": 1.0}))).collect();
        bodies.push(of("marketing", 1, json!({"amount": 123.0})));
        let all = aggregate("s", "pv", &bodies, 3);
        assert_eq!((all["reports"].clone(), all["count"].clone(), all["fields"].clone()), (json!(4), Value::Null, json!({})), "{all}");
        // The answers for one purpose (the store reads only its reports) are as before.
        assert_eq!(aggregate("s", "pv", &bodies[..3], 3)["fields"], json!({"amount": 3}));
        assert_eq!(aggregate("s", "pv", &bodies[3..], 3)["count"], Value::Null);

        // The count shown (two and three reports), but in each field one
        // cell holds one marketing report next to analytics ones.
        let a = |fields: Value| of("analytics", 1, fields);
        let m = |fields: Value| of("marketing", 1, fields);
        let bodies = vec![
            a(json!({"path": {"/a": 1}, "ms": [1, 0], "amount": 1.0})),
            a(json!({"path": {"/a": 1}, "ms": [1, 0], "amount": 1.0})),
            m(json!({"path": {"/a": 1}, "ms": [0, 1], "amount": 0.0})),
            m(json!({"path": {"/b": 1}, "ms": [0, 1], "amount": 0.0})),
            m(json!({"path": {"/b": 1}, "ms": [1, 0], "amount": 123.0})),
        ];
        let all = aggregate("s", "pv", &bodies, 2);
        assert_eq!((all["count"].clone(), all["fields"].clone()), (json!(5), json!({})), "/a, ms[0] and amount each hold one marketing report: {all}");
        assert_eq!(aggregate("s", "pv", &bodies[..2], 2)["fields"], json!({"path": {"/a": 2}, "ms": [2, 0], "amount": 2}));
        assert_eq!(aggregate("s", "pv", &bodies[2..], 2)["fields"], json!({}), "the marketing answer withholds them too");

        // Every purpose's part backed often enough: shown, summed over all.
        let mut bodies = vec![a(json!({"path": {"/a": 1}, "amount": 2.0})); 2];
        bodies.extend(vec![m(json!({"path": {"/a": 1}, "amount": 0.5})); 2]);
        let all = aggregate("s", "pv", &bodies, 2);
        assert_eq!((all["count"].clone(), all["fields"].clone()), (json!(4), json!({"path": {"/a": 4}, "amount": 5})), "{all}");
    }

    /// A kept sum (cloned, added to later) knows its purposes too, in
    /// whichever order the reports come.
    #[test]
    fn kept_sums_keep_each_purpose_part() {
        let a = of("analytics", 1, json!({"path": {"/a": 1}}));
        let m = of("marketing", 1, json!({"path": {"/a": 1}}));
        for (first, then) in [(&a, &m), (&m, &a)] {
            let mut kept = Aggregate::new("pv");
            kept.add(first);
            kept.add(first);
            assert_eq!(kept.clone().finish("s", 2)["fields"], json!({"path": {"/a": 2}}));
            kept.add(then);
            assert_eq!(kept.clone().finish("s", 2)["count"], Value::Null, "one report of the other purpose");
            kept.add(then);
            assert_eq!(kept.finish("s", 2)["fields"], json!({"path": {"/a": 4}}));
        }
    }

    /// Past [`MAX_PURPOSES`] purposes, the further ones are not told apart:
    /// their part is withheld from the answer over all purposes.
    #[test]
    fn purposes_past_the_bound_are_withheld() {
        let each_twice = |n: usize| -> Vec<String> { (0..n).flat_map(|i| vec![of(&format!("p{i}"), 1, json!({})); 2]).collect() };
        assert_eq!(aggregate("s", "pv", &each_twice(MAX_PURPOSES), 2)["count"], json!(2 * MAX_PURPOSES));
        assert_eq!(aggregate("s", "pv", &each_twice(MAX_PURPOSES + 1), 2)["count"], Value::Null);
        let mut acc = Aggregate::new("pv");
        each_twice(MAX_PURPOSES + 5).iter().for_each(|b| acc.add(b));
        assert_eq!(acc.purposes.len(), MAX_PURPOSES, "no more are kept");
    }

    /// `n` category values `v<from>`.. with 1 each.
    fn values(from: usize, n: usize) -> Value {
        Value::Object((from..from + n).map(|i| (format!("v{i}"), json!(1))).collect())
    }

    /// A category field with more than [`MAX_KEYS`] values is withheld
    /// whole and its cells dropped (new values used to be kept for good:
    /// 8,000 reports with new values took 2.4 GB and answered 61 MB).
    /// The other fields are shown; the order of the reports does not matter.
    #[test]
    fn a_category_field_past_the_bound_is_withheld_whole() {
        let r = |tag: Value| of("analytics", 1, json!({"tag": tag, "path": {"/": 1}}));
        let mut bodies: Vec<String> = (0..MAX_KEYS / 64).map(|i| r(values(i * 64, 64))).collect();
        let at_bound = aggregate("s", "pv", &bodies, 1);
        assert_eq!(at_bound["fields"]["tag"].as_object().map(Map::len), Some(MAX_KEYS));
        bodies.push(r(values(MAX_KEYS, 1)));
        for order in [bodies.clone(), bodies.iter().rev().cloned().collect()] {
            let mut acc = Aggregate::new("pv");
            order.iter().for_each(|b| acc.add(b));
            assert!(matches!(acc.fields["tag"][..], [(FieldSum::Category(None), _)]), "cells dropped");
            let a = acc.finish("s", 1);
            assert!(a["fields"].get("tag").is_none(), "{a}");
            assert_eq!(a["fields"]["path"], json!({"/": MAX_KEYS / 64 + 1}));
        }
        // Known values still add nothing new: it stays withheld.
        let mut acc = Aggregate::new("pv");
        bodies.iter().chain([&r(values(0, 3))]).for_each(|b| acc.add(b));
        assert!(acc.finish("s", 1)["fields"].get("tag").is_none());
    }

    /// A histogram of more buckets than [`MAX_KEYS`] (only a row stored
    /// without validation can hold one) is withheld whole.
    #[test]
    fn a_histogram_past_the_bound_is_withheld_whole() {
        let r = |n: usize| of("analytics", 1, json!({"ms": vec![1; n]}));
        assert_eq!(aggregate("s", "pv", &[r(MAX_KEYS), r(2)], 1)["fields"]["ms"].as_array().map(Vec::len), Some(MAX_KEYS));
        let a = aggregate("s", "pv", &[r(2), r(MAX_KEYS + 1), r(MAX_KEYS + 1)], 1);
        assert_eq!((a["count"].clone(), a["fields"].clone()), (json!(3), json!({})), "{a}");
    }

    /// At most [`MAX_FIELDS`] field names are summed: those first read.
    #[test]
    fn fields_past_the_bound_are_not_summed() {
        let fields = |from: usize, n: usize| Value::Object((from..from + n).map(|i| (format!("f{i:04}"), json!(1.0))).collect());
        let bodies = [of("analytics", 1, fields(0, MAX_FIELDS - 1)), of("analytics", 1, fields(MAX_FIELDS - 1, 10)), of("analytics", 1, fields(0, 1))];
        let a = aggregate("s", "pv", &bodies, 1);
        let shown = a["fields"].as_object().unwrap();
        assert_eq!(shown.len(), MAX_FIELDS);
        assert_eq!((shown["f0000"].clone(), shown.get(&format!("f{:04}", MAX_FIELDS))), (json!(2), None));
    }

    #[test]
    fn unknown_events_have_no_reports() {
        let bodies = vec![body(2, "/"), body(3, "/"), body(1, "/rare")];
        let few = aggregate("s", "pv", &bodies, 4);
        assert_eq!(few["count"], Value::Null);
        assert_eq!(aggregate("s", "nope", &bodies, 1)["reports"], 0);
    }

    #[test]
    fn sums_keep_their_digits_without_float_noise() {
        let amounts = |xs: &[f64]| -> Vec<String> { xs.iter().map(|x| json!({"events": {"pv": {"count": 1, "fields": {"amount": x}}}}).to_string()).collect() };
        assert_eq!(aggregate("s", "pv", &amounts(&[0.0015, 0.0015, 0.0015]), 1)["fields"]["amount"], json!(0.0045));
        assert_eq!(aggregate("s", "pv", &amounts(&[0.1, 0.2]), 1)["fields"]["amount"], json!(0.3));
        assert_eq!(aggregate("s", "pv", &amounts(&[42.5, 0.25]), 1)["fields"]["amount"], json!(42.75));
        assert_eq!(aggregate("s", "pv", &amounts(&[0.7, 0.1, 0.2]), 1)["fields"]["amount"], json!(1));
        assert_eq!(aggregate("s", "pv", &amounts(&[-1e-7, 2e-7]), 1)["fields"]["amount"], json!(1e-7));
    }

    /// Rows stored before validation was tightened may hold huge numbers:
    /// their shown totals saturate instead of overflowing to infinity (`null`).
    #[test]
    fn totals_saturate() {
        let huge = json!({"events": {"pv": {"count": 1e308, "fields": {"path": {"/": 1e308}, "ms": [1e308], "amount": -1e308}}}}).to_string();
        let a = aggregate("s", "pv", &[huge.clone(), huge.clone(), huge], 1);
        assert_eq!(a["count"], json!(9_007_199_254_740_991i64));
        assert_eq!(a["fields"]["path"]["/"], json!(9_007_199_254_740_991i64));
        assert_eq!(a["fields"]["ms"], json!([9_007_199_254_740_991i64]));
        assert_eq!(a["fields"]["amount"], json!(-9_007_199_254_740_991i64));
    }

    /// Only the shown value saturates: a total that went past 2^53 - 1 and
    /// came back shows where it came back to, in any order, and so does a
    /// kept sum (a clone added to later). Each addition saturated before:
    /// 9104 reports of +1e12 then 9104 of -1e12 showed -96800745259009.
    #[test]
    fn totals_are_exact_whatever_the_order() {
        let r = |x: f64| json!({"events": {"pv": {"count": 1, "fields": {"amount": x}}}}).to_string();
        let (plus, minus) = (r(1e12), r(-1e12));
        let mut bodies = vec![plus.clone(); 9104];
        bodies.extend(vec![minus.clone(); 9104]);
        assert_eq!(aggregate("s", "pv", &bodies, 1)["fields"]["amount"], json!(0));
        bodies.reverse();
        assert_eq!(aggregate("s", "pv", &bodies, 1)["fields"]["amount"], json!(0));
        let mut kept = Aggregate::new("pv");
        for _ in 0..9104 {
            kept.add(&plus);
        }
        assert_eq!(kept.clone().finish("s", 1)["fields"]["amount"], json!(9_007_199_254_740_991i64));
        for _ in 0..9104 {
            kept.add(&minus);
        }
        kept.add(&r(0.25));
        assert_eq!(kept.finish("s", 1)["fields"]["amount"], json!(0.25));
    }

    /// A [`Total`] is the exact sum rounded once: whole numbers against
    /// i128 arithmetic (past 2^53 too), and sums of fractions whose float
    /// sum depends on the order.
    #[test]
    fn a_total_is_the_exact_sum_rounded_once() {
        let total = |xs: &[f64]| {
            let mut t = Total::default();
            xs.iter().for_each(|&x| t.add(x));
            t.value()
        };
        // A small generator (xorshift), so the test is the same every run.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200 {
            let xs: Vec<f64> = (0..50).map(|_| (next() % 2_000_000_000_001) as f64 - 1e12).map(|x| x * 4096.0).collect();
            let exact: i128 = xs.iter().map(|&x| x as i128).sum();
            assert_eq!(total(&xs), exact as f64, "{xs:?}");
        }
        assert_eq!(total(&[1e12, 1e-7, -1e12]), 1e-7, "a float sum loses the 1e-7");
        assert_eq!(total(&[0.1; 10]), 1.0, "a float sum gives 0.9999999999999999");
        let xs = [1e12, 0.1, -3.3, 2.5e-9, 7e11, -1e12, 0.2, -7e11, 1e-7, 3.3];
        let mut orders = vec![xs.to_vec()];
        for k in 1..xs.len() {
            let mut v = xs.to_vec();
            v.rotate_left(k);
            orders.push(v.clone());
            v.reverse();
            orders.push(v);
        }
        let first = total(&orders[0]);
        assert!(orders.iter().all(|o| total(o) == first), "the same in every order");
        assert_eq!(round(first), json!(0.3000001025), "{first}");
    }
}
