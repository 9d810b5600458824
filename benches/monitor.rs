//! Position monitor: evaluating the exit rules of 100,000 open positions in one tick (target
//! ≤ 5 ms), the pure `evaluate` per position and with per-position precomputed thresholds
//! (`ExitPlan`, what the monitor uses).
//!
//! Run: `cargo bench --bench monitor -- --warm-up-time 1 --measurement-time 3`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use quantbot::domain::exit::{ExitPlan, ExitProgress, ExitRules, PositionView, evaluate};
use quantbot::domain::user_config::UserConfig;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;

const POSITIONS: usize = 100_000;

/// 100,000 positions with the default rules (SL −30 %, TP 100/200/400, trailing 3:2, 48 h),
/// entries around pump-curve prices, this tick's prices within −35 %..+110 % of entry and peaks
/// up to 2.5 % above: about 23 % of the positions exit this tick (a crash-or-pump worst case).
pub fn positions() -> (Vec<(PositionView, Decimal)>, ExitRules) {
    let rules = ExitRules::from_config(&UserConfig::default());
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let out = (0..POSITIONS)
        .map(|_| {
            // ~2.8e-14 SOL per raw unit, 9 significant digits.
            let entry = Decimal::new(rng.random_range(20_000_000_000..40_000_000_000_i64), 24);
            let price = entry * Decimal::new(rng.random_range(6_500..21_000), 4);
            let peak = price.max(entry) * Decimal::new(rng.random_range(10_000..10_250), 4);
            let view = PositionView {
                entry,
                tokens: rng.random_range(1_000_000..10_000_000_000_000),
                opened_at_ms: 1_900_000_000_000 - rng.random_range(0..40 * 3_600_000),
                peak,
                progress: ExitProgress { tp_done: 0, initial_tokens: 0 },
            };
            (view, price)
        })
        .collect();
    (out, rules)
}

fn bench(c: &mut Criterion) {
    let (positions, rules) = positions();
    let now = 1_900_000_000_000;
    let plans: Vec<ExitPlan> = positions.iter().map(|(p, _)| ExitPlan::new(p, &rules)).collect();
    let fired = positions.iter().filter(|(p, price)| evaluate(p, *price, now, &rules).is_some()).count();
    let fired_plan = positions
        .iter()
        .zip(&plans)
        .filter(|((p, price), plan)| plan.evaluate(p, *price, now, &rules).is_some())
        .count();
    assert_eq!(fired, fired_plan, "the plan decides exactly like evaluate");
    eprintln!("{fired} of {POSITIONS} positions exit this tick");

    let mut g = c.benchmark_group("monitor_tick_100k");
    g.sample_size(20);
    g.bench_function("evaluate", |b| {
        b.iter(|| {
            positions
                .iter()
                .filter(|(p, price)| evaluate(black_box(p), black_box(*price), now, &rules).is_some())
                .count()
        })
    });
    g.bench_function("exit_plan", |b| {
        b.iter(|| {
            positions
                .iter()
                .zip(&plans)
                .filter(|((p, price), plan)| plan.evaluate(black_box(p), black_box(*price), now, &rules).is_some())
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
