//! What operators rely on, against the real `roomgate` binary: the legs view and its
//! WebSocket, call records, metrics and the Grafana dashboard, HEP export, log lines, quality
//! bands, records kept across SIGKILL.
//!
//! One test binary per family (each binary links the whole crate); shared helpers are in
//! `tests/support/`, helpers of this family only beside its tests.

#[path = "../support/mod.rs"]
mod support;

mod cli_legs;
mod dashboard_metrics;
mod hep_export;
mod hep_rtcp_export;
mod leg_live_then_cdr;
mod legs_stats_batch;
mod legs_websocket;
mod log_lines_carry_ids;
mod metrics_after_call;
mod move_in_leg_and_cdr;
mod participant_token_refused;
mod quality_band_crossing;
mod sigkill_keeps_records;
