//! Positions and the trade log. A fill is applied in one transaction (position row + trade row);
//! the unique index on `trades.intent_id` makes recording a fill idempotent.

use std::str::FromStr;

use async_trait::async_trait;
use rust_decimal::Decimal;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Db;
use crate::domain::money::Lamports;
use crate::domain::position::{Fees, PositionBook, Side};
use crate::domain::stats::RealizedTrade;
use crate::domain::user::UserId;
use crate::ports::{FillRecord, PositionRecord, PositionRepo, RecordError, Recorded, RepoError, TradeRecord};

const POSITION_COLUMNS: &str = "id, user_id, wallet_id, mint, state, token_amount, token_decimals, cost_lamports, \
     realized_pnl_lamports, exit_rules, peak_price, is_paper, source, opened_at, closed_at";

fn corrupt(what: &str) -> RepoError {
    RepoError::Corrupt(format!("positions.{what}"))
}

fn to_i64(v: u64, what: &str) -> Result<i64, RepoError> {
    i64::try_from(v).map_err(|_| corrupt(what))
}

fn to_u64(v: i64, what: &str) -> Result<u64, RepoError> {
    u64::try_from(v).map_err(|_| corrupt(what))
}

fn decimal(text: Option<String>) -> Option<Decimal> {
    text.and_then(|t| Decimal::from_str(&t).ok())
}

fn row_to_position(row: &AnyRow) -> Result<PositionRecord, RepoError> {
    let tokens: String = row.try_get("token_amount")?;
    let state: String = row.try_get("state")?;
    let decimals: i64 = row.try_get("token_decimals")?;
    Ok(PositionRecord {
        id: row.try_get("id")?,
        user: UserId(row.try_get("user_id")?),
        wallet_id: row.try_get("wallet_id")?,
        mint: row.try_get("mint")?,
        decimals: u8::try_from(decimals).map_err(|_| corrupt("token_decimals"))?,
        book: PositionBook {
            tokens: tokens.parse().map_err(|_| corrupt("token_amount"))?,
            cost: Lamports(to_u64(row.try_get("cost_lamports")?, "cost_lamports")?),
            realized: row.try_get("realized_pnl_lamports")?,
            opened_at_ms: row.try_get("opened_at")?,
        },
        is_paper: row.try_get::<i64, _>("is_paper")? != 0,
        is_open: state == "open",
        exit_rules: row.try_get("exit_rules")?,
        peak_price: decimal(row.try_get("peak_price")?),
        source: row.try_get("source")?,
        closed_at_ms: row.try_get("closed_at")?,
    })
}

fn side_code(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

fn row_to_trade(row: &AnyRow) -> Result<TradeRecord, RepoError> {
    let side: String = row.try_get("side")?;
    let tokens: String = row.try_get("token_amount")?;
    let l = |name: &str| -> Result<Lamports, RepoError> { Ok(Lamports(to_u64(row.try_get(name)?, name)?)) };
    Ok(TradeRecord {
        id: row.try_get("id")?,
        position_id: row.try_get("position_id")?,
        mint: row.try_get("mint")?,
        side: if side == "sell" { Side::Sell } else { Side::Buy },
        sol: l("sol_lamports")?,
        tokens: tokens.parse().map_err(|_| corrupt("trades.token_amount"))?,
        fees: Fees {
            network: l("fee_network_lamports")?,
            priority: l("fee_priority_lamports")?,
            tip: l("fee_tip_lamports")?,
            protocol: l("fee_protocol_lamports")?,
        },
        realized_pnl: row.try_get("realized_pnl_lamports")?,
        price: decimal(row.try_get("price")?),
        signature: row.try_get("signature")?,
        is_paper: row.try_get::<i64, _>("is_paper")? != 0,
        at_ms: row.try_get("created_at")?,
    })
}

#[async_trait]
impl PositionRepo for Db {
    #[tracing::instrument(skip_all, fields(user_id = f.user.0, intent_id = f.intent_id))]
    async fn record_fill(&self, f: &FillRecord) -> Result<Recorded, RecordError> {
        super::retry_transient(|| self.record_fill_once(f), |e| matches!(e, RecordError::Repo(r) if r.is_transient()))
            .await
    }

    async fn position(&self, user: UserId, id: i64) -> Result<Option<PositionRecord>, RepoError> {
        let sql = format!("SELECT {POSITION_COLUMNS} FROM positions WHERE id = $1 AND user_id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(user.0).fetch_optional(self.pool()).await?;
        row.as_ref().map(row_to_position).transpose()
    }

    async fn open_position_in(&self, user: UserId, mint: &str) -> Result<Option<PositionRecord>, RepoError> {
        let sql = format!(
            "SELECT {POSITION_COLUMNS} FROM positions WHERE user_id = $1 AND mint = $2 AND state = 'open' \
             ORDER BY is_paper, id LIMIT 1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user.0)
            .bind(mint.to_owned())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(row_to_position).transpose()
    }

    async fn live_holders(&self, mint: &str) -> Result<std::collections::HashSet<UserId>, RepoError> {
        let rows =
            sqlx::query("SELECT DISTINCT user_id FROM positions WHERE mint = $1 AND state = 'open' AND is_paper = 0")
                .bind(mint.to_owned())
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(|r| Ok(UserId(r.try_get("user_id")?))).collect()
    }

    async fn open_positions(&self, user: UserId) -> Result<Vec<PositionRecord>, RepoError> {
        let sql = format!("SELECT {POSITION_COLUMNS} FROM positions WHERE user_id = $1 AND state = 'open' ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user.0).fetch_all(self.pool()).await?;
        rows.iter().map(row_to_position).collect()
    }

    async fn all_open_positions(&self) -> Result<Vec<PositionRecord>, RepoError> {
        let sql = format!("SELECT {POSITION_COLUMNS} FROM positions WHERE state = 'open' ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(self.pool()).await?;
        rows.iter().map(row_to_position).collect()
    }

    async fn trade_history(&self, user: UserId, offset: u32, limit: u32) -> Result<Vec<TradeRecord>, RepoError> {
        let rows = sqlx::query(
            "SELECT id, position_id, mint, side, sol_lamports, token_amount, fee_network_lamports, fee_priority_lamports, \
             fee_tip_lamports, fee_protocol_lamports, realized_pnl_lamports, price, signature, is_paper, created_at \
             FROM trades WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
        )
        .bind(user.0)
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(row_to_trade).collect()
    }

    async fn position_trades(&self, user: UserId, position: i64) -> Result<Vec<TradeRecord>, RepoError> {
        let rows = sqlx::query(
            "SELECT id, position_id, mint, side, sol_lamports, token_amount, fee_network_lamports, fee_priority_lamports, \
             fee_tip_lamports, fee_protocol_lamports, realized_pnl_lamports, price, signature, is_paper, created_at \
             FROM trades WHERE user_id = $1 AND position_id = $2 ORDER BY created_at, id",
        )
        .bind(user.0)
        .bind(position)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(row_to_trade).collect()
    }

    async fn claim_picture(&self, key: &str, now_ms: i64, window_ms: i64) -> Result<bool, RepoError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM picture_claims WHERE claimed_at < $1")
            .bind(now_ms.saturating_sub(86_400_000))
            .execute(&mut *tx)
            .await?;
        // One statement: inserted, or renewed only when the previous claim is outside the window.
        let done = sqlx::query(
            "INSERT INTO picture_claims (claim_key, claimed_at) VALUES ($1, $2) \
             ON CONFLICT (claim_key) DO UPDATE SET claimed_at = excluded.claimed_at \
             WHERE picture_claims.claimed_at <= $3",
        )
        .bind(key.to_owned())
        .bind(now_ms)
        .bind(now_ms.saturating_sub(window_ms))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn realized_trades(&self, user: UserId) -> Result<Vec<RealizedTrade>, RepoError> {
        let rows = sqlx::query(
            "SELECT t.realized_pnl_lamports AS pnl, t.created_at AS closed_at, p.opened_at AS opened_at \
             FROM trades t JOIN positions p ON p.id = t.position_id \
             WHERE t.user_id = $1 AND t.side = 'sell' ORDER BY t.created_at",
        )
        .bind(user.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RealizedTrade {
                    pnl: r.try_get("pnl")?,
                    opened_at_ms: r.try_get("opened_at")?,
                    closed_at_ms: r.try_get("closed_at")?,
                })
            })
            .collect()
    }

    async fn set_peak_prices(&self, peaks: &[(i64, Decimal)]) -> Result<(), RepoError> {
        let mut tx = self.begin_write().await?;
        for (id, peak) in peaks {
            sqlx::query("UPDATE positions SET peak_price = $1 WHERE id = $2")
                .bind(peak.to_string())
                .bind(*id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn set_exit_state(&self, position_id: i64, json: &str) -> Result<(), RepoError> {
        sqlx::query("UPDATE positions SET exit_rules = $1 WHERE id = $2")
            .bind(json.to_owned())
            .bind(position_id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn trade_for_intent(&self, intent_id: i64) -> Result<Option<TradeRecord>, RepoError> {
        let row = sqlx::query(
            "SELECT id, position_id, mint, side, sol_lamports, token_amount, fee_network_lamports, fee_priority_lamports, \
             fee_tip_lamports, fee_protocol_lamports, realized_pnl_lamports, price, signature, is_paper, created_at \
             FROM trades WHERE intent_id = $1",
        )
        .bind(intent_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(row_to_trade).transpose()
    }
}

impl Db {
    async fn record_fill_once(&self, f: &FillRecord) -> Result<Recorded, RecordError> {
        let mut tx = self.begin_write().await.map_err(RepoError::from)?;
        if let Some(intent_id) = f.intent_id {
            let done = sqlx::query("SELECT position_id FROM trades WHERE intent_id = $1")
                .bind(intent_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(RepoError::from)?;
            if let Some(row) = done {
                let pid: Option<i64> = row.try_get("position_id").map_err(RepoError::from)?;
                tx.rollback().await.map_err(RepoError::from)?;
                let position = match pid {
                    Some(id) => self.position(f.user, id).await?,
                    None => None,
                };
                let position = position.ok_or_else(|| corrupt("trade without position"))?;
                return Ok(Recorded { position, realization: None, new: false });
            }
        }
        // A sell names its position and applies to exactly that one (it must be the user's, in
        // this mint and open); a buy adds to the user's open position in the mint of the same
        // kind (paper or live), or opens one.
        let current = match f.position_id {
            Some(id) => {
                let sql = format!(
                    "SELECT {POSITION_COLUMNS} FROM positions WHERE id = $1 AND user_id = $2 AND mint = $3 AND state = 'open'"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .bind(f.user.0)
                    .bind(f.mint.clone())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(RepoError::from)?
            }
            None => {
                let sql = format!(
                    "SELECT {POSITION_COLUMNS} FROM positions WHERE user_id = $1 AND mint = $2 AND is_paper = $3 \
                     AND state = 'open' ORDER BY id LIMIT 1"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(f.user.0)
                    .bind(f.mint.clone())
                    .bind(i64::from(f.is_paper))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(RepoError::from)?
            }
        }
        .as_ref()
        .map(row_to_position)
        .transpose()?;
        let now = f.fill.at_ms;
        let (position_id, book, realization) = match (current, f.fill.side) {
            (None, Side::Sell) => return Err(RecordError::Position("no open position to sell".to_owned())),
            (None, Side::Buy) => {
                let book = PositionBook::open(&f.fill).map_err(|e| RecordError::Position(e.to_string()))?;
                let row = sqlx::query(
                    "INSERT INTO positions (user_id, wallet_id, mint, state, token_amount, token_decimals, cost_lamports, \
                     realized_pnl_lamports, exit_rules, is_paper, source, opened_at, updated_at) \
                     VALUES ($1, $2, $3, 'open', $4, $5, $6, 0, $7, $8, $9, $10, $10) RETURNING id",
                )
                .bind(f.user.0)
                .bind(f.wallet_id)
                .bind(f.mint.clone())
                .bind(book.tokens.to_string())
                .bind(i64::from(f.decimals))
                .bind(to_i64(book.cost.0, "cost_lamports")?)
                .bind(f.exit_rules.clone())
                .bind(i64::from(f.is_paper))
                .bind(f.source.clone())
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(RepoError::from)?;
                (row.try_get::<i64, _>("id").map_err(RepoError::from)?, book, None)
            }
            (Some(pos), _) => {
                let (book, realization) = pos.book.apply(&f.fill).map_err(|e| RecordError::Position(e.to_string()))?;
                let closed = book.tokens == 0;
                sqlx::query(
                    "UPDATE positions SET token_amount = $1, cost_lamports = $2, realized_pnl_lamports = $3, state = $4, \
                     closed_at = $5, updated_at = $6 WHERE id = $7",
                )
                .bind(book.tokens.to_string())
                .bind(to_i64(book.cost.0, "cost_lamports")?)
                .bind(book.realized)
                .bind(if closed { "closed" } else { "open" })
                .bind(closed.then_some(now))
                .bind(now)
                .bind(pos.id)
                .execute(&mut *tx)
                .await
                .map_err(RepoError::from)?;
                (pos.id, book, realization)
            }
        };
        let fees = f.fill.fees;
        sqlx::query(
            "INSERT INTO trades (intent_id, user_id, position_id, mint, side, sol_lamports, token_amount, \
             fee_network_lamports, fee_priority_lamports, fee_tip_lamports, fee_protocol_lamports, \
             realized_pnl_lamports, price, signature, is_paper, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(f.intent_id)
        .bind(f.user.0)
        .bind(position_id)
        .bind(f.mint.clone())
        .bind(side_code(f.fill.side))
        .bind(to_i64(f.fill.sol.0, "sol")?)
        .bind(f.fill.tokens.to_string())
        .bind(to_i64(fees.network.0, "fee")?)
        .bind(to_i64(fees.priority.0, "fee")?)
        .bind(to_i64(fees.tip.0, "fee")?)
        .bind(to_i64(fees.protocol.0, "fee")?)
        .bind(realization.map_or(0, |r| r.pnl))
        .bind(f.price.map(|p| p.to_string()))
        .bind(f.signature.clone())
        .bind(i64::from(f.is_paper))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(RepoError::from)?;
        tx.commit().await.map_err(RepoError::from)?;
        let position = self.position(f.user, position_id).await?.ok_or_else(|| corrupt("vanished"))?;
        debug_assert_eq!(position.book.tokens, book.tokens);
        Ok(Recorded { position, realization, new: true })
    }
}
