//! Telegram adapter: the routing table, commands and callback buttons.
//!
//! Handlers only translate: extract the user and arguments, call `app/`, render a [`Reply`].
//! Domain and storage errors become localized replies; only Bot API transport errors reach the
//! dispatcher's error handler.

pub mod admin;
pub mod admin_reply;
pub mod alerts;
pub mod alerts_reply;
pub mod broadcast;
mod callbacks;
pub mod chart;
mod commands;
pub mod deletions;
pub mod keyboards;
pub mod notifier;
pub mod reply;
pub mod trade_reply;
mod trading;
mod wallet;
pub mod wallet_reply;
pub mod webhook;

use std::collections::HashSet;
use std::sync::Arc;

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::BotCommandScope;
use teloxide::utils::command::{BotCommands, ParseError};

use crate::app::livetrade::LiveTrade;
use crate::app::wallet::Wallets;
use crate::domain::lang::Lang;
use crate::i18n::tr;
use crate::ports::{ChainClient, UserRepo};
use crate::telemetry::{Liveness, Metrics};

pub use reply::Reply;

/// Errors that reach the dispatcher (Bot API transport only).
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;
/// Handler result.
pub type HandlerResult = Result<(), HandlerError>;

/// Bot commands. The doc/description texts are English fallbacks; `/help` and the command menu
/// are localized from `cmd.<name>` keys in `locales/`.
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Register and show the welcome message.
    #[command(description = "register and show the welcome message")]
    Start,
    /// List the commands.
    #[command(description = "list the commands")]
    Help,
    /// Choose the interface language (`/language [en|ru|zh]`).
    #[command(description = "choose the interface language", parse_with = rest)]
    Language(String),
    /// Live trading (`/livetrade enable|disable|status|config [key value]`).
    #[command(description = "live trading: enable | disable | status | config [key value]", parse_with = rest)]
    Livetrade(String),
    /// Custodial wallets (`/wallet add|import|list|default|balance|remove|export|withdraw|allowlist`).
    #[command(description = "wallets: add | import | list | default | balance | remove | export | withdraw", parse_with = rest)]
    Wallet(String),
    /// Buy a token (`/buy <mint> <sol>`).
    #[command(description = "buy a token: /buy <mint> <sol>", parse_with = rest)]
    Buy(String),
    /// Sell a token (`/sell <mint|position id> [percent]`).
    #[command(description = "sell a token: /sell <mint|position id> [percent]", parse_with = rest)]
    Sell(String),
    /// Positions (`/positions [close <id> [percent] | history [page] | chart]`).
    #[command(description = "open positions, close, history, chart", parse_with = rest)]
    Positions(String),
    /// Alert sources and subscriptions (`/alerts [subscribe|unsubscribe|set <source> …]`).
    #[command(description = "alert sources: subscribe | unsubscribe | set", parse_with = rest)]
    Alerts(String),
}

/// Takes everything after the command as one trimmed argument (possibly empty).
fn rest(input: String) -> Result<(String,), ParseError> {
    Ok((input.trim().to_owned(),))
}

impl Command {
    /// Command names without the leading slash, in enum order.
    pub fn names() -> Vec<String> {
        Self::bot_commands().into_iter().map(|c| c.command.trim_start_matches('/').to_owned()).collect()
    }

    /// The command list in `lang`, for `/help` and `setMyCommands`.
    pub fn localized(lang: Lang) -> Vec<teloxide::types::BotCommand> {
        Self::names()
            .into_iter()
            .map(|name| {
                let description = tr(lang, &format!("cmd.{name}"), &[]);
                teloxide::types::BotCommand::new(name, description)
            })
            .collect()
    }
}

/// Everything handlers need, injected through `dptree::deps!`.
#[derive(Clone)]
pub struct BotDeps {
    /// Users.
    pub users: Arc<dyn UserRepo>,
    /// `/livetrade` use-cases.
    pub livetrade: LiveTrade,
    /// `/wallet` use-cases.
    pub wallets: Wallets,
    /// Solana RPC (Helius).
    pub chain: Arc<dyn ChainClient>,
    /// How long an exported secret stays in the chat.
    pub wallet_export_ttl: std::time::Duration,
    /// Admins from configuration.
    pub config_admins: Arc<HashSet<i64>>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Liveness (updated on every successful Bot API call we make).
    pub liveness: Arc<Liveness>,
    /// Persisted schedule of bot messages to delete (exported keys).
    pub deletions: Arc<dyn crate::ports::DeletionSchedule>,
    /// The trading core (`None` when no venue router is configured).
    pub trading: Option<crate::app::trade::Trading>,
    /// Alert sources, subscriptions and the duplicate-call filter.
    pub alerts: crate::app::connector::AlertServices,
    /// Admin use-cases (roles, kill switch, pauses, stats, broadcasts).
    pub admin: admin::AdminDeps,
}

impl std::fmt::Debug for BotDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotDeps").field("livetrade", &self.livetrade).finish_non_exhaustive()
    }
}

/// The routing table: commands, unknown commands, and callback buttons.
pub fn schema() -> UpdateHandler<HandlerError> {
    let messages = Update::filter_message()
        .branch(dptree::entry().filter_command::<Command>().endpoint(commands::handle))
        .branch(admin::branch())
        .branch(alerts::source_branch())
        .branch(
            dptree::filter(|msg: Message| msg.text().is_some_and(|t| t.starts_with('/'))).endpoint(commands::unknown),
        )
        .branch(dptree::filter(|msg: Message| trading::is_token_paste(&msg)).endpoint(trading::paste))
        .branch(dptree::filter(|msg: Message| alerts::is_group_post(&msg)).endpoint(alerts::group_post));
    let callbacks = Update::filter_callback_query()
        .branch(
            dptree::filter(|q: CallbackQuery| q.data.as_deref().is_some_and(|d| d.starts_with("pos:")))
                .endpoint(trading::callback),
        )
        .branch(
            dptree::filter(|q: CallbackQuery| q.data.as_deref().is_some_and(|d| d.starts_with("tc:")))
                .endpoint(trading::card_callback),
        )
        .branch(
            dptree::filter(|q: CallbackQuery| admin::is_broadcast_button(q.data.as_deref())).endpoint(admin::callback),
        )
        .branch(
            dptree::filter(|q: CallbackQuery| alerts::is_alert_button(q.data.as_deref())).endpoint(alerts::callback),
        )
        .branch(dptree::endpoint(callbacks::handle));
    // Channel posts must be registered or Telegram never sends them; edited posts are not.
    let channel_posts = Update::filter_channel_post().endpoint(alerts::channel_post);
    dptree::entry().branch(messages).branch(callbacks).branch(channel_posts)
}

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

/// Converts a Telegram user id to our `i64` key.
fn user_key(id: teloxide::types::UserId) -> i64 {
    i64::try_from(id.0).unwrap_or(i64::MAX)
}
