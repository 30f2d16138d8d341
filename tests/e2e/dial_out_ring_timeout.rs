//! A dialled room system that rings and never answers: after the host's `ring_timeout_s` the
//! dial-out is CANCELled (RFC 3261 §9.1) rather than left ringing forever (a 180 stops Timer
//! B), the room system never joins, and the record says nobody answered.

use crate::support;

use std::thread::sleep;
use std::time::{Duration, Instant};
use support::{free_port, sipp_uas, wait_exit, Roomgate};

#[test]
fn unanswered_dial_out_is_cancelled_after_the_ring_timeout() {
    let rg = Roomgate::start(&[]);
    let port = free_port();
    let mut room = sipp_uas(Some("uas_ring_no_answer.xml"), port, &rg.dir);
    sleep(Duration::from_millis(300));
    let body = format!(r#"{{"uri": "sip:boardroom@127.0.0.1:{port}", "ring_timeout_s": 2}}"#);
    let (status, reply) = rg.api("POST", "/api/v1/meetings/1000/dial-out", Some(&body));
    assert_eq!(status, 202, "{reply}");
    // The scenario completes only on CANCEL, then the ACK for its 487.
    assert!(
        wait_exit(&mut room).success(),
        "no CANCEL after the ring timeout; log:\n{}",
        rg.log_text()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let cdr = loop {
        let (_, text) = rg.api("GET", "/api/v1/cdrs?meeting=1000", None);
        let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        if let Some(r) = v
            .as_array()
            .and_then(|a| a.first())
            .filter(|r| !r["ended_at"].is_null())
        {
            break r.clone();
        }
        assert!(Instant::now() < deadline, "no closed record");
        sleep(Duration::from_millis(100));
    };
    assert_eq!(cdr["end_by"], "timeout", "{cdr}");
    let (_, body) = rg.api("GET", "/api/v1/meetings/1000/participants", None);
    assert_eq!(body.trim(), "[]");
}
