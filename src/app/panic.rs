//! `/panic`: turn off the user's new entries and sell every open position (100 %) through the
//! trading core, each sell an intent keyed by position and attempt (`p<id>:panic#<n>`), with
//! the exits' escalating slippage. A second press finds the positions closed (or their keys
//! taken) and adds nothing.

use futures::StreamExt as _;
use solana_pubkey::Pubkey;

use super::monitor::escalate;
use super::trade::{TradeAmount, TradeError, TradeOutcome, TradeRequest, Trading};
use crate::domain::exit::ExitReason;
use crate::domain::failure::TradeFailure;
use crate::domain::intent::{IdempotencyKey, IntentOrigin};
use crate::domain::user::UserId;
use crate::ports::PositionRecord;

/// Sells running at once.
const PARALLEL: usize = 8;
/// Attempts per position (slippage escalates each time).
const ATTEMPTS: u32 = 4;

/// What a panic did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PanicReport {
    /// Whether this press turned new entries off (false: they were off already).
    pub disabled_entries: bool,
    /// Open positions found.
    pub positions: usize,
    /// Positions sold.
    pub filled: usize,
    /// Positions another press or sell already owns (key taken, sell in flight, closed).
    pub duplicates: usize,
    /// Positions not sold (failed every attempt, or still pending on chain).
    pub failed: usize,
}

/// Turns off the user's new entries, then sells every open position.
///
/// # Errors
/// Storage failures.
pub async fn panic_sell(trading: &Trading, user: UserId) -> Result<PanicReport, TradeError> {
    let ports = trading.ports();
    let mut config = ports.users.config(user).await?;
    let disabled_entries = config.trading_enabled;
    if disabled_entries {
        config.trading_enabled = false;
        ports.users.save_config(user, &config).await?;
    }
    let open = ports.positions.open_positions(user).await?;
    let mut report = PanicReport { disabled_entries, positions: open.len(), ..PanicReport::default() };
    let base = config.slippage;
    let outcomes: Vec<Result<Sold, TradeError>> = futures::stream::iter(open)
        .map(|p| async move { sell_all(trading, user, &p, base).await })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    for o in outcomes {
        match o? {
            Sold::Filled => report.filled += 1,
            Sold::Duplicate => report.duplicates += 1,
            Sold::Failed => report.failed += 1,
        }
    }
    Ok(report)
}

enum Sold {
    Filled,
    Duplicate,
    Failed,
}

async fn sell_all(
    trading: &Trading,
    user: UserId,
    p: &PositionRecord,
    base: crate::domain::money::Bps,
) -> Result<Sold, TradeError> {
    let Ok(mint) = p.mint.parse::<Pubkey>() else { return Ok(Sold::Failed) };
    for attempt in 0..ATTEMPTS {
        let key = IdempotencyKey::panic(p.id, attempt);
        let mut req = TradeRequest::sell(user, mint, Some(p.id), TradeAmount::PercentOfPosition(100), key);
        req.origin = IntentOrigin::Exit;
        req.slippage = Some(escalate(base, attempt));
        req.exit_reason = Some(ExitReason::Panic);
        match trading.execute(req).await? {
            TradeOutcome::Filled { .. } => return Ok(Sold::Filled),
            TradeOutcome::Duplicate { .. } => return Ok(Sold::Duplicate),
            TradeOutcome::Pending { .. } => return Ok(Sold::Failed),
            TradeOutcome::Refused {
                reason: TradeFailure::PositionClosed | TradeFailure::NoPosition | TradeFailure::SellInFlight,
                ..
            } => return Ok(Sold::Duplicate),
            TradeOutcome::Refused { .. } => return Ok(Sold::Failed),
            TradeOutcome::Failed { .. } => {}
        }
    }
    Ok(Sold::Failed)
}
