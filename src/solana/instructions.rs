//! Builders for the native-program instructions every trade needs: ComputeBudget, System
//! transfer, Associated Token Account create-idempotent, SPL Token `SyncNative` / `CloseAccount`,
//! and ATA address derivation.
//!
//! Pure: no I/O, never signs. Works for SPL Token and Token-2022 alike: the token program is
//! always passed in explicitly (read it from the mint account's owner).

use solana_instruction::{AccountMeta, Instruction};
use solana_pubkey::Pubkey;

use crate::domain::money::Lamports;
use crate::solana::ids::{ASSOCIATED_TOKEN_PROGRAM, COMPUTE_BUDGET_PROGRAM, SYSTEM_PROGRAM, TOKEN_PROGRAM, WSOL_MINT};

/// A compute-unit count (limit requested by `SetComputeUnitLimit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ComputeUnits(pub u32);

/// A compute-unit price in micro-lamports per CU (`SetComputeUnitPrice`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MicroLamportsPerCu(pub u64);

/// System `Transfer` tag (u32 LE).
const SYSTEM_TRANSFER_TAG: u32 = 2;
/// SPL Token `CloseAccount` tag.
pub(crate) const TOKEN_CLOSE_ACCOUNT_TAG: u8 = 9;
/// SPL Token `SyncNative` tag.
pub(crate) const TOKEN_SYNC_NATIVE_TAG: u8 = 17;
/// ATA `CreateIdempotent` tag.
const ATA_CREATE_IDEMPOTENT_TAG: u8 = 1;

/// `SetComputeUnitLimit`: data `[0x02] ‖ u32 LE`.
pub fn set_compute_unit_limit(limit: ComputeUnits) -> Instruction {
    let mut data = Vec::with_capacity(5);
    data.push(2);
    data.extend_from_slice(&limit.0.to_le_bytes());
    Instruction { program_id: COMPUTE_BUDGET_PROGRAM, accounts: Vec::new(), data }
}

/// `SetComputeUnitPrice`: data `[0x03] ‖ u64 LE` micro-lamports per CU.
pub fn set_compute_unit_price(price: MicroLamportsPerCu) -> Instruction {
    let mut data = Vec::with_capacity(9);
    data.push(3);
    data.extend_from_slice(&price.0.to_le_bytes());
    Instruction { program_id: COMPUTE_BUDGET_PROGRAM, accounts: Vec::new(), data }
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
    let mut data = Vec::with_capacity(12);
    data.extend_from_slice(&SYSTEM_TRANSFER_TAG.to_le_bytes());
    data.extend_from_slice(&t.amount.0.to_le_bytes());
    Instruction {
        program_id: SYSTEM_PROGRAM,
        accounts: vec![AccountMeta::new(t.from, true), AccountMeta::new(t.to, false)],
        data,
    }
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
        Pubkey::find_program_address(
            &[self.owner.as_ref(), self.token_program.as_ref(), self.mint.as_ref()],
            &ASSOCIATED_TOKEN_PROGRAM,
        )
        .0
    }

    /// The user's wrapped-SOL account (SPL Token program).
    pub fn wsol(owner: Pubkey) -> Self {
        Self { owner, mint: WSOL_MINT, token_program: TOKEN_PROGRAM }
    }
}

/// ATA `CreateIdempotent` (data `[0x01]`) with an already-derived `ata` address.
///
/// Accounts: `[payer S W, ata W, owner, mint, system, token_program]`. The payer is the owner
/// here because the bot only ever creates its user's own token accounts.
pub fn create_ata_idempotent(spec: &AtaSpec, ata: Pubkey) -> Instruction {
    Instruction {
        program_id: ASSOCIATED_TOKEN_PROGRAM,
        accounts: vec![
            AccountMeta::new(spec.owner, true),
            AccountMeta::new(ata, false),
            AccountMeta::new_readonly(spec.owner, false),
            AccountMeta::new_readonly(spec.mint, false),
            AccountMeta::new_readonly(SYSTEM_PROGRAM, false),
            AccountMeta::new_readonly(spec.token_program, false),
        ],
        data: vec![ATA_CREATE_IDEMPOTENT_TAG],
    }
}

/// SPL Token `SyncNative` (tag 17), accounts `[account W]`.
pub fn sync_native(token_program: Pubkey, account: Pubkey) -> Instruction {
    Instruction {
        program_id: token_program,
        accounts: vec![AccountMeta::new(account, false)],
        data: vec![TOKEN_SYNC_NATIVE_TAG],
    }
}

/// Which token account to close and who gets its lamports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseAccount {
    /// Token program owning `account`.
    pub token_program: Pubkey,
    /// The token account being closed.
    pub account: Pubkey,
    /// Receives the rent and (for wSOL) the unwrapped lamports.
    pub destination: Pubkey,
    /// The account owner; signs.
    pub owner: Pubkey,
}

/// SPL Token `CloseAccount` (tag 9), accounts `[account W, destination W, owner S]`.
pub fn close_account(c: &CloseAccount) -> Instruction {
    Instruction {
        program_id: c.token_program,
        accounts: vec![
            AccountMeta::new(c.account, false),
            AccountMeta::new(c.destination, false),
            AccountMeta::new_readonly(c.owner, true),
        ],
        data: vec![TOKEN_CLOSE_ACCOUNT_TAG],
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::solana::ids::TOKEN_2022_PROGRAM;

    #[test]
    fn compute_budget_data_matches_reference_bytes() {
        // Reference §5: `02 31df0600` = 450,353 and `03 7ee1010000000000` = 123,262.
        assert_eq!(set_compute_unit_limit(ComputeUnits(450_353)).data, hex::decode("0231df0600").unwrap());
        assert_eq!(
            set_compute_unit_price(MicroLamportsPerCu(123_262)).data,
            hex::decode("037ee1010000000000").unwrap()
        );
    }

    #[test]
    fn system_transfer_encodes_tag_and_amount() {
        let from = Pubkey::new_from_array([1; 32]);
        let to = Pubkey::new_from_array([2; 32]);
        let ix = system_transfer(&SystemTransfer { from, to, amount: Lamports(1_000_000) });
        assert_eq!(ix.data, hex::decode("0200000040420f0000000000").unwrap());
        assert!(ix.accounts[0].is_signer && ix.accounts[0].is_writable);
        assert!(!ix.accounts[1].is_signer && ix.accounts[1].is_writable);
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
    fn close_account_flags() {
        let ix = close_account(&CloseAccount {
            token_program: TOKEN_PROGRAM,
            account: Pubkey::new_from_array([5; 32]),
            destination: Pubkey::new_from_array([6; 32]),
            owner: Pubkey::new_from_array([6; 32]),
        });
        assert_eq!(ix.data, vec![9]);
        assert!(ix.accounts[2].is_signer && !ix.accounts[2].is_writable);
    }
}
