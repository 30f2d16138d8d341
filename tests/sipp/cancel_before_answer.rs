//! CANCEL while roomgate rings (run with --answer-delay-ms so it does not answer at once): the
//! CANCEL gets 200 and the INVITE 487 Request Terminated (RFC 3261 §9.2), then ACK
//! (fixtures/sipp/cancel.xml).
//! Real binary, real SIPp (Debian sip-tester), loopback; once over UDP and once over TCP.

use crate::support;

use support::{assert_sipp_ok, sipp, Roomgate};

fn run(transport: &str) {
    let rg = Roomgate::start(&["--answer-delay-ms", "20000"]);
    let out = sipp(&rg, "cancel.xml", transport, &[]);
    assert_sipp_ok(&rg, &out, "CANCEL before answer");
}

#[test]
fn over_udp() {
    run("u1");
}

#[test]
fn over_tcp() {
    run("t1");
}
