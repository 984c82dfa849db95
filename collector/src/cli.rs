//! Command line and environment: every flag also reads `CANDOR_<FLAG>`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

/// candor-collector: receives aggregate reports and consent receipts, stores
/// each exactly once (SQLite or PostgreSQL), and serves the demo site.
#[derive(Debug, Parser)]
#[command(version, about, args_override_self = true)]
pub struct Args {
    /// Address to listen on; port 0 picks a free one (printed as `listening on <addr>`).
    #[arg(long, env = "CANDOR_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// SQLite file path, or a postgres:// URL.
    #[arg(long, env = "CANDOR_DB", default_value = "candor.db")]
    pub db: String,
    /// Sites whose reports are accepted (comma-separated). Empty accepts none.
    #[arg(long, env = "CANDOR_SITES", value_delimiter = ',', default_value = "")]
    pub sites: Vec<String>,
    /// Aggregate cells backed by fewer reports than this are withheld.
    #[arg(long, env = "CANDOR_MIN_REPORTS", default_value_t = 10)]
    pub min_reports: u64,
    /// Folder served at `/`.
    #[arg(long, env = "CANDOR_WWW", default_value = "www")]
    pub www: PathBuf,
    /// Folder served at `/candor/` (the SDK build).
    #[arg(long, env = "CANDOR_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// Origins allowed to call the API cross-origin (repeatable or comma-separated).
    #[arg(long = "cors-origin", env = "CANDOR_CORS_ORIGIN", value_delimiter = ',')]
    pub cors_origin: Vec<String>,
}

impl Args {
    /// The allow-list without empty entries.
    pub fn site_list(&self) -> Vec<String> {
        self.sites.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
    }
}
