//! `/wallet` endpoints: parse the subcommand, call `app::wallet`, send a [`WalletReply`].
//!
//! Private chats only. A `/wallet import` message is deleted before anything else happens, also
//! when the import fails or the chat is a group. The exported secret is the only text here that
//! holds key material: it is sent with `protect_content` and deleted after the configured delay.

use teloxide::prelude::*;
use teloxide::types::{ChatId, MessageId};
use zeroize::Zeroizing;

use super::callbacks::{answer, edit_message};
use super::commands::{internal_error, register, send};
use super::wallet_reply::{ImportFailure, WalletReply};
use super::{BotDeps, HandlerResult, Reply};
use crate::app::wallet::{Confirmed, ImportOutcome, WalletError, WithdrawBlock};
use crate::domain::lang::Lang;
use crate::domain::user::{User, UserId};
use crate::domain::wallet::PendingKind;
use crate::i18n::tr;
use crate::wallet::SecretKeyBytes;

fn wallet(reply: WalletReply) -> Reply {
    Reply::Wallet(Box::new(reply))
}

/// `/wallet …` from a message.
pub(super) async fn command(
    bot: &Bot,
    msg: &Message,
    from: &teloxide::types::User,
    arg: &str,
    deps: &BotDeps,
) -> HandlerResult {
    let chat = msg.chat.id;
    let (sub, rest) = arg.split_once(char::is_whitespace).map_or((arg, ""), |(s, r)| (s, r.trim()));
    let sub = sub.to_ascii_lowercase();
    let is_import = sub == "import";
    // The message holding a secret goes first, whatever happens next.
    let deleted = is_import && bot.delete_message(chat, msg.id).await.is_ok();
    let user = match register(deps, from, chat).await {
        Ok((user, _)) => user,
        Err(e) => {
            let lang = Lang::from_telegram(from.language_code.as_deref());
            return internal_error(bot, deps, chat, lang, &e).await;
        }
    };
    let lang = user.lang;
    if !msg.chat.is_private() {
        let reply = WalletReply::GroupRefused { deleted: is_import.then_some(deleted) };
        return send(bot, deps, chat, lang, &wallet(reply)).await;
    }
    if !deps.wallets.is_configured() {
        return send(bot, deps, chat, lang, &wallet(WalletReply::NotConfigured)).await;
    }
    match subcommand(deps, user.id, &sub, rest, deleted).await {
        Ok(reply) => send(bot, deps, chat, lang, &wallet(reply)).await,
        Err(e) => failed(bot, deps, chat, lang, &e).await,
    }
}

async fn subcommand(
    deps: &BotDeps,
    user: UserId,
    sub: &str,
    rest: &str,
    deleted: bool,
) -> Result<WalletReply, WalletError> {
    let w = &deps.wallets;
    let not_found = || WalletReply::NotFound { address: rest.to_owned() };
    Ok(match sub {
        "add" | "new" | "create" => WalletReply::Created { address: w.add(user).await?.pubkey },
        "import" => {
            if rest.is_empty() {
                return Ok(WalletReply::Import { result: Err(ImportFailure::Missing), deleted });
            }
            let result = match w.import(user, rest).await? {
                ImportOutcome::Imported(record) => Ok(record.pubkey),
                ImportOutcome::Invalid(e) => Err(ImportFailure::Invalid(e)),
                ImportOutcome::Duplicate => Err(ImportFailure::Duplicate),
            };
            WalletReply::Import { result, deleted }
        }
        "list" => match w.list(user).await? {
            lines if lines.is_empty() => WalletReply::NoWallets,
            lines => WalletReply::List(lines),
        },
        "default" if !rest.is_empty() => match w.set_default(user, rest).await? {
            Some(record) => WalletReply::DefaultSet { address: record.pubkey },
            None => not_found(),
        },
        "balance" => match w.balance(user, Some(rest).filter(|r| !r.is_empty())).await? {
            Some(view) => WalletReply::Balance(view),
            None if rest.is_empty() => WalletReply::NoWallets,
            None => not_found(),
        },
        "remove" | "delete" if !rest.is_empty() => match w.request_remove(user, rest).await? {
            Some(view) => match view.kind {
                PendingKind::Remove { open_positions, second, .. } => {
                    WalletReply::ConfirmRemove { nonce: view.nonce, address: view.address, open_positions, second }
                }
                _ => WalletReply::Usage,
            },
            None => not_found(),
        },
        "export" if !rest.is_empty() => match w.request_export(user, rest).await? {
            Some(view) => WalletReply::ConfirmExport {
                nonce: view.nonce,
                address: view.address,
                ttl_secs: deps.wallet_export_ttl.as_secs(),
            },
            None => not_found(),
        },
        "withdraw" => {
            let words: Vec<&str> = rest.split_whitespace().collect();
            let [amount, destination] = words[..] else {
                return Ok(WalletReply::Usage);
            };
            match w.request_withdraw(user, amount, destination).await? {
                Ok(view) => match view.kind {
                    PendingKind::Withdraw(plan) => WalletReply::ConfirmWithdraw { nonce: view.nonce, plan },
                    _ => WalletReply::Usage,
                },
                Err(block) => WalletReply::WithdrawBlocked(block),
            }
        }
        "allowlist" => allowlist(deps, user, rest).await?,
        "cleanup" | "reclaim" => match w.request_cleanup(user).await? {
            Some((view, found)) => WalletReply::ConfirmCleanup {
                nonce: view.nonce,
                accounts: found.accounts.len(),
                rent: found.rent,
                kept: found.kept,
            },
            None => WalletReply::NothingToClean,
        },
        _ => WalletReply::Usage,
    })
}

async fn allowlist(deps: &BotDeps, user: UserId, rest: &str) -> Result<WalletReply, WalletError> {
    let now = chrono::Utc::now().timestamp_millis();
    let Some(address) = rest.strip_prefix("add").map(str::trim) else {
        if rest.is_empty() {
            return Ok(WalletReply::Allowlist(deps.wallets.allowlist(user).await?, now));
        }
        return Ok(WalletReply::Usage);
    };
    Ok(match deps.wallets.allow(user, address).await? {
        Some((new, usable_after_ms)) => WalletReply::AllowAdded { address: address.to_owned(), usable_after_ms, new },
        None => WalletReply::WithdrawBlocked(WithdrawBlock::BadAddress),
    })
}

/// Turns a use-case failure into a reply; storage and vault failures are logged (never with
/// key material: errors carry none).
async fn failed(bot: &Bot, deps: &BotDeps, chat: ChatId, lang: Lang, e: &WalletError) -> HandlerResult {
    send(bot, deps, chat, lang, &error_reply(deps, e)).await
}

fn error_reply(deps: &BotDeps, e: &WalletError) -> Reply {
    match e {
        WalletError::NotConfigured => wallet(WalletReply::NotConfigured),
        WalletError::Chain(err) => {
            deps.metrics.error("chain");
            tracing::warn!(error.message = %err, "chain failure while handling /wallet");
            wallet(WalletReply::ChainUnavailable)
        }
        WalletError::Repo(_) | WalletError::Vault(_) | WalletError::Tx(_) => {
            deps.metrics.error("wallet");
            tracing::error!(error.message = %e, error.cause_chain = ?e, "failure while handling /wallet");
            Reply::Internal
        }
    }
}

/// A press on a `/wallet` confirm or cancel button. The presser and chat were already checked
/// by the caller; the button itself is consumed atomically for its owner only.
pub(super) async fn button(
    bot: &Bot,
    deps: &BotDeps,
    q: &CallbackQuery,
    (chat, message_id): (ChatId, MessageId),
    user: &User,
    (nonce, confirm): (&str, bool),
) -> HandlerResult {
    let lang = user.lang;
    let kind = match deps.wallets.take(user.id, nonce).await {
        Ok(Some(kind)) => kind,
        Ok(None) => return answer(bot, q, Some(Reply::StaleButton.text(lang))).await,
        Err(e) => return answer(bot, q, Some(error_reply(deps, &e).text(lang))).await,
    };
    answer(bot, q, None).await?;
    if !confirm {
        return edit_message(bot, chat, message_id, lang, &wallet(WalletReply::Cancelled)).await;
    }
    let reply = match deps.wallets.perform(user.id, kind).await {
        Ok(Confirmed::Removed { address }) => wallet(WalletReply::Removed { address }),
        Ok(Confirmed::ConfirmAgain(view)) => match view.kind {
            PendingKind::Remove { open_positions, .. } => wallet(WalletReply::ConfirmRemove {
                nonce: view.nonce,
                address: view.address,
                open_positions,
                second: true,
            }),
            _ => Reply::StaleButton,
        },
        Ok(Confirmed::Export { address, secret }) => {
            let ttl_secs = deps.wallet_export_ttl.as_secs();
            edit_message(bot, chat, message_id, lang, &wallet(WalletReply::ExportSent { address, ttl_secs })).await?;
            return send_secret(bot, deps, chat, lang, secret).await;
        }
        Ok(Confirmed::Withdraw(Ok(done))) => wallet(WalletReply::Withdrawn(done)),
        Ok(Confirmed::Withdraw(Err(block))) => {
            if matches!(block, WithdrawBlock::LimitHit { .. }) {
                notify_admins(bot, deps, user.id, block).await;
            }
            wallet(WalletReply::WithdrawBlocked(block))
        }
        Ok(Confirmed::Cleaned(done)) => wallet(WalletReply::Cleaned(done)),
        Ok(Confirmed::Stale) => Reply::StaleButton,
        Err(e) => error_reply(deps, &e),
    };
    edit_message(bot, chat, message_id, lang, &reply).await
}

/// Sends the secret once (protected from forwarding and saving), then deletes it after the
/// configured delay. The secret is zeroized as soon as the request is built.
async fn send_secret(bot: &Bot, deps: &BotDeps, chat: ChatId, lang: Lang, secret: SecretKeyBytes) -> HandlerResult {
    let ttl = deps.wallet_export_ttl;
    let mut text = Zeroizing::new(tr(lang, "wallet.export.secret", &[("secs", &ttl.as_secs().to_string())]));
    text.push_str("\n\n");
    text.push_str(&secret.to_base58());
    drop(secret);
    let sent = bot.send_message(chat, text.as_str()).protect_content(true).await?;
    drop(text);
    // Persist the deletion first, so a restart within the delay still deletes the message (the
    // sweeper handles overdue entries at start); the timer below deletes it on time.
    let scheduled = crate::ports::ScheduledDeletion { chat_id: chat.0, message_id: i64::from(sent.id.0) };
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    let delete_at = chrono::Utc::now().timestamp_millis().saturating_add(ttl_ms);
    if let Err(e) = deps.deletions.schedule(scheduled, delete_at).await {
        tracing::error!(error.message = %e, chat_id = chat.0, "could not persist the key message deletion");
    }
    let bot = bot.clone();
    let schedule = deps.deletions.clone();
    tokio::spawn(async move {
        tokio::time::sleep(ttl).await;
        match bot.delete_message(chat, sent.id).await {
            Ok(_) => {
                let _ = schedule.done(scheduled).await;
            }
            Err(e) => {
                tracing::warn!(error.message = %e, chat_id = chat.0, "could not delete the exported key message");
            }
        }
    });
    Ok(())
}

/// Tells every configured admin that outflows were frozen.
async fn notify_admins(bot: &Bot, deps: &BotDeps, user: UserId, block: WithdrawBlock) {
    for admin in deps.config_admins.iter() {
        let lang = match deps.users.get(UserId(*admin)).await {
            Ok(Some(u)) => u.lang,
            _ => Lang::En,
        };
        let text = wallet(WalletReply::AdminFrozen { user_id: user.0, block }).text(lang);
        if let Err(e) = bot.send_message(ChatId(*admin), text).await {
            tracing::warn!(error.message = %e, admin_id = admin, "could not notify an admin about the outflow freeze");
        }
    }
}
