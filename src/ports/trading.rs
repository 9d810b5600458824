//! Ports the trading core needs besides storage and the chain: signing, bot-wide controls and
//! user notifications.

use async_trait::async_trait;
use solana_message::VersionedMessage;
use solana_pubkey::Pubkey;
use solana_transaction::versioned::VersionedTransaction;

use super::RepoError;
use rust_decimal::Decimal;

use crate::domain::exit::ExitReason;
use crate::domain::failure::TradeFailure;
use crate::domain::intent::IntentOrigin;
use crate::domain::money::{Lamports, TokenAmount};
use crate::domain::position::Side;
use crate::domain::risk::KillSwitch;
use crate::domain::user::UserId;

/// Why signing failed. Never carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignerError {
    /// Custody is not configured (no master key).
    #[error("wallet custody is not configured")]
    NotConfigured,
    /// The wallet does not exist or belongs to someone else.
    #[error("wallet not found")]
    NoWallet,
    /// Decryption or signing failed.
    #[error("signing failed")]
    Failed,
    /// Storage failed.
    #[error("storage: {0}")]
    Repo(String),
}

impl From<RepoError> for SignerError {
    fn from(e: RepoError) -> Self {
        Self::Repo(e.to_string())
    }
}

/// Signs transactions with custodial wallets; keys are decrypted only inside `sign`.
#[async_trait]
pub trait TxSigner: Send + Sync {
    /// The user's default wallet: (wallet id, address).
    async fn default_wallet(&self, user: UserId) -> Result<Option<(i64, Pubkey)>, SignerError>;
    /// The default wallets of many users (an alert's fan-out): (wallet id, address) per user
    /// that has one.
    async fn default_wallets(
        &self,
        users: &[UserId],
    ) -> Result<std::collections::HashMap<UserId, (i64, Pubkey)>, SignerError> {
        let mut out = std::collections::HashMap::with_capacity(users.len());
        for user in users {
            if let Some(w) = self.default_wallet(*user).await? {
                out.insert(*user, w);
            }
        }
        Ok(out)
    }
    /// Signs `message` with the wallet's key, which must be the message's only signer.
    async fn sign(
        &self,
        user: UserId,
        wallet_id: i64,
        message: VersionedMessage,
    ) -> Result<VersionedTransaction, SignerError>;
}

/// Bot-wide and per-user trading controls set by admins.
#[async_trait]
pub trait Controls: Send + Sync {
    /// The kill switch.
    async fn kill_switch(&self) -> Result<KillSwitch, RepoError>;
    /// Whether an admin paused this user.
    async fn is_paused(&self, user: UserId) -> Result<bool, RepoError>;
}

/// A trade event the user is told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradeNotice {
    /// A fill (real or paper).
    Filled {
        /// Buy or sell.
        side: Side,
        /// Mint.
        mint: String,
        /// SOL spent or received (excluding fees).
        sol: Lamports,
        /// Tokens bought or sold.
        tokens: TokenAmount,
        /// Price, SOL per UI token (fees included), when it can be computed.
        price: Option<Decimal>,
        /// All fees.
        fees: Lamports,
        /// Realized PnL of a sell.
        pnl: Option<i64>,
        /// Paper trade.
        paper: bool,
        /// Signature (live trades).
        signature: Option<String>,
        /// Position id.
        position_id: i64,
        /// The rule that made this sell (exits, panic); `None` for manual trades and buys.
        exit: Option<ExitReason>,
        /// A buy made without safety data (the read failed; `normal` rules let it through).
        safety_unchecked: bool,
    },
    /// Refused before sending (risk rule, venue, wallet) — nothing was spent.
    Refused {
        /// Mint.
        mint: String,
        /// Why.
        reason: TradeFailure,
    },
    /// Landed and failed, or never landed.
    Failed {
        /// Mint.
        mint: String,
        /// Why.
        reason: TradeFailure,
        /// Signature, if one was sent.
        signature: Option<String>,
    },
    /// A position was closed or shrunk without a sale: the rest is dust no venue can buy, or the
    /// wallet no longer holds the tokens (moved or sold outside the bot).
    PositionAdjusted {
        /// Mint.
        mint: String,
        /// Position id.
        position_id: i64,
        /// `Dust` or `TokensGone`.
        reason: TradeFailure,
        /// Tokens the position held.
        before: TokenAmount,
        /// Tokens it holds now (zero = closed).
        after: TokenAmount,
    },
    /// Admins: the execution breaker opened (new entries refused) or closed again.
    ExecutionBreaker {
        /// Open (tripped) or closed (reset).
        open: bool,
        /// Consecutive failures that tripped it.
        failures: u32,
        /// When a probe may go (unix ms), while open.
        until_ms: i64,
    },
    /// The bot is stopping while this trade is still in flight: it is still being confirmed
    /// and its final result is reported after the restart (start-up recovery).
    StillConfirmingAtShutdown {
        /// Mint.
        mint: String,
        /// Signature, when it was signed.
        signature: Option<String>,
    },
    /// Copy trading: a leader's trade was copied or skipped (names the leader and its
    /// transaction).
    Copy(Box<CopyNotice>),
    /// Sent but not confirmed yet; the final result follows.
    Pending {
        /// Mint.
        mint: String,
        /// Signature.
        signature: String,
    },
    /// An alert was not traded for this user because of one of their subscription rules.
    AlertSkipped {
        /// Mint.
        mint: String,
        /// Source name.
        source: String,
        /// Localizable code: `rule.<code>` or a trading reason code (`venue.no_route`).
        reason: String,
        /// The limit that applied, for display (may be empty).
        limit: String,
    },
    /// Confirm mode: a buy card with buttons instead of a buy.
    AlertConfirm {
        /// Mint.
        mint: String,
        /// Source name.
        source: String,
        /// Buy size.
        sol: Lamports,
        /// Stored alert row id (the buttons carry it).
        alert_id: i64,
        /// The token's safety facts, as the fan-out read them (`None`: unavailable).
        safety: Option<std::sync::Arc<crate::domain::safety::TokenSafety>>,
    },
    /// A resting order ended before all its fills: it expired, or it could not fill.
    OrderEnded {
        /// The order (`#7`).
        order_id: i64,
        /// Mint.
        mint: String,
        /// Why it ended (`None`: it expired).
        reason: Option<TradeFailure>,
    },
}

/// Tells users about their trades (Telegram behind it, through a paced queue).
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Queues a notice; never blocks trading on Telegram.
    async fn notify(&self, user: UserId, notice: TradeNotice);

    /// A trade passed the risk checks and is being executed (the "⏳" of a manual trade). Called
    /// after the intent is stored, so a lost acknowledgement never loses the trade; a refusal
    /// is never preceded by it. Not durable: the fill or failure notice that follows is.
    async fn accepted(&self, _user: UserId, _origin: IntentOrigin, _side: Side, _mint: &Pubkey) {}
}

/// What a follower hears about a leader's trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyNotice {
    /// The follower's name for the leader.
    pub leader_name: String,
    /// The leader's transaction signature.
    pub signature: String,
    /// Mint.
    pub mint: String,
    /// The leader bought (else sold).
    pub buy: bool,
    /// SOL the leader spent or received.
    pub leader_sol: Lamports,
    /// Share of its holding the leader sold (sells), basis points.
    pub sold_bps: u32,
    /// `None`: copied (its fill notice follows or preceded); `Some`: why not.
    pub skipped: Option<crate::domain::copy::CopySkip>,
}
