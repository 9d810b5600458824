//! Copy trading: follows (settings as JSON), handled leader signatures (one row per leader and
//! signature) and the per-leader backfill cursor.

use std::str::FromStr;

use async_trait::async_trait;
use solana_pubkey::Pubkey;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Db;
use crate::domain::copy::{CopySettings, DevSellRule, FollowState};
use crate::domain::user::UserId;
use crate::ports::RepoError;
use crate::ports::copy::{AddFollow, CopyRepo, Cursor, Follow, FollowQuery};

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn row_to_follow(row: &AnyRow) -> Result<Follow, RepoError> {
    let leader: String = row.try_get("leader")?;
    let settings: String = row.try_get("settings")?;
    Ok(Follow {
        user: UserId(row.try_get("user_id")?),
        leader: Pubkey::from_str(&leader).map_err(|_| RepoError::Corrupt("copy_follows.leader".to_owned()))?,
        name: row.try_get("name")?,
        settings: CopySettings::from_json(&settings),
    })
}

fn slot_i64(slot: u64) -> i64 {
    i64::try_from(slot).unwrap_or(i64::MAX)
}

#[async_trait]
impl CopyRepo for Db {
    async fn add_follow(&self, follow: &Follow) -> Result<AddFollow, RepoError> {
        let name = follow.name.to_lowercase();
        let leader = follow.leader.to_string();
        let existing =
            sqlx::query("SELECT name, leader FROM copy_follows WHERE user_id = $1 AND (name = $2 OR leader = $3)")
                .bind(follow.user.0)
                .bind(name.clone())
                .bind(leader.clone())
                .fetch_all(self.pool())
                .await?;
        if let Some(row) = existing.first() {
            let taken: String = row.try_get("name")?;
            return Ok(if taken == name { AddFollow::NameTaken } else { AddFollow::AlreadyFollowing });
        }
        let now = now_ms();
        let inserted = sqlx::query(
            "INSERT INTO copy_follows (user_id, leader, name, settings, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING",
        )
        .bind(follow.user.0)
        .bind(leader)
        .bind(name)
        .bind(follow.settings.to_json())
        .bind(now)
        .execute(self.writer())
        .await?
        .rows_affected();
        // A concurrent add of the same name or wallet won the race.
        Ok(if inserted == 1 { AddFollow::Added } else { AddFollow::AlreadyFollowing })
    }

    async fn remove_follow(&self, user: UserId, name: &str) -> Result<bool, RepoError> {
        let res = sqlx::query("DELETE FROM copy_follows WHERE user_id = $1 AND name = $2")
            .bind(user.0)
            .bind(name.to_lowercase())
            .execute(self.writer())
            .await?;
        Ok(res.rows_affected() > 0)
    }

    async fn update_follow(&self, user: UserId, name: &str, settings: &CopySettings) -> Result<bool, RepoError> {
        let res =
            sqlx::query("UPDATE copy_follows SET settings = $1, updated_at = $2 WHERE user_id = $3 AND name = $4")
                .bind(settings.to_json())
                .bind(now_ms())
                .bind(user.0)
                .bind(name.to_lowercase())
                .execute(self.writer())
                .await?;
        Ok(res.rows_affected() > 0)
    }

    async fn follows(&self, user: UserId) -> Result<Vec<Follow>, RepoError> {
        let rows =
            sqlx::query("SELECT user_id, leader, name, settings FROM copy_follows WHERE user_id = $1 ORDER BY name")
                .bind(user.0)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(row_to_follow).collect()
    }

    async fn followers(&self, leader: &Pubkey) -> Result<Vec<Follow>, RepoError> {
        let rows = sqlx::query(
            "SELECT f.user_id, f.leader, f.name, f.settings FROM copy_follows f JOIN users u ON u.id = f.user_id \
             WHERE f.leader = $1 AND u.is_active = 1 ORDER BY f.user_id",
        )
        .bind(leader.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(row_to_follow).collect()
    }

    async fn leaders(&self) -> Result<Vec<Pubkey>, RepoError> {
        let rows =
            sqlx::query("SELECT DISTINCT leader FROM copy_follows ORDER BY leader").fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let text: String = r.try_get("leader")?;
                Pubkey::from_str(&text).map_err(|_| RepoError::Corrupt("copy_follows.leader".to_owned()))
            })
            .collect()
    }

    async fn seen(&self, leader: &Pubkey, signature: &str) -> Result<bool, RepoError> {
        let row = sqlx::query("SELECT 1 AS one FROM copy_leader_signatures WHERE leader = $1 AND signature = $2")
            .bind(leader.to_string())
            .bind(signature.to_owned())
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }

    async fn mark_seen(&self, leader: &Pubkey, cursor: &Cursor, outcome: &str) -> Result<bool, RepoError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO copy_leader_signatures (leader, signature, slot, outcome, seen_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (leader, signature) DO NOTHING",
        )
        .bind(leader.to_string())
        .bind(cursor.signature.clone())
        .bind(slot_i64(cursor.slot))
        .bind(outcome.to_owned())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "INSERT INTO copy_cursors (leader, last_signature, last_slot, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (leader) DO UPDATE SET last_signature = excluded.last_signature, \
             last_slot = excluded.last_slot, updated_at = excluded.updated_at \
             WHERE copy_cursors.last_slot <= excluded.last_slot",
        )
        .bind(leader.to_string())
        .bind(cursor.signature.clone())
        .bind(slot_i64(cursor.slot))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(inserted == 1)
    }

    async fn cursor(&self, leader: &Pubkey) -> Result<Option<Cursor>, RepoError> {
        let row = sqlx::query("SELECT last_signature, last_slot FROM copy_cursors WHERE leader = $1")
            .bind(leader.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            let slot: i64 = r.try_get("last_slot")?;
            Ok(Cursor { signature: r.try_get("last_signature")?, slot: u64::try_from(slot).unwrap_or_default() })
        })
        .transpose()
    }

    async fn init_cursor(&self, leader: &Pubkey, cursor: &Cursor) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO copy_cursors (leader, last_signature, last_slot, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (leader) DO NOTHING",
        )
        .bind(leader.to_string())
        .bind(cursor.signature.clone())
        .bind(slot_i64(cursor.slot))
        .bind(now_ms())
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn follow_state(&self, q: &FollowQuery<'_>) -> Result<FollowState, RepoError> {
        let count = |row: AnyRow| -> Result<u32, RepoError> {
            let n: i64 = row.try_get("n")?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        };
        let buys = sqlx::query(
            "SELECT COUNT(*) AS n FROM trade_intents WHERE user_id = $1 AND side = 'buy' AND idempotency_key LIKE $2 \
             AND created_at >= $3 AND state NOT IN ('failed', 'expired')",
        )
        .bind(q.user.0)
        .bind(format!("{}%", q.key_prefix))
        .bind(q.day_start_ms)
        .fetch_one(self.pool())
        .await?;
        let open =
            sqlx::query("SELECT COUNT(*) AS n FROM positions WHERE user_id = $1 AND source = $2 AND state = 'open'")
                .bind(q.user.0)
                .bind(q.source.to_owned())
                .fetch_one(self.pool())
                .await?;
        let in_mint = sqlx::query(
            "SELECT COUNT(*) AS n FROM positions WHERE user_id = $1 AND source = $2 AND state = 'open' AND mint = $3",
        )
        .bind(q.user.0)
        .bind(q.source.to_owned())
        .bind(q.mint.to_owned())
        .fetch_one(self.pool())
        .await?;
        let closed = sqlx::query(
            "SELECT realized_pnl_lamports FROM positions WHERE user_id = $1 AND source = $2 AND state = 'closed' \
             ORDER BY closed_at DESC, id DESC LIMIT $3",
        )
        .bind(q.user.0)
        .bind(q.source.to_owned())
        .bind(i64::from(q.look_back))
        .fetch_all(self.pool())
        .await?;
        let mut losses_in_a_row = 0;
        for row in &closed {
            let pnl: i64 = row.try_get("realized_pnl_lamports")?;
            if pnl >= 0 {
                break;
            }
            losses_in_a_row += 1;
        }
        Ok(FollowState {
            buys_today: count(buys)?,
            open: count(open)?,
            holds_mint: count(in_mint)? > 0,
            losses_in_a_row,
        })
    }

    async fn dev_sell(&self, user: UserId) -> Result<Option<DevSellRule>, RepoError> {
        let row = sqlx::query("SELECT dev_sell FROM copy_user_settings WHERE user_id = $1")
            .bind(user.0)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => serde_json::from_str(&r.try_get::<String, _>("dev_sell")?).unwrap_or(None),
            None => None,
        })
    }

    async fn set_dev_sell(&self, user: UserId, rule: Option<DevSellRule>) -> Result<(), RepoError> {
        let text = serde_json::to_string(&rule).map_err(|e| RepoError::Corrupt(format!("dev_sell json: {e}")))?;
        sqlx::query(
            "INSERT INTO copy_user_settings (user_id, dev_sell, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET dev_sell = excluded.dev_sell, updated_at = excluded.updated_at",
        )
        .bind(user.0)
        .bind(text)
        .bind(now_ms())
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn dev_sell_users(&self) -> Result<Vec<(UserId, DevSellRule)>, RepoError> {
        let rows = sqlx::query("SELECT user_id, dev_sell FROM copy_user_settings").fetch_all(self.pool()).await?;
        let mut out = Vec::new();
        for r in &rows {
            let text: String = r.try_get("dev_sell")?;
            if let Ok(Some(rule)) = serde_json::from_str::<Option<DevSellRule>>(&text) {
                out.push((UserId(r.try_get("user_id")?), rule));
            }
        }
        Ok(out)
    }
}
