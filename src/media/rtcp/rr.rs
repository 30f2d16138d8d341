//! Receiver report and report blocks (RFC 3550 §6.4.2, §6.4.1).

use super::{pt, u32_at, write_header, RtcpError};

/// One reception report block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlock {
    /// The source this block is about.
    pub ssrc: u32,
    /// Fraction lost since the last report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit signed).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub extended_highest_seq: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR from that source (0: none).
    pub last_sr: u32,
    /// Delay since that SR, in 1/65536 s.
    pub delay_since_last_sr: u32,
}

impl ReportBlock {
    pub(crate) fn parse(b: &[u8]) -> Result<Self, RtcpError> {
        let w1 = u32_at(b, 4)?;
        // Sign-extend the 24-bit cumulative loss.
        let cumulative_lost = ((w1 << 8) as i32) >> 8;
        Ok(ReportBlock {
            ssrc: u32_at(b, 0)?,
            fraction_lost: (w1 >> 24) as u8,
            cumulative_lost,
            extended_highest_seq: u32_at(b, 8)?,
            jitter: u32_at(b, 12)?,
            last_sr: u32_at(b, 16)?,
            delay_since_last_sr: u32_at(b, 20)?,
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        let lost = (self.cumulative_lost.clamp(-0x80_0000, 0x7f_ffff) as u32) & 0x00ff_ffff;
        out.extend_from_slice(&(((self.fraction_lost as u32) << 24) | lost).to_be_bytes());
        out.extend_from_slice(&self.extended_highest_seq.to_be_bytes());
        out.extend_from_slice(&self.jitter.to_be_bytes());
        out.extend_from_slice(&self.last_sr.to_be_bytes());
        out.extend_from_slice(&self.delay_since_last_sr.to_be_bytes());
    }
}

/// An RR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverReport {
    /// Reporter SSRC.
    pub ssrc: u32,
    /// Report blocks.
    pub reports: Vec<ReportBlock>,
}

impl ReceiverReport {
    pub(crate) fn parse(count: u8, b: &[u8]) -> Result<Self, RtcpError> {
        if b.len() < 4 + 24 * count as usize {
            return Err(RtcpError::Truncated);
        }
        let reports = (0..count as usize)
            .map(|i| ReportBlock::parse(&b[4 + 24 * i..]))
            .collect::<Result<_, _>>()?;
        Ok(ReceiverReport {
            ssrc: u32_at(b, 0)?,
            reports,
        })
    }

    /// Appends the wire form.
    pub fn write(&self, out: &mut Vec<u8>) {
        let n = self.reports.len().min(31);
        write_header(out, n as u8, pt::RR, 4 + 24 * n);
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        for r in &self.reports[..n] {
            r.write(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_cumulative_loss_survives() {
        let rr = ReceiverReport {
            ssrc: 1,
            reports: vec![ReportBlock {
                ssrc: 2,
                fraction_lost: 255,
                cumulative_lost: -5,
                extended_highest_seq: 1,
                jitter: 2,
                last_sr: 3,
                delay_since_last_sr: 4,
            }],
        };
        let mut b = Vec::new();
        rr.write(&mut b);
        let (count, _, body, _) = super::super::header(&b).expect("header");
        assert_eq!(ReceiverReport::parse(count, body).expect("valid"), rr);
    }
}
