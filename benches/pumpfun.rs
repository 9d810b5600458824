//! Build + sign a Pump.fun buy from cached state: quote, instructions, compute budget, tip,
//! v0 compile, sign, serialize. Target: median ≤ 100 µs.
//!
//! Run: `cargo bench --bench pumpfun -- --warm-up-time 1 --measurement-time 3`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use quantbot::domain::money::{Bps, Lamports};
use quantbot::solana::ids::TOKEN_2022_PROGRAM;
use quantbot::solana::instructions::{ComputeUnits, MicroLamportsPerCu};
use quantbot::solana::tip::{MIN_TIP_SENDER_MAX, Tip};
use quantbot::solana::tx::{ComputeBudget, TxDraft, serialize, sign};
use quantbot::venues::pumpfun::accounts::{BondingCurve, FeeConfig, FeeTier, Fees, GLOBAL_DISCRIMINATOR, Global};
use quantbot::venues::pumpfun::curve::{BuyBySolRequest, CurveState, ONE_BILLION_SUPPLY};
use quantbot::venues::pumpfun::ix::{BuyArgs, FeeRecipients, LegacyTrade, LegacyTradeParts};
use quantbot::venues::pumpfun::pda::{MintAccounts, MintKey, UserAccounts};
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_pubkey::{Pubkey, pubkey};
use solana_signer::Signer;

/// Everything fetched once and cached between trades.
struct Cached {
    global: Global,
    fee_config: FeeConfig,
    curve: BondingCurve,
    mint: MintAccounts,
    user: UserAccounts,
    blockhash: Hash,
    keypair: Keypair,
}

fn cached() -> Cached {
    let mut global_bytes = GLOBAL_DISCRIMINATOR.to_vec();
    global_bytes.resize(1087, 0);
    let global = Global::decode(&global_bytes).unwrap();
    let fee_config = FeeConfig {
        bump: 255,
        admin: Pubkey::default(),
        flat_fees: Fees::default(),
        fee_tiers: vec![FeeTier {
            market_cap_threshold: 0,
            fees: Fees { lp_fee_bps: 0, protocol_fee_bps: 95, creator_fee_bps: 30 },
        }],
        stable_fee_tiers: Vec::new(),
        exotic_flat_fees: Fees::default(),
    };
    let curve = BondingCurve {
        virtual_token_reserves: 1_048_500_803_494_126,
        virtual_quote_reserves: 30_700_977_905,
        real_token_reserves: 768_600_803_494_126,
        real_quote_reserves: 700_977_905,
        token_total_supply: ONE_BILLION_SUPPLY,
        creator: pubkey!("39c8JbwsHBZKibzBACZg3g6EDUuKxYHZ6Uot39jJAE6v"),
        ..BondingCurve::default()
    };
    let keypair = Keypair::new_from_array([7; 32]);
    let mint = MintAccounts::derive(&MintKey {
        mint: pubkey!("EM1WnMcHLeMqBFWKoNstRj7qautMwSphqRQVBVw1pump"),
        token_program: TOKEN_2022_PROGRAM,
        creator: curve.creator,
    });
    let user = UserAccounts::derive(keypair.pubkey(), &mint);
    Cached { global, fee_config, curve, mint, user, blockhash: Hash::new_from_array([3; 32]), keypair }
}

fn build_and_sign(c: &Cached, salt: u64) -> Vec<u8> {
    let state = CurveState {
        global: &c.global,
        fee_config: Some(&c.fee_config),
        curve: &c.curve,
        mint_supply: ONE_BILLION_SUPPLY,
    };
    let order = state.plan_buy_for_sol(&BuyBySolRequest { spend: Lamports(100_000_000), slippage: Bps(500) }).unwrap();
    let recipients = FeeRecipients::pick(&c.global, c.curve.is_mayhem_mode, salt);
    let trade =
        LegacyTrade::new(&LegacyTradeParts { curve: &c.curve, mint: &c.mint, user: &c.user, recipients }).unwrap();
    let budget = ComputeBudget { unit_limit: ComputeUnits(120_000), unit_price: MicroLamportsPerCu(250_000) };
    let mut draft = TxDraft::new(c.keypair.pubkey(), budget);
    draft.extend(trade.buy_instructions(&BuyArgs::from_order(&order, true)));
    draft.set_tip(Some(Tip::sender(MIN_TIP_SENDER_MAX, salt)));
    let message = draft.compile(c.blockhash.clone()).unwrap();
    let tx = sign(message, &c.keypair).unwrap();
    serialize(&tx).unwrap()
}

fn bench_buy(cr: &mut Criterion) {
    let c = cached();
    let mut salt = 0u64;
    cr.bench_function("pumpfun_buy_build_sign_serialize", |b| {
        b.iter(|| {
            salt = salt.wrapping_add(1);
            black_box(build_and_sign(black_box(&c), salt))
        });
    });
    cr.bench_function("pumpfun_derive_mint_and_user_pdas_uncached", |b| {
        b.iter(|| {
            let mint = MintAccounts::derive(black_box(&MintKey {
                mint: c.mint.mint,
                token_program: c.mint.token_program,
                creator: c.mint.creator,
            }));
            black_box(UserAccounts::derive(c.keypair.pubkey(), &mint))
        });
    });
}

criterion_group!(benches, bench_buy);
criterion_main!(benches);
