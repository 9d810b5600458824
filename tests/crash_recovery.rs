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

/// `kill -9` after the fill was recorded and before its message was stored or sent: after the
/// restart the fill message arrives (rebuilt from the recorded trade), exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fill_message_arrives_after_a_kill_between_the_fill_and_its_message() {
    let w = world().await;
    let bought = quantbot::i18n::tr(quantbot::domain::lang::Lang::En, "trade.bought", &[]);
    let bought = bought.split("%{").next().unwrap_or_default().to_owned();
    let is_fill = |c: &support::fake_telegram::Call| {
        c.ok && c.method == "sendMessage"
            && c.body["chat_id"] == serde_json::json!(ALICE)
            && c.body["text"].as_str().is_some_and(|t| t.starts_with(&bought))
    };
    let (mut bot, lines) = spawn_bot(&w, Some("before_notify"));
    w.tg.send_private(ALICE, "en", &format!("/buy {} 0.1", w.coin.mint)).await;
    let reached =
        tokio::task::block_in_place(|| wait_line(&lines, "FAILPOINT before_notify reached", Duration::from_secs(60)));
    assert!(reached, "the failpoint was never reached");
    bot.kill().unwrap();
    bot.wait().unwrap();
    assert_eq!(w.tg.calls().await.iter().filter(|c| is_fill(c)).count(), 0, "no fill message before the kill");

    let (mut bot, _lines) = spawn_bot(&w, None);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !w.tg.calls().await.iter().any(&is_fill) {
        assert!(Instant::now() < deadline, "the fill message never arrived after the restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let a duplicate (if any) show up, then check there is exactly one.
    tokio::time::sleep(Duration::from_secs(2)).await;
    bot.kill().unwrap();
    bot.wait().unwrap();
    let db = open_db(&w).await;
    let fills: Vec<_> = w.tg.calls().await.into_iter().filter(|c| is_fill(c)).map(|c| c.body["text"].clone()).collect();
    let notices: Vec<(i64, String, String)> = sqlx::query("SELECT id, kind, state FROM outbox_notices ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| {
            use sqlx::Row;
            (r.get(0), r.get(1), r.get(2))
        })
        .collect();
    assert_eq!(fills.len(), 1, "{fills:#?} {notices:?}");
    let positions = PositionRepo::open_positions(&db, UserId(ALICE)).await.unwrap();
    assert_eq!(positions.len(), 1);
}

const CHANNEL: i64 = -1_001_555_000_111;

/// A channel post as Telegram delivers it (posted `age_secs` ago).
fn channel_post(message_id: i64, mint: &Pubkey, age_secs: i64) -> serde_json::Value {
    let chat = serde_json::json!({"id": CHANNEL, "title": "Calls (test)", "type": "channel"});
    serde_json::json!({"channel_post": {
        "message_id": message_id,
        "sender_chat": chat.clone(),
        "chat": chat,
        "date": chrono::Utc::now().timestamp() - age_secs,
        "text": format!("CA: {mint}"),
    }})
}

/// The world plus a registered channel and Alice subscribed (auto, 0.05 SOL, `max_age`).
async fn alert_world(max_age: &str) -> World {
    let w = world().await;
    let app = TestApp::spawn(
        &w.db,
        &[("HELIUS_RPC_URL", &w.chain.rpc_url(0)), ("WALLET_MASTER_KEY", MASTER_HEX), ("DRY_RUN", "false")],
    )
    .await;
    for (user, cmd) in [
        (1, format!("/source add {CHANNEL} ca_drop calls")),
        (ALICE, "/alerts subscribe calls 0.05".to_owned()),
        (ALICE, format!("/alerts set calls max_age={max_age} max_drift=off")),
    ] {
        let cur = app.tg.call_count().await;
        app.tg.send_private(user, "en", &cmd).await;
        app.tg.next_text_to(cur, user).await;
    }
    let tg = app.tg.clone();
    app.stop().await;
    World { tg, ..w }
}

async fn alert_intents(db: &quantbot::storage::Db) -> Vec<(String, String)> {
    use sqlx::Row;
    let rows = sqlx::query("SELECT mint, state FROM trade_intents WHERE origin = 'alert' ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap();
    rows.iter().map(|r| (r.get("mint"), r.get("state"))).collect()
}

/// The bot is killed (-9) and stays down while a channel posts 50 calls; 5 more arrive right
/// before the restart. Telegram delivers the whole backlog at once: exactly the 5 fresh calls
/// are bought, the 50 old ones are stored as stale and never traded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_a_backlog_of_old_posts_trades_only_the_fresh_ones() {
    let w = alert_world("60").await;
    let (mut bot, _lines) = spawn_bot(&w, None);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    bot.kill().unwrap();
    bot.wait().unwrap();
    // Downtime: 50 calls posted 2 to 60 minutes ago, then 5 fresh ones (each its own coin).
    for i in 0..50 {
        w.tg.push_update(channel_post(100 + i, &Pubkey::new_unique(), 120 + i * 70)).await;
    }
    let mut fresh = Vec::new();
    for i in 0..5 {
        let mut curve = pump::fresh_curve(Pubkey::new_unique());
        curve.real_quote_reserves = 5 * SOL;
        let coin = pump::seed_coin(&w.chain, quantbot::solana::ids::TOKEN_PROGRAM, &curve);
        w.tg.push_update(channel_post(200 + i, &coin.mint, 1)).await;
        fresh.push(coin.mint.to_string());
    }
    let landed_before = w.chain.landed_count();
    let (mut bot, _lines) = spawn_bot(&w, None);
    let db = open_db(&w).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM alerts").fetch_one(db.pool()).await.unwrap();
        let done = alert_intents(&db).await.iter().filter(|(_, s)| s == "confirmed").count();
        if stored == 55 && done == 5 {
            break;
        }
        assert!(Instant::now() < deadline, "stored {stored}, bought {done}: {:?}", alert_intents(&db).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    bot.kill().unwrap();
    bot.wait().unwrap();
    let mut bought: Vec<String> = alert_intents(&db).await.into_iter().map(|(m, _)| m).collect();
    bought.sort();
    fresh.sort();
    assert_eq!(bought, fresh, "exactly the fresh calls were traded");
    let all: Vec<(String, String, String)> = {
        use sqlx::Row;
        let rows = sqlx::query("SELECT origin, side, state FROM trade_intents ORDER BY id")
            .fetch_all(db.pool())
            .await
            .unwrap();
        rows.iter().map(|r| (r.get("origin"), r.get("side"), r.get("state"))).collect()
    };
    let books: Vec<String> = PositionRepo::open_positions(&db, UserId(ALICE))
        .await
        .unwrap()
        .iter()
        .map(|p| format!("{} tokens {} cost {} realized {}", p.id, p.book.tokens, p.book.cost.0, p.book.realized))
        .collect();
    assert_eq!(w.chain.landed_count() - landed_before, 5, "{all:?} {books:?}");
    let stale: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM alerts WHERE parsed LIKE '%\"skip\":\"stale\"%'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(stale, 50, "old posts are stored with the reason stale");
}

/// An alert buy killed right after its intent was stored is resumed at restart while its post
/// is fresh (one buy, one position); with a `max_age` that has passed it is failed as stale
/// and nothing is bought. Either way nothing is left unfinished.
async fn alert_buy_killed_after_insert(max_age: &str, down_for: Duration) -> (World, quantbot::storage::Db, usize) {
    let w = alert_world(max_age).await;
    let landed_before = w.chain.landed_count();
    let (mut bot, lines) = spawn_bot(&w, Some("after_intent_insert"));
    w.tg.push_update(channel_post(300, &w.coin.mint, 0)).await;
    let reached = tokio::task::block_in_place(|| {
        wait_line(&lines, "FAILPOINT after_intent_insert reached", Duration::from_secs(60))
    });
    assert!(reached, "the alert buy never reached its intent insert");
    bot.kill().unwrap();
    bot.wait().unwrap();
    tokio::time::sleep(down_for).await;
    let (mut bot, _lines) = spawn_bot(&w, None);
    let db = open_db(&w).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !db.unfinished().await.unwrap().is_empty() || alert_intents(&db).await.is_empty() {
        assert!(Instant::now() < deadline, "not resolved: {:?}", db.unfinished().await.unwrap());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    bot.kill().unwrap();
    bot.wait().unwrap();
    let landed = w.chain.landed_count() - landed_before;
    (w, db, landed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_alert_buy_is_resumed_while_its_post_is_fresh() {
    let (w, db, landed) = alert_buy_killed_after_insert("60", Duration::ZERO).await;
    assert_eq!(alert_intents(&db).await, [(w.coin.mint.to_string(), "confirmed".to_owned())]);
    assert_eq!(landed, 1, "bought exactly once");
    assert_eq!(PositionRepo::open_positions(&db, UserId(ALICE)).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_alert_buy_is_failed_as_stale_once_its_post_is_too_old() {
    let (w, db, landed) = alert_buy_killed_after_insert("2", Duration::from_secs(3)).await;
    assert_eq!(alert_intents(&db).await, [(w.coin.mint.to_string(), "failed".to_owned())]);
    assert_eq!(landed, 0);
    let error: Option<String> = sqlx::query_scalar("SELECT error FROM trade_intents WHERE origin = 'alert'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(error.as_deref(), Some("alert.stale"));
    let reason = quantbot::i18n::tr(quantbot::domain::lang::Lang::En, "reason.alert.stale", &[]);
    let told =
        w.tg.calls()
            .await
            .iter()
            .filter(|c| c.body["chat_id"] == serde_json::json!(ALICE))
            .filter(|c| c.body["text"].as_str().is_some_and(|t| t.contains(&reason)))
            .count();
    assert_eq!(told, 1, "the user is told once");
}
