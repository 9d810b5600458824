#![allow(clippy::unwrap_used, clippy::expect_used)]

use solana_instruction::AccountMeta;
use solana_pubkey::pubkey;

use super::*;
use crate::solana::ids::{
    ASSOCIATED_TOKEN_PROGRAM, COMPUTE_BUDGET_PROGRAM, SYSTEM_PROGRAM, TOKEN_2022_PROGRAM, USDC_MINT,
};

/// BonkEarn (BERN), a Token-2022 mint.
const BERN_MINT: Pubkey = pubkey!("CKfatsPMUf8SkiURsDXs7eK6GWb4Jsd6UDbs7twMCWxo");

#[test]
fn our_program_ids_are_the_interface_crates_ids() {
    assert_eq!(COMPUTE_BUDGET_PROGRAM, solana_compute_budget_interface::id());
    assert_eq!(SYSTEM_PROGRAM, solana_system_interface::program::id());
    assert_eq!(TOKEN_PROGRAM, spl_token_interface::id());
    assert_eq!(ASSOCIATED_TOKEN_PROGRAM, spl_associated_token_account_interface::program::id());
    assert_eq!(WSOL_MINT, spl_token_interface::native_mint::id());
}

#[test]
fn ata_matches_known_mainnet_addresses_for_spl_token_and_token_2022() {
    // Vectors from `spl-token address --owner … --token … --url mainnet-beta` (quoted in public
    // SDK tests) and the metaplex Solana.Swift ATA test.
    let cases = [
        (
            pubkey!("AAAGuCgkmxYDTiBvzx1QT5XEjqXPRtQaiEXQo4gatD2o"),
            USDC_MINT,
            TOKEN_PROGRAM,
            pubkey!("Cra8woRQhnHsGAmFWcCN1m7A9J44ykNfGpehi6dMBuKR"),
        ),
        (
            pubkey!("AAAGuCgkmxYDTiBvzx1QT5XEjqXPRtQaiEXQo4gatD2o"),
            BERN_MINT,
            TOKEN_2022_PROGRAM,
            pubkey!("GPtCoaz35vdCrFbyhxcRrkYvECrUkrBX6CoRZEv8EQDw"),
        ),
        (
            pubkey!("3h1zGmCwsRJnVk5BuRNMLsPaQu1y2aqXqXDWYCgrp5UG"),
            USDC_MINT,
            TOKEN_PROGRAM,
            pubkey!("3uetDDizgTtadDHZzyy9BqxrjQcozMEkxzbKhfZF4tG3"),
        ),
    ];
    for (owner, mint, token_program, expected) in cases {
        assert_eq!(AtaSpec { owner, mint, token_program }.address(), expected, "{owner} {mint}");
    }
}

#[test]
fn ata_depends_on_the_token_program() {
    let owner = Pubkey::new_from_array([3; 32]);
    let mint = Pubkey::new_from_array([4; 32]);
    let spl = AtaSpec { owner, mint, token_program: TOKEN_PROGRAM }.address();
    let t22 = AtaSpec { owner, mint, token_program: TOKEN_2022_PROGRAM }.address();
    assert_ne!(spl, t22);
}

#[test]
fn compute_budget_data_matches_reference_bytes() {
    // Reference §5: `02 31df0600` = 450,353 and `03 7ee1010000000000` = 123,262.
    let limit = set_compute_unit_limit(ComputeUnits(450_353));
    assert_eq!(limit.data, hex::decode("0231df0600").unwrap());
    assert_eq!(limit.program_id, COMPUTE_BUDGET_PROGRAM);
    assert!(limit.accounts.is_empty());
    let price = set_compute_unit_price(MicroLamportsPerCu(123_262));
    assert_eq!(price.data, hex::decode("037ee1010000000000").unwrap());
    assert!(price.accounts.is_empty());
}

#[test]
fn system_transfer_is_byte_identical_to_the_wire_format() {
    let from = Pubkey::new_from_array([1; 32]);
    let to = Pubkey::new_from_array([2; 32]);
    let ix = system_transfer(&SystemTransfer { from, to, amount: Lamports(1_000_000) });
    assert_eq!(ix.program_id, SYSTEM_PROGRAM);
    // u32 LE tag 2 (Transfer) ‖ u64 LE lamports.
    assert_eq!(ix.data, hex::decode("0200000040420f0000000000").unwrap());
    assert_eq!(ix.accounts, vec![AccountMeta::new(from, true), AccountMeta::new(to, false)]);
}

#[test]
fn create_ata_idempotent_has_the_documented_layout() {
    let owner = pubkey!("AAAGuCgkmxYDTiBvzx1QT5XEjqXPRtQaiEXQo4gatD2o");
    let spec = AtaSpec { owner, mint: BERN_MINT, token_program: TOKEN_2022_PROGRAM };
    let ix = create_ata_idempotent(&spec);
    assert_eq!(ix.program_id, ASSOCIATED_TOKEN_PROGRAM);
    assert_eq!(ix.data, vec![1]);
    assert_eq!(
        ix.accounts,
        vec![
            AccountMeta::new(owner, true),
            AccountMeta::new(pubkey!("GPtCoaz35vdCrFbyhxcRrkYvECrUkrBX6CoRZEv8EQDw"), false),
            AccountMeta::new_readonly(owner, false),
            AccountMeta::new_readonly(BERN_MINT, false),
            AccountMeta::new_readonly(SYSTEM_PROGRAM, false),
            AccountMeta::new_readonly(TOKEN_2022_PROGRAM, false),
        ]
    );
}

#[test]
fn token_instructions_are_byte_identical_to_the_official_spl_builders() {
    let account = Pubkey::new_from_array([5; 32]);
    let destination = Pubkey::new_from_array([6; 32]);
    let owner = Pubkey::new_from_array([7; 32]);
    let close = close_account(&CloseAccount { token_program: TOKEN_PROGRAM, account, destination, owner });
    let official =
        spl_token_interface::instruction::close_account(&TOKEN_PROGRAM, &account, &destination, &owner, &[]).unwrap();
    assert_eq!(close, official);
    assert_eq!(close.data, vec![9]);
    assert!(close.accounts[2].is_signer && !close.accounts[2].is_writable);
    let sync = sync_native(TOKEN_PROGRAM, account);
    assert_eq!(sync, spl_token_interface::instruction::sync_native(&TOKEN_PROGRAM, &account).unwrap());
    assert_eq!(sync.data, vec![17]);
    // Token-2022 accounts: the same encoding, addressed to Token-2022.
    let close22 = close_account(&CloseAccount { token_program: TOKEN_2022_PROGRAM, account, destination, owner });
    assert_eq!(
        (close22.program_id, &close22.data, &close22.accounts),
        (TOKEN_2022_PROGRAM, &close.data, &close.accounts)
    );
}

#[test]
fn the_policy_reads_the_tags_the_official_decoders_define() {
    use crate::solana::policy::*;
    let decodes_as = |tag: u8, is: fn(&TokenInstruction<'_>) -> bool| {
        let mut data = vec![tag];
        data.extend_from_slice(&[0; 10]);
        is(&TokenInstruction::unpack(&data).unwrap())
    };
    assert!(decodes_as(TOKEN_TRANSFER_TAG, |i| matches!(i, TokenInstruction::Transfer { .. })));
    assert!(decodes_as(TOKEN_APPROVE_TAG, |i| matches!(i, TokenInstruction::Approve { .. })));
    assert!(decodes_as(TOKEN_SET_AUTHORITY_TAG, |i| matches!(i, TokenInstruction::SetAuthority { .. })));
    assert!(decodes_as(TOKEN_CLOSE_ACCOUNT_TAG, |i| matches!(i, TokenInstruction::CloseAccount)));
    assert!(decodes_as(TOKEN_TRANSFER_CHECKED_TAG, |i| matches!(i, TokenInstruction::TransferChecked { .. })));
    assert!(decodes_as(TOKEN_APPROVE_CHECKED_TAG, |i| matches!(i, TokenInstruction::ApproveChecked { .. })));
    assert!(decodes_as(TOKEN_SYNC_NATIVE_TAG, |i| matches!(i, TokenInstruction::SyncNative)));
    let transfer = system_transfer(&SystemTransfer { from: WSOL_MINT, to: WSOL_MINT, amount: Lamports(1) });
    assert_eq!(transfer.data[..4], SYSTEM_TRANSFER_TAG.to_le_bytes());
}
