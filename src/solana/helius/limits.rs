//! Pure pacing and health logic for one RPC endpoint: a token bucket, the retry backoff
//! schedule and a circuit breaker.
//!
//! Talks to nothing and never sleeps: every function takes `now` and returns a decision or a
//! duration, so the math is unit-tested without a clock.

use std::time::{Duration, Instant};

/// A token bucket in its GCRA form: `rps` tokens per second, at most `burst` banked, and never
/// more than `rps` requests in any one-second window (the way providers state their limits:
/// "10 requests per second" admits 10 at once, then the next 10 a second later).
///
/// A caller *reserves* a token and gets back how long to wait before using it. Reservations are
/// never returned, so the bucket stays conservative when a caller gives up: in any window of
/// `t` seconds at most `min(burst + rps * t, rps * ceil(t))` requests are released.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    interval: Duration,
    tolerance: Duration,
    next_free: Option<Instant>,
    per_second: usize,
    /// Release times of the last `per_second` reservations, in order.
    window: std::collections::VecDeque<Instant>,
}

impl TokenBucket {
    /// A bucket releasing `rps` requests per second (at least 1) with `burst` banked (at least 1).
    pub fn new(rps: u32, burst: u32) -> Self {
        let rps = rps.max(1);
        let interval = Duration::from_nanos(1_000_000_000 / u64::from(rps));
        let tolerance = interval.saturating_mul(burst.clamp(1, rps) - 1);
        let per_second = usize::try_from(rps).unwrap_or(usize::MAX);
        Self { interval, tolerance, next_free: None, per_second, window: std::collections::VecDeque::new() }
    }

    /// Reserves one token at `now`; returns how long to wait before sending (zero = now).
    pub fn reserve(&mut self, now: Instant) -> Duration {
        let start = match self.next_free {
            Some(t) if t > now => t,
            _ => now,
        };
        let mut release = now + start.saturating_duration_since(now).saturating_sub(self.tolerance);
        if self.window.len() >= self.per_second
            && let Some(oldest) = self.window.get(self.window.len() - self.per_second)
        {
            release = release.max(*oldest + Duration::from_secs(1));
        }
        let at = self.window.partition_point(|t| *t <= release);
        self.window.insert(at, release);
        while self.window.len() > self.per_second {
            self.window.pop_front();
        }
        self.next_free = Some(start.max(release) + self.interval);
        release.saturating_duration_since(now)
    }

    /// The spacing between two requests at the sustained rate.
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

/// Exponential backoff with jitter between retry rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry round (before jitter).
    pub base: Duration,
    /// Upper bound for any delay.
    pub max: Duration,
}

impl Backoff {
    /// The delay before retry round `round` (1-based): `base * 2^(round-1)` capped at `max`, then
    /// scaled into `[d/2, d]` by `jitter_permille` (0..=1000, from a random source).
    pub fn delay(&self, round: u32, jitter_permille: u32) -> Duration {
        let exp = round.saturating_sub(1).min(20);
        let full = self.base.saturating_mul(1u32 << exp).min(self.max);
        let half = full / 2;
        let extra = (full - half).saturating_mul(jitter_permille.min(1000)) / 1000;
        half + extra
    }
}

/// When the breaker trips and how long it stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Consecutive failures that open the breaker.
    pub failure_threshold: u32,
    /// How long it stays open before letting one probe through.
    pub cooldown: Duration,
    /// A half-open probe older than this is presumed lost (its caller was cancelled).
    pub probe_timeout: Duration,
}

/// Where a breaker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Requests flow; counts consecutive failures.
    Closed {
        /// Failures in a row so far.
        failures: u32,
    },
    /// No requests until `until`.
    Open {
        /// End of the cooldown.
        until: Instant,
    },
    /// One probe may go; its result closes or reopens the breaker.
    HalfOpen {
        /// When the probe was let through, if one is in flight.
        probe_since: Option<Instant>,
    },
}

/// A per-endpoint circuit breaker.
#[derive(Debug, Clone)]
pub struct Breaker {
    policy: BreakerPolicy,
    state: BreakerState,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(policy: BreakerPolicy) -> Self {
        Self { policy, state: BreakerState::Closed { failures: 0 } }
    }

    /// The current state as of `now` (an elapsed cooldown reads as half-open).
    pub fn state(&self, now: Instant) -> BreakerState {
        match self.state {
            BreakerState::Open { until } if now >= until => BreakerState::HalfOpen { probe_since: None },
            s => s,
        }
    }

    /// Whether a request may go at `now` (pure check; does not take the probe slot).
    pub fn allows(&self, now: Instant) -> bool {
        match self.state(now) {
            BreakerState::Closed { .. } => true,
            BreakerState::Open { .. } => false,
            BreakerState::HalfOpen { probe_since } => {
                probe_since.is_none_or(|t| now.saturating_duration_since(t) >= self.policy.probe_timeout)
            }
        }
    }

    /// Takes permission for one request at `now`; in half-open this claims the probe slot.
    pub fn acquire(&mut self, now: Instant) -> bool {
        if !self.allows(now) {
            return false;
        }
        if let BreakerState::HalfOpen { .. } = self.state(now) {
            self.state = BreakerState::HalfOpen { probe_since: Some(now) };
        }
        true
    }

    /// Records a healthy answer: closes the breaker.
    pub fn on_success(&mut self) {
        self.state = BreakerState::Closed { failures: 0 };
    }

    /// Records a failure (5xx, connect error, timeout) at `now`.
    pub fn on_failure(&mut self, now: Instant) {
        self.state = match self.state(now) {
            BreakerState::Closed { failures } if failures + 1 < self.policy.failure_threshold => {
                BreakerState::Closed { failures: failures + 1 }
            }
            _ => BreakerState::Open { until: now + self.policy.cooldown },
        };
    }

    /// When the breaker will next let a request through (`now` if it does already).
    pub fn available_at(&self, now: Instant) -> Instant {
        match self.state(now) {
            BreakerState::Open { until } => until,
            BreakerState::HalfOpen { probe_since: Some(t) } if !self.allows(now) => t + self.policy.probe_timeout,
            _ => now,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn bucket_with_burst_one_spaces_requests_by_the_interval() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10, 1);
        assert_eq!(b.reserve(t0), Duration::ZERO);
        assert_eq!(b.reserve(t0), 100 * MS);
        assert_eq!(b.reserve(t0), 200 * MS);
        // after a long idle period nothing is owed and nothing is banked beyond the burst
        let later = t0 + Duration::from_secs(5);
        assert_eq!(b.reserve(later), Duration::ZERO);
        assert_eq!(b.reserve(later), 100 * MS);
    }

    #[test]
    fn bucket_banks_at_most_burst_tokens() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10, 3);
        assert_eq!(b.reserve(t0), Duration::ZERO);
        assert_eq!(b.reserve(t0), Duration::ZERO);
        assert_eq!(b.reserve(t0), Duration::ZERO);
        assert_eq!(b.reserve(t0), 100 * MS);
        assert_eq!(b.reserve(t0 + 50 * MS), 150 * MS);
    }

    #[test]
    fn bucket_releases_at_most_burst_plus_rate_times_window() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(20, 2);
        let releases: Vec<Instant> = (0..100).map(|_| t0 + b.reserve(t0)).collect();
        for (i, start) in releases.iter().enumerate() {
            let in_window = releases[i..].iter().filter(|t| **t < *start + Duration::from_secs(1)).count();
            assert!(in_window <= 2 + 20, "{in_window} releases in one second");
        }
    }

    #[test]
    fn a_full_burst_releases_rps_at_once_then_the_next_rps_a_second_later() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10, 10);
        let waits: Vec<Duration> = (0..25).map(|_| b.reserve(t0)).collect();
        assert!(waits[..10].iter().all(|w| w.is_zero()), "{waits:?}");
        assert!(waits[10..20].iter().all(|w| *w == Duration::from_secs(1)), "{waits:?}");
        assert!(waits[20..].iter().all(|w| *w == Duration::from_secs(2)), "{waits:?}");
        // Never more than rps in any one-second window, whatever the arrival pattern.
        let mut b = TokenBucket::new(10, 10);
        let mut releases = Vec::new();
        for i in 0..200u64 {
            let now = t0 + Duration::from_millis(i * 37 % 900 + i * 20);
            releases.push(now + b.reserve(now));
        }
        releases.sort();
        for (i, start) in releases.iter().enumerate() {
            let n = releases[i..].iter().filter(|t| **t < *start + Duration::from_secs(1)).count();
            assert!(n <= 10, "{n} releases in one second");
        }
    }

    #[test]
    fn zero_rps_is_treated_as_one() {
        let mut b = TokenBucket::new(0, 0);
        assert_eq!(b.interval(), Duration::from_secs(1));
        let t0 = Instant::now();
        assert_eq!(b.reserve(t0), Duration::ZERO);
        assert_eq!(b.reserve(t0), Duration::from_secs(1));
    }

    #[test]
    fn backoff_doubles_within_jitter_bounds_and_is_capped() {
        let b = Backoff { base: 100 * MS, max: 1000 * MS };
        for round in 1..=10u32 {
            let full = (100 * MS * 2u32.pow(round - 1)).min(1000 * MS);
            for j in [0, 1, 500, 999, 1000, 5000] {
                let d = b.delay(round, j);
                assert!(d >= full / 2 && d <= full, "round {round} jitter {j}: {d:?}");
            }
        }
        assert_eq!(b.delay(1, 0), 50 * MS);
        assert_eq!(b.delay(1, 1000), 100 * MS);
        assert_eq!(b.delay(u32::MAX, 1000), 1000 * MS);
    }

    fn policy() -> BreakerPolicy {
        BreakerPolicy { failure_threshold: 3, cooldown: 1000 * MS, probe_timeout: 500 * MS }
    }

    #[test]
    fn breaker_opens_after_threshold_consecutive_failures() {
        let t0 = Instant::now();
        let mut b = Breaker::new(policy());
        b.on_failure(t0);
        b.on_failure(t0);
        b.on_success();
        b.on_failure(t0);
        b.on_failure(t0);
        assert!(b.allows(t0));
        b.on_failure(t0);
        assert_eq!(b.state(t0), BreakerState::Open { until: t0 + 1000 * MS });
        assert!(!b.allows(t0 + 999 * MS));
        assert_eq!(b.available_at(t0), t0 + 1000 * MS);
    }

    #[test]
    fn breaker_half_opens_after_cooldown_and_lets_one_probe_through() {
        let t0 = Instant::now();
        let mut b = Breaker::new(BreakerPolicy { failure_threshold: 1, ..policy() });
        b.on_failure(t0);
        let t1 = t0 + 1000 * MS;
        assert_eq!(b.state(t1), BreakerState::HalfOpen { probe_since: None });
        assert!(b.acquire(t1));
        assert!(!b.acquire(t1), "only one probe at a time");
        assert!(b.acquire(t1 + 500 * MS), "a lost probe frees the slot after probe_timeout");
        b.on_success();
        assert_eq!(b.state(t1), BreakerState::Closed { failures: 0 });
    }

    #[test]
    fn failed_probe_reopens_the_breaker() {
        let t0 = Instant::now();
        let mut b = Breaker::new(BreakerPolicy { failure_threshold: 2, ..policy() });
        b.on_failure(t0);
        b.on_failure(t0);
        let t1 = t0 + 1000 * MS;
        assert!(b.acquire(t1));
        b.on_failure(t1);
        assert_eq!(b.state(t1), BreakerState::Open { until: t1 + 1000 * MS });
    }
}
