//! RFC 3261 §17: on a reliable transport the transactions retransmit nothing (timers A, E, G
//! not armed; D, I, J, K zero). The UA core's 2xx retransmission is end to end and stays
//! (§13.3.1.4: "even if the transport at the UAS is reliable"), and its ACK wait still ends
//! an unacknowledged call with BYE.

use crate::sim;

use bytes::Bytes;
use roomgate::sip::message::StatusCode;
use roomgate::sip::transaction::Transport;
use roomgate::sip::ua::{EndReason, Reply, UaEvent};
use sim::{offsets_ms, Dir, LinkConfig, Sim, GATEWAY_SDP};
use std::time::Duration;

#[test]
fn invite_is_sent_once_and_the_unacked_2xx_ends_in_bye() {
    let mut sim = Sim::new(11, Transport::Tcp, LinkConfig::perfect());
    sim.drop_if(|dir, line, _| dir == Dir::ToGateway && line.starts_with("ACK "));
    sim.room_invite(&[]);
    // Answer late: over TCP the room's INVITE is not retransmitted meanwhile.
    assert!(sim.run_until(Duration::from_secs(1), |s| s.incoming_call().is_some()));
    sim.run_for(Duration::from_secs(5));
    let call = sim.incoming_call().unwrap();
    let t0 = (sim.now - sim.start).as_millis();
    let now = sim.now;
    sim.ua
        .answer(now, call, Reply::sdp(StatusCode::OK, GATEWAY_SDP))
        .unwrap();
    sim.run_for(Duration::from_secs(60));

    assert_eq!(sim.sent_by_room("INVITE ").len(), 1);
    assert_eq!(sim.sent_by_gateway("SIP/2.0 100", None).len(), 1);
    // The UA core's end-to-end 2xx retransmission: T1 doubling to T2 within 64*T1.
    let oks = sim.sent_by_gateway("SIP/2.0 200", Some("INVITE"));
    let at: Vec<u128> = offsets_ms(&sim, &oks).iter().map(|ms| ms - t0).collect();
    assert_eq!(
        at,
        vec![0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
    );
    let byes = sim.sent_by_gateway("BYE ", None);
    assert_eq!(byes.len(), 1);
    assert_eq!(offsets_ms(&sim, &byes)[0] - t0, 32_000);
    let text = String::from_utf8_lossy(&byes[0].bytes).to_string();
    assert!(text.contains("SIP/2.0/TCP "), "{text}");
    assert!(
        sim.count_events(|e| matches!(
            e,
            UaEvent::Terminated {
                reason: EndReason::NoAck,
                ..
            }
        )) == 1
    );
    assert!(sim.ua.transactions().is_empty());
}

#[test]
fn rejected_invite_and_unanswered_info_are_sent_once() {
    let mut sim = Sim::new(12, Transport::Tcp, LinkConfig::perfect());
    sim.drop_if(|dir, line, _| dir == Dir::ToGateway && line.starts_with("ACK "));
    sim.room_invite(&[]);
    assert!(sim.run_until(Duration::from_secs(1), |s| s.incoming_call().is_some()));
    let call = sim.incoming_call().unwrap();
    let now = sim.now;
    sim.ua
        .answer(now, call, Reply::new(StatusCode(486)))
        .unwrap();
    sim.run_for(Duration::from_secs(40));
    assert_eq!(sim.sent_by_gateway("SIP/2.0 486", None).len(), 1);
    // Timer H still guards the missing ACK; after it the transaction is gone.
    assert!(sim.ua.transactions().is_empty());

    // An established call whose INFO is never answered: one INFO, then timer F.
    let mut sim = Sim::new(13, Transport::Tcp, LinkConfig::perfect());
    let call = sim.establish(&[]);
    sim.drop_if(|dir, _, _| dir == Dir::ToRoom);
    let now = sim.now;
    sim.ua
        .info(
            now,
            call,
            "application/dtmf-relay",
            Bytes::from_static(b"Signal=5\r\n"),
        )
        .unwrap();
    sim.run_for(Duration::from_secs(70));
    assert_eq!(sim.sent_by_gateway("INFO ", None).len(), 1);
    assert_eq!(sim.sent_by_gateway("BYE ", None).len(), 1);
}
