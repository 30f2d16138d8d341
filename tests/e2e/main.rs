//! End to end over loopback: the real `roomgate` binary with room systems written in Rust
//! (`support::room`), SIPp as the dialled room system, and baresip as a real softphone.
//! Its own binary, apart from the SIPp and browser families, so the real-time calls do not
//! share the machine with them.
//!
//! One test binary per family (each binary links the whole crate); shared helpers are in
//! `tests/support/`, helpers of this family only beside its tests.

#[path = "../support/mod.rs"]
mod support;

mod baresip_call;
mod baresip_opus_call;
mod breakout_audio;
mod breakout_audio_baresip;
mod connected_identity;
mod dial_out;
mod dial_out_baresip;
mod dial_out_digest;
mod dial_out_digest_refused;
mod dial_out_ring_timeout;
mod ipv6_call;
mod ivr_and_keypad;
mod meeting_end_reason;
mod opus_mixes_with_g711;
mod rtcp_mux;
mod rtp_nat_rebinding_relearned;
mod rtp_spray_steals_nothing;
mod shutdown_byes_calls;
