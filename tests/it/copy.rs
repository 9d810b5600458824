//! Copy trading: the leader-swap decoder against the fixtures, and the wallet watcher end to end
//! (fake PubSub WebSocket + fake chain + the real connector, trading core and storage) on both
//! databases.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use quantbot::app::connector::{AlertServices, Connector, ConnectorSettings};
use quantbot::app::copy::{AddOutcome, CopyService, SetOutcome};
use quantbot::app::keys::load_key_ring;
use quantbot::app::trade::{Trading, TradingPorts, TradingSettings, fast_submit};
use quantbot::app::wallet::{WalletSettings, Wallets};
use quantbot::app::watcher::{Handled, Watcher};
use quantbot::config::MasterKeySource;
use quantbot::domain::copy::{CopySkip, LeaderSide, LeaderVenue};
use quantbot::domain::lang::Lang;
use quantbot::domain::money::Lamports;
use quantbot::domain::risk::GlobalLimits;
use quantbot::domain::user::UserId;
use quantbot::ports::alerts::LatencySink;
use quantbot::ports::{ChainClient, Notifier, PositionRepo, SeenUser, SystemClock, TradeNotice, UserRepo};
use quantbot::solana::helius::limits::{Backoff, BreakerPolicy};
use quantbot::solana::helius::transport::RetryPolicy;
use quantbot::solana::helius::{HeliusClient, HeliusConfig};
use quantbot::solana::ids::{PUMP_PROGRAM, SYSTEM_PROGRAM, TOKEN_PROGRAM};
use quantbot::solana::leader_tx::{self, NotATrade};
use quantbot::solana::ws::{WsEvent, WsSettings};
use quantbot::storage::Db;
use quantbot::venues::globals::GlobalCache;
use quantbot::venues::router::{RouterSettings, VenueRouter};
use quantbot::wallet::signer::KeyringSigner;
use secrecy::SecretString;
use serde_json::{Value, json};
use solana_pubkey::Pubkey;
use solana_signature::Signature;

use crate::on_both_databases;
use crate::support::TestDb;
use crate::support::fake_chain::FakeChain;
use crate::support::fake_chain::pump::{self, Coin, fresh_curve, seed_coin};
use crate::support::fake_ws::FakeWs;
use quantbot::venues::pumpfun::accounts::BondingCurve;

const MASTER_HEX: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const SOL: u64 = 1_000_000_000;

// ---- the decoder against the fixtures ----

#[test]
fn every_leader_swap_fixture_decodes_to_its_expected_trade() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/copy");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    let (mut trades, mut not_trades) = (0, 0);
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let leader: Pubkey = case["leader"].as_str().unwrap().parse().unwrap();
        let got = leader_tx::decode(&case["response"]["result"], &leader);
        let want = &case["expect"];
        if let Some(reason) = want["not_a_trade"].as_str() {
            let expected = match reason {
                "failed" => NotATrade::Failed,
                "no_venue" => NotATrade::NoVenue,
                other => panic!("{name}: unknown reason {other}"),
            };
            assert_eq!(got, Err(expected), "{name}");
            not_trades += 1;
            continue;
        }
        let t = got.unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let side = if want["side"] == "buy" { LeaderSide::Buy } else { LeaderSide::Sell };
        let venue = match want["venue"].as_str().unwrap() {
            "pumpfun" => LeaderVenue::PumpFun,
            "pumpswap" => LeaderVenue::PumpSwap,
            _ => LeaderVenue::Jupiter,
        };
        assert_eq!(t.side, side, "{name}");
        assert_eq!(t.venue, venue, "{name}");
        assert_eq!(t.mint.to_string(), want["mint"].as_str().unwrap(), "{name}");
        assert_eq!(t.sol.0, want["sol"].as_u64().unwrap(), "{name}");
        assert_eq!(t.tokens, want["tokens"].as_u64().unwrap(), "{name}");
        assert_eq!(t.held_before, want["held_before"].as_u64().unwrap(), "{name}");
        assert_eq!(t.leader, leader, "{name}");
        assert!(!t.signature.is_empty() && t.slot > 0, "{name}");
        trades += 1;
    }
    // Buy and sell on each venue, plus the two non-trades: all decoded as expected.
    assert_eq!((trades, not_trades), (6, 2), "{files:?}");
}

// ---- the watcher end to end ----

#[derive(Default)]
struct Notices(Mutex<Vec<(UserId, TradeNotice)>>);

#[async_trait]
impl Notifier for Notices {
    async fn notify(&self, user: UserId, notice: TradeNotice) {
        self.0.lock().unwrap().push((user, notice));
    }
}

impl Notices {
    fn of(&self, user: i64) -> Vec<TradeNotice> {
        self.0.lock().unwrap().iter().filter(|(u, _)| u.0 == user).map(|(_, n)| n.clone()).collect()
    }
}

struct NoLatency;

impl LatencySink for NoLatency {
    fn alert_trade_latency(&self, _seconds: f64, _mode: &str) {}
    fn alert_post(&self, _outcome: &str) {}
}

struct World {
    db: Db,
    fake: FakeChain,
    chain: Arc<dyn ChainClient>,
    copy: CopyService,
    wallets: Wallets,
    notices: Arc<Notices>,
    coin: Coin,
    leader: Pubkey,
    slot: Mutex<u64>,
}

fn helius_config(fake: &FakeChain) -> HeliusConfig {
    let mut c = HeliusConfig::new(vec![SecretString::from(fake.rpc_url(0))]);
    c.rps = 1_000;
    c.burst = 1_000;
    c.request_timeout = Duration::from_secs(2);
    c.retry = RetryPolicy {
        max_retries: 1,
        backoff: Backoff { base: Duration::from_millis(10), max: Duration::from_millis(50) },
        max_wait: Duration::from_secs(3),
        default_retry_after: Duration::from_secs(1),
    };
    c.breaker =
        BreakerPolicy { failure_threshold: 5, cooldown: Duration::from_secs(5), probe_timeout: Duration::from_secs(2) };
    c
}

async fn world(test_db: &TestDb) -> World {
    let db = test_db.open().await;
    let fake = FakeChain::start().await;
    pump::install(&fake);
    // A curve that has traded (10 SOL in it), so paper sells return SOL.
    let curve = BondingCurve {
        virtual_token_reserves: 804_750_000_000_000,
        virtual_quote_reserves: 40_000_000_000,
        real_token_reserves: 524_850_000_000_000,
        real_quote_reserves: 10_000_000_000,
        ..fresh_curve(Pubkey::new_unique())
    };
    let coin = seed_coin(&fake, TOKEN_PROGRAM, &curve);
    let chain: Arc<dyn ChainClient> = Arc::new(HeliusClient::new(helius_config(&fake), None).unwrap());
    let globals = GlobalCache::load(chain.clone()).await.unwrap();
    let router = Arc::new(VenueRouter::new(chain.clone(), globals, None, RouterSettings::default()));
    let ring = Arc::new(load_key_ring(&db, &MasterKeySource::Hex(SecretString::from(MASTER_HEX)), None).await.unwrap());
    let port = Arc::new(db.clone());
    let notices = Arc::new(Notices::default());
    let ports = TradingPorts {
        users: port.clone(),
        intents: port.clone(),
        positions: port.clone(),
        stats: port.clone(),
        controls: port.clone(),
        admins: port.clone(),
        chain: chain.clone(),
        swapper: router,
        signer: Arc::new(KeyringSigner::new(port.clone(), Some(ring.clone()))),
        notifier: notices.clone(),
        clock: Arc::new(SystemClock),
    };
    let settings = TradingSettings::new(true, GlobalLimits::default(), Lamports::ZERO, fast_submit());
    let wallets = Wallets::new(
        port.clone(),
        chain.clone(),
        Some(ring),
        port.clone(),
        Arc::new(SystemClock),
        WalletSettings { withdraw_limit_per_hour: Lamports(SOL), dry_run: true },
    );
    let trading = Trading::new(ports, settings);
    let services = AlertServices::new(port.clone(), Arc::new(NoLatency), ConnectorSettings::default());
    let copy = CopyService::new(port, Connector::new(services, trading.clone()), trading);
    let leader = Pubkey::new_unique();
    let w = World { db, fake, chain, copy, wallets, notices, coin, leader, slot: Mutex::new(10_000) };
    // The leader's last transaction before anyone follows it (not a swap): where copying starts.
    w.land(json!(null));
    w
}

impl World {
    /// A registered follower (paper, trading on, funded wallet) following the leader as `whale`.
    async fn follower(&self, id: i64, sol: &str) {
        let seen = SeenUser { id: UserId(id), chat_id: id, username: None, lang: Lang::En, is_config_admin: false };
        self.db.register(&seen).await.unwrap();
        let mut config = self.db.config(UserId(id)).await.unwrap();
        config.trading_enabled = true;
        self.db.save_config(UserId(id), &config).await.unwrap();
        let wallet = self.wallets.add(UserId(id)).await.unwrap();
        self.fake.fund(&wallet.pubkey.parse::<Pubkey>().unwrap(), 5 * SOL);
        let added = self.copy.add(UserId(id), self.leader, Some("whale"), Some(sol)).await.unwrap();
        assert!(matches!(added, AddOutcome::Added(_)), "{added:?}");
    }

    /// Lands a leader transaction on the fake chain (`null` body: a plain transfer) and returns
    /// its signature.
    fn land(&self, swap: Value) -> String {
        self.land_for(&self.leader, swap)
    }

    fn land_for(&self, address: &Pubkey, swap: Value) -> String {
        let sig = Signature::from(rand::random::<[u8; 64]>());
        let slot = {
            let mut s = self.slot.lock().unwrap();
            *s += 1;
            *s
        };
        let now = chrono::Utc::now().timestamp();
        let result =
            if swap.is_null() { transfer_tx(address, &sig, slot, now) } else { with_ids(swap, &sig, slot, now) };
        self.fake.land_transaction(address, sig, slot, now, result);
        sig.to_string()
    }

    fn buy(&self, sol: u64, tokens: u64, held_before: u64) -> String {
        self.land(pump_tx(&self.leader, &self.coin, true, sol, tokens, held_before))
    }

    fn sell(&self, sol: u64, tokens: u64, held_before: u64) -> String {
        self.land(pump_tx(&self.leader, &self.coin, false, sol, tokens, held_before))
    }

    async fn copy_intents(&self, user: i64) -> Vec<(String, String)> {
        use sqlx::Row;
        let rows = sqlx::query("SELECT idempotency_key, state FROM trade_intents WHERE user_id = $1 ORDER BY id")
            .bind(user)
            .fetch_all(self.db.pool())
            .await
            .unwrap();
        rows.iter().map(|r| (r.get("idempotency_key"), r.get("state"))).collect()
    }

    async fn wait_intents(&self, user: i64, n: usize) {
        for _ in 0..1_500 {
            if self.copy_intents(user).await.len() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{n} intents never appeared: {:?}", self.copy_intents(user).await);
    }
}

fn transfer_tx(leader: &Pubkey, sig: &Signature, slot: u64, time: i64) -> Value {
    json!({"slot": slot, "blockTime": time, "version": 0,
        "transaction": {"signatures": [sig.to_string()], "message": {
            "accountKeys": [leader.to_string(), Pubkey::new_unique().to_string(), SYSTEM_PROGRAM.to_string()],
            "instructions": [{"programIdIndex": 2, "accounts": [0, 1], "data": "3Bxs4Bc3VYuGVB19"}]}},
        "meta": {"err": null, "fee": 5000, "preBalances": [SOL, 0, 1], "postBalances": [SOL - 5000 - 1000, 1000, 1],
            "innerInstructions": [], "preTokenBalances": [], "postTokenBalances": [],
            "loadedAddresses": {"writable": [], "readonly": []}}})
}

fn with_ids(mut tx: Value, sig: &Signature, slot: u64, time: i64) -> Value {
    tx["slot"] = json!(slot);
    tx["blockTime"] = json!(time);
    tx["transaction"]["signatures"] = json!([sig.to_string()]);
    tx
}

/// A Pump.fun buy or sell by `leader` as `getTransaction` returns it: the trade instruction,
/// its `TradeEvent` self-CPI, SOL and token balances (shape of tests/fixtures/copy).
fn pump_tx(leader: &Pubkey, coin: &Coin, buy: bool, sol: u64, tokens: u64, held_before: u64) -> Value {
    let mut event =
        vec![0xe4, 0x45, 0xa5, 0x2e, 0x51, 0xcb, 0x9a, 0x1d, 0xbd, 0xdb, 0x7f, 0xd3, 0x4e, 0xe6, 0x61, 0xee];
    event.extend_from_slice(&coin.mint.to_bytes());
    event.extend_from_slice(&sol.to_le_bytes());
    event.extend_from_slice(&tokens.to_le_bytes());
    event.push(u8::from(buy));
    event.extend_from_slice(&leader.to_bytes());
    event.extend_from_slice(&0i64.to_le_bytes());
    let ata = coin.ata_of(leader);
    let keys: Vec<String> = [*leader, coin.bonding_curve, coin.curve_ata, ata, coin.mint, PUMP_PROGRAM, TOKEN_PROGRAM]
        .iter()
        .map(ToString::to_string)
        .collect();
    let after = if buy { held_before + tokens } else { held_before - tokens };
    let lamports_after = if buy { 50 * SOL - sol - 5000 } else { 50 * SOL + sol - 5000 };
    let balance = |amount: u64| {
        json!({"accountIndex": 3, "mint": coin.mint.to_string(), "owner": leader.to_string(), "programId": TOKEN_PROGRAM.to_string(),
            "uiTokenAmount": {"amount": amount.to_string(), "decimals": 6}})
    };
    let pre_tokens = if held_before == 0 { json!([]) } else { json!([balance(held_before)]) };
    json!({"transaction": {"message": {"accountKeys": keys,
            "instructions": [{"programIdIndex": 5, "accounts": [1, 2, 3, 0, 4, 6], "data": "3Bxs4Bc3VYuGVB19"}]}},
        "meta": {"err": null, "fee": 5000, "preBalances": [50 * SOL, 30 * SOL, 0, 0, 0, 1, 1],
            "postBalances": [lamports_after, 30 * SOL, 0, 0, 0, 1, 1],
            "innerInstructions": [{"index": 0, "instructions": [
                {"programIdIndex": 5, "accounts": [5], "data": bs58::encode(&event).into_string()}]}],
            "preTokenBalances": pre_tokens, "postTokenBalances": [balance(after)],
            "loadedAddresses": {"writable": [], "readonly": []}}})
}

/// Starts the socket client and the watcher against the fake PubSub server.
fn start_watcher(w: &World, ws: &FakeWs) -> tokio::sync::watch::Sender<bool> {
    let (events_tx, events_rx) = tokio::sync::mpsc::channel::<WsEvent>(1_024);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let settings = WsSettings {
        url: SecretString::from(ws.url.clone()),
        ping_every: Duration::from_secs(5),
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(200),
    };
    tokio::spawn(quantbot::solana::ws::run(settings, w.copy.watched(), events_tx, stop_rx));
    tokio::spawn(Watcher::new(w.copy.clone(), w.chain.clone()).run(events_rx));
    stop_tx
}

/// Ten leader buys with the socket dropped after the fourth and refused while three more land:
/// after the reconnect the backfill copies the missed three, and every one of the ten is copied
/// exactly once, even with repeated notifications (one notification sent twice, one replayed
/// after the backfill already handled it).
async fn a_disconnect_in_the_middle_of_ten_leader_trades_copies_each_exactly_once(db: &TestDb) {
    let w = world(db).await;
    w.follower(21, "0.005").await;
    let ws = FakeWs::start().await;
    let stop = start_watcher(&w, &ws);
    ws.wait_subscribed(&w.leader).await;
    let tokens = 1_000_000_000;
    let mut sigs = Vec::new();
    for i in 0..4u64 {
        let sig = w.buy(SOL / 2, tokens, i * tokens);
        assert_eq!(ws.notify(&w.leader, &sig), 1);
        sigs.push(sig);
    }
    // The same notification delivered twice.
    ws.notify(&w.leader, &sigs[2]);
    w.wait_intents(21, 4).await;

    ws.outage(false);
    for i in 4..7u64 {
        sigs.push(w.buy(SOL / 2, tokens, i * tokens));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(w.copy_intents(21).await.len(), 4, "nothing is heard while the socket is down");
    ws.accept(true);
    ws.wait_subscribed(&w.leader).await;
    w.wait_intents(21, 7).await;
    // A late replay of a backfilled signature changes nothing.
    ws.notify(&w.leader, &sigs[5]);
    for i in 7..10u64 {
        let sig = w.buy(SOL / 2, tokens, i * tokens);
        ws.notify(&w.leader, &sig);
        sigs.push(sig);
    }
    w.wait_intents(21, 10).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = stop.send(true);

    let intents = w.copy_intents(21).await;
    let want: BTreeSet<String> = sigs.iter().map(|s| format!("u21:alert:copy:{}:{s}", w.leader)).collect();
    let got: BTreeSet<String> = intents.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(intents.len(), 10, "{intents:?}");
    assert_eq!(got, want);
    assert!(intents.iter().all(|(_, state)| state == "confirmed"), "{intents:?}");
    assert!(ws.connections() >= 2, "the client reconnected");
    let positions = w.db.open_positions(UserId(21)).await.unwrap();
    assert_eq!(positions.len(), 1);
    assert_eq!(positions[0].source.as_deref(), Some("alert:copy:whale"));
    // Each copied buy names the leader and its transaction.
    let copied: Vec<String> = w
        .notices
        .of(21)
        .into_iter()
        .filter_map(|n| match n {
            TradeNotice::Copy(c) if c.skipped.is_none() && c.buy && c.leader_name == "whale" => Some(c.signature),
            _ => None,
        })
        .collect();
    assert_eq!(copied.iter().cloned().collect::<BTreeSet<_>>(), sigs.iter().cloned().collect());
    assert_eq!(copied.len(), 10);
    // Every notice is sent in HTML parse mode: each must parse the way Telegram parses it.
    for n in w.notices.of(21) {
        for lang in [Lang::En, Lang::Ru, Lang::Zh] {
            crate::home::assert_telegram_html(&quantbot::telegram::reply::render_notice(lang, &n));
        }
    }
}
on_both_databases!(a_disconnect_in_the_middle_of_ten_leader_trades_copies_each_exactly_once);

/// The same leader signature handled twice — by the watcher (seen once) and even by the copy
/// service directly (the intent key) — creates one intent.
async fn the_same_leader_trade_twice_creates_one_intent(db: &TestDb) {
    let w = world(db).await;
    w.follower(22, "0.01").await;
    let watcher = Watcher::new(w.copy.clone(), w.chain.clone());
    let sig = w.buy(SOL, 5_000_000_000, 0);
    assert_eq!(watcher.handle_signature(&w.leader, &sig).await.unwrap(), Handled::Copied);
    assert_eq!(watcher.handle_signature(&w.leader, &sig).await.unwrap(), Handled::Seen);
    let tx = w.chain.transaction(&sig.parse().unwrap()).await.unwrap().unwrap();
    let trade = leader_tx::decode(&tx, &w.leader).unwrap();
    let again = w.copy.on_trade(&trade, chrono::Utc::now().timestamp_millis()).await.unwrap();
    assert_eq!(again.followers, 1);
    assert_eq!(w.copy_intents(22).await.len(), 1, "{:?}", w.copy_intents(22).await);
    // A transfer is not a trade: recorded, nothing copied.
    let transfer = w.land(json!(null));
    assert_eq!(watcher.handle_signature(&w.leader, &transfer).await.unwrap(), Handled::NotATrade);
    assert_eq!(w.copy_intents(22).await.len(), 1);
}
on_both_databases!(the_same_leader_trade_twice_creates_one_intent);

/// The leader sells a third of its holding: we sell a third of our position from it (exact to
/// one raw unit, so within 1 bp); with copy sells off, the next sell is skipped and says why.
async fn a_copied_sell_sells_the_leaders_share_of_our_position(db: &TestDb) {
    let w = world(db).await;
    w.follower(23, "0.02").await;
    let watcher = Watcher::new(w.copy.clone(), w.chain.clone());
    let held = 9_000_000_000u64;
    let buy = w.buy(SOL, held, 0);
    assert_eq!(watcher.handle_signature(&w.leader, &buy).await.unwrap(), Handled::Copied);
    let before = w.db.open_positions(UserId(23)).await.unwrap()[0].book.tokens;
    assert!(before > 0);

    let sold = 3_000_000_001u64;
    let sell = w.sell(SOL / 3, sold, held);
    assert_eq!(watcher.handle_signature(&w.leader, &sell).await.unwrap(), Handled::Copied);
    let open = w.db.open_positions(UserId(23)).await.unwrap();
    assert_eq!(open.len(), 1, "{:?} {:?}", w.notices.of(23), w.copy_intents(23).await);
    let after = open[0].book.tokens;
    let ours_sold = before - after;
    assert_eq!(u128::from(ours_sold), u128::from(before) * u128::from(sold) / u128::from(held));
    let leader_share = rust_decimal::Decimal::from(sold) / rust_decimal::Decimal::from(held);
    let our_share = rust_decimal::Decimal::from(ours_sold) / rust_decimal::Decimal::from(before);
    assert!((leader_share - our_share).abs() * rust_decimal::Decimal::from(10_000) < rust_decimal::Decimal::ONE);
    let keys: Vec<String> = w.copy_intents(23).await.into_iter().map(|(k, _)| k).collect();
    assert!(keys.iter().any(|k| k.starts_with(&format!("u23:alert:copy:{}:{sell}:p", w.leader))), "{keys:?}");

    let SetOutcome::Updated(_) = w.copy.set(UserId(23), "WHALE", &["sells=off"]).await.unwrap() else { panic!() };
    let sell2 = w.sell(SOL / 3, 1_000_000_000, held - sold);
    assert_eq!(watcher.handle_signature(&w.leader, &sell2).await.unwrap(), Handled::Copied);
    assert_eq!(w.db.open_positions(UserId(23)).await.unwrap()[0].book.tokens, after);
    let skipped =
        w.notices.of(23).into_iter().any(
            |n| matches!(n, TradeNotice::Copy(c) if c.skipped == Some(CopySkip::SellsOff) && c.signature == sell2),
        );
    assert!(skipped);
}
on_both_databases!(a_copied_sell_sells_the_leaders_share_of_our_position);

/// Copy caps: `max_day` and `adds=off` skip buys before any intent, each with its reason.
async fn copy_caps_skip_buys_and_say_why(db: &TestDb) {
    let w = world(db).await;
    w.follower(24, "0.01").await;
    let SetOutcome::Updated(_) = w.copy.set(UserId(24), "whale", &["adds=off"]).await.unwrap() else { panic!() };
    let watcher = Watcher::new(w.copy.clone(), w.chain.clone());
    let first = w.buy(SOL, 1_000_000, 0);
    watcher.handle_signature(&w.leader, &first).await.unwrap();
    let second = w.buy(SOL, 1_000_000, 1_000_000);
    watcher.handle_signature(&w.leader, &second).await.unwrap();
    assert_eq!(w.copy_intents(24).await.len(), 1);
    let skipped = w.notices.of(24).into_iter().any(
        |n| matches!(n, TradeNotice::Copy(c) if c.skipped == Some(CopySkip::AlreadyHeld) && c.signature == second),
    );
    assert!(skipped, "{:?}", w.notices.of(24));
    // Bad settings change nothing.
    let bad = w.copy.set(UserId(24), "whale", &["pct=0"]).await.unwrap();
    assert!(matches!(bad, SetOutcome::Invalid(_)));
    assert!(matches!(w.copy.set(UserId(24), "nobody", &["adds=on"]).await.unwrap(), SetOutcome::NotFound(_)));
    let again = w.copy.add(UserId(24), w.leader, Some("other"), None).await.unwrap();
    assert!(matches!(again, AddOutcome::AlreadyFollowing(_)), "{again:?}");
    assert!(w.copy.remove(UserId(24), "whale").await.unwrap());
    assert!(w.copy.list(UserId(24)).await.unwrap().is_empty());
}
on_both_databases!(copy_caps_skip_buys_and_say_why);

// ---- `/copy` through the fake Bot API, on the real app ----

/// `/copy add|set|list|remove` in a private chat: each reply is the rendered `CopyReply`, bad
/// input changes nothing, and an added wallet is subscribed on the app's PubSub socket (and
/// unsubscribed when removed).
async fn copy_commands_follow_configure_and_stop(db: &TestDb) {
    use quantbot::telegram::reply::copy::CopyReply;
    let ws = FakeWs::start().await;
    let app = crate::support::TestApp::spawn(db, &[("HELIUS_WS_URL", ws.url.as_str())]).await;
    const USER: i64 = 5151;
    let say = |cmd: &'static str| {
        let app = &app;
        async move {
            let cur = app.tg.call_count().await;
            app.tg.send_private(USER, "en", cmd).await;
            app.tg.next_text_to(cur, USER).await.body["text"].as_str().unwrap_or_default().to_owned()
        }
    };
    say("/start").await;
    assert_eq!(say("/copy help").await, CopyReply::Usage.text(Lang::En));
    let bad = say("/copy add not-an-address").await;
    assert_eq!(bad, CopyReply::BadAddress("not-an-address".into()).text(Lang::En));
    let leader = "7Np41oeYqPefeNQEHSv1UDhYrehxin3NStELsSKCT4K2";
    let added = {
        let cur = app.tg.call_count().await;
        app.tg.send_private(USER, "en", &format!("/copy add {leader} Whale 0.05")).await;
        app.tg.next_text_to(cur, USER).await.body["text"].as_str().unwrap_or_default().to_owned()
    };
    assert!(added.starts_with("Following whale (") && added.contains("sol=0.05"), "{added}");
    let leader_key: Pubkey = leader.parse().unwrap();
    ws.wait_subscribed(&leader_key).await;
    let saved = say("/copy set whale pct=10 min=0.01 max=0.2 adds=off").await;
    assert_eq!(
        saved,
        "Saved for whale: pct=10 min=0.01 max=0.2 sells=on adds=off max_day=20 max_open=5 pause_losses=off dev_sell=default"
    );
    let devsell = say("/copy devsell 100:50").await;
    assert!(devsell.starts_with("Dev-sell exit for your positions: 100:50 "), "{devsell}");
    let bad_rule = say("/copy devsell 0:50").await;
    assert!(bad_rule.starts_with("0:50 is not a dev-sell rule"), "{bad_rule}");
    let unknown = say("/copy set whale bogus=1").await;
    assert!(unknown.starts_with("Unknown setting bogus; nothing changed."), "{unknown}");
    let min_max = say("/copy set whale min=1 max=0.5").await;
    assert_eq!(min_max, "min must not be above max; nothing changed.");
    let list = say("/copy list").await;
    assert!(list.contains(&format!("whale {leader}: pct=10 min=0.01 max=0.2")), "{list}");
    assert_eq!(say("/copy remove whale").await, CopyReply::Removed("whale".into()).text(Lang::En));
    assert_eq!(say("/copy remove whale").await, CopyReply::NotFound("whale".into()).text(Lang::En));
    assert_eq!(say("/copy list").await, CopyReply::List(vec![]).text(Lang::En));
    app.stop().await;
}
on_both_databases!(copy_commands_follow_configure_and_stop);

/// Every locale names every copy skip reason and every copy key's allowed values.
#[test]
fn copy_locales_cover_every_runtime_key() {
    use quantbot::domain::copy::CopyKey;
    use quantbot::telegram::reply::copy::SKIPS;
    for code in ["en", "ru", "zh"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("locales/copy.{code}.json"));
        let map: serde_json::Map<String, Value> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for skip in SKIPS {
            assert!(map.contains_key(&format!("copy.skip.{}", skip.code())), "{code}: {}", skip.code());
        }
        for key in CopyKey::ALL {
            assert!(map.contains_key(&format!("copy.allowed.{}", key.name())), "{code}: {}", key.name());
        }
    }
}

/// Dev-sell: with the rule 100:50 (the user's) the creator of a held coin is watched; its sell of
/// 30 % changes nothing, its next sell of 60 % of what it held sells the whole position, named
/// as a dev sell. A follower whose leader overrides the rule with `dev_sell=off` keeps holding.
async fn a_creator_sell_fires_the_dev_sell_exit_on_the_first_qualifying_event(db: &TestDb) {
    use quantbot::domain::copy::DevSellRule;
    use quantbot::domain::exit::ExitReason;
    let w = world(db).await;
    w.follower(25, "0.01").await;
    w.follower(26, "0.01").await;
    let watcher = Watcher::new(w.copy.clone(), w.chain.clone());
    let buy = w.buy(SOL, 1_000_000_000, 0);
    assert_eq!(watcher.handle_signature(&w.leader, &buy).await.unwrap(), Handled::Copied);
    let rule = DevSellRule::parse("100:50").unwrap();
    w.copy.set_dev_sell(UserId(25), rule).await.unwrap();
    w.copy.set_dev_sell(UserId(26), rule).await.unwrap();
    let SetOutcome::Updated(_) = w.copy.set(UserId(26), "whale", &["dev_sell=off"]).await.unwrap() else { panic!() };
    assert_eq!(w.copy.refresh_creators().await.unwrap(), 1);
    assert!(w.copy.watched().borrow().contains(&w.coin.creator), "the creator is watched");

    let creator = w.coin.creator;
    let held = 100_000_000_000u64;
    let small = w.land_for(&creator, pump_tx(&creator, &w.coin, false, SOL, 30_000_000_000, held));
    assert_eq!(watcher.handle_signature(&creator, &small).await.unwrap(), Handled::Copied);
    assert_eq!(w.db.open_positions(UserId(25)).await.unwrap().len(), 1, "a 30 % creator sell is below the rule");
    let big = w.land_for(&creator, pump_tx(&creator, &w.coin, false, SOL, 42_000_000_000, held - 30_000_000_000));
    assert_eq!(watcher.handle_signature(&creator, &big).await.unwrap(), Handled::Copied);
    assert!(w.db.open_positions(UserId(25)).await.unwrap().is_empty(), "{:?}", w.notices.of(25));
    let named = w
        .notices
        .of(25)
        .into_iter()
        .any(|n| matches!(n, TradeNotice::Filled { exit: Some(ExitReason::DevSell { sold_bps: 6_000 }), .. }));
    assert!(named, "{:?}", w.notices.of(25));
    assert_eq!(w.db.open_positions(UserId(26)).await.unwrap().len(), 1, "the leader's dev_sell=off wins");
    // A later creator sell adds nothing (once per position).
    let again = w.land_for(&creator, pump_tx(&creator, &w.coin, false, SOL, 28_000_000_000, 28_000_000_000));
    watcher.handle_signature(&creator, &again).await.unwrap();
    let sells: Vec<_> = w.copy_intents(25).await.into_iter().filter(|(k, _)| k.contains(":exit:dev_sell:")).collect();
    assert_eq!(sells.len(), 1, "{sells:?}");
}
on_both_databases!(a_creator_sell_fires_the_dev_sell_exit_on_the_first_qualifying_event);

/// Dev-sell per channel source: a position bought from a subscribed channel follows that
/// subscription's `dev_sell` (`/alerts set calls dev_sell=100:50`) with no user rule at all;
/// another subscriber of the same channel without the override keeps holding.
async fn a_channel_sources_dev_sell_rule_sells_its_positions_on_a_creator_sell(db: &TestDb) {
    use quantbot::domain::alert::AlertKind;
    use quantbot::domain::alert::rules::SubscriptionSettings;
    use quantbot::domain::exit::ExitReason;
    use quantbot::ports::alerts::{AddSource, AlertRepo, NewSource};
    let w = world(db).await;
    w.follower(27, "0.01").await;
    w.follower(28, "0.01").await;
    let watcher = Watcher::new(w.copy.clone(), w.chain.clone());
    let buy = w.buy(SOL, 1_000_000_000, 0);
    assert_eq!(watcher.handle_signature(&w.leader, &buy).await.unwrap(), Handled::Copied);
    // Both positions now come from the channel "calls" (as a channel alert labels them).
    sqlx::query("UPDATE positions SET source = 'alert:calls' WHERE user_id IN (27, 28)")
        .execute(w.db.pool())
        .await
        .unwrap();
    let source = NewSource {
        chat_id: -100_777,
        username: None,
        kind: AlertKind::CaDrop,
        name: "calls".to_owned(),
        created_by: UserId(27),
    };
    let AddSource::Added(source) = w.db.add_source(&source).await.unwrap() else { panic!("source") };
    let with_rule = SubscriptionSettings::default().apply(&["dev_sell=100:50"]).unwrap();
    w.db.subscribe(UserId(27), source.id, &with_rule).await.unwrap();
    w.db.subscribe(UserId(28), source.id, &SubscriptionSettings::default()).await.unwrap();
    assert_eq!(w.copy.refresh_creators().await.unwrap(), 1, "only the channel's override turns the rule on");
    assert!(w.copy.watched().borrow().contains(&w.coin.creator));

    let creator = w.coin.creator;
    let held = 100_000_000_000u64;
    let big = w.land_for(&creator, pump_tx(&creator, &w.coin, false, SOL, 60_000_000_000, held));
    assert_eq!(watcher.handle_signature(&creator, &big).await.unwrap(), Handled::Copied);
    assert!(w.db.open_positions(UserId(27)).await.unwrap().is_empty(), "{:?}", w.notices.of(27));
    let named = w
        .notices
        .of(27)
        .into_iter()
        .any(|n| matches!(n, TradeNotice::Filled { exit: Some(ExitReason::DevSell { sold_bps: 6_000 }), .. }));
    assert!(named, "{:?}", w.notices.of(27));
    assert_eq!(w.db.open_positions(UserId(28)).await.unwrap().len(), 1, "no rule for this subscriber");
}
on_both_databases!(a_channel_sources_dev_sell_rule_sells_its_positions_on_a_creator_sell);
