//! A simulated-time harness for the meeting core: one registry, a clock that only moves when
//! told, and the outputs collected as they are drained. Shared by the meeting family.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use roomgate::meeting::*;

pub const MEETING: &str = "1000";

pub struct Sim {
    pub m: Meetings,
    pub t0: Instant,
    pub now: Instant,
    pub events: Vec<Event>,
    pub media: Vec<MediaCommand>,
}

impl Sim {
    /// A registry with meeting [`MEETING`] carrying `options`.
    pub fn new(options: BreakoutOptions) -> Sim {
        Sim::with_spec(MeetingSpec {
            id: MEETING.into(),
            name: "Weekly".into(),
            options,
            ..Default::default()
        })
    }

    pub fn with_spec(spec: MeetingSpec) -> Sim {
        Sim::with_limits(spec, Limits::default())
    }

    pub fn with_limits(spec: MeetingSpec, limits: Limits) -> Sim {
        let t0 = Instant::now();
        let mut m = Meetings::new(limits, 42);
        m.create_meeting(t0, spec).expect("valid meeting");
        let mut s = Sim {
            m,
            t0,
            now: t0,
            events: Vec::new(),
            media: Vec::new(),
        };
        s.drain();
        s
    }

    /// Drains both output queues into `events` / `media`.
    pub fn drain(&mut self) {
        while let Some(c) = self.m.poll_media() {
            self.media.push(c);
        }
        while let Some(e) = self.m.poll_event() {
            self.events.push(e);
        }
    }

    /// Moves the clock forward, firing every deadline on the way at its own time (what the
    /// runtime's one sleep does).
    pub fn advance(&mut self, d: Duration) {
        let until = self.now + d;
        while let Some(at) = self.m.poll_timeout().filter(|&at| at <= until) {
            self.now = self.now.max(at);
            self.m.handle_timeout(self.now);
            self.drain();
        }
        self.now = until;
    }

    pub fn secs(&mut self, s: u64) {
        self.advance(Duration::from_secs(s));
    }

    pub fn join_as(&mut self, name: &str, identity: &str, role: Role) -> ParticipantId {
        let p = self
            .m
            .join(
                self.now,
                MEETING,
                JoinRequest {
                    name: name.into(),
                    identity: identity.into(),
                    role,
                    passcode: None,
                },
            )
            .expect("join");
        self.drain();
        p
    }

    pub fn join(&mut self, name: &str) -> ParticipantId {
        self.join_as(name, &format!("sip:{name}@corp.example"), Role::Participant)
    }

    pub fn host(&mut self) -> ParticipantId {
        self.join_as("host", "sip:host@corp.example", Role::Host)
    }

    pub fn cmd(&mut self, actor: Actor, c: Command) -> Result<Outcome, MeetingError> {
        let r = self.m.handle(self.now, MEETING, actor, c);
        self.drain();
        r
    }

    /// A command from the API host that must succeed.
    pub fn ok(&mut self, c: Command) -> Outcome {
        let name = c.name();
        self.cmd(Actor::Host, c)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// Creates `count` rooms, assigned automatically with a fixed seed.
    pub fn rooms(&mut self, count: u32) -> Vec<RoomId> {
        match self.ok(Command::CreateBreakouts {
            count,
            assign: AssignMode::Auto,
            seed: Some(7),
            options: None,
        }) {
            Outcome::Rooms(r) => r,
            o => panic!("expected rooms, got {o:?}"),
        }
    }

    pub fn place(&self, p: ParticipantId) -> Place {
        self.m.participant(MEETING, p).expect("participant").room
    }

    pub fn state(&self) -> BreakoutState {
        self.m
            .breakouts(self.now, MEETING)
            .expect("breakouts")
            .state
    }

    pub fn breakouts(&self) -> BreakoutsView {
        self.m.breakouts(self.now, MEETING).expect("breakouts")
    }

    pub fn view(&self) -> MeetingView {
        self.m.get(self.now, MEETING).expect("meeting")
    }

    /// Kinds of the events emitted since index `from` of `events`.
    pub fn kinds_since(&self, from: usize) -> Vec<EventKind> {
        self.events[from..].iter().map(|e| e.kind.clone()).collect()
    }
}
