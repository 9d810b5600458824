//! `/alerts` (subscriptions), the alert confirm-card buttons, and channel and group posts.
//! Handlers only translate; the connector does the work.
//!
//! Only original posts count: forwarded copies, edited posts, discussion-group automatic
//! forwards and posts in unregistered chats never reach a trade. Sources are matched by numeric
//! chat id only, so a look-alike title or username changes nothing.

use teloxide::types::{InlineKeyboardButtonKind, Message, MessageEntityKind, MessageKind};

use super::{HandlerResult, private_only};
use crate::app::connector::{ConfirmOutcome, Connector, IncomingPost, PostOutcome};
use crate::domain::alert::rules::{SettingError, SettingKey, SubscriptionSettings};
use crate::domain::alert::{EntityKind, PostEntity};
use crate::domain::user::UserId;
use crate::ports::RepoError;
use crate::telegram::ctx::Ctx;
use crate::telegram::deps::BotDeps;
use crate::telegram::reply::Reply;
use crate::telegram::reply::alerts::AlertsReply;

/// `/alerts …` (private chats only).
pub async fn command(ctx: &Ctx, arg: &str) -> HandlerResult {
    if !private_only(ctx) {
        return Ok(());
    }
    let (deps, user) = (ctx.deps.as_ref(), ctx.user_id);
    let words: Vec<&str> = arg.split_whitespace().collect();
    let reply = match words.as_slice() {
        [] | ["list"] => overview(deps, user).await?,
        ["subscribe", name] => subscribe(deps, user, name, None).await?,
        ["subscribe", name, sol] => subscribe(deps, user, name, Some(sol)).await?,
        ["unsubscribe", name] => unsubscribe(deps, user, name).await?,
        ["set", name, pairs @ ..] => set(deps, user, name, pairs).await?,
        _ => AlertsReply::Usage,
    };
    ctx.reply(reply);
    Ok(())
}

/// The `/alerts` overview (also the Alerts menu).
pub(super) async fn overview(deps: &BotDeps, user: UserId) -> Result<AlertsReply, RepoError> {
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

/// Whether a message is a group post the connector should look at (not a command, not private).
pub fn is_group_post(msg: &Message) -> bool {
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
pub async fn channel_post(msg: Message, deps: std::sync::Arc<BotDeps>) -> HandlerResult {
    deps.metrics.update("channel_post");
    if msg.chat.is_channel() {
        receive(&msg, &deps);
    }
    Ok(())
}

/// Group messages that are not commands.
pub async fn group_post(msg: Message, deps: std::sync::Arc<BotDeps>) -> HandlerResult {
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

/// Confirm-card buttons: Buy buys with the alert's idempotency key, Skip dismisses.
pub async fn button(ctx: &Ctx, alert_id: i64, buy: bool) -> HandlerResult {
    if !buy {
        ctx.answer(None);
        ctx.edit(AlertsReply::Dismissed);
        return Ok(());
    }
    let Some(trading) = ctx.deps.trading.clone() else {
        ctx.answer(Some(AlertsReply::Stale.into()));
        return Ok(());
    };
    ctx.answer(Some(AlertsReply::Buying.into()));
    ctx.edit_keyboard(None);
    let connector = Connector::new(ctx.deps.alerts.clone(), trading);
    let ctx = ctx.clone();
    tokio::spawn(async move {
        match connector.confirm(ctx.user_id, alert_id).await {
            Ok(ConfirmOutcome::Stale) => ctx.reply(AlertsReply::Stale),
            Ok(ConfirmOutcome::Started(_)) => {}
            Err(e) => {
                ctx.deps.metrics.error("handler");
                tracing::error!(update_id = ctx.update_id, error.message = %e, "confirm buy failed on storage");
                ctx.reply(Reply::Apology);
            }
        }
    });
    Ok(())
}
