//! Duplicate-call filter: the same mint from the same source within a window triggers once.
//!
//! Pure and clock-free: callers pass the time. Memory is bounded by pruning entries older than
//! the window whenever the map grows past a threshold.

use std::collections::HashMap;

use solana_pubkey::Pubkey;

/// Remembers recent (source, mint) calls.
#[derive(Debug, Clone)]
pub struct DuplicateFilter {
    window_ms: i64,
    seen: HashMap<(i64, Pubkey), i64>,
    prune_at: usize,
}

impl DuplicateFilter {
    /// A filter with a window in milliseconds (negative windows count as zero).
    pub fn new(window_ms: i64) -> Self {
        Self { window_ms: window_ms.max(0), seen: HashMap::new(), prune_at: 1_024 }
    }

    /// Whether a call of `mint` by `source` at `now_ms` is new (and remembers it if so). A repeat
    /// inside the window is refused and does not extend the window.
    pub fn admit(&mut self, source: i64, mint: Pubkey, now_ms: i64) -> bool {
        if self.seen.get(&(source, mint)).is_some_and(|first| now_ms.saturating_sub(*first) < self.window_ms) {
            return false;
        }
        self.seen.insert((source, mint), now_ms);
        if self.seen.len() >= self.prune_at {
            let window = self.window_ms;
            self.seen.retain(|_, at| now_ms.saturating_sub(*at) < window);
            self.prune_at = (self.seen.len() * 2).max(1_024);
        }
        true
    }

    /// Entries currently remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}
