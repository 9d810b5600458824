//! The `signal` format: side, mint, optional entry, stop-loss and take-profit targets.
//!
//! Documented format (one field per line or several per line, any order, case-insensitive;
//! emoji, `*`/`_` markdown and `$TICKER`s are ignored):
//!
//! ```text
//! 🟢 LIVE TRADE ENTRY            ← side line (the first line with a side word decides)
//! BUY $XYZ
//! CA: <mint>                     ← the mint, found as for `ca_drop` (exactly one)
//! Entry: 0.0000123               ← optional entry price (any unit)
//! SL: -25%                       ← stop-loss: percent below entry, or a price below entry
//! TP1: +50% TP2: +100%           ← targets: percent gains, `2x` / `x3` multiples, or prices
//! ```
//!
//! Side words. Buy: `buy`, `long`, `bullish`, `golden cross`, `cross up`, `crossed above`,
//! `breakout`, `trade entry`, `new entry`, `ape`, `купить`, `买入`. Sell: `sell`, `exit`, `short`,
//! `bearish`, `death cross`, `cross down`, `crossed below`, `продать`, `卖出`. So an Ichimoku
//! post such as "Tenkan/Kijun bullish cross" is a buy and "bearish TK cross" a sell (skipped:
//! alerts only buy).
//!
//! Labels. Entry: `entry`, `ep`, `вход`, `入场`. Stop-loss: `sl`, `stop`, `stoploss`, `стоп`,
//! `止损`. Targets: `tp`, `tp1`…, `target(s)`, `take profit`, `🎯`, `цель`, `止盈`. Prices are converted to
//! percentages against the post's own entry (so the unit does not matter); without an entry,
//! price levels are dropped and the subscriber's own exit rules apply. Targets split the
//! position evenly; the last target sells the rest. A decimal comma is not supported (commas
//! separate targets).

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::SkipReason;
use super::scan::contains_word;
use crate::domain::user_config::TakeProfitStep;

const BUY_WORDS: [&str; 13] = [
    "buy",
    "long",
    "bullish",
    "golden cross",
    "cross up",
    "crossed above",
    "breakout",
    "trade entry",
    "new entry",
    "ape",
    "купить",
    "买入",
    "longing",
];
const SELL_WORDS: [&str; 9] =
    ["sell", "exit", "short", "bearish", "death cross", "cross down", "crossed below", "продать", "卖出"];

/// At most this many targets are kept.
const MAX_TARGETS: usize = 8;

/// Levels read from a signal post.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SignalLevels {
    /// Entry price as written (unit unknown; only used to turn price levels into percentages).
    pub entry: Option<Decimal>,
    /// Stop-loss below entry, basis points (1..=9_999).
    pub stop_loss_bps: Option<u32>,
    /// Take-profit ladder, rising gains.
    pub take_profit: Vec<TakeProfitStep>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    None,
    Entry,
    StopLoss,
    Target,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Level {
    /// Signed percent.
    Percent(Decimal),
    /// A multiple of the entry (2x).
    Multiple(Decimal),
    /// A price.
    Price(Decimal),
}

fn side_of(line: &str) -> Option<bool> {
    let buy = BUY_WORDS.iter().any(|w| contains_word(line, w));
    let sell = SELL_WORDS.iter().any(|w| contains_word(line, w));
    match (buy, sell) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

fn label(token: &str) -> Option<Field> {
    let t = token.trim_matches(|c: char| !c.is_alphanumeric() && c != '🎯');
    let digits_stripped = t.trim_end_matches(|c: char| c.is_ascii_digit());
    match digits_stripped {
        "entry" | "ep" | "вход" | "入场" => Some(Field::Entry),
        "sl" | "stop" | "stoploss" | "стоп" | "止损" => Some(Field::StopLoss),
        "tp" | "tps" | "target" | "targets" | "profit" | "takeprofit" | "🎯" | "цель" | "цели" | "止盈" | "t" => {
            Some(Field::Target)
        }
        _ => None,
    }
}

fn level(token: &str) -> Option<Level> {
    let t = token.trim_matches(|c: char| matches!(c, '(' | ')' | '[' | ']' | '*' | '_' | '~' | '.' | '!'));
    let t = t.trim_start_matches('$');
    if let Some(m) = t.strip_suffix(['x', 'X', '×']).or_else(|| t.strip_prefix(['x', 'X', '×'])) {
        return Decimal::from_str(m).ok().filter(|d| *d > Decimal::ONE).map(Level::Multiple);
    }
    if let Some(p) = t.strip_suffix('%') {
        let p = p.strip_prefix('+').unwrap_or(p);
        return Decimal::from_str(p).ok().map(Level::Percent);
    }
    let p = t.strip_prefix('+').unwrap_or(t);
    if p.starts_with(|c: char| c.is_ascii_digit()) {
        return Decimal::from_str(p).ok().filter(|d| *d > Decimal::ZERO).map(Level::Price);
    }
    None
}

fn bps(d: Decimal) -> Option<u32> {
    let v = (d * Decimal::from(10_000)).round();
    u32::try_from(i64::try_from(v).ok()?).ok()
}

fn stop_bps(level: Level, entry: Option<Decimal>) -> Option<u32> {
    let b = match level {
        Level::Percent(p) => bps(p.abs() / Decimal::from(100))?,
        Level::Price(price) => {
            let e = entry.filter(|e| *e > Decimal::ZERO)?;
            if price >= e {
                return None;
            }
            bps((e - price) / e)?
        }
        Level::Multiple(_) => return None,
    };
    (1..=9_999).contains(&b).then_some(b)
}

fn gain_bps(level: Level, entry: Option<Decimal>) -> Option<u32> {
    let b = match level {
        Level::Percent(p) if p > Decimal::ZERO => bps(p / Decimal::from(100))?,
        Level::Percent(_) => return None,
        Level::Multiple(m) => bps(m - Decimal::ONE)?,
        Level::Price(price) => {
            let e = entry.filter(|e| *e > Decimal::ZERO)?;
            if price <= e {
                return None;
            }
            bps((price - e) / e)?
        }
    };
    (1..=10_000_000).contains(&b).then_some(b)
}

fn ladder(gains: &mut Vec<u32>) -> Vec<TakeProfitStep> {
    gains.sort_unstable();
    gains.dedup();
    gains.truncate(MAX_TARGETS);
    let n = gains.len();
    let share = u8::try_from(100 / n.max(1)).unwrap_or(100).max(1);
    gains
        .iter()
        .enumerate()
        .map(|(i, g)| TakeProfitStep { gain_bps: *g, sell_pct: if i + 1 == n { 100 } else { share } })
        .collect()
}

/// Reads side and levels from a signal body (invisible characters already stripped).
///
/// # Errors
/// [`SkipReason::NoSignal`] without a side word, [`SkipReason::NotABuy`] for sell signals.
pub fn parse_levels(text: &str) -> Result<SignalLevels, SkipReason> {
    let mut side = None;
    let mut entry: Option<Decimal> = None;
    let mut stops: Vec<Level> = Vec::new();
    let mut targets: Vec<Level> = Vec::new();
    for raw_line in text.lines().take(2_000) {
        let line = raw_line.to_lowercase();
        if side.is_none() {
            side = side_of(&line);
        }
        let mut field = Field::None;
        let spaced = line.replace([':', '=', '/', '|', ',', ';', '@'], " ");
        for token in spaced.split_whitespace().take(200) {
            if let Some(f) = label(token) {
                field = f;
                continue;
            }
            let Some(lv) = level(token) else { continue };
            match (field, lv) {
                (Field::Entry, Level::Price(p)) if entry.is_none() => entry = Some(p),
                (Field::StopLoss, _) => stops.push(lv),
                (Field::Target, _) => targets.push(lv),
                _ => {}
            }
        }
    }
    match side {
        None => return Err(SkipReason::NoSignal),
        Some(false) => return Err(SkipReason::NotABuy),
        Some(true) => {}
    }
    let stop_loss_bps = stops.into_iter().find_map(|l| stop_bps(l, entry));
    let mut gains: Vec<u32> = targets.into_iter().filter_map(|l| gain_bps(l, entry)).collect();
    Ok(SignalLevels { entry, stop_loss_bps, take_profit: ladder(&mut gains) })
}
