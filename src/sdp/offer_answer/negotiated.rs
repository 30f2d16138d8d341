//! What an offer/answer exchange agreed, per stream: protocol-neutral, for the media plane.

use super::{AudioCodec, VideoCodec};
use crate::sdp::attr::{Crypto, Direction, RtcpFb};
use crate::sdp::h264::ProfileLevelId;
use std::net::SocketAddr;

/// The codec chosen for a stream — `E` is [`AudioCodec`] on audio, [`VideoCodec`] on video —
/// with the payload type and parameters this session uses for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Codec<E> {
    /// Which codec: its name, RTP clock rate and channels.
    pub encoding: E,
    /// The peer's payload type number, used in both directions (RFC 3264 §6.1).
    pub payload_type: u8,
    /// The peer's `a=fmtp` parameters for it: its receive preferences (e.g. opus
    /// `maxaveragebitrate`, `stereo`).
    pub fmtp: Option<String>,
}

/// RFC 4733 telephone-event agreed on the audio stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TelephoneEvent {
    pub payload_type: u8,
    /// Equals the codec's clock rate whenever the peer offered that rate (RFC 4733 §2.1).
    pub clock_rate: u32,
}

/// The H.264 parameters agreed (RFC 6184 §8.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct H264Params {
    /// The profile offered and the level agreed (≤ offered, ≤ our maximum).
    pub profile_level_id: ProfileLevelId,
    pub packetization_mode: u8,
}

/// One negotiated RTP stream, as the media plane needs it; `E` is the kind of codec it
/// carries ([`AudioCodec`] or [`VideoCodec`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NegotiatedStream<E> {
    /// Position of its m-line.
    pub media_index: usize,
    pub mid: Option<String>,
    pub codec: Codec<E>,
    /// Video only.
    pub h264: Option<H264Params>,
    /// Audio only.
    pub telephone_event: Option<TelephoneEvent>,
    /// Our RTP port for it.
    pub local_port: u16,
    /// Where to send RTP; `None` when the peer gave no usable address (0.0.0.0 hold, a
    /// domain name) or port 0.
    pub remote_rtp: Option<SocketAddr>,
    /// Where to send RTCP: `a=rtcp` (RFC 3605), else the RTP port + 1 (RFC 3550 §11), or the
    /// RTP address when rtcp-mux is agreed.
    pub remote_rtcp: Option<SocketAddr>,
    pub rtcp_mux: bool,
    /// What we do: send, receive, both or neither.
    pub direction: Direction,
    /// The peer's `a=ptime` and `a=maxptime`: how we should packetize what we send.
    pub remote_ptime: Option<u32>,
    pub remote_maxptime: Option<u32>,
    /// The peer's `b=AS` (or `b=TIAS`/1000) for this stream, kb/s.
    pub remote_bandwidth_kbps: Option<u64>,
    /// RTCP feedback agreed (video).
    pub rtcp_fb: Vec<RtcpFb>,
    /// SDES crypto the peer offered (RFC 4568), kept for when SRTP lands; not answered.
    pub crypto: Vec<Crypto>,
}

/// An m-line declined (port 0) and why, for the operators' view of the leg.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclinedStream {
    pub media_index: usize,
    pub media: String,
    pub proto: String,
    pub reason: &'static str,
}

/// The peer put us on hold or took us off it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldEvent {
    Hold,
    Resume,
}

/// The protocol-neutral result of an offer/answer exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NegotiatedMedia {
    pub audio: NegotiatedStream<AudioCodec>,
    pub video: Option<NegotiatedStream<VideoCodec>>,
    pub declined: Vec<DeclinedStream>,
    /// The peer does not want to receive audio (sendonly, inactive or `c=0.0.0.0`).
    pub remote_hold: bool,
    /// Set when `remote_hold` changed with this exchange.
    pub hold_event: Option<HoldEvent>,
}
