//! The buttons-first screens (home, menus, prompts, hints), rendered as Telegram HTML: every
//! value is escaped, addresses are in `<code>` (tap to copy), amounts are formatted for people.

use rust_decimal::Decimal;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::app::home::HomeView;
use crate::domain::lang::Lang;
use crate::domain::money::{LAMPORTS_PER_SOL, Lamports};
use crate::domain::user_config::{ConfigKey, UserConfig};
use crate::i18n::tr;
use crate::telegram::callback::{Callback, Menu, WalletAct};

use super::labels::{key_allowed, key_label};

/// Escapes text for Telegram HTML (`&`, `<`, `>`; quotes only matter inside attributes, which
/// we never fill from user text).
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// Groups the integer part in thousands: `1234567.5` → `1,234,567.5`.
pub fn thousands(value: Decimal) -> String {
    let text = value.normalize().to_string();
    let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |d| ("-", d));
    let (int, frac) = digits.split_once('.').map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

const SUBSCRIPT: [char; 10] = ['₀', '₁', '₂', '₃', '₄', '₅', '₆', '₇', '₈', '₉'];

/// A price for people: four significant digits; below 0.0001 the zeros after the point are
/// counted in a subscript (`0.0000000279612` → `0.0₇2796`); large values get separators.
pub fn compact_price(value: Decimal) -> String {
    if value.is_zero() {
        return "0".to_owned();
    }
    let negative = value.is_sign_negative();
    let v = value.abs();
    let body = if v >= Decimal::ONE {
        thousands(v.round_dp(if v >= Decimal::from(1000) { 2 } else { 4 }))
    } else {
        let text = v.normalize().to_string();
        let frac = text.split_once('.').map_or("", |(_, f)| f);
        let zeros = frac.chars().take_while(|c| *c == '0').count();
        let digits: String = frac[zeros..].chars().take(4).collect();
        let digits = digits.trim_end_matches('0');
        let digits = if digits.is_empty() { "0" } else { digits };
        if zeros >= 4 {
            let sub: String =
                zeros.to_string().chars().filter_map(|d| d.to_digit(10)).map(|d| SUBSCRIPT[d as usize]).collect();
            format!("0.0{sub}{digits}")
        } else {
            format!("0.{}{digits}", "0".repeat(zeros))
        }
    };
    if negative { format!("-{body}") } else { body }
}

/// Lamports as SOL with separators (`1,234.5`).
pub fn sol(l: Lamports) -> String {
    thousands(l.to_sol())
}

/// Signed lamports as SOL with a sign (`+0.05`, `-1.2`).
pub fn signed_sol(lamports: i64) -> String {
    let v = Decimal::from(lamports) / Decimal::from(LAMPORTS_PER_SOL);
    if v.is_sign_positive() && !v.is_zero() { format!("+{}", thousands(v)) } else { thousands(v) }
}

/// US dollars with cents and separators (`$1,234.50`); a signed amount gets its sign
/// (`+$1.50`, `-$0.20`).
pub fn usd(value: Decimal, signed: bool) -> String {
    let cents = value.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{:.2}", cents.abs());
    let (int, frac) = text.split_once('.').unwrap_or((text.as_str(), "00"));
    let int = thousands(int.parse::<Decimal>().unwrap_or_default());
    let sign = if cents.is_sign_negative() && !cents.is_zero() {
        "-"
    } else if signed && !cents.is_zero() {
        "+"
    } else {
        ""
    };
    format!("{sign}${int}.{frac}")
}

/// A USD price per token: cents from a dollar up, compact below (`$0.0₅1234`).
pub fn usd_price(value: Decimal) -> String {
    if value.abs() >= Decimal::ONE { usd(value, false) } else { format!("${}", compact_price(value)) }
}

fn button(text: String, cb: &Callback) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(text, cb.data())
}

fn label(lang: Lang, key: &str) -> String {
    tr(lang, key, &[])
}

/// The Back / Home row every menu screen ends with.
pub fn nav_row(lang: Lang, back: Option<&Callback>) -> Vec<InlineKeyboardButton> {
    let mut row = Vec::new();
    if let Some(back) = back {
        row.push(button(label(lang, "ux.button.back"), back));
    }
    row.push(button(label(lang, "ux.button.home"), &Callback::Home));
    row
}

/// `keyboard` with the Back / Home row appended.
pub fn with_nav(lang: Lang, keyboard: Option<InlineKeyboardMarkup>, back: Option<&Callback>) -> InlineKeyboardMarkup {
    let mut rows = keyboard.map(|k| k.inline_keyboard).unwrap_or_default();
    rows.push(nav_row(lang, back));
    InlineKeyboardMarkup::new(rows)
}

/// The on/off settings shown as toggles, in menu order.
pub const TOGGLES: [ConfigKey; 5] = [
    ConfigKey::MevProtection,
    ConfigKey::VolumeRewards,
    ConfigKey::DenyFreeze,
    ConfigKey::DenyMintAuthority,
    ConfigKey::RequireSellable,
];

/// The settings with a ✏️ button, in menu order.
pub const EDITABLE: [ConfigKey; 11] = [
    ConfigKey::MaxPositionSol,
    ConfigKey::MaxTotalExposureSol,
    ConfigKey::BuyPresets,
    ConfigKey::SlippageBps,
    ConfigKey::StopLossPct,
    ConfigKey::TakeProfit,
    ConfigKey::TrailingStop,
    ConfigKey::TimeExitHours,
    ConfigKey::DailyLossLimitSol,
    ConfigKey::MaxOpenPositions,
    ConfigKey::MinSolReserve,
];

/// Whether a setting is stored in basis points but shown and typed in percent.
pub fn is_bps(key: ConfigKey) -> bool {
    matches!(key, ConfigKey::SlippageBps | ConfigKey::MaxPriceImpactBps)
}

/// A setting's value in plain units (percent for basis points, SOL, hours).
pub fn plain_value(lang: Lang, key: ConfigKey, config: &UserConfig) -> String {
    let raw = config.display(key);
    if is_bps(key) {
        return raw
            .parse::<i64>()
            .map_or(raw, |bps| format!("{}%", (Decimal::from(bps) / Decimal::from(100)).normalize()));
    }
    if raw == "off" || raw == "on" {
        return tr(lang, if raw == "on" { "common.on" } else { "common.off" }, &[]);
    }
    let name = key.name();
    if name.ends_with("_sol") {
        format!("{} SOL", raw)
    } else if name.ends_with("_pct") {
        format!("{}%", raw)
    } else if name.ends_with("_hours") {
        format!("{} h", raw)
    } else {
        raw
    }
}

/// A buttons-first screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UxReply {
    /// The home screen.
    Home(Box<HomeView>),
    /// "Go live?" with the limits in force.
    GoLiveConfirm(Box<UserConfig>),
    /// Going live needs a wallet first.
    GoLiveNoWallet,
    /// The settings menu.
    Settings(Box<UserConfig>),
    /// The wallets menu.
    Wallets {
        /// Addresses with their default flag.
        wallets: Vec<(String, bool)>,
        /// Whether custody is configured.
        custody: bool,
    },
    /// One wallet's menu.
    WalletMenu {
        /// Address.
        address: String,
        /// Whether it is the default wallet.
        is_default: bool,
    },
    /// How to buy.
    BuyHelp,
    /// Asks for a SOL amount to buy of a mint.
    PromptBuy {
        /// Mint.
        mint: String,
    },
    /// Asks for a withdrawal's amount and destination.
    PromptWithdraw {
        /// The default wallet it leaves from.
        address: String,
    },
    /// Asks for a setting's new value.
    PromptSetting {
        /// The setting.
        key: ConfigKey,
        /// Its value now, in plain units.
        current: String,
    },
    /// The prompt was cancelled.
    PromptCancelled,
    /// A typed amount was not a SOL amount (the prompt is asked again).
    BadAmount {
        /// What was typed.
        value: String,
    },
    /// A typed setting value was refused (nothing changed).
    BadSetting {
        /// The setting.
        key: ConfigKey,
        /// What was typed.
        value: String,
    },
    /// A setting was saved from a typed value.
    SettingSaved {
        /// The setting.
        key: ConfigKey,
        /// Its new value, in plain units.
        value: String,
    },
    /// Anything else typed in the private chat.
    Hint,
    /// An unknown command close to a known one.
    DidYouMean {
        /// What was typed (`/byu`).
        typed: String,
        /// The closest command (`/buy`).
        suggestion: String,
    },
    /// The token card.
    Card(Box<super::card::CardView>),
    /// The token card's note about presets above the user's max position.
    PresetsCapped {
        /// The max position.
        max: Lamports,
    },
}

impl UxReply {
    /// The HTML text in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Self::Home(v) => home_text(lang, v),
            Self::GoLiveConfirm(c) => {
                let off = tr(lang, "common.off", &[]);
                tr(
                    lang,
                    "ux.live.confirm",
                    &[
                        ("max_position", &sol(c.max_position)),
                        ("exposure", &sol(c.max_total_exposure)),
                        ("daily", &c.daily_loss_limit.map_or_else(|| off.clone(), |l| format!("{} SOL", sol(l)))),
                        ("slippage", &plain_value(lang, ConfigKey::SlippageBps, c)),
                        ("stop", &esc(&plain_value(lang, ConfigKey::StopLossPct, c))),
                        ("open", &c.max_open_positions.to_string()),
                    ],
                )
            }
            Self::GoLiveNoWallet => label(lang, "ux.live.no_wallet"),
            Self::Settings(c) => {
                let mut lines = vec![label(lang, "ux.settings.title"), String::new()];
                for key in EDITABLE {
                    lines.push(tr(
                        lang,
                        "ux.settings.line",
                        &[("label", &esc(&key_label(lang, key))), ("value", &esc(&plain_value(lang, key, c)))],
                    ));
                }
                lines.join("\n")
            }
            Self::Wallets { wallets, custody } => {
                if !custody {
                    label(lang, "ux.wallets.no_custody")
                } else if wallets.is_empty() {
                    label(lang, "ux.wallets.none")
                } else {
                    let mut lines = vec![label(lang, "ux.wallets.title"), String::new()];
                    for (address, is_default) in wallets {
                        let star = if *is_default { " ⭐" } else { "" };
                        lines.push(format!("<code>{}</code>{star}", esc(address)));
                    }
                    lines.join("\n")
                }
            }
            Self::WalletMenu { address, is_default } => {
                let tag = if *is_default { label(lang, "ux.wallet.default_tag") } else { String::new() };
                tr(lang, "ux.wallet.title", &[("address", &esc(address)), ("default", &tag)])
            }
            Self::BuyHelp => label(lang, "ux.buy_help"),
            Self::PromptBuy { mint } => tr(lang, "ux.prompt.buy", &[("mint", &esc(mint))]),
            Self::PromptSetting { key, current } => tr(
                lang,
                "ux.prompt.setting",
                &[
                    ("label", &esc(&key_label(lang, *key))),
                    ("value", &esc(current)),
                    ("allowed", &esc(&key_allowed(lang, *key))),
                ],
            ),
            Self::PromptCancelled => label(lang, "ux.prompt.cancelled"),
            Self::PromptWithdraw { address } => tr(lang, "ux.prompt.withdraw", &[("address", &esc(address))]),
            Self::BadAmount { value } => tr(lang, "ux.prompt.bad_amount", &[("value", &esc(value))]),
            Self::BadSetting { key, value } => tr(
                lang,
                "ux.prompt.bad_value",
                &[
                    ("value", &esc(value)),
                    ("label", &esc(&key_label(lang, *key))),
                    ("allowed", &esc(&key_allowed(lang, *key))),
                ],
            ),
            Self::SettingSaved { key, value } => {
                tr(lang, "ux.prompt.saved", &[("label", &esc(&key_label(lang, *key))), ("value", &esc(value))])
            }
            Self::Hint => label(lang, "ux.hint"),
            Self::DidYouMean { typed, suggestion } => {
                tr(lang, "ux.did_you_mean", &[("typed", &esc(typed)), ("suggestion", &esc(suggestion))])
            }
            Self::PresetsCapped { max } => tr(lang, "ux.card.presets_capped", &[("max", &sol(*max))]),
            Self::Card(v) => super::card::card_text(lang, v),
        }
    }

    /// The buttons.
    pub fn keyboard(&self, lang: Lang) -> Option<InlineKeyboardMarkup> {
        let home_back = Some(Callback::Home);
        match self {
            Self::Home(v) => Some(home_keyboard(lang, v)),
            Self::Card(v) => Some(super::card::card_keyboard(lang, v)),
            Self::GoLiveConfirm(_) => Some(InlineKeyboardMarkup::new([
                vec![button(label(lang, "ux.button.confirm_live"), &Callback::GoLiveConfirm)],
                nav_row(lang, home_back.as_ref()),
            ])),
            Self::GoLiveNoWallet | Self::BuyHelp | Self::Hint | Self::DidYouMean { .. } => {
                Some(InlineKeyboardMarkup::new([nav_row(lang, None)]))
            }
            Self::Settings(c) => Some(settings_keyboard(lang, c)),
            Self::Wallets { wallets, custody } => {
                let mut rows: Vec<Vec<InlineKeyboardButton>> = wallets
                    .iter()
                    .filter_map(|(address, is_default)| {
                        let pk = address.parse().ok()?;
                        let star = if *is_default { "⭐ " } else { "" };
                        let short = format!(
                            "{star}{}…{}",
                            &address[..4.min(address.len())],
                            &address[address.len().saturating_sub(4)..]
                        );
                        Some(vec![button(short, &Callback::WalletMenu(pk))])
                    })
                    .collect();
                if *custody {
                    let count = u8::try_from(wallets.len()).unwrap_or(u8::MAX);
                    rows.push(vec![button(label(lang, "ux.button.new_wallet"), &Callback::WalletNew(count))]);
                }
                rows.push(nav_row(lang, home_back.as_ref()));
                Some(InlineKeyboardMarkup::new(rows))
            }
            Self::WalletMenu { address, is_default } => {
                let pk = address.parse().ok()?;
                let mut first =
                    vec![button(label(lang, "ux.button.balance"), &Callback::WalletAction(WalletAct::Balance, pk))];
                if !is_default {
                    first.push(button(
                        label(lang, "ux.button.make_default"),
                        &Callback::WalletAction(WalletAct::MakeDefault, pk),
                    ));
                }
                if *is_default {
                    // Withdrawals leave from the default wallet.
                    first.push(button(
                        label(lang, "ux.button.withdraw"),
                        &Callback::WalletAction(WalletAct::Withdraw, pk),
                    ));
                }
                let second = vec![
                    button(label(lang, "ux.button.export"), &Callback::WalletAction(WalletAct::Export, pk)),
                    button(label(lang, "ux.button.remove"), &Callback::WalletAction(WalletAct::Remove, pk)),
                ];
                Some(InlineKeyboardMarkup::new([first, second, nav_row(lang, Some(&Callback::Menu(Menu::Wallets)))]))
            }
            Self::PromptSetting { .. } => Some(InlineKeyboardMarkup::new([
                vec![button(label(lang, "ux.button.cancel"), &Callback::PromptCancel)],
                nav_row(lang, Some(&Callback::Menu(Menu::Settings))),
            ])),
            Self::SettingSaved { .. } | Self::BadSetting { .. } => {
                Some(InlineKeyboardMarkup::new([nav_row(lang, Some(&Callback::Menu(Menu::Settings)))]))
            }
            Self::PromptCancelled => Some(InlineKeyboardMarkup::new([nav_row(lang, None)])),
            Self::PromptBuy { .. }
            | Self::BadAmount { .. }
            | Self::PresetsCapped { .. }
            | Self::PromptWithdraw { .. } => None,
        }
    }
}

/// The buttons under a fill notice: after a buy, sell 25/50/100 % of that position and view
/// it; always a fresh token card and the transaction on the explorer (a live fill).
pub fn fill_keyboard(lang: Lang, notice: &crate::ports::TradeNotice) -> Option<InlineKeyboardMarkup> {
    let crate::ports::TradeNotice::Filled { side, mint, signature, position_id, .. } = notice else {
        return None;
    };
    let mut rows = Vec::new();
    if *side == crate::domain::position::Side::Buy && *position_id > 0 {
        rows.push(
            [25u8, 50, 100]
                .into_iter()
                .map(|pct| {
                    let text = tr(lang, "ux.button.sell_pct", &[("pct", &pct.to_string())]);
                    button(text, &Callback::ClosePosition { position: *position_id, pct })
                })
                .collect(),
        );
    }
    let mut row = Vec::new();
    if *side == crate::domain::position::Side::Buy && *position_id > 0 {
        row.push(button(label(lang, "ux.button.view_position"), &Callback::ViewPosition(*position_id)));
    }
    if *side == crate::domain::position::Side::Sell && *position_id > 0 {
        row.push(button(label(lang, "pics.button"), &Callback::PnlCard(*position_id)));
    }
    if let Ok(mint) = mint.parse() {
        row.push(button(label(lang, "ux.button.refresh"), &Callback::CardOpen(mint)));
    }
    if !row.is_empty() {
        rows.push(row);
    }
    if let Some(url) = signature.as_ref().and_then(|s| reqwest::Url::parse(&format!("https://solscan.io/tx/{s}")).ok())
    {
        rows.push(vec![InlineKeyboardButton::url(label(lang, "ux.button.explorer"), url)]);
    }
    (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows))
}

fn home_text(lang: Lang, v: &HomeView) -> String {
    let mut lines = vec![label(lang, "ux.home.title"), String::new()];
    match (&v.wallet, v.custody) {
        (Some(address), _) => {
            lines.push(tr(lang, "ux.home.wallet", &[("address", &esc(address))]));
            lines.push(match (v.sol, v.sol_usd) {
                (Some(l), Some(rate)) => tr(
                    lang,
                    "ux.home.balance_usd",
                    &[("sol", &sol(l)), ("usd", &usd(crate::app::usd::usd_of_lamports(l, rate), false))],
                ),
                (Some(l), None) => tr(lang, "ux.home.balance", &[("sol", &sol(l))]),
                (None, _) => label(lang, "ux.home.balance_unknown"),
            });
            if v.created_wallet {
                lines.push(label(lang, "ux.home.created"));
            }
        }
        (None, true) => lines.push(label(lang, "ux.home.no_wallet")),
        (None, false) => lines.push(label(lang, "ux.home.no_custody")),
    }
    let mode = if !v.config.trading_enabled {
        "ux.home.mode_off"
    } else if v.paper() {
        "ux.home.mode_paper"
    } else {
        "ux.home.mode_live"
    };
    lines.push(label(lang, mode));
    let count = v.summary.open_positions.to_string();
    let pnl = signed_sol(v.summary.realized_today_lamports);
    lines.push(match v.sol_usd {
        Some(rate) => {
            let pnl_usd = usd(crate::app::usd::usd_of_signed(v.summary.realized_today_lamports, rate), true);
            tr(lang, "ux.home.positions_usd", &[("count", &count), ("pnl", &pnl), ("usd", &pnl_usd)])
        }
        None => tr(lang, "ux.home.positions", &[("count", &count), ("pnl", &pnl)]),
    });
    lines.push(String::new());
    lines.push(label(lang, "ux.home.hint"));
    lines.join("\n")
}

fn home_keyboard(lang: Lang, v: &HomeView) -> InlineKeyboardMarkup {
    let b = |key: &str, cb: Callback| button(label(lang, key), &cb);
    let mut rows = vec![
        vec![b("ux.button.buy", Callback::Menu(Menu::Buy)), b("ux.button.positions", Callback::Menu(Menu::Positions))],
        vec![
            b("ux.button.wallets", Callback::Menu(Menu::Wallets)),
            b("ux.button.alerts", Callback::Menu(Menu::Alerts)),
        ],
        vec![b("ux.button.copy", Callback::Menu(Menu::Copy)), b("ux.button.orders", Callback::Menu(Menu::Orders))],
        vec![b("ux.button.settings", Callback::Menu(Menu::Settings)), b("ux.button.help", Callback::Menu(Menu::Help))],
    ];
    let mode = if v.paper() || !v.config.trading_enabled {
        if v.global_dry_run { None } else { Some(b("ux.button.go_live", Callback::GoLive)) }
    } else {
        Some(b("ux.button.go_paper", Callback::GoPaper))
    };
    rows.push(mode.into_iter().chain([b("ux.button.refresh", Callback::Home)]).collect());
    InlineKeyboardMarkup::new(rows)
}

fn settings_keyboard(lang: Lang, c: &UserConfig) -> InlineKeyboardMarkup {
    let mut rows: Vec<Vec<InlineKeyboardButton>> = Vec::new();
    // Paper trading: switching it off is going live, which asks first.
    let paper = c.dry_run;
    let paper_label = format!("{} {}", if paper { "🟢" } else { "🔴" }, key_label(lang, ConfigKey::DryRun));
    rows.push(vec![button(paper_label, if paper { &Callback::GoLive } else { &Callback::GoPaper })]);
    let toggles: Vec<InlineKeyboardButton> = TOGGLES
        .iter()
        .map(|key| {
            let on = c.display(*key) == "on";
            let text = format!("{} {}", if on { "🟢" } else { "🔴" }, key_label(lang, *key));
            button(text, &Callback::Toggle(*key, !on))
        })
        .collect();
    rows.extend(toggles.chunks(2).map(<[InlineKeyboardButton]>::to_vec));
    let edits: Vec<InlineKeyboardButton> =
        EDITABLE.iter().map(|key| button(format!("✏️ {}", key_label(lang, *key)), &Callback::Ask(*key))).collect();
    rows.extend(edits.chunks(2).map(<[InlineKeyboardButton]>::to_vec));
    rows.push(nav_row(lang, Some(&Callback::Home)));
    InlineKeyboardMarkup::new(rows)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr as _;

    use super::*;

    #[test]
    fn prices_are_compact() {
        let d = |s: &str| Decimal::from_str(s).unwrap_or_default();
        assert_eq!(compact_price(d("0.0000000279612")), "0.0₇2796");
        assert_eq!(compact_price(d("0.00012")), "0.00012");
        assert_eq!(compact_price(d("0.00001")), "0.0₄1");
        assert_eq!(compact_price(d("0.5")), "0.5");
        assert_eq!(compact_price(d("1234567.891")), "1,234,567.89");
        assert_eq!(compact_price(d("12.345678")), "12.3457");
        assert_eq!(compact_price(Decimal::ZERO), "0");
        assert_eq!(compact_price(d("-0.000000123")), "-0.0₆123");
    }

    #[test]
    fn thousands_are_separated() {
        let d = |s: &str| Decimal::from_str(s).unwrap_or_default();
        assert_eq!(thousands(d("1234567.5")), "1,234,567.5");
        assert_eq!(thousands(d("-1000")), "-1,000");
        assert_eq!(thousands(d("999")), "999");
        assert_eq!(thousands(d("0.25")), "0.25");
        assert_eq!(signed_sol(50_000_000), "+0.05");
        assert_eq!(signed_sol(-1_200_000_000), "-1.2");
        assert_eq!(signed_sol(0), "0");
    }

    #[test]
    fn escaping_covers_markup() {
        assert_eq!(esc("<b>&\"x\""), "&lt;b&gt;&amp;&quot;x&quot;");
    }
}
