//! Picture loss indication (RFC 4585 §6.3.1).

use super::{pt, u32_at, write_header, RtcpError};

/// FMT of PLI in PSFB.
pub const FMT: u8 = 1;

/// A PLI: "send me a keyframe" (decoder lost sync).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pli {
    /// Who asks.
    pub sender_ssrc: u32,
    /// The media source asked.
    pub media_ssrc: u32,
}

impl Pli {
    pub(crate) fn parse(b: &[u8]) -> Result<Self, RtcpError> {
        Ok(Pli {
            sender_ssrc: u32_at(b, 0)?,
            media_ssrc: u32_at(b, 4)?,
        })
    }

    /// Appends the wire form.
    pub fn write(&self, out: &mut Vec<u8>) {
        write_header(out, FMT, pt::PSFB, 8);
        out.extend_from_slice(&self.sender_ssrc.to_be_bytes());
        out.extend_from_slice(&self.media_ssrc.to_be_bytes());
    }
}
