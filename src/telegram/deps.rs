//! The services every endpoint may call, injected once through `dptree::deps!`.

use std::collections::HashSet;
use std::sync::Arc;

use super::outbox::Outbox;
use crate::app::admin::Admin;
use crate::app::broadcast::Broadcasts;
use crate::app::livetrade::LiveTrade;
use crate::app::positions::Positions;
use crate::app::wallet::Wallets;
use crate::ports::{DeletionSchedule, UserRepo};
use crate::telemetry::{Liveness, Metrics};

/// Admin use-cases the handlers call.
#[derive(Clone, Debug)]
pub struct AdminDeps {
    /// Roles, kill switch, pauses, stats, audit.
    pub admin: Admin,
    /// Broadcasts.
    pub broadcasts: Broadcasts,
}

/// Everything handlers need.
#[derive(Clone)]
pub struct BotDeps {
    /// The one queue every Bot API call goes through.
    pub outbox: Outbox,
    /// Users.
    pub users: Arc<dyn UserRepo>,
    /// `/livetrade` use-cases.
    pub livetrade: LiveTrade,
    /// `/wallet` use-cases.
    pub wallets: Wallets,
    /// How long an exported secret stays in the chat.
    pub wallet_export_ttl: std::time::Duration,
    /// Admins from configuration.
    pub config_admins: Arc<HashSet<i64>>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Liveness.
    pub liveness: Arc<Liveness>,
    /// Persisted schedule of bot messages to delete (exported keys).
    pub deletions: Arc<dyn DeletionSchedule>,
    /// The trading core (`None` when no venue router is configured).
    pub trading: Option<crate::app::trade::Trading>,
    /// Resting orders (`None` without trading).
    pub orders: Option<crate::app::orders::Orders>,
    /// Positions, history, statistics and token cards (`None` without trading).
    pub positions: Option<Positions>,
    /// Alert sources, subscriptions and the duplicate-call filter.
    pub alerts: crate::app::connector::AlertServices,
    /// Admin use-cases (roles, kill switch, pauses, stats, broadcasts).
    pub admin: AdminDeps,
    /// Copy trading (`None` without trading or without a Solana WebSocket URL).
    pub copy: Option<crate::app::copy::CopyService>,
    /// Prompts waiting for a typed answer.
    pub prompts: crate::app::home::Prompts,
    /// SOL/USD for display (cached; SOL only when unavailable).
    pub usd: crate::app::usd::UsdRates,
}

impl std::fmt::Debug for BotDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotDeps").field("livetrade", &self.livetrade).finish_non_exhaustive()
    }
}
