//! Breakout rooms heard by real softphones: four baresip instances dial meeting 1000, each
//! sending its own tone; the host opens two rooms, moves one, exchanges two and closes with a
//! countdown. At every step each baresip must have decoded exactly the tones of the others in
//! its room (Goertzel over the audio baresip itself recorded), and no call may be re-INVITEd
//! or hung up by a move.

mod support;

use std::thread::sleep;
use std::time::{Duration, Instant};
use support::baresip::Baresip;
use support::{participants, wait_until, Roomgate};

const TONES: [f64; 4] = [500.0, 800.0, 1100.0, 1400.0];

fn api(rg: &Roomgate, method: &str, path: &str, body: Option<&str>) {
    let (status, text) = rg.api(method, path, body);
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {text}"
    );
}

/// (name, room, participant id) of everyone in meeting 1000.
fn places(rg: &Roomgate) -> Vec<(String, String, u64)> {
    participants(rg, "1000")
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

/// Waits for prompts to finish and the new mix to reach the phones, then checks each one
/// decoded exactly the others in its place.
fn check_rooms(rg: &Roomgate, phones: &[Baresip], step: &str) {
    sleep(Duration::from_millis(4500));
    let places = places(rg);
    assert_eq!(
        places.len(),
        phones.len(),
        "{step}: someone left: {places:?}"
    );
    let place_of = |name: &str| places.iter().find(|p| p.0 == name).unwrap().1.clone();
    for (i, phone) in phones.iter().enumerate() {
        let here = place_of(&phone.name);
        let expected: Vec<f64> = phones
            .iter()
            .enumerate()
            .filter(|(j, o)| *j != i && place_of(&o.name) == here)
            .map(|(j, _)| TONES[j])
            .collect();
        let heard = phone.tones_heard(&TONES);
        assert_eq!(
            heard, expected,
            "{step}: {} in {here} hears {heard:?}, expected {expected:?} (places {places:?})",
            phone.name
        );
    }
}

#[test]
fn each_baresip_hears_exactly_its_room_through_moves_and_exchange() {
    let rg = Roomgate::start(&[]);
    let target = format!("sip:1000@127.0.0.1:{}", rg.sip_port);
    let names = ["Boardroom", "Huddle", "Lab", "Lobby"];
    let phones: Vec<Baresip> = names
        .iter()
        .zip(TONES)
        .map(|(n, f)| Baresip::start(&n.to_lowercase(), n, f as u32, false, Some(&target), 120))
        .collect();
    assert!(
        wait_until(Duration::from_secs(15), || places(&rg).len() == 4),
        "not every baresip joined: {:?}\n{}",
        places(&rg),
        rg.log_text()
    );
    check_rooms(&rg, &phones, "main session");

    api(
        &rg,
        "PUT",
        "/api/v1/meetings/1000/breakouts",
        Some(r#"{"count": 2, "assign": "auto", "options": {"auto_move": true, "countdown_s": 2}}"#),
    );
    api(&rg, "POST", "/api/v1/meetings/1000/breakouts/open", None);
    check_rooms(&rg, &phones, "rooms open");

    let p = places(&rg);
    let (_, from, id) = p.iter().find(|x| x.0 == "Boardroom").unwrap().clone();
    let other = p.iter().map(|x| x.1.clone()).find(|r| *r != from).unwrap();
    api(
        &rg,
        "POST",
        &format!("/api/v1/meetings/1000/participants/{id}/move"),
        Some(&format!(r#"{{"room": "{other}"}}"#)),
    );
    check_rooms(&rg, &phones, "after a move");

    let p = places(&rg);
    let a = p.iter().find(|x| x.1 == other).unwrap().2;
    let b = p.iter().find(|x| x.1 != other).unwrap().2;
    api(
        &rg,
        "POST",
        "/api/v1/meetings/1000/participants/exchange",
        Some(&format!(r#"{{"a": {a}, "b": {b}}}"#)),
    );
    check_rooms(&rg, &phones, "after an exchange");

    api(&rg, "POST", "/api/v1/meetings/1000/breakouts/close", None);
    let deadline = Instant::now() + Duration::from_secs(20);
    while places(&rg).iter().any(|p| p.1 != "main") {
        assert!(Instant::now() < deadline, "rooms never closed");
        sleep(Duration::from_millis(200));
    }
    check_rooms(&rg, &phones, "rooms closed");

    for phone in &phones {
        let log = phone.log();
        assert!(
            !log.contains("got re-INVITE"),
            "{} was re-INVITEd:\n{log}",
            phone.name
        );
        assert!(
            !log.contains("session closed"),
            "{} was hung up:\n{log}",
            phone.name
        );
    }
}
