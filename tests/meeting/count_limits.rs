//! Room counts of 0 or above the limit are refused naming `count`; 100 rooms and 1,000
//! participants fit; one more of either is refused.

use crate::sim;

use roomgate::meeting::*;
use sim::*;

fn create(s: &mut Sim, count: u32) -> Result<Outcome, MeetingError> {
    s.cmd(
        Actor::Host,
        Command::CreateBreakouts {
            count,
            assign: AssignMode::Auto,
            seed: Some(1),
            options: None,
        },
    )
}

#[test]
fn count_zero_and_above_the_limit_are_refused() {
    let mut s = Sim::new(BreakoutOptions::default());
    for count in [0, 101, u32::MAX] {
        let e = create(&mut s, count).unwrap_err();
        assert_eq!(e, MeetingError::CountOutOfRange { count, max: 100 });
        assert_eq!(e.field(), Some("count"));
        assert_eq!(e.http_status(), 422);
    }
    assert!(
        s.m.breakouts(s.now, MEETING).is_err(),
        "nothing was created"
    );
}

#[test]
fn a_hundred_rooms_and_a_thousand_participants_fit() {
    let mut s = Sim::new(BreakoutOptions::default());
    for i in 0..1000 {
        s.join(&format!("p{i}"));
    }
    let e =
        s.m.join(
            s.now,
            MEETING,
            JoinRequest {
                name: "one too many".into(),
                identity: "sip:x@y".into(),
                role: Role::Participant,
                passcode: None,
            },
        )
        .unwrap_err();
    assert_eq!(e, MeetingError::MeetingFull { max: 1000 });
    let Outcome::Rooms(rooms) = create(&mut s, 100).unwrap() else {
        panic!()
    };
    assert_eq!(rooms.len(), 100);
    s.ok(Command::Open);
    let b = s.breakouts();
    assert!(b.rooms.iter().all(|r| r.participants.len() == 10));
    assert_eq!(
        s.cmd(Actor::Host, Command::AddRoom { name: None }),
        Err(MeetingError::TooManyRooms { max: 100 })
    );
}

#[test]
fn option_ranges_are_checked_naming_the_field() {
    let mut s = Sim::new(BreakoutOptions::default());
    let e = s
        .cmd(
            Actor::Host,
            Command::SetOptions {
                options: BreakoutOptions {
                    close_after_s: Some(0),
                    ..Default::default()
                },
            },
        )
        .unwrap_err();
    assert_eq!(e.field(), Some("close_after_s"));
    let e = s
        .cmd(
            Actor::Host,
            Command::SetOptions {
                options: BreakoutOptions {
                    countdown_s: MAX_COUNTDOWN_S + 1,
                    ..Default::default()
                },
            },
        )
        .unwrap_err();
    assert_eq!(e.field(), Some("countdown_s"));
}

#[test]
fn scheduling_too_many_rooms_is_refused_naming_rooms() {
    let mut m = Meetings::new(Limits::default(), 1);
    let e = m
        .create_meeting(
            std::time::Instant::now(),
            MeetingSpec {
                id: "2000".into(),
                rooms: (1..=101).map(|i| format!("R{i}")).collect(),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(e, MeetingError::TooManyRooms { max: 100 });
    assert_eq!(e.field(), Some("rooms"));
    assert!(m.list().is_empty());
    assert!(m.poll_event().is_none(), "nothing was announced");
}
