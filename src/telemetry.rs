//! Logging (tracing) and Prometheus metrics.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global tracing subscriber (`RUST_LOG`, default `info`). Safe to call twice.
pub fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(true);
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

type Labels = Vec<(String, String)>;
type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms .. ~16 s
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// Process-wide metrics, exposed at `/metrics` in the Prometheus text format.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    updates: Family<Labels, Counter>,
    command_latency: HistogramFamily,
    errors: Family<Labels, Counter>,
    telegram_up: Gauge,
    rpc_requests: Family<Labels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Creates a registry with all metrics registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("quantbot");
        let updates = Family::<Labels, Counter>::default();
        let command_latency = HistogramFamily::new_with_constructor(latency_histogram as fn() -> Histogram);
        let errors = Family::<Labels, Counter>::default();
        let telegram_up = Gauge::default();
        registry.register("updates", "Telegram updates handled, by kind", updates.clone());
        registry.register("command_duration_seconds", "Time to handle a command, by command", command_latency.clone());
        registry.register("errors", "Errors, by component", errors.clone());
        registry.register("telegram_up", "1 when the last Bot API probe succeeded", telegram_up.clone());
        let rpc_requests = Family::<Labels, Counter>::default();
        registry.register(
            "rpc_requests",
            "Solana RPC attempts, by method, endpoint index and outcome",
            rpc_requests.clone(),
        );
        Self { registry, updates, command_latency, errors, telegram_up, rpc_requests }
    }

    /// Counts one handled update of `kind` (`message`, `callback_query`, `channel_post`, …).
    pub fn update(&self, kind: &str) {
        self.updates.get_or_create(&vec![("kind".to_owned(), kind.to_owned())]).inc();
    }

    /// Records how long a command took.
    pub fn command_latency(&self, command: &str, seconds: f64) {
        self.command_latency.get_or_create(&vec![("command".to_owned(), command.to_owned())]).observe(seconds);
    }

    /// Counts an error in `component` (`telegram`, `storage`, `rpc`, …).
    pub fn error(&self, component: &str) {
        self.errors.get_or_create(&vec![("component".to_owned(), component.to_owned())]).inc();
    }

    /// Sets the Telegram reachability gauge.
    pub fn set_telegram_up(&self, up: bool) {
        self.telegram_up.set(i64::from(up));
    }

    /// Counts one RPC attempt: `method`, `endpoint` (an index label such as `rpc0` or `sender0`,
    /// never a URL) and `outcome` (`ok`, `rpc_error`, `rate_limited`, `timeout`, …).
    pub fn rpc_request(&self, method: &str, endpoint: &str, outcome: &str) {
        let labels = vec![
            ("method".to_owned(), method.to_owned()),
            ("endpoint".to_owned(), endpoint.to_owned()),
            ("outcome".to_owned(), outcome.to_owned()),
        ];
        self.rpc_requests.get_or_create(&labels).inc();
    }

    /// Renders all metrics in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Liveness facts for `/healthz`.
#[derive(Debug, Default)]
pub struct Liveness {
    dispatcher_running: AtomicBool,
    telegram_ok_ms: AtomicI64,
}

impl Liveness {
    /// Creates a shared liveness record.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Marks the update dispatcher as running or stopped.
    pub fn set_dispatcher_running(&self, running: bool) {
        self.dispatcher_running.store(running, Ordering::SeqCst);
    }

    /// Whether the dispatcher is running.
    pub fn dispatcher_running(&self) -> bool {
        self.dispatcher_running.load(Ordering::SeqCst)
    }

    /// Records a successful Bot API call at `now_ms`.
    pub fn telegram_ok(&self, now_ms: i64) {
        self.telegram_ok_ms.store(now_ms, Ordering::SeqCst);
    }

    /// Time of the last successful Bot API call (0 = never).
    pub fn last_telegram_ok_ms(&self) -> i64 {
        self.telegram_ok_ms.load(Ordering::SeqCst)
    }
}
