//! Per-subscription settings (`/alerts set <source> key=value …`) and rule matching.
//!
//! Settings are stored as JSON with the subscription. Rule matching is a pure function of the
//! settings, one shared market view of the token (from a single quote), the user's alert buys
//! today and the time. The trading core's risk check still runs after it for every buy.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::SignalLevels;
use crate::domain::exit::{DevSellRule, ExitRules};
use crate::domain::money::{Bps, LAMPORTS_PER_SOL, Lamports};
use crate::domain::safety::{Limit, SafetyLevel, SafetyOverrides, SafetyRefusal};
use crate::domain::user_config::{ConfigKey, TakeProfitStep, Trailing, UserConfig};

/// Default buy size of a new subscription.
pub const DEFAULT_BUY: Lamports = Lamports(100_000_000);
/// Largest buy size a subscription accepts (a typo guard; risk limits still apply).
pub const MAX_BUY: Lamports = Lamports(100 * LAMPORTS_PER_SOL);

/// What happens on an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertMode {
    /// Buy at once.
    #[default]
    Auto,
    /// Send a buy card with buttons; buy on press.
    Confirm,
}

/// A per-source exit setting: inherit (signal levels, then the user's defaults), off, or set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Override<T> {
    /// Use the signal's level, else the user's default.
    #[default]
    Inherit,
    /// No such exit for positions from this source.
    Off,
    /// This value.
    Set(T),
}

/// UTC hours during which alerts trade: `[start, end)`, wrapping past midnight when start > end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveHours {
    /// First hour (0..=23).
    pub start: u8,
    /// Hour after the last one (1..=24).
    pub end: u8,
}

impl ActiveHours {
    /// Whether `now_ms` falls inside.
    pub fn contains(self, now_ms: i64) -> bool {
        let hour = u8::try_from(now_ms.rem_euclid(86_400_000) / 3_600_000).unwrap_or(0);
        if self.start < self.end {
            (self.start..self.end).contains(&hour)
        } else {
            hour >= self.start || hour < self.end
        }
    }
}

/// One subscription's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubscriptionSettings {
    /// SOL per alert buy.
    pub buy: Lamports,
    /// Auto or confirm.
    pub mode: AlertMode,
    /// Skip tokens with a larger fully diluted market cap.
    pub max_market_cap: Option<Lamports>,
    /// Skip tokens with less quote-side liquidity.
    pub min_liquidity: Option<Lamports>,
    /// Skip when the buy's price impact would be larger.
    pub max_price_impact: Option<Bps>,
    /// Stop-loss for positions from this source (bps below entry).
    pub stop_loss: Override<u32>,
    /// Take-profit ladder for positions from this source.
    pub take_profit: Override<Vec<TakeProfitStep>>,
    /// Trailing stop for positions from this source.
    pub trailing: Override<Trailing>,
    /// At most this many alert buys per UTC day (all sources).
    pub daily_cap: Option<u32>,
    /// Trade only during these UTC hours.
    pub active_hours: Option<ActiveHours>,
    /// Oldest post that may still buy, seconds (`None` = off).
    pub max_age_secs: Option<u32>,
    /// Largest rise of the quote price over the call, basis points (`None` = off).
    pub max_drift_bps: Option<u32>,
    /// Overrides of the user's token-safety rules for this source.
    pub safety: SafetyOverrides,
    /// The dev-sell exit for positions from this source (`Inherit`: the user's rule).
    pub dev_sell: Override<DevSellRule>,
}

impl Default for SubscriptionSettings {
    fn default() -> Self {
        Self {
            buy: DEFAULT_BUY,
            mode: AlertMode::Auto,
            max_market_cap: None,
            min_liquidity: None,
            max_price_impact: None,
            stop_loss: Override::Inherit,
            take_profit: Override::Inherit,
            trailing: Override::Inherit,
            daily_cap: None,
            active_hours: None,
            max_age_secs: Some(super::freshness::DEFAULT_MAX_AGE_SECS),
            max_drift_bps: Some(super::freshness::DEFAULT_MAX_DRIFT_BPS),
            safety: SafetyOverrides::default(),
            dev_sell: Override::Inherit,
        }
    }
}

/// A key of `/alerts set`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SettingKey {
    /// `sol`: buy size.
    Sol,
    /// `mode`: auto | confirm.
    Mode,
    /// `max_mcap`: SOL | off.
    MaxMcap,
    /// `min_liquidity`: SOL | off.
    MinLiquidity,
    /// `max_impact`: percent | off.
    MaxImpact,
    /// `sl`: percent | off | default.
    StopLoss,
    /// `tp`: ladder | off | default.
    TakeProfit,
    /// `trailing`: arm:trail | off | default.
    Trailing,
    /// `daily_cap`: count | off.
    DailyCap,
    /// `hours`: HH-HH | off.
    Hours,
    /// `max_age`: seconds | off.
    MaxAge,
    /// `max_drift`: percent | off.
    MaxDrift,
    /// `safety`: strict | normal | off | default.
    Safety,
    /// `freeze`: deny | allow | default.
    Freeze,
    /// `mint_auth`: deny | allow | default.
    MintAuth,
    /// `fee`: max transfer fee percent | off | default.
    Fee,
    /// `top10`: max top-10 holder percent | off | default.
    Top10,
    /// `dev`: max creator percent | off | default.
    Dev,
    /// `min_age`: seconds | off | default.
    MinAge,
    /// `sellable`: require | off | default.
    Sellable,
    /// `dev_sell`: X:Y (sell X % when the creator sells ≥ Y %) | off | default.
    DevSell,
}

impl SettingKey {
    /// Every key, in display order.
    pub const ALL: [Self; 21] = [
        Self::Sol,
        Self::Mode,
        Self::MaxMcap,
        Self::MinLiquidity,
        Self::MaxImpact,
        Self::StopLoss,
        Self::TakeProfit,
        Self::Trailing,
        Self::DailyCap,
        Self::Hours,
        Self::MaxAge,
        Self::MaxDrift,
        Self::Safety,
        Self::Freeze,
        Self::MintAuth,
        Self::Fee,
        Self::Top10,
        Self::Dev,
        Self::MinAge,
        Self::Sellable,
        Self::DevSell,
    ];

    /// The key as typed.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sol => "sol",
            Self::Mode => "mode",
            Self::MaxMcap => "max_mcap",
            Self::MinLiquidity => "min_liquidity",
            Self::MaxImpact => "max_impact",
            Self::StopLoss => "sl",
            Self::TakeProfit => "tp",
            Self::Trailing => "trailing",
            Self::DailyCap => "daily_cap",
            Self::Hours => "hours",
            Self::MaxAge => "max_age",
            Self::MaxDrift => "max_drift",
            Self::Safety => "safety",
            Self::Freeze => "freeze",
            Self::MintAuth => "mint_auth",
            Self::Fee => "fee",
            Self::Top10 => "top10",
            Self::Dev => "dev",
            Self::MinAge => "min_age",
            Self::Sellable => "sellable",
            Self::DevSell => "dev_sell",
        }
    }

    /// Parses a key (case-insensitive; a few aliases).
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_lowercase().replace('-', "_");
        let t = match t.as_str() {
            "size" | "buy" | "amount" => "sol",
            "mcap" | "max_market_cap" => "max_mcap",
            "min_liq" | "liquidity" => "min_liquidity",
            "impact" | "max_price_impact" => "max_impact",
            "stop_loss" => "sl",
            "take_profit" => "tp",
            "trailing_stop" => "trailing",
            "cap" => "daily_cap",
            "active_hours" => "hours",
            "age" | "max_age_secs" => "max_age",
            "drift" | "max_drift_pct" => "max_drift",
            "mint" | "mint_authority" => "mint_auth",
            "transfer_fee" | "max_fee" => "fee",
            "creator" | "dev_share" => "dev",
            "sell" => "sellable",
            "devsell" | "dev_sells" | "creator_sell" => "dev_sell",
            other => other,
        };
        Self::ALL.into_iter().find(|k| k.name() == t)
    }
}

/// Why `/alerts set` changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    /// A word without `=`, or no pairs at all.
    #[error("expected key=value")]
    Malformed(String),
    /// Not a known key.
    #[error("unknown key")]
    UnknownKey(String),
    /// The value is not allowed for the key.
    #[error("invalid value for {}", .0.name())]
    InvalidValue(SettingKey, String),
}

fn is_off(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "off" | "none" | "no")
}

fn is_default(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "default" | "inherit" | "auto")
}

fn sol(v: &str, max: Lamports) -> Option<Lamports> {
    Lamports::parse_sol(v).ok().filter(|l| l.0 > 0 && *l <= max)
}

fn opt<T>(v: &str, f: impl Fn(&str) -> Option<T>) -> Option<Option<T>> {
    if is_off(v) { Some(None) } else { f(v).map(Some) }
}

fn over<T>(v: &str, f: impl Fn(&str) -> Option<T>) -> Option<Override<T>> {
    if is_off(v) {
        Some(Override::Off)
    } else if is_default(v) {
        Some(Override::Inherit)
    } else {
        f(v).map(Override::Set)
    }
}

fn percent_bps(v: &str, max_bps: u32) -> Option<u32> {
    crate::domain::money::percent_bps(v, 1, max_bps)
}

fn hours(v: &str) -> Option<ActiveHours> {
    let (a, b) = v.split_once('-')?;
    let start: u8 = a.trim().parse().ok()?;
    let end: u8 = b.trim().parse().ok()?;
    (start <= 23 && (1..=24).contains(&end) && start != end).then_some(ActiveHours { start, end })
}

fn via_config<T>(key: ConfigKey, v: &str, pick: impl Fn(UserConfig) -> Option<T>) -> Option<T> {
    UserConfig::default().set(key, v).ok().and_then(pick)
}

impl SubscriptionSettings {
    /// Returns a copy with one key set, or why not.
    ///
    /// # Errors
    /// [`SettingError::InvalidValue`] naming the key.
    pub fn set(&self, key: SettingKey, value: &str) -> Result<Self, SettingError> {
        let v = value.trim();
        let bad = || SettingError::InvalidValue(key, v.to_owned());
        let mut next = self.clone();
        match key {
            SettingKey::Sol => next.buy = sol(v, MAX_BUY).ok_or_else(bad)?,
            SettingKey::Mode => {
                next.mode = match v.to_ascii_lowercase().as_str() {
                    "auto" => AlertMode::Auto,
                    "confirm" => AlertMode::Confirm,
                    _ => return Err(bad()),
                }
            }
            SettingKey::MaxMcap => next.max_market_cap = opt(v, |s| sol(s, Lamports(u64::MAX))).ok_or_else(bad)?,
            SettingKey::MinLiquidity => next.min_liquidity = opt(v, |s| sol(s, Lamports(u64::MAX))).ok_or_else(bad)?,
            SettingKey::MaxImpact => {
                next.max_price_impact =
                    opt(v, |s| percent_bps(s, 10_000).and_then(|b| u16::try_from(b).ok()).map(Bps)).ok_or_else(bad)?
            }
            SettingKey::StopLoss => next.stop_loss = over(v, |s| percent_bps(s, 9_900)).ok_or_else(bad)?,
            SettingKey::TakeProfit => {
                next.take_profit =
                    over(v, |s| via_config(ConfigKey::TakeProfit, s, |c| Some(c.take_profit).filter(|t| !t.is_empty())))
                        .ok_or_else(bad)?
            }
            SettingKey::Trailing => {
                next.trailing =
                    over(v, |s| via_config(ConfigKey::TrailingStop, s, |c| c.trailing_stop)).ok_or_else(bad)?
            }
            SettingKey::DailyCap => {
                next.daily_cap =
                    opt(v, |s| s.parse::<u32>().ok().filter(|n| (1..=1_000).contains(n))).ok_or_else(bad)?
            }
            SettingKey::Hours => next.active_hours = opt(v, hours).ok_or_else(bad)?,
            SettingKey::MaxAge => {
                let secs =
                    |s: &str| s.trim().trim_end_matches('s').parse::<u32>().ok().filter(|n| (1..=86_400).contains(n));
                next.max_age_secs = opt(v, secs).ok_or_else(bad)?
            }
            SettingKey::MaxDrift => next.max_drift_bps = opt(v, |s| percent_bps(s, 100_000)).ok_or_else(bad)?,
            SettingKey::Safety => {
                next.safety.level = if is_default(v) { None } else { Some(SafetyLevel::parse(v).ok_or_else(bad)?) }
            }
            SettingKey::Freeze => next.safety.deny_freeze = deny_allow(v).ok_or_else(bad)?,
            SettingKey::MintAuth => next.safety.deny_mint_authority = deny_allow(v).ok_or_else(bad)?,
            SettingKey::Sellable => {
                next.safety.require_sellable = match v.to_ascii_lowercase().as_str() {
                    "require" | "on" | "yes" => Some(true),
                    "off" | "no" => Some(false),
                    _ if is_default(v) => None,
                    _ => return Err(bad()),
                }
            }
            // `0` is a limit for the fee (no fee at all).
            SettingKey::Fee => next.safety.max_transfer_fee_bps = limit(v, zero_or_percent).ok_or_else(bad)?,
            SettingKey::Top10 => next.safety.max_top10_bps = limit(v, |s| percent_bps(s, 10_000)).ok_or_else(bad)?,
            SettingKey::Dev => next.safety.max_dev_bps = limit(v, |s| percent_bps(s, 10_000)).ok_or_else(bad)?,
            SettingKey::MinAge => {
                let secs =
                    |s: &str| s.trim().trim_end_matches('s').parse::<u32>().ok().filter(|n| (1..=604_800).contains(n));
                next.safety.min_age_secs = limit(v, secs).ok_or_else(bad)?
            }
            SettingKey::DevSell => {
                next.dev_sell = over(v, |s| DevSellRule::parse(s).ok().flatten()).ok_or_else(bad)?;
            }
        }
        Ok(next)
    }

    /// Applies `key=value` words all together, or none of them.
    ///
    /// # Errors
    /// The first malformed pair, unknown key or invalid value.
    pub fn apply(&self, words: &[&str]) -> Result<Self, SettingError> {
        if words.is_empty() {
            return Err(SettingError::Malformed(String::new()));
        }
        let mut next = self.clone();
        for word in words {
            let Some((k, v)) = word.split_once('=') else {
                return Err(SettingError::Malformed((*word).to_owned()));
            };
            let key = SettingKey::parse(k).ok_or_else(|| SettingError::UnknownKey(k.to_owned()))?;
            next = next.set(key, v)?;
        }
        Ok(next)
    }

    /// The current value of `key` in the syntax `set` accepts.
    pub fn display(&self, key: SettingKey) -> String {
        let sol = |l: Lamports| l.to_sol().normalize().to_string();
        let pct = |b: u32| (Decimal::from(b) / Decimal::from(100)).normalize().to_string();
        let off = || "off".to_owned();
        let over_text = |o: &Override<String>| match o {
            Override::Inherit => "default".to_owned(),
            Override::Off => "off".to_owned(),
            Override::Set(s) => s.clone(),
        };
        match key {
            SettingKey::Sol => sol(self.buy),
            SettingKey::Mode => match self.mode {
                AlertMode::Auto => "auto".to_owned(),
                AlertMode::Confirm => "confirm".to_owned(),
            },
            SettingKey::MaxMcap => self.max_market_cap.map_or_else(off, sol),
            SettingKey::MinLiquidity => self.min_liquidity.map_or_else(off, sol),
            SettingKey::MaxImpact => self.max_price_impact.map_or_else(off, |b| pct(u32::from(b.0))),
            SettingKey::StopLoss => over_text(&map_over(&self.stop_loss, |b| pct(*b))),
            SettingKey::TakeProfit => over_text(&map_over(&self.take_profit, |steps| {
                steps.iter().map(|s| format!("{}:{}", pct(s.gain_bps), s.sell_pct)).collect::<Vec<_>>().join(",")
            })),
            SettingKey::Trailing => {
                over_text(&map_over(&self.trailing, |t| format!("{}:{}", pct(t.arm_bps), pct(t.trail_bps))))
            }
            SettingKey::DailyCap => self.daily_cap.map_or_else(off, |n| n.to_string()),
            SettingKey::Hours => self.active_hours.map_or_else(off, |h| format!("{}-{}", h.start, h.end)),
            SettingKey::MaxAge => self.max_age_secs.map_or_else(off, |n| n.to_string()),
            SettingKey::MaxDrift => self.max_drift_bps.map_or_else(off, pct),
            SettingKey::Safety => self.safety.level.map_or_else(|| "default".to_owned(), |l| l.code().to_owned()),
            SettingKey::Freeze => deny_allow_text(self.safety.deny_freeze),
            SettingKey::MintAuth => deny_allow_text(self.safety.deny_mint_authority),
            SettingKey::Sellable => match self.safety.require_sellable {
                None => "default".to_owned(),
                Some(true) => "require".to_owned(),
                Some(false) => "off".to_owned(),
            },
            SettingKey::Fee => limit_text(self.safety.max_transfer_fee_bps, pct),
            SettingKey::Top10 => limit_text(self.safety.max_top10_bps, pct),
            SettingKey::Dev => limit_text(self.safety.max_dev_bps, pct),
            SettingKey::MinAge => limit_text(self.safety.min_age_secs, |n| n.to_string()),
            SettingKey::DevSell => over_text(&map_over(&self.dev_sell, |r| DevSellRule::display(Some(*r)))),
        }
    }

    /// Whether any exit setting differs from inherit.
    pub fn overrides_exits(&self) -> bool {
        self.stop_loss != Override::Inherit
            || self.take_profit != Override::Inherit
            || self.trailing != Override::Inherit
    }

    /// Whether a rule needs market data.
    pub fn needs_market(&self) -> bool {
        self.max_market_cap.is_some() || self.min_liquidity.is_some() || self.max_price_impact.is_some()
    }

    /// Whether the alert's price at receipt is wanted (market rules or the drift rule). Without
    /// it the drift rule has no reference and does not apply.
    pub fn wants_price(&self) -> bool {
        self.needs_market() || self.max_drift_bps.is_some()
    }

    /// The freshness limits of this subscription.
    pub fn freshness(&self) -> super::freshness::FreshnessLimits {
        super::freshness::FreshnessLimits { max_age_secs: self.max_age_secs, max_drift_bps: self.max_drift_bps }
    }
}

fn deny_allow(v: &str) -> Option<Option<bool>> {
    match v.to_ascii_lowercase().as_str() {
        "deny" | "on" | "yes" => Some(Some(true)),
        "allow" | "off" | "no" => Some(Some(false)),
        _ if is_default(v) => Some(None),
        _ => None,
    }
}

fn deny_allow_text(v: Option<bool>) -> String {
    match v {
        None => "default",
        Some(true) => "deny",
        Some(false) => "allow",
    }
    .to_owned()
}

fn zero_or_percent(v: &str) -> Option<u32> {
    if v.trim() == "0" { Some(0) } else { percent_bps(v, 10_000) }
}

fn limit(v: &str, f: impl Fn(&str) -> Option<u32>) -> Option<Limit> {
    if is_off(v) {
        Some(Limit::Off)
    } else if is_default(v) {
        Some(Limit::Inherit)
    } else {
        f(v).map(Limit::Set)
    }
}

fn limit_text(l: Limit, f: impl Fn(u32) -> String) -> String {
    match l {
        Limit::Inherit => "default".to_owned(),
        Limit::Off => "off".to_owned(),
        Limit::Set(v) => f(v),
    }
}

fn map_over<T>(o: &Override<T>, f: impl Fn(&T) -> String) -> Override<String> {
    match o {
        Override::Inherit => Override::Inherit,
        Override::Off => Override::Off,
        Override::Set(v) => Override::Set(f(v)),
    }
}

/// The token's market, from one quote shared by every subscriber of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketView {
    /// Fully diluted market cap, when known.
    pub market_cap: Option<Lamports>,
    /// Quote-side liquidity.
    pub liquidity: Lamports,
    /// Price impact of the quoted amount.
    pub price_impact: Bps,
    /// The amount the shared quote was for.
    pub quoted: Lamports,
}

impl MarketView {
    /// Price impact of a buy of `amount`, scaled linearly from the shared quote (rounded up);
    /// exact enough for a filter, and the trading core checks the real quote again.
    pub fn impact_for(&self, amount: Lamports) -> Bps {
        if self.quoted.0 == 0 {
            return self.price_impact;
        }
        let scaled = (u128::from(self.price_impact.0) * u128::from(amount.0)).div_ceil(u128::from(self.quoted.0));
        Bps(u16::try_from(scaled).unwrap_or(u16::MAX))
    }
}

/// Why a subscriber's rule skipped an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleSkip {
    /// Outside the active hours.
    Hours(ActiveHours),
    /// The daily cap of alert buys is reached.
    DailyCap(u32),
    /// Market cap above the maximum (or unknown).
    MarketCap {
        /// The maximum.
        max: Lamports,
    },
    /// Liquidity below the minimum.
    Liquidity {
        /// The minimum.
        min: Lamports,
    },
    /// Price impact above the maximum.
    PriceImpact {
        /// The maximum.
        max: Bps,
    },
    /// Market data was needed but the quote failed (the venue reason code).
    NoMarket(String),
    /// The post is older than `max_age`.
    Stale {
        /// The limit, seconds.
        max_age_secs: u32,
    },
    /// A token-safety rule refused the token.
    Safety(SafetyRefusal),
}

impl RuleSkip {
    /// Stable code (locale key `alerts.rule.<code>`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Hours(_) => "hours",
            Self::DailyCap(_) => "daily_cap",
            Self::MarketCap { .. } => "max_mcap",
            Self::Liquidity { .. } => "min_liquidity",
            Self::PriceImpact { .. } => "max_impact",
            Self::NoMarket(_) => "no_market",
            Self::Stale { .. } => "stale",
            Self::Safety(_) => "safety",
        }
    }
}

/// Checks one subscriber's rules. `market` is the shared view or the venue reason it failed with.
///
/// # Errors
/// The first rule that skips.
pub fn check(
    s: &SubscriptionSettings,
    market: Result<&MarketView, &str>,
    alert_buys_today: u32,
    now_ms: i64,
) -> Result<(), RuleSkip> {
    if let Some(h) = s.active_hours.filter(|h| !h.contains(now_ms)) {
        return Err(RuleSkip::Hours(h));
    }
    if let Some(cap) = s.daily_cap.filter(|cap| alert_buys_today >= *cap) {
        return Err(RuleSkip::DailyCap(cap));
    }
    if !s.needs_market() {
        return Ok(());
    }
    let m = market.map_err(|reason| RuleSkip::NoMarket(reason.to_owned()))?;
    if let Some(max) = s.max_market_cap.filter(|max| m.market_cap.is_none_or(|c| c > *max)) {
        return Err(RuleSkip::MarketCap { max });
    }
    if let Some(min) = s.min_liquidity.filter(|min| m.liquidity < *min) {
        return Err(RuleSkip::Liquidity { min });
    }
    if let Some(max) = s.max_price_impact.filter(|max| m.impact_for(s.buy) > *max) {
        return Err(RuleSkip::PriceImpact { max });
    }
    Ok(())
}

/// The exit rules for a position opened by an alert: the user's defaults, then the signal's
/// levels, then the subscription's overrides.
pub fn exit_rules(base: &ExitRules, signal: Option<&SignalLevels>, s: &SubscriptionSettings) -> ExitRules {
    let mut rules = base.clone();
    if let Some(sig) = signal {
        if let Some(sl) = sig.stop_loss_bps {
            rules.stop_loss_bps = Some(sl);
        }
        if !sig.take_profit.is_empty() {
            rules.take_profit = sig.take_profit.clone();
        }
    }
    match &s.stop_loss {
        Override::Inherit => {}
        Override::Off => rules.stop_loss_bps = None,
        Override::Set(b) => rules.stop_loss_bps = Some(*b),
    }
    match &s.take_profit {
        Override::Inherit => {}
        Override::Off => rules.take_profit.clear(),
        Override::Set(t) => rules.take_profit = t.clone(),
    }
    match &s.trailing {
        Override::Inherit => {}
        Override::Off => rules.trailing = None,
        Override::Set(t) => rules.trailing = Some(*t),
    }
    rules
}
