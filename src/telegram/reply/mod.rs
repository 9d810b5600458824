//! Every user-visible message: one [`Reply`] type (with the wallet, admin, trading and alerts
//! families as variants), rendered from `locales/` in the user's language. Nothing here sends.

pub mod admin;
pub mod alerts;
pub mod card;
pub mod chart;
pub mod copy;
pub mod home;
pub mod keyboards;
pub mod labels;
pub mod orders;
pub mod pics;
pub mod reason;
pub mod safety;
pub mod trade;
pub mod wallet;

pub use alerts::notice_keyboard;
pub use labels::{key_allowed, key_label};
pub use reason::reason_text;
pub use trade::{exit_reason_text, render_notice, render_working};

use rust_decimal::Decimal;
use teloxide::types::InlineKeyboardMarkup;

use crate::app::livetrade::StatusView;
use crate::domain::lang::Lang;
use crate::domain::money::Lamports;
use crate::domain::user_config::{ConfigKey, UserConfig};
use crate::i18n::tr;

/// A message the bot sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// After `/start`.
    Welcome {
        /// First name.
        name: String,
        /// Already registered before.
        returning: bool,
    },
    /// `/help`.
    Help,
    /// `/language` without an argument.
    LanguagePicker,
    /// Language changed (rendered in the new language).
    LanguageSet,
    /// `/language xx` with an unsupported code.
    LanguageUnknown {
        /// What the user typed.
        value: String,
    },
    /// `/livetrade` without or with a wrong subcommand.
    LiveTradeUsage,
    /// Trading enabled.
    LiveTradeEnabled {
        /// Whether the user (or the bot) is in dry-run.
        dry_run: bool,
    },
    /// Trading disabled.
    LiveTradeDisabled,
    /// `/livetrade status`.
    Status(Box<StatusView>),
    /// `/livetrade config` menu.
    ConfigMenu(Box<UserConfig>),
    /// Value picker for one key.
    ConfigPick(ConfigKey, Box<UserConfig>),
    /// A key was changed.
    ConfigUpdated(ConfigKey, Box<UserConfig>),
    /// Unknown key.
    ConfigUnknownKey {
        /// What the user typed.
        key: String,
    },
    /// Value refused.
    ConfigInvalid {
        /// The key.
        key: ConfigKey,
        /// What the user typed.
        value: String,
    },
    /// `config key` without a value.
    ConfigMissingValue(ConfigKey),
    /// Exposure would be below position size.
    ConfigExposureBelowPosition,
    /// Command refused outside a private chat.
    PrivateOnly,
    /// An internal error; nothing changed.
    Internal,
    /// `/something` we do not know.
    UnknownCommand,
    /// A button whose data we do not understand or may not act on.
    StaleButton,
    /// A `/wallet` message.
    Wallet(Box<wallet::WalletReply>),
    /// An admin message (`/admin`, `/broadcast`, `/killswitch`, `/pause`, `/stats`).
    Admin(Box<admin::AdminReply>),
    /// A trading message (`/buy`, `/sell`, `/positions`, token cards).
    Trade(Box<trade::TradeReply>),
    /// An alerts message (`/alerts`, `/source`).
    Alerts(Box<alerts::AlertsReply>),
    /// A copy-trading message (`/copy`).
    Copy(Box<copy::CopyReply>),
    /// A resting-orders or panic message (`/limit`, `/dca`, `/orders`, `/panic`).
    Orders(Box<orders::OrdersReply>),
    /// A handler failed unexpectedly; nothing is known to have changed.
    Apology,
    /// A buttons-first screen (home, menus, prompts, hints), in HTML.
    Ux(Box<home::UxReply>),
    /// Picture captions.
    Pics(Box<pics::PicsReply>),
    /// Another reply shown as a menu screen: its text (escaped unless already HTML) and its
    /// buttons, plus a Back row (to `back`, when set) and a Home button.
    Screen {
        /// The reply shown.
        inner: Box<Reply>,
        /// Where Back goes.
        back: Option<crate::telegram::callback::Callback>,
    },
}

fn sol(l: Lamports) -> String {
    l.to_sol().normalize().to_string()
}

fn signed_sol(lamports: i64) -> String {
    (Decimal::from(lamports) / Decimal::from(crate::domain::money::LAMPORTS_PER_SOL)).normalize().to_string()
}

/// A unix-ms instant as `HH:MM:SS` (UTC; the locale text says "UTC"), empty when out of range.
fn utc_clock(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(String::new, |t| {
        use chrono::Timelike;
        format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
    })
}

fn on_off(lang: Lang, v: bool) -> String {
    tr(lang, if v { "common.on" } else { "common.off" }, &[])
}

impl Reply {
    /// The message text in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Self::Welcome { name, returning } => {
                tr(lang, if *returning { "start.welcome_back" } else { "start.welcome" }, &[("name", name)])
            }
            Self::Help => {
                let mut lines = vec![tr(lang, "help.header", &[])];
                for c in crate::telegram::command::Command::localized(lang) {
                    lines.push(format!("/{} - {}", c.command, c.description));
                }
                lines.push(String::new());
                lines.push(tr(lang, "help.footer", &[]));
                lines.join("\n")
            }
            Self::LanguagePicker => tr(lang, "language.choose", &[]),
            Self::LanguageSet => tr(lang, "language.set", &[]),
            Self::LanguageUnknown { value } => {
                let available = Lang::ALL.iter().map(|l| l.code()).collect::<Vec<_>>().join(", ");
                tr(lang, "language.unknown", &[("value", value), ("available", &available)])
            }
            Self::LiveTradeUsage => tr(lang, "livetrade.usage", &[]),
            Self::LiveTradeEnabled { dry_run } => {
                tr(lang, if *dry_run { "livetrade.enabled_dry_run" } else { "livetrade.enabled" }, &[])
            }
            Self::LiveTradeDisabled => tr(lang, "livetrade.disabled", &[]),
            Self::Status(view) => {
                let state =
                    tr(lang, if view.config.trading_enabled { "common.enabled" } else { "common.disabled" }, &[]);
                let mut text = tr(
                    lang,
                    "livetrade.status",
                    &[
                        ("state", &state),
                        ("dry_run", &on_off(lang, view.config.dry_run || view.global_dry_run)),
                        ("pnl", &signed_sol(view.summary.realized_today_lamports)),
                        ("exposure", &sol(view.summary.exposure)),
                        ("open", &view.summary.open_positions.to_string()),
                        ("limit", &sol(view.config.max_total_exposure)),
                    ],
                );
                if view.stats.trades > 0 {
                    let s = &view.stats;
                    let hold_minutes = (s.avg_hold_ms / 60_000).to_string();
                    let none = tr(lang, "livetrade.stats_na", &[]);
                    text.push_str("\n\n");
                    text.push_str(&tr(
                        lang,
                        "livetrade.stats",
                        &[
                            ("trades", &s.trades.to_string()),
                            ("win", &s.win_rate_pct.to_string()),
                            ("pf", &s.profit_factor.map_or_else(|| none.clone(), |d| d.to_string())),
                            ("dd", &sol(crate::domain::money::Lamports(s.max_drawdown))),
                            ("hold", &hold_minutes),
                            ("sharpe", &s.sharpe.map_or_else(|| none.clone(), |d| d.to_string())),
                            ("total", &signed_sol(s.total_pnl)),
                        ],
                    ));
                }
                if view.global_dry_run {
                    text.push_str("\n\n");
                    text.push_str(&tr(lang, "livetrade.global_dry_run", &[]));
                }
                let halt = match view.kill_switch {
                    crate::domain::risk::KillSwitch::Off => None,
                    crate::domain::risk::KillSwitch::Entries => Some("livetrade.kill_switch_entries"),
                    crate::domain::risk::KillSwitch::Hard => Some("livetrade.kill_switch_hard"),
                };
                for key in halt.into_iter().chain(view.paused.then_some("livetrade.paused")) {
                    text.push_str("\n\n");
                    text.push_str(&tr(lang, key, &[]));
                }
                text
            }
            Self::ConfigMenu(config) => {
                let mut lines = vec![tr(lang, "config.title", &[]), String::new()];
                for key in ConfigKey::ALL {
                    lines.push(format!("{} ({}) = {}", key_label(lang, key), key.name(), config.display(key)));
                }
                lines.join("\n")
            }
            Self::ConfigPick(key, config) => tr(
                lang,
                "config.pick",
                &[
                    ("label", &key_label(lang, *key)),
                    ("key", key.name()),
                    ("value", &config.display(*key)),
                    ("allowed", &key_allowed(lang, *key)),
                ],
            ),
            Self::ConfigUpdated(key, config) => tr(
                lang,
                "config.updated",
                &[("label", &key_label(lang, *key)), ("key", key.name()), ("value", &config.display(*key))],
            ),
            Self::ConfigUnknownKey { key } => {
                let keys = ConfigKey::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ");
                tr(lang, "config.unknown_key", &[("key", key), ("keys", &keys)])
            }
            Self::ConfigInvalid { key, value } => tr(
                lang,
                "config.invalid_value",
                &[("value", value), ("key", key.name()), ("allowed", &key_allowed(lang, *key))],
            ),
            Self::ConfigMissingValue(key) => tr(
                lang,
                "config.missing_value",
                &[
                    ("key", key.name()),
                    ("example", key.presets().first().copied().unwrap_or("")),
                    ("allowed", &key_allowed(lang, *key)),
                ],
            ),
            Self::ConfigExposureBelowPosition => tr(lang, "config.exposure_below_position", &[]),
            Self::PrivateOnly => tr(lang, "errors.private_only", &[]),
            Self::Internal => tr(lang, "errors.internal", &[]),
            Self::UnknownCommand => tr(lang, "errors.unknown_command", &[]),
            Self::StaleButton => tr(lang, "errors.stale_button", &[]),
            Self::Wallet(w) => w.text(lang),
            Self::Admin(a) => a.text(lang),
            Self::Trade(t) => t.text(lang),
            Self::Alerts(a) => a.text(lang),
            Self::Copy(c) => c.text(lang),
            Self::Orders(o) => o.text(lang),
            Self::Apology => tr(lang, "errors.apology", &[]),
            Self::Ux(u) => u.text(lang),
            Self::Pics(p) => p.text(lang),
            Self::Screen { inner, .. } => {
                if inner.is_html() {
                    inner.text(lang)
                } else {
                    home::esc(&inner.text(lang))
                }
            }
        }
    }

    /// Whether the text is HTML (sent with `parse_mode=HTML`).
    pub fn is_html(&self) -> bool {
        matches!(self, Self::Ux(_) | Self::Screen { .. })
    }

    /// The inline keyboard that goes with the message, if any.
    pub fn keyboard(&self, lang: Lang) -> Option<InlineKeyboardMarkup> {
        match self {
            Self::LanguagePicker => Some(keyboards::languages()),
            Self::Status(view) => Some(keyboards::status(lang, view.config.trading_enabled)),
            Self::ConfigMenu(config) | Self::ConfigUpdated(_, config) => Some(keyboards::config_menu(lang, config)),
            Self::ConfigPick(key, _) => Some(keyboards::config_pick(lang, *key)),
            Self::Wallet(w) => w.keyboard(lang),
            Self::Admin(a) => a.keyboard(lang),
            Self::Trade(t) => t.keyboard(lang),
            Self::Ux(u) => u.keyboard(lang),
            Self::Screen { inner, back } => Some(home::with_nav(lang, inner.keyboard(lang), back.as_ref())),
            Self::Orders(o) => o.keyboard(lang),
            _ => None,
        }
    }
}

impl From<wallet::WalletReply> for Reply {
    fn from(r: wallet::WalletReply) -> Self {
        Self::Wallet(Box::new(r))
    }
}

impl From<admin::AdminReply> for Reply {
    fn from(r: admin::AdminReply) -> Self {
        Self::Admin(Box::new(r))
    }
}

impl From<trade::TradeReply> for Reply {
    fn from(r: trade::TradeReply) -> Self {
        Self::Trade(Box::new(r))
    }
}

impl From<orders::OrdersReply> for Reply {
    fn from(r: orders::OrdersReply) -> Self {
        Self::Orders(Box::new(r))
    }
}

impl From<alerts::AlertsReply> for Reply {
    fn from(r: alerts::AlertsReply) -> Self {
        Self::Alerts(Box::new(r))
    }
}

impl From<copy::CopyReply> for Reply {
    fn from(r: copy::CopyReply) -> Self {
        Self::Copy(Box::new(r))
    }
}

impl From<pics::PicsReply> for Reply {
    fn from(r: pics::PicsReply) -> Self {
        Self::Pics(Box::new(r))
    }
}

impl From<home::UxReply> for Reply {
    fn from(r: home::UxReply) -> Self {
        Self::Ux(Box::new(r))
    }
}
