//! # roomgate
//!
//! A SIP (and, later, H.323) gateway that turns each call from a conference-room system into a
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
//!  sip::{codec, transaction, dialog}   sdp
//!        └──────────── call (legs) ─────┐
//!                 meeting (main session + breakout rooms)
//!                 media (RTP/RTCP, jitter, codecs, mixer, video switch)
//!                          engine::Gateway  ← the sans-IO boundary
//!                          runtime (tokio: sockets, clock, tasks, SQLite writer, HTTP)
//! ```
//!
//! Dependency direction (an arrow never points back up): `sip::codec ← transaction ← dialog ←
//! call ← meeting ← engine ← runtime ← main`; `sdp ← call`; `media ← engine`; `api ← runtime`.
//! [`payload`] (RTP payload formats: the codecs signalling and media agree on) is a leaf that
//! any of them may use.
//! `meeting` knows nothing of SIP; `media` never parses SIP; `api` reaches the engine only
//! through a small trait. `tests/layering.rs` keeps these rules honest.
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
//! - **call leg**: one participant's signalling (a SIP dialog) and media session.
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
