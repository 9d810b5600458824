//! Small pure helpers of the trading core: fee estimates, reading token amounts, prices, and
//! mapping adapter errors to [`TradeFailure`]s.

use std::time::Duration;

use rust_decimal::Decimal;

use crate::domain::failure::{TradeFailure, VenueFailure};
use crate::domain::money::{Lamports, TokenAmount};
use crate::domain::user_config::{PriorityFee, UserConfig};
use crate::ports::{AccountData, VenueError};
use crate::solana::errors::TxFailure;
use crate::solana::submit::SubmitOptions;

/// Base fee per signature.
pub const LAMPORTS_PER_SIGNATURE: u64 = 5_000;
/// Upper bound on the compute-unit price we ever sign (a typo and oracle guard).
pub const MAX_CU_PRICE: u64 = 50_000_000;
/// Size of a plain SPL Token account (no Token-2022 extensions).
pub const PLAIN_TOKEN_ACCOUNT_LEN: usize = 165;

/// Fee estimate the risk check adds to an entry: base fee, priority fee for `cu` compute units at
/// the user's price (`auto` assumes 100,000 micro-lamports per CU) and the tip.
pub fn fee_estimate(config: &UserConfig, cu: u32, tip: Lamports) -> u64 {
    let price = match config.priority_fee {
        PriorityFee::MicroLamports(m) => m,
        PriorityFee::Auto => 100_000,
    };
    let priority = (u128::from(cu) * u128::from(price)).div_ceil(1_000_000);
    LAMPORTS_PER_SIGNATURE.saturating_add(u64::try_from(priority).unwrap_or(u64::MAX / 4)).saturating_add(tip.0)
}

/// Maps a venue error to a failure.
pub fn venue_failure(e: &VenueError) -> TradeFailure {
    TradeFailure::Venue(match e {
        VenueError::CurveComplete => VenueFailure::CurveComplete,
        VenueError::NoRoute => VenueFailure::NoRoute,
        VenueError::NotAMint => VenueFailure::NotAMint,
        VenueError::Amount(_) => VenueFailure::Amount,
        VenueError::RateLimited { .. } => VenueFailure::RateLimited,
        VenueError::Unavailable(_) | VenueError::Chain(_) => VenueFailure::Unavailable,
        VenueError::Decode(_) => VenueFailure::Decode,
    })
}

/// Whether retrying the same venue call may succeed (network trouble, not a decision).
pub fn venue_retryable(e: &VenueError) -> bool {
    matches!(e, VenueError::RateLimited { .. } | VenueError::Unavailable(_) | VenueError::Chain(_))
}

/// Raw token amount from a token account's data (layout: amount u64 LE at 64..72).
pub fn token_account_amount(account: Option<&AccountData>) -> u64 {
    account.and_then(|a| a.data.get(64..72)).and_then(|b| <[u8; 8]>::try_from(b).ok()).map_or(0, u64::from_le_bytes)
}

/// Display price: SOL per UI token.
pub fn ui_price(sol: Lamports, tokens: u64, decimals: u8) -> Option<Decimal> {
    let ui = TokenAmount::new(tokens, decimals).to_ui();
    if ui.is_zero() { None } else { sol.to_sol().checked_div(ui).map(|p| p.round_dp(12)) }
}

/// Fast submission timing for local fakes (tests, benches): 20 ms polls, 200 ms rebroadcasts.
pub fn fast_submit() -> SubmitOptions {
    SubmitOptions {
        poll_every: Duration::from_millis(20),
        rebroadcast_every: Duration::from_millis(200),
        give_up_after: Duration::from_secs(10),
        ..SubmitOptions::default()
    }
}

/// Maps a decoded on-chain failure to a trade failure.
pub fn tx_failure(f: &TxFailure) -> TradeFailure {
    match f {
        TxFailure::SlippageExceeded { .. } => TradeFailure::Slippage,
        TxFailure::InsufficientFunds { .. } => TradeFailure::InsufficientFunds,
        TxFailure::CurveComplete { .. } => TradeFailure::Venue(VenueFailure::CurveComplete),
        TxFailure::AccountNotFound => TradeFailure::AccountNotFound,
        TxFailure::BlockhashNotFound => TradeFailure::Expired,
        TxFailure::Other { .. } => TradeFailure::OnChain,
    }
}

/// Whether a token account can be closed once its balance is zero. Plain SPL Token accounts
/// can. Token-2022 accounts can when every extension is harmless for closing: immutable owner,
/// non-transferable, CPI guard and memo-transfer markers, and transfer-fee amounts with nothing
/// withheld (withheld fees make `CloseAccount` fail; such an account is left open, and so is
/// one with an extension we do not know).
pub fn closeable_when_empty(data: &[u8]) -> bool {
    const ACCOUNT_TYPE_ACCOUNT: u8 = 2;
    const TRANSFER_FEE_AMOUNT: u16 = 2;
    const HARMLESS: [u16; 5] = [0, 7, 8, 9, 11]; // padding, memo, immutable owner, non-transferable, CPI guard
    if data.len() == PLAIN_TOKEN_ACCOUNT_LEN {
        return true;
    }
    if data.len() <= PLAIN_TOKEN_ACCOUNT_LEN || data[PLAIN_TOKEN_ACCOUNT_LEN] != ACCOUNT_TYPE_ACCOUNT {
        return false;
    }
    let mut tlv = &data[PLAIN_TOKEN_ACCOUNT_LEN + 1..];
    while tlv.len() >= 4 {
        let kind = u16::from_le_bytes([tlv[0], tlv[1]]);
        let len = usize::from(u16::from_le_bytes([tlv[2], tlv[3]]));
        let Some(value) = tlv.get(4..4 + len) else { return false };
        match kind {
            TRANSFER_FEE_AMOUNT if value.iter().any(|b| *b != 0) => return false,
            TRANSFER_FEE_AMOUNT => {}
            k if HARMLESS.contains(&k) => {}
            _ => return false,
        }
        tlv = &tlv[4 + len..];
    }
    true
}

/// Tokens to sell for `pct` % of `held` raw tokens (100 % is everything; a share that rounds to
/// zero sells everything, since what is left is the rest).
pub fn percent_of(held: u64, pct: u8) -> u64 {
    if pct >= 100 {
        return held;
    }
    let share = u64::try_from(u128::from(held) * u128::from(pct) / 100).unwrap_or(held);
    if share == 0 { held } else { share }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_2022_account(extensions: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut data = vec![0u8; PLAIN_TOKEN_ACCOUNT_LEN];
        data.push(2);
        for (kind, value) in extensions {
            data.extend_from_slice(&kind.to_le_bytes());
            data.extend_from_slice(&u16::try_from(value.len()).unwrap().to_le_bytes());
            data.extend_from_slice(value);
        }
        data
    }

    #[test]
    fn which_empty_token_accounts_are_closed() {
        assert!(closeable_when_empty(&[0u8; PLAIN_TOKEN_ACCOUNT_LEN]), "plain SPL Token");
        assert!(closeable_when_empty(&token_2022_account(&[(7, vec![])])), "Token-2022 ATA (immutable owner)");
        assert!(closeable_when_empty(&token_2022_account(&[(7, vec![]), (2, vec![0; 8])])), "no fees withheld");
        assert!(!closeable_when_empty(&token_2022_account(&[(7, vec![]), (2, 5u64.to_le_bytes().to_vec())])));
        assert!(!closeable_when_empty(&token_2022_account(&[(5, vec![0; 10])])), "unknown to us: left open");
        assert!(!closeable_when_empty(&[0u8; 100]), "not a token account");
        let mut truncated = token_2022_account(&[(2, vec![0; 8])]);
        truncated.truncate(truncated.len() - 3);
        assert!(!closeable_when_empty(&truncated));
    }

    #[test]
    fn percent_of_sells_the_share_of_what_is_held_now() {
        assert_eq!(percent_of(1_001, 50), 500);
        assert_eq!(percent_of(500, 50), 250);
        assert_eq!(percent_of(1, 50), 1, "a share that rounds to zero sells the rest");
        assert_eq!(percent_of(7, 100), 7);
        assert_eq!(percent_of(u64::MAX, 99), u64::try_from(u128::from(u64::MAX) * 99 / 100).unwrap());
    }
}
