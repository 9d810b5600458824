//! The Telegram side of broadcasts, over the outbox at bulk priority (replies and trade notices
//! always go first): sends a payload (text with entities, or `copyMessage` so photos and
//! formatting survive), edits the progress message, and sorts Bot API errors into what the
//! delivery worker does next. Nothing is retried here: the worker keeps its own per-recipient
//! state (at most once), while a 429 still pauses the whole outbox.

use std::sync::Arc;

use async_trait::async_trait;
use teloxide::types::MessageEntity;

use super::outbox::{Delivered, Envelope, Outbox, Priority, Request, Retry, SendError};
use super::reply::admin::AdminReply;
use crate::domain::lang::Lang;
use crate::domain::user::UserId;
use crate::ports::UserRepo;
use crate::ports::admin::{BroadcastPayload, BroadcastProgress, BroadcastSender, DeliveryClaim, SendOutcome};

/// The request that sends `payload`.
pub fn payload_request(payload: &BroadcastPayload) -> Request {
    match payload {
        BroadcastPayload::Text { text, entities } => {
            let entities: Vec<MessageEntity> = serde_json::from_value(entities.clone()).unwrap_or_default();
            Request::Text { text: text.clone(), markup: None, protect: false, entities }
        }
        BroadcastPayload::Copy { from_chat_id, message_id } => {
            Request::Copy { from_chat: *from_chat_id, message_id: *message_id }
        }
    }
}

/// [`BroadcastSender`] over the outbox.
#[derive(Clone)]
pub struct OutboxBroadcastSender {
    outbox: Outbox,
    users: Arc<dyn UserRepo>,
}

impl std::fmt::Debug for OutboxBroadcastSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxBroadcastSender").finish_non_exhaustive()
    }
}

impl OutboxBroadcastSender {
    /// Creates the sender.
    pub fn new(outbox: Outbox, users: Arc<dyn UserRepo>) -> Self {
        Self { outbox, users }
    }
}

fn outcome(result: Result<Delivered, SendError>) -> SendOutcome {
    match result {
        Ok(Delivered::Ok(_) | Delivered::Chat(_)) => SendOutcome::Sent,
        Ok(Delivered::Skipped) | Err(SendError::Stopped) => SendOutcome::Skipped,
        Err(SendError::RetryAfter(after)) => SendOutcome::RetryAfter(after),
        Err(SendError::Blocked) => SendOutcome::Blocked,
        Err(SendError::Rejected(e)) => SendOutcome::Failed(e),
        Err(SendError::Transient(e)) => SendOutcome::Transient(e),
        Err(SendError::Ambiguous(e)) => SendOutcome::Ambiguous(e),
    }
}

#[async_trait]
impl BroadcastSender for OutboxBroadcastSender {
    async fn deliver(
        &self,
        user: UserId,
        chat_id: i64,
        payload: &BroadcastPayload,
        claim: DeliveryClaim,
    ) -> SendOutcome {
        let envelope = Envelope::new(chat_id, Priority::Bulk, payload_request(payload))
            .retry(Retry::Never)
            .user(user)
            .claim(claim);
        outcome(self.outbox.send_and_wait(envelope).await)
    }

    async fn show_progress(&self, admin: UserId, status: (i64, i32), progress: &BroadcastProgress) -> SendOutcome {
        let lang = self.users.get(admin).await.ok().flatten().map_or(Lang::En, |u| u.lang);
        let reply = AdminReply::BroadcastProgress(*progress);
        let request = Request::Edit { message_id: status.1, text: reply.text(lang), keyboard: reply.keyboard(lang) };
        let envelope = Envelope::new(status.0, Priority::Notice, request).retry(Retry::Never).user(admin);
        outcome(self.outbox.send_and_wait(envelope).await)
    }
}
