//! User tokens: only their hashes.

use super::Catalogue;
use crate::security::user_tokens::UserToken;
use crate::{CoreError, Result, now_millis};
use sqlx::Row;
use sqlx::any::AnyRow;

fn from_row(r: &AnyRow) -> Result<UserToken> {
    Ok(UserToken {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        name: r.try_get("name")?,
        created: r.try_get("created_at")?,
        expires: r.try_get("expires_at")?,
        last_used: r.try_get("last_used")?,
    })
}

macro_rules! token_columns {
    () => {
        "id, user_id, name, created_at, expires_at, last_used"
    };
}

impl Catalogue {
    /// Stores token `t` with the sha256 `hash` of its secret; a name the user already uses is a
    /// validation error on `name`.
    pub async fn create_user_token(&self, t: &UserToken, hash: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO user_tokens (id, user_id, name, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&t.id)
        .bind(&t.user_id)
        .bind(&t.name)
        .bind(hash)
        .bind(t.created)
        .bind(t.expires)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(|e| {
            if super::is_unique_violation(&e) {
                CoreError::invalid(
                    "name",
                    format!("you already have a token named '{}'", t.name),
                )
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    /// The tokens of `user_id`, newest first.
    pub async fn list_user_tokens(&self, user_id: &str) -> Result<Vec<UserToken>> {
        sqlx::query(concat!(
            "SELECT ",
            token_columns!(),
            " FROM user_tokens WHERE user_id = $1 ORDER BY created_at DESC, name"
        ))
        .bind(user_id)
        .fetch_all(&mut *self.conn().await?)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    /// The token whose secret hashes to `hash`.
    pub async fn find_user_token(&self, hash: &str) -> Result<Option<UserToken>> {
        sqlx::query(concat!(
            "SELECT ",
            token_columns!(),
            " FROM user_tokens WHERE token_hash = $1"
        ))
        .bind(hash)
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
    }

    /// Records a use of token `id` now.
    pub async fn touch_user_token(&self, id: &str) -> Result<()> {
        sqlx::query("UPDATE user_tokens SET last_used = $1 WHERE id = $2")
            .bind(now_millis())
            .bind(id)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// Revokes token `id` of `user_id`.
    pub async fn delete_user_token(&self, user_id: &str, id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM user_tokens WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&mut *self.conn().await?)
            .await?;
        if done.rows_affected() == 0 {
            return Err(CoreError::NotFound(format!("token '{id}'")));
        }
        Ok(())
    }
}
