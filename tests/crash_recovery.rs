//! Crash safety with a real `kill -9` of the `quantbot` binary at each step of a live buy:
//! after the intent insert, after sign + persist, after the first send, after confirmation
//! before the position write, and before the notification. After a restart: zero duplicate buys
//! on the fake chain, zero landed buys without a position, every intent resolved.
//!
//! Its own test binary: it spawns processes and reads their stderr.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "it/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use quantbot::domain::user::UserId;
use quantbot::ports::{IntentRepo, PositionRepo, WalletRepo};
use secrecy::SecretString;
use solana_pubkey::Pubkey;
use support::fake_chain::FakeChain;
use support::fake_chain::pump::{self, Coin};
use support::fake_telegram::FakeTelegram;
use support::{TestApp, TestDb};

const MASTER_HEX: &str = "7e0b7f0f8d7e6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170605f4e3";
const ALICE: i64 = 777;
const SOL: u64 = 1_000_000_000;

struct World {
    db: TestDb,
    tg: FakeTelegram,
    chain: FakeChain,
    coin: Coin,
    wallet: Pubkey,
}

/// Registers Alice, creates and funds her wallet and turns live trading on, through the
/// in-process app; then stops it so the binary takes over the same database.
async fn world() -> World {
    let db = TestDb::sqlite().await;
    let chain = FakeChain::start().await;
    pump::install(&chain);
    let mut curve = pump::fresh_curve(Pubkey::new_unique());
    curve.real_quote_reserves = 5 * SOL;
    let coin = pump::seed_coin(&chain, quantbot::solana::ids::TOKEN_PROGRAM, &curve);
    let rpc = chain.rpc_url(0);
    let app =
        TestApp::spawn(&db, &[("HELIUS_RPC_URL", &rpc), ("WALLET_MASTER_KEY", MASTER_HEX), ("DRY_RUN", "false")]).await;
    for cmd in ["/start", "/wallet add", "/livetrade enable", "/livetrade config dry_run off"] {
        let cur = app.tg.call_count().await;
        app.tg.send_private(ALICE, "en", cmd).await;
        app.tg.next_text_to(cur, ALICE).await;
    }
    let wallet = app.db.list_wallets(UserId(ALICE)).await.unwrap()[0].pubkey.parse::<Pubkey>().unwrap();
    chain.fund(&wallet, 10 * SOL);
    let tg = app.tg.clone();
    app.stop().await;
    World { db, tg, chain, coin, wallet }
}

fn spawn_bot(w: &World, failpoint: Option<&str>) -> (Child, mpsc::Receiver<String>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quantbot"));
    let dir = tempfile::tempdir().unwrap();
    cmd.current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TELEGRAM_BOT_TOKEN", "123456:TEST-token")
        .env("TELEGRAM_API_URL", &w.tg.url)
        .env("DATABASE_URL", &w.db.url)
        .env("HELIUS_RPC_URL", w.chain.rpc_url(0))
        .env("WALLET_MASTER_KEY", MASTER_HEX)
        .env("DRY_RUN", "false")
        .env("HTTP_LISTEN", "127.0.0.1:0")
        .env("JUPITER_API_URL", "http://127.0.0.1:1/swap/v1")
        .env("HELIUS_SENDER_URL", "http://127.0.0.1:1/fast")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(fp) = failpoint {
        cmd.env("QUANTBOT_FAILPOINT", fp);
    }
    let mut child = cmd.spawn().unwrap();
    std::mem::forget(dir);
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

fn wait_line(rx: &mpsc::Receiver<String>, needle: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

async fn open_db(w: &World) -> quantbot::storage::Db {
    quantbot::storage::Db::connect(&SecretString::from(w.db.url.clone())).await.unwrap()
}

async fn crash_at(failpoint: &str) {
    let w = world().await;
    let landed_before = w.chain.landed_count();
    let (mut bot, lines) = spawn_bot(&w, Some(failpoint));
    w.tg.send_private(ALICE, "en", &format!("/buy {} 0.1", w.coin.mint)).await;
    let reached = tokio::task::block_in_place(|| {
        wait_line(&lines, &format!("FAILPOINT {failpoint} reached"), Duration::from_secs(60))
    });
    assert!(reached, "{failpoint}: the failpoint was never reached");
    bot.kill().unwrap(); // SIGKILL: no cleanup, no graceful shutdown
    bot.wait().unwrap();

    // Restart without the failpoint: recovery runs before any new trading.
    let (mut bot, _lines) = spawn_bot(&w, None);
    let db = open_db(&w).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let unfinished = db.unfinished().await.unwrap();
        let landed = w.chain.landed_count() > landed_before;
        let positions = PositionRepo::open_positions(&db, UserId(ALICE)).await.unwrap();
        if unfinished.is_empty() && (!landed || !positions.is_empty()) {
            break;
        }
        assert!(Instant::now() < deadline, "{failpoint}: not reconciled: {unfinished:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bot.kill().unwrap();
    bot.wait().unwrap();

    let buys = w.chain.landed_count() - landed_before;
    assert!(buys <= 1, "{failpoint}: {buys} buys landed for one command");
    let held = w.chain.token_amount(&w.coin.ata_of(&w.wallet)).unwrap_or(0);
    let positions = PositionRepo::open_positions(&db, UserId(ALICE)).await.unwrap();
    if buys == 1 {
        assert_eq!(positions.len(), 1, "{failpoint}: a landed buy must have exactly one position");
        assert_eq!(positions[0].book.tokens, held, "{failpoint}: the position holds what landed");
    } else {
        assert!(positions.is_empty(), "{failpoint}: no position without a landed buy");
        assert_eq!(held, 0);
    }
    assert!(db.unfinished().await.unwrap().is_empty(), "{failpoint}: every intent resolved");
    // Before signing nothing can have been sent; from signing on, the stored bytes land once.
    match failpoint {
        "after_intent_insert" => assert_eq!(buys, 0),
        _ => assert_eq!(buys, 1, "{failpoint}: the signed bytes must land exactly once"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_after_intent_insert() {
    crash_at("after_intent_insert").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_after_sign_and_persist() {
    crash_at("after_sign").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_after_send() {
    crash_at("after_send").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_after_confirmation_before_the_position_write() {
    crash_at("after_confirm").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_before_the_notification() {
    crash_at("before_notify").await;
}
