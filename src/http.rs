//! The operations HTTP listener: `/healthz` and `/metrics`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util_shutdown::Shutdown;

use crate::config::RpcSource;
use crate::ports::{Clock, SystemClock};
use crate::storage::Db;
use crate::telemetry::{Liveness, Metrics};

/// The position monitor counts as alive when it ticked within this window.
pub const MONITOR_STALE_MS: i64 = 60_000;

/// Polling counts as alive when the Bot API answered within this window.
pub const TELEGRAM_STALE_MS: i64 = 90_000;

/// The RPC counts as answering when a probe succeeded within this window.
pub const RPC_STALE_MS: i64 = 90_000;

/// Shared state of the HTTP listener.
#[derive(Debug, Clone)]
pub struct OpsState {
    /// Database handle (pinged by `/healthz`).
    pub db: Db,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// Liveness facts.
    pub liveness: Arc<Liveness>,
    /// Which RPC the bot reads the chain through, and whether it answers.
    pub rpc: Arc<RpcStatus>,
}

/// Which JSON-RPC service the bot uses and what its periodic probe last saw (for `/healthz`).
#[derive(Debug)]
pub struct RpcStatus {
    source: RpcSource,
    host: String,
    last_ok_ms: AtomicI64,
    last_check_ms: AtomicI64,
}

impl RpcStatus {
    /// A status with no probe yet. `host` is shown in `/healthz`: pass only a host name, never
    /// a URL (Helius URLs embed the API key).
    pub fn new(source: RpcSource, host: impl Into<String>) -> Arc<Self> {
        Arc::new(Self { source, host: host.into(), last_ok_ms: AtomicI64::new(0), last_check_ms: AtomicI64::new(0) })
    }

    /// Records a probe's outcome at `now_ms`.
    pub fn record(&self, ok: bool, now_ms: i64) {
        if ok {
            self.last_ok_ms.store(now_ms, Ordering::SeqCst);
        }
        self.last_check_ms.store(now_ms, Ordering::SeqCst);
    }

    /// Whether the RPC answers: no probe has finished yet, or one succeeded within
    /// [`RPC_STALE_MS`] and the latest did not fail.
    pub fn answers(&self, now_ms: i64) -> bool {
        let checked = self.last_check_ms.load(Ordering::SeqCst);
        let ok = self.last_ok_ms.load(Ordering::SeqCst);
        checked == 0 || (ok == checked && now_ms - ok <= RPC_STALE_MS)
    }

    fn report(&self, now_ms: i64) -> serde_json::Value {
        serde_json::json!({
            "source": self.source.as_str(),
            "host": self.host,
            "answers": self.answers(now_ms),
            "last_ok_ms": self.last_ok_ms.load(Ordering::SeqCst),
            "paper_only": self.source == RpcSource::Public,
        })
    }
}

/// Builds the router.
pub fn router(state: OpsState) -> Router {
    Router::new().route("/healthz", get(healthz)).route("/metrics", get(metrics)).with_state(state)
}

async fn healthz(State(s): State<OpsState>) -> impl IntoResponse {
    let db_ok = s.db.ping().await;
    let now = SystemClock.now_ms();
    let polling_ok = s.liveness.dispatcher_running() && now - s.liveness.last_telegram_ok_ms() <= TELEGRAM_STALE_MS;
    // The monitor counts as alive until its first tick is due, then while it keeps ticking.
    let last_tick = s.liveness.last_monitor_tick_ms();
    let monitor_ok = last_tick == 0 || now - last_tick <= MONITOR_STALE_MS;
    let rpc_ok = s.rpc.answers(now);
    let ok = db_ok && polling_ok && monitor_ok && rpc_ok;
    let body = serde_json::json!({
        "status": if ok { "ok" } else { "degraded" },
        "database": db_ok,
        "telegram_polling": polling_ok,
        "position_monitor": monitor_ok,
        "monitor_last_tick_ms": last_tick,
        "rpc": s.rpc.report(now),
    });
    let code = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, axum::Json(body))
}

async fn metrics(State(s): State<OpsState>) -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
        s.metrics.render(),
    )
}

/// Binds `addr` and serves until `shutdown` fires. Returns the bound address (port 0 allowed).
///
/// # Errors
/// The address cannot be bound.
pub async fn serve(
    addr: SocketAddr,
    state: OpsState,
    shutdown: Shutdown,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    serve_with(addr, state, Router::new(), shutdown).await
}

/// Like [`serve`], with `extra` routes (the Telegram webhook) on the same listener.
///
/// # Errors
/// The address cannot be bound.
pub async fn serve_with(
    addr: SocketAddr,
    state: OpsState,
    extra: Router,
    shutdown: Shutdown,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = router(state).merge(extra);
    let handle = tokio::spawn(async move {
        let result = axum::serve(listener, app).with_graceful_shutdown(async move { shutdown.wait().await }).await;
        if let Err(e) = result {
            tracing::error!(error.message = %e, "ops HTTP listener stopped");
        }
    });
    Ok((local, handle))
}

/// `quantbot healthcheck`: GETs `/healthz` on `listen` (loopback when it is a wildcard
/// address) within 5 s; returns the body on 200.
///
/// # Errors
/// No answer, or an answer other than 200 (the body says what is degraded).
pub async fn check_health(listen: SocketAddr) -> anyhow::Result<String> {
    let mut target = listen;
    if target.ip().is_unspecified() {
        target.set_ip(match target {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let url = format!("http://{target}/healthz");
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build()?;
    let answer =
        client.get(&url).send().await.map_err(|e| anyhow::anyhow!("{url} (HTTP_LISTEN) does not answer: {e}"))?;
    let status = answer.status();
    let body = answer.text().await.unwrap_or_default();
    match status.is_success() {
        true => Ok(body),
        false => anyhow::bail!("{url} answered {status}: {body}"),
    }
}

mod tokio_util_shutdown {
    //! A tiny clonable shutdown signal.
    use tokio::sync::watch;

    /// Fires once; every clone observes it.
    #[derive(Debug, Clone)]
    pub struct Shutdown {
        rx: watch::Receiver<bool>,
    }

    /// The trigger side.
    #[derive(Debug)]
    pub struct Trigger {
        tx: watch::Sender<bool>,
    }

    /// Creates a linked trigger and signal.
    pub fn channel() -> (Trigger, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (Trigger { tx }, Shutdown { rx })
    }

    impl Trigger {
        /// Fires the signal.
        pub fn fire(&self) {
            let _ = self.tx.send(true);
        }
    }

    impl Shutdown {
        /// Resolves once the trigger fired (or was dropped).
        pub async fn wait(mut self) {
            let _ = self.rx.wait_for(|v| *v).await;
        }
    }
}

pub use tokio_util_shutdown::{Shutdown as ShutdownSignal, Trigger as ShutdownTrigger, channel as shutdown_channel};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_answers_until_a_probe_fails_or_the_last_success_is_stale() {
        let rpc = RpcStatus::new(RpcSource::Public, "api.mainnet-beta.solana.com");
        assert!(rpc.answers(1_000), "no probe yet");
        rpc.record(false, 1_000);
        assert!(!rpc.answers(1_001));
        rpc.record(true, 2_000);
        assert!(rpc.answers(2_000 + RPC_STALE_MS));
        assert!(!rpc.answers(2_001 + RPC_STALE_MS));
        let report = rpc.report(2_000);
        assert_eq!(report["source"], "public");
        assert_eq!(report["paper_only"], true);
        assert_eq!(report["host"], "api.mainnet-beta.solana.com");
    }
}
