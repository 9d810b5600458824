//! Master-key derivation from an operator passphrase with Argon2id (RFC 9106).
//!
//! The derived key is a [`MasterKey`] like one read from hex; the parameters (including the
//! random salt) are not secret and are meant to be stored, e.g. as JSON in the settings table,
//! so the same key can be re-derived at the next start. Nothing here logs or touches the network.

use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;
use rand::{RngCore as _, TryRngCore as _};
use serde::{Deserialize, Serialize};

use super::secret::{MASTER_KEY_LEN, MasterKey, MasterKeyError};

/// Salt length in bytes (RFC 9106 recommends 16).
pub const SALT_LEN: usize = 16;
/// Memory floor in KiB: RFC 9106 §4, second recommended option (64 MiB).
pub const MIN_M_COST_KIB: u32 = 64 * 1024;
/// Pass-count floor: RFC 9106 §4, second recommended option.
pub const MIN_T_COST: u32 = 3;
/// Lane-count floor: RFC 9106 §4, second recommended option.
pub const MIN_P_COST: u32 = 4;
/// Memory ceiling in KiB (4 GiB): refuses a corrupted settings row rather than exhausting RAM.
pub const MAX_M_COST_KIB: u32 = 4 * 1024 * 1024;
/// Pass-count ceiling, for the same reason.
pub const MAX_T_COST: u32 = 64;
/// Lane-count ceiling, for the same reason.
pub const MAX_P_COST: u32 = 64;
/// Shortest passphrase accepted, in bytes. Argon2id slows guessing but cannot save a short one.
pub const MIN_PASSPHRASE_LEN: usize = 12;

/// Argon2id (version 0x13) parameters for [`MasterKey::derive_from_passphrase`].
///
/// Serializes as `{"salt":"<32 hex chars>","m_cost_kib":65536,"t_cost":3,"p_cost":4}`. None of
/// it is secret. Changing any field (including the salt) derives a different key, so store it
/// exactly once per master-key version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    /// Random per-installation salt.
    #[serde(with = "hex_salt")]
    pub salt: [u8; SALT_LEN],
    /// Memory cost in KiB.
    pub m_cost_kib: u32,
    /// Number of passes.
    pub t_cost: u32,
    /// Degree of parallelism (lanes).
    pub p_cost: u32,
}

impl KdfParams {
    /// RFC 9106's second recommended option (m = 64 MiB, t = 3, p = 4) with a fresh random salt.
    ///
    /// # Panics
    ///
    /// Only if the operating system cannot provide randomness.
    pub fn recommended() -> Self {
        let mut salt = [0u8; SALT_LEN];
        OsRng.unwrap_err().fill_bytes(&mut salt);
        Self { salt, m_cost_kib: MIN_M_COST_KIB, t_cost: MIN_T_COST, p_cost: MIN_P_COST }
    }

    /// Checks the floor (RFC 9106 second option) and the sanity ceiling.
    pub fn validate(&self) -> Result<(), MasterKeyError> {
        if self.m_cost_kib < MIN_M_COST_KIB || self.t_cost < MIN_T_COST || self.p_cost < MIN_P_COST {
            return Err(MasterKeyError::KdfParamsTooWeak);
        }
        if self.m_cost_kib > MAX_M_COST_KIB || self.t_cost > MAX_T_COST || self.p_cost > MAX_P_COST {
            return Err(MasterKeyError::KdfParamsTooLarge);
        }
        Ok(())
    }
}

impl MasterKey {
    /// Derives a master key from `passphrase` with Argon2id under `params`.
    ///
    /// Deterministic for a given passphrase and parameters. Refuses parameters below RFC 9106's
    /// second recommendation and passphrases shorter than [`MIN_PASSPHRASE_LEN`] bytes. Takes
    /// about 0.15–0.2 s and 64 MiB of RAM with the recommended parameters in a release build (2-core
    /// VM; ~2 s in a debug build): call it once at start-up (from `spawn_blocking` in async code), not per
    /// request.
    pub fn derive_from_passphrase(passphrase: &[u8], params: &KdfParams) -> Result<Self, MasterKeyError> {
        if passphrase.len() < MIN_PASSPHRASE_LEN {
            return Err(MasterKeyError::PassphraseTooShort);
        }
        params.validate()?;
        let argon_params = Params::new(params.m_cost_kib, params.t_cost, params.p_cost, Some(MASTER_KEY_LEN))
            .map_err(|_| MasterKeyError::Kdf)?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
        let mut key = MasterKey::zeroed();
        argon.hash_password_into(passphrase, &params.salt, key.bytes_mut()).map_err(|_| MasterKeyError::Kdf)?;
        Ok(key)
    }
}

/// Serde adapter: the salt as a lower-case hex string.
mod hex_salt {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    use super::SALT_LEN;

    pub(super) fn serialize<S: Serializer>(salt: &[u8; SALT_LEN], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(salt))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<[u8; SALT_LEN], D::Error> {
        let text = String::deserialize(deserializer)?;
        let mut salt = [0u8; SALT_LEN];
        hex::decode_to_slice(&text, &mut salt)
            .map_err(|_| D::Error::custom("salt must be 32 hexadecimal characters"))?;
        Ok(salt)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn recommended_params_meet_rfc_9106_second_option_and_salts_differ() {
        let a = KdfParams::recommended();
        let b = KdfParams::recommended();
        assert!(a.m_cost_kib >= 65_536 && a.t_cost >= 3 && a.p_cost >= 4);
        assert_eq!(a.validate(), Ok(()));
        assert_ne!(a.salt, b.salt);
    }

    #[test]
    fn params_serde_round_trip_and_format() {
        let params = KdfParams { salt: [0xab; SALT_LEN], ..KdfParams::recommended() };
        let json = serde_json::to_string(&params).unwrap();
        assert_eq!(json, r#"{"salt":"abababababababababababababababab","m_cost_kib":65536,"t_cost":3,"p_cost":4}"#);
        assert_eq!(serde_json::from_str::<KdfParams>(&json).unwrap(), params);
        for bad in [
            r#"{"salt":"abab","m_cost_kib":65536,"t_cost":3,"p_cost":4}"#,
            r#"{"salt":"zzababababababababababababababab","m_cost_kib":65536,"t_cost":3,"p_cost":4}"#,
            r#"{"salt":"abababababababababababababababab","m_cost_kib":65536,"t_cost":3}"#,
            r#"{"salt":"abababababababababababababababab","m_cost_kib":65536,"t_cost":3,"p_cost":4,"x":1}"#,
        ] {
            assert!(serde_json::from_str::<KdfParams>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn weak_or_absurd_params_and_short_passphrases_are_refused_before_hashing() {
        let ok = KdfParams::recommended();
        let pass = b"correct horse battery staple";
        let weaker = [
            KdfParams { m_cost_kib: MIN_M_COST_KIB - 1, ..ok.clone() },
            KdfParams { t_cost: 2, ..ok.clone() },
            KdfParams { p_cost: 1, ..ok.clone() },
        ];
        for params in &weaker {
            assert_eq!(MasterKey::derive_from_passphrase(pass, params).err(), Some(MasterKeyError::KdfParamsTooWeak));
        }
        let huge = KdfParams { m_cost_kib: u32::MAX, ..ok.clone() };
        assert_eq!(MasterKey::derive_from_passphrase(pass, &huge).err(), Some(MasterKeyError::KdfParamsTooLarge));
        assert_eq!(MasterKey::derive_from_passphrase(b"short", &ok).err(), Some(MasterKeyError::PassphraseTooShort));
    }

    /// The one test that runs real Argon2id with the recommended parameters: once, against a
    /// pinned output, which shows the derivation is deterministic for a salt (across builds and
    /// upgrades of the argon2 crate, too). Prints the elapsed time.
    #[test]
    fn argon2id_recommended_params_are_deterministic_for_a_salt() {
        let params = KdfParams { salt: *b"quantbot-test-sa", ..KdfParams::recommended() };
        let started = Instant::now();
        let key = MasterKey::derive_from_passphrase(b"correct horse battery staple", &params).unwrap();
        let elapsed = started.elapsed();
        eprintln!(
            "argon2id m={} KiB t={} p={}: one derivation took {elapsed:?} (this build profile)",
            params.m_cost_kib, params.t_cost, params.p_cost
        );
        assert_eq!(key.to_hex().as_str(), PINNED);
    }

    /// Output of the `argon2` crate for these inputs, recorded when the test was written.
    const PINNED: &str = "a656d55b1eeea21d4ed4495d81a5c37783b98d41b7c42aaba030fca102d2898b";
}
