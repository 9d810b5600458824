//! A fake Solana chain behind real HTTP on 127.0.0.1 (ephemeral port): JSON-RPC "nodes" at
//! `/rpc/{i}` (one shared ledger, per-node fault injection) and a Helius Sender at `/fast`.
//!
//! It verifies signatures and blockhash recency, charges fees (5000 per signature +
//! ceil(cu_limit * cu_price / 1e6)), executes instructions through `ProgramHandler`s (built in:
//! ComputeBudget, System transfer, ATA create), applies each signature at most once, records
//! every request and injects faults (429 + Retry-After, 5xx, hangs, accept-then-hang, dropped
//! sends, JSON-RPC errors, lagging status lookups). Shapes follow shared/reference/helius.

pub mod programs;
pub mod pump;
pub mod pumpswap;
mod runtime;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use quantbot::solana::ids::{
    ASSOCIATED_TOKEN_PROGRAM, COMPUTE_BUDGET_PROGRAM, SYSTEM_PROGRAM, TOKEN_2022_PROGRAM, TOKEN_PROGRAM,
};
use serde_json::{Value, json};
use solana_hash::Hash;
use solana_pubkey::Pubkey;
use solana_signature::Signature;

#[allow(unused_imports)] // re-exported for handler authors
pub use programs::{Account, Accounts, Ix, IxAccount, ProgramHandler};
use runtime::{Refusal, execute, has_sender_tip, refusal_err};
#[allow(unused_imports)] // not every test binary inspects sent transactions
pub use runtime::{decode_tx, has_dont_front, tip_transfers};

/// Which fake server a request hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Node {
    /// `/rpc/{i}`.
    Rpc(usize),
    /// `/fast` (Helius Sender).
    Sender,
}

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub at: Instant,
    pub node: Node,
    pub method: String,
    pub params: Value,
}

/// An injected fault.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// HTTP 429 with `Retry-After: secs` (no header when `None`).
    RateLimited(Option<u64>),
    /// This HTTP status (5xx) with a JSON-RPC internal-error body.
    Status(u16),
    /// Never answers.
    Hang,
    /// Handles the request (a send is applied) but never answers.
    AcceptThenHang,
    /// A send answers with the signature but the transaction is lost (never lands).
    Drop,
    /// A JSON-RPC error object with HTTP 200.
    RpcError(i64, String),
}

struct FaultRule {
    node: Option<Node>,
    method: Option<String>,
    fault: Fault,
    remaining: usize,
}

#[derive(Debug, Clone)]
struct Landed {
    slot: u64,
    err: Option<Value>,
}

struct State {
    accounts: Accounts,
    block_height: u64,
    slot: u64,
    blockhashes: Vec<(Hash, u64)>,
    landed: HashMap<Signature, Landed>,
    requests: Vec<Recorded>,
    faults: Vec<FaultRule>,
    status_lag: usize,
    priority_fee: Value,
    status_commitment: String,
    status_cache_slots: Option<u64>,
    parse_token_accounts: bool,
    sender_min_tip: u64,
    sender_requires_dont_front: bool,
    handlers: HashMap<Pubkey, Arc<dyn ProgramHandler>>,
    /// `getSignaturesForAddress`: per address, oldest first `(signature, slot, block time)`.
    history: HashMap<Pubkey, Vec<(Signature, u64, i64)>>,
    /// `getTransaction` answers (copy trading: leader transactions).
    transactions: HashMap<Signature, Value>,
}

type Shared = Arc<Mutex<State>>;

/// The running fake chain.
#[derive(Clone)]
pub struct FakeChain {
    pub base: String,
    shared: Shared,
}

/// Blocks a blockhash stays valid for.
pub const BLOCKHASH_LIFETIME: u64 = 150;

impl FakeChain {
    pub async fn start() -> Self {
        let mut handlers: HashMap<Pubkey, Arc<dyn ProgramHandler>> = HashMap::new();
        handlers.insert(COMPUTE_BUDGET_PROGRAM, Arc::new(programs::ComputeBudgetProgram));
        handlers.insert(SYSTEM_PROGRAM, Arc::new(programs::SystemProgram));
        handlers.insert(ASSOCIATED_TOKEN_PROGRAM, Arc::new(programs::AtaProgram));
        // The SPL Token programs are always on chain (transfers, SyncNative, CloseAccount).
        handlers.insert(quantbot::solana::ids::TOKEN_PROGRAM, Arc::new(pumpswap::TokenProgram));
        handlers.insert(quantbot::solana::ids::TOKEN_2022_PROGRAM, Arc::new(pumpswap::TokenProgram));
        let state = State {
            accounts: Accounts::default(),
            block_height: 1_000,
            slot: 2_000,
            blockhashes: vec![(Hash::new_from_array(rand::random()), 1_000 + BLOCKHASH_LIFETIME)],
            landed: HashMap::new(),
            requests: Vec::new(),
            faults: Vec::new(),
            status_lag: 0,
            priority_fee: json!(120000.0),
            status_commitment: "confirmed".to_owned(),
            status_cache_slots: None,
            parse_token_accounts: true,
            sender_min_tip: 5_000,
            sender_requires_dont_front: false,
            handlers,
            history: HashMap::new(),
            transactions: HashMap::new(),
        };
        let shared: Shared = Arc::new(Mutex::new(state));
        let app = Router::new()
            .route("/rpc/{node}", post(rpc))
            .route("/fast", post(sender))
            .route("/ping", get(|| async { "pong" }))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind fake chain");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { base: format!("http://{addr}"), shared }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.shared.lock().unwrap())
    }

    pub fn rpc_url(&self, node: usize) -> String {
        format!("{}/rpc/{node}", self.base)
    }

    pub fn sender_url(&self) -> String {
        format!("{}/fast", self.base)
    }

    /// The Sender refuses transactions without the `jitodontfront` marker (a protected-only
    /// Sender, to prove a path sends protected bytes).
    pub fn require_dont_front(&self, require: bool) {
        self.with(|s| s.sender_requires_dont_front = require);
    }

    // ---- ledger ----

    /// Appends `count` transactions to `address`'s history, the first at unix time `first`, one a
    /// second after it (what `getSignaturesForAddress` lists, newest first).
    pub fn seed_history(&self, address: &Pubkey, first: i64, count: usize) {
        self.with(|s| {
            let slot = s.slot;
            let list = s.history.entry(*address).or_default();
            for i in 0..count {
                let at = first + i64::try_from(i).unwrap();
                list.push((Signature::from(rand::random::<[u8; 64]>()), slot + i as u64, at));
            }
        });
    }

    /// Lands a transaction of `address` (copy trading: a leader's swap): listed by
    /// `getSignaturesForAddress` and returned by `getTransaction` as `result`.
    pub fn land_transaction(&self, address: &Pubkey, signature: Signature, slot: u64, block_time: i64, result: Value) {
        self.with(|s| {
            s.history.entry(*address).or_default().push((signature, slot, block_time));
            s.transactions.insert(signature, result);
        });
    }

    pub fn fund(&self, key: &Pubkey, lamports: u64) {
        self.with(|s| s.accounts.map.entry(*key).or_insert_with(|| Account::system(0)).lamports += lamports);
    }

    pub fn set_account(&self, key: &Pubkey, account: Account) {
        self.with(|s| s.accounts.map.insert(*key, account));
    }

    pub fn account(&self, key: &Pubkey) -> Option<Account> {
        self.with(|s| s.accounts.get(key).cloned())
    }

    pub fn balance_of(&self, key: &Pubkey) -> u64 {
        self.with(|s| s.accounts.lamports(key))
    }

    /// Creates (or overwrites) `owner`'s associated token account for `mint` under `program`,
    /// creating the mint with `decimals` if missing. Returns the token account address.
    pub fn add_token_account(
        &self,
        owner: &Pubkey,
        mint: &Pubkey,
        amount: u64,
        decimals: u8,
        program: &Pubkey,
    ) -> Pubkey {
        let (ata, _) =
            Pubkey::find_program_address(&[owner.as_ref(), program.as_ref(), mint.as_ref()], &ASSOCIATED_TOKEN_PROGRAM);
        self.with(|s| {
            s.accounts.map.entry(*mint).or_insert_with(|| Account {
                lamports: programs::rent_exempt(82),
                owner: *program,
                data: programs::mint_data(1_000_000_000_000, decimals),
            });
            s.accounts.map.insert(
                ata,
                Account {
                    lamports: programs::rent_exempt(165),
                    owner: *program,
                    data: programs::token_account_data(mint, owner, amount),
                },
            );
        });
        ata
    }

    /// The token amount held in a token account.
    pub fn token_amount(&self, account: &Pubkey) -> Option<u64> {
        self.account(account).and_then(|a| a.data.get(64..72).map(|b| u64::from_le_bytes(b.try_into().unwrap())))
    }

    pub fn register_program(&self, program: Pubkey, handler: Arc<dyn ProgramHandler>) {
        self.with(|s| s.handlers.insert(program, handler));
    }

    // ---- clock ----

    /// Newest blockhash and its last valid block height.
    pub fn latest_blockhash(&self) -> (Hash, u64) {
        self.with(|s| s.blockhashes.last().unwrap().clone())
    }

    pub fn block_height(&self) -> u64 {
        self.with(|s| s.block_height)
    }

    /// Advances block height and slot by `n`, minting a new latest blockhash.
    pub fn advance_blocks(&self, n: u64) {
        self.with(|s| {
            s.block_height += n;
            s.slot += n;
            let lvbh = s.block_height + BLOCKHASH_LIFETIME;
            s.blockhashes.push((Hash::new_from_array(rand::random()), lvbh));
        });
    }

    // ---- knobs ----

    /// The next `times` requests matching `node` (any if `None`) and `method` (any if `None`)
    /// get `fault`.
    pub fn inject(&self, node: Option<Node>, method: Option<&str>, fault: Fault, times: usize) {
        self.with(|s| s.faults.push(FaultRule { node, method: method.map(str::to_owned), fault, remaining: times }));
    }

    /// The next `polls` getSignatureStatuses requests answer `null` for every signature.
    pub fn lag_statuses(&self, polls: usize) {
        self.with(|s| s.status_lag = polls);
    }

    pub fn set_priority_fee(&self, fee: Value) {
        self.with(|s| s.priority_fee = fee);
    }

    pub fn set_status_commitment(&self, commitment: &str) {
        self.with(|s| s.status_commitment = commitment.to_owned());
    }

    /// Statuses without `searchTransactionHistory` only know transactions landed within the
    /// last `slots` slots.
    pub fn set_status_cache_slots(&self, slots: u64) {
        self.with(|s| s.status_cache_slots = Some(slots));
    }

    /// `false`: getTokenAccountsByOwner answers base64 even when asked for jsonParsed.
    pub fn set_parse_token_accounts(&self, parse: bool) {
        self.with(|s| s.parse_token_accounts = parse);
    }

    // ---- observations ----

    pub fn requests(&self) -> Vec<Recorded> {
        self.with(|s| s.requests.clone())
    }

    pub fn requests_for(&self, method: &str) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| r.method == method).collect()
    }

    /// `(slot, err)` if the signature landed.
    pub fn landed(&self, sig: &Signature) -> Option<(u64, Option<Value>)> {
        self.with(|s| s.landed.get(sig).map(|l| (l.slot, l.err.clone())))
    }

    pub fn landed_count(&self) -> usize {
        self.with(|s| s.landed.len())
    }
}

// ---------------------------------------------------------------- HTTP

async fn rpc(AxState(shared): AxState<Shared>, Path(node): Path<usize>, body: Bytes) -> Response {
    handle(shared, Node::Rpc(node), body).await
}

async fn sender(AxState(shared): AxState<Shared>, body: Bytes) -> Response {
    handle(shared, Node::Sender, body).await
}

fn rpc_ok(id: &Value, result: Value) -> Response {
    axum::Json(json!({"jsonrpc": "2.0", "id": id, "result": result})).into_response()
}

fn rpc_err(id: &Value, code: i64, message: &str, data: Option<Value>) -> Response {
    let mut error = json!({"code": code, "message": message});
    if let Some(d) = data {
        error["data"] = d;
    }
    axum::Json(json!({"jsonrpc": "2.0", "id": id, "error": error})).into_response()
}

async fn handle(shared: Shared, node: Node, body: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return rpc_err(&Value::Null, -32700, "Parse error", None);
    };
    let id = req["id"].clone();
    let method = req["method"].as_str().unwrap_or_default().to_owned();
    let params = req["params"].clone();
    let fault = {
        let mut s = shared.lock().unwrap();
        s.requests.push(Recorded { at: Instant::now(), node, method: method.clone(), params: params.clone() });
        take_fault(&mut s, node, &method)
    };
    match fault {
        Some(Fault::RateLimited(after)) => {
            let mut resp = (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(
                    json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32005, "message": "Too many requests"}}),
                ),
            )
                .into_response();
            if let Some(secs) = after {
                resp.headers_mut().insert("retry-after", HeaderValue::from(secs));
            }
            return resp;
        }
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32603, "message": "Internal error"}});
            return (status, axum::Json(body)).into_response();
        }
        Some(Fault::Hang) => return hang().await,
        Some(Fault::RpcError(code, message)) => return rpc_err(&id, code, &message, None),
        _ => {}
    }
    let drop_send = fault == Some(Fault::Drop);
    let resp = {
        let mut s = shared.lock().unwrap();
        dispatch(&mut s, node, &method, &params, drop_send, &id)
    };
    if fault == Some(Fault::AcceptThenHang) {
        return hang().await;
    }
    resp
}

async fn hang() -> Response {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    StatusCode::GATEWAY_TIMEOUT.into_response()
}

fn take_fault(s: &mut State, node: Node, method: &str) -> Option<Fault> {
    let rule = s.faults.iter_mut().find(|r| {
        r.remaining > 0 && r.node.is_none_or(|n| n == node) && r.method.as_deref().is_none_or(|m| m == method)
    })?;
    rule.remaining -= 1;
    Some(rule.fault.clone())
}

fn dispatch(s: &mut State, node: Node, method: &str, params: &Value, drop_send: bool, id: &Value) -> Response {
    let ctx = json!({"slot": s.slot, "apiVersion": "2.3.3"});
    if node == Node::Sender && method != "sendTransaction" {
        return rpc_err(id, -32601, "Method not found", None);
    }
    match method {
        "getBalance" => match key(&params[0]) {
            Some(k) => rpc_ok(id, json!({"context": ctx, "value": s.accounts.lamports(&k)})),
            None => rpc_err(id, -32602, "Invalid param: Invalid", None),
        },
        "getAccountInfo" => match key(&params[0]) {
            Some(k) => rpc_ok(id, json!({"context": ctx, "value": s.accounts.get(&k).map(account_json)})),
            None => rpc_err(id, -32602, "Invalid param: Invalid", None),
        },
        "getMultipleAccounts" => {
            let keys: Option<Vec<Pubkey>> = params[0].as_array().map(|a| a.iter().filter_map(key).collect());
            match keys {
                Some(keys) if keys.len() <= 100 && Some(keys.len()) == params[0].as_array().map(Vec::len) => {
                    let value: Vec<Value> =
                        keys.iter().map(|k| s.accounts.get(k).map_or(Value::Null, account_json)).collect();
                    rpc_ok(id, json!({"context": ctx, "value": value}))
                }
                _ => rpc_err(id, -32602, "Invalid params", None),
            }
        }
        "getTokenAccountsByOwner" => token_accounts_by_owner(s, params, id, ctx),
        "getTokenLargestAccounts" => largest_accounts(s, params, id, ctx),
        "getLatestBlockhash" => {
            let (hash, lvbh) = s.blockhashes.last().unwrap().clone();
            rpc_ok(id, json!({"context": ctx, "value": {"blockhash": hash.to_string(), "lastValidBlockHeight": lvbh}}))
        }
        "getBlockHeight" => rpc_ok(id, json!(s.block_height)),
        "getSlot" => rpc_ok(id, json!(s.slot)),
        "getMinimumBalanceForRentExemption" => match params[0].as_u64() {
            Some(len) => rpc_ok(id, json!(programs::rent_exempt(len as usize))),
            None => rpc_err(id, -32602, "Invalid params", None),
        },
        "getPriorityFeeEstimate" => {
            if params[0]["options"]["includeAllPriorityFeeLevels"] == json!(true) {
                rpc_ok(
                    id,
                    json!({"priorityFeeLevels": {"min": 0.0, "low": 2.0, "medium": 10082.0,
                    "high": s.priority_fee, "veryHigh": 1000000.0, "unsafeMax": 50000000.0}}),
                )
            } else if params[0].get("accountKeys").is_some() || params[0].get("transaction").is_some() {
                rpc_ok(id, json!({"priorityFeeEstimate": s.priority_fee}))
            } else {
                rpc_err(id, -32602, "Invalid params", None)
            }
        }
        // The standard (public RPC) fee API: recent per-slot minimum fees.
        "getRecentPrioritizationFees" => {
            let fee = s.priority_fee.as_f64().map_or(0, |f| f.ceil() as u64);
            let slots: Vec<Value> =
                (0..3u64).map(|i| json!({"slot": s.block_height + i, "prioritizationFee": fee * i})).collect();
            rpc_ok(id, Value::Array(slots))
        }
        "getSignatureStatuses" => signature_statuses(s, params, id, ctx),
        "getSignaturesForAddress" => signatures_for_address(s, params, id),
        "getTransaction" => {
            let sig = params[0].as_str().and_then(|t| t.parse::<Signature>().ok());
            rpc_ok(id, sig.and_then(|k| s.transactions.get(&k).cloned()).unwrap_or(Value::Null))
        }
        "simulateTransaction" => simulate(s, params, id, ctx),
        "sendTransaction" => send(s, node, params, drop_send, id),
        _ => rpc_err(id, -32601, "Method not found", None),
    }
}

fn key(v: &Value) -> Option<Pubkey> {
    v.as_str()?.parse().ok()
}

fn account_json(a: &Account) -> Value {
    json!({"lamports": a.lamports, "owner": a.owner.to_string(), "data": [B64.encode(&a.data), "base64"],
        "executable": false, "rentEpoch": u64::MAX, "space": a.data.len()})
}

/// `getSignaturesForAddress`: newest first, `before` / `until` exclusive, at most `limit` (1000).
fn signatures_for_address(s: &State, params: &Value, id: &Value) -> Response {
    let Some(address) = key(&params[0]) else { return rpc_err(id, -32602, "Invalid param: Invalid", None) };
    let opts = &params[1];
    let limit = opts["limit"].as_u64().unwrap_or(1000);
    if !(1..=1000).contains(&limit) {
        return rpc_err(id, -32602, "Invalid limit; max 1000", None);
    }
    let sig = |v: &Value| v.as_str().and_then(|t| t.parse::<Signature>().ok());
    let (before, until) = (sig(&opts["before"]), sig(&opts["until"]));
    let list = s.history.get(&address).map(Vec::as_slice).unwrap_or_default();
    let value: Vec<Value> = list
        .iter()
        .rev()
        .skip_while(|(k, ..)| before.is_some_and(|b| b != *k))
        .skip(usize::from(before.is_some()))
        .take_while(|(k, ..)| until.is_none_or(|u| u != *k))
        .take(limit as usize)
        .map(|(k, slot, at)| {
            json!({"signature": k.to_string(), "slot": slot, "err": null, "memo": null, "blockTime": at,
                "confirmationStatus": "finalized"})
        })
        .collect();
    rpc_ok(id, Value::Array(value))
}

/// `getTokenLargestAccounts`: the 20 largest token accounts of a mint (amounts as strings).
fn largest_accounts(s: &State, params: &Value, id: &Value, ctx: Value) -> Response {
    let Some(mint) = key(&params[0]) else { return rpc_err(id, -32602, "Invalid param: Invalid", None) };
    let Some(decimals) = s.accounts.get(&mint).and_then(|m| m.data.get(44).copied()) else {
        return rpc_err(id, -32602, "Invalid param: could not find mint", None);
    };
    let mut holders: Vec<(Pubkey, u64)> = s
        .accounts
        .map
        .iter()
        .filter(|(_, a)| (a.owner == TOKEN_PROGRAM || a.owner == TOKEN_2022_PROGRAM) && a.data.len() >= 165)
        .filter(|(_, a)| a.data[..32] == mint.to_bytes())
        .map(|(k, a)| (*k, u64::from_le_bytes(a.data[64..72].try_into().unwrap())))
        .collect();
    holders.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let value: Vec<Value> = holders
        .iter()
        .take(20)
        .map(|(k, amount)| json!({"address": k.to_string(), "amount": amount.to_string(), "decimals": decimals}))
        .collect();
    rpc_ok(id, json!({"context": ctx, "value": value}))
}

fn token_accounts_by_owner(s: &State, params: &Value, id: &Value, ctx: Value) -> Response {
    let Some(owner) = key(&params[0]) else { return rpc_err(id, -32602, "Invalid param: Invalid", None) };
    let filter = &params[1];
    let (program, mint) = match (key(&filter["programId"]), key(&filter["mint"])) {
        (Some(p), None) if p == TOKEN_PROGRAM || p == TOKEN_2022_PROGRAM => (Some(p), None),
        (None, Some(m)) => (None, Some(m)),
        _ => return rpc_err(id, -32602, "Invalid param: unrecognized Token program id", None),
    };
    let parsed = params[2]["encoding"] == json!("jsonParsed") && s.parse_token_accounts;
    let mut items = Vec::new();
    let mut keys: Vec<&Pubkey> = s.accounts.map.keys().collect();
    keys.sort();
    for k in keys {
        let a = &s.accounts.map[k];
        let is_token = a.owner == TOKEN_PROGRAM || a.owner == TOKEN_2022_PROGRAM;
        if !is_token || a.data.len() < 165 || a.data[32..64] != owner.to_bytes() {
            continue;
        }
        let acc_mint = Pubkey::try_from(&a.data[0..32]).unwrap();
        if program.is_some_and(|p| p != a.owner) || mint.is_some_and(|m| m != acc_mint) {
            continue;
        }
        let amount = u64::from_le_bytes(a.data[64..72].try_into().unwrap());
        let decimals = s.accounts.get(&acc_mint).and_then(|m| m.data.get(44).copied());
        let account = match (parsed, decimals) {
            (true, Some(d)) => {
                let ui = amount as f64 / 10f64.powi(i32::from(d));
                json!({"lamports": a.lamports, "owner": a.owner.to_string(), "executable": false,
                    "rentEpoch": u64::MAX, "space": a.data.len(), "data": {
                    "program": if a.owner == TOKEN_PROGRAM { "spl-token" } else { "spl-token-2022" },
                    "space": a.data.len(),
                    "parsed": {"type": "account", "info": {"isNative": false, "mint": acc_mint.to_string(),
                        "owner": owner.to_string(), "state": "initialized",
                        "tokenAmount": {"amount": amount.to_string(), "decimals": d, "uiAmount": ui,
                            "uiAmountString": ui.to_string()}}}}})
            }
            _ => account_json(a),
        };
        items.push(json!({"pubkey": k.to_string(), "account": account}));
    }
    rpc_ok(id, json!({"context": ctx, "value": items}))
}

fn signature_statuses(s: &mut State, params: &Value, id: &Value, ctx: Value) -> Response {
    let Some(list) = params[0].as_array() else { return rpc_err(id, -32602, "Invalid params", None) };
    if list.len() > 256 {
        return rpc_err(id, -32602, "Too many inputs provided; max 256", None);
    }
    let history = params[1]["searchTransactionHistory"] == json!(true);
    let lagging = s.status_lag > 0;
    if lagging {
        s.status_lag -= 1;
    }
    let mut value = Vec::new();
    for item in list {
        let Some(sig) = item.as_str().and_then(|t| t.parse::<Signature>().ok()) else {
            return rpc_err(id, -32602, "Invalid param: Invalid", None);
        };
        let landed = s.landed.get(&sig).filter(|l| {
            !lagging && (history || s.status_cache_slots.is_none_or(|w| s.slot.saturating_sub(l.slot) <= w))
        });
        value.push(match landed {
            None => Value::Null,
            Some(l) => {
                let finalized = s.status_commitment == "finalized";
                let status = match &l.err {
                    None => json!({"Ok": null}),
                    Some(e) => json!({"Err": e}),
                };
                json!({"slot": l.slot, "confirmations": if finalized { Value::Null } else { json!(1) },
                    "err": l.err, "status": status, "confirmationStatus": s.status_commitment})
            }
        });
    }
    rpc_ok(id, json!({"context": ctx, "value": value}))
}

// ---------------------------------------------------------------- transactions

fn simulate(s: &State, params: &Value, id: &Value, ctx: Value) -> Response {
    let mut tx = match decode_tx(params) {
        Ok(tx) => tx,
        Err(e) => return rpc_err(id, -32602, &format!("invalid transaction: {e}"), None),
    };
    let verify = params[1]["sigVerify"] == json!(true);
    // `replaceRecentBlockhash` (real RPC: only with sigVerify false) simulates on the latest.
    let replacement = match params[1]["replaceRecentBlockhash"] == json!(true) {
        true if verify => return rpc_err(id, -32602, "sigVerify may not be used with replaceRecentBlockhash", None),
        true => {
            let (hash, lvbh) = s.blockhashes.last().unwrap().clone();
            tx.message.set_recent_blockhash(hash.clone());
            json!({"blockhash": hash.to_string(), "lastValidBlockHeight": lvbh})
        }
        false => Value::Null,
    };
    let (err, logs, units, after) = match execute(s, &tx, verify) {
        Ok(x) => (x.err, x.logs, x.units, Some(x.after)),
        Err(Refusal::Signature) => return rpc_err(id, -32003, "Transaction signature verification failure", None),
        Err(Refusal::Malformed(m)) => return rpc_err(id, -32602, &format!("invalid transaction: {m}"), None),
        Err(r) => (Some(refusal_err(&r)), Vec::new(), 0, None),
    };
    let accounts = params[1]["accounts"]["addresses"].as_array().map(|list| {
        list.iter()
            .map(|k| {
                let acc = key(k).and_then(|k| after.as_ref().and_then(|a| a.get(&k).cloned()));
                acc.as_ref().map_or(Value::Null, account_json)
            })
            .collect::<Vec<_>>()
    });
    rpc_ok(
        id,
        json!({"context": ctx, "value": {"err": err, "logs": logs, "accounts": accounts,
        "unitsConsumed": units, "returnData": null, "innerInstructions": null, "replacementBlockhash": replacement}}),
    )
}

fn send(s: &mut State, node: Node, params: &Value, drop_send: bool, id: &Value) -> Response {
    let tx = match decode_tx(params) {
        Ok(tx) => tx,
        Err(e) => return rpc_err(id, -32602, &format!("invalid transaction: {e}"), None),
    };
    let Some(sig) = tx.signatures.first().copied() else {
        return rpc_err(id, -32602, "invalid transaction: no signatures", None);
    };
    let cfg = &params[1];
    let skip_preflight = cfg["skipPreflight"] == json!(true);
    if node == Node::Sender {
        if !skip_preflight || cfg["maxRetries"] != json!(0) {
            return rpc_err(id, -32602, "Sender requires skipPreflight=true and maxRetries=0", None);
        }
        if !has_sender_tip(&tx, s.sender_min_tip) {
            return rpc_err(id, -32602, "Sender requires a compute unit price and a tip transfer", None);
        }
        if s.sender_requires_dont_front && !has_dont_front(&tx) {
            return rpc_err(id, -32602, "this Sender only takes transactions carrying jitodontfront", None);
        }
    }
    if s.landed.contains_key(&sig) {
        return match skip_preflight {
            true => rpc_ok(id, json!(sig.to_string())),
            false => {
                rpc_err(id, -32002, "Transaction simulation failed: This transaction has already been processed", None)
            }
        };
    }
    let exec = execute(s, &tx, true);
    let exec = match exec {
        Ok(x) => x,
        Err(Refusal::Signature) => return rpc_err(id, -32003, "Transaction signature verification failure", None),
        Err(Refusal::Malformed(m)) => return rpc_err(id, -32602, &format!("invalid transaction: {m}"), None),
        Err(r) if !skip_preflight => {
            let err = refusal_err(&r);
            let msg = format!("Transaction simulation failed: {err}");
            return rpc_err(id, -32002, &msg, Some(json!({"err": err, "logs": []})));
        }
        // Without preflight the node forwards it and the leader drops it: it never lands.
        Err(_) => return rpc_ok(id, json!(sig.to_string())),
    };
    if let Some(err) = exec.err.as_ref().filter(|_| !skip_preflight) {
        let msg = format!("Transaction simulation failed: Error processing Instruction: {err}");
        return rpc_err(id, -32002, &msg, Some(json!({"err": err, "logs": exec.logs})));
    }
    if drop_send {
        return rpc_ok(id, json!(sig.to_string()));
    }
    s.accounts = exec.after;
    s.slot += 1;
    s.landed.insert(sig, Landed { slot: s.slot, err: exec.err });
    rpc_ok(id, json!(sig.to_string()))
}

/// All signatures of transactions whose bytes were sent, with how often each was sent.
pub fn sent_signatures(requests: &[Recorded]) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for r in requests.iter().filter(|r| r.method == "sendTransaction") {
        if let Ok(tx) = decode_tx(&r.params) {
            *out.entry(tx.signatures[0].to_string()).or_insert(0) += 1;
        }
    }
    out
}

/// Distinct transaction byte strings sent.
pub fn sent_payloads(requests: &[Recorded]) -> HashSet<String> {
    requests
        .iter()
        .filter(|r| r.method == "sendTransaction")
        .filter_map(|r| r.params[0].as_str().map(str::to_owned))
        .collect()
}

/// `{base}/fast` for a fake chain RPC URL `{base}/rpc/{i}`.
pub fn sender_url_for(rpc: &str) -> Option<String> {
    let (base, node) = rpc.rsplit_once("/rpc/")?;
    node.parse::<usize>().ok().map(|_| format!("{base}/fast"))
}
