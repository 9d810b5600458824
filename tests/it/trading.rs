//! The trading core end to end: Telegram → intent → risk → router → sign → fake chain →
//! position → notice, in paper and live mode, plus the position monitor's exits. Both databases.

use std::time::Duration;

use quantbot::domain::lang::Lang;
use quantbot::domain::user::UserId;
use quantbot::i18n::tr;
use quantbot::ports::{IntentRepo, PositionRepo, WalletRepo};
use quantbot::venues::pumpfun::accounts::BondingCurve;
use serde_json::json;
use solana_pubkey::Pubkey;

use crate::on_both_databases;
use quantbot::domain::user_config::PROTECTED_MIN_TIP;
use solana_transaction::versioned::VersionedTransaction;

use crate::support::fake_chain::pump::{self, Coin};
use crate::support::fake_chain::{FakeChain, Node, decode_tx, has_dont_front, tip_transfers};
use crate::support::fake_telegram::Call;
use crate::support::{TestApp, TestDb};

const MASTER_HEX: &str = "5f0b7f0f8d7e6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170605f4e3";
const ALICE: i64 = 4242;
const SOL: u64 = 1_000_000_000;

struct Env {
    app: TestApp,
    chain: FakeChain,
    coin: Coin,
    wallet: Pubkey,
}

fn text(call: &Call) -> String {
    call.body["text"].as_str().unwrap_or_default().to_owned()
}

async fn setup(db: &TestDb, live: bool) -> Env {
    let chain = FakeChain::start().await;
    pump::install(&chain);
    // A coin that has traded: the curve holds 5 SOL of real reserves.
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
    let env_wallet = {
        say(&app, "/start").await;
        say(&app, "/wallet add").await;
        let w = app.db.list_wallets(UserId(ALICE)).await.unwrap();
        w[0].pubkey.parse::<Pubkey>().unwrap()
    };
    chain.fund(&env_wallet, 10 * SOL);
    say(&app, "/livetrade enable").await;
    if live {
        say(&app, "/livetrade config dry_run off").await;
    }
    Env { app, chain, coin, wallet: env_wallet }
}

async fn say(app: &TestApp, cmd: &str) -> Call {
    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "en", cmd).await;
    app.tg.next_text_to(cur, ALICE).await
}

/// Waits for a message to Alice whose text contains `needle`.
async fn notice(app: &TestApp, cursor: usize, needle: &str) -> Call {
    app.tg
        .wait_for(cursor, "sendMessage", |b| {
            b["chat_id"] == json!(ALICE) && b["text"].as_str().is_some_and(|t| t.contains(needle))
        })
        .await
}

fn prefix(key: &str) -> String {
    let t = tr(Lang::En, key, &[]);
    t.split("%{").next().unwrap_or_default().to_owned()
}

async fn paper_buy_and_sell_go_through_the_same_path_without_sending(db: &TestDb) {
    let env = setup(db, false).await;
    let landed_before = env.chain.landed_count();
    let cur = env.app.tg.call_count().await;
    let ack = say(&env.app, &format!("/buy {} 0.1", env.coin.mint)).await;
    assert!(text(&ack).starts_with(&prefix("tradecmd.buying")), "{}", text(&ack));
    let filled = notice(&env.app, cur, &prefix("trade.bought")).await;
    assert!(text(&filled).contains(&tr(Lang::En, "trade.paper", &[])), "{}", text(&filled));

    let positions = PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap();
    assert_eq!(positions.len(), 1);
    let p = &positions[0];
    assert!(p.is_paper && p.book.tokens > 0);
    // Paper: nothing landed and no balance moved.
    assert_eq!(env.chain.landed_count(), landed_before);
    assert_eq!(env.chain.balance_of(&env.wallet), 10 * SOL);
    assert_eq!(env.chain.token_amount(&env.coin.ata_of(&env.wallet)), None);

    // /positions lists it with a close button; closing sells it (paper).
    let list = say(&env.app, "/positions").await;
    assert!(text(&list).contains(&format!("#{}", p.id)), "{}", text(&list));
    assert_eq!(
        list.body["reply_markup"]["inline_keyboard"][0][1]["callback_data"],
        json!(format!("pos:close:{}:100", p.id))
    );
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/sell #{} 100", p.id)).await;
    notice(&env.app, cur, &prefix("trade.sold")).await;
    assert!(PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap().is_empty());
    let history = say(&env.app, "/positions history").await;
    assert_eq!(text(&history).lines().count(), 3, "{}", text(&history));
    env.app.stop().await;
}
on_both_databases!(paper_buy_and_sell_go_through_the_same_path_without_sending);

/// `/buy <mint> 0.5%` spends 0.5 % of the default wallet's spendable SOL (its balance above the
/// reserve) as it stands when the buy runs; the phrase `buy 0.2% <mint>` does the same. `0%`,
/// `150%` and `x%` are refused with the usage hint and change nothing.
async fn a_buy_sized_as_a_share_of_the_wallet_spends_that_share_of_the_spendable_sol(db: &TestDb) {
    use sqlx::Row;
    let env = setup(db, false).await;
    for bad in ["0%", "150%", "x%"] {
        let reply = say(&env.app, &format!("/buy {} {bad}", env.coin.mint)).await;
        assert_eq!(text(&reply), tr(Lang::En, "tradecmd.bad_amount", &[("value", bad)]));
    }
    let amounts = || async {
        let rows = sqlx::query("SELECT amount_in FROM trade_intents ORDER BY id").fetch_all(env.app.db.pool()).await;
        rows.unwrap().iter().map(|r| r.get::<String, _>("amount_in")).collect::<Vec<_>>()
    };
    assert!(amounts().await.is_empty(), "a refused size stores nothing");
    let reserve = quantbot::ports::UserRepo::config(&env.app.db, UserId(ALICE)).await.unwrap().min_sol_reserve;
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} 0.5%", env.coin.mint)).await;
    notice(&env.app, cur, &prefix("trade.bought")).await;
    let want = (10 * SOL - reserve.0) / 200;
    assert_eq!(amounts().await, [want.to_string()]);
    // The wallet grew: the same share of the phrase's buy is taken from the new balance.
    env.chain.fund(&env.wallet, 10 * SOL);
    let balance = env.chain.balance_of(&env.wallet);
    let cur = env.app.tg.call_count().await;
    env.app.tg.send_private(ALICE, "en", &format!("buy 0.2% {}", env.coin.mint)).await;
    notice(&env.app, cur, &prefix("trade.bought")).await;
    assert_eq!(amounts().await, [want.to_string(), ((balance - reserve.0) / 500).to_string()]);
    env.app.stop().await;
}
on_both_databases!(a_buy_sized_as_a_share_of_the_wallet_spends_that_share_of_the_spendable_sol);

async fn live_buy_lands_on_chain_and_a_partial_sell_realizes_pnl(db: &TestDb) {
    let env = setup(db, true).await;
    let landed_before = env.chain.landed_count();
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} 0.1", env.coin.mint)).await;
    let filled = notice(&env.app, cur, &prefix("trade.bought")).await;
    assert!(text(&filled).contains("https://solscan.io/tx/"), "{}", text(&filled));
    assert_eq!(env.chain.landed_count(), landed_before + 1);

    let p = PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap().remove(0);
    assert!(!p.is_paper);
    let held = env.chain.token_amount(&env.coin.ata_of(&env.wallet)).unwrap();
    assert_eq!(held, p.book.tokens, "the position holds exactly what landed");
    let spent = 10 * SOL - env.chain.balance_of(&env.wallet);
    // Never more than asked (the legacy buy's max cost stays within 0.1 SOL) plus fees and the
    // new token account's rent; at most the default 10 % slippage less.
    assert!(spent > SOL / 10 * 9 / 10 && spent < SOL / 10 + SOL / 100, "spent {spent}");
    assert!(p.book.cost.0 <= spent, "cost basis {} excludes only ATA rent of {spent}", p.book.cost.0);

    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/sell {} 50", env.coin.mint)).await;
    let sold = notice(&env.app, cur, &prefix("trade.sold")).await;
    assert!(text(&sold).contains(&prefix("trade.pnl")), "{}", text(&sold));
    let p2 = PositionRepo::position(&env.app.db, UserId(ALICE), p.id).await.unwrap().unwrap();
    assert!(p2.is_open);
    assert_eq!(p2.book.tokens, p.book.tokens - p.book.tokens / 2);
    assert_eq!(env.chain.token_amount(&env.coin.ata_of(&env.wallet)).unwrap(), p2.book.tokens);
    assert!(p2.book.realized < 0, "round trip through fees loses a little: {}", p2.book.realized);
    // Every intent is final.
    assert!(env.app.db.unfinished().await.unwrap().is_empty());
    env.app.stop().await;
}
on_both_databases!(live_buy_lands_on_chain_and_a_partial_sell_realizes_pnl);

async fn risk_refusals_are_explained_and_nothing_is_sent(db: &TestDb) {
    let env = setup(db, true).await;
    let landed_before = env.chain.landed_count();
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} 5", env.coin.mint)).await;
    let refused = notice(&env.app, cur, &prefix("trade.refused")).await;
    assert!(text(&refused).contains(&tr(Lang::En, "reason.risk.max_position", &[])), "{}", text(&refused));
    assert_eq!(env.chain.landed_count(), landed_before);
    assert!(PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap().is_empty());

    // Bad input is answered and changes nothing.
    let bad = say(&env.app, "/buy notamint 0.1").await;
    assert!(text(&bad).contains("notamint"), "{}", text(&bad));
    let bad = say(&env.app, &format!("/buy {} -1", env.coin.mint)).await;
    assert!(text(&bad).contains("-1"), "{}", text(&bad));
    let bad = say(&env.app, &format!("/sell {} 50", env.coin.mint)).await;
    assert!(text(&bad).contains(&env.coin.mint.to_string()), "{}", text(&bad));
    env.app.stop().await;
}
on_both_databases!(risk_refusals_are_explained_and_nothing_is_sent);

async fn stop_loss_fires_when_another_trader_dumps_the_price(db: &TestDb) {
    let env = setup(db, true).await;
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} 0.1", env.coin.mint)).await;
    notice(&env.app, cur, &prefix("trade.bought")).await;
    let p = PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap().remove(0);
    // Another trader sells hard: the price halves (stop-loss default is -30 %).
    let cur = env.app.tg.call_count().await;
    pump::move_price(&env.chain, &env.coin, |c: &mut BondingCurve| c.virtual_quote_reserves /= 2);
    notice(&env.app, cur, &prefix("trade.sold")).await;
    let closed = PositionRepo::position(&env.app.db, UserId(ALICE), p.id).await.unwrap().unwrap();
    assert!(!closed.is_open && closed.book.tokens == 0);
    assert_eq!(env.chain.token_amount(&env.coin.ata_of(&env.wallet)), None, "emptied and closed (rent back)");
    assert!(closed.book.realized < 0);
    env.app.stop().await;
}
on_both_databases!(stop_loss_fires_when_another_trader_dumps_the_price);

async fn take_profit_ladder_sells_the_first_step_then_trailing_follows(db: &TestDb) {
    let env = setup(db, true).await;
    // Only the ladder: no trailing or stop-loss to interfere.
    say(&env.app, "/livetrade config trailing_stop off").await;
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} 0.1", env.coin.mint)).await;
    notice(&env.app, cur, &prefix("trade.bought")).await;
    let p = PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap().remove(0);
    // Price ×2.5: passes the first step (+100 % → sell 50 % of the initial size).
    let cur = env.app.tg.call_count().await;
    pump::move_price(&env.chain, &env.coin, |c: &mut BondingCurve| {
        c.virtual_quote_reserves = c.virtual_quote_reserves * 5 / 2
    });
    notice(&env.app, cur, &prefix("trade.sold")).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let after = PositionRepo::position(&env.app.db, UserId(ALICE), p.id).await.unwrap().unwrap();
    assert!(after.is_open);
    assert_eq!(after.book.tokens, p.book.tokens - p.book.tokens / 2, "exactly half sold, once");
    assert_eq!(env.chain.token_amount(&env.coin.ata_of(&env.wallet)).unwrap(), after.book.tokens);
    env.app.stop().await;
}
on_both_databases!(take_profit_ladder_sells_the_first_step_then_trailing_follows);

async fn a_live_position_is_still_sold_live_after_the_user_turns_dry_run_on(db: &TestDb) {
    let env = setup(db, true).await;
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} 0.1", env.coin.mint)).await;
    notice(&env.app, cur, &prefix("trade.bought")).await;
    let p = PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap().remove(0);
    assert!(!p.is_paper);
    say(&env.app, "/livetrade config dry_run on").await;
    let landed = env.chain.landed_count();
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/sell {} 100", env.coin.mint)).await;
    let sold = notice(&env.app, cur, &prefix("trade.sold")).await;
    assert!(!text(&sold).contains(&tr(Lang::En, "trade.paper", &[])), "{}", text(&sold));
    assert_eq!(env.chain.landed_count(), landed + 1, "the real tokens were sold on chain");
    assert_eq!(env.chain.token_amount(&env.coin.ata_of(&env.wallet)), None, "emptied and closed (rent back)");
    let closed = PositionRepo::position(&env.app.db, UserId(ALICE), p.id).await.unwrap().unwrap();
    assert!(!closed.is_open);
    env.app.stop().await;
}
on_both_databases!(a_live_position_is_still_sold_live_after_the_user_turns_dry_run_on);

/// `(node, transaction)` of every sendTransaction request so far.
fn sends(chain: &FakeChain) -> Vec<(Node, VersionedTransaction)> {
    chain
        .requests_for("sendTransaction")
        .into_iter()
        .map(|r| (r.node, decode_tx(&r.params).expect("a sent transaction decodes")))
        .collect()
}

async fn metrics(app: &TestApp) -> String {
    reqwest::get(format!("http://{}/metrics", app.ops)).await.unwrap().text().await.unwrap()
}

async fn mev_protection_sends_live_buys_through_the_sender_with_marker_and_tip_and_off_uses_rpc(db: &TestDb) {
    let env = setup(db, true).await;
    // This Sender refuses anything without the jitodontfront marker.
    env.chain.require_dont_front(true);
    let shown = say(&env.app, "/livetrade config mev_protection").await;
    assert!(text(&shown).contains("0.001 SOL"), "the settings text names the minimum tip: {}", text(&shown));

    // Default (on): the Sender only, the marker on the tip transfer, the Sender minimum tip.
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} 0.1", env.coin.mint)).await;
    notice(&env.app, cur, &prefix("trade.bought")).await;
    let protected = sends(&env.chain);
    assert!(!protected.is_empty());
    for (node, tx) in &protected {
        assert_eq!(*node, Node::Sender, "a protected trade never goes to the RPC's sendTransaction");
        assert!(has_dont_front(tx));
        let tips = tip_transfers(tx);
        assert_eq!(tips.len(), 1, "{tips:?}");
        assert_eq!(tips[0].1, PROTECTED_MIN_TIP.0, "tip_sol 0 → the Sender minimum");
        assert!(tips[0].2, "the marker rides on the tip transfer");
    }
    let sig = protected[0].1.signatures[0];
    assert!(env.chain.landed(&sig).is_some_and(|(_, err)| err.is_none()));
    let m = metrics(&env.app).await;
    assert!(m.contains("quantbot_trade_sends_total{path=\"protected\"} 1"), "{m}");
    assert!(m.contains("quantbot_trade_landed_total{path=\"protected\"} 1"), "{m}");
    assert!(m.contains("quantbot_trade_slots_to_land_count{path=\"protected\"} 1"), "{m}");
    assert!(!m.contains("quantbot_trade_sends_total{path=\"rpc\"}"), "{m}");
    let fees = m
        .lines()
        .find_map(|l| l.strip_prefix("quantbot_trade_fees_paid_lamports_total{path=\"protected\"} "))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or_default();
    assert!(fees > PROTECTED_MIN_TIP.0 + 5_000, "signature + priority fee + tip: {fees}");

    // Off: tip_sol 0 → the RPC's sendTransaction, no marker, no tip.
    let off = say(&env.app, "/livetrade config mev_protection off").await;
    assert!(text(&off).contains("mev_protection"), "{}", text(&off));
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} 0.05", env.coin.mint)).await;
    notice(&env.app, cur, &prefix("trade.bought")).await;
    let all = sends(&env.chain);
    let open = &all[protected.len()..];
    assert!(!open.is_empty());
    for (node, tx) in open {
        assert_eq!(*node, Node::Rpc(0));
        assert!(!has_dont_front(tx) && tip_transfers(tx).is_empty());
    }
    let m = metrics(&env.app).await;
    assert!(m.contains("quantbot_trade_sends_total{path=\"rpc\"} 1"), "{m}");
    assert!(m.contains("quantbot_trade_landed_total{path=\"rpc\"} 1"), "{m}");
    assert!(m.contains("quantbot_trade_sends_total{path=\"protected\"} 1"), "{m}");

    // /stats shows both paths.
    let cur = env.app.tg.call_count().await;
    env.app.tg.send_private(1, "en", "/stats").await;
    let stats = text(&env.app.tg.next_text_to(cur, 1).await);
    assert!(stats.contains("Protected (Sender + jitodontfront): 1 sent, 1 landed (100%)"), "{stats}");
    assert!(stats.contains("RPC: 1 sent, 1 landed (100%)"), "{stats}");
    assert!(!stats.contains("\nSender: "), "{stats}");
    env.app.stop().await;
}
on_both_databases!(mev_protection_sends_live_buys_through_the_sender_with_marker_and_tip_and_off_uses_rpc);
