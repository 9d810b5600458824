//! Master keys at start (hex and Argon2id passphrase, key check) and `rotate-master-key`
//! (interrupted and rerun), on both databases. Also runs the real binary's subcommand.

use std::collections::HashMap;
use std::time::Instant;

use quantbot::app::keys::{CURRENT_VERSION_KEY, KeySetupError, load_key_ring};
use quantbot::config::{Config, MasterKeySource, Needs};
use quantbot::domain::lang::Lang;
use quantbot::domain::user::UserId;
use quantbot::ports::{SeenUser, UserRepo, WalletRepo};
use quantbot::startup::{App, rotate_master_key};
use quantbot::storage::{Db, SettingsRepo};
use quantbot::wallet::{KeyRing, Sealed, SecretKeyBytes, WalletAad};
use secrecy::SecretString;
use solana_pubkey::Pubkey;
use sqlx::Row;

use crate::on_both_databases;
use crate::support::TestDb;

const KEY_A: &str = "aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11";
const KEY_B: &str = "bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22";

fn hex(k: &str) -> MasterKeySource {
    MasterKeySource::Hex(SecretString::from(k.to_owned()))
}

fn config(db: &TestDb, vars: &[(&str, &str)]) -> Config {
    let mut map: HashMap<String, String> = HashMap::new();
    map.insert("DATABASE_URL".into(), db.url.clone());
    map.insert("TELEGRAM_BOT_TOKEN".into(), "123456:TEST-token".into());
    map.insert("HTTP_LISTEN".into(), "127.0.0.1:0".into());
    for (k, v) in vars {
        map.insert((*k).to_owned(), (*v).to_owned());
    }
    Config::from_vars(&map, Needs::DatabaseOnly).unwrap()
}

async fn register(db: &Db, id: i64) {
    let seen = SeenUser { id: UserId(id), chat_id: id, username: None, lang: Lang::En, is_config_admin: false };
    db.register(&seen).await.unwrap();
}

/// Opens every row (removed ones too) with `ring`; returns how many rows are on each version.
async fn open_all(db: &Db, ring: &KeyRing) -> HashMap<i64, usize> {
    let rows = sqlx::query("SELECT id, user_id, pubkey, ciphertext, nonce, key_version FROM wallets")
        .fetch_all(db.pool())
        .await
        .unwrap();
    let mut versions = HashMap::new();
    for row in rows {
        let pubkey: Pubkey = row.get::<String, _>("pubkey").parse().unwrap();
        let version: i64 = row.get("key_version");
        let aad = WalletAad {
            user_id: row.get("user_id"),
            wallet_id: row.get("id"),
            pubkey,
            key_version: i32::try_from(version).unwrap(),
        };
        let nonce: Vec<u8> = row.get("nonce");
        let sealed = Sealed { ciphertext: row.get("ciphertext"), nonce: nonce.try_into().unwrap() };
        let secret = ring.open(&sealed, &aad).expect("row opens");
        assert_eq!(secret.pubkey(), pubkey);
        *versions.entry(version).or_insert(0) += 1;
    }
    versions
}

async fn rotation_can_be_interrupted_and_rerun_without_losing_a_row(db: &TestDb) {
    let d = db.open().await;
    register(&d, 1).await;
    register(&d, 2).await;
    let ring = load_key_ring(&d, &hex(KEY_A), None).await.unwrap();
    for user in [1, 2, 1, 2, 1] {
        let secret = SecretKeyBytes::generate();
        let seal = |id: i64| ring.seal(&secret, user, id).map(|(s, aad)| (s, aad.key_version));
        d.insert_wallet(UserId(user), &secret.pubkey().to_string(), &seal).await.unwrap();
    }
    let first = d.list_wallets(UserId(1)).await.unwrap()[0].id;
    assert!(d.remove_wallet(UserId(1), first).await.unwrap());
    assert_eq!(open_all(&d, &ring).await, HashMap::from([(1, 5)]));

    // Interrupted after two rows: each row is on exactly one version, the current version has
    // not moved, and a bot running with both keys opens every row.
    let both = config(db, &[("WALLET_MASTER_KEY", KEY_A), ("WALLET_NEW_MASTER_KEY", KEY_B)]);
    let report = rotate_master_key(&both, &d, Some(2)).await.unwrap();
    assert_eq!((report.moved, report.completed, report.to_version), (2, false, 2));
    assert_eq!(d.get_setting(CURRENT_VERSION_KEY).await.unwrap().as_deref(), Some("1"));
    let bot_ring = load_key_ring(&d, &hex(KEY_A), Some(&hex(KEY_B))).await.unwrap();
    assert_eq!(bot_ring.current_version(), 2);
    assert_eq!(open_all(&d, &bot_ring).await, HashMap::from([(1, 3), (2, 2)]));
    // A wallet added mid-rotation is sealed under the new key.
    let secret = SecretKeyBytes::generate();
    let seal = |id: i64| bot_ring.seal(&secret, 2, id).map(|(s, aad)| (s, aad.key_version));
    d.insert_wallet(UserId(2), &secret.pubkey().to_string(), &seal).await.unwrap();

    // Rerun to completion, then once more (nothing to do).
    let report = rotate_master_key(&both, &d, None).await.unwrap();
    assert_eq!((report.moved, report.completed), (3, true));
    assert_eq!(d.get_setting(CURRENT_VERSION_KEY).await.unwrap().as_deref(), Some("2"));
    let report = rotate_master_key(&both, &d, None).await.unwrap();
    assert_eq!((report.moved, report.completed), (0, true));
    assert_eq!(open_all(&d, &bot_ring).await, HashMap::from([(2, 6)]));

    // Afterwards the new key alone runs the bot; the old key is refused with a clear error.
    let new_only = load_key_ring(&d, &hex(KEY_B), None).await.unwrap();
    assert_eq!(new_only.current_version(), 2);
    assert_eq!(open_all(&d, &new_only).await, HashMap::from([(2, 6)]));
    let err = load_key_ring(&d, &hex(KEY_A), None).await.unwrap_err();
    assert!(matches!(err, KeySetupError::WrongKey { var: "WALLET_MASTER_KEY", version: 2 }), "{err}");
    // Rotation without a new key says which variable to set.
    let err = rotate_master_key(&config(db, &[("WALLET_MASTER_KEY", KEY_B)]), &d, None).await.unwrap_err();
    assert!(format!("{err:#}").contains("WALLET_NEW_MASTER_KEY"), "{err:#}");
    d.close().await;
}
on_both_databases!(rotation_can_be_interrupted_and_rerun_without_losing_a_row);

async fn a_wrong_master_key_stops_startup_with_one_clear_line(db: &TestDb) {
    let app = App::build(config(db, &[("WALLET_MASTER_KEY", KEY_A)])).await.unwrap();
    let check = app.db().get_setting("wallet.key_check.v1").await.unwrap().expect("key check written at first start");
    assert_eq!(check.len(), 64);
    assert!(!check.contains(KEY_A));
    app.db().close().await;
    let err = App::build(config(db, &[("WALLET_MASTER_KEY", KEY_B)])).await.unwrap_err();
    let line = format!("{err:#}");
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(line.contains("WALLET_MASTER_KEY does not match the master key that encrypted the wallets"), "{line}");
    assert!(!line.contains(KEY_A) && !line.contains(KEY_B));
    App::build(config(db, &[("WALLET_MASTER_KEY", KEY_A)])).await.unwrap().db().close().await;
}
on_both_databases!(a_wrong_master_key_stops_startup_with_one_clear_line);

/// Runs Argon2id (m = 64 MiB, t = 3, p = 4) through the real start-up path and prints its time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passphrase_master_key_uses_argon2id_with_stored_parameters() {
    let db = TestDb::sqlite().await;
    let pass = "correct horse battery staple";
    let started = Instant::now();
    let app = App::build(config(&db, &[("WALLET_MASTER_PASSPHRASE", pass)])).await.unwrap();
    eprintln!("argon2id m=65536 KiB t=3 p=4 at start-up took {:?} (this build profile)", started.elapsed());
    let kdf = app.db().get_setting("wallet.kdf.v1").await.unwrap().expect("kdf params stored");
    let params: serde_json::Value = serde_json::from_str(&kdf).unwrap();
    assert_eq!(
        (params["m_cost_kib"].as_u64(), params["t_cost"].as_u64(), params["p_cost"].as_u64()),
        (Some(65_536), Some(3), Some(4))
    );
    app.db().close().await;
    App::build(config(&db, &[("WALLET_MASTER_PASSPHRASE", pass)])).await.unwrap().db().close().await;
    let err = App::build(config(&db, &[("WALLET_MASTER_PASSPHRASE", "a different passphrase")])).await.unwrap_err();
    assert!(format!("{err:#}").contains("WALLET_MASTER_PASSPHRASE does not match"), "{err:#}");
}

#[test]
fn rotate_master_key_subcommand_runs_from_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/q.db", dir.path().display());
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_quantbot"));
        cmd.current_dir(dir.path()).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
        cmd.env("DATABASE_URL", &url).env("RUST_LOG", "warn").arg("rotate-master-key");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = run(&[("WALLET_MASTER_KEY", KEY_A)]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("WALLET_NEW_MASTER_KEY"), "{stderr}");
    let out = run(&[("WALLET_MASTER_KEY", KEY_A), ("WALLET_NEW_MASTER_KEY", KEY_B)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("master key version is now 2"));
    // A rerun after completion (e.g. killed before it printed) is a no-op.
    let out = run(&[("WALLET_MASTER_KEY", KEY_A), ("WALLET_NEW_MASTER_KEY", KEY_B)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 wallet(s) re-encrypted, master key version is now 2"));
    // The old key no longer opens anything, and a key that matches no version is refused.
    let other = "cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33cc33";
    let out = run(&[("WALLET_MASTER_KEY", KEY_A), ("WALLET_NEW_MASTER_KEY", other)]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not match"));
}
