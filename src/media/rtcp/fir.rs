//! Full intra request (RFC 5104 §4.3.1).

use super::{pt, u32_at, write_header, RtcpError};

/// FMT of FIR in PSFB.
pub const FMT: u8 = 4;

/// One FCI entry: the source asked and the request's command sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirEntry {
    /// Media source asked for a keyframe.
    pub ssrc: u32,
    /// Command sequence number (incremented per new request, §4.3.1.1).
    pub seq: u8,
}

/// A FIR. The media SSRC of the common header is 0 (§4.3.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fir {
    /// Who asks.
    pub sender_ssrc: u32,
    /// Requests.
    pub entries: Vec<FirEntry>,
}

impl Fir {
    pub(crate) fn parse(b: &[u8]) -> Result<Self, RtcpError> {
        let sender_ssrc = u32_at(b, 0)?;
        let entries = b
            .get(8..)
            .ok_or(RtcpError::Truncated)?
            .chunks_exact(8)
            .map(|c| FirEntry {
                ssrc: u32::from_be_bytes([c[0], c[1], c[2], c[3]]),
                seq: c[4],
            })
            .collect();
        Ok(Fir {
            sender_ssrc,
            entries,
        })
    }

    /// Appends the wire form.
    pub fn write(&self, out: &mut Vec<u8>) {
        write_header(out, FMT, pt::PSFB, 8 + 8 * self.entries.len());
        out.extend_from_slice(&self.sender_ssrc.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        for e in &self.entries {
            out.extend_from_slice(&e.ssrc.to_be_bytes());
            out.extend_from_slice(&[e.seq, 0, 0, 0]);
        }
    }
}
