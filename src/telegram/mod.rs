//! Telegram adapter, in layers that import only downward:
//!
//! - [`callback`] and [`command`]: the typed button data and command enums (parsed once);
//! - [`reply`]: one [`Reply`] type, rendered per language (no sending);
//! - [`outbox`]: the one paced, retrying queue every Bot API call goes through, and the durable
//!   trade notices (the `Notifier` port);
//! - [`deps`] and [`ctx`]: the services and the per-update context, whose methods are the only
//!   way to send;
//! - [`endpoints`]: short translators into `app/` use-cases;
//! - [`router`]: the routing table and error handling.
//!
//! [`broadcast`], [`deletions`] and [`webhook`] are adapters used by startup.

pub mod broadcast;
pub mod callback;
pub mod command;
pub mod ctx;
pub mod deletions;
pub mod deps;
pub mod endpoints;
pub mod outbox;
pub mod reply;
pub mod router;
pub mod webhook;

use teloxide::prelude::*;
use teloxide::types::BotCommandScope;

pub use command::{AdminCommand, Command};
pub use deps::{AdminDeps, BotDeps};
pub use reply::Reply;
pub use router::schema;

use crate::domain::lang::Lang;

/// Registers the command menu with Telegram: a default (English) list plus one per locale.
///
/// # Errors
/// Bot API failures.
pub async fn register_commands(bot: &Bot) -> Result<(), teloxide::RequestError> {
    bot.set_my_commands(Command::localized(Lang::En)).scope(BotCommandScope::Default).await?;
    for lang in Lang::ALL {
        bot.set_my_commands(Command::localized(lang)).language_code(lang.code()).await?;
    }
    Ok(())
}
