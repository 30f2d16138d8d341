//! The media plane in simulated time (`support::media`: fake peers, a clock that moves
//! when told), and the codecs against ffmpeg as the independent implementation
//! (`ffmpeg_io`).
//!
//! One test binary per family (each binary links the whole crate); shared helpers are in
//! `tests/support/`, helpers of this family only beside its tests.

#[path = "../support/mod.rs"]
mod support;

mod ffmpeg_io;

mod breakout_tones;
mod dtmf_event_clock;
mod dtmf_quality;
mod dtmf_rfc4733;
mod g722_ffmpeg;
mod golden_mix;
mod jitter_lossy_link;
mod move_sends_ahead;
mod opus_ffmpeg;
mod opus_mix;
mod prompt_over_room;
mod rtcp_reports_as_sent;
mod rtcp_round_trip;
mod ssrc_change;
mod tick_schedule;
mod video_switch;
