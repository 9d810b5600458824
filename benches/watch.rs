//! Wallet watcher CPU cost and memory, excluding network:
//!
//! * `leader_notification_to_signed_tx`: a `logsNotification` text → its wallet and signature →
//!   the `getTransaction` answer text (as received) parsed and decoded into a leader buy
//!   (Pump.fun `TradeEvent`) → copy sizing and caps → the alert rules, safety rules and risk
//!   check → Pump.fun quote + buy instructions from cached accounts → v0 compile → sign →
//!   serialize. Target p99 ≤ 2 ms (printed from 20,000 timed runs, then criterion).
//! * `watch_1000_wallets_rss`: one socket subscribed to 1,000 wallets (`logsSubscribe` each)
//!   against a local PubSub stub in the same process; prints the extra RSS (client and stub
//!   together, so an upper bound). Target ≤ 32 MiB.
//!
//! Run: `cargo bench --bench watch -- --warm-up-time 1 --measurement-time 3`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use futures::{SinkExt, StreamExt};
use quantbot::domain::alert::rules::{self, SubscriptionSettings};
use quantbot::domain::copy::{self, CopySettings, FollowState};
use quantbot::domain::money::Lamports;
use quantbot::domain::risk::{EntryProposal, GlobalLimits, approve_entry};
use quantbot::domain::safety::{TokenSafety, evaluate};
use quantbot::solana::ids::PUMP_PROGRAM;
use quantbot::solana::leader_tx;
use quantbot::solana::ws::{self, WsEvent, WsSettings};
use secrecy::SecretString;
use serde_json::{Value, json};
use solana_pubkey::Pubkey;
use tokio_tungstenite::tungstenite::Message;

#[path = "common/alert_fixture.rs"]
mod alert_fixture;

use alert_fixture::{Cached, cached, clean_safety, signed_buy};
const LEADER: &str = "AMDEmVocLtN5ji2gBY7BrmSHEyM5vt6TGszBbg4crMXg";

/// The recorded-shape fixture of the real mainnet `TradeEvent` (a 0.7 SOL buy), as the node sends
/// it, and the notification that announces it.
fn leader_messages() -> (String, String) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/copy/pumpfun_buy_real_event.json");
    let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let response = case["response"].to_string();
    let sig = case["response"]["result"]["transaction"]["signatures"][0].as_str().unwrap().to_owned();
    let note = json!({"jsonrpc": "2.0", "method": "logsNotification", "params": {"result": {"context": {"slot": 452024288},
        "value": {"signature": sig, "err": null, "logs": [format!("Program {PUMP_PROGRAM} invoke [1]"),
        "Program log: Instruction: Buy".to_owned(), format!("Program {PUMP_PROGRAM} success")]}}, "subscription": 24040}});
    (note.to_string(), response)
}

/// Notification received → first signed transaction ready (no network: the `getTransaction`
/// answer is already here as text).
fn notification_to_signed(
    c: &Cached,
    follow: &CopySettings,
    safety: &TokenSafety,
    msgs: &(String, String),
    salt: u64,
) -> Vec<u8> {
    let note: Value = serde_json::from_str(&msgs.0).unwrap();
    let value = &note["params"]["result"]["value"];
    assert!(value["err"].is_null() && value["signature"].is_string());
    let answer: Value = serde_json::from_str(&msgs.1).unwrap();
    let leader: Pubkey = LEADER.parse().unwrap();
    let trade = leader_tx::decode(&answer["result"], &leader).unwrap();
    let size = copy::decide_buy(follow, trade.sol, FollowState::default()).unwrap();
    let settings = SubscriptionSettings { buy: size, ..follow.rules.clone() };
    rules::check(&settings, Ok(&c.market), 0, c.snapshot.now_ms).unwrap();
    evaluate(Some(safety), &c.config.safety.with(&settings.safety)).unwrap();
    let proposal = EntryProposal {
        amount: size,
        fees: Lamports(40_000),
        price_impact: c.market.impact_for(size),
        liquidity: c.market.liquidity,
    };
    let approved = approve_entry(trade.mint, &proposal, &c.config, &c.snapshot, &GlobalLimits::default()).unwrap();
    black_box(approved.get());
    signed_buy(c, size, salt)
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration, Duration) {
    samples.sort_unstable();
    let at = |q: f64| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i]
    };
    (at(0.5), at(0.99), at(1.0))
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A PubSub stub: acknowledges every `logsSubscribe` with a fresh id.
async fn stub(listener: tokio::net::TcpListener) {
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let Ok(socket) = tokio_tungstenite::accept_async(stream).await else { return };
            let (mut sink, mut source) = socket.split();
            let mut next = 0u64;
            while let Some(Ok(Message::Text(text))) = source.next().await {
                let v: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
                next += 1;
                let ack = json!({"jsonrpc": "2.0", "id": v["id"], "result": next});
                if sink.send(Message::Text(ack.to_string().into())).await.is_err() {
                    return;
                }
            }
        });
    }
}

/// Extra RSS of one socket watching `n` wallets (until every subscription is acknowledged).
fn watch_rss(n: usize) -> (u64, Duration) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}", listener.local_addr().unwrap());
        tokio::spawn(stub(listener));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let before = rss_kib();
        let wallets: BTreeSet<Pubkey> = (0..n).map(|_| Pubkey::new_unique()).collect();
        let (_wallets_tx, wallets_rx) = tokio::sync::watch::channel(wallets);
        let (events_tx, mut events_rx) = tokio::sync::mpsc::channel(16);
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let started = Instant::now();
        tokio::spawn(ws::run(WsSettings::new(SecretString::from(url)), wallets_rx, events_tx, stop_rx));
        let event = tokio::time::timeout(Duration::from_secs(30), events_rx.recv()).await.unwrap();
        assert_eq!(event, Some(WsEvent::Subscribed { connection: 1 }));
        let took = started.elapsed();
        let after = rss_kib();
        let _ = stop_tx.send(true);
        (after.saturating_sub(before), took)
    })
}

fn bench_watch(cr: &mut Criterion) {
    let c = cached();
    let safety = clean_safety();
    let follow = CopySettings { rules: c.settings.clone(), ..CopySettings::default() }
        .apply(&["pct=10", "min=0.01", "max=0.1"])
        .unwrap();
    let msgs = leader_messages();
    let mut samples = Vec::with_capacity(20_000);
    for salt in 0..20_000u64 {
        let started = Instant::now();
        black_box(notification_to_signed(&c, &follow, &safety, &msgs, salt));
        samples.push(started.elapsed());
    }
    let (p50, p99, max) = percentiles(samples);
    println!("leader_notification_to_signed_tx: p50 {p50:?}  p99 {p99:?}  max {max:?}  (20,000 runs)");
    let (extra_kib, took) = watch_rss(1_000);
    println!("watch_1000_wallets_rss: +{:.1} MiB RSS, all subscribed in {took:?}", extra_kib as f64 / 1024.0);

    let mut salt = 0u64;
    cr.bench_function("leader_notification_to_signed_tx", |b| {
        b.iter(|| {
            salt = salt.wrapping_add(1);
            black_box(notification_to_signed(black_box(&c), &follow, &safety, &msgs, salt))
        });
    });
    let answer: Value = serde_json::from_str(&msgs.1).unwrap();
    let leader: Pubkey = LEADER.parse().unwrap();
    cr.bench_function("leader_tx_decode", |b| {
        b.iter(|| black_box(leader_tx::decode(black_box(&answer["result"]), &leader)))
    });
}

criterion_group!(benches, bench_watch);
criterion_main!(benches);
