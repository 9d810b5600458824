//! Durable trade notices: the [`Notifier`] port over the outbox.
//!
//! Delivery rule (at-least-once for trade notices): a notice is rendered in the user's language,
//! stored as `pending` in `outbox_notices`, then queued; it is marked `sent` only after Telegram
//! accepted it (or `failed` when the user blocked the bot or Telegram rejected it). On start,
//! [`OutboxNotifier::resend_pending`] re-queues every pending notice and
//! [`OutboxNotifier::notify_unrecorded_fills`] rebuilds the notice of every fill recorded
//! without one (a kill between the fill and its message). A crash after Telegram
//! accepted a notice and before it was marked can repeat that one message; nothing is lost.

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use solana_pubkey::Pubkey;
use teloxide::types::InlineKeyboardMarkup;

use super::{Delivered, Envelope, Outbox, Priority, Request, Retry, SendError};
use crate::domain::intent::IntentOrigin;
use crate::domain::lang::Lang;
use crate::domain::money::{Lamports, TokenAmount};
use crate::domain::position::Side;
use crate::domain::user::UserId;
use crate::ports::outbox::{NewNotice, NoticeState, NoticeStore, RecordedFill};
use crate::ports::{Clock, Notifier, TradeNotice, UserRepo};
use crate::telegram::reply::{notice_keyboard, render_notice, render_working};
use crate::telemetry::Metrics;

/// Fills older than this are never re-notified on start.
const RECONCILE_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// Settled notices are kept this long (the start-up check counts them).
const KEEP_SETTLED: Duration = Duration::from_secs(48 * 3600);

/// Stores and sends trade notices.
#[derive(Clone)]
pub struct OutboxNotifier {
    outbox: Outbox,
    users: Arc<dyn UserRepo>,
    store: Arc<dyn NoticeStore>,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
    /// Stored notices this process has queued already (recovery notifies before `resume`):
    /// `resume` re-queues only the ones a previous run left pending, so none goes out twice.
    queued: Arc<std::sync::Mutex<std::collections::HashSet<i64>>>,
}

impl std::fmt::Debug for OutboxNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxNotifier").finish_non_exhaustive()
    }
}

fn kind(notice: &TradeNotice) -> &'static str {
    match notice {
        TradeNotice::Filled { .. } => "fill",
        TradeNotice::Refused { .. } => "refused",
        TradeNotice::Failed { .. } => "failed",
        TradeNotice::Pending { .. } | TradeNotice::StillConfirmingAtShutdown { .. } => "pending",
        TradeNotice::PositionAdjusted { .. } => "adjusted",
        TradeNotice::AlertSkipped { .. } | TradeNotice::AlertConfirm { .. } => "alert",
        TradeNotice::Copy(_) => "copy",
        TradeNotice::ExecutionBreaker { .. } => "admin",
        TradeNotice::OrderEnded { .. } => "order",
    }
}

/// The fill notice of a recorded trade.
pub fn fill_notice(f: &RecordedFill) -> TradeNotice {
    TradeNotice::Filled {
        side: f.side,
        mint: f.mint.clone(),
        sol: Lamports(f.sol_lamports),
        tokens: TokenAmount::new(f.tokens_raw, f.decimals),
        price: f.price.as_deref().and_then(|p| rust_decimal::Decimal::from_str(p).ok()),
        fees: Lamports(f.fees_lamports),
        pnl: (f.side == Side::Sell).then_some(f.realized_pnl_lamports),
        paper: f.paper,
        signature: f.signature.clone(),
        position_id: f.position_id,
        exit: None,
        safety_unchecked: false,
    }
}

impl OutboxNotifier {
    /// Wires the notifier.
    pub fn new(
        outbox: Outbox,
        users: Arc<dyn UserRepo>,
        store: Arc<dyn NoticeStore>,
        clock: Arc<dyn Clock>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self { outbox, users, store, clock, metrics, queued: Arc::default() }
    }

    /// Queues every notice a previous process stored and did not deliver. Call once at start,
    /// before anything in this process can notify (trade recovery included), so no notice is
    /// queued twice.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn resend_pending(&self) -> Result<usize, crate::ports::RepoError> {
        let mut queued = 0;
        let mut after = 0;
        loop {
            let page = self.store.pending_notices(after, 500).await?;
            let Some(last) = page.last().map(|n| n.id) else {
                break;
            };
            after = last;
            for n in page {
                if self.queued.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains(&n.id) {
                    continue;
                }
                let keyboard = n.keyboard.as_deref().and_then(|k| serde_json::from_str(k).ok());
                self.queue(Some(n.id), n.user, n.chat_id, n.body, keyboard);
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// Notifies every fill recorded without a stored notice (a kill between the fill and its
    /// message), and prunes old settled notices. Call once at start, after trade recovery (whose
    /// own notices are stored by then) and before new trading.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn notify_unrecorded_fills(&self) -> Result<usize, crate::ports::RepoError> {
        let now = self.clock.now_ms();
        let window = i64::try_from(RECONCILE_WINDOW.as_millis()).unwrap_or(i64::MAX);
        let mut rebuilt = 0;
        for fill in self.store.fills_without_notice(now.saturating_sub(window)).await? {
            let (trade_id, user_id) = (fill.trade_id, fill.user.0);
            tracing::warn!(trade_id, user_id, "fill recorded without a notice; notifying");
            self.notify(fill.user, fill_notice(&fill)).await;
            rebuilt += 1;
        }
        let keep = i64::try_from(KEEP_SETTLED.as_millis()).unwrap_or(i64::MAX);
        self.store.prune_notices(now.saturating_sub(keep)).await?;
        Ok(rebuilt)
    }

    /// The user's private chat and language, when they can be reached.
    async fn recipient(&self, user: UserId) -> Option<(i64, Lang)> {
        match self.users.get(user).await {
            Ok(Some(u)) if u.is_active => Some((u.chat_id, u.lang)),
            Ok(_) => None,
            Err(e) => {
                self.metrics.error("storage");
                tracing::error!(user_id = user.0, error.message = %e, "cannot load the user for a notice");
                None
            }
        }
    }

    fn queue(&self, id: Option<i64>, user: UserId, chat: i64, text: String, keyboard: Option<InlineKeyboardMarkup>) {
        if let Some(id) = id {
            let mut queued = self.queued.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            // Only the start-up window matters (recovery, then `resume`); keep the set small.
            if queued.len() > 10_000 {
                queued.clear();
            }
            queued.insert(id);
        }
        let store = self.store.clone();
        let clock = self.clock.clone();
        let request = Request::Html { text, markup: keyboard.map(teloxide::types::ReplyMarkup::InlineKeyboard) };
        let envelope = Envelope::new(chat, Priority::Notice, request).retry(Retry::Always).user(user).on_done(
            Box::new(move |outcome: &Result<Delivered, SendError>| {
                let state = match outcome {
                    Ok(_) => Some(NoticeState::Sent),
                    // Stopped: stays pending and goes out after the next start.
                    Err(SendError::Stopped) => None,
                    Err(_) => Some(NoticeState::Failed),
                };
                Box::pin(async move {
                    let (Some(id), Some(state)) = (id, state) else {
                        return;
                    };
                    for attempt in 1..=3u64 {
                        match store.settle_notice(id, state, clock.now_ms()).await {
                            Ok(()) => return,
                            Err(e) => {
                                tracing::warn!(notice_id = id, error.message = %e, "cannot settle a notice");
                                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                            }
                        }
                    }
                })
            }),
        );
        self.outbox.send(envelope);
    }
}

#[async_trait]
impl Notifier for OutboxNotifier {
    async fn notify(&self, user: UserId, notice: TradeNotice) {
        let Some((chat, lang)) = self.recipient(user).await else {
            return;
        };
        let body = render_notice(lang, &notice);
        let keyboard = notice_keyboard(lang, &notice);
        let fill = match &notice {
            TradeNotice::Filled { side, position_id, .. } => Some((*position_id, *side)),
            _ => None,
        };
        let new = NewNotice {
            user,
            chat_id: chat,
            kind: kind(&notice),
            fill,
            body: body.clone(),
            keyboard: keyboard.as_ref().and_then(|k| serde_json::to_string(k).ok()),
        };
        let mut id = None;
        for attempt in 1..=3u64 {
            match self.store.store_notice(&new, self.clock.now_ms()).await {
                Ok(stored) => {
                    id = Some(stored);
                    break;
                }
                Err(e) => {
                    self.metrics.error("storage");
                    tracing::error!(user_id = user.0, error.message = %e, "cannot store a notice; sending it anyway");
                    tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                }
            }
        }
        self.queue(id, user, chat, body, keyboard);
    }

    async fn accepted(&self, user: UserId, origin: IntentOrigin, side: Side, mint: &Pubkey) {
        if origin != IntentOrigin::Manual {
            return;
        }
        let Some((chat, lang)) = self.recipient(user).await else {
            return;
        };
        // Not stored: the fill or failure that follows is the durable answer.
        let text = render_working(lang, side, &mint.to_string());
        self.outbox.send(Envelope::new(chat, Priority::Interactive, Request::text(text, None)).user(user));
    }
}
