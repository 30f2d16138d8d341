//! The hosts' HTTP API (`/api/v1`) against a real roomgate started in this process
//! (`roomgate::runtime::start`, no SIP), through `support::api`.
//!
//! One test binary per family (each binary links the whole crate); shared helpers are in
//! `tests/support/`, helpers of this family only beside its tests.

#[path = "../support/mod.rs"]
mod support;

mod auth;
mod breakouts_flow;
mod breakouts_timers;
mod events_resume;
mod meetings_crud;
mod metrics;
mod openapi_routes;
mod problem_details;
mod restart_keeps_meetings;
mod token_generated;
