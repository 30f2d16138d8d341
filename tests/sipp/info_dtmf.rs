//! DTMF by SIP INFO (application/dtmf-relay, as room systems send it) inside an established call
//! is accepted with 200 (fixtures/sipp/info_dtmf.xml).
//! Real binary, real SIPp (Debian sip-tester), loopback; once over UDP and once over TCP.

use crate::support;

use support::{assert_sipp_ok, sipp, Roomgate};

fn run(transport: &str) {
    let rg = Roomgate::start(&[]);
    let out = sipp(&rg, "info_dtmf.xml", transport, &[]);
    assert_sipp_ok(&rg, &out, "INFO DTMF");
}

#[test]
fn over_udp() {
    run("u1");
}

#[test]
fn over_tcp() {
    run("t1");
}
