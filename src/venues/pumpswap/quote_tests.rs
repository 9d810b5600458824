#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use solana_pubkey::Pubkey;

use super::*;
use crate::venues::pumpfun::accounts::tests::amm_fee_config_bytes;
use crate::venues::pumpswap::accounts::GLOBAL_CONFIG_DISCRIMINATOR;

pub(crate) const GRAD_BASE: u64 = 206_900_000_000_000;
pub(crate) const GRAD_QUOTE: u64 = 84_990_359_000;

pub(crate) fn global_config() -> GlobalConfig {
    let mut d = GLOBAL_CONFIG_DISCRIMINATOR.to_vec();
    d.resize(949, 0);
    let mut g = GlobalConfig::decode(&d).unwrap();
    (g.lp_fee_basis_points, g.protocol_fee_basis_points, g.coin_creator_fee_basis_points) = (20, 5, 5);
    g
}

pub(crate) fn graduate_pool() -> Pool {
    Pool {
        base_mint: Pubkey::new_from_array([1; 32]),
        quote_mint: WSOL_MINT,
        pool_base_token_account: Pubkey::new_from_array([2; 32]),
        pool_quote_token_account: Pubkey::new_from_array([3; 32]),
        coin_creator: Pubkey::new_from_array([4; 32]),
        ..Pool::default()
    }
}

pub(crate) fn fee_config() -> FeeConfig {
    FeeConfig::decode(&amm_fee_config_bytes()).unwrap()
}

fn state<'a>(pool: &'a Pool, g: &'a GlobalConfig, cfg: &'a FeeConfig, reserves: PoolReserves) -> PoolState<'a> {
    PoolState {
        pool,
        global_config: g,
        fee_config: Some(cfg),
        reserves,
        base_mint_supply: 1_000_000_000_000_000,
        base_decimals: 6,
        canonical: true,
    }
}

const GRAD: PoolReserves = PoolReserves { base: GRAD_BASE, quote: Lamports(GRAD_QUOTE) };

#[test]
fn a_fresh_graduate_sits_in_the_first_live_tier() {
    // mcap = 84,990,359,000 · 1e15 / 206.9e12 = 410,779,888,835 lamports (≈ 410.8 SOL) < 420 SOL.
    let (p, g, cfg) = (graduate_pool(), global_config(), fee_config());
    let fees = state(&p, &g, &cfg, GRAD).fees().unwrap();
    assert_eq!((fees.lp_fee_bps, fees.protocol_fee_bps, fees.creator_fee_bps), (2, 93, 30));
    // Past 420 SOL the creator share jumps to 95 bps.
    let rich = PoolReserves { base: GRAD_BASE, quote: Lamports(90_000_000_000) };
    assert_eq!(state(&p, &g, &cfg, rich).fees().unwrap().creator_fee_bps, 95);
}

#[test]
fn buy_exact_base_rounds_the_price_and_each_fee_up() {
    // q = ceil(84,990,359,000 · 1e9 / (206.9e12 − 1e9)) = ceil(410,781.87) = 410,782
    // lp = ceil(82.16) = 83, protocol = ceil(3,820.27) = 3,821, creator = ceil(1,232.35) = 1,233
    // total = 410,782 + 83 + 3,821 + 1,233 = 415,919
    let (p, g, cfg) = (graduate_pool(), global_config(), fee_config());
    let q = state(&p, &g, &cfg, GRAD).quote_buy_exact_base(TokenAmount::new(1_000_000_000, 6)).unwrap();
    assert_eq!(
        (q.quote_in.0, q.lp_fee.0, q.protocol_fee.0, q.creator_fee.0, q.quote_total.0),
        (410_782, 83, 3_821, 1_233, 415_919)
    );
}

#[test]
fn sell_floors_the_output_and_takes_every_fee() {
    // out = floor(84,990,359,000 · 1e9 / (206.9e12 + 1e9)) = floor(410,777.90) = 410,777
    // fees 83 + 3,821 + 1,233 = 5,137 → receive 405,640
    let (p, g, cfg) = (graduate_pool(), global_config(), fee_config());
    let q = state(&p, &g, &cfg, GRAD).quote_sell(TokenAmount::new(1_000_000_000, 6)).unwrap();
    assert_eq!((q.quote_gross.0, q.quote_out.0), (410_777, 405_640));
}

#[test]
fn buy_exact_quote_in_follows_the_budget_rule() {
    // eff = floor(1e9 · 10,000 / 10,125) = 987,654,320; fees 197,531 + 9,185,186 + 2,962,963
    // = 12,345,680; eff + fees = 1e9 exactly, no shave.
    // base = floor(206.9e12 · 987,654,319 / (84,990,359,000 + 987,654,319)) = 2,376,720,171,969
    let (p, g, cfg) = (graduate_pool(), global_config(), fee_config());
    let o = state(&p, &g, &cfg, GRAD).plan_buy_exact_quote_in(Lamports(1_000_000_000), Bps(100)).unwrap();
    assert_eq!(o.quote.base_out.raw, 2_376_720_171_969);
    assert_eq!(o.quote.quote_total, Lamports(1_000_000_000));
    // floor(2,376,720,171,969 · 0.99) = 2,352,952,970,249
    assert_eq!(o.min_base_out.raw, 2_352_952_970_249);
}

#[test]
fn boost_adds_virtual_quote_but_sellers_need_real_lamports() {
    let (g, cfg) = (global_config(), fee_config());
    let boosted = Pool { virtual_quote_reserves: 17_584_500_000, ..graduate_pool() };
    let real = PoolReserves { base: GRAD_BASE, quote: Lamports(GRAD_QUOTE - 17_584_500_000) };
    let plain_pool = graduate_pool();
    let s = state(&boosted, &g, &cfg, real);
    let plain = state(&plain_pool, &g, &cfg, GRAD);
    let one_k = TokenAmount::new(1_000_000_000, 6);
    assert_eq!(s.quote_buy_exact_base(one_k).unwrap(), plain.quote_buy_exact_base(one_k).unwrap());
    // Selling a pool's worth of base would need more real quote than the vault holds.
    assert_eq!(s.quote_sell(TokenAmount::new(GRAD_BASE * 4, 6)), Err(AmmError::InsufficientLiquidity));
    assert!(plain.quote_sell(TokenAmount::new(GRAD_BASE * 4, 6)).is_ok());
}

#[test]
fn fee_sources_follow_pool_kind_and_creator() {
    let (g, cfg) = (global_config(), fee_config());
    let p = graduate_pool();
    let flat = PoolState { canonical: false, ..state(&p, &g, &cfg, GRAD) };
    assert_eq!(flat.fees().unwrap(), Fees { lp_fee_bps: 25, protocol_fee_bps: 5, creator_fee_bps: 0 });
    let fallback = PoolState { fee_config: None, ..state(&p, &g, &cfg, GRAD) };
    assert_eq!(fallback.fees().unwrap(), Fees { lp_fee_bps: 20, protocol_fee_bps: 5, creator_fee_bps: 5 });
    let no_creator = Pool { coin_creator: Pubkey::default(), ..p };
    assert_eq!(state(&no_creator, &g, &cfg, GRAD).fees().unwrap().creator_fee_bps, 0);
    // Without a FeeConfig the SDK takes GlobalConfig's rates as they are: a pool's own creator
    // fee is not applied (it used to be, making quotes 0.1-0.6 % low).
    let configurable = GlobalConfig { creator_fee_configurable: true, ..g.clone() };
    let own_fee = Pool { creator_fee_bps: 60, ..p };
    let fallback = PoolState { fee_config: None, ..state(&own_fee, &configurable, &cfg, GRAD) };
    assert_eq!(fallback.fees().unwrap(), Fees { lp_fee_bps: 20, protocol_fee_bps: 5, creator_fee_bps: 5 });
    assert_eq!(state(&own_fee, &configurable, &cfg, GRAD).fees().unwrap().creator_fee_bps, 60);
    let usdc = Pool { quote_mint: USDC_MINT, ..p };
    assert_eq!(state(&usdc, &g, &cfg, GRAD).quote_sell(TokenAmount::new(1, 6)), Err(AmmError::NotSolQuoted));
}

proptest! {
    #[test]
    fn pool_quotes_never_panic_and_bounds_bracket_quotes(
        base in any::<u64>(), quote in any::<u64>(), virt in any::<i128>(), amount in any::<u64>(),
        bps in 0u16..=10_000, supply in any::<u64>(), canonical in any::<bool>(),
    ) {
        let (g, cfg) = (global_config(), fee_config());
        let pool = Pool { virtual_quote_reserves: virt % (1i128 << 80), ..graduate_pool() };
        let s = PoolState { base_mint_supply: supply, canonical, ..state(&pool, &g, &cfg, PoolReserves { base, quote: Lamports(quote) }) };
        let t = TokenAmount::new(amount, 6);
        if let Ok(o) = s.plan_buy(t, Bps(bps)) {
            prop_assert!(o.max_quote_in >= o.quote.quote_total);
        }
        if let Ok(o) = s.plan_buy_exact_quote_in(Lamports(amount), Bps(bps)) {
            prop_assert!(o.min_base_out.raw <= o.quote.base_out.raw);
            prop_assert!(o.quote.quote_total.0 <= amount);
        }
        if let Ok(o) = s.plan_sell(t, Bps(bps)) {
            prop_assert!(o.min_quote_out <= o.quote.quote_out);
            prop_assert!(o.quote.quote_out <= o.quote.quote_gross);
        }
    }
}
