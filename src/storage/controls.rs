//! Kill switch (in `settings`) and per-user pause (in `users`).

use async_trait::async_trait;
use sqlx::Row;

use super::{Db, SettingsRepo};
use crate::domain::risk::KillSwitch;
use crate::domain::user::UserId;
use crate::ports::{Controls, RepoError};

/// Settings key of the kill switch.
pub const KILL_SWITCH_KEY: &str = "killswitch";

#[async_trait]
impl Controls for Db {
    async fn kill_switch(&self) -> Result<KillSwitch, RepoError> {
        Ok(self.get_setting(KILL_SWITCH_KEY).await?.map_or(KillSwitch::Off, |v| KillSwitch::from_code(&v)))
    }

    async fn is_paused(&self, user: UserId) -> Result<bool, RepoError> {
        let row =
            sqlx::query("SELECT paused FROM users WHERE id = $1").bind(user.0).fetch_optional(self.pool()).await?;
        Ok(row.map(|r| r.try_get::<i64, _>("paused")).transpose()?.is_some_and(|p| p != 0))
    }
}
