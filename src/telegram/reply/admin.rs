//! Admin messages (`/admin`, `/broadcast`, `/killswitch`, `/pause`, `/unpause`, `/stats`),
//! rendered from `locales/` in the admin's language.

use rust_decimal::Decimal;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::domain::lang::Lang;
use crate::domain::money::LAMPORTS_PER_SOL;
use crate::domain::risk::KillSwitch;
use crate::i18n::tr;
use crate::ports::admin::{BotStats, BroadcastProgress, BroadcastState};
use crate::solana::submit::SendPath;
use crate::telegram::callback::Callback;
use crate::telegram::command::AdminCommand;
use crate::telemetry::PathLanding;

/// Error rates shown by `/stats` (counters since the process started).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ErrorRates {
    /// RPC attempts.
    pub rpc_requests: u64,
    /// RPC attempts that did not succeed.
    pub rpc_failed: u64,
    /// Telegram requests (updates handled plus broadcast sends).
    pub telegram_requests: u64,
    /// Telegram errors.
    pub telegram_errors: u64,
    /// The execution breaker while it refuses entries: (consecutive failures, next probe at
    /// unix ms); `None` when closed.
    pub breaker_open: Option<(u32, i64)>,
    /// Live trade landing per send path, in [`SendPath::ALL`] order.
    pub landing: [PathLanding; 3],
}

/// An admin message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminReply {
    /// An admin command from a non-admin; nothing changed.
    NotAdmin,
    /// `/admin` without or with a wrong subcommand: the admin command list.
    Usage,
    /// Not a numeric Telegram user id.
    BadUserId {
        /// What was typed.
        value: String,
    },
    /// The user never talked to the bot.
    UserNotFound {
        /// User id.
        id: i64,
    },
    /// Admin role granted.
    AdminAdded {
        /// User id.
        id: i64,
    },
    /// Already an admin.
    AlreadyAdmin {
        /// User id.
        id: i64,
    },
    /// Admin role revoked.
    AdminRemoved {
        /// User id.
        id: i64,
    },
    /// Not an admin (nothing to revoke).
    NotAnAdmin {
        /// User id.
        id: i64,
    },
    /// Admin by `ADMIN_USER_IDS`; only the configuration can revoke it.
    ConfigAdmin {
        /// User id.
        id: i64,
    },
    /// `/admin list`.
    AdminList {
        /// From `ADMIN_USER_IDS`.
        configured: Vec<i64>,
        /// Stored (id, @username).
        persisted: Vec<(i64, Option<String>)>,
    },
    /// The kill switch now (`/killswitch` without an argument or with a wrong one).
    KillSwitchState(KillSwitch),
    /// The kill switch was set.
    KillSwitchSet(KillSwitch),
    /// `/pause` or `/unpause` without a user id.
    PauseUsage,
    /// A user was paused (`true`) or unpaused.
    PauseSet {
        /// User id.
        id: i64,
        /// Paused.
        paused: bool,
    },
    /// `/stats`.
    Stats(Box<(BotStats, ErrorRates)>),
    /// `/broadcast` with nothing to send.
    BroadcastUsage,
    /// Under the preview: how many recipients, Confirm and Cancel.
    BroadcastConfirm {
        /// Broadcast id.
        id: i64,
        /// Active users now.
        recipients: u64,
    },
    /// Toast: delivery started.
    BroadcastStarted {
        /// Recipients.
        recipients: u64,
    },
    /// The draft was cancelled before sending.
    BroadcastCancelled,
    /// Toast: a running broadcast will stop.
    BroadcastStopping,
    /// The progress message.
    BroadcastProgress(BroadcastProgress),
}

fn sol(lamports: i64) -> String {
    (Decimal::from(lamports) / Decimal::from(LAMPORTS_PER_SOL)).normalize().to_string()
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0".to_owned();
    }
    (Decimal::from(part) * Decimal::from(100) / Decimal::from(whole)).round_dp(2).normalize().to_string()
}

fn time(ms: Option<i64>, lang: Lang) -> String {
    ms.and_then(chrono::DateTime::<chrono::Utc>::from_timestamp_millis)
        .map_or_else(|| tr(lang, "stats.never", &[]), |t| t.format("%Y-%m-%dT%H:%MZ").to_string())
}

fn kill_switch_name(lang: Lang, state: KillSwitch) -> String {
    tr(lang, &format!("killswitch.state_{}", state.code()), &[])
}

impl AdminReply {
    /// The message text in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Self::NotAdmin => tr(lang, "admin.not_admin", &[]),
            Self::Usage => {
                let mut lines = vec![tr(lang, "admin.usage_header", &[])];
                for name in AdminCommand::names() {
                    lines.push(format!("/{name} - {}", tr(lang, &format!("cmd.{name}"), &[])));
                }
                lines.join("\n")
            }
            Self::BadUserId { value } => tr(lang, "admin.bad_user_id", &[("value", value)]),
            Self::UserNotFound { id } => tr(lang, "admin.user_not_found", &[("id", &id.to_string())]),
            Self::AdminAdded { id } => tr(lang, "admin.added", &[("id", &id.to_string())]),
            Self::AlreadyAdmin { id } => tr(lang, "admin.already", &[("id", &id.to_string())]),
            Self::AdminRemoved { id } => tr(lang, "admin.removed", &[("id", &id.to_string())]),
            Self::NotAnAdmin { id } => tr(lang, "admin.not_an_admin", &[("id", &id.to_string())]),
            Self::ConfigAdmin { id } => tr(lang, "admin.config_admin", &[("id", &id.to_string())]),
            Self::AdminList { configured, persisted } => {
                let configured = configured.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
                let persisted = persisted
                    .iter()
                    .map(|(id, name)| name.as_ref().map_or_else(|| id.to_string(), |n| format!("{id} (@{n})")))
                    .collect::<Vec<_>>()
                    .join(", ");
                let none = tr(lang, "admin.none", &[]);
                let or_none = |s: String| if s.is_empty() { none.clone() } else { s };
                tr(lang, "admin.list", &[("configured", &or_none(configured)), ("persisted", &or_none(persisted))])
            }
            Self::KillSwitchState(state) => tr(lang, "killswitch.state", &[("state", &kill_switch_name(lang, *state))]),
            Self::KillSwitchSet(state) => tr(lang, &format!("killswitch.set_{}", state.code()), &[]),
            Self::PauseUsage => tr(lang, "admin.pause_usage", &[]),
            Self::PauseSet { id, paused } => {
                tr(lang, if *paused { "admin.paused" } else { "admin.unpaused" }, &[("id", &id.to_string())])
            }
            Self::Stats(stats) => stats_text(lang, &stats.0, &stats.1),
            Self::BroadcastUsage => tr(lang, "broadcast.usage", &[]),
            Self::BroadcastConfirm { id, recipients } => {
                tr(lang, "broadcast.confirm", &[("id", &id.to_string()), ("recipients", &recipients.to_string())])
            }
            Self::BroadcastStarted { recipients } => {
                tr(lang, "broadcast.started", &[("recipients", &recipients.to_string())])
            }
            Self::BroadcastCancelled => tr(lang, "broadcast.cancelled", &[]),
            Self::BroadcastStopping => tr(lang, "broadcast.stopping", &[]),
            Self::BroadcastProgress(p) => progress_text(lang, p),
        }
    }

    /// The inline keyboard that goes with the message, if any.
    pub fn keyboard(&self, lang: Lang) -> Option<InlineKeyboardMarkup> {
        match self {
            Self::BroadcastConfirm { id, .. } => Some(InlineKeyboardMarkup::new([[
                InlineKeyboardButton::callback(
                    tr(lang, "button.broadcast_confirm", &[]),
                    Callback::BroadcastConfirm(*id).data(),
                ),
                InlineKeyboardButton::callback(
                    tr(lang, "button.broadcast_cancel", &[]),
                    Callback::BroadcastCancel(*id).data(),
                ),
            ]])),
            Self::BroadcastProgress(p) if p.finished.is_none() => {
                Some(InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
                    tr(lang, "button.broadcast_stop", &[]),
                    Callback::BroadcastStop(p.id).data(),
                )]]))
            }
            _ => None,
        }
    }
}

fn progress_text(lang: Lang, p: &BroadcastProgress) -> String {
    let c = &p.counts;
    let key = match p.finished {
        None | Some(BroadcastState::Draft | BroadcastState::Running) => "broadcast.progress",
        Some(BroadcastState::Done) => "broadcast.done",
        Some(BroadcastState::Cancelled) => "broadcast.stopped",
    };
    let done = c.sent + c.blocked + c.failed + c.unknown;
    tr(
        lang,
        key,
        &[
            ("id", &p.id.to_string()),
            ("done", &done.to_string()),
            ("total", &c.total.to_string()),
            ("sent", &c.sent.to_string()),
            ("blocked", &c.blocked.to_string()),
            ("failed", &c.failed.to_string()),
            ("unknown", &c.unknown.to_string()),
            ("pending", &c.pending.to_string()),
        ],
    )
}

fn stats_text(lang: Lang, s: &BotStats, e: &ErrorRates) -> String {
    let mut text = tr(
        lang,
        "stats.body",
        &[
            ("users", &s.users_total.to_string()),
            ("active", &s.users_active.to_string()),
            ("trading", &s.users_trading.to_string()),
            ("paused", &s.users_paused.to_string()),
            ("wallets", &s.wallets.to_string()),
            ("open", &s.open_positions.to_string()),
            ("exposure", &sol(s.exposure_lamports)),
            ("trades", &s.trades_today.to_string()),
            ("volume", &sol(s.volume_today_lamports)),
            ("pnl", &sol(s.pnl_today_lamports)),
            ("rpc_failed", &e.rpc_failed.to_string()),
            ("rpc_total", &e.rpc_requests.to_string()),
            ("rpc_rate", &percent(e.rpc_failed, e.rpc_requests)),
            ("tg_errors", &e.telegram_errors.to_string()),
            ("tg_total", &e.telegram_requests.to_string()),
            ("tg_rate", &percent(e.telegram_errors, e.telegram_requests)),
        ],
    );
    text.push('\n');
    text.push_str(&match e.breaker_open {
        None => tr(lang, "stats.breaker_closed", &[]),
        Some((failures, until_ms)) => {
            let until = super::utc_clock(until_ms);
            tr(lang, "stats.breaker_open", &[("failures", &failures.to_string()), ("until", &until)])
        }
    });
    text.push_str("\n\n");
    text.push_str(&landing_text(lang, &e.landing));
    text.push_str("\n\n");
    text.push_str(&tr(lang, "stats.sources_header", &[]));
    if s.sources.is_empty() {
        text.push('\n');
        text.push_str(&tr(lang, "stats.no_sources", &[]));
    }
    for src in &s.sources {
        text.push('\n');
        text.push_str(&tr(
            lang,
            "stats.source",
            &[
                ("name", &src.name),
                ("last", &time(src.last_post_at_ms, lang)),
                ("alerts", &src.alerts.to_string()),
                ("trades", &src.trades.to_string()),
            ],
        ));
    }
    text
}

/// Landing per send path: sent, landed (rate), average slots to land, fees paid.
fn landing_text(lang: Lang, landing: &[PathLanding; 3]) -> String {
    let mut text = tr(lang, "stats.landing_header", &[]);
    let mut any = false;
    for (path, l) in SendPath::ALL.iter().zip(landing).filter(|(_, l)| l.sent > 0) {
        any = true;
        let slots = if l.slots_samples == 0 {
            "?".to_owned()
        } else {
            (Decimal::from(l.slots_total) / Decimal::from(l.slots_samples)).round_dp(1).normalize().to_string()
        };
        text.push('\n');
        text.push_str(&tr(
            lang,
            "stats.landing_path",
            &[
                ("path", &tr(lang, &format!("stats.path_{}", path.label()), &[])),
                ("sent", &l.sent.to_string()),
                ("landed", &l.landed.to_string()),
                ("rate", &percent(l.landed, l.sent)),
                ("slots", &slots),
                ("fees", &sol(i64::try_from(l.fees_lamports).unwrap_or(i64::MAX))),
            ],
        ));
    }
    if !any {
        text.push('\n');
        text.push_str(&tr(lang, "stats.landing_none", &[]));
    }
    text
}
