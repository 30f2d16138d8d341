//! H.264 video forwarding without transcoding: each leg receives its room's active speaker,
//! rewritten (SSRC, sequence number, timestamp) into one continuous stream, switching only on
//! a keyframe of the new source so the receiver's decoder never sees a broken picture.

use super::rtp::{self, RtpPacket};
use super::LegId;
use std::time::Instant;

/// RTP clock of video (RFC 6184 §8.2.1).
pub const VIDEO_CLOCK: u32 = 90_000;

/// Checks the negotiated H.264 fmtp (RFC 6184 §8.1) for what forwarding between arbitrary room
/// systems needs: packetization-mode=1 (FU-A/STAP-A; mode 0 receivers cannot take fragmented
/// NAL units) and a profile every H.264 decoder can play, Constrained Baseline (profile_idc
/// 0x42, or any profile with constraint_set1_flag). Returns why not, for the leg's stats.
pub fn check_fmtp(fmtp: &str) -> Result<(), String> {
    let mut mode = 0u32;
    let mut profile: Option<(u8, u8)> = None;
    for part in fmtp.split(';') {
        let Some((k, v)) = part.trim().split_once('=') else {
            continue;
        };
        let v = v.trim();
        if k.trim().eq_ignore_ascii_case("packetization-mode") {
            mode = v
                .parse()
                .map_err(|_| format!("bad packetization-mode {v:?}"))?;
        } else if k.trim().eq_ignore_ascii_case("profile-level-id") {
            let bytes = u32::from_str_radix(v, 16)
                .ok()
                .filter(|_| v.len() == 6)
                .ok_or_else(|| format!("bad profile-level-id {v:?}"))?;
            profile = Some(((bytes >> 16) as u8, (bytes >> 8) as u8));
        }
    }
    if mode != 1 {
        return Err(format!(
            "packetization-mode={mode}: forwarding needs mode 1 (FU-A)"
        ));
    }
    // RFC 6184 §8.1: profile-level-id defaults to 420010 (Baseline, level 1.0).
    let (idc, iop) = profile.unwrap_or((0x42, 0x00));
    if idc == 0x42 || iop & 0x40 != 0 {
        Ok(())
    } else {
        Err(format!(
            "H.264 profile_idc {idc:#04x} without constraint_set1: not playable by every room system"
        ))
    }
}

/// True if this RTP payload starts a keyframe: an IDR slice or SPS (RFC 6184 §5.4, single NAL
/// unit, STAP-A aggregate, or the first fragment of an FU-A).
pub fn starts_keyframe(payload: &[u8]) -> bool {
    let Some(&first) = payload.first() else {
        return false;
    };
    let key = |t: u8| t == 5 || t == 7;
    match first & 0x1f {
        24 => {
            // STAP-A: 16-bit size, NAL unit, repeated.
            let mut i = 1;
            while i + 2 < payload.len() {
                let size = u16::from_be_bytes([payload[i], payload[i + 1]]) as usize;
                if key(payload[i + 2] & 0x1f) {
                    return true;
                }
                i += 2 + size;
            }
            false
        }
        28 => payload
            .get(1)
            .is_some_and(|&fu| fu & 0x80 != 0 && key(fu & 0x1f)),
        t => key(t),
    }
}

/// One leg's video: as a source (what it sends us) and as a receiver (what we send it).
#[derive(Debug, Clone)]
pub struct VideoLeg {
    /// Negotiated payload type.
    pub pt: u8,
    /// Our SSRC towards this leg.
    pub local_ssrc: u32,
    /// The leg's own video SSRC, once seen (the media SSRC of our feedback to it).
    pub remote_ssrc: Option<u32>,
    /// FIR command sequence number (RFC 5104 §4.3.1.1).
    pub fir_seq: u8,
    /// Tick of the last keyframe request sent to this leg (rate limit).
    pub last_request_tick: Option<u64>,
    /// What we send this leg.
    pub out: OutStream,
    /// Packets received from the leg.
    pub packets_in: u64,
    /// Packets forwarded to the leg.
    pub packets_out: u64,
    /// Payload octets forwarded to the leg.
    pub bytes_out: u64,
    /// `packets_out` at our last video SR.
    pub reported_out: u64,
    /// Keyframes requested from this leg.
    pub keyframes_requested: u64,
    /// Source switches of the stream sent to this leg.
    pub switches: u64,
}

impl VideoLeg {
    /// A leg's video with our SSRC and a random initial sequence number and timestamp.
    pub fn new(pt: u8, local_ssrc: u32, seq: u16, ts: u32) -> Self {
        VideoLeg {
            pt,
            local_ssrc,
            remote_ssrc: None,
            fir_seq: 0,
            last_request_tick: None,
            out: OutStream::new(seq, ts),
            packets_in: 0,
            packets_out: 0,
            bytes_out: 0,
            reported_out: 0,
            keyframes_requested: 0,
            switches: 0,
        }
    }
}

/// The rewritten stream sent to one receiver.
#[derive(Debug, Clone)]
pub struct OutStream {
    /// Source currently forwarded.
    pub current: Option<LegId>,
    /// Source we asked a keyframe from and wait for, and the tick we asked.
    pub pending: Option<(LegId, u64)>,
    seq_offset: u16,
    ts_offset: u32,
    last_seq: u16,
    last_ts: u32,
    last_at: Option<Instant>,
    /// First outgoing sequence number of the current source's segment (NACK mapping bound).
    segment_start: u16,
}

impl OutStream {
    fn new(seq: u16, ts: u32) -> Self {
        OutStream {
            current: None,
            pending: None,
            seq_offset: 0,
            ts_offset: 0,
            last_seq: seq.wrapping_sub(1),
            last_ts: ts,
            last_at: None,
            segment_start: seq,
        }
    }

    /// Starts forwarding `source` from packet `pkt`: offsets chosen so the receiver sees the
    /// next sequence number and a timestamp advanced by the real time elapsed.
    pub fn switch_to(&mut self, source: LegId, pkt: &RtpPacket<'_>, now: Instant) {
        let next_seq = self.last_seq.wrapping_add(1);
        let elapsed = self.last_at.map_or(0, |t| {
            (now.saturating_duration_since(t).as_micros() as u64 * VIDEO_CLOCK as u64 / 1_000_000)
                as u32
        });
        // At least one 30 fps frame interval, so the new frame never shares a timestamp with
        // the old source's last frame.
        let next_ts = self.last_ts.wrapping_add(elapsed.max(3000));
        self.seq_offset = next_seq.wrapping_sub(pkt.seq);
        self.ts_offset = next_ts.wrapping_sub(pkt.timestamp);
        self.segment_start = next_seq;
        self.current = Some(source);
        self.pending = None;
    }

    /// Rewrites a packet of the current source for this receiver.
    pub fn rewrite(&mut self, buf: &[u8], pkt: &RtpPacket<'_>, ssrc: u32, now: Instant) -> Vec<u8> {
        let seq = pkt.seq.wrapping_add(self.seq_offset);
        let ts = pkt.timestamp.wrapping_add(self.ts_offset);
        let mut out = buf.to_vec();
        rtp::rewrite_header(&mut out, seq, ts, ssrc);
        // Only move forward: a reordered packet must not pull the continuity point back.
        if (seq.wrapping_sub(self.last_seq) as i16) > 0 {
            self.last_seq = seq;
            self.last_ts = ts;
            self.last_at = Some(now);
        }
        out
    }

    /// The outgoing RTP timestamp corresponding to `now` (for our SR, RFC 3550 §6.4.1).
    pub fn rtp_ts_at(&self, now: Instant) -> Option<u32> {
        let at = self.last_at?;
        let us = now.saturating_duration_since(at).as_micros() as u64;
        Some(
            self.last_ts
                .wrapping_add((us * VIDEO_CLOCK as u64 / 1_000_000) as u32),
        )
    }

    /// Maps a sequence number the receiver NACKed back to the current source's numbering, if
    /// it belongs to the current source's segment.
    pub fn map_nack(&self, seq: u16) -> Option<u16> {
        let since_start = seq.wrapping_sub(self.segment_start) as i16;
        let not_future = (self.last_seq.wrapping_sub(seq) as i16) >= 0;
        (since_start >= 0 && not_future).then(|| seq.wrapping_sub(self.seq_offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmtp_rules() {
        assert!(check_fmtp("profile-level-id=42e01f;packetization-mode=1").is_ok());
        assert!(check_fmtp("packetization-mode=1; profile-level-id=64401f").is_ok());
        assert!(check_fmtp("profile-level-id=640028;packetization-mode=1").is_err());
        assert!(check_fmtp("profile-level-id=42e01f")
            .expect_err("mode 0")
            .contains("packetization-mode=0"));
        assert!(check_fmtp("profile-level-id=zz;packetization-mode=1").is_err());
    }

    #[test]
    fn keyframe_detection() {
        assert!(starts_keyframe(&[0x65, 0x88]));
        assert!(starts_keyframe(&[0x67, 0x42]));
        assert!(!starts_keyframe(&[0x41, 0x9a]));
        assert!(starts_keyframe(&[0x7c, 0x85, 0]));
        assert!(!starts_keyframe(&[0x7c, 0x05, 0]));
        assert!(!starts_keyframe(&[0x7c, 0x41, 0]));
        assert!(starts_keyframe(&[0x78, 0, 2, 0x09, 0x10, 0, 2, 0x67, 0x42]));
        assert!(!starts_keyframe(&[0x78, 0, 2, 0x09, 0x10]));
        assert!(!starts_keyframe(&[]));
    }

    #[test]
    fn switch_keeps_the_stream_continuous_and_nacks_map_back() {
        let now = Instant::now();
        let mut o = OutStream::new(1000, 50_000);
        let mk = |seq: u16, ts: u32| {
            let mut b = Vec::new();
            rtp::write_packet(&mut b, false, 96, seq, ts, 7, &[0x65]);
            b
        };
        let a = mk(300, 9_000);
        let pa = RtpPacket::parse(&a).expect("valid");
        o.switch_to(LegId(1), &pa, now);
        let out = o.rewrite(&a, &pa, 0xabc, now);
        let p = RtpPacket::parse(&out).expect("valid");
        assert_eq!((p.seq, p.ssrc), (1000, 0xabc));
        let b = mk(65000, 123);
        let pb = RtpPacket::parse(&b).expect("valid");
        let later = now + std::time::Duration::from_millis(100);
        o.switch_to(LegId(2), &pb, later);
        let out = o.rewrite(&b, &pb, 0xabc, later);
        let q = RtpPacket::parse(&out).expect("valid");
        assert_eq!(q.seq, 1001);
        assert_eq!(q.timestamp.wrapping_sub(p.timestamp), 9000);
        assert_eq!(o.map_nack(1001), Some(65000));
        assert_eq!(o.map_nack(1000), None, "belongs to the previous source");
        assert_eq!(o.map_nack(1002), None, "not sent yet");
    }
}
