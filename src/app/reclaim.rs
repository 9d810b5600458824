//! Rent reclaim: a wallet's empty token accounts each lock ≈0.002 SOL of rent. `/wallet` shows
//! how much is reclaimable, and one confirmed tap closes them all (`CloseAccount` to the owner,
//! batched into as few transactions as fit). Token-2022 accounts whose extensions forbid or
//! complicate closing (withheld transfer fees, unknown extensions) are left open and counted.

use solana_pubkey::Pubkey;

use super::trade::closeable_when_empty;
use super::wallet::{Confirmed, PendingView, WalletError, Wallets};
use crate::domain::money::Lamports;
use crate::domain::user::UserId;
use crate::domain::wallet::PendingKind;
use crate::ports::RepoError;
use crate::solana::instructions::{CloseAccount, ComputeUnits, MicroLamportsPerCu, close_account};
use crate::solana::policy::{PolicyScope, TxPolicy};
use crate::solana::submit::{SubmitOptions, SubmitOutcome, submit};
use crate::solana::tx::{ComputeBudget, TxDraft, sign};

/// Accounts closed per transaction (3 account keys each: well under the 1,232-byte limit).
const CLOSES_PER_TX: usize = 12;
/// Compute units per close (the SPL Token program uses ≈3,000).
const CU_PER_CLOSE: u32 = 4_000;

/// What closing a wallet's empty token accounts would return.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reclaimable {
    /// Empty token accounts that can be closed: (account, token program, rent).
    pub accounts: Vec<(Pubkey, Pubkey, Lamports)>,
    /// Their rent in total.
    pub rent: Lamports,
    /// Empty accounts left open (withheld Token-2022 fees, extensions we do not close).
    pub kept: usize,
}

/// What a cleanup did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reclaimed {
    /// Accounts closed (landed).
    pub closed: usize,
    /// Rent returned to the wallet.
    pub rent: Lamports,
    /// Transactions that did not land (their accounts stay open; a later cleanup retries).
    pub failed_batches: usize,
    /// Signatures of the landed transactions.
    pub signatures: Vec<String>,
}

impl Wallets {
    /// The default wallet's empty, closeable token accounts; `None` without a wallet.
    ///
    /// # Errors
    /// Storage or chain failures.
    pub async fn reclaimable(&self, user: UserId) -> Result<Option<(i64, Pubkey, Reclaimable)>, WalletError> {
        let Some(record) = self.default_wallet(user).await? else {
            return Ok(None);
        };
        let owner = record.pubkey.parse::<Pubkey>().map_err(|_| RepoError::Corrupt("wallet address".to_owned()))?;
        let empty: Vec<_> =
            self.chain.token_holdings(&owner).await?.into_iter().filter(|h| h.amount.raw == 0).collect();
        let keys: Vec<Pubkey> = empty.iter().map(|h| h.account).collect();
        let accounts = self.chain.accounts(&keys).await?;
        let mut out = Reclaimable::default();
        for (holding, account) in empty.iter().zip(accounts) {
            match account {
                Some(a) if closeable_when_empty(&a.data) && a.owner == holding.program => {
                    out.rent = Lamports(out.rent.0.saturating_add(a.lamports.0));
                    out.accounts.push((holding.account, holding.program, a.lamports));
                }
                Some(_) => out.kept += 1,
                None => {}
            }
        }
        Ok(Some((record.id, owner, out)))
    }

    /// Creates the confirmation button of a cleanup; `None` when there is nothing to close.
    ///
    /// # Errors
    /// Not configured, storage or chain failures.
    pub async fn request_cleanup(&self, user: UserId) -> Result<Option<(PendingView, Reclaimable)>, WalletError> {
        self.ring()?;
        let Some((wallet_id, owner, found)) = self.reclaimable(user).await? else {
            return Ok(None);
        };
        if found.accounts.is_empty() {
            return Ok(None);
        }
        let view = self.pending(user, PendingKind::Cleanup { wallet_id }, owner.to_string()).await?;
        Ok(Some((view, found)))
    }

    /// Closes the wallet's empty token accounts (re-read now: only accounts still empty and
    /// closeable are touched), signed in batches, each simulated, sent and confirmed.
    pub(super) async fn cleanup(&self, user: UserId, wallet_id: i64) -> Result<Confirmed, WalletError> {
        let Some((default_id, owner, found)) = self.reclaimable(user).await? else {
            return Ok(Confirmed::Stale);
        };
        if default_id != wallet_id {
            return Ok(Confirmed::Stale);
        }
        let mut done = Reclaimed { closed: 0, rent: Lamports::ZERO, failed_batches: 0, signatures: Vec::new() };
        for batch in found.accounts.chunks(CLOSES_PER_TX) {
            let n = u32::try_from(batch.len()).unwrap_or(u32::MAX);
            let budget = ComputeBudget {
                unit_limit: ComputeUnits(CU_PER_CLOSE.saturating_mul(n)),
                unit_price: MicroLamportsPerCu(0),
            };
            let mut draft = TxDraft::new(owner, budget);
            for (account, program, _) in batch {
                draft.push(close_account(&CloseAccount {
                    token_program: *program,
                    account: *account,
                    destination: owner,
                    owner,
                }));
            }
            let blockhash = self.chain.latest_blockhash().await?;
            let message = draft.compile(blockhash.blockhash).map_err(|e| WalletError::Tx(e.to_string()))?;
            let own: Vec<Pubkey> = batch.iter().map(|(a, _, _)| *a).collect();
            let scope =
                PolicyScope { user: owner, own_token_accounts: &own, withdraw_destinations: &[], lookup_tables: &[] };
            TxPolicy::new(Vec::new()).check(&message, &scope).map_err(|e| WalletError::Tx(e.to_string()))?;
            let tx = {
                let Some((_, secret)) = self.unlock(user, wallet_id).await? else {
                    return Ok(Confirmed::Stale);
                };
                let keypair = secret.keypair();
                sign(message, &keypair).map_err(|e| WalletError::Tx(e.to_string()))?
            };
            let signature = tx.signatures.first().map(ToString::to_string).unwrap_or_default();
            match submit(&*self.chain, &tx, blockhash.last_valid_block_height, &SubmitOptions::default()).await {
                SubmitOutcome::Confirmed { .. } => {
                    done.closed += batch.len();
                    let rent: u64 = batch.iter().map(|(_, _, r)| r.0).sum();
                    done.rent = Lamports(done.rent.0.saturating_add(rent));
                    done.signatures.push(signature);
                }
                other => {
                    tracing::warn!(user_id = user.0, ?other, "a cleanup batch did not land");
                    done.failed_batches += 1;
                }
            }
        }
        let details = format!("closed={} rent={} failed_batches={}", done.closed, done.rent.0, done.failed_batches);
        self.audit(user, "token_accounts_closed", &owner.to_string(), Some(details)).await?;
        Ok(Confirmed::Cleaned(done))
    }
}
