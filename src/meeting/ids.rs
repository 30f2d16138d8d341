//! Identifiers and small value types shared by every part of the meeting core.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A meeting's public id: what a room system dials (`1000@gateway`) and what the API puts in
/// its paths. ASCII letters, digits, `.`, `_` and `-`; 1 to 64 characters.
///
/// Shared (`Arc<str>`) because every event carries it: cloning it must not allocate.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MeetingId(Arc<str>);

impl Serialize for MeetingId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for MeetingId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        MeetingId::new(s).map_err(serde::de::Error::custom)
    }
}

impl MeetingId {
    /// Longest accepted meeting id.
    pub const MAX_LEN: usize = 64;

    /// Checks the id's syntax (it ends up in SIP Request-URIs and URL paths).
    pub fn new(id: impl Into<String>) -> Result<MeetingId, super::MeetingError> {
        let id = id.into();
        let reason = if id.is_empty() {
            Some("empty")
        } else if id.len() > Self::MAX_LEN {
            Some("longer than 64 characters")
        } else if !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            Some("only letters, digits, '.', '_' and '-' are allowed")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(super::MeetingError::InvalidMeetingId {
                meeting: id,
                reason,
            }),
            None => Ok(MeetingId(id.into())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MeetingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A compact handle for a meeting, assigned by the registry and never reused while it runs; the
/// media plane keys its rooms by it (cheaper than the string id on every move).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MeetingKey(pub u32);

/// A participant, as assigned by the core when it joins. Unique across the whole registry and
/// never reused, so a stale id can never name somebody else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ParticipantId(pub u64);

impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for ParticipantId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(ParticipantId)
    }
}

/// A breakout room within its meeting. Numbered from 1 and never reused within a meeting (even
/// across a recreate), so an old id cannot silently name a new room. In JSON it is a string
/// (`"3"`), the same type as `"main"` in a participant's `room`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomId(pub u32);

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for RoomId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(RoomId)
    }
}

impl Serialize for RoomId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RoomId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Accept `"3"` (what we print) and `3` (what people type).
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Num(u32),
            Str(String),
        }
        match Raw::deserialize(d)? {
            Raw::Num(n) => Ok(RoomId(n)),
            Raw::Str(s) => s
                .parse()
                .map_err(|_| serde::de::Error::custom(format!("invalid room id {s:?}"))),
        }
    }
}

/// Where a participant is: the main session or one breakout room. JSON: `"main"` or a room id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Place {
    Main,
    Room(RoomId),
}

impl Place {
    pub fn room(self) -> Option<RoomId> {
        match self {
            Place::Main => None,
            Place::Room(r) => Some(r),
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Main => f.write_str("main"),
            Place::Room(r) => r.fmt(f),
        }
    }
}

/// Parse error for [`Place`]: neither `main` nor a room id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected \"main\" or a room id, got {0:?}")]
pub struct ParsePlaceError(pub String);

impl FromStr for Place {
    type Err = ParsePlaceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "main" {
            return Ok(Place::Main);
        }
        s.parse()
            .map(Place::Room)
            .map_err(|_| ParsePlaceError(s.to_owned()))
    }
}

impl From<RoomId> for Place {
    fn from(r: RoomId) -> Self {
        Place::Room(r)
    }
}

impl Serialize for Place {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Place {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Num(u32),
            Str(String),
        }
        match Raw::deserialize(d)? {
            Raw::Num(n) => Ok(Place::Room(RoomId(n))),
            Raw::Str(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// What the media plane needs to address a room: which meeting, and the main session or which
/// breakout room in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RoomKey {
    pub meeting: MeetingKey,
    pub room: Place,
}

/// A participant's role in its meeting. Only hosts and co-hosts manage breakout rooms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Host,
    CoHost,
    #[default]
    Participant,
}

impl Role {
    /// Hosts and co-hosts manage rooms and move anybody.
    pub fn manages_rooms(self) -> bool {
        matches!(self, Role::Host | Role::CoHost)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Host => "host",
            Role::CoHost => "co_host",
            Role::Participant => "participant",
        })
    }
}

/// Who issues a command; decides what it may do.
///
/// JSON: `"gateway"`, `"host"` or `{"participant": 7}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The gateway itself: call legs joining and leaving, timers firing. Full rights.
    Gateway,
    /// A host authenticated at the API or console without being attached as a participant.
    /// Full rights over the meeting.
    Host,
    /// A participant of the meeting (e.g. from its keypad, or with a participant-level API
    /// token); its rights follow its [`Role`] and the meeting's options.
    Participant(ParticipantId),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn place_json_is_main_or_room_id_string() {
        assert_eq!(serde_json::to_string(&Place::Main).unwrap(), "\"main\"");
        assert_eq!(
            serde_json::to_string(&Place::Room(RoomId(3))).unwrap(),
            "\"3\""
        );
        let p: Place = serde_json::from_str("\"12\"").unwrap();
        assert_eq!(p, Place::Room(RoomId(12)));
        let p: Place = serde_json::from_str("12").unwrap();
        assert_eq!(p, Place::Room(RoomId(12)));
        assert!(serde_json::from_str::<Place>("\"lobby\"").is_err());
    }

    #[test]
    fn meeting_id_syntax() {
        assert!(MeetingId::new("1000").is_ok());
        assert!(MeetingId::new("team-a.weekly_1").is_ok());
        assert!(MeetingId::new("").is_err());
        assert!(MeetingId::new("a b").is_err());
        assert!(MeetingId::new("x".repeat(65)).is_err());
    }

    #[test]
    fn role_and_actor_json() {
        assert_eq!(serde_json::to_string(&Role::CoHost).unwrap(), "\"co_host\"");
        assert_eq!(
            serde_json::to_string(&Actor::Participant(ParticipantId(7))).unwrap(),
            "{\"participant\":7}"
        );
        assert_eq!(serde_json::to_string(&Actor::Host).unwrap(), "\"host\"");
    }
}
