//! Exchange swaps two participants in one step: one event, one media command, never a
//! moment where they share a room; refused whole when they are in the same place.

use crate::sim;

use roomgate::meeting::*;
use sim::*;

#[test]
fn exchange_is_one_event_and_one_media_command() {
    let mut s = Sim::new(BreakoutOptions::default());
    let a = s.join("a");
    let b = s.join("b");
    let c = s.join("c");
    let rooms = s.rooms(2);
    s.ok(Command::Open);
    let ra = s.place(a);
    let (b, rb) = [b, c]
        .into_iter()
        .map(|p| (p, s.place(p)))
        .find(|(_, r)| *r != ra)
        .expect("two rooms, three people: someone is elsewhere");
    let (ev, md) = (s.events.len(), s.media.len());
    s.cmd(Actor::Host, Command::Exchange { a, b }).unwrap();
    assert_eq!(s.place(a), rb);
    assert_eq!(s.place(b), ra);
    assert_eq!(
        s.kinds_since(ev),
        vec![EventKind::ParticipantsExchanged {
            a,
            a_to: rb,
            b,
            b_to: ra,
            by: Actor::Host
        }]
    );
    let key = s.m.key(MEETING).unwrap();
    assert_eq!(
        s.media[md..],
        [MediaCommand::Exchange {
            a,
            a_to: RoomKey {
                meeting: key,
                room: rb
            },
            b,
            b_to: RoomKey {
                meeting: key,
                room: ra
            },
        }]
    );
    // Room membership agrees with the participants' places.
    for r in s.breakouts().rooms {
        for p in &r.participants {
            assert_eq!(s.place(*p), Place::Room(r.id));
        }
    }
    let _ = rooms;
}

#[test]
fn exchange_with_the_main_session_works() {
    let mut s = Sim::new(BreakoutOptions::default());
    let a = s.join("a");
    let rooms = s.rooms(1);
    let host = s.host();
    s.ok(Command::Open);
    assert_eq!(s.place(a), Place::Room(rooms[0]));
    assert_eq!(s.place(host), Place::Main);
    s.cmd(Actor::Participant(host), Command::Exchange { a, b: host })
        .unwrap();
    assert_eq!(s.place(a), Place::Main);
    assert_eq!(s.place(host), Place::Room(rooms[0]));
}

#[test]
fn same_room_is_refused_and_changes_nothing() {
    let mut s = Sim::new(BreakoutOptions::default());
    let a = s.join("a");
    let b = s.join("b");
    let rooms = s.rooms(1);
    s.ok(Command::Open);
    let before = s.view();
    let (ev, md) = (s.events.len(), s.media.len());
    assert_eq!(
        s.cmd(Actor::Host, Command::Exchange { a, b }),
        Err(MeetingError::SameRoom {
            a,
            b,
            place: Place::Room(rooms[0])
        })
    );
    assert_eq!(
        s.cmd(Actor::Host, Command::Exchange { a, b: a }),
        Err(MeetingError::SameRoom {
            a,
            b: a,
            place: Place::Room(rooms[0])
        })
    );
    assert_eq!(s.view(), before);
    assert_eq!((s.events.len(), s.media.len()), (ev, md));
}

#[test]
fn exchange_needs_open_rooms_and_a_host() {
    let mut s = Sim::new(BreakoutOptions::default());
    let a = s.join("a");
    let b = s.join("b");
    s.rooms(2);
    s.ok(Command::Open);
    assert_ne!(s.place(a), s.place(b));
    assert_eq!(
        s.cmd(Actor::Participant(a), Command::Exchange { a, b }),
        Err(MeetingError::NotPermitted {
            action: "exchange participants"
        })
    );
    s.ok(Command::Close);
    // Countdown running: both still in their rooms, but nobody may enter a room.
    assert_eq!(
        s.cmd(Actor::Host, Command::Exchange { a, b }),
        Err(MeetingError::RoomsNotOpen {
            state: BreakoutState::Closing
        })
    );
}
