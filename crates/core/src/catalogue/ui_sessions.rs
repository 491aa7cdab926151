//! Admin-UI sessions: only the sha256 of each cookie secret.

use super::Catalogue;
use crate::{Result, now_millis};
use sqlx::Row;

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiSession {
    /// The signed-in user.
    pub user_id: String,
    /// The token every state-changing form must carry.
    pub csrf: String,
    /// Expiry, ms since the epoch.
    pub expires_at: i64,
}

impl Catalogue {
    /// Stores a session under `id_hash`.
    pub async fn create_ui_session(&self, id_hash: &str, s: &UiSession) -> Result<()> {
        sqlx::query(
            "INSERT INTO ui_sessions (id_hash, user_id, csrf, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_hash)
        .bind(&s.user_id)
        .bind(&s.csrf)
        .bind(now_millis())
        .bind(s.expires_at)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(())
    }

    /// The unexpired session stored under `id_hash`.
    pub async fn find_ui_session(&self, id_hash: &str) -> Result<Option<UiSession>> {
        let row = sqlx::query(
            "SELECT user_id, csrf, expires_at FROM ui_sessions WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(now_millis())
        .fetch_optional(&mut *self.conn().await?)
        .await?;
        row.map(|r| {
            Ok(UiSession {
                user_id: r.try_get("user_id")?,
                csrf: r.try_get("csrf")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    /// Ends the session stored under `id_hash`, and every expired one.
    pub async fn delete_ui_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM ui_sessions WHERE id_hash = $1 OR expires_at <= $2")
            .bind(id_hash)
            .bind(now_millis())
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// Ends every session of `user_id` (password changed, user disabled).
    pub async fn delete_ui_sessions_of(&self, user_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM ui_sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }
}
