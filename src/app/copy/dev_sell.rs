//! The dev-sell exit: every open position on a Pump.fun coin whose rule is on (the source's
//! `dev_sell` — a followed leader's or a subscribed channel's —, else the user's `/copy devsell`) has its coin's creator watched on the same
//! socket as the leaders; a creator sell of at least the rule's share sells the rule's share of
//! the position through the trading core, once per position (`p<id>:exit:dev_sell:0`).

use std::collections::{BTreeSet, HashMap};

use solana_pubkey::Pubkey;

use super::{CopyService, position_label};
use crate::app::monitor::escalate;
use crate::app::trade::{TradeAmount, TradeOutcome, TradeRequest};
use crate::domain::alert::rules::Override;
use crate::domain::copy::{DevSellRule, LeaderTrade, effective_dev_sell};
use crate::domain::exit::ExitReason;
use crate::domain::intent::{IdempotencyKey, IntentOrigin};
use crate::domain::user::UserId;
use crate::ports::{PositionRecord, RepoError};
use crate::venues::pumpfun::accounts::BondingCurve;
use crate::venues::pumpfun::pda::bonding_curve;

/// Accounts per `getMultipleAccounts`.
const ACCOUNTS_PER_READ: usize = 100;

impl CopyService {
    /// `/copy devsell X:Y|off`: the user's rule (positions whose source does not override it).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn set_dev_sell(&self, user: UserId, rule: Option<DevSellRule>) -> Result<(), RepoError> {
        self.repo.set_dev_sell(user, rule).await?;
        self.refresh_creators().await.map(|_| ())
    }

    /// The rule in force for every open position: `(position, rule)` for those with one on.
    /// A position's source (a followed leader or a subscribed channel) may override the user's
    /// rule (`/copy set <name> dev_sell=…`, `/alerts set <source> dev_sell=…`).
    async fn positions_with_rule(&self) -> Result<Vec<(PositionRecord, DevSellRule)>, RepoError> {
        let users: HashMap<UserId, DevSellRule> = self.repo.dev_sell_users().await?.into_iter().collect();
        let positions = self.trading.ports().positions.all_open_positions().await?;
        // Each holder's per-source overrides, read once per holder.
        let mut sources: HashMap<UserId, HashMap<String, Override<DevSellRule>>> = HashMap::new();
        let mut out = Vec::new();
        for p in positions {
            let source_rule = match p.source.as_deref().filter(|s| s.starts_with("alert:")) {
                Some(label) => {
                    if let std::collections::hash_map::Entry::Vacant(e) = sources.entry(p.user) {
                        e.insert(self.source_rules(p.user).await?);
                    }
                    sources.get(&p.user).and_then(|by_label| by_label.get(label)).cloned()
                }
                None => None,
            };
            if let Some(rule) = effective_dev_sell(source_rule.as_ref(), users.get(&p.user).copied()) {
                out.push((p, rule));
            }
        }
        Ok(out)
    }

    /// The user's dev-sell overrides by position source label: each followed leader
    /// (`alert:copy:<name>`) and each subscribed channel (`alert:<name>`).
    async fn source_rules(&self, user: UserId) -> Result<HashMap<String, Override<DevSellRule>>, RepoError> {
        let mut out: HashMap<String, Override<DevSellRule>> = self
            .repo
            .follows(user)
            .await?
            .into_iter()
            .map(|f| (position_label(&f.name), f.settings.rules.dev_sell))
            .collect();
        for (source, settings) in self.connector.subscriptions_of(user).await? {
            out.insert(format!("alert:{}", source.name), settings.dev_sell);
        }
        Ok(out)
    }

    /// Re-reads which creators to watch: the creators of the coins of open positions whose
    /// dev-sell rule is on (each coin's bonding curve read once, in batches). Returns how many.
    ///
    /// # Errors
    /// Storage failures; chain failures leave unresolved coins for the next refresh.
    pub async fn refresh_creators(&self) -> Result<usize, RepoError> {
        let mints: BTreeSet<String> = self.positions_with_rule().await?.into_iter().map(|(p, _)| p.mint).collect();
        let known: HashMap<String, Pubkey> = {
            let sets = match self.sets.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            sets.creator_of.clone()
        };
        let unknown: Vec<(String, Pubkey)> = mints
            .iter()
            .filter(|m| !known.contains_key(*m))
            .filter_map(|m| m.parse::<Pubkey>().ok().map(|k| (m.clone(), k)))
            .collect();
        let mut resolved = HashMap::new();
        for chunk in unknown.chunks(ACCOUNTS_PER_READ) {
            let keys: Vec<Pubkey> = chunk.iter().map(|(_, mint)| bonding_curve(mint)).collect();
            match self.trading.ports().chain.accounts(&keys).await {
                Ok(accounts) => {
                    for ((text, _), account) in chunk.iter().zip(accounts) {
                        if let Some(curve) = account.and_then(|a| BondingCurve::decode(&a.data).ok()) {
                            resolved.insert(text.clone(), curve.creator);
                        }
                    }
                }
                Err(e) => tracing::warn!(error.message = %e, "bonding curves unavailable; creators resolved later"),
            }
        }
        let mut count = 0;
        self.with_sets(|s| {
            s.creator_of.extend(resolved);
            s.creators = mints.iter().filter_map(|m| s.creator_of.get(m).copied()).collect();
            count = s.creators.len();
        });
        Ok(count)
    }

    /// A watched creator's trade: sells the rule's share of every open position in that coin
    /// whose rule fires. Returns the sells handed to the trading core.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn on_creator_trade(&self, trade: &LeaderTrade) -> Result<usize, RepoError> {
        let mint = trade.mint.to_string();
        let is_creator = {
            let sets = match self.sets.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            sets.creator_of.get(&mint) == Some(&trade.leader)
        };
        if !is_creator {
            return Ok(0);
        }
        let mut sells = 0;
        for (p, rule) in self.positions_with_rule().await?.into_iter().filter(|(p, _)| p.mint == mint) {
            let Some(pct) = rule.fires(trade) else { continue };
            let base = self.trading.ports().users.config(p.user).await?.slippage;
            self.dev_sell(&p, trade, pct, base).await;
            sells += 1;
        }
        if sells > 0 {
            tracing::info!(creator = %trade.leader, %mint, sells, signature = %trade.signature, "dev-sell exits fired");
        }
        Ok(sells)
    }

    /// Sells `pct` % of one position for a creator's sell: up to `DEV_SELL_ATTEMPTS` times with
    /// escalating slippage while the sell fails on chain (each attempt its own key, so a
    /// replayed creator trade adds nothing); a refusal (position closed, another sell running)
    /// or an unknown outcome ends it.
    async fn dev_sell(&self, p: &PositionRecord, trade: &LeaderTrade, pct: u8, base: crate::domain::money::Bps) {
        for attempt in 0..DEV_SELL_ATTEMPTS {
            let key = IdempotencyKey::exit(p.id, "dev_sell", attempt);
            let mut req = TradeRequest::sell(p.user, trade.mint, Some(p.id), TradeAmount::PercentOfPosition(pct), key);
            req.origin = IntentOrigin::Exit;
            req.exit_reason = Some(ExitReason::DevSell { sold_bps: trade.sold_share_bps() });
            req.slippage = Some(escalate(base, attempt + 1));
            match self.trading.execute(req).await {
                Ok(TradeOutcome::Failed { .. }) => {}
                Ok(_) => return,
                Err(e) => {
                    tracing::error!(user_id = p.user.0, error.message = %e, "dev-sell exit failed on storage");
                    return;
                }
            }
        }
        tracing::warn!(user_id = p.user.0, position_id = p.id, "dev-sell exit failed after every attempt");
    }
}

/// Attempts per dev-sell exit (slippage escalates each time).
const DEV_SELL_ATTEMPTS: u32 = 4;
