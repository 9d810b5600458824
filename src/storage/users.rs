//! Users and their trading configs.

use async_trait::async_trait;
use sqlx::Row;

use super::{Db, flag};
use crate::domain::lang::Lang;
use crate::domain::user::{Role, User, UserId};
use crate::domain::user_config::UserConfig;
use crate::ports::{RepoError, SeenUser, UserRepo};

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn row_to_user(row: &sqlx::any::AnyRow) -> Result<User, RepoError> {
    let lang_code: String = row.try_get("language")?;
    let role: String = row.try_get("role")?;
    Ok(User {
        id: UserId(row.try_get("id")?),
        chat_id: row.try_get("chat_id")?,
        username: row.try_get("username")?,
        lang: Lang::from_code(&lang_code).unwrap_or_default(),
        role: Role::from_code(&role),
        is_active: flag(row.try_get("is_active")?),
        created_at_ms: row.try_get("created_at")?,
    })
}

#[async_trait]
impl UserRepo for Db {
    #[tracing::instrument(skip_all, fields(user_id = seen.id.0))]
    async fn register(&self, seen: &SeenUser) -> Result<(User, bool), RepoError> {
        super::retry_transient(|| self.register_once(seen), RepoError::is_transient).await
    }

    async fn get(&self, id: UserId) -> Result<Option<User>, RepoError> {
        let row =
            sqlx::query("SELECT id, chat_id, username, language, role, is_active, created_at FROM users WHERE id = $1")
                .bind(id.0)
                .fetch_optional(self.pool())
                .await?;
        row.as_ref().map(row_to_user).transpose()
    }

    async fn set_language(&self, id: UserId, lang: Lang) -> Result<(), RepoError> {
        sqlx::query("UPDATE users SET language = $1, updated_at = $2 WHERE id = $3")
            .bind(lang.code())
            .bind(now_ms())
            .bind(id.0)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn config(&self, id: UserId) -> Result<UserConfig, RepoError> {
        let row = sqlx::query("SELECT settings FROM user_configs WHERE user_id = $1")
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?;
        match row {
            None => Ok(UserConfig::default()),
            Some(row) => {
                let json: String = row.try_get("settings")?;
                serde_json::from_str(&json).map_err(|e| RepoError::Corrupt(format!("user config: {e}")))
            }
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = id.0))]
    async fn save_config(&self, id: UserId, config: &UserConfig) -> Result<(), RepoError> {
        let json = serde_json::to_string(config).map_err(|e| RepoError::Corrupt(format!("user config: {e}")))?;
        sqlx::query(
            "INSERT INTO user_configs (user_id, trading_enabled, dry_run, settings, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_id) DO UPDATE SET trading_enabled = excluded.trading_enabled, dry_run = excluded.dry_run, \
             settings = excluded.settings, updated_at = excluded.updated_at",
        )
        .bind(id.0)
        .bind(i64::from(config.trading_enabled))
        .bind(i64::from(config.dry_run))
        .bind(json)
        .bind(now_ms())
        .execute(self.writer())
        .await?;
        Ok(())
    }
}

impl Db {
    async fn register_once(&self, seen: &SeenUser) -> Result<(User, bool), RepoError> {
        // The common case, a known user with nothing changed, costs one indexed read and no
        // write (every update registers its sender).
        if let Some(user) = self.get(seen.id).await?
            && user.chat_id == seen.chat_id
            && user.username == seen.username
            && user.is_active
        {
            return Ok((user, false));
        }
        let now = now_ms();
        // Config admins (ADMIN_USER_IDS) are authorized from the configuration on every command and
        // never persisted as admins, so removing an id from the configuration revokes it. Only
        // `/admin add` writes the admin role.
        let role = Role::User.code();
        // Insert-or-ignore is portable (ON CONFLICT DO NOTHING works on both engines).
        let inserted = sqlx::query(
            "INSERT INTO users (id, chat_id, username, language, role, is_active, paused, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 1, 0, $6, $6) ON CONFLICT (id) DO NOTHING",
        )
        .bind(seen.id.0)
        .bind(seen.chat_id)
        .bind(seen.username.clone())
        .bind(seen.lang.code())
        .bind(role)
        .bind(now)
        .execute(self.writer())
        .await?
        .rows_affected()
            == 1;
        if !inserted {
            // The role is left as it is (persisted /admin grants stay).
            sqlx::query("UPDATE users SET chat_id = $1, username = $2, is_active = 1, updated_at = $3 WHERE id = $4")
                .bind(seen.chat_id)
                .bind(seen.username.clone())
                .bind(now)
                .bind(seen.id.0)
                .execute(self.writer())
                .await?;
        }
        let user =
            self.get(seen.id).await?.ok_or_else(|| RepoError::Corrupt("user vanished after upsert".to_owned()))?;
        Ok((user, inserted))
    }
}
