//! Session timer with the caller as refresher (RFC 4028): the 200 confirms
//! Session-Expires 1800;refresher=uac and the caller's refreshing UPDATE is answered the same way
//! (fixtures/sipp/session_timer_uac.xml).
//! Real binary, real SIPp (Debian sip-tester), loopback; once over UDP and once over TCP.

use crate::support;

use support::{assert_sipp_ok, sipp, Roomgate};

fn run(transport: &str) {
    let rg = Roomgate::start(&[]);
    let out = sipp(&rg, "session_timer_uac.xml", transport, &[]);
    assert_sipp_ok(&rg, &out, "session timer refreshed by the UAC");
}

#[test]
fn over_udp() {
    run("u1");
}

#[test]
fn over_tcp() {
    run("t1");
}
