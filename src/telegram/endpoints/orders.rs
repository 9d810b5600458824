//! `/limit`, `/dca`, `/orders` (a cancel button each) and `/panic` (with a confirmation button):
//! parse, call `app::orders` / `app::panic`, reply.

use super::trading::{parse_mint, parse_percent, parse_target};
use super::{HandlerResult, private_only};
use crate::app::exits::Change;
use crate::app::orders::{DcaOrder, DcaTotal, LimitOrder, Orders, PlaceRefusal, Target};
use crate::app::positions::SellTarget;
use crate::domain::exit_edit::ExitEdit;
use crate::domain::money::Lamports;
use crate::domain::order::{DCA_INTERVAL_MS, MAX_EXPIRY_MS, OrderError, Size, TriggerSpec, parse_duration};
use crate::domain::position::Side;
use crate::domain::user_config::{ConfigKey, UserConfig};
use crate::telegram::ctx::Ctx;
use crate::telegram::reply::orders::OrdersReply;
use crate::telegram::reply::trade::TradeReply;

fn orders(ctx: &Ctx) -> Option<Orders> {
    if ctx.deps.orders.is_none() {
        ctx.reply(TradeReply::Unavailable);
    }
    ctx.deps.orders.clone()
}

/// The key of this command message (a redelivered update places nothing new).
fn request_key(ctx: &Ctx) -> String {
    format!("u{}:msg:{}:{}", ctx.user_id.0, ctx.chat, ctx.message_id)
}

fn side(word: &str) -> Option<Side> {
    match word.to_lowercase().as_str() {
        "buy" => Some(Side::Buy),
        "sell" => Some(Side::Sell),
        _ => None,
    }
}

fn target(side: Side, word: &str) -> Option<Target> {
    match side {
        Side::Buy => parse_mint(word).map(Target::Mint),
        Side::Sell => parse_target(word).map(|t| match t {
            SellTarget::Position(id) => Target::Position(id),
            SellTarget::Mint(m) => Target::Mint(m),
        }),
    }
}

/// `5%` → 500 bps of the wallet (0 < share ≤ 100 %, at most two decimals).
pub fn parse_share(text: &str) -> Option<u32> {
    crate::domain::money::percent_bps(text.trim().strip_suffix('%')?, 1, 10_000)
}

fn size(side: Side, word: &str) -> Option<Size> {
    match side {
        Side::Buy => match parse_share(word) {
            Some(bps) => Some(Size::WalletShare(bps)),
            None => Lamports::parse_sol(&word.replace(',', ".")).ok().filter(|l| l.0 > 0).map(|l| Size::Lamports(l.0)),
        },
        Side::Sell => parse_percent(word).map(Size::PercentOfPosition),
    }
}

fn refused(ctx: &Ctx, r: PlaceRefusal) -> HandlerResult {
    ctx.reply(OrdersReply::Refused(r));
    Ok(())
}

/// `/limit buy <mint> <sol|5%> <trigger> [expiry]`, `/limit sell <mint|#position> <percent>
/// <trigger> [expiry]`.
pub async fn limit(ctx: &Ctx, arg: &str) -> HandlerResult {
    if !private_only(ctx) {
        return Ok(());
    }
    let Some(orders) = orders(ctx) else { return Ok(()) };
    let words: Vec<&str> = arg.split_whitespace().collect();
    if words.len() < 4 {
        ctx.reply(OrdersReply::LimitUsage);
        return Ok(());
    }
    let Some(side) = side(words[0]) else {
        ctx.reply(OrdersReply::LimitUsage);
        return Ok(());
    };
    let Some(target) = target(side, words[1]) else {
        ctx.reply(TradeReply::BadMint { value: words[1].to_owned() });
        return Ok(());
    };
    let Some(size) = size(side, words[2]) else { return refused(ctx, PlaceRefusal::Invalid(OrderError::Amount)) };
    // An expiry is the last word when it reads as one and the rest still reads as a trigger
    // (`mcap <= 30m` is a market cap of 30 million, not a 30-minute expiry).
    let rest = &words[3..];
    let with_expiry = rest.split_last().filter(|(_, init)| !init.is_empty()).and_then(|(last, init)| {
        let ms = parse_duration(last, 1..=MAX_EXPIRY_MS).ok()?;
        TriggerSpec::parse(&init.concat()).ok().map(|t| (t, Some(ms)))
    });
    let parsed = with_expiry.or_else(|| TriggerSpec::parse(&rest.concat()).ok().map(|t| (t, None)));
    let Some((trigger, expires_in_ms)) = parsed else {
        return refused(ctx, PlaceRefusal::Invalid(OrderError::Trigger));
    };
    let order = LimitOrder { side, target, size, trigger, expires_in_ms };
    match orders.place_limit(ctx.user_id, &request_key(ctx), order).await? {
        Ok(o) => ctx.reply(OrdersReply::Placed(Box::new(o))),
        Err(r) => ctx.reply(OrdersReply::Refused(r)),
    }
    Ok(())
}

/// `/dca buy <mint> <total sol> <slices> <interval>`, `/dca sell <mint|#position> <percent>
/// <slices> <interval>`.
pub async fn dca(ctx: &Ctx, arg: &str) -> HandlerResult {
    if !private_only(ctx) {
        return Ok(());
    }
    let Some(orders) = orders(ctx) else { return Ok(()) };
    let words: Vec<&str> = arg.split_whitespace().collect();
    let [side_word, target_word, total, slices, interval] = words[..] else {
        ctx.reply(OrdersReply::DcaUsage);
        return Ok(());
    };
    let Some(side) = side(side_word) else {
        ctx.reply(OrdersReply::DcaUsage);
        return Ok(());
    };
    let Some(target) = target(side, target_word) else {
        ctx.reply(TradeReply::BadMint { value: target_word.to_owned() });
        return Ok(());
    };
    let total = match side {
        Side::Buy => Lamports::parse_sol(&total.replace(',', ".")).ok().filter(|l| l.0 > 0).map(DcaTotal::Sol),
        Side::Sell => parse_percent(total).map(DcaTotal::Percent),
    };
    let Some(total) = total else { return refused(ctx, PlaceRefusal::Invalid(OrderError::Amount)) };
    let Ok(slices) = slices.parse::<u32>() else { return refused(ctx, PlaceRefusal::Invalid(OrderError::Slices)) };
    let Ok(interval_ms) = parse_duration(interval, DCA_INTERVAL_MS) else {
        return refused(ctx, PlaceRefusal::Invalid(OrderError::Duration));
    };
    let order = DcaOrder { side, target, total, slices, interval_ms };
    match orders.place_dca(ctx.user_id, &request_key(ctx), order).await? {
        Ok(o) => ctx.reply(OrdersReply::Placed(Box::new(o))),
        Err(r) => ctx.reply(OrdersReply::Refused(r)),
    }
    Ok(())
}

/// `/orders` (list with a cancel button each) and `/orders cancel <id>`.
pub async fn list(ctx: &Ctx, arg: &str) -> HandlerResult {
    if !private_only(ctx) {
        return Ok(());
    }
    let Some(orders) = orders(ctx) else { return Ok(()) };
    let words: Vec<&str> = arg.split_whitespace().collect();
    match words[..] {
        [] | ["list"] => ctx.reply(OrdersReply::List(orders.list(ctx.user_id).await?)),
        ["cancel", id] => match id.trim_start_matches('#').parse::<i64>() {
            Ok(id) if id > 0 => cancel(ctx, &orders, id).await?,
            _ => ctx.reply(OrdersReply::NotActive(0)),
        },
        _ => ctx.reply(OrdersReply::LimitUsage),
    }
    Ok(())
}

async fn cancel(ctx: &Ctx, orders: &Orders, id: i64) -> HandlerResult {
    if orders.cancel(ctx.user_id, id).await? {
        ctx.reply(OrdersReply::Cancelled(id));
    } else {
        ctx.reply(OrdersReply::NotActive(id));
    }
    Ok(())
}

/// The cancel button under `/orders` or a placed order.
pub async fn cancel_button(ctx: &Ctx, id: i64) -> HandlerResult {
    let Some(orders) = orders(ctx) else { return Ok(()) };
    let reply =
        if orders.cancel(ctx.user_id, id).await? { OrdersReply::Cancelled(id) } else { OrdersReply::NotActive(id) };
    ctx.answer(Some(reply.clone().into()));
    ctx.reply(reply);
    Ok(())
}

/// `/panic`: the confirmation card (nothing happens before the button).
pub async fn panic(ctx: &Ctx) -> HandlerResult {
    if !private_only(ctx) {
        return Ok(());
    }
    if ctx.deps.trading.is_none() {
        ctx.reply(TradeReply::Unavailable);
        return Ok(());
    }
    ctx.reply(OrdersReply::PanicConfirm);
    Ok(())
}

/// The panic card's buttons. Confirm turns new entries off and sells every open position (each
/// sell an intent keyed by position and attempt, so a double press sells nothing twice).
pub async fn panic_button(ctx: &Ctx, confirm: bool) -> HandlerResult {
    if !confirm {
        ctx.edit(OrdersReply::PanicCancelled);
        return Ok(());
    }
    let Some(trading) = ctx.deps.trading.clone() else {
        ctx.reply(TradeReply::Unavailable);
        return Ok(());
    };
    ctx.edit_keyboard(None);
    let report = crate::app::panic::panic_sell(&trading, ctx.user_id).await?;
    ctx.reply(OrdersReply::PanicDone(report));
    Ok(())
}

/// One `/exits` rule change: `sl 20`, `tp 100:50,200:100`, `trail 3:2`, `time 48` (each also
/// `off`), validated like `/livetrade config`.
fn exit_edit(word: &str, value: &str) -> Option<ExitEdit> {
    let key = match word.to_lowercase().as_str() {
        "sl" | "stop" | "stop_loss" => ConfigKey::StopLossPct,
        "tp" | "take_profit" => ConfigKey::TakeProfit,
        "trail" | "trailing" | "trailing_stop" => ConfigKey::TrailingStop,
        "time" | "time_exit" => ConfigKey::TimeExitHours,
        _ => return None,
    };
    let c = UserConfig::default().set(key, value).ok()?;
    Some(match key {
        ConfigKey::StopLossPct => ExitEdit::StopLoss(c.stop_loss.map(|b| u32::from(b.0))),
        ConfigKey::TakeProfit => ExitEdit::TakeProfit(c.take_profit),
        ConfigKey::TrailingStop => ExitEdit::Trailing(c.trailing_stop),
        _ => ExitEdit::TimeExit(c.time_exit_hours.map(|h| i64::from(h) * 3_600_000)),
    })
}

/// `/exits <#id>` shows a position's exits; `/exits <#id> sl|tp|trail|time <value|off>`,
/// `breakeven` and `off` change them (from the next tick; sold ladder steps stay sold).
pub async fn exits(ctx: &Ctx, arg: &str) -> HandlerResult {
    if !private_only(ctx) {
        return Ok(());
    }
    let Some(trading) = ctx.deps.trading.clone() else {
        ctx.reply(TradeReply::Unavailable);
        return Ok(());
    };
    let words: Vec<&str> = arg.split_whitespace().collect();
    let Some(position) = words.first().and_then(|w| w.trim_start_matches('#').parse::<i64>().ok()).filter(|id| *id > 0)
    else {
        ctx.reply(OrdersReply::ExitsUsage);
        return Ok(());
    };
    let change = match words[1..] {
        [] => None,
        ["breakeven" | "be"] => Some(Change::Edit(ExitEdit::BreakEven)),
        ["off" | "cancel"] => Some(Change::CancelAll),
        [word, value] => match exit_edit(word, value) {
            Some(edit) => Some(Change::Edit(edit)),
            None => {
                ctx.reply(OrdersReply::ExitsBadValue);
                return Ok(());
            }
        },
        _ => {
            ctx.reply(OrdersReply::ExitsUsage);
            return Ok(());
        }
    };
    let now = match change {
        None => crate::app::exits::current(&trading, ctx.user_id, position).await?,
        Some(c) => crate::app::exits::change(&trading, ctx.user_id, position, &c).await?,
    };
    match now {
        Some(exits) => ctx.reply(OrdersReply::Exits { position, exits: Box::new(exits) }),
        None => ctx.reply(OrdersReply::ExitsNoPosition),
    }
    Ok(())
}

/// The break-even and cancel-exits buttons under `/exits`.
pub async fn exits_button(ctx: &Ctx, position: i64, break_even: bool) -> HandlerResult {
    let Some(trading) = ctx.deps.trading.clone() else {
        ctx.reply(TradeReply::Unavailable);
        return Ok(());
    };
    let change = if break_even { Change::Edit(ExitEdit::BreakEven) } else { Change::CancelAll };
    match crate::app::exits::change(&trading, ctx.user_id, position, &change).await? {
        Some(exits) => ctx.edit(OrdersReply::Exits { position, exits: Box::new(exits) }),
        None => ctx.reply(OrdersReply::ExitsNoPosition),
    }
    Ok(())
}
