//! The notices outbox table (see `ports::outbox`).

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Db;
use super::settings::SettingsRepo as _;
use crate::domain::position::Side;
use crate::domain::user::UserId;
use crate::ports::RepoError;
use crate::ports::outbox::{NewNotice, NoticeState, NoticeStore, RecordedFill, StoredNotice};

/// The setting written by the outbox migration: trades before it are never re-notified.
const FILLS_SINCE_KEY: &str = "outbox.fills_since";

fn side_code(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

fn corrupt(what: &str) -> RepoError {
    RepoError::Corrupt(format!("outbox: {what}"))
}

fn row_to_fill(r: &AnyRow) -> Result<RecordedFill, RepoError> {
    let side: String = r.try_get("side")?;
    let raw: String = r.try_get("token_amount")?;
    let decimals: i64 = r.try_get("token_decimals")?;
    let fee = |c: &str| -> Result<u64, RepoError> {
        let v: i64 = r.try_get(c)?;
        u64::try_from(v).map_err(|_| corrupt(c))
    };
    Ok(RecordedFill {
        trade_id: r.try_get("id")?,
        user: UserId(r.try_get("user_id")?),
        position_id: r.try_get("position_id")?,
        mint: r.try_get("mint")?,
        side: if side == "sell" { Side::Sell } else { Side::Buy },
        sol_lamports: fee("sol_lamports")?,
        tokens_raw: raw.parse().map_err(|_| corrupt("token_amount"))?,
        decimals: u8::try_from(decimals).map_err(|_| corrupt("token_decimals"))?,
        fees_lamports: fee("fee_network_lamports")?
            .saturating_add(fee("fee_priority_lamports")?)
            .saturating_add(fee("fee_tip_lamports")?)
            .saturating_add(fee("fee_protocol_lamports")?),
        realized_pnl_lamports: r.try_get("realized_pnl_lamports")?,
        price: r.try_get("price")?,
        signature: r.try_get("signature")?,
        paper: r.try_get::<i64, _>("is_paper")? != 0,
    })
}

#[async_trait]
impl NoticeStore for Db {
    async fn store_notice(&self, n: &NewNotice, now_ms: i64) -> Result<i64, RepoError> {
        let row = sqlx::query(
            "INSERT INTO outbox_notices (user_id, chat_id, kind, position_id, side, body, keyboard, state, attempts, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8) RETURNING id",
        )
        .bind(n.user.0)
        .bind(n.chat_id)
        .bind(n.kind)
        .bind(n.fill.map(|(id, _)| id))
        .bind(n.fill.map(|(_, side)| side_code(side)))
        .bind(n.body.clone())
        .bind(n.keyboard.clone())
        .bind(now_ms)
        .fetch_one(self.writer())
        .await?;
        Ok(row.try_get("id")?)
    }

    async fn pending_notices(&self, after_id: i64, limit: u32) -> Result<Vec<StoredNotice>, RepoError> {
        let rows = sqlx::query(
            "SELECT id, user_id, chat_id, kind, body, keyboard FROM outbox_notices WHERE state = 'pending' \
             AND id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredNotice {
                    id: r.try_get("id")?,
                    user: UserId(r.try_get("user_id")?),
                    chat_id: r.try_get("chat_id")?,
                    kind: r.try_get("kind")?,
                    body: r.try_get("body")?,
                    keyboard: r.try_get("keyboard")?,
                })
            })
            .collect()
    }

    async fn settle_notice(&self, id: i64, state: NoticeState, now_ms: i64) -> Result<(), RepoError> {
        let code = match state {
            NoticeState::Sent => "sent",
            NoticeState::Failed => "failed",
        };
        sqlx::query(
            "UPDATE outbox_notices SET state = $1, attempts = attempts + 1, updated_at = $2 \
             WHERE id = $3 AND state = 'pending'",
        )
        .bind(code)
        .bind(now_ms)
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn fills_without_notice(&self, since_ms: i64) -> Result<Vec<RecordedFill>, RepoError> {
        let marker = self.get_setting(FILLS_SINCE_KEY).await?.and_then(|v| v.parse::<i64>().ok()).unwrap_or(i64::MAX);
        let since = since_ms.max(marker);
        let rows = sqlx::query(
            "SELECT t.id, t.user_id, t.position_id, t.mint, t.side, t.sol_lamports, t.token_amount, \
             t.fee_network_lamports, t.fee_priority_lamports, t.fee_tip_lamports, t.fee_protocol_lamports, \
             t.realized_pnl_lamports, t.price, t.signature, t.is_paper, p.token_decimals \
             FROM trades t JOIN positions p ON p.id = t.position_id \
             WHERE t.created_at >= $1 ORDER BY t.id",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let counted = sqlx::query(
            "SELECT position_id, side, CAST(COUNT(*) AS BIGINT) AS n FROM outbox_notices \
             WHERE kind = 'fill' AND position_id IS NOT NULL AND created_at >= $1 GROUP BY position_id, side",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        let mut notices: HashMap<(i64, String), i64> = HashMap::new();
        for r in &counted {
            notices.insert((r.try_get("position_id")?, r.try_get("side")?), r.try_get("n")?);
        }
        let fills = rows.iter().map(row_to_fill).collect::<Result<Vec<_>, _>>()?;
        let mut groups: HashMap<(i64, &'static str), Vec<&RecordedFill>> = HashMap::new();
        for f in &fills {
            groups.entry((f.position_id, side_code(f.side))).or_default().push(f);
        }
        let mut missing: Vec<RecordedFill> = Vec::new();
        for ((position, side), trades) in groups {
            let have = notices.get(&(position, side.to_owned())).copied().unwrap_or(0);
            let have = usize::try_from(have.max(0)).unwrap_or(usize::MAX);
            // A notice is stored right after its trade, so the trades beyond the notices stored
            // since `since` are the newest ones (a kill loses the latest message).
            let lacking = trades.len().saturating_sub(have);
            missing.extend(trades[trades.len() - lacking..].iter().map(|f| (*f).clone()));
        }
        missing.sort_by_key(|f| f.trade_id);
        Ok(missing)
    }

    async fn prune_notices(&self, before_ms: i64) -> Result<u64, RepoError> {
        let done = sqlx::query("DELETE FROM outbox_notices WHERE state <> 'pending' AND updated_at < $1")
            .bind(before_ms)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected())
    }
}
