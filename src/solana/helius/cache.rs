//! `ChainCache`: a background task keeping the latest blockhash (every ~2 s) and a general
//! priority-fee estimate (less often) warm in a `HeliusClient`, so the trade hot path does no
//! RPC for them.
//!
//! Talks to the RPC endpoints through `HeliusClient` only. Never fails the caller: a failed
//! refresh is logged (without URLs) and the stale value simply ages out of the cache.

use std::time::Duration;

use solana_pubkey::Pubkey;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::HeliusClient;
use crate::solana::ids::PUMP_PROGRAM;

/// How often the cache refreshes what.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// Blockhash refresh period.
    pub blockhash_every: Duration,
    /// Priority fee refresh period.
    pub priority_fee_every: Duration,
    /// Accounts the general priority fee estimate is asked for.
    pub priority_fee_accounts: Vec<Pubkey>,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            blockhash_every: Duration::from_secs(2),
            priority_fee_every: Duration::from_secs(10),
            priority_fee_accounts: vec![PUMP_PROGRAM],
        }
    }
}

/// The running refresher; stop it with [`ChainCache::shutdown`] (dropping it also stops it).
#[derive(Debug)]
pub struct ChainCache {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl ChainCache {
    /// Starts refreshing `client`'s caches now and then every period.
    pub fn spawn(client: HeliusClient, settings: CacheSettings) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(settings.blockhash_every.max(Duration::from_millis(10)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut last_fee: Option<tokio::time::Instant> = None;
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stopped.changed() => return,
                }
                let fee_due = last_fee.is_none_or(|t| t.elapsed() >= settings.priority_fee_every);
                refresh_once(&client, &settings, fee_due).await;
                if fee_due {
                    last_fee = Some(tokio::time::Instant::now());
                }
            }
        });
        Self { stop, task: Some(task) }
    }

    /// Stops the refresher and waits for it to finish.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ChainCache {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// One refresh tick: the blockhash always, the priority fee when `with_fee`.
pub async fn refresh_once(client: &HeliusClient, settings: &CacheSettings, with_fee: bool) {
    if let Err(e) = client.refresh_blockhash().await {
        tracing::warn!(error.message = %e, "blockhash refresh failed");
    }
    if with_fee && let Err(e) = client.refresh_priority_fee(&settings.priority_fee_accounts).await {
        tracing::warn!(error.message = %e, "priority fee refresh failed");
    }
}
