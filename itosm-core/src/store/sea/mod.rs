//! The sea-orm store: SQLite (embedded default) and PostgreSQL (production)
//! behind one implementation.
//!
//! Ticket numbers come from a `ticket_counters` row updated inside the
//! ticket's own `BEGIN IMMEDIATE` transaction on SQLite (one writer anyway),
//! and from a sequence per (format, year) on PostgreSQL, so no row lock is
//! held across concurrent ticket transactions there.

mod entity;
pub mod sqlite_file;

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
    AssigneeQuery, CREATED_NOTE, NewComment, NewTicket, OutboxRecord, Store, StoreError,
    TicketQuery, TicketSort, UserPatch, UserQuery, new_ticket_parts,
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

/// A [`Store`] on SQLite or PostgreSQL through sea-orm.
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
            ticket_number: Set(event.ticket.number.clone()),
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

/// A claimed delivery from a `RETURNING event_id, sink, recipient,
/// attempts, retry_until` row; a row without a horizon (written before
/// rows had one) gets `default_retry_until`.
fn claimed_from(
    row: &sea_orm::QueryResult,
    default_retry_until: DateTime<Utc>,
) -> Result<ClaimedDelivery, StoreError> {
    let retry_until: Option<DateTime<Utc>> = row.try_get("", "retry_until").map_err(classify)?;
    Ok(ClaimedDelivery {
        key: DeliveryKey {
            event_id: row.try_get("", "event_id").map_err(classify)?,
            sink: row.try_get("", "sink").map_err(classify)?,
            recipient: row.try_get("", "recipient").map_err(classify)?,
        },
        attempts: row.try_get("", "attempts").map_err(classify)?,
        retry_until: retry_until.unwrap_or(default_retry_until),
    })
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Internal(format!("unknown {what} {value:?} in the database"))
}

fn user_from(row: users::Model) -> Result<User, StoreError> {
    let role = Role::parse(&row.role).ok_or_else(|| corrupt("role", &row.role))?;
    // Rows written by the seed's SQL carry only is_admin.
    let role = if row.is_admin { Role::Admin } else { role };
    Ok(User {
        id: UserId(row.id),
        username: row.username,
        employee_id: row.employee_id,
        display_name: row.display_name,
        email: row.email,
        phone: row.phone,
        role,
        active: row.active,
        token_generation: row.token_generation,
    })
}

fn ticket_from(row: tickets::Model) -> Result<Ticket, StoreError> {
    Ok(Ticket {
        id: TicketId(row.id),
        request_type: RequestType::parse(&row.request_type)
            .ok_or_else(|| corrupt("request type", &row.request_type))?,
        status: parse_status(&row.status)?,
        priority: Priority::parse(&row.priority)
            .ok_or_else(|| corrupt("priority", &row.priority))?,
        number: row.ticket_id,
        requester: UserId(row.user_id),
        software: row.software_id.map(SoftwareId),
        description: row.description,
        assignee: row.assignee_id.map(UserId),
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
        first_response_due_at: row.first_response_due_at,
        resolution_due_at: row.resolution_due_at,
        first_responded_at: row.first_responded_at,
        resolved_at: row.resolved_at,
    })
}

/// A new, active user's row; `is_admin` kept in step with the role for the
/// seed's SQL.
fn user_row(user: &NewUser) -> users::ActiveModel {
    users::ActiveModel {
        id: NotSet,
        username: Set(user.username.clone()),
        employee_id: Set(user.employee_id.clone()),
        is_admin: Set(user.role == Role::Admin),
        role: Set(user.role.as_str().to_owned()),
        display_name: Set(user.display_name.clone()),
        email: Set(user.email.clone()),
        phone: Set(user.phone.clone()),
        active: Set(true),
        created_at: Set(Utc::now()),
        token_generation: Set(0),
    }
}

fn comment_from(row: ticket_comments::Model) -> Comment {
    Comment {
        id: CommentId(row.id),
        ticket: TicketId(row.ticket_id),
        author: UserId(row.author_id),
        body: row.body,
        internal: row.internal,
        created_at: row.created_at,
    }
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

/// The SQL form of [`Ticket::sla_breached`] at `now`.
fn breached_condition(now: DateTime<Utc>) -> Condition {
    use tickets::Column as C;
    let open = TicketStatus::ALL
        .iter()
        .filter(|status| status.is_open())
        .map(|status| status.as_str());
    let first_response = Condition::all()
        .add(C::FirstResponseDueAt.is_not_null())
        .add(
            Condition::any()
                .add(
                    Condition::all()
                        .add(C::FirstRespondedAt.is_not_null())
                        .add(Expr::col(C::FirstRespondedAt).gt(Expr::col(C::FirstResponseDueAt))),
                )
                .add(
                    Condition::all()
                        .add(C::FirstRespondedAt.is_null())
                        .add(C::Status.is_in(open))
                        .add(C::FirstResponseDueAt.lt(now)),
                ),
        );
    let resolution = Condition::all().add(C::ResolutionDueAt.is_not_null()).add(
        Condition::any()
            .add(
                Condition::all()
                    .add(C::ResolvedAt.is_not_null())
                    .add(Expr::col(C::ResolvedAt).gt(Expr::col(C::ResolutionDueAt))),
            )
            .add(
                Condition::all()
                    .add(C::ResolvedAt.is_null())
                    .add(C::ResolutionDueAt.lt(now)),
            ),
    );
    Condition::all()
        .add(C::Status.ne(TicketStatus::Cancelled.as_str()))
        .add(Condition::any().add(first_response).add(resolution))
}

fn parse_status(value: &str) -> Result<TicketStatus, StoreError> {
    // The seed stored the initial status as "Start".
    TicketStatus::parse(value)
        .or_else(|| {
            TicketStatus::ALL
                .iter()
                .copied()
                .find(|s| s.label() == value)
        })
        .ok_or_else(|| corrupt("status", value))
}

fn software_from(row: software_catalog::Model) -> Software {
    Software {
        id: SoftwareId(row.id),
        name: row.name,
        version: row.version,
    }
}

#[async_trait]
impl Store for SeaStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.map_err(classify)
    }

    async fn find_user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        users::Entity::find()
            .filter(users::Column::Username.eq(username))
            .one(&self.db)
            .await
            .map_err(classify)?
            .map(user_from)
            .transpose()
    }

    async fn users_by_ids(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
        users::Entity::find()
            .filter(users::Column::Id.is_in(ids.iter().map(|id| id.0)))
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(user_from)
            .collect()
    }

    async fn active_users_with_roles(&self, roles: &[Role]) -> Result<Vec<User>, StoreError> {
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let mut select = users::Entity::find().filter(users::Column::Active.eq(true));
        // Rows written by the seed's SQL carry only is_admin.
        select = if roles.contains(&Role::Admin) {
            select.filter(sea_orm::sea_query::ExprTrait::or(
                users::Column::Role.is_in(names),
                users::Column::IsAdmin.eq(true),
            ))
        } else {
            select.filter(sea_orm::sea_query::ExprTrait::and(
                users::Column::Role.is_in(names),
                users::Column::IsAdmin.eq(false),
            ))
        };
        select
            .order_by_asc(users::Column::Id)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(user_from)
            .collect()
    }

    async fn upsert_user(&self, user: &NewUser) -> Result<User, StoreError> {
        let _guard = self.write_guard().await;
        let row = user_row(user);
        users::Entity::insert(row)
            .on_conflict(
                OnConflict::column(users::Column::Username)
                    .update_columns([
                        users::Column::EmployeeId,
                        users::Column::IsAdmin,
                        users::Column::Role,
                        users::Column::DisplayName,
                        users::Column::Email,
                        users::Column::Phone,
                    ])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(classify)?;
        self.find_user_by_username(&user.username)
            .await?
            .ok_or_else(|| StoreError::Internal("user vanished after upsert".to_owned()))
    }

    async fn create_user(&self, user: &NewUser) -> Result<User, StoreError> {
        let _guard = self.write_guard().await;
        let row = user_row(user)
            .insert(&self.db)
            .await
            .map_err(|e| match classify(e) {
                StoreError::Conflict(_) => {
                    StoreError::Conflict(format!("username {} is taken", user.username))
                }
                other => other,
            })?;
        user_from(row)
    }

    async fn update_user(&self, id: UserId, patch: UserPatch) -> Result<Option<User>, StoreError> {
        {
            let _guard = self.write_guard().await;
            let mut update = users::Entity::update_many().filter(users::Column::Id.eq(id.0));
            if let Some(role) = patch.role {
                update = update
                    .col_expr(users::Column::Role, Expr::value(role.as_str()))
                    .col_expr(users::Column::IsAdmin, Expr::value(role == Role::Admin));
            }
            if let Some(active) = patch.active {
                update = update.col_expr(users::Column::Active, Expr::value(active));
            }
            if patch.revoke_tokens {
                update = update.col_expr(
                    users::Column::TokenGeneration,
                    Expr::col(users::Column::TokenGeneration).add(1),
                );
            }
            if patch.role.is_some() || patch.active.is_some() || patch.revoke_tokens {
                update.exec(&self.db).await.map_err(classify)?;
            }
        }
        Ok(self.users_by_ids(&[id]).await?.into_iter().next())
    }

    async fn list_users(&self, q: &UserQuery) -> Result<Vec<User>, StoreError> {
        let mut select = users::Entity::find();
        if let Some(role) = q.role {
            // Rows written by the seed's SQL carry only is_admin.
            select = select.filter(if role == Role::Admin {
                Condition::any()
                    .add(users::Column::Role.eq(role.as_str()))
                    .add(users::Column::IsAdmin.eq(true))
            } else {
                Condition::all()
                    .add(users::Column::Role.eq(role.as_str()))
                    .add(users::Column::IsAdmin.eq(false))
            });
        }
        if let Some(active) = q.active {
            select = select.filter(users::Column::Active.eq(active));
        }
        if let Some(needle) = &q.search {
            select = select.filter(
                Condition::any()
                    .add(column_contains(users::Column::Username, needle))
                    .add(column_contains(users::Column::DisplayName, needle))
                    .add(column_contains(users::Column::Email, needle)),
            );
        }
        if let Some(after) = q.after {
            select = select.filter(users::Column::Id.gt(after.0));
        }
        select
            .order_by_asc(users::Column::Id)
            .limit(q.limit)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(user_from)
            .collect()
    }

    async fn list_software(&self) -> Result<Vec<Software>, StoreError> {
        Ok(software_catalog::Entity::find()
            .order_by_asc(software_catalog::Column::Name)
            .order_by_asc(software_catalog::Column::Version)
            .order_by_asc(software_catalog::Column::Id)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(software_from)
            .collect())
    }

    async fn get_software(&self, id: SoftwareId) -> Result<Option<Software>, StoreError> {
        Ok(software_catalog::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(classify)?
            .map(software_from))
    }

    async fn upsert_software(&self, name: &str, version: &str) -> Result<Software, StoreError> {
        let _guard = self.write_guard().await;
        let find = || {
            software_catalog::Entity::find()
                .filter(software_catalog::Column::Name.eq(name))
                .filter(software_catalog::Column::Version.eq(version))
                .one(&self.db)
        };
        if let Some(row) = find().await.map_err(classify)? {
            return Ok(software_from(row));
        }
        let row = software_catalog::ActiveModel {
            id: NotSet,
            name: Set(name.to_owned()),
            version: Set(version.to_owned()),
        };
        software_catalog::Entity::insert(row)
            .on_conflict_do_nothing_on([
                software_catalog::Column::Name,
                software_catalog::Column::Version,
            ])
            .exec(&self.db)
            .await
            .map_err(classify)?;
        find()
            .await
            .map_err(classify)?
            .map(software_from)
            .ok_or_else(|| StoreError::Internal("software vanished after insert".to_owned()))
    }

    async fn create_ticket(
        &self,
        format: &TicketNumberFormat,
        new: NewTicket,
    ) -> Result<(Ticket, EventEnvelope), StoreError> {
        let year = new.now.year();
        let counter_year = format.counter_year(year);
        let sequence = if self.is_sqlite() {
            None
        } else {
            Some(self.ensure_sequence(format, counter_year).await?)
        };
        let _guard = self.write_guard().await;
        let txn = self
            .db
            .begin_with_options(Self::write_options())
            .await
            .map_err(classify)?;

        let next = match &sequence {
            Some(name) => self.stmt(&format!("SELECT nextval('{name}') AS value"), "", vec![]),
            None => self.stmt(
                "",
                "INSERT INTO ticket_counters (scope, year, value) VALUES (?, ?, 1) \
                 ON CONFLICT (scope, year) DO UPDATE SET value = value + 1 RETURNING value",
                vec![format.scope().into(), counter_year.into()],
            ),
        };
        let seq: i64 = txn
            .query_one_raw(next)
            .await
            .map_err(classify)?
            .ok_or_else(|| StoreError::Internal("ticket counter returned no row".to_owned()))?
            .try_get("", "value")
            .map_err(classify)?;
        let number = format.render(year, seq);

        let inserted = tickets::ActiveModel {
            id: NotSet,
            ticket_id: Set(number.clone()),
            user_id: Set(new.requester.id.0),
            request_type: Set(new.request_type.as_str().to_owned()),
            software_id: Set(new.software.as_ref().map(|s| s.id.0)),
            description: Set(new.description.clone()),
            status: Set(TicketStatus::Start.as_str().to_owned()),
            priority: Set(new.priority.as_str().to_owned()),
            assignee_id: Set(None),
            created_at: Set(new.now),
            updated_at: Set(new.now),
            version: Set(1),
            first_response_due_at: Set(Some(new.first_response_due_at)),
            resolution_due_at: Set(Some(new.resolution_due_at)),
            first_responded_at: Set(None),
            resolved_at: Set(None),
        }
        .insert(&txn)
        .await
        .map_err(classify)?;
        let (ticket, event) = new_ticket_parts(TicketId(inserted.id), number, &new);

        ticket_history::ActiveModel {
            id: NotSet,
            ticket_id: Set(inserted.id),
            status: Set(ticket.status.as_str().to_owned()),
            notes: Set(Some(CREATED_NOTE.to_owned())),
            actor_id: Set(Some(new.requester.id.0)),
            updated_at: Set(new.now),
        }
        .insert(&txn)
        .await
        .map_err(classify)?;

        self.insert_outbox(&txn, &event, new.now).await?;
        txn.commit().await.map_err(classify)?;
        Ok((ticket, event))
    }

    async fn update_ticket(
        &self,
        change: super::TicketChange,
    ) -> Result<(Ticket, EventEnvelope), StoreError> {
        let _guard = self.write_guard().await;
        let txn = self
            .db
            .begin_with_options(Self::write_options())
            .await
            .map_err(classify)?;
        let (ticket, event) = change.apply();
        // Optimistic concurrency: only the holder of the current version wins.
        let updated = tickets::Entity::update_many()
            .col_expr(
                tickets::Column::Status,
                sea_orm::sea_query::Expr::value(ticket.status.as_str()),
            )
            .col_expr(
                tickets::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(ticket.updated_at),
            )
            .col_expr(
                tickets::Column::Version,
                sea_orm::sea_query::Expr::value(ticket.version),
            )
            .col_expr(
                tickets::Column::AssigneeId,
                sea_orm::sea_query::Expr::value(ticket.assignee.map(|a| a.0)),
            )
            .col_expr(
                tickets::Column::Priority,
                Expr::value(ticket.priority.as_str()),
            )
            .col_expr(
                tickets::Column::FirstResponseDueAt,
                Expr::value(ticket.first_response_due_at),
            )
            .col_expr(
                tickets::Column::ResolutionDueAt,
                Expr::value(ticket.resolution_due_at),
            )
            .col_expr(
                tickets::Column::FirstRespondedAt,
                Expr::value(ticket.first_responded_at),
            )
            .col_expr(tickets::Column::ResolvedAt, Expr::value(ticket.resolved_at))
            .filter(tickets::Column::Id.eq(ticket.id.0))
            .filter(tickets::Column::Version.eq(change.ticket.version))
            .exec(&txn)
            .await
            .map_err(classify)?;
        if updated.rows_affected != 1 {
            txn.rollback().await.map_err(classify)?;
            return Err(StoreError::Conflict(super::STALE_VERSION.to_owned()));
        }
        ticket_history::ActiveModel {
            id: NotSet,
            ticket_id: Set(ticket.id.0),
            status: Set(ticket.status.as_str().to_owned()),
            notes: Set(change.note.clone()),
            actor_id: Set(Some(change.actor.id.0)),
            updated_at: Set(change.now),
        }
        .insert(&txn)
        .await
        .map_err(classify)?;
        self.insert_outbox(&txn, &event, change.now).await?;
        txn.commit().await.map_err(classify)?;
        Ok((ticket, event))
    }

    async fn get_ticket(&self, number: &str) -> Result<Option<Ticket>, StoreError> {
        tickets::Entity::find()
            .filter(tickets::Column::TicketId.eq(number))
            .one(&self.db)
            .await
            .map_err(classify)?
            .map(ticket_from)
            .transpose()
    }

    async fn list_tickets(&self, q: &TicketQuery) -> Result<Vec<Ticket>, StoreError> {
        use sea_orm::sea_query::{NullOrdering, Order};
        let mut select = tickets::Entity::find();
        if let Some(requester) = q.requester {
            select = select.filter(tickets::Column::UserId.eq(requester.0));
        }
        if let Some(status) = q.status {
            select = select.filter(tickets::Column::Status.eq(status.as_str()));
        }
        if let Some(kind) = q.request_type {
            select = select.filter(tickets::Column::RequestType.eq(kind.as_str()));
        }
        if let Some(number) = &q.number {
            select = select.filter(tickets::Column::TicketId.eq(number.as_str()));
        }
        if let Some(priority) = q.priority {
            select = select.filter(tickets::Column::Priority.eq(priority.as_str()));
        }
        match q.assignee {
            Some(AssigneeQuery::Is(id)) => {
                select = select.filter(tickets::Column::AssigneeId.eq(id.0));
            }
            Some(AssigneeQuery::Unassigned) => {
                select = select.filter(tickets::Column::AssigneeId.is_null());
            }
            None => {}
        }
        if let Some(breached) = q.breached {
            let condition = breached_condition(q.now.unwrap_or_else(Utc::now));
            select = select.filter(if breached { condition } else { condition.not() });
        }
        if let Some(needle) = &q.search {
            select = select.filter(
                Condition::any()
                    .add(column_contains(tickets::Column::TicketId, needle))
                    .add(column_contains(tickets::Column::Description, needle)),
            );
        }
        select = match q.sort {
            TicketSort::Newest => {
                if let Some(before) = q.before {
                    select = select.filter(tickets::Column::Id.lt(before.0));
                }
                select.order_by_desc(tickets::Column::Id)
            }
            TicketSort::Oldest => select.order_by_asc(tickets::Column::Id),
            TicketSort::ResolutionDue => select
                .order_by_with_nulls(
                    tickets::Column::ResolutionDueAt,
                    Order::Asc,
                    NullOrdering::Last,
                )
                .order_by_asc(tickets::Column::Id),
            TicketSort::FirstResponseDue => select
                .order_by_with_nulls(
                    tickets::Column::FirstResponseDueAt,
                    Order::Asc,
                    NullOrdering::Last,
                )
                .order_by_asc(tickets::Column::Id),
        };
        if q.sort != TicketSort::Newest && q.offset > 0 {
            select = select.offset(q.offset);
        }
        select
            .limit(q.limit)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(ticket_from)
            .collect()
    }

    async fn add_comment(
        &self,
        new: NewComment,
    ) -> Result<(Comment, Ticket, EventEnvelope), StoreError> {
        let _guard = self.write_guard().await;
        let txn = self
            .db
            .begin_with_options(Self::write_options())
            .await
            .map_err(classify)?;
        let mut find = tickets::Entity::find_by_id(new.ticket.id.0);
        if !self.is_sqlite() {
            // Hold the row so a concurrent change cannot interleave with
            // this comment's first-response and updated_at bookkeeping.
            find = find.lock_exclusive();
        }
        let current = find
            .one(&txn)
            .await
            .map_err(classify)?
            .ok_or_else(|| StoreError::Internal("no such ticket".to_owned()))
            .and_then(ticket_from)?;
        let inserted = ticket_comments::ActiveModel {
            id: NotSet,
            ticket_id: Set(current.id.0),
            author_id: Set(new.author.id.0),
            body: Set(new.body.clone()),
            internal: Set(new.internal),
            created_at: Set(new.now),
        }
        .insert(&txn)
        .await
        .map_err(classify)?;
        let (comment, ticket, event) = new.parts(CommentId(inserted.id), current);
        tickets::Entity::update_many()
            .col_expr(tickets::Column::UpdatedAt, Expr::value(ticket.updated_at))
            .col_expr(
                tickets::Column::FirstRespondedAt,
                Expr::value(ticket.first_responded_at),
            )
            .filter(tickets::Column::Id.eq(ticket.id.0))
            .exec(&txn)
            .await
            .map_err(classify)?;
        self.insert_outbox(&txn, &event, new.now).await?;
        txn.commit().await.map_err(classify)?;
        Ok((comment, ticket, event))
    }

    async fn ticket_comments(
        &self,
        ticket: TicketId,
        include_internal: bool,
    ) -> Result<Vec<Comment>, StoreError> {
        let mut select =
            ticket_comments::Entity::find().filter(ticket_comments::Column::TicketId.eq(ticket.0));
        if !include_internal {
            select = select.filter(ticket_comments::Column::Internal.eq(false));
        }
        Ok(select
            .order_by_asc(ticket_comments::Column::Id)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(comment_from)
            .collect())
    }

    async fn ticket_history(&self, ticket: TicketId) -> Result<Vec<HistoryEntry>, StoreError> {
        ticket_history::Entity::find()
            .filter(ticket_history::Column::TicketId.eq(ticket.0))
            .order_by_asc(ticket_history::Column::Id)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(|row| {
                Ok(HistoryEntry {
                    id: row.id,
                    ticket: TicketId(row.ticket_id),
                    status: parse_status(&row.status)?,
                    notes: row.notes,
                    actor: row.actor_id.map(UserId),
                    at: row.updated_at,
                })
            })
            .collect()
    }

    async fn claim_outbox(
        &self,
        limit: u64,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let _guard = self.write_guard().await;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // Claim and lease in one statement; SKIP LOCKED lets several relays
        // share the table on PostgreSQL without waiting on each other.
        let claim = self.stmt(
            "UPDATE outbox SET claimed_until = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL \
               AND (claimed_until IS NULL OR claimed_until < $2) \
               ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING id, event_id, event_type, ticket_number, payload, attempts",
            "UPDATE outbox SET claimed_until = ?, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL \
               AND (claimed_until IS NULL OR claimed_until < ?) \
               ORDER BY id LIMIT ?) \
             RETURNING id, event_id, event_type, ticket_number, payload, attempts",
            vec![(now + lease).into(), now.into(), limit.into()],
        );
        let txn = self
            .db
            .begin_with_options(Self::write_options())
            .await
            .map_err(classify)?;
        let rows = txn.query_all_raw(claim).await.map_err(classify)?;
        txn.commit().await.map_err(classify)?;
        let mut records = rows
            .into_iter()
            .map(|row| {
                Ok(OutboxRecord {
                    id: row.try_get("", "id").map_err(classify)?,
                    event_id: row.try_get("", "event_id").map_err(classify)?,
                    event_type: row.try_get("", "event_type").map_err(classify)?,
                    ticket_number: row.try_get("", "ticket_number").map_err(classify)?,
                    payload: row.try_get("", "payload").map_err(classify)?,
                    attempts: row.try_get("", "attempts").map_err(classify)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        records.sort_by_key(|r| r.id);
        Ok(records)
    }

    async fn mark_outbox_sent(&self, ids: &[i64], now: DateTime<Utc>) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let _guard = self.write_guard().await;
        outbox::Entity::update_many()
            .col_expr(outbox::Column::SentAt, sea_orm::sea_query::Expr::value(now))
            .col_expr(
                outbox::Column::LastError,
                sea_orm::sea_query::Expr::value(Option::<String>::None),
            )
            .filter(outbox::Column::Id.is_in(ids.iter().copied()))
            .exec(&self.db)
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn release_outbox(&self, id: i64, error: &str) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let error: String = error.chars().take(1000).collect();
        outbox::Entity::update_many()
            .col_expr(
                outbox::Column::ClaimedUntil,
                sea_orm::sea_query::Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                outbox::Column::LastError,
                sea_orm::sea_query::Expr::value(error),
            )
            .filter(outbox::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn count_unsent_outbox(&self) -> Result<u64, StoreError> {
        use sea_orm::PaginatorTrait;
        outbox::Entity::find()
            .filter(outbox::Column::SentAt.is_null())
            .count(&self.db)
            .await
            .map_err(classify)
    }

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

    async fn was_delivered(
        &self,
        event_id: uuid::Uuid,
        sink: &str,
        recipient: &str,
    ) -> Result<bool, StoreError> {
        let query = self.stmt(
            "SELECT 1 AS one FROM notification_deliveries WHERE event_id = $1 AND sink = $2 AND recipient = $3 AND status = 'DELIVERED'",
            "SELECT 1 AS one FROM notification_deliveries WHERE event_id = ? AND sink = ? AND recipient = ? AND status = 'DELIVERED'",
            vec![event_id.into(), sink.into(), recipient.into()],
        );
        Ok(self
            .db
            .query_one_raw(query)
            .await
            .map_err(classify)?
            .is_some())
    }

    async fn record_delivery(&self, record: &DeliveryRecord) -> Result<(), StoreError> {
        self.record_deliveries(std::slice::from_ref(record)).await
    }

    async fn delivered_among(
        &self,
        keys: &[super::DeliveryKey],
    ) -> Result<HashSet<super::DeliveryKey>, StoreError> {
        if keys.is_empty() {
            return Ok(HashSet::new());
        }
        // One query per batch: every delivered row of these events, then
        // the (sink, recipient) pairs asked about.
        let mut ids: Vec<uuid::Uuid> = keys.iter().map(|k| k.event_id).collect();
        ids.sort();
        ids.dedup();
        let placeholders = self.placeholders(ids.len(), 1);
        let sql = format!(
            "SELECT event_id, sink, recipient FROM notification_deliveries \
             WHERE status = 'DELIVERED' AND event_id IN ({placeholders})"
        );
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                self.backend,
                sql,
                ids.into_iter().map(Value::from),
            ))
            .await
            .map_err(classify)?;
        let mut found = HashSet::new();
        for row in rows {
            found.insert(super::DeliveryKey {
                event_id: row.try_get("", "event_id").map_err(classify)?,
                sink: row.try_get("", "sink").map_err(classify)?,
                recipient: row.try_get("", "recipient").map_err(classify)?,
            });
        }
        Ok(keys
            .iter()
            .filter(|k| found.contains(*k))
            .cloned()
            .collect())
    }

    async fn record_deliveries(&self, records: &[DeliveryRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        // One statement may not upsert the same row twice: fold repeats of
        // a key first, as consecutive single upserts would.
        let mut merged: Vec<DeliveryRecord> = Vec::with_capacity(records.len());
        for record in records {
            match merged.iter_mut().find(|m| {
                m.event_id == record.event_id
                    && m.sink == record.sink
                    && m.recipient == record.recipient
            }) {
                Some(existing) if existing.status == DeliveryStatus::Delivered => {}
                Some(existing) => {
                    existing.status = record.status;
                    existing.attempts = existing.attempts.saturating_add(record.attempts);
                    existing.last_error = record.last_error.clone();
                    existing.at = record.at;
                    existing.next_attempt_at = record.next_attempt_at;
                }
                None => merged.push(record.clone()),
            }
        }
        let _guard = self.write_guard().await;
        // Bounded statements: at most 500 rows (5,500 parameters) each.
        for chunk in merged.chunks(500) {
            let mut values = Vec::with_capacity(chunk.len() * 11);
            let mut rows = Vec::with_capacity(chunk.len());
            for (i, record) in chunk.iter().enumerate() {
                rows.push(format!("({})", numbered(11, i * 11 + 1)));
                let error: Option<String> = record
                    .last_error
                    .as_ref()
                    .map(|e| e.chars().take(1000).collect());
                values.extend([
                    record.event_id.into(),
                    record.event_type.clone().into(),
                    record.ticket_number.clone().into(),
                    record.sink.clone().into(),
                    record.recipient.clone().into(),
                    record.status.as_str().into(),
                    record.attempts.into(),
                    error.into(),
                    record.at.into(),
                    record.at.into(),
                    record.next_attempt_at.into(),
                ]);
            }
            // A row already delivered stays delivered: a late outcome (a
            // claim that outlived its lease) cannot undo it.
            let sql = format!(
                "INSERT INTO notification_deliveries (event_id, event_type, ticket_number, sink, recipient, status, attempts, last_error, created_at, updated_at, next_attempt_at) \
                 VALUES {} \
                 ON CONFLICT (event_id, sink, recipient) DO UPDATE SET status = excluded.status, \
                 attempts = notification_deliveries.attempts + excluded.attempts, last_error = excluded.last_error, \
                 updated_at = excluded.updated_at, next_attempt_at = excluded.next_attempt_at, claimed_until = NULL \
                 WHERE notification_deliveries.status <> 'DELIVERED'",
                rows.join(", ")
            );
            self.db
                .execute_raw(Statement::from_sql_and_values(self.backend, sql, values))
                .await
                .map_err(classify)?;
        }
        Ok(())
    }

    async fn claim_deliveries(
        &self,
        claims: &[DeliveryClaim],
        options: &ClaimOptions,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        // One row per key, in one order: concurrent claimers lock rows in
        // the same order and so never deadlock.
        let mut claims: Vec<&DeliveryClaim> = claims.iter().collect();
        claims.sort_by(|a, b| {
            (a.key.event_id, &a.key.sink, &a.key.recipient).cmp(&(
                b.key.event_id,
                &b.key.sink,
                &b.key.recipient,
            ))
        });
        claims.dedup_by(|a, b| a.key == b.key);
        if claims.is_empty() {
            return Ok(Vec::new());
        }
        let failed_too = if options.replay {
            " OR notification_deliveries.status = 'FAILED'"
        } else {
            ""
        };
        let _guard = self.write_guard().await;
        let mut won = Vec::with_capacity(claims.len());
        for chunk in claims.chunks(500) {
            // $1 now, $2 lease end, $3 retry horizon; five values per row.
            let mut values: Vec<Value> = vec![
                options.now.into(),
                (options.now + options.lease).into(),
                options.retry_until.into(),
            ];
            let mut rows = Vec::with_capacity(chunk.len());
            for (i, claim) in chunk.iter().enumerate() {
                rows.push(format!(
                    "({}, 'PENDING', 0, NULL, $1, $1, $2, $1, $3)",
                    numbered(5, 4 + i * 5)
                ));
                values.extend([
                    claim.key.event_id.into(),
                    claim.event_type.clone().into(),
                    claim.ticket_number.clone().into(),
                    claim.key.sink.clone().into(),
                    claim.key.recipient.clone().into(),
                ]);
            }
            let sql = format!(
                "INSERT INTO notification_deliveries (event_id, event_type, ticket_number, sink, recipient, status, attempts, last_error, created_at, updated_at, claimed_until, next_attempt_at, retry_until) \
                 VALUES {} \
                 ON CONFLICT (event_id, sink, recipient) DO UPDATE SET status = 'PENDING', \
                 claimed_until = excluded.claimed_until, next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at, \
                 retry_until = CASE WHEN notification_deliveries.status = 'FAILED' THEN excluded.retry_until ELSE notification_deliveries.retry_until END \
                 WHERE (notification_deliveries.status = 'PENDING' \
                   AND (notification_deliveries.next_attempt_at IS NULL OR notification_deliveries.next_attempt_at <= $1) \
                   AND (notification_deliveries.claimed_until IS NULL OR notification_deliveries.claimed_until < $1)){failed_too} \
                 RETURNING event_id, sink, recipient, attempts, retry_until",
                rows.join(", ")
            );
            let returned = self
                .db
                .query_all_raw(Statement::from_sql_and_values(self.backend, sql, values))
                .await
                .map_err(classify)?;
            for row in returned {
                won.push(claimed_from(&row, options.retry_until)?);
            }
        }
        Ok(won)
    }

    async fn claim_due_deliveries(
        &self,
        sink: &str,
        limit: u64,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let lock = if self.is_sqlite() {
            ""
        } else {
            " FOR UPDATE SKIP LOCKED"
        };
        let sql = format!(
            "UPDATE notification_deliveries SET claimed_until = $1 \
             WHERE id IN (SELECT id FROM notification_deliveries WHERE status = 'PENDING' AND sink = $2 \
               AND (next_attempt_at IS NULL OR next_attempt_at <= $3) \
               AND (claimed_until IS NULL OR claimed_until < $3) \
               ORDER BY next_attempt_at, id LIMIT $4{lock}) \
             RETURNING event_id, event_type, ticket_number, sink, recipient, attempts, retry_until"
        );
        let rows = {
            let _guard = self.write_guard().await;
            self.db
                .query_all_raw(Statement::from_sql_and_values(
                    self.backend,
                    sql,
                    vec![(now + lease).into(), sink.into(), now.into(), limit.into()],
                ))
                .await
                .map_err(classify)?
        };
        let mut due = Vec::with_capacity(rows.len());
        for row in &rows {
            due.push(DueDelivery {
                claimed: claimed_from(row, now)?,
                event_type: row.try_get("", "event_type").map_err(classify)?,
                ticket_number: row.try_get("", "ticket_number").map_err(classify)?,
                payload: None,
            });
        }
        if due.is_empty() {
            return Ok(due);
        }
        let mut ids: Vec<uuid::Uuid> = due.iter().map(|d| d.claimed.key.event_id).collect();
        ids.sort();
        ids.dedup();
        let sql = format!(
            "SELECT event_id, payload FROM outbox WHERE event_id IN ({})",
            numbered(ids.len(), 1)
        );
        let payloads: std::collections::HashMap<uuid::Uuid, String> = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                self.backend,
                sql,
                ids.into_iter().map(Value::from),
            ))
            .await
            .map_err(classify)?
            .into_iter()
            .map(|row| {
                Ok((
                    row.try_get("", "event_id").map_err(classify)?,
                    row.try_get("", "payload").map_err(classify)?,
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        for delivery in &mut due {
            delivery.payload = payloads.get(&delivery.claimed.key.event_id).cloned();
        }
        due.sort_by_key(|d| (d.claimed.key.event_id, d.claimed.key.recipient.clone()));
        Ok(due)
    }

    async fn deliveries_for_ticket(&self, number: &str) -> Result<Vec<DeliveryRecord>, StoreError> {
        let query = self.stmt(
            "SELECT event_id, event_type, ticket_number, sink, recipient, status, attempts, last_error, updated_at, next_attempt_at \
             FROM notification_deliveries WHERE ticket_number = $1 ORDER BY id",
            "SELECT event_id, event_type, ticket_number, sink, recipient, status, attempts, last_error, updated_at, next_attempt_at \
             FROM notification_deliveries WHERE ticket_number = ? ORDER BY id",
            vec![number.into()],
        );
        self.db
            .query_all_raw(query)
            .await
            .map_err(classify)?
            .into_iter()
            .map(|row| {
                let status: String = row.try_get("", "status").map_err(classify)?;
                Ok(DeliveryRecord {
                    event_id: row.try_get("", "event_id").map_err(classify)?,
                    event_type: row.try_get("", "event_type").map_err(classify)?,
                    ticket_number: row.try_get("", "ticket_number").map_err(classify)?,
                    sink: row.try_get("", "sink").map_err(classify)?,
                    recipient: row.try_get("", "recipient").map_err(classify)?,
                    status: DeliveryStatus::parse(&status)
                        .ok_or_else(|| corrupt("delivery status", &status))?,
                    attempts: row.try_get("", "attempts").map_err(classify)?,
                    last_error: row.try_get("", "last_error").map_err(classify)?,
                    at: row.try_get("", "updated_at").map_err(classify)?,
                    next_attempt_at: row.try_get("", "next_attempt_at").map_err(classify)?,
                })
            })
            .collect()
    }
}
