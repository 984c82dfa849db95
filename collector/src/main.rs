//! candor-collector: receives Candor's aggregate reports and consent
//! receipts, stores each exactly once, and serves the demo site.
//!
//! It never stores or logs an IP address or a user agent: the request log
//! holds method, path, status and duration only.

mod canonical;
mod cli;
mod routes;
mod store;
mod sum;
mod validate;

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::Router;
use clap::Parser;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::routes::AppState;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // key=value lines on stderr; colour only for a terminal.
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false).with_ansi(std::io::stderr().is_terminal()).init();
    let args = cli::Args::parse();
    if let Err(e) = run(args).await {
        tracing::error!(error = %e, "collector stopped");
        eprintln!("candor-collector: {e}");
        std::process::exit(1);
    }
}

async fn run(args: cli::Args) -> Result<(), Box<dyn std::error::Error>> {
    // An empty path would open SQLite's private temporary database: every
    // report answered 202, and gone at the next start.
    if args.db.trim().is_empty() {
        return Err("--db (CANDOR_DB): must be a file path or a postgres:// URL, not empty".into());
    }
    let cors = cors_origins(&args.cors_origin)?;
    check_sites(&args.site_list())?;
    let store = store::Store::open(&args.db).await.map_err(|e| format!("cannot open database {}: {e}", redact(&args.db)))?;
    let state = Arc::new(AppState { store, sites: args.site_list(), min_reports: args.min_reports });

    let api = Router::new()
        .route("/v1/reports", post(routes::post_report))
        .route("/v1/aggregates", get(routes::get_aggregates))
        .route("/v1/receipts", post(routes::post_receipt))
        .route("/v1/receipts/{receipt_id}", get(routes::get_receipt).delete(routes::delete_receipt))
        .route("/v1/revisions/{revision}", get(routes::get_revision))
        .route("/v1", any(routes::no_route))
        .route("/v1/", any(routes::no_route))
        .route("/v1/{*rest}", any(routes::no_route))
        .method_not_allowed_fallback(routes::wrong_method)
        .with_state(state.clone())
        .layer(middleware::from_fn(routes::check_uri));
    let api = match cors {
        None => api,
        Some(origins) => api.layer(
            CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([Method::GET, Method::POST, Method::DELETE])
                .allow_headers([header::CONTENT_TYPE])
                // The SDK reads Date (a visitor's clock that runs days ahead
                // re-stamps its reports by it) and Retry-After.
                .expose_headers([header::DATE, header::RETRY_AFTER]),
        ),
    };
    let statics = Router::new()
        .nest_service("/candor", ServeDir::new(&args.dist).precompressed_br().precompressed_gzip())
        .fallback_service(ServeDir::new(&args.www).precompressed_br().precompressed_gzip())
        .layer(middleware::from_fn(routes::check_static_path))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        // The same URL is sent as brotli, gzip or plain by Accept-Encoding.
        .layer(SetResponseHeaderLayer::appending(header::VARY, HeaderValue::from_static("accept-encoding")));
    let health = Router::new().route("/healthz", get(routes::healthz)).method_not_allowed_fallback(routes::wrong_method).with_state(state.clone());
    let app = Router::new()
        .merge(health)
        .merge(api)
        .merge(statics)
        .layer(middleware::from_fn(log_request));

    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let addr = listener.local_addr()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {addr}")?;
        out.flush()?;
    }
    tracing::info!(%addr, db = %redact(&args.db), sites = ?args.site_list(), "collector started");
    serve(listener, app).await;
    Ok(())
}

/// A client must send a request's headers within this time, and its body
/// within [`routes::BODY_WAIT`]: a slow or stalled client (one that opens
/// many connections and sends a byte now and then) cannot hold them, nor
/// the process at shutdown.
const HEADER_WAIT: Duration = Duration::from_secs(10);
/// At SIGTERM, requests in flight get this long to finish.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

/// Serves HTTP/1.1 until SIGTERM or Ctrl-C, then lets requests in flight
/// finish (at most [`SHUTDOWN_WAIT`]). `axum::serve` has no header timeout.
async fn serve(listener: tokio::net::TcpListener, app: Router) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(HEADER_WAIT);
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(shutdown());
    loop {
        tokio::select! {
            conn = listener.accept() => match conn {
                Ok((stream, _)) => {
                    let svc = TowerToHyperService::new(app.clone());
                    let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), svc));
                    tokio::spawn(async move {
                        let _ = conn.await;
                    });
                }
                // Out of file descriptors, or the like: wait a moment.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = &mut stop => break,
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => tracing::info!("collector stopped cleanly"),
        _ = tokio::time::sleep(SHUTDOWN_WAIT) => tracing::warn!("collector stopped with requests still open after {SHUTDOWN_WAIT:?}"),
    }
}

/// `--cors-origin` values: `*` (any origin), or origins as browsers send
/// them (`https://shop.example`, a port if not the default; no path, no
/// trailing slash, which would never match).
/// Sites as a config's `site` may be (the SDK's schema: 1 to 253
/// characters, no white space or control characters): a report for any
/// other could be stored but never read back.
fn check_sites(sites: &[String]) -> Result<(), String> {
    for site in sites {
        if site.chars().count() > 253 || site.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("--sites (CANDOR_SITES): {site:?} is not a site name (1 to 253 characters, no white space or control characters)"));
        }
    }
    Ok(())
}

fn cors_origins(values: &[String]) -> Result<Option<AllowOrigin>, String> {
    let values: Vec<&str> = values.iter().map(|o| o.trim()).filter(|o| !o.is_empty()).collect();
    if values.is_empty() {
        return Ok(None);
    }
    if values.contains(&"*") {
        return Ok(Some(AllowOrigin::any()));
    }
    let mut origins = Vec::new();
    for o in values {
        let bad = || format!("--cors-origin (CANDOR_CORS_ORIGIN): {o:?} is not an origin such as https://shop.example (scheme and host, an optional port, no path)");
        let (scheme, host) = o.split_once("://").ok_or_else(bad)?;
        let host_ok = !host.is_empty() && !host.contains(['/', '?', '#', '@', ' ']);
        if !matches!(scheme, "http" | "https") || !host_ok {
            return Err(bad());
        }
        // Browsers send the origin serialised: lowercase, the host in
        // ASCII (punycode), no default port. Any other spelling never matches.
        let canonical = !o.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii())
            && !(scheme == "https" && host.ends_with(":443"))
            && !(scheme == "http" && host.ends_with(":80"));
        if !canonical {
            return Err(format!(
                "--cors-origin (CANDOR_CORS_ORIGIN): {o:?} is not spelt as browsers send it: lowercase, the host in ASCII (punycode: xn--...), no :443 for https or :80 for http"
            ));
        }
        origins.push(HeaderValue::from_str(o).map_err(|_| bad())?);
    }
    Ok(Some(AllowOrigin::list(origins)))
}

/// Method, path, status and duration: nothing that identifies a visitor.
async fn log_request(req: Request, next: Next) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let start = Instant::now();
    let resp = next.run(req).await;
    tracing::debug!(%method, %path, status = resp.status().as_u16(), ms = start.elapsed().as_millis() as u64, "request");
    resp
}

/// Resolves on SIGTERM or Ctrl-C; in-flight requests then finish.
async fn shutdown() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// Hides a password in a database URL: `user:password@`, and a
/// `password=` parameter of the query or of a key=value string.
fn redact(db: &str) -> String {
    let db = match (db.find("://"), db.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &db[..s], &db[at + 1..]),
        _ => db.to_string(),
    };
    let mut out = String::with_capacity(db.len());
    let mut rest = db.as_str();
    while let Some(i) = rest.to_ascii_lowercase().find("password") {
        let after = &rest[i + "password".len()..];
        let eq = after.len() - after.trim_start().len();
        if !after[eq..].starts_with('=') {
            out.push_str(&rest[..i + "password".len()]);
            rest = after;
            continue;
        }
        // The value: quoted (libpq's 'a b', with \' inside) or up to the next separator.
        let value_at = i + "password".len() + eq + 1;
        let value = &rest[value_at..];
        let skip = value.len() - value.trim_start().len();
        let v = &value[skip..];
        let len = if let Some(q) = v.strip_prefix('\'') {
            let mut end = q.len();
            let mut escaped = false;
            for (k, ch) in q.char_indices() {
                match ch {
                    '\\' if !escaped => escaped = true,
                    '\'' if !escaped => {
                        end = k + 1;
                        break;
                    }
                    _ => escaped = false,
                }
            }
            1 + end
        } else {
            v.find(['&', ' ', ';']).unwrap_or(v.len())
        };
        out.push_str(&rest[..value_at]);
        out.push_str("***");
        rest = &value[skip + len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(super::redact("postgres://u:secret@db/x"), "postgres://***@db/x");
        assert_eq!(super::redact("postgres://db/x?user=u&password=hunter2&sslmode=disable"), "postgres://db/x?user=u&password=***&sslmode=disable");
        assert_eq!(super::redact("host=db PASSWORD=p1 user=u"), "host=db PASSWORD=*** user=u");
        assert_eq!(super::redact("host=db password = 'a b\\' c' user=u"), "host=db password =*** user=u");
        assert_eq!(super::redact("host=db password='' user=u"), "host=db password=*** user=u");
        assert_eq!(super::redact("candor.db"), "candor.db");
    }

    #[test]
    fn cors_origins_are_origins() {
        assert!(super::cors_origins(&[]).unwrap().is_none());
        assert!(super::cors_origins(&["*".into()]).unwrap().is_some());
        assert!(super::cors_origins(&["https://shop.example".into(), "http://127.0.0.1:8080".into()]).unwrap().is_some());
        for bad in ["https://shop.example/", "shop.example", "ftp://x", "https://a/b", "https://", "https://a.example:443", "http://a.example:80", "HTTPS://A.EXAMPLE", "https://bücher.example"] {
            let e = super::cors_origins(&[bad.into()]).err().unwrap_or_default();
            assert!(e.starts_with("--cors-origin"), "{bad}: {e}");
        }
    }
}
