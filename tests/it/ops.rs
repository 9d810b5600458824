//! /healthz and /metrics over real HTTP, and a first run without Helius (public RPC).

use quantbot::domain::lang::Lang;
use quantbot::domain::user::UserId;
use quantbot::i18n::tr;
use quantbot::ports::PositionRepo;
use serde_json::json;
use solana_pubkey::Pubkey;

use crate::on_both_databases;
use crate::support::fake_chain::FakeChain;
use crate::support::fake_chain::pump;
use crate::support::{TestApp, TestDb};

const MASTER_HEX: &str = "5f0b7f0f8d7e6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170605f4e3";
const ALICE: i64 = 4343;
const SOL: u64 = 1_000_000_000;

async fn healthz(app: &TestApp) -> (u16, serde_json::Value) {
    let health = reqwest::get(format!("http://{}/healthz", app.ops)).await.unwrap();
    (health.status().as_u16(), health.json().await.unwrap())
}

/// Polls /healthz until polling runs and the RPC probe has run once (both start with the app).
async fn healthz_after_rpc_probe(app: &TestApp) -> (u16, serde_json::Value) {
    for _ in 0..100 {
        let (code, body) = healthz(app).await;
        let probed = body["rpc"]["last_ok_ms"] != json!(0) || body["rpc"]["answers"] == json!(false);
        if probed && body["telegram_polling"] == json!(true) {
            return (code, body);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    healthz(app).await
}

async fn healthz_and_metrics_report_the_running_bot(db: &TestDb) {
    let chain = FakeChain::start().await;
    let app = TestApp::spawn(db, &[("HELIUS_RPC_URL", chain.rpc_url(0).as_str())]).await;
    let cur = app.tg.call_count().await;
    app.tg.send_private(42, "en", "/help").await;
    app.tg.next_text_to(cur, 42).await;

    let (code, body) = healthz_after_rpc_probe(&app).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["database"], true);
    assert_eq!(body["telegram_polling"], true);
    assert_eq!(body["rpc"]["source"], "helius", "{body}");
    assert_eq!(body["rpc"]["answers"], true, "{body}");
    assert!(!body.to_string().contains("127.0.0.1"), "no RPC URL in /healthz: {body}");

    let metrics = reqwest::get(format!("http://{}/metrics", app.ops)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("quantbot_updates_total{kind=\"message\"} 1"), "{metrics}");
    assert!(metrics.contains("quantbot_command_duration_seconds_count{command=\"help\"} 1"), "{metrics}");
    assert!(metrics.contains("quantbot_telegram_up 1"), "{metrics}");
    app.stop().await;
}
on_both_databases!(healthz_and_metrics_report_the_running_bot);

async fn healthz_is_degraded_and_names_the_public_rpc_when_it_does_not_answer(db: &TestDb) {
    // TestApp's default public RPC is a closed local port.
    let app = TestApp::spawn(db, &[]).await;
    let (code, body) = healthz_after_rpc_probe(&app).await;
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["status"], "degraded");
    assert_eq!(
        body["rpc"],
        json!({"source": "public", "host": "127.0.0.1", "answers": false, "last_ok_ms": 0,
        "paper_only": true})
    );
    app.stop().await;
}
on_both_databases!(healthz_is_degraded_and_names_the_public_rpc_when_it_does_not_answer);

async fn first_run_without_helius_quotes_balances_and_paper_trades_on_the_public_rpc(db: &TestDb) {
    // Arrange: a fake "public RPC" (standard methods only matter), no HELIUS_* at all.
    let chain = FakeChain::start().await;
    pump::install(&chain);
    let mut curve = pump::fresh_curve(Pubkey::new_unique());
    curve.real_quote_reserves = 5 * SOL;
    let coin = pump::seed_coin(&chain, quantbot::solana::ids::TOKEN_PROGRAM, &curve);
    let public = chain.rpc_url(0);
    let app =
        TestApp::spawn(db, &[("SOLANA_PUBLIC_RPC_URL", public.as_str()), ("WALLET_MASTER_KEY", MASTER_HEX)]).await;

    // Act + assert: /healthz names the public RPC and sees it answer.
    let (code, body) = healthz_after_rpc_probe(&app).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["rpc"]["source"], "public");
    assert_eq!(body["rpc"]["answers"], true, "{body}");
    assert_eq!(body["rpc"]["paper_only"], true);

    // A wallet, its balance, and a paper buy, all read through the public RPC.
    let say = |cmd: String| {
        let app = &app;
        async move {
            let cur = app.tg.call_count().await;
            app.tg.send_private(ALICE, "en", &cmd).await;
            let call = app.tg.next_text_to(cur, ALICE).await;
            call.body["text"].as_str().unwrap_or_default().to_owned()
        }
    };
    say("/start".to_owned()).await;
    say("/wallet add".to_owned()).await;
    let wallet = quantbot::ports::WalletRepo::list_wallets(&app.db, UserId(ALICE)).await.unwrap()[0]
        .pubkey
        .parse::<Pubkey>()
        .unwrap();
    chain.fund(&wallet, 3 * SOL);
    let balance = say("/wallet balance".to_owned()).await;
    assert!(balance.contains("3"), "balance read through the public RPC: {balance}");
    say("/livetrade enable".to_owned()).await;
    let cur = app.tg.call_count().await;
    say(format!("/buy {} 0.1", coin.mint)).await;
    let bought = tr(Lang::En, "trade.bought", &[]);
    let bought = bought.split("%{").next().unwrap_or_default().to_owned();
    let filled = app
        .tg
        .wait_for(cur, "sendMessage", |b| {
            b["chat_id"] == json!(ALICE) && b["text"].as_str().is_some_and(|t| t.contains(&bought))
        })
        .await;
    assert!(filled.body["text"].as_str().unwrap().contains(&tr(Lang::En, "trade.paper", &[])));
    let positions = PositionRepo::open_positions(&app.db, UserId(ALICE)).await.unwrap();
    assert!(positions.len() == 1 && positions[0].is_paper && positions[0].book.tokens > 0);

    // Only standard RPC methods: no Helius-only fee API, and nothing sent.
    assert!(chain.requests_for("getPriorityFeeEstimate").is_empty(), "Helius-only method on the public RPC");
    assert!(!chain.requests_for("getAccountInfo").is_empty() || !chain.requests_for("getMultipleAccounts").is_empty());
    assert!(chain.requests_for("sendTransaction").is_empty());
    app.stop().await;
}
on_both_databases!(first_run_without_helius_quotes_balances_and_paper_trades_on_the_public_rpc);
