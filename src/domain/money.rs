//! Money with units: lamports, raw token amounts and basis points.
//!
//! Everything that ends up in a transaction is an integer in base units; `Decimal` is used only
//! for prices, ratios and display. All arithmetic is checked: overflow is an error, never a wrap.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Lamports per SOL.
pub const LAMPORTS_PER_SOL: u64 = 1_000_000_000;

/// An amount of native SOL in lamports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Lamports(pub u64);

/// Why an amount could not be parsed or computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// The text is not a non-negative decimal number.
    #[error("not a number")]
    NotANumber,
    /// The number has more fractional digits than the unit allows.
    #[error("too many decimal places")]
    TooPrecise,
    /// The number does not fit the unit's integer range.
    #[error("amount out of range")]
    OutOfRange,
    /// The number is negative.
    #[error("amount is negative")]
    Negative,
}

impl Lamports {
    /// Zero lamports.
    pub const ZERO: Self = Self(0);

    /// Parses a SOL amount such as `0.25` or `1` into lamports, exactly (no rounding).
    ///
    /// # Errors
    /// Fails on non-numbers, negatives, more than 9 decimals, or values above `u64::MAX` lamports.
    pub fn parse_sol(text: &str) -> Result<Self, AmountError> {
        let d = Decimal::from_str(text.trim()).map_err(|_| AmountError::NotANumber)?;
        Self::from_sol_decimal(d)
    }

    /// Converts a SOL `Decimal` into lamports exactly.
    ///
    /// # Errors
    /// Fails on negatives, more than 9 decimals, or overflow.
    pub fn from_sol_decimal(d: Decimal) -> Result<Self, AmountError> {
        if d.is_sign_negative() && !d.is_zero() {
            return Err(AmountError::Negative);
        }
        let scaled = d.checked_mul(Decimal::from(LAMPORTS_PER_SOL)).ok_or(AmountError::OutOfRange)?;
        if scaled.fract() != Decimal::ZERO {
            return Err(AmountError::TooPrecise);
        }
        u64::try_from(scaled).map(Self).map_err(|_| AmountError::OutOfRange)
    }

    /// The amount in SOL as an exact decimal (for display and ratios only).
    pub fn to_sol(self) -> Decimal {
        Decimal::from(self.0) / Decimal::from(LAMPORTS_PER_SOL)
    }

    /// Checked addition.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    /// Checked subtraction.
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Self)
    }

    /// Saturating subtraction (floors at zero).
    pub fn saturating_sub(self, other: Self) -> Self {
        Self(self.0.saturating_sub(other.0))
    }
}

impl fmt::Display for Lamports {
    /// Formats as SOL with trailing zeros trimmed, e.g. `0.25 SOL`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} SOL", self.to_sol().normalize())
    }
}

/// A raw SPL token amount together with its mint's decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct TokenAmount {
    /// Amount in the token's base units.
    pub raw: u64,
    /// The mint's decimals.
    pub decimals: u8,
}

impl TokenAmount {
    /// Creates a token amount.
    pub fn new(raw: u64, decimals: u8) -> Self {
        Self { raw, decimals }
    }

    /// The amount in UI units (raw / 10^decimals), exact.
    pub fn to_ui(self) -> Decimal {
        let mut d = Decimal::from(self.raw);
        // Decimal supports scale up to 28; decimals above that are not real SPL mints.
        if d.set_scale(u32::from(self.decimals.min(28))).is_err() {
            return Decimal::ZERO;
        }
        d
    }
}

impl fmt::Display for TokenAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_ui().normalize())
    }
}

/// Basis points (1/100 of a percent). 10_000 bps = 100 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Bps(pub u16);

impl Bps {
    /// The ratio as a decimal fraction (100 bps = 0.01).
    pub fn to_fraction(self) -> Decimal {
        Decimal::from(self.0) / Decimal::from(10_000u32)
    }

    /// Applies `amount * (10_000 - bps) / 10_000`, rounding down: the minimum acceptable output
    /// for a slippage tolerance.
    pub fn apply_down(self, amount: u64) -> u64 {
        let keep = 10_000u128.saturating_sub(u128::from(self.0));
        // keep <= 10_000, so the product fits u128 and the quotient fits u64.
        u64::try_from(u128::from(amount) * keep / 10_000).unwrap_or(u64::MAX)
    }

    /// Applies `amount * (10_000 + bps) / 10_000`, rounding up and saturating: the maximum
    /// acceptable cost for a slippage tolerance.
    pub fn apply_up(self, amount: u64) -> u64 {
        let mul = 10_000u128 + u128::from(self.0);
        let v = (u128::from(amount) * mul).div_ceil(10_000);
        u64::try_from(v).unwrap_or(u64::MAX)
    }
}

/// A percentage as people type it (`12.5`, `12,5`, `12.5%`; at most two decimals) in basis
/// points, within `min_bps..=max_bps`. Every percentage setting and rule parses through it.
pub fn percent_bps(text: &str, min_bps: u32, max_bps: u32) -> Option<u32> {
    let t = text.trim().trim_end_matches('%').trim();
    let t = if t.matches(',').count() == 1 && !t.contains('.') { t.replace(',', ".") } else { t.to_owned() };
    let bps = t.parse::<Decimal>().ok()?.checked_mul(Decimal::from(100))?;
    if bps.fract() != Decimal::ZERO {
        return None;
    }
    u32::try_from(bps).ok().filter(|b| (min_bps..=max_bps).contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_bps_takes_both_decimal_separators_and_bounds() {
        assert_eq!(percent_bps("12.5", 1, 10_000), Some(1_250));
        assert_eq!(percent_bps("12,5%", 1, 10_000), Some(1_250));
        assert_eq!(percent_bps(" 5 % ", 1, 10_000), Some(500));
        assert_eq!(percent_bps("0", 0, 10_000), Some(0));
        for bad in ["0", "100.01", "1.005", "1,2,3", "1.2,3", "x", "", "-5"] {
            assert_eq!(percent_bps(bad, 1, 10_000), None, "{bad}");
        }
    }

    #[test]
    fn parse_sol_is_exact() {
        assert_eq!(Lamports::parse_sol("0.25"), Ok(Lamports(250_000_000)));
        assert_eq!(Lamports::parse_sol("1"), Ok(Lamports(LAMPORTS_PER_SOL)));
        assert_eq!(Lamports::parse_sol("0.000000001"), Ok(Lamports(1)));
        assert_eq!(Lamports::parse_sol("0.0000000001"), Err(AmountError::TooPrecise));
        assert_eq!(Lamports::parse_sol("-1"), Err(AmountError::Negative));
        assert_eq!(Lamports::parse_sol("abc"), Err(AmountError::NotANumber));
        assert_eq!(Lamports::parse_sol("99999999999"), Err(AmountError::OutOfRange));
    }

    #[test]
    fn display_trims_zeros() {
        assert_eq!(Lamports(1_500_000_000).to_string(), "1.5 SOL");
        assert_eq!(TokenAmount::new(1_234_500, 6).to_string(), "1.2345");
    }

    #[test]
    fn bps_bounds_round_in_the_safe_direction() {
        assert_eq!(Bps(100).apply_down(1_000), 990);
        assert_eq!(Bps(100).apply_down(999), 989); // 989.01 -> 989
        assert_eq!(Bps(100).apply_up(999), 1009); // 1008.99 -> 1009
        assert_eq!(Bps(10_000).apply_up(u64::MAX), u64::MAX);
    }

    proptest::proptest! {
        #[test]
        fn bps_min_never_exceeds_amount(amount in proptest::prelude::any::<u64>(), bps in 0u16..=10_000) {
            proptest::prop_assert!(Bps(bps).apply_down(amount) <= amount);
            proptest::prop_assert!(Bps(bps).apply_up(amount) >= amount);
        }
    }
}
