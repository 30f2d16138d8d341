//! Only hosts and co-hosts manage rooms; a participant may only act on itself, within what the
//! meeting's options allow. Refusals name the action and change nothing.

use crate::sim;

use roomgate::meeting::*;
use sim::*;

#[test]
fn participants_cannot_manage_rooms() {
    let mut s = Sim::new(BreakoutOptions::default());
    let p = s.join("p");
    let q = s.join("q");
    let me = Actor::Participant(p);
    let before = s.view();
    let n = s.events.len();
    let refused = [
        Command::CreateBreakouts {
            count: 2,
            assign: AssignMode::Auto,
            seed: None,
            options: None,
        },
        Command::AddRoom { name: None },
        Command::Open,
        Command::Broadcast {
            message: "hi".into(),
        },
        Command::SetOptions {
            options: BreakoutOptions::default(),
        },
        Command::SetPreassignments {
            preassignments: vec![],
        },
        Command::Assign {
            participant: p,
            room: None,
        },
        Command::Leave { participant: q },
        Command::Mute {
            participant: q,
            muted: true,
        },
        Command::Join(JoinRequest {
            name: "x".into(),
            identity: "sip:x@y".into(),
            role: Role::Host,
            passcode: None,
        }),
    ];
    for c in refused {
        let name = c.name();
        match s.cmd(me, c) {
            Err(MeetingError::NotPermitted { .. }) => {}
            other => panic!("{name}: {other:?}"),
        }
    }
    assert_eq!(s.view(), before);
    assert_eq!(s.events.len(), n);
    // Its own things it may do.
    s.cmd(
        me,
        Command::Mute {
            participant: p,
            muted: true,
        },
    )
    .unwrap();
}

#[test]
fn co_hosts_manage_rooms_and_move_others() {
    let mut s = Sim::new(BreakoutOptions::default());
    let co = s.join_as("Co", "sip:co@corp.example", Role::CoHost);
    let p = s.join("p");
    let me = Actor::Participant(co);
    let Outcome::Rooms(rooms) = s
        .cmd(
            me,
            Command::CreateBreakouts {
                count: 2,
                assign: AssignMode::Manual,
                seed: None,
                options: None,
            },
        )
        .unwrap()
    else {
        panic!()
    };
    s.cmd(me, Command::Open).unwrap();
    s.cmd(
        me,
        Command::Move {
            participant: p,
            to: Place::Room(rooms[1]),
        },
    )
    .unwrap();
    assert_eq!(s.place(p), Place::Room(rooms[1]));
    let moved_by = s.events.iter().rev().find_map(|e| match e.kind {
        EventKind::ParticipantMoved { by, .. } => Some(by),
        _ => None,
    });
    assert_eq!(moved_by, Some(me));
}

#[test]
fn a_participant_cannot_move_somebody_else() {
    let mut s = Sim::new(BreakoutOptions {
        allow_self_select: true,
        ..Default::default()
    });
    let p = s.join("p");
    let q = s.join("q");
    let rooms = s.rooms(2);
    s.ok(Command::Open);
    assert_eq!(
        s.cmd(
            Actor::Participant(p),
            Command::Move {
                participant: q,
                to: Place::Room(rooms[0])
            }
        ),
        Err(MeetingError::NotPermitted {
            action: "move somebody else"
        })
    );
}

#[test]
fn an_actor_that_is_not_in_the_meeting_is_unknown() {
    let mut s = Sim::new(BreakoutOptions::default());
    s.join("p");
    assert_eq!(
        s.cmd(Actor::Participant(ParticipantId(777)), Command::Open),
        Err(MeetingError::UnknownParticipant {
            participant: ParticipantId(777)
        })
    );
}
