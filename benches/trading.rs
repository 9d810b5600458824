//! The trading core's hot pure work and its intent persistence.
//!
//! - `risk_and_intent`: what `Trading::execute` does for one user besides I/O — fold the realized
//!   trade log into the risk snapshot (peak/current equity, losing streak), estimate fees, run every
//!   entry rule (`approve_entry`), build the `IdempotencyKey` and the `NewIntent`. Target ≤ 50 µs.
//! - `insert_many_1000`: persist 1,000 intents with `IntentRepo::insert_many` (multi-row insert in
//!   one transaction) on a temp-file SQLite database; fresh keys every iteration. Target ≤ 5 ms.
//!
//! Run: `cargo bench --bench trading -- --warm-up-time 1 --measurement-time 3`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use quantbot::app::trade::fee_estimate;
use quantbot::domain::intent::{IdempotencyKey, IntentOrigin, NewIntent};
use quantbot::domain::lang::Lang;
use quantbot::domain::money::{Bps, Lamports};
use quantbot::domain::position::Side;
use quantbot::domain::risk::{EntryProposal, GlobalLimits, RiskSnapshot, approve_entry};
use quantbot::domain::stats::RealizedTrade;
use quantbot::domain::user::UserId;
use quantbot::domain::user_config::{LossStreak, UserConfig};
use quantbot::ports::{IntentRepo, SeenUser, UserRepo};
use quantbot::storage::Db;
use secrecy::SecretString;
use solana_pubkey::Pubkey;

const SOL: u64 = 1_000_000_000;
const USER: UserId = UserId(4242);

/// A trader with every optional rule switched on and 200 realized sells behind them.
fn user_config() -> UserConfig {
    UserConfig {
        trading_enabled: true,
        dry_run: false,
        max_position: Lamports(SOL),
        max_total_exposure: Lamports(10 * SOL),
        daily_loss_limit: Some(Lamports(2 * SOL)),
        weekly_loss_limit: Some(Lamports(5 * SOL)),
        monthly_loss_limit: Some(Lamports(8 * SOL)),
        max_open_positions: 20,
        min_sol_reserve: Lamports(20_000_000),
        max_price_impact: Bps(800),
        loss_streak: Some(LossStreak { losses: 5, cooldown_minutes: 60 }),
        max_drawdown: Some(Bps(5_000)),
        min_liquidity: Some(Lamports(5 * SOL)),
        ..UserConfig::default()
    }
}

fn trade_log() -> Vec<RealizedTrade> {
    (0..200i64)
        .map(|i| RealizedTrade {
            pnl: if i % 3 == 0 { -40_000_000 } else { 25_000_000 + i * 1_000 },
            opened_at_ms: 1_790_000_000_000 + i * 600_000,
            closed_at_ms: 1_790_000_000_000 + i * 600_000 + 300_000,
        })
        .collect()
}

fn risk_and_intent(c: &mut Criterion) {
    let config = user_config();
    let log = trade_log();
    let limits = GlobalLimits::default();
    let mint = Pubkey::new_unique();
    let mut message_id = 0i64;
    c.bench_function("risk_and_intent", |b| {
        b.iter(|| {
            message_id += 1;
            let mut snap = RiskSnapshot {
                wallet_balance: Lamports(12 * SOL),
                exposure: Lamports(3 * SOL),
                open_positions: 4,
                realized_day: -300_000_000,
                realized_week: 800_000_000,
                realized_month: 1_900_000_000,
                now_ms: 1_795_000_000_000,
                ..RiskSnapshot::default()
            };
            snap.apply_realized(black_box(&log));
            let proposal = EntryProposal {
                amount: Lamports(SOL / 4),
                fees: Lamports(fee_estimate(&config, 200_000, Lamports(1_000_000))),
                price_impact: Bps(120),
                liquidity: Lamports(30 * SOL),
            };
            let approved = approve_entry((), black_box(&proposal), &config, &snap, &limits).expect("approved");
            let key = IdempotencyKey::command(USER, USER.0, message_id);
            let intent = NewIntent {
                key,
                user: USER,
                wallet_id: Some(1),
                side: Side::Buy,
                mint: mint.to_string(),
                origin: IntentOrigin::Manual,
                alert_id: None,
                position_id: None,
                amount_in: proposal.amount.0,
                dry_run: false,
                received_at_ms: None,
            };
            black_box((approved.mode(), intent))
        });
    });
}

fn intents(batch: u64, n: u64) -> Vec<NewIntent> {
    let mint = Pubkey::new_unique().to_string();
    (0..n)
        .map(|i| NewIntent {
            key: IdempotencyKey::alert(USER, &format!("{batch}:{i}")),
            user: USER,
            wallet_id: None,
            side: Side::Buy,
            mint: mint.clone(),
            origin: IntentOrigin::Alert,
            alert_id: Some(format!("{batch}:{i}")),
            position_id: None,
            amount_in: 100_000_000,
            dry_run: true,
            received_at_ms: Some(1_795_000_000_000),
        })
        .collect()
}

fn insert_many_1000(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = SecretString::from(format!("sqlite://{}/bench.db", dir.path().display()));
    let db = rt.block_on(async {
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        let seen = SeenUser { id: USER, chat_id: USER.0, username: None, lang: Lang::En, is_config_admin: false };
        db.register(&seen).await.unwrap();
        db
    });
    let mut batch = 0u64;
    c.bench_function("insert_many_1000", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                batch += 1;
                let rows = intents(batch, 1_000);
                let start = Instant::now();
                let inserted = rt.block_on(db.insert_many(&rows)).unwrap();
                total += start.elapsed();
                assert_eq!(inserted, 1_000, "fresh keys are all new");
            }
            total
        });
    });
    drop(dir);
}

criterion_group!(benches, risk_and_intent, insert_many_1000);
criterion_main!(benches);
