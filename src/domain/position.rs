//! Positions and PnL: pure arithmetic over fills, in integer base units.
//!
//! Cost basis includes every fee the trade paid (network, priority, tip, protocol). A sell
//! releases cost in proportion to the tokens sold (rounded down, the last sell releases the
//! rest), so the cost basis of what remains is exact and nothing is lost to rounding.

use rust_decimal::Decimal;

use super::money::Lamports;

/// Fees paid by one trade, in lamports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fees {
    /// Base signature fees.
    pub network: Lamports,
    /// Compute-unit price × limit.
    pub priority: Lamports,
    /// Helius Sender tip.
    pub tip: Lamports,
    /// Venue protocol + creator fees paid in SOL.
    pub protocol: Lamports,
}

impl Fees {
    /// All fees together (saturating; fees are tiny next to `u64::MAX`).
    pub fn total(&self) -> u64 {
        self.network.0.saturating_add(self.priority.0).saturating_add(self.tip.0).saturating_add(self.protocol.0)
    }
}

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// SOL → token.
    Buy,
    /// Token → SOL.
    Sell,
}

/// An executed (or paper) trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    /// Direction.
    pub side: Side,
    /// SOL paid (buy) or received (sell), excluding `fees`.
    pub sol: Lamports,
    /// Raw token units bought or sold.
    pub tokens: u64,
    /// Fees paid on top.
    pub fees: Fees,
    /// When it happened (unix ms).
    pub at_ms: i64,
}

/// An open position's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionBook {
    /// Raw token units held.
    pub tokens: u64,
    /// Cost basis of the held tokens, all fees included.
    pub cost: Lamports,
    /// Realized PnL so far (lamports; negative = loss).
    pub realized: i64,
    /// When it opened (unix ms).
    pub opened_at_ms: i64,
}

/// What a sell realized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Realization {
    /// Cost basis released by the sell.
    pub cost_released: Lamports,
    /// Net proceeds (SOL received minus the sell's fees; may be negative if fees exceed it).
    pub proceeds: i64,
    /// Realized PnL of this sell.
    pub pnl: i64,
    /// Whether the position is now fully closed.
    pub closed: bool,
}

/// Why a fill cannot be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PositionError {
    /// Selling more tokens than held.
    #[error("selling more tokens than held")]
    Oversell,
    /// A buy that received no tokens, or a sell of zero tokens.
    #[error("a fill must move tokens")]
    EmptyFill,
    /// A sum overflowed its integer range.
    #[error("amount overflow")]
    Overflow,
}

impl PositionBook {
    /// Opens a position from a buy.
    ///
    /// # Errors
    /// Not a buy, no tokens, or overflow.
    pub fn open(fill: &Fill) -> Result<Self, PositionError> {
        let empty = Self { tokens: 0, cost: Lamports::ZERO, realized: 0, opened_at_ms: fill.at_ms };
        let (book, _) = empty.apply(fill)?;
        Ok(book)
    }

    /// Applies a fill and returns the new book and, for sells, what it realized.
    ///
    /// # Errors
    /// Oversell, empty fills and overflow; the book is unchanged (it is `Copy`).
    pub fn apply(&self, fill: &Fill) -> Result<(Self, Option<Realization>), PositionError> {
        if fill.tokens == 0 {
            return Err(PositionError::EmptyFill);
        }
        match fill.side {
            Side::Buy => {
                let tokens = self.tokens.checked_add(fill.tokens).ok_or(PositionError::Overflow)?;
                let cost = self
                    .cost
                    .0
                    .checked_add(fill.sol.0)
                    .and_then(|c| c.checked_add(fill.fees.total()))
                    .ok_or(PositionError::Overflow)?;
                Ok((Self { tokens, cost: Lamports(cost), ..*self }, None))
            }
            Side::Sell => {
                if fill.tokens > self.tokens {
                    return Err(PositionError::Oversell);
                }
                let remaining = self.tokens - fill.tokens;
                let released = if remaining == 0 {
                    self.cost.0
                } else {
                    // cost * sold / held < cost, fits u64.
                    u64::try_from(u128::from(self.cost.0) * u128::from(fill.tokens) / u128::from(self.tokens))
                        .map_err(|_| PositionError::Overflow)?
                };
                let proceeds = i128::from(fill.sol.0) - i128::from(fill.fees.total());
                let pnl = proceeds - i128::from(released);
                let proceeds = i64::try_from(proceeds).map_err(|_| PositionError::Overflow)?;
                let pnl = i64::try_from(pnl).map_err(|_| PositionError::Overflow)?;
                let realized = self.realized.checked_add(pnl).ok_or(PositionError::Overflow)?;
                let book = Self { tokens: remaining, cost: Lamports(self.cost.0 - released), realized, ..*self };
                let r = Realization { cost_released: Lamports(released), proceeds, pnl, closed: remaining == 0 };
                Ok((book, Some(r)))
            }
        }
    }

    /// Market value of the held tokens at `price` (SOL per raw token unit), rounded down.
    pub fn value_at(&self, price_per_raw: Decimal) -> Lamports {
        let value = Decimal::from(self.tokens).checked_mul(price_per_raw).unwrap_or(Decimal::MAX);
        let lamports = value.checked_mul(Decimal::from(super::money::LAMPORTS_PER_SOL)).unwrap_or(Decimal::MAX).floor();
        Lamports(u64::try_from(lamports).unwrap_or(u64::MAX))
    }

    /// Unrealized PnL at `price` (lamports).
    pub fn unrealized_at(&self, price_per_raw: Decimal) -> i64 {
        let v = i128::from(self.value_at(price_per_raw).0) - i128::from(self.cost.0);
        i64::try_from(v).unwrap_or(if v > 0 { i64::MAX } else { i64::MIN })
    }

    /// Average entry price in SOL per raw token unit (cost basis / tokens), for display and
    /// exit rules.
    pub fn entry_price(&self) -> Option<Decimal> {
        if self.tokens == 0 {
            return None;
        }
        let sol = Lamports(self.cost.0).to_sol();
        sol.checked_div(Decimal::from(self.tokens))
    }
}

/// PnL as a percentage of a cost basis (display only).
pub fn pnl_pct(pnl: i64, cost: Lamports) -> Decimal {
    if cost.0 == 0 {
        return Decimal::ZERO;
    }
    (Decimal::from(pnl) * Decimal::from(100) / Decimal::from(cost.0)).round_dp(2)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn buy(sol: u64, tokens: u64, fee: u64) -> Fill {
        Fill {
            side: Side::Buy,
            sol: Lamports(sol),
            tokens,
            fees: Fees { network: Lamports(fee), ..Fees::default() },
            at_ms: 1,
        }
    }

    fn sell(sol: u64, tokens: u64, fee: u64) -> Fill {
        Fill { side: Side::Sell, ..buy(sol, tokens, fee) }
    }

    #[test]
    fn cost_basis_includes_every_fee() {
        let fill = Fill {
            side: Side::Buy,
            sol: Lamports(1_000),
            tokens: 10,
            fees: Fees { network: Lamports(5), priority: Lamports(7), tip: Lamports(11), protocol: Lamports(13) },
            at_ms: 0,
        };
        assert_eq!(PositionBook::open(&fill).map(|b| b.cost), Ok(Lamports(1_036)));
    }

    #[test]
    fn add_partial_close_and_full_close() {
        // TC1: buy 100 tokens for 1000 + 10 fee, add 100 for 2000 + 10 → cost 3020, 200 tokens.
        let b = PositionBook::open(&buy(1_000, 100, 10)).unwrap();
        let (b, r) = b.apply(&buy(2_000, 100, 10)).unwrap();
        assert_eq!((b.tokens, b.cost, r), (200, Lamports(3_020), None));
        // TC2: sell 50 (a quarter) for 1000 with 10 fee: releases 755, proceeds 990, pnl +235.
        let (b, r) = b.apply(&sell(1_000, 50, 10)).unwrap();
        assert_eq!(r, Some(Realization { cost_released: Lamports(755), proceeds: 990, pnl: 235, closed: false }));
        assert_eq!((b.tokens, b.cost, b.realized), (150, Lamports(2_265), 235));
        // TC3: sell the rest for 1000 with 10 fee: releases the remaining 2265, pnl -1275.
        let (b, r) = b.apply(&sell(1_000, 150, 10)).unwrap();
        assert_eq!(r.map(|r| (r.pnl, r.closed)), Some((-1_275, true)));
        assert_eq!((b.tokens, b.cost, b.realized), (0, Lamports(0), 235 - 1_275));
    }

    #[test]
    fn oversell_and_empty_fills_are_refused() {
        let b = PositionBook::open(&buy(1_000, 100, 0)).unwrap();
        assert_eq!(b.apply(&sell(1, 101, 0)).err(), Some(PositionError::Oversell));
        assert_eq!(b.apply(&sell(1, 0, 0)).err(), Some(PositionError::EmptyFill));
        assert_eq!(PositionBook::open(&buy(1, 0, 0)).err(), Some(PositionError::EmptyFill));
    }

    #[test]
    fn unrealized_pnl_at_a_price() {
        // 1_000_000 raw tokens bought for 0.1 SOL; price doubles → +0.1 SOL.
        let b = PositionBook::open(&buy(100_000_000, 1_000_000, 0)).unwrap();
        let entry = b.entry_price().unwrap();
        assert_eq!(b.unrealized_at(entry * Decimal::from(2)), 100_000_000);
        assert_eq!(pnl_pct(100_000_000, b.cost), Decimal::from(100));
    }

    proptest! {
        /// Selling in any number of pieces releases exactly the whole cost and the realized PnL
        /// equals total proceeds minus total cost.
        #[test]
        fn pieces_release_exactly_the_cost(cost in 1u64..u64::MAX / 2, tokens in 1u64..=u64::MAX, cuts in proptest::collection::vec(1u64..=u64::MAX, 1..6), fee in 0u64..1_000_000) {
            let mut b = PositionBook::open(&buy(cost, tokens, 0)).unwrap();
            let mut proceeds_total: i128 = 0;
            for cut in cuts {
                if b.tokens == 0 { break; }
                let amount = (cut % b.tokens).max(1);
                let (next, r) = b.apply(&sell(cut % 1_000_000_000, amount, fee)).unwrap();
                proceeds_total += i128::from(r.unwrap().proceeds);
                prop_assert!(next.cost <= b.cost);
                b = next;
            }
            if b.tokens > 0 {
                let (next, r) = b.apply(&sell(0, b.tokens, 0)).unwrap();
                proceeds_total += i128::from(r.unwrap().proceeds);
                b = next;
            }
            prop_assert_eq!(b.cost, Lamports(0));
            prop_assert_eq!(i128::from(b.realized), proceeds_total - i128::from(cost));
        }

        #[test]
        fn apply_never_panics(t in any::<u64>(), c in any::<u64>(), s in any::<u64>(), n in any::<u64>(), f in any::<u64>(), is_buy in any::<bool>()) {
            let book = PositionBook { tokens: t, cost: Lamports(c), realized: 0, opened_at_ms: 0 };
            let fill = Fill { side: if is_buy { Side::Buy } else { Side::Sell }, sol: Lamports(s), tokens: n, fees: Fees { protocol: Lamports(f), ..Fees::default() }, at_ms: 0 };
            let _ = book.apply(&fill);
            let _ = book.unrealized_at(Decimal::new(i64::MAX, 0));
        }
    }
}
