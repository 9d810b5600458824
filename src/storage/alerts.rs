//! Alert sources, subscriptions (settings as JSON) and alerts (unique per alert key).

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, flag};
use crate::domain::alert::AlertKind;
use crate::domain::alert::rules::SubscriptionSettings;
use crate::domain::user::UserId;
use crate::ports::RepoError;
use crate::ports::alerts::{
    AddSource, AlertInsert, AlertRepo, AlertSource, NewAlert, NewSource, StoredAlert, Subscriber,
};

const SOURCE_COLUMNS: &str = "s.id, s.chat_id, s.username, s.kind, s.name, s.enabled, s.created_by, s.last_post_at";

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn row_to_source(row: &AnyRow) -> Result<AlertSource, RepoError> {
    let kind: String = row.try_get("kind")?;
    Ok(AlertSource {
        id: row.try_get("id")?,
        chat_id: row.try_get("chat_id")?,
        username: row.try_get("username")?,
        kind: AlertKind::from_code(&kind).ok_or_else(|| RepoError::Corrupt("alert_sources.kind".to_owned()))?,
        name: row.try_get("name")?,
        enabled: flag(row.try_get("enabled")?),
        created_by: UserId(row.try_get("created_by")?),
        last_post_at_ms: row.try_get("last_post_at")?,
    })
}

/// Decodes settings JSON; a corrupt row is logged and read as `None` (skipped, never guessed).
fn settings_of(row: &AnyRow) -> Result<Option<SubscriptionSettings>, RepoError> {
    let text: String = row.try_get("settings")?;
    match serde_json::from_str(&text) {
        Ok(s) => Ok(Some(s)),
        Err(e) => {
            tracing::error!(error.message = %e, "corrupt alert_subscriptions.settings; subscription skipped");
            Ok(None)
        }
    }
}

fn to_json(settings: &SubscriptionSettings) -> Result<String, RepoError> {
    serde_json::to_string(settings).map_err(|e| RepoError::Corrupt(format!("settings json: {e}")))
}

#[async_trait]
impl AlertRepo for Db {
    async fn add_source(&self, source: &NewSource) -> Result<AddSource, RepoError> {
        if let Some(existing) = self.source_by_chat(source.chat_id).await? {
            return Ok(AddSource::ChatTaken(existing.name));
        }
        if self.source_by_name(&source.name).await?.is_some() {
            return Ok(AddSource::NameTaken);
        }
        let inserted = sqlx::query(
            "INSERT INTO alert_sources (chat_id, username, kind, name, enabled, created_by, created_at) \
             VALUES ($1, $2, $3, $4, 1, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(source.chat_id)
        .bind(source.username.clone())
        .bind(source.kind.code())
        .bind(source.name.clone())
        .bind(source.created_by.0)
        .bind(now_ms())
        .execute(self.writer())
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(AddSource::NameTaken);
        }
        let stored = self.source_by_chat(source.chat_id).await?;
        stored.map(AddSource::Added).ok_or_else(|| RepoError::Corrupt("alert_sources vanished".to_owned()))
    }

    async fn remove_source(&self, name: &str) -> Result<bool, RepoError> {
        let Some(source) = self.source_by_name(name).await? else {
            return Ok(false);
        };
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM alert_subscriptions WHERE source_id = $1").bind(source.id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM alerts WHERE source_id = $1").bind(source.id).execute(&mut *tx).await?;
        let n = sqlx::query("DELETE FROM alert_sources WHERE id = $1").bind(source.id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(n.rows_affected() == 1)
    }

    async fn sources(&self) -> Result<Vec<AlertSource>, RepoError> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM alert_sources s ORDER BY s.name");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(self.pool()).await?;
        rows.iter().map(row_to_source).collect()
    }

    async fn source_by_chat(&self, chat_id: i64) -> Result<Option<AlertSource>, RepoError> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM alert_sources s WHERE s.chat_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(chat_id).fetch_optional(self.pool()).await?;
        row.as_ref().map(row_to_source).transpose()
    }

    async fn source_by_name(&self, name: &str) -> Result<Option<AlertSource>, RepoError> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM alert_sources s WHERE LOWER(s.name) = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name.to_lowercase()).fetch_optional(self.pool()).await?;
        row.as_ref().map(row_to_source).transpose()
    }

    async fn subscribe(
        &self,
        user: UserId,
        source_id: i64,
        settings: &SubscriptionSettings,
    ) -> Result<bool, RepoError> {
        let existed = self.subscription(user, source_id).await?.is_some();
        sqlx::query(
            "INSERT INTO alert_subscriptions (user_id, source_id, settings, enabled, created_at) \
             VALUES ($1, $2, $3, 1, $4) \
             ON CONFLICT (user_id, source_id) DO UPDATE SET settings = excluded.settings, enabled = 1",
        )
        .bind(user.0)
        .bind(source_id)
        .bind(to_json(settings)?)
        .bind(now_ms())
        .execute(self.writer())
        .await?;
        Ok(!existed)
    }

    async fn unsubscribe(&self, user: UserId, source_id: i64) -> Result<bool, RepoError> {
        let res = sqlx::query("DELETE FROM alert_subscriptions WHERE user_id = $1 AND source_id = $2")
            .bind(user.0)
            .bind(source_id)
            .execute(self.writer())
            .await?;
        Ok(res.rows_affected() > 0)
    }

    async fn subscription(&self, user: UserId, source_id: i64) -> Result<Option<SubscriptionSettings>, RepoError> {
        let row = sqlx::query(
            "SELECT settings FROM alert_subscriptions WHERE user_id = $1 AND source_id = $2 AND enabled = 1",
        )
        .bind(user.0)
        .bind(source_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(match row {
            Some(r) => settings_of(&r)?,
            None => None,
        })
    }

    async fn save_settings(
        &self,
        user: UserId,
        source_id: i64,
        settings: &SubscriptionSettings,
    ) -> Result<bool, RepoError> {
        let res = sqlx::query("UPDATE alert_subscriptions SET settings = $1 WHERE user_id = $2 AND source_id = $3")
            .bind(to_json(settings)?)
            .bind(user.0)
            .bind(source_id)
            .execute(self.writer())
            .await?;
        Ok(res.rows_affected() > 0)
    }

    async fn subscriptions_of(&self, user: UserId) -> Result<Vec<(AlertSource, SubscriptionSettings)>, RepoError> {
        let sql = format!(
            "SELECT {SOURCE_COLUMNS}, a.settings FROM alert_subscriptions a JOIN alert_sources s ON s.id = a.source_id \
             WHERE a.user_id = $1 AND a.enabled = 1 ORDER BY s.name"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user.0).fetch_all(self.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            if let Some(settings) = settings_of(row)? {
                out.push((row_to_source(row)?, settings));
            }
        }
        Ok(out)
    }

    async fn subscribers(&self, source_id: i64) -> Result<Vec<Subscriber>, RepoError> {
        let rows = sqlx::query(
            "SELECT a.user_id, a.settings FROM alert_subscriptions a JOIN users u ON u.id = a.user_id \
             WHERE a.source_id = $1 AND a.enabled = 1 AND u.is_active = 1 ORDER BY a.user_id",
        )
        .bind(source_id)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            if let Some(settings) = settings_of(row)? {
                out.push(Subscriber { user: UserId(row.try_get("user_id")?), settings });
            }
        }
        Ok(out)
    }

    async fn record_alert(&self, alert: &NewAlert) -> Result<AlertInsert, RepoError> {
        let res = sqlx::query(
            "INSERT INTO alerts (alert_key, source_id, mint, parsed, received_at, posted_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (alert_key) DO NOTHING",
        )
        .bind(alert.alert_key.clone())
        .bind(alert.source_id)
        .bind(alert.mint.clone())
        .bind(alert.parsed.clone())
        .bind(alert.received_at_ms)
        .bind(alert.posted_at_ms)
        .execute(self.writer())
        .await?;
        let row = sqlx::query("SELECT id FROM alerts WHERE alert_key = $1")
            .bind(alert.alert_key.clone())
            .fetch_one(self.pool())
            .await?;
        let id: i64 = row.try_get("id")?;
        Ok(if res.rows_affected() == 1 { AlertInsert::New(id) } else { AlertInsert::Duplicate(id) })
    }

    async fn alert(&self, id: i64) -> Result<Option<StoredAlert>, RepoError> {
        let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(self.pool()).await?;
        row.as_ref().map(row_to_alert).transpose()
    }

    async fn alert_by_key(&self, key: &str) -> Result<Option<StoredAlert>, RepoError> {
        let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE alert_key = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(key.to_owned()).fetch_optional(self.pool()).await?;
        row.as_ref().map(row_to_alert).transpose()
    }

    async fn set_receipt_price(&self, id: i64, price: rust_decimal::Decimal) -> Result<(), RepoError> {
        sqlx::query("UPDATE alerts SET receipt_price = $1 WHERE id = $2 AND receipt_price IS NULL")
            .bind(price.to_string())
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn alert_buys_since(&self, since_ms: i64) -> Result<HashMap<UserId, u32>, RepoError> {
        let rows = sqlx::query(
            "SELECT user_id, COUNT(*) AS n FROM trade_intents WHERE origin = 'alert' AND side = 'buy' \
             AND created_at >= $1 AND state NOT IN ('failed', 'expired') GROUP BY user_id",
        )
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?;
        let mut out = HashMap::with_capacity(rows.len());
        for row in &rows {
            let n: i64 = row.try_get("n")?;
            out.insert(UserId(row.try_get("user_id")?), u32::try_from(n).unwrap_or(u32::MAX));
        }
        Ok(out)
    }

    async fn touch_source(&self, source_id: i64, at_ms: i64) -> Result<(), RepoError> {
        sqlx::query("UPDATE alert_sources SET last_post_at = $1 WHERE id = $2")
            .bind(at_ms)
            .bind(source_id)
            .execute(self.writer())
            .await?;
        Ok(())
    }
}

const ALERT_COLUMNS: &str = "id, alert_key, source_id, mint, parsed, received_at, posted_at, receipt_price";

fn row_to_alert(row: &sqlx::any::AnyRow) -> Result<StoredAlert, RepoError> {
    let parsed: Option<String> = row.try_get("parsed")?;
    let received_at_ms: i64 = row.try_get("received_at")?;
    let posted_at: Option<i64> = row.try_get("posted_at")?;
    let receipt_price: Option<String> = row.try_get("receipt_price")?;
    Ok(StoredAlert {
        id: row.try_get("id")?,
        new: NewAlert {
            alert_key: row.try_get("alert_key")?,
            source_id: row.try_get("source_id")?,
            mint: row.try_get("mint")?,
            parsed: parsed.unwrap_or_default(),
            received_at_ms,
            // Alerts stored before posts carried their date: the receipt time is the best known.
            posted_at_ms: posted_at.unwrap_or(received_at_ms),
        },
        receipt_price: receipt_price.and_then(|p| p.parse().ok()),
    })
}
