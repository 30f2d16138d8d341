//! The offer/answer model (RFC 3264) for one call leg, roomgate as answerer or offerer.
//!
//! roomgate keeps one audio stream and at most one H.264 video stream per call leg; every
//! other m-line is declined in place with port 0 (RFC 3264 §6), so the answer always has the
//! offer's m-lines, in the offer's order. The result for the media plane is a
//! [`NegotiatedMedia`], which knows nothing of SDP.

use super::attr::{Crypto, Direction, RtcpFb, Rtpmap};
use super::h264::ProfileLevelId;
use super::{
    Attribute, Bandwidth, BandwidthType, Connection, MediaDescription, Origin, Proto,
    SessionDescription, Timing,
};
use std::net::{IpAddr, SocketAddr};

/// The audio codecs roomgate can decode and encode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    /// opus/48000/2 (RFC 7587 §7: always declared as 2 channels).
    Opus,
    /// G.722: 16 kHz audio on an 8000 Hz RTP clock (RFC 3551 §4.5.2).
    G722,
    /// G.711 µ-law.
    Pcmu,
    /// G.711 A-law.
    Pcma,
}

impl AudioCodec {
    /// roomgate's preference order.
    pub const ALL: [AudioCodec; 4] = [
        AudioCodec::Opus,
        AudioCodec::G722,
        AudioCodec::Pcmu,
        AudioCodec::Pcma,
    ];

    pub fn encoding(self) -> &'static str {
        match self {
            AudioCodec::Opus => "opus",
            AudioCodec::G722 => "G722",
            AudioCodec::Pcmu => "PCMU",
            AudioCodec::Pcma => "PCMA",
        }
    }

    /// The RTP clock rate (not the sampling rate: G.722 samples at 16 kHz).
    pub fn clock_rate(self) -> u32 {
        match self {
            AudioCodec::Opus => 48000,
            _ => 8000,
        }
    }

    pub fn channels(self) -> u16 {
        match self {
            AudioCodec::Opus => 2,
            _ => 1,
        }
    }

    /// The payload type we offer: the RFC 3551 static one, or a dynamic one for opus.
    fn preferred_pt(self) -> u8 {
        match self {
            AudioCodec::Opus => 111,
            AudioCodec::G722 => 9,
            AudioCodec::Pcmu => 0,
            AudioCodec::Pcma => 8,
        }
    }

    fn is_static(self) -> bool {
        !matches!(self, AudioCodec::Opus)
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
            params: (self == AudioCodec::Opus).then(|| "2".into()),
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

/// The codec chosen for a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Codec {
    /// Encoding name as the peer wrote it (`opus`, `PCMU`, `H264`).
    pub name: String,
    /// The peer's payload type number, used in both directions (RFC 3264 §6.1).
    pub payload_type: u8,
    pub clock_rate: u32,
    pub channels: u16,
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

/// One negotiated RTP stream, as the media plane needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NegotiatedStream {
    /// Position of its m-line.
    pub media_index: usize,
    pub mid: Option<String>,
    pub codec: Codec,
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
    pub audio: NegotiatedStream,
    pub video: Option<NegotiatedStream>,
    pub declined: Vec<DeclinedStream>,
    /// The peer does not want to receive audio (sendonly, inactive or `c=0.0.0.0`).
    pub remote_hold: bool,
    /// Set when `remote_hold` changed with this exchange.
    pub hold_event: Option<HoldEvent>,
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

fn base_session(local: &LocalMedia) -> SessionDescription {
    let c = Connection::for_ip(local.address);
    SessionDescription {
        origin: Origin {
            username: local.username.clone(),
            session_id: 0,
            session_version: 0,
            nettype: c.nettype.clone(),
            addrtype: c.addrtype.clone(),
            address: c.address.clone(),
        },
        session_name: local.session_name.clone(),
        information: None,
        uri: None,
        emails: Vec::new(),
        phones: Vec::new(),
        connection: Some(c),
        bandwidths: Vec::new(),
        times: vec![Timing {
            start: 0,
            stop: 0,
            repeats: Vec::new(),
        }],
        time_zones: None,
        key: None,
        attributes: Vec::new(),
        media: Vec::new(),
    }
}

fn declined_line(m: &MediaDescription) -> MediaDescription {
    MediaDescription {
        media: m.media.clone(),
        port: 0,
        port_count: None,
        proto: m.proto.clone(),
        formats: m.formats.clone(),
        information: None,
        connections: Vec::new(),
        bandwidths: Vec::new(),
        key: None,
        attributes: Vec::new(),
    }
}

fn media_line(media: &str, port: u16, proto: &str) -> MediaDescription {
    MediaDescription {
        media: media.into(),
        port,
        port_count: None,
        proto: proto.into(),
        formats: Vec::new(),
        information: None,
        connections: Vec::new(),
        bandwidths: Vec::new(),
        key: None,
        attributes: Vec::new(),
    }
}

/// Why roomgate declines an m-line it cannot use.
fn decline_reason(m: &MediaDescription) -> &'static str {
    let h224 = m.rtpmaps().any(|r| r.encoding.eq_ignore_ascii_case("H224"));
    if m.port == 0 {
        "disabled by the offerer (port 0)"
    } else if matches!(
        m.proto_kind(),
        Proto::UdpBfcp | Proto::TcpBfcp | Proto::TcpTlsBfcp
    ) {
        "BFCP floor control (content sharing) is not supported"
    } else if h224 {
        "H.224 far-end camera control is not supported"
    } else if m.proto.eq_ignore_ascii_case("UDP/UDT/IX") {
        "Cisco iX is not supported"
    } else if matches!(m.proto_kind(), Proto::RtpSavp | Proto::RtpSavpf) {
        "SRTP (RTP/SAVP) is not supported yet"
    } else if m.media == "video" && !is_main_video(m) {
        "only the main video is supported (content sharing declined)"
    } else if m.media == "video" {
        "no H.264 format we can forward"
    } else if m.media == "audio" {
        "only one audio stream is supported"
    } else {
        "unsupported media"
    }
}

/// RFC 4796: no `a=content`, or `main`/`speaker`, is the people video; `slides`, `alt`,
/// `sl` are a second stream.
fn is_main_video(m: &MediaDescription) -> bool {
    let content = m.content();
    content.is_empty() || content.iter().any(|c| *c == "main" || *c == "speaker")
}

fn remote_bandwidth_kbps(m: &MediaDescription) -> Option<u64> {
    m.bandwidths
        .iter()
        .find(|b| b.kind() == BandwidthType::As)
        .map(|b| b.value)
        .or_else(|| {
            m.bandwidths
                .iter()
                .find(|b| b.kind() == BandwidthType::Tias)
                .map(|b| b.value / 1000)
        })
}

/// The peer's addresses for a stream and what it wants, read from its offer or answer.
struct Remote {
    rtp: Option<SocketAddr>,
    rtcp: Option<SocketAddr>,
    /// The peer's direction, with `c=0.0.0.0` read as "does not receive" (RFC 3264 §8.4).
    direction: Direction,
}

fn remote_of(
    sd: &SessionDescription,
    m: &MediaDescription,
    index: usize,
    rtcp_mux: bool,
) -> Result<Remote, OfferAnswerError> {
    let conn = m
        .connection(sd)
        .ok_or(OfferAnswerError::MissingConnection(index))?;
    let mut direction = m.direction(sd);
    let ip = conn.ip().filter(|ip| !ip.is_unspecified());
    if conn.is_unspecified() {
        direction = direction.intersect(Direction::SendOnly);
    }
    let rtp = ip
        .filter(|_| m.port != 0)
        .map(|ip| SocketAddr::new(ip, m.port));
    let rtcp = if rtcp_mux {
        rtp
    } else {
        match m.rtcp() {
            Some(r) => r
                .address
                .as_deref()
                .and_then(|a| a.parse::<IpAddr>().ok())
                .or(ip)
                .filter(|ip| !ip.is_unspecified())
                .map(|ip| SocketAddr::new(ip, r.port)),
            None => rtp.and_then(|a| Some(SocketAddr::new(a.ip(), a.port().checked_add(1)?))),
        }
    };
    Ok(Remote {
        rtp,
        rtcp,
        direction,
    })
}

fn audio_match(m: &MediaDescription, codecs: &[AudioCodec]) -> Option<(AudioCodec, Rtpmap)> {
    codecs.iter().find_map(|c| {
        m.formats
            .iter()
            .filter_map(|pt| m.rtpmap_or_static(pt))
            .find(|r| c.matches(r))
            .map(|r| (*c, r))
    })
}

/// telephone-event at the codec's clock rate, else the first offered (RFC 4733 §2.1 asks
/// for the same rate; many phones offer only 8000 next to opus, and DTMF still matters).
fn telephone_event_match(m: &MediaDescription, clock_rate: u32) -> Option<Rtpmap> {
    let events: Vec<Rtpmap> = m
        .formats
        .iter()
        .filter_map(|pt| m.rtpmap(pt))
        .filter(|r| r.encoding.eq_ignore_ascii_case("telephone-event"))
        .collect();
    events
        .iter()
        .find(|r| r.clock_rate == clock_rate)
        .or(events.first())
        .cloned()
}

fn h264_of(m: &MediaDescription, pt: &str) -> Option<(ProfileLevelId, u8)> {
    let r = m.rtpmap(pt)?;
    if !r.encoding.eq_ignore_ascii_case("H264") || r.clock_rate != 90000 {
        return None;
    }
    let fmtp = m.fmtp(pt);
    let plid = match fmtp.as_ref().and_then(|f| f.get("profile-level-id")) {
        Some(v) => ProfileLevelId::parse(v)?,
        None => ProfileLevelId::DEFAULT,
    };
    let mode = match fmtp.as_ref().and_then(|f| f.get("packetization-mode")) {
        Some(v) => v.parse().ok()?,
        None => 0,
    };
    Some((plid, mode))
}

/// RFC 6184 §8.2.2: same profile, same packetization mode, level capped to ours.
fn video_match(m: &MediaDescription, cfg: &H264Config) -> Option<(Rtpmap, H264Params)> {
    for profile in &cfg.profiles {
        for mode in &cfg.packetization_modes {
            for pt in &m.formats {
                let Some((plid, pm)) = h264_of(m, pt) else {
                    continue;
                };
                if plid.profile_idc == *profile && pm == *mode {
                    let params = H264Params {
                        profile_level_id: plid.capped(cfg.max_level_idc),
                        packetization_mode: pm,
                    };
                    return Some((m.rtpmap(pt)?, params));
                }
            }
        }
    }
    None
}

fn video_feedback(m: &MediaDescription, pt: &str) -> Vec<RtcpFb> {
    let mut out: Vec<RtcpFb> = Vec::new();
    for fb in m.rtcp_fb() {
        if fb.format != pt && fb.format != "*" {
            continue;
        }
        let supported = VIDEO_FEEDBACK
            .iter()
            .any(|(k, p)| fb.kind == *k && fb.param.as_deref() == *p);
        let fb = RtcpFb {
            format: pt.to_owned(),
            ..fb
        };
        if supported && !out.contains(&fb) {
            out.push(fb);
        }
    }
    out
}

fn fmtp_value(m: &MediaDescription, pt: &str) -> Option<String> {
    m.fmtp(pt).map(|f| f.params).filter(|p| !p.is_empty())
}

fn codec_of(r: &Rtpmap, m: &MediaDescription) -> Option<Codec> {
    Some(Codec {
        name: r.encoding.clone(),
        payload_type: r.payload_type.parse().ok()?,
        clock_rate: r.clock_rate,
        channels: r.channels().unwrap_or(1),
        fmtp: fmtp_value(m, &r.payload_type),
    })
}

fn push_common(
    out: &mut MediaDescription,
    offer_m: &MediaDescription,
    local: &LocalMedia,
    dir: Direction,
) {
    if local.rtcp_mux && offer_m.rtcp_mux() {
        out.attributes.push(Attribute::flag("rtcp-mux"));
    }
    if let Some(mid) = offer_m.mid() {
        out.attributes.push(Attribute::value("mid", mid));
    }
    out.attributes.push(Attribute::flag(dir.name()));
}

/// Answers a remote offer (RFC 3264 §6). On error nothing in `state` changes, so the
/// session goes on with what was agreed before (§8: a rejected re-offer keeps the old one).
pub fn answer(
    offer: &SessionDescription,
    local: &LocalMedia,
    state: &mut OfferAnswerState,
) -> Result<(SessionDescription, NegotiatedMedia), OfferAnswerError> {
    let mut sd = base_session(local);
    let mut audio: Option<NegotiatedStream> = None;
    let mut video: Option<NegotiatedStream> = None;
    let mut declined = Vec::new();
    let mut saw_audio = false;
    let mut slots = Vec::new();

    for (i, m) in offer.media.iter().enumerate() {
        let usable = m.port != 0 && m.proto_kind().is_plain_rtp();
        let mut answered = None;
        if usable && m.media == "audio" && audio.is_none() {
            saw_audio = true;
            if let Some((codec, r)) = audio_match(m, &local.audio_codecs) {
                answered = Some(answer_audio(offer, m, i, local, codec, &r)?);
            }
        } else if usable && m.media == "video" && video.is_none() && is_main_video(m) {
            if let Some((port, cfg)) = local.video() {
                if let Some((r, params)) = video_match(m, cfg) {
                    answered = Some(answer_video(offer, m, i, local, port, &r, params)?);
                }
            }
        }
        saw_audio |= m.media == "audio" && m.port != 0;
        let role = match answered {
            Some((line, stream)) => {
                sd.media.push(line);
                if m.media == "audio" {
                    audio = Some(stream);
                    Role::Audio
                } else {
                    video = Some(stream);
                    Role::Video
                }
            }
            None => {
                declined.push(DeclinedStream {
                    media_index: i,
                    media: m.media.clone(),
                    proto: m.proto.clone(),
                    reason: match m.media.as_str() {
                        _ if m.port == 0 || !usable => decline_reason(m),
                        "audio" if audio.is_none() => "no audio codec in common",
                        "audio" => "only one audio stream is supported",
                        "video" if !is_main_video(m) => decline_reason(m),
                        "video" if local.video().is_none() => "video is disabled",
                        "video" if video.is_some() => "only one video stream is supported",
                        _ => decline_reason(m),
                    },
                });
                sd.media.push(declined_line(m));
                Role::Declined
            }
        };
        slots.push(Slot {
            media: m.media.clone(),
            proto: m.proto.clone(),
            formats: m.formats.clone(),
            role,
        });
    }

    let Some(audio) = audio else {
        return Err(if saw_audio {
            OfferAnswerError::NoCommonAudioCodec
        } else {
            OfferAnswerError::NoAudio
        });
    };

    // The offer is acceptable: commit to the state.
    for (slot, m) in slots.iter().zip(&offer.media) {
        if slot.role != Role::Declined {
            state.bind_all(slot.role, m);
        }
    }
    state.layout = slots;
    let offered = offer.media[audio.media_index].direction(offer);
    let zero = offer.media[audio.media_index]
        .connection(offer)
        .is_some_and(Connection::is_unspecified);
    let remote_hold = !offered.receives() || zero;
    let negotiated = finish(audio, video, declined, remote_hold, state);
    state.stamp(&mut sd);
    Ok((sd, negotiated))
}

fn finish(
    audio: NegotiatedStream,
    video: Option<NegotiatedStream>,
    declined: Vec<DeclinedStream>,
    remote_hold: bool,
    state: &mut OfferAnswerState,
) -> NegotiatedMedia {
    let hold_event = match (state.remote_hold, remote_hold) {
        (false, true) => Some(HoldEvent::Hold),
        (true, false) => Some(HoldEvent::Resume),
        _ => None,
    };
    state.remote_hold = remote_hold;
    NegotiatedMedia {
        audio,
        video,
        declined,
        remote_hold,
        hold_event,
    }
}

fn answer_audio(
    offer: &SessionDescription,
    m: &MediaDescription,
    index: usize,
    local: &LocalMedia,
    codec: AudioCodec,
    r: &Rtpmap,
) -> Result<(MediaDescription, NegotiatedStream), OfferAnswerError> {
    let rtcp_mux = local.rtcp_mux && m.rtcp_mux();
    let remote = remote_of(offer, m, index, rtcp_mux)?;
    let direction = remote.direction.reversed().intersect(local.direction);
    let te = telephone_event_match(m, codec.clock_rate());

    let mut out = media_line("audio", local.audio_port, &m.proto);
    out.formats.push(r.payload_type.clone());
    // Keep the offerer's payload type number and spelling (RFC 3264 §6.1).
    out.attributes
        .push(Attribute::value("rtpmap", r.to_string()));
    if let Some(f) = codec.fmtp() {
        out.attributes
            .push(Attribute::value("fmtp", format!("{} {f}", r.payload_type)));
    }
    if let Some(te) = &te {
        out.formats.push(te.payload_type.clone());
        out.attributes
            .push(Attribute::value("rtpmap", te.to_string()));
        // RFC 4733 §3.2: events 0–15 are the DTMF digits, 16 the flash.
        out.attributes.push(Attribute::value(
            "fmtp",
            format!("{} 0-16", te.payload_type),
        ));
    }
    out.attributes
        .push(Attribute::value("ptime", local.ptime.to_string()));
    push_common(&mut out, m, local, direction);

    let stream = NegotiatedStream {
        media_index: index,
        mid: m.mid().map(str::to_owned),
        codec: codec_of(r, m)
            .expect("Rtpmap::parse and the static table only give payload types 0-127"),
        h264: None,
        telephone_event: te.and_then(|t| {
            Some(TelephoneEvent {
                payload_type: t.payload_type.parse().ok()?,
                clock_rate: t.clock_rate,
            })
        }),
        local_port: local.audio_port,
        remote_rtp: remote.rtp,
        remote_rtcp: remote.rtcp,
        rtcp_mux,
        direction,
        remote_ptime: m.ptime(),
        remote_maxptime: m.maxptime(),
        remote_bandwidth_kbps: remote_bandwidth_kbps(m),
        rtcp_fb: Vec::new(),
        crypto: m.crypto().collect(),
    };
    Ok((out, stream))
}

fn h264_fmtp(pt: &str, p: &H264Params) -> Attribute {
    Attribute::value(
        "fmtp",
        format!(
            "{pt} profile-level-id={};packetization-mode={}",
            p.profile_level_id, p.packetization_mode
        ),
    )
}

fn answer_video(
    offer: &SessionDescription,
    m: &MediaDescription,
    index: usize,
    local: &LocalMedia,
    port: u16,
    r: &Rtpmap,
    params: H264Params,
) -> Result<(MediaDescription, NegotiatedStream), OfferAnswerError> {
    let rtcp_mux = local.rtcp_mux && m.rtcp_mux();
    let remote = remote_of(offer, m, index, rtcp_mux)?;
    let direction = remote.direction.reversed().intersect(local.direction);
    let pt = r.payload_type.as_str();
    let feedback = video_feedback(m, pt);

    let mut out = media_line("video", port, &m.proto);
    out.formats.push(pt.to_owned());
    if let Some(kbps) = local.video_bandwidth_kbps {
        out.bandwidths.push(Bandwidth {
            kind: "AS".into(),
            value: kbps,
        });
    }
    out.attributes
        .push(Attribute::value("rtpmap", r.to_string()));
    out.attributes.push(h264_fmtp(pt, &params));
    for fb in &feedback {
        out.attributes
            .push(Attribute::value("rtcp-fb", fb.to_string()));
    }
    if m.content().contains(&"main") {
        out.attributes.push(Attribute::value("content", "main"));
    }
    push_common(&mut out, m, local, direction);

    let stream = NegotiatedStream {
        media_index: index,
        mid: m.mid().map(str::to_owned),
        codec: codec_of(r, m).expect("Rtpmap::parse only gives payload types 0-127"),
        h264: Some(params),
        telephone_event: None,
        local_port: port,
        remote_rtp: remote.rtp,
        remote_rtcp: remote.rtcp,
        rtcp_mux,
        direction,
        remote_ptime: None,
        remote_maxptime: None,
        remote_bandwidth_kbps: remote_bandwidth_kbps(m),
        rtcp_fb: feedback,
        crypto: m.crypto().collect(),
    };
    Ok((out, stream))
}

/// Our offer: for an INVITE without SDP (offer in our 200, answer in the ACK), a re-INVITE
/// (hold/resume through [`LocalMedia::direction`]) or dial-out. It keeps every m-line of the
/// session so far in place (RFC 3264 §8), declined ones with port 0, and the payload type
/// numbers already bound (§8.3.2).
pub fn offer(local: &LocalMedia, state: &mut OfferAnswerState) -> SessionDescription {
    let mut sd = base_session(local);
    let mut layout = state.layout.clone();
    if !layout.iter().any(|s| s.role == Role::Audio) {
        layout.push(Slot {
            media: "audio".into(),
            proto: "RTP/AVP".into(),
            formats: Vec::new(),
            role: Role::Audio,
        });
    }
    if local.video().is_some() && !layout.iter().any(|s| s.role == Role::Video) {
        layout.push(Slot {
            media: "video".into(),
            proto: "RTP/AVP".into(),
            formats: Vec::new(),
            role: Role::Video,
        });
    }
    for slot in &mut layout {
        let line = match (slot.role, local.video()) {
            (Role::Audio, _) => offer_audio(local, &slot.proto, state),
            (Role::Video, Some((port, cfg))) => offer_video(local, port, cfg, &slot.proto, state),
            (Role::Video, None) | (Role::Declined, _) => {
                let mut m = media_line(&slot.media, 0, &slot.proto);
                m.formats = slot.formats.clone();
                if m.formats.is_empty() {
                    // The grammar wants at least one format (RFC 8866 §5.14).
                    m.formats.push("0".into());
                }
                m
            }
        };
        slot.formats = line.formats.clone();
        sd.media.push(line);
    }
    state.layout = layout;
    for (slot, m) in state.layout.clone().iter().zip(&sd.media) {
        if slot.role != Role::Declined && m.port != 0 {
            state.bind_all(slot.role, m);
        }
    }
    state.stamp(&mut sd);
    sd
}

fn offer_audio(local: &LocalMedia, proto: &str, state: &OfferAnswerState) -> MediaDescription {
    let mut m = media_line("audio", local.audio_port, proto);
    let mut used: Vec<u8> = Vec::new();
    let mut rates: Vec<u32> = Vec::new();
    for codec in &local.audio_codecs {
        let key = format!(
            "{}/{}/{}",
            codec.encoding().to_ascii_lowercase(),
            codec.clock_rate(),
            codec.channels()
        );
        let pt = if codec.is_static() {
            codec.preferred_pt()
        } else {
            state.pick_pt(Role::Audio, &key, codec.preferred_pt(), &used)
        };
        used.push(pt);
        m.formats.push(pt.to_string());
        let r = codec.rtpmap(pt);
        m.attributes.push(Attribute::value("rtpmap", r.to_string()));
        if let Some(f) = codec.fmtp() {
            m.attributes
                .push(Attribute::value("fmtp", format!("{pt} {f}")));
        }
        if !rates.contains(&codec.clock_rate()) {
            rates.push(codec.clock_rate());
        }
    }
    // telephone-event at each codec clock rate, so the event clock always matches (RFC 4733
    // §2.1): 8000 for G.711 and G.722, 48000 for opus.
    rates.sort_unstable();
    for rate in rates {
        let preferred = if rate == 8000 { 101 } else { 110 };
        let key = format!("telephone-event/{rate}/1");
        let pt = state.pick_pt(Role::Audio, &key, preferred, &used);
        used.push(pt);
        m.formats.push(pt.to_string());
        m.attributes.push(Attribute::value(
            "rtpmap",
            format!("{pt} telephone-event/{rate}"),
        ));
        m.attributes
            .push(Attribute::value("fmtp", format!("{pt} 0-16")));
    }
    m.attributes
        .push(Attribute::value("ptime", local.ptime.to_string()));
    if local.rtcp_mux {
        m.attributes.push(Attribute::flag("rtcp-mux"));
    }
    m.attributes.push(Attribute::flag(local.direction.name()));
    m
}

fn offer_video(
    local: &LocalMedia,
    port: u16,
    cfg: &H264Config,
    proto: &str,
    state: &OfferAnswerState,
) -> MediaDescription {
    let mut m = media_line("video", port, proto);
    if let Some(kbps) = local.video_bandwidth_kbps {
        m.bandwidths.push(Bandwidth {
            kind: "AS".into(),
            value: kbps,
        });
    }
    let mut used: Vec<u8> = Vec::new();
    let mut fmtps = Vec::new();
    for (i, mode) in cfg.packetization_modes.iter().enumerate() {
        let key = format!("h264/90000/1;pm={mode}");
        let pt = state.pick_pt(
            Role::Video,
            &key,
            96u8.saturating_add(u8::try_from(i).unwrap_or(u8::MAX)),
            &used,
        );
        used.push(pt);
        m.formats.push(pt.to_string());
        fmtps.push((pt, *mode));
    }
    for (pt, mode) in fmtps {
        m.attributes
            .push(Attribute::value("rtpmap", format!("{pt} H264/90000")));
        let params = H264Params {
            profile_level_id: cfg.offer_profile_level_id,
            packetization_mode: mode,
        };
        m.attributes.push(h264_fmtp(&pt.to_string(), &params));
        for (kind, param) in VIDEO_FEEDBACK {
            let fb = RtcpFb {
                format: pt.to_string(),
                kind: kind.into(),
                param: param.map(str::to_owned),
            };
            m.attributes
                .push(Attribute::value("rtcp-fb", fb.to_string()));
        }
    }
    if local.rtcp_mux {
        m.attributes.push(Attribute::flag("rtcp-mux"));
    }
    m.attributes.push(Attribute::flag(local.direction.name()));
    m
}

/// Reads the peer's answer to our offer (RFC 3264 §6, §7).
pub fn accept_answer(
    our_offer: &SessionDescription,
    answer: &SessionDescription,
    state: &mut OfferAnswerState,
) -> Result<NegotiatedMedia, OfferAnswerError> {
    // RFC 3264 §6 wants every offered m-line answered. Simple UAs (SIPp's built-in UAS, some
    // softphones) answer only the first; read what is missing as declined rather than drop
    // the call. More m-lines than offered cannot be an answer to us.
    if answer.media.len() > our_offer.media.len() || answer.media.is_empty() {
        return Err(OfferAnswerError::MediaCountMismatch {
            offer: our_offer.media.len(),
            answer: answer.media.len(),
        });
    }
    let mut audio = None;
    let mut video = None;
    let mut declined = Vec::new();
    for (i, (ours, theirs)) in our_offer.media.iter().zip(&answer.media).enumerate() {
        if ours.media != theirs.media {
            return Err(OfferAnswerError::MediaTypeMismatch(i));
        }
        let mut stream = None;
        if ours.port != 0 && theirs.port != 0 && theirs.proto_kind().is_plain_rtp() {
            if ours.media == "audio" && audio.is_none() {
                stream = accepted_audio(our_offer, ours, answer, theirs, i)?;
            } else if ours.media == "video" && video.is_none() {
                stream = accepted_video(our_offer, ours, answer, theirs, i)?;
            }
        }
        match stream {
            Some(s) if ours.media == "audio" => audio = Some(s),
            Some(s) => video = Some(s),
            None => declined.push(DeclinedStream {
                media_index: i,
                media: ours.media.clone(),
                proto: ours.proto.clone(),
                reason: if ours.port == 0 {
                    "not offered by us"
                } else if theirs.port == 0 {
                    "declined by the answerer (port 0)"
                } else {
                    "no format in common in the answer"
                },
            }),
        }
    }
    for (i, ours) in our_offer.media.iter().enumerate().skip(answer.media.len()) {
        declined.push(DeclinedStream {
            media_index: i,
            media: ours.media.clone(),
            proto: ours.proto.clone(),
            reason: "missing from the answer",
        });
    }
    let audio = audio.ok_or(OfferAnswerError::NoCommonAudioCodec)?;
    for (m, theirs) in our_offer.media.iter().zip(&answer.media) {
        let role = match m.media.as_str() {
            "audio" => Role::Audio,
            "video" => Role::Video,
            _ => continue,
        };
        if theirs.port != 0 {
            state.bind_all(role, theirs);
        }
    }
    let theirs = &answer.media[audio.media_index];
    let zero = theirs
        .connection(answer)
        .is_some_and(Connection::is_unspecified);
    let remote_hold = !theirs.direction(answer).receives() || zero;
    Ok(finish(audio, video, declined, remote_hold, state))
}

/// Our direction after an answer: what we offered, narrowed by what the peer accepted.
fn accepted_direction(
    our_sd: &SessionDescription,
    ours: &MediaDescription,
    remote: &Remote,
) -> Direction {
    ours.direction(our_sd)
        .intersect(remote.direction.reversed())
}

fn accepted_audio(
    our_sd: &SessionDescription,
    ours: &MediaDescription,
    answer: &SessionDescription,
    theirs: &MediaDescription,
    index: usize,
) -> Result<Option<NegotiatedStream>, OfferAnswerError> {
    // The first answered format we offered and support; its meaning is from our offer, as
    // the answerer must keep our numbers (RFC 3264 §6.1).
    let chosen = theirs.formats.iter().find_map(|pt| {
        if !ours.formats.contains(pt) {
            return None;
        }
        let r = ours.rtpmap_or_static(pt)?;
        AudioCodec::ALL
            .iter()
            .find(|c| c.matches(&r))
            .map(|c| (*c, r))
    });
    let Some((codec, r)) = chosen else {
        return Ok(None);
    };
    let rtcp_mux = ours.rtcp_mux() && theirs.rtcp_mux();
    let remote = remote_of(answer, theirs, index, rtcp_mux)?;
    let te = theirs
        .formats
        .iter()
        .filter(|pt| ours.formats.contains(pt))
        .filter_map(|pt| ours.rtpmap(pt))
        .filter(|r| r.encoding.eq_ignore_ascii_case("telephone-event"))
        .min_by_key(|r| r.clock_rate != codec.clock_rate());
    Ok(Some(NegotiatedStream {
        media_index: index,
        mid: theirs.mid().or(ours.mid()).map(str::to_owned),
        codec: Codec {
            fmtp: fmtp_value(theirs, &r.payload_type),
            ..codec_of(&r, ours)
                .expect("Rtpmap::parse and the static table only give payload types 0-127")
        },
        h264: None,
        telephone_event: te.and_then(|t| {
            Some(TelephoneEvent {
                payload_type: t.payload_type.parse().ok()?,
                clock_rate: t.clock_rate,
            })
        }),
        local_port: ours.port,
        remote_rtp: remote.rtp,
        remote_rtcp: remote.rtcp,
        rtcp_mux,
        direction: accepted_direction(our_sd, ours, &remote),
        remote_ptime: theirs.ptime(),
        remote_maxptime: theirs.maxptime(),
        remote_bandwidth_kbps: remote_bandwidth_kbps(theirs),
        rtcp_fb: Vec::new(),
        crypto: theirs.crypto().collect(),
    }))
}

fn accepted_video(
    our_sd: &SessionDescription,
    ours: &MediaDescription,
    answer: &SessionDescription,
    theirs: &MediaDescription,
    index: usize,
) -> Result<Option<NegotiatedStream>, OfferAnswerError> {
    let chosen = theirs.formats.iter().find_map(|pt| {
        if !ours.formats.contains(pt) {
            return None;
        }
        let (offered, mode) = h264_of(ours, pt)?;
        // The answer's own fmtp when present, else ours (the parameters are symmetric).
        let (answered, answered_mode) = h264_of(theirs, pt).unwrap_or((offered, mode));
        // RFC 6184 §8.2.2: same profile and mode; a higher level than offered is invalid.
        (answered.profile() == offered.profile()
            && answered_mode == mode
            && answered.level_rank() <= offered.level_rank())
        .then(|| (pt.clone(), answered, mode))
    });
    let Some((pt, plid, mode)) = chosen else {
        return Ok(None);
    };
    let r = ours.rtpmap(&pt).expect("h264_of found it");
    let rtcp_mux = ours.rtcp_mux() && theirs.rtcp_mux();
    let remote = remote_of(answer, theirs, index, rtcp_mux)?;
    let offered_fb = video_feedback(ours, &pt);
    let rtcp_fb = video_feedback(theirs, &pt)
        .into_iter()
        .filter(|fb| offered_fb.contains(fb))
        .collect();
    Ok(Some(NegotiatedStream {
        media_index: index,
        mid: theirs.mid().or(ours.mid()).map(str::to_owned),
        codec: Codec {
            fmtp: fmtp_value(theirs, &pt),
            ..codec_of(&r, ours)
                .expect("Rtpmap::parse and the static table only give payload types 0-127")
        },
        h264: Some(H264Params {
            profile_level_id: plid,
            packetization_mode: mode,
        }),
        telephone_event: None,
        local_port: ours.port,
        remote_rtp: remote.rtp,
        remote_rtcp: remote.rtcp,
        rtcp_mux,
        direction: accepted_direction(our_sd, ours, &remote),
        remote_ptime: None,
        remote_maxptime: None,
        remote_bandwidth_kbps: remote_bandwidth_kbps(theirs),
        rtcp_fb,
        crypto: theirs.crypto().collect(),
    }))
}
