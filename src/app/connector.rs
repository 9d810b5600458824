//! The alert-to-trade connector: one post → one parse → for every subscriber, rule matching →
//! the trading core (risk check, intent keyed by user and alert, execution) → notices.
//!
//! Idempotency: the alert key (source chat id + message id) is stored once, every buy uses
//! `IdempotencyKey::alert(user, alert_key)`, and the duplicate-call filter drops repeats of the
//! same mint from the same source within a window. A redelivered post therefore creates no
//! second intent, even after a restart (the intents are unique by key).
//!
//! Concurrency: rule matching is pure and runs first for everybody; the buys then run through a
//! bounded pool (`buffer_unordered`). Notices go through the paced [`Notifier`] queue, so
//! Telegram never delays a trade.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use solana_pubkey::Pubkey;

use rust_decimal::Decimal;

use crate::app::trade::{
    ConnectorPorts, Prefetched, PrefetchedWallet, PriceGuard, TradeAmount, TradeOutcome, TradeRequest, Trading,
};
use crate::domain::alert::freshness;
use crate::domain::alert::rules::{self, AlertMode, MarketView, RuleSkip, SubscriptionSettings};
use crate::domain::alert::{self, AlertKind, DuplicateFilter, ParsedAlert, Post, PostEntity, SignalLevels, SkipReason};
use crate::domain::exit::ExitRules;
use crate::domain::failure::TradeFailure;
use crate::domain::intent::{IdempotencyKey, Intent, IntentOrigin, IntentState};
use crate::domain::money::{Bps, Lamports};
use crate::domain::position::Side;
use crate::domain::risk::TradeMode;
use crate::domain::safety::{Level, SafetyOverrides, TokenSafety, classify, evaluate};
use crate::domain::user::UserId;
use crate::ports::alerts::{AlertInsert, AlertRepo, AlertSource, LatencySink, NewAlert, StoredAlert, Subscriber};
use crate::ports::{Quote, QuoteRequest, RepoError, TradeNotice};
use crate::solana::instructions::AtaSpec;

/// Tunables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectorSettings {
    /// Buys in flight at once per alert.
    pub pool: usize,
    /// Duplicate-call window (same mint, same source).
    pub dedupe_window_ms: i64,
    /// How long a confirm card stays valid.
    pub confirm_ttl_ms: i64,
}

impl Default for ConnectorSettings {
    fn default() -> Self {
        Self { pool: 16, dedupe_window_ms: 10 * 60_000, confirm_ttl_ms: 15 * 60_000 }
    }
}

/// Alert state shared by every update handler (cheap to clone).
#[derive(Clone)]
pub struct AlertServices {
    /// Sources, subscriptions, alerts.
    pub repo: Arc<dyn AlertRepo>,
    /// The duplicate-call filter.
    pub dedupe: Arc<Mutex<DuplicateFilter>>,
    /// Latency metrics.
    pub latency: Arc<dyn LatencySink>,
    /// Tunables.
    pub settings: ConnectorSettings,
}

impl std::fmt::Debug for AlertServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertServices").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl AlertServices {
    /// Wires the shared state.
    pub fn new(repo: Arc<dyn AlertRepo>, latency: Arc<dyn LatencySink>, settings: ConnectorSettings) -> Self {
        let dedupe = Arc::new(Mutex::new(DuplicateFilter::new(settings.dedupe_window_ms)));
        Self { repo, dedupe, latency, settings }
    }
}

/// A post from a channel or group, already checked to be an original (not forwarded, not
/// edited, not an automatic forward) by the Telegram adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingPost {
    /// Numeric chat id.
    pub chat_id: i64,
    /// Message id.
    pub message_id: i64,
    /// Text or caption.
    pub text: String,
    /// Its entities.
    pub entities: Vec<PostEntity>,
    /// Inline button URLs.
    pub button_urls: Vec<String>,
    /// When we received it (unix ms).
    pub received_at_ms: i64,
    /// When it was posted (Telegram's message `date`, unix ms): the alert's age counts from
    /// here, so a backlog delivered after downtime is old, not new.
    pub posted_at_ms: i64,
}

/// What happened to a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostOutcome {
    /// The chat is not a registered (enabled) source.
    NotASource,
    /// The post does not trigger a buy.
    Skipped(SkipReason),
    /// Seen before (redelivery) or the same mint from the same source within the window.
    Repeat,
    /// Fanned out to subscribers.
    Dispatched(FanOutReport),
}

/// Counts of one fan-out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FanOutReport {
    /// Stored alert row id.
    pub alert_id: i64,
    /// Subscribers considered.
    pub subscribers: usize,
    /// Skipped by their rules (each told why).
    pub rule_skips: usize,
    /// Sent a confirm card.
    pub confirm_cards: usize,
    /// Filled (live or paper) or sent.
    pub executed: usize,
    /// Refused or failed in the trading core (the core told them why).
    pub refused: usize,
    /// Already had an intent for this alert.
    pub duplicates: usize,
}

/// What a confirm-card button did.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfirmOutcome {
    /// The alert is unknown, too old, or the user is no longer subscribed.
    Stale,
    /// Handed to the trading core (its notices follow).
    Started(Box<TradeOutcome>),
}

/// The connector for one trading core.
#[derive(Clone, Debug)]
pub struct Connector {
    services: AlertServices,
    trading: Trading,
    ports: ConnectorPorts,
}

/// What one alert's fan-out read about its token, shared by every subscriber's plan.
struct Token<'a> {
    mint: &'a str,
    receipt_price: Option<Decimal>,
    safety: Option<Arc<TokenSafety>>,
}

/// One subscriber's planned action.
enum Plan {
    Skip(UserId, RuleSkip),
    Confirm(UserId, Lamports),
    Buy(UserId, SubscriptionSettings),
}

impl Plan {
    fn buyer(&self) -> Option<UserId> {
        if let Self::Buy(user, _) = self { Some(*user) } else { None }
    }
}

/// One subscriber's result.
enum Done {
    Executed,
    Refused,
    Duplicate,
    Skipped,
    Confirm,
}

impl Connector {
    /// A connector over `trading`.
    pub fn new(services: AlertServices, trading: Trading) -> Self {
        Self { services, ports: trading.connector_ports(), trading }
    }

    /// Handles one post end to end.
    ///
    /// # Errors
    /// Storage failures.
    #[tracing::instrument(skip_all, fields(chat_id = post.chat_id, message_id = post.message_id))]
    pub async fn handle_post(&self, post: &IncomingPost) -> Result<PostOutcome, RepoError> {
        let outcome = self.route(post).await;
        let label = match &outcome {
            Ok(PostOutcome::NotASource) => "not_a_source",
            Ok(PostOutcome::Skipped(_)) => "skipped",
            Ok(PostOutcome::Repeat) => "repeat",
            Ok(PostOutcome::Dispatched(_)) => "dispatched",
            Err(_) => "error",
        };
        self.services.latency.alert_post(label);
        outcome
    }

    async fn route(&self, post: &IncomingPost) -> Result<PostOutcome, RepoError> {
        let repo = &self.services.repo;
        let Some(source) = repo.source_by_chat(post.chat_id).await?.filter(|s| s.enabled) else {
            return Ok(PostOutcome::NotASource);
        };
        let view = Post { text: &post.text, entities: &post.entities, button_urls: &post.button_urls };
        let parsed = alert::parse(source.kind, &view);
        let key = alert::alert_key(post.chat_id, post.message_id);
        let subscribers = if parsed.is_ok() { repo.subscribers(source.id).await? } else { Vec::new() };
        // Stale for everyone (a backlog after downtime): stored with the reason, never traded.
        let now = self.ports.clock.now_ms();
        let stale = parsed.is_ok() && too_old_for_all(&subscribers, post.posted_at_ms, now);
        let record = NewAlert {
            alert_key: key.clone(),
            source_id: source.id,
            mint: parsed.as_ref().ok().map(|p| p.mint.to_string()),
            parsed: match &parsed {
                Ok(p) if stale => {
                    let mut v = serde_json::from_str::<serde_json::Value>(&p.to_json()).unwrap_or_default();
                    v["skip"] = serde_json::json!(SkipReason::Stale.code());
                    v.to_string()
                }
                Ok(p) => p.to_json(),
                Err(r) => serde_json::json!({ "skip": r.code() }).to_string(),
            },
            received_at_ms: post.received_at_ms,
            posted_at_ms: post.posted_at_ms,
        };
        let inserted = repo.record_alert(&record).await?;
        let parsed = match parsed {
            Ok(_) if stale => {
                let age_s = freshness::age_ms(post.posted_at_ms, now) / 1_000;
                tracing::info!(source = %source.name, age_s, "stale alert post stored, not traded");
                return Ok(PostOutcome::Skipped(SkipReason::Stale));
            }
            Ok(p) => p,
            Err(reason) => {
                tracing::info!(source = %source.name, reason = reason.code(), "alert post skipped");
                return Ok(PostOutcome::Skipped(reason));
            }
        };
        let admitted = match self.services.dedupe.lock() {
            Ok(mut f) => f.admit(source.id, parsed.mint, post.received_at_ms),
            Err(poisoned) => poisoned.into_inner().admit(source.id, parsed.mint, post.received_at_ms),
        };
        if !admitted {
            tracing::info!(source = %source.name, mint = %parsed.mint, "repeat call ignored");
            return Ok(PostOutcome::Repeat);
        }
        let alert_id = match inserted {
            AlertInsert::New(id) | AlertInsert::Duplicate(id) => id,
        };
        repo.touch_source(source.id, post.received_at_ms).await?;
        let call = Call {
            alert_id,
            alert_key: &key,
            parsed: &parsed,
            received_at_ms: post.received_at_ms,
            posted_at_ms: post.posted_at_ms,
        };
        let report = self.fan_out_to(&source, &call, subscribers).await?;
        Ok(PostOutcome::Dispatched(report))
    }

    /// Runs one parsed alert for every enabled subscriber of `source`.
    ///
    /// # Errors
    /// Storage failures while loading subscribers (per-user storage failures are logged).
    pub async fn fan_out(&self, source: &AlertSource, call: &Call<'_>) -> Result<FanOutReport, RepoError> {
        let subscribers = self.services.repo.subscribers(source.id).await?;
        self.fan_out_to(source, call, subscribers).await
    }

    /// Runs one call for these subscribers (copy trading passes a leader's followers, each with
    /// the size copy sizing chose).
    ///
    /// # Errors
    /// Storage failures (per-user storage failures are logged).
    pub async fn fan_out_to(
        &self,
        source: &AlertSource,
        call: &Call<'_>,
        subscribers: Vec<Subscriber>,
    ) -> Result<FanOutReport, RepoError> {
        let mut report =
            FanOutReport { alert_id: call.alert_id, subscribers: subscribers.len(), ..FanOutReport::default() };
        if subscribers.is_empty() {
            return Ok(report);
        }
        let now = self.ports.clock.now_ms();
        let buys_today = self.services.repo.alert_buys_since(crate::app::livetrade::utc_day_start_ms(now)).await?;
        // The token's safety facts, read once for everybody, concurrently with the market.
        let (market, safety) =
            tokio::join!(self.market(call.parsed.mint, &subscribers), self.trading.safety().read(&call.parsed.mint));
        let receipt_price = market.as_ref().ok().map(|(_, quote)| quote.price);
        if let Some(price) = receipt_price {
            self.services.repo.set_receipt_price(call.alert_id, price).await?;
        }
        let view = market.as_ref().map(|(v, _)| v).map_err(String::as_str);
        let plans = plan(&subscribers, view, &buys_today, now, call.posted_at_ms);
        let mint = call.parsed.mint.to_string();
        let pool = self.services.settings.pool.max(1);
        let buyers: Vec<UserId> = plans.iter().filter_map(Plan::buyer).collect();
        // Read once for every buyer: priority fee, default wallets, holders, and the token's
        // round trip (simulated buy + sell, cached per mint) paid by the first buyer's wallet.
        let (shared, safety) = match &market {
            Ok((_, quote)) if !buyers.is_empty() => self.shared_inputs(&buyers, quote, safety).await,
            _ => (SharedInputs::default(), safety),
        };
        // Safety rules per subscriber (user rules + source overrides): a refused token creates
        // no intent; each subscriber is told the rule.
        let plans = self.safety_gate(plans, &subscribers, safety.as_deref()).await;
        let token = Token { mint: &mint, receipt_price, safety };
        let (buys, others): (Vec<Plan>, Vec<Plan>) = plans.into_iter().partition(|p| matches!(p, Plan::Buy(..)));
        // Buyers first: skip reasons and confirm cards only queue messages.
        let mut results: Vec<Done> = Vec::with_capacity(subscribers.len());
        if let Ok((_, quote)) = &market
            && !buys.is_empty()
        {
            // Buyers in chunks of one `getMultipleAccounts` call: each chunk trades as soon as
            // its own wallets are read, so the first buy leaves after the market read and one
            // wallet read, not after every subscriber's.
            let mut chunks: Vec<Vec<Plan>> = Vec::new();
            let mut buys = buys.into_iter().peekable();
            while buys.peek().is_some() {
                chunks.push(buys.by_ref().take(WALLETS_PER_READ).collect());
            }
            let per_chunk = futures::stream::iter(chunks)
                .map(|chunk| {
                    let (shared, token) = (&shared, &token);
                    async move {
                        let users: Vec<UserId> = chunk.iter().filter_map(Plan::buyer).collect();
                        let mut pre = self.prefetch(&users, quote, shared, token.safety.clone()).await;
                        futures::stream::iter(chunk)
                            .map(|p| {
                                let pre = p.buyer().and_then(|u| pre.remove(&u));
                                self.run_plan(p, source, call, token, pre)
                            })
                            .buffer_unordered(pool)
                            .collect::<Vec<Done>>()
                            .await
                    }
                })
                .buffer_unordered(CHUNKS_IN_FLIGHT)
                .collect::<Vec<Vec<Done>>>()
                .await;
            results.extend(per_chunk.into_iter().flatten());
        } else {
            let buys: Vec<Done> = futures::stream::iter(buys)
                .map(|p| self.run_plan(p, source, call, &token, None))
                .buffer_unordered(pool)
                .collect()
                .await;
            results.extend(buys);
        }
        let rest: Vec<Done> = futures::stream::iter(others)
            .map(|p| self.run_plan(p, source, call, &token, None))
            .buffer_unordered(pool)
            .collect()
            .await;
        results.extend(rest);
        for r in results {
            match r {
                Done::Executed => report.executed += 1,
                Done::Refused => report.refused += 1,
                Done::Duplicate => report.duplicates += 1,
                Done::Skipped => report.rule_skips += 1,
                Done::Confirm => report.confirm_cards += 1,
            }
        }
        tracing::info!(source = %source.name, %mint, ?report, "alert fanned out");
        Ok(report)
    }

    /// One quote shared by every subscriber, at the largest subscription size: the market rules
    /// (market cap, liquidity, impact), the price at receipt (the drift reference) and the venue
    /// state every subscriber's buy is requoted from.
    async fn market(&self, mint: Pubkey, subs: &[Subscriber]) -> Result<(MarketView, Arc<Quote>), String> {
        let Some(size) = subs.iter().map(|s| s.settings.buy).max() else {
            return Err("venue.unavailable".to_owned());
        };
        let req = QuoteRequest { mint, side: Side::Buy, amount_in: size.0, slippage: Bps(0) };
        match self.ports.swapper.quote(&req).await {
            Ok(q) => Ok((
                MarketView {
                    market_cap: q.market_cap,
                    liquidity: q.liquidity,
                    price_impact: q.price_impact,
                    quoted: size,
                },
                Arc::new(q),
            )),
            Err(e) => Err(crate::app::trade::venue_failure(&e).code()),
        }
    }

    async fn run_plan(
        &self,
        plan: Plan,
        source: &AlertSource,
        call: &Call<'_>,
        token: &Token<'_>,
        prefetched: Option<Prefetched>,
    ) -> Done {
        let (mint, receipt_price, safety) = (token.mint, token.receipt_price, token.safety.clone());
        let notifier = &self.ports.notifier;
        match plan {
            Plan::Skip(user, skip) => {
                let notice = skip_notice(mint, &source.name, &skip);
                notifier.notify(user, notice).await;
                Done::Skipped
            }
            Plan::Confirm(user, sol) => {
                let notice = TradeNotice::AlertConfirm {
                    mint: mint.to_owned(),
                    source: source.name.clone(),
                    sol,
                    alert_id: call.alert_id,
                    safety,
                };
                notifier.notify(user, notice).await;
                Done::Confirm
            }
            Plan::Buy(user, settings) => {
                let mut req = self.request(user, &settings, source, call, receipt_price).await;
                req.prefetched = prefetched;
                self.execute(req).await
            }
        }
    }

    /// The user's channel subscriptions and their settings (per-source rules such as the
    /// dev-sell exit are read from them).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn subscriptions_of(
        &self,
        user: UserId,
    ) -> Result<Vec<(crate::ports::alerts::AlertSource, SubscriptionSettings)>, crate::ports::RepoError> {
        self.services.repo.subscriptions_of(user).await
    }

    async fn request(
        &self,
        user: UserId,
        settings: &SubscriptionSettings,
        source: &AlertSource,
        call: &Call<'_>,
        receipt_price: Option<Decimal>,
    ) -> TradeRequest {
        let parsed = call.parsed;
        let signal = parsed.signal.as_ref().filter(|s| s.stop_loss_bps.is_some() || !s.take_profit.is_empty());
        let exit_rules = if signal.is_some() || settings.overrides_exits() {
            match self.ports.users.config(user).await {
                Ok(config) => Some(rules::exit_rules(&ExitRules::from_config(&config), signal, settings)),
                Err(e) => {
                    tracing::error!(user_id = user.0, error.message = %e, "config load failed; default exits");
                    None
                }
            }
        } else {
            None
        };
        let entry = parsed.signal.as_ref().and_then(|s| s.entry);
        let price_guard = freshness::reference_price(entry, receipt_price)
            .map(|reference| PriceGuard { reference, max_drift_bps: settings.max_drift_bps });
        TradeRequest {
            user,
            mint: parsed.mint,
            side: Side::Buy,
            amount: TradeAmount::Sol(settings.buy),
            position_id: None,
            origin: IntentOrigin::Alert,
            key: IdempotencyKey::alert(user, call.alert_key),
            alert_id: Some(call.alert_key.to_owned()),
            received_at_ms: Some(call.received_at_ms),
            exit_rules,
            source: Some(format!("alert:{}", source.name)),
            slippage: None,
            price_guard,
            resume: false,
            prefetched: None,
            safety_overrides: settings.safety,
            exit_reason: None,
        }
    }

    /// What every buyer of an alert shares, read once: the mint's priority fee, every buyer's
    /// default wallet (storage, in a few reads) and which buyers hold a live position in the
    /// mint (only their token accounts are read: anyone else's buy creates the account
    /// idempotently, and a paper position has no token account). Then the token's round trip
    /// (simulated buy + sell, cached per mint), paid by the first buyer's wallet, so the safety
    /// rules are decided before the first buy.
    async fn shared_inputs(
        &self,
        buyers: &[UserId],
        market: &Arc<Quote>,
        safety: Option<Arc<TokenSafety>>,
    ) -> (SharedInputs, Option<Arc<TokenSafety>>) {
        let mints = [market.request.mint];
        let mint_text = mints[0].to_string();
        let (priority_fee, wallets, holders) = tokio::join!(
            self.ports.chain.priority_fee_estimate(&mints),
            self.ports.signer.default_wallets(buyers),
            self.ports.positions.live_holders(&mint_text),
        );
        let wallets = wallets.unwrap_or_else(|e| {
            tracing::warn!(error.message = %e, "default wallet lookup failed; buyers read their own");
            HashMap::new()
        });
        let holders = holders.unwrap_or_else(|e| {
            tracing::warn!(error.message = %e, "holder lookup failed; reading every token account");
            buyers.iter().copied().collect()
        });
        let payer = buyers.iter().find_map(|u| wallets.get(u)).map(|(_, owner)| *owner);
        let safety = match (safety, payer) {
            (Some(s), Some(payer)) if s.round_trip.is_none() => {
                Some(self.trading.safety().with_round_trip(s, market, payer).await)
            }
            (s, _) => s,
        };
        (SharedInputs { priority_fee: priority_fee.ok(), wallets, holders }, safety)
    }

    /// One `getMultipleAccounts` read for a chunk of buyers: each wallet's SOL and, for holders,
    /// its token account. Buyers without a wallet get the shared market only; a failed read
    /// leaves the chunk on the normal path (each trade reads for itself).
    async fn prefetch(
        &self,
        buyers: &[UserId],
        market: &Arc<Quote>,
        shared: &SharedInputs,
        safety: Option<Arc<TokenSafety>>,
    ) -> HashMap<UserId, Prefetched> {
        let mint = market.request.mint;
        let none = Prefetched { market: market.clone(), priority_fee: shared.priority_fee, wallet: None, safety };
        let mut out = HashMap::with_capacity(buyers.len());
        let mut keys = Vec::with_capacity(buyers.len());
        let mut wallets = Vec::with_capacity(buyers.len());
        for user in buyers {
            let Some((id, owner)) = shared.wallets.get(user) else {
                out.insert(*user, none.clone());
                continue;
            };
            keys.push(*owner);
            let sol_at = keys.len() - 1;
            let ata_at = shared.holders.contains(user).then(|| {
                keys.push(AtaSpec { owner: *owner, mint, token_program: market.token_program }.address());
                keys.len() - 1
            });
            wallets.push((*user, *id, *owner, sol_at, ata_at));
        }
        if keys.is_empty() {
            return out;
        }
        let accounts = match self.ports.chain.accounts(&keys).await {
            Ok(a) if a.len() == keys.len() => a,
            Ok(_) | Err(_) => return HashMap::new(),
        };
        for (user, id, owner, sol_at, ata_at) in wallets {
            let lamports = accounts[sol_at].as_ref().map_or(Lamports::ZERO, |a| a.lamports);
            let token_account = ata_at.and_then(|i| accounts[i].clone());
            let wallet = PrefetchedWallet { id, owner, lamports, token_account };
            out.insert(user, Prefetched { wallet: Some(wallet), ..none.clone() });
        }
        out
    }

    /// Turns the buys and confirm cards of subscribers whose safety rules refuse the token into
    /// skips naming the rule. A subscriber's rules are read only when the token is not clean.
    async fn safety_gate(&self, plans: Vec<Plan>, subs: &[Subscriber], safety: Option<&TokenSafety>) -> Vec<Plan> {
        let clean = safety.is_some_and(|s| classify(s).iter().all(|(_, level)| *level == Level::Ok));
        if clean {
            return plans;
        }
        let overrides: HashMap<UserId, SafetyOverrides> = subs.iter().map(|s| (s.user, s.settings.safety)).collect();
        let mut out = Vec::with_capacity(plans.len());
        for plan in plans {
            let user = match &plan {
                Plan::Buy(user, _) | Plan::Confirm(user, _) => *user,
                Plan::Skip(..) => {
                    out.push(plan);
                    continue;
                }
            };
            let rules = match self.ports.users.config(user).await {
                Ok(config) => config.safety,
                Err(e) => {
                    // The trading core reads the config again and decides; nothing is skipped here.
                    tracing::warn!(user_id = user.0, error.message = %e, "config load failed; safety decided by the core");
                    out.push(plan);
                    continue;
                }
            };
            let rules = rules.with(&overrides.get(&user).copied().unwrap_or_default());
            match evaluate(safety, &rules) {
                Err(refusal) => out.push(Plan::Skip(user, RuleSkip::Safety(refusal))),
                Ok(()) => out.push(plan),
            }
        }
        out
    }

    async fn execute(&self, req: TradeRequest) -> Done {
        let received = req.received_at_ms;
        let user = req.user;
        match self.trading.execute(req).await {
            Ok(TradeOutcome::Filled { mode, sent_at_ms, .. }) => {
                self.record_latency(received, sent_at_ms, if mode == TradeMode::Paper { "paper" } else { "live" });
                Done::Executed
            }
            Ok(TradeOutcome::Pending { sent_at_ms, .. }) => {
                self.record_latency(received, sent_at_ms, "live");
                Done::Executed
            }
            Ok(TradeOutcome::Duplicate { .. }) => Done::Duplicate,
            Ok(TradeOutcome::Refused { .. } | TradeOutcome::Failed { .. }) => Done::Refused,
            Err(e) => {
                tracing::error!(user_id = user.0, error.message = %e, "alert trade failed on storage");
                Done::Refused
            }
        }
    }

    /// Alert received → transaction handed to the chain (live) or simulated (paper).
    fn record_latency(&self, received_at_ms: Option<i64>, sent_at_ms: Option<i64>, mode: &str) {
        if let Some(at) = received_at_ms {
            let sent = sent_at_ms.unwrap_or_else(|| self.ports.clock.now_ms());
            let ms = sent.saturating_sub(at).max(0);
            #[allow(clippy::cast_precision_loss)]
            self.services.latency.alert_trade_latency(ms as f64 / 1_000.0, mode);
        }
    }

    /// A confirm-card "buy" press: buys with the subscription's current size and the same
    /// idempotency key as an automatic buy, so a second press (or an auto buy) is a duplicate.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn confirm(&self, user: UserId, alert_id: i64) -> Result<ConfirmOutcome, RepoError> {
        let repo = &self.services.repo;
        let Some(stored) = repo.alert(alert_id).await? else {
            return Ok(ConfirmOutcome::Stale);
        };
        let now = self.ports.clock.now_ms();
        if now.saturating_sub(stored.new.received_at_ms) > self.services.settings.confirm_ttl_ms {
            return Ok(ConfirmOutcome::Stale);
        }
        let Some((source, settings, parsed)) = self.stored_call(user, &stored).await? else {
            return Ok(ConfirmOutcome::Stale);
        };
        let call = Call::from_stored(&stored, &parsed);
        let req = self.request(user, &settings, &source, &call, stored.receipt_price).await;
        let outcome = self.trading.execute(req).await.map_err(|e| match e {
            crate::app::trade::TradeError::Repo(r) => r,
        })?;
        Ok(ConfirmOutcome::Started(Box::new(outcome)))
    }

    /// The source, the user's subscription and the parsed call behind a stored alert.
    async fn stored_call(
        &self,
        user: UserId,
        stored: &StoredAlert,
    ) -> Result<Option<(AlertSource, SubscriptionSettings, ParsedAlert)>, RepoError> {
        let repo = &self.services.repo;
        let Some(parsed) = parsed_from_json(&stored.new.parsed) else {
            return Ok(None);
        };
        let Some(settings) = repo.subscription(user, stored.new.source_id).await? else {
            return Ok(None);
        };
        let Some(source) = repo.sources().await?.into_iter().find(|s| s.id == stored.new.source_id) else {
            return Ok(None);
        };
        Ok(Some((source, settings, parsed)))
    }

    /// Alert buys a crash interrupted before signing (from recovery): resumed while the post is
    /// within the subscription's `max_age`, otherwise failed as stale. Either way the user hears
    /// once: the buy's own notice, or the stale refusal.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn resume(&self, intents: Vec<Intent>) -> Result<ResumeReport, RepoError> {
        let mut report = ResumeReport::default();
        for intent in intents {
            let user = intent.new.user;
            let now = self.ports.clock.now_ms();
            let stored = match &intent.new.alert_id {
                Some(key) => self.services.repo.alert_by_key(key).await?,
                None => None,
            };
            let call = match &stored {
                Some(stored) => self.stored_call(user, stored).await?,
                None => None,
            };
            let fresh = match (&stored, &call) {
                (Some(stored), Some((_, settings, _))) => {
                    freshness::check_age(stored.new.posted_at_ms, now, settings.freshness()).is_ok()
                }
                _ => false,
            };
            if let (true, Some(stored), Some((source, settings, parsed))) = (fresh, &stored, &call) {
                let call = Call::from_stored(stored, parsed);
                let mut req = self.request(user, settings, source, &call, stored.receipt_price).await;
                req.resume = true;
                report.resumed += 1;
                self.execute(req).await;
                continue;
            }
            let reason = TradeFailure::Stale;
            let ports = &self.ports;
            if ports
                .intents
                .transition(intent.id, IntentState::Pending, IntentState::Failed, Some(&reason.code()))
                .await?
            {
                let notice = TradeNotice::Refused { mint: intent.new.mint.clone(), reason };
                ports.notifier.notify(user, notice).await;
            }
            report.stale += 1;
        }
        if report.resumed + report.stale > 0 {
            tracing::info!(?report, "interrupted alert buys resumed or failed as stale");
        }
        Ok(report)
    }
}

/// What [`Connector::resume`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResumeReport {
    /// Handed back to the trading core.
    pub resumed: usize,
    /// Too old (or no longer subscribed): failed as stale.
    pub stale: usize,
}

/// One call (a parsed alert post) being fanned out.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// Stored alert row id.
    pub alert_id: i64,
    /// Source chat + message id.
    pub alert_key: &'a str,
    /// The parsed post.
    pub parsed: &'a ParsedAlert,
    /// When we received it (unix ms).
    pub received_at_ms: i64,
    /// When it was posted (unix ms).
    pub posted_at_ms: i64,
}

impl<'a> Call<'a> {
    fn from_stored(stored: &'a StoredAlert, parsed: &'a ParsedAlert) -> Self {
        Self {
            alert_id: stored.id,
            alert_key: &stored.new.alert_key,
            parsed,
            received_at_ms: stored.new.received_at_ms,
            posted_at_ms: stored.new.posted_at_ms,
        }
    }
}

/// Whether a post is older than every subscriber's `max_age` (none has it off).
/// Buyers whose wallets one `getMultipleAccounts` call reads (100 keys per call).
const WALLETS_PER_READ: usize = 100;
/// Chunks of buyers reading and trading at once (the RPC limiter paces the reads).
const CHUNKS_IN_FLIGHT: usize = 4;

/// Read once per alert, shared by every buyer.
#[derive(Default)]
struct SharedInputs {
    priority_fee: Option<u64>,
    wallets: HashMap<UserId, (i64, Pubkey)>,
    holders: std::collections::HashSet<UserId>,
}

fn too_old_for_all(subscribers: &[Subscriber], posted_at_ms: i64, now_ms: i64) -> bool {
    !subscribers.is_empty()
        && subscribers.iter().all(|s| freshness::check_age(posted_at_ms, now_ms, s.settings.freshness()).is_err())
}

/// Rule matching for every subscriber (pure; the benchmark measures it).
pub fn plan_all(
    subscribers: &[Subscriber],
    market: Result<&MarketView, &str>,
    buys_today: &std::collections::HashMap<UserId, u32>,
    now_ms: i64,
) -> Vec<Result<(UserId, AlertMode), (UserId, RuleSkip)>> {
    subscribers
        .iter()
        .map(|s| {
            let today = buys_today.get(&s.user).copied().unwrap_or(0);
            match rules::check(&s.settings, market, today, now_ms) {
                Ok(()) => Ok((s.user, s.settings.mode)),
                Err(skip) => Err((s.user, skip)),
            }
        })
        .collect()
}

fn plan(
    subscribers: &[Subscriber],
    market: Result<&MarketView, &str>,
    buys_today: &std::collections::HashMap<UserId, u32>,
    now_ms: i64,
    posted_at_ms: i64,
) -> Vec<Plan> {
    plan_all(subscribers, market, buys_today, now_ms)
        .into_iter()
        .zip(subscribers)
        .map(|(r, s)| match r {
            _ if freshness::check_age(posted_at_ms, now_ms, s.settings.freshness()).is_err() => {
                Plan::Skip(s.user, RuleSkip::Stale { max_age_secs: s.settings.max_age_secs.unwrap_or_default() })
            }
            Err((user, skip)) => Plan::Skip(user, skip),
            Ok((user, AlertMode::Confirm)) => Plan::Confirm(user, s.settings.buy),
            Ok((user, AlertMode::Auto)) => Plan::Buy(user, s.settings.clone()),
        })
        .collect()
}

fn skip_notice(mint: &str, source: &str, skip: &RuleSkip) -> TradeNotice {
    let sol = |l: Lamports| l.to_sol().normalize().to_string();
    let (reason, limit) = match skip {
        RuleSkip::NoMarket(code) => (code.clone(), String::new()),
        RuleSkip::Safety(refusal) => (format!("safety.{}", refusal.rule()), refusal.detail()),
        RuleSkip::Stale { max_age_secs } => (format!("rule.{}", skip.code()), max_age_secs.to_string()),
        RuleSkip::Hours(h) => (format!("rule.{}", skip.code()), format!("{:02}-{:02}", h.start, h.end)),
        RuleSkip::DailyCap(n) => (format!("rule.{}", skip.code()), n.to_string()),
        RuleSkip::MarketCap { max } => (format!("rule.{}", skip.code()), sol(*max)),
        RuleSkip::Liquidity { min } => (format!("rule.{}", skip.code()), sol(*min)),
        RuleSkip::PriceImpact { max } => {
            let pct = rust_decimal::Decimal::from(max.0) / rust_decimal::Decimal::from(100);
            (format!("rule.{}", skip.code()), pct.normalize().to_string())
        }
    };
    TradeNotice::AlertSkipped { mint: mint.to_owned(), source: source.to_owned(), reason, limit }
}

/// Reads back a stored parsed alert (`ParsedAlert::to_json`).
pub fn parsed_from_json(text: &str) -> Option<ParsedAlert> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let kind = AlertKind::from_code(v.get("kind")?.as_str()?)?;
    let mint = Pubkey::from_str(v.get("mint")?.as_str()?).ok()?;
    let signal = match v.get("signal") {
        Some(s) if !s.is_null() => Some(serde_json::from_value::<SignalLevels>(s.clone()).ok()?),
        _ => None,
    };
    Some(ParsedAlert { kind, mint, signal })
}
