//! Wallet custody rules: confirmable actions, withdrawal planning and address checks.
//!
//! Pure and synchronous: no keys, no I/O. Amounts are lamports.

use serde::{Deserialize, Serialize};
use solana_pubkey::Pubkey;

use crate::domain::money::Lamports;

/// How long a confirmation button stays valid.
pub const CONFIRM_TTL_MS: i64 = 10 * 60 * 1000;
/// How long a newly allowlisted withdrawal address stays locked.
pub const ALLOWLIST_LOCK_MS: i64 = 24 * 60 * 60 * 1000;
/// Base fee per signature.
pub const BASE_FEE_PER_SIGNATURE: Lamports = Lamports(5_000);

/// An action waiting for its confirmation button (stored as JSON; never holds secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PendingKind {
    /// Remove a wallet. `open_positions > 0` needs a second confirmation (`second = true`).
    Remove {
        /// Wallet row id.
        wallet_id: i64,
        /// Open positions counted when asked.
        open_positions: u32,
        /// This is the second (final) confirmation.
        second: bool,
    },
    /// Send the secret key once.
    Export {
        /// Wallet row id.
        wallet_id: i64,
    },
    /// Send SOL out.
    Withdraw(WithdrawPlan),
    /// Close the wallet's empty token accounts (rent back to the wallet).
    Cleanup {
        /// Wallet row id.
        wallet_id: i64,
    },
}

/// A planned withdrawal, as shown on its confirmation button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawPlan {
    /// Source wallet row id.
    pub wallet_id: i64,
    /// Source address.
    pub source: String,
    /// Destination address.
    pub destination: String,
    /// Amount that arrives.
    pub amount: Lamports,
    /// Network fee (base + priority).
    pub fee: Lamports,
    /// Compute-unit price used for the fee, micro-lamports per CU.
    pub unit_price: u64,
}

/// The amount a user asked to withdraw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithdrawAmount {
    /// Everything above the reserve.
    All,
    /// An exact amount.
    Exact(Lamports),
}

impl WithdrawAmount {
    /// Parses `all` or a positive SOL amount.
    pub fn parse(text: &str) -> Option<Self> {
        if text.eq_ignore_ascii_case("all") || text.eq_ignore_ascii_case("max") {
            return Some(Self::All);
        }
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return None;
        }
        Lamports::parse_sol(text).ok().filter(|l| l.0 > 0).map(Self::Exact)
    }
}

/// Why a withdrawal cannot be planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithdrawRefusal {
    /// Balance minus fee and reserve is below the amount; carries the most that can be sent.
    Insufficient {
        /// Largest amount that can be withdrawn now.
        max: Lamports,
    },
    /// Nothing to withdraw.
    NothingToWithdraw,
    /// The destination does not exist yet and the amount is below its rent-exempt minimum.
    BelowDestinationRent {
        /// The minimum that a new account needs.
        min: Lamports,
    },
}

/// The balance figures a plan is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WithdrawInputs {
    /// Source balance.
    pub balance: Lamports,
    /// Transaction fee.
    pub fee: Lamports,
    /// What stays in the source (rent-exempt minimum).
    pub reserve: Lamports,
    /// Destination balance (0 = the account does not exist yet).
    pub destination_balance: Lamports,
    /// Rent-exempt minimum for a new system account.
    pub rent_minimum: Lamports,
}

/// Decides how many lamports to send: the balance less fee and reserve for `All`, or the exact
/// amount if it fits.
///
/// # Errors
/// A [`WithdrawRefusal`] explaining why.
pub fn plan_amount(request: WithdrawAmount, inputs: &WithdrawInputs) -> Result<Lamports, WithdrawRefusal> {
    let max = inputs.balance.saturating_sub(inputs.fee).saturating_sub(inputs.reserve);
    let amount = match request {
        WithdrawAmount::All if max.0 == 0 => return Err(WithdrawRefusal::NothingToWithdraw),
        WithdrawAmount::All => max,
        WithdrawAmount::Exact(a) if a > max => return Err(WithdrawRefusal::Insufficient { max }),
        WithdrawAmount::Exact(a) => a,
    };
    if inputs.destination_balance.0 == 0 && amount < inputs.rent_minimum {
        return Err(WithdrawRefusal::BelowDestinationRent { min: inputs.rent_minimum });
    }
    Ok(amount)
}

/// Parses a destination address: base58 of 32 bytes.
pub fn parse_address(text: &str) -> Option<Pubkey> {
    let text = text.trim();
    if text.len() < 32 || text.len() > 44 {
        return None;
    }
    text.parse::<Pubkey>().ok()
}

/// `AbCd…WxYz`: a short form of an address for lists and buttons.
pub fn short_address(address: &str) -> String {
    let chars: Vec<char> = address.chars().collect();
    if chars.len() <= 12 {
        return address.to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// `2026-11-25 07:40 UTC`: a time for messages.
pub fn utc_minute(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(balance: u64) -> WithdrawInputs {
        WithdrawInputs {
            balance: Lamports(balance),
            fee: Lamports(10_000),
            reserve: Lamports(890_880),
            destination_balance: Lamports(1),
            rent_minimum: Lamports(890_880),
        }
    }

    #[test]
    fn all_leaves_fee_and_reserve() {
        assert_eq!(plan_amount(WithdrawAmount::All, &inputs(1_000_000_000)), Ok(Lamports(1_000_000_000 - 900_880)));
        assert_eq!(plan_amount(WithdrawAmount::All, &inputs(900_000)), Err(WithdrawRefusal::NothingToWithdraw));
    }

    #[test]
    fn exact_amount_must_fit_and_new_destinations_need_rent() {
        let max = Lamports(1_000_000_000 - 900_880);
        let req = WithdrawAmount::Exact(Lamports(1_000_000_000));
        assert_eq!(plan_amount(req, &inputs(1_000_000_000)), Err(WithdrawRefusal::Insufficient { max }));
        assert_eq!(plan_amount(WithdrawAmount::Exact(max), &inputs(1_000_000_000)), Ok(max));
        let new_dest = WithdrawInputs { destination_balance: Lamports::ZERO, ..inputs(1_000_000_000) };
        assert_eq!(
            plan_amount(WithdrawAmount::Exact(Lamports(1_000)), &new_dest),
            Err(WithdrawRefusal::BelowDestinationRent { min: Lamports(890_880) })
        );
    }

    #[test]
    fn amounts_and_addresses_parse_strictly() {
        assert_eq!(WithdrawAmount::parse("ALL"), Some(WithdrawAmount::All));
        assert_eq!(WithdrawAmount::parse("0.5"), Some(WithdrawAmount::Exact(Lamports(500_000_000))));
        for bad in ["0", "-1", "abc", "0.0000000001", "", "1e3"] {
            assert_eq!(WithdrawAmount::parse(bad), None, "{bad}");
        }
        assert!(parse_address("11111111111111111111111111111111").is_some());
        for bad in ["", "abc", "0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl", &"1".repeat(50)] {
            assert!(parse_address(bad).is_none(), "{bad}");
        }
        assert_eq!(short_address("So11111111111111111111111111111111111111112"), "So11…1112");
    }

    #[test]
    fn pending_kinds_round_trip_as_json() {
        let kinds = [
            PendingKind::Remove { wallet_id: 1, open_positions: 2, second: false },
            PendingKind::Export { wallet_id: 3 },
            PendingKind::Withdraw(WithdrawPlan {
                wallet_id: 4,
                source: "a".into(),
                destination: "b".into(),
                amount: Lamports(5),
                fee: Lamports(6),
                unit_price: 7,
            }),
        ];
        for k in kinds {
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(serde_json::from_str::<PendingKind>(&json).unwrap(), k);
        }
    }
}
