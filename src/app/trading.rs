//! The trading core: intent → risk → plan → sign → send → confirm → position → notice.
//!
//! Every trade is persisted as an intent (idempotency key) before anything else; a duplicate
//! request is a no-op that reports the first one's state. Only a [`RiskApproved`] intent reaches
//! signing. Signed bytes and their `lastValidBlockHeight` are stored before the first send, and
//! only those bytes are ever re-sent. Paper trades run the same path up to signing, then
//! simulate instead of sending and take the fill from the simulation's post-state.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rust_decimal::Decimal;
use solana_pubkey::Pubkey;
use solana_transaction::versioned::VersionedTransaction;
use tokio::sync::{Mutex, mpsc};

use crate::domain::exit::{ExitProgress, ExitRules};
use crate::domain::intent::{IdempotencyKey, IntentOrigin, IntentState, NewIntent};
use crate::domain::money::{Bps, Lamports, TokenAmount};
use crate::domain::position::{Fees, Fill, Side};
use crate::domain::risk::{
    EntryProposal, GlobalLimits, RiskApproved, RiskRefusal, RiskSnapshot, TradeMode, approve_entry, approve_exit,
};
use crate::domain::user::UserId;
use crate::domain::user_config::{PriorityFee, UserConfig};
use crate::ports::{
    AccountData, ChainClient, Clock, Controls, FillRecord, Inserted, IntentRepo, Notifier, PositionRecord,
    PositionRepo, Quote, QuoteRequest, RecordError, RepoError, SignedTx, SignerError, Swapper, TradeNotice,
    TradingStatsRepo, TxSigner, UserRepo, VenueError,
};
use crate::solana::instructions::{AtaSpec, ComputeUnits, MicroLamportsPerCu};
use crate::solana::policy::{PolicyScope, TxPolicy};
use crate::solana::submit::{SubmitOptions, SubmitOutcome, submit};
use crate::solana::tip::Tip;
use crate::solana::tx::{ComputeBudget, TxDraft, serialize};

/// Base fee per signature.
const LAMPORTS_PER_SIGNATURE: u64 = 5_000;
/// Upper bound on the compute-unit price we ever sign (a typo and oracle guard).
const MAX_CU_PRICE: u64 = 50_000_000;

/// How much to trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeAmount {
    /// Spend this much SOL (buy).
    Sol(Lamports),
    /// Sell this percentage (1..=100) of the open position.
    PercentOfPosition(u8),
    /// Sell exactly this many raw tokens (capped at the position; exits use this).
    Tokens(u64),
}

/// A request to trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeRequest {
    /// Whose trade.
    pub user: UserId,
    /// Token mint.
    pub mint: Pubkey,
    /// Buy or sell.
    pub side: Side,
    /// How much.
    pub amount: TradeAmount,
    /// Where it came from.
    pub origin: IntentOrigin,
    /// Idempotency key.
    pub key: IdempotencyKey,
    /// Alert id, for alert trades.
    pub alert_id: Option<String>,
    /// When the trigger was received (unix ms).
    pub received_at_ms: Option<i64>,
    /// Exit rules for a new position; `None` = the user's defaults at the time of the buy.
    pub exit_rules: Option<ExitRules>,
    /// Slippage override (exit retries escalate it); `None` = the user's setting.
    pub slippage: Option<Bps>,
    /// Entry source label.
    pub source: Option<String>,
}

/// How a trade request ended.
#[derive(Debug, Clone, PartialEq)]
pub enum TradeOutcome {
    /// The key was seen before; nothing new happened.
    Duplicate {
        /// The first intent.
        intent_id: i64,
        /// Its state.
        state: IntentState,
    },
    /// Refused before anything was signed (risk rule, no wallet, venue, bad amount).
    Refused {
        /// The intent, when one was stored.
        intent_id: Option<i64>,
        /// Localizable reason code.
        reason: String,
    },
    /// Filled (live or paper) and recorded.
    Filled {
        /// The intent.
        intent_id: i64,
        /// The position after the fill.
        position: Box<PositionRecord>,
        /// The fill.
        fill: Fill,
        /// Paper or live.
        mode: TradeMode,
        /// Signature of a live trade.
        signature: Option<String>,
        /// When the transaction was handed to the chain (live) or simulated (paper), unix ms.
        sent_at_ms: Option<i64>,
    },
    /// Landed and failed, or never landed.
    Failed {
        /// The intent.
        intent_id: i64,
        /// Localizable reason code.
        reason: String,
    },
    /// Sent; the outcome is not known yet (recovery settles it).
    Pending {
        /// The intent.
        intent_id: i64,
        /// Signature.
        signature: String,
        /// When the transaction was handed to the chain, unix ms.
        sent_at_ms: Option<i64>,
    },
}

/// Failures of the trading machinery itself (not of the trade).
#[derive(Debug, thiserror::Error)]
pub enum TradeError {
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// Tunables.
#[derive(Debug, Clone)]
pub struct TradingSettings {
    /// `DRY_RUN`.
    pub global_dry_run: bool,
    /// Bot-wide limits.
    pub limits: GlobalLimits,
    /// Default Sender tip (users override with `tip_sol`).
    pub default_tip: Lamports,
    /// Submission timing.
    pub submit: SubmitOptions,
}

/// Everything the trading core talks to.
#[derive(Clone)]
pub struct TradingPorts {
    /// Users and configs.
    pub users: Arc<dyn UserRepo>,
    /// Intents.
    pub intents: Arc<dyn IntentRepo>,
    /// Positions and trade log.
    pub positions: Arc<dyn PositionRepo>,
    /// Realized PnL and exposure.
    pub stats: Arc<dyn TradingStatsRepo>,
    /// Kill switch and pauses.
    pub controls: Arc<dyn Controls>,
    /// The chain.
    pub chain: Arc<dyn ChainClient>,
    /// Venues.
    pub swapper: Arc<dyn Swapper>,
    /// Custody.
    pub signer: Arc<dyn TxSigner>,
    /// User notices.
    pub notifier: Arc<dyn Notifier>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// The trading service.
#[derive(Clone)]
pub struct Trading {
    ports: TradingPorts,
    settings: TradingSettings,
    execution_failures: Arc<AtomicU32>,
    record_lock: Arc<Mutex<()>>,
    position_events: Arc<OnceLock<mpsc::UnboundedSender<PositionRecord>>>,
}

/// Exit rules and ladder progress, stored as JSON with a position.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
#[serde(default)]
pub struct StoredExit {
    /// The rules.
    pub rules: ExitRules,
    /// Progress through the take-profit ladder.
    pub progress: ExitProgress,
}

impl StoredExit {
    /// Parses the stored JSON; unreadable or missing JSON means no rules.
    pub fn parse(json: Option<&str>) -> Self {
        json.and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default()
    }
}

impl std::fmt::Debug for Trading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trading").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// A signed, not yet sent transaction and what is needed to account for it.
struct Prepared {
    tx: VersionedTransaction,
    last_valid_block_height: u64,
    owner: Pubkey,
    wallet_id: Option<i64>,
    token_account: Pubkey,
    fees: Fees,
    rent: Lamports,
    quote: Quote,
}

impl Trading {
    /// Wires the service.
    pub fn new(ports: TradingPorts, settings: TradingSettings) -> Self {
        Self {
            ports,
            settings,
            execution_failures: Arc::new(AtomicU32::new(0)),
            record_lock: Arc::new(Mutex::new(())),
            position_events: Arc::new(OnceLock::new()),
        }
    }

    /// Subscribes to position changes (the position monitor). Only the first subscriber wins.
    pub fn subscribe_positions(&self) -> Option<mpsc::UnboundedReceiver<PositionRecord>> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.position_events.set(tx).ok().map(|()| rx)
    }

    /// The ports (for recovery and commands).
    pub fn ports(&self) -> &TradingPorts {
        &self.ports
    }

    /// Executes a trade request end to end and notifies the user.
    ///
    /// # Errors
    /// Storage failures only; every trade-level problem is an outcome.
    #[tracing::instrument(skip_all, fields(user_id = req.user.0, mint = %req.mint))]
    pub async fn execute(&self, req: TradeRequest) -> Result<TradeOutcome, TradeError> {
        let config = self.ports.users.config(req.user).await?;
        let wallet = match self.ports.signer.default_wallet(req.user).await {
            Ok(w) => w,
            Err(SignerError::Repo(e)) => return Err(RepoError::Corrupt(e).into()),
            Err(_) => None,
        };
        let (amount_in, position) = match self.amount_in(&req).await? {
            Ok(v) => v,
            Err(reason) => return Ok(self.refuse(&req, None, reason).await),
        };
        // A sell follows the position it sells: a paper position is sold on paper and a live one
        // live, whatever the user's dry-run setting is now (so exits keep managing real tokens
        // after dry-run is switched on). Under the global DRY_RUN nothing may be sent, so a live
        // position cannot be sold and says why.
        let config = match (req.side, &position) {
            (Side::Sell, Some(p)) if !p.is_paper && self.settings.global_dry_run => {
                let reason = "trade.live_position_dry_run".to_owned();
                // The monitor retries exits with backoff and tells the user once when one keeps
                // failing; a notice per attempt would be spam.
                if req.origin == IntentOrigin::Exit {
                    return Ok(TradeOutcome::Refused { intent_id: None, reason });
                }
                return Ok(self.refuse(&req, None, reason).await);
            }
            (Side::Sell, Some(p)) => UserConfig { dry_run: p.is_paper, ..config },
            _ => config,
        };
        let paper_hint = self.settings.global_dry_run || config.dry_run;
        let new = NewIntent {
            key: req.key.clone(),
            user: req.user,
            wallet_id: wallet.map(|w| w.0),
            side: req.side,
            mint: req.mint.to_string(),
            origin: req.origin,
            alert_id: req.alert_id.clone(),
            position_id: position.as_ref().map(|p| p.id),
            amount_in,
            dry_run: paper_hint,
            received_at_ms: req.received_at_ms,
        };
        let intent_id = match self.ports.intents.insert_if_new(&new).await? {
            Inserted::Existing(first) => {
                return Ok(TradeOutcome::Duplicate { intent_id: first.id, state: first.state });
            }
            Inserted::New(id) => id,
        };
        crate::failpoint::hit("after_intent_insert");
        let Some((wallet_id, owner)) = wallet else {
            return Ok(self.fail_before_sign(&req, intent_id, "wallet.none").await?);
        };
        let slippage = req.slippage.unwrap_or(config.slippage);
        let quote_req = QuoteRequest { mint: req.mint, side: req.side, amount_in, slippage };
        let quote = match self.ports.swapper.quote(&quote_req).await {
            Ok(q) => q,
            Err(e) => return Ok(self.fail_before_sign(&req, intent_id, venue_reason(&e)).await?),
        };
        let approved = match self.approve(&req, &config, owner, &quote, position.is_some()).await? {
            Ok(a) => a,
            Err(refusal) => {
                let reason = format!("risk.{}", refusal.rule());
                return Ok(self.fail_before_sign(&req, intent_id, &reason).await?);
            }
        };
        let prepared = match self.prepare(req.user, &config, owner, wallet_id, quote).await {
            Ok(p) => p,
            Err(reason) => return Ok(self.fail_before_sign(&req, intent_id, &reason).await?),
        };
        // Approved and signed: now the "⏳" (a refusal above is answered by the refusal alone).
        self.ports.notifier.accepted(req.user, req.origin, req.side, &req.mint).await;
        let mut req = req;
        if req.side == Side::Buy && req.exit_rules.is_none() {
            req.exit_rules = Some(ExitRules::from_config(&config));
        }
        match approved.mode() {
            TradeMode::Paper => self.paper(&req, intent_id, prepared).await,
            TradeMode::Live => self.live(&req, intent_id, prepared).await,
        }
    }

    /// Lamports (buy) or raw tokens (sell) to trade, and the open position for sells.
    async fn amount_in(&self, req: &TradeRequest) -> Result<Result<(u64, Option<PositionRecord>), String>, RepoError> {
        let open = self.ports.positions.open_position_in(req.user, &req.mint.to_string()).await?;
        Ok(match (req.side, req.amount) {
            (Side::Buy, TradeAmount::Sol(l)) if l.0 > 0 => Ok((l.0, open)),
            (Side::Sell, TradeAmount::Tokens(n)) if n > 0 => match open {
                None => Err("trade.no_position".to_owned()),
                Some(p) => Ok((n.min(p.book.tokens), Some(p))),
            },
            (Side::Sell, TradeAmount::PercentOfPosition(pct)) if (1..=100).contains(&pct) => match open {
                None => Err("trade.no_position".to_owned()),
                Some(p) => {
                    let tokens = if pct == 100 {
                        p.book.tokens
                    } else {
                        u64::try_from(u128::from(p.book.tokens) * u128::from(pct) / 100).unwrap_or(p.book.tokens)
                    };
                    if tokens == 0 { Err("trade.amount".to_owned()) } else { Ok((tokens, Some(p))) }
                }
            },
            _ => Err("trade.amount".to_owned()),
        })
    }

    async fn approve(
        &self,
        req: &TradeRequest,
        config: &UserConfig,
        owner: Pubkey,
        quote: &Quote,
        adds: bool,
    ) -> Result<Result<RiskApproved<()>, RiskRefusal>, RepoError> {
        let kill_switch = self.ports.controls.kill_switch().await?;
        let mut snap = RiskSnapshot {
            kill_switch,
            global_dry_run: self.settings.global_dry_run,
            user_paused: self.ports.controls.is_paused(req.user).await?,
            consecutive_execution_failures: self.execution_failures.load(Ordering::SeqCst),
            now_ms: self.ports.clock.now_ms(),
            ..RiskSnapshot::default()
        };
        if req.side == Side::Sell {
            return Ok(approve_exit((), config, &snap));
        }
        let day_start = crate::app::livetrade::utc_day_start_ms(snap.now_ms);
        let summary = self.ports.stats.summary(req.user, day_start).await?;
        snap.exposure = summary.exposure;
        snap.open_positions = summary.open_positions;
        snap.adds_to_open_position = adds;
        snap.realized_day = summary.realized_today_lamports;
        // One read of the realized sells gives the 7/30-day budgets and the equity inputs.
        snap.apply_realized(&self.ports.positions.realized_trades(req.user).await?);
        snap.wallet_balance = match self.ports.chain.balance(&owner).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error.message = %e, "balance read failed; treating as empty");
                Lamports::ZERO
            }
        };
        let fees = Lamports(self.fee_estimate(config, 200_000));
        let proposal = EntryProposal {
            amount: Lamports(req_amount(quote)),
            fees,
            price_impact: quote.price_impact,
            liquidity: quote.liquidity,
        };
        Ok(approve_entry((), &proposal, config, &snap, &self.settings.limits))
    }

    fn tip(&self, config: &UserConfig) -> Lamports {
        if config.sender_tip.0 > 0 { config.sender_tip } else { self.settings.default_tip }
    }

    fn fee_estimate(&self, config: &UserConfig, cu: u32) -> u64 {
        fee_estimate(config, cu, self.tip(config))
    }

    /// Plans, compiles, checks and signs. Nothing is stored or sent here.
    async fn prepare(
        &self,
        user: UserId,
        config: &UserConfig,
        owner: Pubkey,
        wallet_id: i64,
        quote: Quote,
    ) -> Result<Prepared, String> {
        let plan = self.ports.swapper.plan(&quote, &owner).await.map_err(|e| venue_reason(&e).to_owned())?;
        let unit_price = match config.priority_fee {
            PriorityFee::MicroLamports(m) => m,
            PriorityFee::Auto => self.ports.chain.priority_fee_estimate(&[quote.request.mint]).await.unwrap_or(100_000),
        }
        .min(MAX_CU_PRICE);
        let budget = ComputeBudget {
            unit_limit: ComputeUnits(plan.compute_unit_limit),
            unit_price: MicroLamportsPerCu(unit_price),
        };
        let mut draft = TxDraft::new(owner, budget);
        draft.extend(plan.instructions.clone());
        let tip = self.tip(config);
        if tip.0 > 0 {
            draft.set_tip(Some(Tip::sender(tip, u64::from(quote.request.mint.to_bytes()[0]))));
        }
        draft.set_lookup_tables(plan.lookup_tables.clone());
        let blockhash = self.ports.chain.latest_blockhash().await.map_err(|_| "chain.unavailable".to_owned())?;
        let message = draft.compile(blockhash.blockhash).map_err(|_| "tx.build".to_owned())?;
        let token_account = AtaSpec { owner, mint: quote.request.mint, token_program: quote.token_program }.address();
        let policy = TxPolicy::new(Vec::new()).with_max_compute_unit_price(MicroLamportsPerCu(MAX_CU_PRICE));
        let scope = PolicyScope {
            user: owner,
            own_token_accounts: &[token_account],
            withdraw_destinations: &[],
            lookup_tables: &plan.lookup_tables,
        };
        if let Err(v) = policy.check(&message, &scope) {
            tracing::error!(violation = %v, "refusing to sign a transaction that breaks policy");
            return Err("tx.policy".to_owned());
        }
        let tx = self.ports.signer.sign(user, wallet_id, message).await.map_err(|e| match e {
            SignerError::NotConfigured => "wallet.custody".to_owned(),
            SignerError::NoWallet => "wallet.none".to_owned(),
            _ => "wallet.sign".to_owned(),
        })?;
        let fees = Fees {
            network: Lamports(LAMPORTS_PER_SIGNATURE),
            priority: budget.priority_fee(),
            tip,
            protocol: quote.venue_fee,
        };
        Ok(Prepared {
            tx,
            last_valid_block_height: blockhash.last_valid_block_height,
            owner,
            wallet_id: Some(wallet_id),
            token_account,
            fees,
            rent: plan.rent,
            quote,
        })
    }

    /// Paper: simulate the signed transaction and take the fill from its post-state. A paper
    /// sell cannot be simulated (the wallet does not hold paper tokens), so it fills at the
    /// venue's quote for the same amount, fees included.
    async fn paper(&self, req: &TradeRequest, intent_id: i64, p: Prepared) -> Result<TradeOutcome, TradeError> {
        if req.side == Side::Sell {
            let (tokens, sol) = quoted_amounts(req.side, &p);
            self.ports.intents.transition(intent_id, IntentState::Pending, IntentState::Confirmed, None).await?;
            let now = Some(self.ports.clock.now_ms());
            return self.record(req, intent_id, &p, tokens, sol, TradeMode::Paper, None, now).await;
        }
        let watch = [p.token_account, p.owner];
        let pre = self.ports.chain.accounts(&watch).await;
        let sim = self.ports.chain.simulate(&p.tx, &watch).await;
        let (tokens, sol) = match (pre, sim) {
            (Ok(pre), Ok(sim)) if sim.err.is_none() => {
                let pre_tokens = token_account_amount(pre.first().and_then(Option::as_ref));
                let post_tokens = token_account_amount(sim.accounts.first().and_then(Option::as_ref));
                let pre_sol = pre.get(1).and_then(Option::as_ref).map_or(0, |a| a.lamports.0);
                let post_sol = sim.accounts.get(1).and_then(Option::as_ref).map_or(pre_sol, |a| a.lamports.0);
                fill_amounts(req.side, &p, (pre_tokens, post_tokens), (pre_sol, post_sol))
            }
            (_, Ok(sim)) if sim.err.is_some() => {
                let programs = crate::solana::errors::instruction_programs(&p.tx.message);
                let failure = sim.err.as_ref().map(|e| crate::solana::errors::TxFailure::from_json(e, &programs));
                let reason = failure.as_ref().map_or("tx.failed", failure_reason);
                return Ok(self.fail_before_sign(req, intent_id, reason).await?);
            }
            _ => return Ok(self.fail_before_sign(req, intent_id, "chain.unavailable").await?),
        };
        let signature = None;
        self.ports.intents.transition(intent_id, IntentState::Pending, IntentState::Confirmed, None).await?;
        let now = Some(self.ports.clock.now_ms());
        self.record(req, intent_id, &p, tokens, sol, TradeMode::Paper, signature, now).await
    }

    /// Live: persist the signed bytes, send, confirm, account.
    async fn live(&self, req: &TradeRequest, intent_id: i64, p: Prepared) -> Result<TradeOutcome, TradeError> {
        let signature = p.tx.signatures.first().map(ToString::to_string).unwrap_or_default();
        let bytes = serialize(&p.tx).unwrap_or_default();
        let signed = SignedTx {
            venue: p.quote.venue.code().to_owned(),
            min_amount_out: p.quote.min_out,
            bytes,
            signature: signature.clone(),
            last_valid_block_height: p.last_valid_block_height,
        };
        if !self.ports.intents.mark_signed(intent_id, &signed).await? {
            return Ok(TradeOutcome::Failed { intent_id, reason: "trade.state".to_owned() });
        }
        crate::failpoint::hit("after_sign");
        let watch = [p.token_account, p.owner];
        let pre = self.ports.chain.accounts(&watch).await.ok();
        let options = SubmitOptions { use_sender: p.fees.tip.0 > 0, ..self.settings.submit };
        let sent_at_ms = self.ports.clock.now_ms();
        let outcome = submit(self.ports.chain.as_ref(), &p.tx, p.last_valid_block_height, &options).await;
        self.settle(req, intent_id, &p, outcome, pre, sent_at_ms).await
    }

    async fn settle(
        &self,
        req: &TradeRequest,
        intent_id: i64,
        p: &Prepared,
        outcome: SubmitOutcome,
        pre: Option<Vec<Option<AccountData>>>,
        sent_at_ms: i64,
    ) -> Result<TradeOutcome, TradeError> {
        let signature = p.tx.signatures.first().map(ToString::to_string).unwrap_or_default();
        match outcome {
            SubmitOutcome::Confirmed { .. } => {
                self.execution_failures.store(0, Ordering::SeqCst);
                let from = self.advance_to_sent(intent_id).await?;
                crate::failpoint::hit("after_confirm");
                let post = self.ports.chain.accounts(&[p.token_account, p.owner]).await.ok();
                let (tokens, sol) = match (pre, post) {
                    (Some(pre), Some(post)) => fill_amounts(
                        req.side,
                        p,
                        (token_account_amount(pre[0].as_ref()), token_account_amount(post[0].as_ref())),
                        (
                            pre.get(1).and_then(Option::as_ref).map_or(0, |a| a.lamports.0),
                            post.get(1).and_then(Option::as_ref).map_or(0, |a| a.lamports.0),
                        ),
                    ),
                    _ => quoted_amounts(req.side, p),
                };
                // The position is written (and the user told) before the intent is marked
                // confirmed: a crash in between leaves it `sent`, and recovery finds the landed
                // transaction, sees the recorded fill (idempotent per intent) and finishes.
                let outcome = self
                    .record(req, intent_id, p, tokens, sol, TradeMode::Live, Some(signature), Some(sent_at_ms))
                    .await?;
                self.ports.intents.transition(intent_id, from, IntentState::Confirmed, None).await?;
                Ok(outcome)
            }
            SubmitOutcome::Failed { failure, .. } => {
                self.execution_failures.fetch_add(1, Ordering::SeqCst);
                let from = self.advance_to_sent(intent_id).await?;
                let reason = failure_reason(&failure);
                self.ports.intents.transition(intent_id, from, IntentState::Failed, Some(reason)).await?;
                self.notify_failed(req, reason, Some(signature)).await;
                Ok(TradeOutcome::Failed { intent_id, reason: reason.to_owned() })
            }
            SubmitOutcome::SimulationFailed { failure, .. } => {
                let reason = failure_reason(&failure);
                self.ports
                    .intents
                    .transition(intent_id, IntentState::Signed, IntentState::Failed, Some(reason))
                    .await?;
                self.notify_failed(req, reason, None).await;
                Ok(TradeOutcome::Failed { intent_id, reason: reason.to_owned() })
            }
            SubmitOutcome::NotSent { .. } => {
                self.execution_failures.fetch_add(1, Ordering::SeqCst);
                let reason = "chain.not_sent";
                self.ports
                    .intents
                    .transition(intent_id, IntentState::Signed, IntentState::Failed, Some(reason))
                    .await?;
                self.notify_failed(req, reason, None).await;
                Ok(TradeOutcome::Failed { intent_id, reason: reason.to_owned() })
            }
            SubmitOutcome::Expired { .. } => {
                let from = self.advance_to_sent(intent_id).await?;
                self.ports.intents.transition(intent_id, from, IntentState::Expired, Some("tx.expired")).await?;
                self.notify_failed(req, "tx.expired", Some(signature)).await;
                Ok(TradeOutcome::Failed { intent_id, reason: "tx.expired".to_owned() })
            }
            SubmitOutcome::Unknown { .. } => {
                let from = self.advance_to_sent(intent_id).await?;
                self.ports.intents.transition(intent_id, from, IntentState::Unknown, None).await?;
                let notice = TradeNotice::Pending { mint: req.mint.to_string(), signature: signature.clone() };
                self.ports.notifier.notify(req.user, notice).await;
                Ok(TradeOutcome::Pending { intent_id, signature, sent_at_ms: Some(sent_at_ms) })
            }
        }
    }

    /// `signed → sent` if not done yet; returns the state the intent is now in.
    async fn advance_to_sent(&self, intent_id: i64) -> Result<IntentState, RepoError> {
        if self.ports.intents.transition(intent_id, IntentState::Signed, IntentState::Sent, None).await? {
            return Ok(IntentState::Sent);
        }
        Ok(self.ports.intents.intent(intent_id).await?.map_or(IntentState::Sent, |i| i.state))
    }

    async fn notify_failed(&self, req: &TradeRequest, reason: &str, signature: Option<String>) {
        let notice = TradeNotice::Failed { mint: req.mint.to_string(), reason: reason.to_owned(), signature };
        self.ports.notifier.notify(req.user, notice).await;
    }

    #[allow(clippy::too_many_arguments)]
    async fn record(
        &self,
        req: &TradeRequest,
        intent_id: i64,
        p: &Prepared,
        tokens: u64,
        sol: Lamports,
        mode: TradeMode,
        signature: Option<String>,
        sent_at_ms: Option<i64>,
    ) -> Result<TradeOutcome, TradeError> {
        let fill = Fill { side: req.side, sol, tokens, fees: p.fees, at_ms: self.ports.clock.now_ms() };
        let record = FillRecord {
            intent_id: Some(intent_id),
            user: req.user,
            wallet_id: p.wallet_id,
            mint: req.mint.to_string(),
            decimals: p.quote.token_decimals,
            is_paper: mode == TradeMode::Paper,
            fill,
            price: ui_price(Lamports(sol.0.saturating_add(p.fees.protocol.0)), tokens, p.quote.token_decimals),
            signature: signature.clone(),
            exit_rules: req
                .exit_rules
                .as_ref()
                .map(|rules| StoredExit {
                    rules: rules.clone(),
                    progress: ExitProgress { tp_done: 0, initial_tokens: tokens },
                })
                .and_then(|s| serde_json::to_string(&s).ok()),
            source: req.source.clone(),
        };
        let recorded = {
            let _guard = self.record_lock.lock().await;
            self.ports.positions.record_fill(&record).await
        };
        let recorded = match recorded {
            Ok(r) => r,
            Err(RecordError::Repo(e)) => return Err(e.into()),
            Err(RecordError::Position(reason)) => {
                tracing::error!(%reason, intent_id, "fill does not apply to the position");
                return Ok(TradeOutcome::Failed { intent_id, reason: "trade.position".to_owned() });
            }
        };
        if let Some(tx) = self.position_events.get() {
            let _ = tx.send(recorded.position.clone());
        }
        crate::failpoint::hit("before_notify");
        let notice = TradeNotice::Filled {
            side: req.side,
            mint: req.mint.to_string(),
            sol,
            tokens_ui: TokenAmount::new(tokens, p.quote.token_decimals).to_string(),
            price: record.price.map_or_else(String::new, |d| d.normalize().to_string()),
            fees: Lamports(p.fees.total()),
            pnl: recorded.realization.map(|r| r.pnl),
            paper: mode == TradeMode::Paper,
            signature: signature.clone(),
            position_id: recorded.position.id,
        };
        self.ports.notifier.notify(req.user, notice).await;
        Ok(TradeOutcome::Filled { intent_id, position: Box::new(recorded.position), fill, mode, signature, sent_at_ms })
    }

    async fn refuse(&self, req: &TradeRequest, intent_id: Option<i64>, reason: String) -> TradeOutcome {
        self.ports
            .notifier
            .notify(req.user, TradeNotice::Refused { mint: req.mint.to_string(), reason: reason.clone() })
            .await;
        TradeOutcome::Refused { intent_id, reason }
    }

    async fn fail_before_sign(
        &self,
        req: &TradeRequest,
        intent_id: i64,
        reason: &str,
    ) -> Result<TradeOutcome, RepoError> {
        self.ports.intents.transition(intent_id, IntentState::Pending, IntentState::Failed, Some(reason)).await?;
        Ok(self.refuse(req, Some(intent_id), reason.to_owned()).await)
    }
}

/// Fee estimate the risk check adds to an entry: base fee, priority fee for `cu` compute units at
/// the user's price (`auto` assumes 100,000 micro-lamports per CU) and the tip.
pub fn fee_estimate(config: &UserConfig, cu: u32, tip: Lamports) -> u64 {
    let price = match config.priority_fee {
        PriorityFee::MicroLamports(m) => m,
        PriorityFee::Auto => 100_000,
    };
    let priority = (u128::from(cu) * u128::from(price)).div_ceil(1_000_000);
    LAMPORTS_PER_SIGNATURE.saturating_add(u64::try_from(priority).unwrap_or(u64::MAX / 4)).saturating_add(tip.0)
}

/// The amount a quote spends (lamports for buys).
fn req_amount(q: &Quote) -> u64 {
    q.request.amount_in
}

/// Maps a venue error to a localizable reason code.
pub fn venue_reason(e: &VenueError) -> &'static str {
    match e {
        VenueError::CurveComplete => "venue.curve_complete",
        VenueError::NoRoute => "venue.no_route",
        VenueError::NotAMint => "venue.not_a_mint",
        VenueError::Amount(_) => "venue.amount",
        VenueError::RateLimited { .. } => "venue.rate_limited",
        VenueError::Unavailable(_) | VenueError::Chain(_) => "venue.unavailable",
        VenueError::Decode(_) => "venue.decode",
    }
}

/// Raw token amount from a token account's data (layout: amount u64 LE at 64..72).
pub fn token_account_amount(account: Option<&AccountData>) -> u64 {
    account.and_then(|a| a.data.get(64..72)).and_then(|b| <[u8; 8]>::try_from(b).ok()).map_or(0, u64::from_le_bytes)
}

/// Display price: SOL per UI token.
pub fn ui_price(sol: Lamports, tokens: u64, decimals: u8) -> Option<Decimal> {
    let ui = TokenAmount::new(tokens, decimals).to_ui();
    if ui.is_zero() { None } else { sol.to_sol().checked_div(ui).map(|p| p.round_dp(12)) }
}

/// Fast submission timing for local fakes (tests, benches): 20 ms polls, 200 ms rebroadcasts.
pub fn fast_submit() -> SubmitOptions {
    SubmitOptions {
        poll_every: Duration::from_millis(20),
        rebroadcast_every: Duration::from_millis(200),
        give_up_after: Duration::from_secs(10),
        ..SubmitOptions::default()
    }
}

/// Fill amounts from balance changes of the owner's token account and SOL balance.
///
/// Buy: tokens = token increase; SOL paid to the venue = SOL decrease − fees − new-account rent
/// − protocol fee (the protocol fee is booked separately in `Fees`). Sell: tokens = the amount
/// sold; SOL received = SOL increase + fees + protocol fee.
fn fill_amounts(side: Side, p: &Prepared, tokens: (u64, u64), sol: (u64, u64)) -> (u64, Lamports) {
    let paid_fees = p.fees.network.0.saturating_add(p.fees.priority.0).saturating_add(p.fees.tip.0);
    match side {
        Side::Buy => {
            let got = tokens.1.saturating_sub(tokens.0);
            let spent = sol.0.saturating_sub(sol.1).saturating_sub(paid_fees).saturating_sub(p.rent.0);
            let to_venue = spent.saturating_sub(p.fees.protocol.0);
            if got == 0 { quoted_amounts(side, p) } else { (got, Lamports(to_venue)) }
        }
        Side::Sell => {
            let received = sol.1.saturating_sub(sol.0).saturating_add(paid_fees).saturating_add(p.fees.protocol.0);
            (p.quote.request.amount_in, Lamports(received))
        }
    }
}

/// Fill amounts from the quote (when balances cannot be read).
fn quoted_amounts(side: Side, p: &Prepared) -> (u64, Lamports) {
    match side {
        Side::Buy => (p.quote.expected_out, Lamports(p.quote.request.amount_in.saturating_sub(p.fees.protocol.0))),
        Side::Sell => (p.quote.request.amount_in, Lamports(p.quote.expected_out.saturating_add(p.fees.protocol.0))),
    }
}

/// Maps a decoded on-chain failure to a localizable reason code.
pub fn failure_reason(f: &crate::solana::errors::TxFailure) -> &'static str {
    use crate::solana::errors::TxFailure;
    match f {
        TxFailure::SlippageExceeded { .. } => "tx.slippage",
        TxFailure::InsufficientFunds { .. } => "tx.insufficient_funds",
        TxFailure::CurveComplete { .. } => "venue.curve_complete",
        TxFailure::AccountNotFound => "tx.account_not_found",
        TxFailure::BlockhashNotFound => "tx.expired",
        TxFailure::Other { .. } => "tx.failed",
    }
}
