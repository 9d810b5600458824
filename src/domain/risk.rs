//! The risk manager: pure, synchronous rules over a snapshot of a user's state.
//!
//! One rule per type, each with a name and a refusal reason the user is shown. Only
//! [`RiskApproved`] values can reach execution, and only this module can create them. Exits
//! (sells) are never blocked by entry limits: only the hard kill switch stops them.

use super::money::{Bps, Lamports};
use super::user_config::UserConfig;

/// The admin kill switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KillSwitch {
    /// Trading as normal.
    #[default]
    Off,
    /// No new entries for anyone; exits continue.
    Entries,
    /// Nothing trades, exits included.
    Hard,
}

impl KillSwitch {
    /// Storage code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Entries => "on",
            Self::Hard => "hard",
        }
    }

    /// Parses a storage code (unknown = off is NOT safe, so unknown codes mean `Hard`).
    pub fn from_code(code: &str) -> Self {
        match code {
            "off" => Self::Off,
            "on" => Self::Entries,
            _ => Self::Hard,
        }
    }
}

/// Whether an approved trade is real or simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeMode {
    /// Signed and sent.
    Live,
    /// Built and simulated only; recorded as a paper trade.
    Paper,
}

/// A proposed entry (buy), as the risk manager sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryProposal {
    /// SOL to spend, before fees.
    pub amount: Lamports,
    /// Estimated fees and rent the trade needs on top of `amount` (network, priority, tip, ATA rent).
    pub fees: Lamports,
    /// Quoted price impact.
    pub price_impact: Bps,
    /// Quote-side liquidity of the venue (curve or pool SOL reserves).
    pub liquidity: Lamports,
}

/// The user's and the bot's state at the time of the check.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RiskSnapshot {
    /// Global kill switch.
    pub kill_switch: KillSwitch,
    /// Global dry-run (`DRY_RUN`).
    pub global_dry_run: bool,
    /// Set by `/pause <user>`.
    pub user_paused: bool,
    /// Consecutive execution failures across the bot (circuit breaker input).
    pub consecutive_execution_failures: u32,
    /// Wallet SOL balance.
    pub wallet_balance: Lamports,
    /// Cost basis of open positions.
    pub exposure: Lamports,
    /// Number of open positions.
    pub open_positions: u32,
    /// Whether the trade adds to an already open position (does not count as a new one).
    pub adds_to_open_position: bool,
    /// Realized PnL since the start of the UTC day, week and month (lamports; negative = loss).
    pub realized_day: i64,
    /// Realized PnL over the last 7 days.
    pub realized_week: i64,
    /// Realized PnL over the last 30 days.
    pub realized_month: i64,
    /// Losing closes in a row, most recent last.
    pub consecutive_losses: u32,
    /// When the last losing close happened (unix ms).
    pub last_loss_at_ms: i64,
    /// Peak equity seen (realized, lamports) and current equity.
    pub equity_peak: i64,
    /// Current realized equity.
    pub equity_now: i64,
    /// Now (unix ms).
    pub now_ms: i64,
}

impl RiskSnapshot {
    /// Fills the realized-equity inputs (peak and current equity, losing streak, time of the last
    /// loss) and the rolling 7-day and 30-day realized PnL (relative to `now_ms`) from a user's
    /// realized sells, oldest first.
    pub fn apply_realized(&mut self, trades: &[super::stats::RealizedTrade]) {
        const DAY_MS: i64 = 86_400_000;
        let week_start = self.now_ms.saturating_sub(7 * DAY_MS);
        let month_start = self.now_ms.saturating_sub(30 * DAY_MS);
        let (mut week, mut month) = (0i64, 0i64);
        for t in trades.iter().filter(|t| t.closed_at_ms >= month_start) {
            month = month.saturating_add(t.pnl);
            if t.closed_at_ms >= week_start {
                week = week.saturating_add(t.pnl);
            }
        }
        self.realized_week = week;
        self.realized_month = month;
        let mut equity = 0i64;
        let mut peak = 0i64;
        let mut streak = 0u32;
        let mut last_loss = 0i64;
        for t in trades {
            equity = equity.saturating_add(t.pnl);
            peak = peak.max(equity);
            if t.pnl < 0 {
                streak = streak.saturating_add(1);
                last_loss = t.closed_at_ms;
            } else {
                streak = 0;
            }
        }
        self.equity_peak = peak;
        self.equity_now = equity;
        self.consecutive_losses = streak;
        self.last_loss_at_ms = last_loss;
    }
}

/// Global limits that are not per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalLimits {
    /// Pause entries after this many consecutive execution failures.
    pub execution_failure_breaker: u32,
}

impl Default for GlobalLimits {
    fn default() -> Self {
        Self { execution_failure_breaker: 5 }
    }
}

/// Why an entry was refused. Each variant is one rule and renders as a localized reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RiskRefusal {
    /// The admin kill switch is on.
    KillSwitch,
    /// Too many consecutive execution failures across the bot.
    ExecutionBreaker {
        /// Failures seen.
        failures: u32,
    },
    /// An admin paused this user.
    UserPaused,
    /// The user has not enabled trading.
    TradingDisabled,
    /// The buy is larger than `max_position_sol`.
    PositionTooLarge {
        /// The limit.
        max: Lamports,
    },
    /// Exposure after the buy would exceed `max_total_exposure_sol`.
    ExposureLimit {
        /// Exposure now.
        current: Lamports,
        /// The limit.
        max: Lamports,
    },
    /// The daily loss budget is used up.
    DailyLossLimit {
        /// The limit.
        limit: Lamports,
    },
    /// The weekly loss budget is used up.
    WeeklyLossLimit {
        /// The limit.
        limit: Lamports,
    },
    /// The monthly loss budget is used up.
    MonthlyLossLimit {
        /// The limit.
        limit: Lamports,
    },
    /// Too many open positions.
    MaxOpenPositions {
        /// The limit.
        max: u32,
    },
    /// Too many losses in a row; entries resume at `until_ms`.
    LossStreakCooldown {
        /// Unix ms when entries resume.
        until_ms: i64,
    },
    /// Drawdown from the equity peak is beyond the user's cap.
    Drawdown {
        /// The cap.
        max: Bps,
    },
    /// The wallet would fall below the SOL reserve.
    InsufficientBalance {
        /// Needed: amount + fees + reserve.
        needed: Lamports,
        /// Available.
        available: Lamports,
    },
    /// The quote's price impact is above the cap.
    PriceImpact {
        /// Quoted impact.
        impact: Bps,
        /// The cap.
        max: Bps,
    },
    /// Venue liquidity is below the user's minimum.
    Liquidity {
        /// Quote-side liquidity.
        liquidity: Lamports,
        /// The minimum.
        min: Lamports,
    },
}

impl RiskRefusal {
    /// The rule's stable name (metrics, logs, locale key suffix `risk.<name>`).
    pub fn rule(&self) -> &'static str {
        match self {
            Self::KillSwitch => "kill_switch",
            Self::ExecutionBreaker { .. } => "execution_breaker",
            Self::UserPaused => "user_paused",
            Self::TradingDisabled => "trading_disabled",
            Self::PositionTooLarge { .. } => "max_position",
            Self::ExposureLimit { .. } => "max_exposure",
            Self::DailyLossLimit { .. } => "daily_loss",
            Self::WeeklyLossLimit { .. } => "weekly_loss",
            Self::MonthlyLossLimit { .. } => "monthly_loss",
            Self::MaxOpenPositions { .. } => "max_open_positions",
            Self::LossStreakCooldown { .. } => "loss_streak",
            Self::Drawdown { .. } => "drawdown",
            Self::InsufficientBalance { .. } => "balance",
            Self::PriceImpact { .. } => "price_impact",
            Self::Liquidity { .. } => "liquidity",
        }
    }
}

/// A value that passed the risk checks. Only this module constructs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskApproved<T> {
    inner: T,
    mode: TradeMode,
}

impl<T> RiskApproved<T> {
    /// The approved value.
    pub fn get(&self) -> &T {
        &self.inner
    }

    /// Live or paper.
    pub fn mode(&self) -> TradeMode {
        self.mode
    }

    /// Unwraps the approved value.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

type Rule = fn(&UserConfig, &RiskSnapshot, &EntryProposal, &GlobalLimits) -> Result<(), RiskRefusal>;

/// The entry rules in evaluation order (global first, then cheapest and most explanatory).
const ENTRY_RULES: [Rule; 15] = [
    kill_switch,
    execution_breaker,
    user_paused,
    trading_enabled,
    position_size,
    exposure,
    daily_loss,
    weekly_loss,
    monthly_loss,
    open_positions,
    loss_streak,
    drawdown,
    balance,
    price_impact,
    liquidity,
];

/// Checks an entry against every rule; returns the first refusal or the approved proposal.
///
/// # Errors
/// The first rule that refuses.
pub fn approve_entry<T>(
    intent: T,
    proposal: &EntryProposal,
    config: &UserConfig,
    snap: &RiskSnapshot,
    global: &GlobalLimits,
) -> Result<RiskApproved<T>, RiskRefusal> {
    for rule in ENTRY_RULES {
        rule(config, snap, proposal, global)?;
    }
    Ok(RiskApproved { inner: intent, mode: mode(config, snap) })
}

/// Approves an exit: only the hard kill switch blocks it; entry limits never do.
///
/// # Errors
/// [`RiskRefusal::KillSwitch`] under `/killswitch hard`.
pub fn approve_exit<T>(intent: T, config: &UserConfig, snap: &RiskSnapshot) -> Result<RiskApproved<T>, RiskRefusal> {
    if snap.kill_switch == KillSwitch::Hard {
        return Err(RiskRefusal::KillSwitch);
    }
    Ok(RiskApproved { inner: intent, mode: mode(config, snap) })
}

fn mode(config: &UserConfig, snap: &RiskSnapshot) -> TradeMode {
    if snap.global_dry_run || config.dry_run { TradeMode::Paper } else { TradeMode::Live }
}

fn kill_switch(_: &UserConfig, s: &RiskSnapshot, _: &EntryProposal, _: &GlobalLimits) -> Result<(), RiskRefusal> {
    if s.kill_switch == KillSwitch::Off { Ok(()) } else { Err(RiskRefusal::KillSwitch) }
}

fn execution_breaker(_: &UserConfig, s: &RiskSnapshot, _: &EntryProposal, g: &GlobalLimits) -> Result<(), RiskRefusal> {
    if g.execution_failure_breaker > 0 && s.consecutive_execution_failures >= g.execution_failure_breaker {
        return Err(RiskRefusal::ExecutionBreaker { failures: s.consecutive_execution_failures });
    }
    Ok(())
}

fn user_paused(_: &UserConfig, s: &RiskSnapshot, _: &EntryProposal, _: &GlobalLimits) -> Result<(), RiskRefusal> {
    if s.user_paused { Err(RiskRefusal::UserPaused) } else { Ok(()) }
}

fn trading_enabled(c: &UserConfig, _: &RiskSnapshot, _: &EntryProposal, _: &GlobalLimits) -> Result<(), RiskRefusal> {
    if c.trading_enabled { Ok(()) } else { Err(RiskRefusal::TradingDisabled) }
}

fn position_size(c: &UserConfig, _: &RiskSnapshot, p: &EntryProposal, _: &GlobalLimits) -> Result<(), RiskRefusal> {
    if p.amount > c.max_position { Err(RiskRefusal::PositionTooLarge { max: c.max_position }) } else { Ok(()) }
}

fn exposure(c: &UserConfig, s: &RiskSnapshot, p: &EntryProposal, _: &GlobalLimits) -> Result<(), RiskRefusal> {
    let after = s.exposure.checked_add(p.amount);
    match after {
        Some(total) if total <= c.max_total_exposure => Ok(()),
        _ => Err(RiskRefusal::ExposureLimit { current: s.exposure, max: c.max_total_exposure }),
    }
}

/// A loss budget is used up when the realized loss reaches the limit.
fn loss_hit(realized: i64, limit: Option<Lamports>) -> Option<Lamports> {
    let limit = limit?;
    // `unsigned_abs`, not negation: `i64::MIN` (the largest loss) has no negation.
    let loss = if realized < 0 { realized.unsigned_abs() } else { 0 };
    (loss >= limit.0).then_some(limit)
}

fn daily_loss(c: &UserConfig, s: &RiskSnapshot, _: &EntryProposal, _: &GlobalLimits) -> Result<(), RiskRefusal> {
    loss_hit(s.realized_day, c.daily_loss_limit).map_or(Ok(()), |limit| Err(RiskRefusal::DailyLossLimit { limit }))
}

fn weekly_loss(c: &UserConfig, s: &RiskSnapshot, _: &EntryProposal, _: &GlobalLimits) -> Result<(), RiskRefusal> {
    loss_hit(s.realized_week, c.weekly_loss_limit).map_or(Ok(()), |limit| Err(RiskRefusal::WeeklyLossLimit { limit }))
}

fn monthly_loss(c: &UserConfig, s: &RiskSnapshot, _: &EntryProposal, _: &GlobalLimits) -> Result<(), RiskRefusal> {
    loss_hit(s.realized_month, c.monthly_loss_limit)
        .map_or(Ok(()), |limit| Err(RiskRefusal::MonthlyLossLimit { limit }))
}

fn open_positions(c: &UserConfig, s: &RiskSnapshot, _: &EntryProposal, _: &GlobalLimits) -> Result<(), RiskRefusal> {
    if !s.adds_to_open_position && s.open_positions >= c.max_open_positions {
        return Err(RiskRefusal::MaxOpenPositions { max: c.max_open_positions });
    }
    Ok(())
}

fn loss_streak(c: &UserConfig, s: &RiskSnapshot, _: &EntryProposal, _: &GlobalLimits) -> Result<(), RiskRefusal> {
    let Some(streak) = c.loss_streak else {
        return Ok(());
    };
    if s.consecutive_losses < streak.losses {
        return Ok(());
    }
    let until_ms = s.last_loss_at_ms.saturating_add(i64::from(streak.cooldown_minutes).saturating_mul(60_000));
    if s.now_ms < until_ms { Err(RiskRefusal::LossStreakCooldown { until_ms }) } else { Ok(()) }
}

fn drawdown(c: &UserConfig, s: &RiskSnapshot, _: &EntryProposal, _: &GlobalLimits) -> Result<(), RiskRefusal> {
    let Some(max) = c.max_drawdown else {
        return Ok(());
    };
    // Drawdown is measured on realized equity against the starting capital + peak gains; the
    // reference for the percentage is the user's max exposure (their risk capital).
    let dd = i128::from(s.equity_peak) - i128::from(s.equity_now);
    let capital = i128::from(c.max_total_exposure.0.max(1));
    if dd > 0 && dd * 10_000 >= capital * i128::from(max.0) { Err(RiskRefusal::Drawdown { max }) } else { Ok(()) }
}

fn balance(c: &UserConfig, s: &RiskSnapshot, p: &EntryProposal, _: &GlobalLimits) -> Result<(), RiskRefusal> {
    let needed = p.amount.0.checked_add(p.fees.0).and_then(|v| v.checked_add(c.min_sol_reserve.0));
    match needed {
        Some(n) if n <= s.wallet_balance.0 => Ok(()),
        _ => Err(RiskRefusal::InsufficientBalance {
            needed: Lamports(needed.unwrap_or(u64::MAX)),
            available: s.wallet_balance,
        }),
    }
}

fn price_impact(c: &UserConfig, _: &RiskSnapshot, p: &EntryProposal, _: &GlobalLimits) -> Result<(), RiskRefusal> {
    if p.price_impact > c.max_price_impact {
        return Err(RiskRefusal::PriceImpact { impact: p.price_impact, max: c.max_price_impact });
    }
    Ok(())
}

fn liquidity(c: &UserConfig, _: &RiskSnapshot, p: &EntryProposal, _: &GlobalLimits) -> Result<(), RiskRefusal> {
    match c.min_liquidity {
        Some(min) if p.liquidity < min => Err(RiskRefusal::Liquidity { liquidity: p.liquidity, min }),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[path = "risk_tests.rs"]
mod tests;
