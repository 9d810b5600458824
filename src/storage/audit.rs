//! Append-only audit log.

use async_trait::async_trait;

use super::Db;
use crate::ports::{AuditEntry, AuditLog, RepoError};

#[async_trait]
impl AuditLog for Db {
    async fn record(&self, entry: AuditEntry) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO audit_log (actor_user_id, action, target, details, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(entry.actor.map(|u| u.0))
        .bind(entry.action)
        .bind(entry.target)
        .bind(entry.details)
        .bind(chrono::Utc::now().timestamp_millis())
        .execute(self.writer())
        .await?;
        Ok(())
    }
}
