//! `/positions` (list, history, chart) and the history and chart buttons.

use super::{HandlerResult, private_only};
use crate::app::positions::PnlFacts;
use crate::app::positions::Positions;
use crate::telegram::callback::Callback;
use crate::telegram::ctx::Ctx;
use crate::telegram::reply::chart::{ChartError, equity_png};
use crate::telegram::reply::pics::{PicsReply, PnlCard, pnl_card_png};
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

/// A double tap (or a redelivered press) of a picture button within this window sends one
/// picture; a press after it sends a fresh one.
pub const PICTURE_WINDOW_MS: i64 = 10_000;

/// The PnL card picture of one position, open or closed (the "PnL card" button). The press is
/// claimed in storage before anything is rendered or sent, so a double tap sends one picture.
pub async fn pnl_card(ctx: &Ctx, cb: &Callback, id: i64) -> HandlerResult {
    ctx.answer(None);
    // A private card goes only to the private chat of its owner.
    if !private_only(ctx) {
        return Ok(());
    }
    let Some(positions) = positions(ctx) else {
        return Ok(());
    };
    let key = format!("u{}:pic:{}:{}:{}", ctx.user_id.0, ctx.chat, ctx.message_id, cb.data());
    let now = chrono::Utc::now().timestamp_millis();
    if !positions.claim_picture(&key, now, PICTURE_WINDOW_MS).await? {
        return Ok(());
    }
    let Some(facts) = positions.pnl_facts(ctx.user_id, id).await? else {
        ctx.reply(TradeReply::NotFound { value: format!("#{id}") });
        return Ok(());
    };
    let card = card_of(&facts, now);
    let lang = ctx.lang;
    let drawn = card.clone();
    let png = tokio::task::spawn_blocking(move || pnl_card_png(&drawn, lang)).await??;
    ctx.photo(png, "pnl.png", PicsReply::CardCaption { card: Box::new(card) });
    Ok(())
}

/// The picture's facts: symbol (else name, else short mint) as the title.
pub fn card_of(facts: &PnlFacts, now_ms: i64) -> PnlCard {
    let r = &facts.record;
    let short = crate::telegram::reply::pics::short_mint(&r.mint);
    let meta = facts.meta.as_ref();
    let symbol = meta.map(|m| m.symbol.trim()).filter(|s| !s.is_empty());
    let name = meta.map(|m| m.name.trim()).filter(|s| !s.is_empty());
    let (title, subtitle) = match (symbol, name) {
        (Some(s), Some(n)) => (s.to_owned(), format!("{n} · {short}")),
        (Some(s), None) | (None, Some(s)) => (s.to_owned(), short),
        (None, None) => (short.clone(), r.mint.clone()),
    };
    PnlCard {
        position_id: r.id,
        title,
        subtitle,
        entry: facts.entry,
        value: facts.value,
        open: r.is_open,
        paper: r.is_paper,
        opened_ms: r.book.opened_at_ms,
        until_ms: if r.is_open { now_ms } else { r.closed_at_ms.unwrap_or(now_ms) },
    }
}
