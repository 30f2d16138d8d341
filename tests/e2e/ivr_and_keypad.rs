//! The lobby IVR and the keypad, end to end over real sockets: a room system dials the lobby,
//! keys the meeting id as RFC 4733 events and joins; then its keypad (RFC 4733 and SIP INFO)
//! picks a breakout room, returns to the main session and mutes itself — each the same
//! command the host API uses, visible in the API.

use crate::support;

use std::net::SocketAddr;
use std::thread::sleep;
use std::time::{Duration, Instant};
use support::room::RoomSystem;
use support::Roomgate;

fn participant(rg: &Roomgate, name: &str) -> Option<serde_json::Value> {
    let (status, body) = rg.api("GET", "/api/v1/meetings/1000/participants", None);
    assert_eq!(status, 200, "{body}");
    let all: serde_json::Value = serde_json::from_str(&body).unwrap();
    all.as_array()?.iter().find(|p| p["name"] == name).cloned()
}

/// Waits (bounded) until `cond` holds for the named participant.
fn wait_for(rg: &Roomgate, name: &str, what: &str, cond: impl Fn(&serde_json::Value) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if participant(rg, name).is_some_and(|p| cond(&p)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name}: {what} never happened; now {:?}\n{}",
            participant(rg, name),
            rg.log_text()
        );
        sleep(Duration::from_millis(100));
    }
}

#[test]
fn lobby_ivr_then_keypad_self_select_return_and_mute() {
    let rg = Roomgate::start(&[]);
    let gw: SocketAddr = ([127, 0, 0, 1], rg.sip_port).into();

    // The lobby: the IVR greets, the caller keys 1000#, and is admitted.
    let mut lab = RoomSystem::call(gw, "lobby", "Lab", 700.0);
    assert!(
        participant(&rg, "Lab").is_none(),
        "joined before entering the id"
    );
    // Let the welcome prompt start, as a person would.
    sleep(Duration::from_millis(800));
    lab.press_rfc4733("1000#");
    wait_for(&rg, "Lab", "joining through the IVR", |p| {
        p["room"] == "main"
    });
    // The IVR spoke to it: it received sound (the welcome prompt), not silence.
    assert!(
        lab.recent(3000).iter().any(|s| s.unsigned_abs() > 2000),
        "no prompt audio reached the caller"
    );

    let (s, b) = rg.api(
        "PUT",
        "/api/v1/meetings/1000/breakouts",
        Some(r#"{"count": 2, "assign": "manual", "options": {"allow_self_select": true, "allow_return": true}}"#),
    );
    assert_eq!(s, 200, "{b}");
    let rooms: serde_json::Value = serde_json::from_str(&b).unwrap();
    let room2 = rooms["rooms"][1]["id"].as_str().unwrap().to_owned();
    let (s, b) = rg.api("POST", "/api/v1/meetings/1000/breakouts/open", None);
    assert!((200..300).contains(&s), "{b}");

    // *4 2 # over SIP INFO: join breakout room 2 (self-select).
    lab.press_info("*42#");
    wait_for(&rg, "Lab", "self-select into room 2", |p| {
        p["room"] == room2.as_str()
    });

    // *3 as RFC 4733: back to the main session.
    lab.press_rfc4733("*3");
    wait_for(&rg, "Lab", "return to the main session", |p| {
        p["room"] == "main"
    });

    // *1: mute, *1 again: unmute.
    lab.press_rfc4733("*1");
    wait_for(&rg, "Lab", "mute", |p| p["muted"] == true);
    lab.press_info("*1");
    wait_for(&rg, "Lab", "unmute", |p| p["muted"] == false);

    assert_eq!(lab.reinvites(), 0);
    assert_eq!(lab.byes(), 0);
    lab.hangup();
}

#[test]
fn three_wrong_meeting_ids_end_the_call() {
    let rg = Roomgate::start(&[]);
    let gw: SocketAddr = ([127, 0, 0, 1], rg.sip_port).into();
    let caller = RoomSystem::call(gw, "lobby", "Lost", 600.0);
    sleep(Duration::from_millis(500));
    for _ in 0..3 {
        caller.press_rfc4733("9#");
        sleep(Duration::from_millis(300));
    }
    // After the goodbye prompt roomgate hangs up.
    let deadline = Instant::now() + Duration::from_secs(30);
    while caller.byes() == 0 {
        assert!(
            Instant::now() < deadline,
            "no BYE after three wrong ids\n{}",
            rg.log_text()
        );
        sleep(Duration::from_millis(100));
    }
    assert!(participant(&rg, "Lost").is_none());
}

#[test]
fn dialling_a_protected_meeting_without_its_passcode_asks_for_it() {
    let rg = Roomgate::start(&[]);
    let gw: SocketAddr = ([127, 0, 0, 1], rg.sip_port).into();
    let (s, b) = rg.api(
        "POST",
        "/api/v1/meetings",
        Some(r#"{"id": "2000", "name": "Board", "passcode": "4321"}"#),
    );
    assert!((200..300).contains(&s), "{b}");
    let board = RoomSystem::call(gw, "2000", "Boardroom", 650.0);
    sleep(Duration::from_millis(500));
    board.press_rfc4733("4321#");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, body) = rg.api("GET", "/api/v1/meetings/2000/participants", None);
        if body.contains("Boardroom") {
            break;
        }
        assert!(Instant::now() < deadline, "never admitted: {body}");
        sleep(Duration::from_millis(100));
    }
}
