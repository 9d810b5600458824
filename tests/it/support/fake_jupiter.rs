//! A fake Jupiter Metis v1 API over real HTTP on 127.0.0.1 (ephemeral port), serving the
//! recorded fixtures in `tests/fixtures/jupiter/`: `GET /quote` answers the recorded SOL→USDC
//! quote (with the requested mints, amount and slippage echoed), `POST /swap-instructions`
//! answers the recorded route with the requesting user (and that user's wSOL / USDC token
//! accounts) substituted for the recorded one. Records every request (with its headers) and
//! injects 429s with `Retry-After`.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use quantbot::solana::ids::{TOKEN_PROGRAM, USDC_MINT, WSOL_MINT};
use quantbot::solana::instructions::AtaSpec;
use serde_json::{Value, json};
use solana_pubkey::Pubkey;

pub const QUOTE: &str = include_str!("../../fixtures/jupiter/quote.SOL-USDC.json");
pub const SWAP_INSTRUCTIONS: &str = include_str!("../../fixtures/jupiter/swap-instructions.SOL-USDC.json");
pub const LOOKUP_TABLE: &str = include_str!("../../fixtures/jupiter/lookup-table.Ff5n.json");
/// The user the recorded route was built for.
const RECORDED_USER: &str = "J5hkNQTVi18NCEMSGBsMY9mdtHfb5JFpUc4bHE7D89ft";
const RECORDED_WSOL_ATA: &str = "5FgYfpGMzdVKNXcqTJvbd6gQF4oRHcSvGoXCQNGGZVBD";
const RECORDED_USDC_ATA: &str = "96JSdUtiAs1T2dEkm3JH2Rs5q29hEBrePMjc8y4rP6V";

/// One recorded request.
#[derive(Debug, Clone)]
pub struct JupRequest {
    pub at: Instant,
    pub path: String,
    pub api_key: Option<String>,
    pub query: Vec<(String, String)>,
    pub body: Value,
}

#[derive(Default)]
struct Inner {
    requests: Vec<JupRequest>,
    /// (remaining, retry_after secs) for the next requests.
    rate_limit: Option<(usize, u64)>,
    no_route: bool,
}

/// The running fake.
#[derive(Clone)]
pub struct FakeJupiter {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

impl FakeJupiter {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/swap/v1/quote", get(quote))
            .route("/swap/v1/swap-instructions", post(swap_instructions))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind fake jupiter");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url: format!("http://{addr}/swap/v1"), inner }
    }

    /// The next `times` requests answer 429 with `Retry-After: secs`.
    pub fn rate_limit(&self, times: usize, secs: u64) {
        self.inner.lock().unwrap().rate_limit = Some((times, secs));
    }

    /// `/quote` answers 400 "Could not find any routes".
    pub fn set_no_route(&self, no_route: bool) {
        self.inner.lock().unwrap().no_route = no_route;
    }

    pub fn requests(&self) -> Vec<JupRequest> {
        self.inner.lock().unwrap().requests.clone()
    }
}

/// The lookup table fixture: `(table address, addresses)`.
pub fn lookup_table() -> (Pubkey, Vec<Pubkey>) {
    let v: Value = serde_json::from_str(LOOKUP_TABLE).unwrap();
    let key = v["key"].as_str().unwrap().parse().unwrap();
    let addresses = v["addresses"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().parse().unwrap()).collect();
    (key, addresses)
}

/// AddressLookupTable account bytes: 56-byte header (type 1, never deactivated) + keys.
pub fn lookup_table_data(addresses: &[Pubkey]) -> Vec<u8> {
    let mut data = vec![0u8; 56];
    data[..4].copy_from_slice(&1u32.to_le_bytes());
    data[4..12].copy_from_slice(&u64::MAX.to_le_bytes());
    for a in addresses {
        data.extend_from_slice(a.as_ref());
    }
    data
}

fn record(
    inner: &Mutex<Inner>,
    path: &str,
    headers: &HeaderMap,
    query: Vec<(String, String)>,
    body: Value,
) -> Option<Response> {
    let mut s = inner.lock().unwrap();
    let api_key = headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    s.requests.push(JupRequest { at: Instant::now(), path: path.to_owned(), api_key, query, body });
    if let Some((remaining, secs)) = s.rate_limit
        && remaining > 0
    {
        s.rate_limit = Some((remaining - 1, secs));
        let body = json!({"error": "Rate limit exceeded"});
        let mut resp = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
        resp.headers_mut().insert("retry-after", secs.into());
        resp.headers_mut().insert("x-ratelimit-remaining", 0.into());
        return Some(resp);
    }
    None
}

async fn quote(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    if let Some(limited) = record(&inner, "/quote", &headers, query.clone(), Value::Null) {
        return limited;
    }
    if inner.lock().unwrap().no_route {
        let body = json!({"error": "Could not find any routes for the given input and output mints", "errorCode": "COULD_NOT_FIND_ANY_ROUTE"});
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    let get = |k: &str| query.iter().find(|(q, _)| q == k).map(|(_, v)| v.clone());
    let mut q: Value = serde_json::from_str(QUOTE).unwrap();
    if let (Some(input), Some(output)) = (get("inputMint"), get("outputMint")) {
        q["inputMint"] = json!(input);
        q["outputMint"] = json!(output);
        q["routePlan"][0]["swapInfo"]["inputMint"] = json!(input);
        q["routePlan"][0]["swapInfo"]["outputMint"] = json!(output);
    }
    if let Some(amount) = get("amount") {
        q["inAmount"] = json!(amount);
        q["routePlan"][0]["swapInfo"]["inAmount"] = json!(amount);
    }
    if let Some(slippage) = get("slippageBps").and_then(|s| s.parse::<u64>().ok()) {
        let out: u64 = q["outAmount"].as_str().unwrap().parse().unwrap();
        q["slippageBps"] = json!(slippage);
        q["otherAmountThreshold"] = json!((out * (10_000 - slippage) / 10_000).to_string());
    }
    axum::Json(q).into_response()
}

async fn swap_instructions(State(inner): State<Arc<Mutex<Inner>>>, headers: HeaderMap, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Some(limited) = record(&inner, "/swap-instructions", &headers, Vec::new(), body.clone()) {
        return limited;
    }
    let Some(user) = body["userPublicKey"].as_str().and_then(|u| u.parse::<Pubkey>().ok()) else {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": "Invalid userPublicKey"}))).into_response();
    };
    if !body["quoteResponse"].is_object() {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": "Invalid quoteResponse"}))).into_response();
    }
    let wsol = AtaSpec { owner: user, mint: WSOL_MINT, token_program: TOKEN_PROGRAM }.address();
    let usdc = AtaSpec { owner: user, mint: USDC_MINT, token_program: TOKEN_PROGRAM }.address();
    let text = SWAP_INSTRUCTIONS
        .replace(RECORDED_USER, &user.to_string())
        .replace(RECORDED_WSOL_ATA, &wsol.to_string())
        .replace(RECORDED_USDC_ATA, &usdc.to_string());
    let answer: Value = serde_json::from_str(&text).unwrap();
    axum::Json(answer).into_response()
}
