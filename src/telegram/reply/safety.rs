//! The token-safety line of the token card and the alert confirm card, and its details.

use crate::domain::lang::Lang;
use crate::domain::safety::{RoundTrip, TokenSafety, VenueFacts, classify};
use crate::i18n::tr;

/// One compact line: `Safety: ✅ mint · ⛔ freeze · …`, or "safety data unavailable".
pub fn safety_line(lang: Lang, safety: Option<&TokenSafety>) -> String {
    let Some(s) = safety else {
        return tr(lang, "safety.unavailable", &[]);
    };
    let items: Vec<String> = classify(s)
        .iter()
        .map(|(check, level)| {
            format!("{} {}", level.symbol(), tr(lang, &format!("safety.check.{}", check.code()), &[]))
        })
        .collect();
    tr(lang, "safety.line", &[("items", &items.join(" · "))])
}

fn pct(bps: u32) -> String {
    (rust_decimal::Decimal::from(bps) / rust_decimal::Decimal::from(100)).normalize().to_string() + "%"
}

/// A compact age: the two largest units (`3d 4h`, `5h 12m`, `7m 3s`, `42s`), localized units.
pub fn age_text(lang: Lang, secs: u64) -> String {
    let units = tr(lang, "safety.age_units", &[]);
    let mut names = units.split(' ');
    let mut name = || names.next().unwrap_or_default().to_owned();
    let (d, h, m, s) = (name(), name(), name(), name());
    let parts = [(secs / 86_400, d), ((secs / 3_600) % 24, h), ((secs / 60) % 60, m), (secs % 60, s)];
    let first = parts.iter().position(|(n, _)| *n > 0).unwrap_or(3);
    parts[first..]
        .iter()
        .take(2)
        .filter(|(n, _)| *n > 0 || first == 3)
        .map(|(n, u)| format!("{n}{u}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The details behind the card's "Safety details" button.
pub fn safety_details(lang: Lang, mint: &str, safety: Option<&TokenSafety>) -> String {
    let Some(s) = safety else {
        return tr(lang, "safety.unavailable", &[]);
    };
    let m = &s.mint;
    let none = || tr(lang, "safety.none", &[]);
    let unknown = || tr(lang, "safety.unknown", &[]);
    let key = |k: &Option<solana_pubkey::Pubkey>| k.map_or_else(none, |k| k.to_string());
    let ext_key = |name: &str, value: &str| tr(lang, &format!("safety.ext.{name}"), &[("value", value)]);
    let mut ext = Vec::new();
    if let Some(f) = m.transfer_fee {
        ext.push(ext_key("transfer_fee", &pct(u32::from(f.bps))));
    }
    match m.transfer_hook {
        Some(Some(p)) => ext.push(ext_key("transfer_hook", &p.to_string())),
        Some(None) => ext.push(ext_key("transfer_hook_unset", "")),
        None => {}
    }
    if let Some(d) = m.permanent_delegate {
        ext.push(ext_key("permanent_delegate", &d.to_string()));
    }
    let flags = [
        (m.non_transferable, "non_transferable"),
        (m.default_frozen, "default_frozen"),
        (m.pausable == Some(true), "pausable_paused"),
        (m.pausable == Some(false), "pausable"),
        (m.mint_close_authority.is_some(), "mint_close_authority"),
        (m.scaled_ui_amount, "scaled_ui_amount"),
        (m.confidential, "confidential"),
    ];
    ext.extend(flags.iter().filter(|(on, _)| *on).map(|(_, name)| ext_key(name, "")));
    let extensions = if ext.is_empty() { none() } else { ext.join(", ") };
    let venue = match s.venue {
        VenueFacts::Curve { progress_bps } => tr(lang, "safety.curve", &[("pct", &pct(progress_bps).replace('%', ""))]),
        VenueFacts::Pool { quote_lamports: Some(l) } => {
            let sol = crate::domain::money::Lamports(l).to_string();
            tr(lang, "safety.pool_liquidity", &[("sol", &sol)])
        }
        VenueFacts::Pool { quote_lamports: None } => tr(lang, "safety.pool", &[]),
        VenueFacts::Unknown => unknown(),
    };
    let sell = match &s.round_trip {
        Some(RoundTrip::Sellable) => tr(lang, "safety.sellable", &[]),
        Some(RoundTrip::CannotSell(e)) => tr(lang, "safety.cannot_sell", &[("error", e)]),
        None => tr(lang, "safety.not_run", &[]),
    };
    let name = s.meta.as_ref().map_or_else(unknown, |m| format!("{} ({})", m.name, m.symbol));
    let age = match s.age_secs {
        Some(secs) if s.age_lower_bound => tr(lang, "safety.age_at_least", &[("age", &age_text(lang, secs))]),
        Some(secs) => age_text(lang, secs),
        None => unknown(),
    };
    let mut text = tr(
        lang,
        "safety.details",
        &[
            ("mint", mint),
            ("name", &name),
            ("age", &age),
            ("program", &tr(lang, if m.token_2022 { "safety.program.t22" } else { "safety.program.spl" }, &[])),
            ("mint_auth", &key(&m.mint_authority)),
            ("freeze", &key(&m.freeze_authority)),
            ("supply", &crate::domain::money::TokenAmount::new(m.supply, m.decimals).to_string()),
            ("decimals", &m.decimals.to_string()),
            ("extensions", &extensions),
            ("top10", &s.top10_bps.map_or_else(unknown, pct)),
            ("dev", &s.creator_bps.map_or_else(unknown, pct)),
            ("venue", &venue),
            ("sell", &sell),
        ],
    );
    text.push('\n');
    text.push_str(&safety_line(lang, Some(s)));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_show_their_two_largest_units() {
        assert_eq!(age_text(Lang::En, 0), "0s");
        assert_eq!(age_text(Lang::En, 42), "42s");
        assert_eq!(age_text(Lang::En, 7 * 60 + 3), "7m 3s");
        assert_eq!(age_text(Lang::En, 5 * 3_600 + 12 * 60 + 9), "5h 12m");
        assert_eq!(age_text(Lang::En, 3 * 86_400 + 4 * 3_600 + 59), "3d 4h");
        assert_eq!(age_text(Lang::En, 86_400 + 30), "1d");
        assert_eq!(age_text(Lang::Ru, 3_600), "1ч");
    }
}
