//! A whole call over a link that loses 10 %, duplicates 30 % and reorders (up to 300 ms of
//! jitter): retransmissions and copies are absorbed by the transactions, so the call layer
//! sees each call, ACK, INFO and BYE exactly once, and every request gets its answer.

use crate::sim;

use bytes::Bytes;
use roomgate::sip::message::{HeaderName, Method, StatusCode};
use roomgate::sip::transaction::{Event, Transport};
use roomgate::sip::ua::{EndReason, UaEvent};
use sim::{LinkConfig, Sim};
use std::collections::HashSet;
use std::time::Duration;

#[test]
fn call_with_dtmf_info_survives_loss_duplication_and_reordering() {
    let (mut duplicated, mut reordered) = (0, 0);
    for seed in 0..20u64 {
        let mut sim = Sim::new(
            1000 + seed,
            Transport::Udp,
            LinkConfig::lossy(0.1, 0.3, 300),
        );
        sim.establish(&[]);

        // Five key presses, one second apart, each INFO its own transaction.
        let mut infos = Vec::new();
        for digit in ['1', '2', '3', '#', '0'] {
            let mut info = sim.room_in_dialog(Method::Info);
            info.headers
                .push(HeaderName::ContentType, "application/dtmf-relay");
            info.body = Bytes::from(format!("Signal={digit}\r\nDuration=160\r\n"));
            infos.push(sim.room_send(info));
            sim.run_for(Duration::from_secs(1));
        }
        let bye = sim.room_in_dialog(Method::Bye);
        let bye_id = sim.room_send(bye);
        sim.run_for(Duration::from_secs(64));

        assert_eq!(
            sim.count_events(|e| matches!(e, UaEvent::IncomingCall { .. })),
            1,
            "seed {seed}"
        );
        assert_eq!(
            sim.count_events(|e| matches!(e, UaEvent::Confirmed { .. })),
            1,
            "seed {seed}"
        );
        // Every INFO was answered; those answered 200 reached the call layer exactly once.
        // (A lost INFO overtaken by the next one is refused with 500, §12.2.2.)
        let mut ok = 0;
        for id in &infos {
            let finals: Vec<StatusCode> = sim
                .room
                .events
                .iter()
                .filter_map(|(_, e)| match e {
                    Event::Response { id: i, response }
                        if i == id && response.status.is_final() =>
                    {
                        Some(response.status)
                    }
                    _ => None,
                })
                .collect();
            assert_eq!(finals.len(), 1, "seed {seed}: INFO answered once");
            assert!(
                finals[0] == StatusCode::OK || finals[0] == StatusCode::SERVER_INTERNAL_ERROR,
                "seed {seed}: {finals:?}"
            );
            ok += usize::from(finals[0] == StatusCode::OK);
        }
        let bodies: Vec<Bytes> = sim
            .ua_events
            .iter()
            .filter_map(|(_, e)| match e {
                UaEvent::Info {
                    body, content_type, ..
                } => {
                    assert_eq!(content_type, "application/dtmf-relay");
                    Some(body.clone())
                }
                _ => None,
            })
            .collect();
        assert_eq!(bodies.len(), ok, "seed {seed}");
        assert_eq!(
            bodies.iter().collect::<HashSet<_>>().len(),
            bodies.len(),
            "seed {seed}: no INFO twice"
        );
        assert!(ok >= 3, "seed {seed}: most INFOs get through");

        // The BYE was answered and ended the call once.
        assert!(sim.room.events.iter().any(|(_, e)| matches!(
            e,
            Event::Response { id, response } if *id == bye_id && response.status == StatusCode::OK
        )));
        let ends: Vec<_> = sim
            .ua_events
            .iter()
            .filter_map(|(_, e)| match e {
                UaEvent::Terminated { reason, .. } => Some(*reason),
                _ => None,
            })
            .collect();
        assert_eq!(ends, vec![EndReason::RemoteBye], "seed {seed}");
        assert_eq!(sim.ua.call_count(), 0);
        assert!(
            sim.ua.transactions().is_empty(),
            "seed {seed}: all timers ran out"
        );
        duplicated += sim.duplicated;
        reordered += sim.reordered;
    }
    // The link really did duplicate and reorder.
    assert!(duplicated > 20, "{duplicated}");
    assert!(reordered > 5, "{reordered}");
}
