//! The per-user pending input (see [`PromptRepo`]).

use async_trait::async_trait;
use sqlx::Row;

use super::Db;
use crate::domain::user::UserId;
use crate::ports::RepoError;
use crate::ports::prompts::{PendingInput, PromptRepo};

#[async_trait]
impl PromptRepo for Db {
    async fn set_prompt(&self, user: UserId, kind: &str, now_ms: i64, expires_at_ms: i64) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO pending_inputs (user_id, kind, expires_at, used_by, created_at) \
             VALUES ($1, $2, $3, NULL, $4) \
             ON CONFLICT (user_id) DO UPDATE SET kind = excluded.kind, expires_at = excluded.expires_at, \
             used_by = NULL, created_at = excluded.created_at",
        )
        .bind(user.0)
        .bind(kind)
        .bind(expires_at_ms)
        .bind(now_ms)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn claim_prompt(
        &self,
        user: UserId,
        message_id: i64,
        now_ms: i64,
    ) -> Result<Option<PendingInput>, RepoError> {
        // One statement: the claim and the read cannot interleave with another claim.
        let row = sqlx::query(
            "UPDATE pending_inputs SET used_by = $2 \
             WHERE user_id = $1 AND expires_at > $3 AND (used_by IS NULL OR used_by = $2) \
             RETURNING kind, expires_at",
        )
        .bind(user.0)
        .bind(message_id)
        .bind(now_ms)
        .fetch_optional(self.writer())
        .await?;
        row.map(|r| Ok(PendingInput { kind: r.try_get("kind")?, expires_at_ms: r.try_get("expires_at")? })).transpose()
    }

    async fn clear_prompt(&self, user: UserId, now_ms: i64) -> Result<bool, RepoError> {
        let done = sqlx::query("DELETE FROM pending_inputs WHERE user_id = $1 RETURNING expires_at, used_by")
            .bind(user.0)
            .fetch_optional(self.writer())
            .await?;
        Ok(done.is_some_and(|r| {
            let expires: i64 = r.try_get("expires_at").unwrap_or(0);
            let used: Option<i64> = r.try_get("used_by").unwrap_or(None);
            expires > now_ms && used.is_none()
        }))
    }
}
