//! Localized refusal and failure reasons (`reason.<code>` keys).

use crate::domain::lang::Lang;
use crate::i18n::tr;

/// Risk rule codes (each has a `reason.<code>` locale key).
pub const RISK_CODES: [&str; 15] = [
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
];

/// Every reason code the trading core produces (each has a `reason.<code>` locale key).
pub fn reason_codes() -> impl Iterator<Item = &'static str> {
    RISK_CODES.into_iter().chain(crate::domain::failure::TradeFailure::CODES)
}

/// A reason code in the user's language (unknown codes fall back to a generic text).
pub fn reason_text(lang: Lang, code: &str) -> String {
    if reason_codes().any(|c| c == code) {
        tr(lang, &format!("reason.{code}"), &[])
    } else {
        tr(lang, "reason.unknown", &[])
    }
}
