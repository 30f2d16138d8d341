//! A call leg as operators see it: its state, where it is, what it negotiated, every move, and
//! why it ended. [`LegView`] is what the call layer publishes on every change (see
//! [`crate::call::Output::LegUpdated`]); `ops` keeps the live book and call records from it.

use std::net::SocketAddr;
use std::time::Instant;

use serde::Serialize;

use crate::meeting::{Actor, ParticipantId, Place};

/// Where a call leg is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegState {
    /// Call received (or placed), ringing before the answer.
    Ringing,
    /// Answered, talking to the lobby IVR.
    Lobby,
    /// Answered, waiting for the answer to our offer (in the SIP ACK).
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
    /// The signalling's call identifier (SIP Call-ID).
    pub call_id: String,
    pub local_tag: Option<String>,
    pub remote_tag: Option<String>,
    pub remote: SocketAddr,
    /// `UDP`, `TCP`, `TLS`: how the signalling reaches the peer.
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
    /// The status we answered with (SIP), for calls refused before the answer.
    pub status: Option<u16>,
    pub reason: String,
}

impl LegEnd {
    /// roomgate ended the call, for `reason`.
    pub fn by_us(reason: impl Into<String>) -> LegEnd {
        LegEnd {
            by: "roomgate",
            status: None,
            reason: reason.into(),
        }
    }
}

/// What operators see of a leg's signalling.
#[derive(Debug)]
pub struct SignalView<'a> {
    pub call_id: &'a str,
    pub local_tag: Option<&'a str>,
    pub remote_tag: Option<&'a str>,
    pub remote: SocketAddr,
    pub transport: &'static str,
    pub user_agent: Option<&'a str>,
}
