//! A thin Jupiter Metis v1 client: `GET /quote`, then `POST /swap-instructions`, decoded into
//! plain instructions so we compose the transaction ourselves (our compute budget, our Sender
//! tip), plus the AddressLookupTable account decoder for the route's tables.
//!
//! Talks to `JUPITER_API_URL` only (with `x-api-key` when configured). Never signs, never
//! forwards Jupiter's compute-budget instructions, and keeps the quote as raw JSON so it goes
//! back to `/swap-instructions` verbatim (reference §3.2). After a 429 it sends nothing until
//! `Retry-After` / `x-ratelimit-reset` has passed. Nothing here panics on network input.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use solana_instruction::{AccountMeta, Instruction};
use solana_message::AddressLookupTableAccount;
use solana_pubkey::Pubkey;

use crate::domain::money::Bps;
use crate::ports::VenueError;
use crate::solana::ids::COMPUTE_BUDGET_PROGRAM;

/// Used when a 429 names no delay.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);
/// Upper bound on an honoured delay (a bogus header must not park the venue for hours).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Address lookup table program.
pub const ADDRESS_LOOKUP_TABLE_PROGRAM: Pubkey = solana_pubkey::pubkey!("AddressLookupTab1e1111111111111111111111111");
/// Size of the AddressLookupTable metadata header before the 32-byte keys.
pub const LOOKUP_TABLE_META_LEN: usize = 56;

/// Connection settings.
#[derive(Debug, Clone)]
pub struct JupiterConfig {
    /// Base URL, e.g. `https://api.jup.ag/swap/v1` (paths are appended).
    pub base_url: reqwest::Url,
    /// Sent as `x-api-key` when set.
    pub api_key: Option<SecretString>,
    /// Whole-request timeout.
    pub timeout: Duration,
}

/// What to ask `/quote` for (ExactIn).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JupiterQuoteRequest {
    /// Mint paid in (wSOL for buys).
    pub input_mint: Pubkey,
    /// Mint received.
    pub output_mint: Pubkey,
    /// Raw input amount.
    pub amount: u64,
    /// Slippage for `otherAmountThreshold`.
    pub slippage: Bps,
}

/// The fields of a `/quote` answer we read, plus the answer itself, verbatim.
#[derive(Debug, Clone, PartialEq)]
pub struct JupiterQuote {
    /// The whole response, to send back unchanged.
    pub raw: Value,
    /// `inAmount`.
    pub in_amount: u64,
    /// `outAmount` (after AMM fees, before slippage).
    pub out_amount: u64,
    /// `otherAmountThreshold` (minimum out after slippage).
    pub other_amount_threshold: u64,
    /// `priceImpactPct` as given (a fraction: "0.01" = 1 %; UNCERTAIN, see [`Self::price_impact`]).
    pub price_impact_pct: Decimal,
    /// Sum of `routePlan[].swapInfo.feeAmount` paid in `fee_mint` (AMM fees), when given.
    pub fees: Vec<(Pubkey, u64)>,
}

impl JupiterQuote {
    /// Parses a `/quote` body leniently (amounts are strings; unknown fields kept in `raw`).
    ///
    /// # Errors
    /// [`VenueError::Decode`] when a required amount is missing or not a u64 string.
    pub fn from_json(raw: Value) -> Result<Self, VenueError> {
        let amount = |k: &str| {
            raw.get(k)
                .and_then(|v| v.as_str().and_then(|s| s.parse::<u64>().ok()).or_else(|| v.as_u64()))
                .ok_or_else(|| VenueError::Decode(format!("jupiter quote: {k}")))
        };
        let in_amount = amount("inAmount")?;
        let out_amount = amount("outAmount")?;
        let other_amount_threshold = amount("otherAmountThreshold")?;
        let price_impact_pct = raw
            .get("priceImpactPct")
            .and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.as_f64().map(|f| f.to_string())))
            .and_then(|s| s.parse::<Decimal>().ok())
            .unwrap_or(Decimal::ZERO);
        let fees = raw
            .get("routePlan")
            .and_then(Value::as_array)
            .map(|legs| {
                legs.iter()
                    .filter_map(|leg| {
                        let info = leg.get("swapInfo")?;
                        let mint = info.get("feeMint")?.as_str()?.parse().ok()?;
                        let amount = info.get("feeAmount")?.as_str()?.parse().ok()?;
                        Some((mint, amount))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self { raw, in_amount, out_amount, other_amount_threshold, price_impact_pct, fees })
    }

    /// `priceImpactPct` in bps, clamped to 0..=10 000. Jupiter documents it as a percentage
    /// string but serves fractions (UNCERTAIN): we read it as a fraction.
    pub fn price_impact(&self) -> Bps {
        use rust_decimal::prelude::ToPrimitive as _;
        let bps = (self.price_impact_pct.abs() * Decimal::from(10_000u32)).ceil().min(Decimal::from(10_000u32));
        Bps(bps.to_u16().unwrap_or(10_000))
    }
}

/// Decoded `/swap-instructions`: our transaction's venue part.
#[derive(Debug, Clone, PartialEq)]
pub struct SwapInstructions {
    /// Setup, swap, cleanup and other instructions in that order; compute-budget ones dropped.
    pub instructions: Vec<Instruction>,
    /// `addressLookupTableAddresses`.
    pub lookup_table_addresses: Vec<Pubkey>,
    /// `computeUnitLimit`, when given.
    pub compute_unit_limit: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSwapInstructions {
    #[serde(default)]
    setup_instructions: Vec<WireInstruction>,
    swap_instruction: WireInstruction,
    #[serde(default)]
    cleanup_instruction: Option<WireInstruction>,
    #[serde(default)]
    other_instructions: Vec<WireInstruction>,
    #[serde(default)]
    address_lookup_table_addresses: Vec<String>,
    #[serde(default)]
    compute_unit_limit: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireInstruction {
    program_id: String,
    #[serde(default)]
    accounts: Vec<WireAccount>,
    #[serde(default)]
    data: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAccount {
    pubkey: String,
    is_signer: bool,
    is_writable: bool,
}

impl SwapInstructions {
    /// Decodes a `/swap-instructions` body.
    ///
    /// # Errors
    /// [`VenueError::Decode`] on a missing swap instruction, a bad pubkey or bad base64.
    pub fn from_json(body: &Value) -> Result<Self, VenueError> {
        let wire: WireSwapInstructions = serde_json::from_value(body.clone())
            .map_err(|e| VenueError::Decode(format!("jupiter swap-instructions: {e}")))?;
        let all = wire
            .setup_instructions
            .iter()
            .chain(std::iter::once(&wire.swap_instruction))
            .chain(wire.cleanup_instruction.iter())
            .chain(wire.other_instructions.iter());
        let mut instructions = Vec::new();
        for w in all {
            let ix = decode_instruction(w)?;
            if ix.program_id != COMPUTE_BUDGET_PROGRAM {
                instructions.push(ix);
            }
        }
        let lookup_table_addresses =
            wire.address_lookup_table_addresses.iter().map(|k| parse_key(k)).collect::<Result<_, _>>()?;
        let compute_unit_limit = wire.compute_unit_limit.and_then(|l| u32::try_from(l).ok());
        Ok(Self { instructions, lookup_table_addresses, compute_unit_limit })
    }
}

fn parse_key(text: &str) -> Result<Pubkey, VenueError> {
    text.parse().map_err(|_| VenueError::Decode(format!("jupiter: bad pubkey {text:?}")))
}

fn decode_instruction(w: &WireInstruction) -> Result<Instruction, VenueError> {
    let accounts = w
        .accounts
        .iter()
        .map(|a| Ok(AccountMeta { pubkey: parse_key(&a.pubkey)?, is_signer: a.is_signer, is_writable: a.is_writable }))
        .collect::<Result<Vec<_>, VenueError>>()?;
    let data = B64.decode(&w.data).map_err(|_| VenueError::Decode("jupiter: bad instruction data".to_owned()))?;
    Ok(Instruction { program_id: parse_key(&w.program_id)?, accounts, data })
}

/// Decodes an AddressLookupTable account: a 56-byte header (u32 type = 1, deactivation slot,
/// last extended slot and index, optional authority, padding), then 32-byte keys.
///
/// # Errors
/// [`VenueError::Decode`] on a short account, a wrong type tag or a ragged key area.
pub fn decode_lookup_table(key: Pubkey, data: &[u8]) -> Result<AddressLookupTableAccount, VenueError> {
    let bad = || VenueError::Decode(format!("lookup table {key}: bad layout"));
    let tag = data.get(0..4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes).ok_or_else(bad)?;
    let body = data.get(LOOKUP_TABLE_META_LEN..).ok_or_else(bad)?;
    if tag != 1 || body.len() % 32 != 0 {
        return Err(bad());
    }
    let addresses = body.chunks_exact(32).filter_map(|c| <[u8; 32]>::try_from(c).ok().map(Pubkey::new_from_array));
    Ok(AddressLookupTableAccount { key, addresses: addresses.collect() })
}

/// The Jupiter HTTP client. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct JupiterClient {
    http: reqwest::Client,
    config: JupiterConfig,
    blocked_until: Mutex<Option<Instant>>,
}

impl JupiterClient {
    /// Builds the client.
    ///
    /// # Errors
    /// [`VenueError::Unavailable`] when the HTTP client cannot be built.
    pub fn new(config: JupiterConfig) -> Result<Self, VenueError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|_| VenueError::Unavailable("cannot build the HTTP client".to_owned()))?;
        Ok(Self { http, config, blocked_until: Mutex::new(None) })
    }

    /// `GET /quote` (ExactIn, versioned transactions).
    ///
    /// # Errors
    /// [`VenueError::RateLimited`] (also without a request while an earlier 429 is in force),
    /// [`VenueError::NoRoute`] for 400/404 "no route" answers, [`VenueError::Unavailable`] for
    /// transport errors and 5xx, [`VenueError::Decode`] for unexpected bodies.
    pub async fn quote(&self, req: &JupiterQuoteRequest) -> Result<JupiterQuote, VenueError> {
        let query = [
            ("inputMint", req.input_mint.to_string()),
            ("outputMint", req.output_mint.to_string()),
            ("amount", req.amount.to_string()),
            ("slippageBps", req.slippage.0.to_string()),
            ("swapMode", "ExactIn".to_owned()),
        ];
        let request = self.http.get(self.url("quote")).query(&query);
        let body = self.send(request).await?;
        JupiterQuote::from_json(body)
    }

    /// `POST /swap-instructions` for `quote` (sent back verbatim) with `user` as signer.
    ///
    /// # Errors
    /// As [`Self::quote`].
    pub async fn swap_instructions(&self, quote: &Value, user: &Pubkey) -> Result<SwapInstructions, VenueError> {
        let body = json!({
            "userPublicKey": user.to_string(),
            "quoteResponse": quote,
            "wrapAndUnwrapSol": true,
            "dynamicComputeUnitLimit": true,
        });
        let answer = self.send(self.http.post(self.url("swap-instructions")).json(&body)).await?;
        SwapInstructions::from_json(&answer)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.config.base_url.as_str().trim_end_matches('/'))
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, VenueError> {
        if let Some(wait) = self.remaining_block() {
            return Err(rate_limited(wait));
        }
        let request = match &self.config.api_key {
            Some(key) => request.header("x-api-key", key.expose_secret()),
            None => request,
        };
        let response = request.send().await.map_err(|e| {
            VenueError::Unavailable(if e.is_timeout() {
                "jupiter timed out".to_owned()
            } else {
                "jupiter unreachable".to_owned()
            })
        })?;
        let status = response.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            let wait = retry_after(response.headers()).unwrap_or(DEFAULT_RETRY_AFTER).min(MAX_RETRY_AFTER);
            self.block_for(wait);
            return Err(rate_limited(wait));
        }
        let body: Value = response.json().await.unwrap_or(Value::Null);
        match status.as_u16() {
            200..=299 => Ok(body),
            400 | 404 | 422 => {
                let text = body.get("error").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
                let code = body.get("errorCode").and_then(Value::as_str).unwrap_or_default();
                if text.contains("route") || code.contains("ROUTE") || code == "TOKEN_NOT_TRADABLE" {
                    Err(VenueError::NoRoute)
                } else {
                    Err(VenueError::Decode(format!("jupiter {status}: {}", truncate(&text))))
                }
            }
            _ => Err(VenueError::Unavailable(format!("jupiter answered {status}"))),
        }
    }

    fn remaining_block(&self) -> Option<Duration> {
        let guard = self.blocked_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.and_then(|until| until.checked_duration_since(Instant::now())).filter(|d| !d.is_zero())
    }

    fn block_for(&self, wait: Duration) {
        let mut guard = self.blocked_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let until = Instant::now() + wait;
        *guard = Some(guard.map_or(until, |old| old.max(until)));
    }
}

fn rate_limited(wait: Duration) -> VenueError {
    VenueError::RateLimited { retry_after_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX) }
}

/// `Retry-After` (seconds) or else `x-ratelimit-reset` (unix seconds).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
    if let Some(secs) = number("retry-after") {
        return Some(Duration::from_secs(secs));
    }
    let reset = number("x-ratelimit-reset")?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now).max(1)))
}

fn truncate(text: &str) -> String {
    text.chars().take(120).collect()
}

#[cfg(test)]
#[path = "jupiter_tests.rs"]
mod tests;
