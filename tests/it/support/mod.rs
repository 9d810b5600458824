//! Test support: databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set), the fake
//! Bot API, and `TestApp`, which runs the real `startup::App` against them.

pub mod fake_chain;
pub mod fake_jupiter;
pub mod fake_prices;
pub mod fake_telegram;
pub mod fake_ws;

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;

use quantbot::config::{Config, Needs};
use quantbot::startup::App;
use quantbot::storage::Db;
use secrecy::SecretString;
use tokio::sync::oneshot;

pub use fake_telegram::FakeTelegram;

/// A scratch database for one test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    admin_url: Option<String>,
    name: Option<String>,
}

impl TestDb {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/nested/quantbot.db", dir.path().display());
        Self { url, _dir: Some(dir), admin_url: None, name: None }
    }

    /// A fresh database on the server named by TEST_DATABASE_URL, or `None` (with a notice
    /// written straight to stderr, so it shows even under output capture) when it is not set.
    pub async fn postgres(test: &str) -> Option<Self> {
        let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
            assert!(
                std::env::var("REQUIRE_TEST_DATABASE").is_err(),
                "REQUIRE_TEST_DATABASE is set but TEST_DATABASE_URL is not"
            );
            let _ = writeln!(std::io::stderr(), "NOTICE: {test}: PostgreSQL test SKIPPED (TEST_DATABASE_URL not set)");
            return None;
        };
        sqlx::any::install_default_drivers();
        let admin = sqlx::AnyPool::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but unreachable: {e}"));
        let name = format!("qb_test_{}_{}", std::process::id(), rand_suffix());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .expect("create scratch database");
        admin.close().await;
        let mut url = reqwest::Url::parse(&base).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        Some(Self { url: url.to_string(), _dir: None, admin_url: Some(base), name: Some(name) })
    }

    pub async fn open(&self) -> Db {
        let db = Db::connect(&SecretString::from(self.url.clone())).await.expect("connect");
        db.migrate().await.expect("migrate");
        db
    }

    /// Drops the scratch PostgreSQL database.
    pub async fn cleanup(self) {
        let (Some(admin), Some(name)) = (self.admin_url, self.name) else {
            return;
        };
        if let Ok(pool) = sqlx::AnyPool::connect(&admin).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                .execute(&pool)
                .await;
            pool.close().await;
        }
    }
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    u64::from(nanos) * 1000 + COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
}

/// Runs `$body` (an async fn taking `TestDb`) on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::support::TestDb::sqlite().await;
                super::$name(&db).await;
                db.cleanup().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::support::TestDb::postgres(stringify!($name)).await {
                    super::$name(&db).await;
                    db.cleanup().await;
                }
            }
        }
    };
}

/// The real application wired to the fake Bot API and a scratch database.
pub struct TestApp {
    pub tg: FakeTelegram,
    pub db: Db,
    pub ops: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub async fn spawn(test_db: &TestDb, extra: &[(&str, &str)]) -> Self {
        let tg = FakeTelegram::start().await;
        let mut vars: HashMap<String, String> = [
            ("TELEGRAM_BOT_TOKEN", "123456:TEST-token"),
            ("TELEGRAM_API_URL", tg.url.as_str()),
            ("DATABASE_URL", test_db.url.as_str()),
            ("HTTP_LISTEN", "127.0.0.1:0"),
            ("ADMIN_USER_IDS", "1"),
            // No test may reach the internet: services a test does not fake point at a closed
            // local port (connection refused at once).
            ("JUPITER_API_URL", "http://127.0.0.1:1/swap/v1"),
            ("JUPITER_PRICE_URL", "http://127.0.0.1:1/price/v3"),
            ("HELIUS_SENDER_URL", "http://127.0.0.1:1/fast"),
            // Without HELIUS_RPC_URL the bot reads the chain through the public RPC.
            ("SOLANA_PUBLIC_RPC_URL", "http://127.0.0.1:1/"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (k, v) in extra {
            vars.insert((*k).to_owned(), (*v).to_owned());
        }
        // A fake chain's RPC (`{base}/rpc/{i}`) comes with its Helius Sender (`{base}/fast`):
        // live trades are sandwich-protected by default and go out through the Sender only.
        let fake_sender = vars.get("HELIUS_RPC_URL").and_then(|rpc| fake_chain::sender_url_for(rpc));
        if let Some(sender) = fake_sender.filter(|_| !extra.iter().any(|(k, _)| *k == "HELIUS_SENDER_URL")) {
            vars.insert("HELIUS_SENDER_URL".to_owned(), sender);
        }
        let config = Config::from_vars(&vars, Needs::Bot).expect("config");
        let app = App::build(config).await.expect("build app");
        let db = app.db().clone();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (addr_tx, addr_rx) = oneshot::channel::<SocketAddr>();
        let task = tokio::spawn(async move {
            app.run(
                async move {
                    let _ = stop_rx.await;
                },
                move |addr| {
                    let _ = addr_tx.send(addr);
                },
            )
            .await
        });
        let ops = match addr_rx.await {
            Ok(addr) => addr,
            Err(_) => panic!("app failed to start: {:?}", task.await),
        };
        Self { tg, db, ops, stop: Some(stop_tx), task: Some(task) }
    }

    /// Graceful shutdown; asserts the app stopped cleanly.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let res = tokio::time::timeout(std::time::Duration::from_secs(20), task).await;
            let res = res.expect("app stops within 20 s").expect("app task did not panic");
            res.expect("app returned Ok");
        }
    }
}
