//! Localized texts of `/limit`, `/dca`, `/orders` and `/panic` (keys in `locales/orders.*.json`).

use rust_decimal::Decimal;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::app::orders::PlaceRefusal;
use crate::app::panic::PanicReport;
use crate::app::trade::StoredExit;
use crate::domain::lang::Lang;
use crate::domain::money::Lamports;
use crate::domain::order::{Direction, OrderError, Plan, Size, TriggerSpec};
use crate::domain::position::Side;
use crate::i18n::tr;
use crate::ports::OrderRecord;
use crate::telegram::callback::Callback;

/// An orders or panic reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrdersReply {
    /// `/limit` usage.
    LimitUsage,
    /// `/dca` usage.
    DcaUsage,
    /// The order was not placed.
    Refused(PlaceRefusal),
    /// Placed (with its cancel button).
    Placed(Box<OrderRecord>),
    /// `/orders`: the active orders, a cancel button each.
    List(Vec<OrderRecord>),
    /// Cancelled.
    Cancelled(i64),
    /// Not active any more (filled, expired, cancelled, or not the user's).
    NotActive(i64),
    /// `/panic`: the confirmation card.
    PanicConfirm,
    /// The panic card was dismissed.
    PanicCancelled,
    /// The panic ran.
    PanicDone(PanicReport),
    /// `/exits <#id>`: a position's exits, with break-even and cancel buttons.
    Exits {
        /// Position id.
        position: i64,
        /// Its exits now.
        exits: Box<StoredExit>,
    },
    /// `/exits` usage.
    ExitsUsage,
    /// No open position with that id.
    ExitsNoPosition,
    /// A value the rule does not take.
    ExitsBadValue,
}

fn short(mint: &str) -> String {
    if mint.len() > 12 { format!("{}…{}", &mint[..4], &mint[mint.len() - 4..]) } else { mint.to_owned() }
}

fn side(lang: Lang, side: Side) -> String {
    match side {
        Side::Buy => tr(lang, "orders.side.buy", &[]),
        Side::Sell => tr(lang, "orders.side.sell", &[]),
    }
}

fn op(direction: Direction) -> &'static str {
    match direction {
        Direction::AtOrBelow => "≤",
        Direction::AtOrAbove => "≥",
    }
}

/// The trigger as the user typed it.
pub fn trigger_text(lang: Lang, spec: &TriggerSpec) -> String {
    match *spec {
        TriggerSpec::Price { direction, sol } => {
            tr(lang, "orders.trigger.price", &[("op", op(direction)), ("value", &sol.normalize().to_string())])
        }
        TriggerSpec::MarketCap { direction, sol } => {
            tr(lang, "orders.trigger.mcap", &[("op", op(direction)), ("value", &sol.normalize().to_string())])
        }
        TriggerSpec::Move { bps } => {
            let pct = Decimal::new(i64::from(bps), 2).normalize();
            let value = if bps > 0 { format!("+{pct}") } else { pct.to_string() };
            tr(lang, "orders.trigger.move", &[("value", &value)])
        }
        TriggerSpec::Multiple { times } => {
            tr(lang, "orders.trigger.multiple", &[("value", &times.normalize().to_string())])
        }
    }
}

fn size_text(lang: Lang, size: Size) -> String {
    match size {
        Size::Lamports(l) => tr(lang, "orders.size.sol", &[("sol", &Lamports(l).to_sol().normalize().to_string())]),
        Size::WalletShare(bps) => {
            tr(lang, "orders.size.share", &[("pct", &Decimal::new(i64::from(bps), 2).normalize().to_string())])
        }
        Size::PercentOfPosition(p) => tr(lang, "orders.size.percent", &[("pct", &p.to_string())]),
        Size::Tokens(n) => tr(lang, "orders.size.tokens", &[("amount", &n.to_string())]),
    }
}

fn duration_text(lang: Lang, ms: i64) -> String {
    let (key, n) = match ms {
        ms if ms % 86_400_000 == 0 => ("orders.unit.d", ms / 86_400_000),
        ms if ms % 3_600_000 == 0 => ("orders.unit.h", ms / 3_600_000),
        ms => ("orders.unit.m", ms / 60_000),
    };
    tr(lang, key, &[("n", &n.to_string())])
}

fn utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(String::new, |t| {
        use chrono::{Datelike, Timelike};
        format!("{:04}-{:02}-{:02} {:02}:{:02}", t.year(), t.month(), t.day(), t.hour(), t.minute())
    })
}

/// One order, one line.
pub fn order_line(lang: Lang, o: &OrderRecord) -> String {
    let id = o.id.to_string();
    let mint = short(&o.mint);
    let side = side(lang, o.view.side);
    let size = size_text(lang, o.view.size);
    let mut text = match o.view.plan {
        Plan::Limit { spec, .. } => tr(
            lang,
            "orders.line.limit",
            &[("id", &id), ("side", &side), ("size", &size), ("mint", &mint), ("trigger", &trigger_text(lang, &spec))],
        ),
        Plan::Dca { slices, interval_ms, .. } => tr(
            lang,
            "orders.line.dca",
            &[
                ("id", &id),
                ("side", &side),
                ("size", &size),
                ("mint", &mint),
                ("done", &o.view.fills.to_string()),
                ("slices", &slices.to_string()),
                ("interval", &duration_text(lang, interval_ms)),
            ],
        ),
    };
    if let Some(at) = o.view.expires_at_ms {
        text.push_str(&tr(lang, "orders.expires", &[("at", &utc(at))]));
    }
    text
}

fn pct(bps: u32) -> String {
    Decimal::new(i64::from(bps), 2).normalize().to_string()
}

/// A position's exits, one rule a line; sold ladder steps are ticked.
fn exits_text(lang: Lang, position: i64, e: &StoredExit) -> String {
    let mut lines = vec![tr(lang, "exits.header", &[("id", &position.to_string())])];
    if e.exits_off {
        lines.push(tr(lang, "exits.all_off", &[]));
        return lines.join("\n");
    }
    let r = &e.rules;
    lines.push(match r.stop_loss_bps {
        Some(0) => tr(lang, "exits.sl_breakeven", &[]),
        Some(b) => tr(lang, "exits.sl", &[("pct", &pct(b))]),
        None => tr(lang, "exits.sl_off", &[]),
    });
    if r.take_profit.is_empty() {
        lines.push(tr(lang, "exits.tp_off", &[]));
    } else {
        let done = usize::try_from(e.progress.tp_done).unwrap_or(usize::MAX);
        let steps: Vec<String> = r
            .take_profit
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mark = if i < done { " ✅" } else { "" };
                format!("+{} % → {} %{mark}", pct(s.gain_bps), s.sell_pct)
            })
            .collect();
        lines.push(tr(lang, "exits.tp", &[("steps", &steps.join(", "))]));
    }
    lines.push(match r.trailing {
        Some(t) => tr(lang, "exits.trail", &[("arm", &pct(t.arm_bps)), ("trail", &pct(t.trail_bps))]),
        None => tr(lang, "exits.trail_off", &[]),
    });
    lines.push(match r.time_exit_ms {
        Some(ms) => {
            let hours = (Decimal::from(ms) / Decimal::from(3_600_000)).round_dp(2).normalize();
            tr(lang, "exits.time", &[("hours", &hours.to_string())])
        }
        None => tr(lang, "exits.time_off", &[]),
    });
    lines.join("\n")
}

fn refusal_text(lang: Lang, r: PlaceRefusal) -> String {
    let key = match r {
        PlaceRefusal::Invalid(OrderError::Trigger) => "orders.bad_trigger",
        PlaceRefusal::Invalid(OrderError::Duration) => "orders.bad_duration",
        PlaceRefusal::Invalid(OrderError::Slices) => "orders.bad_slices",
        PlaceRefusal::Invalid(OrderError::Amount) => "orders.bad_amount",
        PlaceRefusal::Invalid(OrderError::Reference) | PlaceRefusal::NoMarket => "orders.no_market",
        PlaceRefusal::NoPosition => "orders.no_position",
        PlaceRefusal::TooMany => "orders.too_many",
    };
    let max = crate::app::orders::MAX_ORDERS_PER_USER.to_string();
    tr(lang, key, &[("max", &max)])
}

fn cancel_button(lang: Lang, id: i64) -> Vec<InlineKeyboardButton> {
    let text = tr(lang, "orders.cancel_button", &[("id", &id.to_string())]);
    vec![InlineKeyboardButton::callback(text, Callback::OrderCancel(id).data())]
}

impl OrdersReply {
    /// The text in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Self::LimitUsage => tr(lang, "orders.usage_limit", &[]),
            Self::DcaUsage => tr(lang, "orders.usage_dca", &[]),
            Self::Refused(r) => refusal_text(lang, *r),
            Self::Placed(o) => tr(lang, "orders.placed", &[("order", &order_line(lang, o))]),
            Self::List(orders) if orders.is_empty() => tr(lang, "orders.none", &[]),
            Self::List(orders) => {
                let mut text = tr(lang, "orders.list_header", &[]);
                for o in orders {
                    text.push('\n');
                    text.push_str(&order_line(lang, o));
                }
                text
            }
            Self::Cancelled(id) => tr(lang, "orders.cancelled", &[("id", &id.to_string())]),
            Self::NotActive(id) => tr(lang, "orders.not_active", &[("id", &id.to_string())]),
            Self::PanicConfirm => tr(lang, "panic.confirm", &[]),
            Self::PanicCancelled => tr(lang, "panic.cancelled", &[]),
            Self::Exits { position, exits } => exits_text(lang, *position, exits),
            Self::ExitsUsage => tr(lang, "exits.usage", &[]),
            Self::ExitsNoPosition => tr(lang, "exits.no_position", &[]),
            Self::ExitsBadValue => tr(lang, "exits.bad_value", &[]),
            Self::PanicDone(r) if r.positions == 0 => tr(lang, "panic.nothing", &[]),
            Self::PanicDone(r) => tr(
                lang,
                "panic.done",
                &[
                    ("positions", &r.positions.to_string()),
                    ("filled", &r.filled.to_string()),
                    ("skipped", &r.duplicates.to_string()),
                    ("failed", &r.failed.to_string()),
                ],
            ),
        }
    }

    /// The inline keyboard, if any.
    pub fn keyboard(&self, lang: Lang) -> Option<InlineKeyboardMarkup> {
        match self {
            Self::Placed(o) => Some(InlineKeyboardMarkup::new(vec![cancel_button(lang, o.id)])),
            Self::List(orders) if !orders.is_empty() => {
                Some(InlineKeyboardMarkup::new(orders.iter().take(50).map(|o| cancel_button(lang, o.id))))
            }
            Self::Exits { position, .. } => Some(InlineKeyboardMarkup::new(vec![vec![
                InlineKeyboardButton::callback(
                    tr(lang, "exits.breakeven_button", &[]),
                    Callback::ExitsBreakEven(*position).data(),
                ),
                InlineKeyboardButton::callback(
                    tr(lang, "exits.cancel_button", &[]),
                    Callback::ExitsOff(*position).data(),
                ),
            ]])),
            Self::PanicConfirm => Some(InlineKeyboardMarkup::new(vec![vec![
                InlineKeyboardButton::callback(tr(lang, "panic.confirm_button", &[]), Callback::Panic(true).data()),
                InlineKeyboardButton::callback(tr(lang, "panic.cancel_button", &[]), Callback::Panic(false).data()),
            ]])),
            _ => None,
        }
    }
}
