//! roomgate hangs up: once the call has joined meeting 1000, the host ends the meeting through
//! the API (`DELETE /api/v1/meetings/1000`) and roomgate sends BYE, which SIPp waits for and
//! answers (fixtures/sipp/bye_from_roomgate.xml). Once over UDP and once over TCP.

use crate::support;

use std::time::Duration;

use support::{assert_sipp_ok, participants, sipp_spawn, wait_sipp, wait_until, Roomgate};

fn run(transport: &str) {
    let rg = Roomgate::start(&[]);
    let call = sipp_spawn(&rg, "bye_from_roomgate.xml", transport, &[]);
    let joined = wait_until(Duration::from_secs(20), || {
        participants(&rg, "1000").len() == 1
    });
    let (status, body) = rg.api("DELETE", "/api/v1/meetings/1000", None);
    let out = wait_sipp(call);
    assert!(joined, "the call never joined meeting 1000");
    assert_eq!(status, 200, "ending meeting 1000: {body}");
    assert_sipp_ok(&rg, &out, "BYE from roomgate");
}

#[test]
fn over_udp() {
    run("u1");
}

#[test]
fn over_tcp() {
    run("t1");
}
