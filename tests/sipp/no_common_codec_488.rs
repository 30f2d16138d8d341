//! An offer with no codec roomgate speaks (G.729 and iLBC only) is refused with 488 Not
//! Acceptable Here (RFC 3261 §13.3.1.2, RFC 3264 §6), and no participant is left behind.
//! Once over UDP and once over TCP (fixtures/sipp/no_common_codec.xml).

use crate::support;

use support::{assert_sipp_ok, participants, sipp, Roomgate};

fn run(transport: &str) {
    let rg = Roomgate::start(&[]);
    let out = sipp(&rg, "no_common_codec.xml", transport, &[]);
    assert_sipp_ok(&rg, &out, "no common codec → 488");
    assert!(
        participants(&rg, "1000").is_empty(),
        "a refused call must not join the meeting"
    );
}

#[test]
fn over_udp() {
    run("u1");
}

#[test]
fn over_tcp() {
    run("t1");
}
