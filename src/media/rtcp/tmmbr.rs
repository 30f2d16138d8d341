//! Temporary maximum media bitrate request (RFC 5104 §4.2.1).

use super::{pt, u32_at, write_header, RtcpError};

/// FMT of TMMBR in RTPFB.
pub const FMT: u8 = 3;

/// One FCI entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TmmbrEntry {
    /// The media source to limit.
    pub ssrc: u32,
    /// Maximum total media bitrate in bit/s (17-bit mantissa, 6-bit exponent on the wire).
    pub bitrate: u64,
    /// Measured per-packet overhead in octets (9 bits).
    pub overhead: u16,
}

/// A TMMBR. The media SSRC of the common header is 0 (§4.2.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tmmbr {
    /// Who asks.
    pub sender_ssrc: u32,
    /// Requests.
    pub entries: Vec<TmmbrEntry>,
}

impl Tmmbr {
    pub(crate) fn parse(b: &[u8]) -> Result<Self, RtcpError> {
        let sender_ssrc = u32_at(b, 0)?;
        let mut entries = Vec::new();
        for c in b.get(8..).ok_or(RtcpError::Truncated)?.chunks_exact(8) {
            let w = u32::from_be_bytes([c[4], c[5], c[6], c[7]]);
            let exp = w >> 26;
            let mantissa = ((w >> 9) & 0x1ffff) as u64;
            entries.push(TmmbrEntry {
                ssrc: u32::from_be_bytes([c[0], c[1], c[2], c[3]]),
                bitrate: mantissa << exp,
                overhead: (w & 0x1ff) as u16,
            });
        }
        Ok(Tmmbr {
            sender_ssrc,
            entries,
        })
    }

    /// Appends the wire form.
    pub fn write(&self, out: &mut Vec<u8>) {
        write_header(out, FMT, pt::RTPFB, 8 + 8 * self.entries.len());
        out.extend_from_slice(&self.sender_ssrc.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        for e in &self.entries {
            let mut exp = 0u32;
            let mut m = e.bitrate;
            while m >= 1 << 17 {
                m >>= 1;
                exp += 1;
            }
            out.extend_from_slice(&e.ssrc.to_be_bytes());
            let w = (exp.min(63) << 26) | ((m as u32) << 9) | (e.overhead as u32 & 0x1ff);
            out.extend_from_slice(&w.to_be_bytes());
        }
    }
}
