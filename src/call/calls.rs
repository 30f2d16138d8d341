//! Every call leg of the gateway, whatever carries it: the leg table, their ports, their media
//! sessions, their binding to meetings and participants, moves, prompts, keypad and IVR.
//!
//! Protocol-neutral: signalling is reached only through [`Signalling`]; the protocol modules
//! (`call::sip` today) create legs and feed their media and digits in.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::leg::{Leg, MediaSession, PendingJoin};
use super::output::Output;
use super::ports::PortPool;
use super::prompt::{PromptAssets, Sentences};
use super::signal::{Signal, Signalling};
use super::view::{LegEnd, LegState, LegView};
use super::{DialPlan, KeyMap};
use crate::media::{self, LegId};
use crate::meeting::{self, MeetingError, Meetings, ParticipantId};
use crate::sdp::{AudioCodec, LocalMedia, NegotiatedMedia};
use crate::sip::ua::CallHandle;

/// What the call layer needs to know at start.
#[derive(Clone, Debug)]
pub struct CallConfig {
    pub dial_plan: DialPlan,
    pub keymap: KeyMap,
    /// The address put in our SDP (`c=`, `o=`) for IPv4 peers, and where RTP is bound.
    pub media_address: IpAddr,
    /// The same for IPv6 peers; `None` serves them from `media_address`.
    pub media_address_v6: Option<IpAddr>,
    /// RTP ports to hand out, inclusive; RTP on even ports, RTCP on the next (RFC 3550 §11).
    pub rtp_ports: (u16, u16),
    /// Ring before answering (SIP: 180 Ringing first). Zero answers at once.
    pub answer_delay: Duration,
    /// Calls beyond this are refused (SIP: 503 with Retry-After).
    pub max_legs: usize,
    /// Offer and accept H.264 video.
    pub video: bool,
}

impl Default for CallConfig {
    /// One machine, out of the box: loopback media, the usual RTP range, answer at once.
    fn default() -> Self {
        CallConfig {
            dial_plan: DialPlan::default(),
            keymap: KeyMap::default(),
            media_address: IpAddr::from([127, 0, 0, 1]),
            media_address_v6: None,
            rtp_ports: (20000, 29999),
            answer_delay: Duration::ZERO,
            max_legs: 20_000,
            video: true,
        }
    }
}

/// Why a call is not let in: each protocol says it its own way (SIP status, Q.931 cause).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    ShuttingDown,
    AtCapacity,
    NoPorts,
    UnknownMeeting(String),
    WrongPasscode(String),
    /// The meeting would not take the participant (full, ended…).
    CannotJoin(String, String),
}

impl Refusal {
    pub fn from_join(meeting: &str, e: &MeetingError) -> Refusal {
        match e {
            MeetingError::WrongPasscode => Refusal::WrongPasscode(meeting.to_owned()),
            MeetingError::UnknownMeeting { .. } => Refusal::UnknownMeeting(meeting.to_owned()),
            other => Refusal::CannotJoin(meeting.to_owned(), other.to_string()),
        }
    }

    /// Words for the caller's screen and the call record.
    pub fn text(&self) -> String {
        match self {
            Refusal::ShuttingDown => "roomgate is shutting down".into(),
            Refusal::AtCapacity => "roomgate is at capacity".into(),
            Refusal::NoPorts => "No RTP ports left".into(),
            Refusal::UnknownMeeting(m) => format!("No meeting {m}"),
            Refusal::WrongPasscode(m) => format!("Wrong or missing passcode for meeting {m}"),
            Refusal::CannotJoin(m, why) => format!("Cannot join meeting {m}: {why}"),
        }
    }
}

/// Where an answered call goes, decided from what it dialled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Into the meeting now.
    Join(PendingJoin),
    /// Into the meeting once the answer to our offer arrives (the passcode checked already).
    JoinOnAnswer(PendingJoin),
    /// Dialled a meeting that needs a passcode without one: the IVR asks for it.
    AskPasscode { meeting: String },
    /// The lobby IVR asks for the meeting.
    Lobby,
}

pub struct Calls {
    pub(super) cfg: CallConfig,
    pub(super) legs: HashMap<LegId, Leg>,
    pub(super) by_sip: HashMap<CallHandle, LegId>,
    pub(super) by_participant: HashMap<ParticipantId, LegId>,
    pub(super) rooms: HashMap<meeting::RoomKey, media::RoomKey>,
    pub(super) ports: PortPool,
    pub(super) sentences: Sentences,
    pub(super) next_leg: u64,
    pub(super) deadlines: BinaryHeap<Reverse<(Instant, LegId)>>,
    /// Legs changed by the input being handled, in the order they first changed.
    pub(super) dirty: Vec<LegId>,
    pub(super) out: VecDeque<Output>,
    pub(super) rng: SmallRng,
    /// Shutting down: no new calls.
    pub draining: bool,
}

impl Calls {
    pub fn new(cfg: CallConfig, prompts: PromptAssets, seed: u64) -> Calls {
        let mut rng = SmallRng::seed_from_u64(seed);
        Calls {
            ports: PortPool::new(cfg.rtp_ports, rng.gen()),
            cfg,
            legs: HashMap::new(),
            by_sip: HashMap::new(),
            by_participant: HashMap::new(),
            rooms: HashMap::new(),
            sentences: Sentences::new(prompts),
            next_leg: 1,
            deadlines: BinaryHeap::new(),
            dirty: Vec::new(),
            out: VecDeque::new(),
            rng,
            draining: false,
        }
    }

    pub fn config(&self) -> &CallConfig {
        &self.cfg
    }

    // ---- the table --------------------------------------------------------------------------

    pub fn len(&self) -> usize {
        self.legs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.legs.is_empty()
    }

    pub fn views(&self) -> impl Iterator<Item = LegView> + '_ {
        self.legs.values().map(Leg::view)
    }

    pub fn view(&self, id: LegId) -> Option<LegView> {
        self.legs.get(&id).map(Leg::view)
    }

    pub fn get(&self, id: LegId) -> Option<&Leg> {
        self.legs.get(&id)
    }

    pub fn get_mut(&mut self, id: LegId) -> Option<&mut Leg> {
        self.legs.get_mut(&id)
    }

    pub fn ids(&self) -> Vec<LegId> {
        self.legs.keys().copied().collect()
    }

    pub fn by_sip(&self, call: CallHandle) -> Option<LegId> {
        self.by_sip.get(&call).copied()
    }

    pub fn leg_of(&self, p: &ParticipantId) -> Option<LegId> {
        self.by_participant.get(p).copied()
    }

    /// Whether a new call can be taken at all.
    pub fn refuses_new(&self) -> Option<Refusal> {
        if self.draining {
            Some(Refusal::ShuttingDown)
        } else if self.legs.len() >= self.cfg.max_legs {
            Some(Refusal::AtCapacity)
        } else {
            None
        }
    }

    /// The next leg's id, and a random number for its offer/answer session.
    pub fn next_id(&mut self) -> (LegId, u64) {
        let id = LegId(self.next_leg);
        self.next_leg += 1;
        (id, self.rng.gen::<u32>() as u64)
    }

    /// Takes a new leg in and asks the shell to open its ports.
    pub fn insert(&mut self, leg: Leg) {
        let id = leg.id;
        match &leg.signal {
            Signal::Sip(s) => self.by_sip.insert(s.call, id),
        };
        self.out.push_back(Output::MediaOpen {
            leg: id,
            ip: leg.media.ip,
            audio_port: leg.media.audio_port,
            video_port: leg.media.video_port,
        });
        self.legs.insert(id, leg);
    }

    /// Removes a leg that never became a call (refused before the answer).
    pub fn forget(&mut self, id: LegId) {
        if let Some(l) = self.legs.remove(&id) {
            self.unregister(&l);
            self.release_ports(l.media.audio_port, l.media.video_port);
        }
    }

    fn unregister(&mut self, l: &Leg) {
        match &l.signal {
            Signal::Sip(s) => self.by_sip.remove(&s.call),
        };
        if let Some(pid) = l.participant {
            self.by_participant.remove(&pid);
        }
    }

    /// The leg's call ended: out of its meeting, its media released, its record closed.
    /// `end` is why, unless someone already said so.
    pub fn ended(&mut self, now: Instant, meetings: &mut Meetings, id: LegId, end: LegEnd) {
        let Some(mut l) = self.legs.remove(&id) else {
            return;
        };
        let span = tracing::info_span!("call", leg = id.0, call_id = %l.signal.call_id());
        let _g = span.enter();
        // Operators see the leg's last change before its end.
        if l.dirty {
            self.out.push_back(Output::LegUpdated(Box::new(l.view())));
        }
        self.unregister(&l);
        if let (Some(m), Some(pid)) = (l.meeting.clone(), l.participant) {
            // The meeting may have ended already (that is why we hung up).
            let _ = meetings.leave(now, &m, pid);
        }
        if l.media.added {
            self.out
                .push_back(Output::Media(media::MediaCommand::RemoveLeg { leg: id }));
        }
        self.out.push_back(Output::MediaClose { leg: id });
        self.release_ports(l.media.audio_port, l.media.video_port);
        let end = l.end.take().unwrap_or(end);
        tracing::info!(by = end.by, reason = %end.reason, "call ended");
        l.state = LegState::Ending;
        self.out
            .push_back(Output::LegEnded(Box::new(l.view()), end));
    }

    /// Ends a leg for `end` (unless it already has a reason).
    pub fn hang_up(
        &mut self,
        now: Instant,
        sig: &mut impl Signalling,
        id: LegId,
        end: LegEnd,
    ) -> bool {
        let Some(l) = self.legs.get_mut(&id) else {
            return false;
        };
        l.end.get_or_insert(end);
        sig.hang_up(now, &l.signal, None)
    }

    // ---- output -----------------------------------------------------------------------------

    pub fn push(&mut self, out: Output) {
        self.out.push_back(out);
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// Marks a leg changed; its `LegUpdated` goes out once, at [`Self::flush_updates`].
    pub fn touch(&mut self, id: LegId) {
        if let Some(l) = self.legs.get_mut(&id) {
            if !l.dirty {
                l.dirty = true;
                self.dirty.push(id);
            }
        }
    }

    /// One `LegUpdated` per leg changed by the input just handled.
    pub fn flush_updates(&mut self) {
        for id in std::mem::take(&mut self.dirty) {
            if let Some(l) = self.legs.get_mut(&id) {
                l.dirty = false;
                self.out.push_back(Output::LegUpdated(Box::new(l.view())));
            }
        }
    }

    // ---- timers -----------------------------------------------------------------------------

    pub fn schedule(&mut self, id: LegId) {
        if let Some(at) = self.legs.get(&id).and_then(Leg::next_deadline) {
            self.deadlines.push(Reverse((at, id)));
        }
    }

    pub fn poll_timeout(&mut self) -> Option<Instant> {
        // Drop stale deadlines so the shell never wakes for nothing twice.
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
        self.deadlines.peek().map(|Reverse((at, _))| *at)
    }

    pub fn handle_timeout(
        &mut self,
        now: Instant,
        sig: &mut impl Signalling,
        meetings: &mut Meetings,
    ) {
        while let Some(Reverse((at, leg))) = self.deadlines.peek().copied() {
            if at > now {
                break;
            }
            self.deadlines.pop();
            self.on_leg_timer(now, sig, meetings, leg);
        }
    }

    fn on_leg_timer(
        &mut self,
        now: Instant,
        sig: &mut impl Signalling,
        meetings: &mut Meetings,
        id: LegId,
    ) {
        let Some(l) = self.legs.get_mut(&id) else {
            return;
        };
        if let Some(ivr) = l.ivr.as_mut() {
            ivr.handle_timeout(now);
        }
        l.keypad.handle_timeout(now);
        if l.signal.poll_timeout().is_some_and(|t| t <= now) {
            sig.handle_timeout(now, &mut l.signal);
        }
        if l.hangup_at.is_some_and(|t| t <= now) {
            l.hangup_at = None;
            sig.hang_up(now, &l.signal, None);
        }
        self.run_ivr(now, meetings, id);
        self.schedule(id);
    }

    // ---- media ------------------------------------------------------------------------------

    /// A pair of RTP ports for audio, and one for video when wanted.
    pub fn take_ports(&mut self, video: bool) -> Option<(u16, Option<u16>)> {
        let audio = self.ports.take()?;
        let video = if video { self.ports.take() } else { None };
        Some((audio, video))
    }

    pub fn release_ports(&mut self, audio: u16, video: Option<u16>) {
        self.ports.give(audio);
        if let Some(v) = video {
            self.ports.give(v);
        }
    }

    /// Our media address for a peer: of its IP family when we have one.
    pub fn media_ip_for(&self, peer: IpAddr) -> IpAddr {
        match (peer.is_ipv6(), self.cfg.media_address_v6) {
            (true, Some(v6)) => v6,
            _ => self.cfg.media_address,
        }
    }

    /// What we offer or answer with on these ports.
    pub fn local_media(&self, ip: IpAddr, audio_port: u16, video_port: Option<u16>) -> LocalMedia {
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

    /// Tells the media plane about a leg's negotiated media (first time or after a change).
    pub fn set_media(&mut self, id: LegId, nm: NegotiatedMedia) {
        let Some(l) = self.legs.get_mut(&id) else {
            return;
        };
        let changed = l.media.negotiated.as_ref().is_none_or(|old| {
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
            if l.media.added {
                self.out
                    .push_back(Output::Media(media::MediaCommand::RemoveLeg { leg: id }));
            }
            self.out
                .push_back(Output::Media(media::MediaCommand::AddLeg {
                    leg: id,
                    params,
                }));
            // Re-attach where it was, so a codec change never drops it out of its room.
            if let Some(mroom) = l.media.room {
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
        l.media.added = true;
        l.media.negotiated = Some(nm);
        self.touch(id);
    }

    /// Takes a leg out of the media plane and closes its sockets (a refusal before the answer).
    pub fn drop_media(&mut self, id: LegId) {
        let Some(l) = self.legs.get_mut(&id) else {
            return;
        };
        if l.media.added {
            self.out
                .push_back(Output::Media(media::MediaCommand::RemoveLeg { leg: id }));
            l.media.added = false;
        }
        self.out.push_back(Output::MediaClose { leg: id });
    }

    /// After a move the newcomer's video must start with a keyframe (RFC 5104 §3.5.1).
    pub fn request_keyframe(&mut self, leg: LegId) {
        if self.legs.get(&leg).is_some_and(|l| l.media.has_video()) {
            self.out
                .push_back(Output::Media(media::MediaCommand::RequestKeyframe { leg }));
        }
    }

    /// The peer asks for a keyframe of the video it receives: ask every other leg of its room,
    /// since any of them may be the speaker it sees.
    pub fn keyframe_wanted_by(&mut self, id: LegId) {
        let Some(l) = self.legs.get(&id) else { return };
        let (Some(m), Some(room)) = (l.meeting.clone(), l.room) else {
            return;
        };
        let others: Vec<LegId> = self
            .legs
            .values()
            .filter(|o| o.id != id && o.meeting.as_deref() == Some(&m) && o.room == Some(room))
            .map(|o| o.id)
            .collect();
        for leg in others {
            self.request_keyframe(leg);
        }
    }
}

/// The media plane's key for a meeting's room: stable for the gateway's lifetime.
pub(super) fn media_room(
    rooms: &mut HashMap<meeting::RoomKey, media::RoomKey>,
    key: meeting::RoomKey,
) -> media::RoomKey {
    let next = media::RoomKey(rooms.len() as u64 + 1);
    *rooms.entry(key).or_insert(next)
}

/// Convenience for protocol modules: a leg's media session on freshly taken ports.
pub fn media_session(ip: IpAddr, (audio_port, video_port): (u16, Option<u16>)) -> MediaSession {
    MediaSession {
        ip,
        audio_port,
        video_port,
        negotiated: None,
        added: false,
        room: None,
    }
}
