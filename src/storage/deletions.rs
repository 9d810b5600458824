//! The persisted deletion schedule.

use async_trait::async_trait;
use sqlx::Row;

use super::Db;
use crate::ports::{DeletionSchedule, RepoError, ScheduledDeletion};

#[async_trait]
impl DeletionSchedule for Db {
    async fn schedule(&self, m: ScheduledDeletion, delete_at_ms: i64) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO scheduled_deletions (chat_id, message_id, delete_at) VALUES ($1, $2, $3) \
             ON CONFLICT (chat_id, message_id) DO UPDATE SET delete_at = excluded.delete_at",
        )
        .bind(m.chat_id)
        .bind(m.message_id)
        .bind(delete_at_ms)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn due(&self, now_ms: i64) -> Result<Vec<ScheduledDeletion>, RepoError> {
        let rows = sqlx::query(
            "SELECT chat_id, message_id FROM scheduled_deletions WHERE delete_at <= $1 ORDER BY delete_at LIMIT 100",
        )
        .bind(now_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok(ScheduledDeletion { chat_id: r.try_get("chat_id")?, message_id: r.try_get("message_id")? }))
            .collect()
    }

    async fn done(&self, m: ScheduledDeletion) -> Result<(), RepoError> {
        sqlx::query("DELETE FROM scheduled_deletions WHERE chat_id = $1 AND message_id = $2")
            .bind(m.chat_id)
            .bind(m.message_id)
            .execute(self.writer())
            .await?;
        Ok(())
    }
}
