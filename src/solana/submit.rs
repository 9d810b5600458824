//! Send-and-confirm for signed transactions (trades, withdrawals): optional simulation, send,
//! poll `getSignatureStatuses`, rebroadcast the SAME bytes while waiting, and settle on one of
//! the [`SubmitOutcome`]s.
//!
//! Talks to the chain only through the `ChainClient` port. Never signs and never re-signs: it
//! only ever sends the bytes it was given, so a rebroadcast can never double-spend. `Expired`
//! is the only outcome after which re-signing is safe; a send that timed out and could not be
//! settled is `Unknown`, never a failure. The decision logic is the synchronous [`decide`];
//! [`submit`] is a thin loop around it.

use std::time::{Duration, Instant};

use serde_json::Value;
use solana_pubkey::Pubkey;
use solana_signature::Signature;
use solana_transaction::versioned::VersionedTransaction;

use crate::ports::chain::{ChainClient, ChainError, SignatureState, SignatureStatus};
use crate::solana::errors::{TxFailure, instruction_programs};

/// How to submit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubmitOptions {
    /// Simulate before sending; a failing simulation sends nothing. Also skips the node's own
    /// preflight on the first send (it would repeat the simulation).
    pub simulate_first: bool,
    /// Skip the node's preflight on the first send even without `simulate_first` (rebroadcasts
    /// and Sender sends always skip it).
    pub skip_preflight: bool,
    /// Send through the Helius Sender (the transaction must carry a tip); falls back to the RPC
    /// with the same bytes when the Sender refuses or cannot be reached.
    pub use_sender: bool,
    /// Sandwich protection: the bytes go through the Sender only (staked connections and the
    /// Jito auction; the tip should carry the `jitodontfront` marker, see `Tip::protected`),
    /// never to the RPC's public `sendTransaction`. A Sender refusal is final (`NotSent`).
    pub protected: bool,
    /// Status poll period (~400 ms).
    pub poll_every: Duration,
    /// Rebroadcast period for the same bytes while nothing is seen (~2 s).
    pub rebroadcast_every: Duration,
    /// With no answer that settles the outcome after this long, give up with `Unknown`.
    pub give_up_after: Duration,
}

impl Default for SubmitOptions {
    fn default() -> Self {
        Self {
            simulate_first: true,
            skip_preflight: false,
            use_sender: false,
            protected: false,
            poll_every: Duration::from_millis(400),
            rebroadcast_every: Duration::from_secs(2),
            give_up_after: Duration::from_secs(120),
        }
    }
}

/// Which way the bytes of a trade go out (the label of the landing metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendPath {
    /// Sandwich-protected: the Helius Sender only, tip with the `jitodontfront` marker.
    Protected,
    /// The Helius Sender, falling back to the RPC with the same bytes.
    Sender,
    /// The RPC's `sendTransaction`.
    Rpc,
}

impl SendPath {
    /// Every path, in display order.
    pub const ALL: [Self; 3] = [Self::Protected, Self::Sender, Self::Rpc];

    /// The path `submit` takes for `tx` with `options` (a transaction carrying the marker is
    /// always protected).
    pub fn of(tx: &VersionedTransaction, options: &SubmitOptions) -> Self {
        if options.protected || carries_dont_front(tx) {
            Self::Protected
        } else if options.use_sender {
            Self::Sender
        } else {
            Self::Rpc
        }
    }

    /// The metrics label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Protected => "protected",
            Self::Sender => "sender",
            Self::Rpc => "rpc",
        }
    }
}

/// True when the transaction references the `jitodontfront` marker: it was built for a
/// protected send and must never reach the public `sendTransaction` path.
pub fn carries_dont_front(tx: &VersionedTransaction) -> bool {
    tx.message.static_account_keys().contains(&crate::solana::tip::JITO_DONT_FRONT)
}

/// How a submission ended.
#[derive(Debug, Clone, PartialEq)]
pub enum SubmitOutcome {
    /// Simulation failed; nothing was sent.
    SimulationFailed {
        /// Raw `err` JSON.
        err: Value,
        /// Decoded failure.
        failure: TxFailure,
        /// Program logs of the simulation.
        logs: Vec<String>,
    },
    /// Nothing was broadcast: the simulation call failed, or the node refused the bytes with a
    /// JSON-RPC error (preflight, signature, malformed) before any ambiguous attempt.
    NotSent {
        /// The transaction's signature.
        signature: Signature,
        /// Why.
        error: ChainError,
    },
    /// Landed and succeeded (confirmed or finalized).
    Confirmed {
        /// The transaction's signature.
        signature: Signature,
        /// Slot it landed in.
        slot: u64,
    },
    /// Landed and failed (the fee was paid).
    Failed {
        /// The transaction's signature.
        signature: Signature,
        /// Slot it landed in.
        slot: u64,
        /// Raw `err` JSON.
        err: Value,
        /// Decoded failure.
        failure: TxFailure,
    },
    /// The blockhash expired (finalized block height passed `lastValidBlockHeight`) and a
    /// history search found nothing: it can never land; re-signing is safe.
    Expired {
        /// The transaction's signature.
        signature: Signature,
    },
    /// Could not be settled (the chain could not be asked). It may still land: reconcile by
    /// signature later; never report this as a failure and never re-sign on it.
    Unknown {
        /// The transaction's signature.
        signature: Signature,
    },
}

/// What the last status lookup said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusSeen {
    /// The node knows the signature.
    Landed(SignatureStatus),
    /// The node answered `null`.
    NotFound,
    /// The lookup failed.
    Unreachable,
}

/// Everything [`decide`] looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// Latest status lookup.
    pub status: StatusSeen,
    /// Whether that lookup searched the full history (`searchTransactionHistory`).
    pub history_searched: bool,
    /// Finalized block height (read before any history search), if known.
    pub block_height: Option<u64>,
    /// Time since the bytes were last broadcast.
    pub since_broadcast: Duration,
    /// Time since the first send.
    pub since_start: Duration,
}

/// Fixed inputs of [`decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The blockhash's last valid block height.
    pub last_valid_block_height: u64,
    /// Rebroadcast period.
    pub rebroadcast_every: Duration,
    /// Give-up horizon (→ `Unknown`).
    pub give_up_after: Duration,
}

/// What the loop does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// Stop with this outcome.
    Finish(SubmitOutcome),
    /// Expiry is possible: look the signature up with `searchTransactionHistory = true`.
    SearchHistory,
    /// Send the same bytes again, then keep polling.
    Rebroadcast,
    /// Keep polling.
    Wait,
}

/// The submit state machine's decision for one observation. `programs` are the transaction's
/// top-level instruction programs (for failure decoding).
pub fn decide(signature: Signature, obs: &Observation, limits: &Limits, programs: &[Pubkey]) -> Next {
    if let StatusSeen::Landed(st) = &obs.status
        && st.state >= SignatureState::Confirmed
    {
        return Next::Finish(match &st.err {
            None => SubmitOutcome::Confirmed { signature, slot: st.slot },
            Some(err) => SubmitOutcome::Failed {
                signature,
                slot: st.slot,
                err: err.clone(),
                failure: TxFailure::from_json(err, programs),
            },
        });
    }
    let past_expiry = obs.block_height.is_some_and(|h| h > limits.last_valid_block_height);
    if past_expiry && obs.status == StatusSeen::NotFound {
        return match obs.history_searched {
            true => Next::Finish(SubmitOutcome::Expired { signature }),
            false => Next::SearchHistory,
        };
    }
    if obs.since_start >= limits.give_up_after {
        return Next::Finish(SubmitOutcome::Unknown { signature });
    }
    let seen = matches!(obs.status, StatusSeen::Landed(_));
    if !seen && !past_expiry && obs.since_broadcast >= limits.rebroadcast_every {
        return Next::Rebroadcast;
    }
    Next::Wait
}

/// Submits `tx` (signed with a blockhash valid through `last_valid_block_height`) and waits
/// until the outcome is settled. See [`SubmitOutcome`] for what each ending means.
#[tracing::instrument(skip_all, fields(signature))]
pub async fn submit(
    chain: &dyn ChainClient,
    tx: &VersionedTransaction,
    last_valid_block_height: u64,
    options: &SubmitOptions,
) -> SubmitOutcome {
    let Some(signature) = tx.signatures.first().copied() else {
        let error = ChainError::Decode("unsigned transaction".to_owned());
        return SubmitOutcome::NotSent { signature: Signature::default(), error };
    };
    tracing::Span::current().record("signature", tracing::field::display(signature));
    // Bytes built for a protected send stay protected, whoever submits them (a rebroadcast
    // after a restart included).
    let protected = SubmitOptions { protected: options.protected || carries_dont_front(tx), ..*options };
    let options = &protected;
    let programs = instruction_programs(&tx.message);
    if options.simulate_first {
        match chain.simulate(tx, &[]).await {
            Ok(report) => {
                if let Some(err) = report.err {
                    let failure = TxFailure::from_json(&err, &programs);
                    return SubmitOutcome::SimulationFailed { err, failure, logs: report.logs };
                }
            }
            Err(error) => return SubmitOutcome::NotSent { signature, error },
        }
    }
    let start = Instant::now();
    let skip_preflight = options.simulate_first || options.skip_preflight;
    if let Broadcast::Refused(error) = broadcast(chain, tx, options, skip_preflight).await {
        // A refusal is final only if these bytes have not landed already (e.g. "already
        // processed"): a history lookup settles it; if it cannot, keep polling.
        if status_of(chain, signature, true).await == StatusSeen::NotFound {
            return SubmitOutcome::NotSent { signature, error };
        }
    }
    crate::failpoint::hit("after_send");
    let mut last_broadcast = Instant::now();
    let limits = Limits {
        last_valid_block_height,
        rebroadcast_every: options.rebroadcast_every,
        give_up_after: options.give_up_after,
    };
    loop {
        tokio::time::sleep(options.poll_every).await;
        let mut obs = observe(chain, signature).await;
        obs.since_broadcast = last_broadcast.elapsed();
        obs.since_start = start.elapsed();
        let mut next = decide(signature, &obs, &limits, &programs);
        if next == Next::SearchHistory {
            obs.status = status_of(chain, signature, true).await;
            obs.history_searched = obs.status != StatusSeen::Unreachable;
            next = decide(signature, &obs, &limits, &programs);
        }
        match next {
            Next::Finish(outcome) => {
                tracing::info!(?outcome, "submit settled");
                return outcome;
            }
            Next::Rebroadcast => {
                let _ = broadcast(chain, tx, options, true).await;
                last_broadcast = Instant::now();
            }
            Next::Wait | Next::SearchHistory => {}
        }
    }
}

/// Reads the status, and the finalized block height only when the signature is not seen.
/// `Expired` additionally needs a history search, which always runs *after* this height read,
/// so it covers every block that could have held the transaction.
async fn observe(chain: &dyn ChainClient, signature: Signature) -> Observation {
    let status = status_of(chain, signature, false).await;
    let block_height = match status {
        StatusSeen::Landed(_) => None,
        StatusSeen::NotFound | StatusSeen::Unreachable => chain.block_height().await.ok(),
    };
    Observation {
        status,
        history_searched: false,
        block_height,
        since_broadcast: Duration::ZERO,
        since_start: Duration::ZERO,
    }
}

async fn status_of(chain: &dyn ChainClient, signature: Signature, search_history: bool) -> StatusSeen {
    match chain.signature_statuses(&[signature], search_history).await {
        Ok(list) => match list.into_iter().next().flatten() {
            Some(st) => StatusSeen::Landed(st),
            None => StatusSeen::NotFound,
        },
        Err(e) => {
            tracing::warn!(error.message = %e, "signature status lookup failed");
            StatusSeen::Unreachable
        }
    }
}

enum Broadcast {
    Accepted,
    Unknown,
    Refused(ChainError),
}

/// Sends the bytes (Sender first when asked, then the RPC with the same bytes; the Sender only
/// when protected).
async fn broadcast(
    chain: &dyn ChainClient,
    tx: &VersionedTransaction,
    options: &SubmitOptions,
    skip_preflight: bool,
) -> Broadcast {
    if options.protected {
        return match chain.send_via_sender(tx).await {
            Ok(_) => Broadcast::Accepted,
            // Refused, or never sent (no Sender configured, every breaker open): nothing is out.
            Err(e @ (ChainError::Rpc { .. } | ChainError::Unavailable(_))) => Broadcast::Refused(e),
            Err(e) => {
                tracing::warn!(error.message = %e, "protected send unsettled; polling for the signature");
                Broadcast::Unknown
            }
        };
    }
    let mut maybe_out = false;
    if options.use_sender {
        match chain.send_via_sender(tx).await {
            Ok(_) => return Broadcast::Accepted,
            Err(ChainError::Rpc { code, .. }) => tracing::warn!(code, "sender refused; falling back to RPC"),
            Err(e) => {
                tracing::warn!(error.message = %e, "sender send unsettled; also sending via RPC");
                maybe_out = true;
            }
        }
    }
    match chain.send(tx, skip_preflight || options.use_sender).await {
        Ok(_) => Broadcast::Accepted,
        Err(e @ ChainError::Rpc { .. }) if !maybe_out => Broadcast::Refused(e),
        Err(e) => {
            tracing::warn!(error.message = %e, "send unsettled; polling for the signature");
            Broadcast::Unknown
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    const LVBH: u64 = 1_000;

    fn limits() -> Limits {
        Limits {
            last_valid_block_height: LVBH,
            rebroadcast_every: Duration::from_secs(2),
            give_up_after: Duration::from_secs(120),
        }
    }

    fn obs(status: StatusSeen, height: Option<u64>) -> Observation {
        Observation {
            status,
            history_searched: false,
            block_height: height,
            since_broadcast: Duration::from_millis(400),
            since_start: Duration::from_secs(1),
        }
    }

    fn landed(state: SignatureState, err: Option<Value>) -> StatusSeen {
        StatusSeen::Landed(SignatureStatus { slot: 77, state, err })
    }

    fn sig() -> Signature {
        Signature::from([7u8; 64])
    }

    #[test]
    fn confirmed_or_finalized_success_finishes_confirmed() {
        for state in [SignatureState::Confirmed, SignatureState::Finalized] {
            let next = decide(sig(), &obs(landed(state, None), None), &limits(), &[]);
            assert_eq!(next, Next::Finish(SubmitOutcome::Confirmed { signature: sig(), slot: 77 }));
        }
    }

    #[test]
    fn landed_with_err_finishes_failed_with_decoded_failure() {
        let err = json!({"InstructionError": [1, {"Custom": 1}]});
        let programs = [crate::solana::ids::COMPUTE_BUDGET_PROGRAM, crate::solana::ids::SYSTEM_PROGRAM];
        let next =
            decide(sig(), &obs(landed(SignatureState::Confirmed, Some(err.clone())), None), &limits(), &programs);
        let Next::Finish(SubmitOutcome::Failed { slot, err: got, failure, .. }) = next else { panic!("{next:?}") };
        assert_eq!((slot, got), (77, err));
        assert_eq!(failure, TxFailure::from_json(&json!({"InstructionError": [1, {"Custom": 1}]}), &programs));
    }

    #[test]
    fn processed_is_not_final_even_with_an_error() {
        let st = landed(SignatureState::Processed, Some(json!("AccountInUse")));
        assert_eq!(decide(sig(), &obs(st, Some(LVBH + 5)), &limits(), &[]), Next::Wait);
    }

    #[test]
    fn expiry_needs_a_height_past_lvbh_and_an_empty_history_search() {
        assert_eq!(decide(sig(), &obs(StatusSeen::NotFound, Some(LVBH)), &limits(), &[]), Next::Wait);
        assert_eq!(decide(sig(), &obs(StatusSeen::NotFound, Some(LVBH + 1)), &limits(), &[]), Next::SearchHistory);
        let mut searched = obs(StatusSeen::NotFound, Some(LVBH + 1));
        searched.history_searched = true;
        assert_eq!(decide(sig(), &searched, &limits(), &[]), Next::Finish(SubmitOutcome::Expired { signature: sig() }));
        // the history search found it after all
        searched.status = landed(SignatureState::Finalized, None);
        assert_eq!(
            decide(sig(), &searched, &limits(), &[]),
            Next::Finish(SubmitOutcome::Confirmed { signature: sig(), slot: 77 })
        );
    }

    #[test]
    fn an_unreachable_node_never_yields_expired_only_unknown_after_the_horizon() {
        let mut o = obs(StatusSeen::Unreachable, Some(LVBH + 100));
        assert_eq!(decide(sig(), &o, &limits(), &[]), Next::Wait);
        o.since_start = Duration::from_secs(120);
        assert_eq!(decide(sig(), &o, &limits(), &[]), Next::Finish(SubmitOutcome::Unknown { signature: sig() }));
        let mut no_height = obs(StatusSeen::NotFound, None);
        no_height.since_start = Duration::from_secs(500);
        assert_eq!(
            decide(sig(), &no_height, &limits(), &[]),
            Next::Finish(SubmitOutcome::Unknown { signature: sig() })
        );
    }

    #[test]
    fn a_transaction_carrying_the_marker_always_takes_the_protected_path() {
        use crate::solana::tip::Tip;
        let payer = Pubkey::new_from_array([3; 32]);
        let tx_with = |tip: Tip| {
            let message = solana_message::Message::new(&[tip.instruction(payer)], Some(&payer));
            VersionedTransaction {
                signatures: vec![Signature::default()],
                message: solana_message::VersionedMessage::Legacy(message),
            }
        };
        let amount = crate::solana::tip::MIN_TIP_SENDER_MAX;
        let marked = tx_with(Tip::protected(amount, 1));
        let plain = tx_with(Tip::sender(amount, 1));
        let rpc = SubmitOptions::default();
        assert!(carries_dont_front(&marked) && !carries_dont_front(&plain));
        assert_eq!(SendPath::of(&marked, &rpc), SendPath::Protected);
        assert_eq!(SendPath::of(&plain, &rpc), SendPath::Rpc);
        assert_eq!(SendPath::of(&plain, &SubmitOptions { use_sender: true, ..rpc }), SendPath::Sender);
        assert_eq!(SendPath::of(&plain, &SubmitOptions { protected: true, ..rpc }), SendPath::Protected);
    }

    #[test]
    fn rebroadcasts_on_schedule_only_while_unseen_and_unexpired() {
        let mut o = obs(StatusSeen::NotFound, Some(LVBH - 10));
        assert_eq!(decide(sig(), &o, &limits(), &[]), Next::Wait);
        o.since_broadcast = Duration::from_secs(2);
        assert_eq!(decide(sig(), &o, &limits(), &[]), Next::Rebroadcast);
        o.status = StatusSeen::Unreachable;
        assert_eq!(decide(sig(), &o, &limits(), &[]), Next::Rebroadcast, "a failed lookup still rebroadcasts");
        o.status = landed(SignatureState::Processed, None);
        assert_eq!(decide(sig(), &o, &limits(), &[]), Next::Wait, "seen: no need to rebroadcast");
    }
}
