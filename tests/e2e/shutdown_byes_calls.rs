//! Graceful shutdown with calls up: SIGTERM makes roomgate hang up every call with BYE (and
//! wait for the answers) before it exits 0.

use crate::support;

use std::net::SocketAddr;
use support::room::RoomSystem;
use support::Roomgate;

#[test]
fn sigterm_hangs_up_every_call_then_exits_zero() {
    let rg = Roomgate::start(&[]);
    let gw: SocketAddr = ([127, 0, 0, 1], rg.sip_port).into();
    let a = RoomSystem::call(gw, "1000", "Boardroom", 500.0);
    let b = RoomSystem::call(gw, "1000", "Huddle", 900.0);
    let status = rg.stop();
    assert!(status.success(), "roomgate exited {status:?}");
    // stop() returns only after the process is gone, and the process leaves only after the
    // BYEs were answered (or 5 s passed): both calls must have seen theirs.
    assert_eq!(a.byes(), 1, "Boardroom got no BYE");
    assert_eq!(b.byes(), 1, "Huddle got no BYE");
}
