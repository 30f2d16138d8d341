//! `roomgate serve --log-format json` writes one JSON object per log line on stderr.

use crate::support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
#[cfg(unix)]
fn json_log_lines() {
    // `serve` without --sip-listen binds the default SIP address, as the other `serve` test of
    // this binary does.
    let _sip = support::default_sip_address();
    let db = std::env::temp_dir().join(format!("roomgate-cli-json-{}.db", std::process::id()));
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_roomgate"))
        .args([
            "serve",
            "--http-listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--db",
        ])
        .arg(&db)
        .args(["--api-token", "json-log-test-token-0123"])
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("roomgate starts");
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    // Wait until it serves, then stop it; its logs end when it exits.
    loop {
        let line = out.next().expect("address line").unwrap();
        if line.starts_with("roomgate: HTTP API on ") {
            break;
        }
    }
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let err = BufReader::new(child.stderr.take().unwrap());
    let lines: Vec<String> = err.lines().map(Result::unwrap).collect();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(lines.len() >= 3, "start and shutdown are logged: {lines:?}");
    for l in &lines {
        let v: serde_json::Value =
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
        assert!(v["level"].is_string() && v["timestamp"].is_string(), "{l}");
    }
    assert!(
        lines.iter().any(|l| l.contains("shutdown complete")),
        "{lines:?}"
    );
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
}
