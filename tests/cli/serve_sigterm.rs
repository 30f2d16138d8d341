//! `roomgate serve` shuts down gracefully on SIGTERM: it exits 0, and what it acknowledged is
//! in the store for the next start.

use crate::support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
#[cfg(unix)]
fn sigterm_exits_zero_and_keeps_acknowledged_changes() {
    // `serve` without --sip-listen binds the default SIP address, as the other `serve` test of
    // this binary does.
    let _sip = support::default_sip_address();
    let db = std::env::temp_dir().join(format!("roomgate-cli-sigterm-{}.db", std::process::id()));
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_roomgate"))
        .args(["serve", "--http-listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .args(["--api-token", "sigterm-test-token-0123"])
        .env_remove("ROOMGATE_API_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("roomgate starts");
    // "roomgate: HTTP API on http://127.0.0.1:PORT/api/v1"
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("roomgate prints its address").unwrap();
        if let Some(rest) = line.strip_prefix("roomgate: HTTP API on ") {
            break rest.trim_end_matches("/api/v1").to_owned();
        }
    };

    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        let http = reqwest::Client::new();
        let res = http
            .post(format!("{base}/api/v1/meetings"))
            .bearer_auth("sigterm-test-token-0123")
            .json(&serde_json::json!({"id": "777", "name": "Kept"}))
            .send()
            .await
            .unwrap();
        res.status()
    });
    assert_eq!(status, reqwest::StatusCode::CREATED);

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(0), "graceful shutdown exits 0");

    // The store has the meeting (read it directly: roomgate is gone).
    let store = roomgate::store::Store::open(&db).unwrap();
    let ids: Vec<String> = store
        .load_meetings()
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(ids, ["1000", "777"]);
    drop(store);
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
}
