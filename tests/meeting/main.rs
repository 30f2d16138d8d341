//! The meeting core (meetings, main session, breakout rooms, participants) in simulated
//! time (`sim`), including properties over random command sequences.
//!
//! One test binary per family (each binary links the whole crate); shared helpers are in
//! `tests/support/`, helpers of this family only beside its tests.

mod sim;

mod close_after_timer;
mod count_limits;
mod countdown_returns_everyone;
mod end_detaches_everyone;
mod events_resume;
mod exchange_atomic;
mod help_and_broadcast;
mod host_one_room_at_a_time;
mod permissions;
mod preassignment_deleted;
mod preassignment_late_joiner;
mod properties;
mod room_lifecycle;
mod self_select_and_return;
