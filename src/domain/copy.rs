//! Copy trading: a leader wallet's decoded swaps, a follower's settings (`/copy set`), and the
//! pure decisions taken on each leader trade (size, whether to copy, how much of our position a
//! copied sell sells).
//!
//! A copied buy is an alert from the source `copy:<name>`: the connector applies the same
//! rules, safety gate, risk checks and idempotency as for a channel call. What is decided here
//! is only what is specific to following a wallet.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use solana_pubkey::Pubkey;

use super::alert::rules::{Override, SettingError, SettingKey, SubscriptionSettings};
pub use super::exit::{BadDevSellRule, DevSellRule};
use super::money::{LAMPORTS_PER_SOL, Lamports};

/// Where a leader swapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeaderVenue {
    /// The Pump.fun bonding curve.
    PumpFun,
    /// A PumpSwap pool.
    PumpSwap,
    /// A Jupiter route.
    Jupiter,
}

impl LeaderVenue {
    /// Display / storage code.
    pub fn code(self) -> &'static str {
        match self {
            Self::PumpFun => "pumpfun",
            Self::PumpSwap => "pumpswap",
            Self::Jupiter => "jupiter",
        }
    }
}

/// Buy or sell, from the leader's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeaderSide {
    /// SOL (or wSOL) out, tokens in.
    Buy,
    /// Tokens out, SOL (or wSOL) in.
    Sell,
}

/// One swap of a watched wallet, decoded from its transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderTrade {
    /// The leader's transaction signature (base58).
    pub signature: String,
    /// Slot it landed in.
    pub slot: u64,
    /// Block time (unix seconds), when known.
    pub block_time: Option<i64>,
    /// The watched wallet.
    pub leader: Pubkey,
    /// The token traded against SOL.
    pub mint: Pubkey,
    /// Buy or sell.
    pub side: LeaderSide,
    /// Venue, from the programs the transaction invoked.
    pub venue: LeaderVenue,
    /// SOL spent (buy) or received (sell), fees excluded.
    pub sol: Lamports,
    /// Raw tokens bought or sold.
    pub tokens: u64,
    /// The leader's raw token balance before the trade.
    pub held_before: u64,
}

impl LeaderTrade {
    /// The share of its holding the leader sold, in basis points (a buy: 0; everything: 10,000).
    pub fn sold_share_bps(&self) -> u32 {
        if self.side == LeaderSide::Buy || self.held_before == 0 {
            return 0;
        }
        let bps = u128::from(self.tokens.min(self.held_before)) * 10_000 / u128::from(self.held_before);
        u32::try_from(bps).unwrap_or(10_000)
    }

    /// Raw tokens of a position of `ours` that sell the same share the leader sold (exact to one
    /// raw unit, rounded down; the whole position when the leader sold everything).
    pub fn our_share_of(&self, ours: u64) -> u64 {
        if self.side == LeaderSide::Buy || self.held_before == 0 {
            return 0;
        }
        if self.tokens >= self.held_before {
            return ours;
        }
        let part = u128::from(ours) * u128::from(self.tokens) / u128::from(self.held_before);
        u64::try_from(part).unwrap_or(ours)
    }
}

/// How much SOL a copied buy spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CopySize {
    /// The subscription's `sol` for every buy.
    Fixed,
    /// A share of the leader's SOL, clamped to `[min, max]`.
    Percent {
        /// Share of the leader's SOL, basis points (1..=100,000: up to 10x).
        bps: u32,
        /// Smallest buy (a smaller result is raised to it).
        min: Lamports,
        /// Largest buy.
        max: Lamports,
    },
}

/// One follower's settings for one leader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CopySettings {
    /// The alert rules shared with channel sources: fixed `sol`, filters, exits, safety, hours.
    pub rules: SubscriptionSettings,
    /// Sizing.
    pub size: CopySize,
    /// Sell the same share of our position when the leader sells.
    pub sells: bool,
    /// Copy a leader's further buys of a token we already hold from it (off: first entry only).
    pub adds: bool,
    /// At most this many copied buys from this leader per UTC day.
    pub max_buys_per_day: Option<u32>,
    /// At most this many open positions from this leader.
    pub max_open: Option<u32>,
    /// Stop copying buys after this many consecutive losing positions from this leader.
    /// (The dev-sell exit for positions from this leader is `rules.dev_sell`, as for a channel.)
    pub pause_after_losses: Option<u32>,
}

/// The creator trades that fire a dev-sell rule.
impl DevSellRule {
    /// The percentage of our position to sell on a creator's trade, if it fires.
    pub fn fires(self, creator: &LeaderTrade) -> Option<u8> {
        (creator.side == LeaderSide::Sell && creator.sold_share_bps() >= self.min_creator_sold_bps)
            .then_some(self.sell_pct)
    }
}

/// The rule in force for a position: the source's override, else the user's rule.
pub fn effective_dev_sell(source: Option<&Override<DevSellRule>>, user: Option<DevSellRule>) -> Option<DevSellRule> {
    match source {
        Some(Override::Set(r)) => Some(*r),
        Some(Override::Off) => None,
        Some(Override::Inherit) | None => user,
    }
}

impl Default for CopySettings {
    fn default() -> Self {
        Self {
            rules: SubscriptionSettings::default(),
            size: CopySize::Fixed,
            sells: true,
            adds: true,
            max_buys_per_day: Some(20),
            max_open: Some(5),
            pause_after_losses: None,
        }
    }
}

/// Why a copy of a leader trade is skipped (before the shared alert rules run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopySkip {
    /// Copy sells are off for this leader.
    SellsOff,
    /// We do not hold the token from this leader.
    NotHeld,
    /// `adds=off` and we already hold the token from this leader.
    AlreadyHeld,
    /// The day's copied buys from this leader reached the cap.
    DailyCap(u32),
    /// Open positions from this leader reached the cap.
    MaxOpen(u32),
    /// The last N positions from this leader lost.
    Paused(u32),
    /// The sized buy is zero.
    TooSmall,
}

impl CopySkip {
    /// Locale / log code.
    pub fn code(self) -> &'static str {
        match self {
            Self::SellsOff => "sells_off",
            Self::NotHeld => "not_held",
            Self::AlreadyHeld => "already_held",
            Self::DailyCap(_) => "daily_cap",
            Self::MaxOpen(_) => "max_open",
            Self::Paused(_) => "paused",
            Self::TooSmall => "too_small",
        }
    }

    /// The limit behind the skip, for the notice.
    pub fn limit(self) -> String {
        match self {
            Self::DailyCap(n) | Self::MaxOpen(n) | Self::Paused(n) => n.to_string(),
            _ => String::new(),
        }
    }
}

/// What a follower has from a leader right now (read from storage).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FollowState {
    /// Copied buys from this leader since the start of the UTC day.
    pub buys_today: u32,
    /// Open positions from this leader.
    pub open: u32,
    /// Whether one of them is in the traded mint.
    pub holds_mint: bool,
    /// Losing positions from this leader closed in a row, newest first.
    pub losses_in_a_row: u32,
}

/// A leader's buy: how much SOL to spend, or why not.
///
/// # Errors
/// The [`CopySkip`] that stops it.
pub fn decide_buy(s: &CopySettings, leader_sol: Lamports, state: FollowState) -> Result<Lamports, CopySkip> {
    if let Some(n) = s.pause_after_losses
        && state.losses_in_a_row >= n
    {
        return Err(CopySkip::Paused(n));
    }
    if state.holds_mint && !s.adds {
        return Err(CopySkip::AlreadyHeld);
    }
    if let Some(n) = s.max_buys_per_day
        && state.buys_today >= n
    {
        return Err(CopySkip::DailyCap(n));
    }
    if let Some(n) = s.max_open
        && !state.holds_mint
        && state.open >= n
    {
        return Err(CopySkip::MaxOpen(n));
    }
    let sol = size(s, leader_sol);
    if sol == Lamports::ZERO { Err(CopySkip::TooSmall) } else { Ok(sol) }
}

/// A leader's sell: whether to copy it (the share comes from [`LeaderTrade::our_share_of`]).
///
/// # Errors
/// [`CopySkip::SellsOff`] or [`CopySkip::NotHeld`].
pub fn decide_sell(s: &CopySettings, state: FollowState) -> Result<(), CopySkip> {
    if !s.sells {
        return Err(CopySkip::SellsOff);
    }
    if !state.holds_mint {
        return Err(CopySkip::NotHeld);
    }
    Ok(())
}

/// The buy size for a leader buy of `leader_sol`.
pub fn size(s: &CopySettings, leader_sol: Lamports) -> Lamports {
    match s.size {
        CopySize::Fixed => s.rules.buy,
        CopySize::Percent { bps, min, max } => {
            let raw = u128::from(leader_sol.0) * u128::from(bps) / 10_000;
            let raw = Lamports(u64::try_from(raw).unwrap_or(u64::MAX));
            raw.max(min).min(max)
        }
    }
}

/// A key of `/copy set` beyond the alert keys of `/alerts set`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyKey {
    /// `pct`: percent of the leader's SOL, or `off` for the fixed `sol`.
    Pct,
    /// `min`: smallest percent-sized buy (SOL).
    Min,
    /// `max`: largest percent-sized buy (SOL).
    Max,
    /// `sells`: on | off.
    Sells,
    /// `buys_only`: on (= `sells=off`) | off.
    BuysOnly,
    /// `adds`: on | off.
    Adds,
    /// `max_day`: count | off.
    MaxDay,
    /// `max_open`: count | off.
    MaxOpen,
    /// `pause_losses`: count | off.
    PauseLosses,
    /// `dev_sell`: X:Y | off | default (the user's rule).
    DevSell,
}

impl CopyKey {
    /// Every key, in help order.
    pub const ALL: [Self; 10] = [
        Self::Pct,
        Self::Min,
        Self::Max,
        Self::Sells,
        Self::BuysOnly,
        Self::Adds,
        Self::MaxDay,
        Self::MaxOpen,
        Self::PauseLosses,
        Self::DevSell,
    ];

    /// The key as typed.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pct => "pct",
            Self::Min => "min",
            Self::Max => "max",
            Self::Sells => "sells",
            Self::BuysOnly => "buys_only",
            Self::Adds => "adds",
            Self::MaxDay => "max_day",
            Self::MaxOpen => "max_open",
            Self::PauseLosses => "pause_losses",
            Self::DevSell => "dev_sell",
        }
    }

    /// Parses a typed key.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|k| k.name() == t)
    }
}

/// Why `/copy set` refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CopySettingError {
    /// A copy-specific key with a bad value.
    #[error("invalid value for {}", .0.name())]
    InvalidValue(CopyKey, String),
    /// `min` above `max`.
    #[error("min is above max")]
    MinAboveMax,
    /// An alert key's error.
    #[error(transparent)]
    Alert(#[from] SettingError),
}

const DEFAULT_MIN: Lamports = Lamports(LAMPORTS_PER_SOL / 100);
const DEFAULT_MAX: Lamports = Lamports(LAMPORTS_PER_SOL);

fn on_off(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" => Some(true),
        "off" | "no" | "false" => Some(false),
        _ => None,
    }
}

fn count(v: &str) -> Option<Option<u32>> {
    match v.trim().to_ascii_lowercase().as_str() {
        "off" | "none" | "no" => Some(None),
        s => s.parse::<u32>().ok().filter(|n| (1..=1_000).contains(n)).map(Some),
    }
}

fn pct_bps(v: &str) -> Option<u32> {
    super::money::percent_bps(v, 1, 100_000)
}

fn positive_sol(v: &str) -> Option<Lamports> {
    Lamports::parse_sol(&v.trim().replace(',', ".")).ok().filter(|l| l.0 > 0 && l.0 <= 100 * LAMPORTS_PER_SOL)
}

impl CopySettings {
    /// Returns a copy with one copy key set.
    ///
    /// # Errors
    /// [`CopySettingError::InvalidValue`] naming the key.
    pub fn set(&self, key: CopyKey, value: &str) -> Result<Self, CopySettingError> {
        let bad = || CopySettingError::InvalidValue(key, value.trim().to_owned());
        let mut next = self.clone();
        let (min, max) = match self.size {
            CopySize::Percent { min, max, .. } => (min, max),
            CopySize::Fixed => (DEFAULT_MIN, DEFAULT_MAX),
        };
        match key {
            CopyKey::Pct => {
                next.size = match on_off(value) {
                    Some(false) => CopySize::Fixed,
                    _ => CopySize::Percent { bps: pct_bps(value).ok_or_else(bad)?, min, max },
                }
            }
            CopyKey::Min | CopyKey::Max => {
                let sol = positive_sol(value).ok_or_else(bad)?;
                let CopySize::Percent { bps, .. } = self.size else { return Err(bad()) };
                let (min, max) = if key == CopyKey::Min { (sol, max) } else { (min, sol) };
                if min > max {
                    return Err(CopySettingError::MinAboveMax);
                }
                next.size = CopySize::Percent { bps, min, max };
            }
            CopyKey::Sells => next.sells = on_off(value).ok_or_else(bad)?,
            CopyKey::BuysOnly => next.sells = !on_off(value).ok_or_else(bad)?,
            CopyKey::Adds => next.adds = on_off(value).ok_or_else(bad)?,
            CopyKey::MaxDay => next.max_buys_per_day = count(value).ok_or_else(bad)?,
            CopyKey::MaxOpen => next.max_open = count(value).ok_or_else(bad)?,
            CopyKey::PauseLosses => next.pause_after_losses = count(value).ok_or_else(bad)?,
            CopyKey::DevSell => next.rules = next.rules.set(SettingKey::DevSell, value).map_err(|_| bad())?,
        }
        Ok(next)
    }

    /// Applies `key=value` words (copy keys and every `/alerts set` key) all together, or none.
    ///
    /// # Errors
    /// The first malformed pair, unknown key or invalid value.
    pub fn apply(&self, words: &[&str]) -> Result<Self, CopySettingError> {
        if words.is_empty() {
            return Err(SettingError::Malformed(String::new()).into());
        }
        let mut next = self.clone();
        for word in words {
            let Some((k, v)) = word.split_once('=') else {
                return Err(SettingError::Malformed((*word).to_owned()).into());
            };
            next = match (CopyKey::parse(k), SettingKey::parse(k)) {
                (Some(key), _) => next.set(key, v)?,
                (None, Some(key)) => {
                    let rules = next.rules.set(key, v)?;
                    Self { rules, ..next }
                }
                (None, None) => return Err(SettingError::UnknownKey(k.to_owned()).into()),
            };
        }
        Ok(next)
    }

    /// The copy keys' values, `key=value` each, for `/copy list`.
    pub fn summary(&self) -> String {
        let sol = |l: Lamports| l.to_sol().normalize().to_string();
        let on = |b: bool| if b { "on" } else { "off" };
        let n = |o: Option<u32>| o.map_or_else(|| "off".to_owned(), |n| n.to_string());
        let size = match self.size {
            CopySize::Fixed => format!("sol={}", sol(self.rules.buy)),
            CopySize::Percent { bps, min, max } => {
                let pct = (Decimal::from(bps) / Decimal::from(100)).normalize();
                format!("pct={pct} min={} max={}", sol(min), sol(max))
            }
        };
        let dev_sell = self.rules.display(SettingKey::DevSell);
        format!(
            "{size} sells={} adds={} max_day={} max_open={} pause_losses={} dev_sell={dev_sell}",
            on(self.sells),
            on(self.adds),
            n(self.max_buys_per_day),
            n(self.max_open),
            n(self.pause_after_losses)
        )
    }

    /// JSON for storage.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Reads stored JSON; unknown or missing fields take their defaults.
    pub fn from_json(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_default()
    }
}

/// The source label of a leader followed under `name` (positions, skip notices, per-source exits).
pub fn source_label(name: &str) -> String {
    format!("copy:{name}")
}

/// A leader name as typed: 1..=24 letters, digits, `_` or `-`.
pub fn valid_name(name: &str) -> bool {
    (1..=24).contains(&name.chars().count()) && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
#[path = "copy_tests.rs"]
mod tests;
