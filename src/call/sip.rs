//! SIP legs: the SIP side of the signalling seam.
//!
//! The UA (`sip::ua`) runs transactions and dialogs; this module turns its events into call
//! legs (RFC 3261 §13 INVITE, RFC 3264 offer/answer in SDP) and implements [`Signalling`] for
//! it, so the protocol-neutral call layer can hang up, ask for key frames (RFC 5168 INFO),
//! show texts (RFC 3428 MESSAGE) and place names (RFC 4916 UPDATE).

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::calls::{media_session, Calls, Refusal};
use super::leg::{Leg, PendingJoin};
use super::signal::{Signal, Signalling};
use super::sip_call::SipCall;
use super::view::LegEnd;
use super::DialTarget;
use crate::media::LegId;
use crate::meeting::{self, MeetingError, Meetings};
use crate::sdp::{self, OfferAnswerState};
use crate::sip::message::{HeaderName, Request, StatusCode};
use crate::sip::transaction::{Peer, Transport};
use crate::sip::ua::{CallHandle, Dial, EndReason, Reply, UaConfig, UserAgent};

/// The SIP leg of a call leg's signal.
fn sip(signal: &Signal) -> &SipCall {
    match signal {
        Signal::Sip(s) => s,
    }
}

fn sip_mut(signal: &mut Signal) -> &mut SipCall {
    match signal {
        Signal::Sip(s) => s,
    }
}

const PICTURE_FAST_UPDATE: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\" ?>\r\n\
<media_control><vc_primitive><to_encoder><picture_fast_update/></to_encoder></vc_primitive></media_control>\r\n";

impl Signalling for UserAgent {
    fn hang_up(&mut self, now: Instant, leg: &Signal, why: Option<&str>) -> bool {
        let call = sip(leg).call;
        match why {
            Some(text) => self
                .hangup_with_reason(now, call, reason_value(200, text))
                .is_ok(),
            None => self.hangup(now, call).is_ok(),
        }
    }

    fn request_keyframe(&mut self, now: Instant, leg: &Signal) {
        // Room systems that ignore RTCP feedback honour this (RFC 5168).
        let _ = self.info(
            now,
            sip(leg).call,
            "application/media_control+xml",
            Bytes::from_static(PICTURE_FAST_UPDATE),
        );
    }

    fn send_text(&mut self, now: Instant, leg: &Signal, text: &str) {
        let s = sip(leg);
        if s.accepts_message {
            // RFC 3428 in the dialog, for room systems that show text.
            let _ = self.message(
                now,
                s.call,
                "text/plain;charset=UTF-8",
                Bytes::from(text.to_owned()),
            );
        }
    }

    fn show_place(&mut self, now: Instant, leg: &Signal, name: &str) {
        match self.update_identity(now, sip(leg).call, name) {
            Ok(true) => tracing::debug!(%name, "connected identity updated"),
            Ok(false) => {}
            Err(e) => tracing::debug!(error = %e, "no connected-identity update"),
        }
    }

    fn handle_timeout(&mut self, now: Instant, leg: &mut Signal) {
        let s = sip_mut(leg);
        if s.answer_at.as_ref().is_some_and(|(t, _)| *t <= now) {
            let (_, reply) = s.answer_at.take().expect("checked");
            answer(self, now, s, reply);
        }
    }
}

/// Sends our final answer and learns the dialog's local tag from it.
fn answer(ua: &mut UserAgent, now: Instant, s: &mut SipCall, reply: Reply) {
    if let Err(e) = ua.answer(now, s.call, reply) {
        tracing::debug!(%e, "answer not sent");
        return;
    }
    s.local_tag = ua.dialog(s.call).map(|d| d.id.local_tag.clone());
}

/// Refuses a call before the answer, with the reason on the caller's screen (RFC 3326).
fn reject(ua: &mut UserAgent, now: Instant, call: CallHandle, status: StatusCode, text: &str) {
    let reply = Reply::new(status).header(HeaderName::Reason, reason_value(status.0, text));
    let _ = ua.answer(now, call, reply);
}

/// The SIP status for a refusal.
pub fn refusal_status(r: &Refusal) -> StatusCode {
    match r {
        Refusal::ShuttingDown | Refusal::AtCapacity | Refusal::NoPorts => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        Refusal::UnknownMeeting(_) => StatusCode::NOT_FOUND,
        Refusal::WrongPasscode(_) => StatusCode::FORBIDDEN,
        Refusal::CannotJoin(..) => StatusCode(480),
    }
}

/// An INVITE outside a dialog: a new call leg, answered into its meeting or the lobby, or
/// refused with the status that says why.
pub fn incoming(
    calls: &mut Calls,
    ua: &mut UserAgent,
    meetings: &mut Meetings,
    now: Instant,
    call: CallHandle,
    req: Request,
    source: Peer,
) {
    let call_id = req
        .call_id()
        .map(|c| c.as_str().to_owned())
        .unwrap_or_default();
    let span = tracing::info_span!("call", call_id = %call_id);
    let _g = span.enter();
    if let Some(r) = calls.refuses_new() {
        let reply = Reply::new(StatusCode::SERVICE_UNAVAILABLE)
            .header(HeaderName::RetryAfter, "30")
            .header(HeaderName::Reason, reason_value(503, &r.text()));
        let _ = ua.answer(now, call, reply);
        return;
    }
    let from = req.from().ok();
    let identity = from
        .as_ref()
        .map(|f| f.uri().to_string())
        .unwrap_or_else(|| "anonymous".into());
    let name = from
        .as_ref()
        .and_then(|f| f.addr.display_name().map(|d| d.into_owned()))
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| {
            from.as_ref()
                .and_then(|f| f.uri().as_sip().and_then(|s| s.user_unescaped()))
                .map(|u| String::from_utf8_lossy(&u).into_owned())
                .unwrap_or_else(|| identity.clone())
        });
    let target = calls
        .config()
        .dial_plan
        .route(request_user(&req).as_deref());

    if let DialTarget::Meeting { meeting, .. } = &target {
        if meetings.key(meeting).is_err() {
            tracing::info!(%meeting, "call refused: unknown meeting");
            let r = Refusal::UnknownMeeting(meeting.clone());
            reject(ua, now, call, refusal_status(&r), &r.text());
            return;
        }
    }

    // The offer, if any (RFC 3264 §5; an offerless INVITE gets our offer in the 200).
    let offer = match sdp_body(&req) {
        Ok(o) => o,
        Err(BodyError::Unsupported(what)) => {
            // RFC 3261 §8.2.3: 415 listing what we do understand.
            let reply = Reply::new(StatusCode::UNSUPPORTED_MEDIA_TYPE)
                .header(HeaderName::Accept, "application/sdp")
                .header(
                    HeaderName::Other(Bytes::from_static(b"Accept-Encoding")),
                    "identity",
                )
                .header(HeaderName::Reason, reason_value(415, &what));
            let _ = ua.answer(now, call, reply);
            return;
        }
        Err(BodyError::NotAcceptable) => {
            // §21.4.7: our answer would be SDP, which its Accept rules out.
            let reply = Reply::new(StatusCode(406))
                .header(HeaderName::Accept, "application/sdp")
                .header(
                    HeaderName::Reason,
                    reason_value(406, "our answer is application/sdp, which Accept excludes"),
                );
            let _ = ua.answer(now, call, reply);
            return;
        }
        Err(BodyError::Malformed(text)) => {
            reject(ua, now, call, StatusCode::BAD_REQUEST, &text);
            return;
        }
    };
    let wants_video = calls.config().video
        && offer
            .as_ref()
            .is_none_or(|o| o.media.iter().any(|m| m.media == "video"));
    let Some(ports) = calls.take_ports(wants_video) else {
        let r = Refusal::NoPorts;
        reject(ua, now, call, refusal_status(&r), &r.text());
        return;
    };
    let (id, session) = calls.next_id();
    let mut oa = OfferAnswerState::new(session);
    let media_ip = calls.media_ip_for(source.addr.ip());
    let local = calls.local_media(media_ip, ports.0, ports.1);
    let (body, negotiated, our_offer) = match &offer {
        Some(o) => match sdp::answer(o, &local, &mut oa) {
            Ok((sd, nm)) => (sd.to_bytes(), Some(nm), None),
            Err(e) => {
                calls.release_ports(ports.0, ports.1);
                let (code, text) = e.warning();
                let reply = Reply::new(StatusCode::NOT_ACCEPTABLE_HERE)
                    .header(
                        HeaderName::Other(Bytes::from_static(b"Warning")),
                        format!("{code} roomgate \"{text}\""),
                    )
                    .header(HeaderName::Reason, reason_value(488, &e.to_string()));
                tracing::info!(error = %e, "call refused: no common media");
                let _ = ua.answer(now, call, reply);
                return;
            }
        },
        None => {
            let sd = sdp::offer(&local, &mut oa);
            (sd.to_bytes(), None, Some(sd))
        }
    };
    let mut s = SipCall::new(call, source, oa);
    s.call_id = call_id;
    s.remote_tag = from.as_ref().and_then(|f| f.tag().map(str::to_owned));
    s.user_agent = req
        .user_agent()
        .ok()
        .flatten()
        .map(|u| u.0.as_str().to_owned());
    s.our_offer = our_offer;
    s.accepts_message = req
        .allow()
        .ok()
        .flatten()
        .is_some_and(|a| a.to_string().to_ascii_uppercase().contains("MESSAGE"));
    let leg = Leg::new(
        id,
        Signal::Sip(s),
        (name, identity),
        media_session(media_ip, ports),
        &calls.config().keymap,
    );
    tracing::info!(leg = id.0, %target, remote = %source.addr, "incoming call");
    calls.insert(leg);
    let settled = negotiated.is_some();
    if let Some(nm) = negotiated {
        calls.set_media(id, nm);
    }

    // Into the meeting, or the lobby.
    let admitted = calls
        .admission(meetings, target, settled)
        .and_then(|a| calls.admit(now, meetings, id, a));
    if let Err(r) = admitted {
        calls.drop_media(id);
        reject(ua, now, call, refusal_status(&r), &r.text());
        calls.forget(id);
        return;
    }

    let reply = Reply::sdp(StatusCode::OK, body);
    let delay = calls.config().answer_delay;
    let l = calls.get_mut(id).expect("inserted above");
    let s = sip_mut(&mut l.signal);
    if delay.is_zero() {
        answer(ua, now, s, reply);
    } else {
        let _ = ua.answer(now, call, Reply::new(StatusCode::RINGING));
        s.answer_at = Some((now + delay, reply));
        calls.schedule(id);
    }
    calls.run_ivr(now, meetings, id);
    calls.touch(id);
}

/// The answer to our offer arrived (in the ACK of an offerless INVITE or re-INVITE, or in the
/// 200 of a dial-out).
pub fn answered(
    calls: &mut Calls,
    ua: &mut UserAgent,
    meetings: &mut Meetings,
    now: Instant,
    call: CallHandle,
    body: Bytes,
) {
    let Some(id) = calls.by_sip(call) else {
        return;
    };
    let Some(l) = calls.get_mut(id) else { return };
    let s = sip_mut(&mut l.signal);
    let Some(our) = s.our_offer.take() else {
        return;
    };
    let answer = match sdp::SessionDescription::parse(&body) {
        Ok(a) => a,
        Err(e) => {
            // RFC 3261 §13.2.2.4 leaves a bad answer in an ACK to the UAC; we end the call.
            tracing::info!(leg = id.0, %e, "unusable answer in ACK; ending call");
            l.end = Some(LegEnd::by_us(format!("unusable SDP answer in ACK: {e}")));
            let _ = ua.hangup(now, call);
            return;
        }
    };
    match sdp::accept_answer(&our, &answer, &mut s.oa) {
        Ok(nm) => {
            calls.set_media(id, nm);
            calls.join_pending(now, ua, meetings, id);
            calls.touch(id);
        }
        Err(e) => {
            tracing::info!(leg = id.0, %e, "answer does not fit our offer; ending call");
            let _ = ua.hangup(now, call);
        }
    }
}

/// Our dial-out was answered: media from the answer, then into the meeting and its room.
pub fn dial_answered(
    calls: &mut Calls,
    ua: &mut UserAgent,
    meetings: &mut Meetings,
    now: Instant,
    call: CallHandle,
    body: Bytes,
) {
    let Some(id) = calls.by_sip(call) else {
        return;
    };
    // The dialog exists now: the leg's identifiers come from it.
    if let (Some(d), Some(l)) = (ua.dialog(call), calls.get_mut(id)) {
        let s = sip_mut(&mut l.signal);
        s.call_id = d.id.call_id.clone();
        s.local_tag = Some(d.id.local_tag.clone());
        s.remote_tag = Some(d.id.remote_tag.clone());
    }
    answered(calls, ua, meetings, now, call, body);
    calls.place_answered(now, meetings, id);
}

/// Our offer in a re-INVITE was cancelled: no answer is coming.
pub fn offer_cancelled(calls: &mut Calls, call: CallHandle) {
    if let Some(l) = calls.by_sip(call).and_then(|id| calls.get_mut(id)) {
        sip_mut(&mut l.signal).our_offer = None;
    }
}

/// A re-INVITE or UPDATE (RFC 3311) from the peer: hold, resume, a codec change.
pub fn offer(calls: &mut Calls, ua: &mut UserAgent, now: Instant, call: CallHandle, body: Bytes) {
    let Some(id) = calls.by_sip(call) else {
        return;
    };
    let local = {
        let m = &calls.get(id).expect("mapped legs exist").media;
        calls.local_media(m.ip, m.audio_port, m.video_port)
    };
    let l = calls.get_mut(id).expect("mapped legs exist");
    let s = sip_mut(&mut l.signal);
    if body.is_empty() {
        // An offerless re-INVITE: our offer in the 200, the answer in the ACK.
        let sd = sdp::offer(&local, &mut s.oa);
        let bytes = sd.to_bytes();
        s.our_offer = Some(sd);
        let _ = ua.answer_offer(now, call, Reply::sdp(StatusCode::OK, bytes));
        return;
    }
    let offer = match sdp::SessionDescription::parse(&body) {
        Ok(o) => o,
        Err(e) => {
            let reply = Reply::new(StatusCode::BAD_REQUEST).header(
                HeaderName::Reason,
                reason_value(400, &format!("malformed SDP: {e}")),
            );
            let _ = ua.answer_offer(now, call, reply);
            return;
        }
    };
    match sdp::answer(&offer, &local, &mut s.oa) {
        Ok((sd, nm)) => {
            if let Some(h) = nm.hold_event {
                tracing::info!(leg = id.0, event = ?h, "hold state changed");
            }
            let _ = ua.answer_offer(now, call, Reply::sdp(StatusCode::OK, sd.to_bytes()));
            calls.set_media(id, nm);
        }
        Err(e) => {
            // RFC 3264 §8: a refused re-offer leaves the session as it was.
            let (code, text) = e.warning();
            let reply = Reply::new(StatusCode::NOT_ACCEPTABLE_HERE).header(
                HeaderName::Other(Bytes::from_static(b"Warning")),
                format!("{code} roomgate \"{text}\""),
            );
            let _ = ua.answer_offer(now, call, reply);
        }
    }
}

/// An INFO in the dialog: a digit (dtmf-relay, the de-facto format room systems send) or a
/// request for a key frame of the video the peer receives (RFC 5168).
pub fn info(
    calls: &mut Calls,
    ua: &mut UserAgent,
    meetings: &mut Meetings,
    now: Instant,
    call: CallHandle,
    content_type: &str,
    body: &[u8],
) {
    let Some(id) = calls.by_sip(call) else {
        return;
    };
    let ct = content_type.to_ascii_lowercase();
    if ct.starts_with("application/media_control+xml") {
        calls.keyframe_wanted_by(id);
    } else if let Some(d) = super::keypad::info_digit(content_type, body) {
        calls.on_digit(now, ua, meetings, id, d);
    }
}

/// The call ended in the UA: the leg's end, in the words of its call record.
pub fn terminated(
    calls: &mut Calls,
    meetings: &mut Meetings,
    now: Instant,
    call: CallHandle,
    reason: EndReason,
) {
    if let Some(id) = calls.by_sip(call) {
        tracing::info!(leg = id.0, ?reason, "SIP call ended");
        calls.ended(now, meetings, id, end_from(reason));
    }
}

/// A host's request to call a room system out of a meeting (`POST …/dial-out`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct DialOut {
    /// `sip:room@127.0.0.1:5062` (the host part must be an IP address: the core has no
    /// resolver; `;transport=tcp` selects TCP).
    pub uri: String,
    /// A breakout room to place the room system in when it answers.
    #[serde(default)]
    pub room: Option<meeting::RoomId>,
    /// The participant's name (default: the URI's user part).
    #[serde(default)]
    pub name: Option<String>,
    /// Seconds to let it ring before giving up (1–600, default 60).
    #[serde(default)]
    pub ring_timeout_s: Option<u32>,
}

/// How long a dial-out rings when the host does not say.
pub const DEFAULT_RING_TIMEOUT_S: u32 = 60;

/// Why a dial-out was refused before anything was sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DialOutError {
    #[error(transparent)]
    Meeting(#[from] MeetingError),
    #[error("uri: {0}")]
    Uri(String),
    #[error("room: no breakout room {0}")]
    UnknownRoom(meeting::RoomId),
    #[error("ring_timeout_s: must be 1 to 600 seconds, got {0}")]
    RingTimeout(u32),
    #[error("no RTP ports left")]
    NoPorts,
    #[error("roomgate is shutting down")]
    ShuttingDown,
}

impl DialOutError {
    /// The request field at fault, for a problem body.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            DialOutError::Uri(_) => Some("uri"),
            DialOutError::UnknownRoom(_) => Some("room"),
            DialOutError::RingTimeout(_) => Some("ring_timeout_s"),
            DialOutError::Meeting(e) => e.field(),
            _ => None,
        }
    }
}

/// Calls a room system into `meeting` as a UAC (RFC 3261 §13.2). The call joins the meeting
/// when it answers (and goes to `room`, if given).
pub fn dial_out(
    calls: &mut Calls,
    ua: &mut UserAgent,
    ua_cfg: &UaConfig,
    meetings: &mut Meetings,
    now: Instant,
    meeting: &str,
    req: DialOut,
) -> Result<LegId, DialOutError> {
    if calls.draining {
        return Err(DialOutError::ShuttingDown);
    }
    meetings.key(meeting)?;
    let ring_s = req.ring_timeout_s.unwrap_or(DEFAULT_RING_TIMEOUT_S);
    if !(1..=600).contains(&ring_s) {
        return Err(DialOutError::RingTimeout(ring_s));
    }
    if let Some(room) = req.room {
        let rooms = meetings
            .breakouts(now, meeting)
            .map(|b| b.rooms)
            .unwrap_or_default();
        if !rooms.iter().any(|r| r.id == room) {
            return Err(DialOutError::UnknownRoom(room));
        }
    }
    let (destination, user) = dial_target(&req.uri).map_err(DialOutError::Uri)?;
    let video = calls.config().video;
    let ports = calls.take_ports(video).ok_or(DialOutError::NoPorts)?;
    let (id, session) = calls.next_id();
    let mut oa = OfferAnswerState::new(session);
    let media_ip = calls.media_ip_for(destination.addr.ip());
    let local = calls.local_media(media_ip, ports.0, ports.1);
    let sd = sdp::offer(&local, &mut oa);
    let sent_by = match &ua_cfg.sent_by_v6 {
        Some(v6) if destination.addr.is_ipv6() => v6,
        _ => &ua_cfg.sent_by,
    };
    let dial = Dial {
        target: req.uri.clone(),
        from: format!("sip:{meeting}@{sent_by}"),
        destination,
        sdp: sd.to_bytes(),
        ring_timeout: Duration::from_secs(ring_s.into()),
    };
    let call = match ua.dial(now, dial) {
        Ok(c) => c,
        Err(e) => {
            calls.release_ports(ports.0, ports.1);
            return Err(DialOutError::Uri(e.to_string()));
        }
    };
    let name = req.name.clone().unwrap_or_else(|| user.clone());
    let mut s = SipCall::new(call, destination, oa);
    s.call_id = ua.call_id(call).unwrap_or_default().to_owned();
    s.our_offer = Some(sd);
    let mut leg = Leg::new(
        id,
        Signal::Sip(s),
        (name, req.uri.clone()),
        media_session(media_ip, ports),
        &calls.config().keymap,
    );
    leg.join_on_answer = Some(PendingJoin {
        meeting: meeting.to_owned(),
        passcode: None,
    });
    leg.place_in = req.room;
    leg.outgoing = true;
    tracing::info!(leg = id.0, uri = %req.uri, %meeting, "dialling out");
    calls.insert(leg);
    calls.touch(id);
    Ok(id)
}

/// A Reason header value (RFC 3326) the caller's screen can show.
pub fn reason_value(cause: u16, text: &str) -> String {
    let text: String = text.chars().filter(|c| *c != '"' && *c != '\\').collect();
    format!("SIP;cause={cause};text=\"{text}\"")
}

fn end_from(reason: EndReason) -> LegEnd {
    let (by, text) = match reason {
        EndReason::Cancelled => ("cancelled", "the caller cancelled"),
        EndReason::Rejected => ("refused", "refused before the answer"),
        EndReason::RemoteBye => ("caller", "the caller hung up"),
        EndReason::LocalHangup => ("roomgate", "roomgate hung up"),
        EndReason::NoAck => ("timeout", "no ACK for our 200 OK (RFC 3261 §13.3.1.4)"),
        EndReason::SessionExpired => ("timeout", "session timer expired (RFC 4028 §10)"),
        EndReason::DialogLost => ("network", "an in-dialog request timed out"),
        EndReason::TransportError => ("network", "transport failure towards the peer"),
        EndReason::NoAnswer => ("timeout", "the callee did not answer"),
        EndReason::Refused(status) => {
            return LegEnd {
                by: "refused",
                status: Some(status.0),
                reason: format!("the callee answered {} {}", status.0, status.reason()),
            }
        }
    };
    LegEnd {
        by,
        status: None,
        reason: text.into(),
    }
}

/// The user part of the Request-URI (unescaped), for the dial plan.
fn request_user(req: &Request) -> Option<String> {
    let uri = crate::sip::uri::Uri::parse(&req.uri).ok()?;
    if let Some(sip) = uri.as_sip() {
        return sip
            .user_unescaped()
            .map(|u| String::from_utf8_lossy(&u).into_owned());
    }
    // tel:1000 (RFC 3966): the number is the whole opaque part.
    let s = String::from_utf8_lossy(&req.uri);
    s.strip_prefix("tel:")
        .map(|n| n.split(';').next().unwrap_or("").to_owned())
}

/// Where a dial-out goes: the URI's IP address and port (5060 by default) and transport, and
/// its user part.
fn dial_target(uri: &str) -> Result<(Peer, String), String> {
    let parsed = crate::sip::uri::Uri::parse(&Bytes::copy_from_slice(uri.as_bytes()))
        .map_err(|e| format!("not a SIP URI: {e}"))?;
    let sip = parsed
        .as_sip()
        .ok_or_else(|| "only sip: URIs can be dialled".to_string())?;
    let host = sip.host.to_string();
    let ip: IpAddr = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| {
            format!("host {host} must be an IP address (roomgate does not resolve names)")
        })?;
    let transport = match sip.transport().map(str::to_ascii_lowercase).as_deref() {
        None | Some("udp") => Transport::Udp,
        Some("tcp") => Transport::Tcp,
        Some(t) => return Err(format!("transport {t} is not supported")),
    };
    let port = sip.port.unwrap_or(5060);
    let user = sip
        .user_unescaped()
        .map(|u| String::from_utf8_lossy(&u).into_owned())
        .unwrap_or_else(|| host.clone());
    Ok((Peer::new(transport, SocketAddr::new(ip, port)), user))
}

/// Why an INVITE's body cannot be used.
#[derive(Debug, PartialEq, Eq)]
enum BodyError {
    /// A type or encoding we do not understand (415, RFC 3261 §8.2.3).
    Unsupported(String),
    /// SDP we cannot parse (400).
    Malformed(String),
    /// Its Accept excludes the SDP our answer must carry (406).
    NotAcceptable,
}

/// Whether an Accept header allows an SDP body (RFC 3261 §20.1: absent means SDP; listed
/// media ranges are matched with their wildcards).
fn accepts_sdp(req: &Request) -> bool {
    let mut values = req.headers.get_all(&HeaderName::Accept).peekable();
    if values.peek().is_none() {
        return true;
    }
    values.any(|v| {
        String::from_utf8_lossy(v).split(',').any(|range| {
            let t = range
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            matches!(t.as_str(), "application/sdp" | "application/*" | "*/*")
        })
    })
}

/// The SDP offer of a request, if it has one.
fn sdp_body(req: &Request) -> Result<Option<sdp::SessionDescription>, BodyError> {
    if !accepts_sdp(req) {
        return Err(BodyError::NotAcceptable);
    }
    if req.body.is_empty() {
        return Ok(None);
    }
    let ct = req
        .content_type()
        .ok()
        .flatten()
        .map(|c| c.to_string().to_ascii_lowercase());
    match ct {
        Some(ct) if ct.starts_with("application/sdp") => {}
        Some(ct) => {
            return Err(BodyError::Unsupported(format!(
                "body type {ct} is not supported"
            )))
        }
        None => return Err(BodyError::Unsupported("body without Content-Type".into())),
    }
    if let Some(enc) = req.headers.get(&HeaderName::ContentEncoding) {
        let enc = String::from_utf8_lossy(enc);
        if !enc.trim().eq_ignore_ascii_case("identity") {
            return Err(BodyError::Unsupported(format!(
                "content encoding {} is not supported",
                enc.trim()
            )));
        }
    }
    sdp::SessionDescription::parse(&req.body)
        .map(Some)
        .map_err(|e| BodyError::Malformed(format!("malformed SDP: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_header_text_is_quoted_safely() {
        assert_eq!(
            reason_value(404, "No \"meeting\" 9"),
            "SIP;cause=404;text=\"No meeting 9\""
        );
    }
}
