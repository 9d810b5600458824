//! The command enums: trader commands (their doc comments are the `/help` fallbacks), admin
//! commands (kept out of every trader's `/help` and command menu) and `/source`.

use teloxide::utils::command::{BotCommands, ParseError};

use crate::domain::lang::Lang;
use crate::i18n::tr;

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
    /// Copy trading (`/copy add <address> [name] [sol]`, `list`, `remove <name>`, `set <name> key=value …`).
    #[command(description = "copy trading: add | list | remove | set", parse_with = rest)]
    Copy(String),
    /// Resting limit orders (`/limit buy <mint> <sol|5%> <trigger> [expiry]`, `/limit sell …`).
    #[command(description = "limit orders: /limit buy|sell <mint|#position> <size> <trigger> [expiry]", parse_with = rest)]
    Limit(String),
    /// DCA (`/dca buy|sell <mint|#position> <total> <slices> <interval>`).
    #[command(description = "DCA: /dca buy|sell <mint|#position> <total> <slices> <interval>", parse_with = rest)]
    Dca(String),
    /// Resting orders, a cancel button each (`/orders [cancel <id>]`).
    #[command(description = "resting orders: list | cancel <id>", parse_with = rest)]
    Orders(String),
    /// One position's exits (`/exits <#id> [sl|tp|trail|time <value|off> | breakeven | off]`).
    #[command(description = "a position's exits: /exits <#id> [sl|tp|trail|time <value|off> | breakeven | off]", parse_with = rest)]
    Exits(String),
    /// Sell every open position and turn new entries off (asks to confirm).
    #[command(description = "sell everything now and stop new entries")]
    Panic,
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

    /// The command's name (metrics label).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Help => "help",
            Self::Language(_) => "language",
            Self::Livetrade(_) => "livetrade",
            Self::Wallet(_) => "wallet",
            Self::Buy(_) => "buy",
            Self::Sell(_) => "sell",
            Self::Positions(_) => "positions",
            Self::Alerts(_) => "alerts",
            Self::Copy(_) => "copy",
            Self::Limit(_) => "limit",
            Self::Dca(_) => "dca",
            Self::Orders(_) => "orders",
            Self::Exits(_) => "exits",
            Self::Panic => "panic",
        }
    }

    /// Whether the command may run in a group: only the ones that neither change state nor show
    /// private data.
    pub fn allowed_in_groups(&self) -> bool {
        matches!(self, Self::Start | Self::Help)
    }
}

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
    /// Alert sources (`/source add <chat_id|@username> <kind> <name>`, `remove <name>`, `list`).
    #[command(description = "alert sources: add | remove | list", parse_with = rest)]
    Source(String),
}

impl AdminCommand {
    /// Command names without the leading slash, in enum order.
    pub fn names() -> Vec<String> {
        Self::bot_commands().into_iter().map(|c| c.command.trim_start_matches('/').to_owned()).collect()
    }

    /// The command's name (metrics and audit label).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Admin(_) => "admin",
            Self::Broadcast(_) => "broadcast",
            Self::Killswitch(_) => "killswitch",
            Self::Pause(_) => "pause",
            Self::Unpause(_) => "unpause",
            Self::Stats(_) => "stats",
            Self::Source(_) => "source",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_commands_parse_with_their_arguments() {
        let cmd = AdminCommand::parse("/admin add 42", "bot").ok();
        assert_eq!(cmd, Some(AdminCommand::Admin("add 42".to_owned())));
        assert_eq!(AdminCommand::parse("/stats", "bot").ok(), Some(AdminCommand::Stats(String::new())));
        assert_eq!(AdminCommand::parse("/source list", "bot").ok(), Some(AdminCommand::Source("list".to_owned())));
    }

    #[test]
    fn only_start_and_help_run_in_groups() {
        let allowed: Vec<_> = Command::names()
            .iter()
            .filter_map(|n| Command::parse(&format!("/{n} x"), "bot").ok())
            .filter(Command::allowed_in_groups)
            .map(|c| c.name())
            .collect();
        assert_eq!(allowed, ["start", "help"]);
    }
}
