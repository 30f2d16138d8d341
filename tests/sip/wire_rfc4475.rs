//! RFC 4475 over the wire: every torture message of fixtures/sip/rfc4475 is sent to a running
//! `roomgate serve`, over UDP and over TCP, and roomgate must do what the RFC says an element
//! should (manifest: fixtures/sip/rfc4475/expect.toml):
//! - valid requests get a final response, and not a 400 (they are well-formed);
//! - invalid requests get 400 or the specific status (505, 416, 420, 415, …);
//! - responses (bigcode, scalarlg, bcast) are dropped: nothing comes back;
//!
//! Afterwards roomgate still runs and a normal SIPp call still works.
//!
//! Responses are routed per RFC 3261 §18.2.2 to the Via's sent-by port on the `received`
//! address, so the UDP sender binds the Via ports (5060, 5050, 5070) on a loopback address of
//! its own (127.0.0.177): no torture message names it, so roomgate always stamps `received` and
//! answers there. Over TCP the answer comes back on the connection.
//!
//! Stream framing differs from datagrams: a message whose Content-Length is missing, negative,
//! doubled or longer than the body (clerr, ncl, mcl01) cannot be delimited on TCP (§18.3), so
//! closing the connection (or waiting for more bytes) is the right answer there.

use crate::support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::{assert_sipp_ok, sipp, Roomgate};

const UDP_SOURCE: [u8; 4] = [127, 0, 0, 177];
const TCP_SOURCE: [u8; 4] = [127, 0, 0, 178];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sip/rfc4475")
}

struct Case {
    name: String,
    raw: Vec<u8>,
    action: String,
    status: Option<u16>,
    parse: String,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(fixtures().join("expect.toml")).expect("manifest");
    let manifest: toml::Table = toml::from_str(&text).expect("manifest is TOML");
    assert_eq!(manifest.len(), 49, "RFC 4475 has 49 messages");
    manifest
        .iter()
        .map(|(name, e)| Case {
            name: name.clone(),
            raw: std::fs::read(fixtures().join(format!("{name}.sip")))
                .unwrap_or_else(|err| panic!("{name}.sip: {err}")),
            action: e["action"].as_str().expect("action").to_string(),
            status: e
                .get("status")
                .and_then(|s| s.as_integer())
                .map(|s| s as u16),
            parse: e["parse"].as_str().expect("parse").to_string(),
        })
        .collect()
}

/// The Call-ID of a message, read textually (the torture messages may not parse).
fn call_id(msg: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(msg);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        let name = name.trim().to_ascii_lowercase();
        (name == "call-id" || name == "i").then(|| value.trim().to_string())
    })
}

/// The status code of a response's start line.
fn status_of(msg: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(msg);
    let line = text.lines().next()?;
    let rest = line.strip_prefix("SIP/2.0 ")?;
    rest.get(..3)?.parse().ok()
}

/// What roomgate did with one message.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// The first final response's status.
    Final(u16),
    /// Nothing came back within the wait.
    Nothing,
    /// TCP only: the connection was closed without a final response.
    Closed,
}

fn judge(case: &Case, got: &Outcome, transport: &str) -> Result<(), String> {
    let tcp = transport == "tcp";
    let response = case.raw.starts_with(b"SIP/2.0 ");
    let mut ok = match case.action.as_str() {
        "drop" => *got == Outcome::Nothing || (tcp && *got == Outcome::Closed),
        "answer" => matches!((got, case.status), (Outcome::Final(s), Some(want)) if *s == want),
        // A valid response with no transaction to match is dropped (RFC 3261 §18.1.2).
        "process" if response => *got == Outcome::Nothing,
        // Well-formed requests: answered, and not as malformed.
        "process" => matches!(got, Outcome::Final(s) if *s != 400 && *s < 500),
        other => panic!("{}: unknown action {other}", case.name),
    };
    // Stream framing cannot survive a missing, negative, doubled or overlong Content-Length
    // (RFC 3261 §18.3): closing the connection, or waiting for bytes that never come, is right.
    if tcp && stream_unframeable(case) {
        ok |= matches!(got, Outcome::Closed | Outcome::Nothing);
    }
    // Where the RFCs allow another answer than the manifest's one.
    ok |= match (case.name.as_str(), got) {
        // RFC 3261 §8.2.1 inspects the method first: roomgate is no registrar, so a REGISTER
        // gets 405 before its headers are looked at (§3.3.4, §3.3.13, §3.3.14, regaut01).
        (_, Outcome::Final(405)) if case.raw.starts_with(b"REGISTER ") => true,
        // §8.2.2.1 checks the Request-URI (404: no such meeting) before the body (§8.2.3), so
        // 404 precedes the 415 (invut) and 406 (sdp01) a UAS serving that user would send.
        ("invut" | "sdp01", Outcome::Final(404)) => true,
        // RFC 4475 §3.4.1: accepting RFC 2543 syntax is for elements "that want to maintain
        // backwards compatibility"; with no Contact (RFC 3261 §8.1.1.8) roomgate refuses it.
        ("inv2543", Outcome::Final(400)) => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{} over {transport}: expected {} {:?}, got {got:?}",
            case.name, case.action, case.status
        ))
    }
}

/// Messages whose length a stream cannot determine (Content-Length missing, negative, doubled,
/// or longer than what follows; a head without its empty line).
fn stream_unframeable(case: &Case) -> bool {
    ["BodyTooShort", "ConflictingContentLength", "Malformed(\"Content-Length\")"]
        .iter()
        .any(|p| case.parse.contains(p))
        || case.name == "inv2543" // no Content-Length at all (RFC 3261 §20.14)
        // Its head never ends (no empty line): complete as a datagram, unfinished on a stream.
        || !case.raw.windows(4).any(|w| w == b"\r\n\r\n")
}

/// How long to wait for an answer (bounding the test, not timing roomgate).
fn wait_for(case: &Case) -> Duration {
    if case.action == "drop" {
        Duration::from_millis(700)
    } else {
        Duration::from_secs(5)
    }
}

struct UdpProbe {
    socks: BTreeMap<u16, UdpSocket>,
}

impl UdpProbe {
    fn new() -> UdpProbe {
        let socks = [5060u16, 5050, 5070]
            .into_iter()
            .map(|port| {
                let s = UdpSocket::bind(SocketAddr::from((UDP_SOURCE, port)))
                    .unwrap_or_else(|e| panic!("bind 127.0.0.177:{port}: {e}"));
                s.set_nonblocking(true).expect("non-blocking");
                (port, s)
            })
            .collect();
        UdpProbe { socks }
    }

    fn exchange(&self, rg: &Roomgate, case: &Case) -> Outcome {
        let to = rg.sip_udp();
        // Send from the Via's port where there is one, so `rport` cases also come back.
        let from = self
            .socks
            .iter()
            .find(|(p, _)| via_port(&case.raw) == **p)
            .map(|(_, s)| s)
            .unwrap_or(&self.socks[&5060]);
        from.send_to(&case.raw, to).expect("send datagram");
        let want_id = call_id(&case.raw);
        let deadline = Instant::now() + wait_for(case);
        let mut buf = vec![0u8; 65_536];
        while Instant::now() < deadline {
            for s in self.socks.values() {
                while let Ok((n, _)) = s.recv_from(&mut buf) {
                    let msg = &buf[..n];
                    if want_id.is_some() && call_id(msg) != want_id {
                        continue; // a late retransmission answering an earlier case
                    }
                    if let Some(code) = status_of(msg) {
                        if code >= 200 {
                            return Outcome::Final(code);
                        }
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Outcome::Nothing
    }
}

/// The sent-by port of the first Via (5060 when none is given), read textually.
fn via_port(raw: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    let Some(line) = head.split("\r\n").find(|l| {
        let n = l
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        n == "via" || n == "v"
    }) else {
        return 5060;
    };
    let value = line.split_once(':').map(|x| x.1).unwrap_or("");
    let sent_by = value
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .split([';', ','])
        .next()
        .unwrap_or("");
    sent_by
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or(5060)
}

fn tcp_exchange(rg: &Roomgate, case: &Case) -> Outcome {
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
        .expect("tcp socket");
    sock.bind(&SocketAddr::from((TCP_SOURCE, 0)).into())
        .expect("bind 127.0.0.178");
    sock.connect(&rg.sip_udp().into()).expect("connect");
    let mut s: TcpStream = sock.into();
    s.write_all(&case.raw).expect("send");
    s.set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    let want_id = call_id(&case.raw);
    let deadline = Instant::now() + wait_for(case);
    let mut got = Vec::new();
    let mut buf = [0u8; 16_384];
    while Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => return final_in(&got, &want_id).unwrap_or(Outcome::Closed),
            Ok(n) => {
                got.extend_from_slice(&buf[..n]);
                if let Some(o) = final_in(&got, &want_id) {
                    return o;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return final_in(&got, &want_id).unwrap_or(Outcome::Closed),
        }
    }
    Outcome::Nothing
}

/// The first final response with the request's Call-ID in a byte stream.
fn final_in(stream: &[u8], want_id: &Option<String>) -> Option<Outcome> {
    let text = String::from_utf8_lossy(stream);
    // Our answers carry Content-Length 0 or a small body; split on start lines.
    text.split("SIP/2.0 ")
        .skip(1)
        .map(|m| format!("SIP/2.0 {m}"))
        .filter(|m| want_id.is_none() || call_id(m.as_bytes()) == *want_id)
        .filter_map(|m| status_of(m.as_bytes()))
        .find(|c| *c >= 200)
        .map(Outcome::Final)
}

fn exchange(rg: &Roomgate, probe: &Option<UdpProbe>, case: &Case) -> Outcome {
    match probe {
        Some(p) => p.exchange(rg, case),
        None => tcp_exchange(rg, case),
    }
}

fn run(transport: &str) {
    let probe = (transport == "udp").then(UdpProbe::new);
    let mut wrong = Vec::new();
    let mut seen = Vec::new();
    // A fresh element per message: several torture messages share a branch and sent-by, and
    // one roomgate would rightly take them for retransmissions of one transaction (§17.2.3).
    for case in cases() {
        let mut rg = Roomgate::start(&[]);
        let got = exchange(&rg, &probe, &case);
        seen.push(format!("{}: {got:?}", case.name));
        if let Err(e) = judge(&case, &got, transport) {
            wrong.push(e);
        }
        assert!(
            rg.alive(),
            "roomgate died on {}:\n{}",
            case.name,
            rg.log_text()
        );
    }
    assert!(
        wrong.is_empty(),
        "RFC 4475 over {transport}:\n{}\n--- all outcomes\n{}",
        wrong.join("\n"),
        seen.join("\n")
    );
    // Then all of them at one element, which must still serve a normal call afterwards.
    let mut rg = Roomgate::start(&[]);
    for case in cases() {
        let _ = exchange(&rg, &probe, &case);
        assert!(
            rg.alive(),
            "roomgate died on {}:\n{}",
            case.name,
            rg.log_text()
        );
    }
    let t = if transport == "udp" { "u1" } else { "t1" };
    let out = sipp(&rg, "basic_call.xml", t, &[]);
    assert_sipp_ok(&rg, &out, "a normal call after the torture messages");
}

#[test]
fn over_udp() {
    run("udp");
}

#[test]
fn over_tcp() {
    run("tcp");
}
