//! `/buy`, `/sell`, `/positions close`, the token card (opened from text by `text.rs`) and the
//! token-card and close buttons.
//!
//! Acting never depends on acknowledging: the trade runs first (its intent is stored before
//! anything is sent), the "⏳" comes from the trading core once the risk checks passed, and
//! fills, refusals and failures arrive as durable notices. Sell and close buttons are keyed by
//! chat, message and button data, so a repeated press of the same button is one action; buy
//! buttons are keyed per press and deduplicated by the double-tap guard.

use std::str::FromStr as _;

use solana_pubkey::Pubkey;

use super::{HandlerResult, private_only};
use crate::app::positions::SellTarget;
use crate::app::trade::{TradeAmount, TradeOutcome, TradeRequest, Trading};
use crate::domain::intent::{IdempotencyKey, IntentOrigin};
use crate::domain::money::Lamports;
use crate::domain::position::Side;
use crate::domain::user::UserId;
use crate::telegram::callback::Callback;
use crate::telegram::ctx::Ctx;
use crate::telegram::reply::Reply;
use crate::telegram::reply::trade::TradeReply;

/// Parses a mint address or a pump.fun / dexscreener / birdeye / solscan link.
pub fn parse_mint(text: &str) -> Option<Pubkey> {
    let t = text.trim().trim_end_matches('/');
    let candidate = t.rsplit(['/', '?', '=']).find(|p| (32..=44).contains(&p.len())).unwrap_or(t);
    Pubkey::from_str(candidate).ok()
}

/// `1..=100`, with an optional `%`.
pub fn parse_percent(text: &str) -> Option<u8> {
    text.trim().trim_end_matches('%').parse::<u8>().ok().filter(|p| (1..=100).contains(p))
}

/// A position id (`#12` or `12`) or a mint.
pub fn parse_target(text: &str) -> Option<SellTarget> {
    match text.trim_start_matches('#').parse::<i64>() {
        Ok(id) if id > 0 => Some(SellTarget::Position(id)),
        _ => parse_mint(text).map(SellTarget::Mint),
    }
}

/// The trading core, or tells the user trading is not available here.
pub(super) fn trading(ctx: &Ctx) -> Option<Trading> {
    if ctx.deps.trading.is_none() {
        ctx.reply(TradeReply::Unavailable);
    }
    ctx.deps.trading.clone()
}

/// The idempotency key of this command message.
pub(super) fn command_key(ctx: &Ctx) -> IdempotencyKey {
    IdempotencyKey::command(ctx.user_id, ctx.chat, i64::from(ctx.message_id))
}

/// The idempotency key of a sell or close button: chat, message and button data (never the
/// callback id, which differs on every press), so the same button acts once.
fn button_key(ctx: &Ctx, cb: &Callback) -> IdempotencyKey {
    IdempotencyKey::from_stored(format!("u{}:btn:{}:{}:{}", ctx.user_id.0, ctx.chat, ctx.message_id, cb.data()))
}

/// `/buy <mint> <sol|5%>`.
pub async fn buy(ctx: &Ctx, arg: &str) -> HandlerResult {
    if !private_only(ctx) {
        return Ok(());
    }
    let Some(trading) = trading(ctx) else {
        return Ok(());
    };
    let words: Vec<&str> = arg.split_whitespace().collect();
    let [mint, amount] = words[..] else {
        ctx.reply(TradeReply::BuyUsage);
        return Ok(());
    };
    let Some(mint) = parse_mint(mint) else {
        ctx.reply(TradeReply::BadMint { value: mint.to_owned() });
        return Ok(());
    };
    // `0.1` / `0,1` SOL, or `5%` of the wallet's spendable SOL when the buy runs.
    let size = match super::orders::parse_share(amount) {
        Some(bps) => Some(TradeAmount::WalletShare(bps)),
        None => super::text::parse_amount(amount).map(TradeAmount::Sol),
    };
    let Some(size) = size else {
        ctx.reply(TradeReply::BadAmount { value: amount.to_owned() });
        return Ok(());
    };
    let req = manual(ctx.user_id, mint, Side::Buy, size, command_key(ctx), Some("manual"));
    start(ctx, trading, req);
    Ok(())
}

/// `/sell <mint|#id> [percent]`.
pub async fn sell(ctx: &Ctx, arg: &str) -> HandlerResult {
    if !private_only(ctx) {
        return Ok(());
    }
    let Some(trading) = trading(ctx) else {
        return Ok(());
    };
    let words: Vec<&str> = arg.split_whitespace().collect();
    let (target, pct) = match words[..] {
        [t] => (t, "100"),
        [t, p] => (t, p),
        _ => {
            ctx.reply(TradeReply::SellUsage);
            return Ok(());
        }
    };
    let Some(pct) = parse_percent(pct) else {
        ctx.reply(TradeReply::BadPercent { value: pct.to_owned() });
        return Ok(());
    };
    let Some(parsed) = parse_target(target) else {
        ctx.reply(TradeReply::NotFound { value: target.to_owned() });
        return Ok(());
    };
    close(ctx, trading, parsed, pct, command_key(ctx), target).await
}

/// `/positions close <id> [percent]`.
pub async fn close_command(ctx: &Ctx, id: &str, pct: Option<&str>) -> HandlerResult {
    let Some(trading) = trading(ctx) else {
        return Ok(());
    };
    let Some(pct) = pct.map_or(Some(100), parse_percent) else {
        ctx.reply(TradeReply::BadPercent { value: pct.unwrap_or_default().to_owned() });
        return Ok(());
    };
    let Ok(position) = id.trim_start_matches('#').parse::<i64>() else {
        ctx.reply(TradeReply::NotFound { value: id.to_owned() });
        return Ok(());
    };
    // Keyed by the command message: a redelivered update is a duplicate, a second
    // `/positions close` of the rest is a new trade.
    let shown = format!("#{position}");
    close(ctx, trading, SellTarget::Position(position), pct, command_key(ctx), &shown).await
}

/// The `#id 50%` / `#id 100%` buttons under `/positions`.
pub async fn close_button(ctx: &Ctx, cb: &Callback, position: i64, pct: u8) -> HandlerResult {
    let Some(trading) = trading(ctx) else {
        return Ok(());
    };
    ctx.answer(None);
    close(ctx, trading, SellTarget::Position(position), pct, button_key(ctx, cb), &format!("#{position}")).await
}

/// Sells `pct` % of exactly the position the target names, or says it names nothing open.
pub(super) async fn close(
    ctx: &Ctx,
    trading: Trading,
    target: SellTarget,
    pct: u8,
    key: IdempotencyKey,
    shown: &str,
) -> HandlerResult {
    close_with(ctx, trading, target, pct, key, shown, false).await
}

/// [`close`]; with `refresh_card` the token card it was pressed on is edited after the fill.
async fn close_with(
    ctx: &Ctx,
    trading: Trading,
    target: SellTarget,
    pct: u8,
    key: IdempotencyKey,
    shown: &str,
    refresh_card: bool,
) -> HandlerResult {
    let Some(positions) = ctx.deps.positions.as_ref() else {
        ctx.reply(TradeReply::Unavailable);
        return Ok(());
    };
    let Some(position) = positions.resolve(ctx.user_id, target).await? else {
        ctx.reply(TradeReply::NotFound { value: shown.to_owned() });
        // A token the user does not hold: its card, to buy it instead.
        if let SellTarget::Mint(mint) = target {
            ctx.reply(token_card(ctx, mint, false).await?);
        }
        return Ok(());
    };
    let Ok(mint) = Pubkey::from_str(&position.mint) else {
        ctx.reply(TradeReply::Internal);
        return Ok(());
    };
    let mut req = manual(ctx.user_id, mint, Side::Sell, TradeAmount::PercentOfPosition(pct), key, None);
    // The command or button names a position: the sell acts on exactly that one.
    req.position_id = Some(position.id);
    start_with(ctx, trading, req, refresh_card);
    Ok(())
}

/// A manual trade request (no alert, default exits and slippage).
pub(super) fn manual(
    user: UserId,
    mint: Pubkey,
    side: Side,
    amount: TradeAmount,
    key: IdempotencyKey,
    source: Option<&str>,
) -> TradeRequest {
    let mut req = match side {
        Side::Buy => TradeRequest::buy(user, mint, Lamports::ZERO, key),
        Side::Sell => TradeRequest::sell(user, mint, None, amount, key),
    };
    req.amount = amount;
    req.source = source.map(str::to_owned);
    debug_assert_eq!(req.origin, IntentOrigin::Manual);
    req
}

/// Runs the trade off the update handler. The trading core stores the intent first, then sends
/// the "⏳" once the risk checks pass; fills, refusals and failures are notices. Only a
/// duplicate is answered here (the core has nothing to say about it).
pub(super) fn start(ctx: &Ctx, trading: Trading, req: TradeRequest) {
    start_with(ctx, trading, req, false);
}

/// [`start`]; with `refresh_card`, a fill also edits the token card the button was pressed on
/// (new holding, sell buttons).
fn start_with(ctx: &Ctx, trading: Trading, req: TradeRequest, refresh_card: bool) {
    let ctx = ctx.clone();
    let mint = req.mint;
    tokio::spawn(async move {
        match trading.execute(req).await {
            Ok(TradeOutcome::Duplicate { state, .. }) => {
                ctx.reply(TradeReply::Duplicate { state: state.code().to_owned() });
            }
            Ok(TradeOutcome::Filled { .. }) if refresh_card => match token_card(&ctx, mint, false).await {
                Ok(card) => ctx.edit(card),
                Err(e) => tracing::warn!(update_id = ctx.update_id, error.message = %e, "card not refreshed"),
            },
            Ok(_) => {}
            Err(e) => {
                ctx.deps.metrics.error("handler");
                tracing::error!(update_id = ctx.update_id, error.message = %e, "trade execution failed on storage");
                ctx.reply(Reply::Apology);
            }
        }
    });
}

/// The token card of `mint` (HTML), or why there is none.
pub(super) async fn token_card(ctx: &Ctx, mint: Pubkey, refresh: bool) -> Result<Reply, crate::ports::RepoError> {
    let Some(positions) = ctx.deps.positions.as_ref() else {
        return Ok(TradeReply::Unavailable.into());
    };
    let card = positions.card(ctx.user_id, mint, refresh).await?;
    Ok(match card.quote {
        Ok(q) => {
            // Presets the user's max position would refuse are not offered; the card says why.
            let max_position = positions.config(ctx.user_id).await?.max_position;
            let (presets, capped) = crate::telegram::reply::card::offered_presets(&card.presets, max_position);
            let view = crate::telegram::reply::card::CardView {
                mint,
                quote: q,
                holding: card.holding,
                presets,
                capped,
                safety: card.safety,
                sol_usd: ctx.deps.usd.sol_usd().await,
            };
            crate::telegram::reply::home::UxReply::Card(Box::new(view)).into()
        }
        Err(code) => TradeReply::CardUnavailable {
            mint: mint.to_string(),
            reason: crate::telegram::reply::reason_text(ctx.lang, &code.code()),
        }
        .into(),
    })
}

/// Token-card buttons. Buy buttons only accept the user's configured presets (forged amounts are
/// refused); sells sell the open position in the mint.
pub async fn card_button(ctx: &Ctx, cb: &Callback) -> HandlerResult {
    let Some(trading) = trading(ctx) else {
        ctx.answer(Some(Reply::StaleButton));
        return Ok(());
    };
    match *cb {
        Callback::CardBuy { mint, lamports } => {
            // One intent per press: the trading core's double-tap guard turns a burst of presses
            // into one buy, and a deliberate second buy after its window goes through.
            let key = IdempotencyKey::from_stored(format!(
                "u{}:cb:{}",
                ctx.user_id.0,
                ctx.query.as_deref().unwrap_or_default()
            ));
            let presets = match ctx.deps.positions.as_ref() {
                Some(p) => p.config(ctx.user_id).await?.buy_presets,
                None => Vec::new(),
            };
            if !presets.contains(&Lamports(lamports)) {
                ctx.answer(Some(Reply::StaleButton));
                return Ok(());
            }
            ctx.answer(None);
            let req = manual(ctx.user_id, mint, Side::Buy, TradeAmount::Sol(Lamports(lamports)), key, Some("card"));
            start_with(ctx, trading, req, true);
        }
        Callback::CardSell { mint, pct } => {
            ctx.answer(None);
            let key = button_key(ctx, cb);
            return close_with(ctx, trading, SellTarget::Mint(mint), pct, key, &mint.to_string(), true).await;
        }
        Callback::CardCustom(mint) => {
            ctx.answer(None);
            // Stored before the prompt is shown: the next typed message is the amount.
            ctx.deps.prompts.ask(ctx.user_id, crate::app::home::PromptKind::BuyAmount(mint)).await?;
            ctx.prompt(crate::telegram::reply::home::UxReply::PromptBuy { mint: mint.to_string() });
        }
        Callback::CardRefresh(mint) => {
            ctx.answer(None);
            let card = token_card(ctx, mint, true).await?;
            ctx.edit(card);
        }
        Callback::CardOpen(mint) => {
            ctx.answer(None);
            let card = token_card(ctx, mint, true).await?;
            ctx.reply(card);
        }
        Callback::SafetyDetails(mint) => {
            ctx.answer(None);
            let safety = match ctx.deps.positions.as_ref() {
                Some(p) => p.safety(mint, false).await,
                None => None,
            };
            ctx.reply(TradeReply::SafetyDetails { mint: mint.to_string(), safety });
        }
        _ => ctx.answer(Some(Reply::StaleButton)),
    }
    Ok(())
}
