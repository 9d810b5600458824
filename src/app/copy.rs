//! Copy trading use-cases: `/copy add|list|remove|set`, and what happens on a leader's trade.
//!
//! A leader's buy becomes an alert of the source `copy:<name>` and goes through the connector's
//! fan-out exactly like a channel call (rules, safety gate, risk, idempotency keyed by the user
//! and the leader's signature, per-source exits, skip notices); only the size and the copy caps
//! are decided here first. A leader's sell sells the same share of each position we hold from
//! that leader, through the trading core, keyed by the leader's signature and the position.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use solana_pubkey::Pubkey;
use tokio::sync::watch;

use super::connector::{Call, Connector};
use super::trade::{TradeAmount, TradeRequest, Trading};
use crate::domain::alert::rules::SubscriptionSettings;
use crate::domain::alert::{AlertKind, ParsedAlert};
use crate::domain::copy::{self, CopySettingError, CopySettings, CopySkip, LeaderSide, LeaderTrade};
use crate::domain::intent::{IdempotencyKey, IntentOrigin};
use crate::domain::user::UserId;
use crate::ports::alerts::{AlertSource, Subscriber};
use crate::ports::copy::{AddFollow, CopyRepo, Cursor, Follow, FollowQuery};
use crate::ports::{CopyNotice, HistoryPage, RepoError, TradeNotice};

/// Copy trading for every user (cheap to clone).
#[derive(Clone)]
pub struct CopyService {
    repo: Arc<dyn CopyRepo>,
    connector: Connector,
    trading: Trading,
    watched: Arc<watch::Sender<BTreeSet<Pubkey>>>,
    /// Followed leaders and watched creators (dev-sell); `watched` is their union.
    sets: Arc<std::sync::Mutex<WatchSets>>,
}

#[derive(Default)]
struct WatchSets {
    leaders: BTreeSet<Pubkey>,
    creators: BTreeSet<Pubkey>,
    /// Mint → creator, resolved once.
    creator_of: std::collections::HashMap<String, Pubkey>,
}

mod dev_sell;

impl std::fmt::Debug for CopyService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyService").field("watched", &self.watched.borrow().len()).finish_non_exhaustive()
    }
}

/// What `/copy add` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddOutcome {
    /// Following; the watcher subscribes the wallet.
    Added(Box<Follow>),
    /// The name is not 1..=24 letters, digits, `_` or `-`.
    BadName(String),
    /// The SOL size is not a positive amount.
    BadSol(String),
    /// The user already uses this name.
    NameTaken(String),
    /// The user already follows this wallet.
    AlreadyFollowing(String),
}

/// What `/copy set` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetOutcome {
    /// Saved.
    Updated(Box<Follow>),
    /// No follow by that name.
    NotFound(String),
    /// Refused; nothing changed.
    Invalid(CopySettingError),
}

/// Counts of one leader trade.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Followers of the leader.
    pub followers: usize,
    /// Buys handed to the connector / sells handed to the trading core.
    pub copied: usize,
    /// Skipped by a copy rule (each told why).
    pub skipped: usize,
}

impl CopyService {
    /// Wires the service.
    pub fn new(repo: Arc<dyn CopyRepo>, connector: Connector, trading: Trading) -> Self {
        let (tx, _) = watch::channel(BTreeSet::new());
        Self { repo, connector, trading, watched: Arc::new(tx), sets: Arc::default() }
    }

    /// The storage port.
    pub fn repo(&self) -> &Arc<dyn CopyRepo> {
        &self.repo
    }

    /// The set of wallets to watch (changes when follows are added or removed).
    pub fn watched(&self) -> watch::Receiver<BTreeSet<Pubkey>> {
        self.watched.subscribe()
    }

    /// Reloads the watched set from storage.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn refresh_watched(&self) -> Result<usize, RepoError> {
        let leaders: BTreeSet<Pubkey> = self.repo.leaders().await?.into_iter().collect();
        let n = leaders.len();
        self.with_sets(|s| s.leaders = leaders);
        Ok(n)
    }

    /// Changes the watch sets and publishes their union when it changed.
    fn with_sets(&self, f: impl FnOnce(&mut WatchSets)) {
        let union = {
            let mut sets = match self.sets.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            f(&mut sets);
            sets.leaders.union(&sets.creators).copied().collect::<BTreeSet<Pubkey>>()
        };
        self.watched.send_if_modified(|current| {
            let changed = *current != union;
            *current = union;
            changed
        });
    }

    /// `/copy add <address> [name] [sol]`.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn add(
        &self,
        user: UserId,
        leader: Pubkey,
        name: Option<&str>,
        sol: Option<&str>,
    ) -> Result<AddOutcome, RepoError> {
        let address = leader.to_string();
        let name = name.map_or_else(|| address.chars().take(6).collect::<String>(), str::to_owned).to_lowercase();
        if !copy::valid_name(&name) {
            return Ok(AddOutcome::BadName(name));
        }
        let mut settings = CopySettings::default();
        if let Some(v) = sol {
            match settings.apply(&[&format!("sol={v}")]) {
                Ok(s) => settings = s,
                Err(_) => return Ok(AddOutcome::BadSol(v.to_owned())),
            }
        }
        let follow = Follow { user, leader, name: name.clone(), settings };
        match self.repo.add_follow(&follow).await? {
            AddFollow::NameTaken => return Ok(AddOutcome::NameTaken(name)),
            AddFollow::AlreadyFollowing => return Ok(AddOutcome::AlreadyFollowing(address)),
            AddFollow::Added => {}
        }
        // A new leader is copied from now on, never from its history.
        if self.repo.cursor(&leader).await?.is_none() {
            let page = HistoryPage { before: None, until: None, limit: 1 };
            match self.trading.ports().chain.signatures_for_address(&leader, page).await {
                Ok(list) => {
                    if let Some(newest) = list.first() {
                        let cursor = Cursor { signature: newest.signature.to_string(), slot: newest.slot };
                        self.repo.init_cursor(&leader, &cursor).await?;
                    }
                }
                Err(e) => {
                    tracing::warn!(error.message = %e, "leader history unavailable; cursor set on first backfill")
                }
            }
        }
        self.refresh_watched().await?;
        Ok(AddOutcome::Added(Box::new(follow)))
    }

    /// `/copy list`.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn list(&self, user: UserId) -> Result<Vec<Follow>, RepoError> {
        self.repo.follows(user).await
    }

    /// `/copy remove <name>`: false when there is no such follow.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn remove(&self, user: UserId, name: &str) -> Result<bool, RepoError> {
        let removed = self.repo.remove_follow(user, name).await?;
        if removed {
            self.refresh_watched().await?;
        }
        Ok(removed)
    }

    /// `/copy set <name> key=value …` (all or nothing).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn set(&self, user: UserId, name: &str, pairs: &[&str]) -> Result<SetOutcome, RepoError> {
        let name = name.to_lowercase();
        let Some(mut follow) = self.repo.follows(user).await?.into_iter().find(|f| f.name == name) else {
            return Ok(SetOutcome::NotFound(name));
        };
        let next = match follow.settings.apply(pairs) {
            Ok(s) => s,
            Err(e) => return Ok(SetOutcome::Invalid(e)),
        };
        if !self.repo.update_follow(user, &name, &next).await? {
            return Ok(SetOutcome::NotFound(name));
        }
        follow.settings = next;
        Ok(SetOutcome::Updated(Box::new(follow)))
    }

    /// Copies one decoded leader trade for every follower.
    ///
    /// # Errors
    /// Storage failures while loading followers (per-user failures are logged).
    pub async fn on_trade(&self, trade: &LeaderTrade, received_at_ms: i64) -> Result<CopyReport, RepoError> {
        let followers = self.repo.followers(&trade.leader).await?;
        let mut report = CopyReport { followers: followers.len(), ..CopyReport::default() };
        if followers.is_empty() {
            return Ok(report);
        }
        match trade.side {
            LeaderSide::Buy => self.copy_buy(trade, followers, received_at_ms, &mut report).await?,
            LeaderSide::Sell => self.copy_sell(trade, followers, &mut report).await,
        }
        tracing::info!(leader = %trade.leader, signature = %trade.signature, ?report, "leader trade copied");
        Ok(report)
    }

    async fn state(&self, f: &Follow, trade: &LeaderTrade) -> Result<copy::FollowState, RepoError> {
        let source = position_label(&f.name);
        let prefix = IdempotencyKey::alert(f.user, &format!("copy:{}:", trade.leader));
        let now = self.trading.ports().clock.now_ms();
        let mint = trade.mint.to_string();
        let q = FollowQuery {
            user: f.user,
            source: &source,
            key_prefix: prefix.as_str(),
            mint: &mint,
            day_start_ms: super::livetrade::utc_day_start_ms(now),
            look_back: f.settings.pause_after_losses.unwrap_or(0),
        };
        self.repo.follow_state(&q).await
    }

    async fn copy_buy(
        &self,
        trade: &LeaderTrade,
        followers: Vec<Follow>,
        received_at_ms: i64,
        report: &mut CopyReport,
    ) -> Result<(), RepoError> {
        // Followers grouped by their name for the leader: one source label per group.
        let mut groups: BTreeMap<String, Vec<Subscriber>> = BTreeMap::new();
        let mut copied: Vec<(UserId, String)> = Vec::new();
        for f in followers {
            let decided = match self.state(&f, trade).await {
                Ok(state) => copy::decide_buy(&f.settings, trade.sol, state),
                Err(e) => {
                    tracing::error!(user_id = f.user.0, error.message = %e, "copy state unavailable; buy skipped");
                    continue;
                }
            };
            match decided {
                Ok(sol) => {
                    let settings = SubscriptionSettings {
                        buy: sol,
                        mode: crate::domain::alert::rules::AlertMode::Auto,
                        ..f.settings.rules.clone()
                    };
                    groups.entry(f.name.clone()).or_default().push(Subscriber { user: f.user, settings });
                    copied.push((f.user, f.name));
                }
                Err(skip) => {
                    report.skipped += 1;
                    self.notify(f.user, &f.name, trade, Some(skip)).await;
                }
            }
        }
        let alert_key = alert_key(trade);
        let parsed = ParsedAlert { kind: AlertKind::CaDrop, mint: trade.mint, signal: None };
        let posted_at_ms = trade.block_time.map_or(received_at_ms, |t| t.saturating_mul(1_000).min(received_at_ms));
        for (name, subscribers) in groups {
            report.copied += subscribers.len();
            let source = AlertSource {
                id: 0,
                chat_id: 0,
                username: None,
                kind: AlertKind::CaDrop,
                name: copy::source_label(&name),
                enabled: true,
                created_by: UserId(0),
                last_post_at_ms: None,
            };
            let call = Call { alert_id: 0, alert_key: &alert_key, parsed: &parsed, received_at_ms, posted_at_ms };
            self.connector.fan_out_to(&source, &call, subscribers).await?;
        }
        for (user, name) in copied {
            self.notify(user, &name, trade, None).await;
        }
        Ok(())
    }

    async fn copy_sell(&self, trade: &LeaderTrade, followers: Vec<Follow>, report: &mut CopyReport) {
        let mint = trade.mint.to_string();
        for f in followers {
            let decided = match self.state(&f, trade).await {
                Ok(state) => copy::decide_sell(&f.settings, state),
                Err(e) => {
                    tracing::error!(user_id = f.user.0, error.message = %e, "copy state unavailable; sell skipped");
                    continue;
                }
            };
            if let Err(skip) = decided {
                report.skipped += 1;
                // Nothing to tell a follower who never bought this token from the leader.
                if skip != CopySkip::NotHeld {
                    self.notify(f.user, &f.name, trade, Some(skip)).await;
                }
                continue;
            }
            let label = position_label(&f.name);
            let positions = match self.trading.ports().positions.open_positions(f.user).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(user_id = f.user.0, error.message = %e, "positions unavailable; copy sell skipped");
                    continue;
                }
            };
            let mut sold_any = false;
            for p in positions.iter().filter(|p| p.mint == mint && p.source.as_deref() == Some(label.as_str())) {
                let tokens = trade.our_share_of(p.book.tokens);
                if tokens == 0 {
                    continue;
                }
                let key = IdempotencyKey::alert(f.user, &format!("{}:p{}", alert_key(trade), p.id));
                let mut req = TradeRequest::sell(f.user, trade.mint, Some(p.id), TradeAmount::Tokens(tokens), key);
                req.origin = IntentOrigin::Exit;
                req.source = Some(label.clone());
                if let Err(e) = self.trading.execute(req).await {
                    tracing::error!(user_id = f.user.0, error.message = %e, "copy sell failed on storage");
                }
                sold_any = true;
            }
            if sold_any {
                report.copied += 1;
                self.notify(f.user, &f.name, trade, None).await;
            }
        }
    }

    async fn notify(&self, user: UserId, name: &str, trade: &LeaderTrade, skipped: Option<CopySkip>) {
        let notice = CopyNotice {
            leader_name: name.to_owned(),
            signature: trade.signature.clone(),
            mint: trade.mint.to_string(),
            buy: trade.side == LeaderSide::Buy,
            leader_sol: trade.sol,
            sold_bps: trade.sold_share_bps(),
            skipped,
        };
        self.trading.ports().notifier.notify(user, TradeNotice::Copy(Box::new(notice))).await;
    }
}

/// The alert key of a leader trade: `copy:<leader>:<signature>` (intents are keyed
/// `u<user>:alert:<this>`, so each follower copies each leader transaction once).
pub fn alert_key(trade: &LeaderTrade) -> String {
    format!("copy:{}:{}", trade.leader, trade.signature)
}

/// The position source label of copied buys from the leader followed as `name`.
pub fn position_label(name: &str) -> String {
    format!("alert:{}", copy::source_label(name))
}
