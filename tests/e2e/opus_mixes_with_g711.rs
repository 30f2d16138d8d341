//! An Opus room system and G.711 room systems in one meeting, end to end over real sockets:
//! roomgate answers the Opus offer with opus (and telephone-event at 48000, RFC 4733 §2.1),
//! and everyone hears exactly the others' tones, across the codecs, in the main session and
//! after the Opus leg is moved to a breakout room with one G.711 caller; its keypad digits,
//! sent as telephone-events on the 48 kHz clock, work.

use crate::support;

use std::net::SocketAddr;
use std::thread::sleep;
use std::time::{Duration, Instant};
use support::room::{Codec, MediaOptions, RoomSystem};
use support::Roomgate;

fn opus() -> MediaOptions {
    MediaOptions {
        codec: Codec::Opus,
        ..MediaOptions::default()
    }
}

const TONES: [f64; 3] = [600.0, 1000.0, 1500.0];

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

fn check(rooms: &[RoomSystem], groups: &[&[usize]], step: &str) {
    sleep(Duration::from_millis(4500));
    for group in groups {
        for &i in *group {
            let expected: Vec<f64> = group
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| TONES[j])
                .collect();
            let heard = rooms[i].tones_heard(&TONES);
            assert_eq!(
                heard, expected,
                "{step}: {} hears {heard:?}, expected {expected:?}",
                rooms[i].name
            );
        }
    }
}

#[test]
fn opus_and_g711_room_systems_hear_each_other() {
    let rg = Roomgate::start(&[]);
    let gw: SocketAddr = ([127, 0, 0, 1], rg.sip_port).into();
    let rooms = vec![
        RoomSystem::call_with(gw, "1000", "OpusRoom", TONES[0], opus()),
        RoomSystem::call(gw, "1000", "PhoneA", TONES[1]),
        RoomSystem::call(gw, "1000", "PhoneB", TONES[2]),
    ];

    // The answer picks opus, keeps the offered payload type, tells our receive preferences
    // (RFC 7587 §6.1) and matches telephone-event to the 48000 clock.
    let answer = &rooms[0].answer;
    assert!(
        answer.contains("m=audio ") && answer.contains(" RTP/AVP 111 101"),
        "{answer}"
    );
    assert!(answer.contains("a=rtpmap:111 opus/48000/2"), "{answer}");
    assert!(answer.contains("useinbandfec=1"), "{answer}");
    assert!(
        answer.contains("a=rtpmap:101 telephone-event/48000"),
        "{answer}"
    );
    assert!(rooms[1].answer.contains("a=rtpmap:0 PCMU/8000"));

    check(&rooms, &[&[0, 1, 2]], "main session");

    // Keypad over RFC 4733 at the Opus clock (48000): *1 mutes, *1 again unmutes.
    rooms[0].press_rfc4733("*1");
    wait_muted(&rg, "OpusRoom", true);
    rooms[0].press_rfc4733("*1");
    wait_muted(&rg, "OpusRoom", false);

    // Two breakout rooms; then put the Opus room system with PhoneA, PhoneB alone.
    json(
        &rg,
        "PUT",
        "/api/v1/meetings/1000/breakouts",
        Some(r#"{"count": 2, "assign": "auto", "options": {"auto_move": true, "countdown_s": 2}}"#),
    );
    json(&rg, "POST", "/api/v1/meetings/1000/breakouts/open", None);
    sleep(Duration::from_millis(500));
    let p = places(&rg);
    let rooms_open: Vec<String> = {
        let mut r: Vec<String> = p
            .iter()
            .map(|x| x.1.clone())
            .filter(|r| r != "main")
            .collect();
        r.sort();
        r.dedup();
        r
    };
    assert_eq!(rooms_open.len(), 2, "{p:?}");
    for (name, room) in [
        ("OpusRoom", &rooms_open[0]),
        ("PhoneA", &rooms_open[0]),
        ("PhoneB", &rooms_open[1]),
    ] {
        let (_, at, id) = p.iter().find(|x| x.0 == name).expect("participant").clone();
        if at != *room {
            json(
                &rg,
                "POST",
                &format!("/api/v1/meetings/1000/participants/{id}/move"),
                Some(&format!(r#"{{"room": "{room}"}}"#)),
            );
        }
    }
    check(&rooms, &[&[0, 1], &[2]], "breakout");

    for rs in &rooms {
        assert_eq!(rs.reinvites(), 0, "{} was re-INVITEd by a move", rs.name);
        assert_eq!(rs.byes(), 0, "{} was hung up", rs.name);
    }
    for rs in rooms {
        rs.hangup();
    }
}

fn wait_muted(rg: &Roomgate, name: &str, muted: bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let p = json(rg, "GET", "/api/v1/meetings/1000/participants", None);
        let now = p
            .as_array()
            .expect("array")
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["muted"] == muted);
        if now == Some(true) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name} never became muted={muted}: {p}"
        );
        sleep(Duration::from_millis(100));
    }
}

/// Where each room system is (name, room, participant id), from the API.
fn places(rg: &Roomgate) -> Vec<(String, String, u64)> {
    let p = json(rg, "GET", "/api/v1/meetings/1000/participants", None);
    p.as_array()
        .expect("array")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().expect("name").to_owned(),
                p["room"].as_str().expect("room").to_owned(),
                p["id"].as_u64().expect("id"),
            )
        })
        .collect()
}
