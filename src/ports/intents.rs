//! The intent repository port: idempotent insert and forward-only state changes.

use async_trait::async_trait;

use super::RepoError;
use crate::domain::intent::{IdempotencyKey, Intent, IntentState, NewIntent};

/// Result of an idempotent insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    /// A new intent was stored with this id.
    New(i64),
    /// The key already existed: nothing was stored; here is the first intent.
    Existing(Box<Intent>),
}

/// What to record when an intent is signed (before the first send).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTx {
    /// Venue used.
    pub venue: String,
    /// Minimum accepted output.
    pub min_amount_out: u64,
    /// The exact bytes to send (and re-send).
    pub bytes: Vec<u8>,
    /// Signature (base58).
    pub signature: String,
    /// Blockhash validity limit.
    pub last_valid_block_height: u64,
}

/// Stored trade intents.
#[async_trait]
pub trait IntentRepo: Send + Sync {
    /// Stores the intent unless its key exists; never creates a duplicate.
    async fn insert_if_new(&self, intent: &NewIntent) -> Result<Inserted, RepoError>;
    /// Stores many intents in one statement (keys that exist are skipped). Returns how many
    /// were new.
    async fn insert_many(&self, intents: &[NewIntent]) -> Result<u64, RepoError>;
    /// Loads an intent by id.
    async fn intent(&self, id: i64) -> Result<Option<Intent>, RepoError>;
    /// Loads an intent by key.
    async fn by_key(&self, key: &IdempotencyKey) -> Result<Option<Intent>, RepoError>;
    /// `pending → signed`, storing the bytes. Returns false if the intent was not pending.
    async fn mark_signed(&self, id: i64, tx: &SignedTx) -> Result<bool, RepoError>;
    /// Moves `from → to` (compare-and-set). Returns false if the intent was not in `from` or the
    /// move is illegal.
    async fn transition(
        &self,
        id: i64,
        from: IntentState,
        to: IntentState,
        error: Option<&str>,
    ) -> Result<bool, RepoError>;
    /// Every intent that still needs work, oldest first.
    async fn unfinished(&self) -> Result<Vec<Intent>, RepoError>;
    /// Whether a sell of this position is stored and not finished (pending, signed, sent or
    /// unknown): a new sell waits for its result.
    async fn sell_in_flight(&self, position_id: i64) -> Result<bool, RepoError>;
    /// Records the call's and the quote's price of an alert trade.
    async fn record_prices(&self, id: i64, prices: &AlertPrices) -> Result<(), RepoError>;
}

/// Prices recorded for an alert trade, SOL per UI token (the fill price is on the trade).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AlertPrices {
    /// The call's reference price (its `Entry:` in SOL, or the price at receipt).
    pub call: Option<rust_decimal::Decimal>,
    /// The quote the buy was planned from.
    pub quote: Option<rust_decimal::Decimal>,
}
