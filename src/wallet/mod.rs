//! Wallet custody: encrypted keys at rest, import parsing, unlock-to-sign.
//!
//! This is the pure, synchronous crypto layer: no database, no Telegram, no network, no async.
//! It never logs, never prints, and never touches the network or the filesystem; storage and
//! commands are wired on top of this API elsewhere.
//!
//! - [`secret`]: [`SecretKeyBytes`] (a Solana keypair's 64 bytes) and [`MasterKey`], both
//!   zeroized on drop and redacted in `Debug`.
//! - [`import`]: [`parse_secret`] for base58 / JSON-array private keys, and [`generate`].
//! - [`kdf`]: [`KdfParams`] and `MasterKey::derive_from_passphrase` (Argon2id, RFC 9106 floor).
//! - [`vault`]: AES-256-GCM [`seal`] / [`open`] / [`reseal`] bound to a [`WalletAad`], the
//!   master-key [`KeyCheck`], and a [`KeyRing`] of versioned master keys.
//!
//! Typical flow: at start-up build a `MasterKey` (from hex or passphrase), verify it against the
//! stored `KeyCheck`, put it in a `KeyRing`; on `/import` call `parse_secret` then
//! `KeyRing::seal`; to trade, `KeyRing::open` then `SecretKeyBytes::keypair`, sign, and drop both.

pub mod import;
pub mod kdf;
pub mod secret;
pub mod signer;
pub mod vault;

pub use import::{ImportError, generate, parse_secret};
pub use kdf::KdfParams;
pub use secret::{InvalidKeypair, MasterKey, MasterKeyError, SecretKeyBytes};
pub use vault::{KeyCheck, KeyRing, Sealed, VaultError, WalletAad, open, reseal, seal};
