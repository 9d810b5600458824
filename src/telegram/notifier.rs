//! `TelegramNotifier`: the [`Notifier`] port over a paced queue, so Telegram never delays a
//! trade. One worker drains the queue within Telegram's limits (≤ 30 messages/s overall,
//! ≤ 1 message/s per chat) and honours `retry_after` on 429.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use teloxide::prelude::*;
use teloxide::types::ChatId;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::trade_reply::render_notice;
use crate::domain::user::UserId;
use crate::ports::{Notifier, TradeNotice, UserRepo};
use crate::telemetry::Metrics;

/// Minimum spacing between any two messages (≈ 30/s).
const GLOBAL_SPACING: Duration = Duration::from_millis(34);
/// Minimum spacing between two messages to the same chat.
const PER_CHAT_SPACING: Duration = Duration::from_secs(1);

/// Queues notices; a background worker delivers them.
#[derive(Debug, Clone)]
pub struct TelegramNotifier {
    tx: mpsc::UnboundedSender<(UserId, TradeNotice)>,
}

impl TelegramNotifier {
    /// Starts the delivery worker. It stops when every sender is dropped.
    pub fn start(bot: Bot, users: Arc<dyn UserRepo>, metrics: Arc<Metrics>) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(worker(bot, users, metrics, rx));
        (Self { tx }, task)
    }
}

#[async_trait]
impl Notifier for TelegramNotifier {
    async fn notify(&self, user: UserId, notice: TradeNotice) {
        if self.tx.send((user, notice)).is_err() {
            tracing::warn!(user_id = user.0, "notifier stopped; notice dropped");
        }
    }
}

async fn worker(
    bot: Bot,
    users: Arc<dyn UserRepo>,
    metrics: Arc<Metrics>,
    mut rx: mpsc::UnboundedReceiver<(UserId, TradeNotice)>,
) {
    let mut last_any = Instant::now() - GLOBAL_SPACING;
    let mut last_chat: HashMap<i64, Instant> = HashMap::new();
    while let Some((user, notice)) = rx.recv().await {
        let (chat, lang) = match users.get(user).await {
            Ok(Some(u)) if u.is_active => (u.chat_id, u.lang),
            Ok(_) => continue,
            Err(e) => {
                tracing::error!(user_id = user.0, error.message = %e, "cannot load user for a notice");
                continue;
            }
        };
        let text = render_notice(lang, &notice);
        let keyboard = super::alerts_reply::notice_keyboard(lang, &notice);
        let mut ready = last_any + GLOBAL_SPACING;
        if let Some(prev) = last_chat.get(&chat) {
            ready = ready.max(*prev + PER_CHAT_SPACING);
        }
        tokio::time::sleep_until(ready).await;
        deliver(&bot, &metrics, ChatId(chat), &text, keyboard.as_ref()).await;
        last_any = Instant::now();
        last_chat.insert(chat, last_any);
        if last_chat.len() > 10_000 {
            let cutoff = last_any - PER_CHAT_SPACING;
            last_chat.retain(|_, t| *t > cutoff);
        }
    }
}

async fn deliver(
    bot: &Bot,
    metrics: &Metrics,
    chat: ChatId,
    text: &str,
    keyboard: Option<&teloxide::types::InlineKeyboardMarkup>,
) {
    for _ in 0..3 {
        let mut req = bot.send_message(chat, text);
        if let Some(kb) = keyboard {
            req = req.reply_markup(kb.clone());
        }
        match req.await {
            Ok(_) => return,
            Err(teloxide::RequestError::RetryAfter(after)) => {
                metrics.error("telegram_429");
                tokio::time::sleep(after.duration()).await;
            }
            Err(e) => {
                metrics.error("telegram");
                tracing::warn!(chat = chat.0, error.message = %e, "notice not delivered");
                return;
            }
        }
    }
}
