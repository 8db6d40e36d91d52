//! The sea-orm store: SQLite (embedded default) and PostgreSQL (production)
//! behind one implementation.
//!
//! Ticket numbers come from a `ticket_counters` row updated inside the
//! ticket's own `BEGIN IMMEDIATE` transaction on SQLite (one writer anyway),
//! and from a sequence per (format, year) on PostgreSQL, so no row lock is
//! held across concurrent ticket transactions there.

mod assets;
mod attachments;
mod catalog;
mod deliveries;
mod entity;
mod incidents;
mod outbox_store;
pub mod sqlite_file;
mod ticket_store;
mod user_store;

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectOptions, ConnectionTrait, Database,
    DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    RuntimeErr, Set, SqlErr, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait, Value,
};

use super::{
    AssigneeQuery, CREATED_NOTE, NewComment, NewTicket, OutboxRecord, StoreError, TicketQuery,
    TicketSort, UserPatch, UserQuery, new_ticket_parts,
};
use super::{
    CatalogStore, DeliveryStore, OutboxStore, SettingsStore, StoreHealth, TicketStore, UserStore,
};
use super::{
    ClaimOptions, ClaimedDelivery, DeliveryClaim, DeliveryKey, DeliveryRecord, DeliveryStatus,
    DueDelivery,
};
use crate::event::EventEnvelope;
use crate::number::TicketNumberFormat;
use crate::{
    Comment, CommentId, HistoryEntry, NewUser, Priority, RequestType, Role, Software, SoftwareId,
    Ticket, TicketId, TicketStatus, User, UserId,
};
use entity::{outbox, software_catalog, ticket_comments, ticket_history, tickets, users};
use itosm_migrations::{Migrator, MigratorTrait};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func, LikeExpr};

/// The PostgreSQL channel notified when outbox rows commit.
pub const OUTBOX_CHANNEL: &str = "itosm_outbox";

/// Wake-ups from PostgreSQL `LISTEN itosm_outbox`. Notifications are lost
/// while disconnected, so relays still sweep periodically.
pub struct OutboxListener(sea_orm::sqlx::postgres::PgListener);

impl std::fmt::Debug for OutboxListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OutboxListener")
    }
}

impl OutboxListener {
    /// Waits for the next commit of outbox rows.
    pub async fn wait(&mut self) -> Result<(), StoreError> {
        self.0
            .recv()
            .await
            .map(|_| ())
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }
}

/// How to open a [`SeaStore`].
#[derive(Debug, Clone)]
pub struct SeaStoreOptions {
    /// `sqlite://path?mode=rwc`, `sqlite::memory:` or `postgres://…`.
    pub url: String,
    /// Pool size (SQLite keeps it small: it has one writer).
    pub max_connections: u32,
    /// How long to wait for a connection before answering `UNAVAILABLE`:
    /// short, so that requests fail fast while the database is down.
    pub acquire_timeout: StdDuration,
    /// Whether a missing SQLite file may be created (private, `0600`).
    pub create_if_missing: bool,
}

impl SeaStoreOptions {
    /// Options for `url` with defaults suited to its backend.
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        let sqlite = url.starts_with("sqlite:");
        SeaStoreOptions {
            url,
            max_connections: if sqlite { 4 } else { 16 },
            acquire_timeout: StdDuration::from_secs(1),
            create_if_missing: true,
        }
    }
}

/// A [`Store`](crate::store::Store) on SQLite or PostgreSQL through sea-orm.
#[derive(Debug)]
pub struct SeaStore {
    db: DatabaseConnection,
    url: String,
    backend: DbBackend,
    /// SQLite has one writer: serialising writers in-process avoids busy
    /// waits and keeps 64 concurrent creations from failing.
    sqlite_writer: tokio::sync::Mutex<()>,
    /// PostgreSQL sequences known to exist.
    known_sequences: Mutex<HashSet<String>>,
}

impl SeaStore {
    /// Connects (creating a SQLite file if missing). Does not migrate.
    pub async fn connect(options: SeaStoreOptions) -> Result<Self, StoreError> {
        if let Some(path) = sqlite_file::sqlite_path(&options.url) {
            match sqlite_file::prepare(&path, options.create_if_missing)? {
                sqlite_file::FileState::Tightened { was } => tracing::warn!(
                    path = %path.display(),
                    mode = format!("{was:o}"),
                    "the database file was readable by other users; it is now 0600"
                ),
                sqlite_file::FileState::Created => {
                    tracing::info!(path = %path.display(), "created the database file (0600)");
                }
                sqlite_file::FileState::Private => {}
            }
        }
        let mut connect = ConnectOptions::new(options.url.clone());
        connect
            .max_connections(options.max_connections)
            .min_connections(0)
            .acquire_timeout(options.acquire_timeout)
            .connect_timeout(options.acquire_timeout)
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(StdDuration::from_secs(10))
                    .foreign_keys(true)
                    // `prepare` created the file (private) if that was allowed.
                    .create_if_missing(false)
            });
        let db = Database::connect(connect).await.map_err(classify)?;
        let backend = db.get_database_backend();
        if !matches!(backend, DbBackend::Sqlite | DbBackend::Postgres) {
            return Err(StoreError::Internal(
                "database.url must be sqlite: or postgres:".to_owned(),
            ));
        }
        Ok(SeaStore {
            db,
            url: options.url.clone(),
            backend,
            sqlite_writer: tokio::sync::Mutex::new(()),
            known_sequences: Mutex::new(HashSet::new()),
        })
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        if !self.is_sqlite() {
            return self.migrate_postgres().await;
        }
        // On SQLite, migrate over a connection of its own and then start the
        // pool afresh: a pooled connection that saw the schema mid-migration
        // can keep resolving `ON CONFLICT` targets against the old schema.
        let _guard = self.write_guard().await;
        let mut options = ConnectOptions::new(self.url.clone());
        options
            .max_connections(1)
            .min_connections(0)
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(StdDuration::from_secs(10))
                    .foreign_keys(true)
                    .create_if_missing(true)
            });
        let migrator = Database::connect(options).await.map_err(classify)?;
        let migrated = Migrator::up(&migrator, None).await.map_err(classify);
        let _ = migrator.close().await;
        migrated
    }

    /// The SQLite file this store uses; `None` on PostgreSQL or in memory.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        sqlite_file::sqlite_path(&self.url)
    }

    /// Writes a consistent copy of the live SQLite database to `target`, a
    /// new private file (`VACUUM INTO`: it includes what is still in the
    /// WAL, which a plain file copy would miss). PostgreSQL is backed up
    /// with its own tools (`pg_dump`).
    pub async fn backup_sqlite(&self, target: &std::path::Path) -> Result<(), StoreError> {
        if !self.is_sqlite() {
            return Err(StoreError::Internal(
                "backup_sqlite: this database is not SQLite".to_owned(),
            ));
        }
        let path = target.to_str().ok_or_else(|| {
            StoreError::Internal(format!("{} is not a UTF-8 path", target.display()))
        })?;
        sqlite_file::create_backup_target(target)?;
        let done = self
            .db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "VACUUM INTO ?",
                [path.into()],
            ))
            .await
            .map_err(classify);
        if done.is_err() {
            let _ = std::fs::remove_file(target);
        }
        done.map(|_| ())
    }

    /// Migrates PostgreSQL holding an advisory lock: processes that start
    /// together on a fresh database (an API and a notifier) migrate one
    /// after the other instead of racing to create the same tables.
    async fn migrate_postgres(&self) -> Result<(), StoreError> {
        use sea_orm::sqlx::Connection;
        /// The advisory lock key: "itosm" + migrations.
        const MIGRATION_LOCK: i64 = 0x6974_6f73_6d5f_6d67;
        let unavailable = |e: sea_orm::sqlx::Error| StoreError::Unavailable(e.to_string());
        let mut holder = sea_orm::sqlx::postgres::PgConnection::connect(&self.url)
            .await
            .map_err(unavailable)?;
        sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut holder)
            .await
            .map_err(unavailable)?;
        let migrated = Migrator::up(&self.db, None).await.map_err(classify);
        // Closing the session releases the lock too.
        let _ = sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut holder)
            .await;
        let _ = holder.close().await;
        migrated
    }

    /// Listens for outbox commits (PostgreSQL); `None` on SQLite, whose
    /// only writer is this process.
    pub async fn listen_outbox(&self) -> Result<Option<OutboxListener>, StoreError> {
        if self.is_sqlite() {
            return Ok(None);
        }
        let mut listener = sea_orm::sqlx::postgres::PgListener::connect(&self.url)
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        listener
            .listen(OUTBOX_CHANNEL)
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Some(OutboxListener(listener)))
    }

    /// The underlying connection, for embedders and tests.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Whether this store is SQLite.
    pub fn is_sqlite(&self) -> bool {
        self.backend == DbBackend::Sqlite
    }

    async fn write_guard(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        if self.is_sqlite() {
            Some(self.sqlite_writer.lock().await)
        } else {
            None
        }
    }

    fn write_options() -> TransactionOptions {
        TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        }
    }

    /// `count` bind placeholders numbered from `first`: `$1, $2` on
    /// PostgreSQL, `?, ?` on SQLite.
    fn placeholders(&self, count: usize, first: usize) -> String {
        (first..first + count)
            .map(|n| {
                if self.is_sqlite() {
                    "?".to_owned()
                } else {
                    format!("${n}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn stmt(&self, postgres: &str, sqlite: &str, values: Vec<Value>) -> Statement {
        let sql = if self.is_sqlite() { sqlite } else { postgres };
        Statement::from_sql_and_values(self.backend, sql, values)
    }

    /// Writes `event` to the outbox inside `txn`, and on PostgreSQL queues a
    /// `NOTIFY` delivered at commit, which wakes relays in other processes.
    async fn insert_outbox(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        event: &EventEnvelope,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        outbox::ActiveModel {
            id: NotSet,
            event_id: Set(event.event_id),
            event_type: Set(event.event_type.as_str().to_owned()),
            ticket_number: Set(event.subject_key().to_owned()),
            payload: Set(event.to_json()),
            created_at: Set(now),
            claimed_until: Set(None),
            sent_at: Set(None),
            attempts: Set(0),
            last_error: Set(None),
        }
        .insert(txn)
        .await
        .map_err(classify)?;
        if !self.is_sqlite() {
            txn.execute_unprepared(&format!("NOTIFY {OUTBOX_CHANNEL}"))
                .await
                .map_err(classify)?;
        }
        Ok(())
    }

    /// Makes sure the PostgreSQL sequence for (format, year) exists, outside
    /// any ticket transaction, and returns its name.
    async fn ensure_sequence(
        &self,
        format: &TicketNumberFormat,
        year: i32,
    ) -> Result<String, StoreError> {
        let name = format!(
            "ticket_number_seq_{}_{}",
            format.scope(),
            std::cmp::Ord::max(year, 0)
        );
        let known = self
            .known_sequences
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&name);
        if !known {
            let create = Statement::from_string(
                self.backend,
                format!("CREATE SEQUENCE IF NOT EXISTS {name} START 1"),
            );
            if let Err(error) = self.db.execute_raw(create).await {
                // Two creators racing on IF NOT EXISTS: one gets a duplicate
                // error, and the sequence exists all the same.
                if !is_duplicate_object(&error) {
                    return Err(classify(error));
                }
            }
            self.known_sequences
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(name.clone());
        }
        Ok(name)
    }
}

fn is_duplicate_object(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
        || error.to_string().contains("already exists")
}

/// Sorts a database error into what the caller can act on.
fn classify(error: DbErr) -> StoreError {
    use sea_orm::sqlx::Error as Sqlx;
    if let Some(SqlErr::UniqueConstraintViolation(detail)) = error.sql_err() {
        return StoreError::Conflict(detail);
    }
    let unavailable = match &error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => matches!(
            e.as_ref(),
            Sqlx::Io(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::WorkerCrashed
                | Sqlx::Tls(_)
        ),
        _ => false,
    };
    if unavailable {
        StoreError::Unavailable(error.to_string())
    } else {
        StoreError::Internal(error.to_string())
    }
}

/// `count` bind placeholders numbered from `first` (`$4, $5, …`), which
/// both PostgreSQL and SQLite read, so one SQL text serves both.
fn numbered(count: usize, first: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `LIKE` pattern matching `needle` anywhere, as plain text: `%`, `_` and
/// the escape character itself match only themselves.
fn contains_pattern(needle: &str) -> LikeExpr {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.to_ascii_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    LikeExpr::new(pattern).escape('\\')
}

/// `LOWER(column) LIKE '%needle%'`, ASCII case-insensitive on both backends.
fn column_contains(column: impl sea_orm::sea_query::IntoColumnRef, needle: &str) -> Expr {
    Expr::expr(Func::lower(Expr::col(column))).like(contains_pattern(needle))
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Internal(format!("unknown {what} {value:?} in the database"))
}

#[async_trait]
impl StoreHealth for SeaStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.map_err(classify)
    }
}

#[async_trait]
impl SettingsStore for SeaStore {
    async fn setting_or_insert(&self, key: &str, default: &str) -> Result<String, StoreError> {
        let _guard = self.write_guard().await;
        let insert = self.stmt(
            "INSERT INTO app_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            "INSERT INTO app_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            vec![key.into(), default.into()],
        );
        self.db.execute_raw(insert).await.map_err(classify)?;
        let select = self.stmt(
            "SELECT value FROM app_settings WHERE key = $1",
            "SELECT value FROM app_settings WHERE key = ?",
            vec![key.into()],
        );
        self.db
            .query_one_raw(select)
            .await
            .map_err(classify)?
            .ok_or_else(|| StoreError::Internal(format!("setting {key} vanished")))?
            .try_get("", "value")
            .map_err(classify)
    }
}
