//! Crash recovery: before any new trading, every unfinished intent is reconciled with the chain.
//!
//! - `pending` (nothing was signed, so nothing was sent): marked failed, the user is told.
//! - `signed` / `sent` / `unknown`: the stored signature is looked up with a history search.
//!   Landed and succeeded → confirmed, and the fill is recorded into the position (idempotent per
//!   intent, so a crash after the position write records nothing twice). Landed and failed →
//!   failed. Not found and the blockhash still valid → the SAME stored bytes are re-sent and
//!   confirmed. Not found and expired → expired (it can never land).
//!
//! While running, [`run_reconciler`] re-checks `unknown` intents (sent, outcome not settled)
//! every few seconds the same way, so the user who was told "pending" gets the final result.

use std::time::Duration;

use solana_pubkey::Pubkey;
use solana_signature::Signature;
use solana_transaction::versioned::VersionedTransaction;

use super::trade::{Trading, token_account_amount, tx_failure, ui_price};
use crate::domain::failure::TradeFailure;
use crate::domain::intent::IntentOrigin;
use crate::domain::intent::{Intent, IntentState};
use crate::domain::money::{Lamports, TokenAmount};
use crate::domain::position::{Fees, Fill, Side};
use crate::ports::{ChainError, FillRecord, RecordError, RepoError, TradeNotice};
use crate::solana::errors::TxFailure;
use crate::solana::instructions::AtaSpec;
use crate::solana::submit::{SubmitOptions, SubmitOutcome, submit};

/// What recovery did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Intents examined.
    pub examined: u32,
    /// Found landed and recorded.
    pub confirmed: u32,
    /// Marked failed (never signed, or landed with an error).
    pub failed: u32,
    /// Expired without landing.
    pub expired: u32,
    /// Still unknown (the chain could not be asked); retried at the next start.
    pub unknown: u32,
    /// Alert buys interrupted before signing, left pending for the connector to resume while
    /// their post is fresh (or fail as stale).
    pub resumable: Vec<Intent>,
}

/// Why recovery could not run.
#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// Reconciles every unfinished intent. Call before trading starts.
///
/// # Errors
/// Storage failures (the chain being unreachable leaves intents `unknown` instead).
pub async fn recover(trading: &Trading, options: &SubmitOptions) -> Result<RecoveryReport, RecoveryError> {
    let ports = trading.recovery_ports();
    let mut report = RecoveryReport::default();
    for intent in ports.intents.unfinished().await? {
        report.examined += 1;
        let outcome = match (&intent.signed_tx, &intent.signature, intent.last_valid_block_height) {
            (Some(bytes), Some(sig), Some(lvbh)) => reconcile_sent(trading, &intent, bytes, sig, lvbh, options).await?,
            // A paper fill recorded just before a crash: the position exists, the intent only
            // missed its final state.
            _ if ports.positions.trade_for_intent(intent.id).await?.is_some() => {
                ports.intents.transition(intent.id, intent.state, IntentState::Confirmed, None).await?;
                IntentState::Confirmed
            }
            // An alert buy that never got signed may still be worth buying: the connector resumes
            // it while its post is fresh, or fails it as stale (`Connector::resume`).
            _ if intent.state == IntentState::Pending
                && intent.new.origin == IntentOrigin::Alert
                && intent.new.side == Side::Buy =>
            {
                report.resumable.push(intent);
                continue;
            }
            _ => {
                let reason = TradeFailure::Interrupted;
                ports.intents.transition(intent.id, intent.state, IntentState::Failed, Some(&reason.code())).await?;
                notify_failed(trading, &intent, reason, None).await;
                IntentState::Failed
            }
        };
        match outcome {
            IntentState::Confirmed => report.confirmed += 1,
            IntentState::Failed => report.failed += 1,
            IntentState::Expired => report.expired += 1,
            _ => report.unknown += 1,
        }
    }
    if report.examined > 0 {
        tracing::info!(?report, "recovered unfinished trade intents");
    }
    Ok(report)
}

/// One reconciler pass: re-checks every `unknown` intent against the chain (history search; a
/// landed one is recorded and the user told, a dead one is marked failed or expired and the user
/// told; an unanswerable chain leaves it `unknown`). Intents in other states belong to a running
/// trade and are left alone.
///
/// # Errors
/// Storage failures.
pub async fn reconcile_unknown(trading: &Trading, options: &SubmitOptions) -> Result<RecoveryReport, RecoveryError> {
    let mut report = RecoveryReport::default();
    let unknown =
        trading.recovery_ports().intents.unfinished().await?.into_iter().filter(|i| i.state == IntentState::Unknown);
    for intent in unknown {
        report.examined += 1;
        let outcome = match (&intent.signed_tx, &intent.signature, intent.last_valid_block_height) {
            (Some(bytes), Some(sig), Some(lvbh)) => reconcile_sent(trading, &intent, bytes, sig, lvbh, options).await?,
            _ => IntentState::Unknown,
        };
        match outcome {
            IntentState::Confirmed => report.confirmed += 1,
            IntentState::Failed => report.failed += 1,
            IntentState::Expired => report.expired += 1,
            _ => report.unknown += 1,
        }
    }
    Ok(report)
}

/// Runs [`reconcile_unknown`] every `every` until `stop` resolves (a pass in progress is
/// abandoned at stop; the intent stays unfinished and start-up recovery picks it up).
pub async fn run_reconciler(
    trading: Trading,
    every: Duration,
    options: SubmitOptions,
    stop: impl Future<Output = ()> + Send,
) {
    tokio::pin!(stop);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let pass = async {
            tick.tick().await;
            reconcile_unknown(&trading, &options).await
        };
        tokio::select! {
            () = &mut stop => return,
            result = pass => match result {
                Ok(report) if report.examined > 0 => tracing::info!(?report, "reconciled unknown trade intents"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error.message = %e, "reconciling unknown intents failed; retrying"),
            },
        }
    }
}

async fn reconcile_sent(
    trading: &Trading,
    intent: &Intent,
    bytes: &[u8],
    signature: &str,
    lvbh: u64,
    options: &SubmitOptions,
) -> Result<IntentState, RecoveryError> {
    let ports = trading.recovery_ports();
    let Ok(tx) = crate::solana::tx::deserialize(bytes) else {
        ports.intents.transition(intent.id, intent.state, IntentState::Failed, Some("trade.corrupt")).await?;
        return Ok(IntentState::Failed);
    };
    let sig = signature.parse::<Signature>().unwrap_or_default();
    // First ask with a history search: a landed transaction must never be re-sent.
    let status = match ports.chain.signature_statuses(&[sig], true).await {
        Ok(mut v) => v.pop().flatten(),
        Err(e) => return Ok(leave_unknown(trading, intent, &e).await?),
    };
    let outcome = match status {
        Some(s) if s.err.is_none() => SubmitOutcome::Confirmed { signature: sig, slot: s.slot },
        Some(s) => {
            let err = s.err.unwrap_or_default();
            let programs = crate::solana::errors::instruction_programs(&tx.message);
            SubmitOutcome::Failed { signature: sig, slot: s.slot, failure: TxFailure::from_json(&err, &programs), err }
        }
        // Not seen: re-send the SAME stored bytes (or learn it expired).
        None => submit(ports.chain.as_ref(), &tx, lvbh, &SubmitOptions { simulate_first: false, ..*options }).await,
    };
    let from = if intent.state == IntentState::Signed {
        if ports.intents.transition(intent.id, IntentState::Signed, IntentState::Sent, None).await? {
            IntentState::Sent
        } else {
            intent.state
        }
    } else {
        intent.state
    };
    Ok(match outcome {
        SubmitOutcome::Confirmed { .. } => {
            record_recovered(trading, intent, &tx, signature).await?;
            ports.intents.transition(intent.id, from, IntentState::Confirmed, None).await?;
            IntentState::Confirmed
        }
        SubmitOutcome::Failed { failure, .. } | SubmitOutcome::SimulationFailed { failure, .. } => {
            let reason = tx_failure(&failure);
            ports.intents.transition(intent.id, from, IntentState::Failed, Some(&reason.code())).await?;
            notify_failed(trading, intent, reason, Some(signature.to_owned())).await;
            IntentState::Failed
        }
        SubmitOutcome::Expired { .. } | SubmitOutcome::NotSent { .. } => {
            ports.intents.transition(intent.id, from, IntentState::Expired, Some("tx.expired")).await?;
            notify_failed(trading, intent, TradeFailure::Expired, Some(signature.to_owned())).await;
            IntentState::Expired
        }
        SubmitOutcome::Unknown { .. } => {
            ports.intents.transition(intent.id, from, IntentState::Unknown, None).await?;
            IntentState::Unknown
        }
    })
}

async fn leave_unknown(trading: &Trading, intent: &Intent, e: &ChainError) -> Result<IntentState, RepoError> {
    tracing::warn!(intent_id = intent.id, error.message = %e, "chain unreachable during recovery; intent stays unknown");
    let ports = trading.recovery_ports();
    if intent.state != IntentState::Unknown {
        let from = if intent.state == IntentState::Signed
            && ports.intents.transition(intent.id, IntentState::Signed, IntentState::Sent, None).await?
        {
            IntentState::Sent
        } else {
            intent.state
        };
        ports.intents.transition(intent.id, from, IntentState::Unknown, None).await?;
    }
    Ok(IntentState::Unknown)
}

/// Records the fill of a landed intent. The amounts are read from the chain: for a buy, the
/// tokens the wallet holds beyond what its other open positions in the mint account for; the
/// SOL is the intent's exact input. For a sell, the intent's token amount and its minimum output
/// (the guaranteed lower bound).
async fn record_recovered(
    trading: &Trading,
    intent: &Intent,
    tx: &VersionedTransaction,
    signature: &str,
) -> Result<(), RepoError> {
    let ports = trading.recovery_ports();
    // Already recorded (a crash after the position write): tell the user, record nothing.
    if let Some(trade) = ports.positions.trade_for_intent(intent.id).await? {
        let position = match trade.position_id {
            Some(id) => ports.positions.position(intent.new.user, id).await?,
            None => None,
        };
        let decimals = position.as_ref().map_or(0, |p| p.decimals);
        let notice = TradeNotice::Filled {
            side: trade.side,
            mint: trade.mint.clone(),
            sol: trade.sol,
            tokens: TokenAmount::new(trade.tokens, decimals),
            price: trade.price,
            fees: Lamports(trade.fees.total()),
            pnl: (trade.side == Side::Sell).then_some(trade.realized_pnl),
            paper: trade.is_paper,
            signature: trade.signature.clone(),
            position_id: trade.position_id.unwrap_or_default(),
            exit: None,
            safety_unchecked: false,
        };
        ports.notifier.notify(intent.new.user, notice).await;
        return Ok(());
    }
    let Ok(mint) = intent.new.mint.parse::<Pubkey>() else {
        return Err(RepoError::Corrupt("intent mint".to_owned()));
    };
    let owner = tx.message.static_account_keys().first().copied().unwrap_or_default();
    let mint_account = ports.chain.account(&mint).await.ok().flatten();
    let decimals = mint_account.as_ref().and_then(|a| a.data.get(44).copied()).unwrap_or(0);
    let token_program = mint_account.as_ref().map_or(crate::solana::ids::TOKEN_PROGRAM, |a| a.owner);
    let (tokens, sol) = match intent.new.side {
        Side::Buy => {
            let ata = AtaSpec { owner, mint, token_program }.address();
            let held = token_account_amount(ports.chain.account(&ata).await.ok().flatten().as_ref());
            let booked = ports
                .positions
                .open_position_in(intent.new.user, &intent.new.mint)
                .await?
                .filter(|p| !p.is_paper)
                .map_or(0, |p| p.book.tokens);
            (held.saturating_sub(booked), Lamports(intent.new.amount_in))
        }
        Side::Sell => (intent.new.amount_in, Lamports(intent.min_amount_out.unwrap_or(0))),
    };
    if tokens == 0 {
        tracing::error!(intent_id = intent.id, "landed intent but no tokens attributable; not recording a fill");
        return Ok(());
    }
    let fees = Fees { network: Lamports(5_000), ..Fees::default() };
    let fill = Fill { side: intent.new.side, sol, tokens, fees, at_ms: ports.clock.now_ms() };
    let rules = ports.users.config(intent.new.user).await.ok().map(|c| crate::domain::exit::ExitRules::from_config(&c));
    let exit_rules = rules
        .filter(|_| intent.new.side == Side::Buy)
        .map(|rules| super::trade::StoredExit {
            rules,
            progress: crate::domain::exit::ExitProgress { tp_done: 0, initial_tokens: tokens },
            exits_off: false,
        })
        .and_then(|s| serde_json::to_string(&s).ok());
    let record = FillRecord {
        intent_id: Some(intent.id),
        user: intent.new.user,
        wallet_id: intent.new.wallet_id,
        position_id: intent.new.position_id.filter(|_| intent.new.side == Side::Sell),
        mint: intent.new.mint.clone(),
        decimals,
        is_paper: false,
        fill,
        price: ui_price(sol, tokens, decimals),
        signature: Some(signature.to_owned()),
        exit_rules,
        source: Some("recovered".to_owned()),
    };
    match ports.positions.record_fill(&record).await {
        Ok(recorded) => {
            let notice = TradeNotice::Filled {
                side: intent.new.side,
                mint: intent.new.mint.clone(),
                sol,
                tokens: TokenAmount::new(tokens, decimals),
                price: record.price,
                fees: Lamports(fees.total()),
                pnl: recorded.realization.map(|r| r.pnl),
                paper: false,
                signature: Some(signature.to_owned()),
                position_id: recorded.position.id,
                exit: None,
                safety_unchecked: false,
            };
            ports.notifier.notify(intent.new.user, notice).await;
            Ok(())
        }
        Err(RecordError::Repo(e)) => Err(e),
        Err(RecordError::Position(reason)) => {
            tracing::error!(intent_id = intent.id, %reason, "recovered fill does not apply to the position");
            Ok(())
        }
    }
}

async fn notify_failed(trading: &Trading, intent: &Intent, reason: TradeFailure, signature: Option<String>) {
    let notice = TradeNotice::Failed { mint: intent.new.mint.clone(), reason, signature };
    trading.recovery_ports().notifier.notify(intent.new.user, notice).await;
}
