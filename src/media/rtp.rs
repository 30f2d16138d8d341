//! RTP packets (RFC 3550 §5.1) and the receive-side source state (RFC 3550 §6.4.1, A.1, A.3, A.8).

use thiserror::Error;

/// Why an RTP packet was refused. Small and allocation-free: it is on the per-packet path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RtpError {
    /// Shorter than the 12-byte fixed header or than its CSRC list / extension / padding.
    #[error("RTP packet truncated")]
    Truncated,
    /// Version field is not 2.
    #[error("RTP version {0} is not 2")]
    BadVersion(u8),
    /// Padding count larger than the payload.
    #[error("RTP padding exceeds payload")]
    BadPadding,
}

/// A parsed view of an RTP packet; the payload borrows the received buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    /// Marker bit (start of a talkspurt for audio, end of a frame for video).
    pub marker: bool,
    /// Payload type.
    pub payload_type: u8,
    /// Sequence number.
    pub seq: u16,
    /// Timestamp.
    pub timestamp: u32,
    /// Synchronisation source.
    pub ssrc: u32,
    /// Offset of the payload in the packet (after CSRCs and header extension).
    pub header_len: usize,
    /// The payload without padding.
    pub payload: &'a [u8],
}

impl<'a> RtpPacket<'a> {
    /// Parses an RTP packet (RFC 3550 §5.1), skipping CSRCs and the header extension (§5.3.1).
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtpError> {
        if buf.len() < 12 {
            return Err(RtpError::Truncated);
        }
        let version = buf[0] >> 6;
        if version != 2 {
            return Err(RtpError::BadVersion(version));
        }
        let padding = buf[0] & 0x20 != 0;
        let extension = buf[0] & 0x10 != 0;
        let cc = (buf[0] & 0x0f) as usize;
        let mut off = 12 + 4 * cc;
        if buf.len() < off {
            return Err(RtpError::Truncated);
        }
        if extension {
            if buf.len() < off + 4 {
                return Err(RtpError::Truncated);
            }
            let words = u16::from_be_bytes([buf[off + 2], buf[off + 3]]) as usize;
            off += 4 + 4 * words;
            if buf.len() < off {
                return Err(RtpError::Truncated);
            }
        }
        let mut end = buf.len();
        if padding {
            let pad = buf[end - 1] as usize;
            if pad == 0 || pad > end - off {
                return Err(RtpError::BadPadding);
            }
            end -= pad;
        }
        Ok(RtpPacket {
            marker: buf[1] & 0x80 != 0,
            payload_type: buf[1] & 0x7f,
            seq: u16::from_be_bytes([buf[2], buf[3]]),
            timestamp: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
            ssrc: u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]),
            header_len: off,
            payload: &buf[off..end],
        })
    }
}

/// Writes a 12-byte RTP header (no CSRC, no extension) followed by `payload` into `out`.
pub fn write_packet(
    out: &mut Vec<u8>,
    marker: bool,
    payload_type: u8,
    seq: u16,
    timestamp: u32,
    ssrc: u32,
    payload: &[u8],
) {
    out.reserve(12 + payload.len());
    out.push(0x80);
    out.push(((marker as u8) << 7) | (payload_type & 0x7f));
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&timestamp.to_be_bytes());
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend_from_slice(payload);
}

/// Rewrites sequence number, timestamp and SSRC of an RTP packet in place (the forwarding path).
pub fn rewrite_header(buf: &mut [u8], seq: u16, timestamp: u32, ssrc: u32) {
    debug_assert!(buf.len() >= 12, "caller parsed the packet first");
    buf[2..4].copy_from_slice(&seq.to_be_bytes());
    buf[4..8].copy_from_slice(&timestamp.to_be_bytes());
    buf[8..12].copy_from_slice(&ssrc.to_be_bytes());
}

const RTP_SEQ_MOD: u32 = 1 << 16;
const MAX_DROPOUT: u16 = 3000;
const MAX_MISORDER: u16 = 100;
/// Packets in sequence needed before a *new* SSRC is believed (RFC 3550 A.1 MIN_SEQUENTIAL).
pub const MIN_SEQUENTIAL: u32 = 2;

/// What [`SourceState::update_seq`] decided about a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqVerdict {
    /// In sequence, a small gap, or reordered within bounds: use it.
    Valid,
    /// Still on probation: drop, but keep counting.
    Probation,
    /// A very large jump: drop unless the next packet confirms the new sequence.
    Bad,
    /// The source restarted its sequence (confirmed large jump): state was reset; use it.
    Restarted,
}

/// RFC 3550 A.1 per-source sequence state, plus A.3 loss and A.8 jitter.
#[derive(Debug, Clone)]
pub struct SourceState {
    /// The SSRC being tracked.
    pub ssrc: u32,
    max_seq: u16,
    cycles: u32,
    base_seq: u32,
    bad_seq: u32,
    probation: u32,
    /// Packets received (valid ones, including duplicates, as RFC 3550 counts them).
    pub received: u64,
    expected_prior: u64,
    received_prior: u64,
    transit: Option<i64>,
    /// Interarrival jitter estimate in RTP timestamp units, scaled by 16 (RFC 3550 A.8).
    jitter_q4: u64,
}

impl SourceState {
    /// Starts tracking `ssrc` from its first packet. `probation` is RFC 3550's MIN_SEQUENTIAL
    /// for sources that must prove themselves, 0 for the peer's first (negotiated) source.
    pub fn new(ssrc: u32, seq: u16, probation: u32) -> Self {
        let mut s = SourceState {
            ssrc,
            max_seq: seq.wrapping_sub(1),
            cycles: 0,
            base_seq: 0,
            bad_seq: RTP_SEQ_MOD + 1,
            probation,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter_q4: 0,
        };
        if probation == 0 {
            s.init_seq(seq);
        }
        s
    }

    fn init_seq(&mut self, seq: u16) {
        self.base_seq = seq as u32;
        self.max_seq = seq;
        self.bad_seq = RTP_SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
    }

    /// RFC 3550 A.1 `update_seq`.
    pub fn update_seq(&mut self, seq: u16) -> SeqVerdict {
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    self.received += 1;
                    return SeqVerdict::Valid;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return SeqVerdict::Probation;
        } else if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                // Sequence number wrapped: count another 64K cycle.
                self.cycles += RTP_SEQ_MOD;
            }
            self.max_seq = seq;
        } else if udelta as u32 <= RTP_SEQ_MOD - MAX_MISORDER as u32 {
            if seq as u32 == self.bad_seq {
                // Two sequential packets: the source restarted without telling us.
                self.init_seq(seq);
                self.received += 1;
                return SeqVerdict::Restarted;
            }
            self.bad_seq = (seq as u32 + 1) & (RTP_SEQ_MOD - 1);
            return SeqVerdict::Bad;
        }
        // else: duplicate or reordered packet.
        self.received += 1;
        SeqVerdict::Valid
    }

    /// Extends a 16-bit sequence number to the 32-bit one nearest to the highest seen.
    pub fn extend_seq(&self, seq: u16) -> u64 {
        let max = self.extended_max() as i64;
        let delta = seq.wrapping_sub(self.max_seq) as i16 as i64;
        (max + delta).max(0) as u64
    }

    /// Extended highest sequence number received (RFC 3550 §6.4.1).
    pub fn extended_max(&self) -> u32 {
        self.cycles.wrapping_add(self.max_seq as u32)
    }

    /// Packets expected so far (RFC 3550 A.3).
    pub fn expected(&self) -> u64 {
        (self.cycles as u64 + self.max_seq as u64 + 1).saturating_sub(self.base_seq as u64)
    }

    /// Cumulative packets lost (RFC 3550 A.3; may be negative with duplicates, clamped to the
    /// 24-bit signed range of a report block).
    pub fn cumulative_lost(&self) -> i64 {
        (self.expected() as i64 - self.received as i64).clamp(-0x80_0000, 0x7f_ffff)
    }

    /// Fraction lost since the previous call, as the 8-bit fixed point of a report block, and
    /// the (expected, lost) counts of that interval (RFC 3550 A.3).
    pub fn take_interval(&mut self) -> (u8, u64, i64) {
        let expected = self.expected();
        let expected_interval = expected.saturating_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.saturating_sub(self.received_prior);
        self.received_prior = self.received;
        let lost_interval = expected_interval as i64 - received_interval as i64;
        let fraction = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / expected_interval as i64).min(255) as u8
        };
        (fraction, expected_interval, lost_interval)
    }

    /// Feeds one arrival for the interarrival jitter (RFC 3550 A.8). `arrival` is the arrival
    /// time in the stream's RTP clock units.
    pub fn update_jitter(&mut self, arrival: i64, rtp_ts: u32) {
        let transit = arrival.wrapping_sub(rtp_ts as i64);
        if let Some(prev) = self.transit {
            // Timestamps wrap: take the difference modulo 2^32 as a signed value.
            let d = ((transit - prev) as i32 as i64).unsigned_abs();
            // J += (|D| - J) / 16, kept in Q4.
            self.jitter_q4 = (self.jitter_q4 + d).saturating_sub((self.jitter_q4 + 8) >> 4);
        }
        self.transit = Some(transit);
    }

    /// Interarrival jitter in RTP timestamp units (the report-block value).
    pub fn jitter(&self) -> u32 {
        (self.jitter_q4 >> 4) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        let mut buf = Vec::new();
        write_packet(
            &mut buf,
            true,
            9,
            65535,
            0xdead_beef,
            0x1234_5678,
            &[1, 2, 3],
        );
        let p = RtpPacket::parse(&buf).expect("valid");
        assert!(p.marker);
        assert_eq!(
            (p.payload_type, p.seq, p.timestamp, p.ssrc),
            (9, 65535, 0xdead_beef, 0x1234_5678)
        );
        assert_eq!(p.payload, &[1, 2, 3]);
        rewrite_header(&mut buf, 7, 8, 9);
        let p = RtpPacket::parse(&buf).expect("valid");
        assert_eq!((p.seq, p.timestamp, p.ssrc), (7, 8, 9));
    }

    #[test]
    fn csrc_extension_and_padding_are_skipped() {
        let mut buf = vec![0x80 | 0x20 | 0x10 | 1, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        buf.extend_from_slice(&[0xaa; 4]); // CSRC
        buf.extend_from_slice(&[0xbe, 0xde, 0, 1, 0x10, 0x7f, 0, 0]); // one-word extension
        buf.extend_from_slice(&[5, 6, 0, 2]); // payload 5,6 then 2 bytes of padding
        let p = RtpPacket::parse(&buf).expect("valid");
        assert_eq!(p.payload, &[5, 6]);
    }

    #[test]
    fn malformed_packets_are_errors_not_panics() {
        assert_eq!(RtpPacket::parse(&[0x80; 5]), Err(RtpError::Truncated));
        assert_eq!(RtpPacket::parse(&[0x40; 12]), Err(RtpError::BadVersion(1)));
        let mut pad = vec![0xa0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 9];
        assert_eq!(RtpPacket::parse(&pad), Err(RtpError::BadPadding));
        pad[0] = 0x8f; // 15 CSRCs, none present
        assert_eq!(RtpPacket::parse(&pad), Err(RtpError::Truncated));
    }

    #[test]
    fn sequence_wrap_and_loss_counting() {
        let mut s = SourceState::new(1, 65530, 0);
        for seq in [65530u16, 65531, 65533, 65534, 65535, 0, 1, 3] {
            assert_eq!(s.update_seq(seq), SeqVerdict::Valid);
        }
        assert_eq!(s.extended_max(), 65536 + 3);
        assert_eq!(s.expected(), 10);
        assert_eq!(s.cumulative_lost(), 2);
        let (fraction, expected, lost) = s.take_interval();
        assert_eq!((expected, lost), (10, 2));
        assert_eq!(fraction, (2 * 256 / 10) as u8);
        assert_eq!(s.extend_seq(65535), 65535);
        assert_eq!(s.extend_seq(4), 65540);
    }

    #[test]
    fn new_source_needs_probation_and_restart_needs_two_packets() {
        let mut s = SourceState::new(1, 100, MIN_SEQUENTIAL);
        assert_eq!(s.update_seq(100), SeqVerdict::Probation);
        assert_eq!(s.update_seq(101), SeqVerdict::Valid);
        assert_eq!(s.update_seq(20000), SeqVerdict::Bad);
        assert_eq!(s.update_seq(20001), SeqVerdict::Restarted);
        assert_eq!(s.update_seq(20002), SeqVerdict::Valid);
    }

    #[test]
    fn jitter_follows_a8() {
        let mut s = SourceState::new(1, 0, 0);
        // Packets every 160 units, arriving alternately 0 and 32 units late.
        for i in 0..400u32 {
            let arrival = (i * 160 + if i % 2 == 1 { 32 } else { 0 }) as i64;
            s.update_jitter(arrival, i * 160);
        }
        assert!((30..=33).contains(&s.jitter()), "{}", s.jitter());
    }
}
