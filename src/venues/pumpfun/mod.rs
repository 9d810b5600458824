//! Pump.fun bonding-curve venue: PDAs, account decoding, quote math and instruction builders.
//!
//! Talks to nothing: every function is pure and synchronous. It never signs and never does I/O;
//! callers fetch `Global`, `FeeConfig`, the curve and the mint owner, then build here.

pub mod accounts;
pub mod curve;
pub mod events;
pub mod ix;
pub mod ix_v2;
pub mod pda;
pub mod venue;
