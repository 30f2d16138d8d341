//! Generic NACK (RFC 4585 §6.2.1).

use super::{pt, u32_at, write_header, RtcpError};

/// FMT of Generic NACK in RTPFB.
pub const FMT: u8 = 1;

/// A NACK, with its PID/BLP pairs expanded to the list of lost sequence numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nack {
    /// Who asks.
    pub sender_ssrc: u32,
    /// The media source whose packets are missing.
    pub media_ssrc: u32,
    /// Missing sequence numbers, in the order they were encoded.
    pub lost: Vec<u16>,
}

impl Nack {
    pub(crate) fn parse(b: &[u8]) -> Result<Self, RtcpError> {
        let sender_ssrc = u32_at(b, 0)?;
        let media_ssrc = u32_at(b, 4)?;
        let mut lost = Vec::new();
        for c in b[8..].chunks_exact(4) {
            let pid = u16::from_be_bytes([c[0], c[1]]);
            let blp = u16::from_be_bytes([c[2], c[3]]);
            lost.push(pid);
            for bit in 0..16 {
                if blp & (1 << bit) != 0 {
                    lost.push(pid.wrapping_add(bit + 1));
                }
            }
        }
        Ok(Nack {
            sender_ssrc,
            media_ssrc,
            lost,
        })
    }

    /// Packs `lost` into PID/BLP pairs: each pair covers a PID and the 16 numbers after it.
    fn pairs(&self) -> Vec<(u16, u16)> {
        let mut out: Vec<(u16, u16)> = Vec::new();
        for &s in &self.lost {
            if let Some((pid, blp)) = out.last_mut() {
                let d = s.wrapping_sub(*pid);
                if (1..=16).contains(&d) {
                    *blp |= 1 << (d - 1);
                    continue;
                }
            }
            out.push((s, 0));
        }
        out
    }

    /// Appends the wire form.
    pub fn write(&self, out: &mut Vec<u8>) {
        let pairs = self.pairs();
        write_header(out, FMT, pt::RTPFB, 8 + 4 * pairs.len());
        out.extend_from_slice(&self.sender_ssrc.to_be_bytes());
        out.extend_from_slice(&self.media_ssrc.to_be_bytes());
        for (pid, blp) in pairs {
            out.extend_from_slice(&pid.to_be_bytes());
            out.extend_from_slice(&blp.to_be_bytes());
        }
    }
}
