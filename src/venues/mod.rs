//! Swap venues: Pump.fun bonding curve, PumpSwap, Jupiter.
//!
//! Everything under `venues` is pure: quote math, account decoding and instruction building.
//! Nothing here does I/O or signs.

mod bytes;
pub mod pumpfun;
pub mod pumpswap;

pub use bytes::DecodeError;
