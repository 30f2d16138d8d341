//! With an answer delay the gateway rings first (180) and answers later; a CANCEL in between
//! ends the call with 487 (RFC 3261 §9.2), and the leg's media is released, in simulated time.

use bytes::Bytes;
use roomgate::call::CallConfig;
use roomgate::engine::{Gateway, GatewayConfig, Output};
use roomgate::meeting::{BreakoutOptions, Limits, MeetingSpec, Meetings};
use roomgate::sip::transaction::{Peer, Transport};
use std::time::{Duration, Instant};

const SDP: &str = "v=0\r\no=r 1 1 IN IP4 127.0.0.9\r\ns=-\r\nc=IN IP4 127.0.0.9\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 0\r\n";

fn invite() -> Bytes {
    Bytes::from(format!(
        "INVITE sip:1000@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.9:5062;branch=z9hG4bK-ring1\r\n\
         From: <sip:room@127.0.0.9>;tag=r1\r\nTo: <sip:1000@127.0.0.1>\r\nCall-ID: ring1\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:room@127.0.0.9:5062>\r\nMax-Forwards: 70\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{SDP}",
        SDP.len()
    ))
}

const CANCEL: &str = "CANCEL sip:1000@127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.9:5062;branch=z9hG4bK-ring1\r\n\
From: <sip:room@127.0.0.9>;tag=r1\r\nTo: <sip:1000@127.0.0.1>\r\nCall-ID: ring1\r\n\
CSeq: 1 CANCEL\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";

fn statuses(out: &[Output]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            Output::Sip(t) if t.payload.starts_with(b"SIP/2.0 ") => {
                let text = String::from_utf8_lossy(&t.payload);
                let cseq = text
                    .lines()
                    .find(|l| l.starts_with("CSeq:"))
                    .unwrap_or("")
                    .to_owned();
                Some(format!(
                    "{} {}",
                    &text[8..11],
                    cseq.trim_start_matches("CSeq: ")
                ))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn cancel_while_ringing_gets_487_and_frees_the_leg() {
    let t0 = Instant::now();
    let mut meetings = Meetings::new(Limits::default(), 1);
    meetings
        .create_meeting(
            t0,
            MeetingSpec {
                id: "1000".into(),
                name: "Demo".into(),
                passcode: None,
                options: BreakoutOptions::default(),
                preassignments: Vec::new(),
                rooms: Vec::new(),
            },
        )
        .unwrap();
    let cfg = GatewayConfig {
        calls: CallConfig {
            answer_delay: Duration::from_secs(5),
            ..CallConfig::default()
        },
        ..GatewayConfig::default()
    };
    let mut gw = Gateway::new(cfg, meetings);
    let peer = Peer::new(Transport::Udp, "127.0.0.9:5062".parse().unwrap());

    gw.handle_sip(t0, peer, invite());
    let out: Vec<_> = std::iter::from_fn(|| gw.poll_output()).collect();
    assert_eq!(
        statuses(&out),
        ["180 1 INVITE"],
        "rings, does not answer yet"
    );
    assert_eq!(gw.leg_count(), 1);

    let t1 = t0 + Duration::from_secs(2);
    gw.handle_sip(t1, peer, Bytes::from_static(CANCEL.as_bytes()));
    let out: Vec<_> = std::iter::from_fn(|| gw.poll_output()).collect();
    let st = statuses(&out);
    assert!(st.contains(&"200 1 CANCEL".to_owned()), "{st:?}");
    assert!(st.contains(&"487 1 INVITE".to_owned()), "{st:?}");
    assert!(out.iter().any(|o| matches!(o, Output::MediaClose { .. })));
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::LegEnded(_, end) if end.by == "cancelled")));
    assert_eq!(gw.leg_count(), 0);

    // The answer time passes: nothing is answered for the cancelled call.
    let t2 = t0 + Duration::from_secs(6);
    gw.handle_timeout(t2);
    let out: Vec<_> = std::iter::from_fn(|| gw.poll_output()).collect();
    assert!(
        !statuses(&out).iter().any(|s| s.starts_with("200 1 INVITE")),
        "{out:?}"
    );
}
