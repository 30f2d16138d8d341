//! Hold and resume by re-INVITE: a sendonly offer is answered recvonly, a sendrecv offer
//! sendrecv again (RFC 3264 §8.4, fixtures/sipp/reinvite_hold.xml).
//! Real binary, real SIPp (Debian sip-tester), loopback; once over UDP and once over TCP.

use crate::support;

use support::{assert_sipp_ok, sipp, Roomgate};

fn run(transport: &str) {
    let rg = Roomgate::start(&[]);
    let out = sipp(&rg, "reinvite_hold.xml", transport, &[]);
    assert_sipp_ok(&rg, &out, "re-INVITE hold/resume");
}

#[test]
fn over_udp() {
    run("u1");
}

#[test]
fn over_tcp() {
    run("t1");
}
