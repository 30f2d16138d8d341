//! # roomgate
//!
//! A SIP (and, next, H.323 and WebRTC) gateway that turns each call from a conference-room system into a
//! meeting participant, mixes and switches its media with the others in its room, and lets the
//! host split the meeting into breakout rooms — without the hardware ever hanging up.
//!
//! ## Architecture: a pure core, a thin shell
//!
//! Everything below [`runtime`] is *sans-IO*: state machines take `now: Instant` and inputs,
//! and are drained for output. Nothing in the core reads the clock, sleeps, spawns, locks or
//! touches a socket; randomness (tags, branches, SSRCs) comes from an injected seedable RNG.
//! That is what makes transaction timers, breakout timers, countdowns and the mixer tick
//! testable in simulated time.
//!
//! ```text
//!  room systems ──SIP/UDP,TCP──┐                         ┌── hosts / ops: REST, WebSocket, console
//!                              ▼                         ▼
//!                runtime (tokio: sockets, clock, tasks, SQLite writer, HTTP: api)
//!  ═══════════════ sans-IO boundary: everything below takes `now`, does no I/O ═══════════════
//!                engine::Gateway   handle_*(now, …) → poll_output() → Output | poll_timeout()
//!                     │
//!      sip::{codec, transaction, dialog, ua}   sdp          (h323, webrtc: beside sip)
//!                     └── call (the leg, whatever carries it; one signalling seam) ─┐
//!                                  meeting (main session + breakout rooms) ─────────┤
//!                                  media (RTP/RTCP, jitter, codecs, mixer, video switch)
//! ```
//!
//! Dependency direction (an arrow never points back up): `sip`, `sdp` ← `call`; `meeting`,
//! `media` ← `call` ← `engine` ← `runtime` ← `main`; [`payload`] (RTP payload formats: the
//! codecs signalling and media agree on) is a leaf anyone may use; `ops` (pure bookkeeping of
//! the operators' view) reads `call`'s [`call::LegView`] and `media`'s statistics; `api`, `store`, `config` ← `runtime`. `meeting`
//! knows no protocol; `media` never parses signalling; `ops` and `api` never import `engine`
//! (`api` reaches it through its `Control` trait, so handlers test against a fake).
//! `tests/cli/layering.rs` enforces all of this, and that the core folders use no tokio, sockets,
//! threads or clock reads.
//!
//! ## The call layer, and how a protocol plugs in
//!
//! A **call leg** ([`call::Leg`]) is one participant's signalling and media session. The leg
//! itself is protocol-neutral: its state, its media session (our RTP ports, the negotiated
//! codecs), its meeting and participant, its room and every move, why it ended. [`call::Calls`]
//! owns all legs and does what no protocol needs to know: it decides where a new call goes
//! ([`call::Admission`]: join, lobby IVR, or a [`call::Refusal`] that each protocol says its own
//! way — SIP 404/403/480/503, an H.323 release cause), joins meetings, turns the meeting's
//! moves and exchanges into media commands (the signalling is never touched by a move), plays
//! prompts, runs the keypad and IVR, and reports every changed leg exactly once per input
//! ([`call::Output::LegUpdated`]) for operators.
//!
//! Signalling meets the call layer at one seam ([`call::signal`]): a protocol adds a variant
//! to [`call::Signal`] (what it keeps per call) and implements [`call::Signalling`] for its stack
//! (hang up, ask for a key frame, show a text, show the room's name, act on its own per-leg
//! deadline). Its module — [`call::sip`] is the example to copy — turns its stack's events into
//! calls on [`call::Calls`]: take ports and build a [`call::Leg`], hand over the negotiated media
//! ([`call::Calls::set_media`]), apply an admission, feed digits ([`call::Calls::on_digit`]) and
//! report the end ([`call::Calls::ended`]). The engine routes the stack's input and output.
//! Meetings, media and ops do not change: to them an H.323 room or a browser is a participant
//! like any other.
//!
//! ## Drive contract
//!
//! Every state machine follows the same shape (str0m, quinn-proto):
//!
//! 1. feed one input with `handle_*(now, …)`;
//! 2. drain `poll_output()` (or the machine's `poll_*`) until it returns the next deadline;
//! 3. when that deadline passes, call `handle_timeout(now)` and drain again.
//!
//! Timers live in tables owned by the machine that needs them; a stale timer is harmless
//! because expiry is checked against the table.
//!
//! ## Error policy
//!
//! - Peer errors (malformed or out-of-state messages) are answered per the RFC (400, 481, 491,
//!   488…) or dropped and counted. Network input never panics.
//! - Host/API errors are a 4xx with an RFC 9457 problem body naming the field.
//! - Broken invariants are bugs: `expect("why this holds")`.
//!
//! ## Glossary
//!
//! - **meeting**: what a room system dials (`1000@host`); it has one *main session* and
//!   optionally *breakout rooms*.
//! - **participant**: anyone attached to a meeting; today a *call leg*.
//! - **call leg**: one participant's signalling (a SIP dialog today) and media session.
//! - **host / co-host**: may manage breakout rooms through the API.

pub mod api;
pub mod call;
pub mod config;
pub mod engine;
pub mod media;
pub mod meeting;
pub mod ops;
pub mod payload;
pub mod runtime;
pub mod sdp;
pub mod sip;
pub mod store;
