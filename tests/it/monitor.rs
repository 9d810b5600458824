//! The position monitor end to end: the real app (or the real trading core driven one tick at a
//! time with a controllable clock) against the fake chain, where "another trader" moves the
//! curve price. Trailing stop, take-profit ladder (step by step and through a gap), time exit,
//! retried sells with escalating slippage, a broken mint next to a healthy one, a coin that
//! migrates to PumpSwap mid-position, and liveness in /healthz and /metrics. Both databases.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use quantbot::app::keys::load_key_ring;
use quantbot::app::monitor::Monitor;
use quantbot::app::prices::MarketPrices;
use quantbot::app::trade::{
    TradeAmount, TradeOutcome, TradeRequest, Trading, TradingPorts, TradingSettings, fast_submit,
};
use quantbot::app::wallet::{WalletSettings, Wallets};
use quantbot::config::MasterKeySource;
use quantbot::domain::intent::{IdempotencyKey, IntentOrigin};
use quantbot::domain::lang::Lang;
use quantbot::domain::money::{Bps, Lamports};
use quantbot::domain::position::Side;
use quantbot::domain::risk::GlobalLimits;
use quantbot::domain::user::UserId;
use quantbot::i18n::tr;
use quantbot::ports::{ChainClient, Clock, PositionRecord, PositionRepo, SeenUser, UserRepo, WalletRepo};
use quantbot::solana::helius::limits::{Backoff, BreakerPolicy};
use quantbot::solana::helius::transport::RetryPolicy;
use quantbot::solana::helius::{HeliusClient, HeliusConfig};
use quantbot::solana::ids::{PUMP_AMM_PROGRAM, PUMP_PROGRAM, TOKEN_PROGRAM};
use quantbot::solana::instructions::AtaSpec;
use quantbot::storage::Db;
use quantbot::venues::globals::GlobalCache;
use quantbot::venues::pumpfun::accounts::BondingCurve;
use quantbot::venues::pumpfun::ix::SELL_DISCRIMINATOR as PUMP_SELL;
use quantbot::venues::pumpswap::ix::SELL_DISCRIMINATOR as AMM_SELL;
use quantbot::venues::router::{RouterSettings, VenueRouter};
use quantbot::wallet::signer::KeyringSigner;
use secrecy::SecretString;
use serde_json::json;
use solana_pubkey::Pubkey;
use solana_transaction::versioned::VersionedTransaction;

use crate::on_both_databases;
use crate::support::fake_chain::pump::{self, Coin};
use crate::support::fake_chain::{FakeChain, Fault, pumpswap};
use crate::support::fake_telegram::Call;
use crate::support::{TestApp, TestDb};

const MASTER_HEX: &str = "5f0b7f0f8d7e6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170605f4e3";
pub(crate) const ALICE: i64 = 4343;
pub(crate) const SOL: u64 = 1_000_000_000;

// ---------------------------------------------------------------- the real app

pub(crate) struct Env {
    pub(crate) app: TestApp,
    pub(crate) chain: FakeChain,
    pub(crate) coin: Coin,
    pub(crate) wallet: Pubkey,
}

pub(crate) fn new_coin(chain: &FakeChain) -> Coin {
    let mut curve = pump::fresh_curve(Pubkey::new_unique());
    curve.real_quote_reserves = 5 * SOL;
    pump::seed_coin(chain, TOKEN_PROGRAM, &curve)
}

/// The real app, live trading, a funded wallet and `settings` applied with `/livetrade config`.
pub(crate) async fn setup(db: &TestDb, settings: &[&str]) -> Env {
    let chain = FakeChain::start().await;
    pump::install(&chain);
    let coin = new_coin(&chain);
    let rpc = chain.rpc_url(0);
    let vars = [
        ("HELIUS_RPC_URL", rpc.as_str()),
        ("WALLET_MASTER_KEY", MASTER_HEX),
        ("DRY_RUN", "false"),
        ("MONITOR_INTERVAL_MS", "100"),
    ];
    let app = TestApp::spawn(db, &vars).await;
    say(&app, "/start").await;
    say(&app, "/wallet add").await;
    let wallet = app.db.list_wallets(UserId(ALICE)).await.unwrap()[0].pubkey.parse::<Pubkey>().unwrap();
    chain.fund(&wallet, 10 * SOL);
    say(&app, "/livetrade enable").await;
    say(&app, "/livetrade config dry_run off").await;
    for s in settings {
        let reply = text(&say(&app, &format!("/livetrade config {s}")).await);
        assert!(!reply.is_empty(), "{s}");
    }
    Env { app, chain, coin, wallet }
}

fn text(call: &Call) -> String {
    call.body["text"].as_str().unwrap_or_default().to_owned()
}

async fn say(app: &TestApp, cmd: &str) -> Call {
    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "en", cmd).await;
    app.tg.next_text_to(cur, ALICE).await
}

async fn notice(app: &TestApp, cursor: usize, needle: &str) -> Call {
    app.tg
        .wait_for(cursor, "sendMessage", |b| {
            b["chat_id"] == json!(ALICE) && b["text"].as_str().is_some_and(|t| t.contains(needle))
        })
        .await
}

/// Waits for the sell notice that names `reason` (its first line) and returns its text.
async fn sold_because(app: &TestApp, cursor: usize, reason: &str) -> String {
    let call = notice(app, cursor, reason).await;
    let text = text(&call);
    assert_eq!(text.lines().next(), Some(reason), "the rule comes first: {text}");
    assert!(text.contains(&prefix("trade.sold")), "{text}");
    text
}

fn prefix(key: &str) -> String {
    tr(Lang::En, key, &[]).split("%{").next().unwrap_or_default().to_owned()
}

/// Buys `coin` for 0.1 SOL through Telegram and returns the open position.
pub(crate) async fn buy(env: &Env, coin: &Coin) -> PositionRecord {
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} 0.1", coin.mint)).await;
    notice(&env.app, cur, &prefix("trade.bought")).await;
    let open = PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap();
    open.into_iter().find(|p| p.mint == coin.mint.to_string()).unwrap()
}

async fn position(env: &Env, id: i64) -> PositionRecord {
    PositionRepo::position(&env.app.db, UserId(ALICE), id).await.unwrap().unwrap()
}

/// Polls until `check` holds for the position (10 s at most).
async fn until(env: &Env, id: i64, what: &str, check: impl Fn(&PositionRecord) -> bool) -> PositionRecord {
    for _ in 0..200 {
        let p = position(env, id).await;
        if check(&p) {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}; position: {:?}", position(env, id).await);
}

/// Sets the curve's virtual SOL reserves to `base · num / den` (another trader moved it).
pub(crate) fn set_price(chain: &FakeChain, coin: &Coin, base: u64, num: u64, den: u64) {
    pump::move_price(chain, coin, |c: &mut BondingCurve| c.virtual_quote_reserves = base * num / den);
}

/// Landed (sent, not dropped) transactions that call `program` with a sell discriminator.
pub(crate) fn sells_sent(chain: &FakeChain, program: Pubkey, disc: [u8; 8]) -> Vec<VersionedTransaction> {
    let mut seen = std::collections::HashSet::new();
    chain
        .requests()
        .iter()
        .filter(|r| r.method == "sendTransaction")
        .filter_map(|r| decode(r.params[0].as_str()?, &r.params[1]))
        .filter(|tx| seen.insert(tx.signatures[0]))
        .filter(|tx| calls(tx, program, disc).is_some())
        .collect()
}

fn decode(text: &str, cfg: &serde_json::Value) -> Option<VersionedTransaction> {
    use base64::Engine as _;
    let bytes = match cfg["encoding"].as_str() {
        Some("base64") => base64::engine::general_purpose::STANDARD.decode(text).ok()?,
        _ => bs58::decode(text).into_vec().ok()?,
    };
    wincode::deserialize(&bytes).ok()
}

/// The data of the first instruction of `tx` calling `program` with `disc`.
fn calls(tx: &VersionedTransaction, program: Pubkey, disc: [u8; 8]) -> Option<Vec<u8>> {
    let keys = tx.message.static_account_keys();
    tx.message
        .instructions()
        .iter()
        .find(|ix| keys[usize::from(ix.program_id_index)] == program && ix.data.get(..8) == Some(&disc[..]))
        .map(|ix| ix.data.clone())
}

async fn metrics(app: &TestApp) -> String {
    reqwest::get(format!("http://{}/metrics", app.ops)).await.unwrap().text().await.unwrap()
}

fn price_errors(metrics: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("quantbot_monitor_price_errors_total "))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
}

async fn trailing_stop_follows_the_peak_and_fires(db: &TestDb) {
    // Arm at +10 %, trail 5 %; nothing else may fire.
    let env = setup(db, &["stop_loss_pct off", "take_profit off", "time_exit_hours off", "trailing_stop 10:5"]).await;
    let p = buy(&env, &env.coin).await;
    let base = pump::curve_of(&env.chain, &env.coin).virtual_quote_reserves;
    let mut peak = Default::default();
    // The price climbs in three steps (+20 %, +44 %, +73 %); the stored peak follows each one.
    for (num, den) in [(12, 10), (144, 100), (1728, 1000)] {
        set_price(&env.chain, &env.coin, base, num, den);
        let c = pump::curve_of(&env.chain, &env.coin);
        let price = rust_decimal::Decimal::from(c.virtual_quote_reserves)
            / rust_decimal::Decimal::from(1_000_000_000u64)
            / rust_decimal::Decimal::from(c.virtual_token_reserves);
        let seen = until(&env, p.id, "peak follows the price", |r| r.peak_price == Some(price)).await;
        assert!(seen.is_open && seen.book.tokens == p.book.tokens);
        peak = price;
    }
    // −3 % from the peak: inside the trail, nothing is sold.
    set_price(&env.chain, &env.coin, base, 1728 * 97, 1000 * 100);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let held = position(&env, p.id).await;
    assert!(held.is_open && held.book.tokens == p.book.tokens, "sold inside the trail");
    assert_eq!(held.peak_price, Some(peak), "a lower price never lowers the peak");
    // −8 % from the peak: the trailing stop sells everything, once.
    let cur = env.app.tg.call_count().await;
    set_price(&env.chain, &env.coin, base, 1728 * 92, 1000 * 100);
    sold_because(&env.app, cur, &tr(Lang::En, "exit.trailing", &[("pct", "5")])).await;
    let closed = until(&env, p.id, "closed", |r| !r.is_open).await;
    assert_eq!(closed.book.tokens, 0);
    assert!(closed.book.realized > 0, "sold at +59 %: {}", closed.book.realized);
    assert_eq!(env.chain.token_amount(&env.coin.ata_of(&env.wallet)), None, "emptied and closed (rent back)");
    assert_eq!(sells_sent(&env.chain, PUMP_PROGRAM, PUMP_SELL).len(), 1);
    let m = metrics(&env.app).await;
    assert!(m.contains(r#"quantbot_monitor_exits_total{rule="trailing",outcome="filled"} 1"#), "{m}");
    env.app.stop().await;
}
on_both_databases!(trailing_stop_follows_the_peak_and_fires);

async fn take_profit_ladder_sells_each_step_once_and_a_gap_sells_several_together(db: &TestDb) {
    let env = setup(
        db,
        &[
            "stop_loss_pct off",
            "trailing_stop off",
            "time_exit_hours off",
            "take_profit 50:20,100:20,150:20,200:20,400:100",
        ],
    )
    .await;
    let p = buy(&env, &env.coin).await;
    let initial = p.book.tokens;
    let fifth = initial * 20 / 100;
    let base = pump::curve_of(&env.chain, &env.coin).virtual_quote_reserves;
    let ata = env.coin.ata_of(&env.wallet);
    let step = |n: &str, pct: &str| tr(Lang::En, "exit.take_profit", &[("step", n), ("steps", "5"), ("pct", pct)]);
    // +75 %: the first step only.
    let cur = env.app.tg.call_count().await;
    set_price(&env.chain, &env.coin, base, 175, 100);
    let s1 = until(&env, p.id, "step 1 sold", |r| r.book.tokens < initial).await;
    assert_eq!(s1.book.tokens, initial - fifth);
    sold_because(&env.app, cur, &step("1", "50")).await;
    // +125 %: the second step, 20 % of the size at open (not of what is left).
    set_price(&env.chain, &env.coin, base, 225, 100);
    let s2 = until(&env, p.id, "step 2 sold", |r| r.book.tokens < initial - fifth).await;
    assert_eq!(s2.book.tokens, initial - 2 * fifth);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(position(&env, p.id).await.book.tokens, initial - 2 * fifth, "a sold step is never sold again");
    // A gap to +225 %: steps 3 and 4 (+150 %, +200 %) in one sell of 40 %, named by the last.
    let cur = env.app.tg.call_count().await;
    set_price(&env.chain, &env.coin, base, 325, 100);
    sold_because(&env.app, cur, &step("4", "200")).await;
    let forty = initial * 40 / 100;
    let s4 = until(&env, p.id, "steps 3+4 sold", |r| r.book.tokens < initial - 2 * fifth).await;
    assert_eq!(s4.book.tokens, initial - 2 * fifth - forty);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = position(&env, p.id).await;
    assert!(after.is_open);
    assert_eq!(after.book.tokens, initial - 2 * fifth - forty);
    assert_eq!(env.chain.token_amount(&ata), Some(after.book.tokens));
    assert_eq!(sells_sent(&env.chain, PUMP_PROGRAM, PUMP_SELL).len(), 3, "three sells for four steps");
    let m = metrics(&env.app).await;
    assert!(m.contains(r#"quantbot_monitor_exits_total{rule="take_profit",outcome="filled"} 3"#), "{m}");
    env.app.stop().await;
}
on_both_databases!(take_profit_ladder_sells_each_step_once_and_a_gap_sells_several_together);

async fn a_mint_whose_price_reads_fail_does_not_block_the_others(db: &TestDb) {
    let env = setup(db, &["take_profit off", "trailing_stop off", "time_exit_hours off"]).await;
    let sick = new_coin(&env.chain);
    let healthy = buy(&env, &env.coin).await;
    let broken = buy(&env, &sick).await;
    // The sick coin's curve account turns to garbage: every price read for it fails.
    let mut acc = env.chain.account(&sick.bonding_curve).unwrap();
    acc.data = vec![0xAB; acc.data.len()];
    env.chain.set_account(&sick.bonding_curve, acc);
    // Wait until a tick has met the broken price (counted in /metrics).
    let mut errors = 0.0;
    for _ in 0..200 {
        errors = price_errors(&metrics(&env.app).await);
        if errors >= 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(errors >= 1.0, "price errors are counted");
    // The healthy coin dumps: its stop-loss still fires.
    let cur = env.app.tg.call_count().await;
    pump::move_price(&env.chain, &env.coin, |c: &mut BondingCurve| c.virtual_quote_reserves /= 2);
    sold_because(&env.app, cur, &tr(Lang::En, "exit.stop_loss", &[("pct", "30")])).await;
    let closed = until(&env, healthy.id, "healthy position closed", |r| !r.is_open).await;
    assert_eq!(closed.book.tokens, 0);
    let still = position(&env, broken.id).await;
    assert!(still.is_open && still.book.tokens == broken.book.tokens);
    // Liveness: the monitor keeps ticking and says so.
    let health: serde_json::Value =
        reqwest::get(format!("http://{}/healthz", env.app.ops)).await.unwrap().json().await.unwrap();
    assert_eq!(health["position_monitor"], true, "{health}");
    let last = health["monitor_last_tick_ms"].as_i64().unwrap();
    assert!(last > 0 && chrono::Utc::now().timestamp_millis() - last < 5_000, "{health}");
    let m = metrics(&env.app).await;
    assert!(price_errors(&m) > errors, "the broken mint keeps failing every tick: {m}");
    assert!(m.contains(r#"quantbot_monitor_exits_total{rule="stop_loss",outcome="filled"} 1"#), "{m}");
    assert!(m.contains("quantbot_monitor_tick_duration_seconds_count"), "{m}");
    // The gauge counts the positions of the last tick: the closed one leaves within a tick.
    let mut m = m;
    for _ in 0..40 {
        if m.contains("quantbot_monitor_positions 1\n") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        m = metrics(&env.app).await;
    }
    assert!(m.contains("quantbot_monitor_positions 1\n"), "{m}");
    env.app.stop().await;
}
on_both_databases!(a_mint_whose_price_reads_fail_does_not_block_the_others);

async fn a_coin_that_migrates_mid_position_is_sold_on_pumpswap(db: &TestDb) {
    let env = setup(db, &["take_profit off", "trailing_stop off", "time_exit_hours off"]).await;
    pumpswap::install(&env.chain);
    let p = buy(&env, &env.coin).await;
    let c = pump::curve_of(&env.chain, &env.coin);
    // The curve completes and the coin trades on its canonical pool at 40 % of the curve price.
    let pool_base: u64 = 200_000_000_000_000;
    let pool_quote = u64::try_from(
        u128::from(pool_base) * u128::from(c.virtual_quote_reserves) * 4 / 10 / u128::from(c.virtual_token_reserves),
    )
    .unwrap();
    let cur = env.app.tg.call_count().await;
    let sol_before = env.chain.balance_of(&env.wallet);
    let pool = pump::seed_pool(&env.chain, &env.coin, pool_base, pool_quote);
    let quote_vault = AtaSpec::wsol(pool).address();
    env.chain.fund(&quote_vault, pool_quote); // wSOL is backed by lamports
    let base_vault = env.coin.ata_of(&pool);
    notice(&env.app, cur, &prefix("trade.sold")).await;
    let closed = until(&env, p.id, "closed on PumpSwap", |r| !r.is_open).await;
    assert_eq!(closed.book.tokens, 0);
    assert!(closed.book.realized < 0, "stop-loss at -60 %: {}", closed.book.realized);
    // It really landed on the pool: tokens went into the base vault, SOL came back unwrapped.
    assert_eq!(env.chain.token_amount(&env.coin.ata_of(&env.wallet)), None, "emptied and closed (rent back)");
    assert_eq!(env.chain.token_amount(&base_vault), Some(pool_base + p.book.tokens));
    // The emptied token account was closed in the same transaction: its rent came back too.
    let ata_rent = crate::support::fake_chain::programs::rent_exempt(165);
    let received = env.chain.balance_of(&env.wallet) - sol_before - ata_rent;
    let expected_gross = u128::from(pool_quote) * u128::from(p.book.tokens) / u128::from(pool_base + p.book.tokens);
    assert!(u128::from(received) > expected_gross * 95 / 100 && u128::from(received) < expected_gross, "{received}");
    assert!(env.chain.account(&AtaSpec::wsol(env.wallet).address()).is_none(), "wSOL account closed");
    let amm = sells_sent(&env.chain, PUMP_AMM_PROGRAM, AMM_SELL);
    assert_eq!(amm.len(), 1, "one PumpSwap sell");
    assert!(sells_sent(&env.chain, PUMP_PROGRAM, PUMP_SELL).is_empty(), "never a curve sell after completion");
    env.app.stop().await;
}
on_both_databases!(a_coin_that_migrates_mid_position_is_sold_on_pumpswap);

// ---------------------------------------------------------------- one tick at a time

/// A clock the test moves.
#[derive(Debug, Default)]
pub(crate) struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl TestClock {
    pub(crate) fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

pub(crate) struct World {
    pub(crate) db: Db,
    pub(crate) chain: FakeChain,
    pub(crate) coin: Coin,
    pub(crate) trading: Trading,
    pub(crate) monitor: Monitor,
    pub(crate) clock: Arc<TestClock>,
    pub(crate) wallet: Pubkey,
    pub(crate) notices: Arc<Notices>,
    /// Resting orders, run by `monitor`'s ticks.
    pub(crate) orders: quantbot::app::orders::Orders,
}

fn helius_config(fake: &FakeChain) -> HeliusConfig {
    let mut c = HeliusConfig::new(vec![SecretString::from(fake.rpc_url(0))]);
    c.sender_url = Some(SecretString::from(fake.sender_url()));
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

/// The real trading core, storage, custody and router over the fake chain, a test clock, and a
/// monitor the test ticks by hand. Alice trades live with `edit` applied to her config.
pub(crate) async fn world(
    test_db: &TestDb,
    edit: impl FnOnce(&mut quantbot::domain::user_config::UserConfig),
) -> World {
    let db = test_db.open().await;
    let chain = FakeChain::start().await;
    pump::install(&chain);
    let coin = new_coin(&chain);
    let rpc: Arc<dyn ChainClient> = Arc::new(HeliusClient::new(helius_config(&chain), None).unwrap());
    let globals = GlobalCache::load(rpc.clone()).await.unwrap();
    let router = Arc::new(VenueRouter::new(rpc.clone(), globals, None, RouterSettings::default()));
    let ring = Arc::new(load_key_ring(&db, &MasterKeySource::Hex(SecretString::from(MASTER_HEX)), None).await.unwrap());
    let port = Arc::new(db.clone());
    let clock = Arc::new(TestClock(AtomicI64::new(1_900_000_000_000)));
    let notices = Arc::new(Notices::default());
    let ports = TradingPorts {
        users: port.clone(),
        intents: port.clone(),
        positions: port.clone(),
        stats: port.clone(),
        controls: port.clone(),
        admins: port.clone(),
        chain: rpc.clone(),
        swapper: router.clone(),
        signer: Arc::new(KeyringSigner::new(port.clone(), Some(ring.clone()))),
        notifier: notices.clone(),
        clock: clock.clone(),
    };
    let mut settings = TradingSettings::new(false, GlobalLimits::default(), Lamports::ZERO, fast_submit());
    settings.config_admins = vec![ADMIN];
    settings.breaker.cooldown_ms = 30_000;
    let trading = Trading::new(ports, settings);
    let seen = SeenUser { id: UserId(ALICE), chat_id: ALICE, username: None, lang: Lang::En, is_config_admin: false };
    db.register(&seen).await.unwrap();
    let mut config = db.config(UserId(ALICE)).await.unwrap();
    config.trading_enabled = true;
    config.dry_run = false;
    edit(&mut config);
    db.save_config(UserId(ALICE), &config).await.unwrap();
    let wallets = Wallets::new(
        port.clone(),
        rpc.clone(),
        Some(ring),
        port,
        clock.clone(),
        WalletSettings { withdraw_limit_per_hour: Lamports(SOL), dry_run: false },
    );
    let wallet = wallets.add(UserId(ALICE)).await.unwrap().pubkey.parse::<Pubkey>().unwrap();
    chain.fund(&wallet, 5 * SOL);
    let prices: Arc<dyn quantbot::ports::PriceSource> =
        Arc::new(MarketPrices::new(rpc, router, Duration::from_secs(10)));
    let orders = quantbot::app::orders::Orders::new(trading.clone(), Arc::new(db.clone()), prices.clone());
    let monitor = Monitor::new(trading.clone(), prices).with_orders(orders.clone());
    World { db, chain, coin, trading, monitor, clock, wallet, notices, orders }
}

/// Records every notice (who, what).
#[derive(Default)]
pub(crate) struct Notices(std::sync::Mutex<Vec<(UserId, quantbot::ports::TradeNotice)>>);

#[async_trait::async_trait]
impl quantbot::ports::Notifier for Notices {
    async fn notify(&self, user: UserId, notice: quantbot::ports::TradeNotice) {
        self.0.lock().unwrap().push((user, notice));
    }
}

impl Notices {
    pub(crate) fn to(&self, user: i64) -> Vec<quantbot::ports::TradeNotice> {
        self.0.lock().unwrap().iter().filter(|(u, _)| u.0 == user).map(|(_, n)| n.clone()).collect()
    }
}

const ADMIN: i64 = 1;

impl World {
    pub(crate) async fn buy(&self) -> PositionRecord {
        let req = TradeRequest {
            user: UserId(ALICE),
            mint: self.coin.mint,
            side: Side::Buy,
            amount: TradeAmount::Sol(Lamports(SOL / 10)),
            origin: IntentOrigin::Manual,
            key: IdempotencyKey::command(UserId(ALICE), ALICE, 1),
            alert_id: None,
            received_at_ms: None,
            exit_rules: None,
            slippage: None,
            source: None,
            position_id: None,
            price_guard: None,
            resume: false,
            prefetched: None,
            safety_overrides: Default::default(),
            exit_reason: None,
        };
        let TradeOutcome::Filled { position, .. } = self.trading.execute(req).await.unwrap() else {
            panic!("buy did not fill")
        };
        self.monitor.upsert((*position).clone()).await;
        *position
    }

    pub(crate) async fn position(&self, id: i64) -> PositionRecord {
        PositionRepo::position(&self.db, UserId(ALICE), id).await.unwrap().unwrap()
    }

    async fn exit_intents(&self) -> Vec<(String, String)> {
        use sqlx::Row;
        let rows =
            sqlx::query("SELECT idempotency_key, state FROM trade_intents WHERE idempotency_key LIKE 'p%' ORDER BY id")
                .fetch_all(self.db.pool())
                .await
                .unwrap();
        rows.iter().map(|r| (r.get("idempotency_key"), r.get("state"))).collect()
    }
}

async fn time_exit_sells_everything_when_the_clock_passes_the_limit(db: &TestDb) {
    let w = world(db, |c| {
        c.stop_loss = None;
        c.take_profit = Vec::new();
        c.trailing_stop = None;
        c.time_exit_hours = Some(1);
    })
    .await;
    let p = w.buy().await;
    let r = w.monitor.tick().await;
    assert_eq!((r.evaluated, r.exits, r.price_errors), (1, 0, 0), "{r:?}");
    w.clock.advance(3_600_000 - 1);
    assert_eq!(w.monitor.tick().await.exits, 0, "one millisecond early");
    w.clock.advance(1);
    let r = w.monitor.tick().await;
    assert_eq!((r.exits, r.filled, r.failed), (1, 1, 0), "{r:?}");
    let closed = w.position(p.id).await;
    assert!(!closed.is_open && closed.book.tokens == 0);
    assert_eq!(w.chain.token_amount(&w.coin.ata_of(&w.wallet)), None, "emptied and closed (rent back)");
    assert_eq!(w.exit_intents().await, [(format!("p{}:exit:time#0:0", p.id), "confirmed".to_owned())]);
    let sold: Vec<_> = w
        .notices
        .to(ALICE)
        .into_iter()
        .filter(|n| matches!(n, quantbot::ports::TradeNotice::Filled { side: Side::Sell, .. }))
        .collect();
    assert_eq!(sold.len(), 1, "{sold:?}");
    let text = quantbot::telegram::reply::render_notice(Lang::En, &sold[0]);
    crate::home::assert_telegram_html(&text);
    assert!(text.starts_with(&tr(Lang::En, "exit.time", &[("hours", "1")])), "{text}");
    assert!(text.starts_with("⏰ Time exit after 1 h\n"), "{text}");
    assert_eq!(w.monitor.tracked().await, 0, "a closed position leaves the monitor");
    assert_eq!(w.monitor.tick().await.evaluated, 0);
}
on_both_databases!(time_exit_sells_everything_when_the_clock_passes_the_limit);

async fn a_sell_that_fails_twice_is_retried_with_escalating_slippage_and_lands_once(db: &TestDb) {
    let w = world(db, |c| {
        c.take_profit = Vec::new();
        c.trailing_stop = None;
        c.time_exit_hours = None;
        c.slippage = Bps(500);
    })
    .await;
    let p = w.buy().await;
    // The buy's token-safety round trip simulated one sell (min 0); the exits' come after it.
    let before = simulated_sells(&w.chain).len();
    pump::move_price(&w.chain, &w.coin, |c: &mut BondingCurve| c.virtual_quote_reserves /= 2);
    // The next two sells fail on chain with "too little SOL received" (in simulation).
    pump::fail_sells(&w.chain, 2, 6003);
    let r = w.monitor.tick().await;
    assert_eq!((r.exits, r.failed), (1, 1), "{r:?}");
    // Backoff: 2 s after the first failure, then 4 s.
    w.clock.advance(1_999);
    assert_eq!(w.monitor.tick().await.exits, 0, "retried before the backoff ran out");
    w.clock.advance(1);
    let r = w.monitor.tick().await;
    assert_eq!((r.exits, r.failed), (1, 1), "{r:?}");
    w.clock.advance(3_999);
    assert_eq!(w.monitor.tick().await.exits, 0);
    w.clock.advance(1);
    let r = w.monitor.tick().await;
    assert_eq!((r.exits, r.filled), (1, 1), "{r:?}");
    assert!(!w.position(p.id).await.is_open);
    assert_eq!(w.monitor.tick().await.exits, 0, "nothing left to sell");
    // Three attempts, each its own intent; only the third landed.
    let keys: Vec<(String, String)> = (0..3)
        .map(|i| (format!("p{}:exit:stop_loss#{i}:0", p.id), if i < 2 { "failed" } else { "confirmed" }.to_owned()))
        .collect();
    assert_eq!(w.exit_intents().await, keys);
    let sells = sells_sent(&w.chain, PUMP_PROGRAM, PUMP_SELL);
    assert_eq!(sells.len(), 1, "exactly one sell was sent");
    assert_eq!(w.chain.token_amount(&w.coin.ata_of(&w.wallet)), None, "emptied and closed (rent back)");
    // Slippage escalated: the simulated attempts accept ever less SOL (5 %, 7.5 %, 10 %).
    let mins: Vec<u64> = simulated_sells(&w.chain)[before..]
        .iter()
        .map(|data| u64::from_le_bytes(data[16..24].try_into().unwrap()))
        .collect();
    assert_eq!(mins.len(), 3, "{mins:?}");
    let out = |min: u64, bps: u64| min as f64 * 10_000.0 / (10_000 - bps) as f64;
    let (o0, o1, o2) = (out(mins[0], 500), out(mins[1], 750), out(mins[2], 1_000));
    assert!((o0 - o1).abs() / o0 < 1e-6 && (o0 - o2).abs() / o0 < 1e-6, "{mins:?}");
    assert_eq!(calls(&sells[0], PUMP_PROGRAM, PUMP_SELL).unwrap()[16..24], mins[2].to_le_bytes());
}
on_both_databases!(a_sell_that_fails_twice_is_retried_with_escalating_slippage_and_lands_once);

/// An exit decided from a stale view of a position that is already closed (here by a manual
/// sell the monitor has not heard of) sends nothing: no intent, no transaction, no "failed on
/// chain". The monitor stops tracking the closed position.
async fn an_exit_never_fires_for_a_position_that_is_already_closed(db: &TestDb) {
    let w = world(db, |c| {
        c.stop_loss = None;
        c.trailing_stop = None;
        c.time_exit_hours = None;
        c.take_profit = vec![quantbot::domain::user_config::TakeProfitStep { gain_bps: 5_000, sell_pct: 100 }];
    })
    .await;
    let p = w.buy().await;
    let sell = TradeRequest::sell(
        UserId(ALICE),
        w.coin.mint,
        Some(p.id),
        TradeAmount::PercentOfPosition(100),
        IdempotencyKey::command(UserId(ALICE), ALICE, 2),
    );
    let TradeOutcome::Filled { position, .. } = w.trading.execute(sell).await.unwrap() else { panic!("not sold") };
    assert!(!position.is_open);
    assert_eq!(w.monitor.tracked().await, 1, "the monitor still holds the stale open view");
    pump::move_price(&w.chain, &w.coin, |c: &mut BondingCurve| c.virtual_quote_reserves *= 2);
    let r = w.monitor.tick().await;
    assert_eq!((r.exits, r.filled), (1, 0), "{r:?}");
    assert!(w.exit_intents().await.is_empty(), "no exit intent for a closed position");
    assert_eq!(sells_sent(&w.chain, PUMP_PROGRAM, PUMP_SELL).len(), 1, "only the manual sell was sent");
    assert_eq!(w.monitor.tracked().await, 0, "a closed position leaves the monitor");
    assert_eq!(w.monitor.tick().await.exits, 0);
}
on_both_databases!(an_exit_never_fires_for_a_position_that_is_already_closed);

/// Property: any interleaving of sell requests on one live position (buttons, commands and
/// exits arriving at once, by percent or by token count) never sells more than it holds, never
/// sends a sell for a closed position, and leaves the book equal to the wallet.
#[test]
fn any_interleaving_of_sells_never_oversells_or_sells_a_closed_position() {
    use proptest::prelude::*;
    let config = ProptestConfig { cases: 6, failure_persistence: None, ..ProptestConfig::default() };
    let request = prop_oneof![
        (1u8..=100).prop_map(TradeAmount::PercentOfPosition),
        (1u64..=150).prop_map(TradeAmount::Tokens), // per mille of the position, up to 150 %
    ];
    proptest!(config, |(requests in proptest::collection::vec((request, any::<bool>()), 2..7))| {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let db = TestDb::sqlite().await;
            let w = world(&db, |c| {
                c.stop_loss = None;
                c.take_profit = Vec::new();
                c.trailing_stop = None;
                c.time_exit_hours = None;
            })
            .await;
            let p = w.buy().await;
            let initial = p.book.tokens;
            let sells = requests.iter().enumerate().map(|(i, (amount, by_id))| {
                let amount = match amount {
                    TradeAmount::Tokens(per_mille) => TradeAmount::Tokens(initial / 1_000 * per_mille),
                    other => *other,
                };
                let key = IdempotencyKey::command(UserId(ALICE), ALICE, 10 + i64::try_from(i).unwrap());
                let target = by_id.then_some(p.id);
                w.trading.execute(TradeRequest::sell(UserId(ALICE), w.coin.mint, target, amount, key))
            });
            let outcomes = futures::future::join_all(sells).await;
            let filled = outcomes.iter().filter(|o| matches!(o, Ok(TradeOutcome::Filled { .. }))).count();
            let history = w.db.trade_history(UserId(ALICE), 0, 100).await.unwrap();
            let sold: u64 = history.iter().filter(|t| t.side == Side::Sell).map(|t| t.tokens).sum();
            let after = w.position(p.id).await;
            assert!(sold <= initial, "sold {sold} of {initial}");
            assert_eq!(after.book.tokens, initial - sold);
            assert_eq!(after.is_open, after.book.tokens > 0);
            let sent = sells_sent(&w.chain, PUMP_PROGRAM, PUMP_SELL).len();
            assert_eq!(sent, filled, "every sell sent landed and was recorded: {outcomes:?}");
            let held = w.chain.token_amount(&w.coin.ata_of(&w.wallet)).unwrap_or(0);
            assert_eq!(held, after.book.tokens, "the book equals the wallet");
            db.cleanup().await;
        });
    });
}

/// The execution breaker: five failed sends in a row open it (admins are told, new buys are
/// refused with the rule's reason); after the cooldown exactly one probe goes through, and its
/// success closes it again (admins are told) — no restart and no trade needed from outside.
async fn the_execution_breaker_trips_cools_down_probes_and_resets(db: &TestDb) {
    use quantbot::domain::breaker::BreakerState;
    use quantbot::domain::failure::TradeFailure;
    use quantbot::ports::TradeNotice;
    let w = world(db, |_| {}).await;
    let buy = |n: i64| {
        let key = IdempotencyKey::command(UserId(ALICE), ALICE, 500 + n);
        let lamports = Lamports(10_000_000 + u64::try_from(n).unwrap());
        w.trading.execute(TradeRequest::buy(UserId(ALICE), w.coin.mint, lamports, key))
    };
    w.chain.inject(None, Some("sendTransaction"), Fault::RpcError(-32_002, "node is unhealthy".into()), 5);
    for n in 0..5 {
        let out = buy(n).await.unwrap();
        assert_eq!(out.failure(), Some(&TradeFailure::NotSent), "{out:?}");
    }
    assert!(matches!(w.trading.breaker_state(), BreakerState::Open { failures: 5, .. }));
    let tripped = w.notices.to(ADMIN);
    assert!(
        matches!(tripped.as_slice(), [TradeNotice::ExecutionBreaker { open: true, failures: 5, .. }]),
        "{tripped:?}"
    );
    let refused = buy(5).await.unwrap();
    assert!(matches!(refused.failure(), Some(TradeFailure::Risk(r)) if r.rule() == "execution_breaker"), "{refused:?}");

    w.clock.advance(30_000);
    let probe = buy(6).await.unwrap();
    assert!(matches!(probe, TradeOutcome::Filled { .. }), "the probe goes through: {probe:?}");
    assert_eq!(w.trading.breaker_state(), BreakerState::Closed { failures: 0 });
    let reset = w.notices.to(ADMIN);
    assert!(matches!(reset.last(), Some(TradeNotice::ExecutionBreaker { open: false, .. })), "{reset:?}");
    assert!(matches!(buy(7).await.unwrap(), TradeOutcome::Filled { .. }), "buys flow again");
}
on_both_databases!(the_execution_breaker_trips_cools_down_probes_and_resets);

/// The price feed reads each distinct mint once per tick, however many positions hold it:
/// 300 positions over 3 coins are one batched curve read, and every position gets its own
/// coin's price.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prices_are_read_once_per_distinct_mint() {
    let chain = FakeChain::start().await;
    pump::install(&chain);
    let coins: Vec<Coin> = (0..3).map(|_| new_coin(&chain)).collect();
    let rpc: Arc<dyn ChainClient> = Arc::new(HeliusClient::new(helius_config(&chain), None).unwrap());
    let globals = GlobalCache::load(rpc.clone()).await.unwrap();
    let router = Arc::new(VenueRouter::new(rpc.clone(), globals, None, RouterSettings::default()));
    let prices = MarketPrices::new(rpc, router, Duration::from_secs(10));
    let holdings: Vec<(Pubkey, u64)> = (0..300).map(|i| (coins[i % 3].mint, 1_000 + i as u64)).collect();
    let before = chain.requests().iter().filter(|r| r.method == "getMultipleAccounts").count();
    let got = quantbot::ports::PriceSource::prices(&prices, &holdings).await;
    let reads = chain.requests().iter().filter(|r| r.method == "getMultipleAccounts").count() - before;
    assert_eq!(reads, 1, "one batched read for 3 distinct mints");
    assert_eq!(got.len(), 300);
    for (i, p) in got.iter().enumerate() {
        assert_eq!(p, &got[i % 3], "position {i} gets its own coin's price");
        assert!(p.is_ok());
    }
}

/// Pump sell instruction data of every distinct simulated transaction, in order.
fn simulated_sells(chain: &FakeChain) -> Vec<Vec<u8>> {
    let mut seen = std::collections::HashSet::new();
    chain
        .requests()
        .iter()
        .filter(|r| r.method == "simulateTransaction")
        .filter_map(|r| decode(r.params[0].as_str()?, &r.params[1]))
        .filter(|tx| seen.insert(tx.signatures[0]))
        .filter_map(|tx| calls(&tx, PUMP_PROGRAM, PUMP_SELL))
        .collect()
}

fn vm_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// RSS with 10,000 users and 100,000 open positions held by the monitor (target ≤ 128 MiB for
/// the process). Run: `cargo test --test it monitor_memory -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement: prints VmRSS"]
async fn monitor_memory_with_10k_users_and_100k_positions() {
    use quantbot::app::trade::StoredExit;
    use quantbot::domain::exit::{ExitProgress, ExitRules};
    use quantbot::domain::position::PositionBook;
    let db = TestDb::sqlite().await;
    let w = world(&db, |_| {}).await;
    let before = vm_rss_kib();
    let rules = ExitRules::from_config(&quantbot::domain::user_config::UserConfig::default());
    let mints: Vec<String> = (0..5_000).map(|_| Pubkey::new_unique().to_string()).collect();
    for i in 0..100_000_i64 {
        let exit = StoredExit {
            rules: rules.clone(),
            progress: ExitProgress { tp_done: 0, initial_tokens: 1_000_000 },
            exits_off: false,
        };
        let record = PositionRecord {
            id: i + 1,
            user: UserId(1_000 + i % 10_000),
            wallet_id: Some(i % 10_000),
            mint: mints[usize::try_from(i).unwrap() % mints.len()].clone(),
            decimals: 6,
            book: PositionBook {
                tokens: 1_000_000,
                cost: Lamports(100_000_000),
                realized: 0,
                opened_at_ms: 1_900_000_000_000,
            },
            is_paper: false,
            is_open: true,
            exit_rules: Some(serde_json::to_string(&exit).unwrap()),
            peak_price: Some(rust_decimal::Decimal::new(28_123_456_789, 24)),
            source: Some("alpha".to_owned()),
            closed_at_ms: None,
        };
        w.monitor.upsert(record).await;
    }
    assert_eq!(w.monitor.tracked().await, 100_000);
    let after = vm_rss_kib();
    eprintln!(
        "VmRSS: {} MiB total ({} MiB before loading, +{} MiB for 100,000 positions of 10,000 users)",
        after / 1024,
        before / 1024,
        (after - before) / 1024
    );
    assert!(after < 128 * 1024, "VmRSS {after} KiB");
    db.cleanup().await;
}

/// `/panic`'s use-case: 20 open live positions → entries turned off, 20 sells (each an intent
/// keyed by position), all landed on the fake chain, every notice says "panic"; a second press
/// adds no intent and sends nothing.
async fn panic_sells_every_open_position_once_and_turns_entries_off(db: &TestDb) {
    use quantbot::app::panic::panic_sell;
    use quantbot::domain::exit::ExitReason;
    use quantbot::ports::TradeNotice;
    let w = world(db, |c| {
        c.stop_loss = None;
        c.take_profit = Vec::new();
        c.trailing_stop = None;
        c.time_exit_hours = None;
        c.max_open_positions = 20;
    })
    .await;
    let mut ids = Vec::new();
    for n in 0..20_i64 {
        let coin = new_coin(&w.chain);
        let key = IdempotencyKey::command(UserId(ALICE), ALICE, 1_000 + n);
        let out =
            w.trading.execute(TradeRequest::buy(UserId(ALICE), coin.mint, Lamports(SOL / 100), key)).await.unwrap();
        let TradeOutcome::Filled { position, .. } = out else { panic!("buy {n}: {out:?}") };
        ids.push(position.id);
    }
    // A double press: two presses at once sell each position once between them.
    let (a, b) = tokio::join!(panic_sell(&w.trading, UserId(ALICE)), panic_sell(&w.trading, UserId(ALICE)));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.filled + b.filled, a.failed + b.failed), (20, 0), "{a:?} {b:?}");
    assert!(a.disabled_entries || b.disabled_entries, "{a:?} {b:?}");
    assert!(!w.db.config(UserId(ALICE)).await.unwrap().trading_enabled, "new entries are off");
    for id in &ids {
        assert!(!w.position(*id).await.is_open, "position {id} still open");
    }
    let mut keys: Vec<(String, String)> =
        ids.iter().map(|id| (format!("p{id}:panic#0"), "confirmed".to_owned())).collect();
    keys.sort();
    let mut got = w.exit_intents().await;
    got.sort();
    assert_eq!(got, keys);
    assert_eq!(sells_sent(&w.chain, PUMP_PROGRAM, PUMP_SELL).len(), 20, "20 sells landed");
    let sold: Vec<TradeNotice> =
        w.notices.to(ALICE).into_iter().filter(|n| matches!(n, TradeNotice::Filled { side: Side::Sell, .. })).collect();
    assert_eq!(sold.len(), 20);
    for n in &sold {
        assert!(matches!(n, TradeNotice::Filled { exit: Some(ExitReason::Panic), .. }), "{n:?}");
        let text = quantbot::telegram::reply::render_notice(Lang::En, n);
        assert!(text.starts_with(&tr(Lang::En, "exit.panic", &[])), "{text}");
        crate::home::assert_telegram_html(&text);
    }
    // A second press: nothing open, nothing stored, nothing sent.
    let again = panic_sell(&w.trading, UserId(ALICE)).await.unwrap();
    assert_eq!((again.disabled_entries, again.positions, again.filled), (false, 0, 0), "{again:?}");
    assert_eq!(w.exit_intents().await.len(), 20, "a second press adds no intent");
    assert_eq!(sells_sent(&w.chain, PUMP_PROGRAM, PUMP_SELL).len(), 20);
}
on_both_databases!(panic_sells_every_open_position_once_and_turns_entries_off);
