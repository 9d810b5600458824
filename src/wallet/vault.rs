//! Encryption of wallet keys at rest: AES-256-GCM under a [`MasterKey`], bound to its row.
//!
//! Construction:
//! - The AEAD key is not the master key itself but `HMAC-SHA256(master, "quantbot/wallet-aead/v1")`,
//!   and the key check value is `HMAC-SHA256(master, "quantbot/master-key-check/v1")`: one master
//!   key, two independent subkeys, so no key is ever used by two different primitives.
//! - Every [`seal`] draws a fresh 96-bit nonce from the OS CSPRNG. Random nonces are safe for far
//!   more than 2^32 encryptions per key; a wallet table will never approach that.
//! - The associated data is [`WalletAad`]: user id, wallet id, public key and master-key version
//!   in a fixed-width encoding behind a domain tag. A ciphertext copied into another row (another
//!   user, wallet, public key or key version) fails authentication.
//! - [`open`] re-checks that the decrypted keypair is consistent and belongs to `aad.pubkey`.
//! - Every authentication failure is the single opaque [`VaultError::Decrypt`].
//!
//! Plaintext only ever lives in zeroizing buffers sized up front (no reallocation copies).
//! Nothing here logs, touches the network or the database: callers persist [`Sealed`] and
//! [`KeyCheck`] themselves.

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::TryRngCore as _;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use solana_pubkey::Pubkey;
use zeroize::Zeroizing;

use super::secret::{KEYPAIR_LEN, MASTER_KEY_LEN, MasterKey, SecretKeyBytes};

/// Domain tag at the start of every [`WalletAad`] encoding.
pub const AAD_DOMAIN: &[u8; 18] = b"quantbot-wallet-v1";
/// Length of [`WalletAad::to_bytes`]: tag + user id + wallet id + public key + key version.
pub const AAD_LEN: usize = AAD_DOMAIN.len() + 8 + 8 + 32 + 4;
/// AES-GCM nonce length in bytes (96 bits).
pub const NONCE_LEN: usize = 12;
/// AES-GCM tag length in bytes.
pub const TAG_LEN: usize = 16;
/// Length of [`Sealed::ciphertext`]: the 64 key bytes plus the tag.
pub const SEALED_LEN: usize = KEYPAIR_LEN + TAG_LEN;
/// Length of a [`KeyCheck`] value.
pub const KEY_CHECK_LEN: usize = 32;

/// SHA-256 block size: HMAC keys are zero-padded to this length.
const HMAC_BLOCK_LEN: usize = 64;
const AEAD_SUBKEY_LABEL: &[u8] = b"quantbot/wallet-aead/v1";
const KEY_CHECK_LABEL: &[u8] = b"quantbot/master-key-check/v1";

/// Why a vault operation failed. No variant carries key material, plaintext or detail about
/// *why* authentication failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// The ciphertext, nonce, associated data or master key is wrong: indistinguishable on
    /// purpose.
    #[error("wallet key could not be decrypted")]
    Decrypt,
    /// The master key does not match the stored [`KeyCheck`].
    #[error("master key does not match the stored key check")]
    WrongMasterKey,
    /// The key to seal, or a decrypted key, does not belong to `aad.pubkey`.
    #[error("wallet key does not belong to the expected public key")]
    PubkeyMismatch,
    /// No master key with this version is loaded in the [`KeyRing`].
    #[error("no master key loaded for key version {0}")]
    UnknownKeyVersion(i32),
    /// The operating system could not provide randomness for a nonce.
    #[error("operating system randomness unavailable")]
    Rng,
    /// The cipher refused to encrypt (not expected with fixed-size inputs).
    #[error("wallet key could not be encrypted")]
    Encrypt,
    /// A stored key check value is not 64 hexadecimal characters.
    #[error("stored key check value is malformed")]
    MalformedKeyCheck,
}

/// What a sealed wallet key is bound to; authenticated (not encrypted) alongside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WalletAad {
    /// Owner's user id (the `users` row).
    pub user_id: i64,
    /// The wallet's own row id. It must be known before sealing (insert the row first, or
    /// allocate the id), because it is part of the authenticated data.
    pub wallet_id: i64,
    /// The wallet's public key.
    pub pubkey: Pubkey,
    /// Version of the master key that sealed it.
    pub key_version: i32,
}

impl WalletAad {
    /// Canonical encoding: `"quantbot-wallet-v1" ‖ user_id ‖ wallet_id ‖ pubkey ‖ key_version`,
    /// integers big-endian two's complement, every field fixed-width (70 bytes in total), so two
    /// different values can never encode to the same bytes.
    pub fn to_bytes(&self) -> [u8; AAD_LEN] {
        let mut out = [0u8; AAD_LEN];
        let fields: [&[u8]; 5] = [
            AAD_DOMAIN,
            &self.user_id.to_be_bytes(),
            &self.wallet_id.to_be_bytes(),
            self.pubkey.as_array(),
            &self.key_version.to_be_bytes(),
        ];
        let mut at = 0;
        for field in fields {
            out[at..at + field.len()].copy_from_slice(field);
            at += field.len();
        }
        out
    }
}

/// An encrypted wallet key: persist both fields (and the [`WalletAad`] fields) as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// AES-256-GCM ciphertext of the 64 keypair bytes followed by the 16-byte tag (80 bytes).
    pub ciphertext: Vec<u8>,
    /// The random nonce used for this encryption.
    pub nonce: [u8; NONCE_LEN],
}

/// Encrypts `secret` under `master`, bound to `aad`, with a fresh random nonce.
///
/// Fails with [`VaultError::PubkeyMismatch`] if `secret` is not the key of `aad.pubkey`, so a row
/// can never be written with a key that does not match its address.
pub fn seal(master: &MasterKey, secret: &SecretKeyBytes, aad: &WalletAad) -> Result<Sealed, VaultError> {
    if secret.pubkey() != aad.pubkey {
        return Err(VaultError::PubkeyMismatch);
    }
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.try_fill_bytes(&mut nonce).map_err(|_| VaultError::Rng)?;
    let cipher = aead_cipher(master);
    // Sized for the tag up front: encrypting in place never reallocates (which would leave a
    // plaintext copy in freed memory), and on failure the buffer is wiped.
    let mut buffer = Zeroizing::new(Vec::with_capacity(SEALED_LEN));
    buffer.extend_from_slice(secret.expose_bytes());
    cipher.encrypt_in_place(&Nonce::from(nonce), &aad.to_bytes(), &mut *buffer).map_err(|_| VaultError::Encrypt)?;
    Ok(Sealed { ciphertext: std::mem::take(&mut *buffer), nonce })
}

/// Decrypts a wallet key sealed under `master` for exactly `aad`.
///
/// Any tampering, a wrong master key or a mismatched `aad` gives [`VaultError::Decrypt`]. A
/// decrypted key that is not the key of `aad.pubkey` gives [`VaultError::PubkeyMismatch`] (only
/// possible if whoever sealed it held the master key).
pub fn open(master: &MasterKey, sealed: &Sealed, aad: &WalletAad) -> Result<SecretKeyBytes, VaultError> {
    if sealed.ciphertext.len() != SEALED_LEN {
        return Err(VaultError::Decrypt);
    }
    let cipher = aead_cipher(master);
    let mut buffer = Zeroizing::new(Vec::with_capacity(SEALED_LEN));
    buffer.extend_from_slice(&sealed.ciphertext);
    cipher
        .decrypt_in_place(&Nonce::from(sealed.nonce), &aad.to_bytes(), &mut *buffer)
        .map_err(|_| VaultError::Decrypt)?;
    let mut plain = Zeroizing::new([0u8; KEYPAIR_LEN]);
    if buffer.len() != KEYPAIR_LEN {
        return Err(VaultError::Decrypt);
    }
    plain.copy_from_slice(&buffer);
    let secret = SecretKeyBytes::from_keypair_bytes(&plain).map_err(|_| VaultError::PubkeyMismatch)?;
    if secret.pubkey() != aad.pubkey {
        return Err(VaultError::PubkeyMismatch);
    }
    Ok(secret)
}

/// Key rotation for one wallet: opens `sealed` with `old_master` under `aad_old`, then seals it
/// with `new_master` under the same AAD with `key_version = new_version` and a fresh nonce.
///
/// The plaintext exists only inside this call and is zeroized before it returns. Store the
/// result together with `new_version`.
pub fn reseal(
    old_master: &MasterKey,
    new_master: &MasterKey,
    sealed: &Sealed,
    aad_old: &WalletAad,
    new_version: i32,
) -> Result<Sealed, VaultError> {
    let secret = open(old_master, sealed, aad_old)?;
    let aad_new = WalletAad { key_version: new_version, ..*aad_old };
    seal(new_master, &secret, &aad_new)
}

/// A value that identifies a master key without revealing it, stored next to the key version
/// so that a wrong `MASTER_KEY` (or passphrase) is caught at start-up rather than at the first
/// failed decryption.
///
/// It is `HMAC-SHA256(master, "quantbot/master-key-check/v1")`. HMAC is a PRF, so the value says
/// nothing about the key, and it is collision resistant, so no second key matches it. For a
/// passphrase-derived key it lets an attacker test guesses at the cost of one Argon2id each,
/// which any sealed wallet (its GCM tag) already allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct KeyCheck([u8; KEY_CHECK_LEN]);

impl KeyCheck {
    /// Lower-case hex (64 characters), for the settings table.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses the 64 hexadecimal characters written by [`KeyCheck::to_hex`].
    pub fn from_hex(text: &str) -> Result<Self, VaultError> {
        let mut bytes = [0u8; KEY_CHECK_LEN];
        hex::decode_to_slice(text.trim(), &mut bytes).map_err(|_| VaultError::MalformedKeyCheck)?;
        Ok(Self(bytes))
    }

    /// The raw 32 bytes, for storage as a blob.
    pub fn as_bytes(&self) -> &[u8; KEY_CHECK_LEN] {
        &self.0
    }

    /// Wraps 32 raw bytes read back from storage.
    pub fn from_bytes(bytes: [u8; KEY_CHECK_LEN]) -> Self {
        Self(bytes)
    }
}

impl From<KeyCheck> for String {
    fn from(check: KeyCheck) -> Self {
        check.to_hex()
    }
}

impl TryFrom<String> for KeyCheck {
    type Error = VaultError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::from_hex(&text)
    }
}

impl MasterKey {
    /// This key's [`KeyCheck`] value, to store when the key (version) is first set up.
    pub fn check_value(&self) -> KeyCheck {
        let mut out = [0u8; KEY_CHECK_LEN];
        out.copy_from_slice(&prf(self, KEY_CHECK_LABEL)[..]);
        KeyCheck(out)
    }

    /// Compares this key against a stored [`KeyCheck`] in constant time; a mismatch is
    /// [`VaultError::WrongMasterKey`].
    pub fn verify_check_value(&self, stored: &KeyCheck) -> Result<(), VaultError> {
        let mut mac = keyed_hmac(self);
        mac.update(KEY_CHECK_LABEL);
        mac.verify_slice(&stored.0).map_err(|_| VaultError::WrongMasterKey)
    }
}

/// A set of master keys by version: the current one (used for every new seal) plus any older
/// ones still needed to open wallets that have not been re-sealed yet.
///
/// `Debug` prints only the versions.
pub struct KeyRing {
    current_version: i32,
    keys: Vec<(i32, MasterKey)>,
}

impl KeyRing {
    /// A ring whose current key is `key`, identified by `version`.
    pub fn new(version: i32, key: MasterKey) -> Self {
        Self { current_version: version, keys: vec![(version, key)] }
    }

    /// Adds (or replaces) an older key that can still open wallets but never seals new ones.
    /// Adding the current version is ignored.
    pub fn with_previous(mut self, version: i32, key: MasterKey) -> Self {
        if version != self.current_version {
            self.keys.retain(|(v, _)| *v != version);
            self.keys.push((version, key));
        }
        self
    }

    /// The version new seals are made with.
    pub fn current_version(&self) -> i32 {
        self.current_version
    }

    /// The key for `version`, if loaded.
    pub fn key(&self, version: i32) -> Option<&MasterKey> {
        self.keys.iter().find(|(v, _)| *v == version).map(|(_, k)| k)
    }

    /// Seals `secret` for a wallet row with the current key; returns the AAD to persist with it
    /// (its `key_version` is the current version).
    pub fn seal(
        &self,
        secret: &SecretKeyBytes,
        user_id: i64,
        wallet_id: i64,
    ) -> Result<(Sealed, WalletAad), VaultError> {
        let aad = WalletAad { user_id, wallet_id, pubkey: secret.pubkey(), key_version: self.current_version };
        let key = self.key(self.current_version).ok_or(VaultError::UnknownKeyVersion(self.current_version))?;
        Ok((seal(key, secret, &aad)?, aad))
    }

    /// Opens a wallet with whichever loaded key `aad.key_version` names.
    pub fn open(&self, sealed: &Sealed, aad: &WalletAad) -> Result<SecretKeyBytes, VaultError> {
        let key = self.key(aad.key_version).ok_or(VaultError::UnknownKeyVersion(aad.key_version))?;
        open(key, sealed, aad)
    }

    /// For the rotation command: if the wallet is sealed under an older version, re-seals it
    /// under the current key and returns the new blob and AAD to store; `None` if it is already
    /// current.
    pub fn rotate(&self, sealed: &Sealed, aad: &WalletAad) -> Result<Option<(Sealed, WalletAad)>, VaultError> {
        if aad.key_version == self.current_version {
            return Ok(None);
        }
        let old = self.key(aad.key_version).ok_or(VaultError::UnknownKeyVersion(aad.key_version))?;
        let new = self.key(self.current_version).ok_or(VaultError::UnknownKeyVersion(self.current_version))?;
        let resealed = reseal(old, new, sealed, aad, self.current_version)?;
        Ok(Some((resealed, WalletAad { key_version: self.current_version, ..*aad })))
    }
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let versions: Vec<i32> = self.keys.iter().map(|(v, _)| *v).collect();
        f.debug_struct("KeyRing")
            .field("current_version", &self.current_version)
            .field("versions", &versions)
            .finish_non_exhaustive()
    }
}

fn keyed_hmac(master: &MasterKey) -> Hmac<Sha256> {
    // RFC 2104 zero-pads a key shorter than the hash block (64 bytes), so padding it here gives
    // exactly HMAC(master, ·) while using the infallible fixed-size constructor.
    let mut padded = Zeroizing::new([0u8; HMAC_BLOCK_LEN]);
    padded[..MASTER_KEY_LEN].copy_from_slice(master.expose_bytes());
    <Hmac<Sha256> as Mac>::new((&*padded).into())
}

/// `HMAC-SHA256(master, label)` in a zeroizing buffer.
fn prf(master: &MasterKey, label: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut mac = keyed_hmac(master);
    mac.update(label);
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

fn aead_cipher(master: &MasterKey) -> Aes256Gcm {
    let subkey = prf(master, AEAD_SUBKEY_LABEL);
    Aes256Gcm::new((&*subkey).into())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn key(byte: u8) -> MasterKey {
        MasterKey::from_hex(&hex::encode([byte; 32])).unwrap()
    }

    fn aad_for(secret: &SecretKeyBytes) -> WalletAad {
        WalletAad { user_id: 42, wallet_id: 7, pubkey: secret.pubkey(), key_version: 1 }
    }

    #[test]
    fn round_trip() {
        let master = key(1);
        let secret = SecretKeyBytes::generate();
        let aad = aad_for(&secret);
        let sealed = seal(&master, &secret, &aad).unwrap();
        assert_eq!(sealed.ciphertext.len(), SEALED_LEN);
        assert_ne!(&sealed.ciphertext[..KEYPAIR_LEN], secret.expose_bytes());
        let opened = open(&master, &sealed, &aad).unwrap();
        assert_eq!(opened.expose_bytes(), secret.expose_bytes());
    }

    #[test]
    fn every_single_bit_flip_in_ciphertext_tag_or_nonce_is_rejected() {
        let master = key(2);
        let secret = SecretKeyBytes::generate();
        let aad = aad_for(&secret);
        let sealed = seal(&master, &secret, &aad).unwrap();
        let mut tried = 0;
        for byte in 0..sealed.ciphertext.len() {
            for bit in 0..8 {
                let mut bad = sealed.clone();
                bad.ciphertext[byte] ^= 1 << bit;
                assert_eq!(open(&master, &bad, &aad).err(), Some(VaultError::Decrypt));
                tried += 1;
            }
        }
        for byte in 0..NONCE_LEN {
            for bit in 0..8 {
                let mut bad = sealed.clone();
                bad.nonce[byte] ^= 1 << bit;
                assert_eq!(open(&master, &bad, &aad).err(), Some(VaultError::Decrypt));
                tried += 1;
            }
        }
        // 64 key bytes + 16 tag bytes + 12 nonce bytes, every bit.
        assert_eq!(tried, (SEALED_LEN + NONCE_LEN) * 8);
        assert!(open(&master, &sealed, &aad).is_ok());
    }

    #[test]
    fn truncated_or_extended_ciphertext_is_rejected() {
        let master = key(3);
        let secret = SecretKeyBytes::generate();
        let aad = aad_for(&secret);
        let sealed = seal(&master, &secret, &aad).unwrap();
        for len in [0, 1, KEYPAIR_LEN, SEALED_LEN - 1] {
            let bad = Sealed { ciphertext: sealed.ciphertext[..len].to_vec(), nonce: sealed.nonce };
            assert_eq!(open(&master, &bad, &aad).err(), Some(VaultError::Decrypt));
        }
        let mut longer = sealed.clone();
        longer.ciphertext.push(0);
        assert_eq!(open(&master, &longer, &aad).err(), Some(VaultError::Decrypt));
    }

    #[test]
    fn ciphertext_moved_to_another_row_is_rejected() {
        let master = key(4);
        let secret = SecretKeyBytes::generate();
        let aad = aad_for(&secret);
        let sealed = seal(&master, &secret, &aad).unwrap();
        let other = SecretKeyBytes::generate();
        let other_rows = [
            WalletAad { user_id: aad.user_id + 1, ..aad },
            WalletAad { user_id: -aad.user_id, ..aad },
            WalletAad { wallet_id: aad.wallet_id + 1, ..aad },
            WalletAad { pubkey: other.pubkey(), ..aad },
            WalletAad { key_version: aad.key_version + 1, ..aad },
            // Swapped user and wallet ids: fixed-width fields keep these distinct.
            WalletAad { user_id: aad.wallet_id, wallet_id: aad.user_id, ..aad },
        ];
        for row in &other_rows {
            assert_eq!(open(&master, &sealed, row).err(), Some(VaultError::Decrypt));
        }
        // And the other way round: another wallet's ciphertext pasted into this row.
        let other_aad = WalletAad { wallet_id: 8, pubkey: other.pubkey(), ..aad };
        let other_sealed = seal(&master, &other, &other_aad).unwrap();
        assert_eq!(open(&master, &other_sealed, &aad).err(), Some(VaultError::Decrypt));
    }

    #[test]
    fn aad_encoding_is_fixed_width_and_canonical() {
        let aad = WalletAad {
            user_id: -1,
            wallet_id: 0x0102_0304_0506_0708,
            pubkey: Pubkey::new_from_array([9; 32]),
            key_version: 3,
        };
        let bytes = aad.to_bytes();
        assert_eq!(bytes.len(), 70);
        assert_eq!(&bytes[..18], b"quantbot-wallet-v1");
        assert_eq!(&bytes[18..26], &[0xff; 8]);
        assert_eq!(&bytes[26..34], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&bytes[34..66], &[9; 32]);
        assert_eq!(&bytes[66..], &[0, 0, 0, 3]);
    }

    #[test]
    fn sealing_a_key_under_someone_elses_pubkey_is_refused() {
        let master = key(5);
        let secret = SecretKeyBytes::generate();
        let aad = WalletAad { pubkey: SecretKeyBytes::generate().pubkey(), ..aad_for(&secret) };
        assert_eq!(seal(&master, &secret, &aad).err(), Some(VaultError::PubkeyMismatch));
    }

    #[test]
    fn wrong_master_key_fails_to_open_and_is_caught_by_the_key_check() {
        let right = key(6);
        let wrong = key(7);
        let stored = right.check_value();
        assert_eq!(right.verify_check_value(&stored), Ok(()));
        assert_eq!(wrong.verify_check_value(&stored), Err(VaultError::WrongMasterKey));
        assert_ne!(right.check_value(), wrong.check_value());
        // The check value is deterministic, survives storage, and reveals neither the key nor
        // the AEAD subkey.
        let restored = KeyCheck::from_hex(&stored.to_hex()).unwrap();
        assert_eq!(restored, stored);
        let json = serde_json::to_string(&stored).unwrap();
        assert_eq!(serde_json::from_str::<KeyCheck>(&json).unwrap(), stored);
        assert_ne!(stored.as_bytes(), right.expose_bytes());
        assert_ne!(&stored.as_bytes()[..], &prf(&right, AEAD_SUBKEY_LABEL)[..]);
        assert_eq!(KeyCheck::from_hex("abcd").err(), Some(VaultError::MalformedKeyCheck));

        let secret = SecretKeyBytes::generate();
        let aad = aad_for(&secret);
        let sealed = seal(&right, &secret, &aad).unwrap();
        assert_eq!(open(&wrong, &sealed, &aad).err(), Some(VaultError::Decrypt));
    }

    #[test]
    fn padded_key_hmac_equals_standard_hmac() {
        // The zero-padded fixed-size key must give exactly HMAC(master, ·) per RFC 2104.
        let master = key(0x0b);
        let mut reference = <Hmac<Sha256> as Mac>::new_from_slice(&[0x0b; 32]).unwrap();
        reference.update(KEY_CHECK_LABEL);
        assert_eq!(&reference.finalize().into_bytes()[..], master.check_value().as_bytes());
    }

    #[test]
    fn no_repeated_nonce_over_100_000_encryptions() {
        let master = key(8);
        let secret = SecretKeyBytes::generate();
        let aad = aad_for(&secret);
        let mut nonces = HashSet::with_capacity(100_000);
        for _ in 0..100_000 {
            let sealed = seal(&master, &secret, &aad).unwrap();
            assert!(nonces.insert(sealed.nonce), "nonce repeated");
        }
    }

    #[test]
    fn reseal_moves_a_wallet_to_the_new_key_version() {
        let old = key(9);
        let new = key(10);
        let secret = SecretKeyBytes::generate();
        let aad = aad_for(&secret);
        let sealed = seal(&old, &secret, &aad).unwrap();
        let resealed = reseal(&old, &new, &sealed, &aad, 2).unwrap();
        let new_aad = WalletAad { key_version: 2, ..aad };
        assert_ne!(resealed.nonce, sealed.nonce);
        assert_eq!(open(&new, &resealed, &new_aad).unwrap().expose_bytes(), secret.expose_bytes());
        assert_eq!(open(&new, &resealed, &aad).err(), Some(VaultError::Decrypt));
        assert_eq!(open(&old, &resealed, &new_aad).err(), Some(VaultError::Decrypt));
        // Wrong old key: nothing is produced.
        assert_eq!(reseal(&new, &new, &sealed, &aad, 2).err(), Some(VaultError::Decrypt));
    }

    #[test]
    fn key_ring_seals_with_current_opens_any_loaded_version_and_rotates() {
        let ring_v1 = KeyRing::new(1, key(11));
        let secret = SecretKeyBytes::generate();
        let (sealed, aad) = ring_v1.seal(&secret, 5, 6).unwrap();
        assert_eq!(aad.key_version, 1);
        assert_eq!(aad.pubkey, secret.pubkey());

        let ring_v2 = KeyRing::new(2, key(12)).with_previous(1, key(11));
        assert_eq!(ring_v2.current_version(), 2);
        assert!(ring_v2.open(&sealed, &aad).is_ok());
        let (resealed, new_aad) = ring_v2.rotate(&sealed, &aad).unwrap().unwrap();
        assert_eq!(new_aad.key_version, 2);
        assert_eq!(ring_v2.open(&resealed, &new_aad).unwrap().expose_bytes(), secret.expose_bytes());
        assert!(ring_v2.rotate(&resealed, &new_aad).unwrap().is_none());

        let ring_v2_only = KeyRing::new(2, key(12));
        assert_eq!(ring_v2_only.open(&sealed, &aad).err(), Some(VaultError::UnknownKeyVersion(1)));
        // Adding the current version as "previous" must not replace the current key.
        let ring = KeyRing::new(2, key(12)).with_previous(2, key(99));
        assert!(ring.open(&resealed, &new_aad).is_ok());
    }

    #[test]
    fn debug_output_of_secret_holders_contains_no_secret_material() {
        let master = key(0xa5);
        let master_hex = master.to_hex();
        let secret = SecretKeyBytes::generate();
        let secret_b58 = secret.to_base58();
        let ring = KeyRing::new(1, MasterKey::from_hex(&master_hex).unwrap()).with_previous(0, key(0x5a));
        let outputs = [
            format!("{master:?}"),
            format!("{secret:?}"),
            format!("{secret}"),
            format!("{ring:?}"),
            format!("{ring:#?}"),
            format!("{:?}", VaultError::Decrypt),
        ];
        for text in &outputs {
            assert!(!text.contains(master_hex.as_str()), "{text}");
            assert!(!text.contains("a5a5"), "{text}");
            assert!(!text.contains("165, 165"), "{text}");
            assert!(!text.contains("5a5a") && !text.contains("90, 90"), "{text}");
            assert!(!text.contains(&secret_b58[..10]), "{text}");
        }
        assert_eq!(format!("{ring:?}"), "KeyRing { current_version: 1, versions: [1, 0], .. }");
    }
}
