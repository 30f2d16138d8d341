//! RFC 3261 §13.3.1.4: with no ACK for 64*T1 the 2xx retransmissions stop and the UA core
//! ends the session with BYE, telling the call layer why.

use crate::sim;

use roomgate::sip::message::StatusCode;
use roomgate::sip::transaction::Transport;
use roomgate::sip::ua::{EndReason, Reply, UaEvent};
use sim::{offsets_ms, Dir, LinkConfig, Sim, GATEWAY_SDP};
use std::time::Duration;

#[test]
fn no_ack_means_bye_after_64_t1() {
    let mut sim = Sim::new(3, Transport::Udp, LinkConfig::perfect());
    sim.drop_if(|dir, line, _| dir == Dir::ToGateway && line.starts_with("ACK "));
    sim.room_invite(&[]);
    assert!(sim.run_until(Duration::from_secs(1), |s| s.incoming_call().is_some()));
    let call = sim.incoming_call().unwrap();
    let t0 = (sim.now - sim.start).as_millis();
    let now = sim.now;
    sim.ua
        .answer(now, call, Reply::sdp(StatusCode::OK, GATEWAY_SDP))
        .unwrap();
    sim.run_for(Duration::from_secs(40));

    let oks = sim.sent_by_gateway("SIP/2.0 200", Some("INVITE"));
    let at: Vec<u128> = offsets_ms(&sim, &oks).iter().map(|ms| ms - t0).collect();
    // T1 doubling to T2 (4 s), all within 64*T1 = 32 s.
    assert_eq!(
        at,
        vec![0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
    );
    let byes = sim.sent_by_gateway("BYE ", None);
    assert_eq!(byes.len(), 1, "one BYE, answered by the room");
    assert_eq!(offsets_ms(&sim, &byes)[0] - t0, 32_000);
    assert_eq!(
        sim.ua_events
            .iter()
            .filter_map(|(_, e)| match e {
                UaEvent::Terminated { call: c, reason } if *c == call => Some(*reason),
                _ => None,
            })
            .collect::<Vec<_>>(),
        vec![EndReason::NoAck]
    );
    assert_eq!(
        sim.count_events(|e| matches!(e, UaEvent::Confirmed { .. })),
        0
    );
    // The room's 200 to the BYE ends the call's last transaction.
    assert_eq!(sim.ua.call_count(), 0);
}
