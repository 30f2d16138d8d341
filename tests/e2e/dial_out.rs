//! Dial-out: the host calls a room system into a meeting (roomgate as UAC). A SIPp UAS plays
//! the room system: one answers (and is placed in the meeting, then hung up when the meeting
//! ends), one is busy (486: nobody joins, the ACK for the 486 arrives).

use crate::support;

use std::thread::sleep;
use std::time::{Duration, Instant};
use support::{free_port, sipp_uas as uas, wait_exit, Roomgate};

fn participants(rg: &Roomgate) -> serde_json::Value {
    let (status, body) = rg.api("GET", "/api/v1/meetings/1000/participants", None);
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).expect("JSON")
}

#[test]
fn answered_dial_out_joins_the_meeting_and_is_hung_up_when_it_ends() {
    let rg = Roomgate::start(&[]);
    let port = free_port();
    let mut room = uas(None, port, &rg.dir);
    sleep(Duration::from_millis(300));
    let body = format!(r#"{{"uri": "sip:boardroom@127.0.0.1:{port}", "name": "Boardroom"}}"#);
    let (status, reply) = rg.api("POST", "/api/v1/meetings/1000/dial-out", Some(&body));
    assert_eq!(status, 202, "{reply}");
    assert!(reply.contains("\"leg\""));

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let p = participants(&rg);
        if let Some(first) = p.as_array().and_then(|a| a.first()) {
            assert_eq!(first["name"], "Boardroom");
            assert_eq!(first["room"], "main");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the answered room system never joined"
        );
        sleep(Duration::from_millis(100));
    }
    // Ending the meeting hangs up the dialled room system: SIPp's UAS completes on our BYE.
    let (status, _) = rg.api("DELETE", "/api/v1/meetings/1000", None);
    assert_eq!(status, 200);
    assert!(
        wait_exit(&mut room).success(),
        "the UAS saw no BYE; log:\n{}",
        rg.log_text()
    );
}

#[test]
fn busy_target_never_joins() {
    let rg = Roomgate::start(&[]);
    let port = free_port();
    let mut room = uas(Some("uas_busy.xml"), port, &rg.dir);
    sleep(Duration::from_millis(300));
    let body = format!(r#"{{"uri": "sip:busy@127.0.0.1:{port}"}}"#);
    let (status, reply) = rg.api("POST", "/api/v1/meetings/1000/dial-out", Some(&body));
    assert_eq!(status, 202, "{reply}");
    // The scenario ends once our ACK for its 486 arrives (RFC 3261 §17.1.1.3).
    assert!(
        wait_exit(&mut room).success(),
        "no ACK for the 486; log:\n{}",
        rg.log_text()
    );
    assert_eq!(participants(&rg), serde_json::json!([]));
}

#[test]
fn bad_dial_out_requests_name_the_field() {
    let rg = Roomgate::start(&[]);
    let (status, body) = rg.api(
        "POST",
        "/api/v1/meetings/1000/dial-out",
        Some(r#"{"uri": "sip:room@rooms.example.com"}"#),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains(r#""field":"uri""#), "{body}");
    let (status, body) = rg.api(
        "POST",
        "/api/v1/meetings/1000/dial-out",
        Some(r#"{"uri": "sip:room@127.0.0.1:5999", "room": "7"}"#),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains(r#""field":"room""#), "{body}");
    let (status, body) = rg.api(
        "POST",
        "/api/v1/meetings/1000/dial-out",
        Some(r#"{"uri": "sip:room@127.0.0.1:5999", "ring_timeout_s": 0}"#),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains(r#""field":"ring_timeout_s""#), "{body}");
    let (status, _) = rg.api(
        "POST",
        "/api/v1/meetings/nope/dial-out",
        Some(r#"{"uri": "sip:room@127.0.0.1:5999"}"#),
    );
    assert_eq!(status, 404);
}
