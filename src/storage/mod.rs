//! Storage adapter: sqlx over SQLite (embedded default) or PostgreSQL, one code path.
//!
//! Queries use `$n` placeholders, which both backends accept, and portable types only (BIGINT,
//! TEXT, BLOB/BYTEA); times are unix milliseconds. Migrations live in `migrations/sqlite` and
//! `migrations/postgres` (same tables, dialect-specific DDL).

mod admin;
mod alerts;
mod audit;
mod controls;
mod copy;
mod deletions;
mod intents;
mod orders;
mod outbox;
mod positions;
mod prompts;
mod settings;
mod stats;
mod users;
mod wallets;

use std::path::Path;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

pub use controls::KILL_SWITCH_KEY;
pub use settings::SettingsRepo;

/// Which database engine a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// The database handle shared by all repositories (cheap to clone).
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    /// Writes go here. SQLite: one connection, so writes never contend for the lock and a
    /// read-then-write transaction is never upgraded under another writer (no SQLITE_BUSY /
    /// BUSY_SNAPSHOT); readers use `pool` in WAL. PostgreSQL: the same pool.
    writer: AnyPool,
    backend: Backend,
}

/// Why the database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbOpenError {
    /// The URL is not a SQLite or PostgreSQL URL.
    #[error("DATABASE_URL must start with sqlite: or postgres://")]
    UnsupportedUrl,
    /// The directory for the SQLite file could not be created.
    #[error("cannot create the database directory {path}: {source}")]
    CreateDir {
        /// Directory path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Connecting failed.
    #[error("cannot connect to the database: {0}")]
    Connect(sqlx::Error),
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl Db {
    /// Opens the database: creates the SQLite file (and its directory) if missing, sets SQLite to
    /// WAL with foreign keys, and connects a pool. Does not migrate.
    ///
    /// # Errors
    /// See [`DbOpenError`]; the error never contains the URL (it may hold a password).
    pub async fn connect(url: &SecretString) -> Result<Self, DbOpenError> {
        install_default_drivers();
        let raw = url.expose_secret();
        let (backend, conn_url) = if let Some(rest) = raw.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let file = path.split('?').next().unwrap_or(path);
            if let Some(dir) =
                Path::new(file).parent().filter(|d| file != ":memory:" && !file.is_empty() && !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir)
                    .map_err(|source| DbOpenError::CreateDir { path: dir.display().to_string(), source })?;
            }
            let url = if path.contains("mode=") {
                format!("sqlite://{path}")
            } else if path.contains('?') {
                format!("sqlite://{path}&mode=rwc")
            } else {
                format!("sqlite://{path}?mode=rwc")
            };
            (Backend::Sqlite, url)
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            (Backend::Postgres, raw.to_owned())
        } else {
            return Err(DbOpenError::UnsupportedUrl);
        };
        let mut opts = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            // One writer at a time in SQLite; a small pool plus busy_timeout avoids SQLITE_BUSY.
            opts = opts.max_connections(4).after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;")
                        .await?;
                    Ok(())
                })
            });
        } else {
            opts = opts.max_connections(16);
        }
        let pool = opts.connect(&conn_url).await.map_err(DbOpenError::Connect)?;
        let writer = if backend == Backend::Sqlite {
            pool.execute("PRAGMA journal_mode = WAL;").await.map_err(DbOpenError::Connect)?;
            // The single writer: a queue of writers waits here (not on SQLite's lock).
            AnyPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        conn.execute(
                            "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;",
                        )
                        .await?;
                        Ok(())
                    })
                })
                .connect(&conn_url)
                .await
                .map_err(DbOpenError::Connect)?
        } else {
            pool.clone()
        };
        Ok(Self { pool, writer, backend })
    }

    /// Applies pending migrations for this backend.
    ///
    /// # Errors
    /// A failed or modified migration.
    pub async fn migrate(&self) -> Result<(), DbOpenError> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&self.pool).await?,
        }
        Ok(())
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for repositories in this module and for tests.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool for writes (one connection on SQLite; see [`Db`]).
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// A write transaction. SQLite: `BEGIN IMMEDIATE` on the single writer, so a transaction
    /// that reads before it writes holds the write lock from its first statement and is never
    /// upgraded under another writer (no BUSY_SNAPSHOT). PostgreSQL: a plain `BEGIN`.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.writer.begin().await,
        }
    }

    /// Liveness probe for `/healthz`: a read and a write (an unwritable database is unhealthy,
    /// not "ok").
    pub async fn ping(&self) -> bool {
        if sqlx::query("SELECT 1").execute(&self.pool).await.is_err() {
            return false;
        }
        let now = chrono::Utc::now().timestamp_millis();
        let probe = sqlx::query(
            "INSERT INTO health_probe (id, probed_at) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at",
        )
        .bind(now)
        .execute(&self.writer)
        .await;
        if let Err(e) = &probe {
            tracing::warn!(error.message = %e, "database write probe failed");
        }
        probe.is_ok()
    }

    /// Closes the pools (waits for connections to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

/// Runs `op` again (up to 8 attempts, 5 ms doubling backoff) while it fails with a transient
/// lock or serialization error; any other result is returned as it is. Every wrapped operation
/// is a single transaction or statement, so a failed attempt left nothing behind.
pub(crate) async fn retry_transient<T, E, F, Fut>(mut op: F, transient: impl Fn(&E) -> bool) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut delay = Duration::from_millis(5);
    let mut attempt = 1;
    loop {
        match op().await {
            Err(e) if attempt < 8 && transient(&e) => {
                tracing::warn!(attempt, "transient database error; retrying");
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Converts a stored BIGINT flag to bool.
fn flag(v: i64) -> bool {
    v != 0
}
