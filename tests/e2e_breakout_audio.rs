//! Room systems in breakout rooms, end to end over real sockets: four room systems dial meeting
//! 1000, each sending its own tone; the host opens two breakout rooms, moves one, exchanges two
//! and closes with a countdown. At every step each room system must hear exactly the tones of
//! the others in its room (Goertzel over what it received), and no call may be re-INVITEd or
//! hung up by a move.

mod support;

use std::net::SocketAddr;
use std::thread::sleep;
use std::time::{Duration, Instant};
use support::room::RoomSystem;
use support::Roomgate;

const TONES: [f64; 4] = [500.0, 800.0, 1100.0, 1400.0];

fn json(rg: &Roomgate, method: &str, path: &str, body: Option<&str>) -> serde_json::Value {
    let (status, text) = rg.api(method, path, body);
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {text}"
    );
    if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).expect("JSON")
    }
}

/// Where each room system is (by name), from the API.
fn places(rg: &Roomgate) -> Vec<(String, String, u64)> {
    let p = json(rg, "GET", "/api/v1/meetings/1000/participants", None);
    p.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["room"].as_str().unwrap().to_owned(),
                p["id"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Waits for prompts to finish and the new mix to settle, then checks every room system
/// hears exactly the others in its place.
fn check_rooms(rg: &Roomgate, rooms: &[RoomSystem], step: &str) {
    sleep(Duration::from_millis(4500));
    let places = places(rg);
    let place_of = |name: &str| places.iter().find(|p| p.0 == name).unwrap().1.clone();
    for (i, rs) in rooms.iter().enumerate() {
        let here = place_of(&rs.name);
        let expected: Vec<f64> = rooms
            .iter()
            .enumerate()
            .filter(|(j, o)| *j != i && place_of(&o.name) == here)
            .map(|(j, _)| TONES[j])
            .collect();
        let heard = rs.tones_heard(&TONES);
        assert_eq!(
            heard, expected,
            "{step}: {} in {here} hears {heard:?}, expected {expected:?} (places {places:?})",
            rs.name
        );
    }
}

#[test]
fn each_room_system_hears_exactly_its_room_through_moves_and_exchange() {
    let rg = Roomgate::start(&[]);
    let gw: SocketAddr = ([127, 0, 0, 1], rg.sip_port).into();
    let names = ["Boardroom", "Huddle", "Lab", "Lobby"];
    let rooms: Vec<RoomSystem> = names
        .iter()
        .zip(TONES)
        .map(|(n, f)| RoomSystem::call(gw, "1000", n, f))
        .collect();
    assert_eq!(places(&rg).len(), 4);
    check_rooms(&rg, &rooms, "main session");

    // Two rooms, automatic split, moved at once when they open.
    json(
        &rg,
        "PUT",
        "/api/v1/meetings/1000/breakouts",
        Some(r#"{"count": 2, "assign": "auto", "options": {"auto_move": true, "countdown_s": 2}}"#),
    );
    json(&rg, "POST", "/api/v1/meetings/1000/breakouts/open", None);
    check_rooms(&rg, &rooms, "rooms open");

    // Move the first room system to the other room.
    let p = places(&rg);
    let (_, from, id) = p.iter().find(|x| x.0 == "Boardroom").unwrap().clone();
    let other = p.iter().map(|x| x.1.clone()).find(|r| *r != from).unwrap();
    json(
        &rg,
        "POST",
        &format!("/api/v1/meetings/1000/participants/{id}/move"),
        Some(&format!(r#"{{"room": "{other}"}}"#)),
    );
    check_rooms(&rg, &rooms, "after a move");

    // Exchange two room systems in different rooms.
    let p = places(&rg);
    let a = p.iter().find(|x| x.1 == other).unwrap().2;
    let b = p.iter().find(|x| x.1 != other).unwrap().2;
    json(
        &rg,
        "POST",
        "/api/v1/meetings/1000/participants/exchange",
        Some(&format!(r#"{{"a": {a}, "b": {b}}}"#)),
    );
    check_rooms(&rg, &rooms, "after an exchange");

    // Close: after the 2 s countdown everyone is back in the main session.
    json(&rg, "POST", "/api/v1/meetings/1000/breakouts/close", None);
    let deadline = Instant::now() + Duration::from_secs(20);
    while places(&rg).iter().any(|p| p.1 != "main") {
        assert!(Instant::now() < deadline, "rooms never closed");
        sleep(Duration::from_millis(200));
    }
    check_rooms(&rg, &rooms, "rooms closed");

    for rs in &rooms {
        assert_eq!(rs.reinvites(), 0, "{} was re-INVITEd by a move", rs.name);
        assert_eq!(rs.byes(), 0, "{} was hung up", rs.name);
    }
    for rs in rooms {
        rs.hangup();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !places(&rg).is_empty() {
        assert!(
            Instant::now() < deadline,
            "participants left behind after BYE"
        );
        sleep(Duration::from_millis(100));
    }
}
