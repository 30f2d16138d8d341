//! A host (or co-host) visits breakout rooms one at a time: joining one leaves the other, and
//! the media plane gets one move each time.

use crate::sim;

use roomgate::meeting::*;
use sim::*;

#[test]
fn host_hops_between_rooms() {
    let mut s = Sim::new(BreakoutOptions::default());
    let host = s.host();
    for i in 0..6 {
        s.join(&format!("p{i}"));
    }
    let rooms = s.rooms(3);
    s.ok(Command::Open);
    assert_eq!(s.place(host), Place::Main, "hosts are not auto-assigned");
    let key = s.m.key(MEETING).unwrap();
    for r in rooms.iter().chain([&rooms[0]]) {
        let md = s.media.len();
        s.cmd(
            Actor::Participant(host),
            Command::Move {
                participant: host,
                to: Place::Room(*r),
            },
        )
        .unwrap();
        assert_eq!(s.place(host), Place::Room(*r));
        let inside: Vec<_> = s
            .breakouts()
            .rooms
            .iter()
            .filter(|room| room.participants.contains(&host))
            .map(|room| room.id)
            .collect();
        assert_eq!(inside, vec![*r], "in exactly one room");
        assert_eq!(
            s.media[md..],
            [MediaCommand::Move {
                participant: host,
                to: RoomKey {
                    meeting: key,
                    room: Place::Room(*r)
                }
            }]
        );
    }
}

#[test]
fn moving_into_a_closed_or_unknown_room_is_refused() {
    let mut s = Sim::new(BreakoutOptions::default());
    let host = s.host();
    let rooms = s.rooms(2);
    let to = |r| Command::Move {
        participant: host,
        to: Place::Room(r),
    };
    assert_eq!(
        s.cmd(Actor::Host, to(rooms[0])),
        Err(MeetingError::RoomClosed { room: rooms[0] })
    );
    s.ok(Command::Open);
    assert_eq!(
        s.cmd(Actor::Host, to(RoomId(99))),
        Err(MeetingError::UnknownRoom { room: RoomId(99) })
    );
    s.ok(to(rooms[0]));
}
