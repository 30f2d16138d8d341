//! roomgate as offerer, second half: reading the peer's answer to our offer (RFC 3264 §6, §7).

use super::common::{
    codec_of, finish, h264_of, remote_bandwidth_kbps, remote_of, video_feedback, Remote,
};
use super::negotiated::{
    DeclinedStream, H264Params, NegotiatedMedia, NegotiatedStream, TelephoneEvent,
};
use super::{AudioCodec, OfferAnswerError, OfferAnswerState, Role, VideoCodec};
use crate::sdp::attr::Direction;
use crate::sdp::{Connection, MediaDescription, SessionDescription};

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
        let mut taken = false;
        if ours.port != 0 && theirs.port != 0 && theirs.proto_kind().is_plain_rtp() {
            if ours.media == "audio" && audio.is_none() {
                audio = accepted_audio(our_offer, ours, answer, theirs, i)?;
                taken = audio.is_some();
            } else if ours.media == "video" && video.is_none() {
                video = accepted_video(our_offer, ours, answer, theirs, i)?;
                taken = video.is_some();
            }
        }
        if !taken {
            declined.push(DeclinedStream {
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
            });
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
) -> Result<Option<NegotiatedStream<AudioCodec>>, OfferAnswerError> {
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
        // Our payload type (the answerer keeps it), the peer's fmtp (its receive preferences).
        codec: codec_of(codec, &r, theirs)
            .expect("Rtpmap::parse and the static table only give payload types 0-127"),
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
) -> Result<Option<NegotiatedStream<VideoCodec>>, OfferAnswerError> {
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
        codec: codec_of(VideoCodec::H264, &r, theirs)
            .expect("Rtpmap::parse and the static table only give payload types 0-127"),
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
