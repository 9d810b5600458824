//! Token safety: what a buyer must know about a mint before buying it, and the user's rules.
//!
//! Pure and synchronous. [`decode_mint`] reads a mint account (SPL Token or Token-2022 with its
//! extensions) with the official `spl-token-2022-interface` parser; the app layer adds holder
//! concentration, the creator's share, age, venue state and the round-trip (buy → sell)
//! simulation into a [`TokenSafety`]. [`classify`] turns the facts into ✅/⚠️/⛔ items for the
//! cards, and [`evaluate`] checks them against [`SafetyRules`] and names the rule that refuses.
//! Only entries (buys) are checked: sells are never blocked by safety rules.

use serde::{Deserialize, Serialize};
use solana_pubkey::Pubkey;
use spl_token_2022_interface::extension::{
    BaseStateWithExtensions, ExtensionType, StateWithExtensions, default_account_state::DefaultAccountState,
    mint_close_authority::MintCloseAuthority, pausable::PausableConfig, permanent_delegate::PermanentDelegate,
    transfer_fee::TransferFeeConfig, transfer_hook::TransferHook,
};

use super::money::Lamports;

/// Size of the base mint (SPL Token mints are exactly this long).
const BASE_MINT_LEN: usize = 82;

/// SPL Token program id.
pub const TOKEN_PROGRAM: Pubkey = spl_token_interface::ID;
/// Token-2022 program id.
pub const TOKEN_2022_PROGRAM: Pubkey = spl_token_2022_interface::ID;

/// The current transfer fee of a Token-2022 mint (the larger of the two scheduled fees: the
/// authority may have scheduled a raise for a coming epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferFeeFacts {
    /// Fee in basis points of every transfer.
    pub bps: u16,
    /// Cap per transfer, raw token units.
    pub maximum_fee: u64,
    /// Whether a fee authority can still change it.
    pub mutable: bool,
}

/// What the mint account says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintFacts {
    /// Token-2022 (else SPL Token).
    pub token_2022: bool,
    /// Who can mint more, if anyone.
    pub mint_authority: Option<Pubkey>,
    /// Who can freeze holders' accounts, if anyone.
    pub freeze_authority: Option<Pubkey>,
    /// Raw supply.
    pub supply: u64,
    /// Decimals.
    pub decimals: u8,
    /// TransferFeeConfig.
    pub transfer_fee: Option<TransferFeeFacts>,
    /// TransferHook: `Some(None)` = the extension with no program yet (an authority may set one).
    pub transfer_hook: Option<Option<Pubkey>>,
    /// PermanentDelegate (set).
    pub permanent_delegate: Option<Pubkey>,
    /// NonTransferable.
    pub non_transferable: bool,
    /// DefaultAccountState = Frozen.
    pub default_frozen: bool,
    /// Pausable: `Some(paused)`.
    pub pausable: Option<bool>,
    /// MintCloseAuthority (set).
    pub mint_close_authority: Option<Pubkey>,
    /// ScaledUiAmount.
    pub scaled_ui_amount: bool,
    /// ConfidentialTransferMint or ConfidentialMintBurn (balances or supply can be hidden).
    pub confidential: bool,
}

/// Why a mint account could not be read as a mint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MintDecodeError {
    /// Not owned by a token program.
    #[error("not owned by a token program")]
    NotATokenProgram,
    /// The bytes are not an initialized mint.
    #[error("not a mint")]
    NotAMint,
}

/// Decodes a mint account owned by `owner`. Never panics, whatever the bytes.
///
/// # Errors
/// [`MintDecodeError`] when the owner is not a token program or the data is not a mint.
pub fn decode_mint(owner: &Pubkey, data: &[u8]) -> Result<MintFacts, MintDecodeError> {
    use spl_token_2022_interface::state::Mint;
    // Both programs share the 82-byte base layout; the Token-2022 parser reads a plain SPL
    // Token mint as a mint without extensions, so one official parser serves both.
    let token_2022 = match *owner {
        TOKEN_PROGRAM => false,
        TOKEN_2022_PROGRAM => true,
        _ => return Err(MintDecodeError::NotATokenProgram),
    };
    if !token_2022 && data.len() != BASE_MINT_LEN {
        return Err(MintDecodeError::NotAMint);
    }
    let state = StateWithExtensions::<Mint>::unpack(data).map_err(|_| MintDecodeError::NotAMint)?;
    let base = &state.base;
    let mut facts = MintFacts {
        mint_authority: Option::from(base.mint_authority),
        freeze_authority: Option::from(base.freeze_authority),
        supply: base.supply,
        decimals: base.decimals,
        ..MintFacts::plain(token_2022)
    };
    let types = state.get_extension_types().map_err(|_| MintDecodeError::NotAMint)?;
    for ty in types {
        match ty {
            ExtensionType::TransferFeeConfig => {
                if let Ok(c) = state.get_extension::<TransferFeeConfig>() {
                    let (older, newer) = (&c.older_transfer_fee, &c.newer_transfer_fee);
                    let (ob, nb) =
                        (u16::from(older.transfer_fee_basis_points), u16::from(newer.transfer_fee_basis_points));
                    let fee = if nb >= ob { newer } else { older };
                    facts.transfer_fee = Some(TransferFeeFacts {
                        bps: ob.max(nb),
                        maximum_fee: u64::from(fee.maximum_fee),
                        mutable: c.transfer_fee_config_authority.get().is_some(),
                    });
                }
            }
            ExtensionType::TransferHook => {
                let program = state.get_extension::<TransferHook>().ok().and_then(|h| h.program_id.get());
                facts.transfer_hook = Some(program);
            }
            ExtensionType::PermanentDelegate => {
                facts.permanent_delegate =
                    state.get_extension::<PermanentDelegate>().ok().and_then(|d| d.delegate.get());
            }
            ExtensionType::NonTransferable => facts.non_transferable = true,
            ExtensionType::DefaultAccountState => {
                facts.default_frozen = state.get_extension::<DefaultAccountState>().is_ok_and(|d| d.state == 2);
            }
            ExtensionType::Pausable => {
                facts.pausable = Some(state.get_extension::<PausableConfig>().is_ok_and(|p| bool::from(p.paused)));
            }
            ExtensionType::MintCloseAuthority => {
                facts.mint_close_authority =
                    state.get_extension::<MintCloseAuthority>().ok().and_then(|c| c.close_authority.get());
            }
            ExtensionType::ScaledUiAmount => facts.scaled_ui_amount = true,
            ExtensionType::ConfidentialTransferMint | ExtensionType::ConfidentialMintBurn => facts.confidential = true,
            _ => {}
        }
    }
    Ok(facts)
}

impl MintFacts {
    fn plain(token_2022: bool) -> Self {
        Self {
            token_2022,
            mint_authority: None,
            freeze_authority: None,
            supply: 0,
            decimals: 0,
            transfer_fee: None,
            transfer_hook: None,
            permanent_delegate: None,
            non_transferable: false,
            default_frozen: false,
            pausable: None,
            mint_close_authority: None,
            scaled_ui_amount: false,
            confidential: false,
        }
    }
}

/// Where the token trades, as the safety read saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VenueFacts {
    /// A live Pump.fun bonding curve: progress to migration, basis points.
    Curve {
        /// 0..=10_000.
        progress_bps: u32,
    },
    /// An AMM pool (after migration).
    Pool {
        /// SOL in its quote vault (lamports), when read.
        quote_lamports: Option<u64>,
    },
    /// Neither found.
    #[default]
    Unknown,
}

/// The result of simulating a tiny buy followed by selling what it bought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoundTrip {
    /// Both legs succeeded in simulation.
    Sellable,
    /// The sell (or the buy) failed: the program's error.
    CannotSell(String),
}

/// Everything known about a mint's safety. Shared by every user (cached per mint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSafety {
    /// The mint account.
    pub mint: MintFacts,
    /// Share of supply in the 10 largest holder accounts, curve and pool vaults excluded (bps).
    pub top10_bps: Option<u32>,
    /// Share of supply the creator's wallet holds (bps).
    pub creator_bps: Option<u32>,
    /// Age in seconds (from the oldest transaction the chain shows for the mint), when known.
    pub age_secs: Option<u64>,
    /// `age_secs` is only a lower bound (the history read ended on a full page: the coin is at
    /// least that old).
    pub age_lower_bound: bool,
    /// Name, symbol and uri (Token-2022 `TokenMetadata` or Metaplex), when found.
    pub meta: Option<super::token_meta::TokenMeta>,
    /// Curve progress or pool.
    pub venue: VenueFacts,
    /// Round-trip simulation, when it ran.
    pub round_trip: Option<RoundTrip>,
}

/// Share of `part` in `whole`, basis points (0 when `whole` is 0).
pub fn share_bps(part: u64, whole: u64) -> u32 {
    if whole == 0 {
        return 0;
    }
    let bps = u128::from(part) * 10_000 / u128::from(whole);
    u32::try_from(bps.min(10_000)).unwrap_or(10_000)
}

/// How strict the safety rules are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SafetyLevel {
    /// Nothing refused (the card still shows the facts).
    Off,
    /// Refuses freeze authority, permanent delegate, transfer hooks, non-transferable, frozen
    /// default state, paused tokens and failed round trips. Missing data only warns.
    #[default]
    Normal,
    /// Also refuses mint authority, any transfer fee, concentrated holders (top 10 > 30 %),
    /// a creator holding > 10 %, an unverified round trip and missing safety data.
    Strict,
}

impl SafetyLevel {
    /// Stable code (settings syntax).
    pub fn code(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Normal => "normal",
            Self::Strict => "strict",
        }
    }

    /// Parses `off|normal|strict`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "off" => Some(Self::Off),
            "normal" => Some(Self::Normal),
            "strict" => Some(Self::Strict),
            _ => None,
        }
    }
}

/// A user's (or a source's effective) safety rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SafetyRules {
    /// The preset the rules started from; it also decides the fatal Token-2022 hazards and
    /// what missing data does.
    pub level: SafetyLevel,
    /// Refuse an active freeze authority.
    pub deny_freeze: bool,
    /// Refuse an active mint authority.
    pub deny_mint_authority: bool,
    /// Largest transfer fee accepted, bps (`None` = any, shown as a warning).
    pub max_transfer_fee_bps: Option<u32>,
    /// Largest top-10 holder share, bps.
    pub max_top10_bps: Option<u32>,
    /// Largest creator share, bps.
    pub max_dev_bps: Option<u32>,
    /// Youngest token accepted, seconds.
    pub min_age_secs: Option<u32>,
    /// Refuse tokens whose round trip failed (strict also refuses an unverified one).
    pub require_sellable: bool,
}

impl Default for SafetyRules {
    fn default() -> Self {
        Self::preset(SafetyLevel::Normal)
    }
}

impl SafetyRules {
    /// The rules of a preset.
    pub fn preset(level: SafetyLevel) -> Self {
        match level {
            SafetyLevel::Off => Self {
                level,
                deny_freeze: false,
                deny_mint_authority: false,
                max_transfer_fee_bps: None,
                max_top10_bps: None,
                max_dev_bps: None,
                min_age_secs: None,
                require_sellable: false,
            },
            SafetyLevel::Normal => {
                Self { level, deny_freeze: true, require_sellable: true, ..Self::preset(SafetyLevel::Off) }
            }
            SafetyLevel::Strict => Self {
                level,
                deny_freeze: true,
                deny_mint_authority: true,
                max_transfer_fee_bps: Some(0),
                max_top10_bps: Some(3_000),
                max_dev_bps: Some(1_000),
                min_age_secs: None,
                require_sellable: true,
            },
        }
    }

    /// These rules with a source's overrides applied.
    #[must_use]
    pub fn with(&self, o: &SafetyOverrides) -> Self {
        let mut r = o.level.map_or(*self, Self::preset);
        if let Some(v) = o.deny_freeze {
            r.deny_freeze = v;
        }
        if let Some(v) = o.deny_mint_authority {
            r.deny_mint_authority = v;
        }
        if let Some(v) = o.require_sellable {
            r.require_sellable = v;
        }
        let limit = |l: &Limit, cur: &mut Option<u32>| match l {
            Limit::Inherit => {}
            Limit::Off => *cur = None,
            Limit::Set(v) => *cur = Some(*v),
        };
        limit(&o.max_transfer_fee_bps, &mut r.max_transfer_fee_bps);
        limit(&o.max_top10_bps, &mut r.max_top10_bps);
        limit(&o.max_dev_bps, &mut r.max_dev_bps);
        limit(&o.min_age_secs, &mut r.min_age_secs);
        r
    }
}

/// A per-source limit override.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// The user's rule.
    #[default]
    Inherit,
    /// No limit for this source.
    Off,
    /// This limit.
    Set(u32),
}

/// Per-source overrides of the user's safety rules (`/alerts set … top10=35 freeze=deny`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SafetyOverrides {
    /// `safety=strict|normal|off`: start from this preset instead of the user's rules.
    pub level: Option<SafetyLevel>,
    /// `freeze=deny|allow`.
    pub deny_freeze: Option<bool>,
    /// `mint_auth=deny|allow`.
    pub deny_mint_authority: Option<bool>,
    /// `fee=<pct>|off`.
    pub max_transfer_fee_bps: Limit,
    /// `top10=<pct>|off`.
    pub max_top10_bps: Limit,
    /// `dev=<pct>|off`.
    pub max_dev_bps: Limit,
    /// `min_age=<secs>|off`.
    pub min_age_secs: Limit,
    /// `sellable=require|off`.
    pub require_sellable: Option<bool>,
}

impl SafetyOverrides {
    /// Whether nothing is overridden.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Why safety rules refused a buy. Each variant is one rule (`reason.safety.<rule>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SafetyRefusal {
    /// The mint has a freeze authority.
    Freeze,
    /// The mint has a mint authority.
    MintAuthority,
    /// Transfer fee above the maximum.
    TransferFee {
        /// The fee.
        bps: u32,
        /// The maximum.
        max: u32,
    },
    /// Top-10 holders above the maximum.
    Top10 {
        /// Their share.
        bps: u32,
        /// The maximum.
        max: u32,
    },
    /// The creator holds more than the maximum.
    DevShare {
        /// Their share.
        bps: u32,
        /// The maximum.
        max: u32,
    },
    /// Younger than the minimum age (or age unknown under strict).
    TooYoung {
        /// The minimum, seconds.
        min_secs: u32,
    },
    /// The round trip failed: the sell does not go through.
    CannotSell(String),
    /// Strict: the round trip could not be verified.
    SellUnverified,
    /// Permanent delegate.
    PermanentDelegate,
    /// Transfer hook.
    TransferHook,
    /// Non-transferable.
    NonTransferable,
    /// New accounts start frozen.
    DefaultFrozen,
    /// Transfers are paused.
    Paused,
    /// Strict: the safety read failed.
    Unavailable,
}

impl SafetyRefusal {
    /// Every rule name (locale completeness).
    pub const RULES: [&'static str; 14] = [
        "freeze",
        "mint_authority",
        "transfer_fee",
        "top10",
        "dev_share",
        "too_young",
        "cannot_sell",
        "sell_unverified",
        "permanent_delegate",
        "transfer_hook",
        "non_transferable",
        "default_frozen",
        "paused",
        "unavailable",
    ];

    /// The rule's stable name (`reason.safety.<rule>`).
    pub fn rule(&self) -> &'static str {
        match self {
            Self::Freeze => "freeze",
            Self::MintAuthority => "mint_authority",
            Self::TransferFee { .. } => "transfer_fee",
            Self::Top10 { .. } => "top10",
            Self::DevShare { .. } => "dev_share",
            Self::TooYoung { .. } => "too_young",
            Self::CannotSell(_) => "cannot_sell",
            Self::SellUnverified => "sell_unverified",
            Self::PermanentDelegate => "permanent_delegate",
            Self::TransferHook => "transfer_hook",
            Self::NonTransferable => "non_transferable",
            Self::DefaultFrozen => "default_frozen",
            Self::Paused => "paused",
            Self::Unavailable => "unavailable",
        }
    }

    /// The value and limit (or the failed sell's error), language-neutral (`%{detail}`).
    pub fn detail(&self) -> String {
        let pct = |b: u32| {
            let whole = b / 100;
            match b % 100 {
                0 => format!("{whole}%"),
                f if f % 10 == 0 => format!("{whole}.{}%", f / 10),
                f => format!("{whole}.{f:02}%"),
            }
        };
        match self {
            Self::TransferFee { bps, max } | Self::Top10 { bps, max } | Self::DevShare { bps, max } => {
                format!("{} > {}", pct(*bps), pct(*max))
            }
            Self::TooYoung { min_secs } => format!("< {min_secs} s"),
            Self::CannotSell(e) => e.clone(),
            _ => String::new(),
        }
    }

    /// Reads back a rule name (stored intents keep the code only).
    pub fn from_rule(rule: &str) -> Option<Self> {
        Some(match rule {
            "freeze" => Self::Freeze,
            "mint_authority" => Self::MintAuthority,
            "transfer_fee" => Self::TransferFee { bps: 0, max: 0 },
            "top10" => Self::Top10 { bps: 0, max: 0 },
            "dev_share" => Self::DevShare { bps: 0, max: 0 },
            "too_young" => Self::TooYoung { min_secs: 0 },
            "cannot_sell" => Self::CannotSell(String::new()),
            "sell_unverified" => Self::SellUnverified,
            "permanent_delegate" => Self::PermanentDelegate,
            "transfer_hook" => Self::TransferHook,
            "non_transferable" => Self::NonTransferable,
            "default_frozen" => Self::DefaultFrozen,
            "paused" => Self::Paused,
            "unavailable" => Self::Unavailable,
            _ => return None,
        })
    }
}

/// How an item looks on the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// ✅
    Ok,
    /// ⚠️
    Warn,
    /// ⛔
    Danger,
}

impl Level {
    /// The card symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Ok => "✅",
            Self::Warn => "⚠️",
            Self::Danger => "⛔",
        }
    }
}

/// One line item of the safety summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Mint authority.
    MintAuthority,
    /// Freeze authority.
    Freeze,
    /// Token-2022 hazards (fee, hook, delegate, …) together.
    Extensions,
    /// Top-10 holders.
    Top10,
    /// Creator share.
    Dev,
    /// Round trip.
    Sellable,
}

impl Check {
    /// Stable code (`safety.check.<code>`).
    pub fn code(self) -> &'static str {
        match self {
            Self::MintAuthority => "mint",
            Self::Freeze => "freeze",
            Self::Extensions => "t22",
            Self::Top10 => "top10",
            Self::Dev => "dev",
            Self::Sellable => "sell",
        }
    }
}

/// Display thresholds for concentration (warn / danger), bps.
const TOP10_WARN: u32 = 3_000;
const TOP10_DANGER: u32 = 5_000;
const DEV_WARN: u32 = 500;
const DEV_DANGER: u32 = 2_000;

/// The compact summary: one item per check (the card's ✅/⚠️/⛔ line), independent of rules.
pub fn classify(s: &TokenSafety) -> [(Check, Level); 6] {
    let m = &s.mint;
    let auth = |a: &Option<Pubkey>, bad: Level| if a.is_some() { bad } else { Level::Ok };
    let ext = extension_level(m);
    let conc = |v: Option<u32>, warn: u32, danger: u32| match v {
        None => Level::Warn,
        Some(b) if b > danger => Level::Danger,
        Some(b) if b > warn => Level::Warn,
        Some(_) => Level::Ok,
    };
    let sell = match &s.round_trip {
        Some(RoundTrip::Sellable) => Level::Ok,
        Some(RoundTrip::CannotSell(_)) => Level::Danger,
        None => Level::Warn,
    };
    [
        (Check::MintAuthority, auth(&m.mint_authority, Level::Warn)),
        (Check::Freeze, auth(&m.freeze_authority, Level::Danger)),
        (Check::Extensions, ext),
        (Check::Top10, conc(s.top10_bps, TOP10_WARN, TOP10_DANGER)),
        (Check::Dev, conc(s.creator_bps, DEV_WARN, DEV_DANGER)),
        (Check::Sellable, sell),
    ]
}

fn extension_level(m: &MintFacts) -> Level {
    let fatal = m.permanent_delegate.is_some()
        || m.non_transferable
        || m.default_frozen
        || m.pausable == Some(true)
        || m.transfer_hook.is_some_and(|p| p.is_some());
    if fatal {
        return Level::Danger;
    }
    let warn = m.transfer_fee.is_some_and(|f| f.bps > 0 || f.mutable)
        || m.transfer_hook.is_some()
        || m.pausable.is_some()
        || m.mint_close_authority.is_some()
        || m.scaled_ui_amount
        || m.confidential;
    if warn { Level::Warn } else { Level::Ok }
}

/// Checks a buy of a token with `safety` (`None` = the safety read failed) against `rules`.
///
/// # Errors
/// The first rule that refuses, fatal hazards first.
pub fn evaluate(safety: Option<&TokenSafety>, rules: &SafetyRules) -> Result<(), SafetyRefusal> {
    let Some(s) = safety else {
        return if rules.level == SafetyLevel::Strict { Err(SafetyRefusal::Unavailable) } else { Ok(()) };
    };
    let m = &s.mint;
    let guarded = rules.level != SafetyLevel::Off;
    if guarded {
        if m.non_transferable {
            return Err(SafetyRefusal::NonTransferable);
        }
        if m.permanent_delegate.is_some() {
            return Err(SafetyRefusal::PermanentDelegate);
        }
        if m.pausable == Some(true) {
            return Err(SafetyRefusal::Paused);
        }
        if m.default_frozen {
            return Err(SafetyRefusal::DefaultFrozen);
        }
    }
    if rules.deny_freeze && m.freeze_authority.is_some() {
        return Err(SafetyRefusal::Freeze);
    }
    if rules.require_sellable
        && let Some(RoundTrip::CannotSell(e)) = &s.round_trip
    {
        return Err(SafetyRefusal::CannotSell(e.clone()));
    }
    if guarded && m.transfer_hook.is_some_and(|p| p.is_some()) {
        return Err(SafetyRefusal::TransferHook);
    }
    if rules.deny_mint_authority && m.mint_authority.is_some() {
        return Err(SafetyRefusal::MintAuthority);
    }
    if let (Some(max), Some(fee)) = (rules.max_transfer_fee_bps, m.transfer_fee) {
        let bps = u32::from(fee.bps);
        if bps > max {
            return Err(SafetyRefusal::TransferFee { bps, max });
        }
    }
    let strict = rules.level == SafetyLevel::Strict;
    if let Some(max) = rules.max_top10_bps {
        match s.top10_bps {
            Some(bps) if bps > max => return Err(SafetyRefusal::Top10 { bps, max }),
            None if strict => return Err(SafetyRefusal::Unavailable),
            _ => {}
        }
    }
    if let Some(max) = rules.max_dev_bps {
        match s.creator_bps {
            Some(bps) if bps > max => return Err(SafetyRefusal::DevShare { bps, max }),
            None if strict => return Err(SafetyRefusal::Unavailable),
            _ => {}
        }
    }
    if let Some(min) = rules.min_age_secs {
        match s.age_secs {
            Some(age) if age >= u64::from(min) => {}
            // Exactly known and too young.
            Some(_) if !s.age_lower_bound => return Err(SafetyRefusal::TooYoung { min_secs: min }),
            // Not known (or only "at least", below the minimum): strict refuses.
            _ if strict => return Err(SafetyRefusal::TooYoung { min_secs: min }),
            _ => {}
        }
    }
    if strict && rules.require_sellable && s.round_trip.is_none() {
        return Err(SafetyRefusal::SellUnverified);
    }
    Ok(())
}

/// Whether the rules need the round trip to decide (so callers run the simulation only then).
pub fn needs_round_trip(safety: Option<&TokenSafety>, rules: &SafetyRules) -> bool {
    rules.require_sellable && safety.is_some_and(|s| s.round_trip.is_none())
}

/// Lamports spent by the round-trip probe buy.
pub const ROUND_TRIP_LAMPORTS: Lamports = Lamports(1_000_000);

/// Mint-account builders for tests, benches and the fake chain (the layouts of
/// `spl-token-2022-interface`: base mint, padding to 165, account type, TLV entries).
pub mod fixtures {
    use solana_pubkey::Pubkey;

    /// A mint to build.
    #[derive(Debug, Clone, Default)]
    pub struct MintSpec {
        /// Mint authority.
        pub mint_authority: Option<Pubkey>,
        /// Freeze authority.
        pub freeze_authority: Option<Pubkey>,
        /// Supply.
        pub supply: u64,
        /// Decimals.
        pub decimals: u8,
        /// Token-2022 extensions: (type, value bytes).
        pub extensions: Vec<(u16, Vec<u8>)>,
        /// Force the Token-2022 layout even without extensions.
        pub token_2022: bool,
    }

    fn coption(out: &mut Vec<u8>, key: Option<Pubkey>) {
        out.extend_from_slice(&u32::from(key.is_some()).to_le_bytes());
        out.extend_from_slice(&key.unwrap_or_default().to_bytes());
    }

    impl MintSpec {
        /// The account bytes.
        pub fn bytes(&self) -> Vec<u8> {
            let mut d = Vec::with_capacity(300);
            coption(&mut d, self.mint_authority);
            d.extend_from_slice(&self.supply.to_le_bytes());
            d.push(self.decimals);
            d.push(1);
            coption(&mut d, self.freeze_authority);
            if self.extensions.is_empty() && !self.token_2022 {
                return d;
            }
            d.resize(165, 0);
            d.push(1); // AccountType::Mint
            for (ty, value) in &self.extensions {
                d.extend_from_slice(&ty.to_le_bytes());
                d.extend_from_slice(&u16::try_from(value.len()).unwrap_or(u16::MAX).to_le_bytes());
                d.extend_from_slice(value);
            }
            if d.len() == 166 {
                // Base + account type only: no TLV entry (a valid, extension-less Token-2022 mint).
                d.extend_from_slice(&[0; 4]);
            }
            d
        }
    }

    /// TransferFeeConfig (type 1) with the same fee in both slots.
    pub fn transfer_fee(bps: u16, maximum_fee: u64, authority: Option<Pubkey>) -> (u16, Vec<u8>) {
        let mut v = Vec::with_capacity(108);
        v.extend_from_slice(&authority.unwrap_or_default().to_bytes());
        v.extend_from_slice(&[0; 32]);
        v.extend_from_slice(&0u64.to_le_bytes());
        for _ in 0..2 {
            v.extend_from_slice(&0u64.to_le_bytes());
            v.extend_from_slice(&maximum_fee.to_le_bytes());
            v.extend_from_slice(&bps.to_le_bytes());
        }
        (1, v)
    }

    /// A 32-byte key extension (MintCloseAuthority 3, PermanentDelegate 12).
    pub fn key_ext(ty: u16, key: Pubkey) -> (u16, Vec<u8>) {
        (ty, key.to_bytes().to_vec())
    }

    /// TransferHook (type 14).
    pub fn transfer_hook(authority: Option<Pubkey>, program: Option<Pubkey>) -> (u16, Vec<u8>) {
        let mut v = authority.unwrap_or_default().to_bytes().to_vec();
        v.extend_from_slice(&program.unwrap_or_default().to_bytes());
        (14, v)
    }

    /// DefaultAccountState (type 6): 1 initialized, 2 frozen.
    pub fn default_state(state: u8) -> (u16, Vec<u8>) {
        (6, vec![state])
    }

    /// NonTransferable (type 9).
    pub fn non_transferable() -> (u16, Vec<u8>) {
        (9, Vec::new())
    }

    /// Pausable (type 26).
    pub fn pausable(authority: Pubkey, paused: bool) -> (u16, Vec<u8>) {
        let mut v = authority.to_bytes().to_vec();
        v.push(u8::from(paused));
        (26, v)
    }

    /// ScaledUiAmount (type 25).
    pub fn scaled_ui_amount(authority: Pubkey) -> (u16, Vec<u8>) {
        let mut v = authority.to_bytes().to_vec();
        v.extend_from_slice(&1.0f64.to_le_bytes());
        v.extend_from_slice(&0i64.to_le_bytes());
        v.extend_from_slice(&1.0f64.to_le_bytes());
        (25, v)
    }

    /// MetadataPointer (type 18) pointing at `mint` (pump `create_v2`).
    pub fn metadata_pointer(mint: Pubkey) -> (u16, Vec<u8>) {
        let mut v = vec![0; 32];
        v.extend_from_slice(&mint.to_bytes());
        (18, v)
    }
}

#[cfg(test)]
#[path = "safety_tests.rs"]
mod tests;
