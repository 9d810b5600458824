//! A token's name and symbol, where Pump.fun coins keep them.
//!
//! Pure and synchronous. Coins made by `create_v2` (Token-2022) carry a `TokenMetadata` extension
//! in the mint itself, read with the official `spl-token-metadata-interface` type. Legacy coins
//! (SPL Token) keep it in a Metaplex Token Metadata account; `mpl-token-metadata` would bring a
//! second Solana stack (see `NEXT.md` §1.5), so its fixed prefix (key, update authority, mint,
//! name, symbol, uri, …, `is_mutable`) is read here by hand. Never panics, whatever the bytes.

use solana_pubkey::Pubkey;
use spl_token_2022_interface::extension::{BaseStateWithExtensions, StateWithExtensions};
use spl_token_2022_interface::state::Mint;
use spl_token_metadata_interface::state::TokenMetadata;

/// Metaplex Token Metadata program.
pub const METAPLEX_PROGRAM: Pubkey = Pubkey::from_str_const("metaqbxxUerdq28cj1RbAWkYQm3ybzjb6a8bt518x1s");

/// Longest name kept (Metaplex's limit).
pub const MAX_NAME: usize = 32;
/// Longest symbol kept (Metaplex's limit).
pub const MAX_SYMBOL: usize = 10;
/// Longest uri kept.
pub const MAX_URI: usize = 200;

/// Metaplex `Key::MetadataV1`.
const METADATA_V1: u8 = 4;

/// What a token calls itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenMeta {
    /// Display name (control characters removed, at most [`MAX_NAME`] characters).
    pub name: String,
    /// Ticker (at most [`MAX_SYMBOL`] characters).
    pub symbol: String,
    /// Off-chain JSON (image, links), at most [`MAX_URI`] characters.
    pub uri: String,
    /// Whether someone can still change name, symbol and uri (`None` = not known).
    pub mutable: Option<bool>,
}

/// The Metaplex metadata account of `mint` (PDA `["metadata", program, mint]`). Costs one
/// `find_program_address`: callers cache it with the rest of the mint's facts.
pub fn metaplex_address(mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[b"metadata", METAPLEX_PROGRAM.as_ref(), mint.as_ref()], &METAPLEX_PROGRAM).0
}

/// Keeps printable characters only (no control or bidi-override characters: a name is shown in
/// chat messages), trimmed, at most `max` characters.
fn clean(raw: &str, max: usize) -> String {
    let bidi = |c: char| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}');
    let kept: String = raw.chars().filter(|c| !c.is_control() && !bidi(*c)).collect();
    kept.trim().chars().take(max).collect()
}

/// Reads a Borsh string (u32 LE length + bytes) at `at`; "puffed" strings padded with `\0` are
/// trimmed. Returns the string and the offset after it.
fn borsh_str(data: &[u8], at: usize) -> Option<(String, usize)> {
    let len = u32::from_le_bytes(data.get(at..at.checked_add(4)?)?.try_into().ok()?);
    let start = at + 4;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    let bytes = data.get(start..end)?;
    let text = String::from_utf8_lossy(bytes);
    Some((text.trim_end_matches('\0').to_owned(), end))
}

/// Decodes a Metaplex `MetadataV1` account for `mint`. `None` when the bytes are not one (or
/// belong to another mint).
pub fn decode_metaplex(data: &[u8], mint: &Pubkey) -> Option<TokenMeta> {
    if *data.first()? != METADATA_V1 {
        return None;
    }
    let stored_mint = Pubkey::new_from_array(data.get(33..65)?.try_into().ok()?);
    if stored_mint != *mint {
        return None;
    }
    let (name, at) = borsh_str(data, 65)?;
    let (symbol, at) = borsh_str(data, at)?;
    let (uri, at) = borsh_str(data, at)?;
    // seller_fee_basis_points u16, creators Option<Vec<(Pubkey, bool, u8)>>, primary_sale_happened
    // bool, is_mutable bool.
    let mutable = (|| {
        let mut at = at.checked_add(2)?;
        if *data.get(at)? == 1 {
            let n = u32::from_le_bytes(data.get(at + 1..at + 5)?.try_into().ok()?);
            at = at.checked_add(5)?.checked_add(usize::try_from(n).ok()?.checked_mul(34)?)?;
        } else {
            at += 1;
        }
        let flag = *data.get(at + 1)?;
        (flag <= 1).then_some(flag == 1)
    })();
    Some(TokenMeta {
        name: clean(&name, MAX_NAME),
        symbol: clean(&symbol, MAX_SYMBOL),
        uri: clean(&uri, MAX_URI),
        mutable,
    })
}

/// The `TokenMetadata` extension of a Token-2022 mint account, when it has one.
pub fn decode_token_2022(data: &[u8]) -> Option<TokenMeta> {
    let state = StateWithExtensions::<Mint>::unpack(data).ok()?;
    let meta = state.get_variable_len_extension::<TokenMetadata>().ok()?;
    Some(TokenMeta {
        name: clean(&meta.name, MAX_NAME),
        symbol: clean(&meta.symbol, MAX_SYMBOL),
        uri: clean(&meta.uri, MAX_URI),
        mutable: Some(Option::<Pubkey>::from(meta.update_authority).is_some()),
    })
}

/// Account builders for tests, benches and the fake chain.
pub mod fixtures {
    use solana_pubkey::Pubkey;

    fn string(out: &mut Vec<u8>, s: &str, puff_to: Option<usize>) {
        let mut bytes = s.as_bytes().to_vec();
        if let Some(n) = puff_to {
            bytes.resize(n.max(bytes.len()), 0);
        }
        out.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(&bytes);
    }

    /// A Metaplex `MetadataV1` account (`puffed`: strings padded with `\0` as older accounts are),
    /// allocated at a fixed size as on chain.
    pub fn metaplex(mint: Pubkey, name: &str, symbol: &str, uri: &str, puffed: bool, mutable: bool) -> Vec<u8> {
        let mut d = vec![super::METADATA_V1];
        d.extend_from_slice(&Pubkey::new_unique().to_bytes());
        d.extend_from_slice(&mint.to_bytes());
        string(&mut d, name, puffed.then_some(super::MAX_NAME));
        string(&mut d, symbol, puffed.then_some(super::MAX_SYMBOL));
        string(&mut d, uri, puffed.then_some(super::MAX_URI));
        d.extend_from_slice(&0u16.to_le_bytes());
        // One creator.
        d.push(1);
        d.extend_from_slice(&1u32.to_le_bytes());
        d.extend_from_slice(&Pubkey::new_unique().to_bytes());
        d.extend_from_slice(&[1, 100]);
        d.push(0); // primary_sale_happened
        d.push(u8::from(mutable));
        d.resize(679, 0);
        d
    }

    /// The Token-2022 `TokenMetadata` extension (type 19) for a mint's [`MintSpec`](crate::domain::safety::fixtures::MintSpec).
    pub fn token_metadata(update_authority: Option<Pubkey>, mint: Pubkey, name: &str, symbol: &str) -> (u16, Vec<u8>) {
        let mut v = update_authority.unwrap_or_default().to_bytes().to_vec();
        v.extend_from_slice(&mint.to_bytes());
        string(&mut v, name, None);
        string(&mut v, symbol, None);
        string(&mut v, "https://example.invalid/meta.json", None);
        v.extend_from_slice(&0u32.to_le_bytes()); // additional_metadata: empty
        (19, v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::safety::fixtures::{MintSpec, metadata_pointer};

    #[test]
    fn metaplex_accounts_decode_puffed_or_not_and_only_for_their_mint() {
        let mint = Pubkey::new_unique();
        for puffed in [false, true] {
            for mutable in [false, true] {
                let data = fixtures::metaplex(mint, "Dog Wif Hat", "WIF", "https://x.invalid/a.json", puffed, mutable);
                let meta = decode_metaplex(&data, &mint).unwrap();
                assert_eq!((meta.name.as_str(), meta.symbol.as_str()), ("Dog Wif Hat", "WIF"));
                assert_eq!(meta.uri, "https://x.invalid/a.json");
                assert_eq!(meta.mutable, Some(mutable), "puffed {puffed}");
            }
        }
        let data = fixtures::metaplex(mint, "A", "B", "", false, true);
        assert_eq!(decode_metaplex(&data, &Pubkey::new_unique()), None, "another mint's metadata");
        let mut wrong_key = data.clone();
        wrong_key[0] = 6;
        assert_eq!(decode_metaplex(&wrong_key, &mint), None);
    }

    #[test]
    fn names_lose_control_and_bidi_characters_and_are_capped() {
        let mint = Pubkey::new_unique();
        let data = fixtures::metaplex(mint, "Evil\u{202E}gnp.exe\n<b>", "TOOLONGSYMBOLX", "", false, false);
        let meta = decode_metaplex(&data, &mint).unwrap();
        assert_eq!(meta.name, "Evilgnp.exe<b>");
        assert_eq!(meta.symbol, "TOOLONGSYM");
    }

    #[test]
    fn any_truncation_of_a_metadata_account_is_refused_or_read_without_panic() {
        let mint = Pubkey::new_unique();
        let data = fixtures::metaplex(mint, "Name", "SYM", "https://u.invalid", false, true);
        for n in 0..data.len() {
            let _ = decode_metaplex(&data[..n], &mint);
        }
        let mut huge_len = data.clone();
        huge_len[65..69].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode_metaplex(&huge_len, &mint), None);
    }

    #[test]
    fn token_2022_mints_carry_their_metadata_in_the_mint() {
        let mint = Pubkey::new_unique();
        let authority = Pubkey::new_unique();
        for update in [None, Some(authority)] {
            let spec = MintSpec {
                supply: 1_000,
                decimals: 6,
                extensions: vec![metadata_pointer(mint), fixtures::token_metadata(update, mint, "Pump Coin", "PUMP")],
                token_2022: true,
                ..MintSpec::default()
            };
            let meta = decode_token_2022(&spec.bytes()).unwrap();
            assert_eq!((meta.name.as_str(), meta.symbol.as_str()), ("Pump Coin", "PUMP"));
            assert_eq!(meta.mutable, Some(update.is_some()));
        }
        let plain = MintSpec { supply: 1, decimals: 6, token_2022: true, ..MintSpec::default() };
        assert_eq!(decode_token_2022(&plain.bytes()), None);
    }
}
