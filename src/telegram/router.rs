//! The routing table: every update is matched here once (commands, admin commands, unknown
//! commands, pasted tokens, group and channel posts, buttons), its [`Ctx`] is built and injected
//! by dptree, and it is handed to one endpoint.
//!
//! Chats: in a group only `/start` and `/help` run (they show nothing private); every other
//! command is refused and changes nothing (no registration, no stored chat, no setting). A
//! button acts only for the presser, on a message in their own private chat.
//!
//! Errors: an endpoint error is counted in `/metrics` (`errors{component="handler"}`), logged
//! with the update id, and answered with a short localized apology. Nothing reaches the
//! dispatcher's error handler.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;

use super::callback::Callback;
use super::command::{AdminCommand, Command};
use super::ctx::{Ctx, HandlerError, HandlerResult, Origin, user_key};
use super::deps::BotDeps;
use super::endpoints::{admin, alerts, copy, home, livetrade, orders, positions, start, text, trading, wallet};
use super::reply::Reply;

/// The sender's user row could not be read or written (storage down).
#[derive(Debug, thiserror::Error)]
#[error("the sender could not be loaded")]
struct SenderUnavailable;

/// The dispatcher's handler tree.
pub fn schema() -> UpdateHandler<HandlerError> {
    let messages = Update::filter_message()
        .branch(dptree::entry().filter_command::<Command>().filter_map_async(message_ctx).endpoint(on_command))
        .branch(dptree::entry().filter_command::<AdminCommand>().filter_map_async(message_ctx).endpoint(on_admin))
        .branch(
            dptree::filter(|msg: Message| msg.text().is_some_and(|t| t.starts_with('/')))
                .filter_map_async(message_ctx)
                .endpoint(on_unknown),
        )
        .branch(
            dptree::filter(|msg: Message| msg.chat.is_private() && msg.text().is_some())
                .filter_map_async(message_ctx)
                .endpoint(on_text),
        )
        .branch(dptree::filter(|msg: Message| alerts::is_group_post(&msg)).endpoint(alerts::group_post));
    let buttons = Update::filter_callback_query().filter_map_async(button_ctx).endpoint(on_button);
    // Channel posts must be registered or Telegram never sends them; edited posts are not.
    let channel_posts = Update::filter_channel_post().endpoint(alerts::channel_post);
    dptree::entry().branch(messages).branch(buttons).branch(channel_posts)
}

/// The context of a message from a human sender (`None` for anonymous senders).
async fn message_ctx(update: Update, msg: Message, deps: Arc<BotDeps>) -> Option<Ctx> {
    let from = msg.from.as_ref()?;
    let origin = Origin {
        update_id: update.id.0,
        chat: msg.chat.id.0,
        private: msg.chat.is_private() && msg.chat.id.0 == user_key(from.id),
        message_id: msg.id.0,
        query: None,
        button: None,
    };
    Some(build(deps, from, origin).await)
}

/// The context of a button press. The data is parsed once here; a press on a message outside
/// the presser's own private chat, or with unknown data, gets a context without a button (the
/// press is answered as stale and nothing is stored).
async fn button_ctx(update: Update, q: CallbackQuery, deps: Arc<BotDeps>) -> Option<Ctx> {
    let (chat, message_id, private) =
        q.regular_message().map_or((user_key(q.from.id), 0, false), |m| (m.chat.id.0, m.id.0, m.chat.is_private()));
    let own = private && chat == user_key(q.from.id);
    let button = q.data.as_deref().and_then(Callback::parse).filter(|_| own);
    let origin = Origin { update_id: update.id.0, chat, private: own, message_id, query: Some(q.id.0.clone()), button };
    if origin.button.is_none() {
        return Some(Ctx::degraded(deps, &q.from, origin));
    }
    Some(build(deps, &q.from, origin).await)
}

async fn build(deps: Arc<BotDeps>, from: &teloxide::types::User, origin: Origin) -> Ctx {
    let update_id = origin.update_id;
    match Ctx::build(deps.clone(), from, origin.clone()).await {
        Ok(ctx) => ctx,
        Err(e) => {
            deps.metrics.error("storage");
            tracing::error!(update_id, error.message = %e, error.cause_chain = ?e, "cannot load the sender");
            Ctx::degraded(deps, from, origin)
        }
    }
}

/// Runs an endpoint: counts the update, times it, and turns any error into an apology.
async fn run(ctx: &Ctx, kind: &str, name: &str, endpoint: impl Future<Output = HandlerResult>) -> HandlerResult {
    let metrics = &ctx.deps.metrics;
    metrics.update(kind);
    let started = Instant::now();
    let result = if ctx.degraded { Err(Box::new(SenderUnavailable) as HandlerError) } else { endpoint.await };
    metrics.command_latency(name, started.elapsed().as_secs_f64());
    if let Err(e) = result {
        metrics.error("handler");
        tracing::error!(update_id = ctx.update_id, handler = name, error.message = %e, "handler failed");
        match ctx.query {
            Some(_) => ctx.answer(Some(Reply::Apology)),
            None => ctx.reply(Reply::Apology),
        }
    }
    // Every button press is answered, also when the endpoint had nothing to say.
    ctx.answer(None);
    Ok(())
}

async fn on_command(ctx: Ctx, msg: Message, cmd: Command) -> HandlerResult {
    let name = cmd.name();
    run(&ctx, "message", name, async {
        // `/wallet` refuses groups itself (after deleting an `/wallet import` that holds a key).
        if !ctx.private && !cmd.allowed_in_groups() && !matches!(cmd, Command::Wallet(_)) {
            ctx.reply(Reply::PrivateOnly);
            return Ok(());
        }
        let first_name = msg.from.as_ref().map(|f| f.first_name.clone()).unwrap_or_default();
        match cmd {
            Command::Start => home::start(&ctx, &first_name).await,
            Command::Help => start::help(&ctx).await,
            Command::Language(arg) => start::language(&ctx, &arg).await,
            Command::Livetrade(arg) => livetrade::command(&ctx, &arg).await,
            Command::Wallet(arg) => wallet::command(&ctx, &arg).await,
            Command::Buy(arg) => trading::buy(&ctx, &arg).await,
            Command::Sell(arg) => trading::sell(&ctx, &arg).await,
            Command::Positions(arg) => positions::command(&ctx, &arg).await,
            Command::Alerts(arg) => alerts::command(&ctx, &arg).await,
            Command::Copy(arg) => copy::command(&ctx, &arg).await,
            Command::Limit(arg) => orders::limit(&ctx, &arg).await,
            Command::Dca(arg) => orders::dca(&ctx, &arg).await,
            Command::Orders(arg) => orders::list(&ctx, &arg).await,
            Command::Exits(arg) => orders::exits(&ctx, &arg).await,
            Command::Panic => orders::panic(&ctx).await,
        }
    })
    .await
}

async fn on_admin(ctx: Ctx, msg: Message, cmd: AdminCommand) -> HandlerResult {
    let name = cmd.name();
    run(&ctx, "message", name, admin::command(&ctx, &msg, cmd)).await
}

async fn on_unknown(ctx: Ctx, msg: Message) -> HandlerResult {
    let text = msg.text().unwrap_or_default().to_owned();
    run(&ctx, "message", "unknown", home::unknown(&ctx, &text)).await
}

async fn on_text(ctx: Ctx, msg: Message) -> HandlerResult {
    let body = msg.text().unwrap_or_default().to_owned();
    run(&ctx, "message", "text", text::message(&ctx, &body)).await
}

async fn on_button(ctx: Ctx) -> HandlerResult {
    let Some(cb) = ctx.button.clone() else {
        ctx.deps.metrics.update("callback_query");
        ctx.answer(Some(Reply::StaleButton));
        return Ok(());
    };
    run(&ctx, "callback_query", cb.name(), async {
        match cb {
            Callback::Language(lang) => start::language_button(&ctx, lang).await,
            Callback::SetEnabled(on) => livetrade::set_enabled(&ctx, on).await,
            Callback::ConfigMenu => livetrade::menu(&ctx).await,
            Callback::ConfigKey(key) => livetrade::pick(&ctx, key).await,
            Callback::ConfigSet(key, ref value) => livetrade::set(&ctx, key, value.clone()).await,
            Callback::WalletConfirm(ref nonce) => wallet::button(&ctx, nonce, true).await,
            Callback::WalletCancel(ref nonce) => wallet::button(&ctx, nonce, false).await,
            Callback::ClosePosition { position, pct } => trading::close_button(&ctx, &cb, position, pct).await,
            Callback::HistoryPage(page) => positions::history(&ctx, page).await,
            Callback::Chart => positions::chart(&ctx).await,
            Callback::PnlCard(id) => positions::pnl_card(&ctx, &cb, id).await,
            Callback::CardBuy { .. }
            | Callback::CardSell { .. }
            | Callback::CardCustom(_)
            | Callback::CardRefresh(_)
            | Callback::CardOpen(_)
            | Callback::SafetyDetails(_) => trading::card_button(&ctx, &cb).await,
            Callback::BroadcastConfirm(_) | Callback::BroadcastCancel(_) | Callback::BroadcastStop(_) => {
                admin::broadcast_button(&ctx, &cb).await
            }
            Callback::AlertBuy(id) => alerts::button(&ctx, id, true).await,
            Callback::AlertSkip(id) => alerts::button(&ctx, id, false).await,
            Callback::Home
            | Callback::Menu(_)
            | Callback::GoLive
            | Callback::GoLiveConfirm
            | Callback::GoPaper
            | Callback::Toggle(..)
            | Callback::Ask(_)
            | Callback::PromptCancel
            | Callback::WalletNew(_)
            | Callback::WalletMenu(_)
            | Callback::WalletAction(..)
            | Callback::ViewPosition(_) => home::button(&ctx, &cb).await,
            Callback::OrderCancel(id) => orders::cancel_button(&ctx, id).await,
            Callback::Panic(confirm) => orders::panic_button(&ctx, confirm).await,
            Callback::ExitsBreakEven(id) => orders::exits_button(&ctx, id, true).await,
            Callback::ExitsOff(id) => orders::exits_button(&ctx, id, false).await,
        }
    })
    .await
}
