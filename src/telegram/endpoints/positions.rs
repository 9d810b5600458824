//! `/positions` (list, history, chart) and the history and chart buttons.

use super::{HandlerResult, private_only};
use crate::app::positions::Positions;
use crate::telegram::ctx::Ctx;
use crate::telegram::reply::chart::{ChartError, equity_png};
use crate::telegram::reply::trade::{TradeReply, position_line};

fn positions(ctx: &Ctx) -> Option<&Positions> {
    let p = ctx.deps.positions.as_ref();
    if p.is_none() {
        ctx.reply(TradeReply::Unavailable);
    }
    p
}

/// `/positions [list | history [page] | chart | close <id> [percent]]`.
pub async fn command(ctx: &Ctx, arg: &str) -> HandlerResult {
    if !private_only(ctx) {
        return Ok(());
    }
    let words: Vec<&str> = arg.split_whitespace().collect();
    match words[..] {
        [] | ["list"] => list(ctx).await,
        ["history"] => history(ctx, 1).await,
        ["history", page] => match page.parse::<u32>() {
            Ok(p) if p >= 1 => history(ctx, p).await,
            _ => {
                ctx.reply(TradeReply::PositionsUsage);
                Ok(())
            }
        },
        ["chart"] => chart(ctx).await,
        ["close", id] => super::trading::close_command(ctx, id, None).await,
        ["close", id, pct] => super::trading::close_command(ctx, id, Some(pct)).await,
        _ => {
            ctx.reply(TradeReply::PositionsUsage);
            Ok(())
        }
    }
}

async fn list(ctx: &Ctx) -> HandlerResult {
    let Some(positions) = positions(ctx) else {
        return Ok(());
    };
    let open = positions.open(ctx.user_id).await?;
    if open.is_empty() {
        ctx.reply(TradeReply::NoPositions);
        return Ok(());
    }
    let lines = open.iter().map(|p| position_line(ctx.lang, &p.record, p.value)).collect();
    let ids = open.iter().map(|p| p.record.id).collect();
    ctx.reply(TradeReply::PositionsList { lines, ids });
    Ok(())
}

/// A history page (command or button).
pub async fn history(ctx: &Ctx, page: u32) -> HandlerResult {
    let Some(positions) = positions(ctx) else {
        return Ok(());
    };
    let found = positions.history(ctx.user_id, page).await?;
    ctx.reply(TradeReply::History { rows: found.rows, page, has_next: found.has_next });
    Ok(())
}

/// A PNG of cumulative realized PnL over time, with the numbers in a localized caption; without
/// realized trades a localized "no trades yet".
pub async fn chart(ctx: &Ctx) -> HandlerResult {
    let Some(positions) = positions(ctx) else {
        return Ok(());
    };
    let trades = positions.realized(ctx.user_id).await?;
    let stats = crate::domain::stats::compute(&trades);
    let to_ms = trades.iter().map(|t| t.closed_at_ms).max().unwrap_or_default();
    let from_ms = trades.iter().map(|t| t.opened_at_ms.min(t.closed_at_ms)).min().unwrap_or_default();
    let lang = ctx.lang;
    let png = match tokio::task::spawn_blocking(move || equity_png(&trades, lang)).await? {
        Ok(png) => png,
        Err(ChartError::Empty) => {
            ctx.reply(TradeReply::NoTrades);
            return Ok(());
        }
        Err(e) => return Err(Box::new(e)),
    };
    let caption = TradeReply::ChartCaption {
        trades: stats.trades,
        total_pnl: stats.total_pnl,
        max_drawdown: stats.max_drawdown,
        from_ms,
        to_ms,
    };
    ctx.photo(png, "equity.png", caption);
    Ok(())
}
