//! The call layer: every call leg, whatever its signalling.
//!
//! A **call leg** is one participant's signalling and media session. Whatever carries it — a
//! SIP dialog today, an H.323 call or a browser's WebRTC session next — the leg is the same
//! protocol-neutral [`Leg`]: its state, its media session (our address and RTP ports, the
//! negotiated codecs), its meeting and participant, its room, every move it made, why it ended,
//! and the operators' [`LegView`] of all that. [`Calls`] owns the legs and does everything a
//! leg does that no protocol needs to know about: admission (join, lobby IVR, refuse — see
//! [`Admission`] and [`Refusal`]), joining the meeting, carrying the meeting's moves to the
//! media plane, prompts ([`prompt`]), the keypad and the lobby IVR, and one
//! [`Output::LegUpdated`] per changed leg per input.
//!
//! ## The signalling seam
//!
//! A protocol plugs in at two places ([`signal`]):
//!
//! 1. a variant of [`Signal`], the per-leg state the protocol keeps (for SIP: the UA's call
//!    handle, dialog identifiers, the SDP offer/answer state), and
//! 2. an implementation of [`Signalling`] for its stack: hang up, ask for a key frame, show a
//!    text, show the name of the room, and act on its own per-leg deadline.
//!
//! The protocol's module (here [`sip`]) turns its stack's events into calls on [`Calls`]:
//! a new call becomes a [`Leg`] with its ports ([`Calls::take_ports`]), its negotiated media
//! ([`Calls::set_media`]) and an [`Admission`]; digits go to [`Calls::on_digit`]; the end of
//! the call to [`Calls::ended`]. Meetings, media and ops do not change.
//!
//! Besides the legs, this folder holds the pieces a leg composes: the dial plan (what a
//! caller dialled → which meeting), the lobby IVR, the keypad map, the RTP port pool.

pub mod binding;
pub mod calls;
pub mod dial_plan;
pub mod ivr;
pub mod keypad;
pub mod keys;
pub mod leg;
pub mod output;
pub mod ports;
pub mod prompt;
pub mod signal;
pub mod sip;
pub mod sip_call;
pub mod view;

pub use calls::{Admission, CallConfig, Calls, Refusal};
pub use dial_plan::{DialError, DialPlan, DialTarget};
pub use ivr::{Ivr, IvrOutput};
pub use keypad::{KeyAction, KeyMap, Keypad};
pub use leg::{Leg, MediaSession, PendingJoin};
pub use output::Output;
pub use prompt::{number_words, PromptAssets, PromptName, PROMPT_RATE};
pub use signal::{Signal, Signalling};
pub use sip::{DialOut, DialOutError, DEFAULT_RING_TIMEOUT_S};
pub use view::{LegEnd, LegMove, LegState, LegView};
