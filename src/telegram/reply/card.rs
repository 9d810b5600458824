//! The token card in Telegram HTML: name and symbol (from the metadata the safety read already
//! decoded), the mint in `<code>`, compact prices, separated amounts, the liquidity of the venue
//! the quote chose (a pool's SOL vault when the quote carries none), bonding-curve progress,
//! the user's holding, links (Solscan, DexScreener, pump.fun), and the buy presets the user's
//! max position allows (the card says when some are hidden).

use std::sync::Arc;

use rust_decimal::Decimal;
use solana_pubkey::Pubkey;
use teloxide::types::InlineKeyboardMarkup;

use super::home::{compact_price, esc, sol, usd, usd_price, with_nav};
use crate::app::usd::{usd_of_lamports, usd_of_signed};
use crate::domain::lang::Lang;
use crate::domain::money::Lamports;
use crate::domain::safety::{TokenSafety, VenueFacts};
use crate::i18n::tr;
use crate::ports::{PositionRecord, Quote};

/// What the card shows.
#[derive(Debug, Clone, PartialEq)]
pub struct CardView {
    /// Mint.
    pub mint: Pubkey,
    /// A small buy quote.
    pub quote: Quote,
    /// The user's open position in the mint.
    pub holding: Option<PositionRecord>,
    /// The buy presets offered (within the user's max position).
    pub presets: Vec<Lamports>,
    /// The max position, when presets above it were hidden.
    pub capped: Option<Lamports>,
    /// The token's safety facts (and metadata).
    pub safety: Option<Arc<TokenSafety>>,
    /// SOL/USD when known (USD is shown beside SOL).
    pub sol_usd: Option<Decimal>,
}

impl Eq for CardView {}

/// Splits the user's presets into the offered ones and, when any were hidden, the cap.
pub fn offered_presets(presets: &[Lamports], max_position: Lamports) -> (Vec<Lamports>, Option<Lamports>) {
    let offered: Vec<Lamports> = presets.iter().copied().filter(|p| *p <= max_position).collect();
    let capped = (offered.len() < presets.len()).then_some(max_position);
    (offered, capped)
}

/// The liquidity to show: the quote's, or for a pool whose quote carries none, the SOL in the
/// pool's quote vault that the safety read saw.
pub fn liquidity(quote: &Quote, safety: Option<&TokenSafety>) -> Lamports {
    if quote.liquidity.0 > 0 {
        return quote.liquidity;
    }
    match safety.map(|s| &s.venue) {
        Some(VenueFacts::Pool { quote_lamports: Some(l) }) => Lamports(*l),
        _ => quote.liquidity,
    }
}

/// The value of a holding at the quote's spot price (before fees and impact), when computable.
pub fn holding_value(p: &PositionRecord, price: Decimal) -> Option<Lamports> {
    let tokens = Decimal::try_from_i128_with_scale(i128::from(p.book.tokens), u32::from(p.decimals)).ok()?;
    let lamports = tokens.checked_mul(price)?.checked_mul(Decimal::from(crate::domain::money::LAMPORTS_PER_SOL))?;
    u64::try_from(lamports.trunc().mantissa()).ok().map(Lamports)
}

/// The card's HTML text.
pub fn card_text(lang: Lang, v: &CardView) -> String {
    let mint = v.mint.to_string();
    let meta = v.safety.as_deref().and_then(|s| s.meta.as_ref());
    let mut lines = vec![match meta {
        Some(m) if !m.name.is_empty() => {
            tr(lang, "ux.card.title", &[("name", &esc(&m.name)), ("symbol", &esc(&m.symbol))])
        }
        _ => tr(lang, "ux.card.title_unknown", &[]),
    }];
    lines.push(format!("<code>{}</code>", esc(&mint)));
    lines.push(String::new());
    let venue = tr(lang, &format!("venue.name.{}", v.quote.venue.code()), &[]);
    let mcap = v.quote.market_cap.map_or_else(|| tr(lang, "livetrade.stats_na", &[]), sol);
    let impact = (Decimal::from(v.quote.price_impact.0) / Decimal::from(100)).normalize().to_string();
    let liq = liquidity(&v.quote, v.safety.as_deref());
    let mut body = vec![
        ("venue", esc(&venue)),
        ("price", compact_price(v.quote.price)),
        ("mcap", esc(&mcap)),
        ("liquidity", sol(liq)),
        ("impact", impact),
    ];
    let key = match v.sol_usd {
        Some(rate) => {
            let price_usd =
                v.quote.price.checked_mul(rate).map_or_else(|| tr(lang, "livetrade.stats_na", &[]), usd_price);
            let mcap_usd = v
                .quote
                .market_cap
                .map_or_else(|| tr(lang, "livetrade.stats_na", &[]), |m| usd(usd_of_lamports(m, rate), false));
            body.push(("price_usd", esc(&price_usd)));
            body.push(("mcap_usd", esc(&mcap_usd)));
            body.push(("liquidity_usd", usd(usd_of_lamports(liq, rate), false)));
            "ux.card.body_usd"
        }
        None => "ux.card.body",
    };
    let args: Vec<(&str, &str)> = body.iter().map(|(k, val)| (*k, val.as_str())).collect();
    lines.push(tr(lang, key, &args));
    if let Some(VenueFacts::Curve { progress_bps }) = v.safety.as_deref().map(|s| &s.venue) {
        let pct = (Decimal::from(*progress_bps) / Decimal::from(100)).round_dp(1).normalize().to_string();
        lines.push(tr(lang, "ux.card.progress", &[("pct", &pct)]));
    }
    lines.push(esc(&super::safety::safety_line(lang, v.safety.as_deref())));
    match &v.holding {
        Some(p) => {
            let value = holding_value(p, v.quote.price);
            lines.push(esc(&super::trade::position_line(lang, p, value)));
            if let (Some(value), Some(rate)) = (value, v.sol_usd) {
                let pnl = i64::try_from(i128::from(value.0) - i128::from(p.book.cost.0)).unwrap_or(0);
                lines.push(tr(
                    lang,
                    "ux.card.holding_usd",
                    &[
                        ("value", &usd(usd_of_lamports(value, rate), false)),
                        ("pnl", &usd(usd_of_signed(pnl, rate), true)),
                    ],
                ));
            }
        }
        None => lines.push(esc(&tr(lang, "card.no_holding", &[]))),
    }
    if let Some(max) = v.capped {
        lines.push(super::home::UxReply::PresetsCapped { max }.text(lang));
    }
    let links = [
        ("https://solscan.io/token/", "Solscan"),
        ("https://dexscreener.com/solana/", "DexScreener"),
        ("https://pump.fun/coin/", "pump.fun"),
    ]
    .map(|(base, name)| format!("<a href=\"{base}{mint}\">{name}</a>"))
    .join(" · ");
    lines.push(format!("🔗 {links}"));
    lines.join("\n")
}

/// The card's buttons: presets, custom amount, sells when held, safety, refresh, Home.
pub fn card_keyboard(lang: Lang, v: &CardView) -> InlineKeyboardMarkup {
    let base = super::trade::card_keyboard(lang, &v.mint, &v.presets, v.holding.is_some());
    with_nav(lang, Some(base), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_above_the_max_position_are_not_offered() {
        let presets = [Lamports(10), Lamports(50), Lamports(100), Lamports(500)];
        assert_eq!(offered_presets(&presets, Lamports(100)), (presets[..3].to_vec(), Some(Lamports(100))));
        assert_eq!(offered_presets(&presets, Lamports(1_000)), (presets.to_vec(), None));
        assert_eq!(offered_presets(&presets, Lamports(1)), (vec![], Some(Lamports(1))));
    }
}
