//! Why a trade did not happen (or did not land): one typed value per reason, from the request
//! check to the chain. The trading core, the connector, the monitor and recovery produce these;
//! only the Telegram layer turns them into words (`reason.<code>` locale keys).

use super::risk::RiskRefusal;
use super::safety::SafetyRefusal;

/// Why a venue could not quote or plan a trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VenueFailure {
    /// The bonding curve completed (the coin migrated).
    CurveComplete,
    /// No venue has a route.
    NoRoute,
    /// The address is not a token mint.
    NotAMint,
    /// The amount cannot be traded (zero out, too small, too large).
    Amount,
    /// The venue rate-limited us.
    RateLimited,
    /// The venue or the chain could not be reached.
    Unavailable,
    /// The venue answered something we could not read.
    Decode,
}

/// Why a trade was refused, failed or did not land.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradeFailure {
    /// A risk rule refused the entry (or the exit, for the kill switch).
    Risk(RiskRefusal),
    /// A token-safety rule refused the entry (never an exit).
    Safety(SafetyRefusal),
    /// A venue could not quote or plan it.
    Venue(VenueFailure),
    /// The user has no wallet.
    NoWallet,
    /// Custody (the master key) is not configured.
    Custody,
    /// The key could not sign.
    Sign,
    /// The transaction could not be compiled.
    Build,
    /// The transaction broke the signing policy.
    Policy,
    /// The on-chain slippage bound tripped.
    Slippage,
    /// Not enough SOL or tokens on chain.
    InsufficientFunds,
    /// An account the transaction needs does not exist.
    AccountNotFound,
    /// The blockhash expired before the transaction landed.
    Expired,
    /// It landed and failed for another reason.
    OnChain,
    /// The network (RPC) did not answer within the retry budget: nothing was sent.
    NetworkUnavailable,
    /// The transaction could not be handed to the network.
    NotSent,
    /// Nothing to sell: no open position in this mint (or under this number).
    NoPosition,
    /// The position named by the button or command is already closed.
    PositionClosed,
    /// Another sell of this position is still in flight; its result comes first.
    SellInFlight,
    /// The same buy was just requested (double tap).
    AlreadyBuying,
    /// The amount is zero, negative or out of range.
    Amount,
    /// The intent moved on concurrently.
    State,
    /// The fill does not fit the position.
    Position,
    /// The bot restarted before the trade was signed.
    Interrupted,
    /// Stored data could not be read.
    Corrupt,
    /// A duplicate of an earlier request.
    Duplicate,
    /// An exit keeps failing (retried automatically).
    ExitFailing,
    /// A live position cannot be sold while the bot runs in global dry-run.
    LivePositionDryRun,
    /// The alert is older than the subscription's `max_age`.
    Stale,
    /// The price ran more than `max_drift` above the call.
    Drift,
    /// The remainder is too small for any venue to buy back; closed as dust.
    Dust,
    /// The wallet no longer holds the position's tokens (moved or sold outside the bot).
    TokensGone,
}

impl TradeFailure {
    /// Every code without a payload, for locale completeness tests (risk codes come from the
    /// risk rules).
    pub const CODES: [&'static str; 38] = [
        "venue.curve_complete",
        "venue.no_route",
        "venue.not_a_mint",
        "venue.amount",
        "venue.rate_limited",
        "venue.unavailable",
        "venue.decode",
        "wallet.none",
        "wallet.custody",
        "wallet.sign",
        "tx.build",
        "tx.policy",
        "tx.slippage",
        "tx.insufficient_funds",
        "tx.account_not_found",
        "tx.expired",
        "tx.failed",
        "chain.unavailable",
        "chain.not_sent",
        "trade.no_position",
        "trade.position_closed",
        "trade.sell_in_flight",
        "trade.already_buying",
        "trade.amount",
        "trade.state",
        "trade.position",
        "trade.interrupted",
        "trade.corrupt",
        "trade.duplicate",
        "trade.exit_failing",
        "trade.live_position_dry_run",
        "alert.stale",
        "alert.drift",
        "trade.dust",
        "trade.tokens_gone",
        "risk.execution_breaker",
        "risk.kill_switch",
        "risk.balance",
    ];

    /// The localizable code (`reason.<code>` in `locales/`).
    pub fn code(&self) -> String {
        match self {
            Self::Risk(r) => format!("risk.{}", r.rule()),
            Self::Safety(r) => format!("safety.{}", r.rule()),
            other => other.static_code().unwrap_or("trade.failed").to_owned(),
        }
    }

    fn static_code(&self) -> Option<&'static str> {
        Some(match self {
            Self::Risk(_) | Self::Safety(_) => return None,
            Self::Venue(v) => match v {
                VenueFailure::CurveComplete => "venue.curve_complete",
                VenueFailure::NoRoute => "venue.no_route",
                VenueFailure::NotAMint => "venue.not_a_mint",
                VenueFailure::Amount => "venue.amount",
                VenueFailure::RateLimited => "venue.rate_limited",
                VenueFailure::Unavailable => "venue.unavailable",
                VenueFailure::Decode => "venue.decode",
            },
            Self::NoWallet => "wallet.none",
            Self::Custody => "wallet.custody",
            Self::Sign => "wallet.sign",
            Self::Build => "tx.build",
            Self::Policy => "tx.policy",
            Self::Slippage => "tx.slippage",
            Self::InsufficientFunds => "tx.insufficient_funds",
            Self::AccountNotFound => "tx.account_not_found",
            Self::Expired => "tx.expired",
            Self::OnChain => "tx.failed",
            Self::NetworkUnavailable => "chain.unavailable",
            Self::NotSent => "chain.not_sent",
            Self::NoPosition => "trade.no_position",
            Self::PositionClosed => "trade.position_closed",
            Self::SellInFlight => "trade.sell_in_flight",
            Self::AlreadyBuying => "trade.already_buying",
            Self::Amount => "trade.amount",
            Self::State => "trade.state",
            Self::Position => "trade.position",
            Self::Interrupted => "trade.interrupted",
            Self::Corrupt => "trade.corrupt",
            Self::Duplicate => "trade.duplicate",
            Self::ExitFailing => "trade.exit_failing",
            Self::LivePositionDryRun => "trade.live_position_dry_run",
            Self::Stale => "alert.stale",
            Self::Drift => "alert.drift",
            Self::Dust => "trade.dust",
            Self::TokensGone => "trade.tokens_gone",
        })
    }

    /// Reads back a stored code (intents keep their failure as text). Risk refusals are stored
    /// with their rule only, so they read back as the rule's plain variant where one exists.
    pub fn from_code(code: &str) -> Option<Self> {
        if let Some(rule) = code.strip_prefix("safety.") {
            return SafetyRefusal::from_rule(rule).map(Self::Safety);
        }
        let all = [
            Self::Venue(VenueFailure::CurveComplete),
            Self::Venue(VenueFailure::NoRoute),
            Self::Venue(VenueFailure::NotAMint),
            Self::Venue(VenueFailure::Amount),
            Self::Venue(VenueFailure::RateLimited),
            Self::Venue(VenueFailure::Unavailable),
            Self::Venue(VenueFailure::Decode),
            Self::NoWallet,
            Self::Custody,
            Self::Sign,
            Self::Build,
            Self::Policy,
            Self::Slippage,
            Self::InsufficientFunds,
            Self::AccountNotFound,
            Self::Expired,
            Self::OnChain,
            Self::NetworkUnavailable,
            Self::NotSent,
            Self::NoPosition,
            Self::PositionClosed,
            Self::SellInFlight,
            Self::AlreadyBuying,
            Self::Amount,
            Self::State,
            Self::Position,
            Self::Interrupted,
            Self::Corrupt,
            Self::Duplicate,
            Self::ExitFailing,
            Self::LivePositionDryRun,
            Self::Stale,
            Self::Drift,
            Self::Dust,
            Self::TokensGone,
        ];
        all.into_iter().find(|f| f.static_code() == Some(code))
    }

    /// Whether this failure spent nothing but may succeed on a retry with the same inputs
    /// (network trouble, rate limits), as opposed to a decision or an on-chain failure.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::NetworkUnavailable
                | Self::NotSent
                | Self::Venue(VenueFailure::Unavailable | VenueFailure::RateLimited)
        )
    }

    /// Whether the failure counts against the execution breaker (a send that did not work).
    pub fn trips_breaker(&self) -> bool {
        matches!(self, Self::NotSent | Self::OnChain | Self::Expired | Self::AccountNotFound)
    }
}

impl std::fmt::Display for TradeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plain_code_reads_back_to_itself() {
        for code in TradeFailure::CODES.iter().filter(|c| !c.starts_with("risk.")) {
            let f = TradeFailure::from_code(code).unwrap_or_else(|| panic!("{code} does not read back"));
            assert_eq!(f.code(), *code);
        }
    }

    #[test]
    fn risk_refusals_render_their_rule() {
        assert_eq!(TradeFailure::Risk(RiskRefusal::KillSwitch).code(), "risk.kill_switch");
        assert_eq!(TradeFailure::Risk(RiskRefusal::ExecutionBreaker { failures: 5 }).code(), "risk.execution_breaker");
    }

    #[test]
    fn unknown_codes_do_not_read_back() {
        assert_eq!(TradeFailure::from_code("risk.kill_switch"), None);
        assert_eq!(TradeFailure::from_code("nope"), None);
    }
}
