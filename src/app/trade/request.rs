//! What the trading core is asked to do and what came of it.

use rust_decimal::Decimal;
use solana_pubkey::Pubkey;

use crate::domain::exit::{ExitReason, ExitRules};
use crate::domain::failure::TradeFailure;
use crate::domain::intent::{IdempotencyKey, IntentOrigin, IntentState};
use crate::domain::money::{Bps, Lamports};
use crate::domain::position::{Fill, Side};
use crate::domain::risk::TradeMode;
use crate::domain::user::UserId;
use crate::ports::{PositionRecord, RepoError};

/// How much to trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeAmount {
    /// Spend this much SOL (buy).
    Sol(Lamports),
    /// Spend this share of the default wallet's spendable SOL (its balance above the user's
    /// reserve) as it stands when the buy runs, basis points (1..=10,000): `/buy <mint> 5%`.
    WalletShare(u32),
    /// Sell this percentage (1..=100) of the position as it stands when the sell runs.
    PercentOfPosition(u8),
    /// Sell exactly this many raw tokens (capped at the position; exits use this).
    Tokens(u64),
}

/// The call's price an alert buy is recorded against and may not run away from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceGuard {
    /// The call's price (SOL per UI token): its `Entry:` when in SOL, else the price at receipt.
    pub reference: Decimal,
    /// Largest allowed rise of the quote price over `reference`, basis points (`None`: the
    /// subscription's `max_drift` is off; the prices are still recorded).
    pub max_drift_bps: Option<u32>,
}

/// A request to trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeRequest {
    /// Whose trade.
    pub user: UserId,
    /// Token mint.
    pub mint: Pubkey,
    /// Buy or sell.
    pub side: Side,
    /// How much.
    pub amount: TradeAmount,
    /// The position a sell acts on. `None` = the user's open position in `mint` (live before
    /// paper). A sell never touches another position than the one named here.
    pub position_id: Option<i64>,
    /// Where it came from.
    pub origin: IntentOrigin,
    /// Idempotency key.
    pub key: IdempotencyKey,
    /// Alert id, for alert trades.
    pub alert_id: Option<String>,
    /// When the trigger was received (unix ms).
    pub received_at_ms: Option<i64>,
    /// Exit rules for a new position; `None` = the user's defaults at the time of the buy.
    pub exit_rules: Option<ExitRules>,
    /// Slippage override (exit retries escalate it); `None` = the user's setting.
    pub slippage: Option<Bps>,
    /// Entry source label.
    pub source: Option<String>,
    /// Alert buys: refuse when the quote ran more than this above the call.
    pub price_guard: Option<PriceGuard>,
    /// Continue the stored pending intent with this key (an alert buy resumed after a restart)
    /// instead of reporting it as a duplicate.
    pub resume: bool,
    /// Reads an alert's fan-out already made for everyone (market, wallet): with them the trade
    /// is CPU only until its send.
    pub prefetched: Option<Prefetched>,
    /// A source's overrides of the user's safety rules (alert buys); empty = the user's rules.
    pub safety_overrides: crate::domain::safety::SafetyOverrides,
    /// Why a sell is made (exits, panic): named in the fill notice.
    pub exit_reason: Option<ExitReason>,
}

/// What an alert's fan-out read once for all subscribers, plus this subscriber's wallet from
/// the fan-out's batched account read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefetched {
    /// The alert's market quote: every subscriber's size is requoted from its venue state.
    pub market: std::sync::Arc<crate::ports::Quote>,
    /// The mint's priority-fee estimate (micro-lamports per CU), read once.
    pub priority_fee: Option<u64>,
    /// The subscriber's default wallet as read in the batch (`None`: no wallet).
    pub wallet: Option<PrefetchedWallet>,
    /// The fan-out's one safety read of the mint (`None`: safety data unavailable).
    pub safety: Option<std::sync::Arc<crate::domain::safety::TokenSafety>>,
}

/// A subscriber's default wallet as the fan-out read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefetchedWallet {
    /// Wallet row id.
    pub id: i64,
    /// Address.
    pub owner: Pubkey,
    /// SOL balance.
    pub lamports: Lamports,
    /// The wallet's token account for the mint (`None`: it does not exist).
    pub token_account: Option<crate::ports::AccountData>,
}

impl TradeRequest {
    /// A manual buy of `sol` keyed by `key`.
    pub fn buy(user: UserId, mint: Pubkey, sol: Lamports, key: IdempotencyKey) -> Self {
        Self {
            user,
            mint,
            side: Side::Buy,
            amount: TradeAmount::Sol(sol),
            position_id: None,
            origin: IntentOrigin::Manual,
            key,
            alert_id: None,
            received_at_ms: None,
            exit_rules: None,
            slippage: None,
            source: Some("manual".to_owned()),
            price_guard: None,
            resume: false,
            prefetched: None,
            safety_overrides: crate::domain::safety::SafetyOverrides::default(),
            exit_reason: None,
        }
    }

    /// A manual sell of `amount` of position `position_id` (or of the open position in `mint`).
    pub fn sell(
        user: UserId,
        mint: Pubkey,
        position_id: Option<i64>,
        amount: TradeAmount,
        key: IdempotencyKey,
    ) -> Self {
        Self { side: Side::Sell, amount, position_id, source: None, ..Self::buy(user, mint, Lamports::ZERO, key) }
    }
}

/// How a trade request ended.
#[derive(Debug, Clone, PartialEq)]
pub enum TradeOutcome {
    /// The key was seen before; nothing new happened.
    Duplicate {
        /// The first intent.
        intent_id: i64,
        /// Its state.
        state: IntentState,
    },
    /// Refused before anything was signed (risk rule, no wallet, venue, bad amount).
    Refused {
        /// The intent, when one was stored.
        intent_id: Option<i64>,
        /// Why.
        reason: TradeFailure,
    },
    /// Filled (live or paper) and recorded.
    Filled {
        /// The intent.
        intent_id: i64,
        /// The position after the fill.
        position: Box<PositionRecord>,
        /// The fill.
        fill: Fill,
        /// Paper or live.
        mode: TradeMode,
        /// Signature of a live trade.
        signature: Option<String>,
        /// When the transaction was handed to the chain (live) or simulated (paper), unix ms.
        sent_at_ms: Option<i64>,
    },
    /// Landed and failed, or never landed.
    Failed {
        /// The intent.
        intent_id: i64,
        /// Why.
        reason: TradeFailure,
    },
    /// Sent; the outcome is not known yet (recovery settles it).
    Pending {
        /// The intent.
        intent_id: i64,
        /// Signature.
        signature: String,
        /// When the transaction was handed to the chain, unix ms.
        sent_at_ms: Option<i64>,
    },
}

impl TradeOutcome {
    /// The failure, for refused and failed outcomes.
    pub fn failure(&self) -> Option<&TradeFailure> {
        match self {
            Self::Refused { reason, .. } | Self::Failed { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

/// Failures of the trading machinery itself (not of the trade).
#[derive(Debug, thiserror::Error)]
pub enum TradeError {
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}
