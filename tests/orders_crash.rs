//! A resting order killed mid-trigger: the real `quantbot` binary places a limit buy, the price
//! crosses its trigger, and the process is `kill -9`ed at each step of the fill (after the fill
//! is claimed, after the fill's intent is stored, after its transaction is signed and
//! persisted). After a restart: exactly one buy landed on the fake chain, one position holding
//! what landed, the order filled, every intent resolved.
//!
//! Its own test binary: it spawns processes and reads their stderr.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "it/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use quantbot::domain::order::OrderState;
use quantbot::domain::user::UserId;
use quantbot::ports::{IntentRepo, OrderRepo, PositionRepo, WalletRepo};
use secrecy::SecretString;
use solana_pubkey::Pubkey;
use support::fake_chain::FakeChain;
use support::fake_chain::pump::{self, Coin};
use support::fake_telegram::FakeTelegram;
use support::{TestApp, TestDb};

const MASTER_HEX: &str = "6e0b7f0f8d7e6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170605f4e3";
const ALICE: i64 = 778;
const SOL: u64 = 1_000_000_000;

struct World {
    db: TestDb,
    tg: FakeTelegram,
    chain: FakeChain,
    coin: Coin,
    wallet: Pubkey,
}

/// Alice, live, with a funded wallet, set up through the in-process app, which then stops so
/// the binary takes over the same database.
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
    for cmd in [
        "/start",
        "/wallet add",
        "/livetrade enable",
        "/livetrade config dry_run off",
        "/livetrade config stop_loss_pct off",
        "/livetrade config take_profit off",
        "/livetrade config trailing_stop off",
    ] {
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
        .env("MONITOR_INTERVAL_MS", "100")
        .env("HTTP_LISTEN", "127.0.0.1:0")
        .env("JUPITER_API_URL", "http://127.0.0.1:1/swap/v1")
        .env("HELIUS_SENDER_URL", w.chain.sender_url())
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

async fn order_intents(db: &quantbot::storage::Db) -> Vec<(String, String)> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT idempotency_key, state FROM trade_intents WHERE idempotency_key LIKE 'order:%' ORDER BY id",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    rows.iter().map(|r| (r.get("idempotency_key"), r.get("state"))).collect()
}

async fn killed_mid_trigger(failpoint: &str) {
    let w = world().await;
    let landed_before = w.chain.landed_count();
    let (mut bot, lines) = spawn_bot(&w, Some(failpoint));
    let cur = w.tg.call_count().await;
    w.tg.send_private(ALICE, "en", &format!("/limit buy {} 0.1 -20%", w.coin.mint)).await;
    let placed = w.tg.next_text_to(cur, ALICE).await;
    assert!(placed.body["text"].as_str().unwrap_or_default().contains("#"), "{placed:?}");
    // Another trader sells: the price falls 30 %, through the trigger.
    pump::move_price(&w.chain, &w.coin, |c| c.virtual_quote_reserves = c.virtual_quote_reserves * 70 / 100);
    let reached = tokio::task::block_in_place(|| {
        wait_line(&lines, &format!("FAILPOINT {failpoint} reached"), Duration::from_secs(60))
    });
    assert!(reached, "{failpoint}: the failpoint was never reached");
    bot.kill().unwrap(); // SIGKILL
    bot.wait().unwrap();

    let (mut bot, _lines) = spawn_bot(&w, None);
    let db = open_db(&w).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let unfinished = db.unfinished().await.unwrap();
        let unsettled = OrderRepo::unsettled_orders(&db).await.unwrap();
        let positions = PositionRepo::open_positions(&db, UserId(ALICE)).await.unwrap();
        if unfinished.is_empty() && unsettled.is_empty() && !positions.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "{failpoint}: not settled: {unfinished:?} {unsettled:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A few more ticks: nothing else fires.
    tokio::time::sleep(Duration::from_millis(500)).await;
    bot.kill().unwrap();
    bot.wait().unwrap();

    let buys = w.chain.landed_count() - landed_before;
    assert_eq!(buys, 1, "{failpoint}: exactly one fill landed");
    let held = w.chain.token_amount(&w.coin.ata_of(&w.wallet)).unwrap_or(0);
    let positions = PositionRepo::open_positions(&db, UserId(ALICE)).await.unwrap();
    assert_eq!(positions.len(), 1, "{failpoint}");
    assert_eq!(positions[0].book.tokens, held, "{failpoint}: the position holds what landed");
    let intents = order_intents(&db).await;
    let confirmed = intents.iter().filter(|(_, s)| s == "confirmed").count();
    assert_eq!(confirmed, 1, "{failpoint}: {intents:?}");
    assert!(intents.iter().all(|(k, _)| k.starts_with("order:")), "{intents:?}");
    let order_id: i64 = intents[0].0.split(':').nth(1).unwrap().parse().unwrap();
    let order = OrderRepo::order(&db, UserId(ALICE), order_id).await.unwrap().unwrap();
    assert_eq!((order.state, order.view.fills, order.settled), (OrderState::Filled, 1, 1), "{failpoint}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_after_the_fill_is_claimed() {
    killed_mid_trigger("after_order_claim").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_after_the_fill_intent_is_stored() {
    killed_mid_trigger("after_intent_insert").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_after_the_fill_is_signed_and_persisted() {
    killed_mid_trigger("after_sign").await;
}
