//! JSON-RPC over HTTP to a list of endpoints: failover in order, a token bucket per endpoint,
//! Retry-After, backoff with jitter on retryable errors only, and a circuit breaker per endpoint.
//!
//! Talks to the configured endpoint URLs only. Never logs a URL (they embed API keys; logs and
//! metrics name an endpoint by its index) and never formats a `reqwest::Error` (it may carry
//! the URL). For sends, never retries after a timeout or a broken answer: those surface as
//! `ChainError::Timeout` (outcome unknown).

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::Rng as _;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::limits::{Backoff, Breaker, BreakerPolicy, TokenBucket};
use crate::ports::chain::ChainError;
use crate::telemetry::Metrics;

/// How a call is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Extra rounds over the endpoint list after the first (0 = each endpoint tried once).
    pub max_retries: u32,
    /// Delay between rounds.
    pub backoff: Backoff,
    /// Longest single wait (backoff, Retry-After, breaker cooldown) a call accepts before giving
    /// up with `RateLimited` / `Unavailable`.
    pub max_wait: Duration,
    /// Retry-After assumed when a 429 carries none.
    pub default_retry_after: Duration,
}

/// Whether a call may be repeated after an ambiguous failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// A read: retried (and failed over) on any retryable error, timeouts included.
    Read,
    /// A transaction send: failed over only when the request certainly did not produce an
    /// answer we lost (connect error, 429, 5xx); a timeout or broken answer ends the call.
    Send,
}

/// Transport settings shared by all endpoints of one pool.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Requests per second per endpoint.
    pub rps: u32,
    /// Tokens banked per endpoint.
    pub burst: u32,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Breaker policy.
    pub breaker: BreakerPolicy,
}

/// What one HTTP attempt produced.
#[derive(Debug)]
enum Attempt {
    Ok(Value),
    Rpc { code: i64, message: String },
    RateLimited(Duration),
    Unhealthy(String),
    Connect,
    Timeout,
    Broken,
    Decode(String),
}

impl Attempt {
    fn label(&self) -> &'static str {
        match self {
            Self::Ok(_) => "ok",
            Self::Rpc { .. } => "rpc_error",
            Self::RateLimited(_) => "rate_limited",
            Self::Unhealthy(_) => "http_error",
            Self::Connect => "connect_error",
            Self::Timeout => "timeout",
            Self::Broken => "broken",
            Self::Decode(_) => "decode_error",
        }
    }
}

struct EndpointState {
    bucket: TokenBucket,
    breaker: Breaker,
    blocked_until: Option<Instant>,
}

struct Endpoint {
    url: SecretString,
    label: String,
    state: Mutex<EndpointState>,
}

impl Endpoint {
    fn with_state<T>(&self, f: impl FnOnce(&mut EndpointState) -> T) -> T {
        let mut guard = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }
}

enum Pick {
    Use(usize, Duration),
    NoneReady { earliest: Instant, rate_limited: bool },
}

/// A pool of JSON-RPC endpoints in failover order.
pub struct Pool {
    http: reqwest::Client,
    endpoints: Vec<Endpoint>,
    settings: PoolSettings,
    metrics: Option<Arc<Metrics>>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let labels: Vec<&str> = self.endpoints.iter().map(|e| e.label.as_str()).collect();
        f.debug_struct("Pool").field("endpoints", &labels).field("settings", &self.settings).finish()
    }
}

impl Pool {
    /// A pool over `urls` labelled `label_prefix` + index in logs and metrics.
    pub fn new(
        http: reqwest::Client,
        urls: Vec<SecretString>,
        label_prefix: &str,
        settings: PoolSettings,
        metrics: Option<Arc<Metrics>>,
    ) -> Self {
        let endpoints = urls
            .into_iter()
            .enumerate()
            .map(|(i, url)| Endpoint {
                url,
                label: format!("{label_prefix}{i}"),
                state: Mutex::new(EndpointState {
                    bucket: TokenBucket::new(settings.rps, settings.burst),
                    breaker: Breaker::new(settings.breaker),
                    blocked_until: None,
                }),
            })
            .collect();
        Self { http, endpoints, settings, metrics, next_id: AtomicU64::new(1) }
    }

    /// Calls `method` with `params`; returns the JSON-RPC `result`.
    ///
    /// # Errors
    /// `Rpc` for a JSON-RPC error object, `Decode` for an unreadable answer, `Timeout` for a
    /// send whose outcome is unknown (or a read whose last attempt timed out), `RateLimited`
    /// or `Unavailable` when every endpoint is out of reach within the retry policy.
    pub async fn call(&self, method: &str, params: Value, kind: CallKind) -> Result<Value, ChainError> {
        if self.endpoints.is_empty() {
            return Err(ChainError::Unavailable("no RPC endpoint configured".to_owned()));
        }
        let body = json!({
            "jsonrpc": "2.0",
            "id": self.next_id.fetch_add(1, Ordering::Relaxed),
            "method": method,
            "params": params,
        });
        let mut tried = vec![false; self.endpoints.len()];
        let mut round = 0u32;
        let mut last_err: Option<ChainError> = None;
        loop {
            match self.pick(Instant::now(), &tried) {
                Pick::Use(i, wait) => {
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                        if self.blocked(i, Instant::now()) {
                            continue;
                        }
                    }
                    tried[i] = true;
                    let attempt = self.attempt(i, &body).await;
                    self.record(i, method, &attempt);
                    match finish(attempt, kind) {
                        Ok(done) => return done,
                        Err(e) => last_err = Some(e),
                    }
                }
                Pick::NoneReady { earliest, rate_limited } => {
                    let now = Instant::now();
                    let until_ready = earliest.saturating_duration_since(now);
                    let give_up = || match (&last_err, rate_limited) {
                        (_, true) => ChainError::RateLimited {
                            retry_after_ms: u64::try_from(until_ready.as_millis()).unwrap_or(u64::MAX),
                        },
                        (Some(e), false) => e.clone(),
                        (None, false) => ChainError::Unavailable("every endpoint's circuit breaker is open".to_owned()),
                    };
                    // Waiting for an endpoint to come back is not a retry; only a round in which
                    // something was tried counts.
                    let mut backoff = Duration::ZERO;
                    if tried.iter().any(|t| *t) {
                        round += 1;
                        if round > self.settings.retry.max_retries {
                            return Err(give_up());
                        }
                        backoff = self.settings.retry.backoff.delay(round, jitter());
                    }
                    let delay = backoff.max(until_ready);
                    if delay > self.settings.retry.max_wait {
                        return Err(give_up());
                    }
                    tracing::debug!(method, round, delay_ms = delay.as_millis() as u64, "rpc retry wait");
                    tokio::time::sleep(delay).await;
                    tried.fill(false);
                }
            }
        }
    }

    fn blocked(&self, i: usize, now: Instant) -> bool {
        self.endpoints[i].with_state(|s| s.blocked_until.is_some_and(|t| t > now))
    }

    /// The first untried endpoint that is ready (breaker and Retry-After allow it), with the
    /// token wait; else when the soonest endpoint (tried or not) will be ready.
    fn pick(&self, now: Instant, tried: &[bool]) -> Pick {
        let mut earliest: Option<(Instant, bool)> = None;
        for (i, ep) in self.endpoints.iter().enumerate() {
            let picked = ep.with_state(|s| {
                let blocked = s.blocked_until.filter(|t| *t > now);
                let ready_at = blocked.unwrap_or(now).max(s.breaker.available_at(now));
                if earliest.is_none_or(|(e, _)| ready_at < e) {
                    earliest = Some((ready_at, blocked.is_some_and(|b| b >= ready_at)));
                }
                if ready_at > now || tried[i] || !s.breaker.acquire(now) {
                    return None;
                }
                Some(s.bucket.reserve(now))
            });
            if let Some(wait) = picked {
                return Pick::Use(i, wait);
            }
        }
        let (earliest, rate_limited) = earliest.unwrap_or((now, false));
        Pick::NoneReady { earliest, rate_limited: rate_limited && earliest > now }
    }

    async fn attempt(&self, i: usize, body: &Value) -> Attempt {
        let ep = &self.endpoints[i];
        let resp = match self.http.post(ep.url.expose_secret()).json(body).send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => return Attempt::Timeout,
            Err(e) if e.is_connect() => return Attempt::Connect,
            Err(_) => return Attempt::Broken,
        };
        let status = resp.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|s| Duration::from_secs(s.min(3600)))
                .unwrap_or(self.settings.retry.default_retry_after);
            return Attempt::RateLimited(after);
        }
        if status.is_server_error() || (status.is_client_error() && status != StatusCode::BAD_REQUEST) {
            return Attempt::Unhealthy(format!("HTTP {}", status.as_u16()));
        }
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) if e.is_timeout() => return Attempt::Timeout,
            Err(_) => return Attempt::Broken,
        };
        parse_answer(&bytes)
    }

    fn record(&self, i: usize, method: &str, attempt: &Attempt) {
        let ep = &self.endpoints[i];
        let now = Instant::now();
        ep.with_state(|s| match attempt {
            Attempt::Ok(_) | Attempt::Rpc { .. } | Attempt::Decode(_) => s.breaker.on_success(),
            Attempt::RateLimited(after) => {
                s.blocked_until = Some(now + *after);
                // A rate limit says nothing about health; release a half-open probe slot.
                s.breaker.on_success();
            }
            Attempt::Unhealthy(_) | Attempt::Connect | Attempt::Timeout | Attempt::Broken => s.breaker.on_failure(now),
        });
        if let Some(m) = &self.metrics {
            m.rpc_request(method, &ep.label, attempt.label());
        }
        match attempt {
            Attempt::Ok(_) => tracing::trace!(method, endpoint = %ep.label, "rpc ok"),
            Attempt::Rpc { code, .. } => tracing::debug!(method, endpoint = %ep.label, code, "rpc error object"),
            other => tracing::warn!(method, endpoint = %ep.label, outcome = other.label(), "rpc attempt failed"),
        }
    }
}

/// Maps an attempt to `Ok(final result)` or `Err(retryable error)`.
fn finish(attempt: Attempt, kind: CallKind) -> Result<Result<Value, ChainError>, ChainError> {
    match attempt {
        Attempt::Ok(v) => Ok(Ok(v)),
        Attempt::Rpc { code, message } => Ok(Err(ChainError::Rpc { code, message })),
        // For a send, any answer we could not read leaves the outcome unknown.
        Attempt::Timeout | Attempt::Broken | Attempt::Decode(_) if kind == CallKind::Send => {
            Ok(Err(ChainError::Timeout))
        }
        Attempt::Decode(what) => Ok(Err(ChainError::Decode(what))),
        Attempt::Timeout => Err(ChainError::Timeout),
        Attempt::Broken => Err(ChainError::Unavailable("connection broke before an answer".to_owned())),
        Attempt::Connect => Err(ChainError::Unavailable("connect error".to_owned())),
        Attempt::Unhealthy(what) => Err(ChainError::Unavailable(what)),
        Attempt::RateLimited(after) => {
            Err(ChainError::RateLimited { retry_after_ms: u64::try_from(after.as_millis()).unwrap_or(u64::MAX) })
        }
    }
}

fn parse_answer(bytes: &[u8]) -> Attempt {
    let Ok(v) = serde_json::from_slice::<Value>(bytes) else {
        return Attempt::Decode("answer is not JSON".to_owned());
    };
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        let code = err["code"].as_i64().unwrap_or(0);
        let message: String = err["message"].as_str().unwrap_or("").chars().take(500).collect();
        return Attempt::Rpc { code, message };
    }
    match v.get("result") {
        Some(r) => Attempt::Ok(r.clone()),
        None => Attempt::Decode("answer has neither result nor error".to_owned()),
    }
}

fn jitter() -> u32 {
    rand::rng().random_range(0..=1000)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_sorted_into_result_error_and_junk() {
        assert!(matches!(parse_answer(br#"{"jsonrpc":"2.0","id":1,"result":{"value":null}}"#), Attempt::Ok(_)));
        assert!(matches!(
            parse_answer(br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"Invalid params"}}"#),
            Attempt::Rpc { code: -32602, .. }
        ));
        assert!(matches!(parse_answer(b"<html>"), Attempt::Decode(_)));
        assert!(matches!(parse_answer(br#"{"jsonrpc":"2.0","id":1}"#), Attempt::Decode(_)));
    }

    #[test]
    fn a_send_never_retries_after_a_timeout_but_a_read_does() {
        assert_eq!(finish(Attempt::Timeout, CallKind::Send).unwrap(), Err(ChainError::Timeout));
        assert_eq!(finish(Attempt::Broken, CallKind::Send).unwrap(), Err(ChainError::Timeout));
        assert_eq!(finish(Attempt::Decode("junk".into()), CallKind::Send).unwrap(), Err(ChainError::Timeout));
        assert!(finish(Attempt::Timeout, CallKind::Read).is_err(), "read timeouts are retryable");
        assert!(finish(Attempt::Connect, CallKind::Send).is_err(), "connect errors never delivered anything");
        assert!(finish(Attempt::Unhealthy("HTTP 503".into()), CallKind::Send).is_err());
        assert!(matches!(
            finish(Attempt::Rpc { code: -32002, message: "x".into() }, CallKind::Send),
            Ok(Err(ChainError::Rpc { code: -32002, .. }))
        ));
    }
}
