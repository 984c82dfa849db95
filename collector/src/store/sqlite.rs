//! SQLite backend: one connection in WAL mode, used from blocking tasks.

use std::os::unix::fs::MetadataExt;
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::{Insert, StoreError, SumKey, Sums, SCHEMA};
use crate::sum::Aggregate;
use crate::validate::{ReceiptMeta, ReportMeta};

pub struct Sqlite {
    conn: Arc<Mutex<Connection>>,
    /// A second, read-only connection for summing reports: WAL lets it read
    /// while the first writes, so a long `/v1/aggregates` never holds up
    /// ingestion. The same connection for an in-memory database.
    read: Arc<Mutex<Connection>>,
    /// Sums already made, each with the last rowid it added.
    sums: Sums,
    /// The file opened (none for an in-memory database), checked after
    /// every use: see [`DbFile`].
    file: Option<Arc<DbFile>>,
}

/// The database file and its WAL as opened, by device and inode.
///
/// Removed or replaced while the collector runs (`rm candor.db*`, a backup
/// moved over it with `mv`; `cp` onto it keeps the inode and is not seen),
/// SQLite goes on writing to the file it has open, which
/// no path names any more: every report would be answered 202 and lost.
/// So after each use of the database, before anything is answered, the
/// paths are checked to still name the files opened: two `stat` calls,
/// about a microsecond each, made outside the connection's lock.
struct DbFile {
    path: String,
    db: (u64, u64),
    /// The WAL (`<path>-wal`), which holds what was written since the last
    /// checkpoint. `None` when there was none at start (WAL mode refused).
    wal: Option<(String, (u64, u64))>,
}

impl DbFile {
    /// The file `conn` has open; `None` for an in-memory database.
    fn of(conn: &Connection) -> Result<Option<DbFile>, StoreError> {
        // SQLite's own name for it: absolute, a `file:` URI's parameters gone.
        let Some(path) = conn.path().filter(|p| !p.is_empty()).map(str::to_string) else { return Ok(None) };
        let db = file_id(&path).map_err(|e| StoreError::new(format!("{path}: {e}")))?;
        let wal = format!("{path}-wal");
        let wal = file_id(&wal).ok().map(|id| (wal, id));
        Ok(Some(DbFile { path, db, wal }))
    }

    /// Whether the paths still name the files opened.
    fn check(&self) -> Result<(), StoreError> {
        Self::same(&self.path, self.db)?;
        match &self.wal {
            Some((path, id)) => Self::same(path, *id),
            None => Ok(()),
        }
    }

    fn same(path: &str, opened: (u64, u64)) -> Result<(), StoreError> {
        let problem = match file_id(path) {
            Ok(id) if id == opened => return Ok(()),
            Ok(_) => "was replaced by another file",
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => "was removed",
            Err(e) => return Err(StoreError::new(format!("{path}: cannot check that it is still the file opened at start ({e})"))),
        };
        Err(StoreError {
            detail: format!(
                "{path} {problem} while the collector ran; SQLite still writes to the file it opened, which is lost: \
                 nothing is stored until the collector is restarted"
            ),
            public: Some("storage unavailable: the database file was removed or replaced; nothing is stored until the collector is restarted"),
        })
    }
}

/// A file's device and inode.
fn file_id(path: &str) -> std::io::Result<(u64, u64)> {
    std::fs::metadata(path).map(|m| (m.dev(), m.ino()))
}

impl Sqlite {
    pub async fn open(db: &str) -> Result<Sqlite, StoreError> {
        let path = db.to_string();
        let (conn, file) = tokio::task::spawn_blocking(move || -> Result<(Connection, Option<DbFile>), StoreError> {
            let conn = Connection::open(&path)?;
            // SQLite opens a file it may not write read-only, without a word:
            // the collector would start and then answer every report 503.
            if conn.is_readonly(rusqlite::MAIN_DB)? {
                return Err(StoreError::new(format!("{path}: the database file is read-only (check its owner and permissions)")));
            }
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            for stmt in SCHEMA {
                conn.execute(stmt, [])?;
            }
            let file = DbFile::of(&conn)?;
            Ok((conn, file))
        })
        .await
        .map_err(|e| StoreError::new(e.to_string()))??;
        let (conn, file) = (Arc::new(Mutex::new(conn)), file.map(Arc::new));
        let read = if db == ":memory:" || db.starts_with("file::memory:") {
            conn.clone()
        } else {
            let path = db.to_string();
            let reader = tokio::task::spawn_blocking(move || -> Result<Connection, StoreError> {
                let c = Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI)?;
                c.busy_timeout(std::time::Duration::from_secs(5))?;
                Ok(c)
            })
            .await
            .map_err(|e| StoreError::new(e.to_string()))??;
            Arc::new(Mutex::new(reader))
        };
        Ok(Sqlite { conn, read, sums: Sums::default(), file })
    }

    async fn with<T: Send + 'static>(&self, f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static) -> Result<T, StoreError> {
        self.on(self.conn.clone(), f).await
    }

    /// Runs `f` on `conn`; then, whatever it did, checks that the database
    /// file is still the one opened (see [`DbFile`]): what went to a
    /// removed or replaced file is not answered as stored (nor served).
    async fn on<T: Send + 'static>(&self, conn: Arc<Mutex<Connection>>, f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static) -> Result<T, StoreError> {
        let file = self.file.clone();
        tokio::task::spawn_blocking(move || {
            let out = {
                let guard = conn.lock().map_err(|_| StoreError::new("database lock poisoned"))?;
                f(&guard)
            };
            if let Some(file) = file {
                file.check()?;
            }
            out
        })
        .await
        .map_err(|e| StoreError::new(e.to_string()))?
    }

    pub async fn insert_report(&self, meta: &ReportMeta, body: &str) -> Result<Insert, StoreError> {
        let (m, body) = (meta.clone(), body.to_string());
        self.with(move |c| {
            let n = c.execute(
                "INSERT INTO reports (report_id, site, purpose, window_start, body) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (report_id) DO NOTHING",
                params![m.report_id, m.site, m.purpose, m.window_start as i64, body],
            )?;
            if n == 1 {
                return Ok(Insert::Stored);
            }
            let stored: String = c.query_row("SELECT body FROM reports WHERE report_id = ?1", [&m.report_id], |r| r.get(0))?;
            Ok(if stored == body { Insert::Duplicate } else { Insert::Conflict })
        })
        .await
    }

    pub async fn fold_reports<A: Send + 'static>(&self, site: &str, purpose: Option<&str>, mut acc: A, f: fn(&mut A, &str)) -> Result<A, StoreError> {
        let (site, purpose) = (site.to_string(), purpose.map(str::to_string));
        self.on(self.read.clone(), move |c| {
            let mut stmt = c.prepare_cached("SELECT body FROM reports WHERE site = ?1 AND (?2 IS NULL OR purpose = ?2)")?;
            let mut rows = stmt.query(params![site, purpose])?;
            while let Some(row) = rows.next()? {
                f(&mut acc, row.get_ref(0)?.as_str()?);
            }
            Ok(acc)
        })
        .await
    }

    pub async fn aggregate(&self, site: &str, purpose: Option<&str>, event: &str) -> Result<Aggregate, StoreError> {
        let key: SumKey = (site.to_string(), purpose.map(str::to_string), event.to_string());
        let (since, mut acc) = self.sums.get(&key)?.unwrap_or_else(|| (0, Aggregate::new(event)));
        let (site, purpose) = (key.0.clone(), key.1.clone());
        let (last, acc) = self.on(self.read.clone(), move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT rowid, body FROM reports WHERE site = ?1 AND (?2 IS NULL OR purpose = ?2) AND rowid > ?3 ORDER BY rowid",
            )?;
            let mut rows = stmt.query(params![site, purpose, since])?;
            let mut last = since;
            while let Some(row) = rows.next()? {
                last = row.get(0)?;
                acc.add(row.get_ref(1)?.as_str()?);
            }
            Ok((last, acc))
        })
        .await?;
        self.sums.keep(key, last, &acc)?;
        Ok(acc)
    }

    pub async fn insert_receipt(&self, meta: &ReceiptMeta, body: &str) -> Result<Insert, StoreError> {
        let (m, body) = (meta.clone(), body.to_string());
        self.with(move |c| {
            // One write transaction: another process on the same file (its
            // DELETE writes the id, then deletes the row) cannot come between
            // the check and the insert, so an erase always wins.
            let tx = Transaction::new_unchecked(c, TransactionBehavior::Immediate)?;
            let c = &*tx;
            let since = super::unix_now() - super::ERASED_KEEP_SECONDS;
            let erased: Option<i64> = c
                .query_row("SELECT 1 FROM erased_receipts WHERE receipt_id = ?1 AND erased_at >= ?2", params![m.receipt_id, since], |r| r.get(0))
                .optional()?;
            if erased.is_some() {
                return Ok(Insert::Erased);
            }
            let n = c.execute(
                "INSERT INTO receipts (receipt_id, site, body) VALUES (?1, ?2, ?3) ON CONFLICT (receipt_id) DO NOTHING",
                params![m.receipt_id, m.site, body],
            )?;
            let outcome = if n == 1 {
                Insert::Stored
            } else {
                let stored: String = c.query_row("SELECT body FROM receipts WHERE receipt_id = ?1", [&m.receipt_id], |r| r.get(0))?;
                if stored == body { Insert::Duplicate } else { Insert::Conflict }
            };
            // The texts are kept only for a receipt that was taken (a resent
            // duplicate fills them in if a crash came between the two).
            if let (Some(texts), false) = (&m.texts, outcome == Insert::Conflict) {
                c.execute(
                    "INSERT INTO revisions (site, revision, texts_sha256, texts) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                    params![m.site, m.revision, m.texts_sha256, texts],
                )?;
            }
            tx.commit()?;
            Ok(outcome)
        })
        .await
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.with(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?)).await
    }

    pub async fn receipt(&self, id: &str) -> Result<Option<String>, StoreError> {
        let id = id.to_string();
        self.with(move |c| Ok(c.query_row("SELECT body FROM receipts WHERE receipt_id = ?1", [&id], |r| r.get(0)).optional()?))
            .await
    }

    pub async fn delete_receipt(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_string();
        self.with(move |c| {
            let tx = Transaction::new_unchecked(c, TransactionBehavior::Immediate)?;
            let now = super::unix_now();
            tx.execute("DELETE FROM erased_receipts WHERE erased_at < ?1", [now - super::ERASED_KEEP_SECONDS])?;
            // A second erase of the same id starts its week again.
            tx.execute(
                "INSERT INTO erased_receipts (receipt_id, erased_at) VALUES (?1, ?2) ON CONFLICT (receipt_id) DO UPDATE SET erased_at = excluded.erased_at",
                params![id, now],
            )?;
            let deleted = tx.execute("DELETE FROM receipts WHERE receipt_id = ?1", [&id])? == 1;
            tx.commit()?;
            Ok(deleted)
        })
        .await
    }

    pub async fn revision(&self, site: &str, revision: &str) -> Result<Vec<(String, String)>, StoreError> {
        let (site, revision) = (site.to_string(), revision.to_string());
        self.with(move |c| {
            let mut stmt = c.prepare("SELECT texts_sha256, texts FROM revisions WHERE site = ?1 AND revision = ?2 ORDER BY texts_sha256")?;
            let rows = stmt.query_map([&site, &revision], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}
