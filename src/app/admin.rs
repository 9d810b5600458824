//! Admin use-cases: who is an admin (`ADMIN_USER_IDS` ∪ persisted role), role changes, the kill
//! switch, per-user pauses and `/stats`. Every mutating call needs an [`AdminActor`], which only
//! [`Admin::authorize`] creates, and is written to the audit log.

use std::collections::HashSet;
use std::sync::Arc;

use crate::app::livetrade::utc_day_start_ms;
use crate::domain::risk::KillSwitch;
use crate::domain::user::{Role, User, UserId};
use crate::ports::admin::{AdminRepo, BotStats};
use crate::ports::{AuditEntry, AuditLog, Clock, Controls, RepoError, UserRepo};
use crate::telemetry::Metrics;

/// Proof that a user is an admin right now; only [`Admin::authorize`] creates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminActor(UserId);

impl AdminActor {
    /// The admin's user id.
    pub fn id(self) -> UserId {
        self.0
    }
}

/// Result of `/admin add` and `/admin remove`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleChange {
    /// Role changed.
    Changed,
    /// Already in that role; nothing changed.
    Unchanged,
    /// The user never talked to the bot; nothing changed.
    NotRegistered,
    /// Admin by `ADMIN_USER_IDS`: only the configuration can revoke it.
    ConfigAdmin,
}

/// `/admin list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminList {
    /// Admins from `ADMIN_USER_IDS`, sorted.
    pub configured: Vec<i64>,
    /// Admins with a stored role (may overlap `configured`).
    pub persisted: Vec<User>,
}

/// The admin use-cases.
#[derive(Clone)]
pub struct Admin {
    users: Arc<dyn UserRepo>,
    repo: Arc<dyn AdminRepo>,
    controls: Arc<dyn Controls>,
    audit: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
    config_admins: Arc<HashSet<i64>>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin").field("config_admins", &self.config_admins).finish_non_exhaustive()
    }
}

/// The ports [`Admin`] works with.
#[derive(Clone)]
pub struct AdminPorts {
    /// Users.
    pub users: Arc<dyn UserRepo>,
    /// Roles, pauses, kill switch, stats.
    pub repo: Arc<dyn AdminRepo>,
    /// Reads the kill switch.
    pub controls: Arc<dyn Controls>,
    /// Audit log.
    pub audit: Arc<dyn AuditLog>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

impl Admin {
    /// Wires the use-cases.
    pub fn new(ports: AdminPorts, config_admins: Arc<HashSet<i64>>, metrics: Arc<Metrics>) -> Self {
        let AdminPorts { users, repo, controls, audit, clock } = ports;
        Self { users, repo, controls, audit, clock, config_admins, metrics }
    }

    /// Whether `user` is an admin (configured or persisted). A refusal is counted and audited.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn authorize(&self, user: UserId, command: &str) -> Result<Option<AdminActor>, RepoError> {
        if self.config_admins.contains(&user.0) {
            return Ok(Some(AdminActor(user)));
        }
        if self.users.get(user).await?.is_some_and(|u| u.role == Role::Admin) {
            return Ok(Some(AdminActor(user)));
        }
        self.metrics.admin_action("refused");
        self.record(user, "admin.refused", None, Some(command.to_owned())).await?;
        Ok(None)
    }

    /// Grants the admin role to a registered user.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn add(&self, actor: AdminActor, target: UserId) -> Result<RoleChange, RepoError> {
        let Some(user) = self.users.get(target).await? else {
            return Ok(RoleChange::NotRegistered);
        };
        if user.role == Role::Admin {
            return Ok(RoleChange::Unchanged);
        }
        self.repo.set_role(target, Role::Admin).await?;
        self.done(actor, "admin.add", Some(target.0.to_string()), None).await?;
        Ok(RoleChange::Changed)
    }

    /// Revokes a persisted admin role (configured admins stay admins).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn remove(&self, actor: AdminActor, target: UserId) -> Result<RoleChange, RepoError> {
        if self.config_admins.contains(&target.0) {
            return Ok(RoleChange::ConfigAdmin);
        }
        let Some(user) = self.users.get(target).await? else {
            return Ok(RoleChange::NotRegistered);
        };
        if user.role != Role::Admin {
            return Ok(RoleChange::Unchanged);
        }
        self.repo.set_role(target, Role::User).await?;
        self.done(actor, "admin.remove", Some(target.0.to_string()), None).await?;
        Ok(RoleChange::Changed)
    }

    /// Every admin.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn list(&self, actor: AdminActor) -> Result<AdminList, RepoError> {
        let mut configured: Vec<i64> = self.config_admins.iter().copied().collect();
        configured.sort_unstable();
        let persisted = self.repo.persisted_admins().await?;
        self.done(actor, "admin.list", None, None).await?;
        Ok(AdminList { configured, persisted })
    }

    /// The current kill switch.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn kill_switch(&self) -> Result<KillSwitch, RepoError> {
        let state = self.controls.kill_switch().await?;
        self.metrics.set_kill_switch(kill_level(state));
        Ok(state)
    }

    /// Sets the kill switch (persisted; read by the trading core before every trade).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn set_kill_switch(&self, actor: AdminActor, state: KillSwitch) -> Result<(), RepoError> {
        self.repo.set_kill_switch(state).await?;
        self.metrics.set_kill_switch(kill_level(state));
        self.done(actor, "killswitch", None, Some(state.code().to_owned())).await
    }

    /// Pauses or unpauses one user's new entries; `false` when the user is not registered.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn set_paused(&self, actor: AdminActor, target: UserId, paused: bool) -> Result<bool, RepoError> {
        if !self.repo.set_paused(target, paused).await? {
            return Ok(false);
        }
        let action = if paused { "pause" } else { "unpause" };
        self.done(actor, action, Some(target.0.to_string()), None).await?;
        Ok(true)
    }

    /// Bot-wide numbers (today = the current UTC day).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn stats(&self, actor: AdminActor) -> Result<BotStats, RepoError> {
        let stats = self.repo.stats(utc_day_start_ms(self.clock.now_ms())).await?;
        self.done(actor, "stats", None, None).await?;
        Ok(stats)
    }

    /// Audits and counts an admin action.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn done(
        &self,
        actor: AdminActor,
        action: &str,
        target: Option<String>,
        details: Option<String>,
    ) -> Result<(), RepoError> {
        self.metrics.admin_action(action);
        self.record(actor.0, action, target, details).await
    }

    async fn record(
        &self,
        actor: UserId,
        action: &str,
        target: Option<String>,
        details: Option<String>,
    ) -> Result<(), RepoError> {
        self.audit.record(AuditEntry { actor: Some(actor), action: action.to_owned(), target, details }).await
    }
}

/// Gauge value of the kill switch.
fn kill_level(state: KillSwitch) -> i64 {
    match state {
        KillSwitch::Off => 0,
        KillSwitch::Entries => 1,
        KillSwitch::Hard => 2,
    }
}
