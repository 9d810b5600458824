//! Unlock-to-sign: the [`TxSigner`] port over the wallet repository and the master key ring.
//!
//! The secret key is decrypted inside `sign`, used once and zeroized when it goes out of scope.
//! Never logs, never returns key material, never touches the network.

use std::sync::Arc;

use async_trait::async_trait;
use solana_message::VersionedMessage;
use solana_pubkey::Pubkey;
use solana_transaction::versioned::VersionedTransaction;

use super::{KeyRing, WalletAad};
use crate::domain::user::UserId;
use crate::ports::{SignerError, TxSigner, WalletRepo};

/// Signs with custodial wallets.
#[derive(Clone)]
pub struct KeyringSigner {
    repo: Arc<dyn WalletRepo>,
    ring: Option<Arc<KeyRing>>,
}

impl std::fmt::Debug for KeyringSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringSigner").field("configured", &self.ring.is_some()).finish_non_exhaustive()
    }
}

impl KeyringSigner {
    /// `ring = None` when custody is not configured: every `sign` then fails with `NotConfigured`.
    pub fn new(repo: Arc<dyn WalletRepo>, ring: Option<Arc<KeyRing>>) -> Self {
        Self { repo, ring }
    }
}

#[async_trait]
impl TxSigner for KeyringSigner {
    async fn default_wallet(&self, user: UserId) -> Result<Option<(i64, Pubkey)>, SignerError> {
        let Some(w) = self.repo.default_wallet(user).await? else {
            return Ok(None);
        };
        let pubkey = w.pubkey.parse::<Pubkey>().map_err(|_| SignerError::Failed)?;
        Ok(Some((w.id, pubkey)))
    }

    async fn default_wallets(
        &self,
        users: &[UserId],
    ) -> Result<std::collections::HashMap<UserId, (i64, Pubkey)>, SignerError> {
        let mut out = std::collections::HashMap::with_capacity(users.len());
        for (user, w) in self.repo.default_wallets(users).await? {
            let pubkey = w.pubkey.parse::<Pubkey>().map_err(|_| SignerError::Failed)?;
            out.insert(user, (w.id, pubkey));
        }
        Ok(out)
    }

    #[tracing::instrument(skip_all, fields(user_id = user.0, wallet_id))]
    async fn sign(
        &self,
        user: UserId,
        wallet_id: i64,
        message: VersionedMessage,
    ) -> Result<VersionedTransaction, SignerError> {
        let ring = self.ring.as_ref().ok_or(SignerError::NotConfigured)?;
        let row = self.repo.load_sealed(user, wallet_id).await?.ok_or(SignerError::NoWallet)?;
        let pubkey = row.record.pubkey.parse::<Pubkey>().map_err(|_| SignerError::Failed)?;
        let aad = WalletAad { user_id: user.0, wallet_id, pubkey, key_version: row.key_version };
        let secret = ring.open(&row.sealed, &aad).map_err(|_| SignerError::Failed)?;
        let keypair = secret.keypair();
        crate::solana::tx::sign(message, &keypair).map_err(|_| SignerError::Failed)
        // `keypair` and `secret` are dropped (zeroized) here.
    }
}
