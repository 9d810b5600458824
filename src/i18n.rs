//! Localized text lookup. Every user-visible string comes from `locales/*.json` through [`tr`].

use crate::domain::lang::Lang;

/// Looks up `key` in the user's language and substitutes `%{name}` placeholders from `args`.
/// Missing keys fall back to English (a test keeps every locale complete).
pub fn tr(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let template = rust_i18n::t!(key, locale = lang.code());
    if args.is_empty() {
        return template.into_owned();
    }
    let mut out = template.into_owned();
    for (name, value) in args {
        out = out.replace(&format!("%{{{name}}}"), value);
    }
    out
}

/// The locale codes compiled into the binary.
pub fn compiled_locales() -> Vec<String> {
    rust_i18n::available_locales!().into_iter().map(|s| s.to_string()).collect()
}
