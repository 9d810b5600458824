//! Outbox scheduling overhead: with 10,000 messages queued (5,000 chats, two messages each, mixed
//! priorities and a share of groups), the cost of queueing one more message and handing the next
//! one out, answer included (`push` + `next` + `done`). Target ≤ 5 µs per message.
//!
//! Run: `cargo bench --bench outbox -- --warm-up-time 1 --measurement-time 3`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use quantbot::telegram::outbox::{Limits, Next, Pacing, Priority, Scheduler};
use tokio::time::Instant;

const QUEUED: usize = 10_000;
const CHATS: i64 = 5_000;

fn priority(i: u64) -> Priority {
    match i % 10 {
        0 => Priority::Interactive,
        1..=3 => Priority::Notice,
        _ => Priority::Bulk,
    }
}

fn chat(i: u64) -> (i64, Pacing) {
    let c = i64::try_from(i).unwrap() % CHATS;
    if c % 20 == 0 { (-(c + 1), Pacing::Group) } else { (c + 1, Pacing::Private) }
}

/// A scheduler holding `QUEUED` messages, and the clock it was filled at. Limits are generous so
/// the steady state measures the data structures, not waiting.
fn filled() -> (Scheduler<u64>, Instant) {
    let limits = Limits {
        global_per_window: 1_000_000,
        window: Duration::from_millis(1),
        chat_interval: Duration::from_micros(1),
        group_interval: Duration::from_micros(1),
        bulk_share_pct: 80,
    };
    let mut s = Scheduler::new(limits);
    let now = Instant::now();
    for i in 0..QUEUED as u64 {
        let (c, pacing) = chat(i);
        s.push(now, c, pacing, priority(i), i);
    }
    (s, now)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("outbox");
    group.bench_function("push_next_done_at_10k_queued", |b| {
        let (mut s, start) = filled();
        let mut now = start;
        let mut i = QUEUED as u64;
        b.iter(|| {
            now += Duration::from_micros(2);
            let (c, pacing) = chat(i);
            s.push(now, c, pacing, priority(i), i);
            i += 1;
            loop {
                match s.next(now) {
                    Next::Send(item) => {
                        s.done(now, chat(item).0);
                        black_box(item);
                        break;
                    }
                    Next::WaitUntil(t) => now = t,
                    Next::Idle => break,
                }
            }
        });
        assert!(s.len() >= QUEUED - 1, "the queue stayed at 10,000: {}", s.len());
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
