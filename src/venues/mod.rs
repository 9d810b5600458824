//! Swap venues: Pump.fun bonding curve, PumpSwap, Jupiter.
//!
//! The venue modules (`pumpfun`, `pumpswap`, `mint`, `pricing`) are pure: quote math, account
//! decoding and instruction building, no I/O. `globals` and `router` read the chain through the
//! `ChainClient` port and `jupiter` calls the Jupiter API; nothing under `venues` signs.

mod bytes;
pub mod globals;
pub mod jupiter;
pub mod jupiter_price;
pub mod mint;
pub mod pricing;
pub mod pumpfun;
pub mod pumpswap;
pub mod router;

pub use bytes::DecodeError;
