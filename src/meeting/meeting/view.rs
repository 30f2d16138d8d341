//! Views of one meeting: the read-only projections the API, the console and the gateway's
//! prompts read (participants, breakout rooms, summaries). Taking one never changes the
//! meeting; they are built here, away from the command handlers that change it.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{Meeting, Participant};
use crate::meeting::timer::Timer;
use crate::meeting::{
    BreakoutOptions, BreakoutState, MeetingError, MeetingId, MeetingKey, ParticipantId, Place,
    PreAssignment, Role, RoomId,
};

/// A participant as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantView {
    pub id: ParticipantId,
    pub name: String,
    pub identity: String,
    pub role: Role,
    /// Where it is now: `"main"` or a room id.
    pub room: Place,
    /// The breakout room it belongs in (where it goes when rooms open).
    pub assigned: Option<RoomId>,
    pub muted: bool,
}

/// What a place is called ([`crate::meeting::Meetings::place_label`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaceLabel {
    /// The meeting's name (main session) or the breakout room's.
    pub name: String,
    /// 1-based position of a breakout room among the meeting's rooms.
    pub room_number: Option<u32>,
}

/// A meeting in a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingSummary {
    pub id: MeetingId,
    pub name: String,
    pub has_passcode: bool,
    pub participants: usize,
    /// `None` when the meeting has no breakout rooms.
    pub breakouts: Option<BreakoutState>,
}

/// Everything about one meeting, as the API shows it. Two views taken at the same `now` are
/// equal exactly when the meeting's visible state is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingView {
    pub id: MeetingId,
    pub key: MeetingKey,
    pub name: String,
    pub has_passcode: bool,
    pub options: BreakoutOptions,
    pub preassignments: Vec<PreAssignment>,
    /// Ordered by id.
    pub participants: Vec<ParticipantView>,
    pub breakouts: Option<BreakoutsView>,
    /// Sequence number of the latest event.
    pub last_seq: u64,
}

/// A room as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomView {
    pub id: RoomId,
    pub name: String,
    /// Who is in it now, by id.
    pub participants: Vec<ParticipantId>,
}

/// The breakout rooms as the API shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakoutsView {
    pub state: BreakoutState,
    pub options: BreakoutOptions,
    pub rooms: Vec<RoomView>,
    /// Whole seconds (rounded up) left on the running close-after timer (`open`) or countdown
    /// (`closing`); absent when none runs.
    pub seconds_left: Option<u32>,
}

fn remaining(deadline: Instant, now: Instant) -> u32 {
    let d = deadline.saturating_duration_since(now);
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    u32::try_from(s).unwrap_or(u32::MAX)
}

impl Meeting {
    fn participant_view(&self, id: ParticipantId, p: &Participant) -> ParticipantView {
        ParticipantView {
            id,
            name: p.name.clone(),
            identity: p.identity.clone(),
            role: p.role,
            room: p.place,
            assigned: p.assigned.map(|(r, _)| r),
            muted: p.muted,
        }
    }

    pub(crate) fn participant(&self, id: ParticipantId) -> Result<ParticipantView, MeetingError> {
        let p = self.get(id)?;
        Ok(self.participant_view(id, p))
    }

    pub(crate) fn participants(&self) -> Vec<ParticipantView> {
        self.participants
            .iter()
            .map(|(id, p)| self.participant_view(*id, p))
            .collect()
    }

    pub(crate) fn breakouts_view(&self, now: Instant) -> Option<BreakoutsView> {
        let b = self.breakouts.as_ref()?;
        let seconds_left = match b.state {
            BreakoutState::Open => self.timers.get(Timer::CloseAfter),
            BreakoutState::Closing => self.timers.get(Timer::Countdown),
            _ => None,
        }
        .map(|d| remaining(d, now));
        Some(BreakoutsView {
            state: b.state,
            options: self.options.clone(),
            rooms: b
                .rooms
                .iter()
                .map(|(id, r)| RoomView {
                    id: *id,
                    name: r.name.clone(),
                    participants: r.members.iter().copied().collect(),
                })
                .collect(),
            seconds_left,
        })
    }

    /// What a place is called, for telling a participant where it is: the meeting's name
    /// for the main session, else the breakout room's name and its 1-based number. Cheap
    /// (no views built): it runs on every move.
    pub(crate) fn place_label(&self, place: Place) -> Option<PlaceLabel> {
        match place {
            Place::Main => Some(PlaceLabel {
                name: self.name.clone(),
                room_number: None,
            }),
            Place::Room(room) => {
                let b = self.breakouts.as_ref()?;
                let (k, (_, r)) = b
                    .rooms
                    .iter()
                    .enumerate()
                    .find(|(_, (id, _))| **id == room)?;
                Some(PlaceLabel {
                    name: r.name.clone(),
                    room_number: u32::try_from(k + 1).ok(),
                })
            }
        }
    }

    pub(crate) fn summary(&self) -> MeetingSummary {
        MeetingSummary {
            id: self.id.clone(),
            name: self.name.clone(),
            has_passcode: self.passcode.is_some(),
            participants: self.participants.len(),
            breakouts: self.breakouts.as_ref().map(|b| b.state),
        }
    }

    pub(crate) fn view(&self, now: Instant) -> MeetingView {
        MeetingView {
            id: self.id.clone(),
            key: self.key,
            name: self.name.clone(),
            has_passcode: self.passcode.is_some(),
            options: self.options.clone(),
            preassignments: self.preassignments.clone(),
            participants: self.participants(),
            breakouts: self.breakouts_view(now),
            last_seq: self.last_seq(),
        }
    }
}
