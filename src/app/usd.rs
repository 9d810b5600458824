//! USD beside SOL: the SOL/USD rate, cached for a minute (a failed read is remembered for a few
//! seconds so an unreachable source is not asked on every screen). Display only: without a
//! source, or when it does not answer, every screen shows SOL alone.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;

use crate::domain::money::{LAMPORTS_PER_SOL, Lamports};
use crate::ports::SolUsdSource;

/// How long a read rate is used.
pub const RATE_TTL: Duration = Duration::from_secs(60);
/// How long a failed read keeps the source from being asked again.
pub const FAILURE_TTL: Duration = Duration::from_secs(15);

/// When the rate was read, and what was read (`None`: the read failed).
type Cached = Option<(Instant, Option<Decimal>)>;

/// The cached SOL/USD rate.
#[derive(Clone, Default)]
pub struct UsdRates {
    source: Option<Arc<dyn SolUsdSource>>,
    cache: Arc<Mutex<Cached>>,
}

impl std::fmt::Debug for UsdRates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsdRates").field("configured", &self.source.is_some()).finish_non_exhaustive()
    }
}

impl UsdRates {
    /// Rates from `source` (`None`: SOL only).
    pub fn new(source: Option<Arc<dyn SolUsdSource>>) -> Self {
        Self { source, cache: Arc::default() }
    }

    fn cached(&self) -> Option<Option<Decimal>> {
        let guard = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (at, rate) = (*guard)?;
        let ttl = if rate.is_some() { RATE_TTL } else { FAILURE_TTL };
        (at.elapsed() < ttl).then_some(rate)
    }

    /// SOL/USD, or `None` when there is no source or it did not answer.
    pub async fn sol_usd(&self) -> Option<Decimal> {
        let source = self.source.as_ref()?;
        if let Some(rate) = self.cached() {
            return rate;
        }
        let rate = match source.sol_usd().await {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::warn!(error.message = %e, "SOL/USD unavailable");
                None
            }
        };
        *self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some((Instant::now(), rate));
        rate
    }
}

/// USD of a SOL amount (`sol` whole SOL), rounded to cents.
pub fn usd_of_sol(sol: Decimal, rate: Decimal) -> Decimal {
    sol.checked_mul(rate)
        .unwrap_or(Decimal::ZERO)
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// USD of lamports, rounded to cents.
pub fn usd_of_lamports(l: Lamports, rate: Decimal) -> Decimal {
    usd_of_sol(Decimal::from(l.0) / Decimal::from(LAMPORTS_PER_SOL), rate)
}

/// USD of signed lamports, rounded to cents.
pub fn usd_of_signed(lamports: i64, rate: Decimal) -> Decimal {
    usd_of_sol(Decimal::from(lamports) / Decimal::from(LAMPORTS_PER_SOL), rate)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;

    use super::*;
    use crate::ports::PriceError;

    struct Counting(AtomicUsize, bool);

    #[async_trait]
    impl SolUsdSource for Counting {
        async fn sol_usd(&self) -> Result<Decimal, PriceError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            if self.1 { Ok(Decimal::new(15025, 2)) } else { Err(PriceError::Unavailable("down".into())) }
        }
    }

    #[tokio::test]
    async fn the_rate_is_read_once_per_minute_and_a_failure_is_remembered() {
        let up = Arc::new(Counting(AtomicUsize::new(0), true));
        let rates = UsdRates::new(Some(up.clone()));
        assert_eq!(rates.sol_usd().await, Some(Decimal::new(15025, 2)));
        assert_eq!(rates.sol_usd().await, Some(Decimal::new(15025, 2)));
        assert_eq!(up.0.load(Ordering::SeqCst), 1);
        let down = Arc::new(Counting(AtomicUsize::new(0), false));
        let rates = UsdRates::new(Some(down.clone()));
        assert_eq!(rates.sol_usd().await, None);
        assert_eq!(rates.sol_usd().await, None);
        assert_eq!(down.0.load(Ordering::SeqCst), 1);
        assert_eq!(UsdRates::new(None).sol_usd().await, None);
    }

    #[test]
    fn usd_amounts_are_exact_decimals() {
        let rate = Decimal::new(15025, 2);
        assert_eq!(usd_of_lamports(Lamports(1_500_000_000), rate), Decimal::new(22538, 2));
        assert_eq!(usd_of_signed(-100_000_000, rate), Decimal::new(-1503, 2));
    }
}
