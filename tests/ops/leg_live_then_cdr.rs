//! A real SIP call (SIPp over UDP) shows up in `GET /api/v1/legs` with its codec and meeting
//! while it is up, and its call detail record appears in `GET /api/v1/cdrs` after the caller
//! hangs up, with the caller as the one who ended it.

use crate::support;

use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{assert_sipp_ok, sipp, Roomgate};

fn get(rg: &Roomgate, path: &str) -> Value {
    let (status, body) = rg.api("GET", path, None);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
}

/// Polls until `f` finds something, for at most 20 s.
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
fn a_call_is_live_then_recorded() {
    let rg = Roomgate::start(&[]);
    std::thread::scope(|s| {
        let call = s.spawn(|| sipp(&rg, "basic_call.xml", "u1", &["-d", "3000"]));
        let leg = wait_for("the call appears in /legs", &rg, || {
            get(&rg, "/api/v1/legs?meeting=1000&state=in_meeting")
                .as_array()
                .and_then(|a| a.first().cloned())
        });
        assert_eq!(leg["audio_codec"], "PCMU", "{leg}");
        assert_eq!(leg["meeting"], "1000");
        assert_eq!(leg["room"], "main");
        assert_eq!(leg["protocol"], "SIP/UDP");
        assert_eq!(leg["user_agent"], "SIPp room system");
        assert!(leg["joined_at"].as_str().is_some_and(|t| t.ends_with('Z')));
        let id = leg["id"].as_u64().expect("numeric leg id");
        let one = get(&rg, &format!("/api/v1/legs/{id}"));
        assert_eq!(one["call_id"], leg["call_id"]);
        // Filters that do not match leave it out.
        assert_eq!(get(&rg, "/api/v1/legs?protocol=tcp"), Value::Array(vec![]));
        assert_eq!(get(&rg, "/api/v1/legs?meeting=2000"), Value::Array(vec![]));

        let out = call.join().expect("sipp thread");
        assert_sipp_ok(&rg, &out, "basic call");

        let cdr = wait_for("the call record appears in /cdrs", &rg, || {
            get(&rg, "/api/v1/cdrs?meeting=1000")
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .find(|c| c["leg"] == id && c["ended_at"].is_string())
                        .cloned()
                })
        });
        assert_eq!(cdr["end_by"], "caller", "{cdr}");
        assert_eq!(cdr["call_id"], leg["call_id"]);
        assert_eq!(cdr["audio_codec"], "PCMU");
        assert!(cdr["duration_s"].as_f64().is_some_and(|d| d > 0.0), "{cdr}");
        let (status, gone) = rg.api("GET", &format!("/api/v1/legs/{id}"), None);
        assert_eq!(status, 404, "{gone}");

        let (status, csv) = rg.api(
            "GET",
            "/api/v1/cdrs?format=csv&from=2000-01-01T00:00:00Z",
            None,
        );
        assert_eq!(status, 200);
        assert!(csv.starts_with("id,leg,call_id,"), "{csv}");
        let call_id = leg["call_id"].as_str().unwrap();
        assert!(
            csv.lines()
                .any(|l| l.contains(call_id) && l.contains(",caller,")),
            "{csv}"
        );
    });
}
