//! Process-wide counters for code paths that have no `Metrics` handle (exit attempts).

use std::sync::atomic::{AtomicU64, Ordering};

static EXITS_FILLED: AtomicU64 = AtomicU64::new(0);
static EXITS_FAILED: AtomicU64 = AtomicU64::new(0);

/// Counts an exit attempt.
pub fn exit_attempt(_rule: &str, filled: bool) {
    if filled {
        EXITS_FILLED.fetch_add(1, Ordering::Relaxed);
    } else {
        EXITS_FAILED.fetch_add(1, Ordering::Relaxed);
    }
}

/// (filled, failed) exit attempts since start.
pub fn exit_counts() -> (u64, u64) {
    (EXITS_FILLED.load(Ordering::Relaxed), EXITS_FAILED.load(Ordering::Relaxed))
}
