//! SIGTERM during a live buy: the real `quantbot` binary stops taking updates, lets the trade
//! in flight reach its final state, delivers the user's notice, and exits 0, all before the
//! shutdown deadline. No kill -9: the process ends on its own.
//!
//! Its own test binary: it spawns the process and signals it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "it/support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use quantbot::domain::lang::Lang;
use quantbot::domain::user::UserId;
use quantbot::i18n::tr;
use quantbot::ports::{IntentRepo, PositionRepo, WalletRepo};
use secrecy::SecretString;
use serde_json::json;
use solana_pubkey::Pubkey;
use support::fake_chain::FakeChain;
use support::fake_chain::pump;
use support::{TestApp, TestDb};

const MASTER_HEX: &str = "3e0b7f0f8d7e6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170605f4e3";
const ALICE: i64 = 881;
const SOL: u64 = 1_000_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_live_buy_lets_it_finish_tells_the_user_and_exits_zero() {
    // Arrange: Alice has a funded wallet and live trading on (set up through the in-process app).
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

    let dir = tempfile::tempdir().unwrap();
    let mut bot = Command::new(env!("CARGO_BIN_EXE_quantbot"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TELEGRAM_BOT_TOKEN", "123456:TEST-token")
        .env("TELEGRAM_API_URL", &tg.url)
        .env("DATABASE_URL", &db.url)
        .env("HELIUS_RPC_URL", &rpc)
        .env("WALLET_MASTER_KEY", MASTER_HEX)
        .env("DRY_RUN", "false")
        .env("HTTP_LISTEN", "127.0.0.1:0")
        .env("JUPITER_API_URL", "http://127.0.0.1:1/swap/v1")
        .env("HELIUS_SENDER_URL", chain.sender_url())
        .env("SHUTDOWN_DEADLINE_SECS", "20")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Act: a buy whose confirmation lags ~4 s (10 status polls); SIGTERM once it is on the wire.
    chain.lag_statuses(10);
    let cursor = tg.call_count().await;
    tg.send_private(ALICE, "en", &format!("/buy {} 0.1", coin.mint)).await;
    let sent_by = Instant::now() + Duration::from_secs(30);
    while chain.requests_for("sendTransaction").is_empty() {
        assert!(Instant::now() < sent_by, "the buy was never sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let term = Command::new("kill").args(["-TERM", &bot.id().to_string()]).status().unwrap();
    assert!(term.success());
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = bot.try_wait().unwrap() {
            break status;
        }
        assert!(signalled.elapsed() < Duration::from_secs(30), "the bot did not exit within the deadline");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    // Assert: exit 0, the trade is final and stored, and Alice got the result before the exit.
    assert!(status.success(), "exit status {status:?}");
    assert!(signalled.elapsed() < Duration::from_secs(22), "took {:?}", signalled.elapsed());
    let bought = tr(Lang::En, "trade.bought", &[]);
    let bought = bought.split("%{").next().unwrap().to_owned();
    let calls = tg.calls().await;
    let told = calls.iter().skip(cursor).any(|c| {
        c.method == "sendMessage"
            && c.body["chat_id"] == json!(ALICE)
            && c.body["text"].as_str().is_some_and(|t| t.contains(&bought))
    });
    assert!(told, "Alice was not told the buy's result before exit");
    let db = quantbot::storage::Db::connect(&SecretString::from(db.url.clone())).await.unwrap();
    assert!(db.unfinished().await.unwrap().is_empty(), "a trade was left unfinished");
    let positions = PositionRepo::open_positions(&db, UserId(ALICE)).await.unwrap();
    assert_eq!(positions.len(), 1);
    assert_eq!(chain.landed_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trade_still_unconfirmed_at_the_deadline_is_announced_before_exit_and_reported_after_restart() {
    // Arrange: as above, with a 1 s deadline and a confirmation that never comes in time.
    let db = TestDb::sqlite().await;
    let chain = FakeChain::start().await;
    pump::install(&chain);
    let mut curve = pump::fresh_curve(Pubkey::new_unique());
    curve.real_quote_reserves = 5 * SOL;
    let coin = pump::seed_coin(&chain, quantbot::solana::ids::TOKEN_PROGRAM, &curve);
    let rpc = chain.rpc_url(0);
    let vars = [("HELIUS_RPC_URL", rpc.as_str()), ("WALLET_MASTER_KEY", MASTER_HEX), ("DRY_RUN", "false")];
    let app = TestApp::spawn(&db, &vars).await;
    for cmd in ["/start", "/wallet add", "/livetrade enable", "/livetrade config dry_run off"] {
        let cur = app.tg.call_count().await;
        app.tg.send_private(ALICE, "en", cmd).await;
        app.tg.next_text_to(cur, ALICE).await;
    }
    let wallet = app.db.list_wallets(UserId(ALICE)).await.unwrap()[0].pubkey.parse::<Pubkey>().unwrap();
    chain.fund(&wallet, 10 * SOL);
    let tg = app.tg.clone();
    app.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let mut bot = Command::new(env!("CARGO_BIN_EXE_quantbot"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TELEGRAM_BOT_TOKEN", "123456:TEST-token")
        .env("TELEGRAM_API_URL", &tg.url)
        .env("DATABASE_URL", &db.url)
        .env("HELIUS_RPC_URL", &rpc)
        .env("WALLET_MASTER_KEY", MASTER_HEX)
        .env("DRY_RUN", "false")
        .env("HTTP_LISTEN", "127.0.0.1:0")
        .env("JUPITER_API_URL", "http://127.0.0.1:1/swap/v1")
        .env("HELIUS_SENDER_URL", chain.sender_url())
        .env("SHUTDOWN_DEADLINE_SECS", "1")
        .env("RUST_LOG", "info")
        .stdout(std::fs::File::create(dir.path().join("bot.log")).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Act: the buy lands, but its status is not visible for a long time; SIGTERM once sent.
    chain.lag_statuses(100_000);
    let cursor = tg.call_count().await;
    tg.send_private(ALICE, "en", &format!("/buy {} 0.1", coin.mint)).await;
    let sent_by = Instant::now() + Duration::from_secs(30);
    while chain.requests_for("sendTransaction").is_empty() {
        assert!(Instant::now() < sent_by, "the buy was never sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let term = Command::new("kill").args(["-TERM", &bot.id().to_string()]).status().unwrap();
    assert!(term.success());
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = bot.try_wait().unwrap() {
            break status;
        }
        assert!(signalled.elapsed() < Duration::from_secs(15), "the bot did not exit");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    // Assert: exit 0; before it, Alice was told the trade is still being confirmed (not that
    // it was bought); the intent is stored unfinished for recovery.
    assert!(status.success(), "exit status {status:?}");
    let still = tr(Lang::En, "trade.shutdown_pending", &[]);
    let still = still.split("%{").next().unwrap().to_owned();
    let bought = tr(Lang::En, "trade.bought", &[]);
    let bought = bought.split("%{").next().unwrap().to_owned();
    let to_alice = |needle: &str, calls: &[support::fake_telegram::Call], from: usize| {
        calls.iter().skip(from).any(|c| {
            c.method == "sendMessage"
                && c.body["chat_id"] == json!(ALICE)
                && c.body["text"].as_str().is_some_and(|t| t.contains(needle))
        })
    };
    let calls = tg.calls().await;
    let log = std::fs::read_to_string(dir.path().join("bot.log")).unwrap_or_default();
    assert!(
        to_alice(&still, &calls, cursor),
        "Alice was not told before exit that the trade is still confirming; bot log:\n{log}"
    );
    assert!(!to_alice(&bought, &calls, cursor), "no result could be known yet");
    let store = quantbot::storage::Db::connect(&SecretString::from(db.url.clone())).await.unwrap();
    let unfinished = store.unfinished().await.unwrap();
    assert_eq!(unfinished.len(), 1, "the trade stays stored for recovery");
    store.close().await;

    // After the restart (statuses visible again) recovery reports the final result.
    chain.lag_statuses(0);
    let app = TestApp::spawn(&db, &vars).await;
    let calls_deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let calls = app.tg.calls().await;
        if to_alice(&bought, &calls, 0) {
            break;
        }
        assert!(Instant::now() < calls_deadline, "the final result was not reported after the restart");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(PositionRepo::open_positions(&app.db, UserId(ALICE)).await.unwrap().len(), 1);
    app.stop().await;
}
