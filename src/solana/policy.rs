//! Pre-signing policy over a compiled message: which programs may run, who signs and pays,
//! and where value may go.
//!
//! Pure: reads a `VersionedMessage` (plus the lookup tables it uses), never signs, no I/O.
//! Run [`TxPolicy::check`] on every message right before `tx::sign`; a violation means the
//! message is not ours to sign, whatever built it (our builders or a Jupiter response).
//!
//! Rules:
//! - programs: ComputeBudget, System, SPL Token, Token-2022, ATA, pump, pump_amm, pump-fees,
//!   Jupiter v6, plus a configured extra list;
//! - the user is the fee payer and the only signer;
//! - System: only `Transfer`, only from the user, only to a Sender tip account, the user, the
//!   user's own token accounts (the wSOL ATA is recognised automatically) or an explicitly
//!   allowed withdraw destination;
//! - SPL Token / Token-2022: only `SyncNative`, `CloseAccount` paying the user, and
//!   `Transfer`/`TransferChecked` into the user's own or allowed accounts; `Approve`,
//!   `ApproveChecked`, `SetAuthority` and everything else are refused;
//! - ATA: only `Create`/`CreateIdempotent` for the user (or an allowed destination);
//! - ComputeBudget: the four current instructions, with an optional price cap.

use solana_message::compiled_instruction::CompiledInstruction;
use solana_message::{AddressLookupTableAccount, VersionedMessage};
use solana_pubkey::Pubkey;

use crate::solana::ids::{
    ASSOCIATED_TOKEN_PROGRAM, COMPUTE_BUDGET_PROGRAM, JUPITER_V6_PROGRAM, PUMP_AMM_PROGRAM, PUMP_FEES_PROGRAM,
    PUMP_PROGRAM, SYSTEM_PROGRAM, TOKEN_2022_PROGRAM, TOKEN_PROGRAM, is_token_program,
};
use crate::solana::instructions::{AtaSpec, MicroLamportsPerCu};
use crate::solana::tip::is_tip_account;

/// Programs every message may invoke.
pub const BASE_ALLOWED_PROGRAMS: [Pubkey; 9] = [
    COMPUTE_BUDGET_PROGRAM,
    SYSTEM_PROGRAM,
    TOKEN_PROGRAM,
    TOKEN_2022_PROGRAM,
    ASSOCIATED_TOKEN_PROGRAM,
    PUMP_PROGRAM,
    PUMP_AMM_PROGRAM,
    PUMP_FEES_PROGRAM,
    JUPITER_V6_PROGRAM,
];

// Instruction tags the policy reads (SPL Token and Token-2022 share them); checked against the
// official interface crates' decoders in `instructions_tests.rs`.
pub(crate) const TOKEN_TRANSFER_TAG: u8 = 3;
pub(crate) const TOKEN_APPROVE_TAG: u8 = 4;
pub(crate) const TOKEN_SET_AUTHORITY_TAG: u8 = 6;
pub(crate) const TOKEN_CLOSE_ACCOUNT_TAG: u8 = 9;
pub(crate) const TOKEN_TRANSFER_CHECKED_TAG: u8 = 12;
pub(crate) const TOKEN_APPROVE_CHECKED_TAG: u8 = 13;
pub(crate) const TOKEN_SYNC_NATIVE_TAG: u8 = 17;
pub(crate) const SYSTEM_TRANSFER_TAG: u32 = 2;

/// Why a message must not be signed. `instruction` is the top-level instruction index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyViolation {
    /// Only legacy and v0 messages are checked.
    #[error("unsupported message version")]
    UnsupportedVersion,
    /// No fee payer (no signatures required or no keys).
    #[error("message has no fee payer")]
    NoFeePayer,
    /// Someone other than the user pays the fee.
    #[error("fee payer {fee_payer} is not the user")]
    FeePayerNotUser {
        /// The message's fee payer.
        fee_payer: Pubkey,
    },
    /// A second signer is required.
    #[error("extra signer {signer}")]
    ExtraSigner {
        /// The first signer that is not the user.
        signer: Pubkey,
    },
    /// A program outside the allowlist is invoked.
    #[error("instruction {instruction}: program {program} not allowed")]
    ProgramNotAllowed {
        /// Instruction index.
        instruction: usize,
        /// The program.
        program: Pubkey,
    },
    /// An instruction references accounts or data that do not exist.
    #[error("instruction {instruction} is malformed")]
    Malformed {
        /// Instruction index.
        instruction: usize,
    },
    /// An account comes from a lookup table that was not supplied.
    #[error("instruction {instruction}: account index {index} cannot be resolved")]
    UnresolvedAccount {
        /// Instruction index.
        instruction: usize,
        /// Index in the message's account space.
        index: u8,
    },
    /// A System instruction other than `Transfer`.
    #[error("instruction {instruction}: system instruction {tag} not allowed")]
    SystemInstructionNotAllowed {
        /// Instruction index.
        instruction: usize,
        /// System instruction tag.
        tag: u32,
    },
    /// A System transfer funded by someone other than the user.
    #[error("instruction {instruction}: transfer from {from}, not the user")]
    TransferFromOther {
        /// Instruction index.
        instruction: usize,
        /// Funding account.
        from: Pubkey,
    },
    /// A System transfer to a destination that is not allowlisted.
    #[error("instruction {instruction}: transfer to foreign account {to}")]
    TransferToForeign {
        /// Instruction index.
        instruction: usize,
        /// Destination.
        to: Pubkey,
    },
    /// SPL `Approve` / `ApproveChecked`.
    #[error("instruction {instruction}: token approve")]
    TokenApprove {
        /// Instruction index.
        instruction: usize,
    },
    /// SPL `SetAuthority`.
    #[error("instruction {instruction}: token set-authority")]
    TokenSetAuthority {
        /// Instruction index.
        instruction: usize,
    },
    /// SPL `Transfer` / `TransferChecked` into an account that is not the user's.
    #[error("instruction {instruction}: token transfer to foreign account {to}")]
    TokenTransferToForeign {
        /// Instruction index.
        instruction: usize,
        /// Destination token account.
        to: Pubkey,
    },
    /// SPL `CloseAccount` paying someone other than the user.
    #[error("instruction {instruction}: close-account pays {destination}")]
    CloseAccountToForeign {
        /// Instruction index.
        instruction: usize,
        /// Lamport destination.
        destination: Pubkey,
    },
    /// Any other token instruction.
    #[error("instruction {instruction}: token instruction {tag} not allowed")]
    TokenInstructionNotAllowed {
        /// Instruction index.
        instruction: usize,
        /// Token instruction tag.
        tag: u8,
    },
    /// ATA creation for someone else, or an ATA instruction other than create.
    #[error("instruction {instruction}: associated-token instruction not allowed")]
    AtaInstructionNotAllowed {
        /// Instruction index.
        instruction: usize,
    },
    /// An unknown ComputeBudget instruction.
    #[error("instruction {instruction}: compute-budget instruction {tag} not allowed")]
    ComputeBudgetNotAllowed {
        /// Instruction index.
        instruction: usize,
        /// Tag.
        tag: u8,
    },
    /// The compute-unit price is above the configured cap.
    #[error("compute unit price {price} above cap {cap}")]
    PriorityFeeTooHigh {
        /// Requested micro-lamports per CU.
        price: u64,
        /// Configured cap.
        cap: u64,
    },
}

/// The configured policy (built once at startup).
#[derive(Debug, Clone, Default)]
pub struct TxPolicy {
    extra_programs: Vec<Pubkey>,
    max_compute_unit_price: Option<MicroLamportsPerCu>,
}

/// Per-message facts the policy needs.
#[derive(Debug, Clone, Copy)]
pub struct PolicyScope<'a> {
    /// The user's wallet: must be fee payer and sole signer.
    pub user: Pubkey,
    /// The user's token accounts this message may move value into (its ATAs for the traded
    /// mints). The user's wSOL ATA is recognised without being listed.
    pub own_token_accounts: &'a [Pubkey],
    /// Explicitly approved withdraw destinations (wallets or token accounts).
    pub withdraw_destinations: &'a [Pubkey],
    /// Contents of the lookup tables the message uses (v0 only).
    pub lookup_tables: &'a [AddressLookupTableAccount],
}

impl TxPolicy {
    /// A policy allowing the base programs plus `extra_programs`.
    pub fn new(extra_programs: Vec<Pubkey>) -> Self {
        Self { extra_programs, max_compute_unit_price: None }
    }

    /// Refuses messages whose `SetComputeUnitPrice` exceeds `cap`.
    pub fn with_max_compute_unit_price(mut self, cap: MicroLamportsPerCu) -> Self {
        self.max_compute_unit_price = Some(cap);
        self
    }

    /// True if `program` may be invoked.
    pub fn is_program_allowed(&self, program: &Pubkey) -> bool {
        BASE_ALLOWED_PROGRAMS.contains(program) || self.extra_programs.contains(program)
    }

    /// Checks `message` against the policy.
    ///
    /// # Errors
    /// The first [`PolicyViolation`] found.
    pub fn check(&self, message: &VersionedMessage, scope: &PolicyScope<'_>) -> Result<(), PolicyViolation> {
        if matches!(message, VersionedMessage::V1(_)) {
            return Err(PolicyViolation::UnsupportedVersion);
        }
        check_signers(message, scope.user)?;
        let ctx = Ctx { keys: Keys::new(message, scope.lookup_tables), scope, wsol_ata: std::cell::OnceCell::new() };
        for (i, ix) in message.instructions().iter().enumerate() {
            let program = message
                .static_account_keys()
                .get(usize::from(ix.program_id_index))
                .copied()
                .ok_or(PolicyViolation::Malformed { instruction: i })?;
            if !self.is_program_allowed(&program) {
                return Err(PolicyViolation::ProgramNotAllowed { instruction: i, program });
            }
            match program {
                p if p == SYSTEM_PROGRAM => ctx.system(i, ix)?,
                p if is_token_program(&p) => ctx.token(i, ix)?,
                p if p == ASSOCIATED_TOKEN_PROGRAM => ctx.ata(i, ix)?,
                p if p == COMPUTE_BUDGET_PROGRAM => self.compute_budget(i, ix)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn compute_budget(&self, i: usize, ix: &CompiledInstruction) -> Result<(), PolicyViolation> {
        let tag = *ix.data.first().ok_or(PolicyViolation::Malformed { instruction: i })?;
        match tag {
            1 | 2 | 4 => Ok(()),
            3 => {
                let bytes: [u8; 8] = ix
                    .data
                    .get(1..9)
                    .and_then(|b| b.try_into().ok())
                    .ok_or(PolicyViolation::Malformed { instruction: i })?;
                let price = u64::from_le_bytes(bytes);
                match self.max_compute_unit_price {
                    Some(cap) if price > cap.0 => Err(PolicyViolation::PriorityFeeTooHigh { price, cap: cap.0 }),
                    _ => Ok(()),
                }
            }
            tag => Err(PolicyViolation::ComputeBudgetNotAllowed { instruction: i, tag }),
        }
    }
}

fn check_signers(message: &VersionedMessage, user: Pubkey) -> Result<(), PolicyViolation> {
    let keys = message.static_account_keys();
    let signers = usize::from(message.header().num_required_signatures);
    let fee_payer = *keys.first().filter(|_| signers > 0).ok_or(PolicyViolation::NoFeePayer)?;
    if fee_payer != user {
        return Err(PolicyViolation::FeePayerNotUser { fee_payer });
    }
    if signers > 1 {
        let signer = keys.get(1).copied().unwrap_or_default();
        return Err(PolicyViolation::ExtraSigner { signer });
    }
    Ok(())
}

/// The message's account space: static keys, then ALT writable entries, then ALT readonly.
struct Keys<'m> {
    statics: &'m [Pubkey],
    loaded: Vec<Option<Pubkey>>,
}

impl<'m> Keys<'m> {
    fn new(message: &'m VersionedMessage, tables: &[AddressLookupTableAccount]) -> Self {
        let lookups = message.address_table_lookups().unwrap_or_default();
        let find = |table: &Pubkey, idx: u8| {
            tables.iter().find(|t| t.key == *table).and_then(|t| t.addresses.get(usize::from(idx)).copied())
        };
        let writable = lookups.iter().flat_map(|l| l.writable_indexes.iter().map(|i| find(&l.account_key, *i)));
        let readonly = lookups.iter().flat_map(|l| l.readonly_indexes.iter().map(|i| find(&l.account_key, *i)));
        Self { statics: message.static_account_keys(), loaded: writable.chain(readonly).collect() }
    }

    fn get(&self, index: u8) -> Option<Pubkey> {
        let idx = usize::from(index);
        match self.statics.get(idx) {
            Some(k) => Some(*k),
            None => idx.checked_sub(self.statics.len()).and_then(|i| self.loaded.get(i).copied().flatten()),
        }
    }
}

struct Ctx<'a, 'm> {
    keys: Keys<'m>,
    scope: &'a PolicyScope<'a>,
    wsol_ata: std::cell::OnceCell<Pubkey>,
}

impl Ctx<'_, '_> {
    fn account(&self, i: usize, ix: &CompiledInstruction, pos: usize) -> Result<Pubkey, PolicyViolation> {
        let index = *ix.accounts.get(pos).ok_or(PolicyViolation::Malformed { instruction: i })?;
        self.keys.get(index).ok_or(PolicyViolation::UnresolvedAccount { instruction: i, index })
    }

    fn is_own_or_allowed(&self, key: &Pubkey) -> bool {
        let s = self.scope;
        *key == s.user
            || s.own_token_accounts.contains(key)
            || s.withdraw_destinations.contains(key)
            || *key == *self.wsol_ata.get_or_init(|| AtaSpec::wsol(s.user).address())
    }

    fn system(&self, i: usize, ix: &CompiledInstruction) -> Result<(), PolicyViolation> {
        let tag_bytes: [u8; 4] =
            ix.data.get(..4).and_then(|b| b.try_into().ok()).ok_or(PolicyViolation::Malformed { instruction: i })?;
        let tag = u32::from_le_bytes(tag_bytes);
        if tag != SYSTEM_TRANSFER_TAG {
            return Err(PolicyViolation::SystemInstructionNotAllowed { instruction: i, tag });
        }
        let from = self.account(i, ix, 0)?;
        if from != self.scope.user {
            return Err(PolicyViolation::TransferFromOther { instruction: i, from });
        }
        let to = self.account(i, ix, 1)?;
        if is_tip_account(&to) || self.is_own_or_allowed(&to) {
            return Ok(());
        }
        Err(PolicyViolation::TransferToForeign { instruction: i, to })
    }

    fn token(&self, i: usize, ix: &CompiledInstruction) -> Result<(), PolicyViolation> {
        let tag = *ix.data.first().ok_or(PolicyViolation::Malformed { instruction: i })?;
        match tag {
            TOKEN_SYNC_NATIVE_TAG => Ok(()),
            TOKEN_CLOSE_ACCOUNT_TAG => {
                let destination = self.account(i, ix, 1)?;
                match destination == self.scope.user {
                    true => Ok(()),
                    false => Err(PolicyViolation::CloseAccountToForeign { instruction: i, destination }),
                }
            }
            TOKEN_TRANSFER_TAG | TOKEN_TRANSFER_CHECKED_TAG => {
                let pos = if tag == TOKEN_TRANSFER_TAG { 1 } else { 2 };
                let to = self.account(i, ix, pos)?;
                match to != self.scope.user && self.is_own_or_allowed(&to) {
                    true => Ok(()),
                    false => Err(PolicyViolation::TokenTransferToForeign { instruction: i, to }),
                }
            }
            TOKEN_APPROVE_TAG | TOKEN_APPROVE_CHECKED_TAG => Err(PolicyViolation::TokenApprove { instruction: i }),
            TOKEN_SET_AUTHORITY_TAG => Err(PolicyViolation::TokenSetAuthority { instruction: i }),
            tag => Err(PolicyViolation::TokenInstructionNotAllowed { instruction: i, tag }),
        }
    }

    fn ata(&self, i: usize, ix: &CompiledInstruction) -> Result<(), PolicyViolation> {
        if !matches!(ix.data.as_slice(), [] | [0] | [1]) {
            return Err(PolicyViolation::AtaInstructionNotAllowed { instruction: i });
        }
        let payer = self.account(i, ix, 0)?;
        let owner = self.account(i, ix, 2)?;
        let owner_ok = owner == self.scope.user || self.scope.withdraw_destinations.contains(&owner);
        match payer == self.scope.user && owner_ok {
            true => Ok(()),
            false => Err(PolicyViolation::AtaInstructionNotAllowed { instruction: i }),
        }
    }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
