//! Ports for admin operations: roles, pauses, the kill switch, bot-wide statistics and
//! broadcasts (persisted per-recipient delivery state plus the Telegram side that delivers).

use std::time::Duration;

use async_trait::async_trait;

use super::RepoError;
use crate::domain::risk::KillSwitch;
use crate::domain::user::{Role, User, UserId};

/// Roles, pauses, the kill switch and statistics.
#[async_trait]
pub trait AdminRepo: Send + Sync {
    /// Users whose stored role is admin.
    async fn persisted_admins(&self) -> Result<Vec<User>, RepoError>;
    /// Sets a user's role; `false` when the user is not registered (nothing changed).
    async fn set_role(&self, user: UserId, role: Role) -> Result<bool, RepoError>;
    /// Pauses or unpauses a user; `false` when the user is not registered (nothing changed).
    async fn set_paused(&self, user: UserId, paused: bool) -> Result<bool, RepoError>;
    /// Stores the kill switch (survives restarts).
    async fn set_kill_switch(&self, state: KillSwitch) -> Result<(), RepoError>;
    /// Marks a user inactive (they blocked the bot); they become active again on next contact.
    async fn mark_inactive(&self, user: UserId) -> Result<(), RepoError>;
    /// Bot-wide numbers for `/stats`; "today" starts at `day_start_ms`.
    async fn stats(&self, day_start_ms: i64) -> Result<BotStats, RepoError>;
}

/// One alert source in `/stats`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceStats {
    /// Source name.
    pub name: String,
    /// Last post seen (unix ms).
    pub last_post_at_ms: Option<i64>,
    /// Alerts received from it.
    pub alerts: u64,
    /// Trades that came from its alerts.
    pub trades: u64,
}

/// Bot-wide numbers for `/stats`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BotStats {
    /// Registered users.
    pub users_total: u64,
    /// Users who have not blocked the bot.
    pub users_active: u64,
    /// Users with trading enabled.
    pub users_trading: u64,
    /// Users paused by an admin.
    pub users_paused: u64,
    /// Wallets not removed.
    pub wallets: u64,
    /// Open positions (live and paper).
    pub open_positions: u64,
    /// Cost basis of the open positions, lamports.
    pub exposure_lamports: i64,
    /// Trades since the start of the UTC day.
    pub trades_today: u64,
    /// SOL traded today (both sides, before fees), lamports.
    pub volume_today_lamports: i64,
    /// Realized PnL today, lamports.
    pub pnl_today_lamports: i64,
    /// Alert sources.
    pub sources: Vec<SourceStats>,
}

/// What a broadcast sends.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BroadcastPayload {
    /// A text with its formatting entities (Bot API JSON, adapter-defined).
    Text {
        /// The text.
        text: String,
        /// Formatting entities (Bot API `MessageEntity` array), offsets relative to `text`.
        #[serde(default)]
        entities: serde_json::Value,
    },
    /// A copy of an existing message (photo, formatting and all) via `copyMessage`.
    Copy {
        /// Chat holding the original.
        from_chat_id: i64,
        /// The original message id.
        message_id: i32,
    },
}

/// State of a broadcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BroadcastState {
    /// Waiting for the admin's confirmation.
    Draft,
    /// Delivering (resumed after a restart).
    Running,
    /// Every recipient delivered or classified.
    Done,
    /// Cancelled by an admin; pending recipients stay undelivered.
    Cancelled,
}

impl BroadcastState {
    /// Storage code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Running => "running",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a storage code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "draft" => Some(Self::Draft),
            "running" => Some(Self::Running),
            "done" => Some(Self::Done),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// A stored broadcast.
#[derive(Debug, Clone, PartialEq)]
pub struct BroadcastRecord {
    /// Id.
    pub id: i64,
    /// The admin who created it.
    pub admin: UserId,
    /// What is sent.
    pub payload: BroadcastPayload,
    /// State.
    pub state: BroadcastState,
    /// The progress message (chat, message id), set on confirmation.
    pub status: Option<(i64, i32)>,
}

/// A recipient still to be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient {
    /// User.
    pub user: UserId,
    /// Their private chat.
    pub chat_id: i64,
}

/// Final (or intermediate) classification of one delivery.
///
/// `pending → sending → sent | blocked | failed`, and `sending → unknown` when the process died
/// with the request in flight: the Bot API has no idempotency key, so such a row is never re-sent
/// (at most once) and is reported as unconfirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Not sent yet.
    Pending,
    /// Request in flight.
    Sending,
    /// Delivered.
    Sent,
    /// The user blocked the bot (or deleted their account); the user is marked inactive.
    Blocked,
    /// Telegram refused it permanently, or retries were exhausted.
    Failed,
    /// The process stopped with the request in flight; not re-sent.
    Unknown,
}

impl DeliveryState {
    /// Storage code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Blocked => "blocked",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
        }
    }
}

/// Delivery counts of one broadcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeliveryCounts {
    /// All recipients.
    pub total: u64,
    /// Delivered.
    pub sent: u64,
    /// Blocked the bot.
    pub blocked: u64,
    /// Failed.
    pub failed: u64,
    /// In flight when the process stopped (not re-sent).
    pub unknown: u64,
    /// Not sent yet (pending or in flight).
    pub pending: u64,
}

/// Broadcasts and their per-recipient delivery state.
#[async_trait]
pub trait BroadcastRepo: Send + Sync {
    /// Stores a draft; returns its id.
    async fn create_draft(&self, admin: UserId, payload: &BroadcastPayload, now_ms: i64) -> Result<i64, RepoError>;
    /// Number of users a broadcast started now would reach (active users).
    async fn active_recipients(&self) -> Result<u64, RepoError>;
    /// Loads a broadcast.
    async fn broadcast(&self, id: i64) -> Result<Option<BroadcastRecord>, RepoError>;
    /// Atomically moves a draft to running, records the progress message and snapshots every
    /// active user as a pending recipient. `None` when it is not a draft (nothing changed).
    async fn start(&self, id: i64, status: (i64, i32), now_ms: i64) -> Result<Option<u64>, RepoError>;
    /// Moves a draft or running broadcast to cancelled; `false` when it was neither.
    async fn cancel(&self, id: i64, now_ms: i64) -> Result<bool, RepoError>;
    /// Marks a running broadcast done.
    async fn finish(&self, id: i64, now_ms: i64) -> Result<(), RepoError>;
    /// Running broadcasts, oldest first.
    async fn running(&self) -> Result<Vec<BroadcastRecord>, RepoError>;
    /// After a restart: every `sending` row of running broadcasts becomes `unknown`. Returns how
    /// many. Call only when nothing is in flight.
    async fn recover_in_flight(&self, now_ms: i64) -> Result<u64, RepoError>;
    /// Up to `limit` pending recipients with a user id above `after`, in user id order.
    async fn pending_after(&self, id: i64, after: i64, limit: u32) -> Result<Vec<Recipient>, RepoError>;
    /// Moves one delivery from `from` to `to` (attempts + 1 when `to` is `Sending`). `false` when
    /// the row was not in `from` (nothing changed).
    async fn transition(
        &self,
        id: i64,
        user: UserId,
        from: DeliveryState,
        to: DeliveryState,
        now_ms: i64,
    ) -> Result<bool, RepoError>;
    /// Counts by state.
    async fn counts(&self, id: i64) -> Result<DeliveryCounts, RepoError>;
}

/// How one send went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Delivered.
    Sent,
    /// 429: wait exactly this long before sending anything, then retry.
    RetryAfter(Duration),
    /// The user blocked the bot or is gone.
    Blocked,
    /// Refused for good (bad request, message to copy is gone, …).
    Failed(String),
    /// Not delivered, safe to retry (connection refused, 5xx).
    Transient(String),
    /// The request may or may not have been delivered (timeout after sending, garbled answer).
    Ambiguous(String),
    /// Not attempted: the claim refused it, or the sender is shutting down before it ran.
    Skipped,
}

/// Runs right before a delivery is sent (after pacing); `false` means do not send. The broadcast
/// worker claims the recipient here (`pending → sending`), so a delivery waiting in the queue is
/// still `pending` if the process dies.
pub type DeliveryClaim = Box<dyn FnOnce() -> futures::future::BoxFuture<'static, bool> + Send>;

/// Progress of a broadcast, for the status message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BroadcastProgress {
    /// Broadcast id.
    pub id: i64,
    /// Counts.
    pub counts: DeliveryCounts,
    /// Final state once finished.
    pub finished: Option<BroadcastState>,
}

/// The Telegram side of broadcasts.
#[async_trait]
pub trait BroadcastSender: Send + Sync {
    /// Sends the payload to one chat (paced, at bulk priority), running `claim` right before.
    async fn deliver(
        &self,
        user: UserId,
        chat_id: i64,
        payload: &BroadcastPayload,
        claim: DeliveryClaim,
    ) -> SendOutcome;
    /// Edits the progress message (in the admin's language).
    async fn show_progress(&self, admin: UserId, status: (i64, i32), progress: &BroadcastProgress) -> SendOutcome;
}
