//! Bot messages scheduled for deletion (exported keys), persisted so a restart cannot leave a
//! secret in a chat.

use async_trait::async_trait;

use super::RepoError;

/// A message to delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduledDeletion {
    /// Chat id.
    pub chat_id: i64,
    /// Message id.
    pub message_id: i64,
}

/// The persisted deletion schedule.
#[async_trait]
pub trait DeletionSchedule: Send + Sync {
    /// Schedules `message` for deletion at `delete_at_ms` (idempotent).
    async fn schedule(&self, message: ScheduledDeletion, delete_at_ms: i64) -> Result<(), RepoError>;
    /// Messages whose time has come, oldest first.
    async fn due(&self, now_ms: i64) -> Result<Vec<ScheduledDeletion>, RepoError>;
    /// Removes a message from the schedule (deleted, or gone already).
    async fn done(&self, message: ScheduledDeletion) -> Result<(), RepoError>;
}
