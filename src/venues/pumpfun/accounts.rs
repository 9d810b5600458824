//! Decoders for Pump.fun `Global`, `BondingCurve` and the pump-fees `FeeConfig` (reference §1.6
//! and the pump_fees IDL).
//!
//! Pure and total: no I/O, never signs, never panics on arbitrary bytes. Fixed-layout fields
//! follow the "zero-pad if short, ignore extra" rule of the official SDK; the discriminator is
//! always checked.

use solana_pubkey::Pubkey;

use crate::venues::bytes::{DecodeError, PaddedReader, check_discriminator};

/// `sha256("account:Global")[..8]`.
pub const GLOBAL_DISCRIMINATOR: [u8; 8] = [0xa7, 0xe8, 0xe8, 0xb1, 0xc8, 0x6c, 0x72, 0x7f];
/// `sha256("account:BondingCurve")[..8]`.
pub const BONDING_CURVE_DISCRIMINATOR: [u8; 8] = [0x17, 0xb7, 0xf8, 0x37, 0x60, 0xd8, 0xac, 0x60];
/// `sha256("account:FeeConfig")[..8]` (pump-fees program).
pub const FEE_CONFIG_DISCRIMINATOR: [u8; 8] = [0x8f, 0x34, 0x92, 0xbb, 0xdb, 0x7b, 0x4c, 0x9b];

/// Upper bound on fee tiers accepted from chain data (the live account has 25).
const MAX_FEE_TIERS: u32 = 256;
/// Borsh size of one `FeeTier` (u128 threshold + three u64 rates).
const FEE_TIER_LEN: usize = 16 + 24;

/// The pump program's `Global` account (`4wTV1Ymi…`). Offsets per reference §1.6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Global {
    /// Whether the program is initialised.
    pub initialized: bool,
    /// Program admin.
    pub authority: Pubkey,
    /// First normal fee recipient.
    pub fee_recipient: Pubkey,
    /// Virtual token reserves of a new curve.
    pub initial_virtual_token_reserves: u64,
    /// Virtual SOL reserves of a new curve.
    pub initial_virtual_sol_reserves: u64,
    /// Real token reserves of a new curve.
    pub initial_real_token_reserves: u64,
    /// Total supply minted per coin.
    pub token_total_supply: u64,
    /// Legacy protocol fee; only a fallback when no `FeeConfig` is supplied.
    pub fee_basis_points: u64,
    /// Withdraw authority.
    pub withdraw_authority: Pubkey,
    /// Whether migration is enabled.
    pub enable_migrate: bool,
    /// Lamports charged at migration.
    pub pool_migration_fee: u64,
    /// Legacy creator fee; only a fallback when no `FeeConfig` is supplied.
    pub creator_fee_basis_points: u64,
    /// The other seven normal fee recipients.
    pub fee_recipients: [Pubkey; 7],
    /// Authority allowed to set creators.
    pub set_creator_authority: Pubkey,
    /// Admin authority allowed to set creators.
    pub admin_set_creator_authority: Pubkey,
    /// Whether `create_v2` is enabled.
    pub create_v2_enabled: bool,
    /// Whitelist PDA.
    pub whitelist_pda: Pubkey,
    /// First reserved (mayhem) fee recipient.
    pub reserved_fee_recipient: Pubkey,
    /// Whether mayhem mode is enabled.
    pub mayhem_mode_enabled: bool,
    /// The other seven reserved (mayhem) fee recipients.
    pub reserved_fee_recipients: [Pubkey; 7],
    /// Whether cashback is enabled.
    pub is_cashback_enabled: bool,
    /// The eight buyback fee recipients.
    pub buyback_fee_recipients: [Pubkey; 8],
    /// Share of the protocol fee routed to buyback (5000 = half).
    pub buyback_basis_points: u64,
    /// Virtual quote reserves of a new curve.
    pub initial_virtual_quote_reserves: u64,
    /// Whitelisted non-SOL quote mints.
    pub whitelisted_quote_mints: [Pubkey; 1],
    /// Whether `BondingCurve::creator_fee_bps` may override the schedule.
    pub creator_fee_configurable: bool,
    /// Upper bound for a configured creator fee.
    pub max_configurable_creator_fee_bps: u64,
    /// Holder-reward claim authority.
    pub holder_reward_claim_authority: Pubkey,
    /// Whether holder rewards are enabled.
    pub is_holder_reward_enabled: bool,
}

impl Global {
    /// Decodes `Global` account data.
    ///
    /// # Errors
    /// [`DecodeError`] if the data is shorter than 8 bytes or the discriminator differs.
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        check_discriminator(data, GLOBAL_DISCRIMINATOR)?;
        let mut r = PaddedReader::at(data, 8);
        Ok(Self {
            initialized: r.bool(),
            authority: r.pubkey(),
            fee_recipient: r.pubkey(),
            initial_virtual_token_reserves: r.u64(),
            initial_virtual_sol_reserves: r.u64(),
            initial_real_token_reserves: r.u64(),
            token_total_supply: r.u64(),
            fee_basis_points: r.u64(),
            withdraw_authority: r.pubkey(),
            enable_migrate: r.bool(),
            pool_migration_fee: r.u64(),
            creator_fee_basis_points: r.u64(),
            fee_recipients: r.pubkeys(),
            set_creator_authority: r.pubkey(),
            admin_set_creator_authority: r.pubkey(),
            create_v2_enabled: r.bool(),
            whitelist_pda: r.pubkey(),
            reserved_fee_recipient: r.pubkey(),
            mayhem_mode_enabled: r.bool(),
            reserved_fee_recipients: r.pubkeys(),
            is_cashback_enabled: r.bool(),
            buyback_fee_recipients: r.pubkeys(),
            buyback_basis_points: r.u64(),
            initial_virtual_quote_reserves: r.u64(),
            whitelisted_quote_mints: r.pubkeys(),
            creator_fee_configurable: r.bool(),
            max_configurable_creator_fee_bps: r.u64(),
            holder_reward_claim_authority: r.pubkey(),
            is_holder_reward_enabled: r.bool(),
        })
    }
}

/// A coin's `BondingCurve` account (offsets 8–124 per reference §1.6; later fields ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BondingCurve {
    /// Virtual token reserves (`vT`).
    pub virtual_token_reserves: u64,
    /// Virtual quote (SOL) reserves in lamports (`vS`); formerly `virtual_sol_reserves`.
    pub virtual_quote_reserves: u64,
    /// Tokens still buyable from the curve.
    pub real_token_reserves: u64,
    /// Real lamports held by the curve.
    pub real_quote_reserves: u64,
    /// Coin total supply.
    pub token_total_supply: u64,
    /// True once the curve sold out; buys and sells then fail with `BondingCurveComplete`.
    pub complete: bool,
    /// Coin creator (seed of the creator vault); default = no creator fee.
    pub creator: Pubkey,
    /// Mayhem coins use the reserved fee-recipient list.
    pub is_mayhem_mode: bool,
    /// Cashback coins take an extra account on legacy `sell`.
    pub is_cashback_coin: bool,
    /// Quote mint; `Pubkey::default()` means SOL.
    pub quote_mint: Pubkey,
    /// Custom creator fee (0 = use the schedule).
    pub creator_fee_bps: u64,
    /// Whether the creator may edit the creator fee.
    pub can_edit_creator_fee: bool,
    /// Holder-reward coin.
    pub is_holder_reward: bool,
}

impl BondingCurve {
    /// Decodes `BondingCurve` account data (any live length: 49…166 bytes).
    ///
    /// # Errors
    /// [`DecodeError`] if the data is shorter than 8 bytes or the discriminator differs.
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        check_discriminator(data, BONDING_CURVE_DISCRIMINATOR)?;
        let mut r = PaddedReader::at(data, 8);
        Ok(Self {
            virtual_token_reserves: r.u64(),
            virtual_quote_reserves: r.u64(),
            real_token_reserves: r.u64(),
            real_quote_reserves: r.u64(),
            token_total_supply: r.u64(),
            complete: r.bool(),
            creator: r.pubkey(),
            is_mayhem_mode: r.bool(),
            is_cashback_coin: r.bool(),
            quote_mint: r.pubkey(),
            creator_fee_bps: r.u64(),
            can_edit_creator_fee: r.bool(),
            is_holder_reward: r.bool(),
        })
    }

    /// True when the curve trades against native SOL (quote mint unset).
    pub fn is_sol_quoted(&self) -> bool {
        self.quote_mint == Pubkey::default()
    }

    /// True when a creator is set (the creator fee is charged only then).
    pub fn has_creator(&self) -> bool {
        self.creator != Pubkey::default()
    }
}

/// Fee rates in basis points (pump-fees `Fees`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fees {
    /// Liquidity-provider fee (PumpSwap only; 0 on the bonding curve).
    pub lp_fee_bps: u64,
    /// Protocol fee.
    pub protocol_fee_bps: u64,
    /// Creator fee.
    pub creator_fee_bps: u64,
}

/// One market-cap tier of a `FeeConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeTier {
    /// Tier applies from this market cap (quote base units) upward.
    pub market_cap_threshold: u128,
    /// Rates of the tier.
    pub fees: Fees,
}

/// The pump-fees `FeeConfig` account (one for the curve `8Wf5…`, one for PumpSwap `5PHi…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeConfig {
    /// PDA bump.
    pub bump: u8,
    /// Admin allowed to update the config.
    pub admin: Pubkey,
    /// Flat fees for non-canonical pools.
    pub flat_fees: Fees,
    /// Tiers for SOL-quoted markets, sorted by threshold.
    pub fee_tiers: Vec<FeeTier>,
    /// Tiers for stable-quoted (USDC) markets.
    pub stable_fee_tiers: Vec<FeeTier>,
    /// Flat fees for exotic pools (all zero on accounts that predate the field).
    pub exotic_flat_fees: Fees,
}

impl FeeConfig {
    /// Decodes `FeeConfig` account data: `disc, bump, admin, flat_fees, Vec<FeeTier> ×2, exotic`.
    ///
    /// # Errors
    /// [`DecodeError`] on a short/wrong discriminator or a tier vector that does not fit the data.
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        check_discriminator(data, FEE_CONFIG_DISCRIMINATOR)?;
        let mut r = PaddedReader::at(data, 8);
        let bump = r.u8();
        let admin = r.pubkey();
        let flat_fees = read_fees(&mut r);
        let fee_tiers = read_tiers(&mut r)?;
        let stable_fee_tiers = read_tiers(&mut r)?;
        let exotic_flat_fees = read_fees(&mut r);
        Ok(Self { bump, admin, flat_fees, fee_tiers, stable_fee_tiers, exotic_flat_fees })
    }

    /// The tier for `market_cap`, as the program picks it: the first tier if the market cap is
    /// below its threshold, else the last tier whose threshold is `<=` the market cap.
    /// `None` when `tiers` is empty.
    pub fn select_tier(tiers: &[FeeTier], market_cap: u128) -> Option<Fees> {
        let first = tiers.first()?;
        if market_cap < first.market_cap_threshold {
            return Some(first.fees);
        }
        let tier = tiers.iter().rev().find(|t| market_cap >= t.market_cap_threshold).unwrap_or(first);
        Some(tier.fees)
    }
}

fn read_fees(r: &mut PaddedReader<'_>) -> Fees {
    Fees { lp_fee_bps: r.u64(), protocol_fee_bps: r.u64(), creator_fee_bps: r.u64() }
}

fn read_tiers(r: &mut PaddedReader<'_>) -> Result<Vec<FeeTier>, DecodeError> {
    let claimed = r.u32();
    let fits =
        usize::try_from(claimed).ok().and_then(|n| n.checked_mul(FEE_TIER_LEN)).is_some_and(|n| n <= r.remaining());
    if claimed > MAX_FEE_TIERS || !fits {
        return Err(DecodeError::BadVecLength { claimed });
    }
    let mut tiers = Vec::with_capacity(claimed as usize);
    for _ in 0..claimed {
        let market_cap_threshold = r.u128();
        tiers.push(FeeTier { market_cap_threshold, fees: read_fees(r) });
    }
    Ok(tiers)
}

#[cfg(test)]
#[path = "accounts_tests.rs"]
pub(crate) mod tests;
