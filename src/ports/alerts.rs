//! Alert sources, subscriptions and received alerts.

use std::collections::HashMap;

use async_trait::async_trait;

use super::RepoError;
use crate::domain::alert::AlertKind;
use crate::domain::alert::rules::SubscriptionSettings;
use crate::domain::user::UserId;

/// A registered source (channel or group). Only its numeric chat id identifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSource {
    /// Row id.
    pub id: i64,
    /// Numeric chat id (`-100…` for channels and supergroups).
    pub chat_id: i64,
    /// @username without the `@`, if known (display only).
    pub username: Option<String>,
    /// Parser.
    pub kind: AlertKind,
    /// Unique name users subscribe by.
    pub name: String,
    /// Whether posts count.
    pub enabled: bool,
    /// Admin who added it.
    pub created_by: UserId,
    /// Last counted post (unix ms).
    pub last_post_at_ms: Option<i64>,
}

/// A source to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSource {
    /// Numeric chat id.
    pub chat_id: i64,
    /// @username without the `@`.
    pub username: Option<String>,
    /// Parser.
    pub kind: AlertKind,
    /// Unique name.
    pub name: String,
    /// Admin adding it.
    pub created_by: UserId,
}

/// Result of adding a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddSource {
    /// Stored.
    Added(AlertSource),
    /// The name is taken.
    NameTaken,
    /// The chat is already registered (under this name).
    ChatTaken(String),
}

/// One subscriber of a source, with their settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// The user.
    pub user: UserId,
    /// Their settings for this source.
    pub settings: SubscriptionSettings,
}

/// A post to remember (once per alert key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    /// Source chat id + message id.
    pub alert_key: String,
    /// Source row id.
    pub source_id: i64,
    /// Parsed mint, if any.
    pub mint: Option<String>,
    /// Parsed alert JSON, or `{"skip": "<code>"}`.
    pub parsed: String,
    /// When it was received (unix ms).
    pub received_at_ms: i64,
    /// When it was posted (Telegram's message date, unix ms): the alert's age counts from here.
    pub posted_at_ms: i64,
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAlert {
    /// Row id.
    pub id: i64,
    /// What was stored.
    pub new: NewAlert,
    /// The token's price when the alert was fanned out (SOL per UI token), if quoted.
    pub receipt_price: Option<rust_decimal::Decimal>,
}

/// Whether an alert was new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertInsert {
    /// First delivery; the row id.
    New(i64),
    /// Seen before (redelivery); the first row id.
    Duplicate(i64),
}

/// Storage of sources, subscriptions and alerts.
#[async_trait]
pub trait AlertRepo: Send + Sync {
    /// Adds a source unless its name or chat is taken.
    async fn add_source(&self, source: &NewSource) -> Result<AddSource, RepoError>;
    /// Removes a source (and its subscriptions and alerts). `false` when unknown.
    async fn remove_source(&self, name: &str) -> Result<bool, RepoError>;
    /// All sources, by name.
    async fn sources(&self) -> Result<Vec<AlertSource>, RepoError>;
    /// The source registered for a numeric chat id.
    async fn source_by_chat(&self, chat_id: i64) -> Result<Option<AlertSource>, RepoError>;
    /// A source by name (case-insensitive).
    async fn source_by_name(&self, name: &str) -> Result<Option<AlertSource>, RepoError>;
    /// Subscribes (or re-enables) with these settings; `true` when newly created.
    async fn subscribe(&self, user: UserId, source_id: i64, settings: &SubscriptionSettings)
    -> Result<bool, RepoError>;
    /// Removes a subscription; `false` when there was none.
    async fn unsubscribe(&self, user: UserId, source_id: i64) -> Result<bool, RepoError>;
    /// A user's settings for a source, if subscribed.
    async fn subscription(&self, user: UserId, source_id: i64) -> Result<Option<SubscriptionSettings>, RepoError>;
    /// Replaces a subscription's settings; `false` when not subscribed.
    async fn save_settings(
        &self,
        user: UserId,
        source_id: i64,
        settings: &SubscriptionSettings,
    ) -> Result<bool, RepoError>;
    /// A user's subscriptions with their sources.
    async fn subscriptions_of(&self, user: UserId) -> Result<Vec<(AlertSource, SubscriptionSettings)>, RepoError>;
    /// Enabled subscribers (active users) of a source.
    async fn subscribers(&self, source_id: i64) -> Result<Vec<Subscriber>, RepoError>;
    /// Stores an alert once per key.
    async fn record_alert(&self, alert: &NewAlert) -> Result<AlertInsert, RepoError>;
    /// A stored alert.
    async fn alert(&self, id: i64) -> Result<Option<StoredAlert>, RepoError>;
    /// A stored alert by its key (source chat + message id).
    async fn alert_by_key(&self, key: &str) -> Result<Option<StoredAlert>, RepoError>;
    /// Records the token's price when the alert was fanned out (the drift reference).
    async fn set_receipt_price(&self, id: i64, price: rust_decimal::Decimal) -> Result<(), RepoError>;
    /// Alert buy intents per user since `since_ms` (failed and expired ones do not count).
    async fn alert_buys_since(&self, since_ms: i64) -> Result<HashMap<UserId, u32>, RepoError>;
    /// Records the time of a source's last counted post.
    async fn touch_source(&self, source_id: i64, at_ms: i64) -> Result<(), RepoError>;
}

/// Where alert-trade latencies go (Prometheus behind it).
pub trait LatencySink: Send + Sync {
    /// Records alert received → transaction sent (or paper-filled) for one trade, in seconds.
    fn alert_trade_latency(&self, seconds: f64, mode: &str);
    /// Counts a received post by outcome (`not_a_source`, `skipped`, `repeat`, `dispatched`, …).
    fn alert_post(&self, outcome: &str);
}

/// A sink that drops everything (tests, benches).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLatency;

impl LatencySink for NoLatency {
    fn alert_trade_latency(&self, _seconds: f64, _mode: &str) {}
    fn alert_post(&self, _outcome: &str) {}
}
