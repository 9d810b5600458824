//! Program-derived addresses of the PumpSwap AMM (`pump_amm`, reference §2.1).
//!
//! Pure address math: no I/O, never signs. Static PDAs are constants checked in tests;
//! per-pool and per-user addresses are derived once into [`PoolAccounts`] / [`AmmUserAccounts`].

use solana_pubkey::{Pubkey, pubkey};

use crate::solana::ids::{PUMP_AMM_PROGRAM, TOKEN_PROGRAM, WSOL_MINT};
use crate::solana::instructions::AtaSpec;
use crate::venues::pumpfun::pda::pool_authority;
use crate::venues::pumpswap::accounts::Pool;

/// `GlobalConfig`: `["global_config"]`.
pub const GLOBAL_CONFIG: Pubkey = pubkey!("ADyA8hdefvWN2dbGGWFotbzWxrAvLW83WG6QCVXvJKqw");
/// `event_authority`: `["__event_authority"]`.
pub const EVENT_AUTHORITY: Pubkey = pubkey!("GS4CU59F31iL7aR2Q8zVS8DRrcRnXX1yjQ66TqNVQnaR");
/// `global_volume_accumulator`: `["global_volume_accumulator"]`.
pub const GLOBAL_VOLUME_ACCUMULATOR: Pubkey = pubkey!("C2aFPdENg4A2HQsmrd5rTw5TaYBX5Ku887cWjbFKtZpw");
/// AMM `FeeConfig`: `["fee_config", pump_amm_id]` under pump-fees.
pub const FEE_CONFIG: Pubkey = pubkey!("5PHirr8joyTMp9JMm6nW7hNDVyEYdkzDqazxPD7RaTjx");

/// Seeds of a pool PDA (named fields: three pubkeys never sit side by side in a signature).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSeeds {
    /// Pool index (0 for canonical pools).
    pub index: u16,
    /// Pool creator (`pool_authority(mint)` for migrated pump coins).
    pub creator: Pubkey,
    /// Base mint (the coin).
    pub base_mint: Pubkey,
    /// Quote mint (wSOL for SOL coins).
    pub quote_mint: Pubkey,
}

/// `["pool", index u16 LE, creator, base_mint, quote_mint]`.
pub fn pool(seeds: &PoolSeeds) -> Pubkey {
    let index = seeds.index.to_le_bytes();
    Pubkey::find_program_address(
        &[b"pool", &index, seeds.creator.as_ref(), seeds.base_mint.as_ref(), seeds.quote_mint.as_ref()],
        &PUMP_AMM_PROGRAM,
    )
    .0
}

/// The canonical pool a pump coin migrates into: index 0, creator = pump `pool_authority(mint)`,
/// quote wSOL.
pub fn canonical_pool(mint: &Pubkey) -> Pubkey {
    pool(&PoolSeeds { index: 0, creator: pool_authority(mint), base_mint: *mint, quote_mint: WSOL_MINT })
}

/// True when `pool` was created by pump's migration (creator = `pool_authority(base_mint)`):
/// such pools pay tiered fees, others pay the flat fees.
pub fn is_canonical_pump_pool(pool: &Pool) -> bool {
    pool.creator == pool_authority(&pool.base_mint)
}

/// `["pool-v2", base_mint]`.
pub fn pool_v2(base_mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"pool-v2", base_mint.as_ref()], &PUMP_AMM_PROGRAM).0
}

/// `["creator_vault", coin_creator]` (underscore, unlike pump's `creator-vault`).
pub fn coin_creator_vault_authority(coin_creator: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"creator_vault", coin_creator.as_ref()], &PUMP_AMM_PROGRAM).0
}

/// pump_amm's own `["user_volume_accumulator", user]`.
pub fn user_volume_accumulator(user: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"user_volume_accumulator", user.as_ref()], &PUMP_AMM_PROGRAM).0
}

/// Per-pool accounts, derived once per pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolAccounts {
    /// The pool account.
    pub pool: Pubkey,
    /// Base mint.
    pub base_mint: Pubkey,
    /// Quote mint (wSOL).
    pub quote_mint: Pubkey,
    /// Owner program of the base mint.
    pub base_token_program: Pubkey,
    /// Owner program of the quote mint (SPL Token for wSOL).
    pub quote_token_program: Pubkey,
    /// Pool's base vault.
    pub pool_base_token_account: Pubkey,
    /// Pool's quote vault.
    pub pool_quote_token_account: Pubkey,
    /// `["creator_vault", coin_creator]`.
    pub coin_creator_vault_authority: Pubkey,
    /// ATA(vault authority, quote mint, quote token program).
    pub coin_creator_vault_ata: Pubkey,
    /// `["pool-v2", base_mint]`, passed only when the pool has a coin creator.
    pub pool_v2: Option<Pubkey>,
    /// Cashback pools take extra remaining accounts.
    pub is_cashback_coin: bool,
}

impl PoolAccounts {
    /// Derives the per-pool accounts of a decoded, wSOL-quoted pool.
    pub fn derive(pool_key: Pubkey, pool: &Pool, base_token_program: Pubkey) -> Self {
        let authority = coin_creator_vault_authority(&pool.coin_creator);
        Self {
            pool: pool_key,
            base_mint: pool.base_mint,
            quote_mint: pool.quote_mint,
            base_token_program,
            quote_token_program: TOKEN_PROGRAM,
            pool_base_token_account: pool.pool_base_token_account,
            pool_quote_token_account: pool.pool_quote_token_account,
            coin_creator_vault_authority: authority,
            coin_creator_vault_ata: AtaSpec { owner: authority, mint: pool.quote_mint, token_program: TOKEN_PROGRAM }
                .address(),
            pool_v2: (pool.coin_creator != Pubkey::default()).then(|| pool_v2(&pool.base_mint)),
            is_cashback_coin: pool.is_cashback_coin,
        }
    }
}

/// Per-user accounts for one pool, derived once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmmUserAccounts {
    /// The pool these accounts were derived for.
    pub pool: Pubkey,
    /// The wallet.
    pub user: Pubkey,
    /// ATA(user, base mint, base token program).
    pub user_base_token_account: Pubkey,
    /// ATA(user, wSOL, SPL Token): the wrap/unwrap account.
    pub user_quote_token_account: Pubkey,
    /// pump_amm `["user_volume_accumulator", user]`.
    pub user_volume_accumulator: Pubkey,
    /// ATA(user_volume_accumulator, quote mint) (cashback pools only).
    pub user_volume_accumulator_quote_ata: Pubkey,
}

impl AmmUserAccounts {
    /// Derives the user's accounts for `pool`.
    pub fn derive(user: Pubkey, pool: &PoolAccounts) -> Self {
        let uva = user_volume_accumulator(&user);
        Self {
            pool: pool.pool,
            user,
            user_base_token_account: AtaSpec {
                owner: user,
                mint: pool.base_mint,
                token_program: pool.base_token_program,
            }
            .address(),
            user_quote_token_account: AtaSpec {
                owner: user,
                mint: pool.quote_mint,
                token_program: pool.quote_token_program,
            }
            .address(),
            user_volume_accumulator: uva,
            user_volume_accumulator_quote_ata: AtaSpec {
                owner: uva,
                mint: pool.quote_mint,
                token_program: pool.quote_token_program,
            }
            .address(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn static_pdas_match_constants_json() {
        let find = |seed: &[u8]| Pubkey::find_program_address(&[seed], &PUMP_AMM_PROGRAM).0;
        assert_eq!(find(b"global_config"), GLOBAL_CONFIG);
        assert_eq!(find(b"__event_authority"), EVENT_AUTHORITY);
        assert_eq!(find(b"global_volume_accumulator"), GLOBAL_VOLUME_ACCUMULATOR);
        assert_eq!(crate::venues::pumpfun::pda::fee_config(&PUMP_AMM_PROGRAM), FEE_CONFIG);
    }

    #[test]
    fn pool_seeds_include_index_and_quote() {
        let mint = Pubkey::new_from_array([1; 32]);
        let a = canonical_pool(&mint);
        let b = pool(&PoolSeeds { index: 1, creator: pool_authority(&mint), base_mint: mint, quote_mint: WSOL_MINT });
        assert_ne!(a, b);
        assert_ne!(coin_creator_vault_authority(&mint), crate::venues::pumpfun::pda::creator_vault(&mint));
    }
}
