//! SOL/USD from the Jupiter Price API v3 (`GET {base}?ids=<wSOL>`, reference `NEXT.md` §2.1):
//! a JSON object keyed by mint whose `usdPrice` is the price of one whole token; a mint without
//! a reliable price is absent. Talks to `JUPITER_PRICE_URL` only (with `x-api-key` when
//! configured); nothing here panics on network input.

use std::time::Duration;

use async_trait::async_trait;
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::ports::{PriceError, SolUsdSource};
use crate::solana::ids::WSOL_MINT;

/// The Price API client.
#[derive(Debug, Clone)]
pub struct JupiterPrice {
    http: reqwest::Client,
    base_url: reqwest::Url,
    api_key: Option<SecretString>,
}

impl JupiterPrice {
    /// A client for `base_url` (e.g. `https://api.jup.ag/price/v3`).
    pub fn new(base_url: reqwest::Url, api_key: Option<SecretString>, timeout: Duration) -> Self {
        let http = reqwest::Client::builder().timeout(timeout).build().unwrap_or_default();
        Self { http, base_url, api_key }
    }
}

/// Reads `usdPrice` of `mint` from a Price API v3 body (a number or a numeric string; positive).
pub fn usd_price_of(body: &Value, mint: &str) -> Option<Decimal> {
    let raw = body.get(mint)?.get("usdPrice")?;
    let price = match raw {
        Value::Number(n) => parse(&n.to_string())?,
        Value::String(s) => parse(s)?,
        _ => return None,
    };
    (price > Decimal::ZERO).then_some(price)
}

fn parse(text: &str) -> Option<Decimal> {
    text.parse::<Decimal>().ok().or_else(|| Decimal::from_scientific(text).ok())
}

#[async_trait]
impl SolUsdSource for JupiterPrice {
    async fn sol_usd(&self) -> Result<Decimal, PriceError> {
        let mint = WSOL_MINT.to_string();
        let mut req = self.http.get(self.base_url.clone()).query(&[("ids", mint.as_str())]);
        if let Some(key) = &self.api_key {
            req = req.header("x-api-key", key.expose_secret());
        }
        let unavailable = |what: &str| PriceError::Unavailable(format!("jupiter price: {what}"));
        let resp = req.send().await.map_err(|e| unavailable(&e.without_url().to_string()))?;
        if !resp.status().is_success() {
            return Err(unavailable(&format!("HTTP {}", resp.status().as_u16())));
        }
        let body: Value = resp.json().await.map_err(|_| unavailable("malformed body"))?;
        usd_price_of(&body, &mint).ok_or(PriceError::NoMarket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_usd_price_of_a_whole_token() {
        let mint = WSOL_MINT.to_string();
        let body: Value = serde_json::from_str(&format!(
            r#"{{"{mint}":{{"createdAt":"2024-06-05T08:55:25.527Z","liquidity":621679197.67,"usdPrice":147.48,"blockId":348004023,"decimals":9,"priceChange24h":null}}}}"#
        ))
        .unwrap();
        assert_eq!(usd_price_of(&body, &mint), Some(Decimal::new(14748, 2)));
        assert_eq!(usd_price_of(&serde_json::json!({}), &mint), None, "absent mint: no price");
        assert_eq!(usd_price_of(&serde_json::json!({ mint.clone(): {"usdPrice": -1} }), &mint), None);
        assert_eq!(usd_price_of(&serde_json::json!({ mint.clone(): {"usdPrice": null} }), &mint), None);
    }
}
