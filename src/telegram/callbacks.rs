//! Inline button presses. Every press acts only for the presser (`from.id`) and only on a
//! message in the presser's own private chat; anything else is answered as a stale button and
//! changes nothing.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{ChatId, MessageId};

use super::commands::register;
use super::keyboards::Callback;
use super::{BotDeps, HandlerResult, Reply, user_key};
use crate::app::livetrade::SetOutcome;
use crate::domain::lang::Lang;
use crate::domain::user::UserId;
use crate::domain::user_config::ConfigSetError;
use crate::ports::RepoError;

/// Entry point for callback queries.
pub(super) async fn handle(bot: Bot, q: CallbackQuery, deps: Arc<BotDeps>) -> HandlerResult {
    deps.metrics.update("callback_query");
    let lang_hint = Lang::from_telegram(q.from.language_code.as_deref());
    let target = q.regular_message().map(|m| (m.chat.id, m.id, m.chat.is_private()));
    let parsed = q.data.as_deref().and_then(Callback::parse);
    // The message must be in the presser's own private chat.
    let (Some(cb), Some((chat, message_id, true))) = (parsed, target) else {
        return answer(&bot, &q, Some(Reply::StaleButton.text(lang_hint))).await;
    };
    if chat.0 != user_key(q.from.id) {
        return answer(&bot, &q, Some(Reply::StaleButton.text(lang_hint))).await;
    }
    let user = match register(&deps, &q.from, chat).await {
        Ok((user, _)) => user,
        Err(e) => return storage_failed(&bot, &deps, &q, lang_hint, &e).await,
    };
    if let Callback::WalletConfirm(nonce) | Callback::WalletCancel(nonce) = &cb {
        let confirm = matches!(cb, Callback::WalletConfirm(_));
        return super::wallet::button(&bot, &deps, &q, (chat, message_id), &user, (nonce, confirm)).await;
    }
    let outcome = act(&deps, user.id, user.lang, cb).await;
    match outcome {
        Ok((lang, edit, toast)) => {
            if let Some(reply) = edit {
                edit_message(&bot, chat, message_id, lang, &reply).await?;
            }
            answer(&bot, &q, toast.map(|r| r.text(lang))).await
        }
        Err(e) => storage_failed(&bot, &deps, &q, user.lang, &e).await,
    }
}

/// Performs the button's action; returns the language to render in, the new message content
/// and an optional toast.
async fn act(
    deps: &BotDeps,
    user: UserId,
    lang: Lang,
    cb: Callback,
) -> Result<(Lang, Option<Reply>, Option<Reply>), RepoError> {
    Ok(match cb {
        Callback::Language(new_lang) => {
            deps.users.set_language(user, new_lang).await?;
            (new_lang, Some(Reply::LanguageSet), None)
        }
        Callback::SetEnabled(enabled) => {
            let cfg = deps.livetrade.set_enabled(user, enabled).await?;
            let toast = if enabled {
                Reply::LiveTradeEnabled { dry_run: cfg.dry_run || deps.livetrade.global_dry_run() }
            } else {
                Reply::LiveTradeDisabled
            };
            let view = deps.livetrade.status(user).await?;
            (lang, Some(Reply::Status(Box::new(view))), Some(toast))
        }
        Callback::ConfigMenu => {
            let cfg = deps.livetrade.config(user).await?;
            (lang, Some(Reply::ConfigMenu(Box::new(cfg))), None)
        }
        Callback::ConfigKey(key) => {
            let cfg = deps.livetrade.config(user).await?;
            (lang, Some(Reply::ConfigPick(key, Box::new(cfg))), None)
        }
        Callback::ConfigSet(key, value) => match deps.livetrade.set(user, key.name(), &value).await? {
            SetOutcome::Saved(k, cfg) => {
                let toast = Reply::ConfigUpdated(k, cfg.clone());
                (lang, Some(Reply::ConfigMenu(cfg)), Some(toast))
            }
            SetOutcome::Refused(ConfigSetError::ExposureBelowPosition) => {
                (lang, None, Some(Reply::ConfigExposureBelowPosition))
            }
            SetOutcome::Refused(_) | SetOutcome::UnknownKey => (lang, None, Some(Reply::ConfigInvalid { key, value })),
        },
        Callback::WalletConfirm(_) | Callback::WalletCancel(_) => (lang, None, Some(Reply::StaleButton)),
    })
}

pub(super) async fn edit_message(bot: &Bot, chat: ChatId, id: MessageId, lang: Lang, reply: &Reply) -> HandlerResult {
    let mut req = bot.edit_message_text(chat, id, reply.text(lang));
    if let Some(kb) = reply.keyboard(lang) {
        req = req.reply_markup(kb);
    }
    match req.await {
        Ok(_) => Ok(()),
        // Pressing a button that leaves the text unchanged is not an error.
        Err(teloxide::RequestError::Api(teloxide::ApiError::MessageNotModified)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn answer(bot: &Bot, q: &CallbackQuery, text: Option<String>) -> HandlerResult {
    let mut req = bot.answer_callback_query(q.id.clone());
    if let Some(text) = text {
        // Toasts are limited to 200 characters.
        req = req.text(text.chars().take(200).collect::<String>());
    }
    req.await?;
    Ok(())
}

async fn storage_failed(bot: &Bot, deps: &BotDeps, q: &CallbackQuery, lang: Lang, e: &RepoError) -> HandlerResult {
    deps.metrics.error("storage");
    tracing::error!(error.message = %e, error.cause_chain = ?e, "storage failure while handling a button");
    answer(bot, q, Some(Reply::Internal.text(lang))).await
}
