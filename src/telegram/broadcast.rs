//! The Telegram side of broadcasts: sends a payload (text with entities, or `copyMessage` so
//! photos and formatting survive), edits the progress message, and sorts Bot API errors into
//! what the delivery worker does next.

use std::sync::Arc;

use async_trait::async_trait;
use teloxide::prelude::*;
use teloxide::types::{ChatId, MessageEntity, MessageId};
use teloxide::{ApiError, RequestError};

use super::admin_reply::AdminReply;
use crate::domain::lang::Lang;
use crate::domain::user::UserId;
use crate::ports::UserRepo;
use crate::ports::admin::{BroadcastPayload, BroadcastProgress, BroadcastSender, SendOutcome};
use crate::telemetry::Liveness;

/// Sends `payload` to `chat` once.
///
/// # Errors
/// The Bot API error.
pub async fn send_payload(bot: &Bot, chat: ChatId, payload: &BroadcastPayload) -> Result<(), RequestError> {
    match payload {
        BroadcastPayload::Text { text, entities } => {
            let mut req = bot.send_message(chat, text);
            let entities: Vec<MessageEntity> = serde_json::from_value(entities.clone()).unwrap_or_default();
            if !entities.is_empty() {
                req = req.entities(entities);
            }
            req.await?;
        }
        BroadcastPayload::Copy { from_chat_id, message_id } => {
            bot.copy_message(chat, ChatId(*from_chat_id), MessageId(*message_id)).await?;
        }
    }
    Ok(())
}

/// [`BroadcastSender`] over the Bot API.
#[derive(Clone)]
pub struct TelegramBroadcastSender {
    bot: Bot,
    users: Arc<dyn UserRepo>,
    liveness: Arc<Liveness>,
}

impl std::fmt::Debug for TelegramBroadcastSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramBroadcastSender").finish_non_exhaustive()
    }
}

impl TelegramBroadcastSender {
    /// Creates the sender.
    pub fn new(bot: Bot, users: Arc<dyn UserRepo>, liveness: Arc<Liveness>) -> Self {
        Self { bot, users, liveness }
    }

    fn ok(&self) -> SendOutcome {
        self.liveness.telegram_ok(chrono::Utc::now().timestamp_millis());
        SendOutcome::Sent
    }
}

#[async_trait]
impl BroadcastSender for TelegramBroadcastSender {
    async fn deliver(&self, chat_id: i64, payload: &BroadcastPayload) -> SendOutcome {
        match send_payload(&self.bot, ChatId(chat_id), payload).await {
            Ok(()) => self.ok(),
            Err(e) => classify(e),
        }
    }

    async fn show_progress(&self, admin: UserId, status: (i64, i32), progress: &BroadcastProgress) -> SendOutcome {
        let lang = self.users.get(admin).await.ok().flatten().map_or(Lang::En, |u| u.lang);
        let reply = AdminReply::BroadcastProgress(*progress);
        let mut req = self.bot.edit_message_text(ChatId(status.0), MessageId(status.1), reply.text(lang));
        if let Some(kb) = reply.keyboard(lang) {
            req = req.reply_markup(kb);
        }
        match req.await {
            Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => self.ok(),
            Err(e) => classify(e),
        }
    }
}

/// What the worker does after a Bot API error.
pub fn classify(e: RequestError) -> SendOutcome {
    match e {
        RequestError::RetryAfter(after) => SendOutcome::RetryAfter(after.duration()),
        RequestError::Api(
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::ChatNotFound
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots,
        ) => SendOutcome::Blocked,
        // 5xx ("Internal Server Error", "Bad Gateway"): Telegram did not process it.
        RequestError::Api(ApiError::Unknown(text)) if text.starts_with("Internal") || text.contains("Gateway") => {
            SendOutcome::Transient(text)
        }
        RequestError::Api(other) => SendOutcome::Failed(other.to_string()),
        RequestError::MigrateToChatId(_) => SendOutcome::Failed(e.to_string()),
        // Nothing reached Telegram: safe to retry.
        RequestError::Network(ref n) if n.is_connect() => SendOutcome::Transient(e.to_string()),
        // The request may have been processed (timeout after sending, unreadable answer).
        other => SendOutcome::Ambiguous(other.to_string()),
    }
}
