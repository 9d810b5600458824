//! Alert-to-trade connector: the real connector, trading core, storage, custody and venue router
//! against the fake chain (with the fake Pump.fun program), on both databases; plus `/source` and
//! `/alerts` through the fake Bot API.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use quantbot::app::connector::{
    AlertServices, ConfirmOutcome, Connector, ConnectorSettings, IncomingPost, PostOutcome,
};
use quantbot::app::keys::load_key_ring;
use quantbot::app::trade::{TradeOutcome, Trading, TradingPorts, TradingSettings, fast_submit};
use quantbot::app::wallet::{WalletSettings, Wallets};
use quantbot::config::MasterKeySource;
use quantbot::domain::alert::rules::SubscriptionSettings;
use quantbot::domain::alert::{AlertKind, SkipReason};
use quantbot::domain::lang::Lang;
use quantbot::domain::money::{Bps, Lamports};
use quantbot::domain::position::Side;
use quantbot::domain::risk::GlobalLimits;
use quantbot::domain::user::UserId;
use quantbot::ports::alerts::{AddSource, AlertRepo, LatencySink, NewSource};
use quantbot::ports::{ChainClient, Notifier, QuoteRequest, SeenUser, SystemClock, TradeNotice, UserRepo};
use quantbot::solana::helius::limits::{Backoff, BreakerPolicy};
use quantbot::solana::helius::transport::RetryPolicy;
use quantbot::solana::helius::{HeliusClient, HeliusConfig};
use quantbot::solana::ids::TOKEN_PROGRAM;
use quantbot::storage::Db;
use quantbot::venues::globals::GlobalCache;
use quantbot::venues::router::{RouterSettings, VenueRouter};
use quantbot::wallet::signer::KeyringSigner;
use secrecy::SecretString;
use serde_json::json;
use solana_pubkey::Pubkey;

use crate::on_both_databases;
use crate::support::fake_chain::FakeChain;
use crate::support::fake_chain::pump::{self, Coin, fresh_curve, seed_coin};
use crate::support::{TestApp, TestDb};

const MASTER_HEX: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const CHANNEL: i64 = -1_001_987_654_321;
const SOL: u64 = 1_000_000_000;

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

#[derive(Default)]
struct Latencies(Mutex<Vec<(f64, String)>>);

impl LatencySink for Latencies {
    fn alert_trade_latency(&self, seconds: f64, mode: &str) {
        self.0.lock().unwrap().push((seconds, mode.to_owned()));
    }
    fn alert_post(&self, _outcome: &str) {}
}

struct World {
    db: Db,
    fake: FakeChain,
    trading: Trading,
    wallets: Wallets,
    notices: Arc<Notices>,
    latencies: Arc<Latencies>,
    coin: Coin,
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

async fn world(test_db: &TestDb) -> World {
    let db = test_db.open().await;
    let fake = FakeChain::start().await;
    pump::install(&fake);
    let coin = seed_coin(&fake, TOKEN_PROGRAM, &fresh_curve(Pubkey::new_unique()));
    let chain: Arc<dyn ChainClient> = Arc::new(HeliusClient::new(helius_config(&fake), None).unwrap());
    let globals = GlobalCache::load(chain.clone()).await.unwrap();
    let router = Arc::new(VenueRouter::new(chain.clone(), globals, None, RouterSettings::default()));
    let master = MasterKeySource::Hex(SecretString::from(MASTER_HEX));
    let ring = Arc::new(load_key_ring(&db, &master, None).await.unwrap());
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
        chain,
        Some(ring),
        port,
        Arc::new(SystemClock),
        WalletSettings { withdraw_limit_per_hour: Lamports(SOL), dry_run: true },
    );
    let trading = Trading::new(ports, settings);
    World { db, fake, trading, wallets, notices, latencies: Arc::new(Latencies::default()), coin }
}

impl World {
    fn services(&self) -> AlertServices {
        AlertServices::new(Arc::new(self.db.clone()), self.latencies.clone(), ConnectorSettings::default())
    }

    fn connector(&self, services: &AlertServices) -> Connector {
        Connector::new(services.clone(), self.trading.clone())
    }

    /// A registered user with trading enabled, a funded wallet and a subscription.
    async fn trader(&self, id: i64, source: i64, settings: &[&str]) {
        let seen = SeenUser { id: UserId(id), chat_id: id, username: None, lang: Lang::En, is_config_admin: false };
        self.db.register(&seen).await.unwrap();
        let mut config = self.db.config(UserId(id)).await.unwrap();
        config.trading_enabled = true;
        self.db.save_config(UserId(id), &config).await.unwrap();
        let wallet = self.wallets.add(UserId(id)).await.unwrap();
        self.fake.fund(&wallet.pubkey.parse::<Pubkey>().unwrap(), 5 * SOL);
        let s = if settings.is_empty() {
            SubscriptionSettings::default()
        } else {
            SubscriptionSettings::default().apply(settings).unwrap()
        };
        self.db.subscribe(UserId(id), source, &s).await.unwrap();
    }

    async fn source(&self, kind: AlertKind) -> i64 {
        let new = NewSource {
            chat_id: CHANNEL,
            username: Some("alpha_calls_test".into()),
            kind,
            name: "alpha".into(),
            created_by: UserId(1),
        };
        let AddSource::Added(s) = self.db.add_source(&new).await.unwrap() else { panic!("not added") };
        s.id
    }

    fn post(&self, message_id: i64, text: &str) -> IncomingPost {
        IncomingPost {
            chat_id: CHANNEL,
            message_id,
            text: text.to_owned(),
            entities: vec![],
            button_urls: vec![],
            received_at_ms: chrono::Utc::now().timestamp_millis(),
            posted_at_ms: chrono::Utc::now().timestamp_millis(),
        }
    }

    async fn intents(&self) -> Vec<(i64, String, String)> {
        use sqlx::Row;
        let rows = sqlx::query("SELECT user_id, idempotency_key, state FROM trade_intents ORDER BY id")
            .fetch_all(self.db.pool())
            .await
            .unwrap();
        rows.iter().map(|r| (r.get("user_id"), r.get("idempotency_key"), r.get("state"))).collect()
    }
}

/// Admin registers a channel; four users subscribe with different sizes and rules; one post →
/// the right paper buys land, the right skips are explained, positions exist; a confirm card
/// buys on press with the same alert key; latencies are recorded.
async fn one_post_buys_for_the_right_subscribers_and_explains_the_rest(db: &TestDb) {
    let w = world(db).await;
    let source = w.source(AlertKind::CaDrop).await;
    w.trader(11, source, &["sol=0.05"]).await; // buys
    w.trader(12, source, &["sol=0.08", "min_liquidity=1"]).await; // rule skip: fresh curve has no real SOL
    w.trader(13, source, &["sol=0.5"]).await; // risk refusal: above max_position_sol (0.1)
    w.trader(14, source, &["sol=0.02", "mode=confirm"]).await; // buy card
    let services = w.services();
    let connector = w.connector(&services);
    let text = format!("🚀 NEW CALL: $PEPE\nCA: {}\nChart: https://pump.fun/coin/{}", w.coin.mint, w.coin.mint);
    let PostOutcome::Dispatched(report) = connector.handle_post(&w.post(4242, &text)).await.unwrap() else {
        panic!("not dispatched")
    };
    assert_eq!((report.subscribers, report.executed, report.rule_skips, report.confirm_cards), (4, 1, 1, 1));
    assert_eq!(report.refused, 1);

    let filled = w.notices.of(11);
    assert!(matches!(filled.as_slice(), [TradeNotice::Filled { paper: true, .. }]), "{filled:?}");
    let skipped = w.notices.of(12);
    assert!(
        matches!(skipped.as_slice(), [TradeNotice::AlertSkipped { reason, limit, .. }] if reason == "rule.min_liquidity" && limit == "1"),
        "{skipped:?}"
    );
    let refused = w.notices.of(13);
    assert!(
        matches!(refused.as_slice(), [TradeNotice::Refused { reason, .. }] if reason.code() == "risk.max_position"),
        "{refused:?}"
    );
    let card = w.notices.of(14);
    let [TradeNotice::AlertConfirm { alert_id, sol, .. }] = card.as_slice() else { panic!("{card:?}") };
    assert_eq!(*sol, Lamports(20_000_000));

    let positions = quantbot::ports::PositionRepo::open_positions(&w.db, UserId(11)).await.unwrap();
    assert_eq!(positions.len(), 1);
    assert_eq!(positions[0].mint, w.coin.mint.to_string());
    assert!(quantbot::ports::PositionRepo::open_positions(&w.db, UserId(12)).await.unwrap().is_empty());

    // The card's buy button: same alert key, so a second press is a duplicate.
    let first = connector.confirm(UserId(14), *alert_id).await.unwrap();
    assert!(matches!(&first, ConfirmOutcome::Started(o) if matches!(**o, TradeOutcome::Filled { .. })), "{first:?}");
    let again = connector.confirm(UserId(14), *alert_id).await.unwrap();
    assert!(matches!(&again, ConfirmOutcome::Started(o) if matches!(**o, TradeOutcome::Duplicate { .. })));
    assert_eq!(connector.confirm(UserId(11), 999_999).await.unwrap(), ConfirmOutcome::Stale);

    let keys: Vec<String> = w.intents().await.into_iter().map(|(_, k, _)| k).collect();
    let alert = format!("{CHANNEL}:4242");
    assert!(keys.contains(&format!("u11:alert:{alert}")) && keys.contains(&format!("u14:alert:{alert}")));
    assert!(!keys.iter().any(|k| k.starts_with("u12:")), "a rule skip creates no intent");
    let latencies = w.latencies.0.lock().unwrap().clone();
    assert_eq!(latencies.len(), 1, "auto buys record alert → sent latency");
    assert!(latencies[0].0 >= 0.0 && latencies[0].1 == "paper");
}
on_both_databases!(one_post_buys_for_the_right_subscribers_and_explains_the_rest);

/// The fan-out reads the market once and every buyer's wallet in batches: for 150 paper buyers
/// the reads are one market read, one priority-fee read, ⌈150/100⌉ batched account reads (the
/// SOL of every wallet; token accounts only of buyers already holding the mint, none here), the
/// token-safety read and round trip, and the cached blockhash — no per-subscriber balance,
/// account or simulation call. Each paper fill is the
/// exact curve math of its quote, which the simulator confirms for the same buy.
async fn a_fan_out_reads_the_market_once_and_wallets_in_batches(db: &TestDb) {
    let w = world(db).await;
    let source = w.source(AlertKind::CaDrop).await;
    let buyers: Vec<i64> = (0..150).map(|i| 1_000 + i).collect();
    for id in &buyers {
        w.trader(*id, source, &["sol=0.01"]).await;
    }
    let services = w.services();
    let connector = w.connector(&services);
    let before = w.fake.requests().len();
    let PostOutcome::Dispatched(report) =
        connector.handle_post(&w.post(5151, &format!("CA: {}", w.coin.mint))).await.unwrap()
    else {
        panic!("not dispatched")
    };
    assert_eq!((report.subscribers, report.executed), (150, 150), "{report:?}");
    let calls: Vec<String> = w.fake.requests()[before..].iter().map(|r| r.method.clone()).collect();
    let count = |m: &str| calls.iter().filter(|c| *c == m).count();
    // Market (1) + the token-safety read (1, concurrent with it) + wallets (2 batches of 100).
    assert_eq!(count("getMultipleAccounts"), 1 + 1 + 2, "{calls:?}");
    // The safety read's holder list (same round trip as its getMultipleAccounts) and the one
    // round-trip simulation (a tiny buy + sell, before the first buy).
    assert_eq!(count("getTokenLargestAccounts"), 1, "{calls:?}");
    assert_eq!(count("simulateTransaction"), 1, "{calls:?}");
    assert_eq!(count("getPriorityFeeEstimate"), 1, "{calls:?}");
    assert!(count("getLatestBlockhash") <= 2, "the blockhash is cached: {calls:?}");
    assert!(calls.len() <= 1 + 1 + 2 + 2 + 3, "{calls:?}");
    for per_user in ["getBalance", "getAccountInfo", "sendTransaction"] {
        assert_eq!(count(per_user), 0, "{per_user}: {calls:?}");
    }
    let safety = w.trading.safety().cached(&w.coin.mint).expect("the fan-out's safety read is cached");
    assert_eq!(safety.round_trip, Some(quantbot::domain::safety::RoundTrip::Sellable), "a clean pump coin sells");
    // Call, quote and fill price are recorded for every alert trade.
    let row = sqlx::query(
        "SELECT i.call_price, i.quote_price, t.price FROM trade_intents i JOIN trades t ON t.intent_id = i.id \
         WHERE i.user_id = $1",
    )
    .bind(buyers[0])
    .fetch_one(w.db.pool())
    .await
    .unwrap();
    for column in ["call_price", "quote_price", "price"] {
        let value: Option<String> = sqlx::Row::get(&row, column);
        assert!(value.is_some_and(|v| v.parse::<rust_decimal::Decimal>().is_ok()), "{column} recorded");
    }
    // The paper fill equals what the chain's own curve math gives for the same buy.
    let position = quantbot::ports::PositionRepo::open_positions(&w.db, UserId(buyers[0])).await.unwrap().remove(0);
    let quote = w
        .trading
        .ports()
        .swapper
        .quote(&QuoteRequest { mint: w.coin.mint, side: Side::Buy, amount_in: 10_000_000, slippage: Bps(1_000) })
        .await
        .unwrap();
    assert_eq!(position.book.tokens, quote.expected_out, "the curve has not moved in paper mode");
    let owner: Pubkey = w.wallets.default_wallet(UserId(buyers[0])).await.unwrap().unwrap().pubkey.parse().unwrap();
    let simulated = simulate_buy(&w, &quote, owner).await;
    assert_eq!(simulated, quote.expected_out, "the simulator agrees with the quote's curve math");
}
on_both_databases!(a_fan_out_reads_the_market_once_and_wallets_in_batches);

/// Tokens a buy of `quote` gives `owner`, by simulating the planned, signed transaction.
async fn simulate_buy(w: &World, quote: &quantbot::ports::Quote, owner: Pubkey) -> u64 {
    use quantbot::solana::instructions::AtaSpec;
    let chain = w.trading.ports().chain.clone();
    let plan = w.trading.ports().swapper.plan(quote, &owner, &quantbot::ports::PlanOptions::default()).await.unwrap();
    let budget = quantbot::solana::tx::ComputeBudget {
        unit_limit: quantbot::solana::instructions::ComputeUnits(plan.compute_unit_limit),
        unit_price: quantbot::solana::instructions::MicroLamportsPerCu(0),
    };
    let mut draft = quantbot::solana::tx::TxDraft::new(owner, budget);
    draft.extend(plan.instructions);
    let message = draft.compile(chain.latest_blockhash().await.unwrap().blockhash).unwrap();
    let user = UserId(1_000);
    let wallet = w.wallets.default_wallet(user).await.unwrap().unwrap();
    let tx = w.trading.ports().signer.sign(user, wallet.id, message).await.unwrap();
    let ata = AtaSpec { owner, mint: quote.request.mint, token_program: quote.token_program }.address();
    let sim = chain.simulate(&tx, &[ata]).await.unwrap();
    assert!(sim.err.is_none(), "{:?}", sim.err);
    quantbot::app::trade::token_account_amount(sim.accounts[0].as_ref())
}

/// Each post delivered up to five times (concurrently, then again after a "restart" with a fresh
/// duplicate filter): exactly one intent per user and alert.
async fn redelivered_posts_create_exactly_one_intent_per_user_and_alert(db: &TestDb) {
    let w = world(db).await;
    let source = w.source(AlertKind::CaDrop).await;
    w.trader(21, source, &["sol=0.01"]).await;
    w.trader(22, source, &["sol=0.02"]).await;
    let services = w.services();
    let connector = w.connector(&services);
    let post = w.post(77, &format!("CA {}", w.coin.mint));
    let runs = futures::future::join_all((0..5).map(|_| connector.handle_post(&post))).await;
    let dispatched = runs.iter().filter(|r| matches!(r, Ok(PostOutcome::Dispatched(_)))).count();
    assert_eq!(dispatched, 1, "{runs:?}");
    assert!(runs.iter().all(|r| matches!(r, Ok(PostOutcome::Dispatched(_) | PostOutcome::Repeat))));
    // A restart forgets the in-memory filter: the redelivery reaches the trading core, which
    // finds the intents by key.
    let restarted = w.connector(&w.services());
    let PostOutcome::Dispatched(report) = restarted.handle_post(&post).await.unwrap() else { panic!() };
    assert_eq!(report.duplicates, 2);
    // Another post with the same mint inside the window is a repeat call.
    assert_eq!(
        connector.handle_post(&w.post(78, &format!("again {}", w.coin.mint))).await.unwrap(),
        PostOutcome::Repeat
    );
    let intents = w.intents().await;
    assert_eq!(intents.len(), 2, "{intents:?}");
    let mut per_user: HashMap<i64, usize> = HashMap::new();
    for (u, _, _) in &intents {
        *per_user.entry(*u).or_default() += 1;
    }
    assert_eq!(per_user, HashMap::from([(21, 1), (22, 1)]));
    assert_eq!(w.notices.of(21).len(), 1, "one notice per user, not one per delivery");
}
on_both_databases!(redelivered_posts_create_exactly_one_intent_per_user_and_alert);

fn channel_message(extra: serde_json::Value, chat_id: i64) -> teloxide::types::Message {
    let mut post = json!({
        "message_id": 4242,
        "sender_chat": {"id": chat_id, "title": "Alpha Calls (test)", "username": "alpha_calls_test", "type": "channel"},
        "chat": {"id": chat_id, "title": "Alpha Calls (test)", "username": "alpha_calls_test", "type": "channel"},
        // Posted now: an alert is as old as its post.
        "date": chrono::Utc::now().timestamp(),
        "text": "CA: Coyj3LtKn1BNSgWc9HsGK5SKoGfEoDaymig4wrN6pump",
    });
    for (k, v) in extra.as_object().unwrap() {
        post[k] = v.clone();
    }
    serde_json::from_str(&post.to_string()).unwrap()
}

/// Spoofing matrix: an unregistered chat (with the same title), a forwarded copy, an edited
/// post and a discussion-group automatic forward never create an intent.
async fn spoofed_posts_never_trade(db: &TestDb) {
    use quantbot::telegram::endpoints::alerts::incoming;
    let w = world(db).await;
    let source = w.source(AlertKind::CaDrop).await;
    w.trader(31, source, &["sol=0.01"]).await;
    let connector = w.connector(&w.services());
    let mint = w.coin.mint.to_string();
    let text = json!({"text": format!("CA: {mint}")});
    let now = chrono::Utc::now().timestamp_millis();

    let forwarded = channel_message(
        json!({"text": format!("CA: {mint}"), "forward_origin": {"type": "channel", "chat": {"id": CHANNEL, "title": "Alpha Calls (test)", "type": "channel"}, "message_id": 1, "date": 1_795_000_000}}),
        -1_009_999,
    );
    let edited = channel_message(json!({"text": format!("CA: {mint}"), "edit_date": 1_795_000_100}), CHANNEL);
    let mut auto = json!({
        "message_id": 5, "date": 1_795_000_000, "text": format!("CA: {mint}"), "is_automatic_forward": true,
        "sender_chat": {"id": CHANNEL, "title": "Alpha Calls (test)", "type": "channel"},
        "chat": {"id": CHANNEL, "title": "Alpha Calls chat", "type": "supergroup"},
    });
    auto["from"] = json!({"id": 777_000, "is_bot": false, "first_name": "Telegram"});
    let auto: teloxide::types::Message = serde_json::from_str(&auto.to_string()).unwrap();
    for (name, msg) in [("forwarded", &forwarded), ("edited", &edited), ("automatic forward", &auto)] {
        assert!(incoming(msg, now).is_none(), "{name} must be ignored");
    }
    // Same title and username, different numeric id: not a source.
    let lookalike = channel_message(text, -1_001_111_111_111);
    let post = incoming(&lookalike, now).unwrap();
    assert_eq!(connector.handle_post(&post).await.unwrap(), PostOutcome::NotASource);
    // The genuine post still works, and is the only one that trades.
    let genuine = incoming(&channel_message(json!({"text": format!("CA: {mint}")}), CHANNEL), now).unwrap();
    assert!(matches!(connector.handle_post(&genuine).await.unwrap(), PostOutcome::Dispatched(_)));
    assert_eq!(w.intents().await.len(), 1);
    // An unreadable post (teloxide: unknown entity type → no text) is ignored.
    let sample = include_str!("../fixtures/telegram/update.channel_post.date_time_entity.bot-api-9.5.json");
    let update: teloxide::types::Update = serde_json::from_str(sample).unwrap();
    let teloxide::types::UpdateKind::ChannelPost(m) = update.kind else { panic!("not a channel post") };
    assert!(incoming(&m, now).is_none(), "teloxide drops the text of posts with unknown entity types");
}
on_both_databases!(spoofed_posts_never_trade);

/// A post that does not parse is remembered with its reason and trades nothing.
async fn unparseable_posts_are_skipped_with_a_reason(db: &TestDb) {
    let w = world(db).await;
    let source = w.source(AlertKind::Signal).await;
    w.trader(41, source, &[]).await;
    let connector = w.connector(&w.services());
    let sell = format!("🔴 SELL $XYZ\nCA: {}", w.coin.mint);
    assert_eq!(connector.handle_post(&w.post(1, &sell)).await.unwrap(), PostOutcome::Skipped(SkipReason::NotABuy));
    let two = format!("BUY {} or {}", w.coin.mint, Pubkey::new_unique());
    assert_eq!(connector.handle_post(&w.post(2, &two)).await.unwrap(), PostOutcome::Skipped(SkipReason::SeveralMints));
    let buy =
        format!("🟢 LIVE TRADE ENTRY\nBUY $XYZ\nCA: {}\nEntry: 0.0000123\nSL: -25%\nTP1: +50% TP2: +100%", w.coin.mint);
    assert!(matches!(connector.handle_post(&w.post(3, &buy)).await.unwrap(), PostOutcome::Dispatched(_)));
    let positions = quantbot::ports::PositionRepo::open_positions(&w.db, UserId(41)).await.unwrap();
    assert_eq!(positions.len(), 1);
    let rules = format!("{:?}", positions[0].exit_rules);
    assert!(rules.contains("2500") && rules.contains("5000") && rules.contains("10000"), "{rules}");
    assert_eq!(w.intents().await.len(), 1);
}
on_both_databases!(unparseable_posts_are_skipped_with_a_reason);

/// `/source` is admin-only; `/alerts` subscribes, explains bad settings and changes nothing then.
async fn source_and_alerts_commands(db: &TestDb) {
    let app = TestApp::spawn(db, &[]).await;
    let tg = &app.tg;
    let c = tg.call_count().await;
    tg.send_private(5, "en", "/source add -1001987654321 ca_drop alpha").await;
    let refused = tg.next_text_to(c, 5).await;
    let not_admin = quantbot::telegram::Reply::from(quantbot::telegram::reply::admin::AdminReply::NotAdmin);
    assert_eq!(refused.body["text"].as_str(), Some(not_admin.text(quantbot::domain::lang::Lang::En).as_str()));

    let c = tg.call_count().await;
    tg.send_private(1, "en", "/source add -1001987654321 ca_drop alpha").await;
    let added = tg.next_text_to(c, 1).await;
    assert!(added.body["text"].as_str().unwrap().contains("alpha"), "{}", added.body);
    let c = tg.call_count().await;
    tg.send_private(1, "en", "/source add -1001987654321 signal beta").await;
    let taken = tg.next_text_to(c, 1).await;
    assert!(taken.body["text"].as_str().unwrap().contains("already registered"), "{}", taken.body);
    let c = tg.call_count().await;
    tg.send_private(1, "en", "/source add -100555 weird gamma").await;
    let bad = tg.next_text_to(c, 1).await;
    assert!(bad.body["text"].as_str().unwrap().contains("ca_drop, signal, generic"), "{}", bad.body);

    let c = tg.call_count().await;
    tg.send_private(5, "en", "/alerts subscribe alpha 0.2").await;
    let sub = tg.next_text_to(c, 5).await;
    assert!(sub.body["text"].as_str().unwrap().contains("0.2 SOL"), "{}", sub.body);
    let c = tg.call_count().await;
    tg.send_private(5, "en", "/alerts set alpha mode=confirm hours=25-3").await;
    let bad = tg.next_text_to(c, 5).await;
    let text = bad.body["text"].as_str().unwrap();
    assert!(text.contains("hours=25-3") && text.contains("8-20"), "{text}");
    let c = tg.call_count().await;
    tg.send_private(5, "en", "/alerts").await;
    let list = tg.next_text_to(c, 5).await;
    let text = list.body["text"].as_str().unwrap();
    assert!(text.contains("✅ alpha") && text.contains("mode=auto") && text.contains("sol=0.2"), "{text}");
    let c = tg.call_count().await;
    tg.send_private(5, "ru", "/alerts set alpha max_mcap=300 sl=off").await;
    let saved = tg.next_text_to(c, 5).await;
    assert!(saved.body["text"].as_str().unwrap().contains("max_mcap=300"), "{}", saved.body);

    // A channel post of the registered chat, a forwarded copy and an edited post: with or
    // without a trading core, nothing is bought for anyone and the bot stays quiet.
    let c = tg.call_count().await;
    let sample = include_str!("../fixtures/telegram/update.channel_post.text_entities.json");
    let mut update: serde_json::Value = serde_json::from_str(sample).unwrap();
    update["channel_post"]["date"] = json!(chrono::Utc::now().timestamp());
    tg.push_update(update.clone()).await;
    update["channel_post"]["message_id"] = json!(4243);
    update["channel_post"]["forward_origin"] =
        json!({"type": "channel", "chat": update["channel_post"]["chat"].clone(), "message_id": 1, "date": 0});
    tg.push_update(update.clone()).await;
    let edited = include_str!("../fixtures/telegram/update.edited_channel_post.json");
    tg.push_update(serde_json::from_str(edited).unwrap()).await;
    tg.send_private(1, "en", "/source list").await;
    let listed = tg.next_text_to(c, 1).await;
    assert!(listed.body["text"].as_str().unwrap().contains("alpha — ca_drop"), "{}", listed.body);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM trade_intents").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(count, 0);
    app.stop().await;
}
on_both_databases!(source_and_alerts_commands);

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Through the fake Bot API and the fake chain, with the real app: the admin registers a channel,
/// three users subscribe with different sizes and rules, one channel post (delivered five times,
/// plus a forwarded copy and an edit) → one paper buy lands, the market-cap skip and the risk
/// refusal are explained, positions exist, and the latency is in /metrics.
async fn a_channel_post_through_the_bot_api_buys_for_the_right_subscribers(db: &TestDb) {
    use quantbot::ports::{PositionRepo, WalletRepo};
    let chain = FakeChain::start().await;
    pump::install(&chain);
    let mut curve = fresh_curve(Pubkey::new_unique());
    curve.real_quote_reserves = 5 * SOL;
    let coin = seed_coin(&chain, TOKEN_PROGRAM, &curve);
    let rpc = chain.rpc_url(0);
    let vars = [("HELIUS_RPC_URL", rpc.as_str()), ("WALLET_MASTER_KEY", MASTER_HEX), ("DRY_RUN", "true")];
    let app = TestApp::spawn(db, &vars).await;
    let tg = &app.tg;
    let say = |user: i64, text: &'static str| async move {
        let c = tg.call_count().await;
        tg.send_private(user, "en", text).await;
        tg.next_text_to(c, user).await
    };
    let added = say(1, "/source add -1001987654321 ca_drop alpha").await;
    assert!(added.body["text"].as_str().unwrap().contains("-1001987654321"), "{}", added.body);
    for (user, sub, set) in [
        (101, "/alerts subscribe alpha 0.05", None),
        (102, "/alerts subscribe alpha 0.08", Some("/alerts set alpha max_mcap=1 sl=20 tp=100:100")),
        (103, "/alerts subscribe alpha 0.5", None),
    ] {
        say(user, "/wallet add").await;
        let wallets = app.db.list_wallets(UserId(user)).await.unwrap();
        chain.fund(&wallets[0].pubkey.parse::<Pubkey>().unwrap(), 10 * SOL);
        say(user, "/livetrade enable").await;
        say(user, sub).await;
        if let Some(set) = set {
            let saved = say(user, set).await;
            assert!(saved.body["text"].as_str().unwrap().contains("max_mcap=1"), "{}", saved.body);
        }
    }

    let mint = coin.mint.to_string();
    let head = "🚀 NEW CALL: $PEPE\nCA: ";
    let text = format!("{head}{mint}\nBuy here 👉 Jupiter");
    let jupiter_at = utf16_len(&text) - utf16_len("Jupiter");
    let post = json!({
        "message_id": 4242,
        "sender_chat": {"id": CHANNEL, "title": "Alpha Calls (test)", "username": "alpha_calls_test", "type": "channel"},
        "chat": {"id": CHANNEL, "title": "Alpha Calls (test)", "username": "alpha_calls_test", "type": "channel"},
        "date": chrono::Utc::now().timestamp(),
        "text": text,
        "entities": [
            {"offset": utf16_len(head), "length": utf16_len(&mint), "type": "code"},
            {"offset": jupiter_at, "length": 7, "type": "text_link", "url": format!("https://jup.ag/swap/SOL-{mint}")},
        ],
    });
    let cursor = tg.call_count().await;
    for _ in 0..5 {
        tg.push_update(json!({"channel_post": post.clone()})).await;
    }
    let mut forwarded = post.clone();
    forwarded["message_id"] = json!(4243);
    forwarded["forward_origin"] = json!({"type": "channel", "chat": post["chat"].clone(), "message_id": 1, "date": 0});
    tg.push_update(json!({"channel_post": forwarded})).await;
    let mut edited = post.clone();
    edited["edit_date"] = json!(1_795_000_100);
    tg.push_update(json!({"edited_channel_post": edited})).await;

    let to = |user: i64, needle: &'static str| {
        tg.wait_for(cursor, "sendMessage", move |b| {
            b["chat_id"] == json!(user) && b["text"].as_str().is_some_and(|t| t.contains(needle))
        })
    };
    let bought = to(101, "Position #").await;
    assert!(bought.body["text"].as_str().unwrap().contains("Paper trade"), "{}", bought.body);
    let skipped = to(102, "market cap").await;
    assert!(skipped.body["text"].as_str().unwrap().contains("alpha"), "{}", skipped.body);
    to(103, "⛔").await;
    // The buy lands as a paper position.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if PositionRepo::open_positions(&app.db, UserId(101)).await.unwrap().len() == 1 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no position for 101");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(PositionRepo::open_positions(&app.db, UserId(102)).await.unwrap().is_empty());
    assert!(PositionRepo::open_positions(&app.db, UserId(103)).await.unwrap().is_empty());
    use sqlx::Row;
    let rows = sqlx::query("SELECT user_id, idempotency_key FROM trade_intents ORDER BY id")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    let mut keys: Vec<(i64, String)> = rows.iter().map(|r| (r.get("user_id"), r.get("idempotency_key"))).collect();
    keys.sort();
    let alert = format!("{CHANNEL}:4242");
    assert_eq!(keys, vec![(101, format!("u101:alert:{alert}")), (103, format!("u103:alert:{alert}"))]);
    assert_eq!(keys.len(), 2, "one intent per user and alert (102 skipped by rule): {keys:?}");
    let notices_102 = tg
        .calls()
        .await
        .into_iter()
        .skip(cursor)
        .filter(|c| c.method == "sendMessage" && c.body["chat_id"] == json!(102))
        .count();
    assert_eq!(notices_102, 1, "one skip message, not one per delivery");
    let metrics = reqwest::get(format!("http://{}/metrics", app.ops)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("quantbot_alert_trade_latency_seconds_count{mode=\"paper\"} 1"), "{metrics}");
    app.stop().await;
}
on_both_databases!(a_channel_post_through_the_bot_api_buys_for_the_right_subscribers);

/// An alert on a mint with a freeze authority: no intent for anyone under the default rules,
/// every subscriber (auto and confirm) is told the rule; a source that allows freezable mints
/// (`freeze=allow`) still buys. A clean mint from the same source then buys as before.
async fn an_alert_on_a_freezable_mint_creates_no_intent_and_names_the_rule(db: &TestDb) {
    use quantbot::domain::safety::fixtures::MintSpec;
    let w = world(db).await;
    let source = w.source(AlertKind::CaDrop).await;
    w.trader(61, source, &["sol=0.01"]).await;
    w.trader(62, source, &["sol=0.02", "mode=confirm"]).await;
    w.trader(63, source, &["sol=0.01", "top10=35"]).await;
    let risky = seed_coin(&w.fake, TOKEN_PROGRAM, &fresh_curve(Pubkey::new_unique()));
    pump::set_mint(&w.fake, &risky, MintSpec { freeze_authority: Some(Pubkey::new_unique()), ..MintSpec::default() });
    let services = w.services();
    let connector = w.connector(&services);
    let PostOutcome::Dispatched(report) =
        connector.handle_post(&w.post(7001, &format!("CA: {}", risky.mint))).await.unwrap()
    else {
        panic!("not dispatched")
    };
    assert_eq!((report.subscribers, report.rule_skips, report.executed, report.confirm_cards), (3, 3, 0, 0));
    assert!(w.intents().await.is_empty(), "a refused token creates no intent");
    for user in [61, 62, 63] {
        let notices = w.notices.of(user);
        assert!(
            matches!(notices.as_slice(), [TradeNotice::AlertSkipped { reason, .. }] if reason == "safety.freeze"),
            "{user}: {notices:?}"
        );
        let text = quantbot::telegram::reply::alerts::render_alert_notice(Lang::Ru, &notices[0]);
        assert!(text.contains("deny_freeze"), "the rule is named, localized: {text}");
    }
    // A source whose subscription allows freezable mints buys them.
    let allowing = SubscriptionSettings::default().apply(&["sol=0.01", "freeze=allow"]).unwrap();
    w.db.subscribe(UserId(61), source, &allowing).await.unwrap();
    // (A fresh connector: the duplicate-call filter would drop the same mint from this source.)
    let connector = w.connector(&w.services());
    let PostOutcome::Dispatched(report) =
        connector.handle_post(&w.post(7002, &format!("again CA: {}", risky.mint))).await.unwrap()
    else {
        panic!("not dispatched")
    };
    assert_eq!(report.executed, 1, "{report:?}");
    // A clean mint still buys for everyone in auto mode.
    let PostOutcome::Dispatched(report) =
        connector.handle_post(&w.post(7003, &format!("CA: {}", w.coin.mint))).await.unwrap()
    else {
        panic!("not dispatched")
    };
    assert_eq!((report.executed, report.confirm_cards, report.rule_skips), (2, 1, 0), "{report:?}");
}
on_both_databases!(an_alert_on_a_freezable_mint_creates_no_intent_and_names_the_rule);

/// A position bought while the token was clean; the mint then shows a freeze authority and a
/// mint authority. The sell still goes through (safety never blocks sells); a new buy is
/// refused with the rule.
async fn a_sell_of_a_position_whose_token_became_risky_still_goes_through(db: &TestDb) {
    use quantbot::app::trade::{TradeAmount, TradeRequest};
    use quantbot::domain::intent::IdempotencyKey;
    use quantbot::domain::safety::fixtures::MintSpec;
    let w = world(db).await;
    let source = w.source(AlertKind::CaDrop).await;
    w.trader(71, source, &["sol=0.01"]).await;
    let connector = w.connector(&w.services());
    let PostOutcome::Dispatched(report) =
        connector.handle_post(&w.post(7101, &format!("CA: {}", w.coin.mint))).await.unwrap()
    else {
        panic!("not dispatched")
    };
    assert_eq!(report.executed, 1);
    let spec = MintSpec {
        freeze_authority: Some(Pubkey::new_unique()),
        mint_authority: Some(Pubkey::new_unique()),
        ..MintSpec::default()
    };
    pump::set_mint(&w.fake, &w.coin, spec);
    w.trading.safety().forget(&w.coin.mint);
    let before = w.fake.requests().len();
    let sell = TradeRequest::sell(
        UserId(71),
        w.coin.mint,
        None,
        TradeAmount::PercentOfPosition(100),
        IdempotencyKey::command(UserId(71), 71, 1),
    );
    let outcome = w.trading.execute(sell).await.unwrap();
    assert!(matches!(outcome, TradeOutcome::Filled { .. }), "{outcome:?}");
    let calls: Vec<String> = w.fake.requests()[before..].iter().map(|r| r.method.clone()).collect();
    assert!(!calls.iter().any(|c| c == "getTokenLargestAccounts"), "a sell reads no safety data: {calls:?}");
    let buy =
        TradeRequest::buy(UserId(71), w.coin.mint, Lamports(10_000_000), IdempotencyKey::command(UserId(71), 71, 2));
    let outcome = w.trading.execute(buy).await.unwrap();
    assert!(
        matches!(&outcome, TradeOutcome::Refused { reason, .. } if reason.code() == "safety.freeze"),
        "{outcome:?}"
    );
}
on_both_databases!(a_sell_of_a_position_whose_token_became_risky_still_goes_through);
