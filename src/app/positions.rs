//! Read-side use-cases over positions and trades: the open positions with their live value,
//! the trade history, realized trades for statistics and the equity chart, sell targets, and
//! token cards. Handlers call these and never touch a repository.

use std::str::FromStr as _;
use std::sync::Arc;

use solana_pubkey::Pubkey;

use crate::domain::failure::TradeFailure;
use crate::domain::money::{Bps, Lamports};
use crate::domain::position::Side;
use crate::domain::stats::RealizedTrade;
use crate::domain::user::UserId;
use crate::domain::user_config::UserConfig;
use crate::ports::{PositionRecord, PositionRepo, Quote, QuoteRequest, RepoError, Swapper, TradeRecord, UserRepo};

/// Trades per history page.
pub const HISTORY_PAGE: u32 = 10;

/// An open position and, when a venue could quote it, what selling it all would return now.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenPosition {
    /// The position.
    pub record: PositionRecord,
    /// Current value (sell quote), if known.
    pub value: Option<Lamports>,
}

/// One page of the trade log.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPage {
    /// Trades, newest first.
    pub rows: Vec<TradeRecord>,
    /// Whether a next page exists.
    pub has_next: bool,
}

/// What a token card shows.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenCard {
    /// A small buy quote, or why the token cannot be quoted.
    pub quote: Result<Quote, TradeFailure>,
    /// The user's open position in the mint.
    pub holding: Option<PositionRecord>,
    /// The user's buy presets.
    pub presets: Vec<Lamports>,
    /// The token's safety facts (`None`: unavailable).
    pub safety: Option<Arc<crate::domain::safety::TokenSafety>>,
}

/// What a PnL card shows about one position, open or closed.
#[derive(Debug, Clone, PartialEq)]
pub struct PnlFacts {
    /// The position.
    pub record: PositionRecord,
    /// SOL put in: every buy plus its fees (lamports).
    pub entry: u64,
    /// SOL out: closed, `entry` + realized PnL (every sell net of fees); open, that plus what
    /// selling the tokens held would return now; `None` when they cannot be priced.
    pub value: Option<i128>,
    /// The token's name and symbol, when known.
    pub meta: Option<crate::domain::token_meta::TokenMeta>,
}

impl PnlFacts {
    /// Computes the card from a position, its trades and (open) the sell quote of its tokens.
    pub fn compute(record: PositionRecord, trades: &[TradeRecord], value_now: Option<Lamports>) -> Self {
        let entry = trades
            .iter()
            .filter(|t| t.side == Side::Buy)
            .fold(0u64, |sum, t| sum.saturating_add(t.sol.0).saturating_add(t.fees.total()));
        // Positions recorded without their buys (never expected): the cost basis still held.
        let entry = if entry == 0 { record.book.cost.0 } else { entry };
        let closed = i128::from(entry) + i128::from(record.book.realized);
        let value = if record.is_open {
            value_now.map(|v| closed + i128::from(v.0) - i128::from(record.book.cost.0))
        } else {
            Some(closed)
        };
        Self { record, entry, value, meta: None }
    }
}

/// What `/sell` and `/positions close` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SellTarget {
    /// A position id (`#12`).
    Position(i64),
    /// The open position in a mint.
    Mint(Pubkey),
}

/// The positions use-cases.
#[derive(Clone)]
pub struct Positions {
    positions: Arc<dyn PositionRepo>,
    users: Arc<dyn UserRepo>,
    swapper: Arc<dyn Swapper>,
    safety: Option<crate::app::safety::SafetyReader>,
}

impl std::fmt::Debug for Positions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Positions").finish_non_exhaustive()
    }
}

impl Positions {
    /// Wires the use-cases.
    pub fn new(positions: Arc<dyn PositionRepo>, users: Arc<dyn UserRepo>, swapper: Arc<dyn Swapper>) -> Self {
        Self { positions, users, swapper, safety: None }
    }

    /// Shows token safety on cards, from the trading core's shared reader.
    #[must_use]
    pub fn with_safety(mut self, reader: crate::app::safety::SafetyReader) -> Self {
        self.safety = Some(reader);
        self
    }

    /// The safety facts of `mint` (cached; `fresh` reads them again). `None`: unavailable.
    pub async fn safety(&self, mint: Pubkey, fresh: bool) -> Option<Arc<crate::domain::safety::TokenSafety>> {
        let reader = self.safety.as_ref()?;
        if fresh {
            reader.forget(&mint);
        }
        reader.read(&mint).await
    }

    /// The user's open positions with their current value.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn open(&self, user: UserId) -> Result<Vec<OpenPosition>, RepoError> {
        let open = self.positions.open_positions(user).await?;
        let values = futures::future::join_all(open.iter().map(|p| self.value_of(p))).await;
        Ok(open.into_iter().zip(values).map(|(record, value)| OpenPosition { record, value }).collect())
    }

    /// Page `page` (1-based) of the user's trade log.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn history(&self, user: UserId, page: u32) -> Result<HistoryPage, RepoError> {
        let offset = page.saturating_sub(1).saturating_mul(HISTORY_PAGE);
        let mut rows = self.positions.trade_history(user, offset, HISTORY_PAGE + 1).await?;
        let has_next = rows.len() > HISTORY_PAGE as usize;
        rows.truncate(HISTORY_PAGE as usize);
        Ok(HistoryPage { rows, has_next })
    }

    /// The PnL card of one of the user's positions (open or closed); `None` if it is not theirs.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn pnl_facts(&self, user: UserId, id: i64) -> Result<Option<PnlFacts>, RepoError> {
        let Some(record) = self.positions.position(user, id).await? else {
            return Ok(None);
        };
        let trades = self.positions.position_trades(user, id).await?;
        let value_now = if record.is_open { self.value_of(&record).await } else { None };
        let mint = Pubkey::from_str(&record.mint).ok();
        let mut facts = PnlFacts::compute(record, &trades, value_now);
        if let Some(mint) = mint {
            facts.meta = self.safety(mint, false).await.and_then(|s| s.meta.clone());
        }
        Ok(Some(facts))
    }

    /// Claims a picture button press (see [`PositionRepo::claim_picture`]).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn claim_picture(&self, key: &str, now_ms: i64, window_ms: i64) -> Result<bool, RepoError> {
        self.positions.claim_picture(key, now_ms, window_ms).await
    }

    /// Every realized sell (statistics, equity chart).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn realized(&self, user: UserId) -> Result<Vec<RealizedTrade>, RepoError> {
        self.positions.realized_trades(user).await
    }

    /// The open position a sell names, or `None` when it names nothing open of this user.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn resolve(&self, user: UserId, target: SellTarget) -> Result<Option<PositionRecord>, RepoError> {
        Ok(match target {
            SellTarget::Position(id) => self.positions.position(user, id).await?.filter(|p| p.is_open),
            SellTarget::Mint(mint) => self.positions.open_position_in(user, &mint.to_string()).await?,
        })
    }

    /// The user's trading settings (buy presets, slippage).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn config(&self, user: UserId) -> Result<UserConfig, RepoError> {
        self.users.config(user).await
    }

    /// A token card: a quote for the first preset, the user's holding and presets.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn card(&self, user: UserId, mint: Pubkey, refresh: bool) -> Result<TokenCard, RepoError> {
        let config = self.users.config(user).await?;
        let probe = config.buy_presets.first().copied().unwrap_or(Lamports(100_000_000));
        let req = QuoteRequest { mint, side: Side::Buy, amount_in: probe.0, slippage: config.slippage };
        // The safety read runs concurrently with the quote.
        let (quote, safety) = tokio::join!(self.swapper.quote(&req), self.safety(mint, refresh));
        let quote = quote.map_err(|e| crate::app::trade::venue_failure(&e));
        let holding = self.positions.open_position_in(user, &mint.to_string()).await?;
        Ok(TokenCard { quote, holding, presets: config.buy_presets, safety })
    }

    async fn value_of(&self, p: &PositionRecord) -> Option<Lamports> {
        let mint = Pubkey::from_str(&p.mint).ok()?;
        let req = QuoteRequest { mint, side: Side::Sell, amount_in: p.book.tokens, slippage: Bps(0) };
        self.swapper.quote(&req).await.ok().map(|q| Lamports(q.expected_out))
    }
}

#[cfg(test)]
mod pnl_tests {
    use super::*;
    use crate::domain::position::{Fees, PositionBook};

    fn record(open: bool, cost: u64, realized: i64) -> PositionRecord {
        PositionRecord {
            id: 3,
            user: UserId(1),
            wallet_id: None,
            mint: "So11111111111111111111111111111111111111112".to_owned(),
            decimals: 6,
            book: PositionBook { tokens: if open { 500 } else { 0 }, cost: Lamports(cost), realized, opened_at_ms: 10 },
            is_paper: true,
            is_open: open,
            exit_rules: None,
            peak_price: None,
            source: None,
            closed_at_ms: (!open).then_some(99),
        }
    }

    fn trade(side: Side, sol: u64, fee: u64) -> TradeRecord {
        TradeRecord {
            id: 1,
            position_id: Some(3),
            mint: String::new(),
            side,
            sol: Lamports(sol),
            tokens: 1,
            fees: Fees { network: Lamports(fee), ..Fees::default() },
            realized_pnl: 0,
            price: None,
            signature: None,
            is_paper: true,
            at_ms: 0,
        }
    }

    #[test]
    fn closed_trade_entry_is_buys_with_fees_and_exit_adds_the_realized_pnl() {
        let trades = [trade(Side::Buy, 100, 5), trade(Side::Buy, 50, 5), trade(Side::Sell, 300, 5)];
        let f = PnlFacts::compute(record(false, 0, 135), &trades, None);
        assert_eq!((f.entry, f.value), (160, Some(295)));
    }

    #[test]
    fn open_position_value_is_realized_so_far_plus_the_tokens_held_now() {
        // Bought 200 (+10 fees), sold half for a realized +20; the rest (cost 105) is worth 80.
        let trades = [trade(Side::Buy, 200, 10), trade(Side::Sell, 130, 0)];
        let f = PnlFacts::compute(record(true, 105, 20), &trades, Some(Lamports(80)));
        assert_eq!((f.entry, f.value), (210, Some(210 + 20 + 80 - 105)));
        // No quote for the tokens held: no value, never a made-up PnL.
        assert_eq!(PnlFacts::compute(record(true, 105, 20), &trades, None).value, None);
    }
}
