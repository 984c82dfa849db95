//! HTTP routes: reports, aggregates, receipts, revisions, health.
//! Every error answer is JSON `{"error": "..."}`.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::path::ErrorKind;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::store::{Insert, Store, StoreError};
use crate::{sum, validate};

/// Bodies above this get 413.
pub const MAX_BODY: usize = 64 * 1024;

/// Shared state of the handlers.
pub struct AppState {
    pub store: Store,
    pub sites: Vec<String>,
    pub min_reports: u64,
}

pub type Shared = Arc<AppState>;

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

/// The `Retry-After` of every 503 (seconds). The SDK waits at least this
/// long before it sends again, where its first backoff is a random delay of
/// up to 4 s: storage trouble (PostgreSQL restarting or failing over, a
/// full disk) rarely clears within a few seconds, and every visitor's page
/// trying again that soon would meet it again. Short enough that reports
/// wait little once it has cleared (a page being left sends at once anyway).
pub const RETRY_AFTER_SECONDS: u64 = 10;

/// A 503 for storage trouble: logged, and answered with `Retry-After`.
#[cold]
fn internal(e: StoreError) -> Response {
    tracing::error!(error = %e, "storage failure");
    let message = e.public.unwrap_or("storage unavailable; try again later");
    let mut resp = error(StatusCode::SERVICE_UNAVAILABLE, message);
    resp.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(RETRY_AFTER_SECONDS));
    resp
}

/// Reads a JSON body: content type, size and syntax are checked here.
/// A request body must arrive within this time (see main.rs, HEADER_WAIT).
pub const BODY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Whether reading a body failed on the size limit (not on a broken body).
fn too_large(e: &axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = c.source();
    }
    false
}

async fn json_body(headers: &HeaderMap, body: Body) -> Result<Value, Response> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    // Media types are case-insensitive (RFC 9110 §8.3.1).
    let mut params = ct.split(';').map(str::trim);
    if !params.next().is_some_and(|t| t.eq_ignore_ascii_case("application/json")) {
        return Err(error(StatusCode::BAD_REQUEST, "Content-Type: must be application/json"));
    }
    // The body is read as UTF-8: a charset that says otherwise is refused, not misread.
    let charset = params.filter_map(|p| p.split_once('=')).find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"));
    // The WHATWG Encoding Standard's labels of UTF-8.
    let utf8 = |v: &str| ["utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"].iter().any(|l| v.eq_ignore_ascii_case(l));
    if charset.is_some_and(|(_, v)| !utf8(v.trim().trim_matches('"'))) {
        return Err(error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type: charset must be utf-8"));
    }
    // A compressed body is not unpacked (RFC 9110 §8.4: 415).
    let coding = headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).map(str::trim);
    if coding.is_some_and(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity")) {
        return Err(error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Encoding: not supported; send the JSON uncompressed"));
    }
    // A body declared larger than the limit is refused at once, not read for 10 s.
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(error(StatusCode::PAYLOAD_TOO_LARGE, "body: larger than 64 KB"));
    }
    let bytes = match tokio::time::timeout(BODY_WAIT, to_bytes(body, MAX_BODY)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) if too_large(&e) => return Err(error(StatusCode::PAYLOAD_TOO_LARGE, "body: larger than 64 KB")),
        // A broken chunk, a Content-Length longer than what came, a reset.
        Ok(Err(e)) => return Err(error(StatusCode::BAD_REQUEST, format!("body: could not be read ({e})"))),
        Err(_) => return Err(error(StatusCode::REQUEST_TIMEOUT, "body: not received within 10 s")),
    };
    let v = serde_json::from_slice(&bytes).map_err(|e| error(StatusCode::BAD_REQUEST, format!("body: not valid JSON ({e})")))?;
    // serde_json keeps the last of a repeated key; other readers keep the
    // first. A body that means different things to different readers is
    // refused rather than stored as one of them.
    let text = std::str::from_utf8(&bytes).map_err(|_| error(StatusCode::BAD_REQUEST, "body: not valid UTF-8"))?;
    if let Ok(doc) = candor::json::parse(text) {
        if let Some((at, key)) = repeated_key(&doc, "") {
            let at = if at.is_empty() { String::new() } else { format!(" in {at}") };
            return Err(error(StatusCode::BAD_REQUEST, format!("body: key {} given twice{at}", candor::json::quote(&key))));
        }
    }
    Ok(v)
}

/// The first object key written twice in `v`, with the path of its object.
fn repeated_key(v: &candor::json::J, at: &str) -> Option<(String, String)> {
    use candor::json::J;
    let child = |k: &str| if at.is_empty() { k.to_string() } else { format!("{at}.{k}") };
    match v {
        J::O(entries) => {
            for (i, (k, _)) in entries.iter().enumerate() {
                if entries[..i].iter().any(|(p, _)| p == k) {
                    return Some((at.to_string(), k.clone()));
                }
            }
            entries.iter().find_map(|(k, x)| repeated_key(x, &child(k)))
        }
        J::A(items) => items.iter().enumerate().find_map(|(i, x)| repeated_key(x, &format!("{at}[{i}]"))),
        _ => None,
    }
}

/// An extractor (`Path`, `Query`) whose rejection answers JSON `{error}`,
/// with the rejection's status, like every other error of the API.
pub struct Api<E>(pub E);

/// A rejection turned into `<what>: <problem>` with its status.
pub trait JsonRejection {
    fn status_and_message(&self) -> (StatusCode, String);
}

impl JsonRejection for PathRejection {
    fn status_and_message(&self) -> (StatusCode, String) {
        let msg = match self {
            PathRejection::FailedToDeserializePathParams(e) => match e.kind() {
                ErrorKind::InvalidUtf8InPathParam { key } => format!("{key}: must be valid UTF-8"),
                _ => format!("path: {}", e.body_text()),
            },
            other => format!("path: {}", other.body_text()),
        };
        (self.status(), msg)
    }
}

impl JsonRejection for QueryRejection {
    fn status_and_message(&self) -> (StatusCode, String) {
        (self.status(), format!("query: {}", self.body_text()))
    }
}

impl<S: Send + Sync, E> FromRequestParts<S> for Api<E>
where
    E: FromRequestParts<S>,
    E::Rejection: JsonRejection,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match E::from_request_parts(parts, state).await {
            Ok(e) => Ok(Api(e)),
            Err(r) => {
                let (status, msg) = r.status_and_message();
                Err(error(status, msg))
            }
        }
    }
}

/// Query parameters of the read routes; a repeated one is rejected (ambiguous),
/// unknown ones (cache busters) are ignored.
#[derive(Deserialize)]
pub struct ReadQuery {
    site: Option<String>,
    event: Option<String>,
    purpose: Option<String>,
}

/// An API request's path and query, checked before they are decoded
/// (decoding is lossy; `/v1/revisions/%zz` is refused, not read as `%zz`):
/// every `%` starts an escape of two hex digits, and what they spell is
/// UTF-8 without control characters. On every route, POSTs included.
pub async fn check_uri(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let checked = check_escapes("path", req.uri().path()).and_then(|()| check_escapes("query", req.uri().query().unwrap_or("")));
    match checked {
        Ok(()) => next.run(req).await,
        Err(r) => r,
    }
}

/// A static path no file can have: a segment longer than a file name may
/// be (255 bytes, less room for the `.br`/`.gz` of a compressed copy), or
/// a path longer than the system's: 404, as for any missing file, where the
/// file system's "name too long" would have been a 500.
pub async fn check_static_path(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let path = req.uri().path();
    // Lengths as the file system sees them: each %XX is one byte.
    let bytes = |seg: &str| seg.len().saturating_sub(2 * seg.matches('%').count());
    if bytes(path) > 1024 || path.split('/').any(|seg| bytes(seg) > 240) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut res = next.run(req).await;
    // Last-Modified counts whole seconds: one of the current second cannot
    // tell the file as sent from a change later in that second (a config
    // rewritten just after a visitor fetched it would be a 304 ever after).
    // Without it, the next request fetches the file again.
    let now = std::time::SystemTime::now();
    let recent = res
        .headers()
        .get(header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .is_some_and(|at| at + std::time::Duration::from_secs(1) > now);
    if recent {
        res.headers_mut().remove(header::LAST_MODIFIED);
    }
    res
}

/// `what` (the query, or the path) checked before decoding: every `%`
/// starts an escape of two hex digits, and what they spell is UTF-8 without
/// control characters.
fn check_escapes(what: &str, raw: &str) -> Result<(), Response> {
    let bad = |why: &str| Err(error(StatusCode::BAD_REQUEST, format!("{what}: {why}")));
    let raw = raw.as_bytes();
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'%' => {
                let hex = raw.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
                let Some(b) = hex else { return bad("every % must start an escape of two hex digits") };
                bytes.push(b);
                i += 3;
            }
            b'+' => {
                bytes.push(b' ');
                i += 1;
            }
            b => {
                bytes.push(b);
                i += 1;
            }
        }
    }
    match String::from_utf8(bytes) {
        Err(_) => bad("must be valid UTF-8 once decoded"),
        Ok(s) if s.chars().any(char::is_control) => bad("must not contain control characters"),
        Ok(_) => Ok(()),
    }
}

fn insert_answer(what: &str, result: Insert) -> Response {
    match result {
        Insert::Stored => (StatusCode::ACCEPTED, Json(json!({"status": "stored"}))).into_response(),
        Insert::Duplicate => (StatusCode::OK, Json(json!({"status": "duplicate"}))).into_response(),
        Insert::Conflict => error(StatusCode::CONFLICT, format!("{what}: already stored with different content")),
        Insert::Erased => error(StatusCode::GONE, format!("{what}: erased by the visitor; not stored")),
    }
}

pub async fn post_report(State(st): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    let v = match json_body(&headers, body).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (meta, canonical) = match validate::report(&v, &st.sites) {
        Ok(x) => x,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    match st.store.insert_report(&meta, &canonical).await {
        Ok(r) => {
            tracing::info!(site = %meta.site, purpose = %meta.purpose, result = ?r, "report");
            insert_answer("report_id", r)
        }
        Err(e) => internal(e),
    }
}

pub async fn get_aggregates(State(st): State<Shared>, Api(Query(q)): Api<Query<ReadQuery>>) -> Response {
    let Some(site) = q.site.as_ref().filter(|s| !s.is_empty()) else {
        return error(StatusCode::BAD_REQUEST, "site: query parameter is required");
    };
    let purpose = q.purpose.as_deref().filter(|p| !p.is_empty());
    // What no stored report can hold is refused, not looked up (and kept
    // among the cached sums).
    if site.chars().count() > 253 {
        return error(StatusCode::BAD_REQUEST, "site: at most 253 characters");
    }
    // As a config's site: `--sites` is split at commas, and the SDK's schema
    // allows no white space or control characters.
    if site.chars().any(|c| c.is_whitespace() || c.is_control() || c == ',') {
        return error(StatusCode::BAD_REQUEST, "site: not a site name (no white space, commas or control characters)");
    }
    if purpose.is_some_and(|p| !validate::is_purpose_id(p)) {
        return error(StatusCode::BAD_REQUEST, "purpose: not a purpose id (^[a-z][a-z0-9_-]{0,31}$)");
    }
    if q.event.as_deref().is_some_and(|e| !e.is_empty() && !validate::is_name(e)) {
        return error(StatusCode::BAD_REQUEST, "event: not an event name (^[A-Za-z][A-Za-z0-9_.:-]{0,63}$)");
    }
    let answer = match q.event.as_ref().filter(|e| !e.is_empty()) {
        Some(event) => st.store.aggregate(site, purpose, event).await.map(|a| a.finish(site, st.min_reports)),
        None => st
            .store
            .fold_reports(site, purpose, std::collections::BTreeSet::new(), sum::add_event_names)
            .await
            .map(|names| json!({"site": site, "events": names})),
    };
    match answer {
        Ok(v) => Json(v).into_response(),
        Err(e) => internal(e),
    }
}

pub async fn post_receipt(State(st): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    let v = match json_body(&headers, body).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (meta, canonical) = match validate::receipt(&v, &st.sites) {
        Ok(x) => x,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    match st.store.insert_receipt(&meta, &canonical).await {
        Ok(r) => insert_answer("receipt_id", r),
        Err(e) => internal(e),
    }
}

pub async fn get_receipt(State(st): State<Shared>, Api(Path(id)): Api<Path<String>>) -> Response {
    if !validate::is_uuid_v4(&id) {
        return error(StatusCode::BAD_REQUEST, "receipt_id: must be a lowercase UUID v4");
    }
    match st.store.receipt(&id).await {
        Ok(Some(body)) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "receipt_id: no such receipt"),
        Err(e) => internal(e),
    }
}

pub async fn delete_receipt(State(st): State<Shared>, Api(Path(id)): Api<Path<String>>) -> Response {
    if !validate::is_uuid_v4(&id) {
        return error(StatusCode::BAD_REQUEST, "receipt_id: must be a lowercase UUID v4");
    }
    match st.store.delete_receipt(&id).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => error(StatusCode::NOT_FOUND, "receipt_id: no such receipt"),
        Err(e) => internal(e),
    }
}

pub async fn get_revision(
    State(st): State<Shared>,
    Api(Path(revision)): Api<Path<String>>,
    Api(Query(q)): Api<Query<ReadQuery>>,
) -> Response {
    let Some(site) = q.site.as_ref().filter(|s| !s.is_empty()) else {
        return error(StatusCode::BAD_REQUEST, "site: query parameter is required");
    };
    if revision.is_empty() || revision.chars().count() > 64 || revision.chars().any(char::is_control) {
        return error(StatusCode::BAD_REQUEST, "revision: must be a string of 1 to 64 characters without control characters");
    }
    match st.store.revision(site, &revision).await {
        Ok(b) if b.is_empty() => error(StatusCode::NOT_FOUND, "revision: no texts stored for this site and revision"),
        Ok(b) => {
            let bundles: Vec<Value> = b
                .into_iter()
                .map(|(h, t)| json!({"texts_sha256": h, "texts": serde_json::from_str::<Value>(&t).unwrap_or(Value::Null)}))
                .collect();
            Json(json!({"site": site, "revision": revision, "bundles": bundles})).into_response()
        }
        Err(e) => internal(e),
    }
}

/// `ok` while storage answers: a load balancer or orchestrator sees the
/// 503 (with `Retry-After`) every storage route gives. The database itself
/// is asked at most once a second (and after any storage failure at once):
/// between asks, the last answer stands, so polling it costs nothing.
pub async fn healthz(State(st): State<Shared>) -> Response {
    use std::sync::atomic::{AtomicU64, Ordering};
    // Milliseconds on the monotonic clock (a wall clock set back would stop the asking).
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    static ASKED_MS: AtomicU64 = AtomicU64::new(0);
    let now = START.get_or_init(std::time::Instant::now).elapsed().as_millis() as u64 + 1000;
    let last = ASKED_MS.load(Ordering::Relaxed);
    let due = now.saturating_sub(last) >= 1000 && ASKED_MS.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok();
    if !due && !crate::store::failing() {
        return "ok".into_response();
    }
    match st.store.ping().await {
        Ok(()) => "ok".into_response(),
        Err(e) => internal(e),
    }
}

/// Unknown paths under `/v1/` answer JSON too (not the static 404).
pub async fn no_route() -> Response {
    error(StatusCode::NOT_FOUND, "path: no such API route")
}

/// A known API path with the wrong method.
pub async fn wrong_method() -> Response {
    error(StatusCode::METHOD_NOT_ALLOWED, "method: not allowed on this route")
}
