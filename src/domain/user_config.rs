//! Per-user trading configuration and its `key value` editing rules.
//!
//! `UserConfig::set` is the only way a user's text changes the config: it parses one key and one
//! value, validates the result as a whole, and either returns a new config or an error that names
//! the key (so the reply can say what is allowed). A failed `set` changes nothing.

use std::fmt::Write as _;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::money::{Bps, Lamports};
use super::safety::{SafetyLevel, SafetyRules};
use crate::config::parse_bool;

/// Priority fee policy for the compute-unit price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PriorityFee {
    /// Use the cached Helius estimate.
    Auto,
    /// A fixed price in micro-lamports per compute unit.
    MicroLamports(u64),
}

/// One take-profit step: when the gain reaches `gain_bps`, sell `sell_pct` % of the position
/// as it was when the step was set (the last step sells the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakeProfitStep {
    /// Gain over the average entry price, in basis points (10_000 = +100 %).
    pub gain_bps: u32,
    /// Percentage of the position to sell at this step, 1..=100.
    pub sell_pct: u8,
}

/// A trailing stop: armed once the gain reaches `arm_bps`, fires when the price falls `trail_bps`
/// below the peak seen since arming.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trailing {
    /// Gain that arms the stop, in basis points.
    pub arm_bps: u32,
    /// Drop from the peak that fires it, in basis points.
    pub trail_bps: u32,
}

/// Consecutive-loss breaker: after `losses` losing closes in a row, no entries for
/// `cooldown_minutes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LossStreak {
    /// Losing closes in a row that trip the breaker.
    pub losses: u32,
    /// Pause after tripping, in minutes.
    pub cooldown_minutes: u32,
}

/// A user's trading configuration. Construct with `Default` and change with [`UserConfig::set`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserConfig {
    /// Live trading switch (`/livetrade enable|disable`).
    pub trading_enabled: bool,
    /// Paper trading: full build and simulation, nothing sent.
    pub dry_run: bool,
    /// Largest single buy.
    pub max_position: Lamports,
    /// Largest total cost basis across open positions.
    pub max_total_exposure: Lamports,
    /// Slippage tolerance.
    pub slippage: Bps,
    /// Priority fee policy.
    pub priority_fee: PriorityFee,
    /// Helius Sender tip per trade; zero means the normal RPC path.
    pub sender_tip: Lamports,
    /// Realized loss allowed per UTC day before entries stop; `None` = no limit.
    pub daily_loss_limit: Option<Lamports>,
    /// Realized loss allowed over the last 7 days (rolling).
    pub weekly_loss_limit: Option<Lamports>,
    /// Realized loss allowed over the last 30 days (rolling).
    pub monthly_loss_limit: Option<Lamports>,
    /// Maximum number of open positions.
    pub max_open_positions: u32,
    /// SOL kept untouched in the wallet for fees and rent.
    pub min_sol_reserve: Lamports,
    /// Maximum accepted price impact of a buy.
    pub max_price_impact: Bps,
    /// Default stop-loss below the entry price; `None` = off.
    pub stop_loss: Option<Bps>,
    /// Default take-profit ladder; empty = off.
    pub take_profit: Vec<TakeProfitStep>,
    /// Default trailing stop; `None` = off.
    pub trailing_stop: Option<Trailing>,
    /// Default time exit in hours; `None` = off.
    pub time_exit_hours: Option<u32>,
    /// Buy buttons on token cards.
    pub buy_presets: Vec<Lamports>,
    /// Consecutive-loss breaker; `None` = off.
    pub loss_streak: Option<LossStreak>,
    /// Maximum drawdown of realized equity from its peak, relative to max exposure; `None` = off.
    pub max_drawdown: Option<Bps>,
    /// Minimum quote-side liquidity (curve or pool SOL reserves) to enter; `None` = off.
    pub min_liquidity: Option<Lamports>,
    /// An identical manual buy within this many seconds of the previous one is a double tap
    /// and does nothing; `None` = off.
    pub double_tap_guard_secs: Option<u32>,
    /// Pump.fun / PumpSwap volume rewards (`track_volume`), on as in the official SDK and web app.
    pub volume_rewards: bool,
    /// Sandwich protection for live trades: sent only through the Helius Sender with the tip
    /// inside the transaction and the `jitodontfront` marker, never through the public
    /// `sendTransaction` path; the tip is at least the Sender minimum
    /// ([`PROTECTED_MIN_TIP`]). On by default.
    pub mev_protection: bool,
    /// Token safety rules for buys (`safety` preset and its individual keys).
    pub safety: SafetyRules,
}

/// The smallest tip a protected (Sender, dual-routed through Jito) send carries: the Sender Max
/// minimum of 0.001 SOL (reference §4.3). A lower `tip_sol` (0 included) is raised to it.
pub const PROTECTED_MIN_TIP: Lamports = Lamports(1_000_000);

impl UserConfig {
    /// The tip a live trade carries: `tip_sol` (or `default_tip` when it is 0), raised to
    /// [`PROTECTED_MIN_TIP`] when `protected`.
    pub fn effective_tip(&self, default_tip: Lamports, protected: bool) -> Lamports {
        let tip = if self.sender_tip.0 > 0 { self.sender_tip } else { default_tip };
        if protected { tip.max(PROTECTED_MIN_TIP) } else { tip }
    }
}

impl Default for UserConfig {
    fn default() -> Self {
        Self {
            trading_enabled: false,
            dry_run: true,
            max_position: Lamports(100_000_000),
            max_total_exposure: Lamports(1_000_000_000),
            slippage: Bps(1_000),
            priority_fee: PriorityFee::Auto,
            sender_tip: Lamports::ZERO,
            daily_loss_limit: Some(Lamports(500_000_000)),
            weekly_loss_limit: None,
            monthly_loss_limit: None,
            max_open_positions: 5,
            min_sol_reserve: Lamports(10_000_000),
            max_price_impact: Bps(1_500),
            stop_loss: Some(Bps(3_000)),
            take_profit: vec![
                TakeProfitStep { gain_bps: 10_000, sell_pct: 50 },
                TakeProfitStep { gain_bps: 20_000, sell_pct: 25 },
                TakeProfitStep { gain_bps: 40_000, sell_pct: 100 },
            ],
            trailing_stop: Some(Trailing { arm_bps: 300, trail_bps: 200 }),
            time_exit_hours: Some(48),
            // Every default preset is within the default `max_position` (0.1 SOL).
            buy_presets: vec![Lamports(10_000_000), Lamports(25_000_000), Lamports(50_000_000), Lamports(100_000_000)],
            loss_streak: Some(LossStreak { losses: 3, cooldown_minutes: 60 }),
            max_drawdown: Some(Bps(5_000)),
            // Off by default: fresh bonding curves start with no real SOL reserves.
            min_liquidity: None,
            double_tap_guard_secs: Some(5),
            volume_rewards: true,
            mev_protection: true,
            safety: SafetyRules::default(),
        }
    }
}

/// A configurable key, as typed after `/livetrade config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigKey {
    /// `max_position_sol`
    MaxPositionSol,
    /// `max_total_exposure_sol`
    MaxTotalExposureSol,
    /// `slippage_bps`
    SlippageBps,
    /// `priority_fee`
    PriorityFee,
    /// `tip_sol`
    TipSol,
    /// `daily_loss_limit_sol`
    DailyLossLimitSol,
    /// `weekly_loss_limit_sol`
    WeeklyLossLimitSol,
    /// `monthly_loss_limit_sol`
    MonthlyLossLimitSol,
    /// `max_open_positions`
    MaxOpenPositions,
    /// `min_sol_reserve`
    MinSolReserve,
    /// `max_price_impact_bps`
    MaxPriceImpactBps,
    /// `dry_run`
    DryRun,
    /// `stop_loss_pct`
    StopLossPct,
    /// `take_profit`
    TakeProfit,
    /// `trailing_stop`
    TrailingStop,
    /// `time_exit_hours`
    TimeExitHours,
    /// `buy_presets`
    BuyPresets,
    /// `loss_streak`
    LossStreak,
    /// `max_drawdown_pct`
    MaxDrawdownPct,
    /// `min_liquidity_sol`
    MinLiquiditySol,
    /// `double_tap_guard_secs`
    DoubleTapGuardSecs,
    /// `volume_rewards`
    VolumeRewards,
    /// `mev_protection`
    MevProtection,
    /// `safety`: strict | normal | off (resets the individual safety keys to the preset).
    Safety,
    /// `deny_freeze`
    DenyFreeze,
    /// `deny_mint_authority`
    DenyMintAuthority,
    /// `max_transfer_fee_pct`
    MaxTransferFeePct,
    /// `max_top10_pct`
    MaxTop10Pct,
    /// `max_dev_pct`
    MaxDevPct,
    /// `min_age_secs`
    MinAgeSecs,
    /// `require_sellable`
    RequireSellable,
}

/// Why a `set` was refused. Carries the key so the reply can say what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigSetError {
    /// Not a known key.
    #[error("unknown key")]
    UnknownKey,
    /// The value is not allowed for this key.
    #[error("invalid value for {}", .0.name())]
    InvalidValue(ConfigKey),
    /// The value is fine alone but breaks a rule between keys (exposure below position size).
    #[error("exposure must be at least the position size")]
    ExposureBelowPosition,
}

/// Upper bound for any SOL amount setting (a typo guard, not a risk rule).
const MAX_SOL_SETTING: Lamports = Lamports(100_000 * super::money::LAMPORTS_PER_SOL);

impl ConfigKey {
    /// Every key, in display order.
    pub const ALL: [Self; 31] = [
        Self::MaxPositionSol,
        Self::MaxTotalExposureSol,
        Self::SlippageBps,
        Self::PriorityFee,
        Self::TipSol,
        Self::DailyLossLimitSol,
        Self::WeeklyLossLimitSol,
        Self::MonthlyLossLimitSol,
        Self::MaxOpenPositions,
        Self::MinSolReserve,
        Self::MaxPriceImpactBps,
        Self::DryRun,
        Self::StopLossPct,
        Self::TakeProfit,
        Self::TrailingStop,
        Self::TimeExitHours,
        Self::BuyPresets,
        Self::LossStreak,
        Self::MaxDrawdownPct,
        Self::MinLiquiditySol,
        Self::DoubleTapGuardSecs,
        Self::VolumeRewards,
        Self::MevProtection,
        Self::Safety,
        Self::DenyFreeze,
        Self::DenyMintAuthority,
        Self::MaxTransferFeePct,
        Self::MaxTop10Pct,
        Self::MaxDevPct,
        Self::MinAgeSecs,
        Self::RequireSellable,
    ];

    /// The key as the user types it.
    pub fn name(self) -> &'static str {
        match self {
            Self::MaxPositionSol => "max_position_sol",
            Self::MaxTotalExposureSol => "max_total_exposure_sol",
            Self::SlippageBps => "slippage_bps",
            Self::PriorityFee => "priority_fee",
            Self::TipSol => "tip_sol",
            Self::DailyLossLimitSol => "daily_loss_limit_sol",
            Self::WeeklyLossLimitSol => "weekly_loss_limit_sol",
            Self::MonthlyLossLimitSol => "monthly_loss_limit_sol",
            Self::MaxOpenPositions => "max_open_positions",
            Self::MinSolReserve => "min_sol_reserve",
            Self::MaxPriceImpactBps => "max_price_impact_bps",
            Self::DryRun => "dry_run",
            Self::StopLossPct => "stop_loss_pct",
            Self::TakeProfit => "take_profit",
            Self::TrailingStop => "trailing_stop",
            Self::TimeExitHours => "time_exit_hours",
            Self::BuyPresets => "buy_presets",
            Self::LossStreak => "loss_streak",
            Self::MaxDrawdownPct => "max_drawdown_pct",
            Self::MinLiquiditySol => "min_liquidity_sol",
            Self::DoubleTapGuardSecs => "double_tap_guard_secs",
            Self::VolumeRewards => "volume_rewards",
            Self::MevProtection => "mev_protection",
            Self::Safety => "safety",
            Self::DenyFreeze => "deny_freeze",
            Self::DenyMintAuthority => "deny_mint_authority",
            Self::MaxTransferFeePct => "max_transfer_fee_pct",
            Self::MaxTop10Pct => "max_top10_pct",
            Self::MaxDevPct => "max_dev_pct",
            Self::MinAgeSecs => "min_age_secs",
            Self::RequireSellable => "require_sellable",
        }
    }

    /// Parses a key name (case-insensitive; `-` accepted for `_`).
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL.into_iter().find(|k| k.name() == t)
    }

    /// Whether the setting is on/off (shown as a toggle).
    pub fn is_toggle(self) -> bool {
        self.presets() == ["on", "off"]
    }

    /// Suggested values offered as buttons (each is accepted by `set`).
    pub fn presets(self) -> &'static [&'static str] {
        match self {
            Self::MaxPositionSol => &["0.05", "0.1", "0.25", "0.5", "1"],
            Self::MaxTotalExposureSol => &["0.5", "1", "2", "5", "10"],
            Self::SlippageBps => &["100", "300", "500", "1000", "2000"],
            Self::PriorityFee => &["auto", "10000", "100000", "1000000"],
            Self::TipSol => &["0", "0.0002", "0.001", "0.005"],
            Self::DailyLossLimitSol | Self::WeeklyLossLimitSol | Self::MonthlyLossLimitSol => {
                &["off", "0.1", "0.5", "1", "5"]
            }
            Self::MaxOpenPositions => &["1", "3", "5", "10", "20"],
            Self::MinSolReserve => &["0.005", "0.01", "0.02", "0.05"],
            Self::MaxPriceImpactBps => &["300", "500", "1000", "1500", "3000"],
            Self::DryRun => &["on", "off"],
            Self::StopLossPct => &["off", "10", "20", "30", "50"],
            Self::TakeProfit => &["off", "100:100", "50:50,100:100", "100:50,200:25,400:100"],
            Self::TrailingStop => &["off", "3:2", "10:5", "20:10"],
            Self::TimeExitHours => &["off", "6", "24", "48", "168"],
            Self::BuyPresets => &["0.01,0.025,0.05,0.1", "0.1,0.25,0.5,1", "0.05,0.1,0.2,0.5", "0.5,1,2,5"],
            Self::LossStreak => &["off", "3:60", "5:240", "2:1440"],
            Self::MaxDrawdownPct => &["off", "20", "35", "50"],
            Self::MinLiquiditySol => &["off", "1", "5", "20", "100"],
            Self::DoubleTapGuardSecs => &["off", "3", "5", "10", "30"],
            Self::VolumeRewards => &["on", "off"],
            Self::MevProtection => &["on", "off"],
            Self::Safety => &["strict", "normal", "off"],
            Self::DenyFreeze | Self::DenyMintAuthority | Self::RequireSellable => &["on", "off"],
            Self::MaxTransferFeePct => &["off", "0", "1", "5", "10"],
            Self::MaxTop10Pct => &["off", "20", "30", "50"],
            Self::MaxDevPct => &["off", "5", "10", "20"],
            Self::MinAgeSecs => &["off", "60", "300", "3600"],
        }
    }
}

impl UserConfig {
    /// Returns a copy with `key` set to `value`, or why not. `self` is never modified.
    ///
    /// # Errors
    /// [`ConfigSetError::InvalidValue`] when the value is outside what the key allows, and
    /// [`ConfigSetError::ExposureBelowPosition`] when max exposure would fall below max position.
    pub fn set(&self, key: ConfigKey, value: &str) -> Result<Self, ConfigSetError> {
        let bad = || ConfigSetError::InvalidValue(key);
        let v = value.trim();
        let mut next = self.clone();
        match key {
            ConfigKey::MaxPositionSol => next.max_position = positive_sol(v).ok_or_else(bad)?,
            ConfigKey::MaxTotalExposureSol => next.max_total_exposure = positive_sol(v).ok_or_else(bad)?,
            ConfigKey::SlippageBps => next.slippage = Bps(int_in(v, 1, 5_000).ok_or_else(bad)? as u16),
            ConfigKey::PriorityFee => {
                next.priority_fee = if v.eq_ignore_ascii_case("auto") {
                    PriorityFee::Auto
                } else {
                    PriorityFee::MicroLamports(int_in(v, 0, 50_000_000).ok_or_else(bad)?)
                }
            }
            ConfigKey::TipSol => {
                let tip = sol_in(v, Lamports::ZERO, Lamports(100_000_000)).ok_or_else(bad)?;
                next.sender_tip = tip;
            }
            ConfigKey::DailyLossLimitSol => next.daily_loss_limit = optional(v, positive_sol).ok_or_else(bad)?,
            ConfigKey::WeeklyLossLimitSol => next.weekly_loss_limit = optional(v, positive_sol).ok_or_else(bad)?,
            ConfigKey::MonthlyLossLimitSol => next.monthly_loss_limit = optional(v, positive_sol).ok_or_else(bad)?,
            ConfigKey::MaxOpenPositions => next.max_open_positions = int_in(v, 1, 100).ok_or_else(bad)? as u32,
            ConfigKey::MinSolReserve => {
                next.min_sol_reserve =
                    sol_in(v, Lamports::ZERO, Lamports(10 * super::money::LAMPORTS_PER_SOL)).ok_or_else(bad)?
            }
            ConfigKey::MaxPriceImpactBps => next.max_price_impact = Bps(int_in(v, 1, 10_000).ok_or_else(bad)? as u16),
            ConfigKey::DryRun => next.dry_run = parse_bool(v).ok_or_else(bad)?,
            ConfigKey::StopLossPct => {
                next.stop_loss = optional(v, |s| pct_bps(s, 1, 99).map(|b| Bps(b as u16))).ok_or_else(bad)?
            }
            ConfigKey::TakeProfit => next.take_profit = parse_ladder(v).ok_or_else(bad)?,
            ConfigKey::TrailingStop => next.trailing_stop = optional(v, parse_trailing).ok_or_else(bad)?,
            ConfigKey::TimeExitHours => {
                next.time_exit_hours = optional(v, |s| int_in(s, 1, 720).map(|h| h as u32)).ok_or_else(bad)?
            }
            ConfigKey::BuyPresets => next.buy_presets = parse_presets(v).ok_or_else(bad)?,
            ConfigKey::LossStreak => next.loss_streak = optional(v, parse_streak).ok_or_else(bad)?,
            ConfigKey::MaxDrawdownPct => {
                next.max_drawdown = optional(v, |s| pct_bps(s, 1, 99).map(|b| Bps(b as u16))).ok_or_else(bad)?
            }
            ConfigKey::MinLiquiditySol => next.min_liquidity = optional(v, positive_sol).ok_or_else(bad)?,
            ConfigKey::DoubleTapGuardSecs => {
                next.double_tap_guard_secs = optional(v, |s| int_in(s, 1, 600).map(|n| n as u32)).ok_or_else(bad)?
            }
            ConfigKey::VolumeRewards => next.volume_rewards = parse_bool(v).ok_or_else(bad)?,
            ConfigKey::MevProtection => next.mev_protection = parse_bool(v).ok_or_else(bad)?,
            ConfigKey::Safety => next.safety = SafetyRules::preset(SafetyLevel::parse(v).ok_or_else(bad)?),
            ConfigKey::DenyFreeze => next.safety.deny_freeze = parse_bool(v).ok_or_else(bad)?,
            ConfigKey::DenyMintAuthority => next.safety.deny_mint_authority = parse_bool(v).ok_or_else(bad)?,
            ConfigKey::RequireSellable => next.safety.require_sellable = parse_bool(v).ok_or_else(bad)?,
            // `0` is a limit here (no fee at all), not "off".
            ConfigKey::MaxTransferFeePct => {
                next.safety.max_transfer_fee_bps =
                    if v.eq_ignore_ascii_case("off") { None } else { Some(pct_bps(v, 0, 100).ok_or_else(bad)?) }
            }
            ConfigKey::MaxTop10Pct => {
                next.safety.max_top10_bps = optional(v, |s| pct_bps(s, 1, 100)).ok_or_else(bad)?
            }
            ConfigKey::MaxDevPct => next.safety.max_dev_bps = optional(v, |s| pct_bps(s, 1, 100)).ok_or_else(bad)?,
            ConfigKey::MinAgeSecs => {
                next.safety.min_age_secs = optional(v, |s| int_in(s, 1, 604_800).map(|n| n as u32)).ok_or_else(bad)?
            }
        }
        if next.max_total_exposure < next.max_position {
            return Err(ConfigSetError::ExposureBelowPosition);
        }
        Ok(next)
    }

    /// The current value of `key` in the same syntax `set` accepts (so it can be copied back).
    pub fn display(&self, key: ConfigKey) -> String {
        let sol = |l: Lamports| l.to_sol().normalize().to_string();
        let opt_sol = |l: Option<Lamports>| l.map_or_else(|| "off".to_owned(), sol);
        match key {
            ConfigKey::MaxPositionSol => sol(self.max_position),
            ConfigKey::MaxTotalExposureSol => sol(self.max_total_exposure),
            ConfigKey::SlippageBps => self.slippage.0.to_string(),
            ConfigKey::PriorityFee => match self.priority_fee {
                PriorityFee::Auto => "auto".to_owned(),
                PriorityFee::MicroLamports(m) => m.to_string(),
            },
            ConfigKey::TipSol => sol(self.sender_tip),
            ConfigKey::DailyLossLimitSol => opt_sol(self.daily_loss_limit),
            ConfigKey::WeeklyLossLimitSol => opt_sol(self.weekly_loss_limit),
            ConfigKey::MonthlyLossLimitSol => opt_sol(self.monthly_loss_limit),
            ConfigKey::MaxOpenPositions => self.max_open_positions.to_string(),
            ConfigKey::MinSolReserve => sol(self.min_sol_reserve),
            ConfigKey::MaxPriceImpactBps => self.max_price_impact.0.to_string(),
            ConfigKey::DryRun => if self.dry_run { "on" } else { "off" }.to_owned(),
            ConfigKey::StopLossPct => self.stop_loss.map_or_else(|| "off".to_owned(), |b| bps_pct(u32::from(b.0))),
            ConfigKey::TakeProfit => {
                if self.take_profit.is_empty() {
                    return "off".to_owned();
                }
                let mut s = String::new();
                for (i, step) in self.take_profit.iter().enumerate() {
                    let sep = if i == 0 { "" } else { "," };
                    let _ = write!(s, "{sep}{}:{}", bps_pct(step.gain_bps), step.sell_pct);
                }
                s
            }
            ConfigKey::TrailingStop => self
                .trailing_stop
                .map_or_else(|| "off".to_owned(), |t| format!("{}:{}", bps_pct(t.arm_bps), bps_pct(t.trail_bps))),
            ConfigKey::TimeExitHours => self.time_exit_hours.map_or_else(|| "off".to_owned(), |h| h.to_string()),
            ConfigKey::BuyPresets => self.buy_presets.iter().map(|l| sol(*l)).collect::<Vec<_>>().join(","),
            ConfigKey::LossStreak => {
                self.loss_streak.map_or_else(|| "off".to_owned(), |s| format!("{}:{}", s.losses, s.cooldown_minutes))
            }
            ConfigKey::MaxDrawdownPct => {
                self.max_drawdown.map_or_else(|| "off".to_owned(), |b| bps_pct(u32::from(b.0)))
            }
            ConfigKey::MinLiquiditySol => opt_sol(self.min_liquidity),
            ConfigKey::DoubleTapGuardSecs => {
                self.double_tap_guard_secs.map_or_else(|| "off".to_owned(), |n| n.to_string())
            }
            ConfigKey::VolumeRewards => if self.volume_rewards { "on" } else { "off" }.to_owned(),
            ConfigKey::MevProtection => if self.mev_protection { "on" } else { "off" }.to_owned(),
            ConfigKey::Safety => self.safety.level.code().to_owned(),
            ConfigKey::DenyFreeze => on_off(self.safety.deny_freeze),
            ConfigKey::DenyMintAuthority => on_off(self.safety.deny_mint_authority),
            ConfigKey::RequireSellable => on_off(self.safety.require_sellable),
            ConfigKey::MaxTransferFeePct => self.safety.max_transfer_fee_bps.map_or_else(|| "off".to_owned(), bps_pct),
            ConfigKey::MaxTop10Pct => self.safety.max_top10_bps.map_or_else(|| "off".to_owned(), bps_pct),
            ConfigKey::MaxDevPct => self.safety.max_dev_bps.map_or_else(|| "off".to_owned(), bps_pct),
            ConfigKey::MinAgeSecs => self.safety.min_age_secs.map_or_else(|| "off".to_owned(), |n| n.to_string()),
        }
    }
}

fn on_off(v: bool) -> String {
    if v { "on" } else { "off" }.to_owned()
}

fn is_off(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "off" | "none" | "0")
}

fn optional<T>(v: &str, f: impl Fn(&str) -> Option<T>) -> Option<Option<T>> {
    if is_off(v) { Some(None) } else { f(v).map(Some) }
}

fn int_in(v: &str, min: u64, max: u64) -> Option<u64> {
    v.parse::<u64>().ok().filter(|n| (min..=max).contains(n))
}

fn sol_in(v: &str, min: Lamports, max: Lamports) -> Option<Lamports> {
    Lamports::parse_sol(v).ok().filter(|l| *l >= min && *l <= max)
}

fn positive_sol(v: &str) -> Option<Lamports> {
    sol_in(v, Lamports(1), MAX_SOL_SETTING)
}

/// A percentage with up to two decimals (`12.5`, `12,5`) in basis points within `[min, max]` %.
fn pct_bps(v: &str, min: u32, max: u32) -> Option<u32> {
    super::money::percent_bps(v, min * 100, max * 100)
}

fn bps_pct(bps: u32) -> String {
    (Decimal::from(bps) / Decimal::from(100)).normalize().to_string()
}

fn parse_ladder(v: &str) -> Option<Vec<TakeProfitStep>> {
    if is_off(v) {
        return Some(Vec::new());
    }
    let mut steps = Vec::new();
    for part in v.split(',') {
        let (gain, sell) = part.trim().split_once(':')?;
        let gain_bps = pct_bps(gain, 1, 100_000)?;
        let sell_pct = u8::try_from(int_in(sell.trim().trim_end_matches('%'), 1, 100)?).ok()?;
        if steps.last().is_some_and(|s: &TakeProfitStep| s.gain_bps >= gain_bps) {
            return None; // targets must rise
        }
        steps.push(TakeProfitStep { gain_bps, sell_pct });
    }
    (1..=8).contains(&steps.len()).then_some(steps)
}

fn parse_trailing(v: &str) -> Option<Trailing> {
    let (arm, trail) = v.split_once(':')?;
    let arm_bps = pct_bps(arm, 0, 100_000).or_else(|| (arm.trim() == "0").then_some(0))?;
    let trail_bps = pct_bps(trail, 1, 99)?;
    Some(Trailing { arm_bps, trail_bps })
}

fn parse_streak(v: &str) -> Option<LossStreak> {
    let (losses, minutes) = v.split_once(':')?;
    let losses = u32::try_from(int_in(losses.trim(), 1, 100)?).ok()?;
    let cooldown_minutes = u32::try_from(int_in(minutes.trim(), 1, 10_080)?).ok()?;
    Some(LossStreak { losses, cooldown_minutes })
}

fn parse_presets(v: &str) -> Option<Vec<Lamports>> {
    let list = v.split(',').map(|p| positive_sol(p.trim())).collect::<Option<Vec<_>>>()?;
    (1..=6).contains(&list.len()).then_some(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_accepted_and_round_trips_through_display() {
        let base = UserConfig { max_total_exposure: MAX_SOL_SETTING, ..UserConfig::default() };
        for key in ConfigKey::ALL {
            for preset in key.presets() {
                let next = base.set(key, preset);
                assert!(next.is_ok(), "{} {preset}: {next:?}", key.name());
                let next = next.unwrap_or_default();
                let shown = next.display(key);
                assert_eq!(next.set(key, &shown).as_ref(), Ok(&next), "{} {preset} -> {shown}", key.name());
            }
        }
    }

    #[test]
    fn invalid_values_name_the_key_and_change_nothing() {
        let cfg = UserConfig::default();
        let cases = [
            (ConfigKey::MaxPositionSol, "0"),
            (ConfigKey::MaxPositionSol, "-1"),
            (ConfigKey::MaxPositionSol, "abc"),
            (ConfigKey::SlippageBps, "0"),
            (ConfigKey::SlippageBps, "5001"),
            (ConfigKey::PriorityFee, "fast"),
            (ConfigKey::DryRun, "maybe"),
            (ConfigKey::StopLossPct, "100"),
            (ConfigKey::StopLossPct, "12.345"),
            (ConfigKey::TakeProfit, "200:50,100:50"),
            (ConfigKey::TakeProfit, "100:0"),
            (ConfigKey::TakeProfit, "100"),
            (ConfigKey::TrailingStop, "3"),
            (ConfigKey::MaxOpenPositions, "0"),
            (ConfigKey::TimeExitHours, "1000"),
            (ConfigKey::BuyPresets, "0.1,x"),
            (ConfigKey::Safety, "paranoid"),
            (ConfigKey::DenyFreeze, "deny?"),
            (ConfigKey::MaxTop10Pct, "101"),
            (ConfigKey::MaxTransferFeePct, "-1"),
            (ConfigKey::MinAgeSecs, "soon"),
        ];
        for (key, value) in cases {
            assert_eq!(cfg.set(key, value), Err(ConfigSetError::InvalidValue(key)), "{} {value}", key.name());
        }
    }

    #[test]
    fn exposure_can_not_fall_below_position_size() {
        let cfg = UserConfig::default();
        assert_eq!(cfg.set(ConfigKey::MaxTotalExposureSol, "0.05"), Err(ConfigSetError::ExposureBelowPosition));
        assert_eq!(cfg.set(ConfigKey::MaxPositionSol, "2"), Err(ConfigSetError::ExposureBelowPosition));
    }

    #[test]
    fn take_profit_ladder_parses_percentages() {
        let cfg = UserConfig::default().set(ConfigKey::TakeProfit, "50:50, 150.5:100").unwrap_or_default();
        assert_eq!(
            cfg.take_profit,
            vec![TakeProfitStep { gain_bps: 5_000, sell_pct: 50 }, TakeProfitStep { gain_bps: 15_050, sell_pct: 100 }]
        );
        assert_eq!(cfg.display(ConfigKey::TakeProfit), "50:50,150.5:100");
    }

    #[test]
    fn safety_preset_resets_the_individual_keys() {
        let cfg = UserConfig::default().set(ConfigKey::MaxTop10Pct, "35").unwrap_or_default();
        assert_eq!(cfg.safety.max_top10_bps, Some(3_500));
        assert_eq!(cfg.display(ConfigKey::Safety), "normal");
        let strict = cfg.set(ConfigKey::Safety, "strict").unwrap_or_default();
        assert_eq!(strict.safety, SafetyRules::preset(SafetyLevel::Strict));
        let no_fee = strict.set(ConfigKey::MaxTransferFeePct, "0").unwrap_or_default();
        assert_eq!(
            (no_fee.safety.max_transfer_fee_bps, no_fee.display(ConfigKey::MaxTransferFeePct).as_str()),
            (Some(0), "0")
        );
        assert!(UserConfig::default().safety.deny_freeze, "normal (the default) refuses freeze authority");
    }

    #[test]
    fn keys_parse_case_insensitively() {
        assert_eq!(ConfigKey::parse("Slippage-BPS"), Some(ConfigKey::SlippageBps));
        assert_eq!(ConfigKey::parse("nope"), None);
    }

    #[test]
    fn mev_protection_defaults_on_and_raises_the_tip_to_the_sender_minimum() {
        let cfg = UserConfig::default();
        assert!(cfg.mev_protection);
        assert_eq!(cfg.effective_tip(Lamports::ZERO, true), PROTECTED_MIN_TIP);
        assert_eq!(cfg.effective_tip(Lamports::ZERO, false), Lamports::ZERO);
        assert_eq!(cfg.effective_tip(Lamports(200_000), true), PROTECTED_MIN_TIP);
        assert_eq!(cfg.effective_tip(Lamports(200_000), false), Lamports(200_000));
        let tipped = cfg.set(ConfigKey::TipSol, "0.005").unwrap_or_default();
        assert_eq!(tipped.effective_tip(Lamports::ZERO, true), Lamports(5_000_000));
        let off = cfg.set(ConfigKey::MevProtection, "off").unwrap_or_default();
        assert!(!off.mev_protection);
        assert_eq!(off.display(ConfigKey::MevProtection), "off");
        assert_eq!(
            cfg.set(ConfigKey::MevProtection, "maybe"),
            Err(ConfigSetError::InvalidValue(ConfigKey::MevProtection))
        );
        // Stored configs from before the setting get it on (serde default).
        let old: UserConfig = serde_json::from_str(r#"{"dry_run": false}"#).unwrap_or_default();
        assert!(old.mev_protection && !old.dry_run);
    }

    #[test]
    fn defaults_are_paper_trading_and_disabled() {
        let cfg = UserConfig::default();
        assert!(cfg.dry_run && !cfg.trading_enabled);
        assert_eq!(cfg.trailing_stop, Some(Trailing { arm_bps: 300, trail_bps: 200 }));
    }

    #[test]
    fn every_default_buy_preset_is_allowed_by_the_default_limits() {
        let cfg = UserConfig::default();
        assert!(!cfg.buy_presets.is_empty());
        for preset in &cfg.buy_presets {
            assert!(*preset <= cfg.max_position, "{preset:?} above max_position");
            assert!(*preset <= cfg.max_total_exposure, "{preset:?} above max_total_exposure");
        }
    }
}
