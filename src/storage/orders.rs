//! Resting orders (`resting_orders`): plan and size as JSON, fills claimed with one conditional
//! update each (through the single writer on SQLite).

use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Db;
use crate::domain::order::{OrderState, OrderView, Plan, Size};
use crate::domain::position::Side;
use crate::domain::user::UserId;
use crate::ports::{NewOrder, OrderRecord, OrderRepo, RepoError};

const COLUMNS: &str =
    "id, user_id, mint, side, position_id, plan, size, fills, settled, next_at, expires_at, state, error, created_at";

fn corrupt(what: &str) -> RepoError {
    RepoError::Corrupt(format!("resting_orders.{what}"))
}

fn count(v: i64, what: &str) -> Result<u32, RepoError> {
    u32::try_from(v).map_err(|_| corrupt(what))
}

fn row_to_order(row: &AnyRow) -> Result<OrderRecord, RepoError> {
    let side: String = row.try_get("side")?;
    let plan: String = row.try_get("plan")?;
    let size: String = row.try_get("size")?;
    let state: String = row.try_get("state")?;
    let plan: Plan = serde_json::from_str(&plan).map_err(|_| corrupt("plan"))?;
    let size: Size = serde_json::from_str(&size).map_err(|_| corrupt("size"))?;
    let view = OrderView {
        side: match side.as_str() {
            "buy" => Side::Buy,
            "sell" => Side::Sell,
            _ => return Err(corrupt("side")),
        },
        plan,
        size,
        fills: count(row.try_get("fills")?, "fills")?,
        next_at_ms: row.try_get("next_at")?,
        expires_at_ms: row.try_get("expires_at")?,
    };
    Ok(OrderRecord {
        id: row.try_get("id")?,
        user: UserId(row.try_get("user_id")?),
        mint: row.try_get("mint")?,
        position_id: row.try_get("position_id")?,
        view,
        settled: count(row.try_get("settled")?, "settled")?,
        state: OrderState::from_code(&state).ok_or_else(|| corrupt("state"))?,
        error: row.try_get("error")?,
        created_at_ms: row.try_get("created_at")?,
    })
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, RepoError> {
    serde_json::to_string(value).map_err(|e| RepoError::Corrupt(format!("order json: {e}")))
}

impl Db {
    async fn orders_where(&self, filter: &str, user: Option<i64>) -> Result<Vec<OrderRecord>, RepoError> {
        let sql = format!("SELECT {COLUMNS} FROM resting_orders WHERE {filter} ORDER BY id");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(u) = user {
            q = q.bind(u);
        }
        q.fetch_all(self.pool()).await?.iter().map(row_to_order).collect()
    }
}

#[async_trait]
impl OrderRepo for Db {
    async fn insert_order(&self, o: &NewOrder, now_ms: i64) -> Result<OrderRecord, RepoError> {
        let side = match o.side {
            Side::Buy => "buy",
            Side::Sell => "sell",
        };
        sqlx::query(
            "INSERT INTO resting_orders (request_key, user_id, mint, side, position_id, plan, size, fills, settled, \
             next_at, expires_at, state, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, $8, $9, 'active', $10, $10) ON CONFLICT (request_key) DO NOTHING",
        )
        .bind(&o.request_key)
        .bind(o.user.0)
        .bind(&o.mint)
        .bind(side)
        .bind(o.position_id)
        .bind(json(&o.plan)?)
        .bind(json(&o.size)?)
        .bind(o.next_at_ms)
        .bind(o.expires_at_ms)
        .bind(now_ms)
        .execute(self.writer())
        .await?;
        let sql = format!("SELECT {COLUMNS} FROM resting_orders WHERE request_key = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&o.request_key).fetch_one(self.writer()).await?;
        row_to_order(&row)
    }

    async fn active_orders(&self) -> Result<Vec<OrderRecord>, RepoError> {
        self.orders_where("state = 'active'", None).await
    }

    async fn user_orders(&self, user: UserId) -> Result<Vec<OrderRecord>, RepoError> {
        self.orders_where("user_id = $1 AND state = 'active'", Some(user.0)).await
    }

    async fn order(&self, user: UserId, id: i64) -> Result<Option<OrderRecord>, RepoError> {
        let sql = format!("SELECT {COLUMNS} FROM resting_orders WHERE id = $1 AND user_id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(user.0).fetch_optional(self.pool()).await?;
        row.as_ref().map(row_to_order).transpose()
    }

    async fn claim_fill(&self, id: i64, fill: u32, next_at_ms: i64, now_ms: i64) -> Result<bool, RepoError> {
        let done = sqlx::query(
            "UPDATE resting_orders SET fills = $1, next_at = $2, updated_at = $3 \
             WHERE id = $4 AND state = 'active' AND fills = $5 AND settled = $5",
        )
        .bind(i64::from(fill))
        .bind(next_at_ms)
        .bind(now_ms)
        .bind(id)
        .bind(i64::from(fill.saturating_sub(1)))
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn settle_fill(
        &self,
        id: i64,
        fill: u32,
        state: OrderState,
        error: Option<&str>,
        now_ms: i64,
    ) -> Result<(), RepoError> {
        sqlx::query(
            "UPDATE resting_orders SET settled = $1, \
             state = CASE WHEN state = 'active' THEN $2 ELSE state END, \
             error = COALESCE($3, error), updated_at = $4 WHERE id = $5 AND settled < $1",
        )
        .bind(i64::from(fill))
        .bind(state.code())
        .bind(error)
        .bind(now_ms)
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn end_order(&self, user: Option<UserId>, id: i64, to: OrderState, now_ms: i64) -> Result<bool, RepoError> {
        let done = match user {
            Some(user) => {
                sqlx::query(
                    "UPDATE resting_orders SET state = $1, updated_at = $2 \
                     WHERE id = $3 AND state = 'active' AND user_id = $4",
                )
                .bind(to.code())
                .bind(now_ms)
                .bind(id)
                .bind(user.0)
                .execute(self.writer())
                .await?
            }
            None => {
                sqlx::query("UPDATE resting_orders SET state = $1, updated_at = $2 WHERE id = $3 AND state = 'active'")
                    .bind(to.code())
                    .bind(now_ms)
                    .bind(id)
                    .execute(self.writer())
                    .await?
            }
        };
        Ok(done.rows_affected() == 1)
    }

    async fn unsettled_orders(&self) -> Result<Vec<OrderRecord>, RepoError> {
        self.orders_where("settled < fills", None).await
    }
}
