//! Key/value settings (KDF parameters, key-check values, kill switch, …).

use sqlx::Row;

use super::Db;
use crate::ports::RepoError;

/// Global settings stored in the `settings` table.
pub trait SettingsRepo {
    /// Reads a setting.
    fn get_setting(&self, key: &str) -> impl Future<Output = Result<Option<String>, RepoError>> + Send;
    /// Writes (inserts or replaces) a setting.
    fn put_setting(&self, key: &str, value: &str) -> impl Future<Output = Result<(), RepoError>> + Send;
}

impl SettingsRepo for Db {
    async fn get_setting(&self, key: &str) -> Result<Option<String>, RepoError> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key.to_owned())
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get::<String, _>("value")).transpose()?)
    }

    async fn put_setting(&self, key: &str, value: &str) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key.to_owned())
        .bind(value.to_owned())
        .bind(chrono::Utc::now().timestamp_millis())
        .execute(self.writer())
        .await?;
        Ok(())
    }
}
