//! Blob store records.

use super::Catalogue;
use crate::model::BlobStoreRecord;
use crate::{CoreError, Result, now_millis};
use sqlx::Row;

impl Catalogue {
    /// Stores a new blob store record; a taken name is a conflict.
    pub async fn create_blob_store(&self, rec: &BlobStoreRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO blob_stores (name, kind, attributes, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&rec.name)
        .bind(&rec.kind)
        .bind(rec.attributes.to_string())
        .bind(now_millis())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(|e| {
            if super::is_unique_violation(&e) {
                CoreError::invalid(
                    "name",
                    format!("a blob store named '{}' already exists", rec.name),
                )
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    /// All blob stores, by name.
    pub async fn list_blob_stores(&self) -> Result<Vec<BlobStoreRecord>> {
        let rows = sqlx::query("SELECT name, kind, attributes FROM blob_stores ORDER BY name")
            .fetch_all(&mut *self.conn().await?)
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(BlobStoreRecord {
                    name: r.try_get("name")?,
                    kind: r.try_get("kind")?,
                    attributes: serde_json::from_str(&r.try_get::<String, _>("attributes")?)
                        .map_err(|e| {
                            CoreError::Internal(format!("bad blob store attributes: {e}"))
                        })?,
                })
            })
            .collect()
    }

    /// Number of blobs and their total size in one store.
    pub async fn blob_store_usage(&self, name: &str) -> Result<(i64, i64)> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes FROM blobs WHERE blob_store = $1",
        )
        .bind(name)
        .fetch_one(&mut *self.conn().await?)
        .await?;
        Ok((r.try_get("n")?, r.try_get("bytes")?))
    }

    /// Whether any repository uses the store.
    pub async fn blob_store_in_use(&self, name: &str) -> Result<bool> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM repositories WHERE blob_store = $1")
            .bind(name)
            .fetch_one(&mut *self.conn().await?)
            .await?;
        Ok(r.try_get::<i64, _>("n")? > 0)
    }
}

impl Catalogue {
    /// Deletes a blob store record with its blob rows (the bytes stay where they are).
    pub async fn delete_blob_store(&self, name: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM blobs WHERE blob_store = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM blob_stores WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(CoreError::NotFound(format!("blob store '{name}'")));
        }
        tx.commit().await?;
        Ok(())
    }
}
