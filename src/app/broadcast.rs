//! `/broadcast`: drafts, confirmation, and the resumable delivery worker.
//!
//! Delivery state is persisted per recipient. Each recipient's message waits in the Telegram
//! outbox (bulk priority: replies and trade notices go first); right before it is sent, the
//! outbox runs the worker's claim, which writes `pending → sending`; then the outcome is written
//! (`sent`, `blocked`, `failed`). A row is `sending` only while its request is in flight: a 429
//! or a retryable error puts it back to `pending` before any waiting. After a crash, `pending` rows are sent
//! and `sending` rows become `unknown` and are NOT re-sent, because the Bot API has no
//! idempotency key and a resend could duplicate (at most once for the one in-flight window; it
//! is reported as unconfirmed). A kill while the worker waits for pacing, where it spends almost
//! all its time, therefore resumes with no duplicate and no skip.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use super::admin::{Admin, AdminActor};
use crate::domain::user::UserId;
use crate::ports::admin::{
    AdminRepo, BroadcastPayload, BroadcastProgress, BroadcastRecord, BroadcastRepo, BroadcastSender, BroadcastState,
    DeliveryClaim, DeliveryState, Recipient, SendOutcome,
};
use crate::ports::{Clock, RepoError};
use crate::telemetry::Metrics;

/// Result of pressing Confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmOutcome {
    /// Delivery started to this many recipients.
    Started(u64),
    /// The broadcast belongs to another admin; nothing changed.
    NotYours,
    /// Already started, cancelled or unknown; nothing changed.
    NotDraft,
}

/// The `/broadcast` use-cases (drafting, confirming, cancelling).
#[derive(Clone)]
pub struct Broadcasts {
    repo: Arc<dyn BroadcastRepo>,
    admin: Admin,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for Broadcasts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broadcasts").finish_non_exhaustive()
    }
}

impl Broadcasts {
    /// Wires the use-cases; `wake` is shared with the [`BroadcastRunner`].
    pub fn new(repo: Arc<dyn BroadcastRepo>, admin: Admin, clock: Arc<dyn Clock>, wake: Arc<Notify>) -> Self {
        Self { repo, admin, clock, wake }
    }

    /// Stores a draft; returns its id and how many users it would reach now.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn prepare(&self, actor: AdminActor, payload: &BroadcastPayload) -> Result<(i64, u64), RepoError> {
        let id = self.repo.create_draft(actor.id(), payload, self.clock.now_ms()).await?;
        let recipients = self.repo.active_recipients().await?;
        self.admin.done(actor, "broadcast.draft", Some(id.to_string()), None).await?;
        Ok((id, recipients))
    }

    /// Starts delivery of the actor's own draft; `status` is the message that shows progress.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn confirm(&self, actor: AdminActor, id: i64, status: (i64, i32)) -> Result<ConfirmOutcome, RepoError> {
        let Some(record) = self.repo.broadcast(id).await? else {
            return Ok(ConfirmOutcome::NotDraft);
        };
        if record.admin != actor.id() {
            return Ok(ConfirmOutcome::NotYours);
        }
        let Some(n) = self.repo.start(id, status, self.clock.now_ms()).await? else {
            return Ok(ConfirmOutcome::NotDraft);
        };
        self.admin.done(actor, "broadcast.start", Some(id.to_string()), Some(format!("recipients={n}"))).await?;
        self.wake.notify_one();
        Ok(ConfirmOutcome::Started(n))
    }

    /// Cancels the actor's own draft or running broadcast; `false` when nothing changed.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn cancel(&self, actor: AdminActor, id: i64) -> Result<bool, RepoError> {
        let Some(record) = self.repo.broadcast(id).await? else {
            return Ok(false);
        };
        if record.admin != actor.id() || !self.repo.cancel(id, self.clock.now_ms()).await? {
            return Ok(false);
        }
        self.admin.done(actor, "broadcast.cancel", Some(id.to_string()), None).await?;
        Ok(true)
    }
}

/// Worker tuning.
#[derive(Debug, Clone, Copy)]
pub struct RunnerSettings {
    /// Deliveries queued in the outbox at once (its pacing applies).
    pub max_in_flight: usize,
    /// How often the progress message is edited.
    pub status_every: Duration,
    /// Attempts for retryable failures before a delivery counts as failed.
    pub max_attempts: u32,
}

impl RunnerSettings {
    /// Defaults for a per-chat interval: progress every 3 s, at least every 2 intervals.
    pub fn for_chat_interval(chat_interval: Duration) -> Self {
        Self { max_in_flight: 4, status_every: (chat_interval * 2).max(Duration::from_secs(3)), max_attempts: 3 }
    }
}

/// The ports the worker uses.
#[derive(Clone)]
pub struct RunnerPorts {
    /// Broadcasts and deliveries.
    pub repo: Arc<dyn BroadcastRepo>,
    /// Marks users who blocked the bot inactive.
    pub admin_repo: Arc<dyn AdminRepo>,
    /// Telegram.
    pub sender: Arc<dyn BroadcastSender>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// Delivers running broadcasts, resuming them after a restart.
pub struct BroadcastRunner {
    ports: RunnerPorts,
    settings: RunnerSettings,
    metrics: Arc<Metrics>,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for BroadcastRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastRunner").field("settings", &self.settings).finish_non_exhaustive()
    }
}

type Job<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

impl BroadcastRunner {
    /// Creates the worker; `wake` is shared with [`Broadcasts`].
    pub fn new(ports: RunnerPorts, settings: RunnerSettings, metrics: Arc<Metrics>, wake: Arc<Notify>) -> Self {
        Self { ports, settings, metrics, wake }
    }

    /// Runs until `stop` becomes true: first classifies deliveries left in flight by a previous
    /// process, then delivers every running broadcast and waits for new ones. On stop, requests
    /// in flight finish and nothing new is sent, so a graceful stop leaves no `sending` row.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        match self.ports.repo.recover_in_flight(self.ports.clock.now_ms()).await {
            Ok(0) => {}
            Ok(n) => {
                self.metrics.broadcast_delivery_n("unknown", n);
                tracing::warn!(deliveries = n, "broadcast deliveries in flight at the last stop are unconfirmed");
            }
            Err(e) => tracing::error!(error.message = %e, "cannot recover broadcast deliveries"),
        }
        while !*stop.borrow() {
            match self.ports.repo.running().await {
                Ok(list) => {
                    self.metrics.set_broadcasts_running(i64::try_from(list.len()).unwrap_or(i64::MAX));
                    for b in list {
                        if *stop.borrow() {
                            break;
                        }
                        self.deliver_broadcast(&b, &stop).await;
                    }
                    self.metrics.set_broadcasts_running(0);
                }
                Err(e) => {
                    self.metrics.error("storage");
                    tracing::error!(error.message = %e, "cannot list running broadcasts");
                }
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(30)) => {}
                _ = stop.wait_for(|s| *s) => {}
            }
        }
    }

    /// Delivers one broadcast until every recipient is classified, it is cancelled, or `stop`.
    async fn deliver_broadcast(&self, b: &BroadcastRecord, stop: &watch::Receiver<bool>) {
        loop {
            let handed_out = self.pass(b, stop).await;
            if *stop.borrow() {
                return;
            }
            let state = self.ports.repo.broadcast(b.id).await.ok().flatten().map(|r| r.state);
            let pending = self.ports.repo.counts(b.id).await.map(|c| c.pending).unwrap_or(0);
            if state == Some(BroadcastState::Running) && pending > 0 && handed_out > 0 {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue; // rows left pending by storage errors: another pass
            }
            let finished =
                if state == Some(BroadcastState::Cancelled) { BroadcastState::Cancelled } else { BroadcastState::Done };
            self.show_status(b, Some(finished), stop).await;
            if finished == BroadcastState::Done
                && let Err(e) = self.ports.repo.finish(b.id, self.ports.clock.now_ms()).await
            {
                tracing::error!(broadcast_id = b.id, error.message = %e, "cannot mark the broadcast done");
            }
            tracing::info!(broadcast_id = b.id, state = finished.code(), "broadcast finished");
            return;
        }
    }

    /// One pass over the pending recipients. Returns how many were handed out.
    async fn pass(&self, b: &BroadcastRecord, stop: &watch::Receiver<bool>) -> u64 {
        let mut jobs: FuturesUnordered<Job<'_>> = FuturesUnordered::new();
        let mut buffer: VecDeque<Recipient> = VecDeque::new();
        let mut after = i64::MIN;
        let mut exhausted = false;
        let mut cancelled = false;
        let mut handed_out = 0u64;
        let mut last_status = Instant::now();
        loop {
            while !exhausted && !cancelled && !*stop.borrow() && jobs.len() < self.settings.max_in_flight {
                if buffer.is_empty() {
                    match self.ports.repo.pending_after(b.id, after, 200).await {
                        Ok(page) if page.is_empty() => exhausted = true,
                        Ok(page) => buffer.extend(page),
                        Err(e) => {
                            self.metrics.error("storage");
                            tracing::error!(broadcast_id = b.id, error.message = %e, "cannot load recipients");
                            exhausted = true;
                        }
                    }
                    continue;
                }
                if let Some(r) = buffer.pop_front() {
                    after = r.user.0;
                    handed_out += 1;
                    jobs.push(Box::pin(self.deliver_one(b, r, stop.clone())));
                }
            }
            if last_status.elapsed() >= self.settings.status_every {
                last_status = Instant::now();
                cancelled = cancelled
                    || matches!(self.ports.repo.broadcast(b.id).await, Ok(Some(r)) if r.state == BroadcastState::Cancelled);
                jobs.push(Box::pin(self.show_status(b, None, stop)));
            }
            if jobs.next().await.is_none() {
                return handed_out;
            }
        }
    }

    /// The claim that runs right before the send: `pending → sending`, unless stopping.
    fn claim(&self, id: i64, user: UserId, stop: &watch::Receiver<bool>) -> DeliveryClaim {
        let repo = self.ports.repo.clone();
        let clock = self.ports.clock.clone();
        let metrics = self.metrics.clone();
        let stop = stop.clone();
        Box::new(move || {
            Box::pin(async move {
                if *stop.borrow() {
                    return false;
                }
                match repo.transition(id, user, DeliveryState::Pending, DeliveryState::Sending, clock.now_ms()).await {
                    Ok(claimed) => claimed, // `false`: no longer pending (handled elsewhere)
                    Err(e) => {
                        metrics.error("storage");
                        tracing::error!(broadcast_id = id, error.message = %e, "cannot claim a delivery");
                        false
                    }
                }
            })
        })
    }

    /// Delivers to one recipient (see the module docs for the state machine).
    async fn deliver_one(&self, b: &BroadcastRecord, r: Recipient, mut stop: watch::Receiver<bool>) {
        let mut failures = 0u32;
        loop {
            if *stop.borrow() {
                return;
            }
            let claim = self.claim(b.id, r.user, &stop);
            let outcome = self.ports.sender.deliver(r.user, r.chat_id, &b.payload, claim).await;
            let next = match &outcome {
                SendOutcome::Skipped => return, // nothing sent; the row is as it was
                SendOutcome::Sent => DeliveryState::Sent,
                SendOutcome::Blocked => DeliveryState::Blocked,
                SendOutcome::Failed(_) => DeliveryState::Failed,
                SendOutcome::Ambiguous(_) => DeliveryState::Unknown,
                SendOutcome::RetryAfter(_) => DeliveryState::Pending,
                SendOutcome::Transient(_) => {
                    failures += 1;
                    if failures >= self.settings.max_attempts { DeliveryState::Failed } else { DeliveryState::Pending }
                }
            };
            self.metrics.broadcast_delivery(outcome_label(&outcome));
            self.settle(b.id, r.user, next).await;
            match outcome {
                // The outbox is paused for `retry_after`; queue again behind the pause.
                SendOutcome::RetryAfter(_) => {}
                SendOutcome::Transient(ref e) if next == DeliveryState::Pending => {
                    tracing::warn!(broadcast_id = b.id, error.message = %e, "broadcast send failed; retrying");
                    let backoff = Duration::from_secs(u64::from(failures));
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        _ = stop.wait_for(|s| *s) => return,
                    }
                }
                SendOutcome::Blocked => {
                    if let Err(e) = self.ports.admin_repo.mark_inactive(r.user).await {
                        tracing::error!(error.message = %e, "cannot mark a user inactive");
                    }
                    return;
                }
                SendOutcome::Failed(ref e) | SendOutcome::Ambiguous(ref e) | SendOutcome::Transient(ref e) => {
                    tracing::warn!(broadcast_id = b.id, user_id = r.user.0, error.message = %e, "broadcast not delivered");
                    return;
                }
                SendOutcome::Sent | SendOutcome::Skipped => return,
            }
        }
    }

    /// Writes `sending → next`, retrying storage errors briefly (the row stays `sending`, i.e.
    /// unconfirmed after a restart, if they persist).
    async fn settle(&self, id: i64, user: UserId, next: DeliveryState) {
        for attempt in 1..=5u64 {
            match self.ports.repo.transition(id, user, DeliveryState::Sending, next, self.now()).await {
                Ok(_) => return,
                Err(e) => {
                    self.metrics.error("storage");
                    tracing::error!(broadcast_id = id, error.message = %e, "cannot record a delivery outcome");
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
            }
        }
    }

    /// Edits the progress message (paced like any message to that chat).
    async fn show_status(&self, b: &BroadcastRecord, finished: Option<BroadcastState>, stop: &watch::Receiver<bool>) {
        let Some(status) = b.status else {
            return;
        };
        for _ in 0..5 {
            if finished.is_none() && *stop.borrow() {
                return;
            }
            let counts = match self.ports.repo.counts(b.id).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(broadcast_id = b.id, error.message = %e, "cannot count deliveries");
                    return;
                }
            };
            let progress = BroadcastProgress { id: b.id, counts, finished };
            match self.ports.sender.show_progress(b.admin, status, &progress).await {
                SendOutcome::RetryAfter(_) => {} // the outbox waits out the pause
                SendOutcome::Transient(_) => tokio::time::sleep(Duration::from_secs(1)).await,
                _ => return,
            }
        }
    }

    fn now(&self) -> i64 {
        self.ports.clock.now_ms()
    }
}

fn outcome_label(outcome: &SendOutcome) -> &'static str {
    match outcome {
        SendOutcome::Sent => "sent",
        SendOutcome::RetryAfter(_) => "retry_after",
        SendOutcome::Blocked => "blocked",
        SendOutcome::Failed(_) => "failed",
        SendOutcome::Transient(_) => "transient",
        SendOutcome::Ambiguous(_) => "unknown",
        SendOutcome::Skipped => "skipped",
    }
}
