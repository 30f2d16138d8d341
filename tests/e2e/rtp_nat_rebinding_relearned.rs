//! A peer whose NAT binding changes mid-call is followed (plain RTP): a room system's RTP
//! source port changes once, well after the learning window (its stream goes on from a new
//! socket: same SSRC, sequence continuing, the old port closed). roomgate re-learns it, so it
//! hears the meeting again on its new port and is heard again; with `media.strict_source` it is
//! not followed.

use crate::support;

use std::thread::sleep;
use std::time::Duration;
use support::room::RoomSystem;
use support::{wait_until, Roomgate};

const A_TONE: f64 = 500.0;
const B_TONE: f64 = 800.0;
const TONES: [f64; 2] = [A_TONE, B_TONE];

/// A full second of received audio holds `tone` and not the other.
fn hears_only(rs: &RoomSystem, tone: f64) -> bool {
    rs.recent(1000).len() == 8000 && rs.tones_heard(&TONES) == [tone]
}

/// Two room systems in meeting 1000 that hear each other, past their learning window.
fn two_talking(rg: &Roomgate) -> (RoomSystem, RoomSystem) {
    let gw = rg.sip_udp();
    let a = RoomSystem::call(gw, "1000", "Boardroom", A_TONE);
    let b = RoomSystem::call(gw, "1000", "Huddle", B_TONE);
    assert!(
        wait_until(Duration::from_secs(20), || hears_only(&a, B_TONE)
            && hears_only(&b, A_TONE)),
        "the two room systems never heard each other: A {:?}, B {:?}",
        a.tones_heard(&TONES),
        b.tones_heard(&TONES)
    );
    // Past the window in which any source is learned: what follows is re-learning.
    sleep(roomgate::media::source::LEARNING_WINDOW);
    (a, b)
}

#[test]
fn a_room_system_whose_rtp_port_changes_is_relearned() {
    let rg = Roomgate::start(&[]);
    let (mut a, b) = two_talking(&rg);
    let before = a.rtp_addrs().0;
    let after = a.rebind_rtp();
    assert_ne!(before, after);

    // roomgate sends to the new port only once it has re-learned A there: a full second heard
    // there, with B in it, proves it.
    assert!(
        wait_until(Duration::from_secs(15), || hears_only(&a, B_TONE)),
        "Boardroom hears nothing on its new port: {:?} in {} samples",
        a.tones_heard(&TONES),
        a.recent(1000).len()
    );
    // And from then on A's packets from there reach the room: B's last second is all after it.
    sleep(Duration::from_millis(1000));
    assert!(
        hears_only(&b, A_TONE),
        "Huddle: {:?}",
        b.tones_heard(&TONES)
    );
    let log = rg.log_text();
    assert!(
        log.contains("media source re-learned"),
        "no re-learning in the log"
    );
    a.hangup();
    b.hangup();
}

#[test]
fn with_strict_source_a_room_system_whose_rtp_port_changes_is_not_followed() {
    let rg = Roomgate::start_with_config("[media]\nstrict_source = true\n", &[]);
    let (mut a, b) = two_talking(&rg);
    a.rebind_rtp();
    // Long past the silence and run that re-learning would need; roomgate keeps sending to the
    // old, closed port, so nothing at all arrives at the new one.
    sleep(Duration::from_secs(3));
    assert!(
        a.recent(1000).is_empty(),
        "strict mode followed the new port"
    );
    assert!(b.tones_heard(&TONES).is_empty(), "Huddle still hears A");
    a.hangup();
    b.hangup();
}
