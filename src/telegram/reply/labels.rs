//! Localized labels of settings keys.

use crate::domain::lang::Lang;
use crate::domain::user_config::ConfigKey;
use crate::i18n::tr;

/// The localized label of a config key.
pub fn key_label(lang: Lang, key: ConfigKey) -> String {
    tr(lang, &format!("config.key.{}", key.name()), &[])
}

/// What values a key allows, localized.
pub fn key_allowed(lang: Lang, key: ConfigKey) -> String {
    tr(lang, &format!("config.allowed.{}", key.name()), &[])
}
