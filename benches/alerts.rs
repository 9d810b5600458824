//! Alert connector CPU cost, excluding network:
//!
//! * `alert_to_signed_tx`: one realistic channel post → parse (`ca_drop`) → subscription rules →
//!   risk check → Pump.fun quote + buy instructions from cached accounts → v0 compile → sign →
//!   serialize. Targets: p50 ≤ 0.5 ms, p99 ≤ 2 ms (printed from 20,000 timed runs, then criterion).
//! * `fan_out_rules_and_risk/{1000,10000}`: rule matching plus the risk check for every
//!   subscriber of one alert. Targets: ≤ 60 ms and ≤ 600 ms.
//!
//! * `safety_classify_mint`: decode a Token-2022 mint (metadata pointer + transfer fee + hook)
//!   with `spl-token-2022-interface` and its `TokenMetadata` (name, symbol), then the card
//!   summary and the rules. Target ≤ 20 µs.
//!   `alert_to_signed_tx` includes the safety rules over cached safety facts.
//!
//! Run: `cargo bench --bench alerts -- --warm-up-time 1 --measurement-time 3`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use quantbot::app::connector::plan_all;
use quantbot::domain::alert::rules::{self, SubscriptionSettings};
use quantbot::domain::alert::{self, AlertKind, EntityKind, Post, PostEntity};
use quantbot::domain::money::Lamports;
use quantbot::domain::risk::{EntryProposal, GlobalLimits, approve_entry};
use quantbot::domain::safety::fixtures::{self, MintSpec};
use quantbot::domain::safety::{RoundTrip, SafetyRules, TokenSafety, VenueFacts, classify, decode_mint, evaluate};
use quantbot::domain::user::UserId;
use quantbot::ports::alerts::Subscriber;
use quantbot::solana::ids::TOKEN_2022_PROGRAM;
use quantbot::venues::pumpfun::curve::ONE_BILLION_SUPPLY;
use solana_pubkey::Pubkey;

#[path = "common/alert_fixture.rs"]
mod alert_fixture;

use alert_fixture::{Cached, MINT, cached, clean_safety, signed_buy};

fn post_text() -> String {
    format!(
        "🚀 NEW CALL: $PEPE\nCA: {MINT}\nChart: https://pump.fun/coin/{MINT}\nDex: https://dexscreener.com/solana/{MINT}\n\
         Buy here 👉 Jupiter\n\nLow cap gem, dev doxxed, LP burned. Not financial advice. 🔥🔥🔥"
    )
}

/// Post received → first signed transaction ready (no network).
fn alert_to_signed(c: &Cached, safety: &TokenSafety, text: &str, entities: &[PostEntity], salt: u64) -> Vec<u8> {
    let parsed = alert::parse(AlertKind::CaDrop, &Post { text, entities, button_urls: &[] }).unwrap();
    rules::check(&c.settings, Ok(&c.market), 0, c.snapshot.now_ms).unwrap();
    // Safety facts come from the fan-out's shared (cached) read: only the rules run per user.
    evaluate(Some(safety), &c.config.safety.with(&c.settings.safety)).unwrap();
    let proposal = EntryProposal {
        amount: c.settings.buy,
        fees: Lamports(40_000),
        price_impact: c.market.impact_for(c.settings.buy),
        liquidity: c.market.liquidity,
    };
    let approved = approve_entry(parsed.mint, &proposal, &c.config, &c.snapshot, &GlobalLimits::default()).unwrap();
    black_box(approved.get());
    signed_buy(c, c.settings.buy, salt)
}

/// A pump `create_v2`-shaped Token-2022 mint with a transfer fee, a hook and its metadata
/// (worst-case TLV walk).
fn t22_mint_bytes() -> Vec<u8> {
    let spec = MintSpec {
        supply: ONE_BILLION_SUPPLY,
        decimals: 6,
        extensions: vec![
            fixtures::transfer_fee(100, 1_000_000, Some(Pubkey::new_from_array([7; 32]))),
            fixtures::transfer_hook(None, Some(Pubkey::new_from_array([8; 32]))),
            fixtures::metadata_pointer(Pubkey::new_from_array([9; 32])),
            quantbot::domain::token_meta::fixtures::token_metadata(
                Some(Pubkey::new_from_array([10; 32])),
                Pubkey::new_from_array([9; 32]),
                "Pepe Classic",
                "PEPE",
            ),
        ],
        token_2022: true,
        ..MintSpec::default()
    };
    spec.bytes()
}

/// Decode + classify + rules for one mint (the per-mint CPU cost of the safety gate).
fn classify_mint(bytes: &[u8]) -> bool {
    let mint = decode_mint(&TOKEN_2022_PROGRAM, bytes).unwrap();
    let meta = quantbot::domain::token_meta::decode_token_2022(bytes);
    assert!(meta.is_some());
    let safety = TokenSafety {
        mint,
        top10_bps: Some(2_100),
        creator_bps: Some(300),
        age_secs: None,
        age_lower_bound: false,
        meta,
        venue: VenueFacts::Curve { progress_bps: 1_200 },
        round_trip: Some(RoundTrip::Sellable),
    };
    black_box(classify(&safety));
    evaluate(Some(&safety), &SafetyRules::default()).is_ok()
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration, Duration) {
    samples.sort_unstable();
    let at = |q: f64| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i]
    };
    (at(0.5), at(0.99), at(1.0))
}

fn subscribers(n: usize) -> Vec<Subscriber> {
    let variants = [
        vec!["sol=0.1"],
        vec!["sol=0.2", "max_mcap=500", "min_liquidity=0.5"],
        vec!["sol=0.05", "max_impact=5", "daily_cap=10"],
        vec!["sol=0.3", "hours=0-24", "mode=confirm"],
        vec!["sol=1", "max_mcap=10"],
    ];
    (0..n)
        .map(|i| Subscriber {
            user: UserId(i64::try_from(i).unwrap()),
            settings: SubscriptionSettings::default().apply(&variants[i % variants.len()]).unwrap(),
        })
        .collect()
}

/// Rule matching plus the risk check for every subscriber (what the fan-out spends CPU on).
fn fan_out(c: &Cached, subs: &[Subscriber], today: &HashMap<UserId, u32>) -> usize {
    let plans = plan_all(subs, Ok(&c.market), today, c.snapshot.now_ms);
    let mut approved = 0;
    for (plan, s) in plans.iter().zip(subs) {
        if plan.is_err() {
            continue;
        }
        let proposal = EntryProposal {
            amount: s.settings.buy,
            fees: Lamports(40_000),
            price_impact: c.market.impact_for(s.settings.buy),
            liquidity: c.market.liquidity,
        };
        if approve_entry((), &proposal, &c.config, &c.snapshot, &GlobalLimits::default()).is_ok() {
            approved += 1;
        }
    }
    approved
}

fn bench_alerts(cr: &mut Criterion) {
    let c = cached();
    let text = post_text();
    let head = "🚀 NEW CALL: $PEPE\nCA: ";
    let entities =
        [PostEntity { kind: EntityKind::Code, offset: head.encode_utf16().count(), length: MINT.len(), url: None }];
    let safety = clean_safety();
    let mint_bytes = t22_mint_bytes();
    let mut classify_runs = Vec::with_capacity(20_000);
    for _ in 0..20_000 {
        let started = Instant::now();
        black_box(classify_mint(black_box(&mint_bytes)));
        classify_runs.push(started.elapsed());
    }
    let (p50, p99, max) = percentiles(classify_runs);
    println!("safety_classify_mint: p50 {p50:?}  p99 {p99:?}  max {max:?}  (20,000 runs)");
    let mut samples = Vec::with_capacity(20_000);
    for salt in 0..20_000u64 {
        let started = Instant::now();
        black_box(alert_to_signed(&c, &safety, &text, &entities, salt));
        samples.push(started.elapsed());
    }
    let (p50, p99, max) = percentiles(samples);
    println!("alert_to_signed_tx: p50 {p50:?}  p99 {p99:?}  max {max:?}  (20,000 runs)");
    for n in [1_000usize, 10_000] {
        let subs = subscribers(n);
        let today: HashMap<UserId, u32> = subs.iter().step_by(3).map(|s| (s.user, 2)).collect();
        let mut runs = Vec::with_capacity(50);
        for _ in 0..50 {
            let started = Instant::now();
            black_box(fan_out(&c, &subs, &today));
            runs.push(started.elapsed());
        }
        let (p50, p99, max) = percentiles(runs);
        println!("fan_out_rules_and_risk/{n}: p50 {p50:?}  p99 {p99:?}  max {max:?}  (50 runs)");
    }

    let mut salt = 0u64;
    cr.bench_function("alert_to_signed_tx", |b| {
        b.iter(|| {
            salt = salt.wrapping_add(1);
            black_box(alert_to_signed(black_box(&c), &safety, &text, &entities, salt))
        });
    });
    cr.bench_function("safety_classify_mint", |b| b.iter(|| black_box(classify_mint(black_box(&mint_bytes)))));
    cr.bench_function("alert_parse_ca_drop", |b| {
        b.iter(|| {
            black_box(alert::parse(AlertKind::CaDrop, &Post { text: &text, entities: &entities, button_urls: &[] }))
        });
    });
    let mut group = cr.benchmark_group("fan_out_rules_and_risk");
    for n in [1_000usize, 10_000] {
        let subs = subscribers(n);
        let today: HashMap<UserId, u32> = subs.iter().step_by(3).map(|s| (s.user, 2)).collect();
        group.bench_with_input(BenchmarkId::from_parameter(n), &subs, |b, subs| {
            b.iter(|| black_box(fan_out(&c, subs, &today)));
        });
    }
    group.finish();
}

criterion_group!(benches, bench_alerts);
criterion_main!(benches);
