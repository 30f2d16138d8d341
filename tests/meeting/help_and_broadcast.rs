//! A participant in a breakout room asks for help (the host is notified with its room); the
//! host broadcasts to all rooms, also during the close countdown.

use crate::sim;

use roomgate::meeting::*;
use sim::*;

#[test]
fn help_request_names_the_room() {
    let mut s = Sim::new(BreakoutOptions::default());
    let p = s.join("p");
    let rooms = s.rooms(1);
    assert_eq!(
        s.cmd(
            Actor::Participant(p),
            Command::RequestHelp { participant: p }
        ),
        Err(MeetingError::RoomsNotOpen {
            state: BreakoutState::Created
        })
    );
    s.ok(Command::Open);
    s.cmd(
        Actor::Participant(p),
        Command::RequestHelp { participant: p },
    )
    .unwrap();
    assert_eq!(
        s.events.last().unwrap().kind,
        EventKind::HelpRequested {
            participant: p,
            room: rooms[0]
        }
    );
    s.ok(Command::Move {
        participant: p,
        to: Place::Main,
    });
    assert_eq!(
        s.cmd(
            Actor::Participant(p),
            Command::RequestHelp { participant: p }
        ),
        Err(MeetingError::NotInBreakoutRoom { participant: p })
    );
}

#[test]
fn broadcast_reaches_the_event_stream_while_open_or_closing() {
    let mut s = Sim::new(BreakoutOptions {
        countdown_s: 60,
        ..Default::default()
    });
    s.join("p");
    s.rooms(2);
    assert!(matches!(
        s.cmd(
            Actor::Host,
            Command::Broadcast {
                message: "hi".into()
            }
        ),
        Err(MeetingError::RoomsNotOpen { .. })
    ));
    s.ok(Command::Open);
    s.ok(Command::Close);
    s.ok(Command::Broadcast {
        message: "One minute left".into(),
    });
    assert_eq!(
        s.events.last().unwrap().kind,
        EventKind::Broadcast {
            message: "One minute left".into(),
            by: Actor::Host
        }
    );
    assert_eq!(
        s.cmd(
            Actor::Host,
            Command::Broadcast {
                message: String::new()
            }
        ),
        Err(MeetingError::InvalidText {
            field: "message",
            reason: "empty"
        })
    );
}
