//! Ending a meeting hangs up every call with a Reason header the room system can show
//! (RFC 3326), and the calls leave the meeting.

use crate::support;

use std::net::SocketAddr;
use std::thread::sleep;
use std::time::{Duration, Instant};
use support::room::RoomSystem;
use support::Roomgate;

#[test]
fn ending_the_meeting_sends_bye_with_a_reason() {
    let rg = Roomgate::start(&[]);
    let gw: SocketAddr = ([127, 0, 0, 1], rg.sip_port).into();
    let rooms = [
        RoomSystem::call(gw, "1000", "Boardroom", 500.0),
        RoomSystem::call(gw, "1000", "Huddle", 900.0),
    ];
    let (status, body) = rg.api("DELETE", "/api/v1/meetings/1000", None);
    assert_eq!(status, 200, "{body}");
    for rs in &rooms {
        let deadline = Instant::now() + Duration::from_secs(10);
        while rs.byes() == 0 {
            assert!(Instant::now() < deadline, "{} got no BYE", rs.name);
            sleep(Duration::from_millis(50));
        }
        let bye = rs.last_bye().unwrap();
        let reason = bye
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("reason:"))
            .unwrap_or_else(|| panic!("BYE without Reason:\n{bye}"));
        assert!(reason.contains("cause=200"), "{reason}");
        assert!(reason.contains("The meeting has ended"), "{reason}");
    }
    let (status, _) = rg.api("GET", "/api/v1/meetings/1000", None);
    assert_eq!(status, 404, "the ended meeting is gone");
}
