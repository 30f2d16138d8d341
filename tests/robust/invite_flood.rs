//! A bounded INVITE flood (2,000 INVITEs in one burst, half to the demo meeting, half to a
//! meeting that does not exist, none ever ACKed) neither crashes roomgate nor starves an
//! established call: in-dialog OPTIONS during and after the flood, and a re-INVITE after it,
//! are answered 200; memory stays bounded.

use crate::support;

use std::net::UdpSocket;
use std::time::Duration;

use support::ua::Call;
use support::{rss_kib, Roomgate};

const FLOOD: usize = 2_000;

fn invite(i: usize, meeting: &str, port: u16) -> String {
    let body = "v=0\r\no=f 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n";
    format!(
        "INVITE sip:{meeting}@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-flood-{i};rport\r\n\
         From: <sip:flood@127.0.0.1>;tag=f{i}\r\nTo: <sip:{meeting}@127.0.0.1>\r\n\
         Call-ID: flood-{i}@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:flood@127.0.0.1:{port}>\r\n\
         Max-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn invite_flood_does_not_starve_an_established_call() {
    let mut rg = Roomgate::start(&[]);
    let mut call = Call::establish(rg.sip_udp(), "1000").expect("call established");
    let rss_before = rss_kib(rg.pid()).expect("rss");

    let flood = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = flood.local_addr().unwrap().port();
    let to = rg.sip_udp();
    for i in 0..FLOOD {
        let meeting = if i % 2 == 0 { "1000" } else { "9999" };
        let _ = flood.send_to(invite(i, meeting, port).as_bytes(), to);
        if i % 500 == 499 {
            // Probe the established call in the middle of the burst.
            assert_eq!(call.options().expect("OPTIONS answered during flood"), 200);
        }
    }
    assert_eq!(call.options().expect("OPTIONS answered after flood"), 200);
    assert_eq!(
        call.reinvite().expect("re-INVITE answered after flood"),
        200
    );
    assert!(rg.alive(), "roomgate died:\n{}", rg.log_text());

    // roomgate answered the flood: count the final responses that came back (bounded read).
    flood
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut buf = vec![0u8; 65_536];
    let mut answered = 0;
    while let Ok((n, _)) = flood.recv_from(&mut buf) {
        let m = String::from_utf8_lossy(&buf[..n]);
        if m.starts_with("SIP/2.0 200")
            || m.starts_with("SIP/2.0 404")
            || m.starts_with("SIP/2.0 4")
        {
            answered += 1;
        }
        if answered > 100 {
            break;
        }
    }
    assert!(answered > 0, "roomgate answered none of the flood");

    let rss_after = rss_kib(rg.pid()).expect("rss");
    // 2,000 half-open calls may cost a few KiB each; never the whole machine.
    assert!(
        rss_after < rss_before + 128 * 1024,
        "RSS grew from {rss_before} KiB to {rss_after} KiB"
    );
    assert_eq!(call.bye().expect("BYE answered"), 200);
    assert!(rg.alive());
}
