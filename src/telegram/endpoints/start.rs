//! `/help` and `/language` (command and buttons); `/start` and unknown commands are in `home.rs`.

use super::{HandlerResult, private_only};
use crate::domain::lang::Lang;
use crate::telegram::ctx::Ctx;
use crate::telegram::reply::Reply;

/// `/help`.
pub async fn help(ctx: &Ctx) -> HandlerResult {
    ctx.reply(Reply::Help);
    Ok(())
}

/// `/language [code]` (private chats only: it changes a setting).
pub async fn language(ctx: &Ctx, arg: &str) -> HandlerResult {
    if !private_only(ctx) {
        return Ok(());
    }
    if arg.is_empty() {
        ctx.reply(Reply::LanguagePicker);
        return Ok(());
    }
    let Some(new_lang) = Lang::from_code(arg) else {
        ctx.reply(Reply::LanguageUnknown { value: arg.to_owned() });
        return Ok(());
    };
    ctx.deps.users.set_language(ctx.user_id, new_lang).await?;
    ctx.reply_in(new_lang, Reply::LanguageSet);
    Ok(())
}

/// The language buttons.
pub async fn language_button(ctx: &Ctx, new_lang: Lang) -> HandlerResult {
    ctx.deps.users.set_language(ctx.user_id, new_lang).await?;
    ctx.edit_in(new_lang, Reply::LanguageSet);
    Ok(())
}
