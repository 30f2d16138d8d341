//! The meeting layer's errors. Every variant names the offending field so the API can turn it
//! into an RFC 9457 problem body; [`MeetingError::code`] is a stable slug for the problem `type`
//! and [`MeetingError::field`] the request field to blame.

use super::{BreakoutState, ParticipantId, Place, RoomId};

/// Why a command was refused. A refused command changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeetingError {
    #[error("unknown meeting {meeting:?}")]
    UnknownMeeting { meeting: String },
    #[error("meeting {meeting:?} already exists")]
    MeetingExists { meeting: String },
    #[error("invalid meeting id {meeting:?}: {reason}")]
    InvalidMeetingId {
        meeting: String,
        reason: &'static str,
    },
    #[error("unknown participant {participant}")]
    UnknownParticipant { participant: ParticipantId },
    #[error("unknown breakout room {room}")]
    UnknownRoom { room: RoomId },
    #[error("the meeting has no breakout rooms")]
    NoBreakouts,
    #[error("there are no breakout rooms to open")]
    NoRooms,
    #[error("breakout rooms are {state}, not open")]
    RoomsNotOpen { state: BreakoutState },
    #[error("breakout rooms are already {state}")]
    RoomsAlreadyOpen { state: BreakoutState },
    #[error("breakout room {room} is closed")]
    RoomClosed { room: RoomId },
    #[error("participants {a} and {b} are both in {place}")]
    SameRoom {
        a: ParticipantId,
        b: ParticipantId,
        place: Place,
    },
    #[error("count {count} is out of range 1..={max}")]
    CountOutOfRange { count: u32, max: u32 },
    #[error("a meeting has at most {max} breakout rooms")]
    TooManyRooms { max: u32 },
    #[error("the meeting is full ({max} participants)")]
    MeetingFull { max: u32 },
    #[error("a breakout room named {name:?} already exists")]
    RoomNameTaken { name: String },
    #[error("invalid {field}: {reason}")]
    InvalidText {
        field: &'static str,
        reason: &'static str,
    },
    #[error("invalid pre-assignment pattern {pattern:?}: {reason}")]
    InvalidPattern {
        pattern: String,
        reason: &'static str,
    },
    #[error("{field} = {value} is out of range {min}..={max}")]
    OptionOutOfRange {
        field: &'static str,
        value: u32,
        min: u32,
        max: u32,
    },
    #[error("wrong passcode")]
    WrongPasscode,
    #[error("not permitted: {action}")]
    NotPermitted { action: &'static str },
    #[error("participant {participant} is not in a breakout room")]
    NotInBreakoutRoom { participant: ParticipantId },
    #[error("events after {since} are gone; the oldest kept is {oldest}")]
    TooFarBehind { since: u64, oldest: u64 },
    #[error("sequence number {since} is ahead of the last event {last}")]
    SeqAhead { since: u64, last: u64 },
}

impl MeetingError {
    /// A stable, URL-safe slug for the problem type (`/problems/<code>`).
    pub fn code(&self) -> &'static str {
        use MeetingError::*;
        match self {
            UnknownMeeting { .. } => "unknown-meeting",
            MeetingExists { .. } => "meeting-exists",
            InvalidMeetingId { .. } => "invalid-meeting-id",
            UnknownParticipant { .. } => "unknown-participant",
            UnknownRoom { .. } => "unknown-room",
            NoBreakouts => "no-breakouts",
            NoRooms => "no-rooms",
            RoomsNotOpen { .. } => "rooms-not-open",
            RoomsAlreadyOpen { .. } => "rooms-already-open",
            RoomClosed { .. } => "room-closed",
            SameRoom { .. } => "same-room",
            CountOutOfRange { .. } => "count-out-of-range",
            TooManyRooms { .. } => "too-many-rooms",
            MeetingFull { .. } => "meeting-full",
            RoomNameTaken { .. } => "room-name-taken",
            InvalidText { .. } => "invalid-text",
            InvalidPattern { .. } => "invalid-pattern",
            OptionOutOfRange { .. } => "option-out-of-range",
            WrongPasscode => "wrong-passcode",
            NotPermitted { .. } => "not-permitted",
            NotInBreakoutRoom { .. } => "not-in-breakout-room",
            TooFarBehind { .. } => "too-far-behind",
            SeqAhead { .. } => "seq-ahead",
        }
    }

    /// The request field the error is about, where there is one.
    pub fn field(&self) -> Option<&'static str> {
        use MeetingError::*;
        Some(match self {
            UnknownMeeting { .. } | MeetingExists { .. } | InvalidMeetingId { .. } => "id",
            UnknownParticipant { .. } => "participant",
            UnknownRoom { .. } | RoomClosed { .. } => "room",
            SameRoom { .. } => "b",
            CountOutOfRange { .. } => "count",
            TooManyRooms { .. } => "rooms",
            RoomNameTaken { .. } => "name",
            InvalidText { field, .. } | OptionOutOfRange { field, .. } => field,
            InvalidPattern { .. } => "identity",
            WrongPasscode => "passcode",
            NotInBreakoutRoom { .. } => "participant",
            TooFarBehind { .. } | SeqAhead { .. } => "since",
            NoBreakouts
            | NoRooms
            | RoomsNotOpen { .. }
            | RoomsAlreadyOpen { .. }
            | MeetingFull { .. }
            | NotPermitted { .. } => return None,
        })
    }

    /// The HTTP status this error maps to (RFC 9110 §15.5): 404 for unknown things, 403 for
    /// permissions, 409 for a conflict with the current state, 422 for invalid values, 410 for
    /// an event stream resumed too late.
    pub fn http_status(&self) -> u16 {
        use MeetingError::*;
        match self {
            UnknownMeeting { .. } | UnknownParticipant { .. } | UnknownRoom { .. } => 404,
            NoBreakouts => 404,
            NotPermitted { .. } | WrongPasscode => 403,
            MeetingExists { .. }
            | NoRooms
            | RoomsNotOpen { .. }
            | RoomsAlreadyOpen { .. }
            | RoomClosed { .. }
            | SameRoom { .. }
            | TooManyRooms { .. }
            | MeetingFull { .. }
            | RoomNameTaken { .. }
            | NotInBreakoutRoom { .. } => 409,
            InvalidMeetingId { .. }
            | CountOutOfRange { .. }
            | InvalidText { .. }
            | InvalidPattern { .. }
            | OptionOutOfRange { .. }
            | SeqAhead { .. } => 422,
            TooFarBehind { .. } => 410,
        }
    }
}
