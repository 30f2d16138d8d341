//! RFC 3261 §13.3.1.4: the UA core retransmits its 2xx to an INVITE, T1 doubling to T2, until
//! the ACK arrives, and then stops.

use crate::sim;

use roomgate::sip::message::StatusCode;
use roomgate::sip::transaction::Transport;
use roomgate::sip::ua::{Reply, UaEvent};
use sim::{offsets_ms, Dir, LinkConfig, Sim, GATEWAY_SDP};
use std::time::Duration;

#[test]
fn two_xx_is_retransmitted_until_the_third_ack_gets_through() {
    let mut sim = Sim::new(2, Transport::Udp, LinkConfig::perfect());
    // The room ACKs every 2xx it receives; the first two ACKs are lost.
    let mut acks = 0;
    sim.drop_if(move |dir, line, _| {
        if dir == Dir::ToGateway && line.starts_with("ACK ") {
            acks += 1;
            return acks <= 2;
        }
        false
    });
    sim.room_invite(&[]);
    assert!(sim.run_until(Duration::from_secs(1), |s| s.incoming_call().is_some()));
    let call = sim.incoming_call().unwrap();
    let t_answer = sim.now - sim.start;
    let now = sim.now;
    sim.ua
        .answer(now, call, Reply::sdp(StatusCode::OK, GATEWAY_SDP))
        .unwrap();
    sim.run_for(Duration::from_secs(60));

    let oks = sim.sent_by_gateway("SIP/2.0 200", Some("INVITE"));
    let at: Vec<u128> = offsets_ms(&sim, &oks)
        .iter()
        .map(|ms| ms - t_answer.as_millis())
        .collect();
    // Sent at 0, then T1 = 500 ms, then 1 s later; the third ACK lands before the next.
    assert_eq!(at, vec![0, 500, 1500]);
    assert_eq!(sim.sent_by_room("ACK ").len(), 3);
    assert_eq!(
        sim.count_events(|e| matches!(e, UaEvent::Confirmed { .. })),
        1
    );
    assert_eq!(
        sim.count_events(|e| matches!(e, UaEvent::Terminated { .. })),
        0,
        "the call must stay up"
    );
    assert!(sim.sent_by_gateway("BYE ", None).is_empty());
}
