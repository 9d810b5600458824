//! JSON shapes of the Solana / Helius JSON-RPC answers we read, decoded into port types.
//!
//! Talks to nothing: pure functions over `serde_json::Value`. Never panics on hostile input
//! (every field is checked) and never uses `f64`: the priority-fee float is read as a decimal.

use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;
use solana_hash::Hash;
use solana_pubkey::Pubkey;
use solana_transaction::versioned::VersionedTransaction;

use crate::domain::money::Lamports;
use crate::ports::chain::{AccountData, BlockhashInfo, ChainError, SignatureState, SignatureStatus, SimulationReport};
use solana_signature::Signature;

fn bad(what: &str) -> ChainError {
    ChainError::Decode(what.to_owned())
}

/// Serializes a signed transaction as base64 wire bytes.
pub fn tx_base64(tx: &VersionedTransaction) -> Result<String, ChainError> {
    let bytes = wincode::serialize(tx).map_err(|e| ChainError::Decode(format!("serialize transaction: {e}")))?;
    Ok(B64.encode(bytes))
}

/// A base58 pubkey field.
pub fn pubkey(v: &Value, what: &str) -> Result<Pubkey, ChainError> {
    v.as_str().and_then(|s| Pubkey::from_str(s).ok()).ok_or_else(|| bad(what))
}

/// A `u64` field.
pub fn u64_field(v: &Value, what: &str) -> Result<u64, ChainError> {
    v.as_u64().ok_or_else(|| bad(what))
}

/// `{context, value: <u64>}` (getBalance) or a bare `u64` (getBlockHeight, rent).
pub fn context_u64(result: &Value, what: &str) -> Result<u64, ChainError> {
    match result.get("value") {
        Some(v) => u64_field(v, what),
        None => u64_field(result, what),
    }
}

/// `getLatestBlockhash` result.
pub fn blockhash(result: &Value) -> Result<BlockhashInfo, ChainError> {
    let v = &result["value"];
    let blockhash = v["blockhash"].as_str().and_then(|s| Hash::from_str(s).ok()).ok_or_else(|| bad("blockhash"))?;
    let last_valid_block_height = u64_field(&v["lastValidBlockHeight"], "lastValidBlockHeight")?;
    Ok(BlockhashInfo { blockhash, last_valid_block_height })
}

/// One account object (`null` = missing), data as `["<base64>", "base64"]`.
pub fn account(v: &Value) -> Result<Option<AccountData>, ChainError> {
    if v.is_null() {
        return Ok(None);
    }
    let owner = pubkey(&v["owner"], "account owner")?;
    let lamports = Lamports(u64_field(&v["lamports"], "account lamports")?);
    let data = match &v["data"] {
        Value::Array(parts) => match (parts.first().and_then(Value::as_str), parts.get(1).and_then(Value::as_str)) {
            (Some(text), Some("base64")) => B64.decode(text).map_err(|_| bad("account data base64"))?,
            _ => return Err(bad("account data encoding")),
        },
        Value::String(text) if text.is_empty() => Vec::new(),
        _ => return Err(bad("account data")),
    };
    Ok(Some(AccountData { owner, lamports, data }))
}

/// `getAccountInfo` result.
pub fn account_info(result: &Value) -> Result<Option<AccountData>, ChainError> {
    account(result.get("value").ok_or_else(|| bad("getAccountInfo value"))?)
}

/// `getMultipleAccounts` result, checked to have `expected` entries.
pub fn multiple_accounts(result: &Value, expected: usize) -> Result<Vec<Option<AccountData>>, ChainError> {
    let items = result["value"].as_array().ok_or_else(|| bad("getMultipleAccounts value"))?;
    if items.len() != expected {
        return Err(bad("getMultipleAccounts length"));
    }
    items.iter().map(account).collect()
}

/// `getTokenLargestAccounts` result: `(token account, raw amount)`; amounts are decimal strings,
/// parsed as integers (never through `uiAmount`).
pub fn largest_accounts(result: &Value) -> Result<Vec<(Pubkey, u64)>, ChainError> {
    let items = result["value"].as_array().ok_or_else(|| bad("getTokenLargestAccounts value"))?;
    items
        .iter()
        .map(|v| {
            let address = v["address"].as_str().and_then(|s| Pubkey::from_str(s).ok());
            let amount = v["amount"].as_str().and_then(|s| s.parse::<u64>().ok());
            address.zip(amount).ok_or_else(|| bad("getTokenLargestAccounts entry"))
        })
        .collect()
}

/// `getSignaturesForAddress` → entries, newest first.
pub fn address_signatures(result: &Value) -> Result<Vec<crate::ports::AddressSignature>, ChainError> {
    let items = result.as_array().ok_or_else(|| bad("getSignaturesForAddress result"))?;
    items
        .iter()
        .map(|v| {
            let signature = v["signature"].as_str().and_then(|s| Signature::from_str(s).ok());
            let slot = v["slot"].as_u64();
            let (Some(signature), Some(slot)) = (signature, slot) else {
                return Err(bad("getSignaturesForAddress entry"));
            };
            Ok(crate::ports::AddressSignature {
                signature,
                slot,
                block_time: v["blockTime"].as_i64(),
                failed: !v["err"].is_null(),
            })
        })
        .collect()
}

/// One token account as listed by `getTokenAccountsByOwner`; decimals are known only when the
/// node answered `jsonParsed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHolding {
    /// Token account address.
    pub account: Pubkey,
    /// Mint.
    pub mint: Pubkey,
    /// Raw amount.
    pub amount: u64,
    /// Mint decimals when the node parsed the account.
    pub decimals: Option<u8>,
    /// Owning token program.
    pub program: Pubkey,
}

/// `getTokenAccountsByOwner` result for token program `program` (jsonParsed or base64 items).
pub fn token_accounts(result: &Value, program: Pubkey) -> Result<Vec<RawHolding>, ChainError> {
    let items = result["value"].as_array().ok_or_else(|| bad("getTokenAccountsByOwner value"))?;
    items.iter().map(|item| token_account(item, program)).collect()
}

fn token_account(item: &Value, program: Pubkey) -> Result<RawHolding, ChainError> {
    let account = pubkey(&item["pubkey"], "token account pubkey")?;
    let data = &item["account"]["data"];
    if let Some(info) = data.get("parsed").map(|p| &p["info"]) {
        let mint = pubkey(&info["mint"], "token mint")?;
        let amount = info["tokenAmount"]["amount"]
            .as_str()
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| bad("token amount"))?;
        let decimals = info["tokenAmount"]["decimals"]
            .as_u64()
            .and_then(|d| u8::try_from(d).ok())
            .ok_or_else(|| bad("token decimals"))?;
        return Ok(RawHolding { account, mint, amount, decimals: Some(decimals), program });
    }
    let raw = self::account(&item["account"])?.ok_or_else(|| bad("token account"))?;
    let (mint, amount) = token_account_bytes(&raw.data).ok_or_else(|| bad("token account layout"))?;
    Ok(RawHolding { account, mint, amount, decimals: None, program })
}

/// Mint and amount of an SPL token account (mint 0..32, amount 64..72; Token-2022 may be longer).
pub fn token_account_bytes(data: &[u8]) -> Option<(Pubkey, u64)> {
    let mint = Pubkey::try_from(data.get(0..32)?).ok()?;
    let amount = u64::from_le_bytes(data.get(64..72)?.try_into().ok()?);
    Some((mint, amount))
}

/// Decimals of a mint account (byte 44).
pub fn mint_decimals(data: &[u8]) -> Option<u8> {
    data.get(44).copied()
}

/// `getSignatureStatuses` result, checked to have `expected` entries.
pub fn signature_statuses(result: &Value, expected: usize) -> Result<Vec<Option<SignatureStatus>>, ChainError> {
    let items = result["value"].as_array().ok_or_else(|| bad("getSignatureStatuses value"))?;
    if items.len() != expected {
        return Err(bad("getSignatureStatuses length"));
    }
    items.iter().map(signature_status).collect()
}

fn signature_status(v: &Value) -> Result<Option<SignatureStatus>, ChainError> {
    if v.is_null() {
        return Ok(None);
    }
    let slot = u64_field(&v["slot"], "status slot")?;
    let state = match v["confirmationStatus"].as_str() {
        Some("processed") => SignatureState::Processed,
        Some("confirmed") => SignatureState::Confirmed,
        Some("finalized") => SignatureState::Finalized,
        // Old nodes: confirmations == null means rooted.
        None if v["confirmations"].is_null() => SignatureState::Finalized,
        None => SignatureState::Processed,
        Some(_) => return Err(bad("confirmationStatus")),
    };
    let err = match &v["err"] {
        Value::Null => None,
        e => Some(e.clone()),
    };
    Ok(Some(SignatureStatus { slot, state, err }))
}

/// `simulateTransaction` result.
pub fn simulation(result: &Value) -> Result<SimulationReport, ChainError> {
    let v = result.get("value").ok_or_else(|| bad("simulateTransaction value"))?;
    let err = match &v["err"] {
        Value::Null => None,
        e => Some(e.clone()),
    };
    let logs = match &v["logs"] {
        Value::Array(lines) => lines.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let accounts = match &v["accounts"] {
        Value::Array(items) => items.iter().map(account).collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    Ok(SimulationReport { err, logs, units_consumed: v["unitsConsumed"].as_u64(), accounts })
}

/// `getPriorityFeeEstimate` result: micro-lamports per CU, rounded UP to an integer and capped
/// at `cap`. The float is parsed as a decimal (never through `f64`); negatives and junk are
/// decode errors.
pub fn priority_fee(result: &Value, cap: u64) -> Result<u64, ChainError> {
    let n = match &result["priorityFeeEstimate"] {
        Value::Number(n) => n,
        _ => return Err(bad("priorityFeeEstimate")),
    };
    if let Some(v) = n.as_u64() {
        return Ok(v.min(cap));
    }
    ceil_number_text(&n.to_string()).map(|v| v.min(cap))
}

/// `getRecentPrioritizationFees` (standard RPC): the `percentile` (0–100, nearest rank) of the
/// per-slot `prioritizationFee` values, capped; 0 when the node returned no slots.
///
/// # Errors
/// `Decode` when the answer is not an array of `{slot, prioritizationFee: u64}`.
pub fn recent_prioritization_fee(result: &Value, percentile: u8, cap: u64) -> Result<u64, ChainError> {
    let slots = result.as_array().ok_or_else(|| bad("getRecentPrioritizationFees"))?;
    let mut fees = slots
        .iter()
        .map(|s| s["prioritizationFee"].as_u64().ok_or_else(|| bad("prioritizationFee")))
        .collect::<Result<Vec<u64>, _>>()?;
    if fees.is_empty() {
        return Ok(0);
    }
    fees.sort_unstable();
    let rank = (usize::from(percentile.min(100)) * fees.len()).div_ceil(100).max(1);
    Ok(fees[rank - 1].min(cap))
}

/// `ceil` of a JSON number's text (`120000.0`, `1.5e7`, `1e30`) as a saturating `u64`, without
/// floating point. Negative non-zero values and malformed text are decode errors.
fn ceil_number_text(text: &str) -> Result<u64, ChainError> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exp) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().map_err(|_| bad("priorityFeeEstimate exponent"))?),
        None => (body, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad("priorityFeeEstimate"));
    }
    let any_nonzero = |d: &[u8]| d.iter().any(|c| *c != b'0');
    if negative {
        return match any_nonzero(&digits) {
            true => Err(bad("priorityFeeEstimate (negative)")),
            false => Ok(0),
        };
    }
    let point = i64::try_from(int.len()).unwrap_or(i64::MAX).saturating_add(exp);
    if !any_nonzero(&digits) {
        return Ok(0);
    }
    if point <= 0 {
        return Ok(1);
    }
    let point = usize::try_from(point).unwrap_or(usize::MAX);
    let mut whole: u128 = 0;
    for i in 0..point {
        let d = digits.get(i).map_or(0, |c| u128::from(c - b'0'));
        whole = whole.saturating_mul(10).saturating_add(d);
        if whole > u128::from(u64::MAX) {
            return Ok(u64::MAX);
        }
    }
    let round_up = digits.get(point..).is_some_and(any_nonzero);
    Ok(u64::try_from(whole + u128::from(round_up)).unwrap_or(u64::MAX))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn address_history_reads_signature_slot_time_and_failure() {
        let ok = Signature::from([7; 64]);
        let failed = Signature::from([9; 64]);
        let result = json!([
            {"signature": ok.to_string(), "slot": 114, "err": null, "memo": null, "blockTime": 1_700_000_000,
             "confirmationStatus": "finalized"},
            {"signature": failed.to_string(), "slot": 113, "err": {"InstructionError": [0, "Custom"]},
             "memo": null, "blockTime": null}
        ]);
        let list = address_signatures(&result).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(
            (list[0].signature, list[0].slot, list[0].block_time, list[0].failed),
            (ok, 114, Some(1_700_000_000), false)
        );
        assert_eq!((list[1].signature, list[1].block_time, list[1].failed), (failed, None, true));
        assert!(address_signatures(&json!([{"signature": "nope", "slot": 1}])).is_err());
        assert!(address_signatures(&json!({"value": []})).is_err());
    }

    #[test]
    fn recent_prioritization_fees_are_read_at_the_percentile() {
        let fees: Vec<Value> = (1..=20).map(|i| json!({"slot": 100 + i, "prioritizationFee": i * 1000})).collect();
        let result = Value::Array(fees);
        assert_eq!(recent_prioritization_fee(&result, 75, u64::MAX).unwrap(), 15_000);
        assert_eq!(recent_prioritization_fee(&result, 0, u64::MAX).unwrap(), 1_000);
        assert_eq!(recent_prioritization_fee(&result, 100, u64::MAX).unwrap(), 20_000);
        assert_eq!(recent_prioritization_fee(&result, 95, 7_000).unwrap(), 7_000);
        assert_eq!(recent_prioritization_fee(&json!([]), 75, 9).unwrap(), 0);
        assert!(recent_prioritization_fee(&json!({"value": []}), 75, 9).is_err());
        assert!(recent_prioritization_fee(&json!([{"slot": 1, "prioritizationFee": -1}]), 75, 9).is_err());
    }

    #[test]
    fn priority_fee_rounds_up_and_caps() {
        assert_eq!(priority_fee(&json!({"priorityFeeEstimate": 120000.0}), u64::MAX).unwrap(), 120_000);
        assert_eq!(priority_fee(&json!({"priorityFeeEstimate": 10082.01}), u64::MAX).unwrap(), 10_083);
        assert_eq!(priority_fee(&json!({"priorityFeeEstimate": 0.0}), u64::MAX).unwrap(), 0);
        assert_eq!(priority_fee(&json!({"priorityFeeEstimate": 7}), u64::MAX).unwrap(), 7);
        assert_eq!(priority_fee(&json!({"priorityFeeEstimate": 5e7}), 1_000_000).unwrap(), 1_000_000);
        assert_eq!(priority_fee(&json!({"priorityFeeEstimate": 1e30}), 9).unwrap(), 9);
        assert!(priority_fee(&json!({"priorityFeeEstimate": -1.5}), 9).is_err());
        assert!(priority_fee(&json!({"priorityFeeEstimate": "12"}), 9).is_err());
        assert!(priority_fee(&json!({}), 9).is_err());
        assert_eq!(ceil_number_text("1.5e-3"), Ok(1));
        assert_eq!(ceil_number_text("0.0"), Ok(0));
        assert_eq!(ceil_number_text("-0.0"), Ok(0));
        assert_eq!(ceil_number_text("12.000"), Ok(12));
        assert_eq!(ceil_number_text("1.25E2"), Ok(125));
        assert_eq!(ceil_number_text("1.251e2"), Ok(126));
        assert_eq!(ceil_number_text("18446744073709551616"), Ok(u64::MAX));
        assert!(ceil_number_text("1.x").is_err());
    }

    #[test]
    fn statuses_decode_the_reference_sample() {
        // The `response` of shared/reference/helius/samples/getSignatureStatuses.exchange.json.
        let sample = json!({"response": {"result": {"context": {"slot": 82}, "value": [
            {"slot": 48, "confirmations": null, "err": null, "status": {"Ok": null}, "confirmationStatus": "finalized"},
            null]}}});
        let st = signature_statuses(&sample["response"]["result"], 2).unwrap();
        assert_eq!(st[0], Some(SignatureStatus { slot: 48, state: SignatureState::Finalized, err: None }));
        assert_eq!(st[1], None);
        let failed = json!({"value": [{"slot": 1000, "confirmations": 3,
            "err": {"InstructionError": [3, {"Custom": 6002}]}, "confirmationStatus": "confirmed"}]});
        let st = signature_statuses(&failed, 1).unwrap();
        assert_eq!(st[0].as_ref().unwrap().err, Some(json!({"InstructionError": [3, {"Custom": 6002}]})));
        assert!(signature_statuses(&failed, 2).is_err(), "length mismatch is a decode error");
    }

    #[test]
    fn accounts_decode_base64_and_reject_junk() {
        let v = json!({"lamports": 5, "owner": "11111111111111111111111111111111", "data": ["AQI=", "base64"]});
        let a = account(&v).unwrap().unwrap();
        assert_eq!((a.lamports, a.data), (Lamports(5), vec![1, 2]));
        assert_eq!(account(&Value::Null).unwrap(), None);
        assert!(account(&json!({"lamports": 5, "owner": "x", "data": ["", "base64"]})).is_err());
        assert!(account(&json!({"lamports": -5, "owner": "11111111111111111111111111111111"})).is_err());
    }

    #[test]
    fn parsed_token_accounts_carry_decimals() {
        let v = json!({"value": [{"pubkey": "BGocb4GEpbTFm8UFV2VsDSaBXHELPfAXrvd4vtt8QWrA", "account": {
            "lamports": 2039280, "owner": "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
            "data": {"program": "spl-token", "parsed": {"info": {
                "mint": "2cHr7QS3xfuSV8wdxo3ztuF4xbiarF6Nrgx3qpx3HzXR",
                "owner": "A1TMhSGzQxMr1TboBKtgixKz1sS6REASMxPo1qsyTSJd",
                "tokenAmount": {"amount": "420000000000000", "decimals": 6}}, "type": "account"}, "space": 165}}}]});
        let h = token_accounts(&v, crate::solana::ids::TOKEN_PROGRAM).unwrap();
        assert_eq!(h[0].amount, 420_000_000_000_000);
        assert_eq!(h[0].decimals, Some(6));
    }
}
