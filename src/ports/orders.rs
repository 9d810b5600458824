//! Resting orders port: stored per user, loaded by the position monitor, claimed one fill at a
//! time with an atomic state check (a cancel that commits first wins; a fill is never claimed
//! twice).

use async_trait::async_trait;

use super::RepoError;
use crate::domain::order::{OrderState, OrderView, Plan, Size};
use crate::domain::position::Side;
use crate::domain::user::UserId;

/// A new order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// The request that placed it (unique: a redelivered command places nothing new).
    pub request_key: String,
    /// Owner.
    pub user: UserId,
    /// Mint (base58).
    pub mint: String,
    /// Buy or sell.
    pub side: Side,
    /// The position a sell sells.
    pub position_id: Option<i64>,
    /// Limit trigger or DCA schedule.
    pub plan: Plan,
    /// Size.
    pub size: Size,
    /// First fill no earlier than this (unix ms).
    pub next_at_ms: i64,
    /// Expiry (unix ms).
    pub expires_at_ms: Option<i64>,
}

/// A stored order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    /// Row id (the `#7` users see).
    pub id: i64,
    /// Owner.
    pub user: UserId,
    /// Mint (base58).
    pub mint: String,
    /// The position a sell sells.
    pub position_id: Option<i64>,
    /// What the monitor evaluates.
    pub view: OrderView,
    /// Fills whose trade finished (`< view.fills`: a fill is in flight or was interrupted).
    pub settled: u32,
    /// State.
    pub state: OrderState,
    /// Why it failed, a failure code.
    pub error: Option<String>,
    /// Created at (unix ms).
    pub created_at_ms: i64,
}

/// Storage of resting orders.
#[async_trait]
pub trait OrderRepo: Send + Sync {
    /// Stores a new active order; an order with the same `request_key` is returned instead.
    async fn insert_order(&self, order: &NewOrder, now_ms: i64) -> Result<OrderRecord, RepoError>;
    /// Every active order (the monitor's load at start).
    async fn active_orders(&self) -> Result<Vec<OrderRecord>, RepoError>;
    /// A user's active orders, oldest first.
    async fn user_orders(&self, user: UserId) -> Result<Vec<OrderRecord>, RepoError>;
    /// One order of a user.
    async fn order(&self, user: UserId, id: i64) -> Result<Option<OrderRecord>, RepoError>;
    /// Claims fill `fill` (1-based): succeeds only while the order is active, has `fill - 1`
    /// fills and none in flight. Sets the next slice time.
    async fn claim_fill(&self, id: i64, fill: u32, next_at_ms: i64, now_ms: i64) -> Result<bool, RepoError>;
    /// Marks fill `fill` finished; an active order moves to `state` (`Filled` after its last
    /// fill, `Failed` when it cannot fill, else stays `Active`).
    async fn settle_fill(
        &self,
        id: i64,
        fill: u32,
        state: OrderState,
        error: Option<&str>,
        now_ms: i64,
    ) -> Result<(), RepoError>;
    /// Ends an active order (cancel, expiry). `user`: only that user's order. False when it was
    /// not active (already filled, cancelled or expired).
    async fn end_order(&self, user: Option<UserId>, id: i64, to: OrderState, now_ms: i64) -> Result<bool, RepoError>;
    /// Orders with a claimed fill whose trade never finished (a crash in between).
    async fn unsettled_orders(&self) -> Result<Vec<OrderRecord>, RepoError>;
}
