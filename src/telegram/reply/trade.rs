//! Localized texts for trade notices and refusal reasons.

use std::str::FromStr as _;

use rust_decimal::Decimal;

use crate::telegram::callback::Callback;

use crate::domain::exit::ExitReason;
use crate::domain::lang::Lang;
use crate::domain::money::{LAMPORTS_PER_SOL, Lamports};
use crate::domain::position::Side;
use crate::i18n::tr;
use crate::ports::TradeNotice;

pub use super::reason::{RISK_CODES, failure_text, reason_codes, reason_text};

use super::home::esc;

fn sol(l: Lamports) -> String {
    l.to_sol().normalize().to_string()
}

fn signed_sol(lamports: i64) -> String {
    (Decimal::from(lamports) / Decimal::from(LAMPORTS_PER_SOL)).normalize().to_string()
}

fn short(mint: &str) -> String {
    if mint.len() > 12 { format!("{}…{}", &mint[..4], &mint[mint.len() - 4..]) } else { mint.to_owned() }
}

/// The explorer link of a transaction as an HTML link, on its own line.
fn link(lang: Lang, signature: Option<&String>) -> String {
    signature.map_or_else(String::new, |s| {
        let url = tr(lang, "trade.link", &[("signature", s)]);
        let anchor = format!("<a href=\"{}\">{}</a>", esc(&url), esc(&tr(lang, "ux.button.explorer", &[])));
        format!("\n{anchor}")
    })
}

/// A mint or address, tap to copy.
fn code(address: &str) -> String {
    format!("<code>{}</code>", esc(address))
}

/// `tr` for Telegram HTML: the template's own text is escaped, the arguments are inserted as
/// the HTML they already are (escape what comes from outside before passing it).
pub fn tr_html(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    // Private-use characters stand in for the arguments while the template is escaped.
    let marks: Vec<String> = (0..args.len())
        .map(|i| {
            format!("\u{E000}{}\u{E001}", char::from_u32(0xE100 + u32::try_from(i).unwrap_or(0)).unwrap_or('\u{E100}'))
        })
        .collect();
    let placeholders: Vec<(&str, &str)> = args.iter().zip(&marks).map(|((k, _), m)| (*k, m.as_str())).collect();
    let mut out = esc(&tr(lang, key, &placeholders));
    for ((_, value), mark) in args.iter().zip(&marks) {
        out = out.replace(mark.as_str(), value);
    }
    out
}

/// Renders a trade notice as Telegram HTML: every value escaped, the mint in `<code>` (tap to
/// copy), the explorer link as a link.
pub fn render_notice(lang: Lang, notice: &TradeNotice) -> String {
    match notice {
        TradeNotice::Filled {
            side,
            mint,
            sol: amount,
            tokens,
            price,
            fees,
            pnl,
            paper,
            signature,
            position_id,
            exit,
            safety_unchecked,
        } => {
            let key = match side {
                Side::Buy => "trade.bought",
                Side::Sell => "trade.sold",
            };
            let mut text = tr_html(
                lang,
                key,
                &[
                    ("tokens", esc(&tokens.to_string())),
                    ("mint", code(mint)),
                    ("sol", esc(&sol(*amount))),
                    ("price", esc(&price.map_or_else(String::new, |p| p.normalize().to_string()))),
                    ("fees", esc(&sol(*fees))),
                    ("position", position_id.to_string()),
                ],
            );
            if let Some(reason) = exit {
                text = format!("{}\n{text}", esc(&exit_reason_text(lang, reason)));
            }
            if let Some(pnl) = pnl {
                text.push('\n');
                text.push_str(&tr_html(lang, "trade.pnl", &[("pnl", esc(&signed_sol(*pnl)))]));
            }
            if *paper {
                text.push('\n');
                text.push_str(&esc(&tr(lang, "trade.paper", &[])));
            }
            if *safety_unchecked {
                text.push('\n');
                text.push_str(&esc(&tr(lang, "trade.safety_unchecked", &[])));
            }
            text.push_str(&link(lang, signature.as_ref()));
            text
        }
        TradeNotice::Refused { mint, reason } => {
            tr_html(lang, "trade.refused", &[("mint", code(mint)), ("reason", esc(&failure_text(lang, reason)))])
        }
        TradeNotice::Failed { mint, reason, signature } => {
            let reason = esc(&failure_text(lang, reason));
            let mut text = tr_html(lang, "trade.failed", &[("mint", code(mint)), ("reason", reason)]);
            text.push_str(&link(lang, signature.as_ref()));
            text
        }
        TradeNotice::StillConfirmingAtShutdown { mint, signature } => {
            let mut text = tr_html(lang, "trade.shutdown_pending", &[("mint", code(mint))]);
            text.push_str(&link(lang, signature.as_ref()));
            text
        }
        TradeNotice::Pending { mint, signature } => {
            let mut text = tr_html(lang, "trade.pending", &[("mint", code(mint))]);
            text.push_str(&link(lang, Some(signature)));
            text
        }
        TradeNotice::PositionAdjusted { mint, position_id, reason, before, after } => tr_html(
            lang,
            "trade.adjusted",
            &[
                ("mint", code(mint)),
                ("position", position_id.to_string()),
                ("before", esc(&before.to_string())),
                ("after", esc(&after.to_string())),
                ("reason", esc(&reason_text(lang, &reason.code()))),
            ],
        ),
        TradeNotice::ExecutionBreaker { open: true, failures, until_ms } => {
            let until = super::utc_clock(*until_ms);
            esc(&tr(lang, "breaker.tripped", &[("failures", &failures.to_string()), ("until", &until)]))
        }
        TradeNotice::ExecutionBreaker { open: false, .. } => esc(&tr(lang, "breaker.reset", &[])),
        TradeNotice::AlertSkipped { .. } | TradeNotice::AlertConfirm { .. } => {
            esc(&super::alerts::render_alert_notice(lang, notice))
        }
        TradeNotice::Copy(c) => esc(&super::copy::render_copy_notice(lang, c)),
        TradeNotice::OrderEnded { order_id, mint, reason } => esc(&match reason {
            None => tr(lang, "order.expired", &[("id", &order_id.to_string()), ("mint", &short(mint))]),
            Some(reason) => tr(
                lang,
                "order.failed",
                &[("id", &order_id.to_string()), ("mint", &short(mint)), ("reason", &failure_text(lang, reason))],
            ),
        }),
    }
}

/// `bps` as a percentage for display (`3000` → `30`, `250` → `2.5`).
fn pct(bps: u32) -> String {
    Decimal::new(i64::from(bps), 2).normalize().to_string()
}

/// The rule that made a sell, with its figures ("Stop-loss −30 % hit").
pub fn exit_reason_text(lang: Lang, reason: &ExitReason) -> String {
    match *reason {
        ExitReason::StopLoss { loss_bps } => tr(lang, "exit.stop_loss", &[("pct", &pct(loss_bps))]),
        ExitReason::TakeProfit { step, steps, gain_bps } => tr(
            lang,
            "exit.take_profit",
            &[("step", &step.to_string()), ("steps", &steps.to_string()), ("pct", &pct(gain_bps))],
        ),
        ExitReason::Trailing { trail_bps } => tr(lang, "exit.trailing", &[("pct", &pct(trail_bps))]),
        ExitReason::Time { after_ms } => {
            let hours = (Decimal::from(after_ms) / Decimal::from(3_600_000)).round_dp(2).normalize();
            tr(lang, "exit.time", &[("hours", &hours.to_string())])
        }
        ExitReason::Panic => tr(lang, "exit.panic", &[]),
        ExitReason::DevSell { sold_bps } => tr(lang, "exit.dev_sell", &[("pct", &pct(sold_bps))]),
        ExitReason::LimitOrder { order_id } => tr(lang, "exit.limit_order", &[("id", &order_id.to_string())]),
        ExitReason::DcaSlice { order_id, slice, slices } => tr(
            lang,
            "exit.dca_slice",
            &[("id", &order_id.to_string()), ("slice", &slice.to_string()), ("slices", &slices.to_string())],
        ),
    }
}

/// The "⏳ buying / selling" acknowledgement, sent once a manual trade passed the risk checks.
pub fn render_working(lang: Lang, side: Side, mint: &str) -> String {
    TradeReply::Working { side, mint: mint.to_owned() }.text(lang)
}

/// Replies of the trading commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradeReply {
    /// `/buy` usage.
    BuyUsage,
    /// `/sell` usage.
    SellUsage,
    /// `/positions` usage.
    PositionsUsage,
    /// A token's safety details (the card's button).
    SafetyDetails {
        /// Mint.
        mint: String,
        /// The facts (`None`: unavailable).
        safety: Option<std::sync::Arc<crate::domain::safety::TokenSafety>>,
    },
    /// Not a mint address or link.
    BadMint {
        /// What the user typed.
        value: String,
    },
    /// Not a positive SOL amount.
    BadAmount {
        /// What the user typed.
        value: String,
    },
    /// Not a percentage 1..=100.
    BadPercent {
        /// What the user typed.
        value: String,
    },
    /// No open position matches.
    NotFound {
        /// What the user typed.
        value: String,
    },
    /// Order accepted; the result follows.
    Working {
        /// Buy or sell.
        side: Side,
        /// Mint.
        mint: String,
    },
    /// The same request was handled before.
    Duplicate {
        /// State of the first one.
        state: String,
    },
    /// Open positions.
    PositionsList {
        /// One line per position.
        lines: Vec<String>,
        /// The positions' ids, in the same order (close buttons).
        ids: Vec<i64>,
    },
    /// No open positions.
    NoPositions,
    /// A page of the trade log.
    History {
        /// Trades, newest first.
        rows: Vec<crate::ports::TradeRecord>,
        /// Page number (1-based).
        page: u32,
        /// Whether there is a next page.
        has_next: bool,
    },
    /// Trading commands work in private chats only.
    PrivateOnly,
    /// Trading is not available on this deployment.
    Unavailable,
    /// Internal error; nothing changed.
    Internal,
    /// Unknown or foreign button.
    StaleButton,
    /// A token card.
    Card {
        /// Mint.
        mint: String,
        /// A small buy quote (venue, price, market cap, liquidity).
        quote: Box<crate::ports::Quote>,
        /// The user's open position in the mint.
        holding: Option<crate::ports::PositionRecord>,
        /// The user's buy presets (buttons).
        presets: Vec<Lamports>,
        /// The token's safety facts (`None`: unavailable).
        safety: Option<std::sync::Arc<crate::domain::safety::TokenSafety>>,
    },
    /// No card: the token cannot be quoted.
    CardUnavailable {
        /// Mint.
        mint: String,
        /// Localized reason.
        reason: String,
    },
    /// How to buy a custom amount.
    CustomAmount {
        /// Mint.
        mint: String,
    },
    /// No realized trades yet: no equity chart.
    NoTrades,
    /// Caption of the equity chart.
    ChartCaption {
        /// Realized sells.
        trades: u32,
        /// Total realized PnL (lamports).
        total_pnl: i64,
        /// Largest peak-to-trough fall (lamports).
        max_drawdown: u64,
        /// First position opened (unix ms).
        from_ms: i64,
        /// Last realized sell (unix ms).
        to_ms: i64,
    },
}

impl TradeReply {
    /// The text in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Self::BuyUsage => tr(lang, "tradecmd.buy_usage", &[]),
            Self::SellUsage => tr(lang, "tradecmd.sell_usage", &[]),
            Self::PositionsUsage => tr(lang, "tradecmd.positions_usage", &[]),
            Self::BadMint { value } => tr(lang, "tradecmd.bad_mint", &[("value", value)]),
            Self::BadAmount { value } => tr(lang, "tradecmd.bad_amount", &[("value", value)]),
            Self::BadPercent { value } => tr(lang, "tradecmd.bad_percent", &[("value", value)]),
            Self::NotFound { value } => tr(lang, "tradecmd.not_found", &[("value", value)]),
            Self::Working { side: Side::Buy, mint } => tr(lang, "tradecmd.buying", &[("mint", &short(mint))]),
            Self::Working { side: Side::Sell, mint } => tr(lang, "tradecmd.selling", &[("mint", &short(mint))]),
            Self::Duplicate { state } => tr(lang, "tradecmd.duplicate", &[("state", state)]),
            Self::PositionsList { lines, .. } => {
                let mut text = tr(lang, "tradecmd.positions_header", &[]);
                for l in lines {
                    text.push_str("\n\n");
                    text.push_str(l);
                }
                text
            }
            Self::NoPositions => tr(lang, "tradecmd.no_positions", &[]),
            Self::History { rows, page, .. } => {
                let mut text = tr(lang, "tradecmd.history_header", &[("page", &page.to_string())]);
                if rows.is_empty() {
                    text.push('\n');
                    text.push_str(&tr(lang, "tradecmd.history_empty", &[]));
                }
                for r in rows {
                    text.push('\n');
                    text.push_str(&history_line(lang, r));
                }
                text
            }
            Self::PrivateOnly => tr(lang, "errors.private_only", &[]),
            Self::Unavailable => tr(lang, "tradecmd.unavailable", &[]),
            Self::Internal => tr(lang, "errors.internal", &[]),
            Self::StaleButton => tr(lang, "errors.stale_button", &[]),
            Self::SafetyDetails { mint, safety } => super::safety::safety_details(lang, mint, safety.as_deref()),
            Self::Card { mint, quote, holding, safety, .. } => {
                let venue = tr(lang, &format!("venue.name.{}", quote.venue.code()), &[]);
                let mcap = quote.market_cap.map_or_else(|| tr(lang, "livetrade.stats_na", &[]), sol);
                let mut text = tr(
                    lang,
                    "card.text",
                    &[
                        ("mint", mint),
                        ("venue", &venue),
                        ("price", &quote.price.normalize().to_string()),
                        ("mcap", &mcap),
                        ("liquidity", &sol(quote.liquidity)),
                        ("impact", &(Decimal::from(quote.price_impact.0) / Decimal::from(100)).normalize().to_string()),
                    ],
                );
                text.push('\n');
                text.push_str(&super::safety::safety_line(lang, safety.as_deref()));
                text.push('\n');
                match holding {
                    Some(p) => text.push_str(&position_line(lang, p, None)),
                    None => text.push_str(&tr(lang, "card.no_holding", &[])),
                }
                text
            }
            Self::CardUnavailable { mint, reason } => {
                tr(lang, "card.unavailable", &[("mint", &short(mint)), ("reason", reason)])
            }
            Self::CustomAmount { mint } => tr(lang, "card.custom", &[("mint", mint)]),
            Self::NoTrades => tr(lang, "chart.no_trades", &[]),
            Self::ChartCaption { trades, total_pnl, max_drawdown, from_ms, to_ms } => {
                let day = |ms: &i64| {
                    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(*ms)
                        .map_or_else(String::new, |d| d.format("%F").to_string())
                };
                tr(
                    lang,
                    "chart.caption",
                    &[
                        ("trades", &trades.to_string()),
                        ("pnl", &signed_sol(*total_pnl)),
                        ("drawdown", &sol(Lamports(*max_drawdown))),
                        ("from", &day(from_ms)),
                        ("to", &day(to_ms)),
                    ],
                )
            }
        }
    }

    /// Buttons, if any.
    pub fn keyboard(&self, lang: Lang) -> Option<teloxide::types::InlineKeyboardMarkup> {
        use teloxide::types::InlineKeyboardMarkup;
        match self {
            Self::History { page, has_next, .. } => {
                let mut row = Vec::new();
                if *page > 1 {
                    row.push(button(tr(lang, "button.prev", &[]), &Callback::HistoryPage(page - 1)));
                }
                if *has_next {
                    row.push(button(tr(lang, "button.next", &[]), &Callback::HistoryPage(page + 1)));
                }
                (!row.is_empty()).then(|| InlineKeyboardMarkup::new([row]))
            }
            Self::NoPositions => {
                Some(InlineKeyboardMarkup::new([[button(tr(lang, "button.chart", &[]), &Callback::Chart)]]))
            }
            Self::PositionsList { ids, .. } => {
                let mut rows: Vec<Vec<_>> = ids
                    .iter()
                    .map(|id| {
                        [50u8, 100]
                            .into_iter()
                            .map(|pct| {
                                let cb = Callback::ClosePosition { position: *id, pct };
                                button(format!("#{} {}%", id, pct), &cb)
                            })
                            .chain([button(tr(lang, "pics.button", &[]), &Callback::PnlCard(*id))])
                            .collect()
                    })
                    .collect();
                rows.push(vec![button(tr(lang, "button.chart", &[]), &Callback::Chart)]);
                Some(InlineKeyboardMarkup::new(rows))
            }
            Self::Card { mint, holding, presets, .. } => {
                let mint = solana_pubkey::Pubkey::from_str(mint).ok()?;
                Some(card_keyboard(lang, &mint, presets, holding.is_some()))
            }
            _ => None,
        }
    }
}

fn button(text: String, cb: &Callback) -> teloxide::types::InlineKeyboardButton {
    teloxide::types::InlineKeyboardButton::callback(text, cb.data())
}

/// The token card's buttons (also under the HTML card).
pub fn card_keyboard(
    lang: Lang,
    mint: &solana_pubkey::Pubkey,
    presets: &[Lamports],
    holding: bool,
) -> teloxide::types::InlineKeyboardMarkup {
    use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};
    let buys: Vec<InlineKeyboardButton> = presets
        .iter()
        .map(|l| {
            let label = tr(lang, "button.buy_amount", &[("sol", &sol(*l))]);
            button(label, &Callback::CardBuy { mint: *mint, lamports: l.0 })
        })
        .collect();
    let mut rows: Vec<Vec<InlineKeyboardButton>> = buys.chunks(3).map(<[InlineKeyboardButton]>::to_vec).collect();
    rows.push(vec![button(tr(lang, "button.buy_custom", &[]), &Callback::CardCustom(*mint))]);
    if holding {
        rows.push(
            [25u8, 50, 100]
                .iter()
                .map(|p| {
                    let label = tr(lang, "button.sell_pct", &[("pct", &p.to_string())]);
                    button(label, &Callback::CardSell { mint: *mint, pct: *p })
                })
                .collect(),
        );
    }
    rows.push(vec![
        button(tr(lang, "safety.button", &[]), &Callback::SafetyDetails(*mint)),
        button(tr(lang, "button.refresh", &[]), &Callback::CardRefresh(*mint)),
    ]);
    InlineKeyboardMarkup::new(rows)
}

/// One line of `/positions` with live value and unrealized PnL when a quote was available.
pub fn position_line(lang: Lang, p: &crate::ports::PositionRecord, value: Option<Lamports>) -> String {
    let tokens = crate::domain::money::TokenAmount::new(p.book.tokens, p.decimals).to_string();
    let mut text = tr(
        lang,
        "tradecmd.position_line",
        &[("id", &p.id.to_string()), ("mint", &short(&p.mint)), ("tokens", &tokens), ("cost", &sol(p.book.cost))],
    );
    if let Some(v) = value {
        let pnl = i64::try_from(i128::from(v.0) - i128::from(p.book.cost.0)).unwrap_or(0);
        let pct = crate::domain::position::pnl_pct(pnl, p.book.cost).to_string();
        text.push('\n');
        text.push_str(&tr(
            lang,
            "tradecmd.position_value",
            &[("value", &sol(v)), ("pnl", &signed_sol(pnl)), ("pct", &pct)],
        ));
    }
    if p.is_paper {
        text.push(' ');
        text.push_str(&tr(lang, "tradecmd.paper_tag", &[]));
    }
    text
}

fn history_line(lang: Lang, r: &crate::ports::TradeRecord) -> String {
    let when = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(r.at_ms)
        .map_or_else(String::new, |d| d.format("%F %R").to_string());
    let key = match r.side {
        Side::Buy => "tradecmd.history_buy",
        Side::Sell => "tradecmd.history_sell",
    };
    let mut line = tr(
        lang,
        key,
        &[("when", &when), ("mint", &short(&r.mint)), ("sol", &sol(r.sol)), ("pnl", &signed_sol(r.realized_pnl))],
    );
    if r.is_paper {
        line.push(' ');
        line.push_str(&tr(lang, "tradecmd.paper_tag", &[]));
    }
    line
}

#[cfg(test)]
mod exit_reason_tests {
    use super::*;

    fn sold(exit: Option<ExitReason>) -> TradeNotice {
        TradeNotice::Filled {
            side: Side::Sell,
            mint: "So11111111111111111111111111111111111111112".to_owned(),
            sol: Lamports(1_000_000),
            tokens: crate::domain::money::TokenAmount::new(5, 0),
            price: None,
            fees: Lamports(5_000),
            pnl: Some(-10),
            paper: false,
            signature: None,
            position_id: 7,
            exit,
            safety_unchecked: false,
        }
    }

    #[test]
    fn notices_are_escaped_html_with_the_mint_in_code_and_the_explorer_as_a_link() {
        let mint = "So11111111111111111111111111111111111111112";
        let filled = TradeNotice::Filled {
            side: Side::Buy,
            mint: mint.to_owned(),
            sol: Lamports(100_000_000),
            tokens: crate::domain::money::TokenAmount::new(5, 0),
            price: None,
            fees: Lamports(5_000),
            pnl: Some(-1),
            paper: false,
            signature: Some("5sig".to_owned()),
            position_id: 7,
            exit: None,
            safety_unchecked: false,
        };
        for lang in [Lang::En, Lang::Ru, Lang::Zh] {
            let text = render_notice(lang, &filled);
            assert!(text.contains(&format!("<code>{mint}</code>")), "{text}");
            assert!(text.contains("<a href=\"https://solscan.io/tx/5sig\">"), "{text}");
        }
        // Text from outside never becomes markup.
        let refused = TradeNotice::Refused {
            mint: "<b>x&y</b>".to_owned(),
            reason: crate::domain::failure::TradeFailure::NoWallet,
        };
        let text = render_notice(Lang::En, &refused);
        assert!(text.contains("<code>&lt;b&gt;x&amp;y&lt;/b&gt;</code>"), "{text}");
        assert!(!text.contains("<b>"), "{text}");
        // A template's own special characters are escaped too; arguments are left as given.
        assert_eq!(tr_html(Lang::En, "trade.pnl", &[("pnl", "<b>1</b>".to_owned())]), "Realized PnL: <b>1</b> SOL");
    }

    #[test]
    fn a_buy_made_without_safety_data_says_so() {
        let bought = |unchecked: bool| TradeNotice::Filled {
            side: Side::Buy,
            mint: "So11111111111111111111111111111111111111112".to_owned(),
            sol: Lamports(100_000_000),
            tokens: crate::domain::money::TokenAmount::new(5, 0),
            price: None,
            fees: Lamports(5_000),
            pnl: None,
            paper: true,
            signature: None,
            position_id: 7,
            exit: None,
            safety_unchecked: unchecked,
        };
        for lang in [Lang::En, Lang::Ru, Lang::Zh] {
            let warning = tr(lang, "trade.safety_unchecked", &[]);
            assert!(render_notice(lang, &bought(true)).contains(&warning), "{lang:?}");
            assert!(!render_notice(lang, &bought(false)).contains(&warning), "{lang:?}");
        }
    }

    #[test]
    fn a_sell_notice_names_the_rule_that_fired_in_every_language() {
        let cases = [
            (ExitReason::StopLoss { loss_bps: 3_000 }, "Stop-loss −30 % hit"),
            (ExitReason::TakeProfit { step: 2, steps: 3, gain_bps: 20_000 }, "Take-profit step 2/3 at +200 %"),
            (ExitReason::Trailing { trail_bps: 200 }, "Trailing stop −2 % from peak"),
            (ExitReason::Time { after_ms: 48 * 3_600_000 }, "Time exit after 48 h"),
            (ExitReason::Panic, "Panic sell"),
            (ExitReason::LimitOrder { order_id: 7 }, "Limit order #7 filled"),
            (ExitReason::DcaSlice { order_id: 9, slice: 3, slices: 10 }, "DCA #9 slice 3/10"),
        ];
        for (reason, en) in cases {
            let text = render_notice(Lang::En, &sold(Some(reason)));
            assert!(text.lines().next().is_some_and(|l| l.contains(en)), "{text}");
            for lang in [Lang::Ru, Lang::Zh] {
                let local = exit_reason_text(lang, &reason);
                assert_ne!(local, exit_reason_text(Lang::En, &reason), "{lang:?} {reason:?}");
                assert!(!local.contains("%{"), "{local}");
                assert!(render_notice(lang, &sold(Some(reason))).starts_with(&local));
            }
        }
        let manual = render_notice(Lang::En, &sold(None));
        assert!(manual.starts_with("✅"), "a manual sell names no rule: {manual}");
        assert_eq!(exit_reason_text(Lang::En, &ExitReason::StopLoss { loss_bps: 250 }), "🛑 Stop-loss −2.5 % hit");
    }
}
