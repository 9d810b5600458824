//! Every inline button's callback data, as one typed enum parsed once by the router.
//!
//! Formats (each ≤ 64 bytes, Telegram's limit; kept compatible with buttons already sent):
//! `lang:<code>`, `lt:on|off`, `cfg:menu`, `cfg:k:<key>`, `cfg:s:<key>:<value>`, `w:y|n:<nonce>`,
//! `pos:close:<id>:<pct>`, `pos:hist:<page>`, `pos:chart`, `tc:b:<mint>:<lamports>`,
//! `tc:s:<mint>:<pct>`, `tc:c:<mint>`, `tc:r:<mint>`, `sf:<mint>`, `bc:y|n|s:<id>`, `al:buy|skip:<alert id>`;
//! the home screen and its menus: `h:home`, `h:m:<menu>`, `h:live`, `h:live:y`, `h:paper`,
//! `h:t:<key>:1|0`, `h:a:<key>`, `h:x`, `h:wn:<wallets now>`, `h:w:<address>`, `h:wa:<d|b|e|r>:<address>`,
//! `pv:<position id>`, `tc:o:<mint>`; resting orders and position control: `ord:x:<order id>`,
//! `pn:y|n`, `ex:be|off:<position id>`; pictures: `pc:<position id>` (a PnL card).

use std::str::FromStr;

use solana_pubkey::Pubkey;

use crate::domain::lang::Lang;
use crate::domain::user_config::ConfigKey;

/// Telegram's limit on callback data.
pub const MAX_DATA_BYTES: usize = 64;

/// A parsed button press.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// Switch language.
    Language(Lang),
    /// Enable (true) or disable trading.
    SetEnabled(bool),
    /// Show the settings menu.
    ConfigMenu,
    /// Show the value picker of a key.
    ConfigKey(ConfigKey),
    /// Set a key to a preset value.
    ConfigSet(ConfigKey, String),
    /// Confirm a pending `/wallet` action (remove, export, withdraw) by its nonce.
    WalletConfirm(String),
    /// Cancel a pending `/wallet` action by its nonce.
    WalletCancel(String),
    /// Sell `pct` % of one position (under `/positions`).
    ClosePosition {
        /// Position id.
        position: i64,
        /// Percent, 1..=100.
        pct: u8,
    },
    /// A `/positions history` page (1-based).
    HistoryPage(u32),
    /// The equity chart.
    Chart,
    /// Token card: buy a preset amount.
    CardBuy {
        /// Mint.
        mint: Pubkey,
        /// Lamports (must be one of the user's presets).
        lamports: u64,
    },
    /// Token card: sell a percentage (25, 50 or 100).
    CardSell {
        /// Mint.
        mint: Pubkey,
        /// Percent.
        pct: u8,
    },
    /// Token card: how to buy a custom amount.
    CardCustom(Pubkey),
    /// Token card: refresh.
    CardRefresh(Pubkey),
    /// Start a drafted broadcast.
    BroadcastConfirm(i64),
    /// Cancel a drafted broadcast.
    BroadcastCancel(i64),
    /// Stop a running broadcast.
    BroadcastStop(i64),
    /// Token card / alert confirm card: the token's safety details.
    SafetyDetails(Pubkey),
    /// Alert confirm card: buy.
    AlertBuy(i64),
    /// Alert confirm card: dismiss.
    AlertSkip(i64),
    /// The home screen (edited in place).
    Home,
    /// A menu reachable from the home screen.
    Menu(Menu),
    /// Asks to go live (shows the limits in force).
    GoLive,
    /// Confirms going live.
    GoLiveConfirm,
    /// Back to paper trading.
    GoPaper,
    /// Sets an on/off setting to the given value (idempotent on a double tap).
    Toggle(ConfigKey, bool),
    /// Prompts for a typed value of a setting.
    Ask(ConfigKey),
    /// Cancels the pending prompt.
    PromptCancel,
    /// Creates another wallet when the user has exactly this many (a double tap or a replayed
    /// press finds one more and creates nothing).
    WalletNew(u8),
    /// One wallet's menu.
    WalletMenu(Pubkey),
    /// An action on one wallet.
    WalletAction(WalletAct, Pubkey),
    /// One open position.
    ViewPosition(i64),
    /// A fresh token card as a new message (under a fill notice).
    CardOpen(Pubkey),
    /// `/orders`: cancel resting order `id`.
    OrderCancel(i64),
    /// `/panic` card: sell everything (true) or dismiss.
    Panic(bool),
    /// `/exits`: move the stop of position `id` to break-even.
    ExitsBreakEven(i64),
    /// `/exits`: cancel every exit of position `id`.
    ExitsOff(i64),
    /// The PnL card picture of one position, open or closed.
    PnlCard(i64),
}

/// A menu under the home screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Menu {
    /// Open positions.
    Positions,
    /// Wallets.
    Wallets,
    /// Alert sources.
    Alerts,
    /// Settings.
    Settings,
    /// Help.
    Help,
    /// Buy: how to open a token card.
    Buy,
    /// Followed wallets (copy trading).
    Copy,
    /// Resting orders, a cancel button each.
    Orders,
}

impl Menu {
    /// Every menu.
    pub const ALL: [Self; 8] =
        [Self::Positions, Self::Wallets, Self::Alerts, Self::Settings, Self::Help, Self::Buy, Self::Copy, Self::Orders];

    fn code(self) -> &'static str {
        match self {
            Self::Positions => "pos",
            Self::Wallets => "wal",
            Self::Alerts => "alr",
            Self::Settings => "set",
            Self::Help => "help",
            Self::Buy => "buy",
            Self::Copy => "copy",
            Self::Orders => "ord",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == text)
    }
}

/// An action from a wallet's menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalletAct {
    /// Make it the default wallet.
    MakeDefault,
    /// Its balance.
    Balance,
    /// Export its key (asks for confirmation).
    Export,
    /// Remove it (asks for confirmation).
    Remove,
    /// Withdraw SOL from it (the default wallet; prompts for amount and destination).
    Withdraw,
}

impl WalletAct {
    /// Every action.
    pub const ALL: [Self; 5] = [Self::MakeDefault, Self::Balance, Self::Export, Self::Remove, Self::Withdraw];

    fn code(self) -> &'static str {
        match self {
            Self::MakeDefault => "d",
            Self::Balance => "b",
            Self::Export => "e",
            Self::Remove => "r",
            Self::Withdraw => "w",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == text)
    }
}

fn positive(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().filter(|v| *v > 0)
}

fn percent(text: &str) -> Option<u8> {
    text.parse::<u8>().ok().filter(|p| (1..=100).contains(p))
}

fn mint(text: &str) -> Option<Pubkey> {
    Pubkey::from_str(text).ok()
}

/// A pending-action nonce: 32 lower-case hex characters.
fn is_nonce(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Callback {
    /// Parses callback data; `None` for anything unknown or forged (answered as a stale button).
    pub fn parse(data: &str) -> Option<Self> {
        if data.len() > MAX_DATA_BYTES {
            return None;
        }
        if let Some(rest) = data.strip_prefix("cfg:s:") {
            // Values may hold ':' (take-profit ladders such as `100:100`).
            let (key, value) = rest.split_once(':')?;
            let key = ConfigKey::parse(key)?;
            // Only offered presets are accepted from buttons; free values go through the command.
            return key.presets().contains(&value).then(|| Self::ConfigSet(key, value.to_owned()));
        }
        let parts: Vec<&str> = data.split(':').collect();
        Some(match parts.as_slice() {
            ["lang", code] => Self::Language(Lang::from_code(code)?),
            ["lt", "on"] => Self::SetEnabled(true),
            ["lt", "off"] => Self::SetEnabled(false),
            ["cfg", "menu"] => Self::ConfigMenu,
            ["cfg", "k", key] => Self::ConfigKey(ConfigKey::parse(key)?),
            ["w", "y", nonce] if is_nonce(nonce) => Self::WalletConfirm((*nonce).to_owned()),
            ["w", "n", nonce] if is_nonce(nonce) => Self::WalletCancel((*nonce).to_owned()),
            ["pos", "close", id, pct] => Self::ClosePosition { position: positive(id)?, pct: percent(pct)? },
            ["pos", "hist", page] => Self::HistoryPage(page.parse::<u32>().ok().filter(|p| *p >= 1)?),
            ["pos", "chart"] => Self::Chart,
            ["tc", "b", m, lamports] => {
                Self::CardBuy { mint: mint(m)?, lamports: lamports.parse::<u64>().ok().filter(|l| *l > 0)? }
            }
            ["tc", "s", m, pct] => {
                Self::CardSell { mint: mint(m)?, pct: percent(pct).filter(|p| [25, 50, 100].contains(p))? }
            }
            ["tc", "c", m] => Self::CardCustom(mint(m)?),
            ["tc", "r", m] => Self::CardRefresh(mint(m)?),
            ["sf", m] => Self::SafetyDetails(mint(m)?),
            ["bc", "y", id] => Self::BroadcastConfirm(positive(id)?),
            ["bc", "n", id] => Self::BroadcastCancel(positive(id)?),
            ["bc", "s", id] => Self::BroadcastStop(positive(id)?),
            ["al", "buy", id] => Self::AlertBuy(positive(id)?),
            ["al", "skip", id] => Self::AlertSkip(positive(id)?),
            ["h", "home"] => Self::Home,
            ["h", "m", menu] => Self::Menu(Menu::parse(menu)?),
            ["h", "live"] => Self::GoLive,
            ["h", "live", "y"] => Self::GoLiveConfirm,
            ["h", "paper"] => Self::GoPaper,
            ["h", "t", key, on] => {
                let key = ConfigKey::parse(key).filter(|k| k.is_toggle())?;
                Self::Toggle(
                    key,
                    match *on {
                        "1" => true,
                        "0" => false,
                        _ => return None,
                    },
                )
            }
            ["h", "a", key] => Self::Ask(ConfigKey::parse(key)?),
            ["h", "x"] => Self::PromptCancel,
            ["h", "wn", n] => Self::WalletNew(n.parse().ok()?),
            ["h", "w", m] => Self::WalletMenu(mint(m)?),
            ["h", "wa", act, m] => Self::WalletAction(WalletAct::parse(act)?, mint(m)?),
            ["pv", id] => Self::ViewPosition(positive(id)?),
            ["tc", "o", m] => Self::CardOpen(mint(m)?),
            ["ord", "x", id] => Self::OrderCancel(positive(id)?),
            ["pn", "y"] => Self::Panic(true),
            ["pn", "n"] => Self::Panic(false),
            ["ex", "be", id] => Self::ExitsBreakEven(positive(id)?),
            ["ex", "off", id] => Self::ExitsOff(positive(id)?),
            ["pc", id] => Self::PnlCard(positive(id)?),
            _ => return None,
        })
    }

    /// Encodes the callback data.
    pub fn data(&self) -> String {
        match self {
            Self::Language(l) => format!("lang:{}", l.code()),
            Self::SetEnabled(true) => "lt:on".to_owned(),
            Self::SetEnabled(false) => "lt:off".to_owned(),
            Self::ConfigMenu => "cfg:menu".to_owned(),
            Self::ConfigKey(k) => format!("cfg:k:{}", k.name()),
            Self::ConfigSet(k, v) => format!("cfg:s:{}:{v}", k.name()),
            Self::WalletConfirm(nonce) => format!("w:y:{nonce}"),
            Self::WalletCancel(nonce) => format!("w:n:{nonce}"),
            Self::ClosePosition { position, pct } => format!("pos:close:{position}:{pct}"),
            Self::HistoryPage(page) => format!("pos:hist:{page}"),
            Self::Chart => "pos:chart".to_owned(),
            Self::CardBuy { mint, lamports } => format!("tc:b:{mint}:{lamports}"),
            Self::CardSell { mint, pct } => format!("tc:s:{mint}:{pct}"),
            Self::CardCustom(mint) => format!("tc:c:{mint}"),
            Self::CardRefresh(mint) => format!("tc:r:{mint}"),
            Self::SafetyDetails(mint) => format!("sf:{mint}"),
            Self::BroadcastConfirm(id) => format!("bc:y:{id}"),
            Self::BroadcastCancel(id) => format!("bc:n:{id}"),
            Self::BroadcastStop(id) => format!("bc:s:{id}"),
            Self::AlertBuy(id) => format!("al:buy:{id}"),
            Self::AlertSkip(id) => format!("al:skip:{id}"),
            Self::Home => "h:home".to_owned(),
            Self::Menu(m) => format!("h:m:{}", m.code()),
            Self::GoLive => "h:live".to_owned(),
            Self::GoLiveConfirm => "h:live:y".to_owned(),
            Self::GoPaper => "h:paper".to_owned(),
            Self::Toggle(k, on) => format!("h:t:{}:{}", k.name(), u8::from(*on)),
            Self::Ask(k) => format!("h:a:{}", k.name()),
            Self::PromptCancel => "h:x".to_owned(),
            Self::WalletNew(n) => format!("h:wn:{n}"),
            Self::WalletMenu(w) => format!("h:w:{w}"),
            Self::WalletAction(a, w) => format!("h:wa:{}:{w}", a.code()),
            Self::ViewPosition(id) => format!("pv:{id}"),
            Self::CardOpen(mint) => format!("tc:o:{mint}"),
            Self::OrderCancel(id) => format!("ord:x:{id}"),
            Self::Panic(true) => "pn:y".to_owned(),
            Self::Panic(false) => "pn:n".to_owned(),
            Self::ExitsBreakEven(id) => format!("ex:be:{id}"),
            Self::ExitsOff(id) => format!("ex:off:{id}"),
            Self::PnlCard(id) => format!("pc:{id}"),
        }
    }

    /// A short name for metrics and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Language(_) => "language",
            Self::SetEnabled(_) => "livetrade",
            Self::ConfigMenu | Self::ConfigKey(_) | Self::ConfigSet(..) => "config",
            Self::WalletConfirm(_) | Self::WalletCancel(_) => "wallet",
            Self::ClosePosition { .. } | Self::HistoryPage(_) | Self::Chart => "positions",
            Self::CardBuy { .. }
            | Self::CardSell { .. }
            | Self::CardCustom(_)
            | Self::CardRefresh(_)
            | Self::CardOpen(_) => "card",
            Self::SafetyDetails(_) => "safety",
            Self::BroadcastConfirm(_) | Self::BroadcastCancel(_) | Self::BroadcastStop(_) => "broadcast",
            Self::AlertBuy(_) | Self::AlertSkip(_) => "alert",
            Self::Home | Self::Menu(_) | Self::GoLive | Self::GoLiveConfirm | Self::GoPaper => "home",
            Self::Toggle(..) | Self::Ask(_) | Self::PromptCancel => "settings",
            Self::WalletNew(_) | Self::WalletMenu(_) | Self::WalletAction(..) => "wallet",
            Self::ViewPosition(_) => "positions",
            Self::OrderCancel(_) => "orders",
            Self::Panic(_) => "panic",
            Self::ExitsBreakEven(_) | Self::ExitsOff(_) => "exits",
            Self::PnlCard(_) => "picture",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<Callback> {
        let mint = Pubkey::new_from_array([255; 32]);
        let mut all = vec![
            Callback::SetEnabled(true),
            Callback::SetEnabled(false),
            Callback::ConfigMenu,
            Callback::WalletConfirm("0123456789abcdef0123456789abcdef".to_owned()),
            Callback::WalletCancel("0123456789abcdef0123456789abcdef".to_owned()),
            Callback::ClosePosition { position: i64::MAX, pct: 100 },
            Callback::HistoryPage(u32::MAX),
            Callback::Chart,
            // The largest preset a user can set (1,000 SOL) with the longest base58 mint.
            Callback::CardBuy { mint, lamports: 1_000_000_000_000 },
            Callback::CardSell { mint, pct: 100 },
            Callback::CardCustom(mint),
            Callback::CardRefresh(mint),
            Callback::SafetyDetails(mint),
            Callback::BroadcastConfirm(i64::MAX),
            Callback::BroadcastCancel(i64::MAX),
            Callback::BroadcastStop(i64::MAX),
            Callback::AlertBuy(i64::MAX),
            Callback::AlertSkip(i64::MAX),
            Callback::OrderCancel(i64::MAX),
            Callback::Panic(true),
            Callback::Panic(false),
            Callback::ExitsBreakEven(i64::MAX),
            Callback::ExitsOff(i64::MAX),
        ];
        all.extend(Lang::ALL.map(Callback::Language));
        all.extend([
            Callback::Home,
            Callback::GoLive,
            Callback::GoLiveConfirm,
            Callback::GoPaper,
            Callback::PromptCancel,
            Callback::WalletNew(u8::MAX),
            Callback::WalletMenu(mint),
            Callback::ViewPosition(i64::MAX),
            Callback::CardOpen(mint),
            Callback::PnlCard(i64::MAX),
        ]);
        all.extend(Menu::ALL.map(Callback::Menu));
        all.extend(WalletAct::ALL.map(|a| Callback::WalletAction(a, mint)));
        for k in ConfigKey::ALL {
            all.push(Callback::ConfigKey(k));
            all.push(Callback::Ask(k));
            if k.is_toggle() {
                all.push(Callback::Toggle(k, true));
                all.push(Callback::Toggle(k, false));
            }
            all.extend(k.presets().iter().map(|v| Callback::ConfigSet(k, (*v).to_owned())));
        }
        all
    }

    #[test]
    fn every_button_round_trips_and_fits_telegram_limit() {
        for cb in every_kind() {
            let data = cb.data();
            assert!(data.len() <= MAX_DATA_BYTES, "{data} is {} bytes", data.len());
            assert_eq!(Callback::parse(&data), Some(cb), "{data}");
        }
    }

    #[test]
    fn forged_or_unknown_data_is_rejected() {
        for data in [
            "",
            "lang:de",
            "lt:maybe",
            "cfg:k:nope",
            "cfg:s:slippage_bps:9999",
            "cfg:s:dry_run",
            "x:y:z",
            "pos:close:0:50",
            "pos:close:3:101",
            "pos:close:-1:50",
            "pos:hist:0",
            "tc:b:notamint:100",
            "tc:s:11111111111111111111111111111111:33",
            "bc:y:-1",
            "bc:x:1",
            "bc:y:1:2",
            "al:buy:abc",
            "w:y:short",
            "sf:notamint",
            "sf:",
            "h:m:nope",
            "h:t:max_position_sol:1",
            "h:t:dry_run:2",
            "h:wa:z:11111111111111111111111111111111",
            "h:w:notamint",
            "pv:0",
            "h:wn",
            "h:wn:x",
            "ord:x:0",
            "ord:x:abc",
            "pn:maybe",
        ] {
            assert_eq!(Callback::parse(data), None, "{data}");
        }
    }
}
