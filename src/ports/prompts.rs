//! Prompts waiting for the user's next typed message (a custom amount, a setting's value).

use async_trait::async_trait;

use super::RepoError;
use crate::domain::user::UserId;

/// A stored prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingInput {
    /// What the answer is for (`buy:<mint>`, `cfg:<key>`, …).
    pub kind: String,
    /// Unix ms after which the prompt is ignored.
    pub expires_at_ms: i64,
}

/// The per-user pending input.
#[async_trait]
pub trait PromptRepo: Send + Sync {
    /// Stores (or replaces) the user's prompt.
    async fn set_prompt(&self, user: UserId, kind: &str, now_ms: i64, expires_at_ms: i64) -> Result<(), RepoError>;
    /// Claims the user's live prompt for message `message_id`: the first message answering it
    /// gets it, and so does a redelivery of that same message; any other message, an expired or
    /// a missing prompt gets `None`.
    async fn claim_prompt(&self, user: UserId, message_id: i64, now_ms: i64)
    -> Result<Option<PendingInput>, RepoError>;
    /// Removes the user's prompt (Cancel). Returns whether a live one was removed.
    async fn clear_prompt(&self, user: UserId, now_ms: i64) -> Result<bool, RepoError>;
}
