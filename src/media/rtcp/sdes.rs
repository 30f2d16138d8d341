//! Source description (RFC 3550 §6.5): we send and keep only the CNAME of the first chunk.

use super::{item_text, pt, u32_at, write_header, RtcpError};

/// An SDES packet reduced to what the media plane uses: one chunk's CNAME.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdes {
    /// Chunk SSRC.
    pub ssrc: u32,
    /// CNAME item (RFC 3550 §6.5.1); empty if the chunk had none.
    pub cname: String,
}

const CNAME: u8 = 1;

impl Sdes {
    pub(crate) fn parse(count: u8, b: &[u8]) -> Result<Self, RtcpError> {
        if count == 0 {
            return Err(RtcpError::Malformed("SDES without chunks"));
        }
        let ssrc = u32_at(b, 0)?;
        let mut i = 4;
        let mut cname = String::new();
        while let Some(&kind) = b.get(i) {
            if kind == 0 {
                break;
            }
            let len = *b.get(i + 1).ok_or(RtcpError::Truncated)? as usize;
            let text = b.get(i + 2..i + 2 + len).ok_or(RtcpError::Truncated)?;
            if kind == CNAME {
                cname = String::from_utf8_lossy(text).into_owned();
            }
            i += 2 + len;
        }
        Ok(Sdes { ssrc, cname })
    }

    /// Appends one chunk with the CNAME item, null-terminated and padded to 32 bits.
    pub fn write(&self, out: &mut Vec<u8>) {
        let text = item_text(&self.cname);
        let items = 2 + text.len() + 1; // item header, text, terminating null
        let chunk = 4 + items.div_ceil(4) * 4;
        write_header(out, 1, pt::SDES, chunk);
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.push(CNAME);
        out.push(text.len() as u8);
        out.extend_from_slice(text);
        let pad = chunk - 4 - 2 - text.len();
        out.extend(std::iter::repeat_n(0u8, pad));
    }
}
