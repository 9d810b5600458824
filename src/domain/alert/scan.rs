//! Mint extraction: text normalization, UTF-16 entity slicing, base58 candidates, token links.
//!
//! Candidates come in two strengths. Strong: mints written in the text or a code entity, and
//! mints in the path of token links (pump.fun, birdeye `/token/`, solscan `/token/`, gmgn
//! `/token/`, jup.ag). Weak: addresses in links that may name a pool or a wallet instead of the
//! mint (dexscreener, photon, solscan `/account/`, unknown hosts). Strong candidates decide; weak
//! ones count only when there is no strong one.

use std::collections::BTreeSet;

use solana_pubkey::Pubkey;

use super::{EntityKind, MAX_BODY_BYTES, Post, SkipReason};

/// Addresses that are never a token to buy (programs, SOL, stablecoins).
const NOT_MINTS: [&str; 12] = [
    "11111111111111111111111111111111",
    "So11111111111111111111111111111111111111112",
    "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
    "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb",
    "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL",
    "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P",
    "pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA",
    "JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4",
    "675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8",
    "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
    "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",
    "ComputeBudget111111111111111111111111111111",
];

/// Hosts whose links never name a token.
const IGNORED_HOSTS: [&str; 5] = ["t.me", "telegram.me", "x.com", "twitter.com", "youtube.com"];

/// Known hosts matched without a scheme (`pump.fun/coin/…`).
const KNOWN_HOSTS: [&str; 9] = [
    "pump.fun",
    "dexscreener.com",
    "birdeye.so",
    "solscan.io",
    "photon-sol.tinyastro.io",
    "gmgn.ai",
    "jup.ag",
    "neo.bullx.io",
    "axiom.trade",
];

/// Cuts `text` to at most [`MAX_BODY_BYTES`] at a character boundary.
pub fn bounded(text: &str) -> &str {
    if text.len() <= MAX_BODY_BYTES {
        return text;
    }
    let mut end = MAX_BODY_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Whether `c` is an invisible formatting character we drop (zero-width, word joiner, BOM,
/// bidi marks and embeddings).
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` without invisible formatting characters.
pub fn strip_invisible(text: &str) -> String {
    text.chars().filter(|c| !is_invisible(*c)).collect()
}

/// The part of `text` an entity covers (offset and length in UTF-16 code units). `None` when
/// the range is outside the text or splits a surrogate pair.
pub fn utf16_slice(text: &str, offset: usize, length: usize) -> Option<&str> {
    let end = offset.checked_add(length)?;
    let mut start = None;
    let mut pos = 0usize;
    for (i, c) in text.char_indices() {
        if pos == offset && start.is_none() {
            start = Some(i);
        }
        if pos == end {
            return start.map(|s| &text[s..i]);
        }
        if pos > end {
            return None;
        }
        pos += c.len_utf16();
    }
    if pos == offset && start.is_none() {
        start = Some(text.len());
    }
    if pos == end { start.map(|s| &text[s..]) } else { None }
}

/// Whether `needle` occurs in `hay` (both lowercase) as a whole word (ASCII needles) or at all
/// (other scripts, which have no reliable word boundaries).
pub fn contains_word(hay: &str, needle: &str) -> bool {
    if !needle.is_ascii() {
        return hay.contains(needle);
    }
    let bytes = hay.as_bytes();
    let mut from = 0;
    while let Some(found) = hay.get(from..).and_then(|h| h.find(needle)) {
        let start = from + found;
        let end = start + needle.len();
        let before_ok = hay[..start].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        let after_ok = hay[end..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            return true;
        }
        from = start + 1;
        while from < bytes.len() && !hay.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

fn is_base58(c: char) -> bool {
    c.is_ascii_alphanumeric() && !matches!(c, '0' | 'O' | 'I' | 'l')
}

/// Letters that can pass for Latin ones: Cyrillic, Greek, full-width Latin.
fn is_lookalike(c: char) -> bool {
    matches!(c, '\u{0370}'..='\u{03FF}' | '\u{0400}'..='\u{04FF}' | '\u{FF10}'..='\u{FF5A}') && c.is_alphanumeric()
}

/// Decodes a base58 mint candidate (32..=44 characters → 32 bytes), excluding known non-mints.
pub fn decode_mint(token: &str) -> Option<Pubkey> {
    if !(32..=44).contains(&token.len()) || !token.chars().all(is_base58) || NOT_MINTS.contains(&token) {
        return None;
    }
    let mut out = [0u8; 32];
    match bs58::decode(token).onto(&mut out) {
        Ok(32) => Some(Pubkey::new_from_array(out)),
        _ => None,
    }
}

/// Candidates found so far.
#[derive(Debug, Default)]
struct Found {
    strong: BTreeSet<Pubkey>,
    weak: BTreeSet<Pubkey>,
    homoglyph: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Strength {
    Strong,
    Weak,
}

impl Found {
    fn add(&mut self, mint: Pubkey, strength: Strength) {
        match strength {
            Strength::Strong => self.strong.insert(mint),
            Strength::Weak => self.weak.insert(mint),
        };
    }

    /// Scans free text (not a URL) for mints and look-alikes.
    fn scan_text(&mut self, text: &str, strength: Strength) {
        let mut token_start: Option<usize> = None;
        for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
            let part = c.is_ascii_alphanumeric() || is_lookalike(c);
            match (part, token_start) {
                (true, None) => token_start = Some(i),
                (false, Some(s)) => {
                    self.token(&text[s..i], strength);
                    token_start = None;
                }
                _ => {}
            }
        }
    }

    fn token(&mut self, token: &str, strength: Strength) {
        if token.is_ascii() {
            if let Some(m) = decode_mint(token) {
                self.add(m, strength);
            }
            return;
        }
        let chars = token.chars().count();
        let ascii = token.chars().filter(|c| is_base58(*c)).count();
        if (32..=44).contains(&chars) && ascii + 6 >= chars {
            // A mint with a few non-Latin look-alike letters: reject, never repair.
            self.homoglyph = true;
            return;
        }
        for run in token.split(|c: char| !c.is_ascii_alphanumeric()) {
            if let Some(m) = decode_mint(run) {
                self.add(m, strength);
            }
        }
    }

    /// Scans a URL: token links are strong, other links weak, social links ignored.
    fn scan_url(&mut self, url: &str) {
        let clean = strip_invisible(url);
        let rest = clean.split_once("://").map_or(clean.as_str(), |(_, r)| r);
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = host.rsplit('@').next().unwrap_or(host);
        let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
        let host = host.strip_prefix("www.").unwrap_or(&host);
        if IGNORED_HOSTS.iter().any(|h| host == *h || host.ends_with(&format!(".{h}"))) {
            return;
        }
        let lower_path = path.to_ascii_lowercase();
        let strong = host == "pump.fun"
            || host.ends_with(".pump.fun")
            || host == "jup.ag"
            || (host == "birdeye.so" && lower_path.starts_with("token/"))
            || (host == "solscan.io" && lower_path.starts_with("token/"))
            || (host == "gmgn.ai" && lower_path.contains("token/"));
        let strength = if strong { Strength::Strong } else { Strength::Weak };
        for run in path.split(|c: char| !c.is_ascii_alphanumeric()) {
            if let Some(m) = decode_mint(run) {
                self.add(m, strength);
            }
        }
    }

    /// Scans a body: URL-looking words as links, everything else as text.
    fn scan_body(&mut self, body: &str) {
        for word in body.split_whitespace() {
            match url_in(word) {
                Some((before, url)) => {
                    self.scan_text(before, Strength::Strong);
                    self.scan_url(url);
                }
                None => self.scan_text(word, Strength::Strong),
            }
        }
    }
}

/// Splits a word into the text before a URL and the URL, if it holds one.
fn url_in(word: &str) -> Option<(&str, &str)> {
    let lower = word.to_ascii_lowercase();
    if let Some(i) = lower.find("http://").or_else(|| lower.find("https://")) {
        return Some((&word[..i], &word[i..]));
    }
    KNOWN_HOSTS.iter().find_map(|h| {
        let i = lower.find(&format!("{h}/"))?;
        Some((&word[..i], &word[i..]))
    })
}

/// The one distinct mint of a post (text already stripped of invisible characters).
///
/// # Errors
/// No mint, several mints, or a look-alike.
pub fn single_mint(clean: &str, post: &Post<'_>) -> Result<Pubkey, SkipReason> {
    let mut found = Found::default();
    found.scan_body(clean);
    let raw = super::scan::bounded(post.text);
    for e in post.entities.iter().take(512) {
        match e.kind {
            EntityKind::Code | EntityKind::Pre => {
                if let Some(part) = utf16_slice(raw, e.offset, e.length) {
                    found.scan_body(&strip_invisible(part));
                }
            }
            EntityKind::Url => {
                if let Some(part) = utf16_slice(raw, e.offset, e.length) {
                    found.scan_url(part);
                }
            }
            EntityKind::TextLink => {
                if let Some(url) = &e.url {
                    found.scan_url(bounded(url));
                }
            }
            EntityKind::Other => {}
        }
    }
    for url in post.button_urls.iter().take(100) {
        found.scan_url(bounded(url));
    }
    if found.homoglyph {
        return Err(SkipReason::Homoglyph);
    }
    let pick = if found.strong.is_empty() { &found.weak } else { &found.strong };
    let mut it = pick.iter();
    match (it.next(), it.next()) {
        (Some(m), None) => Ok(*m),
        (None, _) => Err(SkipReason::NoMint),
        (Some(_), Some(_)) => Err(SkipReason::SeveralMints),
    }
}
