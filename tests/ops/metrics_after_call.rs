//! After a real SIP call, `GET /metrics` exposes the call counters: the attempt, the INVITE
//! and BYE transactions, the 200 answer, RTP and the mixer tick, and no call left up.

use crate::support;

use std::thread::sleep;
use std::time::{Duration, Instant};

use support::{assert_sipp_ok, sipp, Roomgate};

/// The value of the sample line `name` (with its labels, exactly), if exposed.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        let (n, v) = l.rsplit_once(' ')?;
        (n == name).then(|| v.parse().ok()).flatten()
    })
}

#[test]
fn call_counters_are_exposed() {
    let rg = Roomgate::start(&[]);
    let out = sipp(&rg, "basic_call.xml", "u1", &["-d", "1500"]);
    assert_sipp_ok(&rg, &out, "call");
    // The call's end reaches the engine just after SIPp's last message: wait for the gauge.
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        let (status, text) = rg.api("GET", "/metrics", None);
        assert_eq!(status, 200);
        if sample(&text, "roomgate_calls{state=\"in_meeting\"}") == Some(0.0) {
            break text;
        }
        assert!(Instant::now() < deadline, "{text}");
        sleep(Duration::from_millis(100));
    };
    let want = [
        ("roomgate_call_attempts_total", 1.0),
        (
            "roomgate_sip_transactions_total{direction=\"in\",method=\"INVITE\"}",
            1.0,
        ),
        (
            "roomgate_sip_transactions_total{direction=\"in\",method=\"BYE\"}",
            1.0,
        ),
        ("roomgate_invite_answers_total{status=\"200\"}", 1.0),
    ];
    for (name, v) in want {
        assert_eq!(sample(&text, name), Some(v), "{name} in\n{text}");
    }
    assert!(
        sample(&text, "roomgate_mixer_tick_seconds_count").is_some_and(|n| n > 0.0),
        "the mixer tick is timed:\n{text}"
    );
    assert!(
        sample(&text, "roomgate_rtp_packets_total{direction=\"out\"}").is_some_and(|n| n > 0.0),
        "roomgate sent RTP to the caller:\n{text}"
    );
    assert!(text.contains("roomgate_rtp_jitter_milliseconds_bucket"));
    assert!(text.contains("roomgate_api_requests_total"));
}
