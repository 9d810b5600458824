//! `/livetrade`: enable, disable, status and per-user configuration.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::domain::user::UserId;
use crate::domain::user_config::{ConfigKey, ConfigSetError, UserConfig};
use crate::ports::{AuditEntry, AuditLog, Clock, RepoError, TradingStatsRepo, TradingSummary, UserRepo};

/// Result of a `config key value` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetOutcome {
    /// Saved; carries the key and the new config.
    Saved(ConfigKey, Box<UserConfig>),
    /// The key is unknown; nothing changed.
    UnknownKey,
    /// The value was refused; nothing changed.
    Refused(ConfigSetError),
}

/// What `/livetrade status` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusView {
    /// The user's config.
    pub config: UserConfig,
    /// Today's numbers.
    pub summary: TradingSummary,
    /// Whether the whole bot runs in dry-run.
    pub global_dry_run: bool,
    /// Statistics over all realized sells.
    pub stats: crate::domain::stats::TradingStats,
    /// The admin kill switch.
    pub kill_switch: crate::domain::risk::KillSwitch,
    /// Whether an admin paused this user.
    pub paused: bool,
}

/// The `/livetrade` use-cases.
#[derive(Clone)]
pub struct LiveTrade {
    users: Arc<dyn UserRepo>,
    stats: Arc<dyn TradingStatsRepo>,
    audit: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
    global_dry_run: bool,
    controls: Option<Arc<dyn crate::ports::Controls>>,
}

impl std::fmt::Debug for LiveTrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveTrade").field("global_dry_run", &self.global_dry_run).finish_non_exhaustive()
    }
}

impl LiveTrade {
    /// Wires the use-case to its ports.
    pub fn new(
        users: Arc<dyn UserRepo>,
        stats: Arc<dyn TradingStatsRepo>,
        audit: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
        global_dry_run: bool,
    ) -> Self {
        Self { users, stats, audit, clock, global_dry_run, controls: None }
    }

    /// Shows the kill switch and the user's pause in the status (read from `controls`).
    #[must_use]
    pub fn with_controls(mut self, controls: Arc<dyn crate::ports::Controls>) -> Self {
        self.controls = Some(controls);
        self
    }

    /// Whether the bot runs in global dry-run.
    pub fn global_dry_run(&self) -> bool {
        self.global_dry_run
    }

    /// Turns trading on or off for `user`. Returns the saved config.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn set_enabled(&self, user: UserId, enabled: bool) -> Result<UserConfig, RepoError> {
        let mut config = self.users.config(user).await?;
        config.trading_enabled = enabled;
        self.users.save_config(user, &config).await?;
        let action = if enabled { "trading_enabled" } else { "trading_disabled" };
        self.audit
            .record(AuditEntry {
                actor: Some(user),
                action: action.to_owned(),
                target: Some(user.0.to_string()),
                details: None,
            })
            .await?;
        Ok(config)
    }

    /// The user's current config.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn config(&self, user: UserId) -> Result<UserConfig, RepoError> {
        self.users.config(user).await
    }

    /// Sets one key from user text. A refused value changes nothing.
    ///
    /// # Errors
    /// Storage failures only; bad input is an `Ok` outcome.
    pub async fn set(&self, user: UserId, key: &str, value: &str) -> Result<SetOutcome, RepoError> {
        let Some(key) = ConfigKey::parse(key) else {
            return Ok(SetOutcome::UnknownKey);
        };
        let current = self.users.config(user).await?;
        match current.set(key, value) {
            Err(e) => Ok(SetOutcome::Refused(e)),
            Ok(next) => {
                self.users.save_config(user, &next).await?;
                self.audit
                    .record(AuditEntry {
                        actor: Some(user),
                        action: "config_changed".to_owned(),
                        target: Some(key.name().to_owned()),
                        details: Some(next.display(key)),
                    })
                    .await?;
                Ok(SetOutcome::Saved(key, Box::new(next)))
            }
        }
    }

    /// Status: config plus today's realized PnL and exposure.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn status(&self, user: UserId) -> Result<StatusView, RepoError> {
        let config = self.users.config(user).await?;
        let day_start = utc_day_start_ms(self.clock.now_ms());
        let summary = self.stats.summary(user, day_start).await?;
        let stats = crate::domain::stats::compute(&self.stats.realized(user).await?);
        let (kill_switch, paused) = match &self.controls {
            Some(c) => (c.kill_switch().await?, c.is_paused(user).await?),
            None => (crate::domain::risk::KillSwitch::Off, false),
        };
        Ok(StatusView { config, summary, global_dry_run: self.global_dry_run, stats, kill_switch, paused })
    }

    /// The home screen's numbers: the config and today's summary (no statistics, no controls).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn summary(&self, user: UserId) -> Result<(UserConfig, crate::ports::TradingSummary), RepoError> {
        let config = self.users.config(user).await?;
        let summary = self.stats.summary(user, utc_day_start_ms(self.clock.now_ms())).await?;
        Ok((config, summary))
    }
}

/// Start of the UTC day containing `now_ms`.
pub fn utc_day_start_ms(now_ms: i64) -> i64 {
    let dt = DateTime::<Utc>::from_timestamp_millis(now_ms).unwrap_or_default();
    dt.date_naive().and_hms_opt(0, 0, 0).map_or(0, |d| d.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_start_truncates_to_midnight_utc() {
        // 2026-11-25T07:40:28.123Z
        let now = 1_795_592_428_123;
        let start = utc_day_start_ms(now);
        assert_eq!(start % 86_400_000, 0);
        assert!(now - start < 86_400_000 && start <= now);
    }
}
