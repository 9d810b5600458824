//! Exit rules and their evaluation: a pure function from (position, price, now, rules) to an
//! optional exit decision. The monitor calls it every tick for every open position.
//!
//! Prices are SOL per raw token unit (`Decimal`); only the comparison uses them, never an amount
//! that ends in a transaction (the decision is a percentage of the position; the trading core
//! computes token amounts in integers).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::user_config::{TakeProfitStep, Trailing, UserConfig};

/// The exit rules of one position (stored as JSON with the position).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ExitRules {
    /// Stop-loss below the entry price, in basis points.
    pub stop_loss_bps: Option<u32>,
    /// Take-profit ladder; percentages are of the position size at open.
    pub take_profit: Vec<TakeProfitStep>,
    /// Trailing stop.
    pub trailing: Option<Trailing>,
    /// Sell everything after this long (ms since open).
    pub time_exit_ms: Option<i64>,
}

impl ExitRules {
    /// The user's default rules.
    pub fn from_config(c: &UserConfig) -> Self {
        Self {
            stop_loss_bps: c.stop_loss.map(|b| u32::from(b.0)),
            take_profit: c.take_profit.clone(),
            trailing: c.trailing_stop,
            time_exit_ms: c.time_exit_hours.map(|h| i64::from(h) * 3_600_000),
        }
    }

    /// Whether any rule is set.
    pub fn is_empty(&self) -> bool {
        self.stop_loss_bps.is_none()
            && self.take_profit.is_empty()
            && self.trailing.is_none()
            && self.time_exit_ms.is_none()
    }
}

/// Exit progress kept with the position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ExitProgress {
    /// How many take-profit steps have been sold.
    pub tp_done: u32,
    /// Raw tokens held when the position opened (the base of ladder percentages).
    pub initial_tokens: u64,
}

/// What the monitor knows about a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionView {
    /// Average entry price (SOL per raw unit, all fees included).
    pub entry: Decimal,
    /// Raw tokens held now.
    pub tokens: u64,
    /// Opened at (unix ms).
    pub opened_at_ms: i64,
    /// Highest price seen since open.
    pub peak: Decimal,
    /// Ladder progress.
    pub progress: ExitProgress,
}

/// Which rule fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitRule {
    /// Stop-loss.
    StopLoss,
    /// Time exit.
    Time,
    /// Trailing stop.
    Trailing,
    /// Take-profit up to and including this step index (0-based).
    TakeProfit(u32),
}

impl ExitRule {
    /// Stable name (idempotency keys, metrics, notices).
    pub fn name(self) -> &'static str {
        match self {
            Self::StopLoss => "stop_loss",
            Self::Time => "time",
            Self::Trailing => "trailing",
            Self::TakeProfit(_) => "take_profit",
        }
    }

    /// Step number for idempotency keys.
    pub fn step(self) -> u32 {
        match self {
            Self::TakeProfit(i) => i,
            _ => 0,
        }
    }
}

/// Why a sell was made, with the figures of the rule that fired (every exit notice names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExitReason {
    /// The stop-loss at `loss_bps` below the entry was hit.
    StopLoss {
        /// Stop distance below the entry, basis points.
        loss_bps: u32,
    },
    /// Take-profit ladder step `step` (1-based, the last one sold) of `steps`, at `gain_bps`.
    TakeProfit {
        /// The last step sold, 1-based.
        step: u32,
        /// Steps in the ladder.
        steps: u32,
        /// That step's gain over the entry, basis points.
        gain_bps: u32,
    },
    /// The trailing stop, `trail_bps` below the peak.
    Trailing {
        /// Trail distance below the peak, basis points.
        trail_bps: u32,
    },
    /// The time exit after `after_ms` held.
    Time {
        /// The limit, ms since open.
        after_ms: i64,
    },
    /// The user's `/panic`.
    Panic,
    /// The dev-sell exit: the token's creator sold `sold_bps` of its holding.
    DevSell {
        /// Share the creator sold, basis points.
        sold_bps: u32,
    },
    /// Resting limit order `order_id` filled.
    LimitOrder {
        /// The order (`#7`).
        order_id: i64,
    },
    /// Slice `slice` (1-based) of `slices` of DCA order `order_id`.
    DcaSlice {
        /// The order.
        order_id: i64,
        /// This slice, 1-based.
        slice: u32,
        /// Slices in all.
        slices: u32,
    },
}

impl ExitRule {
    /// The reason this rule fired under `rules` (the figures the user set).
    pub fn reason(self, rules: &ExitRules) -> ExitReason {
        match self {
            Self::StopLoss => ExitReason::StopLoss { loss_bps: rules.stop_loss_bps.unwrap_or(0).min(10_000) },
            Self::Time => ExitReason::Time { after_ms: rules.time_exit_ms.unwrap_or(0) },
            Self::Trailing => ExitReason::Trailing { trail_bps: rules.trailing.map_or(0, |t| t.trail_bps.min(10_000)) },
            Self::TakeProfit(i) => {
                let idx = usize::try_from(i).unwrap_or(usize::MAX);
                ExitReason::TakeProfit {
                    step: i.saturating_add(1),
                    steps: u32::try_from(rules.take_profit.len()).unwrap_or(u32::MAX),
                    gain_bps: rules.take_profit.get(idx).map_or(0, |s| s.gain_bps),
                }
            }
        }
    }
}

/// Sell this many raw tokens because of `rule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitDecision {
    /// The rule.
    pub rule: ExitRule,
    /// Raw tokens to sell (≤ held; all of them for full exits).
    pub tokens: u64,
    /// Whether this closes the position.
    pub closes: bool,
}

/// `bps / 10 000`, built exactly (mantissa `bps`, scale 4) instead of by division.
fn bps_factor(bps: u32) -> Decimal {
    Decimal::new(i64::from(bps), 4)
}

/// Evaluates the rules: stop-loss first, then time, then trailing, then the ladder. A price gap
/// through several ladder steps sells all of them at once.
pub fn evaluate(pos: &PositionView, price: Decimal, now_ms: i64, rules: &ExitRules) -> Option<ExitDecision> {
    if pos.tokens == 0 || pos.entry <= Decimal::ZERO || price < Decimal::ZERO {
        return None;
    }
    let all = ExitDecision { rule: ExitRule::StopLoss, tokens: pos.tokens, closes: true };
    if let Some(sl) = rules.stop_loss_bps {
        let floor = pos.entry * (Decimal::ONE - bps_factor(sl.min(10_000)));
        if price <= floor {
            return Some(all);
        }
    }
    if let Some(limit) = rules.time_exit_ms
        && now_ms.saturating_sub(pos.opened_at_ms) >= limit
    {
        return Some(ExitDecision { rule: ExitRule::Time, ..all });
    }
    if let Some(t) = rules.trailing {
        let peak = pos.peak.max(price);
        let armed = peak >= pos.entry * (Decimal::ONE + bps_factor(t.arm_bps));
        let stop = peak * (Decimal::ONE - bps_factor(t.trail_bps.min(10_000)));
        if armed && price <= stop {
            return Some(ExitDecision { rule: ExitRule::Trailing, ..all });
        }
    }
    ladder(pos, price, &rules.take_profit)
}

fn ladder(pos: &PositionView, price: Decimal, steps: &[TakeProfitStep]) -> Option<ExitDecision> {
    let done = usize::try_from(pos.progress.tp_done).unwrap_or(usize::MAX);
    let gain = (price - pos.entry) / pos.entry;
    let passed = steps.iter().take_while(|s| gain >= bps_factor(s.gain_bps)).count();
    if passed <= done {
        return None;
    }
    let last = passed - 1;
    let closes = last + 1 == steps.len() || steps[done..passed].iter().any(|s| s.sell_pct >= 100);
    let base = if pos.progress.initial_tokens > 0 { pos.progress.initial_tokens } else { pos.tokens };
    let pct: u32 = steps[done..passed].iter().map(|s| u32::from(s.sell_pct)).sum();
    let tokens = if closes {
        pos.tokens
    } else {
        let t = u128::from(base) * u128::from(pct.min(100)) / 100;
        u64::try_from(t).unwrap_or(u64::MAX).min(pos.tokens)
    };
    if tokens == 0 {
        return None;
    }
    let rule = ExitRule::TakeProfit(u32::try_from(last).unwrap_or(u32::MAX));
    Some(ExitDecision { rule, tokens, closes: closes || tokens == pos.tokens })
}

/// Per-position thresholds computed once (when a position or its peak changes), so that a tick
/// over many positions is a few comparisons each. [`ExitPlan::evaluate`] decides exactly like
/// [`evaluate`]: it answers `None` only for prices strictly inside a quiet band whose edges keep
/// a margin (10⁻⁶ relative plus 10⁻²⁶ absolute) far above `Decimal` rounding, and calls
/// [`evaluate`] for everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitPlan {
    entry: Decimal,
    peak: Decimal,
    tp_done: u32,
    time_limit_ms: Option<i64>,
    /// No stop (stop-loss, armed trailing stop) fires above this price.
    quiet_above: Decimal,
    /// No ladder step fires below this price.
    quiet_below: Decimal,
}

impl ExitPlan {
    /// Precomputes the thresholds of `pos` (entry, peak, ladder progress) under `rules`.
    pub fn new(pos: &PositionView, rules: &ExitRules) -> Self {
        let margin = |x: Decimal| x * Decimal::new(1, 6) + Decimal::new(1, 26);
        let mut quiet_above = Decimal::MIN;
        if let Some(sl) = rules.stop_loss_bps {
            let floor = pos.entry * (Decimal::ONE - bps_factor(sl.min(10_000)));
            quiet_above = quiet_above.max(floor + margin(floor.abs()));
        }
        if let Some(t) = rules.trailing
            && pos.peak >= pos.entry * (Decimal::ONE + bps_factor(t.arm_bps))
        {
            let stop = pos.peak * (Decimal::ONE - bps_factor(t.trail_bps.min(10_000)));
            quiet_above = quiet_above.max(stop + margin(stop.abs()));
        }
        let done = usize::try_from(pos.progress.tp_done).unwrap_or(usize::MAX);
        let quiet_below = match rules.take_profit.get(done) {
            Some(step) => {
                let at = pos.entry * (Decimal::ONE + bps_factor(step.gain_bps));
                at - margin(at.abs())
            }
            None => Decimal::MAX,
        };
        // A position without a positive entry never exits (`evaluate` answers `None`).
        let quiet_above = if pos.entry > Decimal::ZERO { quiet_above.max(Decimal::ZERO) } else { Decimal::MIN };
        Self {
            entry: pos.entry,
            peak: pos.peak,
            tp_done: pos.progress.tp_done,
            time_limit_ms: rules.time_exit_ms,
            quiet_above,
            quiet_below,
        }
    }

    /// Whether the plan was built for this entry, peak and ladder progress.
    pub fn matches(&self, pos: &PositionView) -> bool {
        self.tp_done == pos.progress.tp_done && self.peak == pos.peak && self.entry == pos.entry
    }

    /// Same answer as [`evaluate`]`(pos, price, now_ms, rules)` for the `rules` the plan was
    /// built with; cheap while the price stays inside the quiet band and below the peak.
    pub fn evaluate(&self, pos: &PositionView, price: Decimal, now_ms: i64, rules: &ExitRules) -> Option<ExitDecision> {
        let timed_out = self.time_limit_ms.is_some_and(|limit| now_ms.saturating_sub(pos.opened_at_ms) >= limit);
        let quiet = !timed_out
            && price > self.quiet_above
            && price < self.quiet_below
            && price <= self.peak
            && self.matches(pos);
        if quiet { None } else { evaluate(pos, price, now_ms, rules) }
    }
}

/// The new peak after observing `price`.
pub fn next_peak(peak: Decimal, price: Decimal) -> Decimal {
    peak.max(price)
}

#[cfg(test)]
#[path = "exit_tests.rs"]
mod tests;

/// The dev-sell exit: sell `sell_pct` % of a position when the token's creator sells at least
/// `min_creator_sold_bps` of what it held (in one transaction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevSellRule {
    /// Share of our position to sell, 1..=100 %.
    pub sell_pct: u8,
    /// Smallest creator sell that fires it, basis points of the creator's holding (1..=10,000).
    pub min_creator_sold_bps: u32,
}

impl DevSellRule {
    /// Parses `off` (→ `None`) or `X:Y` (sell X % when the creator sells ≥ Y %), `%` allowed.
    ///
    /// # Errors
    /// Anything else.
    pub fn parse(text: &str) -> Result<Option<Self>, BadDevSellRule> {
        let t = text.trim().to_ascii_lowercase();
        if matches!(t.as_str(), "off" | "none" | "no") {
            return Ok(None);
        }
        let (x, y) = t.split_once(':').ok_or(BadDevSellRule)?;
        let sell_pct: u8 = x.trim().trim_end_matches('%').parse().map_err(|_| BadDevSellRule)?;
        let min_creator_sold_bps = super::money::percent_bps(y, 1, 10_000).ok_or(BadDevSellRule)?;
        if !(1..=100).contains(&sell_pct) {
            return Err(BadDevSellRule);
        }
        Ok(Some(Self { sell_pct, min_creator_sold_bps }))
    }

    /// `X:Y` as `parse` reads it.
    pub fn display(rule: Option<Self>) -> String {
        rule.map_or_else(
            || "off".to_owned(),
            |r| format!("{}:{}", r.sell_pct, (Decimal::from(r.min_creator_sold_bps) / Decimal::from(100)).normalize()),
        )
    }
}

/// Not a dev-sell rule (`X:Y` or `off`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a dev-sell rule")]
pub struct BadDevSellRule;
