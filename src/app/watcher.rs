//! The wallet watcher: turns the PubSub stream (`solana::ws`) into copied trades.
//!
//! Each leader signature is handled once: a notification or a backfilled signature already in
//! `copy_leader_signatures` is skipped, a new one is fetched (`getTransaction`), decoded, copied
//! and then recorded, which also moves the leader's cursor. After every (re)subscription the
//! watcher backfills each leader from its cursor (`getSignaturesForAddress … until`, paged,
//! oldest first), so a trade made while the socket was down is copied late but never missed.
//! Events are handled one at a time in arrival order; the intents' keys make a copy idempotent
//! even if the same signature were handled twice.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use solana_pubkey::Pubkey;
use solana_signature::Signature;
use tokio::sync::mpsc;

use super::copy::CopyService;
use crate::domain::copy::LeaderSide;
use crate::ports::copy::Cursor;
use crate::ports::{ChainClient, HistoryPage, RepoError};
use crate::solana::leader_tx::{self, NotATrade};
use crate::solana::ws::WsEvent;

/// Page size of the backfill (`getSignaturesForAddress` maximum).
const PAGE: usize = 1_000;
/// `getTransaction` attempts for a signature the node does not know yet.
const FETCH_ATTEMPTS: u32 = 4;

/// What handling one signature did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Handled before (a repeated notification, or live and backfill overlapping).
    Seen,
    /// A swap, copied for the followers.
    Copied,
    /// Not a swap (or failed); recorded so it is not fetched again.
    NotATrade,
    /// The node could not return it; left for the next backfill.
    Unavailable,
}

/// The watcher.
#[derive(Clone)]
pub struct Watcher {
    copy: CopyService,
    chain: Arc<dyn ChainClient>,
    retry_delay: Duration,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher").finish_non_exhaustive()
    }
}

impl Watcher {
    /// A watcher copying through `copy`, reading transactions from `chain`.
    pub fn new(copy: CopyService, chain: Arc<dyn ChainClient>) -> Self {
        Self { copy, chain, retry_delay: Duration::from_millis(250) }
    }

    /// Handles events until the stream ends.
    pub async fn run(self, mut events: mpsc::Receiver<WsEvent>) {
        while let Some(event) = events.recv().await {
            self.handle(event).await;
        }
    }

    /// Handles one event.
    pub async fn handle(&self, event: WsEvent) {
        match event {
            WsEvent::Subscribed { connection } => {
                // Leaders and watched creators alike.
                let leaders: Vec<Pubkey> = self.copy.watched().borrow().iter().copied().collect();
                let mut total = 0;
                for leader in leaders {
                    match self.backfill(&leader).await {
                        Ok(n) => total += n,
                        Err(e) => tracing::warn!(%leader, error.message = %e, "backfill failed; retried on reconnect"),
                    }
                }
                tracing::info!(connection, handled = total, "wallet watcher subscribed and backfilled");
            }
            WsEvent::Logs { wallet, signature, failed } => {
                let result = if failed {
                    self.record(&wallet, &signature, 0, "failed").await.map(|_| Handled::NotATrade)
                } else {
                    self.handle_signature(&wallet, &signature).await
                };
                if let Err(e) = result {
                    tracing::error!(%wallet, error.message = %e, "leader transaction not handled");
                }
            }
            WsEvent::Disconnected => {}
        }
    }

    /// Handles every signature of `leader` newer than its cursor, oldest first. A leader without
    /// a cursor starts at its newest transaction (its history is not copied). Returns how many
    /// signatures were newly handled.
    ///
    /// # Errors
    /// Storage failures; chain failures are logged and end the backfill early.
    pub async fn backfill(&self, leader: &Pubkey) -> Result<usize, RepoError> {
        let repo = self.copy.repo();
        let Some(cursor) = repo.cursor(leader).await? else {
            let page = HistoryPage { before: None, until: None, limit: 1 };
            if let Ok(list) = self.chain.signatures_for_address(leader, page).await
                && let Some(newest) = list.first()
            {
                let cursor = Cursor { signature: newest.signature.to_string(), slot: newest.slot };
                repo.init_cursor(leader, &cursor).await?;
            }
            return Ok(0);
        };
        let Ok(until) = Signature::from_str(&cursor.signature) else {
            return Err(RepoError::Corrupt("copy_cursors.last_signature".to_owned()));
        };
        let mut newer = Vec::new();
        let mut before: Option<Signature> = None;
        loop {
            let page = HistoryPage { before: before.as_ref(), until: Some(&until), limit: PAGE };
            let list = match self.chain.signatures_for_address(leader, page).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(%leader, error.message = %e, "leader history unavailable; backfill ends early");
                    break;
                }
            };
            let full = list.len() == PAGE;
            before = list.last().map(|s| s.signature);
            newer.extend(list);
            if !full {
                break;
            }
        }
        let mut handled = 0;
        for entry in newer.into_iter().rev() {
            let sig = entry.signature.to_string();
            let done = if entry.failed {
                self.record(leader, &sig, entry.slot, "failed").await?;
                Handled::NotATrade
            } else {
                self.handle_signature(leader, &sig).await?
            };
            if matches!(done, Handled::Copied | Handled::NotATrade) {
                handled += 1;
            }
        }
        Ok(handled)
    }

    /// Fetches, decodes and copies one leader transaction, once.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn handle_signature(&self, leader: &Pubkey, signature: &str) -> Result<Handled, RepoError> {
        let repo = self.copy.repo();
        if repo.seen(leader, signature).await? {
            return Ok(Handled::Seen);
        }
        let Ok(sig) = Signature::from_str(signature) else {
            return Ok(Handled::NotATrade);
        };
        let received_at_ms = chrono::Utc::now().timestamp_millis();
        let Some(tx) = self.fetch(&sig).await else {
            return Ok(Handled::Unavailable);
        };
        let slot = tx["slot"].as_u64().unwrap_or_default();
        match leader_tx::decode(&tx, leader) {
            Ok(trade) => {
                let outcome = if trade.side == LeaderSide::Buy { "buy" } else { "sell" };
                self.copy.on_trade(&trade, received_at_ms).await?;
                self.copy.on_creator_trade(&trade).await?;
                self.record(leader, signature, slot, outcome).await?;
                Ok(Handled::Copied)
            }
            Err(reason) => {
                let outcome = if reason == NotATrade::Failed { "failed" } else { "none" };
                self.record(leader, signature, slot, outcome).await?;
                Ok(Handled::NotATrade)
            }
        }
    }

    async fn record(&self, leader: &Pubkey, signature: &str, slot: u64, outcome: &str) -> Result<bool, RepoError> {
        let cursor = Cursor { signature: signature.to_owned(), slot };
        self.copy.repo().mark_seen(leader, &cursor, outcome).await
    }

    async fn fetch(&self, sig: &Signature) -> Option<serde_json::Value> {
        for attempt in 0..FETCH_ATTEMPTS {
            match self.chain.transaction(sig).await {
                Ok(Some(tx)) => return Some(tx),
                Ok(None) => {}
                Err(e) if !e.is_retryable() => {
                    tracing::warn!(signature = %sig, error.message = %e, "getTransaction failed");
                    return None;
                }
                Err(_) => {}
            }
            tokio::time::sleep(self.retry_delay * (attempt + 1)).await;
        }
        tracing::warn!(signature = %sig, "leader transaction not found; left for the next backfill");
        None
    }
}
