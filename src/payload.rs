//! RTP payload formats: the vocabulary that signalling (SDP today, H.323 and WebRTC later),
//! the call layer and the media plane share, so a negotiated codec crosses from one to the next
//! as a type and is never written out as a name to be parsed back.
//!
//! A leaf: it imports nothing else from the crate, and every layer may import it. A type here
//! carries its identity only — what RTP and SDP name it by. Facts that one layer alone needs
//! live with that layer, as more methods on the same type: the SDP side (matching a peer's
//! `a=rtpmap`, the parameters and `a=fmtp` we write) in [`crate::sdp`], the media side (the PCM
//! rate it decodes to, RTP time to samples, a payload's duration) in [`crate::media::codec`].

use std::fmt;

/// An audio codec roomgate negotiates, decodes, mixes and encodes.
///
/// Its identity is how RTP and SDP name it (RFC 3551 §6, RFC 8866 §6.6): the encoding name,
/// the RTP clock rate, the channel count as signalled and, where it has one, the static
/// payload type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    /// Opus (RFC 7587): opus/48000/2, a dynamic payload type.
    Opus,
    /// G.722: 16 kHz audio on an 8000 Hz RTP clock (RFC 3551 §4.5.2), static payload type 9.
    G722,
    /// G.711 µ-law, static payload type 0.
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
}

impl AudioCodec {
    /// Every codec, in roomgate's preference order: wideband first.
    pub const ALL: [AudioCodec; 4] = [
        AudioCodec::Opus,
        AudioCodec::G722,
        AudioCodec::Pcmu,
        AudioCodec::Pcma,
    ];

    /// The encoding name as the RTP profile spells it; peers' spellings are compared without
    /// case (RFC 4855 §3).
    pub const fn encoding(self) -> &'static str {
        match self {
            AudioCodec::Opus => "opus",
            AudioCodec::G722 => "G722",
            AudioCodec::Pcmu => "PCMU",
            AudioCodec::Pcma => "PCMA",
        }
    }

    /// The RTP clock rate, which is not the sampling rate: 8000 for G.722 although it samples
    /// at 16 kHz (RFC 3551 §4.5.2), 48000 for Opus whatever it encodes (RFC 7587 §4.1).
    pub const fn clock_rate(self) -> u32 {
        match self {
            AudioCodec::Opus => 48000,
            AudioCodec::G722 | AudioCodec::Pcmu | AudioCodec::Pcma => 8000,
        }
    }

    /// Channels as signalled: Opus is always declared with 2 (RFC 7587 §7), whatever a
    /// sender actually sends.
    pub const fn channels(self) -> u16 {
        match self {
            AudioCodec::Opus => 2,
            AudioCodec::G722 | AudioCodec::Pcmu | AudioCodec::Pcma => 1,
        }
    }

    /// The static payload type of RFC 3551 §6; `None` for a codec that only has dynamic ones.
    pub const fn static_payload_type(self) -> Option<u8> {
        match self {
            AudioCodec::Opus => None,
            AudioCodec::G722 => Some(9),
            AudioCodec::Pcmu => Some(0),
            AudioCodec::Pcma => Some(8),
        }
    }
}

impl fmt::Display for AudioCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.encoding())
    }
}

/// A video codec roomgate forwards. It does not transcode video, so this is what the endpoints
/// of a room must share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VideoCodec {
    /// H.264 (RFC 6184): H264/90000, a dynamic payload type.
    H264,
}

impl VideoCodec {
    /// The encoding name as the RTP profile spells it.
    pub const fn encoding(self) -> &'static str {
        match self {
            VideoCodec::H264 => "H264",
        }
    }

    /// The RTP clock rate: 90000 for video (RFC 6184 §8.2.1).
    pub const fn clock_rate(self) -> u32 {
        match self {
            VideoCodec::H264 => 90000,
        }
    }
}

impl fmt::Display for VideoCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.encoding())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_payload_types_are_the_rfc_3551_ones() {
        let statics: Vec<(&str, u32, Option<u8>)> = AudioCodec::ALL
            .iter()
            .map(|c| (c.encoding(), c.clock_rate(), c.static_payload_type()))
            .collect();
        assert_eq!(
            statics,
            [
                ("opus", 48000, None),
                ("G722", 8000, Some(9)),
                ("PCMU", 8000, Some(0)),
                ("PCMA", 8000, Some(8)),
            ]
        );
        assert_eq!(AudioCodec::Opus.channels(), 2);
        assert_eq!(AudioCodec::G722.to_string(), "G722");
    }
}
