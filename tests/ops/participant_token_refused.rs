//! Call legs and call records name callers and their addresses: the participant-level token,
//! which may read meetings, is refused (403) on them, while the host token is served.

use crate::support;

use std::io::{Read, Write};
use std::net::TcpStream;

use support::Roomgate;

const PARTICIPANT: &str = "participant-token-0123456789";

fn status_with(rg: &Roomgate, token: &str, path: &str) -> u16 {
    let mut s = TcpStream::connect(rg.http).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn participants_cannot_read_legs_or_records() {
    let rg = Roomgate::start(&["--api-participant-token", PARTICIPANT]);
    // The participant token does read meetings: the refusal below is about operators' data.
    assert_eq!(status_with(&rg, PARTICIPANT, "/api/v1/meetings"), 200);
    for path in [
        "/api/v1/legs",
        "/api/v1/legs/1",
        "/api/v1/cdrs",
        "/api/v1/legs/events",
    ] {
        assert_eq!(status_with(&rg, PARTICIPANT, path), 403, "{path}");
    }
    assert_eq!(status_with(&rg, support::TOKEN, "/api/v1/legs"), 200);
    assert_eq!(status_with(&rg, support::TOKEN, "/api/v1/cdrs"), 200);
}
