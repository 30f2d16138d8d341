//! A room system holds and resumes within one call leg (RFC 3264 §8.4): the answers flip
//! direction, the hold is reported once each way, and our `o=` version moves only when our
//! answer changed (§8).

use roomgate::sdp::{
    answer, Direction, HoldEvent, LocalMedia, OfferAnswerState, SessionDescription,
};

fn fixture(name: &str) -> SessionDescription {
    let path = format!(
        "{}/fixtures/sdp/{name}.offer.sdp",
        env!("CARGO_MANIFEST_DIR")
    );
    SessionDescription::parse(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn hold_then_resume_then_session_refresh() {
    let local = LocalMedia::new("127.0.0.1".parse().unwrap(), 20000, Some(20002));
    let mut state = OfferAnswerState::new(99);

    let (a1, m1) = answer(&fixture("yealink"), &local, &mut state).unwrap();
    assert_eq!(a1.origin.session_version, 1);
    assert!(!m1.remote_hold);
    assert_eq!(m1.hold_event, None);
    assert_eq!(m1.audio.direction, Direction::SendRecv);

    let (a2, m2) = answer(&fixture("yealink_hold"), &local, &mut state).unwrap();
    assert_eq!(
        a2.origin.session_version, 2,
        "our answer changed: version + 1"
    );
    assert_eq!(a2.origin.session_id, a1.origin.session_id);
    assert!(m2.remote_hold);
    assert_eq!(m2.hold_event, Some(HoldEvent::Hold));
    assert_eq!(m2.audio.direction, Direction::RecvOnly);
    assert_eq!(a2.media[0].direction(&a2), Direction::RecvOnly);

    // The same hold offer again (a session-timer refresh while held): nothing changes.
    let (a3, m3) = answer(&fixture("yealink_hold"), &local, &mut state).unwrap();
    assert_eq!(a3.origin.session_version, 2);
    assert_eq!(a3, a2);
    assert_eq!(m3.hold_event, None);
    assert!(m3.remote_hold);

    let (a4, m4) = answer(&fixture("yealink_resume"), &local, &mut state).unwrap();
    assert_eq!(a4.origin.session_version, 3);
    assert_eq!(m4.hold_event, Some(HoldEvent::Resume));
    assert!(!m4.remote_hold);
    assert_eq!(m4.audio.direction, Direction::SendRecv);
    // Same codecs, same payload types across the whole call.
    assert_eq!(m4.audio.codec, m1.audio.codec);
    assert_eq!(m4.video, m1.video);
}

#[test]
fn legacy_zero_address_hold_is_hold_and_sends_nowhere() {
    let local = LocalMedia::new("127.0.0.1".parse().unwrap(), 20000, Some(20002));
    let mut state = OfferAnswerState::new(7);
    // The same call before the hold: the 0.0.0.0 offer with a real address.
    let text = std::fs::read_to_string(format!(
        "{}/fixtures/sdp/legacy_hold.offer.sdp",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .replace("c=IN IP4 0.0.0.0", "c=IN IP4 127.0.0.11")
    .replace("1740652370 1", "1740652370 0");
    let before = SessionDescription::parse(text.as_bytes()).unwrap();
    let (_, first) = answer(&before, &local, &mut state).unwrap();
    assert!(first.audio.remote_rtp.is_some());
    let (ans, held) = answer(&fixture("legacy_hold"), &local, &mut state).unwrap();
    assert_eq!(held.hold_event, Some(HoldEvent::Hold));
    assert_eq!(held.audio.remote_rtp, None);
    assert_eq!(held.audio.remote_rtcp, None);
    // We never send to 0.0.0.0; we keep receiving (RFC 3264 §8.4).
    assert!(!held.audio.direction.sends());
    assert!(held.audio.direction.receives());
    assert_eq!(ans.media.len(), 2);
    assert_eq!(ans.origin.session_version, 2);
}

#[test]
fn inactive_offer_is_hold_and_answered_inactive() {
    let local = LocalMedia::new("127.0.0.1".parse().unwrap(), 20000, Some(20002));
    let mut state = OfferAnswerState::new(7);
    let (ans, m) = answer(&fixture("inactive_hold"), &local, &mut state).unwrap();
    assert!(m.remote_hold);
    assert_eq!(m.audio.direction, Direction::Inactive);
    assert_eq!(m.video.as_ref().unwrap().direction, Direction::Inactive);
    for media in &ans.media {
        assert_eq!(media.direction(&ans), Direction::Inactive);
    }
}

#[test]
fn refused_reoffer_leaves_the_session_as_it_was() {
    let local = LocalMedia::new("127.0.0.1".parse().unwrap(), 20000, None);
    let mut state = OfferAnswerState::new(5);
    answer(&fixture("baresip"), &local, &mut state).unwrap();
    let before = state.clone();
    let err = answer(&fixture("no_common_codec"), &local, &mut state).unwrap_err();
    assert_eq!(err.status_code(), 488);
    assert_eq!(err.warning().0, 305);
    assert_eq!(
        err.warning_value("roomgate"),
        "305 roomgate \"Incompatible media format\""
    );
    assert_eq!(state, before);
}
