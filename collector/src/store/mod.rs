//! Storage: SQLite by default, PostgreSQL for production, same semantics.
//!
//! Idempotency lives in the database: `report_id` (and `receipt_id`) is the
//! primary key, and inserts use `ON CONFLICT DO NOTHING`. When nothing was
//! inserted, the stored body is compared with the new one to tell a
//! duplicate (same content) from a conflict. No check-then-insert race, no IP
//! address or user agent anywhere.

mod postgres;
mod sqlite;

use crate::validate::{ReceiptMeta, ReportMeta};

/// What an idempotent insert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insert {
    /// Stored now.
    Stored,
    /// Already stored with the same content.
    Duplicate,
    /// Already stored with different content.
    Conflict,
    /// A receipt whose id the visitor already erased (a `DELETE` came
    /// first, the POST was held up on the way): not stored.
    Erased,
}

/// A storage error: its detail is logged, not sent to clients.
#[derive(Debug)]
pub struct StoreError {
    /// What went wrong, for the log.
    pub detail: String,
    /// What clients are told, when the cause is worth naming to them (no
    /// path or server detail in it); otherwise "storage unavailable".
    pub public: Option<&'static str>,
}

impl StoreError {
    /// An error told to clients only as "storage unavailable".
    pub fn new(detail: impl Into<String>) -> StoreError {
        StoreError { detail: detail.into(), public: None }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl<E: std::error::Error> From<E> for StoreError {
    /// The error and its causes: PostgreSQL's "db error" says what went
    /// wrong only in its source (`database "x" does not exist`).
    fn from(e: E) -> Self {
        let mut text = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            let more = c.to_string();
            if !text.contains(&more) {
                text = format!("{text}: {more}");
            }
            cause = c.source();
        }
        StoreError::new(text)
    }
}

/// How long a request waits for the database before it is answered 503
/// (`Retry-After`): a server that froze, or one the network cut off, never
/// answers, and the SDK gives up on a request after 10 s. Writes and
/// single-row reads only: a first sum over millions of reports may take
/// longer, and is not cut short.
pub const STORE_WAIT: std::time::Duration = std::time::Duration::from_secs(8);

/// Whether the last storage operation failed (for `/healthz`).
static FAILING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether the last storage operation failed: `/healthz` then asks the
/// database itself ([`Store::ping`]) before it answers.
pub fn failing() -> bool {
    FAILING.load(std::sync::atomic::Ordering::Relaxed)
}

/// Runs `op`, within `wait` when given, and notes whether storage answered.
async fn within<T>(wait: Option<std::time::Duration>, op: impl std::future::Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
    let out = match wait {
        Some(w) => tokio::time::timeout(w, op)
            .await
            .unwrap_or_else(|_| Err(StoreError::new(format!("the database did not answer within {} s", w.as_secs())))),
        None => op.await,
    };
    FAILING.store(out.is_err(), std::sync::atomic::Ordering::Relaxed);
    out
}

/// The database behind the collector.
pub enum Store {
    /// A SQLite file.
    Sqlite(sqlite::Sqlite),
    /// A PostgreSQL server.
    Postgres(postgres::Postgres),
}

impl Store {
    /// Opens `db` (a file path, or a `postgres://` URL) and creates the schema.
    pub async fn open(db: &str) -> Result<Store, StoreError> {
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            Ok(Store::Postgres(postgres::Postgres::open(db).await?))
        } else {
            Ok(Store::Sqlite(sqlite::Sqlite::open(db).await?))
        }
    }

    /// Stores a report once.
    pub async fn insert_report(&self, meta: &ReportMeta, body: &str) -> Result<Insert, StoreError> {
        within(Some(STORE_WAIT), async {
            match self {
                Store::Sqlite(s) => s.insert_report(meta, body).await,
                Store::Postgres(p) => p.insert_report(meta, body).await,
            }
        })
        .await
    }

    /// Folds `f` over the body of every report of `site` (of one purpose,
    /// if given), read one at a time.
    pub async fn fold_reports<A: Send + 'static>(&self, site: &str, purpose: Option<&str>, acc: A, f: fn(&mut A, &str)) -> Result<A, StoreError> {
        within(None, async {
            match self {
                Store::Sqlite(s) => s.fold_reports(site, purpose, acc, f).await,
                Store::Postgres(p) => p.fold_reports(site, purpose, acc, f).await,
            }
        })
        .await
    }

    /// The running sum of `event` over the reports of `site` (of one
    /// purpose, if given). Each backend keeps the sums it made and adds only
    /// the reports stored since (reports are never deleted), so a dashboard
    /// polling it costs what arrived in between: SQLite by rowid, which
    /// grows with each insert; PostgreSQL by the inserting transaction's id,
    /// up to the oldest transaction still running (ids are handed out
    /// before commit, so a newer row can be visible before an older one).
    pub async fn aggregate(&self, site: &str, purpose: Option<&str>, event: &str) -> Result<crate::sum::Aggregate, StoreError> {
        within(None, async {
            match self {
                Store::Sqlite(s) => s.aggregate(site, purpose, event).await,
                Store::Postgres(p) => p.aggregate(site, purpose, event).await,
            }
        })
        .await
    }

    /// Stores a receipt once (and its texts bundle, once per hash).
    pub async fn insert_receipt(&self, meta: &ReceiptMeta, body: &str) -> Result<Insert, StoreError> {
        within(Some(STORE_WAIT), async {
            match self {
                Store::Sqlite(s) => s.insert_receipt(meta, body).await,
                Store::Postgres(p) => p.insert_receipt(meta, body).await,
            }
        })
        .await
    }

    /// A receipt's body.
    pub async fn receipt(&self, id: &str) -> Result<Option<String>, StoreError> {
        within(Some(STORE_WAIT), async {
            match self {
                Store::Sqlite(s) => s.receipt(id).await,
                Store::Postgres(p) => p.receipt(id).await,
            }
        })
        .await
    }

    /// Deletes a receipt and remembers its id as erased (so a POST of it
    /// landing later is refused); `false` if there was none.
    pub async fn delete_receipt(&self, id: &str) -> Result<bool, StoreError> {
        within(Some(STORE_WAIT), async {
            match self {
                Store::Sqlite(s) => s.delete_receipt(id).await,
                Store::Postgres(p) => p.delete_receipt(id).await,
            }
        })
        .await
    }

    /// Text bundles seen for a site's revision: (hash, texts JSON).
    pub async fn revision(&self, site: &str, revision: &str) -> Result<Vec<(String, String)>, StoreError> {
        within(Some(STORE_WAIT), async {
            match self {
                Store::Sqlite(s) => s.revision(site, revision).await,
                Store::Postgres(p) => p.revision(site, revision).await,
            }
        })
        .await
    }
}

impl Store {
    /// Whether the database answers now (`SELECT 1`, and for SQLite the
    /// file still the one opened), within 2 s.
    pub async fn ping(&self) -> Result<(), StoreError> {
        within(Some(std::time::Duration::from_secs(2)), async {
            match self {
                Store::Sqlite(s) => s.ping().await,
                Store::Postgres(p) => p.ping().await,
            }
        })
        .await
    }
}

/// How long the id of an erased receipt is kept (seconds).
pub const ERASED_KEEP_SECONDS: i64 = 7 * 86_400;

/// Unix seconds now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// The schema, shared by both backends (plain SQL both accept).
/// A kept sum's key: (site, purpose, event).
pub type SumKey = (String, Option<String>, String);

/// Sums kept between requests (any more, and the cache starts over: event
/// names in a query are the asker's choice).
const SUMS_KEPT: usize = 1024;

/// Sums already made (see [`Store::aggregate`]), each with how far into
/// the store's order of reports it has added them.
#[derive(Default)]
pub struct Sums(std::sync::Mutex<std::collections::HashMap<SumKey, (i64, crate::sum::Aggregate)>>);

impl Sums {
    /// The sum kept for `key` and how far it goes.
    pub fn get(&self, key: &SumKey) -> Result<Option<(i64, crate::sum::Aggregate)>, StoreError> {
        Ok(self.0.lock().map_err(|_| StoreError::new("sums lock poisoned"))?.get(key).cloned())
    }

    /// Keeps `sum`, which has added every report up to `upto`.
    pub fn keep(&self, key: SumKey, upto: i64, sum: &crate::sum::Aggregate) -> Result<(), StoreError> {
        let mut sums = self.0.lock().map_err(|_| StoreError::new("sums lock poisoned"))?;
        if sums.len() >= SUMS_KEPT && !sums.contains_key(&key) {
            sums.clear();
        }
        sums.insert(key, (upto, sum.clone()));
        Ok(())
    }
}

pub const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS reports (report_id TEXT PRIMARY KEY, site TEXT NOT NULL, purpose TEXT NOT NULL, \
     window_start BIGINT NOT NULL, body TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS reports_site ON reports (site)",
    "CREATE TABLE IF NOT EXISTS receipts (receipt_id TEXT PRIMARY KEY, site TEXT NOT NULL, body TEXT NOT NULL)",
    // Receipt ids a visitor asked to delete (only the random id: a POST of
    // it that lands later is refused, so an erase always wins).
    // Kept a week (`ERASED_KEEP_SECONDS`): a held-up POST lands long before.
    "CREATE TABLE IF NOT EXISTS erased_receipts (receipt_id TEXT PRIMARY KEY, erased_at BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS erased_receipts_at ON erased_receipts (erased_at)",
    "CREATE TABLE IF NOT EXISTS revisions (site TEXT NOT NULL, revision TEXT NOT NULL, texts_sha256 TEXT NOT NULL, \
     texts TEXT NOT NULL, PRIMARY KEY (site, revision, texts_sha256))",
];
