//! Opus (RFC 6716) on RTP (RFC 7587), through the pure-Rust `opus-rs` codec.
//!
//! The RTP clock is always 48000 (RFC 7587 §4.1), whatever the audio bandwidth. The mixer
//! works at 16 kHz for Opus legs (wideband, like G.722): every Opus decoder can output any of
//! its rates from any packet (RFC 6716 §2), so we decode straight to 16 kHz mono and encode
//! 16 kHz mono (SILK wideband). Mixing rooms at 48 kHz would triple the mix and resampling cost
//! of every room with one Opus leg for bandwidth that room-system voice does not use.
//!
//! Stereo packets are downmixed by the decoder (a mono Opus decoder plays the mid, RFC 6716
//! §4.5). We always send mono, even to a peer that asked `stereo=1`: that parameter is only
//! the receiver's preference and mono is always decodable (RFC 7587 §7.1), and the mix is mono.

use opus_rs::{Application, OpusDecoder as RsDecoder, OpusEncoder as RsEncoder};
use thiserror::Error;

/// The PCM rate our Opus encoders and decoders work at (see the module docs).
pub const PCM_RATE: u32 = 16000;
/// The Opus RTP clock rate (RFC 7587 §4.1).
pub const RTP_CLOCK: u32 = super::AudioCodec::Opus.clock_rate();
/// Longest packet duration, in 48 kHz units (120 ms, RFC 6716 §3.2.5).
const MAX_PACKET_UNITS: u32 = 5760;
/// Largest payload we accept: 1275 bytes per frame (RFC 6716 §3.2.1), one 60 ms packet of
/// the longest frames is far beyond anything a voice peer sends, so cap at a few frames.
pub const MAX_PAYLOAD: usize = 4 * 1275;
/// The ToC byte of a 20 ms SILK wideband mono frame (config 9, RFC 6716 §3.1); a packet of
/// just this byte is an empty (DTX) frame that the receiver conceals (RFC 6716 §3.2.1).
const EMPTY_FRAME: u8 = 9 << 3;
/// Concealment and FEC work in whole 2.5 ms steps (RFC 6716 §2.1.4): 40 samples at 16 kHz.
const PLC_STEP: usize = (PCM_RATE / 400) as usize;

/// Why an Opus packet could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum OpusError {
    /// An empty payload (RFC 6716 §3.4 rule R1).
    #[error("empty Opus packet")]
    Empty,
    /// The framing (ToC code and frame lengths) is malformed (RFC 6716 §3.4).
    #[error("malformed Opus packet: {0}")]
    Malformed(&'static str),
    /// The codec library refused the packet or the frame size.
    #[error("Opus codec: {0}")]
    Codec(&'static str),
}

/// Duration of an Opus packet in 48 kHz RTP units, from its ToC byte and frame count
/// (RFC 6716 §3.1–§3.2), checking the framing rules R1–R7 of §3.4 that the count depends on.
pub fn packet_units(packet: &[u8]) -> Result<u32, OpusError> {
    let (&toc, rest) = packet.split_first().ok_or(OpusError::Empty)?;
    let config = toc >> 3;
    // §3.1 Table 2: SILK 10/20/40/60 ms, Hybrid 10/20 ms, CELT 2.5/5/10/20 ms.
    let frame = match config {
        0..=11 => [480, 960, 1920, 2880][(config % 4) as usize],
        12..=15 => [480, 960][(config % 2) as usize],
        _ => [120, 240, 480, 960][(config % 4) as usize],
    };
    let frames = match toc & 3 {
        0 => 1,
        1 => {
            // R3: two frames of equal size.
            if rest.len() % 2 != 0 {
                return Err(OpusError::Malformed("odd length for two equal frames"));
            }
            2
        }
        2 => {
            // R4: a frame length (1 or 2 bytes) no longer than what follows it.
            let (len, used) = frame_length(rest)?;
            if len > rest.len() - used {
                return Err(OpusError::Malformed("first frame longer than the packet"));
            }
            2
        }
        _ => {
            // R5–R7: a frame count byte, 1..=48 frames, at most 120 ms.
            let &count = rest.first().ok_or(OpusError::Malformed("no frame count"))?;
            let m = u32::from(count & 0x3f);
            if m == 0 {
                return Err(OpusError::Malformed("zero frames"));
            }
            m
        }
    };
    let units = frame * frames;
    if units > MAX_PACKET_UNITS {
        return Err(OpusError::Malformed("longer than 120 ms"));
    }
    Ok(units)
}

/// A frame length of code 2/3 packets (RFC 6716 §3.2.1): one byte, or two for 252..=255.
fn frame_length(b: &[u8]) -> Result<(usize, usize), OpusError> {
    match b {
        [] => Err(OpusError::Malformed("missing frame length")),
        [x, ..] if *x < 252 => Ok((*x as usize, 1)),
        [x, y, ..] => Ok((*y as usize * 4 + *x as usize, 2)),
        [_] => Err(OpusError::Malformed("truncated frame length")),
    }
}

/// PCM samples at [`PCM_RATE`] in a packet of `units` RTP units.
fn units_to_samples(units: u32) -> usize {
    (units / (RTP_CLOCK / PCM_RATE)) as usize
}

#[inline]
fn to_i16(x: f32) -> i16 {
    (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

/// The sending parameters taken from the peer's `a=fmtp` for opus (RFC 7587 §6.1): its
/// receive preferences, which bind what we send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OpusConfig {
    /// The peer can use in-band FEC (`useinbandfec=1`): we add LBRR to our packets.
    pub fec: bool,
    /// Our target bitrate (capped by `maxaveragebitrate`).
    pub bitrate: u32,
    /// Constant bitrate (`cbr=1`).
    pub cbr: bool,
    /// The peer prefers stereo (`stereo=1`); we still send mono (see the module docs).
    pub stereo: bool,
    /// Encoder complexity 0–10 (ours, not from the fmtp): CPU against quality.
    pub complexity: u8,
}

/// Default complexity: a server encodes many streams. In opus-rs (release, this machine) a
/// 16 kHz 20 ms encode costs about 30 µs at 0, 60–90 µs at 2, 110–150 µs at 5 and 200–300 µs
/// at 9 (the mixer bench prints it); 2 keeps most of SILK's analysis at well under half the
/// cost of 5.
pub const DEFAULT_COMPLEXITY: u8 = 2;

/// Default target: wideband speech is good from about 20 kbit/s (RFC 6716 §2.1.1); 32 kbit/s
/// leaves room for the FEC layer (LBRR) and is still half of G.722.
const DEFAULT_BITRATE: u32 = 32000;

impl Default for OpusConfig {
    fn default() -> Self {
        OpusConfig {
            fec: false,
            bitrate: DEFAULT_BITRATE,
            cbr: false,
            stereo: false,
            complexity: DEFAULT_COMPLEXITY,
        }
    }
}

impl OpusConfig {
    /// Reads the peer's fmtp parameters (`key=value` separated by `;`, RFC 7587 §6.1).
    /// Unknown parameters and malformed values are ignored: they mean the defaults.
    pub fn from_fmtp(fmtp: &str) -> Self {
        let mut c = OpusConfig::default();
        for kv in fmtp.split(';') {
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            let (k, v) = (k.trim(), v.trim());
            if k.eq_ignore_ascii_case("useinbandfec") {
                c.fec = v == "1";
            } else if k.eq_ignore_ascii_case("cbr") {
                c.cbr = v == "1";
            } else if k.eq_ignore_ascii_case("stereo") {
                c.stereo = v == "1";
            } else if k.eq_ignore_ascii_case("maxaveragebitrate") {
                // §6.1: 6000 to 510000; a value out of range is clamped.
                if let Ok(max) = v.parse::<u32>() {
                    c.bitrate = c.bitrate.min(max.clamp(6000, 510_000));
                }
            }
        }
        c
    }
}

/// One Opus encoder: 16 kHz mono PCM in, one packet per call out.
///
/// The codec state (about 300 KB in opus-rs) is only built on the first encode: a leg that
/// only listens is served by its room's shared encoder and never needs its own.
pub struct OpusEncoder {
    inner: Option<Box<RsEncoder>>,
    config: OpusConfig,
    frame: [u8; 1275],
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder")
            .field("config", &self.config)
            .finish()
    }
}

impl Clone for OpusEncoder {
    /// A fresh encoder with the same configuration (codec state is not copied: a clone
    /// starts a new stream, which every Opus decoder accepts).
    fn clone(&self) -> Self {
        OpusEncoder::new(self.config)
    }
}

impl Default for OpusEncoder {
    fn default() -> Self {
        OpusEncoder::new(OpusConfig::default())
    }
}

impl OpusEncoder {
    /// An encoder for `config`, in VoIP mode (SILK, RFC 6716 §2.1.1). Allocates nothing
    /// until the first encode.
    pub fn new(config: OpusConfig) -> Self {
        OpusEncoder {
            inner: None,
            config,
            frame: [0; 1275],
        }
    }

    fn build(config: OpusConfig) -> Box<RsEncoder> {
        let mut inner = Box::new(
            RsEncoder::new(PCM_RATE as i32, 1, Application::Voip)
                .expect("16 kHz mono is a valid Opus configuration"),
        );
        inner.bitrate_bps = config.bitrate as i32;
        inner.use_cbr = config.cbr;
        inner.use_inband_fec = config.fec;
        // LBRR is only coded for an expected loss above zero (libopus behaviour).
        inner.packet_loss_perc = if config.fec { 10 } else { 0 };
        inner.complexity = config.complexity.min(10) as i32;
        inner
    }

    /// Drops the codec state (the next encode starts a fresh stream, which any decoder
    /// accepts). For a leg that has long been served by a shared encoder.
    pub fn release(&mut self) {
        self.inner = None;
    }

    /// Whether the codec state is built (it is after the first encode, until released).
    pub fn is_built(&self) -> bool {
        self.inner.is_some()
    }

    /// The configuration this encoder was built with.
    pub fn config(&self) -> OpusConfig {
        self.config
    }

    /// Encodes one frame (2.5–60 ms of 16 kHz PCM; the mixer gives 20 ms), appending one
    /// packet to `out`.
    pub fn try_encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<usize, OpusError> {
        let config = self.config;
        let n = self
            .inner
            .get_or_insert_with(|| Self::build(config))
            .encode_i16(pcm, pcm.len(), &mut self.frame)
            .map_err(OpusError::Codec)?;
        out.extend_from_slice(&self.frame[..n]);
        Ok(n)
    }

    /// Like [`Self::try_encode`], but never fails: a frame the codec refuses is sent as an
    /// empty frame, which the receiver conceals (RFC 6716 §3.2.1).
    pub fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        if self.try_encode(pcm, out).is_err() {
            out.push(EMPTY_FRAME);
        }
    }
}

/// One Opus decoder: any Opus packet (mono or stereo, any bandwidth) to 16 kHz mono PCM,
/// with the codec's own loss concealment and in-band FEC recovery.
pub struct OpusDecoder {
    inner: RsDecoder,
    scratch: Vec<f32>,
    /// Packets that failed to decode (concealed instead).
    pub errors: u64,
}

impl std::fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusDecoder")
            .field("errors", &self.errors)
            .finish()
    }
}

impl Clone for OpusDecoder {
    /// A fresh decoder (codec state is not copied).
    fn clone(&self) -> Self {
        OpusDecoder::new()
    }
}

impl Default for OpusDecoder {
    fn default() -> Self {
        OpusDecoder::new()
    }
}

impl OpusDecoder {
    /// A 16 kHz mono decoder.
    pub fn new() -> Self {
        OpusDecoder {
            inner: RsDecoder::new(PCM_RATE as i32, 1)
                .expect("16 kHz mono is a valid Opus configuration"),
            scratch: vec![0.0; units_to_samples(MAX_PACKET_UNITS)],
            errors: 0,
        }
    }

    /// Decodes one packet into `out`, which must hold exactly its samples at 16 kHz.
    pub fn try_decode_slice(&mut self, packet: &[u8], out: &mut [i16]) -> Result<(), OpusError> {
        let n = units_to_samples(packet_units(packet)?);
        if n != out.len() {
            return Err(OpusError::Malformed("duration differs from the frame"));
        }
        let got = self
            .inner
            .decode(packet, n, &mut self.scratch[..n])
            .map_err(OpusError::Codec)?;
        if got != n {
            return Err(OpusError::Codec("short decode"));
        }
        for (o, &x) in out.iter_mut().zip(&self.scratch[..n]) {
            *o = to_i16(x);
        }
        Ok(())
    }

    /// Decodes one packet, appending its samples at 16 kHz to `out`.
    pub fn try_decode(&mut self, packet: &[u8], out: &mut Vec<i16>) -> Result<usize, OpusError> {
        let n = units_to_samples(packet_units(packet)?);
        let start = out.len();
        out.resize(start + n, 0);
        match self.try_decode_slice(packet, &mut out[start..]) {
            Ok(()) => Ok(n),
            Err(e) => {
                out.truncate(start);
                Err(e)
            }
        }
    }

    /// Decodes into `out` (exactly the packet's samples); a packet that fails is concealed
    /// and counted in [`Self::errors`] (never a panic on network input).
    pub fn decode_slice(&mut self, packet: &[u8], out: &mut [i16]) {
        if self.try_decode_slice(packet, out).is_err() {
            self.errors += 1;
            if !self.conceal(out) {
                out.fill(0);
            }
        }
    }

    /// Appends the packet's samples to `out`; a packet that fails is concealed for its
    /// duration (or, if even that is unreadable, dropped) and counted in [`Self::errors`].
    pub fn decode(&mut self, packet: &[u8], out: &mut Vec<i16>) {
        if self.try_decode(packet, out).is_err() {
            self.errors += 1;
            if let Ok(units) = packet_units(packet) {
                let start = out.len();
                out.resize(start + units_to_samples(units), 0);
                if !self.conceal(&mut out[start..]) {
                    out[start..].fill(0);
                }
            }
        }
    }

    /// Fills `out` with the decoder's packet loss concealment (RFC 6716 §4.4), continuing the
    /// last decoded audio. False if `out` is not a whole number of 2.5 ms steps.
    pub fn conceal(&mut self, out: &mut [i16]) -> bool {
        let n = out.len();
        if n == 0 || n % PLC_STEP != 0 || n > self.scratch.len() {
            return false;
        }
        match self.inner.decode(&[], n, &mut self.scratch[..n]) {
            Ok(_) => {
                for (o, &x) in out.iter_mut().zip(&self.scratch[..n]) {
                    *o = to_i16(x);
                }
                true
            }
            Err(_) => false,
        }
    }

    /// Rebuilds lost audio just before `next` from the in-band FEC (LBRR) that `next`
    /// carries (RFC 6716 §2.1.7, RFC 7587 §3.3), concealing whatever LBRR does not cover.
    /// `next` is not consumed: decode it normally afterwards. False if `out` is not a whole
    /// number of 2.5 ms steps or `next` is unusable.
    pub fn recover(&mut self, next: &[u8], out: &mut [i16]) -> bool {
        let n = out.len();
        if n == 0 || n % PLC_STEP != 0 || n > self.scratch.len() || packet_units(next).is_err() {
            return false;
        }
        match self.inner.decode_fec(next, n, &mut self.scratch[..n]) {
            Ok(_) => {
                for (o, &x) in out.iter_mut().zip(&self.scratch[..n]) {
                    *o = to_i16(x);
                }
                true
            }
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f32, n: usize, amp: f32) -> Vec<i16> {
        (0..n)
            .map(|i| {
                (amp * (2.0 * std::f32::consts::PI * freq * i as f32 / PCM_RATE as f32).sin())
                    as i16
            })
            .collect()
    }

    /// Goertzel power of `freq` relative to the frame's total power.
    fn tone_share(x: &[i16], freq: f32) -> f32 {
        let w = 2.0 * std::f32::consts::PI * freq / PCM_RATE as f32;
        let c = 2.0 * w.cos();
        let (mut s1, mut s2) = (0.0f32, 0.0f32);
        for &v in x {
            let s = v as f32 + c * s1 - s2;
            s2 = s1;
            s1 = s;
        }
        let p = s1 * s1 + s2 * s2 - c * s1 * s2;
        let total: f32 = x.iter().map(|&v| (v as f32) * (v as f32)).sum();
        2.0 * p / (x.len() as f32 * total.max(1.0))
    }

    fn encode_all(enc: &mut OpusEncoder, pcm: &[i16], frame: usize) -> Vec<Vec<u8>> {
        pcm.chunks_exact(frame)
            .map(|c| {
                let mut p = Vec::new();
                enc.try_encode(c, &mut p).expect("valid frame");
                p
            })
            .collect()
    }

    #[test]
    fn packet_durations_follow_the_toc() {
        // Config 9 (SILK WB 20 ms), code 0.
        assert_eq!(packet_units(&[9 << 3, 0xAA]), Ok(960));
        // Config 11 (SILK WB 60 ms).
        assert_eq!(packet_units(&[11 << 3, 1]), Ok(2880));
        // Config 16 (CELT NB 2.5 ms), code 3 with 4 frames.
        assert_eq!(packet_units(&[16 << 3 | 3, 4, 0, 0]), Ok(480));
        // Code 1: two equal frames of 10 ms.
        assert_eq!(packet_units(&[8 << 3 | 1, 1, 2]), Ok(960));
        assert!(packet_units(&[8 << 3 | 1, 1]).is_err());
        // Code 2: the first length must fit.
        assert_eq!(packet_units(&[9 << 3 | 2, 1, 5, 6]), Ok(1920));
        assert!(packet_units(&[9 << 3 | 2, 9, 5]).is_err());
        // Code 3: zero frames and more than 120 ms are invalid.
        assert!(packet_units(&[9 << 3 | 3, 0]).is_err());
        assert!(packet_units(&[11 << 3 | 3, 3]).is_err());
        assert_eq!(packet_units(&[]), Err(OpusError::Empty));
    }

    #[test]
    fn fmtp_sets_fec_bitrate_and_stereo() {
        let c =
            OpusConfig::from_fmtp("minptime=10; useinbandfec=1;stereo=1;maxaveragebitrate=12000");
        assert!(c.fec && c.stereo && !c.cbr);
        assert_eq!(c.bitrate, 12000);
        let d = OpusConfig::from_fmtp("maxaveragebitrate=100;cbr=1;junk");
        assert_eq!(d.bitrate, 6000);
        assert!(d.cbr && !d.fec);
        assert_eq!(OpusConfig::from_fmtp(""), OpusConfig::default());
    }

    #[test]
    fn round_trip_keeps_a_tone() {
        let pcm = tone(440.0, 16000, 8000.0);
        let mut enc = OpusEncoder::default();
        let packets = encode_all(&mut enc, &pcm, 320);
        assert!(packets.iter().all(|p| packet_units(p) == Ok(960)));
        let mut dec = OpusDecoder::new();
        let mut out = Vec::new();
        for p in &packets {
            dec.try_decode(p, &mut out).expect("our own packets decode");
        }
        assert_eq!(out.len(), pcm.len());
        // Past the codec's start-up, the tone dominates.
        let tail = &out[4000..];
        assert!(tone_share(tail, 440.0) > 0.8, "{}", tone_share(tail, 440.0));
        let rms =
            (tail.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / tail.len() as f64).sqrt();
        assert!(
            rms > 8000.0 * 0.707 * 0.5 && rms < 8000.0 * 0.707 * 1.5,
            "{rms}"
        );
    }

    #[test]
    fn encoder_state_is_built_on_demand_and_released() {
        let mut enc = OpusEncoder::default();
        assert!(!enc.is_built());
        let mut p = Vec::new();
        enc.encode(&tone(300.0, 320, 3000.0), &mut p);
        assert!(enc.is_built() && packet_units(&p) == Ok(960));
        enc.release();
        assert!(!enc.is_built());
        p.clear();
        enc.encode(&tone(300.0, 320, 3000.0), &mut p);
        let mut out = vec![0; 320];
        OpusDecoder::new()
            .try_decode_slice(&p, &mut out)
            .expect("a fresh stream decodes");
    }

    #[test]
    fn odd_packet_sizes_decode_to_their_duration() {
        let pcm = tone(700.0, 16000, 6000.0);
        // SILK takes 10–60 ms frames; 2.5 and 5 ms exist only in CELT (RFC 6716 §2.1.4).
        for frame in [40usize, 80, 160, 640, 960] {
            let packets: Vec<Vec<u8>> = if frame < 160 {
                let mut enc =
                    RsEncoder::new(16000, 1, Application::RestrictedLowDelay).expect("valid");
                pcm.chunks_exact(frame)
                    .map(|c| {
                        let mut buf = [0u8; 1275];
                        let n = enc.encode_i16(c, frame, &mut buf).expect("encodes");
                        buf[..n].to_vec()
                    })
                    .collect()
            } else {
                encode_all(&mut OpusEncoder::default(), &pcm, frame)
            };
            let mut dec = OpusDecoder::new();
            for p in &packets {
                assert_eq!(packet_units(p), Ok(frame as u32 * 3), "frame {frame}");
                let mut out = vec![0; frame];
                dec.try_decode_slice(p, &mut out).expect("decodes");
            }
        }
    }

    #[test]
    fn loss_is_concealed_and_fec_recovers() {
        let pcm = tone(500.0, 16000, 8000.0);
        let mut enc = OpusEncoder::new(OpusConfig {
            fec: true,
            ..OpusConfig::default()
        });
        let packets = encode_all(&mut enc, &pcm, 320);
        let mut dec = OpusDecoder::new();
        let mut out = vec![0i16; 320];
        for p in &packets[..20] {
            dec.try_decode_slice(p, &mut out).expect("decodes");
        }
        // Packet 20 lost, 21 is there: FEC rebuilds 20 from 21's LBRR.
        assert!(dec.recover(&packets[21], &mut out));
        assert!(tone_share(&out, 500.0) > 0.5, "{}", tone_share(&out, 500.0));
        dec.try_decode_slice(&packets[21], &mut out)
            .expect("decodes");
        // Packets 22 and 23 lost with nothing after: plain concealment continues the tone.
        assert!(dec.conceal(&mut out));
        assert!(tone_share(&out, 500.0) > 0.5, "{}", tone_share(&out, 500.0));
        assert!(out.iter().any(|&v| v.abs() > 1000));
        assert!(!dec.conceal(&mut out[..33]));
        dec.try_decode_slice(&packets[24], &mut out)
            .expect("decodes");
    }

    #[test]
    fn malformed_packets_are_errors_not_panics() {
        let mut dec = OpusDecoder::new();
        let mut out = vec![0i16; 320];
        assert_eq!(dec.try_decode_slice(&[], &mut out), Err(OpusError::Empty));
        assert!(dec.try_decode_slice(&[9 << 3 | 3, 0], &mut out).is_err());
        // Right duration, garbage inside: decodes to something or errors, never panics.
        let mut seed = 0x1234_5678u32;
        for len in 2..300 {
            let mut p = vec![0u8; len];
            for b in &mut p {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                *b = (seed >> 24) as u8;
            }
            if let Ok(units) = packet_units(&p) {
                let mut o = vec![0i16; units_to_samples(units)];
                dec.decode_slice(&p, &mut o);
                let mut v = Vec::new();
                dec.decode(&p, &mut v);
            }
        }
        // The wrapper's infallible decode conceals instead.
        let mut v = Vec::new();
        dec.decode(&[9 << 3 | 1, 1], &mut v);
        assert!(v.is_empty());
        assert!(dec.errors > 0);
    }

    #[test]
    fn stereo_packets_decode_to_mono() {
        let mut enc = RsEncoder::new(48000, 2, Application::Audio).expect("valid");
        let pcm: Vec<f32> = (0..960 * 2)
            .map(|i| 0.3 * (2.0 * std::f32::consts::PI * 600.0 * (i / 2) as f32 / 48000.0).sin())
            .collect();
        let mut dec = OpusDecoder::new();
        let mut last = vec![0i16; 320];
        for _ in 0..10 {
            let mut buf = [0u8; 1275];
            let n = enc.encode(&pcm, 960, &mut buf).expect("encodes");
            assert!(buf[0] & 4 != 0, "a stereo packet");
            dec.try_decode_slice(&buf[..n], &mut last).expect("decodes");
        }
        assert!(
            tone_share(&last, 600.0) > 0.5,
            "{}",
            tone_share(&last, 600.0)
        );
    }
}
