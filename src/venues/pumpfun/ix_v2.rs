//! Pump.fun `buy_v2` / `sell_v2` builders (reference §1.4): 27 / 26 accounts, quote-side ATAs
//! for the fee recipients, the curve, the user, the creator vault and the volume accumulator.
//!
//! Pure: no I/O, never signs. Checked account by account and byte by byte against the official
//! TS SDK 2.0.0 IDL (`tests/fixtures/pumpfun/pump-sdk-2.0.0.v2-trades.idl.json`), whose PDA
//! seeds the test resolves on its own. The SDK 2.0.0 builders send no trailing `partial_fill`
//! (the Rust crate 0.5.0 IDL has one); these builders match the TS SDK.
//!
//! Not used by the venue yet: for SOL-paired coins the legacy instructions ([`super::ix`]) are
//! proven on mainnet and smaller (a `buy_v2` with create-ATA is 1133 B without a lookup table,
//! close to the 1232 B cap). These are here for coins legacy cannot trade (non-SOL quote mints).

use solana_instruction::{AccountMeta, Instruction};
use solana_pubkey::Pubkey;

use crate::domain::money::{Lamports, TokenAmount};
use crate::solana::ids::{ASSOCIATED_TOKEN_PROGRAM, PUMP_FEES_PROGRAM, PUMP_PROGRAM, SYSTEM_PROGRAM, WSOL_MINT};
use crate::solana::instructions::AtaSpec;
use crate::venues::pumpfun::accounts::BondingCurve;
use crate::venues::pumpfun::ix::{FeeRecipients, IxError};
use crate::venues::pumpfun::pda::{
    EVENT_AUTHORITY, FEE_CONFIG, GLOBAL, GLOBAL_VOLUME_ACCUMULATOR, MintAccounts, sharing_config,
    user_volume_accumulator,
};

/// `sha256("global:buy_v2")[..8]`.
pub const BUY_V2_DISCRIMINATOR: [u8; 8] = [0xb8, 0x17, 0xee, 0x61, 0x67, 0xc5, 0xd3, 0x3d];
/// `sha256("global:sell_v2")[..8]`.
pub const SELL_V2_DISCRIMINATOR: [u8; 8] = [0x5d, 0xf6, 0x82, 0x3c, 0xe7, 0xe9, 0x40, 0xb2];

/// Inputs of [`V2Trade::new`].
#[derive(Debug, Clone, Copy)]
pub struct V2TradeParts<'a> {
    /// Curve as just read from chain.
    pub curve: &'a BondingCurve,
    /// Cached per-mint PDAs (base side).
    pub mint: &'a MintAccounts,
    /// The trading wallet (signer and fee payer).
    pub user: Pubkey,
    /// Chosen fee recipients.
    pub recipients: FeeRecipients,
    /// Owner of the quote mint (SPL Token for wSOL and USDC).
    pub quote_token_program: Pubkey,
}

/// All accounts of one v2 trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V2Trade {
    mint: MintAccounts,
    user: Pubkey,
    recipients: FeeRecipients,
    quote_mint: Pubkey,
    quote_token_program: Pubkey,
}

impl V2Trade {
    /// Checks the curve is tradable and the cached PDAs match it. The quote mint is wSOL for
    /// SOL-paired curves, the curve's `quote_mint` otherwise.
    ///
    /// # Errors
    /// [`IxError`] for complete curves or a stale creator vault.
    pub fn new(parts: &V2TradeParts<'_>) -> Result<Self, IxError> {
        if parts.curve.complete {
            return Err(IxError::Complete);
        }
        if parts.curve.creator != parts.mint.creator {
            return Err(IxError::StaleCreator);
        }
        let quote_mint = if parts.curve.is_sol_quoted() { WSOL_MINT } else { parts.curve.quote_mint };
        Ok(Self {
            mint: *parts.mint,
            user: parts.user,
            recipients: parts.recipients,
            quote_mint,
            quote_token_program: parts.quote_token_program,
        })
    }

    /// `buy_v2(amount, max_sol_cost)`: 27 accounts.
    pub fn buy_v2(&self, amount: TokenAmount, max_sol_cost: Lamports) -> Instruction {
        let data = encode(BUY_V2_DISCRIMINATOR, amount.raw, max_sol_cost.0);
        Instruction { program_id: PUMP_PROGRAM, accounts: self.accounts(true), data }
    }

    /// `sell_v2(amount, min_sol_output)`: 26 accounts (no global volume accumulator).
    pub fn sell_v2(&self, amount: TokenAmount, min_sol_output: Lamports) -> Instruction {
        let data = encode(SELL_V2_DISCRIMINATOR, amount.raw, min_sol_output.0);
        Instruction { program_id: PUMP_PROGRAM, accounts: self.accounts(false), data }
    }

    fn quote_ata(&self, owner: Pubkey) -> Pubkey {
        AtaSpec { owner, mint: self.quote_mint, token_program: self.quote_token_program }.address()
    }

    fn accounts(&self, buy: bool) -> Vec<AccountMeta> {
        let m = &self.mint;
        let r = &self.recipients;
        let volume = user_volume_accumulator(&self.user);
        let base_user = AtaSpec { owner: self.user, mint: m.mint, token_program: m.token_program }.address();
        let mut accounts = vec![
            AccountMeta::new_readonly(GLOBAL, false),
            AccountMeta::new_readonly(m.mint, false),
            AccountMeta::new_readonly(self.quote_mint, false),
            AccountMeta::new_readonly(m.token_program, false),
            AccountMeta::new_readonly(self.quote_token_program, false),
            AccountMeta::new_readonly(ASSOCIATED_TOKEN_PROGRAM, false),
            AccountMeta::new(r.fee_recipient, false),
            AccountMeta::new(self.quote_ata(r.fee_recipient), false),
            AccountMeta::new(r.buyback_fee_recipient, false),
            AccountMeta::new(self.quote_ata(r.buyback_fee_recipient), false),
            AccountMeta::new(m.bonding_curve, false),
            AccountMeta::new(m.associated_bonding_curve, false),
            AccountMeta::new(self.quote_ata(m.bonding_curve), false),
            AccountMeta::new(self.user, true),
            AccountMeta::new(base_user, false),
            AccountMeta::new(self.quote_ata(self.user), false),
            AccountMeta::new(m.creator_vault, false),
            AccountMeta::new(self.quote_ata(m.creator_vault), false),
            AccountMeta::new_readonly(sharing_config(&m.mint), false),
        ];
        if buy {
            accounts.push(AccountMeta::new_readonly(GLOBAL_VOLUME_ACCUMULATOR, false));
        }
        accounts.extend([
            AccountMeta::new(volume, false),
            AccountMeta::new(self.quote_ata(volume), false),
            AccountMeta::new_readonly(FEE_CONFIG, false),
            AccountMeta::new_readonly(PUMP_FEES_PROGRAM, false),
            AccountMeta::new_readonly(SYSTEM_PROGRAM, false),
            AccountMeta::new_readonly(EVENT_AUTHORITY, false),
            AccountMeta::new_readonly(PUMP_PROGRAM, false),
        ]);
        accounts
    }
}

/// `disc ‖ u64 ‖ u64` (borsh).
fn encode(disc: [u8; 8], a: u64, b: u64) -> Vec<u8> {
    let mut data = Vec::with_capacity(24);
    data.extend_from_slice(&disc);
    data.extend_from_slice(&a.to_le_bytes());
    data.extend_from_slice(&b.to_le_bytes());
    data
}

#[cfg(test)]
#[path = "ix_v2_tests.rs"]
mod tests;
