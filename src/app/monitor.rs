//! The position monitor: every open position in memory, one batched price read per tick, the
//! pure [`evaluate`] per position, and exits through the trading core's intents (idempotent per
//! position + rule + attempt). A failing mint or a failing sell never stops the monitor for the
//! others; failing exits are retried with backoff and escalating slippage, and the user is told
//! when an exit keeps failing.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use futures::StreamExt;
use rust_decimal::Decimal;
use solana_pubkey::Pubkey;
use tokio::sync::{Mutex, mpsc};

use super::trade::{MonitorPorts, StoredExit, TradeAmount, TradeOutcome, TradeRequest, Trading};
use crate::domain::exit::{ExitDecision, ExitPlan, ExitReason, ExitRule, ExitRules, PositionView, next_peak};
use crate::domain::failure::TradeFailure;
use crate::domain::intent::{IdempotencyKey, IntentOrigin};
use crate::domain::money::Bps;
use crate::domain::position::Side;
use crate::ports::{PositionRecord, PriceSource, RepoError, TradeNotice};

/// Exits running at once.
const PARALLEL_EXITS: usize = 8;
/// Failures before the user is told an exit keeps failing.
const TELL_AFTER: u32 = 3;
/// How long a user's default exit rules are cached by the monitor.
const DEFAULTS_TTL_MS: i64 = 30_000;

/// Retry state of one (position, rule, step).
#[derive(Debug, Clone, Copy, Default)]
struct Attempts {
    count: u32,
    next_at_ms: i64,
    told: bool,
}

#[derive(Debug, Clone)]
struct Tracked {
    record: PositionRecord,
    /// The mint, decoded once (`None`: a corrupt row, never priced).
    mint: Option<Pubkey>,
    exit: StoredExit,
    peak: Decimal,
    /// Thresholds of the position's own rules, rebuilt when entry, peak or progress change.
    plan: Option<ExitPlan>,
}

/// What one tick did (for tests and metrics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Positions evaluated.
    pub evaluated: usize,
    /// Mints without a price this tick.
    pub price_errors: usize,
    /// Exits attempted.
    pub exits: usize,
    /// Exits that filled.
    pub filled: usize,
    /// Exits that failed (will be retried).
    pub failed: usize,
    /// Resting orders (evaluated against the same prices).
    pub orders: super::orders::OrderTickReport,
}

/// The monitor.
pub struct Monitor {
    liveness: Option<Arc<crate::telemetry::Liveness>>,
    metrics: Option<Arc<crate::telemetry::Metrics>>,
    trading: Trading,
    ports: MonitorPorts,
    prices: Arc<dyn PriceSource>,
    tracked: Mutex<HashMap<i64, Tracked>>,
    /// Users' default exit rules and when they were read.
    defaults: Mutex<HashMap<i64, (i64, ExitRules)>>,
    attempts: Mutex<HashMap<(i64, ExitRule), Attempts>>,
    last_tick_ms: AtomicI64,
    /// Resting orders, run every tick against the tick's prices.
    orders: Option<super::orders::Orders>,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor").field("last_tick_ms", &self.last_tick_ms).finish_non_exhaustive()
    }
}

impl Monitor {
    /// Creates a monitor over the trading core.
    pub fn new(trading: Trading, prices: Arc<dyn PriceSource>) -> Self {
        Self {
            liveness: None,
            metrics: None,
            ports: trading.monitor_ports(),
            trading,
            prices,
            tracked: Mutex::new(HashMap::new()),
            defaults: Mutex::new(HashMap::new()),
            attempts: Mutex::new(HashMap::new()),
            last_tick_ms: AtomicI64::new(0),
            orders: None,
        }
    }

    /// Runs resting orders in every tick, against the same batched prices as the positions.
    #[must_use]
    pub fn with_orders(mut self, orders: super::orders::Orders) -> Self {
        self.orders = Some(orders);
        self
    }

    /// Reports each completed tick to `/healthz`.
    #[must_use]
    pub fn with_liveness(mut self, liveness: Arc<crate::telemetry::Liveness>) -> Self {
        self.liveness = Some(liveness);
        self
    }

    /// Reports ticks, exits and price errors to `/metrics`.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<crate::telemetry::Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Loads every open position (once, at start).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn load(&self) -> Result<usize, RepoError> {
        let open = self.ports.positions.all_open_positions().await?;
        let n = open.len();
        for p in open {
            self.upsert(p).await;
        }
        Ok(n)
    }

    /// Applies a position change from the trading core (open, add, reduce, close).
    pub async fn upsert(&self, record: PositionRecord) {
        let mut tracked = self.tracked.lock().await;
        if !record.is_open {
            tracked.remove(&record.id);
            return;
        }
        let mut record = record;
        let mut exit = StoredExit::parse(record.exit_rules.take().as_deref());
        // Held in memory for every open position: keep only what evaluation and exits read.
        record.source = None;
        if let Some(known) = tracked.get(&record.id) {
            // The trading core announces a fill before the monitor persists the ladder step it
            // sold: progress only moves forward, so a stale record never re-arms a sold step.
            exit.progress.tp_done = exit.progress.tp_done.max(known.exit.progress.tp_done);
            if exit.progress.initial_tokens == 0 {
                exit.progress.initial_tokens = known.exit.progress.initial_tokens;
            }
        }
        if exit.progress.initial_tokens == 0 {
            exit.progress.initial_tokens = record.book.tokens;
        }
        let peak = record.peak_price.unwrap_or_else(|| record.book.entry_price().unwrap_or_default());
        let peak = tracked.get(&record.id).map_or(peak, |t| t.peak.max(peak));
        let mint = Pubkey::from_str(&record.mint).ok();
        tracked.insert(record.id, Tracked { record, mint, exit, peak, plan: None });
    }

    /// Unix ms of the last completed tick (liveness).
    pub fn last_tick_ms(&self) -> i64 {
        self.last_tick_ms.load(Ordering::SeqCst)
    }

    /// Number of positions held in memory.
    pub async fn tracked(&self) -> usize {
        self.tracked.lock().await.len()
    }

    /// One tick: prices for every tracked mint, evaluate, run due exits.
    ///
    /// # Errors
    /// None today; storage errors of single exits are logged and retried.
    pub async fn tick(&self) -> TickReport {
        let started = std::time::Instant::now();
        let now = self.ports.clock.now_ms();
        let snapshot: Vec<Tracked> = self.tracked.lock().await.values().cloned().collect();
        // One entry per position, in snapshot order (a position whose mint cannot be decoded gets
        // a price error, so every other position keeps its own price).
        let priced: Vec<usize> = (0..snapshot.len()).filter(|i| snapshot[*i].mint.is_some()).collect();
        let mut holdings: Vec<(Pubkey, u64)> =
            priced.iter().filter_map(|i| snapshot[*i].mint.map(|m| (m, snapshot[*i].record.book.tokens))).collect();
        // Resting orders' mints join the same batch (a held mint is already in it).
        let held = holdings.len();
        if let Some(orders) = &self.orders {
            let known: std::collections::HashSet<Pubkey> = holdings.iter().map(|(m, _)| *m).collect();
            holdings.extend(orders.mints().into_iter().filter(|m| !known.contains(m)).map(|m| (m, 0)));
        }
        let quoted = self.prices.prices(&holdings).await;
        let by_mint: HashMap<Pubkey, Decimal> = match &self.orders {
            Some(_) => {
                holdings.iter().zip(&quoted).filter_map(|((m, _), p)| p.as_ref().ok().map(|p| (*m, *p))).collect()
            }
            None => HashMap::new(),
        };
        let mut prices: Vec<Result<Decimal, crate::ports::PriceError>> =
            vec![Err(crate::ports::PriceError::NoMarket); snapshot.len()];
        for (i, price) in priced.into_iter().zip(quoted.into_iter().take(held)) {
            prices[i] = price;
        }
        let mut report = TickReport { evaluated: snapshot.len(), ..TickReport::default() };
        let mut due: Vec<(Tracked, ExitDecision, ExitReason, u32)> = Vec::new();
        let mut new_plans: Vec<(i64, ExitPlan)> = Vec::new();
        let defaults = self.defaults_cache(&snapshot, now).await;
        let mut peaks: Vec<(i64, Decimal)> = Vec::new();
        for (t, price) in snapshot.into_iter().zip(prices) {
            let Ok(price) = price else {
                report.price_errors += 1;
                continue;
            };
            let peak = next_peak(t.peak, price);
            if peak > t.peak {
                peaks.push((t.record.id, peak));
            }
            let own_rules = !t.exit.rules.is_empty() || t.exit.exits_off;
            let rules = if own_rules {
                t.exit.rules.clone()
            } else {
                defaults.get(&t.record.user.0).cloned().unwrap_or_default()
            };
            let view = PositionView {
                entry: t.record.book.entry_price().unwrap_or_default(),
                tokens: t.record.book.tokens,
                opened_at_ms: t.record.book.opened_at_ms,
                peak,
                progress: t.exit.progress,
            };
            let plan = match t.plan {
                Some(plan) if own_rules && plan.matches(&view) => plan,
                _ => {
                    let plan = ExitPlan::new(&view, &rules);
                    if own_rules {
                        new_plans.push((t.record.id, plan));
                    }
                    plan
                }
            };
            let Some(decision) = plan.evaluate(&view, price, now, &rules) else {
                continue;
            };
            let attempts = self.attempts.lock().await.get(&(t.record.id, decision.rule)).copied().unwrap_or_default();
            if attempts.next_at_ms > now {
                continue;
            }
            let reason = decision.rule.reason(&rules);
            due.push((t, decision, reason, attempts.count));
        }
        if !new_plans.is_empty() || !peaks.is_empty() {
            let mut tracked = self.tracked.lock().await;
            for (id, plan) in new_plans {
                if let Some(t) = tracked.get_mut(&id) {
                    t.plan = Some(plan);
                }
            }
            for (id, peak) in &peaks {
                if let Some(t) = tracked.get_mut(id) {
                    t.peak = t.peak.max(*peak);
                }
            }
        }
        // New trailing peaks are persisted in one batched write per tick (not one per position).
        if !peaks.is_empty()
            && let Err(e) = self.ports.positions.set_peak_prices(&peaks).await
        {
            tracing::warn!(positions = peaks.len(), error.message = %e, "could not persist trailing peaks");
        }
        report.exits = due.len();
        let results: Vec<bool> = futures::stream::iter(due)
            .map(|(t, d, reason, attempt)| async move { self.exit(t, d, reason, attempt, now).await })
            .buffer_unordered(PARALLEL_EXITS)
            .collect()
            .await;
        report.filled = results.iter().filter(|ok| **ok).count();
        report.failed = results.len() - report.filled;
        if let Some(orders) = &self.orders {
            report.orders = orders.tick(&by_mint, now).await;
        }
        let done = self.ports.clock.now_ms();
        self.last_tick_ms.store(done, Ordering::SeqCst);
        if let Some(l) = &self.liveness {
            l.monitor_tick(done);
        }
        if let Some(m) = &self.metrics {
            m.monitor_tick(started.elapsed().as_secs_f64(), report.evaluated, report.price_errors);
        }
        report
    }

    /// Users' default exit rules (for positions without their own), cached: a user's settings
    /// are read at most once per [`DEFAULTS_TTL_MS`], not once per tick.
    async fn defaults_cache(&self, snapshot: &[Tracked], now: i64) -> HashMap<i64, ExitRules> {
        let mut cache = self.defaults.lock().await;
        let mut out = HashMap::new();
        for t in snapshot.iter().filter(|t| t.exit.rules.is_empty()) {
            let user = t.record.user.0;
            if out.contains_key(&user) {
                continue;
            }
            match cache.get(&user) {
                Some((at, rules)) if now.saturating_sub(*at) < DEFAULTS_TTL_MS => {
                    out.insert(user, rules.clone());
                }
                _ => {
                    if let Ok(cfg) = self.ports.users.config(t.record.user).await {
                        let rules = ExitRules::from_config(&cfg);
                        cache.insert(user, (now, rules.clone()));
                        out.insert(user, rules);
                    }
                }
            }
        }
        out
    }

    /// Runs one exit; returns whether it filled.
    async fn exit(&self, t: Tracked, d: ExitDecision, reason: ExitReason, attempt: u32, now: i64) -> bool {
        let Ok(mint) = Pubkey::from_str(&t.record.mint) else {
            return false;
        };
        let config = self.ports.users.config(t.record.user).await.unwrap_or_default();
        let slippage = escalate(config.slippage, attempt);
        let req = TradeRequest {
            user: t.record.user,
            mint,
            side: Side::Sell,
            amount: TradeAmount::Tokens(d.tokens),
            origin: IntentOrigin::Exit,
            key: IdempotencyKey::exit(t.record.id, &format!("{}#{attempt}", d.rule.name()), d.rule.step()),
            alert_id: None,
            received_at_ms: Some(now),
            exit_rules: None,
            slippage: Some(slippage),
            source: None,
            position_id: Some(t.record.id),
            price_guard: None,
            resume: false,
            prefetched: None,
            safety_overrides: Default::default(),
            exit_reason: Some(reason),
        };
        let outcome = self.trading.execute(req).await;
        let (filled, label) = match outcome {
            Ok(TradeOutcome::Filled { position, .. }) => {
                self.after_fill(&t, d, *position).await;
                (true, "filled")
            }
            Ok(TradeOutcome::Refused {
                reason: TradeFailure::PositionClosed | TradeFailure::NoPosition | TradeFailure::Dust,
                ..
            }) => {
                // Closed meanwhile (another sell, dust, tokens gone): stop tracking, sell nothing.
                self.tracked.lock().await.remove(&t.record.id);
                self.attempts.lock().await.retain(|(id, _), _| *id != t.record.id);
                (false, "closed")
            }
            Ok(TradeOutcome::Refused { reason: TradeFailure::SellInFlight, .. }) => {
                self.backoff(&t, d, attempt, now, false).await;
                (false, "busy")
            }
            Ok(TradeOutcome::Duplicate { .. } | TradeOutcome::Pending { .. }) => {
                // Another attempt owns this key, or the outcome is still unknown: do not pile on.
                self.backoff(&t, d, attempt, now, false).await;
                (false, "busy")
            }
            Ok(_) => {
                self.backoff(&t, d, attempt, now, true).await;
                (false, "failed")
            }
            Err(e) => {
                tracing::error!(position_id = t.record.id, error.message = %e, "exit failed on storage");
                self.backoff(&t, d, attempt, now, true).await;
                (false, "failed")
            }
        };
        if let Some(m) = &self.metrics {
            m.monitor_exit(d.rule.name(), label);
        }
        filled
    }

    async fn after_fill(&self, t: &Tracked, d: ExitDecision, position: PositionRecord) {
        self.attempts
            .lock()
            .await
            .retain(|(id, _), _| *id != t.record.id || !matches!(d.rule, ExitRule::TakeProfit(_)));
        let mut exit = t.exit.clone();
        // An exit edit (`/exits`) stored while this sell ran wins over the tick's snapshot: the
        // rules come from the position as the fill left it, the progress only moves forward.
        let stored = StoredExit::parse(position.exit_rules.as_deref());
        if !stored.rules.is_empty() || stored.exits_off {
            exit.rules = stored.rules;
            exit.exits_off = stored.exits_off;
        }
        if let ExitRule::TakeProfit(step) = d.rule {
            exit.progress.tp_done = step + 1;
            if let Ok(json) = serde_json::to_string(&exit)
                && let Err(e) = self.ports.positions.set_exit_state(position.id, &json).await
            {
                tracing::warn!(position_id = position.id, error.message = %e, "could not persist ladder progress");
            }
        }
        let mut updated = position;
        updated.exit_rules = serde_json::to_string(&exit).ok();
        self.upsert(updated).await;
    }

    async fn backoff(&self, t: &Tracked, d: ExitDecision, attempt: u32, now: i64, counts: bool) {
        let mut attempts = self.attempts.lock().await;
        let entry = attempts.entry((t.record.id, d.rule)).or_default();
        if counts {
            entry.count = attempt + 1;
        }
        let delay = 1_000_i64.saturating_mul(1 << entry.count.min(6));
        entry.next_at_ms = now.saturating_add(delay);
        if counts && entry.count >= TELL_AFTER && !entry.told {
            entry.told = true;
            let notice = TradeNotice::Failed {
                mint: t.record.mint.clone(),
                reason: crate::domain::failure::TradeFailure::ExitFailing,
                signature: None,
            };
            self.ports.notifier.notify(t.record.user, notice).await;
        }
    }

    /// Runs ticks every `every` until `stop` resolves; new positions stream in from the trading
    /// core.
    pub async fn run(
        self: Arc<Self>,
        every: std::time::Duration,
        mut events: mpsc::UnboundedReceiver<PositionRecord>,
        stop: impl std::future::Future<Output = ()>,
    ) {
        let mut stop = std::pin::pin!(stop);
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut stop => return,
                Some(p) = events.recv() => self.upsert(p).await,
                _ = interval.tick() => {
                    let report = self.tick().await;
                    if report.exits > 0 || report.price_errors > 0 {
                        tracing::debug!(?report, "monitor tick");
                    }
                }
            }
        }
    }
}

/// Exit slippage for attempt `n`: the user's tolerance, +50 % per retry, at most 3× and 50 %.
pub fn escalate(base: Bps, attempt: u32) -> Bps {
    let factor = 2 + attempt.min(4); // in halves: 1.0, 1.5, 2.0, 2.5, 3.0
    let v = u32::from(base.0).saturating_mul(factor) / 2;
    Bps(u16::try_from(v.min(5_000)).unwrap_or(5_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slippage_escalates_within_bounds() {
        assert_eq!(escalate(Bps(1_000), 0), Bps(1_000));
        assert_eq!(escalate(Bps(1_000), 1), Bps(1_500));
        assert_eq!(escalate(Bps(1_000), 4), Bps(3_000));
        assert_eq!(escalate(Bps(1_000), 40), Bps(3_000));
        assert_eq!(escalate(Bps(4_000), 4), Bps(5_000));
    }
}
