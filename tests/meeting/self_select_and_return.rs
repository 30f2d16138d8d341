//! `allow_self_select` lets participants pick any open room; `allow_return` lets them go back
//! to the main session; without them only their own (invited) room is open to them.

use crate::sim;

use roomgate::meeting::*;
use sim::*;

fn go(s: &mut Sim, p: ParticipantId, to: Place) -> Result<Outcome, MeetingError> {
    s.cmd(Actor::Participant(p), Command::Move { participant: p, to })
}

#[test]
fn self_select_and_return_allowed() {
    let mut s = Sim::new(BreakoutOptions {
        auto_move: false,
        allow_self_select: true,
        allow_return: true,
        ..Default::default()
    });
    let p = s.join("p");
    let rooms = s.rooms(3);
    s.ok(Command::Open);
    assert_eq!(s.place(p), Place::Main, "no auto_move: invited, not moved");
    for r in &rooms {
        go(&mut s, p, Place::Room(*r)).unwrap();
        assert_eq!(s.place(p), Place::Room(*r));
    }
    go(&mut s, p, Place::Main).unwrap();
    assert_eq!(s.place(p), Place::Main);
    let by_self = s
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::ParticipantMoved { by, .. } if by == Actor::Participant(p)))
        .count();
    assert_eq!(by_self, 4);
}

#[test]
fn without_the_options_only_the_assigned_room() {
    let mut s = Sim::new(BreakoutOptions {
        auto_move: false,
        allow_self_select: false,
        allow_return: false,
        ..Default::default()
    });
    let p = s.join("p");
    let rooms = s.rooms(2);
    s.ok(Command::Assign {
        participant: p,
        room: Some(rooms[0]),
    });
    s.ok(Command::Open);
    assert!(s.events.iter().any(|e| e.kind
        == EventKind::ParticipantInvited {
            participant: p,
            room: rooms[0]
        }));
    assert_eq!(
        go(&mut s, p, Place::Room(rooms[1])),
        Err(MeetingError::NotPermitted {
            action: "choose a breakout room"
        })
    );
    go(&mut s, p, Place::Room(rooms[0])).unwrap();
    assert_eq!(
        go(&mut s, p, Place::Main),
        Err(MeetingError::NotPermitted {
            action: "return to the main session"
        })
    );
    assert_eq!(s.place(p), Place::Room(rooms[0]));
}

#[test]
fn during_the_countdown_anybody_may_leave_early() {
    let mut s = Sim::new(BreakoutOptions {
        allow_return: false,
        countdown_s: 60,
        ..Default::default()
    });
    let p = s.join("p");
    s.rooms(1);
    s.ok(Command::Open);
    assert!(go(&mut s, p, Place::Main).is_err());
    s.ok(Command::Close);
    go(&mut s, p, Place::Main).unwrap();
    assert_eq!(s.place(p), Place::Main);
}
