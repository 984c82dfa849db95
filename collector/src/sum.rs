//! Sums stored reports into `/v1/aggregates` answers, withholding any cell
//! backed by fewer than `min_reports` reports. A report backs a cell only
//! with a value other than zero in it: the SDK sends every histogram bucket
//! (and, with noise, every cell), and a bucket one visitor filled next to
//! zeros from others is still that one visitor's. A cell nobody put
//! anything in is shown: its 0 is about no one. A category or histogram
//! field with any cell withheld is withheld whole: every event lands in
//! exactly one of its cells, so one missing cell is the shown count minus
//! the others.

use std::collections::BTreeMap;

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

#[derive(Default, Clone)]
struct Cell {
    total: Total,
    reports: u64,
}

impl Cell {
    /// Adds a report's value; a non-number adds nothing.
    fn add(&mut self, n: &Value) {
        let x = n.as_f64().filter(|x| x.is_finite());
        if let Some(x) = x {
            self.total.add(x);
        }
        if x.is_some_and(|x| x != 0.0) {
            self.reports += 1;
        }
    }

    /// The total, or `None` (withheld) when 1 to `min_reports - 1` reports back it.
    fn shown(&self, min_reports: u64) -> Option<Value> {
        (self.reports == 0 || self.reports >= min_reports).then(|| round(self.total.value()))
    }
}

#[derive(Clone)]
enum FieldSum {
    Category(BTreeMap<String, Cell>),
    Histogram(Vec<Cell>),
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
    fields: BTreeMap<String, Vec<(FieldSum, u64)>>,
}

impl Aggregate {
    /// Nothing summed yet.
    pub fn new(event: &str) -> Aggregate {
        Aggregate { event: event.to_string(), reports: 0, count: Cell::default(), fields: BTreeMap::new() }
    }

    /// Adds one stored report (its JSON text).
    pub fn add(&mut self, body: &str) {
        let Ok(report) = serde_json::from_str::<Value>(body) else { return };
        let Some(e) = report["events"].get(&self.event) else { return };
        self.reports += 1;
        self.count.add(&e["count"]);
        let Some(fs) = e.get("fields").and_then(Value::as_object) else { return };
        for (name, v) in fs {
            let shapes = self.fields.entry(name.clone()).or_default();
            if let Some((f, n)) = shapes.iter_mut().find(|(f, _)| takes(f, v)) {
                match (f, v) {
                    (FieldSum::Category(m), Value::Object(o)) => add_category(m, o),
                    (FieldSum::Histogram(h), Value::Array(a)) => add_histogram(h, a),
                    (FieldSum::Sum(c), _) => c.add(v),
                    _ => {}
                }
                *n += 1;
            } else if let Some(f) = start(v) {
                shapes.push((f, 1));
            }
        }
    }

    /// The answer of `/v1/aggregates`, cells below `min_reports` withheld.
    pub fn finish(self, site: &str, min_reports: u64) -> Value {
        let Aggregate { event, reports, count, fields } = self;
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
            FieldSum::Category(m) => {
                let Some(cells) = m.iter().map(|(k, c)| shown(c).map(|v| (k.clone(), v))).collect::<Option<Map<String, Value>>>() else { continue };
                if cells.is_empty() { continue } else { Value::Object(cells) }
            }
            FieldSum::Histogram(h) => match h.iter().map(shown).collect::<Option<Vec<Value>>>() {
                Some(buckets) => Value::Array(buckets),
                None => continue,
            },
            FieldSum::Sum(c) => match shown(&c) { Some(v) => v, None => continue },
        };
        out.insert(name, v);
    }
    json!({"site": site, "event": event, "reports": reports, "count": count, "fields": out})
}

fn start(v: &Value) -> Option<FieldSum> {
    Some(match v {
        Value::Object(o) => {
            let mut m = BTreeMap::new();
            add_category(&mut m, o);
            FieldSum::Category(m)
        }
        Value::Array(a) => {
            let mut h = Vec::new();
            add_histogram(&mut h, a);
            FieldSum::Histogram(h)
        }
        Value::Number(_) => {
            let mut c = Cell::default();
            c.add(v);
            FieldSum::Sum(c)
        }
        _ => return None,
    })
}

/// Whether a field's value `v` has the shape of the sum `f`.
fn takes(f: &FieldSum, v: &Value) -> bool {
    matches!((f, v), (FieldSum::Category(_), Value::Object(_)) | (FieldSum::Histogram(_), Value::Array(_)) | (FieldSum::Sum(_), Value::Number(_)))
}

fn add_category(m: &mut BTreeMap<String, Cell>, o: &Map<String, Value>) {
    for (k, n) in o {
        m.entry(k.clone()).or_default().add(n);
    }
}

fn add_histogram(h: &mut Vec<Cell>, a: &[Value]) {
    if h.len() < a.len() {
        h.resize_with(a.len(), Cell::default);
    }
    for (c, n) in h.iter_mut().zip(a) {
        c.add(n);
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
