//! The fake chain's SPL Token program (the instructions a PumpSwap trade uses: `Transfer`,
//! `TransferChecked`, `SyncNative`, `CloseAccount`) and a PumpSwap (pump_amm) program that
//! applies `sell` with the real constant-product math from
//! `quantbot::venues::pumpswap::quote`, so a sell after migration really lands.
//!
//! Simplifications (documented, not modelled): wSOL token accounts are "native" when their mint
//! is wSOL (amount = lamports − rent after `SyncNative`); a fee recipient's missing wSOL token
//! account is created on first credit (its rent is minted); the LP fee stays in the quote vault;
//! `buy_exact_quote_in` applies the real math too (the safety round trip simulates it), `buy`
//! answers `InstructionFallbackNotFound`; `extend_account` grows the pool to
//! `POOL_ACCOUNT_NEW_SIZE`. A Token-2022 base mint with a transfer hook program refuses sells
//! (transfers into the pool), as the pump curve fake does.

use std::sync::Arc;

use quantbot::domain::money::{Lamports, TokenAmount};
use quantbot::solana::ids::{PUMP_AMM_PROGRAM, TOKEN_2022_PROGRAM, TOKEN_PROGRAM, WSOL_MINT};
use quantbot::venues::globals::GlobalState;
use quantbot::venues::pumpfun::accounts::FeeConfig;
use quantbot::venues::pumpswap::accounts::{GlobalConfig, POOL_ACCOUNT_NEW_SIZE, Pool};
use quantbot::venues::pumpswap::ix::{
    BUY_EXACT_QUOTE_IN_DISCRIMINATOR, EXTEND_ACCOUNT_DISCRIMINATOR, SELL_DISCRIMINATOR,
};
use quantbot::venues::pumpswap::pda::{FEE_CONFIG, GLOBAL_CONFIG, is_canonical_pump_pool};
use quantbot::venues::pumpswap::quote::{PoolReserves, PoolState};
use serde_json::{Value, json};
use solana_pubkey::Pubkey;

use super::FakeChain;
use super::programs::{Account, Accounts, Ix, ProgramHandler, rent_exempt, token_account_data};

/// Registers the SPL Token handler (both token programs) and the PumpSwap handler.
pub fn install(fake: &FakeChain) {
    fake.register_program(TOKEN_PROGRAM, Arc::new(TokenProgram));
    fake.register_program(TOKEN_2022_PROGRAM, Arc::new(TokenProgram));
    fake.register_program(PUMP_AMM_PROGRAM, Arc::new(PumpSwapProgram));
}

fn amount_of(accounts: &Accounts, key: &Pubkey) -> Result<u64, Value> {
    let a = accounts.get(key).ok_or(json!("InvalidAccountData"))?;
    let bytes = a.data.get(64..72).ok_or(json!("InvalidAccountData"))?;
    Ok(u64::from_le_bytes(bytes.try_into().map_err(|_| json!("InvalidAccountData"))?))
}

fn set_amount(accounts: &mut Accounts, key: &Pubkey, amount: u64) -> Result<(), Value> {
    let a = accounts.map.get_mut(key).ok_or(json!("InvalidAccountData"))?;
    a.data.get_mut(64..72).ok_or(json!("InvalidAccountData"))?.copy_from_slice(&amount.to_le_bytes());
    Ok(())
}

fn mint_of(accounts: &Accounts, key: &Pubkey) -> Option<Pubkey> {
    accounts.get(key).and_then(|a| a.data.get(0..32)).and_then(|b| Pubkey::try_from(b).ok())
}

fn owner_of(accounts: &Accounts, key: &Pubkey) -> Option<Pubkey> {
    accounts.get(key).and_then(|a| a.data.get(32..64)).and_then(|b| Pubkey::try_from(b).ok())
}

/// Moves `amount` tokens (and, for wSOL, the same lamports) between token accounts of one mint.
fn move_tokens(accounts: &mut Accounts, from: &Pubkey, to: &Pubkey, amount: u64) -> Result<(), Value> {
    let have = amount_of(accounts, from)?;
    if have < amount {
        return Err(json!({"Custom": 1})); // TokenError::InsufficientFunds
    }
    if mint_of(accounts, from) != mint_of(accounts, to) {
        return Err(json!({"Custom": 3})); // TokenError::MintMismatch
    }
    let to_amount = amount_of(accounts, to)?;
    set_amount(accounts, from, have - amount)?;
    set_amount(accounts, to, to_amount + amount)?;
    if mint_of(accounts, to) == Some(WSOL_MINT) {
        accounts.transfer(from, to, amount)?;
    }
    Ok(())
}

/// SPL Token: `Transfer` (3), `CloseAccount` (9), `TransferChecked` (12), `SyncNative` (17).
pub struct TokenProgram;

impl ProgramHandler for TokenProgram {
    fn execute(&self, ix: &Ix<'_>, accounts: &mut Accounts) -> Result<(), Value> {
        let amount = || {
            ix.data
                .get(1..9)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_le_bytes)
                .ok_or(json!("InvalidInstructionData"))
        };
        match ix.data.first() {
            Some(3) => {
                let (src, dst, owner) = (ix.account(0)?, ix.account(1)?, ix.account(2)?);
                authorize(accounts, &src.key, &owner)?;
                move_tokens(accounts, &src.key, &dst.key, amount()?)
            }
            Some(12) => {
                let (src, mint, dst, owner) = (ix.account(0)?, ix.account(1)?, ix.account(2)?, ix.account(3)?);
                if mint_of(accounts, &src.key) != Some(mint.key) {
                    return Err(json!({"Custom": 3}));
                }
                authorize(accounts, &src.key, &owner)?;
                move_tokens(accounts, &src.key, &dst.key, amount()?)
            }
            Some(17) => {
                let acc = ix.account(0)?.key;
                if mint_of(accounts, &acc) != Some(WSOL_MINT) {
                    return Err(json!({"Custom": 19})); // NonNativeNotSupported
                }
                let native = accounts.lamports(&acc).saturating_sub(rent_exempt(165));
                set_amount(accounts, &acc, native)
            }
            Some(9) => {
                let (acc, dst, owner) = (ix.account(0)?, ix.account(1)?, ix.account(2)?);
                authorize(accounts, &acc.key, &owner)?;
                if mint_of(accounts, &acc.key) != Some(WSOL_MINT) && amount_of(accounts, &acc.key)? != 0 {
                    return Err(json!({"Custom": 11})); // NonNativeHasBalance
                }
                let lamports = accounts.lamports(&acc.key);
                accounts.transfer(&acc.key, &dst.key, lamports)?;
                accounts.map.remove(&acc.key);
                Ok(())
            }
            _ => Err(json!("InvalidInstructionData")),
        }
    }
    fn units(&self) -> u64 {
        3_000
    }
}

fn authorize(accounts: &Accounts, token_account: &Pubkey, owner: &super::IxAccount) -> Result<(), Value> {
    if !owner.is_signer {
        return Err(json!("MissingRequiredSignature"));
    }
    if owner_of(accounts, token_account) != Some(owner.key) {
        return Err(json!({"Custom": 4})); // TokenError::OwnerMismatch
    }
    Ok(())
}

/// pump_amm: `sell` with the real math, `extend_account`; buys are not modelled.
pub struct PumpSwapProgram;

impl ProgramHandler for PumpSwapProgram {
    fn execute(&self, ix: &Ix<'_>, accounts: &mut Accounts) -> Result<(), Value> {
        let disc: [u8; 8] = ix.data.get(..8).and_then(|d| d.try_into().ok()).ok_or(json!({"Custom": 101}))?;
        match disc {
            SELL_DISCRIMINATOR => sell(ix, accounts),
            BUY_EXACT_QUOTE_IN_DISCRIMINATOR => buy_exact_quote_in(ix, accounts),
            EXTEND_ACCOUNT_DISCRIMINATOR => {
                let pool = ix.account(0)?.key;
                let acc = accounts.map.get_mut(&pool).ok_or(json!("AccountNotFound"))?;
                if acc.data.len() < POOL_ACCOUNT_NEW_SIZE {
                    acc.data.resize(POOL_ACCOUNT_NEW_SIZE, 0);
                }
                Ok(())
            }
            _ => Err(json!({"Custom": 101})), // InstructionFallbackNotFound
        }
    }
    fn units(&self) -> u64 {
        60_000
    }
}

/// Credits `amount` wSOL to `account` (owned by `owner`), creating the token account if missing.
fn credit_wsol(
    accounts: &mut Accounts,
    from_vault: &Pubkey,
    account: &Pubkey,
    owner: &Pubkey,
    amount: u64,
) -> Result<(), Value> {
    if amount == 0 {
        return Ok(());
    }
    if accounts.get(account).is_none() {
        accounts.map.insert(
            *account,
            Account {
                lamports: rent_exempt(165),
                owner: TOKEN_PROGRAM,
                data: token_account_data(&WSOL_MINT, owner, 0),
            },
        );
    }
    move_tokens(accounts, from_vault, account, amount)
}

/// The pool state a swap instruction sees: pool key, pool, and the quote inputs.
struct PoolCtx {
    pool: Pool,
    global_config: GlobalConfig,
    fee_config: Option<FeeConfig>,
    supply: u64,
    decimals: u8,
    hooked: bool,
}

fn pool_ctx(ix: &Ix<'_>, accounts: &Accounts) -> Result<PoolCtx, Value> {
    let key = |i: usize| ix.account(i).map(|a| a.key);
    if !ix.account(1)?.is_signer {
        return Err(json!({"Custom": 3010}));
    }
    if key(16)? != PUMP_AMM_PROGRAM {
        return Err(json!({"Custom": 2006}));
    }
    let pool = Pool::decode(&accounts.get(&key(0)?).ok_or(json!("AccountNotFound"))?.data)
        .map_err(|_| json!({"Custom": 3002}))?;
    if key(7)? != pool.pool_base_token_account || key(8)? != pool.pool_quote_token_account {
        return Err(json!({"Custom": 2006}));
    }
    let fallback = GlobalState::fallback();
    let global_config = accounts
        .get(&GLOBAL_CONFIG)
        .and_then(|a| GlobalConfig::decode(&a.data).ok())
        .unwrap_or(fallback.amm_global_config);
    let fee_config = accounts.get(&FEE_CONFIG).and_then(|a| FeeConfig::decode(&a.data).ok());
    let mint = accounts.get(&pool.base_mint).ok_or(json!("AccountNotFound"))?;
    let supply = u64::from_le_bytes(mint.data[36..44].try_into().unwrap());
    let decimals = mint.data[44];
    let hooked = quantbot::domain::safety::decode_mint(&mint.owner, &mint.data)
        .ok()
        .and_then(|f| f.transfer_hook)
        .flatten()
        .is_some();
    Ok(PoolCtx { pool, global_config, fee_config, supply, decimals, hooked })
}

/// `buy_exact_quote_in(spendable_quote_in, min_base_amount_out, track_volume)`: the user's wSOL
/// pays the quote and fees; the base vault pays the tokens.
fn buy_exact_quote_in(ix: &Ix<'_>, accounts: &mut Accounts) -> Result<(), Value> {
    let arg = |r: std::ops::Range<usize>| {
        ix.data.get(r).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes).ok_or(json!("InvalidInstructionData"))
    };
    let (spend, min_base_out) = (arg(8..16)?, arg(16..24)?);
    let key = |i: usize| ix.account(i).map(|a| a.key);
    let c = pool_ctx(ix, accounts)?;
    let user = ix.account(1)?.key;
    let (user_base, user_quote, base_vault, quote_vault) = (key(5)?, key(6)?, key(7)?, key(8)?);
    let state = PoolState {
        pool: &c.pool,
        global_config: &c.global_config,
        fee_config: c.fee_config.as_ref(),
        reserves: PoolReserves {
            base: amount_of(accounts, &base_vault)?,
            quote: Lamports(amount_of(accounts, &quote_vault)?),
        },
        base_mint_supply: c.supply,
        base_decimals: c.decimals,
        canonical: is_canonical_pump_pool(&c.pool),
    };
    let q = state.quote_buy_exact_quote_in(Lamports(spend)).map_err(|_| json!({"Custom": 6001}))?;
    if q.base_out.raw < min_base_out {
        return Err(json!({"Custom": 6004})); // ExceededSlippage
    }
    if owner_of(accounts, &user_base) != Some(user) || owner_of(accounts, &user_quote) != Some(user) {
        return Err(json!({"Custom": 2003}));
    }
    move_tokens(accounts, &user_quote, &quote_vault, q.quote_in.0 + q.lp_fee.0)?;
    let (protocol, protocol_ta) = (key(9)?, key(10)?);
    credit_wsol(accounts, &user_quote, &protocol_ta, &protocol, q.protocol_fee.0)?;
    let (creator_ata, creator_authority) = (key(17)?, key(18)?);
    credit_wsol(accounts, &user_quote, &creator_ata, &creator_authority, q.creator_fee.0)?;
    move_tokens(accounts, &base_vault, &user_base, q.base_out.raw)?;
    Ok(())
}

fn sell(ix: &Ix<'_>, accounts: &mut Accounts) -> Result<(), Value> {
    let c = pool_ctx(ix, accounts)?;
    if c.hooked {
        return Err(json!({"Custom": super::pump::HOOK_REFUSES_SELLS}));
    }
    let arg = |r: std::ops::Range<usize>| {
        ix.data.get(r).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes).ok_or(json!("InvalidInstructionData"))
    };
    let (base_in, min_quote_out) = (arg(8..16)?, arg(16..24)?);
    let key = |i: usize| ix.account(i).map(|a| a.key);
    let user = ix.account(1)?;
    let (user_base, user_quote, base_vault, quote_vault) = (key(5)?, key(6)?, key(7)?, key(8)?);
    let (pool, global_config, fee_config, supply, decimals) =
        (c.pool, c.global_config, c.fee_config, c.supply, c.decimals);
    let state = PoolState {
        pool: &pool,
        global_config: &global_config,
        fee_config: fee_config.as_ref(),
        reserves: PoolReserves {
            base: amount_of(accounts, &base_vault)?,
            quote: Lamports(amount_of(accounts, &quote_vault)?),
        },
        base_mint_supply: supply,
        base_decimals: decimals,
        canonical: is_canonical_pump_pool(&pool),
    };
    let q = state.quote_sell(TokenAmount::new(base_in, decimals)).map_err(|_| json!({"Custom": 6001}))?;
    if q.quote_out.0 < min_quote_out {
        return Err(json!({"Custom": 6004})); // ExceededSlippage
    }
    if owner_of(accounts, &user_base) != Some(user.key) || owner_of(accounts, &user_quote) != Some(user.key) {
        return Err(json!({"Custom": 2003}));
    }
    move_tokens(accounts, &user_base, &base_vault, base_in)?;
    move_tokens(accounts, &quote_vault, &user_quote, q.quote_out.0)?;
    let (protocol, protocol_ta) = (key(9)?, key(10)?);
    credit_wsol(accounts, &quote_vault, &protocol_ta, &protocol, q.protocol_fee.0)?;
    let (creator_ata, creator_authority) = (key(17)?, key(18)?);
    credit_wsol(accounts, &quote_vault, &creator_ata, &creator_authority, q.creator_fee.0)?;
    Ok(())
}
