#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use proptest::prelude::*;
use solana_pubkey::pubkey;

use super::*;

/// Raw pump-fees `FeeConfig` of PumpSwap (`5PHi…`), mainnet slot 445186127 (reference
/// `pumpswap/fee-config.mainnet.2026-09-08.decoded.json`).
pub(crate) fn amm_fee_config_bytes() -> Vec<u8> {
    let b64 = include_str!("../../../tests/fixtures/pumpfun/fee_config.pump_amm.mainnet.2026-09-08.b64");
    base64::engine::general_purpose::STANDARD.decode(b64.trim()).unwrap()
}

/// A `BondingCurve` as written after the mainnet TradeEvent of slot 452024288 (reserves copied
/// from the event), in the 151-byte allocation some live curves have.
pub(crate) fn curve_bytes_after_sample_trade() -> Vec<u8> {
    let mut d = BONDING_CURVE_DISCRIMINATOR.to_vec();
    d.extend_from_slice(&1_048_500_803_494_126u64.to_le_bytes()); // virtual_token_reserves
    d.extend_from_slice(&30_700_977_905u64.to_le_bytes()); // virtual_quote_reserves
    d.extend_from_slice(&768_600_803_494_126u64.to_le_bytes()); // real_token_reserves
    d.extend_from_slice(&700_977_905u64.to_le_bytes()); // real_quote_reserves
    d.extend_from_slice(&1_000_000_000_000_000u64.to_le_bytes()); // token_total_supply
    d.push(0); // complete
    d.extend_from_slice(pubkey!("39c8JbwsHBZKibzBACZg3g6EDUuKxYHZ6Uot39jJAE6v").as_ref());
    d.push(0); // is_mayhem_mode
    d.push(0); // is_cashback_coin
    d.extend_from_slice(&[0; 32]); // quote_mint = SOL
    d.extend_from_slice(&0u64.to_le_bytes()); // creator_fee_bps
    d.push(0);
    d.push(0);
    d.resize(151, 0);
    d
}

#[test]
fn decodes_the_mainnet_pump_amm_fee_config() {
    let cfg = FeeConfig::decode(&amm_fee_config_bytes()).unwrap();
    assert_eq!(cfg.bump, 255);
    assert_eq!(cfg.admin, pubkey!("FFWtrEQ4B4PKQoVuHYzZq8FabGkVatYzDpEVHsK5rrhF"));
    assert_eq!(cfg.flat_fees, Fees { lp_fee_bps: 25, protocol_fee_bps: 5, creator_fee_bps: 0 });
    assert_eq!(cfg.fee_tiers.len(), 25);
    assert_eq!(cfg.fee_tiers[0].market_cap_threshold, 0);
    assert_eq!(cfg.fee_tiers[0].fees, Fees { lp_fee_bps: 2, protocol_fee_bps: 93, creator_fee_bps: 30 });
    assert_eq!(cfg.fee_tiers[1].market_cap_threshold, 420_000_000_000);
    assert_eq!(cfg.fee_tiers[1].fees, Fees { lp_fee_bps: 20, protocol_fee_bps: 5, creator_fee_bps: 95 });
    assert_eq!(cfg.fee_tiers[24].market_cap_threshold, 98_240_000_000_000);
    assert_eq!(cfg.fee_tiers[24].fees.creator_fee_bps, 5);
    assert_eq!(cfg.stable_fee_tiers[1].market_cap_threshold, 59_000_000_000);
    // The account predates `exotic_flat_fees`: zero-padded.
    assert_eq!(cfg.exotic_flat_fees, Fees::default());
}

#[test]
fn tier_selection_follows_the_program_rule() {
    let cfg = FeeConfig::decode(&amm_fee_config_bytes()).unwrap();
    let tiers = &cfg.fee_tiers;
    assert_eq!(FeeConfig::select_tier(tiers, 0).unwrap().protocol_fee_bps, 93);
    assert_eq!(FeeConfig::select_tier(tiers, 419_999_999_999).unwrap().protocol_fee_bps, 93);
    assert_eq!(FeeConfig::select_tier(tiers, 420_000_000_000).unwrap().creator_fee_bps, 95);
    assert_eq!(FeeConfig::select_tier(tiers, u128::MAX).unwrap().creator_fee_bps, 5);
    let shifted = [FeeTier { market_cap_threshold: 10, fees: Fees { protocol_fee_bps: 7, ..Fees::default() } }];
    assert_eq!(FeeConfig::select_tier(&shifted, 3).unwrap().protocol_fee_bps, 7);
    assert_eq!(FeeConfig::select_tier(&[], 3), None);
}

#[test]
fn fee_config_with_a_lying_vec_length_is_refused() {
    let mut bytes = amm_fee_config_bytes();
    // fee_tiers length prefix sits after disc(8) + bump(1) + admin(32) + flat_fees(24) = 65.
    bytes[65..69].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(FeeConfig::decode(&bytes), Err(DecodeError::BadVecLength { claimed: u32::MAX }));
}

#[test]
fn decodes_a_bonding_curve_of_any_live_length() {
    let full = curve_bytes_after_sample_trade();
    let c = BondingCurve::decode(&full).unwrap();
    assert_eq!(c.virtual_token_reserves, 1_048_500_803_494_126);
    assert_eq!(c.virtual_quote_reserves, 30_700_977_905);
    assert_eq!(c.real_quote_reserves, 700_977_905);
    assert!(c.has_creator() && c.is_sol_quoted() && !c.complete);
    for len in [49usize, 81, 82, 115, 124, 125, 150, 166] {
        let short = BondingCurve::decode(&full[..len.min(full.len())]).unwrap();
        assert_eq!(short.virtual_quote_reserves, c.virtual_quote_reserves, "len {len}");
    }
    // 49 bytes: the creator is zero-padded away.
    assert!(!BondingCurve::decode(&full[..49]).unwrap().has_creator());
}

#[test]
fn wrong_discriminators_are_refused() {
    let curve = curve_bytes_after_sample_trade();
    assert!(matches!(Global::decode(&curve), Err(DecodeError::WrongDiscriminator { .. })));
    assert!(matches!(FeeConfig::decode(&curve), Err(DecodeError::WrongDiscriminator { .. })));
    assert!(matches!(BondingCurve::decode(&amm_fee_config_bytes()), Err(DecodeError::WrongDiscriminator { .. })));
    assert_eq!(BondingCurve::decode(&[]), Err(DecodeError::TooShort { len: 0 }));
}

#[test]
fn global_fields_land_at_the_documented_offsets() {
    let mut d = vec![0u8; 1087];
    d[..8].copy_from_slice(&GLOBAL_DISCRIMINATOR);
    d[73..81].copy_from_slice(&1_073_000_000_000_000u64.to_le_bytes());
    d[81..89].copy_from_slice(&30_000_000_000u64.to_le_bytes());
    d[105..113].copy_from_slice(&95u64.to_le_bytes());
    d[162..194].copy_from_slice(&[7; 32]);
    d[741..773].copy_from_slice(&[9; 32]);
    d[997..1005].copy_from_slice(&5000u64.to_le_bytes());
    d[1045] = 1;
    d[1086] = 1;
    let g = Global::decode(&d).unwrap();
    assert_eq!(g.initial_virtual_token_reserves, 1_073_000_000_000_000);
    assert_eq!(g.initial_virtual_sol_reserves, 30_000_000_000);
    assert_eq!(g.fee_basis_points, 95);
    assert_eq!(g.fee_recipients[0], Pubkey::new_from_array([7; 32]));
    assert_eq!(g.buyback_fee_recipients[0], Pubkey::new_from_array([9; 32]));
    assert_eq!(g.buyback_basis_points, 5000);
    assert!(g.creator_fee_configurable && g.is_holder_reward_enabled);
    // [crate] 0.5.0 size 1088 decodes too.
    d.push(3);
    assert_eq!(Global::decode(&d).unwrap(), g);
}

proptest! {
    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..600), disc in 0usize..4) {
        let mut data = data;
        let discs = [GLOBAL_DISCRIMINATOR, BONDING_CURVE_DISCRIMINATOR, FEE_CONFIG_DISCRIMINATOR, [0; 8]];
        if data.len() >= 8 {
            data[..8].copy_from_slice(&discs[disc]);
        }
        let _ = Global::decode(&data);
        let _ = BondingCurve::decode(&data);
        let _ = FeeConfig::decode(&data);
    }
}
