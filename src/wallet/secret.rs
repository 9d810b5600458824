//! Secret-holding types: a Solana keypair's 64 secret bytes and the vault master key.
//!
//! Both types zeroize their bytes on drop, have no `Clone`, and print as `<redacted>` through
//! `Debug` and `Display`, so a stray `{:?}` in a log line or error cannot leak them. Nothing in
//! this module logs, touches the network, or writes to disk.
//!
//! Zeroizing is best effort: it wipes the buffers these types own, but the compiler may leave
//! transient copies on the stack (moves, by-value arguments to `ed25519-dalek`). That is the limit
//! of what safe Rust can promise; it still removes the long-lived heap copies that matter most.

use std::fmt;
use std::fmt::Write as _;

use rand::rngs::OsRng;
use rand::{RngCore as _, TryRngCore as _};
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Length of a Solana keypair in bytes: 32-byte Ed25519 seed followed by the 32-byte public key.
pub const KEYPAIR_LEN: usize = 64;
/// Length of an Ed25519 seed (the "secret key" proper) in bytes.
pub const SEED_LEN: usize = 32;
/// Length of a master key in bytes (AES-256).
pub const MASTER_KEY_LEN: usize = 32;

/// Longest base58 text of 64 bytes is 88 characters; the encoder wants a little slack.
const BASE58_BUF_LEN: usize = 96;
/// `[` + 64 × "255," (the trailing comma replaced by `]`) = 257 characters at most.
const JSON_ARRAY_MAX_LEN: usize = 2 + KEYPAIR_LEN * 4;

/// The 64 bytes of a Solana keypair (`seed ‖ public key`), the format Phantom and the Solana CLI
/// export.
///
/// Invariant: the public half always equals the public key derived from the seed. Every
/// constructor checks or establishes it, so [`SecretKeyBytes::pubkey`] can read the public half
/// directly and [`SecretKeyBytes::keypair`] never fails.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecretKeyBytes([u8; KEYPAIR_LEN]);

/// The 64 bytes handed to [`SecretKeyBytes::from_keypair_bytes`] are not a consistent keypair:
/// the public half is not the public key of the seed (the RUSTSEC-2022-0093 class of bug).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("keypair bytes are inconsistent: the public half does not match the secret seed")]
pub struct InvalidKeypair;

impl SecretKeyBytes {
    /// Builds the keypair bytes from a 32-byte Ed25519 seed, deriving the public half.
    pub fn from_seed(seed: &[u8; SEED_LEN]) -> Self {
        let keypair = Keypair::new_from_array(*seed);
        let mut out = Self([0; KEYPAIR_LEN]);
        out.0[..SEED_LEN].copy_from_slice(seed);
        out.0[SEED_LEN..].copy_from_slice(keypair.pubkey().as_array());
        out
    }

    /// Accepts 64 keypair bytes only if the public half matches the key derived from the seed.
    pub fn from_keypair_bytes(bytes: &[u8; KEYPAIR_LEN]) -> Result<Self, InvalidKeypair> {
        // `ed25519-dalek`'s `from_keypair_bytes` (behind this `TryFrom`) re-derives the public
        // key and compares; the resulting `Keypair` zeroizes itself when dropped here.
        Keypair::try_from(&bytes[..]).map_err(|_| InvalidKeypair)?;
        Ok(Self(*bytes))
    }

    /// A fresh keypair from the operating system's CSPRNG.
    ///
    /// # Panics
    ///
    /// Only if the operating system cannot provide randomness (`getrandom` fails), in which case
    /// no key could be generated safely anyway.
    pub fn generate() -> Self {
        let mut seed = Zeroizing::new([0u8; SEED_LEN]);
        OsRng.unwrap_err().fill_bytes(seed.as_mut());
        Self::from_seed(&seed)
    }

    /// The wallet's public key (its address).
    pub fn pubkey(&self) -> Pubkey {
        let mut public = [0u8; 32];
        public.copy_from_slice(&self.0[SEED_LEN..]);
        Pubkey::new_from_array(public)
    }

    /// A signing [`Keypair`] for this secret.
    ///
    /// The returned `Keypair` holds the secret too (it zeroizes on drop). Keep it in as small a
    /// scope as possible: build it right before signing and drop it right after, never store it
    /// in a long-lived struct, an `Arc`, or a cache.
    pub fn keypair(&self) -> Keypair {
        let mut seed = Zeroizing::new([0u8; SEED_LEN]);
        seed.copy_from_slice(&self.0[..SEED_LEN]);
        Keypair::new_from_array(*seed)
    }

    /// Base58 of all 64 bytes: the "private key" string Phantom, Solflare and `solana-keygen`
    /// exchange. Only for an explicit, user-requested export.
    pub fn to_base58(&self) -> Zeroizing<String> {
        let mut buf = Zeroizing::new([0u8; BASE58_BUF_LEN]);
        // Encoding into a fixed stack buffer and then into a pre-sized `String` avoids
        // reallocations that would leave unzeroized copies behind.
        let len = bs58::encode(&self.0[..]).onto(&mut buf[..]).unwrap_or_default();
        let mut out = Zeroizing::new(String::with_capacity(BASE58_BUF_LEN));
        for &byte in buf.iter().take(len) {
            out.push(char::from(byte));
        }
        out
    }

    /// The Solana CLI keypair-file format: a JSON array of the 64 bytes, e.g. `[12,250,…]`.
    /// Only for an explicit, user-requested export.
    pub fn to_json_array(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(JSON_ARRAY_MAX_LEN));
        out.push('[');
        for (i, byte) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            // Writing into a `String` cannot fail.
            let _ = write!(out, "{byte}");
        }
        out.push(']');
        out
    }

    /// The raw 64 bytes, for the vault's encryption only.
    pub(crate) fn expose_bytes(&self) -> &[u8; KEYPAIR_LEN] {
        &self.0
    }
}

impl fmt::Debug for SecretKeyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl fmt::Display for SecretKeyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// The 256-bit key that encrypts every wallet at rest (see [`crate::wallet::vault`]).
///
/// Obtain one with [`MasterKey::from_hex`] (from configuration), with
/// [`MasterKey::derive_from_passphrase`] (Argon2id), or with [`MasterKey::generate`]. Master keys
/// are identified by an `i32` key version that the caller stores next to each sealed wallet.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct MasterKey([u8; MASTER_KEY_LEN]);

/// Why a master key could not be obtained. Never contains key or passphrase material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MasterKeyError {
    /// The text is not exactly 64 hexadecimal characters.
    #[error("master key must be exactly 64 hexadecimal characters (32 bytes)")]
    InvalidHex,
    /// The passphrase is shorter than [`crate::wallet::kdf::MIN_PASSPHRASE_LEN`] bytes.
    #[error("master passphrase is too short")]
    PassphraseTooShort,
    /// The Argon2id parameters are below the RFC 9106 floor this crate enforces.
    #[error("key-derivation parameters are weaker than the allowed minimum")]
    KdfParamsTooWeak,
    /// The Argon2id parameters exceed the sanity ceiling (protects against a corrupted settings
    /// row asking for terabytes of memory).
    #[error("key-derivation parameters exceed the allowed maximum")]
    KdfParamsTooLarge,
    /// Argon2 itself refused the parameters or failed.
    #[error("key derivation failed")]
    Kdf,
}

impl MasterKey {
    /// Parses exactly 64 hexadecimal characters (either case). Surrounding whitespace, such as
    /// the trailing newline of a secrets file, is ignored.
    pub fn from_hex(text: &str) -> Result<Self, MasterKeyError> {
        let text = text.trim();
        if text.len() != MASTER_KEY_LEN * 2 {
            return Err(MasterKeyError::InvalidHex);
        }
        let mut key = Self([0; MASTER_KEY_LEN]);
        hex::decode_to_slice(text, &mut key.0).map_err(|_| MasterKeyError::InvalidHex)?;
        Ok(key)
    }

    /// A fresh random master key from the operating system's CSPRNG (e.g. for a
    /// `generate-master-key` command; print it once with [`MasterKey::to_hex`]).
    ///
    /// # Panics
    ///
    /// Only if the operating system cannot provide randomness.
    pub fn generate() -> Self {
        let mut key = Self([0; MASTER_KEY_LEN]);
        OsRng.unwrap_err().fill_bytes(&mut key.0);
        key
    }

    /// Lower-case hex of the key, for showing a freshly generated key to the operator once.
    pub fn to_hex(&self) -> Zeroizing<String> {
        let mut buf = Zeroizing::new([0u8; MASTER_KEY_LEN * 2]);
        // The buffer is exactly twice the key length, so this cannot fail.
        let _ = hex::encode_to_slice(self.0, &mut buf[..]);
        let mut out = Zeroizing::new(String::with_capacity(MASTER_KEY_LEN * 2));
        for &byte in buf.iter() {
            out.push(char::from(byte));
        }
        out
    }

    /// An all-zero key to be filled in place (used by the KDF to avoid an extra copy).
    pub(crate) fn zeroed() -> Self {
        Self([0; MASTER_KEY_LEN])
    }

    /// Mutable access for in-place derivation.
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8; MASTER_KEY_LEN] {
        &mut self.0
    }

    /// The raw key, for subkey derivation inside this module tree only.
    pub(crate) fn expose_bytes(&self) -> &[u8; MASTER_KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_round_trips_through_keypair() {
        let secret = SecretKeyBytes::generate();
        let keypair = secret.keypair();
        assert_eq!(keypair.pubkey(), secret.pubkey());
        assert_eq!(&keypair.to_bytes(), secret.expose_bytes());
    }

    #[test]
    fn from_keypair_bytes_rejects_mismatched_public_half() {
        let secret = SecretKeyBytes::generate();
        let other = SecretKeyBytes::generate();
        let mut bytes = *secret.expose_bytes();
        bytes[32..].copy_from_slice(&other.expose_bytes()[32..]);
        assert_eq!(SecretKeyBytes::from_keypair_bytes(&bytes).err(), Some(InvalidKeypair));
        assert!(SecretKeyBytes::from_keypair_bytes(secret.expose_bytes()).is_ok());
    }

    #[test]
    fn exports_match_solana_formats() {
        let secret = SecretKeyBytes::generate();
        let keypair = secret.keypair();
        assert_eq!(*secret.to_base58(), keypair.to_base58_string());
        let parsed: Vec<u8> = serde_json::from_str(&secret.to_json_array()).unwrap();
        assert_eq!(parsed, keypair.to_bytes().to_vec());
        let max = SecretKeyBytes([255u8; 64]);
        assert!(max.to_json_array().len() <= JSON_ARRAY_MAX_LEN);
        assert!(max.to_base58().len() <= 88);
    }

    #[test]
    fn debug_and_display_are_redacted() {
        let secret = SecretKeyBytes::generate();
        let master = MasterKey::generate();
        let seed_b58 = bs58::encode(&secret.expose_bytes()[..32]).into_string();
        let full_b58 = secret.to_base58();
        let master_hex = master.to_hex();
        for text in [
            format!("{secret:?}"),
            format!("{secret:#?}"),
            format!("{secret}"),
            format!("{master:?}"),
            format!("{master:#?}"),
        ] {
            assert!(text.contains("<redacted>"), "{text}");
            assert!(!text.contains(seed_b58.as_str()));
            assert!(!text.contains(full_b58.as_str()));
            assert!(!text.contains(master_hex.as_str()));
            assert!(!text.contains(&format!("{:?}", &secret.expose_bytes()[..4])));
            assert!(!text.contains(&format!("{:?}", &master.expose_bytes()[..4])));
        }
        assert_eq!(format!("{secret:?}"), "SecretKey(<redacted>)");
        assert_eq!(format!("{master:?}"), "MasterKey(<redacted>)");
    }

    #[test]
    fn master_key_hex_round_trip_and_rejections() {
        let key = MasterKey::generate();
        let hex = key.to_hex();
        let parsed = MasterKey::from_hex(&format!("  {}\n", hex.as_str())).unwrap();
        assert_eq!(parsed.expose_bytes(), key.expose_bytes());
        let upper = MasterKey::from_hex(&hex.to_uppercase()).unwrap();
        assert_eq!(upper.expose_bytes(), key.expose_bytes());
        let bad_inputs = vec![
            String::new(),
            "00".to_owned(),
            hex[..63].to_owned(),
            format!("{}0", hex.as_str()),
            format!("{}g", &hex[..63]),
            format!("{}é", &hex[..62]),
            "0".repeat(66),
        ];
        for bad in &bad_inputs {
            assert_eq!(MasterKey::from_hex(bad).err(), Some(MasterKeyError::InvalidHex), "{bad}");
        }
    }
}
