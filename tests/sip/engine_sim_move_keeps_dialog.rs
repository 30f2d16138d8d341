//! The gateway in simulated time: a call joins meeting 1000, the host opens breakout rooms and
//! moves it. The move re-points the leg's mix subscription (one media command) and sends no
//! SIP at all: the room system's dialog is untouched.

use bytes::Bytes;
use roomgate::engine::{Gateway, GatewayConfig, Output};
use roomgate::media::MediaCommand;
use roomgate::meeting::{
    Actor, AssignMode, BreakoutOptions, Command, Limits, MeetingSpec, Meetings, Place,
};
use roomgate::sip::transaction::{Peer, Transport};
use std::time::{Duration, Instant};

fn invite(call_id: &str, port: u16) -> Bytes {
    let sdp = format!(
        "v=0\r\no=room 1 1 IN IP4 127.0.0.9\r\ns=-\r\nc=IN IP4 127.0.0.9\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\n"
    );
    Bytes::from(format!(
        "INVITE sip:1000@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.9:5062;branch=z9hG4bK-{call_id}\r\n\
         From: \"Room {call_id}\" <sip:{call_id}@127.0.0.9>;tag=t-{call_id}\r\n\
         To: <sip:1000@127.0.0.1>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n\
         Contact: <sip:{call_id}@127.0.0.9:5062>\r\nMax-Forwards: 70\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    ))
}

fn drain(gw: &mut Gateway) -> Vec<Output> {
    std::iter::from_fn(|| gw.poll_output()).collect()
}

#[test]
fn a_breakout_move_is_one_media_command_and_no_sip() {
    let t0 = Instant::now();
    let mut meetings = Meetings::new(Limits::default(), 7);
    meetings
        .create_meeting(
            t0,
            MeetingSpec {
                id: "1000".into(),
                name: "Demo".into(),
                passcode: None,
                options: BreakoutOptions::default(),
                preassignments: Vec::new(),
                rooms: Vec::new(),
            },
        )
        .unwrap();
    let mut gw = Gateway::new(GatewayConfig::default(), meetings);
    let peer = Peer::new(Transport::Udp, "127.0.0.9:5062".parse().unwrap());

    gw.handle_sip(t0, peer, invite("a", 4000));
    let out = drain(&mut gw);
    let answered = out.iter().any(|o| match o {
        Output::Sip(t) => t.payload.starts_with(b"SIP/2.0 200"),
        _ => false,
    });
    assert!(answered, "the call was answered: {out:?}");
    let attached_to = out.iter().find_map(|o| match o {
        Output::Media(MediaCommand::Attach { room, .. }) => Some(*room),
        _ => None,
    });
    let main = attached_to.expect("the leg was attached to the main session");

    // The ACK, a few seconds later, in simulated time.
    let t1 = t0 + Duration::from_millis(50);
    let ack =
        "ACK sip:1000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.9:5062;branch=z9hG4bK-ack\r\n\
         From: <sip:a@127.0.0.9>;tag=t-a\r\nTo: <sip:1000@127.0.0.1>;tag=TAG\r\nCall-ID: a\r\n\
         CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    let to_tag = gw.legs().next().unwrap().local_tag.unwrap();
    gw.handle_sip(t1, peer, Bytes::from(ack.replace("TAG", &to_tag)));
    drain(&mut gw);

    // The host opens two rooms and moves the participant into the first.
    let t2 = t1 + Duration::from_secs(3);
    let pid = gw.meetings().participants("1000").unwrap()[0].id;
    let rooms = gw.with_meetings(t2, |m| {
        m.handle(
            t2,
            "1000",
            Actor::Host,
            Command::CreateBreakouts {
                count: 2,
                assign: AssignMode::Manual,
                seed: Some(1),
                options: None,
            },
        )
        .unwrap();
        m.handle(t2, "1000", Actor::Host, Command::Open).unwrap();
        m.breakouts(t2, "1000").unwrap().rooms
    });
    drain(&mut gw);
    gw.with_meetings(t2, |m| {
        m.move_participant(t2, "1000", Actor::Host, pid, Place::Room(rooms[0].id))
    })
    .unwrap();
    let out = drain(&mut gw);
    let attaches: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Output::Media(MediaCommand::Attach { room, .. }) => Some(*room),
            _ => None,
        })
        .collect();
    assert_eq!(attaches.len(), 1, "one re-subscription: {out:?}");
    assert_ne!(attaches[0], main, "into a different room");
    assert!(
        !out.iter().any(|o| matches!(o, Output::Sip(_))),
        "a move sends no SIP: {out:?}"
    );
    let leg = gw.legs().next().unwrap();
    assert_eq!(leg.moves.len(), 1);
    assert_eq!(leg.room, Some(Place::Room(rooms[0].id)));
}
