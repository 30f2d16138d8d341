//! One meeting: its participants, main session, breakout rooms, timers and event log.
//!
//! Here: the meeting's state, the lookups and checks its handlers share, the changes several
//! commands make (always after validating), and its timers. The command handlers are in
//! [`handle`] (every one validates everything first and changes state only after its last
//! check: "nothing half-applies"); the read-only views the API shows are in [`view`].

mod handle;
mod view;

pub use view::{BreakoutsView, MeetingSummary, MeetingView, ParticipantView, PlaceLabel, RoomView};

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;

use super::assign::validate_pattern;
use super::breakout::{Breakouts, Room};
use super::event::EventLog;
use super::timer::{Timer, TimerTable};
use super::{
    Actor, BreakoutOptions, BreakoutState, Event, EventKind, Limits, MediaCommand, MeetingError,
    MeetingId, MeetingKey, MeetingSpec, ParticipantId, Place, PreAssignment, Role, RoomId, RoomKey,
};

/// Outputs shared by all meetings of a registry, drained by `poll_event` / `poll_media`.
#[derive(Debug, Default)]
pub(crate) struct Outputs {
    pub(crate) events: VecDeque<Event>,
    pub(crate) media: VecDeque<MediaCommand>,
}

/// Registry-wide things a command may need.
pub(crate) struct Ctx<'a> {
    pub(crate) out: &'a mut Outputs,
    pub(crate) limits: &'a Limits,
    pub(crate) next_participant: &'a mut u64,
    pub(crate) rng: &'a mut SmallRng,
}

/// How a participant got its room assignment; automatic ones are redone by a new split,
/// the others are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Auto,
    Pre,
    Manual,
}

#[derive(Clone, Debug)]
struct Participant {
    name: String,
    identity: String,
    role: Role,
    place: Place,
    assigned: Option<(RoomId, Source)>,
    /// The room string of the pre-assignment this participant matches, if any.
    pre: Option<String>,
    muted: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Meeting {
    pub(crate) id: MeetingId,
    pub(crate) key: MeetingKey,
    name: String,
    passcode: Option<String>,
    options: BreakoutOptions,
    preassignments: Vec<PreAssignment>,
    participants: BTreeMap<ParticipantId, Participant>,
    breakouts: Option<Breakouts>,
    next_room: u32,
    /// Identity → room of participants that left while assigned by hand or by the even split,
    /// so a rejoin (a dropped call redialling) lands where it was. Pre-assigned rooms are not
    /// kept here: the pre-assignment list itself is consulted again on rejoin. Cleared with the
    /// rooms.
    departed: HashMap<String, RoomId>,
    timers: TimerTable,
    log: EventLog,
}

/// Compares secrets in time that depends on their length only, not on where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn check_text(
    field: &'static str,
    s: &str,
    max: usize,
    allow_empty: bool,
) -> Result<(), MeetingError> {
    let reason = if !allow_empty && s.trim().is_empty() {
        Some("empty")
    } else if s.len() > max {
        Some("too long")
    } else if s.chars().any(char::is_control) {
        Some("contains control characters")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(MeetingError::InvalidText { field, reason }),
        None => Ok(()),
    }
}

impl Meeting {
    pub(crate) fn has_passcode(&self) -> bool {
        self.passcode.is_some()
    }

    /// Validates `spec` fully; the meeting is only built when everything is right.
    pub(crate) fn new(
        spec: MeetingSpec,
        key: MeetingKey,
        limits: &Limits,
        out: &mut Outputs,
    ) -> Result<Meeting, MeetingError> {
        let id = MeetingId::new(spec.id)?;
        check_text("name", &spec.name, limits.max_name_len, true)?;
        if let Some(p) = &spec.passcode {
            check_text("passcode", p, 64, false)?;
        }
        spec.options.validate()?;
        Self::check_preassignments(&spec.preassignments, limits)?;
        if spec.rooms.len() > limits.max_rooms as usize {
            return Err(MeetingError::TooManyRooms {
                max: limits.max_rooms,
            });
        }
        for (i, r) in spec.rooms.iter().enumerate() {
            check_text("rooms", r, limits.max_name_len, false)?;
            if spec.rooms[..i].contains(r) {
                return Err(MeetingError::RoomNameTaken { name: r.clone() });
            }
        }
        // -- apply --
        let mut m = Meeting {
            id,
            key,
            name: spec.name,
            passcode: spec.passcode,
            options: spec.options,
            preassignments: spec.preassignments,
            participants: BTreeMap::new(),
            breakouts: None,
            next_room: 1,
            departed: HashMap::new(),
            timers: TimerTable::default(),
            log: EventLog::new(limits.event_log),
        };
        let name = m.name.clone();
        m.emit(out, EventKind::MeetingCreated { name });
        if !spec.rooms.is_empty() {
            m.breakouts = Some(Breakouts {
                state: BreakoutState::Created,
                rooms: BTreeMap::new(),
            });
            for name in spec.rooms {
                m.add_room_unchecked(name, out);
            }
        }
        Ok(m)
    }

    fn check_preassignments(list: &[PreAssignment], limits: &Limits) -> Result<(), MeetingError> {
        if list.len() > limits.max_preassignments {
            return Err(MeetingError::OptionOutOfRange {
                field: "preassignments",
                value: u32::try_from(list.len()).unwrap_or(u32::MAX),
                min: 0,
                max: u32::try_from(limits.max_preassignments).unwrap_or(u32::MAX),
            });
        }
        list.iter()
            .try_for_each(|p| validate_pattern(p, limits.max_name_len))
    }

    fn emit(&mut self, out: &mut Outputs, kind: EventKind) {
        let e = Event {
            meeting: self.id.clone(),
            seq: self.log.next_seq(),
            kind,
        };
        out.events.push_back(e.clone());
        self.log.push(e);
    }

    fn room_key(&self, place: Place) -> RoomKey {
        RoomKey {
            meeting: self.key,
            room: place,
        }
    }

    pub(crate) fn last_seq(&self) -> u64 {
        self.log.last_seq()
    }

    pub(crate) fn events_since(&self, since: u64) -> Result<Vec<Event>, MeetingError> {
        self.log.since(since)
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// The meeting's last event (`meeting_ended`).
    pub(crate) fn end(&mut self, kind: EventKind, out: &mut Outputs) {
        self.timers.clear();
        self.emit(out, kind);
    }

    pub(crate) fn participant_ids(&self) -> Vec<ParticipantId> {
        self.participants.keys().copied().collect()
    }

    // ---- lookups and checks ----

    fn get(&self, id: ParticipantId) -> Result<&Participant, MeetingError> {
        self.participants
            .get(&id)
            .ok_or(MeetingError::UnknownParticipant { participant: id })
    }

    /// Whether `actor` has host rights here (gateway, API host, or an attached host/co-host).
    fn is_manager(&self, actor: Actor) -> Result<bool, MeetingError> {
        match actor {
            Actor::Gateway | Actor::Host => Ok(true),
            Actor::Participant(p) => Ok(self.get(p)?.role.manages_rooms()),
        }
    }

    fn require_manager(&self, actor: Actor, action: &'static str) -> Result<(), MeetingError> {
        if self.is_manager(actor)? {
            Ok(())
        } else {
            Err(MeetingError::NotPermitted { action })
        }
    }

    fn breakouts(&self) -> Result<&Breakouts, MeetingError> {
        self.breakouts.as_ref().ok_or(MeetingError::NoBreakouts)
    }

    fn state(&self) -> Option<BreakoutState> {
        self.breakouts.as_ref().map(|b| b.state)
    }

    fn check_room(&self, room: RoomId) -> Result<&Room, MeetingError> {
        self.breakouts
            .as_ref()
            .and_then(|b| b.rooms.get(&room))
            .ok_or(MeetingError::UnknownRoom { room })
    }

    /// A room name that is valid and not used by another room.
    fn check_room_name(
        &self,
        name: &str,
        except: Option<RoomId>,
        limits: &Limits,
    ) -> Result<(), MeetingError> {
        check_text("name", name, limits.max_name_len, false)?;
        if let Some(b) = &self.breakouts {
            if b.rooms
                .iter()
                .any(|(id, r)| r.name == name && Some(*id) != except)
            {
                return Err(MeetingError::RoomNameTaken { name: name.into() });
            }
        }
        Ok(())
    }

    /// The room a pre-assignment's `room` string names: by name first, then by id.
    fn resolve_room(&self, s: &str) -> Option<RoomId> {
        let b = self.breakouts.as_ref()?;
        b.room_by_name(s).or_else(|| {
            s.parse::<RoomId>()
                .ok()
                .filter(|id| b.rooms.contains_key(id))
        })
    }

    // ---- mutations shared by several commands (call only after validating) ----

    /// Moves one participant and reports it. The participant and target must exist.
    fn relocate(&mut self, id: ParticipantId, to: Place, by: Actor, out: &mut Outputs) {
        let p = self
            .participants
            .get_mut(&id)
            .expect("callers check the participant exists");
        let from = p.place;
        if from == to {
            return;
        }
        p.place = to;
        if let Some(b) = self.breakouts.as_mut() {
            if let Place::Room(r) = from {
                if let Some(room) = b.rooms.get_mut(&r) {
                    room.members.remove(&id);
                }
            }
            if let Place::Room(r) = to {
                b.rooms
                    .get_mut(&r)
                    .expect("callers check the room exists")
                    .members
                    .insert(id);
            }
        }
        self.emit(
            out,
            EventKind::ParticipantMoved {
                participant: id,
                from,
                to,
                by,
            },
        );
        out.media.push_back(MediaCommand::Move {
            participant: id,
            to: self.room_key(to),
        });
    }

    fn set_assignment(
        &mut self,
        id: ParticipantId,
        assigned: Option<(RoomId, Source)>,
        out: &mut Outputs,
    ) {
        let p = self
            .participants
            .get_mut(&id)
            .expect("callers check the participant exists");
        let before = p.assigned.map(|(r, _)| r);
        p.assigned = assigned;
        let after = assigned.map(|(r, _)| r);
        if before != after {
            self.emit(
                out,
                EventKind::ParticipantAssigned {
                    participant: id,
                    room: after,
                },
            );
        }
    }

    /// Everyone in a breakout room goes back to the main session, in id order.
    fn everyone_to_main(&mut self, by: Actor, out: &mut Outputs) {
        let in_rooms: Vec<ParticipantId> = self
            .participants
            .iter()
            .filter(|(_, p)| p.place != Place::Main)
            .map(|(id, _)| *id)
            .collect();
        for id in in_rooms {
            self.relocate(id, Place::Main, by, out);
        }
    }

    /// Drops every room (recreate or remove): everyone to main, assignments and timers gone.
    fn drop_rooms(&mut self, by: Actor, out: &mut Outputs) {
        if self.breakouts.is_none() {
            return;
        }
        self.everyone_to_main(by, out);
        self.timers.clear();
        self.departed.clear();
        for p in self.participants.values_mut() {
            p.assigned = None;
        }
        let rooms: Vec<RoomId> = self
            .breakouts
            .as_ref()
            .map(|b| b.rooms.keys().copied().collect())
            .unwrap_or_default();
        for room in rooms {
            self.emit(out, EventKind::RoomDeleted { room });
        }
        self.breakouts = None;
    }

    fn add_room_unchecked(&mut self, name: String, out: &mut Outputs) -> RoomId {
        let id = RoomId(self.next_room);
        self.next_room += 1;
        let b = self.breakouts.get_or_insert_with(|| Breakouts {
            state: BreakoutState::Created,
            rooms: BTreeMap::new(),
        });
        b.rooms.insert(
            id,
            Room {
                name: name.clone(),
                members: Default::default(),
            },
        );
        self.emit(out, EventKind::RoomCreated { room: id, name });
        id
    }

    fn default_room_name(&self) -> String {
        let n = self.breakouts.as_ref().map_or(0, |b| b.rooms.len());
        (n + 1..)
            .map(|k| format!("Room {k}"))
            .find(|name| {
                self.breakouts
                    .as_ref()
                    .is_none_or(|b| b.room_by_name(name).is_none())
            })
            .expect("some room number is free")
    }

    /// Gives participants that have no assignment the room their pre-assignment names, when
    /// that room exists.
    fn fill_preassignments(&mut self, out: &mut Outputs) {
        self.apply_preassignments(false, out);
    }

    /// Like [`Self::fill_preassignments`], and also re-points (or clears) assignments that came
    /// from an earlier pre-assignment list, after the list changed. Hand-made ones stay.
    fn apply_preassignments(&mut self, replace: bool, out: &mut Outputs) {
        let todo: Vec<(ParticipantId, Option<RoomId>)> = self
            .participants
            .iter()
            .filter_map(|(id, p)| {
                let target = p.pre.as_deref().and_then(|s| self.resolve_room(s));
                match p.assigned {
                    None => target.map(|r| (*id, Some(r))),
                    Some((r, Source::Pre)) if replace && target != Some(r) => Some((*id, target)),
                    _ => None,
                }
            })
            .collect();
        for (id, room) in todo {
            self.set_assignment(id, room.map(|r| (r, Source::Pre)), out);
        }
    }

    /// Starts closing at `at`: with a countdown, or at once.
    fn begin_close(&mut self, at: Instant, by: Actor, out: &mut Outputs) {
        self.timers.stop(Timer::CloseAfter);
        let countdown_s = self.options.countdown_s;
        if countdown_s == 0 {
            self.finish_close(by, out);
            return;
        }
        if let Some(b) = self.breakouts.as_mut() {
            b.state = BreakoutState::Closing;
        }
        self.timers.set(
            Timer::Countdown,
            at + Duration::from_secs(countdown_s.into()),
        );
        self.emit(out, EventKind::RoomsClosing { countdown_s });
    }

    fn finish_close(&mut self, by: Actor, out: &mut Outputs) {
        self.everyone_to_main(by, out);
        self.timers.clear();
        if let Some(b) = self.breakouts.as_mut() {
            b.state = BreakoutState::Closed;
        }
        self.emit(out, EventKind::RoomsClosed);
    }

    // ---- time ----

    /// Fires every timer due at `now`, in deadline order. A deadline whose state has moved on
    /// (rooms closed by hand before `close_after_s`) is dropped without effect.
    pub(crate) fn handle_timeout(&mut self, now: Instant, out: &mut Outputs) {
        loop {
            let due = Timer::ALL
                .into_iter()
                .filter_map(|t| self.timers.get(t).filter(|&at| at <= now).map(|at| (at, t)))
                .min_by_key(|&(at, t)| (at, t as u8));
            let Some((at, timer)) = due else {
                return;
            };
            self.timers.take_due(timer, now);
            match (timer, self.state()) {
                (Timer::CloseAfter, Some(BreakoutState::Open)) => {
                    if self.options.notify_host {
                        self.emit(out, EventKind::TimeUp);
                    }
                    // Counting from the deadline, not from a late `now`, keeps the countdown
                    // as long as announced.
                    self.begin_close(at, Actor::Gateway, out);
                }
                (Timer::Countdown, Some(BreakoutState::Closing)) => {
                    self.finish_close(Actor::Gateway, out);
                }
                _ => {}
            }
        }
    }
}
