//! `GlobalCache`: the decoded program-wide accounts every quote needs (pump `Global`, the
//! bonding-curve `FeeConfig`, PumpSwap `GlobalConfig` and its `FeeConfig`) plus token-account
//! rent, loaded at start and refreshed in the background.
//!
//! Talks to the chain through `ChainClient` only (one `getMultipleAccounts` + two rent reads per
//! refresh). Never signs. On-chain state wins: the documented constants are only a fallback when
//! an account is missing or cannot be read, and a failed refresh keeps the last good state.

use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use crate::domain::money::Lamports;
use crate::ports::{ChainClient, VenueError};
use crate::venues::pumpfun::accounts::{FeeConfig, Global};
use crate::venues::pumpfun::pda::{FEE_CONFIG as PUMP_FEE_CONFIG, GLOBAL as PUMP_GLOBAL};
use crate::venues::pumpswap::accounts::GlobalConfig;
use crate::venues::pumpswap::pda::{FEE_CONFIG as AMM_FEE_CONFIG, GLOBAL_CONFIG as AMM_GLOBAL_CONFIG};

/// SPL token account size.
const TOKEN_ACCOUNT_LEN: usize = 165;
/// Token-2022 associated token account size (base + account type + ImmutableOwner extension).
const TOKEN_2022_ACCOUNT_LEN: usize = 170;
/// Rent-exempt minimum of a 165-byte account under the long-standing rent parameters; only used
/// until the first successful read.
const FALLBACK_TOKEN_ACCOUNT_RENT: Lamports = Lamports(2_039_280);
const FALLBACK_TOKEN_2022_ACCOUNT_RENT: Lamports = Lamports(2_074_080);

/// One consistent snapshot of the program-wide state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalState {
    /// Pump `Global` (`4wTV…`), or the documented defaults when unreadable.
    pub pump_global: Global,
    /// Bonding-curve `FeeConfig` (`8Wf5…`); `None` = charge `Global`'s legacy fees.
    pub pump_fee_config: Option<FeeConfig>,
    /// PumpSwap `GlobalConfig` (`ADyA…`), or documented fallback fees when unreadable.
    pub amm_global_config: GlobalConfig,
    /// PumpSwap `FeeConfig` (`5PHi…`); `None` = `GlobalConfig`'s fees.
    pub amm_fee_config: Option<FeeConfig>,
    /// Rent-exempt minimum of an SPL token account.
    pub token_account_rent: Lamports,
    /// Rent-exempt minimum of a Token-2022 associated token account.
    pub token_2022_account_rent: Lamports,
    /// True when every account came from the chain (false: some constants are in use).
    pub from_chain: bool,
}

impl GlobalState {
    /// The documented constants (reference §1.6, §1.7, §2.4): protocol 95 bps and creator 30 bps
    /// on the curve, PumpSwap 20/5/5, fee recipients from `constants.json` (the instruction
    /// builders fall back to them when `Global` holds none).
    pub fn fallback() -> Self {
        Self {
            pump_global: fallback_global(),
            pump_fee_config: None,
            amm_global_config: fallback_amm_config(),
            amm_fee_config: None,
            token_account_rent: FALLBACK_TOKEN_ACCOUNT_RENT,
            token_2022_account_rent: FALLBACK_TOKEN_2022_ACCOUNT_RENT,
            from_chain: false,
        }
    }

    /// Rent of a new token account under `token_program`.
    pub fn token_account_rent_for(&self, token_program: &solana_pubkey::Pubkey) -> Lamports {
        if *token_program == crate::solana::ids::TOKEN_2022_PROGRAM {
            self.token_2022_account_rent
        } else {
            self.token_account_rent
        }
    }
}

/// The shared, refreshable snapshot.
pub struct GlobalCache {
    chain: Arc<dyn ChainClient>,
    state: RwLock<Arc<GlobalState>>,
}

impl std::fmt::Debug for GlobalCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalCache").field("state", &self.snapshot()).finish_non_exhaustive()
    }
}

impl GlobalCache {
    /// A cache holding the fallback constants (call [`Self::refresh`] to read the chain).
    pub fn with_fallback(chain: Arc<dyn ChainClient>) -> Arc<Self> {
        Arc::new(Self { chain, state: RwLock::new(Arc::new(GlobalState::fallback())) })
    }

    /// Reads the chain once and returns a loaded cache.
    ///
    /// # Errors
    /// [`VenueError::Chain`] when the chain cannot be read, [`VenueError::Decode`] when an
    /// existing account has an unexpected layout.
    pub async fn load(chain: Arc<dyn ChainClient>) -> Result<Arc<Self>, VenueError> {
        let cache = Self::with_fallback(chain);
        cache.refresh().await?;
        Ok(cache)
    }

    /// The current snapshot (cheap: an `Arc` clone).
    pub fn snapshot(&self) -> Arc<GlobalState> {
        self.state.read().map_or_else(|p| p.into_inner().clone(), |s| s.clone())
    }

    /// Replaces the snapshot (tests and operators).
    pub fn set(&self, state: GlobalState) {
        let mut guard = self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard = Arc::new(state);
    }

    /// Re-reads the four accounts and the rent minimums; on error the old snapshot stays.
    ///
    /// # Errors
    /// As [`Self::load`].
    pub async fn refresh(&self) -> Result<(), VenueError> {
        let keys = [PUMP_GLOBAL, PUMP_FEE_CONFIG, AMM_GLOBAL_CONFIG, AMM_FEE_CONFIG];
        let accounts = self.chain.accounts(&keys).await?;
        let data = |i: usize| accounts.get(i).and_then(Option::as_ref).map(|a| a.data.as_slice());
        let decode = |what: &str, e: crate::venues::DecodeError| VenueError::Decode(format!("{what}: {e}"));
        let pump_global = data(0).map(Global::decode).transpose().map_err(|e| decode("pump Global", e))?;
        let pump_fee_config = data(1).map(FeeConfig::decode).transpose().map_err(|e| decode("pump FeeConfig", e))?;
        let amm_global_config =
            data(2).map(GlobalConfig::decode).transpose().map_err(|e| decode("PumpSwap GlobalConfig", e))?;
        let amm_fee_config = data(3).map(FeeConfig::decode).transpose().map_err(|e| decode("PumpSwap FeeConfig", e))?;
        let token_account_rent = self.chain.rent_exempt_minimum(TOKEN_ACCOUNT_LEN).await?;
        let token_2022_account_rent = self.chain.rent_exempt_minimum(TOKEN_2022_ACCOUNT_LEN).await?;
        let from_chain = pump_global.is_some() && amm_global_config.is_some();
        if !from_chain {
            tracing::warn!("pump Global or PumpSwap GlobalConfig missing on chain: using documented constants");
        }
        self.set(GlobalState {
            pump_global: pump_global.unwrap_or_else(fallback_global),
            pump_fee_config,
            amm_global_config: amm_global_config.unwrap_or_else(fallback_amm_config),
            amm_fee_config,
            token_account_rent,
            token_2022_account_rent,
            from_chain,
        });
        Ok(())
    }

    /// Refreshes every `every` until the cache is dropped (the task holds only a weak reference).
    pub fn spawn_refresh(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let weak: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(cache) = weak.upgrade() else { return };
                if let Err(e) = cache.refresh().await {
                    tracing::warn!(error.message = %e, "global account refresh failed; keeping the last state");
                }
            }
        })
    }
}

fn fallback_global() -> Global {
    let zero = solana_pubkey::Pubkey::default();
    Global {
        initialized: true,
        authority: zero,
        fee_recipient: zero,
        initial_virtual_token_reserves: 1_073_000_000_000_000,
        initial_virtual_sol_reserves: 30_000_000_000,
        initial_real_token_reserves: 793_100_000_000_000,
        token_total_supply: 1_000_000_000_000_000,
        fee_basis_points: 95,
        withdraw_authority: zero,
        enable_migrate: true,
        pool_migration_fee: 15_000_001,
        creator_fee_basis_points: 30,
        fee_recipients: [zero; 7],
        set_creator_authority: zero,
        admin_set_creator_authority: zero,
        create_v2_enabled: true,
        whitelist_pda: zero,
        reserved_fee_recipient: zero,
        mayhem_mode_enabled: false,
        reserved_fee_recipients: [zero; 7],
        is_cashback_enabled: false,
        buyback_fee_recipients: [zero; 8],
        buyback_basis_points: 5_000,
        initial_virtual_quote_reserves: 30_000_000_000,
        whitelisted_quote_mints: [zero; 1],
        creator_fee_configurable: false,
        max_configurable_creator_fee_bps: 0,
        holder_reward_claim_authority: zero,
        is_holder_reward_enabled: false,
    }
}

fn fallback_amm_config() -> GlobalConfig {
    let zero = solana_pubkey::Pubkey::default();
    GlobalConfig {
        admin: zero,
        lp_fee_basis_points: 20,
        protocol_fee_basis_points: 5,
        disable_flags: 0,
        protocol_fee_recipients: [zero; 8],
        coin_creator_fee_basis_points: 5,
        admin_set_coin_creator_authority: zero,
        whitelist_pda: zero,
        reserved_fee_recipient: zero,
        mayhem_mode_enabled: false,
        reserved_fee_recipients: [zero; 7],
        is_cashback_enabled: false,
        buyback_fee_recipients: [zero; 8],
        buyback_basis_points: 0,
        boost_authority: zero,
        boost_enabled: false,
        creator_fee_configurable: false,
        max_configurable_creator_fee_bps: 0,
    }
}
