//! RFC 3261 §8.2.3 and §21.4.7 over the wire: an INVITE to a real meeting whose body roomgate
//! cannot read (an unknown Content-Type, an unknown Content-Encoding) gets 415 with Accept
//! (and Accept-Encoding); one whose Accept excludes the SDP answer gets 406. Modelled on
//! RFC 4475 §3.3.7 (invut) and §3.3.16 (sdp01), sent to meeting 1000 so the body is what
//! decides.

use crate::support;

use std::net::UdpSocket;
use std::time::{Duration, Instant};
use support::ua::{header, status};
use support::Roomgate;

const SDP: &str = "v=0\r\no=room 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                   m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

/// Sends one INVITE with `extra` header lines and `body`; returns its final response.
fn final_response(rg: &Roomgate, tag: &str, extra: &str, body: &str) -> String {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let local = sock.local_addr().unwrap();
    let gw = rg.sip_udp();
    let invite = format!(
        "INVITE sip:1000@{gw} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK-{tag}\r\n\
         From: <sip:room@{local}>;tag={tag}\r\nTo: <sip:1000@{gw}>\r\nCall-ID: {tag}@127.0.0.1\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:room@{local}>\r\nMax-Forwards: 70\r\n{extra}\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    sock.send_to(invite.as_bytes(), gw).unwrap();
    let mut buf = vec![0u8; 65536];
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "{tag}: no final response");
        let Ok((n, _)) = sock.recv_from(&mut buf) else {
            continue;
        };
        let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
        if status(&msg).is_some_and(|s| s >= 200) {
            return msg;
        }
    }
}

#[test]
fn unreadable_bodies_get_415_and_unacceptable_answers_406() {
    let rg = Roomgate::start(&[]);

    let r = final_response(
        &rg,
        "invut",
        "Content-Type: application/unknownformat\r\n",
        "<audio> <pcmu port=\"443\"/> </audio>\r\n",
    );
    assert_eq!(status(&r), Some(415), "{r}");
    assert_eq!(header(&r, "Accept", "").as_deref(), Some("application/sdp"));

    let r = final_response(
        &rg,
        "gzip",
        "Content-Type: application/sdp\r\nContent-Encoding: gzip\r\n",
        SDP,
    );
    assert_eq!(status(&r), Some(415), "{r}");
    assert_eq!(
        header(&r, "Accept-Encoding", "").as_deref(),
        Some("identity")
    );

    let r = final_response(
        &rg,
        "sdp01",
        "Accept: text/nobodyKnowsThis\r\nContent-Type: application/sdp\r\n",
        SDP,
    );
    assert_eq!(status(&r), Some(406), "{r}");

    // Wildcards and parameters still allow the answer.
    let r = final_response(
        &rg,
        "wild",
        "Accept: text/plain, application/*;q=0.5\r\nContent-Type: application/sdp\r\n",
        SDP,
    );
    assert_eq!(status(&r), Some(200), "{r}");
}
