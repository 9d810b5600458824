#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! `buy_v2` / `sell_v2` against the official TS SDK 2.0.0 IDL: every account is resolved from
//! the IDL's own PDA seeds (const bytes, other accounts, `bonding_curve.creator`) and program,
//! or its fixed address; flags and data come from the IDL too.

use std::collections::HashMap;

use serde_json::Value;
use solana_pubkey::pubkey;

use super::*;
use crate::solana::ids::{TOKEN_2022_PROGRAM, TOKEN_PROGRAM, USDC_MINT};
use crate::venues::pumpfun::curve::tests::{fresh_curve, test_global};
use crate::venues::pumpfun::pda::MintKey;

fn idl() -> Value {
    serde_json::from_str(include_str!("../../../tests/fixtures/pumpfun/pump-sdk-2.0.0.v2-trades.idl.json")).unwrap()
}

fn instruction<'a>(idl: &'a Value, name: &str) -> &'a Value {
    idl["instructions"].as_array().unwrap().iter().find(|i| i["name"] == name).unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    v.as_array().unwrap().iter().map(|b| u8::try_from(b.as_u64().unwrap()).unwrap()).collect()
}

/// Resolves every account of `ix` the way an Anchor client does from the IDL. `inputs` are the
/// accounts the IDL leaves to the caller; `creator` is `bonding_curve.creator`.
fn resolve(idl: &Value, ix: &Value, inputs: &HashMap<&str, Pubkey>, creator: Pubkey) -> Vec<AccountMeta> {
    let program: Pubkey = idl["address"].as_str().unwrap().parse().unwrap();
    let mut known: HashMap<String, Pubkey> = inputs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
    let accounts = ix["accounts"].as_array().unwrap();
    // Fixed addresses first (a PDA's program may name one that comes later).
    for a in accounts {
        if let Some(addr) = a["address"].as_str() {
            known.insert(a["name"].as_str().unwrap().to_owned(), addr.parse().unwrap());
        }
    }
    // PDAs may depend on each other; resolve until nothing changes.
    for _ in 0..accounts.len() {
        for a in accounts {
            let name = a["name"].as_str().unwrap();
            if known.contains_key(name) || a["pda"].is_null() {
                continue;
            }
            let seed = |s: &Value| -> Option<Vec<u8>> {
                match s["kind"].as_str().unwrap() {
                    "const" => Some(bytes(&s["value"])),
                    "account" if s["path"] == "bonding_curve.creator" => Some(creator.to_bytes().to_vec()),
                    "account" => known.get(s["path"].as_str().unwrap()).map(|k| k.to_bytes().to_vec()),
                    other => panic!("seed kind {other}"),
                }
            };
            let Some(seeds) = a["pda"]["seeds"].as_array().unwrap().iter().map(seed).collect::<Option<Vec<_>>>() else {
                continue;
            };
            let owner = match &a["pda"]["program"] {
                Value::Null => Some(program),
                p if p["kind"] == "const" => Some(Pubkey::try_from(bytes(&p["value"]).as_slice()).unwrap()),
                p => known.get(p["path"].as_str().unwrap()).copied(),
            };
            let Some(owner) = owner else { continue };
            let refs: Vec<&[u8]> = seeds.iter().map(Vec::as_slice).collect();
            known.insert(name.to_owned(), Pubkey::find_program_address(&refs, &owner).0);
        }
    }
    accounts
        .iter()
        .map(|a| {
            let name = a["name"].as_str().unwrap();
            let key = *known.get(name).unwrap_or_else(|| panic!("{name} not resolved"));
            let writable = a["writable"].as_bool().unwrap_or(false);
            let signer = a["signer"].as_bool().unwrap_or(false);
            if writable { AccountMeta::new(key, signer) } else { AccountMeta::new_readonly(key, signer) }
        })
        .collect()
}

/// Discriminator ‖ each u64 argument, little-endian (borsh), as the IDL lists them.
fn idl_data(ix: &Value, args: &[u64]) -> Vec<u8> {
    let mut data = bytes(&ix["discriminator"]);
    let listed = ix["args"].as_array().unwrap();
    assert_eq!(listed.len(), args.len(), "{}", ix["name"]);
    for (arg, v) in listed.iter().zip(args) {
        assert_eq!(arg["type"], "u64", "{}", arg["name"]);
        data.extend_from_slice(&v.to_le_bytes());
    }
    data
}

struct Case {
    trade: V2Trade,
    inputs: HashMap<&'static str, Pubkey>,
    creator: Pubkey,
}

fn case(base_program: Pubkey, quote_mint: Option<Pubkey>) -> Case {
    let mut curve = fresh_curve();
    if let Some(q) = quote_mint {
        curve.quote_mint = q;
    }
    let mint_key = pubkey!("EM1WnMcHLeMqBFWKoNstRj7qautMwSphqRQVBVw1pump");
    let mint = MintAccounts::derive(&MintKey { mint: mint_key, token_program: base_program, creator: curve.creator });
    let user = pubkey!("AMDEmVocLtN5ji2gBY7BrmSHEyM5vt6TGszBbg4crMXg");
    let recipients = FeeRecipients::pick(&test_global(), false, 3);
    let parts = V2TradeParts { curve: &curve, mint: &mint, user, recipients, quote_token_program: TOKEN_PROGRAM };
    let trade = V2Trade::new(&parts).unwrap();
    let quote = quote_mint.unwrap_or(WSOL_MINT);
    // The accounts the IDL leaves to the caller, derived as reference §1.4 documents.
    let inputs = HashMap::from([
        ("base_mint", mint_key),
        ("quote_mint", quote),
        ("base_token_program", base_program),
        ("quote_token_program", TOKEN_PROGRAM),
        ("fee_recipient", recipients.fee_recipient),
        ("buyback_fee_recipient", recipients.buyback_fee_recipient),
        ("user", user),
        ("associated_base_user", AtaSpec { owner: user, mint: mint_key, token_program: base_program }.address()),
        ("associated_quote_user", AtaSpec { owner: user, mint: quote, token_program: TOKEN_PROGRAM }.address()),
    ]);
    Case { trade, inputs, creator: curve.creator }
}

#[test]
fn discriminators_match_the_idl() {
    let idl = idl();
    assert_eq!(bytes(&instruction(&idl, "buy_v2")["discriminator"]), BUY_V2_DISCRIMINATOR);
    assert_eq!(bytes(&instruction(&idl, "sell_v2")["discriminator"]), SELL_V2_DISCRIMINATOR);
}

#[test]
fn buy_v2_and_sell_v2_match_the_official_idl_byte_for_byte() {
    let idl = idl();
    for (base_program, quote) in [(TOKEN_2022_PROGRAM, None), (TOKEN_PROGRAM, None), (TOKEN_PROGRAM, Some(USDC_MINT))] {
        let c = case(base_program, quote);
        let buy_ix = instruction(&idl, "buy_v2");
        let buy = c.trade.buy_v2(TokenAmount::new(3_500_000_000_000, 6), Lamports(110_000_000));
        assert_eq!(buy.program_id, PUMP_PROGRAM);
        assert_eq!(buy.accounts, resolve(&idl, buy_ix, &c.inputs, c.creator), "buy_v2 {base_program} {quote:?}");
        assert_eq!(buy.accounts.len(), 27);
        assert_eq!(buy.data, idl_data(buy_ix, &[3_500_000_000_000, 110_000_000]));
        assert_eq!(
            hex(&buy.data),
            "b817ee6167c5d33d00b841e82e03000080778e0600000000",
            "disc ‖ amount ‖ max_sol_cost (24 bytes, no partial_fill)"
        );

        let sell_ix = instruction(&idl, "sell_v2");
        let sell = c.trade.sell_v2(TokenAmount::new(1_000_000, 6), Lamports(42));
        assert_eq!(sell.accounts, resolve(&idl, sell_ix, &c.inputs, c.creator), "sell_v2 {base_program} {quote:?}");
        assert_eq!(sell.accounts.len(), 26);
        assert_eq!(sell.data, idl_data(sell_ix, &[1_000_000, 42]));
        let signers: Vec<Pubkey> = sell.accounts.iter().filter(|a| a.is_signer).map(|a| a.pubkey).collect();
        assert_eq!(signers, vec![c.inputs["user"]]);
    }
}

#[test]
fn v2_refuses_complete_curves_and_stale_creators() {
    let mut curve = fresh_curve();
    let mint = MintAccounts::derive(&MintKey {
        mint: Pubkey::new_unique(),
        token_program: TOKEN_PROGRAM,
        creator: curve.creator,
    });
    let recipients = FeeRecipients::pick(&test_global(), false, 0);
    let user = Pubkey::new_unique();
    let new = |c: &BondingCurve| {
        V2Trade::new(&V2TradeParts { curve: c, mint: &mint, user, recipients, quote_token_program: TOKEN_PROGRAM })
    };
    curve.complete = true;
    assert_eq!(new(&curve), Err(IxError::Complete));
    curve.complete = false;
    curve.creator = Pubkey::new_unique();
    assert_eq!(new(&curve), Err(IxError::StaleCreator));
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
