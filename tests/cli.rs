//! The `quantbot` binary as a user runs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn quantbot(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quantbot"));
    cmd.current_dir(dir).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd
}

#[test]
fn missing_token_exits_with_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let out = quantbot(dir.path()).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("TELEGRAM_BOT_TOKEN") && stderr.contains(".env.example"), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
}

#[test]
fn empty_token_from_env_example_is_treated_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example"), dir.path().join(".env")).unwrap();
    let out = quantbot(dir.path()).arg("run").output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("TELEGRAM_BOT_TOKEN is not set"), "{stderr}");
}

#[test]
fn migrate_creates_the_sqlite_file_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let out = quantbot(dir.path()).arg("migrate").env("RUST_LOG", "warn").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("data/quantbot.db").exists(), "default sqlite://data/quantbot.db was not created");
}

#[test]
fn help_lists_the_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let out = quantbot(dir.path()).arg("--help").output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("run") && stdout.contains("migrate"), "{stdout}");
}

#[test]
fn bad_config_values_are_reported_without_echoing_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out = quantbot(dir.path())
        .env("TELEGRAM_BOT_TOKEN", "123:abc")
        .env("WALLET_MASTER_KEY", "not-hex-SECRET")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("WALLET_MASTER_KEY"), "{stderr}");
    assert!(!stderr.contains("not-hex-SECRET"), "{stderr}");
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn live_trading_without_helius_and_master_key_refuses_to_start_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let out = quantbot(dir.path()).env("TELEGRAM_BOT_TOKEN", "123:abc").env("DRY_RUN", "false").output().unwrap();
    assert!(!out.status.success());
    let stderr = stderr_of(&out);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("DRY_RUN=false"), "{stderr}");
    assert!(stderr.contains("HELIUS_API_KEY or HELIUS_RPC_URL"), "{stderr}");
    assert!(stderr.contains("WALLET_MASTER_KEY or WALLET_MASTER_PASSPHRASE"), "{stderr}");
    // With the RPC given, only the key is missing.
    let out = quantbot(dir.path())
        .env("TELEGRAM_BOT_TOKEN", "123:abc")
        .env("DRY_RUN", "false")
        .env("HELIUS_API_KEY", "SECRET-helius-key")
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("WALLET_MASTER_KEY") && !stderr.contains("HELIUS_API_KEY"), "{stderr}");
    assert!(!stderr.contains("SECRET-helius-key"), "{stderr}");
}

#[test]
fn a_database_holding_wallets_refuses_to_start_without_the_master_key() {
    use quantbot::domain::lang::Lang;
    use quantbot::domain::user::UserId;
    use quantbot::ports::{SeenUser, UserRepo, WalletRepo};
    use quantbot::wallet::SecretKeyBytes;

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/q.db", dir.path().display());
    const KEY: &str = "aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11";
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let db = quantbot::storage::Db::connect(&secrecy::SecretString::from(url.clone())).await.unwrap();
        db.migrate().await.unwrap();
        let master = quantbot::config::MasterKeySource::Hex(secrecy::SecretString::from(KEY.to_owned()));
        let ring = quantbot::app::keys::load_key_ring(&db, &master, None).await.unwrap();
        let seen = SeenUser { id: UserId(7), chat_id: 7, username: None, lang: Lang::En, is_config_admin: false };
        db.register(&seen).await.unwrap();
        let secret = SecretKeyBytes::generate();
        let seal = |id: i64| ring.seal(&secret, 7, id).map(|(s, aad)| (s, aad.key_version));
        db.insert_wallet(UserId(7), &secret.pubkey().to_string(), &seal).await.unwrap();
        db.close().await;
    });
    let started = std::time::Instant::now();
    let out = quantbot(dir.path())
        .env("TELEGRAM_BOT_TOKEN", "123:abc")
        .env("DATABASE_URL", &url)
        // Never reached: the refusal comes before any network.
        .env("TELEGRAM_API_URL", "http://127.0.0.1:1")
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = stderr_of(&out);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("holds wallets") && stderr.contains("WALLET_MASTER_KEY"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn unreachable_postgres_is_named_by_host_and_port_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    let started = std::time::Instant::now();
    let out = quantbot(dir.path())
        .arg("migrate")
        .env("DATABASE_URL", "postgres://bot:SECRET-pw@127.0.0.1:1/quantbot")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = stderr_of(&out);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("PostgreSQL at 127.0.0.1:1") && stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(!stderr.contains("SECRET-pw"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(8), "took {:?}", started.elapsed());
}

#[test]
fn an_unusable_sqlite_folder_is_named_by_its_path() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the folder should be: no user, root included, can create the database there.
    std::fs::write(dir.path().join("data"), b"not a folder").unwrap();
    let out = quantbot(dir.path()).arg("migrate").env("DATABASE_URL", "sqlite://data/q.db").output().unwrap();
    assert!(!out.status.success());
    let stderr = stderr_of(&out);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("database folder data") && stderr.contains("DATABASE_URL"), "{stderr}");

    // A read-only folder (a root-owned bind mount); root ignores modes, so only checked as a user.
    use std::os::unix::fs::PermissionsExt as _;
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::write(ro.join("probe"), b"").is_ok() {
        eprintln!("running as root: the read-only folder case cannot be observed here");
        return;
    }
    let out = quantbot(dir.path()).arg("migrate").env("DATABASE_URL", "sqlite://ro/q.db").output().unwrap();
    let stderr = stderr_of(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("database folder ro is not writable"), "{stderr}");
}

#[test]
fn a_sqlite_url_without_a_file_is_refused_instead_of_using_a_throwaway_database() {
    let dir = tempfile::tempdir().unwrap();
    for url in ["sqlite:", "sqlite::memory:"] {
        let out = quantbot(dir.path()).arg("migrate").env("DATABASE_URL", url).output().unwrap();
        assert!(!out.status.success(), "{url}");
        let stderr = stderr_of(&out);
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains("DATABASE_URL") && stderr.contains("no database file"), "{url}: {stderr}");
    }
}

/// A one-shot HTTP server on 127.0.0.1 answering every request with `status` and `body`.
fn canned_http(status: &'static str, body: &'static str) -> std::net::SocketAddr {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 2048];
            let _ = stream.read(&mut buf);
            let reply = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    addr
}

#[test]
fn healthcheck_subcommand_passes_only_on_a_healthy_answer() {
    let dir = tempfile::tempdir().unwrap();
    let ok = canned_http("200 OK", r#"{"status":"ok"}"#);
    let out = quantbot(dir.path()).arg("healthcheck").env("HTTP_LISTEN", ok.to_string()).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(r#""status":"ok""#));

    let degraded = canned_http("503 Service Unavailable", r#"{"status":"degraded","rpc":{"answers":false}}"#);
    let out = quantbot(dir.path()).arg("healthcheck").env("HTTP_LISTEN", degraded.to_string()).output().unwrap();
    assert!(!out.status.success());
    assert!(stderr_of(&out).contains("503") && stderr_of(&out).contains("degraded"), "{}", stderr_of(&out));

    // A wildcard listen address is probed on loopback; nothing listening there fails fast.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = quantbot(dir.path()).arg("healthcheck").env("HTTP_LISTEN", format!("0.0.0.0:{closed}")).output().unwrap();
    assert!(!out.status.success());
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains(&format!("http://127.0.0.1:{closed}/healthz")) && stderr.contains("HTTP_LISTEN"),
        "{stderr}"
    );
}

/// Keys set by `ENV` lines in the Dockerfile.
fn dockerfile_env_keys() -> Vec<String> {
    let dockerfile = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Dockerfile")).unwrap();
    let mut keys = Vec::new();
    let mut in_env = false;
    for line in dockerfile.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("ENV ") {
            in_env = true;
            keys.extend(rest.split_whitespace().filter_map(|kv| kv.split_once('=').map(|(k, _)| k.to_owned())));
        } else if in_env {
            keys.extend(line.split_whitespace().filter_map(|kv| kv.split_once('=').map(|(k, _)| k.to_owned())));
        }
        if !line.ends_with('\\') {
            in_env = false;
        }
    }
    keys
}

#[test]
fn the_images_environment_wins_over_a_copied_env_example() {
    // `docker run --env-file .env` overrides the image's ENV, so .env.example must leave the
    // image's settings (listen address, database path, log format) unset.
    let keys = dockerfile_env_keys();
    assert!(keys.contains(&"HTTP_LISTEN".to_owned()), "{keys:?}");
    let example = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example")).unwrap();
    let set: Vec<&str> = example
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .collect();
    for key in &keys {
        assert!(!set.contains(&key.as_str()), ".env.example sets {key}, which would override the image's ENV");
        assert!(example.contains(&format!("# {key}=")), ".env.example should still document {key}");
    }
    let dockerfile = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Dockerfile")).unwrap();
    assert!(dockerfile.contains("HTTP_LISTEN=0.0.0.0:9090"), "the image listens on all interfaces");
    assert!(dockerfile.contains("HEALTHCHECK") && dockerfile.contains("healthcheck"), "HEALTHCHECK via the subcommand");
}
