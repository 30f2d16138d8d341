//! SDP (RFC 8866, formerly RFC 4566) and the offer/answer model (RFC 3264).
//!
//! SDP is signalling, not the per-packet path, so the model is plain owned strings: simple to
//! build, compare and print. Attributes are kept raw (name and value, in the order received)
//! and decoded on demand by the typed accessors in [`attr`].
//!
//! # Parsing and printing
//!
//! ```
//! use roomgate::sdp::SessionDescription;
//! let offer = SessionDescription::parse(
//!     b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
//!       m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n",
//! ).unwrap();
//! assert_eq!(offer.media[0].port, 4000);
//! assert_eq!(offer.media[0].rtpmap("101").unwrap().encoding, "telephone-event");
//! // Printing always uses CRLF and the RFC 8866 §5 line order; it round-trips.
//! assert_eq!(SessionDescription::parse(offer.to_string().as_bytes()).unwrap(), offer);
//! ```
//!
//! [`SessionDescription::parse`] accepts CRLF or bare LF line ends. It is strict where the RFC
//! is: `v=0` first, `o=` and `s=` next, at least one `t=`, lines in the §5 order, no unknown
//! type letter (§5: such a description must be ignored as a whole). Every error names the line
//! number and its type letter ([`ParseError`]).
//!
//! # Offer/answer for a call leg
//!
//! One [`OfferAnswerState`] lives with each call leg: it holds the `o=` session id and version
//! (incremented on every change of our SDP, unchanged when nothing changed, RFC 3264 §8), the
//! m-line layout negotiated so far and the payload type numbers already bound.
//!
//! - Remote offer (INVITE, re-INVITE, UPDATE): [`answer`]`(&offer, &local, &mut state)` returns
//!   our answer and the [`NegotiatedMedia`] for the media plane, or an [`OfferAnswerError`]
//!   that the UAS maps to `488 Not Acceptable Here` with
//!   [`OfferAnswerError::warning`] as the Warning header (RFC 3261 §20.43: 304/305).
//! - INVITE without an offer, re-INVITE from us, dial-out: [`offer`]`(&local, &mut state)`
//!   returns our offer; the peer's answer (in the 200 or the ACK) goes through
//!   [`accept_answer`]`(&our_offer, &answer, &mut state)`, which returns the
//!   [`NegotiatedMedia`].
//!
//! ```
//! use roomgate::sdp::{
//!     answer, AudioCodec, HoldEvent, LocalMedia, OfferAnswerState, SessionDescription,
//! };
//! let offer = SessionDescription::parse(
//!     b"v=0\r\no=- 7 7 IN IP4 127.0.0.9\r\ns=-\r\nc=IN IP4 127.0.0.9\r\nt=0 0\r\n\
//!       m=audio 4000 RTP/AVP 9 0\r\na=sendonly\r\n",
//! ).unwrap();
//! let local = LocalMedia::new("127.0.0.1".parse().unwrap(), 20000, Some(20002));
//! let mut state = OfferAnswerState::new(42); // the session id: from the leg's RNG
//! match answer(&offer, &local, &mut state) {
//!     Ok((sdp, media)) => {
//!         // 200 OK body: sdp.to_bytes(); `media` goes to the media plane.
//!         assert_eq!(media.audio.codec.encoding, AudioCodec::G722);
//!         assert_eq!(media.hold_event, Some(HoldEvent::Hold)); // sendonly offer
//!         assert!(sdp.to_string().contains("a=recvonly\r\n"));
//!     }
//!     Err(e) => {
//!         // 488 Not Acceptable Here, Warning: <code> roomgate "<text>"
//!         let (_code, _text) = e.warning();
//!         unreachable!()
//!     }
//! }
//! ```
//!
//! [`LocalMedia`] is the input describing us: the address and RTP ports to advertise, the
//! audio codecs in preference order, the H.264 capability, our direction (sendonly to put the
//! peer on hold). [`NegotiatedMedia`] is protocol-neutral: per stream the chosen codec (an
//! [`AudioCodec`] or [`VideoCodec`] from [`crate::payload`], the types the media plane takes)
//! with its payload type and the peer's fmtp, the telephone-event payload type, the remote
//! RTP/RTCP addresses, the direction, ptime and any SDES crypto offered.
//!
//! What roomgate accepts: one audio stream (opus/48000/2, G722/8000, PCMU/8000, PCMA/8000 with
//! telephone-event, RFC 4733) and one H.264 video stream (RFC 6184 §8.2.2 matching). Every other
//! m-line room systems offer (BFCP, H.224 far-end camera control, a second `a=content:slides`
//! video, Cisco iX, SRTP-only RTP/SAVP lines until SDES lands) is declined with port 0 in its
//! place (RFC 3264 §6).

pub mod attr;
pub mod h264;
pub mod offer_answer;
mod parse;
mod print;

pub use attr::{Crypto, Direction, Fmtp, Group, Rtcp, RtcpFb, Rtpmap};
pub use h264::ProfileLevelId;
pub use offer_answer::{
    accept_answer, answer, offer, AudioCodec, Codec, DeclinedStream, H264Config, H264Params,
    HoldEvent, LocalMedia, NegotiatedMedia, NegotiatedStream, OfferAnswerError, OfferAnswerState,
    TelephoneEvent, VideoCodec,
};
pub use parse::{ParseError, ParseErrorKind};

use std::net::IpAddr;

/// A whole session description (RFC 8866 §5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=` (§5.2).
    pub origin: Origin,
    /// `s=` (§5.3).
    pub session_name: String,
    /// `i=` (§5.4).
    pub information: Option<String>,
    /// `u=` (§5.5).
    pub uri: Option<String>,
    /// `e=` (§5.6).
    pub emails: Vec<String>,
    /// `p=` (§5.6).
    pub phones: Vec<String>,
    /// Session-level `c=` (§5.7): the default for media without their own.
    pub connection: Option<Connection>,
    /// `b=` (§5.8).
    pub bandwidths: Vec<Bandwidth>,
    /// `t=` with their `r=` lines (§5.9, §5.10); at least one.
    pub times: Vec<Timing>,
    /// `z=` kept raw (§5.11).
    pub time_zones: Option<String>,
    /// `k=` kept raw (§5.12, obsolete).
    pub key: Option<String>,
    /// Session-level `a=` (§5.13), in order.
    pub attributes: Vec<Attribute>,
    /// `m=` sections (§5.14), in order.
    pub media: Vec<MediaDescription>,
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` (§5.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub username: String,
    pub session_id: u64,
    pub session_version: u64,
    pub nettype: String,
    pub addrtype: String,
    pub address: String,
}

/// `c=<nettype> <addrtype> <connection-address>` (§5.7). `ttl` is only for IP4 multicast;
/// `count` is the number of addresses (`/<n>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    pub nettype: String,
    pub addrtype: String,
    pub address: String,
    pub ttl: Option<u8>,
    pub count: Option<u32>,
}

impl Connection {
    /// `c=IN IP4 <ip>` or `c=IN IP6 <ip>` for a unicast address.
    pub fn for_ip(ip: IpAddr) -> Connection {
        Connection {
            nettype: "IN".into(),
            addrtype: if ip.is_ipv4() { "IP4" } else { "IP6" }.into(),
            address: ip.to_string(),
            ttl: None,
            count: None,
        }
    }

    /// The address as an IP, when it is a literal (it may also be a domain name).
    pub fn ip(&self) -> Option<IpAddr> {
        self.address.parse().ok()
    }

    /// `0.0.0.0`: the RFC 2543 way to put a call on hold (RFC 3264 §8.4).
    pub fn is_unspecified(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_unspecified())
    }
}

/// `b=<bwtype>:<bandwidth>` (§5.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bandwidth {
    pub kind: String,
    pub value: u64,
}

/// The bandwidth types roomgate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BandwidthType {
    /// Conference total, kb/s (§5.8).
    Ct,
    /// Application specific: the media's maximum, kb/s (§5.8).
    As,
    /// Transport independent, b/s (RFC 3890).
    Tias,
    /// RTCP bandwidth for senders / receivers, b/s (RFC 3556).
    Rs,
    Rr,
    Other,
}

impl Bandwidth {
    pub fn kind(&self) -> BandwidthType {
        match self.kind.as_str() {
            "CT" => BandwidthType::Ct,
            "AS" => BandwidthType::As,
            "TIAS" => BandwidthType::Tias,
            "RS" => BandwidthType::Rs,
            "RR" => BandwidthType::Rr,
            _ => BandwidthType::Other,
        }
    }
}

/// `t=<start> <stop>` and its `r=` lines kept raw (§5.9, §5.10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timing {
    pub start: u64,
    pub stop: u64,
    pub repeats: Vec<String>,
}

/// `a=<name>[:<value>]` (§5.13), kept raw; see [`attr`] for the typed views.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub value: Option<String>,
}

impl Attribute {
    /// A property attribute (`a=rtcp-mux`).
    pub fn flag(name: &str) -> Attribute {
        Attribute {
            name: name.into(),
            value: None,
        }
    }

    /// A value attribute (`a=ptime:20`).
    pub fn value(name: &str, value: impl Into<String>) -> Attribute {
        Attribute {
            name: name.into(),
            value: Some(value.into()),
        }
    }
}

/// The transport protocols of `m=` lines that roomgate distinguishes (§5.14, RFC 3551,
/// RFC 4585, RFC 3711, RFC 8856).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    RtpAvp,
    RtpAvpf,
    RtpSavp,
    RtpSavpf,
    UdpBfcp,
    TcpBfcp,
    TcpTlsBfcp,
    Other,
}

impl Proto {
    pub fn from_name(s: &str) -> Proto {
        match s {
            "RTP/AVP" => Proto::RtpAvp,
            "RTP/AVPF" => Proto::RtpAvpf,
            "RTP/SAVP" => Proto::RtpSavp,
            "RTP/SAVPF" => Proto::RtpSavpf,
            "UDP/BFCP" => Proto::UdpBfcp,
            "TCP/BFCP" => Proto::TcpBfcp,
            "TCP/TLS/BFCP" => Proto::TcpTlsBfcp,
            _ => Proto::Other,
        }
    }

    /// Plain or feedback RTP profile, without SRTP.
    pub fn is_plain_rtp(self) -> bool {
        matches!(self, Proto::RtpAvp | Proto::RtpAvpf)
    }

    pub fn is_rtp(self) -> bool {
        matches!(
            self,
            Proto::RtpAvp | Proto::RtpAvpf | Proto::RtpSavp | Proto::RtpSavpf
        )
    }
}

/// One `m=` section (§5.14) with its own `i=`, `c=`, `b=`, `k=` and `a=` lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaDescription {
    /// `audio`, `video`, `application`, `text`, `message`, `image`…
    pub media: String,
    pub port: u16,
    /// The `/<number of ports>` suffix.
    pub port_count: Option<u16>,
    /// `RTP/AVP`, `UDP/BFCP`, `UDP/UDT/IX`…; see [`MediaDescription::proto_kind`].
    pub proto: String,
    /// Payload type numbers for RTP, otherwise whatever the protocol puts there (`*`).
    pub formats: Vec<String>,
    pub information: Option<String>,
    pub connections: Vec<Connection>,
    pub bandwidths: Vec<Bandwidth>,
    pub key: Option<String>,
    pub attributes: Vec<Attribute>,
}

impl MediaDescription {
    pub fn proto_kind(&self) -> Proto {
        Proto::from_name(&self.proto)
    }

    /// The connection for this media: its own first `c=` or the session's.
    pub fn connection<'a>(&'a self, session: &'a SessionDescription) -> Option<&'a Connection> {
        self.connections.first().or(session.connection.as_ref())
    }
}

/// Attribute lookups shared by the session level and each media section.
pub trait Attributes {
    fn attributes(&self) -> &[Attribute];

    /// The first attribute with this name: `Some(None)` for a property (`a=rtcp-mux`),
    /// `Some(Some(value))` for a value attribute, `None` when absent.
    fn attribute(&self, name: &str) -> Option<Option<&str>> {
        self.attributes()
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_deref())
    }

    fn has_attribute(&self, name: &str) -> bool {
        self.attributes().iter().any(|a| a.name == name)
    }

    /// Values of every attribute with this name, in order.
    fn attribute_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.attributes()
            .iter()
            .filter(move |a| a.name == name)
            .filter_map(|a| a.value.as_deref())
    }

    /// The direction attribute present at this level, if any (RFC 8866 §6.7).
    fn direction_attribute(&self) -> Option<Direction> {
        self.attributes()
            .iter()
            .find_map(|a| Direction::from_name(&a.name))
    }
}

impl Attributes for SessionDescription {
    fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }
}

impl Attributes for MediaDescription {
    fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }
}

impl SessionDescription {
    /// Parses one session description; CRLF or LF line ends.
    pub fn parse(input: &[u8]) -> Result<SessionDescription, ParseError> {
        parse::parse(input)
    }

    /// Prints with CRLF line ends.
    pub fn to_bytes(&self) -> bytes::Bytes {
        bytes::Bytes::from(self.to_string())
    }

    /// `a=group` lines (RFC 5888).
    pub fn groups(&self) -> impl Iterator<Item = Group> + '_ {
        self.attribute_values("group").filter_map(Group::parse)
    }
}

impl MediaDescription {
    /// `a=rtpmap` for a payload type (RFC 8866 §6.6).
    pub fn rtpmap(&self, pt: &str) -> Option<Rtpmap> {
        self.rtpmaps().find(|r| r.payload_type == pt)
    }

    /// Every well-formed `a=rtpmap`; malformed ones are skipped (the format is then unknown).
    pub fn rtpmaps(&self) -> impl Iterator<Item = Rtpmap> + '_ {
        self.attribute_values("rtpmap").filter_map(Rtpmap::parse)
    }

    /// The rtpmap of a format, falling back to the RFC 3551 static payload types.
    pub fn rtpmap_or_static(&self, pt: &str) -> Option<Rtpmap> {
        self.rtpmap(pt).or_else(|| Rtpmap::static_payload(pt))
    }

    /// `a=fmtp` for a format (RFC 8866 §6.15).
    pub fn fmtp(&self, pt: &str) -> Option<Fmtp> {
        self.attribute_values("fmtp")
            .filter_map(Fmtp::parse)
            .find(|f| f.format == pt)
    }

    /// `a=ptime` in milliseconds (§6.4); a fractional value is rounded down.
    pub fn ptime(&self) -> Option<u32> {
        self.attribute("ptime").flatten().and_then(attr::parse_ms)
    }

    /// `a=maxptime` in milliseconds (§6.5).
    pub fn maxptime(&self) -> Option<u32> {
        self.attribute("maxptime")
            .flatten()
            .and_then(attr::parse_ms)
    }

    /// The media's direction: its own attribute, else the session's, else sendrecv (§6.7).
    pub fn direction(&self, session: &SessionDescription) -> Direction {
        self.direction_attribute()
            .or_else(|| session.direction_attribute())
            .unwrap_or(Direction::SendRecv)
    }

    /// `a=rtcp` (RFC 3605).
    pub fn rtcp(&self) -> Option<Rtcp> {
        self.attribute("rtcp").flatten().and_then(Rtcp::parse)
    }

    /// `a=rtcp-mux` (RFC 5761 §5.1.1).
    pub fn rtcp_mux(&self) -> bool {
        self.has_attribute("rtcp-mux")
    }

    /// `a=rtcp-fb` lines (RFC 4585 §4.2).
    pub fn rtcp_fb(&self) -> impl Iterator<Item = RtcpFb> + '_ {
        self.attribute_values("rtcp-fb").filter_map(RtcpFb::parse)
    }

    /// `a=crypto` lines (RFC 4568 §9.1).
    pub fn crypto(&self) -> impl Iterator<Item = Crypto> + '_ {
        self.attribute_values("crypto").filter_map(Crypto::parse)
    }

    /// `a=content` values (RFC 4796), e.g. `["slides"]`.
    pub fn content(&self) -> Vec<&str> {
        self.attribute_values("content")
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// `a=label` (RFC 4574).
    pub fn label(&self) -> Option<&str> {
        self.attribute("label").flatten()
    }

    /// `a=mid` (RFC 5888).
    pub fn mid(&self) -> Option<&str> {
        self.attribute("mid").flatten()
    }
}
