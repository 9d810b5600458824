//! Load harness: the real `quantbot` binary (release build of the bench profile) against the
//! in-repo fakes on 127.0.0.1 — the Bot API with Telegram's limits enforced and the fake chain
//! with the default RPC limiter — measured from outside the process (`/proc/<pid>`: CPU, RSS,
//! sockets) and through the fakes' request logs. Not a criterion bench: every scenario is one
//! run of the whole process, printed as a table row.
//!
//! ```sh
//! cargo bench --bench load -- alert 1000 paper     # alert to 1,000 paper subscribers
//! cargo bench --bench load -- alert 10000 paper
//! cargo bench --bench load -- alert 200 live       # live buys on the fake chain
//! cargo bench --bench load -- commands 1000 10     # 1,000 commands/s for 10 s
//! cargo bench --bench load -- burst 10000          # 10,000 commands at once
//! cargo bench --bench load -- monitor 100000 1000  # 100,000 positions over 1,000 mints
//! ```
//!
//! SQLite by default; `LOAD_ON_POSTGRES=1 TEST_DATABASE_URL=postgres://…/postgres` runs on a
//! scratch PostgreSQL database (created and dropped here).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

#[path = "../tests/it/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use quantbot::app::wallet::{WalletSettings, Wallets};
use quantbot::domain::alert::AlertKind;
use quantbot::domain::alert::rules::SubscriptionSettings;
use quantbot::domain::lang::Lang;
use quantbot::domain::money::Lamports;
use quantbot::domain::user::UserId;
use quantbot::ports::alerts::{AddSource, AlertRepo, NewSource};
use quantbot::ports::{SeenUser, UserRepo};
use quantbot::storage::Db;
use secrecy::SecretString;
use serde_json::json;
use solana_pubkey::Pubkey;
use sqlx::Row;
use support::TestDb;
use support::fake_chain::FakeChain;
use support::fake_chain::pump::{self, Coin};
use support::fake_telegram::FakeTelegram;

const MASTER_HEX: &str = "7e0b7f0f8d7e6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170605f4e3";
const CHANNEL: i64 = -1_001_555_000_111;
const SOL: u64 = 1_000_000_000;
const USER0: i64 = 10_000_000;

/// The bot process and what can be read about it from /proc.
struct Bot {
    child: Child,
    ops: String,
}

impl Bot {
    fn spawn(db_url: &str, tg: &FakeTelegram, chain: &FakeChain, live: bool, extra: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let ops = format!("127.0.0.1:{port}");
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_quantbot"));
        cmd.current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            // Allocator tuning under test (e.g. `MALLOC_ARENA_MAX=2`) passes through.
            .envs(std::env::vars().filter(|(k, _)| k.starts_with("MALLOC_")))
            .env("TELEGRAM_BOT_TOKEN", "123456:LOAD-token")
            .env("TELEGRAM_API_URL", &tg.url)
            .env("DATABASE_URL", db_url)
            .env("HELIUS_RPC_URL", chain.rpc_url(0))
            .env("HELIUS_SENDER_URL", chain.sender_url())
            .env("WALLET_MASTER_KEY", MASTER_HEX)
            .env("DRY_RUN", if live { "false" } else { "true" })
            .env("HTTP_LISTEN", &ops)
            .env("JUPITER_API_URL", "http://127.0.0.1:1/swap/v1")
            .env("LOG_FORMAT", "pretty")
            .env("RUST_LOG", std::env::var("LOAD_RUST_LOG").unwrap_or_else(|_| "warn".to_owned()))
            .stdout(Stdio::from(
                std::fs::File::create(
                    std::env::var("LOAD_BOT_LOG").unwrap_or_else(|_| "/tmp/quantbot-load.log".to_owned()),
                )
                .unwrap(),
            ))
            .stderr(Stdio::piped());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        std::mem::forget(dir);
        let stderr = child.stderr.take().unwrap();
        // The log goes to LOAD_BOT_LOG (default /tmp/quantbot-load.log); stderr errors here.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("ERROR") || line.contains("panicked") {
                    eprintln!("bot: {line}");
                }
            }
        });
        Self { child, ops }
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(r) = reqwest::get(format!("http://{}/healthz", self.ops)).await
                && r.status().is_success()
            {
                return;
            }
            assert!(Instant::now() < deadline, "the bot did not become healthy");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn metrics(&self) -> String {
        reqwest::get(format!("http://{}/metrics", self.ops)).await.unwrap().text().await.unwrap()
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// User + system CPU of every thread, in milliseconds (10 ms resolution).
    fn cpu_ms(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap();
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<&str> = after.split_whitespace().collect();
        let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
        ticks * 1000 / clock_ticks()
    }

    fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    fn rss_mib(&self) -> f64 {
        self.status_kib("VmRSS:") as f64 / 1024.0
    }

    fn peak_rss_mib(&self) -> f64 {
        self.status_kib("VmHWM:") as f64 / 1024.0
    }

    fn sockets(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| std::fs::read_link(e.path()).is_ok_and(|l| l.to_string_lossy().starts_with("socket:")))
                    .count()
            })
            .unwrap_or(0)
    }

    fn stop(mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.pid().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn clock_ticks() -> u64 {
    let out = Command::new("getconf").arg("CLK_TCK").output().ok();
    out.and_then(|o| String::from_utf8(o.stdout).ok()).and_then(|s| s.trim().parse().ok()).unwrap_or(100)
}

async fn scratch_db() -> TestDb {
    if std::env::var("LOAD_ON_POSTGRES").is_ok() {
        return TestDb::postgres("load").await.expect("LOAD_ON_POSTGRES needs TEST_DATABASE_URL");
    }
    TestDb::sqlite().await
}

async fn wallets(db: &Db) -> Wallets {
    let master = quantbot::config::MasterKeySource::Hex(SecretString::from(MASTER_HEX));
    let ring = Arc::new(quantbot::app::keys::load_key_ring(db, &master, None).await.unwrap());
    let port = Arc::new(db.clone());
    let chain: Arc<dyn quantbot::ports::ChainClient> = Arc::new(
        quantbot::solana::helius::HeliusClient::new(
            quantbot::solana::helius::HeliusConfig::new(vec![SecretString::from("http://127.0.0.1:1/rpc")]),
            None,
        )
        .unwrap(),
    );
    Wallets::new(
        port.clone(),
        chain,
        Some(ring),
        port,
        Arc::new(quantbot::ports::SystemClock),
        WalletSettings { withdraw_limit_per_hour: Lamports(SOL), dry_run: true },
    )
}

/// `n` traders with trading enabled (live: dry-run off), a funded wallet each, subscribed to
/// one channel at 0.01 SOL.
async fn seed_subscribers(db: &Db, chain: &FakeChain, n: usize, live: bool) -> i64 {
    let new = NewSource {
        chat_id: CHANNEL,
        username: Some("load_calls".into()),
        kind: AlertKind::CaDrop,
        name: "load".into(),
        created_by: UserId(1),
    };
    let AddSource::Added(source) = db.add_source(&new).await.unwrap() else { panic!("source") };
    let w = wallets(db).await;
    let settings = SubscriptionSettings::default().apply(&["sol=0.01"]).unwrap();
    let started = Instant::now();
    for i in 0..n {
        let id = USER0 + i as i64;
        let seen = SeenUser { id: UserId(id), chat_id: id, username: None, lang: Lang::En, is_config_admin: false };
        db.register(&seen).await.unwrap();
        let mut config = db.config(UserId(id)).await.unwrap();
        config.trading_enabled = true;
        config.dry_run = !live;
        db.save_config(UserId(id), &config).await.unwrap();
        let wallet = w.add(UserId(id)).await.unwrap();
        chain.fund(&wallet.pubkey.parse::<Pubkey>().unwrap(), 5 * SOL);
        db.subscribe(UserId(id), source.id, &settings).await.unwrap();
    }
    println!("seeded {n} subscribers in {:.1} s", started.elapsed().as_secs_f64());
    source.id
}

fn deep_coin(chain: &FakeChain) -> Coin {
    let mut curve = pump::fresh_curve(Pubkey::new_unique());
    curve.real_quote_reserves = 5 * SOL;
    pump::seed_coin(chain, quantbot::solana::ids::TOKEN_PROGRAM, &curve)
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(db.pool()).await.map(|r| r.get::<i64, _>(0)).unwrap_or(0)
}

/// One channel post to `n` subscribers.
async fn alert(n: usize, live: bool) {
    let test_db = scratch_db().await;
    let db = test_db.open().await;
    let chain = FakeChain::start().await;
    pump::install(&chain);
    let coin = deep_coin(&chain);
    seed_subscribers(&db, &chain, n, live).await;
    let tg = FakeTelegram::start().await;
    tg.enforce_limits(30, Duration::from_secs(1)).await;
    let bot = Bot::spawn(&test_db.url, &tg, &chain, live, &[]);
    bot.wait_ready().await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    let rss_idle = bot.rss_mib();
    // LOAD_PERF=<file>: a CPU profile of the bot over the fan-out (`perf report -i <file>`).
    let perf = std::env::var("LOAD_PERF").ok().map(|out| {
        Command::new("perf")
            .args(["record", "-F", "2000", "-g", "-o", &out, "-p", &bot.pid().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    });
    if perf.is_some() {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let requests_before = chain.requests().len();
    let cpu_before = bot.cpu_ms();
    let posted_ms = chrono::Utc::now().timestamp_millis();
    let posted = Instant::now();
    tg.push_update(json!({"channel_post": {
        "message_id": 7001,
        "sender_chat": {"id": CHANNEL, "title": "Load Calls", "username": "load_calls", "type": "channel"},
        "chat": {"id": CHANNEL, "title": "Load Calls", "username": "load_calls", "type": "channel"},
        "date": chrono::Utc::now().timestamp(),
        "text": format!("CA: {}", coin.mint),
    }}))
    .await;

    // Done when every subscriber's intent is final (a fill or a failure).
    let deadline = Instant::now() + Duration::from_secs(1_800);
    let mut last_progress = (0, Instant::now());
    let (trades, done_at) = loop {
        let trades = count(&db, "SELECT COUNT(*) FROM trades").await;
        let open =
            count(&db, "SELECT COUNT(*) FROM trade_intents WHERE state IN ('pending','signed','sent','unknown')").await;
        let intents = count(&db, "SELECT COUNT(*) FROM trade_intents").await;
        if intents as usize >= n && open == 0 {
            break (trades, posted.elapsed());
        }
        if intents > last_progress.0 {
            last_progress = (intents, Instant::now());
        }
        if last_progress.1.elapsed() > Duration::from_secs(60) {
            println!("STALLED: no progress for 60 s: {intents} intents, {open} unfinished, {trades} trades");
            break (trades, posted.elapsed());
        }
        assert!(Instant::now() < deadline, "not done within 30 min");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let cpu = bot.cpu_ms() - cpu_before;
    if let Some(perf) = perf {
        let _ = Command::new("kill").arg("-INT").arg(perf.id().to_string()).status();
        let _ = perf.wait_with_output();
    }
    let failed = count(&db, "SELECT COUNT(*) FROM trade_intents WHERE state IN ('failed','expired')").await;
    let first_trade_ms = count(&db, "SELECT MIN(created_at) FROM trades").await;
    let last_trade_ms = count(&db, "SELECT MAX(created_at) FROM trades").await;
    let states: Vec<(String, i64)> =
        sqlx::query("SELECT state, COUNT(*) FROM trade_intents GROUP BY state ORDER BY state")
            .fetch_all(db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    println!("intent states: {states:?}");
    let requests = chain.requests()[requests_before..].to_vec();
    let is_send = |m: &str| m == "sendTransaction" || m == "sender";
    let first_send = requests.iter().position(|r| is_send(&r.method));
    let reads_before_first = first_send.map_or(requests.len(), |i| i);
    let first_tx = match first_send {
        Some(i) => requests[i].at.duration_since(posted).as_secs_f64() * 1000.0,
        None => (first_trade_ms - posted_ms) as f64,
    };
    let last_tx = match requests.iter().rposition(|r| is_send(&r.method)) {
        Some(i) => requests[i].at.duration_since(posted).as_secs_f64() * 1000.0,
        None => (last_trade_ms - posted_ms) as f64,
    };
    let mut by_method: std::collections::BTreeMap<String, usize> = Default::default();
    for r in &requests {
        *by_method.entry(r.method.clone()).or_default() += 1;
    }
    let mode = if live { "live" } else { "paper" };
    println!(
        "alert {mode} N={n}: first tx {first_tx:.0} ms, last tx {last_tx:.0} ms, all final {:.2} s; \
         trades {trades} (lost {}, failed {failed}); RPC reads before the first send {reads_before_first} \
         (target <= {}); RPC total {} {by_method:?}; bot CPU {cpu} ms = {:.0} us/subscriber; \
         RSS idle {rss_idle:.1} MiB, peak {:.1} MiB",
        done_at.as_secs_f64(),
        n as i64 - trades,
        1 + n.div_ceil(100),
        requests.len(),
        cpu as f64 * 1000.0 / n as f64,
        bot.peak_rss_mib(),
    );
    bot.stop();
    test_db.cleanup().await;
}

/// Histogram quantile from Prometheus buckets (upper bound of the bucket holding it).
fn quantile(metrics: &str, name: &str, q: f64) -> Option<f64> {
    let mut buckets: Vec<(f64, f64)> = Vec::new();
    for line in metrics.lines().filter(|l| l.starts_with(&format!("{name}_bucket"))) {
        let le = line.split("le=\"").nth(1)?.split('"').next()?;
        let le = if le == "+Inf" { f64::INFINITY } else { le.parse().ok()? };
        let v: f64 = line.rsplit(' ').next()?.parse().ok()?;
        match buckets.iter_mut().find(|(b, _)| *b == le) {
            Some(slot) => slot.1 += v,
            None => buckets.push((le, v)),
        }
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = buckets.last()?.1;
    buckets.into_iter().find(|(_, c)| *c >= total * q).map(|(le, _)| le)
}

/// Commands from distinct users at `rate` per second for `secs` seconds (`burst`: all at once).
async fn commands(total: usize, rate: Option<usize>) {
    let test_db = scratch_db().await;
    let db = test_db.open().await;
    let chain = FakeChain::start().await;
    pump::install(&chain);
    let tg = FakeTelegram::start().await;
    tg.enforce_limits(30, Duration::from_secs(1)).await;
    let bot = Bot::spawn(&test_db.url, &tg, &chain, false, &[]);
    bot.wait_ready().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle = bot.rss_mib();
    let before = tg.delivered_total().await;
    let started = Instant::now();
    let commands = ["/start", "/help", "/livetrade status", "/positions", "/language"];
    for i in 0..total {
        if let Some(rate) = rate {
            let due = started + Duration::from_secs_f64(i as f64 / rate as f64);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                tokio::time::sleep(wait).await;
            }
        }
        let user = USER0 + (i % 5_000) as i64 + if rate.is_none() { i as i64 } else { 0 };
        tg.send_private(user, "en", commands[i % commands.len()]).await;
    }
    let pushed = started.elapsed();
    let mut peak_sockets = 0;
    let mut peak_rss: f64 = 0.0;
    let deadline = Instant::now() + Duration::from_secs(3_600);
    let mut last = (0, Instant::now());
    loop {
        let delivered = tg.delivered_total().await - before;
        peak_sockets = peak_sockets.max(bot.sockets());
        peak_rss = peak_rss.max(bot.rss_mib());
        if delivered >= total {
            break;
        }
        if delivered > last.0 {
            last = (delivered, Instant::now());
        }
        assert!(last.1.elapsed() < Duration::from_secs(60), "replies stalled at {delivered}/{total}");
        assert!(Instant::now() < deadline, "not all replies within an hour");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drained = started.elapsed();
    let metrics = bot.metrics().await;
    let p50 = quantile(&metrics, "quantbot_command_duration_seconds", 0.5).unwrap_or(f64::NAN) * 1000.0;
    let p99 = quantile(&metrics, "quantbot_command_duration_seconds", 0.99).unwrap_or(f64::NAN) * 1000.0;
    let violations = tg.violations().await.len();
    let users = count(&db, "SELECT COUNT(*) FROM users").await;
    // Memory after the last reply: sampled for 60 s.
    let mut rss_after = Vec::new();
    for _ in 0..12 {
        tokio::time::sleep(Duration::from_secs(5)).await;
        rss_after.push(bot.rss_mib());
    }
    let label = rate.map_or_else(|| format!("burst of {total}"), |r| format!("{r}/s for {} s", total / r.max(1)));
    println!(
        "commands {label}: pushed in {:.2} s, all {total} replies delivered after {:.1} s (0 lost), \
         {violations} limit violations; handler p50 <= {p50:.0} ms, p99 <= {p99:.0} ms; users {users}; \
         sockets peak {peak_sockets}; RSS idle {rss_idle:.1} MiB, peak {peak_rss:.1} MiB, \
         60 s after the last reply {:.1} MiB",
        pushed.as_secs_f64(),
        drained.as_secs_f64(),
        rss_after.last().copied().unwrap_or(0.0),
    );
    bot.stop();
    test_db.cleanup().await;
}

/// `positions` open paper positions over `mints` Pump.fun mints; ticks measured from outside.
async fn monitor(positions: usize, mints: usize) {
    use quantbot::domain::position::{Fees, Fill};
    use quantbot::ports::{FillRecord, PositionRepo};
    let test_db = scratch_db().await;
    let db = test_db.open().await;
    let chain = FakeChain::start().await;
    pump::install(&chain);
    let coins: Vec<Coin> = (0..mints).map(|_| deep_coin(&chain)).collect();
    let users = positions.div_ceil(10);
    let started = Instant::now();
    let rules = quantbot::domain::exit::ExitRules::from_config(&quantbot::domain::user_config::UserConfig::default());
    for u in 0..users {
        let id = USER0 + u as i64;
        let seen = SeenUser { id: UserId(id), chat_id: id, username: None, lang: Lang::En, is_config_admin: false };
        db.register(&seen).await.unwrap();
    }
    let now = chrono::Utc::now().timestamp_millis();
    for p in 0..positions {
        let user = UserId(USER0 + (p % users) as i64);
        let coin = &coins[p % mints];
        let stored = quantbot::app::trade::StoredExit {
            rules: rules.clone(),
            progress: quantbot::domain::exit::ExitProgress { tp_done: 0, initial_tokens: 300_000_000_000 },
            exits_off: false,
        };
        let record = FillRecord {
            intent_id: None,
            user,
            wallet_id: None,
            position_id: None,
            mint: coin.mint.to_string(),
            decimals: 6,
            is_paper: true,
            fill: Fill {
                side: quantbot::domain::position::Side::Buy,
                sol: Lamports(10_000_000),
                tokens: 300_000_000_000,
                fees: Fees::default(),
                at_ms: now,
            },
            price: None,
            signature: None,
            exit_rules: serde_json::to_string(&stored).ok(),
            source: Some("load".into()),
        };
        db.record_fill(&record).await.unwrap();
    }
    println!("seeded {positions} positions for {users} users in {:.1} s", started.elapsed().as_secs_f64());
    let tg = FakeTelegram::start().await;
    let bot = Bot::spawn(&test_db.url, &tg, &chain, false, &[("MONITOR_INTERVAL_MS", "1000")]);
    bot.wait_ready().await;
    let ticks_of = |m: &str| {
        m.lines()
            .find(|l| l.starts_with("quantbot_monitor_tick_duration_seconds_count"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0) as u64
    };
    // Warm-up: the first ticks load the mints' decimals.
    while ticks_of(&bot.metrics().await) < 3 {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let m0 = bot.metrics().await;
    let (t0, r0, c0) = (ticks_of(&m0), chain.requests().len(), bot.cpu_ms());
    tokio::time::sleep(Duration::from_secs(20)).await;
    let m1 = bot.metrics().await;
    let (t1, r1, c1) = (ticks_of(&m1), chain.requests().len(), bot.cpu_ms());
    let ticks = (t1 - t0).max(1);
    let mut by_method: std::collections::BTreeMap<String, usize> = Default::default();
    for r in &chain.requests()[r0..r1] {
        *by_method.entry(r.method.clone()).or_default() += 1;
    }
    let wall_p50 = quantile(&m1, "quantbot_monitor_tick_duration_seconds", 0.5).unwrap_or(f64::NAN) * 1000.0;
    println!(
        "monitor {positions} positions / {mints} mints: {ticks} ticks in 20 s, RPC calls per tick {:.1} \
         {by_method:?}; process CPU per tick {:.1} ms (everything the process did, an upper bound); \
         tick wall p50 <= {wall_p50:.0} ms; RSS {:.1} MiB",
        (r1 - r0) as f64 / ticks as f64,
        (c1 - c0) as f64 / ticks as f64,
        bot.rss_mib(),
    );
    bot.stop();
    test_db.cleanup().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; the scenario follows it.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let num = |i: usize, default: usize| args.get(i).and_then(|v| v.parse().ok()).unwrap_or(default);
    match args.first().map(String::as_str) {
        Some("alert") => alert(num(1, 1_000), args.get(2).is_some_and(|m| m == "live")).await,
        Some("commands") => {
            let rate = num(1, 1_000);
            commands(rate * num(2, 10), Some(rate)).await;
        }
        Some("burst") => commands(num(1, 10_000), None).await,
        Some("monitor") => monitor(num(1, 100_000), num(2, 1_000)).await,
        _ => {
            println!("scenarios: alert N paper|live, commands RATE SECS, burst N, monitor POSITIONS MINTS");
        }
    }
}
