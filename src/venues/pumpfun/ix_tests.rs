#![allow(clippy::unwrap_used, clippy::expect_used)]

use sha2::{Digest, Sha256};
use solana_pubkey::pubkey;

use super::*;
use crate::solana::ids::{ASSOCIATED_TOKEN_PROGRAM, TOKEN_2022_PROGRAM};
use crate::venues::pumpfun::curve::tests::{fresh_curve, test_global};
use crate::venues::pumpfun::pda::MintKey;

fn anchor_disc(name: &str) -> [u8; 8] {
    let h = Sha256::digest(format!("global:{name}").as_bytes());
    let mut d = [0u8; 8];
    d.copy_from_slice(&h[..8]);
    d
}

pub(crate) fn user() -> Pubkey {
    pubkey!("AMDEmVocLtN5ji2gBY7BrmSHEyM5vt6TGszBbg4crMXg")
}

pub(crate) fn sample_trade(curve: &BondingCurve) -> LegacyTrade {
    let mint = MintAccounts::derive(&MintKey {
        mint: pubkey!("EM1WnMcHLeMqBFWKoNstRj7qautMwSphqRQVBVw1pump"),
        token_program: TOKEN_2022_PROGRAM,
        creator: curve.creator,
    });
    let user = UserAccounts::derive(user(), &mint);
    let recipients = FeeRecipients::pick(&test_global(), false, 0);
    LegacyTrade::new(&LegacyTradeParts { curve, mint: &mint, user: &user, recipients }).unwrap()
}

fn flags(ix: &Instruction) -> Vec<(Pubkey, bool, bool)> {
    ix.accounts.iter().map(|a| (a.pubkey, a.is_signer, a.is_writable)).collect()
}

#[test]
fn discriminators_are_anchor_sighashes() {
    assert_eq!(BUY_DISCRIMINATOR, anchor_disc("buy"));
    assert_eq!(BUY_EXACT_SOL_IN_DISCRIMINATOR, anchor_disc("buy_exact_sol_in"));
    assert_eq!(SELL_DISCRIMINATOR, anchor_disc("sell"));
}

#[test]
fn buy_data_matches_the_reference_example() {
    // §1.2: amount 3,500,000,000,000, max 110,000,000, track_volume Some(true), 25 bytes.
    let trade = sample_trade(&fresh_curve());
    let ix = trade.buy(&BuyArgs {
        amount: TokenAmount::new(3_500_000_000_000, 6),
        max_sol_cost: Lamports(110_000_000),
        track_volume: true,
    });
    assert_eq!(hex::encode(&ix.data), "66063d1201daebea00b841e82e03000080778e060000000001");
    assert_eq!(ix.data.len(), 25);
    assert_eq!(ix.program_id, PUMP_PROGRAM);
}

#[test]
fn buy_accounts_follow_the_reference_order_and_flags() {
    let curve = fresh_curve();
    let t = sample_trade(&curve);
    let (m, u, r) = (&t.mint, &t.user, &t.recipients);
    let ix = t.buy(&BuyArgs { amount: TokenAmount::new(1, 6), max_sol_cost: Lamports(2), track_volume: false });
    let expected = vec![
        (GLOBAL, false, false),
        (r.fee_recipient, false, true),
        (m.mint, false, false),
        (m.bonding_curve, false, true),
        (m.associated_bonding_curve, false, true),
        (u.associated_user, false, true),
        (u.user, true, true),
        (SYSTEM_PROGRAM, false, false),
        (TOKEN_2022_PROGRAM, false, false),
        (m.creator_vault, false, true),
        (EVENT_AUTHORITY, false, false),
        (PUMP_PROGRAM, false, false),
        (GLOBAL_VOLUME_ACCUMULATOR, false, false),
        (u.user_volume_accumulator, false, true),
        (FEE_CONFIG, false, false),
        (PUMP_FEES_PROGRAM, false, false),
        (m.bonding_curve_v2, false, false),
        (r.buyback_fee_recipient, false, true),
    ];
    assert_eq!(flags(&ix), expected);
    assert_eq!(*ix.data.last().unwrap(), 0, "track_volume Some(false)");
    let exact = t.buy_exact_sol_in(&BuyExactSolInArgs {
        spendable_sol_in: Lamports(1_000_000_000),
        min_tokens_out: TokenAmount::new(7, 6),
        track_volume: true,
    });
    assert_eq!(flags(&exact), expected);
    assert_eq!(hex::encode(&exact.data), "38fc74089edfcd5f00ca9a3b00000000070000000000000001");
}

#[test]
fn sell_swaps_creator_vault_and_token_program_and_adds_cashback_account() {
    let curve = fresh_curve();
    let t = sample_trade(&curve);
    let ix = t.sell(&SellArgs { amount: TokenAmount::new(1_000_000_000, 6), min_sol_output: Lamports(27_000) });
    assert_eq!(hex::encode(&ix.data), "33e685a4017f83ad00ca9a3b000000007869000000000000");
    let f = flags(&ix);
    assert_eq!(f.len(), 16);
    assert_eq!(f[7], (SYSTEM_PROGRAM, false, false));
    assert_eq!(f[8], (t.mint.creator_vault, false, true));
    assert_eq!(f[9], (TOKEN_2022_PROGRAM, false, false));
    assert_eq!(f[12], (FEE_CONFIG, false, false));
    assert_eq!(f[13], (PUMP_FEES_PROGRAM, false, false));
    assert_eq!(f[14], (t.mint.bonding_curve_v2, false, false));
    assert_eq!(f[15], (t.recipients.buyback_fee_recipient, false, true));
    let cashback = BondingCurve { is_cashback_coin: true, ..curve };
    let t = sample_trade(&cashback);
    let f = flags(&t.sell(&SellArgs { amount: TokenAmount::new(1, 6), min_sol_output: Lamports(0) }));
    assert_eq!(f.len(), 17);
    assert_eq!(f[14], (t.user.user_volume_accumulator, false, true));
    assert_eq!(f[15].0, t.mint.bonding_curve_v2);
}

#[test]
fn the_only_signer_is_the_user() {
    let t = sample_trade(&fresh_curve());
    let ixs =
        t.buy_instructions(&BuyArgs { amount: TokenAmount::new(1, 6), max_sol_cost: Lamports(2), track_volume: true });
    for ix in &ixs {
        for a in ix.accounts.iter().filter(|a| a.is_signer) {
            assert_eq!(a.pubkey, user());
        }
    }
    assert_eq!(ixs[0].program_id, ASSOCIATED_TOKEN_PROGRAM);
    assert_eq!(ixs[0].accounts[1].pubkey, t.user_token_account());
    assert_eq!(ixs[0].accounts[5].pubkey, TOKEN_2022_PROGRAM);
}

#[test]
fn legacy_trades_refuse_unsupported_curves() {
    let curve = fresh_curve();
    let t = sample_trade(&curve);
    let parts = |c| LegacyTradeParts { curve: c, mint: &t.mint, user: &t.user, recipients: t.recipients };
    let usdc = BondingCurve { quote_mint: pubkey!("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"), ..curve };
    assert_eq!(LegacyTrade::new(&parts(&usdc)), Err(IxError::NotSolQuoted));
    let done = BondingCurve { complete: true, ..curve };
    assert_eq!(LegacyTrade::new(&parts(&done)), Err(IxError::Complete));
    let other = BondingCurve { creator: Pubkey::new_from_array([8; 32]), ..curve };
    assert_eq!(LegacyTrade::new(&parts(&other)), Err(IxError::StaleCreator));
}

#[test]
fn fee_recipients_come_from_global_or_the_documented_lists() {
    let mut g = test_global();
    let picked = FeeRecipients::pick(&g, false, 3);
    assert_eq!(picked.fee_recipient, FALLBACK_FEE_RECIPIENTS[3]);
    assert_eq!(picked.buyback_fee_recipient, FALLBACK_BUYBACK_FEE_RECIPIENTS[3]);
    g.fee_recipient = Pubkey::new_from_array([1; 32]);
    g.reserved_fee_recipient = Pubkey::new_from_array([2; 32]);
    assert_eq!(FeeRecipients::pick(&g, false, 5).fee_recipient, g.fee_recipient);
    assert_eq!(FeeRecipients::pick(&g, true, 5).fee_recipient, g.reserved_fee_recipient);
}
