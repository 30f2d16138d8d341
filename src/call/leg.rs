//! One call leg: a participant's signalling (whatever its protocol) and media session.

use std::net::IpAddr;
use std::time::Instant;

use super::keypad::{KeyMap, Keypad};
use super::signal::Signal;
use super::view::{LegEnd, LegMove, LegState, LegView};
use super::Ivr;
use crate::media::LegId;
use crate::meeting::{self, ParticipantId, Place};
use crate::sdp::NegotiatedMedia;

/// The leg's media: our address and ports, and what was negotiated with the peer.
#[derive(Debug)]
pub struct MediaSession {
    /// Our media address for this leg (of the peer's IP family).
    pub ip: IpAddr,
    pub audio_port: u16,
    pub video_port: Option<u16>,
    pub negotiated: Option<NegotiatedMedia>,
    /// The media plane knows the leg (`AddLeg` sent).
    pub added: bool,
    /// The media room the leg is attached to, to re-attach it after a codec change.
    pub room: Option<crate::media::RoomKey>,
}

impl MediaSession {
    pub fn has_video(&self) -> bool {
        self.negotiated.as_ref().is_some_and(|n| n.video.is_some())
    }
}

/// A meeting to join once the call's media is settled (the answer to our offer arrives later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingJoin {
    pub meeting: String,
    pub passcode: Option<String>,
}

#[derive(Debug)]
pub struct Leg {
    pub id: LegId,
    pub signal: Signal,
    pub name: String,
    pub identity: String,
    pub state: LegState,
    pub meeting: Option<String>,
    pub participant: Option<ParticipantId>,
    pub room: Option<Place>,
    pub media: MediaSession,
    /// Join this meeting once the answer arrives (SIP: in the ACK, or the 200 of a dial-out).
    pub join_on_answer: Option<PendingJoin>,
    /// Dial-out: the breakout room to put the room system in when it answers.
    pub place_in: Option<meeting::RoomId>,
    /// We placed this call (dial-out).
    pub outgoing: bool,
    pub ivr: Option<Ivr>,
    pub keypad: Keypad,
    /// Hang up when the goodbye prompt has played.
    pub hangup_at: Option<Instant>,
    pub muted: bool,
    pub moves: Vec<LegMove>,
    /// Set by whoever ends the call first; the signalling's own reason otherwise.
    pub end: Option<LegEnd>,
    /// Changed by the input being handled: one `LegUpdated` goes out when it is done.
    pub(super) dirty: bool,
}

impl Leg {
    /// A new call leg, ringing, in no meeting yet.
    pub fn new(
        id: LegId,
        signal: Signal,
        (name, identity): (String, String),
        media: MediaSession,
        keymap: &KeyMap,
    ) -> Leg {
        Leg {
            id,
            signal,
            name,
            identity,
            state: LegState::Ringing,
            meeting: None,
            participant: None,
            room: None,
            media,
            join_on_answer: None,
            place_in: None,
            outgoing: false,
            ivr: None,
            keypad: Keypad::new(keymap.clone()),
            hangup_at: None,
            muted: false,
            moves: Vec::new(),
            end: None,
            dirty: false,
        }
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        [
            self.ivr.as_ref().and_then(Ivr::poll_timeout),
            self.keypad.poll_timeout(),
            self.signal.poll_timeout(),
            self.hangup_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub fn view(&self) -> LegView {
        let neg = self.media.negotiated.as_ref();
        let sig = self.signal.view();
        LegView {
            id: self.id.0,
            call_id: sig.call_id.to_owned(),
            local_tag: sig.local_tag.map(str::to_owned),
            remote_tag: sig.remote_tag.map(str::to_owned),
            remote: sig.remote,
            transport: sig.transport,
            user_agent: sig.user_agent.map(str::to_owned),
            name: self.name.clone(),
            identity: self.identity.clone(),
            state: self.state,
            // A dial-out belongs to the meeting that placed it, answered or not.
            meeting: self
                .meeting
                .clone()
                .or_else(|| self.join_on_answer.as_ref().map(|j| j.meeting.clone())),
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
