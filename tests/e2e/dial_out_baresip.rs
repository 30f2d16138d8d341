//! Dial-out to a real softphone: baresip in auto-answer mode is called into meeting 1000 by
//! the host API, answers, joins under the name the host gave, and hears the meeting (a second
//! baresip that dialled in sends a tone the first one must play out).

use crate::support;

use std::time::Duration;

use support::baresip::Baresip;
use support::{participants, wait_until, Roomgate};

#[test]
fn host_dials_out_to_baresip_which_answers_and_hears_the_meeting() {
    let rg = Roomgate::start(&[]);
    let target = format!("sip:1000@127.0.0.1:{}", rg.sip_port);
    let caller = Baresip::start("huddle", "Huddle", 700, false, Some(&target), 30);
    assert!(
        wait_until(Duration::from_secs(10), || participants(&rg, "1000").len()
            == 1),
        "the calling baresip never joined\n{}",
        caller.log()
    );

    let room = Baresip::start("boardroom", "Boardroom", 1200, true, None, 30);
    let body = format!(r#"{{"uri": "{}", "name": "Boardroom"}}"#, room.uri);
    let (status, reply) = rg.api("POST", "/api/v1/meetings/1000/dial-out", Some(&body));
    assert_eq!(status, 202, "{reply}");
    assert!(
        wait_until(Duration::from_secs(10), || participants(&rg, "1000")
            .iter()
            .any(|p| p["name"] == "Boardroom")),
        "the dialled baresip never joined\n--- baresip\n{}\n--- roomgate\n{}",
        room.log(),
        rg.log_text()
    );
    // Each plays out the other's tone, not its own.
    assert!(
        wait_until(Duration::from_secs(10), || room.tones_heard(&[700.0, 1200.0])
            == [700.0]),
        "the dialled baresip does not hear the meeting: {:?} (caller hears {:?}, {} samples)\n--- baresip\n{}",
        room.tones_heard(&[700.0, 1200.0]),
        caller.tones_heard(&[700.0, 1200.0]),
        room.recent(1000).len(),
        room.log()
    );
    assert!(
        wait_until(Duration::from_secs(10), || caller
            .tones_heard(&[700.0, 1200.0])
            == [1200.0]),
        "the caller does not hear the dialled room: {:?}",
        caller.tones_heard(&[700.0, 1200.0])
    );
    let log = room.log();
    assert!(log.contains("Call established"), "{log}");
}
