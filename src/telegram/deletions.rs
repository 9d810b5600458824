//! Deletes scheduled bot messages (exported keys) when due — also after a restart, because the
//! schedule is persisted. Runs once at start (overdue messages first) and then every few seconds.

use std::sync::Arc;
use std::time::Duration;

use super::outbox::{Envelope, Outbox, Priority, Request, SendError};
use crate::ports::{DeletionSchedule, ScheduledDeletion};

/// How often the schedule is swept.
pub const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// Deletes every due message; returns how many were settled. API refusals (already deleted,
/// too old) settle the entry; network failures leave it for the next sweep.
pub async fn sweep_once(outbox: &Outbox, schedule: &dyn DeletionSchedule, now_ms: i64) -> usize {
    let due = match schedule.due(now_ms).await {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error.message = %e, "cannot read the deletion schedule");
            return 0;
        }
    };
    let mut settled = 0;
    for m in due {
        let message_id = i32::try_from(m.message_id).unwrap_or(i32::MAX);
        let envelope = Envelope::new(m.chat_id, Priority::Interactive, Request::Delete { message_id });
        match outbox.send_and_wait(envelope).await {
            Ok(_) => settled += usize::from(finish(schedule, m).await),
            Err(e @ (SendError::Rejected(_) | SendError::Blocked)) => {
                tracing::warn!(chat_id = m.chat_id, error.message = %e, "scheduled message could not be deleted");
                settled += usize::from(finish(schedule, m).await);
            }
            Err(e) => tracing::warn!(chat_id = m.chat_id, error.message = %e, "deletion deferred to the next sweep"),
        }
    }
    settled
}

async fn finish(schedule: &dyn DeletionSchedule, m: ScheduledDeletion) -> bool {
    match schedule.done(m).await {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(error.message = %e, "cannot update the deletion schedule");
            false
        }
    }
}

/// Sweeps at start and every [`SWEEP_EVERY`] until `stop` resolves.
pub async fn run(outbox: Outbox, schedule: Arc<dyn DeletionSchedule>, stop: impl std::future::Future<Output = ()>) {
    let mut stop = std::pin::pin!(stop);
    loop {
        let now = chrono::Utc::now().timestamp_millis();
        sweep_once(&outbox, schedule.as_ref(), now).await;
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(SWEEP_EVERY) => {}
        }
    }
}
