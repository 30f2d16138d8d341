//! Per-leg media state: the incoming audio stream (RTP source, playout buffer, DTMF) and the
//! outgoing one (encoder, sequence/timestamp clock), plus counters.

use super::codec::{AudioCodec, Encoder};
use super::dtmf::{DtmfReceiver, DtmfSender};
use super::jitter::{FrameKind, JitterBuffer};
use super::prompt::PromptPlayer;
use super::resample::{Downsampler, Upsampler};
use super::rtcp::{ReceiverReport, ReportBlock, RtcpPacket, Sdes, SenderReport};
use super::rtp::{self, SeqVerdict, SourceState, MIN_SEQUENTIAL};
use super::stats::{e_model, LegStats, PeerReportRaw, PeerSenderInfo, PeerView, VideoStats};
use super::video::VideoLeg;
use super::voice::{self, VoiceActivity};
use super::{LegId, RoomKey};
use std::time::Instant;

/// Initial playout delay.
const JITTER_TARGET_MS: u32 = 40;

/// Counters of one direction of a stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// RTP packets.
    pub packets: u64,
    /// RTP payload octets.
    pub bytes: u64,
}

pub(crate) struct Leg {
    pub id: LegId,
    pub codec: AudioCodec,
    pub pt: u8,
    pub te_pt: Option<u8>,
    pub room: Option<RoomKey>,
    pub muted: bool,
    pub created: Instant,

    // Receive side.
    pub source: Option<SourceState>,
    /// A different SSRC seen on the leg, on probation (RFC 3550 A.1) before it replaces `source`.
    pub candidate: Option<SourceState>,
    pub jitter: JitterBuffer,
    pub dtmf_rx: DtmfReceiver,
    upsampler: Upsampler,
    raw: Vec<i16>,
    /// This tick's audio at the room rate.
    pub frame: Vec<i16>,
    /// Whether `frame` went into this tick's mix.
    pub contributing: bool,
    pub vad: VoiceActivity,
    pub recv: Counters,
    pub malformed: u64,
    pub unknown_pt: u64,
    /// Datagrams the shell dropped as coming from a foreign source.
    pub foreign: u64,
    /// Sequence number and timestamp of the last telephone-event packet counted, to tell a
    /// redundant end packet sent again under the same sequence number (RFC 4733 §2.5.1.4)
    /// from a new packet of the stream.
    last_event: Option<(u16, u32)>,

    // Send side.
    pub encoder: Encoder,
    pub downsampler: Downsampler,
    pub ssrc: u32,
    seq: u16,
    ts_base: u32,
    last_sent_tick: Option<u64>,
    pub dtmf_tx: Option<DtmfSender>,
    pub prompt: Option<PromptPlayer>,
    pub sent: Counters,
    pub last_sent_rtp_ts: u32,
    pub last_sent_at: Option<Instant>,

    // RTCP (RFC 3550 §6).
    pub cname: String,
    pub rtcp_next: Instant,
    pub rtcp_initial: bool,
    pub avg_rtcp_size: f64,
    pub sent_at_last_report: u64,
    /// LSR of the peer's last SR and when it arrived (for DLSR in our report blocks).
    pub peer_sr: Option<(u32, Instant)>,
    pub peer_view: Option<PeerView>,
    /// Our last report block on the peer's stream, as sent.
    pub sent_report: Option<PeerReportRaw>,
    pub rtt_ms: Option<f32>,
    pub peer_bye: bool,
    pub peer_cname: Option<String>,
    pub loss_window: f32,
    pub malformed_rtcp: u64,

    // Video (H.264 forwarding).
    pub video: Option<VideoLeg>,
    /// `None`: no video negotiated; `Some(Err(reason))`: negotiated but not forwardable.
    pub video_refused: Option<String>,
}

impl Leg {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: LegId,
        codec: AudioCodec,
        pt: u8,
        te_pt: Option<u8>,
        ssrc: u32,
        seq: u16,
        ts_base: u32,
        now: Instant,
    ) -> Self {
        Leg {
            id,
            codec,
            pt,
            te_pt,
            room: None,
            muted: false,
            created: now,
            source: None,
            candidate: None,
            jitter: JitterBuffer::new(codec, JITTER_TARGET_MS),
            dtmf_rx: DtmfReceiver::with_clock(codec.clock_rate()),
            upsampler: Upsampler::new(),
            raw: Vec::new(),
            frame: Vec::new(),
            contributing: false,
            vad: VoiceActivity::default(),
            recv: Counters::default(),
            malformed: 0,
            unknown_pt: 0,
            foreign: 0,
            last_event: None,
            encoder: Encoder::new(codec),
            downsampler: Downsampler::new(),
            ssrc,
            seq,
            ts_base,
            last_sent_tick: None,
            dtmf_tx: None,
            prompt: None,
            sent: Counters::default(),
            last_sent_rtp_ts: ts_base,
            last_sent_at: None,
            cname: String::new(),
            rtcp_next: now,
            rtcp_initial: true,
            avg_rtcp_size: 100.0,
            sent_at_last_report: 0,
            peer_sr: None,
            peer_view: None,
            sent_report: None,
            rtt_ms: None,
            peer_bye: false,
            peer_cname: None,
            loss_window: 0.0,
            malformed_rtcp: 0,
            video: None,
            video_refused: None,
        }
    }

    /// Builds this leg's compound RTCP report (SR if we sent since the last one, else RR; plus
    /// SDES CNAME, RFC 3550 §6.1) at `now`, with `ntp` our NTP clock at `now`.
    pub fn build_report(&mut self, now: Instant, ntp: u64) -> Vec<u8> {
        let mut blocks = Vec::new();
        if let Some(src) = self.source.as_mut() {
            let (fraction, expected, lost) = src.take_interval();
            self.loss_window = if expected > 0 {
                (lost.max(0) as f32 / expected as f32).min(1.0)
            } else {
                0.0
            };
            let (last_sr, dlsr) = match self.peer_sr {
                Some((lsr, at)) => {
                    let d = now.saturating_duration_since(at);
                    (lsr, (d.as_micros() as u64 * 65536 / 1_000_000) as u32)
                }
                None => (0, 0),
            };
            blocks.push(ReportBlock {
                ssrc: src.ssrc,
                fraction_lost: fraction,
                cumulative_lost: src.cumulative_lost() as i32,
                extended_highest_seq: src.extended_max(),
                jitter: src.jitter(),
                last_sr,
                delay_since_last_sr: dlsr,
            });
        }
        let we_sent = self.sent.packets > self.sent_at_last_report;
        self.sent_at_last_report = self.sent.packets;
        if let Some(b) = blocks.first() {
            let count = self.sent_report.map_or(0, |r| r.count) + 1;
            let rtp_ts = self.sender_rtp_ts(now);
            let sender = we_sent.then_some(PeerSenderInfo {
                ntp,
                rtp_ts,
                packet_count: self.sent.packets as u32,
                octet_count: self.sent.bytes as u32,
            });
            self.sent_report = Some(PeerReportRaw::new(count, self.ssrc, sender, b));
        }
        let first = if we_sent {
            RtcpPacket::SenderReport(SenderReport {
                ssrc: self.ssrc,
                ntp,
                rtp_ts: self.sender_rtp_ts(now),
                packet_count: self.sent.packets as u32,
                octet_count: self.sent.bytes as u32,
                reports: blocks,
            })
        } else {
            RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc: self.ssrc,
                reports: blocks,
            })
        };
        let sdes = RtcpPacket::Sdes(Sdes {
            ssrc: self.ssrc,
            cname: self.cname.clone(),
        });
        let bytes = RtcpPacket::write_compound(&[first, sdes]);
        // RFC 3550 §6.3.3: avg_rtcp_size = 1/16 · packet_size + 15/16 · avg_rtcp_size,
        // counting UDP and IP headers (28 octets for IPv4).
        self.avg_rtcp_size = (bytes.len() as f64 + 28.0) / 16.0 + self.avg_rtcp_size * 15.0 / 16.0;
        bytes
    }

    /// The RTP timestamp that corresponds to `now` on our sending clock (RFC 3550 §6.4.1).
    fn sender_rtp_ts(&self, now: Instant) -> u32 {
        let since = self
            .last_sent_at
            .map_or(0, |t| now.saturating_duration_since(t).as_micros() as u64);
        self.last_sent_rtp_ts
            .wrapping_add((since * self.codec.clock_rate() as u64 / 1_000_000) as u32)
    }

    /// Takes the peer's report blocks about our stream (from its SR, with its sender info, or
    /// its RR), sent by `reporter`.
    pub fn on_report_blocks(
        &mut self,
        reporter: u32,
        sender: Option<PeerSenderInfo>,
        blocks: &[ReportBlock],
        ntp_now: u64,
    ) {
        for b in blocks.iter().filter(|b| b.ssrc == self.ssrc) {
            let clock = self.codec.clock_rate() as f32;
            let count = self.peer_view.map_or(0, |p| p.report.count) + 1;
            self.peer_view = Some(PeerView {
                fraction_lost: b.fraction_lost as f32 / 256.0,
                cumulative_lost: b.cumulative_lost,
                jitter_ms: b.jitter as f32 * 1000.0 / clock,
                extended_highest_seq: b.extended_highest_seq,
                report: PeerReportRaw::new(count, reporter, sender, b),
            });
            if b.last_sr != 0 {
                // RFC 3550 §6.4.1: RTT = A − LSR − DLSR, in 1/65536 s.
                let a = (ntp_now >> 16) as u32;
                let rtt = a
                    .wrapping_sub(b.last_sr)
                    .wrapping_sub(b.delay_since_last_sr);
                if (rtt as i32) >= 0 {
                    self.rtt_ms = Some(rtt as f32 * 1000.0 / 65536.0);
                }
            }
        }
    }

    /// A snapshot for operators.
    pub fn stats(&self) -> LegStats {
        let clock = self.codec.clock_rate() as f32;
        let js = self.jitter.stats();
        let (expected, lost, jitter_ms) = match &self.source {
            Some(s) => (
                s.expected(),
                s.cumulative_lost(),
                s.jitter() as f32 * 1000.0 / clock,
            ),
            None => (0, 0, 0.0),
        };
        let rtt = self.rtt_ms.unwrap_or(0.0);
        // Mouth-to-ear: half the RTT, our playout delay, one packet of packetisation.
        let one_way_in = rtt / 2.0 + js.target_delay_ms as f32 + 20.0;
        let late_share = if expected > 0 {
            js.late as f32 / expected as f32
        } else {
            0.0
        };
        let (_, mos_in) = e_model(self.codec, self.loss_window + late_share, one_way_in);
        let mos_out = self.peer_view.map(|p| {
            // Assume a playout delay on the far side like ours.
            e_model(
                self.codec,
                p.fraction_lost,
                rtt / 2.0 + 40.0 + 20.0 + p.jitter_ms,
            )
            .1
        });
        LegStats {
            leg: self.id,
            room: self.room,
            codec: self.codec,
            packets_in: self.recv.packets,
            bytes_in: self.recv.bytes,
            packets_out: self.sent.packets,
            bytes_out: self.sent.bytes,
            expected_in: expected,
            lost_in: lost,
            loss_window: self.loss_window,
            jitter_ms,
            late: js.late,
            concealed_frames: js.concealed_frames,
            playout_delay_ms: js.target_delay_ms,
            malformed: self.malformed + self.malformed_rtcp,
            unknown_payload_type: self.unknown_pt,
            foreign_packets: self.foreign,
            peer: self.peer_view,
            sent_report: self.sent_report,
            rtt_ms: self.rtt_ms,
            peer_bye: self.peer_bye,
            mos_in,
            mos_out,
            video: match (&self.video, &self.video_refused) {
                (Some(v), _) => Some(Ok(VideoStats {
                    packets_in: v.packets_in,
                    packets_out: v.packets_out,
                    keyframes_requested: v.keyframes_requested,
                    switches: v.switches,
                    source: v.out.current,
                })),
                (None, Some(reason)) => Some(Err(reason.clone())),
                (None, None) => None,
            },
        }
    }

    /// Arrival time in RTP clock units since the leg was created (for RFC 3550 A.8).
    fn arrival_units(&self, now: Instant) -> i64 {
        let d = now.saturating_duration_since(self.created);
        (d.as_nanos() as i64 / 1000) * self.codec.clock_rate() as i64 / 1_000_000
    }

    /// Takes one received RTP datagram. Returns a digit if it completed a telephone-event.
    pub fn on_rtp(&mut self, now: Instant, tick: u64, buf: &[u8]) -> Option<super::dtmf::Digit> {
        let pkt = match rtp::RtpPacket::parse(buf) {
            Ok(p) => p,
            Err(_) => {
                self.malformed += 1;
                return None;
            }
        };
        let is_event = Some(pkt.payload_type) == self.te_pt;
        if pkt.payload_type != self.pt && !is_event {
            self.unknown_pt += 1;
            return None;
        }
        // SSRC tracking (RFC 3550 A.1): the first source is the negotiated peer; a new SSRC
        // must show MIN_SEQUENTIAL packets in sequence before it replaces the old one.
        match &mut self.source {
            None => {
                self.source = Some(SourceState::new(pkt.ssrc, pkt.seq, 0));
            }
            Some(s) if s.ssrc != pkt.ssrc => {
                let cand = match &mut self.candidate {
                    Some(c) if c.ssrc == pkt.ssrc => c,
                    _ => self
                        .candidate
                        .insert(SourceState::new(pkt.ssrc, pkt.seq, MIN_SEQUENTIAL)),
                };
                if cand.update_seq(pkt.seq) != SeqVerdict::Valid {
                    return None;
                }
                self.source = self.candidate.take();
                self.jitter.reset();
                self.last_event = None;
                let arrival = self.arrival_units(now);
                if let Some(s) = &mut self.source {
                    // RFC 3550 A.8 over the audio only (see below).
                    if !is_event {
                        s.update_jitter(arrival, pkt.timestamp);
                    }
                }
                return self.accept(tick, pkt, is_event, true);
            }
            Some(_) => {}
        }
        if is_event && self.last_event == Some((pkt.seq, pkt.timestamp)) {
            // RFC 4733 §2.5.1.4: the end packet goes out three times; a sender that repeats it
            // under the same sequence number sends no new packet of the stream. Counted as
            // received it would look like a duplicate and cancel real loss in the report
            // (RFC 3550 A.3 expected − received), so only the digit logic sees it.
            return self.accept(tick, pkt, is_event, false);
        }
        let arrival = self.arrival_units(now);
        let src = self.source.as_mut().expect("set above");
        match src.update_seq(pkt.seq) {
            SeqVerdict::Valid => {}
            SeqVerdict::Restarted => self.jitter.reset(),
            SeqVerdict::Bad | SeqVerdict::Probation => return None,
        }
        if is_event {
            self.last_event = Some((pkt.seq, pkt.timestamp));
        } else {
            // RFC 3550 A.8 jitter is the audio's: every packet of a telephone-event carries
            // the event's start timestamp (RFC 4733 §2.5.1) while arriving later and later,
            // so its transit would read as tens of milliseconds of jitter on a clean link.
            // Events neither add a transit difference nor become the packet the next audio
            // one is compared with.
            src.update_jitter(arrival, pkt.timestamp);
        }
        self.accept(tick, pkt, is_event, false)
    }

    fn accept(
        &mut self,
        tick: u64,
        pkt: rtp::RtpPacket<'_>,
        is_event: bool,
        new_source: bool,
    ) -> Option<super::dtmf::Digit> {
        self.recv.packets += 1;
        self.recv.bytes += pkt.payload.len() as u64;
        if is_event {
            return self.dtmf_rx.on_packet(tick, pkt.timestamp, pkt.payload);
        }
        if !pkt.payload.is_empty() && self.codec.payload_duration(pkt.payload) == 0 {
            // An Opus packet with broken framing (RFC 6716 §3.4): nothing to play.
            self.malformed += 1;
            return None;
        }
        self.jitter
            .insert(pkt.timestamp, pkt.marker || new_source, pkt.payload);
        None
    }

    /// Pulls this tick's audio at `rate` into `self.frame`, computes its level and decides
    /// whether it goes into the mix.
    pub fn pull(&mut self, tick: u64, rate: u32) {
        if self.recv.packets == 0 {
            // Nothing ever arrived (a held or signalling-only call): nothing to play out, and
            // no frame buffers to allocate for it.
            self.contributing = self.vad.update(127);
            return;
        }
        let want = (rate / 50) as usize;
        self.frame.resize(want, 0);
        let native = self.codec.sample_rate();
        let kind = if native == rate {
            self.jitter.pull(&mut self.frame)
        } else {
            let n = self.jitter.frame_samples();
            self.raw.resize(n, 0);
            let kind = self.jitter.pull(&mut self.raw);
            if native < rate {
                self.upsampler.process(&self.raw, &mut self.frame);
            } else {
                // A wideband leg alone in a narrowband room never happens (the room's rate is
                // the highest of its members), but stay correct if it does.
                Downsampler::new().process(&self.raw, &mut self.frame);
            }
            kind
        };
        let level = voice::level_dbov(&self.frame);
        let in_event = match self.jitter.last_pulled_ts() {
            Some(ts) => self.dtmf_rx.suppresses(ts, self.jitter.frame_units()),
            None => self.dtmf_rx.active(tick),
        };
        let silenced = self.muted || in_event || kind == FrameKind::Silence;
        self.contributing = self.vad.update(if silenced { 127 } else { level });
        if silenced {
            self.contributing = false;
        }
    }

    /// Builds the next outgoing audio packet for this tick from `payload` (or a pending
    /// telephone-event, which replaces audio while it plays, RFC 4733 §2.5.1).
    pub fn send_audio(&mut self, tick: u64, now: Instant, payload: &[u8]) -> Vec<u8> {
        self.send_audio_with(tick, now, payload.len(), |b| b.extend_from_slice(payload))
    }

    /// Like [`Self::send_audio`], with the payload written by `fill` straight after the header
    /// (`len` is its expected size, for the allocation). `fill` is not called while a
    /// telephone-event replaces the audio.
    pub fn send_audio_with(
        &mut self,
        tick: u64,
        now: Instant,
        len: usize,
        fill: impl FnOnce(&mut Vec<u8>),
    ) -> Vec<u8> {
        let units = 20 * self.codec.clock_rate() / 1000;
        let ts = self.ts_base.wrapping_add((tick as u32).wrapping_mul(units));
        // After a pause in sending (detached), the marker tells the receiver to re-anchor.
        let marker = self.last_sent_tick.is_none_or(|t| t + 1 != tick);
        self.last_sent_tick = Some(tick);
        let mut out = Vec::with_capacity(12 + len);
        if let (Some(te), Some(tx)) = (self.te_pt, self.dtmf_tx.as_mut()) {
            let ev_ts = *tx.timestamp.get_or_insert(ts);
            if let Some((ev, first)) = tx.next(units) {
                rtp::write_packet(&mut out, first, te, self.seq, ev_ts, self.ssrc, &ev);
                self.finish_send(now, ts, ev.len());
                return out;
            }
            self.dtmf_tx = None;
        }
        rtp::write_packet(&mut out, marker, self.pt, self.seq, ts, self.ssrc, &[]);
        fill(&mut out);
        self.finish_send(now, ts, out.len() - 12);
        out
    }

    /// The tick whose packet was sent last.
    pub fn last_sent_tick(&self) -> Option<u64> {
        self.last_sent_tick
    }

    fn finish_send(&mut self, now: Instant, ts: u32, len: usize) {
        self.seq = self.seq.wrapping_add(1);
        self.sent.packets += 1;
        self.sent.bytes += len as u64;
        self.last_sent_rtp_ts = ts;
        self.last_sent_at = Some(now);
    }

    /// Approximate heap + inline size of this leg's audio state, for the capacity report.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.jitter.memory_bytes()
            + (self.raw.capacity() + self.frame.capacity()) * 2
            + match &self.encoder {
                Encoder::G722(_) => std::mem::size_of::<super::codec::g722::G722Encoder>(),
                _ => 0,
            }
            + 2 * 64 * 4 // resampler work buffers
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::dtmf::EventPayload;
    use std::time::Duration;

    const TE: u8 = 101;
    const SSRC: u32 = 0x5eed_0001;
    const TS0: u32 = 0xffff_f000;

    /// How the sender repeats the end packet (RFC 4733 §2.5.1.4).
    #[derive(Clone, Copy, PartialEq)]
    enum EndCopies {
        NewSeq,
        SameSeq,
    }

    enum Send {
        Audio(u32),
        Event {
            ts: u32,
            start: bool,
            end: bool,
            duration: u16,
        },
    }

    /// A clean 20 ms PCMU stream of 10 s, arriving 0, 2 or 4 ms late (jitter but no loss),
    /// with `digits` RFC 4733 bursts in its sequence space: a start packet, updates every
    /// 50 ms with the event's start timestamp, and the end packet three times. Returns the
    /// statistics after each report, one a second (a report lands shortly after a burst).
    fn receive(digits: &[u32], copies: EndCopies) -> Vec<LegStats> {
        let t0 = Instant::now();
        // (arrival in ms, what was sent)
        let mut sends: Vec<(u64, Send)> = (0..500u32)
            .map(|i| (u64::from(i) * 20 + u64::from(i % 3) * 2, Send::Audio(i)))
            .collect();
        for &frame in digits {
            let ts = TS0.wrapping_add(frame * 160);
            let start = u64::from(frame) * 20 + 5;
            for k in 0..=4u64 {
                let end = k == 4;
                for copy in 0..if end { 3 } else { 1 } {
                    sends.push((
                        start + 50 * (k + copy),
                        Send::Event {
                            ts,
                            start: k == 0,
                            end,
                            duration: if k == 0 { 160 } else { 400 * k as u16 },
                        },
                    ));
                }
            }
        }
        sends.sort_by_key(|s| s.0);
        let mut leg = Leg::new(LegId(1), AudioCodec::Pcmu, 0, Some(TE), 1, 1, 1, t0);
        let (mut seq, mut reports, mut last_end) = (65_300u16, Vec::new(), None);
        let mut next_report = 1_000;
        for (at, what) in sends {
            let now = t0 + Duration::from_millis(at);
            if at >= next_report {
                leg.build_report(now, 0);
                reports.push(leg.stats());
                next_report += 1_000;
            }
            let tick = at / 20;
            let mut pkt = Vec::new();
            match what {
                Send::Audio(i) => {
                    let ts = TS0.wrapping_add(i * 160);
                    rtp::write_packet(&mut pkt, i == 0, 0, seq, ts, SSRC, &[0xff; 160]);
                }
                Send::Event {
                    ts,
                    start,
                    end,
                    duration,
                } => {
                    let ev = EventPayload {
                        event: 5,
                        end,
                        volume: 10,
                        duration,
                    };
                    let repeat = match last_end {
                        Some((t, s)) if end && t == ts && copies == EndCopies::SameSeq => Some(s),
                        _ => None,
                    };
                    let s = repeat.unwrap_or(seq);
                    rtp::write_packet(&mut pkt, start, TE, s, ts, SSRC, &ev.to_bytes());
                    last_end = end.then_some((ts, s));
                    if repeat.is_some() {
                        seq = seq.wrapping_sub(1);
                    }
                }
            }
            seq = seq.wrapping_add(1);
            leg.on_rtp(now, tick, &pkt);
            leg.pull(tick, 8000);
        }
        leg.build_report(t0 + Duration::from_millis(10_020), 0);
        reports.push(leg.stats());
        reports
    }

    #[test]
    fn digit_bursts_leave_loss_and_jitter_of_the_audio_alone() {
        // The quality band over these figures is checked in tests/media/dtmf_quality.rs (ops
        // is above media: its verdict is not imported here).
        let clean = receive(&[], EndCopies::NewSeq);
        let clean_jitter = clean.last().expect("reports").jitter_ms;
        assert!(clean_jitter > 0.5, "the link has jitter: {clean_jitter}");
        for copies in [EndCopies::NewSeq, EndCopies::SameSeq] {
            let with_digits = receive(&[130, 280, 430], copies);
            assert_eq!(with_digits.len(), 10);
            for (s, c) in with_digits.iter().zip(&clean) {
                assert_eq!(s.lost_in, 0, "no packet was lost");
                assert_eq!(s.loss_window, 0.0);
                // One RTP timestamp unit of PCMU is 1/8 ms.
                assert!(
                    (s.jitter_ms - c.jitter_ms).abs() <= 0.125,
                    "jitter {} ms with digits, {} ms without",
                    s.jitter_ms,
                    c.jitter_ms
                );
            }
            let jitter = with_digits.last().expect("reports").jitter_ms;
            // One RTP timestamp unit of PCMU is 1/8 ms.
            assert!(
                (jitter - clean_jitter).abs() <= 0.125,
                "jitter {jitter} ms with digits, {clean_jitter} ms without"
            );
        }
    }
}
