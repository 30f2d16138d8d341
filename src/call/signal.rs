//! The signalling seam: the one place where the call layer meets a protocol.
//!
//! A leg's [`Signal`] holds what its protocol needs to keep per call (for SIP: the UA's call
//! handle, the dialog's identifiers, the SDP offer/answer state); the protocol's stack
//! implements [`Signalling`], the few things the call layer asks of any call: hang up, ask the
//! far end for a key frame, show it a text or the name of the room it is in, and answer at a
//! deadline it set. Everything else a call does (joining, moves, prompts, the keypad, the
//! operators' view) is protocol-neutral and lives beside this file.
//!
//! A new way in (H.323, WebRTC) adds one variant here and one implementation of
//! [`Signalling`]; meetings, media and ops do not change.

use std::time::Instant;

use super::sip_call::SipCall;
use super::view::SignalView;

/// A leg's signalling state, by protocol.
#[derive(Debug)]
pub enum Signal {
    Sip(SipCall),
}

impl Signal {
    pub fn view(&self) -> SignalView<'_> {
        match self {
            Signal::Sip(s) => s.view(),
        }
    }

    /// The signalling's own deadline for this leg (a delayed answer).
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Signal::Sip(s) => s.poll_timeout(),
        }
    }

    pub fn call_id(&self) -> &str {
        self.view().call_id
    }
}

/// What the call layer asks of the stack that carries a leg.
pub trait Signalling {
    /// End the call (BYE, CANCEL or a final refusal, whatever fits its state); `why`, when
    /// given, is shown to the far end.
    fn hang_up(&mut self, now: Instant, leg: &Signal, why: Option<&str>) -> bool;
    /// Ask the far end for a video key frame (for peers that ignore RTCP feedback).
    fn request_keyframe(&mut self, now: Instant, leg: &Signal);
    /// Show a text message on the far end's screen, where it can show one.
    fn send_text(&mut self, now: Instant, leg: &Signal, text: &str);
    /// Tell the far end the name of the place it is now in (its "connected party").
    fn show_place(&mut self, now: Instant, leg: &Signal, name: &str);
    /// The leg's signalling deadline passed.
    fn handle_timeout(&mut self, now: Instant, leg: &mut Signal);
}
