//! The durable part of the Telegram outbox: notices are stored (rendered) before they are sent
//! and marked after delivery, so a crash or an outage never loses a fill message.

use async_trait::async_trait;

use super::RepoError;
use crate::domain::position::Side;
use crate::domain::user::UserId;

/// A rendered notice to store before sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    /// Recipient.
    pub user: UserId,
    /// The user's private chat.
    pub chat_id: i64,
    /// `fill`, `refused`, `failed`, `pending`, `alert` or `admin`.
    pub kind: &'static str,
    /// For fills: the position and side (the startup check counts notices per position and side).
    pub fill: Option<(i64, Side)>,
    /// Rendered text (never secrets).
    pub body: String,
    /// Inline keyboard as JSON.
    pub keyboard: Option<String>,
}

/// A stored notice not yet delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredNotice {
    /// Row id.
    pub id: i64,
    /// Recipient.
    pub user: UserId,
    /// Chat.
    pub chat_id: i64,
    /// Kind (see [`NewNotice::kind`]).
    pub kind: String,
    /// Rendered text.
    pub body: String,
    /// Inline keyboard as JSON.
    pub keyboard: Option<String>,
}

/// How a stored notice ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeState {
    /// Telegram accepted it.
    Sent,
    /// Given up (blocked by the user, rejected, or out of attempts).
    Failed,
}

/// A recorded trade, for rebuilding a fill notice that was never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedFill {
    /// Trade row id.
    pub trade_id: i64,
    /// Whose trade.
    pub user: UserId,
    /// Position.
    pub position_id: i64,
    /// Mint.
    pub mint: String,
    /// Buy or sell.
    pub side: Side,
    /// SOL spent or received (before fees).
    pub sol_lamports: u64,
    /// Raw token units.
    pub tokens_raw: u64,
    /// Token decimals of the position.
    pub decimals: u8,
    /// All fees, lamports.
    pub fees_lamports: u64,
    /// Realized PnL of a sell.
    pub realized_pnl_lamports: i64,
    /// Price (display).
    pub price: Option<String>,
    /// Signature of a live trade.
    pub signature: Option<String>,
    /// Paper trade.
    pub paper: bool,
}

/// Storage of the notices outbox.
#[async_trait]
pub trait NoticeStore: Send + Sync {
    /// Stores a notice as pending; returns its id.
    async fn store_notice(&self, notice: &NewNotice, now_ms: i64) -> Result<i64, RepoError>;
    /// Pending notices with an id above `after_id`, oldest first.
    async fn pending_notices(&self, after_id: i64, limit: u32) -> Result<Vec<StoredNotice>, RepoError>;
    /// Marks a notice delivered or given up.
    async fn settle_notice(&self, id: i64, state: NoticeState, now_ms: i64) -> Result<(), RepoError>;
    /// Trades recorded since `since_ms` (not before the outbox existed) that have fewer stored
    /// fill notices than trades for their position and side: the newest trades of each such
    /// group, one per missing notice.
    async fn fills_without_notice(&self, since_ms: i64) -> Result<Vec<RecordedFill>, RepoError>;
    /// Deletes settled notices older than `before_ms`; returns how many.
    async fn prune_notices(&self, before_ms: i64) -> Result<u64, RepoError>;
}
