//! `/wallet` messages, rendered from `locales/` (`wallet.*` keys), and their buttons.
//!
//! No variant ever holds key material: the one message that shows a secret (export) is built in
//! `telegram::wallet` and never passes through here.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::app::wallet::{BalanceView, WalletLine, WithdrawBlock, WithdrawDone, WithdrawState};
use crate::domain::lang::Lang;
use crate::domain::money::Lamports;
use crate::domain::wallet::{WithdrawPlan, WithdrawRefusal, short_address};
use crate::i18n::tr;
use crate::ports::AllowedAddress;
use crate::telegram::callback::Callback;
use crate::wallet::ImportError;

/// A `/wallet` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalletReply {
    /// No master key configured.
    NotConfigured,
    /// Command list.
    Usage,
    /// Refused in a group; `deleted` is set when the message held a key (and says whether it
    /// could be deleted).
    GroupRefused {
        /// Whether the user's message was deleted (`None`: it held no key).
        deleted: Option<bool>,
    },
    /// `/wallet add` done.
    Created {
        /// Address.
        address: String,
    },
    /// `/wallet import` result (the message with the key was deleted, or could not be).
    Import {
        /// `Ok(address)` or why it failed.
        result: Result<String, ImportFailure>,
        /// Whether the user's message was deleted.
        deleted: bool,
    },
    /// `/wallet list`.
    List(Vec<WalletLine>),
    /// The user has no wallet.
    NoWallets,
    /// Default changed.
    DefaultSet {
        /// Address.
        address: String,
    },
    /// No such wallet of this user.
    NotFound {
        /// What was typed.
        address: String,
    },
    /// `/wallet balance`.
    Balance(BalanceView),
    /// Confirm removal (`second` = the final confirmation for a wallet with open positions).
    ConfirmRemove {
        /// Button nonce.
        nonce: String,
        /// Address.
        address: String,
        /// Open positions.
        open_positions: u32,
        /// Final confirmation.
        second: bool,
    },
    /// Removed.
    Removed {
        /// Address.
        address: String,
    },
    /// Confirm export.
    /// Confirm closing the empty token accounts.
    ConfirmCleanup {
        /// Button nonce.
        nonce: String,
        /// Accounts to close.
        accounts: usize,
        /// Rent they return.
        rent: Lamports,
        /// Empty accounts left open (withheld fees, unknown extensions).
        kept: usize,
    },
    /// Nothing to close.
    NothingToClean,
    /// Empty accounts were closed.
    Cleaned(crate::app::reclaim::Reclaimed),
    ConfirmExport {
        /// Button nonce.
        nonce: String,
        /// Address.
        address: String,
        /// Seconds until deletion.
        ttl_secs: u64,
    },
    /// The secret was sent in a separate message.
    ExportSent {
        /// Address.
        address: String,
        /// Seconds until deletion.
        ttl_secs: u64,
    },
    /// Confirm a withdrawal.
    ConfirmWithdraw {
        /// Button nonce.
        nonce: String,
        /// The plan.
        plan: WithdrawPlan,
    },
    /// A withdrawal was sent.
    Withdrawn(WithdrawDone),
    /// A withdrawal was refused.
    WithdrawBlocked(WithdrawBlock),
    /// A button was cancelled.
    Cancelled,
    /// The chain could not be reached.
    ChainUnavailable,
    /// The allowlist.
    Allowlist(Vec<AllowedAddress>, i64),
    /// An address was added (or already listed).
    AllowAdded {
        /// Address.
        address: String,
        /// Usable from (unix ms).
        usable_after_ms: i64,
        /// False if it was already listed.
        new: bool,
    },
    /// Tells an admin that outflows were frozen.
    AdminFrozen {
        /// Who triggered it.
        user_id: i64,
        /// The block.
        block: WithdrawBlock,
    },
}

/// Why an import failed (no part of the input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFailure {
    /// Not a usable key.
    Invalid(ImportError),
    /// Already registered.
    Duplicate,
    /// Nothing after `import`.
    Missing,
}

fn sol(l: Lamports) -> String {
    l.to_sol().normalize().to_string()
}

fn time(ms: i64) -> String {
    crate::domain::wallet::utc_minute(ms)
}

fn import_error_key(e: ImportError) -> &'static str {
    match e {
        ImportError::Empty => "wallet.import.missing",
        ImportError::TooLong | ImportError::InvalidEncoding => "wallet.import.bad_encoding",
        ImportError::InvalidJsonArray => "wallet.import.bad_json",
        ImportError::WrongLength { .. } => "wallet.import.bad_length",
        ImportError::PublicKeyMismatch => "wallet.import.mismatch",
        ImportError::KnownWeakKey => "wallet.import.weak",
    }
}

fn block_text(lang: Lang, block: &WithdrawBlock) -> String {
    match block {
        WithdrawBlock::DryRun => tr(lang, "wallet.withdraw.dry_run", &[]),
        WithdrawBlock::NoWallet => tr(lang, "wallet.none", &[]),
        WithdrawBlock::BadAmount => tr(lang, "wallet.withdraw.bad_amount", &[]),
        WithdrawBlock::BadAddress => tr(lang, "wallet.withdraw.bad_address", &[]),
        WithdrawBlock::SameAddress => tr(lang, "wallet.withdraw.same_address", &[]),
        WithdrawBlock::NotAllowlisted => tr(lang, "wallet.withdraw.not_allowlisted", &[]),
        WithdrawBlock::AllowlistLocked { usable_after_ms } => {
            tr(lang, "wallet.withdraw.allowlist_locked", &[("time", &time(*usable_after_ms))])
        }
        WithdrawBlock::Frozen { until_ms } => tr(lang, "wallet.withdraw.frozen", &[("time", &time(*until_ms))]),
        WithdrawBlock::LimitHit { until_ms, .. } => {
            tr(lang, "wallet.withdraw.limit_hit", &[("time", &time(*until_ms))])
        }
        WithdrawBlock::Amount(WithdrawRefusal::Insufficient { max }) => {
            tr(lang, "wallet.withdraw.insufficient", &[("max", &sol(*max))])
        }
        WithdrawBlock::Amount(WithdrawRefusal::NothingToWithdraw) => tr(lang, "wallet.withdraw.nothing", &[]),
        WithdrawBlock::Amount(WithdrawRefusal::BelowDestinationRent { min }) => {
            tr(lang, "wallet.withdraw.below_rent", &[("min", &sol(*min))])
        }
    }
}

fn deleted_note(lang: Lang, deleted: bool) -> String {
    tr(lang, if deleted { "wallet.import.deleted" } else { "wallet.import.not_deleted" }, &[])
}

impl WalletReply {
    /// The message text in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Self::NotConfigured => tr(lang, "wallet.not_configured", &[]),
            Self::Usage => tr(lang, "wallet.usage", &[]),
            Self::GroupRefused { deleted } => {
                let mut text = tr(lang, "wallet.private_only", &[]);
                if let Some(deleted) = deleted {
                    text.push_str("\n\n");
                    text.push_str(&deleted_note(lang, *deleted));
                }
                text
            }
            Self::Created { address } => tr(lang, "wallet.created", &[("address", address)]),
            Self::Import { result, deleted } => {
                let head = match result {
                    Ok(address) => tr(lang, "wallet.imported", &[("address", address)]),
                    Err(ImportFailure::Duplicate) => tr(lang, "wallet.import.duplicate", &[]),
                    Err(ImportFailure::Missing) => tr(lang, "wallet.import.missing", &[]),
                    Err(ImportFailure::Invalid(e)) => tr(lang, import_error_key(*e), &[]),
                };
                format!("{head}\n\n{}", deleted_note(lang, *deleted))
            }
            Self::List(lines) => {
                let mut out = vec![tr(lang, "wallet.list.header", &[])];
                for line in lines {
                    let balance = line.balance.map_or_else(|| "?".to_owned(), sol);
                    let key = if line.record.is_default { "wallet.list.line_default" } else { "wallet.list.line" };
                    out.push(tr(lang, key, &[("address", &line.record.pubkey), ("balance", &balance)]));
                }
                out.join("\n")
            }
            Self::NoWallets => tr(lang, "wallet.none", &[]),
            Self::DefaultSet { address } => tr(lang, "wallet.default_set", &[("address", address)]),
            Self::NotFound { address } => tr(lang, "wallet.not_found", &[("address", address)]),
            Self::Balance(view) => {
                let mut out =
                    vec![tr(lang, "wallet.balance.header", &[("address", &view.address), ("sol", &sol(view.sol))])];
                if view.tokens.is_empty() {
                    out.push(tr(lang, "wallet.balance.no_tokens", &[]));
                }
                for t in &view.tokens {
                    let amount = t.amount.to_ui().normalize().to_string();
                    out.push(tr(lang, "wallet.balance.token", &[("mint", &t.mint.to_string()), ("amount", &amount)]));
                }
                if let Some((n, rent)) = view.reclaimable.filter(|(n, _)| *n > 0) {
                    out.push(tr(lang, "wallet.reclaim.available", &[("count", &n.to_string()), ("sol", &sol(rent))]));
                }
                out.join("\n")
            }
            Self::ConfirmRemove { address, open_positions, second, .. } => match (open_positions, second) {
                (0, _) => tr(lang, "wallet.remove.confirm", &[("address", address)]),
                (n, false) => {
                    tr(lang, "wallet.remove.has_positions", &[("address", address), ("count", &n.to_string())])
                }
                (n, true) => {
                    tr(lang, "wallet.remove.confirm_again", &[("address", address), ("count", &n.to_string())])
                }
            },
            Self::Removed { address } => tr(lang, "wallet.removed", &[("address", address)]),
            Self::ConfirmCleanup { accounts, rent, kept, .. } => {
                let mut text =
                    tr(lang, "wallet.reclaim.confirm", &[("count", &accounts.to_string()), ("sol", &sol(*rent))]);
                if *kept > 0 {
                    text.push('\n');
                    text.push_str(&tr(lang, "wallet.reclaim.kept", &[("count", &kept.to_string())]));
                }
                text
            }
            Self::NothingToClean => tr(lang, "wallet.reclaim.nothing", &[]),
            Self::Cleaned(done) => {
                let mut text =
                    tr(lang, "wallet.reclaim.done", &[("count", &done.closed.to_string()), ("sol", &sol(done.rent))]);
                if done.failed_batches > 0 {
                    text.push('\n');
                    text.push_str(&tr(lang, "wallet.reclaim.partial", &[]));
                }
                text
            }
            Self::ConfirmExport { address, ttl_secs, .. } => {
                tr(lang, "wallet.export.confirm", &[("address", address), ("secs", &ttl_secs.to_string())])
            }
            Self::ExportSent { address, ttl_secs } => {
                tr(lang, "wallet.export.sent", &[("address", address), ("secs", &ttl_secs.to_string())])
            }
            Self::ConfirmWithdraw { plan, .. } => tr(
                lang,
                "wallet.withdraw.confirm",
                &[
                    ("amount", &sol(plan.amount)),
                    ("fee", &sol(plan.fee)),
                    ("source", &plan.source),
                    ("destination", &plan.destination),
                ],
            ),
            Self::Withdrawn(done) => {
                let key = match done.state {
                    WithdrawState::Confirmed => "wallet.withdraw.confirmed",
                    WithdrawState::Failed => "wallet.withdraw.failed",
                    WithdrawState::Unknown => "wallet.withdraw.unknown",
                    WithdrawState::NotSent => "wallet.withdraw.not_sent",
                };
                tr(
                    lang,
                    key,
                    &[
                        ("amount", &sol(done.plan.amount)),
                        ("destination", &done.plan.destination),
                        ("signature", &done.signature),
                    ],
                )
            }
            Self::WithdrawBlocked(block) => block_text(lang, block),
            Self::Cancelled => tr(lang, "wallet.cancelled", &[]),
            Self::ChainUnavailable => tr(lang, "wallet.chain_unavailable", &[]),
            Self::Allowlist(list, now_ms) => {
                if list.is_empty() {
                    return tr(lang, "wallet.allowlist.empty", &[]);
                }
                let mut out = vec![tr(lang, "wallet.allowlist.header", &[])];
                for a in list {
                    out.push(if a.usable_after_ms > *now_ms {
                        tr(
                            lang,
                            "wallet.allowlist.locked",
                            &[("address", &a.address), ("time", &time(a.usable_after_ms))],
                        )
                    } else {
                        tr(lang, "wallet.allowlist.active", &[("address", &a.address)])
                    });
                }
                out.join("\n")
            }
            Self::AllowAdded { address, usable_after_ms, new } => tr(
                lang,
                if *new { "wallet.allowlist.added" } else { "wallet.allowlist.exists" },
                &[("address", address), ("time", &time(*usable_after_ms))],
            ),
            Self::AdminFrozen { user_id, block } => match block {
                WithdrawBlock::LimitHit { limit, sent_last_hour, requested, until_ms } => tr(
                    lang,
                    "wallet.admin.frozen",
                    &[
                        ("user", &user_id.to_string()),
                        ("requested", &sol(*requested)),
                        ("sent", &sol(*sent_last_hour)),
                        ("limit", &sol(*limit)),
                        ("time", &time(*until_ms)),
                    ],
                ),
                other => block_text(lang, other),
            },
        }
    }

    /// Confirm/cancel buttons for confirmation messages.
    pub fn keyboard(&self, lang: Lang) -> Option<InlineKeyboardMarkup> {
        let nonce = match self {
            Self::ConfirmRemove { nonce, .. }
            | Self::ConfirmExport { nonce, .. }
            | Self::ConfirmCleanup { nonce, .. }
            | Self::ConfirmWithdraw { nonce, .. } => nonce,
            _ => return None,
        };
        let label = match self {
            Self::ConfirmRemove { address, .. } => {
                tr(lang, "wallet.button.remove", &[("address", &short_address(address))])
            }
            Self::ConfirmExport { .. } => tr(lang, "wallet.button.export", &[]),
            Self::ConfirmCleanup { rent, .. } => tr(lang, "wallet.button.cleanup", &[("sol", &sol(*rent))]),
            Self::ConfirmWithdraw { plan, .. } => tr(lang, "wallet.button.withdraw", &[("amount", &sol(plan.amount))]),
            _ => return None,
        };
        let yes = InlineKeyboardButton::callback(label, Callback::WalletConfirm(nonce.clone()).data());
        let no = InlineKeyboardButton::callback(
            tr(lang, "wallet.button.cancel", &[]),
            Callback::WalletCancel(nonce.clone()).data(),
        );
        Some(InlineKeyboardMarkup::new([[yes, no]]))
    }
}
