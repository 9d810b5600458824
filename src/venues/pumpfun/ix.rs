//! Pump.fun trade instruction builders (hand-built: discriminator ‖ borsh args).
//!
//! Pure: no I/O, never signs. The token program is always explicit (the caller reads the mint
//! account's owner), so SPL Token and Token-2022 coins both work.
//!
//! # Which instructions, and why: legacy `buy` / `buy_exact_sol_in` / `sell`
//!
//! We build the **legacy** trio (reference §1.2–§1.3), not `buy_v2`/`sell_v2`:
//! - proven on mainnet after the 2026-04-28 fee-recipient upgrade: the real TradeEvent of slot
//!   452024288 (2026-09-30) is a legacy `buy`, and our price rule reproduces it to the lamport;
//! - size: legacy `buy` + create-ATA + CU ixs + tip is 869 B versus 1133 B for `buy_v2`, which
//!   leaves room under the 1232 B cap without an address lookup table (v2 needs 27 accounts);
//! - fewer write locks (no quote-side fee ATAs), so less contention on hot coins.
//!
//! Limits: legacy trades only SOL-quoted curves (`BondingCurve::quote_mint` unset); USDC coins
//! would need `*_v2` (built in [`super::ix_v2`], not routed to yet) and are refused with
//! [`IxError::NotSolQuoted`]. `buy` (exact tokens, max
//! cost) is the default; `buy_exact_sol_in`'s two remaining accounts are assumed equal to `buy`'s
//! (reference §8, **UNCERTAIN** until a simulation confirms). v3 is not used (unannounced).

use solana_instruction::{AccountMeta, Instruction};
use solana_pubkey::Pubkey;

use crate::domain::money::{Lamports, TokenAmount};
use crate::solana::ids::{PUMP_FEES_PROGRAM, PUMP_PROGRAM, SYSTEM_PROGRAM};
use crate::solana::instructions::{AtaSpec, create_ata_idempotent};
use crate::venues::pumpfun::accounts::{BondingCurve, Global};
use crate::venues::pumpfun::curve::{BuyExactSolInOrder, BuyExactTokensOrder, SellOrder};
use crate::venues::pumpfun::pda::{
    EVENT_AUTHORITY, FEE_CONFIG, GLOBAL, GLOBAL_VOLUME_ACCUMULATOR, MintAccounts, UserAccounts,
};

/// `sha256("global:buy")[..8]`.
pub const BUY_DISCRIMINATOR: [u8; 8] = [0x66, 0x06, 0x3d, 0x12, 0x01, 0xda, 0xeb, 0xea];
/// `sha256("global:buy_exact_sol_in")[..8]`.
pub const BUY_EXACT_SOL_IN_DISCRIMINATOR: [u8; 8] = [0x38, 0xfc, 0x74, 0x08, 0x9e, 0xdf, 0xcd, 0x5f];
/// `sha256("global:sell")[..8]`.
pub const SELL_DISCRIMINATOR: [u8; 8] = [0x33, 0xe6, 0x85, 0xa4, 0x01, 0x7f, 0x83, 0xad];

/// Normal fee recipients (non-mayhem coins), used when `Global` holds none.
const FALLBACK_FEE_RECIPIENTS: [Pubkey; 8] = [
    solana_pubkey::pubkey!("62qc2CNXwrYqQScmEdiZFFAnJR262PxWEuNQtxfafNgV"),
    solana_pubkey::pubkey!("7VtfL8fvgNfhz17qKRMjzQEXgbdpnHHHQRh54R9jP2RJ"),
    solana_pubkey::pubkey!("7hTckgnGnLQR6sdH7YkqFTAA7VwTfYFaZ6EhEsU3saCX"),
    solana_pubkey::pubkey!("9rPYyANsfQZw3DnDmKE3YCQF5E8oD89UXoHn9JFEhJUz"),
    solana_pubkey::pubkey!("AVmoTthdrX6tKt4nDjco2D775W2YK3sDhxPcMmzUAmTY"),
    solana_pubkey::pubkey!("CebN5WGQ4jvEPvsVU4EoHEpgzq1VV7AbicfhtW4xC9iM"),
    solana_pubkey::pubkey!("FWsW1xNtWscwNmKv6wVsU1iTzRN6wmmk3MjxRP5tT7hz"),
    solana_pubkey::pubkey!("G5UZAVbAf46s7cKWoyKu8kYTip9DGTpbLZ2qa9Aq69dP"),
];
/// Reserved fee recipients (mayhem coins), used when `Global` holds none.
const FALLBACK_RESERVED_FEE_RECIPIENTS: [Pubkey; 8] = [
    solana_pubkey::pubkey!("GesfTA3X2arioaHp8bbKdjG9vJtskViWACZoYvxp4twS"),
    solana_pubkey::pubkey!("4budycTjhs9fD6xw62VBducVTNgMgJJ5BgtKq7mAZwn6"),
    solana_pubkey::pubkey!("8SBKzEQU4nLSzcwF4a74F2iaUDQyTfjGndn6qUWBnrpR"),
    solana_pubkey::pubkey!("4UQeTP1T39KZ9Sfxzo3WR5skgsaP6NZa87BAkuazLEKH"),
    solana_pubkey::pubkey!("8sNeir4QsLsJdYpc9RZacohhK1Y5FLU3nC5LXgYB4aa6"),
    solana_pubkey::pubkey!("Fh9HmeLNUMVCvejxCtCL2DbYaRyBFVJ5xrWkLnMH6fdk"),
    solana_pubkey::pubkey!("463MEnMeGyJekNZFQSTUABBEbLnvMTALbT6ZmsxAbAdq"),
    solana_pubkey::pubkey!("6AUH3WEHucYZyC61hqpqYUWVto5qA5hjHuNQ32GNnNxA"),
];
/// Buyback fee recipients (all coins, both programs), used when `Global` holds none.
pub const FALLBACK_BUYBACK_FEE_RECIPIENTS: [Pubkey; 8] = [
    solana_pubkey::pubkey!("5YxQFdt3Tr9zJLvkFccqXVUwhdTWJQc1fFg2YPbxvxeD"),
    solana_pubkey::pubkey!("9M4giFFMxmFGXtc3feFzRai56WbBqehoSeRE5GK7gf7"),
    solana_pubkey::pubkey!("GXPFM2caqTtQYC2cJ5yJRi9VDkpsYZXzYdwYpGnLmtDL"),
    solana_pubkey::pubkey!("3BpXnfJaUTiwXnJNe7Ej1rcbzqTTQUvLShZaWazebsVR"),
    solana_pubkey::pubkey!("5cjcW9wExnJJiqgLjq7DEG75Pm6JBgE1hNv4B2vHXUW6"),
    solana_pubkey::pubkey!("EHAAiTxcdDwQ3U4bU6YcMsQGaekdzLS3B5SmYo46kJtL"),
    solana_pubkey::pubkey!("5eHhjP8JaYkz83CWwvGU2uMUXefd3AazWGx4gpcuEEYD"),
    solana_pubkey::pubkey!("A7hAgCzFw14fejgCp387JUJRMNyz4j89JKnhtKU8piqW"),
];

/// Why a trade cannot be built for this curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IxError {
    /// The curve is quoted in a token other than SOL; legacy instructions cannot trade it.
    #[error("bonding curve is not SOL-quoted")]
    NotSolQuoted,
    /// The curve is complete; trade on PumpSwap instead.
    #[error("bonding curve is complete")]
    Complete,
    /// The cached creator vault was derived from another creator than the curve's.
    #[error("cached creator does not match the curve")]
    StaleCreator,
}

/// The fee recipient (writable, account 1) and buyback recipient (remaining account) of a trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeRecipients {
    /// Normal (or, for mayhem coins, reserved) fee recipient.
    pub fee_recipient: Pubkey,
    /// Buyback fee recipient.
    pub buyback_fee_recipient: Pubkey,
}

impl FeeRecipients {
    /// Picks one recipient of each list from `Global`'s live lists, indexed by `salt` (pass a
    /// counter or a blockhash byte to spread write locks; pump asks for a random pick).
    /// Mayhem coins use the reserved list. Zero entries are skipped; if `Global` has none the
    /// documented lists from `constants.json` are used.
    pub fn pick(global: &Global, is_mayhem: bool, salt: u64) -> Self {
        let normal: Vec<Pubkey> = if is_mayhem {
            std::iter::once(global.reserved_fee_recipient).chain(global.reserved_fee_recipients).collect()
        } else {
            std::iter::once(global.fee_recipient).chain(global.fee_recipients).collect()
        };
        let fee_recipient = pick_nonzero(&normal, salt)
            .or_else(|| {
                let fallback = if is_mayhem { &FALLBACK_RESERVED_FEE_RECIPIENTS } else { &FALLBACK_FEE_RECIPIENTS };
                pick_nonzero(fallback, salt)
            })
            .unwrap_or_default();
        let buyback_fee_recipient = pick_nonzero(&global.buyback_fee_recipients, salt)
            .or_else(|| pick_nonzero(&FALLBACK_BUYBACK_FEE_RECIPIENTS, salt))
            .unwrap_or_default();
        Self { fee_recipient, buyback_fee_recipient }
    }
}

fn pick_nonzero(list: &[Pubkey], salt: u64) -> Option<Pubkey> {
    let live: Vec<&Pubkey> = list.iter().filter(|k| **k != Pubkey::default()).collect();
    let len = u64::try_from(live.len()).ok().filter(|n| *n > 0)?;
    let idx = usize::try_from(salt % len).ok()?;
    live.get(idx).map(|k| **k)
}

/// All accounts of one legacy trade, validated against the curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacyTrade {
    mint: MintAccounts,
    user: UserAccounts,
    recipients: FeeRecipients,
    is_cashback_coin: bool,
}

/// Inputs of [`LegacyTrade::new`].
#[derive(Debug, Clone, Copy)]
pub struct LegacyTradeParts<'a> {
    /// Curve as just read from chain.
    pub curve: &'a BondingCurve,
    /// Cached per-mint PDAs.
    pub mint: &'a MintAccounts,
    /// Cached per-user accounts for this mint.
    pub user: &'a UserAccounts,
    /// Chosen fee recipients.
    pub recipients: FeeRecipients,
}

/// `buy` arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuyArgs {
    /// Tokens to receive, exactly.
    pub amount: TokenAmount,
    /// Most lamports (fees included) the user accepts to pay.
    pub max_sol_cost: Lamports,
    /// `track_volume: OptionBool` (volume rewards; the program creates the accumulator if missing).
    pub track_volume: bool,
}

/// `buy_exact_sol_in` arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuyExactSolInArgs {
    /// Lamports to spend, fees included.
    pub spendable_sol_in: Lamports,
    /// Fewest tokens the user accepts.
    pub min_tokens_out: TokenAmount,
    /// `track_volume: OptionBool`.
    pub track_volume: bool,
}

/// `sell` arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SellArgs {
    /// Tokens to sell.
    pub amount: TokenAmount,
    /// Fewest lamports the user accepts.
    pub min_sol_output: Lamports,
}

impl BuyArgs {
    /// Arguments from a planned order.
    pub fn from_order(order: &BuyExactTokensOrder, track_volume: bool) -> Self {
        Self { amount: order.tokens, max_sol_cost: order.max_sol_cost, track_volume }
    }
}

impl BuyExactSolInArgs {
    /// Arguments from a planned order.
    pub fn from_order(order: &BuyExactSolInOrder, track_volume: bool) -> Self {
        Self { spendable_sol_in: order.spendable_sol_in, min_tokens_out: order.min_tokens_out, track_volume }
    }
}

impl From<&SellOrder> for SellArgs {
    fn from(order: &SellOrder) -> Self {
        Self { amount: order.tokens, min_sol_output: order.min_sol_output }
    }
}

impl LegacyTrade {
    /// Checks the curve can be traded with legacy instructions and that the cached PDAs match it.
    ///
    /// # Errors
    /// [`IxError`] for non-SOL curves, complete curves, or a stale creator vault.
    pub fn new(parts: &LegacyTradeParts<'_>) -> Result<Self, IxError> {
        if !parts.curve.is_sol_quoted() {
            return Err(IxError::NotSolQuoted);
        }
        if parts.curve.complete {
            return Err(IxError::Complete);
        }
        if parts.curve.creator != parts.mint.creator {
            return Err(IxError::StaleCreator);
        }
        Ok(Self {
            mint: *parts.mint,
            user: *parts.user,
            recipients: parts.recipients,
            is_cashback_coin: parts.curve.is_cashback_coin,
        })
    }

    /// `[create user ATA idempotent, buy]`: the ATA must exist before `buy`.
    pub fn buy_instructions(&self, args: &BuyArgs) -> [Instruction; 2] {
        [self.create_user_ata(), self.buy(args)]
    }

    /// `[create user ATA idempotent, buy_exact_sol_in]`.
    pub fn buy_exact_sol_in_instructions(&self, args: &BuyExactSolInArgs) -> [Instruction; 2] {
        [self.create_user_ata(), self.buy_exact_sol_in(args)]
    }

    /// Legacy `buy`: 16 fixed accounts + `[bonding_curve_v2 R, buyback_fee_recipient W]`.
    pub fn buy(&self, args: &BuyArgs) -> Instruction {
        let data = encode(BUY_DISCRIMINATOR, args.amount.raw, args.max_sol_cost.0, Some(args.track_volume));
        Instruction { program_id: PUMP_PROGRAM, accounts: self.buy_accounts(), data }
    }

    /// Legacy `buy_exact_sol_in`: same accounts as `buy` (remaining accounts UNCERTAIN, §8).
    pub fn buy_exact_sol_in(&self, args: &BuyExactSolInArgs) -> Instruction {
        let data = encode(
            BUY_EXACT_SOL_IN_DISCRIMINATOR,
            args.spendable_sol_in.0,
            args.min_tokens_out.raw,
            Some(args.track_volume),
        );
        Instruction { program_id: PUMP_PROGRAM, accounts: self.buy_accounts(), data }
    }

    /// Legacy `sell`: 14 fixed accounts + `[bonding_curve_v2 R, buyback W]`, or for cashback
    /// coins `[user_volume_accumulator W, bonding_curve_v2 R, buyback W]`.
    pub fn sell(&self, args: &SellArgs) -> Instruction {
        let m = &self.mint;
        let mut accounts = Vec::with_capacity(17);
        accounts.extend_from_slice(&self.head());
        accounts.extend_from_slice(&[
            AccountMeta::new_readonly(SYSTEM_PROGRAM, false),
            AccountMeta::new(m.creator_vault, false),
            AccountMeta::new_readonly(m.token_program, false),
            AccountMeta::new_readonly(EVENT_AUTHORITY, false),
            AccountMeta::new_readonly(PUMP_PROGRAM, false),
            AccountMeta::new_readonly(FEE_CONFIG, false),
            AccountMeta::new_readonly(PUMP_FEES_PROGRAM, false),
        ]);
        if self.is_cashback_coin {
            accounts.push(AccountMeta::new(self.user.user_volume_accumulator, false));
        }
        accounts.push(AccountMeta::new_readonly(m.bonding_curve_v2, false));
        accounts.push(AccountMeta::new(self.recipients.buyback_fee_recipient, false));
        let data = encode(SELL_DISCRIMINATOR, args.amount.raw, args.min_sol_output.0, None);
        Instruction { program_id: PUMP_PROGRAM, accounts, data }
    }

    /// The user's token account for this mint (created idempotently before buys).
    pub fn user_token_account(&self) -> Pubkey {
        self.user.associated_user
    }

    fn create_user_ata(&self) -> Instruction {
        let spec = AtaSpec { owner: self.user.user, mint: self.mint.mint, token_program: self.mint.token_program };
        create_ata_idempotent(&spec)
    }

    /// Accounts 0–6, shared by buy and sell.
    fn head(&self) -> [AccountMeta; 7] {
        let m = &self.mint;
        [
            AccountMeta::new_readonly(GLOBAL, false),
            AccountMeta::new(self.recipients.fee_recipient, false),
            AccountMeta::new_readonly(m.mint, false),
            AccountMeta::new(m.bonding_curve, false),
            AccountMeta::new(m.associated_bonding_curve, false),
            AccountMeta::new(self.user.associated_user, false),
            AccountMeta::new(self.user.user, true),
        ]
    }

    fn buy_accounts(&self) -> Vec<AccountMeta> {
        let m = &self.mint;
        let mut accounts = Vec::with_capacity(18);
        accounts.extend_from_slice(&self.head());
        accounts.extend_from_slice(&[
            AccountMeta::new_readonly(SYSTEM_PROGRAM, false),
            AccountMeta::new_readonly(m.token_program, false),
            AccountMeta::new(m.creator_vault, false),
            AccountMeta::new_readonly(EVENT_AUTHORITY, false),
            AccountMeta::new_readonly(PUMP_PROGRAM, false),
            AccountMeta::new_readonly(GLOBAL_VOLUME_ACCUMULATOR, false),
            AccountMeta::new(self.user.user_volume_accumulator, false),
            AccountMeta::new_readonly(FEE_CONFIG, false),
            AccountMeta::new_readonly(PUMP_FEES_PROGRAM, false),
            AccountMeta::new_readonly(m.bonding_curve_v2, false),
            AccountMeta::new(self.recipients.buyback_fee_recipient, false),
        ]);
        accounts
    }
}

/// `disc ‖ u64 ‖ u64 [‖ OptionBool]`; `OptionBool` is a one-`bool` struct, i.e. one byte.
fn encode(disc: [u8; 8], a: u64, b: u64, flag: Option<bool>) -> Vec<u8> {
    let mut data = Vec::with_capacity(25);
    data.extend_from_slice(&disc);
    data.extend_from_slice(&a.to_le_bytes());
    data.extend_from_slice(&b.to_le_bytes());
    if let Some(f) = flag {
        data.push(u8::from(f));
    }
    data
}

#[cfg(test)]
#[path = "ix_tests.rs"]
mod tests;
