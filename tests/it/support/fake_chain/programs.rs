//! The fake chain's program runtime: accounts, the instruction view handed to handlers, the
//! `ProgramHandler` hook and the built-in programs (ComputeBudget, System transfer, ATA create).

use std::collections::HashMap;

use quantbot::solana::ids::{ASSOCIATED_TOKEN_PROGRAM, SYSTEM_PROGRAM, TOKEN_2022_PROGRAM, TOKEN_PROGRAM};
use serde_json::{Value, json};
use solana_pubkey::Pubkey;

/// Rent-exempt minimum for `len` bytes (the real formula: (128 + len) * 3480 * 2).
pub fn rent_exempt(len: usize) -> u64 {
    (128 + len as u64) * 6960
}

/// One account in the fake ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub lamports: u64,
    pub owner: Pubkey,
    pub data: Vec<u8>,
}

impl Account {
    pub fn system(lamports: u64) -> Self {
        Self { lamports, owner: SYSTEM_PROGRAM, data: Vec::new() }
    }
}

/// The account map an instruction runs against (a copy: committed only if the whole
/// transaction succeeds).
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    pub map: HashMap<Pubkey, Account>,
}

impl Accounts {
    pub fn get(&self, key: &Pubkey) -> Option<&Account> {
        self.map.get(key)
    }

    pub fn lamports(&self, key: &Pubkey) -> u64 {
        self.map.get(key).map_or(0, |a| a.lamports)
    }

    /// Moves lamports; `Err(Custom 1)` (System `ResultWithNegativeLamports`) when short.
    pub fn transfer(&mut self, from: &Pubkey, to: &Pubkey, amount: u64) -> Result<(), Value> {
        let have = self.lamports(from);
        if have < amount {
            return Err(json!({"Custom": 1}));
        }
        self.map.entry(*from).or_insert_with(|| Account::system(0)).lamports = have - amount;
        self.map.entry(*to).or_insert_with(|| Account::system(0)).lamports += amount;
        Ok(())
    }
}

/// One account reference of an instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IxAccount {
    pub key: Pubkey,
    pub is_signer: bool,
    pub is_writable: bool,
}

/// One top-level instruction as a handler sees it.
#[derive(Debug, Clone)]
pub struct Ix<'a> {
    pub program_id: Pubkey,
    pub data: &'a [u8],
    pub accounts: Vec<IxAccount>,
}

impl Ix<'_> {
    /// The account at `i`, or `NotEnoughAccountKeys`.
    pub fn account(&self, i: usize) -> Result<IxAccount, Value> {
        self.accounts.get(i).copied().ok_or_else(|| json!("NotEnoughAccountKeys"))
    }
}

/// A program the fake can execute. Register one per program id with
/// `FakeChain::register_program`. `Err` is the InstructionError JSON (e.g. `{"Custom": 6002}`
/// or `"InvalidInstructionData"`); the transaction then lands failed (fee charged, nothing else
/// applied).
pub trait ProgramHandler: Send + Sync {
    fn execute(&self, ix: &Ix<'_>, accounts: &mut Accounts) -> Result<(), Value>;
    /// Compute units the instruction reports as consumed (for simulation).
    fn units(&self) -> u64 {
        1_000
    }
}

/// ComputeBudget: a no-op at execution (the fee is taken before).
pub struct ComputeBudgetProgram;

impl ProgramHandler for ComputeBudgetProgram {
    fn execute(&self, _ix: &Ix<'_>, _accounts: &mut Accounts) -> Result<(), Value> {
        Ok(())
    }
    fn units(&self) -> u64 {
        150
    }
}

/// System: `Transfer` only.
pub struct SystemProgram;

impl ProgramHandler for SystemProgram {
    fn execute(&self, ix: &Ix<'_>, accounts: &mut Accounts) -> Result<(), Value> {
        let tag = ix.data.get(0..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        match tag {
            Some(2) => {
                let amount = ix
                    .data
                    .get(4..12)
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_le_bytes)
                    .ok_or_else(|| json!("InvalidInstructionData"))?;
                let (from, to) = (ix.account(0)?, ix.account(1)?);
                if !from.is_signer {
                    return Err(json!("MissingRequiredSignature"));
                }
                if !from.is_writable || !to.is_writable {
                    return Err(json!("ReadonlyLamportChange"));
                }
                if accounts.get(&from.key).is_some_and(|a| !a.data.is_empty()) {
                    // "Transfer: `from` must not carry data"
                    return Err(json!("InvalidArgument"));
                }
                accounts.transfer(&from.key, &to.key, amount)
            }
            _ => Err(json!("InvalidInstructionData")),
        }
    }
    fn units(&self) -> u64 {
        150
    }
}

/// Associated Token Account: `Create` (`[]`/`[0]`) and `CreateIdempotent` (`[1]`), accounts
/// `[payer S W, ata W, owner, mint, system, token_program]`. Creates a 165-byte initialized
/// token account paid by `payer`.
pub struct AtaProgram;

impl ProgramHandler for AtaProgram {
    fn execute(&self, ix: &Ix<'_>, accounts: &mut Accounts) -> Result<(), Value> {
        let idempotent = match ix.data.first() {
            None | Some(0) => false,
            Some(1) => true,
            Some(_) => return Err(json!("InvalidInstructionData")),
        };
        let payer = ix.account(0)?;
        let ata = ix.account(1)?.key;
        let owner = ix.account(2)?.key;
        let mint = ix.account(3)?.key;
        let token_program = ix.account(5)?.key;
        if token_program != TOKEN_PROGRAM && token_program != TOKEN_2022_PROGRAM {
            return Err(json!("IncorrectProgramId"));
        }
        let (expected, _) = Pubkey::find_program_address(
            &[owner.as_ref(), token_program.as_ref(), mint.as_ref()],
            &ASSOCIATED_TOKEN_PROGRAM,
        );
        if expected != ata {
            return Err(json!("InvalidSeeds"));
        }
        if !payer.is_signer {
            return Err(json!("MissingRequiredSignature"));
        }
        if let Some(existing) = accounts.get(&ata)
            && existing.owner == token_program
        {
            return if idempotent { Ok(()) } else { Err(json!({"Custom": 0})) };
        }
        let rent = rent_exempt(165);
        accounts.transfer(&payer.key, &ata, rent)?;
        let acc = accounts.map.entry(ata).or_insert_with(|| Account::system(0));
        acc.owner = token_program;
        acc.data = token_account_data(&mint, &owner, 0);
        Ok(())
    }
    fn units(&self) -> u64 {
        20_000
    }
}

/// An initialized 165-byte SPL token account.
pub fn token_account_data(mint: &Pubkey, owner: &Pubkey, amount: u64) -> Vec<u8> {
    let mut data = vec![0u8; 165];
    data[0..32].copy_from_slice(mint.as_ref());
    data[32..64].copy_from_slice(owner.as_ref());
    data[64..72].copy_from_slice(&amount.to_le_bytes());
    data[108] = 1; // AccountState::Initialized
    data
}

/// An initialized 82-byte mint.
pub fn mint_data(supply: u64, decimals: u8) -> Vec<u8> {
    let mut data = vec![0u8; 82];
    data[36..44].copy_from_slice(&supply.to_le_bytes());
    data[44] = decimals;
    data[45] = 1; // is_initialized
    data
}
