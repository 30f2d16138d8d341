//! Hold and resume by re-INVITE from the room system (RFC 3261 §14.2, RFC 3264 §8.4) over a
//! lossy, duplicating link: each offer reaches the call layer once as opaque bytes, its
//! answer goes back in a 2xx the UA core retransmits until the ACK, and the ACK reaches the
//! call layer once.

use crate::sim;

use bytes::Bytes;
use roomgate::sip::message::{HeaderName, Method, StatusCode};
use roomgate::sip::transaction::Transport;
use roomgate::sip::ua::{CallState, Reply, UaEvent};
use sim::{LinkConfig, Sim, ROOM};
use std::time::Duration;

fn offer(sim: &mut Sim, direction: &str) {
    let mut re = sim.room_in_dialog(Method::Invite);
    re.headers
        .push(HeaderName::Contact, format!("<sip:room@{ROOM}>"));
    re.headers.push(HeaderName::ContentType, "application/sdp");
    re.body = Bytes::from(format!(
        "v=0\r\no=room 1 2 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na={direction}\r\n"
    ));
    sim.room_send(re);
}

#[test]
fn hold_then_resume_over_a_lossy_link() {
    for seed in 0..12u64 {
        let mut sim = Sim::new(500 + seed, Transport::Udp, LinkConfig::lossy(0.2, 0.2, 50));
        let call = sim.establish(&[]);
        for (direction, answer) in [("sendonly", "recvonly"), ("sendrecv", "sendrecv")] {
            let offers_before = sim.count_events(|e| matches!(e, UaEvent::Offer { .. }));
            let acked_before = sim.count_events(|e| matches!(e, UaEvent::OfferAcked { .. }));
            offer(&mut sim, direction);
            assert!(
                sim.run_until(Duration::from_secs(40), |s| s
                    .count_events(|e| matches!(e, UaEvent::Offer { .. }))
                    > offers_before),
                "seed {seed}: offer never arrived"
            );
            let body = sim
                .ua_events
                .iter()
                .rev()
                .find_map(|(_, e)| match e {
                    UaEvent::Offer { body, method, .. } => {
                        assert_eq!(*method, Method::Invite);
                        Some(body.clone())
                    }
                    _ => None,
                })
                .unwrap();
            assert!(String::from_utf8_lossy(&body).contains(&format!("a={direction}")));
            let now = sim.now;
            sim.ua
                .answer_offer(
                    now,
                    call,
                    Reply::sdp(
                        StatusCode::OK,
                        format!("v=0\r\nm=audio 20000 RTP/AVP 0\r\na={answer}\r\n"),
                    ),
                )
                .unwrap();
            sim.run_for(Duration::from_secs(40));
            assert_eq!(
                sim.count_events(|e| matches!(e, UaEvent::Offer { .. })),
                offers_before + 1,
                "seed {seed}: the offer reached the call layer once"
            );
            assert_eq!(
                sim.count_events(|e| matches!(e, UaEvent::OfferAcked { .. })),
                acked_before + 1,
                "seed {seed}: the ACK reached the call layer once"
            );
            // The room got our answer.
            let got = sim
                .room_responses()
                .into_iter()
                .rev()
                .find(|r| r.status == StatusCode::OK && !r.body.is_empty())
                .unwrap();
            assert!(String::from_utf8_lossy(&got.body).contains(&format!("a={answer}")));
        }
        assert_eq!(sim.ua.state(call), Some(CallState::Established));
        assert_eq!(
            sim.count_events(|e| matches!(e, UaEvent::Terminated { .. })),
            0
        );
    }
}
