//! RFC 3261 §14.1: re-INVITEs crossing on a dialog. roomgate answers the peer's with 491, and
//! when its own gets 491 it waits 0–2 s (it does not own the Call-ID) in 10 ms units and
//! tries again, ACKing the eventual 2xx.

use crate::sim;

use bytes::Bytes;
use roomgate::sip::message::{HeaderName, Method, StatusCode};
use roomgate::sip::transaction::Transport;
use roomgate::sip::ua::UaEvent;
use sim::{LinkConfig, Sim};
use std::time::Duration;

#[test]
fn crossing_reinvites_get_491_and_ours_is_retried() {
    for seed in 0..8u64 {
        let mut sim = Sim::new(100 + seed, Transport::Udp, LinkConfig::perfect());
        let call = sim.establish(&[]);

        // Both sides send a re-INVITE at the same instant.
        let now = sim.now;
        sim.ua
            .reinvite(now, call, Bytes::from_static(b"v=0\r\ns=hold\r\n"))
            .unwrap();
        let mut theirs = sim.room_in_dialog(Method::Invite);
        theirs
            .headers
            .push(HeaderName::Contact, format!("<sip:room@{}>", sim::ROOM));
        theirs
            .headers
            .push(HeaderName::ContentType, "application/sdp");
        theirs.body = Bytes::from_static(b"v=0\r\ns=room\r\n");
        sim.room_send(theirs);
        sim.run_for(Duration::from_millis(15));

        // Ours reached the room while the room's own was pending: the room says 491.
        let reqs = sim.room_requests();
        assert_eq!(reqs.len(), 1);
        let (id, ours) = reqs[0].clone();
        assert_eq!(ours.method, Method::Invite);
        sim.room_respond(id, &ours, 491, &[]);
        let t491 = sim.now;
        sim.room.auto_reply = Some(Box::new(|r| {
            (r.method == Method::Invite).then(|| (200, vec![]))
        }));
        sim.run_for(Duration::from_secs(5));

        // The room's re-INVITE got 491 from roomgate (and its transaction ACKed it).
        let room_final: Vec<_> = sim
            .room_responses()
            .into_iter()
            .filter(|r| r.status.is_final())
            .map(|r| r.status)
            .collect();
        assert_eq!(room_final.last(), Some(&StatusCode::REQUEST_PENDING));
        assert_eq!(
            sim.count_events(|e| matches!(e, UaEvent::Offer { .. })),
            0,
            "the crossing offer never reached the call layer"
        );

        // roomgate retried once, 0–2 s after the 491 (10 ms steps), with a higher CSeq.
        let reinvites = sim.sent_by_gateway("INVITE ", None);
        assert_eq!(reinvites.len(), 2, "seed {seed}");
        let wait = reinvites[1].at - t491;
        assert!(wait <= Duration::from_millis(2010), "seed {seed}: {wait:?}");
        assert_eq!(wait.as_millis() % 10, 0, "seed {seed}: {wait:?}");
        let seq = |b: &Bytes| {
            let m = roomgate::sip::codec::parse(b.clone()).unwrap();
            sim::cseq(m.headers()).unwrap().0
        };
        assert!(seq(&reinvites[1].bytes) > seq(&reinvites[0].bytes));

        // Both INVITEs were ACKed: the 491 by the transaction, the 200 by the UA core.
        assert_eq!(sim.sent_by_gateway("ACK ", None).len(), 2);
        let answered: Vec<_> = sim
            .ua_events
            .iter()
            .filter_map(|(_, e)| match e {
                UaEvent::OfferAnswered { status, .. } => Some(*status),
                _ => None,
            })
            .collect();
        assert_eq!(answered, vec![StatusCode::OK]);
    }
}
