//! The shared token-safety reader: one read per mint, cached (~30 s) for every user and for a
//! whole alert fan-out.
//!
//! A read is one round trip of three concurrent calls: `getMultipleAccounts` (the mint, its
//! Pump.fun bonding curve, its canonical PumpSwap pool and that pool's SOL vault, its Metaplex
//! metadata),
//! `getTokenLargestAccounts`, and one page of `getSignaturesForAddress` for the coin's age (its
//! creation time is kept for good once found; a failed history read leaves the age unknown).
//! Transient failures are retried; a read that still fails is "safety data unavailable"
//! (`None`): strict rules refuse on it, normal rules only warn. The round trip (a tiny buy and the
//! sell of what it bought, simulated unsigned in one transaction) is run on demand and cached per
//! mint as well. Classification itself is pure ([`crate::domain::safety`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use solana_instruction::Instruction;
use solana_pubkey::Pubkey;
use solana_signature::Signature;
use solana_transaction::versioned::VersionedTransaction;

use crate::domain::money::Bps;
use crate::domain::position::Side;
use crate::domain::safety::{ROUND_TRIP_LAMPORTS, RoundTrip, TokenSafety, VenueFacts, decode_mint, share_bps};
use crate::ports::{
    ChainClient, ChainError, Clock, HistoryPage, PlanOptions, Quote, QuoteRequest, QuoteRoute, Swapper, VenueId,
};
use crate::solana::ids::{TOKEN_2022_PROGRAM, TOKEN_PROGRAM, WSOL_MINT};
use crate::solana::instructions::AtaSpec;
use crate::venues::pumpfun::accounts::BondingCurve;
use crate::venues::pumpswap::accounts::{POOL_ACCOUNT_NEW_SIZE, Pool};

/// Pump.fun's initial real token reserves (Global), the 0 % point of curve progress.
const PUMP_INITIAL_REAL_TOKENS: u64 = 793_100_000_000_000;
/// Entries kept before the oldest are dropped.
const MAX_ENTRIES: usize = 10_000;
/// One page of a mint's history: a shorter page reaches its first transaction (its creation).
const HISTORY_PAGE: usize = 1_000;
/// SPL Token `CloseAccount` instruction tag (both token programs).
const CLOSE_ACCOUNT: u8 = 9;

/// When a mint first shows on chain (unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Born {
    /// Its first transaction: known for good.
    At(i64),
    /// No later than this (the page of history was full).
    NoLaterThan(i64),
}

/// Tunables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SafetySettings {
    /// How long a read (and a round trip) stays fresh.
    pub ttl_ms: i64,
    /// Attempts per read (at least 1).
    pub attempts: u32,
    /// Delay before the second attempt; doubles after each.
    pub first_delay: Duration,
}

impl Default for SafetySettings {
    fn default() -> Self {
        Self { ttl_ms: 30_000, attempts: 3, first_delay: Duration::from_millis(100) }
    }
}

#[derive(Default)]
struct Entry {
    read_at_ms: i64,
    safety: Option<Arc<TokenSafety>>,
}

/// The reader (cheap to clone; one cache shared by every clone).
#[derive(Clone)]
pub struct SafetyReader {
    chain: Arc<dyn ChainClient>,
    swapper: Arc<dyn Swapper>,
    clock: Arc<dyn Clock>,
    settings: SafetySettings,
    cache: Arc<Mutex<HashMap<Pubkey, Entry>>>,
    /// Creation times found (kept across refreshes: they never change).
    born: Arc<Mutex<HashMap<Pubkey, i64>>>,
}

impl std::fmt::Debug for SafetyReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafetyReader").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl SafetyReader {
    /// A reader over the chain and the venues.
    pub fn new(
        chain: Arc<dyn ChainClient>,
        swapper: Arc<dyn Swapper>,
        clock: Arc<dyn Clock>,
        settings: SafetySettings,
    ) -> Self {
        Self {
            chain,
            swapper,
            clock,
            settings,
            cache: Arc::new(Mutex::new(HashMap::new())),
            born: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Pubkey, Entry>> {
        self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cached facts of `mint` when fresh (no I/O).
    pub fn cached(&self, mint: &Pubkey) -> Option<Arc<TokenSafety>> {
        let now = self.clock.now_ms();
        let cache = self.lock();
        cache
            .get(mint)
            .filter(|e| now.saturating_sub(e.read_at_ms) < self.settings.ttl_ms)
            .and_then(|e| e.safety.clone())
    }

    /// Drops the cached facts of `mint` (a card's Refresh reads them again).
    pub fn forget(&self, mint: &Pubkey) {
        self.lock().remove(mint);
    }

    /// The safety facts of `mint`: from the cache, else one batched read (retried). `None` =
    /// safety data unavailable.
    pub async fn read(&self, mint: &Pubkey) -> Option<Arc<TokenSafety>> {
        if let Some(hit) = self.cached(mint) {
            return Some(hit);
        }
        let mut delay = self.settings.first_delay;
        let mut attempt = 1;
        let facts = loop {
            match self.fetch(mint).await {
                Err(e) if e.is_retryable() && attempt < self.settings.attempts.max(1) => {
                    tracing::debug!(attempt, %mint, "safety read failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                    attempt += 1;
                }
                Err(e) => {
                    tracing::warn!(%mint, error.message = %e, "safety data unavailable");
                    return None;
                }
                Ok(facts) => break facts,
            }
        };
        let safety = facts.map(Arc::new);
        self.store(mint, safety.clone());
        safety
    }

    fn store(&self, mint: &Pubkey, safety: Option<Arc<TokenSafety>>) {
        let now = self.clock.now_ms();
        let mut cache = self.lock();
        if cache.len() >= MAX_ENTRIES {
            let ttl = self.settings.ttl_ms;
            cache.retain(|_, e| now.saturating_sub(e.read_at_ms) < ttl);
        }
        // A round trip already known for this mint survives a refresh of the other facts.
        let known_trip = cache.get(mint).and_then(|e| e.safety.as_ref()).and_then(|s| s.round_trip.clone());
        let safety = match (safety, known_trip) {
            (Some(s), Some(trip)) if s.round_trip.is_none() => {
                Some(Arc::new(TokenSafety { round_trip: Some(trip), ..(*s).clone() }))
            }
            (s, _) => s,
        };
        cache.insert(*mint, Entry { read_at_ms: now, safety });
    }

    /// When `mint` first shows on chain: from the cache, else one page of its history (newest
    /// first; a page shorter than [`HISTORY_PAGE`] ends at its first transaction). `None` when
    /// the history cannot be read: age is then unknown, nothing else is affected.
    async fn born(&self, mint: &Pubkey) -> Option<Born> {
        if let Some(at) = self.born.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(mint) {
            return Some(Born::At(*at));
        }
        let page = HistoryPage { before: None, until: None, limit: HISTORY_PAGE };
        let history = match self.chain.signatures_for_address(mint, page).await {
            Ok(history) => history,
            Err(e) => {
                tracing::debug!(%mint, error.message = %e, "mint history unavailable; age unknown");
                return None;
            }
        };
        let oldest = history.last()?.block_time?;
        if history.len() >= HISTORY_PAGE {
            return Some(Born::NoLaterThan(oldest));
        }
        let mut born = self.born.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if born.len() >= MAX_ENTRIES {
            born.clear();
        }
        born.insert(*mint, oldest);
        Some(Born::At(oldest))
    }

    /// `Ok(None)`: the mint account is missing or is not a mint (the venue says why).
    async fn fetch(&self, mint: &Pubkey) -> Result<Option<TokenSafety>, ChainError> {
        let curve_key = crate::venues::pumpfun::pda::bonding_curve(mint);
        let pool_key = crate::venues::pumpswap::pda::canonical_pool(mint);
        let metadata_key = crate::domain::token_meta::metaplex_address(mint);
        // The canonical pool's vaults are its associated token accounts: its SOL is readable in
        // the same call.
        let pool_sol_key = AtaSpec { owner: pool_key, mint: WSOL_MINT, token_program: TOKEN_PROGRAM }.address();
        let keys = [*mint, curve_key, pool_key, metadata_key, pool_sol_key];
        let (accounts, largest, born) =
            tokio::join!(self.chain.accounts(&keys), self.chain.token_largest_accounts(mint), self.born(mint));
        let accounts = accounts?;
        let largest = largest?;
        let Some(Some(mint_account)) = accounts.first() else {
            return Ok(None);
        };
        let Ok(facts) = decode_mint(&mint_account.owner, &mint_account.data) else {
            return Ok(None);
        };
        let meta =
            if facts.token_2022 { crate::domain::token_meta::decode_token_2022(&mint_account.data) } else { None }
                .or_else(|| {
                    let account = accounts.get(3).and_then(Option::as_ref)?;
                    (account.owner == crate::domain::token_meta::METAPLEX_PROGRAM)
                        .then(|| crate::domain::token_meta::decode_metaplex(&account.data, mint))
                        .flatten()
                });
        let now_secs = self.clock.now_ms() / 1_000;
        let age = |t: i64| u64::try_from(now_secs.saturating_sub(t)).unwrap_or(0);
        let (age_secs, age_lower_bound) = match born {
            Some(Born::At(t)) => (Some(age(t)), false),
            Some(Born::NoLaterThan(t)) => (Some(age(t)), true),
            None => (None, false),
        };
        let token_program = mint_account.owner;
        let ata = |owner: Pubkey| AtaSpec { owner, mint: *mint, token_program }.address();
        let curve = accounts.get(1).and_then(Option::as_ref).and_then(|a| BondingCurve::decode(&a.data).ok());
        let pool = accounts.get(2).and_then(Option::as_ref).and_then(|a| Pool::decode(&a.data).ok());
        let mut vaults = Vec::new();
        let mut creator = None;
        let mut venue = VenueFacts::Unknown;
        if let Some(c) = &curve {
            vaults.push(ata(curve_key));
            creator = Some(c.creator);
            if !c.complete {
                let sold = PUMP_INITIAL_REAL_TOKENS.saturating_sub(c.real_token_reserves);
                venue = VenueFacts::Curve { progress_bps: share_bps(sold, PUMP_INITIAL_REAL_TOKENS) };
            }
        }
        if let Some(p) = &pool {
            vaults.push(p.pool_base_token_account);
            if creator.is_none() {
                creator = Some(p.coin_creator);
            }
            if !matches!(venue, VenueFacts::Curve { .. }) {
                let vault =
                    accounts.get(4).and_then(Option::as_ref).filter(|_| p.pool_quote_token_account == pool_sol_key);
                let quote_lamports =
                    vault.and_then(|a| a.data.get(64..72)).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes);
                venue = VenueFacts::Pool { quote_lamports };
            }
        }
        let holders: Vec<&(Pubkey, u64)> = largest.iter().filter(|(k, _)| !vaults.contains(k)).collect();
        let top10: u64 = holders.iter().take(10).map(|(_, a)| *a).fold(0u64, u64::saturating_add);
        let supply = facts.supply;
        let creator_bps = creator.map(|c| {
            let creator_ata = ata(c);
            match largest.iter().find(|(k, _)| *k == creator_ata) {
                Some((_, amount)) => share_bps(*amount, supply),
                // Not among the largest: at most the smallest listed (the whole list when short).
                None if largest.len() >= 20 => share_bps(largest.last().map_or(0, |(_, a)| *a), supply),
                None => 0,
            }
        });
        Ok(Some(TokenSafety {
            top10_bps: Some(share_bps(top10, supply)),
            creator_bps,
            age_secs,
            age_lower_bound,
            meta,
            venue,
            round_trip: None,
            mint: facts,
        }))
    }

    /// Runs (once per mint and TTL) the round trip: a tiny buy and the sell of what it bought in
    /// one unsigned, simulated transaction paid by `payer` (any funded wallet; nothing is
    /// signed or sent). Returns the facts with the result filled in; an inconclusive probe (the
    /// buy leg failed, an unsupported venue, a read error) leaves it unknown.
    pub async fn with_round_trip(&self, safety: Arc<TokenSafety>, market: &Quote, payer: Pubkey) -> Arc<TokenSafety> {
        if safety.round_trip.is_some() {
            return safety;
        }
        let mint = market.request.mint;
        if let Some(hit) = self.cached(&mint).filter(|s| s.round_trip.is_some()) {
            return hit;
        }
        let Some(trip) = self.round_trip(market, payer).await else {
            return safety;
        };
        tracing::info!(%mint, ?trip, "safety round trip");
        let updated = Arc::new(TokenSafety { round_trip: Some(trip), ..(*safety).clone() });
        let now = self.clock.now_ms();
        let mut cache = self.lock();
        let entry = cache.entry(mint).or_default();
        if entry.safety.is_none() {
            entry.read_at_ms = now;
        }
        entry.safety = Some(updated.clone());
        updated
    }

    async fn round_trip(&self, market: &Quote, payer: Pubkey) -> Option<RoundTrip> {
        // Pump.fun curves (their state is in the quote: both legs plan without a read) and
        // PumpSwap pools (the program reads the vaults itself; one requote). Other venues
        // (Jupiter routes) stay "not run".
        if !matches!(market.venue, VenueId::PumpFun | VenueId::PumpSwap) {
            return None;
        }
        let mint = market.request.mint;
        // Any output accepted: the probe asks whether the sell goes through, not at what price.
        let buy_req = QuoteRequest { mint, side: Side::Buy, amount_in: ROUND_TRIP_LAMPORTS.0, slippage: Bps(10_000) };
        let buy = self.swapper.requote(&buy_req, market).await.ok()?;
        let tokens = buy.expected_out.saturating_mul(99) / 100;
        if tokens == 0 {
            return None;
        }
        // The sell is planned from the curve as the buy leaves it, with no minimum output.
        let sell_req = QuoteRequest { mint, side: Side::Sell, amount_in: tokens, slippage: Bps(10_000) };
        let after = match &buy.route {
            QuoteRoute::PumpSwap { pool, pool_account } => {
                // The buy leg extends a short pool account already: the sell leg must not again.
                let mut pool_account = pool_account.clone();
                if pool_account.len() < POOL_ACCOUNT_NEW_SIZE {
                    pool_account.resize(POOL_ACCOUNT_NEW_SIZE, 0);
                }
                Quote { route: QuoteRoute::PumpSwap { pool: *pool, pool_account }, ..buy.clone() }
            }
            _ => crate::venues::pumpfun::venue::after_buy(&buy)?,
        };
        let sell = Quote { request: sell_req, expected_out: 0, min_out: 0, ..after };
        let buy_opts = PlanOptions { track_volume: true, user_ata_exists: Some(false) };
        let sell_opts = PlanOptions { track_volume: true, user_ata_exists: Some(true) };
        let buy_plan = self.swapper.plan(&buy, &payer, &buy_opts).await.ok()?;
        let sell_plan = self.swapper.plan(&sell, &payer, &sell_opts).await.ok()?;
        // One legacy-size transaction must hold both legs (a PumpSwap buy and sell are ~50
        // accounts): no compute-budget instructions (the default 200k CU per instruction is
        // plenty), the wSOL account stays open between the legs (no CloseAccount; the sell leg
        // does not create it again).
        let is_close = |ix: &Instruction| {
            matches!(ix.program_id, TOKEN_PROGRAM | TOKEN_2022_PROGRAM) && ix.data.first() == Some(&CLOSE_ACCOUNT)
        };
        let buy_ixs: Vec<Instruction> = buy_plan.instructions.into_iter().filter(|ix| !is_close(ix)).collect();
        let sell_ixs: Vec<Instruction> =
            sell_plan.instructions.into_iter().filter(|ix| !is_close(ix) && !buy_ixs.contains(ix)).collect();
        let first_sell_ix = buy_ixs.len();
        let blockhash = self.chain.latest_blockhash().await.ok()?;
        let all: Vec<Instruction> = buy_ixs.into_iter().chain(sell_ixs).collect();
        let message = match crate::solana::tx::compile_probe(&payer, &all, blockhash.blockhash) {
            Ok(message) => message,
            Err(e) => {
                tracing::warn!(%mint, error.message = %e, "round trip does not fit one transaction");
                return None;
            }
        };
        let signers = usize::from(message.header().num_required_signatures);
        let tx = VersionedTransaction { signatures: vec![Signature::default(); signers], message };
        let report = self.chain.simulate_unsigned(&tx, &[]).await.ok()?;
        let Some(err) = report.err else {
            return Some(RoundTrip::Sellable);
        };
        // Only a failure in the sell leg means "cannot sell"; anything earlier is inconclusive.
        let failed_at = err["InstructionError"][0].as_u64().and_then(|i| usize::try_from(i).ok());
        match failed_at {
            Some(i) if i >= first_sell_ix => {
                let detail = err["InstructionError"][1].to_string();
                Some(RoundTrip::CannotSell(detail.chars().take(120).collect()))
            }
            _ => {
                tracing::debug!(%mint, %err, "round trip inconclusive");
                None
            }
        }
    }
}
