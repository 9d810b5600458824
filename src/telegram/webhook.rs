//! Webhook mode: Telegram POSTs updates to a route on our own HTTP listener (the one serving
//! `/healthz` and `/metrics`), and the route feeds an [`UpdateListener`] for the dispatcher.
//!
//! Every request must carry the configured secret in `X-Telegram-Bot-Api-Secret-Token`
//! (compared in constant time); anything else gets 401 and is dropped.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use futures::StreamExt as _;
use futures::channel::mpsc;
use secrecy::{ExposeSecret, SecretString};
use teloxide::stop::{StopToken, mk_stop_token};
use teloxide::types::Update;
use teloxide::update_listeners::{StatefulListener, UpdateListener};

use crate::telemetry::Metrics;

/// Header Telegram puts the secret token in.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

type Sender = mpsc::UnboundedSender<Result<Update, Infallible>>;

#[derive(Clone)]
struct WebhookState {
    tx: Sender,
    secret: Arc<SecretString>,
    metrics: Arc<Metrics>,
}

/// The listener to dispatch with and the route to merge into the HTTP listener (at `path`).
pub fn listener(
    path: &str,
    secret: SecretString,
    metrics: Arc<Metrics>,
) -> (impl UpdateListener<Err = Infallible> + use<>, Router) {
    let (tx, rx) = mpsc::unbounded();
    let (stop_token, stop_flag) = mk_stop_token();
    let stream = rx.take_until(stop_flag);
    let state = WebhookState { tx, secret: Arc::new(secret), metrics };
    let router = Router::new().route(path, post(receive)).with_state(state);
    let listener = StatefulListener::new((stream, stop_token), first_mut, |s: &mut (_, StopToken)| s.1.clone());
    (listener, router)
}

fn first_mut<A, B>(pair: &mut (A, B)) -> &mut A {
    &mut pair.0
}

async fn receive(State(s): State<WebhookState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers.get(SECRET_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    if !constant_time_eq(given, s.secret.expose_secret().as_bytes()) {
        s.metrics.webhook_update("unauthorized");
        return StatusCode::UNAUTHORIZED;
    }
    match serde_json::from_slice::<Update>(&body) {
        Ok(update) => {
            if s.tx.unbounded_send(Ok(update)).is_err() {
                // The dispatcher stopped: let Telegram redeliver later.
                return StatusCode::SERVICE_UNAVAILABLE;
            }
            s.metrics.webhook_update("accepted");
            StatusCode::OK
        }
        Err(e) => {
            // Answering an error would make Telegram redeliver the same body forever.
            s.metrics.webhook_update("bad_request");
            tracing::warn!(error.message = %e, "unreadable webhook update dropped");
            StatusCode::OK
        }
    }
}

/// Compares without an early exit on the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
