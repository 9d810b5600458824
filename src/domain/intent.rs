//! Trade intents: what the bot decided to do, persisted before anything is sent.
//!
//! An intent is keyed by an idempotency key, so a repeated alert, a retried command or a
//! re-evaluated exit rule can never create a second trade. Its state only moves forward along
//! `pending → signed → sent → confirmed | failed | expired | unknown` (and `unknown` resolves to
//! a final state once the chain answers).

use super::position::Side;
use super::user::UserId;

/// Lifecycle of an intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntentState {
    /// Persisted; nothing signed yet.
    Pending,
    /// Signed bytes and their `last_valid_block_height` stored; not known to be sent.
    Signed,
    /// Sent at least once; waiting for confirmation.
    Sent,
    /// Landed and succeeded.
    Confirmed,
    /// Refused before sending, or landed and failed.
    Failed,
    /// The blockhash expired and a history search found nothing: it never landed.
    Expired,
    /// Sent, but the outcome could not be established yet (never reported as a failure).
    Unknown,
}

impl IntentState {
    /// Storage code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Signed => "signed",
            Self::Sent => "sent",
            Self::Confirmed => "confirmed",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::Unknown => "unknown",
        }
    }

    /// Parses a storage code.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Pending, Self::Signed, Self::Sent, Self::Confirmed, Self::Failed, Self::Expired, Self::Unknown]
            .into_iter()
            .find(|s| s.code() == code)
    }

    /// Whether the intent still needs work (recovery looks at these at start).
    pub fn is_unfinished(self) -> bool {
        matches!(self, Self::Pending | Self::Signed | Self::Sent | Self::Unknown)
    }

    /// Whether `self → next` is a legal move.
    pub fn can_move_to(self, next: Self) -> bool {
        use IntentState::{Confirmed, Expired, Failed, Pending, Sent, Signed, Unknown};
        matches!(
            (self, next),
            (Pending, Signed | Failed | Confirmed)
                | (Signed, Sent | Unknown | Failed | Expired | Confirmed)
                | (Sent, Confirmed | Failed | Expired | Unknown)
                | (Unknown, Confirmed | Failed | Expired | Sent)
        )
    }
}

/// Where an intent came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntentOrigin {
    /// `/buy`, `/sell`, token card buttons, `/positions close`.
    Manual,
    /// An alert source post.
    Alert,
    /// The position monitor's exit rules.
    Exit,
    /// A wallet withdrawal.
    Withdraw,
}

impl IntentOrigin {
    /// Storage code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Alert => "alert",
            Self::Exit => "exit",
            Self::Withdraw => "withdraw",
        }
    }

    /// Parses a storage code.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Manual, Self::Alert, Self::Exit, Self::Withdraw].into_iter().find(|o| o.code() == code)
    }
}

/// An idempotency key. Build it with the constructors so keys from different origins never
/// collide.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// One trade per user per alert.
    pub fn alert(user: UserId, alert_id: &str) -> Self {
        Self(format!("u{}:alert:{alert_id}", user.0))
    }

    /// One trade per command message (or button press id) of a user.
    pub fn command(user: UserId, chat_id: i64, message_id: i64) -> Self {
        Self(format!("u{}:msg:{chat_id}:{message_id}", user.0))
    }

    /// One exit per position, rule and step.
    pub fn exit(position_id: i64, rule: &str, step: u32) -> Self {
        Self(format!("p{position_id}:exit:{rule}:{step}"))
    }

    /// One `/panic` sell per position and attempt.
    pub fn panic(position_id: i64, attempt: u32) -> Self {
        Self(format!("p{position_id}:panic#{attempt}"))
    }

    /// One trade per resting order fill (`order:<id>:<fill#>`); retries of a failed fill add
    /// `#<attempt>`.
    pub fn order(order_id: i64, fill: u32, attempt: u32) -> Self {
        match attempt {
            0 => Self(format!("order:{order_id}:{fill}")),
            n => Self(format!("order:{order_id}:{fill}#{n}")),
        }
    }

    /// Wraps a key read back from storage.
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    /// The key text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new intent, before it has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIntent {
    /// Idempotency key.
    pub key: IdempotencyKey,
    /// Whose trade.
    pub user: UserId,
    /// Which wallet signs it (`None` for paper trades of users without a wallet).
    pub wallet_id: Option<i64>,
    /// Buy or sell.
    pub side: Side,
    /// Token mint (base58).
    pub mint: String,
    /// Origin.
    pub origin: IntentOrigin,
    /// Alert id for alert trades.
    pub alert_id: Option<String>,
    /// Position for sells.
    pub position_id: Option<i64>,
    /// Lamports (buy) or raw tokens (sell).
    pub amount_in: u64,
    /// Paper trade.
    pub dry_run: bool,
    /// When the triggering event was received (unix ms), for latency metrics.
    pub received_at_ms: Option<i64>,
}

/// A stored intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    /// Row id.
    pub id: i64,
    /// What was requested.
    pub new: NewIntent,
    /// Where it stands.
    pub state: IntentState,
    /// Venue used.
    pub venue: Option<String>,
    /// Minimum accepted output.
    pub min_amount_out: Option<u64>,
    /// The exact signed bytes (only these are ever re-sent).
    pub signed_tx: Option<Vec<u8>>,
    /// Transaction signature (base58).
    pub signature: Option<String>,
    /// Blockhash validity limit of `signed_tx`.
    pub last_valid_block_height: Option<u64>,
    /// Failure reason code, if any.
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_only_move_forward() {
        use IntentState::*;
        assert!(Pending.can_move_to(Signed));
        assert!(Signed.can_move_to(Sent));
        assert!(Sent.can_move_to(Unknown));
        assert!(Unknown.can_move_to(Confirmed));
        for done in [Confirmed, Failed, Expired] {
            for next in [Pending, Signed, Sent, Confirmed, Failed, Expired, Unknown] {
                assert!(!done.can_move_to(next), "{done:?} -> {next:?}");
            }
            assert!(!done.is_unfinished());
        }
        assert!(!Sent.can_move_to(Pending) && !Sent.can_move_to(Signed));
        for s in [Pending, Signed, Sent, Confirmed, Failed, Expired, Unknown] {
            assert_eq!(IntentState::from_code(s.code()), Some(s));
        }
    }

    #[test]
    fn keys_from_different_origins_never_collide() {
        let u = UserId(7);
        let a = IdempotencyKey::alert(u, "123:45");
        let c = IdempotencyKey::command(u, 123, 45);
        let e = IdempotencyKey::exit(7, "tp", 1);
        assert_ne!(a, c);
        assert_ne!(a.as_str(), e.as_str());
        assert_eq!(IdempotencyKey::alert(u, "x"), IdempotencyKey::alert(u, "x"));
    }
}
