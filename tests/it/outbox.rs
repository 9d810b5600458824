//! The outbox end to end: the real app against the fake Bot API with Telegram's limits enforced
//! (30 messages per 1 s window, 1 s per chat, 20 a minute per group, 429 with `retry_after`),
//! injected 429s and 502s, on both databases.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use quantbot::domain::lang::Lang;
use quantbot::domain::user::UserId;
use quantbot::i18n::tr;
use quantbot::ports::{PositionRepo, WalletRepo};
use quantbot::telegram::reply::admin::AdminReply;
use quantbot::telegram::reply::wallet::WalletReply;
use quantbot::telegram::{AdminCommand, Command, Reply};
use serde_json::json;
use solana_pubkey::Pubkey;
use sqlx::Row;

use crate::on_both_databases;
use crate::support::fake_chain::FakeChain;
use crate::support::fake_chain::pump::{self, Coin};
use crate::support::{TestApp, TestDb};

const MASTER_HEX: &str = "6a0b7f0f8d7e6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170605f4e3";
const SOL: u64 = 1_000_000_000;
const ADMIN: i64 = 1;

fn prefix(key: &str) -> String {
    tr(Lang::En, key, &[]).split("%{").next().unwrap_or_default().to_owned()
}

/// Accepted `sendMessage` calls per chat since `cursor`.
async fn texts_since(app: &TestApp, cursor: usize) -> HashMap<i64, Vec<String>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for c in app.tg.calls().await.into_iter().skip(cursor) {
        if c.ok && c.method == "sendMessage" {
            let chat = c.body["chat_id"].as_i64().unwrap_or(0);
            out.entry(chat).or_default().push(c.body["text"].as_str().unwrap_or_default().to_owned());
        }
    }
    out
}

/// Sends `cmd` from every user at once, then waits until each got `replies` new messages.
async fn everyone_says(app: &TestApp, users: &[i64], cmd: &str, replies: usize) {
    let cursor = app.tg.call_count().await;
    for u in users {
        app.tg.send_private(*u, "en", cmd).await;
    }
    wait_until(Duration::from_secs(60), || async {
        let got = texts_since(app, cursor).await;
        users.iter().all(|u| got.get(u).map_or(0, Vec::len) >= replies)
    })
    .await;
}

async fn wait_until<F, Fut>(within: Duration, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !done().await {
        assert!(Instant::now() < deadline, "condition not met within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// 50 users send 5 commands each at the same moment, under enforced limits and with a 429
/// (retry_after 2 s) injected after 100 accepted messages. Before the outbox: 6 of 18 replies
/// for 6 users × 3 commands, and requests inside the retry window.
async fn fifty_users_five_commands_each_are_all_answered_within_the_limits(db: &TestDb) {
    let app = TestApp::spawn(db, &[("BROADCAST_RATE_PER_SEC", "30")]).await;
    app.tg.enforce_limits(30, Duration::from_secs(1)).await;
    app.tg.inject_retry_after(100, 2).await;
    let users: Vec<i64> = (0..50).map(|i| 700_000 + i).collect();
    let commands = ["/start", "/help", "/language", "/livetrade status", "/nosuchcommand"];
    let cursor = app.tg.call_count().await;
    let started = Instant::now();
    for cmd in commands {
        for u in &users {
            app.tg.send_private(*u, "en", cmd).await;
        }
    }
    wait_until(Duration::from_secs(90), || async {
        texts_since(&app, cursor).await.values().map(Vec::len).sum::<usize>() >= 250
    })
    .await;
    let elapsed = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = texts_since(&app, cursor).await;
    let total: usize = got.values().map(Vec::len).sum();
    eprintln!("outbox: {total}/250 replies in {elapsed:?}");
    assert_eq!(total, 250);
    for u in &users {
        let texts = &got[u];
        assert_eq!(texts.len(), 5, "user {u}");
        // Per chat, replies keep the order of the commands.
        assert!(texts[0].starts_with(&quantbot::i18n::tr(Lang::En, "ux.home.title", &[])), "{}", texts[0]);
        assert_eq!(texts[1], Reply::Help.text(Lang::En));
        assert_eq!(texts[2], Reply::LanguagePicker.text(Lang::En));
        assert_eq!(texts[4], Reply::UnknownCommand.text(Lang::En));
    }
    assert_eq!(app.tg.violations().await, Vec::<String>::new(), "no request beyond a limit or inside retry_after");
    let gaps = app.tg.retry_gaps().await;
    assert_eq!(gaps.len(), 1);
    assert!(gaps[0] >= Duration::from_secs(2), "{gaps:?}");
    // 250 messages at ≤ 30 per window plus a 2 s pause: the outbox stays close to the limit.
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
    app.stop().await;
}
on_both_databases!(fifty_users_five_commands_each_are_all_answered_within_the_limits);

struct Traders {
    app: TestApp,
    chain: FakeChain,
    coins: Vec<Coin>,
    users: Vec<i64>,
}

/// `n` users with a funded wallet and paper trading enabled, set up in parallel.
async fn traders(db: &TestDb, n: i64, coins: usize, extra: &[(&str, &str)]) -> Traders {
    let chain = FakeChain::start().await;
    pump::install(&chain);
    let coins: Vec<Coin> = (0..coins)
        .map(|_| {
            let mut curve = pump::fresh_curve(Pubkey::new_unique());
            curve.real_quote_reserves = 50 * SOL;
            pump::seed_coin(&chain, quantbot::solana::ids::TOKEN_PROGRAM, &curve)
        })
        .collect();
    let rpc = chain.rpc_url(0);
    let mut vars = vec![
        ("HELIUS_RPC_URL", rpc.as_str()),
        ("WALLET_MASTER_KEY", MASTER_HEX),
        ("DRY_RUN", "true"),
        ("RPC_RPS", "5000"),
        ("MONITOR_INTERVAL_MS", "60000"),
    ];
    vars.extend_from_slice(extra);
    let app = TestApp::spawn(db, &vars).await;
    let users: Vec<i64> = (0..n).map(|i| 800_000 + i).collect();
    everyone_says(&app, &users, "/start", 1).await;
    // SQLite's single writer may refuse some of 50 concurrent wallet inserts ("database is
    // locked": storage busy handling is issue 11's); users without a wallet simply ask again.
    let mut missing = users.clone();
    for _ in 0..10 {
        everyone_says(&app, &missing, "/wallet add", 1).await;
        let mut still = Vec::new();
        for u in &missing {
            if app.db.list_wallets(UserId(*u)).await.unwrap().is_empty() {
                still.push(*u);
            }
        }
        missing = still;
        if missing.is_empty() {
            break;
        }
    }
    assert!(missing.is_empty(), "no wallet for {missing:?}");
    for u in &users {
        let wallet = app.db.list_wallets(UserId(*u)).await.unwrap()[0].pubkey.parse::<Pubkey>().unwrap();
        chain.fund(&wallet, 10 * SOL);
    }
    everyone_says(&app, &users, "/livetrade enable", 1).await;
    Traders { app, chain, coins, users }
}

/// Fill notices (accepted) per user since `cursor`.
async fn fills_since(app: &TestApp, cursor: usize) -> HashMap<i64, usize> {
    let bought = prefix("trade.bought");
    let mut out = HashMap::new();
    for (chat, texts) in texts_since(app, cursor).await {
        out.insert(chat, texts.iter().filter(|t| t.starts_with(&bought)).count());
    }
    out
}

/// Spacing between the test's `/buy` commands: none on PostgreSQL. On SQLite (one writer), a
/// burst of concurrent fills while other suites write can still fail a fill on storage under
/// CI load; spacing them keeps this test about Telegram delivery.
fn buy_gap(db: &TestDb) -> Duration {
    if db.url.starts_with("sqlite") { Duration::from_millis(120) } else { Duration::ZERO }
}

/// Waits until every user got `n` fill notices since `cursor`; on timeout, shows what the
/// users who lack one received.
async fn wait_fills(app: &TestApp, cursor: usize, users: &[i64], n: usize, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let fills = fills_since(app, cursor).await;
        let lacking: Vec<i64> = users.iter().copied().filter(|u| fills.get(u).copied().unwrap_or(0) < n).collect();
        if lacking.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            let texts = texts_since(app, cursor).await;
            let seen: Vec<_> = lacking.iter().take(3).map(|u| (u, texts.get(u).cloned())).collect();
            panic!("{} users lack fill notices: {seen:#?}", lacking.len());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// With 30 % of Bot API calls answered 502 (replies, acknowledgements, notices, callback
/// answers), every `/buy` is executed and every fill is notified. Before: 3 of 6 buys ran.
async fn thirty_percent_502_every_buy_executes_and_every_fill_is_notified(db: &TestDb) {
    let t = traders(db, 10, 1, &[]).await;
    t.app.tg.fail_percent(30).await;
    let cursor = t.app.tg.call_count().await;
    let mint = t.coins[0].mint.to_string();
    for u in &t.users {
        t.app.tg.send_private(*u, "en", &format!("/buy {mint} 0.01")).await;
        tokio::time::sleep(buy_gap(db)).await;
    }
    wait_fills(&t.app, cursor, &t.users, 1, Duration::from_secs(60)).await;
    for u in &t.users {
        let open = PositionRepo::open_positions(&t.app.db, UserId(*u)).await.unwrap();
        assert_eq!(open.len(), 1, "user {u}: the buy ran exactly once");
    }
    let failed = t.app.tg.failed_total().await;
    eprintln!("outbox: 10/10 buys filled and notified through {failed} injected 502s");
    assert!(failed >= 5, "the fault injection must have hit: {failed}");
    // Every fill notice is stored and marked sent.
    let sent =
        scalar(&t.app, "SELECT CAST(COUNT(*) AS BIGINT) FROM outbox_notices WHERE kind = 'fill' AND state = 'sent'")
            .await;
    assert_eq!(sent, 10);
    t.app.stop().await;
    drop(t.chain);
}
on_both_databases!(thirty_percent_502_every_buy_executes_and_every_fill_is_notified);

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(app.db.pool()).await.unwrap().get::<i64, _>(0)
}

async fn seed_recipients(app: &TestApp, ids: &[i64]) {
    for chunk in ids.chunks(500) {
        let values: Vec<String> = chunk.iter().map(|id| format!("({id}, {id}, 'en', 'user', 1, 0, 0, 0)")).collect();
        let sql = format!(
            "INSERT INTO users (id, chat_id, language, role, is_active, paused, created_at, updated_at) VALUES {}",
            values.join(",")
        );
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(app.db.pool()).await.unwrap();
    }
}

/// A broadcast to 1,000 recipients is running when 50 traders buy 4 tokens each (200 fills):
/// the fills (and their "⏳") go before the broadcast, and no trader waits behind another
/// trader's per-chat spacing. (The issue asks for 10,000 recipients; 1,000 keeps CI fast and
/// shows the same ordering, since the broadcast is still running when the last fill goes out.)
async fn fills_go_before_a_running_broadcast_and_never_wait_for_other_chats(db: &TestDb) {
    let t = traders(db, 50, 4, &[("BROADCAST_RATE_PER_SEC", "30")]).await;
    let app = &t.app;
    let recipients: Vec<i64> = (0..1000).map(|i| 900_000 + i).collect();
    seed_recipients(app, &recipients).await;
    let cur = app.tg.call_count().await;
    app.tg.send_private(ADMIN, "en", "/start").await;
    app.tg.next_text_to(cur, ADMIN).await;
    let cur = app.tg.call_count().await;
    app.tg.send_private(ADMIN, "en", "/broadcast Weekly update").await;
    let confirm = app
        .tg
        .wait_for(cur, "sendMessage", |b| {
            b["reply_markup"]["inline_keyboard"][0][0]["callback_data"].as_str().is_some_and(|d| d.starts_with("bc:y:"))
        })
        .await;
    let data = confirm.body["reply_markup"]["inline_keyboard"][0][0]["callback_data"].as_str().unwrap().to_owned();
    app.tg.enforce_limits(30, Duration::from_secs(1)).await;
    app.tg.press(ADMIN, ADMIN, confirm.message_id(), &data).await;
    // Let the broadcast fill the pipe first.
    wait_until(Duration::from_secs(10), || async {
        app.tg.deliveries().await.keys().filter(|c| **c >= 900_000).count() >= 50
    })
    .await;

    let cursor = app.tg.call_count().await;
    let burst = tokio::time::Instant::now();
    for coin in &t.coins {
        for u in &t.users {
            app.tg.send_private(*u, "en", &format!("/buy {} 0.01", coin.mint)).await;
            tokio::time::sleep(buy_gap(db)).await;
        }
    }
    let last_command = burst.elapsed();
    wait_fills(app, cursor, &t.users, 4, Duration::from_secs(90)).await;
    let calls = app.tg.calls().await;
    let bought = prefix("trade.bought");
    let fill_times: Vec<_> = calls
        .iter()
        .skip(cursor)
        .filter(|c| {
            c.ok && c.method == "sendMessage" && c.body["text"].as_str().is_some_and(|s| s.starts_with(&bought))
        })
        .map(|c| c.at - burst)
        .collect();
    let last_fill = fill_times.iter().max().copied().unwrap_or_default();
    let broadcast_sent = app.tg.deliveries().await.keys().filter(|c| **c >= 900_000).count();
    let after_last = last_fill.saturating_sub(last_command);
    eprintln!(
        "outbox: 200 fills, the last {after_last:?} after the last /buy ({last_fill:?} after the first), \
         while the broadcast had reached {broadcast_sent}/1000 recipients"
    );
    assert_eq!(fill_times.len(), 200);
    assert!(broadcast_sent < 1000, "the broadcast was still running: fills did not wait for it");
    // Per chat: 4 "⏳" + 4 fills at 1.1 s spacing ≈ 8.8 s; overall: 400 interactive messages at
    // ≤ 30 per window ≈ 15 s. A head-of-line queue (one chat's spacing at a time) needs minutes.
    assert!(after_last < Duration::from_secs(20), "{after_last:?}");
    assert_eq!(app.tg.violations().await, Vec::<String>::new());
    t.app.stop().await;
}
on_both_databases!(fills_go_before_a_running_broadcast_and_never_wait_for_other_chats);

/// Every command from a group, by a trader and by an admin, changes no stored chat id, no
/// setting, registers nobody, and posts nothing private: the group only ever sees the welcome,
/// the help, "private chats only", "admins only" or the wallet refusal.
async fn a_group_chat_changes_nothing_and_sees_nothing_private(db: &TestDb) {
    let app = TestApp::spawn(db, &[("WALLET_MASTER_KEY", MASTER_HEX)]).await;
    const ALICE: i64 = 4242;
    const GROUP: i64 = -100_555;
    const STRANGER: i64 = 999_111;
    for (user, cmd) in [(ALICE, "/start"), (ALICE, "/wallet add"), (ADMIN, "/start")] {
        let cur = app.tg.call_count().await;
        app.tg.send_private(user, "en", cmd).await;
        app.tg.next_text_to(cur, user).await;
    }
    let snapshot = || async {
        let users = sqlx::query("SELECT id, chat_id, language, role, is_active, paused FROM users ORDER BY id")
            .fetch_all(app.db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| {
                format!(
                    "{}:{}:{}:{}:{}:{}",
                    r.get::<i64, _>(0),
                    r.get::<i64, _>(1),
                    r.get::<String, _>(2),
                    r.get::<String, _>(3),
                    r.get::<i64, _>(4),
                    r.get::<i64, _>(5)
                )
            })
            .collect::<Vec<_>>();
        let counts = [
            "SELECT CAST(COUNT(*) AS BIGINT) FROM user_configs",
            "SELECT CAST(COUNT(*) AS BIGINT) FROM wallets",
            "SELECT CAST(COUNT(*) AS BIGINT) FROM trade_intents",
            "SELECT CAST(COUNT(*) AS BIGINT) FROM broadcasts",
            "SELECT CAST(COUNT(*) AS BIGINT) FROM alert_sources",
            "SELECT CAST(COUNT(*) AS BIGINT) FROM settings",
        ];
        let mut n = Vec::new();
        for sql in counts {
            n.push(scalar(&app, sql).await);
        }
        let config = sqlx::query("SELECT settings FROM user_configs ORDER BY user_id")
            .fetch_all(app.db.pool())
            .await
            .map(|rows| rows.iter().map(|r| r.get::<String, _>(0)).collect::<Vec<_>>())
            .unwrap_or_default();
        (users, n, config)
    };
    let before = snapshot().await;
    let mint = Pubkey::new_unique().to_string();
    let mut commands: Vec<String> = vec![
        "/start".into(),
        "/help".into(),
        "/language ru".into(),
        "/language".into(),
        "/livetrade enable".into(),
        "/livetrade status".into(),
        "/livetrade config dry_run off".into(),
        "/wallet add".into(),
        "/wallet list".into(),
        "/wallet import 5Kb8kLf9zgWQnogidDA76MzPL6TsZZY36hWXMssSzNydYXYB9KF".into(),
        format!("/buy {mint} 0.1"),
        format!("/sell {mint}"),
        "/positions".into(),
        "/positions history".into(),
        "/positions close 1".into(),
        "/alerts".into(),
        "/alerts subscribe alpha".into(),
        "/copy add 7Np41oeYqPefeNQEHSv1UDhYrehxin3NStELsSKCT4K2 whale".into(),
        "/copy devsell 100:50".into(),
        format!("/limit buy {mint} 0.1 2x"),
        format!("/dca buy {mint} 1 10 1h"),
        "/orders".into(),
        "/panic".into(),
        "/exits #1".into(),
        format!("/admin add {ALICE}"),
        "/admin list".into(),
        "/broadcast hello".into(),
        "/killswitch hard".into(),
        format!("/pause {ALICE}"),
        format!("/unpause {ALICE}"),
        "/stats".into(),
        "/source add -1001987654321 ca_drop alpha".into(),
    ];
    for name in Command::names().into_iter().chain(AdminCommand::names()) {
        assert!(commands.iter().any(|c| c.starts_with(&format!("/{name}"))), "/{name} not covered");
    }
    commands.push(mint.clone()); // a pasted token in a group
    let allowed = |user: i64| -> Vec<String> {
        let name = format!("User{user}");
        vec![
            Reply::Welcome { name: name.clone(), returning: true }.text(Lang::En),
            Reply::Welcome { name, returning: false }.text(Lang::En),
            Reply::Help.text(Lang::En),
            Reply::PrivateOnly.text(Lang::En),
            Reply::from(AdminReply::NotAdmin).text(Lang::En),
            Reply::from(WalletReply::GroupRefused { deleted: None }).text(Lang::En),
            Reply::from(WalletReply::GroupRefused { deleted: Some(true) }).text(Lang::En),
        ]
    };
    // One group per user and command: a group gets 20 messages a minute, and the matrix is
    // about what a group can change or see, not about group pacing.
    for (u, user) in [ALICE, ADMIN, STRANGER].into_iter().enumerate() {
        let cursor = app.tg.call_count().await;
        let groups: Vec<i64> = (0..commands.len()).map(|i| GROUP - (u * 100 + i) as i64).collect();
        for (cmd, group) in commands.iter().zip(&groups) {
            app.tg.send_group(user, *group, cmd).await;
        }
        // Every command gets one answer in its group (the paste gets none).
        wait_until(Duration::from_secs(60), || async {
            let sent = texts_since(&app, cursor).await;
            groups.iter().filter(|g| sent.get(g).is_some_and(|t| !t.is_empty())).count() >= commands.len() - 1
        })
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let sent = texts_since(&app, cursor).await;
        assert!(sent.keys().all(|chat| groups.contains(chat)), "nothing went to a private chat: {sent:?}");
        for text in sent.values().flatten() {
            assert!(allowed(user).contains(text), "user {user}: a group saw {text:?}");
        }
    }
    assert_eq!(snapshot().await, before, "a group command changed stored state");
    assert_eq!(app.tg.violations().await, Vec::<String>::new());
    app.stop().await;
}
on_both_databases!(a_group_chat_changes_nothing_and_sees_nothing_private);

/// A handler that fails (here: storage gone) is counted, and the user gets the apology.
async fn a_failing_handler_is_counted_and_the_user_gets_an_apology(db: &TestDb) {
    let app = TestApp::spawn(db, &[]).await;
    let cur = app.tg.call_count().await;
    app.tg.send_private(4242, "en", "/start").await;
    app.tg.next_text_to(cur, 4242).await;
    sqlx::query("DROP TABLE user_configs").execute(app.db.pool()).await.unwrap();
    let cur = app.tg.call_count().await;
    app.tg.send_private(4242, "en", "/livetrade status").await;
    let sorry = app.tg.next_text_to(cur, 4242).await;
    assert_eq!(sorry.body["text"], json!(Reply::Apology.text(Lang::En)));
    let metrics = reqwest::get(format!("http://{}/metrics", app.ops)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("quantbot_errors_total{component=\"handler\"} 1"), "{metrics}");
    app.stop().await;
}
on_both_databases!(a_failing_handler_is_counted_and_the_user_gets_an_apology);

/// A request queued right before the stop (the shutdown notice for a trade still confirming)
/// is delivered before the outbox ends, whichever of the two wakes the worker first. Twenty
/// rounds: with the old order (check "stopping and empty" before taking what was queued) about
/// half of them lost the message.
#[tokio::test]
async fn a_request_queued_just_before_the_stop_is_delivered() {
    use quantbot::telegram::outbox::{Envelope, Limits, Outbox, OutboxHooks, Priority, Request};
    let tg = crate::support::FakeTelegram::start().await;
    for round in 0..20 {
        let bot = teloxide::Bot::new("123456:TEST-token").set_api_url(tg.url.parse().unwrap());
        let hooks = OutboxHooks {
            users: None,
            metrics: std::sync::Arc::new(quantbot::telemetry::Metrics::new()),
            liveness: quantbot::telemetry::Liveness::new(),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (outbox, task) = Outbox::start(bot, Limits::telegram(), hooks, async move {
            let _ = stopped.await;
        });
        // The worker is idle, parked on "next request or stop".
        tokio::time::sleep(Duration::from_millis(20)).await;
        let text = format!("still confirming, round {round}");
        outbox.send(Envelope::new(777, Priority::Notice, Request::text(text.clone(), None)));
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), task).await.unwrap().unwrap();
        let delivered = tg.calls().await.iter().any(|c| c.method == "sendMessage" && c.body["text"] == json!(text));
        assert!(delivered, "round {round}: the message queued before the stop was dropped");
    }
}
