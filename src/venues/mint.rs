//! Mint account facts every venue needs: token program (the account owner), decimals, supply.
//!
//! Pure decoding of an account the router already read: no I/O, never signs, never panics on
//! arbitrary bytes. SPL Token and Token-2022 mints share the first 82 bytes (supply u64 at 36,
//! decimals u8 at 44); Token-2022 extensions after them are ignored.

use solana_pubkey::Pubkey;

use crate::ports::{AccountData, VenueError};
use crate::solana::ids::is_token_program;

/// Size of the base mint layout shared by SPL Token and Token-2022.
const MINT_BASE_LEN: usize = 82;

/// A decoded mint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MintInfo {
    /// The mint address.
    pub address: Pubkey,
    /// Owner program: SPL Token or Token-2022.
    pub token_program: Pubkey,
    /// Decimals (byte 44).
    pub decimals: u8,
    /// Current supply in raw units (u64 at 36).
    pub supply: u64,
}

impl MintInfo {
    /// Decodes a mint account read from chain.
    ///
    /// # Errors
    /// [`VenueError::NotAMint`] when the owner is not a token program, the data is shorter than
    /// a mint, or the mint is not initialised (byte 45).
    pub fn decode(address: Pubkey, account: &AccountData) -> Result<Self, VenueError> {
        if !is_token_program(&account.owner) || account.data.len() < MINT_BASE_LEN {
            return Err(VenueError::NotAMint);
        }
        let supply = account.data.get(36..44).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_le_bytes);
        let decimals = account.data.get(44).copied();
        let initialized = account.data.get(45).copied() == Some(1);
        match (supply, decimals, initialized) {
            (Some(supply), Some(decimals), true) => {
                Ok(Self { address, token_program: account.owner, decimals, supply })
            }
            _ => Err(VenueError::NotAMint),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::money::Lamports;
    use crate::solana::ids::{SYSTEM_PROGRAM, TOKEN_2022_PROGRAM};

    fn mint_data(len: usize) -> Vec<u8> {
        let mut d = vec![0u8; len];
        d[36..44].copy_from_slice(&1_000_000_000_000_000u64.to_le_bytes());
        d[44] = 6;
        d[45] = 1;
        d
    }

    #[test]
    fn token_2022_mints_with_extensions_decode() {
        let acc = AccountData { owner: TOKEN_2022_PROGRAM, lamports: Lamports(1), data: mint_data(290) };
        let m = MintInfo::decode(Pubkey::new_unique(), &acc).unwrap();
        assert_eq!((m.decimals, m.supply, m.token_program), (6, 1_000_000_000_000_000, TOKEN_2022_PROGRAM));
    }

    #[test]
    fn wallets_and_short_accounts_are_not_mints() {
        let wallet = AccountData { owner: SYSTEM_PROGRAM, lamports: Lamports(1), data: mint_data(82) };
        assert_eq!(MintInfo::decode(Pubkey::new_unique(), &wallet), Err(VenueError::NotAMint));
        let short = AccountData { owner: TOKEN_2022_PROGRAM, lamports: Lamports(1), data: vec![0; 40] };
        assert_eq!(MintInfo::decode(Pubkey::new_unique(), &short), Err(VenueError::NotAMint));
    }
}
