//! The catalogue: every piece of metadata (repositories, components, assets, blob references,
//! users, blob stores) in one SQL database.
//!
//! One implementation serves both back ends through sqlx's `Any` driver: the embedded SQLite
//! file (the default) and PostgreSQL (`postgres://…`). The SQL is written once in the dialect both
//! accept (`$n` placeholders, `ON CONFLICT`, `RETURNING`); the schema lives per back end in
//! `migrations/sqlite` and `migrations/postgres` and is applied at start-up. SQL appears only in
//! this module's files, one per area.

mod assets;
mod blob_stores;
mod downloads;
mod page_token;
mod pg_url;
mod repositories;
mod roles;
mod search;
mod settings;
mod ui_sessions;
mod uploads;
mod user_tokens;
mod users;

pub use assets::{AssetPage, ComponentWithAssets, DOWNLOAD_RECORD_INTERVAL_MS};
pub use downloads::DownloadFlusher;
pub use page_token::PageToken;
pub use search::{DigestHit, SearchHit};
pub use ui_sessions::UiSession;
pub use uploads::UploadSession;

use crate::{CoreError, Result};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Executor};
use std::time::Duration;

/// Which database the catalogue runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Handle to the catalogue database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Catalogue {
    pool: AnyPool,
    backend: Backend,
    /// The runtime that owns every pooled connection (see [`Catalogue::conn`]).
    runtime: tokio::runtime::Handle,
    /// Downloads noted and not yet written (see `downloads.rs`).
    downloads: std::sync::Arc<downloads::PendingDownloads>,
}

impl Catalogue {
    /// Connects to `url` (`sqlite://…` or `postgres://…`) and applies pending migrations. A
    /// PostgreSQL URL that names no user connects as `PGUSER`, else as the OS user (as `psql`).
    pub async fn connect(url: &str) -> Result<Self> {
        install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let url = &match backend {
            Backend::Postgres => {
                pg_url::with_default_user(url, std::env::var("PGUSER").ok(), pg_url::os_user)
            }
            Backend::Sqlite => url.to_owned(),
        };
        let mut options = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(30));
        if backend == Backend::Sqlite {
            // WAL lets readers run beside the one writer; FULL sync makes every commit durable;
            // the busy timeout turns writer contention into a short wait instead of an error.
            options = options.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; \
                         PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;",
                    )
                    .await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect(url).await?;
        repositories::refuse_names_differing_in_case(&pool).await?;
        match backend {
            Backend::Sqlite => sqlx::migrate!("../../migrations/sqlite").run(&pool).await?,
            Backend::Postgres => {
                sqlx::migrate!("../../migrations/postgres")
                    .run(&pool)
                    .await?
            }
        }
        Ok(Self {
            pool,
            backend,
            runtime: tokio::runtime::Handle::current(),
            downloads: Default::default(),
        })
    }

    /// The database in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks the database answers (for the status endpoints).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// A pooled connection, acquired on the runtime that built the catalogue.
    ///
    /// actix runs each HTTP worker (and each per-repository listener's workers) on a runtime of
    /// its own, and a PostgreSQL connection's socket belongs to the runtime that opened it: a
    /// connection opened by a listener that is later closed would die with that listener's
    /// runtime, failing whatever query next uses it. Acquiring here makes the long-lived
    /// runtime open (and so own) every connection; any runtime may then use it.
    pub(crate) async fn conn(&self) -> Result<PoolConnection<Any>> {
        // SQLite connections run on threads of their own, tied to no runtime: no hop needed.
        if self.backend == Backend::Sqlite {
            return Ok(self.pool.acquire().await?);
        }
        let pool = self.pool.clone();
        self.runtime
            .spawn(async move { pool.acquire().await })
            .await
            .map_err(|e| CoreError::Internal(format!("catalogue connection task: {e}")))?
            .map_err(Into::into)
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first cannot upgrade to a writer
    /// when another connection committed meanwhile, and fails with "database is locked"
    /// instead of waiting out the busy timeout.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Any>> {
        let conn = self.conn().await?;
        let statement = match self.backend {
            Backend::Sqlite => Some(sqlx::SqlSafeStr::into_sql_str("BEGIN IMMEDIATE")),
            Backend::Postgres => None,
        };
        Ok(sqlx::Transaction::begin(conn, statement).await?)
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A fresh opaque identifier.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// True when `e` is a unique-constraint violation (a name already taken).
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
