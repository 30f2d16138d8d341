//! Calls through the UA core per second: one iteration is a whole signalling-only call as a
//! room system places it — INVITE in, 200 out, ACK in, BYE in, 200 out — through the
//! transaction layer, the dialog and the UA core, with the clock stepped so earlier calls'
//! transactions expire (steady state). The baseline in the same run is the codec alone on
//! the same messages (parse INVITE, ACK, BYE; print the two responses), so the ratio is what
//! the transaction and dialog layers add on top of parsing.
//!
//! Ids: `sip_ua/call/roomgate` and `sip_ua/call/codec_only`.
//! `cargo bench --bench sip_ua -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::Criterion;
use rand::rngs::SmallRng;
use rand::SeedableRng;
use roomgate::sip::codec;
use roomgate::sip::message::{HeaderName, Message, StatusCode};
use roomgate::sip::transaction::{Peer, Transport};
use roomgate::sip::ua::{Reply, UaConfig, UaEvent, UserAgent};

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=Room\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 40000 RTP/AVP 9 0 8 101\r\na=rtpmap:9 G722/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\nm=video 40002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 profile-level-id=42801f;packetization-mode=1\r\n";

fn invite(i: u64) -> Bytes {
    Bytes::from(format!(
        "INVITE sip:1000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK{i:x}i;rport\r\nMax-Forwards: 70\r\nFrom: \"Room\" <sip:room@127.0.0.2>;tag={i:x}f\r\nTo: <sip:1000@127.0.0.1>\r\nCall-ID: {i:x}@127.0.0.2\r\nCSeq: 1 INVITE\r\nContact: <sip:room@127.0.0.2:5062>\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE\r\nSupported: timer\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{SDP}",
        SDP.len()
    ))
}

fn in_dialog(i: u64, method: &str, seq: u32, to: &str) -> Bytes {
    Bytes::from(format!(
        "{method} sip:roomgate@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK{i:x}{method};rport\r\nMax-Forwards: 70\r\nFrom: \"Room\" <sip:room@127.0.0.2>;tag={i:x}f\r\nTo: {to}\r\nCall-ID: {i:x}@127.0.0.2\r\nCSeq: {seq} {method}\r\nContent-Length: 0\r\n\r\n"
    ))
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let src = Peer::new(Transport::Udp, "127.0.0.2:5062".parse().unwrap());
    let mut group = c.benchmark_group("sip_ua/call");

    let mut ua = UserAgent::new(UaConfig::default(), SmallRng::seed_from_u64(1));
    let mut now = Instant::now();
    let mut i = 0u64;
    group.bench_function("roomgate", |b| {
        b.iter(|| {
            i += 1;
            // 40 s per call: the previous call's timers J and L have run out.
            now += Duration::from_secs(40);
            ua.handle_timeout(now);
            ua.handle_message(now, codec::parse(invite(i)).unwrap(), src)
                .unwrap();
            let Some(UaEvent::IncomingCall { call, .. }) = ua.poll_event() else {
                panic!("no call")
            };
            ua.answer(
                now,
                call,
                Reply::sdp(StatusCode::OK, SDP.as_bytes().to_vec()),
            )
            .unwrap();
            let ok = ua.poll_transmit().unwrap();
            let ok = codec::parse(ok.payload).unwrap();
            let to =
                String::from_utf8_lossy(ok.headers().get(&HeaderName::To).unwrap()).into_owned();
            ua.handle_message(now, codec::parse(in_dialog(i, "ACK", 1, &to)).unwrap(), src)
                .unwrap();
            ua.handle_message(now, codec::parse(in_dialog(i, "BYE", 2, &to)).unwrap(), src)
                .unwrap();
            while let Some(e) = ua.poll_event() {
                black_box(e);
            }
            while let Some(t) = ua.poll_transmit() {
                black_box(t);
            }
        })
    });

    // Baseline: the same datagrams built the same way, parsed, and two responses printed.
    let mut j = 0u64;
    group.bench_function("codec_only", |b| {
        b.iter(|| {
            j += 1;
            let inv = codec::parse(invite(j)).unwrap();
            let Message::Request(inv) = inv else {
                unreachable!()
            };
            let ok = roomgate::sip::message::Response::from_request(&inv, StatusCode::OK)
                .with_to_tag("0123456789abcdef")
                .unwrap();
            let ok = codec::parse(ok.to_bytes()).unwrap();
            let to =
                String::from_utf8_lossy(ok.headers().get(&HeaderName::To).unwrap()).into_owned();
            black_box(codec::parse(in_dialog(j, "ACK", 1, &to)).unwrap());
            let bye = codec::parse(in_dialog(j, "BYE", 2, &to)).unwrap();
            let Message::Request(bye) = bye else {
                unreachable!()
            };
            black_box(
                roomgate::sip::message::Response::from_request(&bye, StatusCode::OK).to_bytes(),
            );
        })
    });
    group.finish();
    assert!(ua.call_count() <= 1);
    c.final_summary();
}
