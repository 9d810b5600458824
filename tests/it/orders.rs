//! Resting orders end to end: the real trading core, storage and router over the fake chain, the
//! monitor ticked by hand with a test clock (limit buy and sell, DCA, cancel and expiry exact to
//! the tick), and the Telegram commands through the real app. Both databases.

use quantbot::app::orders::{DcaOrder, DcaTotal, LimitOrder, Target};
use quantbot::domain::exit::ExitReason;
use quantbot::domain::lang::Lang;
use quantbot::domain::money::Lamports;
use quantbot::domain::order::{OrderState, Size, TriggerSpec};
use quantbot::domain::position::Side;
use quantbot::domain::user::UserId;
use quantbot::i18n::tr;
use quantbot::ports::{OrderRepo, PositionRepo, TradeNotice};
use serde_json::json;

use crate::monitor::{ALICE, SOL, World, set_price, world};
use crate::on_both_databases;
use crate::support::fake_chain::FakeChain;
use crate::support::fake_chain::pump;
use crate::support::{TestApp, TestDb};

fn no_exits(c: &mut quantbot::domain::user_config::UserConfig) {
    c.stop_loss = None;
    c.take_profit = Vec::new();
    c.trailing_stop = None;
    c.time_exit_hours = None;
}

fn limit_buy(w: &World, trigger: &str, expires_in_ms: Option<i64>) -> LimitOrder {
    LimitOrder {
        side: Side::Buy,
        target: Target::Mint(w.coin.mint),
        size: Size::Lamports(SOL / 20),
        trigger: TriggerSpec::parse(trigger).unwrap(),
        expires_in_ms,
    }
}

/// (key, state, amount_in) of every order intent, in insertion order.
async fn order_intents(w: &World) -> Vec<(String, String, String)> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT idempotency_key, state, amount_in FROM trade_intents WHERE idempotency_key LIKE 'order:%' ORDER BY id",
    )
    .fetch_all(w.db.pool())
    .await
    .unwrap();
    rows.iter().map(|r| (r.get("idempotency_key"), r.get("state"), r.get("amount_in"))).collect()
}

fn fills(w: &World, side: Side) -> Vec<TradeNotice> {
    w.notices.to(ALICE).into_iter().filter(|n| matches!(n, TradeNotice::Filled { side: s, .. } if *s == side)).collect()
}

async fn state(w: &World, id: i64) -> OrderState {
    OrderRepo::order(&w.db, UserId(ALICE), id).await.unwrap().unwrap().state
}

async fn a_limit_buy_fills_once_when_the_tick_price_crosses_its_trigger(db: &TestDb) {
    let w = world(db, no_exits).await;
    let user = UserId(ALICE);
    let order = w.orders.place_limit(user, "t:1", limit_buy(&w, "-20%", None)).await.unwrap().unwrap();
    // The same request again (a redelivered command) places nothing new.
    let again = w.orders.place_limit(user, "t:1", limit_buy(&w, "-20%", None)).await.unwrap().unwrap();
    assert_eq!(again.id, order.id);
    assert_eq!(w.orders.list(user).await.unwrap().len(), 1);
    let r = w.monitor.tick().await;
    assert_eq!((r.orders.evaluated, r.orders.fired), (1, 0), "{r:?}");
    set_price(&w.chain, &w.coin, 30 * SOL, 81, 100);
    assert_eq!(w.monitor.tick().await.orders.fired, 0, "−19 % is not through −20 %");
    set_price(&w.chain, &w.coin, 30 * SOL, 79, 100);
    let r = w.monitor.tick().await;
    assert_eq!((r.orders.fired, r.orders.filled), (1, 1), "{r:?}");
    assert_eq!(w.monitor.tick().await.orders.evaluated, 0, "a filled order leaves the monitor");
    assert_eq!(w.monitor.tick().await.orders.fired, 0);
    let key = format!("order:{}:1", order.id);
    assert_eq!(order_intents(&w).await, [(key, "confirmed".to_owned(), (SOL / 20).to_string())]);
    assert_eq!(state(&w, order.id).await, OrderState::Filled);
    assert_eq!(PositionRepo::open_positions(&w.db, user).await.unwrap().len(), 1);
    let bought = fills(&w, Side::Buy);
    assert_eq!(bought.len(), 1, "{bought:?}");
    assert!(
        matches!(bought[0], TradeNotice::Filled { exit: Some(ExitReason::LimitOrder { order_id }), .. } if order_id == order.id)
    );
    let text = quantbot::telegram::reply::render_notice(Lang::En, &bought[0]);
    assert!(text.starts_with(&format!("📌 Limit order #{} filled\n", order.id)), "{text}");
}
on_both_databases!(a_limit_buy_fills_once_when_the_tick_price_crosses_its_trigger);

async fn a_limit_sell_at_a_multiple_of_the_entry_sells_the_position_and_says_so(db: &TestDb) {
    let w = world(db, no_exits).await;
    let user = UserId(ALICE);
    let p = w.buy().await;
    let order = LimitOrder {
        side: Side::Sell,
        target: Target::Position(p.id),
        size: Size::PercentOfPosition(100),
        trigger: TriggerSpec::parse("2x").unwrap(),
        expires_in_ms: Some(86_400_000),
    };
    let placed = w.orders.place_limit(user, "t:sell", order).await.unwrap().unwrap();
    assert_eq!(placed.position_id, Some(p.id));
    set_price(&w.chain, &w.coin, 30 * SOL, 190, 100);
    assert_eq!(w.monitor.tick().await.orders.fired, 0, "1.9× is below 2× the entry");
    set_price(&w.chain, &w.coin, 30 * SOL, 230, 100);
    let r = w.monitor.tick().await;
    assert_eq!((r.orders.fired, r.orders.filled), (1, 1), "{r:?}");
    assert!(!w.position(p.id).await.is_open, "sold");
    assert_eq!(state(&w, placed.id).await, OrderState::Filled);
    let sold = fills(&w, Side::Sell);
    assert_eq!(sold.len(), 1);
    let text = quantbot::telegram::reply::render_notice(Lang::En, &sold[0]);
    assert!(text.starts_with(&format!("📌 Limit order #{} filled\n", placed.id)), "{text}");
    // A sell order on a position that is gone is refused when placed.
    let gone = w.orders.place_limit(user, "t:sell2", order).await.unwrap();
    assert_eq!(gone, Err(quantbot::app::orders::PlaceRefusal::NoPosition));
}
on_both_databases!(a_limit_sell_at_a_multiple_of_the_entry_sells_the_position_and_says_so);

async fn a_dca_buys_its_slices_one_interval_apart_and_spends_the_planned_total(db: &TestDb) {
    let w = world(db, no_exits).await;
    let user = UserId(ALICE);
    let total = Lamports(30_000_001);
    let dca = DcaOrder {
        side: Side::Buy,
        target: Target::Mint(w.coin.mint),
        total: DcaTotal::Sol(total),
        slices: 3,
        interval_ms: 60_000,
    };
    let order = w.orders.place_dca(user, "t:dca", dca).await.unwrap().unwrap();
    assert_eq!(w.monitor.tick().await.orders.filled, 1, "the first slice runs at once");
    assert_eq!(w.monitor.tick().await.orders.fired, 0, "not twice in the same interval");
    w.clock.advance(59_999);
    assert_eq!(w.monitor.tick().await.orders.fired, 0, "one millisecond early");
    w.clock.advance(1);
    assert_eq!(w.monitor.tick().await.orders.filled, 1);
    w.clock.advance(60_000);
    assert_eq!(w.monitor.tick().await.orders.filled, 1);
    w.clock.advance(600_000);
    assert_eq!(w.monitor.tick().await.orders.evaluated, 0, "done after its last slice");
    let intents = order_intents(&w).await;
    let keys: Vec<&str> = intents.iter().map(|(k, _, _)| k.as_str()).collect();
    let id = order.id;
    assert_eq!(keys, [format!("order:{id}:1"), format!("order:{id}:2"), format!("order:{id}:3")]);
    assert!(intents.iter().all(|(_, s, _)| s == "confirmed"), "{intents:?}");
    let spent: u64 = intents.iter().map(|(_, _, a)| a.parse::<u64>().unwrap()).sum();
    assert_eq!(spent, total.0, "the slices add up to the planned total");
    assert_eq!(state(&w, id).await, OrderState::Filled);
    let texts: Vec<String> = fills(&w, Side::Buy)
        .iter()
        .map(|n| quantbot::telegram::reply::render_notice(Lang::En, n).lines().next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(texts, (1..=3).map(|i| format!("🔁 DCA #{id} slice {i}/3")).collect::<Vec<_>>());
}
on_both_databases!(a_dca_buys_its_slices_one_interval_apart_and_spends_the_planned_total);

async fn cancel_and_expiry_are_exact_to_the_tick(db: &TestDb) {
    let w = world(db, no_exits).await;
    let user = UserId(ALICE);
    let expiring = w.orders.place_limit(user, "t:a", limit_buy(&w, "-20%", Some(3_600_000))).await.unwrap().unwrap();
    let cancelled = w.orders.place_limit(user, "t:b", limit_buy(&w, "-20%", None)).await.unwrap().unwrap();
    assert!(w.orders.cancel(user, cancelled.id).await.unwrap());
    assert!(!w.orders.cancel(user, cancelled.id).await.unwrap(), "a second cancel finds nothing active");
    assert!(!w.orders.cancel(UserId(ALICE + 1), expiring.id).await.unwrap(), "not another user's order");
    w.clock.advance(3_600_000 - 1);
    let r = w.monitor.tick().await;
    assert_eq!((r.orders.evaluated, r.orders.expired), (1, 0), "{r:?}");
    w.clock.advance(1);
    assert_eq!(w.monitor.tick().await.orders.expired, 1, "expired at its instant");
    assert_eq!(state(&w, expiring.id).await, OrderState::Expired);
    assert_eq!(state(&w, cancelled.id).await, OrderState::Cancelled);
    let ended: Vec<TradeNotice> =
        w.notices.to(ALICE).into_iter().filter(|n| matches!(n, TradeNotice::OrderEnded { .. })).collect();
    assert_eq!(ended.len(), 1, "{ended:?}");
    let text = quantbot::telegram::reply::render_notice(Lang::En, &ended[0]);
    assert!(text.contains(&format!("#{}", expiring.id)), "{text}");
    // The price goes through both triggers: neither fills.
    set_price(&w.chain, &w.coin, 30 * SOL, 50, 100);
    assert_eq!(w.monitor.tick().await.orders, Default::default());
    assert!(order_intents(&w).await.is_empty());
    assert!(w.orders.list(user).await.unwrap().is_empty());
}
on_both_databases!(cancel_and_expiry_are_exact_to_the_tick);

/// A cancel that commits before a fill is claimed wins, even when the monitor still holds the
/// order in memory (the claim checks storage).
async fn a_cancel_committed_before_the_claim_stops_the_fill(db: &TestDb) {
    let w = world(db, no_exits).await;
    let user = UserId(ALICE);
    let order = w.orders.place_limit(user, "t:c", limit_buy(&w, "-20%", None)).await.unwrap().unwrap();
    // Cancelled behind the monitor's back (another process): the in-memory copy is stale.
    let now = quantbot::ports::Clock::now_ms(w.clock.as_ref());
    assert!(OrderRepo::end_order(&w.db, Some(user), order.id, OrderState::Cancelled, now).await.unwrap());
    set_price(&w.chain, &w.coin, 30 * SOL, 50, 100);
    let r = w.monitor.tick().await;
    assert_eq!((r.orders.fired, r.orders.filled), (1, 0), "{r:?}");
    assert!(order_intents(&w).await.is_empty(), "no trade");
    assert_eq!(w.monitor.tick().await.orders.evaluated, 0, "the monitor follows storage");
}
on_both_databases!(a_cancel_committed_before_the_claim_stops_the_fill);

// ---------------------------------------------------------------- Telegram

fn text(call: &crate::support::fake_telegram::Call) -> String {
    call.body["text"].as_str().unwrap_or_default().to_owned()
}

async fn say(app: &TestApp, cmd: &str) -> crate::support::fake_telegram::Call {
    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "en", cmd).await;
    app.tg.next_text_to(cur, ALICE).await
}

fn head(key: &str) -> String {
    tr(Lang::En, key, &[]).split("%{").next().unwrap_or_default().to_owned()
}

async fn orders_are_placed_listed_and_cancelled_from_telegram(db: &TestDb) {
    let chain = FakeChain::start().await;
    pump::install(&chain);
    let coin = crate::monitor::new_coin(&chain);
    let rpc = chain.rpc_url(0);
    let app = TestApp::spawn(db, &[("HELIUS_RPC_URL", rpc.as_str())]).await;
    say(&app, "/start").await;
    let mint = coin.mint;
    for (cmd, key) in [
        ("/limit", "orders.usage_limit"),
        ("/limit hold x 1 2x", "orders.usage_limit"),
        (&*format!("/limit buy {mint} 0.05 price=>1"), "orders.bad_trigger"),
        (&*format!("/limit buy {mint} lots -20%"), "orders.bad_amount"),
        (&*format!("/limit sell {mint} 50 2x"), "orders.no_position"),
        (&*format!("/dca buy {mint} 1 1 1h"), "orders.bad_slices"),
        (&*format!("/dca buy {mint} 1 10 10s"), "orders.bad_duration"),
        ("/orders", "orders.none"),
    ] {
        let reply = text(&say(&app, cmd).await);
        assert!(reply.starts_with(&head(key)), "{cmd}: {reply}");
    }
    let placed = text(&say(&app, &format!("/limit buy {mint} 0.05 mcap <= 20 24h")).await);
    assert!(placed.starts_with(&head("orders.placed")), "{placed}");
    assert!(placed.contains("market cap ≤ 20 SOL") && placed.contains("expires"), "{placed}");
    let dca = text(&say(&app, &format!("/dca buy {mint} 0.3 3 1h")).await);
    assert!(dca.contains("/3 slices, every 1 h"), "{dca}");
    let list = say(&app, "/orders").await;
    let buttons = list.body["reply_markup"]["inline_keyboard"].as_array().unwrap().clone();
    assert_eq!(buttons.len(), 2, "a cancel button per order: {list:?}");
    let data = buttons[0][0]["callback_data"].as_str().unwrap().to_owned();
    assert!(data.starts_with("ord:x:"), "{data}");
    let id: i64 = data.trim_start_matches("ord:x:").parse().unwrap();
    let message_id = list.body["message_id"].as_i64().unwrap_or(1);
    let cur = app.tg.call_count().await;
    app.tg.press(ALICE, ALICE, message_id, &data).await;
    let done = app
        .tg
        .wait_for(cur, "sendMessage", |b| {
            b["chat_id"] == json!(ALICE) && b["text"].as_str().is_some_and(|t| t.contains("cancelled"))
        })
        .await;
    assert_eq!(text(&done), tr(Lang::En, "orders.cancelled", &[("id", &id.to_string())]));
    assert_eq!(OrderRepo::user_orders(&app.db, UserId(ALICE)).await.unwrap().len(), 1);
    let cur = app.tg.call_count().await;
    app.tg.press(ALICE, ALICE, message_id, &data).await;
    let again = app
        .tg
        .wait_for(cur, "sendMessage", |b| {
            b["chat_id"] == json!(ALICE) && b["text"].as_str().is_some_and(|t| t.contains(&format!("#{id}")))
        })
        .await;
    assert_eq!(
        text(&again),
        tr(Lang::En, "orders.not_active", &[("id", &id.to_string())]),
        "a second press changes nothing"
    );
    // In a group, nothing is placed.
    let cur = app.tg.call_count().await;
    app.tg.send_group(ALICE, -100_123, &format!("/limit buy {mint} 0.05 2x")).await;
    let refused = app.tg.next_text_to(cur, -100_123).await;
    assert_eq!(text(&refused), tr(Lang::En, "errors.private_only", &[]));
    assert_eq!(OrderRepo::user_orders(&app.db, UserId(ALICE)).await.unwrap().len(), 1);
    app.stop().await;
}
on_both_databases!(orders_are_placed_listed_and_cancelled_from_telegram);

async fn panic_asks_first_then_sells_everything_once(db: &TestDb) {
    let env = crate::monitor::setup(
        db,
        &["stop_loss_pct off", "take_profit off", "trailing_stop off", "time_exit_hours off"],
    )
    .await;
    let app = &env.app;
    for _ in 0..3 {
        let coin = crate::monitor::new_coin(&env.chain);
        crate::monitor::buy(&env, &coin).await;
    }
    assert_eq!(PositionRepo::open_positions(&app.db, UserId(ALICE)).await.unwrap().len(), 3);
    let card = say(app, "/panic").await;
    assert_eq!(text(&card), tr(Lang::En, "panic.confirm", &[]));
    assert_eq!(
        PositionRepo::open_positions(&app.db, UserId(ALICE)).await.unwrap().len(),
        3,
        "nothing before the button"
    );
    let message_id = card.body["message_id"].as_i64().unwrap_or(1);
    let cur = app.tg.call_count().await;
    app.tg.press(ALICE, ALICE, message_id, "pn:y").await;
    app.tg.press(ALICE, ALICE, message_id, "pn:y").await;
    let panic_head = head("panic.done");
    let done =
        app.tg.wait_for(cur, "sendMessage", |b| b["text"].as_str().is_some_and(|t| t.starts_with(&panic_head))).await;
    assert!(text(&done).contains("3 of 3"), "{}", text(&done));
    // The double press: every position sold once in all.
    for _ in 0..100 {
        if PositionRepo::open_positions(&app.db, UserId(ALICE)).await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(PositionRepo::open_positions(&app.db, UserId(ALICE)).await.unwrap().is_empty());
    use sqlx::Row;
    let panic_sells: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM trade_intents WHERE idempotency_key LIKE 'p%:panic#%' AND state = 'confirmed'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap()
    .get("n");
    assert_eq!(panic_sells, 3);
    assert!(!quantbot::ports::UserRepo::config(&app.db, UserId(ALICE)).await.unwrap().trading_enabled);
    env.app.stop().await;
}
on_both_databases!(panic_asks_first_then_sells_everything_once);

// ---------------------------------------------------------------- position control

async fn cancelled_exits_sell_nothing_and_break_even_sells_below_the_entry(db: &TestDb) {
    use quantbot::app::exits::{Change, change};
    use quantbot::domain::exit_edit::ExitEdit;
    use quantbot::domain::user_config::TakeProfitStep;
    let w = world(db, |c| {
        no_exits(c);
        c.stop_loss = Some(quantbot::domain::money::Bps(3_000));
        c.take_profit = vec![TakeProfitStep { gain_bps: 10_000, sell_pct: 50 }];
    })
    .await;
    let user = UserId(ALICE);
    let p = w.buy().await;
    let off = change(&w.trading, user, p.id, &Change::CancelAll).await.unwrap().unwrap();
    assert!(off.exits_off && off.rules.is_empty());
    w.monitor.upsert(w.position(p.id).await).await;
    set_price(&w.chain, &w.coin, 30 * SOL, 50, 100);
    assert_eq!(w.monitor.tick().await.exits, 0, "−50 % with the exits cancelled: the default stop does not come back");
    set_price(&w.chain, &w.coin, 30 * SOL, 300, 100);
    assert_eq!(w.monitor.tick().await.exits, 0, "nor the default ladder");
    // Break-even: the stop at the entry; the price falls back under it and the stop sells.
    let be = change(&w.trading, user, p.id, &Change::Edit(ExitEdit::BreakEven)).await.unwrap().unwrap();
    assert_eq!((be.exits_off, be.rules.stop_loss_bps), (false, Some(0)));
    w.monitor.upsert(w.position(p.id).await).await;
    set_price(&w.chain, &w.coin, 30 * SOL, 110, 100);
    assert_eq!(w.monitor.tick().await.exits, 0, "above the entry");
    set_price(&w.chain, &w.coin, 30 * SOL, 95, 100);
    let r = w.monitor.tick().await;
    assert_eq!((r.exits, r.filled), (1, 1), "{r:?}");
    assert!(!w.position(p.id).await.is_open);
    let sold = fills(&w, Side::Sell);
    let text = quantbot::telegram::reply::render_notice(Lang::En, &sold[0]);
    assert!(text.starts_with("🛑 Stop-loss −0 % hit"), "{text}");
    assert_eq!(change(&w.trading, user, p.id, &Change::CancelAll).await.unwrap(), None, "closed: nothing to edit");
}
on_both_databases!(cancelled_exits_sell_nothing_and_break_even_sells_below_the_entry);

async fn exits_are_shown_and_edited_from_telegram(db: &TestDb) {
    let env = crate::monitor::setup(db, &["take_profit 100:50,200:100"]).await;
    let app = &env.app;
    let p = crate::monitor::buy(&env, &env.coin).await;
    let shown = say(app, &format!("/exits #{}", p.id)).await;
    let t = text(&shown);
    assert!(t.starts_with(&tr(Lang::En, "exits.header", &[("id", &p.id.to_string())])), "{t}");
    assert!(t.contains("+100 % → 50 %, +200 % → 100 %"), "{t}");
    let buttons = shown.body["reply_markup"]["inline_keyboard"][0].as_array().unwrap().clone();
    assert_eq!(buttons[0]["callback_data"], json!(format!("ex:be:{}", p.id)));
    let t = text(&say(app, &format!("/exits #{} sl 15", p.id)).await);
    assert!(t.contains(&tr(Lang::En, "exits.sl", &[("pct", "15")])), "{t}");
    let t = text(&say(app, &format!("/exits #{} sl 150", p.id)).await);
    assert_eq!(t, tr(Lang::En, "exits.bad_value", &[]));
    let t = text(&say(app, &format!("/exits #{} off", p.id)).await);
    assert!(t.contains(&tr(Lang::En, "exits.all_off", &[])), "{t}");
    let t = text(&say(app, "/exits #999999").await);
    assert_eq!(t, tr(Lang::En, "exits.no_position", &[]));
    let t = text(&say(app, "/exits").await);
    assert_eq!(t, tr(Lang::En, "exits.usage", &[]));
    env.app.stop().await;
}
on_both_databases!(exits_are_shown_and_edited_from_telegram);

/// `5%` is 5 % of the wallet's spendable SOL (above `min_sol_reserve`) when the order fills.
async fn a_wallet_share_size_buys_that_share_of_the_spendable_sol_at_fill_time(db: &TestDb) {
    let w = world(db, |c| {
        no_exits(c);
        c.max_position = Lamports(SOL);
        c.max_total_exposure = Lamports(2 * SOL);
    })
    .await;
    let user = UserId(ALICE);
    let mut order = limit_buy(&w, "-20%", None);
    order.size = Size::WalletShare(500);
    let placed = w.orders.place_limit(user, "t:share", order).await.unwrap().unwrap();
    // The wallet grows before the fill: the share is taken at fill time.
    w.chain.fund(&w.wallet, 5 * SOL);
    let balance = quantbot::ports::ChainClient::balance(w.trading.ports().chain.as_ref(), &w.wallet).await.unwrap();
    let reserve = quantbot::ports::UserRepo::config(&w.db, user).await.unwrap().min_sol_reserve;
    set_price(&w.chain, &w.coin, 30 * SOL, 70, 100);
    let r = w.monitor.tick().await;
    assert_eq!(r.orders.filled, 1, "{r:?}");
    let want = (balance.0 - reserve.0) / 20;
    assert_eq!(order_intents(&w).await, [(format!("order:{}:1", placed.id), "confirmed".to_owned(), want.to_string())]);
}
on_both_databases!(a_wallet_share_size_buys_that_share_of_the_spendable_sol_at_fill_time);
