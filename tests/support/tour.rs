//! The breakout tour both end-to-end audio tests take (Rust room systems and baresip): the host
//! opens two rooms with an automatic split, moves one participant, exchanges two and closes
//! with a countdown; at every step each listener must hear exactly the tones of the others in
//! its place.
#![allow(dead_code)]

use std::thread::sleep;
use std::time::{Duration, Instant};

use super::room::goertzel;
use super::Roomgate;

/// A room system whose received audio a test can judge.
pub trait Listener {
    fn name(&self) -> &str;
    /// The last `ms` of what it received, 8 kHz.
    fn recent(&self, ms: usize) -> Vec<i16>;
}

/// Which of `freqs` are clearly present in 8 kHz audio (Goertzel power over total power).
pub fn tones_in(x: &[i16], freqs: &[f64]) -> Vec<f64> {
    let total: f64 = x
        .iter()
        .map(|&s| f64::from(s) * f64::from(s))
        .sum::<f64>()
        .max(1.0);
    freqs
        .iter()
        .copied()
        .filter(|&f| goertzel(x, f) / total > 0.02)
        .collect()
}

/// An API call that must succeed; its JSON body (`Null` when empty).
pub fn api(rg: &Roomgate, method: &str, path: &str, body: Option<&str>) -> serde_json::Value {
    let (status, text) = rg.api(method, path, body);
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {text}"
    );
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// (name, room, participant id) of everyone in meeting 1000.
pub fn places(rg: &Roomgate) -> Vec<(String, String, u64)> {
    super::participants(rg, "1000")
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

/// Waits for prompts to finish and the new mix to arrive, then checks that listener `i` hears
/// exactly `tones[j]` of every other `j` in its place (and not its own).
pub fn check_rooms<L: Listener>(rg: &Roomgate, who: &[L], tones: &[f64], step: &str) {
    sleep(Duration::from_millis(4500));
    let places = places(rg);
    assert_eq!(places.len(), who.len(), "{step}: someone left: {places:?}");
    let place_of = |name: &str| places.iter().find(|p| p.0 == name).unwrap().1.clone();
    for (i, l) in who.iter().enumerate() {
        let here = place_of(l.name());
        let expected: Vec<f64> = who
            .iter()
            .enumerate()
            .filter(|(j, o)| *j != i && place_of(o.name()) == here)
            .map(|(j, _)| tones[j])
            .collect();
        let x = l.recent(1000);
        // Half a second at least, or a tone cannot be told from noise.
        let heard = if x.len() < 4000 {
            Vec::new()
        } else {
            tones_in(&x, tones)
        };
        assert_eq!(
            heard,
            expected,
            "{step}: {} in {here} hears {heard:?}, expected {expected:?} (places {places:?})",
            l.name()
        );
    }
}

/// Main session, rooms open (automatic split), a move, an exchange, rooms closed.
pub fn breakout_tour<L: Listener>(rg: &Roomgate, who: &[L], tones: &[f64]) {
    check_rooms(rg, who, tones, "main session");
    api(
        rg,
        "PUT",
        "/api/v1/meetings/1000/breakouts",
        Some(r#"{"count": 2, "assign": "auto", "options": {"auto_move": true, "countdown_s": 2}}"#),
    );
    api(rg, "POST", "/api/v1/meetings/1000/breakouts/open", None);
    check_rooms(rg, who, tones, "rooms open");

    // Move the first listener to the other room.
    let p = places(rg);
    let (_, from, id) = p.iter().find(|x| x.0 == who[0].name()).unwrap().clone();
    let other = p.iter().map(|x| x.1.clone()).find(|r| *r != from).unwrap();
    api(
        rg,
        "POST",
        &format!("/api/v1/meetings/1000/participants/{id}/move"),
        Some(&format!(r#"{{"room": "{other}"}}"#)),
    );
    check_rooms(rg, who, tones, "after a move");

    // Exchange two in different rooms.
    let p = places(rg);
    let a = p.iter().find(|x| x.1 == other).unwrap().2;
    let b = p.iter().find(|x| x.1 != other).unwrap().2;
    api(
        rg,
        "POST",
        "/api/v1/meetings/1000/participants/exchange",
        Some(&format!(r#"{{"a": {a}, "b": {b}}}"#)),
    );
    check_rooms(rg, who, tones, "after an exchange");

    // Close: after the 2 s countdown everyone is back in the main session.
    api(rg, "POST", "/api/v1/meetings/1000/breakouts/close", None);
    let deadline = Instant::now() + Duration::from_secs(20);
    while places(rg).iter().any(|p| p.1 != "main") {
        assert!(Instant::now() < deadline, "rooms never closed");
        sleep(Duration::from_millis(200));
    }
    check_rooms(rg, who, tones, "rooms closed");
}
