//! The playout (jitter) buffer of one incoming audio stream, pulled once per mixer tick.
//!
//! Packets are kept in RTP-timestamp order (not sequence order: what matters for playout is
//! when a sample plays). The mixer pulls one frame per tick; the buffer decodes each packet
//! exactly once (G.722 is stateful), so a 30 or 40 ms packet is decoded into a small PCM queue
//! and played across ticks, and 10 ms packets are joined. Missing audio is concealed by
//! repeating the last frame with a fade (the simple PLC of ITU-T G.711 Appendix I's spirit),
//! then silence, which is also what discontinuous transmission (DTX, RFC 3551 §4.1) sounds like.
//! Opus conceals with its own decoder instead, and when the packet after a loss is already
//! buffered, rebuilds the lost audio from that packet's in-band FEC (RFC 7587 §3.3).
//!
//! Timestamps are in the codec's RTP units (48 kHz for Opus, RFC 7587 §4.1), which need not be
//! one per PCM sample: [`AudioCodec::units_to_samples`] converts.

use super::codec::{AudioCodec, Decoder};

/// Packets held at most (a 40 ms × 16 = 640 ms window); beyond that the oldest is dropped.
const MAX_PACKETS: usize = 16;
/// Longest payload accepted (60 ms of G.722 or G.711; Opus has its own, larger limit).
pub const MAX_PAYLOAD: usize = 480;
/// Frames of fading repetition before concealment turns to silence.
const PLC_FRAMES: u32 = 3;
/// A timestamp this far (2 s) from the playout point is a jump, not jitter.
const RESYNC_SECONDS: i64 = 2;

/// What the last pulled frame was made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// At least part of the frame is received audio.
    Audio,
    /// Entirely concealment (repetition with fade) of lost audio.
    Concealed,
    /// Nothing to play: not started, DTX, or concealment ran out.
    Silence,
}

/// Counters of what happened to packets inside the buffer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterStats {
    /// Packets arriving after their playout time.
    pub late: u64,
    /// Exact duplicates (same timestamp already buffered or played).
    pub duplicates: u64,
    /// Packets dropped because the buffer was full.
    pub overflow: u64,
    /// Frames (ticks) that contained concealment.
    pub concealed_frames: u64,
    /// Times the playout point was re-anchored (start, talkspurt, timestamp jump, SSRC change).
    pub resyncs: u64,
    /// Frames skipped to bring the delay back down (sender clock faster than ours).
    pub drift_drops: u64,
    /// Current target delay in milliseconds.
    pub target_delay_ms: u32,
}

#[derive(Debug)]
struct Slot {
    ext_ts: i64,
    data: Vec<u8>,
}

/// One stream's playout buffer. See the module docs.
#[derive(Debug)]
pub struct JitterBuffer {
    codec: AudioCodec,
    decoder: Decoder,
    slots: Vec<Slot>,
    spare: Vec<Vec<u8>>,
    /// Decoded samples not yet played, starting at timestamp `pcm_ts`.
    pcm: Vec<i16>,
    pcm_pos: usize,
    pcm_ts: i64,
    /// Extended timestamp of the next sample to play; `None` until the first packet.
    playout: Option<i64>,
    /// Reference for extending 32-bit timestamps.
    ext_ref: Option<i64>,
    /// Timestamps of the packets decoded last (duplicate detection after playout).
    recent: [i64; 8],
    recent_next: usize,
    last_pulled: Option<u32>,
    frame_units: i64,
    /// [`RESYNC_SECONDS`] in RTP units.
    resync: i64,
    max_payload: usize,
    target: i64,
    min_target: i64,
    max_target: i64,
    last_frame: Vec<i16>,
    conceal_run: u32,
    over_target_ticks: u32,
    calm_ticks: u32,
    stats: JitterStats,
}

impl JitterBuffer {
    /// A buffer for `codec` with a 20 ms pull frame and an initial target delay of `target_ms`.
    pub fn new(codec: AudioCodec, target_ms: u32) -> Self {
        let units_per_ms = (codec.clock_rate() / 1000) as i64;
        let frame_units = 20 * units_per_ms;
        let target = (target_ms as i64 * units_per_ms).max(frame_units);
        let mut jb = JitterBuffer {
            codec,
            decoder: Decoder::new(codec),
            // Buffers grow on the first packet: a held or signalling-only call costs nothing.
            slots: Vec::new(),
            spare: Vec::new(),
            pcm: Vec::new(),
            pcm_pos: 0,
            pcm_ts: 0,
            playout: None,
            ext_ref: None,
            recent: [i64::MIN; 8],
            recent_next: 0,
            last_pulled: None,
            frame_units,
            resync: RESYNC_SECONDS * codec.clock_rate() as i64,
            max_payload: match codec {
                AudioCodec::Opus => super::codec::opus::MAX_PAYLOAD,
                _ => MAX_PAYLOAD,
            },
            target,
            min_target: target,
            max_target: 200 * units_per_ms,
            last_frame: Vec::new(),
            conceal_run: PLC_FRAMES,
            over_target_ticks: 0,
            calm_ticks: 0,
            stats: JitterStats::default(),
        };
        jb.stats.target_delay_ms = (jb.target / units_per_ms) as u32;
        jb
    }

    /// PCM samples in one pulled frame (at the codec's sampling rate).
    pub fn frame_samples(&self) -> usize {
        self.codec.units_to_samples(self.frame_units) as usize
    }

    /// The codec this buffer decodes.
    pub fn codec(&self) -> AudioCodec {
        self.codec
    }

    /// Heap and inline bytes held (for the per-leg memory report).
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.slots.iter().map(|s| s.data.capacity()).sum::<usize>()
            + self.spare.iter().map(|d| d.capacity()).sum::<usize>()
            + self.spare.capacity() * std::mem::size_of::<Vec<u8>>()
            + (self.pcm.capacity() + self.last_frame.capacity()) * 2
    }

    /// RTP timestamp of the first sample of the last pulled frame (`None` before playout).
    pub fn last_pulled_ts(&self) -> Option<u32> {
        self.last_pulled
    }

    /// Timestamp units in one pulled frame.
    pub fn frame_units(&self) -> u32 {
        self.frame_units as u32
    }

    /// Counters so far.
    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// Current buffered delay in RTP units (from the playout point to the end of the last packet).
    pub fn buffered_units(&self) -> i64 {
        match (self.playout, self.slots.last()) {
            (Some(p), Some(last)) => {
                (last.ext_ts + self.codec.payload_duration(&last.data) as i64 - p).max(0)
            }
            _ => 0,
        }
    }

    /// Forgets everything (new SSRC, or the source restarted): the next packet re-anchors playout.
    pub fn reset(&mut self) {
        while let Some(s) = self.slots.pop() {
            self.spare.push(s.data);
        }
        self.pcm.clear();
        self.pcm_pos = 0;
        self.playout = None;
        self.ext_ref = None;
        self.recent = [i64::MIN; 8];
        self.decoder = Decoder::new(self.codec);
    }

    fn extend(&mut self, ts: u32) -> i64 {
        match self.ext_ref {
            None => {
                // Start well away from zero so early reordering never goes negative.
                let e = (1i64 << 32) + ts as i64;
                self.ext_ref = Some(e);
                e
            }
            Some(r) => {
                let e = r + (ts.wrapping_sub(r as u32) as i32 as i64);
                if e > r {
                    self.ext_ref = Some(e);
                }
                e
            }
        }
    }

    /// Buffers one packet's payload. `marker` is the RTP marker bit (start of a talkspurt).
    pub fn insert(&mut self, timestamp: u32, marker: bool, payload: &[u8]) {
        if payload.is_empty() || payload.len() > self.max_payload {
            return;
        }
        let dur = self.codec.payload_duration(payload) as i64;
        if dur == 0 {
            // An Opus packet whose duration cannot be read: nothing to play.
            return;
        }
        let ext = self.extend(timestamp);
        if let Some(p) = self.playout {
            if (ext - p).abs() > self.resync {
                // A timestamp jump (RFC 3550 §5.1 allows it after a pause or a source switch).
                self.reset();
                return self.insert(timestamp, marker, payload);
            }
            if self.recent.contains(&ext) {
                self.stats.duplicates += 1;
                return;
            }
            if ext + dur <= p {
                self.stats.late += 1;
                // Late audio: the link is more jittery than we allowed for.
                self.target = (self.target + self.frame_units / 2).min(self.max_target);
                self.calm_ticks = 0;
                return;
            }
            if marker && self.slots.is_empty() && self.pcm_pos >= self.pcm.len() {
                // Start of a talkspurt after silence: re-anchor at the target delay, which is
                // where a delay change is inaudible (RFC 3551 §4.1).
                let anchored = ext - self.target;
                if anchored != p {
                    self.playout = Some(anchored);
                    self.stats.resyncs += 1;
                }
            }
        } else {
            self.playout = Some(ext - self.target);
            self.stats.resyncs += 1;
        }
        if self.slots.iter().any(|s| s.ext_ts == ext) {
            self.stats.duplicates += 1;
            return;
        }
        if self.slots.len() >= MAX_PACKETS {
            let old = self.slots.remove(0);
            self.spare.push(old.data);
            self.stats.overflow += 1;
        }
        let mut data = self.spare.pop().unwrap_or_default();
        data.clear();
        data.extend_from_slice(payload);
        let pos = self.slots.partition_point(|s| s.ext_ts < ext);
        self.slots.insert(pos, Slot { ext_ts: ext, data });
    }

    /// Pulls one 20 ms frame into `out` (length [`Self::frame_samples`]).
    pub fn pull(&mut self, out: &mut [i16]) -> FrameKind {
        let n = out.len();
        let Some(playout) = self.playout else {
            out.fill(0);
            self.last_pulled = None;
            return FrameKind::Silence;
        };
        self.last_pulled = Some(playout as u32);
        let codec = self.codec;
        let mut filled = 0usize;
        let mut real = 0usize;
        let mut concealed = false;
        // Fast path, the common case: one packet exactly covers this frame; decode it in place.
        if self.pcm_pos >= self.pcm.len() {
            if let Some(first) = self.slots.first() {
                if first.ext_ts == playout
                    && codec.payload_duration(&first.data) as i64 == self.frame_units
                {
                    let s = self.slots.remove(0);
                    self.decoder.decode_slice(&s.data, out);
                    self.recent[self.recent_next] = s.ext_ts;
                    self.recent_next = (self.recent_next + 1) % self.recent.len();
                    self.spare.push(s.data);
                    filled = n;
                    real = n;
                }
            }
        }
        while filled < n {
            let pos = playout + codec.samples_to_units(filled as i64);
            let pcm_end = self.pcm_ts + codec.samples_to_units(self.pcm.len() as i64);
            let pcm_at = self.pcm_ts + codec.samples_to_units(self.pcm_pos as i64);
            if self.pcm_pos < self.pcm.len() && pcm_at <= pos && pos < pcm_end {
                let start = codec.units_to_samples(pos - self.pcm_ts) as usize;
                let take = (self.pcm.len() - start).min(n - filled);
                out[filled..filled + take].copy_from_slice(&self.pcm[start..start + take]);
                self.pcm_pos = start + take;
                filled += take;
                real += take;
                continue;
            }
            let Some(first) = self.slots.first() else {
                self.conceal(&mut out[filled..], filled);
                concealed = true;
                break;
            };
            let dur = codec.payload_duration(&first.data) as i64;
            if first.ext_ts + dur <= pos {
                let s = self.slots.remove(0);
                self.spare.push(s.data);
                self.stats.late += 1;
                continue;
            }
            if first.ext_ts > pos {
                let gap_end = first.ext_ts.min(playout + codec.samples_to_units(n as i64));
                // At least one sample, so a packet starting between two samples (Opus units
                // are a third of a 16 kHz sample) cannot stall the loop.
                let gap = (codec.units_to_samples(gap_end - pos) as usize).clamp(1, n - filled);
                let next_follows = first.ext_ts == pos + codec.samples_to_units(gap as i64);
                let gap_out = &mut out[filled..filled + gap];
                // The lost audio ends where the next packet starts: its in-band FEC may carry
                // it (RFC 7587 §3.3); otherwise conceal.
                let recovered = next_follows
                    && self.conceal_run < PLC_FRAMES
                    && self.decoder.recover(&self.slots[0].data, gap_out);
                if !recovered {
                    self.conceal(gap_out, filled);
                }
                concealed = true;
                filled += gap;
                continue;
            }
            let s = self.slots.remove(0);
            self.pcm.clear();
            self.pcm_pos = 0;
            self.pcm_ts = s.ext_ts;
            self.decoder.decode(&s.data, &mut self.pcm);
            self.recent[self.recent_next] = s.ext_ts;
            self.recent_next = (self.recent_next + 1) % self.recent.len();
            self.spare.push(s.data);
        }
        let next = playout + self.frame_units;
        self.playout = Some(next);
        if real > 0 {
            self.conceal_run = 0;
            if real == n {
                self.last_frame.clear();
                self.last_frame.extend_from_slice(out);
            }
        }
        if concealed {
            self.conceal_run = self.conceal_run.saturating_add(1);
            if real < n {
                self.stats.concealed_frames += 1;
            }
        }
        self.adapt();
        if real > 0 {
            FrameKind::Audio
        } else if concealed && out.iter().any(|&s| s != 0) {
            FrameKind::Concealed
        } else {
            FrameKind::Silence
        }
    }

    /// The codec's own concealment (Opus), else repetition of the last good frame with a
    /// linear fade over [`PLC_FRAMES`] frames; silence after that.
    fn conceal(&mut self, out: &mut [i16], offset: usize) {
        if self.conceal_run >= PLC_FRAMES {
            out.fill(0);
            return;
        }
        if self.decoder.conceal(out) {
            return;
        }
        let n = self.last_frame.len();
        if n == 0 {
            // No good frame yet to repeat.
            out.fill(0);
            return;
        }
        let total = (PLC_FRAMES as usize * n) as i32;
        let base = self.conceal_run as usize * n;
        for (i, o) in out.iter_mut().enumerate() {
            let k = offset + i;
            let gain = total - (base + k) as i32;
            *o = ((self.last_frame[k % n] as i32 * gain.max(0)) / total) as i16;
        }
    }

    /// Adapts the delay: grow on late packets (in `insert`), shrink after a calm period, and
    /// skip a frame when the buffer holds far more than the target (clock drift).
    fn adapt(&mut self) {
        let units_per_ms = (self.codec.clock_rate() / 1000) as i64;
        self.calm_ticks += 1;
        if self.calm_ticks >= 500 && self.target > self.min_target {
            // 10 s without a late packet: try a little less delay.
            self.target = (self.target - self.frame_units / 4).max(self.min_target);
            self.calm_ticks = 0;
        }
        if self.buffered_units() > self.target + 3 * self.frame_units {
            self.over_target_ticks += 1;
            if self.over_target_ticks >= 50 {
                if let Some(p) = self.playout.as_mut() {
                    *p += self.frame_units;
                }
                self.stats.drift_drops += 1;
                self.over_target_ticks = 0;
            }
        } else {
            self.over_target_ticks = 0;
        }
        self.stats.target_delay_ms = (self.target / units_per_ms) as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::super::codec::g711;
    use super::*;

    fn frame(v: i16, len: usize) -> Vec<u8> {
        vec![g711::ulaw_encode(v); len]
    }

    fn pull(jb: &mut JitterBuffer) -> (FrameKind, Vec<i16>) {
        let mut out = vec![0; jb.frame_samples()];
        let k = jb.pull(&mut out);
        (k, out)
    }

    #[test]
    fn buffers_are_allocated_by_the_first_packet_not_before() {
        let mut jb = JitterBuffer::new(AudioCodec::Pcmu, 40);
        let idle = jb.memory_bytes();
        assert_eq!(idle, std::mem::size_of::<JitterBuffer>());
        assert_eq!(pull(&mut jb).0, FrameKind::Silence);
        jb.insert(0, true, &frame(1000, 160));
        for _ in 0..4 {
            pull(&mut jb);
        }
        assert!(jb.memory_bytes() > idle);
    }

    #[test]
    fn plays_after_the_target_delay_in_order() {
        let mut jb = JitterBuffer::new(AudioCodec::Pcmu, 40);
        jb.insert(1000, true, &frame(1000, 160));
        assert_eq!(pull(&mut jb).0, FrameKind::Silence);
        jb.insert(1160, false, &frame(2000, 160));
        assert_eq!(pull(&mut jb).0, FrameKind::Silence);
        let (k, out) = pull(&mut jb);
        assert_eq!(k, FrameKind::Audio);
        assert_eq!(out[0], g711::ulaw_decode(g711::ulaw_encode(1000)));
        let (_, out) = pull(&mut jb);
        assert_eq!(out[159], g711::ulaw_decode(g711::ulaw_encode(2000)));
    }

    #[test]
    fn reorders_and_drops_duplicates() {
        let mut jb = JitterBuffer::new(AudioCodec::Pcmu, 40);
        jb.insert(0, true, &frame(100, 160));
        jb.insert(320, false, &frame(300, 160));
        jb.insert(160, false, &frame(200, 160));
        jb.insert(160, false, &frame(200, 160));
        assert_eq!(jb.stats().duplicates, 1);
        pull(&mut jb);
        pull(&mut jb);
        let vals: Vec<i16> = (0..3).map(|_| pull(&mut jb).1[80]).collect();
        let q = |v| g711::ulaw_decode(g711::ulaw_encode(v));
        assert_eq!(vals, vec![q(100), q(200), q(300)]);
    }

    #[test]
    fn ten_and_thirty_ms_packets_fill_twenty_ms_frames() {
        let mut jb = JitterBuffer::new(AudioCodec::Pcmu, 20);
        for i in 0..6u32 {
            jb.insert(i * 80, i == 0, &frame(500 + i as i16 * 100, 80));
        }
        pull(&mut jb);
        let (k, out) = pull(&mut jb);
        assert_eq!(k, FrameKind::Audio);
        assert_eq!(out[0], g711::ulaw_decode(g711::ulaw_encode(500)));
        assert_eq!(out[100], g711::ulaw_decode(g711::ulaw_encode(600)));

        let mut jb = JitterBuffer::new(AudioCodec::Pcma, 20);
        jb.insert(0, true, &vec![g711::alaw_encode(700); 240]);
        jb.insert(240, false, &vec![g711::alaw_encode(-700); 240]);
        pull(&mut jb);
        let a: Vec<i16> = (0..3).flat_map(|_| pull(&mut jb).1).collect();
        assert_eq!(a[239], g711::alaw_decode(g711::alaw_encode(700)));
        assert_eq!(a[240], g711::alaw_decode(g711::alaw_encode(-700)));
        assert_eq!(a[479], g711::alaw_decode(g711::alaw_encode(-700)));
    }

    #[test]
    fn loss_is_concealed_then_silent() {
        let mut jb = JitterBuffer::new(AudioCodec::Pcmu, 20);
        jb.insert(0, true, &frame(4000, 160));
        pull(&mut jb);
        assert_eq!(pull(&mut jb).0, FrameKind::Audio);
        let (k, out) = pull(&mut jb);
        assert_eq!(k, FrameKind::Concealed);
        assert!(out[0] > 0 && out[159] < out[0]);
        pull(&mut jb);
        pull(&mut jb);
        assert_eq!(pull(&mut jb).0, FrameKind::Silence);
    }

    #[test]
    fn timestamp_jump_resyncs_and_wrap_is_continuous() {
        let mut jb = JitterBuffer::new(AudioCodec::Pcmu, 20);
        let start = u32::MAX - 159;
        jb.insert(start, true, &frame(1, 160));
        jb.insert(start.wrapping_add(160), false, &frame(2, 160));
        pull(&mut jb);
        assert_eq!(pull(&mut jb).0, FrameKind::Audio);
        assert_eq!(pull(&mut jb).0, FrameKind::Audio);
        jb.insert(5_000_000, false, &frame(3, 160));
        assert_eq!(jb.stats().resyncs, 2);
        pull(&mut jb);
        assert_eq!(pull(&mut jb).0, FrameKind::Audio);
    }

    #[test]
    fn g722_packets_decode_once_across_frames() {
        use super::super::codec::g722::G722Encoder;
        let mut enc = G722Encoder::new();
        let mut jb = JitterBuffer::new(AudioCodec::G722, 20);
        assert_eq!(jb.frame_samples(), 320);
        let pcm: Vec<i16> = (0..960).map(|i| ((i % 40) as i16 - 20) * 300).collect();
        let mut bytes = Vec::new();
        enc.encode(&pcm, &mut bytes);
        // One 30 ms packet then one 30 ms packet: 480 samples each.
        jb.insert(0, true, &bytes[..240]);
        jb.insert(240, false, &bytes[240..]);
        pull(&mut jb);
        let got: Vec<i16> = (0..3).flat_map(|_| pull(&mut jb).1).collect();
        let mut dec = super::super::codec::g722::G722Decoder::new();
        let mut want = Vec::new();
        dec.decode(&bytes, &mut want);
        assert_eq!(got, want);
    }

    fn opus_packets(frame: usize, count: usize, fec: bool) -> Vec<Vec<u8>> {
        use super::super::codec::opus::{OpusConfig, OpusEncoder};
        let mut enc = OpusEncoder::new(OpusConfig {
            fec,
            ..OpusConfig::default()
        });
        let pcm: Vec<i16> = (0..frame * count)
            .map(|i| {
                (6000.0 * (i as f32 * 2.0 * std::f32::consts::PI * 400.0 / 16000.0).sin()) as i16
            })
            .collect();
        pcm.chunks_exact(frame)
            .map(|c| {
                let mut p = Vec::new();
                enc.encode(c, &mut p);
                p
            })
            .collect()
    }

    #[test]
    fn opus_uses_48_khz_timestamps_and_any_packet_duration() {
        for frame in [160usize, 320, 640, 960] {
            let mut jb = JitterBuffer::new(AudioCodec::Opus, 60);
            assert_eq!((jb.frame_samples(), jb.frame_units()), (320, 960));
            let units = frame as u32 * 3;
            let packets = opus_packets(frame, 960 / frame * 25, false);
            let mut kinds = Vec::new();
            let mut t = 0u32;
            let mut sent = 0;
            for tick in 0..20 {
                // Send on the sender's own packet clock, one tick's worth at a time.
                while sent < packets.len() && t < (tick + 1) * 960 {
                    jb.insert(7_000_000u32.wrapping_add(t), sent == 0, &packets[sent]);
                    t += units;
                    sent += 1;
                }
                kinds.push(pull(&mut jb).0);
            }
            // Silence until the 60 ms playout delay has passed, then only received audio.
            let first = kinds.iter().position(|k| *k == FrameKind::Audio);
            assert_eq!(first, Some(3), "frame {frame}: {kinds:?}");
            assert!(
                kinds[3..].iter().all(|k| *k == FrameKind::Audio),
                "{kinds:?}"
            );
            assert_eq!(jb.stats().late, 0, "frame {frame}");
        }
    }

    #[test]
    fn opus_loss_uses_fec_from_the_next_packet_then_plc() {
        let packets = opus_packets(320, 30, true);
        let mut jb = JitterBuffer::new(AudioCodec::Opus, 40);
        let mut heard = Vec::new();
        for (i, p) in packets.iter().enumerate() {
            // Packet 10 is lost; 20–22 are lost with nothing buffered after them for a while.
            if i != 10 && !(20..23).contains(&i) {
                jb.insert(i as u32 * 960, i == 0, p);
            }
            heard.push(pull(&mut jb));
        }
        assert_eq!(jb.stats().late, 0);
        assert!(jb.stats().concealed_frames >= 2);
        // Every frame from playout start on carries the tone: FEC and PLC fill the gaps, no
        // silent frame.
        for (k, (kind, out)) in heard.iter().enumerate().skip(3) {
            assert_ne!(*kind, FrameKind::Silence, "frame {k}");
            assert!(out.iter().any(|&v| v.abs() > 500), "frame {k} is silent");
        }
    }

    #[test]
    fn malformed_opus_is_not_buffered() {
        let mut jb = JitterBuffer::new(AudioCodec::Opus, 20);
        jb.insert(0, true, &[9 << 3 | 3, 0]);
        jb.insert(0, true, &[9 << 3 | 1, 1]);
        assert_eq!(jb.buffered_units(), 0);
        assert_eq!(pull(&mut jb).0, FrameKind::Silence);
    }

    #[test]
    fn random_opus_streams_never_stall_or_panic() {
        // Timestamps off the 2.5 ms grid, garbage frames behind valid ToC bytes, reordering,
        // jumps: every pull returns a full frame.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut jb = JitterBuffer::new(AudioCodec::Opus, 40);
        let mut ts = 1000u32;
        for _ in 0..3000 {
            let r = next();
            ts = ts.wrapping_add(match r % 10 {
                0 => (r >> 8) as u32 % 7,
                1 => 100_000,
                2 => 0u32.wrapping_sub(960),
                _ => 960,
            });
            let len = 1 + (r >> 16) as usize % 120;
            let mut p: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if r % 3 == 0 {
                p[0] = 9 << 3; // a plausible SILK WB 20 ms ToC
            }
            jb.insert(ts, r % 17 == 0, &p);
            if r % 2 == 0 {
                let (_, out) = pull(&mut jb);
                assert_eq!(out.len(), 320);
            }
        }
    }
}
