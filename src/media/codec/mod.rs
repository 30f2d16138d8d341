//! Audio codecs: G.711 µ-law/A-law and G.722 (our own code), and Opus (through the pure-Rust
//! `opus-rs` crate: no C library to install).

pub mod g711;
pub mod g722;
pub mod opus;

pub use crate::payload::AudioCodec;

/// The media side of an [`AudioCodec`] (its identity is in [`crate::payload`]): the PCM it
/// decodes to, and how RTP time maps onto it.
impl AudioCodec {
    /// The PCM sampling rate the codec works at.
    pub fn sample_rate(self) -> u32 {
        match self {
            AudioCodec::Pcmu | AudioCodec::Pcma => 8000,
            AudioCodec::G722 => 16000,
            AudioCodec::Opus => opus::PCM_RATE,
        }
    }

    /// PCM samples (at [`Self::sample_rate`]) in `units` RTP timestamp units.
    #[inline]
    pub fn units_to_samples(self, units: i64) -> i64 {
        match self {
            AudioCodec::Pcmu | AudioCodec::Pcma => units,
            AudioCodec::G722 => units * 2,
            AudioCodec::Opus => units / 3,
        }
    }

    /// RTP timestamp units covered by `samples` PCM samples (at [`Self::sample_rate`]).
    #[inline]
    pub fn samples_to_units(self, samples: i64) -> i64 {
        match self {
            AudioCodec::Pcmu | AudioCodec::Pcma => samples,
            AudioCodec::G722 => samples / 2,
            AudioCodec::Opus => samples * 3,
        }
    }

    /// RTP timestamp units covered by `payload`: one byte per unit for G.711 and G.722, the
    /// ToC's frame size times the frame count for Opus (RFC 6716 §3.1). 0 for a payload whose
    /// duration cannot be read (a malformed Opus packet).
    pub fn payload_duration(self, payload: &[u8]) -> u32 {
        match self {
            AudioCodec::Opus => opus::packet_units(payload).unwrap_or(0),
            _ => payload.len() as u32,
        }
    }

    /// True if the encoder keeps no state between frames (so an encode can be shared freely).
    pub fn is_stateless(self) -> bool {
        !matches!(self, AudioCodec::G722 | AudioCodec::Opus)
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
    /// Opus (stateful; with its own concealment and FEC).
    Opus(Box<opus::OpusDecoder>),
}

impl Decoder {
    /// A fresh decoder for `codec`.
    pub fn new(codec: AudioCodec) -> Self {
        match codec {
            AudioCodec::Pcmu => Decoder::Pcmu,
            AudioCodec::Pcma => Decoder::Pcma,
            AudioCodec::G722 => Decoder::G722(Box::default()),
            AudioCodec::Opus => Decoder::Opus(Box::default()),
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
            Decoder::Opus(d) => d.decode_slice(payload, out),
        }
    }

    /// Decodes one payload, appending PCM at the codec's sampling rate.
    pub fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) {
        match self {
            Decoder::Pcmu => g711::ulaw_decode_into(payload, out),
            Decoder::Pcma => g711::alaw_decode_into(payload, out),
            Decoder::G722(d) => d.decode(payload, out),
            Decoder::Opus(d) => d.decode(payload, out),
        }
    }

    /// Codec-specific concealment of lost audio into `out` (Opus's own PLC). False when the
    /// codec has none (G.711, G.722: the playout buffer repeats and fades instead).
    pub fn conceal(&mut self, out: &mut [i16]) -> bool {
        match self {
            Decoder::Opus(d) => d.conceal(out),
            _ => false,
        }
    }

    /// Rebuilds lost audio that ends where `next` begins from the redundancy `next` carries
    /// (Opus in-band FEC). False when the codec has none.
    pub fn recover(&mut self, next: &[u8], out: &mut [i16]) -> bool {
        match self {
            Decoder::Opus(d) => d.recover(next, out),
            _ => false,
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
    /// Opus (stateful).
    Opus(Box<opus::OpusEncoder>),
}

impl Encoder {
    /// A fresh encoder for `codec`.
    pub fn new(codec: AudioCodec) -> Self {
        match codec {
            AudioCodec::Pcmu => Encoder::Pcmu,
            AudioCodec::Pcma => Encoder::Pcma,
            AudioCodec::G722 => Encoder::G722(Box::default()),
            AudioCodec::Opus => Encoder::Opus(Box::default()),
        }
    }

    /// An Opus encoder following the peer's fmtp.
    pub fn opus(config: opus::OpusConfig) -> Self {
        Encoder::Opus(Box::new(opus::OpusEncoder::new(config)))
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
            Encoder::Opus(e) => e.encode(pcm, out),
        }
    }
}
