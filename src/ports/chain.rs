//! The chain port: what the bot needs from a Solana RPC node (Helius behind it).
//!
//! Implemented by `solana::helius::HeliusClient` over JSON-RPC, and by fakes in tests. Only
//! base units cross this boundary (lamports, raw token amounts); no `f64`.

use async_trait::async_trait;
use solana_hash::Hash;
use solana_pubkey::Pubkey;
use solana_signature::Signature;
use solana_transaction::versioned::VersionedTransaction;

use crate::domain::money::{Lamports, TokenAmount};

/// A chain access failure, sorted by what the caller should do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// Every endpoint refused for rate; retry after the given delay.
    #[error("rate limited by the RPC provider (retry after {retry_after_ms} ms)")]
    RateLimited {
        /// Milliseconds to wait (from Retry-After when given).
        retry_after_ms: u64,
    },
    /// No endpoint answered (connect errors, 5xx, open circuit breakers).
    #[error("RPC unavailable: {0}")]
    Unavailable(String),
    /// The request timed out. For `send`, the node may still have accepted the transaction:
    /// callers must treat the outcome as unknown, never as a failure.
    #[error("RPC request timed out")]
    Timeout,
    /// The node answered with a JSON-RPC error.
    #[error("RPC error {code}: {message}")]
    Rpc {
        /// JSON-RPC error code.
        code: i64,
        /// Message from the node (never contains our secrets).
        message: String,
    },
    /// The answer could not be decoded.
    #[error("unexpected RPC response: {0}")]
    Decode(String),
}

impl ChainError {
    /// Whether the same call may succeed if retried later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Unavailable(_) | Self::Timeout)
    }
}

/// A recent blockhash and the last block height at which transactions using it are valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockhashInfo {
    /// The blockhash.
    pub blockhash: Hash,
    /// Transactions with this blockhash are dead once the block height passes this.
    pub last_valid_block_height: u64,
}

/// Raw account state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountData {
    /// Owning program.
    pub owner: Pubkey,
    /// Balance.
    pub lamports: Lamports,
    /// Account data bytes.
    pub data: Vec<u8>,
}

/// One SPL token account of an owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHolding {
    /// The token account address.
    pub account: Pubkey,
    /// The mint.
    pub mint: Pubkey,
    /// Balance with the mint's decimals.
    pub amount: TokenAmount,
    /// SPL Token or Token-2022.
    pub program: Pubkey,
}

/// The confirmation state of a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SignatureState {
    /// Seen by the node but not yet voted on.
    Processed,
    /// Confirmed by a supermajority.
    Confirmed,
    /// Rooted.
    Finalized,
}

/// What the node knows about a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureStatus {
    /// Slot it landed in.
    pub slot: u64,
    /// Commitment reached.
    pub state: SignatureState,
    /// `None` = succeeded; `Some(json)` = landed and failed (fee paid), the raw `err` JSON.
    pub err: Option<serde_json::Value>,
}

/// Result of `simulateTransaction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulationReport {
    /// `None` = the simulation succeeded; else the raw `err` JSON (decode with `solana::errors`).
    pub err: Option<serde_json::Value>,
    /// Program logs.
    pub logs: Vec<String>,
    /// Compute units consumed, when reported.
    pub units_consumed: Option<u64>,
    /// Post-simulation state of the accounts requested (same order), when requested.
    pub accounts: Vec<Option<AccountData>>,
}

/// One entry of `getSignaturesForAddress` (newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressSignature {
    /// The transaction.
    pub signature: Signature,
    /// Slot it landed in.
    pub slot: u64,
    /// Unix seconds, when the node knows them.
    pub block_time: Option<i64>,
    /// Whether it failed (it landed and paid fees).
    pub failed: bool,
}

/// A page of an address's history: `before` (exclusive, page backwards from it), `until`
/// (exclusive, stop there), at most `limit` (1..=1000) signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryPage<'a> {
    /// Start after this signature (older than it); `None` = from the newest.
    pub before: Option<&'a Signature>,
    /// Stop at this signature (newer than it only).
    pub until: Option<&'a Signature>,
    /// Page size, 1..=1000.
    pub limit: usize,
}

/// Read and write access to the chain.
#[async_trait]
pub trait ChainClient: Send + Sync {
    /// SOL balance of an address.
    async fn balance(&self, owner: &Pubkey) -> Result<Lamports, ChainError>;
    /// Every token account of `owner` under both SPL Token and Token-2022.
    async fn token_holdings(&self, owner: &Pubkey) -> Result<Vec<TokenHolding>, ChainError>;
    /// One account, `None` if it does not exist.
    async fn account(&self, key: &Pubkey) -> Result<Option<AccountData>, ChainError>;
    /// Several accounts in one call (at most 100), in the same order.
    async fn accounts(&self, keys: &[Pubkey]) -> Result<Vec<Option<AccountData>>, ChainError>;
    /// The latest blockhash (implementations may serve it from a cache refreshed every ~2 s).
    async fn latest_blockhash(&self) -> Result<BlockhashInfo, ChainError>;
    /// The current block height.
    async fn block_height(&self) -> Result<u64, ChainError>;
    /// The current (processed) slot: for metrics (slots from send to landing).
    async fn slot(&self) -> Result<u64, ChainError> {
        Err(ChainError::Unavailable("slot not supported".to_owned()))
    }
    /// Rent-exempt minimum for an account of `data_len` bytes.
    async fn rent_exempt_minimum(&self, data_len: usize) -> Result<Lamports, ChainError>;
    /// Priority fee estimate in micro-lamports per CU for a transaction touching `accounts`.
    async fn priority_fee_estimate(&self, accounts: &[Pubkey]) -> Result<u64, ChainError>;
    /// Simulates a signed transaction; `post_accounts` asks for their post-state.
    async fn simulate(
        &self,
        tx: &VersionedTransaction,
        post_accounts: &[Pubkey],
    ) -> Result<SimulationReport, ChainError>;
    /// Simulates an unsigned transaction (`sigVerify` off, the recent blockhash replaced): probes
    /// such as the token-safety round trip (a tiny buy and its sell) that nobody signs.
    async fn simulate_unsigned(
        &self,
        tx: &VersionedTransaction,
        post_accounts: &[Pubkey],
    ) -> Result<SimulationReport, ChainError>;
    /// The largest token accounts of a mint (at most 20, largest first): `(token account, raw
    /// amount)`.
    async fn token_largest_accounts(&self, mint: &Pubkey) -> Result<Vec<(Pubkey, u64)>, ChainError>;
    /// Signatures of transactions that mention `address`, newest first (`getSignaturesForAddress`,
    /// confirmed). By default the history is not available.
    async fn signatures_for_address(
        &self,
        address: &Pubkey,
        page: HistoryPage<'_>,
    ) -> Result<Vec<AddressSignature>, ChainError> {
        let _ = (address, page);
        Err(ChainError::Unavailable("address history not supported".to_owned()))
    }
    /// A landed transaction as the node returns it from `getTransaction` (`encoding: "json"`,
    /// `maxSupportedTransactionVersion: 0`, confirmed): the raw `result` object, `None` when the
    /// node does not know it (yet). Decoded by `solana::leader_tx`. By default not available.
    async fn transaction(&self, signature: &Signature) -> Result<Option<serde_json::Value>, ChainError> {
        let _ = signature;
        Err(ChainError::Unavailable("getTransaction not supported".to_owned()))
    }
    /// Sends a signed transaction (no preflight when `skip_preflight`). The same bytes may be
    /// sent again safely; a timeout means the outcome is unknown.
    async fn send(&self, tx: &VersionedTransaction, skip_preflight: bool) -> Result<Signature, ChainError>;
    /// Sends through a fast path (Helius Sender: no preflight, the transaction must carry a
    /// compute-unit price and a tip). Same safety rules as `send`. By default there is no such
    /// path (`Unavailable`, nothing sent): protected sends must never fall back to `send`.
    async fn send_via_sender(&self, tx: &VersionedTransaction) -> Result<Signature, ChainError> {
        let _ = tx;
        Err(ChainError::Unavailable("no Sender configured".to_owned()))
    }
    /// Statuses of up to 256 signatures; `search_history` also looks beyond recent slots.
    async fn signature_statuses(
        &self,
        signatures: &[Signature],
        search_history: bool,
    ) -> Result<Vec<Option<SignatureStatus>>, ChainError>;
}
