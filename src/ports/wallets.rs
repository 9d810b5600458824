//! The wallet repository port: encrypted wallet rows, confirmation buttons, the withdrawal
//! allowlist, outflows and the outflow freeze.
//!
//! Rows carry only sealed key material ([`Sealed`]); nothing here ever sees a plaintext key.

use async_trait::async_trait;

use super::RepoError;
use crate::domain::money::Lamports;
use crate::domain::user::UserId;
use crate::domain::wallet::PendingKind;
use crate::wallet::{Sealed, VaultError};

/// A wallet row without its key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletRecord {
    /// Row id.
    pub id: i64,
    /// Owner.
    pub user_id: UserId,
    /// Address (base58).
    pub pubkey: String,
    /// Whether it is the owner's default wallet.
    pub is_default: bool,
    /// Creation time, unix ms.
    pub created_at_ms: i64,
}

/// A wallet row with its sealed key, for unlocking or rotation.
#[derive(Debug, Clone)]
pub struct SealedWallet {
    /// The row.
    pub record: WalletRecord,
    /// Ciphertext and nonce.
    pub sealed: Sealed,
    /// Master-key version it is sealed under.
    pub key_version: i32,
}

/// Seals the key for a row once its id is known: `wallet_id -> (sealed, key_version)`.
pub type SealFn<'a> = &'a (dyn Fn(i64) -> Result<(Sealed, i32), VaultError> + Send + Sync);

/// Why a wallet could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum InsertWalletError {
    /// The address is already registered (by this user, or by someone else).
    #[error("wallet already registered")]
    Duplicate,
    /// Sealing failed; nothing was stored.
    #[error("sealing failed: {0}")]
    Seal(#[from] VaultError),
    /// Storage failure; nothing was stored.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// A confirmation button waiting to be pressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAction {
    /// Random nonce carried in the callback data.
    pub nonce: String,
    /// The only user who may press it.
    pub user_id: UserId,
    /// What it does.
    pub kind: PendingKind,
    /// Expiry, unix ms.
    pub expires_at_ms: i64,
}

/// An allowlisted withdrawal address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedAddress {
    /// Address (base58).
    pub address: String,
    /// Usable from this time, unix ms.
    pub usable_after_ms: i64,
}

/// One outflow (a withdrawal sent or being sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outflow {
    /// Who sent it.
    pub user_id: UserId,
    /// From which wallet.
    pub wallet_id: i64,
    /// To where.
    pub destination: String,
    /// How much.
    pub amount: Lamports,
}

/// Storage of custodial wallets and their safety state.
#[async_trait]
pub trait WalletRepo: Send + Sync {
    /// Inserts a wallet for `user` (first wallet becomes the default): inserts the row, seals
    /// with the new id in the associated data via `seal`, stores the ciphertext, all in one
    /// transaction. A wallet the same user removed earlier is revived in place (re-sealed).
    async fn insert_wallet(
        &self,
        user: UserId,
        pubkey: &str,
        seal: SealFn<'_>,
    ) -> Result<WalletRecord, InsertWalletError>;
    /// The user's wallets that are not removed, oldest first.
    async fn list_wallets(&self, user: UserId) -> Result<Vec<WalletRecord>, RepoError>;
    /// One of the user's (not removed) wallets by address.
    async fn find_wallet(&self, user: UserId, pubkey: &str) -> Result<Option<WalletRecord>, RepoError>;
    /// A (not removed) wallet by id, only if `user` owns it.
    async fn wallet_by_id(&self, user: UserId, wallet_id: i64) -> Result<Option<WalletRecord>, RepoError>;
    /// The user's default wallet.
    async fn default_wallet(&self, user: UserId) -> Result<Option<WalletRecord>, RepoError>;
    /// The default wallets of many users in a few reads (an alert's fan-out); users without
    /// one are absent.
    async fn default_wallets(
        &self,
        users: &[UserId],
    ) -> Result<std::collections::HashMap<UserId, WalletRecord>, RepoError> {
        let mut out = std::collections::HashMap::with_capacity(users.len());
        for user in users {
            if let Some(w) = self.default_wallet(*user).await? {
                out.insert(*user, w);
            }
        }
        Ok(out)
    }
    /// Makes `wallet_id` the user's only default; false if it is not theirs or removed.
    async fn set_default(&self, user: UserId, wallet_id: i64) -> Result<bool, RepoError>;
    /// Soft-removes the wallet (the sealed row stays); promotes the oldest remaining wallet to
    /// default if needed. False if it is not theirs or already removed.
    async fn remove_wallet(&self, user: UserId, wallet_id: i64) -> Result<bool, RepoError>;
    /// The sealed key of a (not removed) wallet owned by `user`, for unlocking to sign or export.
    async fn load_sealed(&self, user: UserId, wallet_id: i64) -> Result<Option<SealedWallet>, RepoError>;
    /// Open positions held by a wallet.
    async fn open_positions(&self, wallet_id: i64) -> Result<u32, RepoError>;

    /// Up to `limit` wallets (removed ones included) not yet sealed under `version`, for rotation.
    async fn wallets_not_on_version(&self, version: i32, limit: u32) -> Result<Vec<SealedWallet>, RepoError>;
    /// Replaces one row's sealed key in its own transaction, only if it is still on
    /// `from_version`; false if another run already moved it.
    async fn reseal(
        &self,
        wallet_id: i64,
        from_version: i32,
        sealed: &Sealed,
        to_version: i32,
    ) -> Result<bool, RepoError>;

    /// Stores a confirmation button.
    async fn create_pending(&self, action: &PendingAction) -> Result<(), RepoError>;
    /// Consumes a button atomically: returns it only if it exists, belongs to `user`, is unused
    /// and unexpired at `now_ms`; it can never be consumed twice.
    async fn take_pending(&self, user: UserId, nonce: &str, now_ms: i64) -> Result<Option<PendingAction>, RepoError>;

    /// The user's allowlisted withdrawal addresses.
    async fn allowlist(&self, user: UserId) -> Result<Vec<AllowedAddress>, RepoError>;
    /// Adds an address usable from `usable_after_ms`; false if it was already listed.
    async fn add_allowed(&self, user: UserId, address: &str, usable_after_ms: i64) -> Result<bool, RepoError>;

    /// Records an outflow at `now_ms`.
    async fn record_outflow(&self, outflow: &Outflow, now_ms: i64) -> Result<(), RepoError>;
    /// Sum of all outflows at or after `since_ms`.
    async fn outflows_since(&self, since_ms: i64) -> Result<Lamports, RepoError>;
    /// Until when non-trade outflows are frozen (unix ms), if ever frozen.
    async fn outflow_freeze_until(&self) -> Result<Option<i64>, RepoError>;
    /// Freezes non-trade outflows until `until_ms`.
    async fn freeze_outflows(&self, until_ms: i64) -> Result<(), RepoError>;
}
