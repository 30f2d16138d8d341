//! Issue 15, item 3: a pre-assignment that was deleted must stop applying, also to a room
//! system that called while it was in force, hung up, and calls again.

use crate::sim;

use roomgate::meeting::*;
use sim::*;

const BOARDROOM: &str = "sip:boardroom@corp.example";

/// Scheduled like the report: rooms set up ahead, the board room pre-assigned to room 2,
/// participants moved as soon as the rooms open.
fn spec() -> MeetingSpec {
    MeetingSpec {
        id: MEETING.into(),
        name: "All hands".into(),
        options: BreakoutOptions {
            auto_move: true,
            ..Default::default()
        },
        preassignments: vec![PreAssignment {
            identity: BOARDROOM.into(),
            room: "Room 2".into(),
        }],
        rooms: vec!["Room 1".into(), "Room 2".into(), "Room 3".into()],
        ..Default::default()
    }
}

fn room_named(s: &Sim, name: &str) -> RoomId {
    s.breakouts()
        .rooms
        .iter()
        .find(|r| r.name == name)
        .map(|r| r.id)
        .expect("scheduled room")
}

#[test]
fn a_deleted_preassignment_does_not_follow_a_redialling_room_system() {
    let mut s = Sim::with_spec(spec());
    let room2 = room_named(&s, "Room 2");
    let first = s.join_as("Boardroom", BOARDROOM, Role::Participant);
    assert_eq!(
        s.m.participant(MEETING, first).unwrap().assigned,
        Some(room2),
        "the pre-assignment applies while it is in force"
    );
    s.m.leave(s.now, MEETING, first).unwrap();
    s.drain();

    s.ok(Command::SetPreassignments {
        preassignments: Vec::new(),
    });
    assert!(s.view().preassignments.is_empty());

    let again = s.join_as("Boardroom", BOARDROOM, Role::Participant);
    assert_eq!(
        s.m.participant(MEETING, again).unwrap().assigned,
        None,
        "nothing assigns the board room any more"
    );
    s.ok(Command::Open);
    assert_eq!(s.place(again), Place::Main);
}

#[test]
fn a_preassignment_still_in_force_follows_a_redialling_room_system() {
    let mut s = Sim::with_spec(spec());
    let room2 = room_named(&s, "Room 2");
    let first = s.join_as("Boardroom", BOARDROOM, Role::Participant);
    s.m.leave(s.now, MEETING, first).unwrap();
    s.drain();
    let again = s.join_as("Boardroom", BOARDROOM, Role::Participant);
    s.ok(Command::Open);
    assert_eq!(s.place(again), Place::Room(room2));

    // Re-pointed while it was away: the current list decides where it lands.
    s.m.leave(s.now, MEETING, again).unwrap();
    s.drain();
    s.ok(Command::SetPreassignments {
        preassignments: vec![PreAssignment {
            identity: BOARDROOM.into(),
            room: "Room 3".into(),
        }],
    });
    let third = s.join_as("Boardroom", BOARDROOM, Role::Participant);
    assert_eq!(s.place(third), Place::Room(room_named(&s, "Room 3")));
}
