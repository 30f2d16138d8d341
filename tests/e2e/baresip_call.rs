//! A real softphone: baresip (Debian) dials sip:1000@127.0.0.1:<port> over UDP, stays a few
//! seconds and hangs up. Checks that baresip saw the call established and closed, and that the
//! API showed a participant join meeting 1000 and leave it again.

use crate::support;

use std::time::Duration;

use support::baresip::Baresip;
use support::{participants, wait_until, Roomgate};

#[test]
fn baresip_calls_and_hangs_up() {
    let rg = Roomgate::start(&[]);
    let target = format!("sip:1000@127.0.0.1:{}", rg.sip_port);
    // Quits after 8 s, which hangs the call up with BYE (bounded either way).
    let phone = Baresip::start("boardroom", "Boardroom", 440, false, Some(&target), 8);

    let joined = wait_until(Duration::from_secs(8), || {
        participants(&rg, "1000").len() == 1
    });
    let text = phone.finish();
    let left = wait_until(Duration::from_secs(10), || {
        participants(&rg, "1000").is_empty()
    });
    assert!(
        joined,
        "no participant joined meeting 1000\n--- baresip\n{text}\n--- roomgate\n{}",
        rg.log_text()
    );
    assert!(
        text.contains("Call established"),
        "baresip did not establish the call:\n{text}"
    );
    assert!(
        left,
        "the participant never left after baresip hung up\n--- baresip\n{text}"
    );
}
