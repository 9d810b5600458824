//! Resting orders: placing (the trigger resolved once against the mint and a reference price),
//! listing and cancelling them, and running them from the position monitor's tick against the
//! tick's batched prices.
//!
//! A fill is claimed in storage first (one conditional update from `active` with the previous
//! fill count: a cancel that commits first is exact, and a fill is never claimed twice), then
//! traded through the trading core like every trade: an intent keyed `order:<id>:<fill#>`, the
//! risk manager, a notice naming the order. A crash between the claim and the trade leaves the
//! fill claimed and unsettled; [`Orders::resume`] trades it at start with the same key, so it
//! fills exactly once.

use std::collections::{HashMap, HashSet};
use std::str::FromStr as _;
use std::sync::{Arc, Mutex};

use futures::StreamExt as _;
use rust_decimal::Decimal;
use solana_pubkey::Pubkey;

use super::monitor::escalate;
use super::trade::{TradeAmount, TradeOutcome, TradeRequest, Trading};
use crate::domain::exit::ExitReason;
use crate::domain::failure::TradeFailure;
use crate::domain::intent::{IdempotencyKey, IntentState};
use crate::domain::money::Lamports;
use crate::domain::order::{
    DCA_INTERVAL_MS, MAX_EXPIRY_MS, Market, OrderDecision, OrderError, OrderState, OrderView, Plan, Size, TriggerSpec,
    check_dca,
};
use crate::domain::position::Side;
use crate::domain::user::UserId;
use crate::ports::{NewOrder, OrderRecord, OrderRepo, PriceSource, RepoError, TradeNotice};

/// Active orders per user.
pub const MAX_ORDERS_PER_USER: usize = 50;
/// Fills running at once.
const PARALLEL: usize = 8;
/// Attempts per fill when the transaction fails (slippage escalates each time).
const ATTEMPTS: u32 = 3;

/// What an order acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A token (buys; sells of the open position in it).
    Mint(Pubkey),
    /// One of the user's positions (`#12`).
    Position(i64),
}

/// How much a DCA trades in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DcaTotal {
    /// SOL (buys).
    Sol(Lamports),
    /// A percentage of the position, fixed in tokens when placed (sells).
    Percent(u8),
}

/// A limit / breakout buy or a limit / stop sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitOrder {
    /// Buy or sell.
    pub side: Side,
    /// What it acts on.
    pub target: Target,
    /// Size: lamports or a wallet share for buys, a percentage of the position for sells.
    pub size: Size,
    /// The trigger as typed.
    pub trigger: TriggerSpec,
    /// Expires after this long (ms).
    pub expires_in_ms: Option<i64>,
}

/// A DCA buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DcaOrder {
    /// Buy or sell.
    pub side: Side,
    /// What it acts on.
    pub target: Target,
    /// Total.
    pub total: DcaTotal,
    /// Slices.
    pub slices: u32,
    /// Interval between slices, ms.
    pub interval_ms: i64,
}

/// Why an order was not placed (each a localized reply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceRefusal {
    /// The input does not make an order.
    Invalid(OrderError),
    /// No open position to sell.
    NoPosition,
    /// No price or mint data for a trigger that needs it.
    NoMarket,
    /// Too many active orders.
    TooMany,
}

/// The in-memory copy of an active order (small and `Copy`: the monitor evaluates 100,000 per
/// tick without an allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Resting {
    id: i64,
    user: UserId,
    mint: Pubkey,
    position_id: Option<i64>,
    view: OrderView,
}

impl Resting {
    fn of(r: &OrderRecord) -> Option<Self> {
        let mint = Pubkey::from_str(&r.mint).ok()?;
        Some(Self { id: r.id, user: r.user, mint, position_id: r.position_id, view: r.view })
    }
}

#[derive(Debug, Default)]
struct Book {
    active: HashMap<i64, Resting>,
    in_flight: HashSet<i64>,
}

/// What the orders did in one tick.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderTickReport {
    /// Active orders evaluated.
    pub evaluated: usize,
    /// Fills attempted.
    pub fired: usize,
    /// Fills that filled.
    pub filled: usize,
    /// Orders that expired.
    pub expired: usize,
}

/// The resting-order service.
#[derive(Clone)]
pub struct Orders {
    trading: Trading,
    repo: Arc<dyn OrderRepo>,
    prices: Arc<dyn PriceSource>,
    book: Arc<Mutex<Book>>,
}

impl std::fmt::Debug for Orders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Orders").finish_non_exhaustive()
    }
}

type Placed = Result<Result<OrderRecord, PlaceRefusal>, RepoError>;

impl Orders {
    /// Wires the service.
    pub fn new(trading: Trading, repo: Arc<dyn OrderRepo>, prices: Arc<dyn PriceSource>) -> Self {
        Self { trading, repo, prices, book: Arc::new(Mutex::new(Book::default())) }
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Loads every active order (at start).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn load(&self) -> Result<usize, RepoError> {
        let orders = self.repo.active_orders().await?;
        let mut book = self.book();
        for o in &orders {
            if let Some(r) = Resting::of(o) {
                book.active.insert(r.id, r);
            }
        }
        Ok(book.active.len())
    }

    /// Active orders held in memory.
    pub fn active(&self) -> usize {
        self.book().active.len()
    }

    /// Distinct mints of the active orders (priced with the positions in one batch).
    pub fn mints(&self) -> Vec<Pubkey> {
        let book = self.book();
        let set: HashSet<Pubkey> = book.active.values().map(|r| r.mint).collect();
        set.into_iter().collect()
    }

    /// Places a limit / breakout buy or a limit / stop sell.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn place_limit(&self, user: UserId, key: &str, o: LimitOrder) -> Placed {
        let now = self.trading.ports().clock.now_ms();
        let expires_at_ms = match o.expires_in_ms {
            Some(ms) if !(1..=MAX_EXPIRY_MS).contains(&ms) => {
                return Ok(Err(PlaceRefusal::Invalid(OrderError::Duration)));
            }
            ms => ms.map(|ms| now.saturating_add(ms)),
        };
        let (mint, position) = match self.target(user, o.side, o.target).await? {
            Ok(t) => t,
            Err(r) => return Ok(Err(r)),
        };
        let market = match self.market(mint, o.trigger, position.as_ref()).await {
            Some(m) => m,
            None => return Ok(Err(PlaceRefusal::NoMarket)),
        };
        let trigger = match o.trigger.resolve(&market) {
            Ok(t) => t,
            Err(OrderError::Reference) => return Ok(Err(PlaceRefusal::NoMarket)),
            Err(e) => return Ok(Err(PlaceRefusal::Invalid(e))),
        };
        let new = NewOrder {
            request_key: key.to_owned(),
            user,
            mint: mint.to_string(),
            side: o.side,
            position_id: position.map(|p| p.id),
            plan: Plan::Limit { trigger, spec: o.trigger },
            size: o.size,
            next_at_ms: now,
            expires_at_ms,
        };
        self.insert(user, new, now).await
    }

    /// Places a DCA buy or sell; the first slice runs on the next tick.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn place_dca(&self, user: UserId, key: &str, o: DcaOrder) -> Placed {
        let now = self.trading.ports().clock.now_ms();
        if !DCA_INTERVAL_MS.contains(&o.interval_ms) {
            return Ok(Err(PlaceRefusal::Invalid(OrderError::Duration)));
        }
        let (mint, position) = match self.target(user, o.side, o.target).await? {
            Ok(t) => t,
            Err(r) => return Ok(Err(r)),
        };
        let size = match (o.total, &position) {
            (DcaTotal::Sol(l), None) => Size::Lamports(l.0),
            (DcaTotal::Percent(pct), Some(p)) => Size::Tokens(super::trade::percent_of(p.book.tokens, pct)),
            _ => return Ok(Err(PlaceRefusal::Invalid(OrderError::Amount))),
        };
        let total = match size {
            Size::Lamports(n) | Size::Tokens(n) => n,
            _ => 0,
        };
        if let Err(e) = check_dca(total, o.slices) {
            return Ok(Err(PlaceRefusal::Invalid(e)));
        }
        let plan = Plan::Dca { slices: o.slices, interval_ms: o.interval_ms, min_price: None, max_price: None };
        let expires_at_ms = None;
        let new = NewOrder {
            request_key: key.to_owned(),
            user,
            mint: mint.to_string(),
            side: o.side,
            position_id: position.map(|p| p.id),
            plan,
            size,
            next_at_ms: now,
            expires_at_ms,
        };
        self.insert(user, new, now).await
    }

    async fn insert(&self, user: UserId, new: NewOrder, now: i64) -> Placed {
        if self.repo.user_orders(user).await?.len() >= MAX_ORDERS_PER_USER {
            return Ok(Err(PlaceRefusal::TooMany));
        }
        let record = self.repo.insert_order(&new, now).await?;
        if let Some(r) = Resting::of(&record) {
            self.book().active.insert(r.id, r);
        }
        Ok(Ok(record))
    }

    /// The mint and, for sells, the open position an order acts on.
    async fn target(
        &self,
        user: UserId,
        side: Side,
        target: Target,
    ) -> Result<Result<(Pubkey, Option<crate::ports::PositionRecord>), PlaceRefusal>, RepoError> {
        let positions = &self.trading.ports().positions;
        match (side, target) {
            (Side::Buy, Target::Mint(mint)) => Ok(Ok((mint, None))),
            (Side::Buy, Target::Position(_)) => Ok(Err(PlaceRefusal::Invalid(OrderError::Amount))),
            (Side::Sell, t) => {
                let p = match t {
                    Target::Position(id) => positions.position(user, id).await?,
                    Target::Mint(mint) => positions.open_position_in(user, &mint.to_string()).await?,
                };
                let Some(p) = p.filter(|p| p.is_open && p.book.tokens > 0) else {
                    return Ok(Err(PlaceRefusal::NoPosition));
                };
                let Ok(mint) = Pubkey::from_str(&p.mint) else { return Ok(Err(PlaceRefusal::NoPosition)) };
                Ok(Ok((mint, Some(p))))
            }
        }
    }

    /// What a trigger is resolved against: decimals and supply (read from the mint account
    /// when the trigger needs them), the position's entry for sells, the market price for buys.
    async fn market(
        &self,
        mint: Pubkey,
        trigger: TriggerSpec,
        position: Option<&crate::ports::PositionRecord>,
    ) -> Option<Market> {
        let mut m = Market { decimals: position.map_or(0, |p| p.decimals), supply: 0, reference: None };
        let needs_mint = matches!(trigger, TriggerSpec::MarketCap { .. })
            || (matches!(trigger, TriggerSpec::Price { .. }) && position.is_none());
        if needs_mint {
            let accounts = self.trading.ports().chain.accounts(&[mint]).await.ok()?;
            let account = accounts.first()?.as_ref()?;
            let info = crate::venues::mint::MintInfo::decode(mint, account).ok()?;
            m.decimals = info.decimals;
            m.supply = info.supply;
        }
        if matches!(trigger, TriggerSpec::Move { .. } | TriggerSpec::Multiple { .. }) {
            m.reference = match position {
                Some(p) => p.book.entry_price(),
                None => self.prices.prices(&[(mint, 0)]).await.into_iter().next()?.ok(),
            };
        }
        Some(m)
    }

    /// A user's active orders.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn list(&self, user: UserId) -> Result<Vec<OrderRecord>, RepoError> {
        self.repo.user_orders(user).await
    }

    /// Cancels one of the user's active orders; false when it was not active (filled,
    /// cancelled, expired, or not theirs). Exact: a fill not claimed before the cancel commits
    /// never happens.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn cancel(&self, user: UserId, id: i64) -> Result<bool, RepoError> {
        let now = self.trading.ports().clock.now_ms();
        let done = self.repo.end_order(Some(user), id, OrderState::Cancelled, now).await?;
        if done {
            self.book().active.remove(&id);
        }
        Ok(done)
    }

    /// Runs the orders for one monitor tick: `prices` are this tick's prices by mint.
    pub async fn tick(&self, prices: &HashMap<Pubkey, Decimal>, now: i64) -> OrderTickReport {
        let due: Vec<(Resting, OrderDecision)> = {
            let mut book = self.book();
            let due: Vec<(Resting, OrderDecision)> = book
                .active
                .values()
                .filter(|r| !book.in_flight.contains(&r.id))
                .filter_map(|r| r.view.evaluate(prices.get(&r.mint).copied(), now).map(|d| (*r, d)))
                .collect();
            book.in_flight.extend(due.iter().map(|(r, _)| r.id));
            due
        };
        let mut report = OrderTickReport { evaluated: self.active(), ..OrderTickReport::default() };
        report.fired = due.iter().filter(|(_, d)| matches!(d, OrderDecision::Fire { .. })).count();
        report.expired = due.len() - report.fired;
        let results: Vec<bool> = futures::stream::iter(due)
            .map(|(r, d)| async move {
                let filled = match d {
                    OrderDecision::Expire => {
                        self.expire(r, now).await;
                        false
                    }
                    OrderDecision::Fire { fill, size } => self.fire(r, fill, size, now).await,
                };
                self.book().in_flight.remove(&r.id);
                filled
            })
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        report.filled = results.iter().filter(|f| **f).count();
        report
    }

    async fn expire(&self, r: Resting, now: i64) {
        match self.repo.end_order(None, r.id, OrderState::Expired, now).await {
            Ok(true) => {
                self.book().active.remove(&r.id);
                let notice = TradeNotice::OrderEnded { order_id: r.id, mint: r.mint.to_string(), reason: None };
                self.trading.ports().notifier.notify(r.user, notice).await;
            }
            Ok(false) => {
                self.book().active.remove(&r.id);
            }
            Err(e) => tracing::warn!(order_id = r.id, error.message = %e, "could not expire an order"),
        }
    }

    /// Claims fill `fill` and trades it; returns whether it filled.
    async fn fire(&self, r: Resting, fill: u32, size: Size, now: i64) -> bool {
        let next = r.view.after_fill(fill, now);
        match self.repo.claim_fill(r.id, fill, next.next_at_ms, now).await {
            Ok(true) => {}
            Ok(false) => {
                // Cancelled, expired or claimed meanwhile: follow storage.
                self.refresh(r).await;
                return false;
            }
            Err(e) => {
                tracing::warn!(order_id = r.id, error.message = %e, "could not claim an order fill");
                return false;
            }
        }
        if let Some(held) = self.book().active.get_mut(&r.id) {
            held.view = next;
        }
        crate::failpoint::hit("after_order_claim");
        self.trade(Resting { view: next, ..r }, fill, size, false).await
    }

    async fn refresh(&self, r: Resting) {
        match self.repo.order(r.user, r.id).await {
            Ok(Some(o)) if o.state == OrderState::Active => {
                if let Some(fresh) = Resting::of(&o) {
                    self.book().active.insert(r.id, fresh);
                }
            }
            Ok(_) => {
                self.book().active.remove(&r.id);
            }
            Err(e) => tracing::warn!(order_id = r.id, error.message = %e, "could not reload an order"),
        }
    }

    /// Trades a claimed fill (`r.view` already counts it) and settles it in storage.
    async fn trade(&self, r: Resting, fill: u32, size: Size, resume: bool) -> bool {
        let reason = match r.view.plan {
            Plan::Limit { .. } => ExitReason::LimitOrder { order_id: r.id },
            Plan::Dca { slices, .. } => ExitReason::DcaSlice { order_id: r.id, slice: fill, slices },
        };
        let amount = match size {
            Size::Lamports(n) => TradeAmount::Sol(Lamports(n)),
            Size::PercentOfPosition(p) => TradeAmount::PercentOfPosition(p),
            Size::Tokens(n) => TradeAmount::Tokens(n),
            // Resolved by the trading core against the wallet as it stands when the fill runs.
            Size::WalletShare(bps) => TradeAmount::WalletShare(bps),
        };
        let base = self.trading.ports().users.config(r.user).await.map(|c| c.slippage).unwrap_or_default();
        let mut outcome = None;
        for attempt in 0..ATTEMPTS {
            let key = IdempotencyKey::order(r.id, fill, attempt);
            let mut req = match r.view.side {
                Side::Buy => TradeRequest::buy(r.user, r.mint, Lamports::ZERO, key),
                Side::Sell => TradeRequest::sell(r.user, r.mint, r.position_id, amount, key),
            };
            req.amount = amount;
            req.source = Some("order".to_owned());
            req.exit_reason = Some(reason);
            req.resume = resume;
            if attempt > 0 {
                req.slippage = Some(escalate(base, attempt));
            }
            match self.trading.execute(req).await {
                Ok(TradeOutcome::Failed { reason, .. }) => outcome = Some(Err(reason)),
                // An earlier attempt with this key never landed (recovery failed an intent a
                // crash interrupted before signing): the next attempt key may trade.
                Ok(TradeOutcome::Duplicate { state: IntentState::Failed | IntentState::Expired, .. }) => {
                    outcome = Some(Err(TradeFailure::Interrupted));
                }
                Ok(o) => {
                    outcome = Some(Ok(o));
                    break;
                }
                Err(e) => {
                    // Storage failed: leave the fill claimed and unsettled (resumed at start).
                    tracing::error!(order_id = r.id, error.message = %e, "order fill failed on storage");
                    return false;
                }
            }
        }
        let now = self.trading.ports().clock.now_ms();
        let done = r.view.is_done();
        let (state, failure, filled) = match outcome {
            Some(Ok(TradeOutcome::Filled { .. })) => {
                (if done { OrderState::Filled } else { OrderState::Active }, None, true)
            }
            Some(Ok(TradeOutcome::Duplicate { .. } | TradeOutcome::Pending { .. })) | None => {
                (if done { OrderState::Filled } else { OrderState::Active }, None, false)
            }
            Some(Ok(TradeOutcome::Refused { reason, .. } | TradeOutcome::Failed { reason, .. }) | Err(reason)) => {
                let gone =
                    matches!(reason, TradeFailure::PositionClosed | TradeFailure::NoPosition | TradeFailure::Dust);
                // A limit order that cannot fill ends; a DCA skips the slice unless its
                // position is gone.
                let ends = gone || matches!(r.view.plan, Plan::Limit { .. }) || done;
                (if ends { OrderState::Failed } else { OrderState::Active }, Some(reason), false)
            }
        };
        let code = failure.as_ref().map(TradeFailure::code);
        if let Err(e) = self.repo.settle_fill(r.id, fill, state, code.as_deref(), now).await {
            tracing::warn!(order_id = r.id, error.message = %e, "could not settle an order fill");
        }
        if state != OrderState::Active {
            self.book().active.remove(&r.id);
        }
        if state == OrderState::Failed
            && let Some(reason) = failure
        {
            let notice = TradeNotice::OrderEnded { order_id: r.id, mint: r.mint.to_string(), reason: Some(reason) };
            self.trading.ports().notifier.notify(r.user, notice).await;
        }
        filled
    }

    /// Trades fills a crash interrupted between their claim and their end (same intent keys:
    /// a fill whose trade was stored is not made again).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn resume(&self) -> Result<usize, RepoError> {
        let open = self.repo.unsettled_orders().await?;
        let n = open.len();
        for o in open {
            let Some(r) = Resting::of(&o) else { continue };
            let fill = o.view.fills;
            let size = o.view.fill_size(fill);
            self.trade(r, fill, size, true).await;
        }
        Ok(n)
    }
}
