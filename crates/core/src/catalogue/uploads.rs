//! Upload sessions of chunked blob uploads (docker).

use super::Catalogue;
use crate::storage::TmpObject;
use crate::{CoreError, Result, now_millis};
use sqlx::Row;

/// An upload in progress.
#[derive(Debug, Clone)]
pub struct UploadSession {
    /// Session id (the `<uuid>` of `…/blobs/uploads/<uuid>`).
    pub id: String,
    /// Repository it belongs to.
    pub repository_id: String,
    /// Image name it was started for.
    pub image: String,
    /// Blob store holding its chunks.
    pub blob_store: String,
    /// Chunks received so far, in order.
    pub parts: Vec<TmpObject>,
    /// Total bytes received.
    pub size: u64,
}

impl Catalogue {
    /// Records a new, empty session.
    pub async fn create_upload(&self, s: &UploadSession) -> Result<()> {
        let now = now_millis();
        sqlx::query(
            "INSERT INTO upload_sessions (id, repository_id, image, blob_store, parts, size, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&s.id)
        .bind(&s.repository_id)
        .bind(&s.image)
        .bind(&s.blob_store)
        .bind(serde_json::to_string(&s.parts).unwrap_or_else(|_| "[]".into()))
        .bind(i64::try_from(s.size).unwrap_or(i64::MAX))
        .bind(now)
        .bind(now)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(())
    }

    /// The session `id` of repository `repo_id`, if any.
    pub async fn find_upload(&self, repo_id: &str, id: &str) -> Result<Option<UploadSession>> {
        let row = sqlx::query(
            "SELECT id, repository_id, image, blob_store, parts, size FROM upload_sessions \
             WHERE id = $1 AND repository_id = $2",
        )
        .bind(id)
        .bind(repo_id)
        .fetch_optional(&mut *self.conn().await?)
        .await?;
        row.map(|r| {
            Ok(UploadSession {
                id: r.try_get("id")?,
                repository_id: r.try_get("repository_id")?,
                image: r.try_get("image")?,
                blob_store: r.try_get("blob_store")?,
                parts: serde_json::from_str(&r.try_get::<String, _>("parts")?)
                    .map_err(|e| CoreError::Internal(format!("bad upload parts: {e}")))?,
                size: u64::try_from(r.try_get::<i64, _>("size")?).unwrap_or(0),
            })
        })
        .transpose()
    }

    /// Appends a chunk, provided the session still holds `expected_size` bytes (so two
    /// concurrent chunks cannot both land at the same offset). Returns false when it did not.
    pub async fn append_upload_part(
        &self,
        id: &str,
        expected_size: u64,
        parts: &[TmpObject],
        new_size: u64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE upload_sessions SET parts = $1, size = $2, updated_at = $3 \
             WHERE id = $4 AND size = $5",
        )
        .bind(serde_json::to_string(parts).unwrap_or_else(|_| "[]".into()))
        .bind(i64::try_from(new_size).unwrap_or(i64::MAX))
        .bind(now_millis())
        .bind(id)
        .bind(i64::try_from(expected_size).unwrap_or(i64::MAX))
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sessions not touched since `before` (ms since the epoch): abandoned uploads.
    pub async fn stale_uploads(&self, before: i64) -> Result<Vec<UploadSession>> {
        let rows =
            sqlx::query("SELECT id, repository_id FROM upload_sessions WHERE updated_at < $1")
                .bind(before)
                .fetch_all(&mut *self.conn().await?)
                .await?;
        let mut out = Vec::new();
        for r in rows {
            let (id, repo): (String, String) = (r.try_get("id")?, r.try_get("repository_id")?);
            if let Some(s) = self.find_upload(&repo, &id).await? {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// The temporary-object ids of every chunk held by an upload session on `blob_store`: what
    /// a purge of its `tmp/` must keep.
    pub async fn upload_parts_on_store(
        &self,
        blob_store: &str,
    ) -> Result<std::collections::HashSet<String>> {
        let rows = sqlx::query("SELECT parts FROM upload_sessions WHERE blob_store = $1")
            .bind(blob_store)
            .fetch_all(&mut *self.conn().await?)
            .await?;
        let mut ids = std::collections::HashSet::new();
        for r in rows {
            let parts: Vec<TmpObject> = serde_json::from_str(&r.try_get::<String, _>("parts")?)
                .map_err(|e| CoreError::Internal(format!("bad upload parts: {e}")))?;
            ids.extend(parts.into_iter().map(|p| p.id));
        }
        Ok(ids)
    }

    /// Removes a session; returns whether it existed.
    pub async fn delete_upload(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM upload_sessions WHERE id = $1")
            .bind(id)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
