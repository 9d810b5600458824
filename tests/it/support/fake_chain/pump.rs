//! The fake chain's Pump.fun program (legacy `buy`, `buy_exact_sol_in`, `sell`) and seeding
//! helpers for pump coins, Global, FeeConfig and canonical PumpSwap pools.
//!
//! The handler checks the accounts the real program checks (PDAs, ATAs, creator vault, fee
//! recipients, signer) and applies the real curve math from `quantbot::venues::pumpfun::curve`:
//! lamports move user → curve / fee recipient / buyback recipient / creator vault (and back
//! for sells), tokens move between the curve's and the user's token accounts, and the curve's
//! reserves are updated. Failures use the program's custom codes (6002/6003/6042 slippage,
//! 6005 complete, 6023 not enough tokens) or `Custom 1` for missing lamports/tokens. The user
//! volume accumulator is not created (its rent is UNCERTAIN on the real program).

use std::sync::Arc;

use quantbot::domain::money::TokenAmount;
use quantbot::domain::safety::decode_mint;
use quantbot::solana::ids::{PUMP_PROGRAM, TOKEN_PROGRAM, WSOL_MINT};
use quantbot::solana::instructions::AtaSpec;
use quantbot::venues::pumpfun::accounts::{
    BONDING_CURVE_DISCRIMINATOR, BondingCurve, FEE_CONFIG_DISCRIMINATOR, FeeConfig, GLOBAL_DISCRIMINATOR, Global,
};
use quantbot::venues::pumpfun::curve::{CurveState, ONE_BILLION_SUPPLY};
use quantbot::venues::pumpfun::ix::{BUY_DISCRIMINATOR, BUY_EXACT_SOL_IN_DISCRIMINATOR, SELL_DISCRIMINATOR};
use quantbot::venues::pumpfun::pda;
use quantbot::venues::pumpswap::accounts::POOL_DISCRIMINATOR;
use serde_json::{Value, json};
use solana_pubkey::Pubkey;

use super::FakeChain;
use super::programs::{Account, Accounts, Ix, ProgramHandler, rent_exempt, token_account_data};

const CURVE_LEN: usize = 151;
const GLOBAL_LEN: usize = 1087;

/// Deterministic fee recipients seeded into the fake Global.
pub fn fee_recipients() -> [Pubkey; 8] {
    std::array::from_fn(|i| Pubkey::new_from_array([0x40 + i as u8; 32]))
}

/// Deterministic buyback recipients seeded into the fake Global.
pub fn buyback_recipients() -> [Pubkey; 8] {
    std::array::from_fn(|i| Pubkey::new_from_array([0x60 + i as u8; 32]))
}

// ---------------------------------------------------------------- encoders

struct W(Vec<u8>);

impl W {
    fn new(disc: [u8; 8]) -> Self {
        Self(disc.to_vec())
    }
    fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    fn b(&mut self, v: bool) -> &mut Self {
        self.u8(u8::from(v))
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u128(&mut self, v: u128) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn i128(&mut self, v: i128) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn k(&mut self, v: &Pubkey) -> &mut Self {
        self.0.extend_from_slice(v.as_ref());
        self
    }
    fn ks(&mut self, v: &[Pubkey]) -> &mut Self {
        for k in v {
            self.k(k);
        }
        self
    }
}

/// `Global` bytes in the field order `Global::decode` reads (1087 bytes).
pub fn global_bytes(g: &Global) -> Vec<u8> {
    let mut w = W::new(GLOBAL_DISCRIMINATOR);
    w.b(g.initialized).k(&g.authority).k(&g.fee_recipient);
    w.u64(g.initial_virtual_token_reserves).u64(g.initial_virtual_sol_reserves);
    w.u64(g.initial_real_token_reserves).u64(g.token_total_supply).u64(g.fee_basis_points);
    w.k(&g.withdraw_authority).b(g.enable_migrate).u64(g.pool_migration_fee).u64(g.creator_fee_basis_points);
    w.ks(&g.fee_recipients).k(&g.set_creator_authority).k(&g.admin_set_creator_authority);
    w.b(g.create_v2_enabled).k(&g.whitelist_pda).k(&g.reserved_fee_recipient).b(g.mayhem_mode_enabled);
    w.ks(&g.reserved_fee_recipients).b(g.is_cashback_enabled).ks(&g.buyback_fee_recipients);
    w.u64(g.buyback_basis_points).u64(g.initial_virtual_quote_reserves).ks(&g.whitelisted_quote_mints);
    w.b(g.creator_fee_configurable).u64(g.max_configurable_creator_fee_bps);
    w.k(&g.holder_reward_claim_authority).b(g.is_holder_reward_enabled);
    let mut out = w.0;
    out.resize(GLOBAL_LEN, 0);
    out
}

/// `FeeConfig` bytes (borsh: bump, admin, flat fees, tiers, stable tiers, exotic fees).
pub fn fee_config_bytes(c: &FeeConfig) -> Vec<u8> {
    let mut w = W::new(FEE_CONFIG_DISCRIMINATOR);
    w.u8(c.bump).k(&c.admin);
    let fees = |w: &mut W, f: &quantbot::venues::pumpfun::accounts::Fees| {
        w.u64(f.lp_fee_bps).u64(f.protocol_fee_bps).u64(f.creator_fee_bps);
    };
    fees(&mut w, &c.flat_fees);
    for tiers in [&c.fee_tiers, &c.stable_fee_tiers] {
        w.u32(tiers.len() as u32);
        for t in tiers {
            w.u128(t.market_cap_threshold);
            fees(&mut w, &t.fees);
        }
    }
    fees(&mut w, &c.exotic_flat_fees);
    w.0
}

/// `BondingCurve` bytes (151 bytes, as live accounts are allocated).
pub fn curve_bytes(c: &BondingCurve) -> Vec<u8> {
    let mut w = W::new(BONDING_CURVE_DISCRIMINATOR);
    w.u64(c.virtual_token_reserves).u64(c.virtual_quote_reserves).u64(c.real_token_reserves);
    w.u64(c.real_quote_reserves).u64(c.token_total_supply).b(c.complete).k(&c.creator);
    w.b(c.is_mayhem_mode).b(c.is_cashback_coin).k(&c.quote_mint).u64(c.creator_fee_bps);
    w.b(c.can_edit_creator_fee).b(c.is_holder_reward);
    let mut out = w.0;
    out.resize(CURVE_LEN, 0);
    out
}

/// The Global the fake uses: documented values, eight fee and eight buyback recipients.
pub fn seeded_global() -> Global {
    let r = fee_recipients();
    let mut bytes = GLOBAL_DISCRIMINATOR.to_vec();
    bytes.resize(GLOBAL_LEN, 0);
    let mut g = Global::decode(&bytes).unwrap();
    g.initialized = true;
    g.fee_recipient = r[0];
    g.fee_recipients = std::array::from_fn(|i| r[i + 1]);
    g.buyback_fee_recipients = buyback_recipients();
    g.buyback_basis_points = 5_000;
    g.fee_basis_points = 95;
    g.creator_fee_basis_points = 30;
    g.initial_virtual_token_reserves = 1_073_000_000_000_000;
    g.initial_virtual_sol_reserves = 30_000_000_000;
    g.initial_real_token_reserves = 793_100_000_000_000;
    g.token_total_supply = ONE_BILLION_SUPPLY;
    g
}

/// The curve FeeConfig observed on mainnet: one tier, protocol 95 bps, creator 30 bps.
pub fn seeded_fee_config(protocol_bps: u64, creator_bps: u64) -> FeeConfig {
    use quantbot::venues::pumpfun::accounts::{FeeTier, Fees};
    FeeConfig {
        bump: 255,
        admin: Pubkey::default(),
        flat_fees: Fees::default(),
        fee_tiers: vec![FeeTier {
            market_cap_threshold: 0,
            fees: Fees { lp_fee_bps: 0, protocol_fee_bps: protocol_bps, creator_fee_bps: creator_bps },
        }],
        stable_fee_tiers: Vec::new(),
        exotic_flat_fees: Fees::default(),
    }
}

/// A fresh curve: the documented initial reserves, `creator` set.
pub fn fresh_curve(creator: Pubkey) -> BondingCurve {
    BondingCurve {
        virtual_token_reserves: 1_073_000_000_000_000,
        virtual_quote_reserves: 30_000_000_000,
        real_token_reserves: 793_100_000_000_000,
        real_quote_reserves: 0,
        token_total_supply: ONE_BILLION_SUPPLY,
        creator,
        ..BondingCurve::default()
    }
}

// ---------------------------------------------------------------- seeding

/// A seeded pump coin.
#[derive(Debug, Clone, Copy)]
pub struct Coin {
    pub mint: Pubkey,
    pub token_program: Pubkey,
    pub bonding_curve: Pubkey,
    pub curve_ata: Pubkey,
    pub creator: Pubkey,
}

impl Coin {
    /// The user's token account for this coin.
    pub fn ata_of(&self, owner: &Pubkey) -> Pubkey {
        AtaSpec { owner: *owner, mint: self.mint, token_program: self.token_program }.address()
    }
}

/// Seeds Global (+ the curve FeeConfig) and registers the pump handler. Idempotent.
pub fn install(fake: &FakeChain) {
    fake.register_program(PUMP_PROGRAM, Arc::new(PumpProgram));
    let owner_rent = |len| rent_exempt(len);
    fake.set_account(
        &pda::GLOBAL,
        Account { lamports: owner_rent(GLOBAL_LEN), owner: PUMP_PROGRAM, data: global_bytes(&seeded_global()) },
    );
    let fees = fee_config_bytes(&seeded_fee_config(95, 30));
    fake.set_account(
        &pda::FEE_CONFIG,
        Account { lamports: owner_rent(fees.len()), owner: quantbot::solana::ids::PUMP_FEES_PROGRAM, data: fees },
    );
}

/// A mint account; Token-2022 mints carry extension bytes after the 82-byte base.
pub fn mint_account(token_program: &Pubkey, supply: u64, decimals: u8) -> Account {
    let mut data = super::programs::mint_data(supply, decimals);
    if *token_program == quantbot::solana::ids::TOKEN_2022_PROGRAM {
        data.resize(234, 0);
        data[165] = 1; // AccountType::Mint, then (zeroed) metadata-pointer extension bytes
    }
    Account { lamports: rent_exempt(data.len()), owner: *token_program, data }
}

/// Seeds a mint under `token_program`, its bonding curve `curve`, and the curve's token
/// account holding `real_token_reserves` (the curve account holds rent + real SOL reserves).
pub fn seed_coin(fake: &FakeChain, token_program: Pubkey, curve: &BondingCurve) -> Coin {
    let mint = Pubkey::new_unique();
    fake.set_account(&mint, mint_account(&token_program, curve.token_total_supply, 6));
    let bonding_curve = pda::bonding_curve(&mint);
    fake.set_account(
        &bonding_curve,
        Account {
            lamports: rent_exempt(CURVE_LEN) + curve.real_quote_reserves,
            owner: PUMP_PROGRAM,
            data: curve_bytes(curve),
        },
    );
    let curve_ata = fake.add_token_account(&bonding_curve, &mint, curve.real_token_reserves, 6, &token_program);
    Coin { mint, token_program, bonding_curve, curve_ata, creator: curve.creator }
}

/// The decoded curve of `coin` as the fake holds it now.
pub fn curve_of(fake: &FakeChain, coin: &Coin) -> BondingCurve {
    BondingCurve::decode(&fake.account(&coin.bonding_curve).unwrap().data).unwrap()
}

/// "Another trader moves the price": rewrites the curve's reserves in place.
pub fn move_price(fake: &FakeChain, coin: &Coin, change: impl FnOnce(&mut BondingCurve)) {
    let mut account = fake.account(&coin.bonding_curve).unwrap();
    let mut curve = BondingCurve::decode(&account.data).unwrap();
    change(&mut curve);
    let bytes = curve_bytes(&curve);
    let n = bytes.len().min(account.data.len());
    account.data[..n].copy_from_slice(&bytes[..n]);
    fake.set_account(&coin.bonding_curve, account);
}

/// A canonical PumpSwap pool for `coin` (curve marked complete and emptied, as after
/// migration) with `base` tokens and `quote` lamports (wSOL) in its vaults. Returns the pool.
pub fn seed_pool(fake: &FakeChain, coin: &Coin, base: u64, quote: u64) -> Pubkey {
    use quantbot::venues::pumpswap::pda::canonical_pool;
    move_price(fake, coin, |c| {
        c.complete = true;
        c.virtual_token_reserves = 0;
        c.real_token_reserves = 0;
        c.real_quote_reserves = 0;
    });
    let pool = canonical_pool(&coin.mint);
    let base_vault = fake.add_token_account(&pool, &coin.mint, base, 6, &coin.token_program);
    let quote_vault = fake.add_token_account(&pool, &WSOL_MINT, quote, 9, &TOKEN_PROGRAM);
    let mut w = W::new(POOL_DISCRIMINATOR);
    w.u8(255).0.extend_from_slice(&0u16.to_le_bytes());
    w.k(&pda::pool_authority(&coin.mint)).k(&coin.mint).k(&WSOL_MINT).k(&Pubkey::new_unique());
    w.k(&base_vault).k(&quote_vault).u64(1).k(&coin.creator).b(false).b(false).i128(0).u64(0).b(false).b(false);
    let mut data = w.0;
    data.resize(300, 0);
    fake.set_account(
        &pool,
        Account { lamports: rent_exempt(data.len()), owner: quantbot::solana::ids::PUMP_AMM_PROGRAM, data },
    );
    pool
}

// ---------------------------------------------------------------- the program

/// Legacy `buy` / `buy_exact_sol_in` / `sell` with the real curve math.
pub struct PumpProgram;

impl ProgramHandler for PumpProgram {
    fn execute(&self, ix: &Ix<'_>, accounts: &mut Accounts) -> Result<(), Value> {
        let disc: [u8; 8] = ix.data.get(..8).and_then(|d| d.try_into().ok()).ok_or(json!({"Custom": 101}))?;
        let a = ix.data.get(8..16).map(|b| u64::from_le_bytes(b.try_into().unwrap()));
        let b = ix.data.get(16..24).map(|b| u64::from_le_bytes(b.try_into().unwrap()));
        let (Some(a), Some(b)) = (a, b) else { return Err(json!("InvalidInstructionData")) };
        match disc {
            BUY_DISCRIMINATOR => buy(ix, accounts, Buy::ExactTokens { amount: a, max_sol_cost: b }),
            BUY_EXACT_SOL_IN_DISCRIMINATOR => buy(ix, accounts, Buy::ExactSol { spend: a, min_tokens: b }),
            SELL_DISCRIMINATOR => sell(ix, accounts, a, b),
            _ => Err(json!({"Custom": 101})), // InstructionFallbackNotFound
        }
    }
    fn units(&self) -> u64 {
        45_000
    }
}

/// Makes the next `times` pump `sell` executions (simulations included) fail with
/// `Custom(code)` (e.g. 6003 `TooLittleSolReceived`), then behave normally again.
#[allow(dead_code)]
pub fn fail_sells(fake: &FakeChain, times: usize, code: u32) {
    let handler = FlakySells { remaining: std::sync::atomic::AtomicUsize::new(times), code };
    fake.register_program(PUMP_PROGRAM, Arc::new(handler));
}

/// The pump program whose first N sells fail.
struct FlakySells {
    remaining: std::sync::atomic::AtomicUsize,
    code: u32,
}

impl ProgramHandler for FlakySells {
    fn execute(&self, ix: &Ix<'_>, accounts: &mut Accounts) -> Result<(), Value> {
        use std::sync::atomic::Ordering;
        let is_sell = ix.data.get(..8) == Some(&SELL_DISCRIMINATOR[..]);
        let failing =
            is_sell && self.remaining.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        if failing {
            return Err(custom(self.code));
        }
        PumpProgram.execute(ix, accounts)
    }
    fn units(&self) -> u64 {
        PumpProgram.units()
    }
}

enum Buy {
    ExactTokens { amount: u64, max_sol_cost: u64 },
    ExactSol { spend: u64, min_tokens: u64 },
}

const CONSTRAINT_SEEDS: u32 = 2006;

struct Ctx {
    global: Global,
    fee_config: Option<FeeConfig>,
    curve: BondingCurve,
    mint: Pubkey,
    token_program: Pubkey,
    bonding_curve: Pubkey,
    curve_ata: Pubkey,
    user_ata: Pubkey,
    user: Pubkey,
    fee_recipient: Pubkey,
    buyback: Pubkey,
    supply: u64,
}

fn custom(code: u32) -> Value {
    json!({"Custom": code})
}

/// Checks accounts 0–6, the token program, creator vault and fee recipients.
fn context(ix: &Ix<'_>, accounts: &Accounts, token_program_at: usize, vault_at: usize) -> Result<Ctx, Value> {
    let key = |i: usize| ix.account(i).map(|a| a.key);
    if key(0)? != pda::GLOBAL || key(11)? != PUMP_PROGRAM {
        return Err(custom(CONSTRAINT_SEEDS));
    }
    let global =
        Global::decode(&accounts.get(&pda::GLOBAL).ok_or(json!("AccountNotFound"))?.data).map_err(|_| custom(3002))?;
    let fee_config = accounts.get(&pda::FEE_CONFIG).and_then(|a| FeeConfig::decode(&a.data).ok());
    let (mint, bonding_curve, user) = (key(2)?, key(3)?, ix.account(6)?);
    if !user.is_signer {
        return Err(custom(3010)); // AccountNotSigner
    }
    if bonding_curve != pda::bonding_curve(&mint) {
        return Err(custom(CONSTRAINT_SEEDS));
    }
    let curve_acc = accounts.get(&bonding_curve).ok_or(json!("AccountNotFound"))?;
    let curve = BondingCurve::decode(&curve_acc.data).map_err(|_| custom(3002))?;
    let token_program = key(token_program_at)?;
    let mint_acc = accounts.get(&mint).ok_or(json!("AccountNotFound"))?;
    if mint_acc.owner != token_program {
        return Err(json!("IncorrectProgramId"));
    }
    let supply = u64::from_le_bytes(mint_acc.data[36..44].try_into().unwrap());
    let ata = |owner: Pubkey| AtaSpec { owner, mint, token_program }.address();
    let (curve_ata, user_ata) = (key(4)?, key(5)?);
    if curve_ata != ata(bonding_curve) || user_ata != ata(user.key) {
        return Err(custom(CONSTRAINT_SEEDS));
    }
    if key(vault_at)? != pda::creator_vault(&curve.creator) {
        return Err(custom(CONSTRAINT_SEEDS));
    }
    let fee_recipient = key(1)?;
    let normal: Vec<Pubkey> = std::iter::once(global.fee_recipient).chain(global.fee_recipients).collect();
    if !normal.contains(&fee_recipient) {
        return Err(custom(6000)); // NotAuthorized
    }
    let buyback = ix.accounts.last().map(|a| a.key).ok_or(custom(6027))?;
    if !global.buyback_fee_recipients.contains(&buyback) {
        return Err(custom(6027)); // NotEnoughRemainingAccounts / wrong buyback recipient
    }
    if curve.complete {
        return Err(custom(6005));
    }
    Ok(Ctx {
        global,
        fee_config,
        curve,
        mint,
        token_program,
        bonding_curve,
        curve_ata,
        user_ata,
        user: user.key,
        fee_recipient,
        buyback,
        supply,
    })
}

fn token_balance(accounts: &Accounts, key: &Pubkey) -> Result<u64, Value> {
    let acc = accounts.get(key).ok_or(json!("AccountNotFound"))?;
    acc.data.get(64..72).map(|b| u64::from_le_bytes(b.try_into().unwrap())).ok_or(json!("InvalidAccountData"))
}

fn set_token_balance(accounts: &mut Accounts, key: &Pubkey, amount: u64) {
    if let Some(acc) = accounts.map.get_mut(key) {
        acc.data[64..72].copy_from_slice(&amount.to_le_bytes());
    }
}

fn move_tokens(accounts: &mut Accounts, from: &Pubkey, to: &Pubkey, amount: u64) -> Result<(), Value> {
    let have = token_balance(accounts, from)?;
    let dest = token_balance(accounts, to)?;
    if have < amount {
        return Err(custom(1));
    }
    set_token_balance(accounts, from, have - amount);
    set_token_balance(accounts, to, dest + amount);
    Ok(())
}

/// Moves lamports out of a program-owned account (the program may debit its own accounts).
fn debit_program_account(accounts: &mut Accounts, from: &Pubkey, to: &Pubkey, amount: u64) -> Result<(), Value> {
    let acc = accounts.map.get_mut(from).ok_or(json!("AccountNotFound"))?;
    acc.lamports = acc.lamports.checked_sub(amount).ok_or(custom(1))?;
    accounts.map.entry(*to).or_insert_with(|| Account::system(0)).lamports += amount;
    Ok(())
}

fn write_curve(accounts: &mut Accounts, key: &Pubkey, curve: &BondingCurve) {
    if let Some(acc) = accounts.map.get_mut(key) {
        let bytes = curve_bytes(curve);
        let n = bytes.len().min(acc.data.len());
        acc.data[..n].copy_from_slice(&bytes[..n]);
    }
}

fn buyback_part(protocol: u64, bps: u64) -> u64 {
    (u128::from(protocol) * u128::from(bps)).div_ceil(10_000).min(u128::from(protocol)) as u64
}

fn buy(ix: &Ix<'_>, accounts: &mut Accounts, kind: Buy) -> Result<(), Value> {
    if ix.accounts.len() < 18 {
        return Err(custom(6027));
    }
    let c = context(ix, accounts, 8, 9)?;
    let state =
        CurveState { global: &c.global, fee_config: c.fee_config.as_ref(), curve: &c.curve, mint_supply: c.supply };
    let quote = match kind {
        Buy::ExactTokens { amount, max_sol_cost } => {
            let q = state.quote_buy_exact_tokens(TokenAmount::new(amount, 6)).map_err(|_| custom(6020))?;
            if q.sol_total.0 > max_sol_cost {
                return Err(custom(6002)); // TooMuchSolRequired
            }
            q
        }
        Buy::ExactSol { spend, min_tokens } => {
            let q = state.quote_buy_exact_sol_in(quantbot::domain::money::Lamports(spend)).map_err(|_| custom(6020))?;
            if q.tokens_out.raw < min_tokens {
                return Err(custom(6042)); // BuySlippageBelowMinTokensOut
            }
            q
        }
    };
    let buyback = buyback_part(quote.protocol_fee.0, c.global.buyback_basis_points);
    accounts.transfer(&c.user, &c.bonding_curve, quote.sol_to_curve.0)?;
    accounts.transfer(&c.user, &c.fee_recipient, quote.protocol_fee.0 - buyback)?;
    accounts.transfer(&c.user, &c.buyback, buyback)?;
    accounts.transfer(&c.user, &pda::creator_vault(&c.curve.creator), quote.creator_fee.0)?;
    move_tokens(accounts, &c.curve_ata, &c.user_ata, quote.tokens_out.raw)?;
    let mut curve = c.curve;
    let t = quote.tokens_out.raw;
    curve.virtual_token_reserves -= t;
    curve.real_token_reserves -= t;
    curve.virtual_quote_reserves += quote.sol_to_curve.0;
    curve.real_quote_reserves += quote.sol_to_curve.0;
    curve.complete = curve.real_token_reserves == 0;
    write_curve(accounts, &c.bonding_curve, &curve);
    let _ = (c.mint, c.token_program);
    Ok(())
}

fn sell(ix: &Ix<'_>, accounts: &mut Accounts, amount: u64, min_sol_output: u64) -> Result<(), Value> {
    if ix.accounts.len() < 16 {
        return Err(custom(6027));
    }
    let c = context(ix, accounts, 9, 8)?;
    // A Token-2022 transfer hook that refuses transfers into the curve (a honeypot): the sell's
    // token transfer fails inside the hook program.
    let hooked = accounts.get(&c.mint).and_then(|m| decode_mint(&m.owner, &m.data).ok()).and_then(|f| f.transfer_hook);
    if hooked.flatten().is_some() {
        return Err(custom(HOOK_REFUSES_SELLS));
    }
    let state =
        CurveState { global: &c.global, fee_config: c.fee_config.as_ref(), curve: &c.curve, mint_supply: c.supply };
    if token_balance(accounts, &c.user_ata)? < amount {
        return Err(custom(6023)); // NotEnoughTokensToSell
    }
    let q = state.quote_sell(TokenAmount::new(amount, 6)).map_err(|_| custom(6023))?;
    if q.sol_out.0 < min_sol_output {
        return Err(custom(6003)); // TooLittleSolReceived
    }
    move_tokens(accounts, &c.user_ata, &c.curve_ata, amount)?;
    let buyback = buyback_part(q.protocol_fee.0, c.global.buyback_basis_points);
    debit_program_account(accounts, &c.bonding_curve, &c.user, q.sol_out.0)?;
    debit_program_account(accounts, &c.bonding_curve, &c.fee_recipient, q.protocol_fee.0 - buyback)?;
    debit_program_account(accounts, &c.bonding_curve, &c.buyback, buyback)?;
    debit_program_account(accounts, &c.bonding_curve, &pda::creator_vault(&c.curve.creator), q.creator_fee.0)?;
    let mut curve = c.curve;
    curve.virtual_token_reserves += amount;
    curve.real_token_reserves += amount;
    curve.virtual_quote_reserves -= q.sol_from_curve.0;
    curve.real_quote_reserves -= q.sol_from_curve.0;
    write_curve(accounts, &c.bonding_curve, &curve);
    Ok(())
}

/// The error the fake hook program answers a sell with.
pub const HOOK_REFUSES_SELLS: u32 = 0xa261_c2c0;

/// Replaces `coin`'s mint account with `spec` (authorities, Token-2022 extensions) under the
/// coin's token program; supply and decimals are kept.
#[allow(dead_code)]
pub fn set_mint(fake: &FakeChain, coin: &Coin, spec: quantbot::domain::safety::fixtures::MintSpec) {
    let old = fake.account(&coin.mint).unwrap();
    let supply = u64::from_le_bytes(old.data[36..44].try_into().unwrap());
    let spec = quantbot::domain::safety::fixtures::MintSpec {
        supply,
        decimals: old.data[44],
        token_2022: coin.token_program == quantbot::solana::ids::TOKEN_2022_PROGRAM,
        ..spec
    };
    let data = spec.bytes();
    fake.set_account(&coin.mint, Account { lamports: rent_exempt(data.len()), owner: coin.token_program, data });
}

/// Token account bytes (re-exported for tests that seed holdings directly).
#[allow(dead_code)]
pub fn token_account(mint: &Pubkey, owner: &Pubkey, amount: u64) -> Vec<u8> {
    token_account_data(mint, owner, amount)
}
