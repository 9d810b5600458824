#![allow(clippy::unwrap_used, clippy::expect_used)]

use sha2::{Digest, Sha256};
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_signer::Signer;

use super::*;
use crate::solana::ids::{TOKEN_2022_PROGRAM, TOKEN_PROGRAM};
use crate::solana::instructions::{ComputeUnits, MicroLamportsPerCu};
use crate::solana::policy::{PolicyScope, TxPolicy};
use crate::solana::tip::{MIN_TIP_SENDER_MAX, Tip};
use crate::solana::tx::{ComputeBudget, TxDraft, signed_size};
use crate::venues::pumpswap::accounts::Pool;
use crate::venues::pumpswap::quote::tests::{global_config, graduate_pool};

fn anchor_disc(name: &str) -> [u8; 8] {
    let h = Sha256::digest(format!("global:{name}").as_bytes());
    let mut d = [0u8; 8];
    d.copy_from_slice(&h[..8]);
    d
}

fn trade(pool: &Pool, user: Pubkey) -> AmmTrade {
    let accounts = PoolAccounts::derive(Pubkey::new_from_array([9; 32]), pool, TOKEN_2022_PROGRAM);
    let u = AmmUserAccounts::derive(user, &accounts);
    AmmTrade::new(&accounts, &u, AmmFeeRecipients::pick(&global_config(), false, 2)).unwrap()
}

fn keys(ix: &Instruction) -> Vec<(Pubkey, bool, bool)> {
    ix.accounts.iter().map(|a| (a.pubkey, a.is_signer, a.is_writable)).collect()
}

const BUY: AmmBuyArgs = AmmBuyArgs {
    base_out: TokenAmount { raw: 1_000_000_000, decimals: 6 },
    max_quote_in: Lamports(420_000),
    track_volume: true,
};
const SELL: AmmSellArgs =
    AmmSellArgs { base_in: TokenAmount { raw: 1_000_000_000, decimals: 6 }, min_quote_out: Lamports(400_000) };

#[test]
fn discriminators_are_anchor_sighashes() {
    assert_eq!(BUY_DISCRIMINATOR, anchor_disc("buy"));
    assert_eq!(BUY_EXACT_QUOTE_IN_DISCRIMINATOR, anchor_disc("buy_exact_quote_in"));
    assert_eq!(SELL_DISCRIMINATOR, anchor_disc("sell"));
    assert_eq!(EXTEND_ACCOUNT_DISCRIMINATOR, anchor_disc("extend_account"));
}

#[test]
fn buy_has_26_accounts_in_reference_order() {
    let user = Pubkey::new_from_array([5; 32]);
    let t = trade(&graduate_pool(), user);
    let ix = t.buy(&BUY);
    // disc ‖ 1e9 LE (00ca9a3b…) ‖ 420,000 = 0x0668a0 LE (a06806…) ‖ track_volume 01
    assert_eq!(hex::encode(&ix.data), "66063d1201daebea00ca9a3b00000000a06806000000000001");
    let k = keys(&ix);
    assert_eq!(k.len(), 26);
    assert_eq!(k[0], (t.pool.pool, false, true));
    assert_eq!(k[1], (user, true, true));
    assert_eq!(k[2], (GLOBAL_CONFIG, false, false));
    assert_eq!(k[6], (t.user.user_quote_token_account, false, true));
    assert_eq!(k[9], (t.recipients.protocol_fee_recipient, false, false));
    assert_eq!(k[10], (t.recipients.protocol_fee_recipient_token_account, false, true));
    assert_eq!(k[11], (TOKEN_2022_PROGRAM, false, false));
    assert_eq!(k[12], (TOKEN_PROGRAM, false, false));
    assert_eq!(k[17], (t.pool.coin_creator_vault_ata, false, true));
    assert_eq!(k[19], (GLOBAL_VOLUME_ACCUMULATOR, false, false));
    assert_eq!(k[20], (t.user.user_volume_accumulator, false, true));
    assert_eq!(k[21], (FEE_CONFIG, false, false));
    assert_eq!(k[22], (PUMP_FEES_PROGRAM, false, false));
    assert_eq!(k[23], (t.pool.pool_v2.unwrap(), false, false));
    assert_eq!(k[24], (t.recipients.buyback_fee_recipient, false, false));
    assert_eq!(k[25], (t.recipients.buyback_fee_recipient_token_account, false, true));
    assert_eq!(k.iter().filter(|a| a.1).count(), 1);
}

#[test]
fn account_totals_match_the_reference_table() {
    let user = Pubkey::new_from_array([5; 32]);
    let plain = trade(&graduate_pool(), user);
    let cashback = trade(&Pool { is_cashback_coin: true, ..graduate_pool() }, user);
    assert_eq!(plain.buy(&BUY).accounts.len(), 26);
    assert_eq!(cashback.buy(&BUY).accounts.len(), 27);
    assert_eq!(plain.sell(&SELL).accounts.len(), 24);
    let sell = cashback.sell(&SELL);
    assert_eq!(sell.accounts.len(), 26);
    assert_eq!(sell.accounts[21].pubkey, cashback.user.user_volume_accumulator_quote_ata);
    assert_eq!(sell.accounts[22].pubkey, cashback.user.user_volume_accumulator);
    assert_eq!(plain.sell(&SELL).accounts[19].pubkey, FEE_CONFIG);
    // No coin creator: no pool_v2.
    let orphan = trade(&Pool { coin_creator: Pubkey::default(), ..graduate_pool() }, user);
    assert_eq!(orphan.buy(&BUY).accounts.len(), 25);
}

#[test]
fn buys_wrap_and_unwrap_wsol_around_the_swap() {
    let user = Pubkey::new_from_array([5; 32]);
    let t = trade(&graduate_pool(), user);
    let ixs = t.buy_instructions(&BUY);
    let programs: Vec<Pubkey> = ixs.iter().map(|i| i.program_id).collect();
    assert_eq!(
        programs,
        vec![
            ASSOCIATED_TOKEN_PROGRAM,
            ASSOCIATED_TOKEN_PROGRAM,
            SYSTEM_PROGRAM,
            TOKEN_PROGRAM,
            PUMP_AMM_PROGRAM,
            TOKEN_PROGRAM
        ]
    );
    assert_eq!(ixs[2].data[4..], 420_000u64.to_le_bytes());
    assert_eq!(ixs[2].accounts[1].pubkey, t.user.user_quote_token_account);
    assert_eq!(ixs[3].data, vec![17]);
    assert_eq!(ixs[5].data, vec![9]);
    assert_eq!(ixs[5].accounts[1].pubkey, user);
    let sells = t.sell_instructions(&SELL);
    assert_eq!(sells.len(), 3);
    assert_eq!(sells[2].accounts[1].pubkey, user);
    let exact = t.buy_exact_quote_in_instructions(&AmmBuyExactQuoteInArgs {
        spendable_quote_in: Lamports(1_000_000_000),
        min_base_out: TokenAmount::new(5, 6),
        track_volume: false,
    });
    assert_eq!(exact[4].data[..8], BUY_EXACT_QUOTE_IN_DISCRIMINATOR);
    assert_eq!(exact[2].data[4..], 1_000_000_000u64.to_le_bytes());
}

#[test]
fn a_pumpswap_buy_passes_policy_and_its_size_is_known() {
    let kp = Keypair::new_from_array([7; 32]);
    let t = trade(&graduate_pool(), kp.pubkey());
    let budget = ComputeBudget { unit_limit: ComputeUnits(150_000), unit_price: MicroLamportsPerCu(100_000) };
    let mut draft = TxDraft::new(kp.pubkey(), budget);
    draft.extend(t.buy_instructions(&BUY)).set_tip(Some(Tip::sender(MIN_TIP_SENDER_MAX, 1)));
    let msg = draft.compile(Hash::default()).unwrap();
    let own = [t.user.user_base_token_account];
    let scope =
        PolicyScope { user: kp.pubkey(), own_token_accounts: &own, withdraw_destinations: &[], lookup_tables: &[] };
    assert_eq!(TxPolicy::default().check(&msg, &scope), Ok(()));
    let size = signed_size(&msg);
    assert!(size <= 1232, "pumpswap buy is {size} bytes");
    eprintln!("pumpswap buy with wrap, budget and tip: {size} bytes");
    let mut sell = TxDraft::new(kp.pubkey(), budget);
    sell.extend(t.sell_instructions(&SELL)).set_tip(Some(Tip::sender(MIN_TIP_SENDER_MAX, 1)));
    let msg = sell.compile(Hash::default()).unwrap();
    assert_eq!(TxPolicy::default().check(&msg, &scope), Ok(()));
}

#[test]
fn non_sol_pools_and_foreign_user_accounts_are_refused() {
    let user = Pubkey::new_from_array([5; 32]);
    let usdc = Pool { quote_mint: crate::solana::ids::USDC_MINT, ..graduate_pool() };
    let a = PoolAccounts::derive(Pubkey::new_from_array([9; 32]), &usdc, TOKEN_PROGRAM);
    let u = AmmUserAccounts::derive(user, &a);
    let r = AmmFeeRecipients::pick(&global_config(), false, 0);
    assert_eq!(AmmTrade::new(&a, &u, r), Err(AmmIxError::NotSolQuoted));
    let sol = PoolAccounts::derive(Pubkey::new_from_array([9; 32]), &graduate_pool(), TOKEN_PROGRAM);
    let other = PoolAccounts { pool: Pubkey::new_from_array([8; 32]), ..sol };
    assert_eq!(AmmTrade::new(&other, &AmmUserAccounts::derive(user, &sol), r), Err(AmmIxError::MismatchedAccounts));
}
