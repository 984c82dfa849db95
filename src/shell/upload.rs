//! Network: POSTing reports to the collector.
//!
//! Requests carry no cookies (`credentials: "omit"`) and no referrer, so the
//! only thing that leaves is the report body. While the page is being hidden
//! they use `keepalive` (within its 64 KB budget); past it, reports wait for
//! the next page. Never `sendBeacon`: it sends the page's URL as Referer
//! and the site's cookies.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCredentials, RequestInit, Response};

/// The keepalive budget a page has in flight.
pub const KEEPALIVE_BUDGET: usize = 64 * 1024;

/// How long a request may go unanswered before it counts as failed (and is
/// retried later). Without it, a collector that accepts the connection and
/// never answers would hold the upload lock, and every tab's `flush()`, forever.
pub const TIMEOUT_MS: u32 = 10_000;

/// Gives `init` a signal that aborts the request after [`TIMEOUT_MS`]
/// (`AbortSignal.timeout`; where it is missing, the request has no limit).
fn set_timeout(init: &RequestInit) {
    let timeout = js_sys::Reflect::get(&js_sys::global(), &"AbortSignal".into())
        .and_then(|a| Ok((js_sys::Reflect::get(&a, &"timeout".into())?, a)));
    if let Ok((f, a)) = timeout {
        if let Some(f) = f.dyn_ref::<js_sys::Function>() {
            if let Ok(signal) = f.call1(&a, &TIMEOUT_MS.into()) {
                let _ = js_sys::Reflect::set(init, &"signal".into(), &signal);
            }
        }
    }
}

/// A `securitypolicyviolation` on the page: when its policy's `connect-src`
/// refused a request to the `collector` (its reports or its receipts; an
/// answer redirected elsewhere is reported by origin), says so once, as
/// `collector-blocked`. Without it a site's policy mistake looks like a
/// network that never answers: nothing is lost, but nothing arrives.
pub fn on_violation(collector: &str, e: &web_sys::Event) {
    thread_local! {
        static SAID: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    let text = |name: &str| js_sys::Reflect::get(e, &name.into()).ok().and_then(|d| d.as_string()).unwrap_or_default();
    if text("disposition") == "report" || text("effectiveDirective") != "connect-src" {
        return;
    }
    let Some(origin_end) = collector.find("://").map(|i| i + 3) else { return };
    let origin = &collector[..collector[origin_end..].find('/').map_or(collector.len(), |i| origin_end + i)];
    let blocked = text("blockedURI");
    let ours = blocked.strip_prefix(origin).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    if ours && !SAID.replace(true) {
        super::dom::report_error(
            "collector-blocked",
            &format!(
                "the page's Content-Security-Policy (connect-src) refuses requests to the collector at {}: reports and receipts wait in this browser until the policy allows it",
                crate::json::quote(origin)
            ),
        );
    }
}

/// What became of one POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: stored (or a duplicate of a stored report).
    Acknowledged,
    /// 4xx other than 408/429: the collector will never take it. Holds the
    /// status and the collector's reason (its JSON `error`, else the start
    /// of its answer), for the message that says why.
    Rejected(u16, String),
    /// Network error, no answer within [`TIMEOUT_MS`], 5xx, 408 or 429: try
    /// again later; not before the seconds of a `Retry-After` (429, 503).
    Retry(Option<u32>),
}

/// Starts a POST of `body` to `url`; await the returned future for the outcome.
pub fn post(url: &str, body: &str, keepalive: bool) -> Result<JsFuture, JsValue> {
    let init = init("POST", keepalive)?;
    init.set_body(&JsValue::from_str(body));
    let headers = js_sys::Object::new();
    js_sys::Reflect::set(&headers, &"Content-Type".into(), &"application/json".into())?;
    // An iterator a page put on Object.prototype would make the browser
    // read the headers as a list of pairs, and refuse them.
    // (Not enumerable: the browser reads enumerable keys as header names.)
    let hidden = js_sys::Object::new();
    js_sys::Reflect::set(&hidden, &"value".into(), &JsValue::UNDEFINED)?;
    js_sys::Object::define_property(&headers, &js_sys::Symbol::iterator().into(), &hidden);
    init.set_headers(&headers);
    Ok(within_timeout(&page_fetch(url, &init)?))
}

/// What every request to the collector carries: no cookies, no referrer,
/// `keepalive` as asked, and the [`TIMEOUT_MS`] abort signal.
fn init(method: &str, keepalive: bool) -> Result<RequestInit, JsValue> {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::Omit);
    js_sys::Reflect::set(&init, &"keepalive".into(), &JsValue::from_bool(keepalive))?;
    js_sys::Reflect::set(&init, &"referrerPolicy".into(), &"no-referrer".into())?;
    // The browser reads every member of the init through the prototype
    // chain: a page that set `Object.prototype.mode = "no-cors"` (or
    // `redirect`, `integrity`, `cache`, `referrer`) would make every send
    // fail in silence. Each is given here as it should be.
    for (key, value) in [("mode", "cors"), ("redirect", "follow"), ("integrity", ""), ("cache", "no-store"), ("referrer", "")] {
        js_sys::Reflect::set(&init, &key.into(), &value.into())?;
    }
    set_timeout(&init);
    Ok(init)
}

/// What the page's `fetch` answered, as a promise that settles within
/// [`TIMEOUT_MS`] (and a little): whatever a wrapper returned, a promise or
/// not (one that forgot its `return` gives `undefined`, which is a failed
/// send), and whether or not it kept the init's abort signal.
fn within_timeout(answer: &JsValue) -> JsFuture {
    let late = js_sys::Promise::new(&mut |_, reject| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&reject, TIMEOUT_MS as i32 + 1_000);
        }
    });
    JsFuture::from(js_sys::Promise::race(&js_sys::Array::of2(&js_sys::Promise::resolve(answer), &late)))
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The page's `fetch` as it is now (wrappers included), called the way
    /// every wrapper expects: a URL string and a plain init, headers a plain
    /// object (a `Request` object lost its `Content-Type` to wrappers that
    /// spread `init.headers`). `catch`: a wrapper that throws is an error
    /// here (the upload is retried), not an exception through the wasm.
    #[wasm_bindgen(catch, js_name = fetch)]
    fn page_fetch(url: &str, init: &RequestInit) -> Result<JsValue, JsValue>;
}

thread_local! {
    /// How many seconds this browser's clock ran ahead of the collector's
    /// when last learnt, with the wall clock and the monotonic clock then
    /// (ms): a later jump of the wall clock (corrected by the system, or
    /// set by hand) moves the estimate with it.
    static AHEAD: std::cell::Cell<(f64, f64, f64)> = const { std::cell::Cell::new((0.0, 0.0, 0.0)) };
}

/// `performance.now()`: a clock that never jumps.
fn monotonic_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| {
            let now = js_sys::Reflect::get(&p, &"now".into()).ok()?.dyn_into::<js_sys::Function>().ok()?;
            now.call0(&p).ok()?.as_f64()
        })
        .unwrap_or_else(js_sys::Date::now)
}

/// Seconds the wall clock runs ahead now: as learnt, plus how far it moved
/// since beyond the time that passed.
fn ahead_now() -> f64 {
    let (ahead, wall, mono) = AHEAD.get();
    if wall == 0.0 {
        return 0.0;
    }
    ahead + ((js_sys::Date::now() - wall) - (monotonic_ms() - mono)) / 1000.0
}

/// A clock ahead by less than this is left alone (the `Date` header has
/// one-second steps, and the answer takes its time to arrive).
const AHEAD_SLACK_S: f64 = 600.0;

/// How far this browser's clock runs ahead of the collector's, in seconds,
/// as the `Date` of the collector's last answer showed (0: not more than 10
/// minutes ahead, or not known). A clock behind needs nothing: the collector
/// takes windows of any age.
pub fn ahead_s() -> u64 {
    let ahead = ahead_now();
    if ahead > AHEAD_SLACK_S { ahead as u64 } else { 0 }
}

fn learn_clock(resp: &Response) {
    let Some(date) = resp.headers().get("Date").ok().flatten() else { return };
    let at = js_sys::Date::parse(&date);
    if at.is_finite() {
        let wall = js_sys::Date::now();
        let ahead = (wall - at) / 1000.0;
        // Each answer measures a second or so differently: the estimate is
        // replaced only for a real change, so the shift (and so a resent
        // body) stays the same.
        if (ahead - ahead_now()).abs() > AHEAD_SLACK_S || AHEAD.get().1 == 0.0 {
            AHEAD.set((ahead, wall, monotonic_ms()));
        }
    }
}

/// `report` as it is sent: with a clock [`ahead_s`] of the collector's, its
/// window is moved back by whole windows, at least as far as the clock is
/// ahead (a report cannot come from the future, and the collector refuses
/// one that ends more than a day after its time; rounding up keeps a window
/// closed early within that even for day-long windows). Whole windows, and
/// a value of `ahead` that only moves for a real change, keep a resend the
/// same body.
pub fn for_collector(report: &crate::report::Report) -> String {
    let ahead = ahead_s();
    if ahead == 0 {
        return report.to_json();
    }
    let mut r = report.clone();
    let seconds = u64::from(r.window.seconds.max(1));
    r.window.start = r.window.start.saturating_sub(ahead.div_ceil(seconds) * seconds);
    r.to_json()
}

/// After a report's POST: when the collector refused it and its answer
/// showed this clock runs ahead (learnt since `ahead` was read, before the
/// POST), the report goes once more, re-stamped (the collector stored
/// nothing of a refused report). Returns the body last sent and its outcome;
/// a resend that cannot start is a `Retry`.
pub async fn restamped(url: &str, report: &crate::report::Report, ahead: u64, sent: (String, Outcome), keepalive: bool) -> (String, Outcome) {
    if !matches!(sent.1, Outcome::Rejected(..)) || ahead_s() == ahead {
        return sent;
    }
    let body = for_collector(report);
    let outcome = match post(url, &body, keepalive) {
        Ok(request) => outcome(request).await,
        Err(_) => Outcome::Retry(None),
    };
    (body, outcome)
}

/// A receipt's body as it is sent: its timestamp moved back by a clock
/// [`ahead_s`] of the collector's (in whole hours, rounded up: the same
/// body on every try).
pub fn receipt_for_collector(body: &str) -> String {
    let ahead = ahead_s().div_ceil(3600) * 3600;
    if ahead == 0 {
        return body.to_string();
    }
    match crate::json::parse(body) {
        Ok(mut v) => match v.get("timestamp").and_then(|t| t.as_u64()) {
            Some(t) => {
                v.set("timestamp", t.saturating_sub(ahead).into());
                v.to_text()
            }
            None => body.to_string(),
        },
        Err(_) => body.to_string(),
    }
}

/// Turns a settled fetch into an [`Outcome`].
pub async fn outcome(pending: JsFuture) -> Outcome {
    match pending.await {
        Ok(v) => {
            let Ok(resp) = v.dyn_into::<Response>() else { return Outcome::Retry(None) };
            learn_clock(&resp);
            match resp.status() {
                // Redirected (a 301/302/303 makes the POST a GET): a 2xx is
                // the collector's only when it says what became of the report.
                s @ 200..=299 if resp.redirected() => {
                    let text = body_text(&resp).await;
                    let status = crate::json::parse(&text).ok().and_then(|v| v.get("status").and_then(|x| x.as_str()).map(str::to_string));
                    if matches!(status.as_deref(), Some("stored" | "duplicate")) {
                        Outcome::Acknowledged
                    } else {
                        Outcome::Rejected(
                            s,
                            format!(
                                "HTTP {s} from {} after a redirect, which is not the collector's answer: set the config's collector to the collector's URL (a redirect can turn a POST into a GET)",
                                crate::json::quote(&resp.url())
                            ),
                        )
                    }
                }
                200..=299 => Outcome::Acknowledged,
                429 | 503 => Outcome::Retry(retry_after(&resp)),
                408 => Outcome::Retry(None),
                s @ 400..=499 => {
                    let mut why = reason(&resp).await;
                    // A 301/302/303 turns the POST into a GET, which the
                    // collector refuses: say so, or the refusal reads as the report's fault.
                    if resp.redirected() {
                        why.push_str(&format!(
                            ", after a redirect to {}: set the config's collector to the URL it redirects to (a redirect can turn a POST into a GET)",
                            crate::json::quote(&resp.url())
                        ));
                    }
                    Outcome::Rejected(s, why)
                }
                _ => Outcome::Retry(None),
            }
        }
        Err(_) => Outcome::Retry(None),
    }
}

/// A `Retry-After` header in seconds: delay-seconds, or an HTTP date (from
/// now), at most a day. A cross-origin collector must expose the header
/// (`Access-Control-Expose-Headers`) for the page to see it.
fn retry_after(resp: &Response) -> Option<u32> {
    let v = resp.headers().get("Retry-After").ok().flatten()?;
    let v = v.trim();
    let secs = if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        v.parse::<u64>().unwrap_or(u64::MAX)
    } else {
        let at = js_sys::Date::parse(v);
        if !at.is_finite() {
            return None;
        }
        // Against the collector's own clock (its Date), not the visitor's,
        // which may be days off.
        let now = resp.headers().get("Date").ok().flatten().map(|d| js_sys::Date::parse(&d)).filter(|d| d.is_finite());
        ((at - now.unwrap_or_else(js_sys::Date::now)) / 1000.0).max(0.0).ceil() as u64
    };
    Some(secs.min(86_400) as u32)
}

/// "HTTP 400: <the collector's error>", at most 200 characters of it, control
/// characters as spaces; just "HTTP 400" when the answer has no text.
async fn reason(resp: &Response) -> String {
    let status = resp.status();
    let text = body_text(resp).await;
    let why = match crate::json::parse(&text) {
        Ok(v) => v.get("error").and_then(|e| e.as_str()).map(str::to_string).unwrap_or(text),
        Err(_) => text,
    };
    let why: String = why.trim().chars().take(200).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if why.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {why}")
    }
}

/// An answer's body as text ("" when it cannot be read).
async fn body_text(resp: &Response) -> String {
    match resp.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The storage lease used where Web Locks are missing: `<owner> <until ms>`.
const LEASE: &str = "candor.lease";
const LEASE_MS: u64 = 30_000;

/// Takes the storage lease for `owner` unless another live owner holds it.
fn take_lease(owner: &str) -> bool {
    // Whole milliseconds: integers keep float parsing and printing out of the wasm.
    let now = js_sys::Date::now() as u64;
    if let Some(v) = super::storage::get(LEASE) {
        let mut parts = v.split(' ');
        let (holder, until) = (parts.next().unwrap_or(""), parts.next().and_then(|t| t.parse::<u64>().ok()).unwrap_or(0));
        if holder != owner && until > now {
            return false;
        }
    }
    // Storage that refuses writes (full, blocked) cannot hold a lease, and
    // the other tabs cannot read one either: upload without it (the
    // collector deduplicates), or nothing would leave while the page is open.
    if !super::storage::set(LEASE, &format!("{owner} {}", now + LEASE_MS)) {
        return true;
    }
    super::storage::get(LEASE).is_some_and(|v| v.starts_with(owner))
}

fn drop_lease(owner: &str) {
    if super::storage::get(LEASE).is_some_and(|v| v.starts_with(owner)) {
        super::storage::remove(LEASE);
    }
}

/// How long an upload that must wait (`flush()`, a decision's) waits for
/// another tab's: its requests time out after 10 s each.
const LOCK_WAIT_MS: u32 = 30_000;

/// `AbortSignal.timeout(ms)`, where the browser has it.
fn timeout_signal(ms: u32) -> Option<JsValue> {
    let ctor = js_sys::Reflect::get(&js_sys::global(), &"AbortSignal".into()).ok()?;
    let timeout: js_sys::Function = js_sys::Reflect::get(&ctor, &"timeout".into()).ok()?.dyn_into().ok()?;
    timeout.call1(&ctor, &JsValue::from(ms)).ok()
}

/// Runs `task` holding the `candor.upload` Web Lock, so one tab uploads at a
/// time. With `wait == false` it gives up at once when another tab holds it,
/// else after [`LOCK_WAIT_MS`] (`None`: the task did not run; the next
/// upload tries again). Without Web Locks it holds a storage lease instead
/// (waiting up to 10 s for it when `wait`); the collector deduplicates
/// whatever slips through.
pub async fn with_lock<F, Fut>(wait: bool, owner: &str, task: F) -> Option<()>
where
    F: FnOnce() -> Fut + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let navigator = web_sys::window()?.navigator();
    let locks = js_sys::Reflect::get(&navigator, &"locks".into()).ok().filter(|l| !l.is_undefined());
    let Some(locks) = locks else {
        let mut tries = 0;
        while !take_lease(owner) {
            tries += 1;
            if !wait || tries > 100 {
                return None;
            }
            gloo_timers::future::TimeoutFuture::new(100).await;
        }
        task().await;
        drop_lease(owner);
        return Some(());
    };
    let request: js_sys::Function = js_sys::Reflect::get(&locks, &"request".into()).ok()?.dyn_into().ok()?;
    let opts = js_sys::Object::new();
    js_sys::Reflect::set(&opts, &"ifAvailable".into(), &JsValue::from_bool(!wait)).ok()?;
    // Given, not read from Object.prototype (a page's `mode` there would be refused).
    js_sys::Reflect::set(&opts, &"mode".into(), &"exclusive".into()).ok()?;
    js_sys::Reflect::set(&opts, &"steal".into(), &JsValue::FALSE).ok()?;
    if !wait {
        js_sys::Reflect::set(&opts, &"signal".into(), &JsValue::UNDEFINED).ok()?;
    }
    // A tab that holds the lock and stopped running (a hung script, an
    // alert() left open) would otherwise keep this wait, and a flush(),
    // pending until it ends: given up after LOCK_WAIT_MS, as without Web Locks.
    if wait {
        if let Some(signal) = timeout_signal(LOCK_WAIT_MS) {
            js_sys::Reflect::set(&opts, &"signal".into(), &signal).ok()?;
        }
    }
    // The task is the callback's to run, unless the browser refuses locks
    // to this page altogether (below).
    let task = std::rc::Rc::new(std::cell::RefCell::new(Some(task)));
    let held = task.clone();
    let callback = wasm_bindgen::closure::Closure::once_into_js(move |lock: JsValue| -> js_sys::Promise {
        let task = held.borrow_mut().take();
        match task {
            Some(task) if !lock.is_null() => wasm_bindgen_futures::future_to_promise(async move {
                task().await;
                Ok(JsValue::UNDEFINED)
            }),
            _ => js_sys::Promise::resolve(&JsValue::NULL),
        }
    });
    // Not `dyn_into`: a page that replaced the global `Promise` (zone.js in
    // Angular apps, Bluebird) fails `instanceof Promise` for the browser's
    // own; and a patched `request` may answer anything, which
    // `Promise.resolve` makes a promise of.
    let outcome = match request.call3(&locks, &"candor.upload".into(), &opts, &callback) {
        Ok(answer) => JsFuture::from(js_sys::Promise::resolve(&answer)).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(_) => Some(()),
        // Storage blocked (cookies off, some third-party frames): Web Locks
        // refuse this page with a SecurityError, and every tab of it is
        // alone with its memory. It uploads without the lock (the
        // collector deduplicates) rather than never while it is open.
        Err(e) if error_name(&e).as_deref() == Some("SecurityError") => {
            let task = task.borrow_mut().take()?;
            task().await;
            Some(())
        }
        Err(_) => None,
    }
}

/// An exception's `name` ("SecurityError", "AbortError"…).
fn error_name(e: &JsValue) -> Option<String> {
    js_sys::Reflect::get(e, &"name".into()).ok()?.as_string()
}

/// Starts a `DELETE` of `url` (no cookies, no referrer, `keepalive` so it
/// survives the page going away); await the returned future for the outcome.
pub fn delete(url: &str) -> Result<JsFuture, JsValue> {
    Ok(within_timeout(&page_fetch(url, &init("DELETE", true)?)?))
}
