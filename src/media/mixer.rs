//! The N−1 audio mixer of one room, run on the shared tick.
//!
//! Each tick, every member's playout buffer yields one 20 ms frame at the room's rate (the
//! highest rate among its members: 8 kHz for an all-G.711 room, 16 kHz as soon as a G.722 or
//! Opus leg is there, so narrowband rooms never pay for resampling; Opus legs are decoded and
//! encoded at 16 kHz, see [`super::codec::opus`]). Frames that carry voice (the gate in
//! [`super::voice`]) are summed in i32; each listener gets the sum minus its own frame, clipped
//! to i16. Everyone who did not contribute hears the same full mix, so those listeners share
//! one encode per codec (per Opus sending configuration) — with a few talkers in a large room,
//! almost every leg costs one header copy.

use super::codec::opus::{OpusConfig, OpusEncoder};
use super::codec::{g711, AudioCodec, Encoder};
use super::leg::Leg;
use super::prompt::PromptPlayer;
use super::resample::Downsampler;
use super::{LegId, MediaEvent, MediaOutput, PacketKind, PromptTarget, RoomKey, Transmit};
use std::collections::VecDeque;
use std::time::Instant;

/// Quiet ticks (10 s) after which a listening Opus leg gives back its own encoder's state
/// (about 300 KB); it is rebuilt when the leg talks again.
const OPUS_RELEASE_TICKS: u16 = 500;

/// Ticks a challenger must stay the loudest talker before video switches to it (300 ms).
const SPEAKER_HOLD: u16 = 15;

/// A room: its members and what the mixer keeps between ticks.
#[derive(Debug)]
pub(crate) struct Room {
    /// Slab indices of the legs subscribed to this room.
    pub members: Vec<usize>,
    /// Mix rate (8000 or 16000).
    pub rate: u32,
    /// Downsampler of the full mix for narrowband listeners in a wideband room.
    shared_down: Downsampler,
    /// Encoder of the full mix for G.722 listeners (stateful, so it lives with the room).
    shared_g722: Option<Encoder>,
    /// Encoders of the full mix for Opus listeners, one per sending configuration (the peers'
    /// fmtp: FEC, bitrate), stateful like G.722's.
    shared_opus: Vec<OpusEncoder>,
    /// A prompt playing to the whole room.
    pub prompt: Option<PromptPlayer>,
    /// The full mix of the last tick and that tick: what a participant moved in hears at once
    /// ([`super::MediaPlane`] sends it ahead rather than waiting for the next tick).
    pub last_mix: Vec<i16>,
    pub last_mix_tick: u64,
    /// Slab indices of the legs whose voice is in `last_mix` (their `frame` still holds it
    /// until the next tick), so a leg that left since can be taken out again.
    pub last_contributors: Vec<usize>,
    /// Active speaker (whose video the room sees).
    pub speaker: Option<LegId>,
    /// The speaker before, which the active speaker itself sees.
    pub previous_speaker: Option<LegId>,
    /// The last active speaker with video (a speaker without video does not blank the room).
    pub video_speaker: Option<LegId>,
    /// The video speaker before, which the video speaker itself sees.
    pub video_previous: Option<LegId>,
    challenger: Option<(LegId, u16)>,
}

impl Default for Room {
    fn default() -> Self {
        Room {
            members: Vec::new(),
            rate: 8000,
            shared_down: Downsampler::new(),
            shared_g722: None,
            last_mix: Vec::new(),
            last_mix_tick: 0,
            last_contributors: Vec::new(),
            shared_opus: Vec::new(),
            prompt: None,
            speaker: None,
            previous_speaker: None,
            video_speaker: None,
            video_previous: None,
            challenger: None,
        }
    }
}

/// Scratch buffers reused across rooms and ticks (no allocation on the tick path).
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    acc: Vec<i32>,
    full: Vec<i16>,
    narrow: Vec<i16>,
    personal: Vec<i16>,
    personal_narrow: Vec<i16>,
    shared: [Vec<u8>; 3],
    shared_ok: [bool; 3],
    /// This tick's shared Opus encodes: configuration, packet, and whether it is made yet.
    shared_opus: Vec<(OpusConfig, Vec<u8>, bool)>,
}

/// The shared-encode slot of a codec without per-peer parameters (Opus has its own list).
fn codec_slot(c: AudioCodec) -> usize {
    match c {
        AudioCodec::Pcmu => 0,
        AudioCodec::Pcma => 1,
        AudioCodec::G722 | AudioCodec::Opus => 2,
    }
}

#[inline]
pub(crate) fn clip(v: i32) -> i16 {
    v.clamp(i16::MIN as i32, i16::MAX as i32) as i16
}

impl Room {
    /// Recomputes the mix rate after a membership change.
    pub fn update_rate(&mut self, legs: &[Option<Leg>]) {
        let rate = self
            .members
            .iter()
            .filter_map(|&i| legs[i].as_ref())
            .map(|l| l.codec.sample_rate())
            .max()
            .unwrap_or(8000);
        if rate != self.rate {
            self.rate = rate;
            self.shared_down = Downsampler::new();
        }
        // Keep only the shared Opus encoders some member still listens through.
        let members = &self.members;
        self.shared_opus.retain(|e| {
            members.iter().any(|&i| {
                matches!(legs[i].as_ref().map(|l| &l.encoder),
                    Some(Encoder::Opus(o)) if o.config() == e.config())
            })
        });
    }

    /// Runs one tick: pull, mix, encode, packetise, and the active-speaker decision.
    #[allow(clippy::too_many_arguments)]
    pub fn tick(
        &mut self,
        key: RoomKey,
        legs: &mut [Option<Leg>],
        s: &mut Scratch,
        tick: u64,
        now: Instant,
        out: &mut VecDeque<MediaOutput>,
    ) {
        let rate = self.rate;
        let n = (rate / 50) as usize;
        s.acc.clear();
        s.acc.resize(n, 0);
        self.last_contributors.clear();
        for &i in &self.members {
            let leg = legs[i].as_mut().expect("members are live legs");
            leg.pull(tick, rate);
            if leg.contributing {
                self.last_contributors.push(i);
                for (a, &x) in s.acc.iter_mut().zip(&leg.frame) {
                    *a += x as i32;
                }
            }
            if leg.vad.changed {
                out.push_back(MediaOutput::Event(MediaEvent::Talking {
                    leg: leg.id,
                    talking: leg.vad.talking,
                    level: leg.vad.level,
                }));
            }
        }
        if let Some(p) = self.prompt.as_mut() {
            if !p.mix_into(&mut s.acc, rate) {
                self.prompt = None;
                out.push_back(MediaOutput::Event(MediaEvent::PromptDone {
                    target: PromptTarget::Room(key),
                }));
            }
        }
        s.full.clear();
        s.full.extend(s.acc.iter().map(|&v| clip(v)));
        self.last_mix.clear();
        self.last_mix.extend_from_slice(&s.full);
        self.last_mix_tick = tick;
        s.shared_ok = [false; 3];
        for e in &mut s.shared_opus {
            e.2 = false;
        }
        for &i in &self.members {
            let leg = legs[i].as_mut().expect("members are live legs");
            if leg.last_sent_tick() == Some(tick) {
                // Moved in since the last tick and already sent this tick's packet ahead.
                continue;
            }
            let narrow = leg.codec.sample_rate() < rate;
            let opus_listener = match &leg.encoder {
                Encoder::Opus(e) if !leg.contributing && leg.prompt.is_none() => Some(e.config()),
                _ => None,
            };
            let bytes = if let Some(cfg) = opus_listener {
                // Opus legs set the room to 16 kHz, their own rate: never narrow here.
                debug_assert!(!narrow);
                if leg.vad.quiet_ticks() >= OPUS_RELEASE_TICKS {
                    if let Encoder::Opus(own) = &mut leg.encoder {
                        own.release();
                    }
                }
                let k = match s.shared_opus.iter().position(|e| e.0 == cfg) {
                    Some(k) => k,
                    None => {
                        s.shared_opus.push((cfg, Vec::new(), false));
                        s.shared_opus.len() - 1
                    }
                };
                let (_, buf, made) = &mut s.shared_opus[k];
                if !*made {
                    buf.clear();
                    let e = match self.shared_opus.iter().position(|e| e.config() == cfg) {
                        Some(e) => e,
                        None => {
                            self.shared_opus.push(OpusEncoder::new(cfg));
                            self.shared_opus.len() - 1
                        }
                    };
                    self.shared_opus[e].encode(&s.full, buf);
                    *made = true;
                }
                let shared = &s.shared_opus[k].1;
                leg.send_audio_with(tick, now, shared.len(), |b| b.extend_from_slice(shared))
            } else if !leg.contributing && leg.prompt.is_none() {
                let slot = codec_slot(leg.codec);
                if !s.shared_ok[slot] {
                    let buf = &mut s.shared[slot];
                    buf.clear();
                    let pcm: &[i16] = if narrow {
                        s.narrow.resize(n / 2, 0);
                        self.shared_down.process(&s.full, &mut s.narrow);
                        &s.narrow
                    } else {
                        &s.full
                    };
                    match leg.codec {
                        AudioCodec::G722 => self
                            .shared_g722
                            .get_or_insert_with(|| Encoder::new(AudioCodec::G722))
                            .encode(pcm, buf),
                        c => Encoder::new(c).encode(pcm, buf),
                    }
                    s.shared_ok[slot] = true;
                }
                let shared = &s.shared[slot];
                leg.send_audio_with(tick, now, shared.len(), |b| b.extend_from_slice(shared))
            } else if leg.prompt.is_none() && !narrow && leg.codec.is_stateless() {
                // The common talker case, fused: N−1, clip and G.711-encode in one pass
                // straight into the packet.
                let frame = std::mem::take(&mut leg.frame);
                let acc = &s.acc;
                let alaw = leg.codec == AudioCodec::Pcma;
                let bytes = leg.send_audio_with(tick, now, n, |b| {
                    let pairs = acc.iter().zip(&frame);
                    // Two monomorphic loops so the table lookup inlines.
                    if alaw {
                        b.extend(pairs.map(|(&a, &own)| g711::alaw_encode(clip(a - own as i32))));
                    } else {
                        b.extend(pairs.map(|(&a, &own)| g711::ulaw_encode(clip(a - own as i32))));
                    }
                });
                leg.frame = frame;
                bytes
            } else {
                // N−1: the sum without this leg's own voice, plus a prompt for it alone.
                s.personal.clear();
                if leg.contributing {
                    s.personal.extend(
                        s.acc
                            .iter()
                            .zip(&leg.frame)
                            .map(|(&a, &own)| a - own as i32)
                            .map(clip),
                    );
                } else {
                    s.personal.extend_from_slice(&s.full);
                }
                if let Some(p) = leg.prompt.as_mut() {
                    let mut extra: Vec<i32> = s.personal.iter().map(|&v| v as i32).collect();
                    let more = p.mix_into(&mut extra, rate);
                    for (d, v) in s.personal.iter_mut().zip(extra) {
                        *d = clip(v);
                    }
                    if !more {
                        leg.prompt = None;
                        out.push_back(MediaOutput::Event(MediaEvent::PromptDone {
                            target: PromptTarget::Leg(leg.id),
                        }));
                    }
                }
                let pcm: &[i16] = if narrow {
                    s.personal_narrow.resize(n / 2, 0);
                    leg.downsampler.process(&s.personal, &mut s.personal_narrow);
                    &s.personal_narrow
                } else {
                    &s.personal
                };
                let mut encoder = std::mem::replace(&mut leg.encoder, Encoder::Pcmu);
                let bytes = leg.send_audio_with(tick, now, pcm.len(), |b| encoder.encode(pcm, b));
                leg.encoder = encoder;
                bytes
            };
            out.push_back(MediaOutput::Transmit(Transmit {
                leg: leg.id,
                kind: PacketKind::AudioRtp,
                bytes,
            }));
        }
        self.decide_speaker(key, legs, out);
    }

    /// Active-speaker switching with hysteresis: the loudest talker must stay loudest for
    /// [`SPEAKER_HOLD`] ticks (or the current speaker must have stopped talking).
    fn decide_speaker(
        &mut self,
        key: RoomKey,
        legs: &[Option<Leg>],
        out: &mut VecDeque<MediaOutput>,
    ) {
        let mut best: Option<(LegId, f32)> = None;
        let mut current_talking = false;
        for &i in &self.members {
            let leg = legs[i].as_ref().expect("members are live legs");
            if Some(leg.id) == self.speaker {
                current_talking = leg.vad.talking;
            }
            if leg.vad.talking && best.is_none_or(|(_, sc)| leg.vad.score > sc) {
                best = Some((leg.id, leg.vad.score));
            }
        }
        let Some((cand, _)) = best else {
            self.challenger = None;
            return;
        };
        if Some(cand) == self.speaker {
            self.challenger = None;
            return;
        }
        let held = match self.challenger {
            Some((c, t)) if c == cand => t + 1,
            _ => 1,
        };
        self.challenger = Some((cand, held));
        if self.speaker.is_none() || !current_talking || held >= SPEAKER_HOLD {
            let has_video = self.members.iter().any(|&i| {
                legs[i]
                    .as_ref()
                    .is_some_and(|l| l.id == cand && l.video.is_some())
            });
            self.set_speaker(key, cand, has_video, out);
        }
    }

    /// Makes `leg` the active speaker.
    pub fn set_speaker(
        &mut self,
        key: RoomKey,
        leg: LegId,
        has_video: bool,
        out: &mut VecDeque<MediaOutput>,
    ) {
        if self.speaker == Some(leg) {
            return;
        }
        self.previous_speaker = self.speaker;
        self.speaker = Some(leg);
        self.challenger = None;
        if has_video && self.video_speaker != Some(leg) {
            self.video_previous = self.video_speaker;
            self.video_speaker = Some(leg);
        }
        out.push_back(MediaOutput::Event(MediaEvent::ActiveSpeaker {
            room: key,
            leg,
        }));
    }

    /// The video source `leg` should see: the video speaker, or for the speaker itself the one
    /// before (a participant never receives its own video).
    pub fn video_view(&self, leg: LegId) -> Option<LegId> {
        if self.video_speaker != Some(leg) {
            self.video_speaker
        } else {
            self.video_previous.filter(|&p| p != leg)
        }
    }

    /// A leg with video joined: a room without a video speaker shows it until someone talks.
    pub fn joined_with_video(&mut self, leg: LegId) {
        if self.video_speaker.is_none() {
            self.video_speaker = Some(leg);
        } else if self.video_previous.is_none() && self.video_speaker != Some(leg) {
            self.video_previous = Some(leg);
        }
    }

    /// Forgets a leg that left (speaker bookkeeping).
    pub fn forget(&mut self, leg: LegId) {
        if self.speaker == Some(leg) {
            self.speaker = self.previous_speaker.take();
        }
        if self.previous_speaker == Some(leg) {
            self.previous_speaker = None;
        }
        if self.video_speaker == Some(leg) {
            self.video_speaker = self.video_previous.take();
        }
        if self.video_previous == Some(leg) {
            self.video_previous = None;
        }
        if matches!(self.challenger, Some((c, _)) if c == leg) {
            self.challenger = None;
        }
    }
}
