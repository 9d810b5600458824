//! Decodes the transaction `err` JSON of `getSignatureStatuses` / `simulateTransaction` into
//! named failures (slippage, insufficient funds, curve complete, account not found).
//!
//! Pure: parses JSON it is handed, no I/O, never signs. Custom codes come from the IDLs'
//! `errors` arrays (pump, pump_amm) and Jupiter v6; since two programs reuse the same numbers
//! (6002 is pump `TooMuchSolRequired` but pump_amm `ZeroQuoteAmount`), a code is named only
//! when the failing instruction's program is known.

use serde_json::Value;
use solana_message::VersionedMessage;
use solana_pubkey::Pubkey;

use crate::solana::ids::{JUPITER_V6_PROGRAM, PUMP_AMM_PROGRAM, PUMP_PROGRAM};

/// The venue whose slippage check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlippageVenue {
    /// Pump.fun bonding curve.
    PumpFun,
    /// PumpSwap AMM.
    PumpSwap,
    /// Jupiter v6.
    Jupiter,
}

/// A landed-and-failed (or failed-simulation) transaction error, by what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxFailure {
    /// The venue's slippage bound tripped; re-quote before retrying.
    #[error("slippage exceeded on {venue:?} ({name}, code {code}, instruction {instruction})")]
    SlippageExceeded {
        /// Venue.
        venue: SlippageVenue,
        /// Top-level instruction index.
        instruction: u8,
        /// Custom error code.
        code: u32,
        /// IDL error name.
        name: &'static str,
    },
    /// Not enough lamports or tokens (System 1, token `InsufficientFunds`, fee or rent).
    #[error("insufficient funds (instruction {instruction:?})")]
    InsufficientFunds {
        /// Failing instruction, if the error is per-instruction.
        instruction: Option<u8>,
    },
    /// Pump `BondingCurveComplete` (6005): the coin migrated; trade on PumpSwap / Jupiter.
    #[error("bonding curve complete (instruction {instruction})")]
    CurveComplete {
        /// Top-level instruction index.
        instruction: u8,
    },
    /// Top-level `AccountNotFound` (typically the fee payer has never been funded).
    #[error("account not found")]
    AccountNotFound,
    /// Top-level `BlockhashNotFound`: re-sign with a fresh blockhash.
    #[error("blockhash not found")]
    BlockhashNotFound,
    /// Anything else, kept verbatim (compact JSON).
    #[error("transaction failed: {raw}")]
    Other {
        /// The `err` value as JSON text.
        raw: String,
    },
}

impl TxFailure {
    /// Decodes an `err` value. `programs[i]` is the program of top-level instruction `i` (see
    /// [`instruction_programs`]); pass `&[]` if unknown, and custom codes of 6000+ stay `Other`.
    pub fn from_json(err: &Value, programs: &[Pubkey]) -> Self {
        decode(err, programs).unwrap_or_else(|| Self::Other { raw: err.to_string() })
    }

    /// Like [`Self::from_json`] from JSON text; unparsable text becomes `Other`.
    pub fn from_json_str(err: &str, programs: &[Pubkey]) -> Self {
        match serde_json::from_str::<Value>(err) {
            Ok(v) => Self::from_json(&v, programs),
            Err(_) => Self::Other { raw: err.to_owned() },
        }
    }

    /// True when retrying can succeed after refreshing inputs: a new quote (slippage) or a new
    /// blockhash. Funds, completion and unknown failures need a different decision.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::SlippageExceeded { .. } | Self::BlockhashNotFound)
    }
}

/// Program id of each top-level instruction of `message`, for [`TxFailure::from_json`].
pub fn instruction_programs(message: &VersionedMessage) -> Vec<Pubkey> {
    let keys = message.static_account_keys();
    message
        .instructions()
        .iter()
        .map(|ix| keys.get(usize::from(ix.program_id_index)).copied().unwrap_or_default())
        .collect()
}

fn decode(err: &Value, programs: &[Pubkey]) -> Option<TxFailure> {
    if let Some(s) = err.as_str() {
        return match s {
            "AccountNotFound" => Some(TxFailure::AccountNotFound),
            "BlockhashNotFound" => Some(TxFailure::BlockhashNotFound),
            "InsufficientFundsForFee" => Some(TxFailure::InsufficientFunds { instruction: None }),
            _ => None,
        };
    }
    let obj = err.as_object()?;
    if obj.contains_key("InsufficientFundsForRent") {
        return Some(TxFailure::InsufficientFunds { instruction: None });
    }
    let pair = obj.get("InstructionError")?.as_array()?;
    let instruction = u8::try_from(pair.first()?.as_u64()?).ok()?;
    let detail = pair.get(1)?;
    if detail.as_str() == Some("InsufficientFunds") {
        return Some(TxFailure::InsufficientFunds { instruction: Some(instruction) });
    }
    let code = u32::try_from(detail.as_object()?.get("Custom")?.as_u64()?).ok()?;
    let program = programs.get(usize::from(instruction));
    custom(instruction, code, program)
}

fn custom(instruction: u8, code: u32, program: Option<&Pubkey>) -> Option<TxFailure> {
    // Code 1 is System `ResultWithNegativeLamports` and SPL Token `InsufficientFunds`; Anchor
    // programs never use it, so it also names a failing CPI inside a venue instruction.
    if code == 1 {
        return Some(TxFailure::InsufficientFunds { instruction: Some(instruction) });
    }
    let slippage = |venue, name| Some(TxFailure::SlippageExceeded { venue, instruction, code, name });
    match (*program?, code) {
        (p, 6002) if p == PUMP_PROGRAM => slippage(SlippageVenue::PumpFun, "TooMuchSolRequired"),
        (p, 6003) if p == PUMP_PROGRAM => slippage(SlippageVenue::PumpFun, "TooLittleSolReceived"),
        (p, 6042) if p == PUMP_PROGRAM => slippage(SlippageVenue::PumpFun, "BuySlippageBelowMinTokensOut"),
        (p, 6005) if p == PUMP_PROGRAM => Some(TxFailure::CurveComplete { instruction }),
        (p, 6040) if p == PUMP_PROGRAM => Some(TxFailure::InsufficientFunds { instruction: Some(instruction) }),
        (p, 6004) if p == PUMP_AMM_PROGRAM => slippage(SlippageVenue::PumpSwap, "ExceededSlippage"),
        (p, 6040) if p == PUMP_AMM_PROGRAM => slippage(SlippageVenue::PumpSwap, "BuySlippageBelowMinBaseAmountOut"),
        (p, 6001) if p == JUPITER_V6_PROGRAM => slippage(SlippageVenue::Jupiter, "SlippageToleranceExceeded"),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::solana::ids::{COMPUTE_BUDGET_PROGRAM, SYSTEM_PROGRAM, TOKEN_PROGRAM};

    fn pump_buy_programs() -> Vec<Pubkey> {
        vec![COMPUTE_BUDGET_PROGRAM, COMPUTE_BUDGET_PROGRAM, TOKEN_PROGRAM, PUMP_PROGRAM, SYSTEM_PROGRAM]
    }

    #[test]
    fn the_helius_sample_failure_is_pump_buy_slippage() {
        let sample: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/pumpfun/getSignatureStatuses.exchange.json"))
                .unwrap();
        let err = &sample["failed_tx_status_example"]["err"];
        assert_eq!(
            TxFailure::from_json(err, &pump_buy_programs()),
            TxFailure::SlippageExceeded {
                venue: SlippageVenue::PumpFun,
                instruction: 3,
                code: 6002,
                name: "TooMuchSolRequired"
            }
        );
        assert!(TxFailure::from_json(err, &pump_buy_programs()).is_retryable());
    }

    #[test]
    fn the_same_code_means_different_things_per_program() {
        let err = json!({"InstructionError": [3, {"Custom": 6002}]});
        let amm = [COMPUTE_BUDGET_PROGRAM, COMPUTE_BUDGET_PROGRAM, TOKEN_PROGRAM, PUMP_AMM_PROGRAM];
        assert!(matches!(TxFailure::from_json(&err, &amm), TxFailure::Other { .. }));
        assert!(matches!(TxFailure::from_json(&err, &[]), TxFailure::Other { .. }));
        let sell = json!({"InstructionError": [3, {"Custom": 6004}]});
        assert!(matches!(
            TxFailure::from_json(&sell, &amm),
            TxFailure::SlippageExceeded { venue: SlippageVenue::PumpSwap, code: 6004, .. }
        ));
    }

    #[test]
    fn names_slippage_funds_completion_and_missing_accounts() {
        let p = pump_buy_programs();
        let jup = [COMPUTE_BUDGET_PROGRAM, JUPITER_V6_PROGRAM];
        let cases = [
            (json!({"InstructionError": [3, {"Custom": 6003}]}), &p[..], "TooLittleSolReceived"),
            (json!({"InstructionError": [3, {"Custom": 6042}]}), &p[..], "BuySlippageBelowMinTokensOut"),
            (json!({"InstructionError": [1, {"Custom": 6001}]}), &jup[..], "SlippageToleranceExceeded"),
        ];
        for (err, programs, name) in cases {
            assert!(
                matches!(TxFailure::from_json(&err, programs), TxFailure::SlippageExceeded { name: n, .. } if n == name)
            );
        }
        let curve = json!({"InstructionError": [3, {"Custom": 6005}]});
        assert_eq!(TxFailure::from_json(&curve, &p), TxFailure::CurveComplete { instruction: 3 });
        for (err, ix) in [
            (json!({"InstructionError": [4, {"Custom": 1}]}), Some(4)),
            (json!({"InstructionError": [3, {"Custom": 1}]}), Some(3)),
            (json!({"InstructionError": [0, "InsufficientFunds"]}), Some(0)),
            (json!({"InsufficientFundsForRent": {"account_index": 2}}), None),
            (json!("InsufficientFundsForFee"), None),
        ] {
            assert_eq!(TxFailure::from_json(&err, &p), TxFailure::InsufficientFunds { instruction: ix });
        }
        assert_eq!(TxFailure::from_json_str("\"AccountNotFound\"", &[]), TxFailure::AccountNotFound);
        assert_eq!(TxFailure::from_json_str("\"BlockhashNotFound\"", &[]), TxFailure::BlockhashNotFound);
    }

    #[test]
    fn unknown_shapes_are_kept_raw() {
        let odd = json!({"InstructionError": [999, {"Custom": 6002}]});
        assert_eq!(TxFailure::from_json(&odd, &[]), TxFailure::Other { raw: odd.to_string() });
        assert_eq!(TxFailure::from_json_str("not json", &[]), TxFailure::Other { raw: "not json".to_owned() });
        let dup = json!({"DuplicateInstruction": 2});
        assert!(matches!(TxFailure::from_json(&dup, &[]), TxFailure::Other { .. }));
        assert!(matches!(TxFailure::from_json(&json!([1, 2]), &[]), TxFailure::Other { .. }));
    }

    #[test]
    fn programs_are_read_from_the_message() {
        use crate::solana::tx::tests::{buy_draft, keypair};
        use solana_signer::Signer;
        let msg = buy_draft(keypair().pubkey()).compile(solana_hash::Hash::default()).unwrap();
        let programs = instruction_programs(&msg);
        assert_eq!(programs[3], PUMP_PROGRAM);
        let err = json!({"InstructionError": [3, {"Custom": 6002}]});
        assert!(TxFailure::from_json(&err, &programs).is_retryable());
    }
}
