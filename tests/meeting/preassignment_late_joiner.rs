//! Pre-assignments made when scheduling place room systems by identity (exact or glob, against
//! identity or name), whether they join before or after the rooms open.

use crate::sim;

use roomgate::meeting::*;
use sim::*;

fn spec() -> MeetingSpec {
    MeetingSpec {
        id: MEETING.into(),
        name: "All hands".into(),
        options: BreakoutOptions {
            auto_move: true,
            ..Default::default()
        },
        preassignments: vec![
            PreAssignment {
                identity: "sip:boardroom@corp.example".into(),
                room: "Room 2".into(),
            },
            PreAssignment {
                identity: "sip:*@sales.example".into(),
                room: "Room 3".into(),
            },
            PreAssignment {
                identity: "Lobby*".into(),
                room: "1".into(),
            },
        ],
        ..Default::default()
    }
}

#[test]
fn late_joiners_go_straight_to_their_preassigned_room() {
    let mut s = Sim::with_spec(spec());
    let early = s.join_as("Boardroom", "sip:boardroom@corp.example", Role::Participant);
    let others: Vec<_> = (0..5).map(|i| s.join(&format!("p{i}"))).collect();
    let rooms = s.rooms(3);
    // Joined before the rooms existed: pre-assignment applies once they do.
    assert_eq!(
        s.m.participant(MEETING, early).unwrap().assigned,
        Some(rooms[1])
    );
    s.ok(Command::Open);
    assert_eq!(s.place(early), Place::Room(rooms[1]));
    assert!(others.iter().all(|p| s.place(*p) != Place::Main));

    // Joins after opening: placed at once, by pattern on identity and on name.
    let sales = s.join_as("Sales pod", "sip:pod7@sales.example", Role::Participant);
    assert_eq!(s.place(sales), Place::Room(rooms[2]));
    let joined = s.events.iter().rev().find_map(|e| match &e.kind {
        EventKind::ParticipantJoined {
            participant, room, ..
        } if *participant == sales => Some(*room),
        _ => None,
    });
    assert_eq!(joined, Some(Place::Room(rooms[2])));
    let key = s.m.key(MEETING).unwrap();
    assert!(s.media.contains(&MediaCommand::Attach {
        participant: sales,
        room: RoomKey {
            meeting: key,
            room: Place::Room(rooms[2])
        }
    }));

    let lobby = s.join_as("Lobby screen", "sip:10.1.2.3", Role::Participant);
    assert_eq!(s.place(lobby), Place::Room(rooms[0]), "room given by id");

    // Nobody matching: main session.
    let stranger = s.join_as("Guest", "sip:guest@other.example", Role::Participant);
    assert_eq!(s.place(stranger), Place::Main);
}

#[test]
fn preassignment_set_after_joining_applies_too() {
    let mut s = Sim::new(BreakoutOptions::default());
    let board = s.join_as("Boardroom", "sip:boardroom@corp.example", Role::Participant);
    let rooms = s.rooms(2);
    s.ok(Command::Assign {
        participant: board,
        room: None,
    });
    s.ok(Command::SetPreassignments {
        preassignments: vec![PreAssignment {
            identity: "sip:boardroom@corp.example".into(),
            room: "Room 2".into(),
        }],
    });
    assert_eq!(
        s.m.participant(MEETING, board).unwrap().assigned,
        Some(rooms[1])
    );
    s.ok(Command::Open);
    assert_eq!(s.place(board), Place::Room(rooms[1]));
}

#[test]
fn without_auto_move_a_late_joiner_is_invited_not_moved() {
    let mut sp = spec();
    sp.options.auto_move = false;
    let mut s = Sim::with_spec(sp);
    let rooms = s.rooms(3);
    s.ok(Command::Open);
    let board = s.join_as("Boardroom", "sip:boardroom@corp.example", Role::Participant);
    assert_eq!(s.place(board), Place::Main);
    assert!(s.events.iter().any(|e| e.kind
        == EventKind::ParticipantInvited {
            participant: board,
            room: rooms[1]
        }));
    // The invited participant may go to its room by itself even without self-select.
    s.cmd(
        Actor::Participant(board),
        Command::Move {
            participant: board,
            to: Place::Room(rooms[1]),
        },
    )
    .unwrap();
    assert_eq!(s.place(board), Place::Room(rooms[1]));
}

#[test]
fn a_redialling_participant_returns_to_its_room() {
    let mut s = Sim::new(BreakoutOptions::default());
    let a = s.join("a");
    let rooms = s.rooms(4);
    s.ok(Command::Open);
    s.ok(Command::Move {
        participant: a,
        to: Place::Room(rooms[3]),
    });
    s.m.leave(s.now, MEETING, a).unwrap();
    let again = s.join("a");
    assert_ne!(again, a, "ids are never reused");
    assert_eq!(s.place(again), Place::Room(rooms[3]));
}

#[test]
fn changing_the_list_repoints_preassigned_but_not_hand_made() {
    let mut s = Sim::with_spec(spec());
    let board = s.join_as("Boardroom", "sip:boardroom@corp.example", Role::Participant);
    let sales = s.join_as("Sales", "sip:pod@sales.example", Role::Participant);
    let rooms = s.rooms(3);
    s.ok(Command::Assign {
        participant: sales,
        room: Some(rooms[0]),
    });
    s.ok(Command::SetPreassignments {
        preassignments: vec![
            PreAssignment {
                identity: "sip:boardroom@corp.example".into(),
                room: "Room 3".into(),
            },
            PreAssignment {
                identity: "sip:*@sales.example".into(),
                room: "Room 2".into(),
            },
        ],
    });
    let assigned = |s: &Sim, p| s.m.participant(MEETING, p).unwrap().assigned;
    assert_eq!(assigned(&s, board), Some(rooms[2]));
    assert_eq!(assigned(&s, sales), Some(rooms[0]), "hand-made stays");
}

#[test]
fn wrong_passcode_is_refused() {
    let mut sp = spec();
    sp.passcode = Some("4711".into());
    let mut s = Sim::with_spec(sp);
    let req = |code: Option<&str>| JoinRequest {
        name: "x".into(),
        identity: "sip:x@corp.example".into(),
        role: Role::Participant,
        passcode: code.map(str::to_owned),
    };
    for code in [None, Some("4712"), Some("471"), Some("47111")] {
        assert_eq!(
            s.m.join(s.now, MEETING, req(code)),
            Err(MeetingError::WrongPasscode)
        );
    }
    assert!(s.m.join(s.now, MEETING, req(Some("4711"))).is_ok());
}
