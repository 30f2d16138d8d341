//! Sender report (RFC 3550 §6.4.1).

use super::{pt, u32_at, write_header, ReportBlock, RtcpError};

/// An SR: sender info plus report blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderReport {
    /// Sender SSRC.
    pub ssrc: u32,
    /// 64-bit NTP timestamp of when this report was sent.
    pub ntp: u64,
    /// The RTP timestamp corresponding to `ntp`.
    pub rtp_ts: u32,
    /// Packets sent.
    pub packet_count: u32,
    /// Payload octets sent.
    pub octet_count: u32,
    /// Reception report blocks.
    pub reports: Vec<ReportBlock>,
}

impl SenderReport {
    pub(crate) fn parse(count: u8, b: &[u8]) -> Result<Self, RtcpError> {
        if b.len() < 24 + 24 * count as usize {
            return Err(RtcpError::Truncated);
        }
        let ntp = ((u32_at(b, 4)? as u64) << 32) | u32_at(b, 8)? as u64;
        let reports = (0..count as usize)
            .map(|i| ReportBlock::parse(&b[24 + 24 * i..]))
            .collect::<Result<_, _>>()?;
        Ok(SenderReport {
            ssrc: u32_at(b, 0)?,
            ntp,
            rtp_ts: u32_at(b, 12)?,
            packet_count: u32_at(b, 16)?,
            octet_count: u32_at(b, 20)?,
            reports,
        })
    }

    /// Appends the wire form (at most 31 report blocks are written).
    pub fn write(&self, out: &mut Vec<u8>) {
        let n = self.reports.len().min(31);
        write_header(out, n as u8, pt::SR, 24 + 24 * n);
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(&self.ntp.to_be_bytes());
        out.extend_from_slice(&self.rtp_ts.to_be_bytes());
        out.extend_from_slice(&self.packet_count.to_be_bytes());
        out.extend_from_slice(&self.octet_count.to_be_bytes());
        for r in &self.reports[..n] {
            r.write(out);
        }
    }

    /// The middle 32 bits of the NTP timestamp: what receivers echo as LSR.
    pub fn lsr(&self) -> u32 {
        (self.ntp >> 16) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_lsr() {
        let sr = SenderReport {
            ssrc: 7,
            ntp: 0xaabb_ccdd_eeff_0011,
            rtp_ts: 1,
            packet_count: 2,
            octet_count: 3,
            reports: vec![],
        };
        let mut b = Vec::new();
        sr.write(&mut b);
        assert_eq!(b.len(), 28);
        let (count, _, body, _) = super::super::header(&b).expect("header");
        assert_eq!(SenderReport::parse(count, body).expect("valid"), sr);
        assert_eq!(sr.lsr(), 0xccdd_eeff);
    }
}
