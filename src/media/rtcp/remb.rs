//! Receiver estimated maximum bitrate (draft-alvestrand-rmcat-remb-03 §2.2), an
//! application-layer feedback message (PSFB FMT 15, RFC 4585 §6.4).

use super::{pt, u32_at, write_header, RtcpError};

/// FMT of application-layer feedback in PSFB.
pub const FMT: u8 = 15;

/// A REMB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remb {
    /// Who estimates.
    pub sender_ssrc: u32,
    /// Estimated maximum bitrate in bit/s (a 6-bit exponent and 18-bit mantissa on the wire).
    pub bitrate: u64,
    /// The sources the estimate applies to.
    pub ssrcs: Vec<u32>,
}

impl Remb {
    pub(crate) fn parse(b: &[u8]) -> Result<Self, RtcpError> {
        let sender_ssrc = u32_at(b, 0)?;
        if b.get(8..12) != Some(b"REMB") {
            return Err(RtcpError::Malformed("REMB identifier"));
        }
        let w = u32_at(b, 12)?;
        let n = (w >> 24) as usize;
        let exp = (w >> 18) & 0x3f;
        let mantissa = (w & 0x3ffff) as u64;
        let ssrcs = (0..n)
            .map(|i| u32_at(b, 16 + 4 * i))
            .collect::<Result<_, _>>()?;
        Ok(Remb {
            sender_ssrc,
            bitrate: mantissa << exp,
            ssrcs,
        })
    }

    /// Appends the wire form (the bitrate is rounded down to what 18 bits of mantissa hold).
    pub fn write(&self, out: &mut Vec<u8>) {
        let n = self.ssrcs.len().min(255);
        write_header(out, FMT, pt::PSFB, 16 + 4 * n);
        out.extend_from_slice(&self.sender_ssrc.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(b"REMB");
        let mut exp = 0u32;
        let mut m = self.bitrate;
        while m >= 1 << 18 {
            m >>= 1;
            exp += 1;
        }
        out.extend_from_slice(&(((n as u32) << 24) | (exp.min(63) << 18) | m as u32).to_be_bytes());
        for s in &self.ssrcs[..n] {
            out.extend_from_slice(&s.to_be_bytes());
        }
    }
}
