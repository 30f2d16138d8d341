//! roomgate is killed with SIGKILL while calls are up: the record of the call that had ended
//! survives as it was, and the records of the calls that were up are closed as `interrupted`
//! at the next start.

use crate::support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{assert_sipp_ok, free_media_port, free_port, sipp, Roomgate};

fn get(rg: &Roomgate, path: &str) -> Value {
    let (status, text) = rg.api("GET", path, None);
    assert_eq!(status, 200, "GET {path}: {text}");
    serde_json::from_str(&text).unwrap()
}

fn wait_for<T>(what: &str, rg: &Roomgate, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}; log:\n{}", rg.log_text());
        sleep(Duration::from_millis(100));
    }
}

/// The pid of the roomgate serving the database in `dir`.
fn roomgate_pid(dir: &Path) -> u32 {
    let needle = dir.join("roomgate.db").to_string_lossy().into_owned();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd);
        if cmd.contains("serve") && cmd.contains(&needle) {
            return pid;
        }
    }
    panic!("no roomgate process for {needle}");
}

#[test]
fn ended_records_survive_and_open_ones_are_interrupted() {
    let rg = Roomgate::start(&[]);
    // One call that ends before the kill.
    let out = sipp(&rg, "basic_call.xml", "u1", &[]);
    assert_sipp_ok(&rg, &out, "short call");
    let ended = wait_for("the short call's record", &rg, || {
        get(&rg, "/api/v1/cdrs")
            .as_array()
            .and_then(|a| a.iter().find(|c| c["end_by"] == "caller").cloned())
    });

    // Two calls that are up at the kill.
    let scen = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sipp/basic_call.xml");
    let mut long = Command::new("sipp")
        .arg("-sf")
        .arg(&scen)
        .arg(format!("127.0.0.1:{}", rg.sip_port))
        .args(["-i", "127.0.0.1", "-p", &free_port().to_string()])
        .args(["-mp", &free_media_port().to_string()])
        .args([
            "-t", "u1", "-s", "1000", "-m", "2", "-l", "2", "-d", "60000",
        ])
        .args(["-timeout", "90s", "-nostdin"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sipp runs");
    let up = wait_for("both long calls in the meeting", &rg, || {
        let legs = get(&rg, "/api/v1/legs?state=in_meeting");
        let ids: Vec<u64> = legs
            .as_array()?
            .iter()
            .filter_map(|l| l["id"].as_u64())
            .collect();
        (ids.len() == 2).then_some(ids)
    });
    // Their open records are on disk (read back through a reader connection).
    wait_for("the open records are stored", &rg, || {
        let open = get(&rg, "/api/v1/cdrs")
            .as_array()?
            .iter()
            .filter(|c| c["end_by"].is_null() && up.contains(&c["leg"].as_u64().unwrap_or(0)))
            .count();
        (open == 2).then_some(())
    });

    let pid = roomgate_pid(&rg.dir);
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let dir = rg.dir.clone();
    drop(rg);
    // The peer of the dead calls is of no further use.
    let _ = long.kill();
    let _ = long.wait();

    let rg = Roomgate::start_in(dir, &[]);
    let cdrs = get(&rg, "/api/v1/cdrs");
    let cdrs = cdrs.as_array().unwrap();
    let again = cdrs
        .iter()
        .find(|c| c["id"] == ended["id"])
        .expect("the ended call's record survived");
    assert_eq!(again, &ended, "unchanged");
    let interrupted: Vec<_> = cdrs
        .iter()
        .filter(|c| c["end_by"] == "interrupted")
        .collect();
    assert_eq!(interrupted.len(), 2, "{cdrs:?}");
    for c in interrupted {
        assert!(c["ended_at"].is_string(), "{c}");
        assert!(up.contains(&c["leg"].as_u64().unwrap()));
    }
}
