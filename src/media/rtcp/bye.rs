//! Goodbye (RFC 3550 §6.6).

use super::{item_text, pt, u32_at, write_header, RtcpError};

/// A BYE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bye {
    /// Sources leaving.
    pub ssrcs: Vec<u32>,
    /// Optional reason.
    pub reason: Option<String>,
}

impl Bye {
    pub(crate) fn parse(count: u8, b: &[u8]) -> Result<Self, RtcpError> {
        let n = count as usize;
        let ssrcs = (0..n).map(|i| u32_at(b, 4 * i)).collect::<Result<_, _>>()?;
        let reason = match b.get(4 * n) {
            Some(&len) => {
                let t = b
                    .get(4 * n + 1..4 * n + 1 + len as usize)
                    .ok_or(RtcpError::Truncated)?;
                Some(String::from_utf8_lossy(t).into_owned())
            }
            None => None,
        };
        Ok(Bye { ssrcs, reason })
    }

    /// Appends the wire form.
    pub fn write(&self, out: &mut Vec<u8>) {
        let n = self.ssrcs.len().min(31);
        let reason = self.reason.as_deref().map(item_text);
        let rlen = reason.map_or(0, |r| (1 + r.len()).div_ceil(4) * 4);
        write_header(out, n as u8, pt::BYE, 4 * n + rlen);
        for s in &self.ssrcs[..n] {
            out.extend_from_slice(&s.to_be_bytes());
        }
        if let Some(r) = reason {
            out.push(r.len() as u8);
            out.extend_from_slice(r);
            out.extend(std::iter::repeat_n(0u8, rlen - 1 - r.len()));
        }
    }
}
