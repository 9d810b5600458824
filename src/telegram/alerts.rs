//! Alert sources and subscriptions: `/source` (admins), `/alerts`, channel and group posts, and
//! the confirm-card buttons. Handlers only translate; the connector does the work.
//!
//! Only original posts count: forwarded copies, edited posts, discussion-group automatic
//! forwards and posts in unregistered chats never reach a trade. Sources are matched by numeric
//! chat id only, so a look-alike title or username changes nothing.

use std::sync::Arc;

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::{ChatId, InlineKeyboardButtonKind, MessageEntityKind, MessageKind, Recipient};
use teloxide::utils::command::{BotCommands, ParseError};

use super::alerts_reply::{AlertsReply, CALLBACK_PREFIX};
use super::commands::register;
use super::{BotDeps, HandlerError, HandlerResult, Reply, user_key};
use crate::app::connector::{ConfirmOutcome, Connector, IncomingPost, PostOutcome};
use crate::domain::alert::rules::{SettingError, SettingKey, SubscriptionSettings};
use crate::domain::alert::{AlertKind, EntityKind, PostEntity};
use crate::domain::lang::Lang;
use crate::domain::user::{Role, User, UserId};
use crate::ports::RepoError;
use crate::ports::alerts::{AddSource, NewSource};

/// The admin-only `/source` command (kept out of `/help`).
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum SourceCommand {
    /// Alert sources (`/source add <chat_id|@username> <kind> <name>`, `remove <name>`, `list`).
    #[command(description = "alert sources: add | remove | list", parse_with = rest)]
    Source(String),
}

fn rest(input: String) -> Result<(String,), ParseError> {
    Ok((input.trim().to_owned(),))
}

/// Routes `/source`.
pub(super) fn source_branch() -> UpdateHandler<HandlerError> {
    dptree::entry().filter_command::<SourceCommand>().endpoint(source_command)
}

async fn reply(bot: &Bot, chat: ChatId, lang: Lang, r: &AlertsReply) -> HandlerResult {
    bot.send_message(chat, r.text(lang)).await?;
    Ok(())
}

fn is_admin(deps: &BotDeps, user: &User) -> bool {
    deps.config_admins.contains(&user.id.0) || user.role == Role::Admin
}

async fn source_command(bot: Bot, msg: Message, cmd: SourceCommand, deps: Arc<BotDeps>) -> HandlerResult {
    deps.metrics.update("message");
    let SourceCommand::Source(arg) = cmd;
    let Some(from) = msg.from.as_ref() else {
        return Ok(());
    };
    let chat = msg.chat.id;
    let (user, _) = match register(&deps, from, chat).await {
        Ok(v) => v,
        Err(e) => {
            return storage_failed(&bot, &deps, chat, Lang::from_telegram(from.language_code.as_deref()), &e).await;
        }
    };
    if !is_admin(&deps, &user) {
        return reply(&bot, chat, user.lang, &AlertsReply::AdminOnly).await;
    }
    let words: Vec<&str> = arg.split_whitespace().collect();
    let result = match words.as_slice() {
        ["add", target, kind, name] => add_source(&bot, &deps, user.id, target, kind, name).await,
        ["remove", name] => deps.alerts.repo.remove_source(name).await.map(|removed| {
            if removed {
                AlertsReply::SourceRemoved((*name).to_owned())
            } else {
                AlertsReply::UnknownSource((*name).to_owned())
            }
        }),
        ["list"] | [] => deps.alerts.repo.sources().await.map(AlertsReply::SourceList),
        _ => Ok(AlertsReply::SourceUsage),
    };
    match result {
        Ok(r) => reply(&bot, chat, user.lang, &r).await,
        Err(e) => storage_failed(&bot, &deps, chat, user.lang, &e).await,
    }
}

fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.chars().count()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

async fn add_source(
    bot: &Bot,
    deps: &BotDeps,
    admin: UserId,
    target: &str,
    kind: &str,
    name: &str,
) -> Result<AlertsReply, RepoError> {
    let Some(kind) = AlertKind::from_code(kind) else {
        return Ok(AlertsReply::BadKind(kind.to_owned()));
    };
    if !valid_name(name) {
        return Ok(AlertsReply::BadName(name.to_owned()));
    }
    let (chat_id, username) = match target.parse::<i64>() {
        Ok(id) if id != 0 => (id, None),
        _ => match target.strip_prefix('@').filter(|u| !u.is_empty()) {
            // Resolve the username once; from then on only the numeric id identifies the source.
            Some(username) => match bot.get_chat(Recipient::ChannelUsername(format!("@{username}"))).await {
                Ok(chat) => (chat.id.0, Some(username.to_owned())),
                Err(e) => {
                    tracing::warn!(error.message = %e, "cannot resolve a source username");
                    return Ok(AlertsReply::BadChat(target.to_owned()));
                }
            },
            None => return Ok(AlertsReply::BadChat(target.to_owned())),
        },
    };
    let new = NewSource { chat_id, username, kind, name: name.to_owned(), created_by: admin };
    Ok(match deps.alerts.repo.add_source(&new).await? {
        AddSource::Added(s) => {
            tracing::info!(admin = admin.0, source = %s.name, chat_id = s.chat_id, "alert source added");
            AlertsReply::SourceAdded { name: s.name, chat: s.chat_id, kind: s.kind }
        }
        AddSource::NameTaken => AlertsReply::NameTaken(name.to_owned()),
        AddSource::ChatTaken(existing) => AlertsReply::ChatTaken(existing),
    })
}

/// `/alerts …` (private chats; the caller registered the user).
pub(super) async fn command(
    bot: &Bot,
    msg: &Message,
    user: UserId,
    lang: Lang,
    arg: &str,
    deps: &BotDeps,
) -> HandlerResult {
    let chat = msg.chat.id;
    if !msg.chat.is_private() {
        bot.send_message(chat, Reply::PrivateOnly.text(lang)).await?;
        return Ok(());
    }
    let words: Vec<&str> = arg.split_whitespace().collect();
    let result = match words.as_slice() {
        [] | ["list"] => overview(deps, user).await,
        ["subscribe", name] => subscribe(deps, user, name, None).await,
        ["subscribe", name, sol] => subscribe(deps, user, name, Some(sol)).await,
        ["unsubscribe", name] => unsubscribe(deps, user, name).await,
        ["set", name, pairs @ ..] => set(deps, user, name, pairs).await,
        _ => Ok(AlertsReply::Usage),
    };
    match result {
        Ok(r) => reply(bot, chat, lang, &r).await,
        Err(e) => storage_failed(bot, deps, chat, lang, &e).await,
    }
}

async fn overview(deps: &BotDeps, user: UserId) -> Result<AlertsReply, RepoError> {
    let sources = deps.alerts.repo.sources().await?;
    let subscribed = deps.alerts.repo.subscriptions_of(user).await?;
    Ok(AlertsReply::Overview { sources, subscribed })
}

async fn subscribe(deps: &BotDeps, user: UserId, name: &str, sol: Option<&str>) -> Result<AlertsReply, RepoError> {
    let Some(source) = deps.alerts.repo.source_by_name(name).await? else {
        return Ok(AlertsReply::UnknownSource(name.to_owned()));
    };
    let current = deps.alerts.repo.subscription(user, source.id).await?.unwrap_or_default();
    let settings = match sol {
        None => current,
        Some(v) => match current.set(SettingKey::Sol, v) {
            Ok(s) => s,
            Err(_) => return Ok(AlertsReply::BadSol(v.to_owned())),
        },
    };
    deps.alerts.repo.subscribe(user, source.id, &settings).await?;
    Ok(AlertsReply::Subscribed { name: source.name, sol: settings.buy })
}

async fn unsubscribe(deps: &BotDeps, user: UserId, name: &str) -> Result<AlertsReply, RepoError> {
    let Some(source) = deps.alerts.repo.source_by_name(name).await? else {
        return Ok(AlertsReply::UnknownSource(name.to_owned()));
    };
    Ok(if deps.alerts.repo.unsubscribe(user, source.id).await? {
        AlertsReply::Unsubscribed(source.name)
    } else {
        AlertsReply::NotSubscribed(source.name)
    })
}

async fn set(deps: &BotDeps, user: UserId, name: &str, pairs: &[&str]) -> Result<AlertsReply, RepoError> {
    let Some(source) = deps.alerts.repo.source_by_name(name).await? else {
        return Ok(AlertsReply::UnknownSource(name.to_owned()));
    };
    let Some(current) = deps.alerts.repo.subscription(user, source.id).await? else {
        return Ok(AlertsReply::NotSubscribed(source.name));
    };
    let next: SubscriptionSettings = match current.apply(pairs) {
        Ok(n) => n,
        Err(SettingError::InvalidValue(key, value)) => return Ok(AlertsReply::BadValue { key, value }),
        Err(SettingError::UnknownKey(key)) => return Ok(AlertsReply::UnknownKey(key)),
        Err(SettingError::Malformed(word)) => return Ok(AlertsReply::Malformed(word)),
    };
    deps.alerts.repo.save_settings(user, source.id, &next).await?;
    Ok(AlertsReply::SettingsSaved { name: source.name, settings: Box::new(next) })
}

async fn storage_failed(bot: &Bot, deps: &BotDeps, chat: ChatId, lang: Lang, e: &RepoError) -> HandlerResult {
    deps.metrics.error("storage");
    tracing::error!(error.message = %e, error.cause_chain = ?e, "storage failure in alerts");
    reply(bot, chat, lang, &AlertsReply::Internal).await
}

/// Whether a message is a group post the connector should look at (not a command, not private).
pub(super) fn is_group_post(msg: &Message) -> bool {
    (msg.chat.is_group() || msg.chat.is_supergroup()) && !msg.text().is_some_and(|t| t.starts_with('/'))
}

/// Why a post must never trigger a trade, if it must not.
pub fn spoof_reason(msg: &Message) -> Option<&'static str> {
    if msg.forward_origin().is_some() {
        Some("forwarded")
    } else if msg.is_automatic_forward() {
        Some("automatic_forward")
    } else if msg.edit_date().is_some() {
        Some("edited")
    } else {
        None
    }
}

/// `channel_post` updates.
pub(super) async fn channel_post(msg: Message, deps: Arc<BotDeps>) -> HandlerResult {
    deps.metrics.update("channel_post");
    if msg.chat.is_channel() {
        receive(&msg, &deps);
    }
    Ok(())
}

/// Group messages that are not commands.
pub(super) async fn group_post(msg: Message, deps: Arc<BotDeps>) -> HandlerResult {
    deps.metrics.update("group_post");
    receive(&msg, &deps);
    Ok(())
}

fn entity(e: &teloxide::types::MessageEntity) -> PostEntity {
    let (kind, url) = match &e.kind {
        MessageEntityKind::Code => (EntityKind::Code, None),
        MessageEntityKind::Pre { .. } => (EntityKind::Pre, None),
        MessageEntityKind::Url => (EntityKind::Url, None),
        MessageEntityKind::TextLink { url } => (EntityKind::TextLink, Some(url.to_string())),
        _ => (EntityKind::Other, None),
    };
    PostEntity { kind, offset: e.offset, length: e.length, url }
}

/// Converts a message into a connector post, or `None` when it must be ignored.
pub fn incoming(msg: &Message, received_at_ms: i64) -> Option<IncomingPost> {
    if let Some(reason) = spoof_reason(msg) {
        tracing::info!(chat_id = msg.chat.id.0, message_id = msg.id.0, reason, "post ignored");
        return None;
    }
    if matches!(msg.kind, MessageKind::Empty {}) {
        // teloxide drops text and entities of messages with entity types it does not know
        // (e.g. Bot API 9.5 `date_time`): the post cannot be read.
        tracing::warn!(chat_id = msg.chat.id.0, message_id = msg.id.0, "unreadable post (unknown entity type?)");
        return None;
    }
    let text = msg.text().or_else(|| msg.caption())?;
    let entities = msg.entities().or_else(|| msg.caption_entities()).unwrap_or(&[]).iter().map(entity).collect();
    let button_urls = msg
        .reply_markup()
        .map(|kb| {
            kb.inline_keyboard
                .iter()
                .flatten()
                .filter_map(|b| match &b.kind {
                    InlineKeyboardButtonKind::Url(u) => Some(u.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Some(IncomingPost {
        chat_id: msg.chat.id.0,
        message_id: i64::from(msg.id.0),
        text: text.to_owned(),
        entities,
        button_urls,
        received_at_ms,
        posted_at_ms: msg.date.timestamp_millis(),
    })
}

fn receive(msg: &Message, deps: &BotDeps) {
    let received = chrono::Utc::now().timestamp_millis();
    let Some(post) = incoming(msg, received) else {
        if matches!(msg.kind, MessageKind::Empty {}) {
            deps.metrics.error("alert_unreadable");
        }
        return;
    };
    let Some(trading) = deps.trading.clone() else {
        tracing::debug!(chat_id = post.chat_id, "post received but trading is not configured");
        return;
    };
    let connector = Connector::new(deps.alerts.clone(), trading);
    let metrics = deps.metrics.clone();
    // Off the dispatcher: a fan-out never delays the next update.
    tokio::spawn(async move {
        match connector.handle_post(&post).await {
            Ok(PostOutcome::Dispatched(report)) => tracing::debug!(?report, "alert dispatched"),
            Ok(other) => tracing::debug!(outcome = ?other, "post handled"),
            Err(e) => {
                metrics.error("storage");
                tracing::error!(error.message = %e, "alert post failed on storage");
            }
        }
    });
}

/// Whether a callback belongs to the confirm card.
pub(super) fn is_alert_button(data: Option<&str>) -> bool {
    data.is_some_and(|d| d.starts_with(CALLBACK_PREFIX))
}

/// Confirm-card buttons: `al:buy:<alert>` buys with the alert's idempotency key, `al:skip:<alert>`
/// dismisses. Acts only for the presser, in their own private chat.
pub(super) async fn callback(bot: Bot, q: CallbackQuery, deps: Arc<BotDeps>) -> HandlerResult {
    deps.metrics.update("callback_query");
    let lang_hint = Lang::from_telegram(q.from.language_code.as_deref());
    let user = UserId(user_key(q.from.id));
    let lang = deps.users.get(user).await.ok().flatten().map_or(lang_hint, |u| u.lang);
    let target = q.regular_message().map(|m| (m.chat.id, m.id, m.chat.is_private()));
    let data = q.data.clone().unwrap_or_default();
    let parts: Vec<&str> = data.split(':').collect();
    let parsed = match parts.as_slice() {
        ["al", action @ ("buy" | "skip"), id] => id.parse::<i64>().ok().map(|id| (*action == "buy", id)),
        _ => None,
    };
    let (Some((buy, alert_id)), Some((chat, message_id, true))) = (parsed, target) else {
        bot.answer_callback_query(q.id.clone()).text(Reply::StaleButton.text(lang)).await?;
        return Ok(());
    };
    if chat.0 != user.0 {
        bot.answer_callback_query(q.id.clone()).text(Reply::StaleButton.text(lang)).await?;
        return Ok(());
    }
    if !buy {
        bot.answer_callback_query(q.id.clone()).await?;
        bot.edit_message_text(chat, message_id, AlertsReply::Dismissed.text(lang)).await?;
        return Ok(());
    }
    let Some(trading) = deps.trading.clone() else {
        bot.answer_callback_query(q.id.clone()).text(AlertsReply::Stale.text(lang)).await?;
        return Ok(());
    };
    bot.answer_callback_query(q.id.clone()).text(AlertsReply::Buying.text(lang)).await?;
    bot.edit_message_reply_markup(chat, message_id).await?;
    let connector = Connector::new(deps.alerts.clone(), trading);
    tokio::spawn(async move {
        match connector.confirm(user, alert_id).await {
            Ok(ConfirmOutcome::Stale) => {
                let _ = bot.send_message(chat, AlertsReply::Stale.text(lang)).await;
            }
            Ok(ConfirmOutcome::Started(_)) => {}
            Err(e) => {
                tracing::error!(error.message = %e, "confirm buy failed on storage");
                let _ = bot.send_message(chat, AlertsReply::Internal.text(lang)).await;
            }
        }
    });
    Ok(())
}
