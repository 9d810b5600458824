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
    let json = match format {
        LogFormat::Auto => !std::io::IsTerminal::is_terminal(&std::io::stdout()),
        LogFormat::Pretty => false,
        LogFormat::Json => true,
    };
    // Colour codes only on a terminal: a log collector or `docker logs` gets plain text.
    let builder = builder.with_ansi(!json && std::io::IsTerminal::is_terminal(&std::io::stdout()));
    let _ = match json {
        false => builder.try_init(),
        true => builder.json().flatten_event(true).try_init(),
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
    admin: AdminMetrics,
    alerts: AlertMetrics,
    monitor: MonitorMetrics,
    landing: LandingMetrics,
}

/// Position monitor metrics: tick duration, exits by rule and outcome, price read failures.
#[derive(Debug)]
struct MonitorMetrics {
    tick_duration: Histogram,
    exits: Family<Labels, Counter>,
    price_errors: Counter,
    positions: Gauge,
}

impl MonitorMetrics {
    fn new(registry: &mut Registry) -> Self {
        // 0.1 ms .. ~6.5 s
        let tick_duration = Histogram::new(exponential_buckets(0.000_1, 2.0, 17));
        let exits = Family::<Labels, Counter>::default();
        let price_errors = Counter::default();
        let positions = Gauge::default();
        registry.register(
            "monitor_tick_duration_seconds",
            "Position monitor tick: price reads, evaluation and exits",
            tick_duration.clone(),
        );
        registry.register("monitor_exits", "Position monitor exit attempts, by rule and outcome", exits.clone());
        registry.register(
            "monitor_price_errors",
            "Open positions without a price in a monitor tick",
            price_errors.clone(),
        );
        registry.register("monitor_positions", "Open positions held by the position monitor", positions.clone());
        Self { tick_duration, exits, price_errors, positions }
    }
}

/// Trade landing metrics per send path (`protected`, `sender`, `rpc`).
#[derive(Debug)]
struct LandingMetrics {
    sent: Family<Labels, Counter>,
    landed: Family<Labels, Counter>,
    slots: Family<Labels, Counter>,
    /// Landed trades with a known send slot (the histogram's count, kept readable for `/stats`).
    slot_samples: Family<Labels, Counter>,
    slots_to_land: HistogramFamily,
    fees: Family<Labels, Counter>,
}

fn slots_histogram() -> Histogram {
    // 1 .. 256 slots (a blockhash lives 150 blocks)
    Histogram::new(exponential_buckets(1.0, 2.0, 9))
}

impl LandingMetrics {
    fn new(registry: &mut Registry) -> Self {
        let m = Self {
            sent: Family::default(),
            landed: Family::default(),
            slots: Family::default(),
            slot_samples: Family::default(),
            slots_to_land: HistogramFamily::new_with_constructor(slots_histogram as fn() -> Histogram),
            fees: Family::default(),
        };
        registry.register("trade_sends", "Live trade transactions broadcast, by path", m.sent.clone());
        registry.register(
            "trade_landed",
            "Live trade transactions that landed (succeeded or failed on chain), by path",
            m.landed.clone(),
        );
        registry.register(
            "trade_land_slots",
            "Sum of slots from send to landing of landed trades, by path (divide by trade_slots_to_land_count)",
            m.slots.clone(),
        );
        registry.register(
            "trade_slots_to_land",
            "Slots from send to landing per landed trade, by path",
            m.slots_to_land.clone(),
        );
        registry.register(
            "trade_fees_paid_lamports",
            "Fees paid by landed trades (signature, priority fee, tip if it succeeded), by path",
            m.fees.clone(),
        );
        m
    }
}

/// One send path's landing figures since the process started (for `/stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PathLanding {
    /// Transactions broadcast.
    pub sent: u64,
    /// Of those, landed (succeeded or failed on chain).
    pub landed: u64,
    /// Sum of slots to land over the landed ones whose send slot was known.
    pub slots_total: u64,
    /// How many landed ones had a known send slot.
    pub slots_samples: u64,
    /// Fees paid by landed trades, lamports.
    pub fees_lamports: u64,
}

fn path_label(path: &str) -> Labels {
    vec![("path".to_owned(), path.to_owned())]
}

/// Alert connector metrics: posts by outcome, alert received → sent latency per trade.
#[derive(Debug)]
struct AlertMetrics {
    posts: Family<Labels, Counter>,
    trade_latency: HistogramFamily,
}

fn alert_latency_histogram() -> Histogram {
    // 0.5 ms .. ~65 s
    Histogram::new(exponential_buckets(0.000_5, 2.0, 18))
}

impl AlertMetrics {
    fn new(registry: &mut Registry) -> Self {
        let posts = Family::<Labels, Counter>::default();
        let trade_latency = HistogramFamily::new_with_constructor(alert_latency_histogram as fn() -> Histogram);
        registry.register(
            "alert_posts",
            "Channel and group posts seen by the alert connector, by outcome",
            posts.clone(),
        );
        registry.register(
            "alert_trade_latency_seconds",
            "Alert received to transaction sent (live) or paper-filled, per trade, by mode",
            trade_latency.clone(),
        );
        Self { posts, trade_latency }
    }
}

impl crate::ports::alerts::LatencySink for Metrics {
    fn alert_trade_latency(&self, seconds: f64, mode: &str) {
        self.alerts.trade_latency.get_or_create(&vec![("mode".to_owned(), mode.to_owned())]).observe(seconds);
    }

    fn alert_post(&self, outcome: &str) {
        self.alerts.posts.get_or_create(&vec![("outcome".to_owned(), outcome.to_owned())]).inc();
    }
}

/// Admin and operations metrics (roles, kill switch, broadcasts, webhook).
#[derive(Debug, Default)]
struct AdminMetrics {
    actions: Family<Labels, Counter>,
    kill_switch: Gauge,
    broadcast_deliveries: Family<Labels, Counter>,
    broadcasts_running: Gauge,
    webhook_updates: Family<Labels, Counter>,
    breaker_open: Gauge,
    breaker_events: Family<Labels, Counter>,
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
        let admin = AdminMetrics::default();
        admin.register(&mut registry);
        let alerts = AlertMetrics::new(&mut registry);
        let monitor = MonitorMetrics::new(&mut registry);
        let landing = LandingMetrics::new(&mut registry);
        Self { registry, updates, command_latency, errors, telegram_up, rpc_requests, admin, alerts, monitor, landing }
    }

    /// Counts one live trade broadcast through `path` (`protected`, `sender`, `rpc`).
    pub fn trade_sent(&self, path: &str) {
        self.landing.sent.get_or_create(&path_label(path)).inc();
    }

    /// Records a landed live trade on `path`: slots from send to landing when the send slot is
    /// known, and the fees it paid.
    pub fn trade_landed(&self, path: &str, slots: Option<u64>, fees_lamports: u64) {
        let labels = path_label(path);
        self.landing.landed.get_or_create(&labels).inc();
        self.landing.fees.get_or_create(&labels).inc_by(fees_lamports);
        if let Some(n) = slots {
            self.landing.slots.get_or_create(&labels).inc_by(n);
            self.landing.slot_samples.get_or_create(&labels).inc();
            #[allow(clippy::cast_precision_loss)] // slot counts are far below 2^52
            self.landing.slots_to_land.get_or_create(&labels).observe(n as f64);
        }
    }

    /// The landing figures of `path` since the process started.
    pub fn landing(&self, path: &str) -> PathLanding {
        let labels = path_label(path);
        let l = &self.landing;
        PathLanding {
            sent: l.sent.get(&labels).map_or(0, |c| c.get()),
            landed: l.landed.get(&labels).map_or(0, |c| c.get()),
            slots_total: l.slots.get(&labels).map_or(0, |c| c.get()),
            slots_samples: l.slot_samples.get(&labels).map_or(0, |c| c.get()),
            fees_lamports: l.fees.get(&labels).map_or(0, |c| c.get()),
        }
    }

    /// Records one position-monitor tick: its duration, the positions it held and how many of
    /// them had no price.
    pub fn monitor_tick(&self, seconds: f64, positions: usize, price_errors: usize) {
        self.monitor.tick_duration.observe(seconds);
        self.monitor.positions.set(i64::try_from(positions).unwrap_or(i64::MAX));
        self.monitor.price_errors.inc_by(u64::try_from(price_errors).unwrap_or(u64::MAX));
    }

    /// Counts one exit attempt by `rule` (`stop_loss`, `take_profit`, `trailing`, `time`) and
    /// `outcome` (`filled`, `failed`, `busy`).
    pub fn monitor_exit(&self, rule: &str, outcome: &str) {
        let labels = vec![("rule".to_owned(), rule.to_owned()), ("outcome".to_owned(), outcome.to_owned())];
        self.monitor.exits.get_or_create(&labels).inc();
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

    /// Counts an admin action (`admin_add`, `killswitch`, `broadcast_start`, …; `refused` for
    /// admin commands from non-admins).
    pub fn admin_action(&self, action: &str) {
        self.admin.actions.get_or_create(&vec![("action".to_owned(), action.to_owned())]).inc();
    }

    /// Records an execution breaker transition (`tripped` or `reset`) and its open state.
    pub fn execution_breaker(&self, event: &str, open: bool) {
        self.admin.breaker_events.get_or_create(&vec![("event".to_owned(), event.to_owned())]).inc();
        self.admin.breaker_open.set(i64::from(open));
    }

    /// Sets the kill switch gauge: 0 off, 1 entries stopped, 2 hard.
    pub fn set_kill_switch(&self, level: i64) {
        self.admin.kill_switch.set(level);
    }

    /// Counts one broadcast send attempt by `outcome` (`sent`, `blocked`, `failed`, `retry_after`,
    /// `transient`, `unknown`).
    pub fn broadcast_delivery(&self, outcome: &str) {
        self.admin.broadcast_deliveries.get_or_create(&vec![("outcome".to_owned(), outcome.to_owned())]).inc();
    }

    /// Counts `n` broadcast deliveries by `outcome` at once (e.g. unconfirmed after a restart).
    pub fn broadcast_delivery_n(&self, outcome: &str, n: u64) {
        self.admin.broadcast_deliveries.get_or_create(&vec![("outcome".to_owned(), outcome.to_owned())]).inc_by(n);
    }

    /// Sets the number of broadcasts being delivered.
    pub fn set_broadcasts_running(&self, n: i64) {
        self.admin.broadcasts_running.set(n);
    }

    /// Counts one webhook request by `result` (`accepted`, `unauthorized`, `bad_request`).
    pub fn webhook_update(&self, result: &str) {
        self.admin.webhook_updates.get_or_create(&vec![("result".to_owned(), result.to_owned())]).inc();
    }

    /// Sums of every counter family by metric name and one label value, read back from the
    /// rendered registry (`/stats` shows error rates from them).
    pub fn counter_totals(&self) -> CounterTotals {
        CounterTotals::parse(&self.render())
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

impl AdminMetrics {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "admin_actions",
            "Admin commands, by action (refused = from a non-admin)",
            self.actions.clone(),
        );
        registry.register(
            "kill_switch",
            "Kill switch: 0 off, 1 new entries stopped, 2 everything stopped",
            self.kill_switch.clone(),
        );
        registry.register(
            "broadcast_deliveries",
            "Broadcast send attempts, by outcome",
            self.broadcast_deliveries.clone(),
        );
        registry.register("broadcasts_running", "Broadcasts being delivered", self.broadcasts_running.clone());
        registry.register("webhook_updates", "Webhook requests, by result", self.webhook_updates.clone());
        registry.register(
            "execution_breaker_open",
            "Execution breaker: 0 closed, 1 open or half-open (new entries refused)",
            self.breaker_open.clone(),
        );
        registry.register(
            "execution_breaker_events",
            "Execution breaker transitions, by event (tripped, reset)",
            self.breaker_events.clone(),
        );
    }
}

/// Counter sums read back from `/metrics` output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CounterTotals {
    /// `(metric name, labels text, value)` of every counter sample.
    samples: Vec<(String, String, u64)>,
}

impl CounterTotals {
    fn parse(text: &str) -> Self {
        let samples = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (series, value) = l.rsplit_once(' ')?;
                let value = value.parse::<f64>().ok()?;
                let (name, labels) = series.split_once('{').map_or((series, ""), |(n, rest)| (n, rest));
                let name = name.strip_suffix("_total")?;
                // Counters are whole numbers; the float parse is only the text format.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let value = value.max(0.0) as u64;
                Some((name.to_owned(), labels.trim_end_matches('}').to_owned(), value))
            })
            .collect();
        Self { samples }
    }

    /// Sum of counter `name` (without prefix `quantbot_` and suffix `_total`) over samples whose
    /// labels satisfy `pred` (given the raw `k="v",…` label text).
    pub fn sum(&self, name: &str, pred: impl Fn(&str) -> bool) -> u64 {
        let full = format!("quantbot_{name}");
        self.samples.iter().filter(|(n, l, _)| *n == full && pred(l)).map(|(_, _, v)| v).sum()
    }
}

/// Liveness facts for `/healthz`.
#[derive(Debug, Default)]
pub struct Liveness {
    dispatcher_running: AtomicBool,
    telegram_ok_ms: AtomicI64,
    monitor_tick_ms: AtomicI64,
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

    /// Records a completed position-monitor tick at `now_ms`.
    pub fn monitor_tick(&self, now_ms: i64) {
        self.monitor_tick_ms.store(now_ms, Ordering::SeqCst);
    }

    /// Time of the last completed monitor tick (0 = the monitor has not run).
    pub fn last_monitor_tick_ms(&self) -> i64 {
        self.monitor_tick_ms.load(Ordering::SeqCst)
    }
}
