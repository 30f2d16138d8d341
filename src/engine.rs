//! The sans-IO gateway: composes SIP, calls, meetings and media behind one drive contract.
//!
//! # Drive contract
//!
//! ```text
//! handle_sip(now, peer, bytes) | handle_media_event(now, ev) | handle_media_failed(now, leg)
//! with_meetings(now, |m| host command) | hangup(now, leg) | begin_shutdown(now)
//! handle_timeout(now)
//!         then drain: poll_output()  → Output   (SIP bytes, media commands, events)
//!                     poll_timeout() → Instant  (call handle_timeout at or after it)
//! ```
//!
//! A call leg is one SIP dialog and one media session. The gateway turns an answered call into
//! a participant of the meeting it dialled (or hands it to the lobby IVR), and carries the
//! meeting's decisions to the media plane: a move re-points the leg's mix subscription and
//! never touches the SIP dialog.
//!
//! The media plane itself runs beside the gateway (one media shard per core in the runtime,
//! each owning its RTP sockets): the gateway speaks to it only through [`Output::Media`],
//! [`Output::MediaOpen`], [`Output::MediaPeer`] and [`Output::MediaClose`], and hears back
//! through [`Gateway::handle_media_event`]. RTP ports are allocated here, so the SDP answer
//! names a port before the shard binds it; the runtime binds it before it sends the answer.

use crate::call::{DialPlan, DialTarget, Ivr, IvrOutput, KeyAction, KeyMap, Keypad};
use crate::media::{self, LegId, MediaEvent, Prompt, PromptTarget};
use crate::meeting::{
    self, Actor, Command, EventKind, JoinRequest, MeetingError, Meetings, ParticipantId, Place,
    Role,
};
use crate::sdp::{self, AudioCodec, LocalMedia, NegotiatedMedia, OfferAnswerState};
use crate::sip::message::{HeaderName, Message, Request, StatusCode};
use crate::sip::transaction::{Peer, Transmit};
use crate::sip::ua::{CallHandle, EndReason, Reply, UaConfig, UaEvent, UserAgent};
use crate::sip::{codec, reject};
use bytes::Bytes;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the gateway needs to know at start. Prompts are loaded by the runtime (the core does
/// no I/O): 16 kHz mono PCM by asset name.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    pub ua: UaConfig,
    pub dial_plan: DialPlan,
    pub keymap: KeyMap,
    /// The address put in our SDP (`c=`, `o=`) for IPv4 peers, and where RTP is bound.
    pub media_address: IpAddr,
    /// The same for IPv6 peers; `None` serves them from `media_address`.
    pub media_address_v6: Option<IpAddr>,
    /// RTP ports to hand out, inclusive; RTP on even ports, RTCP on the next (RFC 3550 §11).
    pub rtp_ports: (u16, u16),
    /// Ring before answering (180 Ringing first). Zero answers at once.
    pub answer_delay: Duration,
    /// Calls beyond this are refused with 503 and Retry-After.
    pub max_legs: usize,
    /// Offer and accept H.264 video.
    pub video: bool,
    pub prompts: HashMap<String, Arc<[i16]>>,
    pub seed: u64,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            ua: UaConfig::default(),
            dial_plan: DialPlan::default(),
            keymap: KeyMap::default(),
            media_address: IpAddr::from([127, 0, 0, 1]),
            media_address_v6: None,
            rtp_ports: (20000, 29999),
            answer_delay: Duration::ZERO,
            max_legs: 20_000,
            video: true,
            prompts: HashMap::new(),
            seed: 0,
        }
    }
}

/// The rate of every prompt asset.
pub const PROMPT_RATE: u32 = 16_000;

/// Where a call leg is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegState {
    /// INVITE received, ringing before the answer.
    Ringing,
    /// Answered, talking to the lobby IVR.
    Lobby,
    /// Answered, waiting for the ACK that carries the answer to our offer.
    AwaitingAnswer,
    /// A participant of a meeting.
    InMeeting,
    /// Hanging up.
    Ending,
}

/// One move of a leg between places, for the operators' history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LegMove {
    #[serde(skip)]
    pub at: Instant,
    pub from: Place,
    pub to: Place,
    pub by: Actor,
}

/// A leg as operators see it (the runtime adds wall-clock times).
#[derive(Clone, Debug, Serialize)]
pub struct LegView {
    pub id: u64,
    pub call_id: String,
    pub local_tag: Option<String>,
    pub remote_tag: Option<String>,
    pub remote: SocketAddr,
    pub transport: &'static str,
    pub user_agent: Option<String>,
    pub name: String,
    pub identity: String,
    pub state: LegState,
    pub meeting: Option<String>,
    pub participant: Option<ParticipantId>,
    pub room: Option<Place>,
    pub audio_codec: Option<String>,
    pub video_codec: Option<String>,
    /// Why video is not flowing, when it was offered but could not be used.
    pub video_note: Option<String>,
    pub muted: bool,
    /// `in` for calls room systems placed, `out` for dial-outs.
    pub direction: &'static str,
    pub moves: Vec<LegMove>,
}

/// Why a leg ended, for its call record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LegEnd {
    /// `caller`, `roomgate`, `timeout`, `refused`, `cancelled`, `network`.
    pub by: &'static str,
    /// The SIP status we answered with, for calls refused before the answer.
    pub status: Option<u16>,
    pub reason: String,
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

/// What the gateway asks of the shell.
#[derive(Debug)]
pub enum Output {
    /// SIP bytes to send.
    Sip(Transmit),
    /// Bind the leg's RTP ports (RTCP on port + 1) on `ip` before sending the next SIP message.
    MediaOpen {
        leg: LegId,
        ip: IpAddr,
        audio_port: u16,
        video_port: Option<u16>,
    },
    /// Where to send the leg's media (`None`: send nothing, e.g. the peer is on hold).
    MediaPeer {
        leg: LegId,
        audio_rtp: Option<SocketAddr>,
        audio_rtcp: Option<SocketAddr>,
        video_rtp: Option<SocketAddr>,
        video_rtcp: Option<SocketAddr>,
        /// RTCP multiplexed on the RTP port (RFC 5761), for audio and for video.
        rtcp_mux: [bool; 2],
    },
    /// A command for the media plane.
    Media(media::MediaCommand),
    /// Release the leg's sockets (after `Media(RemoveLeg)`).
    MediaClose { leg: LegId },
    /// A meeting event, for the store and the event streams.
    Meeting(meeting::Event),
    /// A leg appeared or changed (state, room, codec, a move).
    LegUpdated(Box<LegView>),
    /// A leg ended; its final view and why.
    LegEnded(Box<LegView>, LegEnd),
}

#[derive(Debug)]
struct Leg {
    id: LegId,
    call: CallHandle,
    call_id: String,
    remote_tag: Option<String>,
    local_tag: Option<String>,
    peer: Peer,
    user_agent: Option<String>,
    name: String,
    identity: String,
    state: LegState,
    meeting: Option<String>,
    participant: Option<ParticipantId>,
    room: Option<Place>,
    oa: OfferAnswerState,
    /// Our media address for this leg (of the peer's IP family).
    media_ip: IpAddr,
    audio_port: u16,
    video_port: Option<u16>,
    negotiated: Option<NegotiatedMedia>,
    /// Our offer, when the peer's answer is still to come (offerless INVITE or re-INVITE).
    our_offer: Option<sdp::SessionDescription>,
    media_added: bool,
    /// Join this meeting once the answer arrives (in the ACK, or in the 200 of a dial-out).
    join_on_answer: Option<(String, Option<String>)>,
    /// Dial-out: the breakout room to put the room system in when it answers.
    place_in: Option<meeting::RoomId>,
    /// We placed this call (dial-out).
    outgoing: bool,
    ivr: Option<Ivr>,
    keypad: Keypad,
    /// A delayed answer (ringing first).
    answer_at: Option<(Instant, Reply)>,
    /// Hang up when the goodbye prompt has played.
    hangup_at: Option<Instant>,
    muted: bool,
    moves: Vec<LegMove>,
    accepts_message: bool,
    end: Option<LegEnd>,
}

impl Leg {
    /// A new call leg, ringing, in no meeting yet.
    fn new(
        id: LegId,
        call: CallHandle,
        peer: Peer,
        (name, identity): (String, String),
        oa: OfferAnswerState,
        (audio_port, video_port): (u16, Option<u16>),
        keymap: &KeyMap,
    ) -> Leg {
        Leg {
            id,
            call,
            call_id: String::new(),
            remote_tag: None,
            local_tag: None,
            peer,
            user_agent: None,
            name,
            identity,
            state: LegState::Ringing,
            meeting: None,
            participant: None,
            room: None,
            oa,
            media_ip: IpAddr::from([127, 0, 0, 1]),
            audio_port,
            video_port,
            negotiated: None,
            our_offer: None,
            media_added: false,
            join_on_answer: None,
            place_in: None,
            outgoing: false,
            ivr: None,
            keypad: Keypad::new(keymap.clone()),
            answer_at: None,
            hangup_at: None,
            muted: false,
            moves: Vec::new(),
            accepts_message: false,
            end: None,
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        [
            self.ivr.as_ref().and_then(Ivr::poll_timeout),
            self.keypad.poll_timeout(),
            self.answer_at.as_ref().map(|(t, _)| *t),
            self.hangup_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn has_video(&self) -> bool {
        self.negotiated.as_ref().is_some_and(|n| n.video.is_some())
    }

    fn view(&self) -> LegView {
        let neg = self.negotiated.as_ref();
        LegView {
            id: self.id.0,
            call_id: self.call_id.clone(),
            local_tag: self.local_tag.clone(),
            remote_tag: self.remote_tag.clone(),
            remote: self.peer.addr,
            transport: self.peer.transport.via_token(),
            user_agent: self.user_agent.clone(),
            name: self.name.clone(),
            identity: self.identity.clone(),
            state: self.state,
            // A dial-out belongs to the meeting that placed it, answered or not.
            meeting: self
                .meeting
                .clone()
                .or_else(|| self.join_on_answer.as_ref().map(|(m, _)| m.clone())),
            participant: self.participant,
            room: self.room,
            audio_codec: neg.map(|n| n.audio.codec.encoding.to_string()),
            video_codec: neg
                .and_then(|n| n.video.as_ref())
                .map(|v| v.codec.encoding.to_string()),
            video_note: neg.and_then(|n| {
                n.declined
                    .iter()
                    .find(|d| d.media == "video")
                    .map(|d| d.reason.to_string())
            }),
            muted: self.muted,
            direction: if self.outgoing { "out" } else { "in" },
            moves: self.moves.clone(),
        }
    }
}

/// Hands out RTP port pairs (even RTP, odd RTCP) from the configured range.
#[derive(Debug)]
struct PortPool {
    free: VecDeque<u16>,
}

impl PortPool {
    fn new((lo, hi): (u16, u16)) -> Self {
        let first = lo + (lo % 2);
        let free = (first..hi).step_by(2).collect();
        PortPool { free }
    }
    fn take(&mut self) -> Option<u16> {
        self.free.pop_front()
    }
    fn give(&mut self, port: u16) {
        self.free.push_back(port);
    }
}

/// The gateway. See the module docs for the drive contract.
pub struct Gateway {
    cfg: GatewayConfig,
    ua: UserAgent,
    meetings: Meetings,
    legs: HashMap<LegId, Leg>,
    by_call: HashMap<CallHandle, LegId>,
    by_participant: HashMap<ParticipantId, LegId>,
    rooms: HashMap<meeting::RoomKey, media::RoomKey>,
    ports: PortPool,
    next_leg: u64,
    deadlines: BinaryHeap<Reverse<(Instant, LegId)>>,
    out: VecDeque<Output>,
    rng: SmallRng,
    draining: bool,
    /// Sentences composed from prompt words, shared by every leg that hears them (500 legs
    /// told "breakout room 3" hold one copy, not 500).
    sentences: HashMap<String, Arc<[i16]>>,
    /// Malformed datagrams dropped without an answer.
    pub dropped: u64,
}

impl Gateway {
    pub fn new(cfg: GatewayConfig, meetings: Meetings) -> Gateway {
        let mut rng = SmallRng::seed_from_u64(cfg.seed);
        let ua = UserAgent::new(cfg.ua.clone(), SmallRng::seed_from_u64(rng.gen()));
        Gateway {
            ports: PortPool::new(cfg.rtp_ports),
            cfg,
            ua,
            meetings,
            legs: HashMap::new(),
            by_call: HashMap::new(),
            by_participant: HashMap::new(),
            rooms: HashMap::new(),
            next_leg: 1,
            deadlines: BinaryHeap::new(),
            out: VecDeque::new(),
            rng,
            draining: false,
            sentences: HashMap::new(),
            dropped: 0,
        }
    }

    pub fn meetings(&self) -> &Meetings {
        &self.meetings
    }

    /// Runs a host command against the meetings and carries its effects to the calls and the
    /// media plane.
    pub fn with_meetings<R>(&mut self, now: Instant, f: impl FnOnce(&mut Meetings) -> R) -> R {
        let r = f(&mut self.meetings);
        self.pump(now);
        r
    }

    pub fn leg_count(&self) -> usize {
        self.legs.len()
    }

    pub fn legs(&self) -> impl Iterator<Item = LegView> + '_ {
        self.legs.values().map(Leg::view)
    }

    pub fn leg(&self, id: LegId) -> Option<LegView> {
        self.legs.get(&id).map(Leg::view)
    }

    pub fn ua(&self) -> &UserAgent {
        &self.ua
    }

    // ---- inputs ---------------------------------------------------------------------------

    /// A datagram or a framed stream message from `peer`.
    pub fn handle_sip(&mut self, now: Instant, peer: Peer, data: Bytes) {
        // Headers are typed lazily; check the ones the RFC requires to be well-formed before
        // acting, so a malformed request gets 400 rather than a guess (RFC 4475 §3.1.2).
        match codec::parse(data.clone()).and_then(|m| m.validate().map(|()| m)) {
            Ok(msg) => {
                if let Err(e) = self.ua.handle_message(now, msg, peer) {
                    tracing::debug!(%e, remote = %peer.addr, "SIP message refused");
                }
            }
            Err(e) => match reject::reply_to_unparseable(&data, e.status(), &e.to_string()) {
                // RFC 3261 §8.2 (and RFC 4475): answer what can be answered; never a response
                // to a response or to an ACK.
                Some(resp) => {
                    tracing::debug!(%e, remote = %peer.addr, "malformed request answered");
                    let mut buf = bytes::BytesMut::with_capacity(512);
                    codec::encode(&Message::Response(resp), &mut buf);
                    // §18.2.2: back to where it came from (over its connection on TCP).
                    self.out.push_back(Output::Sip(Transmit {
                        destination: peer,
                        payload: buf.freeze(),
                    }));
                }
                None => {
                    self.dropped += 1;
                    tracing::debug!(%e, remote = %peer.addr, "malformed message dropped");
                }
            },
        }
        self.pump(now);
    }

    /// A message framed off a stream transport (already parsed by the framer).
    pub fn handle_sip_message(&mut self, now: Instant, peer: Peer, msg: Message) {
        if msg.validate().is_err() {
            // Answered as a malformed datagram is (400 naming the header, RFC 4475 §3.1.2).
            return self.handle_sip(now, peer, msg.to_bytes());
        }
        if let Err(e) = self.ua.handle_message(now, msg, peer) {
            tracing::debug!(%e, remote = %peer.addr, "SIP message refused");
        }
        self.pump(now);
    }

    /// The shell could not bind a leg's RTP ports: end that call.
    pub fn handle_media_failed(&mut self, now: Instant, leg: LegId) {
        if let Some(l) = self.legs.get_mut(&leg) {
            tracing::warn!(leg = leg.0, call_id = %l.call_id, "RTP ports unavailable; ending call");
            l.end = Some(LegEnd {
                by: "roomgate",
                status: Some(503),
                reason: "RTP ports unavailable".into(),
            });
            let call = l.call;
            let _ = self.ua.hangup(now, call);
        }
        self.pump(now);
    }

    /// The shell could not deliver SIP to `peer`.
    pub fn handle_transport_error(&mut self, now: Instant, peer: Peer) {
        self.ua.handle_transport_error(now, peer);
        self.pump(now);
    }

    pub fn handle_media_event(&mut self, now: Instant, ev: MediaEvent) {
        match ev {
            MediaEvent::Dtmf { leg, digit, .. } => self.on_digit(now, leg, digit),
            MediaEvent::KeyframeNeeded { leg } => {
                // Room systems that ignore RTCP feedback honour this (RFC 5168).
                if let Some(l) = self.legs.get(&leg).filter(|l| l.has_video()) {
                    let call = l.call;
                    let _ = self.ua.info(
                        now,
                        call,
                        "application/media_control+xml",
                        Bytes::from_static(PICTURE_FAST_UPDATE),
                    );
                }
            }
            MediaEvent::Stats(_)
            | MediaEvent::Talking { .. }
            | MediaEvent::ActiveSpeaker { .. }
            | MediaEvent::PromptDone { .. } => {}
        }
        self.pump(now);
    }

    /// Hangs up a leg (operator or host action).
    pub fn hangup(&mut self, now: Instant, leg: LegId) -> bool {
        let Some(l) = self.legs.get_mut(&leg) else {
            return false;
        };
        l.end.get_or_insert(LegEnd {
            by: "roomgate",
            status: None,
            reason: "hung up by an operator".into(),
        });
        let call = l.call;
        let ok = self.ua.hangup(now, call).is_ok();
        self.pump(now);
        ok
    }

    /// Calls a room system into `meeting` as a UAC (RFC 3261 §13.2). The call joins the meeting
    /// when it answers (and goes to `room`, if given); ringing, answer and failure show as leg
    /// updates and, at the end, a call record with the SIP status.
    pub fn dial_out(
        &mut self,
        now: Instant,
        meeting: &str,
        req: DialOut,
    ) -> Result<LegId, DialOutError> {
        if self.draining {
            return Err(DialOutError::ShuttingDown);
        }
        self.meetings.key(meeting)?;
        let ring_s = req.ring_timeout_s.unwrap_or(DEFAULT_RING_TIMEOUT_S);
        if !(1..=600).contains(&ring_s) {
            return Err(DialOutError::RingTimeout(ring_s));
        }
        if let Some(room) = req.room {
            let rooms = self
                .meetings
                .breakouts(now, meeting)
                .map(|b| b.rooms)
                .unwrap_or_default();
            if !rooms.iter().any(|r| r.id == room) {
                return Err(DialOutError::UnknownRoom(room));
            }
        }
        let (destination, user) = dial_target(&req.uri).map_err(DialOutError::Uri)?;
        let audio_port = self.ports.take().ok_or(DialOutError::NoPorts)?;
        let video_port = if self.cfg.video {
            self.ports.take()
        } else {
            None
        };
        let mut oa = OfferAnswerState::new(self.rng.gen::<u32>() as u64);
        let media_ip = self.media_ip_for(&destination);
        let local = self.local_media(media_ip, audio_port, video_port);
        let sd = sdp::offer(&local, &mut oa);
        let dial = crate::sip::ua::Dial {
            target: req.uri.clone(),
            from: format!(
                "sip:{meeting}@{}",
                match &self.cfg.ua.sent_by_v6 {
                    Some(v6) if destination.addr.is_ipv6() => v6,
                    _ => &self.cfg.ua.sent_by,
                }
            ),
            destination,
            sdp: sd.to_bytes(),
            ring_timeout: Duration::from_secs(ring_s.into()),
        };
        let call = match self.ua.dial(now, dial) {
            Ok(c) => c,
            Err(e) => {
                self.release_ports(audio_port, video_port);
                return Err(DialOutError::Uri(e.to_string()));
            }
        };
        let id = LegId(self.next_leg);
        self.next_leg += 1;
        let name = req.name.clone().unwrap_or_else(|| user.clone());
        let call_id = self.ua.call_id(call).unwrap_or_default().to_owned();
        let mut leg = Leg::new(
            id,
            call,
            destination,
            (name, req.uri.clone()),
            oa,
            (audio_port, video_port),
            &self.cfg.keymap,
        );
        leg.call_id = call_id;
        leg.our_offer = Some(sd);
        leg.join_on_answer = Some((meeting.to_owned(), None));
        leg.place_in = req.room;
        leg.outgoing = true;
        leg.media_ip = media_ip;
        tracing::info!(leg = id.0, uri = %req.uri, %meeting, "dialling out");
        self.legs.insert(id, leg);
        self.by_call.insert(call, id);
        self.out.push_back(Output::MediaOpen {
            leg: id,
            ip: media_ip,
            audio_port,
            video_port,
        });
        self.pump(now);
        self.updated(id);
        Ok(id)
    }

    /// Refuse new calls (503) and hang up every leg; the shell waits for `leg_count() == 0`.
    pub fn begin_shutdown(&mut self, now: Instant) {
        self.draining = true;
        let calls: Vec<CallHandle> = self.legs.values().map(|l| l.call).collect();
        for l in self.legs.values_mut() {
            l.end.get_or_insert(LegEnd {
                by: "roomgate",
                status: None,
                reason: "roomgate shutting down".into(),
            });
        }
        for c in calls {
            let _ = self.ua.hangup(now, c);
        }
        self.pump(now);
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.ua.handle_timeout(now);
        self.meetings.handle_timeout(now);
        while let Some(Reverse((at, leg))) = self.deadlines.peek().copied() {
            if at > now {
                break;
            }
            self.deadlines.pop();
            self.on_leg_timer(now, leg);
        }
        self.pump(now);
    }

    // ---- outputs --------------------------------------------------------------------------

    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    pub fn poll_timeout(&mut self) -> Option<Instant> {
        // Drop stale leg deadlines so the shell never wakes for nothing twice.
        while let Some(Reverse((at, leg))) = self.deadlines.peek().copied() {
            if self
                .legs
                .get(&leg)
                .and_then(Leg::next_deadline)
                .is_some_and(|d| d <= at)
            {
                break;
            }
            self.deadlines.pop();
        }
        [
            self.ua.poll_timeout(),
            self.meetings.poll_timeout(),
            self.deadlines.peek().map(|Reverse((at, _))| *at),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ---- the pump: UA events, meeting effects ----------------------------------------------

    fn pump(&mut self, now: Instant) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.ua.poll_transmit() {
                self.out.push_back(Output::Sip(t));
                progressed = true;
            }
            while let Some(ev) = self.ua.poll_event() {
                self.on_ua_event(now, ev);
                progressed = true;
            }
            while let Some(cmd) = self.meetings.poll_media() {
                self.on_meeting_media(cmd);
                progressed = true;
            }
            while let Some(ev) = self.meetings.poll_event() {
                self.on_meeting_event(now, &ev);
                self.out.push_back(Output::Meeting(ev));
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
    }

    fn schedule(&mut self, leg: LegId) {
        if let Some(at) = self.legs.get(&leg).and_then(Leg::next_deadline) {
            self.deadlines.push(Reverse((at, leg)));
        }
    }

    fn updated(&mut self, leg: LegId) {
        if let Some(l) = self.legs.get(&leg) {
            self.out.push_back(Output::LegUpdated(Box::new(l.view())));
        }
    }

    fn on_ua_event(&mut self, now: Instant, ev: UaEvent) {
        match ev {
            UaEvent::IncomingCall {
                call,
                request,
                source,
            } => self.on_incoming(now, call, request, source),
            UaEvent::Confirmed { call, ack_body } => self.on_ack(now, call, ack_body),
            UaEvent::Offer { call, body, .. } => self.on_offer(now, call, body),
            UaEvent::OfferAcked { call, ack_body } => self.on_ack(now, call, ack_body),
            UaEvent::OfferCancelled { call } => {
                if let Some(l) = self.by_call.get(&call).and_then(|id| self.legs.get_mut(id)) {
                    l.our_offer = None;
                }
            }
            UaEvent::Progress { call, status, .. } => {
                if let Some(&id) = self.by_call.get(&call) {
                    tracing::info!(leg = id.0, status = status.0, "dial-out progress");
                    self.updated(id);
                }
            }
            UaEvent::Answered { call, body } => self.on_dial_answered(now, call, body),
            UaEvent::OfferAnswered { .. } => {}
            UaEvent::Info {
                call,
                content_type,
                body,
            } => self.on_info(now, call, &content_type, &body),
            UaEvent::Message { call, body, .. } => {
                if let Some(id) = self.by_call.get(&call) {
                    tracing::info!(leg = id.0, text = %String::from_utf8_lossy(&body), "MESSAGE from a leg");
                }
            }
            UaEvent::RequestFailed {
                call,
                method,
                status,
            } => {
                // e.g. a room system that refuses MESSAGE or picture_fast_update: not fatal.
                if let Some(id) = self.by_call.get(&call) {
                    tracing::debug!(leg = id.0, %method, status = status.0, "in-dialog request refused");
                }
            }
            UaEvent::Terminated { call, reason } => self.on_terminated(now, call, reason),
        }
    }

    // ---- calls ----------------------------------------------------------------------------

    fn on_incoming(&mut self, now: Instant, call: CallHandle, req: Request, source: Peer) {
        let call_id = req
            .call_id()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default();
        let span = tracing::info_span!("call", call_id = %call_id);
        let _g = span.enter();
        if self.draining || self.legs.len() >= self.cfg.max_legs {
            let why = if self.draining {
                "roomgate is shutting down"
            } else {
                "roomgate is at capacity"
            };
            let reply = Reply::new(StatusCode::SERVICE_UNAVAILABLE)
                .header(HeaderName::RetryAfter, "30")
                .header(HeaderName::Reason, reason_value(503, why));
            let _ = self.ua.answer(now, call, reply);
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
        let target = self.cfg.dial_plan.route(request_user(&req).as_deref());

        if let DialTarget::Meeting { meeting, .. } = &target {
            if self.meetings.key(meeting).is_err() {
                let text = format!("No meeting {meeting}");
                tracing::info!(%meeting, "call refused: unknown meeting");
                self.reject(now, call, StatusCode::NOT_FOUND, &text);
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
                let _ = self.ua.answer(now, call, reply);
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
                let _ = self.ua.answer(now, call, reply);
                return;
            }
            Err(BodyError::Malformed(text)) => {
                self.reject(now, call, StatusCode::BAD_REQUEST, &text);
                return;
            }
        };
        let wants_video = self.cfg.video
            && offer
                .as_ref()
                .is_none_or(|o| o.media.iter().any(|m| m.media == "video"));
        let Some(audio_port) = self.ports.take() else {
            self.reject(
                now,
                call,
                StatusCode::SERVICE_UNAVAILABLE,
                "No RTP ports left",
            );
            return;
        };
        let video_port = if wants_video { self.ports.take() } else { None };
        let id = LegId(self.next_leg);
        self.next_leg += 1;
        let mut oa = OfferAnswerState::new(self.rng.gen::<u32>() as u64);
        let media_ip = self.media_ip_for(&source);
        let local = self.local_media(media_ip, audio_port, video_port);
        let (body, negotiated, our_offer) = match &offer {
            Some(o) => match sdp::answer(o, &local, &mut oa) {
                Ok((sd, nm)) => (sd.to_bytes(), Some(nm), None),
                Err(e) => {
                    self.release_ports(audio_port, video_port);
                    let (code, text) = e.warning();
                    let reply = Reply::new(StatusCode::NOT_ACCEPTABLE_HERE)
                        .header(
                            HeaderName::Other(Bytes::from_static(b"Warning")),
                            format!("{code} roomgate \"{text}\""),
                        )
                        .header(HeaderName::Reason, reason_value(488, &e.to_string()));
                    tracing::info!(error = %e, "call refused: no common media");
                    let _ = self.ua.answer(now, call, reply);
                    return;
                }
            },
            None => {
                let sd = sdp::offer(&local, &mut oa);
                (sd.to_bytes(), None, Some(sd))
            }
        };
        let accepts_message = req
            .allow()
            .ok()
            .flatten()
            .is_some_and(|a| a.to_string().to_ascii_uppercase().contains("MESSAGE"));
        let mut leg = Leg::new(
            id,
            call,
            source,
            (name, identity),
            oa,
            (audio_port, video_port),
            &self.cfg.keymap,
        );
        leg.call_id = call_id;
        leg.remote_tag = from.as_ref().and_then(|f| f.tag().map(str::to_owned));
        leg.user_agent = req
            .user_agent()
            .ok()
            .flatten()
            .map(|u| u.0.as_str().to_owned());
        leg.our_offer = our_offer;
        leg.accepts_message = accepts_message;
        leg.media_ip = media_ip;
        tracing::info!(leg = id.0, %target, remote = %source.addr, "incoming call");
        self.legs.insert(id, leg);
        self.by_call.insert(call, id);
        self.out.push_back(Output::MediaOpen {
            leg: id,
            ip: media_ip,
            audio_port,
            video_port,
        });
        if let Some(nm) = negotiated {
            self.add_media(id, nm);
        }

        // Into the meeting, or the lobby.
        match target {
            DialTarget::Meeting { meeting, passcode }
                if passcode.is_none()
                    && self.legs[&id].media_added
                    && self.needs_passcode(now, &meeting).unwrap_or(false) =>
            {
                // Dialled without the passcode: ask for it rather than refuse the call.
                let l = self.legs.get_mut(&id).expect("inserted above");
                l.state = LegState::Lobby;
                l.ivr = Some(Ivr::for_passcode(now, &meeting));
            }
            DialTarget::Meeting { meeting, passcode } => {
                if self.legs[&id].media_added {
                    if let Err(e) = self.join(now, id, &meeting, passcode) {
                        let (status, text) = join_refusal(&meeting, &e);
                        self.drop_leg_media(id);
                        self.reject(now, call, status, &text);
                        self.forget(id);
                        return;
                    }
                } else {
                    // The answer to our offer arrives in the ACK; check the passcode now
                    // anyway so a wrong one is refused before we answer.
                    if let Err(e) = self.check_passcode(now, &meeting, passcode.as_deref()) {
                        let (status, text) = join_refusal(&meeting, &e);
                        self.drop_leg_media(id);
                        self.reject(now, call, status, &text);
                        self.forget(id);
                        return;
                    }
                    let l = self.legs.get_mut(&id).expect("inserted above");
                    l.join_on_answer = Some((meeting, passcode));
                    l.state = LegState::AwaitingAnswer;
                }
            }
            DialTarget::Lobby => {
                let l = self.legs.get_mut(&id).expect("inserted above");
                l.state = LegState::Lobby;
                l.ivr = Some(Ivr::new(now));
            }
        }

        let reply = Reply::sdp(StatusCode::OK, body);
        if self.cfg.answer_delay.is_zero() {
            self.answer(now, id, reply);
        } else {
            let _ = self.ua.answer(now, call, Reply::new(StatusCode::RINGING));
            let l = self.legs.get_mut(&id).expect("inserted above");
            l.answer_at = Some((now + self.cfg.answer_delay, reply));
            self.schedule(id);
        }
        self.run_ivr(now, id);
        self.updated(id);
    }

    fn answer(&mut self, now: Instant, id: LegId, reply: Reply) {
        let Some(l) = self.legs.get(&id) else { return };
        let call = l.call;
        if let Err(e) = self.ua.answer(now, call, reply) {
            tracing::debug!(leg = id.0, %e, "answer not sent");
            return;
        }
        let tag = self.ua.dialog(call).map(|d| d.id.local_tag.clone());
        if let Some(l) = self.legs.get_mut(&id) {
            l.local_tag = tag;
        }
    }

    fn reject(&mut self, now: Instant, call: CallHandle, status: StatusCode, text: &str) {
        let reply = Reply::new(status).header(HeaderName::Reason, reason_value(status.0, text));
        let _ = self.ua.answer(now, call, reply);
    }

    fn check_passcode(
        &self,
        now: Instant,
        meeting: &str,
        given: Option<&str>,
    ) -> Result<(), MeetingError> {
        match self.needs_passcode(now, meeting)? {
            true if given.is_none() => Err(MeetingError::WrongPasscode),
            _ => Ok(()),
        }
    }

    fn needs_passcode(&self, _now: Instant, meeting: &str) -> Result<bool, MeetingError> {
        self.meetings.has_passcode(meeting)
    }

    fn join(
        &mut self,
        now: Instant,
        id: LegId,
        meeting: &str,
        passcode: Option<String>,
    ) -> Result<ParticipantId, MeetingError> {
        let l = &self.legs[&id];
        let req = JoinRequest {
            name: l.name.clone(),
            identity: l.identity.clone(),
            role: Role::Participant,
            passcode,
        };
        // Register the leg before the meeting's Attach comes out of the pump.
        let pid = self.meetings.join(now, meeting, req)?;
        self.by_participant.insert(pid, id);
        let l = self.legs.get_mut(&id).expect("checked above");
        l.participant = Some(pid);
        l.meeting = Some(meeting.to_owned());
        l.state = LegState::InMeeting;
        l.ivr = None;
        tracing::info!(leg = id.0, participant = pid.0, %meeting, "joined meeting");
        Ok(pid)
    }

    /// Our media address for a peer: of its IP family when we have one.
    fn media_ip_for(&self, peer: &Peer) -> IpAddr {
        match (peer.addr.is_ipv6(), self.cfg.media_address_v6) {
            (true, Some(v6)) => v6,
            _ => self.cfg.media_address,
        }
    }

    fn local_media(&self, ip: IpAddr, audio_port: u16, video_port: Option<u16>) -> LocalMedia {
        let mut local = LocalMedia::new(ip, audio_port, video_port);
        // RFC 5761: one socket per stream when the peer agrees (both are bound until then).
        local.rtcp_mux = true;
        // Wideband first: Opus (mixed at 16 kHz, with FEC), then G.722, then G.711.
        local.audio_codecs = vec![
            AudioCodec::Opus,
            AudioCodec::G722,
            AudioCodec::Pcmu,
            AudioCodec::Pcma,
        ];
        local
    }

    fn release_ports(&mut self, audio: u16, video: Option<u16>) {
        self.ports.give(audio);
        if let Some(v) = video {
            self.ports.give(v);
        }
    }

    /// Tells the media plane about a leg's negotiated media (first time or after a change).
    fn add_media(&mut self, id: LegId, nm: NegotiatedMedia) {
        let Some(l) = self.legs.get_mut(&id) else {
            return;
        };
        let changed = l.negotiated.as_ref().is_none_or(|old| {
            old.audio.codec != nm.audio.codec
                || old.audio.telephone_event != nm.audio.telephone_event
                || old.video.as_ref().map(|v| &v.codec) != nm.video.as_ref().map(|v| &v.codec)
        });
        let peer = Output::MediaPeer {
            leg: id,
            audio_rtp: nm.audio.remote_rtp.filter(|_| !nm.remote_hold),
            audio_rtcp: nm.audio.remote_rtcp,
            video_rtp: nm
                .video
                .as_ref()
                .and_then(|v| v.remote_rtp)
                .filter(|_| !nm.remote_hold),
            video_rtcp: nm.video.as_ref().and_then(|v| v.remote_rtcp),
            rtcp_mux: [
                nm.audio.rtcp_mux,
                nm.video.as_ref().is_some_and(|v| v.rtcp_mux),
            ],
        };
        if changed {
            let params = media::LegParams {
                audio: media::AudioParams {
                    codec: nm.audio.codec.encoding,
                    payload_type: nm.audio.codec.payload_type,
                    telephone_event_pt: nm.audio.telephone_event.map(|t| t.payload_type),
                    telephone_event_clock: nm
                        .audio
                        .telephone_event
                        .map(|t| t.clock_rate)
                        .filter(|&r| r != nm.audio.codec.encoding.clock_rate()),
                    fmtp: nm.audio.codec.fmtp.clone(),
                    local_ssrc: self.rng.gen(),
                },
                video: nm.video.as_ref().map(|v| media::VideoParams {
                    payload_type: v.codec.payload_type,
                    fmtp: v.codec.fmtp.clone().unwrap_or_default(),
                    local_ssrc: self.rng.gen(),
                }),
                cname: format!("roomgate-{}", id.0),
            };
            if l.media_added {
                self.out
                    .push_back(Output::Media(media::MediaCommand::RemoveLeg { leg: id }));
            }
            self.out
                .push_back(Output::Media(media::MediaCommand::AddLeg {
                    leg: id,
                    params,
                }));
            // Re-attach where it was, so a codec change never drops it out of its room.
            if let (Some(room), Some(pid)) = (l.room, l.participant) {
                let key = meeting::RoomKey {
                    meeting: self
                        .meetings
                        .key(l.meeting.as_deref().unwrap_or_default())
                        .expect("a participant's meeting exists"),
                    room,
                };
                let _ = pid;
                let mroom = media_room(&mut self.rooms, key);
                self.out
                    .push_back(Output::Media(media::MediaCommand::Attach {
                        leg: id,
                        room: mroom,
                    }));
                if l.muted {
                    self.out.push_back(Output::Media(media::MediaCommand::Mute {
                        leg: id,
                        muted: true,
                    }));
                }
            }
        }
        self.out.push_back(peer);
        l.media_added = true;
        l.negotiated = Some(nm);
    }

    fn drop_leg_media(&mut self, id: LegId) {
        let Some(l) = self.legs.get_mut(&id) else {
            return;
        };
        if l.media_added {
            self.out
                .push_back(Output::Media(media::MediaCommand::RemoveLeg { leg: id }));
            l.media_added = false;
        }
        self.out.push_back(Output::MediaClose { leg: id });
    }

    /// Removes a leg that never became a call (refused before the answer).
    fn forget(&mut self, id: LegId) {
        if let Some(l) = self.legs.remove(&id) {
            self.by_call.remove(&l.call);
            self.release_ports(l.audio_port, l.video_port);
        }
    }

    fn on_ack(&mut self, now: Instant, call: CallHandle, ack_body: Bytes) {
        let Some(&id) = self.by_call.get(&call) else {
            return;
        };
        let Some(l) = self.legs.get_mut(&id) else {
            return;
        };
        let Some(our) = l.our_offer.take() else {
            return;
        };
        let answer = match sdp::SessionDescription::parse(&ack_body) {
            Ok(a) => a,
            Err(e) => {
                // RFC 3261 §13.2.2.4 leaves a bad answer in an ACK to the UAC; we end the call.
                tracing::info!(leg = id.0, %e, "unusable answer in ACK; ending call");
                l.end = Some(LegEnd {
                    by: "roomgate",
                    status: None,
                    reason: format!("unusable SDP answer in ACK: {e}"),
                });
                let _ = self.ua.hangup(now, call);
                return;
            }
        };
        match sdp::accept_answer(&our, &answer, &mut l.oa) {
            Ok(nm) => {
                self.add_media(id, nm);
                if let Some((meeting, passcode)) =
                    self.legs.get_mut(&id).and_then(|l| l.join_on_answer.take())
                {
                    if let Err(e) = self.join(now, id, &meeting, passcode) {
                        let (_, text) = join_refusal(&meeting, &e);
                        tracing::info!(leg = id.0, %text, "could not join after ACK");
                        let _ = self.ua.hangup(now, call);
                    }
                }
                self.updated(id);
            }
            Err(e) => {
                tracing::info!(leg = id.0, %e, "answer does not fit our offer; ending call");
                let _ = self.ua.hangup(now, call);
            }
        }
    }

    /// Our dial-out was answered: media from the answer, then into the meeting and its room.
    fn on_dial_answered(&mut self, now: Instant, call: CallHandle, body: Bytes) {
        let Some(&id) = self.by_call.get(&call) else {
            return;
        };
        // The dialog exists now: the leg's identifiers come from it.
        if let (Some(d), Some(l)) = (self.ua.dialog(call), self.legs.get_mut(&id)) {
            l.call_id = d.id.call_id.clone();
            l.local_tag = Some(d.id.local_tag.clone());
            l.remote_tag = Some(d.id.remote_tag.clone());
        }
        self.on_ack(now, call, body);
        let Some(l) = self.legs.get_mut(&id) else {
            return;
        };
        let (Some(room), Some(pid), Some(meeting)) =
            (l.place_in.take(), l.participant, l.meeting.clone())
        else {
            return;
        };
        // Into the room now if rooms are open; otherwise it becomes the assignment, applied
        // when they open.
        let moved = self.meetings.handle(
            now,
            &meeting,
            Actor::Host,
            Command::Move {
                participant: pid,
                to: Place::Room(room),
            },
        );
        if moved.is_err() {
            let _ = self.meetings.handle(
                now,
                &meeting,
                Actor::Host,
                Command::Assign {
                    participant: pid,
                    room: Some(room),
                },
            );
        }
        self.updated(id);
    }

    /// A re-INVITE or UPDATE (RFC 3311) from the peer: hold, resume, a codec change.
    fn on_offer(&mut self, now: Instant, call: CallHandle, body: Bytes) {
        let Some(&id) = self.by_call.get(&call) else {
            return;
        };
        let local = {
            let l = &self.legs[&id];
            self.local_media(l.media_ip, l.audio_port, l.video_port)
        };
        let l = self.legs.get_mut(&id).expect("mapped legs exist");
        if body.is_empty() {
            // An offerless re-INVITE: our offer in the 200, the answer in the ACK.
            let sd = sdp::offer(&local, &mut l.oa);
            let bytes = sd.to_bytes();
            l.our_offer = Some(sd);
            let _ = self
                .ua
                .answer_offer(now, call, Reply::sdp(StatusCode::OK, bytes));
            return;
        }
        let offer = match sdp::SessionDescription::parse(&body) {
            Ok(o) => o,
            Err(e) => {
                let reply = Reply::new(StatusCode::BAD_REQUEST).header(
                    HeaderName::Reason,
                    reason_value(400, &format!("malformed SDP: {e}")),
                );
                let _ = self.ua.answer_offer(now, call, reply);
                return;
            }
        };
        match sdp::answer(&offer, &local, &mut l.oa) {
            Ok((sd, nm)) => {
                if let Some(h) = nm.hold_event {
                    tracing::info!(leg = id.0, event = ?h, "hold state changed");
                }
                let _ = self
                    .ua
                    .answer_offer(now, call, Reply::sdp(StatusCode::OK, sd.to_bytes()));
                self.add_media(id, nm);
                self.updated(id);
            }
            Err(e) => {
                // RFC 3264 §8: a refused re-offer leaves the session as it was.
                let (code, text) = e.warning();
                let reply = Reply::new(StatusCode::NOT_ACCEPTABLE_HERE).header(
                    HeaderName::Other(Bytes::from_static(b"Warning")),
                    format!("{code} roomgate \"{text}\""),
                );
                let _ = self.ua.answer_offer(now, call, reply);
            }
        }
    }

    fn on_info(&mut self, now: Instant, call: CallHandle, content_type: &str, body: &[u8]) {
        let Some(&id) = self.by_call.get(&call) else {
            return;
        };
        let ct = content_type.to_ascii_lowercase();
        if ct.starts_with("application/dtmf-relay") {
            // "Signal=5\r\nDuration=160": the de-facto format room systems send.
            let text = String::from_utf8_lossy(body);
            if let Some(d) = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("Signal="))
                .and_then(|s| s.trim().chars().next())
            {
                self.on_digit(now, id, d);
            }
        } else if ct.starts_with("application/dtmf") {
            if let Some(d) = String::from_utf8_lossy(body).trim().chars().next() {
                self.on_digit(now, id, d);
            }
        } else if ct.starts_with("application/media_control+xml") {
            // The peer asks for a keyframe of the video it receives: ask every other leg of its
            // room, since any of them may be the speaker it sees.
            let l = &self.legs[&id];
            if let (Some(m), Some(room)) = (l.meeting.clone(), l.room) {
                let others: Vec<LegId> = self
                    .legs
                    .values()
                    .filter(|o| {
                        o.id != id && o.meeting.as_deref() == Some(&m) && o.room == Some(room)
                    })
                    .map(|o| o.id)
                    .collect();
                for leg in others {
                    self.request_keyframe(leg);
                }
            }
        }
    }

    fn on_terminated(&mut self, now: Instant, call: CallHandle, reason: EndReason) {
        let Some(id) = self.by_call.remove(&call) else {
            return;
        };
        let Some(mut l) = self.legs.remove(&id) else {
            return;
        };
        let span = tracing::info_span!("call", leg = id.0, call_id = %l.call_id);
        let _g = span.enter();
        if let (Some(m), Some(pid)) = (l.meeting.clone(), l.participant) {
            self.by_participant.remove(&pid);
            // The meeting may have ended already (that is why we hung up).
            let _ = self.meetings.leave(now, &m, pid);
        }
        if l.media_added {
            self.out
                .push_back(Output::Media(media::MediaCommand::RemoveLeg { leg: id }));
        }
        self.out.push_back(Output::MediaClose { leg: id });
        self.release_ports(l.audio_port, l.video_port);
        let end = l.end.take().unwrap_or_else(|| end_from(reason));
        tracing::info!(?reason, by = end.by, "call ended");
        l.state = LegState::Ending;
        self.out
            .push_back(Output::LegEnded(Box::new(l.view()), end));
    }

    fn on_leg_timer(&mut self, now: Instant, id: LegId) {
        let Some(l) = self.legs.get_mut(&id) else {
            return;
        };
        if let Some(ivr) = l.ivr.as_mut() {
            ivr.handle_timeout(now);
        }
        l.keypad.handle_timeout(now);
        if l.answer_at.as_ref().is_some_and(|(t, _)| *t <= now) {
            let (_, reply) = l.answer_at.take().expect("checked");
            self.answer(now, id, reply);
        }
        let l = self.legs.get_mut(&id).expect("still there");
        if l.hangup_at.is_some_and(|t| t <= now) {
            l.hangup_at = None;
            let call = l.call;
            let _ = self.ua.hangup(now, call);
        }
        self.run_ivr(now, id);
        self.schedule(id);
    }

    // ---- keypad and IVR -------------------------------------------------------------------

    fn on_digit(&mut self, now: Instant, id: LegId, digit: char) {
        let Some(l) = self.legs.get_mut(&id) else {
            return;
        };
        tracing::debug!(leg = id.0, %digit, "digit");
        if let Some(ivr) = l.ivr.as_mut() {
            ivr.digit(now, digit);
            self.run_ivr(now, id);
        } else if let Some(action) = l.keypad.digit(now, digit) {
            self.on_key_action(now, id, action);
        }
        self.schedule(id);
    }

    fn run_ivr(&mut self, now: Instant, id: LegId) {
        while let Some(out) = self
            .legs
            .get_mut(&id)
            .and_then(|l| l.ivr.as_mut())
            .and_then(Ivr::poll_output)
        {
            match out {
                IvrOutput::Play(names) => self.play(PromptTarget::Leg(id), &names),
                IvrOutput::Lookup { meeting } => {
                    let found = self.needs_passcode(now, &meeting).ok();
                    if let Some(ivr) = self.legs.get_mut(&id).and_then(|l| l.ivr.as_mut()) {
                        ivr.meeting_found(now, found);
                    }
                }
                IvrOutput::Join { meeting, passcode } => {
                    if let Err(e) = self.join(now, id, &meeting, passcode) {
                        tracing::info!(leg = id.0, error = %e, "IVR join refused");
                        if let Some(ivr) = self.legs.get_mut(&id).and_then(|l| l.ivr.as_mut()) {
                            ivr.passcode_refused(now);
                        }
                    } else {
                        self.updated(id);
                    }
                }
                IvrOutput::Hangup => {
                    let ms = self.prompt_ms(&["invalid_meeting", "goodbye"]);
                    if let Some(l) = self.legs.get_mut(&id) {
                        l.ivr = None;
                        l.end = Some(LegEnd {
                            by: "roomgate",
                            status: None,
                            reason: "no valid meeting entered at the lobby".into(),
                        });
                        l.hangup_at = Some(now + Duration::from_millis(ms + 300));
                    }
                }
            }
        }
        self.schedule(id);
    }

    fn on_key_action(&mut self, now: Instant, id: LegId, action: KeyAction) {
        let l = &self.legs[&id];
        let (Some(meeting), Some(pid)) = (l.meeting.clone(), l.participant) else {
            return;
        };
        let actor = Actor::Participant(pid);
        let cmd = match action {
            KeyAction::Menu => {
                self.play(PromptTarget::Leg(id), &["keypad_menu"]);
                return;
            }
            KeyAction::WhereAmI => {
                self.announce_place(now, id);
                return;
            }
            KeyAction::ToggleMute => Command::Mute {
                participant: pid,
                muted: !l.muted,
            },
            KeyAction::AskForHelp => Command::RequestHelp { participant: pid },
            KeyAction::ReturnToMain => Command::Move {
                participant: pid,
                to: Place::Main,
            },
            KeyAction::JoinRoom(n) => {
                let room = self
                    .meetings
                    .breakouts(now, &meeting)
                    .ok()
                    .and_then(|b| b.rooms.get(n as usize - 1).map(|r| r.id));
                match room {
                    Some(room) => Command::Move {
                        participant: pid,
                        to: Place::Room(room),
                    },
                    None => {
                        self.play(PromptTarget::Leg(id), &["not_allowed"]);
                        return;
                    }
                }
            }
        };
        let ack = match &cmd {
            Command::RequestHelp { .. } => Some("help_requested"),
            _ => None,
        };
        match self.meetings.handle(now, &meeting, actor, cmd) {
            Ok(_) => {
                if let Some(p) = ack {
                    self.play(PromptTarget::Leg(id), &[p]);
                }
            }
            Err(e) => {
                tracing::info!(leg = id.0, error = %e, "keypad command refused");
                self.play(PromptTarget::Leg(id), &["not_allowed"]);
            }
        }
    }

    // ---- meetings → calls and media ---------------------------------------------------------

    fn on_meeting_media(&mut self, cmd: meeting::MediaCommand) {
        use media::MediaCommand as M;
        use meeting::MediaCommand as C;
        match cmd {
            C::Attach { participant, room }
            | C::Move {
                participant,
                to: room,
            } => {
                let Some(leg) = self.leg_of(&participant) else {
                    return;
                };
                let mroom = media_room(&mut self.rooms, room);
                if let Some(l) = self.legs.get_mut(&leg) {
                    l.room = Some(room.room);
                }
                self.out
                    .push_back(Output::Media(M::Attach { leg, room: mroom }));
                self.request_keyframe(leg);
                self.updated(leg);
            }
            C::Exchange { a, a_to, b, b_to } => {
                let (Some(la), Some(lb)) = (self.leg_of(&a), self.leg_of(&b)) else {
                    return;
                };
                for (leg, to) in [(la, a_to), (lb, b_to)] {
                    if let Some(l) = self.legs.get_mut(&leg) {
                        l.room = Some(to.room);
                    }
                }
                self.out
                    .push_back(Output::Media(M::Exchange { a: la, b: lb }));
                self.request_keyframe(la);
                self.request_keyframe(lb);
            }
            C::Detach { participant } => {
                if let Some(leg) = self.leg_of(&participant) {
                    if let Some(l) = self.legs.get_mut(&leg) {
                        l.room = None;
                    }
                    self.out.push_back(Output::Media(M::Detach { leg }));
                }
            }
            C::Mute { participant, muted } => {
                if let Some(leg) = self.leg_of(&participant) {
                    if let Some(l) = self.legs.get_mut(&leg) {
                        l.muted = muted;
                    }
                    self.out.push_back(Output::Media(M::Mute { leg, muted }));
                }
            }
        }
    }

    fn on_meeting_event(&mut self, now: Instant, ev: &meeting::Event) {
        match &ev.kind {
            EventKind::MeetingEnded { participants } => {
                for p in participants {
                    if let Some(leg) = self.leg_of(p) {
                        if let Some(l) = self.legs.get_mut(&leg) {
                            l.end = Some(LegEnd {
                                by: "roomgate",
                                status: None,
                                reason: "the meeting ended".into(),
                            });
                            let call = l.call;
                            self.by_participant.remove(p);
                            l.participant = None;
                            let _ = self.ua.hangup_with_reason(
                                now,
                                call,
                                reason_value(200, "The meeting has ended"),
                            );
                        }
                    }
                }
            }
            EventKind::ParticipantMoved {
                participant,
                from,
                to,
                by,
            } => {
                if let Some(leg) = self.leg_of(participant) {
                    self.record_move(now, leg, *from, *to, *by);
                    self.announce_place(now, leg);
                }
            }
            EventKind::ParticipantsExchanged {
                a,
                a_to,
                b,
                b_to,
                by,
            } => {
                for (p, from, to) in [(a, *b_to, *a_to), (b, *a_to, *b_to)] {
                    if let Some(leg) = self.leg_of(p) {
                        self.record_move(now, leg, from, to, *by);
                        self.announce_place(now, leg);
                    }
                }
            }
            EventKind::ParticipantMuted {
                participant, muted, ..
            } => {
                if let Some(leg) = self.leg_of(participant) {
                    let p = if *muted { "muted" } else { "unmuted" };
                    self.play(PromptTarget::Leg(leg), &[p]);
                    self.updated(leg);
                }
            }
            EventKind::RoomsClosing { countdown_s } if *countdown_s > 0 => {
                let mut names = vec!["rooms_closing"];
                names.extend(number_words(*countdown_s));
                names.push("seconds");
                for leg in self.legs_in(ev.meeting.as_str()) {
                    self.play(PromptTarget::Leg(leg), &names);
                }
            }
            EventKind::Broadcast { message, .. } => {
                for leg in self.legs_in(ev.meeting.as_str()) {
                    self.play(PromptTarget::Leg(leg), &["chime", "broadcast"]);
                    let l = &self.legs[&leg];
                    if l.accepts_message {
                        // RFC 3428 in the dialog, for room systems that show text.
                        let call = l.call;
                        let _ = self.ua.message(
                            now,
                            call,
                            "text/plain;charset=UTF-8",
                            Bytes::from(message.clone()),
                        );
                    }
                }
            }
            _ => {}
        }
    }

    /// After a move the newcomer's video must start with a keyframe (RFC 5104 §3.5.1).
    fn request_keyframe(&mut self, leg: LegId) {
        if self.legs.get(&leg).is_some_and(Leg::has_video) {
            self.out
                .push_back(Output::Media(media::MediaCommand::RequestKeyframe { leg }));
        }
    }

    fn leg_of(&self, p: &ParticipantId) -> Option<LegId> {
        self.by_participant.get(p).copied()
    }

    fn legs_in(&self, meeting: &str) -> Vec<LegId> {
        let mut v: Vec<LegId> = self
            .legs
            .values()
            .filter(|l| l.meeting.as_deref() == Some(meeting))
            .map(|l| l.id)
            .collect();
        v.sort();
        v
    }

    fn record_move(&mut self, now: Instant, leg: LegId, from: Place, to: Place, by: Actor) {
        if let Some(l) = self.legs.get_mut(&leg) {
            l.moves.push(LegMove {
                at: now,
                from,
                to,
                by,
            });
            tracing::info!(leg = leg.0, call_id = %l.call_id, ?from, ?to, ?by, "moved");
        }
        self.updated(leg);
    }

    /// "You are in breakout room 3" / "You are in the main session".
    /// Tells a participant where it now is: a spoken prompt, and the far end's name on its
    /// screen through a connected-identity UPDATE (RFC 4916) for peers that allow UPDATE.
    fn announce_place(&mut self, now: Instant, leg: LegId) {
        let Some(l) = self.legs.get(&leg) else { return };
        let (Some(meeting), Some(place), call) = (l.meeting.clone(), l.room, l.call) else {
            return;
        };
        let label = self.meetings.place_label(&meeting, place).ok().flatten();
        let names = match place {
            Place::Main => vec!["main_session"],
            Place::Room(_) => {
                let mut v = vec!["breakout_room"];
                v.extend(
                    label
                        .as_ref()
                        .and_then(|l| l.room_number)
                        .map(number_words)
                        .unwrap_or_default(),
                );
                v
            }
        };
        self.play(PromptTarget::Leg(leg), &names);
        if let Some(label) = label {
            match self.ua.update_identity(now, call, &label.name) {
                Ok(true) => {
                    tracing::debug!(leg = leg.0, name = %label.name, "connected identity updated")
                }
                Ok(false) => {}
                Err(e) => tracing::debug!(leg = leg.0, error = %e, "no connected-identity update"),
            }
        }
    }

    fn prompt_ms(&self, names: &[&str]) -> u64 {
        let samples: usize = names
            .iter()
            .filter_map(|n| self.cfg.prompts.get(*n))
            .map(|p| p.len())
            .sum();
        samples as u64 * 1000 / PROMPT_RATE as u64
    }

    /// Plays prompts back to back. Missing assets are skipped (a test build may have none).
    fn play(&mut self, target: PromptTarget, names: &[&str]) {
        let key = names.join(" ");
        let samples = match self.sentences.get(&key) {
            Some(s) => s.clone(),
            None => {
                let mut samples: Vec<i16> = Vec::new();
                for n in names {
                    if let Some(p) = self.cfg.prompts.get(*n) {
                        samples.extend_from_slice(p);
                        // A short pause between words keeps composed sentences intelligible.
                        samples.extend(std::iter::repeat_n(0, PROMPT_RATE as usize / 20));
                    }
                }
                if samples.is_empty() {
                    return;
                }
                // Sentences are few (prompt words × room numbers); bound the cache anyway.
                if self.sentences.len() >= 512 {
                    self.sentences.clear();
                }
                let s: Arc<[i16]> = samples.into();
                self.sentences.insert(key, s.clone());
                s
            }
        };
        let prompt = Prompt::pcm(PROMPT_RATE, samples);
        self.out
            .push_back(Output::Media(media::MediaCommand::PlayPrompt {
                target,
                prompt,
            }));
    }
}

/// The media plane's key for a meeting's room: stable for the gateway's lifetime.
fn media_room(
    rooms: &mut HashMap<meeting::RoomKey, media::RoomKey>,
    key: meeting::RoomKey,
) -> media::RoomKey {
    let next = media::RoomKey(rooms.len() as u64 + 1);
    *rooms.entry(key).or_insert(next)
}

/// The words for 1..=999 as prompt asset names (`n_twenty`, `n_one`).
pub fn number_words(n: u32) -> Vec<&'static str> {
    const SMALL: [&str; 20] = [
        "n_zero",
        "n_one",
        "n_two",
        "n_three",
        "n_four",
        "n_five",
        "n_six",
        "n_seven",
        "n_eight",
        "n_nine",
        "n_ten",
        "n_eleven",
        "n_twelve",
        "n_thirteen",
        "n_fourteen",
        "n_fifteen",
        "n_sixteen",
        "n_seventeen",
        "n_eighteen",
        "n_nineteen",
    ];
    const TENS: [&str; 10] = [
        "",
        "",
        "n_twenty",
        "n_thirty",
        "n_forty",
        "n_fifty",
        "n_sixty",
        "n_seventy",
        "n_eighty",
        "n_ninety",
    ];
    let mut v = Vec::new();
    let n = n.min(999);
    if n >= 100 {
        v.push(SMALL[(n / 100) as usize]);
        v.push("n_hundred");
        if n % 100 == 0 {
            return v;
        }
    }
    let r = n % 100;
    if r < 20 {
        if r > 0 || v.is_empty() {
            v.push(SMALL[r as usize]);
        }
    } else {
        v.push(TENS[(r / 10) as usize]);
        if r % 10 > 0 {
            v.push(SMALL[(r % 10) as usize]);
        }
    }
    v
}

const PICTURE_FAST_UPDATE: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\" ?>\r\n\
<media_control><vc_primitive><to_encoder><picture_fast_update/></to_encoder></vc_primitive></media_control>\r\n";

/// A Reason header value (RFC 3326) the caller's screen can show.
fn reason_value(cause: u16, text: &str) -> String {
    let text: String = text.chars().filter(|c| *c != '"' && *c != '\\').collect();
    format!("SIP;cause={cause};text=\"{text}\"")
}

fn join_refusal(meeting: &str, e: &MeetingError) -> (StatusCode, String) {
    match e {
        MeetingError::WrongPasscode => (
            StatusCode::FORBIDDEN,
            format!("Wrong or missing passcode for meeting {meeting}"),
        ),
        MeetingError::UnknownMeeting { .. } => {
            (StatusCode::NOT_FOUND, format!("No meeting {meeting}"))
        }
        other => (
            StatusCode(480),
            format!("Cannot join meeting {meeting}: {other}"),
        ),
    }
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
    use crate::sip::transaction::Transport;
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
    fn legs_hearing_the_same_sentence_share_its_samples() {
        let mut cfg = GatewayConfig::default();
        for w in ["breakout_room", "n_three"] {
            cfg.prompts.insert(w.into(), vec![1i16; 800].into());
        }
        let mut gw = Gateway::new(cfg, Meetings::new(meeting::Limits::default(), 1));
        for leg in 1..=3 {
            gw.play(PromptTarget::Leg(LegId(leg)), &["breakout_room", "n_three"]);
        }
        let samples: Vec<Arc<[i16]>> = std::iter::from_fn(|| gw.poll_output())
            .filter_map(|o| match o {
                Output::Media(media::MediaCommand::PlayPrompt { prompt, .. }) => {
                    Some(prompt.samples)
                }
                _ => None,
            })
            .collect();
        assert_eq!(samples.len(), 3);
        // Two words and their pauses, composed once.
        assert_eq!(samples[0].len(), 2 * (800 + PROMPT_RATE as usize / 20));
        assert!(samples.windows(2).all(|w| Arc::ptr_eq(&w[0], &w[1])));
    }

    #[test]
    fn numbers_are_spoken() {
        assert_eq!(number_words(3), ["n_three"]);
        assert_eq!(number_words(0), ["n_zero"]);
        assert_eq!(number_words(17), ["n_seventeen"]);
        assert_eq!(number_words(20), ["n_twenty"]);
        assert_eq!(number_words(42), ["n_forty", "n_two"]);
        assert_eq!(number_words(100), ["n_one", "n_hundred"]);
        assert_eq!(number_words(105), ["n_one", "n_hundred", "n_five"]);
    }

    #[test]
    fn port_pool_hands_out_even_ports() {
        let mut p = PortPool::new((20001, 20008));
        assert_eq!(p.take(), Some(20002));
        assert_eq!(p.take(), Some(20004));
        assert_eq!(p.take(), Some(20006));
        assert_eq!(p.take(), None, "20008 has no RTCP port inside the range");
        p.give(20004);
        assert_eq!(p.take(), Some(20004));
    }

    #[test]
    fn reason_header_text_is_quoted_safely() {
        assert_eq!(
            reason_value(404, "No \"meeting\" 9"),
            "SIP;cause=404;text=\"No meeting 9\""
        );
    }
}
