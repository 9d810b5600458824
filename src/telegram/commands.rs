//! Command endpoints: parse arguments, call the use-case, send a [`Reply`].

use std::sync::Arc;
use std::time::Instant;

use teloxide::prelude::*;
use teloxide::types::ChatId;

use super::{BotDeps, Command, HandlerResult, Reply, user_key};
use crate::app::livetrade::SetOutcome;
use crate::domain::lang::Lang;
use crate::domain::user::{User, UserId};
use crate::domain::user_config::{ConfigKey, ConfigSetError};
use crate::ports::{RepoError, SeenUser};

/// Sends `reply` (with its keyboard, if any) to `chat`.
pub(super) async fn send(bot: &Bot, deps: &BotDeps, chat: ChatId, lang: Lang, reply: &Reply) -> HandlerResult {
    let mut req = bot.send_message(chat, reply.text(lang));
    if let Some(kb) = reply.keyboard(lang) {
        req = req.reply_markup(kb);
    }
    req.await?;
    deps.liveness.telegram_ok(chrono::Utc::now().timestamp_millis());
    Ok(())
}

/// Registers (or refreshes) the sender. `None` for messages without a human sender.
pub(super) async fn register(
    deps: &BotDeps,
    from: &teloxide::types::User,
    chat: ChatId,
) -> Result<(User, bool), RepoError> {
    let id = user_key(from.id);
    let seen = SeenUser {
        id: UserId(id),
        chat_id: chat.0,
        username: from.username.clone(),
        lang: Lang::from_telegram(from.language_code.as_deref()),
        is_config_admin: deps.config_admins.contains(&id),
    };
    deps.users.register(&seen).await
}

/// Logs a storage failure and tells the user nothing changed.
pub(super) async fn internal_error(
    bot: &Bot,
    deps: &BotDeps,
    chat: ChatId,
    lang: Lang,
    e: &RepoError,
) -> HandlerResult {
    deps.metrics.error("storage");
    tracing::error!(error.message = %e, error.cause_chain = ?e, "storage failure while handling an update");
    send(bot, deps, chat, lang, &Reply::Internal).await
}

fn command_name(cmd: &Command) -> &'static str {
    match cmd {
        Command::Start => "start",
        Command::Help => "help",
        Command::Language(_) => "language",
        Command::Livetrade(_) => "livetrade",
        Command::Wallet(_) => "wallet",
        Command::Buy(_) => "buy",
        Command::Sell(_) => "sell",
        Command::Positions(_) => "positions",
        Command::Alerts(_) => "alerts",
    }
}

/// Entry point for every parsed command.
pub(super) async fn handle(bot: Bot, msg: Message, cmd: Command, deps: Arc<BotDeps>) -> HandlerResult {
    deps.metrics.update("message");
    let started = Instant::now();
    let name = command_name(&cmd);
    let result = dispatch(&bot, &msg, cmd, &deps).await;
    deps.metrics.command_latency(name, started.elapsed().as_secs_f64());
    if result.is_err() {
        deps.metrics.error("telegram");
    }
    result
}

async fn dispatch(bot: &Bot, msg: &Message, cmd: Command, deps: &BotDeps) -> HandlerResult {
    let Some(from) = msg.from.as_ref() else {
        return Ok(()); // channel posts and anonymous admins carry no user
    };
    if let Command::Wallet(arg) = &cmd {
        // Before anything else: `/wallet import` messages are deleted first.
        return super::wallet::command(bot, msg, from, arg, deps).await;
    }
    let fallback_lang = Lang::from_telegram(from.language_code.as_deref());
    let (user, created) = match register(deps, from, msg.chat.id).await {
        Ok(v) => v,
        Err(e) => return internal_error(bot, deps, msg.chat.id, fallback_lang, &e).await,
    };
    let lang = user.lang;
    let chat = msg.chat.id;
    match cmd {
        Command::Start => {
            let reply = Reply::Welcome { name: from.first_name.clone(), returning: !created };
            send(bot, deps, chat, lang, &reply).await
        }
        Command::Help => send(bot, deps, chat, lang, &Reply::Help).await,
        Command::Language(arg) => language(bot, deps, chat, user.id, lang, &arg).await,
        Command::Livetrade(arg) => {
            if !msg.chat.is_private() {
                return send(bot, deps, chat, lang, &Reply::PrivateOnly).await;
            }
            livetrade(bot, deps, chat, user.id, lang, &arg).await
        }
        Command::Wallet(_) => Ok(()), // handled above
        Command::Buy(arg) => {
            super::trading::command(bot, msg, user.id, lang, super::trading::TradingCommand::Buy, &arg, deps).await
        }
        Command::Sell(arg) => {
            super::trading::command(bot, msg, user.id, lang, super::trading::TradingCommand::Sell, &arg, deps).await
        }
        Command::Positions(arg) => {
            super::trading::command(bot, msg, user.id, lang, super::trading::TradingCommand::Positions, &arg, deps)
                .await
        }
        Command::Alerts(arg) => super::alerts::command(bot, msg, user.id, lang, &arg, deps).await,
    }
}

async fn language(bot: &Bot, deps: &BotDeps, chat: ChatId, user: UserId, lang: Lang, arg: &str) -> HandlerResult {
    if arg.is_empty() {
        return send(bot, deps, chat, lang, &Reply::LanguagePicker).await;
    }
    let Some(new_lang) = Lang::from_code(arg) else {
        return send(bot, deps, chat, lang, &Reply::LanguageUnknown { value: arg.to_owned() }).await;
    };
    match deps.users.set_language(user, new_lang).await {
        Ok(()) => send(bot, deps, chat, new_lang, &Reply::LanguageSet).await,
        Err(e) => internal_error(bot, deps, chat, lang, &e).await,
    }
}

async fn livetrade(bot: &Bot, deps: &BotDeps, chat: ChatId, user: UserId, lang: Lang, arg: &str) -> HandlerResult {
    let mut words = arg.split_whitespace();
    let sub = words.next().map(str::to_ascii_lowercase);
    let reply = match sub.as_deref() {
        Some("enable" | "on") => deps
            .livetrade
            .set_enabled(user, true)
            .await
            .map(|c| Reply::LiveTradeEnabled { dry_run: c.dry_run || deps.livetrade.global_dry_run() }),
        Some("disable" | "off") => deps.livetrade.set_enabled(user, false).await.map(|_| Reply::LiveTradeDisabled),
        Some("status") => deps.livetrade.status(user).await.map(|v| Reply::Status(Box::new(v))),
        Some("config" | "settings") => {
            let key = words.next();
            let value = words.collect::<Vec<_>>().join(" ");
            config(deps, user, key, &value).await
        }
        _ => Ok(Reply::LiveTradeUsage),
    };
    match reply {
        Ok(reply) => send(bot, deps, chat, lang, &reply).await,
        Err(e) => internal_error(bot, deps, chat, lang, &e).await,
    }
}

async fn config(deps: &BotDeps, user: UserId, key: Option<&str>, value: &str) -> Result<Reply, RepoError> {
    let Some(key_text) = key else {
        return deps.livetrade.config(user).await.map(|c| Reply::ConfigMenu(Box::new(c)));
    };
    if value.is_empty() {
        return Ok(match ConfigKey::parse(key_text) {
            Some(k) => Reply::ConfigMissingValue(k),
            None => Reply::ConfigUnknownKey { key: key_text.to_owned() },
        });
    }
    Ok(match deps.livetrade.set(user, key_text, value).await? {
        SetOutcome::Saved(k, cfg) => Reply::ConfigUpdated(k, cfg),
        SetOutcome::UnknownKey => Reply::ConfigUnknownKey { key: key_text.to_owned() },
        SetOutcome::Refused(ConfigSetError::InvalidValue(k)) => {
            Reply::ConfigInvalid { key: k, value: value.to_owned() }
        }
        SetOutcome::Refused(ConfigSetError::ExposureBelowPosition) => Reply::ConfigExposureBelowPosition,
        SetOutcome::Refused(ConfigSetError::UnknownKey) => Reply::ConfigUnknownKey { key: key_text.to_owned() },
    })
}

/// `/something` that is not a command we know.
pub(super) async fn unknown(bot: Bot, msg: Message, deps: Arc<BotDeps>) -> HandlerResult {
    deps.metrics.update("message");
    let Some(from) = msg.from.as_ref() else {
        return Ok(());
    };
    let lang = match register(&deps, from, msg.chat.id).await {
        Ok((user, _)) => user.lang,
        Err(_) => Lang::from_telegram(from.language_code.as_deref()),
    };
    send(&bot, &deps, msg.chat.id, lang, &Reply::UnknownCommand).await
}
