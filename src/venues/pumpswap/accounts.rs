//! Decoders for PumpSwap `Pool` and `GlobalConfig` (reference §2.2 and the pump_amm IDL).
//!
//! Pure and total: no I/O, never signs, never panics on arbitrary bytes ("zero-pad if short,
//! ignore extra"; discriminator checked).

use solana_pubkey::Pubkey;

use crate::venues::bytes::{DecodeError, PaddedReader, check_discriminator};

/// `sha256("account:Pool")[..8]`.
pub const POOL_DISCRIMINATOR: [u8; 8] = [0xf1, 0x9a, 0x6d, 0x04, 0x11, 0xb1, 0x6d, 0xbc];
/// `sha256("account:GlobalConfig")[..8]`.
pub const GLOBAL_CONFIG_DISCRIMINATOR: [u8; 8] = [0x95, 0x08, 0x9c, 0xca, 0xa0, 0xfc, 0xb0, 0xd9];
/// The swap SDK prepends `extend_account` when pool data is shorter than this.
pub const POOL_ACCOUNT_NEW_SIZE: usize = 300;

/// A PumpSwap pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pool {
    /// PDA bump.
    pub pool_bump: u8,
    /// Pool index (0 = canonical).
    pub index: u16,
    /// Pool creator.
    pub creator: Pubkey,
    /// Base mint (the coin).
    pub base_mint: Pubkey,
    /// Quote mint.
    pub quote_mint: Pubkey,
    /// LP mint.
    pub lp_mint: Pubkey,
    /// Base vault (its token balance is the base reserve).
    pub pool_base_token_account: Pubkey,
    /// Quote vault (its token balance plus `virtual_quote_reserves` is the quote reserve).
    pub pool_quote_token_account: Pubkey,
    /// Circulating LP supply.
    pub lp_supply: u64,
    /// Coin creator (creator fee recipient); default = no creator fee.
    pub coin_creator: Pubkey,
    /// Mayhem pool.
    pub is_mayhem_mode: bool,
    /// Cashback pool.
    pub is_cashback_coin: bool,
    /// Boost: virtual quote added to the vault balance when quoting (0 for non-boost pools).
    pub virtual_quote_reserves: i128,
    /// Custom creator fee (0 = schedule).
    pub creator_fee_bps: u64,
    /// Creator may edit the fee.
    pub can_edit_creator_fee: bool,
    /// Holder-reward pool.
    pub is_holder_reward: bool,
}

impl Pool {
    /// Decodes pool account data.
    ///
    /// # Errors
    /// [`DecodeError`] on a short or wrong discriminator.
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        check_discriminator(data, POOL_DISCRIMINATOR)?;
        let mut r = PaddedReader::at(data, 8);
        Ok(Self {
            pool_bump: r.u8(),
            index: r.u16(),
            creator: r.pubkey(),
            base_mint: r.pubkey(),
            quote_mint: r.pubkey(),
            lp_mint: r.pubkey(),
            pool_base_token_account: r.pubkey(),
            pool_quote_token_account: r.pubkey(),
            lp_supply: r.u64(),
            coin_creator: r.pubkey(),
            is_mayhem_mode: r.bool(),
            is_cashback_coin: r.bool(),
            virtual_quote_reserves: r.i128(),
            creator_fee_bps: r.u64(),
            can_edit_creator_fee: r.bool(),
            is_holder_reward: r.bool(),
        })
    }
}

/// PumpSwap `GlobalConfig` (`ADyA8hde…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalConfig {
    /// Admin.
    pub admin: Pubkey,
    /// Fallback LP fee (used only without a FeeConfig).
    pub lp_fee_basis_points: u64,
    /// Fallback protocol fee.
    pub protocol_fee_basis_points: u64,
    /// Bit 3 disables buy, bit 4 disables sell.
    pub disable_flags: u8,
    /// Protocol fee recipients.
    pub protocol_fee_recipients: [Pubkey; 8],
    /// Fallback creator fee.
    pub coin_creator_fee_basis_points: u64,
    /// Admin authority for coin creators.
    pub admin_set_coin_creator_authority: Pubkey,
    /// Whitelist PDA.
    pub whitelist_pda: Pubkey,
    /// First reserved (mayhem) recipient.
    pub reserved_fee_recipient: Pubkey,
    /// Mayhem mode enabled.
    pub mayhem_mode_enabled: bool,
    /// Other reserved recipients.
    pub reserved_fee_recipients: [Pubkey; 7],
    /// Cashback enabled.
    pub is_cashback_enabled: bool,
    /// Buyback fee recipients.
    pub buyback_fee_recipients: [Pubkey; 8],
    /// Buyback share of the protocol fee.
    pub buyback_basis_points: u64,
    /// Boost authority.
    pub boost_authority: Pubkey,
    /// Boost enabled.
    pub boost_enabled: bool,
    /// Pools may override the creator fee.
    pub creator_fee_configurable: bool,
    /// Cap for a configured creator fee.
    pub max_configurable_creator_fee_bps: u64,
}

impl GlobalConfig {
    /// Decodes `GlobalConfig` account data.
    ///
    /// # Errors
    /// [`DecodeError`] on a short or wrong discriminator.
    pub fn decode(data: &[u8]) -> Result<Self, DecodeError> {
        check_discriminator(data, GLOBAL_CONFIG_DISCRIMINATOR)?;
        let mut r = PaddedReader::at(data, 8);
        Ok(Self {
            admin: r.pubkey(),
            lp_fee_basis_points: r.u64(),
            protocol_fee_basis_points: r.u64(),
            disable_flags: r.u8(),
            protocol_fee_recipients: r.pubkeys(),
            coin_creator_fee_basis_points: r.u64(),
            admin_set_coin_creator_authority: r.pubkey(),
            whitelist_pda: r.pubkey(),
            reserved_fee_recipient: r.pubkey(),
            mayhem_mode_enabled: r.bool(),
            reserved_fee_recipients: r.pubkeys(),
            is_cashback_enabled: r.bool(),
            buyback_fee_recipients: r.pubkeys(),
            buyback_basis_points: r.u64(),
            boost_authority: r.pubkey(),
            boost_enabled: r.bool(),
            creator_fee_configurable: r.bool(),
            max_configurable_creator_fee_bps: r.u64(),
        })
    }

    /// True if buys are disabled (flag bit 3).
    pub fn buy_disabled(&self) -> bool {
        self.disable_flags & 0b1000 != 0
    }

    /// True if sells are disabled (flag bit 4).
    pub fn sell_disabled(&self) -> bool {
        self.disable_flags & 0b1_0000 != 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn pool_fields_land_at_the_documented_offsets() {
        let mut d = vec![0u8; 271];
        d[..8].copy_from_slice(&POOL_DISCRIMINATOR);
        d[9..11].copy_from_slice(&7u16.to_le_bytes());
        d[43..75].copy_from_slice(&[1; 32]);
        d[139..171].copy_from_slice(&[2; 32]);
        d[211..243].copy_from_slice(&[3; 32]);
        d[244] = 1;
        d[245..261].copy_from_slice(&17_584_500_000i128.to_le_bytes());
        d[261..269].copy_from_slice(&40u64.to_le_bytes());
        let p = Pool::decode(&d).unwrap();
        assert_eq!(p.index, 7);
        assert_eq!(p.base_mint, Pubkey::new_from_array([1; 32]));
        assert_eq!(p.pool_base_token_account, Pubkey::new_from_array([2; 32]));
        assert_eq!(p.coin_creator, Pubkey::new_from_array([3; 32]));
        assert!(p.is_cashback_coin && !p.is_mayhem_mode);
        assert_eq!(p.virtual_quote_reserves, 17_584_500_000);
        assert_eq!(p.creator_fee_bps, 40);
        // [crate] 0.5.0 size 287 and a short pre-boost account both decode.
        d.resize(287, 9);
        assert_eq!(Pool::decode(&d).unwrap().creator_fee_bps, 40);
        assert_eq!(Pool::decode(&d[..245]).unwrap().virtual_quote_reserves, 0);
    }

    #[test]
    fn global_config_fields_land_at_the_documented_offsets() {
        let mut d = vec![0u8; 949];
        d[..8].copy_from_slice(&GLOBAL_CONFIG_DISCRIMINATOR);
        d[40..48].copy_from_slice(&20u64.to_le_bytes());
        d[48..56].copy_from_slice(&5u64.to_le_bytes());
        d[56] = 0b1000;
        d[57..89].copy_from_slice(&[4; 32]);
        d[313..321].copy_from_slice(&5u64.to_le_bytes());
        d[643..675].copy_from_slice(&[6; 32]);
        d[940] = 1;
        let g = GlobalConfig::decode(&d).unwrap();
        assert_eq!((g.lp_fee_basis_points, g.protocol_fee_basis_points, g.coin_creator_fee_basis_points), (20, 5, 5));
        assert!(g.buy_disabled() && !g.sell_disabled());
        assert_eq!(g.protocol_fee_recipients[0], Pubkey::new_from_array([4; 32]));
        assert_eq!(g.buyback_fee_recipients[0], Pubkey::new_from_array([6; 32]));
        assert!(g.creator_fee_configurable);
    }

    proptest! {
        #[test]
        fn decoders_never_panic(data in proptest::collection::vec(any::<u8>(), 0..1000), pool in any::<bool>()) {
            let mut data = data;
            if data.len() >= 8 {
                data[..8].copy_from_slice(if pool { &POOL_DISCRIMINATOR } else { &GLOBAL_CONFIG_DISCRIMINATOR });
            }
            let _ = Pool::decode(&data);
            let _ = GlobalConfig::decode(&data);
        }
    }
}
