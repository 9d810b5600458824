//! The fake chain's transaction pipeline: decoding, signature and blockhash checks, fees and
//! instruction execution against a copy of the ledger.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use quantbot::solana::ids::{COMPUTE_BUDGET_PROGRAM, SYSTEM_PROGRAM};
use quantbot::solana::tip::is_tip_account;
use serde_json::{Value, json};
use solana_pubkey::Pubkey;
use solana_transaction::versioned::VersionedTransaction;

use super::State;
use super::programs::{Accounts, Ix, IxAccount};

pub fn decode_tx(params: &Value) -> Result<VersionedTransaction, String> {
    let text = params[0].as_str().ok_or("missing transaction")?;
    let bytes = match params[1]["encoding"].as_str() {
        Some("base64") => B64.decode(text).map_err(|e| e.to_string())?,
        _ => bs58::decode(text).into_vec().map_err(|e| e.to_string())?,
    };
    wincode::deserialize::<VersionedTransaction>(&bytes).map_err(|e| e.to_string())
}

/// Why a transaction is refused before execution.
pub enum Refusal {
    Signature,
    BlockhashNotFound,
    AccountNotFound,
    InsufficientFundsForFee,
    Malformed(String),
}

pub struct Execution {
    pub err: Option<Value>,
    pub logs: Vec<String>,
    pub units: u64,
    pub after: Accounts,
}

pub fn fee_of(tx: &VersionedTransaction) -> u64 {
    let msg = &tx.message;
    let keys = msg.static_account_keys();
    let mut limit: Option<u64> = None;
    let mut price: u64 = 0;
    let mut other = 0u64;
    for ix in msg.instructions() {
        let program = keys.get(usize::from(ix.program_id_index)).copied().unwrap_or_default();
        if program != COMPUTE_BUDGET_PROGRAM {
            other += 1;
            continue;
        }
        match ix.data.first() {
            Some(2) if ix.data.len() >= 5 => {
                limit = Some(u64::from(u32::from_le_bytes(ix.data[1..5].try_into().unwrap())))
            }
            Some(3) if ix.data.len() >= 9 => price = u64::from_le_bytes(ix.data[1..9].try_into().unwrap()),
            _ => {}
        }
    }
    let limit = limit.unwrap_or((other * 200_000).min(1_400_000));
    let priority = (u128::from(limit) * u128::from(price)).div_ceil(1_000_000) as u64;
    5_000 * u64::from(msg.header().num_required_signatures) + priority
}

fn is_writable(tx: &VersionedTransaction, i: usize) -> bool {
    let h = tx.message.header();
    let signers = usize::from(h.num_required_signatures);
    let n = tx.message.static_account_keys().len();
    if i < signers {
        i < signers - usize::from(h.num_readonly_signed_accounts)
    } else {
        i - signers < n - signers - usize::from(h.num_readonly_unsigned_accounts)
    }
}

/// Checks and runs `tx` against a copy of the ledger (nothing is committed here).
pub fn execute(s: &State, tx: &VersionedTransaction, verify: bool) -> Result<Execution, Refusal> {
    tx.sanitize().map_err(|e| Refusal::Malformed(e.to_string()))?;
    if tx.message.address_table_lookups().is_some_and(|l| !l.is_empty()) {
        return Err(Refusal::Malformed("address lookup tables are not supported by the fake".into()));
    }
    if verify {
        let ok = tx.signatures.len() == usize::from(tx.message.header().num_required_signatures)
            && tx.verify_with_results().iter().all(|v| *v);
        if !ok {
            return Err(Refusal::Signature);
        }
    }
    let bh = tx.message.recent_blockhash();
    if !s.blockhashes.iter().any(|(h, lvbh)| h == bh && s.block_height <= *lvbh) {
        return Err(Refusal::BlockhashNotFound);
    }
    let keys = tx.message.static_account_keys();
    let payer = keys[0];
    let fee = fee_of(tx);
    let mut after = s.accounts.clone();
    match after.map.get_mut(&payer) {
        None => return Err(Refusal::AccountNotFound),
        Some(a) if a.lamports < fee => return Err(Refusal::InsufficientFundsForFee),
        Some(a) => a.lamports -= fee,
    }
    let charged = after.clone();
    let mut logs = Vec::new();
    let mut units = 0;
    for (i, cix) in tx.message.instructions().iter().enumerate() {
        let program = keys[usize::from(cix.program_id_index)];
        logs.push(format!("Program {program} invoke [1]"));
        let accounts = cix
            .accounts
            .iter()
            .map(|a| {
                let idx = usize::from(*a);
                IxAccount { key: keys[idx], is_signer: tx.message.is_signer(idx), is_writable: is_writable(tx, idx) }
            })
            .collect();
        let ix = Ix { program_id: program, data: &cix.data, accounts };
        let handler = s.handlers.get(&program).cloned();
        let result = match handler {
            Some(h) => {
                units += h.units();
                h.execute(&ix, &mut after)
            }
            None => Err(json!("UnsupportedProgramId")),
        };
        if let Err(e) = result {
            logs.push(format!("Program {program} failed: {e}"));
            let err = json!({"InstructionError": [i, e]});
            return Ok(Execution { err: Some(err), logs, units, after: charged });
        }
        logs.push(format!("Program {program} success"));
    }
    Ok(Execution { err: None, logs, units, after })
}

pub fn refusal_err(r: &Refusal) -> Value {
    match r {
        Refusal::Signature => json!("SignatureFailure"),
        Refusal::BlockhashNotFound => json!("BlockhashNotFound"),
        Refusal::AccountNotFound => json!("AccountNotFound"),
        Refusal::InsufficientFundsForFee => json!("InsufficientFundsForFee"),
        Refusal::Malformed(m) => json!(m),
    }
}

/// True when any instruction references the `jitodontfront` marker.
pub fn has_dont_front(tx: &VersionedTransaction) -> bool {
    tx.message.static_account_keys().contains(&quantbot::solana::tip::JITO_DONT_FRONT)
}

/// `(tip account, lamports, carries the marker)` of every System transfer to a Sender tip account.
pub fn tip_transfers(tx: &VersionedTransaction) -> Vec<(Pubkey, u64, bool)> {
    let keys = tx.message.static_account_keys();
    let mut out = Vec::new();
    for ix in tx.message.instructions() {
        let program = keys[usize::from(ix.program_id_index)];
        if program == SYSTEM_PROGRAM && ix.data.get(0..4) == Some(&[2, 0, 0, 0]) && ix.data.len() >= 12 {
            let Some(to) = ix.accounts.get(1).map(|i| keys[usize::from(*i)]) else { continue };
            if is_tip_account(&to) {
                let amount = u64::from_le_bytes(ix.data[4..12].try_into().unwrap());
                let marked =
                    ix.accounts.iter().any(|i| keys[usize::from(*i)] == quantbot::solana::tip::JITO_DONT_FRONT);
                out.push((to, amount, marked));
            }
        }
    }
    out
}

pub fn has_sender_tip(tx: &VersionedTransaction, min: u64) -> bool {
    let keys = tx.message.static_account_keys();
    let mut price = false;
    let mut tip = false;
    for ix in tx.message.instructions() {
        let program = keys[usize::from(ix.program_id_index)];
        if program == COMPUTE_BUDGET_PROGRAM && ix.data.first() == Some(&3) {
            price = true;
        }
        if program == SYSTEM_PROGRAM && ix.data.get(0..4) == Some(&[2, 0, 0, 0]) && ix.data.len() >= 12 {
            let to = ix.accounts.get(1).map(|i| keys[usize::from(*i)]);
            let amount = u64::from_le_bytes(ix.data[4..12].try_into().unwrap());
            tip |= to.is_some_and(|t| is_tip_account(&t)) && amount >= min;
        }
    }
    price && tip
}
