//! The home screen (`/start`, 🏠), its menus and their buttons, and "did you mean" for mistyped
//! commands. Menus edit their own message in place and every one ends with Back / Home.
//!
//! Every button that changes something names the resulting state (`h:t:<key>:1` sets the key
//! on, `h:live:y` goes live), so a double tap or a redelivered press changes nothing more.

use super::{HandlerResult, alerts, wallet};
use crate::app::home::{Home, HomeView, PromptKind};
use crate::app::livetrade::SetOutcome;
use crate::app::wallet::WalletError;
use crate::domain::user_config::ConfigKey;
use crate::telegram::callback::{Callback, Menu, WalletAct};
use crate::telegram::command::Command;
use crate::telegram::ctx::Ctx;
use crate::telegram::reply::Reply;
use crate::telegram::reply::copy::CopyReply;
use crate::telegram::reply::home::{UxReply, plain_value};
use crate::telegram::reply::orders::OrdersReply;
use crate::telegram::reply::trade::{TradeReply, position_line};

fn home(ctx: &Ctx) -> Home {
    Home::new(ctx.deps.wallets.clone(), ctx.deps.livetrade.clone(), ctx.deps.usd.clone())
}

fn wallet_error(e: WalletError) -> super::HandlerError {
    Box::new(e)
}

async fn view(ctx: &Ctx, create_wallet: bool) -> Result<HomeView, super::HandlerError> {
    home(ctx).view(ctx.user_id, create_wallet).await.map_err(wallet_error)
}

/// `/start`: in a private chat the home screen (a new user's first wallet is created when
/// custody is configured, and paper trading is switched on so a first trade needs no command);
/// in a group the welcome, which shows nothing private.
pub async fn start(ctx: &Ctx, first_name: &str) -> HandlerResult {
    if !ctx.private {
        let returning = ctx.user.is_some() && !ctx.created;
        ctx.reply(Reply::Welcome { name: first_name.to_owned(), returning });
        return Ok(());
    }
    if ctx.created {
        let config = ctx.deps.livetrade.config(ctx.user_id).await?;
        if config.dry_run && !config.trading_enabled {
            ctx.deps.livetrade.set_enabled(ctx.user_id, true).await?;
        }
    }
    let v = view(ctx, true).await?;
    ctx.reply(UxReply::Home(Box::new(v)));
    Ok(())
}

/// A 🏠 / menu / settings / wallet button.
pub async fn button(ctx: &Ctx, cb: &Callback) -> HandlerResult {
    match *cb {
        Callback::Home => {
            ctx.answer(None);
            // Leaving for Home drops a prompt the user did not answer.
            ctx.deps.prompts.cancel(ctx.user_id).await?;
            let v = view(ctx, false).await?;
            ctx.edit(UxReply::Home(Box::new(v)));
        }
        Callback::Menu(menu) => {
            ctx.answer(None);
            self::menu(ctx, menu).await?;
        }
        Callback::GoLive => {
            ctx.answer(None);
            let v = view(ctx, false).await?;
            if v.wallet.is_none() {
                ctx.edit(UxReply::GoLiveNoWallet);
            } else {
                ctx.edit(UxReply::GoLiveConfirm(Box::new(v.config)));
            }
        }
        Callback::GoLiveConfirm => {
            let v = view(ctx, false).await?;
            if v.wallet.is_none() {
                ctx.answer(None);
                ctx.edit(UxReply::GoLiveNoWallet);
                return Ok(());
            }
            home(ctx).go_live(ctx.user_id).await?;
            ctx.answer(Some(Reply::LiveTradeEnabled { dry_run: v.global_dry_run }));
            let v = view(ctx, false).await?;
            ctx.edit(UxReply::Home(Box::new(v)));
        }
        Callback::GoPaper => {
            home(ctx).go_paper(ctx.user_id).await?;
            ctx.answer(Some(Reply::LiveTradeEnabled { dry_run: true }));
            let v = view(ctx, false).await?;
            ctx.edit(UxReply::Home(Box::new(v)));
        }
        Callback::Toggle(key, on) => {
            let value = if on { "on" } else { "off" };
            match ctx.deps.livetrade.set(ctx.user_id, key.name(), value).await? {
                SetOutcome::Saved(_, config) => {
                    ctx.answer(None);
                    ctx.edit(UxReply::Settings(config));
                }
                SetOutcome::UnknownKey | SetOutcome::Refused(_) => {
                    ctx.answer(Some(Reply::ConfigInvalid { key, value: value.to_owned() }));
                }
            }
        }
        Callback::Ask(key) => {
            ctx.answer(None);
            let config = ctx.deps.livetrade.config(ctx.user_id).await?;
            // Stored before it is shown: the next typed message is the value.
            ctx.deps.prompts.ask(ctx.user_id, PromptKind::Setting(key)).await?;
            ctx.edit(UxReply::PromptSetting { key, current: plain_value(ctx.lang, key, &config) });
        }
        Callback::PromptCancel => {
            ctx.answer(None);
            ctx.deps.prompts.cancel(ctx.user_id).await?;
            let config = ctx.deps.livetrade.config(ctx.user_id).await?;
            ctx.edit(UxReply::Settings(Box::new(config)));
        }
        Callback::WalletNew(seen) => {
            ctx.answer(None);
            // Only when the user still has the wallets the menu showed: a double tap or a
            // redelivered press creates one wallet, not two.
            let now = ctx.deps.wallets.list(ctx.user_id).await.map_err(wallet_error)?.len();
            if now == usize::from(seen) {
                match ctx.deps.wallets.add(ctx.user_id).await {
                    Ok(_) | Err(WalletError::NotConfigured) => {}
                    Err(e) => return Err(wallet_error(e)),
                }
            }
            menu(ctx, Menu::Wallets).await?;
        }
        Callback::WalletMenu(address) => {
            ctx.answer(None);
            wallet_menu(ctx, &address.to_string()).await?;
        }
        Callback::WalletAction(act, address) => {
            ctx.answer(None);
            let address = address.to_string();
            match act {
                WalletAct::MakeDefault => {
                    ctx.deps.wallets.set_default(ctx.user_id, &address).await.map_err(wallet_error)?;
                    wallet_menu(ctx, &address).await?;
                }
                // The `/wallet` flows, with their confirmations, for the chosen wallet.
                WalletAct::Balance => wallet::command(ctx, &["balance", &address].join(" ")).await?,
                WalletAct::Export => wallet::command(ctx, &["export", &address].join(" ")).await?,
                WalletAct::Remove => wallet::command(ctx, &["remove", &address].join(" ")).await?,
                WalletAct::Withdraw => {
                    ctx.deps.prompts.ask(ctx.user_id, PromptKind::Withdraw).await?;
                    ctx.prompt(UxReply::PromptWithdraw { address });
                }
            }
        }
        Callback::ViewPosition(id) => {
            ctx.answer(None);
            view_position(ctx, id).await?;
        }
        _ => ctx.answer(Some(Reply::StaleButton)),
    }
    Ok(())
}

async fn menu(ctx: &Ctx, menu: Menu) -> HandlerResult {
    let back = Some(Callback::Home);
    match menu {
        Menu::Buy => ctx.edit(UxReply::BuyHelp),
        Menu::Help => ctx.edit(Reply::Screen { inner: Box::new(Reply::Help), back }),
        Menu::Settings => {
            let config = ctx.deps.livetrade.config(ctx.user_id).await?;
            ctx.edit(UxReply::Settings(Box::new(config)));
        }
        Menu::Alerts => {
            let overview = alerts::overview(&ctx.deps, ctx.user_id).await?;
            ctx.edit(Reply::Screen { inner: Box::new(overview.into()), back });
        }
        Menu::Wallets => {
            let custody = ctx.deps.wallets.is_configured();
            let wallets =
                if custody { ctx.deps.wallets.list(ctx.user_id).await.map_err(wallet_error)? } else { Vec::new() };
            let wallets = wallets.into_iter().map(|w| (w.record.pubkey, w.record.is_default)).collect();
            ctx.edit(UxReply::Wallets { wallets, custody });
        }
        // Copy trading and resting orders: their lists (orders with a cancel button each) as menu
        // screens; adding and changing them stays with `/copy` and `/limit`, `/dca`.
        Menu::Copy => {
            let inner: Reply = match ctx.deps.copy.as_ref() {
                Some(copy) => CopyReply::List(copy.list(ctx.user_id).await?).into(),
                None => CopyReply::Unavailable.into(),
            };
            ctx.edit(Reply::Screen { inner: Box::new(inner), back });
        }
        Menu::Orders => {
            let inner: Reply = match ctx.deps.orders.as_ref() {
                Some(orders) => OrdersReply::List(orders.list(ctx.user_id).await?).into(),
                None => TradeReply::Unavailable.into(),
            };
            ctx.edit(Reply::Screen { inner: Box::new(inner), back });
        }
        Menu::Positions => {
            let Some(positions) = ctx.deps.positions.as_ref() else {
                ctx.edit(Reply::Screen { inner: Box::new(TradeReply::Unavailable.into()), back });
                return Ok(());
            };
            let open = positions.open(ctx.user_id).await?;
            let inner: Reply = if open.is_empty() {
                TradeReply::NoPositions.into()
            } else {
                let lines = open.iter().map(|p| position_line(ctx.lang, &p.record, p.value)).collect();
                let ids = open.iter().map(|p| p.record.id).collect();
                TradeReply::PositionsList { lines, ids }.into()
            };
            ctx.edit(Reply::Screen { inner: Box::new(inner), back });
        }
    }
    Ok(())
}

async fn wallet_menu(ctx: &Ctx, address: &str) -> HandlerResult {
    match ctx.deps.wallets.find(ctx.user_id, address).await.map_err(wallet_error)? {
        Some(w) => ctx.edit(UxReply::WalletMenu { address: w.pubkey, is_default: w.is_default }),
        None => menu(ctx, Menu::Wallets).await?,
    }
    Ok(())
}

/// One open position with its sell buttons (after a fill: "View position").
async fn view_position(ctx: &Ctx, id: i64) -> HandlerResult {
    let Some(positions) = ctx.deps.positions.as_ref() else {
        ctx.reply(TradeReply::Unavailable);
        return Ok(());
    };
    let back = Some(Callback::Menu(Menu::Positions));
    let open = positions.open(ctx.user_id).await?;
    let inner: Reply = match open.iter().find(|p| p.record.id == id) {
        Some(p) => {
            TradeReply::PositionsList { lines: vec![position_line(ctx.lang, &p.record, p.value)], ids: vec![id] }.into()
        }
        // Closed, or someone else's: nothing to show.
        None => TradeReply::NotFound { value: format!("#{id}") }.into(),
    };
    // A new message: the fill notice it is pressed on stays as the record of the trade.
    ctx.reply(Reply::Screen { inner: Box::new(inner), back });
    Ok(())
}

/// Edit distance between two short ASCII-ish words (command names).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The known command closest to `typed` (without the slash), if it is a likely typo.
pub fn suggest(typed: &str) -> Option<String> {
    closest(typed, &Command::names())
}

/// The word of `known` closest to `typed`, if `typed` is a likely typo of it (not itself).
pub fn closest<S: AsRef<str>>(typed: &str, known: &[S]) -> Option<String> {
    let typed = typed.to_lowercase();
    known
        .iter()
        .map(AsRef::as_ref)
        .map(|name| (distance(&typed, name), name))
        .filter(|(d, name)| *d > 0 && *d <= 2.min(name.len() / 2 + 1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name.to_owned())
}

/// A mistyped subcommand (`/wallet exprot`): "did you mean `/wallet export`?" instead of the
/// whole usage. Returns whether it answered.
pub fn did_you_mean_sub(ctx: &Ctx, command: &str, typed: &str, known: &[&str]) -> bool {
    let Some(suggestion) = closest(typed, known) else {
        return false;
    };
    ctx.reply(UxReply::DidYouMean {
        typed: ["/", command, " ", typed].concat(),
        suggestion: ["/", command, " ", &suggestion].concat(),
    });
    true
}

/// `/something` we do not know: "did you mean …" when it is close to a command.
pub async fn unknown(ctx: &Ctx, text: &str) -> HandlerResult {
    let word = text.split_whitespace().next().unwrap_or_default();
    let name = word.trim_start_matches('/').split('@').next().unwrap_or_default();
    // Also in groups: the suggestion shows nothing private.
    match suggest(name) {
        Some(s) => ctx.reply(UxReply::DidYouMean { typed: word.to_owned(), suggestion: format!("/{s}") }),
        None => ctx.reply(Reply::UnknownCommand),
    }
    Ok(())
}

/// Settings keys a typed value may be given for, with their unit conversion (percent to
/// basis points, decimal commas, `%` suffixes).
pub fn normalize_value(key: ConfigKey, typed: &str) -> String {
    let t = typed.trim().to_lowercase();
    let t = if t.matches(',').count() == 1
        && !t.contains('.')
        && key != ConfigKey::BuyPresets
        && key != ConfigKey::TakeProfit
    {
        t.replace(',', ".")
    } else {
        t
    };
    let t = t.trim_end_matches("sol").trim().to_owned();
    if crate::telegram::reply::home::is_bps(key) {
        let pct = t.trim_end_matches('%').trim();
        if let Ok(d) = pct.parse::<rust_decimal::Decimal>() {
            let bps = d * rust_decimal::Decimal::from(100);
            if bps.fract().is_zero() {
                return bps.normalize().to_string();
            }
        }
        return t;
    }
    if key.name().ends_with("_pct") {
        return t.trim_end_matches('%').trim().to_owned();
    }
    if key.name().ends_with("_hours") {
        return t.trim_end_matches('h').trim().to_owned();
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_the_closest_command() {
        assert_eq!(suggest("byu").as_deref(), Some("buy"));
        assert_eq!(suggest("postions").as_deref(), Some("positions"));
        assert_eq!(suggest("walet").as_deref(), Some("wallet"));
        assert_eq!(suggest("buy"), None);
        assert_eq!(suggest("xyzzyplugh"), None);
        assert_eq!(closest("exprot", &["export", "remove", "list"]).as_deref(), Some("export"));
        assert_eq!(closest("ls", &["export", "remove", "list"]).as_deref(), Some("list"));
        assert_eq!(closest("zzz", &["export", "remove", "list"]), None);
    }

    #[test]
    fn typed_values_accept_commas_and_percent() {
        assert_eq!(normalize_value(ConfigKey::SlippageBps, "5%"), "500");
        assert_eq!(normalize_value(ConfigKey::SlippageBps, "2,5"), "250");
        assert_eq!(normalize_value(ConfigKey::MaxPositionSol, "0,2"), "0.2");
        assert_eq!(normalize_value(ConfigKey::MaxPositionSol, "0.2 SOL"), "0.2");
        assert_eq!(normalize_value(ConfigKey::StopLossPct, "25%"), "25");
        assert_eq!(normalize_value(ConfigKey::TimeExitHours, "24h"), "24");
        assert_eq!(normalize_value(ConfigKey::BuyPresets, "0.1,0.2"), "0.1,0.2");
    }
}
