//! The cached venue, wallet and safety state the alert benches start from (shared by
//! `benches/alerts.rs` and `benches/watch.rs`; included with `#[path]`, not a bench itself).

use quantbot::domain::alert::rules::{MarketView, SubscriptionSettings};
use quantbot::domain::money::{Bps, Lamports};
use quantbot::domain::risk::RiskSnapshot;
use quantbot::domain::safety::fixtures::MintSpec;
use quantbot::domain::safety::{RoundTrip, TokenSafety, VenueFacts, decode_mint};
use quantbot::domain::user_config::UserConfig;
use quantbot::solana::ids::TOKEN_2022_PROGRAM;
use quantbot::solana::instructions::{ComputeUnits, MicroLamportsPerCu};
use quantbot::solana::tx::{ComputeBudget, TxDraft, serialize, sign};
use quantbot::venues::pumpfun::accounts::{BondingCurve, FeeConfig, FeeTier, Fees, GLOBAL_DISCRIMINATOR, Global};
use quantbot::venues::pumpfun::curve::ONE_BILLION_SUPPLY;
use quantbot::venues::pumpfun::curve::{BuyBySolRequest, CurveState};
use quantbot::venues::pumpfun::ix::{BuyArgs, FeeRecipients, LegacyTrade, LegacyTradeParts};
use quantbot::venues::pumpfun::pda::{MintAccounts, MintKey, UserAccounts};
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_pubkey::{Pubkey, pubkey};
use solana_signer::Signer;

/// The token the benches trade.
pub const MINT: &str = "EM1WnMcHLeMqBFWKoNstRj7qautMwSphqRQVBVw1pump";

/// Venue and wallet state cached between alerts.
pub struct Cached {
    pub global: Global,
    pub fee_config: FeeConfig,
    pub curve: BondingCurve,
    pub mint: MintAccounts,
    pub user: UserAccounts,
    pub blockhash: Hash,
    pub keypair: Keypair,
    pub config: UserConfig,
    pub snapshot: RiskSnapshot,
    pub settings: SubscriptionSettings,
    pub market: MarketView,
}

/// The state every bench run starts from.
pub fn cached() -> Cached {
    let mut global_bytes = GLOBAL_DISCRIMINATOR.to_vec();
    global_bytes.resize(1087, 0);
    let global = Global::decode(&global_bytes).unwrap();
    let fee_config = FeeConfig {
        bump: 255,
        admin: Pubkey::default(),
        flat_fees: Fees::default(),
        fee_tiers: vec![FeeTier {
            market_cap_threshold: 0,
            fees: Fees { lp_fee_bps: 0, protocol_fee_bps: 95, creator_fee_bps: 30 },
        }],
        stable_fee_tiers: Vec::new(),
        exotic_flat_fees: Fees::default(),
    };
    let curve = BondingCurve {
        virtual_token_reserves: 1_048_500_803_494_126,
        virtual_quote_reserves: 30_700_977_905,
        real_token_reserves: 768_600_803_494_126,
        real_quote_reserves: 700_977_905,
        token_total_supply: ONE_BILLION_SUPPLY,
        creator: pubkey!("39c8JbwsHBZKibzBACZg3g6EDUuKxYHZ6Uot39jJAE6v"),
        ..BondingCurve::default()
    };
    let keypair = Keypair::new_from_array([7; 32]);
    let mint = MintAccounts::derive(&MintKey {
        mint: MINT.parse().unwrap(),
        token_program: TOKEN_2022_PROGRAM,
        creator: curve.creator,
    });
    let user = UserAccounts::derive(keypair.pubkey(), &mint);
    let config = UserConfig { trading_enabled: true, ..UserConfig::default() };
    let snapshot =
        RiskSnapshot { wallet_balance: Lamports(5_000_000_000), now_ms: 1_795_000_000_000, ..Default::default() };
    let settings = SubscriptionSettings::default().apply(&["sol=0.1", "max_mcap=500", "max_impact=10"]).unwrap();
    let market = MarketView {
        market_cap: Some(Lamports(30_000_000_000)),
        liquidity: Lamports(700_977_905),
        price_impact: Bps(300),
        quoted: Lamports(100_000_000),
    };
    Cached {
        global,
        fee_config,
        curve,
        mint,
        user,
        blockhash: Hash::new_from_array([3; 32]),
        keypair,
        config,
        snapshot,
        settings,
        market,
    }
}

/// Safety facts of a clean token (what the fan-out's cached read returns).
pub fn clean_safety() -> TokenSafety {
    let spec = MintSpec { supply: ONE_BILLION_SUPPLY, decimals: 6, ..MintSpec::default() };
    TokenSafety {
        mint: decode_mint(&quantbot::domain::safety::TOKEN_PROGRAM, &spec.bytes()).unwrap(),
        top10_bps: Some(1_500),
        creator_bps: Some(0),
        age_secs: None,
        age_lower_bound: false,
        meta: None,
        venue: VenueFacts::Curve { progress_bps: 1_000 },
        round_trip: Some(RoundTrip::Sellable),
    }
}

/// A Pump.fun buy of `spend` from the cached curve, compiled to v0, signed and serialized: the
/// part of every alert path after the rules and the risk check.
pub fn signed_buy(c: &Cached, spend: Lamports, salt: u64) -> Vec<u8> {
    let state = CurveState {
        global: &c.global,
        fee_config: Some(&c.fee_config),
        curve: &c.curve,
        mint_supply: ONE_BILLION_SUPPLY,
    };
    let order = state.plan_buy_for_sol(&BuyBySolRequest { spend, slippage: c.config.slippage }).unwrap();
    let recipients = FeeRecipients::pick(&c.global, c.curve.is_mayhem_mode, salt);
    let trade =
        LegacyTrade::new(&LegacyTradeParts { curve: &c.curve, mint: &c.mint, user: &c.user, recipients }).unwrap();
    let budget = ComputeBudget { unit_limit: ComputeUnits(120_000), unit_price: MicroLamportsPerCu(250_000) };
    let mut draft = TxDraft::new(c.keypair.pubkey(), budget);
    draft.extend(trade.buy_instructions(&BuyArgs::from_order(&order, true)));
    let message = draft.compile(c.blockhash.clone()).unwrap();
    let tx = sign(message, &c.keypair).unwrap();
    serialize(&tx).unwrap()
}
