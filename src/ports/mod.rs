//! Ports: the traits behind which all I/O lives, so use-cases can run against fakes.
//! Adapters (`storage`, `telegram`, `solana`, `venues`, `wallet`) implement them; only
//! `startup` knows the concrete types.

use async_trait::async_trait;

use crate::domain::lang::Lang;
use crate::domain::money::Lamports;
use crate::domain::user::{User, UserId};
use crate::domain::user_config::UserConfig;

/// A storage failure. Never contains secrets or bound values.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The database could not be reached or the query failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Stored data could not be decoded (corrupt row or a newer schema).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
}

impl RepoError {
    /// Whether retrying the same call may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Db(sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed))
    }

    /// A lock or serialization conflict that the same statement may pass on a retry: SQLite
    /// BUSY (5, and its extended codes such as 517 BUSY_SNAPSHOT) and LOCKED (6); PostgreSQL
    /// serialization failure (40001), deadlock (40P01) and lock not available (55P03).
    pub fn is_transient(&self) -> bool {
        let Self::Db(sqlx::Error::Database(db)) = self else {
            return false;
        };
        let Some(code) = db.code() else {
            return false;
        };
        if let Ok(n) = code.parse::<i64>() {
            return matches!(n & 0xff, 5 | 6);
        }
        matches!(code.as_ref(), "40001" | "40P01" | "55P03")
    }
}

/// What Telegram tells us about a user when they talk to the bot.
#[derive(Debug, Clone)]
pub struct SeenUser {
    /// Telegram user id.
    pub id: UserId,
    /// Chat the message came from (private chat id for DMs).
    pub chat_id: i64,
    /// @username, if any.
    pub username: Option<String>,
    /// Language picked from Telegram's `language_code`, used only at registration.
    pub lang: Lang,
    /// Whether the user is an admin by configuration (ADMIN_USER_IDS). Informational: config
    /// admins are authorized from the configuration, never persisted as admins.
    pub is_config_admin: bool,
}

/// Users and their trading configuration.
#[async_trait]
pub trait UserRepo: Send + Sync {
    /// Registers a user on first contact (language from Telegram), or refreshes username, chat and
    /// activity on later contacts without touching the chosen language. Returns the stored user
    /// and whether it was newly created.
    async fn register(&self, seen: &SeenUser) -> Result<(User, bool), RepoError>;
    /// Loads a user.
    async fn get(&self, id: UserId) -> Result<Option<User>, RepoError>;
    /// Changes a user's language.
    async fn set_language(&self, id: UserId, lang: Lang) -> Result<(), RepoError>;
    /// Loads a user's trading config (defaults if never saved).
    async fn config(&self, id: UserId) -> Result<UserConfig, RepoError>;
    /// Saves a user's trading config as a whole.
    async fn save_config(&self, id: UserId, config: &UserConfig) -> Result<(), RepoError>;
}

/// Numbers shown in `/livetrade status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TradingSummary {
    /// Realized PnL since the start of the UTC day, in lamports (negative = loss).
    pub realized_today_lamports: i64,
    /// Cost basis of all open positions.
    pub exposure: Lamports,
    /// Number of open positions.
    pub open_positions: u32,
}

/// Read models over trades and positions.
#[async_trait]
pub trait TradingStatsRepo: Send + Sync {
    /// Today's realized PnL (since `day_start_ms`) and current exposure for a user.
    async fn summary(&self, user: UserId, day_start_ms: i64) -> Result<TradingSummary, RepoError>;
    /// Every realized sell of a user (for statistics).
    async fn realized(&self, user: UserId) -> Result<Vec<crate::domain::stats::RealizedTrade>, RepoError>;
}

/// An audit log entry (never holds secrets).
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// Who did it (`None` = the system).
    pub actor: Option<UserId>,
    /// What was done, e.g. `livetrade.enable`.
    pub action: String,
    /// On what, e.g. a user id or wallet address.
    pub target: Option<String>,
    /// Extra detail (new value etc.).
    pub details: Option<String>,
}

/// Append-only audit log.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends an entry.
    async fn record(&self, entry: AuditEntry) -> Result<(), RepoError>;
}

/// Wall clock, injectable for tests.
pub trait Clock: Send + Sync {
    /// Now, unix milliseconds.
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}

pub mod alerts;
pub mod chain;
pub mod copy;
pub use chain::{
    AccountData, AddressSignature, BlockhashInfo, ChainClient, ChainError, HistoryPage, SignatureState,
    SignatureStatus, SimulationReport, TokenHolding,
};
pub mod wallets;
pub use wallets::{
    AllowedAddress, InsertWalletError, Outflow, PendingAction, SealFn, SealedWallet, WalletRecord, WalletRepo,
};
pub mod intents;
pub use intents::{AlertPrices, Inserted, IntentRepo, SignedTx};
pub mod venue;
pub use venue::{PlanOptions, Quote, QuoteRequest, QuoteRoute, SwapPlan, Swapper, VenueError, VenueId};
pub mod positions;
pub use positions::{FillRecord, PositionRecord, PositionRepo, RecordError, Recorded, TradeRecord};
pub mod trading;
pub use trading::{Controls, CopyNotice, Notifier, SignerError, TradeNotice, TxSigner};
pub mod prices;
pub use prices::{PriceError, PriceSource, SolUsdSource};
pub mod admin;
pub mod deletions;
pub use deletions::{DeletionSchedule, ScheduledDeletion};
pub mod orders;
pub use orders::{NewOrder, OrderRecord, OrderRepo};
pub mod outbox;
pub mod prompts;
pub use outbox::{NewNotice, NoticeState, NoticeStore, RecordedFill, StoredNotice};
pub use prompts::{PendingInput, PromptRepo};
