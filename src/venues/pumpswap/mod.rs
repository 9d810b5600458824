//! PumpSwap AMM venue (graduated pump coins): PDAs, pool/config decoding, constant-product
//! quotes and buy/sell builders with wSOL wrap/unwrap.
//!
//! Talks to nothing: pure and synchronous, never signs, no I/O.

pub mod accounts;
pub mod ix;
pub mod pda;
pub mod quote;
pub mod venue;
