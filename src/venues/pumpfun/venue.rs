//! Pump.fun as a `Swapper` venue: turns a decoded mint + bonding-curve account into a `Quote`,
//! and a `Quote` into the unsigned legacy instructions of a `SwapPlan`.
//!
//! Pure and synchronous: the router reads the accounts, this module never does I/O and never
//! signs. Buys use legacy `buy` (exact tokens, SOL cost capped at `total · (1 + slippage)`) by
//! default, the mainnet-proven form chosen in `ix.rs`; [`PumpBuyMode::ExactSolIn`] switches to
//! `buy_exact_sol_in` (spend exactly the amount, minimum tokens by slippage; its remaining
//! accounts are UNCERTAIN, reference §8). Sells use `sell` with `min_sol_output`.

use crate::domain::money::{Lamports, TokenAmount};
use crate::domain::position::Side;
use crate::ports::{Quote, QuoteRequest, QuoteRoute, SwapPlan, VenueError, VenueId};
use crate::venues::globals::GlobalState;
use crate::venues::mint::MintInfo;
use crate::venues::pricing::{buy_impact, market_cap, sell_impact, sol_per_ui_token};
use crate::venues::pumpfun::accounts::BondingCurve;
use crate::venues::pumpfun::curve::{BuyBySolRequest, CurveError, CurveState, SellRequest};
use crate::venues::pumpfun::ix::{
    BuyArgs, BuyExactSolInArgs, FeeRecipients, IxError, LegacyTrade, LegacyTradeParts, SellArgs,
};
use crate::venues::pumpfun::pda::{MintAccounts, MintKey, UserAccounts};

/// Compute units requested for `[create ATA, buy]`.
pub const BUY_COMPUTE_UNITS: u32 = 200_000;
/// Compute units requested for `sell`.
pub const SELL_COMPUTE_UNITS: u32 = 150_000;

/// Which legacy buy instruction to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PumpBuyMode {
    /// `buy`: the tokens `amount_in` buys now, exactly; SOL capped at cost · (1 + slippage).
    #[default]
    ExactTokens,
    /// `buy_exact_sol_in`: spend exactly `amount_in`; tokens at least quote · (1 − slippage).
    ExactSolIn,
}

/// What a Pump.fun quote is computed from.
#[derive(Debug, Clone, Copy)]
pub struct PumpQuoteInput<'a> {
    /// The request.
    pub request: &'a QuoteRequest,
    /// The decoded mint.
    pub mint: &'a MintInfo,
    /// Raw bonding-curve account data, as just read.
    pub curve_account: &'a [u8],
    /// Cached program-wide state.
    pub globals: &'a GlobalState,
    /// Buy instruction to quote for.
    pub mode: PumpBuyMode,
}

/// What a Pump.fun plan needs besides the quote.
#[derive(Debug, Clone, Copy)]
pub struct PumpPlanInput<'a> {
    /// A quote from [`quote`].
    pub quote: &'a Quote,
    /// Signer and fee payer.
    pub owner: solana_pubkey::Pubkey,
    /// Cached program-wide state.
    pub globals: &'a GlobalState,
    /// Spreads fee-recipient write locks (any counter).
    pub salt: u64,
    /// Buy instruction to build (use the one the quote was made with).
    pub mode: PumpBuyMode,
    /// `track_volume` (volume rewards; the official SDK's default is on).
    pub track_volume: bool,
    /// Whether the user's token account already exists (no rent then).
    pub user_ata_exists: bool,
}

/// Quotes a trade on a live curve.
///
/// # Errors
/// [`VenueError::CurveComplete`] for complete or migrated curves, [`VenueError::NoRoute`] for
/// non-SOL curves, [`VenueError::Amount`] for untradable sizes, [`VenueError::Decode`] for bad
/// account data.
pub fn quote(input: &PumpQuoteInput<'_>) -> Result<Quote, VenueError> {
    let curve = BondingCurve::decode(input.curve_account).map_err(|e| VenueError::Decode(e.to_string()))?;
    if curve.complete || curve.virtual_token_reserves == 0 {
        return Err(VenueError::CurveComplete);
    }
    if !curve.is_sol_quoted() {
        return Err(VenueError::NoRoute);
    }
    let req = input.request;
    let state = curve_state(input.globals, &curve, input.mint.supply);
    let (v_s, v_t) = (u128::from(curve.virtual_quote_reserves), u128::from(curve.virtual_token_reserves));
    let (expected_out, min_out, fee, impact) = match req.side {
        Side::Buy => {
            // Legacy `buy` is exact-tokens with a max SOL cost of `cost · (1 + slippage)`. Size the
            // tokens from a budget shrunk by the slippage (less 2 lamports of rounding margin) so
            // the max cost the program may charge never exceeds the requested amount: a buy never
            // spends more than the user asked for (and the risk limits checked on that amount).
            let budget = match input.mode {
                PumpBuyMode::ExactTokens => slippage_budget(req.amount_in, req.slippage),
                PumpBuyMode::ExactSolIn => req.amount_in,
            };
            let q = state.quote_buy_exact_sol_in(Lamports(budget)).map_err(curve_error)?;
            let min = match input.mode {
                PumpBuyMode::ExactTokens => q.tokens_out.raw,
                PumpBuyMode::ExactSolIn => req.slippage.apply_down(q.tokens_out.raw),
            };
            let impact = buy_impact(u128::from(q.sol_to_curve.0), u128::from(q.tokens_out.raw), v_s, v_t);
            (q.tokens_out.raw, min, fee_sum(q.protocol_fee, q.creator_fee), impact)
        }
        Side::Sell => {
            let q = state.quote_sell(TokenAmount::new(req.amount_in, input.mint.decimals)).map_err(curve_error)?;
            let min = req.slippage.apply_down(q.sol_out.0);
            let impact = sell_impact(u128::from(q.sol_from_curve.0), u128::from(req.amount_in), v_s, v_t);
            (q.sol_out.0, min, fee_sum(q.protocol_fee, q.creator_fee), impact)
        }
    };
    Ok(Quote {
        venue: VenueId::PumpFun,
        request: req.clone(),
        expected_out,
        min_out,
        price_impact: impact,
        venue_fee: fee,
        liquidity: Lamports(curve.real_quote_reserves),
        token_decimals: input.mint.decimals,
        token_program: input.mint.token_program,
        price: sol_per_ui_token(v_s, v_t, input.mint.decimals),
        market_cap: market_cap(input.mint.supply, v_s, v_t),
        route: QuoteRoute::PumpFun { curve_account: input.curve_account.to_vec() },
    })
}

/// The SOL budget whose `apply_up(slippage)` stays within `amount` (2 lamports of margin for
/// the program's rounding).
pub fn slippage_budget(amount: u64, slippage: crate::domain::money::Bps) -> u64 {
    let scaled = u128::from(amount) * 10_000 / (10_000 + u128::from(slippage.0));
    u64::try_from(scaled).unwrap_or(amount).saturating_sub(2)
}

/// Plans `[create ATA idempotent, buy]` or `[sell]` for a Pump.fun quote. Rent is the user's
/// token account when it does not exist yet (the user volume accumulator, which the program
/// may create on a first-ever buy, is not counted: UNCERTAIN).
///
/// # Errors
/// [`VenueError::Decode`] when the quote is not a Pump.fun quote, otherwise as [`quote`].
pub fn plan(input: &PumpPlanInput<'_>) -> Result<SwapPlan, VenueError> {
    let q = input.quote;
    let QuoteRoute::PumpFun { curve_account } = &q.route else {
        return Err(VenueError::Decode("not a Pump.fun quote".to_owned()));
    };
    let curve = BondingCurve::decode(curve_account).map_err(|e| VenueError::Decode(e.to_string()))?;
    let mint =
        MintAccounts::derive(&MintKey { mint: q.request.mint, token_program: q.token_program, creator: curve.creator });
    let user = UserAccounts::derive(input.owner, &mint);
    let recipients = FeeRecipients::pick(&input.globals.pump_global, curve.is_mayhem_mode, input.salt);
    let trade = LegacyTrade::new(&LegacyTradeParts { curve: &curve, mint: &mint, user: &user, recipients })
        .map_err(ix_error)?;
    let state = curve_state(input.globals, &curve, curve.token_total_supply);
    let slippage = q.request.slippage;
    let (instructions, compute_unit_limit) = match q.request.side {
        Side::Buy => {
            let ixs = match input.mode {
                PumpBuyMode::ExactTokens => {
                    let order = state
                        .plan_buy_exact_tokens(&crate::venues::pumpfun::curve::BuyTokensRequest {
                            tokens: TokenAmount::new(q.expected_out, q.token_decimals),
                            slippage,
                        })
                        .map_err(curve_error)?;
                    trade.buy_instructions(&BuyArgs::from_order(&order, input.track_volume)).to_vec()
                }
                PumpBuyMode::ExactSolIn => {
                    let order = state
                        .plan_buy_exact_sol_in(&BuyBySolRequest { spend: Lamports(q.request.amount_in), slippage })
                        .map_err(curve_error)?;
                    trade
                        .buy_exact_sol_in_instructions(&BuyExactSolInArgs::from_order(&order, input.track_volume))
                        .to_vec()
                }
            };
            (ixs, BUY_COMPUTE_UNITS)
        }
        Side::Sell => {
            let order = state
                .plan_sell(&SellRequest { tokens: TokenAmount::new(q.request.amount_in, q.token_decimals), slippage })
                .map_err(curve_error)?;
            (vec![trade.sell(&SellArgs::from(&order))], SELL_COMPUTE_UNITS)
        }
    };
    let rent = match (q.request.side, input.user_ata_exists) {
        (Side::Buy, false) => input.globals.token_account_rent_for(&q.token_program),
        _ => Lamports::ZERO,
    };
    Ok(SwapPlan { instructions, lookup_tables: Vec::new(), compute_unit_limit, rent })
}

/// A Pump.fun buy quote whose curve state is the one after its own buy (reserves moved by the
/// tokens out and the SOL in), to plan the sell of what it bought in the same transaction (the
/// token-safety round trip). `None` for other venues or impossible amounts.
pub fn after_buy(q: &Quote) -> Option<Quote> {
    let QuoteRoute::PumpFun { curve_account } = &q.route else {
        return None;
    };
    let curve = BondingCurve::decode(curve_account).ok()?;
    let into_curve = q.request.amount_in.saturating_sub(q.venue_fee.0);
    let mut data = curve_account.clone();
    // The reserves are the four u64 after the discriminator, in `BondingCurve::decode` order.
    let reserves = [
        curve.virtual_token_reserves.checked_sub(q.expected_out)?,
        curve.virtual_quote_reserves.checked_add(into_curve)?,
        curve.real_token_reserves.checked_sub(q.expected_out)?,
        curve.real_quote_reserves.checked_add(into_curve)?,
    ];
    for (i, v) in reserves.iter().enumerate() {
        data.get_mut(8 + 8 * i..16 + 8 * i)?.copy_from_slice(&v.to_le_bytes());
    }
    Some(Quote { route: QuoteRoute::PumpFun { curve_account: data }, ..q.clone() })
}

/// The user's token account a Pump.fun trade of `quote` uses (to check whether it exists).
pub fn user_token_account(quote: &Quote, owner: &solana_pubkey::Pubkey) -> solana_pubkey::Pubkey {
    crate::solana::instructions::AtaSpec { owner: *owner, mint: quote.request.mint, token_program: quote.token_program }
        .address()
}

fn curve_state<'a>(globals: &'a GlobalState, curve: &'a BondingCurve, mint_supply: u64) -> CurveState<'a> {
    CurveState { global: &globals.pump_global, fee_config: globals.pump_fee_config.as_ref(), curve, mint_supply }
}

fn fee_sum(a: Lamports, b: Lamports) -> Lamports {
    Lamports(a.0.saturating_add(b.0))
}

/// Maps curve math failures to venue errors.
pub fn curve_error(e: CurveError) -> VenueError {
    match e {
        CurveError::Complete | CurveError::Migrated => VenueError::CurveComplete,
        CurveError::NoFeeTiers => VenueError::Decode(e.to_string()),
        CurveError::ZeroAmount
        | CurveError::AmountTooSmall
        | CurveError::InsufficientLiquidity
        | CurveError::Overflow => VenueError::Amount(e.to_string()),
    }
}

fn ix_error(e: IxError) -> VenueError {
    match e {
        IxError::NotSolQuoted => VenueError::NoRoute,
        IxError::Complete => VenueError::CurveComplete,
        IxError::StaleCreator => VenueError::Decode(e.to_string()),
    }
}

#[cfg(test)]
mod budget_tests {
    use super::slippage_budget;
    use crate::domain::money::Bps;

    #[test]
    fn budget_examples() {
        // 0.1 SOL at 10 % slippage: 90,909,090 (floor of 0.1/1.1 SOL) minus the 2-lamport margin.
        assert_eq!(slippage_budget(100_000_000, Bps(1_000)), 90_909_088);
        assert_eq!(slippage_budget(100_000_000, Bps(0)), 99_999_998);
        assert_eq!(slippage_budget(1, Bps(500)), 0);
    }

    proptest::proptest! {
        /// The max cost of a legacy buy sized from the budget never exceeds the requested amount.
        #[test]
        fn max_cost_never_exceeds_the_request(amount in 0u64..=u64::MAX / 2, bps in 0u16..=5_000) {
            let budget = slippage_budget(amount, Bps(bps));
            // A zero budget cannot buy anything (the quote refuses it).
            if budget > 0 {
                // The program's cost for the tokens is at most budget + 1 (floor(..) + 1).
                let max_cost = Bps(bps).apply_up(budget.saturating_add(1));
                proptest::prop_assert!(max_cost <= amount, "{amount} {bps} -> {max_cost}");
            }
        }
    }
}
