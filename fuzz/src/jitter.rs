//! RTP packets with arbitrary sequence numbers, timestamps, SSRCs and arrival times, parsed
//! and fed to the receive path the way a leg does (RFC 3550 A.1 source tracking, A.8 jitter,
//! then the playout buffer), the buffer pulled once per 20 ms tick.

use crate::Bytes;
use roomgate::media::jitter::{FrameKind, JitterBuffer, JitterStats};
use roomgate::media::rtp::{write_packet, RtpPacket, SeqVerdict, SourceState, MIN_SEQUENTIAL};
use roomgate::media::AudioCodec;

/// Pulls with no input after which every buffer must have played out or dropped what it held
/// (2 s of resync window + 120 ms of the longest packet + concealment, with margin).
const DRAIN_PULLS: usize = 150;
/// Far above what 16 slots of the largest payload, their spares and a decoded packet take.
const MEMORY_BOUND: usize = 1 << 20;

/// The input: `[codec][target delay]`, then records. A record is a pull (`op & 3 == 0`,
/// 1–4 ticks) or a packet: `[op][seq:2][timestamp step:2][payload length/2]` and the payload;
/// op bits choose the marker, a second SSRC, an absolute timestamp jump (4 more bytes) and
/// an arrival offset within the tick. Every pull must return a whole frame (the loop that
/// fills it must end), a silent frame is all zeros, the counters never go back, the target
/// delay stays in its bounds, memory stays bounded, and once packets stop the buffer plays
/// out to silence.
pub fn jitter(data: &[u8]) {
    let mut input = Bytes::new(data);
    let codec = [
        AudioCodec::Pcmu,
        AudioCodec::Pcma,
        AudioCodec::G722,
        AudioCodec::Opus,
    ][usize::from(input.u8() % 4)];
    let target_ms = 20 + u32::from(input.u8() % 181);
    let mut rx = Receiver::new(codec, target_ms);
    let mut ts = 0u32;
    while !input.is_empty() {
        let op = input.u8();
        if op & 3 == 0 {
            for _ in 0..=(op >> 2) % 4 {
                rx.pull();
            }
            continue;
        }
        let seq = input.u16();
        ts = ts.wrapping_add(i32::from(input.u16() as i16) as u32);
        if op & 0x10 != 0 {
            ts = input.u32();
        }
        let len = usize::from(input.u8()) * 2;
        let payload = input.take(len);
        let ssrc = if op & 0x08 != 0 { 0x5eed } else { 0x1234 };
        let mut packet = Vec::new();
        write_packet(&mut packet, op & 0x04 != 0, 0, seq, ts, ssrc, payload);
        rx.on_rtp(&packet, i64::from(op >> 5));
    }
    for _ in 0..DRAIN_PULLS {
        rx.pull();
    }
    let kind = rx.pull();
    assert_eq!(
        kind,
        FrameKind::Silence,
        "still playing long after the last packet"
    );
    assert_eq!(rx.jitter.buffered_units(), 0);
}

/// The receive half of a leg, as `media::leg` runs it (that type is private to the crate).
struct Receiver {
    codec: AudioCodec,
    jitter: JitterBuffer,
    source: Option<SourceState>,
    candidate: Option<SourceState>,
    tick: i64,
    frame: Vec<i16>,
    stats: JitterStats,
    min_target_ms: u32,
}

impl Receiver {
    fn new(codec: AudioCodec, target_ms: u32) -> Self {
        let jitter = JitterBuffer::new(codec, target_ms);
        let frame = vec![0; jitter.frame_samples()];
        let stats = jitter.stats();
        Receiver {
            codec,
            jitter,
            source: None,
            candidate: None,
            tick: 0,
            frame,
            stats,
            min_target_ms: stats.target_delay_ms,
        }
    }

    /// One datagram arriving `offset` eighths of a tick into the current tick.
    fn on_rtp(&mut self, datagram: &[u8], offset: i64) {
        let pkt = RtpPacket::parse(datagram).expect("we built a valid packet");
        let units_per_tick = i64::from(self.codec.clock_rate()) / 50;
        let arrival = self.tick * units_per_tick + offset * units_per_tick / 8;
        // RFC 3550 A.1: the first SSRC is the negotiated peer; another one must show
        // MIN_SEQUENTIAL packets in sequence before it replaces it.
        let mut new_source = false;
        match &mut self.source {
            None => self.source = Some(SourceState::new(pkt.ssrc, pkt.seq, 0)),
            Some(s) if s.ssrc != pkt.ssrc => {
                let cand = match &mut self.candidate {
                    Some(c) if c.ssrc == pkt.ssrc => c,
                    _ => self
                        .candidate
                        .insert(SourceState::new(pkt.ssrc, pkt.seq, MIN_SEQUENTIAL)),
                };
                if cand.update_seq(pkt.seq) != SeqVerdict::Valid {
                    return;
                }
                self.source = self.candidate.take();
                self.jitter.reset();
                new_source = true;
            }
            Some(_) => {}
        }
        let src = self.source.as_mut().expect("set above");
        if !new_source {
            match src.update_seq(pkt.seq) {
                SeqVerdict::Valid => {}
                SeqVerdict::Restarted => self.jitter.reset(),
                SeqVerdict::Bad | SeqVerdict::Probation => return,
            }
        }
        src.update_jitter(arrival, pkt.timestamp);
        // An accepted packet is the highest sequence number so far or a reordered one behind
        // it (RFC 3550 A.1), never ahead of it.
        assert!(src.extend_seq(pkt.seq) <= u64::from(src.extended_max()));
        if !pkt.payload.is_empty() && self.codec.payload_duration(pkt.payload) == 0 {
            return;
        }
        self.jitter
            .insert(pkt.timestamp, pkt.marker || new_source, pkt.payload);
        self.check_stats();
        assert!(self.jitter.memory_bytes() < MEMORY_BOUND);
    }

    fn pull(&mut self) -> FrameKind {
        self.frame.fill(0x5555);
        let kind = self.jitter.pull(&mut self.frame);
        self.tick += 1;
        match kind {
            FrameKind::Silence => assert!(
                self.frame.iter().all(|&s| s == 0),
                "a frame called silent is not"
            ),
            FrameKind::Concealed => assert!(self.frame.iter().any(|&s| s != 0)),
            FrameKind::Audio => {}
        }
        if let Some(src) = self.source.as_mut() {
            // What a report block carries (RFC 3550 A.3, A.8), computed every tick so any
            // overflow in it shows up (the fuzz and test builds check arithmetic).
            let _ = (src.take_interval(), src.cumulative_lost(), src.jitter());
        }
        self.check_stats();
        assert!(self.jitter.memory_bytes() < MEMORY_BOUND);
        kind
    }

    fn check_stats(&mut self) {
        let s = self.jitter.stats();
        let o = self.stats;
        for (name, now, before) in [
            ("late", s.late, o.late),
            ("duplicates", s.duplicates, o.duplicates),
            ("overflow", s.overflow, o.overflow),
            ("concealed_frames", s.concealed_frames, o.concealed_frames),
            ("resyncs", s.resyncs, o.resyncs),
            ("drift_drops", s.drift_drops, o.drift_drops),
        ] {
            assert!(now >= before, "{name} went back from {before} to {now}");
        }
        assert!(
            (self.min_target_ms..=200).contains(&s.target_delay_ms),
            "target delay {} ms",
            s.target_delay_ms
        );
        self.stats = s;
    }
}
