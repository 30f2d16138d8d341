//! Observers resume the event stream from the last sequence number they saw, and learn when
//! they fell too far behind the bounded log.

use crate::sim;

use roomgate::meeting::*;
use sim::*;

#[test]
fn resume_returns_exactly_the_missed_events() {
    let mut s = Sim::new(BreakoutOptions::default());
    let people: Vec<_> = (0..4).map(|i| s.join(&format!("p{i}"))).collect();
    let rooms = s.rooms(2);
    let seen = s.m.last_seq(MEETING).unwrap();
    s.ok(Command::Open);
    s.ok(Command::Move {
        participant: people[0],
        to: Place::Main,
    });
    s.ok(Command::Broadcast {
        message: "five minutes".into(),
    });
    let missed = s.m.events_since(MEETING, seen).unwrap();
    assert_eq!(missed.first().unwrap().seq, seen + 1);
    assert_eq!(
        missed.first().unwrap().kind,
        EventKind::RoomsOpened {
            close_after_s: None
        }
    );
    // The same events, in the same order, as were drained live.
    let live: Vec<_> = s.events.iter().filter(|e| e.seq > seen).cloned().collect();
    assert_eq!(missed, live);
    for w in missed.windows(2) {
        assert_eq!(w[1].seq, w[0].seq + 1);
    }
    assert_eq!(
        s.m.events_since(MEETING, s.m.last_seq(MEETING).unwrap())
            .unwrap(),
        vec![]
    );
    // From the very start while the log still holds it.
    assert_eq!(
        s.m.events_since(MEETING, 0).unwrap().first().unwrap().seq,
        1
    );
    assert_eq!(
        s.m.events_since(MEETING, 10_000),
        Err(MeetingError::SeqAhead {
            since: 10_000,
            last: s.m.last_seq(MEETING).unwrap()
        })
    );
    let _ = rooms;
}

#[test]
fn falling_behind_the_bounded_log_is_reported() {
    let limits = Limits {
        event_log: 16,
        ..Default::default()
    };
    let mut s = Sim::with_limits(
        MeetingSpec {
            id: MEETING.into(),
            ..Default::default()
        },
        limits,
    );
    let a = s.join("a");
    let rooms = s.rooms(2);
    s.ok(Command::Open);
    for i in 0..40 {
        s.ok(Command::Move {
            participant: a,
            to: Place::Room(rooms[i % 2]),
        });
    }
    let last = s.m.last_seq(MEETING).unwrap();
    let oldest = last - 15;
    assert_eq!(
        s.m.events_since(MEETING, 3),
        Err(MeetingError::TooFarBehind { since: 3, oldest })
    );
    // Recovery: reload the state, resume from its last_seq.
    let view = s.view();
    assert_eq!(view.last_seq, last);
    assert_eq!(s.m.events_since(MEETING, view.last_seq).unwrap(), vec![]);
    // The oldest kept one is still reachable.
    assert_eq!(s.m.events_since(MEETING, oldest - 1).unwrap().len(), 16);
}

#[test]
fn events_of_two_meetings_are_numbered_separately() {
    let mut s = Sim::new(BreakoutOptions::default());
    s.m.create_meeting(
        s.now,
        MeetingSpec {
            id: "2000".into(),
            ..Default::default()
        },
    )
    .unwrap();
    s.join("a");
    s.drain();
    let mut last = std::collections::HashMap::new();
    for e in &s.events {
        let prev = last.insert(e.meeting.clone(), e.seq).unwrap_or(0);
        assert_eq!(e.seq, prev + 1, "{}", e.meeting);
    }
    assert_eq!(last.len(), 2);
}
