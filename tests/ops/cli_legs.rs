//! `roomgate legs` prints the live call legs of a running roomgate from its API: `--json` for
//! scripts, `--once` for one table.

use crate::support;

use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{assert_sipp_ok, sipp, Roomgate, TOKEN};

fn legs_cli(rg: &Roomgate, extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_roomgate"))
        .args([
            "legs",
            "--api",
            &format!("http://{}", rg.http),
            "--token",
            TOKEN,
        ])
        .args(extra)
        .output()
        .expect("roomgate runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn json_and_table() {
    let rg = Roomgate::start(&[]);
    std::thread::scope(|s| {
        let call = s.spawn(|| sipp(&rg, "basic_call.xml", "u1", &["-d", "3000"]));
        let deadline = Instant::now() + Duration::from_secs(20);
        let legs = loop {
            let v: Value = serde_json::from_str(&legs_cli(&rg, &["--json"])).unwrap();
            if v.as_array()
                .is_some_and(|a| a.iter().any(|l| l["state"] == "in_meeting"))
            {
                break v;
            }
            assert!(Instant::now() < deadline, "no leg: {v}");
            sleep(Duration::from_millis(100));
        };
        let leg = &legs[0];
        assert_eq!(leg["audio_codec"], "PCMU");
        assert_eq!(leg["meeting"], "1000");

        let table = legs_cli(&rg, &["--once", "--sort", "loss"]);
        let mut lines = table.lines();
        assert!(lines.next().unwrap().trim_start().starts_with("LEG"));
        let row = lines.next().expect("one row");
        assert!(
            row.contains("PCMU") && row.contains("1000") && row.contains("SIP/UDP"),
            "{row}"
        );
        assert!(row.trim_start().starts_with(&leg["id"].to_string()));

        let out = call.join().unwrap();
        assert_sipp_ok(&rg, &out, "call");
    });
}
