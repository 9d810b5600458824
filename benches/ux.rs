//! Home screen and token card rendering, excluding RPC and storage: the HTML text and the
//! keyboard of each, from views as the endpoints build them. Target ≤ 5 ms each (the figures
//! are far below: microseconds). The p50/p99 of 10,000 timed runs are printed, then criterion.
//!
//! Run: `cargo bench --bench ux -- --warm-up-time 1 --measurement-time 3`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use quantbot::app::home::HomeView;
use quantbot::domain::lang::Lang;
use quantbot::domain::money::{Bps, Lamports};
use quantbot::domain::position::{PositionBook, Side};
use quantbot::domain::safety::fixtures::MintSpec;
use quantbot::domain::safety::{RoundTrip, TokenSafety, VenueFacts, decode_mint};
use quantbot::domain::token_meta::TokenMeta;
use quantbot::domain::user::UserId;
use quantbot::domain::user_config::UserConfig;
use quantbot::ports::{PositionRecord, Quote, QuoteRequest, QuoteRoute, TradingSummary, VenueId};
use quantbot::telegram::reply::Reply;
use quantbot::telegram::reply::card::CardView;
use quantbot::telegram::reply::home::UxReply;
use rust_decimal::Decimal;
use solana_pubkey::Pubkey;

fn home() -> Reply {
    UxReply::Home(Box::new(HomeView {
        wallet: Some(Pubkey::new_from_array([3; 32]).to_string()),
        sol: Some(Lamports(12_345_678_901)),
        created_wallet: false,
        custody: true,
        config: UserConfig::default(),
        global_dry_run: false,
        summary: TradingSummary {
            realized_today_lamports: -123_456_789,
            exposure: Lamports(400_000_000),
            open_positions: 4,
        },
        sol_usd: Some(Decimal::new(14748, 2)),
    }))
    .into()
}

fn card() -> Reply {
    let mint = Pubkey::new_from_array([5; 32]);
    let spec = MintSpec { supply: 1_000_000_000_000_000, decimals: 6, ..MintSpec::default() };
    let safety = TokenSafety {
        mint: decode_mint(&quantbot::domain::safety::TOKEN_PROGRAM, &spec.bytes()).unwrap(),
        top10_bps: Some(1_500),
        creator_bps: Some(300),
        age_secs: Some(3_600),
        age_lower_bound: false,
        meta: Some(TokenMeta {
            name: "Cat <in> a & hat".to_owned(),
            symbol: "CAT".to_owned(),
            uri: String::new(),
            mutable: Some(false),
        }),
        venue: VenueFacts::Curve { progress_bps: 4_321 },
        round_trip: Some(RoundTrip::Sellable),
    };
    let quote = Quote {
        venue: VenueId::PumpFun,
        request: QuoteRequest { mint, side: Side::Buy, amount_in: 10_000_000, slippage: Bps(1_000) },
        expected_out: 357_000_000_000,
        min_out: 321_000_000_000,
        price_impact: Bps(3),
        venue_fee: Lamports(100_000),
        liquidity: Lamports(5_000_000_000),
        token_decimals: 6,
        token_program: quantbot::domain::safety::TOKEN_PROGRAM,
        price: Decimal::from_str("0.0000000279612").unwrap(),
        market_cap: Some(Lamports(27_961_200_000)),
        route: QuoteRoute::PumpFun { curve_account: vec![0; 150] },
    };
    let holding = PositionRecord {
        id: 42,
        user: UserId(1),
        wallet_id: Some(1),
        mint: mint.to_string(),
        decimals: 6,
        book: PositionBook { tokens: 3_570_000_000_000, cost: Lamports(100_000_000), realized: 0, opened_at_ms: 0 },
        is_paper: true,
        is_open: true,
        exit_rules: None,
        peak_price: None,
        source: None,
        closed_at_ms: None,
    };
    let presets = UserConfig::default().buy_presets;
    let view = CardView {
        mint,
        quote,
        holding: Some(holding),
        presets,
        capped: None,
        safety: Some(Arc::new(safety)),
        sol_usd: Some(Decimal::new(14748, 2)),
    };
    UxReply::Card(Box::new(view)).into()
}

fn render(reply: &Reply) -> usize {
    let text = reply.text(Lang::En);
    let keyboard = reply.keyboard(Lang::En);
    text.len() + keyboard.map_or(0, |k| k.inline_keyboard.len())
}

fn percentiles(name: &str, reply: &Reply) {
    let mut samples: Vec<Duration> = (0..10_000)
        .map(|_| {
            let t = Instant::now();
            black_box(render(black_box(reply)));
            t.elapsed()
        })
        .collect();
    samples.sort_unstable();
    let at = |q: usize| samples[samples.len() * q / 100];
    println!("{name}: p50 {:?}, p99 {:?}, max {:?} (target <= 5 ms)", at(50), at(99), samples[samples.len() - 1]);
}

fn bench(c: &mut Criterion) {
    let (home, card) = (home(), card());
    percentiles("home_render", &home);
    percentiles("token_card_render", &card);
    c.bench_function("home_render", |b| b.iter(|| render(black_box(&home))));
    c.bench_function("token_card_render", |b| b.iter(|| render(black_box(&card))));
}

criterion_group!(benches, bench);
criterion_main!(benches);
