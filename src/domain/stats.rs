//! Trading statistics per user, from realized sells (display only; never feeds a transaction).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// One realized sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RealizedTrade {
    /// PnL of the sell (lamports).
    pub pnl: i64,
    /// When the position was opened (unix ms).
    pub opened_at_ms: i64,
    /// When this sell happened (unix ms).
    pub closed_at_ms: i64,
}

/// Summary statistics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TradingStats {
    /// Number of realized sells.
    pub trades: u32,
    /// Winning sells / all sells, in percent (two decimals).
    pub win_rate_pct: Decimal,
    /// Gross profit / gross loss; `None` when there is no loss.
    pub profit_factor: Option<Decimal>,
    /// Largest peak-to-trough fall of cumulative realized PnL (lamports).
    pub max_drawdown: u64,
    /// Average holding time (ms).
    pub avg_hold_ms: i64,
    /// Annualized Sharpe ratio of daily realized PnL (mean / stdev × √365); `None` with fewer than
    /// two days or zero variance.
    pub sharpe: Option<Decimal>,
    /// Total realized PnL.
    pub total_pnl: i64,
}

const DAY_MS: i64 = 86_400_000;

/// Computes statistics over realized trades (any order).
pub fn compute(trades: &[RealizedTrade]) -> TradingStats {
    if trades.is_empty() {
        return TradingStats::default();
    }
    let mut sorted = trades.to_vec();
    sorted.sort_by_key(|t| t.closed_at_ms);
    let n = sorted.len();
    let wins = sorted.iter().filter(|t| t.pnl > 0).count();
    let gross_profit: i128 = sorted.iter().filter(|t| t.pnl > 0).map(|t| i128::from(t.pnl)).sum();
    let gross_loss: i128 = sorted.iter().filter(|t| t.pnl < 0).map(|t| -i128::from(t.pnl)).sum();
    let total: i128 = sorted.iter().map(|t| i128::from(t.pnl)).sum();

    let mut peak: i128 = 0;
    let mut equity: i128 = 0;
    let mut max_dd: i128 = 0;
    for t in &sorted {
        equity += i128::from(t.pnl);
        peak = peak.max(equity);
        max_dd = max_dd.max(peak - equity);
    }
    let hold_total: i128 =
        sorted.iter().map(|t| i128::from(t.closed_at_ms.saturating_sub(t.opened_at_ms).max(0))).sum();

    let mut daily: BTreeMap<i64, i128> = BTreeMap::new();
    for t in &sorted {
        *daily.entry(t.closed_at_ms.div_euclid(DAY_MS)).or_default() += i128::from(t.pnl);
    }
    TradingStats {
        trades: u32::try_from(n).unwrap_or(u32::MAX),
        win_rate_pct: (Decimal::from(wins) * Decimal::from(100) / Decimal::from(n)).round_dp(2),
        profit_factor: (gross_loss > 0).then(|| ratio(gross_profit, gross_loss)),
        max_drawdown: u64::try_from(max_dd).unwrap_or(u64::MAX),
        avg_hold_ms: i64::try_from(hold_total / i128::try_from(n).unwrap_or(1)).unwrap_or(i64::MAX),
        sharpe: sharpe(&daily.values().copied().collect::<Vec<_>>()),
        total_pnl: i64::try_from(total).unwrap_or(if total > 0 { i64::MAX } else { i64::MIN }),
    }
}

fn ratio(a: i128, b: i128) -> Decimal {
    let (Ok(a), Ok(b)) = (i64::try_from(a), i64::try_from(b)) else {
        return Decimal::ZERO;
    };
    (Decimal::from(a) / Decimal::from(b)).round_dp(2)
}

fn sharpe(daily: &[i128]) -> Option<Decimal> {
    if daily.len() < 2 {
        return None;
    }
    let xs: Vec<f64> = daily.iter().map(|v| *v as f64).collect();
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let sd = var.sqrt();
    if sd == 0.0 || !sd.is_finite() {
        return None;
    }
    let s = mean / sd * 365f64.sqrt();
    Decimal::from_f64_retain(s).map(|d| d.round_dp(2)).filter(|d| d.to_f64().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(pnl: i64, day: i64) -> RealizedTrade {
        RealizedTrade { pnl, opened_at_ms: day * DAY_MS, closed_at_ms: day * DAY_MS + 3_600_000 }
    }

    #[test]
    fn stats_from_a_known_series() {
        // TC: +100, -50, +30, -80, +10 over five days.
        let s = compute(&[t(100, 0), t(-50, 1), t(30, 2), t(-80, 3), t(10, 4)]);
        assert_eq!(s.trades, 5);
        assert_eq!(s.win_rate_pct, Decimal::from(60));
        assert_eq!(s.profit_factor, Some(Decimal::new(108, 2))); // 140 / 130 = 1.0769 → 1.08
        assert_eq!(s.max_drawdown, 100); // peak 100 → trough 0 (100-50+30-80)
        assert_eq!(s.avg_hold_ms, 3_600_000);
        assert_eq!(s.total_pnl, 10);
        // mean 2, sample variance 19880/4 = 4970, sd ≈ 70.50 → 2/70.50×√365 ≈ 0.542
        assert_eq!(s.sharpe, Some(Decimal::new(54, 2)));
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(compute(&[]), TradingStats::default());
        let only_wins = compute(&[t(5, 0), t(5, 1)]);
        assert_eq!(only_wins.profit_factor, None);
        assert_eq!(only_wins.sharpe, None); // zero variance
        assert_eq!(compute(&[t(i64::MIN, 0), t(i64::MAX, 0)]).trades, 2);
    }
}
