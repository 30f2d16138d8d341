//! Per-leg statistics exposed to operators: counters, loss, RFC 3550 jitter, the peer's view
//! from its receiver reports, RTT, and an estimated MOS from a simplified ITU-T G.107 E-model.

use super::codec::AudioCodec;
use super::{LegId, RoomKey};

/// What the peer told us about our stream in its last report block (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PeerView {
    /// Fraction of our packets lost in its last interval (0.0–1.0).
    pub fraction_lost: f32,
    /// Cumulative packets of ours it lost.
    pub cumulative_lost: i32,
    /// Its interarrival jitter of our stream, in milliseconds.
    pub jitter_ms: f32,
    /// Extended highest sequence number it received.
    pub extended_highest_seq: u32,
    /// The report as received, for capture (HEP to Homer).
    pub report: PeerReportRaw,
}

/// One RTCP report of a stream field by field as it went on the wire (RFC 3550 §6.4.1/§6.4.2):
/// the peer's last report of our stream, or ours of its stream, so operators' tools (Homer) see
/// the reports themselves, not only our reading of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PeerReportRaw {
    /// How many such reports were sent so far (tells a new report from the last).
    pub count: u64,
    /// The reporter's SSRC.
    pub reporter_ssrc: u32,
    /// The SSRC of the stream reported on (the report block's subject).
    pub source_ssrc: u32,
    /// Sender info when the report came in an SR (PT 200), `None` for an RR (PT 201).
    pub sender: Option<PeerSenderInfo>,
    pub fraction_lost: u8,
    pub cumulative_lost: i32,
    pub extended_highest_seq: u32,
    /// Interarrival jitter in RTP timestamp units.
    pub jitter: u32,
    pub last_sr: u32,
    pub delay_since_last_sr: u32,
}

impl PeerReportRaw {
    /// The `count`th report by `reporter_ssrc` carrying report block `b` (and `sender` info
    /// when it was an SR).
    pub fn new(
        count: u64,
        reporter_ssrc: u32,
        sender: Option<PeerSenderInfo>,
        b: &super::rtcp::ReportBlock,
    ) -> PeerReportRaw {
        PeerReportRaw {
            count,
            reporter_ssrc,
            source_ssrc: b.ssrc,
            sender,
            fraction_lost: b.fraction_lost,
            cumulative_lost: b.cumulative_lost,
            extended_highest_seq: b.extended_highest_seq,
            jitter: b.jitter,
            last_sr: b.last_sr,
            delay_since_last_sr: b.delay_since_last_sr,
        }
    }
}

/// An SR's sender info (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PeerSenderInfo {
    pub ntp: u64,
    pub rtp_ts: u32,
    pub packet_count: u32,
    pub octet_count: u32,
}

/// A snapshot of one leg's media statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct LegStats {
    /// The leg.
    pub leg: LegId,
    /// Room it is in now.
    pub room: Option<RoomKey>,
    /// Negotiated audio codec.
    pub codec: AudioCodec,
    /// RTP packets received (valid, after SSRC checks).
    pub packets_in: u64,
    /// RTP payload octets received.
    pub bytes_in: u64,
    /// RTP packets sent.
    pub packets_out: u64,
    /// RTP payload octets sent.
    pub bytes_out: u64,
    /// Packets expected from the peer (RFC 3550 A.3).
    pub expected_in: u64,
    /// Cumulative packets lost from the peer (RFC 3550 A.3).
    pub lost_in: i64,
    /// Loss over the last reporting window (0.0–1.0).
    pub loss_window: f32,
    /// Interarrival jitter of the peer's stream, milliseconds (RFC 3550 §6.4.1, A.8).
    pub jitter_ms: f32,
    /// Packets that arrived too late to play.
    pub late: u64,
    /// Frames filled by concealment.
    pub concealed_frames: u64,
    /// Current playout delay target, milliseconds.
    pub playout_delay_ms: u32,
    /// Malformed datagrams dropped.
    pub malformed: u64,
    /// Packets with a payload type we did not negotiate.
    pub unknown_payload_type: u64,
    /// RTP and RTCP datagrams dropped because they came from a foreign source, not the leg's
    /// peer (see [`super::source`]).
    pub foreign_packets: u64,
    /// The peer's view of our stream, from its last RR/SR.
    pub peer: Option<PeerView>,
    /// Our last report of the peer's stream as we sent it (for capture, HEP to Homer).
    pub sent_report: Option<PeerReportRaw>,
    /// Round-trip time from LSR/DLSR (RFC 3550 §6.4.1), milliseconds.
    pub rtt_ms: Option<f32>,
    /// The peer sent RTCP BYE.
    pub peer_bye: bool,
    /// Estimated MOS of what this leg sends us (our receive side).
    pub mos_in: f32,
    /// Estimated MOS of what the leg hears (from its receiver reports), if known.
    pub mos_out: Option<f32>,
    /// Video: `None` not negotiated, `Ok` forwarding with its counters, `Err(reason)` audio
    /// only and why.
    pub video: Option<Result<VideoStats, String>>,
}

/// Video counters of one leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoStats {
    /// RTP packets received from the leg.
    pub packets_in: u64,
    /// RTP packets forwarded to the leg.
    pub packets_out: u64,
    /// Keyframes requested from the leg.
    pub keyframes_requested: u64,
    /// Source switches of the stream sent to the leg.
    pub switches: u64,
    /// Whose video the leg sees now.
    pub source: Option<LegId>,
}

/// Equipment impairment `Ie` and packet-loss robustness `Bpl` (ITU-T G.113 Appendix I) for a
/// codec with our concealment. G.722 is rated on the narrowband scale like G.711 with PLC: a
/// conservative simplification (G.107.1's wideband scale would rate it higher).
fn impairments(codec: AudioCodec) -> (f32, f32) {
    match codec {
        // Opus (with its own PLC and FEC) is rated like the others: G.113 has no Opus entry on
        // the narrowband scale, so stay conservative rather than invent one.
        AudioCodec::Pcmu | AudioCodec::Pcma | AudioCodec::G722 | AudioCodec::Opus => (0.0, 25.1),
    }
}

/// Simplified E-model (ITU-T G.107 §7): R = 93.2 − Id − Ie,eff, with random loss (BurstR = 1),
/// then MOS from R (G.107 Annex B). `one_way_ms` is the mouth-to-ear delay estimate.
pub fn e_model(codec: AudioCodec, loss: f32, one_way_ms: f32) -> (f32, f32) {
    let (ie, bpl) = impairments(codec);
    let ppl = (loss * 100.0).clamp(0.0, 100.0);
    let ie_eff = ie + (95.0 - ie) * ppl / (ppl + bpl);
    let ta = one_way_ms.max(0.0);
    let id = 0.024 * ta + if ta > 177.3 { 0.11 * (ta - 177.3) } else { 0.0 };
    let r = (93.2 - id - ie_eff).clamp(0.0, 100.0);
    (r, mos_from_r(r))
}

/// G.107 Annex B: MOS from the rating factor R.
pub fn mos_from_r(r: f32) -> f32 {
    if r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_call_is_about_4_4_and_loss_and_delay_lower_it() {
        let (r, mos) = e_model(AudioCodec::Pcmu, 0.0, 0.0);
        assert!((r - 93.2).abs() < 0.01);
        assert!((mos - 4.41).abs() < 0.01, "{mos}");
        let (_, lossy) = e_model(AudioCodec::Pcmu, 0.05, 60.0);
        assert!(lossy < 3.9 && lossy > 3.0, "{lossy}");
        let (_, late) = e_model(AudioCodec::Pcma, 0.0, 400.0);
        assert!(late < 3.7, "{late}");
        assert_eq!(mos_from_r(-3.0), 1.0);
    }
}
