//! Ending a meeting detaches every participant (media) and lists them all in `meeting_ended`
//! so the gateway hangs up their calls; the meeting and its timers are gone.

use crate::sim;

use std::time::Duration;

use roomgate::meeting::*;
use sim::*;

#[test]
fn end_detaches_and_lists_every_participant() {
    let mut s = Sim::new(BreakoutOptions {
        close_after_s: Some(60),
        ..Default::default()
    });
    let host = s.host();
    let people: Vec<_> = (0..5).map(|i| s.join(&format!("p{i}"))).collect();
    s.rooms(2);
    s.ok(Command::Open);
    assert!(s.m.poll_timeout().is_some());
    let md = s.media.len();
    let ended = s.m.end_meeting(s.now, MEETING).unwrap();
    s.drain();
    let mut all = people.clone();
    all.insert(0, host);
    assert_eq!(ended, all);
    let detached: Vec<_> = s.media[md..]
        .iter()
        .map(|c| match c {
            MediaCommand::Detach { participant } => *participant,
            other => panic!("only detaches expected, got {other:?}"),
        })
        .collect();
    assert_eq!(detached, all);
    let last = s.events.last().unwrap();
    assert_eq!(
        last.kind,
        EventKind::MeetingEnded {
            participants: all.clone()
        }
    );
    assert_eq!(last.seq, s.events.len() as u64, "still gapless");
    assert!(matches!(
        s.m.get(s.now, MEETING),
        Err(MeetingError::UnknownMeeting { .. })
    ));
    assert_eq!(s.m.poll_timeout(), None, "its timers went with it");
    s.m.handle_timeout(s.now + Duration::from_secs(3600));
    assert!(s.m.poll_event().is_none());
    assert!(s.m.list().is_empty());
}

#[test]
fn ending_an_unknown_meeting_is_an_error() {
    let mut s = Sim::new(BreakoutOptions::default());
    assert_eq!(
        s.m.end_meeting(s.now, "nope"),
        Err(MeetingError::UnknownMeeting {
            meeting: "nope".into()
        })
    );
}
