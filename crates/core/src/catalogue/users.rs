//! Local users.

use super::Catalogue;
use crate::model::{User, UserStatus};
use crate::{CoreError, Result, now_millis};
use sqlx::Row;
use sqlx::any::AnyRow;

macro_rules! user_columns {
    () => {
        "user_id, first_name, last_name, email, status, roles, password_hash"
    };
}

fn from_row(r: &AnyRow) -> Result<User> {
    Ok(User {
        user_id: r.try_get("user_id")?,
        first_name: r.try_get("first_name")?,
        last_name: r.try_get("last_name")?,
        email: r.try_get("email")?,
        status: UserStatus::parse(&r.try_get::<String, _>("status")?)?,
        roles: serde_json::from_str(&r.try_get::<String, _>("roles")?)
            .map_err(|e| CoreError::Internal(format!("bad roles: {e}")))?,
        password_hash: r.try_get("password_hash")?,
    })
}

impl Catalogue {
    /// Stores a new user; a taken id is a 400-style validation error on `userId`.
    pub async fn create_user(&self, u: &User) -> Result<()> {
        sqlx::query(concat!(
            "INSERT INTO users (",
            user_columns!(),
            ", created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&u.user_id)
        .bind(&u.first_name)
        .bind(&u.last_name)
        .bind(&u.email)
        .bind(u.status.as_str())
        .bind(serde_json::to_string(&u.roles).unwrap_or_else(|_| "[]".into()))
        .bind(&u.password_hash)
        .bind(now_millis())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(|e| {
            if super::is_unique_violation(&e) {
                CoreError::invalid("userId", format!("a user '{}' already exists", u.user_id))
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    /// The user `user_id`, if any.
    pub async fn find_user(&self, user_id: &str) -> Result<Option<User>> {
        sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE user_id = $1"
        ))
        .bind(user_id)
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
    }

    /// All users, by id.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users ORDER BY user_id"
        ))
        .fetch_all(&mut *self.conn().await?)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    /// Replaces a user's password hash.
    pub async fn set_password_hash(&self, user_id: &str, hash: &str) -> Result<()> {
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE user_id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(&mut *self.conn().await?)
            .await?;
        if done.rows_affected() == 0 {
            return Err(CoreError::NotFound(format!("user '{user_id}'")));
        }
        Ok(())
    }

    /// Replaces a user's names, email, status and roles.
    pub async fn update_user(&self, u: &User) -> Result<()> {
        let done = sqlx::query(
            "UPDATE users SET first_name = $1, last_name = $2, email = $3, status = $4, roles = $5 \
             WHERE user_id = $6",
        )
        .bind(&u.first_name)
        .bind(&u.last_name)
        .bind(&u.email)
        .bind(u.status.as_str())
        .bind(serde_json::to_string(&u.roles).unwrap_or_else(|_| "[]".into()))
        .bind(&u.user_id)
        .execute(&mut *self.conn().await?)
        .await?;
        if done.rows_affected() == 0 {
            return Err(CoreError::NotFound(format!("user '{}'", u.user_id)));
        }
        Ok(())
    }

    /// Deletes a user and the user's tokens.
    pub async fn delete_user(&self, user_id: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM ui_sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM user_tokens WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM users WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(CoreError::NotFound(format!("user '{user_id}'")));
        }
        tx.commit().await?;
        Ok(())
    }
}
