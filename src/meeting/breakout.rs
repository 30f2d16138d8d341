//! Breakout rooms: their state machine and the rooms themselves.
//!
//! ```text
//!   created ──open──▶ open ──close (countdown_s > 0)──▶ closing ──countdown──▶ closed
//!      ▲                │  └──close (countdown_s = 0) / close_after_s ─────────▲   │
//!      │                └───────────────────────────────────────────────────────┘   │
//!      └── create/recreate (from any state)            open again ◀─────────────────┘
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{ParticipantId, RoomId};

/// Where the breakout rooms are in their life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakoutState {
    /// Rooms exist; nobody is in them yet.
    Created,
    /// Rooms are open: people are in them and may be moved.
    Open,
    /// The close countdown runs (`seconds_left`); nobody may enter a room.
    Closing,
    /// Everyone is back in the main session; the rooms may open again.
    Closed,
}

impl fmt::Display for BreakoutState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BreakoutState::Created => "created",
            BreakoutState::Open => "open",
            BreakoutState::Closing => "closing",
            BreakoutState::Closed => "closed",
        })
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Room {
    pub(crate) name: String,
    /// Who is in the room now (not who is assigned to it).
    pub(crate) members: BTreeSet<ParticipantId>,
}

#[derive(Clone, Debug)]
pub(crate) struct Breakouts {
    pub(crate) state: BreakoutState,
    /// Ordered by id, which is creation order.
    pub(crate) rooms: BTreeMap<RoomId, Room>,
}

impl Breakouts {
    pub(crate) fn room_by_name(&self, name: &str) -> Option<RoomId> {
        self.rooms
            .iter()
            .find(|(_, r)| r.name == name)
            .map(|(id, _)| *id)
    }
}
