//! Admin storage: roles, pauses, the kill switch, `/stats` read models, and broadcasts with
//! per-recipient delivery state (`broadcasts`, `broadcast_deliveries`).

use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, KILL_SWITCH_KEY, SettingsRepo, flag};
use crate::domain::lang::Lang;
use crate::domain::risk::KillSwitch;
use crate::domain::user::{Role, User, UserId};
use crate::ports::RepoError;
use crate::ports::admin::{
    AdminRepo, BotStats, BroadcastPayload, BroadcastRecord, BroadcastRepo, BroadcastState, DeliveryCounts,
    DeliveryState, Recipient, SourceStats,
};

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn count(row: &AnyRow, col: &str) -> Result<u64, RepoError> {
    let n: i64 = row.try_get(col)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

fn user_from_row(row: &AnyRow) -> Result<User, RepoError> {
    let lang: String = row.try_get("language")?;
    let role: String = row.try_get("role")?;
    Ok(User {
        id: UserId(row.try_get("id")?),
        chat_id: row.try_get("chat_id")?,
        username: row.try_get("username")?,
        lang: Lang::from_code(&lang).unwrap_or_default(),
        role: Role::from_code(&role),
        is_active: flag(row.try_get("is_active")?),
        created_at_ms: row.try_get("created_at")?,
    })
}

#[async_trait]
impl AdminRepo for Db {
    async fn persisted_admins(&self) -> Result<Vec<User>, RepoError> {
        let rows = sqlx::query(
            "SELECT id, chat_id, username, language, role, is_active, created_at FROM users WHERE role = 'admin' ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    #[tracing::instrument(skip_all, fields(user_id = user.0))]
    async fn set_role(&self, user: UserId, role: Role) -> Result<bool, RepoError> {
        let done = sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3")
            .bind(role.code())
            .bind(now_ms())
            .bind(user.0)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    #[tracing::instrument(skip_all, fields(user_id = user.0))]
    async fn set_paused(&self, user: UserId, paused: bool) -> Result<bool, RepoError> {
        let done = sqlx::query("UPDATE users SET paused = $1, updated_at = $2 WHERE id = $3")
            .bind(i64::from(paused))
            .bind(now_ms())
            .bind(user.0)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_kill_switch(&self, state: KillSwitch) -> Result<(), RepoError> {
        self.put_setting(KILL_SWITCH_KEY, state.code()).await
    }

    async fn mark_inactive(&self, user: UserId) -> Result<(), RepoError> {
        sqlx::query("UPDATE users SET is_active = 0, updated_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(user.0)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn stats(&self, day_start_ms: i64) -> Result<BotStats, RepoError> {
        let users = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS total, \
             CAST(COALESCE(SUM(is_active), 0) AS BIGINT) AS active, \
             CAST(COALESCE(SUM(paused), 0) AS BIGINT) AS paused FROM users",
        )
        .fetch_one(self.pool())
        .await?;
        let trading = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM user_configs WHERE trading_enabled = 1")
            .fetch_one(self.pool())
            .await?;
        let wallets = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM wallets WHERE removed_at IS NULL")
            .fetch_one(self.pool())
            .await?;
        let open = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(cost_lamports), 0) AS BIGINT) AS exposure \
             FROM positions WHERE state = 'open'",
        )
        .fetch_one(self.pool())
        .await?;
        let today = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(sol_lamports), 0) AS BIGINT) AS volume, \
             CAST(COALESCE(SUM(realized_pnl_lamports), 0) AS BIGINT) AS pnl FROM trades WHERE created_at >= $1",
        )
        .bind(day_start_ms)
        .fetch_one(self.pool())
        .await?;
        Ok(BotStats {
            users_total: count(&users, "total")?,
            users_active: count(&users, "active")?,
            users_trading: count(&trading, "n")?,
            users_paused: count(&users, "paused")?,
            wallets: count(&wallets, "n")?,
            open_positions: count(&open, "n")?,
            exposure_lamports: open.try_get("exposure")?,
            trades_today: count(&today, "n")?,
            volume_today_lamports: today.try_get("volume")?,
            pnl_today_lamports: today.try_get("pnl")?,
            sources: self.source_stats().await?,
        })
    }
}

impl Db {
    async fn source_stats(&self) -> Result<Vec<SourceStats>, RepoError> {
        let rows = sqlx::query(
            "SELECT s.name AS name, s.last_post_at AS last_post_at, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM alerts a WHERE a.source_id = s.id) AS alerts, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM trades t JOIN trade_intents i ON t.intent_id = i.id \
              JOIN alerts a ON i.alert_id = a.alert_key WHERE a.source_id = s.id) AS trades \
             FROM alert_sources s ORDER BY s.name",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SourceStats {
                    name: row.try_get("name")?,
                    last_post_at_ms: row.try_get("last_post_at")?,
                    alerts: count(row, "alerts")?,
                    trades: count(row, "trades")?,
                })
            })
            .collect()
    }
}

fn broadcast_from_row(row: &AnyRow) -> Result<BroadcastRecord, RepoError> {
    let payload: String = row.try_get("payload")?;
    let payload: BroadcastPayload =
        serde_json::from_str(&payload).map_err(|e| RepoError::Corrupt(format!("broadcast payload: {e}")))?;
    let state: String = row.try_get("state")?;
    let state =
        BroadcastState::from_code(&state).ok_or_else(|| RepoError::Corrupt(format!("broadcast state {state}")))?;
    let chat: Option<i64> = row.try_get("status_chat_id")?;
    let message: Option<i64> = row.try_get("status_message_id")?;
    let status = match (chat, message.and_then(|m| i32::try_from(m).ok())) {
        (Some(c), Some(m)) => Some((c, m)),
        _ => None,
    };
    Ok(BroadcastRecord { id: row.try_get("id")?, admin: UserId(row.try_get("admin_user_id")?), payload, state, status })
}

const BROADCAST_COLUMNS: &str = "id, admin_user_id, payload, state, status_chat_id, status_message_id";

#[async_trait]
impl BroadcastRepo for Db {
    async fn create_draft(&self, admin: UserId, payload: &BroadcastPayload, now_ms: i64) -> Result<i64, RepoError> {
        let json = serde_json::to_string(payload).map_err(|e| RepoError::Corrupt(format!("broadcast payload: {e}")))?;
        let row = sqlx::query(
            "INSERT INTO broadcasts (admin_user_id, payload, state, created_at) VALUES ($1, $2, 'draft', $3) RETURNING id",
        )
        .bind(admin.0)
        .bind(json)
        .bind(now_ms)
        .fetch_one(self.writer())
        .await?;
        Ok(row.try_get("id")?)
    }

    async fn active_recipients(&self) -> Result<u64, RepoError> {
        let row = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM users WHERE is_active = 1")
            .fetch_one(self.pool())
            .await?;
        count(&row, "n")
    }

    async fn broadcast(&self, id: i64) -> Result<Option<BroadcastRecord>, RepoError> {
        let sql = format!("SELECT {BROADCAST_COLUMNS} FROM broadcasts WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(self.pool()).await?;
        row.as_ref().map(broadcast_from_row).transpose()
    }

    #[tracing::instrument(skip_all, fields(broadcast_id = id))]
    async fn start(&self, id: i64, status: (i64, i32), now_ms: i64) -> Result<Option<u64>, RepoError> {
        let mut tx = self.begin_write().await?;
        let moved = sqlx::query(
            "UPDATE broadcasts SET state = 'running', status_chat_id = $1, status_message_id = $2 \
             WHERE id = $3 AND state = 'draft'",
        )
        .bind(status.0)
        .bind(i64::from(status.1))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        let added = sqlx::query(
            "INSERT INTO broadcast_deliveries (broadcast_id, user_id, state, attempts, updated_at) \
             SELECT $1, id, 'pending', 0, $2 FROM users WHERE is_active = 1",
        )
        .bind(id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(Some(added))
    }

    async fn cancel(&self, id: i64, now_ms: i64) -> Result<bool, RepoError> {
        let done = sqlx::query(
            "UPDATE broadcasts SET state = 'cancelled', finished_at = $1 WHERE id = $2 AND state IN ('draft', 'running')",
        )
        .bind(now_ms)
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn finish(&self, id: i64, now_ms: i64) -> Result<(), RepoError> {
        sqlx::query("UPDATE broadcasts SET state = 'done', finished_at = $1 WHERE id = $2 AND state = 'running'")
            .bind(now_ms)
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn running(&self) -> Result<Vec<BroadcastRecord>, RepoError> {
        let sql = format!("SELECT {BROADCAST_COLUMNS} FROM broadcasts WHERE state = 'running' ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(self.pool()).await?;
        rows.iter().map(broadcast_from_row).collect()
    }

    async fn recover_in_flight(&self, now_ms: i64) -> Result<u64, RepoError> {
        let done = sqlx::query(
            "UPDATE broadcast_deliveries SET state = 'unknown', updated_at = $1 WHERE state = 'sending' \
             AND broadcast_id IN (SELECT id FROM broadcasts WHERE state = 'running')",
        )
        .bind(now_ms)
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected())
    }

    async fn pending_after(&self, id: i64, after: i64, limit: u32) -> Result<Vec<Recipient>, RepoError> {
        let rows = sqlx::query(
            "SELECT d.user_id AS user_id, u.chat_id AS chat_id FROM broadcast_deliveries d \
             JOIN users u ON u.id = d.user_id \
             WHERE d.broadcast_id = $1 AND d.state = 'pending' AND d.user_id > $2 ORDER BY d.user_id LIMIT $3",
        )
        .bind(id)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok(Recipient { user: UserId(r.try_get("user_id")?), chat_id: r.try_get("chat_id")? }))
            .collect()
    }

    async fn transition(
        &self,
        id: i64,
        user: UserId,
        from: DeliveryState,
        to: DeliveryState,
        now_ms: i64,
    ) -> Result<bool, RepoError> {
        let bump = i64::from(to == DeliveryState::Sending);
        let done = sqlx::query(
            "UPDATE broadcast_deliveries SET state = $1, attempts = attempts + $2, updated_at = $3 \
             WHERE broadcast_id = $4 AND user_id = $5 AND state = $6",
        )
        .bind(to.code())
        .bind(bump)
        .bind(now_ms)
        .bind(id)
        .bind(user.0)
        .bind(from.code())
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn counts(&self, id: i64) -> Result<DeliveryCounts, RepoError> {
        let rows = sqlx::query(
            "SELECT state, CAST(COUNT(*) AS BIGINT) AS n FROM broadcast_deliveries WHERE broadcast_id = $1 GROUP BY state",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        let mut c = DeliveryCounts::default();
        for row in &rows {
            let state: String = row.try_get("state")?;
            let n = count(row, "n")?;
            c.total += n;
            match state.as_str() {
                "sent" => c.sent += n,
                "blocked" => c.blocked += n,
                "failed" => c.failed += n,
                "unknown" => c.unknown += n,
                _ => c.pending += n,
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_json_round_trips() {
        let p = BroadcastPayload::Copy { from_chat_id: 5, message_id: 7 };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<BroadcastPayload>(&json).unwrap(), p);
    }
}
