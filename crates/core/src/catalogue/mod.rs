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
mod repositories;
mod uploads;
mod users;

pub use assets::{AssetPage, ComponentWithAssets};
pub use uploads::UploadSession;

use crate::Result;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
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
}

impl Catalogue {
    /// Connects to `url` (`sqlite://…` or `postgres://…`) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
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
        match backend {
            Backend::Sqlite => sqlx::migrate!("../../migrations/sqlite").run(&pool).await?,
            Backend::Postgres => {
                sqlx::migrate!("../../migrations/postgres")
                    .run(&pool)
                    .await?
            }
        }
        Ok(Self { pool, backend })
    }

    /// The database in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks the database answers (for the status endpoints).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first cannot upgrade to a writer
    /// when another connection committed meanwhile, and fails with "database is locked"
    /// instead of waiting out the busy timeout.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
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
