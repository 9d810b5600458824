//! Alert freshness: an alert is as old as its post (Telegram's `date`), not as old as our
//! receipt of it, so a backlog delivered after downtime never trades at today's prices. A call
//! also never buys after the price ran away from it: the quote price may be at most `max_drift`
//! above the reference (the call's `Entry:` price when it is in SOL, else the price at receipt).

use rust_decimal::Decimal;

/// Default `max_age`: 60 s.
pub const DEFAULT_MAX_AGE_SECS: u32 = 60;
/// Default `max_drift`: 25 %.
pub const DEFAULT_MAX_DRIFT_BPS: u32 = 2_500;

/// A subscription's freshness limits (`None` = off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreshnessLimits {
    /// Oldest post that may still trade, seconds.
    pub max_age_secs: Option<u32>,
    /// Largest rise of the quote price over the reference, basis points.
    pub max_drift_bps: Option<u32>,
}

impl Default for FreshnessLimits {
    fn default() -> Self {
        Self { max_age_secs: Some(DEFAULT_MAX_AGE_SECS), max_drift_bps: Some(DEFAULT_MAX_DRIFT_BPS) }
    }
}

/// Why an alert is not fresh enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staleness {
    /// The post is older than `max_age`.
    TooOld {
        /// Its age, ms.
        age_ms: i64,
        /// The limit, seconds.
        max_age_secs: u32,
    },
    /// The price rose more than `max_drift` above the reference.
    Drifted {
        /// The rise, basis points (rounded down).
        drift_bps: u32,
        /// The limit.
        max_drift_bps: u32,
    },
}

/// Age of a post at `now_ms` (never negative: a post "from the future" is fresh).
pub fn age_ms(posted_at_ms: i64, now_ms: i64) -> i64 {
    now_ms.saturating_sub(posted_at_ms).max(0)
}

/// Refuses iff the post is older than `max_age` (when set).
///
/// # Errors
/// [`Staleness::TooOld`].
pub fn check_age(posted_at_ms: i64, now_ms: i64, limits: FreshnessLimits) -> Result<(), Staleness> {
    let age = age_ms(posted_at_ms, now_ms);
    match limits.max_age_secs {
        Some(max) if age > i64::from(max).saturating_mul(1_000) => {
            Err(Staleness::TooOld { age_ms: age, max_age_secs: max })
        }
        _ => Ok(()),
    }
}

/// The rise of `quote` over `reference` in basis points (0 when it fell; `None` without a usable
/// reference).
pub fn drift_bps(reference: Decimal, quote: Decimal) -> Option<u32> {
    if reference <= Decimal::ZERO || quote <= Decimal::ZERO {
        return None;
    }
    let rise = (quote - reference).checked_mul(Decimal::from(10_000))?.checked_div(reference)?;
    if rise <= Decimal::ZERO {
        return Some(0);
    }
    Some(u32::try_from(rise.trunc()).unwrap_or(u32::MAX))
}

/// Refuses iff the quote price is more than `max_drift` above the reference (when both are
/// known and the limit is set).
///
/// # Errors
/// [`Staleness::Drifted`].
pub fn check_drift(reference: Option<Decimal>, quote: Decimal, limits: FreshnessLimits) -> Result<(), Staleness> {
    let (Some(max), Some(reference)) = (limits.max_drift_bps, reference) else {
        return Ok(());
    };
    match drift_bps(reference, quote) {
        Some(drift) if drift > max => Err(Staleness::Drifted { drift_bps: drift, max_drift_bps: max }),
        _ => Ok(()),
    }
}

/// The reference price for drift: the call's `Entry:` when it reads as SOL per token (within 4×
/// of the price at receipt; calls often quote USD or market cap instead, which would make the
/// comparison meaningless), else the price at receipt.
pub fn reference_price(call_entry: Option<Decimal>, at_receipt: Option<Decimal>) -> Option<Decimal> {
    match (call_entry, at_receipt) {
        (Some(entry), Some(receipt)) if entry > Decimal::ZERO && receipt > Decimal::ZERO => {
            let ratio = entry / receipt;
            if ratio >= Decimal::new(25, 2) && ratio <= Decimal::from(4) { Some(entry) } else { Some(receipt) }
        }
        (Some(entry), None) if entry > Decimal::ZERO => None,
        (_, receipt) => receipt,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const L: FreshnessLimits = FreshnessLimits { max_age_secs: Some(60), max_drift_bps: Some(2_500) };

    #[test]
    fn a_post_is_fresh_up_to_and_including_max_age() {
        assert_eq!(check_age(0, 60_000, L), Ok(()));
        assert_eq!(check_age(0, 60_001, L), Err(Staleness::TooOld { age_ms: 60_001, max_age_secs: 60 }));
        assert_eq!(check_age(10_000, 0, L), Ok(()), "clock skew: a post from the future is fresh");
        let off = FreshnessLimits { max_age_secs: None, ..L };
        assert_eq!(check_age(0, i64::MAX, off), Ok(()));
    }

    #[test]
    fn drift_is_measured_upwards_only() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(drift_bps(d("1"), d("1.25")), Some(2_500));
        assert_eq!(drift_bps(d("1"), d("0.5")), Some(0));
        assert_eq!(check_drift(Some(d("1")), d("1.25"), L), Ok(()));
        assert!(check_drift(Some(d("1")), d("1.2501"), L).is_err());
        assert_eq!(check_drift(None, d("100"), L), Ok(()), "no reference, no drift rule");
        assert_eq!(check_drift(Some(d("1")), d("100"), FreshnessLimits { max_drift_bps: None, ..L }), Ok(()));
    }

    #[test]
    fn the_call_entry_is_the_reference_only_when_it_reads_as_sol() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(reference_price(Some(d("0.00000003")), Some(d("0.00000004"))), Some(d("0.00000003")));
        // "$0.0012" against a SOL price of 3e-8: a USD figure, so the price at receipt is used.
        assert_eq!(reference_price(Some(d("0.0012")), Some(d("0.00000003"))), Some(d("0.00000003")));
        assert_eq!(reference_price(None, Some(d("2"))), Some(d("2")));
        assert_eq!(reference_price(Some(d("2")), None), None);
    }

    proptest! {
        /// The freshness rule refuses iff age > max_age or drift > max_drift.
        #[test]
        fn refuses_iff_too_old_or_drifted(
            posted in 0_i64..1_000_000,
            elapsed in 0_i64..200_000,
            max_age in proptest::option::of(0_u32..120),
            max_drift in proptest::option::of(0_u32..10_000),
            reference in 1_u64..1_000_000,
            quote in 1_u64..2_000_000,
        ) {
            let limits = FreshnessLimits { max_age_secs: max_age, max_drift_bps: max_drift };
            let now = posted + elapsed;
            let refused = check_age(posted, now, limits).is_err()
                || check_drift(Some(Decimal::from(reference)), Decimal::from(quote), limits).is_err();
            let too_old = max_age.is_some_and(|m| elapsed > i64::from(m) * 1_000);
            // drift > max  <=>  (quote - ref) * 10_000 > max * ref, with the floor taken on bps
            let drifted = max_drift.is_some_and(|m| {
                let rise = (i128::from(quote) - i128::from(reference)) * 10_000;
                rise > 0 && rise / i128::from(reference) > i128::from(m)
            });
            prop_assert_eq!(refused, too_old || drifted);
        }
    }
}
