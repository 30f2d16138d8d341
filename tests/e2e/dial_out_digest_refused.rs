//! A PBX that refuses roomgate's credentials: the second 401 for the same realm ends the
//! dial-out (RFC 3261 §22.2) instead of looping, and the leg's record says 401.

use crate::support;

use std::thread::sleep;
use std::time::{Duration, Instant};
use support::{free_port, sipp_uas, wait_exit, Roomgate};

#[test]
fn refused_credentials_end_the_dial_out_with_401() {
    let rg = Roomgate::start_with_config(
        "[[sip.credentials]]\nusername = \"roomgate\"\npassword = \"stale-password\"\n",
        &[],
    );
    let port = free_port();
    let mut pbx = sipp_uas(Some("uas_digest_reject.xml"), port, &rg.dir);
    sleep(Duration::from_millis(300));
    let body = format!(r#"{{"uri": "sip:boardroom@127.0.0.1:{port}"}}"#);
    let (status, reply) = rg.api("POST", "/api/v1/meetings/1000/dial-out", Some(&body));
    assert_eq!(status, 202, "{reply}");
    // Both challenges were answered with ACKs (§17.1.1.3) and no third INVITE was needed.
    assert!(
        wait_exit(&mut pbx).success(),
        "the PBX scenario failed; log:\n{}",
        rg.log_text()
    );

    // Had roomgate sent a third INVITE, nobody would answer it and the record would say 408.
    let deadline = Instant::now() + Duration::from_secs(20);
    let cdr = loop {
        let (status, body) = rg.api("GET", "/api/v1/cdrs?meeting=1000", None);
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        // The record exists from the INVITE on; wait for it to be closed.
        if let Some(first) = v
            .as_array()
            .and_then(|a| a.first())
            .filter(|r| !r["ended_at"].is_null())
        {
            break first.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no call record; log:\n{}",
            rg.log_text()
        );
        sleep(Duration::from_millis(100));
    };
    assert_eq!(cdr["sip_status"], 401, "{cdr}");
    assert_eq!(cdr["end_by"], "refused", "{cdr}");
    assert!(
        cdr["call_id"].as_str().is_some_and(|c| !c.is_empty()),
        "{cdr}"
    );
    let (_, body) = rg.api("GET", "/api/v1/meetings/1000/participants", None);
    assert_eq!(body.trim(), "[]");
}
