//! Copy-trading storage: follows, handled leader signatures, backfill cursors, and what a
//! follower holds from a leader.

use async_trait::async_trait;
use solana_pubkey::Pubkey;

use super::RepoError;
use crate::domain::copy::{CopySettings, DevSellRule, FollowState};
use crate::domain::user::UserId;

/// One user following one leader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follow {
    /// The follower.
    pub user: UserId,
    /// The leader wallet.
    pub leader: Pubkey,
    /// The follower's name for it (lower case).
    pub name: String,
    /// Settings.
    pub settings: CopySettings,
}

/// What `/copy add` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddFollow {
    /// Stored.
    Added,
    /// The user already uses this name.
    NameTaken,
    /// The user already follows this wallet.
    AlreadyFollowing,
}

/// The newest handled transaction of a leader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// Its signature (base58).
    pub signature: String,
    /// Its slot.
    pub slot: u64,
}

/// Follows, seen signatures and cursors.
#[async_trait]
pub trait CopyRepo: Send + Sync {
    /// Adds a follow (names are compared in lower case).
    async fn add_follow(&self, follow: &Follow) -> Result<AddFollow, RepoError>;
    /// Removes the user's follow called `name`; false when there is none.
    async fn remove_follow(&self, user: UserId, name: &str) -> Result<bool, RepoError>;
    /// Replaces the settings of the user's follow called `name`; false when there is none.
    async fn update_follow(&self, user: UserId, name: &str, settings: &CopySettings) -> Result<bool, RepoError>;
    /// The user's follows, by name.
    async fn follows(&self, user: UserId) -> Result<Vec<Follow>, RepoError>;
    /// Everybody following `leader`.
    async fn followers(&self, leader: &Pubkey) -> Result<Vec<Follow>, RepoError>;
    /// Every followed wallet, once.
    async fn leaders(&self) -> Result<Vec<Pubkey>, RepoError>;
    /// Whether `signature` of `leader` was handled.
    async fn seen(&self, leader: &Pubkey, signature: &str) -> Result<bool, RepoError>;
    /// Records `signature` of `leader` as handled (once; false when it already was) and moves the
    /// leader's cursor to it when its slot is not older.
    async fn mark_seen(&self, leader: &Pubkey, cursor: &Cursor, outcome: &str) -> Result<bool, RepoError>;
    /// The leader's cursor.
    async fn cursor(&self, leader: &Pubkey) -> Result<Option<Cursor>, RepoError>;
    /// Sets the leader's cursor when it has none (a new leader starts from now, not its history).
    async fn init_cursor(&self, leader: &Pubkey, cursor: &Cursor) -> Result<(), RepoError>;
    /// What `user` holds from positions labelled `source` (buys today since `day_start_ms`
    /// counted from intents keyed by `key_prefix`), whether one is in `mint`, and the losses
    /// in a row of the last `look_back` closed ones.
    async fn follow_state(&self, q: &FollowQuery<'_>) -> Result<FollowState, RepoError>;
    /// The user's dev-sell rule (`None`: off, the default).
    async fn dev_sell(&self, user: UserId) -> Result<Option<DevSellRule>, RepoError>;
    /// Sets the user's dev-sell rule.
    async fn set_dev_sell(&self, user: UserId, rule: Option<DevSellRule>) -> Result<(), RepoError>;
    /// Every user whose dev-sell rule is on.
    async fn dev_sell_users(&self) -> Result<Vec<(UserId, DevSellRule)>, RepoError>;
}

/// The inputs of [`CopyRepo::follow_state`].
#[derive(Debug, Clone, Copy)]
pub struct FollowQuery<'a> {
    /// The follower.
    pub user: UserId,
    /// Position source label (`alert:copy:<name>`).
    pub source: &'a str,
    /// Idempotency-key prefix of the leader's copied buys.
    pub key_prefix: &'a str,
    /// The traded mint.
    pub mint: &'a str,
    /// Start of the UTC day (unix ms).
    pub day_start_ms: i64,
    /// Closed positions to look at for the losing streak.
    pub look_back: u32,
}
