//! Call legs: one participant's signalling (a SIP dialog today, H.323 later), the dial plan
//! that maps what the caller dialled to a meeting, and the keypad (DTMF) controls.
//!
//! A leg knows its dialog and its negotiated media; it does not know rooms. The engine turns a
//! leg's dial target into a meeting participant and carries meeting decisions to the media plane.

pub mod dial_plan;
pub mod ivr;
pub mod keypad;

pub use dial_plan::{DialError, DialPlan, DialTarget};
