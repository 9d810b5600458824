//! The native-program instructions every trade needs, built by the official interface crates:
//! ComputeBudget (`solana-compute-budget-interface`), System transfer (`solana-system-interface`),
//! Associated Token Account create-idempotent and address derivation
//! (`spl-associated-token-account-interface`), SPL Token `SyncNative` / `CloseAccount`
//! (`spl-token-interface`).
//!
//! Pure: no I/O, never signs. Works for SPL Token and Token-2022 alike: the token program is
//! always passed in explicitly (read it from the mint account's owner). The SPL crates speak
//! solana-pubkey 3, whose `Pubkey` re-exports the same `solana_address::Address` as our
//! solana-pubkey 4, so keys pass through unchanged.

use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_instruction::{AccountMeta, Instruction};
use solana_pubkey::Pubkey;
use spl_associated_token_account_interface::{address, instruction as ata};
use spl_token_interface::instruction::TokenInstruction;

use crate::domain::money::Lamports;
use crate::solana::ids::{TOKEN_PROGRAM, WSOL_MINT};

/// A compute-unit count (limit requested by `SetComputeUnitLimit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ComputeUnits(pub u32);

/// A compute-unit price in micro-lamports per CU (`SetComputeUnitPrice`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MicroLamportsPerCu(pub u64);

/// `SetComputeUnitLimit`: data `[0x02] ‖ u32 LE`.
pub fn set_compute_unit_limit(limit: ComputeUnits) -> Instruction {
    ComputeBudgetInstruction::set_compute_unit_limit(limit.0)
}

/// `SetComputeUnitPrice`: data `[0x03] ‖ u64 LE` micro-lamports per CU.
pub fn set_compute_unit_price(price: MicroLamportsPerCu) -> Instruction {
    ComputeBudgetInstruction::set_compute_unit_price(price.0)
}

/// A System transfer request (named fields: two pubkeys never sit side by side in a signature).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemTransfer {
    /// Funding account; signs.
    pub from: Pubkey,
    /// Receiving account.
    pub to: Pubkey,
    /// Amount moved.
    pub amount: Lamports,
}

/// System `Transfer`: data `02000000 ‖ u64 LE`, accounts `[from S W, to W]`.
pub fn system_transfer(t: &SystemTransfer) -> Instruction {
    solana_system_interface::instruction::transfer(&t.from, &t.to, t.amount.0)
}

/// The owner/mint/token-program triple that determines an associated token account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AtaSpec {
    /// Wallet (or PDA) that owns the token account.
    pub owner: Pubkey,
    /// Token mint.
    pub mint: Pubkey,
    /// Owner program of the mint: SPL Token or Token-2022.
    pub token_program: Pubkey,
}

impl AtaSpec {
    /// The associated token account address: PDA(`[owner, token_program, mint]`, ATA program).
    ///
    /// Costs one `find_program_address`; cache the result on hot paths.
    pub fn address(&self) -> Pubkey {
        address::get_associated_token_address_with_program_id(&self.owner, &self.mint, &self.token_program)
    }

    /// The user's wrapped-SOL account (SPL Token program).
    pub fn wsol(owner: Pubkey) -> Self {
        Self { owner, mint: WSOL_MINT, token_program: TOKEN_PROGRAM }
    }
}

/// ATA `CreateIdempotent` (data `[0x01]`), the owner paying.
///
/// Accounts: `[payer S W, ata W, owner, mint, system, token_program]`. The payer is the owner
/// here because the bot only ever creates its user's own token accounts.
pub fn create_ata_idempotent(spec: &AtaSpec) -> Instruction {
    ata::create_associated_token_account_idempotent(&spec.owner, &spec.owner, &spec.mint, &spec.token_program)
}

/// SPL Token `SyncNative`, accounts `[account W]`. `token_program` must be SPL Token or
/// Token-2022: both programs share the SPL Token instruction encoding for tags 0–24, and the
/// official SPL builder refuses any program id but its own, so the data comes from
/// [`TokenInstruction::pack`] and the program id from the caller.
pub fn sync_native(token_program: Pubkey, account: Pubkey) -> Instruction {
    Instruction {
        program_id: token_program,
        accounts: vec![AccountMeta::new(account, false)],
        data: TokenInstruction::SyncNative.pack(),
    }
}

/// Which token account to close and who gets its lamports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseAccount {
    /// Token program owning `account` (SPL Token or Token-2022).
    pub token_program: Pubkey,
    /// The token account being closed.
    pub account: Pubkey,
    /// Receives the rent and (for wSOL) the unwrapped lamports.
    pub destination: Pubkey,
    /// The account owner; signs.
    pub owner: Pubkey,
}

/// SPL Token `CloseAccount`, accounts `[account W, destination W, owner S]`, data from
/// [`TokenInstruction::pack`] (identical to the official builder's, see the tests; the builder
/// itself refuses Token-2022's program id).
pub fn close_account(c: &CloseAccount) -> Instruction {
    Instruction {
        program_id: c.token_program,
        accounts: vec![
            AccountMeta::new(c.account, false),
            AccountMeta::new(c.destination, false),
            AccountMeta::new_readonly(c.owner, true),
        ],
        data: TokenInstruction::CloseAccount.pack(),
    }
}

#[cfg(test)]
#[path = "instructions_tests.rs"]
mod tests;
