//! RFC 3261 §9.2: a CANCEL for an unanswered INVITE gets 200, the INVITE gets 487 and the call
//! layer learns the call is over; a CANCEL matching nothing gets 481.

use crate::sim;

use roomgate::sip::message::{HeaderName, Method, StatusCode};
use roomgate::sip::transaction::{Event, Transport};
use roomgate::sip::ua::{EndReason, Reply, UaEvent};
use sim::{LinkConfig, Sim};
use std::time::Duration;

#[test]
fn cancel_before_answer_terminates_the_invite_with_487() {
    let mut sim = Sim::new(4, Transport::Udp, LinkConfig::perfect());
    sim.room_invite(&[]);
    assert!(sim.run_until(Duration::from_secs(1), |s| s.incoming_call().is_some()));
    let call = sim.incoming_call().unwrap();
    let now = sim.now;
    sim.ua
        .answer(now, call, Reply::new(StatusCode::RINGING))
        .unwrap();
    sim.run_for(Duration::from_millis(500));

    let invite_bytes = sim.sent_by_room("INVITE ")[0].bytes.clone();
    let invite = match roomgate::sip::codec::parse(invite_bytes).unwrap() {
        roomgate::sip::message::Message::Request(r) => r,
        _ => unreachable!(),
    };
    let cancel = sim.room_cancel(&invite);
    sim.room_send(cancel);
    sim.run_for(Duration::from_secs(40));

    let responses = sim.room_responses();
    let to_cancel: Vec<_> = responses
        .iter()
        .filter(|r| sim::cseq(&r.headers).map(|c| c.1) == Some(Method::Cancel))
        .collect();
    assert_eq!(to_cancel.len(), 1);
    assert_eq!(to_cancel[0].status, StatusCode::OK);
    let to_invite_final: Vec<_> = responses
        .iter()
        .filter(|r| {
            sim::cseq(&r.headers).map(|c| c.1) == Some(Method::Invite) && r.status.is_final()
        })
        .collect();
    assert_eq!(to_invite_final.len(), 1);
    assert_eq!(to_invite_final[0].status, StatusCode::REQUEST_TERMINATED);
    // §9.2: same To tag on the 200 (CANCEL) and the 487.
    assert_eq!(
        to_cancel[0].headers.to().unwrap().tag(),
        to_invite_final[0].headers.to().unwrap().tag()
    );
    // The room's INVITE transaction ACKed the 487 hop by hop.
    assert_eq!(sim.sent_by_room("ACK ").len(), 1);
    assert_eq!(
        sim.ua_events
            .iter()
            .filter_map(|(_, e)| match e {
                UaEvent::Terminated { reason, .. } => Some(*reason),
                _ => None,
            })
            .collect::<Vec<_>>(),
        vec![EndReason::Cancelled]
    );
    assert_eq!(sim.ua.call_count(), 0);
    // Too late to answer now.
    let now = sim.now;
    assert!(sim
        .ua
        .answer(now, call, Reply::new(StatusCode::OK))
        .is_err());
}

#[test]
fn cancel_without_a_matching_invite_gets_481() {
    let mut sim = Sim::new(5, Transport::Udp, LinkConfig::perfect());
    let mut stray = sim.room.request(Method::Invite, Transport::Udp, None);
    stray.headers.set(HeaderName::CSeq, "1 CANCEL");
    stray.method = Method::Cancel;
    sim.room_send(stray);
    sim.run_for(Duration::from_secs(1));
    let responses = sim.room_responses();
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].status, StatusCode::CALL_DOES_NOT_EXIST);
    assert!(sim.ua_events.is_empty());
    assert!(sim
        .room
        .events
        .iter()
        .all(|(_, e)| !matches!(e, Event::Timeout { .. })));
}
