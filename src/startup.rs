//! Builds the application from a [`Config`] and runs it: the only place that knows every
//! concrete adapter type. Tests start the same `App` against local fakes.

use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use secrecy::ExposeSecret;
use teloxide::prelude::*;
use teloxide::update_listeners::Polling;

use crate::app::livetrade::LiveTrade;
use crate::app::wallet::{WalletSettings, Wallets};
use crate::config::{Config, RpcSource};
use crate::http::{self, OpsState};
use crate::ports::{ChainClient, Clock, SystemClock};
use crate::solana::helius::{HeliusClient, HeliusConfig};
use crate::storage::Db;
use crate::telegram::{self, BotDeps};
use crate::telemetry::{Liveness, Metrics};
use crate::wallet::KeyRing;

/// Long-poll timeout for `getUpdates`.
const POLL_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the Bot API reachability probe runs.
const PROBE_EVERY: Duration = Duration::from_secs(30);

/// A built application, ready to run.
#[derive(Debug)]
pub struct App {
    config: Config,
    db: Db,
    bot: Bot,
    metrics: Arc<Metrics>,
    liveness: Arc<Liveness>,
    keys: Option<Arc<KeyRing>>,
}

/// Loads the wallet master key(s) named by the config and checks them against the stored key
/// checks (written at first start). `None` when no master key is configured: custody is off.
///
/// # Errors
/// A wrong or unusable master key (one line naming the variable), storage failures.
pub async fn load_keys(config: &Config, db: &Db) -> anyhow::Result<Option<KeyRing>> {
    let Some(master) = &config.wallet_master else {
        if config.wallet_new_master.is_some() {
            anyhow::bail!("WALLET_NEW_MASTER_KEY/PASSPHRASE is set without WALLET_MASTER_KEY/PASSPHRASE");
        }
        // Wallets sealed earlier cannot be opened without their key: starting would strand
        // every position (no sells, no withdrawals), so refuse instead of warning.
        let sealed = crate::ports::WalletRepo::wallets_not_on_version(db, i32::MIN, 1)
            .await
            .context("checking the database for wallets")?;
        if !sealed.is_empty() {
            anyhow::bail!(
                "the database holds wallets but neither WALLET_MASTER_KEY nor WALLET_MASTER_PASSPHRASE is set: \
                 set the master key the wallets were sealed with"
            );
        }
        tracing::warn!("no wallet master key configured: /wallet is disabled");
        return Ok(None);
    };
    let ring = crate::app::keys::load_key_ring(db, master, config.wallet_new_master.as_ref()).await?;
    tracing::info!(key_ring = ?ring, "wallet master key loaded");
    Ok(Some(ring))
}

/// `quantbot rotate-master-key`: re-seals every wallet under the new master key
/// (`WALLET_NEW_MASTER_KEY` / `…_PASSPHRASE`) as version current + 1, one row per transaction,
/// then records the new current version. Safe to kill and rerun. `stop_after` stops early after
/// that many rows (tests simulate an interruption with it).
///
/// # Errors
/// Missing or wrong keys, a row that cannot be opened, storage failures.
pub async fn rotate_master_key(
    config: &Config,
    db: &Db,
    stop_after: Option<u64>,
) -> anyhow::Result<crate::app::keys::RotationReport> {
    let master = config
        .wallet_master
        .as_ref()
        .context("set WALLET_MASTER_KEY or WALLET_MASTER_PASSPHRASE to the current master key")?;
    let new = config.wallet_new_master.as_ref().ok_or(crate::app::keys::KeySetupError::NoNewKey)?;
    use crate::app::keys::{KeySetupError, RotationReport, current_version, load_key_ring, rotate};
    let ring = match load_key_ring(db, master, Some(new)).await {
        Ok(ring) => ring,
        // Killed after the last step of a finished run: the new key is already current.
        Err(KeySetupError::WrongKey { var: "WALLET_MASTER_KEY" | "WALLET_MASTER_PASSPHRASE", .. })
            if load_key_ring(db, new, None).await.is_ok() =>
        {
            let to_version = current_version(db).await?;
            return Ok(RotationReport { moved: 0, completed: true, to_version });
        }
        Err(e) => return Err(e.into()),
    };
    Ok(rotate(db, db, &ring, stop_after).await?)
}

/// Opens and migrates the database named by the config.
///
/// # Errors
/// Connection or migration failures.
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let target = DatabaseTarget::of(config.database_url.expose_secret());
    target.precheck().await?;
    let db = Db::connect(&config.database_url).await.with_context(|| target.to_string())?;
    db.migrate().await.with_context(|| target.to_string())?;
    Ok(db)
}

/// How long the start-up check waits for PostgreSQL's port before naming the host.
const DATABASE_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// What `DATABASE_URL` points at, without its secrets: used to name the host or file in errors.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DatabaseTarget {
    /// A SQLite file.
    Sqlite { file: std::path::PathBuf },
    /// A PostgreSQL server over TCP.
    Postgres { host: String, port: u16, database: String },
    /// Anything else (a Unix socket, a URL the storage layer reports on).
    Other,
}

impl DatabaseTarget {
    fn of(url: &str) -> Self {
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let file = path.split('?').next().unwrap_or(path);
            return Self::Sqlite { file: std::path::PathBuf::from(file) };
        }
        match reqwest::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "postgres" | "postgresql") && u.host_str().is_some_and(|h| !h.is_empty()) => {
                Self::Postgres {
                    host: u.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_owned(),
                    port: u.port().unwrap_or(5432),
                    database: u.path().trim_start_matches('/').to_owned(),
                }
            }
            _ => Self::Other,
        }
    }

    /// Fails fast, naming the host or folder: PostgreSQL's port must accept a connection within
    /// a few seconds (instead of a silent 10 s pool timeout), a SQLite folder must be writable.
    async fn precheck(&self) -> anyhow::Result<()> {
        match self {
            Self::Postgres { host, port, .. } => {
                let connect = tokio::net::TcpStream::connect((host.as_str(), *port));
                match tokio::time::timeout(DATABASE_CONNECT_TIMEOUT, connect).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => anyhow::bail!("cannot reach PostgreSQL at {host}:{port} (DATABASE_URL): {e}"),
                    Err(_) => anyhow::bail!(
                        "cannot reach PostgreSQL at {host}:{port} (DATABASE_URL): no answer within {} s",
                        DATABASE_CONNECT_TIMEOUT.as_secs()
                    ),
                }
            }
            Self::Sqlite { file } => check_writable_folder(file),
            Self::Other => Ok(()),
        }
    }
}

impl std::fmt::Display for DatabaseTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite { file } => write!(f, "SQLite database {} (DATABASE_URL)", file.display()),
            Self::Postgres { host, port, database } => {
                write!(f, "PostgreSQL database {database:?} at {host}:{port} (DATABASE_URL)")
            }
            Self::Other => write!(f, "database (DATABASE_URL)"),
        }
    }
}

/// The SQLite file's folder must exist (or be creatable) and be writable: SQLite's own error
/// for a read-only or root-owned folder ("(code 14) unable to open database file") names no path.
fn check_writable_folder(file: &std::path::Path) -> anyhow::Result<()> {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the database folder {} (DATABASE_URL)", dir.display()))?;
    let probe = dir.join(format!(".quantbot-write-check-{}", std::process::id()));
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => anyhow::bail!(
            "the database folder {} is not writable (DATABASE_URL): {e}; make it writable by the user running \
             quantbot (a Docker bind mount must be owned by uid 10001)",
            dir.display()
        ),
    }
}

/// How often the router's global accounts (pump Global / FeeConfig, PumpSwap config) refresh.
const GLOBALS_REFRESH_EVERY: Duration = Duration::from_secs(60);

/// The Helius client for this config (no background cache refresher started).
///
/// # Errors
/// The HTTP client cannot be built.
pub fn build_helius(config: &Config, metrics: Option<Arc<Metrics>>) -> anyhow::Result<HeliusClient> {
    HeliusClient::new(HeliusConfig::from_config(config), metrics)
        .map_err(|e| anyhow::anyhow!("cannot build the Helius client: {e}"))
}

/// The venue router the bot and the operator CLI share: reads pump Global / FeeConfig and the
/// PumpSwap configs once (documented constants with a warning if the chain cannot be read),
/// refreshes them in the background, and routes non-pump mints to Jupiter (`JUPITER_API_URL`,
/// `JUPITER_API_KEY`).
///
/// # Errors
/// The Jupiter HTTP client cannot be built.
pub async fn build_router(
    config: &Config,
    chain: Arc<dyn ChainClient>,
) -> anyhow::Result<Arc<crate::venues::router::VenueRouter>> {
    use crate::venues::globals::GlobalCache;
    use crate::venues::jupiter::{JupiterClient, JupiterConfig};
    use crate::venues::router::{RouterSettings, VenueRouter};
    let globals = match GlobalCache::load(chain.clone()).await {
        Ok(globals) => globals,
        Err(e) => {
            tracing::warn!(error.message = %e, "cannot read pump/PumpSwap global accounts; using documented constants");
            GlobalCache::with_fallback(chain.clone())
        }
    };
    drop(globals.spawn_refresh(GLOBALS_REFRESH_EVERY));
    let jupiter = JupiterClient::new(JupiterConfig {
        base_url: config.jupiter_api_url.clone(),
        api_key: config.jupiter_api_key.clone(),
        timeout: Duration::from_secs(10),
    })
    .map_err(|e| anyhow::anyhow!("cannot build the Jupiter client: {e}"))?;
    Ok(Arc::new(VenueRouter::new(chain, globals, Some(Arc::new(jupiter)), RouterSettings::default())))
}

/// Builds the trading core over the database, the chain, the venue router, custody and the
/// paced Telegram notifier.
///
/// # Errors
/// The venue router cannot be built.
async fn build_trading(
    config: &Config,
    db: &Arc<Db>,
    notifier: telegram::outbox::notices::OutboxNotifier,
    chain: Arc<dyn ChainClient>,
    keys: Option<Arc<crate::wallet::KeyRing>>,
    metrics: &Arc<Metrics>,
) -> anyhow::Result<crate::app::trade::Trading> {
    use crate::app::trade::{Trading, TradingPorts, TradingSettings};
    let router = build_router(config, chain.clone()).await?;
    let ports = TradingPorts {
        users: db.clone(),
        intents: db.clone(),
        positions: db.clone(),
        stats: db.clone(),
        controls: db.clone(),
        admins: db.clone(),
        chain,
        swapper: router,
        signer: Arc::new(crate::wallet::signer::KeyringSigner::new(db.clone(), keys)),
        notifier: Arc::new(notifier),
        clock: Arc::new(SystemClock),
    };
    let mut settings = TradingSettings::new(
        config.dry_run,
        crate::domain::risk::GlobalLimits::default(),
        config.sender_tip,
        crate::solana::submit::SubmitOptions::default(),
    );
    settings.config_admins = config.admin_user_ids.clone();
    let trading = Trading::new(ports, settings);
    trading.set_metrics(metrics.clone());
    Ok(trading)
}

/// Copy trading: the follows' wallets are watched over `HELIUS_WS_URL` (PubSub, one socket) and
/// each leader trade is copied through the connector. `None` without a WebSocket URL.
async fn start_copy_trading(
    config: &Config,
    db: &Arc<Db>,
    alerts: &crate::app::connector::AlertServices,
    trading: &crate::app::trade::Trading,
    chain: Arc<dyn ChainClient>,
    signal: http::ShutdownSignal,
) -> anyhow::Result<Option<crate::app::copy::CopyService>> {
    let Some(url) = config.helius_ws_url.clone() else {
        tracing::info!("no HELIUS_WS_URL: copy trading is off");
        return Ok(None);
    };
    let connector = crate::app::connector::Connector::new(alerts.clone(), trading.clone());
    let copy = crate::app::copy::CopyService::new(db.clone(), connector, trading.clone());
    let leaders = copy.refresh_watched().await.context("loading the copied wallets")?;
    // Creators of held coins with a dev-sell rule: now and every 30 s (new positions, rules).
    let creators = copy.clone();
    let refresh_stop = signal.clone().wait();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(30));
        tokio::pin!(refresh_stop);
        loop {
            tokio::select! {
                _ = every.tick() => {
                    if let Err(e) = creators.refresh_creators().await {
                        tracing::warn!(error.message = %e, "dev-sell creators not refreshed");
                    }
                }
                () = &mut refresh_stop => return,
            }
        }
    });
    let (events_tx, events_rx) = tokio::sync::mpsc::channel(4_096);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let settings = crate::solana::ws::WsSettings::new(url);
    tokio::spawn(crate::solana::ws::run(settings, copy.watched(), events_tx, stop_rx));
    tokio::spawn(crate::app::watcher::Watcher::new(copy.clone(), chain).run(events_rx));
    tokio::spawn(async move {
        signal.wait().await;
        let _ = stop_tx.send(true);
    });
    tracing::info!(leaders, "wallet watcher started");
    Ok(Some(copy))
}

/// Loads open positions into the monitor and starts its tick loop.
///
/// # Errors
/// Storage failures while loading positions.
async fn start_monitor(
    config: &Config,
    trading: &crate::app::trade::Trading,
    chain: Arc<dyn ChainClient>,
    liveness: &Arc<Liveness>,
    metrics: &Arc<Metrics>,
    stop: http::ShutdownSignal,
    orders: Arc<dyn crate::ports::OrderRepo>,
) -> anyhow::Result<(tokio::task::JoinHandle<()>, crate::app::orders::Orders)> {
    use crate::app::monitor::Monitor;
    use crate::app::prices::MarketPrices;
    let prices: Arc<dyn crate::ports::PriceSource> =
        Arc::new(MarketPrices::new(chain, trading.ports().swapper.clone(), Duration::from_secs(10)));
    // Resting orders: fills a crash interrupted are traded first (same keys), then loaded.
    let orders = crate::app::orders::Orders::new(trading.clone(), orders, prices.clone());
    let resumed = orders.resume().await.context("resuming interrupted order fills")?;
    let resting = orders.load().await?;
    let monitor = Arc::new(
        Monitor::new(trading.clone(), prices)
            .with_liveness(liveness.clone())
            .with_metrics(metrics.clone())
            .with_orders(orders.clone()),
    );
    let events =
        trading.subscribe_positions().context("the position monitor must be the only subscriber to position events")?;
    let loaded = monitor.load().await?;
    tracing::info!(positions = loaded, orders = resting, resumed, "position monitor started");
    Ok((tokio::spawn(monitor.run(config.monitor_interval, events, stop.wait())), orders))
}

impl App {
    /// Opens the database (migrating it) and creates the Bot API client.
    ///
    /// # Errors
    /// Database failures.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = open_database(&config).await?;
        let keys = load_keys(&config, &db).await?.map(Arc::new);
        let bot = Bot::new(config.telegram_bot_token.expose_secret()).set_api_url(config.telegram_api_url.clone());
        Ok(Self { config, db, bot, metrics: Arc::new(Metrics::new()), liveness: Liveness::new(), keys })
    }

    /// The database handle (tests inspect it).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Runs until `shutdown` resolves: checks the token, registers the command menu, serves
    /// `/healthz` and `/metrics`, and dispatches updates by long polling. Returns once every task
    /// has stopped. `on_listen` receives the bound ops address (useful with port 0).
    ///
    /// # Errors
    /// A rejected bot token, an unbindable listener, or a failing Bot API at start.
    pub async fn run<F>(self, shutdown: F, on_listen: impl FnOnce(SocketAddr)) -> anyhow::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let Self { config, db, bot, metrics, liveness, keys } = self;
        let me = bot.get_me().await.map_err(|e| match e {
            teloxide::RequestError::Api(teloxide::ApiError::InvalidToken) => {
                anyhow::anyhow!("TELEGRAM_BOT_TOKEN was rejected by Telegram: check the token from @BotFather")
            }
            other => anyhow::anyhow!("cannot reach the Telegram Bot API at {}: {other}", config.telegram_api_url),
        })?;
        liveness.telegram_ok(SystemClock.now_ms());
        metrics.set_telegram_up(true);
        tracing::info!(bot = %me.username(), dry_run = config.dry_run, "connected to Telegram");
        telegram::register_commands(&bot).await.context("registering the command menu")?;

        let (trigger, signal) = http::shutdown_channel();
        let helius = build_helius(&config, Some(metrics.clone()))?;
        let rpc = rpc_status(&config);
        let ops = OpsState { db: db.clone(), metrics: metrics.clone(), liveness: liveness.clone(), rpc: rpc.clone() };
        let (webhook, webhook_route) = match &config.telegram_webhook {
            Some(w) => {
                let (listener, route) = telegram::webhook::listener(w.url.path(), w.secret.clone(), metrics.clone());
                (Some(listener), route)
            }
            None => (None, axum::Router::new()),
        };
        let (addr, http_task) = http::serve_with(config.http_listen, ops, webhook_route, signal.clone())
            .await
            .with_context(|| format!("binding HTTP_LISTEN {}", config.http_listen))?;
        tracing::info!(%addr, "health and metrics listening");
        on_listen(addr);

        let probe = tokio::spawn(probe_telegram(bot.clone(), liveness.clone(), metrics.clone(), signal.clone()));

        let db_port: Arc<Db> = Arc::new(db.clone());
        let db_port_for_shutdown = db_port.clone();
        let livetrade =
            LiveTrade::new(db_port.clone(), db_port.clone(), db_port.clone(), Arc::new(SystemClock), config.dry_run)
                .with_controls(db_port.clone());
        // Blockhash and priority fee refresh in the background: the hot path reads the cache.
        // Not on the public RPC, whose rate limit is kept for quotes and balances.
        let chain_cache = (config.rpc_source() == RpcSource::Helius)
            .then(|| crate::solana::helius::ChainCache::spawn(helius.clone(), Default::default()));
        let chain: Arc<dyn ChainClient> = Arc::new(helius);
        let rpc_probe = tokio::spawn(probe_rpc(chain.clone(), rpc, signal.clone()));
        let wallet_settings =
            WalletSettings { withdraw_limit_per_hour: config.withdraw_limit_per_hour, dry_run: config.dry_run };
        let wallets = Wallets::new(
            db_port.clone(),
            chain.clone(),
            keys.clone(),
            db_port.clone(),
            Arc::new(SystemClock),
            wallet_settings,
        );
        // Every Bot API send, edit, delete, photo and callback answer goes through this outbox.
        let (outbox_stop, outbox_stopped) = tokio::sync::oneshot::channel::<()>();
        let limits = telegram::outbox::Limits::new(
            config.broadcast_rate_per_sec,
            config.broadcast_chat_interval,
            Duration::from_secs(3),
        );
        let hooks = telegram::outbox::OutboxHooks {
            users: Some(db_port.clone()),
            metrics: metrics.clone(),
            liveness: liveness.clone(),
        };
        let (outbox, outbox_task) = telegram::outbox::Outbox::start(bot.clone(), limits, hooks, async move {
            let _ = outbox_stopped.await;
        });
        let notifier = telegram::outbox::notices::OutboxNotifier::new(
            outbox.clone(),
            db_port.clone(),
            db_port.clone(),
            Arc::new(SystemClock),
            metrics.clone(),
        );
        // Notices a previous process stored and did not deliver go out first (before anything
        // in this process can notify, so none is queued twice).
        let resent = notifier.resend_pending().await.context("resending stored notices")?;
        if resent > 0 {
            tracing::info!(resent, "stored notices queued again");
        }
        let shutdown_notifier: Arc<dyn crate::ports::Notifier> = Arc::new(notifier.clone());
        let trading = build_trading(&config, &db_port, notifier.clone(), chain.clone(), keys, &metrics).await?;
        // Before any new trading: reconcile every unfinished intent with the chain, then notify
        // fills that were recorded without a notice (a crash in between).
        let recovered = crate::app::recovery::recover(&trading, &crate::solana::submit::SubmitOptions::default())
            .await
            .context("recovering unfinished trades")?;
        if recovered.examined > 0 {
            tracing::info!(?recovered, "startup recovery done");
        }
        let rebuilt = notifier.notify_unrecorded_fills().await.context("checking fills without a notice")?;
        if rebuilt > 0 {
            tracing::info!(rebuilt, "fills recorded without a notice were notified");
        }
        let alert_services = crate::app::connector::AlertServices::new(
            Arc::new(db.clone()),
            metrics.clone(),
            crate::app::connector::ConnectorSettings::default(),
        );
        // Alert buys a crash interrupted before signing: resumed while fresh, else failed as
        // stale. Live positions are compared with their wallets (tokens moved outside the bot).
        let resume_task = {
            let connector = crate::app::connector::Connector::new(alert_services.clone(), trading.clone());
            let trading = trading.clone();
            let resumable = recovered.resumable;
            tokio::spawn(async move {
                if let Err(e) = connector.resume(resumable).await {
                    tracing::error!(error.message = %e, "resuming interrupted alert buys failed");
                }
                match trading.reconcile_open_positions().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(changed = n, "positions reconciled with their wallets"),
                    Err(e) => tracing::warn!(error.message = %e, "reconciling positions with wallets failed"),
                }
            })
        };
        // Copy trading: the wallet watcher over the Solana WebSocket, when one is configured.
        let copy =
            start_copy_trading(&config, &db_port, &alert_services, &trading, chain.clone(), signal.clone()).await?;
        let (monitor_task, orders) =
            start_monitor(&config, &trading, chain.clone(), &liveness, &metrics, signal.clone(), db_port.clone())
                .await?;
        // Trades whose outcome was unknown ("pending" to the user) are re-checked periodically.
        let reconciler = tokio::spawn(crate::app::recovery::run_reconciler(
            trading.clone(),
            Duration::from_secs(10),
            crate::solana::submit::SubmitOptions::default(),
            signal.clone().wait(),
        ));
        let config_admins = Arc::new(config.admin_user_ids.iter().copied().collect::<HashSet<_>>());
        let (admin_deps, broadcast_runner) =
            admin_wiring(&config, &db_port, &outbox, config_admins.clone(), &metrics, signal.clone()).await;
        let deletions: Arc<dyn crate::ports::DeletionSchedule> = db_port.clone();
        let deletion_task =
            tokio::spawn(telegram::deletions::run(outbox.clone(), deletions.clone(), signal.clone().wait()));
        let positions = crate::app::positions::Positions::new(
            trading.ports().positions.clone(),
            trading.ports().users.clone(),
            trading.ports().swapper.clone(),
        )
        .with_safety(trading.safety().clone());
        let deps = Arc::new(BotDeps {
            outbox,
            users: db_port.clone(),
            livetrade,
            wallets,
            positions: Some(positions),
            wallet_export_ttl: config.wallet_export_ttl,
            config_admins,
            metrics: metrics.clone(),
            liveness: liveness.clone(),
            deletions,
            trading: Some(trading),
            orders: Some(orders),
            admin: admin_deps,
            alerts: alert_services,
            copy,
            prompts: crate::app::home::Prompts::new(db_port.clone(), Arc::new(SystemClock)),
            usd: crate::app::usd::UsdRates::new(config.jupiter_price_url.clone().map(|url| {
                Arc::new(crate::venues::jupiter_price::JupiterPrice::new(
                    url,
                    config.jupiter_api_key.clone(),
                    Duration::from_secs(2),
                )) as Arc<dyn crate::ports::SolUsdSource>
            })),
        });
        let mut dispatcher = Dispatcher::builder(bot.clone(), telegram::schema())
            .distribution_function(update_worker)
            .dependencies(dptree::deps![deps])
            .default_handler(|_update| async {})
            .error_handler(LoggingErrorHandler::with_custom_text("error while handling an update"))
            .build();
        let token = dispatcher.shutdown_token();
        let stopper = tokio::spawn(async move {
            shutdown.await;
            let began = tokio::time::Instant::now();
            tracing::info!("shutting down: no new updates; in-flight trades get SHUTDOWN_DEADLINE_SECS to settle");
            // The dispatcher may still be starting; retry until it accepts the shutdown.
            loop {
                match token.shutdown() {
                    Ok(done) => {
                        done.await;
                        break;
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
            trigger.fire();
            began
        });
        let errors = LoggingErrorHandler::with_custom_text("error from the update listener");
        match (webhook, &config.telegram_webhook) {
            (Some(listener), Some(w)) => {
                bot.set_webhook(w.url.clone())
                    .secret_token(w.secret.expose_secret().to_owned())
                    .await
                    .context("setting the Telegram webhook (TELEGRAM_WEBHOOK_URL)")?;
                tracing::info!(path = w.url.path(), "receiving updates by webhook");
                liveness.set_dispatcher_running(true);
                dispatcher.dispatch_with_listener(listener, errors).await;
            }
            _ => {
                let listener = Polling::builder(bot.clone()).timeout(POLL_TIMEOUT).delete_webhook().await.build();
                liveness.set_dispatcher_running(true);
                dispatcher.dispatch_with_listener(listener, errors).await;
            }
        }
        liveness.set_dispatcher_running(false);
        let began = stopper.await.unwrap_or_else(|_| tokio::time::Instant::now());
        let deadline = began + config.shutdown_deadline;
        // No new updates arrive: drop the handlers' dependencies (and their notifier senders).
        drop(dispatcher);
        let intents: Arc<dyn crate::ports::IntentRepo> = db_port_for_shutdown;
        let unsettled = settle_in_flight(intents.as_ref(), deadline).await;
        // Users whose trade is still in flight are told before the exit (through the outbox,
        // drained below); start-up recovery reports the final result.
        for intent in unsettled {
            let notice = crate::ports::TradeNotice::StillConfirmingAtShutdown {
                mint: intent.new.mint.clone(),
                signature: intent.signature.clone(),
            };
            shutdown_notifier.notify(intent.new.user, notice).await;
        }
        drop(shutdown_notifier);
        for (task, name) in [
            (broadcast_runner, "broadcast worker"),
            (monitor_task, "position monitor"),
            (reconciler, "intent reconciler"),
            (resume_task, "resuming interrupted alert buys"),
        ] {
            if tokio::time::timeout_at(deadline.max(tokio::time::Instant::now() + SHUTDOWN_TASK_GRACE), task)
                .await
                .is_err()
            {
                tracing::warn!(task = name, "did not stop before the shutdown deadline");
            }
        }
        // Every trade holder is gone: the outbox delivers what is queued, then ends. Final
        // notices get the rest of the deadline (at least a few seconds); stored notices that
        // still did not go out are sent after the next start.
        let notices_until = deadline.max(tokio::time::Instant::now() + SHUTDOWN_NOTICE_GRACE);
        let _ = outbox_stop.send(());
        let outbox_abort = outbox_task.abort_handle();
        if tokio::time::timeout_at(notices_until, outbox_task).await.is_err() {
            tracing::warn!("queued messages were not all delivered before the shutdown deadline");
            outbox_abort.abort();
        }
        if let Some(cache) = chain_cache {
            cache.shutdown().await;
        }
        let _ = deletion_task.await;
        let _ = probe.await;
        let _ = rpc_probe.await;
        let _ = http_task.await;
        db.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Workers the dispatcher runs updates on. Each chat always lands on the same worker, so a
/// chat's updates are handled in order; different chats run concurrently across workers.
/// teloxide's default keeps one worker per chat, each holding a 32-slot block of updates, and
/// drops idle ones only once there are more than the most that were ever busy at once: a
/// 10,000-user burst left ~150 MiB resident for good. Buckets bound that to a constant.
const UPDATE_WORKERS: i64 = 128;

/// The worker for an update: its chat's bucket (updates without a chat run on the default
/// worker, concurrently).
fn update_worker(update: &teloxide::types::Update) -> Option<i64> {
    update.chat().map(|c| c.id.0.rem_euclid(UPDATE_WORKERS))
}

/// A stopped background task still gets this long even when the shutdown deadline has passed.
const SHUTDOWN_TASK_GRACE: Duration = Duration::from_secs(1);
/// Queued trade notices still get this long even when the shutdown deadline has passed.
const SHUTDOWN_NOTICE_GRACE: Duration = Duration::from_secs(3);
/// How often shutdown looks for trades still in flight.
const SHUTDOWN_POLL: Duration = Duration::from_millis(100);

/// Waits until no trade is in flight (`pending`, `signed` or `sent`; `unknown` is a stored
/// outcome the next start reconciles) or `deadline` passes. Trades still in flight at the
/// deadline stay stored as they are (start-up recovery settles them against the chain) and are
/// returned, so their users can be told.
async fn settle_in_flight(
    intents: &dyn crate::ports::IntentRepo,
    deadline: tokio::time::Instant,
) -> Vec<crate::domain::intent::Intent> {
    use crate::domain::intent::IntentState;
    let in_flight = |all: Vec<crate::domain::intent::Intent>| -> Vec<crate::domain::intent::Intent> {
        all.into_iter()
            .filter(|i| matches!(i.state, IntentState::Pending | IntentState::Signed | IntentState::Sent))
            .collect()
    };
    // A trade spawned by the last update may not have stored its intent yet.
    tokio::time::sleep(SHUTDOWN_POLL).await;
    loop {
        let left = match intents.unfinished().await {
            Ok(all) => in_flight(all),
            Err(e) => {
                tracing::error!(error.message = %e, "cannot read in-flight trades at shutdown");
                return Vec::new();
            }
        };
        if left.is_empty() {
            tracing::info!("no trade in flight");
            return left;
        }
        if tokio::time::Instant::now() >= deadline {
            let n = left.len();
            tracing::warn!(in_flight = n, "shutdown deadline reached: in-flight trades stay stored for recovery");
            return left;
        }
        tokio::time::sleep(SHUTDOWN_POLL).await;
    }
}

/// Admin use-cases for the handlers and the broadcast worker (spawned; stops with `shutdown`).
async fn admin_wiring(
    config: &Config,
    db: &Arc<Db>,
    outbox: &telegram::outbox::Outbox,
    config_admins: Arc<HashSet<i64>>,
    metrics: &Arc<Metrics>,
    shutdown: http::ShutdownSignal,
) -> (telegram::AdminDeps, tokio::task::JoinHandle<()>) {
    use crate::app::admin::{Admin, AdminPorts};
    use crate::app::broadcast::{BroadcastRunner, Broadcasts, RunnerPorts, RunnerSettings};
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ports = AdminPorts {
        users: db.clone(),
        repo: db.clone(),
        controls: db.clone(),
        audit: db.clone(),
        clock: clock.clone(),
    };
    let admin = Admin::new(ports, config_admins, metrics.clone());
    if let Err(e) = admin.kill_switch().await {
        tracing::error!(error.message = %e, "cannot read the kill switch");
    }
    let wake = Arc::new(tokio::sync::Notify::new());
    let broadcasts = Broadcasts::new(db.clone(), admin.clone(), clock.clone(), wake.clone());
    let sender = telegram::broadcast::OutboxBroadcastSender::new(outbox.clone(), db.clone());
    let runner = BroadcastRunner::new(
        RunnerPorts { repo: db.clone(), admin_repo: db.clone(), sender: Arc::new(sender), clock },
        RunnerSettings::for_chat_interval(config.broadcast_chat_interval),
        metrics.clone(),
        wake,
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        tokio::join!(runner.run(stop_rx), async move {
            shutdown.wait().await;
            let _ = stop_tx.send(true);
        });
    });
    (telegram::AdminDeps { admin, broadcasts }, task)
}

/// The `/healthz` RPC record for this config; logs which RPC the bot reads the chain through.
fn rpc_status(config: &Config) -> Arc<http::RpcStatus> {
    match config.rpc_source() {
        RpcSource::Helius => {
            tracing::info!(endpoints = config.helius_rpc_urls.len(), "chain reads and sends go through Helius");
            http::RpcStatus::new(RpcSource::Helius, "helius")
        }
        RpcSource::Public => {
            let host = config.public_rpc_url.host_str().unwrap_or_default().to_owned();
            tracing::warn!(
                rpc = %host,
                "no HELIUS_API_KEY or HELIUS_RPC_URL: quotes, balances and paper trades use the public Solana RPC \
                 (rate-limited; live trading needs Helius)"
            );
            http::RpcStatus::new(RpcSource::Public, host)
        }
    }
}

/// Asks the RPC for the block height now and then every [`PROBE_EVERY`], for `/healthz`.
async fn probe_rpc(chain: Arc<dyn ChainClient>, status: Arc<http::RpcStatus>, shutdown: http::ShutdownSignal) {
    let mut stop = std::pin::pin!(shutdown.wait());
    loop {
        let ok = tokio::select! {
            () = &mut stop => return,
            answer = chain.block_height() => answer.is_ok(),
        };
        if !ok {
            tracing::warn!("the RPC does not answer (getBlockHeight failed)");
        }
        status.record(ok, SystemClock.now_ms());
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(PROBE_EVERY) => {}
        }
    }
}

async fn probe_telegram(bot: Bot, liveness: Arc<Liveness>, metrics: Arc<Metrics>, shutdown: http::ShutdownSignal) {
    let mut stop = std::pin::pin!(shutdown.wait());
    loop {
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(PROBE_EVERY) => {}
        }
        let ok = bot.get_me().await.is_ok();
        if ok {
            liveness.telegram_ok(SystemClock.now_ms());
        } else {
            metrics.error("telegram");
        }
        metrics.set_telegram_up(ok);
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
