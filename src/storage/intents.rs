//! Trade intents (idempotent by key; state changes are compare-and-set).

use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Backend, Db};
use crate::domain::intent::{IdempotencyKey, Intent, IntentOrigin, IntentState, NewIntent};
use crate::domain::position::Side;
use crate::domain::user::UserId;
use crate::ports::{AlertPrices, Inserted, IntentRepo, RepoError, SignedTx};

const COLUMNS: &str = "id, idempotency_key, user_id, wallet_id, side, mint, venue, origin, alert_id, position_id, \
     amount_in, min_amount_out, dry_run, state, signed_tx, signature, last_valid_block_height, error, received_at";

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn side_code(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

fn corrupt(what: &str) -> RepoError {
    RepoError::Corrupt(format!("trade_intents.{what}"))
}

fn parse_u64(text: &str, what: &str) -> Result<u64, RepoError> {
    text.parse::<u64>().map_err(|_| corrupt(what))
}

fn row_to_intent(row: &AnyRow) -> Result<Intent, RepoError> {
    let side: String = row.try_get("side")?;
    let origin: String = row.try_get("origin")?;
    let state: String = row.try_get("state")?;
    let amount_in: String = row.try_get("amount_in")?;
    let min_out: Option<String> = row.try_get("min_amount_out")?;
    let lvbh: Option<i64> = row.try_get("last_valid_block_height")?;
    Ok(Intent {
        id: row.try_get("id")?,
        new: NewIntent {
            key: IdempotencyKey::from_stored(row.try_get("idempotency_key")?),
            user: UserId(row.try_get("user_id")?),
            wallet_id: row.try_get("wallet_id")?,
            side: match side.as_str() {
                "buy" => Side::Buy,
                "sell" => Side::Sell,
                _ => return Err(corrupt("side")),
            },
            mint: row.try_get("mint")?,
            origin: IntentOrigin::from_code(&origin).ok_or_else(|| corrupt("origin"))?,
            alert_id: row.try_get("alert_id")?,
            position_id: row.try_get("position_id")?,
            amount_in: parse_u64(&amount_in, "amount_in")?,
            dry_run: row.try_get::<i64, _>("dry_run")? != 0,
            received_at_ms: row.try_get("received_at")?,
        },
        state: IntentState::from_code(&state).ok_or_else(|| corrupt("state"))?,
        venue: row.try_get("venue")?,
        min_amount_out: min_out.as_deref().map(|t| parse_u64(t, "min_amount_out")).transpose()?,
        signed_tx: row.try_get("signed_tx")?,
        signature: row.try_get("signature")?,
        last_valid_block_height: lvbh
            .map(|v| u64::try_from(v).map_err(|_| corrupt("last_valid_block_height")))
            .transpose()?,
        error: row.try_get("error")?,
    })
}

/// Columns bound per row by `insert_many`.
const INSERT_COLS: usize = 13;

/// A multi-row insert of `rows` intents. SQLite gets positional `?` placeholders (bound in
/// order): it resolves `$N` names with a linear search per parameter, which made a 1,000-row
/// (13,000-parameter) insert take ~200 ms instead of ~4 ms. PostgreSQL needs `$N`.
fn insert_sql(rows: usize, backend: Backend) -> String {
    let mut sql = String::with_capacity(200 + rows * 80);
    sql.push_str(
        "INSERT INTO trade_intents (idempotency_key, user_id, wallet_id, side, mint, origin, alert_id, position_id, \
         amount_in, dry_run, state, received_at, created_at, updated_at) VALUES ",
    );
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 1..=INSERT_COLS {
            if c > 1 {
                sql.push(',');
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(r * INSERT_COLS + c).to_string());
                }
            }
            if c == 10 {
                sql.push_str(",'pending'");
            }
        }
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT (idempotency_key) DO NOTHING");
    sql
}

fn bind_intent<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    i: &NewIntent,
    now: i64,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    q.bind(i.key.as_str().to_owned())
        .bind(i.user.0)
        .bind(i.wallet_id)
        .bind(side_code(i.side))
        .bind(i.mint.clone())
        .bind(i.origin.code())
        .bind(i.alert_id.clone())
        .bind(i.position_id)
        .bind(i.amount_in.to_string())
        .bind(i64::from(i.dry_run))
        .bind(i.received_at_ms)
        .bind(now)
        .bind(now)
}

/// SQLite allows 32,766 bound variables per statement; stay well below.
const MAX_ROWS_PER_STATEMENT: usize = 1_000;

#[async_trait]
impl IntentRepo for Db {
    #[tracing::instrument(skip_all, fields(user_id = intent.user.0))]
    async fn insert_if_new(&self, intent: &NewIntent) -> Result<Inserted, RepoError> {
        super::retry_transient(|| self.insert_if_new_once(intent), RepoError::is_transient).await
    }

    async fn insert_many(&self, intents: &[NewIntent]) -> Result<u64, RepoError> {
        let now = now_ms();
        let mut inserted = 0;
        let mut tx = self.begin_write().await?;
        for chunk in intents.chunks(MAX_ROWS_PER_STATEMENT) {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(insert_sql(chunk.len(), self.backend())));
            for i in chunk {
                q = bind_intent(q, i, now);
            }
            inserted += q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(inserted)
    }

    async fn intent(&self, id: i64) -> Result<Option<Intent>, RepoError> {
        let sql = format!("SELECT {COLUMNS} FROM trade_intents WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(self.pool()).await?;
        row.as_ref().map(row_to_intent).transpose()
    }

    async fn by_key(&self, key: &IdempotencyKey) -> Result<Option<Intent>, RepoError> {
        let sql = format!("SELECT {COLUMNS} FROM trade_intents WHERE idempotency_key = $1");
        let row =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(key.as_str().to_owned()).fetch_optional(self.pool()).await?;
        row.as_ref().map(row_to_intent).transpose()
    }

    async fn mark_signed(&self, id: i64, tx: &SignedTx) -> Result<bool, RepoError> {
        super::retry_transient(|| self.mark_signed_once(id, tx), RepoError::is_transient).await
    }

    async fn transition(
        &self,
        id: i64,
        from: IntentState,
        to: IntentState,
        error: Option<&str>,
    ) -> Result<bool, RepoError> {
        super::retry_transient(|| self.transition_once(id, from, to, error), RepoError::is_transient).await
    }

    async fn unfinished(&self) -> Result<Vec<Intent>, RepoError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM trade_intents WHERE state IN ('pending', 'signed', 'sent', 'unknown') ORDER BY id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(self.pool()).await?;
        rows.iter().map(row_to_intent).collect()
    }

    async fn sell_in_flight(&self, position_id: i64) -> Result<bool, RepoError> {
        let row = sqlx::query(
            "SELECT id FROM trade_intents WHERE position_id = $1 AND side = 'sell' \
             AND state IN ('pending', 'signed', 'sent', 'unknown') LIMIT 1",
        )
        .bind(position_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.is_some())
    }

    async fn record_prices(&self, id: i64, prices: &AlertPrices) -> Result<(), RepoError> {
        sqlx::query("UPDATE trade_intents SET call_price = $1, quote_price = $2 WHERE id = $3")
            .bind(prices.call.map(|p| p.to_string()))
            .bind(prices.quote.map(|p| p.to_string()))
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }
}

impl Db {
    async fn insert_if_new_once(&self, intent: &NewIntent) -> Result<Inserted, RepoError> {
        let sql = insert_sql(1, self.backend());
        let q = bind_intent(sqlx::query(sqlx::AssertSqlSafe(sql)), intent, now_ms());
        let res = q.execute(self.writer()).await?;
        let stored = self.by_key(&intent.key).await?.ok_or_else(|| corrupt("vanished"))?;
        if res.rows_affected() == 1 { Ok(Inserted::New(stored.id)) } else { Ok(Inserted::Existing(Box::new(stored))) }
    }
}

impl Db {
    async fn mark_signed_once(&self, id: i64, tx: &SignedTx) -> Result<bool, RepoError> {
        let lvbh = i64::try_from(tx.last_valid_block_height).map_err(|_| corrupt("last_valid_block_height"))?;
        let res = sqlx::query(
            "UPDATE trade_intents SET state = 'signed', venue = $1, min_amount_out = $2, signed_tx = $3, signature = $4, \
             last_valid_block_height = $5, updated_at = $6 WHERE id = $7 AND state = 'pending'",
        )
        .bind(tx.venue.clone())
        .bind(tx.min_amount_out.to_string())
        .bind(tx.bytes.clone())
        .bind(tx.signature.clone())
        .bind(lvbh)
        .bind(now_ms())
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(res.rows_affected() == 1)
    }
}

impl Db {
    async fn transition_once(
        &self,
        id: i64,
        from: IntentState,
        to: IntentState,
        error: Option<&str>,
    ) -> Result<bool, RepoError> {
        if !from.can_move_to(to) {
            return Ok(false);
        }
        let res = sqlx::query(
            "UPDATE trade_intents SET state = $1, error = COALESCE($2, error), updated_at = $3 WHERE id = $4 AND state = $5",
        )
        .bind(to.code())
        .bind(error.map(str::to_owned))
        .bind(now_ms())
        .bind(id)
        .bind(from.code())
        .execute(self.writer())
        .await?;
        Ok(res.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_sql_binds_thirteen_values_per_row_in_each_dialect() {
        let pg = insert_sql(2, Backend::Postgres);
        assert!(pg.contains("($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'pending',$11,$12,$13)"), "{pg}");
        assert!(pg.contains("($14,") && pg.contains(",$26)") && !pg.contains("$27"), "{pg}");
        let lite = insert_sql(2, Backend::Sqlite);
        assert_eq!(lite.matches('?').count(), 2 * INSERT_COLS, "{lite}");
        assert!(!lite.contains('$') && lite.matches("'pending'").count() == 2, "{lite}");
    }
}
