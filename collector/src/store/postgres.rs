//! PostgreSQL backend: a few pipelined tokio-postgres connections, used in
//! turn, each reconnected on first use after the server went away.
//!
//! Why several: each insert is its own transaction and waits for its WAL
//! flush; on one connection those waits queue up (a few hundred reports/s),
//! on several the server commits them together. Every write is a single
//! statement, so idempotency needs no explicit transaction.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures_core::Stream;
use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls};

use super::{Insert, StoreError, SumKey, Sums, SCHEMA};
use crate::sum::Aggregate;
use crate::validate::{ReceiptMeta, ReportMeta};

/// Connections kept open.
const POOL: usize = 8;

pub struct Postgres {
    url: String,
    clients: Vec<Mutex<Arc<Client>>>,
    next: AtomicUsize,
    /// Sums already made, each with its transaction-id horizon.
    sums: Sums,
}

/// Hands `f` the first column (a report body) of each row of `sql`, one
/// row at a time as they arrive: a site's reports are never all in memory.
async fn each_body(client: &Client, sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)], mut f: impl FnMut(&str)) -> Result<(), StoreError> {
    let rows = client.query_raw(sql, params.iter().copied()).await?;
    let mut rows = std::pin::pin!(rows);
    while let Some(row) = std::future::poll_fn(|cx| rows.as_mut().poll_next(cx)).await {
        f(row?.get::<_, &str>(0));
    }
    Ok(())
}

/// Adds the reports of `site` (of one purpose, if given) stored by
/// transactions with ids in `[from, to)` (no upper bound: `None`) to `sum`.
async fn fold_between(client: &Client, site: &str, purpose: Option<&str>, from: i64, to: Option<i64>, sum: &mut Aggregate) -> Result<(), StoreError> {
    let (from, to) = (from.to_string(), to.map(|t| t.to_string()));
    each_body(
        client,
        "SELECT body FROM reports WHERE site = $1 AND ($2::text IS NULL OR purpose = $2) \
         AND tx >= $3::text::xid8 AND ($4::text IS NULL OR tx < $4::text::xid8)",
        &[&site, &purpose, &from, &to],
        |body| sum.add(body),
    )
    .await
}

/// PostgreSQL only: each report row carries the id of the transaction that
/// inserted it, so sums can be kept and added to (see `Store::aggregate`).
/// Rows stored before this column existed all get the id of the
/// transaction that adds it.
/// The check comes first: `ALTER TABLE` takes the table's strongest lock
/// even when the column exists, and would queue behind long reads on
/// every start (a rolling restart of several collectors).
const PG_SCHEMA: &str = "DO $$ BEGIN \
     IF NOT EXISTS (SELECT 1 FROM information_schema.columns \
       WHERE table_schema = current_schema() AND table_name = 'reports' AND column_name = 'tx') THEN \
       ALTER TABLE reports ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id(); \
     END IF; END $$; \
     CREATE INDEX IF NOT EXISTS reports_site_tx ON reports (site, tx)";

async fn connect(url: &str) -> Result<Client, StoreError> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::error!(error = %e, "postgres connection ended");
        }
    });
    Ok(client)
}

impl Postgres {
    pub async fn open(url: &str) -> Result<Postgres, StoreError> {
        let first = connect(url).await?;
        for stmt in SCHEMA.iter().chain([&PG_SCHEMA]) {
            first.batch_execute(stmt).await?;
        }
        let mut clients = vec![Mutex::new(Arc::new(first))];
        for _ in 1..POOL {
            clients.push(Mutex::new(Arc::new(connect(url).await?)));
        }
        Ok(Postgres { url: url.to_string(), clients, next: AtomicUsize::new(0), sums: Sums::default() })
    }

    /// The next connection in turn; a new one if it had closed.
    async fn client(&self) -> Result<Arc<Client>, StoreError> {
        let slot = &self.clients[self.next.fetch_add(1, Ordering::Relaxed) % self.clients.len()];
        let mut current = slot.lock().await;
        if current.is_closed() {
            tracing::warn!("postgres connection lost; reconnecting");
            *current = Arc::new(connect(&self.url).await?);
        }
        Ok(current.clone())
    }

    pub async fn insert_report(&self, m: &ReportMeta, body: &str) -> Result<Insert, StoreError> {
        let client = self.client().await?;
        let n = client
            .execute(
                "INSERT INTO reports (report_id, site, purpose, window_start, body) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (report_id) DO NOTHING",
                &[&m.report_id, &m.site, &m.purpose, &(m.window_start as i64), &body],
            )
            .await?;
        if n == 1 {
            return Ok(Insert::Stored);
        }
        let row = client.query_one("SELECT body FROM reports WHERE report_id = $1", &[&m.report_id]).await?;
        let stored: String = row.get(0);
        Ok(if stored == body { Insert::Duplicate } else { Insert::Conflict })
    }

    pub async fn fold_reports<A: Send + 'static>(&self, site: &str, purpose: Option<&str>, mut acc: A, f: fn(&mut A, &str)) -> Result<A, StoreError> {
        let client = self.client().await?;
        let sql = "SELECT body FROM reports WHERE site = $1 AND ($2::text IS NULL OR purpose = $2)";
        each_body(&client, sql, &[&site, &purpose], |body| f(&mut acc, body)).await?;
        Ok(acc)
    }

    pub async fn aggregate(&self, site: &str, purpose: Option<&str>, event: &str) -> Result<Aggregate, StoreError> {
        let key: SumKey = (site.to_string(), purpose.map(str::to_string), event.to_string());
        let (since, mut kept) = self.sums.get(&key)?.unwrap_or_else(|| (0, Aggregate::new(event)));
        let client = self.client().await?;
        // Every transaction with a lower id has ended (committed and
        // visible to the next statement, or rolled back): rows below the
        // horizon can be added to the kept sum for good. Rows at or above
        // it are counted in this answer only; a transaction still running
        // may yet commit a row among them.
        let horizon: i64 = client.query_one("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint", &[]).await?.get(0);
        // Two reads, each streamed (memory stays flat however many rows):
        // below the horizon into the kept sum, then the rest into a copy of
        // it for this answer only. A transaction left open anywhere on the
        // server holds the horizon back; the second read then grows, but
        // still one row at a time.
        let upto = horizon.max(since);
        fold_between(&client, site, purpose, since, Some(upto), &mut kept).await?;
        self.sums.keep(key, upto, &kept)?;
        fold_between(&client, site, purpose, upto, None, &mut kept).await?;
        Ok(kept)
    }

    pub async fn insert_receipt(&self, m: &ReceiptMeta, body: &str) -> Result<Insert, StoreError> {
        let client = self.client().await?;
        // Ids erased within the week (older ones are free again).
        let since = super::unix_now() - super::ERASED_KEEP_SECONDS;
        let erased = "SELECT 1 FROM erased_receipts WHERE receipt_id = $1 AND erased_at >= $2";
        if client.query_opt(erased, &[&m.receipt_id, &since]).await?.is_some() {
            return Ok(Insert::Erased);
        }
        let n = client
            .execute(
                "INSERT INTO receipts (receipt_id, site, body) VALUES ($1, $2, $3) ON CONFLICT (receipt_id) DO NOTHING",
                &[&m.receipt_id, &m.site, &body],
            )
            .await?;
        // A DELETE on another connection may have come between the check and
        // the insert (it writes the id, then deletes the row): checked again
        // after the insert, so either it saw the row or this sees the id.
        if n == 1 && client.query_opt(erased, &[&m.receipt_id, &since]).await?.is_some() {
            client.execute("DELETE FROM receipts WHERE receipt_id = $1", &[&m.receipt_id]).await?;
            return Ok(Insert::Erased);
        }
        let outcome = if n == 1 {
            Insert::Stored
        } else {
            let row = client.query_one("SELECT body FROM receipts WHERE receipt_id = $1", &[&m.receipt_id]).await?;
            let stored: String = row.get(0);
            if stored == body { Insert::Duplicate } else { Insert::Conflict }
        };
        // As in SQLite: texts only for a receipt that was taken.
        if let (Some(texts), false) = (&m.texts, outcome == Insert::Conflict) {
            client
                .execute(
                    "INSERT INTO revisions (site, revision, texts_sha256, texts) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    &[&m.site, &m.revision, &m.texts_sha256, texts],
                )
                .await?;
        }
        Ok(outcome)
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.client().await?.simple_query("SELECT 1").await?;
        Ok(())
    }

    pub async fn receipt(&self, id: &str) -> Result<Option<String>, StoreError> {
        let client = self.client().await?;
        let row = client.query_opt("SELECT body FROM receipts WHERE receipt_id = $1", &[&id]).await?;
        Ok(row.map(|r| r.get(0)))
    }

    pub async fn delete_receipt(&self, id: &str) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let now = super::unix_now();
        client.execute("DELETE FROM erased_receipts WHERE erased_at < $1", &[&(now - super::ERASED_KEEP_SECONDS)]).await?;
        client
            .execute(
                "INSERT INTO erased_receipts (receipt_id, erased_at) VALUES ($1, $2) ON CONFLICT (receipt_id) DO UPDATE SET erased_at = excluded.erased_at",
                &[&id, &now],
            )
            .await?;
        Ok(client.execute("DELETE FROM receipts WHERE receipt_id = $1", &[&id]).await? == 1)
    }

    pub async fn revision(&self, site: &str, revision: &str) -> Result<Vec<(String, String)>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query("SELECT texts_sha256, texts FROM revisions WHERE site = $1 AND revision = $2 ORDER BY texts_sha256", &[&site, &revision])
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
