//! Memory held per established signalling-only call (issue 2 asks for ≤ 16 KiB): 2,000 room
//! systems call in with a realistic INVITE and SDP, are answered and ACK; once every INVITE
//! transaction has ended (64*T1 later) the live heap is measured with a counting allocator.
//! This measures bytes, not time.

use crate::counting_alloc;

use bytes::Bytes;
use rand::rngs::SmallRng;
use rand::SeedableRng;
use roomgate::sip::codec;
use roomgate::sip::message::{HeaderName, StatusCode};
use roomgate::sip::transaction::{Peer, Transport};
use roomgate::sip::ua::{Reply, UaConfig, UaEvent, UserAgent};
use std::time::{Duration, Instant};

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=Room\r\nc=IN IP4 127.0.0.2\r\nb=AS:2048\r\nt=0 0\r\nm=audio 40000 RTP/AVP 9 0 8 101\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\nm=video 40002 RTP/AVP 96\r\nb=TIAS:2000000\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 profile-level-id=42801f;packetization-mode=1\r\na=content:main\r\na=sendrecv\r\n";

fn invite(i: u32, port: u16) -> Bytes {
    Bytes::from(format!(
        "INVITE sip:1000@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.2:{port};branch=z9hG4bK{i:08x};rport\r\n\
         Max-Forwards: 70\r\n\
         From: \"Room {i}\" <sip:room{i}@127.0.0.2>;tag={i:x}a\r\n\
         To: <sip:1000@127.0.0.1>\r\n\
         Call-ID: {i:x}-call@127.0.0.2\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:room{i}@127.0.0.2:{port}>\r\n\
         Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE\r\n\
         Supported: timer\r\n\
         Session-Expires: 1800\r\n\
         User-Agent: RoomSystem/9.1\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{SDP}",
        SDP.len()
    ))
}

fn ack(i: u32, port: u16, to: &Bytes) -> Bytes {
    Bytes::from(format!(
        "ACK sip:roomgate@127.0.0.1:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.2:{port};branch=z9hG4bK{i:08x}ack;rport\r\n\
         Max-Forwards: 70\r\n\
         From: \"Room {i}\" <sip:room{i}@127.0.0.2>;tag={i:x}a\r\n\
         To: {}\r\n\
         Call-ID: {i:x}-call@127.0.0.2\r\n\
         CSeq: 1 ACK\r\n\
         Content-Length: 0\r\n\r\n",
        String::from_utf8_lossy(to)
    ))
}

#[test]
fn memory_per_established_call() {
    const CALLS: u32 = 2000;
    let mut ua = UserAgent::new(UaConfig::default(), SmallRng::seed_from_u64(1));
    let mut now = Instant::now();
    let before = counting_alloc::live();
    for i in 0..CALLS {
        let port = 10_000 + (i % 50_000) as u16;
        let src = Peer::new(Transport::Udp, format!("127.0.0.2:{port}").parse().unwrap());
        let msg = codec::parse(invite(i, port)).unwrap();
        ua.handle_message(now, msg, src).unwrap();
        let call = match ua.poll_event() {
            Some(UaEvent::IncomingCall { call, .. }) => call,
            e => panic!("{e:?}"),
        };
        ua.answer(
            now,
            call,
            Reply::sdp(StatusCode::OK, SDP.as_bytes().to_vec()),
        )
        .unwrap();
        let ok = ua.poll_transmit().unwrap();
        let ok = codec::parse(ok.payload).unwrap();
        let to = ok.headers().get(&HeaderName::To).unwrap().clone();
        let msg = codec::parse(ack(i, port, &to)).unwrap();
        ua.handle_message(now, msg, src).unwrap();
        assert!(matches!(ua.poll_event(), Some(UaEvent::Confirmed { .. })));
        while ua.poll_transmit().is_some() {}
    }
    // Let the Accepted-state INVITE transactions run out (timer L = 64*T1).
    now += Duration::from_secs(33);
    ua.handle_timeout(now);
    while ua.poll_transmit().is_some() {}
    while ua.poll_event().is_some() {}
    assert!(ua.transactions().is_empty());
    assert_eq!(ua.call_count(), CALLS as usize);
    let per_call = (counting_alloc::live() - before) / CALLS as isize;
    println!("live heap per established call: {per_call} bytes ({CALLS} calls)");
    assert!(per_call <= 16 * 1024, "{per_call} bytes per call");
}
