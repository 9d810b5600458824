//! `VenueRouter` end to end against the fake chain (with the fake Pump.fun program) and the
//! fake Jupiter, over real HTTP on 127.0.0.1: routing, landed buys and sells that move balances
//! exactly as the curve math says, slippage, Token-2022, PumpSwap, Jupiter lookup tables and
//! 429 back-off, dry-run post-state, and the `quantbot quote` CLI.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quantbot::domain::money::{Bps, Lamports, TokenAmount};
use quantbot::domain::position::Side;
use quantbot::ports::{ChainClient, PlanOptions, Quote, QuoteRequest, Swapper, VenueError, VenueId};
use quantbot::solana::errors::{SlippageVenue, TxFailure};
use quantbot::solana::helius::limits::{Backoff, BreakerPolicy};
use quantbot::solana::helius::transport::RetryPolicy;
use quantbot::solana::helius::{HeliusClient, HeliusConfig};
use quantbot::solana::ids::{
    COMPUTE_BUDGET_PROGRAM, PUMP_AMM_PROGRAM, PUMP_PROGRAM, TOKEN_2022_PROGRAM, TOKEN_PROGRAM, USDC_MINT,
};
use quantbot::solana::instructions::{AtaSpec, ComputeUnits, MicroLamportsPerCu};
use quantbot::solana::policy::{PolicyScope, TxPolicy};
use quantbot::solana::submit::{SubmitOptions, SubmitOutcome, submit};
use quantbot::solana::tx::{ComputeBudget, TxDraft, sign};
use quantbot::venues::globals::GlobalCache;
use quantbot::venues::jupiter::{ADDRESS_LOOKUP_TABLE_PROGRAM, JupiterClient, JupiterConfig};
use quantbot::venues::pumpfun::curve::CurveState;
use quantbot::venues::pumpfun::pda;
use quantbot::venues::router::{RouterSettings, VenueRouter};
use secrecy::SecretString;
use solana_keypair::Keypair;
use solana_message::VersionedMessage;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;

use crate::support::fake_chain::programs::{mint_data, rent_exempt};
use crate::support::fake_chain::pump::{
    self, Coin, curve_of, fresh_curve, move_price, seed_coin, seed_pool, seeded_fee_config, seeded_global,
};
use crate::support::fake_chain::{Account, FakeChain};
use crate::support::fake_jupiter::{FakeJupiter, lookup_table, lookup_table_data};

const SOL: u64 = 1_000_000_000;
const CU_PRICE: u64 = 1_000;
const SLIPPAGE: Bps = Bps(100);

struct World {
    fake: FakeChain,
    jup: FakeJupiter,
    rpc: Arc<HeliusClient>,
    router: VenueRouter,
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

async fn world() -> World {
    let fake = FakeChain::start().await;
    pump::install(&fake);
    let jup = FakeJupiter::start().await;
    let rpc = Arc::new(HeliusClient::new(helius_config(&fake), None).unwrap());
    let chain: Arc<dyn ChainClient> = rpc.clone();
    let globals = GlobalCache::load(chain.clone()).await.unwrap();
    let jupiter = JupiterClient::new(JupiterConfig {
        base_url: jup.url.parse().unwrap(),
        api_key: Some(SecretString::from("test-key")),
        timeout: Duration::from_secs(2),
    })
    .unwrap();
    let router = VenueRouter::new(chain, globals, Some(Arc::new(jupiter)), RouterSettings::default());
    World { fake, jup, rpc, router }
}

fn buy(mint: Pubkey, lamports: u64) -> QuoteRequest {
    QuoteRequest { mint, side: Side::Buy, amount_in: lamports, slippage: SLIPPAGE }
}

fn funded(fake: &FakeChain, lamports: u64) -> Keypair {
    let k = Keypair::new();
    fake.fund(&k.pubkey(), lamports);
    k
}

fn fast() -> SubmitOptions {
    SubmitOptions {
        simulate_first: true,
        skip_preflight: false,
        use_sender: false,
        protected: false,
        poll_every: Duration::from_millis(20),
        rebroadcast_every: Duration::from_millis(100),
        give_up_after: Duration::from_secs(10),
    }
}

/// Plans `quote` for `user`, compiles with our compute budget and signs.
async fn signed(w: &World, quote: &Quote, user: &Keypair) -> (VersionedTransaction, u64, u64) {
    let plan = w.router.plan(quote, &user.pubkey(), &PlanOptions::default()).await.unwrap();
    let budget =
        ComputeBudget { unit_limit: ComputeUnits(plan.compute_unit_limit), unit_price: MicroLamportsPerCu(CU_PRICE) };
    let mut draft = TxDraft::new(user.pubkey(), budget);
    draft.extend(plan.instructions.clone());
    let (blockhash, lvbh) = w.fake.latest_blockhash();
    let tx = sign(draft.compile(blockhash).unwrap(), user).unwrap();
    let fee = 5_000 + budget.priority_fee().0;
    (tx, lvbh, fee)
}

/// The curve math the program applies, from the same seeded Global / FeeConfig.
fn expected_buy(w: &World, coin: &Coin, spend: u64) -> quantbot::venues::pumpfun::curve::BuyQuote {
    expected_buy_at(w, coin, spend, SLIPPAGE)
}

fn expected_buy_at(w: &World, coin: &Coin, spend: u64, slippage: Bps) -> quantbot::venues::pumpfun::curve::BuyQuote {
    let (global, fees, curve) = (seeded_global(), seeded_fee_config(95, 30), curve_of(&w.fake, coin));
    let state =
        CurveState { global: &global, fee_config: Some(&fees), curve: &curve, mint_supply: curve.token_total_supply };
    // The router sizes a legacy (exact-tokens) buy from the slippage-shrunk budget, so its max
    // SOL cost never exceeds `spend`.
    let budget = quantbot::venues::pumpfun::venue::slippage_budget(spend, slippage);
    let tokens = state.quote_buy_exact_sol_in(Lamports(budget)).unwrap().tokens_out;
    state.quote_buy_exact_tokens(tokens).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_picks_pumpfun_for_a_live_curve_pumpswap_for_a_complete_one_and_jupiter_otherwise() {
    let w = world().await;
    let live = seed_coin(&w.fake, TOKEN_PROGRAM, &fresh_curve(Pubkey::new_unique()));
    let q = w.router.quote(&buy(live.mint, SOL / 2)).await.unwrap();
    assert_eq!(q.venue, VenueId::PumpFun);
    let want = expected_buy(&w, &live, SOL / 2);
    assert_eq!(q.expected_out, want.tokens_out.raw);
    assert_eq!(q.min_out, want.tokens_out.raw, "legacy buy: exact tokens, slippage on the SOL cap");
    assert_eq!(q.venue_fee, Lamports(want.protocol_fee.0 + want.creator_fee.0));
    assert_eq!((q.token_decimals, q.token_program), (6, TOKEN_PROGRAM));
    assert_eq!(q.liquidity, Lamports(0), "fresh curve holds no real SOL");
    assert!(q.price_impact.0 > 0 && q.price_impact.0 < 500, "{:?}", q.price_impact);
    assert_eq!(q.market_cap, Some(Lamports(27_958_993_476)));
    assert!(q.price > rust_decimal::Decimal::ZERO);

    let graduated = seed_coin(&w.fake, TOKEN_PROGRAM, &fresh_curve(Pubkey::new_unique()));
    seed_pool(&w.fake, &graduated, 206_900_000_000_000, 84_990_359_000);
    let q = w.router.quote(&buy(graduated.mint, SOL)).await.unwrap();
    assert_eq!(q.venue, VenueId::PumpSwap);
    assert_eq!(q.liquidity, Lamports(84_990_359_000));
    assert!(q.expected_out > 0 && q.min_out == SLIPPAGE.apply_down(q.expected_out));
    // Known graduate: the second quote reads pool + vaults only (no curve).
    let before = w.fake.requests_for("getMultipleAccounts").len();
    let again = w.router.quote(&buy(graduated.mint, SOL)).await.unwrap();
    assert_eq!((again.venue, again.expected_out), (VenueId::PumpSwap, q.expected_out));
    assert_eq!(w.fake.requests_for("getMultipleAccounts").len(), before + 1);

    w.fake.set_account(
        &USDC_MINT,
        Account { lamports: rent_exempt(82), owner: TOKEN_PROGRAM, data: mint_data(1_000, 6) },
    );
    let q = w.router.quote(&buy(USDC_MINT, SOL)).await.unwrap();
    assert_eq!(q.venue, VenueId::Jupiter);
    assert_eq!((q.expected_out, q.min_out), (120_704_786, 119_497_738));
    assert_eq!(q.price_impact, Bps(0));
    let sent = w.jup.requests();
    assert_eq!(sent[0].api_key.as_deref(), Some("test-key"));
    assert!(sent[0].query.contains(&("outputMint".to_owned(), USDC_MINT.to_string())));

    let nothing = Pubkey::new_unique();
    assert_eq!(w.router.quote(&buy(nothing, SOL)).await.unwrap_err(), VenueError::NotAMint);
    w.jup.set_no_route(true);
    let other = Pubkey::new_unique();
    w.fake.set_account(&other, Account { lamports: rent_exempt(82), owner: TOKEN_PROGRAM, data: mint_data(1, 6) });
    assert_eq!(w.router.quote(&buy(other, SOL)).await.unwrap_err(), VenueError::NoRoute);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pumpfun_buy_lands_and_moves_balances_by_the_quote_then_a_sell_moves_them_back() {
    let w = world().await;
    let creator = Pubkey::new_unique();
    let coin = seed_coin(&w.fake, TOKEN_PROGRAM, &fresh_curve(creator));
    let user = funded(&w.fake, 10 * SOL);
    let want = expected_buy(&w, &coin, SOL / 2);

    let quote = w.router.quote(&buy(coin.mint, SOL / 2)).await.unwrap();
    let plan = w.router.plan(&quote, &user.pubkey(), &PlanOptions::default()).await.unwrap();
    assert_eq!(plan.rent, Lamports(rent_exempt(165)), "the user's token account is new");
    assert_eq!(plan.instructions.last().unwrap().program_id, PUMP_PROGRAM);
    let (tx, lvbh, fee) = signed(&w, &quote, &user).await;
    let out = submit(w.rpc.as_ref(), &tx, lvbh, &fast()).await;
    assert!(matches!(out, SubmitOutcome::Confirmed { .. }), "{out:?}");

    let ata = coin.ata_of(&user.pubkey());
    assert_eq!(w.fake.token_amount(&ata), Some(quote.expected_out));
    let spent = 10 * SOL - w.fake.balance_of(&user.pubkey());
    assert_eq!(spent, want.sol_total.0 + fee + rent_exempt(165));
    // The buy never spends more than asked, even at the slippage cap.
    assert!(SLIPPAGE.apply_up(want.sol_total.0) <= SOL / 2, "max cost above the request");
    assert!(want.sol_total.0 > SLIPPAGE.apply_down(SOL / 2) - SOL / 100);
    assert_eq!(w.fake.balance_of(&pda::creator_vault(&creator)), want.creator_fee.0);
    let curve = curve_of(&w.fake, &coin);
    assert_eq!(curve.real_quote_reserves, want.sol_to_curve.0);
    assert_eq!(curve.virtual_token_reserves, 1_073_000_000_000_000 - quote.expected_out);
    assert_eq!(w.fake.token_amount(&coin.curve_ata), Some(793_100_000_000_000 - quote.expected_out));
    // The token account now exists: the next plan adds no rent and reads nothing for it.
    assert_eq!(w.router.plan(&quote, &user.pubkey(), &PlanOptions::default()).await.unwrap().rent, Lamports::ZERO);

    let before = w.fake.balance_of(&user.pubkey());
    let sell = QuoteRequest { mint: coin.mint, side: Side::Sell, amount_in: quote.expected_out, slippage: SLIPPAGE };
    let sq = w.router.quote(&sell).await.unwrap();
    assert_eq!(sq.venue, VenueId::PumpFun);
    assert_eq!(sq.min_out, SLIPPAGE.apply_down(sq.expected_out));
    let (tx, lvbh, fee) = signed(&w, &sq, &user).await;
    let out = submit(w.rpc.as_ref(), &tx, lvbh, &fast()).await;
    assert!(matches!(out, SubmitOutcome::Confirmed { .. }), "{out:?}");
    assert_eq!(w.fake.token_amount(&ata), Some(0));
    assert_eq!(w.fake.balance_of(&user.pubkey()), before + sq.expected_out - fee);
    assert!(sq.expected_out < want.sol_total.0, "a round trip pays fees both ways");
    let curve = curve_of(&w.fake, &coin);
    assert_eq!(curve.virtual_token_reserves, 1_073_000_000_000_000);
    assert_eq!(w.fake.token_amount(&coin.curve_ata), Some(793_100_000_000_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_move_between_quote_and_send_fails_as_slippage_exceeded() {
    let w = world().await;
    let coin = seed_coin(&w.fake, TOKEN_PROGRAM, &fresh_curve(Pubkey::new_unique()));
    let user = funded(&w.fake, 10 * SOL);
    let quote = w.router.quote(&buy(coin.mint, SOL)).await.unwrap();
    // Another trader buys ~5 SOL first: the price is ~35 % higher.
    move_price(&w.fake, &coin, |c| {
        c.virtual_quote_reserves += 5 * SOL;
        c.real_quote_reserves += 5 * SOL;
        c.virtual_token_reserves -= 150_000_000_000_000;
        c.real_token_reserves -= 150_000_000_000_000;
    });
    let (tx, lvbh, fee) = signed(&w, &quote, &user).await;
    let simulated = submit(w.rpc.as_ref(), &tx, lvbh, &fast()).await;
    let SubmitOutcome::SimulationFailed { failure, .. } = simulated else { panic!("{simulated:?}") };
    assert!(matches!(failure, TxFailure::SlippageExceeded { venue: SlippageVenue::PumpFun, code: 6002, .. }));

    let landed = SubmitOptions { simulate_first: false, skip_preflight: true, ..fast() };
    let out = submit(w.rpc.as_ref(), &tx, lvbh, &landed).await;
    let SubmitOutcome::Failed { failure, .. } = out else { panic!("{out:?}") };
    assert!(matches!(failure, TxFailure::SlippageExceeded { venue: SlippageVenue::PumpFun, code: 6002, .. }));
    assert!(failure.is_retryable());
    assert_eq!(w.fake.balance_of(&user.pubkey()), 10 * SOL - fee, "only the fee was charged");
    assert_eq!(w.fake.token_amount(&coin.ata_of(&user.pubkey())), None);

    // A fresh quote on the moved curve lands.
    let quote = w.router.quote(&buy(coin.mint, SOL)).await.unwrap();
    let (tx, lvbh, _) = signed(&w, &quote, &user).await;
    assert!(matches!(submit(w.rpc.as_ref(), &tx, lvbh, &fast()).await, SubmitOutcome::Confirmed { .. }));
    assert_eq!(w.fake.token_amount(&coin.ata_of(&user.pubkey())), Some(quote.expected_out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_2022_coin_quotes_plans_and_lands() {
    let w = world().await;
    let coin = seed_coin(&w.fake, TOKEN_2022_PROGRAM, &fresh_curve(Pubkey::new_unique()));
    let user = funded(&w.fake, 2 * SOL);
    let quote = w.router.quote(&buy(coin.mint, SOL / 10)).await.unwrap();
    assert_eq!((quote.venue, quote.token_program), (VenueId::PumpFun, TOKEN_2022_PROGRAM));
    let plan = w.router.plan(&quote, &user.pubkey(), &PlanOptions::default()).await.unwrap();
    let t22_ata = AtaSpec { owner: user.pubkey(), mint: coin.mint, token_program: TOKEN_2022_PROGRAM }.address();
    let spl_ata = AtaSpec { owner: user.pubkey(), mint: coin.mint, token_program: TOKEN_PROGRAM }.address();
    assert_eq!(plan.instructions[0].accounts[1].pubkey, t22_ata);
    assert_eq!(plan.rent, Lamports(rent_exempt(170)), "Token-2022 ATAs carry the ImmutableOwner extension");
    let (tx, lvbh, _) = signed(&w, &quote, &user).await;
    let out = submit(w.rpc.as_ref(), &tx, lvbh, &fast()).await;
    assert!(matches!(out, SubmitOutcome::Confirmed { .. }), "{out:?}");
    assert_eq!(w.fake.token_amount(&t22_ata), Some(quote.expected_out));
    assert_eq!(w.fake.account(&t22_ata).unwrap().owner, TOKEN_2022_PROGRAM);
    assert!(w.fake.account(&spl_ata).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pumpswap_buy_wraps_sol_and_passes_the_signing_policy() {
    let w = world().await;
    let coin = seed_coin(&w.fake, TOKEN_PROGRAM, &fresh_curve(Pubkey::new_unique()));
    seed_pool(&w.fake, &coin, 206_900_000_000_000, 84_990_359_000);
    let user = Keypair::new();
    let quote = w.router.quote(&buy(coin.mint, SOL)).await.unwrap();
    let plan = w.router.plan(&quote, &user.pubkey(), &PlanOptions::default()).await.unwrap();
    let programs: Vec<Pubkey> = plan.instructions.iter().map(|i| i.program_id).collect();
    let ata = quantbot::solana::ids::ASSOCIATED_TOKEN_PROGRAM;
    let sys = quantbot::solana::ids::SYSTEM_PROGRAM;
    assert_eq!(programs, [ata, ata, sys, TOKEN_PROGRAM, PUMP_AMM_PROGRAM, TOKEN_PROGRAM]);
    let swap = &plan.instructions[4];
    assert_eq!(swap.data[..8], quantbot::venues::pumpswap::ix::BUY_EXACT_QUOTE_IN_DISCRIMINATOR);
    assert_eq!(swap.data[8..16], SOL.to_le_bytes());
    assert_eq!(swap.data[16..24], quote.min_out.to_le_bytes());
    let budget = ComputeBudget { unit_limit: ComputeUnits(plan.compute_unit_limit), unit_price: MicroLamportsPerCu(1) };
    let mut draft = TxDraft::new(user.pubkey(), budget);
    draft.extend(plan.instructions.clone());
    let message = draft.compile(w.fake.latest_blockhash().0).unwrap();
    let own = [coin.ata_of(&user.pubkey())];
    let scope =
        PolicyScope { user: user.pubkey(), own_token_accounts: &own, withdraw_destinations: &[], lookup_tables: &[] };
    TxPolicy::new(Vec::new()).check(&message, &scope).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jupiter_plan_uses_the_route_lookup_tables_and_our_compute_budget() {
    let w = world().await;
    w.fake.set_account(
        &USDC_MINT,
        Account { lamports: rent_exempt(82), owner: TOKEN_PROGRAM, data: mint_data(1_000, 6) },
    );
    let (alt, addresses) = lookup_table();
    let data = lookup_table_data(&addresses);
    w.fake.set_account(&alt, Account { lamports: rent_exempt(data.len()), owner: ADDRESS_LOOKUP_TABLE_PROGRAM, data });
    let user = Keypair::new();
    let quote = w.router.quote(&buy(USDC_MINT, SOL)).await.unwrap();
    let plan = w.router.plan(&quote, &user.pubkey(), &PlanOptions::default()).await.unwrap();
    assert_eq!(plan.lookup_tables.len(), 1);
    assert_eq!((plan.lookup_tables[0].key, &plan.lookup_tables[0].addresses), (alt, &addresses));
    assert_eq!(plan.compute_unit_limit, 450_353);
    assert!(plan.instructions.iter().all(|i| i.program_id != COMPUTE_BUDGET_PROGRAM));
    assert_eq!(plan.rent, Lamports(2 * rent_exempt(165)), "wSOL and USDC token accounts are new");
    let swap_req = w.jup.requests().into_iter().find(|r| r.path == "/swap-instructions").unwrap();
    assert_eq!(swap_req.body["userPublicKey"], user.pubkey().to_string());
    let quote_raw = match &quote.route {
        quantbot::ports::QuoteRoute::Jupiter { quote } => quote.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(swap_req.body["quoteResponse"], quote_raw, "the quote goes back verbatim");

    let budget =
        ComputeBudget { unit_limit: ComputeUnits(plan.compute_unit_limit), unit_price: MicroLamportsPerCu(777) };
    let mut draft = TxDraft::new(user.pubkey(), budget);
    draft.extend(plan.instructions.clone()).set_lookup_tables(plan.lookup_tables.clone());
    let message = draft.compile(w.fake.latest_blockhash().0).unwrap();
    let VersionedMessage::V0(v0) = &message else { panic!("v0 expected") };
    assert_eq!(v0.address_table_lookups.len(), 1);
    assert_eq!(v0.address_table_lookups[0].account_key, alt);
    assert!(!v0.address_table_lookups[0].writable_indexes.is_empty());
    let keys = message.static_account_keys();
    let budget_ixs: Vec<&[u8]> = message
        .instructions()
        .iter()
        .filter(|i| keys[usize::from(i.program_id_index)] == COMPUTE_BUDGET_PROGRAM)
        .map(|i| i.data.as_slice())
        .collect();
    assert_eq!(budget_ixs, [hex::decode("0231df0600").unwrap(), hex::decode("030903000000000000").unwrap()]);
    let own = [AtaSpec { owner: user.pubkey(), mint: USDC_MINT, token_program: TOKEN_PROGRAM }.address()];
    let scope = PolicyScope {
        user: user.pubkey(),
        own_token_accounts: &own,
        withdraw_destinations: &[],
        lookup_tables: &plan.lookup_tables,
    };
    TxPolicy::new(Vec::new()).check(&message, &scope).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jupiter_429_is_rate_limited_and_nothing_is_sent_before_retry_after() {
    let w = world().await;
    w.fake.set_account(
        &USDC_MINT,
        Account { lamports: rent_exempt(82), owner: TOKEN_PROGRAM, data: mint_data(1_000, 6) },
    );
    w.jup.rate_limit(1, 1);
    let first = w.router.quote(&buy(USDC_MINT, SOL)).await.unwrap_err();
    assert_eq!(first, VenueError::RateLimited { retry_after_ms: 1_000 });
    let second = w.router.quote(&buy(USDC_MINT, SOL)).await.unwrap_err();
    assert!(matches!(second, VenueError::RateLimited { retry_after_ms } if retry_after_ms <= 1_000));
    assert_eq!(w.jup.requests().len(), 1, "no request while Retry-After is in force");
    tokio::time::sleep(Duration::from_millis(1_050)).await;
    let q = w.router.quote(&buy(USDC_MINT, SOL)).await.unwrap();
    assert_eq!(q.venue, VenueId::Jupiter);
    let sent = w.jup.requests();
    assert_eq!(sent.len(), 2);
    assert!(sent[1].at.duration_since(sent[0].at) >= Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_simulation_returns_the_post_state_and_changes_nothing() {
    let w = world().await;
    let coin = seed_coin(&w.fake, TOKEN_PROGRAM, &fresh_curve(Pubkey::new_unique()));
    let user = funded(&w.fake, 3 * SOL);
    let quote = w.router.quote(&buy(coin.mint, SOL)).await.unwrap();
    let (tx, _, fee) = signed(&w, &quote, &user).await;
    let ata = coin.ata_of(&user.pubkey());
    let report = w.rpc.simulate(&tx, &[ata, user.pubkey()]).await.unwrap();
    assert_eq!(report.err, None, "{:?}", report.logs);
    let post = |i: usize| report.accounts[i].clone().unwrap();
    assert_eq!(post(0).data[64..72], quote.expected_out.to_le_bytes());
    let want = expected_buy(&w, &coin, SOL);
    assert_eq!(post(1).lamports, Lamports(3 * SOL - want.sol_total.0 - fee - rent_exempt(165)));
    assert!(report.logs.iter().any(|l| l.contains(&PUMP_PROGRAM.to_string())));
    assert_eq!(w.fake.balance_of(&user.pubkey()), 3 * SOL, "simulation ran on a scratch copy");
    assert!(w.fake.account(&ata).is_none());

    // Operator dry run: unsigned, blockhash replaced.
    let stranger = funded(&w.fake, 3 * SOL).pubkey();
    let text = quantbot::operator::simulate_buy(&w.router, &w.rpc, stranger, coin.mint, Lamports(SOL)).await.unwrap();
    eprintln!("{text}");
    assert!(text.contains("simulation:   ok"), "{text}");
    assert!(text.contains("policy:       ok"), "{text}");
    let op = expected_buy_at(&w, &coin, SOL, quantbot::operator::OPERATOR_SLIPPAGE);
    let tokens = TokenAmount::new(op.tokens_out.raw, 6);
    assert!(text.contains(&format!("token delta:  +{tokens} tokens")), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quote_cli_prints_a_pumpfun_quote_from_the_fakes() {
    let w = world().await;
    let coin = seed_coin(&w.fake, TOKEN_PROGRAM, &fresh_curve(Pubkey::new_unique()));
    let dir = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_quantbot"))
        .args(["quote", &coin.mint.to_string(), "0.5"])
        .current_dir(dir.path())
        .env("HELIUS_RPC_URL", w.fake.rpc_url(0))
        .env("JUPITER_API_URL", &w.jup.url)
        .env("DATABASE_URL", format!("sqlite://{}/q.db", dir.path().display()))
        .env_remove("RUST_LOG")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
    let want = expected_buy_at(&w, &coin, SOL / 2, quantbot::operator::OPERATOR_SLIPPAGE);
    assert!(stdout.contains("venue:        pumpfun"), "{stdout}");
    let ui = TokenAmount::new(want.tokens_out.raw, 6);
    assert!(stdout.contains(&format!("expected out: {ui} tokens (raw {})", want.tokens_out.raw)), "{stdout}");
    assert!(stdout.contains("market cap:   27.958993476 SOL"), "{stdout}");
    eprintln!("{stdout}");

    let bad = tokio::process::Command::new(env!("CARGO_BIN_EXE_quantbot"))
        .args(["quote", "not-a-mint", "0.5"])
        .current_dir(dir.path())
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("<mint> is not a base58 address"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_curve_refuses_a_stale_pumpfun_buy_with_6005() {
    let w = world().await;
    let coin = seed_coin(&w.fake, TOKEN_PROGRAM, &fresh_curve(Pubkey::new_unique()));
    let user = funded(&w.fake, 2 * SOL);
    let quote = w.router.quote(&buy(coin.mint, SOL / 10)).await.unwrap();
    move_price(&w.fake, &coin, |c| c.complete = true);
    let (tx, lvbh, _) = signed(&w, &quote, &user).await;
    let out = submit(w.rpc.as_ref(), &tx, lvbh, &fast()).await;
    let SubmitOutcome::SimulationFailed { failure, .. } = out else { panic!("{out:?}") };
    assert!(matches!(failure, TxFailure::CurveComplete { .. }), "{failure:?}");
    let _ = Instant::now();
}
