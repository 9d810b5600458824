//! The monitor's price feed: batched bonding-curve reads (getMultipleAccounts, 100 per call) for
//! Pump.fun coins, and venue quotes (PumpSwap, Jupiter) for the rest at a slower, rate-aware pace.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rust_decimal::Decimal;
use solana_pubkey::Pubkey;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::domain::money::{Bps, LAMPORTS_PER_SOL};
use crate::domain::position::Side;
use crate::ports::{ChainClient, PriceError, PriceSource, QuoteRequest, Swapper};
use crate::venues::pumpfun::accounts::BondingCurve;
use crate::venues::pumpfun::pda::bonding_curve;

/// getMultipleAccounts limit.
const BATCH: usize = 100;

/// Curve reads for live curves; quotes for everything else.
pub struct MarketPrices {
    chain: Arc<dyn ChainClient>,
    swapper: Arc<dyn Swapper>,
    quote_every: Duration,
    curves: Mutex<HashMap<Pubkey, Pubkey>>,
    quoted: Mutex<HashMap<Pubkey, (Instant, Decimal)>>,
}

impl std::fmt::Debug for MarketPrices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarketPrices").field("quote_every", &self.quote_every).finish_non_exhaustive()
    }
}

impl MarketPrices {
    /// `quote_every` paces venue quotes per mint (Jupiter's limits are low).
    pub fn new(chain: Arc<dyn ChainClient>, swapper: Arc<dyn Swapper>, quote_every: Duration) -> Self {
        Self { chain, swapper, quote_every, curves: Mutex::new(HashMap::new()), quoted: Mutex::new(HashMap::new()) }
    }

    async fn curve_addresses(&self, mints: &[Pubkey]) -> Vec<Pubkey> {
        let mut cache = self.curves.lock().await;
        mints.iter().map(|m| *cache.entry(*m).or_insert_with(|| bonding_curve(m))).collect()
    }

    async fn quote_price(&self, mint: Pubkey, tokens: u64) -> Result<Decimal, PriceError> {
        if let Some((at, price)) = self.quoted.lock().await.get(&mint)
            && at.elapsed() < self.quote_every
        {
            return Ok(*price);
        }
        let amount = tokens.max(1);
        let req = QuoteRequest { mint, side: Side::Sell, amount_in: amount, slippage: Bps(0) };
        let quote = self.swapper.quote(&req).await.map_err(|e| PriceError::Unavailable(e.to_string()))?;
        let price = per_raw(quote.expected_out, amount).ok_or(PriceError::NoMarket)?;
        self.quoted.lock().await.insert(mint, (Instant::now(), price));
        Ok(price)
    }
}

/// SOL per raw token unit from lamports per `raw` tokens.
fn per_raw(lamports: u64, raw: u64) -> Option<Decimal> {
    if raw == 0 {
        return None;
    }
    (Decimal::from(lamports) / Decimal::from(LAMPORTS_PER_SOL)).checked_div(Decimal::from(raw))
}

#[async_trait]
impl PriceSource for MarketPrices {
    async fn prices(&self, holdings: &[(Pubkey, u64)]) -> Vec<Result<Decimal, PriceError>> {
        // One read per distinct mint, however many positions hold it: 100,000 positions over
        // 1,000 mints are 10 batched curve reads, not 1,000.
        let mut index: HashMap<Pubkey, usize> = HashMap::with_capacity(holdings.len().min(4_096));
        let mut mints: Vec<(Pubkey, u64)> = Vec::new();
        for (mint, tokens) in holdings {
            match index.get(mint) {
                Some(&i) => mints[i].1 = mints[i].1.max(*tokens),
                None => {
                    index.insert(*mint, mints.len());
                    mints.push((*mint, *tokens));
                }
            }
        }
        let per_mint = self.distinct_prices(&mints).await;
        holdings
            .iter()
            .map(|(mint, _)| index.get(mint).map_or(Err(PriceError::NoMarket), |&i| per_mint[i].clone()))
            .collect()
    }
}

impl MarketPrices {
    async fn distinct_prices(&self, mints: &[(Pubkey, u64)]) -> Vec<Result<Decimal, PriceError>> {
        let keys: Vec<Pubkey> = mints.iter().map(|(m, _)| *m).collect();
        let curves = self.curve_addresses(&keys).await;
        let mut out: Vec<Option<Result<Decimal, PriceError>>> = vec![None; mints.len()];
        for (chunk_no, chunk) in curves.chunks(BATCH).enumerate() {
            let base = chunk_no * BATCH;
            match self.chain.accounts(chunk).await {
                Ok(accounts) => {
                    for (i, acc) in accounts.into_iter().enumerate() {
                        let curve = acc.and_then(|a| BondingCurve::decode(&a.data).ok());
                        if let Some(c) = curve.filter(|c| !c.complete && c.virtual_token_reserves > 0) {
                            out[base + i] = per_raw(c.virtual_quote_reserves, c.virtual_token_reserves).map(Ok);
                        }
                    }
                }
                Err(e) => {
                    for slot in out.iter_mut().skip(base).take(chunk.len()) {
                        *slot = Some(Err(PriceError::Unavailable(e.to_string())));
                    }
                }
            }
        }
        let mut results = Vec::with_capacity(mints.len());
        for (i, slot) in out.into_iter().enumerate() {
            let r = match slot {
                Some(r) => r,
                None => self.quote_price(mints[i].0, mints[i].1).await,
            };
            results.push(r);
        }
        results
    }
}
