//! An out-of-dialog OPTIONS (a keep-alive ping) gets 200 with an Allow header listing INVITE
//! (RFC 3261 §11.2, fixtures/sipp/options_ping.xml).
//! Real binary, real SIPp (Debian sip-tester), loopback; once over UDP and once over TCP.

use crate::support;

use support::{assert_sipp_ok, sipp, Roomgate};

fn run(transport: &str) {
    let rg = Roomgate::start(&[]);
    let out = sipp(&rg, "options_ping.xml", transport, &[]);
    assert_sipp_ok(&rg, &out, "OPTIONS ping");
}

#[test]
fn over_udp() {
    run("u1");
}

#[test]
fn over_tcp() {
    run("t1");
}
