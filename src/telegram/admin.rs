//! Admin commands and the broadcast buttons. Admin commands are a separate command enum, so
//! they stay out of every trader's `/help` and command menu; `/admin` lists them for admins.
//!
//! Every admin command from a non-admin gets a localized refusal and changes nothing (the
//! attempt is counted and audited). Admin commands work only in a private chat.

use std::sync::Arc;
use std::time::Instant;

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::MessageEntityKind;
use teloxide::utils::command::{BotCommands, ParseError};

use super::admin_reply::{AdminReply, ErrorRates};
use super::callbacks::{answer, edit_message};
use super::commands::{internal_error, register, send};
use super::{BotDeps, HandlerError, HandlerResult, Reply, user_key};
use crate::app::admin::{Admin, AdminActor, RoleChange};
use crate::app::broadcast::{Broadcasts, ConfirmOutcome};
use crate::domain::breaker::BreakerState;
use crate::domain::lang::Lang;
use crate::domain::risk::KillSwitch;
use crate::domain::user::UserId;
use crate::ports::RepoError;
use crate::ports::admin::BroadcastPayload;

/// Admin commands. Descriptions are English fallbacks; `/admin` renders `cmd.<name>` keys.
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum AdminCommand {
    /// Admins (`/admin add|remove <user id>`, `/admin list`).
    #[command(description = "admins: add | remove <user id> | list", parse_with = rest)]
    Admin(String),
    /// Message every active user (`/broadcast <text>`, or as a reply to a message).
    #[command(description = "message every active user", parse_with = rest)]
    Broadcast(String),
    /// Kill switch (`/killswitch on|off|hard`).
    #[command(description = "kill switch: on | off | hard", parse_with = rest)]
    Killswitch(String),
    /// Pause one user's new entries (`/pause <user id>`).
    #[command(description = "pause a user", parse_with = rest)]
    Pause(String),
    /// Unpause a user (`/unpause <user id>`).
    #[command(description = "unpause a user", parse_with = rest)]
    Unpause(String),
    /// Bot-wide statistics.
    #[command(description = "bot statistics", parse_with = rest)]
    Stats(String),
}

fn rest(input: String) -> Result<(String,), ParseError> {
    Ok((input.trim().to_owned(),))
}

impl AdminCommand {
    /// Command names without the leading slash, in enum order.
    pub fn names() -> Vec<String> {
        Self::bot_commands().into_iter().map(|c| c.command.trim_start_matches('/').to_owned()).collect()
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Admin(_) => "admin",
            Self::Broadcast(_) => "broadcast",
            Self::Killswitch(_) => "killswitch",
            Self::Pause(_) => "pause",
            Self::Unpause(_) => "unpause",
            Self::Stats(_) => "stats",
        }
    }
}

/// Admin use-cases the handlers call.
#[derive(Clone, Debug)]
pub struct AdminDeps {
    /// Roles, kill switch, pauses, stats.
    pub admin: Admin,
    /// Broadcasts.
    pub broadcasts: Broadcasts,
}

/// The message branch for admin commands (goes before the unknown-command fallback).
pub(super) fn branch() -> UpdateHandler<HandlerError> {
    dptree::entry().filter_command::<AdminCommand>().endpoint(handle)
}

fn admin(reply: AdminReply) -> Reply {
    Reply::Admin(Box::new(reply))
}

async fn handle(bot: Bot, msg: Message, cmd: AdminCommand, deps: Arc<BotDeps>) -> HandlerResult {
    deps.metrics.update("message");
    let started = Instant::now();
    let name = cmd.name();
    let result = dispatch(&bot, &msg, cmd, &deps).await;
    deps.metrics.command_latency(name, started.elapsed().as_secs_f64());
    if result.is_err() {
        deps.metrics.error("telegram");
    }
    result
}

async fn dispatch(bot: &Bot, msg: &Message, cmd: AdminCommand, deps: &BotDeps) -> HandlerResult {
    let Some(from) = msg.from.as_ref() else {
        return Ok(());
    };
    let chat = msg.chat.id;
    let user = match register(deps, from, chat).await {
        Ok((user, _)) => user,
        Err(e) => return internal_error(bot, deps, chat, Lang::from_telegram(from.language_code.as_deref()), &e).await,
    };
    let lang = user.lang;
    let actor = match deps.admin.admin.authorize(user.id, cmd.name()).await {
        Ok(Some(actor)) => actor,
        Ok(None) => return send(bot, deps, chat, lang, &admin(AdminReply::NotAdmin)).await,
        Err(e) => return internal_error(bot, deps, chat, lang, &e).await,
    };
    if !msg.chat.is_private() {
        return send(bot, deps, chat, lang, &Reply::PrivateOnly).await;
    }
    let a = &deps.admin.admin;
    let reply = match cmd {
        AdminCommand::Admin(arg) => admin_command(a, actor, &arg).await,
        AdminCommand::Killswitch(arg) => kill_switch(a, actor, &arg).await,
        AdminCommand::Pause(arg) => pause(a, actor, &arg, true).await,
        AdminCommand::Unpause(arg) => pause(a, actor, &arg, false).await,
        AdminCommand::Stats(_) => stats(deps, actor).await,
        AdminCommand::Broadcast(arg) => return broadcast(bot, msg, deps, actor, lang, &arg).await,
    };
    match reply {
        Ok(reply) => send(bot, deps, chat, lang, &admin(reply)).await,
        Err(e) => internal_error(bot, deps, chat, lang, &e).await,
    }
}

/// A positive numeric Telegram user id.
fn user_id(text: &str) -> Result<UserId, AdminReply> {
    match text.trim().parse::<i64>() {
        Ok(id) if id > 0 => Ok(UserId(id)),
        _ => Err(AdminReply::BadUserId { value: text.trim().to_owned() }),
    }
}

async fn admin_command(a: &Admin, actor: AdminActor, arg: &str) -> Result<AdminReply, RepoError> {
    let (sub, rest) = arg.split_once(char::is_whitespace).map_or((arg, ""), |(s, r)| (s, r.trim()));
    let add = match sub.to_ascii_lowercase().as_str() {
        "list" => {
            let list = a.list(actor).await?;
            let persisted = list.persisted.into_iter().map(|u| (u.id.0, u.username)).collect();
            return Ok(AdminReply::AdminList { configured: list.configured, persisted });
        }
        "add" => true,
        "remove" => false,
        _ => return Ok(AdminReply::Usage),
    };
    let target = match user_id(rest) {
        Ok(id) => id,
        Err(reply) => return Ok(reply),
    };
    let id = target.0;
    Ok(match (add, if add { a.add(actor, target).await? } else { a.remove(actor, target).await? }) {
        (_, RoleChange::NotRegistered) => AdminReply::UserNotFound { id },
        (_, RoleChange::ConfigAdmin) => AdminReply::ConfigAdmin { id },
        (true, RoleChange::Changed) => AdminReply::AdminAdded { id },
        (true, RoleChange::Unchanged) => AdminReply::AlreadyAdmin { id },
        (false, RoleChange::Changed) => AdminReply::AdminRemoved { id },
        (false, RoleChange::Unchanged) => AdminReply::NotAnAdmin { id },
    })
}

async fn kill_switch(a: &Admin, actor: AdminActor, arg: &str) -> Result<AdminReply, RepoError> {
    let state = match arg.to_ascii_lowercase().as_str() {
        "on" => KillSwitch::Entries,
        "off" => KillSwitch::Off,
        "hard" => KillSwitch::Hard,
        _ => return Ok(AdminReply::KillSwitchState(a.kill_switch().await?)),
    };
    a.set_kill_switch(actor, state).await?;
    Ok(AdminReply::KillSwitchSet(state))
}

async fn pause(a: &Admin, actor: AdminActor, arg: &str, paused: bool) -> Result<AdminReply, RepoError> {
    if arg.is_empty() {
        return Ok(AdminReply::PauseUsage);
    }
    let target = match user_id(arg) {
        Ok(id) => id,
        Err(reply) => return Ok(reply),
    };
    Ok(if a.set_paused(actor, target, paused).await? {
        AdminReply::PauseSet { id: target.0, paused }
    } else {
        AdminReply::UserNotFound { id: target.0 }
    })
}

async fn stats(deps: &BotDeps, actor: AdminActor) -> Result<AdminReply, RepoError> {
    let stats = deps.admin.admin.stats(actor).await?;
    let totals = deps.metrics.counter_totals();
    let rates = ErrorRates {
        rpc_requests: totals.sum("rpc_requests", |_| true),
        rpc_failed: totals.sum("rpc_requests", |l| !l.contains("outcome=\"ok\"")),
        telegram_requests: totals.sum("updates", |_| true) + totals.sum("broadcast_deliveries", |_| true),
        telegram_errors: totals.sum("errors", |l| l.contains("component=\"telegram"))
            + totals.sum("broadcast_deliveries", |l| !l.contains("outcome=\"sent\"")),
        breaker_open: deps.trading.as_ref().and_then(|t| match t.breaker_state() {
            BreakerState::Closed { .. } => None,
            BreakerState::Open { failures, until_ms } => Some((failures, until_ms)),
            BreakerState::HalfOpen { failures, since_ms } => Some((failures, since_ms)),
        }),
    };
    Ok(AdminReply::Stats(Box::new((stats, rates))))
}

/// `/broadcast <text>` keeps the text's formatting; `/broadcast` as a reply copies the replied
/// message (photo, caption, formatting). Shows the preview, then the count with Confirm/Cancel.
async fn broadcast(
    bot: &Bot,
    msg: &Message,
    deps: &BotDeps,
    actor: AdminActor,
    lang: Lang,
    arg: &str,
) -> HandlerResult {
    let chat = msg.chat.id;
    let payload = match msg.reply_to_message() {
        Some(original) => Some(BroadcastPayload::Copy { from_chat_id: original.chat.id.0, message_id: original.id.0 }),
        None if arg.is_empty() => None,
        None => text_payload(msg),
    };
    let Some(payload) = payload else {
        return send(bot, deps, chat, lang, &admin(AdminReply::BroadcastUsage)).await;
    };
    let (id, recipients) = match deps.admin.broadcasts.prepare(actor, &payload).await {
        Ok(v) => v,
        Err(e) => return internal_error(bot, deps, chat, lang, &e).await,
    };
    if let Err(e) = super::broadcast::send_payload(bot, chat, &payload).await {
        tracing::warn!(broadcast_id = id, error.message = %e, "broadcast preview failed");
        let _ = deps.admin.broadcasts.cancel(actor, id).await;
        return send(bot, deps, chat, lang, &admin(AdminReply::BroadcastUsage)).await;
    }
    send(bot, deps, chat, lang, &admin(AdminReply::BroadcastConfirm { id, recipients })).await
}

/// The text after the command, with its formatting entities shifted to start at 0.
fn text_payload(msg: &Message) -> Option<BroadcastPayload> {
    let full = msg.text()?;
    let command_end = full.find(char::is_whitespace)?;
    let start = command_end + full[command_end..].len() - full[command_end..].trim_start().len();
    let text = &full[start..];
    if text.trim().is_empty() {
        return None;
    }
    let shift = full[..start].encode_utf16().count();
    let entities: Vec<_> = msg
        .entities()
        .unwrap_or_default()
        .iter()
        .filter(|e| e.offset >= shift && !matches!(e.kind, MessageEntityKind::BotCommand))
        .map(|e| {
            let mut e = e.clone();
            e.offset -= shift;
            e
        })
        .collect();
    let entities = serde_json::to_value(entities).unwrap_or_default();
    Some(BroadcastPayload::Text { text: text.to_owned(), entities })
}

/// Button presses `bc:y:<id>` (confirm), `bc:n:<id>` (cancel the draft), `bc:s:<id>` (stop).
/// Only the admin who created the broadcast may press them, in their own private chat.
pub(super) async fn callback(bot: Bot, q: CallbackQuery, deps: Arc<BotDeps>) -> HandlerResult {
    deps.metrics.update("callback_query");
    let hint = Lang::from_telegram(q.from.language_code.as_deref());
    let target = q.regular_message().map(|m| (m.chat.id, m.id, m.chat.is_private()));
    let parsed = q.data.as_deref().and_then(parse_button);
    let (Some((op, id)), Some((chat, message_id, true))) = (parsed, target) else {
        return answer(&bot, &q, Some(Reply::StaleButton.text(hint))).await;
    };
    if chat.0 != user_key(q.from.id) {
        return answer(&bot, &q, Some(Reply::StaleButton.text(hint))).await;
    }
    let failed = |e: RepoError| {
        deps.metrics.error("storage");
        tracing::error!(error.message = %e, "storage failure while handling a broadcast button");
        Some(Reply::Internal.text(hint))
    };
    let user = match register(&deps, &q.from, chat).await {
        Ok((user, _)) => user,
        Err(e) => return answer(&bot, &q, failed(e)).await,
    };
    let lang = user.lang;
    let actor = match deps.admin.admin.authorize(user.id, "broadcast").await {
        Ok(Some(actor)) => actor,
        Ok(None) => return answer(&bot, &q, Some(AdminReply::NotAdmin.text(lang))).await,
        Err(e) => return answer(&bot, &q, failed(e)).await,
    };
    let b = &deps.admin.broadcasts;
    let toast = match op {
        'y' => match b.confirm(actor, id, (chat.0, message_id.0)).await {
            Ok(ConfirmOutcome::Started(recipients)) => AdminReply::BroadcastStarted { recipients }.text(lang),
            Ok(ConfirmOutcome::NotYours | ConfirmOutcome::NotDraft) => Reply::StaleButton.text(lang),
            Err(e) => return answer(&bot, &q, failed(e)).await,
        },
        _ => match b.cancel(actor, id).await {
            Ok(true) if op == 'n' => {
                edit_message(&bot, chat, message_id, lang, &admin(AdminReply::BroadcastCancelled)).await?;
                AdminReply::BroadcastCancelled.text(lang)
            }
            Ok(true) => AdminReply::BroadcastStopping.text(lang),
            Ok(false) => Reply::StaleButton.text(lang),
            Err(e) => return answer(&bot, &q, failed(e)).await,
        },
    };
    answer(&bot, &q, Some(toast)).await
}

fn parse_button(data: &str) -> Option<(char, i64)> {
    let mut parts = data.split(':');
    let (Some("bc"), Some(op), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    let op = match op {
        "y" => 'y',
        "n" => 'n',
        "s" => 's',
        _ => return None,
    };
    id.parse::<i64>().ok().filter(|id| *id > 0).map(|id| (op, id))
}

/// Whether callback data belongs to the broadcast buttons.
pub(super) fn is_broadcast_button(data: Option<&str>) -> bool {
    data.is_some_and(|d| d.starts_with("bc:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buttons_parse_and_forgeries_are_rejected() {
        assert_eq!(parse_button("bc:y:12"), Some(('y', 12)));
        assert_eq!(parse_button("bc:s:3"), Some(('s', 3)));
        for bad in ["bc:y", "bc:x:1", "bc:y:-1", "bc:y:1:2", "bc:y:abc", "w:y:1"] {
            assert_eq!(parse_button(bad), None, "{bad}");
        }
    }

    #[test]
    fn admin_commands_parse_with_their_arguments() {
        let cmd = AdminCommand::parse("/admin add 42", "bot").ok();
        assert_eq!(cmd, Some(AdminCommand::Admin("add 42".to_owned())));
        assert_eq!(AdminCommand::parse("/stats", "bot").ok(), Some(AdminCommand::Stats(String::new())));
    }
}
