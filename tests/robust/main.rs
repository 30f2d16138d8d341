//! Hostile or broken peers against the real `roomgate` binary: garbage datagrams, idle and
//! slow connections, an INVITE flood, the transaction cap. roomgate keeps serving.
//!
//! One test binary per family (each binary links the whole crate); shared helpers are in
//! `tests/support/`, helpers of this family only beside its tests.

#[path = "../support/mod.rs"]
mod support;

mod garbage_datagrams;
mod idle_connections;
mod invite_flood;
mod slowloris;
mod transaction_cap;
