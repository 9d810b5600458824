//! Picture rendering: a PnL card (1000×600) and the equity chart of 200 trades (800×400), each
//! from data to PNG bytes (drawing with the bundled font + PNG encoding), no I/O. They run on a
//! blocking thread in the bot; the p50/p99 of 200 timed runs are printed, then criterion.
//!
//! Run: `cargo bench --bench pics -- --warm-up-time 1 --measurement-time 3`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use quantbot::domain::lang::Lang;
use quantbot::domain::stats::RealizedTrade;
use quantbot::telegram::reply::chart::equity_png;
use quantbot::telegram::reply::pics::{PnlCard, pnl_card_png};

fn card() -> PnlCard {
    PnlCard {
        position_id: 1234,
        title: "BONK".to_owned(),
        subtitle: "Bonk · DezXAZ…B263".to_owned(),
        entry: 250_000_000,
        value: Some(700_000_000),
        open: false,
        paper: false,
        opened_ms: 1_796_000_000_000,
        until_ms: 1_796_000_000_000 + 8_220_000,
    }
}

fn trades() -> Vec<RealizedTrade> {
    (0i64..200)
        .map(|i| RealizedTrade {
            pnl: (i % 7 - 3) * 1_000_000,
            opened_at_ms: 1_796_000_000_000 + i * 3_600_000,
            closed_at_ms: 1_796_000_000_000 + i * 3_600_000 + 1_800_000,
        })
        .collect()
}

fn percentiles(name: &str, mut f: impl FnMut() -> usize) {
    let mut samples: Vec<Duration> = (0..200)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .collect();
    samples.sort();
    let at = |p: usize| samples[(samples.len() * p / 100).min(samples.len() - 1)];
    println!("{name}: p50 {:?}, p99 {:?}, max {:?}, PNG {} bytes", at(50), at(99), samples[samples.len() - 1], f());
}

fn bench(c: &mut Criterion) {
    let (card, trades) = (card(), trades());
    percentiles("pnl_card_png", || pnl_card_png(&card, Lang::En).unwrap().len());
    percentiles("equity_chart_png", || equity_png(&trades, Lang::En).unwrap().len());
    c.bench_function("pnl_card_png", |b| b.iter(|| pnl_card_png(black_box(&card), Lang::En).unwrap()));
    c.bench_function("equity_chart_png", |b| b.iter(|| equity_png(black_box(&trades), Lang::En).unwrap()));
}

criterion_group!(benches, bench);
criterion_main!(benches);
