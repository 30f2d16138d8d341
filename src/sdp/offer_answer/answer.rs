//! roomgate as answerer: a remote offer in, our answer and the negotiated media out
//! (RFC 3264 §6).

use super::common::{
    base_session, codec_of, finish, h264_fmtp, h264_of, media_line, remote_bandwidth_kbps,
    remote_of, video_feedback,
};
use super::negotiated::{
    DeclinedStream, H264Params, NegotiatedMedia, NegotiatedStream, TelephoneEvent,
};
use super::{
    AudioCodec, H264Config, LocalMedia, OfferAnswerError, OfferAnswerState, Role, Slot, VideoCodec,
};
use crate::sdp::attr::{Direction, Rtpmap};
use crate::sdp::{Attribute, Bandwidth, Connection, MediaDescription, Proto, SessionDescription};

/// Answers a remote offer (RFC 3264 §6). On error nothing in `state` changes, so the
/// session goes on with what was agreed before (§8: a rejected re-offer keeps the old one).
pub fn answer(
    offer: &SessionDescription,
    local: &LocalMedia,
    state: &mut OfferAnswerState,
) -> Result<(SessionDescription, NegotiatedMedia), OfferAnswerError> {
    let mut sd = base_session(local);
    let mut audio: Option<NegotiatedStream<AudioCodec>> = None;
    let mut video: Option<NegotiatedStream<VideoCodec>> = None;
    let mut declined = Vec::new();
    let mut saw_audio = false;
    let mut slots = Vec::new();

    for (i, m) in offer.media.iter().enumerate() {
        let usable = m.port != 0 && m.proto_kind().is_plain_rtp();
        // Our m-line and its role, when we take the stream.
        let mut answered = None;
        if usable && m.media == "audio" && audio.is_none() {
            saw_audio = true;
            if let Some((codec, r)) = audio_match(m, &local.audio_codecs) {
                let (line, stream) = answer_audio(offer, m, i, local, codec, &r)?;
                audio = Some(stream);
                answered = Some((line, Role::Audio));
            }
        } else if usable && m.media == "video" && video.is_none() && is_main_video(m) {
            if let Some((port, cfg)) = local.video() {
                if let Some((r, params)) = video_match(m, cfg) {
                    let (line, stream) = answer_video(offer, m, i, local, port, &r, params)?;
                    video = Some(stream);
                    answered = Some((line, Role::Video));
                }
            }
        }
        saw_audio |= m.media == "audio" && m.port != 0;
        let role = match answered {
            Some((line, role)) => {
                sd.media.push(line);
                role
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

fn answer_audio(
    offer: &SessionDescription,
    m: &MediaDescription,
    index: usize,
    local: &LocalMedia,
    codec: AudioCodec,
    r: &Rtpmap,
) -> Result<(MediaDescription, NegotiatedStream<AudioCodec>), OfferAnswerError> {
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
        codec: codec_of(codec, r, m)
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

fn answer_video(
    offer: &SessionDescription,
    m: &MediaDescription,
    index: usize,
    local: &LocalMedia,
    port: u16,
    r: &Rtpmap,
    params: H264Params,
) -> Result<(MediaDescription, NegotiatedStream<VideoCodec>), OfferAnswerError> {
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
        codec: codec_of(VideoCodec::H264, r, m)
            .expect("Rtpmap::parse only gives payload types 0-127"),
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
