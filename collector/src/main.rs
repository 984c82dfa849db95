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
use std::time::Instant;

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
        .with_state(state);
    let api = if args.cors_origin.is_empty() {
        api
    } else {
        let origins: Vec<HeaderValue> = args.cors_origin.iter().filter(|o| !o.is_empty()).map(|o| o.parse()).collect::<Result<_, _>>()?;
        api.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST, Method::DELETE])
                .allow_headers([header::CONTENT_TYPE])
                // The SDK reads Date (a visitor's clock that runs days ahead
                // re-stamps its reports by it) and Retry-After.
                .expose_headers([header::DATE, header::RETRY_AFTER]),
        )
    };
    let statics = Router::new()
        .nest_service("/candor", ServeDir::new(&args.dist).precompressed_br().precompressed_gzip())
        .fallback_service(ServeDir::new(&args.www).precompressed_br().precompressed_gzip())
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        // The same URL is sent as brotli, gzip or plain by Accept-Encoding.
        .layer(SetResponseHeaderLayer::appending(header::VARY, HeaderValue::from_static("accept-encoding")));
    let health = Router::new().route("/healthz", get(routes::healthz)).method_not_allowed_fallback(routes::wrong_method);
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
    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await?;
    tracing::info!("collector stopped cleanly");
    Ok(())
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

/// Hides a password in a database URL.
fn redact(db: &str) -> String {
    match (db.find("://"), db.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &db[..s], &db[at + 1..]),
        _ => db.to_string(),
    }
}
