//! `/buy`, `/sell` and `/positions`: translate, call the trading core, reply. Trade results
//! arrive through the notifier; these endpoints acknowledge and report refusals of the input.

use std::str::FromStr;
use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{ChatId, InlineKeyboardButton, InlineKeyboardMarkup};

use super::trade_reply::{TradeReply, position_line};
use super::{BotDeps, HandlerResult};
use crate::app::trade::{TradeAmount, TradeOutcome, TradeRequest, Trading};
use crate::domain::intent::{IdempotencyKey, IntentOrigin};
use crate::domain::lang::Lang;
use crate::domain::money::Lamports;
use crate::domain::position::Side;
use crate::domain::user::UserId;
use crate::ports::{PositionRecord, QuoteRequest};

/// History page size.
pub const HISTORY_PAGE: u32 = 10;

/// Which trading command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradingCommand {
    /// `/buy <mint> <sol>`
    Buy,
    /// `/sell <mint|position id> <percent>`
    Sell,
    /// `/positions [close <id> [percent] | history [page]]`
    Positions,
}

async fn reply(bot: &Bot, chat: ChatId, lang: Lang, r: &TradeReply) -> HandlerResult {
    let mut req = bot.send_message(chat, r.text(lang));
    if let Some(kb) = r.keyboard(lang) {
        req = req.reply_markup(kb);
    }
    req.await?;
    Ok(())
}

/// Parses a mint address or a pump.fun / dexscreener / birdeye / solscan link.
pub fn parse_mint(text: &str) -> Option<solana_pubkey::Pubkey> {
    let t = text.trim().trim_end_matches('/');
    let candidate = t.rsplit(['/', '?', '=']).find(|p| (32..=44).contains(&p.len())).unwrap_or(t);
    solana_pubkey::Pubkey::from_str(candidate).ok()
}

/// Entry point for the three commands (private chats only; the caller registered the user).
pub(super) async fn command(
    bot: &Bot,
    msg: &Message,
    user: UserId,
    lang: Lang,
    which: TradingCommand,
    arg: &str,
    deps: &BotDeps,
) -> HandlerResult {
    let chat = msg.chat.id;
    if !msg.chat.is_private() {
        return reply(bot, chat, lang, &TradeReply::PrivateOnly).await;
    }
    let Some(trading) = deps.trading.clone() else {
        return reply(bot, chat, lang, &TradeReply::Unavailable).await;
    };
    let words: Vec<&str> = arg.split_whitespace().collect();
    let key = IdempotencyKey::command(user, chat.0, i64::from(msg.id.0));
    match which {
        TradingCommand::Buy => buy(bot, chat, lang, user, key, &words, trading).await,
        TradingCommand::Sell => sell(bot, chat, lang, user, key, &words, trading).await,
        TradingCommand::Positions => positions(bot, chat, lang, user, key, &words, trading).await,
    }
}

async fn buy(
    bot: &Bot,
    chat: ChatId,
    lang: Lang,
    user: UserId,
    key: IdempotencyKey,
    words: &[&str],
    trading: Trading,
) -> HandlerResult {
    let [mint, amount] = words else {
        return reply(bot, chat, lang, &TradeReply::BuyUsage).await;
    };
    let Some(mint) = parse_mint(mint) else {
        return reply(bot, chat, lang, &TradeReply::BadMint { value: (*mint).to_owned() }).await;
    };
    let sol = match Lamports::parse_sol(amount) {
        Ok(l) if l.0 > 0 => l,
        _ => return reply(bot, chat, lang, &TradeReply::BadAmount { value: (*amount).to_owned() }).await,
    };
    start(bot, chat, lang, trading, manual(user, mint, Side::Buy, TradeAmount::Sol(sol), key, Some("manual"))).await
}

#[allow(clippy::too_many_arguments)]
async fn sell(
    bot: &Bot,
    chat: ChatId,
    lang: Lang,
    user: UserId,
    key: IdempotencyKey,
    words: &[&str],
    trading: Trading,
) -> HandlerResult {
    let (target, pct) = match words {
        [t] => (*t, "100"),
        [t, p] => (*t, *p),
        _ => return reply(bot, chat, lang, &TradeReply::SellUsage).await,
    };
    let Some(pct) = parse_percent(pct) else {
        return reply(bot, chat, lang, &TradeReply::BadPercent { value: pct.to_owned() }).await;
    };
    let (mint, position) = match resolve_target(&trading, user, target).await {
        Ok(Some(m)) => m,
        Ok(None) => return reply(bot, chat, lang, &TradeReply::NotFound { value: target.to_owned() }).await,
        Err(()) => return reply(bot, chat, lang, &TradeReply::Internal).await,
    };
    let mut req = manual(user, mint, Side::Sell, TradeAmount::PercentOfPosition(pct), key, None);
    req.position_id = position;
    start(bot, chat, lang, trading, req).await
}

/// `1..=100`, with an optional `%`.
pub fn parse_percent(text: &str) -> Option<u8> {
    text.trim().trim_end_matches('%').parse::<u8>().ok().filter(|p| (1..=100).contains(p))
}

/// A position id (`#12` or `12`: exactly that position) or a mint with an open position.
async fn resolve_target(
    trading: &Trading,
    user: UserId,
    target: &str,
) -> Result<Option<(solana_pubkey::Pubkey, Option<i64>)>, ()> {
    let positions = &trading.ports().positions;
    if let Ok(id) = target.trim_start_matches('#').parse::<i64>() {
        let p = positions.position(user, id).await.map_err(|_| ())?;
        return Ok(p
            .filter(|p| p.is_open)
            .and_then(|p| solana_pubkey::Pubkey::from_str(&p.mint).ok().map(|m| (m, Some(p.id)))));
    }
    let Some(mint) = parse_mint(target) else {
        return Ok(None);
    };
    let open = positions.open_position_in(user, &mint.to_string()).await.map_err(|_| ())?;
    Ok(open.map(|p| (mint, Some(p.id))))
}

/// A manual trade request (no alert, default exits and slippage).
fn manual(
    user: UserId,
    mint: solana_pubkey::Pubkey,
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

/// Acknowledges the order ("buying…" / "selling…") and runs it off the update handler.
async fn start(bot: &Bot, chat: ChatId, lang: Lang, trading: Trading, req: TradeRequest) -> HandlerResult {
    reply(bot, chat, lang, &TradeReply::Working { side: req.side, mint: req.mint.to_string() }).await?;
    spawn_trade(bot.clone(), chat, lang, trading, req);
    Ok(())
}

/// Runs a trade off the update handler; the notifier reports fills and failures. Only
/// duplicates are answered here (the notifier has nothing to say about them).
pub(super) fn spawn_trade(bot: Bot, chat: ChatId, lang: Lang, trading: Trading, req: TradeRequest) {
    tokio::spawn(async move {
        match trading.execute(req).await {
            Ok(TradeOutcome::Duplicate { state, .. }) => {
                let _ = reply(&bot, chat, lang, &TradeReply::Duplicate { state: state.code().to_owned() }).await;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error.message = %e, "trade execution failed on storage");
                let _ = reply(&bot, chat, lang, &TradeReply::Internal).await;
            }
        }
    });
}

#[allow(clippy::too_many_arguments)]
async fn positions(
    bot: &Bot,
    chat: ChatId,
    lang: Lang,
    user: UserId,
    key: IdempotencyKey,
    words: &[&str],
    trading: Trading,
) -> HandlerResult {
    match words {
        [] | ["list"] => list(bot, chat, lang, user, &trading).await,
        ["history"] => history(bot, chat, lang, user, &trading, 1).await,
        ["chart"] => chart(bot, chat, lang, user, &trading).await,
        ["history", page] => match page.parse::<u32>() {
            Ok(p) if p >= 1 => history(bot, chat, lang, user, &trading, p).await,
            _ => reply(bot, chat, lang, &TradeReply::PositionsUsage).await,
        },
        ["close", id] | ["close", id, _] => {
            let pct = words.get(2).map_or(Some(100), |p| parse_percent(p));
            let Some(pct) = pct else {
                return reply(bot, chat, lang, &TradeReply::BadPercent { value: words[2].to_owned() }).await;
            };
            let Ok(id) = id.trim_start_matches('#').parse::<i64>() else {
                return reply(bot, chat, lang, &TradeReply::NotFound { value: (*id).to_owned() }).await;
            };
            // Keyed by the command message: a redelivered update is a duplicate, a second
            // `/positions close` of the rest is a new trade.
            close(bot, chat, lang, user, &trading, id, pct, key.as_str().to_owned()).await
        }
        _ => reply(bot, chat, lang, &TradeReply::PositionsUsage).await,
    }
}

/// Closes `pct` % of position `id` (also used by the close buttons).
#[allow(clippy::too_many_arguments)]
pub(super) async fn close(
    bot: &Bot,
    chat: ChatId,
    lang: Lang,
    user: UserId,
    trading: &Trading,
    id: i64,
    pct: u8,
    key: String,
) -> HandlerResult {
    let position = match trading.ports().positions.position(user, id).await {
        Ok(Some(p)) if p.is_open => p,
        Ok(_) => return reply(bot, chat, lang, &TradeReply::NotFound { value: format!("#{id}") }).await,
        Err(_) => return reply(bot, chat, lang, &TradeReply::Internal).await,
    };
    let Ok(mint) = solana_pubkey::Pubkey::from_str(&position.mint) else {
        return reply(bot, chat, lang, &TradeReply::Internal).await;
    };
    let key = IdempotencyKey::from_stored(key);
    let mut req = manual(user, mint, Side::Sell, TradeAmount::PercentOfPosition(pct), key, None);
    // The button or command names a position: the sell acts on exactly that one.
    req.position_id = Some(position.id);
    start(bot, chat, lang, trading.clone(), req).await
}

/// Current value of a position from a sell quote (lamports), if a venue can quote it.
async fn value_of(trading: &Trading, p: &PositionRecord) -> Option<Lamports> {
    let mint = solana_pubkey::Pubkey::from_str(&p.mint).ok()?;
    let req = QuoteRequest { mint, side: Side::Sell, amount_in: p.book.tokens, slippage: crate::domain::money::Bps(0) };
    let quote = trading.ports().swapper.quote(&req).await.ok()?;
    Some(Lamports(quote.expected_out))
}

async fn list(bot: &Bot, chat: ChatId, lang: Lang, user: UserId, trading: &Trading) -> HandlerResult {
    let open = match trading.ports().positions.open_positions(user).await {
        Ok(v) => v,
        Err(_) => return reply(bot, chat, lang, &TradeReply::Internal).await,
    };
    if open.is_empty() {
        return reply(bot, chat, lang, &TradeReply::NoPositions).await;
    }
    let mut lines = Vec::new();
    let mut rows = Vec::new();
    for p in &open {
        let value = value_of(trading, p).await;
        lines.push(position_line(lang, p, value));
        rows.push(vec![
            InlineKeyboardButton::callback(format!("#{} 50%", p.id), format!("pos:close:{}:50", p.id)),
            InlineKeyboardButton::callback(format!("#{} 100%", p.id), format!("pos:close:{}:100", p.id)),
        ]);
    }
    rows.push(vec![chart_button(lang)]);
    let text = TradeReply::PositionsList { lines }.text(lang);
    bot.send_message(chat, text).reply_markup(InlineKeyboardMarkup::new(rows)).await?;
    Ok(())
}

async fn history(bot: &Bot, chat: ChatId, lang: Lang, user: UserId, trading: &Trading, page: u32) -> HandlerResult {
    let offset = (page - 1).saturating_mul(HISTORY_PAGE);
    let rows = match trading.ports().positions.trade_history(user, offset, HISTORY_PAGE + 1).await {
        Ok(v) => v,
        Err(_) => return reply(bot, chat, lang, &TradeReply::Internal).await,
    };
    let has_next = rows.len() > HISTORY_PAGE as usize;
    let rows: Vec<_> = rows.into_iter().take(HISTORY_PAGE as usize).collect();
    reply(bot, chat, lang, &TradeReply::History { rows, page, has_next }).await
}

/// The "📈 Chart" button under `/positions`.
pub(super) fn chart_button(lang: Lang) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(crate::i18n::tr(lang, "button.chart", &[]), "pos:chart")
}

/// `/positions chart` and the chart button: a PNG of cumulative realized PnL over time, with the
/// numbers in a localized caption; without realized trades a localized "no trades yet".
async fn chart(bot: &Bot, chat: ChatId, lang: Lang, user: UserId, trading: &Trading) -> HandlerResult {
    let trades = match trading.ports().positions.realized_trades(user).await {
        Ok(v) => v,
        Err(_) => return reply(bot, chat, lang, &TradeReply::Internal).await,
    };
    let stats = crate::domain::stats::compute(&trades);
    let to_ms = trades.iter().map(|t| t.closed_at_ms).max().unwrap_or_default();
    let from_ms = trades.iter().map(|t| t.opened_at_ms.min(t.closed_at_ms)).min().unwrap_or_default();
    let rendered = tokio::task::spawn_blocking(move || super::chart::equity_png(&trades)).await;
    let png = match rendered {
        Ok(Ok(png)) => png,
        Ok(Err(super::chart::ChartError::Empty)) => return reply(bot, chat, lang, &TradeReply::NoTrades).await,
        Ok(Err(e)) => {
            tracing::error!(error.message = %e, "equity chart failed");
            return reply(bot, chat, lang, &TradeReply::Internal).await;
        }
        Err(e) => {
            tracing::error!(error.message = %e, "equity chart task failed");
            return reply(bot, chat, lang, &TradeReply::Internal).await;
        }
    };
    let caption = TradeReply::ChartCaption {
        trades: stats.trades,
        total_pnl: stats.total_pnl,
        max_drawdown: stats.max_drawdown,
        from_ms,
        to_ms,
    };
    let photo = teloxide::types::InputFile::memory(png).file_name("equity.png");
    bot.send_photo(chat, photo).caption(caption.text(lang)).await?;
    Ok(())
}

/// Handles `pos:close:<id>:<pct>`, `pos:hist:<page>` and `pos:chart` buttons. Acts only for the presser, on
/// their own positions; a close is keyed by the message and the button, so pressing the same
/// button again (or a redelivered press) is the same action.
pub(super) async fn callback(bot: Bot, q: CallbackQuery, deps: Arc<BotDeps>) -> HandlerResult {
    let lang = Lang::from_telegram(q.from.language_code.as_deref());
    let user = UserId(super::user_key(q.from.id));
    let chat = q.regular_message().map(|m| (m.chat.id, m.chat.is_private()));
    let message_id = q.regular_message().map_or(0, |m| m.id.0);
    let data = q.data.clone().unwrap_or_default();
    let parts: Vec<&str> = data.split(':').collect();
    let (Some((chat, true)), Some(trading)) = (chat, deps.trading.clone()) else {
        bot.answer_callback_query(q.id.clone()).text(TradeReply::StaleButton.text(lang)).await?;
        return Ok(());
    };
    if chat.0 != user.0 {
        bot.answer_callback_query(q.id.clone()).text(TradeReply::StaleButton.text(lang)).await?;
        return Ok(());
    }
    let lang = deps.users.get(user).await.ok().flatten().map_or(lang, |u| u.lang);
    bot.answer_callback_query(q.id.clone()).await?;
    match parts.as_slice() {
        ["pos", "close", id, pct] => {
            let (Ok(id), Some(pct)) = (id.parse::<i64>(), parse_percent(pct)) else {
                return Ok(());
            };
            let key = format!("u{}:btn:{}:{message_id}:{data}", user.0, chat.0);
            close(&bot, chat, lang, user, &trading, id, pct, key).await
        }
        ["pos", "hist", page] => match page.parse::<u32>() {
            Ok(p) if p >= 1 => history(&bot, chat, lang, user, &trading, p).await,
            _ => Ok(()),
        },
        ["pos", "chart"] => chart(&bot, chat, lang, user, &trading).await,
        _ => Ok(()),
    }
}

/// A private text message that is a bare mint address or a pump.fun / dexscreener / birdeye /
/// solscan link: answer with a token card.
pub(super) fn is_token_paste(msg: &Message) -> bool {
    msg.chat.is_private()
        && msg.text().is_some_and(|t| {
            let t = t.trim();
            !t.starts_with('/') && !t.contains(char::is_whitespace) && parse_mint(t).is_some()
        })
}

/// Sends (or, with `edit`, refreshes) the token card for `mint`.
pub(super) async fn token_card(
    bot: &Bot,
    chat: ChatId,
    lang: Lang,
    user: UserId,
    mint: solana_pubkey::Pubkey,
    trading: &Trading,
    edit: Option<teloxide::types::MessageId>,
) -> HandlerResult {
    let ports = trading.ports();
    let config = ports.users.config(user).await.unwrap_or_default();
    let probe = config.buy_presets.first().copied().unwrap_or(Lamports(100_000_000));
    let req = QuoteRequest { mint, side: Side::Buy, amount_in: probe.0, slippage: config.slippage };
    let quote = ports.swapper.quote(&req).await;
    let holding = ports.positions.open_position_in(user, &mint.to_string()).await.ok().flatten();
    let (text, kb) = match quote {
        Ok(q) => {
            let card = TradeReply::Card { mint: mint.to_string(), quote: Box::new(q), holding: holding.clone() };
            (card.text(lang), Some(card_keyboard(lang, &mint, &config.buy_presets, holding.is_some())))
        }
        Err(e) => {
            let reason = super::trade_reply::reason_text(lang, &crate::app::trade::venue_failure(&e).code());
            (TradeReply::CardUnavailable { mint: mint.to_string(), reason }.text(lang), None)
        }
    };
    match edit {
        Some(id) => {
            let mut r = bot.edit_message_text(chat, id, text);
            if let Some(kb) = kb {
                r = r.reply_markup(kb);
            }
            match r.await {
                Ok(_) | Err(teloxide::RequestError::Api(teloxide::ApiError::MessageNotModified)) => Ok(()),
                Err(e) => Err(e.into()),
            }
        }
        None => {
            let mut r = bot.send_message(chat, text);
            if let Some(kb) = kb {
                r = r.reply_markup(kb);
            }
            r.await?;
            Ok(())
        }
    }
}

fn card_keyboard(
    lang: Lang,
    mint: &solana_pubkey::Pubkey,
    presets: &[Lamports],
    holding: bool,
) -> InlineKeyboardMarkup {
    let buys: Vec<InlineKeyboardButton> = presets
        .iter()
        .map(|l| {
            let label = crate::i18n::tr(lang, "button.buy_amount", &[("sol", &l.to_sol().normalize().to_string())]);
            InlineKeyboardButton::callback(label, format!("tc:b:{mint}:{}", l.0))
        })
        .collect();
    let mut rows: Vec<Vec<InlineKeyboardButton>> = buys.chunks(3).map(<[InlineKeyboardButton]>::to_vec).collect();
    rows.push(vec![InlineKeyboardButton::callback(
        crate::i18n::tr(lang, "button.buy_custom", &[]),
        format!("tc:c:{mint}"),
    )]);
    if holding {
        rows.push(
            [25u8, 50, 100]
                .iter()
                .map(|p| {
                    let label = crate::i18n::tr(lang, "button.sell_pct", &[("pct", &p.to_string())]);
                    InlineKeyboardButton::callback(label, format!("tc:s:{mint}:{p}"))
                })
                .collect(),
        );
    }
    rows.push(vec![InlineKeyboardButton::callback(
        crate::i18n::tr(lang, "button.refresh", &[]),
        format!("tc:r:{mint}"),
    )]);
    InlineKeyboardMarkup::new(rows)
}

/// Entry point for pasted token addresses and links.
pub(super) async fn paste(bot: Bot, msg: Message, deps: Arc<BotDeps>) -> HandlerResult {
    deps.metrics.update("message");
    let Some(from) = msg.from.as_ref() else {
        return Ok(());
    };
    let lang = match super::commands::register(&deps, from, msg.chat.id).await {
        Ok((u, _)) => u.lang,
        Err(_) => Lang::from_telegram(from.language_code.as_deref()),
    };
    let Some(trading) = deps.trading.clone() else {
        return reply(&bot, msg.chat.id, lang, &TradeReply::Unavailable).await;
    };
    let Some(mint) = msg.text().and_then(parse_mint) else {
        return Ok(());
    };
    let user = UserId(super::user_key(from.id));
    token_card(&bot, msg.chat.id, lang, user, mint, &trading, None).await
}

/// Token card buttons: `tc:b:<mint>:<lamports>`, `tc:s:<mint>:<pct>`, `tc:c:<mint>`, `tc:r:<mint>`.
/// Buy buttons only accept the user's configured presets (forged amounts are refused).
pub(super) async fn card_callback(bot: Bot, q: CallbackQuery, deps: Arc<BotDeps>) -> HandlerResult {
    let lang = Lang::from_telegram(q.from.language_code.as_deref());
    let user = UserId(super::user_key(q.from.id));
    let target = q.regular_message().map(|m| (m.chat.id, m.id, m.chat.is_private()));
    let data = q.data.clone().unwrap_or_default();
    let parts: Vec<&str> = data.split(':').collect();
    let mint = parts.get(2).and_then(|m| solana_pubkey::Pubkey::from_str(m).ok());
    let (Some((chat, message_id, true)), Some(trading), Some(mint)) = (target, deps.trading.clone(), mint) else {
        bot.answer_callback_query(q.id.clone()).text(TradeReply::StaleButton.text(lang)).await?;
        return Ok(());
    };
    if chat.0 != user.0 {
        bot.answer_callback_query(q.id.clone()).text(TradeReply::StaleButton.text(lang)).await?;
        return Ok(());
    }
    let lang = deps.users.get(user).await.ok().flatten().map_or(lang, |u| u.lang);
    let config = trading.ports().users.config(user).await.unwrap_or_default();
    // Buys: one intent per press, with the double-tap guard turning a burst of presses into one
    // buy (a deliberate second buy after the window goes through). Sells: keyed by the message
    // and the button, so the same sell button acts once.
    let buy_key = IdempotencyKey::from_stored(format!("u{}:cb:{}", user.0, q.id));
    let sell_key = IdempotencyKey::from_stored(format!("u{}:btn:{}:{}:{data}", user.0, chat.0, message_id.0));
    let trade = |side: Side, amount: TradeAmount| {
        let key = if side == Side::Buy { buy_key.clone() } else { sell_key.clone() };
        manual(user, mint, side, amount, key, Some("card"))
    };
    match parts.as_slice() {
        ["tc", "b", _, lamports] => {
            let amount = lamports.parse::<u64>().ok().map(Lamports).filter(|l| config.buy_presets.contains(l));
            let Some(amount) = amount else {
                bot.answer_callback_query(q.id.clone()).text(TradeReply::StaleButton.text(lang)).await?;
                return Ok(());
            };
            bot.answer_callback_query(q.id.clone()).await?;
            start(&bot, chat, lang, trading, trade(Side::Buy, TradeAmount::Sol(amount))).await
        }
        ["tc", "s", _, pct] => {
            let Some(pct) = parse_percent(pct).filter(|p| [25, 50, 100].contains(p)) else {
                bot.answer_callback_query(q.id.clone()).text(TradeReply::StaleButton.text(lang)).await?;
                return Ok(());
            };
            bot.answer_callback_query(q.id.clone()).await?;
            start(&bot, chat, lang, trading, trade(Side::Sell, TradeAmount::PercentOfPosition(pct))).await
        }
        ["tc", "c", _] => {
            bot.answer_callback_query(q.id.clone()).await?;
            reply(&bot, chat, lang, &TradeReply::CustomAmount { mint: mint.to_string() }).await
        }
        ["tc", "r", _] => {
            bot.answer_callback_query(q.id.clone()).await?;
            token_card(&bot, chat, lang, user, mint, &trading, Some(message_id)).await
        }
        _ => {
            bot.answer_callback_query(q.id.clone()).text(TradeReply::StaleButton.text(lang)).await?;
            Ok(())
        }
    }
}
