//! Meetings: participants, the main session and breakout rooms — a sans-IO state machine.
//!
//! The meeting core knows nothing of SIP. A participant is anything the gateway attaches (a SIP
//! or H.323 call leg today, a browser later), known by the [`ParticipantId`] the core assigns
//! when it joins, with a `name`, an `identity` (e.g. the caller's SIP URI) and a [`Role`].
//!
//! ## Drive contract
//!
//! [`Meetings`] owns every meeting. Feed it one input at a time, each with `now`:
//! - [`Meetings::create_meeting`], [`Meetings::end_meeting`];
//! - [`Meetings::handle`] with a [`Command`] on behalf of an [`Actor`] (or the wrappers
//!   [`Meetings::join`], [`Meetings::leave`], [`Meetings::move_participant`],
//!   [`Meetings::exchange`]);
//! - [`Meetings::handle_timeout`] once [`Meetings::poll_timeout`] has passed.
//!
//! Then drain [`Meetings::poll_media`] (what the media plane must do: attach, move, exchange,
//! detach, mute; apply these first, so media follows within the same tick) and
//! [`Meetings::poll_event`] (what observers see), and wait until [`Meetings::poll_timeout`].
//!
//! ```
//! use std::time::{Duration, Instant};
//! use roomgate::meeting::*;
//!
//! let t0 = Instant::now();
//! let mut meetings = Meetings::new(Limits::default(), 7);
//! meetings.create_meeting(t0, MeetingSpec { id: "1000".into(), ..Default::default() })?;
//! let alice = meetings.join(t0, "1000", JoinRequest {
//!     name: "Boardroom".into(),
//!     identity: "sip:boardroom@corp.example".into(),
//!     role: Role::Participant,
//!     passcode: None,
//! })?;
//! meetings.handle(t0, "1000", Actor::Host, Command::CreateBreakouts {
//!     count: 2, assign: AssignMode::Auto, seed: Some(1),
//!     options: Some(BreakoutOptions { close_after_s: Some(600), ..Default::default() }),
//! })?;
//! meetings.handle(t0, "1000", Actor::Host, Command::Open)?;
//! // Media first (the leg now mixes in its breakout room), then observers.
//! while let Some(cmd) = meetings.poll_media() { /* engine: apply to the mixer */ let _ = cmd; }
//! while let Some(event) = meetings.poll_event() { /* API: fan out */ let _ = event; }
//! assert!(matches!(meetings.participant("1000", alice)?.room, Place::Room(_)));
//! // Ten minutes later the runtime's one sleep ends; the rooms start their countdown.
//! assert_eq!(meetings.poll_timeout(), Some(t0 + Duration::from_secs(600)));
//! meetings.handle_timeout(t0 + Duration::from_secs(600));
//! assert_eq!(meetings.breakouts(t0 + Duration::from_secs(600), "1000")?.state,
//!            BreakoutState::Closing);
//! # Ok::<(), MeetingError>(())
//! ```
//!
//! ## Guarantees
//! - A command either happens whole or not at all: handlers validate everything before the
//!   first change, and a refused command ([`MeetingError`]) leaves no trace, not even an event.
//! - A participant is in exactly one place: the main session or one breakout room.
//! - Every change is an [`Event`] with a per-meeting, gapless `seq` starting at 1; the last
//!   [`Limits::event_log`] events are kept so observers can resume with
//!   [`Meetings::events_since`], and learn ([`MeetingError::TooFarBehind`]) when they cannot.
//! - Timers (close after N seconds, close countdown) are a per-meeting table; a deadline is
//!   checked against the table and the breakout state when it fires, so a stale one is
//!   harmless. `seconds_left` is computed from `now`.
//! - Randomness (the automatic split) is seeded: by the command, or from the registry's seed.
//!
//! ## Breakout rooms
//! See [`BreakoutState`] for the life cycle. Hosts create N rooms (assigned automatically or
//! by hand), open them (assigned participants are moved, or invited when `auto_move` is off),
//! move and exchange people while they are open, and close them (after an optional countdown
//! everyone is back in the main session). Pre-assignments ([`PreAssignment`]) made when
//! scheduling place participants by identity as they join, before or after the rooms open.

mod assign;
mod breakout;
mod command;
mod error;
mod event;
mod ids;
#[allow(clippy::module_inception)]
mod meeting;
mod registry;
mod timer;

pub use breakout::BreakoutState;
pub use command::{
    AssignMode, BreakoutOptions, Command, JoinRequest, Limits, MeetingSpec, Outcome, PreAssignment,
    MAX_CLOSE_AFTER_S, MAX_COUNTDOWN_S,
};
pub use error::MeetingError;
pub use event::{Event, EventKind, LeaveReason, MediaCommand};
pub use ids::{
    Actor, MeetingId, MeetingKey, ParsePlaceError, ParticipantId, Place, Role, RoomId, RoomKey,
};
pub use meeting::{
    BreakoutsView, MeetingSummary, MeetingView, ParticipantView, PlaceLabel, RoomView,
};
pub use registry::Meetings;
