//! Localized refusal and failure reasons (`reason.<code>` keys).

use crate::domain::failure::TradeFailure;
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

/// Safety rule codes (each has a `reason.safety.<rule>` locale key).
pub const SAFETY_CODES: [&str; 14] = [
    "safety.freeze",
    "safety.mint_authority",
    "safety.transfer_fee",
    "safety.top10",
    "safety.dev_share",
    "safety.too_young",
    "safety.cannot_sell",
    "safety.sell_unverified",
    "safety.permanent_delegate",
    "safety.transfer_hook",
    "safety.non_transferable",
    "safety.default_frozen",
    "safety.paused",
    "safety.unavailable",
];

/// Every reason code the trading core produces (each has a `reason.<code>` locale key).
pub fn reason_codes() -> impl Iterator<Item = &'static str> {
    RISK_CODES.into_iter().chain(crate::domain::failure::TradeFailure::CODES).chain(SAFETY_CODES)
}

/// A reason code in the user's language (unknown codes fall back to a generic text).
pub fn reason_text(lang: Lang, code: &str) -> String {
    reason_with_detail(lang, code, "")
}

/// A reason code with its detail (`%{detail}`: a safety rule's value and limit, or the program
/// error of a failed sell simulation).
pub fn reason_with_detail(lang: Lang, code: &str, detail: &str) -> String {
    if reason_codes().any(|c| c == code) {
        tr(lang, &format!("reason.{code}"), &[("detail", detail)])
    } else {
        tr(lang, "reason.unknown", &[])
    }
}

/// A failure in the user's language, with the safety rule's detail where it has one.
pub fn failure_text(lang: Lang, failure: &TradeFailure) -> String {
    match failure {
        TradeFailure::Safety(r) => reason_with_detail(lang, &failure.code(), &r.detail()),
        other => reason_text(lang, &other.code()),
    }
}
