//! Per-leg media state: the incoming audio stream (RTP source, playout buffer, DTMF) and the
//! outgoing one (encoder, sequence/timestamp clock), plus counters.

use super::codec::{AudioCodec, Encoder};
use super::dtmf::{DtmfReceiver, DtmfSender};
use super::jitter::{FrameKind, JitterBuffer};
use super::mixer::{self, VoiceActivity};
use super::prompt::PromptPlayer;
use super::resample::{Downsampler, Upsampler};
use super::rtp::{self, SeqVerdict, SourceState, MIN_SEQUENTIAL};
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
            dtmf_rx: DtmfReceiver::default(),
            upsampler: Upsampler::new(),
            raw: Vec::with_capacity(320),
            frame: Vec::with_capacity(320),
            contributing: false,
            vad: VoiceActivity::default(),
            recv: Counters::default(),
            malformed: 0,
            unknown_pt: 0,
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
        }
    }

    /// Arrival time in RTP clock units since the leg was created (for RFC 3550 A.8).
    fn arrival_units(&self, now: Instant) -> i64 {
        let d = now.saturating_duration_since(self.created);
        (d.as_nanos() as i64 / 1000) * self.codec.rtp_clock() as i64 / 1_000_000
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
                let arrival = self.arrival_units(now);
                if let Some(s) = &mut self.source {
                    s.update_jitter(arrival, pkt.timestamp);
                }
                return self.accept(tick, pkt, is_event, true);
            }
            Some(_) => {}
        }
        let arrival = self.arrival_units(now);
        let src = self.source.as_mut().expect("set above");
        match src.update_seq(pkt.seq) {
            SeqVerdict::Valid => {}
            SeqVerdict::Restarted => self.jitter.reset(),
            SeqVerdict::Bad | SeqVerdict::Probation => return None,
        }
        src.update_jitter(arrival, pkt.timestamp);
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
        self.jitter
            .insert(pkt.timestamp, pkt.marker || new_source, pkt.payload);
        None
    }

    /// Pulls this tick's audio at `rate` into `self.frame`, computes its level and decides
    /// whether it goes into the mix.
    pub fn pull(&mut self, tick: u64, rate: u32) {
        let n = self.jitter.frame_samples();
        self.raw.resize(n, 0);
        let kind = self.jitter.pull(&mut self.raw);
        let want = (rate / 50) as usize;
        self.frame.resize(want, 0);
        let native = self.codec.sample_rate();
        if native == rate {
            self.frame.copy_from_slice(&self.raw);
        } else if native < rate {
            self.upsampler.process(&self.raw, &mut self.frame);
        } else {
            // A wideband leg alone in a narrowband room never happens (the room's rate is the
            // highest of its members), but stay correct if it does.
            let mut d = Downsampler::new();
            d.process(&self.raw, &mut self.frame);
        }
        let level = mixer::level_dbov(&self.frame);
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
        let units = 20 * self.codec.rtp_clock() / 1000;
        let ts = self.ts_base.wrapping_add((tick as u32).wrapping_mul(units));
        // After a pause in sending (detached), the marker tells the receiver to re-anchor.
        let marker = self.last_sent_tick.is_none_or(|t| t + 1 != tick);
        self.last_sent_tick = Some(tick);
        let mut out = Vec::with_capacity(12 + payload.len());
        if let (Some(te), Some(tx)) = (self.te_pt, self.dtmf_tx.as_mut()) {
            let ev_ts = *tx.timestamp.get_or_insert(ts);
            if let Some((ev, first)) = tx.next(units) {
                rtp::write_packet(&mut out, first, te, self.seq, ev_ts, self.ssrc, &ev);
                self.finish_send(now, ts, ev.len());
                return out;
            }
            self.dtmf_tx = None;
        }
        rtp::write_packet(&mut out, marker, self.pt, self.seq, ts, self.ssrc, payload);
        self.finish_send(now, ts, payload.len());
        out
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
