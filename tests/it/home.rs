//! The buttons-first experience through the fake Bot API, on both databases: `/start` → paste →
//! tap with no other typed command, the home screen and its menus (every one returns Home),
//! typed answers to prompts (custom amount, settings), phrases, hints, did-you-mean, going live,
//! group chats. Every message the bot sends is checked as Telegram HTML when it uses the HTML
//! parse mode, and every button's callback data against Telegram's 64-byte limit.

use std::time::Duration;

use quantbot::domain::lang::Lang;
use quantbot::domain::user::UserId;
use quantbot::i18n::tr;
use quantbot::ports::{PositionRepo, UserRepo, WalletRepo};
use serde_json::json;
use solana_pubkey::Pubkey;

use crate::on_both_databases;
use crate::support::fake_chain::FakeChain;
use crate::support::fake_chain::pump::{self, Coin};
use crate::support::fake_prices::FakePrices;
use crate::support::fake_telegram::Call;
use crate::support::{TestApp, TestDb};
use crate::trading_commands::{ALICE, SOL, buttons, notice, prefix, settle, text};

const MASTER_HEX: &str = "5f0b7f0f8d7e6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170605f4e3";

/// Tags Telegram's HTML parse mode accepts.
const TAGS: [&str; 17] = [
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "span",
    "tg-spoiler",
    "blockquote",
    "tg-emoji",
    "br",
];

/// Checks `text` the way Telegram parses HTML: only supported tags, properly nested and closed;
/// `<`, `>` and `&` only as markup or as the named entities `&lt;` `&gt;` `&amp;` `&quot;` (or
/// numeric ones).
pub(crate) fn assert_telegram_html(text: &str) {
    let mut open: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['<', '>', '&']) {
        let (c, after) = (rest.as_bytes()[i], &rest[i + 1..]);
        match c {
            b'>' => panic!("unescaped '>' in {text:?}"),
            b'&' => {
                let end = after.find(';').unwrap_or_else(|| panic!("unterminated entity in {text:?}"));
                let name = &after[..end];
                let numeric = name.strip_prefix('#').is_some_and(|n| {
                    n.strip_prefix('x').map_or_else(|| n.parse::<u32>().is_ok(), |h| u32::from_str_radix(h, 16).is_ok())
                });
                assert!(numeric || ["lt", "gt", "amp", "quot"].contains(&name), "bad entity &{name}; in {text:?}");
                rest = &after[end + 1..];
            }
            _ => {
                let end = after.find('>').unwrap_or_else(|| panic!("unterminated tag in {text:?}"));
                let tag = &after[..end];
                assert!(!tag.contains('<'), "'<' inside a tag in {text:?}");
                if let Some(name) = tag.strip_prefix('/') {
                    let top = open.pop().unwrap_or_else(|| panic!("</{name}> closes nothing in {text:?}"));
                    assert_eq!(top, name.trim(), "misnested tags in {text:?}");
                } else {
                    let name = tag.split_whitespace().next().unwrap_or_default().to_owned();
                    assert!(TAGS.contains(&name.as_str()), "unsupported tag <{name}> in {text:?}");
                    if name == "a" {
                        assert!(tag.contains("href=\""), "<a> without href in {text:?}");
                    }
                    open.push(name);
                }
                rest = &after[end + 1..];
            }
        }
    }
    assert!(open.is_empty(), "unclosed tags {open:?} in {text:?}");
}

/// Every message sent or edited so far: HTML ones parse, every callback data fits 64 bytes.
pub(crate) async fn assert_every_call_is_valid(app: &TestApp) {
    for call in app.tg.calls().await {
        if !["sendMessage", "editMessageText", "editMessageReplyMarkup"].contains(&call.method.as_str()) {
            continue;
        }
        if call.body["parse_mode"] == json!("HTML") {
            assert_telegram_html(&text(&call));
        }
        for data in buttons(&call) {
            assert!(data.len() <= 64, "callback data {data} is {} bytes", data.len());
        }
    }
}

struct World {
    app: TestApp,
    chain: FakeChain,
    coin: Coin,
}

/// A traded Pump.fun coin and custody configured; nobody has said anything yet.
async fn world(db: &TestDb) -> World {
    world_with(db, &[]).await
}

async fn world_with(db: &TestDb, extra: &[(&str, &str)]) -> World {
    let chain = FakeChain::start().await;
    pump::install(&chain);
    let mut curve = pump::fresh_curve(Pubkey::new_unique());
    curve.real_quote_reserves = 5 * SOL;
    let coin = pump::seed_coin(&chain, quantbot::solana::ids::TOKEN_PROGRAM, &curve);
    let rpc = chain.rpc_url(0);
    let vars = [
        ("HELIUS_RPC_URL", rpc.as_str()),
        ("WALLET_MASTER_KEY", MASTER_HEX),
        ("DRY_RUN", "false"),
        ("MONITOR_INTERVAL_MS", "200"),
    ];
    let vars: Vec<(&str, &str)> = vars.into_iter().chain(extra.iter().copied()).collect();
    let app = TestApp::spawn(db, &vars).await;
    World { app, chain, coin }
}

async fn say(app: &TestApp, words: &str) -> Call {
    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "en", words).await;
    app.tg.next_text_to(cur, ALICE).await
}

/// Presses `data` on message `mid` and waits for the edit of that message.
async fn tap_edit(app: &TestApp, mid: i64, data: &str) -> Call {
    let cur = app.tg.call_count().await;
    app.tg.press(ALICE, ALICE, mid, data).await;
    app.tg.wait_for(cur, "editMessageText", |b| b["message_id"] == json!(mid)).await
}

fn html(call: &Call) -> bool {
    call.body["parse_mode"] == json!("HTML")
}

fn en(key: &str) -> String {
    tr(Lang::En, key, &[])
}

async fn first_wallet(app: &TestApp) -> Pubkey {
    app.db.list_wallets(UserId(ALICE)).await.unwrap()[0].pubkey.parse().unwrap()
}

async fn new_user_trades_on_paper_with_start_and_a_paste_only(db: &TestDb) {
    let w = world(db).await;
    // /start: the home screen, with the wallet it just created (tap-to-copy) and paper mode.
    let home = say(&w.app, "/start").await;
    assert!(html(&home));
    let wallet = first_wallet(&w.app).await;
    let body = text(&home);
    assert!(body.contains(&format!("<code>{wallet}</code>")), "{body}");
    assert!(body.contains(&en("ux.home.mode_paper")), "{body}");
    assert!(body.contains(&prefix("ux.home.created")), "{body}");
    let data = buttons(&home);
    for expected in ["h:m:buy", "h:m:pos", "h:m:wal", "h:m:alr", "h:m:set", "h:m:help", "h:home", "h:live"] {
        assert!(data.iter().any(|d| d == expected), "{expected} missing from {data:?}");
    }
    // A second /start (or a redelivered one) creates no second wallet.
    say(&w.app, "/start").await;
    assert_eq!(w.app.db.list_wallets(UserId(ALICE)).await.unwrap().len(), 1);

    // The balance check of a paper buy reads the wallet: it holds some SOL.
    w.chain.fund(&wallet, SOL);
    let card = say(&w.app, &format!("{}", w.coin.mint)).await;
    let preset = buttons(&card).into_iter().find(|d| d.starts_with("tc:b:")).expect("a preset button");
    let cur = w.app.tg.call_count().await;
    w.app.tg.press(ALICE, ALICE, card.message_id(), &preset).await;
    let bought = notice(&w.app, cur, &prefix("trade.bought")).await;
    assert!(text(&bought).contains(&en("trade.paper")), "{}", text(&bought));
    let open = PositionRepo::open_positions(&w.app.db, UserId(ALICE)).await.unwrap();
    assert_eq!(open.len(), 1);
    assert!(open[0].is_paper && open[0].book.tokens > 0);
    assert_every_call_is_valid(&w.app).await;
    w.app.stop().await;
}
on_both_databases!(new_user_trades_on_paper_with_start_and_a_paste_only);

async fn the_card_and_the_fill_lead_somewhere(db: &TestDb) {
    let w = world(db).await;
    say(&w.app, "/start").await;
    w.chain.fund(&first_wallet(&w.app).await, SOL);
    let mint = w.coin.mint.to_string();
    let card = say(&w.app, &mint).await;
    assert!(html(&card));
    let body = text(&card);
    for expected in [
        format!("<code>{mint}</code>"),
        format!("<a href=\"https://solscan.io/token/{mint}\">"),
        format!("<a href=\"https://dexscreener.com/solana/{mint}\">"),
        format!("<a href=\"https://pump.fun/coin/{mint}\">"),
        "0.0₇".to_owned(),
    ] {
        assert!(body.contains(&expected), "{expected} not in {body}");
    }
    assert!(!body.contains("0.0000000"), "a compact price: {body}");
    assert!(buttons(&card).iter().any(|d| d == "h:home"));

    // A buy from the card: the notice offers sells, the position and a fresh card; the card is
    // edited in place with the holding and its sell buttons.
    let mid = card.message_id();
    let cur = w.app.tg.call_count().await;
    w.app.tg.press(ALICE, ALICE, mid, &format!("tc:b:{mint}:50000000")).await;
    let bought = notice(&w.app, cur, &prefix("trade.bought")).await;
    assert!(html(&bought), "fill notices are HTML");
    assert!(text(&bought).contains(&format!("<code>{mint}</code>")), "{}", text(&bought));
    let id = PositionRepo::open_positions(&w.app.db, UserId(ALICE)).await.unwrap()[0].id;
    let data = buttons(&bought);
    for expected in [
        format!("pos:close:{id}:25"),
        format!("pos:close:{id}:50"),
        format!("pos:close:{id}:100"),
        format!("pv:{id}"),
        format!("tc:o:{mint}"),
    ] {
        assert!(data.contains(&expected), "{expected} not in {data:?}");
    }
    let edited = w.app.tg.wait_for(cur, "editMessageText", |b| b["message_id"] == json!(mid)).await;
    assert!(buttons(&edited).contains(&format!("tc:s:{mint}:50")), "{:?}", buttons(&edited));
    assert!(text(&edited).contains(&format!("#{id}")), "{}", text(&edited));

    // View position: a screen with its sell buttons, Back to positions and Home.
    let cur = w.app.tg.call_count().await;
    w.app.tg.press(ALICE, ALICE, bought.message_id(), &format!("pv:{id}")).await;
    let view = w.app.tg.next_text_to(cur, ALICE).await;
    let data = buttons(&view);
    assert!(data.contains(&format!("pos:close:{id}:50")) && data.contains(&"h:home".to_owned()), "{data:?}");

    // Presets above the max position are not offered, and the card says why.
    let home = say(&w.app, "/start").await;
    tap_edit(&w.app, home.message_id(), "h:a:max_position_sol").await;
    say(&w.app, "0.03").await;
    let card = say(&w.app, &mint).await;
    let data = buttons(&card);
    assert!(data.contains(&format!("tc:b:{mint}:25000000")));
    assert!(
        !data.contains(&format!("tc:b:{mint}:50000000")) && !data.contains(&format!("tc:b:{mint}:100000000")),
        "{data:?}"
    );
    assert!(text(&card).contains(&prefix("ux.card.presets_capped")), "{}", text(&card));
    assert_every_call_is_valid(&w.app).await;
    w.app.stop().await;
}
on_both_databases!(the_card_and_the_fill_lead_somewhere);

async fn usd_is_shown_beside_sol_when_the_price_api_answers(db: &TestDb) {
    let prices = FakePrices::start().await;
    prices.set_price(&quantbot::solana::ids::WSOL_MINT.to_string(), "150.25");
    let w = world_with(db, &[("JUPITER_PRICE_URL", prices.url.as_str())]).await;
    say(&w.app, "/start").await;
    w.chain.fund(&first_wallet(&w.app).await, 2 * SOL);
    let home = say(&w.app, "/start").await;
    let body = text(&home);
    assert!(body.contains("<b>2 SOL</b> (≈ $300.50)"), "{body}");
    assert!(body.contains("SOL</b> ($0.00)"), "today's PnL in USD: {body}");

    // The card: price, market cap and liquidity in USD too; after a buy, the holding's value.
    let mint = w.coin.mint.to_string();
    let card = say(&w.app, &mint).await;
    let body = text(&card);
    assert!(body.contains("SOL</b> ($0.0"), "price in USD: {body}");
    assert!(body.matches(" SOL ($").count() >= 2, "market cap and liquidity in USD: {body}");
    let cur = w.app.tg.call_count().await;
    w.app.tg.press(ALICE, ALICE, card.message_id(), &format!("tc:b:{mint}:50000000")).await;
    notice(&w.app, cur, &prefix("trade.bought")).await;
    let mid = card.message_id();
    let edited = w.app.tg.wait_for(cur, "editMessageText", |b| b["message_id"] == json!(mid)).await;
    assert!(text(&edited).contains(&prefix("ux.card.holding_usd")), "{}", text(&edited));
    // One read of the rate serves every screen for a minute.
    assert_eq!(prices.requests(), 1);
    assert_every_call_is_valid(&w.app).await;
    w.app.stop().await;
}
on_both_databases!(usd_is_shown_beside_sol_when_the_price_api_answers);

async fn without_a_usd_price_every_screen_shows_sol_only(db: &TestDb) {
    let prices = FakePrices::start().await;
    prices.set_down(true);
    let w = world_with(db, &[("JUPITER_PRICE_URL", prices.url.as_str())]).await;
    say(&w.app, "/start").await;
    w.chain.fund(&first_wallet(&w.app).await, 2 * SOL);
    let home = say(&w.app, "/start").await;
    let body = text(&home);
    assert!(body.contains("<b>2 SOL</b>") && !body.contains('$'), "{body}");
    let card = say(&w.app, &w.coin.mint.to_string()).await;
    let body = text(&card);
    assert!(body.contains(&prefix("ux.card.body")) && !body.contains('$'), "{body}");
    // A failed read is not repeated on every screen.
    assert_eq!(prices.requests(), 1);
    assert_every_call_is_valid(&w.app).await;
    w.app.stop().await;
}
on_both_databases!(without_a_usd_price_every_screen_shows_sol_only);

async fn a_custom_amount_typed_after_the_prompt_buys_that_amount(db: &TestDb) {
    let w = world(db).await;
    say(&w.app, "/start").await;
    w.chain.fund(&first_wallet(&w.app).await, SOL);
    let mint = w.coin.mint.to_string();
    let card = say(&w.app, &format!("look at this one: {mint} !")).await;
    assert!(text(&card).contains(&mint), "a mint inside a sentence opens the card");

    // "Custom amount" asks with a force-reply; the typed "0,07" (decimal comma) buys 0.07 SOL.
    let cur = w.app.tg.call_count().await;
    w.app.tg.press(ALICE, ALICE, card.message_id(), &format!("tc:c:{mint}")).await;
    let prompt = w.app.tg.next_text_to(cur, ALICE).await;
    assert_eq!(prompt.body["reply_markup"]["force_reply"], json!(true), "{:?}", prompt.body);
    assert!(html(&prompt));

    let cur = w.app.tg.call_count().await;
    let mid = w.app.tg.send_private(ALICE, "en", "0,07").await;
    notice(&w.app, cur, &prefix("trade.bought")).await;
    assert_eq!(buy_amounts(&w.app).await, ["70000000"]);

    // The same message redelivered is the same trade (a duplicate), not a second buy.
    let cur = w.app.tg.call_count().await;
    redeliver(&w.app, mid, "0,07").await;
    notice(&w.app, cur, &prefix("tradecmd.duplicate")).await;
    settle().await;
    assert_eq!(w.app.db.trade_history(UserId(ALICE), 0, 10).await.unwrap().len(), 1);

    // The prompt was used: another "0.07" is not a buy, just the hint.
    let hint = say(&w.app, "0.07").await;
    assert_eq!(text(&hint), en("ux.hint"));
    settle().await;
    assert_eq!(w.app.db.trade_history(UserId(ALICE), 0, 10).await.unwrap().len(), 1);

    // A bad amount is asked again; "cancel" drops the prompt.
    let cur = w.app.tg.call_count().await;
    w.app.tg.press(ALICE, ALICE, card.message_id(), &format!("tc:c:{mint}")).await;
    w.app.tg.next_text_to(cur, ALICE).await;
    let again = say(&w.app, "lots").await;
    assert!(
        text(&again).contains("lots") && again.body["reply_markup"]["force_reply"] == json!(true),
        "{:?}",
        again.body
    );
    let cancelled = say(&w.app, "cancel").await;
    assert_eq!(text(&cancelled), en("ux.prompt.cancelled"));
    let hint = say(&w.app, "0.05").await;
    assert_eq!(text(&hint), en("ux.hint"));
    settle().await;
    assert_eq!(w.app.db.trade_history(UserId(ALICE), 0, 10).await.unwrap().len(), 1);
    assert_every_call_is_valid(&w.app).await;
    w.app.stop().await;
}
on_both_databases!(a_custom_amount_typed_after_the_prompt_buys_that_amount);

/// The SOL amounts (lamports) of Alice's stored buy intents.
async fn buy_amounts(app: &TestApp) -> Vec<String> {
    use sqlx::Row as _;
    let rows = sqlx::query("SELECT amount_in FROM trade_intents WHERE user_id = $1 AND side = 'buy' ORDER BY id")
        .bind(ALICE)
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    rows.iter().map(|r| r.get::<String, _>("amount_in")).collect()
}

async fn redeliver(app: &TestApp, mid: i64, words: &str) {
    app.tg
        .push_update(json!({"message": {
            "message_id": mid,
            "from": {"id": ALICE, "is_bot": false, "first_name": format!("User{ALICE}"), "username": format!("user{ALICE}"), "language_code": "en"},
            "chat": {"id": ALICE, "type": "private", "first_name": format!("User{ALICE}")},
            "date": 1_795_000_000,
            "text": words,
        }}))
        .await;
}

async fn every_screen_reachable_from_home_returns_home(db: &TestDb) {
    let w = world(db).await;
    let home = say(&w.app, "/start").await;
    let mid = home.message_id();
    let wallet = first_wallet(&w.app).await;
    let menus = ["h:m:buy", "h:m:pos", "h:m:wal", "h:m:alr", "h:m:set", "h:m:help", "h:m:copy", "h:m:ord", "h:live"];
    for menu in menus.iter().copied().chain([format!("h:w:{wallet}").as_str()]) {
        let screen = tap_edit(&w.app, mid, menu).await;
        assert!(html(&screen), "{menu}");
        assert!(buttons(&screen).iter().any(|d| d == "h:home"), "{menu}: no Home in {:?}", buttons(&screen));
        let back = tap_edit(&w.app, mid, "h:home").await;
        assert!(text(&back).starts_with(&en("ux.home.title")), "{menu}: {}", text(&back));
    }
    // Orders: the list with a cancel button per resting order, then Back/Home.
    let placed = say(&w.app, &format!("/limit buy {} 0.01 -20%", w.coin.mint)).await;
    let orders = tap_edit(&w.app, mid, "h:m:ord").await;
    assert!(buttons(&orders).iter().any(|d| d.starts_with("ord:x:")), "{} / {:?}", text(&placed), buttons(&orders));
    assert!(buttons(&orders).iter().any(|d| d == "h:home"));
    // The wallet menu's Back goes to the wallets list.
    let one = tap_edit(&w.app, mid, &format!("h:w:{wallet}")).await;
    assert!(buttons(&one).iter().any(|d| d == "h:m:wal"));
    assert!(text(&one).contains(&format!("<code>{wallet}</code>")));
    assert_every_call_is_valid(&w.app).await;
    w.app.stop().await;
}
on_both_databases!(every_screen_reachable_from_home_returns_home);

async fn settings_toggle_and_take_typed_values_in_plain_units(db: &TestDb) {
    let w = world(db).await;
    let home = say(&w.app, "/start").await;
    let mid = home.message_id();
    let settings = tap_edit(&w.app, mid, "h:m:set").await;
    assert!(buttons(&settings).iter().any(|d| d == "h:t:mev_protection:0"), "{:?}", buttons(&settings));

    // A toggle names the state it sets: a double tap is the same state.
    tap_edit(&w.app, mid, "h:t:mev_protection:0").await;
    let again = tap_edit(&w.app, mid, "h:t:mev_protection:0").await;
    assert!(buttons(&again).iter().any(|d| d == "h:t:mev_protection:1"));
    assert!(!w.app.db.config(UserId(ALICE)).await.unwrap().mev_protection);

    // ✏️ Slippage: typed as a percentage with a decimal comma.
    let ask = tap_edit(&w.app, mid, "h:a:slippage_bps").await;
    assert!(buttons(&ask).iter().any(|d| d == "h:x"), "a Cancel button");
    let saved = say(&w.app, "7,5%").await;
    assert!(text(&saved).contains("7.5%"), "{}", text(&saved));
    assert_eq!(w.app.db.config(UserId(ALICE)).await.unwrap().slippage.0, 750);

    // A refused value changes nothing and keeps asking; Cancel ends it.
    tap_edit(&w.app, mid, "h:a:max_position_sol").await;
    let before = w.app.db.config(UserId(ALICE)).await.unwrap();
    let refused = say(&w.app, "-3").await;
    assert!(text(&refused).contains("-3"), "{}", text(&refused));
    assert_eq!(w.app.db.config(UserId(ALICE)).await.unwrap(), before);
    let saved = say(&w.app, "0,2").await;
    assert!(text(&saved).contains("0.2 SOL"), "{}", text(&saved));
    assert_eq!(w.app.db.config(UserId(ALICE)).await.unwrap().max_position.0, 200_000_000);
    tap_edit(&w.app, mid, "h:a:stop_loss_pct").await;
    tap_edit(&w.app, mid, "h:x").await;
    let hint = say(&w.app, "25").await;
    assert_eq!(text(&hint), en("ux.hint"));
    assert_every_call_is_valid(&w.app).await;
    w.app.stop().await;
}
on_both_databases!(settings_toggle_and_take_typed_values_in_plain_units);

async fn going_live_is_one_confirmed_button_that_states_the_limits(db: &TestDb) {
    let w = world(db).await;
    let home = say(&w.app, "/start").await;
    let mid = home.message_id();
    let confirm = tap_edit(&w.app, mid, "h:live").await;
    let body = text(&confirm);
    assert!(body.contains("0.1 SOL") && body.contains("1 SOL"), "limits stated: {body}");
    // Asking changes nothing.
    assert!(w.app.db.config(UserId(ALICE)).await.unwrap().dry_run);
    let live = tap_edit(&w.app, mid, "h:live:y").await;
    assert!(text(&live).contains(&en("ux.home.mode_live")), "{}", text(&live));
    let config = w.app.db.config(UserId(ALICE)).await.unwrap();
    assert!(!config.dry_run && config.trading_enabled);
    assert!(buttons(&live).iter().any(|d| d == "h:paper"));
    let paper = tap_edit(&w.app, mid, "h:paper").await;
    assert!(text(&paper).contains(&en("ux.home.mode_paper")));
    assert!(w.app.db.config(UserId(ALICE)).await.unwrap().dry_run);
    w.app.stop().await;
}
on_both_databases!(going_live_is_one_confirmed_button_that_states_the_limits);

async fn phrases_hints_and_did_you_mean(db: &TestDb) {
    let w = world(db).await;
    say(&w.app, "/start").await;
    w.chain.fund(&first_wallet(&w.app).await, SOL);
    let mint = w.coin.mint.to_string();

    let cur = w.app.tg.call_count().await;
    w.app.tg.send_private(ALICE, "en", &format!("buy 0,05 sol of {mint}")).await;
    notice(&w.app, cur, &prefix("trade.bought")).await;
    assert_eq!(buy_amounts(&w.app).await, ["50000000"]);

    let cur = w.app.tg.call_count().await;
    w.app.tg.send_private(ALICE, "en", &format!("sell 50% {mint}")).await;
    notice(&w.app, cur, &prefix("trade.sold")).await;

    let hint = say(&w.app, "how do I buy?").await;
    assert_eq!(text(&hint), en("ux.hint"));
    assert!(buttons(&hint).iter().any(|d| d == "h:home"));

    let typo = say(&w.app, "/byu").await;
    assert!(text(&typo).contains("/buy"), "{}", text(&typo));
    let sub = say(&w.app, "/wallet exprot").await;
    assert!(text(&sub).contains("/wallet export"), "{}", text(&sub));
    let sub = say(&w.app, "/livetrade stauts").await;
    assert!(text(&sub).contains("/livetrade status"), "{}", text(&sub));
    let far = say(&w.app, "/xyzzyplugh").await;
    assert_eq!(text(&far), en("errors.unknown_command"));
    assert_every_call_is_valid(&w.app).await;
    w.app.stop().await;
}
on_both_databases!(phrases_hints_and_did_you_mean);

async fn group_chats_never_change_a_users_state(db: &TestDb) {
    const GROUP: i64 = -100_777;
    let w = world(db).await;
    let cur = w.app.tg.call_count().await;
    w.app.tg.send_group(ALICE, GROUP, "/start").await;
    w.app.tg.wait_for(cur, "sendMessage", |b| b["chat_id"] == json!(GROUP)).await;
    w.app.tg.send_group(ALICE, GROUP, &format!("buy 0.1 {}", w.coin.mint)).await;
    w.app.tg.send_group(ALICE, GROUP, "0.07").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(w.app.db.get(UserId(ALICE)).await.unwrap().is_none(), "a group never registers");
    assert!(w.app.db.list_wallets(UserId(ALICE)).await.unwrap().is_empty());
    let private_sends = w.app.tg.calls().await.into_iter().skip(cur).filter(|c| c.body["chat_id"] == json!(ALICE));
    assert_eq!(private_sends.count(), 0);
    w.app.stop().await;
}
on_both_databases!(group_chats_never_change_a_users_state);

async fn wallets_menu_acts_on_the_wallet_tapped(db: &TestDb) {
    let w = world(db).await;
    let home = say(&w.app, "/start").await;
    let mid = home.message_id();
    let first = first_wallet(&w.app).await;
    w.chain.fund(&first, SOL);

    // ➕ New wallet (a double tap creates one), then make it the default from its own menu.
    let menu = tap_edit(&w.app, mid, "h:m:wal").await;
    assert!(buttons(&menu).contains(&"h:wn:1".to_owned()), "{:?}", buttons(&menu));
    tap_edit(&w.app, mid, "h:wn:1").await;
    let list = tap_edit(&w.app, mid, "h:wn:1").await;
    let wallets = w.app.db.list_wallets(UserId(ALICE)).await.unwrap();
    assert_eq!(wallets.len(), 2);
    let second: Pubkey = wallets.iter().find(|x| !x.is_default).unwrap().pubkey.parse().unwrap();
    assert!(buttons(&list).contains(&format!("h:w:{second}")), "{:?}", buttons(&list));
    let menu = tap_edit(&w.app, mid, &format!("h:w:{second}")).await;
    assert!(buttons(&menu).contains(&format!("h:wa:d:{second}")));
    assert!(!buttons(&menu).contains(&format!("h:wa:w:{second}")), "withdraw only from the default wallet");
    tap_edit(&w.app, mid, &format!("h:wa:d:{second}")).await;
    let default = w.app.db.list_wallets(UserId(ALICE)).await.unwrap().into_iter().find(|x| x.is_default).unwrap();
    assert_eq!(default.pubkey, second.to_string());

    // A bare `/wallet export` asks to confirm the export of the default wallet.
    let export = say(&w.app, "/wallet export").await;
    assert!(text(&export).contains(&second.to_string()), "{}", text(&export));

    // 💸 Withdraw from the (new) default wallet: amount and destination typed, confirmation asked.
    tap_edit(&w.app, mid, &format!("h:wa:d:{first}")).await;
    let cur = w.app.tg.call_count().await;
    w.app.tg.press(ALICE, ALICE, mid, &format!("h:wa:w:{first}")).await;
    let prompt = w.app.tg.next_text_to(cur, ALICE).await;
    assert_eq!(prompt.body["reply_markup"]["force_reply"], json!(true));
    let dest = Pubkey::new_unique();
    let confirm = say(&w.app, &format!("0,25 {dest}")).await;
    assert!(text(&confirm).contains("0.25") && text(&confirm).contains(&dest.to_string()), "{}", text(&confirm));
    assert!(buttons(&confirm).iter().any(|d| d.starts_with("w:y:")), "{:?}", buttons(&confirm));
    assert_every_call_is_valid(&w.app).await;
    w.app.stop().await;
}
on_both_databases!(wallets_menu_acts_on_the_wallet_tapped);

async fn selling_a_token_not_held_offers_its_card(db: &TestDb) {
    let w = world(db).await;
    say(&w.app, "/start").await;
    let mint = w.coin.mint.to_string();
    let cur = w.app.tg.call_count().await;
    w.app.tg.send_private(ALICE, "en", &format!("/sell {mint}")).await;
    let card = w
        .app
        .tg
        .wait_for(cur, "sendMessage", |b| {
            b["parse_mode"] == json!("HTML") && b["text"].as_str().is_some_and(|t| t.contains(&mint))
        })
        .await;
    assert!(buttons(&card).iter().any(|d| d.starts_with("tc:b:")));
    w.app.stop().await;
}
on_both_databases!(selling_a_token_not_held_offers_its_card);

/// The pending input: one per user, replaced by a newer prompt, claimed by one message (and by
/// a redelivery of that same message), ignored once expired, removed by Cancel.
async fn a_pending_input_is_claimed_once_per_message(db: &TestDb) {
    use quantbot::ports::{PromptRepo, SeenUser};
    let store = db.open().await;
    let user = UserId(77);
    let seen = SeenUser { id: user, chat_id: 77, username: None, lang: Lang::En, is_config_admin: false };
    store.register(&seen).await.unwrap();
    assert_eq!(store.claim_prompt(user, 1, 100).await.unwrap(), None, "nothing asked");

    store.set_prompt(user, "buy:x", 100, 1_000).await.unwrap();
    store.set_prompt(user, "cfg:slippage_bps", 200, 2_000).await.unwrap();
    let claimed = store.claim_prompt(user, 10, 300).await.unwrap().expect("live prompt");
    assert_eq!(claimed.kind, "cfg:slippage_bps", "the newer prompt replaced the older one");
    assert_eq!(store.claim_prompt(user, 10, 301).await.unwrap(), Some(claimed), "same message again");
    assert_eq!(store.claim_prompt(user, 11, 302).await.unwrap(), None, "another message");

    store.set_prompt(user, "buy:y", 400, 1_000).await.unwrap();
    assert_eq!(store.claim_prompt(user, 12, 1_000).await.unwrap(), None, "expired");

    store.set_prompt(user, "buy:z", 1_100, 5_000).await.unwrap();
    assert!(store.clear_prompt(user, 1_200).await.unwrap(), "a live prompt was cancelled");
    assert!(!store.clear_prompt(user, 1_300).await.unwrap(), "nothing left to cancel");
    assert_eq!(store.claim_prompt(user, 13, 1_400).await.unwrap(), None);
}
on_both_databases!(a_pending_input_is_claimed_once_per_message);

#[test]
fn the_html_checker_refuses_what_telegram_refuses() {
    assert_telegram_html("<b>a</b> &lt;x&gt; <code>1 &amp; 2</code> <a href=\"https://x\">l</a>");
    for bad in ["<b>a", "a > b", "<b><i>x</b></i>", "<div>x</div>", "&nbsp;", "a & b", "</b>"] {
        assert!(std::panic::catch_unwind(|| assert_telegram_html(bad)).is_err(), "{bad} passed");
    }
}
