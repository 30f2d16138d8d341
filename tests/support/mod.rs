//! Shared by the test families (`tests/<family>/main.rs` declares it as `mod support`): the
//! real `roomgate` binary against real peers (SIPp, baresip) on loopback, here; a roomgate in
//! this process with an HTTP client ([`api`]); the media plane on a simulated clock ([`media`]);
//! room systems written in Rust ([`room`], [`ua`]).
//!
//! Each test gets its own ports, database and token; the process is stopped with SIGTERM (the
//! graceful path) when the handle drops. The tests of one binary run on parallel threads, so
//! nothing here hands the same port, port range or file to two of them.
#![allow(dead_code)] // each family uses a different part

pub mod api;
pub mod baresip;
pub mod media;
pub mod room;
pub mod tour;
pub mod ua;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::thread::sleep;
use std::time::{Duration, Instant};

pub const TOKEN: &str = "test-host-token-0123456789";

/// Ports this process has handed out. A port is free when [`free_port`] returns it, but the
/// process it is for binds it a moment later: meanwhile a test on another thread must not be
/// handed the same one.
static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

fn handed_out() -> MutexGuard<'static, BTreeSet<u16>> {
    // A test that panicked while holding it left the set whole.
    HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner())
}

/// A free loopback port for both UDP and TCP (SIP listens on both), never handed out before in
/// this process.
pub fn free_port() -> u16 {
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("loopback TCP bind");
        let port = tcp.local_addr().expect("bound").port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() && handed_out().insert(port) {
            return port;
        }
    }
}

/// A base port for SIPp's `-mp`: SIPp binds four UDP ports from it (audio RTP and RTCP, video
/// RTP and RTCP), so all four must be free, not just the first.
pub fn free_media_port() -> u16 {
    loop {
        let base = free_port();
        let rest: Vec<_> = (1..4)
            .filter_map(|k| base.checked_add(k))
            .filter_map(|p| UdpSocket::bind(("127.0.0.1", p)).ok())
            .collect();
        if rest.len() == 3 {
            let mut taken = handed_out();
            if (1..4).all(|k| !taken.contains(&(base + k))) {
                taken.extend((1..4).map(|k| base + k));
                return base;
            }
        }
    }
}

/// Held by a test while it runs `roomgate serve` on its default SIP address (127.0.0.1:5060,
/// UDP and TCP): two such servers cannot both bind it, and the tests of one binary run on
/// parallel threads.
static DEFAULT_SIP_ADDRESS: Mutex<()> = Mutex::new(());

/// Waits until no other test of this binary uses roomgate's default SIP address; it is this
/// test's until the guard drops.
pub fn default_sip_address() -> MutexGuard<'static, ()> {
    // Another test failing while it held the address has still let it go.
    DEFAULT_SIP_ADDRESS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

pub struct Roomgate {
    child: Option<Child>,
    pub sip_port: u16,
    /// The RTP port range it was started with (`--rtp-ports`), inclusive.
    pub rtp_ports: (u16, u16),
    pub http: SocketAddr,
    pub dir: PathBuf,
    pub log: PathBuf,
}

impl Roomgate {
    /// Starts `roomgate serve` on fresh loopback ports, waiting until its API answers.
    pub fn start(extra: &[&str]) -> Roomgate {
        let dir = scratch_dir("roomgate");
        Self::start_in(dir, extra)
    }

    /// Starts on an existing scratch directory (same database), e.g. after a restart.
    pub fn start_in(dir: PathBuf, extra: &[&str]) -> Roomgate {
        let sip_port = free_port();
        let http_port = free_port();
        let log = dir.join(format!("roomgate-{sip_port}.log"));
        let rtp_ports = rtp_range(sip_port);
        let logfile = std::fs::File::create(&log).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_roomgate"))
            .arg("serve")
            .args(["--sip-listen", &format!("udp:127.0.0.1:{sip_port}")])
            .args(["--sip-listen", &format!("tcp:127.0.0.1:{sip_port}")])
            .args(["--http-listen", &format!("127.0.0.1:{http_port}")])
            .args(["--rtp-ports", &format!("{}-{}", rtp_ports.0, rtp_ports.1)])
            .args([
                "--db",
                dir.join("roomgate.db").to_str().expect("utf-8 path"),
            ])
            .args(["--api-token", TOKEN])
            .args(extra)
            .env("RUST_LOG", "roomgate=debug,info")
            .stdout(logfile.try_clone().expect("dup"))
            .stderr(logfile)
            .spawn()
            .expect("the roomgate binary starts");
        let rg = Roomgate {
            child: Some(child),
            sip_port,
            rtp_ports,
            http: ([127, 0, 0, 1], http_port).into(),
            dir,
            log,
        };
        rg.wait_ready();
        rg
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok((200, _)) = http(self.http, "GET", "/healthz", None) {
                return;
            }
            sleep(Duration::from_millis(50));
        }
        panic!("roomgate did not come up; log:\n{}", self.log_text());
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn api(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        http(self.http, method, path, body).expect("API reachable")
    }

    /// Sends SIGTERM and waits for the exit status (the graceful shutdown path).
    pub fn stop(mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        terminate(&mut child)
    }
}

impl Drop for Roomgate {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&mut child);
        }
    }
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    child.wait().expect("reaped")
}

/// An RTP port range of 100 for one roomgate (`--rtp-ports`), from 20000 up, picked by `seed`
/// so parallel test processes rarely meet, and never one this process handed out already:
/// the roomgates of parallel tests in one binary never share a range.
pub fn rtp_range(seed: u16) -> (u16, u16) {
    static TAKEN: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());
    let mut taken = TAKEN.lock().unwrap_or_else(|e| e.into_inner());
    assert!(
        taken.len() < 400,
        "every RTP range of this test binary is in use"
    );
    let mut slot = u32::from(seed) % 400;
    while !taken.insert(slot) {
        slot = (slot + 1) % 400;
    }
    let base = 20000 + slot as u16 * 100;
    (base, base + 99)
}

pub fn scratch_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{tag}-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A minimal HTTP/1.1 client: enough for the API, with no extra dependency in sync tests.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = match text.split_once("\r\n\r\n") {
        Some((head, rest))
            if head
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked") =>
        {
            dechunk(rest)
        }
        Some((_, rest)) => rest.to_string(),
        None => String::new(),
    };
    Ok((status, body))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Runs one SIPp scenario from fixtures/sipp against roomgate and returns its output.
/// Bounded: one call unless `extra` says otherwise, and a global timeout. A run that could not
/// bind its own ports (another test took one between our check and SIPp's bind) is retried
/// on fresh ports: nothing was sent yet.
pub fn sipp(rg: &Roomgate, scenario: &str, transport: &str, extra: &[&str]) -> Output {
    let scen = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sipp")
        .join(scenario);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let local = free_port();
        let errors = rg.dir.join(format!("{scenario}-{local}.errors"));
        let out = Command::new("sipp")
            .arg("-sf")
            .arg(&scen)
            .arg(format!("127.0.0.1:{}", rg.sip_port))
            .args(["-i", "127.0.0.1", "-p", &local.to_string()])
            .args(["-mp", &free_media_port().to_string()])
            .args(["-t", transport, "-s", "1000", "-m", "1", "-d", "500"])
            .args(["-timeout", "60s", "-timeout_error", "-nostdin"])
            .args(["-trace_err", "-error_file"])
            .arg(&errors)
            .args(extra)
            .stdin(Stdio::null())
            .output()
            .expect("sipp runs (apt-get install sip-tester)");
        let bind_failed = !out.status.success()
            && std::fs::read_to_string(&errors).is_ok_and(|e| e.contains("Unable to bind"));
        if !bind_failed || attempt == 3 {
            return out;
        }
        let _ = std::fs::remove_file(&errors);
    }
}

/// Asserts that a SIPp run completed its calls without failure, showing why if not.
pub fn assert_sipp_ok(rg: &Roomgate, out: &Output, what: &str) {
    if !out.status.success() {
        let errs = std::fs::read_dir(&rg.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "errors"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        panic!(
            "{what}: sipp exited {:?}\n--- sipp stdout\n{}\n--- sipp errors\n{}\n--- roomgate log\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            errs,
            rg.log_text()
        );
    }
}

/// Path of a SIPp scenario in fixtures/sipp.
pub fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sipp")
        .join(name)
}

/// Starts one SIPp scenario in the background (for tests that act on the call while it runs,
/// e.g. end the meeting through the API); wait with [`wait_sipp`].
pub fn sipp_spawn(rg: &Roomgate, scenario_name: &str, transport: &str, extra: &[&str]) -> Child {
    let local = free_port();
    let media = free_media_port();
    Command::new("sipp")
        .arg("-sf")
        .arg(scenario(scenario_name))
        .arg(format!("127.0.0.1:{}", rg.sip_port))
        .args(["-i", "127.0.0.1", "-p", &local.to_string()])
        .args(["-mp", &media.to_string()])
        .args(["-t", transport, "-s", "1000", "-m", "1", "-d", "500"])
        .args(["-timeout", "60s", "-timeout_error", "-nostdin"])
        .args(["-trace_err", "-error_file"])
        .arg(rg.dir.join(format!("{scenario_name}-{local}.errors")))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sipp runs (apt-get install sip-tester)")
}

/// Waits for a background SIPp run (bounded by its own `-timeout`).
pub fn wait_sipp(child: Child) -> Output {
    child.wait_with_output().expect("sipp reaped")
}

/// Asserts that a SIPp run failed (the scenario saw something other than what it expects):
/// used to show a scenario can fail.
pub fn assert_sipp_failed(out: &Output, what: &str) {
    assert!(
        !out.status.success(),
        "{what}: sipp succeeded but should have failed\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The participants of a meeting as the API lists them (JSON array).
pub fn participants(rg: &Roomgate, meeting: &str) -> Vec<serde_json::Value> {
    let (status, body) = rg.api(
        "GET",
        &format!("/api/v1/meetings/{meeting}/participants"),
        None,
    );
    assert_eq!(status, 200, "participants of {meeting}: {body}");
    serde_json::from_str(&body).expect("participants JSON array")
}

/// Polls until `cond` holds, at most `limit`; returns whether it did. Not a timing assertion:
/// the limit only bounds a test that would otherwise hang.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        sleep(Duration::from_millis(50));
    }
    cond()
}

/// Resident memory of a process in KiB (Linux /proc), if it is still running.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

impl Roomgate {
    /// The process id (for memory and liveness checks).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Whether the process is still running (it has not crashed).
    pub fn alive(&mut self) -> bool {
        matches!(self.child.as_mut().expect("running").try_wait(), Ok(None))
    }

    pub fn sip_udp(&self) -> SocketAddr {
        ([127, 0, 0, 1], self.sip_port).into()
    }
}

impl Roomgate {
    /// Starts with a TOML config file (e.g. `[sip]` limits) beside the usual flags.
    pub fn start_with_config(toml: &str, extra: &[&str]) -> Roomgate {
        let dir = scratch_dir("roomgate");
        let path = dir.join("roomgate.toml");
        std::fs::write(&path, toml).expect("config file");
        let mut args = vec!["--config", path.to_str().expect("utf-8 path")];
        args.extend_from_slice(extra);
        Self::start_in(dir.clone(), &args)
    }
}

/// A SIPp UAS on `127.0.0.1:port` playing a room system that roomgate dials: SIPp's built-in
/// `uas` or a scenario from fixtures/sipp; one call, then it exits (0 if the call went to plan).
pub fn sipp_uas(scenario: Option<&str>, port: u16, dir: &std::path::Path) -> Child {
    let mut cmd = Command::new("sipp");
    match scenario {
        Some(s) => cmd.arg("-sf").arg(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/sipp")
                .join(s),
        ),
        None => cmd.args(["-sn", "uas"]),
    };
    cmd.args(["-i", "127.0.0.1", "-p", &port.to_string(), "-m", "1"])
        .args(["-timeout", "30s", "-timeout_error", "-nostdin"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sipp runs (apt-get install sip-tester)")
}

/// Waits (at most 40 s) for a peer process to exit.
pub fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s;
        }
        assert!(Instant::now() < deadline, "sipp did not finish");
        sleep(Duration::from_millis(50));
    }
}
