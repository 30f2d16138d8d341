//! Real SIPp room systems against the real `roomgate` binary on loopback: calls, CANCEL,
//! BYE, re-INVITE hold, session timers, DTMF, OPTIONS, error answers, and SIPp tones split
//! into breakout rooms. Its own binary: every test runs SIPp processes.
//!
//! One test binary per family (each binary links the whole crate); shared helpers are in
//! `tests/support/`, helpers of this family only beside its tests.

#[path = "../support/mod.rs"]
mod support;

mod basic_call;
mod bye_from_roomgate;
mod cancel_before_answer;
mod info_dtmf;
mod media_socket_sipp_rooms;
mod no_common_codec_488;
mod options_ping;
mod reinvite_hold;
mod session_timer_uac;
mod session_timer_uas;
mod unknown_meeting_404;
