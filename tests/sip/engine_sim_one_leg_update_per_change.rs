//! One change, one event: every input that changes a leg (a move, an exchange, a mute) makes
//! the gateway report that leg exactly once, with its state after the change, so the runtime
//! never has to re-derive what changed.

use bytes::Bytes;
use roomgate::engine::{Gateway, GatewayConfig, Output};
use roomgate::meeting::{
    Actor, AssignMode, BreakoutOptions, Command, Limits, MeetingSpec, Meetings, Place,
};
use roomgate::sip::transaction::{Peer, Transport};
use std::time::{Duration, Instant};

fn invite(call_id: &str) -> Bytes {
    let sdp = "v=0\r\no=room 1 1 IN IP4 127.0.0.9\r\ns=-\r\nc=IN IP4 127.0.0.9\r\nt=0 0\r\n\
               m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    Bytes::from(format!(
        "INVITE sip:1000@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.9:5062;branch=z9hG4bK-{call_id}\r\n\
         From: <sip:{call_id}@127.0.0.9>;tag=t-{call_id}\r\n\
         To: <sip:1000@127.0.0.1>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n\
         Contact: <sip:{call_id}@127.0.0.9:5062>\r\nMax-Forwards: 70\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    ))
}

/// The leg ids of the `LegUpdated`s among the gateway's outputs, in order.
fn updates(gw: &mut Gateway) -> Vec<u64> {
    std::iter::from_fn(|| gw.poll_output())
        .filter_map(|o| match o {
            Output::LegUpdated(v) => Some(v.id),
            _ => None,
        })
        .collect()
}

#[test]
fn each_change_of_a_leg_is_reported_once() {
    let t0 = Instant::now();
    let mut meetings = Meetings::new(Limits::default(), 7);
    let spec = MeetingSpec {
        id: "1000".into(),
        name: "Demo".into(),
        passcode: None,
        options: BreakoutOptions::default(),
        preassignments: Vec::new(),
        rooms: Vec::new(),
    };
    meetings.create_meeting(t0, spec).unwrap();
    let mut gw = Gateway::new(GatewayConfig::default(), meetings);
    let peer = Peer::new(Transport::Udp, "127.0.0.9:5062".parse().unwrap());

    // A new call: answered, joined and attached to the main session in one input.
    gw.handle_sip(t0, peer, invite("a"));
    assert_eq!(updates(&mut gw), [1], "a new leg is reported once");
    assert_eq!(
        gw.leg(roomgate::media::LegId(1)).unwrap().room,
        Some(Place::Main)
    );
    gw.handle_sip(t0, peer, invite("b"));
    assert_eq!(updates(&mut gw), [2]);

    let t1 = t0 + Duration::from_secs(1);
    let ids: Vec<_> = gw
        .meetings()
        .participants("1000")
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    let rooms = gw.with_meetings(t1, |m| {
        let create = Command::CreateBreakouts {
            count: 2,
            assign: AssignMode::Manual,
            seed: Some(1),
            options: None,
        };
        m.handle(t1, "1000", Actor::Host, create).unwrap();
        m.handle(t1, "1000", Actor::Host, Command::Open).unwrap();
        m.breakouts(t1, "1000").unwrap().rooms
    });
    assert_eq!(
        updates(&mut gw),
        Vec::<u64>::new(),
        "opening empty rooms moves nobody"
    );

    // A move: the media re-subscription, the move record and the prompt are one change.
    gw.with_meetings(t1, |m| {
        m.move_participant(t1, "1000", Actor::Host, ids[0], Place::Room(rooms[0].id))
    })
    .unwrap();
    assert_eq!(updates(&mut gw), [1], "one LegUpdated per move");
    let a = gw.leg(roomgate::media::LegId(1)).unwrap();
    assert_eq!(a.room, Some(Place::Room(rooms[0].id)));
    assert_eq!(a.moves.len(), 1);

    // An exchange changes both legs: each is reported once.
    gw.with_meetings(t1, |m| {
        m.handle(
            t1,
            "1000",
            Actor::Host,
            Command::Exchange {
                a: ids[0],
                b: ids[1],
            },
        )
    })
    .unwrap();
    let mut both = updates(&mut gw);
    both.sort_unstable();
    assert_eq!(both, [1, 2], "one LegUpdated per leg per exchange");

    // A mute.
    gw.with_meetings(t1, |m| {
        m.handle(
            t1,
            "1000",
            Actor::Host,
            Command::Mute {
                participant: ids[1],
                muted: true,
            },
        )
    })
    .unwrap();
    assert_eq!(updates(&mut gw), [2], "one LegUpdated per mute");
    assert!(gw.leg(roomgate::media::LegId(2)).unwrap().muted);
}
