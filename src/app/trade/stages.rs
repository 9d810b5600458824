//! Stages 1–3: accept (target + stored intent), approve (quote + risk), build (plan + policy +
//! sign). Each takes the previous stage's type, so none can be skipped.

use solana_pubkey::Pubkey;
use solana_transaction::versioned::VersionedTransaction;

use super::amounts::{
    LAMPORTS_PER_SIGNATURE, MAX_CU_PRICE, closeable_when_empty, fee_estimate, percent_of, token_account_amount,
    venue_failure, venue_retryable,
};
use super::guard::{BuyFingerprint, SellGuard};
use super::{TradeAmount, TradeOutcome, TradeRequest, Trading};
use crate::domain::alert::freshness::{FreshnessLimits, check_drift};
use crate::domain::breaker::Admission;
use crate::domain::failure::{TradeFailure, VenueFailure};
use crate::domain::intent::{IntentOrigin, IntentState, NewIntent};
use crate::domain::money::Lamports;
use crate::domain::position::{Fees, Side};
use crate::domain::risk::{EntryProposal, RiskApproved, RiskSnapshot, TradeMode, approve_entry, approve_exit};
use crate::domain::user_config::{PriorityFee, UserConfig};
use crate::ports::{
    AccountData, AlertPrices, Inserted, PlanOptions, PositionRecord, Quote, QuoteRequest, RepoError, SignerError,
    VenueError,
};
use crate::solana::instructions::{AtaSpec, CloseAccount, ComputeUnits, MicroLamportsPerCu, close_account};
use crate::solana::policy::{PolicyScope, TxPolicy};
use crate::solana::tip::Tip;
use crate::solana::tx::{ComputeBudget, TxDraft};

/// Stage 1: a stored, pending intent and everything resolved for it.
#[derive(Debug)]
pub struct PendingIntent {
    pub(super) id: i64,
    pub(super) req: TradeRequest,
    /// The user's config, with `dry_run` set by the position for sells.
    pub(super) config: UserConfig,
    pub(super) wallet: Option<(i64, Pubkey)>,
    /// Lamports (buy) or raw tokens (sell).
    pub(super) amount_in: u64,
    /// Sells: the position as settled when the sell started (under its lock).
    pub(super) position: Option<PositionRecord>,
    /// Buys: adds to an open position.
    pub(super) adds: bool,
    /// Buys: the safety read failed and the rules (`normal`) let the buy go on; the fill says so.
    pub(super) safety_unchecked: bool,
}

/// Stage 2: a pending intent with its quote (wrapped in `RiskApproved` once the rules passed).
#[derive(Debug)]
pub struct Quoted {
    pub(super) intent: PendingIntent,
    pub(super) quote: Quote,
    pub(super) owner: Pubkey,
    pub(super) wallet_id: i64,
}

/// Stage 3: signed and ready to simulate (paper) or send (live).
#[derive(Debug)]
pub struct SignedTrade {
    pub(super) intent: PendingIntent,
    pub(super) mode: TradeMode,
    pub(super) tx: VersionedTransaction,
    pub(super) last_valid_block_height: u64,
    pub(super) owner: Pubkey,
    pub(super) wallet_id: i64,
    pub(super) token_account: Pubkey,
    pub(super) fees: Fees,
    /// Rent locked in accounts the trade creates.
    pub(super) rent: Lamports,
    /// Rent returned by closing the emptied token account in the same transaction.
    pub(super) rent_refund: Lamports,
    pub(super) quote: Quote,
    /// Token account and owner before the trade (fill amounts from balance changes).
    pub(super) pre: Option<Vec<Option<AccountData>>>,
    /// Sandwich protection: sent through the Sender only (the tip carries `jitodontfront`).
    pub(super) protected: bool,
}

/// What stage 1 decided.
pub enum Accepted {
    /// Continue; sells hold their position's lock until the trade settles.
    Go(Box<PendingIntent>, Option<SellGuard>),
    /// Nothing (more) to do.
    Done(TradeOutcome),
}

/// Stage 1: resolves the target, applies the guards and stores the intent.
pub async fn accept(t: &Trading, req: TradeRequest) -> Result<Accepted, RepoError> {
    let config = t.ports.users.config(req.user).await?;
    match req.side {
        Side::Buy => accept_buy(t, req, config).await,
        Side::Sell => accept_sell(t, req, config).await,
    }
}

async fn accept_buy(t: &Trading, req: TradeRequest, config: UserConfig) -> Result<Accepted, RepoError> {
    let wallet = match &req.prefetched {
        Some(p) => p.wallet.as_ref().map(|w| (w.id, w.owner)),
        None => default_wallet(t, &req).await?,
    };
    let lamports = match req.amount {
        TradeAmount::Sol(l) if l.0 > 0 => l.0,
        TradeAmount::WalletShare(bps) if (1..=10_000).contains(&bps) => {
            match wallet_share(t, &req, wallet, &config, bps).await {
                Ok(l) => l.0,
                Err(failure) => return Ok(Accepted::Done(t.refuse(&req, None, failure).await)),
            }
        }
        _ => return Ok(Accepted::Done(t.refuse(&req, None, TradeFailure::Amount).await)),
    };
    if req.origin == IntentOrigin::Manual && !req.resume {
        let window_ms = config.double_tap_guard_secs.map_or(0, |s| i64::from(s) * 1_000);
        let paper = t.settings.global_dry_run || config.dry_run;
        let fp = BuyFingerprint { user: req.user, mint: req.mint, lamports, source: req.source.clone(), paper };
        if !t.double_tap.admit(fp, t.ports.clock.now_ms(), window_ms) {
            // A redelivered update carries the same key: report it as the duplicate it is.
            if let Some(first) = t.ports.intents.by_key(&req.key).await? {
                return Ok(Accepted::Done(TradeOutcome::Duplicate { intent_id: first.id, state: first.state }));
            }
            return Ok(Accepted::Done(t.refuse(&req, None, TradeFailure::AlreadyBuying).await));
        }
    }
    let adds = t.ports.positions.open_position_in(req.user, &req.mint.to_string()).await?.is_some();
    let paper = t.settings.global_dry_run || config.dry_run;
    let id = match store(t, &req, wallet, None, lamports, paper).await? {
        Ok(id) => id,
        Err(done) => return Ok(Accepted::Done(done)),
    };
    let pending =
        PendingIntent { id, req, config, wallet, amount_in: lamports, position: None, adds, safety_unchecked: false };
    Ok(Accepted::Go(Box::new(pending), None))
}

async fn accept_sell(t: &Trading, req: TradeRequest, config: UserConfig) -> Result<Accepted, RepoError> {
    let positions = &t.ports.positions;
    let target = match req.position_id {
        Some(id) => positions.position(req.user, id).await?,
        None => positions.open_position_in(req.user, &req.mint.to_string()).await?,
    };
    let Some(target) = target.filter(|p| p.mint == req.mint.to_string()) else {
        return Ok(Accepted::Done(t.refuse(&req, None, TradeFailure::NoPosition).await));
    };
    if !target.is_open {
        return Ok(Accepted::Done(t.refuse(&req, None, TradeFailure::PositionClosed).await));
    }
    // One sell at a time per position. An exit never queues behind another sell: the monitor
    // re-evaluates on its next tick against the settled position.
    let guard = if req.origin == IntentOrigin::Exit {
        match t.sell_locks.try_lock(target.id) {
            Some(g) => g,
            None => {
                return Ok(Accepted::Done(TradeOutcome::Refused {
                    intent_id: None,
                    reason: TradeFailure::SellInFlight,
                }));
            }
        }
    } else {
        t.sell_locks.lock(target.id).await
    };
    // A repeated press of the same button waited for the first one: it is the same action.
    if let Some(first) = t.ports.intents.by_key(&req.key).await?
        && !(req.resume && first.state == IntentState::Pending)
    {
        return Ok(Accepted::Done(TradeOutcome::Duplicate { intent_id: first.id, state: first.state }));
    }
    // The settled position: amounts come from what it holds now, never from a snapshot.
    let Some(position) = positions.position(req.user, target.id).await?.filter(|p| p.is_open && p.book.tokens > 0)
    else {
        return Ok(Accepted::Done(t.refuse(&req, None, TradeFailure::PositionClosed).await));
    };
    if t.ports.intents.sell_in_flight(position.id).await? {
        return Ok(Accepted::Done(t.refuse(&req, None, TradeFailure::SellInFlight).await));
    }
    let held = position.book.tokens;
    let amount_in = match req.amount {
        TradeAmount::Tokens(n) if n > 0 => n.min(held),
        TradeAmount::PercentOfPosition(pct) if (1..=100).contains(&pct) => percent_of(held, pct),
        _ => return Ok(Accepted::Done(t.refuse(&req, None, TradeFailure::Amount).await)),
    };
    // A sell follows the position it sells: a paper position is sold on paper and a live one
    // live, whatever the user's dry-run setting is now. Under the global DRY_RUN nothing may be
    // sent, so a live position cannot be sold and says why.
    if !position.is_paper && t.settings.global_dry_run {
        return Ok(Accepted::Done(t.refuse(&req, None, TradeFailure::LivePositionDryRun).await));
    }
    let config = UserConfig { dry_run: position.is_paper, ..config };
    let wallet = default_wallet(t, &req).await?;
    let id = match store(t, &req, wallet, Some(position.id), amount_in, position.is_paper).await? {
        Ok(id) => id,
        Err(done) => return Ok(Accepted::Done(done)),
    };
    let pending = PendingIntent {
        id,
        req,
        config,
        wallet,
        amount_in,
        position: Some(position),
        adds: true,
        safety_unchecked: false,
    };
    Ok(Accepted::Go(Box::new(pending), Some(guard)))
}

/// `bps` of the wallet's spendable SOL now (its balance above the user's reserve), for a
/// `WalletShare` buy: from the fan-out's read when there is one, else one balance read (retried).
/// No wallet, an unknown balance, or nothing spendable refuses the buy.
async fn wallet_share(
    t: &Trading,
    req: &TradeRequest,
    wallet: Option<(i64, Pubkey)>,
    config: &UserConfig,
    bps: u32,
) -> Result<Lamports, TradeFailure> {
    let Some((_, owner)) = wallet else { return Err(TradeFailure::NoWallet) };
    let prefetched = req.prefetched.as_ref().and_then(|p| p.wallet.as_ref()).filter(|w| w.owner == owner);
    let balance = match prefetched {
        Some(w) => w.lamports,
        None => with_retry(t, crate::ports::ChainError::is_retryable, || t.ports.chain.balance(&owner))
            .await
            .map_err(|_| TradeFailure::NetworkUnavailable)?,
    };
    let share = crate::domain::order::share_of(balance, config.min_sol_reserve, bps);
    if share.0 == 0 {
        return Err(TradeFailure::InsufficientFunds);
    }
    Ok(share)
}

async fn default_wallet(t: &Trading, req: &TradeRequest) -> Result<Option<(i64, Pubkey)>, RepoError> {
    // An alert's fan-out read every buyer's default wallet in one query.
    if let Some(w) = req.prefetched.as_ref().and_then(|p| p.wallet.as_ref()) {
        return Ok(Some((w.id, w.owner)));
    }
    match t.ports.signer.default_wallet(req.user).await {
        Ok(w) => Ok(w),
        Err(SignerError::Repo(e)) => Err(RepoError::Corrupt(e)),
        Err(_) => Ok(None),
    }
}

/// Stores the intent (idempotent by key). `Err` carries the duplicate's outcome.
async fn store(
    t: &Trading,
    req: &TradeRequest,
    wallet: Option<(i64, Pubkey)>,
    position_id: Option<i64>,
    amount_in: u64,
    paper: bool,
) -> Result<Result<i64, TradeOutcome>, RepoError> {
    let new = NewIntent {
        key: req.key.clone(),
        user: req.user,
        wallet_id: wallet.map(|w| w.0),
        side: req.side,
        mint: req.mint.to_string(),
        origin: req.origin,
        alert_id: req.alert_id.clone(),
        position_id,
        amount_in,
        dry_run: paper,
        received_at_ms: req.received_at_ms,
    };
    let id = match t.ports.intents.insert_if_new(&new).await? {
        Inserted::New(id) => id,
        Inserted::Existing(first) if req.resume && first.state == IntentState::Pending => first.id,
        Inserted::Existing(first) => {
            return Ok(Err(TradeOutcome::Duplicate { intent_id: first.id, state: first.state }));
        }
    };
    crate::failpoint::hit("after_intent_insert");
    Ok(Ok(id))
}

/// Fails a pending intent (nothing was signed) and tells the user.
pub async fn fail_before_sign(t: &Trading, p: &PendingIntent, reason: TradeFailure) -> Result<TradeOutcome, RepoError> {
    fail_intent(t, p.id, &p.req, reason).await
}

async fn fail_intent(
    t: &Trading,
    id: i64,
    req: &TradeRequest,
    reason: TradeFailure,
) -> Result<TradeOutcome, RepoError> {
    t.ports.intents.transition(id, IntentState::Pending, IntentState::Failed, Some(&reason.code())).await?;
    Ok(t.refuse(req, Some(id), reason).await)
}

/// Retries `read` on transient errors within the settings' budget.
async fn with_retry<T, E, F, Fut>(t: &Trading, retryable: impl Fn(&E) -> bool, mut read: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let budget = t.settings.read_retry;
    let mut delay = budget.first_delay;
    let mut attempt = 1;
    loop {
        match read().await {
            Err(e) if retryable(&e) && attempt < budget.attempts.max(1) => {
                tracing::debug!(attempt, "transient read failure; retrying");
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Stage 2: quote (with retries), dust and drift checks, then the risk rules.
pub async fn approve(
    t: &Trading,
    mut p: PendingIntent,
) -> Result<Result<RiskApproved<Quoted>, TradeOutcome>, RepoError> {
    let Some((wallet_id, owner)) = p.wallet else {
        return Ok(Err(fail_before_sign(t, &p, TradeFailure::NoWallet).await?));
    };
    let slippage = p.req.slippage.unwrap_or(p.config.slippage);
    let request = QuoteRequest { mint: p.req.mint, side: p.req.side, amount_in: p.amount_in, slippage };
    let quoting = async {
        match &p.req.prefetched {
            // An alert's fan-out read the market once: requote this size from it (no chain read).
            Some(pre) => t.ports.swapper.requote(&request, &pre.market).await,
            None => with_retry(t, venue_retryable, || t.ports.swapper.quote(&request)).await,
        }
    };
    // Buys only: the token's safety facts, read concurrently with the quote (the fan-out's
    // shared read, else the cache, else one batched read). Sells are never checked.
    let safety_read = async {
        match (&p.req.prefetched, p.req.side) {
            (_, Side::Sell) => None,
            (Some(pre), Side::Buy) => Some(pre.safety.clone()),
            (None, Side::Buy) => Some(t.safety.read(&p.req.mint).await),
        }
    };
    let (quote, safety) = tokio::join!(quoting, safety_read);
    let quote = match quote {
        Ok(q) if p.req.side == Side::Sell && q.expected_out == 0 => {
            return Ok(Err(super::settle::close_as_dust(t, &p).await?));
        }
        Ok(q) => q,
        Err(VenueError::Amount(_)) if p.req.side == Side::Sell => {
            return Ok(Err(super::settle::close_as_dust(t, &p).await?));
        }
        Err(e) => {
            let failure = match venue_failure(&e) {
                TradeFailure::Venue(VenueFailure::Unavailable) => TradeFailure::NetworkUnavailable,
                other => other,
            };
            return Ok(Err(fail_before_sign(t, &p, failure).await?));
        }
    };
    if let Some(safety) = safety {
        match check_safety(t, &p, safety, &quote, owner).await {
            Ok(unchecked) => p.safety_unchecked = unchecked,
            Err(refusal) => return Ok(Err(fail_before_sign(t, &p, TradeFailure::Safety(refusal)).await?)),
        }
    }
    if p.req.origin == IntentOrigin::Alert {
        let prices = AlertPrices { call: p.req.price_guard.map(|g| g.reference), quote: Some(quote.price) };
        t.ports.intents.record_prices(p.id, &prices).await?;
    }
    if let Some(guard) = p.req.price_guard {
        let limits = FreshnessLimits { max_age_secs: None, max_drift_bps: guard.max_drift_bps };
        if check_drift(Some(guard.reference), quote.price, limits).is_err() {
            return Ok(Err(fail_before_sign(t, &p, TradeFailure::Drift).await?));
        }
    }
    let (id, req) = (p.id, p.req.clone());
    let quoted = Quoted { intent: p, quote, owner, wallet_id };
    match risk(t, quoted).await? {
        Ok(approved) => Ok(Ok(approved)),
        Err(failure) => Ok(Err(fail_intent(t, id, &req, failure).await?)),
    }
}

/// The user's safety rules (with the source's overrides) against the token; runs the round
/// trip (cached per mint) when the rules need it and it has not run yet. `Ok(true)`: no safety
/// data, and the rules (`normal`) let the buy go on unchecked.
async fn check_safety(
    t: &Trading,
    p: &PendingIntent,
    safety: Option<std::sync::Arc<crate::domain::safety::TokenSafety>>,
    quote: &Quote,
    owner: Pubkey,
) -> Result<bool, crate::domain::safety::SafetyRefusal> {
    use crate::domain::safety::{evaluate, needs_round_trip};
    let rules = p.config.safety.with(&p.req.safety_overrides);
    let safety = match safety {
        Some(s) if needs_round_trip(Some(&s), &rules) => Some(t.safety.with_round_trip(s, quote, owner).await),
        other => other,
    };
    evaluate(safety.as_deref(), &rules)?;
    let unchecked = safety.is_none() && rules.level != crate::domain::safety::SafetyLevel::Off;
    if unchecked {
        tracing::warn!(user_id = p.req.user.0, mint = %p.req.mint, "buying without safety data (rules: normal)");
    }
    Ok(unchecked)
}

async fn risk(t: &Trading, q: Quoted) -> Result<Result<RiskApproved<Quoted>, TradeFailure>, RepoError> {
    let user = q.intent.req.user;
    let now_ms = t.ports.clock.now_ms();
    let mut snap = RiskSnapshot {
        kill_switch: t.ports.controls.kill_switch().await?,
        global_dry_run: t.settings.global_dry_run,
        user_paused: t.ports.controls.is_paused(user).await?,
        now_ms,
        ..RiskSnapshot::default()
    };
    if q.intent.req.side == Side::Sell {
        let config = q.intent.config.clone();
        return Ok(approve_exit(q, &config, &snap).map_err(TradeFailure::Risk));
    }
    let day_start = crate::app::livetrade::utc_day_start_ms(now_ms);
    let summary = t.ports.stats.summary(user, day_start).await?;
    snap.exposure = summary.exposure;
    snap.open_positions = summary.open_positions;
    snap.adds_to_open_position = q.intent.adds;
    snap.realized_day = summary.realized_today_lamports;
    // One read of the realized sells gives the 7/30-day budgets and the equity inputs.
    snap.apply_realized(&t.ports.positions.realized_trades(user).await?);
    // An unknown balance is never a zero balance: retried, then refused as a network problem.
    let owner = q.owner;
    let prefetched = q.intent.req.prefetched.as_ref().and_then(|p| p.wallet.as_ref()).filter(|w| w.owner == owner);
    let balance = async {
        match prefetched {
            Some(w) => Ok(w.lamports),
            None => with_retry(t, crate::ports::ChainError::is_retryable, || t.ports.chain.balance(&owner)).await,
        }
    };
    snap.wallet_balance = match balance.await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error.message = %e, "balance read failed after retries");
            return Ok(Err(TradeFailure::NetworkUnavailable));
        }
    };
    let paper = snap.global_dry_run || q.intent.config.dry_run;
    let tip = q.intent.config.effective_tip(t.settings.default_tip, !paper && q.intent.config.mev_protection);
    let proposal = EntryProposal {
        amount: Lamports(q.quote.request.amount_in),
        fees: Lamports(fee_estimate(&q.intent.config, 200_000, tip)),
        price_impact: q.quote.price_impact,
        liquidity: q.quote.liquidity,
    };
    // The execution breaker: live entries only (paper sends nothing). The probe it lets through
    // after the cooldown reports back when it settles.
    if !paper {
        let admission = t.breaker.lock().unwrap_or_else(std::sync::PoisonError::into_inner).admit(now_ms);
        if let Admission::Refused { failures, .. } = admission {
            snap.consecutive_execution_failures = failures.max(t.settings.limits.execution_failure_breaker);
        }
    }
    let config = q.intent.config.clone();
    Ok(approve_entry(q, &proposal, &config, &snap, &t.settings.limits).map_err(TradeFailure::Risk))
}

/// Stage 3: plans, compiles, checks and signs. Nothing is stored or sent here.
pub async fn build(
    t: &Trading,
    approved: RiskApproved<Quoted>,
) -> Result<Result<SignedTrade, TradeOutcome>, RepoError> {
    let mode = approved.mode();
    let Quoted { intent, quote, owner, wallet_id } = approved.into_inner();
    match sign(t, &intent, &quote, owner, wallet_id, mode).await {
        Ok(parts) => Ok(Ok(parts.into_trade(intent, mode, quote, owner, wallet_id))),
        Err(failure) => Ok(Err(fail_before_sign(t, &intent, failure).await?)),
    }
}

/// The signed parts of a [`SignedTrade`] (intent and quote are filled in by the caller).
struct SignedParts {
    tx: VersionedTransaction,
    last_valid_block_height: u64,
    token_account: Pubkey,
    fees: Fees,
    rent: Lamports,
    rent_refund: Lamports,
    pre: Option<Vec<Option<AccountData>>>,
    protected: bool,
}

impl SignedParts {
    fn into_trade(
        self,
        intent: PendingIntent,
        mode: TradeMode,
        quote: Quote,
        owner: Pubkey,
        wallet_id: i64,
    ) -> SignedTrade {
        SignedTrade {
            intent,
            mode,
            tx: self.tx,
            last_valid_block_height: self.last_valid_block_height,
            owner,
            wallet_id,
            token_account: self.token_account,
            fees: self.fees,
            rent: self.rent,
            rent_refund: self.rent_refund,
            quote,
            pre: self.pre,
            protected: self.protected,
        }
    }
}

async fn sign(
    t: &Trading,
    p: &PendingIntent,
    quote: &Quote,
    owner: Pubkey,
    wallet_id: i64,
    mode: TradeMode,
) -> Result<SignedParts, TradeFailure> {
    let config = &p.config;
    let prefetched = p.req.prefetched.as_ref();
    let token_account = AtaSpec { owner, mint: quote.request.mint, token_program: quote.token_program }.address();
    // The wallet's token account and SOL before the trade: the plan's rent, the fill amounts
    // and whether a sell empties (and closes) the account all come from this one read.
    let pre = match prefetched.and_then(|pre| pre.wallet.as_ref()).filter(|w| w.owner == owner) {
        Some(w) => Some(vec![
            w.token_account.clone(),
            Some(AccountData { owner: crate::solana::ids::SYSTEM_PROGRAM, lamports: w.lamports, data: Vec::new() }),
        ]),
        None => t.ports.chain.accounts(&[token_account, owner]).await.ok(),
    };
    let ata_exists = pre.as_ref().map(|a| a.first().is_some_and(Option::is_some));
    let options = PlanOptions { track_volume: config.volume_rewards, user_ata_exists: ata_exists };
    let plan = t.ports.swapper.plan(quote, &owner, &options).await.map_err(|e| venue_failure(&e))?;
    let unit_price = match (config.priority_fee, prefetched.and_then(|pre| pre.priority_fee)) {
        (PriorityFee::MicroLamports(m), _) => m,
        (PriorityFee::Auto, Some(estimate)) => estimate,
        (PriorityFee::Auto, None) => {
            t.ports.chain.priority_fee_estimate(&[quote.request.mint]).await.unwrap_or(100_000)
        }
    }
    .min(MAX_CU_PRICE);
    let budget =
        ComputeBudget { unit_limit: ComputeUnits(plan.compute_unit_limit), unit_price: MicroLamportsPerCu(unit_price) };
    let mut draft = TxDraft::new(owner, budget);
    draft.extend(plan.instructions.clone());
    // Rent reclaim: a live sell that empties the token account closes it in the same
    // transaction. Token-2022 accounts with extensions (withheld transfer fees among them) are
    // left open: closing one with withheld fees fails and would fail the sell.
    let held = pre.as_ref().and_then(|a| a.first()).and_then(Option::as_ref);
    let mut rent_refund = Lamports::ZERO;
    if p.req.side == Side::Sell
        && mode == TradeMode::Live
        && let Some(account) = held.filter(|a| closeable_when_empty(&a.data))
        && token_account_amount(Some(account)) <= quote.request.amount_in
    {
        draft.push(close_account(&CloseAccount {
            token_program: quote.token_program,
            account: token_account,
            destination: owner,
            owner,
        }));
        rent_refund = account.lamports;
    }
    // Sandwich protection (live only): the Sender with at least its minimum tip and the
    // `jitodontfront` marker on the tip transfer; settle sends it through the Sender alone.
    let protected = mode == TradeMode::Live && config.mev_protection;
    let tip = config.effective_tip(t.settings.default_tip, protected);
    let salt = u64::from(quote.request.mint.to_bytes()[0]);
    if protected {
        draft.set_tip(Some(Tip::protected(tip, salt)));
    } else if tip.0 > 0 {
        draft.set_tip(Some(Tip::sender(tip, salt)));
    }
    draft.set_lookup_tables(plan.lookup_tables.clone());
    let blockhash = t.ports.chain.latest_blockhash().await.map_err(|_| TradeFailure::NetworkUnavailable)?;
    let message = draft.compile(blockhash.blockhash).map_err(|_| TradeFailure::Build)?;
    let policy = TxPolicy::new(Vec::new()).with_max_compute_unit_price(MicroLamportsPerCu(MAX_CU_PRICE));
    let scope = PolicyScope {
        user: owner,
        own_token_accounts: &[token_account],
        withdraw_destinations: &[],
        lookup_tables: &plan.lookup_tables,
    };
    if let Err(v) = policy.check(&message, &scope) {
        tracing::error!(violation = %v, "refusing to sign a transaction that breaks policy");
        return Err(TradeFailure::Policy);
    }
    let tx = t.ports.signer.sign(p.req.user, wallet_id, message).await.map_err(|e| match e {
        SignerError::NotConfigured => TradeFailure::Custody,
        SignerError::NoWallet => TradeFailure::NoWallet,
        _ => TradeFailure::Sign,
    })?;
    let fees = Fees {
        network: Lamports(LAMPORTS_PER_SIGNATURE),
        priority: budget.priority_fee(),
        tip,
        protocol: quote.venue_fee,
    };
    Ok(SignedParts {
        tx,
        last_valid_block_height: blockhash.last_valid_block_height,
        token_account,
        fees,
        rent: plan.rent,
        rent_refund,
        pre,
        protected,
    })
}
