//! Calls roomgate places (RFC 3261 §13.2): the 2xx is ACKed by the UA core and makes a UAC
//! dialog the room system can BYE; hanging up before the answer CANCELs (§9.1) once a
//! provisional response arrived; refusals and silence end the call with the reason.

use crate::sim;

use bytes::Bytes;
use roomgate::sip::message::{HeaderName, Headers, Method, Request, Response, StatusCode};
use roomgate::sip::transaction::{Event, TransactionId, Transport};
use roomgate::sip::ua::{CallHandle, Dial, EndReason, UaEvent};
use sim::{room_peer, Dir, LinkConfig, Sim, GATEWAY_SDP, ROOM};
use std::time::Duration;

fn dial(sim: &mut Sim) -> CallHandle {
    let now = sim.now;
    let call = sim
        .ua
        .dial(
            now,
            Dial {
                target: format!("sip:room@{ROOM}"),
                from: "sip:1000@127.0.0.1".into(),
                destination: room_peer(sim.transport),
                sdp: Bytes::from_static(GATEWAY_SDP),
                ring_timeout: Duration::from_secs(60),
            },
        )
        .unwrap();
    sim.pump();
    call
}

/// The INVITE the room system received and its server transaction.
fn received_invite(sim: &mut Sim) -> (TransactionId, Request) {
    assert!(sim.run_until(Duration::from_secs(5), |s| s
        .room_requests()
        .iter()
        .any(|(_, r)| r.method == Method::Invite)));
    sim.room_requests()
        .into_iter()
        .find(|(_, r)| r.method == Method::Invite)
        .unwrap()
}

fn respond(sim: &mut Sim, id: TransactionId, req: &Request, status: u16, body: &'static [u8]) {
    let mut resp = Response::from_request(req, StatusCode(status))
        .with_to_tag("roomtag")
        .unwrap();
    if (101..300).contains(&status) {
        resp.headers
            .push(HeaderName::Contact, format!("<sip:room@{ROOM}>"));
    }
    if !body.is_empty() {
        resp.headers
            .push(HeaderName::ContentType, "application/sdp");
        resp.body = Bytes::from_static(body);
    }
    let now = sim.now;
    sim.room.layer.send_response(now, id, resp).unwrap();
    sim.pump();
}

fn ends(sim: &Sim) -> Vec<EndReason> {
    sim.ua_events
        .iter()
        .filter_map(|(_, e)| match e {
            UaEvent::Terminated { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect()
}

#[test]
fn answered_call_is_acked_and_the_room_can_hang_up() {
    let mut sim = Sim::new(21, Transport::Udp, LinkConfig::perfect());
    let call = dial(&mut sim);
    let (id, invite) = received_invite(&mut sim);
    assert_eq!(&invite.body[..], GATEWAY_SDP);
    assert!(invite.headers.get(&HeaderName::SessionExpires).is_some());
    respond(&mut sim, id, &invite, 180, b"");
    respond(&mut sim, id, &invite, 200, b"v=0\r\ns=room answer\r\n");
    sim.run_for(Duration::from_secs(1));

    let progress = sim.count_events(
        |e| matches!(e, UaEvent::Progress { status, .. } if *status == StatusCode::RINGING),
    );
    assert_eq!(progress, 1);
    assert!(sim.ua_events.iter().any(|(_, e)| matches!(
        e,
        UaEvent::Answered { call: c, body } if *c == call && &body[..] == b"v=0\r\ns=room answer\r\n"
    )));
    // The ACK (its own transaction-less request) reached the room's core.
    let acks: Vec<_> = sim
        .room
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Ack { request, .. } => Some(request.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(acks.len(), 1);
    assert_eq!(
        acks[0].headers.cseq().unwrap().seq,
        invite.headers.cseq().unwrap().seq
    );
    assert_eq!(&acks[0].uri[..], format!("sip:room@{ROOM}").as_bytes());

    // The room hangs up inside the dialog roomgate made.
    let mut h = Headers::new();
    h.push(
        HeaderName::Via,
        format!("SIP/2.0/UDP {ROOM};branch=z9hG4bKroombye;rport"),
    );
    h.push(HeaderName::MaxForwards, "70");
    let to = invite.headers.get(&HeaderName::To).unwrap();
    h.push(
        HeaderName::From,
        format!("{};tag=roomtag", String::from_utf8_lossy(to)),
    );
    h.push(
        HeaderName::To,
        invite.headers.get(&HeaderName::From).unwrap().clone(),
    );
    h.push(
        HeaderName::CallId,
        invite.headers.get(&HeaderName::CallId).unwrap().clone(),
    );
    h.push(HeaderName::CSeq, "1 BYE");
    let bye = Request {
        method: Method::Bye,
        uri: Bytes::from_static(b"sip:roomgate@127.0.0.1:5060"),
        headers: h,
        body: Bytes::new(),
    };
    sim.room_send(bye);
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.room_responses().last().unwrap().status, StatusCode::OK);
    assert_eq!(ends(&sim), vec![EndReason::RemoteBye]);
    assert_eq!(sim.ua.call_count(), 0);
}

#[test]
fn hangup_while_ringing_sends_cancel_and_the_invite_ends_487() {
    let mut sim = Sim::new(22, Transport::Udp, LinkConfig::perfect());
    let call = dial(&mut sim);
    // Hung up before anything came back: the CANCEL waits for a provisional (§9.1).
    let now = sim.now;
    sim.ua.hangup(now, call).unwrap();
    sim.pump();
    let (id, invite) = received_invite(&mut sim);
    assert!(sim.sent_by_gateway("CANCEL ", None).is_empty());
    respond(&mut sim, id, &invite, 180, b"");
    sim.run_for(Duration::from_millis(50));
    let cancels = sim.sent_by_gateway("CANCEL ", None);
    assert_eq!(cancels.len(), 1);
    let cancel = sim
        .room_requests()
        .into_iter()
        .find(|(_, r)| r.method == Method::Cancel)
        .unwrap();
    // Same branch as the INVITE.
    assert_eq!(
        cancel.1.headers.via().unwrap().branch(),
        invite.headers.via().unwrap().branch()
    );
    respond(&mut sim, cancel.0, &cancel.1, 200, b"");
    respond(&mut sim, id, &invite, 487, b"");
    sim.run_for(Duration::from_secs(40));
    // roomgate's INVITE transaction ACKed the 487.
    assert_eq!(sim.sent_by_gateway("ACK ", None).len(), 1);
    assert_eq!(ends(&sim), vec![EndReason::LocalHangup]);
    assert_eq!(
        sim.count_events(|e| matches!(e, UaEvent::Progress { .. })),
        0
    );
    assert_eq!(sim.ua.call_count(), 0);
    assert!(sim.ua.transactions().is_empty());
}

#[test]
fn refused_and_unanswered_calls_say_why() {
    let mut sim = Sim::new(23, Transport::Udp, LinkConfig::perfect());
    dial(&mut sim);
    let (id, invite) = received_invite(&mut sim);
    respond(&mut sim, id, &invite, 486, b"");
    sim.run_for(Duration::from_secs(1));
    assert_eq!(ends(&sim), vec![EndReason::Refused(StatusCode(486))]);

    // Nothing reaches the room: timer B after 64*T1.
    let mut sim = Sim::new(24, Transport::Udp, LinkConfig::perfect());
    sim.drop_if(|dir, _, _| dir == Dir::ToRoom);
    dial(&mut sim);
    sim.run_for(Duration::from_secs(40));
    assert_eq!(
        sim.sent_by_gateway("INVITE ", None).len(),
        7,
        "A: 0, .5, 1.5, 3.5, 7.5, 15.5, 31.5 s"
    );
    assert_eq!(ends(&sim), vec![EndReason::NoAnswer]);
    assert_eq!(sim.ua.call_count(), 0);
}
