//! Program-derived addresses of the Pump.fun bonding-curve program (reference §1.1).
//!
//! Pure address math: no I/O, never signs. Static PDAs are constants (checked against
//! `find_program_address` in tests); per-mint and per-user PDAs are derived once and cached in
//! [`MintAccounts`] / [`UserAccounts`], because `find_program_address` dominates build time.

use solana_pubkey::{Pubkey, pubkey};

use crate::solana::ids::{PUMP_FEES_PROGRAM, PUMP_PROGRAM};
use crate::solana::instructions::AtaSpec;

/// `Global`: PDA `["global"]`.
pub const GLOBAL: Pubkey = pubkey!("4wTV1YmiEkRvAtNtsSGPtUrqRYQMe5SKy2uB4Jjaxnjf");
/// `event_authority`: PDA `["__event_authority"]`.
pub const EVENT_AUTHORITY: Pubkey = pubkey!("Ce6TQqeHC9p8KetsN6JsjHK7UTZk7nasjjnr7XxXp9F1");
/// `global_volume_accumulator`: PDA `["global_volume_accumulator"]`.
pub const GLOBAL_VOLUME_ACCUMULATOR: Pubkey = pubkey!("Hq2wp8uJ9jCPsYgNHex8RtqdvMPfVGoYwjvF1ATiwn2Y");
/// Bonding-curve `FeeConfig`: PDA `["fee_config", pump_program_id]` under **pump-fees**.
pub const FEE_CONFIG: Pubkey = pubkey!("8Wf5TiAheLUqBrKXeYg2JtAFFMWtKdG2BSFgqUcPVwTt");
/// `mint_authority`: PDA `["mint-authority"]`.
pub const MINT_AUTHORITY: Pubkey = pubkey!("TSLvdd1pWpHVjahSpsvCXUbgwsL3JAcvokwaKt1eokM");

/// Derives `["global"]` (equals [`GLOBAL`]).
pub fn global() -> Pubkey {
    Pubkey::find_program_address(&[b"global"], &PUMP_PROGRAM).0
}

/// Derives `["__event_authority"]` (equals [`EVENT_AUTHORITY`]).
pub fn event_authority() -> Pubkey {
    Pubkey::find_program_address(&[b"__event_authority"], &PUMP_PROGRAM).0
}

/// Derives `["global_volume_accumulator"]` (equals [`GLOBAL_VOLUME_ACCUMULATOR`]).
pub fn global_volume_accumulator() -> Pubkey {
    Pubkey::find_program_address(&[b"global_volume_accumulator"], &PUMP_PROGRAM).0
}

/// Derives the pump-fees `FeeConfig` of `program` (`["fee_config", program]` under pump-fees).
/// For the pump program this is [`FEE_CONFIG`].
pub fn fee_config(program: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"fee_config", program.as_ref()], &PUMP_FEES_PROGRAM).0
}

/// `["bonding-curve", mint]`.
pub fn bonding_curve(mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"bonding-curve", mint.as_ref()], &PUMP_PROGRAM).0
}

/// `["bonding-curve-v2", mint]` (a remaining account of legacy buy/sell).
pub fn bonding_curve_v2(mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"bonding-curve-v2", mint.as_ref()], &PUMP_PROGRAM).0
}

/// `["creator-vault", creator]` (hyphen), with `creator` = `BondingCurve::creator`.
pub fn creator_vault(creator: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"creator-vault", creator.as_ref()], &PUMP_PROGRAM).0
}

/// `["user_volume_accumulator", user]`.
pub fn user_volume_accumulator(user: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"user_volume_accumulator", user.as_ref()], &PUMP_PROGRAM).0
}

/// `["pool-authority", mint]`: creator of the canonical PumpSwap pool after migration.
pub fn pool_authority(mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"pool-authority", mint.as_ref()], &PUMP_PROGRAM).0
}

/// `["sharing-config", mint]` under pump-fees.
pub fn sharing_config(mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"sharing-config", mint.as_ref()], &PUMP_FEES_PROGRAM).0
}

/// Associated token account of `owner` for `mint` under an explicit `token_program`.
pub fn associated_token_account(spec: &AtaSpec) -> Pubkey {
    spec.address()
}

/// Per-mint accounts, derived once per (mint, token program, creator) and reused for every trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MintAccounts {
    /// The coin's mint.
    pub mint: Pubkey,
    /// Owner program of the mint (SPL Token or Token-2022).
    pub token_program: Pubkey,
    /// `BondingCurve::creator` the vault was derived from.
    pub creator: Pubkey,
    /// `["bonding-curve", mint]`.
    pub bonding_curve: Pubkey,
    /// `["bonding-curve-v2", mint]`.
    pub bonding_curve_v2: Pubkey,
    /// ATA(bonding_curve, mint, token_program).
    pub associated_bonding_curve: Pubkey,
    /// `["creator-vault", creator]`.
    pub creator_vault: Pubkey,
}

/// What a [`MintAccounts`] derivation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MintKey {
    /// The coin's mint.
    pub mint: Pubkey,
    /// The mint account's owner program (read it from the chain; Token-2022 for `create_v2` coins).
    pub token_program: Pubkey,
    /// `BondingCurve::creator` (read the curve first).
    pub creator: Pubkey,
}

impl MintAccounts {
    /// Derives all per-mint PDAs (four `find_program_address` calls).
    pub fn derive(key: &MintKey) -> Self {
        let bonding_curve = bonding_curve(&key.mint);
        Self {
            mint: key.mint,
            token_program: key.token_program,
            creator: key.creator,
            bonding_curve,
            bonding_curve_v2: bonding_curve_v2(&key.mint),
            associated_bonding_curve: AtaSpec {
                owner: bonding_curve,
                mint: key.mint,
                token_program: key.token_program,
            }
            .address(),
            creator_vault: creator_vault(&key.creator),
        }
    }
}

/// Per-user accounts for one mint, derived once and reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserAccounts {
    /// The trading wallet (signer and fee payer).
    pub user: Pubkey,
    /// ATA(user, mint, token_program).
    pub associated_user: Pubkey,
    /// `["user_volume_accumulator", user]`.
    pub user_volume_accumulator: Pubkey,
}

impl UserAccounts {
    /// Derives the user's ATA for `mint` and the user's volume accumulator.
    pub fn derive(user: Pubkey, mint: &MintAccounts) -> Self {
        Self {
            user,
            associated_user: AtaSpec { owner: user, mint: mint.mint, token_program: mint.token_program }.address(),
            user_volume_accumulator: user_volume_accumulator(&user),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::solana::ids::{PUMP_AMM_PROGRAM, TOKEN_2022_PROGRAM, TOKEN_PROGRAM};

    #[test]
    fn static_pdas_match_constants_json() {
        assert_eq!(global(), GLOBAL);
        assert_eq!(event_authority(), EVENT_AUTHORITY);
        assert_eq!(global_volume_accumulator(), GLOBAL_VOLUME_ACCUMULATOR);
        assert_eq!(fee_config(&PUMP_PROGRAM), FEE_CONFIG);
        assert_eq!(Pubkey::find_program_address(&[b"mint-authority"], &PUMP_PROGRAM).0, MINT_AUTHORITY);
        assert_eq!(fee_config(&PUMP_AMM_PROGRAM), pubkey!("5PHirr8joyTMp9JMm6nW7hNDVyEYdkzDqazxPD7RaTjx"));
    }

    #[test]
    fn mint_accounts_use_the_given_token_program() {
        let key = MintKey {
            mint: pubkey!("EM1WnMcHLeMqBFWKoNstRj7qautMwSphqRQVBVw1pump"),
            token_program: TOKEN_PROGRAM,
            creator: pubkey!("39c8JbwsHBZKibzBACZg3g6EDUuKxYHZ6Uot39jJAE6v"),
        };
        let spl = MintAccounts::derive(&key);
        let t22 = MintAccounts::derive(&MintKey { token_program: TOKEN_2022_PROGRAM, ..key });
        assert_eq!(spl.bonding_curve, t22.bonding_curve);
        assert_ne!(spl.associated_bonding_curve, t22.associated_bonding_curve);
        assert_eq!(spl.creator_vault, creator_vault(&key.creator));
        assert_ne!(spl.bonding_curve, spl.bonding_curve_v2);
    }
}
