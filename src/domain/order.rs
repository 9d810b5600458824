//! Resting orders: limit and breakout buys, limit / stop sells and DCA, evaluated by the position
//! monitor every tick against the tick's batched prices.
//!
//! Pure and synchronous. What the user types is parsed into a [`TriggerSpec`] (`price<=0.0000012`,
//! `mcap<=30k`, `-20%`, `2x`), resolved once at creation into a [`Trigger`] on the monitor's price
//! unit (SOL per raw token unit) with the mint's decimals and supply and a reference price (the
//! position's entry for sells, the market for buys). Amounts are integers: a DCA total is split
//! into slices that add up to the total exactly.

use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;
use serde::{Deserialize, Serialize};

use super::position::Side;

/// Fewest / most DCA slices.
pub const DCA_SLICES: std::ops::RangeInclusive<u32> = 2..=100;
/// Shortest DCA interval (one minute) and longest (seven days), ms.
pub const DCA_INTERVAL_MS: std::ops::RangeInclusive<i64> = 60_000..=7 * 86_400_000;
/// Longest expiry (30 days), ms.
pub const MAX_EXPIRY_MS: i64 = 30 * 86_400_000;

/// Why an order could not be built from what the user typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// Not a trigger (`price<=…`, `mcap<=…`, `-20%`, `2x`).
    #[error("bad trigger")]
    Trigger,
    /// A relative trigger without a reference price, or a level that is not positive.
    #[error("trigger has no reference")]
    Reference,
    /// Not a duration (`30m`, `1h`, `24h`, `7d`) or out of range.
    #[error("bad duration")]
    Duration,
    /// Slices out of range.
    #[error("bad slices")]
    Slices,
    /// Total too small for the slices (a slice would be empty).
    #[error("bad amount")]
    Amount,
}

/// Which way a trigger fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// When the price is at or below the level (limit buy, stop).
    AtOrBelow,
    /// When the price is at or above the level (breakout buy, take-profit).
    AtOrAbove,
}

/// A trigger as typed, before it is resolved against the market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TriggerSpec {
    /// `price<=0.0000012`: SOL per whole token.
    Price {
        /// Direction.
        direction: Direction,
        /// SOL per UI token.
        sol: Decimal,
    },
    /// `mcap<=30k`: market cap in SOL.
    MarketCap {
        /// Direction.
        direction: Direction,
        /// SOL.
        sol: Decimal,
    },
    /// `-20%` / `+50%`: a move from the reference price, basis points.
    Move {
        /// Signed basis points (−10 000 < bps, bps ≠ 0).
        bps: i32,
    },
    /// `2x` / `0.5x`: a multiple of the reference price.
    Multiple {
        /// The factor (> 0, ≠ 1).
        times: Decimal,
    },
}

/// What a trigger is resolved against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Market {
    /// Mint decimals.
    pub decimals: u8,
    /// Mint supply, raw units.
    pub supply: u64,
    /// Reference price, SOL per raw unit (entry for sells, market for buys); `None`: unknown.
    pub reference: Option<Decimal>,
}

/// A resolved trigger on the monitor's price unit (SOL per raw token unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    /// Direction.
    pub direction: Direction,
    /// Level, SOL per raw unit (> 0).
    pub level: Decimal,
}

impl Trigger {
    /// Whether `price` (this tick's price) is through the level.
    pub fn fires(&self, price: Decimal) -> bool {
        match self.direction {
            Direction::AtOrBelow => price <= self.level,
            Direction::AtOrAbove => price >= self.level,
        }
    }
}

/// Parses a number with an optional `k` / `m` / `b` suffix (`30k`, `1.5m`, `0,0000012`).
fn number(text: &str) -> Option<Decimal> {
    let text = text.replace(',', ".");
    let (digits, factor) = match text.char_indices().last()? {
        (i, 'k') => (&text[..i], 1_000_i64),
        (i, 'm') => (&text[..i], 1_000_000),
        (i, 'b') => (&text[..i], 1_000_000_000),
        _ => (text.as_str(), 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let d = Decimal::from_str(digits).ok()?.checked_mul(Decimal::from(factor))?;
    (d > Decimal::ZERO).then_some(d)
}

impl TriggerSpec {
    /// Parses `price<=0.0000012`, `price>=…`, `mcap<=30k`, `mc>=1m`, `-20%`, `+50%`, `2x`.
    ///
    /// # Errors
    /// [`OrderError::Trigger`] for anything else.
    pub fn parse(text: &str) -> Result<Self, OrderError> {
        let t: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase();
        let level = |rest: &str| -> Option<(Direction, Decimal)> {
            let (direction, value) = if let Some(v) = rest.strip_prefix("<=").or_else(|| rest.strip_prefix('<')) {
                (Direction::AtOrBelow, v)
            } else if let Some(v) = rest.strip_prefix(">=").or_else(|| rest.strip_prefix('>')) {
                (Direction::AtOrAbove, v)
            } else {
                return None;
            };
            Some((direction, number(value)?))
        };
        if let Some(rest) = t.strip_prefix("price").or_else(|| t.strip_prefix('p')) {
            let (direction, sol) = level(rest).ok_or(OrderError::Trigger)?;
            return Ok(Self::Price { direction, sol });
        }
        if let Some(rest) = t.strip_prefix("mcap").or_else(|| t.strip_prefix("mc")) {
            let (direction, sol) = level(rest).ok_or(OrderError::Trigger)?;
            return Ok(Self::MarketCap { direction, sol });
        }
        if let Some(v) = t.strip_suffix('%') {
            let (negative, digits) = match v.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, v.strip_prefix('+').unwrap_or(v)),
            };
            let pct = number(digits).filter(|d| d.scale() <= 2).ok_or(OrderError::Trigger)?;
            let bps = (pct * Decimal::from(100)).to_i32().ok_or(OrderError::Trigger)?;
            let bps = if negative { -bps } else { bps };
            if bps == 0 || bps <= -10_000 || bps > 1_000_000 {
                return Err(OrderError::Trigger);
            }
            return Ok(Self::Move { bps });
        }
        if let Some(v) = t.strip_suffix('x') {
            let times = number(v).ok_or(OrderError::Trigger)?;
            if times == Decimal::ONE || times > Decimal::from(10_000) {
                return Err(OrderError::Trigger);
            }
            return Ok(Self::Multiple { times });
        }
        Err(OrderError::Trigger)
    }

    /// Resolves the trigger into a level on the monitor's price unit.
    ///
    /// # Errors
    /// [`OrderError::Reference`] when a relative trigger has no reference, the supply is zero, or
    /// the level is not positive.
    pub fn resolve(&self, m: &Market) -> Result<Trigger, OrderError> {
        let relative = |factor: Decimal| -> Result<Trigger, OrderError> {
            let reference = m.reference.filter(|r| *r > Decimal::ZERO).ok_or(OrderError::Reference)?;
            let level = reference.checked_mul(factor).ok_or(OrderError::Reference)?;
            let direction = if factor < Decimal::ONE { Direction::AtOrBelow } else { Direction::AtOrAbove };
            Ok(Trigger { direction, level })
        };
        let trigger = match *self {
            Self::Price { direction, sol } => {
                let scale = Decimal::from(10_u64.checked_pow(u32::from(m.decimals)).ok_or(OrderError::Reference)?);
                Trigger { direction, level: sol.checked_div(scale).ok_or(OrderError::Reference)? }
            }
            Self::MarketCap { direction, sol } => {
                if m.supply == 0 {
                    return Err(OrderError::Reference);
                }
                Trigger { direction, level: sol.checked_div(Decimal::from(m.supply)).ok_or(OrderError::Reference)? }
            }
            Self::Move { bps } => relative(Decimal::ONE + Decimal::new(i64::from(bps), 4))?,
            Self::Multiple { times } => relative(times)?,
        };
        if trigger.level <= Decimal::ZERO {
            return Err(OrderError::Reference);
        }
        Ok(trigger)
    }
}

/// Parses a duration: `30m`, `1h`, `24h`, `7d` (ms), within `range`.
///
/// # Errors
/// [`OrderError::Duration`].
pub fn parse_duration(text: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64, OrderError> {
    let t = text.trim().to_lowercase();
    let (digits, unit) = match t.char_indices().last() {
        Some((i, 'm')) => (&t[..i], 60_000_i64),
        Some((i, 'h')) => (&t[..i], 3_600_000),
        Some((i, 'd')) => (&t[..i], 86_400_000),
        _ => return Err(OrderError::Duration),
    };
    let n: i64 = digits.parse().map_err(|_| OrderError::Duration)?;
    let ms = n.checked_mul(unit).ok_or(OrderError::Duration)?;
    if range.contains(&ms) { Ok(ms) } else { Err(OrderError::Duration) }
}

/// How an order trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Plan {
    /// One fill of the whole size when the trigger fires.
    Limit {
        /// The trigger.
        trigger: Trigger,
        /// The trigger as typed (for display).
        spec: TriggerSpec,
    },
    /// `slices` fills `interval_ms` apart (the first at creation), each only while the price is
    /// within the bounds.
    Dca {
        /// Slices.
        slices: u32,
        /// Interval, ms.
        interval_ms: i64,
        /// No slice below this price (SOL per raw unit).
        min_price: Option<Decimal>,
        /// No slice above this price (SOL per raw unit).
        max_price: Option<Decimal>,
    },
}

impl Plan {
    /// Fills the plan makes in all.
    pub fn fills(&self) -> u32 {
        match self {
            Self::Limit { .. } => 1,
            Self::Dca { slices, .. } => *slices,
        }
    }
}

/// How much an order trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Size {
    /// Buy for this many lamports (a DCA total).
    Lamports(u64),
    /// Buy for this share of the wallet's spendable SOL at execution, basis points.
    WalletShare(u32),
    /// Sell this percentage of the position as it stands when the order fires.
    PercentOfPosition(u8),
    /// Sell this many raw tokens (a DCA total).
    Tokens(u64),
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderState {
    /// Waiting for its trigger or its next slice.
    Active,
    /// Every fill made.
    Filled,
    /// Cancelled by the user.
    Cancelled,
    /// Reached its expiry.
    Expired,
    /// Could not fill (refused by the risk rules, position gone).
    Failed,
}

impl OrderState {
    /// Storage code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Filled => "filled",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::Failed => "failed",
        }
    }

    /// Parses a storage code.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Active, Self::Filled, Self::Cancelled, Self::Expired, Self::Failed]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// The part of an order the monitor evaluates (small and `Copy`: 100,000 of them per tick).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderView {
    /// Buy or sell.
    pub side: Side,
    /// The plan.
    pub plan: Plan,
    /// The size.
    pub size: Size,
    /// Fills made (claimed) so far.
    pub fills: u32,
    /// No fill before this (DCA; unix ms).
    pub next_at_ms: i64,
    /// Expires at (unix ms): at this instant and after, it never fills.
    pub expires_at_ms: Option<i64>,
}

/// What the monitor does with an order this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderDecision {
    /// Expired: mark it and tell the user.
    Expire,
    /// Make fill number `fill` (1-based) of `size`.
    Fire {
        /// Fill number, 1-based.
        fill: u32,
        /// What to trade for this fill.
        size: Size,
    },
}

/// The `index`-th (0-based) of `slices` near-equal integer parts of `total`: the first
/// `total % slices` parts get one unit more, so the parts add up to `total` exactly.
pub fn slice(total: u64, slices: u32, index: u32) -> u64 {
    if slices == 0 || index >= slices {
        return 0;
    }
    let n = u64::from(slices);
    total / n + u64::from(u64::from(index) < total % n)
}

impl OrderView {
    /// Evaluates the order at `price` (this tick's price of its mint; `None`: no price) and
    /// `now_ms`. Expiry is checked first and is exact: at `expires_at_ms` the order expires
    /// instead of filling.
    pub fn evaluate(&self, price: Option<Decimal>, now_ms: i64) -> Option<OrderDecision> {
        let total = self.plan.fills();
        if self.fills >= total {
            return None;
        }
        if self.expires_at_ms.is_some_and(|at| now_ms >= at) {
            return Some(OrderDecision::Expire);
        }
        match self.plan {
            Plan::Limit { trigger, .. } => {
                let price = price?;
                trigger.fires(price).then_some(OrderDecision::Fire { fill: 1, size: self.size })
            }
            Plan::Dca { min_price, max_price, .. } => {
                if now_ms < self.next_at_ms {
                    return None;
                }
                if min_price.is_some() || max_price.is_some() {
                    let price = price?;
                    if min_price.is_some_and(|m| price < m) || max_price.is_some_and(|m| price > m) {
                        return None;
                    }
                }
                Some(OrderDecision::Fire { fill: self.fills + 1, size: self.fill_size(self.fills + 1) })
            }
        }
    }

    /// The order after fill `fill` was claimed at `now_ms`: the fill count and, for DCA, the
    /// next slice time (one full interval after this slice, so slices are never closer).
    pub fn after_fill(&self, fill: u32, now_ms: i64) -> Self {
        let next_at_ms = match self.plan {
            Plan::Dca { interval_ms, .. } => now_ms.saturating_add(interval_ms),
            Plan::Limit { .. } => self.next_at_ms,
        };
        Self { fills: fill.max(self.fills), next_at_ms, ..*self }
    }

    /// What fill `fill` (1-based) trades: the whole size for a limit order, that slice of the
    /// total for a DCA.
    pub fn fill_size(&self, fill: u32) -> Size {
        let index = fill.saturating_sub(1);
        match (self.plan, self.size) {
            (Plan::Dca { slices, .. }, Size::Lamports(total)) => Size::Lamports(slice(total, slices, index)),
            (Plan::Dca { slices, .. }, Size::Tokens(total)) => Size::Tokens(slice(total, slices, index)),
            (_, size) => size,
        }
    }

    /// Whether every fill has been made.
    pub fn is_done(&self) -> bool {
        self.fills >= self.plan.fills()
    }
}

/// `bps` of the spendable part of `balance` (what is above `reserve`), rounded down: a `5%`
/// size at execution time.
pub fn share_of(balance: super::money::Lamports, reserve: super::money::Lamports, bps: u32) -> super::money::Lamports {
    let spendable = u128::from(balance.saturating_sub(reserve).0);
    let share = spendable * u128::from(bps.min(10_000)) / 10_000;
    super::money::Lamports(u64::try_from(share).unwrap_or(u64::MAX))
}

/// Checks a DCA plan: slice count in range and a total that gives every slice at least one unit.
///
/// # Errors
/// [`OrderError::Slices`], [`OrderError::Amount`].
pub fn check_dca(total: u64, slices: u32) -> Result<(), OrderError> {
    if !DCA_SLICES.contains(&slices) {
        return Err(OrderError::Slices);
    }
    if total < u64::from(slices) {
        return Err(OrderError::Amount);
    }
    Ok(())
}

#[cfg(test)]
#[path = "order_tests.rs"]
mod tests;
