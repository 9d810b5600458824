//! Helius Sender tip accounts and minimum tips (reference §4.3,
//! `helius/sender-tip-accounts.mainnet.json`).
//!
//! Constants and a pure picker only: no I/O, never signs.

use solana_instruction::{AccountMeta, Instruction};
use solana_pubkey::{Pubkey, pubkey};

use crate::domain::money::Lamports;
use crate::solana::instructions::{SystemTransfer, system_transfer};

/// The 10 mainnet Sender tip accounts.
pub const SENDER_TIP_ACCOUNTS: [Pubkey; 10] = [
    pubkey!("4ACfpUFoaSD9bfPdeu6DBt89gB6ENTeHBXCAi87NhDEE"),
    pubkey!("D2L6yPZ2FmmmTKPgzaMKdhu6EWZcTpLy1Vhx8uvZe7NZ"),
    pubkey!("9bnz4RShgq1hAnLnZbP8kbgBg1kEmcJBYQq3gQbmnSta"),
    pubkey!("5VY91ws6B2hMmBFRsXkoAAdsPHBJwRfBht4DXox3xkwn"),
    pubkey!("2nyhqdwKcJZR2vcqCyrYsaPVdAnFoJjiksCXJ7hfEYgD"),
    pubkey!("2q5pghRs6arqVjRvT5gfgWfWcHWmw1ZuCzphgd5KfWGJ"),
    pubkey!("wyvPkWjVZz1M8fHQnMMCDTQDbkManefNNhweYk5WkcF"),
    pubkey!("3KCKozbAaF75qEU33jtzozcJ29yJuaLJTy2jFdzUY8bT"),
    pubkey!("4vieeGHPYPG2MmyPRcYjdiDmmhN3ww7hsFNap8pVN3Ey"),
    pubkey!("4TQLFNWK8AovT1gFvda5jfw2oJeRMKEmw7aH6MGBJ3or"),
];

/// Minimum tip for Sender Max (default endpoint, newest docs): 0.001 SOL.
pub const MIN_TIP_SENDER_MAX: Lamports = Lamports(1_000_000);
/// Minimum tip for dual routing per the older docs: 0.0002 SOL.
pub const MIN_TIP_DUAL_ROUTING: Lamports = Lamports(200_000);
/// Minimum tip for `?swqos_only=true`: 0.000005 SOL.
pub const MIN_TIP_SWQOS_ONLY: Lamports = Lamports(5_000);

/// Jito's sandwich-mitigation marker (reference NEXT §4.2): with this account anywhere in a
/// transaction (read-only, non-signer; it need not exist), the block engine rejects every bundle
/// that puts another transaction before ours. It protects the Jito leg only.
pub const JITO_DONT_FRONT: Pubkey = pubkey!("jitodontfront111111111111111111111111111111");

/// A tip transfer to one Sender tip account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tip {
    /// One of [`SENDER_TIP_ACCOUNTS`].
    pub account: Pubkey,
    /// Tip amount.
    pub amount: Lamports,
    /// Carry [`JITO_DONT_FRONT`] (sandwich protection).
    pub dont_front: bool,
}

impl Tip {
    /// A tip of `amount` to the tip account chosen by `salt` (spread them: pass a counter).
    pub fn sender(amount: Lamports, salt: u64) -> Self {
        Self { account: tip_account(salt), amount, dont_front: false }
    }

    /// Like [`Tip::sender`], with the `jitodontfront` marker: for protected sends.
    pub fn protected(amount: Lamports, salt: u64) -> Self {
        Self { dont_front: true, ..Self::sender(amount, salt) }
    }

    /// The System transfer paying the tip from `payer`; with `dont_front`, the marker rides on
    /// it as a third, read-only account (the System program ignores accounts past the second,
    /// and a pump `buy`/`sell` must not get it: their extra accounts are positional).
    pub fn instruction(&self, payer: Pubkey) -> Instruction {
        let mut ix = system_transfer(&SystemTransfer { from: payer, to: self.account, amount: self.amount });
        if self.dont_front {
            ix.accounts.push(AccountMeta::new_readonly(JITO_DONT_FRONT, false));
        }
        ix
    }
}

/// The tip account at `salt mod 10`.
pub fn tip_account(salt: u64) -> Pubkey {
    // `salt % 10` < 10, so the index is always in bounds; `get` keeps the code panic-free.
    let idx = usize::try_from(salt % 10).unwrap_or(0);
    SENDER_TIP_ACCOUNTS.get(idx).copied().unwrap_or(SENDER_TIP_ACCOUNTS[0])
}

/// True for a Sender tip account.
pub fn is_tip_account(key: &Pubkey) -> bool {
    SENDER_TIP_ACCOUNTS.contains(key)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn tip_accounts_match_the_reference_file() {
        let json: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/pumpfun/sender-tip-accounts.mainnet.json"))
                .unwrap();
        let listed: Vec<Pubkey> =
            json["accounts"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().parse().unwrap()).collect();
        assert_eq!(listed, SENDER_TIP_ACCOUNTS.to_vec());
        assert_eq!(json["min_tip_lamports"]["sender_max_default"], MIN_TIP_SENDER_MAX.0);
    }

    #[test]
    fn picker_cycles_through_all_accounts() {
        let picked: std::collections::HashSet<Pubkey> = (0..10).map(tip_account).collect();
        assert_eq!(picked.len(), 10);
        assert_eq!(tip_account(u64::MAX), SENDER_TIP_ACCOUNTS[5]);
        assert!(is_tip_account(&Tip::sender(MIN_TIP_SENDER_MAX, 7).account));
    }

    #[test]
    fn a_protected_tip_carries_the_dont_front_marker_read_only() {
        let payer = Pubkey::new_from_array([9; 32]);
        assert!(JITO_DONT_FRONT.to_string().starts_with("jitodontfront"));
        let plain = Tip::sender(MIN_TIP_SENDER_MAX, 2).instruction(payer);
        assert_eq!(plain.accounts.len(), 2);
        let protected = Tip::protected(MIN_TIP_SENDER_MAX, 2);
        assert_eq!((protected.account, protected.amount), (SENDER_TIP_ACCOUNTS[2], MIN_TIP_SENDER_MAX));
        let ix = protected.instruction(payer);
        assert_eq!(ix.data, plain.data);
        assert_eq!(ix.accounts[..2], plain.accounts[..]);
        assert_eq!(ix.accounts[2], AccountMeta::new_readonly(JITO_DONT_FRONT, false));
    }
}
