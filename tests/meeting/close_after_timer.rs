//! `close_after_s` closes the rooms on its own, in simulated time; `notify_host` tells the
//! host first, and `seconds_left` counts down from `now`.

use crate::sim;

use roomgate::meeting::*;
use sim::*;

#[test]
fn rooms_close_by_themselves_after_close_after_s() {
    let mut s = Sim::new(BreakoutOptions {
        close_after_s: Some(300),
        countdown_s: 0,
        notify_host: true,
        ..Default::default()
    });
    let people: Vec<_> = (0..6).map(|i| s.join(&format!("p{i}"))).collect();
    s.rooms(3);
    s.ok(Command::Open);
    assert_eq!(s.breakouts().seconds_left, Some(300));
    assert_eq!(
        s.m.poll_timeout(),
        Some(s.t0 + std::time::Duration::from_secs(300))
    );

    s.secs(120);
    assert_eq!(s.state(), BreakoutState::Open);
    assert_eq!(s.breakouts().seconds_left, Some(180));
    s.advance(std::time::Duration::from_millis(500));
    assert_eq!(s.breakouts().seconds_left, Some(180), "rounded up");

    let before = s.events.len();
    s.secs(180);
    assert_eq!(s.state(), BreakoutState::Closed);
    assert_eq!(s.breakouts().seconds_left, None);
    for p in people {
        assert_eq!(s.place(p), Place::Main);
    }
    let kinds = s.kinds_since(before);
    assert_eq!(
        kinds.first(),
        Some(&EventKind::TimeUp),
        "the host hears first"
    );
    assert_eq!(kinds.last(), Some(&EventKind::RoomsClosed));
    assert_eq!(s.m.poll_timeout(), None);
}

#[test]
fn without_notify_host_there_is_no_time_up() {
    let mut s = Sim::new(BreakoutOptions {
        close_after_s: Some(60),
        countdown_s: 0,
        notify_host: false,
        ..Default::default()
    });
    s.join("a");
    s.rooms(1);
    s.ok(Command::Open);
    s.secs(60);
    assert_eq!(s.state(), BreakoutState::Closed);
    assert!(!s.events.iter().any(|e| e.kind == EventKind::TimeUp));
}

#[test]
fn closing_by_hand_first_leaves_the_old_deadline_harmless() {
    let mut s = Sim::new(BreakoutOptions {
        close_after_s: Some(60),
        countdown_s: 0,
        notify_host: true,
        ..Default::default()
    });
    s.join("a");
    s.rooms(2);
    s.ok(Command::Open);
    s.secs(10);
    s.ok(Command::Close);
    s.secs(5);
    s.ok(Command::Open);
    // The first opening's deadline (t0 + 60 s) must not close the second opening early.
    let seq = s.events.len();
    s.m.handle_timeout(s.t0 + std::time::Duration::from_secs(60));
    s.drain();
    assert_eq!(s.events.len(), seq, "a stale deadline does nothing");
    assert_eq!(s.state(), BreakoutState::Open);
    assert_eq!(s.breakouts().seconds_left, Some(60));
    s.secs(60);
    assert_eq!(s.state(), BreakoutState::Closed);
}
