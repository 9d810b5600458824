//! Typed configuration, built once from the environment (and `.env`), validated at start.
//!
//! Secrets are wrapped in [`SecretString`] and never printed: `Config`'s `Debug` shows them as
//! redacted. No other module reads environment variables.

use std::collections::HashMap;
use std::net::SocketAddr;

use secrecy::{ExposeSecret, SecretString};

use crate::domain::money::Lamports;

/// Default Telegram Bot API base URL.
pub const DEFAULT_TELEGRAM_API_URL: &str = "https://api.telegram.org";
/// Default database: an embedded SQLite file, created if missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/quantbot.db";
/// Default Helius Sender endpoint (fast path).
pub const DEFAULT_HELIUS_SENDER_URL: &str = "https://sender.helius-rpc.com/fast";
/// Default Jupiter Metis v1 base URL.
pub const DEFAULT_JUPITER_API_URL: &str = "https://api.jup.ag/swap/v1";
/// Jupiter Price API v3 (SOL/USD for display).
pub const DEFAULT_JUPITER_PRICE_URL: &str = "https://api.jup.ag/price/v3";
/// Default health/metrics listener.
pub const DEFAULT_HTTP_LISTEN: &str = "127.0.0.1:9090";
/// Default public Solana mainnet RPC, used for quotes, balances and paper trades when no Helius
/// RPC is configured. Rate-limited (about 100 requests per 10 s per IP, 40 per 10 s per method)
/// and never used for live trading.
pub const DEFAULT_PUBLIC_RPC_URL: &str = "https://api.mainnet-beta.solana.com";
/// Requests per second allowed to the public RPC (its documented per-method limit is 40 / 10 s).
pub const PUBLIC_RPC_RPS: u32 = 4;
/// Default time SIGTERM leaves in-flight trades to settle before the process exits.
pub const DEFAULT_SHUTDOWN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(20);

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// JSON when stdout is not a terminal (containers, log collectors), pretty otherwise.
    Auto,
    /// Human-readable, coloured when on a terminal.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Which JSON-RPC service the chain client talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpcSource {
    /// Helius (`HELIUS_RPC_URL` / `HELIUS_API_KEY`): priority-fee API, Sender, live trading.
    Helius,
    /// The public Solana RPC (`SOLANA_PUBLIC_RPC_URL`): rate-limited, paper trading only.
    Public,
}

impl RpcSource {
    /// The name `/healthz` and the logs use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Helius => "helius",
            Self::Public => "public",
        }
    }
}

/// Where the wallet master key comes from.
#[derive(Debug, Clone)]
pub enum MasterKeySource {
    /// 32 raw bytes given as 64 hex characters (`WALLET_MASTER_KEY`).
    Hex(SecretString),
    /// A passphrase stretched with Argon2id (`WALLET_MASTER_PASSPHRASE`).
    Passphrase(SecretString),
}

/// The whole runtime configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Bot token from @BotFather.
    pub telegram_bot_token: SecretString,
    /// Bot API base URL (override to run against a local fake).
    pub telegram_api_url: reqwest::Url,
    /// sqlx database URL (`sqlite://…` or `postgres://…`).
    pub database_url: SecretString,
    /// Helius API key, if any.
    pub helius_api_key: Option<SecretString>,
    /// Helius JSON-RPC endpoints in failover order (full URLs; may embed the API key, hence secret).
    /// Empty when no Helius RPC is configured: the public RPC is used instead (paper only).
    pub helius_rpc_urls: Vec<SecretString>,
    /// The public Solana RPC used when `helius_rpc_urls` is empty (`SOLANA_PUBLIC_RPC_URL`).
    pub public_rpc_url: reqwest::Url,
    /// Helius Sender endpoint.
    pub helius_sender_url: reqwest::Url,
    /// Solana PubSub WebSocket for the wallet watcher (`HELIUS_WS_URL`; derived from the first
    /// `HELIUS_RPC_URL` when absent: `https` → `wss`). `None`: no watcher (copy trading off).
    pub helius_ws_url: Option<SecretString>,
    /// Jupiter swap API base URL.
    pub jupiter_api_url: reqwest::Url,
    /// Jupiter API key, if any.
    pub jupiter_api_key: Option<SecretString>,
    /// Jupiter Price API base URL for SOL/USD (`JUPITER_PRICE_URL`; `off`: SOL only).
    pub jupiter_price_url: Option<reqwest::Url>,
    /// Wallet master key source; wallets cannot be unlocked without it.
    pub wallet_master: Option<MasterKeySource>,
    /// The new master key during a rotation (`WALLET_NEW_MASTER_KEY` / `…_PASSPHRASE`).
    pub wallet_new_master: Option<MasterKeySource>,
    /// Global limit on non-trade outflows (withdrawals) per rolling hour.
    pub withdraw_limit_per_hour: Lamports,
    /// How long an exported secret stays in the chat before it is deleted.
    pub wallet_export_ttl: std::time::Duration,
    /// Telegram user ids with admin rights from the environment.
    pub admin_user_ids: Vec<i64>,
    /// Global dry-run: nothing is ever sent to the chain when true.
    pub dry_run: bool,
    /// Health and metrics listener address.
    pub http_listen: SocketAddr,
    /// Log format.
    pub log_format: LogFormat,
    /// Sustained requests per second allowed per RPC endpoint (the Helius plan's limit).
    pub rpc_rps: u32,
    /// Tip for the Helius Sender fast path; zero disables the fast path.
    pub sender_tip: Lamports,
    /// Position monitor tick interval.
    pub monitor_interval: std::time::Duration,
    /// Webhook mode (instead of long polling), when `TELEGRAM_WEBHOOK_URL` is set.
    pub telegram_webhook: Option<WebhookConfig>,
    /// Broadcast pacing: messages per second overall (Telegram allows about 30).
    pub broadcast_rate_per_sec: u32,
    /// Broadcast pacing: minimum interval between two messages to the same chat (Telegram: 1 s).
    pub broadcast_chat_interval: std::time::Duration,
    /// How long SIGTERM waits for in-flight trades before the process exits (`SHUTDOWN_DEADLINE_SECS`).
    pub shutdown_deadline: std::time::Duration,
}

/// Webhook mode: Telegram POSTs updates to `url`, served by the `HTTP_LISTEN` listener on the
/// URL's path, and every request must carry `secret` in `X-Telegram-Bot-Api-Secret-Token`.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Public URL Telegram posts to (behind a proxy that forwards to `HTTP_LISTEN`).
    pub url: reqwest::Url,
    /// The secret token (1–256 of `A-Z a-z 0-9 _ -`).
    pub secret: SecretString,
}

/// A configuration problem, naming the variable at fault. Never contains a secret value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is missing or empty.
    #[error("{var} is not set: copy .env.example to .env and set {var}")]
    Missing {
        /// The variable's name.
        var: &'static str,
    },
    /// A variable has a value that cannot be used.
    #[error("{var} is invalid: {reason} (see .env.example)")]
    Invalid {
        /// The variable's name.
        var: &'static str,
        /// What is wrong, without echoing the value.
        reason: String,
    },
    /// `DRY_RUN=false` without what live trading needs.
    #[error("DRY_RUN=false (live trading) needs {missing}: set them, or set DRY_RUN=true to paper trade")]
    LiveTradingNeeds {
        /// The missing settings, named by their variables (e.g. `HELIUS_API_KEY or HELIUS_RPC_URL`).
        missing: String,
    },
}

/// What a command needs from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Everything needed to run the bot (token required).
    Bot,
    /// Only the database (for `migrate`).
    DatabaseOnly,
}

impl Config {
    /// Loads `.env` (if present) into the process environment, then builds the config from it.
    ///
    /// # Errors
    /// Returns the first invalid or missing variable.
    pub fn load(needs: Needs) -> Result<Self, ConfigError> {
        // A missing .env is normal in production (variables come from the environment).
        let _ = dotenvy::dotenv();
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::from_vars(&vars, needs)
    }

    /// Builds the config from a map of variables (pure; used by tests).
    ///
    /// # Errors
    /// Returns the first invalid or missing variable.
    pub fn from_vars(vars: &HashMap<String, String>, needs: Needs) -> Result<Self, ConfigError> {
        let get = |k: &str| vars.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let telegram_bot_token = match (get("TELEGRAM_BOT_TOKEN"), needs) {
            (Some(t), _) => {
                validate_token(&t)?;
                SecretString::from(t)
            }
            (None, Needs::Bot) => return Err(ConfigError::Missing { var: "TELEGRAM_BOT_TOKEN" }),
            (None, Needs::DatabaseOnly) => SecretString::from(String::new()),
        };
        let telegram_api_url = parse_url(
            "TELEGRAM_API_URL",
            &get("TELEGRAM_API_URL").unwrap_or_else(|| DEFAULT_TELEGRAM_API_URL.to_owned()),
        )?;
        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(invalid("DATABASE_URL", "must start with sqlite: or postgres://"));
        }
        check_sqlite_is_a_file(&database_url)?;
        let helius_api_key = get("HELIUS_API_KEY").map(SecretString::from);
        let helius_rpc_urls = match get("HELIUS_RPC_URL") {
            Some(list) => {
                let mut out = Vec::new();
                for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    parse_url("HELIUS_RPC_URL", part)?;
                    out.push(SecretString::from(part.to_owned()));
                }
                out
            }
            None => match &helius_api_key {
                Some(key) => {
                    vec![SecretString::from(format!("https://mainnet.helius-rpc.com/?api-key={}", key.expose_secret()))]
                }
                None => Vec::new(),
            },
        };
        let public_rpc_url = parse_url(
            "SOLANA_PUBLIC_RPC_URL",
            &get("SOLANA_PUBLIC_RPC_URL").unwrap_or_else(|| DEFAULT_PUBLIC_RPC_URL.to_owned()),
        )?;
        let helius_ws_url = match get("HELIUS_WS_URL") {
            Some(url) if url.starts_with("wss://") || url.starts_with("ws://") => Some(SecretString::from(url)),
            Some(_) => return Err(invalid("HELIUS_WS_URL", "must start with wss:// or ws://")),
            None => helius_rpc_urls
                .first()
                .and_then(|u| crate::solana::ws::ws_url_for(u.expose_secret()))
                .map(SecretString::from),
        };
        let helius_sender_url = parse_url(
            "HELIUS_SENDER_URL",
            &get("HELIUS_SENDER_URL").unwrap_or_else(|| DEFAULT_HELIUS_SENDER_URL.to_owned()),
        )?;
        let jupiter_api_url = parse_url(
            "JUPITER_API_URL",
            &get("JUPITER_API_URL").unwrap_or_else(|| DEFAULT_JUPITER_API_URL.to_owned()),
        )?;
        let jupiter_api_key = get("JUPITER_API_KEY").map(SecretString::from);
        let jupiter_price_url = match get("JUPITER_PRICE_URL") {
            Some(v) if v.eq_ignore_ascii_case("off") => None,
            v => Some(parse_url("JUPITER_PRICE_URL", &v.unwrap_or_else(|| DEFAULT_JUPITER_PRICE_URL.to_owned()))?),
        };
        let wallet_master = match (get("WALLET_MASTER_KEY"), get("WALLET_MASTER_PASSPHRASE")) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "WALLET_MASTER_KEY",
                    "set either WALLET_MASTER_KEY or WALLET_MASTER_PASSPHRASE, not both",
                ));
            }
            (Some(hex_key), None) => {
                if hex_key.len() != 64 || !hex_key.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(invalid("WALLET_MASTER_KEY", "must be exactly 64 hex characters (32 bytes)"));
                }
                Some(MasterKeySource::Hex(SecretString::from(hex_key)))
            }
            (None, Some(pass)) => {
                if pass.chars().count() < 12 {
                    return Err(invalid("WALLET_MASTER_PASSPHRASE", "must be at least 12 characters"));
                }
                Some(MasterKeySource::Passphrase(SecretString::from(pass)))
            }
            (None, None) => None,
        };
        let admin_user_ids = match get("ADMIN_USER_IDS") {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| {
                    p.parse::<i64>()
                        .map_err(|_| invalid("ADMIN_USER_IDS", "must be comma-separated numeric Telegram user ids"))
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let dry_run = match get("DRY_RUN") {
            Some(v) => parse_bool(&v).ok_or_else(|| invalid("DRY_RUN", "must be true or false"))?,
            None => true,
        };
        let http_listen = get("HTTP_LISTEN")
            .unwrap_or_else(|| DEFAULT_HTTP_LISTEN.to_owned())
            .parse::<SocketAddr>()
            .map_err(|_| invalid("HTTP_LISTEN", "must be an address like 127.0.0.1:9090"))?;
        let log_format = match get("LOG_FORMAT").as_deref() {
            None | Some("auto") => LogFormat::Auto,
            Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(_) => return Err(invalid("LOG_FORMAT", "must be auto, pretty or json")),
        };
        let rpc_rps = match get("RPC_RPS") {
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| invalid("RPC_RPS", "must be an integer between 1 and 10000"))?,
            None => 10,
        };
        let wallet_new_master = parse_master_source(
            get("WALLET_NEW_MASTER_KEY"),
            get("WALLET_NEW_MASTER_PASSPHRASE"),
            ("WALLET_NEW_MASTER_KEY", "WALLET_NEW_MASTER_PASSPHRASE"),
        )?;
        let withdraw_limit_per_hour = match get("WITHDRAW_LIMIT_SOL_PER_HOUR") {
            Some(v) => Lamports::parse_sol(&v)
                .map_err(|_| invalid("WITHDRAW_LIMIT_SOL_PER_HOUR", "must be a SOL amount such as 100"))?,
            None => Lamports(100 * crate::domain::money::LAMPORTS_PER_SOL),
        };
        let wallet_export_ttl = match get("WALLET_EXPORT_DELETE_SECS") {
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=3600).contains(n))
                .map(std::time::Duration::from_secs)
                .ok_or_else(|| invalid("WALLET_EXPORT_DELETE_SECS", "must be between 1 and 3600 seconds"))?,
            None => std::time::Duration::from_secs(60),
        };
        let monitor_interval = match get("MONITOR_INTERVAL_MS") {
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| (100..=60_000).contains(n))
                .map(std::time::Duration::from_millis)
                .ok_or_else(|| invalid("MONITOR_INTERVAL_MS", "must be milliseconds between 100 and 60000"))?,
            None => std::time::Duration::from_millis(1_500),
        };
        let sender_tip = match get("SENDER_TIP_SOL") {
            Some(v) => {
                Lamports::parse_sol(&v).map_err(|_| invalid("SENDER_TIP_SOL", "must be a SOL amount such as 0.001"))?
            }
            None => Lamports::ZERO,
        };
        let telegram_webhook = parse_webhook(get("TELEGRAM_WEBHOOK_URL"), get("TELEGRAM_WEBHOOK_SECRET"))?;
        let broadcast_rate_per_sec = match get("BROADCAST_RATE_PER_SEC") {
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| invalid("BROADCAST_RATE_PER_SEC", "must be an integer between 1 and 1000"))?,
            None => 25,
        };
        let broadcast_chat_interval = match get("BROADCAST_CHAT_INTERVAL_MS") {
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| (10..=60_000).contains(n))
                .map(std::time::Duration::from_millis)
                .ok_or_else(|| invalid("BROADCAST_CHAT_INTERVAL_MS", "must be between 10 and 60000 milliseconds"))?,
            None => std::time::Duration::from_secs(1),
        };
        let shutdown_deadline = match get("SHUTDOWN_DEADLINE_SECS") {
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=600).contains(n))
                .map(std::time::Duration::from_secs)
                .ok_or_else(|| invalid("SHUTDOWN_DEADLINE_SECS", "must be between 1 and 600 seconds"))?,
            None => DEFAULT_SHUTDOWN_DEADLINE,
        };
        if needs == Needs::Bot && !dry_run {
            check_live_trading(!helius_rpc_urls.is_empty(), wallet_master.is_some())?;
        }
        Ok(Self {
            telegram_bot_token,
            telegram_api_url,
            database_url: SecretString::from(database_url),
            helius_api_key,
            helius_rpc_urls,
            public_rpc_url,
            helius_sender_url,
            helius_ws_url,
            jupiter_api_url,
            jupiter_api_key,
            jupiter_price_url,
            wallet_master,
            wallet_new_master,
            withdraw_limit_per_hour,
            wallet_export_ttl,
            admin_user_ids,
            dry_run,
            http_listen,
            log_format,
            rpc_rps,
            sender_tip,
            monitor_interval,
            telegram_webhook,
            broadcast_rate_per_sec,
            broadcast_chat_interval,
            shutdown_deadline,
        })
    }

    /// Which RPC service the chain client uses: Helius when configured, else the public RPC.
    pub fn rpc_source(&self) -> RpcSource {
        if self.helius_rpc_urls.is_empty() { RpcSource::Public } else { RpcSource::Helius }
    }
}

/// Live trading sends real transactions: it needs a Helius RPC (the public RPC is rate-limited
/// and has no Sender or priority-fee API) and a master key (wallets cannot be opened without one).
fn check_live_trading(has_helius: bool, has_master_key: bool) -> Result<(), ConfigError> {
    let missing: Vec<&str> = [
        (!has_helius).then_some("HELIUS_API_KEY or HELIUS_RPC_URL"),
        (!has_master_key).then_some("WALLET_MASTER_KEY or WALLET_MASTER_PASSPHRASE"),
    ]
    .into_iter()
    .flatten()
    .collect();
    match missing.is_empty() {
        true => Ok(()),
        false => Err(ConfigError::LiveTradingNeeds { missing: missing.join(" and ") }),
    }
}

/// Refuses SQLite URLs that name no file (`sqlite:`, `sqlite://`, `sqlite::memory:`): sqlx
/// would open a throwaway database and every wallet and trade would vanish at exit.
fn check_sqlite_is_a_file(url: &str) -> Result<(), ConfigError> {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Ok(());
    };
    let path = rest.trim_start_matches("//");
    let file = path.split('?').next().unwrap_or(path);
    let throwaway = file.is_empty() || file == ":memory:" || path.contains("mode=memory");
    match throwaway {
        true => Err(invalid(
            "DATABASE_URL",
            "names no database file, so everything would be lost at exit: use e.g. sqlite://data/quantbot.db",
        )),
        false => Ok(()),
    }
}

/// `TELEGRAM_WEBHOOK_URL` + `TELEGRAM_WEBHOOK_SECRET` (both or neither).
fn parse_webhook(url: Option<String>, secret: Option<String>) -> Result<Option<WebhookConfig>, ConfigError> {
    let Some(url) = url else {
        return Ok(None);
    };
    let url = parse_url("TELEGRAM_WEBHOOK_URL", &url)?;
    if url.path().len() < 2 {
        return Err(invalid("TELEGRAM_WEBHOOK_URL", "needs a path, e.g. https://bot.example.com/telegram/webhook"));
    }
    let Some(secret) = secret else {
        return Err(ConfigError::Missing { var: "TELEGRAM_WEBHOOK_SECRET" });
    };
    let ok =
        (1..=256).contains(&secret.len()) && secret.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !ok {
        return Err(invalid("TELEGRAM_WEBHOOK_SECRET", "must be 1-256 characters of A-Z, a-z, 0-9, _ and -"));
    }
    Ok(Some(WebhookConfig { url, secret: SecretString::from(secret) }))
}

/// A master key from a hex variable or a passphrase variable (at most one of them).
fn parse_master_source(
    hex_key: Option<String>,
    pass: Option<String>,
    (hex_var, pass_var): (&'static str, &'static str),
) -> Result<Option<MasterKeySource>, ConfigError> {
    match (hex_key, pass) {
        (Some(_), Some(_)) => Err(invalid(hex_var, &format!("set either {hex_var} or {pass_var}, not both"))),
        (Some(k), None) if k.len() != 64 || !k.chars().all(|c| c.is_ascii_hexdigit()) => {
            Err(invalid(hex_var, "must be exactly 64 hex characters (32 bytes)"))
        }
        (Some(k), None) => Ok(Some(MasterKeySource::Hex(SecretString::from(k)))),
        (None, Some(p)) if p.chars().count() < 12 => Err(invalid(pass_var, "must be at least 12 characters")),
        (None, Some(p)) => Ok(Some(MasterKeySource::Passphrase(SecretString::from(p)))),
        (None, None) => Ok(None),
    }
}

fn invalid(var: &'static str, reason: &str) -> ConfigError {
    ConfigError::Invalid { var, reason: reason.to_owned() }
}

fn parse_url(var: &'static str, value: &str) -> Result<reqwest::Url, ConfigError> {
    let url = reqwest::Url::parse(value).map_err(|_| invalid(var, "must be an absolute http(s) URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(var, "must be an absolute http(s) URL"));
    }
    Ok(url)
}

fn validate_token(token: &str) -> Result<(), ConfigError> {
    // Bot tokens look like `123456789:AA…`; the check catches pasted quotes and whitespace.
    let ok = token.split_once(':').is_some_and(|(id, rest)| {
        !id.is_empty()
            && id.chars().all(|c| c.is_ascii_digit())
            && !rest.is_empty()
            && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    if ok {
        Ok(())
    } else {
        Err(invalid("TELEGRAM_BOT_TOKEN", "does not look like a bot token (digits:letters, from @BotFather)"))
    }
}

/// Parses `true/false`, `1/0`, `yes/no`, `on/off` (case-insensitive).
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn missing_token_names_the_variable_and_env_example() {
        let err = Config::from_vars(&vars(&[]), Needs::Bot).err();
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("TELEGRAM_BOT_TOKEN") && msg.contains(".env.example"), "{msg}");
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn defaults_are_safe() {
        let c = Config::from_vars(&vars(&[("TELEGRAM_BOT_TOKEN", "123:abc")]), Needs::Bot);
        let c = c.ok();
        assert!(c.as_ref().is_some_and(|c| c.dry_run));
        assert_eq!(
            c.as_ref().map(|c| c.database_url.expose_secret().to_owned()).as_deref(),
            Some(DEFAULT_DATABASE_URL)
        );
        assert_eq!(c.as_ref().map(|c| c.http_listen.to_string()).as_deref(), Some(DEFAULT_HTTP_LISTEN));
    }

    #[test]
    fn debug_never_prints_secrets() {
        let c = Config::from_vars(
            &vars(&[
                ("TELEGRAM_BOT_TOKEN", "123:SECRETTOKENVALUE"),
                ("HELIUS_API_KEY", "HELIUSSECRET"),
                ("WALLET_MASTER_KEY", &"ab".repeat(32)),
            ]),
            Needs::Bot,
        )
        .ok();
        let dbg = format!("{c:?}");
        assert!(c.is_some());
        assert!(
            !dbg.contains("SECRETTOKENVALUE") && !dbg.contains("HELIUSSECRET") && !dbg.contains(&"ab".repeat(32)),
            "{dbg}"
        );
    }

    #[test]
    fn bad_values_are_rejected_with_the_variable_name() {
        for (k, v) in [
            ("DRY_RUN", "maybe"),
            ("HTTP_LISTEN", "nowhere"),
            ("WALLET_MASTER_KEY", "abcd"),
            ("ADMIN_USER_IDS", "12,x"),
            ("LOG_FORMAT", "xml"),
            ("TELEGRAM_API_URL", "ftp://x"),
            ("DATABASE_URL", "mysql://x"),
        ] {
            let err = Config::from_vars(&vars(&[("TELEGRAM_BOT_TOKEN", "1:a"), (k, v)]), Needs::Bot).err();
            let msg = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.starts_with(k), "{k}: {msg}");
        }
    }

    #[test]
    fn webhook_needs_a_path_and_a_valid_secret_and_broadcast_pacing_is_bounded() {
        let base = [("TELEGRAM_BOT_TOKEN", "1:a"), ("TELEGRAM_WEBHOOK_URL", "https://bot.example.com/tg/hook")];
        let err = |extra: &[(&str, &str)]| {
            let mut all = base.to_vec();
            all.extend_from_slice(extra);
            Config::from_vars(&vars(&all), Needs::Bot).err().map(|e| e.to_string()).unwrap_or_default()
        };
        assert!(err(&[]).contains("TELEGRAM_WEBHOOK_SECRET"));
        assert!(err(&[("TELEGRAM_WEBHOOK_SECRET", "has space")]).starts_with("TELEGRAM_WEBHOOK_SECRET"));
        assert!(err(&[("TELEGRAM_WEBHOOK_URL", "https://bot.example.com")]).starts_with("TELEGRAM_WEBHOOK_URL"));
        assert!(err(&[("TELEGRAM_WEBHOOK_SECRET", "ok"), ("BROADCAST_RATE_PER_SEC", "0")]).starts_with("BROADCAST"));
        let c =
            Config::from_vars(&vars(&[base[0], base[1], ("TELEGRAM_WEBHOOK_SECRET", "s3cret_-X")]), Needs::Bot).ok();
        assert_eq!(
            c.as_ref().and_then(|c| c.telegram_webhook.as_ref()).map(|w| w.url.path().to_owned()).as_deref(),
            Some("/tg/hook")
        );
        assert_eq!(c.map(|c| (c.broadcast_rate_per_sec, c.broadcast_chat_interval.as_millis())), Some((25, 1000)));
    }

    #[test]
    fn rpc_list_allows_failover_and_migrate_needs_no_token() {
        let c = Config::from_vars(
            &vars(&[("HELIUS_RPC_URL", "http://127.0.0.1:1, http://127.0.0.1:2")]),
            Needs::DatabaseOnly,
        )
        .ok();
        assert_eq!(c.map(|c| c.helius_rpc_urls.len()), Some(2));
    }

    #[test]
    fn live_trading_names_every_missing_setting_in_one_line() {
        let err = |extra: &[(&str, &str)]| {
            let mut all = vec![("TELEGRAM_BOT_TOKEN", "1:a"), ("DRY_RUN", "false")];
            all.extend_from_slice(extra);
            Config::from_vars(&vars(&all), Needs::Bot).err().map(|e| e.to_string()).unwrap_or_default()
        };
        let both = err(&[]);
        assert!(both.contains("HELIUS_API_KEY or HELIUS_RPC_URL and WALLET_MASTER_KEY"), "{both}");
        assert!(!both.contains('\n'));
        let key = err(&[("HELIUS_API_KEY", "k")]);
        assert!(key.contains("WALLET_MASTER_KEY") && !key.contains("HELIUS"), "{key}");
        let rpc = err(&[("WALLET_MASTER_PASSPHRASE", "a long passphrase")]);
        assert!(rpc.contains("HELIUS_API_KEY or HELIUS_RPC_URL") && !rpc.contains("WALLET"), "{rpc}");
        assert_eq!(err(&[("HELIUS_RPC_URL", "http://127.0.0.1:1"), ("WALLET_MASTER_KEY", &"ab".repeat(32))]), "");
        // Paper trading and the database-only commands need neither.
        let paper = Config::from_vars(&vars(&[("TELEGRAM_BOT_TOKEN", "1:a")]), Needs::Bot).ok();
        assert_eq!(paper.map(|c| c.rpc_source()), Some(RpcSource::Public));
        assert!(Config::from_vars(&vars(&[("DRY_RUN", "false")]), Needs::DatabaseOnly).is_ok());
    }

    #[test]
    fn throwaway_sqlite_urls_are_refused() {
        for url in ["sqlite:", "sqlite://", "sqlite::memory:", "sqlite://:memory:", "sqlite://x.db?mode=memory"] {
            let err = Config::from_vars(&vars(&[("DATABASE_URL", url)]), Needs::DatabaseOnly).err();
            let msg = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.starts_with("DATABASE_URL") && msg.contains("no database file"), "{url}: {msg}");
        }
        for url in ["sqlite://data/q.db", "sqlite:q.db", "sqlite:///var/lib/q.db?mode=rwc"] {
            assert!(Config::from_vars(&vars(&[("DATABASE_URL", url)]), Needs::DatabaseOnly).is_ok(), "{url}");
        }
    }

    #[test]
    fn public_rpc_is_used_only_without_helius_and_shutdown_deadline_is_bounded() {
        let c = Config::from_vars(&vars(&[("SOLANA_PUBLIC_RPC_URL", "http://127.0.0.1:7/")]), Needs::DatabaseOnly);
        let c = c.ok();
        assert_eq!(c.as_ref().map(|c| c.public_rpc_url.as_str()), Some("http://127.0.0.1:7/"));
        assert_eq!(c.as_ref().map(|c| c.shutdown_deadline), Some(DEFAULT_SHUTDOWN_DEADLINE));
        assert_eq!(c.map(|c| c.log_format), Some(LogFormat::Auto));
        let h = Config::from_vars(&vars(&[("HELIUS_API_KEY", "k")]), Needs::DatabaseOnly).ok();
        assert_eq!(h.map(|c| c.rpc_source()), Some(RpcSource::Helius));
        let bad = Config::from_vars(&vars(&[("SHUTDOWN_DEADLINE_SECS", "0")]), Needs::DatabaseOnly).err();
        assert!(bad.map(|e| e.to_string()).unwrap_or_default().starts_with("SHUTDOWN_DEADLINE_SECS"));
    }
}
