#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use solana_pubkey::{Pubkey, pubkey};

use super::*;
use crate::venues::pumpfun::accounts::{FeeTier, GLOBAL_DISCRIMINATOR};

pub(crate) fn test_global() -> Global {
    let mut data = GLOBAL_DISCRIMINATOR.to_vec();
    data.resize(1087, 0);
    let mut g = Global::decode(&data).unwrap();
    g.initial_virtual_token_reserves = 1_073_000_000_000_000;
    g.initial_virtual_sol_reserves = 30_000_000_000;
    g.initial_real_token_reserves = 793_100_000_000_000;
    g.token_total_supply = 1_000_000_000_000_000;
    g.fee_basis_points = 95;
    g.creator_fee_basis_points = 30;
    g
}

/// The bonding-curve FeeConfig as observed on mainnet 2026-09-25: one tier, 0 / 95 / 30.
pub(crate) fn mainnet_curve_fee_config() -> FeeConfig {
    FeeConfig {
        bump: 255,
        admin: Pubkey::default(),
        flat_fees: Fees::default(),
        fee_tiers: vec![FeeTier {
            market_cap_threshold: 0,
            fees: Fees { lp_fee_bps: 0, protocol_fee_bps: 95, creator_fee_bps: 30 },
        }],
        stable_fee_tiers: vec![],
        exotic_flat_fees: Fees::default(),
    }
}

pub(crate) fn fresh_curve() -> BondingCurve {
    BondingCurve {
        virtual_token_reserves: 1_073_000_000_000_000,
        virtual_quote_reserves: 30_000_000_000,
        real_token_reserves: 793_100_000_000_000,
        real_quote_reserves: 0,
        token_total_supply: 1_000_000_000_000_000,
        creator: pubkey!("39c8JbwsHBZKibzBACZg3g6EDUuKxYHZ6Uot39jJAE6v"),
        ..BondingCurve::default()
    }
}

fn state<'a>(g: &'a Global, cfg: &'a FeeConfig, c: &'a BondingCurve) -> CurveState<'a> {
    CurveState { global: g, fee_config: Some(cfg), curve: c, mint_supply: ONE_BILLION_SUPPLY }
}

const TOKENS_1K: TokenAmount = TokenAmount { raw: 1_000_000_000, decimals: 6 };

#[test]
fn buying_exact_tokens_reproduces_the_mainnet_trade_event() {
    // TradeEvent slot 452024288 (legacy `buy`): token_amount 24,464,225,852,094,
    // sol_amount 700,000,128, fee 6,650,002 (95 bps), creator_fee 2,100,001 (30 bps).
    // Pre-trade reserves = post-trade reserves with the trade undone:
    //   vS = 30,700,977,905 − 700,000,128 = 30,000,977,777
    //   vT = 1,048,500,803,494,126 + 24,464,225,852,094 = 1,072,965,029,346,220
    // cost = floor(24,464,225,852,094 · 30,000,977,777 / (1,072,965,029,346,220 − 24,464,225,852,094)) + 1
    //      = floor(7.339…e23 / 1,048,500,803,494,126) + 1 = 700,000,127 + 1 = 700,000,128
    // fee  = ceil(700,000,128 · 95 / 10 000) = ceil(6,650,001.216) = 6,650,002
    // cfee = ceil(700,000,128 · 30 / 10 000) = ceil(2,100,000.384) = 2,100,001
    let (g, cfg) = (test_global(), mainnet_curve_fee_config());
    let curve = BondingCurve {
        virtual_token_reserves: 1_072_965_029_346_220,
        virtual_quote_reserves: 30_000_977_777,
        real_token_reserves: 793_065_029_346_220,
        real_quote_reserves: 977_777,
        ..fresh_curve()
    };
    let q = state(&g, &cfg, &curve).quote_buy_exact_tokens(TokenAmount::new(24_464_225_852_094, 6)).unwrap();
    assert_eq!(q.sol_to_curve, Lamports(700_000_128));
    assert_eq!(q.protocol_fee, Lamports(6_650_002));
    assert_eq!(q.creator_fee, Lamports(2_100_001));
    assert_eq!(q.sol_total, Lamports(700_000_128 + 6_650_002 + 2_100_001));
    assert!(!q.capped);
}

#[test]
fn one_sol_buy_exact_sol_in_on_a_fresh_curve() {
    // net  = floor(1e9 · 10 000 / 10 125) = floor(987,654,320.98) = 987,654,320
    // fees = ceil(987,654,320 · 95/1e4) + ceil(987,654,320 · 30/1e4)
    //      = ceil(9,382,716.04) + ceil(2,962,962.96) = 9,382,717 + 2,962,963 = 12,345,680
    // net + fees = 1,000,000,000 = S, no shave.
    // tokens = floor(987,654,319 · 1.073e15 / (30e9 + 987,654,319)) = 34,199,203,120,618
    // (reference §1.7: "program rule … 34,199,203,120,618").
    let (g, cfg, c) = (test_global(), mainnet_curve_fee_config(), fresh_curve());
    let q = state(&g, &cfg, &c).quote_buy_exact_sol_in(Lamports(1_000_000_000)).unwrap();
    assert_eq!(q.tokens_out, TokenAmount::new(34_199_203_120_618, 6));
    // Price of exactly those tokens: floor(t·vS/(vT−t)) + 1 ≤ net, fees on top, total ≤ S.
    assert!(q.sol_to_curve.0 <= 987_654_320);
    assert!(q.sol_total.0 <= 1_000_000_000);
}

#[test]
fn thousand_tokens_cost_and_sale_on_a_fresh_curve() {
    // buy 1e9 raw: cost = floor(1e9 · 3e10 / (1.073e15 − 1e9)) + 1 = floor(27,959.03) + 1 = 27,960
    //   fees: ceil(27,960·95/1e4) = ceil(265.62) = 266; ceil(27,960·30/1e4) = ceil(83.88) = 84
    //   total = 27,960 + 266 + 84 = 28,310 (reference §1.7)
    // sell 1e9 raw: gross = floor(1e9 · 3e10 / (1.073e15 + 1e9)) = floor(27,958.97) = 27,958
    //   fees: ceil(265.601) = 266; ceil(83.874) = 84; out = 27,958 − 350 = 27,608 (reference §1.7)
    let (g, cfg, mut c) = (test_global(), mainnet_curve_fee_config(), fresh_curve());
    c.real_quote_reserves = 1_000_000;
    let s = state(&g, &cfg, &c);
    let buy = s.quote_buy_exact_tokens(TOKENS_1K).unwrap();
    assert_eq!((buy.sol_to_curve.0, buy.protocol_fee.0, buy.creator_fee.0, buy.sol_total.0), (27_960, 266, 84, 28_310));
    let sell = s.quote_sell(TOKENS_1K).unwrap();
    assert_eq!(
        (sell.sol_from_curve.0, sell.protocol_fee.0, sell.creator_fee.0, sell.sol_out.0),
        (27_958, 266, 84, 27_608)
    );
}

#[test]
fn no_creator_means_no_creator_fee() {
    let (g, cfg) = (test_global(), mainnet_curve_fee_config());
    let c = BondingCurve { creator: Pubkey::default(), ..fresh_curve() };
    let q = state(&g, &cfg, &c).quote_buy_exact_tokens(TOKENS_1K).unwrap();
    // 27,960 + 266 = 28,226
    assert_eq!((q.creator_fee.0, q.sol_total.0), (0, 28_226));
}

#[test]
fn creator_fee_override_needs_the_global_switch() {
    let (mut g, cfg) = (test_global(), mainnet_curve_fee_config());
    let c = BondingCurve { creator_fee_bps: 100, ..fresh_curve() };
    assert_eq!(state(&g, &cfg, &c).fee_rates().unwrap().creator_bps, 30);
    g.creator_fee_configurable = true;
    assert_eq!(state(&g, &cfg, &c).fee_rates().unwrap().creator_bps, 100);
}

#[test]
fn fee_tier_is_picked_by_market_cap() {
    let g = test_global();
    let mut cfg = mainnet_curve_fee_config();
    cfg.fee_tiers.push(FeeTier {
        market_cap_threshold: 100_000_000_000, // 100 SOL
        fees: Fees { lp_fee_bps: 0, protocol_fee_bps: 50, creator_fee_bps: 10 },
    });
    // Fresh curve mcap = 3e10 · 1e15 / 1.073e15 = 27,958,993,476 lamports (≈ 28 SOL): tier 0.
    let c = fresh_curve();
    assert_eq!(state(&g, &cfg, &c).fee_rates().unwrap(), CurveFeeRates { protocol_bps: 95, creator_bps: 30 });
    // vS = 115e9, vT = 279.9e12 → mcap ≈ 410.9 SOL: tier 1.
    let grad =
        BondingCurve { virtual_quote_reserves: 115_005_359_000, virtual_token_reserves: 279_900_000_000_000, ..c };
    assert_eq!(state(&g, &cfg, &grad).fee_rates().unwrap(), CurveFeeRates { protocol_bps: 50, creator_bps: 10 });
    // Without a FeeConfig the legacy Global fees apply.
    let legacy = CurveState { fee_config: None, ..state(&g, &cfg, &c) };
    assert_eq!(legacy.fee_rates().unwrap(), CurveFeeRates { protocol_bps: 95, creator_bps: 30 });
}

#[test]
fn complete_and_migrated_curves_are_refused() {
    let (g, cfg) = (test_global(), mainnet_curve_fee_config());
    let done = BondingCurve { complete: true, ..fresh_curve() };
    assert_eq!(state(&g, &cfg, &done).quote_buy_exact_tokens(TOKENS_1K), Err(CurveError::Complete));
    let gone = BondingCurve { virtual_token_reserves: 0, ..fresh_curve() };
    assert_eq!(state(&g, &cfg, &gone).quote_sell(TOKENS_1K), Err(CurveError::Migrated));
}

#[test]
fn buys_past_the_remaining_supply_are_capped() {
    let (g, cfg) = (test_global(), mainnet_curve_fee_config());
    let c = BondingCurve { real_token_reserves: 5_000_000, ..fresh_curve() };
    let q = state(&g, &cfg, &c).quote_buy_exact_tokens(TokenAmount::new(u64::MAX, 6)).unwrap();
    assert_eq!(q.tokens_out.raw, 5_000_000);
    assert!(q.capped);
}

#[test]
fn slippage_bounds_round_in_the_safe_direction() {
    let (g, cfg, c) = (test_global(), mainnet_curve_fee_config(), fresh_curve());
    let s = state(&g, &cfg, &c);
    // 1% on 28,310: ceil(28,310 · 1.01) = ceil(28,593.1) = 28,594.
    let order = s.plan_buy_exact_tokens(&BuyTokensRequest { tokens: TOKENS_1K, slippage: Bps(100) }).unwrap();
    assert_eq!(order.max_sol_cost, Lamports(28_594));
    let by_sol =
        s.plan_buy_exact_sol_in(&BuyBySolRequest { spend: Lamports(1_000_000_000), slippage: Bps(500) }).unwrap();
    // floor(34,199,203,120,618 · 0.95) = 32,489,242,964,587
    assert_eq!(by_sol.min_tokens_out.raw, 32_489_242_964_587);
}

fn arb_curve() -> impl Strategy<Value = BondingCurve> {
    (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>(), any::<bool>(), any::<u64>()).prop_map(
        |(vt, vs, rt, rs, creator, cfee)| BondingCurve {
            virtual_token_reserves: vt,
            virtual_quote_reserves: vs,
            real_token_reserves: rt,
            real_quote_reserves: rs,
            creator: if creator { Pubkey::new_from_array([1; 32]) } else { Pubkey::default() },
            creator_fee_bps: cfee,
            ..BondingCurve::default()
        },
    )
}

fn arb_fee_config() -> impl Strategy<Value = FeeConfig> {
    (any::<u64>(), any::<u64>(), 0u64..2_000, 0u64..2_000, any::<bool>()).prop_map(|(a, b, p, c, huge)| {
        let mut cfg = mainnet_curve_fee_config();
        let (p, c) = if huge { (a, b) } else { (p, c) };
        cfg.fee_tiers[0].fees = Fees { lp_fee_bps: 0, protocol_fee_bps: p, creator_fee_bps: c };
        cfg
    })
}

proptest! {
    #[test]
    fn quotes_never_panic_over_full_u64_ranges(
        curve in arb_curve(), cfg in arb_fee_config(), amount in any::<u64>(), bps in any::<u16>(), configurable in any::<bool>(),
    ) {
        let mut g = test_global();
        g.creator_fee_configurable = configurable;
        let s = state(&g, &cfg, &curve);
        let tokens = TokenAmount::new(amount, 6);
        let _ = s.plan_buy_exact_tokens(&BuyTokensRequest { tokens, slippage: Bps(bps) });
        let _ = s.plan_buy_exact_sol_in(&BuyBySolRequest { spend: Lamports(amount), slippage: Bps(bps) });
        let _ = s.plan_buy_for_sol(&BuyBySolRequest { spend: Lamports(amount), slippage: Bps(bps) });
        let _ = s.plan_sell(&SellRequest { tokens, slippage: Bps(bps) });
    }

    #[test]
    fn bounds_bracket_the_quote_and_fees_are_ceiled(
        curve in arb_curve(), amount in 1u64..=u64::MAX, bps in 0u16..=10_000,
    ) {
        let (g, cfg) = (test_global(), mainnet_curve_fee_config());
        let s = state(&g, &cfg, &curve);
        let tokens = TokenAmount::new(amount, 6);
        if let Ok(o) = s.plan_buy_exact_tokens(&BuyTokensRequest { tokens, slippage: Bps(bps) }) {
            prop_assert!(o.max_sol_cost >= o.quote.sol_total);
            let cost = u128::from(o.quote.sol_to_curve.0);
            prop_assert_eq!(u128::from(o.quote.protocol_fee.0), (cost * 95).div_ceil(10_000));
            prop_assert_eq!(o.quote.sol_total.0, o.quote.sol_to_curve.0 + o.quote.protocol_fee.0 + o.quote.creator_fee.0);
        }
        if let Ok(o) = s.plan_buy_exact_sol_in(&BuyBySolRequest { spend: Lamports(amount), slippage: Bps(bps) }) {
            prop_assert!(o.min_tokens_out.raw <= o.quote.tokens_out.raw);
            prop_assert!(o.quote.sol_total.0 <= amount, "charged {} > spend {}", o.quote.sol_total.0, amount);
        }
        if let Ok(o) = s.plan_sell(&SellRequest { tokens, slippage: Bps(bps) }) {
            prop_assert!(o.min_sol_output <= o.quote.sol_out);
            let gross = u128::from(o.quote.sol_from_curve.0);
            prop_assert_eq!(u128::from(o.quote.creator_fee.0), if curve.creator == Pubkey::default() { 0 } else { (gross * 30).div_ceil(10_000) });
            prop_assert!(o.quote.sol_out.0 <= o.quote.sol_from_curve.0);
        }
    }
}
