//! The command handlers of one meeting. Each validates everything first and changes the
//! meeting only after its last check; the `// -- apply --` line marks the point of no return.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use rand::Rng;

use super::{check_text, same_secret, Ctx, Meeting, Outputs, Participant, Source};
use crate::meeting::assign::{even_split, preassigned_room};
use crate::meeting::breakout::Breakouts;
use crate::meeting::event::LeaveReason;
use crate::meeting::timer::Timer;
use crate::meeting::{
    Actor, AssignMode, BreakoutOptions, BreakoutState, Command, EventKind, JoinRequest,
    MediaCommand, MeetingError, Outcome, ParticipantId, Place, Role, RoomId,
};

impl Meeting {
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
        // A room that came from the pre-assignment list is not remembered: on a redial the list
        // as it is then decides again, so an entry changed or deleted meanwhile no longer
        // applies (issue 15). Only rooms given by hand or by the even split are kept.
        if let Some((r, Source::Auto | Source::Manual)) = p.assigned {
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
