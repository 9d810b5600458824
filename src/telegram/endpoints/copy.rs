//! `/copy add|list|remove|set`: translates into `app::copy`.

use std::str::FromStr;

use solana_pubkey::Pubkey;

use super::{HandlerResult, private_only};
use crate::domain::copy::DevSellRule;
use crate::domain::money::Lamports;
use crate::telegram::ctx::Ctx;
use crate::telegram::reply::copy::CopyReply;

/// `/copy …` (private chats only).
pub async fn command(ctx: &Ctx, arg: &str) -> HandlerResult {
    if !private_only(ctx) {
        return Ok(());
    }
    let Some(copy) = ctx.deps.copy.as_ref() else {
        ctx.reply(CopyReply::Unavailable);
        return Ok(());
    };
    let user = ctx.user_id;
    let words: Vec<&str> = arg.split_whitespace().collect();
    let reply = match words.as_slice() {
        ["add", address, rest @ ..] if rest.len() <= 2 => {
            let Ok(leader) = Pubkey::from_str(address) else {
                ctx.reply(CopyReply::BadAddress((*address).to_owned()));
                return Ok(());
            };
            // `[name] [sol]`: a lone number is the size.
            let (name, sol) = match rest {
                [] => (None, None),
                [one] if Lamports::parse_sol(&one.replace(',', ".")).is_ok() => (None, Some(*one)),
                [one] => (Some(*one), None),
                [name, sol, ..] => (Some(*name), Some(*sol)),
            };
            let sol = sol.map(|s| s.replace(',', "."));
            CopyReply::Add(copy.add(user, leader, name, sol.as_deref()).await?)
        }
        [] | ["list"] => CopyReply::List(copy.list(user).await?),
        ["remove", name] => {
            if copy.remove(user, name).await? {
                CopyReply::Removed((*name).to_lowercase())
            } else {
                CopyReply::NotFound((*name).to_lowercase())
            }
        }
        ["set", name, pairs @ ..] => CopyReply::Set(copy.set(user, name, pairs).await?),
        ["devsell" | "dev_sell", rule] => match DevSellRule::parse(rule) {
            Ok(rule) => {
                copy.set_dev_sell(user, rule).await?;
                CopyReply::DevSellSet(rule)
            }
            Err(_) => CopyReply::DevSellBad((*rule).to_owned()),
        },
        _ => CopyReply::Usage,
    };
    ctx.reply(reply);
    Ok(())
}
