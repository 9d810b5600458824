//! Stages 4–5: execute (paper: simulate; live: persist the signed bytes, submit, confirm) and
//! settle (fill → position → typed notice). Also the two ways a position changes without a
//! sale: dust no venue can buy, and tokens that left the wallet outside the bot.

use super::amounts::{token_account_amount, tx_failure, ui_price};
use super::stages::{PendingIntent, SignedTrade};
use super::{StoredExit, TradeError, TradeOutcome, Trading};
use crate::domain::exit::ExitProgress;
use crate::domain::failure::TradeFailure;
use crate::domain::intent::IntentState;
use crate::domain::money::{Lamports, TokenAmount};
use crate::domain::position::{Fees, Fill, Side};
use crate::domain::risk::TradeMode;
use crate::ports::{AccountData, FillRecord, RecordError, RepoError, SignedTx, TradeNotice};
use crate::solana::submit::{SendPath, SubmitOptions, SubmitOutcome, submit};
use crate::solana::tx::serialize;

/// Stage 4: paper or live.
pub async fn execute(t: &Trading, s: SignedTrade) -> Result<TradeOutcome, TradeError> {
    match s.mode {
        TradeMode::Paper => paper(t, s).await,
        TradeMode::Live => live(t, s).await,
    }
}

/// Paper: simulate the signed transaction and take the fill from its post-state. A paper sell
/// cannot be simulated (the wallet does not hold paper tokens), so it fills at the venue's quote
/// for the same amount, fees included.
async fn paper(t: &Trading, s: SignedTrade) -> Result<TradeOutcome, TradeError> {
    // Paper sells cannot be simulated (the wallet does not hold paper tokens); paper buys of an
    // alert's fan-out fill at the exact venue math of their quote (the on-chain curve formula,
    // checked against the simulator in tests) instead of one simulation per subscriber.
    if s.intent.req.side == Side::Sell || s.intent.req.prefetched.is_some() {
        let (tokens, sol) = quoted_amounts(&s);
        return record_paper(t, &s, tokens, sol).await;
    }
    let watch = [s.token_account, s.owner];
    let sim = t.ports.chain.simulate(&s.tx, &watch).await;
    let (tokens, sol) = match (&s.pre, sim) {
        (Some(pre), Ok(sim)) if sim.err.is_none() => {
            let pre_tokens = token_account_amount(pre.first().and_then(Option::as_ref));
            let post_tokens = token_account_amount(sim.accounts.first().and_then(Option::as_ref));
            let pre_sol = lamports(pre.get(1));
            let post_sol = sim.accounts.get(1).and_then(Option::as_ref).map_or(pre_sol, |a| a.lamports.0);
            fill_amounts(&s, (pre_tokens, post_tokens), (pre_sol, post_sol))
        }
        (_, Ok(sim)) if sim.err.is_some() => {
            let programs = crate::solana::errors::instruction_programs(&s.tx.message);
            let failure = sim.err.as_ref().map(|e| crate::solana::errors::TxFailure::from_json(e, &programs));
            let reason = failure.as_ref().map_or(TradeFailure::OnChain, tx_failure);
            return Ok(super::stages::fail_before_sign(t, &s.intent, reason).await?);
        }
        _ => return Ok(super::stages::fail_before_sign(t, &s.intent, TradeFailure::NetworkUnavailable).await?),
    };
    record_paper(t, &s, tokens, sol).await
}

/// A paper fill: the position is written (and the user told) before the intent is marked
/// confirmed, as for live fills — a crash in between leaves the intent `pending` with its fill
/// recorded, which recovery finds (`trade_for_intent`) and confirms; never a confirmed intent
/// without its position.
async fn record_paper(t: &Trading, s: &SignedTrade, tokens: u64, sol: Lamports) -> Result<TradeOutcome, TradeError> {
    let now = Some(t.ports.clock.now_ms());
    let outcome = record(t, s, tokens, sol, None, now).await?;
    // A fill that does not apply to the position (recorded nothing) fails the intent.
    let (to, error) = match &outcome {
        TradeOutcome::Failed { reason, .. } => (IntentState::Failed, Some(reason.code())),
        _ => (IntentState::Confirmed, None),
    };
    t.ports.intents.transition(s.intent.id, IntentState::Pending, to, error.as_deref()).await?;
    Ok(outcome)
}

fn lamports(account: Option<&Option<AccountData>>) -> u64 {
    account.and_then(Option::as_ref).map_or(0, |a| a.lamports.0)
}

/// Live: persist the signed bytes, send, confirm, account. Trades of one wallet take turns from
/// the balance read before the send to the read after confirmation, and that read is made here
/// (not taken from an alert's prefetch): fills come from balance changes, which must be this
/// trade's alone.
async fn live(t: &Trading, mut s: SignedTrade) -> Result<TradeOutcome, TradeError> {
    let _wallet = t.wallet_locks.lock(s.wallet_id).await;
    s.pre = t.ports.chain.accounts(&[s.token_account, s.owner]).await.ok();
    let id = s.intent.id;
    let signature = s.tx.signatures.first().map(ToString::to_string).unwrap_or_default();
    let signed = SignedTx {
        venue: s.quote.venue.code().to_owned(),
        min_amount_out: s.quote.min_out,
        bytes: serialize(&s.tx).unwrap_or_default(),
        signature,
        last_valid_block_height: s.last_valid_block_height,
    };
    if !t.ports.intents.mark_signed(id, &signed).await? {
        return Ok(TradeOutcome::Failed { intent_id: id, reason: TradeFailure::State });
    }
    crate::failpoint::hit("after_sign");
    // Protected: the Sender only (never the public `sendTransaction`); otherwise the Sender
    // with an RPC fallback when the trade carries a tip, or the RPC.
    let options =
        SubmitOptions { use_sender: s.protected || s.fees.tip.0 > 0, protected: s.protected, ..t.settings.submit };
    let path = SendPath::of(&s.tx, &options);
    let sent_at_ms = t.ports.clock.now_ms();
    // The slot at the send, for the slots-to-land metric: read alongside the send, never before
    // it. The send is polled first, so under a saturated rate limit it takes its request slot
    // ahead of the read; the read in turn is paced ahead of the confirmation polls, so it is
    // normally answered before the trade confirms. A trade never waits more than
    // `SLOT_READ_GRACE` past its own outcome for it.
    let chain = t.ports.chain.as_ref();
    let sent = submit(chain, &s.tx, s.last_valid_block_height, &options);
    let slot = chain.slot();
    tokio::pin!(sent, slot);
    let (send_slot, outcome) = tokio::select! {
        biased;
        outcome = &mut sent => {
            (tokio::time::timeout(SLOT_READ_GRACE, &mut slot).await.ok().and_then(Result::ok), outcome)
        }
        read = &mut slot => (read.ok(), sent.await),
    };
    landing_metrics(t, &s, path, send_slot, &outcome);
    settle_live(t, &s, outcome, sent_at_ms).await
}

/// How long past a trade's outcome the send-slot read may still take (a metric only).
const SLOT_READ_GRACE: std::time::Duration = std::time::Duration::from_millis(250);

/// Landing metrics per send path: sent, landed, slots to land, fees paid.
fn landing_metrics(t: &Trading, s: &SignedTrade, path: SendPath, send_slot: Option<u64>, outcome: &SubmitOutcome) {
    let Some(m) = t.metrics() else { return };
    let f = &s.fees;
    let base = f.network.0.saturating_add(f.priority.0);
    let (landed_slot, fees) = match outcome {
        SubmitOutcome::SimulationFailed { .. } | SubmitOutcome::NotSent { .. } => return,
        SubmitOutcome::Expired { .. } | SubmitOutcome::Unknown { .. } => (None, 0),
        SubmitOutcome::Confirmed { slot, .. } => (Some(*slot), base.saturating_add(f.tip.0)),
        // A failed transaction pays its fees but not the tip (the transfer is rolled back).
        SubmitOutcome::Failed { slot, .. } => (Some(*slot), base),
    };
    m.trade_sent(path.label());
    if let Some(slot) = landed_slot {
        m.trade_landed(path.label(), send_slot.map(|at| slot.saturating_sub(at)), fees);
    }
}

async fn settle_live(
    t: &Trading,
    s: &SignedTrade,
    outcome: SubmitOutcome,
    sent_at_ms: i64,
) -> Result<TradeOutcome, TradeError> {
    let id = s.intent.id;
    let signature = s.tx.signatures.first().map(ToString::to_string).unwrap_or_default();
    let intents = &t.ports.intents;
    match outcome {
        SubmitOutcome::Confirmed { .. } => {
            t.breaker_result(true).await;
            let from = advance_to_sent(t, id).await?;
            crate::failpoint::hit("after_confirm");
            let post = t.ports.chain.accounts(&[s.token_account, s.owner]).await.ok();
            let (tokens, sol) = match (&s.pre, post) {
                (Some(pre), Some(post)) => fill_amounts(
                    s,
                    (token_account_amount(pre[0].as_ref()), token_account_amount(post[0].as_ref())),
                    (lamports(pre.get(1)), lamports(post.get(1))),
                ),
                _ => quoted_amounts(s),
            };
            // The position is written (and the user told) before the intent is marked
            // confirmed: a crash in between leaves it `sent`, and recovery finds the landed
            // transaction, sees the recorded fill (idempotent per intent) and finishes.
            let outcome = record(t, s, tokens, sol, Some(signature), Some(sent_at_ms)).await?;
            intents.transition(id, from, IntentState::Confirmed, None).await?;
            Ok(outcome)
        }
        SubmitOutcome::Failed { failure, .. } => {
            t.breaker_result(false).await;
            let from = advance_to_sent(t, id).await?;
            let reason = tx_failure(&failure);
            intents.transition(id, from, IntentState::Failed, Some(&reason.code())).await?;
            notify_failed(t, s, reason.clone(), Some(signature)).await;
            follow_wallet_after_failed_sell(t, &s.intent, &reason).await?;
            Ok(TradeOutcome::Failed { intent_id: id, reason })
        }
        SubmitOutcome::SimulationFailed { failure, .. } => {
            let reason = tx_failure(&failure);
            intents.transition(id, IntentState::Signed, IntentState::Failed, Some(&reason.code())).await?;
            notify_failed(t, s, reason.clone(), None).await;
            follow_wallet_after_failed_sell(t, &s.intent, &reason).await?;
            Ok(TradeOutcome::Failed { intent_id: id, reason })
        }
        SubmitOutcome::NotSent { .. } => {
            t.breaker_result(false).await;
            let reason = TradeFailure::NotSent;
            intents.transition(id, IntentState::Signed, IntentState::Failed, Some(&reason.code())).await?;
            notify_failed(t, s, reason.clone(), None).await;
            Ok(TradeOutcome::Failed { intent_id: id, reason })
        }
        SubmitOutcome::Expired { .. } => {
            let from = advance_to_sent(t, id).await?;
            let reason = TradeFailure::Expired;
            intents.transition(id, from, IntentState::Expired, Some(&reason.code())).await?;
            notify_failed(t, s, reason.clone(), Some(signature)).await;
            Ok(TradeOutcome::Failed { intent_id: id, reason })
        }
        SubmitOutcome::Unknown { .. } => {
            let from = advance_to_sent(t, id).await?;
            intents.transition(id, from, IntentState::Unknown, None).await?;
            let notice = TradeNotice::Pending { mint: s.intent.req.mint.to_string(), signature: signature.clone() };
            t.ports.notifier.notify(s.intent.req.user, notice).await;
            Ok(TradeOutcome::Pending { intent_id: id, signature, sent_at_ms: Some(sent_at_ms) })
        }
    }
}

/// `signed → sent` if not done yet; returns the state the intent is now in.
async fn advance_to_sent(t: &Trading, intent_id: i64) -> Result<IntentState, RepoError> {
    if t.ports.intents.transition(intent_id, IntentState::Signed, IntentState::Sent, None).await? {
        return Ok(IntentState::Sent);
    }
    Ok(t.ports.intents.intent(intent_id).await?.map_or(IntentState::Sent, |i| i.state))
}

async fn notify_failed(t: &Trading, s: &SignedTrade, reason: TradeFailure, signature: Option<String>) {
    let notice = TradeNotice::Failed { mint: s.intent.req.mint.to_string(), reason, signature };
    t.ports.notifier.notify(s.intent.req.user, notice).await;
}

/// Stage 5: the fill into the position (idempotent per intent), the position event, the notice.
async fn record(
    t: &Trading,
    s: &SignedTrade,
    tokens: u64,
    sol: Lamports,
    signature: Option<String>,
    sent_at_ms: Option<i64>,
) -> Result<TradeOutcome, TradeError> {
    let req = &s.intent.req;
    let mode = s.mode;
    let fill = Fill { side: req.side, sol, tokens, fees: s.fees, at_ms: t.ports.clock.now_ms() };
    let exit_rules = match (req.side, &req.exit_rules) {
        (Side::Buy, Some(rules)) => Some(rules.clone()),
        (Side::Buy, None) => Some(crate::domain::exit::ExitRules::from_config(&s.intent.config)),
        (Side::Sell, _) => None,
    };
    let record = FillRecord {
        intent_id: Some(s.intent.id),
        user: req.user,
        wallet_id: Some(s.wallet_id),
        position_id: s.intent.position.as_ref().map(|p| p.id),
        mint: req.mint.to_string(),
        decimals: s.quote.token_decimals,
        is_paper: mode == TradeMode::Paper,
        fill,
        price: ui_price(Lamports(sol.0.saturating_add(s.fees.protocol.0)), tokens, s.quote.token_decimals),
        signature: signature.clone(),
        exit_rules: exit_rules
            .map(|rules| StoredExit {
                rules,
                progress: ExitProgress { tp_done: 0, initial_tokens: tokens },
                exits_off: false,
            })
            .and_then(|e| serde_json::to_string(&e).ok()),
        source: req.source.clone(),
    };
    let recorded = {
        let _guard = t.record_lock.lock().await;
        t.ports.positions.record_fill(&record).await
    };
    let recorded = match recorded {
        Ok(r) => r,
        Err(RecordError::Repo(e)) => return Err(e.into()),
        Err(RecordError::Position(reason)) => {
            tracing::error!(%reason, intent_id = s.intent.id, "fill does not apply to the position");
            return Ok(TradeOutcome::Failed { intent_id: s.intent.id, reason: TradeFailure::Position });
        }
    };
    if let Some(tx) = t.position_events.get() {
        let _ = tx.send(recorded.position.clone());
    }
    crate::failpoint::hit("before_notify");
    let notice = TradeNotice::Filled {
        side: req.side,
        mint: req.mint.to_string(),
        sol,
        tokens: TokenAmount::new(tokens, s.quote.token_decimals),
        price: record.price,
        fees: Lamports(s.fees.total()),
        pnl: recorded.realization.map(|r| r.pnl),
        paper: mode == TradeMode::Paper,
        signature: signature.clone(),
        position_id: recorded.position.id,
        exit: req.exit_reason,
        safety_unchecked: s.intent.safety_unchecked,
    };
    t.ports.notifier.notify(req.user, notice).await;
    Ok(TradeOutcome::Filled {
        intent_id: s.intent.id,
        position: Box::new(recorded.position),
        fill,
        mode,
        signature,
        sent_at_ms,
    })
}

/// Closes what is left of a position that no venue can buy (a quote of zero SOL, or an amount
/// the venue refuses): a zero-SOL, zero-fee sell of the rest is recorded against the intent, so
/// the cost basis is realized as a loss, the monitor stops tracking it and no sell is ever sent.
pub async fn close_as_dust(t: &Trading, p: &PendingIntent) -> Result<TradeOutcome, RepoError> {
    let Some(position) = &p.position else {
        return super::stages::fail_before_sign(t, p, TradeFailure::Amount).await;
    };
    let rest = position.book.tokens;
    let outcome = shrink(t, position, rest, Some(p.id), TradeFailure::Dust).await?;
    t.ports.intents.transition(p.id, IntentState::Pending, IntentState::Confirmed, Some("trade.dust")).await?;
    Ok(outcome.unwrap_or(TradeOutcome::Refused { intent_id: Some(p.id), reason: TradeFailure::Dust }))
}

/// Positions follow the wallet: after a live sell failed for missing tokens, the wallet's real
/// balance is read; tokens moved or sold outside the bot shrink (or close) the position with a
/// notice, instead of leaving the monitor retrying a sell that cannot land.
async fn follow_wallet_after_failed_sell(
    t: &Trading,
    p: &PendingIntent,
    reason: &TradeFailure,
) -> Result<(), RepoError> {
    let Some(position) = &p.position else { return Ok(()) };
    if position.is_paper || !matches!(reason, TradeFailure::InsufficientFunds | TradeFailure::AccountNotFound) {
        return Ok(());
    }
    let Some((_, owner)) = p.wallet else { return Ok(()) };
    reconcile_with_wallet(t, position, owner).await.map(|_| ())
}

/// Compares a live position with the wallet's token balance and shrinks it to what the wallet
/// holds (closing it at zero). Returns whether it changed. A failed read changes nothing.
///
/// # Errors
/// Storage failures.
pub async fn reconcile_with_wallet(
    t: &Trading,
    position: &crate::ports::PositionRecord,
    owner: solana_pubkey::Pubkey,
) -> Result<bool, RepoError> {
    let Ok(mint) = position.mint.parse::<solana_pubkey::Pubkey>() else { return Ok(false) };
    let holdings = match t.ports.chain.token_holdings(&owner).await {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(position_id = position.id, error.message = %e, "cannot read the wallet to reconcile");
            return Ok(false);
        }
    };
    let held: u64 = holdings.iter().filter(|h| h.mint == mint).map(|h| h.amount.raw).sum();
    if held >= position.book.tokens {
        return Ok(false);
    }
    let missing = position.book.tokens - held;
    Ok(shrink(t, position, missing, None, TradeFailure::TokensGone).await?.is_some())
}

/// Records a zero-SOL, zero-fee sell of `tokens` of `position` and tells the user.
async fn shrink(
    t: &Trading,
    position: &crate::ports::PositionRecord,
    tokens: u64,
    intent_id: Option<i64>,
    reason: TradeFailure,
) -> Result<Option<TradeOutcome>, RepoError> {
    let fill =
        Fill { side: Side::Sell, sol: Lamports::ZERO, tokens, fees: Fees::default(), at_ms: t.ports.clock.now_ms() };
    let record = FillRecord {
        intent_id,
        user: position.user,
        wallet_id: position.wallet_id,
        position_id: Some(position.id),
        mint: position.mint.clone(),
        decimals: position.decimals,
        is_paper: position.is_paper,
        fill,
        price: None,
        signature: None,
        exit_rules: None,
        source: None,
    };
    let recorded = {
        let _guard = t.record_lock.lock().await;
        t.ports.positions.record_fill(&record).await
    };
    let recorded = match recorded {
        Ok(r) => r,
        Err(RecordError::Repo(e)) => return Err(e),
        Err(RecordError::Position(why)) => {
            tracing::warn!(position_id = position.id, %why, "could not adjust the position");
            return Ok(None);
        }
    };
    tracing::info!(position_id = position.id, tokens, reason = %reason, "position adjusted without a sale");
    if let Some(tx) = t.position_events.get() {
        let _ = tx.send(recorded.position.clone());
    }
    let notice = TradeNotice::PositionAdjusted {
        mint: position.mint.clone(),
        position_id: position.id,
        reason,
        before: TokenAmount::new(position.book.tokens, position.decimals),
        after: TokenAmount::new(recorded.position.book.tokens, position.decimals),
    };
    t.ports.notifier.notify(position.user, notice).await;
    Ok(Some(TradeOutcome::Filled {
        intent_id: intent_id.unwrap_or_default(),
        position: Box::new(recorded.position),
        fill,
        mode: if position.is_paper { TradeMode::Paper } else { TradeMode::Live },
        signature: None,
        sent_at_ms: None,
    }))
}

/// Fill amounts from balance changes of the owner's token account and SOL balance.
///
/// Buy: tokens = token increase; SOL paid to the venue = SOL decrease − fees − new-account rent
/// − protocol fee (the protocol fee is booked separately in `Fees`). Sell: tokens = the amount
/// sold; SOL received = SOL increase − rent returned by closing the token account + fees +
/// protocol fee.
fn fill_amounts(s: &SignedTrade, tokens: (u64, u64), sol: (u64, u64)) -> (u64, Lamports) {
    let paid_fees = s.fees.network.0.saturating_add(s.fees.priority.0).saturating_add(s.fees.tip.0);
    match s.intent.req.side {
        Side::Buy => {
            let got = tokens.1.saturating_sub(tokens.0);
            let spent = sol.0.saturating_sub(sol.1).saturating_sub(paid_fees).saturating_sub(s.rent.0);
            let to_venue = spent.saturating_sub(s.fees.protocol.0);
            if got == 0 { quoted_amounts(s) } else { (got, Lamports(to_venue)) }
        }
        Side::Sell => {
            let received = sol
                .1
                .saturating_sub(sol.0)
                .saturating_sub(s.rent_refund.0)
                .saturating_add(paid_fees)
                .saturating_add(s.fees.protocol.0);
            (s.quote.request.amount_in, Lamports(received))
        }
    }
}

/// Fill amounts from the quote (when balances cannot be read).
fn quoted_amounts(s: &SignedTrade) -> (u64, Lamports) {
    let q = &s.quote;
    match s.intent.req.side {
        Side::Buy => (q.expected_out, Lamports(q.request.amount_in.saturating_sub(s.fees.protocol.0))),
        Side::Sell => (q.request.amount_in, Lamports(q.expected_out.saturating_add(s.fees.protocol.0))),
    }
}

/// At start: every live open position is compared with its wallet's token balance (one
/// holdings read per wallet), and positions whose tokens left the wallet outside the bot are
/// shrunk or closed with a notice. Read failures change nothing. Returns how many changed.
///
/// # Errors
/// Storage failures.
pub async fn reconcile_open_positions(t: &Trading) -> Result<usize, RepoError> {
    let open = t.ports.positions.all_open_positions().await?;
    let mut by_user: std::collections::BTreeMap<i64, Vec<crate::ports::PositionRecord>> = Default::default();
    for p in open.into_iter().filter(|p| !p.is_paper && p.wallet_id.is_some()) {
        by_user.entry(p.user.0).or_default().push(p);
    }
    let mut changed = 0;
    for (user, positions) in by_user {
        let Ok(Some((wallet_id, owner))) = t.ports.signer.default_wallet(crate::domain::user::UserId(user)).await
        else {
            continue;
        };
        for p in positions.iter().filter(|p| p.wallet_id == Some(wallet_id)) {
            let _guard = t.sell_locks.lock(p.id).await;
            if t.ports.intents.sell_in_flight(p.id).await? {
                continue;
            }
            if reconcile_with_wallet(t, p, owner).await? {
                changed += 1;
            }
        }
    }
    Ok(changed)
}
