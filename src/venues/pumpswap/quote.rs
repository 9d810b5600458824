//! PumpSwap constant-product quotes with LP, protocol and creator fees (reference §2.4).
//!
//! Pure integer math: no I/O, never signs, no floats; `u128`/`i128` intermediates with checked
//! operations, errors instead of panics. Fees are on the quote side, each `ceil(q·bps/10 000)`.
//! Only wSOL-quoted pools are handled (quote amounts are [`Lamports`]).

use crate::domain::money::{Bps, Lamports, TokenAmount};
use crate::solana::ids::{USDC_MINT, WSOL_MINT};
use crate::venues::pumpfun::accounts::{FeeConfig, Fees};
use crate::venues::pumpfun::curve::{ONE_BILLION_SUPPLY, ceil_fee};
use crate::venues::pumpswap::accounts::{GlobalConfig, Pool};

const BPS_DENOMINATOR: u128 = 10_000;

/// Why a pool quote could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmmError {
    /// The pool is not quoted in wSOL.
    #[error("pool is not wSOL-quoted")]
    NotSolQuoted,
    /// Zero input.
    #[error("amount is zero")]
    ZeroAmount,
    /// Input too small to trade after fees.
    #[error("amount too small after fees")]
    AmountTooSmall,
    /// The pool cannot deliver or pay out the amount (including the boost real-vault check).
    #[error("not enough pool liquidity")]
    InsufficientLiquidity,
    /// The fee config has no tiers for this pool.
    #[error("fee config has no tiers")]
    NoFeeTiers,
    /// Arithmetic overflow or a negative effective quote reserve.
    #[error("arithmetic overflow")]
    Overflow,
}

/// Vault balances read from chain (token account amount at offset 64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolReserves {
    /// Base vault balance.
    pub base: u64,
    /// Quote (wSOL) vault balance, real lamports.
    pub quote: Lamports,
}

/// Everything a pool quote depends on.
#[derive(Debug, Clone, Copy)]
pub struct PoolState<'a> {
    /// Decoded pool.
    pub pool: &'a Pool,
    /// Decoded `GlobalConfig` (fallback fees, creator-fee override switch).
    pub global_config: &'a GlobalConfig,
    /// Decoded AMM `FeeConfig` (`5PHi…`); `None` falls back to `GlobalConfig`'s fees.
    pub fee_config: Option<&'a FeeConfig>,
    /// Vault balances.
    pub reserves: PoolReserves,
    /// Base mint supply (mint account, offset 36); mayhem pools use 10^15 instead.
    pub base_mint_supply: u64,
    /// Decimals of the base mint (6 for pump coins).
    pub base_decimals: u8,
    /// Pool created by pump's migration (see `pda::is_canonical_pump_pool`): tiered fees.
    pub canonical: bool,
}

/// A buy quote before slippage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmmBuyQuote {
    /// Base tokens received.
    pub base_out: TokenAmount,
    /// Quote entering the curve, fees excluded.
    pub quote_in: Lamports,
    /// LP fee.
    pub lp_fee: Lamports,
    /// Protocol fee.
    pub protocol_fee: Lamports,
    /// Creator fee.
    pub creator_fee: Lamports,
    /// Total paid: `quote_in` plus all fees.
    pub quote_total: Lamports,
}

/// A sell quote before slippage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmmSellQuote {
    /// Base tokens sold.
    pub base_in: TokenAmount,
    /// Quote leaving the curve before fees.
    pub quote_gross: Lamports,
    /// LP fee.
    pub lp_fee: Lamports,
    /// Protocol fee.
    pub protocol_fee: Lamports,
    /// Creator fee.
    pub creator_fee: Lamports,
    /// Received by the user.
    pub quote_out: Lamports,
}

/// `buy` args: exact base out, capped quote in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmmBuyOrder {
    /// `base_amount_out`.
    pub base_out: TokenAmount,
    /// `max_quote_amount_in` = total · (1+slippage), ceil.
    pub max_quote_in: Lamports,
    /// The quote.
    pub quote: AmmBuyQuote,
}

/// `buy_exact_quote_in` args.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmmBuyExactQuoteInOrder {
    /// `spendable_quote_in`.
    pub spendable_quote_in: Lamports,
    /// `min_base_amount_out` = base · (1−slippage), floor.
    pub min_base_out: TokenAmount,
    /// The quote.
    pub quote: AmmBuyQuote,
}

/// `sell` args.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmmSellOrder {
    /// `base_amount_in`.
    pub base_in: TokenAmount,
    /// `min_quote_amount_out` = out · (1−slippage), floor.
    pub min_quote_out: Lamports,
    /// The quote.
    pub quote: AmmSellQuote,
}

impl PoolState<'_> {
    /// Effective quote reserve: vault balance + `virtual_quote_reserves` (boost).
    ///
    /// # Errors
    /// [`AmmError::Overflow`] if the sum is negative.
    pub fn effective_quote(&self) -> Result<u128, AmmError> {
        let q = i128::from(self.reserves.quote.0)
            .checked_add(self.pool.virtual_quote_reserves)
            .ok_or(AmmError::Overflow)?;
        u128::try_from(q).map_err(|_| AmmError::Overflow)
    }

    /// Fee rates now: canonical pools use the FeeConfig tier for `mcap = Qeff·supply/B`
    /// (stable tiers for USDC), others the flat fees. Without a FeeConfig account the rates are
    /// exactly `GlobalConfig`'s, as `computeFeesBps` in `@pump-fun/pump-swap-sdk` does: the
    /// pool's own `creator_fee_bps` is not applied then. With a FeeConfig, a pool's own
    /// `creator_fee_bps` applies when `creator_fee_configurable` (by analogy with the curve,
    /// UNCERTAIN). No coin creator means no creator fee.
    ///
    /// # Errors
    /// [`AmmError`] on empty reserves, a negative quote reserve or empty tiers.
    pub fn fees(&self) -> Result<Fees, AmmError> {
        let mut fees = match self.fee_config {
            Some(cfg) if self.canonical => {
                let supply = if self.pool.is_mayhem_mode { ONE_BILLION_SUPPLY } else { self.base_mint_supply };
                let base = u128::from(self.reserves.base);
                if base == 0 {
                    return Err(AmmError::InsufficientLiquidity);
                }
                let mcap = self.effective_quote()?.checked_mul(u128::from(supply)).ok_or(AmmError::Overflow)? / base;
                let tiers = if self.pool.quote_mint == USDC_MINT { &cfg.stable_fee_tiers } else { &cfg.fee_tiers };
                FeeConfig::select_tier(tiers, mcap).ok_or(AmmError::NoFeeTiers)?
            }
            Some(cfg) => cfg.flat_fees,
            None => Fees {
                lp_fee_bps: self.global_config.lp_fee_basis_points,
                protocol_fee_bps: self.global_config.protocol_fee_basis_points,
                creator_fee_bps: self.global_config.coin_creator_fee_basis_points,
            },
        };
        if self.fee_config.is_some() && self.global_config.creator_fee_configurable && self.pool.creator_fee_bps != 0 {
            fees.creator_fee_bps = self.pool.creator_fee_bps;
        }
        if self.pool.coin_creator == solana_pubkey::Pubkey::default() {
            fees.creator_fee_bps = 0;
        }
        Ok(fees)
    }

    /// `buy` of exactly `base` tokens: `q = ceil(Qeff·b/(B−b))`, plus each fee on `q`.
    ///
    /// # Errors
    /// [`AmmError`] for non-wSOL pools, zero input, `b ≥ B`, or overflow.
    pub fn quote_buy_exact_base(&self, base: TokenAmount) -> Result<AmmBuyQuote, AmmError> {
        self.check_sol()?;
        if base.raw == 0 {
            return Err(AmmError::ZeroAmount);
        }
        let fees = self.fees()?;
        let b = u128::from(base.raw);
        let denom =
            u128::from(self.reserves.base).checked_sub(b).filter(|d| *d > 0).ok_or(AmmError::InsufficientLiquidity)?;
        let q = self.effective_quote()?.checked_mul(b).ok_or(AmmError::Overflow)?.div_ceil(denom);
        if q == 0 {
            return Err(AmmError::AmountTooSmall);
        }
        buy_quote(base, q, fees)
    }

    /// `buy_exact_quote_in(spend)`: `eff = floor(Q·10 000/(10 000+bps))`, shaved if the fees
    /// overshoot, `base = floor(B·(eff−1)/(Qeff+eff−1))`.
    ///
    /// # Errors
    /// [`AmmError`] for non-wSOL pools, dust, or overflow.
    pub fn quote_buy_exact_quote_in(&self, spend: Lamports) -> Result<AmmBuyQuote, AmmError> {
        self.check_sol()?;
        if spend.0 == 0 {
            return Err(AmmError::ZeroAmount);
        }
        let fees = self.fees()?;
        let total_bps =
            u128::from(fees.lp_fee_bps) + u128::from(fees.protocol_fee_bps) + u128::from(fees.creator_fee_bps);
        let s = u128::from(spend.0);
        let mut eff = s * BPS_DENOMINATOR / (BPS_DENOMINATOR + total_bps);
        let charged = eff.checked_add(fee_sum(eff, fees)?).ok_or(AmmError::Overflow)?;
        if charged > s {
            eff = eff.saturating_sub(charged - s);
        }
        let eff_m1 = eff.checked_sub(1).filter(|e| *e > 0).ok_or(AmmError::AmountTooSmall)?;
        let denom = self.effective_quote()?.checked_add(eff_m1).ok_or(AmmError::Overflow)?;
        let base_out = u128::from(self.reserves.base).checked_mul(eff_m1).ok_or(AmmError::Overflow)? / denom;
        let base_out = u64::try_from(base_out).map_err(|_| AmmError::Overflow)?;
        if base_out == 0 {
            return Err(AmmError::AmountTooSmall);
        }
        buy_quote(TokenAmount::new(base_out, self.base_decimals), eff, fees)
    }

    /// `sell(base)`: `out = floor(Qeff·b/(B+b))`, minus each fee; refused when the real vault
    /// cannot pay `out − lp_fee` (boost pools).
    ///
    /// # Errors
    /// [`AmmError`] for non-wSOL pools, zero or dust input, thin real vaults, or overflow.
    pub fn quote_sell(&self, base: TokenAmount) -> Result<AmmSellQuote, AmmError> {
        self.check_sol()?;
        if base.raw == 0 {
            return Err(AmmError::ZeroAmount);
        }
        let fees = self.fees()?;
        let b = u128::from(base.raw);
        let gross =
            self.effective_quote()?.checked_mul(b).ok_or(AmmError::Overflow)? / (u128::from(self.reserves.base) + b);
        let lp = ceil_fee(gross, fees.lp_fee_bps).map_err(|_| AmmError::Overflow)?;
        let protocol = ceil_fee(gross, fees.protocol_fee_bps).map_err(|_| AmmError::Overflow)?;
        let creator = ceil_fee(gross, fees.creator_fee_bps).map_err(|_| AmmError::Overflow)?;
        let out = gross
            .checked_sub(lp)
            .and_then(|v| v.checked_sub(protocol))
            .and_then(|v| v.checked_sub(creator))
            .filter(|v| *v > 0)
            .ok_or(AmmError::AmountTooSmall)?;
        if u128::from(self.reserves.quote.0) < gross - lp {
            return Err(AmmError::InsufficientLiquidity);
        }
        Ok(AmmSellQuote {
            base_in: base,
            quote_gross: lamports(gross)?,
            lp_fee: lamports(lp)?,
            protocol_fee: lamports(protocol)?,
            creator_fee: lamports(creator)?,
            quote_out: lamports(out)?,
        })
    }

    /// `buy` args for exactly `base` tokens with `slippage` on the cost.
    ///
    /// # Errors
    /// As [`Self::quote_buy_exact_base`].
    pub fn plan_buy(&self, base: TokenAmount, slippage: Bps) -> Result<AmmBuyOrder, AmmError> {
        let quote = self.quote_buy_exact_base(base)?;
        Ok(AmmBuyOrder { base_out: base, max_quote_in: Lamports(slippage.apply_up(quote.quote_total.0)), quote })
    }

    /// `buy_exact_quote_in` args: spend exactly `spend`, accept `base·(1−slippage)`.
    ///
    /// # Errors
    /// As [`Self::quote_buy_exact_quote_in`].
    pub fn plan_buy_exact_quote_in(&self, spend: Lamports, slippage: Bps) -> Result<AmmBuyExactQuoteInOrder, AmmError> {
        let quote = self.quote_buy_exact_quote_in(spend)?;
        let min = slippage.apply_down(quote.base_out.raw);
        Ok(AmmBuyExactQuoteInOrder {
            spendable_quote_in: spend,
            min_base_out: TokenAmount::new(min, self.base_decimals),
            quote,
        })
    }

    /// `sell` args: sell `base`, accept `out·(1−slippage)`.
    ///
    /// # Errors
    /// As [`Self::quote_sell`].
    pub fn plan_sell(&self, base: TokenAmount, slippage: Bps) -> Result<AmmSellOrder, AmmError> {
        let quote = self.quote_sell(base)?;
        Ok(AmmSellOrder { base_in: base, min_quote_out: Lamports(slippage.apply_down(quote.quote_out.0)), quote })
    }

    fn check_sol(&self) -> Result<(), AmmError> {
        match self.pool.quote_mint == WSOL_MINT {
            true => Ok(()),
            false => Err(AmmError::NotSolQuoted),
        }
    }
}

fn fee_sum(q: u128, fees: Fees) -> Result<u128, AmmError> {
    let f = |bps| ceil_fee(q, bps).map_err(|_| AmmError::Overflow);
    f(fees.lp_fee_bps)?
        .checked_add(f(fees.protocol_fee_bps)?)
        .and_then(|v| v.checked_add(f(fees.creator_fee_bps).ok()?))
        .ok_or(AmmError::Overflow)
}

fn buy_quote(base: TokenAmount, q: u128, fees: Fees) -> Result<AmmBuyQuote, AmmError> {
    let f = |bps| ceil_fee(q, bps).map_err(|_| AmmError::Overflow);
    let (lp, protocol, creator) = (f(fees.lp_fee_bps)?, f(fees.protocol_fee_bps)?, f(fees.creator_fee_bps)?);
    let total = q.checked_add(lp).and_then(|v| v.checked_add(protocol)).and_then(|v| v.checked_add(creator));
    Ok(AmmBuyQuote {
        base_out: base,
        quote_in: lamports(q)?,
        lp_fee: lamports(lp)?,
        protocol_fee: lamports(protocol)?,
        creator_fee: lamports(creator)?,
        quote_total: lamports(total.ok_or(AmmError::Overflow)?)?,
    })
}

fn lamports(v: u128) -> Result<Lamports, AmmError> {
    u64::try_from(v).map(Lamports).map_err(|_| AmmError::Overflow)
}

#[cfg(test)]
#[path = "quote_tests.rs"]
pub(crate) mod tests;
