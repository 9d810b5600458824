//! `VenueRouter`: the `Swapper` the trading core and the operator CLI use. Per mint it picks
//! the venue (live bonding curve → Pump.fun, complete curve → PumpSwap canonical pool, no curve
//! → Jupiter), quotes there, and plans the unsigned instructions.
//!
//! Talks to the chain through `ChainClient` (one `getMultipleAccounts` of mint + curve per
//! quote; a graduated coin's pool and vaults in the same call once the router knows it
//! graduated) and to Jupiter through `JupiterClient`. Program-wide accounts come from the
//! `GlobalCache`. Never signs, never sends.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use solana_pubkey::Pubkey;

use crate::domain::money::Lamports;
use crate::domain::position::Side;
use crate::ports::{
    AccountData, ChainClient, PlanOptions, Quote, QuoteRequest, QuoteRoute, SwapPlan, Swapper, VenueError, VenueId,
};
use crate::solana::ids::WSOL_MINT;
use crate::solana::instructions::AtaSpec;
use crate::solana::tx::MAX_COMPUTE_UNIT_LIMIT;
use crate::venues::globals::{GlobalCache, GlobalState};
use crate::venues::jupiter::{JupiterClient, JupiterQuote, JupiterQuoteRequest, decode_lookup_table};
use crate::venues::mint::MintInfo;
use crate::venues::pricing::{market_cap, sol_per_ui_token};
use crate::venues::pumpfun::pda::bonding_curve;
use crate::venues::pumpfun::venue::{self as pump, PumpBuyMode, PumpPlanInput, PumpQuoteInput};
use crate::venues::pumpswap::pda::canonical_pool;
use crate::venues::pumpswap::quote::PoolReserves;
use crate::venues::pumpswap::venue::{self as amm, PoolPlanInput, PoolQuoteInput, expected_vaults};

/// Remembered facts are dropped wholesale past this many entries (a crude bound, no LRU).
const MAX_REMEMBERED: usize = 50_000;
/// Compute units requested for a Jupiter route when the API names none.
const DEFAULT_JUPITER_COMPUTE_UNITS: u32 = 400_000;

/// Router tunables.
#[derive(Debug, Clone, Copy, Default)]
pub struct RouterSettings {
    /// Legacy Pump.fun buy instruction to use.
    pub pump_buy: PumpBuyMode,
}

/// Where a mint trades, once known for good (a curve never comes back once complete, and a
/// mint without a curve never gets one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KnownRoute {
    Jupiter,
    /// Graduated; the mint's program and decimals never change (pump coins have a fixed supply).
    PumpSwap(MintInfo),
}

/// The venue router.
pub struct VenueRouter {
    chain: Arc<dyn ChainClient>,
    globals: Arc<GlobalCache>,
    jupiter: Option<Arc<JupiterClient>>,
    settings: RouterSettings,
    salt: AtomicU64,
    routes: Mutex<HashMap<Pubkey, KnownRoute>>,
    existing_accounts: Mutex<HashSet<Pubkey>>,
    /// Mints of live curves seen by `quote` (decimals, program, supply: fixed on a curve).
    curve_mints: Mutex<HashMap<Pubkey, MintInfo>>,
}

impl std::fmt::Debug for VenueRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VenueRouter")
            .field("settings", &self.settings)
            .field("jupiter", &self.jupiter.is_some())
            .finish_non_exhaustive()
    }
}

impl VenueRouter {
    /// A router over `chain`, with cached globals and an optional Jupiter client (without one,
    /// mints that are not pump coins get `NoRoute`).
    pub fn new(
        chain: Arc<dyn ChainClient>,
        globals: Arc<GlobalCache>,
        jupiter: Option<Arc<JupiterClient>>,
        settings: RouterSettings,
    ) -> Self {
        Self {
            chain,
            globals,
            jupiter,
            settings,
            salt: AtomicU64::new(0),
            routes: Mutex::new(HashMap::new()),
            existing_accounts: Mutex::new(HashSet::new()),
            curve_mints: Mutex::new(HashMap::new()),
        }
    }

    /// The global-state cache in use.
    pub fn globals(&self) -> &Arc<GlobalCache> {
        &self.globals
    }

    fn known_route(&self, mint: &Pubkey) -> Option<KnownRoute> {
        lock(&self.routes).get(mint).copied()
    }

    fn remember_route(&self, mint: Pubkey, route: KnownRoute) {
        let mut routes = lock(&self.routes);
        if routes.len() >= MAX_REMEMBERED {
            routes.clear();
        }
        routes.insert(mint, route);
    }

    async fn quote_unknown(&self, req: &QuoteRequest, globals: &GlobalState) -> Result<Quote, VenueError> {
        let curve_key = bonding_curve(&req.mint);
        let read = self.chain.accounts(&[req.mint, curve_key]).await?;
        let mint = mint_info(req.mint, read.first())?;
        let Some(curve) = read.get(1).and_then(Option::as_ref) else {
            self.remember_route(req.mint, KnownRoute::Jupiter);
            return self.quote_jupiter(req, &mint).await;
        };
        let input = PumpQuoteInput {
            request: req,
            mint: &mint,
            curve_account: &curve.data,
            globals,
            mode: self.settings.pump_buy,
        };
        match pump::quote(&input) {
            Ok(q) => {
                let mut mints = lock(&self.curve_mints);
                if mints.len() >= MAX_REMEMBERED {
                    mints.clear();
                }
                mints.insert(req.mint, mint);
                Ok(q)
            }
            Err(VenueError::CurveComplete) => {
                self.remember_route(req.mint, KnownRoute::PumpSwap(mint));
                self.quote_pumpswap(req, mint, globals).await
            }
            other => other,
        }
    }

    async fn quote_pumpswap(
        &self,
        req: &QuoteRequest,
        mint: MintInfo,
        globals: &GlobalState,
    ) -> Result<Quote, VenueError> {
        let pool = canonical_pool(&req.mint);
        let (base_vault, quote_vault) = expected_vaults(&pool, &mint);
        let read = self.chain.accounts(&[pool, base_vault, quote_vault]).await?;
        let Some(pool_account) = read.first().and_then(Option::as_ref) else {
            // Complete but not migrated yet (or migrated elsewhere): let Jupiter try.
            return self.quote_jupiter(req, &mint).await;
        };
        let decoded = crate::venues::pumpswap::accounts::Pool::decode(&pool_account.data)
            .map_err(|e| VenueError::Decode(e.to_string()))?;
        let reserves =
            if decoded.pool_base_token_account == base_vault && decoded.pool_quote_token_account == quote_vault {
                reserves(read.get(1), read.get(2))
            } else {
                let vaults =
                    self.chain.accounts(&[decoded.pool_base_token_account, decoded.pool_quote_token_account]).await?;
                reserves(vaults.first(), vaults.get(1))
            }?;
        amm::quote(&PoolQuoteInput {
            request: req,
            mint: &mint,
            pool,
            pool_account: &pool_account.data,
            reserves,
            globals,
        })
    }

    async fn quote_jupiter(&self, req: &QuoteRequest, mint: &MintInfo) -> Result<Quote, VenueError> {
        let Some(jupiter) = &self.jupiter else { return Err(VenueError::NoRoute) };
        let (input_mint, output_mint) = match req.side {
            Side::Buy => (WSOL_MINT, req.mint),
            Side::Sell => (req.mint, WSOL_MINT),
        };
        let jq = jupiter
            .quote(&JupiterQuoteRequest { input_mint, output_mint, amount: req.amount_in, slippage: req.slippage })
            .await?;
        Ok(jupiter_quote(req, mint, jq))
    }

    async fn plan_jupiter(
        &self,
        quote: &Quote,
        raw: &serde_json::Value,
        owner: &Pubkey,
    ) -> Result<SwapPlan, VenueError> {
        let Some(jupiter) = &self.jupiter else { return Err(VenueError::NoRoute) };
        let ixs = jupiter.swap_instructions(raw, owner).await?;
        let created: Vec<Pubkey> = ixs
            .instructions
            .iter()
            .filter(|i| i.program_id == crate::solana::ids::ASSOCIATED_TOKEN_PROGRAM)
            .filter_map(|i| i.accounts.get(1).map(|a| a.pubkey))
            .collect();
        let mut keys = ixs.lookup_table_addresses.clone();
        keys.extend(created.iter().copied());
        // One read: the route's lookup tables and the token accounts it may create (for rent).
        let read = if keys.is_empty() { Vec::new() } else { self.chain.accounts(&keys).await? };
        let mut lookup_tables = Vec::with_capacity(ixs.lookup_table_addresses.len());
        for (i, key) in ixs.lookup_table_addresses.iter().enumerate() {
            let Some(account) = read.get(i).and_then(Option::as_ref) else {
                return Err(VenueError::Decode(format!("lookup table {key} not found")));
            };
            lookup_tables.push(decode_lookup_table(*key, &account.data)?);
        }
        let globals = self.globals.snapshot();
        let missing = read.iter().skip(ixs.lookup_table_addresses.len()).filter(|a| a.is_none()).count();
        let rent_each = globals.token_account_rent_for(&quote.token_program).0.max(globals.token_account_rent.0);
        let rent = Lamports(rent_each.saturating_mul(u64::try_from(missing).unwrap_or(0)));
        let compute_unit_limit =
            ixs.compute_unit_limit.unwrap_or(DEFAULT_JUPITER_COMPUTE_UNITS).clamp(1, MAX_COMPUTE_UNIT_LIMIT.0);
        Ok(SwapPlan { instructions: ixs.instructions, lookup_tables, compute_unit_limit, rent })
    }

    /// Whether `account` exists; positive answers are remembered so repeat plans do not read
    /// again. The trading core passes what it has just read instead (the bot closes token
    /// accounts a sell empties, so a remembered answer may be stale; it only sizes the rent).
    async fn account_exists(&self, account: Pubkey) -> bool {
        if lock(&self.existing_accounts).contains(&account) {
            return true;
        }
        match self.chain.account(&account).await {
            Ok(Some(_)) => {
                let mut known = lock(&self.existing_accounts);
                if known.len() >= MAX_REMEMBERED {
                    known.clear();
                }
                known.insert(account);
                true
            }
            // Unknown or missing: count the rent (an upper bound); create-idempotent is safe.
            _ => false,
        }
    }

    fn next_salt(&self) -> u64 {
        self.salt.fetch_add(1, Ordering::Relaxed)
    }
}

#[async_trait]
impl Swapper for VenueRouter {
    #[tracing::instrument(skip_all, fields(mint = %request.mint, side = ?request.side))]
    async fn quote(&self, request: &QuoteRequest) -> Result<Quote, VenueError> {
        if request.amount_in == 0 {
            return Err(VenueError::Amount("amount is zero".to_owned()));
        }
        let globals = self.globals.snapshot();
        match self.known_route(&request.mint) {
            None => self.quote_unknown(request, &globals).await,
            Some(KnownRoute::PumpSwap(mint)) => self.quote_pumpswap(request, mint, &globals).await,
            Some(KnownRoute::Jupiter) => {
                let read = self.chain.account(&request.mint).await?;
                let mint = mint_info(request.mint, Some(&read))?;
                self.quote_jupiter(request, &mint).await
            }
        }
    }

    async fn requote(&self, request: &QuoteRequest, basis: &Quote) -> Result<Quote, VenueError> {
        let mint = lock(&self.curve_mints).get(&request.mint).copied();
        match (&basis.route, mint) {
            (QuoteRoute::PumpFun { curve_account }, Some(mint))
                if basis.request.mint == request.mint && request.amount_in > 0 =>
            {
                let globals = self.globals.snapshot();
                pump::quote(&PumpQuoteInput {
                    request,
                    mint: &mint,
                    curve_account,
                    globals: &globals,
                    mode: self.settings.pump_buy,
                })
            }
            _ => self.quote(request).await,
        }
    }

    #[tracing::instrument(skip_all, fields(mint = %quote.request.mint, venue = quote.venue.code()))]
    async fn plan(&self, quote: &Quote, owner: &Pubkey, options: &PlanOptions) -> Result<SwapPlan, VenueError> {
        let globals = self.globals.snapshot();
        match (&quote.route, quote.venue) {
            (QuoteRoute::PumpFun { .. }, VenueId::PumpFun) => {
                let exists = match options.user_ata_exists {
                    Some(known) => known,
                    None => self.account_exists(pump::user_token_account(quote, owner)).await,
                };
                pump::plan(&PumpPlanInput {
                    quote,
                    owner: *owner,
                    globals: &globals,
                    salt: self.next_salt(),
                    mode: self.settings.pump_buy,
                    user_ata_exists: exists,
                    track_volume: options.track_volume,
                })
            }
            (QuoteRoute::PumpSwap { .. }, VenueId::PumpSwap) => {
                let ata = AtaSpec { owner: *owner, mint: quote.request.mint, token_program: quote.token_program };
                let exists = match options.user_ata_exists {
                    Some(known) => known,
                    None => self.account_exists(ata.address()).await,
                };
                amm::plan(&PoolPlanInput {
                    quote,
                    owner: *owner,
                    globals: &globals,
                    salt: self.next_salt(),
                    user_ata_exists: exists,
                    track_volume: options.track_volume,
                })
            }
            (QuoteRoute::Jupiter { quote: raw }, VenueId::Jupiter) => self.plan_jupiter(quote, raw, owner).await,
            _ => Err(VenueError::Decode("quote venue and route disagree".to_owned())),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn mint_info(address: Pubkey, read: Option<&Option<AccountData>>) -> Result<MintInfo, VenueError> {
    match read.and_then(Option::as_ref) {
        Some(account) => MintInfo::decode(address, account),
        None => Err(VenueError::NotAMint),
    }
}

fn token_amount(read: Option<&Option<AccountData>>) -> Option<u64> {
    let data = &read?.as_ref()?.data;
    data.get(64..72).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_le_bytes)
}

fn reserves(
    base: Option<&Option<AccountData>>,
    quote: Option<&Option<AccountData>>,
) -> Result<PoolReserves, VenueError> {
    match (token_amount(base), token_amount(quote)) {
        (Some(base), Some(quote)) => Ok(PoolReserves { base, quote: Lamports(quote) }),
        _ => Err(VenueError::Decode("pool vaults missing".to_owned())),
    }
}

/// A `Quote` from a Jupiter answer. Liquidity is unknown (0); fees are the route's AMM fees
/// paid in wSOL, when Jupiter names them.
fn jupiter_quote(req: &QuoteRequest, mint: &MintInfo, jq: JupiterQuote) -> Quote {
    let (lamports, tokens) = match req.side {
        Side::Buy => (jq.in_amount, jq.out_amount),
        Side::Sell => (jq.out_amount, jq.in_amount),
    };
    let fee = jq.fees.iter().filter(|(m, _)| *m == WSOL_MINT).fold(0u64, |acc, (_, a)| acc.saturating_add(*a));
    Quote {
        venue: VenueId::Jupiter,
        request: req.clone(),
        expected_out: jq.out_amount,
        min_out: jq.other_amount_threshold,
        price_impact: jq.price_impact(),
        venue_fee: Lamports(fee),
        liquidity: Lamports::ZERO,
        token_decimals: mint.decimals,
        token_program: mint.token_program,
        price: sol_per_ui_token(u128::from(lamports), u128::from(tokens), mint.decimals),
        market_cap: market_cap(mint.supply, u128::from(lamports), u128::from(tokens)),
        route: QuoteRoute::Jupiter { quote: jq.raw },
    }
}
