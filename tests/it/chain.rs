//! `HeliusClient` and `submit` against the fake chain over real HTTP on 127.0.0.1.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quantbot::domain::money::Lamports;
use quantbot::ports::chain::{ChainClient, ChainError};
use quantbot::solana::helius::limits::{Backoff, BreakerPolicy};
use quantbot::solana::helius::transport::RetryPolicy;
use quantbot::solana::helius::{CacheSettings, ChainCache, HeliusClient, HeliusConfig};
use quantbot::solana::ids::{TOKEN_2022_PROGRAM, TOKEN_PROGRAM};
use quantbot::solana::instructions::{
    AtaSpec, ComputeUnits, MicroLamportsPerCu, SystemTransfer, create_ata_idempotent, system_transfer,
};
use quantbot::solana::submit::{SubmitOptions, SubmitOutcome, submit};
use quantbot::solana::tip::Tip;
use quantbot::solana::tx::{ComputeBudget, TxDraft, sign};
use quantbot::telemetry::Metrics;
use secrecy::SecretString;
use serde_json::json;
use solana_instruction::{AccountMeta, Instruction};
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;

use crate::support::fake_chain::{
    Account, Accounts, BLOCKHASH_LIFETIME, FakeChain, Fault, Ix, Node, ProgramHandler, sent_payloads, sent_signatures,
};

const SOL: u64 = 1_000_000_000;
const BUDGET: ComputeBudget = ComputeBudget { unit_limit: ComputeUnits(10_000), unit_price: MicroLamportsPerCu(1_000) };
/// 5000 per signature + ceil(10_000 * 1_000 / 1e6).
const FEE: u64 = 5_000 + 10;

fn config(fake: &FakeChain, nodes: usize) -> HeliusConfig {
    let mut c = HeliusConfig::new((0..nodes).map(|i| SecretString::from(fake.rpc_url(i))).collect());
    c.sender_url = Some(SecretString::from(fake.sender_url()));
    c.rps = 1_000;
    c.burst = 1_000;
    c.request_timeout = Duration::from_millis(400);
    c.connect_timeout = Duration::from_millis(200);
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

fn client(c: HeliusConfig) -> HeliusClient {
    HeliusClient::new(c, Some(Arc::new(Metrics::new()))).unwrap()
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

fn nodes_of(fake: &FakeChain, method: &str) -> Vec<Node> {
    fake.requests_for(method).iter().map(|r| r.node).collect()
}

/// A signed System transfer (a withdrawal), optionally with a Sender tip.
fn transfer(
    fake: &FakeChain,
    from: &Keypair,
    to: Pubkey,
    lamports: u64,
    tip: Option<Lamports>,
) -> (VersionedTransaction, u64) {
    let (blockhash, lvbh) = fake.latest_blockhash();
    let mut draft = TxDraft::new(from.pubkey(), BUDGET);
    draft.push(system_transfer(&SystemTransfer { from: from.pubkey(), to, amount: Lamports(lamports) }));
    draft.set_tip(tip.map(|t| Tip::sender(t, 3)));
    (sign(draft.compile(blockhash).unwrap(), from).unwrap(), lvbh)
}

fn funded(fake: &FakeChain, lamports: u64) -> Keypair {
    let k = Keypair::new();
    fake.fund(&k.pubkey(), lamports);
    k
}

// ------------------------------------------------------------------ reads, failover, limits

#[tokio::test]
async fn reads_decode_balances_accounts_tokens_rent_and_fees() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 1));
    let owner = funded(&fake, 3 * SOL).pubkey();
    let (mint_a, mint_b) = (Pubkey::new_unique(), Pubkey::new_unique());
    let ata_a = fake.add_token_account(&owner, &mint_a, 420, 6, &TOKEN_PROGRAM);
    let ata_b = fake.add_token_account(&owner, &mint_b, 7, 9, &TOKEN_2022_PROGRAM);

    assert_eq!(rpc.balance(&owner).await.unwrap(), Lamports(3 * SOL));
    assert_eq!(rpc.rent_exempt_minimum(165).await.unwrap(), Lamports(2_039_280));
    let acc = rpc.account(&ata_a).await.unwrap().unwrap();
    assert_eq!((acc.owner, acc.data.len()), (TOKEN_PROGRAM, 165));
    assert_eq!(rpc.account(&Pubkey::new_unique()).await.unwrap(), None);
    let many = rpc.accounts(&[ata_b, Pubkey::new_unique(), owner]).await.unwrap();
    assert!(many[0].is_some() && many[1].is_none() && many[2].is_some());

    let mut holdings = rpc.token_holdings(&owner).await.unwrap();
    holdings.sort_by_key(|h| h.amount.raw);
    assert_eq!(holdings.len(), 2);
    assert_eq!((holdings[0].account, holdings[0].amount.raw, holdings[0].amount.decimals), (ata_b, 7, 9));
    assert_eq!((holdings[0].mint, holdings[0].program), (mint_b, TOKEN_2022_PROGRAM));
    assert_eq!((holdings[1].mint, holdings[1].amount.decimals, holdings[1].program), (mint_a, 6, TOKEN_PROGRAM));

    // base64 answers: decimals come from the mints
    fake.set_parse_token_accounts(false);
    let mut raw = rpc.token_holdings(&owner).await.unwrap();
    raw.sort_by_key(|h| h.amount.raw);
    assert_eq!(raw, holdings);

    fake.set_priority_fee(json!(10082.01));
    assert_eq!(rpc.priority_fee_estimate(&[owner]).await.unwrap(), 10_083, "rounded up");
    let req = fake.requests_for("getPriorityFeeEstimate").pop().unwrap();
    assert_eq!(req.params[0]["accountKeys"], json!([owner.to_string()]));
    assert_eq!(req.params[0]["options"]["priorityLevel"], json!("High"));

    let (hash, lvbh) = fake.latest_blockhash();
    let info = rpc.latest_blockhash().await.unwrap();
    assert_eq!((info.blockhash, info.last_valid_block_height), (hash, lvbh));
    assert_eq!(rpc.block_height().await.unwrap(), fake.block_height());
}

#[tokio::test]
async fn json_rpc_error_objects_map_to_rpc_errors_without_failover() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 2));
    fake.inject(Some(Node::Rpc(0)), Some("getBalance"), Fault::RpcError(-32602, "Invalid params".into()), 1);
    let err = rpc.balance(&Pubkey::new_unique()).await.unwrap_err();
    assert_eq!(err, ChainError::Rpc { code: -32602, message: "Invalid params".into() });
    assert_eq!(nodes_of(&fake, "getBalance"), vec![Node::Rpc(0)]);
}

#[tokio::test]
async fn fails_over_to_the_second_endpoint_on_5xx_and_comes_back_to_the_first() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 2));
    let who = funded(&fake, 5).pubkey();
    fake.inject(Some(Node::Rpc(0)), None, Fault::Status(503), 1);
    assert_eq!(rpc.balance(&who).await.unwrap(), Lamports(5));
    assert_eq!(rpc.balance(&who).await.unwrap(), Lamports(5));
    assert_eq!(nodes_of(&fake, "getBalance"), vec![Node::Rpc(0), Node::Rpc(1), Node::Rpc(0)]);
}

#[tokio::test]
async fn fails_over_when_the_first_endpoint_hangs() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 2));
    let who = funded(&fake, 5).pubkey();
    fake.inject(Some(Node::Rpc(0)), None, Fault::Hang, 1);
    let t0 = Instant::now();
    assert_eq!(rpc.balance(&who).await.unwrap(), Lamports(5));
    assert!(t0.elapsed() >= Duration::from_millis(400), "waited for the timeout");
    assert_eq!(nodes_of(&fake, "getBalance"), vec![Node::Rpc(0), Node::Rpc(1)]);
}

#[tokio::test]
async fn a_429_fails_over_and_the_endpoint_is_not_used_before_retry_after() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 2));
    let who = funded(&fake, 5).pubkey();
    fake.inject(Some(Node::Rpc(0)), None, Fault::RateLimited(Some(1)), 1);
    let deadline = Instant::now() + Duration::from_millis(1_500);
    while Instant::now() < deadline {
        rpc.balance(&who).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let reqs = fake.requests_for("getBalance");
    let limited_at = reqs[0].at;
    assert_eq!((reqs[0].node, reqs[1].node), (Node::Rpc(0), Node::Rpc(1)));
    for r in &reqs[1..] {
        if r.node == Node::Rpc(0) {
            assert!(
                r.at >= limited_at + Duration::from_secs(1),
                "endpoint 0 used {:?} after its 429",
                r.at - limited_at
            );
        }
    }
    assert!(reqs.iter().skip(1).any(|r| r.node == Node::Rpc(0)), "endpoint 0 is used again after Retry-After");
}

#[tokio::test]
async fn every_endpoint_rate_limited_beyond_max_wait_is_reported_as_rate_limited() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 2));
    fake.inject(None, None, Fault::RateLimited(Some(30)), 2);
    let err = rpc.balance(&Pubkey::new_unique()).await.unwrap_err();
    assert!(matches!(err, ChainError::RateLimited { retry_after_ms } if retry_after_ms > 25_000), "{err:?}");
    // and nothing more is sent while they cool down
    let again = rpc.balance(&Pubkey::new_unique()).await.unwrap_err();
    assert!(matches!(again, ChainError::RateLimited { .. }));
    assert_eq!(fake.requests_for("getBalance").len(), 2);
}

#[tokio::test]
async fn the_token_bucket_keeps_a_burst_within_rps() {
    let fake = FakeChain::start().await;
    let mut c = config(&fake, 1);
    c.rps = 20;
    c.burst = 1;
    let rpc = client(c);
    let who = Pubkey::new_unique();
    let t0 = Instant::now();
    let calls = (0..25).map(|_| {
        let rpc = rpc.clone();
        tokio::spawn(async move { rpc.balance(&who).await })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.unwrap().unwrap();
    }
    assert!(t0.elapsed() >= Duration::from_millis(1_150), "25 requests at 20/s take >= 1.2 s: {:?}", t0.elapsed());
    let mut times: Vec<Instant> = fake.requests_for("getBalance").iter().map(|r| r.at).collect();
    times.sort();
    assert_eq!(times.len(), 25);
    for (i, start) in times.iter().enumerate() {
        let in_window = times[i..].iter().filter(|t| **t < *start + Duration::from_secs(1)).count();
        assert!(in_window <= 21, "{in_window} requests within one second");
    }
}

#[tokio::test]
async fn the_circuit_breaker_opens_then_half_opens_and_closes() {
    let fake = FakeChain::start().await;
    let mut c = config(&fake, 1);
    c.retry.max_retries = 0;
    c.retry.max_wait = Duration::from_millis(100);
    c.breaker = BreakerPolicy {
        failure_threshold: 2,
        cooldown: Duration::from_millis(300),
        probe_timeout: Duration::from_millis(300),
    };
    let rpc = client(c);
    let who = funded(&fake, 9).pubkey();
    fake.inject(None, None, Fault::Status(502), 3);
    for _ in 0..2 {
        assert!(matches!(rpc.balance(&who).await, Err(ChainError::Unavailable(_))));
    }
    // open: refused without touching the network
    assert!(matches!(rpc.balance(&who).await, Err(ChainError::Unavailable(_))));
    assert_eq!(fake.requests_for("getBalance").len(), 2);
    // half-open after the cooldown: one probe, which fails and reopens
    tokio::time::sleep(Duration::from_millis(320)).await;
    assert!(rpc.balance(&who).await.is_err());
    assert_eq!(fake.requests_for("getBalance").len(), 3);
    assert!(rpc.balance(&who).await.is_err());
    assert_eq!(fake.requests_for("getBalance").len(), 3, "reopened");
    // next probe succeeds and closes it
    tokio::time::sleep(Duration::from_millis(320)).await;
    assert_eq!(rpc.balance(&who).await.unwrap(), Lamports(9));
    assert_eq!(rpc.balance(&who).await.unwrap(), Lamports(9));
    assert_eq!(fake.requests_for("getBalance").len(), 5);
}

#[tokio::test]
async fn the_cache_serves_the_blockhash_without_rpc_and_stops_on_shutdown() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 1));
    fake.set_priority_fee(json!(777.2));
    let settings = CacheSettings {
        blockhash_every: Duration::from_millis(50),
        priority_fee_every: Duration::from_millis(50),
        priority_fee_accounts: vec![Pubkey::new_unique()],
    };
    let cache = ChainCache::spawn(rpc.clone(), settings);
    tokio::time::sleep(Duration::from_millis(120)).await;
    fake.advance_blocks(1);
    let newest = fake.latest_blockhash().0;
    let deadline = Instant::now() + Duration::from_secs(5);
    while rpc.cached_blockhash().map(|b| b.blockhash) != Some(newest.clone()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cache.shutdown().await;
    let before = fake.requests().len();
    let info = rpc.latest_blockhash().await.unwrap();
    assert_eq!(info.blockhash, fake.latest_blockhash().0, "refreshed to the newest blockhash");
    assert_eq!(rpc.priority_fee_estimate(&[]).await.unwrap(), 778);
    assert_eq!(fake.requests().len(), before, "served from the cache");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(fake.requests().len(), before, "refresher stopped");
}

// ------------------------------------------------------------------ the fake's own checks

#[tokio::test]
async fn a_tampered_signature_or_a_stale_blockhash_is_rejected() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 1));
    let from = funded(&fake, SOL);
    let to = Pubkey::new_unique();
    let (mut tx, _) = transfer(&fake, &from, to, 1_000, None);
    let mut sig = tx.signatures[0].as_ref().to_vec();
    sig[0] ^= 1;
    tx.signatures[0] = solana_signature::Signature::try_from(sig.as_slice()).unwrap();
    let err = rpc.send(&tx, true).await.unwrap_err();
    assert!(matches!(err, ChainError::Rpc { code: -32003, .. }), "{err:?}");

    let (stale, lvbh) = transfer(&fake, &from, to, 1_000, None);
    fake.advance_blocks(BLOCKHASH_LIFETIME + 1);
    let err = rpc.send(&stale, false).await.unwrap_err();
    assert!(
        matches!(err, ChainError::Rpc { code: -32002, ref message } if message.contains("Blockhash not found") || message.contains("BlockhashNotFound")),
        "{err:?}"
    );
    let out = submit(&rpc, &stale, lvbh, &SubmitOptions { simulate_first: false, ..fast() }).await;
    assert!(matches!(out, SubmitOutcome::NotSent { .. }), "{out:?}");
    assert_eq!(fake.balance_of(&to), 0);
    assert_eq!(fake.balance_of(&from.pubkey()), SOL);
}

// ------------------------------------------------------------------ submit

#[tokio::test]
async fn a_withdrawal_lands_confirmed_and_moves_balances_once() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 1));
    let from = funded(&fake, SOL);
    let to = Pubkey::new_unique();
    let (tx, lvbh) = transfer(&fake, &from, to, SOL / 4, None);
    let out = submit(&rpc, &tx, lvbh, &fast()).await;
    let SubmitOutcome::Confirmed { signature, slot } = out else { panic!("{out:?}") };
    assert_eq!(signature, tx.signatures[0]);
    assert_eq!(fake.landed(&signature), Some((slot, None)));
    assert_eq!(fake.balance_of(&to), SOL / 4);
    assert_eq!(fake.balance_of(&from.pubkey()), SOL - SOL / 4 - FEE);
    assert_eq!(fake.requests_for("simulateTransaction").len(), 1);
    assert_eq!(fake.requests_for("sendTransaction")[0].params[1]["maxRetries"], json!(0));
}

#[tokio::test]
async fn a_failing_simulation_sends_nothing() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 1));
    let from = funded(&fake, SOL);
    let (tx, lvbh) = transfer(&fake, &from, Pubkey::new_unique(), 2 * SOL, None);
    let out = submit(&rpc, &tx, lvbh, &fast()).await;
    let SubmitOutcome::SimulationFailed { err, failure, .. } = out else { panic!("{out:?}") };
    assert_eq!(err, json!({"InstructionError": [2, {"Custom": 1}]}));
    assert!(matches!(failure, quantbot::solana::errors::TxFailure::InsufficientFunds { .. }), "{failure:?}");
    assert!(fake.requests_for("sendTransaction").is_empty());
    assert_eq!(fake.balance_of(&from.pubkey()), SOL);
}

#[tokio::test]
async fn a_transfer_that_fails_on_chain_is_failed_and_only_the_fee_is_charged() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 1));
    let from = funded(&fake, SOL);
    let to = Pubkey::new_unique();
    let (tx, lvbh) = transfer(&fake, &from, to, 2 * SOL, None);
    let opts = SubmitOptions { simulate_first: false, skip_preflight: true, ..fast() };
    let out = submit(&rpc, &tx, lvbh, &opts).await;
    let SubmitOutcome::Failed { err, failure, .. } = out else { panic!("{out:?}") };
    assert_eq!(err, json!({"InstructionError": [2, {"Custom": 1}]}));
    assert!(matches!(failure, quantbot::solana::errors::TxFailure::InsufficientFunds { .. }), "{failure:?}");
    assert_eq!(fake.balance_of(&from.pubkey()), SOL - FEE);
    assert_eq!(fake.balance_of(&to), 0);
}

#[tokio::test]
async fn nothing_landed_past_the_last_valid_block_height_is_expired_only_after_a_history_search() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 1));
    let from = funded(&fake, SOL);
    let (tx, lvbh) = transfer(&fake, &from, Pubkey::new_unique(), 1_000, None);
    fake.inject(None, Some("sendTransaction"), Fault::Drop, usize::MAX);
    let advancer = {
        let fake = fake.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            fake.advance_blocks(BLOCKHASH_LIFETIME + 1);
        })
    };
    let out = submit(&rpc, &tx, lvbh, &fast()).await;
    advancer.await.unwrap();
    assert_eq!(out, SubmitOutcome::Expired { signature: tx.signatures[0] });
    let reqs = fake.requests();
    let history = reqs
        .iter()
        .position(|r| r.method == "getSignatureStatuses" && r.params[1]["searchTransactionHistory"] == json!(true));
    let history = history.expect("a history search was made");
    assert!(reqs[..history].iter().any(|r| r.method == "getBlockHeight"), "height read before the search");
    assert!(sent_signatures(&reqs)[&tx.signatures[0].to_string()] >= 2, "rebroadcast while waiting");
    assert_eq!(fake.balance_of(&from.pubkey()), SOL, "nothing landed");
}

#[tokio::test]
async fn a_transaction_only_found_by_history_search_is_confirmed_not_expired() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 1));
    let from = funded(&fake, SOL);
    let (tx, lvbh) = transfer(&fake, &from, Pubkey::new_unique(), 1_000, None);
    fake.set_status_cache_slots(10);
    fake.advance_blocks(BLOCKHASH_LIFETIME - 1);
    // lands now, then falls out of the recent status cache as the chain moves on
    let landed = rpc.send(&tx, true).await.unwrap();
    fake.advance_blocks(20);
    let out = submit(&rpc, &tx, lvbh, &SubmitOptions { simulate_first: false, ..fast() }).await;
    assert!(matches!(out, SubmitOutcome::Confirmed { signature, .. } if signature == landed), "{out:?}");
    assert_eq!(fake.balance_of(&from.pubkey()), SOL - 1_000 - FEE, "applied once");
}

#[tokio::test]
async fn a_send_accepted_then_timed_out_resolves_to_confirmed() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 2));
    let from = funded(&fake, SOL);
    let to = Pubkey::new_unique();
    let (tx, lvbh) = transfer(&fake, &from, to, 5_000, None);
    fake.inject(Some(Node::Rpc(0)), Some("sendTransaction"), Fault::AcceptThenHang, 1);
    // the send alone reports the timeout, not a failure, and does not fail over
    let direct = rpc.send(&tx, true).await;
    assert_eq!(direct, Err(ChainError::Timeout));
    assert_eq!(nodes_of(&fake, "sendTransaction"), vec![Node::Rpc(0)]);

    let (tx2, lvbh2) = transfer(&fake, &from, to, 7_000, None);
    fake.inject(Some(Node::Rpc(0)), Some("sendTransaction"), Fault::AcceptThenHang, 1);
    let out = submit(&rpc, &tx2, lvbh2.max(lvbh), &fast()).await;
    assert!(matches!(out, SubmitOutcome::Confirmed { signature, .. } if signature == tx2.signatures[0]), "{out:?}");
    assert_eq!(fake.balance_of(&to), 12_000);
    assert_eq!(fake.balance_of(&from.pubkey()), SOL - 12_000 - 2 * FEE);
}

#[tokio::test]
async fn a_lagging_node_still_ends_confirmed_and_rebroadcasts_apply_once() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 1));
    let from = funded(&fake, SOL);
    let to = Pubkey::new_unique();
    let (tx, lvbh) = transfer(&fake, &from, to, 9_000, None);
    fake.lag_statuses(12);
    let out = submit(&rpc, &tx, lvbh, &SubmitOptions { simulate_first: false, ..fast() }).await;
    assert!(matches!(out, SubmitOutcome::Confirmed { .. }), "{out:?}");
    let reqs = fake.requests();
    assert!(reqs.iter().filter(|r| r.method == "getSignatureStatuses").count() > 12);
    assert!(sent_signatures(&reqs)[&tx.signatures[0].to_string()] >= 2, "rebroadcast during the lag");
    assert_eq!(fake.balance_of(&to), 9_000);
    assert_eq!(fake.balance_of(&from.pubkey()), SOL - 9_000 - FEE);
}

#[tokio::test]
async fn rebroadcast_sends_the_same_bytes_and_the_chain_applies_them_once() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 1));
    let from = funded(&fake, SOL);
    let to = Pubkey::new_unique();
    let (tx, lvbh) = transfer(&fake, &from, to, 3_000, None);
    fake.inject(None, Some("sendTransaction"), Fault::Drop, 2);
    fake.set_status_commitment("processed");
    let flip = {
        let fake = fake.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(600)).await;
            fake.set_status_commitment("finalized");
        })
    };
    let out = submit(&rpc, &tx, lvbh, &fast()).await;
    flip.await.unwrap();
    assert!(matches!(out, SubmitOutcome::Confirmed { .. }), "{out:?}");
    let reqs = fake.requests();
    assert_eq!(sent_payloads(&reqs).len(), 1, "one distinct byte string");
    assert!(sent_signatures(&reqs)[&tx.signatures[0].to_string()] >= 3);
    assert_eq!(fake.landed_count(), 1);
    assert_eq!(fake.balance_of(&to), 3_000, "zero double spend");
    // a late duplicate is idempotent too
    rpc.send(&tx, true).await.unwrap();
    assert_eq!(fake.balance_of(&from.pubkey()), SOL - 3_000 - FEE);
}

#[tokio::test]
async fn the_sender_path_requires_a_tip_and_lands_once() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 1));
    let from = funded(&fake, SOL);
    let to = Pubkey::new_unique();
    let tip = Lamports(5_000);
    let (tx, lvbh) = transfer(&fake, &from, to, 4_000, Some(tip));
    let out = submit(&rpc, &tx, lvbh, &SubmitOptions { use_sender: true, ..fast() }).await;
    assert!(matches!(out, SubmitOutcome::Confirmed { .. }), "{out:?}");
    let sends = fake.requests_for("sendTransaction");
    assert_eq!(sends[0].node, Node::Sender);
    assert_eq!(sends[0].params[1], json!({"encoding": "base64", "skipPreflight": true, "maxRetries": 0}));
    assert_eq!(fake.balance_of(&from.pubkey()), SOL - 4_000 - tip.0 - FEE);

    // without a tip the Sender refuses and the same bytes go through the RPC instead
    let (untipped, lvbh) = transfer(&fake, &from, to, 1_000, None);
    assert!(matches!(rpc.send_via_sender(&untipped).await, Err(ChainError::Rpc { .. })));
    let out = submit(&rpc, &untipped, lvbh, &SubmitOptions { use_sender: true, ..fast() }).await;
    assert!(matches!(out, SubmitOutcome::Confirmed { .. }), "{out:?}");
    assert_eq!(fake.balance_of(&to), 5_000);
}

#[tokio::test]
async fn simulate_reports_post_state_of_requested_accounts() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 1));
    let from = funded(&fake, SOL);
    let to = Pubkey::new_unique();
    let (tx, _) = transfer(&fake, &from, to, 1_234, None);
    let report = rpc.simulate(&tx, &[to, from.pubkey()]).await.unwrap();
    assert_eq!(report.err, None);
    assert!(report.units_consumed.unwrap() > 0 && !report.logs.is_empty());
    assert_eq!(report.accounts[0].as_ref().unwrap().lamports, Lamports(1_234));
    assert_eq!(report.accounts[1].as_ref().unwrap().lamports, Lamports(SOL - 1_234 - FEE));
    assert_eq!(fake.balance_of(&to), 0, "simulation changes nothing");
}

#[tokio::test]
async fn metrics_count_rpc_attempts_by_method_endpoint_and_outcome() {
    let fake = FakeChain::start().await;
    let metrics = Arc::new(Metrics::new());
    let rpc = HeliusClient::new(config(&fake, 2), Some(metrics.clone())).unwrap();
    fake.inject(Some(Node::Rpc(0)), None, Fault::Status(500), 1);
    rpc.balance(&Pubkey::new_unique()).await.unwrap();
    let text = metrics.render();
    assert!(
        text.contains(r#"quantbot_rpc_requests_total{method="getBalance",endpoint="rpc0",outcome="http_error"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"quantbot_rpc_requests_total{method="getBalance",endpoint="rpc1",outcome="ok"} 1"#),
        "{text}"
    );
    assert!(!text.contains("127.0.0.1"), "no URLs in metrics");
}

/// A toy program for the handler hook: writes the instruction data into account 0 (which it
/// must own); data `[0xff]` fails with Custom 6002 (like a pump slippage error).
struct Recorder;

impl ProgramHandler for Recorder {
    fn execute(&self, ix: &Ix<'_>, accounts: &mut Accounts) -> Result<(), serde_json::Value> {
        if ix.data == [0xff] {
            return Err(json!({"Custom": 6002}));
        }
        let target = ix.account(0)?;
        let acc = accounts.map.get_mut(&target.key).ok_or(json!("AccountNotFound"))?;
        if acc.owner != ix.program_id || !target.is_writable {
            return Err(json!("ExternalAccountDataModified"));
        }
        acc.data = ix.data.to_vec();
        Ok(())
    }
}

#[tokio::test]
async fn registered_program_handlers_and_ata_create_idempotent_run_inside_transactions() {
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 1));
    let program = Pubkey::new_unique();
    fake.register_program(program, Arc::new(Recorder));
    let store = Pubkey::new_unique();
    fake.set_account(&store, Account { lamports: 1, owner: program, data: vec![] });
    let user = funded(&fake, SOL);
    let spec = AtaSpec { owner: user.pubkey(), mint: Pubkey::new_unique(), token_program: TOKEN_PROGRAM };
    let ata = spec.address();
    let ix = |data: Vec<u8>| Instruction { program_id: program, accounts: vec![AccountMeta::new(store, false)], data };

    let (blockhash, lvbh) = fake.latest_blockhash();
    let mut draft = TxDraft::new(user.pubkey(), BUDGET);
    draft.push(create_ata_idempotent(&spec)).push(create_ata_idempotent(&spec)).push(ix(vec![1, 2, 3]));
    let tx = sign(draft.compile(blockhash.clone()).unwrap(), &user).unwrap();
    let out = submit(&rpc, &tx, lvbh, &fast()).await;
    assert!(matches!(out, SubmitOutcome::Confirmed { .. }), "{out:?}");
    assert_eq!(fake.account(&store).unwrap().data, vec![1, 2, 3]);
    assert_eq!(fake.token_amount(&ata), Some(0));
    assert_eq!(fake.account(&ata).unwrap().owner, TOKEN_PROGRAM);
    let rent = rpc.rent_exempt_minimum(165).await.unwrap().0;
    assert_eq!(fake.balance_of(&user.pubkey()), SOL - rent - FEE);

    let mut failing = TxDraft::new(user.pubkey(), BUDGET);
    failing.push(ix(vec![0xff]));
    let tx = sign(failing.compile(blockhash).unwrap(), &user).unwrap();
    let out = submit(&rpc, &tx, lvbh, &fast()).await;
    let SubmitOutcome::SimulationFailed { err, .. } = out else { panic!("{out:?}") };
    assert_eq!(err, json!({"InstructionError": [2, {"Custom": 6002}]}));
}

#[tokio::test]
async fn a_protected_send_goes_through_the_sender_only_with_the_dont_front_marker() {
    use quantbot::solana::tip::JITO_DONT_FRONT;
    let fake = FakeChain::start().await;
    let rpc = client(config(&fake, 1));
    let from = funded(&fake, SOL);
    let to = Pubkey::new_unique();
    let protected = SubmitOptions { use_sender: true, protected: true, ..fast() };
    let tip = Lamports(5_000);
    let (blockhash, lvbh) = fake.latest_blockhash();
    let mut draft = TxDraft::new(from.pubkey(), BUDGET);
    draft.push(system_transfer(&SystemTransfer { from: from.pubkey(), to, amount: Lamports(4_000) }));
    draft.set_tip(Some(Tip::protected(tip, 3)));
    let tx = sign(draft.compile(blockhash).unwrap(), &from).unwrap();
    assert!(tx.message.static_account_keys().contains(&JITO_DONT_FRONT));
    let out = submit(&rpc, &tx, lvbh, &protected).await;
    assert!(matches!(out, SubmitOutcome::Confirmed { .. }), "{out:?}");
    assert_eq!(nodes_of(&fake, "sendTransaction"), vec![Node::Sender], "never the public RPC path");
    assert_eq!(fake.balance_of(&from.pubkey()), SOL - 4_000 - tip.0 - FEE);

    // The Sender refuses (no tip): protected means nothing goes to the RPC instead.
    let (untipped, lvbh) = transfer(&fake, &from, to, 1_000, None);
    let out = submit(&rpc, &untipped, lvbh, &protected).await;
    assert!(matches!(out, SubmitOutcome::NotSent { .. }), "{out:?}");
    assert!(nodes_of(&fake, "sendTransaction").iter().all(|n| *n == Node::Sender));
    assert_eq!(fake.balance_of(&to), 4_000);
}
