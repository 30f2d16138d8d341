//! [`Meetings`]: the registry that owns every meeting, and the drive loop around it.

use std::collections::HashMap;
use std::time::Instant;

use rand::rngs::SmallRng;
use rand::SeedableRng;

use super::meeting::{
    Ctx, Meeting, MeetingSummary, MeetingView, Outputs, ParticipantView, PlaceLabel,
};
use super::{
    Actor, BreakoutsView, Command, Event, EventKind, JoinRequest, Limits, MediaCommand,
    MeetingError, MeetingKey, MeetingSpec, Outcome, ParticipantId, Place,
};

/// Every meeting on this node. Sans-IO: commands and `now` in; events, media commands and the
/// next deadline out.
///
/// Drive it like every state machine in roomgate: call [`Meetings::handle`] (or a convenience
/// wrapper) or [`Meetings::handle_timeout`], then drain [`Meetings::poll_media`] (apply to the
/// media plane first, so the mix follows at once) and [`Meetings::poll_event`] (to observers),
/// then sleep until [`Meetings::poll_timeout`].
pub struct Meetings {
    limits: Limits,
    meetings: HashMap<String, Meeting>,
    next_key: u32,
    next_participant: u64,
    rng: SmallRng,
    out: Outputs,
}

impl Meetings {
    /// A registry with the given limits; `seed` feeds automatic splits that name no seed.
    pub fn new(limits: Limits, seed: u64) -> Meetings {
        Meetings {
            limits,
            meetings: HashMap::new(),
            next_key: 1,
            next_participant: 1,
            rng: SmallRng::seed_from_u64(seed),
            out: Outputs::default(),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn meeting(&self, id: &str) -> Result<&Meeting, MeetingError> {
        self.meetings
            .get(id)
            .ok_or_else(|| MeetingError::UnknownMeeting {
                meeting: id.to_owned(),
            })
    }

    /// Creates a meeting (emits `meeting_created` and, for `spec.rooms`, `room_created`).
    pub fn create_meeting(
        &mut self,
        now: Instant,
        spec: MeetingSpec,
    ) -> Result<MeetingView, MeetingError> {
        if self.meetings.contains_key(&spec.id) {
            return Err(MeetingError::MeetingExists { meeting: spec.id });
        }
        let key = MeetingKey(self.next_key);
        let m = Meeting::new(spec, key, &self.limits, &mut self.out)?;
        self.next_key += 1;
        let view = m.view(now);
        self.meetings.insert(m.id.as_str().to_owned(), m);
        Ok(view)
    }

    /// Ends a meeting: every participant is detached (`MediaCommand::Detach`) and listed in
    /// the `meeting_ended` event so the gateway hangs their calls up. The meeting and its event
    /// log are gone afterwards. Returns the participants that were attached.
    pub fn end_meeting(
        &mut self,
        _now: Instant,
        id: &str,
    ) -> Result<Vec<ParticipantId>, MeetingError> {
        let mut m = self
            .meetings
            .remove(id)
            .ok_or_else(|| MeetingError::UnknownMeeting {
                meeting: id.to_owned(),
            })?;
        let participants = m.participant_ids();
        for &participant in &participants {
            self.out
                .media
                .push_back(MediaCommand::Detach { participant });
        }
        m.end(
            EventKind::MeetingEnded {
                participants: participants.clone(),
            },
            &mut self.out,
        );
        Ok(participants)
    }

    /// All meetings, ordered by id.
    pub fn list(&self) -> Vec<MeetingSummary> {
        let mut v: Vec<MeetingSummary> = self.meetings.values().map(Meeting::summary).collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }

    /// One meeting in full; `now` computes `seconds_left`.
    pub fn get(&self, now: Instant, id: &str) -> Result<MeetingView, MeetingError> {
        Ok(self.meeting(id)?.view(now))
    }

    /// What `place` in meeting `id` is called; `None` for a room that does not exist.
    pub fn place_label(&self, id: &str, place: Place) -> Result<Option<PlaceLabel>, MeetingError> {
        Ok(self.meeting(id)?.place_label(place))
    }

    /// The media plane's handle for a meeting.
    pub fn key(&self, id: &str) -> Result<MeetingKey, MeetingError> {
        Ok(self.meeting(id)?.key)
    }

    /// A meeting's participants, ordered by id.
    pub fn participants(&self, id: &str) -> Result<Vec<ParticipantView>, MeetingError> {
        Ok(self.meeting(id)?.participants())
    }

    pub fn participant(
        &self,
        id: &str,
        participant: ParticipantId,
    ) -> Result<ParticipantView, MeetingError> {
        self.meeting(id)?.participant(participant)
    }

    /// A meeting's breakout rooms; [`MeetingError::NoBreakouts`] when it has none.
    pub fn breakouts(&self, now: Instant, id: &str) -> Result<BreakoutsView, MeetingError> {
        self.meeting(id)?
            .breakouts_view(now)
            .ok_or(MeetingError::NoBreakouts)
    }

    /// Applies one command to one meeting, whole or not at all.
    ///
    /// Who may do what: [`Actor::Gateway`] and [`Actor::Host`] everything; a participant with
    /// role host or co-host everything but `join`; a participant with role participant only
    /// things about itself: leave, mute, ask for help, return to the main session (with
    /// `allow_return`), enter its assigned room (when invited) or any open room (with
    /// `allow_self_select`). Anything else is [`MeetingError::NotPermitted`].
    pub fn handle(
        &mut self,
        now: Instant,
        id: &str,
        actor: Actor,
        cmd: Command,
    ) -> Result<Outcome, MeetingError> {
        let m = self
            .meetings
            .get_mut(id)
            .ok_or_else(|| MeetingError::UnknownMeeting {
                meeting: id.to_owned(),
            })?;
        let mut ctx = Ctx {
            out: &mut self.out,
            limits: &self.limits,
            next_participant: &mut self.next_participant,
            rng: &mut self.rng,
        };
        let r = m.handle(now, actor, cmd, &mut ctx);
        if let Err(e) = &r {
            tracing::debug!(meeting = id, error = %e, "meeting command refused");
        }
        r
    }

    /// Attaches a participant (as the gateway) and returns its id.
    pub fn join(
        &mut self,
        now: Instant,
        id: &str,
        req: JoinRequest,
    ) -> Result<ParticipantId, MeetingError> {
        match self.handle(now, id, Actor::Gateway, Command::Join(req))? {
            Outcome::Joined(p) => Ok(p),
            other => unreachable!("join answers Joined, not {other:?}"),
        }
    }

    /// Detaches a participant whose call ended.
    pub fn leave(
        &mut self,
        now: Instant,
        id: &str,
        participant: ParticipantId,
    ) -> Result<(), MeetingError> {
        self.handle(now, id, Actor::Gateway, Command::Leave { participant })
            .map(drop)
    }

    /// Moves a participant now (see [`Command::Move`]).
    pub fn move_participant(
        &mut self,
        now: Instant,
        id: &str,
        actor: Actor,
        participant: ParticipantId,
        to: Place,
    ) -> Result<(), MeetingError> {
        self.handle(now, id, actor, Command::Move { participant, to })
            .map(drop)
    }

    /// Swaps two participants in different places (see [`Command::Exchange`]).
    pub fn exchange(
        &mut self,
        now: Instant,
        id: &str,
        actor: Actor,
        a: ParticipantId,
        b: ParticipantId,
    ) -> Result<(), MeetingError> {
        self.handle(now, id, actor, Command::Exchange { a, b })
            .map(drop)
    }

    /// The next user-visible event, across all meetings, in the order they happened.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.out.events.pop_front()
    }

    /// The next effect for the media plane, in order.
    pub fn poll_media(&mut self) -> Option<MediaCommand> {
        self.out.media.pop_front()
    }

    /// The earliest timer deadline of any meeting.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.meetings
            .values()
            .filter_map(Meeting::next_deadline)
            .min()
    }

    /// Fires every timer due at `now`. Calling it early or twice does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        for m in self.meetings.values_mut() {
            if m.next_deadline().is_some_and(|d| d <= now) {
                m.handle_timeout(now, &mut self.out);
            }
        }
    }

    /// A meeting's events after `since` (the last sequence number the observer saw; 0 for
    /// everything), oldest first. [`MeetingError::TooFarBehind`] when some are no longer kept:
    /// the observer must reload the state (`get`) and resume from its `last_seq`.
    pub fn events_since(&self, id: &str, since: u64) -> Result<Vec<Event>, MeetingError> {
        self.meeting(id)?.events_since(since)
    }

    /// Whether joining needs a passcode (cheap: no view is built; the dial plan asks per call).
    pub fn has_passcode(&self, id: &str) -> Result<bool, MeetingError> {
        Ok(self.meeting(id)?.has_passcode())
    }

    /// The sequence number of a meeting's latest event.
    pub fn last_seq(&self, id: &str) -> Result<u64, MeetingError> {
        Ok(self.meeting(id)?.last_seq())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meeting::{AssignMode, BreakoutOptions, BreakoutState, Role, RoomId};
    use std::time::Duration;

    fn join(m: &mut Meetings, now: Instant, name: &str) -> ParticipantId {
        m.join(
            now,
            "1000",
            JoinRequest {
                name: name.into(),
                identity: format!("sip:{name}@corp.example"),
                role: Role::Participant,
                passcode: None,
            },
        )
        .unwrap()
    }

    #[test]
    fn open_move_exchange_close_with_countdown() {
        let t0 = Instant::now();
        let mut m = Meetings::new(Limits::default(), 1);
        m.create_meeting(
            t0,
            MeetingSpec {
                id: "1000".into(),
                name: "Weekly".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let people: Vec<_> = (0..4).map(|i| join(&mut m, t0, &format!("p{i}"))).collect();
        let options = BreakoutOptions {
            countdown_s: 10,
            ..Default::default()
        };
        let Outcome::Rooms(rooms) = m
            .handle(
                t0,
                "1000",
                Actor::Host,
                Command::CreateBreakouts {
                    count: 2,
                    assign: AssignMode::Auto,
                    seed: Some(3),
                    options: Some(options),
                },
            )
            .unwrap()
        else {
            panic!("rooms expected")
        };
        assert_eq!(rooms, vec![RoomId(1), RoomId(2)]);
        m.handle(t0, "1000", Actor::Host, Command::Open).unwrap();
        let b = m.breakouts(t0, "1000").unwrap();
        assert_eq!(b.state, BreakoutState::Open);
        assert_eq!(b.rooms[0].participants.len(), 2);
        assert_eq!(b.rooms[1].participants.len(), 2);

        let a = b.rooms[0].participants[0];
        let c = b.rooms[1].participants[0];
        m.exchange(t0, "1000", Actor::Host, a, c).unwrap();
        assert_eq!(
            m.participant("1000", a).unwrap().room,
            Place::Room(RoomId(2))
        );
        assert_eq!(
            m.exchange(t0, "1000", Actor::Host, a, c),
            Ok(()),
            "a and c are in different rooms again"
        );

        m.handle(t0, "1000", Actor::Host, Command::Close).unwrap();
        let b = m
            .breakouts(t0 + Duration::from_millis(500), "1000")
            .unwrap();
        assert_eq!(b.state, BreakoutState::Closing);
        assert_eq!(b.seconds_left, Some(10));
        assert_eq!(m.poll_timeout(), Some(t0 + Duration::from_secs(10)));
        m.handle_timeout(t0 + Duration::from_secs(9));
        assert_eq!(
            m.breakouts(t0, "1000").unwrap().state,
            BreakoutState::Closing
        );
        m.handle_timeout(t0 + Duration::from_secs(10));
        assert_eq!(
            m.breakouts(t0, "1000").unwrap().state,
            BreakoutState::Closed
        );
        for p in people {
            assert_eq!(m.participant("1000", p).unwrap().room, Place::Main);
        }
        let mut last = 0;
        while let Some(e) = m.poll_event() {
            assert_eq!(e.seq, last + 1);
            last = e.seq;
        }
        assert_eq!(last, m.last_seq("1000").unwrap());
    }
}
