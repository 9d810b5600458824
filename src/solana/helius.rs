//! `HeliusClient`: the `ChainClient` port over Helius JSON-RPC (plus the Helius Sender fast
//! path), with failover, per-endpoint rate limits, retries, circuit breakers and a background
//! blockhash / priority-fee cache.
//!
//! Talks to the configured Helius RPC endpoints and the Sender URL only. Never signs, never
//! logs an endpoint URL (they embed API keys: logs and metrics use `rpc0`, `rpc1`, `sender0`),
//! and never resends a transaction after a timeout on its own: a timed-out send is reported as
//! `ChainError::Timeout` and left to `solana::submit` to settle.

pub mod cache;
pub mod limits;
pub mod transport;
pub mod wire;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use secrecy::SecretString;
use serde_json::{Value, json};
use solana_pubkey::Pubkey;
use solana_signature::Signature;
use solana_transaction::versioned::VersionedTransaction;

use self::limits::{Backoff, BreakerPolicy};
use self::transport::{CallKind, Pool, PoolSettings, RetryPolicy};
use crate::config::{Config, PUBLIC_RPC_RPS, RpcSource};
use crate::domain::money::{Lamports, TokenAmount};
use crate::ports::chain::{
    AccountData, BlockhashInfo, ChainClient, ChainError, SignatureStatus, SimulationReport, TokenHolding,
};
use crate::solana::ids::{TOKEN_2022_PROGRAM, TOKEN_PROGRAM};
use crate::telemetry::Metrics;

pub use self::cache::{CacheSettings, ChainCache};

/// Helius priority levels for `getPriorityFeeEstimate` (PascalCase on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriorityLevel {
    /// Minimum observed.
    Min,
    /// 25th percentile.
    Low,
    /// 50th percentile.
    Medium,
    /// 75th percentile.
    High,
    /// 95th percentile.
    VeryHigh,
    /// Maximum observed.
    UnsafeMax,
}

impl PriorityLevel {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Min => "Min",
            Self::Low => "Low",
            Self::Medium => "Medium",
            Self::High => "High",
            Self::VeryHigh => "VeryHigh",
            Self::UnsafeMax => "UnsafeMax",
        }
    }

    /// The percentile (0–100) this level stands for, for RPCs without Helius's estimator.
    pub fn percentile(self) -> u8 {
        match self {
            Self::Min => 0,
            Self::Low => 25,
            Self::Medium => 50,
            Self::High => 75,
            Self::VeryHigh => 95,
            Self::UnsafeMax => 100,
        }
    }
}

/// Everything `HeliusClient` needs; build with [`HeliusConfig::new`] or
/// [`HeliusConfig::from_config`] and adjust fields.
#[derive(Debug, Clone)]
pub struct HeliusConfig {
    /// JSON-RPC endpoints in failover order (secret: they embed API keys).
    pub endpoints: Vec<SecretString>,
    /// Helius Sender URL (`…/fast`); `None` disables `send_via_sender`.
    pub sender_url: Option<SecretString>,
    /// Sustained requests per second per RPC endpoint.
    pub rps: u32,
    /// Requests banked per endpoint (1 = strictly spaced).
    pub burst: u32,
    /// Requests per second to the Sender.
    pub sender_rps: u32,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Retry policy for RPC calls.
    pub retry: RetryPolicy,
    /// Circuit breaker per endpoint.
    pub breaker: BreakerPolicy,
    /// Priority level asked of `getPriorityFeeEstimate`.
    pub priority_level: PriorityLevel,
    /// Upper bound for a priority fee estimate, micro-lamports per CU.
    pub priority_fee_cap: u64,
    /// A cached blockhash older than this is not served.
    pub blockhash_max_age: Duration,
    /// A cached priority fee older than this is not served.
    pub priority_fee_max_age: Duration,
    /// Helius, or the public Solana RPC (no `getPriorityFeeEstimate`: fees come from
    /// `getRecentPrioritizationFees` instead).
    pub source: RpcSource,
}

impl HeliusConfig {
    /// Defaults for production: 10 rps, 5 s timeouts, 2 retry rounds, breaker at 5 failures.
    pub fn new(endpoints: Vec<SecretString>) -> Self {
        Self {
            endpoints,
            sender_url: None,
            rps: 10,
            // A second's worth at once (never more than `rps` in any one-second window): an
            // alert's market, fee and first wallet reads leave together instead of 100 ms apart.
            burst: 10,
            sender_rps: 15,
            request_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            retry: RetryPolicy {
                max_retries: 2,
                backoff: Backoff { base: Duration::from_millis(100), max: Duration::from_secs(2) },
                max_wait: Duration::from_secs(3),
                default_retry_after: Duration::from_secs(1),
            },
            breaker: BreakerPolicy {
                failure_threshold: 5,
                cooldown: Duration::from_secs(15),
                probe_timeout: Duration::from_secs(10),
            },
            priority_level: PriorityLevel::High,
            priority_fee_cap: 50_000_000,
            blockhash_max_age: Duration::from_secs(5),
            priority_fee_max_age: Duration::from_secs(30),
            source: RpcSource::Helius,
        }
    }

    /// From the application config (`HELIUS_RPC_URL`, `HELIUS_SENDER_URL`, `RPC_RPS`). Without a
    /// Helius RPC: the public RPC (`SOLANA_PUBLIC_RPC_URL`) at its documented rate, no Sender.
    pub fn from_config(config: &Config) -> Self {
        match config.rpc_source() {
            RpcSource::Helius => {
                let mut c = Self::new(config.helius_rpc_urls.clone());
                c.sender_url = Some(SecretString::from(config.helius_sender_url.to_string()));
                c.rps = config.rpc_rps.max(1);
                c.burst = c.rps;
                c
            }
            RpcSource::Public => Self::public(SecretString::from(config.public_rpc_url.to_string())),
        }
    }

    /// The public Solana RPC: rate-limited (`PUBLIC_RPC_RPS`), no Sender, standard fee API.
    pub fn public(url: SecretString) -> Self {
        let mut c = Self::new(vec![url]);
        c.rps = PUBLIC_RPC_RPS;
        c.burst = PUBLIC_RPC_RPS;
        c.source = RpcSource::Public;
        c
    }
}

#[derive(Debug, Default)]
struct Cached {
    blockhash: Option<(BlockhashInfo, Instant)>,
    priority_fee: Option<(u64, Instant)>,
}

#[derive(Debug)]
struct Inner {
    rpc: Pool,
    sender: Option<Pool>,
    config: HeliusConfig,
    cached: Mutex<Cached>,
    /// One blockhash fetch at a time: callers that miss the cache together share one request.
    blockhash_refresh: tokio::sync::Mutex<()>,
}

/// The Helius JSON-RPC client. Cheap to clone (shared state).
#[derive(Debug, Clone)]
pub struct HeliusClient {
    inner: Arc<Inner>,
}

impl HeliusClient {
    /// Builds the client without starting the cache refresher (see [`ChainCache::spawn`]).
    ///
    /// # Errors
    /// `Unavailable` when the HTTP client cannot be built (TLS backend initialisation).
    pub fn new(config: HeliusConfig, metrics: Option<Arc<Metrics>>) -> Result<Self, ChainError> {
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|_| ChainError::Unavailable("cannot build the HTTP client".to_owned()))?;
        let settings =
            PoolSettings { rps: config.rps, burst: config.burst, retry: config.retry, breaker: config.breaker };
        let rpc = Pool::new(http.clone(), config.endpoints.clone(), "rpc", settings, metrics.clone());
        let sender = config.sender_url.clone().map(|url| {
            let settings = PoolSettings {
                rps: config.sender_rps,
                retry: RetryPolicy { max_retries: 0, ..config.retry },
                ..settings
            };
            Pool::new(http, vec![url], "sender", settings, metrics)
        });
        Ok(Self {
            inner: Arc::new(Inner {
                rpc,
                sender,
                config,
                cached: Mutex::new(Cached::default()),
                blockhash_refresh: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &HeliusConfig {
        &self.inner.config
    }

    /// Sends through the Helius Sender (`skipPreflight: true`, `maxRetries: 0`). The transaction
    /// must carry a compute-unit price and a tip. Same timeout rule as `send`.
    ///
    /// # Errors
    /// `Unavailable` when no Sender URL is configured; otherwise as [`ChainClient::send`].
    pub async fn send_via_sender(&self, tx: &VersionedTransaction) -> Result<Signature, ChainError> {
        let Some(sender) = &self.inner.sender else {
            return Err(ChainError::Unavailable("no Sender URL configured".to_owned()));
        };
        let params = json!([wire::tx_base64(tx)?, {"encoding": "base64", "skipPreflight": true, "maxRetries": 0}]);
        let result = sender.call("sendTransaction", params, CallKind::Send).await?;
        signature_answer(tx, &result)
    }

    /// The cached blockhash if younger than `blockhash_max_age`.
    pub fn cached_blockhash(&self) -> Option<BlockhashInfo> {
        let cached = self.lock_cache();
        cached
            .blockhash
            .as_ref()
            .filter(|(_, at)| at.elapsed() <= self.inner.config.blockhash_max_age)
            .map(|(b, _)| b.clone())
    }

    /// The cached general priority fee (micro-lamports per CU) if younger than its max age.
    pub fn cached_priority_fee(&self) -> Option<u64> {
        let cached = self.lock_cache();
        cached.priority_fee.filter(|(_, at)| at.elapsed() <= self.inner.config.priority_fee_max_age).map(|(f, _)| f)
    }

    /// Fetches the latest blockhash from the node (bypassing the cache) and caches it.
    ///
    /// # Errors
    /// As any RPC read.
    pub async fn refresh_blockhash(&self) -> Result<BlockhashInfo, ChainError> {
        let result = self.read("getLatestBlockhash", json!([{"commitment": "confirmed"}])).await?;
        let info = wire::blockhash(&result)?;
        self.lock_cache().blockhash = Some((info.clone(), Instant::now()));
        Ok(info)
    }

    /// Fetches a priority fee estimate for `accounts` at `level` (rounded up, capped).
    ///
    /// # Errors
    /// As any RPC read; a non-numeric or negative estimate is `Decode`.
    pub async fn priority_fee_at(&self, accounts: &[Pubkey], level: PriorityLevel) -> Result<u64, ChainError> {
        let keys: Vec<String> = accounts.iter().map(Pubkey::to_string).collect();
        if self.inner.config.source == RpcSource::Public {
            // Standard RPC: per-slot minimum fees that landed; read at the level's percentile.
            let result = self.read("getRecentPrioritizationFees", json!([keys])).await?;
            return wire::recent_prioritization_fee(&result, level.percentile(), self.inner.config.priority_fee_cap);
        }
        let params = json!([{"accountKeys": keys, "options": {"priorityLevel": level.as_str()}}]);
        let result = self.read("getPriorityFeeEstimate", params).await?;
        wire::priority_fee(&result, self.inner.config.priority_fee_cap)
    }

    /// Refreshes the cached general priority fee (for `accounts`, usually the hot programs).
    ///
    /// # Errors
    /// As [`Self::priority_fee_at`].
    pub async fn refresh_priority_fee(&self, accounts: &[Pubkey]) -> Result<u64, ChainError> {
        let fee = self.priority_fee_at(accounts, self.inner.config.priority_level).await?;
        self.lock_cache().priority_fee = Some((fee, Instant::now()));
        Ok(fee)
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, Cached> {
        self.inner.cached.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn read(&self, method: &str, params: Value) -> Result<Value, ChainError> {
        self.inner.rpc.call(method, params, CallKind::Read).await
    }

    async fn token_accounts(&self, owner: &Pubkey, program: Pubkey) -> Result<Vec<wire::RawHolding>, ChainError> {
        let params = json!([owner.to_string(), {"programId": program.to_string()},
            {"encoding": "jsonParsed", "commitment": "confirmed"}]);
        let result = self.read("getTokenAccountsByOwner", params).await?;
        wire::token_accounts(&result, program)
    }

    /// Fills in decimals for holdings the node returned as raw bytes, from their mints.
    async fn with_decimals(&self, raw: Vec<wire::RawHolding>) -> Result<Vec<TokenHolding>, ChainError> {
        let mut missing: Vec<Pubkey> = raw.iter().filter(|h| h.decimals.is_none()).map(|h| h.mint).collect();
        missing.sort();
        missing.dedup();
        let mut decimals = std::collections::HashMap::new();
        for chunk in missing.chunks(100) {
            for (mint, acc) in chunk.iter().zip(self.accounts(chunk).await?) {
                if let Some(d) = acc.and_then(|a| wire::mint_decimals(&a.data)) {
                    decimals.insert(*mint, d);
                }
            }
        }
        raw.into_iter()
            .map(|h| {
                let d = h
                    .decimals
                    .or_else(|| decimals.get(&h.mint).copied())
                    .ok_or_else(|| ChainError::Decode("mint decimals unavailable".to_owned()))?;
                Ok(TokenHolding {
                    account: h.account,
                    mint: h.mint,
                    amount: TokenAmount::new(h.amount, d),
                    program: h.program,
                })
            })
            .collect()
    }
}

/// Checks that a send answer names the transaction's own signature.
fn signature_answer(tx: &VersionedTransaction, result: &Value) -> Result<Signature, ChainError> {
    let ours = tx.signatures.first().copied().ok_or_else(|| ChainError::Decode("unsigned transaction".to_owned()))?;
    match result.as_str().map(str::parse::<Signature>) {
        Some(Ok(sig)) if sig == ours => Ok(ours),
        Some(Ok(_)) => Err(ChainError::Decode("node answered a different signature".to_owned())),
        _ => Err(ChainError::Decode("sendTransaction result".to_owned())),
    }
}

#[async_trait]
impl ChainClient for HeliusClient {
    async fn balance(&self, owner: &Pubkey) -> Result<Lamports, ChainError> {
        let result = self.read("getBalance", json!([owner.to_string(), {"commitment": "confirmed"}])).await?;
        Ok(Lamports(wire::context_u64(&result, "getBalance value")?))
    }

    async fn token_holdings(&self, owner: &Pubkey) -> Result<Vec<TokenHolding>, ChainError> {
        let mut raw = self.token_accounts(owner, TOKEN_PROGRAM).await?;
        raw.extend(self.token_accounts(owner, TOKEN_2022_PROGRAM).await?);
        self.with_decimals(raw).await
    }

    async fn account(&self, key: &Pubkey) -> Result<Option<AccountData>, ChainError> {
        let params = json!([key.to_string(), {"encoding": "base64", "commitment": "confirmed"}]);
        wire::account_info(&self.read("getAccountInfo", params).await?)
    }

    async fn accounts(&self, keys: &[Pubkey]) -> Result<Vec<Option<AccountData>>, ChainError> {
        // The calls (100 keys each) leave together; the rate limiter paces them.
        let calls = keys.chunks(100).map(|chunk| async move {
            let list: Vec<String> = chunk.iter().map(Pubkey::to_string).collect();
            let params = json!([list, {"encoding": "base64", "commitment": "confirmed"}]);
            wire::multiple_accounts(&self.read("getMultipleAccounts", params).await?, chunk.len())
        });
        let mut out = Vec::with_capacity(keys.len());
        for part in futures::future::join_all(calls).await {
            out.extend(part?);
        }
        Ok(out)
    }

    async fn latest_blockhash(&self) -> Result<BlockhashInfo, ChainError> {
        if let Some(info) = self.cached_blockhash() {
            return Ok(info);
        }
        let _one = self.inner.blockhash_refresh.lock().await;
        match self.cached_blockhash() {
            Some(info) => Ok(info),
            None => self.refresh_blockhash().await,
        }
    }

    /// The *finalized* block height: once it passes a transaction's `lastValidBlockHeight`,
    /// every block that could have held it is rooted.
    async fn block_height(&self) -> Result<u64, ChainError> {
        let result = self.read("getBlockHeight", json!([{"commitment": "finalized"}])).await?;
        wire::context_u64(&result, "getBlockHeight")
    }

    async fn slot(&self) -> Result<u64, ChainError> {
        let result = self.read("getSlot", json!([{"commitment": "processed"}])).await?;
        wire::context_u64(&result, "getSlot")
    }

    async fn rent_exempt_minimum(&self, data_len: usize) -> Result<Lamports, ChainError> {
        let result = self.read("getMinimumBalanceForRentExemption", json!([data_len])).await?;
        Ok(Lamports(wire::context_u64(&result, "getMinimumBalanceForRentExemption")?))
    }

    /// With no accounts, serves the cached general estimate when fresh.
    async fn priority_fee_estimate(&self, accounts: &[Pubkey]) -> Result<u64, ChainError> {
        if accounts.is_empty()
            && let Some(fee) = self.cached_priority_fee()
        {
            return Ok(fee);
        }
        self.priority_fee_at(accounts, self.inner.config.priority_level).await
    }

    async fn simulate(
        &self,
        tx: &VersionedTransaction,
        post_accounts: &[Pubkey],
    ) -> Result<SimulationReport, ChainError> {
        let mut config = json!({"encoding": "base64", "sigVerify": true, "commitment": "confirmed"});
        if !post_accounts.is_empty() {
            let list: Vec<String> = post_accounts.iter().map(Pubkey::to_string).collect();
            config["accounts"] = json!({"addresses": list, "encoding": "base64"});
        }
        let result = self.read("simulateTransaction", json!([wire::tx_base64(tx)?, config])).await?;
        let report = wire::simulation(&result)?;
        if !post_accounts.is_empty() && report.accounts.len() != post_accounts.len() {
            return Err(ChainError::Decode("simulateTransaction accounts length".to_owned()));
        }
        Ok(report)
    }

    /// `simulateTransaction` with `sigVerify: false` and `replaceRecentBlockhash: true`: for
    /// operator dry runs of a transaction nobody signed (e.g. `quantbot simulate-buy` for any
    /// address). Same answer shape as [`ChainClient::simulate`]; never used before sending.
    ///
    /// # Errors
    /// As [`ChainClient::simulate`].
    async fn simulate_unsigned(
        &self,
        tx: &VersionedTransaction,
        post_accounts: &[Pubkey],
    ) -> Result<SimulationReport, ChainError> {
        let mut config = json!({"encoding": "base64", "sigVerify": false, "replaceRecentBlockhash": true,
            "commitment": "confirmed"});
        if !post_accounts.is_empty() {
            let list: Vec<String> = post_accounts.iter().map(Pubkey::to_string).collect();
            config["accounts"] = json!({"addresses": list, "encoding": "base64"});
        }
        let result = self.read("simulateTransaction", json!([wire::tx_base64(tx)?, config])).await?;
        wire::simulation(&result)
    }

    async fn token_largest_accounts(&self, mint: &Pubkey) -> Result<Vec<(Pubkey, u64)>, ChainError> {
        let params = json!([mint.to_string(), {"commitment": "confirmed"}]);
        wire::largest_accounts(&self.read("getTokenLargestAccounts", params).await?)
    }

    async fn signatures_for_address(
        &self,
        address: &Pubkey,
        page: crate::ports::HistoryPage<'_>,
    ) -> Result<Vec<crate::ports::AddressSignature>, ChainError> {
        let mut config = json!({"limit": page.limit.clamp(1, 1000), "commitment": "confirmed"});
        if let Some(before) = page.before {
            config["before"] = json!(before.to_string());
        }
        if let Some(until) = page.until {
            config["until"] = json!(until.to_string());
        }
        let result = self.read("getSignaturesForAddress", json!([address.to_string(), config])).await?;
        wire::address_signatures(&result)
    }

    async fn transaction(&self, signature: &Signature) -> Result<Option<Value>, ChainError> {
        let config = json!({"encoding": "json", "maxSupportedTransactionVersion": 0, "commitment": "confirmed"});
        let result = self.read("getTransaction", json!([signature.to_string(), config])).await?;
        Ok((!result.is_null()).then_some(result))
    }

    async fn send(&self, tx: &VersionedTransaction, skip_preflight: bool) -> Result<Signature, ChainError> {
        let params = json!([wire::tx_base64(tx)?, {"encoding": "base64", "skipPreflight": skip_preflight,
            "preflightCommitment": "confirmed", "maxRetries": 0}]);
        let result = self.inner.rpc.call("sendTransaction", params, CallKind::Send).await?;
        signature_answer(tx, &result)
    }

    async fn send_via_sender(&self, tx: &VersionedTransaction) -> Result<Signature, ChainError> {
        HeliusClient::send_via_sender(self, tx).await
    }

    async fn signature_statuses(
        &self,
        signatures: &[Signature],
        search_history: bool,
    ) -> Result<Vec<Option<SignatureStatus>>, ChainError> {
        let mut out = Vec::with_capacity(signatures.len());
        for chunk in signatures.chunks(256) {
            let list: Vec<String> = chunk.iter().map(Signature::to_string).collect();
            let params = json!([list, {"searchTransactionHistory": search_history}]);
            out.extend(wire::signature_statuses(&self.read("getSignatureStatuses", params).await?, chunk.len())?);
        }
        Ok(out)
    }
}
