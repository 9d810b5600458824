//! Admin endpoints: `/admin`, `/broadcast`, `/killswitch`, `/pause`, `/unpause`, `/stats`,
//! `/source`, and the broadcast buttons.
//!
//! Admin commands work only in the private chat with the bot (a group attempt is refused and
//! changes nothing). Every admin command from a non-admin gets a localized refusal and changes
//! nothing; the attempt is counted and audited, and every admin action is written to the audit
//! log by the `app::admin` use-cases.

use teloxide::types::{Message, MessageEntityKind};

use super::{HandlerResult, private_only};
use crate::app::admin::{Admin, AdminActor, RoleChange};
use crate::app::broadcast::ConfirmOutcome;
use crate::domain::alert::AlertKind;
use crate::domain::breaker::BreakerState;
use crate::domain::risk::KillSwitch;
use crate::domain::user::UserId;
use crate::ports::RepoError;
use crate::ports::admin::BroadcastPayload;
use crate::ports::alerts::{AddSource, NewSource};
use crate::telegram::callback::Callback;
use crate::telegram::command::AdminCommand;
use crate::telegram::ctx::Ctx;
use crate::telegram::deps::BotDeps;
use crate::telegram::reply::Reply;
use crate::telegram::reply::admin::{AdminReply, ErrorRates};
use crate::telegram::reply::alerts::AlertsReply;

/// Every admin command. Outside the private chat it is refused (and the attempt audited).
pub async fn command(ctx: &Ctx, msg: &Message, cmd: AdminCommand) -> HandlerResult {
    let a = &ctx.deps.admin.admin;
    let Some(actor) = a.authorize(ctx.user_id, cmd.name()).await? else {
        ctx.reply(AdminReply::NotAdmin);
        return Ok(());
    };
    if !private_only(ctx) {
        a.done(actor, "admin.group_refused", Some(ctx.chat.to_string()), Some(cmd.name().to_owned())).await?;
        return Ok(());
    }
    let reply: Reply = match cmd {
        AdminCommand::Admin(arg) => admin_command(a, actor, &arg).await?.into(),
        AdminCommand::Killswitch(arg) => kill_switch(a, actor, &arg).await?.into(),
        AdminCommand::Pause(arg) => pause(a, actor, &arg, true).await?.into(),
        AdminCommand::Unpause(arg) => pause(a, actor, &arg, false).await?.into(),
        AdminCommand::Stats(_) => stats(&ctx.deps, actor).await?.into(),
        AdminCommand::Source(arg) => source(ctx, actor, &arg).await?.into(),
        AdminCommand::Broadcast(arg) => return broadcast(ctx, msg, actor, &arg).await,
    };
    ctx.reply(reply);
    Ok(())
}

/// `/source add|remove|list`, audited like every admin action.
async fn source(ctx: &Ctx, actor: AdminActor, arg: &str) -> Result<AlertsReply, RepoError> {
    let a = &ctx.deps.admin.admin;
    let repo = &ctx.deps.alerts.repo;
    let words: Vec<&str> = arg.split_whitespace().collect();
    Ok(match words.as_slice() {
        ["add", target, kind, name] => {
            let reply = add_source(ctx, actor.id(), target, kind, name).await?;
            if let AlertsReply::SourceAdded { name, chat, .. } = &reply {
                a.done(actor, "source.add", Some(name.clone()), Some(format!("chat_id={chat}"))).await?;
            }
            reply
        }
        ["remove", name] => {
            if repo.remove_source(name).await? {
                a.done(actor, "source.remove", Some((*name).to_owned()), None).await?;
                AlertsReply::SourceRemoved((*name).to_owned())
            } else {
                AlertsReply::UnknownSource((*name).to_owned())
            }
        }
        ["list"] | [] => {
            let list = repo.sources().await?;
            a.done(actor, "source.list", None, None).await?;
            AlertsReply::SourceList(list)
        }
        _ => AlertsReply::SourceUsage,
    })
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
        landing: crate::solana::submit::SendPath::ALL.map(|p| deps.metrics.landing(p.label())),
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
/// Both go through the outbox, so a 429 delays them instead of losing the confirm card.
async fn broadcast(ctx: &Ctx, msg: &Message, actor: AdminActor, arg: &str) -> HandlerResult {
    let payload = match msg.reply_to_message() {
        Some(original) => Some(BroadcastPayload::Copy { from_chat_id: original.chat.id.0, message_id: original.id.0 }),
        None if arg.is_empty() => None,
        None => text_payload(msg),
    };
    let Some(payload) = payload else {
        ctx.reply(AdminReply::BroadcastUsage);
        return Ok(());
    };
    let broadcasts = &ctx.deps.admin.broadcasts;
    let (id, recipients) = broadcasts.prepare(actor, &payload).await?;
    let preview = match &payload {
        BroadcastPayload::Text { text, entities } => {
            let entities = serde_json::from_value(entities.clone()).unwrap_or_default();
            ctx.send_entities(text.clone(), entities).await
        }
        BroadcastPayload::Copy { from_chat_id, message_id } => ctx.copy_here(*from_chat_id, *message_id).await,
    };
    if let Err(e) = preview {
        tracing::warn!(update_id = ctx.update_id, broadcast_id = id, error.message = %e, "broadcast preview failed");
        broadcasts.cancel(actor, id).await?;
        ctx.reply(AdminReply::BroadcastUsage);
        return Ok(());
    }
    ctx.reply(AdminReply::BroadcastConfirm { id, recipients });
    Ok(())
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

fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.chars().count()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

async fn add_source(ctx: &Ctx, admin: UserId, target: &str, kind: &str, name: &str) -> Result<AlertsReply, RepoError> {
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
            Some(username) => match ctx.resolve_chat(username).await {
                Ok(chat) => (chat, Some(username.to_owned())),
                Err(e) => {
                    tracing::warn!(error.message = %e, "cannot resolve a source username");
                    return Ok(AlertsReply::BadChat(target.to_owned()));
                }
            },
            None => return Ok(AlertsReply::BadChat(target.to_owned())),
        },
    };
    let new = NewSource { chat_id, username, kind, name: name.to_owned(), created_by: admin };
    Ok(match ctx.deps.alerts.repo.add_source(&new).await? {
        AddSource::Added(s) => {
            tracing::info!(admin = admin.0, source = %s.name, chat_id = s.chat_id, "alert source added");
            AlertsReply::SourceAdded { name: s.name, chat: s.chat_id, kind: s.kind }
        }
        AddSource::NameTaken => AlertsReply::NameTaken(name.to_owned()),
        AddSource::ChatTaken(existing) => AlertsReply::ChatTaken(existing),
    })
}

/// Broadcast buttons. Only the admin who created the broadcast may press them.
pub async fn broadcast_button(ctx: &Ctx, cb: &Callback) -> HandlerResult {
    let Some(actor) = ctx.deps.admin.admin.authorize(ctx.user_id, "broadcast").await? else {
        ctx.answer(Some(AdminReply::NotAdmin.into()));
        return Ok(());
    };
    let b = &ctx.deps.admin.broadcasts;
    let toast: Reply = match *cb {
        Callback::BroadcastConfirm(id) => match b.confirm(actor, id, (ctx.chat, ctx.message_id)).await? {
            ConfirmOutcome::Started(recipients) => AdminReply::BroadcastStarted { recipients }.into(),
            ConfirmOutcome::NotYours | ConfirmOutcome::NotDraft => Reply::StaleButton,
        },
        Callback::BroadcastCancel(id) => {
            if b.cancel(actor, id).await? {
                ctx.edit(AdminReply::BroadcastCancelled);
                AdminReply::BroadcastCancelled.into()
            } else {
                Reply::StaleButton
            }
        }
        Callback::BroadcastStop(id) => {
            if b.cancel(actor, id).await? {
                AdminReply::BroadcastStopping.into()
            } else {
                Reply::StaleButton
            }
        }
        _ => Reply::StaleButton,
    };
    ctx.answer(Some(toast));
    Ok(())
}
