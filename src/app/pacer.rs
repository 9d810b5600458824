//! A send pacer for Telegram's limits: at most `rate` messages per second overall, at least
//! `chat_interval` between two messages to one chat, and a global pause after a 429.
//!
//! Senders reserve a slot, sleep until it, and re-reserve if a 429 paused the queue meanwhile,
//! so nothing is sent before `retry_after` has passed. Limits are counted when a request leaves
//! and Telegram counts when it arrives, so spacing carries a 10% guard band against jitter.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Extra spacing on top of the configured limits (network jitter).
const GUARD_BAND: f64 = 1.1;

/// Shared pacing state; cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Pacer {
    spacing: Duration,
    chat_interval: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    next: Instant,
    chats: HashMap<i64, Instant>,
    pause_until: Instant,
}

impl Pacer {
    /// A pacer for `rate_per_sec` messages per second overall and `chat_interval` per chat.
    pub fn new(rate_per_sec: u32, chat_interval: Duration) -> Self {
        let spacing = Duration::from_secs_f64(GUARD_BAND / f64::from(rate_per_sec.max(1)));
        let now = Instant::now();
        Self {
            spacing,
            chat_interval: chat_interval.mul_f64(GUARD_BAND),
            state: Mutex::new(State { next: now, chats: HashMap::new(), pause_until: now }),
        }
    }

    /// Waits for this chat's next slot. Returns when a message to `chat` may be sent.
    pub async fn wait_turn(&self, chat: i64) {
        loop {
            let slot = self.reserve(chat);
            tokio::time::sleep_until(slot).await;
            if self.lock().pause_until <= Instant::now() {
                return;
            }
        }
    }

    /// Stops every send for `retry_after` from now (a 429).
    pub fn pause(&self, retry_after: Duration) {
        let until = Instant::now() + retry_after;
        let mut s = self.lock();
        s.pause_until = s.pause_until.max(until);
    }

    /// Records that `chat` just got a message outside the pacer (e.g. a command reply).
    pub fn touch(&self, chat: i64) {
        self.lock().chats.insert(chat, Instant::now());
    }

    fn reserve(&self, chat: i64) -> Instant {
        let now = Instant::now();
        let mut s = self.lock();
        let mut slot = now.max(s.next).max(s.pause_until);
        if let Some(last) = s.chats.get(&chat) {
            slot = slot.max(*last + self.chat_interval);
        }
        s.next = slot + self.spacing;
        s.chats.insert(chat, slot);
        if s.chats.len() > 10_000 {
            let cutoff = now.checked_sub(self.chat_interval).unwrap_or(now);
            s.chats.retain(|_, t| *t > cutoff);
        }
        slot
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slots_respect_global_rate_chat_interval_and_pauses() {
        let pacer = Pacer::new(50, Duration::from_millis(200));
        let start = Instant::now();
        pacer.wait_turn(1).await;
        pacer.wait_turn(2).await;
        let two = Instant::now() - start;
        assert!(two >= Duration::from_millis(22), "{two:?}");
        pacer.wait_turn(1).await; // same chat: 220 ms after its first slot
        let again = Instant::now() - start;
        assert!(again >= Duration::from_millis(220), "{again:?}");
        pacer.pause(Duration::from_millis(300));
        let paused_at = Instant::now();
        pacer.wait_turn(3).await;
        let waited = Instant::now() - paused_at;
        assert!(waited >= Duration::from_millis(300) && waited < Duration::from_millis(600), "{waited:?}");
    }
}
