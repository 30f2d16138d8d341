//! Garbage, truncated and oversized UDP datagrams never crash roomgate nor block an established
//! call: while they pour in, and after, an in-dialog OPTIONS on a live call is answered 200, and
//! roomgate's memory stays bounded.

use crate::support;

use std::net::UdpSocket;

use rand::{Rng, SeedableRng};
use support::ua::Call;
use support::{rss_kib, Roomgate};

const INVITE: &str = "INVITE sip:1000@127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-garbage;rport\r\n\
From: <sip:g@127.0.0.1>;tag=1\r\nTo: <sip:1000@127.0.0.1>\r\nCall-ID: garbage@127.0.0.1\r\n\
CSeq: 1 INVITE\r\nContact: <sip:g@127.0.0.1:9>\r\nMax-Forwards: 70\r\n\
Content-Type: application/sdp\r\nContent-Length: 84\r\n\r\n\
v=0\r\no=g 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n";

#[test]
fn garbage_truncated_and_oversized_datagrams() {
    let mut rg = Roomgate::start(&[]);
    let mut call = Call::establish(rg.sip_udp(), "1000").expect("call established");
    let rss_before = rss_kib(rg.pid()).expect("rss");
    let junk = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let to = rg.sip_udp();
    let mut rng = rand::rngs::StdRng::seed_from_u64(4475);

    for round in 0..4 {
        // Random bytes of random lengths.
        for _ in 0..2_000 {
            let n = rng.gen_range(1..1_500);
            let data: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
            let _ = junk.send_to(&data, to);
        }
        // Every prefix of a valid INVITE (a datagram cut short anywhere).
        for cut in 1..INVITE.len() {
            let _ = junk.send_to(&INVITE.as_bytes()[..cut], to);
        }
        // A valid start line with header garbage, random flips in a real INVITE.
        for _ in 0..1_000 {
            let mut m = INVITE.as_bytes().to_vec();
            for _ in 0..rng.gen_range(1..8) {
                let i = rng.gen_range(0..m.len());
                m[i] = rng.gen();
            }
            let _ = junk.send_to(&m, to);
        }
        // Oversized: the largest datagrams UDP carries, a huge header and a huge body.
        let mut big = INVITE.replace("Max-Forwards: 70\r\n", "");
        big.insert_str(
            big.find("\r\n").unwrap() + 2,
            &format!("X-Pad: {}\r\n", "a".repeat(60_000)),
        );
        let _ = junk.send_to(big.as_bytes(), to);
        let body_bomb = format!(
            "{}{}",
            INVITE.replace("Content-Length: 84", "Content-Length: 64000"),
            "b".repeat(64_000 - 84)
        );
        let _ = junk.send_to(body_bomb.as_bytes(), to);
        let _ = junk.send_to(&vec![0u8; 65_000], to);

        assert!(
            rg.alive(),
            "roomgate died in round {round}:\n{}",
            rg.log_text()
        );
        let status = call.options().expect("in-dialog OPTIONS answered");
        assert_eq!(
            status, 200,
            "in-dialog OPTIONS during garbage round {round}"
        );
    }

    assert_eq!(call.reinvite().expect("re-INVITE answered"), 200);
    let rss_after = rss_kib(rg.pid()).expect("rss");
    // Nothing the junk carried may be kept: allow allocator noise, not growth with input.
    assert!(
        rss_after < rss_before + 32 * 1024,
        "RSS grew from {rss_before} KiB to {rss_after} KiB"
    );
    assert_eq!(call.bye().expect("BYE answered"), 200);
    assert!(rg.alive());
}
