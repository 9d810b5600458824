//! The home screen and typed-in answers to prompts.
//!
//! The home screen reads the user's default wallet (creating the first one when custody is
//! configured and the user has none), its SOL balance (one RPC call; `None` when the chain does
//! not answer, the screen still renders), the paper/live mode and today's numbers.
//!
//! A prompt ("send the SOL amount") is stored per user before it is shown; the next private
//! message claims it (see [`PromptRepo::claim_prompt`]).

use std::sync::Arc;

use solana_pubkey::Pubkey;

use super::livetrade::LiveTrade;
use super::wallet::{WalletError, Wallets};
use crate::domain::money::Lamports;
use crate::domain::user::UserId;
use crate::domain::user_config::{ConfigKey, UserConfig};
use crate::ports::{Clock, PendingInput, PromptRepo, RepoError, TradingSummary};

/// How long a prompt waits for its answer.
pub const PROMPT_TTL_MS: i64 = 10 * 60 * 1000;

/// What the home screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeView {
    /// The default wallet's address.
    pub wallet: Option<String>,
    /// Its SOL balance (`None`: no wallet, or the chain did not answer).
    pub sol: Option<Lamports>,
    /// Whether this call created the wallet.
    pub created_wallet: bool,
    /// Whether custody is configured (wallets can exist).
    pub custody: bool,
    /// The user's settings.
    pub config: UserConfig,
    /// Whether the whole bot runs in dry-run.
    pub global_dry_run: bool,
    /// Today's numbers.
    pub summary: TradingSummary,
    /// SOL/USD when known (USD is shown beside SOL).
    pub sol_usd: Option<rust_decimal::Decimal>,
}

impl HomeView {
    /// Whether trades are simulated (the user's or the bot's dry-run).
    pub fn paper(&self) -> bool {
        self.config.dry_run || self.global_dry_run
    }
}

/// The home use-case.
#[derive(Clone, Debug)]
pub struct Home {
    wallets: Wallets,
    livetrade: LiveTrade,
    usd: super::usd::UsdRates,
}

impl Home {
    /// Wires the use-case.
    pub fn new(wallets: Wallets, livetrade: LiveTrade, usd: super::usd::UsdRates) -> Self {
        Self { wallets, livetrade, usd }
    }

    /// The home screen. With `create_wallet`, a user without any wallet gets one (custody
    /// configured only); updates of one chat are processed in order, so two `/start`s cannot
    /// both create one.
    ///
    /// # Errors
    /// Storage or vault failures (a chain failure only blanks the balance).
    pub async fn view(&self, user: UserId, create_wallet: bool) -> Result<HomeView, WalletError> {
        let custody = self.wallets.is_configured();
        let mut created_wallet = false;
        let mut wallet = self.wallets.default_wallet(user).await?;
        if wallet.is_none() && custody && create_wallet && self.wallets.repo.list_wallets(user).await?.is_empty() {
            wallet = Some(self.wallets.add(user).await?);
            created_wallet = true;
        }
        let sol = match wallet.as_ref().and_then(|w| w.pubkey.parse::<Pubkey>().ok()) {
            Some(pk) => match self.wallets.chain.balance(&pk).await {
                Ok(l) => Some(l),
                Err(e) => {
                    tracing::warn!(error.message = %e, "home: balance unavailable");
                    None
                }
            },
            None => None,
        };
        let (summary, sol_usd) = tokio::join!(self.livetrade.summary(user), self.usd.sol_usd());
        let (config, summary) = summary?;
        Ok(HomeView {
            wallet: wallet.map(|w| w.pubkey),
            sol,
            created_wallet,
            custody,
            config,
            global_dry_run: self.livetrade.global_dry_run(),
            summary,
            sol_usd,
        })
    }

    /// Turns live trading on: enabled, dry-run off (refused settings change nothing).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn go_live(&self, user: UserId) -> Result<UserConfig, RepoError> {
        self.livetrade.set(user, ConfigKey::DryRun.name(), "off").await?;
        self.livetrade.set_enabled(user, true).await
    }

    /// Back to paper trading (enabled, dry-run on).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn go_paper(&self, user: UserId) -> Result<UserConfig, RepoError> {
        self.livetrade.set(user, ConfigKey::DryRun.name(), "on").await?;
        self.livetrade.set_enabled(user, true).await
    }
}

/// What a prompt's answer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// A SOL amount to buy of a mint.
    BuyAmount(Pubkey),
    /// A new value of a setting.
    Setting(ConfigKey),
    /// `<amount> <destination>` to withdraw from the default wallet.
    Withdraw,
}

impl PromptKind {
    /// The stored form.
    pub fn encode(&self) -> String {
        match self {
            Self::BuyAmount(mint) => format!("buy:{mint}"),
            Self::Setting(key) => format!("cfg:{}", key.name()),
            Self::Withdraw => "wd:".to_owned(),
        }
    }

    /// Parses the stored form (`None` for anything unknown).
    pub fn decode(text: &str) -> Option<Self> {
        let (kind, rest) = text.split_once(':')?;
        match kind {
            "buy" => rest.parse::<Pubkey>().ok().map(Self::BuyAmount),
            "cfg" => ConfigKey::parse(rest).map(Self::Setting),
            "wd" => Some(Self::Withdraw),
            _ => None,
        }
    }
}

/// The per-user prompts.
#[derive(Clone)]
pub struct Prompts {
    repo: Arc<dyn PromptRepo>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Prompts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prompts").finish_non_exhaustive()
    }
}

impl Prompts {
    /// Wires the use-case.
    pub fn new(repo: Arc<dyn PromptRepo>, clock: Arc<dyn Clock>) -> Self {
        Self { repo, clock }
    }

    /// Stores a prompt (replacing any earlier one); call before showing it.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn ask(&self, user: UserId, kind: PromptKind) -> Result<(), RepoError> {
        let now = self.clock.now_ms();
        self.repo.set_prompt(user, &kind.encode(), now, now.saturating_add(PROMPT_TTL_MS)).await
    }

    /// The live prompt message `message_id` answers, if any.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn answer(&self, user: UserId, message_id: i64) -> Result<Option<PromptKind>, RepoError> {
        let found: Option<PendingInput> = self.repo.claim_prompt(user, message_id, self.clock.now_ms()).await?;
        Ok(found.and_then(|p| PromptKind::decode(&p.kind)))
    }

    /// Cancels the user's prompt; whether a live one was waiting.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn cancel(&self, user: UserId) -> Result<bool, RepoError> {
        self.repo.clear_prompt(user, self.clock.now_ms()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_kinds_round_trip() {
        let mint = Pubkey::new_from_array([7; 32]);
        for kind in [PromptKind::BuyAmount(mint), PromptKind::Setting(ConfigKey::StopLossPct), PromptKind::Withdraw] {
            assert_eq!(PromptKind::decode(&kind.encode()), Some(kind));
        }
        assert_eq!(PromptKind::decode("buy:nope"), None);
        assert_eq!(PromptKind::decode("cfg:nope"), None);
        assert_eq!(PromptKind::decode("x"), None);
    }
}
