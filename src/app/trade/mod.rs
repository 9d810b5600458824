//! The trading core, as typed stages that cannot be skipped:
//!
//! 1. [`stages::accept`] resolves what the request acts on (for a sell: exactly the position it
//!    names, read under that position's lock, with nothing else in flight) and stores the intent
//!    (idempotency key) → [`stages::PendingIntent`];
//! 2. [`stages::approve`] quotes and runs the risk rules → `RiskApproved<PendingIntent>`;
//! 3. [`stages::build`] plans, compiles, policy-checks and signs (the key is unlocked only here)
//!    → [`stages::SignedTrade`];
//! 4. [`settle::execute`] simulates (paper) or persists the signed bytes and submits (live);
//! 5. [`settle`] turns the result into a fill, a position change and a typed notice.
//!
//! Failures are [`TradeFailure`] values; notices carry typed values and are worded only by the
//! Telegram layer. One sell at a time per position ([`guard::SellLocks`]); identical manual buys
//! within the user's `double_tap_guard_secs` act once ([`guard::DoubleTapGuard`]); the execution
//! breaker opens after consecutive failed sends, lets one probe through after a cooldown and
//! tells admins.

mod amounts;
pub mod guard;
mod request;
mod settle;
mod stages;

use std::sync::{Arc, Mutex as StdMutex, OnceLock};

use tokio::sync::{Mutex, mpsc};

pub use amounts::{
    closeable_when_empty, fast_submit, fee_estimate, percent_of, token_account_amount, tx_failure, ui_price,
    venue_failure, venue_retryable,
};
pub use request::{Prefetched, PrefetchedWallet, PriceGuard, TradeAmount, TradeError, TradeOutcome, TradeRequest};

use crate::domain::breaker::{BreakerEvent, BreakerPolicy, BreakerState, ExecutionBreaker};
use crate::domain::exit::{ExitProgress, ExitRules};
use crate::domain::failure::TradeFailure;
use crate::domain::intent::IntentOrigin;
use crate::domain::money::Lamports;
use crate::domain::risk::GlobalLimits;
use crate::domain::user::UserId;
use crate::ports::admin::AdminRepo;
use crate::ports::{
    ChainClient, Clock, Controls, IntentRepo, Notifier, PositionRecord, PositionRepo, Swapper, TradeNotice,
    TradingStatsRepo, TxSigner, UserRepo,
};
use crate::solana::submit::SubmitOptions;

/// How hard a read before a trade (balance, quote) is retried before the trade is refused as
/// "network unavailable".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadRetry {
    /// Attempts in total (at least 1).
    pub attempts: u32,
    /// Delay before the second attempt; doubles after each.
    pub first_delay: std::time::Duration,
}

impl Default for ReadRetry {
    fn default() -> Self {
        Self { attempts: 3, first_delay: std::time::Duration::from_millis(100) }
    }
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
    /// Execution breaker.
    pub breaker: BreakerPolicy,
    /// Retries of reads before a trade.
    pub read_retry: ReadRetry,
    /// Admins by configuration (told about breaker trips besides the persisted admins).
    pub config_admins: Vec<i64>,
}

impl TradingSettings {
    /// Settings with the given essentials and defaults for the rest.
    pub fn new(global_dry_run: bool, limits: GlobalLimits, default_tip: Lamports, submit: SubmitOptions) -> Self {
        let breaker = BreakerPolicy { trip_after: limits.execution_failure_breaker, ..BreakerPolicy::default() };
        Self {
            global_dry_run,
            limits,
            default_tip,
            submit,
            breaker,
            read_retry: ReadRetry::default(),
            config_admins: Vec::new(),
        }
    }
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
    /// Persisted admins (breaker notices).
    pub admins: Arc<dyn AdminRepo>,
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

/// What the position monitor touches besides trading through the core.
#[derive(Clone)]
pub struct MonitorPorts {
    /// Positions (load, peaks, ladder progress).
    pub positions: Arc<dyn PositionRepo>,
    /// Users' default exit rules and slippage.
    pub users: Arc<dyn UserRepo>,
    /// "Exit keeps failing" notices.
    pub notifier: Arc<dyn Notifier>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// What the alert connector touches besides trading through the core.
#[derive(Clone)]
pub struct ConnectorPorts {
    /// Users' exit defaults (per-source exits are layered on them).
    pub users: Arc<dyn UserRepo>,
    /// The one market quote per alert.
    pub swapper: Arc<dyn Swapper>,
    /// Subscribers' default wallets (the fan-out's batched wallet read).
    pub signer: Arc<dyn TxSigner>,
    /// The fan-out's batched account read and the mint's priority fee.
    pub chain: Arc<dyn ChainClient>,
    /// Interrupted alert buys (resume or fail as stale).
    pub intents: Arc<dyn IntentRepo>,
    /// Which buyers already hold the mint (their token accounts are read with their wallets).
    pub positions: Arc<dyn PositionRepo>,
    /// Skip reasons and confirm cards.
    pub notifier: Arc<dyn Notifier>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// What crash recovery and the reconciler touch besides the core.
#[derive(Clone)]
pub struct RecoveryPorts {
    /// Unfinished intents.
    pub intents: Arc<dyn IntentRepo>,
    /// Recovered fills.
    pub positions: Arc<dyn PositionRepo>,
    /// Exit rules for recovered buys.
    pub users: Arc<dyn UserRepo>,
    /// Signature lookups and same-bytes rebroadcasts.
    pub chain: Arc<dyn ChainClient>,
    /// Final results.
    pub notifier: Arc<dyn Notifier>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// The trading service.
#[derive(Clone)]
pub struct Trading {
    ports: TradingPorts,
    settings: TradingSettings,
    breaker: Arc<StdMutex<ExecutionBreaker>>,
    sell_locks: guard::SellLocks,
    /// One live trade at a time per wallet, from the balance read before the send to the read
    /// after confirmation, so a fill is never computed from another trade's balance change.
    wallet_locks: guard::SellLocks,
    double_tap: guard::DoubleTapGuard,
    record_lock: Arc<Mutex<()>>,
    position_events: Arc<OnceLock<mpsc::UnboundedSender<PositionRecord>>>,
    metrics: Arc<OnceLock<Arc<crate::telemetry::Metrics>>>,
    /// The shared token-safety reader (one cache for every user and every fan-out).
    safety: crate::app::safety::SafetyReader,
}

/// Exit rules and ladder progress, stored as JSON with a position.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
#[serde(default)]
pub struct StoredExit {
    /// The rules.
    pub rules: ExitRules,
    /// Progress through the take-profit ladder.
    pub progress: ExitProgress,
    /// The user cancelled this position's exits: no rule (not even the defaults) sells it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exits_off: bool,
}

impl StoredExit {
    /// Parses the stored JSON; unreadable or missing JSON means no rules.
    pub fn parse(json: Option<&str>) -> Self {
        json.and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default()
    }
}

impl std::fmt::Debug for MonitorPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonitorPorts").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ConnectorPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectorPorts").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for RecoveryPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecoveryPorts").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Trading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trading").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Trading {
    /// Wires the service.
    pub fn new(ports: TradingPorts, settings: TradingSettings) -> Self {
        Self {
            breaker: Arc::new(StdMutex::new(ExecutionBreaker::new(settings.breaker))),
            safety: crate::app::safety::SafetyReader::new(
                ports.chain.clone(),
                ports.swapper.clone(),
                ports.clock.clone(),
                crate::app::safety::SafetySettings {
                    attempts: settings.read_retry.attempts,
                    first_delay: settings.read_retry.first_delay,
                    ..crate::app::safety::SafetySettings::default()
                },
            ),
            ports,
            settings,
            sell_locks: guard::SellLocks::default(),
            wallet_locks: guard::SellLocks::default(),
            double_tap: guard::DoubleTapGuard::default(),
            record_lock: Arc::new(Mutex::new(())),
            position_events: Arc::new(OnceLock::new()),
            metrics: Arc::new(OnceLock::new()),
        }
    }

    /// The shared token-safety reader.
    pub fn safety(&self) -> &crate::app::safety::SafetyReader {
        &self.safety
    }

    /// Reports breaker transitions to `/metrics` (first call wins).
    pub fn set_metrics(&self, metrics: Arc<crate::telemetry::Metrics>) {
        let _ = self.metrics.set(metrics);
    }

    /// Subscribes to position changes (the position monitor). Only the first subscriber wins.
    pub fn subscribe_positions(&self) -> Option<mpsc::UnboundedReceiver<PositionRecord>> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.position_events.set(tx).ok().map(|()| rx)
    }

    /// The ports (for commands; the monitor, the connector and recovery take their own bundles).
    pub fn ports(&self) -> &TradingPorts {
        &self.ports
    }

    /// The position monitor's ports.
    pub fn monitor_ports(&self) -> MonitorPorts {
        let p = &self.ports;
        MonitorPorts {
            positions: p.positions.clone(),
            users: p.users.clone(),
            notifier: p.notifier.clone(),
            clock: p.clock.clone(),
        }
    }

    /// The alert connector's ports.
    pub fn connector_ports(&self) -> ConnectorPorts {
        let p = &self.ports;
        ConnectorPorts {
            users: p.users.clone(),
            swapper: p.swapper.clone(),
            signer: p.signer.clone(),
            chain: p.chain.clone(),
            intents: p.intents.clone(),
            positions: p.positions.clone(),
            notifier: p.notifier.clone(),
            clock: p.clock.clone(),
        }
    }

    /// Recovery's ports.
    pub fn recovery_ports(&self) -> RecoveryPorts {
        let p = &self.ports;
        RecoveryPorts {
            intents: p.intents.clone(),
            positions: p.positions.clone(),
            users: p.users.clone(),
            chain: p.chain.clone(),
            notifier: p.notifier.clone(),
            clock: p.clock.clone(),
        }
    }

    /// Tells the position monitor about a change made outside a trade (an exit edit): it takes
    /// effect on the next tick.
    pub fn announce(&self, record: PositionRecord) {
        if let Some(tx) = self.position_events.get() {
            let _ = tx.send(record);
        }
    }

    /// The settings.
    pub fn settings(&self) -> &TradingSettings {
        &self.settings
    }

    /// Positions follow the wallet: compares every live open position with its wallet's token
    /// balance and shrinks or closes those whose tokens left outside the bot (with a notice).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn reconcile_open_positions(&self) -> Result<usize, crate::ports::RepoError> {
        settle::reconcile_open_positions(self).await
    }

    /// Where the execution breaker stands (for `/stats`).
    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.lock().unwrap_or_else(std::sync::PoisonError::into_inner).state()
    }

    /// Executes a trade request end to end and notifies the user.
    ///
    /// # Errors
    /// Storage failures only; every trade-level problem is an outcome.
    #[tracing::instrument(skip_all, fields(user_id = req.user.0, mint = %req.mint, side = ?req.side))]
    pub async fn execute(&self, req: TradeRequest) -> Result<TradeOutcome, TradeError> {
        let (pending, _sell_guard) = match stages::accept(self, req).await? {
            stages::Accepted::Go(pending, guard) => (*pending, guard),
            stages::Accepted::Done(outcome) => return Ok(outcome),
        };
        let approved = match stages::approve(self, pending).await? {
            Ok(approved) => approved,
            Err(outcome) => return Ok(outcome),
        };
        let signed = match stages::build(self, approved).await? {
            Ok(signed) => signed,
            Err(outcome) => return Ok(outcome),
        };
        // Approved and signed: now the "⏳" (a refusal above is answered by the refusal alone;
        // the intent was stored in stage 1, so a lost acknowledgement never loses the trade).
        let r = &signed.intent.req;
        self.ports.notifier.accepted(r.user, r.origin, r.side, &r.mint).await;
        settle::execute(self, signed).await
    }

    /// Refuses without storing anything and tells the user (quietly for exits: the monitor
    /// retries with backoff and tells the user once when an exit keeps failing).
    async fn refuse(&self, req: &TradeRequest, intent_id: Option<i64>, reason: TradeFailure) -> TradeOutcome {
        if req.origin != IntentOrigin::Exit {
            let notice = TradeNotice::Refused { mint: req.mint.to_string(), reason: reason.clone() };
            self.ports.notifier.notify(req.user, notice).await;
        }
        TradeOutcome::Refused { intent_id, reason }
    }

    pub(crate) fn metrics(&self) -> Option<&Arc<crate::telemetry::Metrics>> {
        self.metrics.get()
    }

    /// A live send's result for the breaker; transitions go to admins and `/metrics`.
    async fn breaker_result(&self, ok: bool) {
        let now = self.ports.clock.now_ms();
        let event = {
            let mut b = self.breaker.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if ok { b.record_success() } else { b.record_failure(now) }
        };
        let Some(event) = event else { return };
        let notice = match event {
            BreakerEvent::Tripped { failures, until_ms } => {
                tracing::warn!(failures, until_ms, "execution breaker tripped: new entries refused");
                if let Some(m) = self.metrics() {
                    m.execution_breaker("tripped", true);
                }
                TradeNotice::ExecutionBreaker { open: true, failures, until_ms }
            }
            BreakerEvent::Reset => {
                tracing::info!("execution breaker reset");
                if let Some(m) = self.metrics() {
                    m.execution_breaker("reset", false);
                }
                TradeNotice::ExecutionBreaker { open: false, failures: 0, until_ms: now }
            }
        };
        for admin in self.admin_ids().await {
            self.ports.notifier.notify(admin, notice.clone()).await;
        }
    }

    async fn admin_ids(&self) -> Vec<UserId> {
        let mut ids: Vec<UserId> = self.settings.config_admins.iter().map(|id| UserId(*id)).collect();
        match self.ports.admins.persisted_admins().await {
            Ok(users) => ids.extend(users.into_iter().map(|u| u.id)),
            Err(e) => tracing::warn!(error.message = %e, "could not load admins for a breaker notice"),
        }
        ids.sort_by_key(|u| u.0);
        ids.dedup();
        ids
    }
}
