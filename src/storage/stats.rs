//! Read models for status screens.

use async_trait::async_trait;
use sqlx::Row;

use super::Db;
use crate::domain::money::Lamports;
use crate::domain::user::UserId;
use crate::ports::{RepoError, TradingStatsRepo, TradingSummary};

#[async_trait]
impl TradingStatsRepo for Db {
    async fn summary(&self, user: UserId, day_start_ms: i64) -> Result<TradingSummary, RepoError> {
        // SUM over no rows is NULL: COALESCE keeps the type BIGINT on both engines.
        let pnl = sqlx::query(
            "SELECT CAST(COALESCE(SUM(realized_pnl_lamports), 0) AS BIGINT) AS pnl FROM trades WHERE user_id = $1 AND created_at >= $2",
        )
        .bind(user.0)
        .bind(day_start_ms)
        .fetch_one(self.pool())
        .await?;
        let open = sqlx::query(
            "SELECT CAST(COALESCE(SUM(cost_lamports), 0) AS BIGINT) AS exposure, CAST(COUNT(*) AS BIGINT) AS n \
             FROM positions WHERE user_id = $1 AND state = 'open'",
        )
        .bind(user.0)
        .fetch_one(self.pool())
        .await?;
        let exposure: i64 = open.try_get("exposure")?;
        let n: i64 = open.try_get("n")?;
        Ok(TradingSummary {
            realized_today_lamports: pnl.try_get("pnl")?,
            exposure: Lamports(u64::try_from(exposure.max(0)).unwrap_or(0)),
            open_positions: u32::try_from(n).unwrap_or(u32::MAX),
        })
    }

    async fn realized(&self, user: UserId) -> Result<Vec<crate::domain::stats::RealizedTrade>, RepoError> {
        crate::ports::PositionRepo::realized_trades(self, user).await
    }
}
