//! Closing with a countdown: rooms stay in use for `countdown_s`, nobody may enter a room,
//! and when it runs out everyone is back in the main session.

use crate::sim;

use std::time::Duration;

use roomgate::meeting::*;
use sim::*;

#[test]
fn countdown_then_everyone_is_in_the_main_session() {
    let mut s = Sim::new(BreakoutOptions {
        countdown_s: 30,
        ..Default::default()
    });
    let host = s.host();
    let people: Vec<_> = (0..9).map(|i| s.join(&format!("p{i}"))).collect();
    let rooms = s.rooms(3);
    s.ok(Command::Open);
    s.ok(Command::Move {
        participant: host,
        to: Place::Room(rooms[1]),
    });
    assert!(people.iter().all(|p| s.place(*p) != Place::Main));

    let before = s.events.len();
    s.ok(Command::Close);
    assert_eq!(
        s.kinds_since(before),
        vec![EventKind::RoomsClosing { countdown_s: 30 }]
    );
    assert_eq!(s.state(), BreakoutState::Closing);
    assert_eq!(s.breakouts().seconds_left, Some(30));

    s.secs(20);
    assert_eq!(s.breakouts().seconds_left, Some(10));
    // Still in their rooms during the countdown, and nobody may go in.
    assert!(people.iter().all(|p| s.place(*p) != Place::Main));
    assert_eq!(
        s.cmd(
            Actor::Host,
            Command::Move {
                participant: people[0],
                to: Place::Room(rooms[2])
            }
        ),
        Err(MeetingError::RoomClosed { room: rooms[2] })
    );
    // A late joiner during the countdown goes to the main session.
    let late = s.join("late");
    assert_eq!(s.place(late), Place::Main);

    s.secs(10);
    assert_eq!(s.state(), BreakoutState::Closed);
    for p in people.iter().chain([&host, &late]) {
        assert_eq!(s.place(*p), Place::Main);
    }
    assert!(s
        .breakouts()
        .rooms
        .iter()
        .all(|r| r.participants.is_empty()));
    // Media followed: the last media command for every participant points at the main session.
    let key = s.m.key(MEETING).unwrap();
    for p in &people {
        let last = s
            .media
            .iter()
            .rev()
            .find_map(|c| match c {
                MediaCommand::Move { participant, to } if participant == p => Some(*to),
                _ => None,
            })
            .unwrap();
        assert_eq!(
            last,
            RoomKey {
                meeting: key,
                room: Place::Main
            }
        );
    }
    assert_eq!(s.events.last().unwrap().kind, EventKind::RoomsClosed);
}

#[test]
fn a_late_timeout_call_still_finishes_the_close() {
    let mut s = Sim::new(BreakoutOptions {
        close_after_s: Some(60),
        countdown_s: 15,
        ..Default::default()
    });
    let a = s.join("a");
    s.rooms(1);
    s.ok(Command::Open);
    // The shell oversleeps: one call well past both deadlines fires both, in order.
    s.now += Duration::from_secs(500);
    s.m.handle_timeout(s.now);
    s.drain();
    assert_eq!(s.state(), BreakoutState::Closed);
    assert_eq!(s.place(a), Place::Main);
    let kinds: Vec<_> = s.events.iter().map(|e| &e.kind).collect();
    let closing = kinds
        .iter()
        .position(|k| matches!(k, EventKind::RoomsClosing { .. }))
        .unwrap();
    let closed = kinds
        .iter()
        .position(|k| **k == EventKind::RoomsClosed)
        .unwrap();
    assert!(closing < closed);
}
