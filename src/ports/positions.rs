//! The positions and trade-log port.

use async_trait::async_trait;
use rust_decimal::Decimal;

use super::RepoError;
use crate::domain::money::Lamports;
use crate::domain::position::{Fees, Fill, PositionBook, Realization, Side};
use crate::domain::stats::RealizedTrade;
use crate::domain::user::UserId;

/// A stored position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionRecord {
    /// Row id.
    pub id: i64,
    /// Owner.
    pub user: UserId,
    /// Wallet holding the tokens (`None` for paper positions without a wallet).
    pub wallet_id: Option<i64>,
    /// Mint (base58).
    pub mint: String,
    /// The mint's decimals.
    pub decimals: u8,
    /// Tokens, cost basis and realized PnL.
    pub book: PositionBook,
    /// Paper (dry-run) position.
    pub is_paper: bool,
    /// Still open.
    pub is_open: bool,
    /// Exit rules (JSON), set at open.
    pub exit_rules: Option<String>,
    /// Highest price seen since open (trailing stop), SOL per UI token.
    pub peak_price: Option<Decimal>,
    /// Where the entry came from (`manual`, `alert:<source>`).
    pub source: Option<String>,
    /// When it closed (unix ms).
    pub closed_at_ms: Option<i64>,
}

/// A fill to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillRecord {
    /// The intent that produced it (makes recording idempotent).
    pub intent_id: Option<i64>,
    /// Owner.
    pub user: UserId,
    /// Wallet.
    pub wallet_id: Option<i64>,
    /// The position a sell applies to (a sell never touches another); `None` for buys.
    pub position_id: Option<i64>,
    /// Mint.
    pub mint: String,
    /// The mint's decimals.
    pub decimals: u8,
    /// Paper trade.
    pub is_paper: bool,
    /// The fill.
    pub fill: Fill,
    /// Execution price in SOL per UI token (display).
    pub price: Option<Decimal>,
    /// Transaction signature.
    pub signature: Option<String>,
    /// Exit rules for a newly opened position (JSON).
    pub exit_rules: Option<String>,
    /// Entry source label.
    pub source: Option<String>,
}

/// What recording a fill did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The position after the fill.
    pub position: PositionRecord,
    /// What a sell realized.
    pub realization: Option<Realization>,
    /// False when the intent's fill had been recorded before (nothing changed).
    pub new: bool,
}

/// One row of the trade log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeRecord {
    /// Row id.
    pub id: i64,
    /// Position.
    pub position_id: Option<i64>,
    /// Mint.
    pub mint: String,
    /// Direction.
    pub side: Side,
    /// SOL paid or received, excluding fees.
    pub sol: Lamports,
    /// Raw tokens.
    pub tokens: u64,
    /// Fees.
    pub fees: Fees,
    /// Realized PnL of a sell.
    pub realized_pnl: i64,
    /// Price, SOL per UI token.
    pub price: Option<Decimal>,
    /// Signature.
    pub signature: Option<String>,
    /// Paper trade.
    pub is_paper: bool,
    /// When (unix ms).
    pub at_ms: i64,
}

/// Why a fill could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The fill does not fit the position (oversell, no open position for a sell).
    #[error("fill does not apply: {0}")]
    Position(String),
}

/// Positions and the trade log.
#[async_trait]
pub trait PositionRepo: Send + Sync {
    /// Applies a fill in one transaction: opens, adds to or reduces the user's open position in
    /// the mint (paper and live positions are separate) and appends the trade. Idempotent per
    /// `intent_id`.
    async fn record_fill(&self, fill: &FillRecord) -> Result<Recorded, RecordError>;
    /// A user's position by id.
    async fn position(&self, user: UserId, id: i64) -> Result<Option<PositionRecord>, RepoError>;
    /// The open position of a user in a mint, if any (live before paper).
    async fn open_position_in(&self, user: UserId, mint: &str) -> Result<Option<PositionRecord>, RepoError>;
    /// Users holding an open live position in `mint`.
    async fn live_holders(&self, mint: &str) -> Result<std::collections::HashSet<UserId>, RepoError>;
    /// A user's open positions, oldest first.
    async fn open_positions(&self, user: UserId) -> Result<Vec<PositionRecord>, RepoError>;
    /// Every open position (monitor start).
    async fn all_open_positions(&self) -> Result<Vec<PositionRecord>, RepoError>;
    /// A page of a user's trade log, newest first.
    async fn trade_history(&self, user: UserId, offset: u32, limit: u32) -> Result<Vec<TradeRecord>, RepoError>;
    /// Every trade of one of the user's positions, oldest first (PnL cards).
    async fn position_trades(&self, user: UserId, position: i64) -> Result<Vec<TradeRecord>, RepoError>;
    /// Claims a picture button press named by `key` at `now_ms`: `true` when no claim of it is
    /// younger than `window_ms` (the picture is sent), `false` for a double tap or a redelivered
    /// press inside the window. Claims older than a day are pruned.
    async fn claim_picture(&self, key: &str, now_ms: i64, window_ms: i64) -> Result<bool, RepoError>;
    /// Realized sells of a user (for statistics), with their position's open time.
    async fn realized_trades(&self, user: UserId) -> Result<Vec<RealizedTrade>, RepoError>;
    /// Updates many trailing-stop peaks in one transaction.
    async fn set_peak_prices(&self, peaks: &[(i64, Decimal)]) -> Result<(), RepoError>;
    /// The trade recorded for an intent, if any.
    async fn trade_for_intent(&self, intent_id: i64) -> Result<Option<TradeRecord>, RepoError>;
    /// Replaces the stored exit rules and ladder progress (JSON).
    async fn set_exit_state(&self, position_id: i64, json: &str) -> Result<(), RepoError>;
}
