//! The operations HTTP listener: `/healthz` and `/metrics`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util_shutdown::Shutdown;

use crate::ports::{Clock, SystemClock};
use crate::storage::Db;
use crate::telemetry::{Liveness, Metrics};

/// The position monitor counts as alive when it ticked within this window.
pub const MONITOR_STALE_MS: i64 = 60_000;

/// Polling counts as alive when the Bot API answered within this window.
pub const TELEGRAM_STALE_MS: i64 = 90_000;

/// Shared state of the HTTP listener.
#[derive(Debug, Clone)]
pub struct OpsState {
    /// Database handle (pinged by `/healthz`).
    pub db: Db,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// Liveness facts.
    pub liveness: Arc<Liveness>,
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
    let ok = db_ok && polling_ok && monitor_ok;
    let body = serde_json::json!({
        "status": if ok { "ok" } else { "degraded" },
        "database": db_ok,
        "telegram_polling": polling_ok,
        "position_monitor": monitor_ok,
        "monitor_last_tick_ms": last_tick,
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
