//! RTP and RTCP on one port (RFC 5761): a room system that offers `a=rtcp-mux` gets it in the
//! answer; the receiver report it sends on its RTP socket reaches roomgate's RTP port and shows
//! up as the peer's view of the leg, and roomgate's own RTCP comes back from that same port.

use crate::support;

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};
use support::ua::header;
use support::{wait_until, Roomgate};

/// A compound RTCP packet (RFC 3550 §6.1): RR with one report block about `media_ssrc`, then
/// SDES with a CNAME.
fn receiver_report(ssrc: u32, media_ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x81, 201, 0, 7];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&media_ssrc.to_be_bytes());
    // fraction lost 64/256 = 25 %, cumulative lost 7.
    p.extend_from_slice(&[64, 0, 0, 7]);
    p.extend_from_slice(&1000u32.to_be_bytes()); // extended highest sequence number
    p.extend_from_slice(&80u32.to_be_bytes()); // interarrival jitter
    p.extend_from_slice(&[0; 8]); // LSR, DLSR
    let cname = b"room@127.0.0.1";
    let mut chunk = ssrc.to_be_bytes().to_vec();
    chunk.extend_from_slice(&[1, cname.len() as u8]);
    chunk.extend_from_slice(cname);
    chunk.push(0);
    while chunk.len() % 4 != 0 {
        chunk.push(0);
    }
    let words = (chunk.len() / 4) as u16;
    p.extend_from_slice(&[0x81, 202]);
    p.extend_from_slice(&words.to_be_bytes());
    p.extend_from_slice(&chunk);
    p
}

#[test]
fn rtcp_rides_on_the_rtp_port_both_ways() {
    let rg = Roomgate::start(&[]);
    let gw: SocketAddr = ([127, 0, 0, 1], rg.sip_port).into();
    let sip = UdpSocket::bind("127.0.0.1:0").unwrap();
    sip.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let rtp = UdpSocket::bind("127.0.0.1:0").unwrap();
    rtp.set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let local = sip.local_addr().unwrap();
    let port = rtp.local_addr().unwrap().port();
    let sdp = format!(
        "v=0\r\no=room 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=rtcp-mux\r\na=sendrecv\r\n"
    );
    let invite = format!(
        "INVITE sip:1000@{gw} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK-mux-1;rport\r\n\
         From: \"Mux\" <sip:mux@{local}>;tag=mux1\r\nTo: <sip:1000@{gw}>\r\n\
         Call-ID: mux-{port}@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:mux@{local}>\r\n\
         Max-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    sip.send_to(invite.as_bytes(), gw).unwrap();
    let mut buf = vec![0u8; 65536];
    let deadline = Instant::now() + Duration::from_secs(10);
    let answer = loop {
        assert!(Instant::now() < deadline, "no 200 OK");
        let Ok((n, _)) = sip.recv_from(&mut buf) else {
            continue;
        };
        let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
        if msg.starts_with("SIP/2.0 200") {
            break msg;
        }
    };
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    assert!(
        body.contains("a=rtcp-mux"),
        "no rtcp-mux in the answer:\n{body}"
    );
    let their_port: u16 = body
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|l| l.split(' ').next())
        .and_then(|p| p.parse().ok())
        .expect("m=audio port");
    let to = header(&answer, "To", "t").expect("To");
    let ack = format!(
        "ACK sip:1000@{gw} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK-mux-2;rport\r\n\
         From: \"Mux\" <sip:mux@{local}>;tag=mux1\r\nTo: {to}\r\nCall-ID: mux-{port}@127.0.0.1\r\n\
         CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    sip.send_to(ack.as_bytes(), gw).unwrap();

    // Send RTP (µ-law silence) and, once roomgate's SSRC is known, an RR about its stream.
    let media: SocketAddr = ([127, 0, 0, 1], their_port).into();
    let mut their_ssrc = None;
    let mut rtcp_from_rtp_port = false;
    let mut reports_sent = 0;
    let mut next = Instant::now();
    let mut seq: u16 = 0;
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline && !(rtcp_from_rtp_port && reports_sent >= 2) {
        if Instant::now() >= next {
            let mut pkt = vec![0x80, 0];
            pkt.extend_from_slice(&seq.to_be_bytes());
            pkt.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
            pkt.extend_from_slice(&0x0102_0304u32.to_be_bytes());
            pkt.extend(std::iter::repeat_n(0xff, 160));
            rtp.send_to(&pkt, media).unwrap();
            if let Some(s) = their_ssrc {
                if seq % 25 == 0 {
                    rtp.send_to(&receiver_report(0x0102_0304, s), media)
                        .unwrap();
                    reports_sent += 1;
                }
            }
            seq = seq.wrapping_add(1);
            next += Duration::from_millis(20);
        }
        let Ok((n, from)) = rtp.recv_from(&mut buf) else {
            continue;
        };
        assert_eq!(from, media, "media from another port than the answer's");
        if n >= 12 && (200..=204).contains(&buf[1]) {
            rtcp_from_rtp_port = true;
        } else if n >= 12 {
            their_ssrc = Some(u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]));
        }
    }
    assert!(their_ssrc.is_some(), "no RTP from roomgate");
    assert!(
        rtcp_from_rtp_port,
        "no RTCP from roomgate's RTP port; log:\n{}",
        rg.log_text()
    );

    // Our report, received on the RTP port, is the leg's peer view.
    let seen = wait_until(Duration::from_secs(10), || {
        let (_, text) = rg.api("GET", "/api/v1/legs", None);
        let legs: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        legs.as_array().into_iter().flatten().any(|l| {
            l["stats"]["peer"]["cumulative_lost"] == 7
                && l["stats"]["peer"]["fraction_lost"].as_f64() == Some(0.25)
        })
    });
    let (_, legs) = rg.api("GET", "/api/v1/legs", None);
    assert!(
        seen,
        "the RR sent on the RTP port never reached the leg:\n{legs}"
    );
}
