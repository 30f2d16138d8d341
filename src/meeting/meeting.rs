//! One meeting: its participants, main session, breakout rooms, timers and event log.
//!
//! Every command handler validates everything first and mutates only after the last check
//! ("nothing half-applies"); the `// -- apply --` line in each marks the point of no return.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::assign::{even_split, preassigned_room, validate_pattern};
use super::breakout::{Breakouts, BreakoutsView, Room, RoomView};
use super::event::{EventLog, LeaveReason};
use super::timer::{Timer, TimerTable};
use super::{
    Actor, AssignMode, BreakoutOptions, BreakoutState, Command, Event, EventKind, JoinRequest,
    Limits, MediaCommand, MeetingError, MeetingId, MeetingKey, MeetingSpec, Outcome, ParticipantId,
    Place, PreAssignment, Role, RoomId, RoomKey,
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
    /// Identity → room of participants that left while assigned, so a rejoin (a dropped call
    /// redialling) lands where it was. Cleared with the rooms.
    departed: HashMap<String, RoomId>,
    timers: TimerTable,
    log: EventLog,
}

fn remaining(deadline: Instant, now: Instant) -> u32 {
    let d = deadline.saturating_duration_since(now);
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    u32::try_from(s).unwrap_or(u32::MAX)
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

    // ---- views ----

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

    // ---- commands ----

    pub(crate) fn handle(
        &mut self,
        now: Instant,
        actor: Actor,
        cmd: Command,
        ctx: &mut Ctx<'_>,
    ) -> Result<Outcome, MeetingError> {
        // Every command from a participant needs that participant to be here.
        if let Actor::Participant(p) = actor {
            self.get(p)?;
        }
        match cmd {
            Command::Join(req) => self.join(actor, req, ctx).map(Outcome::Joined),
            Command::Leave { participant } => self.leave(actor, participant, ctx.out),
            Command::CreateBreakouts {
                count,
                assign,
                seed,
                options,
            } => self.create_breakouts(actor, count, assign, seed, options, ctx),
            Command::RemoveBreakouts => {
                self.require_manager(actor, "remove breakout rooms")?;
                self.breakouts()?;
                // -- apply --
                self.drop_rooms(actor, ctx.out);
                Ok(Outcome::Done)
            }
            Command::AddRoom { name } => self.add_room(actor, name, ctx),
            Command::RenameRoom { room, name } => {
                self.require_manager(actor, "rename a breakout room")?;
                let current = &self.check_room(room)?.name;
                if *current == name {
                    return Ok(Outcome::Done);
                }
                self.check_room_name(&name, Some(room), ctx.limits)?;
                // -- apply --
                self.breakouts
                    .as_mut()
                    .and_then(|b| b.rooms.get_mut(&room))
                    .expect("checked above")
                    .name = name.clone();
                self.emit(ctx.out, EventKind::RoomRenamed { room, name });
                self.fill_preassignments(ctx.out);
                Ok(Outcome::Done)
            }
            Command::DeleteRoom { room } => {
                self.require_manager(actor, "delete a breakout room")?;
                let members: Vec<ParticipantId> =
                    self.check_room(room)?.members.iter().copied().collect();
                // -- apply --
                for id in members {
                    self.relocate(id, Place::Main, actor, ctx.out);
                }
                for p in self.participants.values_mut() {
                    if matches!(p.assigned, Some((r, _)) if r == room) {
                        p.assigned = None;
                    }
                }
                self.departed.retain(|_, r| *r != room);
                self.breakouts
                    .as_mut()
                    .expect("checked above")
                    .rooms
                    .remove(&room);
                self.emit(ctx.out, EventKind::RoomDeleted { room });
                Ok(Outcome::Done)
            }
            Command::Assign { participant, room } => {
                self.require_manager(actor, "assign a participant")?;
                self.get(participant)?;
                if let Some(r) = room {
                    self.check_room(r)?;
                }
                // -- apply --
                self.set_assignment(participant, room.map(|r| (r, Source::Manual)), ctx.out);
                Ok(Outcome::Done)
            }
            Command::AutoAssign { seed } => {
                self.require_manager(actor, "assign participants")?;
                if self.breakouts()?.rooms.is_empty() {
                    return Err(MeetingError::NoRooms);
                }
                // -- apply --
                let seed = seed.unwrap_or_else(|| ctx.rng.gen());
                let autos: Vec<ParticipantId> = self
                    .participants
                    .iter()
                    .filter(|(_, p)| matches!(p.assigned, Some((_, Source::Auto))))
                    .map(|(id, _)| *id)
                    .collect();
                // Clear silently and let the split report the final assignment: one event per
                // participant whose room actually changed.
                let before: HashMap<ParticipantId, RoomId> = autos
                    .iter()
                    .map(|id| {
                        let p = self.participants.get_mut(id).expect("listed above");
                        let r = p.assigned.take().expect("filtered on Some").0;
                        (*id, r)
                    })
                    .collect();
                self.auto_assign(seed, &before, ctx.out);
                Ok(Outcome::Done)
            }
            Command::SetOptions { options } => {
                self.require_manager(actor, "change breakout options")?;
                options.validate()?;
                // -- apply --
                if options != self.options {
                    self.options = options.clone();
                    self.emit(ctx.out, EventKind::OptionsChanged { options });
                }
                Ok(Outcome::Done)
            }
            Command::SetPreassignments { preassignments } => {
                self.require_manager(actor, "set pre-assignments")?;
                Self::check_preassignments(&preassignments, ctx.limits)?;
                // -- apply --
                let count = preassignments.len();
                self.preassignments = preassignments;
                let list = &self.preassignments;
                for p in self.participants.values_mut() {
                    p.pre = preassigned_room(list, &p.identity, &p.name).map(str::to_owned);
                }
                self.emit(ctx.out, EventKind::PreassignmentsChanged { count });
                self.apply_preassignments(true, ctx.out);
                Ok(Outcome::Done)
            }
            Command::Open => self.open(now, actor, ctx.out),
            Command::Close => {
                self.require_manager(actor, "close breakout rooms")?;
                let state = self.breakouts()?.state;
                if state != BreakoutState::Open {
                    return Err(MeetingError::RoomsNotOpen { state });
                }
                // -- apply --
                self.begin_close(now, actor, ctx.out);
                Ok(Outcome::Done)
            }
            Command::Move { participant, to } => self.move_participant(actor, participant, to, ctx),
            Command::Exchange { a, b } => self.exchange(actor, a, b, ctx.out),
            Command::RequestHelp { participant } => {
                if !matches!(actor, Actor::Gateway) && actor != Actor::Participant(participant) {
                    return Err(MeetingError::NotPermitted {
                        action: "ask for help for somebody else",
                    });
                }
                let p = self.get(participant)?;
                let state = self.breakouts()?.state;
                if state != BreakoutState::Open {
                    return Err(MeetingError::RoomsNotOpen { state });
                }
                let Place::Room(room) = p.place else {
                    return Err(MeetingError::NotInBreakoutRoom { participant });
                };
                // -- apply --
                self.emit(ctx.out, EventKind::HelpRequested { participant, room });
                Ok(Outcome::Done)
            }
            Command::Broadcast { message } => {
                self.require_manager(actor, "broadcast")?;
                check_text("message", &message, ctx.limits.max_message_len, false)?;
                let state = self.breakouts()?.state;
                // A closing broadcast ("one minute left") is the common case, so closing counts.
                if !matches!(state, BreakoutState::Open | BreakoutState::Closing) {
                    return Err(MeetingError::RoomsNotOpen { state });
                }
                // -- apply --
                self.emit(ctx.out, EventKind::Broadcast { message, by: actor });
                Ok(Outcome::Done)
            }
            Command::Mute { participant, muted } => {
                if actor != Actor::Participant(participant) {
                    self.require_manager(actor, "mute somebody else")?;
                }
                let p = self.get(participant)?;
                if p.muted == muted {
                    return Ok(Outcome::Done);
                }
                // -- apply --
                self.participants
                    .get_mut(&participant)
                    .expect("checked above")
                    .muted = muted;
                self.emit(
                    ctx.out,
                    EventKind::ParticipantMuted {
                        participant,
                        muted,
                        by: actor,
                    },
                );
                ctx.out
                    .media
                    .push_back(MediaCommand::Mute { participant, muted });
                Ok(Outcome::Done)
            }
        }
    }

    /// The automatic split over every room for participants (role `participant`) without an
    /// assignment; reports those whose room differs from `before` (their earlier automatic
    /// assignment, when this is a redo).
    fn auto_assign(
        &mut self,
        seed: u64,
        before: &HashMap<ParticipantId, RoomId>,
        out: &mut Outputs,
    ) {
        let Some(b) = self.breakouts.as_ref() else {
            return;
        };
        let rooms: Vec<RoomId> = b.rooms.keys().copied().collect();
        let mut sizes = vec![0usize; rooms.len()];
        let mut people = Vec::new();
        for (id, p) in &self.participants {
            if p.role != Role::Participant {
                continue;
            }
            match p.assigned {
                Some((r, _)) => {
                    if let Ok(i) = rooms.binary_search(&r) {
                        sizes[i] += 1;
                    }
                }
                None => people.push(*id),
            }
        }
        let split = even_split(people, &mut sizes, seed);
        for (id, i) in split {
            let room = rooms[i];
            self.participants
                .get_mut(&id)
                .expect("listed above")
                .assigned = Some((room, Source::Auto));
            if before.get(&id) != Some(&room) {
                self.emit(
                    out,
                    EventKind::ParticipantAssigned {
                        participant: id,
                        room: Some(room),
                    },
                );
            }
        }
    }

    fn join(
        &mut self,
        actor: Actor,
        req: JoinRequest,
        ctx: &mut Ctx<'_>,
    ) -> Result<ParticipantId, MeetingError> {
        if !matches!(actor, Actor::Gateway | Actor::Host) {
            return Err(MeetingError::NotPermitted {
                action: "attach a participant",
            });
        }
        check_text("name", &req.name, ctx.limits.max_name_len, true)?;
        check_text("identity", &req.identity, 512, true)?;
        if let Some(code) = &self.passcode {
            if !req
                .passcode
                .as_deref()
                .is_some_and(|given| same_secret(given, code))
            {
                return Err(MeetingError::WrongPasscode);
            }
        }
        if self.participants.len() >= ctx.limits.max_participants as usize {
            return Err(MeetingError::MeetingFull {
                max: ctx.limits.max_participants,
            });
        }
        // -- apply --
        let id = ParticipantId(*ctx.next_participant);
        *ctx.next_participant += 1;
        let pre =
            preassigned_room(&self.preassignments, &req.identity, &req.name).map(str::to_owned);
        let assigned = self
            .departed
            .remove(&req.identity)
            .filter(|r| self.check_room(*r).is_ok())
            .map(|r| (r, Source::Manual))
            .or_else(|| {
                let r = self.resolve_room(pre.as_deref()?)?;
                Some((r, Source::Pre))
            });
        let state = self.state();
        let place = match (state, assigned) {
            (Some(BreakoutState::Open), Some((r, _))) if self.options.auto_move => Place::Room(r),
            _ => Place::Main,
        };
        if let (Place::Room(r), Some(b)) = (place, self.breakouts.as_mut()) {
            b.rooms
                .get_mut(&r)
                .expect("resolved rooms exist")
                .members
                .insert(id);
        }
        self.participants.insert(
            id,
            Participant {
                name: req.name.clone(),
                identity: req.identity.clone(),
                role: req.role,
                place,
                assigned,
                pre,
                muted: false,
            },
        );
        self.emit(
            ctx.out,
            EventKind::ParticipantJoined {
                participant: id,
                name: req.name,
                identity: req.identity,
                role: req.role,
                room: place,
            },
        );
        if let Some((r, _)) = assigned {
            self.emit(
                ctx.out,
                EventKind::ParticipantAssigned {
                    participant: id,
                    room: Some(r),
                },
            );
            if state == Some(BreakoutState::Open) && place == Place::Main {
                self.emit(
                    ctx.out,
                    EventKind::ParticipantInvited {
                        participant: id,
                        room: r,
                    },
                );
            }
        }
        ctx.out.media.push_back(MediaCommand::Attach {
            participant: id,
            room: self.room_key(place),
        });
        Ok(id)
    }

    fn leave(
        &mut self,
        actor: Actor,
        participant: ParticipantId,
        out: &mut Outputs,
    ) -> Result<Outcome, MeetingError> {
        let is_self = actor == Actor::Participant(participant);
        if !is_self {
            self.require_manager(actor, "remove somebody else")?;
        }
        self.get(participant)?;
        // -- apply --
        let p = self
            .participants
            .remove(&participant)
            .expect("checked above");
        if let (Place::Room(r), Some(b)) = (p.place, self.breakouts.as_mut()) {
            if let Some(room) = b.rooms.get_mut(&r) {
                room.members.remove(&participant);
            }
        }
        if let Some((r, _)) = p.assigned {
            // Bounded: at most one entry per identity, and no more than the meeting can hold.
            if self.departed.len() < 4 * self.participants.len().max(256) {
                self.departed.insert(p.identity, r);
            }
        }
        let reason = match actor {
            Actor::Gateway => LeaveReason::HungUp,
            _ if is_self => LeaveReason::Left,
            _ => LeaveReason::Removed,
        };
        self.emit(
            out,
            EventKind::ParticipantLeft {
                participant,
                from: p.place,
                reason,
            },
        );
        out.media.push_back(MediaCommand::Detach { participant });
        Ok(Outcome::Done)
    }

    fn create_breakouts(
        &mut self,
        actor: Actor,
        count: u32,
        assign: AssignMode,
        seed: Option<u64>,
        options: Option<BreakoutOptions>,
        ctx: &mut Ctx<'_>,
    ) -> Result<Outcome, MeetingError> {
        self.require_manager(actor, "create breakout rooms")?;
        let max = ctx.limits.max_rooms;
        if count == 0 || count > max {
            return Err(MeetingError::CountOutOfRange { count, max });
        }
        if let Some(o) = &options {
            o.validate()?;
        }
        // -- apply --
        self.drop_rooms(actor, ctx.out);
        if let Some(options) = options {
            if options != self.options {
                self.options = options.clone();
                self.emit(ctx.out, EventKind::OptionsChanged { options });
            }
        }
        self.breakouts = Some(Breakouts {
            state: BreakoutState::Created,
            rooms: BTreeMap::new(),
        });
        let ids: Vec<RoomId> = (0..count)
            .map(|_| {
                let name = self.default_room_name();
                self.add_room_unchecked(name, ctx.out)
            })
            .collect();
        self.fill_preassignments(ctx.out);
        if assign == AssignMode::Auto {
            let seed = seed.unwrap_or_else(|| ctx.rng.gen());
            self.auto_assign(seed, &HashMap::new(), ctx.out);
        }
        Ok(Outcome::Rooms(ids))
    }

    fn add_room(
        &mut self,
        actor: Actor,
        name: Option<String>,
        ctx: &mut Ctx<'_>,
    ) -> Result<Outcome, MeetingError> {
        self.require_manager(actor, "add a breakout room")?;
        let n = self.breakouts.as_ref().map_or(0, |b| b.rooms.len());
        if n >= ctx.limits.max_rooms as usize {
            return Err(MeetingError::TooManyRooms {
                max: ctx.limits.max_rooms,
            });
        }
        let name = match name {
            Some(name) => {
                self.check_room_name(&name, None, ctx.limits)?;
                name
            }
            None => self.default_room_name(),
        };
        // -- apply --
        let id = self.add_room_unchecked(name, ctx.out);
        self.fill_preassignments(ctx.out);
        Ok(Outcome::Room(id))
    }

    fn open(
        &mut self,
        now: Instant,
        actor: Actor,
        out: &mut Outputs,
    ) -> Result<Outcome, MeetingError> {
        self.require_manager(actor, "open breakout rooms")?;
        let b = self.breakouts()?;
        if matches!(b.state, BreakoutState::Open | BreakoutState::Closing) {
            return Err(MeetingError::RoomsAlreadyOpen { state: b.state });
        }
        if b.rooms.is_empty() {
            return Err(MeetingError::NoRooms);
        }
        // -- apply --
        self.breakouts.as_mut().expect("checked above").state = BreakoutState::Open;
        self.timers.clear();
        let close_after_s = self.options.close_after_s;
        if let Some(s) = close_after_s {
            self.timers
                .set(Timer::CloseAfter, now + Duration::from_secs(s.into()));
        }
        self.emit(out, EventKind::RoomsOpened { close_after_s });
        let assigned: Vec<(ParticipantId, RoomId)> = self
            .participants
            .iter()
            .filter(|(_, p)| p.place == Place::Main)
            .filter_map(|(id, p)| Some((*id, p.assigned?.0)))
            .collect();
        for (id, room) in assigned {
            if self.options.auto_move {
                self.relocate(id, Place::Room(room), actor, out);
            } else {
                self.emit(
                    out,
                    EventKind::ParticipantInvited {
                        participant: id,
                        room,
                    },
                );
            }
        }
        Ok(Outcome::Done)
    }

    fn move_participant(
        &mut self,
        actor: Actor,
        participant: ParticipantId,
        to: Place,
        ctx: &mut Ctx<'_>,
    ) -> Result<Outcome, MeetingError> {
        let p = self.get(participant)?;
        if let Place::Room(room) = to {
            self.check_room(room)?;
            if self.state() != Some(BreakoutState::Open) {
                return Err(MeetingError::RoomClosed { room });
            }
        }
        if !self.is_manager(actor)? {
            if actor != Actor::Participant(participant) {
                return Err(MeetingError::NotPermitted {
                    action: "move somebody else",
                });
            }
            match to {
                // During the close countdown anybody may leave early: the rooms are going away.
                Place::Main
                    if !self.options.allow_return
                        && self.state() != Some(BreakoutState::Closing) =>
                {
                    return Err(MeetingError::NotPermitted {
                        action: "return to the main session",
                    })
                }
                Place::Room(r)
                    if !self.options.allow_self_select && p.assigned.map(|(a, _)| a) != Some(r) =>
                {
                    return Err(MeetingError::NotPermitted {
                        action: "choose a breakout room",
                    })
                }
                _ => {}
            }
        }
        if p.place == to {
            return Ok(Outcome::Done);
        }
        // -- apply --
        if let Place::Room(r) = to {
            // Where somebody was last put is where they belong (e.g. if they drop and redial).
            self.participants
                .get_mut(&participant)
                .expect("checked above")
                .assigned = Some((r, Source::Manual));
        }
        self.relocate(participant, to, actor, ctx.out);
        Ok(Outcome::Done)
    }

    fn exchange(
        &mut self,
        actor: Actor,
        a: ParticipantId,
        b: ParticipantId,
        out: &mut Outputs,
    ) -> Result<Outcome, MeetingError> {
        self.require_manager(actor, "exchange participants")?;
        let a_from = self.get(a)?.place;
        let b_from = self.get(b)?.place;
        if a_from == b_from {
            return Err(MeetingError::SameRoom {
                a,
                b,
                place: a_from,
            });
        }
        let state = self.breakouts()?.state;
        if state != BreakoutState::Open {
            return Err(MeetingError::RoomsNotOpen { state });
        }
        // -- apply --
        let bo = self.breakouts.as_mut().expect("checked above");
        if let Place::Room(r) = a_from {
            let room = bo
                .rooms
                .get_mut(&r)
                .expect("members are in rooms that exist");
            room.members.remove(&a);
            room.members.insert(b);
        }
        if let Place::Room(r) = b_from {
            let room = bo
                .rooms
                .get_mut(&r)
                .expect("members are in rooms that exist");
            room.members.remove(&b);
            room.members.insert(a);
        }
        for (id, to) in [(a, b_from), (b, a_from)] {
            let p = self.participants.get_mut(&id).expect("checked above");
            p.place = to;
            if let Place::Room(r) = to {
                p.assigned = Some((r, Source::Manual));
            }
        }
        self.emit(
            out,
            EventKind::ParticipantsExchanged {
                a,
                a_to: b_from,
                b,
                b_to: a_from,
                by: actor,
            },
        );
        out.media.push_back(MediaCommand::Exchange {
            a,
            a_to: self.room_key(b_from),
            b,
            b_to: self.room_key(a_from),
        });
        Ok(Outcome::Done)
    }
}
