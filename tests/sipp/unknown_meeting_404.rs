//! A call to a meeting that does not exist is refused with 404 carrying a Reason header the
//! caller can show (RFC 3326); SIPp checks the header and ACKs (fixtures/sipp/unknown_meeting.xml).
//! Once over UDP and once over TCP.

use crate::support;

use support::{assert_sipp_ok, sipp, Roomgate};

fn run(transport: &str) {
    let rg = Roomgate::start(&[]);
    let out = sipp(&rg, "unknown_meeting.xml", transport, &["-s", "9999"]);
    assert_sipp_ok(&rg, &out, "unknown meeting → 404 with Reason");
}

#[test]
fn over_udp() {
    run("u1");
}

#[test]
fn over_tcp() {
    run("t1");
}
