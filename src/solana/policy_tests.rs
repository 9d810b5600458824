#![allow(clippy::unwrap_used, clippy::expect_used)]

use solana_hash::Hash;
use solana_instruction::{AccountMeta, Instruction};
use solana_message::v0;
use solana_signer::Signer;

use super::*;
use crate::domain::money::Lamports;
use crate::solana::instructions::{
    CloseAccount, ComputeUnits, SystemTransfer, close_account, create_ata_idempotent, sync_native, system_transfer,
};
use crate::solana::tip::{SENDER_TIP_ACCOUNTS, Tip};
use crate::solana::tx::tests::{buy_draft, keypair, trade_for};
use crate::solana::tx::{ComputeBudget, TxDraft};

fn foreign() -> Pubkey {
    Pubkey::new_from_array([66; 32])
}

fn policy() -> TxPolicy {
    TxPolicy::new(Vec::new())
}

fn check_with(
    msg: &VersionedMessage,
    own: &[Pubkey],
    tables: &[AddressLookupTableAccount],
) -> Result<(), PolicyViolation> {
    let user = keypair().pubkey();
    policy()
        .check(msg, &PolicyScope { user, own_token_accounts: own, withdraw_destinations: &[], lookup_tables: tables })
}

fn check(msg: &VersionedMessage) -> Result<(), PolicyViolation> {
    let own = [trade_for(keypair().pubkey()).user_token_account()];
    check_with(msg, &own, &[])
}

/// The pump buy draft with `extra` appended after the venue instructions.
fn buy_plus(extra: Instruction) -> VersionedMessage {
    let mut draft = buy_draft(keypair().pubkey());
    draft.push(extra);
    draft.compile(Hash::default()).unwrap()
}

fn token_ix(data: Vec<u8>, accounts: Vec<AccountMeta>) -> Instruction {
    Instruction { program_id: TOKEN_PROGRAM, accounts, data }
}

#[test]
fn our_pump_buy_passes() {
    let msg = buy_draft(keypair().pubkey()).compile(Hash::default()).unwrap();
    assert_eq!(check(&msg), Ok(()));
}

#[test]
fn an_added_signer_is_refused() {
    let other = foreign();
    let msg = buy_plus(Instruction {
        program_id: PUMP_PROGRAM,
        accounts: vec![AccountMeta::new_readonly(other, true)],
        data: vec![],
    });
    assert_eq!(check(&msg), Err(PolicyViolation::ExtraSigner { signer: other }));
    // Same thing by bumping the header of an honest message.
    let VersionedMessage::V0(mut v0) = buy_draft(keypair().pubkey()).compile(Hash::default()).unwrap() else {
        panic!("v0")
    };
    v0.header.num_required_signatures = 2;
    assert!(matches!(check(&VersionedMessage::V0(v0)), Err(PolicyViolation::ExtraSigner { .. })));
}

#[test]
fn a_swapped_fee_payer_is_refused() {
    let VersionedMessage::V0(mut v0) = buy_draft(keypair().pubkey()).compile(Hash::default()).unwrap() else {
        panic!("v0")
    };
    v0.account_keys.swap(0, 3);
    let swapped = v0.account_keys[0];
    assert_eq!(check(&VersionedMessage::V0(v0)), Err(PolicyViolation::FeePayerNotUser { fee_payer: swapped }));
    // A draft paid by someone else entirely.
    let other = foreign();
    let mut draft =
        TxDraft::new(other, ComputeBudget { unit_limit: ComputeUnits(1), unit_price: MicroLamportsPerCu(1) });
    draft.set_tip(Some(Tip::sender(Lamports(1), 0)));
    let msg = draft.compile(Hash::default()).unwrap();
    assert_eq!(check(&msg), Err(PolicyViolation::FeePayerNotUser { fee_payer: other }));
}

#[test]
fn a_foreign_sol_transfer_is_refused_but_tips_wraps_and_withdrawals_pass() {
    let user = keypair().pubkey();
    let to_foreign = buy_plus(system_transfer(&SystemTransfer { from: user, to: foreign(), amount: Lamports(5) }));
    assert_eq!(check(&to_foreign), Err(PolicyViolation::TransferToForeign { instruction: 4, to: foreign() }));
    let withdraw = [foreign()];
    let scope = PolicyScope { user, own_token_accounts: &[], withdraw_destinations: &withdraw, lookup_tables: &[] };
    assert_eq!(policy().check(&to_foreign, &scope), Ok(()), "explicit withdraw destination");
    let wsol = AtaSpec::wsol(user).address();
    let wrap = buy_plus(system_transfer(&SystemTransfer { from: user, to: wsol, amount: Lamports(5) }));
    assert_eq!(check(&wrap), Ok(()));
    let tip =
        buy_plus(system_transfer(&SystemTransfer { from: user, to: SENDER_TIP_ACCOUNTS[9], amount: Lamports(5) }));
    assert_eq!(check(&tip), Ok(()));
}

#[test]
fn other_system_instructions_are_refused() {
    let user = keypair().pubkey();
    // Assign (tag 1) would hand the wallet to another program.
    let mut data = 1u32.to_le_bytes().to_vec();
    data.extend_from_slice(foreign().as_ref());
    let assign =
        buy_plus(Instruction { program_id: SYSTEM_PROGRAM, accounts: vec![AccountMeta::new(user, true)], data });
    assert_eq!(check(&assign), Err(PolicyViolation::SystemInstructionNotAllowed { instruction: 4, tag: 1 }));
}

#[test]
fn approve_approve_checked_and_set_authority_are_refused() {
    let user = keypair().pubkey();
    let ata = trade_for(user).user_token_account();
    let accts = vec![
        AccountMeta::new(ata, false),
        AccountMeta::new_readonly(foreign(), false),
        AccountMeta::new_readonly(user, true),
    ];
    let approve = buy_plus(token_ix(vec![4, 1, 0, 0, 0, 0, 0, 0, 0], accts.clone()));
    assert_eq!(check(&approve), Err(PolicyViolation::TokenApprove { instruction: 4 }));
    let checked = buy_plus(token_ix(vec![13, 1, 0, 0, 0, 0, 0, 0, 0, 6], accts.clone()));
    assert_eq!(check(&checked), Err(PolicyViolation::TokenApprove { instruction: 4 }));
    let set_auth = buy_plus(token_ix(vec![6, 2, 1], accts));
    assert_eq!(check(&set_auth), Err(PolicyViolation::TokenSetAuthority { instruction: 4 }));
    let burn = buy_plus(token_ix(vec![8, 1, 0, 0, 0, 0, 0, 0, 0], vec![AccountMeta::new(ata, false)]));
    assert_eq!(check(&burn), Err(PolicyViolation::TokenInstructionNotAllowed { instruction: 4, tag: 8 }));
}

#[test]
fn token_transfers_only_go_to_own_accounts() {
    let user = keypair().pubkey();
    let ata = trade_for(user).user_token_account();
    let wsol = AtaSpec::wsol(user).address();
    let out = buy_plus(token_ix(
        vec![3, 1, 0, 0, 0, 0, 0, 0, 0],
        vec![AccountMeta::new(ata, false), AccountMeta::new(foreign(), false), AccountMeta::new_readonly(user, true)],
    ));
    assert_eq!(check(&out), Err(PolicyViolation::TokenTransferToForeign { instruction: 4, to: foreign() }));
    let mint = Pubkey::new_from_array([5; 32]);
    let own = buy_plus(token_ix(
        vec![12, 1, 0, 0, 0, 0, 0, 0, 0, 6],
        vec![
            AccountMeta::new(wsol, false),
            AccountMeta::new_readonly(mint, false),
            AccountMeta::new(ata, false),
            AccountMeta::new_readonly(user, true),
        ],
    ));
    assert_eq!(check(&own), Ok(()));
}

#[test]
fn close_account_must_pay_the_user() {
    let user = keypair().pubkey();
    let wsol = AtaSpec::wsol(user).address();
    let to_user =
        close_account(&CloseAccount { token_program: TOKEN_PROGRAM, account: wsol, destination: user, owner: user });
    assert_eq!(check(&buy_plus(to_user)), Ok(()));
    let stolen = close_account(&CloseAccount {
        token_program: TOKEN_PROGRAM,
        account: wsol,
        destination: foreign(),
        owner: user,
    });
    assert_eq!(
        check(&buy_plus(stolen)),
        Err(PolicyViolation::CloseAccountToForeign { instruction: 4, destination: foreign() })
    );
    assert_eq!(check(&buy_plus(sync_native(TOKEN_PROGRAM, wsol))), Ok(()));
}

#[test]
fn unknown_programs_are_refused_unless_configured() {
    let rogue = Pubkey::new_from_array([77; 32]);
    let msg = buy_plus(Instruction { program_id: rogue, accounts: vec![], data: vec![1] });
    assert_eq!(check(&msg), Err(PolicyViolation::ProgramNotAllowed { instruction: 4, program: rogue }));
    let scope = PolicyScope {
        user: keypair().pubkey(),
        own_token_accounts: &[],
        withdraw_destinations: &[],
        lookup_tables: &[],
    };
    assert_eq!(TxPolicy::new(vec![rogue]).check(&msg, &scope), Ok(()));
}

#[test]
fn ata_creation_for_someone_else_is_refused() {
    let user = keypair().pubkey();
    let spec = AtaSpec { owner: foreign(), mint: Pubkey::new_from_array([5; 32]), token_program: TOKEN_PROGRAM };
    let mut ix = create_ata_idempotent(&spec);
    ix.accounts[0] = AccountMeta::new(user, true);
    assert_eq!(check(&buy_plus(ix)), Err(PolicyViolation::AtaInstructionNotAllowed { instruction: 4 }));
}

#[test]
fn lookup_table_accounts_are_resolved_or_refused() {
    let user = keypair().pubkey();
    let table = AddressLookupTableAccount {
        key: Pubkey::new_from_array([42; 32]),
        addresses: vec![foreign(), SENDER_TIP_ACCOUNTS[2]],
    };
    let ixs = vec![system_transfer(&SystemTransfer { from: user, to: SENDER_TIP_ACCOUNTS[2], amount: Lamports(1) })];
    let msg = VersionedMessage::V0(
        v0::Message::try_compile(&user, &ixs, std::slice::from_ref(&table), Hash::default()).unwrap(),
    );
    assert_eq!(msg.address_table_lookups().map(<[_]>::len), Some(1));
    assert_eq!(check_with(&msg, &[], std::slice::from_ref(&table)), Ok(()));
    assert!(matches!(check_with(&msg, &[], &[]), Err(PolicyViolation::UnresolvedAccount { instruction: 0, .. })));
    let bad = vec![system_transfer(&SystemTransfer { from: user, to: foreign(), amount: Lamports(1) })];
    let msg = VersionedMessage::V0(
        v0::Message::try_compile(&user, &bad, std::slice::from_ref(&table), Hash::default()).unwrap(),
    );
    assert_eq!(
        check_with(&msg, &[], &[table]),
        Err(PolicyViolation::TransferToForeign { instruction: 0, to: foreign() })
    );
}

#[test]
fn priority_price_cap_is_enforced() {
    let msg = buy_draft(keypair().pubkey()).compile(Hash::default()).unwrap();
    let scope = PolicyScope {
        user: keypair().pubkey(),
        own_token_accounts: &[],
        withdraw_destinations: &[],
        lookup_tables: &[],
    };
    let capped = policy().with_max_compute_unit_price(MicroLamportsPerCu(100_000));
    assert_eq!(capped.check(&msg, &scope), Err(PolicyViolation::PriorityFeeTooHigh { price: 250_000, cap: 100_000 }));
}

#[test]
fn garbage_instruction_data_is_malformed_not_a_panic() {
    let msg = buy_plus(Instruction { program_id: SYSTEM_PROGRAM, accounts: vec![], data: vec![2] });
    assert_eq!(check(&msg), Err(PolicyViolation::Malformed { instruction: 4 }));
    let VersionedMessage::V0(mut v0) = buy_draft(keypair().pubkey()).compile(Hash::default()).unwrap() else {
        panic!("v0")
    };
    v0.instructions[4].accounts = vec![0, 250];
    assert!(matches!(check(&VersionedMessage::V0(v0.clone())), Err(PolicyViolation::UnresolvedAccount { .. })));
    v0.instructions[4].program_id_index = 200;
    assert_eq!(check(&VersionedMessage::V0(v0)), Err(PolicyViolation::Malformed { instruction: 4 }));
}

#[test]
fn a_protected_tip_with_the_dont_front_marker_passes_and_fits() {
    use crate::solana::tip::{JITO_DONT_FRONT, MIN_TIP_SENDER_MAX};
    let user = keypair().pubkey();
    let mut draft = buy_draft(user);
    draft.set_tip(Some(Tip::protected(MIN_TIP_SENDER_MAX, 4)));
    let msg = draft.compile(Hash::default()).unwrap();
    assert_eq!(check(&msg), Ok(()));
    assert!(msg.static_account_keys().contains(&JITO_DONT_FRONT));
    // One more static key (32 B) and one account index: still far below 1232 B.
    let plain = buy_draft(user).compile(Hash::default()).unwrap();
    assert!(crate::solana::tx::check_size(&msg).unwrap() <= crate::solana::tx::check_size(&plain).unwrap() + 33 + 40);
}
