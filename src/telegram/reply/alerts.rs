//! Localized texts of `/source`, `/alerts`, alert notices and the confirm card.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::reason::reason_text;
use crate::domain::alert::AlertKind;
use crate::domain::alert::rules::{SettingKey, SubscriptionSettings};
use crate::domain::lang::Lang;
use crate::domain::money::Lamports;
use crate::i18n::tr;
use crate::ports::TradeNotice;
use crate::ports::alerts::AlertSource;
use crate::telegram::callback::Callback;

/// Rule codes with a localized text (`alerts.rule.<code>`).
pub const RULE_CODES: [&str; 5] = ["hours", "daily_cap", "max_mcap", "min_liquidity", "max_impact"];

/// A `/source` or `/alerts` reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertsReply {
    /// `/source` usage.
    SourceUsage,
    /// Not an admin.
    AdminOnly,
    /// Added.
    SourceAdded {
        /// Name.
        name: String,
        /// Chat id.
        chat: i64,
        /// Kind.
        kind: AlertKind,
    },
    /// Name taken.
    NameTaken(String),
    /// Chat registered under another name.
    ChatTaken(String),
    /// Unknown kind.
    BadKind(String),
    /// Chat cannot be resolved.
    BadChat(String),
    /// Name not allowed.
    BadName(String),
    /// Removed.
    SourceRemoved(String),
    /// Unknown source name.
    UnknownSource(String),
    /// `/source list`.
    SourceList(Vec<AlertSource>),
    /// `/alerts` usage.
    Usage,
    /// `/alerts`: sources and subscriptions.
    Overview {
        /// Every source.
        sources: Vec<AlertSource>,
        /// The user's subscriptions.
        subscribed: Vec<(AlertSource, SubscriptionSettings)>,
    },
    /// Subscribed.
    Subscribed {
        /// Source.
        name: String,
        /// Buy size.
        sol: Lamports,
    },
    /// Unsubscribed.
    Unsubscribed(String),
    /// Not subscribed.
    NotSubscribed(String),
    /// Bad buy size in `subscribe`.
    BadSol(String),
    /// Settings changed.
    SettingsSaved {
        /// Source.
        name: String,
        /// New settings.
        settings: Box<SubscriptionSettings>,
    },
    /// A value not allowed.
    BadValue {
        /// Key.
        key: SettingKey,
        /// Value typed.
        value: String,
    },
    /// Unknown key.
    UnknownKey(String),
    /// Not `key=value`.
    Malformed(String),
    /// A confirm button on an expired alert.
    Stale,
    /// A confirm button was accepted.
    Buying,
    /// The card was dismissed.
    Dismissed,
    /// Storage failure; nothing changed.
    Internal,
}

fn sol(l: Lamports) -> String {
    l.to_sol().normalize().to_string()
}

fn short(mint: &str) -> String {
    if mint.len() > 12 { format!("{}…{}", &mint[..4], &mint[mint.len() - 4..]) } else { mint.to_owned() }
}

/// `key=value` pairs of the settings (identifiers, not prose).
pub fn settings_line(s: &SubscriptionSettings) -> String {
    SettingKey::ALL.iter().map(|k| format!("{}={}", k.name(), s.display(*k))).collect::<Vec<_>>().join(" ")
}

fn keys_list() -> String {
    SettingKey::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
}

fn kinds_list() -> String {
    AlertKind::ALL.iter().map(|k| k.code()).collect::<Vec<_>>().join(", ")
}

impl AlertsReply {
    /// The text in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Self::SourceUsage => tr(lang, "alerts.source_usage", &[("kinds", &kinds_list())]),
            Self::AdminOnly => tr(lang, "alerts.admin_only", &[]),
            Self::SourceAdded { name, chat, kind } => {
                tr(lang, "alerts.source_added", &[("name", name), ("chat", &chat.to_string()), ("kind", kind.code())])
            }
            Self::NameTaken(name) => tr(lang, "alerts.name_taken", &[("name", name)]),
            Self::ChatTaken(name) => tr(lang, "alerts.chat_taken", &[("name", name)]),
            Self::BadKind(kind) => tr(lang, "alerts.bad_kind", &[("kind", kind), ("kinds", &kinds_list())]),
            Self::BadChat(chat) => tr(lang, "alerts.bad_chat", &[("chat", chat)]),
            Self::BadName(name) => tr(lang, "alerts.bad_name", &[("name", name)]),
            Self::SourceRemoved(name) => tr(lang, "alerts.source_removed", &[("name", name)]),
            Self::UnknownSource(name) => tr(lang, "alerts.unknown_source", &[("name", name)]),
            Self::SourceList(sources) => {
                if sources.is_empty() {
                    return tr(lang, "alerts.no_sources", &[]);
                }
                let mut out = tr(lang, "alerts.source_list", &[]);
                for s in sources {
                    out.push('\n');
                    let chat = match &s.username {
                        Some(u) => format!("{} @{u}", s.chat_id),
                        None => s.chat_id.to_string(),
                    };
                    out.push_str(&format!("• {} — {}, {chat}", s.name, s.kind.code()));
                }
                out
            }
            Self::Usage => tr(lang, "alerts.usage", &[("keys", &keys_list())]),
            Self::Overview { sources, subscribed } => overview(lang, sources, subscribed),
            Self::Subscribed { name, sol: amount } => {
                tr(lang, "alerts.subscribed", &[("name", name), ("sol", &sol(*amount))])
            }
            Self::Unsubscribed(name) => tr(lang, "alerts.unsubscribed", &[("name", name)]),
            Self::NotSubscribed(name) => tr(lang, "alerts.not_subscribed", &[("name", name)]),
            Self::BadSol(value) => tr(lang, "alerts.bad_sol", &[("value", value)]),
            Self::SettingsSaved { name, settings } => {
                tr(lang, "alerts.settings_saved", &[("name", name), ("settings", &settings_line(settings))])
            }
            Self::BadValue { key, value } => {
                let allowed = tr(lang, &format!("alerts.allowed.{}", key.name()), &[]);
                tr(lang, "alerts.bad_value", &[("key", key.name()), ("value", value), ("allowed", &allowed)])
            }
            Self::UnknownKey(key) => tr(lang, "alerts.unknown_key", &[("key", key), ("keys", &keys_list())]),
            Self::Malformed(word) => tr(lang, "alerts.malformed", &[("value", word), ("keys", &keys_list())]),
            Self::Stale => tr(lang, "alerts.stale", &[]),
            Self::Buying => tr(lang, "alerts.buying", &[]),
            Self::Dismissed => tr(lang, "alerts.dismissed", &[]),
            Self::Internal => tr(lang, "alerts.internal", &[]),
        }
    }
}

fn overview(lang: Lang, sources: &[AlertSource], subscribed: &[(AlertSource, SubscriptionSettings)]) -> String {
    if sources.is_empty() {
        return tr(lang, "alerts.no_sources", &[]);
    }
    let mut out = tr(lang, "alerts.overview", &[]);
    for s in sources {
        out.push('\n');
        match subscribed.iter().find(|(src, _)| src.id == s.id) {
            Some((_, settings)) => {
                out.push_str(&format!("✅ {} ({}): {}", s.name, s.kind.code(), settings_line(settings)));
            }
            None => out.push_str(&format!("▫️ {} ({})", s.name, s.kind.code())),
        }
    }
    out.push('\n');
    out.push_str(&tr(lang, "alerts.overview_hint", &[]));
    out
}

/// Reason text of an alert skip: a rule (`rule.<code>`) or a trading reason code.
pub fn skip_reason_text(lang: Lang, reason: &str, limit: &str) -> String {
    match reason.strip_prefix("rule.") {
        Some(code) if RULE_CODES.contains(&code) => tr(lang, &format!("alerts.rule.{code}"), &[("limit", limit)]),
        // Safety refusals carry their detail (value > limit, or the failed sell's error).
        _ if reason.starts_with("safety.") => super::reason::reason_with_detail(lang, reason, limit),
        _ => reason_text(lang, reason),
    }
}

/// Renders the alert notices (`AlertSkipped`, `AlertConfirm`); other notices render empty.
pub fn render_alert_notice(lang: Lang, notice: &TradeNotice) -> String {
    match notice {
        TradeNotice::AlertSkipped { mint, source, reason, limit } => tr(
            lang,
            "alerts.skipped",
            &[("source", source), ("mint", &short(mint)), ("reason", &skip_reason_text(lang, reason, limit))],
        ),
        TradeNotice::AlertConfirm { mint, source, sol: amount, safety, .. } => {
            let mut text = tr(lang, "alerts.confirm", &[("source", source), ("mint", mint), ("sol", &sol(*amount))]);
            text.push('\n');
            text.push_str(&super::safety::safety_line(lang, safety.as_deref()));
            text
        }
        _ => String::new(),
    }
}

/// Buttons of a notice: after a fill (see [`super::home::fill_keyboard`]), or the confirm card's
/// buy and skip buttons.
pub fn notice_keyboard(lang: Lang, notice: &TradeNotice) -> Option<InlineKeyboardMarkup> {
    if let Some(fill) = super::home::fill_keyboard(lang, notice) {
        return Some(fill);
    }
    let TradeNotice::AlertConfirm { sol: amount, alert_id, mint, .. } = notice else {
        return None;
    };
    let mut rows = vec![vec![
        InlineKeyboardButton::callback(
            tr(lang, "alerts.button_buy", &[("sol", &sol(*amount))]),
            Callback::AlertBuy(*alert_id).data(),
        ),
        InlineKeyboardButton::callback(tr(lang, "alerts.button_skip", &[]), Callback::AlertSkip(*alert_id).data()),
    ]];
    if let Ok(mint) = mint.parse::<solana_pubkey::Pubkey>() {
        rows.push(vec![InlineKeyboardButton::callback(
            tr(lang, "safety.button", &[]),
            Callback::SafetyDetails(mint).data(),
        )]);
    }
    Some(InlineKeyboardMarkup::new(rows))
}
