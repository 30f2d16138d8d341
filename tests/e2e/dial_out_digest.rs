//! Dial-out through a PBX that challenges (RFC 3261 §22.2): SIPp's UAS answers our INVITE with
//! 401 and a Digest challenge, verifies the credentials roomgate sends from `[[sip.credentials]]`
//! in the retried INVITE (MD5, qop=auth), and only then answers; the room system joins.

use crate::support;

use std::thread::sleep;
use std::time::{Duration, Instant};
use support::{free_port, sipp_uas, wait_exit, Roomgate};

const CREDENTIALS: &str = r#"
[[sip.credentials]]
realm = "elsewhere.example"
username = "wrong-account"
password = "not-this-one"

[[sip.credentials]]
realm = "rooms.example"
username = "roomgate"
password = "s3cret-room"
"#;

#[test]
fn challenged_dial_out_authenticates_and_joins() {
    let rg = Roomgate::start_with_config(CREDENTIALS, &[]);
    let port = free_port();
    let mut room = sipp_uas(Some("uas_digest.xml"), port, &rg.dir);
    sleep(Duration::from_millis(300));
    let body = format!(r#"{{"uri": "sip:boardroom@127.0.0.1:{port}", "name": "Boardroom"}}"#);
    let (status, reply) = rg.api("POST", "/api/v1/meetings/1000/dial-out", Some(&body));
    assert_eq!(status, 202, "{reply}");

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, body) = rg.api("GET", "/api/v1/meetings/1000/participants", None);
        let p: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        if p.as_array().is_some_and(|a| !a.is_empty()) {
            assert_eq!(p[0]["name"], "Boardroom");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the challenged room system never joined; log:\n{}",
            rg.log_text()
        );
        sleep(Duration::from_millis(100));
    }
    // The scenario only reaches its end (BYE answered) if the credentials verified.
    let (status, _) = rg.api("DELETE", "/api/v1/meetings/1000", None);
    assert_eq!(status, 200);
    assert!(
        wait_exit(&mut room).success(),
        "SIPp's UAS failed; log:\n{}",
        rg.log_text()
    );
}
