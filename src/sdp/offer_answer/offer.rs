//! roomgate as offerer: our offer, keeping the session's m-lines and payload types
//! (RFC 3264 §5, §8).

use super::common::{base_session, h264_fmtp, media_line};
use super::negotiated::H264Params;
use super::{H264Config, LocalMedia, OfferAnswerState, Role, Slot, VIDEO_FEEDBACK};
use crate::sdp::attr::RtcpFb;
use crate::sdp::{Attribute, Bandwidth, MediaDescription, SessionDescription};

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
        let pt = match codec.static_payload_type() {
            Some(pt) => pt,
            None => state.pick_pt(Role::Audio, &key, codec.preferred_pt(), &used),
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
