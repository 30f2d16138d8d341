//! Helpers the answerer, the offerer and the answer reader share: our session skeleton, the
//! peer's addresses for a stream, the codec and H.264 parameters read from a media line.

use super::negotiated::{
    Codec, DeclinedStream, H264Params, HoldEvent, NegotiatedMedia, NegotiatedStream,
};
use super::{
    AudioCodec, LocalMedia, OfferAnswerError, OfferAnswerState, VideoCodec, VIDEO_FEEDBACK,
};
use crate::sdp::attr::{Direction, RtcpFb, Rtpmap};
use crate::sdp::h264::ProfileLevelId;
use crate::sdp::{
    Attribute, BandwidthType, Connection, MediaDescription, Origin, SessionDescription, Timing,
};
use std::net::{IpAddr, SocketAddr};

pub(super) fn base_session(local: &LocalMedia) -> SessionDescription {
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

pub(super) fn media_line(media: &str, port: u16, proto: &str) -> MediaDescription {
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

pub(super) fn remote_bandwidth_kbps(m: &MediaDescription) -> Option<u64> {
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
pub(super) struct Remote {
    pub(super) rtp: Option<SocketAddr>,
    pub(super) rtcp: Option<SocketAddr>,
    /// The peer's direction, with `c=0.0.0.0` read as "does not receive" (RFC 3264 §8.4).
    pub(super) direction: Direction,
}

pub(super) fn remote_of(
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

pub(super) fn h264_of(m: &MediaDescription, pt: &str) -> Option<(ProfileLevelId, u8)> {
    let r = m.rtpmap(pt)?;
    let h264 = VideoCodec::H264;
    if !r.encoding.eq_ignore_ascii_case(h264.encoding()) || r.clock_rate != h264.clock_rate() {
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

pub(super) fn video_feedback(m: &MediaDescription, pt: &str) -> Vec<RtcpFb> {
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

pub(super) fn fmtp_value(m: &MediaDescription, pt: &str) -> Option<String> {
    m.fmtp(pt).map(|f| f.params).filter(|p| !p.is_empty())
}

/// The codec `encoding` as line `m` binds it: the payload type of its rtpmap `r`, and `m`'s
/// fmtp for that number.
pub(super) fn codec_of<E>(encoding: E, r: &Rtpmap, m: &MediaDescription) -> Option<Codec<E>> {
    Some(Codec {
        encoding,
        payload_type: r.payload_type.parse().ok()?,
        fmtp: fmtp_value(m, &r.payload_type),
    })
}

pub(super) fn finish(
    audio: NegotiatedStream<AudioCodec>,
    video: Option<NegotiatedStream<VideoCodec>>,
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

pub(super) fn h264_fmtp(pt: &str, p: &H264Params) -> Attribute {
    Attribute::value(
        "fmtp",
        format!(
            "{pt} profile-level-id={};packetization-mode={}",
            p.profile_level_id, p.packetization_mode
        ),
    )
}
