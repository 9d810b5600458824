//! Plain text in the private chat, in this order:
//!
//! 1. the phrases `buy 0.1 <mint>` / `buy <mint> 0.1` and `sell 50% <mint>` / `sell <mint>`;
//! 2. the answer to a waiting prompt (a custom buy amount, a setting's value, a withdrawal),
//!    claimed for this message so a redelivered update acts on the same prompt and its trade is
//!    a duplicate; a token pasted instead of an amount or a value drops the prompt;
//! 3. a mint or a supported link anywhere in the message opens its token card;
//! 4. anything else: one short hint with the Home button.
//!
//! Amounts accept a decimal comma (`0,07`) and a `sol` suffix; percentages a `%`.

use solana_pubkey::Pubkey;

use super::HandlerResult;
use super::trading::{close, command_key, manual, parse_mint, parse_percent, start, token_card, trading};
use crate::app::home::PromptKind;
use crate::app::livetrade::SetOutcome;
use crate::app::positions::SellTarget;
use crate::app::trade::TradeAmount;
use crate::domain::money::Lamports;
use crate::domain::position::Side;
use crate::telegram::ctx::Ctx;
use crate::telegram::reply::home::{UxReply, plain_value};

use super::home::normalize_value;

/// The first mint or supported link among the message's words.
pub fn find_mint(text: &str) -> Option<Pubkey> {
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| matches!(c, ',' | '.' | ';' | '!' | '?' | '(' | ')' | '"' | '\'' | '<' | '>'))
        })
        .filter(|w| w.len() >= 32)
        .find_map(parse_mint)
}

/// A SOL amount as people type it: `0.07`, `0,07`, `0.07 sol`, `0.07sol`.
pub fn parse_amount(text: &str) -> Option<Lamports> {
    let t = text.trim().to_lowercase();
    let t = t.trim_end_matches("sol").trim();
    let t = if t.matches(',').count() == 1 && !t.contains('.') { t.replace(',', ".") } else { t.to_owned() };
    Lamports::parse_sol(&t).ok().filter(|l| l.0 > 0)
}

/// Whether the message is a "cancel" in any language.
fn is_cancel(text: &str) -> bool {
    let t = text.trim().to_lowercase();
    crate::domain::lang::Lang::ALL
        .iter()
        .flat_map(|l| {
            crate::i18n::tr(*l, "ux.prompt.cancel_words", &[])
                .split(',')
                .map(str::trim)
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .any(|w| !w.is_empty() && w == t)
}

/// A private text message.
pub async fn message(ctx: &Ctx, text: &str) -> HandlerResult {
    if !ctx.private {
        return Ok(());
    }
    let mint = find_mint(text);
    if let Some(mint) = mint
        && let Some(reply) = phrase(ctx, text, mint).await?
    {
        return reply;
    }
    if let Some(kind) = ctx.deps.prompts.answer(ctx.user_id, i64::from(ctx.message_id)).await? {
        // A pasted token instead of an amount or a value: the user moved on.
        if mint.is_none() || kind == PromptKind::Withdraw {
            return answer(ctx, kind, text).await;
        }
        ctx.deps.prompts.cancel(ctx.user_id).await?;
    }
    if let Some(mint) = mint {
        if trading(ctx).is_none() {
            return Ok(());
        }
        let card = token_card(ctx, mint, false).await?;
        ctx.reply(card);
        return Ok(());
    }
    ctx.reply(UxReply::Hint);
    Ok(())
}

/// `buy 0.1 <mint>`, `buy <mint> 0.1 sol`, `sell 50% <mint>`, `sell <mint>`: `None` when the
/// message is not such a phrase (it is then a paste).
async fn phrase(ctx: &Ctx, text: &str, mint: Pubkey) -> Result<Option<HandlerResult>, super::HandlerError> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let Some(verb) = words.first().map(|w| w.to_lowercase()) else {
        return Ok(None);
    };
    // Words other than the verb, the mint (or link) and fillers (mints are case-sensitive).
    let rest: Vec<&str> = words[1..]
        .iter()
        .copied()
        .filter(|w| parse_mint(w).is_none() && !matches!(w.to_lowercase().as_str(), "sol" | "of" | "worth"))
        .collect();
    match (verb.as_str(), rest.as_slice()) {
        ("buy", [amount]) => {
            let Some(trading) = trading(ctx) else {
                return Ok(Some(Ok(())));
            };
            let size = match super::orders::parse_share(amount) {
                Some(bps) => Some(TradeAmount::WalletShare(bps)),
                None => parse_amount(amount).map(TradeAmount::Sol),
            };
            let Some(size) = size else {
                ctx.reply(crate::telegram::reply::trade::TradeReply::BadAmount { value: (*amount).to_owned() });
                return Ok(Some(Ok(())));
            };
            let req = manual(ctx.user_id, mint, Side::Buy, size, command_key(ctx), Some("manual"));
            start(ctx, trading, req);
            Ok(Some(Ok(())))
        }
        ("sell", [] | [_]) => {
            let Some(trading) = trading(ctx) else {
                return Ok(Some(Ok(())));
            };
            let pct_text = rest.first().copied().unwrap_or("100%");
            let Some(pct) = parse_percent(pct_text) else {
                ctx.reply(crate::telegram::reply::trade::TradeReply::BadPercent { value: pct_text.to_owned() });
                return Ok(Some(Ok(())));
            };
            let shown = mint.to_string();
            Ok(Some(close(ctx, trading, SellTarget::Mint(mint), pct, command_key(ctx), &shown).await))
        }
        _ => Ok(None),
    }
}

/// The typed answer to a prompt.
async fn answer(ctx: &Ctx, kind: PromptKind, text: &str) -> HandlerResult {
    if is_cancel(text) {
        ctx.deps.prompts.cancel(ctx.user_id).await?;
        ctx.reply(UxReply::PromptCancelled);
        return Ok(());
    }
    match kind {
        PromptKind::BuyAmount(mint) => {
            let Some(trading) = trading(ctx) else {
                return Ok(());
            };
            let Some(sol) = parse_amount(text) else {
                // Asked again: the prompt stays until an amount, a cancel or its expiry.
                ctx.deps.prompts.ask(ctx.user_id, kind).await?;
                ctx.prompt(UxReply::BadAmount { value: text.trim().to_owned() });
                return Ok(());
            };
            // Keyed by this message: a redelivered update claims the same prompt and its buy
            // is a duplicate.
            let req = manual(ctx.user_id, mint, Side::Buy, TradeAmount::Sol(sol), command_key(ctx), Some("card"));
            start(ctx, trading, req);
        }
        PromptKind::Withdraw => {
            // The `/wallet withdraw` flow (its checks and its confirmation button); a decimal
            // comma in the amount is accepted.
            let mut words = text.split_whitespace();
            let amount = words.next().unwrap_or_default();
            let amount = parse_amount(amount).map_or_else(|| amount.to_owned(), |l| l.to_sol().normalize().to_string());
            let rest: Vec<&str> = words.collect();
            let arg = [vec!["withdraw", amount.as_str()], rest].concat().join(" ");
            super::wallet::command(ctx, &arg).await?;
        }
        PromptKind::Setting(key) => {
            let value = normalize_value(key, text);
            match ctx.deps.livetrade.set(ctx.user_id, key.name(), &value).await? {
                SetOutcome::Saved(_, config) => {
                    ctx.reply(UxReply::SettingSaved { key, value: plain_value(ctx.lang, key, &config) });
                }
                SetOutcome::UnknownKey | SetOutcome::Refused(_) => {
                    ctx.deps.prompts.ask(ctx.user_id, kind).await?;
                    ctx.reply(UxReply::BadSetting { key, value: text.trim().to_owned() });
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_accept_commas_and_units() {
        assert_eq!(parse_amount("0.07"), Some(Lamports(70_000_000)));
        assert_eq!(parse_amount("0,07"), Some(Lamports(70_000_000)));
        assert_eq!(parse_amount("0.07 SOL"), Some(Lamports(70_000_000)));
        assert_eq!(parse_amount("1sol"), Some(Lamports(1_000_000_000)));
        assert_eq!(parse_amount("0"), None);
        assert_eq!(parse_amount("-1"), None);
        assert_eq!(parse_amount("lots"), None);
    }

    #[test]
    fn a_mint_is_found_inside_a_sentence() {
        let mint = Pubkey::new_from_array([9; 32]);
        let text = format!("have a look at {mint}, it pumps!");
        assert_eq!(find_mint(&text), Some(mint));
        assert_eq!(find_mint(&format!("https://pump.fun/coin/{mint}")), Some(mint));
        assert_eq!(find_mint("how do I buy?"), None);
    }
}
