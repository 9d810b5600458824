//! `/wallet`: custodial wallets over the wallet repository, the chain and the key ring.
//!
//! Keys are decrypted only to sign (and for an explicit, confirmed export) and dropped (zeroized)
//! right after. Nothing here logs or returns key material except [`Confirmed::Export`].

use std::sync::Arc;

use rand::rngs::OsRng;
use rand::{RngCore as _, TryRngCore as _};
use solana_pubkey::Pubkey;

use crate::domain::money::Lamports;
use crate::domain::user::UserId;
use crate::domain::wallet::{ALLOWLIST_LOCK_MS, CONFIRM_TTL_MS, PendingKind, parse_address};
use crate::ports::{
    AllowedAddress, AuditEntry, AuditLog, ChainClient, ChainError, Clock, InsertWalletError, PendingAction, RepoError,
    TokenHolding, WalletRecord, WalletRepo,
};
use crate::wallet::{ImportError, KeyRing, SecretKeyBytes, VaultError, WalletAad, parse_secret};

pub use super::withdraw::{WithdrawBlock, WithdrawDone, WithdrawState};

/// Why a wallet use-case failed (bad input is never an error: it is an outcome).
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// No master key is configured: custody is off.
    #[error("wallet custody is not configured")]
    NotConfigured,
    /// Storage failure.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The chain could not be reached or refused.
    #[error("chain access failed: {0}")]
    Chain(#[from] ChainError),
    /// A sealed key could not be opened or a key sealed (never carries key material).
    #[error("vault failure: {0}")]
    Vault(#[from] VaultError),
    /// The transaction could not be built or signed.
    #[error("transaction build failed: {0}")]
    Tx(String),
}

/// Policy knobs from configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalletSettings {
    /// Global limit on non-trade outflows per rolling hour.
    pub withdraw_limit_per_hour: Lamports,
    /// Global dry-run: withdrawals are refused.
    pub dry_run: bool,
}

/// Result of `/wallet import`.
#[derive(Debug)]
pub enum ImportOutcome {
    /// Stored.
    Imported(WalletRecord),
    /// Not a usable key; nothing stored.
    Invalid(ImportError),
    /// Already registered.
    Duplicate,
}

/// One line of `/wallet list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletLine {
    /// The wallet.
    pub record: WalletRecord,
    /// SOL balance, `None` when the chain could not be asked.
    pub balance: Option<Lamports>,
}

/// `/wallet balance` for one wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceView {
    /// Address.
    pub address: String,
    /// SOL.
    pub sol: Lamports,
    /// Every token account (both token programs).
    pub tokens: Vec<TokenHolding>,
    /// Empty token accounts that `/wallet cleanup` can close, and the rent it returns (of the
    /// default wallet; `None` for another wallet or when it could not be read).
    pub reclaimable: Option<(usize, Lamports)>,
}

/// A confirmation button was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingView {
    /// Nonce for the callback data.
    pub nonce: String,
    /// What it will do.
    pub kind: PendingKind,
    /// The wallet's address.
    pub address: String,
}

/// Result of pressing a confirmation button.
#[derive(Debug)]
pub enum Confirmed {
    /// The wallet was removed.
    Removed {
        /// Address.
        address: String,
    },
    /// The wallet has open positions: a second confirmation is needed.
    ConfirmAgain(PendingView),
    /// The secret, to be sent once and deleted.
    Export {
        /// Address.
        address: String,
        /// The secret (zeroized on drop).
        secret: SecretKeyBytes,
    },
    /// A withdrawal went out (or was refused at the last check).
    Withdraw(Result<WithdrawDone, WithdrawBlock>),
    /// Empty token accounts were closed.
    Cleaned(super::reclaim::Reclaimed),
    /// Unknown, used, expired or someone else's button: nothing changed.
    Stale,
}

/// The `/wallet` use-cases.
#[derive(Clone)]
pub struct Wallets {
    pub(super) repo: Arc<dyn WalletRepo>,
    pub(super) chain: Arc<dyn ChainClient>,
    pub(super) keys: Option<Arc<KeyRing>>,
    pub(super) audit: Arc<dyn AuditLog>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) settings: WalletSettings,
}

impl std::fmt::Debug for Wallets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallets").field("keys", &self.keys).field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Wallets {
    /// Wires the use-cases to their ports. `keys = None` means custody is not configured.
    pub fn new(
        repo: Arc<dyn WalletRepo>,
        chain: Arc<dyn ChainClient>,
        keys: Option<Arc<KeyRing>>,
        audit: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
        settings: WalletSettings,
    ) -> Self {
        Self { repo, chain, keys, audit, clock, settings }
    }

    /// Whether a master key is loaded.
    pub fn is_configured(&self) -> bool {
        self.keys.is_some()
    }

    pub(super) fn ring(&self) -> Result<&KeyRing, WalletError> {
        self.keys.as_deref().ok_or(WalletError::NotConfigured)
    }

    pub(super) async fn audit(
        &self,
        user: UserId,
        action: &str,
        target: &str,
        details: Option<String>,
    ) -> Result<(), RepoError> {
        let entry =
            AuditEntry { actor: Some(user), action: action.to_owned(), target: Some(target.to_owned()), details };
        self.audit.record(entry).await
    }

    async fn store(&self, user: UserId, secret: &SecretKeyBytes) -> Result<Option<WalletRecord>, WalletError> {
        let ring = self.ring()?;
        let pubkey = secret.pubkey().to_string();
        let seal = |wallet_id: i64| ring.seal(secret, user.0, wallet_id).map(|(s, aad)| (s, aad.key_version));
        match self.repo.insert_wallet(user, &pubkey, &seal).await {
            Ok(record) => Ok(Some(record)),
            Err(InsertWalletError::Duplicate) => Ok(None),
            Err(InsertWalletError::Seal(e)) => Err(e.into()),
            Err(InsertWalletError::Repo(e)) => Err(e.into()),
        }
    }

    /// Generates a new wallet.
    ///
    /// # Errors
    /// Not configured, storage or vault failures.
    pub async fn add(&self, user: UserId) -> Result<WalletRecord, WalletError> {
        self.ring()?;
        let secret = SecretKeyBytes::generate();
        let record = self.store(user, &secret).await?.ok_or_else(|| {
            WalletError::Repo(RepoError::Corrupt("a freshly generated key is already registered".to_owned()))
        })?;
        self.audit(user, "wallet_created", &record.pubkey, None).await?;
        Ok(record)
    }

    /// Imports a private key typed by the user. Bad input stores nothing.
    ///
    /// # Errors
    /// Not configured, storage or vault failures.
    pub async fn import(&self, user: UserId, text: &str) -> Result<ImportOutcome, WalletError> {
        self.ring()?;
        let secret = match parse_secret(text) {
            Ok(s) => s,
            Err(e) => return Ok(ImportOutcome::Invalid(e)),
        };
        match self.store(user, &secret).await? {
            Some(record) => {
                self.audit(user, "wallet_imported", &record.pubkey, None).await?;
                Ok(ImportOutcome::Imported(record))
            }
            None => Ok(ImportOutcome::Duplicate),
        }
    }

    /// The user's wallets with SOL balances (a chain failure shows as unknown).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn list(&self, user: UserId) -> Result<Vec<WalletLine>, WalletError> {
        let mut out = Vec::new();
        for record in self.repo.list_wallets(user).await? {
            let balance = match record.pubkey.parse::<Pubkey>() {
                Ok(pk) => self.chain.balance(&pk).await.ok(),
                Err(_) => None,
            };
            out.push(WalletLine { record, balance });
        }
        Ok(out)
    }

    /// Finds one of the user's wallets by the address text.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn find(&self, user: UserId, address: &str) -> Result<Option<WalletRecord>, WalletError> {
        if parse_address(address).is_none() {
            return Ok(None);
        }
        Ok(self.repo.find_wallet(user, address.trim()).await?)
    }

    /// The user's default wallet.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn default_wallet(&self, user: UserId) -> Result<Option<WalletRecord>, WalletError> {
        Ok(self.repo.default_wallet(user).await?)
    }

    /// Makes a wallet the default; `None` if the user has no such wallet.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn set_default(&self, user: UserId, address: &str) -> Result<Option<WalletRecord>, WalletError> {
        let Some(record) = self.find(user, address).await? else {
            return Ok(None);
        };
        if !self.repo.set_default(user, record.id).await? {
            return Ok(None);
        }
        self.audit(user, "wallet_default", &record.pubkey, None).await?;
        Ok(Some(WalletRecord { is_default: true, ..record }))
    }

    /// SOL and every token of a wallet (the default one without an address).
    ///
    /// # Errors
    /// Storage or chain failures.
    pub async fn balance(&self, user: UserId, address: Option<&str>) -> Result<Option<BalanceView>, WalletError> {
        let record = match address {
            Some(a) => self.find(user, a).await?,
            None => self.default_wallet(user).await?,
        };
        let Some(record) = record else {
            return Ok(None);
        };
        let pk = record.pubkey.parse::<Pubkey>().map_err(|_| RepoError::Corrupt("wallet address".to_owned()))?;
        let sol = self.chain.balance(&pk).await?;
        let mut tokens = self.chain.token_holdings(&pk).await?;
        tokens.sort_by_key(|t| t.mint.to_string());
        let reclaimable = if record.is_default && tokens.iter().any(|t| t.amount.raw == 0) {
            match self.reclaimable(user).await {
                Ok(Some((_, _, r))) => Some((r.accounts.len(), r.rent)),
                Ok(None) => None,
                Err(e) => {
                    tracing::warn!(error.message = %e, "could not read reclaimable rent");
                    None
                }
            }
        } else {
            None
        };
        Ok(Some(BalanceView { address: record.pubkey, sol, tokens, reclaimable }))
    }

    pub(super) async fn pending(
        &self,
        user: UserId,
        kind: PendingKind,
        address: String,
    ) -> Result<PendingView, WalletError> {
        let mut bytes = [0u8; 16];
        OsRng.unwrap_err().fill_bytes(&mut bytes);
        let nonce = hex::encode(bytes);
        let action = PendingAction {
            nonce: nonce.clone(),
            user_id: user,
            kind: kind.clone(),
            expires_at_ms: self.clock.now_ms().saturating_add(CONFIRM_TTL_MS),
        };
        self.repo.create_pending(&action).await?;
        Ok(PendingView { nonce, kind, address })
    }

    /// Asks to confirm removing a wallet; `None` if the user has no such wallet.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn request_remove(&self, user: UserId, address: &str) -> Result<Option<PendingView>, WalletError> {
        let Some(record) = self.find(user, address).await? else {
            return Ok(None);
        };
        let open_positions = self.repo.open_positions(record.id).await?;
        let kind = PendingKind::Remove { wallet_id: record.id, open_positions, second: false };
        Ok(Some(self.pending(user, kind, record.pubkey).await?))
    }

    /// Asks to confirm exporting a wallet's secret; `None` if the user has no such wallet.
    ///
    /// # Errors
    /// Not configured or storage failures.
    pub async fn request_export(&self, user: UserId, address: &str) -> Result<Option<PendingView>, WalletError> {
        self.ring()?;
        let Some(record) = self.find(user, address).await? else {
            return Ok(None);
        };
        Ok(Some(self.pending(user, PendingKind::Export { wallet_id: record.id }, record.pubkey).await?))
    }

    /// Cancels a button; false if it was not the user's, used or expired.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn cancel(&self, user: UserId, nonce: &str) -> Result<bool, WalletError> {
        Ok(self.repo.take_pending(user, nonce, self.clock.now_ms()).await?.is_some())
    }

    /// Performs a confirmed action. The button is consumed first, so it acts at most once, and
    /// only for its owner.
    ///
    /// # Errors
    /// Storage, vault or chain failures.
    pub async fn confirm(&self, user: UserId, nonce: &str) -> Result<Confirmed, WalletError> {
        match self.take(user, nonce).await? {
            Some(kind) => self.perform(user, kind).await,
            None => Ok(Confirmed::Stale),
        }
    }

    /// Consumes a button: its action if it is the user's, unused and unexpired; else `None`.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn take(&self, user: UserId, nonce: &str) -> Result<Option<PendingKind>, WalletError> {
        Ok(self.repo.take_pending(user, nonce, self.clock.now_ms()).await?.map(|a| a.kind))
    }

    /// Performs an action taken with [`Wallets::take`].
    ///
    /// # Errors
    /// Storage, vault or chain failures.
    pub async fn perform(&self, user: UserId, kind: PendingKind) -> Result<Confirmed, WalletError> {
        match kind {
            PendingKind::Remove { wallet_id, open_positions, second } => {
                self.confirm_remove(user, wallet_id, open_positions, second).await
            }
            PendingKind::Export { wallet_id } => self.export(user, wallet_id).await,
            PendingKind::Withdraw(plan) => Ok(Confirmed::Withdraw(self.execute_withdraw(user, plan).await?)),
            PendingKind::Cleanup { wallet_id } => self.cleanup(user, wallet_id).await,
        }
    }

    async fn confirm_remove(
        &self,
        user: UserId,
        wallet_id: i64,
        open: u32,
        second: bool,
    ) -> Result<Confirmed, WalletError> {
        let Some(record) = self.repo.wallet_by_id(user, wallet_id).await? else {
            return Ok(Confirmed::Stale);
        };
        let open_now = self.repo.open_positions(wallet_id).await?;
        if (open_now > 0 || open > 0) && !second {
            let kind = PendingKind::Remove { wallet_id, open_positions: open_now.max(open), second: true };
            return Ok(Confirmed::ConfirmAgain(self.pending(user, kind, record.pubkey).await?));
        }
        if !self.repo.remove_wallet(user, wallet_id).await? {
            return Ok(Confirmed::Stale);
        }
        self.audit(user, "wallet_removed", &record.pubkey, Some(format!("open_positions={open_now}"))).await?;
        Ok(Confirmed::Removed { address: record.pubkey })
    }

    /// Opens a wallet's key; the caller signs and drops it at once.
    pub(super) async fn unlock(
        &self,
        user: UserId,
        wallet_id: i64,
    ) -> Result<Option<(WalletRecord, SecretKeyBytes)>, WalletError> {
        let ring = self.ring()?;
        let Some(row) = self.repo.load_sealed(user, wallet_id).await? else {
            return Ok(None);
        };
        let pubkey =
            row.record.pubkey.parse::<Pubkey>().map_err(|_| RepoError::Corrupt("wallet address".to_owned()))?;
        let aad = WalletAad { user_id: user.0, wallet_id, pubkey, key_version: row.key_version };
        let secret = ring.open(&row.sealed, &aad)?;
        Ok(Some((row.record, secret)))
    }

    async fn export(&self, user: UserId, wallet_id: i64) -> Result<Confirmed, WalletError> {
        let Some((record, secret)) = self.unlock(user, wallet_id).await? else {
            return Ok(Confirmed::Stale);
        };
        self.audit(user, "wallet_exported", &record.pubkey, None).await?;
        Ok(Confirmed::Export { address: record.pubkey, secret })
    }

    /// The user's withdrawal allowlist.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn allowlist(&self, user: UserId) -> Result<Vec<AllowedAddress>, WalletError> {
        Ok(self.repo.allowlist(user).await?)
    }

    /// Adds an address to the allowlist, usable after the 24 h lock. `None` for a bad address;
    /// `Some(false)` if it was already listed.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn allow(&self, user: UserId, address: &str) -> Result<Option<(bool, i64)>, WalletError> {
        let Some(pk) = parse_address(address) else {
            return Ok(None);
        };
        let usable_after = self.clock.now_ms().saturating_add(ALLOWLIST_LOCK_MS);
        let added = self.repo.add_allowed(user, &pk.to_string(), usable_after).await?;
        if added {
            self.audit(user, "withdraw_address_added", &pk.to_string(), Some(format!("usable_after={usable_after}")))
                .await?;
        }
        Ok(Some((added, usable_after)))
    }
}
