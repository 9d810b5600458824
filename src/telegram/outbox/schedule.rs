//! The outbox's scheduling core: which queued request goes out next. Pure and synchronous (the
//! caller passes `now`), so it is unit-tested and benchmarked without a runtime.
//!
//! - One global budget: at most `global_per_window` paced requests in any `window` (a sliding
//!   window, so short bursts are allowed and Telegram's ≈30/s is never exceeded). Bulk traffic
//!   (broadcasts) may use only `bulk_share_pct` of it, so replies and fills always find room.
//! - Per-chat spacing (`chat_interval` for private chats, `group_interval` for groups).
//! - Fair across chats: a chat with queued work waits in a timer heap ordered by the time its
//!   spacing allows the next send, then joins the FIFO ready queue of its most urgent priority.
//!   A chat never blocks another chat; within a chat, the most urgent request goes first.
//! - A global pause (429 `retry_after`): nothing paced or unpaced goes out before it ends.
//! - Unpaced requests (callback answers, deletions) skip the budget and the spacing but not the
//!   pause.
//!
//! Every operation is O(log n) in the number of waiting chats.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

/// How urgent a request is. Lower goes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// Replies to the user's own command or button press.
    Interactive = 0,
    /// Trade notices (fills, refusals, failures) and admin notices.
    Notice = 1,
    /// Broadcasts and their progress edits.
    Bulk = 2,
}

const LEVELS: usize = 3;

impl Priority {
    fn index(self) -> usize {
        self as usize
    }
}

/// Which limits apply to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// A message to a private chat (per-chat spacing `chat_interval`).
    Private,
    /// A message to a group (per-chat spacing `group_interval`, i.e. ≈20/min).
    Group,
    /// Not a message (answerCallbackQuery, deleteMessage): no budget, no spacing.
    Unpaced,
}

impl Pacing {
    /// The pacing of a chat id: negative ids are groups and channels.
    pub fn of_chat(chat: i64) -> Self {
        if chat < 0 { Self::Group } else { Self::Private }
    }
}

/// Telegram's limits, with a guard band already applied by the caller if wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Paced requests allowed in any `window`.
    pub global_per_window: u32,
    /// The sliding window of the global budget.
    pub window: Duration,
    /// Spacing between two messages to one private chat.
    pub chat_interval: Duration,
    /// Spacing between two messages to one group.
    pub group_interval: Duration,
    /// Share of the global budget bulk traffic may use (1..=100).
    pub bulk_share_pct: u8,
}

impl Limits {
    /// Telegram's documented limits: 30 messages/s, 1/s per chat, 20/min per group.
    pub fn telegram() -> Self {
        Self::new(30, Duration::from_secs(1), Duration::from_secs(3))
    }

    /// Limits for `per_sec` overall, `chat_interval` per private chat and `group_interval` per
    /// group, with a 5 % guard band on every interval (timer granularity); bulk traffic gets 80 %
    /// of the budget.
    pub fn new(per_sec: u32, chat_interval: Duration, group_interval: Duration) -> Self {
        Self {
            global_per_window: per_sec.max(1),
            window: Duration::from_millis(1050),
            chat_interval: chat_interval.mul_f64(1.05),
            group_interval: group_interval.mul_f64(1.05),
            bulk_share_pct: 80,
        }
    }

    fn bulk_cap(&self) -> usize {
        let cap = u64::from(self.global_per_window) * u64::from(self.bulk_share_pct.clamp(1, 100)) / 100;
        usize::try_from(cap.max(1)).unwrap_or(usize::MAX)
    }
}

/// What the caller does next.
#[derive(Debug, PartialEq, Eq)]
pub enum Next<T> {
    /// Send this now.
    Send(T),
    /// Nothing may go out before this instant (new work may change that).
    WaitUntil(Instant),
    /// Nothing is queued.
    Idle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// No queued work (the entry only remembers the last send time).
    Idle,
    /// In the timer heap.
    Waiting,
    /// In the ready queue of this priority.
    Ready(usize),
    /// A request to this chat is in flight.
    InFlight,
}

#[derive(Debug)]
struct ChatQueue<T> {
    queues: [VecDeque<T>; LEVELS],
    next_allowed: Instant,
    interval: Duration,
    slot: Slot,
    version: u64,
}

impl<T> ChatQueue<T> {
    fn top(&self) -> Option<usize> {
        self.queues.iter().position(|q| !q.is_empty())
    }
}

/// The scheduler. `T` is the queued request.
#[derive(Debug)]
pub struct Scheduler<T> {
    limits: Limits,
    chats: HashMap<i64, ChatQueue<T>>,
    ready: [VecDeque<(i64, u64)>; LEVELS],
    waiting: BinaryHeap<Reverse<(Instant, u64, i64)>>,
    unpaced: [VecDeque<T>; LEVELS],
    /// Budget held by answered requests, released at these instants (non-decreasing).
    releases: VecDeque<Instant>,
    /// Paced requests handed out and not answered yet.
    in_flight: usize,
    /// Bulk traffic is spread evenly over the window (no bursts): the next bulk slot.
    next_bulk: Option<Instant>,
    pause_until: Option<Instant>,
    queued: usize,
    pushes: u64,
}

impl<T> Scheduler<T> {
    /// An empty scheduler.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            chats: HashMap::new(),
            ready: Default::default(),
            waiting: BinaryHeap::new(),
            unpaced: Default::default(),
            releases: VecDeque::new(),
            in_flight: 0,
            next_bulk: None,
            pause_until: None,
            queued: 0,
            pushes: 0,
        }
    }

    /// Requests queued (not yet handed out).
    pub fn len(&self) -> usize {
        self.queued
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// Queues `item` for `chat` behind the chat's other requests of the same priority.
    pub fn push(&mut self, now: Instant, chat: i64, pacing: Pacing, priority: Priority, item: T) {
        self.insert(now, chat, pacing, priority, item, false);
    }

    /// Queues `item` ahead of the chat's other requests of its priority (a retry after 429).
    pub fn push_front(&mut self, now: Instant, chat: i64, pacing: Pacing, priority: Priority, item: T) {
        self.insert(now, chat, pacing, priority, item, true);
    }

    /// Stops everything until `until` (a 429's `retry_after`); never shortens a running pause.
    pub fn pause_until(&mut self, until: Instant) {
        self.pause_until = Some(self.pause_until.map_or(until, |p| p.max(until)));
    }

    /// The end of the running pause, if any.
    pub fn paused_until(&self, now: Instant) -> Option<Instant> {
        self.pause_until.filter(|p| *p > now)
    }

    fn insert(&mut self, now: Instant, chat: i64, pacing: Pacing, priority: Priority, item: T, front: bool) {
        self.queued += 1;
        let p = priority.index();
        if pacing == Pacing::Unpaced {
            if front {
                self.unpaced[p].push_front(item)
            } else {
                self.unpaced[p].push_back(item)
            }
            return;
        }
        self.pushes += 1;
        if self.pushes.is_multiple_of(4096) {
            self.forget_idle_chats(now);
        }
        let interval = if pacing == Pacing::Group { self.limits.group_interval } else { self.limits.chat_interval };
        let cq = self.chats.entry(chat).or_insert_with(|| ChatQueue {
            queues: Default::default(),
            next_allowed: now,
            interval,
            slot: Slot::Idle,
            version: 0,
        });
        if front {
            cq.queues[p].push_front(item)
        } else {
            cq.queues[p].push_back(item)
        }
        match cq.slot {
            Slot::Idle => {
                cq.version += 1;
                if cq.next_allowed <= now {
                    cq.slot = Slot::Ready(p);
                    self.ready[p].push_back((chat, cq.version));
                } else {
                    cq.slot = Slot::Waiting;
                    self.waiting.push(Reverse((cq.next_allowed, cq.version, chat)));
                }
            }
            Slot::Ready(current) if p < current => {
                // More urgent work: move the chat to the more urgent ready queue.
                cq.version += 1;
                cq.slot = Slot::Ready(p);
                self.ready[p].push_back((chat, cq.version));
            }
            Slot::Ready(_) | Slot::Waiting | Slot::InFlight => {}
        }
    }

    /// Reports that the paced request handed out for `chat` was answered at `now`: its budget
    /// unit is released `window` later, and the chat's next request may go `interval` after now.
    /// Call exactly once per paced request [`Next::Send`] returned (not for unpaced ones).
    pub fn done(&mut self, now: Instant, chat: i64) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let release = now + self.limits.window;
        // Answers are reported in order, so releases stay sorted; guard anyway.
        let release = self.releases.back().map_or(release, |last| release.max(*last));
        self.releases.push_back(release);
        let Some(cq) = self.chats.get_mut(&chat) else {
            return;
        };
        if cq.slot != Slot::InFlight {
            return;
        }
        cq.next_allowed = now + cq.interval;
        cq.version += 1;
        match cq.top() {
            Some(_) => {
                cq.slot = Slot::Waiting;
                self.waiting.push(Reverse((cq.next_allowed, cq.version, chat)));
            }
            None => cq.slot = Slot::Idle,
        }
    }

    /// The next request to send at `now`, or how long to wait.
    pub fn next(&mut self, now: Instant) -> Next<T> {
        if self.queued == 0 {
            return Next::Idle;
        }
        if let Some(until) = self.paused_until(now) {
            return Next::WaitUntil(until);
        }
        self.pause_until = None;
        for q in &mut self.unpaced {
            if let Some(item) = q.pop_front() {
                self.queued -= 1;
                return Next::Send(item);
            }
        }
        self.promote(now);
        while self.releases.front().is_some_and(|t| *t <= now) {
            self.releases.pop_front();
        }
        let held = self.in_flight + self.releases.len();
        let budget_full = held >= self.limits.global_per_window as usize;
        // Bulk may only use the budget while less than its share is held: the rest stays free
        // for replies and fills that arrive meanwhile.
        let bulk_full = held >= self.limits.bulk_cap();
        let mut wake: Option<Instant> = None;
        for p in 0..LEVELS {
            if self.ready[p].is_empty() {
                continue;
            }
            if budget_full || (p == Priority::Bulk.index() && bulk_full) {
                let cap = if budget_full { self.limits.global_per_window as usize } else { self.limits.bulk_cap() };
                // Enough releases must pass to bring the held budget below the cap; requests in
                // flight free nothing until answered (their `done` wakes the caller).
                let needed = held + 1 - cap;
                if let Some(at) = self.releases.get(needed.saturating_sub(1)) {
                    wake = Some(wake.map_or(*at, |w| w.min(*at)));
                }
                continue;
            }
            if p == Priority::Bulk.index()
                && let Some(at) = self.next_bulk.filter(|at| *at > now)
            {
                wake = Some(wake.map_or(at, |w| w.min(at)));
                continue;
            }
            if let Some(item) = self.take_ready(p) {
                self.in_flight += 1;
                if p == Priority::Bulk.index() {
                    let spacing = self.limits.window / u32::try_from(self.limits.bulk_cap()).unwrap_or(u32::MAX);
                    self.next_bulk = Some(now + spacing);
                }
                return Next::Send(item);
            }
        }
        let timer = self.waiting.peek().map(|Reverse((t, _, _))| *t);
        match (wake, timer) {
            (Some(a), Some(b)) => Next::WaitUntil(a.min(b)),
            (Some(a), None) | (None, Some(a)) => Next::WaitUntil(a),
            (None, None) => Next::Idle,
        }
    }

    /// Moves chats whose spacing has passed from the timer heap to their ready queue.
    fn promote(&mut self, now: Instant) {
        while let Some(Reverse((at, version, chat))) = self.waiting.peek().copied() {
            if at > now {
                break;
            }
            self.waiting.pop();
            let Some(cq) = self.chats.get_mut(&chat) else {
                continue;
            };
            if cq.version != version || cq.slot != Slot::Waiting {
                continue;
            }
            match cq.top() {
                Some(p) => {
                    cq.slot = Slot::Ready(p);
                    self.ready[p].push_back((chat, version));
                }
                None => cq.slot = Slot::Idle,
            }
        }
    }

    fn take_ready(&mut self, p: usize) -> Option<T> {
        while let Some((chat, version)) = self.ready[p].pop_front() {
            let Some(cq) = self.chats.get_mut(&chat) else {
                continue;
            };
            if cq.version != version || cq.slot != Slot::Ready(p) {
                continue; // stale entry (the chat moved to a more urgent queue)
            }
            let top = cq.top()?;
            let item = cq.queues[top].pop_front()?;
            self.queued -= 1;
            cq.version += 1;
            cq.slot = Slot::InFlight;
            return Some(item);
        }
        None
    }

    /// Drops the spacing memory of chats with nothing queued whose spacing has passed.
    fn forget_idle_chats(&mut self, now: Instant) {
        self.chats.retain(|_, cq| cq.slot != Slot::Idle || cq.next_allowed > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            global_per_window: 30,
            window: Duration::from_secs(1),
            chat_interval: Duration::from_secs(1),
            group_interval: Duration::from_secs(3),
            bulk_share_pct: 80,
        }
    }

    /// Hands out everything due, answering each request at once (zero latency).
    fn drain(s: &mut Scheduler<(i64, u32)>, start: Instant, until: Duration) -> Vec<(Duration, (i64, u32))> {
        let mut now = start;
        let mut out = Vec::new();
        while now - start < until {
            match s.next(now) {
                Next::Send(item) => {
                    s.done(now, item.0);
                    out.push((now - start, item));
                }
                Next::WaitUntil(t) => now = t.max(now + Duration::from_micros(1)),
                Next::Idle => break,
            }
        }
        out
    }

    #[test]
    fn a_busy_chat_never_delays_other_chats() {
        let mut s = Scheduler::new(limits());
        let t0 = Instant::now();
        for i in 0..20 {
            s.push(t0, 1, Pacing::Private, Priority::Notice, (1, i));
        }
        for chat in 2..12 {
            s.push(t0, chat, Pacing::Private, Priority::Notice, (chat, 0));
        }
        let sent = drain(&mut s, t0, Duration::from_secs(1));
        // Chat 1's first message and every other chat's only message go out at once.
        let at_zero: Vec<i64> = sent.iter().filter(|(at, _)| at.is_zero()).map(|(_, (c, _))| *c).collect();
        assert_eq!(at_zero.len(), 11, "{sent:?}");
        assert!((2..12).all(|c| at_zero.contains(&c)));
    }

    #[test]
    fn per_chat_spacing_and_the_global_budget_hold() {
        let mut s = Scheduler::new(limits());
        let t0 = Instant::now();
        for chat in 0..50 {
            for i in 0..5 {
                s.push(t0, chat + 1, Pacing::Private, Priority::Interactive, (chat + 1, i));
            }
        }
        let sent = drain(&mut s, t0, Duration::from_secs(60));
        assert_eq!(sent.len(), 250);
        let mut last: HashMap<i64, Duration> = HashMap::new();
        for (i, (at, (chat, _))) in sent.iter().enumerate() {
            if let Some(prev) = last.insert(*chat, *at) {
                assert!(*at - prev >= Duration::from_secs(1), "chat {chat} spaced {:?}", *at - prev);
            }
            let in_window = sent[..=i].iter().filter(|(t, _)| *at - *t < Duration::from_secs(1)).count();
            assert!(in_window <= 30, "{in_window} sends in one window at {at:?}");
        }
    }

    #[test]
    fn urgent_work_goes_before_bulk_and_bulk_leaves_headroom() {
        let mut s = Scheduler::new(limits());
        let t0 = Instant::now();
        for chat in 0..100 {
            s.push(t0, 1000 + chat, Pacing::Private, Priority::Bulk, (1000 + chat, 0));
        }
        for chat in 0..10 {
            s.push(t0, chat + 1, Pacing::Private, Priority::Notice, (chat + 1, 0));
        }
        let sent = drain(&mut s, t0, Duration::from_millis(10));
        let first: Vec<i64> = sent.iter().take(10).map(|(_, (c, _))| *c).collect();
        assert!(first.iter().all(|c| *c <= 10), "{first:?}");
        // 10 notices at once, then bulk spread evenly: one per window / 24 (80 % of 30).
        assert_eq!(sent.len(), 11, "{}", sent.len());
        let bulk = drain(&mut s, t0, Duration::from_millis(500));
        assert!(bulk.windows(2).all(|w| w[1].0 - w[0].0 >= Duration::from_millis(41)), "{bulk:?}");
        s.push(t0, 77, Pacing::Private, Priority::Interactive, (77, 0));
        assert_eq!(s.next(t0), Next::Send((77, 0)));
    }

    #[test]
    fn a_pause_stops_everything_until_it_ends() {
        let mut s = Scheduler::new(limits());
        let t0 = Instant::now();
        s.push(t0, 1, Pacing::Private, Priority::Interactive, (1, 0));
        s.push(t0, 2, Pacing::Unpaced, Priority::Interactive, (2, 0));
        s.pause_until(t0 + Duration::from_secs(3));
        assert_eq!(s.next(t0 + Duration::from_secs(2)), Next::WaitUntil(t0 + Duration::from_secs(3)));
        assert_eq!(s.next(t0 + Duration::from_secs(3)), Next::Send((2, 0)));
        assert_eq!(s.next(t0 + Duration::from_secs(3)), Next::Send((1, 0)));
        assert_eq!(s.next(t0 + Duration::from_secs(3)), Next::Idle);
    }

    #[test]
    fn groups_get_twenty_a_minute_and_urgent_work_overtakes_within_a_chat() {
        let mut s = Scheduler::new(limits());
        let t0 = Instant::now();
        for i in 0..25 {
            s.push(t0, -5, Pacing::Group, Priority::Bulk, (-5, i));
        }
        s.push(t0, -5, Pacing::Group, Priority::Interactive, (-5, 99));
        let sent = drain(&mut s, t0, Duration::from_secs(60));
        assert_eq!(sent[0].1, (-5, 99));
        assert!(sent.len() <= 20, "{} group messages in a minute", sent.len());
    }
}
