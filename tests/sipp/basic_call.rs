//! A room system dials meeting 1000, is answered with a PCMU answer, stays a moment and hangs up
//! with BYE (fixtures/sipp/basic_call.xml).
//! Real binary, real SIPp (Debian sip-tester), loopback; once over UDP and once over TCP.

use crate::support;

use support::{assert_sipp_ok, sipp, Roomgate};

fn run(transport: &str) {
    let rg = Roomgate::start(&[]);
    let out = sipp(&rg, "basic_call.xml", transport, &[]);
    assert_sipp_ok(&rg, &out, "basic call");
}

#[test]
fn over_udp() {
    run("u1");
}

#[test]
fn over_tcp() {
    run("t1");
}
