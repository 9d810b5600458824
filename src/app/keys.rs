//! Master keys at start-up and master-key rotation.
//!
//! Settings used (none secret): `wallet.current_key_version` (default 1), `wallet.kdf.v<N>`
//! (Argon2id parameters and salt for a passphrase-derived key of version N) and
//! `wallet.key_check.v<N>` (the [`KeyCheck`] of version N, written at its first use and verified
//! at every later start, so a wrong key stops start-up instead of failing decryptions later).

use std::time::Instant;

use secrecy::ExposeSecret;
use solana_pubkey::Pubkey;
use zeroize::Zeroizing;

use crate::config::MasterKeySource;
use crate::ports::{RepoError, WalletRepo};
use crate::storage::SettingsRepo;
use crate::wallet::{KdfParams, KeyCheck, KeyRing, MasterKey, MasterKeyError, VaultError, WalletAad};

/// Settings key of the current master-key version.
pub const CURRENT_VERSION_KEY: &str = "wallet.current_key_version";

/// Why the master keys could not be set up or rotated. Never contains key material.
#[derive(Debug, thiserror::Error)]
pub enum KeySetupError {
    /// The configured key does not match the key check stored for its version.
    #[error(
        "{var} does not match the master key that encrypted the wallets (key version {version}); \
         start with the right key"
    )]
    WrongKey {
        /// The variable at fault.
        var: &'static str,
        /// The key version checked.
        version: i32,
    },
    /// The configured key or passphrase is unusable.
    #[error("{var} is unusable: {source}")]
    Master {
        /// The variable at fault.
        var: &'static str,
        /// Why.
        source: MasterKeyError,
    },
    /// Stored custody settings or rows are corrupt.
    #[error("stored wallet custody data is corrupt: {0}")]
    Corrupt(String),
    /// A wallet row could not be re-sealed (wrong key for its version, or tampered row).
    #[error("wallet {wallet_id} could not be re-encrypted: {source}")]
    Reseal {
        /// Row id.
        wallet_id: i64,
        /// Why.
        source: VaultError,
    },
    /// Rotation needs the new key.
    #[error("set WALLET_NEW_MASTER_KEY or WALLET_NEW_MASTER_PASSPHRASE to the new master key")]
    NoNewKey,
    /// Storage failure.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// Which variable a key came from (for error messages).
fn var_of(source: &MasterKeySource, new: bool) -> &'static str {
    match (source, new) {
        (MasterKeySource::Hex(_), false) => "WALLET_MASTER_KEY",
        (MasterKeySource::Passphrase(_), false) => "WALLET_MASTER_PASSPHRASE",
        (MasterKeySource::Hex(_), true) => "WALLET_NEW_MASTER_KEY",
        (MasterKeySource::Passphrase(_), true) => "WALLET_NEW_MASTER_PASSPHRASE",
    }
}

/// The current master-key version (1 until the first rotation completes).
///
/// # Errors
/// Storage failures or a corrupt value.
pub async fn current_version<S: SettingsRepo + Sync>(settings: &S) -> Result<i32, KeySetupError> {
    match settings.get_setting(CURRENT_VERSION_KEY).await? {
        None => Ok(1),
        Some(v) => v.parse::<i32>().map_err(|_| KeySetupError::Corrupt(CURRENT_VERSION_KEY.to_owned())),
    }
}

/// Builds the key ring the bot runs with: the configured master key as the current version,
/// checked against its stored key check (created on first start). With `new` (a rotation in
/// progress), the new key is version current + 1 and seals new wallets, and the old key still
/// opens rows not yet moved.
///
/// # Errors
/// A wrong or unusable key, storage failures.
pub async fn load_key_ring<S: SettingsRepo + Sync>(
    settings: &S,
    master: &MasterKeySource,
    new: Option<&MasterKeySource>,
) -> Result<KeyRing, KeySetupError> {
    let version = current_version(settings).await?;
    if settings.get_setting(CURRENT_VERSION_KEY).await?.is_none() {
        settings.put_setting(CURRENT_VERSION_KEY, &version.to_string()).await?;
    }
    let key = key_for_version(settings, master, version, var_of(master, false)).await?;
    let Some(new) = new else {
        return Ok(KeyRing::new(version, key));
    };
    let next = version.checked_add(1).ok_or_else(|| KeySetupError::Corrupt(CURRENT_VERSION_KEY.to_owned()))?;
    let new_key = key_for_version(settings, new, next, var_of(new, true)).await?;
    Ok(KeyRing::new(next, new_key).with_previous(version, key))
}

/// Derives (or parses) the key for `version` and checks it against the stored key check,
/// storing KDF parameters and the check value when this version is used for the first time.
async fn key_for_version<S: SettingsRepo + Sync>(
    settings: &S,
    source: &MasterKeySource,
    version: i32,
    var: &'static str,
) -> Result<MasterKey, KeySetupError> {
    let key = match source {
        MasterKeySource::Hex(hex) => {
            MasterKey::from_hex(hex.expose_secret()).map_err(|source| KeySetupError::Master { var, source })?
        }
        MasterKeySource::Passphrase(pass) => {
            let kdf_key = format!("wallet.kdf.v{version}");
            let params = match settings.get_setting(&kdf_key).await? {
                Some(json) => serde_json::from_str::<KdfParams>(&json).map_err(|_| KeySetupError::Corrupt(kdf_key))?,
                None => {
                    let params = KdfParams::recommended();
                    let json = serde_json::to_string(&params).map_err(|_| KeySetupError::Corrupt(kdf_key.clone()))?;
                    settings.put_setting(&kdf_key, &json).await?;
                    params
                }
            };
            let bytes = Zeroizing::new(pass.expose_secret().as_bytes().to_vec());
            let started = Instant::now();
            let derived = tokio::task::spawn_blocking(move || MasterKey::derive_from_passphrase(&bytes, &params)).await;
            let key = derived
                .map_err(|_| KeySetupError::Master { var, source: MasterKeyError::Kdf })?
                .map_err(|source| KeySetupError::Master { var, source })?;
            tracing::info!(elapsed_ms = started.elapsed().as_millis(), version, "derived master key with Argon2id");
            key
        }
    };
    let check_key = format!("wallet.key_check.v{version}");
    match settings.get_setting(&check_key).await? {
        None => settings.put_setting(&check_key, &key.check_value().to_hex()).await?,
        Some(stored) => {
            let stored = KeyCheck::from_hex(&stored).map_err(|_| KeySetupError::Corrupt(check_key))?;
            key.verify_check_value(&stored).map_err(|_| KeySetupError::WrongKey { var, version })?;
        }
    }
    Ok(key)
}

/// What a rotation run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RotationReport {
    /// Rows re-sealed by this run.
    pub moved: u64,
    /// Whether every row is on the new version and the current version was advanced.
    pub completed: bool,
    /// The version rows were moved to.
    pub to_version: i32,
}

/// Re-seals every wallet (removed ones included) under the ring's current key, one row per
/// transaction, then records the new current version. Safe to kill at any point and rerun: a row
/// is always on exactly one version, and the current version only advances after every row
/// moved. `stop_after` stops early after that many rows (to test interruption).
///
/// # Errors
/// A row that cannot be opened with the loaded keys, storage failures.
pub async fn rotate<S: SettingsRepo + Sync>(
    settings: &S,
    wallets: &dyn WalletRepo,
    ring: &KeyRing,
    stop_after: Option<u64>,
) -> Result<RotationReport, KeySetupError> {
    let target = ring.current_version();
    let mut report = RotationReport { to_version: target, ..RotationReport::default() };
    loop {
        let batch = wallets.wallets_not_on_version(target, 100).await?;
        if batch.is_empty() {
            break;
        }
        for row in batch {
            if stop_after.is_some_and(|n| report.moved >= n) {
                return Ok(report);
            }
            let pubkey = row
                .record
                .pubkey
                .parse::<Pubkey>()
                .map_err(|_| KeySetupError::Corrupt(format!("wallet {} address", row.record.id)))?;
            let aad = WalletAad {
                user_id: row.record.user_id.0,
                wallet_id: row.record.id,
                pubkey,
                key_version: row.key_version,
            };
            let rotated = ring
                .rotate(&row.sealed, &aad)
                .map_err(|source| KeySetupError::Reseal { wallet_id: row.record.id, source })?;
            if let Some((sealed, _)) = rotated
                && wallets.reseal(row.record.id, row.key_version, &sealed, target).await?
            {
                report.moved += 1;
            }
        }
    }
    settings.put_setting(CURRENT_VERSION_KEY, &target.to_string()).await?;
    report.completed = true;
    Ok(report)
}
