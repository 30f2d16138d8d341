//! The room system's screen follows it between rooms (RFC 4916 connected identity): each move
//! sends an UPDATE without a body whose From and P-Asserted-Identity name the room it is now
//! in, so the far end's name on the room system reads "Room 2", then the meeting's name when
//! everyone returns. The dialog's tags never change and no media is renegotiated.

use crate::support;

use std::net::SocketAddr;
use std::thread::sleep;
use std::time::{Duration, Instant};
use support::room::RoomSystem;
use support::tour::api;
use support::{wait_until, Roomgate};

/// The display name and the tag of an address header value.
fn name_and_tag(h: &str) -> (String, String) {
    let name = h.split('"').nth(1).unwrap_or_default().to_owned();
    let tag = h
        .split(";tag=")
        .nth(1)
        .map(|t| t.split(';').next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    (name, tag)
}

#[test]
fn moves_update_the_far_end_name_without_touching_media() {
    let rg = Roomgate::start(&[]);
    let gw: SocketAddr = ([127, 0, 0, 1], rg.sip_port).into();
    let a = RoomSystem::call(gw, "1000", "Boardroom", 500.0);
    let b = RoomSystem::call(gw, "1000", "Huddle", 800.0);

    api(
        &rg,
        "PUT",
        "/api/v1/meetings/1000/breakouts",
        Some(r#"{"count": 2, "assign": "auto", "options": {"auto_move": true, "countdown_s": 1}}"#),
    );
    api(&rg, "POST", "/api/v1/meetings/1000/breakouts/open", None);
    let rooms = api(&rg, "GET", "/api/v1/meetings/1000/breakouts", None);
    let room_names: Vec<String> = rooms["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    let place_name = |who: &str| -> String {
        let ps = api(&rg, "GET", "/api/v1/meetings/1000/participants", None);
        let p = ps
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == who)
            .unwrap()
            .clone();
        let room = p["room"].as_str().unwrap().to_owned();
        rooms["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                let id = &r["id"];
                id.as_u64().map(|n| n.to_string()).as_deref() == Some(room.as_str())
                    || id.as_str() == Some(room.as_str())
            })
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .unwrap_or(room)
    };
    for rs in [&a, &b] {
        assert!(
            wait_until(Duration::from_secs(5), || !rs.identities().is_empty()),
            "{} got no identity UPDATE on opening; log:\n{}",
            rs.name,
            rg.log_text()
        );
        let (from, pai) = rs.identities().last().unwrap().clone();
        let here = place_name(&rs.name);
        assert!(room_names.contains(&here), "{here} in {room_names:?}");
        assert_eq!(name_and_tag(&from).0, here, "{from}");
        assert_eq!(name_and_tag(&pai).0, here, "{pai}");
        assert!(!pai.contains("tag="), "PAI carries no tag: {pai}");
    }

    // Move A to B's room: A's far end now reads B's room name; the From tag is unchanged.
    let ps = api(&rg, "GET", "/api/v1/meetings/1000/participants", None);
    let find = |n: &str| {
        ps.as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == n)
            .unwrap()
            .clone()
    };
    let (pa, pb) = (find("Boardroom"), find("Huddle"));
    let before = a.identities().len();
    let first_tag = name_and_tag(&a.identities()[0].0).1;
    api(
        &rg,
        "POST",
        &format!("/api/v1/meetings/1000/participants/{}/move", pa["id"]),
        Some(&format!(r#"{{"room": {}}}"#, pb["room"])),
    );
    assert!(wait_until(Duration::from_secs(5), || a.identities().len() > before));
    let (from, _) = a.identities().last().unwrap().clone();
    assert_eq!(name_and_tag(&from).0, place_name("Huddle"));
    assert_eq!(
        name_and_tag(&from).1,
        first_tag,
        "the From tag changed: {from}"
    );

    // Close: everyone returns to the main session, shown as the meeting's name.
    let meeting = api(&rg, "GET", "/api/v1/meetings/1000", None);
    let meeting_name = meeting["name"].as_str().unwrap().to_owned();
    api(&rg, "POST", "/api/v1/meetings/1000/breakouts/close", None);
    let deadline = Instant::now() + Duration::from_secs(15);
    for rs in [&a, &b] {
        while name_and_tag(&rs.identities().last().unwrap().0).0 != meeting_name {
            assert!(
                Instant::now() < deadline,
                "{} never shown the meeting's name: {:?}",
                rs.name,
                rs.identities()
            );
            sleep(Duration::from_millis(100));
        }
        assert_eq!(rs.reinvites(), 0, "{} was re-INVITEd", rs.name);
        assert_eq!(rs.byes(), 0, "{} was hung up", rs.name);
    }
}
