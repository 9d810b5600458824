//! Alerts: parsing a channel or group post into a buy trigger, by source kind.
//!
//! Everything here is pure and synchronous. A post is a text (or caption), its entities (offsets
//! in UTF-16 code units, as Telegram sends them) and the URLs of its inline buttons. Parsing
//! either yields a [`ParsedAlert`] (one mint, plus signal levels for `signal` sources) or a
//! [`SkipReason`] with a stable code.
//!
//! Kinds:
//! * [`AlertKind::CaDrop`]: any valid Solana mint in the text, code entities, text links,
//!   button URLs or token links (pump.fun, dexscreener, birdeye, solscan, photon, gmgn, jup.ag);
//!   exactly one distinct mint, or the post is skipped.
//! * [`AlertKind::Signal`]: a structured trade signal; see [`signal`] for the documented format.
//! * [`AlertKind::Generic`]: one mint plus a buy keyword ([`GENERIC_KEYWORDS`]).
//!
//! Every kind is vetoed by warning words ([`WARNING_WORDS`], e.g. "scam", "rug") and by mint
//! look-alikes written with Cyrillic/Greek/full-width letters (rejected, never "fixed").
//! Zero-width and bidi control characters are stripped before scanning; bodies are bounded to
//! [`MAX_BODY_BYTES`] so the cost of a post is linear and small.

pub mod dedupe;
pub mod freshness;
pub mod rules;
pub mod scan;
pub mod signal;

use serde::Serialize;
use solana_pubkey::Pubkey;

pub use dedupe::DuplicateFilter;
pub use signal::SignalLevels;

/// The largest body we look at; longer posts are cut at a character boundary.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Buy keywords a `generic` post must contain (ASCII ones match whole words, case-insensitive).
pub const GENERIC_KEYWORDS: [&str; 16] = [
    "buy",
    "buying",
    "ape",
    "aped",
    "call",
    "entry",
    "long",
    "gem",
    "launch",
    "launched",
    "bullish",
    "new pair",
    "купить",
    "покупка",
    "买入",
    "上车",
];

/// Words that veto any post (a warning about a token is never a buy signal).
pub const WARNING_WORDS: [&str; 12] = [
    "scam",
    "rug",
    "rugged",
    "rugpull",
    "honeypot",
    "avoid",
    "do not buy",
    "don't buy",
    "dont buy",
    "скам",
    "не покупать",
    "骗局",
];

/// How a source's posts are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum AlertKind {
    /// Contract-address drops.
    CaDrop,
    /// Structured trade signals.
    Signal,
    /// Mint plus keywords.
    Generic,
}

impl AlertKind {
    /// Every kind.
    pub const ALL: [Self; 3] = [Self::CaDrop, Self::Signal, Self::Generic];

    /// Stable code (storage, commands).
    pub fn code(self) -> &'static str {
        match self {
            Self::CaDrop => "ca_drop",
            Self::Signal => "signal",
            Self::Generic => "generic",
        }
    }

    /// Parses a code (case-insensitive, `-` accepted for `_`).
    pub fn from_code(code: &str) -> Option<Self> {
        let c = code.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL.into_iter().find(|k| k.code() == c)
    }
}

/// The kind of a message entity, as far as parsing cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    /// `code`.
    Code,
    /// `pre`.
    Pre,
    /// `url` (the URL is the entity's text).
    Url,
    /// `text_link` (the URL is in `url`).
    TextLink,
    /// Anything else (bold, cashtag, …).
    Other,
}

/// One message entity. Offsets and lengths are in UTF-16 code units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostEntity {
    /// Kind.
    pub kind: EntityKind,
    /// Start, UTF-16 code units.
    pub offset: usize,
    /// Length, UTF-16 code units.
    pub length: usize,
    /// Target of a `text_link`.
    pub url: Option<String>,
}

/// What a post carries, decoupled from Telegram types.
#[derive(Debug, Clone, Copy)]
pub struct Post<'a> {
    /// Text or caption.
    pub text: &'a str,
    /// Entities of the text or caption.
    pub entities: &'a [PostEntity],
    /// URLs of inline keyboard buttons.
    pub button_urls: &'a [String],
}

/// A post that triggers buys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAlert {
    /// How it was read.
    pub kind: AlertKind,
    /// The token.
    pub mint: Pubkey,
    /// Levels of a `signal` post.
    pub signal: Option<SignalLevels>,
}

impl ParsedAlert {
    /// JSON for storage (`alerts.parsed`).
    pub fn to_json(&self) -> String {
        serde_json::json!({ "kind": self.kind.code(), "mint": self.mint.to_string(), "signal": self.signal })
            .to_string()
    }
}

/// Why a post does not trigger anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// No mint found.
    NoMint,
    /// More than one distinct mint.
    SeveralMints,
    /// A mint look-alike written with non-Latin letters.
    Homoglyph,
    /// A warning word (scam, rug, …).
    Warning,
    /// A `signal` post without a recognizable side.
    NoSignal,
    /// A `signal` post that says sell or exit.
    NotABuy,
    /// A `generic` post without a buy keyword.
    NoKeyword,
    /// The post is older than every subscriber's `max_age` (a backlog after downtime).
    Stale,
}

impl SkipReason {
    /// Stable code (storage, metrics, locale key `alerts.skip.<code>`).
    pub fn code(self) -> &'static str {
        match self {
            Self::NoMint => "no_mint",
            Self::SeveralMints => "several_mints",
            Self::Homoglyph => "homoglyph",
            Self::Warning => "warning",
            Self::NoSignal => "no_signal",
            Self::NotABuy => "not_a_buy",
            Self::NoKeyword => "no_keyword",
            Self::Stale => "stale",
        }
    }
}

/// Parses a post of a source of `kind`.
///
/// # Errors
/// The [`SkipReason`] when the post does not trigger a buy.
pub fn parse(kind: AlertKind, post: &Post<'_>) -> Result<ParsedAlert, SkipReason> {
    let body = scan::bounded(post.text);
    let clean = scan::strip_invisible(body);
    let lower = clean.to_lowercase();
    if WARNING_WORDS.iter().any(|w| scan::contains_word(&lower, w)) {
        return Err(SkipReason::Warning);
    }
    let mint = scan::single_mint(&clean, post)?;
    match kind {
        AlertKind::CaDrop => Ok(ParsedAlert { kind, mint, signal: None }),
        AlertKind::Generic => {
            if GENERIC_KEYWORDS.iter().any(|w| scan::contains_word(&lower, w)) {
                Ok(ParsedAlert { kind, mint, signal: None })
            } else {
                Err(SkipReason::NoKeyword)
            }
        }
        AlertKind::Signal => {
            let levels = signal::parse_levels(&clean)?;
            Ok(ParsedAlert { kind, mint, signal: Some(levels) })
        }
    }
}

/// The alert id of a post: source chat id and message id (Telegram redelivers the same pair).
pub fn alert_key(chat_id: i64, message_id: i64) -> String {
    format!("{chat_id}:{message_id}")
}

#[cfg(test)]
#[path = "alert/tests.rs"]
mod tests;
