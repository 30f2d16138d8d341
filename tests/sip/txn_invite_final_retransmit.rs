//! RFC 3261 §17.2.1: the INVITE server transaction answers a retransmitted INVITE with its
//! final response again, and the call layer sees the INVITE once.

use crate::sim;

use roomgate::sip::message::StatusCode;
use roomgate::sip::transaction::Transport;
use roomgate::sip::ua::{EndReason, Reply, UaEvent};
use sim::{Dir, LinkConfig, Sim};
use std::time::Duration;

#[test]
fn lost_final_response_is_resent_when_the_invite_is_retransmitted() {
    let mut sim = Sim::new(1, Transport::Udp, LinkConfig::perfect());
    // The first 486 is lost on its way to the room system.
    let mut dropped = false;
    sim.drop_if(move |dir, line, _| {
        if dir == Dir::ToRoom && line.starts_with("SIP/2.0 486") && !dropped {
            dropped = true;
            return true;
        }
        false
    });
    sim.room_invite(&[]);
    assert!(sim.run_until(Duration::from_secs(1), |s| s.incoming_call().is_some()));
    let call = sim.incoming_call().unwrap();
    let now = sim.now;
    sim.ua
        .answer(now, call, Reply::new(StatusCode(486)))
        .unwrap();
    sim.pump();
    assert_eq!(sim.sent_by_gateway("SIP/2.0 486", None).len(), 1);

    // 300 ms later (between timer G's firings at 500 ms and 1.5 s) a copy of the INVITE
    // arrives: the transaction answers it at once with the same 486.
    sim.run_for(Duration::from_millis(300));
    let invite = sim.sent_by_room("INVITE ")[0].bytes.clone();
    let at = sim.now;
    sim.inject_to_gateway(invite);
    let finals = sim.sent_by_gateway("SIP/2.0 486", None);
    assert_eq!(finals.len(), 2);
    assert_eq!(finals[1].at, at);
    assert_eq!(finals[1].bytes, finals[0].bytes);

    sim.run_for(Duration::from_secs(40));
    // The room got the 486 and ACKed it; the ACK stopped timer G, so retransmissions end.
    assert!(sim.room_responses().iter().any(|r| r.status.0 == 486));
    let first_ack = sim.sent_by_room("ACK ")[0].at;
    assert!(sim
        .sent_by_gateway("SIP/2.0 486", None)
        .iter()
        .all(|s| s.at <= first_ack + Duration::from_millis(20)));

    // One call, ended once, by our rejection; every transaction is gone after timer I.
    assert_eq!(
        sim.count_events(|e| matches!(e, UaEvent::IncomingCall { .. })),
        1
    );
    assert_eq!(
        sim.count_events(|e| matches!(
            e,
            UaEvent::Terminated {
                reason: EndReason::Rejected,
                ..
            }
        )),
        1
    );
    assert!(sim.ua.transactions().is_empty());
}
