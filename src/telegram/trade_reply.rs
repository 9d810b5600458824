//! Localized texts for trade notices and refusal reasons.

use rust_decimal::Decimal;

use crate::domain::lang::Lang;
use crate::domain::money::{LAMPORTS_PER_SOL, Lamports};
use crate::domain::position::Side;
use crate::i18n::tr;
use crate::ports::TradeNotice;

/// Every reason code the trading core produces (each has a `reason.<code>` locale key).
pub const REASON_CODES: [&str; 41] = [
    "risk.kill_switch",
    "risk.execution_breaker",
    "risk.user_paused",
    "risk.trading_disabled",
    "risk.max_position",
    "risk.max_exposure",
    "risk.daily_loss",
    "risk.weekly_loss",
    "risk.monthly_loss",
    "risk.max_open_positions",
    "risk.loss_streak",
    "risk.drawdown",
    "risk.balance",
    "risk.price_impact",
    "risk.liquidity",
    "venue.curve_complete",
    "venue.no_route",
    "venue.not_a_mint",
    "venue.amount",
    "venue.rate_limited",
    "venue.unavailable",
    "venue.decode",
    "wallet.none",
    "wallet.custody",
    "wallet.sign",
    "tx.build",
    "tx.policy",
    "tx.slippage",
    "tx.insufficient_funds",
    "tx.account_not_found",
    "tx.expired",
    "tx.failed",
    "chain.unavailable",
    "chain.not_sent",
    "trade.no_position",
    "trade.amount",
    "trade.state",
    "trade.position",
    "trade.interrupted",
    "trade.corrupt",
    "trade.duplicate",
];

/// A reason code in the user's language (unknown codes fall back to a generic text).
pub fn reason_text(lang: Lang, code: &str) -> String {
    if REASON_CODES.contains(&code) {
        tr(lang, &format!("reason.{code}"), &[])
    } else {
        tr(lang, "reason.unknown", &[])
    }
}

fn sol(l: Lamports) -> String {
    l.to_sol().normalize().to_string()
}

fn signed_sol(lamports: i64) -> String {
    (Decimal::from(lamports) / Decimal::from(LAMPORTS_PER_SOL)).normalize().to_string()
}

fn short(mint: &str) -> String {
    if mint.len() > 12 { format!("{}…{}", &mint[..4], &mint[mint.len() - 4..]) } else { mint.to_owned() }
}

fn link(lang: Lang, signature: Option<&String>) -> String {
    signature.map_or_else(String::new, |s| format!("\n{}", tr(lang, "trade.link", &[("signature", s)])))
}

/// Renders a trade notice.
pub fn render_notice(lang: Lang, notice: &TradeNotice) -> String {
    match notice {
        TradeNotice::Filled { side, mint, sol: amount, tokens_ui, price, fees, pnl, paper, signature, position_id } => {
            let key = match side {
                Side::Buy => "trade.bought",
                Side::Sell => "trade.sold",
            };
            let mut text = tr(
                lang,
                key,
                &[
                    ("tokens", tokens_ui),
                    ("mint", &short(mint)),
                    ("sol", &sol(*amount)),
                    ("price", price),
                    ("fees", &sol(*fees)),
                    ("position", &position_id.to_string()),
                ],
            );
            if let Some(pnl) = pnl {
                text.push('\n');
                text.push_str(&tr(lang, "trade.pnl", &[("pnl", &signed_sol(*pnl))]));
            }
            if *paper {
                text.push('\n');
                text.push_str(&tr(lang, "trade.paper", &[]));
            }
            text.push_str(&link(lang, signature.as_ref()));
            text
        }
        TradeNotice::Refused { mint, reason } => {
            tr(lang, "trade.refused", &[("mint", &short(mint)), ("reason", &reason_text(lang, reason))])
        }
        TradeNotice::Failed { mint, reason, signature } => {
            let mut text = tr(lang, "trade.failed", &[("mint", &short(mint)), ("reason", &reason_text(lang, reason))]);
            text.push_str(&link(lang, signature.as_ref()));
            text
        }
        TradeNotice::Pending { mint, signature } => {
            let mut text = tr(lang, "trade.pending", &[("mint", &short(mint))]);
            text.push_str(&link(lang, Some(signature)));
            text
        }
    }
}
