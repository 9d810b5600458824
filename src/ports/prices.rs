//! Price feed port for the position monitor.

use async_trait::async_trait;
use rust_decimal::Decimal;
use solana_pubkey::Pubkey;

/// Why a price is unavailable for one mint (others are unaffected).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    /// Reading chain state or quoting failed.
    #[error("price unavailable: {0}")]
    Unavailable(String),
    /// No market for the mint.
    #[error("no market")]
    NoMarket,
}

/// Prices in SOL per raw token unit, batched.
#[async_trait]
pub trait PriceSource: Send + Sync {
    /// One result per `(mint, held raw tokens)` in the same order. A failing mint never fails
    /// the others.
    async fn prices(&self, holdings: &[(Pubkey, u64)]) -> Vec<Result<Decimal, PriceError>>;
}

/// The USD price of one whole SOL (Jupiter Price API behind it). Display only: nothing that ends
/// in a transaction reads it.
#[async_trait]
pub trait SolUsdSource: Send + Sync {
    /// SOL/USD now.
    ///
    /// # Errors
    /// The source did not answer or had no price.
    async fn sol_usd(&self) -> Result<Decimal, PriceError>;
}
