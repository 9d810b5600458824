//! PumpSwap `buy` / `buy_exact_quote_in` / `sell` builders with wSOL wrap and unwrap
//! (reference §2.3).
//!
//! Pure: no I/O, never signs. The quote side is wSOL as an SPL token: a buy creates the user's
//! wSOL ATA idempotently, transfers the maximum spend into it, `SyncNative`s, swaps, then
//! `CloseAccount`s it back to the user; a sell ensures the ATA exists, swaps, then closes it.

use solana_instruction::{AccountMeta, Instruction};
use solana_pubkey::{Pubkey, pubkey};

use crate::domain::money::{Lamports, TokenAmount};
use crate::solana::ids::{ASSOCIATED_TOKEN_PROGRAM, PUMP_AMM_PROGRAM, PUMP_FEES_PROGRAM, SYSTEM_PROGRAM, WSOL_MINT};
use crate::solana::instructions::{
    AtaSpec, CloseAccount, SystemTransfer, close_account, create_ata_idempotent, sync_native, system_transfer,
};
use crate::venues::pumpfun::ix::FALLBACK_BUYBACK_FEE_RECIPIENTS;
use crate::venues::pumpswap::accounts::GlobalConfig;
use crate::venues::pumpswap::pda::{
    AmmUserAccounts, EVENT_AUTHORITY, FEE_CONFIG, GLOBAL_CONFIG, GLOBAL_VOLUME_ACCUMULATOR, PoolAccounts,
};
use crate::venues::pumpswap::quote::{AmmBuyExactQuoteInOrder, AmmBuyOrder, AmmSellOrder};

/// `sha256("global:buy")[..8]` (same name as pump's, same bytes).
pub const BUY_DISCRIMINATOR: [u8; 8] = [0x66, 0x06, 0x3d, 0x12, 0x01, 0xda, 0xeb, 0xea];
/// `sha256("global:buy_exact_quote_in")[..8]`.
pub const BUY_EXACT_QUOTE_IN_DISCRIMINATOR: [u8; 8] = [0xc6, 0x2e, 0x15, 0x52, 0xb4, 0xd9, 0xe8, 0x70];
/// `sha256("global:sell")[..8]`.
pub const SELL_DISCRIMINATOR: [u8; 8] = [0x33, 0xe6, 0x85, 0xa4, 0x01, 0x7f, 0x83, 0xad];
/// `sha256("global:extend_account")[..8]`.
pub const EXTEND_ACCOUNT_DISCRIMINATOR: [u8; 8] = [0xea, 0x66, 0xc2, 0xcb, 0x96, 0x48, 0x3e, 0xe5];

/// Protocol fee recipients as documented in 2025 (used when `GlobalConfig` holds none).
const FALLBACK_PROTOCOL_FEE_RECIPIENTS: [Pubkey; 8] = [
    pubkey!("62qc2CNXwrYqQScmEdiZFFAnJR262PxWEuNQtxfafNgV"),
    pubkey!("7VtfL8fvgNfhz17qKRMjzQEXgbdpnHHHQRh54R9jP2RJ"),
    pubkey!("7hTckgnGnLQR6sdH7YkqFTAA7VwTfYFaZ6EhEsU3saCX"),
    pubkey!("9rPYyANsfQZw3DnDmKE3YCQF5E8oD89UXoHn9JFEhJUz"),
    pubkey!("AVmoTthdrX6tKt4nDjco2D775W2YK3sDhxPcMmzUAmTY"),
    pubkey!("FWsW1xNtWscwNmKv6wVsU1iTzRN6wmmk3MjxRP5tT7hz"),
    pubkey!("G5UZAVbAf46s7cKWoyKu8kYTip9DGTpbLZ2qa9Aq69dP"),
    pubkey!("JCRGumoE9Qi5BBgULTgdgTLjSgkCMSbF62ZZfGs84JeU"),
];

/// Why a pool trade cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmmIxError {
    /// Only wSOL-quoted pools are supported.
    #[error("pool is not wSOL-quoted")]
    NotSolQuoted,
    /// The cached user accounts belong to another pool's mints.
    #[error("user accounts do not match the pool")]
    MismatchedAccounts,
}

/// Protocol and buyback fee recipients of one trade, with their wSOL ATAs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmmFeeRecipients {
    /// One of `GlobalConfig.protocol_fee_recipients` (reserved list for mayhem pools).
    pub protocol_fee_recipient: Pubkey,
    /// ATA(protocol recipient, wSOL).
    pub protocol_fee_recipient_token_account: Pubkey,
    /// One of `GlobalConfig.buyback_fee_recipients`.
    pub buyback_fee_recipient: Pubkey,
    /// ATA(buyback recipient, wSOL).
    pub buyback_fee_recipient_token_account: Pubkey,
}

impl AmmFeeRecipients {
    /// Picks recipients by `salt` from the live lists (documented lists if empty) and derives
    /// their wSOL ATAs (two `find_program_address` calls: cache per recipient if hot).
    pub fn pick(cfg: &GlobalConfig, is_mayhem: bool, salt: u64) -> Self {
        let protocol: Vec<Pubkey> = if is_mayhem {
            std::iter::once(cfg.reserved_fee_recipient).chain(cfg.reserved_fee_recipients).collect()
        } else {
            cfg.protocol_fee_recipients.to_vec()
        };
        let protocol =
            pick(&protocol, salt).or_else(|| pick(&FALLBACK_PROTOCOL_FEE_RECIPIENTS, salt)).unwrap_or_default();
        let buyback = pick(&cfg.buyback_fee_recipients, salt)
            .or_else(|| pick(&FALLBACK_BUYBACK_FEE_RECIPIENTS, salt))
            .unwrap_or_default();
        Self {
            protocol_fee_recipient: protocol,
            protocol_fee_recipient_token_account: AtaSpec::wsol(protocol).address(),
            buyback_fee_recipient: buyback,
            buyback_fee_recipient_token_account: AtaSpec::wsol(buyback).address(),
        }
    }
}

fn pick(list: &[Pubkey], salt: u64) -> Option<Pubkey> {
    let live: Vec<Pubkey> = list.iter().copied().filter(|k| *k != Pubkey::default()).collect();
    let len = u64::try_from(live.len()).ok().filter(|n| *n > 0)?;
    live.get(usize::try_from(salt % len).ok()?).copied()
}

/// `buy` arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmmBuyArgs {
    /// `base_amount_out`.
    pub base_out: TokenAmount,
    /// `max_quote_amount_in` (also the amount wrapped).
    pub max_quote_in: Lamports,
    /// `track_volume: OptionBool`.
    pub track_volume: bool,
}

/// `buy_exact_quote_in` arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmmBuyExactQuoteInArgs {
    /// `spendable_quote_in` (also the amount wrapped).
    pub spendable_quote_in: Lamports,
    /// `min_base_amount_out`.
    pub min_base_out: TokenAmount,
    /// `track_volume: OptionBool`.
    pub track_volume: bool,
}

/// `sell` arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmmSellArgs {
    /// `base_amount_in`.
    pub base_in: TokenAmount,
    /// `min_quote_amount_out`.
    pub min_quote_out: Lamports,
}

impl AmmBuyArgs {
    /// From a planned order.
    pub fn from_order(o: &AmmBuyOrder, track_volume: bool) -> Self {
        Self { base_out: o.base_out, max_quote_in: o.max_quote_in, track_volume }
    }
}

impl AmmBuyExactQuoteInArgs {
    /// From a planned order.
    pub fn from_order(o: &AmmBuyExactQuoteInOrder, track_volume: bool) -> Self {
        Self { spendable_quote_in: o.spendable_quote_in, min_base_out: o.min_base_out, track_volume }
    }
}

impl From<&AmmSellOrder> for AmmSellArgs {
    fn from(o: &AmmSellOrder) -> Self {
        Self { base_in: o.base_in, min_quote_out: o.min_quote_out }
    }
}

/// A validated pool trade: pool, user and fee-recipient accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmmTrade {
    pool: PoolAccounts,
    user: AmmUserAccounts,
    recipients: AmmFeeRecipients,
}

impl AmmTrade {
    /// Checks the pool is wSOL-quoted and the user accounts were derived for it.
    ///
    /// # Errors
    /// [`AmmIxError`].
    pub fn new(pool: &PoolAccounts, user: &AmmUserAccounts, recipients: AmmFeeRecipients) -> Result<Self, AmmIxError> {
        if pool.quote_mint != WSOL_MINT {
            return Err(AmmIxError::NotSolQuoted);
        }
        if user.pool != pool.pool {
            return Err(AmmIxError::MismatchedAccounts);
        }
        Ok(Self { pool: *pool, user: *user, recipients })
    }

    /// `[create base ATA, create wSOL ATA, wrap max_quote_in, SyncNative, buy, close wSOL]`.
    pub fn buy_instructions(&self, args: &AmmBuyArgs) -> Vec<Instruction> {
        self.wrapped(args.max_quote_in, self.buy(args))
    }

    /// `[create base ATA, create wSOL ATA, wrap spendable, SyncNative, buy_exact_quote_in, close wSOL]`.
    pub fn buy_exact_quote_in_instructions(&self, args: &AmmBuyExactQuoteInArgs) -> Vec<Instruction> {
        self.wrapped(args.spendable_quote_in, self.buy_exact_quote_in(args))
    }

    /// `[create wSOL ATA, sell, close wSOL]`: proceeds arrive as native SOL.
    pub fn sell_instructions(&self, args: &AmmSellArgs) -> Vec<Instruction> {
        vec![self.create_wsol_ata(), self.sell(args), self.close_wsol()]
    }

    /// `buy`: 23 fixed accounts + remaining (cashback ATA, pool_v2, buyback pair).
    pub fn buy(&self, args: &AmmBuyArgs) -> Instruction {
        let data = encode(BUY_DISCRIMINATOR, args.base_out.raw, args.max_quote_in.0, Some(args.track_volume));
        Instruction { program_id: PUMP_AMM_PROGRAM, accounts: self.accounts(true), data }
    }

    /// `buy_exact_quote_in`: same accounts as `buy`.
    pub fn buy_exact_quote_in(&self, args: &AmmBuyExactQuoteInArgs) -> Instruction {
        let data = encode(
            BUY_EXACT_QUOTE_IN_DISCRIMINATOR,
            args.spendable_quote_in.0,
            args.min_base_out.raw,
            Some(args.track_volume),
        );
        Instruction { program_id: PUMP_AMM_PROGRAM, accounts: self.accounts(true), data }
    }

    /// `sell`: 21 fixed accounts + remaining (cashback pair, pool_v2, buyback pair).
    pub fn sell(&self, args: &AmmSellArgs) -> Instruction {
        let data = encode(SELL_DISCRIMINATOR, args.base_in.raw, args.min_quote_out.0, None);
        Instruction { program_id: PUMP_AMM_PROGRAM, accounts: self.accounts(false), data }
    }

    fn wrapped(&self, amount: Lamports, swap: Instruction) -> Vec<Instruction> {
        let u = &self.user;
        let base = AtaSpec { owner: u.user, mint: self.pool.base_mint, token_program: self.pool.base_token_program };
        vec![
            create_ata_idempotent(&base),
            self.create_wsol_ata(),
            system_transfer(&SystemTransfer { from: u.user, to: u.user_quote_token_account, amount }),
            sync_native(self.pool.quote_token_program, u.user_quote_token_account),
            swap,
            self.close_wsol(),
        ]
    }

    fn create_wsol_ata(&self) -> Instruction {
        create_ata_idempotent(&AtaSpec::wsol(self.user.user))
    }

    fn close_wsol(&self) -> Instruction {
        close_account(&CloseAccount {
            token_program: self.pool.quote_token_program,
            account: self.user.user_quote_token_account,
            destination: self.user.user,
            owner: self.user.user,
        })
    }

    fn accounts(&self, is_buy: bool) -> Vec<AccountMeta> {
        let (p, u, r) = (&self.pool, &self.user, &self.recipients);
        let mut a = Vec::with_capacity(27);
        a.extend_from_slice(&[
            AccountMeta::new(p.pool, false),
            AccountMeta::new(u.user, true),
            AccountMeta::new_readonly(GLOBAL_CONFIG, false),
            AccountMeta::new_readonly(p.base_mint, false),
            AccountMeta::new_readonly(p.quote_mint, false),
            AccountMeta::new(u.user_base_token_account, false),
            AccountMeta::new(u.user_quote_token_account, false),
            AccountMeta::new(p.pool_base_token_account, false),
            AccountMeta::new(p.pool_quote_token_account, false),
            AccountMeta::new_readonly(r.protocol_fee_recipient, false),
            AccountMeta::new(r.protocol_fee_recipient_token_account, false),
            AccountMeta::new_readonly(p.base_token_program, false),
            AccountMeta::new_readonly(p.quote_token_program, false),
            AccountMeta::new_readonly(SYSTEM_PROGRAM, false),
            AccountMeta::new_readonly(ASSOCIATED_TOKEN_PROGRAM, false),
            AccountMeta::new_readonly(EVENT_AUTHORITY, false),
            AccountMeta::new_readonly(PUMP_AMM_PROGRAM, false),
            AccountMeta::new(p.coin_creator_vault_ata, false),
            AccountMeta::new_readonly(p.coin_creator_vault_authority, false),
        ]);
        if is_buy {
            a.push(AccountMeta::new_readonly(GLOBAL_VOLUME_ACCUMULATOR, false));
            a.push(AccountMeta::new(u.user_volume_accumulator, false));
        }
        a.push(AccountMeta::new_readonly(FEE_CONFIG, false));
        a.push(AccountMeta::new_readonly(PUMP_FEES_PROGRAM, false));
        if p.is_cashback_coin {
            a.push(AccountMeta::new(u.user_volume_accumulator_quote_ata, false));
            if !is_buy {
                a.push(AccountMeta::new(u.user_volume_accumulator, false));
            }
        }
        if let Some(pool_v2) = p.pool_v2 {
            a.push(AccountMeta::new_readonly(pool_v2, false));
        }
        a.push(AccountMeta::new_readonly(r.buyback_fee_recipient, false));
        a.push(AccountMeta::new(r.buyback_fee_recipient_token_account, false));
        a
    }
}

/// `extend_account` for a pool shorter than `POOL_ACCOUNT_NEW_SIZE` (the swap SDK prepends it);
/// accounts `[pool W, user S W, system, event_authority, program]`, no args.
pub fn extend_pool_account(pool: Pubkey, user: Pubkey) -> Instruction {
    Instruction {
        program_id: PUMP_AMM_PROGRAM,
        accounts: vec![
            AccountMeta::new(pool, false),
            AccountMeta::new(user, true),
            AccountMeta::new_readonly(SYSTEM_PROGRAM, false),
            AccountMeta::new_readonly(EVENT_AUTHORITY, false),
            AccountMeta::new_readonly(PUMP_AMM_PROGRAM, false),
        ],
        data: EXTEND_ACCOUNT_DISCRIMINATOR.to_vec(),
    }
}

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
