//! Rooms are renamed, added and deleted (people in a deleted room go to the main session), and
//! recreated from scratch (everyone back, old ids never reused).

use crate::sim;

use roomgate::meeting::*;
use sim::*;

#[test]
fn delete_room_sends_its_people_to_the_main_session() {
    let mut s = Sim::new(BreakoutOptions::default());
    let people: Vec<_> = (0..6).map(|i| s.join(&format!("p{i}"))).collect();
    let rooms = s.rooms(3);
    s.ok(Command::Open);
    let doomed = s.breakouts().rooms[1].participants.clone();
    assert_eq!(doomed.len(), 2);
    s.ok(Command::DeleteRoom { room: rooms[1] });
    for p in &doomed {
        assert_eq!(s.place(*p), Place::Main);
        assert_eq!(s.m.participant(MEETING, *p).unwrap().assigned, None);
    }
    assert_eq!(s.breakouts().rooms.len(), 2);
    assert_eq!(
        s.events.last().unwrap().kind,
        EventKind::RoomDeleted { room: rooms[1] }
    );
    assert_eq!(
        s.cmd(
            Actor::Host,
            Command::Move {
                participant: people[0],
                to: Place::Room(rooms[1])
            }
        ),
        Err(MeetingError::UnknownRoom { room: rooms[1] })
    );
}

#[test]
fn rename_and_add_keep_names_unique() {
    let mut s = Sim::new(BreakoutOptions::default());
    let rooms = s.rooms(2);
    s.ok(Command::RenameRoom {
        room: rooms[0],
        name: "Design".into(),
    });
    assert_eq!(
        s.cmd(
            Actor::Host,
            Command::RenameRoom {
                room: rooms[1],
                name: "Design".into()
            }
        ),
        Err(MeetingError::RoomNameTaken {
            name: "Design".into()
        })
    );
    let Outcome::Room(third) = s.ok(Command::AddRoom { name: None }) else {
        panic!()
    };
    let names: Vec<_> = s.breakouts().rooms.into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["Design", "Room 2", "Room 3"]);
    assert_eq!(third, RoomId(3));
    assert_eq!(
        s.cmd(
            Actor::Host,
            Command::RenameRoom {
                room: rooms[1],
                name: "  ".into()
            }
        ),
        Err(MeetingError::InvalidText {
            field: "name",
            reason: "empty"
        })
    );
}

#[test]
fn recreate_starts_again() {
    let mut s = Sim::new(BreakoutOptions {
        close_after_s: Some(100),
        ..Default::default()
    });
    let people: Vec<_> = (0..4).map(|i| s.join(&format!("p{i}"))).collect();
    let old = s.rooms(2);
    s.ok(Command::Open);
    assert!(s.m.poll_timeout().is_some());
    let new = s.rooms(3);
    assert!(new.iter().all(|r| !old.contains(r)), "ids are not reused");
    assert_eq!(s.state(), BreakoutState::Created);
    assert_eq!(s.m.poll_timeout(), None, "the old close timer is gone");
    for p in &people {
        assert_eq!(s.place(*p), Place::Main);
        assert!(new.contains(&s.m.participant(MEETING, *p).unwrap().assigned.unwrap()));
    }
    s.ok(Command::RemoveBreakouts);
    assert_eq!(
        s.m.breakouts(s.now, MEETING),
        Err(MeetingError::NoBreakouts)
    );
}

#[test]
fn rooms_scheduled_with_the_meeting_exist_from_the_start() {
    let s = Sim::with_spec(MeetingSpec {
        id: MEETING.into(),
        rooms: vec!["Red".into(), "Blue".into()],
        ..Default::default()
    });
    let b = s.breakouts();
    assert_eq!(b.state, BreakoutState::Created);
    let names: Vec<_> = b.rooms.iter().map(|r| (r.id, r.name.as_str())).collect();
    assert_eq!(names, [(RoomId(1), "Red"), (RoomId(2), "Blue")]);
}
