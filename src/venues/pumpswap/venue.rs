//! PumpSwap as a `Swapper` venue: a decoded pool plus its vault balances become a `Quote`, and a
//! `Quote` becomes unsigned instructions with wSOL wrap and unwrap.
//!
//! Pure and synchronous: the router reads the pool and vaults, this module never does I/O and
//! never signs. Buys use `buy_exact_quote_in` (spend exactly `amount_in`, wrapped as wSOL,
//! minimum base out by slippage), so planning needs nothing the quote does not carry; sells use
//! `sell` with `min_quote_amount_out` and unwrap the proceeds.

use solana_pubkey::Pubkey;

use crate::domain::money::{Lamports, TokenAmount};
use crate::domain::position::Side;
use crate::ports::{Quote, QuoteRequest, QuoteRoute, SwapPlan, VenueError, VenueId};
use crate::solana::ids::{TOKEN_PROGRAM, WSOL_MINT};
use crate::solana::instructions::AtaSpec;
use crate::venues::globals::GlobalState;
use crate::venues::mint::MintInfo;
use crate::venues::pricing::{buy_impact, market_cap, sell_impact, sol_per_ui_token};
use crate::venues::pumpswap::accounts::{POOL_ACCOUNT_NEW_SIZE, Pool};
use crate::venues::pumpswap::ix::{
    AmmBuyExactQuoteInArgs, AmmFeeRecipients, AmmIxError, AmmSellArgs, AmmTrade, extend_pool_account,
};
use crate::venues::pumpswap::pda::{AmmUserAccounts, PoolAccounts, is_canonical_pump_pool};
use crate::venues::pumpswap::quote::{AmmError, PoolReserves, PoolState};

/// Compute units requested for a wrapped buy (ATAs, wrap, swap, unwrap).
pub const BUY_COMPUTE_UNITS: u32 = 250_000;
/// Compute units requested for a sell (wSOL ATA, swap, unwrap).
pub const SELL_COMPUTE_UNITS: u32 = 200_000;

/// The vault token accounts of a pool as the pump migration creates them: ATAs of the pool.
/// The router reads these together with the pool and checks them against the pool data.
pub fn expected_vaults(pool: &Pubkey, mint: &MintInfo) -> (Pubkey, Pubkey) {
    let base = AtaSpec { owner: *pool, mint: mint.address, token_program: mint.token_program }.address();
    let quote = AtaSpec { owner: *pool, mint: WSOL_MINT, token_program: TOKEN_PROGRAM }.address();
    (base, quote)
}

/// What a PumpSwap quote is computed from.
#[derive(Debug, Clone, Copy)]
pub struct PoolQuoteInput<'a> {
    /// The request.
    pub request: &'a QuoteRequest,
    /// The decoded base mint.
    pub mint: &'a MintInfo,
    /// Pool address.
    pub pool: Pubkey,
    /// Raw pool account data.
    pub pool_account: &'a [u8],
    /// Vault balances.
    pub reserves: PoolReserves,
    /// Cached program-wide state.
    pub globals: &'a GlobalState,
}

/// What a PumpSwap plan needs besides the quote.
#[derive(Debug, Clone, Copy)]
pub struct PoolPlanInput<'a> {
    /// A quote from [`quote`].
    pub quote: &'a Quote,
    /// Signer and fee payer.
    pub owner: Pubkey,
    /// Cached program-wide state.
    pub globals: &'a GlobalState,
    /// Spreads fee-recipient write locks.
    pub salt: u64,
    /// Whether the user's base token account already exists.
    pub user_ata_exists: bool,
    /// `track_volume` (volume rewards; the official SDK's default is on).
    pub track_volume: bool,
}

/// Quotes a trade on a wSOL-quoted pool.
///
/// # Errors
/// [`VenueError::NoRoute`] for non-wSOL pools or pools that disabled the side,
/// [`VenueError::Amount`] for untradable sizes, [`VenueError::Decode`] for bad pool data.
pub fn quote(input: &PoolQuoteInput<'_>) -> Result<Quote, VenueError> {
    let pool = Pool::decode(input.pool_account).map_err(|e| VenueError::Decode(e.to_string()))?;
    if pool.quote_mint != WSOL_MINT || pool.base_mint != input.mint.address {
        return Err(VenueError::NoRoute);
    }
    let cfg = &input.globals.amm_global_config;
    let req = input.request;
    let disabled = match req.side {
        Side::Buy => cfg.buy_disabled(),
        Side::Sell => cfg.sell_disabled(),
    };
    if disabled {
        return Err(VenueError::NoRoute);
    }
    let state = PoolState {
        pool: &pool,
        global_config: cfg,
        fee_config: input.globals.amm_fee_config.as_ref(),
        reserves: input.reserves,
        base_mint_supply: input.mint.supply,
        base_decimals: input.mint.decimals,
        canonical: is_canonical_pump_pool(&pool),
    };
    let q_eff = state.effective_quote().map_err(amm_error)?;
    let base = u128::from(input.reserves.base);
    let (expected_out, min_out, fee, impact) = match req.side {
        Side::Buy => {
            let o = state.plan_buy_exact_quote_in(Lamports(req.amount_in), req.slippage).map_err(amm_error)?;
            let q = o.quote;
            let impact = buy_impact(u128::from(q.quote_in.0), u128::from(q.base_out.raw), q_eff, base);
            (q.base_out.raw, o.min_base_out.raw, sum(&[q.lp_fee, q.protocol_fee, q.creator_fee]), impact)
        }
        Side::Sell => {
            let tokens = TokenAmount::new(req.amount_in, input.mint.decimals);
            let o = state.plan_sell(tokens, req.slippage).map_err(amm_error)?;
            let q = o.quote;
            let impact = sell_impact(u128::from(q.quote_gross.0), u128::from(req.amount_in), q_eff, base);
            (q.quote_out.0, o.min_quote_out.0, sum(&[q.lp_fee, q.protocol_fee, q.creator_fee]), impact)
        }
    };
    Ok(Quote {
        venue: VenueId::PumpSwap,
        request: req.clone(),
        expected_out,
        min_out,
        price_impact: impact,
        venue_fee: fee,
        liquidity: input.reserves.quote,
        token_decimals: input.mint.decimals,
        token_program: input.mint.token_program,
        price: sol_per_ui_token(q_eff, base, input.mint.decimals),
        market_cap: market_cap(input.mint.supply, q_eff, base),
        route: QuoteRoute::PumpSwap { pool: input.pool, pool_account: input.pool_account.to_vec() },
    })
}

/// Plans a wrapped buy or a sell for a PumpSwap quote (prepends `extend_account` for pools
/// shorter than the current layout, as the official SDK does).
///
/// # Errors
/// [`VenueError::Decode`] when the quote is not a PumpSwap quote or the pool data is bad,
/// [`VenueError::NoRoute`] for non-wSOL pools.
pub fn plan(input: &PoolPlanInput<'_>) -> Result<SwapPlan, VenueError> {
    let q = input.quote;
    let QuoteRoute::PumpSwap { pool: pool_key, pool_account } = &q.route else {
        return Err(VenueError::Decode("not a PumpSwap quote".to_owned()));
    };
    let pool = Pool::decode(pool_account).map_err(|e| VenueError::Decode(e.to_string()))?;
    let accounts = PoolAccounts::derive(*pool_key, &pool, q.token_program);
    let user = AmmUserAccounts::derive(input.owner, &accounts);
    let recipients = AmmFeeRecipients::pick(&input.globals.amm_global_config, pool.is_mayhem_mode, input.salt);
    let trade = AmmTrade::new(&accounts, &user, recipients).map_err(|e| match e {
        AmmIxError::NotSolQuoted => VenueError::NoRoute,
        AmmIxError::MismatchedAccounts => VenueError::Decode(e.to_string()),
    })?;
    let mut instructions = Vec::with_capacity(7);
    if pool_account.len() < POOL_ACCOUNT_NEW_SIZE {
        instructions.push(extend_pool_account(*pool_key, input.owner));
    }
    let (ixs, compute_unit_limit) = match q.request.side {
        Side::Buy => {
            let args = AmmBuyExactQuoteInArgs {
                spendable_quote_in: Lamports(q.request.amount_in),
                min_base_out: TokenAmount::new(q.min_out, q.token_decimals),
                track_volume: input.track_volume,
            };
            (trade.buy_exact_quote_in_instructions(&args), BUY_COMPUTE_UNITS)
        }
        Side::Sell => {
            let args = AmmSellArgs {
                base_in: TokenAmount::new(q.request.amount_in, q.token_decimals),
                min_quote_out: Lamports(q.min_out),
            };
            (trade.sell_instructions(&args), SELL_COMPUTE_UNITS)
        }
    };
    instructions.extend(ixs);
    let rent = match (q.request.side, input.user_ata_exists) {
        (Side::Buy, false) => input.globals.token_account_rent_for(&q.token_program),
        _ => Lamports::ZERO,
    };
    Ok(SwapPlan { instructions, lookup_tables: Vec::new(), compute_unit_limit, rent })
}

fn sum(parts: &[Lamports]) -> Lamports {
    Lamports(parts.iter().fold(0u64, |acc, l| acc.saturating_add(l.0)))
}

/// Maps pool math failures to venue errors.
pub fn amm_error(e: AmmError) -> VenueError {
    match e {
        AmmError::NotSolQuoted => VenueError::NoRoute,
        AmmError::NoFeeTiers => VenueError::Decode(e.to_string()),
        AmmError::ZeroAmount | AmmError::AmountTooSmall | AmmError::InsufficientLiquidity | AmmError::Overflow => {
            VenueError::Amount(e.to_string())
        }
    }
}
