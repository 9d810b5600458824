//! A fake Jupiter Price API v3 over real HTTP on 127.0.0.1 (ephemeral port): `GET /price/v3?ids=`
//! answers the configured USD price of each requested mint in the recorded shape (reference
//! `NEXT.md` §2.1; an unpriced mint is absent), or 503 while "down". Counts requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

#[derive(Default)]
struct Inner {
    prices: HashMap<String, String>,
    down: bool,
    requests: usize,
}

/// The running fake.
#[derive(Clone)]
pub struct FakePrices {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

impl FakePrices {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new().route("/price/v3", get(price)).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind fake prices");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url: format!("http://{addr}/price/v3"), inner }
    }

    /// `usd` (a JSON number literal, e.g. `150.25`) becomes the price of one whole `mint`.
    pub fn set_price(&self, mint: &str, usd: &str) {
        self.inner.lock().unwrap().prices.insert(mint.to_owned(), usd.to_owned());
    }

    /// While down, every request answers 503.
    pub fn set_down(&self, down: bool) {
        self.inner.lock().unwrap().down = down;
    }

    pub fn requests(&self) -> usize {
        self.inner.lock().unwrap().requests
    }
}

async fn price(State(inner): State<Arc<Mutex<Inner>>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut s = inner.lock().unwrap();
    s.requests += 1;
    if s.down {
        return (StatusCode::SERVICE_UNAVAILABLE, "down").into_response();
    }
    let mut body = Map::new();
    for id in q.get("ids").map(String::as_str).unwrap_or_default().split(',') {
        if let Some(usd) = s.prices.get(id) {
            let usd: Value = serde_json::from_str(usd).expect("a JSON number");
            body.insert(
                id.to_owned(),
                json!({"createdAt": "2024-06-05T08:55:25.527Z", "liquidity": 621679197.67, "usdPrice": usd,
                       "blockId": 348004023, "decimals": 9, "priceChange24h": 1.29}),
            );
        }
    }
    axum::Json(Value::Object(body)).into_response()
}
