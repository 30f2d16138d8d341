//! Call legs: one participant's signalling (a SIP dialog today, H.323 later), the dial plan
//! that maps what the caller dialled to a meeting, the lobby IVR and the keypad controls.
//!
//! These are small sans-IO pieces the engine composes per leg; none of them knows rooms.

pub mod dial_plan;
pub mod ivr;
pub mod keypad;

pub use dial_plan::{DialError, DialPlan, DialTarget};
pub use ivr::{Ivr, IvrOutput};
pub use keypad::{KeyAction, KeyMap, Keypad};
