//! RFC 4916 connected identity, one UPDATE at a time (RFC 3311 §5.1): when a participant is
//! moved several times while the room system still has not answered the first UPDATE
//! (Linphone takes seconds), roomgate keeps that one UPDATE alone on the dialog and then sends
//! only the latest name. A 491 is retried after the §14.1 back-off; a refused or timed-out
//! identity UPDATE leaves the call up (it only means the room system kept the old name).

use crate::sim;

use roomgate::sip::message::{HeaderName, Method, Request};
use roomgate::sip::transaction::{TransactionId, Transport};
use roomgate::sip::ua::UaEvent;
use sim::{LinkConfig, Sim};
use std::time::Duration;

/// The UPDATE transactions the room system received (retransmissions are absorbed by its
/// transaction layer), in order.
fn updates(sim: &Sim) -> Vec<(TransactionId, Request)> {
    sim.room_requests()
        .into_iter()
        .filter(|(_, r)| r.method == Method::Update)
        .collect()
}

fn from_of(r: &Request) -> String {
    String::from_utf8_lossy(r.headers.get(&HeaderName::From).expect("From")).into_owned()
}

fn ended(sim: &Sim) -> usize {
    sim.count_events(|e| matches!(e, UaEvent::Terminated { .. }))
}

#[test]
fn moves_while_an_update_is_unanswered_send_only_the_latest_name_afterwards() {
    let mut sim = Sim::new(31, Transport::Udp, LinkConfig::perfect());
    let call = sim.establish(&[]);

    // Three moves in quick succession; the room system sits on the first UPDATE.
    for name in ["Breakout room 1", "Breakout room 2", "Main session"] {
        let now = sim.now;
        assert_eq!(sim.ua.update_identity(now, call, name), Ok(true));
        sim.run_for(Duration::from_millis(100));
    }
    sim.run_for(Duration::from_secs(3));
    let sent = updates(&sim);
    assert_eq!(sent.len(), 1, "one UPDATE in flight per dialog");
    assert!(from_of(&sent[0].1).contains("Breakout room 1"));

    // Answered: exactly one more, carrying the latest name only.
    let (id, first) = sent[0].clone();
    sim.room_respond(id, &first, 200, &[]);
    sim.run_for(Duration::from_secs(1));
    let sent = updates(&sim);
    assert_eq!(sent.len(), 2, "the pending name follows the answer");
    let from = from_of(&sent[1].1);
    assert!(from.contains("Main session"), "{from}");
    let (id, second) = sent[1].clone();
    sim.room_respond(id, &second, 200, &[]);
    sim.run_for(Duration::from_secs(5));
    assert_eq!(updates(&sim).len(), 2, "nothing left to send");
    assert_eq!(ended(&sim), 0);
}

#[test]
fn a_491_is_retried_with_the_latest_name_and_a_timeout_keeps_the_call() {
    let mut sim = Sim::new(32, Transport::Udp, LinkConfig::perfect());
    let call = sim.establish(&[]);

    let now = sim.now;
    assert_eq!(
        sim.ua.update_identity(now, call, "Breakout room 1"),
        Ok(true)
    );
    sim.run_for(Duration::from_millis(100));
    let (id, first) = updates(&sim)[0].clone();
    // The room system has an exchange of its own under way: 491 (RFC 3311 §5.2).
    sim.room_respond(id, &first, 491, &[]);
    let t491 = sim.now;

    // §14.1: we do not own the Call-ID, so the same name goes again 0–2 s later.
    sim.run_for(Duration::from_millis(2100));
    let sent = updates(&sim);
    assert_eq!(sent.len(), 2, "the 491 was retried once");
    assert!(from_of(&sent[1].1).contains("Breakout room 1"));
    // In simulated time: 10 ms for the 491 to arrive, then at most 2 s (the first send of the
    // retry; its UDP retransmissions follow).
    let retried_at = sim
        .sent_by_gateway("UPDATE ", None)
        .iter()
        .find(|s| s.at > t491)
        .expect("the retry is on the wire")
        .at;
    assert!(retried_at - t491 <= Duration::from_millis(2010));

    // A second 491, and a move while backing off: the retry carries the latest name, alone.
    let (id, retry) = sent[1].clone();
    sim.room_respond(id, &retry, 491, &[]);
    sim.run_for(Duration::from_millis(11));
    let now = sim.now;
    assert_eq!(sim.ua.update_identity(now, call, "Main session"), Ok(true));
    sim.run_for(Duration::from_millis(2100));
    let sent = updates(&sim);
    assert_eq!(
        sent.len(),
        3,
        "one UPDATE after the back-off, none during it"
    );
    assert!(from_of(&sent[2].1).contains("Main session"));

    // The room system never answers it: the UPDATE times out (Timer F, 64*T1), and the call
    // stays up, with no BYE.
    sim.run_for(Duration::from_secs(40));
    assert_eq!(ended(&sim), 0, "a timed-out identity UPDATE ended the call");
    assert!(sim.sent_by_gateway("BYE ", None).is_empty());
    assert_eq!(updates(&sim).len(), 3);

    // The dialog is still usable: the next move is sent at once.
    let now = sim.now;
    assert_eq!(
        sim.ua.update_identity(now, call, "Breakout room 2"),
        Ok(true)
    );
    sim.run_for(Duration::from_millis(100));
    let sent = updates(&sim);
    assert_eq!(sent.len(), 4);
    assert!(from_of(&sent[3].1).contains("Breakout room 2"));
    let (id, fourth) = sent[3].clone();
    sim.room_respond(id, &fourth, 200, &[]);
    sim.run_for(Duration::from_secs(1));
    assert_eq!(ended(&sim), 0);
}
