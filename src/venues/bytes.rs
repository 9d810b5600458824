//! A tolerant little-endian reader for Anchor account data.
//!
//! Talks to nothing and never panics: reads past the end yield zeros ("zero-pad if short,
//! ignore extra", as the pump SDKs decode accounts whose size grew over time).

use solana_pubkey::Pubkey;

/// Sequential reader over account bytes that pads with zeros past the end.
#[derive(Debug, Clone)]
pub(crate) struct PaddedReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> PaddedReader<'a> {
    /// Starts reading at `pos` (usually 8, right after the discriminator).
    pub(crate) fn at(data: &'a [u8], pos: usize) -> Self {
        Self { data, pos }
    }

    /// Bytes left before the real end of the data (0 once in the padded zone).
    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let start = self.pos.min(self.data.len());
        let end = self.pos.saturating_add(N).min(self.data.len());
        if let Some(src) = self.data.get(start..end) {
            out[..src.len()].copy_from_slice(src);
        }
        self.pos = self.pos.saturating_add(N);
        out
    }

    pub(crate) fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }

    pub(crate) fn bool(&mut self) -> bool {
        self.u8() != 0
    }

    pub(crate) fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }

    pub(crate) fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }

    pub(crate) fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }

    pub(crate) fn i64(&mut self) -> i64 {
        i64::from_le_bytes(self.take())
    }

    pub(crate) fn u128(&mut self) -> u128 {
        u128::from_le_bytes(self.take())
    }

    pub(crate) fn i128(&mut self) -> i128 {
        i128::from_le_bytes(self.take())
    }

    pub(crate) fn pubkey(&mut self) -> Pubkey {
        Pubkey::new_from_array(self.take())
    }

    /// Reads a borsh `String` (u32 length + UTF-8); `None` if longer than `max` or the data,
    /// or not UTF-8.
    pub(crate) fn string(&mut self, max: usize) -> Option<String> {
        let len = usize::try_from(self.u32()).ok().filter(|n| *n <= max && *n <= self.remaining())?;
        let end = self.pos.checked_add(len)?;
        let text = std::str::from_utf8(self.data.get(self.pos..end)?).ok()?.to_owned();
        self.pos = end;
        Some(text)
    }

    /// Skips `n` bytes.
    pub(crate) fn skip(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n);
    }

    pub(crate) fn pubkeys<const N: usize>(&mut self) -> [Pubkey; N] {
        let mut out = [Pubkey::default(); N];
        for slot in &mut out {
            *slot = self.pubkey();
        }
        out
    }
}

/// Splits off and checks an 8-byte Anchor discriminator.
pub(crate) fn check_discriminator(data: &[u8], expected: [u8; 8]) -> Result<(), DecodeError> {
    let Some(found) = data.get(..8) else {
        return Err(DecodeError::TooShort { len: data.len() });
    };
    if found != expected {
        let mut f = [0u8; 8];
        f.copy_from_slice(found);
        return Err(DecodeError::WrongDiscriminator { expected, found: f });
    }
    Ok(())
}

/// Why account bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer than the 8 discriminator bytes.
    #[error("account data too short ({len} bytes)")]
    TooShort {
        /// Length of the data.
        len: usize,
    },
    /// The discriminator is not the expected account type.
    #[error("wrong discriminator: expected {expected:02x?}, found {found:02x?}")]
    WrongDiscriminator {
        /// Discriminator of the type being decoded.
        expected: [u8; 8],
        /// Discriminator found in the data.
        found: [u8; 8],
    },
    /// A length-prefixed vector claims more entries than the data holds or than allowed.
    #[error("vector of {claimed} entries does not fit the data")]
    BadVecLength {
        /// Entry count claimed by the length prefix.
        claimed: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_past_the_end_are_zero() {
        let data = [1u8, 2, 3];
        let mut r = PaddedReader::at(&data, 1);
        assert_eq!(r.u16(), 0x0302);
        assert_eq!(r.u64(), 0);
        assert_eq!(r.remaining(), 0);
        let mut r = PaddedReader::at(&data, usize::MAX);
        assert_eq!(r.u128(), 0);
    }

    #[test]
    fn short_data_and_wrong_discriminator_are_errors() {
        assert_eq!(check_discriminator(&[1, 2], [0; 8]), Err(DecodeError::TooShort { len: 2 }));
        assert!(matches!(check_discriminator(&[1; 8], [0; 8]), Err(DecodeError::WrongDiscriminator { .. })));
        assert_eq!(check_discriminator(&[0; 9], [0; 8]), Ok(()));
    }
}
