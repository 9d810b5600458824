//! `/wallet withdraw`: plan (fee, reserve, allowlist, freeze), confirm, sign, send, confirm.
//!
//! The key is unlocked only after every check passed and the message is compiled; it signs one
//! System transfer and is dropped (zeroized) before anything is sent.

use std::time::Duration;

use solana_pubkey::Pubkey;
use solana_transaction::versioned::VersionedTransaction;

use super::wallet::{PendingView, WalletError, Wallets};
use crate::domain::money::Lamports;
use crate::domain::user::UserId;
use crate::domain::wallet::{
    BASE_FEE_PER_SIGNATURE, PendingKind, WithdrawAmount, WithdrawInputs, WithdrawPlan, WithdrawRefusal, parse_address,
    plan_amount,
};
use crate::ports::{Outflow, RepoError};
use crate::solana::instructions::{ComputeUnits, MicroLamportsPerCu, SystemTransfer, system_transfer};
use crate::solana::policy::{PolicyScope, TxPolicy};
use crate::solana::submit::{SubmitOptions, SubmitOutcome, submit};
use crate::solana::tx::{ComputeBudget, TxDraft, priority_fee_lamports, sign};

/// Compute units requested by a withdrawal (System transfer + two compute-budget instructions).
const WITHDRAW_CU_LIMIT: ComputeUnits = ComputeUnits(1_000);
/// Cap on the priority fee price for withdrawals, micro-lamports per CU.
const MAX_WITHDRAW_CU_PRICE: u64 = 1_000_000;
/// One hour in milliseconds (outflow window and freeze length).
const HOUR_MS: i64 = 60 * 60 * 1000;
/// How long to wait for confirmation before reporting the outcome as unknown.
const CONFIRM_WITHIN: Duration = Duration::from_secs(60);

/// Why a withdrawal is refused. Nothing was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithdrawBlock {
    /// The bot runs in global dry-run.
    DryRun,
    /// The user has no wallet.
    NoWallet,
    /// The amount is not `all` or a positive SOL amount.
    BadAmount,
    /// The destination is not a valid address.
    BadAddress,
    /// The destination is the wallet itself.
    SameAddress,
    /// The user has an allowlist and the destination is not on it.
    NotAllowlisted,
    /// The destination is allowlisted but still locked.
    AllowlistLocked {
        /// Usable from (unix ms).
        usable_after_ms: i64,
    },
    /// Non-trade outflows are frozen.
    Frozen {
        /// Frozen until (unix ms).
        until_ms: i64,
    },
    /// This withdrawal would exceed the global hourly limit: outflows are now frozen and admins
    /// must be told.
    LimitHit {
        /// The hourly limit.
        limit: Lamports,
        /// Sent in the last hour.
        sent_last_hour: Lamports,
        /// Requested.
        requested: Lamports,
        /// Frozen until (unix ms).
        until_ms: i64,
    },
    /// The amount does not fit the balance.
    Amount(WithdrawRefusal),
}

/// How a sent withdrawal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithdrawState {
    /// Confirmed on chain.
    Confirmed,
    /// Landed and failed (fee paid, nothing moved).
    Failed,
    /// Not confirmed in time; it may still land.
    Unknown,
    /// Refused before it was broadcast, or expired without landing: nothing moved.
    NotSent,
}

/// A withdrawal that was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawDone {
    /// What was sent.
    pub plan: WithdrawPlan,
    /// Transaction signature.
    pub signature: String,
    /// Outcome.
    pub state: WithdrawState,
}

impl Wallets {
    /// Plans a withdrawal from the default wallet and creates its confirmation button.
    ///
    /// # Errors
    /// Storage or chain failures; refusals are `Ok(Err(_))`.
    pub async fn request_withdraw(
        &self,
        user: UserId,
        amount: &str,
        destination: &str,
    ) -> Result<Result<PendingView, WithdrawBlock>, WalletError> {
        self.ring()?;
        if self.settings.dry_run {
            return Ok(Err(WithdrawBlock::DryRun));
        }
        let Some(request) = WithdrawAmount::parse(amount) else {
            return Ok(Err(WithdrawBlock::BadAmount));
        };
        let Some(dest) = parse_address(destination) else {
            return Ok(Err(WithdrawBlock::BadAddress));
        };
        let Some(wallet) = self.repo.default_wallet(user).await? else {
            return Ok(Err(WithdrawBlock::NoWallet));
        };
        let source = wallet.pubkey.parse::<Pubkey>().map_err(|_| RepoError::Corrupt("wallet address".to_owned()))?;
        if source == dest {
            return Ok(Err(WithdrawBlock::SameAddress));
        }
        if let Err(block) = self.gate(user, &dest).await? {
            return Ok(Err(block));
        }
        let price = self.chain.priority_fee_estimate(&[source, dest]).await.unwrap_or(0).min(MAX_WITHDRAW_CU_PRICE);
        let fee = withdraw_fee(price);
        let inputs = self.inputs(&source, &dest, fee).await?;
        let amount = match plan_amount(request, &inputs) {
            Ok(a) => a,
            Err(refusal) => return Ok(Err(WithdrawBlock::Amount(refusal))),
        };
        let plan = WithdrawPlan {
            wallet_id: wallet.id,
            source: wallet.pubkey.clone(),
            destination: dest.to_string(),
            amount,
            fee,
            unit_price: price,
        };
        Ok(Ok(self.pending(user, PendingKind::Withdraw(plan), wallet.pubkey).await?))
    }

    /// Allowlist and freeze checks shared by request and confirmation.
    async fn gate(&self, user: UserId, dest: &Pubkey) -> Result<Result<(), WithdrawBlock>, WalletError> {
        let now = self.clock.now_ms();
        if let Some(until_ms) = self.repo.outflow_freeze_until().await?.filter(|u| *u > now) {
            return Ok(Err(WithdrawBlock::Frozen { until_ms }));
        }
        let allowlist = self.repo.allowlist(user).await?;
        if allowlist.is_empty() {
            return Ok(Ok(()));
        }
        let dest = dest.to_string();
        Ok(match allowlist.iter().find(|a| a.address == dest) {
            None => Err(WithdrawBlock::NotAllowlisted),
            Some(a) if a.usable_after_ms > now => {
                Err(WithdrawBlock::AllowlistLocked { usable_after_ms: a.usable_after_ms })
            }
            Some(_) => Ok(()),
        })
    }

    async fn inputs(&self, source: &Pubkey, dest: &Pubkey, fee: Lamports) -> Result<WithdrawInputs, WalletError> {
        let rent_minimum = self.chain.rent_exempt_minimum(0).await?;
        Ok(WithdrawInputs {
            balance: self.chain.balance(source).await?,
            fee,
            reserve: rent_minimum,
            destination_balance: self.chain.balance(dest).await?,
            rent_minimum,
        })
    }

    /// Re-checks everything, applies the hourly limit, signs and sends a confirmed withdrawal.
    pub(super) async fn execute_withdraw(
        &self,
        user: UserId,
        plan: WithdrawPlan,
    ) -> Result<Result<WithdrawDone, WithdrawBlock>, WalletError> {
        if self.settings.dry_run {
            return Ok(Err(WithdrawBlock::DryRun));
        }
        let source = plan.source.parse::<Pubkey>().map_err(|_| RepoError::Corrupt("withdraw source".to_owned()))?;
        let dest =
            plan.destination.parse::<Pubkey>().map_err(|_| RepoError::Corrupt("withdraw destination".to_owned()))?;
        if let Err(block) = self.gate(user, &dest).await? {
            return Ok(Err(block));
        }
        if let Err(block) = self.apply_limit(user, plan.amount).await? {
            return Ok(Err(block));
        }
        let inputs = self.inputs(&source, &dest, plan.fee).await?;
        if let Err(refusal) = plan_amount(WithdrawAmount::Exact(plan.amount), &inputs) {
            return Ok(Err(WithdrawBlock::Amount(refusal)));
        }
        let blockhash = self.chain.latest_blockhash().await?;
        let budget = ComputeBudget { unit_limit: WITHDRAW_CU_LIMIT, unit_price: MicroLamportsPerCu(plan.unit_price) };
        let mut draft = TxDraft::new(source, budget);
        draft.push(system_transfer(&SystemTransfer { from: source, to: dest, amount: plan.amount }));
        let message = draft.compile(blockhash.blockhash).map_err(|e| WalletError::Tx(e.to_string()))?;
        let policy = TxPolicy::new(Vec::new()).with_max_compute_unit_price(MicroLamportsPerCu(MAX_WITHDRAW_CU_PRICE));
        let scope =
            PolicyScope { user: source, own_token_accounts: &[], withdraw_destinations: &[dest], lookup_tables: &[] };
        policy.check(&message, &scope).map_err(|e| WalletError::Tx(e.to_string()))?;
        let tx = {
            let Some((_, secret)) = self.unlock(user, plan.wallet_id).await? else {
                return Ok(Err(WithdrawBlock::NoWallet));
            };
            let keypair = secret.keypair();
            sign(message, &keypair).map_err(|e| WalletError::Tx(e.to_string()))?
            // `keypair` and `secret` are zeroized here.
        };
        let signature = tx.signatures.first().map(ToString::to_string).unwrap_or_default();
        // Persist the outflow before sending: a crash after the send still counts it.
        let outflow = Outflow {
            user_id: user,
            wallet_id: plan.wallet_id,
            destination: plan.destination.clone(),
            amount: plan.amount,
        };
        self.repo.record_outflow(&outflow, self.clock.now_ms()).await?;
        let details = format!("amount={} fee={} to={} sig={signature}", plan.amount.0, plan.fee.0, plan.destination);
        self.audit(user, "withdraw_sent", &plan.source, Some(details)).await?;
        let state = self.submit(&tx, blockhash.last_valid_block_height).await;
        tracing::info!(user_id = user.0, %signature, ?state, "withdrawal sent");
        Ok(Ok(WithdrawDone { plan, signature, state }))
    }

    /// The global hourly outflow limit: exceeding it freezes non-trade outflows for an hour.
    async fn apply_limit(&self, user: UserId, amount: Lamports) -> Result<Result<(), WithdrawBlock>, WalletError> {
        let now = self.clock.now_ms();
        let limit = self.settings.withdraw_limit_per_hour;
        let sent = self.repo.outflows_since(now - HOUR_MS).await?;
        if sent.checked_add(amount).is_some_and(|total| total <= limit) {
            return Ok(Ok(()));
        }
        let until_ms = now + HOUR_MS;
        self.repo.freeze_outflows(until_ms).await?;
        let details = format!("limit={} sent_last_hour={} requested={}", limit.0, sent.0, amount.0);
        self.audit(user, "outflows_frozen", "withdraw", Some(details)).await?;
        tracing::warn!(
            user_id = user.0,
            limit = limit.0,
            sent = sent.0,
            requested = amount.0,
            "outflow limit hit: frozen"
        );
        Ok(Err(WithdrawBlock::LimitHit { limit, sent_last_hour: sent, requested: amount, until_ms }))
    }

    /// Simulates, sends and confirms through `solana::submit` (same bytes rebroadcast).
    async fn submit(&self, tx: &VersionedTransaction, last_valid: u64) -> WithdrawState {
        let options = SubmitOptions { give_up_after: CONFIRM_WITHIN, ..SubmitOptions::default() };
        match submit(&*self.chain, tx, last_valid, &options).await {
            SubmitOutcome::Confirmed { .. } => WithdrawState::Confirmed,
            SubmitOutcome::Failed { .. } => WithdrawState::Failed,
            SubmitOutcome::SimulationFailed { .. } | SubmitOutcome::NotSent { .. } | SubmitOutcome::Expired { .. } => {
                WithdrawState::NotSent
            }
            SubmitOutcome::Unknown { .. } => WithdrawState::Unknown,
        }
    }
}

/// Base fee for one signature plus the priority fee at `unit_price`.
fn withdraw_fee(unit_price: u64) -> Lamports {
    let priority = priority_fee_lamports(WITHDRAW_CU_LIMIT, MicroLamportsPerCu(unit_price));
    BASE_FEE_PER_SIGNATURE.checked_add(priority).unwrap_or(Lamports(u64::MAX))
}
