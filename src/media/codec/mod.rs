//! Audio codecs: G.711 µ-law/A-law and G.722, all our own code.
//!
//! Opus is not here yet: it needs libopus, which this build does not link.

pub mod g711;
pub mod g722;

use std::fmt;

/// An audio codec the media plane can decode, mix and encode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    /// G.711 µ-law (RFC 3551 static payload type 0).
    Pcmu,
    /// G.711 A-law (RFC 3551 static payload type 8).
    Pcma,
    /// G.722 64 kbit/s (RFC 3551 static payload type 9; RTP clock 8000, sampling 16 kHz).
    G722,
}

impl AudioCodec {
    /// Maps an SDP rtpmap encoding name (case-insensitive) to a codec.
    pub fn from_name(name: &str) -> Option<AudioCodec> {
        if name.eq_ignore_ascii_case("PCMU") {
            Some(AudioCodec::Pcmu)
        } else if name.eq_ignore_ascii_case("PCMA") {
            Some(AudioCodec::Pcma)
        } else if name.eq_ignore_ascii_case("G722") {
            Some(AudioCodec::G722)
        } else {
            None
        }
    }

    /// The SDP encoding name.
    pub fn name(self) -> &'static str {
        match self {
            AudioCodec::Pcmu => "PCMU",
            AudioCodec::Pcma => "PCMA",
            AudioCodec::G722 => "G722",
        }
    }

    /// The RTP clock rate (RFC 3551 §4.5.2: 8000 for G.722 too).
    pub fn rtp_clock(self) -> u32 {
        8000
    }

    /// The PCM sampling rate the codec works at.
    pub fn sample_rate(self) -> u32 {
        match self {
            AudioCodec::Pcmu | AudioCodec::Pcma => 8000,
            AudioCodec::G722 => 16000,
        }
    }

    /// PCM samples per RTP timestamp unit.
    pub fn samples_per_tick_unit(self) -> usize {
        (self.sample_rate() / self.rtp_clock()) as usize
    }

    /// RTP timestamp units covered by a payload of `len` bytes (one byte per unit for all three).
    pub fn payload_duration(self, len: usize) -> u32 {
        len as u32
    }

    /// True if the encoder keeps no state between frames (so an encode can be shared freely).
    pub fn is_stateless(self) -> bool {
        !matches!(self, AudioCodec::G722)
    }
}

impl fmt::Display for AudioCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A decoder instance for one incoming stream.
#[derive(Debug, Clone)]
pub enum Decoder {
    /// G.711 µ-law.
    Pcmu,
    /// G.711 A-law.
    Pcma,
    /// G.722 (stateful).
    G722(Box<g722::G722Decoder>),
}

impl Decoder {
    /// A fresh decoder for `codec`.
    pub fn new(codec: AudioCodec) -> Self {
        match codec {
            AudioCodec::Pcmu => Decoder::Pcmu,
            AudioCodec::Pcma => Decoder::Pcma,
            AudioCodec::G722 => Decoder::G722(Box::default()),
        }
    }

    /// Decodes one payload into `out`, which holds exactly its samples.
    pub fn decode_slice(&mut self, payload: &[u8], out: &mut [i16]) {
        match self {
            Decoder::Pcmu => {
                for (o, &c) in out.iter_mut().zip(payload) {
                    *o = g711::ULAW_DEC[c as usize];
                }
            }
            Decoder::Pcma => {
                for (o, &c) in out.iter_mut().zip(payload) {
                    *o = g711::ALAW_DEC[c as usize];
                }
            }
            Decoder::G722(d) => d.decode_slice(payload, out),
        }
    }

    /// Decodes one payload, appending PCM at the codec's sampling rate.
    pub fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) {
        match self {
            Decoder::Pcmu => g711::ulaw_decode_into(payload, out),
            Decoder::Pcma => g711::alaw_decode_into(payload, out),
            Decoder::G722(d) => d.decode(payload, out),
        }
    }
}

/// An encoder instance for one outgoing stream (or one shared mix).
#[derive(Debug, Clone)]
pub enum Encoder {
    /// G.711 µ-law.
    Pcmu,
    /// G.711 A-law.
    Pcma,
    /// G.722 (stateful).
    G722(Box<g722::G722Encoder>),
}

impl Encoder {
    /// A fresh encoder for `codec`.
    pub fn new(codec: AudioCodec) -> Self {
        match codec {
            AudioCodec::Pcmu => Encoder::Pcmu,
            AudioCodec::Pcma => Encoder::Pcma,
            AudioCodec::G722 => Encoder::G722(Box::default()),
        }
    }

    /// Encodes PCM at the codec's sampling rate, appending the payload to `out`.
    pub fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        match self {
            Encoder::Pcmu => {
                let start = out.len();
                out.resize(start + pcm.len(), 0);
                g711::ulaw_encode_block(pcm, &mut out[start..]);
            }
            Encoder::Pcma => {
                let start = out.len();
                out.resize(start + pcm.len(), 0);
                g711::alaw_encode_block(pcm, &mut out[start..]);
            }
            Encoder::G722(e) => e.encode(pcm, out),
        }
    }
}
