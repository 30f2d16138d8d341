//! The browser console (`/console`) in headless Chromium driven over WebDriver (`browser`),
//! against a real roomgate. Its own binary: each test starts a Chromium.
//!
//! One test binary per family (each binary links the whole crate); shared helpers are in
//! `tests/support/`, helpers of this family only beside its tests.

#[path = "../support/mod.rs"]
mod support;

mod browser;

mod host_drag_assigns;
mod host_drag_move;
mod host_stream_resume;
mod ops_fixture;
mod ops_leg_ended;
mod ops_live_legs;
