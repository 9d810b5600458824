//! `/wallet` endpoints: parse the subcommand, call `app::wallet`, answer with a [`WalletReply`].
//!
//! Private chats only. A `/wallet import` message is deleted before anything else happens, also
//! when the import fails or the chat is a group. The exported secret is the only text here that
//! holds key material: it is sent with `protect_content` and deleted after the configured delay.

use zeroize::Zeroizing;

use super::HandlerResult;
use crate::app::wallet::{Confirmed, ImportOutcome, WalletError, WithdrawBlock};
use crate::domain::lang::Lang;
use crate::domain::user::UserId;
use crate::domain::wallet::PendingKind;
use crate::i18n::tr;
use crate::telegram::ctx::Ctx;
use crate::telegram::reply::Reply;
use crate::telegram::reply::wallet::{ImportFailure, WalletReply};
use crate::wallet::SecretKeyBytes;

/// The `/wallet` subcommands (for "did you mean").
const SUBCOMMANDS: [&str; 15] = [
    "add",
    "new",
    "create",
    "import",
    "list",
    "default",
    "balance",
    "remove",
    "delete",
    "export",
    "withdraw",
    "allowlist",
    "cleanup",
    "reclaim",
    "",
];

/// `/wallet …` from a message.
pub async fn command(ctx: &Ctx, arg: &str) -> HandlerResult {
    let (sub, rest) = arg.split_once(char::is_whitespace).map_or((arg, ""), |(s, r)| (s, r.trim()));
    let sub = sub.to_ascii_lowercase();
    let is_import = sub == "import";
    // The message holding a secret goes first, whatever happens next.
    let deleted = is_import && ctx.delete(ctx.message_id).await.is_ok();
    if !ctx.private {
        ctx.reply(WalletReply::GroupRefused { deleted: is_import.then_some(deleted) });
        return Ok(());
    }
    if !ctx.deps.wallets.is_configured() {
        ctx.reply(WalletReply::NotConfigured);
        return Ok(());
    }
    if !SUBCOMMANDS.contains(&sub.as_str()) && super::home::did_you_mean_sub(ctx, "wallet", &sub, &SUBCOMMANDS) {
        return Ok(());
    }
    let reply = match subcommand(ctx, &sub, rest, deleted).await {
        Ok(reply) => Reply::from(reply),
        Err(e) => error_reply(ctx, &e),
    };
    ctx.reply(reply);
    Ok(())
}

async fn subcommand(ctx: &Ctx, sub: &str, rest: &str, deleted: bool) -> Result<WalletReply, WalletError> {
    let w = &ctx.deps.wallets;
    let user = ctx.user_id;
    // `export`, `remove` and `default` without an address act on the default wallet.
    let default_address;
    let rest = if rest.is_empty() && matches!(sub, "export" | "remove" | "delete") {
        match w.default_wallet(user).await? {
            Some(record) => {
                default_address = record.pubkey;
                default_address.as_str()
            }
            None => return Ok(WalletReply::NoWallets),
        }
    } else {
        rest
    };
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
                ttl_secs: ctx.deps.wallet_export_ttl.as_secs(),
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
        "allowlist" => allowlist(ctx, user, rest).await?,
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

async fn allowlist(ctx: &Ctx, user: UserId, rest: &str) -> Result<WalletReply, WalletError> {
    let now = chrono::Utc::now().timestamp_millis();
    let Some(address) = rest.strip_prefix("add").map(str::trim) else {
        if rest.is_empty() {
            return Ok(WalletReply::Allowlist(ctx.deps.wallets.allowlist(user).await?, now));
        }
        return Ok(WalletReply::Usage);
    };
    Ok(match ctx.deps.wallets.allow(user, address).await? {
        Some((new, usable_after_ms)) => WalletReply::AllowAdded { address: address.to_owned(), usable_after_ms, new },
        None => WalletReply::WithdrawBlocked(WithdrawBlock::BadAddress),
    })
}

/// Turns a use-case failure into a reply; storage and vault failures are logged (never with
/// key material: errors carry none).
fn error_reply(ctx: &Ctx, e: &WalletError) -> Reply {
    match e {
        WalletError::NotConfigured => WalletReply::NotConfigured.into(),
        WalletError::Chain(err) => {
            ctx.deps.metrics.error("chain");
            tracing::warn!(update_id = ctx.update_id, error.message = %err, "chain failure while handling /wallet");
            WalletReply::ChainUnavailable.into()
        }
        WalletError::Repo(_) | WalletError::Vault(_) | WalletError::Tx(_) => {
            ctx.deps.metrics.error("wallet");
            tracing::error!(update_id = ctx.update_id, error.message = %e, error.cause_chain = ?e, "failure while handling /wallet");
            Reply::Internal
        }
    }
}

/// A press on a `/wallet` confirm or cancel button; the button is consumed atomically for its
/// owner only.
pub async fn button(ctx: &Ctx, nonce: &str, confirm: bool) -> HandlerResult {
    let kind = match ctx.deps.wallets.take(ctx.user_id, nonce).await {
        Ok(Some(kind)) => kind,
        Ok(None) => {
            ctx.answer(Some(Reply::StaleButton));
            return Ok(());
        }
        Err(e) => {
            ctx.answer(Some(error_reply(ctx, &e)));
            return Ok(());
        }
    };
    ctx.answer(None);
    if !confirm {
        ctx.edit(WalletReply::Cancelled);
        return Ok(());
    }
    let reply: Reply = match ctx.deps.wallets.perform(ctx.user_id, kind).await {
        Ok(Confirmed::Removed { address }) => WalletReply::Removed { address }.into(),
        Ok(Confirmed::ConfirmAgain(view)) => match view.kind {
            PendingKind::Remove { open_positions, .. } => {
                WalletReply::ConfirmRemove { nonce: view.nonce, address: view.address, open_positions, second: true }
                    .into()
            }
            _ => Reply::StaleButton,
        },
        Ok(Confirmed::Export { address, secret }) => {
            ctx.edit(WalletReply::ExportSent { address, ttl_secs: ctx.deps.wallet_export_ttl.as_secs() });
            return send_secret(ctx, secret).await;
        }
        Ok(Confirmed::Withdraw(Ok(done))) => WalletReply::Withdrawn(done).into(),
        Ok(Confirmed::Withdraw(Err(block))) => {
            if matches!(block, WithdrawBlock::LimitHit { .. }) {
                notify_admins(ctx, block).await;
            }
            WalletReply::WithdrawBlocked(block).into()
        }
        Ok(Confirmed::Cleaned(done)) => WalletReply::Cleaned(done).into(),
        Ok(Confirmed::Stale) => Reply::StaleButton,
        Err(e) => error_reply(ctx, &e),
    };
    ctx.edit(reply);
    Ok(())
}

/// Sends the secret once (protected from forwarding and saving), then deletes it after the
/// configured delay. The secret is zeroized as soon as the request is built.
async fn send_secret(ctx: &Ctx, secret: SecretKeyBytes) -> HandlerResult {
    let ttl = ctx.deps.wallet_export_ttl;
    let mut text = Zeroizing::new(tr(ctx.lang, "wallet.export.secret", &[("secs", &ttl.as_secs().to_string())]));
    text.push_str("\n\n");
    text.push_str(&secret.to_base58());
    drop(secret);
    let sent = ctx.send_protected(text.as_str().to_owned()).await;
    drop(text);
    let Ok(Some(message_id)) = sent else {
        tracing::warn!(update_id = ctx.update_id, "the exported key message was not delivered");
        return Ok(());
    };
    // Persist the deletion first, so a restart within the delay still deletes the message (the
    // sweeper handles overdue entries at start); the timer below deletes it on time.
    let scheduled = crate::ports::ScheduledDeletion { chat_id: ctx.chat, message_id: i64::from(message_id) };
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    let delete_at = chrono::Utc::now().timestamp_millis().saturating_add(ttl_ms);
    if let Err(e) = ctx.deps.deletions.schedule(scheduled, delete_at).await {
        tracing::error!(error.message = %e, chat_id = ctx.chat, "could not persist the key message deletion");
    }
    let ctx = ctx.clone();
    tokio::spawn(async move {
        tokio::time::sleep(ttl).await;
        match ctx.delete(message_id).await {
            Ok(()) => {
                let _ = ctx.deps.deletions.done(scheduled).await;
            }
            Err(e) => {
                tracing::warn!(error.message = %e, chat_id = ctx.chat, "could not delete the exported key message");
            }
        }
    });
    Ok(())
}

/// Tells every configured admin that outflows were frozen.
async fn notify_admins(ctx: &Ctx, block: WithdrawBlock) {
    for admin in ctx.deps.config_admins.iter() {
        // A configured admin who never talked to the bot is tried at their private chat, in English.
        let (chat, lang) = match ctx.deps.users.get(UserId(*admin)).await {
            Ok(Some(u)) => (u.chat_id, u.lang),
            _ => (*admin, Lang::En),
        };
        ctx.notify(UserId(*admin), chat, lang, WalletReply::AdminFrozen { user_id: ctx.user_id.0, block });
    }
}
