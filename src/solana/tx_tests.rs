#![allow(clippy::unwrap_used, clippy::expect_used)]

use solana_instruction::AccountMeta;
use solana_pubkey::pubkey;

use super::*;
use crate::domain::money::TokenAmount;
use crate::solana::ids::{COMPUTE_BUDGET_PROGRAM, SYSTEM_PROGRAM, TOKEN_2022_PROGRAM};
use crate::solana::tip::{MIN_TIP_SENDER_MAX, is_tip_account};
use crate::venues::pumpfun::curve::tests::{fresh_curve, test_global};
use crate::venues::pumpfun::ix::{BuyArgs, FeeRecipients, LegacyTrade, LegacyTradeParts, SellArgs};
use crate::venues::pumpfun::pda::{MintAccounts, MintKey, UserAccounts};

pub(crate) fn keypair() -> Keypair {
    Keypair::new_from_array([7; 32])
}

pub(crate) fn trade_for(user: Pubkey) -> LegacyTrade {
    let curve = fresh_curve();
    let mint = MintAccounts::derive(&MintKey {
        mint: pubkey!("EM1WnMcHLeMqBFWKoNstRj7qautMwSphqRQVBVw1pump"),
        token_program: TOKEN_2022_PROGRAM,
        creator: curve.creator,
    });
    let user = UserAccounts::derive(user, &mint);
    let recipients = FeeRecipients::pick(&test_global(), false, 1);
    LegacyTrade::new(&LegacyTradeParts { curve: &curve, mint: &mint, user: &user, recipients }).unwrap()
}

fn budget() -> ComputeBudget {
    ComputeBudget { unit_limit: ComputeUnits(120_000), unit_price: MicroLamportsPerCu(250_000) }
}

pub(crate) fn buy_draft(user: Pubkey) -> TxDraft {
    let args = BuyArgs {
        amount: TokenAmount::new(34_199_203_120_618, 6),
        max_sol_cost: Lamports(1_050_000_000),
        track_volume: true,
    };
    let mut draft = TxDraft::new(user, budget());
    draft.extend(trade_for(user).buy_instructions(&args)).set_tip(Some(Tip::sender(MIN_TIP_SENDER_MAX, 3)));
    draft
}

#[test]
fn priority_fee_is_ceiled() {
    // 450,353 × 123,262 = 55,511,411,486 µL → 55,511.41 lamports → ceil 55,512.
    assert_eq!(priority_fee_lamports(ComputeUnits(450_353), MicroLamportsPerCu(123_262)), Lamports(55_512));
    assert_eq!(priority_fee_lamports(ComputeUnits(200_000), MicroLamportsPerCu(5)), Lamports(1));
    assert_eq!(priority_fee_lamports(ComputeUnits(1_000_000), MicroLamportsPerCu(3)), Lamports(3));
    assert_eq!(priority_fee_lamports(ComputeUnits(0), MicroLamportsPerCu(u64::MAX)), Lamports(0));
    assert_eq!(priority_fee_lamports(ComputeUnits(u32::MAX), MicroLamportsPerCu(u64::MAX)), Lamports(u64::MAX));
    assert_eq!(budget().priority_fee(), Lamports(30_000));
}

#[test]
fn compiled_message_orders_budget_venue_then_tip() {
    let kp = keypair();
    let msg = buy_draft(kp.pubkey()).compile(Hash::new_from_array([9; 32])).unwrap();
    let VersionedMessage::V0(v0) = &msg else { panic!("expected v0") };
    let keys = &v0.account_keys;
    let programs: Vec<Pubkey> = v0.instructions.iter().map(|i| keys[usize::from(i.program_id_index)]).collect();
    assert_eq!(programs[0], COMPUTE_BUDGET_PROGRAM);
    assert_eq!(v0.instructions[0].data, vec![2, 0xc0, 0xd4, 0x01, 0x00]); // 120,000
    assert_eq!(programs[1], COMPUTE_BUDGET_PROGRAM);
    assert_eq!(programs[4], SYSTEM_PROGRAM);
    let tip_to = keys[usize::from(v0.instructions[4].accounts[1])];
    assert!(is_tip_account(&tip_to));
    assert_eq!(keys[0], kp.pubkey());
    assert_eq!(v0.header.num_required_signatures, 1);
    assert_eq!(msg.serialize()[0], 0x80, "v0 prefix");
}

#[test]
fn legacy_buy_with_ata_budget_and_tip_fits_like_the_reference_says() {
    // Reference §1.4: legacy `buy` + create-ATA + 2 CU ixs + tip, no ALT = 869 bytes.
    let kp = keypair();
    let msg = buy_draft(kp.pubkey()).compile(Hash::default()).unwrap();
    let tx = sign(msg.clone(), &kp).unwrap();
    let bytes = serialize(&tx).unwrap();
    assert_eq!(bytes.len(), signed_size(&msg));
    assert_eq!(bytes.len(), 869);
    assert!(tx.verify_with_results().iter().all(|ok| *ok));
    // The wire format: compact-u16 signature count, the signatures, then the message bytes.
    assert_eq!(bytes[0], 1);
    assert_eq!(&bytes[1..65], tx.signatures[0].as_ref());
    assert_eq!(&bytes[65..], msg.serialize().as_slice());
    let back: VersionedTransaction = deserialize(&bytes).unwrap();
    assert_eq!(back, tx);
    assert!(deserialize(&bytes[..100]).is_err());
    // Legacy sell + budget + tip: 760 bytes per the same table.
    let mut sell = TxDraft::new(kp.pubkey(), budget());
    sell.push(trade_for(kp.pubkey()).sell(&SellArgs { amount: TokenAmount::new(1, 6), min_sol_output: Lamports(1) }))
        .set_tip(Some(Tip::sender(MIN_TIP_SENDER_MAX, 0)));
    assert_eq!(check_size(&sell.compile(Hash::default()).unwrap()).unwrap(), 760);
}

#[test]
fn lookup_tables_shrink_the_message() {
    let kp = keypair();
    let draft = buy_draft(kp.pubkey());
    let plain = signed_size(&draft.compile(Hash::default()).unwrap());
    let trade = trade_for(kp.pubkey());
    let args = BuyArgs { amount: TokenAmount::new(1, 6), max_sol_cost: Lamports(1), track_volume: true };
    let table_keys: Vec<Pubkey> = trade.buy(&args).accounts.iter().filter(|a| !a.is_signer).map(|a| a.pubkey).collect();
    let mut with_alt = draft.clone();
    with_alt.set_lookup_tables(vec![AddressLookupTableAccount {
        key: Pubkey::new_from_array([42; 32]),
        addresses: table_keys,
    }]);
    let msg = with_alt.compile(Hash::default()).unwrap();
    assert_eq!(msg.address_table_lookups().map(<[_]>::len), Some(1));
    assert!(signed_size(&msg) < plain);
    sign(msg, &kp).unwrap();
}

#[test]
fn oversized_transactions_are_refused_before_signing() {
    let kp = keypair();
    let mut draft = TxDraft::new(kp.pubkey(), budget());
    for i in 0..40u8 {
        draft.push(Instruction {
            program_id: SYSTEM_PROGRAM,
            accounts: vec![AccountMeta::new(Pubkey::new_from_array([i; 32]), false)],
            data: vec![0; 8],
        });
    }
    assert!(matches!(draft.compile(Hash::default()), Err(TxError::TooLarge { size }) if size > MAX_TRANSACTION_SIZE));
}

#[test]
fn signing_refuses_a_foreign_keypair_and_extra_signers() {
    let kp = keypair();
    let msg = buy_draft(kp.pubkey()).compile(Hash::default()).unwrap();
    let other = Keypair::new_from_array([8; 32]);
    assert!(matches!(sign(msg, &other), Err(TxError::NotFeePayer { .. })));
    let mut draft = TxDraft::new(kp.pubkey(), budget());
    draft.push(Instruction {
        program_id: SYSTEM_PROGRAM,
        accounts: vec![AccountMeta::new(other.pubkey(), true)],
        data: vec![],
    });
    let msg = draft.compile(Hash::default()).unwrap();
    assert!(matches!(sign(msg, &kp), Err(TxError::Sign(_))));
}

#[test]
fn cu_limit_above_the_cap_is_refused() {
    let draft = TxDraft::new(
        keypair().pubkey(),
        ComputeBudget { unit_limit: ComputeUnits(1_400_001), unit_price: MicroLamportsPerCu(1) },
    );
    assert!(matches!(draft.compile(Hash::default()), Err(TxError::ComputeLimitTooHigh(1_400_001))));
}
