//! What hosts, participants and the gateway ask of a meeting, and what they get back.

use serde::{Deserialize, Serialize};

use super::{MeetingError, ParticipantId, Place, Role, RoomId};

/// Limits of one registry. The defaults are the issue's floor: 100 breakout rooms and 1,000
/// participants a meeting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Most breakout rooms in one meeting.
    pub max_rooms: u32,
    /// Most participants attached to one meeting at once.
    pub max_participants: u32,
    /// Events kept per meeting for observers that resume (`events_since`).
    pub event_log: usize,
    /// Longest name (meeting, room, participant), in bytes.
    pub max_name_len: usize,
    /// Longest broadcast message, in bytes.
    pub max_message_len: usize,
    /// Most pre-assignments per meeting.
    pub max_preassignments: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_rooms: 100,
            max_participants: 1000,
            event_log: 4096,
            max_name_len: 128,
            max_message_len: 1024,
            max_preassignments: 2000,
        }
    }
}

/// Longest `close_after_s` accepted: one day.
pub const MAX_CLOSE_AFTER_S: u32 = 24 * 3600;
/// Longest `countdown_s` accepted: one hour.
pub const MAX_COUNTDOWN_S: u32 = 3600;

/// Per-meeting breakout options.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BreakoutOptions {
    /// Move assigned participants into their rooms when the rooms open; otherwise they are
    /// invited (a `participant_invited` event) and move themselves.
    pub auto_move: bool,
    /// Participants may return to the main session on their own.
    pub allow_return: bool,
    /// Participants may pick any open room on their own.
    pub allow_self_select: bool,
    /// Close the rooms automatically this many seconds after they open.
    pub close_after_s: Option<u32>,
    /// After a close, this many seconds of countdown before everyone is back in the main
    /// session; 0 closes at once.
    pub countdown_s: u32,
    /// Tell the host (a `time_up` event) when `close_after_s` runs out.
    pub notify_host: bool,
}

impl Default for BreakoutOptions {
    fn default() -> Self {
        BreakoutOptions {
            auto_move: true,
            allow_return: true,
            allow_self_select: false,
            close_after_s: None,
            countdown_s: 60,
            notify_host: false,
        }
    }
}

impl BreakoutOptions {
    /// Checks ranges: `close_after_s` 1..=86400, `countdown_s` 0..=3600.
    pub fn validate(&self) -> Result<(), MeetingError> {
        if let Some(v) = self.close_after_s {
            if v == 0 || v > MAX_CLOSE_AFTER_S {
                return Err(MeetingError::OptionOutOfRange {
                    field: "close_after_s",
                    value: v,
                    min: 1,
                    max: MAX_CLOSE_AFTER_S,
                });
            }
        }
        if self.countdown_s > MAX_COUNTDOWN_S {
            return Err(MeetingError::OptionOutOfRange {
                field: "countdown_s",
                value: self.countdown_s,
                min: 0,
                max: MAX_COUNTDOWN_S,
            });
        }
        Ok(())
    }
}

/// How breakout rooms are filled when they are created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignMode {
    /// Even split of the participants (role `participant`) not already assigned by hand or by
    /// pre-assignment; deterministic given the seed.
    #[default]
    Auto,
    /// Nobody is assigned except by pre-assignment; the host assigns by hand.
    Manual,
}

/// A pre-assignment made when scheduling: participants whose identity (or name) matches
/// `identity` belong in room `room`.
///
/// `identity` is an exact string or a simple glob (`*` any run of characters, `?` one
/// character), matched ASCII-case-insensitively against the participant's identity, then its
/// name: `sip:boardroom@corp.example`, `sip:*@sales.example`, `Boardroom*`. Exact entries win
/// over patterns; among patterns the first in the list wins.
///
/// `room` names the room by its name (`"Room 2"`), or else by its id (`"2"`); the room need not
/// exist yet; the assignment takes effect once it does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreAssignment {
    pub identity: String,
    pub room: String,
}

/// Everything a meeting is created with (also what the store restores after a restart).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MeetingSpec {
    pub id: String,
    pub name: String,
    pub passcode: Option<String>,
    pub options: BreakoutOptions,
    pub preassignments: Vec<PreAssignment>,
    /// Breakout rooms scheduled ahead, by name (ids 1, 2, … in this order); empty: none. They
    /// start `created`, with nobody assigned but by pre-assignment.
    pub rooms: Vec<String>,
}

/// A participant being attached to a meeting by the gateway.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    pub name: String,
    /// E.g. the caller's SIP URI (`sip:boardroom@corp.example`).
    pub identity: String,
    #[serde(default)]
    pub role: Role,
    /// Checked against the meeting's passcode, when it has one.
    #[serde(default)]
    pub passcode: Option<String>,
}

/// A command to one meeting. See [`super::Meetings::handle`] for who may issue which.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Attach a participant (gateway or host only). Answers [`Outcome::Joined`].
    Join(JoinRequest),
    /// Detach a participant: it hung up (by the gateway) or was removed (by a host) or left by
    /// itself.
    Leave {
        participant: ParticipantId,
    },
    /// Create `count` breakout rooms named "Room 1"…, replacing any there are (recreate:
    /// everyone goes back to the main session first). Answers [`Outcome::Rooms`].
    CreateBreakouts {
        count: u32,
        #[serde(default)]
        assign: AssignMode,
        /// For [`AssignMode::Auto`]; drawn from the registry's RNG when absent.
        #[serde(default)]
        seed: Option<u64>,
        /// Replaces the meeting's options when given.
        #[serde(default)]
        options: Option<BreakoutOptions>,
    },
    /// Drop all breakout rooms; everyone goes back to the main session.
    RemoveBreakouts,
    /// Add one room (named "Room N" when no name is given). Answers [`Outcome::Room`].
    AddRoom {
        #[serde(default)]
        name: Option<String>,
    },
    RenameRoom {
        room: RoomId,
        name: String,
    },
    /// Delete a room; the people in it go to the main session.
    DeleteRoom {
        room: RoomId,
    },
    /// Set (or clear) which room a participant belongs in. It takes effect when rooms open, or
    /// when the participant (re)joins; to move somebody now, use [`Command::Move`].
    Assign {
        participant: ParticipantId,
        room: Option<RoomId>,
    },
    /// Redo the automatic split for everyone not assigned by hand or pre-assignment.
    AutoAssign {
        #[serde(default)]
        seed: Option<u64>,
    },
    /// Replace the options. A timer already running keeps its deadline.
    SetOptions {
        options: BreakoutOptions,
    },
    /// Replace the pre-assignments. Participants present without an assignment get theirs;
    /// those assigned by the old list follow the new one; hand-made assignments stay.
    SetPreassignments {
        preassignments: Vec<PreAssignment>,
    },
    /// Open all rooms.
    Open,
    /// Close all rooms (with the countdown, if any).
    Close,
    /// Move a participant to a room or to the main session now. A room must be open. A move
    /// into a room also makes it the participant's assignment. A participant moving itself
    /// needs `allow_return` to go back to the main session (not during the close countdown)
    /// and `allow_self_select` to pick a room other than its assigned one.
    Move {
        participant: ParticipantId,
        to: Place,
    },
    /// Swap two participants in different places in one step.
    Exchange {
        a: ParticipantId,
        b: ParticipantId,
    },
    /// A participant in a breakout room asks the host for help.
    RequestHelp {
        participant: ParticipantId,
    },
    /// A message to every room.
    Broadcast {
        message: String,
    },
    Mute {
        participant: ParticipantId,
        muted: bool,
    },
}

impl Command {
    /// A short name for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Join(_) => "join",
            Command::Leave { .. } => "leave",
            Command::CreateBreakouts { .. } => "create_breakouts",
            Command::RemoveBreakouts => "remove_breakouts",
            Command::AddRoom { .. } => "add_room",
            Command::RenameRoom { .. } => "rename_room",
            Command::DeleteRoom { .. } => "delete_room",
            Command::Assign { .. } => "assign",
            Command::AutoAssign { .. } => "auto_assign",
            Command::SetOptions { .. } => "set_options",
            Command::SetPreassignments { .. } => "set_preassignments",
            Command::Open => "open",
            Command::Close => "close",
            Command::Move { .. } => "move",
            Command::Exchange { .. } => "exchange",
            Command::RequestHelp { .. } => "request_help",
            Command::Broadcast { .. } => "broadcast",
            Command::Mute { .. } => "mute",
        }
    }
}

/// What a successful command returns beyond its events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Done,
    Joined(ParticipantId),
    /// The rooms created, in order.
    Rooms(Vec<RoomId>),
    Room(RoomId),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_json_with_a_command_tag() {
        let c: Command = serde_json::from_str(
            r#"{"command": "create_breakouts", "count": 4, "assign": "manual",
                "options": {"countdown_s": 10, "allow_self_select": true}}"#,
        )
        .unwrap();
        assert_eq!(
            c,
            Command::CreateBreakouts {
                count: 4,
                assign: AssignMode::Manual,
                seed: None,
                options: Some(BreakoutOptions {
                    countdown_s: 10,
                    allow_self_select: true,
                    ..Default::default()
                }),
            }
        );
        let c = Command::Move {
            participant: ParticipantId(3),
            to: Place::Main,
        };
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"command": "move", "participant": 3, "to": "main"})
        );
        assert_eq!(serde_json::from_value::<Command>(json).unwrap(), c);
        let j: Command = serde_json::from_str(
            r#"{"command": "join", "name": "Boardroom", "identity": "sip:b@corp.example"}"#,
        )
        .unwrap();
        assert!(matches!(
            j,
            Command::Join(JoinRequest {
                role: Role::Participant,
                ..
            })
        ));
    }

    #[test]
    fn options_default_and_ranges() {
        let o: BreakoutOptions = serde_json::from_str("{}").unwrap();
        assert_eq!(o, BreakoutOptions::default());
        assert!(o.validate().is_ok());
        let bad = BreakoutOptions {
            close_after_s: Some(MAX_CLOSE_AFTER_S + 1),
            ..Default::default()
        };
        assert!(matches!(
            bad.validate(),
            Err(MeetingError::OptionOutOfRange {
                field: "close_after_s",
                ..
            })
        ));
    }
}
