//! Copy-trading replies (`/copy …`) and the copy notices (which leader, which transaction).

use crate::app::copy::{AddOutcome, SetOutcome};
use crate::domain::alert::rules::{SettingError, SettingKey};
use crate::domain::copy::{CopyKey, CopySettingError, CopySkip, DevSellRule};
use crate::domain::lang::Lang;
use crate::domain::money::Lamports;
use crate::i18n::tr;
use crate::ports::CopyNotice;
use crate::ports::copy::Follow;

/// A `/copy` reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyReply {
    /// Usage.
    Usage,
    /// Copy trading is not configured on this bot (no WebSocket URL).
    Unavailable,
    /// Not a wallet address.
    BadAddress(String),
    /// `/copy add` result.
    Add(AddOutcome),
    /// `/copy list`.
    List(Vec<Follow>),
    /// Removed.
    Removed(String),
    /// No follow by that name.
    NotFound(String),
    /// `/copy set` result.
    Set(SetOutcome),
    /// `/copy devsell`: the user's rule now.
    DevSellSet(Option<DevSellRule>),
    /// `/copy devsell` with a bad rule.
    DevSellBad(String),
    /// Storage failure; nothing changed.
    Internal,
}

fn sol(l: Lamports) -> String {
    l.to_sol().normalize().to_string()
}

fn short(text: &str) -> String {
    let n = text.chars().count();
    if n > 12 {
        let head: String = text.chars().take(4).collect();
        let tail: String = text.chars().skip(n - 4).collect();
        format!("{head}…{tail}")
    } else {
        text.to_owned()
    }
}

fn keys_list() -> String {
    let copy = CopyKey::ALL.iter().map(|k| k.name());
    let alert = SettingKey::ALL.iter().map(|k| k.name());
    copy.chain(alert).collect::<Vec<_>>().join(", ")
}

impl CopyReply {
    /// The message text in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Self::Usage => tr(lang, "copy.usage", &[("keys", &keys_list())]),
            Self::Unavailable => tr(lang, "copy.unavailable", &[]),
            Self::BadAddress(v) => tr(lang, "copy.bad_address", &[("value", v)]),
            Self::Add(outcome) => add_text(lang, outcome),
            Self::List(follows) if follows.is_empty() => tr(lang, "copy.list_empty", &[]),
            Self::List(follows) => {
                let mut out = tr(lang, "copy.list_header", &[]);
                for f in follows {
                    out.push('\n');
                    out.push_str(&format!("• {} {}: {}", f.name, f.leader, f.settings.summary()));
                }
                out
            }
            Self::Removed(name) => tr(lang, "copy.removed", &[("name", name)]),
            Self::NotFound(name) => tr(lang, "copy.not_found", &[("name", name)]),
            Self::Set(SetOutcome::Updated(f)) => {
                tr(lang, "copy.updated", &[("name", &f.name), ("settings", &f.settings.summary())])
            }
            Self::Set(SetOutcome::NotFound(name)) => tr(lang, "copy.not_found", &[("name", name)]),
            Self::Set(SetOutcome::Invalid(e)) => invalid_text(lang, e),
            Self::DevSellSet(rule) => tr(lang, "copy.dev_sell_set", &[("rule", &DevSellRule::display(*rule))]),
            Self::DevSellBad(v) => tr(lang, "copy.dev_sell_bad", &[("value", v)]),
            Self::Internal => tr(lang, "copy.internal", &[]),
        }
    }
}

fn add_text(lang: Lang, outcome: &AddOutcome) -> String {
    match outcome {
        AddOutcome::Added(f) => tr(
            lang,
            "copy.added",
            &[("name", &f.name), ("address", &f.leader.to_string()), ("settings", &f.settings.summary())],
        ),
        AddOutcome::BadName(v) => tr(lang, "copy.bad_name", &[("value", v)]),
        AddOutcome::BadSol(v) => tr(lang, "copy.bad_sol", &[("value", v)]),
        AddOutcome::NameTaken(v) => tr(lang, "copy.name_taken", &[("name", v)]),
        AddOutcome::AlreadyFollowing(v) => tr(lang, "copy.already_following", &[("address", v)]),
    }
}

fn invalid_text(lang: Lang, e: &CopySettingError) -> String {
    match e {
        CopySettingError::InvalidValue(key, value) => {
            let allowed = tr(lang, &format!("copy.allowed.{}", key.name()), &[]);
            tr(lang, "copy.bad_value", &[("key", key.name()), ("value", value), ("allowed", &allowed)])
        }
        CopySettingError::MinAboveMax => tr(lang, "copy.min_above_max", &[]),
        CopySettingError::Alert(SettingError::InvalidValue(key, value)) => {
            let allowed = tr(lang, &format!("alerts.allowed.{}", key.name()), &[]);
            tr(lang, "copy.bad_value", &[("key", key.name()), ("value", value), ("allowed", &allowed)])
        }
        CopySettingError::Alert(SettingError::UnknownKey(key)) => {
            tr(lang, "copy.unknown_key", &[("key", key), ("keys", &keys_list())])
        }
        CopySettingError::Alert(SettingError::Malformed(word)) => {
            tr(lang, "copy.malformed", &[("value", word), ("keys", &keys_list())])
        }
    }
}

/// A copy notice: copied (the fill notice is separate) or skipped with the rule.
pub fn render_copy_notice(lang: Lang, n: &CopyNotice) -> String {
    let tx = short(&n.signature);
    let mint = short(&n.mint);
    let pct = (rust_decimal::Decimal::from(n.sold_bps) / rust_decimal::Decimal::from(100)).normalize().to_string();
    let args = [
        ("leader", n.leader_name.as_str()),
        ("tx", tx.as_str()),
        ("mint", mint.as_str()),
        ("sol", &sol(n.leader_sol)),
        ("pct", pct.as_str()),
    ];
    let head = match (n.buy, n.skipped) {
        (true, None) => tr(lang, "copy.notice_buy", &args),
        (false, None) => tr(lang, "copy.notice_sell", &args),
        (_, Some(skip)) => {
            let reason = tr(lang, &format!("copy.skip.{}", skip.code()), &[("limit", &skip.limit())]);
            let mut args = args.to_vec();
            args.push(("reason", reason.as_str()));
            let key = if n.buy { "copy.skipped_buy" } else { "copy.skipped_sell" };
            tr(lang, key, &args)
        }
    };
    format!("{head}\nhttps://solscan.io/tx/{}", n.signature)
}

/// Every skip reason (for the locale completeness check).
pub const SKIPS: [CopySkip; 7] = [
    CopySkip::SellsOff,
    CopySkip::NotHeld,
    CopySkip::AlreadyHeld,
    CopySkip::DailyCap(0),
    CopySkip::MaxOpen(0),
    CopySkip::Paused(0),
    CopySkip::TooSmall,
];

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(skipped: Option<CopySkip>) -> CopyNotice {
        CopyNotice {
            leader_name: "whale".to_owned(),
            signature: "5JKjBwvd359NMtzRV9M5XH1ofN5nvR9PBqFG3KzcYC7eDXrE3425fMrpWNfgAX3x1smLwus6hFvSjzLxiXrjMGS2"
                .to_owned(),
            mint: "EM1WnMcHLeMqBFWKoNstRj7qautMwSphqRQVBVw1pump".to_owned(),
            buy: skipped.is_none(),
            leader_sol: Lamports(700_000_128),
            sold_bps: 3_333,
            skipped,
        }
    }

    #[test]
    fn copy_notices_name_the_leader_and_its_transaction_in_every_language() {
        for lang in Lang::ALL {
            for n in [notice(None), notice(Some(CopySkip::DailyCap(7))), notice(Some(CopySkip::SellsOff))] {
                let text = render_copy_notice(lang, &n);
                assert!(text.contains("whale") && text.contains("5JKj…MGS2"), "{text}");
                assert!(text.ends_with(&format!("https://solscan.io/tx/{}", n.signature)), "{text}");
                assert!(!text.contains("%{"), "{text}");
            }
        }
        let en = render_copy_notice(Lang::En, &notice(Some(CopySkip::DailyCap(7))));
        assert!(en.starts_with("🪞 Not copying whale's sell of 33.33% of its EM1W…pump"), "{en}");
        assert!(en.contains("7 copied buys from this wallet today already"), "{en}");
        let buy = render_copy_notice(Lang::En, &notice(None));
        assert!(buy.starts_with("🪞 Copy of whale's buy of EM1W…pump (the leader spent 0.700000128 SOL)"), "{buy}");
    }
}
