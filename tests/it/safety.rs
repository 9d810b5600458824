//! Token safety through the fake Bot API and the fake chain: a manual `/buy` of a Token-2022
//! coin whose transfer hook refuses sells is refused with "cannot sell" after the round-trip
//! simulation; a clean coin still buys.

use quantbot::domain::lang::Lang;
use quantbot::domain::safety::fixtures::{self, MintSpec};
use quantbot::domain::user::UserId;
use quantbot::i18n::tr;
use quantbot::ports::PositionRepo;
use solana_pubkey::Pubkey;

use crate::on_both_databases;
use crate::support::TestDb;
use crate::support::fake_chain::pump;
use crate::support::fake_chain::pump::Coin;
use crate::trading_commands::{ALICE, Env, SOL, notice, paper_buy, prefix, say, setup};

/// A Token-2022 coin on a Pump.fun curve whose transfer hook program refuses sells.
fn hooked_coin(env: &Env) -> Coin {
    let mut curve = pump::fresh_curve(Pubkey::new_unique());
    curve.real_quote_reserves = 5 * SOL;
    let hooked = pump::seed_coin(&env.chain, quantbot::solana::ids::TOKEN_2022_PROGRAM, &curve);
    let hook = fixtures::transfer_hook(Some(Pubkey::new_unique()), Some(Pubkey::new_unique()));
    pump::set_mint(&env.chain, &hooked, MintSpec { extensions: vec![hook], ..MintSpec::default() });
    hooked
}

/// `/buy` of `coin` is refused "cannot sell" with the hook's error after one round-trip
/// simulation, and opens nothing.
async fn buy_is_refused_cannot_sell(env: &Env, hooked: &Coin) {
    let before = env.chain.requests_for("simulateTransaction").len();
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} 0.1", hooked.mint)).await;
    let refused = notice(&env.app, cur, &prefix("reason.safety.cannot_sell")).await;
    let text = refused.body["text"].as_str().unwrap_or_default().to_owned();
    assert!(text.contains(&pump::HOOK_REFUSES_SELLS.to_string()), "the program error is shown: {text}");
    assert_eq!(env.chain.requests_for("simulateTransaction").len(), before + 1, "one round-trip simulation");
    assert!(PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap().is_empty());
}

async fn a_manual_buy_of_a_hook_token_that_cannot_be_sold_is_refused(db: &TestDb) {
    let env = setup(db, false).await;
    let hooked = hooked_coin(&env);
    buy_is_refused_cannot_sell(&env, &hooked).await;
    let code: String = sqlx::query_scalar("SELECT error FROM trade_intents WHERE user_id = $1")
        .bind(ALICE)
        .fetch_one(env.app.db.pool())
        .await
        .unwrap();
    assert_eq!(code, "safety.cannot_sell");
    // The refusal is localized like every risk refusal.
    assert!(tr(Lang::Zh, "reason.safety.cannot_sell", &[("detail", "x")]).contains("require_sellable"));
    // A clean coin still buys.
    let position = paper_buy(&env).await;
    assert_eq!(position.mint, env.coin.mint.to_string());
    env.app.stop().await;
}
on_both_databases!(a_manual_buy_of_a_hook_token_that_cannot_be_sold_is_refused);

/// The token card carries one safety line and a "Safety details" button; the details name the
/// hazard. A freezable mint shows ⛔ freeze; a clean one ✅.
async fn the_token_card_shows_a_safety_line_and_details(db: &TestDb) {
    use crate::trading_commands::{buttons, text};
    let env = setup(db, false).await;
    let mint = env.coin.mint.to_string();
    let card = say(&env.app, &mint).await;
    let body = text(&card);
    let freeze_ok = format!("✅ {}", tr(Lang::En, "safety.check.freeze", &[]));
    assert!(body.contains(&prefix("safety.line")) && body.contains(&freeze_ok), "{body}");
    assert!(buttons(&card).contains(&format!("sf:{mint}")), "{:?}", buttons(&card));

    let mut curve = pump::fresh_curve(Pubkey::new_unique());
    curve.real_quote_reserves = SOL;
    let risky = pump::seed_coin(&env.chain, quantbot::solana::ids::TOKEN_PROGRAM, &curve);
    let authority = Pubkey::new_unique();
    pump::set_mint(&env.chain, &risky, MintSpec { freeze_authority: Some(authority), ..MintSpec::default() });
    let card = say(&env.app, &risky.mint.to_string()).await;
    let freeze_bad = format!("⛔ {}", tr(Lang::En, "safety.check.freeze", &[]));
    assert!(text(&card).contains(&freeze_bad), "{}", text(&card));
    let cur = env.app.tg.call_count().await;
    env.app.tg.press(ALICE, ALICE, card.message_id(), &format!("sf:{}", risky.mint)).await;
    let details = notice(&env.app, cur, &prefix("safety.details")).await;
    assert!(text(&details).contains(&authority.to_string()), "the freeze authority is named: {}", text(&details));
    env.app.stop().await;
}
on_both_databases!(the_token_card_shows_a_safety_line_and_details);

/// Token age and name come from the same safety read: a coin whose first transaction is two
/// minutes old is refused under `min_age_secs 600` (the refusal names the rule); a coin first
/// seen two hours ago buys. The details show the Metaplex name and the age.
async fn a_coin_younger_than_min_age_is_refused_and_an_older_one_buys(db: &TestDb) {
    use crate::support::fake_chain::Account;
    use crate::trading_commands::text;
    use quantbot::domain::token_meta::{METAPLEX_PROGRAM, fixtures as meta, metaplex_address};
    let env = setup(db, false).await;
    let now =
        i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()).unwrap();
    say(&env.app, "/livetrade config min_age_secs 600").await;

    let mut curve = pump::fresh_curve(Pubkey::new_unique());
    curve.real_quote_reserves = 5 * SOL;
    let young = pump::seed_coin(&env.chain, quantbot::solana::ids::TOKEN_PROGRAM, &curve);
    env.chain.seed_history(&young.mint, now - 120, 7);
    let before = env.chain.requests_for("getSignaturesForAddress").len();
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} 0.1", young.mint)).await;
    let refused = notice(&env.app, cur, &prefix("reason.safety.too_young")).await;
    assert!(text(&refused).contains("600"), "the limit is shown: {}", text(&refused));
    assert!(PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap().is_empty());
    assert_eq!(env.chain.requests_for("getSignaturesForAddress").len(), before + 1, "one history page");

    // The trading coin of the setup: first seen 2 h ago, named by its Metaplex account.
    env.chain.seed_history(&env.coin.mint, now - 7_200, 3);
    let data = meta::metaplex(env.coin.mint, "Quant Dog", "QDOG", "https://x.invalid/q.json", true, false);
    env.chain
        .set_account(&metaplex_address(&env.coin.mint), Account { lamports: 5_616_720, owner: METAPLEX_PROGRAM, data });
    let position = paper_buy(&env).await;
    assert_eq!(position.mint, env.coin.mint.to_string());
    let card = say(&env.app, &env.coin.mint.to_string()).await;
    let cur = env.app.tg.call_count().await;
    env.app.tg.press(ALICE, ALICE, card.message_id(), &format!("sf:{}", env.coin.mint)).await;
    let details = notice(&env.app, cur, &prefix("safety.details")).await;
    let body = text(&details);
    assert!(body.contains("Quant Dog (QDOG)"), "the name is shown: {body}");
    assert!(body.contains("2h"), "the age is shown: {body}");
    env.app.stop().await;
}
on_both_databases!(a_coin_younger_than_min_age_is_refused_and_an_older_one_buys);

/// The round trip also runs on PumpSwap pools (after migration): a Token-2022 coin whose
/// transfer hook refuses sells into the pool is refused with "cannot sell"; a clean pool coin
/// buys.
async fn the_round_trip_runs_on_pumpswap_pools_too(db: &TestDb) {
    use crate::support::fake_chain::pumpswap;
    let env = setup(db, false).await;
    pumpswap::install(&env.chain);
    let hooked = hooked_coin(&env);
    pump::seed_pool(&env.chain, &hooked, 206_900_000_000_000, 84_990_359_000);
    buy_is_refused_cannot_sell(&env, &hooked).await;

    let mut curve = pump::fresh_curve(Pubkey::new_unique());
    curve.real_quote_reserves = 5 * SOL;
    let clean = pump::seed_coin(&env.chain, quantbot::solana::ids::TOKEN_PROGRAM, &curve);
    pump::seed_pool(&env.chain, &clean, 206_900_000_000_000, 84_990_359_000);
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} 0.1", clean.mint)).await;
    notice(&env.app, cur, &prefix("trade.bought")).await;
    let open = PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].mint, clean.mint.to_string());
    // The details show the pool's SOL (its quote vault, read in the same batched call).
    let card = say(&env.app, &clean.mint.to_string()).await;
    let cur = env.app.tg.call_count().await;
    env.app.tg.press(ALICE, ALICE, card.message_id(), &format!("sf:{}", clean.mint)).await;
    let details = notice(&env.app, cur, &prefix("safety.details")).await;
    let liquidity = tr(Lang::En, "safety.pool_liquidity", &[("sol", "84.990359 SOL")]);
    assert!(
        crate::trading_commands::text(&details).contains(&liquidity),
        "{}",
        crate::trading_commands::text(&details)
    );
    env.app.stop().await;
}
on_both_databases!(the_round_trip_runs_on_pumpswap_pools_too);

/// When the safety read fails (retried, then given up), `normal` buys and the fill says it was
/// bought without a safety check; `strict` refuses with "safety data unavailable".
async fn a_failed_safety_read_warns_under_normal_and_refuses_under_strict(db: &TestDb) {
    use crate::support::fake_chain::Fault;
    use crate::trading_commands::text;
    let env = setup(db, false).await;
    // Only the safety read asks for the holder list: it fails on every attempt.
    env.chain.inject(None, Some("getTokenLargestAccounts"), Fault::Status(503), 1_000);
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} 0.1", env.coin.mint)).await;
    let filled = notice(&env.app, cur, &prefix("trade.bought")).await;
    assert!(text(&filled).contains(&tr(Lang::En, "trade.safety_unchecked", &[])), "{}", text(&filled));
    assert_eq!(PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap().len(), 1);

    say(&env.app, "/livetrade config safety strict").await;
    let mut curve = pump::fresh_curve(Pubkey::new_unique());
    curve.real_quote_reserves = 5 * SOL;
    let other = pump::seed_coin(&env.chain, quantbot::solana::ids::TOKEN_PROGRAM, &curve);
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/buy {} 0.1", other.mint)).await;
    notice(&env.app, cur, &prefix("reason.safety.unavailable")).await;
    assert_eq!(PositionRepo::open_positions(&env.app.db, UserId(ALICE)).await.unwrap().len(), 1);
    env.app.stop().await;
}
on_both_databases!(a_failed_safety_read_warns_under_normal_and_refuses_under_strict);
