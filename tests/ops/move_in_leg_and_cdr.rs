//! A host moves a real SIP call (SIPp) into a breakout room through the API: the move shows
//! in the leg's live history (`GET /api/v1/legs/{id}`) with a wall-clock time, and in its call
//! detail record after hangup.

use crate::support;

use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{assert_sipp_ok, sipp, Roomgate};

fn call(rg: &Roomgate, method: &str, path: &str, body: Option<&str>) -> Value {
    let (status, text) = rg.api(method, path, body);
    assert_eq!(status, 200, "{method} {path}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"))
}

fn wait_for<T>(what: &str, rg: &Roomgate, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}; log:\n{}", rg.log_text());
        sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_move_is_in_the_leg_and_its_record() {
    let rg = Roomgate::start(&[]);
    std::thread::scope(|s| {
        let sipp_run = s.spawn(|| sipp(&rg, "basic_call.xml", "u1", &["-d", "5000"]));
        let leg = wait_for("the call is in the meeting", &rg, || {
            call(&rg, "GET", "/api/v1/legs?state=in_meeting", None)
                .as_array()
                .and_then(|a| a.iter().find(|l| l["participant"].is_u64()).cloned())
        });
        let id = leg["id"].as_u64().unwrap();
        let pid = leg["participant"].as_u64().unwrap();
        assert_eq!(leg["moves"], Value::Array(vec![]));

        let b = call(
            &rg,
            "PUT",
            "/api/v1/meetings/1000/breakouts",
            Some(r#"{"count": 2, "assign": "manual", "options": {"countdown_s": 0}}"#),
        );
        let room = b["rooms"][1]["id"].as_str().expect("room id").to_owned();
        call(
            &rg,
            "POST",
            "/api/v1/meetings/1000/breakouts/open",
            Some("{}"),
        );
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        call(
            &rg,
            "POST",
            &format!("/api/v1/meetings/1000/participants/{pid}/move"),
            Some(&format!(r#"{{"room": "{room}"}}"#)),
        );

        let moved = wait_for("the move is in the leg's history", &rg, || {
            let l = call(&rg, "GET", &format!("/api/v1/legs/{id}"), None);
            (l["moves"].as_array().is_some_and(|m| !m.is_empty())).then_some(l)
        });
        let m = &moved["moves"][0];
        assert_eq!(m["from"], "main", "{moved}");
        assert_eq!(m["to"], room.as_str());
        assert_eq!(m["by"], "host");
        let at = m["at_ms"].as_i64().unwrap();
        assert!(
            at >= before - 1000,
            "wall-clock time of the move: {at} vs {before}"
        );
        assert_eq!(moved["room"], room.as_str());
        let in_room = call(&rg, "GET", &format!("/api/v1/legs?room={room}"), None);
        assert_eq!(in_room.as_array().map(Vec::len), Some(1));

        let out = sipp_run.join().expect("sipp thread");
        assert_sipp_ok(&rg, &out, "call with a move");
        let cdr = wait_for("the call record is stored", &rg, || {
            call(&rg, "GET", "/api/v1/cdrs", None)
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .find(|c| c["leg"] == id && c["ended_at"].is_string())
                        .cloned()
                })
        });
        let moves = cdr["moves"].as_array().expect("moves in the record");
        assert_eq!(moves.len(), 1, "{cdr}");
        assert_eq!(moves[0]["to"], room.as_str());
        assert_eq!(moves[0]["at_ms"], at);
    });
}
