//! Inline keyboards of the settings, language and status messages (data: [`Callback`]).

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::labels::key_label;
use crate::domain::lang::Lang;
use crate::domain::user_config::{ConfigKey, UserConfig};
use crate::i18n::tr;
use crate::telegram::callback::Callback;

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
