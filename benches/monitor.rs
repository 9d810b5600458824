//! Position monitor: evaluating the exit rules of 100,000 open positions in one tick (target
//! ≤ 5 ms), the pure `evaluate` per position and with per-position precomputed thresholds
//! (`ExitPlan`, what the monitor uses); and 100,000 resting orders plus 100,000 positions in one
//! tick (target ≤ 10 ms), each order's price looked up by mint as the monitor does.
//!
//! Run: `cargo bench --bench monitor -- --warm-up-time 1 --measurement-time 3`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use std::collections::HashMap;

use quantbot::domain::exit::{ExitPlan, ExitProgress, ExitRules, PositionView, evaluate};
use quantbot::domain::order::{Direction, OrderView, Plan, Size, Trigger, TriggerSpec};
use quantbot::domain::position::Side;
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

/// A mint key (the monitor's `Pubkey` is 32 bytes too).
type Mint = [u8; 32];

const ORDERS: usize = 100_000;
const MINTS: usize = 5_000;

/// 100,000 resting orders over 5,000 mints: limit buys below and breakouts above the price
/// (levels within ±40 %), limit sells, and DCAs (a third of them due), with this tick's price
/// of every mint.
pub fn orders() -> (Vec<(Mint, OrderView)>, HashMap<Mint, Decimal>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let mints: Vec<(Mint, Decimal)> = (0..MINTS)
        .map(|i| {
            let mut key = [0_u8; 32];
            key[..8].copy_from_slice(&(i as u64).to_le_bytes());
            (key, Decimal::new(rng.random_range(20_000_000_000..40_000_000_000_i64), 24))
        })
        .collect();
    let orders = (0..ORDERS)
        .map(|i| {
            let (mint, price) = mints[rng.random_range(0..MINTS)];
            let level = price * Decimal::new(rng.random_range(6_000..14_000), 4);
            let direction = if i % 2 == 0 { Direction::AtOrBelow } else { Direction::AtOrAbove };
            let plan = if i % 5 == 4 {
                Plan::Dca { slices: 10, interval_ms: 60_000, min_price: None, max_price: Some(level) }
            } else {
                Plan::Limit { trigger: Trigger { direction, level }, spec: TriggerSpec::Move { bps: -2_000 } }
            };
            let side = if i % 3 == 0 { Side::Sell } else { Side::Buy };
            let size = if side == Side::Sell { Size::PercentOfPosition(100) } else { Size::Lamports(100_000_000) };
            let next_at_ms = 1_900_000_000_000 + rng.random_range(-60_000..120_000);
            let view = OrderView { side, plan, size, fills: 0, next_at_ms, expires_at_ms: Some(2_000_000_000_000) };
            (mint, view)
        })
        .collect();
    (orders, mints.into_iter().collect())
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

    let (orders, by_mint) = orders();
    let due = orders.iter().filter(|(m, o)| o.evaluate(by_mint.get(m).copied(), now).is_some()).count();
    eprintln!("{due} of {ORDERS} orders fire this tick");
    let mut g = c.benchmark_group("monitor_tick_100k_orders_100k_positions");
    g.sample_size(20);
    g.bench_function("orders_and_exit_plans", |b| {
        b.iter(|| {
            let exits = positions
                .iter()
                .zip(&plans)
                .filter(|((p, price), plan)| plan.evaluate(black_box(p), black_box(*price), now, &rules).is_some())
                .count();
            let fills =
                orders.iter().filter(|(m, o)| black_box(o).evaluate(by_mint.get(m).copied(), now).is_some()).count();
            exits + fills
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
