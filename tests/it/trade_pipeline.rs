//! The trade pipeline's money rules, end to end through the fake Bot API and the fake chain, on
//! both databases: a button sells exactly the position it names; the same sell button acts
//! once; two half closes sell half, then half of the rest; a burst of taps on a buy button buys
//! once (and a deliberate buy after the guard window goes through); a balance read that fails
//! transiently is retried, and one that keeps failing refuses as "network unavailable", never
//! as "insufficient balance"; a full live sell closes the emptied token account (rent back).

use quantbot::domain::lang::Lang;
use quantbot::domain::user::UserId;
use quantbot::i18n::tr;
use quantbot::ports::PositionRepo;
use sqlx::Row;

use crate::on_both_databases;
use crate::support::TestDb;
use crate::support::fake_chain::Fault;
use crate::trading_commands::{
    ALICE, Env, answer, buttons, notice, open_tokens, paper_buy, prefix, press_with_id, say, settle, setup, text,
};

/// `(side, position_id, state)` of every intent, oldest first.
async fn intents(env: &Env) -> Vec<(String, Option<i64>, String)> {
    let rows = sqlx::query("SELECT side, position_id, state FROM trade_intents ORDER BY id")
        .fetch_all(env.app.db.pool())
        .await
        .unwrap();
    rows.iter().map(|r| (r.get("side"), r.get("position_id"), r.get("state"))).collect()
}

async fn sells(env: &Env) -> usize {
    intents(env).await.iter().filter(|(side, _, _)| side == "sell").count()
}

async fn buy(env: &Env, sol: &str) -> quantbot::ports::PositionRecord {
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} {sol}", env.coin.mint)).await;
    notice(&env.app, cur, &prefix("trade.bought")).await;
    let mut open = PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap();
    open.sort_by_key(|p| p.id);
    open.pop().unwrap()
}

/// Paper #1 and live #2 in the same mint: the close button of #1 sells #1, never #2.
async fn a_close_button_sells_exactly_the_position_it_names(db: &TestDb) {
    let env = setup(db, true).await;
    say(&env.app, "/livetrade config dry_run on").await;
    let paper = buy(&env, "0.05").await;
    say(&env.app, "/livetrade config dry_run off").await;
    let live = buy(&env, "0.05").await;
    assert!(paper.is_paper && !live.is_paper && paper.id != live.id, "{paper:?} {live:?}");

    let list = say(&env.app, "/positions").await;
    let data = format!("pos:close:{}:50", paper.id);
    assert!(buttons(&list).contains(&data), "{:?}", buttons(&list));
    let cur = env.app.tg.call_count().await;
    press_with_id(&env.app, "cb-paper-half", ALICE, ALICE, list.message_id(), &data).await;
    notice(&env.app, cur, &prefix("trade.sold")).await;

    assert_eq!(open_tokens(&env, paper.id).await, (true, paper.book.tokens - paper.book.tokens / 2));
    assert_eq!(open_tokens(&env, live.id).await, (true, live.book.tokens), "the live position is untouched");
    let sell = intents(&env).await.into_iter().find(|(side, _, _)| side == "sell").unwrap();
    assert_eq!(sell.1, Some(paper.id), "the sell intent carries the named position");
    assert_eq!(env.chain.token_amount(&env.coin.ata_of(&env.wallet)), Some(live.book.tokens), "no live tokens sold");
    env.app.stop().await;
}
on_both_databases!(a_close_button_sells_exactly_the_position_it_names);

/// The same button pressed five times (five callback queries, as Telegram sends them) is one
/// sell; a second, different request sells half of what is left.
async fn the_same_close_button_pressed_five_times_sells_once(db: &TestDb) {
    let env = setup(db, false).await;
    let p = paper_buy(&env).await;
    let list = say(&env.app, "/positions").await;
    let data = format!("pos:close:{}:50", p.id);
    let cur = env.app.tg.call_count().await;
    for i in 0..5 {
        press_with_id(&env.app, &format!("cb-half-{i}"), ALICE, ALICE, list.message_id(), &data).await;
    }
    notice(&env.app, cur, &prefix("trade.sold")).await;
    settle().await;
    let half = p.book.tokens - p.book.tokens / 2;
    assert_eq!(open_tokens(&env, p.id).await, (true, half));
    assert_eq!(sells(&env).await, 1, "{:?}", intents(&env).await);

    // A different request (a new /positions message, its own button): half of the rest.
    let list = say(&env.app, "/positions").await;
    let cur = env.app.tg.call_count().await;
    press_with_id(&env.app, "cb-half-again", ALICE, ALICE, list.message_id(), &data).await;
    notice(&env.app, cur, &prefix("trade.sold")).await;
    assert_eq!(open_tokens(&env, p.id).await, (true, half - half / 2));
    assert_eq!(sells(&env).await, 2);
    env.app.stop().await;
}
on_both_databases!(the_same_close_button_pressed_five_times_sells_once);

/// Two different 50 % requests sent at once run one after the other: 50 %, then 50 % of the
/// rest, and never more than the position holds.
async fn concurrent_half_closes_sell_half_then_half_of_the_rest(db: &TestDb) {
    let env = setup(db, false).await;
    let p = paper_buy(&env).await;
    let cur = env.app.tg.call_count().await;
    env.app.tg.send_private(ALICE, "en", &format!("/positions close {} 50", p.id)).await;
    env.app.tg.send_private(ALICE, "en", &format!("/sell #{} 50", p.id)).await;
    notice(&env.app, cur, &prefix("trade.sold")).await;
    for _ in 0..50 {
        if sells(&env).await == 2 && intents(&env).await.iter().all(|(_, _, s)| s == "confirmed") {
            break;
        }
        settle().await;
    }
    let half = p.book.tokens - p.book.tokens / 2;
    assert_eq!(open_tokens(&env, p.id).await, (true, half - half / 2), "{:?}", intents(&env).await);
    env.app.stop().await;
}
on_both_databases!(concurrent_half_closes_sell_half_then_half_of_the_rest);

/// Five taps on a token card's buy button buy once; the others are answered "already buying";
/// after the guard window a deliberate buy goes through.
async fn a_burst_of_taps_on_a_buy_button_buys_once(db: &TestDb) {
    let env = setup(db, false).await;
    let cur = env.app.tg.call_count().await;
    env.app.tg.send_private(ALICE, "en", &env.coin.mint.to_string()).await;
    let card = env.app.tg.next_text_to(cur, ALICE).await;
    let data = buttons(&card).into_iter().find(|d| d.starts_with("tc:b:")).unwrap();
    let cur = env.app.tg.call_count().await;
    for i in 0..5 {
        press_with_id(&env.app, &format!("cb-buy-{i}"), ALICE, ALICE, card.message_id(), &data).await;
    }
    notice(&env.app, cur, &prefix("trade.bought")).await;
    let reason = tr(Lang::En, "reason.trade.already_buying", &[]);
    for _ in 0..4 {
        notice(&env.app, cur, &reason).await;
    }
    settle().await;
    let buys = intents(&env).await.into_iter().filter(|(side, _, _)| side == "buy").count();
    assert_eq!(buys, 1, "{:?}", intents(&env).await);
    // The refusals leave at Telegram's pace for one chat (about one a second): wait for all.
    let count_refusals = || async {
        env.app.tg.calls().await[cur..]
            .iter()
            .filter(|c| c.method == "sendMessage" && text(c).contains(&reason))
            .count()
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while count_refusals().await < 4 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    settle().await;
    assert_eq!(count_refusals().await, 4, "four refusals, no more");

    // A shorter window, then a deliberate second buy after it: it goes through.
    say(&env.app, "/livetrade config double_tap_guard_secs 1").await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let cur = env.app.tg.call_count().await;
    let id = "cb-buy-later";
    press_with_id(&env.app, id, ALICE, ALICE, card.message_id(), &data).await;
    answer(&env.app, cur, id).await;
    notice(&env.app, cur, &prefix("trade.bought")).await;
    assert_eq!(intents(&env).await.into_iter().filter(|(side, _, _)| side == "buy").count(), 2);
    env.app.stop().await;
}
on_both_databases!(a_burst_of_taps_on_a_buy_button_buys_once);

/// A balance read that fails a few times is retried and the buy goes through; one that keeps
/// failing refuses with "RPC unreachable", never with "insufficient balance".
async fn a_failed_balance_read_is_retried_and_never_read_as_zero(db: &TestDb) {
    let env = setup(db, false).await;
    // The RPC client makes 3 attempts per call: 4 faults fail its first call; ours retries.
    env.chain.inject(None, Some("getBalance"), Fault::Status(502), 4);
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} 0.05", env.coin.mint)).await;
    notice(&env.app, cur, &prefix("trade.bought")).await;

    env.chain.inject(None, Some("getBalance"), Fault::Status(502), 1_000);
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} 0.02", env.coin.mint)).await;
    let refused = notice(&env.app, cur, &tr(Lang::En, "reason.chain.unavailable", &[])).await;
    assert!(!text(&refused).contains(&tr(Lang::En, "reason.risk.balance", &[])), "{}", text(&refused));
    let states: Vec<String> = intents(&env).await.into_iter().map(|(_, _, s)| s).collect();
    assert_eq!(states, ["confirmed", "failed"]);
    env.app.stop().await;
}
on_both_databases!(a_failed_balance_read_is_retried_and_never_read_as_zero);

/// A live sell of everything closes the wallet's token account in the same transaction: the
/// position is closed, the account is gone and its rent is back in the wallet (not booked as
/// sale proceeds).
async fn a_full_live_sell_closes_the_token_account(db: &TestDb) {
    let env = setup(db, true).await;
    let p = buy(&env, "0.05").await;
    let ata = env.coin.ata_of(&env.wallet);
    assert!(env.chain.token_amount(&ata).is_some());
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/positions close {}", p.id)).await;
    notice(&env.app, cur, &prefix("trade.sold")).await;
    assert_eq!(open_tokens(&env, p.id).await, (false, 0));
    assert_eq!(env.chain.token_amount(&ata), None, "the emptied token account was closed");
    let trade = env.app.db.trade_history(UserId(ALICE), 0, 1).await.unwrap().remove(0);
    assert!(trade.sol.0 < 50_000_000, "rent is not booked as proceeds: {trade:?}");
    env.app.stop().await;
}
on_both_databases!(a_full_live_sell_closes_the_token_account);
