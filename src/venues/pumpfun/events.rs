//! Decoder for the Pump.fun `TradeEvent` emitted by self-CPI (reference §1.9): the fill
//! (tokens, SOL, fees) of a confirmed trade, read from the inner-instruction data addressed to
//! the pump program.
//!
//! Pure and total: no I/O, never signs, never panics on arbitrary bytes. Trailing fields added
//! over time are read tolerantly (absent = zero).

use solana_pubkey::Pubkey;

use crate::domain::money::{Lamports, TokenAmount};
use crate::venues::bytes::{DecodeError, PaddedReader};
use crate::venues::pumpfun::curve::PUMP_TOKEN_DECIMALS;

/// Anchor `emit_cpi` tag that prefixes every event instruction.
pub const EVENT_CPI_TAG: [u8; 8] = [0xe4, 0x45, 0xa5, 0x2e, 0x51, 0xcb, 0x9a, 0x1d];
/// `sha256("event:TradeEvent")[..8]`.
pub const TRADE_EVENT_DISCRIMINATOR: [u8; 8] = [0xbd, 0xdb, 0x7f, 0xd3, 0x4e, 0xe6, 0x61, 0xee];
const MAX_IX_NAME: usize = 64;
const SHAREHOLDER_LEN: usize = 32 + 2;
const MAX_SHAREHOLDERS: usize = 64;

/// A decoded `TradeEvent` (pump SDK 2.0.0 layout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeEvent {
    /// The coin.
    pub mint: Pubkey,
    /// Lamports moved into/out of the curve, fees excluded.
    pub sol_amount: Lamports,
    /// Tokens bought or sold.
    pub token_amount: TokenAmount,
    /// Buy (true) or sell.
    pub is_buy: bool,
    /// The trader.
    pub user: Pubkey,
    /// Unix seconds.
    pub timestamp: i64,
    /// Curve virtual SOL after the trade.
    pub virtual_sol_reserves: u64,
    /// Curve virtual tokens after the trade.
    pub virtual_token_reserves: u64,
    /// Curve real SOL after the trade.
    pub real_sol_reserves: u64,
    /// Curve real tokens after the trade.
    pub real_token_reserves: u64,
    /// Fee recipient used.
    pub fee_recipient: Pubkey,
    /// Protocol fee rate charged.
    pub fee_basis_points: u64,
    /// Protocol fee charged.
    pub fee: Lamports,
    /// Coin creator.
    pub creator: Pubkey,
    /// Creator fee rate charged.
    pub creator_fee_basis_points: u64,
    /// Creator fee charged.
    pub creator_fee: Lamports,
    /// Whether volume was tracked.
    pub track_volume: bool,
    /// Instruction that traded (`buy`, `sell`, `buy_exact_sol_in`, …).
    pub ix_name: String,
    /// Mayhem coin.
    pub mayhem_mode: bool,
    /// Cashback credited to the user's volume accumulator (cashback coins; claimable later).
    pub cashback: Lamports,
    /// Buyback share of the protocol fee (not an extra charge).
    pub buyback_fee: Lamports,
    /// Quote mint (default = SOL).
    pub quote_mint: Pubkey,
}

impl TradeEvent {
    /// Decodes inner-instruction data: `EVENT_CPI_TAG ‖ TRADE_EVENT_DISCRIMINATOR ‖ borsh`.
    ///
    /// # Errors
    /// [`DecodeError`] if either prefix is missing or a length-prefixed field does not fit.
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        crate::venues::bytes::check_discriminator(data, EVENT_CPI_TAG)?;
        crate::venues::bytes::check_discriminator(data.get(8..).unwrap_or_default(), TRADE_EVENT_DISCRIMINATOR)?;
        let mut r = PaddedReader::at(data, 16);
        let mint = r.pubkey();
        let sol_amount = Lamports(r.u64());
        let token_amount = TokenAmount::new(r.u64(), PUMP_TOKEN_DECIMALS);
        let is_buy = r.bool();
        let user = r.pubkey();
        let timestamp = r.i64();
        let (virtual_sol_reserves, virtual_token_reserves) = (r.u64(), r.u64());
        let (real_sol_reserves, real_token_reserves) = (r.u64(), r.u64());
        let fee_recipient = r.pubkey();
        let (fee_basis_points, fee) = (r.u64(), Lamports(r.u64()));
        let creator = r.pubkey();
        let (creator_fee_basis_points, creator_fee) = (r.u64(), Lamports(r.u64()));
        let track_volume = r.bool();
        r.skip(8 * 4); // total_unclaimed_tokens, total_claimed_tokens, current_sol_volume, last_update_timestamp
        let ix_name = match r.remaining() {
            0 => String::new(),
            _ => r.string(MAX_IX_NAME).ok_or(DecodeError::BadVecLength { claimed: 0 })?,
        };
        let mayhem_mode = r.bool();
        r.skip(8); // cashback_fee_basis_points
        let cashback = Lamports(r.u64());
        r.skip(8); // buyback_fee_basis_points
        let buyback_fee = Lamports(r.u64());
        let holders = r.u32();
        let fits = usize::try_from(holders).ok().filter(|n| *n <= MAX_SHAREHOLDERS);
        let Some(holders) = fits.and_then(|n| n.checked_mul(SHAREHOLDER_LEN)) else {
            return Err(DecodeError::BadVecLength { claimed: holders });
        };
        r.skip(holders);
        let quote_mint = r.pubkey();
        Ok(Self {
            mint,
            sol_amount,
            token_amount,
            is_buy,
            user,
            timestamp,
            virtual_sol_reserves,
            virtual_token_reserves,
            real_sol_reserves,
            real_token_reserves,
            fee_recipient,
            fee_basis_points,
            fee,
            creator,
            creator_fee_basis_points,
            creator_fee,
            track_volume,
            ix_name,
            mayhem_mode,
            cashback,
            buyback_fee,
            quote_mint,
        })
    }

    /// SOL the user actually paid (buy: curve amount + fees) or received (sell: curve amount −
    /// fees). Cashback is not included: it accrues in the user volume accumulator and is
    /// claimed separately. `None` on overflow/underflow (inconsistent event).
    pub fn user_sol(&self) -> Option<Lamports> {
        let fees = self.fee.checked_add(self.creator_fee)?;
        match self.is_buy {
            true => self.sol_amount.checked_add(fees),
            false => self.sol_amount.checked_sub(fees),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use proptest::prelude::*;
    use solana_pubkey::pubkey;

    use super::*;

    fn sample() -> (Vec<u8>, serde_json::Value) {
        let json: serde_json::Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/pumpfun/trade-event.mainnet.slot452024288.json"
        ))
        .unwrap();
        (hex::decode(json["hex"].as_str().unwrap()).unwrap(), json["decoded"].clone())
    }

    #[test]
    fn decodes_the_real_mainnet_trade_event() {
        let (bytes, d) = sample();
        assert_eq!(bytes.len(), 382);
        let e = TradeEvent::decode(&bytes).unwrap();
        assert_eq!(e.mint, pubkey!("EM1WnMcHLeMqBFWKoNstRj7qautMwSphqRQVBVw1pump"));
        assert_eq!(e.user, pubkey!("AMDEmVocLtN5ji2gBY7BrmSHEyM5vt6TGszBbg4crMXg"));
        assert_eq!(e.sol_amount.0, d["sol_amount"].as_u64().unwrap());
        assert_eq!(e.token_amount.raw, d["token_amount"].as_u64().unwrap());
        assert!(e.is_buy);
        assert_eq!(e.timestamp, 1_790_787_282);
        assert_eq!(e.virtual_sol_reserves, 30_700_977_905);
        assert_eq!(e.real_token_reserves, 768_600_803_494_126);
        assert_eq!(e.fee_recipient, pubkey!("62qc2CNXwrYqQScmEdiZFFAnJR262PxWEuNQtxfafNgV"));
        assert_eq!((e.fee_basis_points, e.fee.0), (95, 6_650_002));
        assert_eq!((e.creator_fee_basis_points, e.creator_fee.0), (30, 2_100_001));
        assert_eq!(e.creator, pubkey!("39c8JbwsHBZKibzBACZg3g6EDUuKxYHZ6Uot39jJAE6v"));
        assert_eq!(e.ix_name, "buy");
        assert_eq!(e.buyback_fee.0, 3_325_001);
        assert_eq!(e.quote_mint, Pubkey::default());
        // Paid: 700,000,128 + 6,650,002 + 2,100,001 = 708,750,131 lamports.
        assert_eq!(e.user_sol(), Some(Lamports(708_750_131)));
    }

    #[test]
    fn truncated_and_foreign_data_never_panic() {
        let (bytes, _) = sample();
        for len in 0..bytes.len() {
            let _ = TradeEvent::decode(&bytes[..len]);
        }
        assert!(TradeEvent::decode(&bytes[8..]).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_event_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..500)) {
            let mut data = EVENT_CPI_TAG.to_vec();
            data.extend_from_slice(&TRADE_EVENT_DISCRIMINATOR);
            data.extend_from_slice(&tail);
            let _ = TradeEvent::decode(&data);
        }
    }
}
