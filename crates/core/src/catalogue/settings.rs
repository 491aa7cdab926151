//! Server-wide settings shared by every node.

use super::Catalogue;
use crate::Result;
use sqlx::Row;

impl Catalogue {
    /// The value of setting `key`, setting it to `init()` first if it has none. Concurrent first
    /// calls on several nodes agree on one value.
    pub async fn setting_or_init(
        &self,
        key: &str,
        init: impl FnOnce() -> String,
    ) -> Result<String> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(init())
        .execute(&mut *self.conn().await?)
        .await?;
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(&mut *self.conn().await?)
            .await?;
        Ok(row.try_get("value")?)
    }

    /// The value of setting `key`, if set.
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        Ok(row.map(|r| r.try_get("value")).transpose()?)
    }

    /// Sets `key` to `value`.
    pub async fn put_setting(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(())
    }
}
