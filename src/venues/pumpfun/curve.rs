//! Pump.fun bonding-curve quote math with protocol and creator fees (reference §1.7).
//!
//! Pure integer math: no I/O, never signs, no floats. Every intermediate is `u128` with checked
//! operations; bad or hostile state yields a [`CurveError`], never a panic.
//!
//! Rounding follows the program: curve divisions floor, fees are `ceil(x·bps/10 000)` each,
//! the exact-token buy price is `floor(t·vS/(vT−t)) + 1`. This price rule reproduces the real
//! mainnet TradeEvent of slot 452024288 to the lamport (see the tests).

use crate::domain::money::{Bps, Lamports, TokenAmount};
use crate::venues::pumpfun::accounts::{BondingCurve, FeeConfig, Fees, Global};

/// Decimals of every Pump.fun coin (SPL Token and Token-2022 alike).
pub const PUMP_TOKEN_DECIMALS: u8 = 6;
/// Supply used for the fee-tier market cap of non-mayhem coins (1B tokens at 6 decimals).
pub const ONE_BILLION_SUPPLY: u64 = 1_000_000_000_000_000;
const BPS_DENOMINATOR: u128 = 10_000;

/// Why a quote could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CurveError {
    /// The curve is complete; the program answers `BondingCurveComplete` (6005).
    #[error("bonding curve is complete")]
    Complete,
    /// Virtual token reserves are zero (migrated or uninitialised curve).
    #[error("bonding curve has no virtual token reserves")]
    Migrated,
    /// Zero input.
    #[error("amount is zero")]
    ZeroAmount,
    /// The input is too small to buy or sell anything after fees.
    #[error("amount too small after fees")]
    AmountTooSmall,
    /// The curve cannot pay out or deliver the requested amount.
    #[error("not enough liquidity on the curve")]
    InsufficientLiquidity,
    /// A `FeeConfig` was supplied but it has no tiers for this quote mint.
    #[error("fee config has no tiers")]
    NoFeeTiers,
    /// An intermediate or result does not fit its type.
    #[error("arithmetic overflow")]
    Overflow,
}

/// Everything a quote depends on (all read from chain by the caller).
#[derive(Debug, Clone, Copy)]
pub struct CurveState<'a> {
    /// Decoded pump `Global` (legacy fee fallback, creator-fee override switch).
    pub global: &'a Global,
    /// Decoded bonding-curve `FeeConfig` (`8Wf5…`); `None` falls back to `Global`'s legacy fees.
    pub fee_config: Option<&'a FeeConfig>,
    /// Decoded curve, read just before quoting.
    pub curve: &'a BondingCurve,
    /// Mint supply (mint account, u64 at offset 36). Only mayhem coins use it for the tier.
    pub mint_supply: u64,
}

/// Fee rates that apply to a trade on this curve right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurveFeeRates {
    /// Protocol fee in bps.
    pub protocol_bps: u64,
    /// Creator fee in bps (0 when the curve has no creator).
    pub creator_bps: u64,
}

/// A buy quote, before slippage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuyQuote {
    /// Tokens the curve delivers.
    pub tokens_out: TokenAmount,
    /// Lamports added to the curve's reserves (fees excluded); TradeEvent `sol_amount`.
    pub sol_to_curve: Lamports,
    /// Protocol fee, `ceil(sol_to_curve·bps/10 000)`.
    pub protocol_fee: Lamports,
    /// Creator fee, `ceil(sol_to_curve·bps/10 000)`.
    pub creator_fee: Lamports,
    /// What the user pays: curve amount plus both fees (rent not included).
    pub sol_total: Lamports,
    /// The request exceeded `real_token_reserves` and was cut to the remainder.
    pub capped: bool,
}

/// A sell quote, before slippage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SellQuote {
    /// Tokens sold.
    pub tokens_in: TokenAmount,
    /// Lamports taken from the curve's reserves (fees included).
    pub sol_from_curve: Lamports,
    /// Protocol fee.
    pub protocol_fee: Lamports,
    /// Creator fee.
    pub creator_fee: Lamports,
    /// What the user receives.
    pub sol_out: Lamports,
}

/// Buy with an exact SOL budget (`buy_exact_sol_in`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuyBySolRequest {
    /// SOL to spend, fees included.
    pub spend: Lamports,
    /// Tolerated shortfall of tokens.
    pub slippage: Bps,
}

/// Buy an exact token amount (`buy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuyTokensRequest {
    /// Tokens wanted.
    pub tokens: TokenAmount,
    /// Tolerated extra cost.
    pub slippage: Bps,
}

/// Sell an exact token amount (`sell`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SellRequest {
    /// Tokens to sell.
    pub tokens: TokenAmount,
    /// Tolerated shortfall of SOL.
    pub slippage: Bps,
}

/// Arguments for `buy_exact_sol_in`, with the quote they came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuyExactSolInOrder {
    /// `spendable_sol_in`.
    pub spendable_sol_in: Lamports,
    /// `min_tokens_out` = quote · (1 − slippage), floor.
    pub min_tokens_out: TokenAmount,
    /// The quote.
    pub quote: BuyQuote,
}

/// Arguments for `buy` (exact tokens, capped cost), with the quote they came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuyExactTokensOrder {
    /// `amount`: tokens to receive.
    pub tokens: TokenAmount,
    /// `max_sol_cost` = quote total · (1 + slippage), ceil.
    pub max_sol_cost: Lamports,
    /// The quote.
    pub quote: BuyQuote,
}

/// Arguments for `sell`, with the quote they came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SellOrder {
    /// `amount`: tokens to sell.
    pub tokens: TokenAmount,
    /// `min_sol_output` = quote · (1 − slippage), floor.
    pub min_sol_output: Lamports,
    /// The quote.
    pub quote: SellQuote,
}

impl CurveState<'_> {
    /// The fee rates the program charges now: the `FeeConfig` tier for the current market cap
    /// (`vS·supply/vT`, supply 10^15 unless mayhem), the curve's own creator fee when
    /// `Global::creator_fee_configurable`, and no creator fee without a creator.
    ///
    /// # Errors
    /// [`CurveError::Migrated`] when `vT = 0`, [`CurveError::NoFeeTiers`] on an empty config.
    pub fn fee_rates(&self) -> Result<CurveFeeRates, CurveError> {
        let c = self.curve;
        if c.virtual_token_reserves == 0 {
            return Err(CurveError::Migrated);
        }
        let fees = match self.fee_config {
            Some(cfg) => {
                let supply = if c.is_mayhem_mode { self.mint_supply } else { ONE_BILLION_SUPPLY };
                let market_cap =
                    u128::from(c.virtual_quote_reserves).checked_mul(u128::from(supply)).ok_or(CurveError::Overflow)?
                        / u128::from(c.virtual_token_reserves);
                let tiers = if c.is_sol_quoted() { &cfg.fee_tiers } else { &cfg.stable_fee_tiers };
                FeeConfig::select_tier(tiers, market_cap).ok_or(CurveError::NoFeeTiers)?
            }
            None => Fees {
                lp_fee_bps: 0,
                protocol_fee_bps: self.global.fee_basis_points,
                creator_fee_bps: self.global.creator_fee_basis_points,
            },
        };
        let creator_bps = match (c.has_creator(), self.global.creator_fee_configurable && c.creator_fee_bps != 0) {
            (false, _) => 0,
            (true, true) => c.creator_fee_bps,
            (true, false) => fees.creator_fee_bps,
        };
        Ok(CurveFeeRates { protocol_bps: fees.protocol_fee_bps, creator_bps })
    }

    /// Quotes `buy` for exactly `tokens` (cut to `real_token_reserves`):
    /// `cost = floor(t·vS/(vT−t)) + 1`, plus `ceil` protocol and creator fees on `cost`.
    ///
    /// # Errors
    /// [`CurveError`] for complete/migrated curves, zero input, or overflow.
    pub fn quote_buy_exact_tokens(&self, tokens: TokenAmount) -> Result<BuyQuote, CurveError> {
        self.check_tradable()?;
        if tokens.raw == 0 {
            return Err(CurveError::ZeroAmount);
        }
        let rates = self.fee_rates()?;
        let take = tokens.raw.min(self.curve.real_token_reserves);
        if take == 0 {
            return Err(CurveError::InsufficientLiquidity);
        }
        self.buy_quote_for(take, rates, take < tokens.raw)
    }

    /// Quotes `buy_exact_sol_in(spend)` with the program rule (pump IDL doc):
    /// `net = floor(S·10 000/(10 000+bps))`; if `net + fees(net) > S`, `net −= overshoot`;
    /// `tokens = floor((net−1)·vT/(vS+net−1))`, cut to `real_token_reserves`.
    ///
    /// The reported cost is the exact-token price of the delivered tokens (≤ `spend`).
    /// UNCERTAIN: that the program charges that price rather than `net` is inferred; either
    /// way the user never pays more than `spend`.
    ///
    /// # Errors
    /// [`CurveError`] for complete/migrated curves, too-small input, or overflow.
    pub fn quote_buy_exact_sol_in(&self, spend: Lamports) -> Result<BuyQuote, CurveError> {
        self.check_tradable()?;
        if spend.0 == 0 {
            return Err(CurveError::ZeroAmount);
        }
        let rates = self.fee_rates()?;
        let s = u128::from(spend.0);
        let total_bps = u128::from(rates.protocol_bps) + u128::from(rates.creator_bps);
        let mut net = s * BPS_DENOMINATOR / (BPS_DENOMINATOR + total_bps);
        let fees = ceil_fee(net, rates.protocol_bps)?
            .checked_add(ceil_fee(net, rates.creator_bps)?)
            .ok_or(CurveError::Overflow)?;
        let gross = net.checked_add(fees).ok_or(CurveError::Overflow)?;
        if gross > s {
            net = net.saturating_sub(gross - s);
        }
        let net_m1 = net.checked_sub(1).filter(|n| *n > 0).ok_or(CurveError::AmountTooSmall)?;
        let v_t = u128::from(self.curve.virtual_token_reserves);
        let v_s = u128::from(self.curve.virtual_quote_reserves);
        let denom = v_s.checked_add(net_m1).ok_or(CurveError::Overflow)?;
        let tokens = net_m1.checked_mul(v_t).ok_or(CurveError::Overflow)? / denom;
        let tokens = u64::try_from(tokens).map_err(|_| CurveError::Overflow)?;
        if tokens == 0 {
            return Err(CurveError::AmountTooSmall);
        }
        let take = tokens.min(self.curve.real_token_reserves);
        if take == 0 {
            return Err(CurveError::InsufficientLiquidity);
        }
        self.buy_quote_for(take, rates, take < tokens)
    }

    /// Quotes `sell(tokens)`: `gross = floor(t·vS/(vT+t))`, minus `ceil` protocol and creator fees.
    ///
    /// # Errors
    /// [`CurveError`] for complete/migrated curves, zero or dust input, payouts above
    /// `real_quote_reserves`, or overflow.
    pub fn quote_sell(&self, tokens: TokenAmount) -> Result<SellQuote, CurveError> {
        self.check_tradable()?;
        if tokens.raw == 0 {
            return Err(CurveError::ZeroAmount);
        }
        let rates = self.fee_rates()?;
        let t = u128::from(tokens.raw);
        let v_t = u128::from(self.curve.virtual_token_reserves);
        let v_s = u128::from(self.curve.virtual_quote_reserves);
        let gross = t.checked_mul(v_s).ok_or(CurveError::Overflow)? / (v_t + t);
        if gross > u128::from(self.curve.real_quote_reserves) {
            return Err(CurveError::InsufficientLiquidity);
        }
        let protocol = ceil_fee(gross, rates.protocol_bps)?;
        let creator = ceil_fee(gross, rates.creator_bps)?;
        let out = gross
            .checked_sub(protocol)
            .and_then(|v| v.checked_sub(creator))
            .filter(|v| *v > 0)
            .ok_or(CurveError::AmountTooSmall)?;
        Ok(SellQuote {
            tokens_in: TokenAmount::new(tokens.raw, tokens.decimals),
            sol_from_curve: lamports(gross)?,
            protocol_fee: lamports(protocol)?,
            creator_fee: lamports(creator)?,
            sol_out: lamports(out)?,
        })
    }

    /// `buy_exact_sol_in` arguments: spend exactly `spend`, accept `tokens·(1−slippage)`.
    ///
    /// # Errors
    /// As [`Self::quote_buy_exact_sol_in`].
    pub fn plan_buy_exact_sol_in(&self, req: &BuyBySolRequest) -> Result<BuyExactSolInOrder, CurveError> {
        let quote = self.quote_buy_exact_sol_in(req.spend)?;
        let min = req.slippage.apply_down(quote.tokens_out.raw);
        Ok(BuyExactSolInOrder {
            spendable_sol_in: req.spend,
            min_tokens_out: TokenAmount::new(min, PUMP_TOKEN_DECIMALS),
            quote,
        })
    }

    /// `buy` arguments for a SOL budget: the tokens `spend` buys (program rule), capped at
    /// `quote total · (1+slippage)`. This is how the bot buys "X SOL worth" with legacy `buy`.
    ///
    /// # Errors
    /// As [`Self::quote_buy_exact_sol_in`].
    pub fn plan_buy_for_sol(&self, req: &BuyBySolRequest) -> Result<BuyExactTokensOrder, CurveError> {
        let quote = self.quote_buy_exact_sol_in(req.spend)?;
        Ok(order_for_tokens(quote, req.slippage))
    }

    /// `buy` arguments for exactly `req.tokens`, cost capped at `quote total · (1+slippage)`.
    ///
    /// # Errors
    /// As [`Self::quote_buy_exact_tokens`].
    pub fn plan_buy_exact_tokens(&self, req: &BuyTokensRequest) -> Result<BuyExactTokensOrder, CurveError> {
        let quote = self.quote_buy_exact_tokens(req.tokens)?;
        Ok(order_for_tokens(quote, req.slippage))
    }

    /// `sell` arguments: sell `req.tokens`, accept `sol_out · (1−slippage)`.
    ///
    /// # Errors
    /// As [`Self::quote_sell`].
    pub fn plan_sell(&self, req: &SellRequest) -> Result<SellOrder, CurveError> {
        let quote = self.quote_sell(req.tokens)?;
        Ok(SellOrder {
            tokens: quote.tokens_in,
            min_sol_output: Lamports(req.slippage.apply_down(quote.sol_out.0)),
            quote,
        })
    }

    fn check_tradable(&self) -> Result<(), CurveError> {
        if self.curve.complete {
            return Err(CurveError::Complete);
        }
        if self.curve.virtual_token_reserves == 0 {
            return Err(CurveError::Migrated);
        }
        Ok(())
    }

    fn buy_quote_for(&self, tokens: u64, rates: CurveFeeRates, capped: bool) -> Result<BuyQuote, CurveError> {
        let t = u128::from(tokens);
        let v_t = u128::from(self.curve.virtual_token_reserves);
        let v_s = u128::from(self.curve.virtual_quote_reserves);
        let denom = v_t.checked_sub(t).filter(|d| *d > 0).ok_or(CurveError::InsufficientLiquidity)?;
        let cost = t.checked_mul(v_s).ok_or(CurveError::Overflow)? / denom + 1;
        let protocol = ceil_fee(cost, rates.protocol_bps)?;
        let creator = ceil_fee(cost, rates.creator_bps)?;
        let total = cost.checked_add(protocol).and_then(|v| v.checked_add(creator)).ok_or(CurveError::Overflow)?;
        Ok(BuyQuote {
            tokens_out: TokenAmount::new(tokens, PUMP_TOKEN_DECIMALS),
            sol_to_curve: lamports(cost)?,
            protocol_fee: lamports(protocol)?,
            creator_fee: lamports(creator)?,
            sol_total: lamports(total)?,
            capped,
        })
    }
}

fn order_for_tokens(quote: BuyQuote, slippage: Bps) -> BuyExactTokensOrder {
    BuyExactTokensOrder {
        tokens: quote.tokens_out,
        max_sol_cost: Lamports(slippage.apply_up(quote.sol_total.0)),
        quote,
    }
}

/// `ceil(amount·bps/10 000)` in u128, as the program charges every fee.
pub(crate) fn ceil_fee(amount: u128, bps: u64) -> Result<u128, CurveError> {
    amount.checked_mul(u128::from(bps)).map(|v| v.div_ceil(BPS_DENOMINATOR)).ok_or(CurveError::Overflow)
}

fn lamports(v: u128) -> Result<Lamports, CurveError> {
    u64::try_from(v).map(Lamports).map_err(|_| CurveError::Overflow)
}

#[cfg(test)]
#[path = "curve_tests.rs"]
pub(crate) mod tests;
