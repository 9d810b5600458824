//! The swap port: quote a trade on the right venue and plan its instructions.
//!
//! `Swapper` routes per mint (live bonding curve → Pump.fun; complete curve → PumpSwap; else
//! Jupiter). A `Quote` carries the venue state it was computed from, so planning the
//! instructions needs no second read: the hot path does at most one RPC read before signing.

use async_trait::async_trait;
use rust_decimal::Decimal;
use solana_instruction::Instruction;
use solana_message::AddressLookupTableAccount;
use solana_pubkey::Pubkey;

use super::ChainError;
use crate::domain::money::{Bps, Lamports};
use crate::domain::position::Side;

/// A trading venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VenueId {
    /// Pump.fun bonding curve.
    PumpFun,
    /// PumpSwap AMM (after migration).
    PumpSwap,
    /// Jupiter aggregator.
    Jupiter,
}

impl VenueId {
    /// Stable code (storage, metrics).
    pub fn code(self) -> &'static str {
        match self {
            Self::PumpFun => "pumpfun",
            Self::PumpSwap => "pumpswap",
            Self::Jupiter => "jupiter",
        }
    }
}

/// Why a venue cannot quote or plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VenueError {
    /// The bonding curve completed (route to PumpSwap instead).
    #[error("bonding curve complete")]
    CurveComplete,
    /// No pool or route exists for this mint.
    #[error("no route for this token")]
    NoRoute,
    /// The mint account does not exist or is not a token mint.
    #[error("not a token mint")]
    NotAMint,
    /// The trade is too large or too small for the venue's math.
    #[error("amount not tradable: {0}")]
    Amount(String),
    /// The venue's HTTP API rate-limited us.
    #[error("venue rate limited (retry after {retry_after_ms} ms)")]
    RateLimited {
        /// Milliseconds to wait.
        retry_after_ms: u64,
    },
    /// The venue's HTTP API failed.
    #[error("venue unavailable: {0}")]
    Unavailable(String),
    /// An unexpected venue answer or account layout.
    #[error("unexpected venue data: {0}")]
    Decode(String),
    /// Reading chain state failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
}

/// What to quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteRequest {
    /// Token mint.
    pub mint: Pubkey,
    /// Buy (SOL in) or sell (tokens in).
    pub side: Side,
    /// Lamports for a buy, raw token units for a sell.
    pub amount_in: u64,
    /// Slippage tolerance applied to `min_out`.
    pub slippage: Bps,
}

/// Venue state a quote was computed from, enough to plan without another read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuoteRoute {
    /// Pump.fun: the bonding curve account bytes.
    PumpFun {
        /// Raw `BondingCurve` account data.
        curve_account: Vec<u8>,
    },
    /// PumpSwap: the pool address and its account bytes.
    PumpSwap {
        /// Pool address.
        pool: Pubkey,
        /// Raw pool account data.
        pool_account: Vec<u8>,
    },
    /// Jupiter: the quote response as returned by `/quote`, passed back to `/swap-instructions`.
    Jupiter {
        /// Quote JSON.
        quote: serde_json::Value,
    },
}

/// A priced trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    /// Venue chosen.
    pub venue: VenueId,
    /// The request.
    pub request: QuoteRequest,
    /// Expected output (raw tokens for a buy, lamports for a sell).
    pub expected_out: u64,
    /// Minimum accepted output after slippage.
    pub min_out: u64,
    /// Price impact of the trade.
    pub price_impact: Bps,
    /// Venue fees (protocol, creator, LP) in lamports.
    pub venue_fee: Lamports,
    /// Quote-side (SOL) liquidity of the curve or pool.
    pub liquidity: Lamports,
    /// The mint's decimals.
    pub token_decimals: u8,
    /// The mint's token program (SPL Token or Token-2022).
    pub token_program: Pubkey,
    /// Spot price in SOL per UI token (display and exit rules).
    pub price: Decimal,
    /// Fully diluted market cap in lamports, when known.
    pub market_cap: Option<Lamports>,
    /// Venue state for planning.
    pub route: QuoteRoute,
}

/// Per-user choices that change the instructions (not the quote).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// Pump.fun / PumpSwap `track_volume` (volume rewards). On by default, as in the official
    /// SDKs and web app, so our buy instructions are byte-identical to theirs.
    pub track_volume: bool,
    /// Whether the user's token account for the mint exists, when the caller has just read it
    /// (saves the venue a read, and is never stale: the bot closes emptied accounts).
    pub user_ata_exists: Option<bool>,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self { track_volume: true, user_ata_exists: None }
    }
}

/// Unsigned instructions for a quoted trade.
#[derive(Debug, Clone, PartialEq)]
pub struct SwapPlan {
    /// Venue instructions (ATA creation, wrap/unwrap, the swap), without compute budget or tip.
    pub instructions: Vec<Instruction>,
    /// Address lookup tables the route needs (Jupiter).
    pub lookup_tables: Vec<AddressLookupTableAccount>,
    /// Compute units to request.
    pub compute_unit_limit: u32,
    /// Lamports the transaction will lock in new accounts (ATA rent), on top of `amount_in`.
    pub rent: Lamports,
}

/// Quotes and plans swaps on the right venue.
#[async_trait]
pub trait Swapper: Send + Sync {
    /// Quotes a trade (at most one chain read for curve/pool state; cached global accounts).
    async fn quote(&self, request: &QuoteRequest) -> Result<Quote, VenueError>;
    /// Plans the instructions for `quote` with `owner` as signer and fee payer.
    async fn plan(&self, quote: &Quote, owner: &Pubkey, options: &PlanOptions) -> Result<SwapPlan, VenueError>;
    /// Quotes `request` from the venue state `basis` was computed from, without reading the
    /// chain when the venue allows it (a Pump.fun curve); otherwise a fresh quote. An alert's
    /// fan-out reads the market once and requotes every subscriber's size from it.
    async fn requote(&self, request: &QuoteRequest, basis: &Quote) -> Result<Quote, VenueError> {
        let _ = basis;
        self.quote(request).await
    }
}
