//! What comes out of the core: user-visible events (numbered per meeting) and the media-side
//! effects the engine must apply.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::RoomKey;
use super::{Actor, BreakoutOptions, MeetingError, MeetingId, ParticipantId, Place, Role, RoomId};

/// One state change of one meeting. `seq` starts at 1 (the `meeting_created` event) and has no
/// gaps within a meeting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub meeting: MeetingId,
    pub seq: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Why a participant left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    /// Its call ended (the gateway reported it).
    HungUp,
    /// A host removed it: the gateway must hang up its call.
    Removed,
    /// It left on its own (e.g. from its keypad): the gateway must hang up its call.
    Left,
}

/// The kinds of events. JSON: `{"type": "participant_moved", …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    MeetingCreated {
        name: String,
    },
    /// The meeting ended: every participant listed must be detached and its call hung up.
    MeetingEnded {
        participants: Vec<ParticipantId>,
    },
    ParticipantJoined {
        participant: ParticipantId,
        name: String,
        identity: String,
        role: Role,
        room: Place,
    },
    ParticipantLeft {
        participant: ParticipantId,
        from: Place,
        reason: LeaveReason,
    },
    ParticipantMoved {
        participant: ParticipantId,
        from: Place,
        to: Place,
        by: Actor,
    },
    /// `a` went to `a_to` (where `b` was) and `b` to `b_to` (where `a` was), in one step.
    ParticipantsExchanged {
        a: ParticipantId,
        a_to: Place,
        b: ParticipantId,
        b_to: Place,
        by: Actor,
    },
    ParticipantAssigned {
        participant: ParticipantId,
        room: Option<RoomId>,
    },
    /// Rooms opened without `auto_move`: the participant is asked to join `room` itself.
    ParticipantInvited {
        participant: ParticipantId,
        room: RoomId,
    },
    ParticipantMuted {
        participant: ParticipantId,
        muted: bool,
        by: Actor,
    },
    RoomCreated {
        room: RoomId,
        name: String,
    },
    RoomRenamed {
        room: RoomId,
        name: String,
    },
    RoomDeleted {
        room: RoomId,
    },
    OptionsChanged {
        options: BreakoutOptions,
    },
    PreassignmentsChanged {
        count: usize,
    },
    RoomsOpened {
        close_after_s: Option<u32>,
    },
    /// Rooms are closing; everyone returns to the main session in `countdown_s` seconds.
    RoomsClosing {
        countdown_s: u32,
    },
    /// Rooms are closed; everyone is in the main session.
    RoomsClosed,
    HelpRequested {
        participant: ParticipantId,
        room: RoomId,
    },
    Broadcast {
        message: String,
        by: Actor,
    },
    /// `close_after_s` ran out (with `notify_host`); the rooms close next.
    TimeUp,
}

/// An effect the media plane must apply; the signalling (SIP dialog) is untouched by all of
/// them except that the gateway hangs up after a `Detach` caused by a meeting end or removal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MediaCommand {
    /// Start mixing the participant into `room`.
    Attach {
        participant: ParticipantId,
        room: RoomKey,
    },
    /// Re-point the participant's mix subscription to `to`.
    Move {
        participant: ParticipantId,
        to: RoomKey,
    },
    /// Swap two participants' rooms atomically: no frame may see both in the same room or
    /// either in neither.
    Exchange {
        a: ParticipantId,
        a_to: RoomKey,
        b: ParticipantId,
        b_to: RoomKey,
    },
    /// Stop mixing the participant.
    Detach { participant: ParticipantId },
    Mute {
        participant: ParticipantId,
        muted: bool,
    },
}

/// A bounded log of one meeting's recent events, so an observer can resume from the last
/// sequence number it saw.
#[derive(Clone, Debug)]
pub(crate) struct EventLog {
    events: VecDeque<Event>,
    cap: usize,
    last: u64,
}

impl EventLog {
    pub(crate) fn new(cap: usize) -> Self {
        EventLog {
            events: VecDeque::with_capacity(cap.min(1024)),
            cap: cap.max(1),
            last: 0,
        }
    }

    pub(crate) fn last_seq(&self) -> u64 {
        self.last
    }

    /// The next sequence number to hand out.
    pub(crate) fn next_seq(&self) -> u64 {
        self.last + 1
    }

    pub(crate) fn push(&mut self, e: Event) {
        debug_assert_eq!(e.seq, self.last + 1, "sequence numbers are gapless");
        self.last = e.seq;
        if self.events.len() == self.cap {
            self.events.pop_front();
        }
        self.events.push_back(e);
    }

    /// Events with `seq > since`, oldest first; an error when some of them are gone already.
    pub(crate) fn since(&self, since: u64) -> Result<Vec<Event>, MeetingError> {
        if since > self.last {
            return Err(MeetingError::SeqAhead {
                since,
                last: self.last,
            });
        }
        let oldest = self.events.front().map_or(self.last + 1, |e| e.seq);
        if since + 1 < oldest {
            return Err(MeetingError::TooFarBehind { since, oldest });
        }
        let skip = (since + 1 - oldest) as usize;
        Ok(self.events.iter().skip(skip).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: u64) -> Event {
        Event {
            meeting: MeetingId::new("m").unwrap(),
            seq,
            kind: EventKind::RoomsClosed,
        }
    }

    #[test]
    fn log_resumes_and_reports_falling_behind() {
        let mut log = EventLog::new(3);
        assert_eq!(log.since(0).unwrap(), vec![]);
        for s in 1..=5 {
            log.push(ev(s));
        }
        // Kept: 3, 4, 5.
        assert_eq!(
            log.since(2)
                .unwrap()
                .iter()
                .map(|e| e.seq)
                .collect::<Vec<_>>(),
            vec![3, 4, 5]
        );
        assert_eq!(log.since(5).unwrap(), vec![]);
        assert_eq!(
            log.since(1),
            Err(MeetingError::TooFarBehind {
                since: 1,
                oldest: 3
            })
        );
        assert_eq!(
            log.since(6),
            Err(MeetingError::SeqAhead { since: 6, last: 5 })
        );
    }

    #[test]
    fn event_json_is_flat_with_a_type() {
        let e = Event {
            meeting: MeetingId::new("1000").unwrap(),
            seq: 4,
            kind: EventKind::ParticipantMoved {
                participant: ParticipantId(2),
                from: Place::Main,
                to: Place::Room(RoomId(1)),
                by: Actor::Host,
            },
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"meeting": "1000", "seq": 4, "type": "participant_moved",
                "participant": 2, "from": "main", "to": "1", "by": "host"})
        );
        let back: Event = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }
}
