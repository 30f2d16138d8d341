//! Session timer with roomgate as the refresher (RFC 4028 §9–10): the caller asks for
//! Session-Expires 90;refresher=uas, so roomgate must refresh (UPDATE or re-INVITE) around half
//! the interval, ~45 s in; SIPp waits up to 60 s for it, answers it, then hangs up
//! (fixtures/sipp/session_timer_uas.xml). UDP only: the test takes most of a minute.

use crate::support;

use support::{assert_sipp_ok, sipp, Roomgate};

#[test]
fn roomgate_refreshes_over_udp() {
    let rg = Roomgate::start(&[]);
    let out = sipp(&rg, "session_timer_uas.xml", "u1", &["-timeout", "120s"]);
    assert_sipp_ok(&rg, &out, "session timer refreshed by roomgate");
}
