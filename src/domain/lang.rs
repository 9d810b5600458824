//! Supported interface languages.

use serde::{Deserialize, Serialize};

/// A language the bot speaks. Every locale file in `locales/` is complete for each of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    /// English (default and fallback).
    #[default]
    En,
    /// Russian.
    Ru,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// All supported languages.
    pub const ALL: [Self; 3] = [Self::En, Self::Ru, Self::Zh];

    /// The locale code (`en`, `ru`, `zh`), also the locale file name.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ru => "ru",
            Self::Zh => "zh",
        }
    }

    /// The language's own name, for pickers.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Ru => "Русский",
            Self::Zh => "中文",
        }
    }

    /// Parses a locale code exactly (`en`, `ru`, `zh`).
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code().eq_ignore_ascii_case(code.trim()))
    }

    /// Picks a language from Telegram's IETF `language_code` (`ru`, `zh-hans`, `en-US`), falling
    /// back to English.
    pub fn from_telegram(code: Option<&str>) -> Self {
        let primary = code.and_then(|c| c.split(['-', '_']).next()).unwrap_or("");
        Self::from_code(primary).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telegram_codes_map_to_supported_languages() {
        assert_eq!(Lang::from_telegram(Some("ru")), Lang::Ru);
        assert_eq!(Lang::from_telegram(Some("zh-hans")), Lang::Zh);
        assert_eq!(Lang::from_telegram(Some("en-US")), Lang::En);
        assert_eq!(Lang::from_telegram(Some("de")), Lang::En);
        assert_eq!(Lang::from_telegram(None), Lang::En);
    }
}
