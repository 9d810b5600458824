#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::solana::ids::{ASSOCIATED_TOKEN_PROGRAM, JUPITER_V6_PROGRAM, SYSTEM_PROGRAM, TOKEN_PROGRAM};

const QUOTE: &str = include_str!("../../tests/fixtures/jupiter/quote.SOL-USDC.json");
const SWAP_IXS: &str = include_str!("../../tests/fixtures/jupiter/swap-instructions.SOL-USDC.json");

#[test]
fn the_real_quote_parses_and_is_kept_verbatim() {
    let raw: Value = serde_json::from_str(QUOTE).unwrap();
    let q = JupiterQuote::from_json(raw.clone()).unwrap();
    assert_eq!((q.in_amount, q.out_amount, q.other_amount_threshold), (1_000_000_000, 120_704_786, 120_101_263));
    assert_eq!(q.price_impact(), Bps(0));
    assert!(q.fees.is_empty(), "the 2026 sample has no feeAmount");
    assert_eq!(q.raw, raw);
    assert!(q.raw.get("mostReliableAmmsQuoteReport").is_some());
}

#[test]
fn price_impact_is_read_as_a_fraction_and_clamped() {
    let mut raw: Value = serde_json::from_str(QUOTE).unwrap();
    raw["priceImpactPct"] = json!("0.0123");
    assert_eq!(JupiterQuote::from_json(raw.clone()).unwrap().price_impact(), Bps(123));
    raw["priceImpactPct"] = json!("7");
    assert_eq!(JupiterQuote::from_json(raw.clone()).unwrap().price_impact(), Bps(10_000));
    raw["priceImpactPct"] = json!("garbage");
    assert_eq!(JupiterQuote::from_json(raw.clone()).unwrap().price_impact(), Bps(0));
    raw["outAmount"] = json!(null);
    assert!(matches!(JupiterQuote::from_json(raw), Err(VenueError::Decode(_))));
}

#[test]
fn swap_instructions_drop_compute_budget_and_keep_order_and_flags() {
    let body: Value = serde_json::from_str(SWAP_IXS).unwrap();
    let s = SwapInstructions::from_json(&body).unwrap();
    let programs: Vec<Pubkey> = s.instructions.iter().map(|i| i.program_id).collect();
    assert_eq!(
        programs,
        [
            ASSOCIATED_TOKEN_PROGRAM,
            SYSTEM_PROGRAM,
            TOKEN_PROGRAM,
            ASSOCIATED_TOKEN_PROGRAM,
            JUPITER_V6_PROGRAM,
            TOKEN_PROGRAM
        ]
    );
    assert_eq!(s.compute_unit_limit, Some(450_353));
    assert_eq!(s.lookup_table_addresses, ["Ff5nPm5K46CbZ3JRaLP3rLM2vxSqcwh2ai8VxiajtKAF".parse::<Pubkey>().unwrap()]);
    let route = &s.instructions[4];
    assert_eq!(route.data[..8], hex::decode("e517cb977ae3ad2a").unwrap()[..]);
    assert_eq!(route.accounts.len(), 22);
    assert!(route.accounts[1].is_signer);
    let transfer = &s.instructions[1];
    assert_eq!(transfer.data, hex::decode("020000006400000000000000").unwrap());
    assert!(transfer.accounts[0].is_signer && transfer.accounts[0].is_writable);
}

#[test]
fn bad_instruction_answers_are_decode_errors() {
    let mut body: Value = serde_json::from_str(SWAP_IXS).unwrap();
    body["swapInstruction"]["data"] = json!("%%%");
    assert!(matches!(SwapInstructions::from_json(&body), Err(VenueError::Decode(_))));
    body["swapInstruction"] = json!(null);
    assert!(matches!(SwapInstructions::from_json(&body), Err(VenueError::Decode(_))));
    assert!(SwapInstructions::from_json(&json!({"error": "x"})).is_err());
}

#[test]
fn lookup_tables_decode_after_the_56_byte_header() {
    let key = Pubkey::new_unique();
    let keys = [Pubkey::new_unique(), Pubkey::new_unique()];
    let mut data = vec![0u8; LOOKUP_TABLE_META_LEN];
    data[..4].copy_from_slice(&1u32.to_le_bytes());
    data[4..12].copy_from_slice(&u64::MAX.to_le_bytes());
    for k in &keys {
        data.extend_from_slice(k.as_ref());
    }
    let table = decode_lookup_table(key, &data).unwrap();
    assert_eq!((table.key, table.addresses.as_slice()), (key, &keys[..]));
    assert!(decode_lookup_table(key, &data[..40]).is_err());
    assert!(decode_lookup_table(key, &data[..LOOKUP_TABLE_META_LEN + 5]).is_err());
    data[0] = 0;
    assert!(decode_lookup_table(key, &data).is_err());
}

#[test]
fn retry_after_prefers_the_header_then_the_reset_time() {
    let mut h = reqwest::header::HeaderMap::new();
    assert_eq!(retry_after(&h), None);
    let in_5s = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() + 5;
    h.insert("x-ratelimit-reset", in_5s.to_string().parse().unwrap());
    let wait = retry_after(&h).unwrap();
    assert!(wait >= Duration::from_secs(4) && wait <= Duration::from_secs(5), "{wait:?}");
    h.insert("retry-after", "2".parse().unwrap());
    assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
}
