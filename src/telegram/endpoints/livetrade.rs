//! `/livetrade` and the status and settings buttons.

use super::{HandlerResult, private_only};
use crate::app::livetrade::SetOutcome;
use crate::domain::user_config::{ConfigKey, ConfigSetError};
use crate::ports::RepoError;
use crate::telegram::ctx::Ctx;
use crate::telegram::reply::Reply;

/// `/livetrade enable|disable|status|config [key value]`.
pub async fn command(ctx: &Ctx, arg: &str) -> HandlerResult {
    if !private_only(ctx) {
        return Ok(());
    }
    let lt = &ctx.deps.livetrade;
    let user = ctx.user_id;
    let mut words = arg.split_whitespace();
    let sub = words.next().map(str::to_ascii_lowercase);
    let reply = match sub.as_deref() {
        Some("enable" | "on") => {
            let c = lt.set_enabled(user, true).await?;
            Reply::LiveTradeEnabled { dry_run: c.dry_run || lt.global_dry_run() }
        }
        Some("disable" | "off") => {
            lt.set_enabled(user, false).await?;
            Reply::LiveTradeDisabled
        }
        Some("status") => Reply::Status(Box::new(lt.status(user).await?)),
        Some("config" | "settings") => {
            let key = words.next();
            let value = words.collect::<Vec<_>>().join(" ");
            config(ctx, key, &value).await?
        }
        Some(other) => {
            let known = ["enable", "disable", "status", "config", "settings", "on", "off"];
            if super::home::did_you_mean_sub(ctx, "livetrade", other, &known) {
                return Ok(());
            }
            Reply::LiveTradeUsage
        }
        None => Reply::LiveTradeUsage,
    };
    ctx.reply(reply);
    Ok(())
}

async fn config(ctx: &Ctx, key: Option<&str>, value: &str) -> Result<Reply, RepoError> {
    let lt = &ctx.deps.livetrade;
    let Some(key_text) = key else {
        return lt.config(ctx.user_id).await.map(|c| Reply::ConfigMenu(Box::new(c)));
    };
    if value.is_empty() {
        return Ok(match ConfigKey::parse(key_text) {
            Some(k) => Reply::ConfigMissingValue(k),
            None => Reply::ConfigUnknownKey { key: key_text.to_owned() },
        });
    }
    Ok(match lt.set(ctx.user_id, key_text, value).await? {
        SetOutcome::Saved(k, cfg) => Reply::ConfigUpdated(k, cfg),
        SetOutcome::UnknownKey | SetOutcome::Refused(ConfigSetError::UnknownKey) => {
            Reply::ConfigUnknownKey { key: key_text.to_owned() }
        }
        SetOutcome::Refused(ConfigSetError::InvalidValue(k)) => {
            Reply::ConfigInvalid { key: k, value: value.to_owned() }
        }
        SetOutcome::Refused(ConfigSetError::ExposureBelowPosition) => Reply::ConfigExposureBelowPosition,
    })
}

/// The Enable / Disable button under the status.
pub async fn set_enabled(ctx: &Ctx, enabled: bool) -> HandlerResult {
    let lt = &ctx.deps.livetrade;
    let cfg = lt.set_enabled(ctx.user_id, enabled).await?;
    let toast = if enabled {
        Reply::LiveTradeEnabled { dry_run: cfg.dry_run || lt.global_dry_run() }
    } else {
        Reply::LiveTradeDisabled
    };
    ctx.edit(Reply::Status(Box::new(lt.status(ctx.user_id).await?)));
    ctx.answer(Some(toast));
    Ok(())
}

/// The settings menu button.
pub async fn menu(ctx: &Ctx) -> HandlerResult {
    ctx.edit(Reply::ConfigMenu(Box::new(ctx.deps.livetrade.config(ctx.user_id).await?)));
    Ok(())
}

/// A setting's value picker.
pub async fn pick(ctx: &Ctx, key: ConfigKey) -> HandlerResult {
    ctx.edit(Reply::ConfigPick(key, Box::new(ctx.deps.livetrade.config(ctx.user_id).await?)));
    Ok(())
}

/// A preset value button.
pub async fn set(ctx: &Ctx, key: ConfigKey, value: String) -> HandlerResult {
    match ctx.deps.livetrade.set(ctx.user_id, key.name(), &value).await? {
        SetOutcome::Saved(k, cfg) => {
            ctx.edit(Reply::ConfigMenu(cfg.clone()));
            ctx.answer(Some(Reply::ConfigUpdated(k, cfg)));
        }
        SetOutcome::Refused(ConfigSetError::ExposureBelowPosition) => {
            ctx.answer(Some(Reply::ConfigExposureBelowPosition));
        }
        SetOutcome::Refused(_) | SetOutcome::UnknownKey => ctx.answer(Some(Reply::ConfigInvalid { key, value })),
    }
    Ok(())
}
