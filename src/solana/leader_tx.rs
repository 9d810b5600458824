//! Decodes a watched wallet's swap from a `getTransaction` answer (`encoding: "json"`,
//! `maxSupportedTransactionVersion: 0`) into a [`LeaderTrade`].
//!
//! Talks to nothing and never signs: pure JSON → domain. Amounts come from the venue's own
//! event when the wallet is the event's `user` (Pump.fun `TradeEvent`, PumpSwap
//! `BuyEvent`/`SellEvent`, Anchor self-CPI inner instructions), else from the wallet's balance
//! deltas (SOL plus wSOL against one token; Jupiter routes). The holding before the trade (for
//! "share sold") always comes from the wallet's token balances.

use std::collections::HashMap;
use std::str::FromStr;

use serde_json::Value;
use solana_pubkey::Pubkey;

use super::ids::{JUPITER_V6_PROGRAM, PUMP_AMM_PROGRAM, PUMP_PROGRAM, WSOL_MINT};
use crate::domain::copy::{LeaderSide, LeaderTrade, LeaderVenue};
use crate::domain::money::Lamports;

/// Anchor's event-CPI tag: the first 8 bytes of a self-CPI event instruction.
const EVENT_CPI_TAG: [u8; 8] = [0xe4, 0x45, 0xa5, 0x2e, 0x51, 0xcb, 0x9a, 0x1d];
/// Pump.fun `TradeEvent` discriminator.
const PUMP_TRADE_EVENT: [u8; 8] = [0xbd, 0xdb, 0x7f, 0xd3, 0x4e, 0xe6, 0x61, 0xee];
/// PumpSwap `BuyEvent` discriminator.
const AMM_BUY_EVENT: [u8; 8] = [0x67, 0xf4, 0x52, 0x1f, 0x2c, 0xf5, 0x77, 0x77];
/// PumpSwap `SellEvent` discriminator.
const AMM_SELL_EVENT: [u8; 8] = [0x3e, 0x2f, 0x37, 0x0a, 0xa5, 0x03, 0xdc, 0x2a];

/// Why a transaction is not a leader trade (not an error: most of a wallet's transactions are
/// not swaps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotATrade {
    /// The answer is `null` (not found yet) or not a transaction.
    Missing,
    /// It landed and failed.
    Failed,
    /// The wallet is not among its accounts.
    NotInvolved,
    /// No Pump.fun, PumpSwap or Jupiter program was invoked.
    NoVenue,
    /// No token moved against SOL for the wallet.
    NoSwap,
}

/// The swap `leader` made in this transaction.
///
/// # Errors
/// See [`NotATrade`].
pub fn decode(result: &Value, leader: &Pubkey) -> Result<LeaderTrade, NotATrade> {
    let meta = result.get("meta").filter(|m| m.is_object()).ok_or(NotATrade::Missing)?;
    if !meta["err"].is_null() {
        return Err(NotATrade::Failed);
    }
    let message = &result["transaction"]["message"];
    let keys = account_keys(message, meta);
    let at = keys.iter().position(|k| k == leader).ok_or(NotATrade::NotInvolved)?;
    let programs = invoked(message, meta, &keys);
    let venue = if programs.contains(&JUPITER_V6_PROGRAM) {
        LeaderVenue::Jupiter
    } else if programs.contains(&PUMP_AMM_PROGRAM) {
        LeaderVenue::PumpSwap
    } else if programs.contains(&PUMP_PROGRAM) {
        LeaderVenue::PumpFun
    } else {
        return Err(NotATrade::NoVenue);
    };
    let deltas = Deltas::read(meta, leader, at);
    let (mint, pre, post) = deltas.traded().ok_or(NotATrade::NoSwap)?;
    let mut trade = LeaderTrade {
        signature: result["transaction"]["signatures"][0].as_str().unwrap_or_default().to_owned(),
        slot: result["slot"].as_u64().unwrap_or_default(),
        block_time: result["blockTime"].as_i64(),
        leader: *leader,
        mint,
        side: if post > pre { LeaderSide::Buy } else { LeaderSide::Sell },
        venue,
        sol: Lamports(u64::try_from(deltas.sol.unsigned_abs()).unwrap_or(u64::MAX)),
        tokens: post.abs_diff(pre),
        held_before: pre,
    };
    if let Some(event) = events(meta, &keys).into_iter().find(|e| e.user == *leader) {
        trade.side = event.side;
        trade.sol = event.sol;
        trade.tokens = event.tokens;
        if let Some(m) = event.mint {
            trade.mint = m;
        }
    }
    // A buy that spent no SOL, or a sell that returned none (a transfer through a router), is
    // not a trade we can size or mirror.
    let sol_moved_against = match trade.side {
        LeaderSide::Buy => deltas.sol <= 0,
        LeaderSide::Sell => deltas.sol >= 0,
    };
    if trade.tokens == 0 || !sol_moved_against {
        return Err(NotATrade::NoSwap);
    }
    Ok(trade)
}

/// Static keys, then loaded writable, then loaded readonly (v0 lookup tables).
fn account_keys(message: &Value, meta: &Value) -> Vec<Pubkey> {
    let static_keys = message["accountKeys"].as_array().into_iter().flatten();
    let loaded =
        ["writable", "readonly"].into_iter().flat_map(|k| meta["loadedAddresses"][k].as_array().into_iter().flatten());
    static_keys
        .chain(loaded)
        .map(|v| {
            // `jsonParsed` lists `{pubkey, …}` objects; `json` lists strings.
            let text = v.as_str().or_else(|| v["pubkey"].as_str()).unwrap_or_default();
            Pubkey::from_str(text).unwrap_or_default()
        })
        .collect()
}

fn instructions<'a>(message: &'a Value, meta: &'a Value) -> impl Iterator<Item = &'a Value> {
    let outer = message["instructions"].as_array().into_iter().flatten();
    let inner = meta["innerInstructions"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|group| group["instructions"].as_array().into_iter().flatten());
    outer.chain(inner)
}

fn program_of(ix: &Value, keys: &[Pubkey]) -> Option<Pubkey> {
    let i = usize::try_from(ix["programIdIndex"].as_u64()?).ok()?;
    keys.get(i).copied()
}

fn invoked(message: &Value, meta: &Value, keys: &[Pubkey]) -> Vec<Pubkey> {
    let mut out: Vec<Pubkey> = instructions(message, meta).filter_map(|ix| program_of(ix, keys)).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The wallet's SOL change (fees added back when it paid them, wSOL counted as SOL) and its
/// raw balance per mint before and after.
struct Deltas {
    sol: i128,
    tokens: HashMap<Pubkey, (u64, u64)>,
}

impl Deltas {
    fn read(meta: &Value, leader: &Pubkey, at: usize) -> Self {
        let lamports = |k: &str| meta[k].get(at).and_then(Value::as_u64).unwrap_or_default();
        let mut sol = i128::from(lamports("postBalances")) - i128::from(lamports("preBalances"));
        if at == 0 {
            sol += i128::from(meta["fee"].as_u64().unwrap_or_default());
        }
        let mut tokens: HashMap<Pubkey, (u64, u64)> = HashMap::new();
        for (k, post) in [("preTokenBalances", false), ("postTokenBalances", true)] {
            for b in meta[k].as_array().into_iter().flatten() {
                if b["owner"].as_str().and_then(|o| Pubkey::from_str(o).ok()) != Some(*leader) {
                    continue;
                }
                let Some(mint) = b["mint"].as_str().and_then(|m| Pubkey::from_str(m).ok()) else { continue };
                let amount = b["uiTokenAmount"]["amount"].as_str().and_then(|a| a.parse::<u64>().ok()).unwrap_or(0);
                let entry = tokens.entry(mint).or_insert((0, 0));
                if post {
                    entry.1 = entry.1.saturating_add(amount);
                } else {
                    entry.0 = entry.0.saturating_add(amount);
                }
            }
        }
        if let Some((pre, post)) = tokens.remove(&WSOL_MINT) {
            sol += i128::from(post) - i128::from(pre);
        }
        Self { sol, tokens }
    }

    /// The token moved against SOL: the largest change of a mint that moved opposite to SOL.
    fn traded(&self) -> Option<(Pubkey, u64, u64)> {
        self.tokens
            .iter()
            .filter(|(_, (pre, post))| pre != post)
            .filter(|(_, (pre, post))| if post > pre { self.sol <= 0 } else { self.sol >= 0 })
            .max_by_key(|(mint, (pre, post))| (pre.abs_diff(*post), **mint))
            .map(|(mint, (pre, post))| (*mint, *pre, *post))
    }
}

/// A venue event's view of one swap.
struct Event {
    user: Pubkey,
    side: LeaderSide,
    sol: Lamports,
    tokens: u64,
    mint: Option<Pubkey>,
}

fn events(meta: &Value, keys: &[Pubkey]) -> Vec<Event> {
    let inner = meta["innerInstructions"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|group| group["instructions"].as_array().into_iter().flatten());
    inner
        .filter_map(|ix| {
            let program = program_of(ix, keys)?;
            let data = bs58::decode(ix["data"].as_str()?).into_vec().ok()?;
            let body = data.strip_prefix(&EVENT_CPI_TAG)?;
            let (disc, fields) = body.split_at_checked(8)?;
            match (program, <[u8; 8]>::try_from(disc).ok()?) {
                (p, PUMP_TRADE_EVENT) if p == PUMP_PROGRAM => pump_trade(fields),
                (p, AMM_BUY_EVENT) if p == PUMP_AMM_PROGRAM => amm_event(fields, LeaderSide::Buy),
                (p, AMM_SELL_EVENT) if p == PUMP_AMM_PROGRAM => amm_event(fields, LeaderSide::Sell),
                _ => None,
            }
        })
        .collect()
}

fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(off..off + 8)?.try_into().ok()?))
}

fn key_at(b: &[u8], off: usize) -> Option<Pubkey> {
    Some(Pubkey::new_from_array(b.get(off..off + 32)?.try_into().ok()?))
}

/// `TradeEvent { mint, sol_amount, token_amount, is_buy, user, … }`.
fn pump_trade(b: &[u8]) -> Option<Event> {
    let side = match b.get(48)? {
        1 => LeaderSide::Buy,
        0 => LeaderSide::Sell,
        _ => return None,
    };
    Some(Event {
        mint: Some(key_at(b, 0)?),
        sol: Lamports(u64_at(b, 32)?),
        tokens: u64_at(b, 40)?,
        side,
        user: key_at(b, 49)?,
    })
}

/// `BuyEvent { timestamp, base_amount_out, …, user_quote_amount_in (104), pool, user (144) }` and
/// `SellEvent { timestamp, base_amount_in, …, user_quote_amount_out (104), pool, user (144) }`.
fn amm_event(b: &[u8], side: LeaderSide) -> Option<Event> {
    Some(Event { mint: None, sol: Lamports(u64_at(b, 104)?), tokens: u64_at(b, 8)?, side, user: key_at(b, 144)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_truncated_event_is_ignored_not_a_panic() {
        assert!(pump_trade(&[1; 20]).is_none());
        assert!(amm_event(&[1; 150], LeaderSide::Buy).is_none());
        assert_eq!(decode(&Value::Null, &Pubkey::new_unique()), Err(NotATrade::Missing));
    }
}
