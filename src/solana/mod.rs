//! Solana plumbing: transaction building, policy checks, RPC.
//!
//! The transaction layer (`instructions`, `tx`, `tip`, `policy`, `errors`) is pure and
//! synchronous: it builds, checks and decodes, and only `tx::sign` touches a key.

pub mod errors;
pub mod helius;
pub mod ids;
pub mod instructions;
pub mod leader_tx;
pub mod policy;
pub mod submit;
pub mod tip;
pub mod tx;
pub mod ws;
