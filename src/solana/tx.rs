//! `TxDraft`: assembles compute-budget, venue and tip instructions into a v0 message, then
//! signs and serializes it with a size check.
//!
//! No I/O. Only [`sign`] touches a key, and only the `&Keypair` it is handed; building and
//! compiling never sign, so a message can be simulated and policy-checked before the key is
//! unlocked.

use solana_hash::Hash;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_message::{AddressLookupTableAccount, CompileError, VersionedMessage, v0};
use solana_pubkey::Pubkey;
use solana_signer::{Signer, SignerError};
use solana_transaction::versioned::VersionedTransaction;

use crate::domain::money::Lamports;
use crate::solana::instructions::{ComputeUnits, MicroLamportsPerCu, set_compute_unit_limit, set_compute_unit_price};
use crate::solana::tip::Tip;

/// Largest serialized transaction the network accepts (reference §5; UNCERTAIN whether a
/// 2026 feature raised it).
pub const MAX_TRANSACTION_SIZE: usize = 1232;
/// Most compute units a transaction may request.
pub const MAX_COMPUTE_UNIT_LIMIT: ComputeUnits = ComputeUnits(1_400_000);
const MICRO_LAMPORTS_PER_LAMPORT: u128 = 1_000_000;
const SIGNATURE_LEN: usize = 64;

/// Why a transaction could not be built, signed or serialized.
#[derive(Debug, thiserror::Error)]
pub enum TxError {
    /// The instructions do not compile into a v0 message.
    #[error("message does not compile: {0}")]
    Compile(#[from] CompileError),
    /// The compute-unit limit exceeds 1.4M.
    #[error("compute unit limit {0} exceeds 1,400,000")]
    ComputeLimitTooHigh(u32),
    /// The keypair is not the message's fee payer, or the message needs other signers.
    #[error("signing failed: {0}")]
    Sign(#[from] SignerError),
    /// The keypair is not the fee payer.
    #[error("keypair {keypair} is not the fee payer {payer}")]
    NotFeePayer {
        /// The message's fee payer.
        payer: Pubkey,
        /// The keypair's public key.
        keypair: Pubkey,
    },
    /// The transaction exceeds [`MAX_TRANSACTION_SIZE`].
    #[error("transaction is {size} bytes, over the {MAX_TRANSACTION_SIZE}-byte limit")]
    TooLarge {
        /// Serialized size in bytes.
        size: usize,
    },
    /// Serialization failed.
    #[error("serialization failed: {0}")]
    Serialize(String),
}

/// Compute-unit limit and price requested by the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComputeBudget {
    /// `SetComputeUnitLimit` (what the priority fee is charged on).
    pub unit_limit: ComputeUnits,
    /// `SetComputeUnitPrice`.
    pub unit_price: MicroLamportsPerCu,
}

impl ComputeBudget {
    /// The priority fee this budget costs: `ceil(limit · price / 10^6)` lamports.
    pub fn priority_fee(&self) -> Lamports {
        priority_fee_lamports(self.unit_limit, self.unit_price)
    }
}

/// The priority fee charged for a CU limit at a CU price: `ceil(limit · price / 10^6)`
/// lamports (the limit requested, not the units used). Saturates at `u64::MAX`.
pub fn priority_fee_lamports(limit: ComputeUnits, price: MicroLamportsPerCu) -> Lamports {
    let micro = u128::from(limit.0) * u128::from(price.0);
    Lamports(u64::try_from(micro.div_ceil(MICRO_LAMPORTS_PER_LAMPORT)).unwrap_or(u64::MAX))
}

/// An unsigned transaction in the making: compute budget first, then venue instructions, then
/// the optional Sender tip; optional address lookup tables (e.g. for Jupiter routes).
#[derive(Debug, Clone)]
pub struct TxDraft {
    payer: Pubkey,
    budget: ComputeBudget,
    instructions: Vec<Instruction>,
    tip: Option<Tip>,
    lookup_tables: Vec<AddressLookupTableAccount>,
}

impl TxDraft {
    /// A draft paid for (and to be signed only) by `payer`.
    pub fn new(payer: Pubkey, budget: ComputeBudget) -> Self {
        Self { payer, budget, instructions: Vec::with_capacity(4), tip: None, lookup_tables: Vec::new() }
    }

    /// Appends one venue instruction.
    pub fn push(&mut self, ix: Instruction) -> &mut Self {
        self.instructions.push(ix);
        self
    }

    /// Appends venue instructions in order.
    pub fn extend(&mut self, ixs: impl IntoIterator<Item = Instruction>) -> &mut Self {
        self.instructions.extend(ixs);
        self
    }

    /// Sets (or clears) the Sender tip, paid by the payer as the last instruction.
    pub fn set_tip(&mut self, tip: Option<Tip>) -> &mut Self {
        self.tip = tip;
        self
    }

    /// Address lookup tables the compiler may use for non-signer accounts.
    pub fn set_lookup_tables(&mut self, tables: Vec<AddressLookupTableAccount>) -> &mut Self {
        self.lookup_tables = tables;
        self
    }

    /// The fee payer.
    pub fn payer(&self) -> Pubkey {
        self.payer
    }

    /// The compute budget.
    pub fn budget(&self) -> ComputeBudget {
        self.budget
    }

    /// Every instruction in final order: CU limit, CU price, venue instructions, tip.
    pub fn ordered_instructions(&self) -> Vec<Instruction> {
        let mut all = Vec::with_capacity(self.instructions.len() + 3);
        all.push(set_compute_unit_limit(self.budget.unit_limit));
        all.push(set_compute_unit_price(self.budget.unit_price));
        all.extend(self.instructions.iter().cloned());
        if let Some(tip) = &self.tip {
            all.push(tip.instruction(self.payer));
        }
        all
    }

    /// Compiles a v0 message against `blockhash`, then checks its signed size.
    ///
    /// # Errors
    /// [`TxError::ComputeLimitTooHigh`], [`TxError::Compile`] or [`TxError::TooLarge`].
    pub fn compile(&self, blockhash: Hash) -> Result<VersionedMessage, TxError> {
        if self.budget.unit_limit > MAX_COMPUTE_UNIT_LIMIT {
            return Err(TxError::ComputeLimitTooHigh(self.budget.unit_limit.0));
        }
        let ixs = self.ordered_instructions();
        let message = v0::Message::try_compile(&self.payer, &ixs, &self.lookup_tables, blockhash)?;
        let message = VersionedMessage::V0(message);
        check_size(&message)?;
        Ok(message)
    }
}

/// Compiles an unsigned probe (a simulation nobody signs, such as the token-safety round trip):
/// `instructions` only, with no compute-budget instructions (the runtime's default of 200,000
/// CU per instruction applies, and the ComputeBudget program's key is saved), size-checked.
///
/// # Errors
/// [`TxError::Compile`] or [`TxError::TooLarge`].
pub fn compile_probe(
    payer: &Pubkey,
    instructions: &[Instruction],
    blockhash: Hash,
) -> Result<VersionedMessage, TxError> {
    let message = VersionedMessage::V0(v0::Message::try_compile(payer, instructions, &[], blockhash)?);
    check_size(&message)?;
    Ok(message)
}

/// The serialized size a message will have once signed: signatures + message bytes.
pub fn signed_size(message: &VersionedMessage) -> usize {
    let signers = usize::from(message.header().num_required_signatures);
    // compact-u16 signature count: 1 byte below 128 signatures.
    let len_prefix = if signers < 128 { 1 } else { 2 };
    len_prefix + signers * SIGNATURE_LEN + message.serialize().len()
}

/// Checks a message will fit [`MAX_TRANSACTION_SIZE`] once signed; returns that size.
///
/// # Errors
/// [`TxError::TooLarge`].
pub fn check_size(message: &VersionedMessage) -> Result<usize, TxError> {
    match signed_size(message) {
        size if size > MAX_TRANSACTION_SIZE => Err(TxError::TooLarge { size }),
        size => Ok(size),
    }
}

/// Signs `message` with `keypair`, which must be the fee payer and the only required signer.
///
/// # Errors
/// [`TxError::NotFeePayer`] or [`TxError::Sign`] (e.g. the message wants more signers).
pub fn sign(message: VersionedMessage, keypair: &Keypair) -> Result<VersionedTransaction, TxError> {
    let payer = message.static_account_keys().first().copied().unwrap_or_default();
    let signer = keypair.pubkey();
    if payer != signer {
        return Err(TxError::NotFeePayer { payer, keypair: signer });
    }
    Ok(VersionedTransaction::try_new(message, &[keypair])?)
}

/// Wire bytes of a signed transaction (the Solana crates' own `wincode` schema: compact-u16
/// signature count, signatures, message), refused above [`MAX_TRANSACTION_SIZE`].
///
/// # Errors
/// [`TxError::Serialize`] or [`TxError::TooLarge`].
pub fn serialize(tx: &VersionedTransaction) -> Result<Vec<u8>, TxError> {
    let bytes = wincode::serialize(tx).map_err(|e| TxError::Serialize(e.to_string()))?;
    if bytes.len() > MAX_TRANSACTION_SIZE {
        return Err(TxError::TooLarge { size: bytes.len() });
    }
    Ok(bytes)
}

/// Reads a transaction back from its wire bytes (e.g. one stored before a crash).
///
/// # Errors
/// [`TxError::Serialize`] when the bytes are not a transaction.
pub fn deserialize(bytes: &[u8]) -> Result<VersionedTransaction, TxError> {
    wincode::deserialize(bytes).map_err(|e| TxError::Serialize(e.to_string()))
}

#[cfg(test)]
#[path = "tx_tests.rs"]
pub(crate) mod tests;
