//! Repository records.

use super::{Catalogue, new_id};
use crate::model::{RepoKind, Repository};
use crate::{CoreError, Result, now_millis};
use sqlx::Row;
use sqlx::any::AnyRow;

macro_rules! repo_columns {
    () => {
        "id, name, format, kind, online, blob_store, attributes, created_at"
    };
}

fn from_row(r: &AnyRow) -> Result<Repository> {
    let kind: String = r.try_get("kind")?;
    Ok(Repository {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        format: r.try_get("format")?,
        kind: RepoKind::parse(&kind)
            .ok_or_else(|| CoreError::Internal(format!("bad repository kind {kind}")))?,
        online: r.try_get::<i64, _>("online")? != 0,
        blob_store: r.try_get("blob_store")?,
        attributes: serde_json::from_str(&r.try_get::<String, _>("attributes")?)
            .map_err(|e| CoreError::Internal(format!("bad repository attributes: {e}")))?,
        created_at: r.try_get("created_at")?,
    })
}

fn name_taken(name: &str) -> impl FnOnce(sqlx::Error) -> CoreError + '_ {
    move |e| {
        if super::is_unique_violation(&e) {
            taken(name, None)
        } else {
            e.into()
        }
    }
}

/// The error for a new repository whose name is already taken, ignoring case.
fn taken(name: &str, existing: Option<&str>) -> CoreError {
    let message = match existing {
        Some(existing) if existing != name => format!(
            "a repository named '{existing}' already exists; names that differ only in case \
             name the same repository"
        ),
        _ => format!("a repository named '{name}' already exists"),
    };
    CoreError::invalid("name", message)
}

impl Catalogue {
    /// Stores a new repository; `id` and `created_at` of the argument are replaced.
    pub async fn create_repository(&self, repo: &Repository) -> Result<Repository> {
        // The unique index on lower(name) is what guarantees it; this names the holder.
        if let Some(existing) = self.find_repository(&repo.name).await? {
            return Err(taken(&repo.name, Some(&existing.name)));
        }
        let mut repo = repo.clone();
        repo.id = new_id();
        repo.created_at = now_millis();
        sqlx::query(concat!(
            "INSERT INTO repositories (",
            repo_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&repo.id)
        .bind(&repo.name)
        .bind(&repo.format)
        .bind(repo.kind.as_str())
        .bind(i64::from(repo.online))
        .bind(&repo.blob_store)
        .bind(repo.attributes.to_string())
        .bind(repo.created_at)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(name_taken(&repo.name))?;
        Ok(repo)
    }

    /// Saves changed settings (online flag, blob store, attributes) of an existing repository.
    pub async fn update_repository(&self, repo: &Repository) -> Result<()> {
        let done =
            sqlx::query("UPDATE repositories SET online = $1, attributes = $2 WHERE id = $3")
                .bind(i64::from(repo.online))
                .bind(repo.attributes.to_string())
                .bind(&repo.id)
                .execute(&mut *self.conn().await?)
                .await?;
        if done.rows_affected() == 0 {
            return Err(CoreError::NotFound(format!("repository '{}'", repo.name)));
        }
        Ok(())
    }

    /// The repository called `name`, if any, ignoring case
    /// ([`crate::names::same_repository`]; `lower(name)` is indexed).
    pub async fn find_repository(&self, name: &str) -> Result<Option<Repository>> {
        sqlx::query(concat!(
            "SELECT ",
            repo_columns!(),
            " FROM repositories WHERE lower(name) = lower($1)"
        ))
        .bind(name)
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
    }

    /// The repository called `name`, or NotFound.
    pub async fn repository(&self, name: &str) -> Result<Repository> {
        self.find_repository(name)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("repository '{name}'")))
    }

    /// The repository with id `id`, or NotFound.
    pub async fn repository_by_id(&self, id: &str) -> Result<Repository> {
        sqlx::query(concat!(
            "SELECT ",
            repo_columns!(),
            " FROM repositories WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()?
        .ok_or_else(|| CoreError::NotFound(format!("repository id '{id}'")))
    }

    /// All repositories, by name.
    pub async fn list_repositories(&self) -> Result<Vec<Repository>> {
        sqlx::query(concat!(
            "SELECT ",
            repo_columns!(),
            " FROM repositories ORDER BY name"
        ))
        .fetch_all(&mut *self.conn().await?)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    /// Deletes a repository with its components and assets (blobs stay until collected).
    pub async fn delete_repository(&self, name: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let id: Option<String> =
            sqlx::query("SELECT id FROM repositories WHERE lower(name) = lower($1)")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get("id"))
                .transpose()?;
        let id = id.ok_or_else(|| CoreError::NotFound(format!("repository '{name}'")))?;
        sqlx::query("DELETE FROM assets WHERE repository_id = $1")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM components WHERE repository_id = $1")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM repositories WHERE id = $1")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Total bytes of the repository's assets.
    pub async fn repository_size(&self, id: &str) -> Result<i64> {
        let r = sqlx::query(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes FROM assets WHERE repository_id = $1",
        )
        .bind(id)
        .fetch_one(&mut *self.conn().await?)
        .await?;
        Ok(r.try_get("bytes")?)
    }
}

/// Refuses to open a catalogue that holds repositories whose names differ only in case (made
/// before names were compared ignoring case): each pair would be one repository to lookups and
/// privileges. Runs before the migrations, whose unique index on `lower(name)` could not be
/// built on such a catalogue; on a new catalogue (no table yet) it finds nothing.
pub(super) async fn refuse_names_differing_in_case(pool: &sqlx::AnyPool) -> Result<()> {
    let Ok(rows) = sqlx::query("SELECT name FROM repositories ORDER BY name")
        .fetch_all(pool)
        .await
    else {
        return Ok(());
    };
    let mut seen: std::collections::HashMap<String, Vec<String>> = Default::default();
    for row in &rows {
        let name: String = row.try_get("name")?;
        seen.entry(name.to_ascii_lowercase())
            .or_default()
            .push(name);
    }
    let mut pairs: Vec<String> = seen
        .into_values()
        .filter(|names| names.len() > 1)
        .map(|names| names.join("', '"))
        .collect();
    if pairs.is_empty() {
        return Ok(());
    }
    pairs.sort();
    Err(CoreError::Internal(format!(
        "the catalogue holds repositories whose names differ only in case: '{}'. Stowage \
         compares repository names ignoring case (as Nexus does), so each group would be one \
         repository to lookups and privileges. Rename all but one of each group in the \
         catalogue (UPDATE repositories SET name = '<new>' WHERE name = '<old>'; also in any \
         privilege naming it), or delete them with the previous version, then start again \
         (see docs/operations.md, \"Repository names and case\")",
        pairs.join("'; '")
    )))
}
