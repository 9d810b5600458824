//! The execution breaker: after `trip_after` consecutive failed sends it opens and refuses new
//! entries for `cooldown_ms`, then lets exactly one probe through (half-open). The probe's
//! success closes it; its failure opens it again for another cooldown. A probe that never
//! reports (refused by another rule, crashed) is replaced after one more cooldown.
//!
//! Pure and synchronous: the trading core owns one behind a mutex and reports every transition
//! (to admins, `/stats`, `/metrics`).

/// Tunables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Consecutive execution failures that open the breaker (0 = never).
    pub trip_after: u32,
    /// How long it stays open before a probe, ms.
    pub cooldown_ms: i64,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self { trip_after: 5, cooldown_ms: 60_000 }
    }
}

/// Where the breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Trading normally; `failures` consecutive failures so far.
    Closed {
        /// Consecutive failures.
        failures: u32,
    },
    /// Refusing entries until `until_ms`.
    Open {
        /// Failures that tripped it.
        failures: u32,
        /// When a probe may go.
        until_ms: i64,
    },
    /// One probe is in flight since `since_ms`.
    HalfOpen {
        /// Failures that tripped it.
        failures: u32,
        /// When the probe was let through.
        since_ms: i64,
    },
}

/// What the breaker says to a new entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead.
    Allowed,
    /// Go ahead as the one probe; report its result.
    Probe,
    /// Refused: the breaker is open (or a probe is in flight).
    Refused {
        /// Failures that tripped it.
        failures: u32,
        /// When the next probe may go (unix ms).
        until_ms: i64,
    },
}

/// A transition worth telling admins about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerEvent {
    /// It opened (again): entries are refused until `until_ms`.
    Tripped {
        /// Failures that tripped it.
        failures: u32,
        /// When a probe may go.
        until_ms: i64,
    },
    /// A trade went through: it closed.
    Reset,
}

/// The breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecutionBreaker {
    policy: BreakerPolicy,
    state: BreakerState,
}

impl ExecutionBreaker {
    /// A closed breaker.
    pub fn new(policy: BreakerPolicy) -> Self {
        Self { policy, state: BreakerState::Closed { failures: 0 } }
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Whether it refuses entries now (for display; does not start a probe).
    pub fn is_open(&self) -> bool {
        !matches!(self.state, BreakerState::Closed { .. })
    }

    /// Asks to start an entry at `now_ms`.
    pub fn admit(&mut self, now_ms: i64) -> Admission {
        match self.state {
            BreakerState::Closed { .. } => Admission::Allowed,
            BreakerState::Open { failures, until_ms } if now_ms < until_ms => Admission::Refused { failures, until_ms },
            BreakerState::HalfOpen { failures, since_ms }
                if now_ms < since_ms.saturating_add(self.policy.cooldown_ms) =>
            {
                Admission::Refused { failures, until_ms: since_ms.saturating_add(self.policy.cooldown_ms) }
            }
            BreakerState::Open { failures, .. } | BreakerState::HalfOpen { failures, .. } => {
                self.state = BreakerState::HalfOpen { failures, since_ms: now_ms };
                Admission::Probe
            }
        }
    }

    /// A send went through (landed or settled). Returns `Reset` when this closed the breaker.
    pub fn record_success(&mut self) -> Option<BreakerEvent> {
        let was_open = self.is_open();
        self.state = BreakerState::Closed { failures: 0 };
        was_open.then_some(BreakerEvent::Reset)
    }

    /// A send failed at `now_ms`. Returns `Tripped` when this opened the breaker.
    pub fn record_failure(&mut self, now_ms: i64) -> Option<BreakerEvent> {
        let until_ms = now_ms.saturating_add(self.policy.cooldown_ms);
        match self.state {
            BreakerState::Closed { failures } => {
                let failures = failures.saturating_add(1);
                if self.policy.trip_after > 0 && failures >= self.policy.trip_after {
                    self.state = BreakerState::Open { failures, until_ms };
                    Some(BreakerEvent::Tripped { failures, until_ms })
                } else {
                    self.state = BreakerState::Closed { failures };
                    None
                }
            }
            BreakerState::HalfOpen { failures, .. } => {
                let failures = failures.saturating_add(1);
                self.state = BreakerState::Open { failures, until_ms };
                Some(BreakerEvent::Tripped { failures, until_ms })
            }
            // A trade that started before the trip failed too: stay open, no new event.
            BreakerState::Open { failures, until_ms } => {
                self.state = BreakerState::Open { failures: failures.saturating_add(1), until_ms };
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: BreakerPolicy = BreakerPolicy { trip_after: 3, cooldown_ms: 1_000 };

    #[test]
    fn trips_after_n_consecutive_failures_and_refuses_until_the_cooldown() {
        let mut b = ExecutionBreaker::new(P);
        assert_eq!(b.record_failure(0), None);
        assert_eq!(b.record_failure(0), None);
        assert_eq!(b.admit(0), Admission::Allowed);
        assert_eq!(b.record_failure(10), Some(BreakerEvent::Tripped { failures: 3, until_ms: 1_010 }));
        assert_eq!(b.admit(500), Admission::Refused { failures: 3, until_ms: 1_010 });
        assert_eq!(b.admit(1_009), Admission::Refused { failures: 3, until_ms: 1_010 });
    }

    #[test]
    fn a_success_in_between_resets_the_count() {
        let mut b = ExecutionBreaker::new(P);
        b.record_failure(0);
        b.record_failure(0);
        assert_eq!(b.record_success(), None);
        assert_eq!(b.record_failure(0), None);
        assert_eq!(b.admit(0), Admission::Allowed);
    }

    #[test]
    fn after_the_cooldown_exactly_one_probe_goes_and_its_success_closes_it() {
        let mut b = ExecutionBreaker::new(P);
        for _ in 0..3 {
            b.record_failure(0);
        }
        assert_eq!(b.admit(1_000), Admission::Probe);
        assert!(matches!(b.admit(1_001), Admission::Refused { .. }), "one probe at a time");
        assert_eq!(b.record_success(), Some(BreakerEvent::Reset));
        assert_eq!(b.admit(1_002), Admission::Allowed);
    }

    #[test]
    fn a_failed_probe_opens_it_for_another_cooldown() {
        let mut b = ExecutionBreaker::new(P);
        for _ in 0..3 {
            b.record_failure(0);
        }
        assert_eq!(b.admit(1_000), Admission::Probe);
        assert_eq!(b.record_failure(1_100), Some(BreakerEvent::Tripped { failures: 4, until_ms: 2_100 }));
        assert!(matches!(b.admit(2_000), Admission::Refused { .. }));
        assert_eq!(b.admit(2_100), Admission::Probe);
    }

    #[test]
    fn a_probe_that_never_reports_is_replaced_after_a_cooldown() {
        let mut b = ExecutionBreaker::new(P);
        for _ in 0..3 {
            b.record_failure(0);
        }
        assert_eq!(b.admit(1_000), Admission::Probe);
        assert!(matches!(b.admit(1_999), Admission::Refused { .. }));
        assert_eq!(b.admit(2_000), Admission::Probe);
    }

    #[test]
    fn zero_trip_after_never_opens() {
        let mut b = ExecutionBreaker::new(BreakerPolicy { trip_after: 0, cooldown_ms: 1 });
        for _ in 0..100 {
            assert_eq!(b.record_failure(0), None);
        }
        assert_eq!(b.admit(0), Admission::Allowed);
    }
}
