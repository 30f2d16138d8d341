//! The offer/answer model (RFC 3264) for one call leg, roomgate as answerer or offerer.
//!
//! roomgate keeps one audio stream and at most one H.264 video stream per call leg; every
//! other m-line is declined in place with port 0 (RFC 3264 §6), so the answer always has the
//! offer's m-lines, in the offer's order. The result for the media plane is a
//! [`NegotiatedMedia`], which knows nothing of SDP.
//!
//! One file per role: `answer.rs` ([`answer()`]: a remote offer in, our answer out), `offer.rs`
//! ([`offer()`]) and `accept_answer.rs` ([`accept_answer()`]: the peer's answer to our offer);
//! the negotiated types in `negotiated.rs`, the helpers all three share in `common.rs`. Here:
//! what describes us ([`LocalMedia`]), the errors, and the memory one call leg keeps across
//! exchanges ([`OfferAnswerState`]).

mod accept_answer;
mod answer;
mod common;
mod negotiated;
mod offer;

pub use accept_answer::accept_answer;
pub use answer::answer;
pub use negotiated::{
    Codec, DeclinedStream, H264Params, HoldEvent, NegotiatedMedia, NegotiatedStream, TelephoneEvent,
};
pub use offer::offer;

pub use crate::payload::{AudioCodec, VideoCodec};

use super::attr::{Direction, Rtpmap};
use super::h264::ProfileLevelId;
use super::{MediaDescription, SessionDescription};
use std::net::IpAddr;

/// The SDP side of an [`AudioCodec`] (its identity is in [`crate::payload`]): how a peer's
/// `a=rtpmap` is recognised, and what we write for it in ours.
impl AudioCodec {
    /// The payload type we offer it with: its static one (RFC 3551 §6), else 111 for Opus
    /// (a dynamic one, 96–127 per RFC 3551 §3).
    fn preferred_pt(self) -> u8 {
        self.static_payload_type().unwrap_or(111)
    }

    /// Matched by name (case-insensitive, RFC 8866 §6.6 and RFC 4855 §3), clock rate and
    /// channels, never by payload type number.
    pub fn matches(self, r: &Rtpmap) -> bool {
        r.encoding.eq_ignore_ascii_case(self.encoding())
            && r.clock_rate == self.clock_rate()
            && r.channels() == Some(self.channels())
    }

    fn rtpmap(self, pt: u8) -> Rtpmap {
        Rtpmap {
            payload_type: pt.to_string(),
            encoding: self.encoding().into(),
            clock_rate: self.clock_rate(),
            // RFC 8866 §6.6: the channel count, omitted when it is one.
            params: (self.channels() > 1).then(|| self.channels().to_string()),
        }
    }

    /// Our receive preferences for the codec (RFC 7587 §6.1 for opus).
    fn fmtp(self) -> Option<&'static str> {
        match self {
            AudioCodec::Opus => Some("minptime=10;useinbandfec=1"),
            _ => None,
        }
    }
}

/// What H.264 we forward (RFC 6184). roomgate does not transcode video, so any profile the
/// room's endpoints decode is fine; the media plane decides who can see whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct H264Config {
    /// profile_idc values accepted, in preference order (0x42 Baseline/Constrained Baseline,
    /// 0x4d Main, 0x64 High).
    pub profiles: Vec<u8>,
    /// The highest level we forward (level_idc, e.g. 0x28 for 4.0).
    pub max_level_idc: u8,
    /// Packetization modes accepted, in preference order (RFC 6184 §6.2).
    pub packetization_modes: Vec<u8>,
    /// What we put in our own offers.
    pub offer_profile_level_id: ProfileLevelId,
}

impl Default for H264Config {
    fn default() -> Self {
        H264Config {
            // Constrained Baseline first: every room system and softphone decodes it, so
            // forwarding one participant's video to the others just works.
            profiles: vec![0x42, 0x4d, 0x64],
            max_level_idc: 0x28,
            packetization_modes: vec![1, 0],
            offer_profile_level_id: ProfileLevelId {
                profile_idc: 0x42,
                profile_iop: 0xe0,
                level_idc: 0x28,
            },
        }
    }
}

/// RTCP feedback we honour on video (RFC 4585 §4.2, RFC 5104 §7.1).
const VIDEO_FEEDBACK: [(&str, Option<&str>); 3] =
    [("nack", None), ("nack", Some("pli")), ("ccm", Some("fir"))];

/// Us: what goes into every SDP we produce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalMedia {
    /// Address advertised in `o=` and `c=` (IPv4 or IPv6).
    pub address: IpAddr,
    /// Our RTP port for audio; RTCP is on the next port unless rtcp-mux is agreed.
    pub audio_port: u16,
    /// Our RTP port for video; `None` declines video.
    pub video_port: Option<u16>,
    /// Audio codecs in preference order.
    pub audio_codecs: Vec<AudioCodec>,
    /// H.264 capability; `None` declines video.
    pub h264: Option<H264Config>,
    /// Our direction: `SendOnly` puts the peer on hold (RFC 3264 §8.4), `SendRecv` resumes.
    pub direction: Direction,
    /// The packetization time we want to receive (`a=ptime`).
    pub ptime: u32,
    /// Whether the media plane demultiplexes RTP and RTCP on one port (RFC 5761).
    pub rtcp_mux: bool,
    /// `b=AS` for video, kb/s.
    pub video_bandwidth_kbps: Option<u64>,
    /// `o=` username and `s=`.
    pub username: String,
    pub session_name: String,
}

impl LocalMedia {
    /// Every codec, H.264 when a video port is given, sendrecv, 20 ms, no rtcp-mux.
    pub fn new(address: IpAddr, audio_port: u16, video_port: Option<u16>) -> LocalMedia {
        LocalMedia {
            address,
            audio_port,
            video_port,
            audio_codecs: AudioCodec::ALL.to_vec(),
            h264: video_port.map(|_| H264Config::default()),
            direction: Direction::SendRecv,
            ptime: 20,
            rtcp_mux: false,
            video_bandwidth_kbps: Some(2048),
            username: "roomgate".into(),
            session_name: "roomgate".into(),
        }
    }

    fn video(&self) -> Option<(u16, &H264Config)> {
        Some((self.video_port?, self.h264.as_ref()?))
    }
}

/// Why an offer or answer cannot be used. The UAS answers `488 Not Acceptable Here` with
/// [`OfferAnswerError::warning`] (RFC 3261 §21.4.26, §20.43).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OfferAnswerError {
    #[error("no audio stream offered")]
    NoAudio,
    #[error("no audio codec in common (we support opus, G722, PCMU, PCMA)")]
    NoCommonAudioCodec,
    #[error("m-line {0} has no c= line and the session has none (RFC 8866 §5.7)")]
    MissingConnection(usize),
    #[error("the answer has {answer} m-lines for the offer's {offer} (RFC 3264 §6)")]
    MediaCountMismatch { offer: usize, answer: usize },
    #[error("answer m-line {0} is not of the offered media type (RFC 3264 §6)")]
    MediaTypeMismatch(usize),
}

impl OfferAnswerError {
    /// The SIP status for the UAS: always 488 (RFC 3261 §21.4.26).
    pub fn status_code(&self) -> u16 {
        488
    }

    /// Warning code and text (RFC 3261 §20.43).
    pub fn warning(&self) -> (u16, &'static str) {
        match self {
            OfferAnswerError::NoAudio => (304, "Media type not available"),
            OfferAnswerError::NoCommonAudioCodec => (305, "Incompatible media format"),
            _ => (399, "Malformed session description"),
        }
    }

    /// The whole Warning header value: `305 roomgate "Incompatible media format"`
    /// (RFC 3261 §20.43: code, agent, quoted text).
    pub fn warning_value(&self, agent: &str) -> String {
        let (code, text) = self.warning();
        format!("{code} {agent} \"{text}\"")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Audio,
    Video,
    Declined,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Slot {
    media: String,
    proto: String,
    formats: Vec<String>,
    role: Role,
}

/// Per-call-leg offer/answer memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfferAnswerState {
    session_id: u64,
    version: u64,
    last_local: Option<SessionDescription>,
    /// The m-lines of the session so far: a later offer keeps them all, in order (§8).
    layout: Vec<Slot>,
    /// Payload type → codec key bound so far, per role: a number never changes meaning
    /// within a session (RFC 3264 §8.3.2).
    audio_pts: Vec<(u8, String)>,
    video_pts: Vec<(u8, String)>,
    remote_hold: bool,
}

impl OfferAnswerState {
    /// `session_id` comes from the leg's injected RNG (RFC 8866 §5.2: unique per session);
    /// the first version is 1.
    pub fn new(session_id: u64) -> OfferAnswerState {
        OfferAnswerState {
            session_id,
            version: 1,
            last_local: None,
            layout: Vec::new(),
            audio_pts: Vec::new(),
            video_pts: Vec::new(),
            remote_hold: false,
        }
    }

    /// The `o=` version of the last SDP we produced.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The last SDP we produced (offer or answer), e.g. to send again unchanged.
    pub fn last_local(&self) -> Option<&SessionDescription> {
        self.last_local.as_ref()
    }

    /// Whether the peer holds us (last exchange).
    pub fn remote_hold(&self) -> bool {
        self.remote_hold
    }

    /// Sets `o=`: the version goes up by one when our SDP differs from the last one we sent,
    /// and stays when it is the same (RFC 3264 §8, RFC 8866 §5.2).
    fn stamp(&mut self, sd: &mut SessionDescription) {
        sd.origin.session_id = self.session_id;
        if let Some(last) = &self.last_local {
            sd.origin.session_version = last.origin.session_version;
            if last != sd {
                self.version += 1;
            }
        }
        sd.origin.session_version = self.version;
        self.last_local = Some(sd.clone());
    }

    fn bindings(&mut self, role: Role) -> &mut Vec<(u8, String)> {
        match role {
            Role::Video => &mut self.video_pts,
            _ => &mut self.audio_pts,
        }
    }

    /// Remembers every payload type an SDP of this session bound on a stream.
    fn bind_all(&mut self, role: Role, m: &MediaDescription) {
        for f in &m.formats {
            let (Ok(pt), Some(key)) = (f.parse::<u8>(), codec_key(m, f)) else {
                continue;
            };
            let b = self.bindings(role);
            if !b.iter().any(|(p, _)| *p == pt) {
                b.push((pt, key));
            }
        }
    }

    /// The payload type to offer for a codec: the one already bound to it, else `preferred`
    /// if free, else a free dynamic one (RFC 3551 §3: 96–127).
    fn pick_pt(&self, role: Role, key: &str, preferred: u8, used: &[u8]) -> u8 {
        let b = match role {
            Role::Video => &self.video_pts,
            _ => &self.audio_pts,
        };
        if let Some((pt, _)) = b.iter().find(|(pt, k)| k == key && !used.contains(pt)) {
            return *pt;
        }
        let free = |pt: u8| !used.contains(&pt) && !b.iter().any(|(p, _)| *p == pt);
        if free(preferred) {
            return preferred;
        }
        (96..=127).find(|pt| free(*pt)).unwrap_or(preferred)
    }
}

/// A key naming a format regardless of its payload type number.
fn codec_key(m: &MediaDescription, pt: &str) -> Option<String> {
    let r = m.rtpmap_or_static(pt)?;
    let mut key = format!(
        "{}/{}/{}",
        r.encoding.to_ascii_lowercase(),
        r.clock_rate,
        r.params.as_deref().unwrap_or("1")
    );
    if r.encoding.eq_ignore_ascii_case("H264") {
        let mode = m
            .fmtp(pt)
            .and_then(|f| f.get("packetization-mode").map(str::to_owned))
            .unwrap_or_else(|| "0".into());
        key.push_str(";pm=");
        key.push_str(&mode);
    }
    Some(key)
}
