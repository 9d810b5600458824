//! Every trading command and button through the fake Bot API and the fake chain, on both
//! databases: `/positions close`, the close buttons, history paging, the equity chart, the token
//! card (mint and links, buy/sell/custom/refresh buttons, forged data, replayed presses), group
//! refusals, the live fill notice, and an unknown outcome reported as "pending" then final.

use std::sync::Arc;
use std::time::Duration;

use quantbot::app::keys::load_key_ring;
use quantbot::app::trade::{TradeAmount, TradeOutcome, TradeRequest, Trading, TradingPorts, TradingSettings};
use quantbot::config::MasterKeySource;
use quantbot::domain::intent::{IdempotencyKey, IntentOrigin, IntentState};
use quantbot::domain::lang::Lang;
use quantbot::domain::money::Lamports;
use quantbot::domain::position::{Fees, Fill, Side};
use quantbot::domain::risk::GlobalLimits;
use quantbot::domain::user::UserId;
use quantbot::i18n::tr;
use quantbot::ports::{ChainClient, FillRecord, IntentRepo, PositionRepo, SystemClock, WalletRepo};
use quantbot::solana::helius::limits::{Backoff, BreakerPolicy};
use quantbot::solana::helius::transport::RetryPolicy;
use quantbot::solana::helius::{HeliusClient, HeliusConfig};
use quantbot::solana::submit::SubmitOptions;
use quantbot::telegram::reply::trade::TradeReply;
use quantbot::telemetry::Metrics;
use quantbot::venues::globals::GlobalCache;
use quantbot::venues::router::{RouterSettings, VenueRouter};
use quantbot::wallet::signer::KeyringSigner;
use secrecy::SecretString;
use serde_json::json;
use solana_pubkey::Pubkey;

use crate::on_both_databases;
use crate::support::fake_chain::pump::{self, Coin};
use crate::support::fake_chain::{FakeChain, Fault};
use crate::support::fake_telegram::{BOT_ID, Call};
use crate::support::{TestApp, TestDb};

const MASTER_HEX: &str = "5f0b7f0f8d7e6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170605f4e3";
pub(crate) const ALICE: i64 = 4242;
const BOB: i64 = 5353;
pub(crate) const SOL: u64 = 1_000_000_000;

pub(crate) struct Env {
    pub(crate) app: TestApp,
    pub(crate) chain: FakeChain,
    pub(crate) coin: Coin,
    pub(crate) wallet: Pubkey,
}

pub(crate) fn text(call: &Call) -> String {
    call.body["text"].as_str().unwrap_or_default().to_owned()
}

pub(crate) fn buttons(call: &Call) -> Vec<String> {
    call.body["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().into_iter().flatten())
        .filter_map(|b| b["callback_data"].as_str().map(str::to_owned))
        .collect()
}

/// The same setup as `trading.rs`: a traded Pump.fun coin, Alice with a funded wallet and
/// trading enabled (paper unless `live`).
pub(crate) async fn setup(db: &TestDb, live: bool) -> Env {
    let chain = FakeChain::start().await;
    pump::install(&chain);
    let mut curve = pump::fresh_curve(Pubkey::new_unique());
    curve.real_quote_reserves = 5 * SOL;
    let coin = pump::seed_coin(&chain, quantbot::solana::ids::TOKEN_PROGRAM, &curve);
    let rpc = chain.rpc_url(0);
    let dry = if live { "false" } else { "true" };
    let vars = [
        ("HELIUS_RPC_URL", rpc.as_str()),
        ("WALLET_MASTER_KEY", MASTER_HEX),
        ("DRY_RUN", dry),
        ("MONITOR_INTERVAL_MS", "200"),
    ];
    let app = TestApp::spawn(db, &vars).await;
    say(&app, "/start").await;
    say(&app, "/wallet add").await;
    let wallet = app.db.list_wallets(UserId(ALICE)).await.unwrap()[0].pubkey.parse::<Pubkey>().unwrap();
    chain.fund(&wallet, 10 * SOL);
    say(&app, "/livetrade enable").await;
    if live {
        say(&app, "/livetrade config dry_run off").await;
    }
    Env { app, chain, coin, wallet }
}

pub(crate) async fn say(app: &TestApp, cmd: &str) -> Call {
    say_as(app, ALICE, cmd).await
}

pub(crate) async fn say_as(app: &TestApp, user: i64, cmd: &str) -> Call {
    let cur = app.tg.call_count().await;
    app.tg.send_private(user, "en", cmd).await;
    app.tg.next_text_to(cur, user).await
}

/// Waits for a message to Alice whose text contains `needle`.
pub(crate) async fn notice(app: &TestApp, cursor: usize, needle: &str) -> Call {
    app.tg
        .wait_for(cursor, "sendMessage", |b| {
            b["chat_id"] == json!(ALICE) && b["text"].as_str().is_some_and(|t| t.contains(needle))
        })
        .await
}

pub(crate) fn prefix(key: &str) -> String {
    tr(Lang::En, key, &[]).split("%{").next().unwrap_or_default().to_owned()
}

/// A button press with a chosen callback id (to replay a press exactly).
pub(crate) async fn press_with_id(app: &TestApp, id: &str, user: i64, chat: i64, message_id: i64, data: &str) {
    app.tg
        .push_update(json!({"callback_query": {
            "id": id,
            "from": {"id": user, "is_bot": false, "first_name": format!("User{user}"), "language_code": "en"},
            "message": {"message_id": message_id,
                        "from": {"id": BOT_ID, "is_bot": true, "first_name": "Trade Bot", "username": "example_trade_bot"},
                        "chat": {"id": chat, "type": "private", "first_name": format!("User{chat}")},
                        "date": 1_795_000_000, "text": "menu"},
            "chat_instance": "42",
            "data": data,
        }}))
        .await;
}

/// Waits for the answer to callback `id`; returns its popup text (empty when none).
pub(crate) async fn answer(app: &TestApp, cursor: usize, id: &str) -> String {
    let call = app.tg.wait_for(cursor, "answerCallbackQuery", |b| b["callback_query_id"] == json!(id)).await;
    call.body["text"].as_str().unwrap_or_default().to_owned()
}

pub(crate) async fn paper_buy(env: &Env) -> quantbot::ports::PositionRecord {
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} 0.1", env.coin.mint)).await;
    notice(&env.app, cur, &prefix("trade.bought")).await;
    PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap().remove(0)
}

pub(crate) async fn open_tokens(env: &Env, id: i64) -> (bool, u64) {
    let p = PositionRepo::position(&env.app.db, UserId(ALICE), id).await.unwrap().unwrap();
    (p.is_open, p.book.tokens)
}

/// The uploaded file of a sendPhoto (teloxide sends `photo=attach://<part>` plus that part).
pub(crate) fn photo_file(call: &Call) -> serde_json::Value {
    match call.body["photo"].as_str().and_then(|p| p.strip_prefix("attach://")) {
        Some(part) => call.body[part].clone(),
        None => call.body["photo"].clone(),
    }
}

/// A short settle so a wrongly accepted request would have had time to trade.
pub(crate) async fn settle() {
    tokio::time::sleep(Duration::from_millis(400)).await;
}

async fn positions_close_command_sells_and_explains_bad_input(db: &TestDb) {
    let env = setup(db, false).await;
    let p = paper_buy(&env).await;
    let t = |r: TradeReply| r.text(Lang::En);

    let bad = say(&env.app, "/positions close 999999").await;
    assert_eq!(text(&bad), t(TradeReply::NotFound { value: "#999999".into() }));
    let bad = say(&env.app, "/positions close abc").await;
    assert_eq!(text(&bad), t(TradeReply::NotFound { value: "abc".into() }));
    for pct in ["0", "150", "half"] {
        let bad = say(&env.app, &format!("/positions close {} {pct}", p.id)).await;
        assert_eq!(text(&bad), t(TradeReply::BadPercent { value: pct.into() }));
    }
    let bad = say(&env.app, "/positions close").await;
    assert_eq!(text(&bad), t(TradeReply::PositionsUsage));
    settle().await;
    assert_eq!(open_tokens(&env, p.id).await, (true, p.book.tokens), "bad input changed nothing");

    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/positions close #{} 50%", p.id)).await;
    notice(&env.app, cur, &prefix("trade.sold")).await;
    let half = p.book.tokens - p.book.tokens / 2;
    assert_eq!(open_tokens(&env, p.id).await, (true, half));
    // The same command again is a new request (another message): half of the rest.
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/positions close {} 50", p.id)).await;
    notice(&env.app, cur, &prefix("trade.sold")).await;
    assert_eq!(open_tokens(&env, p.id).await, (true, half - half / 2));

    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/positions close {}", p.id)).await;
    notice(&env.app, cur, &prefix("trade.sold")).await;
    assert_eq!(open_tokens(&env, p.id).await, (false, 0), "no percent closes all");
    // Closed: a further close finds nothing.
    let gone = say(&env.app, &format!("/positions close {}", p.id)).await;
    assert_eq!(text(&gone), t(TradeReply::NotFound { value: format!("#{}", p.id) }));
    env.app.stop().await;
}
on_both_databases!(positions_close_command_sells_and_explains_bad_input);

async fn close_buttons_act_only_for_the_owner_and_a_replayed_press_trades_once(db: &TestDb) {
    let env = setup(db, false).await;
    let p = paper_buy(&env).await;
    let list = say(&env.app, "/positions").await;
    let data = buttons(&list);
    assert!(data.contains(&format!("pos:close:{}:50", p.id)) && data.contains(&"pos:chart".to_owned()), "{data:?}");
    let mid = list.message_id();

    // Bob presses Alice's button in Alice's chat: refused, nothing changes.
    let cur = env.app.tg.call_count().await;
    let id = env.app.tg.press(BOB, ALICE, mid, &format!("pos:close:{}:100", p.id)).await;
    assert_eq!(answer(&env.app, cur, &id).await, TradeReply::StaleButton.text(Lang::En));
    // Bob forges Alice's position id in his own chat: not his position.
    say_as(&env.app, BOB, "/start").await;
    let cur = env.app.tg.call_count().await;
    env.app.tg.press(BOB, BOB, mid, &format!("pos:close:{}:100", p.id)).await;
    let reply = env.app.tg.next_text_to(cur, BOB).await;
    assert_eq!(text(&reply), TradeReply::NotFound { value: format!("#{}", p.id) }.text(Lang::En));
    // A forged percentage and a forged id do nothing.
    for forged in [format!("pos:close:{}:250", p.id), "pos:close:x:50".to_owned(), "pos:nonsense".to_owned()] {
        let cur = env.app.tg.call_count().await;
        let id = env.app.tg.press(ALICE, ALICE, mid, &forged).await;
        answer(&env.app, cur, &id).await;
    }
    settle().await;
    assert_eq!(open_tokens(&env, p.id).await, (true, p.book.tokens));

    // Alice's own press sells half; replaying the same callback id does not sell again.
    let cur = env.app.tg.call_count().await;
    press_with_id(&env.app, "cb-close-1", ALICE, ALICE, mid, &format!("pos:close:{}:50", p.id)).await;
    notice(&env.app, cur, &prefix("trade.sold")).await;
    let half = p.book.tokens - p.book.tokens / 2;
    assert_eq!(open_tokens(&env, p.id).await, (true, half));
    let cur = env.app.tg.call_count().await;
    press_with_id(&env.app, "cb-close-1", ALICE, ALICE, mid, &format!("pos:close:{}:50", p.id)).await;
    notice(&env.app, cur, &prefix("tradecmd.duplicate")).await;
    settle().await;
    assert_eq!(open_tokens(&env, p.id).await, (true, half), "a replayed press trades once");
    env.app.stop().await;
}
on_both_databases!(close_buttons_act_only_for_the_owner_and_a_replayed_press_trades_once);

/// Records `pairs` paper round trips (buy then sell) directly in the trade log.
async fn seed_round_trips(env: &Env, pairs: i64, pnl_each: i64) {
    let mint = env.coin.mint.to_string();
    for i in 0..pairs {
        for (side, sol) in [(Side::Buy, 10_000_000i64), (Side::Sell, 10_000_000 + pnl_each)] {
            let at = 1_790_000_000_000 + i * 3_600_000 + if side == Side::Sell { 1_800_000 } else { 0 };
            let fill = FillRecord {
                intent_id: None,
                user: UserId(ALICE),
                wallet_id: None,
                position_id: None,
                mint: mint.clone(),
                decimals: 6,
                is_paper: true,
                fill: Fill {
                    side,
                    sol: Lamports(u64::try_from(sol).unwrap()),
                    tokens: 1_000_000,
                    fees: Fees::default(),
                    at_ms: at,
                },
                price: None,
                signature: None,
                exit_rules: None,
                source: Some("manual".into()),
            };
            env.app.db.record_fill(&fill).await.unwrap();
        }
    }
}

async fn history_pages_with_prev_and_next_buttons(db: &TestDb) {
    let env = setup(db, false).await;
    let empty = say(&env.app, "/positions history").await;
    let expected = TradeReply::History { rows: vec![], page: 1, has_next: false }.text(Lang::En);
    assert_eq!(text(&empty), expected);
    assert!(buttons(&empty).is_empty());

    seed_round_trips(&env, 6, 1_000_000).await; // 12 trades: pages of 10 + 2
    let first = say(&env.app, "/positions history").await;
    assert_eq!(text(&first).lines().count(), 11, "{}", text(&first));
    assert_eq!(buttons(&first), vec!["pos:hist:2".to_owned()]);

    let cur = env.app.tg.call_count().await;
    env.app.tg.press(ALICE, ALICE, first.message_id(), "pos:hist:2").await;
    let second = env.app.tg.next_text_to(cur, ALICE).await;
    assert_eq!(text(&second).lines().count(), 3, "{}", text(&second));
    assert!(text(&second).starts_with(&tr(Lang::En, "tradecmd.history_header", &[("page", "2")])));
    assert_eq!(buttons(&second), vec!["pos:hist:1".to_owned()]);
    // The oldest trade (the first buy) is the last line of the last page.
    assert!(text(&second).lines().last().unwrap().contains(" buy "), "{}", text(&second));

    let cur = env.app.tg.call_count().await;
    env.app.tg.press(ALICE, ALICE, second.message_id(), "pos:hist:1").await;
    let back = env.app.tg.next_text_to(cur, ALICE).await;
    assert_eq!(text(&back), text(&first));

    let explicit = say(&env.app, "/positions history 2").await;
    assert_eq!(text(&explicit), text(&second));
    let bad = say(&env.app, "/positions history 0").await;
    assert_eq!(text(&bad), TradeReply::PositionsUsage.text(Lang::En));
    env.app.stop().await;
}
on_both_databases!(history_pages_with_prev_and_next_buttons);

async fn chart_sends_a_png_and_without_trades_says_so(db: &TestDb) {
    let env = setup(db, false).await;
    let none = say(&env.app, "/positions chart").await;
    assert_eq!(text(&none), TradeReply::NoTrades.text(Lang::En));
    // `/positions` without positions offers the chart button too.
    let empty = say(&env.app, "/positions").await;
    assert_eq!(buttons(&empty), vec!["pos:chart".to_owned()]);
    let photos_before = env.app.tg.calls().await.iter().filter(|c| c.method == "sendPhoto").count();
    assert_eq!(photos_before, 0, "no picture without trades");

    seed_round_trips(&env, 3, 2_000_000).await;
    seed_round_trips(&env, 1, -9_000_000).await;
    let cur = env.app.tg.call_count().await;
    env.app.tg.send_private(ALICE, "en", "/positions chart").await;
    let photo = env.app.tg.wait_for(cur, "sendPhoto", |b| b["chat_id"] == json!(ALICE)).await;
    let file = &photo_file(&photo);
    assert_eq!(file["png"], json!(true), "{file}");
    assert!(file["file_bytes"].as_u64().unwrap() > 1_000, "{file}");
    assert_eq!((file["width"].clone(), file["height"].clone()), (json!(800), json!(400)));
    let caption = photo.body["caption"].as_str().unwrap();
    assert!(caption.starts_with(&prefix("chart.caption")), "{caption}");
    assert!(caption.contains("Trades: 4") && caption.contains("-0.003 SOL"), "{caption}");

    // The button under /positions sends the same chart.
    let cur = env.app.tg.call_count().await;
    env.app.tg.press(ALICE, ALICE, empty.message_id(), "pos:chart").await;
    let again = env.app.tg.wait_for(cur, "sendPhoto", |b| b["chat_id"] == json!(ALICE)).await;
    assert_eq!(photo_file(&again)["png"], json!(true));

    // Russian users get a Russian caption.
    say(&env.app, "/language ru").await;
    let cur = env.app.tg.call_count().await;
    env.app.tg.send_private(ALICE, "ru", "/positions chart").await;
    let ru = env.app.tg.wait_for(cur, "sendPhoto", |b| b["chat_id"] == json!(ALICE)).await;
    let caption = ru.body["caption"].as_str().unwrap();
    assert!(caption.starts_with(&tr(Lang::Ru, "chart.caption", &[]).split("%{").next().unwrap().to_owned()));
    env.app.stop().await;
}
on_both_databases!(chart_sends_a_png_and_without_trades_says_so);

async fn token_card_from_a_mint_or_any_supported_link(db: &TestDb) {
    let env = setup(db, false).await;
    let mint = env.coin.mint.to_string();
    let links = [
        mint.clone(),
        format!("https://pump.fun/coin/{mint}"),
        format!("https://dexscreener.com/solana/{mint}"),
        format!("https://birdeye.so/token/{mint}?chain=solana"),
        format!("https://solscan.io/token/{mint}"),
    ];
    for link in &links {
        let card = say(&env.app, link).await;
        let body = text(&card);
        assert!(body.contains(&mint), "{link}: {body}");
        assert!(body.contains(&tr(Lang::En, "venue.name.pumpfun", &[])), "{link}: {body}");
        for label in ["Price: ", "Market cap: ", "Liquidity: "] {
            assert!(body.contains(label), "{link}: {label} missing in {body}");
        }
        assert!(body.contains(&tr(Lang::En, "card.no_holding", &[])), "{body}");
        let data = buttons(&card);
        for expected in [
            format!("tc:b:{mint}:10000000"),
            format!("tc:b:{mint}:100000000"),
            format!("tc:c:{mint}"),
            format!("tc:r:{mint}"),
        ] {
            assert!(data.contains(&expected), "{link}: {expected} not in {data:?}");
        }
        assert!(!data.iter().any(|d| d.starts_with("tc:s:")), "no sell buttons without a holding");
    }
    // A link to something else is not a card.
    let cur = env.app.tg.call_count().await;
    env.app.tg.send_private(ALICE, "en", "https://example.com/hello").await;
    settle().await;
    assert!(env.app.tg.calls().await.iter().skip(cur).all(|c| c.method != "sendMessage" || !text(c).contains(&mint)));
    env.app.stop().await;
}
on_both_databases!(token_card_from_a_mint_or_any_supported_link);

async fn card_buttons_buy_sell_refresh_and_refuse_forgeries(db: &TestDb) {
    let env = setup(db, false).await;
    let mint = env.coin.mint.to_string();
    let card = say(&env.app, &mint).await;
    let mid = card.message_id();

    // A forged amount (not one of the presets) is refused and stores nothing.
    let cur = env.app.tg.call_count().await;
    let id = env.app.tg.press(ALICE, ALICE, mid, &format!("tc:b:{mint}:123456789")).await;
    assert_eq!(answer(&env.app, cur, &id).await, TradeReply::StaleButton.text(Lang::En));
    // A stranger pressing Alice's card changes nothing.
    let cur = env.app.tg.call_count().await;
    let id = env.app.tg.press(BOB, ALICE, mid, &format!("tc:b:{mint}:100000000")).await;
    assert_eq!(answer(&env.app, cur, &id).await, TradeReply::StaleButton.text(Lang::En));
    settle().await;
    assert!(PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap().is_empty());

    // The preset buys (paper by default); replaying the press does not buy twice.
    let cur = env.app.tg.call_count().await;
    press_with_id(&env.app, "cb-card-buy", ALICE, ALICE, mid, &format!("tc:b:{mint}:100000000")).await;
    let bought = notice(&env.app, cur, &prefix("trade.bought")).await;
    assert!(text(&bought).contains(&tr(Lang::En, "trade.paper", &[])), "{}", text(&bought));
    let p = PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap().remove(0);
    assert!(p.is_paper && p.book.tokens > 0);
    let cur = env.app.tg.call_count().await;
    press_with_id(&env.app, "cb-card-buy", ALICE, ALICE, mid, &format!("tc:b:{mint}:100000000")).await;
    notice(&env.app, cur, &prefix("tradecmd.duplicate")).await;
    settle().await;
    let trades = env.app.db.trade_history(UserId(ALICE), 0, 100).await.unwrap();
    assert_eq!(trades.len(), 1, "one buy for one press");

    // Refresh edits the same card, now with the holding and sell buttons.
    let cur = env.app.tg.call_count().await;
    env.app.tg.press(ALICE, ALICE, mid, &format!("tc:r:{mint}")).await;
    let edit = env.app.tg.wait_for(cur, "editMessageText", |b| b["message_id"] == json!(mid)).await;
    assert!(text(&edit).contains(&format!("#{}", p.id)), "{}", text(&edit));
    let data = buttons(&edit);
    for pct in [25, 50, 100] {
        assert!(data.contains(&format!("tc:s:{mint}:{pct}")), "{data:?}");
    }

    // Custom amount: a force-reply prompt for the amount (the typed answer is tested in home.rs).
    let cur = env.app.tg.call_count().await;
    env.app.tg.press(ALICE, ALICE, mid, &format!("tc:c:{mint}")).await;
    let hint = env.app.tg.next_text_to(cur, ALICE).await;
    let prompt = quantbot::telegram::reply::home::UxReply::PromptBuy { mint: mint.clone() };
    assert_eq!(text(&hint), prompt.text(Lang::En));
    assert_eq!(hint.body["reply_markup"]["force_reply"], json!(true));

    // A forged sell percentage is refused; 25 % then 100 % sell.
    let cur = env.app.tg.call_count().await;
    let id = env.app.tg.press(ALICE, ALICE, mid, &format!("tc:s:{mint}:33")).await;
    assert_eq!(answer(&env.app, cur, &id).await, TradeReply::StaleButton.text(Lang::En));
    settle().await;
    assert_eq!(open_tokens(&env, p.id).await, (true, p.book.tokens));
    let cur = env.app.tg.call_count().await;
    env.app.tg.press(ALICE, ALICE, mid, &format!("tc:s:{mint}:25")).await;
    notice(&env.app, cur, &prefix("trade.sold")).await;
    let left = p.book.tokens - p.book.tokens / 4;
    assert_eq!(open_tokens(&env, p.id).await, (true, left));
    let cur = env.app.tg.call_count().await;
    env.app.tg.press(ALICE, ALICE, mid, &format!("tc:s:{mint}:100")).await;
    notice(&env.app, cur, &prefix("trade.sold")).await;
    assert_eq!(open_tokens(&env, p.id).await, (false, 0));
    env.app.stop().await;
}
on_both_databases!(card_buttons_buy_sell_refresh_and_refuse_forgeries);

async fn buy_and_sell_in_a_group_are_refused(db: &TestDb) {
    let env = setup(db, false).await;
    const GROUP: i64 = -1_000_777;
    for cmd in [format!("/buy {} 0.1", env.coin.mint), format!("/sell {} 50", env.coin.mint), "/positions".into()] {
        let cur = env.app.tg.call_count().await;
        env.app.tg.send_group(ALICE, GROUP, &cmd).await;
        let reply = env.app.tg.next_text_to(cur, GROUP).await;
        assert_eq!(text(&reply), TradeReply::PrivateOnly.text(Lang::En), "{cmd}");
    }
    // A pasted mint in a group gets no card.
    let cur = env.app.tg.call_count().await;
    env.app.tg.send_group(ALICE, GROUP, &env.coin.mint.to_string()).await;
    settle().await;
    assert!(env.app.tg.calls().await.iter().skip(cur).all(|c| c.method != "sendMessage"));
    assert!(env.app.db.trade_history(UserId(ALICE), 0, 10).await.unwrap().is_empty());
    assert!(env.app.db.unfinished().await.unwrap().is_empty());
    env.app.stop().await;
}
on_both_databases!(buy_and_sell_in_a_group_are_refused);

async fn live_fill_notice_carries_the_solscan_link_and_fees(db: &TestDb) {
    let env = setup(db, true).await;
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} 0.1", env.coin.mint)).await;
    let filled = notice(&env.app, cur, &prefix("trade.bought")).await;
    let body = text(&filled);
    let trade = env.app.db.trade_history(UserId(ALICE), 0, 1).await.unwrap().remove(0);
    let signature = trade.signature.clone().expect("a live trade has a signature");
    assert_eq!(filled.body["parse_mode"], json!("HTML"), "notices are HTML");
    assert!(
        body.contains(&format!("<a href=\"https://solscan.io/tx/{signature}\">")),
        "the explorer link is a link: {body}"
    );
    assert!(body.contains(&format!("<code>{}</code>", env.coin.mint)), "the mint is tap-to-copy: {body}");
    let fees = Lamports(trade.fees.total());
    assert!(fees.0 >= 5_000, "at least the signature fee: {fees:?}");
    assert!(body.contains(&format!("{} SOL", fees.to_sol().normalize())), "fees {fees:?} in {body}");
    assert!(!body.contains(&tr(Lang::En, "trade.paper", &[])), "{body}");
    assert!(env.chain.landed(&signature.parse().unwrap()).is_some());
    crate::home::assert_every_call_is_valid(&env.app).await;
    env.app.stop().await;
}
on_both_databases!(live_fill_notice_carries_the_solscan_link_and_fees);

fn helius(fake: &FakeChain) -> HeliusConfig {
    let mut c = HeliusConfig::new(vec![SecretString::from(fake.rpc_url(0))]);
    c.sender_url = Some(SecretString::from(fake.sender_url()));
    c.rps = 1_000;
    c.burst = 1_000;
    c.request_timeout = Duration::from_millis(1_500);
    c.retry = RetryPolicy {
        max_retries: 1,
        backoff: Backoff { base: Duration::from_millis(10), max: Duration::from_millis(50) },
        max_wait: Duration::from_secs(3),
        default_retry_after: Duration::from_secs(1),
    };
    c.breaker = BreakerPolicy {
        failure_threshold: 50,
        cooldown: Duration::from_secs(1),
        probe_timeout: Duration::from_secs(2),
    };
    c
}

/// The app's own trading core, rebuilt in the test with a short give-up so the outcome becomes
/// unknown quickly; notices go through the real Telegram notifier to the fake Bot API.
async fn short_fuse_trading(env: &Env) -> Trading {
    let chain: Arc<dyn ChainClient> = Arc::new(HeliusClient::new(helius(&env.chain), None).unwrap());
    let globals = GlobalCache::load(chain.clone()).await.unwrap();
    let router = Arc::new(VenueRouter::new(chain.clone(), globals, None, RouterSettings::default()));
    let ring = load_key_ring(&env.app.db, &MasterKeySource::Hex(SecretString::from(MASTER_HEX)), None).await.unwrap();
    let port = Arc::new(env.app.db.clone());
    let bot = teloxide::Bot::new("123456:TEST-token").set_api_url(env.app.tg.url.parse().unwrap());
    let metrics = Arc::new(Metrics::new());
    let hooks = quantbot::telegram::outbox::OutboxHooks {
        users: Some(port.clone()),
        metrics: metrics.clone(),
        liveness: quantbot::telemetry::Liveness::new(),
    };
    let limits = quantbot::telegram::outbox::Limits::telegram();
    let (outbox, _task) = quantbot::telegram::outbox::Outbox::start(bot, limits, hooks, std::future::pending());
    let notifier = quantbot::telegram::outbox::notices::OutboxNotifier::new(
        outbox,
        port.clone(),
        port.clone(),
        Arc::new(SystemClock),
        metrics,
    );
    let ports = TradingPorts {
        users: port.clone(),
        intents: port.clone(),
        positions: port.clone(),
        stats: port.clone(),
        controls: port.clone(),
        admins: port.clone(),
        chain,
        swapper: router,
        signer: Arc::new(KeyringSigner::new(port, Some(Arc::new(ring)))),
        notifier: Arc::new(notifier),
        clock: Arc::new(SystemClock),
    };
    let submit = SubmitOptions {
        poll_every: Duration::from_millis(20),
        rebroadcast_every: Duration::from_millis(300),
        give_up_after: Duration::from_millis(800),
        ..SubmitOptions::default()
    };
    let settings = TradingSettings::new(false, GlobalLimits::default(), Lamports::ZERO, submit);
    Trading::new(ports, settings)
}

async fn unknown_outcome_is_reported_pending_then_final(db: &TestDb) {
    let env = setup(db, true).await;
    let trading = short_fuse_trading(&env).await;
    let landed_before = env.chain.landed_count();
    // The node applies the send but never answers, and status lookups lag behind.
    env.chain.inject(None, Some("sendTransaction"), Fault::AcceptThenHang, 1);
    env.chain.lag_statuses(1_000_000);
    let cur = env.app.tg.call_count().await;
    let req = TradeRequest {
        user: UserId(ALICE),
        mint: env.coin.mint,
        side: Side::Buy,
        amount: TradeAmount::Sol(Lamports(SOL / 10)),
        origin: IntentOrigin::Manual,
        key: IdempotencyKey::command(UserId(ALICE), ALICE, 77_001),
        alert_id: None,
        received_at_ms: None,
        exit_rules: None,
        slippage: None,
        source: Some("manual".into()),
        position_id: None,
        price_guard: None,
        resume: false,
        prefetched: None,
        safety_overrides: Default::default(),
        exit_reason: None,
    };
    let outcome = trading.execute(req).await.unwrap();
    let TradeOutcome::Pending { intent_id, signature, .. } = outcome else {
        panic!("expected pending, got {outcome:?}")
    };
    let pending = notice(&env.app, cur, &prefix("trade.pending")).await;
    assert!(text(&pending).contains(&format!("<a href=\"https://solscan.io/tx/{signature}\">")), "{}", text(&pending));
    assert_eq!(env.app.db.intent(intent_id).await.unwrap().unwrap().state, IntentState::Unknown);
    assert_eq!(env.chain.landed_count(), landed_before + 1, "it did land");
    assert!(PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap().is_empty());

    // The reconciler pass (what the background loop runs every 10 s) settles it and tells Alice.
    env.chain.lag_statuses(0);
    let cur = env.app.tg.call_count().await;
    let report = quantbot::app::recovery::reconcile_unknown(&trading, &SubmitOptions::default()).await.unwrap();
    assert!(report.examined <= 1, "{report:?}");
    let fin = notice(&env.app, cur, &prefix("trade.bought")).await;
    assert!(text(&fin).contains(&signature), "{}", text(&fin));
    let intent = env.app.db.intent(intent_id).await.unwrap().unwrap();
    assert_eq!(intent.state, IntentState::Confirmed);
    let p = PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap().remove(0);
    assert_eq!(Some(p.book.tokens), env.chain.token_amount(&env.coin.ata_of(&env.wallet)));
    // A second pass finds nothing to do and records nothing twice.
    let again = quantbot::app::recovery::reconcile_unknown(&trading, &SubmitOptions::default()).await.unwrap();
    assert_eq!(again.examined, 0);
    assert_eq!(env.app.db.trade_history(UserId(ALICE), 0, 10).await.unwrap().len(), 1);
    assert_eq!(env.chain.landed_count(), landed_before + 1, "never sent twice");
    env.app.stop().await;
}
on_both_databases!(unknown_outcome_is_reported_pending_then_final);

/// The loop wrapper: runs passes periodically and stops when asked.
async fn reconciler_loop_runs_passes_and_stops(db: &TestDb) {
    let env = setup(db, true).await;
    let trading = short_fuse_trading(&env).await;
    env.chain.inject(None, Some("sendTransaction"), Fault::AcceptThenHang, 1);
    env.chain.lag_statuses(1_000_000);
    let req = TradeRequest {
        user: UserId(ALICE),
        mint: env.coin.mint,
        side: Side::Buy,
        amount: TradeAmount::Sol(Lamports(SOL / 10)),
        origin: IntentOrigin::Manual,
        key: IdempotencyKey::command(UserId(ALICE), ALICE, 77_002),
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
    let TradeOutcome::Pending { intent_id, .. } = trading.execute(req).await.unwrap() else { panic!("not pending") };
    env.chain.lag_statuses(0);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(quantbot::app::recovery::run_reconciler(
        trading.clone(),
        Duration::from_millis(100),
        SubmitOptions::default(),
        async move {
            let _ = stop_rx.await;
        },
    ));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while env.app.db.intent(intent_id).await.unwrap().unwrap().state != IntentState::Confirmed {
        assert!(tokio::time::Instant::now() < deadline, "the loop never settled the intent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop_tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(2), task).await.expect("stops when asked").unwrap();
    env.app.stop().await;
}
on_both_databases!(reconciler_loop_runs_passes_and_stops);
