//! Inline keyboards and their callback data.
//!
//! Callback data formats (≤ 64 bytes): `lang:<code>`, `lt:on`, `lt:off`, `cfg:menu`,
//! `cfg:k:<key>`, `cfg:s:<key>:<value>`.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::reply::key_label;
use crate::domain::lang::Lang;
use crate::domain::user_config::{ConfigKey, UserConfig};
use crate::i18n::tr;

/// A parsed button press.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// Switch language.
    Language(Lang),
    /// Enable (true) or disable trading.
    SetEnabled(bool),
    /// Show the settings menu.
    ConfigMenu,
    /// Show the value picker of a key.
    ConfigKey(ConfigKey),
    /// Set a key to a preset value.
    ConfigSet(ConfigKey, String),
    /// Confirm a pending `/wallet` action (remove, export, withdraw) by its nonce.
    WalletConfirm(String),
    /// Cancel a pending `/wallet` action by its nonce.
    WalletCancel(String),
}

impl Callback {
    /// Parses callback data; `None` for anything unknown (answered as a stale button).
    pub fn parse(data: &str) -> Option<Self> {
        let mut parts = data.splitn(3, ':');
        match (parts.next()?, parts.next(), parts.next()) {
            ("lang", Some(code), None) => Lang::from_code(code).map(Self::Language),
            ("lt", Some("on"), None) => Some(Self::SetEnabled(true)),
            ("lt", Some("off"), None) => Some(Self::SetEnabled(false)),
            ("cfg", Some("menu"), None) => Some(Self::ConfigMenu),
            ("cfg", Some("k"), Some(key)) => ConfigKey::parse(key).map(Self::ConfigKey),
            ("cfg", Some("s"), Some(rest)) => {
                let (key, value) = rest.split_once(':')?;
                let key = ConfigKey::parse(key)?;
                // Only offered presets are accepted from buttons; free values go through the command.
                key.presets().contains(&value).then(|| Self::ConfigSet(key, value.to_owned()))
            }
            ("w", Some("y"), Some(nonce)) if is_nonce(nonce) => Some(Self::WalletConfirm(nonce.to_owned())),
            ("w", Some("n"), Some(nonce)) if is_nonce(nonce) => Some(Self::WalletCancel(nonce.to_owned())),
            _ => None,
        }
    }

    /// Encodes the callback data.
    pub fn data(&self) -> String {
        match self {
            Self::Language(l) => format!("lang:{}", l.code()),
            Self::SetEnabled(true) => "lt:on".to_owned(),
            Self::SetEnabled(false) => "lt:off".to_owned(),
            Self::ConfigMenu => "cfg:menu".to_owned(),
            Self::ConfigKey(k) => format!("cfg:k:{}", k.name()),
            Self::ConfigSet(k, v) => format!("cfg:s:{}:{v}", k.name()),
            Self::WalletConfirm(nonce) => format!("w:y:{nonce}"),
            Self::WalletCancel(nonce) => format!("w:n:{nonce}"),
        }
    }
}

/// A pending-action nonce: 32 lower-case hex characters.
fn is_nonce(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn button(text: String, cb: &Callback) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(text, cb.data())
}

/// Language picker.
pub fn languages() -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([Lang::ALL.map(|l| button(l.native_name().to_owned(), &Callback::Language(l)))])
}

/// Enable/disable and settings buttons under the status.
pub fn status(lang: Lang, enabled: bool) -> InlineKeyboardMarkup {
    let toggle = if enabled {
        button(tr(lang, "button.disable", &[]), &Callback::SetEnabled(false))
    } else {
        button(tr(lang, "button.enable", &[]), &Callback::SetEnabled(true))
    };
    InlineKeyboardMarkup::new([[toggle, button(tr(lang, "button.settings", &[]), &Callback::ConfigMenu)]])
}

/// One button per setting, two per row, showing the current value.
pub fn config_menu(lang: Lang, config: &UserConfig) -> InlineKeyboardMarkup {
    let buttons: Vec<InlineKeyboardButton> = ConfigKey::ALL
        .iter()
        .map(|k| button(format!("{}: {}", key_label(lang, *k), config.display(*k)), &Callback::ConfigKey(*k)))
        .collect();
    InlineKeyboardMarkup::new(buttons.chunks(2).map(<[InlineKeyboardButton]>::to_vec))
}

/// Preset values for one key, three per row, plus Back.
pub fn config_pick(lang: Lang, key: ConfigKey) -> InlineKeyboardMarkup {
    let presets: Vec<InlineKeyboardButton> =
        key.presets().iter().map(|v| button((*v).to_owned(), &Callback::ConfigSet(key, (*v).to_owned()))).collect();
    let mut rows: Vec<Vec<InlineKeyboardButton>> = presets.chunks(3).map(<[InlineKeyboardButton]>::to_vec).collect();
    rows.push(vec![button(tr(lang, "button.back", &[]), &Callback::ConfigMenu)]);
    InlineKeyboardMarkup::new(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_callback_round_trips_and_fits_telegram_limit() {
        let mut all = vec![Callback::SetEnabled(true), Callback::SetEnabled(false), Callback::ConfigMenu];
        all.extend(Lang::ALL.map(Callback::Language));
        for k in ConfigKey::ALL {
            all.push(Callback::ConfigKey(k));
            all.extend(k.presets().iter().map(|v| Callback::ConfigSet(k, (*v).to_owned())));
        }
        for cb in all {
            let data = cb.data();
            assert!(data.len() <= 64, "{data}");
            assert_eq!(Callback::parse(&data), Some(cb));
        }
    }

    #[test]
    fn forged_or_unknown_data_is_rejected() {
        for data in ["", "lang:de", "lt:maybe", "cfg:k:nope", "cfg:s:slippage_bps:9999", "cfg:s:dry_run", "x:y:z"] {
            assert_eq!(Callback::parse(data), None, "{data}");
        }
    }
}
