//! In-process guards of the trading core: one sell at a time per position, and the double-tap
//! guard for buys. Both sit in front of the stored intents (which make each key act once); they
//! stop two *different* keys from acting on the same thing at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex};

use solana_pubkey::Pubkey;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::domain::user::UserId;

/// One async lock per position: every sell of a position (button, command, exit, recovery)
/// runs under it, from reading the settled position to recording the fill.
#[derive(Debug, Default, Clone)]
pub struct SellLocks {
    locks: Arc<StdMutex<HashMap<i64, Arc<Mutex<()>>>>>,
}

impl SellLocks {
    /// Waits for the position's lock.
    pub async fn lock(&self, position_id: i64) -> SellGuard {
        let lock = {
            let mut map = self.locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            // Forget locks nobody holds or waits for, so the map stays as small as the sells in
            // flight.
            map.retain(|_, l| Arc::strong_count(l) > 1);
            map.entry(position_id).or_default().clone()
        };
        SellGuard { _guard: lock.lock_owned().await }
    }

    /// Takes the lock only if it is free (exits never queue behind another sell).
    pub fn try_lock(&self, position_id: i64) -> Option<SellGuard> {
        let lock = {
            let mut map = self.locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            map.retain(|_, l| Arc::strong_count(l) > 1);
            map.entry(position_id).or_default().clone()
        };
        lock.try_lock_owned().ok().map(|g| SellGuard { _guard: g })
    }
}

/// Held while a sell of one position runs.
#[derive(Debug)]
pub struct SellGuard {
    _guard: OwnedMutexGuard<()>,
}

/// What makes two buys "the same buy" for the double-tap guard.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BuyFingerprint {
    /// Who.
    pub user: UserId,
    /// What.
    pub mint: Pubkey,
    /// How much (lamports).
    pub lamports: u64,
    /// From where (`manual`, `alert:<name>`, …).
    pub source: Option<String>,
    /// Paper or live: a paper buy and a live buy are different buys.
    pub paper: bool,
}

/// Remembers the last accepted buy per fingerprint.
#[derive(Debug, Default, Clone)]
pub struct DoubleTapGuard {
    last: Arc<StdMutex<HashMap<BuyFingerprint, i64>>>,
}

impl DoubleTapGuard {
    /// Admits the buy unless the same one was admitted less than `window_ms` ago; an admitted
    /// buy starts a new window. Check and update are one step, so concurrent taps admit one.
    pub fn admit(&self, fp: BuyFingerprint, now_ms: i64, window_ms: i64) -> bool {
        if window_ms <= 0 {
            return true;
        }
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.len() > 10_000 {
            last.retain(|_, at| now_ms.saturating_sub(*at) < window_ms);
        }
        match last.get(&fp) {
            Some(at) if now_ms.saturating_sub(*at) < window_ms => false,
            _ => {
                last.insert(fp, now_ms);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(lamports: u64) -> BuyFingerprint {
        BuyFingerprint { user: UserId(1), mint: Pubkey::new_from_array([7; 32]), lamports, source: None, paper: true }
    }

    #[test]
    fn the_same_buy_within_the_window_is_refused_and_after_it_admitted() {
        let g = DoubleTapGuard::default();
        assert!(g.admit(fp(10), 0, 5_000));
        assert!(!g.admit(fp(10), 4_999, 5_000));
        assert!(g.admit(fp(11), 4_999, 5_000), "another amount is another buy");
        assert!(g.admit(fp(10), 5_000, 5_000));
    }

    #[test]
    fn a_zero_window_turns_the_guard_off() {
        let g = DoubleTapGuard::default();
        assert!(g.admit(fp(10), 0, 0));
        assert!(g.admit(fp(10), 0, 0));
    }

    #[tokio::test]
    async fn a_position_lock_is_exclusive_and_released_on_drop() {
        let locks = SellLocks::default();
        let held = locks.lock(1).await;
        assert!(locks.try_lock(1).is_none());
        assert!(locks.try_lock(2).is_some());
        drop(held);
        assert!(locks.try_lock(1).is_some());
    }
}
