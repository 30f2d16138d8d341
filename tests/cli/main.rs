//! The crate as built and shipped: the `roomgate` command line (`check-config`, `serve` and
//! its shutdown, JSON logs), the store on a real file, and the dependency direction of the
//! source (`layering`).
//!
//! One test binary per family (each binary links the whole crate); shared helpers are in
//! `tests/support/`, helpers of this family only beside its tests.

#[path = "../support/mod.rs"]
mod support;

mod check_config;
mod layering;
mod log_format_json;
mod serve_sigterm;
mod store_reopen_durable;
