//! Display numbers shared by the venues: spot price in SOL per UI token, price impact in bps,
//! market cap in lamports.
//!
//! Pure integer / `Decimal` math: no I/O, never signs, no floats, never panics (overflow
//! yields zero or a clamp). Nothing here feeds an instruction argument.

use rust_decimal::Decimal;

use crate::domain::money::{Bps, Lamports, TokenAmount};

/// Price impact is clamped to 100 %.
const MAX_IMPACT_BPS: u128 = 10_000;

/// SOL per UI token for `lamports` of quote against `raw_tokens` of a `decimals` mint.
pub fn sol_per_ui_token(lamports: u128, raw_tokens: u128, decimals: u8) -> Decimal {
    let (Ok(l), Ok(t)) = (u64::try_from(lamports), u64::try_from(raw_tokens)) else {
        return Decimal::ZERO;
    };
    let ui = TokenAmount::new(t, decimals).to_ui();
    if ui.is_zero() {
        return Decimal::ZERO;
    }
    Lamports(l).to_sol().checked_div(ui).map_or(Decimal::ZERO, |p| p.round_dp(18))
}

/// Fully diluted market cap in lamports: `supply · reserve_quote / reserve_base`.
pub fn market_cap(supply: u64, reserve_quote: u128, reserve_base: u128) -> Option<Lamports> {
    if reserve_base == 0 {
        return None;
    }
    let cap = u128::from(supply).checked_mul(reserve_quote)? / reserve_base;
    u64::try_from(cap).ok().map(Lamports)
}

/// Impact of a buy paying `quote_in` (fees excluded) for `base_out` against spot
/// `reserve_quote / reserve_base`: `(execution / spot − 1)` in bps, rounded up.
pub fn buy_impact(quote_in: u128, base_out: u128, reserve_quote: u128, reserve_base: u128) -> Bps {
    // execution / spot = (quote_in · reserve_base) / (base_out · reserve_quote)
    let num = quote_in.checked_mul(reserve_base);
    let den = base_out.checked_mul(reserve_quote).filter(|d| *d > 0);
    match (num, den) {
        (Some(n), Some(d)) => ratio_excess_bps(n, d),
        _ => Bps(0),
    }
}

/// Impact of a sell receiving `quote_out` (fees excluded) for `base_in` against spot value
/// `base_in · reserve_quote / reserve_base`: `(1 − execution / spot)` in bps, rounded up.
pub fn sell_impact(quote_out: u128, base_in: u128, reserve_quote: u128, reserve_base: u128) -> Bps {
    let spot = base_in.checked_mul(reserve_quote).map(|v| v / reserve_base.max(1));
    match spot {
        Some(s) if s > 0 && quote_out < s => {
            let short = s - quote_out;
            let bps = short.saturating_mul(10_000).div_ceil(s).min(MAX_IMPACT_BPS);
            Bps(u16::try_from(bps).unwrap_or(10_000))
        }
        _ => Bps(0),
    }
}

fn ratio_excess_bps(num: u128, den: u128) -> Bps {
    if num <= den {
        return Bps(0);
    }
    let excess = (num - den).checked_mul(10_000).map_or(MAX_IMPACT_BPS, |v| v.div_ceil(den));
    Bps(u16::try_from(excess.min(MAX_IMPACT_BPS)).unwrap_or(10_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_curve_spot_price_and_market_cap() {
        // vS 30 SOL, vT 1.073B tokens (6 decimals): 2.796e-8 SOL per token, ~27.96 SOL mcap.
        let p = sol_per_ui_token(30_000_000_000, 1_073_000_000_000_000, 6);
        assert_eq!(p.round_dp(15), Decimal::new(27_958_993_476_234, 21).round_dp(15));
        let cap = market_cap(1_000_000_000_000_000, 30_000_000_000, 1_073_000_000_000_000);
        assert_eq!(cap, Some(Lamports(27_958_993_476)));
    }

    #[test]
    fn impact_is_zero_at_spot_and_grows_with_size() {
        assert_eq!(buy_impact(100, 100, 1, 1), Bps(0));
        assert_eq!(buy_impact(101, 100, 1, 1), Bps(100));
        assert_eq!(sell_impact(99, 100, 1, 1), Bps(100));
        assert_eq!(sell_impact(0, 100, 1, 1), Bps(10_000));
        assert_eq!(buy_impact(u128::MAX, 1, 1, 1), Bps(10_000));
        assert_eq!(buy_impact(1, 0, 1, 1), Bps(0));
    }
}
